#!/usr/bin/env python3
"""Seeds of fuzz/corpus/serve_api/: request sequences for fuzz_serve_api.c
("METHOD PATH\\nBODY", NUL-separated). Run from the checkout: python3 fuzz/seeds_serve_api.py"""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "serve_api")
UP = json.dumps({"records": [
    {"id": "a", "vector": [1, 0, 0], "attrs": {"lang": {"Str": "en"}, "n": {"Int": 3}, "f": {"Float": 0.1}}},
    {"id": "b", "vector": [0, 1, 0], "attrs": {"tags": {"List": ["x", "y"]}, "t": {"DateTime": 5}, "z": "Null"}},
    {"id": "c", "vector": [0.5, 0.5, 0.1], "attrs": {"ok": {"Bool": True}}}]})
WHERE = [{"Any": [{"Eq": ["lang", {"Str": "en"}]}, {"Not": {"Glob": ["lang", "d*"]}},
                  {"Contains": ["tags", {"Str": "x"}]}, {"Fuzzy": ["lang", "em", 1]}]}]


def req(method, path, body=None):
    b = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    return f"{method} {path}\n{b}".encode()


SEEDS = {
    "probes": [req("GET", "/health"), req("GET", "/ready"), req("GET", "/metrics"), req("GET", "/stats"),
               req("GET", "/cluster"), req("GET", "/versions"), req("POST", "/refresh"), req("GET", "/collections")],
    "lifecycle": [req("POST", "/collections/docs"), req("POST", "/collections/docs/upsert", UP),
                  req("POST", "/search", {"query": [1, 0, 0], "top_k": 2, "filter": WHERE}),
                  req("POST", "/search/similar", {"collection": "docs", "id": "a", "offset": 1}),
                  req("POST", "/search/batch", {"queries": [{"query": [1, 0, 0]}, {"query": [0, 1, 0], "top_k": 1}]}),
                  req("POST", "/list", {"order_by": {"field": "n", "descending": True}, "limit": 2}),
                  req("POST", "/aggregate", {"sum": ["n", "f"], "group_by": "lang"}),
                  req("GET", "/collections/docs/records"), req("PUT", "/collections/docs/meta", {"k": "v"}),
                  req("GET", "/collections/docs/meta"), req("POST", "/collections/docs/delete", {"ids": ["a"]}),
                  req("POST", "/collections/docs/delete", {"filter": WHERE}), req("POST", "/flush"),
                  req("POST", "/compact"), req("DELETE", "/collections/docs"), req("GET", "/metrics")],
    "names": [req("POST", "/collections/a%2Fb%20c"), req("POST", "/collections/a%2Fb%20c/upsert", UP),
              req("GET", "/collections/%C3%BC/records"), req("POST", "/collections/%ZZ"),
              req("POST", "/collections/%FF"), req("POST", "/collections/a%00")],
    "errors": [req("GET", "/nope"), req("GET", "/search"), req("POST", "/search", '{"query": [1,'),
               req("POST", "/search", {"query": [1, 0]}), req("POST", "/search", {"query": [1, 0, 0], "top_k": 10001}),
               req("POST", "/search/batch", {"queries": []}),
               req("POST", "/search/batch", {"queries": [{"query": [1, 0, 0]}] * 17}),
               req("POST", "/search", {"query": [1, 0, 0], "filter": [{"Nope": 1}]}),
               req("POST", "/search", '{"query": [1,0,0], "filter": ' + "[" * 300 + "]" * 300 + "}"),
               req("POST", "/collections/x/upsert", {"records": [{"id": "a", "vector": [1e39, 0, 0]}]}),
               req("POST", "/collections/x/filter-index", {"fields": ["a", {"field": "b"}]}),
               req("POST", "/text-search", {}), req("POST", "/compact", {"expired": True}),
               req("PUT", "/collections/x/meta", {"k": 1}), req("POST", "/search/similar", {"id": "a"})],
}

os.makedirs(OUT, exist_ok=True)
for name, reqs in SEEDS.items():
    with open(os.path.join(OUT, f"seed-{name}"), "wb") as f:
        f.write(b"\0".join(reqs))

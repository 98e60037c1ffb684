"""Every route of nidus 0.80's HTTP API, and every error status, against the real binary."""
import threading
import urllib.parse

RECS = {"records": [
    {"id": "a", "vector": [1, 0, 0], "attrs": {"lang": {"Str": "rust"}, "bytes": {"Int": 10}}},
    {"id": "b", "vector": [0, 1, 0], "attrs": {"lang": {"Str": "go"}, "bytes": {"Int": 32}}},
    {"id": "c", "vector": [0.9, 0.1, 0], "attrs": {"bytes": {"Int": 5}}},
]}


def ids(hits):
    return [h["id"] for h in hits]


def test_banner_health_ready_request_id(serve, tmp_path):
    s = serve(tmp_path / "s")
    assert s.banner == f"nidus serving on http://127.0.0.1:{s.port} (Ctrl-C / SIGTERM to stop)"
    st, h, body = s.request("GET", "/health")
    assert (st, body) == (200, "ok")
    assert h["X-Request-Id"]
    _, h2, _ = s.request("GET", "/health")
    assert h2["X-Request-Id"] != h["X-Request-Id"], "minted ids are unique"
    _, h, _ = s.request("GET", "/health", headers={"X-Request-Id": "trace-abc.123:9"})
    assert h["X-Request-Id"] == "trace-abc.123:9"
    _, h, _ = s.request("GET", "/health", headers={"X-Request-Id": "has space"})
    assert " " not in h["X-Request-Id"]
    _, h, _ = s.request("GET", "/health", headers={"X-Request-Id": "x" * 65})
    assert "x" not in h["X-Request-Id"]
    assert s.get("/ready") == (200, {"ready": True, "role": "Writer", "staleness_secs": 0})


def test_full_lifecycle(serve, tmp_path):
    s = serve(tmp_path / "s")
    assert s.post("/collections/docs") == (200, {"created": "docs"})
    assert s.post("/collections/docs/upsert", RECS) == (200, {"upserted": 3})
    assert s.get("/collections") == (200, ["docs"])

    st, hits = s.post("/search", {"query": [1, 0, 0], "top_k": 2})
    assert st == 200 and ids(hits) == ["a", "c"]
    assert set(hits[0]) == {"collection", "id", "score", "attrs"}
    assert hits[0]["score"] == 1.0 and hits[0]["collection"] == "docs"
    assert hits[0]["attrs"] == {"lang": {"Str": "rust"}, "bytes": {"Int": 10}}
    # paging, min_score, filter, projection, scope
    assert ids(s.post("/search", {"query": [1, 0, 0], "top_k": 1, "offset": 1})[1]) == ["c"]
    assert ids(s.post("/search", {"query": [1, 0, 0], "min_score": 0.5})[1]) == ["a", "c"]
    st, hits = s.post("/search", {"query": [1, 0, 0], "filter": [{"Eq": ["lang", {"Str": "go"}]}]})
    assert ids(hits) == ["b"]
    st, hits = s.post("/search", {"query": [1, 0, 0], "top_k": 1, "include_attributes": ["bytes"]})
    assert hits[0]["attrs"] == {"bytes": {"Int": 10}}
    st, hits = s.post("/search", {"query": [1, 0, 0], "top_k": 1, "exclude_attributes": ["bytes"]})
    assert hits[0]["attrs"] == {"lang": {"Str": "rust"}}
    assert s.post("/search", {"query": [1, 0, 0], "scope": ["nope"]}) == (200, [])

    st, out = s.post("/search/similar", {"collection": "docs", "id": "a", "top_k": 10})
    assert st == 200 and ids(out) == ["c", "b"], "the source never matches itself"

    st, out = s.post("/search/batch", {"queries": [{"query": [1, 0, 0], "top_k": 1},
                                                   {"query": [0, 1, 0], "top_k": 1},
                                                   {"query": [0, 1, 0], "top_k": 2, "offset": 1}]})
    assert st == 200 and [ids(r) for r in out["results"]] == [["a"], ["b"], ["c", "a"]]
    assert "fused" not in out

    st, out = s.post("/list", {})
    assert st == 200 and ids(out) == ["a", "b", "c"] and all(h["score"] == 0.0 for h in out)
    st, out = s.post("/list", {"order_by": {"field": "bytes", "descending": True}, "limit": 2})
    assert ids(out) == ["b", "a"]
    assert ids(s.post("/list", {"offset": 2})[1]) == ["c"]

    st, agg = s.post("/aggregate", {"sum": ["bytes"], "group_by": "lang"})
    assert st == 200 and agg["count"] == 3 and agg["sums"] == {"bytes": {"Int": 47}}
    assert None in [g["value"] for g in agg["groups"]] and len(agg["groups"]) == 3, "missing is its own group"
    st, agg = s.post("/aggregate", {"sum": ["bytes"]})
    assert agg == {"count": 3, "sums": {"bytes": {"Int": 47}}}, "no groups key without group_by"

    st, recs = s.get("/collections/docs/records")
    assert st == 200 and sorted(ids(recs)) == ["a", "b", "c"]
    assert all(len(r["vector"]) == 3 and set(r) == {"id", "vector", "attrs"} for r in recs)

    st, _, out = s.request("PUT", "/collections/docs/meta", {"owner": "search-team", "e": "v3"})
    assert (st, out) == (200, {"ok": True})
    assert s.get("/collections/docs/meta") == (200, {"owner": "search-team", "e": "v3"})
    assert s.get("/collections/nope/meta") == (200, {})

    assert s.post("/collections/docs/delete", {"ids": ["a", "zz"]}) == (200, {"deleted": 1})
    assert s.post("/collections/docs/delete",
                  {"filter": [{"Eq": ["lang", {"Str": "go"}]}]}) == (200, {"deleted": 1})
    assert s.post("/flush") == (200, {"ok": True})
    st, stats = s.get("/stats")
    assert stats["dimension"] == 3 and stats["distance"] == "Cosine" and stats["collections"] == ["docs"]
    assert stats["footprint"]["dead_rows"] == 2 and stats["footprint"]["doc_count"] == 1
    assert set(stats["footprint"]) == {"rows", "dead_rows", "dimension", "vector_bytes", "doc_count",
                                       "filter_index_bytes"}
    st, _, out = s.request("POST", "/compact")  # bodyless, as every SDK sends it
    assert (st, out) == (200, {"ok": True})
    assert s.get("/stats")[1]["footprint"]["dead_rows"] == 0

    st, cl = s.get("/cluster")
    assert st == 200 and cl["role"] == "Writer" and cl["cluster"] is False and cl["holds_writer_handle"] is True
    st, v = s.get("/versions")
    assert st == 200 and v["pinned"] is None and v["readable"] == [] and v["commit_version"] >= 5
    assert s.post("/refresh") == (200, {"adopted": False})

    st, _, out = s.request("DELETE", "/collections/docs")
    assert (st, out) == (200, {"dropped": "docs"})
    assert s.get("/collections") == (200, [])

    st, h, text = s.request("GET", "/metrics")
    assert st == 200 and h["Content-Type"].startswith("text/plain")
    assert 'nidus_http_requests_total{route="/search",status="2xx"}' in text
    assert 'nidus_http_request_duration_seconds_bucket{route="/search",le="+Inf"}' in text
    assert "nidus_store_rows " in text and "nidus_commit_groups_total " in text


def test_percent_encoded_names(serve, tmp_path):
    s = serve(tmp_path / "s")
    for name in ["a/b c", "ünï cødé", "100%", "q?x#y", "plus+sign"]:
        q = urllib.parse.quote(name, safe="")
        assert s.post(f"/collections/{q}") == (200, {"created": name})
        assert s.post(f"/collections/{q}/upsert", {"records": [{"id": "x", "vector": [1, 2, 3]}]})[0] == 200
        st, recs = s.get(f"/collections/{q}/records")
        assert st == 200 and ids(recs) == ["x"]
        st, hits = s.post("/search", {"query": [1, 2, 3], "scope": [name]})
        assert hits[0]["collection"] == name
    assert sorted(s.get("/collections")[1]) == sorted(["a/b c", "ünï cødé", "100%", "q?x#y", "plus+sign"])
    assert s.post("/collections/a%ZZ")[0] == 400
    assert s.post("/collections/%FF%FE")[0] == 400, "not UTF-8"
    assert s.post("/collections/a%00b")[0] == 400


def test_error_statuses(serve, tmp_path):
    s = serve(tmp_path / "s")
    s.post("/collections/docs/upsert", RECS)

    def err(st_body, status):
        st, body = st_body
        assert st == status, body
        assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"], body
        return body["error"]

    err(s.get("/nope"), 404)
    err(s.get("/search/"), 404)
    err(s.get("/collections//records"), 404)
    err(s.get("/search"), 405)
    # malformed and mistyped bodies
    err(s.request("POST", "/search", raw=b'{"query": [1, 0')[::2], 400)
    err(s.request("POST", "/search", raw=b'[1, 2]')[::2], 400)
    assert "query" in err(s.post("/search", {"top_k": 3}), 400)
    err(s.post("/search", {"query": [1, 0, 0], "top_k": -1}), 400)
    err(s.post("/search", {"query": [1, 0, 0], "top_k": "3"}), 400)
    err(s.post("/search", {"query": "x"}), 400)
    err(s.request("POST", "/search", raw=b'{"query": [1, 0, 0], "scope": ["a\\u0000b"]}')[::2], 400)
    # the library's EDIM and EINVAL
    err(s.post("/search", {"query": [1, 0]}), 400)
    err(s.post("/collections/docs/upsert", {"records": [{"id": "z", "vector": [1, 0]}]}), 400)
    assert err(s.post("/search", {"query": [1, 0, 0], "filter": [{"Nope": []}]}), 400).startswith(
        "invalid filter")
    err(s.post("/collections/docs/upsert", {"records": [{"id": "z", "vector": [1, 0, 0], "atrs": {}}]}), 400)
    err(s.post("/collections/docs/upsert", {}), 400)
    # limits on the page and the batch
    assert err(s.post("/search", {"query": [1, 0, 0], "top_k": 10001}), 400) == \
        "offset 0 + top_k 10001 exceeds the maximum of 10000"
    err(s.post("/search", {"query": [1, 0, 0], "top_k": 5000, "offset": 5001}), 400)
    err(s.post("/search/similar", {"collection": "docs", "id": "a", "top_k": 10001}), 400)
    assert s.post("/search", {"query": [1, 0, 0], "top_k": 10000})[0] == 200
    assert err(s.post("/search/batch", {"queries": []}), 400) == "queries must not be empty"
    q = {"query": [1, 0, 0]}
    assert s.post("/search/batch", {"queries": [q] * 16})[0] == 200
    assert "maximum batch of 16" in err(s.post("/search/batch", {"queries": [q] * 17}), 400)
    err(s.post("/search/batch", {"queries": [q, {"query": [1, 0]}]}), 400)
    err(s.post("/search", {"query": [1, 0, 0], "include_attributes": ["a"], "exclude_attributes": ["b"]}), 400)
    err(s.post("/search", {"query": [1, 0, 0], "rank_by": {"x": 1}}), 400)
    # JSON nesting
    deep = "[" * 300 + "]" * 300
    err(s.request("POST", "/search", raw=('{"query": [1,0,0], "filter": %s}' % deep).encode())[::2], 400)
    # 404 where the store says so
    assert "no record" in err(s.post("/search/similar", {"collection": "docs", "id": "zz"}), 404)
    err(s.post("/search/similar", {"collection": "nope", "id": "a"}), 404)
    # features this store lacks
    err(s.post("/text-search", {"field": "t", "query": "x"}), 501)
    err(s.post("/compact", {"expired": True}), 400)
    assert s.get("/stats")[1]["footprint"]["doc_count"] == 3, "no failed request changed the store"


def test_capacity_is_507_and_the_server_survives(serve, tmp_path):
    s = serve(tmp_path / "s", "--max-vector-bytes", 24)  # two rows of dim 3
    assert s.post("/collections/d/upsert", {"records": RECS["records"][:2]})[0] == 200
    st, body = s.post("/collections/d/upsert", {"records": [RECS["records"][2]]})
    assert st == 507 and "max_vector_bytes" in body["error"]
    assert s.get("/stats")[1]["footprint"]["doc_count"] == 2
    assert s.post("/search", {"query": [1, 0, 0]})[0] == 200


def test_filter_index_route(serve, tmp_path):
    d = tmp_path / "s"
    s = serve(d)
    recs = {"records": [{"id": str(i), "vector": [1, i, 0], "attrs": {"lang": {"Str": ["en", "de", "fr"][i % 3]},
                                                                   "path": {"Str": f"src/{i}.rs"}}}
                        for i in range(300)]}
    assert s.post("/collections/docs/upsert", recs)[0] == 200
    filt = {"query": [1, 0, 0], "top_k": 7, "filter": [{"Eq": ["lang", {"Str": "de"}]}, {"Glob": ["path", "src/1*"]}]}
    before = s.post("/search", filt)[1]
    assert s.get("/stats")[1]["footprint"]["filter_index_bytes"] == 0
    st, body = s.post("/collections/docs/filter-index", {"fields": ["lang", {"field": "path", "tokens": True}]})
    assert (st, body) == (200, {"ok": True})
    assert s.get("/stats")[1]["footprint"]["filter_index_bytes"] > 0
    assert s.post("/search", filt)[1] == before, "the index is speed only"
    metrics = s.get("/metrics")[1]
    assert "nidus_store_filter_index_bytes" in metrics and "nidus_store_shadow_bytes" in metrics
    # the server opens the store with mapped rows: every vector byte is mapped
    vb = [l for l in metrics.splitlines() if l.startswith("nidus_store_vector_bytes ")][0].split()[1]
    assert ("nidus_store_mapped_bytes %s" % vb) in metrics
    for bad in [{"fields": [3]}, {}, {"fields": [""]}, {"fields": ["a", "a"]}]:
        st, body = s.post("/collections/docs/filter-index", bad)
        assert st == 400 and body["error"], bad
    assert s.stop() == 0
    s2 = serve(d)  # the declaration is logged: it survives a restart
    assert s2.get("/stats")[1]["footprint"]["filter_index_bytes"] > 0
    assert s2.post("/search", filt)[1] == before
    r = serve(d, read_only=True)
    assert r.post("/collections/docs/filter-index", {"fields": ["lang"]})[0] == 403


def test_concurrent_failures_each_get_their_own_message(serve, tmp_path):
    # Requests failing at once on the one handle: each answer carries its own
    # library error (the library keeps a failure per thread as well as per handle).
    s = serve(tmp_path / "s")
    s.post("/collections/docs/upsert", RECS)
    # Same code (EDIM), different messages: a swapped message cannot hide behind the
    # generic text the server falls back to when the code differs.
    kinds = [(lambda: s.post("/search", {"query": [1, 0]}), 400, "query length 2 does not match"),
             (lambda: s.post("/search", {"query": [1, 0, 0, 0]}), 400, "query length 4 does not match")]
    wrong = []

    def run(k):
        call, status, needle = kinds[k % 2]
        for _ in range(150):
            st, body = call()
            if st != status or needle not in body.get("error", ""):
                wrong.append((k, st, body))

    ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not wrong, wrong[:3]
    assert s.stop() == 0

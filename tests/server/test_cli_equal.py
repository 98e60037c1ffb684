"""The server answers exactly what the CLI prints for the same store and options."""
import json
import random
import re

from conftest import cli

DIM = 16


def fill(s):
    rnd = random.Random(13)
    for c in ["alpha", "beta", "a/b c"]:
        recs = []
        for i in range(150):
            attrs = {"n": {"Int": rnd.randrange(-50, 50)}, "x": {"Float": rnd.uniform(-1, 1) / 3},
                     "lang": {"Str": rnd.choice(["en", "de", "fr"])}}
            if i % 7 == 0:
                del attrs["lang"]
            recs.append({"id": f"{c}-{i}", "vector": [rnd.gauss(0, 1) for _ in range(DIM)], "attrs": attrs})
        assert s.post(f"/collections/{c.replace('/', '%2F').replace(' ', '%20')}/upsert",
                      {"records": recs})[0] == 200
    return rnd


def test_search_list_aggregate_similar_equal_the_cli(serve, tmp_path):
    d = tmp_path / "s"
    s = serve(d, dim=DIM)
    rnd = fill(s)
    where = [{"Any": [{"Eq": ["lang", {"Str": "en"}]}, {"Gt": ["n", {"Int": 30}]}]}]
    for _ in range(5):
        q = [rnd.gauss(0, 1) for _ in range(DIM)]
        qf = tmp_path / "q.json"
        qf.write_text(json.dumps(q))
        st, hits = s.post("/search", {"query": q, "top_k": 12})
        assert st == 200 and hits == cli(d, "search", "--query-file", qf, "-k", 12)
        st, hits = s.post("/search", {"query": q, "top_k": 5, "offset": 7, "scope": ["beta", "a/b c"],
                                      "filter": where, "include_attributes": ["x"]})
        assert hits == cli(d, "search", "beta", "a/b c", "--query-file", qf, "-k", 5, "--offset", 7,
                           "--where", json.dumps(where), "--include-attr", "x")
        st, out = s.post("/search/batch", {"queries": [{"query": q, "top_k": 12}, {"query": q, "top_k": 12}]})
        assert out["results"][0] == out["results"][1] == cli(d, "search", "--query-file", qf, "-k", 12)
    st, out = s.post("/list", {"filter": where, "order_by": {"field": "x", "descending": True}, "limit": 40,
                               "offset": 3})
    assert out == cli(d, "list", "--where", json.dumps(where), "--order-by", "x", "--desc", "-n", 40,
                      "--offset", 3)
    st, agg = s.post("/aggregate", {"scope": ["alpha", "a/b c"], "sum": ["n", "x"], "group_by": "lang"})
    want = cli(d, "aggregate", "alpha", "a/b c", "--sum", "n", "--sum", "x", "--group-by", "lang")
    if not want["groups_truncated"]:
        del want["groups_truncated"]
    assert agg == want
    st, sim = s.post("/search/similar", {"collection": "alpha", "id": "alpha-3", "top_k": 9,
                                         "scope": ["alpha", "beta"]})
    assert sim == cli(d, "similar", "alpha", "alpha-3", "--scope", "alpha", "--scope", "beta", "-k", 9)
    st, recs = s.get("/collections/a%2Fb%20c/records")
    got = cli(d, "get", "a/b c", *[r["id"] for r in recs[:5]])
    assert [(r["id"], r["vector"], r["attrs"]) for r in recs[:5]] == \
        [(r["id"], r["vector"], r["attrs"]) for r in got]


def test_concurrent_searches_grouped_into_batches_answer_as_alone(serve, tmp_path):
    import threading
    dim = 192
    s = serve(tmp_path / "s", "--max-concurrent-scans", 1, dim=dim)  # one scan at a time: others queue
    rnd = random.Random(5)
    for c in range(4):
        recs = [{"id": f"{c}-{i}", "vector": [rnd.random() - 0.5 for _ in range(dim)],
                 "attrs": {"n": {"Int": rnd.randrange(-9, 9)}}} for i in range(2000)]
        assert s.post(f"/collections/c{c}/upsert", {"records": recs})[0] == 200
    queries = [[rnd.random() - 0.5 for _ in range(dim)] for _ in range(32)]
    opts = [{"top_k": 10}, {"top_k": 3, "offset": 2, "scope": ["c1", "c3"]},
            {"top_k": 5, "filter": [{"Lt": ["n", {"Int": 0}]}]}]
    alone = {}
    for qi, q in enumerate(queries):  # one at a time: never grouped
        for oi, o in enumerate(opts):
            alone[qi, oi] = s.post("/search", {"query": q, **o})[1]
    metric = lambda name: int(re.search(rf"^{name} (\d+)$", s.get("/metrics")[1], re.M).group(1))
    base_groups, base = metric("nidus_search_groups_total"), metric("nidus_search_grouped_total")
    assert base_groups == base == len(alone)
    got, lock = {}, threading.Lock()

    def client(qi):
        for oi, o in enumerate(opts):
            st, hits = s.post("/search", {"query": queries[qi], **o})
            with lock:
                got[qi, oi] = (st, hits)

    for rounds in range(1, 6):
        ts = [threading.Thread(target=client, args=(qi,)) for qi in range(len(queries))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for k, (st, hits) in got.items():
            assert st == 200 and hits == alone[k], k
        if metric("nidus_search_groups_total") - base_groups < metric("nidus_search_grouped_total") - base:
            break
    groups, grouped = metric("nidus_search_groups_total") - base_groups, metric("nidus_search_grouped_total") - base
    assert grouped == rounds * len(alone)
    assert groups < grouped, "32 concurrent clients behind one scan slot never shared a scan"

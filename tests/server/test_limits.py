"""Token, body limit, load shedding, concurrency."""
import threading

from conftest import Server


def test_token(serve, tmp_path):
    s = serve(tmp_path / "s", token="s3cret-token")
    assert s.banner.endswith("(Ctrl-C / SIGTERM to stop) (bearer-token auth required)")
    for bad in [None, "Bearer wrong-token!", "Bearer s3cret-toke", "Bearer s3cret-token-and-more",
                "s3cret-token", "Basic s3cret-token", "Bearer "]:
        h = {"Authorization": bad} if bad else {}
        st, _, body = s.request("GET", "/collections", headers=h, auth=False)
        assert (st, body) == (401, {"error": "missing or invalid bearer token"}), bad
        st, _, body = s.request("POST", "/collections/x/upsert", {"records": []}, headers=h, auth=False)
        assert st == 401
    assert s.get("/collections") == (200, [])
    # probes stay open
    for path in ["/health", "/ready", "/metrics"]:
        assert s.request("GET", path, auth=False)[0] == 200
    assert "x" not in s.get("/collections")[1], "a refused upsert wrote nothing"


def test_body_limit(serve, tmp_path):
    s = serve(tmp_path / "s", "--max-body-bytes", 2048)
    rec = {"records": [{"id": "a", "vector": [1, 2, 3]}]}
    assert s.post("/collections/d/upsert", rec)[0] == 200
    big = b'{"records": [], "pad": "' + b"x" * 4096 + b'"}'
    st, h, body = s.request("POST", "/collections/d/upsert", raw=big,
                            headers={"Content-Type": "application/json"})
    assert st == 413 and "2048-byte limit" in body["error"] and h["X-Request-Id"]
    exact = b'{"records": [], "pad": "' + b"x" * (2048 - 26) + b'"}'
    assert len(exact) == 2048
    assert s.request("POST", "/collections/d/upsert", raw=exact)[0] == 200
    st, text = s.get("/metrics")
    assert "nidus_http_requests_too_large_total 1" in text


def test_shedding_503_with_retry_after(serve, tmp_path):
    s = serve(tmp_path / "s", "--max-concurrent-requests", 1, dim=64)
    recs = [{"id": str(i), "vector": [((i * 7 + j) % 13) / 13.0 + 0.01 for j in range(64)]} for i in range(4000)]
    assert s.post("/collections/d/upsert", {"records": recs})[0] == 200
    q = {"query": [0.5] * 64, "top_k": 10}
    seen, lock = [], threading.Lock()

    def hammer():
        for _ in range(30):
            st, h, body = s.request("POST", "/search", q)
            with lock:
                seen.append((st, h.get("Retry-After"), body))

    for _round in range(5):
        ts = [threading.Thread(target=hammer) for _ in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if any(st == 503 for st, _, _ in seen):
            break
    assert {st for st, _, _ in seen} <= {200, 503}
    shed = [(ra, b) for st, ra, b in seen if st == 503]
    assert shed, "12 clients against a limit of 1 were never shed"
    for ra, b in shed:
        assert ra == "1" and b["retryable"] is True and "--max-concurrent-requests" in b["error"]
    ok = [b for st, _, b in seen if st == 200]
    assert ok and all(b == ok[0] for b in ok), "every admitted search answered the same"
    # probes are never shed
    assert s.get("/health")[0] == 200
    st, text = s.get("/metrics")
    assert f"nidus_http_requests_shed_total {len(shed)}" in text


def test_parallel_searches_and_writes(serve, tmp_path):
    s = serve(tmp_path / "s", dim=8)
    errors = []

    def writer(w):
        for i in range(40):
            st, b = s.post(f"/collections/c{w % 2}/upsert",
                           {"records": [{"id": f"{w}-{i}", "vector": [w + 1, i + 1, 1, 0, 0, 0, 0, 1]}]})
            if st != 200:
                errors.append(b)

    def reader():
        for _ in range(40):
            st, b = s.post("/search", {"query": [1] * 8, "top_k": 5})
            if st != 200:
                errors.append(b)

    ts = [threading.Thread(target=writer, args=(w,)) for w in range(6)] + \
         [threading.Thread(target=reader) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert s.get("/stats")[1]["footprint"]["doc_count"] == 240
    text = s.get("/metrics")[1]
    vals = {l.split()[0]: int(l.split()[1]) for l in text.splitlines()
            if l.startswith("nidus_commit_")}
    assert vals["nidus_commit_writes_total"] == 240
    assert 1 <= vals["nidus_commit_groups_total"] <= 240


def test_group_commit_shares_flushes_and_isolates_bad_writes(serve, tmp_path):
    s = serve(tmp_path / "s", dim=4)
    results, lock = [], threading.Lock()

    def writer(w):
        for i in range(25):
            good = (w + i) % 5 != 0
            vec = [w + 1, i + 1, 1, 0] if good else [1, 2]  # a wrong dimension now and then
            st, b = s.post("/collections/same/upsert", {"records": [{"id": f"{w}-{i}", "vector": vec}]})
            with lock:
                results.append((good, f"{w}-{i}", st, b))

    ts = [threading.Thread(target=writer, args=(w,)) for w in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for good, rid, st, b in results:
        assert st == (200 if good else 400), (rid, st, b)
        if not good:
            assert "dimension" in b["error"], b
    have = {r["id"] for r in s.get("/collections/same/records")[1]}
    assert have == {rid for good, rid, _, _ in results if good}, "a bad request in a group spoils nothing"
    text = s.get("/metrics")[1]
    vals = {l.split()[0]: int(l.split()[1]) for l in text.splitlines() if l.startswith("nidus_commit_")}
    assert vals["nidus_commit_writes_total"] == len(have)
    assert vals["nidus_commit_groups_total"] < vals["nidus_commit_writes_total"], \
        "16 concurrent writers never shared a flush"

"""One writer per store, graceful and hard stops, read-only servers beside a writer."""
import os
import signal
import subprocess
import threading
import time

from conftest import NIDUS, Server


def test_second_writer_is_refused(serve, tmp_path):
    d = tmp_path / "s"
    s = serve(d)
    r = subprocess.run([NIDUS, "serve", "--dir", str(d), "--dim", "3", "--addr", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "locked" in r.stderr, r.stderr
    assert s.get("/health")[0] == 200, "the first server is unharmed"


def test_sigterm_flushes_releases_the_lock_and_reopens(serve, tmp_path):
    d = tmp_path / "s"
    s = serve(d)
    assert s.post("/collections/docs/upsert", {"records": [
        {"id": "a", "vector": [1, 0, 0], "attrs": {"k": {"Int": 1}}},
        {"id": "b", "vector": [0, 1, 0]}]})[0] == 200
    assert s.stop(signal.SIGTERM) == 0
    s2 = serve(d)  # would fail "locked" if the lock were still held
    assert s2.get("/stats")[1]["footprint"]["doc_count"] == 2
    assert s2.post("/search", {"query": [0, 1, 0], "top_k": 1})[1][0]["id"] == "b"
    assert s2.stop(signal.SIGINT) == 0
    s3 = serve(d)
    assert s3.get("/collections") == (200, ["docs"])


def test_sigterm_lets_in_flight_requests_finish(serve, tmp_path):
    s = serve(tmp_path / "s", dim=64)
    recs = [{"id": str(i), "vector": [(i % 17) + 1.0] * 63 + [float(i)]} for i in range(3000)]
    results = []

    def upsert():
        results.append(s.post("/collections/d/upsert", {"records": recs})[0])

    t = threading.Thread(target=upsert)
    t.start()
    time.sleep(0.05)
    assert s.stop(signal.SIGTERM) == 0
    t.join()
    # the upsert either finished (200) or never reached the server (connection refused)
    s2 = serve(tmp_path / "s", dim=64)
    n = s2.get("/stats")[1]["footprint"]["doc_count"]
    if results == [200]:
        assert n == 3000
    else:
        assert n in (0, 3000)


def test_sigkill_loses_no_acknowledged_write(serve, tmp_path):
    d = tmp_path / "s"
    s = serve(d, dim=4)
    acked, lock = [], threading.Lock()
    stop = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set():
            rid = f"w{w}-{i}"
            try:
                st, _ = s.post(f"/collections/c{w % 3}/upsert",
                               {"records": [{"id": rid, "vector": [w + 1, i + 1, 1, 2],
                                             "attrs": {"i": {"Int": i}}}]})
            except OSError:
                return  # the server died under this request: not acknowledged
            if st == 200:
                with lock:
                    acked.append((f"c{w % 3}", rid))
            i += 1

    ts = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in ts:
        t.start()
    time.sleep(1.5)
    s.proc.kill()  # SIGKILL, mid-write
    s.proc.wait()
    stop.set()
    for t in ts:
        t.join()
    assert len(acked) > 20
    s2 = serve(d, dim=4)  # the dead writer's lock is reclaimable
    have = set()
    for c in ["c0", "c1", "c2"]:
        st, recs = s2.get(f"/collections/{c}/records")
        assert st == 200
        have |= {(c, r["id"]) for r in recs}
    missing = [a for a in acked if a not in have]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"


def test_read_only_server_beside_a_writer(serve, tmp_path):
    d = tmp_path / "s"
    w = serve(d)
    assert w.post("/collections/docs/upsert", {"records": [{"id": "a", "vector": [1, 0, 0]}]})[0] == 200
    r = serve(d, read_only=True)
    r2 = serve(d, read_only=True)  # many readers, no lock
    assert r.get("/ready")[1]["role"] == "Reader"
    assert r.get("/cluster")[1]["holds_writer_handle"] is False
    assert [h["id"] for h in r.post("/search", {"query": [1, 0, 0]})[1]] == ["a"]
    for st_body in [r.post("/collections/docs/upsert", {"records": [{"id": "b", "vector": [0, 1, 0]}]}),
                    r.post("/collections/x"), r.post("/collections/docs/delete", {"ids": ["a"]}),
                    r.post("/flush"), r.post("/compact")]:
        assert st_body[0] == 403 and "read-only" in st_body[1]["error"], st_body
    # the writer keeps writing; the reader sees its snapshot until /refresh
    assert w.post("/collections/docs/upsert", {"records": [{"id": "b", "vector": [0, 1, 0]}]})[0] == 200
    assert r.get("/stats")[1]["footprint"]["doc_count"] == 1
    assert r.post("/refresh") == (200, {"adopted": True})
    assert r.get("/stats")[1]["footprint"]["doc_count"] == 2
    assert r.post("/refresh") == (200, {"adopted": False})
    assert r2.get("/stats")[1]["footprint"]["doc_count"] == 1
    assert r.stop() == 0 and r2.stop() == 0
    assert w.get("/health")[0] == 200


def test_read_only_of_a_missing_store_fails(tmp_path):
    r = subprocess.run([NIDUS, "serve", "--dir", str(tmp_path / "none"), "--read-only", "--addr", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stderr.startswith("error: ")
    r = subprocess.run([NIDUS, "serve", "--dir", str(tmp_path / "none"), "--addr", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "--dim" in r.stderr
    r = subprocess.run([NIDUS, "serve", "--dir", str(tmp_path / "x"), "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2

"""Threads and processes: the GIL is released during library calls, threads search
while one writes, close() waits for calls in flight, a reader process runs beside a
writer process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import nidus

np = pytest.importorskip("numpy")


def big_store(n=20000, d=64, seed=0):
    db = nidus.Store.memory(d, distance="dot")
    rng = np.random.default_rng(seed)
    db.upsert_many("c", [f"r{i}" for i in range(n)], rng.standard_normal((n, d)).astype(np.float32))
    return db


def test_gil_released_during_search():
    db = big_store()
    qs = np.random.default_rng(1).standard_normal((64, 64)).astype(np.float32)
    done = threading.Event()
    spins = 0

    def work():
        for _ in range(10):
            db.search_batch(qs, threads=1)
            for q in qs[:8]:
                db.search(query=q, threads=1)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    # While the worker is inside the library, this thread keeps running Python code;
    # were the GIL held, it would be starved for the whole call.
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 10000


def test_gil_released_during_upsert_and_open(tmp_path):
    vecs = np.random.default_rng(2).standard_normal((30000, 64)).astype(np.float32)
    ids = [f"r{i}" for i in range(len(vecs))]
    done = threading.Event()
    spins = 0

    def work():
        with nidus.Store(tmp_path / "s", dim=64, fsync="on_flush") as db:
            db.upsert_many("c", ids, vecs)
        for _ in range(3):
            nidus.Store(tmp_path / "s", read_only=True).close()
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 10000


def test_threads_search_while_one_writes():
    d = 16
    db = nidus.Store.memory(d, distance="dot")
    rng = np.random.default_rng(3)
    base = rng.standard_normal((500, d)).astype(np.float32)
    db.upsert_many("c", [f"b{i}" for i in range(500)], base)
    errors = []
    stop = threading.Event()

    def writer():
        try:
            for k in range(60):
                db.upsert_many("w", [f"w{k}_{i}" for i in range(20)], rng.standard_normal((20, d)).astype(np.float32),
                               [{"k": k}] * 20)
                if k % 10 == 9:
                    db.delete_where("w", [nidus.f.lt("k", k - 5)])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            stop.set()

    def reader(seed):
        r = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                q = r.standard_normal(d).astype(np.float32)
                hits = db.search(query=q, top_k=20, scope=["c"])
                # The static collection always answers the same as a brute-force scan.
                want = np.argsort(-(base @ q), kind="stable")[:20]
                assert [h.id for h in hits] == [f"b{i}" for i in want]
                batch = db.search_batch(np.stack([q, q]), top_k=5)
                assert batch[0] == batch[1]
                db.records("w")
        except Exception as e:
            errors.append(e)

    ts = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert {int(r.attrs["k"]) for r in db.records("w")} <= set(range(50, 60))


def test_close_waits_for_calls_in_flight():
    db = big_store(n=30000)
    qs = np.random.default_rng(4).standard_normal((128, 64)).astype(np.float32)
    results = []
    started = threading.Event()

    def work():
        started.set()
        try:
            for _ in range(5):
                results.append(len(db.search_batch(qs, threads=1)))
        except nidus.MisuseError:
            results.append("closed")

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    time.sleep(0.01)
    db.close()  # never frees the handle under a running search
    t.join()
    assert results and all(r in (128, "closed") for r in results)
    with pytest.raises(nidus.MisuseError):
        db.search(query=qs[0])


WRITER = textwrap.dedent("""
    import sys, numpy as np, nidus
    path, rounds = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(7)
    with nidus.Store(path, dim=8) as db:
        print("open", flush=True)
        sys.stdin.readline()  # the parent tried a second writer meanwhile
        for k in range(rounds):
            # each batch: 10 records sharing one "k", all-or-nothing
            db.upsert_many("c", [f"{k}_{i}" for i in range(10)], rng.standard_normal((10, 8)).astype(np.float32),
                           [{"k": k}] * 10)
    print("done", flush=True)
""")

READER = textwrap.dedent("""
    import sys, collections, nidus
    path = sys.argv[1]
    seen = 0
    while True:
        with nidus.Store(path, read_only=True) as db:
            recs = db.records("c") if db.has_collection("c") else []
            counts = collections.Counter(r.attrs["k"] for r in recs)
            # A snapshot is a prefix of the writer's log: whole batches, then possibly a
            # prefix of the batch being appended (the reader rule of docs/FORMAT.md 6.3;
            # a batch's frames are not atomic for a concurrent reader).
            ks = sorted(counts)
            assert ks == list(range(len(ks))), ks
            assert all(counts[k] == 10 for k in ks[:-1]) and (not ks or 1 <= counts[ks[-1]] <= 10), counts
            last = [int(r.id.split("_")[1]) for r in recs if ks and r.attrs["k"] == ks[-1]]
            assert sorted(last) == list(range(len(last))), last  # in the batch's own order
            hits = db.search(query=[1] * 8, top_k=5)
            assert len(hits) == min(5, len(recs))
            seen = len(recs)
        if sys.stdin.readline().strip() == "stop":
            break
        print(seen, flush=True)
    print("reader", seen, flush=True)
""")


def test_reader_process_beside_writer_process(tmp_path):
    path = str(tmp_path / "shared")
    env = dict(os.environ)
    w = subprocess.Popen([sys.executable, "-c", WRITER, path, "200"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env=env)
    try:
        assert w.stdout.readline().strip() == "open"
        with pytest.raises(nidus.LockedError):  # one writer per store, across processes
            nidus.Store(path)
        r = subprocess.Popen([sys.executable, "-c", READER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=env)
        w.stdin.write("go\n")
        w.stdin.flush()
        snapshots = []
        while w.poll() is None and len(snapshots) < 400:
            r.stdin.write("again\n")
            r.stdin.flush()
            snapshots.append(int(r.stdout.readline()))
        r.stdin.write("again\nstop\n")
        r.stdin.flush()
        out, _ = r.communicate(timeout=60)
        assert r.returncode == 0, out
        assert w.wait(timeout=60) == 0
        assert snapshots == sorted(snapshots)  # each new snapshot holds at least the last one
        with nidus.Store(path) as db:  # the writer is gone: its lock too
            assert len(db.records("c")) == 2000
    finally:
        for p in (w,):
            if p.poll() is None:
                p.kill()

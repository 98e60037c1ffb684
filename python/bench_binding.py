#!/usr/bin/env python3
"""What the Python binding costs over the C library, measured in one process.

    PYTHONPATH=build/python /usr/bin/python3 python/bench_binding.py [--n 100000] [--dim 384]

1. Per-query overhead: single-query Store.search(query=ndarray, top_k=10) against the
   same nidus_search call made from C on the same handle and data (Store._bench_c_search,
   a loop in the extension). Rounds alternate Python and C so both see the same cache
   and machine load; the figure is the median over rounds of (python - C) / C.
   Target: under 5% at 100k x 384.
2. upsert_many throughput against the C API: one batch of n float32 vectors into a new
   in-memory store, through upsert_many (ids from a Python list, the matrix read through
   the buffer protocol) and through records built in C and nidus_upsert
   (Store._bench_c_upsert), best of a few runs each.

The last line is the summary:
    bench-binding: query overhead X% (py A us, C B us, n x d), upsert_many Y% of C (P vs Q rows/s)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

# The sources next to this file are not the built package: prefer PYTHONPATH (or an
# installed nidus), else the in-tree build of `make python`.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
try:
    import nidus
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "build", "python"))
    import nidus


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="scan threads per query (0: every core)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--per-round", type=int, default=10, help="queries per round and side")
    ap.add_argument("--upsert-runs", type=int, default=3)
    a = ap.parse_args()

    rng = np.random.default_rng(42)
    vecs = rng.standard_normal((a.n, a.dim), dtype=np.float32)
    ids = [f"r{i}" for i in range(a.n)]
    queries = rng.standard_normal((a.rounds * a.per_round, a.dim), dtype=np.float32)

    # ---- upsert_many vs C ----
    py_t, c_t = [], []
    for _ in range(a.upsert_runs):
        db = nidus.Store.memory(a.dim)
        t0 = time.perf_counter()
        db.upsert_many("c", ids, vecs)
        py_t.append(time.perf_counter() - t0)
        db.close()
        db = nidus.Store.memory(a.dim)
        c_t.append(db._bench_c_upsert("c", vecs))
        if _ != a.upsert_runs - 1:
            db.close()
    py_rate, c_rate = a.n / min(py_t), a.n / min(c_t)
    print(f"upsert_many: {py_rate:,.0f} rows/s; C API: {c_rate:,.0f} rows/s ({100 * py_rate / c_rate:.1f}% of C)")

    # ---- per-query overhead ----
    for q in queries[:3]:  # warm up both paths
        db.search(query=q, top_k=a.top_k, threads=a.threads)
        db._bench_c_search(q, a.top_k, a.threads, 1)
    ratios, py_us, c_us = [], [], []
    for r in range(a.rounds):
        qs = queries[r * a.per_round:(r + 1) * a.per_round]
        t0 = time.perf_counter()
        for q in qs:
            db.search(query=q, top_k=a.top_k, threads=a.threads)
        tp = (time.perf_counter() - t0) / len(qs)
        tc = sum(db._bench_c_search(q, a.top_k, a.threads, 1) for q in qs) / len(qs)
        ratios.append((tp - tc) / tc)
        py_us.append(tp * 1e6)
        c_us.append(tc * 1e6)
    over = statistics.median(ratios) * 100
    pyq, cq = statistics.median(py_us), statistics.median(c_us)
    print(f"single query ({a.n} x {a.dim}, top_k {a.top_k}, threads {a.threads}): python {pyq:.0f} us, "
          f"C {cq:.0f} us, overhead {over:+.2f}% (median of {a.rounds} rounds; "
          f"absolute {pyq - cq:+.1f} us)")
    # The absolute cost per call shows better on a small store, where the scan is short.
    small = nidus.Store.memory(a.dim)
    small.upsert_many("c", ids[:1000], vecs[:1000])
    q = queries[0]
    best_py = best_c = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(500):
            small.search(query=q, top_k=a.top_k, threads=1)
        best_py = min(best_py, (time.perf_counter() - t0) / 500)
        best_c = min(best_c, small._bench_c_search(q, a.top_k, 1, 500) / 500)
    print(f"per-call cost on 1000 x {a.dim}: python {best_py * 1e6:.1f} us, C {best_c * 1e6:.1f} us "
          f"(binding {1e6 * (best_py - best_c):+.1f} us per query: conversion, GIL release, {a.top_k} Hit objects)")
    verdict = "ok" if over < 5 else "ABOVE TARGET"
    print(f"bench-binding: query overhead {over:+.2f}% [{verdict}, target < 5%] (py {pyq:.0f} us, C {cq:.0f} us, "
          f"{a.n} x {a.dim}), upsert_many {100 * py_rate / c_rate:.1f}% of C ({py_rate:,.0f} vs {c_rate:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

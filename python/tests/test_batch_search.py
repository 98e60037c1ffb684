"""The SDK's batch_search: legs as search() would answer them, and RRF fusion as nidus
computes it (float32, ties by collection then id)."""

from __future__ import annotations

import random

import pytest

import nidus
from nidus import f

np = pytest.importorskip("numpy")


def store():
    db = nidus.Store.memory(3, distance="dot")
    r = random.Random(1)
    db.upsert("a", [{"id": f"a{i}", "vector": [r.uniform(-1, 1) for _ in range(3)], "attrs": {"i": i}}
                    for i in range(40)])
    db.upsert("b", [{"id": f"b{i}", "vector": [r.uniform(-1, 1) for _ in range(3)]} for i in range(20)])
    return db


QS = [[1, 0, 0], [0, 1, 0], [0.5, 0.5, -1]]


def test_legs_equal_searches():
    db = store()
    same = [{"query": q, "top_k": 5, "scope": ["a"]} for q in QS]  # one search_batch
    mixed = [{"query": QS[0], "top_k": 3}, {"query": QS[1], "filter": [f.lt("i", 10)]},
             {"query": QS[2], "scope": ["b"], "min_score": 0.0}]
    for legs in (same, mixed, same[:1]):
        assert db.batch_search(legs) == [db.search(**q) for q in legs]


def test_rrf_fusion_model():
    db = store()
    legs = [{"query": q, "top_k": 8} for q in QS]
    per = [db.search(**q) for q in legs]
    for weights, rrf_k, k in (([], 60.0, 10), ([1, 2, 0.5], 1.0, 30), ([0, 1, 1], 0.0, 5)):
        got = db.batch_search(legs, fuse=True, weights=weights or None, rrf_k=rrf_k, top_k=k)
        assert len(got) == 1
        ws = np.float32(weights) if weights else np.ones(3, np.float32)
        acc = {}
        for w, hits in zip(ws, per):
            for rank, h in enumerate(hits):
                c = np.float32(w) * (np.float32(1) / (np.float32(rrf_k) + np.float32(rank) + np.float32(1)))
                acc[(h.collection, h.id)] = np.float32(acc.get((h.collection, h.id), np.float32(0)) + c)
        want = sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        assert [(h.collection, h.id, h.score) for h in got[0]] == [(c, i, float(s)) for (c, i), s in want]
    # attrs come from the first leg returning the record
    first = {(h.collection, h.id): h.attrs for hits in per[::-1] for h in hits}
    for h in db.batch_search(legs, fuse=True, top_k=100)[0]:
        assert h.attrs == first[(h.collection, h.id)]


def test_batch_search_errors():
    db = store()
    q = {"query": QS[0]}
    for args, kw, exc in [([], {}, ValueError), ([q] * 17, {}, ValueError), (q, {}, TypeError),
                          ([{"top_k": 3}], {}, TypeError), ([dict(q, rerank={"query": "x"})], {}, ValueError),
                          ([q, q], {"fuse": True, "weights": [1]}, ValueError),
                          ([q], {"fuse": True, "weights": [-1]}, ValueError),
                          ([q], {"fuse": True, "weights": [float("nan")]}, ValueError),
                          ([q], {"fuse": True, "rrf_k": -1}, ValueError),
                          ([q], {"fuse": True, "top_k": 10001}, ValueError),
                          ([dict(q, bogus=1)], {}, TypeError), ([{"query": [1, 2]}], {}, nidus.DimensionError)]:
        with pytest.raises(exc):
            db.batch_search(args, **kw)

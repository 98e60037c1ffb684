"""A failed call leaves the store byte for byte as it was, and no input crashes the
process: random arguments to every method raise only the documented exceptions."""

from __future__ import annotations

import datetime as dt
import random

import pytest

import nidus
from nidus import f

from conftest import store_bytes

np = pytest.importorskip("numpy")

ALLOWED = (TypeError, ValueError, OverflowError, nidus.NidusError)


def seeded(path):
    db = nidus.Store(path, dim=3)
    db.upsert("c", [{"id": f"r{i}", "vector": [1, i, 2], "attrs": {"i": i, "s": f"x{i}"}} for i in range(5)])
    db.set_meta("c", {"k": "v"})
    return db


FAILING = [
    lambda db: db.upsert("c", [{"id": "n", "vector": [1, 2]}]),
    lambda db: db.upsert("c", [{"id": "n", "vector": [1, float("nan"), 2]}]),
    lambda db: db.upsert("c", [{"id": "a", "vector": [1, 2, 3]}, {"id": "b", "vector": [1, 2, 3], "attrs": {"x": {1}}}]),
    lambda db: db.upsert("new", [{"id": "n", "vector": [1, 2, 3], "attrs": {"t": dt.datetime(2020, 1, 1)}}]),
    lambda db: db.upsert("c\0", [{"id": "n", "vector": [1, 2, 3]}]),
    lambda db: db.upsert("\xff\udcff", [{"id": "n", "vector": [1, 2, 3]}]),
    lambda db: db.upsert_many("c", ["a", "b"], np.ones((2, 3))),
    lambda db: db.upsert_many("c", ["a", "b"], np.full((2, 3), np.inf, np.float32)),
    lambda db: db.upsert_many("c", ["a"], np.ones((2, 3), np.float32)),
    lambda db: db.upsert_many("c", ["a", "b"], np.ones((2, 4), np.float32)),
    lambda db: db.delete("c", "r1"),
    lambda db: db.delete("c", ["r1", None]),
    lambda db: db.delete_where("c", []),
    lambda db: db.delete_where("c", [f.regex("s", "(")]),
    lambda db: db.delete_where("c", [f.fuzzy("s", "x", 99)]),
    lambda db: db.delete_where("c", [{"Eq": ["i"]}]),
    lambda db: db.set_meta("c", {"a": "b\0"}),
    lambda db: db.set_meta("c", 5),
    lambda db: db.create_collection("a\0"),
    lambda db: db.drop_collection(None),
    lambda db: db.search(query=[1, 2]),
    lambda db: db.search_batch(np.ones((2, 2), np.float32)),
]


def test_store_bytes_unchanged_after_failed_calls(store_dir):
    with seeded(store_dir) as db:
        before = store_bytes(store_dir)
        records = db.records("c")
        failed = 0
        for call in FAILING:
            try:
                call(db)
            except ALLOWED:
                failed += 1
            assert store_bytes(store_dir) == before, call
        assert db.records("c") == records and db.get_meta("c") == {"k": "v"}
        assert failed == len(FAILING)
    with nidus.Store(store_dir, read_only=True) as r:
        assert r.records("c") == records


# ---- random arguments ----

POOL = [None, True, 0, -1, 2**70, 1.5, float("nan"), float("inf"), "", "c", "x\0", "\udc80", b"c", [], [1], ["c"],
        ["a", None], (), {}, {"id": "a"}, {"id": "a", "vector": [1, 2, 3]}, {"Eq": ["i", 1]}, [{"Eq": ["i", 1]}],
        [{"Bad": 1}], object(), np.ones(3, np.float32), np.ones((2, 3), np.float32), np.ones((2, 3)),
        np.ones((1, 3), np.float32)[:, ::2], np.array([np.nan] * 3, np.float32), dt.datetime(2020, 1, 1),
        [{"id": "z", "vector": [1, 2, 3], "attrs": {"k": [1]}}], [{"id": "z", "vector": np.ones(3)}], lambda: 0,
        range(3), {"a": {"b": 1}}, [[1, 2, 3]]]

KWARGS = ["query", "scope", "top_k", "offset", "min_score", "filter", "threads", "arrays", "include_attributes",
          "exclude_attributes", "exact", "numpy", "normalized", "attrs"]


def test_random_arguments_never_crash(store_dir):
    rng = random.Random(3)
    with seeded(store_dir) as db:
        methods = [m for m in ("upsert", "upsert_many", "delete", "delete_where", "records", "get", "search",
                               "search_batch", "create_collection", "drop_collection", "has_collection", "get_meta",
                               "set_meta", "collections", "stats", "flush")]
        outcomes = {"ok": 0, "err": 0}
        for _ in range(3000):
            name = rng.choice(methods)
            args = [rng.choice(POOL) for _ in range(rng.randrange(4))]
            kw = {k: rng.choice(POOL) for k in rng.sample(KWARGS, rng.randrange(3))}
            before = store_bytes(store_dir)
            try:
                getattr(db, name)(*args, **kw)
                outcomes["ok"] += 1
            except ALLOWED:
                outcomes["err"] += 1
                assert store_bytes(store_dir) == before, (name, args, kw)
        assert outcomes["ok"] > 50 and outcomes["err"] > 1000

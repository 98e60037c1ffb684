"""nidus 0.80's search_similar, list and aggregate, against models computed here from
records() and search()."""

from __future__ import annotations

import random

import pytest

import nidus
from nidus import f, v


def store(seed=1):
    r = random.Random(seed)
    db = nidus.Store.memory(3, distance="dot")
    for c in ("a", "b"):
        recs = []
        for i in range(30):
            at = {}
            if r.random() < 0.8:
                at["n"] = r.choice([r.randrange(-5, 6), float(r.randrange(-5, 6)) / 2])
            if r.random() < 0.7:
                at["g"] = r.choice(["x", "y", "z", None, 3])
            if r.random() < 0.3:
                at["s"] = r.choice(["apple", "pear", "fig"])
            recs.append({"id": f"{c}{i:02d}", "vector": [r.uniform(-1, 1) for _ in range(3)], "attrs": at})
        db.upsert(c, recs)
    return db


# ---- search: offset and projection are the library's now ----


def test_offset_bound_and_projection():
    db = store()
    q = [1, 0.5, -0.5]
    full = db.search(query=q, top_k=60)
    assert [h for o in range(0, 60, 7) for h in db.search(query=q, top_k=7, offset=o)] == full
    with pytest.raises(nidus.InvalidArgumentError):  # nidus's bound: offset + top_k <= 10000
        db.search(query=q, top_k=10, offset=9995)
    assert db.search(query=q, top_k=20000) == full  # without an offset, top_k is unbounded
    inc = db.search(query=q, top_k=60, include_attributes=["n", "nope"])
    assert [h.attrs for h in inc] == [{k: x for k, x in h.attrs.items() if k == "n"} for h in full]
    exc = db.search(query=q, top_k=60, exclude_attributes=["n"])
    assert [h.attrs for h in exc] == [{k: x for k, x in h.attrs.items() if k != "n"} for h in full]
    assert all(h.attrs == {} for h in db.search(query=q, include_attributes=[]))


# ---- search_similar ----


def test_search_similar_is_search_without_the_source():
    db = store()
    for c, i in (("a", "a03"), ("b", "b17")):
        src = db.get(c, [i])[0]
        for kw in ({}, {"scope": ["a", "b"]}, {"top_k": 4, "offset": 2}, {"filter": [f.gt("n", 0)]},
                   {"min_score": 0.0, "top_k": 50}):
            scope = kw.get("scope") or [c]
            want = [h for h in db.search(query=src.vector, **{**kw, "scope": scope, "top_k": 100, "offset": 0})
                    if (h.collection, h.id) != (c, i)]
            off, k = kw.get("offset", 0), kw.get("top_k", 10)
            got = db.search_similar(collection=c, id=i, **kw)
            assert got == want[off:off + k], (c, i, kw)
    with pytest.raises(nidus.NotFoundError):
        db.search_similar(collection="a", id="nope")
    with pytest.raises(nidus.NotFoundError):
        db.search_similar(collection="zz", id="a01")
    with pytest.raises(TypeError):
        db.search_similar(collection="a")
    arr = db.search_similar(collection="a", id="a01", top_k=3, arrays=True)
    assert arr.ids == [h.id for h in db.search_similar(collection="a", id="a01", top_k=3)]


def test_similar_keeps_a_duplicate():
    db = nidus.Store.memory(2)
    db.upsert("c", [{"id": "x", "vector": [1, 0]}, {"id": "dup", "vector": [1, 0]}, {"id": "y", "vector": [0, 1]}])
    assert [h.id for h in db.search_similar(collection="c", id="x")] == ["dup", "y"]


# ---- list ----


def storage_order(db, scope=None):
    """Every record with its row, in row order (rows from a search over everything)."""
    hits = db.search(query=[0, 0, 0], top_k=10000, scope=scope)
    return sorted(hits, key=lambda h: h.row)


def orderable(x):
    return x is not None and not isinstance(x, list) and not (isinstance(x, float) and x != x)


def model_order(hits, field, desc):
    """nidus's order_by: the first orderable value fixes the type; those records sorted
    (stable, both directions), every other one after them in storage order."""
    first = next((h.attrs[field] for h in hits if field in h.attrs and orderable(h.attrs[field])), None)
    if first is None:
        return hits
    t = type(first)
    inside = [h for h in hits if field in h.attrs and type(h.attrs[field]) is t]
    rest = [h for h in hits if not (field in h.attrs and type(h.attrs[field]) is t)]
    key = (lambda h: h.attrs[field].encode()) if t is str else (lambda h: h.attrs[field])
    return sorted(inside, key=key, reverse=desc) + rest  # reverse=True keeps stability


def test_list_pages_and_orders():
    db = store()
    every = storage_order(db)
    listed = db.list(limit=1000)
    assert [(h.collection, h.id) for h in listed] == [(h.collection, h.id) for h in every]
    assert all(h.score == 0.0 and h.row is None for h in listed)
    assert [h.attrs for h in listed] == [h.attrs for h in every]
    assert len(db.list()) == 60 and len(db.list(limit=7)) == 7  # default limit 100
    assert db.list(limit=0) == []
    pages = [db.list(offset=o, limit=9) for o in range(0, 63, 9)]
    assert [h for p in pages for h in p] == listed
    assert [h.id for h in db.list(scope=["b"], limit=100)] == [h.id for h in every if h.collection == "b"]
    for filt in ([f.ge("n", 0)], [f.any_(f.eq("g", "x"), f.eq("s", "fig"))]):
        ids = {(h.collection, h.id) for h in db.search(query=[0, 0, 0], top_k=100, filter=filt)}
        assert [(h.collection, h.id) for h in db.list(filter=filt, limit=100)] == \
            [(h.collection, h.id) for h in every if (h.collection, h.id) in ids]
    for field in ("n", "g", "s", "missing"):
        for desc in (False, True):
            got = db.list(limit=1000, order_by={"field": field, "descending": desc})
            want = model_order(every, field, desc)
            assert [(h.collection, h.id) for h in got] == [(h.collection, h.id) for h in want], (field, desc)
    assert db.list(order_by={"field": "n"}, limit=1000) == db.list(order_by={"field": "n", "descending": False},
                                                                     limit=1000)
    p = db.list(include_attributes=["g"], limit=1000)
    assert [h.attrs for h in p] == [{k: x for k, x in h.attrs.items() if k == "g"} for h in every]
    for kw, exc in [({"order_by": {"fld": "n"}}, TypeError), ({"order_by": "n"}, TypeError),
                    ({"order_by": {"field": "n", "descending": 1}}, TypeError), ({"limit": -1}, ValueError),
                    ({"include_attributes": ["a"], "exclude_attributes": ["b"]}, ValueError),
                    ({"filter": [f.regex("s", "(")]}, nidus.InvalidArgumentError), ({"scope": "a"}, TypeError)]:
        with pytest.raises(exc):
            db.list(**kw)


# ---- aggregate ----


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def test_aggregate_matches_the_model():
    db = store()
    every = storage_order(db)
    for filt in (None, [f.ge("n", 0)], [f.eq("g", "x")], [f.eq("nope", 1)]):
        ids = {(h.collection, h.id) for h in db.search(query=[0, 0, 0], top_k=1000, filter=filt)}
        match = [h for h in every if (h.collection, h.id) in ids]
        agg = db.aggregate(filter=filt, sum=["n", "s", "nope"])
        assert agg.count == len(match) and agg.groups == [] and not agg.groups_truncated
        vals = [h.attrs["n"] for h in match if num(h.attrs.get("n"))]
        want_n = sum(vals) if vals else 0
        assert agg.sums["n"] == pytest.approx(want_n)
        assert type(agg.sums["n"]) is (float if any(isinstance(x, float) for x in vals) else int)
        assert agg.sums["s"] == 0 and agg.sums["nope"] == 0 and type(agg.sums["s"]) is int
        g = db.aggregate(filter=filt, sum=["n"], group_by="g")
        assert sum(x.count for x in g.groups) == len(match)
        model = {}
        for h in match:
            key = ("missing",) if "g" not in h.attrs else ("v", type(h.attrs["g"]).__name__, h.attrs["g"])
            model.setdefault(key, []).append(h)
        assert len(g.groups) == len(model)
        for grp in g.groups:
            key = ("missing",) if grp.missing else ("v", type(grp.value).__name__, grp.value)
            hs = model[key]
            assert grp.count == len(hs)
            assert grp.sums["n"] == pytest.approx(sum(h.attrs["n"] for h in hs if num(h.attrs.get("n"))))
        assert [x.count for x in g.groups] == sorted((x.count for x in g.groups), reverse=True)
    assert db.aggregate(scope=["a"]).count == 30
    assert db.aggregate(group_by="g", max_groups=1).groups_truncated
    for kw, exc in [({"group_by": ""}, nidus.InvalidArgumentError), ({"max_groups": 0}, nidus.InvalidArgumentError),
                    ({"sum": "n"}, TypeError), ({"group_by": 1}, TypeError), ({"filter": [{"X": 1}]}, ValueError)]:
        with pytest.raises(exc):
            db.aggregate(**kw)


def test_aggregate_int_overflow_becomes_float():
    db = nidus.Store.memory(1)
    db.upsert("c", [{"id": str(i), "vector": [1], "attrs": {"n": v.int(2**62)}} for i in range(4)])
    s = db.aggregate(sum=["n"]).sums["n"]
    assert isinstance(s, float) and s == 2.0**64

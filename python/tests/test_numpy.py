"""The numpy fast paths: upsert_many, search_batch, arrays=True, records(numpy=True)."""

from __future__ import annotations

import pytest

import nidus
from nidus import f

np = pytest.importorskip("numpy")

from conftest import store_bytes  # noqa: E402


def unit(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_upsert_many_equals_upsert():
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((50, 8)).astype(np.float32)
    ids = [f"id{i}" for i in range(50)]
    attrs = [{"i": i, "odd": bool(i % 2)} if i % 5 else None for i in range(50)]
    a, b = nidus.Store.memory(8), nidus.Store.memory(8)
    assert a.upsert_many("c", ids, vecs, attrs) == 50
    b.upsert("c", [{"id": i, "vector": list(map(float, x)), "attrs": at or {}} for i, x, at in zip(ids, vecs, attrs)])
    assert a.records("c") == b.records("c")
    q = rng.standard_normal(8).astype(np.float32)
    assert a.search(query=q, top_k=50) == b.search(query=q, top_k=50)


def test_upsert_many_layouts():
    rng = np.random.default_rng(2)
    big = rng.standard_normal((10, 16)).astype(np.float32)
    want = nidus.Store.memory(8)
    want.upsert_many("c", [str(i) for i in range(10)], np.ascontiguousarray(big[:, ::2]))
    for layout in (big[:, ::2], np.asfortranarray(big[:, ::2]), big.T.copy().T[:, ::2]):
        assert not layout.flags.c_contiguous
        db = nidus.Store.memory(8)
        db.upsert_many("c", [str(i) for i in range(10)], layout)
        assert db.records("c", numpy=True)[3].vector.tolist() == want.records("c", numpy=True)[3].vector.tolist()
    db = nidus.Store.memory(8)
    db.upsert_many("c", [], np.zeros((0, 8), np.float32))
    assert db.collections() == [] or db.records("c") == []
    import array

    db.upsert_many("c", ["a"], memoryview(array.array("f", [1] * 8)).cast("B").cast("f", (1, 8)))
    assert db.records("c")[0].vector == pytest.approx([8 ** -0.5] * 8)


def test_upsert_many_bad_input_store_untouched(store_dir):
    with nidus.Store(store_dir, dim=4) as db:
        db.upsert_many("c", ["keep"], np.ones((1, 4), np.float32))
        before = store_bytes(store_dir)
        ok = np.ones((2, 4), np.float32)
        nan = ok.copy()
        nan[1, 2] = np.nan
        inf = ok.copy()
        inf[0, 0] = np.inf
        cases = [
            ((["a", "b"], ok.astype(np.float64)), TypeError),
            ((["a", "b"], ok.astype(np.float16)), TypeError),
            ((["a", "b"], ok.astype(np.int32)), TypeError),
            ((["a", "b"], ok.astype(">f4")), TypeError),
            ((["a", "b"], ok[0]), ValueError),  # 1-D
            ((["a", "b"], ok.reshape(2, 2, 2)), ValueError),
            ((["a"], ok), ValueError),  # rows != ids
            ((["a", "b"], np.ones((2, 3), np.float32)), nidus.DimensionError),
            ((["a", "b"], nan), nidus.InvalidArgumentError),
            ((["a", "b"], inf), nidus.InvalidArgumentError),
            ((["a", "b"], ok.tolist()), TypeError),  # a list is not a matrix
            ((["a", "b"], b"\0" * 32), TypeError),
            (("ab", ok), TypeError),  # a bare str of ids
            ((["a", 2], ok), TypeError),
            ((["a", "b\0"], ok), ValueError),
            ((["a", "b"], ok, [{}]), ValueError),  # attrs length
            ((["a", "b"], ok, {"x": 1}), TypeError),
            ((["a", "b"], ok, [{}, {"x": object()}]), TypeError),
            ((["a", "b"], ok, [{}, 5]), TypeError),
            ((["a", "b"], np.ones((2, 4), dtype=[("x", np.float32)])), TypeError),
        ]
        for args, exc in cases:
            with pytest.raises(exc):
                db.upsert_many("c", *args)
        assert store_bytes(store_dir) == before
        assert [r.id for r in db.records("c")] == ["keep"]


def test_upsert_many_normalized_keeps_bits():
    rng = np.random.default_rng(3)
    a = nidus.Store.memory(16)
    a.upsert_many("c", [str(i) for i in range(20)], rng.standard_normal((20, 16)).astype(np.float32))
    recs = a.records("c", numpy=True)
    stored = np.stack([r.vector for r in recs])
    b = nidus.Store.memory(16)
    b.upsert_many("c", [r.id for r in recs], stored, normalized=True)
    got = np.stack([r.vector for r in b.records("c", numpy=True)])
    assert got.tobytes() == stored.tobytes()
    bad = stored * 2
    with pytest.raises(nidus.InvalidArgumentError):
        b.upsert_many("c", [str(i) for i in range(20)], bad, normalized=True)


def test_records_numpy():
    db = nidus.Store.memory(3, distance="dot")
    db.upsert("c", [{"id": "a", "vector": [1, 2, 3]}, {"id": "b", "vector": [4, 5, 6]}])
    rs = db.records("c", numpy=True)
    assert rs[1].vector.dtype == np.float32 and rs[1].vector.tolist() == [4, 5, 6]
    assert db.get("c", ["b"], numpy=True)[0].vector.tolist() == [4, 5, 6]
    assert db.records("c")[0].vector == [1.0, 2.0, 3.0]


def test_query_forms():
    db = nidus.Store.memory(3, distance="dot")
    db.upsert("c", [{"id": "a", "vector": [1, 2, 3]}])
    want = db.search(query=[1.0, 1.0, 1.0])
    import array

    for q in ([1, 1, 1], (1, 1, 1), np.ones(3, np.float32), np.ones(3, np.float64), np.ones(6, np.float32)[::2],
              array.array("d", [1, 1, 1]), memoryview(array.array("f", [1, 1, 1])), range(1, 2) and [1, 1, 1],
              [np.float32(1)] * 3, np.ones(3, np.int64).tolist()):
        assert db.search(query=q) == want
    # other dtypes go element by element, as the SDK's float() of each
    for q in (np.ones(3, np.int32), np.ones(3, np.int64), np.ones(3, np.float16), np.ones(3, ">f8"), np.ones(3, bool)):
        assert db.search(query=q) == want, q.dtype
    for q, exc in [(np.ones((1, 3), np.float32), ValueError), (np.ones(4, np.float32), nidus.DimensionError),
                   (np.array([1, np.nan, 1]), nidus.InvalidArgumentError), (np.array(["a", "b", "c"]), TypeError),
                   (np.ones(3, np.complex64), TypeError), (np.zeros(3, dtype=[("x", "f4")]), TypeError)]:
        with pytest.raises(exc):
            db.search(query=q)


def test_search_batch_equals_single_searches():
    rng = np.random.default_rng(4)
    for dist in ("cosine", "dot", "euclidean"):
        db = nidus.Store.memory(12, distance=dist)
        db.upsert_many("a", [f"a{i}" for i in range(300)], rng.standard_normal((300, 12)).astype(np.float32),
                       [{"i": i} for i in range(300)])
        db.upsert_many("b", [f"b{i}" for i in range(100)], rng.standard_normal((100, 12)).astype(np.float32))
        qs = rng.standard_normal((9, 12)).astype(np.float32)
        for kw in ({}, {"top_k": 7, "scope": ["a"]}, {"top_k": 5, "offset": 3}, {"filter": [f.lt("i", 50)]},
                   {"min_score": 0.1, "top_k": 400}):
            got = db.search_batch(qs, **kw)
            assert got == [db.search(query=q, **kw) for q in qs], (dist, kw)
        arr = db.search_batch(qs, top_k=4, arrays=True)
        single = [db.search(query=q, top_k=4) for q in qs]
        assert arr.scores.shape == (9, 4) and arr.scores.dtype == np.float32 and arr.rows.dtype == np.int64
        assert arr.scores.tolist() == [[np.float32(h.score) for h in hs] for hs in single]
        assert arr.rows.tolist() == [[h.row for h in hs] for hs in single]
        assert arr.ids == [[h.id for h in hs] for hs in single]
        assert arr.collections == [[h.collection for h in hs] for hs in single]


def test_arrays_padding_and_single():
    db = nidus.Store.memory(2, distance="dot")
    db.upsert("c", [{"id": "a", "vector": [1, 0]}, {"id": "b", "vector": [0, 1]}])
    arr = db.search_batch(np.array([[1, 0], [0, 1]], np.float32), top_k=3, arrays=True, filter=[f.eq("x", 1)])
    assert np.isnan(arr.scores).all() and (arr.rows == -1).all() and arr.ids == [[], []]
    arr = db.search_batch(np.array([[1, 0.5]], np.float32), top_k=3, arrays=True)
    assert arr.scores[0, :2].tolist() == [1.0, 0.5] and np.isnan(arr.scores[0, 2]) and arr.rows[0].tolist() == [0, 1, -1]
    one = db.search(query=[1, 0.5], top_k=3, arrays=True)
    assert one.scores.tolist() == [1.0, 0.5] and one.rows.tolist() == [0, 1] and one.ids == ["a", "b"]
    one = db.search(query=[1, 0.5], top_k=3, offset=1, arrays=True)
    assert one.ids == ["b"] and one.rows.tolist() == [1]
    empty = db.search_batch(np.zeros((0, 2), np.float32), arrays=True)
    assert empty.scores.shape == (0, 10) and empty.ids == []
    assert db.search_batch(np.zeros((0, 2), np.float32)) == []


def test_search_batch_bad_input():
    db = nidus.Store.memory(2)
    db.upsert("c", [{"id": "a", "vector": [1, 0]}])
    for q, exc in [(np.ones((2, 2)), TypeError), (np.ones(2, np.float32), ValueError),
                   ([[1, 0]], TypeError), (np.ones((2, 3), np.float32), nidus.DimensionError),
                   (np.array([[1, np.nan]], np.float32), nidus.InvalidArgumentError), ("ab", TypeError)]:
        with pytest.raises(exc):
            db.search_batch(q)
    assert db.search_batch(np.ones((4, 2), np.float32)[::2]) == [db.search(query=[1, 1])] * 2  # strided

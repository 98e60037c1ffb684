"""Every Store method, its options, and every library error family."""

from __future__ import annotations

import gc
import os
import pickle
import weakref

import pytest

import nidus
from nidus import f

from conftest import store_bytes


def rec(id_, vec, **attrs):
    return {"id": id_, "vector": vec, "attrs": attrs}


# ---- open, close, context manager ----


def test_open_creates_then_reopens(store_dir):
    with nidus.Store(store_dir, dim=3) as db:
        assert not db.closed and db.dimension == 3 and db.distance == "Cosine"
        assert db.path == str(store_dir) and not db.read_only and not db.in_memory
        db.upsert("c", [rec("a", [1, 2, 3])])
    assert db.closed
    assert sorted(os.listdir(store_dir)) == ["data", "log"]  # the lock is gone after close
    with nidus.Store(store_dir) as db2:  # dim adopted from the store
        assert db2.dimension == 3
        assert [r.id for r in db2.records("c")] == ["a"]


def test_shadow_and_map_rows_options_answer_alike(store_dir):
    vecs = [[float((i * 7 + j * 3) % 11) - 5.0 for j in range(8)] for i in range(300)]
    with nidus.Store(store_dir, dim=8) as db:
        db.upsert("c", [rec(str(i), v, g=i % 3) for i, v in enumerate(vecs)])
        fp = db.stats().footprint
        assert fp.mapped_bytes == fp.vector_bytes == 300 * 8 * 4  # mapped by default
        assert fp.shadow_bytes == 0  # coded by the first search
        want = [(h.id, h.score) for h in db.search(query=vecs[5], top_k=7)]
        assert db.stats().footprint.shadow_bytes > 0
    for shadow in (True, False):
        for map_rows in (True, False):
            with nidus.Store(store_dir, read_only=True, shadow=shadow, map_rows=map_rows) as db:
                assert [(h.id, h.score) for h in db.search(query=vecs[5], top_k=7)] == want
                fp = db.stats().footprint
                assert fp.mapped_bytes == (fp.vector_bytes if map_rows else 0)
                assert (fp.shadow_bytes > 0) == shadow
    with pytest.raises(TypeError):
        nidus.Store(store_dir, None, False, None, None, None, None, False)  # keyword only


def test_open_accepts_pathlike_and_bytes(store_dir):
    nidus.Store(store_dir, dim=2).close()
    nidus.Store(os.fsencode(store_dir)).close()
    with nidus.Store(str(store_dir)) as db:
        assert db.path == str(store_dir)


def test_close_is_idempotent_and_later_calls_raise(store_dir):
    db = nidus.Store(store_dir, dim=2)
    db.close()
    db.close()
    assert repr(db).endswith("(closed)>")
    for call in (lambda: db.search(query=[1, 2]), db.collections, db.stats, lambda: db.upsert("c", []),
                 lambda: db.records("c"), db.flush, db.compact, lambda: db.dimension,
                 lambda: db.search_batch(__import__("numpy").zeros((0, 2), "float32"))):
        with pytest.raises(nidus.MisuseError) as e:
            call()
        assert e.value.code == nidus.errors.EMISUSE
    with pytest.raises(nidus.MisuseError):
        with db:
            pass


def test_init_twice_refused(store_dir):
    db = nidus.Store(store_dir, dim=2)
    with pytest.raises(RuntimeError):
        db.__init__(store_dir)
    db.close()


def test_dealloc_closes_and_releases_the_lock(store_dir):
    db = nidus.Store(store_dir, dim=2)
    ref = weakref.ref(db)
    del db
    gc.collect()
    assert ref() is None
    nidus.Store(store_dir).close()  # not locked any more


def test_memory_store():
    db = nidus.Store.memory(4, distance="dot")
    assert db.in_memory and db.path is None and db.distance == "DotProduct"
    db.upsert("c", [rec("a", [1, 0, 0, 0])])
    db.flush()  # a no-op in memory
    assert db.search(query=[2, 0, 0, 0])[0].score == 2.0
    assert "in memory" in repr(db)
    with pytest.raises(ValueError):
        nidus.Store.memory(0)
    with pytest.raises(TypeError):
        nidus.Store.memory("3")


@pytest.mark.parametrize("name,want", [("cosine", "Cosine"), ("Euclidean", "Euclidean"), ("l2", "Euclidean"),
                                       ("dot", "DotProduct"), ("DotProduct", "DotProduct"),
                                       ("dot_product", "DotProduct")])
def test_distance_names(tmp_path, name, want):
    with nidus.Store(tmp_path / "s", dim=2, distance=name) as db:
        assert db.distance == want and db.stats().distance == want


def test_open_option_errors(tmp_path):
    with pytest.raises(ValueError):
        nidus.Store(tmp_path / "a", dim=2, distance="manhattan")
    with pytest.raises(TypeError):
        nidus.Store(tmp_path / "a", dim=2, distance=2)
    with pytest.raises(ValueError):
        nidus.Store(tmp_path / "a", dim=2, fsync="sometimes")
    with pytest.raises(ValueError):
        nidus.Store(tmp_path / "a", dim=-1)
    with pytest.raises(ValueError):
        nidus.Store(tmp_path / "a", dim=2**40)
    with pytest.raises(TypeError):
        nidus.Store(tmp_path / "a", dim=2.0)
    with pytest.raises(TypeError):
        nidus.Store(tmp_path / "a", dim=True)
    with pytest.raises(TypeError):
        nidus.Store(12)
    with pytest.raises(ValueError):
        nidus.Store(str(tmp_path / "a\0b"), dim=2)
    with pytest.raises(TypeError):
        nidus.Store(tmp_path / "a", dim=2, auto_compact="no")
    with pytest.raises(ValueError):
        nidus.Store(tmp_path / "a", dim=2, auto_compact=True)
    with pytest.raises(nidus.InvalidArgumentError):  # a new store needs a dimension
        nidus.Store(tmp_path / "nodim")


def test_fsync_and_auto_compact_options(tmp_path):
    with nidus.Store(tmp_path / "a", dim=2, fsync="on_flush", auto_compact=False) as db:
        db.upsert("c", [rec("a", [1, 1])])
        db.upsert("c", [rec("a", [1, 2])])
        db.flush()
    with nidus.Store(tmp_path / "a", auto_compact=False) as db:
        assert db.stats().footprint.dead_rows == 1  # not compacted on open
    with nidus.Store(tmp_path / "a", auto_compact=0.1) as db:
        assert db.stats().footprint.dead_rows == 0  # compacted on open
    for fs in ("per_batch", True, False, None):
        nidus.Store(tmp_path / "a", fsync=fs).close()


def test_max_vector_bytes(tmp_path):
    with nidus.Store(tmp_path / "a", dim=2, max_vector_bytes=16) as db:
        db.upsert("c", [rec("a", [1, 1]), rec("b", [1, 2])])
        with pytest.raises(nidus.CapacityError) as e:
            db.upsert("c", [rec("x", [1, 1])])
        assert e.value.is_out_of_capacity and e.value.status == 507
    db = nidus.Store.memory(2, max_vector_bytes=8)
    db.upsert("c", [rec("a", [1, 1])])
    with pytest.raises(nidus.CapacityError):
        db.upsert("c", [rec("b", [1, 1])])


# ---- error families ----


def test_locked(store_dir):
    with nidus.Store(store_dir, dim=2):
        with pytest.raises(nidus.LockedError) as e:
            nidus.Store(store_dir)
        err = e.value
        assert err.code == nidus.errors.ELOCKED and err.code_name == "NIDUS_ELOCKED"
        assert err.is_locked and err.status == 409 and "lock" in str(err)
        with nidus.Store(store_dir, read_only=True) as r:  # readers take no lock
            assert r.read_only


def test_read_only_refuses_every_write(store_dir):
    with nidus.Store(store_dir, dim=2) as w:
        w.upsert("c", [rec("a", [1, 0])])
    before = store_bytes(store_dir)
    with nidus.Store(store_dir, read_only=True) as r:
        import numpy as np

        writes = [lambda: r.upsert("c", [rec("b", [1, 1])]),
                  lambda: r.upsert_many("c", ["b"], np.ones((1, 2), np.float32)),
                  lambda: r.delete("c", ["a"]), lambda: r.delete_where("c", [f.eq("x", 1)]),
                  lambda: r.create_collection("d"), lambda: r.drop_collection("c"),
                  lambda: r.set_meta("c", {"k": "v"}), r.flush, r.compact]
        for w in writes:
            with pytest.raises(nidus.ReadOnlyError) as e:
                w()
            assert e.value.is_read_only and e.value.status == 403
        assert [h.id for h in r.search(query=[1, 0])] == ["a"]
    assert store_bytes(store_dir) == before


def test_not_found(tmp_path):
    with pytest.raises(nidus.NotFoundError) as e:
        nidus.Store(tmp_path / "nothing", read_only=True)
    assert e.value.status == 404


def test_dimension_and_distance_mismatch(store_dir):
    nidus.Store(store_dir, dim=3).close()
    with pytest.raises(nidus.DimensionError):
        nidus.Store(store_dir, dim=4)
    with pytest.raises(nidus.DimensionError) as e:
        nidus.Store(store_dir, distance="euclidean")
    assert "Euclidean" in str(e.value)
    assert isinstance(e.value, ValueError)  # DimensionError is a ValueError too


def test_corrupt_and_not_a_store(tmp_path):
    d = tmp_path / "junk"
    d.mkdir()
    (d / "data").write_bytes(b"not a nidus file" * 8)
    (d / "log").write_bytes(b"")
    with pytest.raises(nidus.CorruptError) as e:
        nidus.Store(d, read_only=True)
    assert e.value.code == nidus.errors.ENOTDB


def test_corrupt_log(golden_copy):
    d = golden_copy("b_mixed")
    log = bytearray((d / "log").read_bytes())
    log[20] ^= 0xFF  # a flipped byte inside the first frame: not a torn tail
    (d / "log").write_bytes(bytes(log))
    with pytest.raises(nidus.CorruptError) as e:
        nidus.Store(d, read_only=True)
    assert e.value.code == nidus.errors.ECORRUPT


def test_version_error(golden_copy):
    d = golden_copy("a_minimal")
    data = bytearray((d / "data").read_bytes())
    data[12] = 9  # a distance byte from a newer nidus
    (d / "data").write_bytes(bytes(data))
    with pytest.raises(nidus.VersionError):
        nidus.Store(d, read_only=True)


def test_errors_are_picklable():
    e = nidus.LockedError("held", nidus.errors.ELOCKED)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is nidus.LockedError and e2.code == e.code and str(e2) == "held"
    assert nidus.errors.error_class(999) is nidus.NidusError
    assert "NIDUS_" in repr(e2)
    assert issubclass(nidus.OutOfMemoryError, MemoryError)
    assert nidus.strerror(nidus.errors.ECORRUPT) == "store is corrupt"


# ---- collections and metadata ----


def test_collections_and_meta(db):
    assert db.collections() == []
    db.create_collection("b")
    db.create_collection("a")
    db.create_collection("a")  # idempotent
    assert db.collections() == ["a", "b"] and db.has_collection("a") and not db.has_collection("z")
    db.set_meta("a", {"owner": "me", "n": 3})  # values through str(), as the SDK
    assert db.get_meta("a") == {"owner": "me", "n": "3"}
    db.set_meta("a", {"only": "this"})  # a whole-map replace
    assert db.get_meta("a") == {"only": "this"}
    assert db.get_meta("missing") == {}
    db.set_meta("implicit", {})  # creates the collection
    assert "implicit" in db.collections()
    db.drop_collection("a")
    db.drop_collection("a")  # absent: a no-op
    assert db.collections() == ["b", "implicit"]
    assert db.stats().collections == ["b", "implicit"]


def test_collection_name_errors(db):
    for bad in (None, 1, b"x", ["a"]):
        with pytest.raises(TypeError):
            db.create_collection(bad)
    with pytest.raises(ValueError):
        db.create_collection("a\0b")
    with pytest.raises(TypeError):
        db.set_meta("a", ["k", "v"])
    with pytest.raises(ValueError):
        db.set_meta("a", {"k\0": "v"})
    with pytest.raises(UnicodeEncodeError):
        db.create_collection("\udc80")


# ---- writes and reads ----


def test_upsert_records_get_delete(db):
    assert db.upsert("c", [rec("b", [0, 1, 0], lang="go"), rec("a", [3, 0, 4], lang="rust", n=1)]) == 2
    assert db.upsert("c", []) == 0
    rs = db.records("c")
    assert [r.id for r in rs] == ["a", "b"]
    assert rs[0].vector == pytest.approx([0.6, 0, 0.8])  # cosine stores keep unit vectors
    assert rs[0].attrs == {"lang": "rust", "n": 1} and rs[0].collection == "c"
    assert [r.id for r in db.get("c", ["b", "zz", "a"])] == ["b", "a"]
    assert db.get("nope", ["a"]) == [] and db.records("nope") == []
    assert db.upsert("c", [rec("a", [0, 0, 1])]) == 1  # replace by id
    assert db.get("c", ["a"])[0].attrs == {}
    assert db.delete("c", ["a", "a", "missing"]) == 1
    assert db.delete("nope", ["a"]) == 0
    assert [r.id for r in db.records("c")] == ["b"]
    st = db.stats()
    assert st.footprint.doc_count == 1 and st.footprint.dead_rows == 2 and st.ann is None
    db.compact()
    assert db.stats().footprint.rows == 1
    db.flush()


def test_record_shape_errors(db):
    bad = [
        ({"id": "a", "vector": [1, 2, 3], "atrs": {}}, TypeError),  # a typo is not dropped silently
        ({"vector": [1, 2, 3]}, TypeError),
        ({"id": 5, "vector": [1, 2, 3]}, TypeError),
        ({"id": "a"}, ValueError),  # text-only records do not exist in-process
        ({"id": "a", "vector": None}, ValueError),
        ({"id": "a", "vector": "abc"}, TypeError),
        ({"id": "a", "vector": [1, "x", 3]}, TypeError),
        ({"id": "a", "vector": [1, True, 3]}, TypeError),
        ({"id": "a", "vector": 3}, TypeError),
        ({"id": "a", "vector": [1, 2, 3], "attrs": [("k", 1)]}, TypeError),
        ({"id": "a", "vector": [1, 2, 3], "attrs": {1: "x"}}, TypeError),
        (["a", [1, 2, 3]], TypeError),
    ]
    for r, exc in bad:
        with pytest.raises(exc):
            db.upsert("c", [r])
    with pytest.raises(TypeError):
        db.upsert("c", {"id": "a", "vector": [1, 2, 3]})  # one record, not a list
    with pytest.raises(TypeError):
        db.upsert("c", "abc")
    with pytest.raises(nidus.DimensionError):
        db.upsert("c", [rec("a", [1, 2])])
    with pytest.raises(nidus.InvalidArgumentError):
        db.upsert("c", [rec("a", [1, float("nan"), 2])])
    with pytest.raises(nidus.InvalidArgumentError):
        db.upsert("c", [rec("a", [1, float("inf"), 2])])
    with pytest.raises(nidus.InvalidArgumentError):
        db.upsert("c", [rec("a", [1, 1e300, 2])])  # beyond float32: inf
    assert db.collections() == []  # nothing was applied, not even the collection


def test_upsert_is_all_or_nothing(db):
    db.upsert("c", [rec("keep", [1, 0, 0])])
    with pytest.raises(nidus.DimensionError):
        db.upsert("c", [rec("x", [1, 1, 1]), rec("y", [1, 1])])
    with pytest.raises(TypeError):
        db.upsert("c", [rec("x", [1, 1, 1]), rec("y", [1, 1, 1], bad=object())])
    assert [r.id for r in db.records("c")] == ["keep"]


def test_delete_where(db):
    db.upsert("c", [rec(str(i), [1, i, 0], n=i, even=i % 2 == 0) for i in range(10)])
    assert db.delete_where("c", [f.eq("even", True), f.ge("n", 4)]) == 3
    assert sorted(r.id for r in db.records("c")) == ["0", "1", "2", "3", "5", "7", "9"]
    assert db.delete_where("c", f.lt("n", 1)) == 1  # one predicate, not in a list
    assert db.delete_where("missing", [f.eq("n", 1)]) == 0
    for empty in ([], None, ()):
        with pytest.raises(ValueError):
            db.delete_where("c", empty)
    with pytest.raises(nidus.InvalidArgumentError):
        db.delete_where("c", [f.regex("k", "(")])
    assert len(db.records("c")) == 6


def test_id_lists_refuse_a_bare_string(db):
    db.upsert("c", [rec("ab", [1, 0, 0])])
    with pytest.raises(TypeError):
        db.delete("c", "ab")
    with pytest.raises(TypeError):
        db.get("c", "ab")
    with pytest.raises(TypeError):
        db.search(query=[1, 0, 0], scope="c")
    with pytest.raises(TypeError):
        db.delete("c", [1])
    assert len(db.records("c")) == 1


# ---- search ----


def populated():
    db = nidus.Store.memory(2, distance="dot")
    db.upsert("a", [rec(f"a{i}", [1, i], i=i, tag="odd" if i % 2 else "even") for i in range(6)])
    db.upsert("b", [rec(f"b{i}", [2, -i], i=i) for i in range(4)])
    return db


def test_search_options():
    db = populated()
    q = [0, 1]
    allh = db.search(query=q, top_k=100)
    assert len(allh) == 10
    assert [h.score for h in allh] == sorted((h.score for h in allh), reverse=True)
    assert db.search(query=q)[:] == allh[:10]  # default top_k 10
    assert db.search(query=q, top_k=0) == []
    assert [h.id for h in db.search(query=q, scope=["b"], top_k=100)] == ["b0", "b1", "b2", "b3"]
    assert len(db.search(query=q, scope=[], top_k=100)) == 10  # empty scope: everything
    assert db.search(query=q, scope=["nope"]) == []
    assert all(h.score >= 2 for h in db.search(query=q, min_score=2, top_k=100))
    assert [h.id for h in db.search(query=q, filter=[f.eq("tag", "odd")], top_k=100)] == ["a5", "a3", "a1"]
    # pages tile one ranking
    pages = [db.search(query=q, top_k=3, offset=o) for o in (0, 3, 6, 9)]
    assert [h for p in pages for h in p] == allh
    assert db.search(query=q, offset=100) == []
    h = allh[0]
    assert (h.collection, h.id, h.attrs) == ("a", "a5", {"i": 5, "tag": "odd"})
    assert h == (h.collection, h.id, h.score, h.attrs) and isinstance(h.row, int)
    assert db.search(query=q, exact=True) == db.search(query=q, exact=False)
    assert db.search(query=q, threads=1, top_k=100) == allh
    inc = db.search(query=q, include_attributes=["i"], top_k=1)[0]
    exc = db.search(query=q, exclude_attributes=["i"], top_k=1)[0]
    assert inc.attrs == {"i": 5} and exc.attrs == {"tag": "odd"}


def test_search_argument_errors():
    db = populated()
    with pytest.raises(TypeError):
        db.search([0, 1])  # keyword-only, as the SDK
    with pytest.raises(TypeError):
        db.search()
    with pytest.raises(nidus.DimensionError):
        db.search(query=[1, 2, 3])
    with pytest.raises(nidus.InvalidArgumentError):
        db.search(query=[float("nan"), 1])
    for kw, exc in [({"top_k": -1}, ValueError), ({"top_k": 1.5}, TypeError), ({"top_k": "3"}, TypeError),
                    ({"offset": -2}, ValueError), ({"min_score": float("nan")}, ValueError),
                    ({"min_score": "x"}, TypeError), ({"threads": -1}, ValueError),
                    ({"threads": 5000}, ValueError), ({"exact": "yes"}, TypeError),
                    ({"include_attributes": ["a"], "exclude_attributes": ["b"]}, ValueError),
                    ({"include_attributes": "i"}, TypeError), ({"filter": "x"}, TypeError),
                    ({"filter": [1]}, TypeError), ({"scope": [1]}, TypeError), ({"bogus": 1}, TypeError)]:
        with pytest.raises(exc):
            db.search(query=[0, 1], **kw)
    for q in ("ab", b"ab", None, 3, [[1, 2]], {"a": 1}):
        with pytest.raises(TypeError):
            db.search(query=q)


def test_euclidean_scores():
    db = nidus.Store.memory(2, distance="euclidean")
    db.upsert("c", [rec("o", [0, 0]), rec("x", [3, 4])])
    hits = db.search(query=[0, 0])
    assert [(h.id, h.score) for h in hits] == [("o", 0.0), ("x", -25.0)]


def test_error_messages_that_are_not_utf8_keep_their_class(tmp_path):
    """A library message quoting a non-UTF-8 path (or a key cut mid-character) still
    raises the right NidusError subclass with its code, the bad bytes replaced."""
    path = os.fsdecode(os.fsencode(str(tmp_path)) + b"/nope-\xff-dir")
    with pytest.raises(nidus.NotFoundError) as e:
        nidus.Store(path, read_only=True)
    assert e.value.code_name == "NIDUS_ENOTFOUND"
    assert "nope-?-dir" in str(e.value)  # the library mends bad bytes to "?"
    db = nidus.Store.memory(2)
    with pytest.raises(nidus.InvalidArgumentError):
        db.list(filter=[{"Fuzzy": ["x" + "\u20ac" * 67, "a", 99]}])

"""The surface: every method of nidus's HTTP SDK that has an in-process meaning
exists with its argument shape, everything public has a docstring and a stub."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nidus

STUB = Path(__file__).resolve().parents[1] / "nidus" / "_nidus.pyi"

# NidusClient's methods (nidus 0.80, sdks/python/src/nidus/client.py) that an in-process
# store can honour; the rest are server concerns (health, ready, cluster, versions,
# refresh, the text/hybrid search and memory endpoints, FTS and filter-index schemas).
SDK_METHODS = ["stats", "collections", "create_collection", "drop_collection", "get_meta", "set_meta", "upsert",
               "delete", "delete_where", "records", "search", "batch_search", "search_similar", "list", "aggregate", "flush", "compact", "close"]


def stub_methods():
    """The Store methods the stubs declare: the C type's (_nidus.pyi) and store.py's."""
    out = {}
    for path in (STUB, STUB.with_name("store.py")):
        tree = ast.parse(path.read_text())
        store = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Store")
        out.update({n.name: n for n in store.body if isinstance(n, ast.FunctionDef)})
    return out


def test_sdk_methods_exist_with_sdk_shapes():
    for name in SDK_METHODS:
        assert callable(getattr(nidus.Store, name)), name
    sig = inspect.signature(nidus.Store.search)
    assert all(sig.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY
               for p in ("query", "scope", "top_k", "offset", "min_score", "filter"))
    assert list(inspect.signature(nidus.Store.upsert).parameters)[1:] == ["collection", "records"]
    assert list(inspect.signature(nidus.Store.delete_where).parameters)[1:] == ["collection", "filter"]


def test_sdk_keyword_spellings():
    db = nidus.Store.memory(2)
    db.create_collection(name="x")
    db.set_meta(name="x", meta={"a": "b"})
    assert db.get_meta(name="x") == {"a": "b"}
    assert db.upsert(name="c", records=[{"id": "a", "vector": [1, 0]}]) == 1
    assert [r.id for r in db.records(name="c")] == ["a"]
    assert db.delete_where(name="c", filter=[nidus.f.eq("k", 1)]) == 0
    assert db.delete(name="c", ids=["a"]) == 1
    db.drop_collection(name="x")
    assert db.collections() == ["c"]
    import pytest

    with pytest.raises(TypeError):
        db.upsert(name="c", collection="d", records=[])


def test_every_public_method_is_documented_and_stubbed():
    stubs = stub_methods()
    public = [n for n in dir(nidus.Store) if not n.startswith("_") or n in ("__enter__", "__exit__", "__init__")]
    assert "batch_search" in public and "search_batch" in public
    for name in public:
        attr = getattr(nidus.Store, name)
        assert attr.__doc__ and len(attr.__doc__) > 10, name
        if callable(attr) and name != "__init__":
            assert name in stubs, f"{name} has no stub"
            # the stub's parameters are the runtime's
            runtime = [p for p in inspect.signature(attr).parameters if p not in ("self", "cls")]
            stub = [a.arg for a in stubs[name].args.args + stubs[name].args.kwonlyargs + stubs[name].args.posonlyargs
                    if a.arg not in ("self", "cls")]
            assert sorted(runtime) == sorted(stub), (name, runtime, stub)
    assert "query" in nidus.Store.search.__doc__ and "arrays" in nidus.Store.search.__doc__
    for name in dir(nidus.f):
        if not name.startswith("_"):
            assert getattr(nidus.f, name).__doc__, name
    for name in nidus.__all__:
        assert hasattr(nidus, name), name


def test_result_types_are_light_tuples():
    db = nidus.Store.memory(2)
    db.upsert("c", [{"id": "a", "vector": [1, 0], "attrs": {"x": 1}}])
    h = db.search(query=[1, 0])[0]
    assert isinstance(h, tuple) and len(h) == 4 and h.row == 0
    assert repr(h).startswith("nidus.Hit(collection='c', id='a'")
    r = db.records("c")[0]
    assert isinstance(r, tuple) and r.collection == "c" and len(r) == 3
    import pickle

    assert pickle.loads(pickle.dumps(h)) == h


def test_the_module_exports_only_its_init():
    import shutil
    import subprocess

    import nidus._nidus as m

    if not shutil.which("nm"):
        import pytest

        pytest.skip("no nm")
    out = subprocess.run(["nm", "-D", "--defined-only", m.__file__], capture_output=True, text=True, check=True).stdout
    syms = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert syms == {"PyInit__nidus"}, syms  # libnidus and the binding's own functions stay inside


def test_works_without_numpy(tmp_path):
    # numpy is optional at run time: everything but the array outputs works without it.
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import sys
        sys.modules["numpy"] = None  # import numpy now fails
        import nidus, array
        db = nidus.Store.memory(2)
        db.upsert("c", [{"id": "a", "vector": [1, 0]}])
        db.upsert_many("c", ["b"], memoryview(array.array("f", [0, 1])).cast("B").cast("f", (1, 2)))
        assert [h.id for h in db.search(query=array.array("f", [1, 0]))] == ["a", "b"]
        try:
            db.search(query=[1, 0], arrays=True)
        except ImportError:
            print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr

"""Values: every type round-trips (write, reopen, read, search), plain and v.* forms
are the same value, and every bad value is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import nidus
from nidus import v

from conftest import store_bytes

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))

# (plain Python value, what reading it back gives, its wire form)
CASES = [
    (None, None, "Null"),
    (True, True, {"Bool": True}),
    (False, False, {"Bool": False}),
    (0, 0, {"Int": 0}),
    (-7, -7, {"Int": -7}),
    (2**63 - 1, 2**63 - 1, {"Int": 2**63 - 1}),
    (-(2**63), -(2**63), {"Int": -(2**63)}),
    (2.0, 2.0, {"Float": 2.0}),
    (-0.0, -0.0, {"Float": -0.0}),
    (1e-300, 1e-300, {"Float": 1e-300}),
    (math.pi, math.pi, {"Float": math.pi}),
    ("", "", {"Str": ""}),
    ("héllo ☃ \U0001F600", "héllo ☃ \U0001F600", {"Str": "héllo ☃ \U0001F600"}),
    ("nul\0inside", "nul\0inside", {"Str": "nul\0inside"}),
    ([], [], {"List": []}),
    (["a", "b", "a"], ["a", "b", "a"], {"List": ["a", "b", "a"]}),
    (("x", "y"), ["x", "y"], {"List": ["x", "y"]}),
    (dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC), dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC),
     {"DateTime": 1714979289123}),
    (dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
     dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), {"DateTime": -1}),
    # another zone: the same instant, read back in UTC
    (dt.datetime(2024, 1, 1, 2, 0, tzinfo=PLUS2), dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
     {"DateTime": 1704067200000}),
    # sub-millisecond digits are floored, as the SDK's (x - epoch) // 1 ms
    (dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
     dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), {"DateTime": -1}),
]


def same(a, b):
    """Equal and of the same type, -0.0 told from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    return type(a) is type(b) and a == b


def test_encode_matches_the_sdk_wire_form():
    for plain, _, wire in CASES:
        got = nidus.encode_value(plain)
        assert got == wire and (not isinstance(wire, dict) or all(same(got[k], wire[k]) for k in wire
                                                                  if not isinstance(wire[k], list)))


def test_round_trip_every_type(store_dir):
    attrs = {f"k{i}": plain for i, (plain, _, _) in enumerate(CASES)}
    wire = {f"k{i}": w for i, (_, _, w) in enumerate(CASES)}
    with nidus.Store(store_dir, dim=2) as db:
        db.upsert("plain", [{"id": "p", "vector": [1, 0], "attrs": attrs}])
        db.upsert("wire", [{"id": "w", "vector": [1, 0], "attrs": wire}])
    with nidus.Store(store_dir, read_only=True) as db:  # from the files, not memory
        for coll in ("plain", "wire"):
            got = db.records(coll)[0].attrs
            hit = db.search(query=[1, 0], scope=[coll])[0].attrs
            assert got == hit
            assert list(got) == sorted(attrs)  # sorted by key
            for i, (_, back, _) in enumerate(CASES):
                assert same(got[f"k{i}"], back), (coll, i, got[f"k{i}"], back)
        assert db.records("plain")[0].attrs == db.records("wire")[0].attrs
    # decoded values re-encode to what they came from
    for _, back, wire in CASES:
        assert nidus.decode_value(nidus.encode_value(back)) == back


def test_datetime_read_back_is_aware_utc(db):
    db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"t": v.datetime(0)}}])
    t = db.records("c")[0].attrs["t"]
    assert t == dt.datetime(1970, 1, 1, tzinfo=UTC) and t.utcoffset() == dt.timedelta(0)


def test_datetime_outside_pythons_range(db):
    db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"t": v.datetime(2**62)}}])
    with pytest.raises(OverflowError):
        db.records("c")


def test_v_helpers():
    assert v.str("Null") == {"Str": "Null"} and v.nil() == "Null"
    assert v.int(3) == {"Int": 3} and v.float(2) == {"Float": 2.0} and v.bool(False) == {"Bool": False}
    assert v.list(("a",)) == {"List": ["a"]}
    assert v.datetime(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == {"DateTime": 1000}
    for call, exc in [(lambda: v.int(True), TypeError), (lambda: v.int(2**63), ValueError),
                      (lambda: v.int(1.0), TypeError), (lambda: v.float(float("inf")), ValueError),
                      (lambda: v.float("1"), TypeError), (lambda: v.bool(1), TypeError),
                      (lambda: v.list("ab"), TypeError), (lambda: v.list([1]), TypeError),
                      (lambda: v.datetime(dt.datetime(2020, 1, 1)), ValueError),
                      (lambda: v.datetime("2020"), TypeError), (lambda: v.str(1), TypeError)]:
        with pytest.raises(exc):
            call()


def test_the_text_null_is_the_null_value(db):
    # The SDK's wire rule: the bare string "Null" is Null; v.str("Null") is the text.
    db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"x": "Null", "y": v.str("Null")}}])
    assert db.records("c")[0].attrs == {"x": None, "y": "Null"}


class Weird:
    pass


BAD = [
    (2**63, ValueError),
    (-(2**63) - 1, ValueError),
    (float("nan"), ValueError),
    (float("inf"), ValueError),
    (dt.datetime(2020, 1, 1), ValueError),  # naive
    (dt.date(2020, 1, 1), TypeError),
    (b"bytes", TypeError),
    (Weird(), TypeError),
    ({"a": 1}, TypeError),
    ({"Str": 1}, TypeError),
    ({"Int": "1"}, TypeError),
    ({"Int": True}, TypeError),
    ({"Bool": 1}, TypeError),
    ({"Float": "x"}, TypeError),
    ({"Float": float("nan")}, ValueError),
    ({"DateTime": 1.5}, TypeError),
    ({"List": "ab"}, TypeError),
    ({"List": [1]}, TypeError),
    ({"Str": "a", "Int": 1}, TypeError),
    ([1, 2], TypeError),
    (["a", None], TypeError),
    ({1, 2}, TypeError),
    ("\udc80", UnicodeEncodeError),
]


@pytest.mark.parametrize("value,exc", BAD, ids=[repr(b[0])[:30] for b in BAD])
def test_bad_values_refused_store_untouched(store_dir, value, exc):
    with nidus.Store(store_dir, dim=2) as db:
        db.upsert("c", [{"id": "keep", "vector": [1, 0], "attrs": {"x": 1}}])
        before = store_bytes(store_dir)
        with pytest.raises(exc):
            db.upsert("c", [{"id": "new", "vector": [0, 1], "attrs": {"x": value}}])
        with pytest.raises(exc):
            db.search(query=[1, 0], filter=[{"Eq": ["x", value]}])
        assert store_bytes(store_dir) == before
        assert [r.id for r in db.records("c")] == ["keep"]


def test_attr_keys_and_mappings(db):
    import collections

    od = collections.OrderedDict([("b", 1), ("a", 2)])
    db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": od}])
    assert db.records("c")[0].attrs == {"a": 2, "b": 1}
    with pytest.raises(ValueError):
        db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"k\0": 1}}])
    with pytest.raises(TypeError):
        db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {("t",): 1}}])


def test_numpy_float_is_a_float_and_numpy_int_refused(db):
    np = pytest.importorskip("numpy")
    db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"x": np.float64(1.5)}}])
    assert db.records("c")[0].attrs == {"x": 1.5}
    with pytest.raises(TypeError):  # as the SDK: np.int64 is not an int
        db.upsert("c", [{"id": "a", "vector": [1, 0, 0], "attrs": {"x": np.int64(1)}}])

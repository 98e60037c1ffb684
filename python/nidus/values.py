"""Typed attribute values: the ``v.*`` constructors of nidus's Python SDK.

Plain Python values need no wrapping — ``None``, ``bool``, ``int``, ``float``, ``str``,
``list[str]`` and aware ``datetime`` map to Null, Bool, Int, Float, Str, List and DateTime
(the Python type decides: ``2`` is an Int, ``2.0`` a Float). The helpers exist to say it
explicitly, and for the one case a plain value cannot say: the text ``"Null"``, which as a
bare string *is* the Null value (the wire's spelling), so it is written ``v.str("Null")``.

Each helper returns the wire form the SDK sends (``{"Str": "x"}``, ``"Null"``), so values
built for the HTTP client work here unchanged, and the checks are the SDK's: an ``int``
outside i64, a non-finite float and a naive datetime are ``ValueError``; a wrong type is
``TypeError``.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import math
from collections.abc import Sequence
from typing import Any, Union

#: A value in its wire form: a one-key dict ``{"Tag": payload}`` or the string ``"Null"``.
Value = Union[dict, str]

#: What attrs and filters accept: a wire value or a plain Python value.
AttrInput = Union[Value, str, int, float, bool, list, _dt.datetime, None]

#: What attrs decode to.
DecodedValue = Union[str, int, float, bool, list, _dt.datetime, None]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MS = _dt.timedelta(milliseconds=1)
_I64 = (-(2**63), 2**63 - 1)


def _int(n: Any, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{who} expects an integer, got {type(n).__name__}: {n!r}")
    if not _I64[0] <= n <= _I64[1]:
        raise ValueError(f"{who} expects an i64, got {n!r} (out of range)")
    return int(n)


def _float(x: Any, who: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{who} expects a number, got {type(x).__name__}: {x!r}")
    out = float(x)
    if not math.isfinite(out):
        raise ValueError(f"{who} expects a finite number, got {x!r}")
    return out


def _millis(x: Any, who: str) -> int:
    if isinstance(x, int):
        return _int(x, who)
    if not isinstance(x, _dt.datetime):
        raise TypeError(f"{who} expects a datetime or epoch milliseconds, got {x!r}")
    if x.utcoffset() is None:
        raise ValueError(f"{who} expects an aware datetime (attach a timezone), got the naive {x!r}")
    return _int((x - _EPOCH) // _MS, who)


def _strings(items: Any, who: str) -> list:
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise TypeError(f"{who} expects a list of str, got {type(items).__name__}: {items!r}")
    for s in items:
        if not isinstance(s, str):
            raise TypeError(f"{who} must contain only strings, got {s!r}")
    return list(items)


class v:
    """Constructors of typed values, named as nidus's ``Value`` variants."""

    @staticmethod
    def str(s: builtins.str) -> Value:
        """A Str value (also the way to store the text ``"Null"``)."""
        if not isinstance(s, builtins.str):
            raise TypeError(f"v.str expects a str, got {type(s).__name__}")
        return {"Str": s}

    @staticmethod
    def int(n: builtins.int) -> Value:
        """An Int value: an integer within i64."""
        return {"Int": _int(n, "v.int")}

    @staticmethod
    def float(x: Union[builtins.float, builtins.int]) -> Value:
        """A Float value (an int is accepted and becomes a Float); finite only."""
        return {"Float": _float(x, "v.float")}

    @staticmethod
    def bool(b: builtins.bool) -> Value:
        """A Bool value."""
        if not isinstance(b, builtins.bool):
            raise TypeError(f"v.bool expects a bool, got {type(b).__name__}")
        return {"Bool": b}

    @staticmethod
    def datetime(x: Union[_dt.datetime, builtins.int]) -> Value:
        """A DateTime: an aware datetime or milliseconds since the Unix epoch."""
        return {"DateTime": _millis(x, "v.datetime")}

    @staticmethod
    def list(items: Sequence[builtins.str]) -> Value:
        """A List value: strings only."""
        return {"List": _strings(items, "v.list")}

    @staticmethod
    def nil() -> Value:
        """The Null value: set, and empty (not the same as an absent key)."""
        return "Null"


_TAGS = ("Str", "Int", "Bool", "List", "Float", "DateTime")


def encode_value(value: AttrInput) -> Value:
    """A plain or wire value in its wire form (what the SDK sends)."""
    if isinstance(value, str):
        return value if value == "Null" else {"Str": value}
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TAGS:
        return value
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return {"Bool": value}
    if isinstance(value, int):
        return {"Int": _int(value, "an Int attribute")}
    if isinstance(value, float):
        return {"Float": _float(value, "a Float attribute")}
    if isinstance(value, _dt.datetime):
        return {"DateTime": _millis(value, "a DateTime attribute")}
    if isinstance(value, (list, tuple)):
        return {"List": _strings(value, "a List attribute")}
    raise TypeError(f"cannot encode attribute value of type {type(value).__name__}: {value!r}")


def encode_attrs(attrs: dict) -> dict:
    """Every value of an attrs map in its wire form."""
    return {k: encode_value(x) for k, x in attrs.items()}


def decode_value(value: Value) -> DecodedValue:
    """A wire value as a plain Python value (DateTime: an aware UTC datetime)."""
    if value == "Null":
        return None
    if isinstance(value, dict) and len(value) == 1:
        tag, payload = next(iter(value.items()))
        if tag == "DateTime":
            return _EPOCH + _dt.timedelta(milliseconds=payload)
        if tag in _TAGS:
            return payload
    return value  # an unknown variant passes through, as in the SDK


def decode_attrs(attrs: dict) -> dict:
    """Every value of a wire attrs map as a plain Python value."""
    return {k: decode_value(x) for k, x in attrs.items()}

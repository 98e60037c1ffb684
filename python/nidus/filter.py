"""Filters: the ``f.*`` predicate constructors of nidus's Python SDK.

A filter is a list of predicates, all of which must hold; ``[]`` (or ``None``) matches
everything. Each constructor returns the predicate in its wire form, a one-key dict as
serde tags nidus's ``Predicate`` (``{"Eq": ["lang", {"Str": "rust"}]}``), so a filter built
for the HTTP client is the same object here; the binding compiles it into the library's
filter tree on each call.

Semantics (the library's, nidus 0.80's): an absent key fails every leaf, ``ne`` and
``not_in`` included, while ``not_(eq(k, x))`` holds on an absent key; comparisons are same
type only (``Int(1)`` is not ``Float(1.0)``); ``glob``/``iglob``/``regex`` are anchored at
both ends; ``contains`` needs a List; ``fuzzy`` allows at most 8 edits. Names that are
Python keywords or builtins take a trailing underscore: ``in_``, ``all_``, ``any_``,
``not_``, ``and_``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .values import AttrInput, encode_value

#: One predicate in its wire form.
Predicate = dict
#: A conjunction of predicates.
Filter = list


def _values(values: Any, who: str) -> list:
    # A str is a sequence of characters: f.in_("lang", "rust") is never what is meant.
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{who} expects a sequence of values, not a single {type(values).__name__} "
                        f"(did you mean [{values!r}]?)")
    return [encode_value(x) for x in values]


class f:
    """Predicate constructors, one per variant of nidus's filter language."""

    @staticmethod
    def eq(key: str, value: AttrInput) -> Predicate:
        """``attrs[key]`` is present and equal to ``value`` (same type)."""
        return {"Eq": [key, encode_value(value)]}

    @staticmethod
    def ne(key: str, value: AttrInput) -> Predicate:
        """``attrs[key]`` is present and not equal to ``value``."""
        return {"Ne": [key, encode_value(value)]}

    @staticmethod
    def lt(key: str, value: AttrInput) -> Predicate:
        """``attrs[key] < value`` (same type: Int, Float, Str, Bool, DateTime)."""
        return {"Lt": [key, encode_value(value)]}

    @staticmethod
    def le(key: str, value: AttrInput) -> Predicate:
        """``attrs[key] <= value`` (same type)."""
        return {"Le": [key, encode_value(value)]}

    @staticmethod
    def gt(key: str, value: AttrInput) -> Predicate:
        """``attrs[key] > value`` (same type)."""
        return {"Gt": [key, encode_value(value)]}

    @staticmethod
    def ge(key: str, value: AttrInput) -> Predicate:
        """``attrs[key] >= value`` (same type)."""
        return {"Ge": [key, encode_value(value)]}

    @staticmethod
    def in_(key: str, values: Sequence[AttrInput]) -> Predicate:
        """``attrs[key]`` equals one of ``values``."""
        return {"In": [key, _values(values, "f.in_(key, values)")]}

    @staticmethod
    def not_in(key: str, values: Sequence[AttrInput]) -> Predicate:
        """``attrs[key]`` is present and equals none of ``values``."""
        return {"NotIn": [key, _values(values, "f.not_in(key, values)")]}

    @staticmethod
    def glob(key: str, pattern: str) -> Predicate:
        """``attrs[key]`` is a Str matching the glob (``*``, ``?``, ``[a-z]``, ``[!x]``), whole."""
        return {"Glob": [key, pattern]}

    @staticmethod
    def iglob(key: str, pattern: str) -> Predicate:
        """:meth:`glob` with ASCII case folded on both sides."""
        return {"IGlob": [key, pattern]}

    @staticmethod
    def contains(key: str, value: AttrInput) -> Predicate:
        """``attrs[key]`` is a List holding the string ``value`` (a whole element)."""
        return {"Contains": [key, encode_value(value)]}

    @staticmethod
    def not_contains(key: str, value: AttrInput) -> Predicate:
        """``attrs[key]`` is a List not holding ``value``."""
        return {"NotContains": [key, encode_value(value)]}

    @staticmethod
    def contains_any(key: str, values: Sequence[AttrInput]) -> Predicate:
        """``attrs[key]`` is a List holding at least one of ``values`` (none given: false)."""
        return {"ContainsAny": [key, _values(values, "f.contains_any(key, values)")]}

    @staticmethod
    def fuzzy(key: str, text: str, max_edits: int) -> Predicate:
        """The text (a Str, or any element of a List) is within ``max_edits`` (0..8)
        Levenshtein edits of ``text``, ASCII case folded."""
        return {"Fuzzy": [key, text, max_edits]}

    @staticmethod
    def contains_all_tokens(key: str, text: str) -> Predicate:
        """Every token of ``text`` is among the attribute's tokens (ASCII case folded)."""
        return {"ContainsAllTokens": [key, text]}

    @staticmethod
    def contains_any_token(key: str, text: str) -> Predicate:
        """Some token of ``text`` is among the attribute's tokens."""
        return {"ContainsAnyToken": [key, text]}

    @staticmethod
    def contains_token_sequence(key: str, text: str) -> Predicate:
        """The tokens of ``text`` appear consecutively, in order (a phrase)."""
        return {"ContainsTokenSequence": [key, text]}

    @staticmethod
    def regex(key: str, pattern: str) -> Predicate:
        """The whole text matches ``pattern`` (POSIX ERE; a leading ``(?i)`` folds case)."""
        return {"Regex": [key, pattern]}

    @staticmethod
    def all_(*preds: Predicate) -> Predicate:
        """Every one of ``preds`` holds (none given: true)."""
        return {"All": list(preds)}

    @staticmethod
    def any_(*preds: Predicate) -> Predicate:
        """At least one of ``preds`` holds (none given: false)."""
        return {"Any": list(preds)}

    @staticmethod
    def not_(pred: Predicate) -> Predicate:
        """``pred`` does not hold (true on a record lacking the key, unlike :meth:`ne`)."""
        return {"Not": pred}

    @staticmethod
    def and_(*preds: Predicate) -> Filter:
        """The predicates as a Filter (a list): they already AND."""
        return list(preds)

"""Filters: the f.* helpers build the SDK's wire shapes, and the library's answers to
random filter trees equal a Python model of nidus 0.80's predicate semantics."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

import nidus
from nidus import f, v

# ---- the helpers build exactly the SDK's wire form ----


def test_wire_shapes():
    assert f.eq("k", "x") == {"Eq": ["k", {"Str": "x"}]}
    assert f.ne("k", 1) == {"Ne": ["k", {"Int": 1}]}
    assert f.lt("k", 1.5) == {"Lt": ["k", {"Float": 1.5}]}
    assert f.le("k", True) == {"Le": ["k", {"Bool": True}]}
    assert f.gt("k", None) == {"Gt": ["k", "Null"]}
    assert f.ge("k", v.datetime(5)) == {"Ge": ["k", {"DateTime": 5}]}
    assert f.in_("k", ["a", 2]) == {"In": ["k", [{"Str": "a"}, {"Int": 2}]]}
    assert f.not_in("k", []) == {"NotIn": ["k", []]}
    assert f.glob("k", "a*") == {"Glob": ["k", "a*"]}
    assert f.iglob("k", "A*") == {"IGlob": ["k", "A*"]}
    assert f.contains("k", "a") == {"Contains": ["k", {"Str": "a"}]}
    assert f.not_contains("k", "a") == {"NotContains": ["k", {"Str": "a"}]}
    assert f.contains_any("k", ["a"]) == {"ContainsAny": ["k", [{"Str": "a"}]]}
    assert f.fuzzy("k", "abc", 2) == {"Fuzzy": ["k", "abc", 2]}
    assert f.contains_all_tokens("k", "a b") == {"ContainsAllTokens": ["k", "a b"]}
    assert f.contains_any_token("k", "a b") == {"ContainsAnyToken": ["k", "a b"]}
    assert f.contains_token_sequence("k", "a b") == {"ContainsTokenSequence": ["k", "a b"]}
    assert f.regex("k", ".*") == {"Regex": ["k", ".*"]}
    assert f.all_(f.eq("a", 1)) == {"All": [{"Eq": ["a", {"Int": 1}]}]}
    assert f.any_() == {"Any": []}
    assert f.not_(f.eq("a", 1)) == {"Not": {"Eq": ["a", {"Int": 1}]}}
    assert f.and_(f.eq("a", 1), f.eq("b", 2)) == [f.eq("a", 1), f.eq("b", 2)]
    for call in (lambda: f.in_("k", "ab"), lambda: f.not_in("k", "ab"), lambda: f.contains_any("k", "ab")):
        with pytest.raises(TypeError):
            call()


# ---- a model of the predicates ----

UTC = dt.timezone.utc


def typed(x):
    """A wire value as (tag, payload)."""
    if x == "Null":
        return ("Null", None)
    (tag, payload), = x.items()
    return (tag, payload)


def eq(a, b):
    ta, pa = a
    tb, pb = b
    return ta == tb and pa == pb


def order(a, b):
    """-1/0/1 for same-type orderable values, else None."""
    ta, pa = a
    tb, pb = b
    if ta != tb or ta not in ("Int", "Float", "Str", "Bool", "DateTime"):
        return None
    if ta == "Str":
        pa, pb = pa.encode(), pb.encode()
    return (pa > pb) - (pa < pb)


def glob_re(pat, fold):
    out, i = [], 0
    while i < len(pat):
        c = pat[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = pat.index("]", i + 2)
            body = pat[i + 1:j]
            neg = body[0] in "!^"
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE | re.ASCII if fold else 0))


def tokens(s):
    return [t.lower() for t in re.findall(rb"[A-Za-z0-9\x80-\xff]+", s.encode())]


def lev(a, b):
    a, b = a.lower() if a.isascii() else a, b.lower() if b.isascii() else b
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def texts(val):
    tag, p = val
    return [p] if tag == "Str" else p if tag == "List" else []


def model(pred, attrs):
    (op, args), = pred.items()
    if op == "All":
        return all(model(p, attrs) for p in args)
    if op == "Any":
        return any(model(p, attrs) for p in args)
    if op == "Not":
        return not model(args, attrs)
    key = args[0]
    if key not in attrs:
        return False
    val = typed(attrs[key])
    if op in ("Eq", "Ne"):
        return eq(val, typed(args[1])) == (op == "Eq")
    if op in ("In", "NotIn"):
        hit = any(eq(val, typed(x)) for x in args[1])
        return hit == (op == "In")
    if op in ("Lt", "Le", "Gt", "Ge"):
        o = order(val, typed(args[1]))
        return o is not None and {"Lt": o < 0, "Le": o <= 0, "Gt": o > 0, "Ge": o >= 0}[op]
    if op in ("Glob", "IGlob"):
        return val[0] == "Str" and glob_re(args[1], op == "IGlob").fullmatch(val[1]) is not None
    if op in ("Contains", "NotContains"):
        if val[0] != "List":
            return False
        needle = typed(args[1])
        has = needle[0] == "Str" and needle[1] in val[1]
        return has == (op == "Contains")
    if op == "ContainsAny":
        return val[0] == "List" and any(typed(x)[0] == "Str" and typed(x)[1] in val[1] for x in args[1])
    if op == "Fuzzy":
        return any(lev(t, args[1]) <= args[2] for t in texts(val))
    if op == "Regex":
        rx = re.compile(args[1][4:], re.IGNORECASE) if args[1].startswith("(?i)") else re.compile(args[1])
        return any(rx.fullmatch(t) for t in texts(val))
    q = tokens(args[1])
    for t in texts(val):
        tt = tokens(t)
        if op == "ContainsAllTokens" and all(x in tt for x in q):
            return True
        if op == "ContainsAnyToken" and any(x in tt for x in q):
            return True
        if op == "ContainsTokenSequence" and any(tt[i:i + len(q)] == q for i in range(len(tt) - len(q) + 1)):
            return True
    return False


# ---- random data and random trees ----

WORDS = ["alpha", "Beta", "gamma", "delta", "épée", "ALPHA", "alphas", "beta-gamma", "x", ""]
PHRASES = ["the quick brown fox", "Quick Fox", "fox the quick", "brown, fox!", "über straße", "a1 b2 c3"]


def rand_value(r):
    kind = r.randrange(8)
    if kind == 0:
        return v.str(r.choice(WORDS + PHRASES))
    if kind == 1:
        return v.int(r.randrange(-3, 4))
    if kind == 2:
        return v.float(r.choice([-1.5, 0.0, -0.0, 0.5, 2.0, 3.0]))
    if kind == 3:
        return v.bool(r.random() < 0.5)
    if kind == 4:
        return v.list(r.sample(WORDS + PHRASES, r.randrange(4)))
    if kind == 5:
        return v.datetime(r.randrange(-2, 3) * 86_400_000)
    if kind == 6:
        return v.nil()
    return v.int(r.randrange(2)) if r.random() < 0.5 else v.float(float(r.randrange(2)))


KEYS = ["a", "b", "c"]


def rand_attrs(r):
    return {k: rand_value(r) for k in KEYS if r.random() < 0.75}


GLOBS = ["*", "a*", "*a", "?eta", "[ab]*", "[!a]*", "[a-c]*a", "*ph*", "ALPHA", "é*", "[^x]?*"]
REGEXES = ["alpha", "(?i)alpha", "[a-c].*", ".*a", "(al|be)ta", "(?:q|f).*", "[a-zA-Z]+", "a|b|x", ".*fox.*"]
TOKQ = ["quick fox", "FOX", "the quick", "quick the", "brown fox", "straße", "b2", "zzz"]


def rand_pred(r, depth=0):
    k = r.choice(KEYS)
    op = r.randrange(19 if depth < 3 else 16)
    if op < 6:
        return [f.eq, f.ne, f.lt, f.le, f.gt, f.ge][op](k, rand_value(r))
    if op < 8:
        return (f.in_ if op == 6 else f.not_in)(k, [rand_value(r) for _ in range(r.randrange(3))])
    if op < 10:
        return (f.glob if op == 8 else f.iglob)(k, r.choice(GLOBS))
    if op == 10:
        return (f.contains if r.random() < 0.5 else f.not_contains)(k, r.choice([v.str(r.choice(WORDS)), 1]))
    if op == 11:
        return f.contains_any(k, [r.choice(WORDS) for _ in range(r.randrange(3))])
    if op == 12:
        return f.fuzzy(k, r.choice(WORDS), r.randrange(4))
    if op == 13:
        return f.regex(k, r.choice(REGEXES))
    if op == 14:
        return [f.contains_all_tokens, f.contains_any_token, f.contains_token_sequence][r.randrange(3)](
            k, r.choice(TOKQ))
    if op == 15:
        return f.eq(k, rand_value(r))
    kids = [rand_pred(r, depth + 1) for _ in range(r.randrange(4))]
    if op == 16:
        return f.all_(*kids)
    if op == 17:
        return f.any_(*kids)
    return f.not_(rand_pred(r, depth + 1))


def test_random_trees_match_the_model():
    r = random.Random(12)
    db = nidus.Store.memory(2)
    data = {f"r{i}": rand_attrs(r) for i in range(120)}
    db.upsert("c", [{"id": i, "vector": [1, (n % 7) - 3], "attrs": a} for n, (i, a) in enumerate(data.items())])
    checked = nonempty = 0
    for _ in range(600):
        filt = [rand_pred(r) for _ in range(r.randrange(1, 3))]
        want = {i for i, a in data.items() if all(model(p, a) for p in filt)}
        got = {h.id for h in db.search(query=[1, 0], top_k=1000, filter=filt)}
        assert got == want, filt
        checked += 1
        nonempty += bool(want) and len(want) < len(data)
    assert checked == 600 and nonempty > 150  # the filters were selective, not trivial


def test_delete_where_agrees_with_search():
    r = random.Random(5)
    for _ in range(20):
        db = nidus.Store.memory(2)
        data = {f"r{i}": rand_attrs(r) for i in range(40)}
        db.upsert("c", [{"id": i, "vector": [1, 1], "attrs": a} for i, a in data.items()])
        filt = [rand_pred(r)]
        match = {h.id for h in db.search(query=[1, 1], top_k=100, filter=filt)}
        if not match:
            continue
        assert db.delete_where("c", filt) == len(match)
        assert {x.id for x in db.records("c")} == set(data) - match


def test_specific_semantics():
    db = nidus.Store.memory(2)
    db.upsert("c", [{"id": "one", "vector": [1, 0], "attrs": {"n": 1, "x": 1.0, "s": "Src/Main.rs"}},
                    {"id": "none", "vector": [1, 0], "attrs": {}}])

    def ids(*filt):
        return sorted(h.id for h in db.search(query=[1, 0], filter=list(filt)))

    assert ids(f.eq("n", 1)) == ["one"] and ids(f.eq("n", 1.0)) == []  # same type only
    assert ids(f.eq("x", 1.0)) == ["one"] and ids(f.eq("x", -0.0 + 1)) == ["one"]
    assert ids(f.ne("n", 2)) == ["one"]  # absent key fails Ne
    assert ids(f.not_(f.eq("n", 2))) == ["none", "one"]  # but passes Not(Eq)
    assert ids(f.iglob("s", "src/*")) == ["one"] and ids(f.glob("s", "src/*")) == []
    assert ids(f.all_()) == ["none", "one"] and ids(f.any_()) == []
    assert sorted(h.id for h in db.search(query=[1, 0], filter=None)) == ["none", "one"]
    assert sorted(h.id for h in db.search(query=[1, 0], filter=[])) == ["none", "one"]


BAD_SHAPES = [
    ([{"Eq": ["k"]}], TypeError),
    ([{"Eq": "k"}], TypeError),
    ([{"Eq": ["k", 1], "Ne": ["k", 1]}], TypeError),
    ([{}], TypeError),
    ([{"Nope": ["k", 1]}], ValueError),
    ([{1: ["k", 1]}], TypeError),
    ([{"Eq": [1, 1]}], TypeError),
    ([{"Eq": ["k\0", 1]}], ValueError),
    ([{"Glob": ["k", 1]}], TypeError),
    ([{"Glob": ["k", "a\0"]}], ValueError),
    ([{"In": ["k", "ab"]}], TypeError),
    ([{"In": ["k", 1]}], TypeError),
    ([{"Fuzzy": ["k", "a"]}], TypeError),
    ([{"Fuzzy": ["k", "a", "2"]}], TypeError),
    ([{"Fuzzy": ["k", "a", -1]}], ValueError),
    ([{"Fuzzy": ["k", "a", True]}], TypeError),
    ([{"All": {"Eq": ["k", 1]}}], TypeError),
    ([{"All": [1]}], TypeError),
    ([{"Not": [{"Eq": ["k", 1]}]}], TypeError),
    ([[{"Eq": ["k", 1]}]], TypeError),
    ("Eq", TypeError),
    (42, TypeError),
]


@pytest.mark.parametrize("filt,exc", BAD_SHAPES, ids=[repr(b[0])[:40] for b in BAD_SHAPES])
def test_bad_shapes(filt, exc):
    db = nidus.Store.memory(2)
    with pytest.raises(exc):
        db.search(query=[1, 0], filter=filt)


def test_library_refusals_carry_its_message():
    db = nidus.Store.memory(2)
    for filt, part in [([f.regex("k", "(a")], "Regex"), ([f.regex("k", r"(a)\1")], "Regex"),
                       ([f.fuzzy("k", "a", 9)], "Fuzzy"), ([f.regex("k", "a" * 2000)], "Regex")]:
        with pytest.raises(nidus.InvalidArgumentError) as e:
            db.search(query=[1, 0], filter=filt)
        assert "invalid filter" in str(e.value) and part in str(e.value)
    deep = f.eq("k", 1)
    for _ in range(70):
        deep = f.not_(deep)
    with pytest.raises(nidus.InvalidArgumentError):
        db.search(query=[1, 0], filter=[deep])
    for _ in range(10000):  # far deeper: refused by the binding, the C stack is safe
        deep = f.not_(deep)
    with pytest.raises(ValueError):
        db.search(query=[1, 0], filter=[deep])

#!/usr/bin/env python3
"""fuzz/seeds.py — regenerate the hand-made seed inputs of fuzz/corpus/<target>/.

Run from the source root: python3 fuzz/seeds.py. Not part of the build (the seeds
are committed); it documents where each seed comes from. Seeds are named
seed-<what>; inputs found by libFuzzer and kept as regressions are named
found-<what> or crash-<what> and are not touched here.

The header, frame, log and open seeds are cut from the golden stores written by
nidus 0.3.1 (tests/golden/), with frames and manifests of later versions built from
docs/FORMAT.md §10; the others are programs in the byte formats that
fuzz_filter_glob.c and fuzz_api.c decode, and JSON for fuzz_cli_json.c.
"""
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def golden(store, name):
    with open(os.path.join(GOLDEN, store, name), "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def frames(log):
    """The (offset, payload) of every frame of a log."""
    out, pos = [], 0
    while pos + 8 <= len(log):
        n = struct.unpack_from("<I", log, pos)[0]
        out.append((pos, log[pos + 4:pos + 4 + n]))
        pos += 8 + n
    return out


def frame(payload):
    return struct.pack("<I", len(payload)) + payload + struct.pack("<I", zlib.crc32(payload))


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(b)) + b


STORES = ["a_minimal", "b_mixed", "c_compacted"]

# ------------------------------------------------------------------ header ----
a_data = golden("a_minimal", "data")
write("header", "a_minimal", a_data[:64])
write("header", "b_mixed", golden("b_mixed", "data")[:64])
write("header", "bad_magic", b"NIDUs\0" + a_data[6:64])
write("header", "version2", a_data[:6] + b"\x02\x00" + a_data[8:64])
write("header", "dim0", a_data[:8] + b"\0\0\0\0" + a_data[12:64])
write("header", "dim_max", a_data[:8] + b"\xff\xff\xff\xff" + a_data[12:64])
write("header", "reserved_set", a_data[:12] + b"\xaa" * 52)
write("header", "short", a_data[:10])

# ------------------------------------------------------------------- frame ----
seen = set()
for st in STORES:
    for off, p in frames(golden(st, "log")):
        if p in seen:
            continue
        seen.add(p)
        write("frame", "%s_%04x" % (st, off), p)
# docs/FORMAT.md §5.4: Float and DateTime values.
fd = (struct.pack("<I", 3) + s("c") + s("f") + struct.pack("<Q", 1) + struct.pack("<Q", 2)
      + s("at") + struct.pack("<I", 6) + struct.pack("<q", 1700000000000)
      + s("w") + struct.pack("<I", 5) + struct.pack("<d", 0.5))
write("frame", "float_datetime", fd)
# Keys out of order and repeated (readers sort, last wins), trailing bytes ignored.
unsorted = (struct.pack("<I", 3) + s("c") + s("i") + struct.pack("<Q", 0) + struct.pack("<Q", 3)
            + s("t") + struct.pack("<I", 0) + s("k") + struct.pack("<I", 2) + struct.pack("<q", -1)
            + s("k") + struct.pack("<I", 4) + struct.pack("<Q", 2) + s("x") + s("y z"))
write("frame", "unsorted_dup_keys", unsorted + b"\x99\x98")
meta = (struct.pack("<I", 2) + s("c") + struct.pack("<Q", 3) + s("n") + s("2") + s("m") + s("1") + s("n") + s("3"))
write("frame", "meta_unsorted_dup", meta)
write("frame", "bad_utf8", struct.pack("<I", 0) + s(b"\xed\xa0\x80"))
write("frame", "bad_bool", struct.pack("<I", 3) + s("c") + s("i") + struct.pack("<QQ", 0, 1) + s("b")
      + struct.pack("<I", 3) + b"\x02")
write("frame", "count_too_big", struct.pack("<I", 2) + s("c") + struct.pack("<Q", 1 << 60))
write("frame", "empty", b"")

# Ops 5-9 of later nidus versions (docs/FORMAT.md §10.4), verified against nidus 0.80's
# bincode: EVERSION when whole; cut short, malformed.
LATER = {
    "op5_upsert_text": struct.pack("<I", 5) + s("docs") + s("a") + struct.pack("<Q", 0),
    "op6_set_fts_schema": struct.pack("<I", 6) + s("docs") + struct.pack("<Q", 1) + s("body") + struct.pack("<I", 0),
    "op7_set_fts_fields": struct.pack("<I", 7) + s("docs") + struct.pack("<Q", 1) + s("body")
    + struct.pack("<ffI", 1.2, 0.75, 0) + b"\0\0",
    "op8_set_filter_index": struct.pack("<I", 8) + s("docs") + struct.pack("<Q", 1) + s("text") + b"\1\1",
    "op9_reinforce": struct.pack("<I", 9) + s("docs") + s("a") + struct.pack("<qq", 3, 1700000000000) + b"\0",
}
for name, p in LATER.items():
    write("frame", name, p)
write("frame", "op9_reinforce_cut", LATER["op9_reinforce"][:-1])
write("frame", "op5_value_tag7", struct.pack("<I", 5) + s("c") + s("a") + struct.pack("<Q", 1) + s("k")
      + struct.pack("<I", 7))
write("frame", "op_tag10", struct.pack("<I", 10) + s("c"))

# --------------------------------------------------------------------- log ----
# One control byte (fuzz_log.c): bit 0 fix CRCs, bit 1 keep the last, bits 2-7 OOM.
for st in STORES:
    log = golden(st, "log")
    write("log", st, b"\0" + log)
b_log = golden("b_mixed", "log")
fr = frames(b_log)
write("log", "b_mixed_torn_mid_frame", b"\0" + b_log[:fr[5][0] + 9])
write("log", "b_mixed_torn_len", b"\0" + b_log[:fr[3][0] + 2])
last_bad = bytearray(b_log)
last_bad[-1] ^= 0xFF
write("log", "b_mixed_bad_last_crc", b"\0" + bytes(last_bad))
mid_bad = bytearray(b_log)
mid_bad[fr[4][0] + 6] ^= 0x01
write("log", "b_mixed_corrupt_mid", b"\0" + bytes(mid_bad))
# A flipped payload byte with the CRC recomputed: the decoder decides.
tag_bad = bytearray(b_log)
tag_bad[fr[2][0] + 4] = 9
write("log", "b_mixed_bad_tag_fixed", b"\x01" + bytes(tag_bad))
write("log", "b_mixed_oom3", bytes([(3 + 1) << 2]) + b_log)
write("log", "b_mixed_oom40", bytes([(40 + 1) << 2]) + b_log)
write("log", "zero_frame", b"\0" + b"\0" * 8 + frame(struct.pack("<I", 0) + s("c")))
write("log", "zero_frame_last", b"\0" + frame(struct.pack("<I", 0) + s("c")) + b"\0" * 8)
write("log", "float_datetime", b"\0" + frame(fd) + frame(unsorted))
write("log", "empty", b"\0")
# A later op last (never a torn tail), in the middle, and an unknown tag last.
write("log", "later_op_last", b"\0" + b_log + frame(LATER["op9_reinforce"]))
write("log", "later_op_mid", b"\0" + b_log[:fr[3][0]] + frame(LATER["op8_set_filter_index"]) + b_log[fr[3][0]:])
write("log", "tag10_last", b"\0" + b_log + frame(struct.pack("<I", 10) + s("c")))

# ---------------------------------------------------------------- manifest ----
# One control byte (fuzz_manifest.c): bit 0 rewrite the CRC. The examples of
# docs/FORMAT.md §10.2, verified against nidus 0.80's bincode and crc32fast.


def manifest(fmt, dim, dist, segs, next_id, version, profile=b""):
    body = struct.pack("<HQI", fmt, dim, dist) + struct.pack("<Q", len(segs)) + b"".join(s(x) for x in segs)
    body += struct.pack("<QQ", next_id, version) + profile
    return struct.pack("<I", zlib.crc32(body)) + body


fresh = manifest(2, 3, 0, ["data"], 1, 1, b"\0\0\0\0")
write("manifest", "fresh_v2", b"\0" + fresh)
write("manifest", "seg_v1", b"\0" + manifest(1, 3, 1, ["data", "seg-00000001"], 2, 2))
write("manifest", "seg_v2", b"\0" + manifest(2, 3, 1, ["data", "seg-00000001"], 2, 2, b"\0\0\0\0"))
write("manifest", "bad_crc", b"\0" + fresh[:4] + bytes([fresh[4] ^ 1]) + fresh[5:])
write("manifest", "cut_fix", b"\1" + fresh[:30])
write("manifest", "no_segments", b"\0" + manifest(2, 3, 0, [], 1, 1))
write("manifest", "format3", b"\0" + manifest(3, 3, 0, ["data"], 1, 1))
write("manifest", "distance7", b"\0" + manifest(2, 3, 7, ["data"], 1, 1))
write("manifest", "first_not_data", b"\0" + manifest(1, 3, 0, ["seg-00000001"], 2, 2))
write("manifest", "short", b"\0\1\2\3")

# -------------------------------------------------------------------- open ----
# u32 control (fuzz_open.c): bits 0-23 split, 24 fix CRCs, 25 marker, 26 both,
# 27 bad marker, 28 stale lock, 29 leftovers, 30 no auto-compaction, 31 max_vector_bytes 96.
FIX, MARK, BOTH, BADM, LOCK, LEFT, NOAUTO, CAP = (1 << 24, 1 << 25, 1 << 26, 1 << 27, 1 << 28, 1 << 29,
                                                1 << 30, 1 << 31)


def store_input(data, log, flags=0):
    return struct.pack("<I", len(data) | flags) + data + log


for st in STORES:
    write("open", st, store_input(golden(st, "data"), golden(st, "log")))
b_data = golden("b_mixed", "data")
write("open", "b_mixed_marker", store_input(b_data, b_log, MARK))
write("open", "b_mixed_marker_both", store_input(b_data, b_log, MARK | BOTH))
write("open", "b_mixed_marker_bad", store_input(b_data, b_log, MARK | BOTH | BADM))
write("open", "b_mixed_stale_lock", store_input(b_data, b_log, LOCK))
write("open", "b_mixed_leftovers", store_input(b_data, b_log, LEFT))
write("open", "b_mixed_partial_row", store_input(b_data + b"\x01\x02\x03\x04\x05", b_log))
write("open", "b_mixed_torn_log", store_input(b_data, b_log[:fr[-1][0] + 11]))
write("open", "b_mixed_corrupt_log", store_input(b_data, bytes(mid_bad)))
# Rows lost from data: Upserts past the end are ignored, and a writer compacts.
write("open", "b_mixed_rows_lost", store_input(b_data[:64 + 12 * 4], b_log))
# Many dead rows: auto-compaction on a writer's open.
dead = frame(struct.pack("<I", 1) + s("code"))
write("open", "b_mixed_dropped", store_input(b_data, b_log + dead))
write("open", "b_mixed_dropped_noauto", store_input(b_data, b_log + dead, NOAUTO))
write("open", "b_mixed_cap", store_input(b_data, b_log, CAP))
write("open", "a_minimal_cap", store_input(a_data, golden("a_minimal", "log"), CAP))
write("open", "c_compacted_fixcrc", store_input(golden("c_compacted", "data"), golden("c_compacted", "log"), FIX))
write("open", "dim0_header", store_input(a_data[:8] + b"\0\0\0\0" + a_data[12:], golden("a_minimal", "log")))
write("open", "short_header", store_input(a_data[:40], b""))
write("open", "empty_data", store_input(b"", golden("a_minimal", "log")))
write("open", "float_datetime", store_input(b_data, frame(struct.pack("<I", 0) + s("c")) + frame(fd)))

# ------------------------------------------------------------- filter_glob ----
# take_str: a byte b; b & 0x80: 1 + (b & 3) (at most 3) stock pieces, one index
# byte each; else b % 24 raw bytes. Stock indices (fuzz_filter_glob.c STOCK).
X, Y, XY, STAR, Q, AZ, NOTX, E_ACUTE, HSTARO, HELLO, SRCSTAR, SRCA, K, T = 1, 2, 3, 4, 5, 8, 9, 20, 21, 22, 30, 31, 38, 39
CLASS_EMPTY, CLASS_ANY, CLASS_DASH, OPEN_STAR, RANGE_U = 11, 12, 13, 19, 25


def stock(*idx):
    return bytes([0x80 | (len(idx) - 1)] + list(idx))


def raw(b):
    return bytes([len(b)]) + b


def v_str(sb):
    return b"\x01" + sb


def v_int(i):
    return bytes([2, i & 0xFF])


def glob_case(pat, text, preds=b"\0", attrs=b"\0"):
    return pat + text + preds + attrs


write("filter_glob", "star", glob_case(stock(HSTARO), stock(HELLO)))
write("filter_glob", "src", glob_case(stock(SRCSTAR), stock(SRCA)))
write("filter_glob", "class", glob_case(stock(AZ, STAR), stock(X, Y)))
write("filter_glob", "negated", glob_case(stock(NOTX, Q), stock(Y, XY)))
write("filter_glob", "empty_class", glob_case(stock(CLASS_EMPTY), raw(b"]")))
write("filter_glob", "any_class", glob_case(stock(CLASS_ANY), stock(E_ACUTE)))
write("filter_glob", "dash", glob_case(stock(CLASS_DASH), raw(b"-")))
write("filter_glob", "unterminated", glob_case(stock(OPEN_STAR), raw(b"[hello")))
write("filter_glob", "unicode_range", glob_case(stock(RANGE_U), stock(E_ACUTE)))
write("filter_glob", "invalid_utf8", glob_case(raw(b"*\xc3"), raw(b"a\xc3")))
# Predicates: count byte (% 5); kind byte (% 8: 0 Eq, 1 Glob, 2 In, 7 bad); key.
eq_k = b"\x00" + stock(K) + v_str(stock(X))
glob_t = b"\x01" + stock(T) + stock(XY, STAR)
in_k = b"\x02" + stock(K) + b"\x02" + v_int(3) + v_str(stock(X))
attrs_kt = b"\x02" + b"\x02" + v_str(stock(X)) + b"\x04" + v_str(stock(XY, Y))  # k = "x", t = "xyy"
write("filter_glob", "eq_glob_in", glob_case(b"\0", b"\0", b"\x03" + eq_k + glob_t + in_k, attrs_kt))
write("filter_glob", "absent_key", glob_case(b"\0", b"\0", b"\x01" + b"\x00" + raw(b"zz") + b"\x00", attrs_kt))
write("filter_glob", "last_wins", glob_case(b"\0", b"\0", b"\x01" + eq_k,
                                            b"\x03\x02" + v_int(1) + b"\x04" + b"\x00" + b"\x02" + v_str(stock(X))))
write("filter_glob", "bad_kind", glob_case(b"\0", b"\0", b"\x01\x07" + stock(K), b"\0"))
write("filter_glob", "bad_value", glob_case(b"\0", b"\0", b"\x01\x00" + stock(K) + b"\x07", b"\0"))
write("filter_glob", "floats", glob_case(b"\0", b"\0", b"\x01\x02" + stock(K) + b"\x03\x05\x01\x05\x02\x05\x05",
                                         b"\x01\x02\x05\x02"))
write("filter_glob", "lists", glob_case(b"\0", b"\0", b"\x01\x00" + stock(K) + b"\x04\x02" + stock(X) + stock(Y),
                                        b"\x01\x02\x04\x02" + stock(X) + stock(Y)))

# --------------------------------------------------------------------- api ----
# fuzz_api.c: mode byte, then per op: opcode, collection (% 4: a, b, "", ü), args.
A, B, EMPTY, UUML = 0, 1, 2, 3
CREATE, DROP, META, UPSERT, DELETE, WHERE, COMPACT, SEARCH, REOPEN, READER, GET, FLUSH, INVALID, BULK = \
    0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15


def op(code, coll, args=b""):
    return bytes([code, coll]) + args


def rec(idx, vec, attrs=()):
    b = bytes([idx]) + bytes(x & 0xFF for x in vec) + bytes([len(attrs)])
    for key, t, a in attrs:
        b += bytes([key, t, a])
    return b


def upsert(coll, recs, bad=0):
    return op(UPSERT, coll, bytes([len(recs), bad]) + b"".join(recs))


def search(coll_scope, k, vec, filt=b"\0", minscore=0):
    scope = bytes([len(coll_scope)]) + bytes(coll_scope)
    return op(SEARCH, 0, bytes([k]) + bytes(x & 0xFF for x in vec) + scope + filt + bytes([minscore]))


# values: (type % 7, arg): 0 Null, 1 Str SVAL[a % 4] (x y xy ""), 2 Int a%4-1, 3 Bool,
# 4 List (a % 3 items), 5 Float (0.5 -0 0 2 NaN), 6 DateTime
basic = (upsert(A, [rec(0, [16, 0, 0, 0], [(0, 1, 0)]), rec(1, [0, 16, 0, 0], [(0, 1, 2), (1, 2, 3)]),
                    rec(3, [16, 16, 0, 0])])
         + search([], 3, [16, 8, 0, 0]))
write("api", "upsert_search", b"\0" + basic)
write("api", "memory", b"\x01" + basic + op(DELETE, A, b"\x02\x00\x00") + search([], 7, [1, 2, 3, 4]))
write("api", "reopen_reader", b"\x02" + basic + op(META, B, b"\x02\x00\x00\x01\x01") + op(REOPEN, 1)
      + op(READER, 0) + op(FLUSH, 0))
write("api", "drop_compact", b"\0" + basic + upsert(B, [rec(2, [-16, 0, 0, 0])]) + op(DROP, A) + op(COMPACT, 0)
      + op(REOPEN, 0) + search([1, 0, 4], 5, [-1, 0, 0, 0]))
glob_filter = b"\x01" + b"\x01\x00" + b"\x00"  # Glob("k", "x*")
write("api", "delete_where", b"\0" + basic + op(WHERE, A, glob_filter) + op(GET, A, b"\x04\x00\x01\x03\x01"))
in_filter = b"\x01" + b"\x02\x00" + b"\x02" + bytes([1, 0, 1, 2])  # In("k", [Str x, Str xy])
write("api", "search_filter_min", b"\0" + basic + search([0], 4, [16, 0, 0, 0], in_filter, 3))
write("api", "overwrite_batch", b"\0" + upsert(EMPTY, [rec(5, [1, 1, 1, 1], [(1, 5, 4)]), rec(5, [0, 0, 0, 0]),
                                                      rec(4, [0, 0, 0, 0], [(0, 4, 2), (0, 6, 1)])])
      + search([], 2, [0, 0, 0, 0]) + op(REOPEN, 1) + op(GET, EMPTY, b"\x02\x05\x04"))
write("api", "bad_calls", b"\0" + upsert(UUML, [rec(0, [1, 2, 3, 4])], 0xEE) + upsert(UUML, [rec(0, [1, 2, 3, 4])], 0xEF)
      + op(INVALID, UUML) + upsert(UUML, []) + op(CREATE, B) + op(READER, 1))
write("api", "ties", b"\0" + upsert(A, [rec(0, [16, 0, 0, 0]), rec(1, [32, 0, 0, 0]), rec(2, [4, 0, 0, 0])])
      + upsert(B, [rec(3, [16, 0, 0, 0])]) + search([], 2, [1, 0, 0, 0]) + op(COMPACT, 0)
      + search([], 3, [1, 0, 0, 0], b"\0", 2))

eq_int0 = b"\x01" + b"\x00\x00" + b"\x02\x01"  # Eq("k", Int 0)
write("api", "bulk", b"\0" + op(BULK, A, b"\x12\x05") + search([], 5, [3, -2, 1, 0]) + op(WHERE, A, eq_int0)
      + op(REOPEN, 1) + op(BULK, B, b"\x00\x81") + op(DROP, A) + op(COMPACT, 0) + op(READER, 0))

# ---------------------------------------------------------------- cli_json ----
cj = {
    "record": b'{"id": "a", "vector": [1, 2.5, -0.0], "attrs": {"k": {"Float": 0.1}, "s": {"Str": "h\\u0000i"},'
              b' "l": {"List": ["x", "y z"]}, "n": "Null", "d": {"DateTime": 1700000000000}, "b": {"Bool": true},'
              b' "i": {"Int": -7}}}',
    "record_collection": b'{"collection": "c", "id": "\\u00e9", "vector": [3, 4], "attrs": null}',
    "record_typo": b'{"id": "a", "vector": [1], "atrs": {}}',
    "record_nul_id": b'{"id": "a\\u0000b", "vector": [1]}',
    "filter": b'[{"Eq": ["k", {"Int": 3}]}, {"Glob": ["p", "src/*"]}, {"In": ["l", [{"Bool": true}, "Null"]]}]',
    "filter_bad": b'[{"Eq": ["k"]}, {"Like": ["k", "x"]}]',
    "filter_tree": b'[{"Any": [{"Ne": ["k", {"Float": 0.5}]}, {"Not": {"Contains": ["t", {"Str": "x"}]}}]},'
                   b' {"All": [{"Ge": ["d", {"DateTime": 5}]}, {"NotIn": ["k", []]}]}, {"Fuzzy": ["s", "nid", 2]},'
                   b' {"ContainsTokenSequence": ["s", "a b"]}, {"Regex": ["s", "(?i)a(b|c)*"]}, {"IGlob": ["s", "A*"]}]',
    "filter_tree_bad": b'[{"Not": [{"Eq": ["k", "Null"]}]}, {"Fuzzy": ["s", "x", 9]}, {"Regex": ["s", "(a)\\\\1"]}]',
    "vector": b"[0.1, 1e-45, 3.4028234e38, -0.0, 16777217, 1.0000001]",
    "vector_overflow": b"[3.5e38]",
    "value_float": b'{"Float": 1e308}',
    "value_float_digits": b'{"Float": 0.30000000000000004}',
    "value_list": b'{"List": ["\\ud83d\\ude00", ""]}',
    "attrs": b'{"a": "Null", "b": {"Str": "x"}, "a": {"Int": 1}}',
}
for name, text in cj.items():
    write("cli_json", name, text)
write("cli_json", "raw_floats", b"\xff" + struct.pack("<4f", 0.1, 1e-45, 3.4028234e38, -0.0)
      + struct.pack("<2d", 0.1, 5e-324))


# ------------------------------------------------------------- filter_tree ----
# Generator choices, two bytes each (tests/test_filter_model.h's fm_rand over the
# input): pseudo-random programs of a few lengths; about one in eight ends in mode 7
# (a corrupted node) and one in eight in mode 6 (a raw-byte key).
import random
rng = random.Random(11)
for i in range(40):
    n = [8, 24, 64, 160, 400][i % 5]
    write("filter_tree", "random-%02d" % i, bytes(rng.randrange(256) for _ in range(n)))
write("filter_tree", "empty", b"")

# ------------------------------------------------------------------ findex ----
# Generator choices again (fuzz/fuzz_findex.c): programs of writes and searches of
# a few lengths; the longer ones reach every kind of write.
rng = random.Random(64)
for i in range(16):
    n = [40, 200, 800, 2000][i % 4]
    write("findex", "random-%02d" % i, bytes(rng.randrange(256) for _ in range(n)))
write("findex", "empty", b"")

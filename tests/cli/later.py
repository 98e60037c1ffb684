#!/usr/bin/env python3
"""Turn a store into one a later nidus (0.5 to 0.80) would leave (docs/FORMAT.md §10).

Usage: later.py DIR WHAT [ARGS...]
  manifest FORMAT DISTANCE SEGMENT...   write DIR/manifest ([crc32][bincode], the
                                        dimension from DIR/data; FORMAT 2 adds an
                                        empty open profile)
  segment NAME DISTANCE ROWS            a segment file: data's header with byte 12 =
                                        DISTANCE, then ROWS rows of the dimension
  op TAG                                append the verified frame of op TAG (5-9) of
                                        nidus 0.80, or for 10 an op tag none writes
  op 8 COLL FIELD...                    SetFilterIndex of COLL on FIELDs (each with
                                        nidus's tokens and trigrams on)
  upsert COLL ID ROW                    append an Upsert of ID at (global) row ROW
  byte12 VALUE                          set header byte 12 of DIR/data
  touch NAME...                         create files (caches, leftovers) with a
                                        cache-like body
"""
import struct
import sys
import zlib

d, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def dim():
    with open(d + "/data", "rb") as f:
        return struct.unpack_from("<I", f.read(12), 8)[0]


if what == "manifest":
    fmt, dist, segs = int(args[0]), int(args[1]), args[2:]
    body = struct.pack("<HQI", fmt, dim(), dist) + struct.pack("<Q", len(segs)) + b"".join(s(x) for x in segs)
    body += struct.pack("<QQ", len(segs), len(segs)) + (b"\0\0\0\0" if fmt == 2 else b"")
    open(d + "/manifest", "wb").write(struct.pack("<I", zlib.crc32(body)) + body)
elif what == "segment":
    name, dist, rows = args[0], int(args[1]), int(args[2])
    n = dim()
    hdr = b"NIDUS\0" + struct.pack("<HI", 1, n) + bytes([dist]) + b"\0" * 51
    open(d + "/" + name, "wb").write(hdr + b"".join(struct.pack("<f", r + k / 4) for r in range(rows) for k in range(n)))
elif what == "op":
    tag = int(args[0])
    p = {
        5: struct.pack("<I", 5) + s("docs") + s("a") + struct.pack("<Q", 0),
        6: struct.pack("<I", 6) + s("docs") + struct.pack("<Q", 1) + s("body") + struct.pack("<I", 0),
        7: struct.pack("<I", 7) + s("docs") + struct.pack("<Q", 1) + s("body") + struct.pack("<ffI", 1.2, 0.75, 0)
        + b"\0\0",
        8: struct.pack("<I", 8) + s(args[1] if len(args) > 1 else "docs")
        + struct.pack("<Q", max(len(args) - 2, 1)) + b"".join(s(f) + b"\1\1" for f in (args[2:] or ["text"])),
        9: struct.pack("<I", 9) + s("docs") + s("a") + struct.pack("<qq", 3, 1700000000000) + b"\0",
        10: struct.pack("<I", 10) + s("docs"),
    }[tag]
    open(d + "/log", "ab").write(struct.pack("<I", len(p)) + p + struct.pack("<I", zlib.crc32(p)))
elif what == "upsert":
    p = struct.pack("<I", 3) + s(args[0]) + s(args[1]) + struct.pack("<QQ", int(args[2]), 0)
    open(d + "/log", "ab").write(struct.pack("<I", len(p)) + p + struct.pack("<I", zlib.crc32(p)))
elif what == "byte12":
    b = bytearray(open(d + "/data", "rb").read())
    b[12] = int(args[0])
    open(d + "/data", "wb").write(b)
elif what == "touch":
    for name in args:
        open(d + "/" + name, "wb").write(b"NIDUS\0\1\0cache")
else:
    sys.exit("later.py: unknown " + what)

#!/usr/bin/env python3
"""Write the same small vector set in every format `nidus import`/`upsert` reads.

Usage: mkvec.py FORMAT OUT ROWS DIM
FORMAT: npy, npy-f8 (float64), npy-be / npy-fortran (unsupported variants), fvecs, raw, ndjson,
json (an upsert array), ids, attrs. Row i, component j is ((7i + 3j) % 11 - 5) / 4:
exact in binary and decimal, so every format carries the same floats. Records
are "r<i>" with attrs {"i": {"Int": i}, "tag": {"Str": "t<i % 3>"}}.
"""
import json
import struct
import sys

fmt, out, rows, dim = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
vec = [[((7 * i + 3 * j) % 11 - 5) / 4 for j in range(dim)] for i in range(rows)]
attrs = [{"i": {"Int": i}, "tag": {"Str": "t%d" % (i % 3)}} for i in range(rows)]


def npy(descr, fortran, pack):
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }" % (descr, fortran, rows, dim)
    hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
    body = b"".join(struct.pack(pack, x) for r in vec for x in r)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + body


if fmt == "npy":
    data = npy("<f4", "False", "<f")
elif fmt == "npy-f8":
    data = npy("<f8", "False", "<d")
elif fmt == "npy-be":
    data = npy(">f4", "False", ">f")
elif fmt == "npy-fortran":
    data = npy("<f4", "True", "<f")
elif fmt == "fvecs":
    data = b"".join(struct.pack("<i", dim) + struct.pack("<%df" % dim, *r) for r in vec)
elif fmt == "raw":
    data = b"".join(struct.pack("<%df" % dim, *r) for r in vec)
elif fmt == "ndjson":
    data = "".join(json.dumps({"id": "r%d" % i, "vector": vec[i], "attrs": attrs[i]}) + "\n" for i in range(rows)).encode()
elif fmt == "json":
    data = json.dumps([{"id": "r%d" % i, "vector": vec[i], "attrs": attrs[i]} for i in range(rows)]).encode()
elif fmt == "ids":
    data = "".join("r%d\n" % i for i in range(rows)).encode()
elif fmt == "attrs":
    data = "".join(json.dumps(a) + "\n" for a in attrs).encode()
else:
    sys.exit("mkvec.py: unknown format " + fmt)
open(out, "wb").write(data)

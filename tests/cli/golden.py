#!/usr/bin/env python3
"""Check the CLI against a golden store's expected.json (written by nidus 0.3.1).

Usage: golden.py STORE_DIR. Runs `nidus get`, `meta get`, `stats` and every search
of expected.json through the CLI, compares, and prints one summary line; any
mismatch is printed and makes the exit status 1. Vectors must match bit for bit;
scores within 1e-6 (golden/README.md allows a different summation kernel), hit
order exactly (these stores have no ties at the k boundary).
"""
import json
import struct
import subprocess
import sys

store = sys.argv[1]
exp = json.load(open(store + "/expected.json"))
bad = []


def nidus(*args, stdin=None):
    p = subprocess.run(["nidus", "--dir", store, *args], input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("nidus %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return json.loads(p.stdout)


def bits(x):
    return struct.pack(">f", x).hex()


# get: every record, its attrs and exact vector bits
records = 0
for coll in exp["collections"]:
    got = nidus("get", coll)
    want = [r for r in exp["records"] if r["collection"] == coll]
    if [r["id"] for r in got] != [r["id"] for r in want]:
        bad.append("get %s: ids %s, want %s" % (coll, [r["id"] for r in got], [r["id"] for r in want]))
        continue
    for g, w in zip(got, want):
        records += 1
        if g["attrs"] != w["attrs"]:
            bad.append("get %s/%s: attrs %s, want %s" % (coll, g["id"], g["attrs"], w["attrs"]))
        if [bits(x) for x in g["vector"]] != w["vector_bits"]:
            bad.append("get %s/%s: vector %s, want bits %s" % (coll, g["id"], g["vector"], w["vector_bits"]))
    if nidus("meta", "get", coll) != exp["meta"][coll]:
        bad.append("meta get %s differs" % coll)

# stats
st = nidus("stats")
# nidus 0.3.1 wrote these stores: byte 12 is 0, Cosine (as nidus 0.80's stats says).
want = {"dimension": exp["dimension"], "distance": exp.get("distance", "Cosine"), "ann": None,
        "collections": exp["collections"],
        "footprint": dict(exp["footprint"], filter_index_bytes=0)}
if st != want:
    bad.append("stats: %s, want %s" % (st, want))

# searches
queries = {q["name"]: q["vector"] for q in exp["queries"]}
for i, s in enumerate(exp["searches"]):
    args = ["search", "-k", str(s["top_k"]), "--where", json.dumps(s["filter"])]
    scope = s["scope"]
    if scope.startswith("Collection:"):
        args += [scope.split(":", 1)[1]]
    elif scope.startswith("Collections:"):
        args += scope.split(":", 1)[1].split(",")
    if s["min_score"] is not None:
        args += ["--min-score", repr(s["min_score"])]
    hits = nidus(*args, stdin=json.dumps(queries[s["query"]]))
    got = [(h["collection"], h["id"]) for h in hits]
    wanted = [(h["collection"], h["id"]) for h in s["hits"]]
    if got != wanted:
        bad.append("search %d (%s %s %s): hits %s, want %s" % (i, s["query"], scope, s["filter_name"], got, wanted))
        continue
    for h, w in zip(hits, s["hits"]):
        if abs(h["score"] - w["score"]) > 1e-6:
            bad.append("search %d: %s/%s score %r, want %r" % (i, h["collection"], h["id"], h["score"], w["score"]))

name = store.rstrip("/").split("/")[-1]
for b in bad:
    print(name + ": " + b)
print("%s: %d records, stats, %d searches: %s" % (name, records, len(exp["searches"]), "MISMATCH" if bad else "ok"))
sys.exit(1 if bad else 0)

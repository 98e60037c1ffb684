#!/usr/bin/env bash
# CLI test runner. Each tests/cli/cases/NAME.t is a bash script followed by what it
# must produce:
#
#   # one line saying what the case checks
#   nidus --dir s create docs --dim 3
#   --- stdout
#   {
#     "created": "docs"
#   }
#   --- stderr
#   --- exit 0
#
# A missing stdout or stderr section means "must be empty"; `--- exit N` is
# required. A case runs with bash -e off, in a fresh empty directory (so stores
# are relative paths like `s`), with `nidus` on PATH and these variables:
#   CASES   this folder (fixtures: mkvec.py, golden.py)
#   GOLDEN  the golden stores (tests/golden, else ../shared/golden)
#   PY      python3
# Usage: run.sh [NAME-SUBSTRING]   (NIDUS=path/to/nidus, default build/nidus)
# BLESS=1 rewrites the expected sections of the selected cases from what they
# print now: for writing a new case; review the result before keeping it.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NIDUS=${NIDUS:-$ROOT/build/nidus}
[ -x "$NIDUS" ] || { echo "run.sh: no nidus binary at $NIDUS" >&2; exit 2; }
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "run.sh: python3 is needed" >&2; exit 2; }
if [ -z "${GOLDEN:-}" ]; then
    GOLDEN=$ROOT/tests/golden
    [ -d "$GOLDEN/b_mixed" ] || GOLDEN=$ROOT/../shared/golden
fi
[ -d "$GOLDEN/b_mixed" ] || { echo "run.sh: no golden stores (set GOLDEN)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nidus-cli-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin"
ln -s "$NIDUS" "$TMP/bin/nidus"

# Section of a case file: script (before the first marker), stdout, stderr, exit.
section() {
    awk -v want="$2" '
        /^--- (stdout|stderr|exit)/ { cur = $2; if (cur == "exit") { if (want == "exit") print $3 } ; next }
        cur == "" && want == "script" { print; next }
        cur == want && want != "exit" { print }
    ' "$1"
}

pass=0 fail=0 failed=()
for t in "$HERE"/cases/*.t; do
    name=$(basename "$t" .t)
    [ -n "${1:-}" ] && [[ "$name" != *"$1"* ]] && continue
    want_exit=$(section "$t" exit)
    if [ -z "$want_exit" ] && [ -z "${BLESS:-}" ]; then
        echo "FAIL $name: no '--- exit N' line"
        fail=$((fail + 1)) failed+=("$name")
        continue
    fi
    work="$TMP/work/$name"
    mkdir -p "$work"
    section "$t" script > "$TMP/script.sh"
    (cd "$work" && PATH="$TMP/bin:$PATH" CASES="$HERE" GOLDEN="$GOLDEN" PY="$PY" NIDUS_DIR= \
        bash "$TMP/script.sh" > "$TMP/out" 2> "$TMP/err" < /dev/null)
    got_exit=$?
    section "$t" stdout > "$TMP/want_out"
    section "$t" stderr > "$TMP/want_err"
    if [ -n "${BLESS:-}" ]; then
        { section "$t" script
          [ -s "$TMP/out" ] && { echo "--- stdout"; cat "$TMP/out"; }
          [ -s "$TMP/err" ] && { echo "--- stderr"; cat "$TMP/err"; }
          echo "--- exit $got_exit"; } > "$TMP/blessed"
        mv "$TMP/blessed" "$t"
        echo "blessed $name"
        continue
    fi
    problems=""
    [ "$got_exit" = "$want_exit" ] || problems+="  exit: got $got_exit, want $want_exit"$'\n'
    if ! diff -u "$TMP/want_out" "$TMP/out" > "$TMP/d_out"; then problems+="  stdout differs:"$'\n'"$(tail -n +3 "$TMP/d_out")"$'\n'; fi
    if ! diff -u "$TMP/want_err" "$TMP/err" > "$TMP/d_err"; then problems+="  stderr differs:"$'\n'"$(tail -n +3 "$TMP/d_err")"$'\n'; fi
    if [ -z "$problems" ]; then
        pass=$((pass + 1))
        [ -n "${VERBOSE:-}" ] && echo "ok   $name"
    else
        fail=$((fail + 1)) failed+=("$name")
        echo "FAIL $name"
        printf '%s' "$problems" | head -40
    fi
done
[ "$fail" -gt 0 ] && echo "failed: ${failed[*]}"
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

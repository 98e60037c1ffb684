#!/bin/sh
# fuzz/run.sh SECONDS BINDIR TARGET... — run libFuzzer targets one after another
# (called by `make fuzz`; run from the source root).
#
# Each target BINDIR/fuzz_<target> runs for SECONDS under nice -n 19 with the
# dictionary fuzz/nidus.dict, reading the committed seeds fuzz/corpus/<target>/ and
# writing what it finds to fuzz/corpus-work/<target>/ (gitignored, kept between
# runs). Then the inputs that add coverage beyond the committed corpus are merged
# into BINDIR/merge/<target>/ (a copy of the committed corpus plus the new ones),
# for review before copying any into fuzz/corpus/. Crashes land in
# BINDIR/artifacts/. Logs: BINDIR/logs/<target>.log.
#
# Ends with a table: target, seconds, executions, executions per second, corpus
# (units/bytes, as libFuzzer reports it), new inputs merged, verdict. Exits 1 if
# any target crashed.
set -u
secs=$1
bindir=$2
shift 2
mkdir -p "$bindir/logs" "$bindir/artifacts" "$bindir/merge" fuzz/corpus-work

# Per-target options: the store-shaped inputs need more room than the default, and
# api programs are worth running long from the start (libFuzzer otherwise grows
# the length limit slowly from the short seeds, and short runs stay shallow).
maxlen() {
    case $1 in
    open | log) echo "-max_len=8192" ;;
    api) echo "-max_len=768 -len_control=0" ;;
    *) echo "" ;;
    esac
}

# The targets' scratch stores: one directory per target run, removed after it (a
# crashing input leaves its store behind otherwise).
scratch_base=/tmp
[ -w /dev/shm ] && scratch_base=/dev/shm

table=""
crashed=0
total_execs=0
for t in "$@"; do
    work=fuzz/corpus-work/$t
    seeds=fuzz/corpus/$t
    log=$bindir/logs/$t.log
    mkdir -p "$work" "$seeds"
    echo "fuzz: $t for ${secs}s ..."
    tmp=$(mktemp -d "$scratch_base/nidus-fuzzrun-XXXXXX")
    start=$(date +%s)
    # shellcheck disable=SC2046
    NIDUS_FUZZ_TMPDIR=$tmp nice -n 19 "$bindir/fuzz_$t" -max_total_time="$secs" -dict=fuzz/nidus.dict -print_final_stats=1 \
        -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$bindir/artifacts/$t-" $(maxlen "$t") \
        "$work" "$seeds" >"$log" 2>&1
    st=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[A-Za-z]*' "$log" | tail -n 1 | cut -d' ' -f2)
    verdict=ok
    if [ $st -ne 0 ]; then
        verdict="CRASH (exit $st, see $log)"
        crashed=1
        grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|deadly signal|fuzz property violated' "$log" | sed 's/^/    /'
    fi
    scratch=$bindir/merge/$t
    rm -rf "$scratch"
    mkdir -p "$scratch"
    cp "$seeds"/* "$scratch"/ 2>/dev/null
    before=$(find "$scratch" -type f | wc -l)
    # shellcheck disable=SC2046
    NIDUS_FUZZ_TMPDIR=$tmp nice -n 19 "$bindir/fuzz_$t" -merge=1 $(maxlen "$t") "$scratch" "$work" >"$bindir/logs/$t.merge.log" 2>&1
    new=$(($(find "$scratch" -type f | wc -l) - before))
    rm -rf "$tmp"
    total_execs=$((total_execs + ${execs:-0}))
    table="$table$(printf '%-12s %7s %12s %10s %14s %6s  %s' "$t" "$took" "${execs:-?}" "${eps:-?}" "${corp:-?}" "$new" "$verdict")
"
done

echo
printf '%-12s %7s %12s %10s %14s %6s  %s\n' target seconds execs exec/s corpus new verdict
printf '%s' "$table"
echo "fuzz: $total_execs executions in total"
[ $crashed -eq 0 ]

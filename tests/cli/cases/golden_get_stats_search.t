# get, meta get, stats and every search match the golden expected.json
for g in a_minimal b_mixed c_compacted; do $PY "$CASES/golden.py" "$GOLDEN/$g"; done
--- stdout
a_minimal: 1 records, stats, 24 searches: ok
b_mixed: 6 records, stats, 24 searches: ok
c_compacted: 6 records, stats, 24 searches: ok
--- exit 0

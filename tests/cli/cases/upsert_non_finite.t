# a value beyond float range is refused
. "$CASES/fixture.sh"
mkstore
before=$(snap)
echo '[{"id": "x", "vector": [1, 1e39, 0]}]' | nidus --dir s upsert docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: <stdin>: record 0 (id "x"): vector[1] = 1e+39 is not a finite float
--- exit 0

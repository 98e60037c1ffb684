# a vector of the wrong length is refused, store untouched
. "$CASES/fixture.sh"
mkstore
before=$(snap)
echo '[{"id": "ok", "vector": [1, 2, 3]}, {"id": "short", "vector": [1, 2]}]' | nidus --dir s upsert docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: <stdin>: record 1 (id "short"): vector has 2 values, the store's dimension is 3
--- exit 0

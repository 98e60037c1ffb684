# records that disagree with --dim never create the store
echo '[{"id": "x", "vector": [1, 2]}]' | nidus --dir s --dim 3 upsert docs
echo "exit $?"
test -e s || echo "no store created"
--- stdout
exit 1
no store created
--- stderr
error: <stdin>: record 0 (id "x"): vector has 2 values, --dim is 3
--- exit 0

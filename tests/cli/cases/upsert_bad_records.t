# record shape errors name the record
. "$CASES/fixture.sh"
mkstore
echo '{"id": "x"}' | nidus --dir s upsert docs
echo '[{"vector": [1, 0, 0]}]' | nidus --dir s upsert docs
echo '[{"id": "x"}]' | nidus --dir s upsert docs
echo '[{"id": 7, "vector": [1, 0, 0]}]' | nidus --dir s upsert docs
echo '[{"id": "x", "vector": [1, 0, 0], "atrs": {}}]' | nidus --dir s upsert docs
echo '[{"id": "x", "vector": [1, "a", 0]}]' | nidus --dir s upsert docs
echo '[{"id": "x", "vector": [1, 0, 0], "attrs": []}]' | nidus --dir s upsert docs
echo '[{"id": "x\u0000y", "vector": [1, 0, 0]}]' | nidus --dir s upsert docs
--- stderr
error: <stdin>: want a JSON array of records [{"id", "vector", "attrs"}]
error: <stdin>: record 0: missing "id"
error: <stdin>: record 0 (id "x"): missing "vector"
error: <stdin>: record 0: id must be a string
error: <stdin>: record 0 (id "x"): unknown field "atrs" (a record has id, vector, attrs)
error: <stdin>: record 0 (id "x"): vector[1] is not a number
error: <stdin>: record 0 (id "x"): attrs must be an object of {key: value}
error: <stdin>: record 0 (id "x"): id contains U+0000
--- exit 1

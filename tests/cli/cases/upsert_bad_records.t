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
nidus: <stdin>: want a JSON array of records [{"id", "vector", "attrs"}]
nidus: <stdin>: record 0: missing "id"
nidus: <stdin>: record 0 (id "x"): missing "vector"
nidus: <stdin>: record 0: id must be a string
nidus: <stdin>: record 0 (id "x"): unknown field "atrs" (a record has id, vector, attrs)
nidus: <stdin>: record 0 (id "x"): vector[1] is not a number
nidus: <stdin>: record 0 (id "x"): attrs must be an object of {key: value}
nidus: <stdin>: record 0 (id "x"): id contains U+0000
--- exit 1

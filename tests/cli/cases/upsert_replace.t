# upsert of an existing id replaces it (one dead row)
. "$CASES/fixture.sh"
mkstore
echo '[{"id": "a", "vector": [0, 0, 2], "attrs": {"v": {"Int": 2}}}]' | nidus --dir s upsert docs
nidus --dir s get docs a
nidus --dir s stats | grep -E 'rows|doc_count' 
--- stdout
{
  "upserted": 1
}
[
  {
    "id": "a",
    "vector": [
      0.0,
      0.0,
      1.0
    ],
    "attrs": {
      "v": {
        "Int": 2
      }
    }
  }
]
    "rows": 6,
    "dead_rows": 1,
    "doc_count": 5,
--- exit 0

# load restores the stored bits even of vectors that normalizing again would change
# (hard.ndjson: GloVe vectors whose reciprocal norm is far from 1)
nidus --dir s load "$CASES/hard.ndjson"
nidus --dir s dump | cmp - "$CASES/hard.ndjson" && echo identical
cat > edited.ndjson <<'JSON'
{"format":"nidus-dump","version":1,"dimension":2}
{"collection":"c","id":"x","vector":[3,4],"attrs":{}}
JSON
nidus --dir t load edited.ndjson
nidus --dir t get c
--- stdout
{
  "loaded": 5
}
identical
{
  "loaded": 1
}
[
  {
    "id": "x",
    "vector": [
      0.6,
      0.8
    ],
    "attrs": {}
  }
]
--- stderr
load: 5 records in 1 collection (dimension 100)
load: 1 record in 1 collection (dimension 2)
load: 1 vector not of unit length (not a stored vector): stored normalized
--- exit 0

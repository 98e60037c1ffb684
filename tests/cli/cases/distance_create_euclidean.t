# create --distance euclidean: header byte 12 = 1, stats says "Euclidean", rows stay raw, scores are -|q - v|^2
nidus --dir s create docs --dim 3 --distance euclidean
$PY -c 'import sys; print("byte 12:", open("s/data","rb").read()[12])'
echo '[{"id": "a", "vector": [1, 2, 3]}, {"id": "b", "vector": [4, 6, 3]}]' | nidus --dir s upsert docs
nidus --dir s get docs a
echo '[1, 2, 3]' | nidus --dir s search docs
nidus --dir s stats
--- stdout
{
  "created": "docs"
}
byte 12: 1
{
  "upserted": 2
}
[
  {
    "id": "a",
    "vector": [
      1.0,
      2.0,
      3.0
    ],
    "attrs": {}
  }
]
[
  {
    "collection": "docs",
    "id": "a",
    "score": -0.0,
    "attrs": {}
  },
  {
    "collection": "docs",
    "id": "b",
    "score": -25.0,
    "attrs": {}
  }
]
{
  "dimension": 3,
  "distance": "Euclidean",
  "ann": null,
  "collections": [
    "docs"
  ],
  "footprint": {
    "rows": 2,
    "dead_rows": 0,
    "dimension": 3,
    "vector_bytes": 24,
    "doc_count": 2,
    "filter_index_bytes": 0
  }
}
--- exit 0

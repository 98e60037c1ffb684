# create makes the store with --dim
nidus --dir s create docs --dim 4
nidus --dir s stats
--- stdout
{
  "created": "docs"
}
{
  "dimension": 4,
  "distance": "Cosine",
  "ann": null,
  "collections": [
    "docs"
  ],
  "footprint": {
    "rows": 0,
    "dead_rows": 0,
    "dimension": 4,
    "vector_bytes": 0,
    "doc_count": 0,
    "filter_index_bytes": 0
  }
}
--- exit 0

# stats as JSON and as a table
. "$CASES/fixture.sh"
mkstore
nidus --dir s stats
nidus --dir s stats --format table
--- stdout
{
  "dimension": 3,
  "distance": "Cosine",
  "ann": null,
  "collections": [
    "code",
    "docs"
  ],
  "footprint": {
    "rows": 5,
    "dead_rows": 0,
    "dimension": 3,
    "vector_bytes": 60,
    "doc_count": 5,
    "filter_index_bytes": 0
  }
}
stat                 value
dimension                3
distance            Cosine
collections              2
rows                     5
dead_rows                0
doc_count                5
vector_bytes            60
filter_index_bytes       0
--- exit 0

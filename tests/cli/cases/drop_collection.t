# drop removes a collection; its rows become dead
. "$CASES/fixture.sh"
mkstore
nidus --dir s drop code
nidus --dir s collections
nidus --dir s stats | grep dead_rows
--- stdout
{
  "dropped": "code"
}
[
  "docs"
]
    "dead_rows": 2,
--- exit 0

# collections, sorted
. "$CASES/fixture.sh"
mkstore
nidus --dir s collections
nidus --dir s collections --format table
--- stdout
[
  "code",
  "docs"
]
collection
code
docs
--- exit 0

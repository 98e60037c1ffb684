# dropping an absent collection is a no-op
. "$CASES/fixture.sh"
mkstore
nidus --dir s drop nothing
nidus --dir s collections
--- stdout
{
  "dropped": "nothing"
}
[
  "code",
  "docs"
]
--- exit 0

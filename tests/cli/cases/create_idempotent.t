# create of an existing collection changes nothing
. "$CASES/fixture.sh"
mkstore
before=$(snap)
nidus --dir s create docs
[ "$before" = "$(snap)" ] && echo unchanged
--- stdout
{
  "created": "docs"
}
unchanged
--- exit 0

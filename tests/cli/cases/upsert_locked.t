# a store locked by a live writer is refused; reads still work
. "$CASES/fixture.sh"
mkstore
printf '%s 0' $$ > s/lock; touch s/lock
before=$(snap)
echo '[{"id": "x", "vector": [1, 0, 0]}]' | nidus --dir s upsert docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
nidus --dir s collections
echo '[1, 0, 0]' | nidus --dir s search -k 1 --format table
--- stdout
exit 1
untouched
[
  "code",
  "docs"
]
collection  id   score  attrs
docs        a   1.0000  lang="en" n=1 tags=[x, y]
--- stderr
error: cannot open store 's': store is locked by another writer (store is locked: s/lock)
--- exit 0

# an unknown value tag is refused
. "$CASES/fixture.sh"
mkstore
before=$(snap)
echo '[{"id": "x", "vector": [1, 0, 0], "attrs": {"k": {"Text": "hi"}}}]' | nidus --dir s upsert docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: <stdin>: record 0 (id "x"): attrs.k: unknown value tag "Text" (want Null, Str, Int, Bool, List, Float or DateTime)
--- exit 0

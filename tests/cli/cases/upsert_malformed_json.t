# malformed JSON: one line, exit 1, store untouched
. "$CASES/fixture.sh"
mkstore
before=$(snap)
echo '[{"id": "x", "vector": [1, 2, 3]' | nidus --dir s upsert docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: <stdin>: malformed JSON at line 2, column 0: '}' expected near end of file
--- exit 0

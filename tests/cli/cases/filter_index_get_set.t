# filter-index set declares (op 8), get prints it, stats counts its bytes, an empty set drops it; filtered reads are the same either way; bad input leaves the store untouched
. "$CASES/fixture.sh"
mkstore
nidus --dir s filter-index get docs
nidus --dir s list docs --where '[{"Eq": ["lang", {"Str": "rust"}]}]' > plain.json
nidus --dir s filter-index set docs lang tags
nidus --dir s filter-index get docs
nidus --dir s stats | grep -c '"filter_index_bytes": [1-9]'
nidus --dir s list docs --where '[{"Eq": ["lang", {"Str": "rust"}]}]' > indexed.json
cmp plain.json indexed.json && echo same-list
before=$(snap)
nidus --dir s filter-index set docs lang ""
echo "exit $?"
nidus --dir s --read-only filter-index set docs lang
echo "exit $?"
nidus --dir s filter-index frob docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
nidus --dir s filter-index set docs
nidus --dir s filter-index get docs
nidus --dir s stats | grep '"filter_index_bytes"'
--- stdout
{
  "fields": []
}
{
  "ok": true
}
{
  "fields": [
    "lang",
    "tags"
  ]
}
1
same-list
exit 1
exit 2
exit 2
untouched
{
  "ok": true
}
{
  "fields": []
}
    "filter_index_bytes": 0
--- stderr
error: filter-index set: filter index field name must not be empty
error: --read-only refuses 'filter-index set', which modifies the store
error: filter-index wants 'get' or 'set', not 'frob'
--- exit 0

# similar COLLECTION ID: the stored vector as the query, the source left out by
# identity (an identical vector under another id is a hit), scope defaults to the
# source's collection, --scope (repeatable), -k/--top-k, --offset, --where, --min-score
nidus --dir s --dim 3 upsert docs >/dev/null <<'JSON'
[{"id": "a", "vector": [1, 0, 0], "attrs": {"lang": {"Str": "en"}}},
 {"id": "twin", "vector": [2, 0, 0], "attrs": {"lang": {"Str": "de"}}},
 {"id": "b", "vector": [0.8, 0.6, 0], "attrs": {"lang": {"Str": "en"}}},
 {"id": "c", "vector": [0, 0, 1], "attrs": {}}]
JSON
nidus --dir s upsert other >/dev/null <<<'[{"id": "a", "vector": [1, 0.1, 0], "attrs": {}}]'
hits() { $PY -c 'import json,sys; print(" ".join("%s/%s=%.4f" % (h["collection"], h["id"], h["score"]) for h in json.load(sys.stdin)) or "-")'; }
nidus --dir s similar docs a | hits
nidus --dir s similar docs a --scope docs --scope other | hits
nidus --dir s similar docs a --scope other | hits
nidus --dir s similar docs a --top-k 1 | hits
nidus --dir s similar docs a -k 1 --offset 1 | hits
nidus --dir s similar docs a --where '[{"Eq": ["lang", {"Str": "en"}]}]' | hits
nidus --dir s similar docs a --min-score 0.5 --exact | hits
nidus --dir s similar docs a --format table
# errors: exit 1 for a missing record or collection, 2 for a missing argument
nidus --dir s similar docs zz; echo "exit $?"
nidus --dir s similar nope a; echo "exit $?"
nidus --dir s similar docs; echo "exit $?"
nidus --dir s similar docs a --offset 9999 -k 2; echo "exit $?"
--- stdout
docs/twin=1.0000 docs/b=0.8000 docs/c=0.0000
docs/twin=1.0000 other/a=0.9950 docs/b=0.8000 docs/c=0.0000
other/a=0.9950
docs/twin=1.0000
docs/b=0.8000
docs/b=0.8000
docs/twin=1.0000 docs/b=0.8000
collection  id     score  attrs
docs        twin  1.0000  lang="de"
docs        b     0.8000  lang="en"
docs        c     0.0000  
exit 1
exit 1
exit 2
exit 1
--- stderr
error: similar: no record `zz` in collection `docs`
error: similar: no record `a` in collection `nope`
error: similar: expected a collection and a record id (see nidus similar --help)
error: similar: offset 9999 + top_k 2 exceeds the maximum of 10000
--- exit 0

# list: every collection or the named ones, --where, --offset and -n/--limit (default
# 100), pages that put together are the whole listing; hits shaped as nidus's (score 0)
. "$CASES/fixture.sh"
mkstore
ids() { $PY -c 'import json,sys; print(" ".join(h["collection"] + "/" + h["id"] for h in json.load(sys.stdin)) or "-")'; }
nidus --dir s list | ids
nidus --dir s list code | ids
nidus --dir s list code docs nope | ids
nidus --dir s list --where '[{"Eq": ["lang", {"Str": "en"}]}]' | ids
nidus --dir s list --offset 1 -n 2 | ids
nidus --dir s list --offset 4 --limit 10 | ids
nidus --dir s list --offset 9 | ids
nidus --dir s list -n 0 | ids
nidus --dir s list code -n 1
# the pages of -n 2 are the listing
for off in 0 2 4; do nidus --dir s list --offset $off -n 2 | ids; done | tr '\n' ' '; echo
# default limit 100
$PY -c 'import json; print(json.dumps([{"id": "r%03d" % i, "vector": [1, i, 0], "attrs": {}} for i in range(105)]))' |
    nidus --dir s upsert many >/dev/null
nidus --dir s list many | $PY -c 'import json,sys; h=json.load(sys.stdin); print(len(h), h[0]["id"], h[-1]["id"])'
nidus --dir s list many -n 200 | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'
--- stdout
docs/a docs/b docs/c code/m code/u
code/m code/u
docs/a docs/b docs/c code/m code/u
docs/a docs/c
docs/b docs/c
code/u
-
-
[
  {
    "collection": "code",
    "id": "m",
    "score": 0.0,
    "attrs": {
      "path": {
        "Str": "src/main.c"
      }
    }
  }
]
docs/a docs/b docs/c code/m code/u 
100 r000 r099
105
--- exit 0

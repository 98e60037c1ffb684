# every predicate of nidus 0.80's --where form, and All/Any/Not, selects what it should
nidus --dir s --dim 2 upsert docs >/dev/null <<'JSON'
[{"id": "a", "vector": [1, 0], "attrs": {"lang": {"Str": "Rust"}, "n": {"Int": 1}, "w": {"Float": 0.5}, "at": {"DateTime": 1000}, "ok": {"Bool": true}, "tags": {"List": ["db", "fast"]}, "body": {"Str": "the quick brown fox"}, "path": {"Str": "src/main.c"}}},
 {"id": "b", "vector": [0, 1], "attrs": {"lang": {"Str": "go"}, "n": {"Int": 2}, "w": {"Float": 1.5}, "at": {"DateTime": 2000}, "ok": {"Bool": false}, "tags": {"List": ["web"]}, "body": {"Str": "brown quick dogs"}, "path": {"Str": "test/x.go"}}},
 {"id": "c", "vector": [1, 1], "attrs": {"n": {"Int": 3}, "gone": "Null", "body": {"Str": "nidus vector store"}, "path": {"Str": "SRC/Util.C"}}}]
JSON
ids() { nidus --dir s search -k 10 --where "$1" <<< '[1, 0]' | $PY -c 'import json,sys; print(" ".join(sorted(h["id"] for h in json.load(sys.stdin))) or "-")'; }
while IFS= read -r w; do printf '%s => %s\n' "$w" "$(ids "$w")"; done <<'W'
[]
[{"Eq": ["lang", {"Str": "go"}]}]
[{"Eq": ["gone", "Null"]}]
[{"Eq": ["w", {"Float": 0.5}]}]
[{"Ne": ["lang", {"Str": "go"}]}]
[{"In": ["n", [{"Int": 1}, {"Int": 3}, {"Str": "2"}]]}]
[{"NotIn": ["n", [{"Int": 1}]]}]
[{"Lt": ["n", {"Int": 2}]}]
[{"Le": ["n", {"Int": 2}]}]
[{"Gt": ["w", {"Float": 1}]}]
[{"Ge": ["at", {"DateTime": 2000}]}]
[{"Lt": ["ok", {"Bool": true}]}]
[{"Gt": ["n", {"Float": 0.5}]}]
[{"Glob": ["path", "src/*"]}]
[{"IGlob": ["path", "src/*.c"]}]
[{"Regex": ["path", "(?i)src/[a-z]+\\.c"]}]
[{"Regex": ["path", "src"]}]
[{"Contains": ["tags", {"Str": "db"}]}]
[{"NotContains": ["tags", {"Str": "db"}]}]
[{"ContainsAny": ["tags", [{"Str": "web"}, {"Str": "x"}]]}]
[{"Fuzzy": ["lang", "rist", 1]}]
[{"Fuzzy": ["lang", "rist", 0]}]
[{"ContainsAllTokens": ["body", "QUICK brown"]}]
[{"ContainsAnyToken": ["body", "fox store"]}]
[{"ContainsTokenSequence": ["body", "quick brown"]}]
[{"All": [{"Gt": ["n", {"Int": 1}]}, {"Lt": ["n", {"Int": 3}]}]}]
[{"All": []}]
[{"Any": []}]
[{"Any": [{"Eq": ["lang", {"Str": "go"}]}, {"Eq": ["gone", "Null"]}]}]
[{"Not": {"Eq": ["lang", {"Str": "go"}]}}]
[{"Not": {"Any": [{"Contains": ["tags", {"Str": "db"}]}, {"Eq": ["n", {"Int": 3}]}]}}]
[{"Ge": ["n", {"Int": 2}]}, {"Glob": ["body", "*o*"]}, {"Ne": ["path", {"Str": "test/x.go"}]}]
W
--- stdout
[] => a b c
[{"Eq": ["lang", {"Str": "go"}]}] => b
[{"Eq": ["gone", "Null"]}] => c
[{"Eq": ["w", {"Float": 0.5}]}] => a
[{"Ne": ["lang", {"Str": "go"}]}] => a
[{"In": ["n", [{"Int": 1}, {"Int": 3}, {"Str": "2"}]]}] => a c
[{"NotIn": ["n", [{"Int": 1}]]}] => b c
[{"Lt": ["n", {"Int": 2}]}] => a
[{"Le": ["n", {"Int": 2}]}] => a b
[{"Gt": ["w", {"Float": 1}]}] => b
[{"Ge": ["at", {"DateTime": 2000}]}] => b
[{"Lt": ["ok", {"Bool": true}]}] => b
[{"Gt": ["n", {"Float": 0.5}]}] => -
[{"Glob": ["path", "src/*"]}] => a
[{"IGlob": ["path", "src/*.c"]}] => a c
[{"Regex": ["path", "(?i)src/[a-z]+\\.c"]}] => a c
[{"Regex": ["path", "src"]}] => -
[{"Contains": ["tags", {"Str": "db"}]}] => a
[{"NotContains": ["tags", {"Str": "db"}]}] => b
[{"ContainsAny": ["tags", [{"Str": "web"}, {"Str": "x"}]]}] => b
[{"Fuzzy": ["lang", "rist", 1]}] => a
[{"Fuzzy": ["lang", "rist", 0]}] => -
[{"ContainsAllTokens": ["body", "QUICK brown"]}] => a b
[{"ContainsAnyToken": ["body", "fox store"]}] => a c
[{"ContainsTokenSequence": ["body", "quick brown"]}] => a
[{"All": [{"Gt": ["n", {"Int": 1}]}, {"Lt": ["n", {"Int": 3}]}]}] => b
[{"All": []}] => a b c
[{"Any": []}] => -
[{"Any": [{"Eq": ["lang", {"Str": "go"}]}, {"Eq": ["gone", "Null"]}]}] => b c
[{"Not": {"Eq": ["lang", {"Str": "go"}]}}] => a c
[{"Not": {"Any": [{"Contains": ["tags", {"Str": "db"}]}, {"Eq": ["n", {"Int": 3}]}]}}] => b
[{"Ge": ["n", {"Int": 2}]}, {"Glob": ["body", "*o*"]}, {"Ne": ["path", {"Str": "test/x.go"}]}] => c
--- exit 0

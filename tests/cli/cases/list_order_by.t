# list --order-by KEY [--desc]: sorted by the attribute, records without it (or of
# another type) after the others in storage order in both directions; table format
nidus --dir s --dim 2 upsert t >/dev/null <<'JSON'
[{"id": "p", "vector": [1, 0], "attrs": {"n": {"Int": 5}, "s": {"Str": "b"}}},
 {"id": "q", "vector": [1, 0], "attrs": {"s": {"Str": "a"}}},
 {"id": "r", "vector": [1, 0], "attrs": {"n": {"Int": -2}, "s": {"Str": "c"}}},
 {"id": "x", "vector": [1, 0], "attrs": {"n": {"Str": "seven"}}},
 {"id": "y", "vector": [1, 0], "attrs": {"n": {"Int": 5}}},
 {"id": "z", "vector": [1, 0], "attrs": {"n": {"Int": 11}}}]
JSON
ids() { $PY -c 'import json,sys; print(" ".join(h["id"] for h in json.load(sys.stdin)) or "-")'; }
nidus --dir s list | ids
nidus --dir s list --order-by n | ids
nidus --dir s list --order-by n --desc | ids
nidus --dir s list --order-by s | ids
nidus --dir s list --order-by s --desc -n 2 --offset 1 | ids
nidus --dir s list --order-by nothing | ids
nidus --dir s list --order-by '' | ids
nidus --dir s list --order-by n --desc --where '[{"Gt": ["n", {"Int": 0}]}]' --format table
--- stdout
p q r x y z
r p y z q x
z p y r q x
q p r x y z
p q
p q r x y z
p q r x y z
collection  id  attrs
t           z   n=11
t           p   n=5 s="b"
t           y   n=5
--- exit 0

# each tag checks its value; bare values are refused
. "$CASES/fixture.sh"
mkstore
for v in '{"Int": 1.5}' '{"Bool": 1}' '{"List": [1]}' '{"Str": 3}' '{"DateTime": "now"}' '{"Float": "x"}' '"null"' '3' '{"Int": 1, "Str": "x"}'; do
    echo "[{\"id\": \"x\", \"vector\": [1, 0, 0], \"attrs\": {\"k\": $v}}]" | nidus --dir s upsert docs
done
nidus --dir s get docs x
--- stdout
[]
--- stderr
error: <stdin>: record 0 (id "x"): attrs.k: {"Int": ...} wants an integer
error: <stdin>: record 0 (id "x"): attrs.k: {"Bool": ...} wants true or false
error: <stdin>: record 0 (id "x"): attrs.k: {"List": ...} wants an array of strings
error: <stdin>: record 0 (id "x"): attrs.k: {"Str": ...} wants a string
error: <stdin>: record 0 (id "x"): attrs.k: {"DateTime": ...} wants integer milliseconds
error: <stdin>: record 0 (id "x"): attrs.k: {"Float": ...} wants a number
error: <stdin>: record 0 (id "x"): attrs.k: unknown value "null" (want "Null" or {"Tag": value} with Tag one of Null, Str, Int, Bool, List, Float or DateTime)
error: <stdin>: record 0 (id "x"): attrs.k: a value must be "Null" or an object with one tag (Null, Str, Int, Bool, List, Float or DateTime)
error: <stdin>: record 0 (id "x"): attrs.k: a value must be "Null" or an object with one tag (Null, Str, Int, Bool, List, Float or DateTime)
--- exit 0

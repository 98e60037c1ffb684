# every kind of bad --where is "error: invalid filter: ..." naming the predicate,
# exit 1, on search and on delete (and the same message from similar, list and
# aggregate), and the store's files stay byte-identical
. "$CASES/fixture.sh"
mkstore
before=$(snap)
deep() { $PY -c 'import sys; n=int(sys.argv[1]); print("[" + "{\"Not\": " * n + "{\"Eq\": [\"n\", {\"Int\": 1}]}" + "}" * n + "]")' "$1"; }
while IFS= read -r w; do
    nidus --dir s search --where "$w" <<< '[1, 0, 0]'
    echo "search exit $?"
    nidus --dir s delete docs --where "$w"
    echo "delete exit $?"
    want=$(nidus --dir s list --where "$w" 2>&1)
    for c in "similar docs a" "aggregate docs" "list docs"; do
        got=$(nidus --dir s $c --where "$w" 2>&1)
        rc=$?
        [ "$rc" = 1 ] && [ "$got" = "$want" ] || echo "$c: exit $rc, '$got' != '$want'"
    done
done <<W
[{"Eq": ["lang", {"Str": "en"}]
{"Eq": ["lang", {"Str": "en"}]}
[{"Equals": ["lang", {"Str": "en"}]}]
[{"Eq": ["lang"]}]
[{"Ne": ["lang", {"Str": "en"}, 3]}]
[{"Eq": [7, {"Str": "en"}]}]
[{"Eq": ["lang", "en"]}]
[{"Lt": ["n", {"Int": 1.5}]}]
[{"In": ["n", {"Int": 1}]}]
[{"ContainsAny": ["tags", [{"Str": "x"}, {"Nope": 1}]]}]
[{"Glob": ["lang", 5]}]
[{"Fuzzy": ["lang", "en"]}]
[{"Fuzzy": ["lang", "en", 9]}]
[{"Fuzzy": ["lang", "en", -1]}]
[{"Fuzzy": ["lang", "en", "2"]}]
[{"Regex": ["lang", "("]}]
[{"Regex": ["lang", "(a)\\\\1"]}]
[{"All": {"Eq": ["lang", {"Str": "en"}]}}]
[{"Any": [{"Eq": ["lang", {"Str": "en"}]}, {"Oops": []}]}]
[{"Not": [{"Eq": ["lang", {"Str": "en"}]}]}]
[{"Not": {"Eq": ["lang", {"Str": "en"}], "Ne": ["n", {"Int": 1}]}}]
[{"All": [{"Not": {"Regex": ["lang", "a{1,2"]}}]}]
["Eq"]
$(deep 65)
W
deep 64 > ok64.json
nidus --dir s search --where "$(cat ok64.json)" -k 1 <<< '[1, 0, 0]' | grep -c '"id"'
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
search exit 1
delete exit 1
1
untouched
--- stderr
error: invalid filter: malformed JSON at line 1, column 31: '}' expected near end of file
error: invalid filter: malformed JSON at line 1, column 31: '}' expected near end of file
error: invalid filter: want a JSON array of predicates, e.g. [{"Eq": ["lang", {"Str": "en"}]}], not an object
error: invalid filter: want a JSON array of predicates, e.g. [{"Eq": ["lang", {"Str": "en"}]}], not an object
error: invalid filter: unknown predicate "Equals" at [0] (want Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not)
error: invalid filter: unknown predicate "Equals" at [0] (want Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not)
error: invalid filter: Eq at [0]: wants [key, value], got 1 element
error: invalid filter: Eq at [0]: wants [key, value], got 1 element
error: invalid filter: Ne at [0]: wants [key, value], got 3 elements
error: invalid filter: Ne at [0]: wants [key, value], got 3 elements
error: invalid filter: Eq at [0]: the key must be a string (it wants [key, value])
error: invalid filter: Eq at [0]: the key must be a string (it wants [key, value])
error: invalid filter: Eq on `lang` at [0]: unknown value "en" (want "Null" or {"Tag": value} with Tag one of Null, Str, Int, Bool, List, Float or DateTime)
error: invalid filter: Eq on `lang` at [0]: unknown value "en" (want "Null" or {"Tag": value} with Tag one of Null, Str, Int, Bool, List, Float or DateTime)
error: invalid filter: Lt on `n` at [0]: {"Int": ...} wants an integer
error: invalid filter: Lt on `n` at [0]: {"Int": ...} wants an integer
error: invalid filter: In on `n` at [0]: wants [key, [values]]; the values are an object, not an array
error: invalid filter: In on `n` at [0]: wants [key, [values]]; the values are an object, not an array
error: invalid filter: ContainsAny on `tags` at [0]: value 1: unknown value tag "Nope" (want Null, Str, Int, Bool, List, Float or DateTime)
error: invalid filter: ContainsAny on `tags` at [0]: value 1: unknown value tag "Nope" (want Null, Str, Int, Bool, List, Float or DateTime)
error: invalid filter: Glob on `lang` at [0]: the pattern must be a string (it wants [key, pattern])
error: invalid filter: Glob on `lang` at [0]: the pattern must be a string (it wants [key, pattern])
error: invalid filter: Fuzzy at [0]: wants [key, needle, max_edits], got 2 elements
error: invalid filter: Fuzzy at [0]: wants [key, needle, max_edits], got 2 elements
error: invalid filter: Fuzzy on `lang` allows 9 edits, above the maximum of 8
error: invalid filter: Fuzzy on `lang` allows 9 edits, above the maximum of 8
error: invalid filter: Fuzzy on `lang` at [0]: max_edits must be a non-negative integer, not a negative one
error: invalid filter: Fuzzy on `lang` at [0]: max_edits must be a non-negative integer, not a negative one
error: invalid filter: Fuzzy on `lang` at [0]: max_edits must be a non-negative integer, not a string
error: invalid filter: Fuzzy on `lang` at [0]: max_edits must be a non-negative integer, not a string
error: invalid filter: Regex on `lang`: invalid Regex pattern: Unmatched ( or \(
error: invalid filter: Regex on `lang`: invalid Regex pattern: Unmatched ( or \(
error: invalid filter: Regex on `lang`: back-references are not supported (at byte 3)
error: invalid filter: Regex on `lang`: back-references are not supported (at byte 3)
error: invalid filter: All at [0]: wants an array of predicates, not an object
error: invalid filter: All at [0]: wants an array of predicates, not an object
error: invalid filter: unknown predicate "Oops" at [0].Any[1] (want Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not)
error: invalid filter: unknown predicate "Oops" at [0].Any[1] (want Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not)
error: invalid filter: Not at [0]: wants one predicate object, e.g. {"Not": {"Eq": [key, value]}}, not an array
error: invalid filter: Not at [0]: wants one predicate object, e.g. {"Not": {"Eq": [key, value]}}, not an array
error: invalid filter: at [0].Not: a predicate is an object with one tag, e.g. {"Eq": [key, value]}, not an object with several keys
error: invalid filter: at [0].Not: a predicate is an object with one tag, e.g. {"Eq": [key, value]}, not an object with several keys
error: invalid filter: Regex on `lang`: invalid Regex pattern: Unmatched \{
error: invalid filter: Regex on `lang`: invalid Regex pattern: Unmatched \{
error: invalid filter: at [0]: a predicate is an object with one tag, e.g. {"Eq": [key, value]}, not a string
error: invalid filter: at [0]: a predicate is an object with one tag, e.g. {"Eq": [key, value]}, not a string
error: invalid filter: nesting deeper than 64
error: invalid filter: nesting deeper than 64
--- exit 0

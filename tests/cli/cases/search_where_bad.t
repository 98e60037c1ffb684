# a bad filter is one clear error
. "$CASES/fixture.sh"
mkstore
for w in '[{"Like": ["a", "b"]}]' '{"Eq": ["a", "b"]}' '[{"Eq": ["a"]}]' '[{"In": ["a", {"Int": 1}]}]' '[{"Glob": ["a", 3]}]' '[{"Eq": ["lang", "en"]}]' '[{"Eq'; do
    echo '[1, 0, 0]' | nidus --dir s search --where "$w"
done
--- stderr
error: invalid filter: unknown predicate "Like" at [0] (want Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not)
error: invalid filter: want a JSON array of predicates, e.g. [{"Eq": ["lang", {"Str": "en"}]}], not an object
error: invalid filter: Eq at [0]: wants [key, value], got 1 element
error: invalid filter: In on `a` at [0]: wants [key, [values]]; the values are an object, not an array
error: invalid filter: Glob on `a` at [0]: the pattern must be a string (it wants [key, pattern])
error: invalid filter: Eq on `lang` at [0]: unknown value "en" (want "Null" or {"Tag": value} with Tag one of Null, Str, Int, Bool, List, Float or DateTime)
error: invalid filter: malformed JSON at line 1, column 5: premature end of input near '"Eq'
--- exit 1

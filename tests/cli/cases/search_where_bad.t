# a bad filter is one clear error
. "$CASES/fixture.sh"
mkstore
for w in '[{"Like": ["a", "b"]}]' '{"Eq": ["a", "b"]}' '[{"Eq": ["a"]}]' '[{"In": ["a", {"Int": 1}]}]' '[{"Glob": ["a", 3]}]' '[{"Eq": ["lang", "en"]}]' '[{"Eq'; do
    echo '[1, 0, 0]' | nidus --dir s search --where "$w"
done
--- stderr
nidus: --where: predicate 0: unknown predicate "Like" (want Eq, In or Glob)
nidus: --where: a filter must be a JSON array of predicates
nidus: --where: predicate 0: {"Eq": ...} wants [key, value]
nidus: --where: predicate 0: {"In": [key, [values]]} wants an array of values
nidus: --where: predicate 0: the glob pattern must be a string
nidus: --where: predicate 0: unknown value "en" (want "Null" or {"Tag": value} with Tag one of Null, Str, Int, Bool, List, Float or DateTime)
nidus: --where: malformed JSON at line 1, column 5: premature end of input near '"Eq'
--- exit 1

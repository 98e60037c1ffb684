# stats footprint.filter_index_bytes: 0 without a filter index, more once nidus
# 0.80 declared one (log op 8); the index changes no result: search, list,
# aggregate and delete --where print the same on a copy of the store without it
. "$CASES/fixture.sh"
mkstore
$PY -c 'import json; print(json.dumps([{"id": "r%02d" % i, "vector": [1, i % 5, i % 2], "attrs": {"lang": {"Str": ["en", "de", "fr"][i % 3]}, "n": {"Int": i}}} for i in range(60)]))' |
    nidus --dir s upsert docs >/dev/null
cp -r s plain
$PY "$CASES/later.py" s op 8 docs lang n
nidus --dir plain stats | grep filter_index_bytes
nidus --dir s stats | $PY -c 'import json,sys; print("indexed:", json.load(sys.stdin)["footprint"]["filter_index_bytes"] > 0)'
for w in '[{"Eq": ["lang", {"Str": "de"}]}]' '[{"In": ["lang", [{"Str": "fr"}, {"Str": "en"}]]}, {"Ge": ["n", {"Int": 40}]}]' \
         '[{"Any": [{"Lt": ["n", {"Int": 3}]}, {"Eq": ["lang", {"Str": "xx"}]}]}]' '[{"Not": {"Eq": ["lang", {"Str": "en"}]}}]'; do
    for c in "search -k 7" "list" "aggregate --sum n --group-by lang"; do
        a=$(nidus --dir s $c --where "$w" <<< '[1, 2, 0]')
        b=$(nidus --dir plain $c --where "$w" <<< '[1, 2, 0]')
        [ "$a" = "$b" ] && [ -n "$a" ] || echo "differs: $c $w"
    done
    echo "$(nidus --dir s delete docs --where "$w") $(nidus --dir plain delete docs --where "$w")" | tr -d ' \n'; echo
done
nidus --dir s list docs | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'
--- stdout
    "filter_index_bytes": 0
indexed: True
{"deleted":21}{"deleted":21}
{"deleted":13}{"deleted":13}
{"deleted":3}{"deleted":3}
{"deleted":12}{"deleted":12}
14
--- exit 0

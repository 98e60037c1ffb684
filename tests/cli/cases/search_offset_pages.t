# search --offset N: pages of -k K put together are the first hits of one deeper
# search (also over several collections, with --where, with --like); offset + k
# above 10000 is an error (exit 1), offset 0 leaves -k unbounded
. "$CASES/fixture.sh"
mkstore
$PY -c 'import json; print(json.dumps([{"id": "r%02d" % i, "vector": [1, i % 7, i % 3], "attrs": {"i": {"Int": i}}} for i in range(40)]))' |
    nidus --dir s upsert many >/dev/null
q='[1, 2, 0.5]'
ids() { $PY -c 'import json,sys; print(" ".join(h["collection"] + "/" + h["id"] for h in json.load(sys.stdin)))'; }
for args in "" "many" "--where [{\"Ge\":[\"i\",{\"Int\":10}]}]" "--like r03 --in many"; do
    whole=$(nidus --dir s search -k 24 $args <<< "$q" | ids)
    pages=$(for off in 0 5 10 15 20; do nidus --dir s search -k 5 --offset $off $args <<< "$q" | ids; done | tr '\n' ' ')
    tail=$(nidus --dir s search -k 4 --offset 20 $args <<< "$q" | ids)
    [ "$(echo $whole)" = "$(echo $pages | cut -d' ' -f1-24)" ] && echo "pages ok: $args" || echo "pages differ: $args: $whole / $pages"
    [ "$(echo $whole | cut -d' ' -f21-24)" = "$tail" ] && echo "tail ok" || echo "tail differs"
done
before=$(snap)
nidus --dir s search --offset 100 <<< "$q"
nidus --dir s search -k 20000 <<< "$q" | ids | wc -w
nidus --dir s search -k 9990 --offset 10 <<< "$q" | ids | wc -w
nidus --dir s search -k 9991 --offset 10 <<< "$q"; echo "exit $?"
nidus --dir s search --top-k 1 --offset 10000 <<< "$q"; echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
pages ok: 
tail ok
pages ok: many
tail ok
pages ok: --where [{"Ge":["i",{"Int":10}]}]
tail ok
pages ok: --like r03 --in many
tail ok
[]
45
35
exit 1
exit 1
untouched
--- stderr
error: search: offset 10 + top_k 9991 exceeds the maximum of 10000
error: search: offset 10000 + top_k 1 exceeds the maximum of 10000
--- exit 0

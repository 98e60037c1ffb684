# the new flags are refused where they do not apply (usage error, exit 2, store untouched)
. "$CASES/fixture.sh"
mkstore
before=$(snap)
for args in "list --like a" "aggregate -k 3" "aggregate --offset 1" "similar docs a --sum n" \
            "search --order-by n" "search --group-by n" "list --exact" "delete docs --include-attr n" \
            "get docs --where []" "similar docs a --limit 3" "list --desc" "list --order-by n --desc --desc --top-k 2" \
            "list --offset -1" "list -n x" "search --offset 1.5"; do
    nidus --dir s $args < /dev/null
    echo "$args: exit $?"
done
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
list --like a: exit 2
aggregate -k 3: exit 2
aggregate --offset 1: exit 2
similar docs a --sum n: exit 2
search --order-by n: exit 2
search --group-by n: exit 2
list --exact: exit 2
delete docs --include-attr n: exit 2
get docs --where []: exit 2
similar docs a --limit 3: exit 2
list --desc: exit 2
list --order-by n --desc --desc --top-k 2: exit 2
list --offset -1: exit 2
list -n x: exit 2
search --offset 1.5: exit 2
untouched
--- stderr
error: option '--like' does not apply to 'list' (see nidus list --help)
error: option '-k' does not apply to 'aggregate' (see nidus aggregate --help)
error: option '--offset' does not apply to 'aggregate' (see nidus aggregate --help)
error: option '--sum' does not apply to 'similar' (see nidus similar --help)
error: option '--order-by' does not apply to 'search' (see nidus search --help)
error: option '--group-by' does not apply to 'search' (see nidus search --help)
error: option '--exact' does not apply to 'list' (see nidus list --help)
error: option '--include-attr' does not apply to 'delete' (see nidus delete --help)
error: option '--where' does not apply to 'get' (see nidus get --help)
error: option '--limit' does not apply to 'similar' (see nidus similar --help)
error: --desc needs --order-by KEY
error: option '--top-k' does not apply to 'list' (see nidus list --help)
error: --offset wants a non-negative integer, got '-1'
error: --limit wants an integer from 0 to 1000000000, got 'x'
error: --offset wants an integer from 0 to 1000000000, got '1.5'
--- exit 0

# a bad --where deletes nothing
. "$CASES/fixture.sh"
mkstore
before=$(snap)
nidus --dir s delete docs --where '[{"Eq": ["lang"]}]'
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: invalid filter: Eq at [0]: wants [key, value], got 1 element
--- exit 0

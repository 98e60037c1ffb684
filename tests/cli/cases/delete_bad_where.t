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
nidus: --where: predicate 0: {"Eq": ...} wants [key, value]
--- exit 0

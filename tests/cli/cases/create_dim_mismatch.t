# --dim that disagrees with the store fails
. "$CASES/fixture.sh"
mkstore
before=$(snap)
nidus --dir s create other --dim 4
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
exit 1
untouched
--- stderr
error: cannot open store 's': data file dimension mismatch: file has dimension 3, requested 4
--- exit 0

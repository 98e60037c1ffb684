# --dim on a read command must match
. "$CASES/fixture.sh"
mkstore
echo '[1, 0, 0]' | nidus --dir s search --dim 4
--- stderr
error: cannot open store 's': data file dimension mismatch: file has dimension 3, requested 4
--- exit 1

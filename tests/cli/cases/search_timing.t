# --timing prints the search and open times on stderr
. "$CASES/fixture.sh"
mkstore
echo '[1, 0, 0]' | nidus --dir s search -k 1 --timing 2>&1 >/dev/null | sed 's/[0-9.]* ms/N ms/g' 
--- stdout
search: 1 hits in N ms (open N ms)
--- exit 0

# load checks the whole dump before writing
. "$CASES/fixture.sh"
nidus --dir "$GOLDEN/b_mixed" dump > good
mkstore
nidus --dir s load good
sed '4s/"Int":-7/"Int":"x"/' good > bad1; nidus --dir t load bad1
sed '1s/nidus-dump/other/' good > bad2; nidus --dir t load bad2
sed '4s/0.8728715]/0.8728715,1]/' good > bad3; nidus --dir t load bad3
head -c 300 good > bad4; nidus --dir t load bad4
: > empty; nidus --dir t load empty
nidus --dir t load good --dim 4
nidus --dir t load missing
test -e t || echo "no store created"
--- stdout
no store created
--- stderr
error: load: the store in 's' is not empty (2 collections); load into a new directory
error: bad1:4: attrs.n: {"Int": ...} wants an integer
error: bad2:1: not a nidus dump (the header line lacks "format": "nidus-dump")
error: bad3:4: vector has 4 values, the dump's dimension is 3
error: bad4:4: malformed JSON at line 1, column 153: ':' expected near end of file
error: empty: empty input, not a nidus dump
error: --dim 4 does not match the dump's dimension 3
error: cannot open 'missing': No such file or directory
--- exit 0

# --query-file; a bad query is one clear error
. "$CASES/fixture.sh"
mkstore
echo '[0, 1, 0]' > q.json
nidus --dir s search --query-file q.json -k 1 --format table
echo '[1, 0]' | nidus --dir s search
echo '{"vector": [1, 0, 0]}' | nidus --dir s search
echo '[1, 0, "x"]' | nidus --dir s search
nidus --dir s search --query-file missing.json
--- stdout
collection  id   score  attrs
docs        b   1.0000  flag=true lang="de" n=2
--- stderr
error: search: dimension mismatch (query length 2 does not match store dimension 3)
error: <stdin>: query: a vector must be a JSON array of numbers
error: <stdin>: query: vector[2] is not a number
error: cannot open 'missing.json': No such file or directory
--- exit 1

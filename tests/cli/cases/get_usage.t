# get needs a collection and an existing store
. "$CASES/fixture.sh"
nidus --dir s get docs
mkstore
nidus --dir s get
--- stderr
nidus: no store in 's'
nidus: get: expected a collection name (see nidus get --help)
--- exit 2

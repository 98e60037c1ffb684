# get needs a collection and an existing store
. "$CASES/fixture.sh"
nidus --dir s get docs
mkstore
nidus --dir s get
--- stderr
error: no store at s yet — pass --dim to create one
error: get: expected a collection name (see nidus get --help)
--- exit 2

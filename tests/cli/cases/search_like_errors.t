# --like needs --in and an existing record
. "$CASES/fixture.sh"
mkstore
nidus --dir s search --like a
nidus --dir s search --like zz --in docs
nidus --dir s search --like a --in docs --query-file q.json
--- stderr
error: search: --like ID and --in COLLECTION go together
error: search --like: no record "zz" in collection "docs"
error: search: give --like or --query-file, not both
--- exit 2

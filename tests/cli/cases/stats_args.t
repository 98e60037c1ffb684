# stats takes no arguments
. "$CASES/fixture.sh"
mkstore
nidus --dir s stats extra
--- stderr
error: stats: expected no arguments (see nidus stats --help)
--- exit 2

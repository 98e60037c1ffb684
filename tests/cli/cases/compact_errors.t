# compact: missing store, --read-only, arguments
. "$CASES/fixture.sh"
nidus --dir s compact
mkstore
nidus --dir s compact --read-only
nidus --dir s compact now
--- stderr
error: no store at s yet — pass --dim to create one
error: --read-only refuses 'compact', which modifies the store
error: compact: expected no arguments (see nidus compact --help)
--- exit 2

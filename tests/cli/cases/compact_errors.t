# compact: missing store, --read-only, arguments
. "$CASES/fixture.sh"
nidus --dir s compact
mkstore
nidus --dir s compact --read-only
nidus --dir s compact now
--- stderr
nidus: no store in 's'
nidus: --read-only refuses 'compact', which modifies the store
nidus: compact: expected no arguments (see nidus compact --help)
--- exit 2

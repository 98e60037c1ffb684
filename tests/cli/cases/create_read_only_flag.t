# --read-only refuses create
. "$CASES/fixture.sh"
mkstore
nidus --dir s create x --read-only
--- stderr
error: --read-only refuses 'create', which modifies the store
--- exit 2

# --read-only refuses upsert
. "$CASES/fixture.sh"
mkstore
echo '[]' | nidus --dir s --read-only upsert docs
--- stderr
error: --read-only refuses 'upsert', which modifies the store
--- exit 2

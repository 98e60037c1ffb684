# delete wants ids or --where, not both, not neither
. "$CASES/fixture.sh"
mkstore
nidus --dir s delete docs
nidus --dir s delete docs a --where '[]'
nidus --dir s delete
--- stderr
error: delete: give the ids to delete, or --where FILTER
error: delete: give ids or --where, not both
error: delete: expected a collection name (see nidus delete --help)
--- exit 2

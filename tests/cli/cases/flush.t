# flush
. "$CASES/fixture.sh"
mkstore
nidus --dir s flush
nidus --dir nowhere flush
--- stdout
{
  "ok": true
}
--- stderr
error: no store at nowhere yet — pass --dim to create one
--- exit 1

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
nidus: no store in 'nowhere'
--- exit 1

# meta set replaces the map; meta get prints it
. "$CASES/fixture.sh"
mkstore
nidus --dir s meta get code
nidus --dir s meta set code '{"model": "e5", "hwm": "42"}'
nidus --dir s meta get code
nidus --dir s meta get code --format table
nidus --dir s meta set code '{}'
nidus --dir s meta get code
nidus --dir s meta get absent
--- stdout
{
  "model": "toy"
}
{
  "ok": true
}
{
  "hwm": "42",
  "model": "e5"
}
key    value
hwm    42
model  e5
{
  "ok": true
}
{}
{}
--- exit 0

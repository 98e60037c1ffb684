# meta set creates a missing collection (and store, with --dim)
nidus --dir s --dim 2 meta set fresh '{"k": "v"}'
nidus --dir s collections
--- stdout
{
  "ok": true
}
[
  "fresh"
]
--- exit 0

# compact drops dead rows and keeps the records
. "$CASES/fixture.sh"
mkstore
nidus --dir s delete docs a b
nidus --dir s stats --format table | grep -E 'rows|doc_count'
nidus --dir s compact
nidus --dir s stats --format table | grep -E 'rows|doc_count'
nidus --dir s get docs --format table
--- stdout
{
  "deleted": 2
}
rows                     5
dead_rows                2
doc_count                3
{
  "ok": true
}
rows                     3
dead_rows                0
doc_count                3
id  vector                    attrs
c   [0.7071, 0.7071, 0.0000]  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
--- exit 0

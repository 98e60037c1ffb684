# delete by ids; missing ids are skipped
. "$CASES/fixture.sh"
mkstore
nidus --dir s delete docs a zz a
nidus --dir s get docs --format table
--- stdout
{
  "deleted": 1
}
id  vector                    attrs
b   [0.0000, 1.0000, 0.0000]  flag=true lang="de" n=2
c   [0.7071, 0.7071, 0.0000]  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
--- exit 0

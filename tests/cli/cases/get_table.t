# get --format table
. "$CASES/fixture.sh"
mkstore
nidus --dir s get docs --format table
--- stdout
id  vector                    attrs
a   [1.0000, 0.0000, 0.0000]  lang="en" n=1 tags=[x, y]
b   [0.0000, 1.0000, 0.0000]  flag=true lang="de" n=2
c   [0.7071, 0.7071, 0.0000]  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
--- exit 0

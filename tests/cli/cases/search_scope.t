# collections scope the search; absent names are skipped
. "$CASES/fixture.sh"
mkstore
echo '[0, 0, 1]' | nidus --dir s search code --format table
echo '[0, 0, 1]' | nidus --dir s search docs missing --format table
echo '[0, 0, 1]' | nidus --dir s search missing
--- stdout
collection  id   score  attrs
code        m   1.0000  path="src/main.c"
code        u   0.8165  path="src/util.c"
collection  id   score  attrs
docs        a   0.0000  lang="en" n=1 tags=[x, y]
docs        b   0.0000  flag=true lang="de" n=2
docs        c   0.0000  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
[]
--- exit 0

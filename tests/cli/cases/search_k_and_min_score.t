# -k and --min-score
. "$CASES/fixture.sh"
mkstore
echo '[1, 0, 0]' | nidus --dir s search -k 2 --format table
echo '[1, 0, 0]' | nidus --dir s search --min-score 0.5 --format table
echo '[1, 0, 0]' | nidus --dir s search -k 0
--- stdout
collection  id   score  attrs
docs        a   1.0000  lang="en" n=1 tags=[x, y]
docs        c   0.7071  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
collection  id   score  attrs
docs        a   1.0000  lang="en" n=1 tags=[x, y]
docs        c   0.7071  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
[]
--- exit 0

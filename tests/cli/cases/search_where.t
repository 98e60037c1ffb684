# Eq, In, Glob filters, ANDed
. "$CASES/fixture.sh"
mkstore
q() { echo '[1, 1, 1]' | nidus --dir s search --format table --where "$1"; }
q '[{"Eq": ["lang", {"Str": "en"}]}]'
q '[{"In": ["n", [{"Int": 2}, {"Int": 5}]]}]'
q '[{"Glob": ["path", "src/m*.c"]}]'
q '[{"Eq": ["lang", {"Str": "en"}]}, {"Eq": ["gone", "Null"]}]'
q '[{"Eq": ["tags", {"List": ["x", "y"]}]}]'
q '[]' 
--- stdout
collection  id   score  attrs
docs        c   0.8165  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
docs        a   0.5774  lang="en" n=1 tags=[x, y]
collection  id   score  attrs
docs        b   0.5774  flag=true lang="de" n=2
collection  id   score  attrs
code        m   0.5774  path="src/main.c"
collection  id   score  attrs
docs        c   0.8165  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
collection  id   score  attrs
docs        a   0.5774  lang="en" n=1 tags=[x, y]
collection  id   score  attrs
code        u   0.9428  path="src/util.c"
docs        c   0.8165  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
docs        a   0.5774  lang="en" n=1 tags=[x, y]
docs        b   0.5774  flag=true lang="de" n=2
code        m   0.5774  path="src/main.c"
--- exit 0

# --like ID --in C: a stored vector as the query, itself left out
. "$CASES/fixture.sh"
mkstore
nidus --dir s search --like a --in docs --format table
nidus --dir s search --like m --in code -k 1 docs
--- stdout
collection  id   score  attrs
docs        c   0.7071  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
code        u   0.4082  path="src/util.c"
docs        b   0.0000  flag=true lang="de" n=2
code        m   0.0000  path="src/main.c"
[
  {
    "collection": "docs",
    "id": "a",
    "score": 0.0,
    "attrs": {
      "lang": {
        "Str": "en"
      },
      "n": {
        "Int": 1
      },
      "tags": {
        "List": [
          "x",
          "y"
        ]
      }
    }
  }
]
--- exit 0

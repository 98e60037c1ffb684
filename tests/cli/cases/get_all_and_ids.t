# get all records, or the given ids in order (missing left out)
. "$CASES/fixture.sh"
mkstore
nidus --dir s get code
nidus --dir s get docs c zz a --format table
nidus --dir s get nothing
--- stdout
[
  {
    "id": "m",
    "vector": [
      0.0,
      0.0,
      1.0
    ],
    "attrs": {
      "path": {
        "Str": "src/main.c"
      }
    }
  },
  {
    "id": "u",
    "vector": [
      0.40824828,
      0.40824828,
      0.81649655
    ],
    "attrs": {
      "path": {
        "Str": "src/util.c"
      }
    }
  }
]
id  vector                    attrs
c   [0.7071, 0.7071, 0.0000]  at=2023-11-14T22:13:20.000Z gone=null lang="en" w=0.5
a   [1.0000, 0.0000, 0.0000]  lang="en" n=1 tags=[x, y]
[]
--- exit 0

# search the whole store; scores print as short floats
. "$CASES/fixture.sh"
mkstore
echo '[1, 0.5, 0]' | nidus --dir s search
--- stdout
[
  {
    "collection": "docs",
    "id": "c",
    "score": 0.94868326,
    "attrs": {
      "at": {
        "DateTime": 1700000000000
      },
      "gone": "Null",
      "lang": {
        "Str": "en"
      },
      "w": {
        "Float": 0.5
      }
    }
  },
  {
    "collection": "docs",
    "id": "a",
    "score": 0.8944272,
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
  },
  {
    "collection": "code",
    "id": "u",
    "score": 0.5477226,
    "attrs": {
      "path": {
        "Str": "src/util.c"
      }
    }
  },
  {
    "collection": "docs",
    "id": "b",
    "score": 0.4472136,
    "attrs": {
      "flag": {
        "Bool": true
      },
      "lang": {
        "Str": "de"
      },
      "n": {
        "Int": 2
      }
    }
  },
  {
    "collection": "code",
    "id": "m",
    "score": 0.0,
    "attrs": {
      "path": {
        "Str": "src/main.c"
      }
    }
  }
]
--- exit 0

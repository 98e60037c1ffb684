# options before or after the command, --opt=value, -kN
. "$CASES/fixture.sh"
mkstore
echo '[1, 0, 0]' | nidus search --dir=s -k1 docs
echo '[1, 0, 0]' | nidus -k 1 --dir s search docs
--- stdout
[
  {
    "collection": "docs",
    "id": "a",
    "score": 1.0,
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
[
  {
    "collection": "docs",
    "id": "a",
    "score": 1.0,
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

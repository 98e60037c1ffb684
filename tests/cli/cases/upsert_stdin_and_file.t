# upsert from stdin and --file; every value type round-trips through get
. "$CASES/fixture.sh"
mkstore
cat > more.json <<'JSON'
[{"id": "d", "vector": [0.25, -1e-3, 3e5], "attrs": {"big": {"Int": -9223372036854775808}, "f": {"Float": 0.1}, "e": {"Float": 1e300}, "u": {"Str": "h\u00e9llo \u2713 \"q\""}, "l": {"List": []}}}]
JSON
nidus --dir s upsert docs --file more.json
nidus --dir s get docs
--- stdout
{
  "upserted": 1
}
[
  {
    "id": "a",
    "vector": [
      1.0,
      0.0,
      0.0
    ],
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
    "id": "b",
    "vector": [
      0.0,
      1.0,
      0.0
    ],
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
    "id": "c",
    "vector": [
      0.70710677,
      0.70710677,
      0.0
    ],
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
    "id": "d",
    "vector": [
      8.3333333e-7,
      -3.3333334e-9,
      1.0
    ],
    "attrs": {
      "big": {
        "Int": -9223372036854775808
      },
      "e": {
        "Float": 1e300
      },
      "f": {
        "Float": 0.1
      },
      "l": {
        "List": []
      },
      "u": {
        "Str": "héllo ✓ \"q\""
      }
    }
  }
]
--- exit 0

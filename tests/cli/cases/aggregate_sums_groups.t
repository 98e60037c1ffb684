# aggregate: count, typed sums (Int while every addend is an Int, else Float;
# missing and non-numeric values skipped), --group-by largest first with the
# missing-attribute group (value null) apart from the Null one, --where, scope
nidus --dir s --dim 2 upsert t >/dev/null <<'JSON'
[{"id": "a", "vector": [1, 0], "attrs": {"lang": {"Str": "rust"}, "bytes": {"Int": 10}, "w": {"Float": 0.25}}},
 {"id": "b", "vector": [1, 0], "attrs": {"lang": {"Str": "go"}, "bytes": {"Int": 32}, "w": {"Int": 2}}},
 {"id": "c", "vector": [1, 0], "attrs": {"lang": {"Str": "rust"}, "bytes": {"Int": 5}, "w": {"Str": "x"}}},
 {"id": "d", "vector": [1, 0], "attrs": {"lang": "Null", "bytes": {"Float": 1.5}}},
 {"id": "e", "vector": [1, 0], "attrs": {"bytes": {"Int": 9223372036854775807}}}]
JSON
nidus --dir s upsert u >/dev/null <<'JSON'
[{"id": "f", "vector": [0, 1], "attrs": {"lang": {"Str": "go"}, "bytes": {"Int": 1}}}]
JSON
nidus --dir s aggregate t
nidus --dir s aggregate --sum bytes --sum w --sum nope --group-by lang t
nidus --dir s aggregate --where '[{"Ne": ["lang", {"Str": "go"}]}]' --sum bytes --group-by lang t | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
nidus --dir s aggregate --sum bytes --group-by lang --where '[{"Lt": ["bytes", {"Int": 100}]}]' | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
nidus --dir s aggregate --sum bytes t --where '[{"In": ["id", []]}]' | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
nidus --dir s aggregate --group-by '' t
echo "exit $?"
--- stdout
{
  "count": 5,
  "sums": {},
  "groups": [],
  "groups_truncated": false
}
{
  "count": 5,
  "sums": {
    "bytes": {
      "Float": 9.223372036854776e18
    },
    "nope": {
      "Int": 0
    },
    "w": {
      "Float": 2.25
    }
  },
  "groups": [
    {
      "value": {
        "Str": "rust"
      },
      "count": 2,
      "sums": {
        "bytes": {
          "Int": 15
        },
        "nope": {
          "Int": 0
        },
        "w": {
          "Float": 0.25
        }
      }
    },
    {
      "value": null,
      "count": 1,
      "sums": {
        "bytes": {
          "Int": 9223372036854775807
        },
        "nope": {
          "Int": 0
        },
        "w": {
          "Int": 0
        }
      }
    },
    {
      "value": "Null",
      "count": 1,
      "sums": {
        "bytes": {
          "Float": 1.5
        },
        "nope": {
          "Int": 0
        },
        "w": {
          "Int": 0
        }
      }
    },
    {
      "value": {
        "Str": "go"
      },
      "count": 1,
      "sums": {
        "bytes": {
          "Int": 32
        },
        "nope": {
          "Int": 0
        },
        "w": {
          "Int": 2
        }
      }
    }
  ],
  "groups_truncated": false
}
{"count": 3, "groups": [{"count": 2, "sums": {"bytes": {"Int": 15}}, "value": {"Str": "rust"}}, {"count": 1, "sums": {"bytes": {"Float": 1.5}}, "value": "Null"}], "groups_truncated": false, "sums": {"bytes": {"Float": 16.5}}}
{"count": 4, "groups": [{"count": 2, "sums": {"bytes": {"Int": 33}}, "value": {"Str": "go"}}, {"count": 2, "sums": {"bytes": {"Int": 15}}, "value": {"Str": "rust"}}], "groups_truncated": false, "sums": {"bytes": {"Int": 48}}}
{"count": 0, "groups": [], "groups_truncated": false, "sums": {"bytes": {"Int": 0}}}
exit 1
--- stderr
error: aggregate: invalid query option: group_by needs a field name
--- exit 0

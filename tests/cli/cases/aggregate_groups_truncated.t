# aggregate --group-by over more than 10000 distinct values: 10000 groups and
# "groups_truncated": true, while the totals still count every record
$PY -c 'import json; print(json.dumps([{"id": "r%05d" % i, "vector": [1, 0], "attrs": {"v": {"Int": i}, "one": {"Int": 1}}} for i in range(10003)]))' |
    nidus --dir s --dim 2 upsert t >/dev/null
nidus --dir s aggregate --sum one --group-by v | $PY -c '
import json, sys
a = json.load(sys.stdin)
print(a["count"], a["sums"], len(a["groups"]), a["groups_truncated"], sum(g["count"] for g in a["groups"]))'
nidus --dir s aggregate --sum one --group-by one | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
--- stdout
10003 {'one': {'Int': 10003}} 10000 True 10000
{"count": 10003, "groups": [{"count": 10003, "sums": {"one": {"Int": 10003}}, "value": {"Int": 1}}], "groups_truncated": false, "sums": {"one": {"Int": 10003}}}
--- exit 0

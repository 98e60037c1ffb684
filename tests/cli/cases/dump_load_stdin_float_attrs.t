# load from stdin; Float/DateTime attrs and odd floats survive exactly
cat > r.json <<'JSON'
[{"id": "x", "vector": [1e-30, 3.4e38, -7], "attrs": {"f": {"Float": 0.30000000000000004}, "g": {"Float": -2.5e-310}, "t": {"DateTime": -1}}},
 {"id": "z", "vector": [0, 0, 0]},
 {"id": "y", "vector": [1, 1e-45, 16777217]}]
JSON
nidus --dir s --dim 3 upsert c --file r.json >/dev/null
nidus --dir s dump | tee 1.ndjson
nidus --dir t load < 1.ndjson
nidus --dir t dump | cmp - 1.ndjson && echo identical
--- stdout
{"format":"nidus-dump","version":1,"dimension":3}
{"collection":"c","meta":{}}
{"collection":"c","id":"x","vector":[0.0,1.0,-2.0588236e-38],"attrs":{"f":{"Float":0.30000000000000004},"g":{"Float":-2.5000000000000171e-310},"t":{"DateTime":-1}}}
{"collection":"c","id":"y","vector":[5.9604645e-8,0.0,1.0],"attrs":{}}
{"collection":"c","id":"z","vector":[0.0,0.0,0.0],"attrs":{}}
{
  "loaded": 3
}
identical
--- stderr
load: 3 records in 1 collection (dimension 3)
--- exit 0

# import NDJSON records (blank lines skipped)
$PY "$CASES/mkvec.py" ndjson v.ndjson 3 2
echo >> v.ndjson
nidus --dir s import vecs v.ndjson -q
nidus --dir s get vecs --format table
--- stdout
{
  "imported": 3
}
id  vector              attrs
r0  [-0.9285, -0.3714]  i=0 tag="t0"
r1  [0.3714, 0.9285]    i=1 tag="t1"
r2  [-0.8944, 0.4472]   i=2 tag="t2"
--- exit 0

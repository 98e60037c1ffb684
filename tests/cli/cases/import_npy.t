# import .npy with --ids and --attrs
$PY "$CASES/mkvec.py" npy v.npy 5 4
$PY "$CASES/mkvec.py" ids v.ids 5 4
$PY "$CASES/mkvec.py" attrs v.attrs 5 4
nidus --dir s import vecs v.npy --ids v.ids --attrs v.attrs 2>&1 | sed 's/in [0-9.]* s, [0-9]* records/in T s, N records/'
nidus --dir s get vecs --format table
--- stdout
import: 5 records into "vecs" (dim 4) in T s, N records/s
{
  "imported": 5
}
id  vector                         attrs
r0  [-0.7372, -0.2949, 0.1474, …]  i=0 tag="t0"
r1  [0.3244, 0.8111, -0.4867, …]   i=1 tag="t1"
r2  [-0.3288, 0.1644, 0.6576, …]   i=2 tag="t2"
r3  [0.7625, -0.4575, 0.0000, …]   i=3 tag="t0"
r4  [0.1715, 0.6860, -0.6860, …]   i=4 tag="t1"
--- exit 0

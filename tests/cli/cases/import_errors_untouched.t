# bad import input never touches the store
. "$CASES/fixture.sh"
mkstore
before=$(snap)
$PY "$CASES/mkvec.py" npy v.npy 5 3
$PY "$CASES/mkvec.py" ids v.ids 4 3
$PY "$CASES/mkvec.py" attrs v.attrs 5 3
$PY "$CASES/mkvec.py" npy-be be.npy 5 3
$PY "$CASES/mkvec.py" npy-fortran fo.npy 5 3
$PY "$CASES/mkvec.py" npy v4.npy 5 4
echo '{"i": {"Nope": 1}}' > bad.attrs; cat v.attrs | head -4 >> bad.attrs
printf 'NUMPY' > junk.npy
head -c 10 v.npy > short.fvecs
nidus --dir s import x v.npy --ids v.ids
nidus --dir s import x v.npy --attrs bad.attrs
nidus --dir s import x be.npy
nidus --dir s import x fo.npy
nidus --dir s import x v4.npy
nidus --dir s import x junk.npy
nidus --dir s import x short.fvecs
nidus --dir s import x v.npy --type fvecs
nidus --dir s import x missing.npy
nidus --dir s import x v.npy --type csv
nidus --dir s import x v.npy --dim 4
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
untouched
--- stderr
error: v.ids: 4 lines of ids for 5 vectors
error: bad.attrs:1: attrs.i: unknown value tag "Nope" (want Null, Str, Int, Bool, List, Float or DateTime)
error: be.npy: dtype '>f4' is not supported: want little-endian float32 ('<f4') or float64 ('<f8')
error: fo.npy: Fortran-order arrays are not supported: save C order
error: v4.npy: vectors have dimension 4, the store has 3
error: junk.npy: not a .npy file (bad magic)
error: short.fvecs: first row claims dimension 1297436307
error: v.npy: first row claims dimension 1297436307
error: cannot open 'missing.npy': No such file or directory
error: --type wants npy, fvecs, raw or ndjson, got 'csv'
error: v.npy: vectors have dimension 3, --dim is 4
--- exit 0

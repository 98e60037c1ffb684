# raw f32 into a new store without --dim
$PY "$CASES/mkvec.py" raw v.raw 2 2
nidus --dir s import x v.raw
nidus --dir s import x v.raw --dim 3
--- stderr
error: v.raw: raw f32 needs --dim N (the file does not say)
error: v.raw: 16 bytes is not a whole number of 3-d float32 rows
--- exit 1

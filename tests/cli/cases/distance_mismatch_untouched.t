# an explicit --distance that differs from the store's fails with nidus's message (exit 1); the files stay byte-identical and no lock is left
nidus --dir s create docs --dim 3 --distance euclidean > /dev/null
echo '[{"id": "a", "vector": [1, 2, 3]}]' | nidus --dir s upsert docs > /dev/null
cp -r s before
echo '[{"id": "b", "vector": [1, 2, 3]}]' | nidus --dir s upsert docs --distance cosine; echo "exit $?"
NIDUS_DISTANCE=dot nidus --dir s create more; echo "exit $?"
$PY "$CASES/mkvec.py" raw v.f32 2 3
nidus --dir s import more v.f32 -q --distance dot; echo "exit $?"
diff -r before s && echo "s untouched"
ls s
nidus --dir s create more --distance euclidean
--- stdout
exit 1
exit 1
exit 1
s untouched
data
log
{
  "created": "more"
}
--- stderr
error: cannot open store 's': data file distance metric mismatch: file has Euclidean, requested Cosine
error: cannot open store 's': data file distance metric mismatch: file has Euclidean, requested DotProduct
error: cannot open store 's': data file distance metric mismatch: file has Euclidean, requested DotProduct
--- exit 0

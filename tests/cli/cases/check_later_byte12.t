# header byte 12 (the distance): 1 and 2 are reported, above 2 is a newer nidus (exit 1)
. "$CASES/fixture.sh"
mkstore
cp -r s t
$PY "$CASES/later.py" s byte12 2
nidus --dir s check | grep -E '^(data|result)'
echo "exit ${PIPESTATUS[0]}"
$PY "$CASES/later.py" t byte12 200
nidus --dir t check | grep -E '^(data|result)'
echo "exit ${PIPESTATUS[0]}"
--- stdout
data     OK     format 1, dimension 3, 5 rows (124 bytes)
data     OK     distance dot (header byte 12 = 2), as nidus 0.5 or later writes it
result   OK     0 warnings
exit 0
data     OK     format 1, dimension 3, 5 rows (124 bytes)
data     NEWER  header byte 12 (the distance) is 200, which no nidus up to 0.80 writes (0 cosine, 1 euclidean, 2 dot): a newer nidus wrote it; the library refuses the store
result   NEWER  1 finding of a later nidus, 0 warnings: this library refuses the store
exit 1
--- exit 0

# import and upsert create a store of the given metric; an existing store's is used when none is given
$PY "$CASES/mkvec.py" raw v.f32 4 3
nidus --dir i import vecs v.f32 -q --dim 3 --distance dot
nidus --dir i import more v.f32 -q
nidus --dir i stats --format table | grep -E 'distance|doc_count'
echo '[{"id": "a", "vector": [0, 3, 4]}]' | nidus --dir u upsert docs --dim 3 --distance euclidean
nidus --dir u stats | grep distance
echo '[0, 0, 0]' | nidus --dir u search | grep score
nidus --dir m meta set docs '{"k": "v"}' --dim 3 --distance dot
nidus --dir m stats | grep distance
--- stdout
{
  "imported": 4
}
{
  "imported": 4
}
distance            DotProduct
doc_count                    8
{
  "upserted": 1
}
  "distance": "Euclidean",
    "score": -25.0,
{
  "ok": true
}
  "distance": "DotProduct",
--- exit 0

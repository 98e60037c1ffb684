# import raw f32 needs --dim for a new store, then takes the store's
$PY "$CASES/mkvec.py" raw v.f32 4 3
nidus --dir s import vecs v.f32 -q
nidus --dir s import vecs v.f32 -q --dim 3
nidus --dir s import more v.f32 -q --type raw
nidus --dir s stats --format table | grep -E 'dimension|doc_count' 
--- stdout
{
  "imported": 4
}
{
  "imported": 4
}
dimension                3
doc_count                8
--- stderr
error: v.f32: raw f32 needs --dim N (the file does not say)
--- exit 0

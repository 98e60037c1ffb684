# dump -> load -> dump is identical for stores built by each import format
for f in npy fvecs raw ndjson ids attrs; do $PY "$CASES/mkvec.py" $f v.$f 300 17; done
nidus --dir s import n v.npy --ids v.ids --attrs v.attrs -q >/dev/null
nidus --dir s import f v.fvecs -q >/dev/null
nidus --dir s import r v.raw --type raw -q >/dev/null
nidus --dir s import j v.ndjson -q >/dev/null
nidus --dir s meta set j '{"source": "ndjson"}' >/dev/null
nidus --dir s dump > 1.ndjson
nidus --dir t load 1.ndjson
nidus --dir t dump > 2.ndjson
cmp 1.ndjson 2.ndjson && echo identical
wc -l < 2.ndjson
--- stdout
{
  "loaded": 1200
}
identical
1205
--- stderr
load: 1200 records in 4 collections (dimension 17)
--- exit 0

# npy (float32 and float64), fvecs, raw, NDJSON and upsert JSON give identical records
for f in npy npy-f8 fvecs raw ndjson json ids attrs; do $PY "$CASES/mkvec.py" $f v.$f 50 7; done
nidus --dir s --dim 7 upsert c --file v.json >/dev/null
nidus --dir s get c > want.json
for f in npy npy-f8 fvecs raw ndjson; do
    extra=""; [ $f = ndjson ] || extra="--ids v.ids --attrs v.attrs"
    nidus --dir s import $f v.$f --type ${f%-f8} --batch 7 -q $extra >/dev/null
    nidus --dir s get $f | cmp - want.json && echo "$f: identical to upsert"
done
--- stdout
npy: identical to upsert
npy-f8: identical to upsert
fvecs: identical to upsert
raw: identical to upsert
ndjson: identical to upsert
--- exit 0

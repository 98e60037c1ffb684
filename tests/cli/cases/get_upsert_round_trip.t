# get's output is upsert's input: ids and attrs copy exactly; vectors stay within a
# last-bit difference, since upsert normalizes again (dump/load is the bit-exact copy)
. "$CASES/fixture.sh"
mkstore
nidus --dir "$GOLDEN/b_mixed" get code > code.json
nidus --dir s upsert copy --file code.json
nidus --dir s get copy > copy.json
$PY - <<'PY'
import json
a, b = json.load(open("code.json")), json.load(open("copy.json"))
assert [(r["id"], r["attrs"]) for r in a] == [(r["id"], r["attrs"]) for r in b]
d = max(abs(x - y) for r, q in zip(a, b) for x, y in zip(r["vector"], q["vector"]))
print("ids and attrs identical, vectors within 2e-7:", d < 2e-7)
PY
--- stdout
{
  "upserted": 3
}
ids and attrs identical, vectors within 2e-7: True
--- exit 0

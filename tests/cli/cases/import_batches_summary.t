# import in batches prints one summary line (no progress bar off a terminal)
$PY "$CASES/mkvec.py" npy v.npy 1000 8
nidus --dir s import big v.npy --batch 64 2>err.txt
sed 's/in [0-9.]* s, [0-9]* records/in T s, N records/' err.txt
nidus --dir s stats --format table | grep doc_count
--- stdout
{
  "imported": 1000
}
import: 1000 records into "big" (dim 8) in T s, N records/s
doc_count             1000
--- exit 0

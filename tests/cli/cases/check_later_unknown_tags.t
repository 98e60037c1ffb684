# an op tag past 9 with a good CRC as the last frame is damage, never a torn tail (a writer does not cut it)
. "$CASES/fixture.sh"
mkstore
$PY "$CASES/later.py" s op 10
before=$(snap)
nidus --dir s check
echo "exit $?"
echo '[{"id": "z", "vector": [1, 2, 3]}]' > r.json
nidus --dir s upsert docs --file r.json
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
log      DAMAGE frame 8 at offset 655: op tag 10, which no nidus up to 0.80 writes, in a frame with a good CRC: corrupt, or written by a nidus newer than 0.80; the library refuses the store
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: store is corrupt (log corruption at offset 655: unknown op tag 10 in a frame whose CRC is good (nidus 0.80 knows op tags 0-9 and value tags 0-6): corrupt, or written by a nidus newer than 0.80)
result   DAMAGE 1 problem, 0 warnings
exit 1
exit 1
untouched
--- stderr
error: cannot open store 's': store is corrupt (log corruption at offset 655: unknown op tag 10 in a frame whose CRC is good (nidus 0.80 knows op tags 0-9 and value tags 0-6): corrupt, or written by a nidus newer than 0.80)
--- exit 0

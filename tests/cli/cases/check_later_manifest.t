# a manifest naming only data, and caches (nidus 0.80 opened the store once): check says so, exit 1; reads work, writes are refused; nothing changes
. "$CASES/fixture.sh"
mkstore
$PY "$CASES/later.py" s manifest 2 0 data
$PY "$CASES/later.py" s touch ann fts findex data.crc hist-floor manifest.tmp
before=$(snap)
nidus --dir s check
echo "exit $?"
nidus --dir s get docs a | head -3
echo '[{"id": "z", "vector": [1, 2, 3]}]' > r.json
nidus --dir s upsert docs --file r.json
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
files    NEWER  ann: an ANN index (a cache), written by nidus 0.12 or later (ignored read-only)
files    NEWER  data.crc: a segment's checksum sidecar, written by nidus 0.62 or later (ignored read-only)
files    NEWER  findex: a filter index (a cache), written by nidus 0.64 or later (ignored read-only)
files    NEWER  fts: a full-text index (a cache), written by nidus 0.14 or later (ignored read-only)
files    NEWER  hist-floor: a history entry (a past version of the store), written by nidus 0.78 or later (ignored read-only)
files    NEWER  manifest.tmp: an interrupted manifest write, written by nidus 0.18 or later (ignored read-only)
manifest NEWER  format 2 (nidus 0.60 or later), dimension 3, distance Cosine; segments data; next id 1, version 1
manifest OK     every row lives in data: the library reads the store (read-only), never writes it
log      OK     8 frames, every CRC good (655 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
replay   OK     2 collections, 5 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 5 records, 5 rows, 0 dead
result   NEWER  7 findings of a later nidus, 0 warnings: this library reads the store but will not write to it
exit 1
[
  {
    "id": "a",
exit 1
untouched
--- stderr
error: cannot open store 's': unsupported format version (store at s has `manifest` (and 6 more files of later versions), which nidus 0.18 or later writes (the store's manifest; nidus 0.80 writes one on its first read-write open of any store): this library does not write to a store of a later nidus version, it opens one read-only)
--- exit 0

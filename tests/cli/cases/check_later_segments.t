# rows in sealed segments (a v1 manifest naming seg-00000001, seg-00000002): check shows them and the global rows, exit 1; read-only opens refuse too; nothing changes
. "$CASES/fixture.sh"
mkstore
L="$PY $CASES/later.py s"
$L byte12 1
$L manifest 1 1 data seg-00000001 seg-00000002
$L segment seg-00000001 1 2
$L segment seg-00000002 1 0
$L segment seg-00000007 1 1
$L touch seg-00000001.crc
$L upsert docs d 5
$L upsert docs e 6
before=$(snap)
nidus --dir s check
echo "exit $?"
nidus --dir s stats
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
data     OK     distance euclidean (header byte 12 = 1), as nidus 0.5 or later writes it
files    NEWER  seg-00000001.crc: a segment's checksum sidecar, written by nidus 0.62 or later (ignored read-only)
manifest NEWER  format 1 (nidus 0.18 to 0.59), dimension 3, distance Euclidean; segments data, seg-00000001, seg-00000002; next id 3, version 3
manifest NEWER  rows live in 2 sealed segments after data: the library does not read segments and refuses the store, read-only too
segment  NEWER  seg-00000001: format 1, dimension 3, distance Euclidean, 2 rows (the store's rows 5 to 6), named by the manifest
segment  NEWER  seg-00000002: format 1, dimension 3, distance Euclidean, 0 rows, named by the manifest
segment  WARN   seg-00000007: no manifest segment (a compaction's leftover; ignored)
log      OK     10 frames, every CRC good (753 bytes): 2 create, 0 drop, 1 set-meta, 7 upsert, 0 delete
replay   OK     2 collections, 7 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: unsupported format version (store at s keeps rows in sealed segments (seg-00000001, seg-00000002; its manifest names 3 segments), which nidus 0.18 or later writes: this library does not read segments, and refuses the store rather than miss those rows)
result   NEWER  5 findings of a later nidus, 1 warning: this library refuses the store
exit 1
exit 1
untouched
--- stderr
error: cannot open store 's': unsupported format version (store at s keeps rows in sealed segments (seg-00000001, seg-00000002; its manifest names 3 segments), which nidus 0.18 or later writes: this library does not read segments, and refuses the store rather than miss those rows)
--- exit 0

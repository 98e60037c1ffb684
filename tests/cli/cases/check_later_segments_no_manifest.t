# a segment file and no manifest: rows may live there, refused both ways
. "$CASES/fixture.sh"
mkstore
$PY "$CASES/later.py" s segment seg-00000001 0 2
before=$(snap)
nidus --dir s check
echo "exit $?"
nidus --dir s get docs a
echo "exit $?"
nidus --dir s drop docs
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
segment  NEWER  seg-00000001: a sealed segment, written by nidus 0.18 or later, and no manifest: rows may live there; the library refuses the store
log      OK     8 frames, every CRC good (655 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
replay   OK     2 collections, 5 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: unsupported format version (store at s has segment files (seg-00000001) but no manifest, which nidus 0.18 or later writes: rows may live in them, and this library does not read segments)
result   NEWER  1 finding of a later nidus, 0 warnings: this library refuses the store
exit 1
exit 1
exit 1
untouched
--- stderr
error: cannot open store 's': unsupported format version (store at s has segment files (seg-00000001) but no manifest, which nidus 0.18 or later writes: rows may live in them, and this library does not read segments)
error: cannot open store 's': unsupported format version (store at s has `seg-00000001`, which nidus 0.18 or later writes (a sealed segment, holding rows past the end of `data`): this library does not write to a store of a later nidus version, it opens one read-only)
--- exit 0

# log ops 5-7 and 9 of later versions (op 8 is read), the last one last: named with their versions and offsets, exit 1; never cut as a torn tail; refused read-only and read-write
. "$CASES/fixture.sh"
mkstore
for t in 5 6 7 8 9 9; do $PY "$CASES/later.py" s op $t; done
before=$(snap)
nidus --dir s check
echo "exit $?"
nidus --dir s stats
echo "exit $?"
nidus --dir s compact
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
log      OK     14 frames, every CRC good (948 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete, 1 set-filter-index, 5 of later versions
log      NEWER  1 UpsertText op (op 5, written by nidus 0.14 or later), the first at offset 655: the library refuses the store rather than misread it
log      NEWER  1 SetFtsSchema op (op 6, written by nidus 0.14 or later), the first at offset 696: the library refuses the store rather than misread it
log      NEWER  1 SetFtsFields op (op 7, written by nidus 0.52 or later), the first at offset 744: the library refuses the store rather than misread it
log      NEWER  2 Reinforce ops (op 9, written by nidus 0.79 or later), the first at offset 848: the library refuses the store rather than misread it
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: unsupported format version (log frame at offset 655 is op 5 UpsertText, which nidus 0.14 and later write: this library knows only ops 0-4 (nidus 0.3's) and 8 (SetFilterIndex) and refuses the store rather than misread it)
result   NEWER  4 findings of a later nidus, 0 warnings: this library refuses the store
exit 1
exit 1
exit 1
untouched
--- stderr
error: cannot open store 's': unsupported format version (log frame at offset 655 is op 5 UpsertText, which nidus 0.14 and later write: this library knows only ops 0-4 (nidus 0.3's) and 8 (SetFilterIndex) and refuses the store rather than misread it)
error: cannot open store 's': unsupported format version (log frame at offset 655 is op 5 UpsertText, which nidus 0.14 and later write: this library knows only ops 0-4 (nidus 0.3's) and 8 (SetFilterIndex) and refuses the store rather than misread it)
--- exit 0

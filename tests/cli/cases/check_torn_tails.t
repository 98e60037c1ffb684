# torn data row and log frame are warnings, exit 0, nothing modified
. "$CASES/fixture.sh"
mkstore
printf 'xy' >> s/data
printf '\x10\x00\x00\x00abc' >> s/log
before=$(snap)
nidus --dir s check
echo "exit $?"
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (126 bytes)
data     WARN   2 bytes of a torn row append after row 5 (ignored; a writer truncates them)
log      OK     8 frames, every CRC good (662 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
log      WARN   torn tail: 7 bytes at offset 655 are not a whole frame (ignored; a writer truncates them)
replay   OK     2 collections, 5 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 5 records, 5 rows, 0 dead
result   OK     2 warnings
exit 0
untouched
--- exit 0

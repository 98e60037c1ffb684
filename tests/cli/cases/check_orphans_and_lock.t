# orphan rows and a stale lock are warnings
. "$CASES/fixture.sh"
mkstore
head -c 12 /dev/zero >> s/data
printf '999999999 1' > s/lock
nidus --dir s check
echo "exit $?"
--- stdout
store           s
data     OK     format 1, dimension 3, 6 rows (136 bytes)
log      OK     8 frames, every CRC good (655 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
replay   OK     2 collections, 5 live records, 0 dead rows, 1 orphan row
replay   WARN   1 orphan row that no upsert names (an interrupted write; compact reclaims them)
lock     WARN   stale lock file of pid 999999999, which is not running; the next writer reclaims it
library  OK     a read-only open agrees: 5 records, 6 rows, 0 dead
result   OK     2 warnings
exit 0
--- exit 0

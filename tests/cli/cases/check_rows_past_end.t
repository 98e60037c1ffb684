# log naming rows past the end of data is damage
. "$CASES/fixture.sh"
mkstore
truncate -s -12 s/data
nidus --dir s check
echo "exit $?"
--- stdout
store           s
data     OK     format 1, dimension 3, 4 rows (112 bytes)
log      OK     8 frames, every CRC good (655 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
replay   OK     2 collections, 4 live records, 0 dead rows, 0 orphan rows
replay   DAMAGE 1 upsert frame refers to rows past the end of data (4 rows; up to row 4): those records are lost
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 4 records, 4 rows, 0 dead
result   DAMAGE 1 problem, 0 warnings
exit 1
--- exit 0

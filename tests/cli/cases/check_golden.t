# check passes the golden stores and changes nothing
for g in a_minimal b_mixed c_compacted; do
    nidus --dir "$GOLDEN/$g" check | sed "s|$GOLDEN|GOLDEN|"
    echo "exit $?"
done
--- stdout
store           GOLDEN/a_minimal
data     OK     format 1, dimension 2, 1 row (72 bytes)
log      OK     2 frames, every CRC good (67 bytes): 1 create, 0 drop, 0 set-meta, 1 upsert, 0 delete
replay   OK     1 collection, 1 live record, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 1 record, 1 row, 0 dead
result   OK     0 warnings
exit 0
store           GOLDEN/b_mixed
data     OK     format 1, dimension 3, 9 rows (172 bytes)
log      OK     15 frames, every CRC good (1492 bytes): 3 create, 1 drop, 1 set-meta, 9 upsert, 1 delete
replay   OK     2 collections, 6 live records, 3 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 6 records, 9 rows, 3 dead
result   OK     0 warnings
exit 0
store           GOLDEN/c_compacted
data     OK     format 1, dimension 3, 6 rows (136 bytes)
log      OK     9 frames, every CRC good (1040 bytes): 2 create, 0 drop, 1 set-meta, 6 upsert, 0 delete
replay   OK     2 collections, 6 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  OK     a read-only open agrees: 6 records, 6 rows, 0 dead
result   OK     0 warnings
exit 0
--- exit 0

# a manifest with a bad CRC, or one disagreeing with the data header: damage, refused read-only
. "$CASES/fixture.sh"
mkstore
cp -r s t
$PY "$CASES/later.py" s manifest 2 0 data
$PY -c "
b = bytearray(open('s/manifest','rb').read()); b[8] ^= 1; open('s/manifest','wb').write(b)"
nidus --dir s check
echo "exit $?"
$PY "$CASES/later.py" t manifest 2 1 data
nidus --dir t check | grep -E '^(manifest|library|result)'
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
manifest DAMAGE manifest CRC mismatch (stored ca9523dc, computed 4ea43a2d): the library refuses the store
log      OK     8 frames, every CRC good (655 bytes): 2 create, 0 drop, 1 set-meta, 5 upsert, 0 delete
replay   OK     2 collections, 5 live records, 0 dead rows, 0 orphan rows
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: store is corrupt (manifest s/manifest is corrupt: CRC mismatch (stored 0xca9523dc, computed 0x4ea43a2d))
result   DAMAGE 1 problem, 0 warnings
exit 1
manifest NEWER  format 2 (nidus 0.60 or later), dimension 3, distance Euclidean; segments data; next id 1, version 1
manifest DAMAGE manifest says distance Euclidean, the data header Cosine: the library refuses the store
library  INFO   a read-only open fails: store is corrupt (manifest t/manifest says distance Euclidean, the data header (byte 12 = 0) Cosine: corrupt store)
result   DAMAGE 1 problem, 0 warnings
--- exit 0

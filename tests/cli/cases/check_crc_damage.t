# a bad CRC in the middle of the log is damage: exit 1
. "$CASES/fixture.sh"
mkstore
$PY -c "
import sys
b = bytearray(open('s/log','rb').read()); b[20] ^= 0xff; open('s/log','wb').write(b)"
nidus --dir s check
echo "exit $?"
--- stdout
store           s
data     OK     format 1, dimension 3, 5 rows (124 bytes)
log      DAMAGE frame 0 at offset 0: CRC mismatch (stored crc 9fae847e, computed 9fae8481) with 631 bytes after it: the library refuses to open the store
lock     OK     no lock file: no writer has the store open
library  INFO   a read-only open fails: store is corrupt (log corruption: CRC mismatch at offset 0: expected 0x9fae8481, got 0x9fae847e)
result   DAMAGE 1 problem, 0 warnings
exit 1
--- exit 0

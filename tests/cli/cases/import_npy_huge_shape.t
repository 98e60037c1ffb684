# a .npy whose 1-D shape does not fit a dimension is refused (found by reading the fuzz target's reader)
. "$CASES/fixture.sh"
mkstore
before=$(snap)
$PY - <<'PY'
import struct
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967297,), }"
h = h + ' ' * (118 - len(h)) + '\n'
open('huge.npy', 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + b'\x00\x00\x80\x3f')
PY
nidus --dir s import x huge.npy
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
untouched
--- stderr
error: huge.npy: shape (4294967297,): bad dimension
--- exit 0

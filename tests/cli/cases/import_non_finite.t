# NaN or infinity in a binary file is refused before writing
$PY -c "
import struct; open('v.f32','wb').write(struct.pack('<6f', 1, 2, 3, 4, float('nan'), 6))"
nidus --dir s --dim 3 import x v.f32
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
error: v.f32: row 1, value 1 is not finite
--- exit 0

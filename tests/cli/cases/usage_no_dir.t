# no --dir and no NIDUS_DIR
nidus stats
--- stderr
error: no store directory: pass --dir D (or set NIDUS_DIR)
--- exit 2

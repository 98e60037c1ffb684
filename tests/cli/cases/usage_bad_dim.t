# --dim must be at least 1
nidus --dir s create c --dim 0
--- stderr
error: --dim must be at least 1
--- exit 2

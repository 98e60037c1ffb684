# check of a missing store
nidus --dir s check
--- stderr
error: no store at s
--- exit 1

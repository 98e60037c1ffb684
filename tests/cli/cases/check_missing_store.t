# check of a missing store
nidus --dir s check
--- stderr
nidus: no store in 's'
--- exit 1

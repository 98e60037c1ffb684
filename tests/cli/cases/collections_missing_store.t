# collections of a missing store
nidus --dir s collections
--- stderr
nidus: no store in 's'
--- exit 1

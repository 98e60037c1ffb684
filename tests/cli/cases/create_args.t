# create wants exactly one name
nidus --dir s --dim 3 create a b
--- stderr
error: create: expected one collection name (see nidus create --help)
--- exit 2

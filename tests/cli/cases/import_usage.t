# import usage errors
nidus --dir s import x
nidus --dir s import x v.ndjson --ids v.ids
--- stderr
error: import: expected COLLECTION FILE (see nidus import --help)
error: import: --ids and --attrs apply to npy, fvecs and raw files
--- exit 2

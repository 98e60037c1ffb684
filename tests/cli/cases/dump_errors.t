# dump: missing store, arguments
nidus --dir s dump
nidus --dir s dump x
--- stderr
nidus: no store in 's'
nidus: dump: takes no arguments (redirect stdout to a file)
--- exit 2

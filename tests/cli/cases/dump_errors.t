# dump: missing store, arguments
nidus --dir s dump
nidus --dir s dump x
--- stderr
error: no store at s yet — pass --dim to create one
error: dump: takes no arguments (redirect stdout to a file)
--- exit 2

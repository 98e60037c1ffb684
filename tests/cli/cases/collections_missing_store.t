# collections of a missing store
nidus --dir s collections
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 1

# option without its value
nidus --dir s search -k
--- stderr
nidus: option '-k' needs a value
--- exit 2

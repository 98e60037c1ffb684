# option without its value
nidus --dir s search -k
--- stderr
error: option '-k' needs a value
--- exit 2

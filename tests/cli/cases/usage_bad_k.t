# -k must be a count
nidus --dir s search -k ten </dev/null
--- stderr
error: -k wants an integer from 0 to 1000000000, got 'ten'
--- exit 2

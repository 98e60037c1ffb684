# unknown command
nidus --dir s frobnicate
--- stderr
error: unknown command 'frobnicate' (see nidus --help)
--- exit 2

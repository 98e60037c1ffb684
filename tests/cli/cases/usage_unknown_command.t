# unknown command
nidus --dir s frobnicate
--- stderr
nidus: unknown command 'frobnicate' (see nidus --help)
--- exit 2

# no command: usage error, exit 2
nidus --dir s
--- stderr
error: no command given (see nidus --help)
--- exit 2

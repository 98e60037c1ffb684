# an option of another command is refused
nidus --dir s create c --where '[]'
--- stderr
error: option '--where' does not apply to 'create' (see nidus create --help)
--- exit 2

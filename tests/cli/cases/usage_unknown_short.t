# unknown short option
nidus --dir s search -z
--- stderr
error: unknown option '-z'
--- exit 2

# unknown short option
nidus --dir s search -z
--- stderr
nidus: unknown option '-z'
--- exit 2

# unknown long option
nidus --dir s search --bogus
--- stderr
error: unknown option '--bogus'
--- exit 2

# unknown long option
nidus --dir s search --bogus
--- stderr
nidus: unknown option '--bogus'
--- exit 2

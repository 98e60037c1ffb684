# --file that does not exist
nidus --dir s --dim 3 upsert docs --file nope.json
--- stderr
error: cannot open 'nope.json': No such file or directory
--- exit 1

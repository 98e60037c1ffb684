# --version
nidus --version | sed 's/[0-9][0-9.]*/V/g'
--- stdout
nidus V (libnidus V)
--- exit 0

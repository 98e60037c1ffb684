# meta get of a missing store fails and creates nothing
nidus --dir s meta get docs
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
nidus: no store in 's'
--- exit 0

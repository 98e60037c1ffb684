# meta get of a missing store fails and creates nothing
nidus --dir s meta get docs
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 0

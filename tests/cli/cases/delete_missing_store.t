# delete never creates a store
nidus --dir s delete docs a
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
nidus: no store in 's'
--- exit 0

# delete never creates a store
nidus --dir s delete docs a
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 0

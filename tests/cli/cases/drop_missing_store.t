# drop never creates a store
nidus --dir s drop docs
echo "exit $?"
test -e s || echo "no store created"
--- stdout
exit 1
no store created
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 0

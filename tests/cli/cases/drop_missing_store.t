# drop never creates a store
nidus --dir s drop docs
echo "exit $?"
test -e s || echo "no store created"
--- stdout
exit 1
no store created
--- stderr
nidus: no store in 's'
--- exit 0

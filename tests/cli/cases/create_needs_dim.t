# creating a store without --dim fails and creates nothing
nidus --dir s create docs
echo "exit $?"
test -e s && echo "s exists" || echo "no store created"
--- stdout
exit 1
no store created
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 0

# creating a store without --dim fails and creates nothing
nidus --dir s create docs
echo "exit $?"
test -e s && echo "s exists" || echo "no store created"
--- stdout
exit 1
no store created
--- stderr
nidus: no store in 's' yet: pass --dim N to create one
--- exit 0

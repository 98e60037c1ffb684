# a read command on a missing store creates nothing
echo '[1]' | nidus --dir s search
test -e s || echo "no store created"
--- stdout
no store created
--- stderr
error: no store at s yet — pass --dim to create one
--- exit 0

# a lock held by a running process
. "$CASES/fixture.sh"
mkstore
printf '%s 1' $$ > s/lock
nidus --dir s check | grep -E '^(lock|result)' | sed "s/pid $$/pid PID/"
--- stdout
lock     WARN   lock file of running pid PID without an flock (a nidus 0.3 writer, or one starting), age 0 s
result   OK     1 warning
--- exit 0

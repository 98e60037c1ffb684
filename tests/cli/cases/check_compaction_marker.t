# a pending compaction marker is reported, its tmp files checked (a mismatched one also makes the library refuse a read-only open)
. "$CASES/fixture.sh"
mkstore
cp s/data s/data.tmp; cp s/log s/log.tmp
printf 'nidus-compact 1 %s %s\n' $(stat -c %s s/data.tmp) $(stat -c %s s/log.tmp) > s/compact
nidus --dir s check | grep -E '^(compact|result)'
printf 'nidus-compact 1 1 2\n' > s/compact
nidus --dir s check | grep -E '^(compact|result)'
rm s/compact
nidus --dir s check | grep -E '^(compact|result)' 
--- stdout
compact  WARN   a committed compaction is pending; the next writer open completes it
result   OK     1 warning
compact  DAMAGE marker says data.tmp 1 / log.tmp 2 bytes, the files differ
result   DAMAGE 2 problems, 0 warnings
compact  WARN   leftover data.tmp log.tmp from an interrupted compaction (ignored)
result   OK     1 warning
--- exit 0

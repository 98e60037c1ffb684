# bad magic, version, truncated header
. "$CASES/fixture.sh"
mkstore
cp -r s v; printf 'X' | dd of=s/data bs=1 seek=0 conv=notrunc 2>/dev/null
nidus --dir s check | grep -E '^(data|result)'
printf '\x02' | dd of=v/data bs=1 seek=6 conv=notrunc 2>/dev/null
nidus --dir v check | grep -E '^(data|result)'
mkdir w; head -c 20 v/data > w/data; : > w/log
nidus --dir w check > out
echo "exit $?"
grep -E '^(data|result)' out
--- stdout
data     DAMAGE data does not start with NIDUS\0: not a nidus data file
result   DAMAGE 1 problem, 0 warnings
data     DAMAGE data has format version 2; only 1 exists
result   DAMAGE 1 problem, 0 warnings
exit 1
data     DAMAGE data is 20 bytes, shorter than the 64-byte header
result   DAMAGE 1 problem, 0 warnings
--- exit 0

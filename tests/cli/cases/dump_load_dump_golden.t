# dump -> load -> dump is identical (golden stores)
for g in a_minimal b_mixed c_compacted; do
    nidus --dir "$GOLDEN/$g" dump > $g.1
    nidus --dir $g load $g.1 -q >/dev/null
    nidus --dir $g dump > $g.2
    cmp $g.1 $g.2 && echo "$g: identical"
done
cmp b_mixed/data "$GOLDEN/c_compacted/data" && echo "b_mixed loaded: data bytes equal c_compacted's"
--- stdout
a_minimal: identical
b_mixed: identical
c_compacted: identical
b_mixed loaded: data bytes equal c_compacted's
--- exit 0

# --distance takes exactly cosine, euclidean or dot (case-sensitive, as nidus 0.80): anything else exits 2, and neither an existing store nor a new directory is touched
nidus --dir s create docs --dim 2 > /dev/null
cp -r s before
for d in Cosine DOT dotproduct l2 ''; do
  nidus --dir s create other --distance "$d"; echo "create: exit $?"
  echo '[{"id": "x", "vector": [1, 2]}]' | nidus --dir n upsert docs --dim 2 --distance="$d"; echo "upsert: exit $?"
done
NIDUS_DISTANCE=Euclidean nidus --dir n create docs --dim 2; echo "env: exit $?"
nidus --dir s search docs --distance dot; echo "search: exit $?"
diff -r before s && echo "s untouched"
[ -e n ] || echo "n not created"
--- stdout
create: exit 2
upsert: exit 2
create: exit 2
upsert: exit 2
create: exit 2
upsert: exit 2
create: exit 2
upsert: exit 2
create: exit 2
upsert: exit 2
env: exit 2
search: exit 2
s untouched
n not created
--- stderr
error: --distance wants cosine, euclidean or dot, got 'Cosine'
error: --distance wants cosine, euclidean or dot, got 'Cosine'
error: --distance wants cosine, euclidean or dot, got 'DOT'
error: --distance wants cosine, euclidean or dot, got 'DOT'
error: --distance wants cosine, euclidean or dot, got 'dotproduct'
error: --distance wants cosine, euclidean or dot, got 'dotproduct'
error: --distance wants cosine, euclidean or dot, got 'l2'
error: --distance wants cosine, euclidean or dot, got 'l2'
error: --distance wants cosine, euclidean or dot, got ''
error: --distance wants cosine, euclidean or dot, got ''
error: NIDUS_DISTANCE wants cosine, euclidean or dot, got 'Euclidean'
error: option '--distance' does not apply to 'search' (see nidus search --help)
--- exit 0

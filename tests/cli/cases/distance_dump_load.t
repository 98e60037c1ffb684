# dump of a euclidean store says "distance": "Euclidean"; load recreates the metric and the raw rows; dump -> load -> dump is identical
nidus --dir s create docs --dim 2 --distance euclidean > /dev/null
echo '[{"id": "a", "vector": [3, 4]}, {"id": "b", "vector": [0.1, -7]}]' | nidus --dir s upsert docs > /dev/null
nidus --dir s dump > d1.ndjson
head -1 d1.ndjson
nidus --dir t load d1.ndjson -q
nidus --dir t dump > d2.ndjson
cmp d1.ndjson d2.ndjson && echo "dumps identical"
nidus --dir t stats | grep distance
nidus --dir c create docs --dim 2 > /dev/null
nidus --dir c load d1.ndjson -q; echo "exit $?"
--- stdout
{"format":"nidus-dump","version":1,"dimension":2,"distance":"Euclidean"}
{
  "loaded": 2
}
dumps identical
  "distance": "Euclidean",
exit 1
--- stderr
error: cannot open store 'c': data file distance metric mismatch: file has Cosine, requested Euclidean
--- exit 0

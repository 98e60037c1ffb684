# NIDUS_DISTANCE sets the metric of a new store (the flag wins); without either a new store is cosine and an existing one keeps its own; commands without --distance ignore the variable
NIDUS_DISTANCE=dot nidus --dir d create docs --dim 2 > /dev/null
NIDUS_DISTANCE=dot nidus --dir e create docs --dim 2 --distance euclidean > /dev/null
nidus --dir c create docs --dim 2 > /dev/null
echo '[{"id": "a", "vector": [3, 4]}]' | nidus --dir d upsert docs > /dev/null
echo '[{"id": "a", "vector": [3, 4]}]' | nidus --dir e upsert docs > /dev/null
echo '[{"id": "a", "vector": [3, 4]}]' | nidus --dir c upsert docs > /dev/null
for s in d e c; do
  NIDUS_DISTANCE=bogus nidus --dir $s stats | grep distance
  echo '[1, 1]' | NIDUS_DISTANCE=bogus nidus --dir $s search docs | grep score
done
nidus --dir d get docs a | tr -d ' \n'; echo
--- stdout
  "distance": "DotProduct",
    "score": 7.0,
  "distance": "Euclidean",
    "score": -13.0,
  "distance": "Cosine",
    "score": 0.9899495,
[{"id":"a","vector":[3.0,4.0],"attrs":{}}]
--- exit 0

# an empty array creates the collection only
echo '[]' | nidus --dir s --dim 2 upsert empty
nidus --dir s collections
--- stdout
{
  "upserted": 0
}
[
  "empty"
]
--- exit 0

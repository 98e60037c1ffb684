# -- ends the options: ids that start with a dash
. "$CASES/fixture.sh"
mkstore
echo '[{"id": "-x", "vector": [1, 2, 3]}]' | nidus --dir s upsert docs
nidus --dir s --format table get docs -- -x
nidus --dir s delete docs -- -x
--- stdout
{
  "upserted": 1
}
id  vector                    attrs
-x  [0.2673, 0.5345, 0.8018]  
{
  "deleted": 1
}
--- exit 0

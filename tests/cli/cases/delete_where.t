# delete --where
. "$CASES/fixture.sh"
mkstore
nidus --dir s delete docs --where '[{"Eq": ["lang", {"Str": "en"}]}]'
nidus --dir s get docs --format table
--- stdout
{
  "deleted": 2
}
id  vector                    attrs
b   [0.0000, 1.0000, 0.0000]  flag=true lang="de" n=2
--- exit 0

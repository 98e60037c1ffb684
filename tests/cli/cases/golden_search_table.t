# search --format table on a golden store
echo '[-0.5, 1.25, 0.25]' | nidus --dir "$GOLDEN/b_mixed" search -k 3 --format table
--- stdout
collection  id            score  attrs
docs        readme       0.7656  flag=true path="README.md" tags=[x, y z] title="héllo ✓"
code        tool.py      0.5729  lang="python" n=-1234567890123 path="scripts/tool.py" tags=[]
code        src/main.rs  0.5715  flag=true lang="rust" n=43 path="src/main.rs" tags=[a, b]
--- exit 0

# every command has --help (and `nidus help CMD`)
for c in create drop upsert search similar list aggregate get delete collections stats compact flush import dump load check; do
    nidus $c --help | head -1 | grep -q "^usage: nidus $c" || echo "no help for $c"
    nidus help $c | head -1 | grep -q "^usage: nidus $c" || echo "no help CMD for $c"
done
nidus meta get --help | head -1
nidus meta set --help | head -1
nidus meta --help | head -1
nidus help meta set | head -1
nidus search --help | grep -c -- '--where'
for c in search similar list aggregate delete; do nidus $c --help | grep -q -- '--where FILTER   nidus' || echo "no --where help for $c"; done
for f in -d, --top-k --offset --include-attr --exclude-attr --exact; do nidus search --help | grep -q -- "$f" || echo "search --help lacks $f"; done
for f in --scope --top-k --offset --include-attr --exclude-attr --exact; do nidus similar --help | grep -q -- "$f" || echo "similar --help lacks $f"; done
for f in --offset -n, --limit --order-by --desc --include-attr --exclude-attr; do nidus list --help | grep -q -- "$f" || echo "list --help lacks $f"; done
for f in --sum --group-by groups_truncated; do nidus aggregate --help | grep -q -- "$f" || echo "aggregate --help lacks $f"; done
nidus help filters | head -1
nidus help filters | grep -c '^  nidus '
nidus --help | grep -E '^  (similar|list|aggregate) '
--- stdout
usage: nidus meta get COLLECTION [--format table]
usage: nidus meta set COLLECTION JSON_OBJECT
usage: nidus meta get COLLECTION | nidus meta set COLLECTION JSON_OBJECT
usage: nidus meta set COLLECTION JSON_OBJECT
2
The --where filter (search, similar, list, aggregate, delete) is nidus's JSON
7
  similar COLLECTION ID        more like a stored record
  list [COLLECTION...]         records matching a filter, no query vector
  aggregate [COLLECTION...]    count and sum the records matching a filter
--- exit 0

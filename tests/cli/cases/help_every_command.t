# every command has --help (and `nidus help CMD`)
for c in create drop upsert search get delete collections stats compact flush import dump load check; do
    nidus $c --help | head -1 | grep -q "^usage: nidus $c" || echo "no help for $c"
    nidus help $c | head -1 | grep -q "^usage: nidus $c" || echo "no help CMD for $c"
done
nidus meta get --help | head -1
nidus meta set --help | head -1
nidus meta --help | head -1
nidus help meta set | head -1
nidus search --help | grep -c -- '--where'
--- stdout
usage: nidus meta get COLLECTION [--format table]
usage: nidus meta set COLLECTION JSON_OBJECT
usage: nidus meta get COLLECTION | nidus meta set COLLECTION JSON_OBJECT
usage: nidus meta set COLLECTION JSON_OBJECT
2
--- exit 0

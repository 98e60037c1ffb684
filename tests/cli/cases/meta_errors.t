# meta: bad JSON, non-string values, bad subcommand
. "$CASES/fixture.sh"
mkstore
before=$(snap)
nidus --dir s meta set code '{"n": 1}'
nidus --dir s meta set code '[1]'
nidus --dir s meta set code '{'
nidus --dir s meta set code
nidus --dir s meta put code
nidus --dir s meta
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
untouched
--- stderr
error: meta: the value of "n" must be a string
error: meta: want a JSON object of strings, e.g. '{"model": "e5"}'
error: meta: malformed JSON at line 1, column 1: string or '}' expected near end of file
error: meta set: expected a collection name and a JSON object (see nidus meta set --help)
error: meta wants 'get' or 'set', not 'put'
error: meta wants 'get' or 'set'
--- exit 0

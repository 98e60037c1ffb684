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
nidus: meta: the value of "n" must be a string
nidus: meta: want a JSON object of strings, e.g. '{"model": "e5"}'
nidus: meta: malformed JSON at line 1, column 1: string or '}' expected near end of file
nidus: meta set: expected a collection name and a JSON object (see nidus meta set --help)
nidus: meta wants 'get' or 'set', not 'put'
nidus: meta wants 'get' or 'set'
--- exit 0

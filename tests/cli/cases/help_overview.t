# nidus --help prints the overview, exit 0
nidus --help | head -4
--- stdout
usage: nidus COMMAND [ARGS] [--dir D] [--dim N] [--read-only]
An exact-search vector store. Records, queries and filters are JSON; output is
pretty-printed JSON on stdout, errors one line on stderr.

--- exit 0

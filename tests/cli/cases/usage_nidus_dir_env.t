# NIDUS_DIR stands for --dir
. "$CASES/fixture.sh"
mkstore s
NIDUS_DIR=s nidus collections
--- stdout
[
  "code",
  "docs"
]
--- exit 0

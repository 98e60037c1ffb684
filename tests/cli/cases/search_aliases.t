# nidus's spellings: -d for --dir, --top-k for -k (also --top-k=N), search --exact accepted
. "$CASES/fixture.sh"
mkstore
nidus -d s search --top-k 1 docs <<< '[1, 0, 0]' | grep '"id"'
nidus search -d s --top-k=2 --exact docs <<< '[1, 0, 0]' | grep '"id"'
nidus search --dir=s -k1 --exact <<< '[0, 0, 1]' | grep '"id"'
nidus -d s stats | grep -c '"ann": null'
--- stdout
    "id": "a",
    "id": "a",
    "id": "c",
    "id": "m",
1
--- exit 0

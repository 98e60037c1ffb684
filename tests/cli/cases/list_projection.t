# --include-attr / --exclude-attr (repeatable) on list, search and similar; both at
# once is an error (exit 1), as in nidus
. "$CASES/fixture.sh"
mkstore
attrs() { $PY -c 'import json,sys; print("; ".join(h["id"] + ": " + ",".join(sorted(h["attrs"])) for h in json.load(sys.stdin)))'; }
nidus --dir s list docs | attrs
nidus --dir s list docs --include-attr lang | attrs
nidus --dir s list docs --include-attr lang --include-attr w --include-attr nope | attrs
nidus --dir s list docs --exclude-attr lang --exclude-attr tags | attrs
nidus --dir s search docs --include-attr n <<< '[1, 0, 0]' | attrs
nidus --dir s search docs --exclude-attr lang -k 2 <<< '[1, 0, 0]' | attrs
nidus --dir s similar docs b --include-attr flag --include-attr lang | attrs
before=$(snap)
for c in "list" "search" "similar docs a"; do
    nidus --dir s $c --include-attr lang --exclude-attr n <<< '[1, 0, 0]'
    echo "$c: exit $?"
done
[ "$before" = "$(snap)" ] && echo untouched
--- stdout
a: lang,n,tags; b: flag,lang,n; c: at,gone,lang,w
a: lang; b: lang; c: lang
a: lang; b: lang; c: lang,w
a: n; b: flag,n; c: at,gone,w
a: n; c: ; b: n
a: n,tags; c: at,gone,w
c: lang; a: lang
list: exit 1
search: exit 1
similar docs a: exit 1
untouched
--- stderr
error: --include-attr and --exclude-attr are mutually exclusive
error: --include-attr and --exclude-attr are mutually exclusive
error: --include-attr and --exclude-attr are mutually exclusive
--- exit 0

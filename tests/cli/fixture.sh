# Sourced by cases: helpers and a small standard store.
#   mkstore [DIR]  store DIR (default s), dim 3: collection docs (a, b, c: every
#                  value type) and code (m, u) with meta {"model": "toy"}
#   snap [DIR]     checksum of the store's files, to show a failure left it untouched
mkstore() {
    local d=${1:-s}
    nidus --dir "$d" --dim 3 upsert docs >/dev/null <<'JSON' || return 1
[{"id": "a", "vector": [1, 0, 0], "attrs": {"lang": {"Str": "en"}, "n": {"Int": 1}, "tags": {"List": ["x", "y"]}}},
 {"id": "b", "vector": [0, 1, 0], "attrs": {"lang": {"Str": "de"}, "n": {"Int": 2}, "flag": {"Bool": true}}},
 {"id": "c", "vector": [1, 1, 0], "attrs": {"lang": {"Str": "en"}, "w": {"Float": 0.5}, "at": {"DateTime": 1700000000000}, "gone": "Null"}}]
JSON
    nidus --dir "$d" upsert code >/dev/null <<'JSON' || return 1
[{"id": "m", "vector": [0, 0, 1], "attrs": {"path": {"Str": "src/main.c"}}},
 {"id": "u", "vector": [0.5, 0.5, 1], "attrs": {"path": {"Str": "src/util.c"}}}]
JSON
    nidus --dir "$d" meta set code '{"model": "toy"}' >/dev/null
}
snap() { cat "${1:-s}"/* 2>/dev/null | cksum; ls "${1:-s}"; }

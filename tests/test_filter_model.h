/* test_filter_model.h — an independent, obviously-correct model of nidus 0.80's
 * filter rules (facts §2) written from the rules, not from filter.c: a recursive
 * evaluator over the caller's own tree and attributes (last key wins), a tokenizer,
 * a full Levenshtein table, a recursive glob without classes, and regexes from a
 * fixed list with a hand-written matcher each. Plus a generator of random trees
 * (every op, depth <= 5) and attributes (every type: NaN, -0.0, empty lists, Null,
 * absent keys) over small pools, so the cases collide often, and the list of bad
 * filters the brief names. Used by the property test, the search and
 * delete_where tests and the fuzz target's seeds. */
#ifndef NIDUS_TEST_FILTER_MODEL_H
#define NIDUS_TEST_FILTER_MODEL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_hooks.h"

/* -------------------------------------------------------------- choices ---- */

/* Where the generator's choices come from: a seeded generator (tests), or the
 * bytes of a fuzz input (p != NULL; zeros once they run out). */
typedef struct fm_src {
    uint64_t s;
    const uint8_t *p;
    size_t n, i;
} fm_src;

static inline uint64_t fm_rand(fm_src *src) {
    if (src->p) {
        uint64_t v = 0;
        for (int k = 0; k < 2; k++) v = v << 8 | (src->i < src->n ? src->p[src->i++] : 0);
        return v;
    }
    uint64_t z = (src->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline unsigned fm_below(fm_src *s, unsigned n) { return (unsigned)(fm_rand(s) % n); }

/* ---------------------------------------------------------------- pools ---- */

static const char *const FM_STR[] = {"",   "a",    "b",    "ab",  "AB",  "a b", "b a b", "ab ab",
                                     "café", "CAFÉ", "caf", "1",   "42",  "xa",  "a-b",   "ba"};
#define FM_NSTR (sizeof FM_STR / sizeof *FM_STR)
static const char *const FM_GLOB[] = {"*", "a*", "*b", "?", "a?", "A*", "*a*", "ab", "caf?", "", "?*?", "*B"};
#define FM_NGLOB (sizeof FM_GLOB / sizeof *FM_GLOB)
static const char *const FM_QUERY[] = {"", "a", "b", "ab", "a b", "b a", "AB", "café", "x", "b, b"};
#define FM_NQUERY (sizeof FM_QUERY / sizeof *FM_QUERY)
static const char *const FM_REGEX[] = {"a.*", ".*b", "(?i)ab", "a|b", "[0-9]+", ".*", "caf."};
#define FM_NREGEX (sizeof FM_REGEX / sizeof *FM_REGEX)
static const char *const FM_KEYS[] = {"k0", "k1", "k2", "k3"}; /* attrs use k0..k2: k3 is always absent */

/* --------------------------------------------------------------- model ---- */

static inline const nidus_value *fm_get(const nidus_attr *a, size_t n, const char *k) {
    const nidus_value *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].key, k)) v = &a[i].value;
    return v;
}

static inline size_t fm_len(nidus_str s) { return s.len == NIDUS_NTS ? strlen(s.ptr) : s.len; }
static inline bool fm_streq(nidus_str a, nidus_str b) {
    return fm_len(a) == fm_len(b) && memcmp(a.ptr, b.ptr, fm_len(a)) == 0;
}

static inline bool fm_eq(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR: return fm_streq(a->v.str, b->v.str);
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return !a->v.b == !b->v.b;
    case NIDUS_FLOAT: return a->v.f == b->v.f;
    case NIDUS_LIST:
        if (a->v.list.count != b->v.list.count) return false;
        for (size_t i = 0; i < a->v.list.count; i++)
            if (!fm_streq(a->v.list.items[i], b->v.list.items[i])) return false;
        return true;
    }
    return false;
}

/* -1, 0, 1, or 2 for "not comparable". */
static inline int fm_cmp(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return 2;
    switch (a->type) {
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
    case NIDUS_BOOL: return !a->v.b == !b->v.b ? 0 : !a->v.b ? -1 : 1;
    case NIDUS_FLOAT:
        if (a->v.f != a->v.f || b->v.f != b->v.f) return 2;
        return a->v.f < b->v.f ? -1 : a->v.f > b->v.f;
    case NIDUS_STR: {
        size_t la = fm_len(a->v.str), lb = fm_len(b->v.str), n = la < lb ? la : lb;
        int c = memcmp(a->v.str.ptr, b->v.str.ptr, n);
        if (c) return c < 0 ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    default: return 2;
    }
}

static inline size_t fm_scalar_len(const char *s) {
    unsigned char c = (unsigned char)*s;
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}
static inline char fm_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Glob without classes, by recursion over scalars. */
static inline bool fm_glob(const char *p, const char *t, bool fold) {
    if (!*p) return !*t;
    if (*p == '*') return fm_glob(p + 1, t, fold) || (*t && fm_glob(p, t + fm_scalar_len(t), fold));
    if (!*t) return false;
    if (*p == '?') return fm_glob(p + 1, t + fm_scalar_len(t), fold);
    size_t lp = fm_scalar_len(p), lt = fm_scalar_len(t);
    if (lp != lt) return false;
    for (size_t i = 0; i < lp; i++)
        if (fold ? fm_lower(p[i]) != fm_lower(t[i]) : p[i] != t[i]) return false;
    return fm_glob(p + lp, t + lt, fold);
}

/* Tokens: runs of ASCII alphanumerics and bytes >= 0x80. */
typedef struct fm_toks {
    const char *p[64];
    size_t n[64];
    size_t count;
} fm_toks;
static inline void fm_tokenize(const char *s, size_t len, fm_toks *t) {
    t->count = 0;
    size_t i = 0;
    while (i < len && t->count < 64) {
        unsigned char c = (unsigned char)s[i];
        bool in = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!in) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len) {
            unsigned char d = (unsigned char)s[j];
            if (!(d >= 0x80 || (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))) break;
            j++;
        }
        t->p[t->count] = s + i;
        t->n[t->count++] = j - i;
        i = j;
    }
}
static inline bool fm_tokeq(const char *a, size_t la, const char *b, size_t lb) {
    if (la != lb) return false;
    for (size_t i = 0; i < la; i++)
        if (fm_lower(a[i]) != fm_lower(b[i])) return false;
    return true;
}

static inline size_t fm_lev(const char *a, size_t la, const char *b, size_t lb) {
    uint32_t x[64], y[64];
    size_t n = 0, m = 0;
    for (size_t i = 0; i < la && n < 64; i += fm_scalar_len(a + i)) {
        uint32_t c = 0;
        for (size_t k = 0; k < fm_scalar_len(a + i); k++) c = c << 8 | (unsigned char)fm_lower(a[i + k]);
        x[n++] = c;
    }
    for (size_t i = 0; i < lb && m < 64; i += fm_scalar_len(b + i)) {
        uint32_t c = 0;
        for (size_t k = 0; k < fm_scalar_len(b + i); k++) c = c << 8 | (unsigned char)fm_lower(b[i + k]);
        y[m++] = c;
    }
    size_t d[65][65];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t v = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

static inline bool fm_regex(const char *pat, const char *s, size_t len) {
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)len, s);
    if (!strcmp(pat, "a.*")) return buf[0] == 'a' && !strchr(buf, '\n');
    if (!strcmp(pat, ".*b")) return len && buf[len - 1] == 'b';
    if (!strcmp(pat, "(?i)ab")) return len == 2 && fm_lower(buf[0]) == 'a' && fm_lower(buf[1]) == 'b';
    if (!strcmp(pat, "a|b")) return !strcmp(buf, "a") || !strcmp(buf, "b");
    if (!strcmp(pat, "[0-9]+")) {
        if (!len) return false;
        for (size_t i = 0; i < len; i++)
            if (buf[i] < '0' || buf[i] > '9') return false;
        return true;
    }
    if (!strcmp(pat, ".*")) return true;
    if (!strcmp(pat, "caf.")) return len > 3 && !memcmp(buf, "caf", 3) && 3 + fm_scalar_len(buf + 3) == len;
    fprintf(stderr, "model has no regex %s\n", pat);
    abort();
}

static inline bool fm_text(const nidus_filter *f, const char *s, size_t len) {
    fm_toks q, t;
    switch (f->op) {
    case NIDUS_F_FUZZY: return fm_lev(s, len, f->text, strlen(f->text)) <= f->max_edits;
    case NIDUS_F_REGEX: return fm_regex(f->text, s, len);
    default: break;
    }
    fm_tokenize(f->text, strlen(f->text), &q);
    fm_tokenize(s, len, &t);
    if (f->op == NIDUS_F_CONTAINS_ALL_TOKENS || f->op == NIDUS_F_CONTAINS_ANY_TOKEN) {
        size_t hits = 0;
        for (size_t i = 0; i < q.count; i++) {
            bool h = false;
            for (size_t j = 0; j < t.count && !h; j++) h = fm_tokeq(q.p[i], q.n[i], t.p[j], t.n[j]);
            hits += h;
        }
        return f->op == NIDUS_F_CONTAINS_ALL_TOKENS ? hits == q.count : hits > 0;
    }
    /* sequence */
    if (q.count == 0) return true;
    for (size_t st = 0; st + q.count <= t.count; st++) {
        bool ok = true;
        for (size_t i = 0; i < q.count && ok; i++) ok = fm_tokeq(q.p[i], q.n[i], t.p[st + i], t.n[st + i]);
        if (ok) return true;
    }
    return false;
}

static inline bool fm_eval(const nidus_filter *f, const nidus_attr *a, size_t na) {
    switch (f->op) {
    case NIDUS_F_ALL:
        for (size_t i = 0; i < f->count; i++)
            if (!fm_eval(&f->children[i], a, na)) return false;
        return true;
    case NIDUS_F_ANY:
        for (size_t i = 0; i < f->count; i++)
            if (fm_eval(&f->children[i], a, na)) return true;
        return false;
    case NIDUS_F_NOT: return !fm_eval(&f->children[0], a, na);
    default: break;
    }
    const nidus_value *v = fm_get(a, na, f->key);
    if (!v) return false;
    bool in = false;
    switch (f->op) {
    case NIDUS_F_EQ: return fm_eq(v, &f->value);
    case NIDUS_F_NE: return !fm_eq(v, &f->value);
    case NIDUS_F_GLOB: return v->type == NIDUS_STR && fm_glob(f->text, v->v.str.ptr, false);
    case NIDUS_F_IGLOB: return v->type == NIDUS_STR && fm_glob(f->text, v->v.str.ptr, true);
    case NIDUS_F_IN:
    case NIDUS_F_NOT_IN:
        for (size_t i = 0; i < f->count; i++) in = in || fm_eq(v, &f->values[i]);
        return f->op == NIDUS_F_IN ? in : !in;
    case NIDUS_F_LT: return fm_cmp(v, &f->value) == -1;
    case NIDUS_F_LE: return fm_cmp(v, &f->value) == -1 || fm_cmp(v, &f->value) == 0;
    case NIDUS_F_GT: return fm_cmp(v, &f->value) == 1;
    case NIDUS_F_GE: return fm_cmp(v, &f->value) == 1 || fm_cmp(v, &f->value) == 0;
    case NIDUS_F_CONTAINS:
    case NIDUS_F_NOT_CONTAINS:
        if (v->type != NIDUS_LIST) return false;
        if (f->value.type == NIDUS_STR)
            for (size_t i = 0; i < v->v.list.count; i++) in = in || fm_streq(v->v.list.items[i], f->value.v.str);
        return f->op == NIDUS_F_CONTAINS ? in : !in;
    case NIDUS_F_CONTAINS_ANY:
        if (v->type != NIDUS_LIST) return false;
        for (size_t k = 0; k < f->count; k++)
            if (f->values[k].type == NIDUS_STR)
                for (size_t i = 0; i < v->v.list.count; i++) in = in || fm_streq(v->v.list.items[i], f->values[k].v.str);
        return in;
    default:
        if (v->type == NIDUS_STR) return fm_text(f, v->v.str.ptr, fm_len(v->v.str));
        if (v->type == NIDUS_LIST)
            for (size_t i = 0; i < v->v.list.count; i++)
                if (fm_text(f, v->v.list.items[i].ptr, fm_len(v->v.list.items[i]))) return true;
        return false;
    }
}

/* ------------------------------------------------------------ generator ---- */

/* Storage for one generated tree and one record's attributes. */
typedef struct fm_gen {
    nidus_filter nodes[1024];
    size_t nn;
    nidus_value vals[1024];
    size_t nv;
    nidus_str items[1024];
    size_t ni;
} fm_gen;

static inline nidus_value fm_value(fm_gen *g, fm_src *s) {
    static const double FL[] = {0.0, -0.0, 1.5, -2.0};
    switch (fm_below(s, 7)) {
    case 0: return nidus_null();
    case 1: return nidus_string(FM_STR[fm_below(s, FM_NSTR)]);
    case 2: return nidus_int((int64_t)fm_below(s, 3) - 1);
    case 3: return nidus_bool((int)fm_below(s, 2));
    case 4: {
        size_t n = fm_below(s, 4);
        if (g->ni + n > 1024) n = 0;
        nidus_str *it = g->items + g->ni;
        for (size_t i = 0; i < n; i++) it[i] = (nidus_str){FM_STR[fm_below(s, FM_NSTR)], NIDUS_NTS};
        g->ni += n;
        return nidus_list(n ? it : NULL, n);
    }
    case 5: return nidus_float(fm_below(s, 5) == 4 ? NAN : FL[fm_below(s, 4)]);
    default: return nidus_datetime((int64_t)fm_below(s, 2));
    }
}

/* Fill *f with a random subtree; `depth` groups enclose it. */
static inline void fm_tree(fm_gen *g, fm_src *s, nidus_filter *f, unsigned depth) {
    if (depth < 5 && g->nn + 4 <= 1024 && fm_below(s, 3) == 0) {
        unsigned k = fm_below(s, 3);
        nidus_filter_op op = k == 0 ? NIDUS_F_ALL : k == 1 ? NIDUS_F_ANY : NIDUS_F_NOT;
        size_t n = op == NIDUS_F_NOT ? 1 : fm_below(s, 4);
        nidus_filter *kids = g->nodes + g->nn;
        g->nn += n;
        for (size_t i = 0; i < n; i++) fm_tree(g, s, &kids[i], depth + 1);
        *f = op == NIDUS_F_NOT ? nidus_f_not(kids) : op == NIDUS_F_ALL ? nidus_f_all(n ? kids : NULL, n)
                                                                      : nidus_f_any(n ? kids : NULL, n);
        return;
    }
    static const nidus_filter_op LEAVES[] = {
        NIDUS_F_EQ, NIDUS_F_NE, NIDUS_F_GLOB, NIDUS_F_IGLOB, NIDUS_F_IN, NIDUS_F_NOT_IN, NIDUS_F_LT, NIDUS_F_LE,
        NIDUS_F_GT, NIDUS_F_GE, NIDUS_F_CONTAINS, NIDUS_F_NOT_CONTAINS, NIDUS_F_CONTAINS_ANY, NIDUS_F_FUZZY,
        NIDUS_F_CONTAINS_ALL_TOKENS, NIDUS_F_CONTAINS_ANY_TOKEN, NIDUS_F_CONTAINS_TOKEN_SEQUENCE, NIDUS_F_REGEX};
    nidus_filter_op op = LEAVES[fm_below(s, sizeof LEAVES / sizeof *LEAVES)];
    const char *key = FM_KEYS[fm_below(s, 4)];
    switch (op) {
    case NIDUS_F_GLOB:
    case NIDUS_F_IGLOB: *f = nidus__f_text(op, key, FM_GLOB[fm_below(s, FM_NGLOB)]); break;
    case NIDUS_F_IN:
    case NIDUS_F_NOT_IN:
    case NIDUS_F_CONTAINS_ANY: {
        size_t n = fm_below(s, 4);
        if (g->nv + n > 1024) n = 0;
        nidus_value *vs = g->vals + g->nv;
        g->nv += n;
        for (size_t i = 0; i < n; i++) vs[i] = fm_value(g, s);
        *f = nidus__f_values(op, key, n ? vs : NULL, n);
        break;
    }
    case NIDUS_F_FUZZY: *f = nidus_f_fuzzy(key, FM_STR[fm_below(s, FM_NSTR)], fm_below(s, 4)); break;
    case NIDUS_F_CONTAINS_ALL_TOKENS:
    case NIDUS_F_CONTAINS_ANY_TOKEN:
    case NIDUS_F_CONTAINS_TOKEN_SEQUENCE: *f = nidus__f_text(op, key, FM_QUERY[fm_below(s, FM_NQUERY)]); break;
    case NIDUS_F_REGEX: *f = nidus_f_regex(key, FM_REGEX[fm_below(s, FM_NREGEX)]); break;
    default: {
        /* Contains mostly with a Str needle, so it can match. */
        nidus_value v = (op == NIDUS_F_CONTAINS || op == NIDUS_F_NOT_CONTAINS) && fm_below(s, 4)
                            ? nidus_string(FM_STR[fm_below(s, FM_NSTR)])
                            : fm_value(g, s);
        *f = nidus__f_value(op, key, v);
    }
    }
}

/* A random root (reset g first: g->nn = g->nv = g->ni = 0 keeps attrs' items). */
static inline nidus_filter *fm_root(fm_gen *g, fm_src *s) {
    nidus_filter *root = g->nodes + g->nn++;
    fm_tree(g, s, root, 0);
    return root;
}

/* Random attributes over k0..k2 (each present or not; a repeated key sometimes). */
static inline size_t fm_attrs(fm_gen *g, fm_src *s, nidus_attr *out) {
    size_t n = 0;
    for (size_t k = 0; k < 3; k++)
        if (fm_below(s, 4)) out[n++] = (nidus_attr){FM_KEYS[k], fm_value(g, s)};
    if (n && fm_below(s, 8) == 0) out[n++] = (nidus_attr){out[0].key, fm_value(g, s)};
    return n;
}

/* ----------------------------------------------------------- bad filters ---- */

/* Every bad filter of the brief, each also wrapped in groups (nidus validates
 * nested predicates too). Also used by the store tests below. */
static inline size_t fm_bad_filters(nidus_filter *out, const char **words) {
    static nidus_filter kid[16], kids2[2], deep[66];
    static char bigpat[NIDUS__MAX_PATTERN + 2];
    memset(bigpat, 'a', NIDUS__MAX_PATTERN + 1);
    size_t n = 0;
    nidus_filter x = nidus_f_eq("k", nidus_int(1));
    x.op = (nidus_filter_op)42;
    out[n] = x, words[n++] = "unknown predicate 42";
    x = nidus_f_not(NULL);
    x.count = 0;
    out[n] = x, words[n++] = "Not needs exactly one child";
    kids2[0] = nidus_f_eq("k", nidus_int(1)), kids2[1] = nidus_f_eq("k", nidus_int(2));
    x = nidus_f_not(kids2);
    x.count = 2;
    out[n] = x, words[n++] = "Not needs exactly one child";
    out[n] = nidus_f_not(NULL), words[n++] = "Not needs exactly one child";
    out[n] = nidus_f_eq(NULL, nidus_int(1)), words[n++] = "Eq has a NULL key";
    out[n] = nidus_f_all(NULL, 3), words[n++] = "All has 3 children but a NULL array";
    out[n] = nidus_f_any(NULL, 1), words[n++] = "Any has 1 children but a NULL array";
    out[n] = nidus_f_in("k", NULL, 2), words[n++] = "In on `k` has 2 values but a NULL array";
    out[n] = nidus_f_eq("k\xff", nidus_int(1)), words[n++] = "Eq: the key is not valid UTF-8";
    out[n] = nidus_f_eq("k", nidus_string("\xc3")), words[n++] = "Eq on `k`";
    out[n] = nidus_f_glob("k", "a\xed\xa0\x80"), words[n++] = "Glob on `k`: the pattern is not valid UTF-8";
    out[n] = nidus_f_contains_any_token("k", NULL), words[n++] = "ContainsAnyToken on `k`: the query is NULL";
    out[n] = nidus_f_fuzzy("id", "x", 9), words[n++] = "Fuzzy on `id` allows 9 edits, above the maximum of 8";
    out[n] = nidus_f_regex("path", "(unclosed"), words[n++] = "Regex on `path`";
    out[n] = nidus_f_regex("path", "(a)\\1"), words[n++] = "back-reference";
    out[n] = nidus_f_regex("path", bigpat), words[n++] = "above the maximum of 1024";
    /* 65 nested Nots */
    deep[0] = nidus_f_eq("k", nidus_int(1));
    for (int i = 1; i <= 65; i++) deep[i] = nidus_f_not(&deep[i - 1]);
    out[n] = deep[65], words[n++] = "nesting deeper than 64";
    /* nested: Not(Any[Eq, All[Fuzzy 99]]) and Not(Any[Regex "["]) */
    kid[0] = nidus_f_fuzzy("id", "nidus", 99);
    kid[1] = nidus_f_eq("k", nidus_int(1));
    kid[2] = nidus_f_all(&kid[0], 1);
    kid[3] = kid[1], kid[4] = kid[2];
    kid[5] = nidus_f_any(&kid[3], 2);
    out[n] = nidus_f_not(&kid[5]), words[n++] = "Fuzzy on `id` allows 99 edits";
    kid[6] = nidus_f_regex("k", "[");
    kid[7] = nidus_f_any(&kid[6], 1);
    out[n] = nidus_f_not(&kid[7]), words[n++] = "Regex on `k`";
    return n;
}

#endif

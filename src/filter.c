/* filter.c — filters compiled once per call, then matched against every candidate
 * record: nidus 0.3's predicate arrays (Eq, Glob, In, ANDed) and nidus 0.80's
 * filter trees (21 predicates, All/Any/Not), both into one form.
 *
 * The compiled form is a flat array of nodes in preorder: a group's children
 * follow it, each subtree's size is stored, so the next sibling is `node + size`
 * and matching walks the array without pointers or allocation. Compilation owns
 * copies of everything (keys with their lengths, for the binary search of a
 * record's sorted attributes; values; patterns; query tokens; the fuzzy needle as
 * folded scalars; compiled regexes), so matching never touches caller memory,
 * never allocates and never measures a string. Several scan threads match with
 * one compiled filter at once: nothing in it is written after compilation. */
#include "nidus_internal.h"

#include <math.h>
#include <stdio.h>

typedef struct fnode {
    uint8_t op;           /* nidus_filter_op */
    bool lit;             /* GLOB: no `*`, `?` or `[`, so a byte compare decides */
    uint32_t size;        /* nodes in this subtree, itself included */
    uint32_t nkids;       /* ALL ANY NOT: children, right after the node */
    nstr key;             /* leaves: NUL-terminated */
    nidus_value val;      /* EQ NE ranges CONTAINS NOT_CONTAINS: owned */
    nidus_value *set;     /* IN NOT_IN CONTAINS_ANY: owned values */
    size_t nset;
    nstr text;            /* GLOB IGLOB: the pattern */
    ntokens toks;         /* token predicates: the query's tokens (views of text) */
    uint32_t *needle;     /* FUZZY: the needle's folded scalars */
    size_t nneedle;
    unsigned edits;       /* FUZZY */
    npattern *re;         /* REGEX */
} fnode;

struct nfilter {
    fnode *v;
    size_t n, cap;
};

static const char *const OP_NAME[] = {
    "Eq",       "Ne",          "Glob",        "IGlob", "In",  "NotIn", "Lt",    "Le",
    "Gt",       "Ge",          "Contains",    "NotContains", "ContainsAny", "All", "Any", "Not",
    "Fuzzy",    "ContainsAllTokens", "ContainsAnyToken", "ContainsTokenSequence", "Regex",
};
#define N_OPS (sizeof OP_NAME / sizeof *OP_NAME)

static void node_free(fnode *p) {
    nidus__free(p->key.ptr);
    nidus__value_free(&p->val);
    for (size_t k = 0; k < p->nset; k++) nidus__value_free(&p->set[k]);
    nidus__free(p->set);
    nidus__free(p->text.ptr);
    nidus__free(p->toks.v);
    nidus__free(p->needle);
    nidus__pattern_free(p->re);
}

void nidus__filter_free(nfilter *f) {
    if (!f) return;
    for (size_t k = 0; k < f->n; k++) node_free(&f->v[k]);
    nidus__free(f->v);
    nidus__free(f);
}

static int oom(nerr *e) { return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter"); }

/* A zeroed node at the end of f (its index in *at). */
static int push(nfilter *f, size_t *at, nerr *e) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        fnode *v = nidus__reallocarray(f->v, cap, sizeof *v);
        if (!v) return oom(e);
        f->v = v;
        f->cap = cap;
    }
    memset(&f->v[f->n], 0, sizeof f->v[f->n]);
    *at = f->n++;
    return NIDUS_OK;
}

/* Validated, owned copy of a value, through value.c's attribute copier (the one
 * place that knows how to deep-copy and check a caller value). */
static int value_take(const char *key, const nidus_value *in, nidus_value *out, nerr *e) {
    nidus_attr a;
    a.key = key;
    a.value = *in;
    nattrs tmp;
    int rc = nidus__attrs_from_input(&a, 1, &tmp, e);
    if (rc) return rc;
    *out = tmp.items[0].val;
    tmp.items[0].val.type = NIDUS_NULL; /* moved out */
    nidus__attrs_free(&tmp);
    return NIDUS_OK;
}

/* Prefix e's message (from value.c or pattern.c) with `fmt`. */
static int wrap(nerr *e, int rc, const char *what, const char *key) {
    if (rc == NIDUS_ENOMEM) return oom(e);
    if (e) {
        char inner[sizeof e->msg];
        snprintf(inner, sizeof inner, "%s", e->msg);
        nidus__err(e, rc, 0, "invalid filter: %s on `%.200s`: %s", what, key, inner);
    }
    return rc;
}

/* --------------------------------------------------- nidus 0.3 predicates ---- */

static const char *kind_name(nidus_pred_kind k) {
    return k == NIDUS_PRED_EQ ? "Eq" : k == NIDUS_PRED_GLOB ? "Glob" : "In";
}

static int own_key(fnode *dst, const char *key, nerr *e) {
    size_t klen = strlen(key);
    char *k = nidus__strndup(key, klen);
    if (!k) return oom(e);
    dst->key.ptr = k;
    dst->key.len = klen;
    return NIDUS_OK;
}

static int own_text(fnode *dst, const char *text, size_t len, nerr *e) {
    char *t = nidus__strndup(text, len);
    if (!t) return oom(e);
    dst->text.ptr = t;
    dst->text.len = len;
    dst->lit = strpbrk(t, "*?[") == NULL;
    return NIDUS_OK;
}

/* Fill *dst from *src. On failure *dst holds whatever was copied so far, which
 * node_free releases. The messages are 0.4.0's. */
static int pred_compile(const nidus_pred *src, size_t at, fnode *dst, nerr *e) {
    if (src->kind != NIDUS_PRED_EQ && src->kind != NIDUS_PRED_GLOB && src->kind != NIDUS_PRED_IN)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu: unknown kind %d", at, (int)src->kind);
    dst->op = src->kind == NIDUS_PRED_EQ ? NIDUS_F_EQ : src->kind == NIDUS_PRED_GLOB ? NIDUS_F_GLOB : NIDUS_F_IN;
    dst->size = 1;
    if (!src->key)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (%s): key is NULL", at, kind_name(src->kind));
    if (!nidus__utf8_cstr(src->key))
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (%s): key is not valid UTF-8", at,
                          kind_name(src->kind));
    int rc = own_key(dst, src->key, e);
    if (rc) return rc;
    const char *key = dst->key.ptr;
    switch (src->kind) {
    case NIDUS_PRED_EQ: rc = value_take(key, &src->value, &dst->val, e); break;
    case NIDUS_PRED_GLOB:
        if (!src->pattern)
            return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (Glob): pattern is NULL", at);
        if (!nidus__utf8_cstr(src->pattern))
            return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (Glob): pattern is not valid UTF-8", at);
        return own_text(dst, src->pattern, strlen(src->pattern), e);
    case NIDUS_PRED_IN:
        if (src->set_len && !src->set)
            return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (In): set is NULL with %zu values", at,
                              src->set_len);
        if (src->set_len) {
            dst->set = nidus__calloc(src->set_len, sizeof *dst->set);
            if (!dst->set) return oom(e);
            /* Counted as we go: calloc'd slots are Null, so freeing all is safe too. */
            for (size_t k = 0; k < src->set_len && rc == NIDUS_OK; k++) {
                dst->nset = k + 1;
                rc = value_take(key, &src->set[k], &dst->set[k], e);
            }
        }
        break;
    }
    if (rc && rc != NIDUS_ENOMEM && e) {
        /* Say which predicate the value.c message is about. */
        char inner[sizeof e->msg];
        snprintf(inner, sizeof inner, "%s", e->msg);
        nidus__err(e, rc, 0, "filter predicate %zu (%s): %s", at, kind_name(src->kind), inner);
    }
    return rc;
}

/* ------------------------------------------------------ nidus 0.80 trees ---- */

static bool has_value(unsigned op) {
    return op == NIDUS_F_EQ || op == NIDUS_F_NE || (op >= NIDUS_F_LT && op <= NIDUS_F_GE) ||
           op == NIDUS_F_CONTAINS || op == NIDUS_F_NOT_CONTAINS;
}
static bool has_values(unsigned op) { return op == NIDUS_F_IN || op == NIDUS_F_NOT_IN || op == NIDUS_F_CONTAINS_ANY; }
static bool is_group(unsigned op) { return op == NIDUS_F_ALL || op == NIDUS_F_ANY || op == NIDUS_F_NOT; }

static const char *text_name(unsigned op) {
    return op == NIDUS_F_FUZZY ? "needle" : (op == NIDUS_F_GLOB || op == NIDUS_F_IGLOB || op == NIDUS_F_REGEX) ? "pattern" : "query";
}

/* The leaf's own fields, validated and copied into f->v[at]. */
static int leaf_compile(nfilter *f, size_t at, const nidus_filter *src, nerr *e) {
    unsigned op = (unsigned)src->op;
    const char *name = OP_NAME[op];
    if (!src->key) return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s has a NULL key", name);
    if (!nidus__utf8_cstr(src->key))
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s: the key is not valid UTF-8", name);
    if (op == NIDUS_F_FUZZY && src->max_edits > NIDUS__MAX_FUZZY_EDITS)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: Fuzzy on `%.200s` allows %u edits, above the maximum of %d",
                          src->key, src->max_edits, NIDUS__MAX_FUZZY_EDITS);
    fnode *d = &f->v[at];
    int rc = own_key(d, src->key, e);
    if (rc) return rc;
    const char *key = d->key.ptr;
    if (has_value(op)) {
        if ((rc = value_take(key, &src->value, &d->val, e))) return wrap(e, rc, name, key);
        return NIDUS_OK;
    }
    if (has_values(op)) {
        if (src->count && !src->values)
            return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s on `%.200s` has %zu values but a NULL array",
                              name, key, src->count);
        if (!src->count) return NIDUS_OK;
        if (!(d->set = nidus__calloc(src->count, sizeof *d->set))) return oom(e);
        for (size_t k = 0; k < src->count; k++) {
            d->nset = k + 1;
            if ((rc = value_take(key, &src->values[k], &d->set[k], e))) return wrap(e, rc, name, key);
        }
        return NIDUS_OK;
    }
    /* The text predicates. */
    if (!src->text)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s on `%.200s`: the %s is NULL", name, key, text_name(op));
    size_t tlen = strlen(src->text);
    if (!nidus__utf8_valid(src->text, tlen))
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s on `%.200s`: the %s is not valid UTF-8", name, key,
                          text_name(op));
    switch (op) {
    case NIDUS_F_GLOB:
    case NIDUS_F_IGLOB: return own_text(d, src->text, tlen, e);
    case NIDUS_F_FUZZY:
        d->edits = src->max_edits;
        return nidus__fold_scalars(src->text, tlen, &d->needle, &d->nneedle) ? oom(e) : NIDUS_OK;
    case NIDUS_F_REGEX:
        if ((rc = nidus__pattern_compile(src->text, tlen, &d->re, e))) return wrap(e, rc, name, key);
        return NIDUS_OK;
    default: /* the token predicates: the query's tokens point into our copy */
        if ((rc = own_text(d, src->text, tlen, e))) return rc;
        return nidus__tokens_of(d->text.ptr, d->text.len, &d->toks) ? oom(e) : NIDUS_OK;
    }
}

/* Emit src (and its subtree) in preorder; `depth` groups enclose it. */
static int tree_compile(nfilter *f, const nidus_filter *src, unsigned depth, nerr *e) {
    if (f->n >= NIDUS__MAX_FILTER_NODES)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: more than %u nodes", NIDUS__MAX_FILTER_NODES);
    unsigned op = (unsigned)src->op;
    if (op >= N_OPS) return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: unknown predicate %d", (int)src->op);
    size_t at = 0;
    int rc = push(f, &at, e);
    if (rc) return rc;
    f->v[at].op = (uint8_t)op;
    if (!is_group(op)) {
        f->v[at].size = 1;
        return leaf_compile(f, at, src, e);
    }
    if (depth + 1 > NIDUS__MAX_FILTER_DEPTH)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: nesting deeper than %d", NIDUS__MAX_FILTER_DEPTH);
    if (op == NIDUS_F_NOT && (src->count != 1 || !src->children))
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: Not needs exactly one child (has %zu%s)", src->count,
                          src->children ? "" : ", NULL");
    if (src->count && !src->children)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: %s has %zu children but a NULL array", OP_NAME[op],
                          src->count);
    if (src->count > NIDUS__MAX_FILTER_NODES)
        return nidus__err(e, NIDUS_EINVAL, 0, "invalid filter: more than %u nodes", NIDUS__MAX_FILTER_NODES);
    f->v[at].nkids = (uint32_t)src->count;
    for (size_t k = 0; k < src->count; k++)
        if ((rc = tree_compile(f, &src->children[k], depth + 1, e))) return rc;
    f->v[at].size = (uint32_t)(f->n - at);
    return NIDUS_OK;
}

int nidus__filter_compile_tree(const nidus_pred *preds, size_t n, const nidus_filter *where, nfilter **out, nerr *e) {
    *out = NULL;
    size_t items = n + (where != NULL);
    if (items == 0) return NIDUS_OK; /* NULL matches everything */
    if (n && !preds) return nidus__err(e, NIDUS_EINVAL, 0, "filter: NULL array with %zu predicates", n);
    if (n >= NIDUS__MAX_FILTER_NODES)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter: %zu predicates, above the maximum of %u", n,
                          NIDUS__MAX_FILTER_NODES - 1);
    nfilter *f = nidus__calloc(1, sizeof *f);
    if (!f) return oom(e);
    int rc = NIDUS_OK;
    size_t root = 0;
    /* Several items: an All over them (the old predicates first). */
    if (items > 1 && !(rc = push(f, &root, e))) {
        f->v[root].op = NIDUS_F_ALL;
        f->v[root].nkids = (uint32_t)items;
    }
    for (size_t k = 0; k < n && !rc; k++) {
        size_t at = 0;
        if (!(rc = push(f, &at, e))) rc = pred_compile(&preds[k], k, &f->v[at], e);
    }
    if (!rc && where) rc = tree_compile(f, where, 0, e);
    if (rc) {
        nidus__filter_free(f);
        return rc;
    }
    if (items > 1) f->v[root].size = (uint32_t)f->n;
    *out = f;
    return NIDUS_OK;
}

int nidus__filter_compile(const nidus_pred *preds, size_t n, nfilter **out, nerr *e) {
    return nidus__filter_compile_tree(preds, n, NULL, out, e);
}

/* ------------------------------------------------------------- matching ---- */

/* The ranges' order: same type only; 2 = not comparable (NaN, Null, List, or two
 * types). */
static int order(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return 2;
    switch (a->type) {
    case NIDUS_INT:
    case NIDUS_DATETIME: return (a->v.i > b->v.i) - (a->v.i < b->v.i);
    case NIDUS_BOOL: return (a->v.b != 0) - (b->v.b != 0);
    case NIDUS_FLOAT:
        if (isnan(a->v.f) || isnan(b->v.f)) return 2;
        return (a->v.f > b->v.f) - (a->v.f < b->v.f);
    case NIDUS_STR: {
        int c = nidus__str_cmp(a->v.str.ptr, a->v.str.len, b->v.str.ptr, b->v.str.len);
        return (c > 0) - (c < 0);
    }
    default: return 2;
    }
}

static inline bool str_eq(nidus_str a, nidus_str b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }

/* Does the List v hold the string s? */
static bool list_has(const nidus_value *v, nidus_str s) {
    for (size_t k = 0; k < v->v.list.count; k++)
        if (str_eq(v->v.list.items[k], s)) return true;
    return false;
}

static bool in_set(const fnode *nd, const nidus_value *v) {
    for (size_t k = 0; k < nd->nset; k++)
        if (nidus__value_eq(&nd->set[k], v)) return true;
    return false;
}

static bool text_match(const fnode *nd, const char *s, size_t len) {
    switch (nd->op) {
    case NIDUS_F_FUZZY: return nidus__levenshtein_capped(s, len, nd->needle, nd->nneedle, nd->edits) <= nd->edits;
    case NIDUS_F_CONTAINS_ALL_TOKENS: return nidus__text_all_tokens(&nd->toks, s, len);
    case NIDUS_F_CONTAINS_ANY_TOKEN: return nidus__text_any_token(&nd->toks, s, len);
    case NIDUS_F_CONTAINS_TOKEN_SEQUENCE: return nidus__text_token_sequence(&nd->toks, s, len);
    default: return nidus__pattern_match(nd->re, s, len);
    }
}

static bool eval(const fnode *nd, const nattrs *a) {
    switch (nd->op) {
    case NIDUS_F_ALL: {
        const fnode *c = nd + 1;
        for (uint32_t k = 0; k < nd->nkids; k++, c += c->size)
            if (!eval(c, a)) return false;
        return true;
    }
    case NIDUS_F_ANY: {
        const fnode *c = nd + 1;
        for (uint32_t k = 0; k < nd->nkids; k++, c += c->size)
            if (eval(c, a)) return true;
        return false;
    }
    case NIDUS_F_NOT: return !eval(nd + 1, a);
    default: break;
    }
    /* A leaf: an absent key fails every one. */
    const nidus_value *v = nidus__attrs_get(a, nd->key.ptr, nd->key.len);
    if (!v) return false;
    switch (nd->op) {
    case NIDUS_F_EQ: return nidus__value_eq(&nd->val, v);
    case NIDUS_F_NE: return !nidus__value_eq(&nd->val, v);
    case NIDUS_F_GLOB:
        if (v->type != NIDUS_STR) return false;
        if (nd->lit) return str_eq(v->v.str, nidus__view(nd->text));
        return nidus__glob_match(nd->text.ptr, nd->text.len, v->v.str.ptr, v->v.str.len);
    case NIDUS_F_IGLOB:
        return v->type == NIDUS_STR && nidus__iglob_match(nd->text.ptr, nd->text.len, v->v.str.ptr, v->v.str.len);
    case NIDUS_F_IN: return in_set(nd, v);
    case NIDUS_F_NOT_IN: return !in_set(nd, v);
    case NIDUS_F_LT: return order(v, &nd->val) == -1;
    case NIDUS_F_LE: {
        int o = order(v, &nd->val);
        return o == -1 || o == 0;
    }
    case NIDUS_F_GT: return order(v, &nd->val) == 1;
    case NIDUS_F_GE: {
        int o = order(v, &nd->val);
        return o == 1 || o == 0;
    }
    case NIDUS_F_CONTAINS: return v->type == NIDUS_LIST && nd->val.type == NIDUS_STR && list_has(v, nd->val.v.str);
    case NIDUS_F_NOT_CONTAINS:
        /* A non-Str needle is in no List, so every List passes. */
        return v->type == NIDUS_LIST && (nd->val.type != NIDUS_STR || !list_has(v, nd->val.v.str));
    case NIDUS_F_CONTAINS_ANY:
        if (v->type != NIDUS_LIST) return false;
        for (size_t k = 0; k < nd->nset; k++)
            if (nd->set[k].type == NIDUS_STR && list_has(v, nd->set[k].v.str)) return true;
        return false;
    default:
        /* Fuzzy, tokens, Regex: a Str, or any one element of a List. */
        if (v->type == NIDUS_STR) return text_match(nd, v->v.str.ptr, v->v.str.len);
        if (v->type == NIDUS_LIST)
            for (size_t k = 0; k < v->v.list.count; k++)
                if (text_match(nd, v->v.list.items[k].ptr, v->v.list.items[k].len)) return true;
        return false;
    }
}

bool nidus__filter_match(const nfilter *f, const nattrs *attrs) {
    if (!f) return true;
    return eval(f->v, attrs);
}

/* ---------------------------------------------- the planner's view (findex.c) ---- */

size_t nidus__filter_nodes(const nfilter *f) { return f ? f->n : 0; }

void nidus__filter_node(const nfilter *f, size_t i, nfilter_node *out) {
    const fnode *nd = &f->v[i];
    *out = (nfilter_node){.op = nd->op, .lit = nd->lit, .size = nd->size, .nkids = nd->nkids,
                          .key = nidus__view(nd->key), .val = &nd->val, .set = nd->set, .nset = nd->nset,
                          .text = nidus__view(nd->text), .toks = &nd->toks};
}

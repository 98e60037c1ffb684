/* list.c — nidus_list_docs: the records of a scope matching a filter, without a
 * query vector (nidus 0.80's list). The matches are gathered, put in storage
 * order (by row), optionally re-sorted by one attribute with nidus's rules, and
 * only then paged, so a page is a slice of the whole ordered match set. */
#include "findex.h"
#include "result.h"

#include <stdlib.h>

void nidus_list_opts_init(nidus_list_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->limit = NIDUS_LIST_DEFAULT_LIMIT;
}

/* One match: its doc and collection, its row, its place in storage order, and
 * (order_by) its sort key: NULL when it trails (absent, or not of the witness's
 * type). */
typedef struct lentry {
    nref r;
    uint64_t row;
    size_t pos;
    const nidus_value *key;
} lentry;

/* Storage order: row; two docs never share a row in a store we wrote, but a
 * hand-made log could, so collection and id settle it. */
static int by_row(const void *pa, const void *pb) {
    const lentry *a = pa, *b = pb;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    if (a->r.c != b->r.c) return nidus__str_cmp(a->r.c->name.ptr, a->r.c->name.len, b->r.c->name.ptr, b->r.c->name.len);
    return nidus__str_cmp(a->r.d->id.ptr, a->r.d->id.len, b->r.d->id.ptr, b->r.d->id.len);
}

/* nidus's value_cmp for two values of one orderable type (never NaN here). */
static int value_order(const nidus_value *a, const nidus_value *b) {
    switch (a->type) {
    case NIDUS_INT:
    case NIDUS_DATETIME: return (a->v.i > b->v.i) - (a->v.i < b->v.i);
    case NIDUS_BOOL: return (a->v.b != 0) - (b->v.b != 0);
    case NIDUS_FLOAT: return (a->v.f > b->v.f) - (a->v.f < b->v.f);
    case NIDUS_STR: return nidus__str_cmp(a->v.str.ptr, a->v.str.len, b->v.str.ptr, b->v.str.len);
    default: return 0;
    }
}

/* Orderable against itself: what may be the witness (and sorts with it). */
static bool orderable(const nidus_value *v) {
    switch (v->type) {
    case NIDUS_INT:
    case NIDUS_DATETIME:
    case NIDUS_BOOL:
    case NIDUS_STR: return true;
    case NIDUS_FLOAT: return v->v.f == v->v.f;
    default: return false;
    }
}

/* qsort is not stable: the storage position breaks every tie, which is what
 * nidus's stable sort leaves. */
static int by_key_asc(const void *pa, const void *pb) {
    const lentry *a = pa, *b = pb;
    if (a->key && b->key) {
        int c = value_order(a->key, b->key);
        if (c) return c;
    } else if (a->key || b->key) {
        return a->key ? -1 : 1;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int by_key_desc(const void *pa, const void *pb) {
    const lentry *a = pa, *b = pb;
    if (a->key && b->key) {
        int c = value_order(b->key, a->key);
        if (c) return c;
    } else if (a->key || b->key) {
        return a->key ? -1 : 1;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* ORDER BY field over the whole match set v[0..n) (already in storage order):
 * the first orderable value fixes the type (nidus's "witness"); values of that
 * type (a Float: not NaN) sort, everything else trails in storage order. */
static void order_by(lentry *v, size_t n, const char *field, bool desc) {
    size_t flen = strlen(field);
    const nidus_value *witness = NULL;
    for (size_t i = 0; i < n; i++) {
        const nidus_value *x = nidus__attrs_get(&v[i].r.d->attrs, field, flen);
        v[i].pos = i;
        v[i].key = x;
        if (x && !witness && orderable(x)) witness = x;
    }
    if (!witness) return; /* nothing orderable: storage order is the answer */
    for (size_t i = 0; i < n; i++)
        if (v[i].key && (v[i].key->type != witness->type || !orderable(v[i].key))) v[i].key = NULL;
    qsort(v, n, sizeof *v, desc ? by_key_desc : by_key_asc);
}

static int list(nidus_db *db, const nidus_list_opts *opts, nidus_docs **out, nerr *e) {
    if (opts->order_by && !nidus__utf8_cstr(opts->order_by))
        return nidus__err(e, NIDUS_EINVAL, 0, "order_by is not valid UTF-8");
    nproj proj;
    int rc = nidus__proj_init(&proj, opts->include_attrs, opts->n_include_attrs, opts->exclude_attrs,
                              opts->n_exclude_attrs, e);
    nfilter *f = NULL;
    ncoll **scope = NULL;
    size_t nscope = 0, total = 0, n = 0;
    lentry *v = NULL;
    if (!rc) rc = nidus__filter_compile_tree(NULL, 0, opts->where, &f, e);
    if (!rc) rc = nidus__scope_resolve(db, opts->collections, opts->n_collections, &scope, &nscope, e);
    for (size_t i = 0; !rc && i < nscope; i++) total += scope[i]->n;
    if (!rc && !(v = nidus__mallocarray(total ? total : 1, sizeof *v)))
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory listing %zu records", total);
    for (size_t i = 0; !rc && i < nscope; i++) {
        ncoll *c = scope[i];
        void *mem;
        /* The filter index's candidates (a superset of the matches) when it has few
         * enough; the filter still decides each. */
        nscan w = nidus__findex_walk(c, f, &mem);
        for (size_t j = 0; j < w.n; j++) {
            const ndoc *d = &c->docs[w.idx ? w.idx[j] : j];
            if (nidus__filter_match(f, &d->attrs)) v[n++] = (lentry){{d, c}, d->row, 0, NULL};
        }
        nidus__findex_release(mem);
    }
    if (!rc) {
        qsort(v, n, sizeof *v, by_row);
        if (opts->order_by) order_by(v, n, opts->order_by, opts->descending != 0);
        size_t off = opts->offset < n ? opts->offset : n;
        size_t take = n - off < opts->limit ? n - off : opts->limit;
        nref *refs = nidus__mallocarray(take ? take : 1, sizeof *refs);
        for (size_t i = 0; refs && i < take; i++) refs[i] = v[off + i].r;
        if (!refs || !(*out = nidus__result_refs(refs, take, db->data.vec, db->cfg.dimension, &proj)))
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory building %zu records", take);
        nidus__free(refs);
    }
    nidus__free(v);
    nidus__free(scope);
    nidus__filter_free(f);
    return rc;
}

/* NULL means the defaults; only this header's struct (the first version). */
int nidus_list_docs(nidus_db *db, const nidus_list_opts *opts, nidus_docs **out) {
    nidus_list_opts defaults;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    if (!opts) {
        nidus_list_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->struct_size != sizeof *opts) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = list(db, opts, out, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

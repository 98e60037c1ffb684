/* result.c — lays out what the reads return: search hits, docs, collection
 * names, meta. Each result is one block: `build` runs a fill function twice,
 * first only measuring (no memory behind the layout), then into a block of
 * exactly the measured size, so the two passes cannot disagree. */
#include "result.h"

#include <stdalign.h>

/* A result being laid out: base is NULL while measuring. */
typedef struct layout {
    char *base;
    size_t off;
} layout;

static void *take(layout *a, size_t size, size_t align) {
    a->off = (a->off + align - 1) & ~(align - 1);
    void *p = a->base ? a->base + a->off : NULL;
    a->off += size;
    return p;
}

static const char *put_str(layout *a, const char *s, size_t len) {
    char *p = take(a, len + 1, 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

static void put_value(layout *a, nidus_value *dst, const nidus_value *src) {
    nidus_value v = *src;
    if (src->type == NIDUS_STR) {
        v.v.str.ptr = put_str(a, src->v.str.ptr, src->v.str.len);
    } else if (src->type == NIDUS_LIST) {
        nidus_str *items = take(a, src->v.list.count * sizeof *items, alignof(nidus_str));
        for (size_t i = 0; i < src->v.list.count; i++) {
            const nidus_str *it = &src->v.list.items[i];
            const char *p = put_str(a, it->ptr, it->len);
            if (items) items[i] = (nidus_str){p, it->len};
        }
        v.v.list.items = items;
    }
    if (dst) *dst = v;
}

/* ------------------------------------------------------------ projection ---- */

int nidus__proj_init(nproj *p, const char *const *inc, size_t ninc, const char *const *exc, size_t nexc, nerr *e) {
    *p = (nproj){NULL, 0, false};
    if (inc && exc)
        return nidus__err(e, NIDUS_EINVAL, 0,
                          "include_attrs and exclude_attrs are mutually exclusive; give at most one");
    if (!inc && ninc) return nidus__err(e, NIDUS_EINVAL, 0, "include_attrs is NULL but n_include_attrs is %zu", ninc);
    if (!exc && nexc) return nidus__err(e, NIDUS_EINVAL, 0, "exclude_attrs is NULL but n_exclude_attrs is %zu", nexc);
    const char *const *keys = inc ? inc : exc;
    size_t n = inc ? ninc : nexc;
    for (size_t i = 0; keys && i < n; i++)
        if (!nidus__utf8_cstr(keys[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "%s_attrs[%zu] is %s", inc ? "include" : "exclude", i,
                              keys[i] ? "not valid UTF-8" : "NULL");
    *p = (nproj){keys, n, exc != NULL};
    return NIDUS_OK;
}

/* Whether p lets the attribute `key` through. A stored key may hold a NUL (a
 * foreign writer's); it then matches no caller key, which holds none. */
static bool proj_keeps(const nproj *p, const nidus_str *key) {
    if (!p || !p->keys) return true;
    bool named = false;
    for (size_t i = 0; i < p->n && !named; i++)
        named = strlen(p->keys[i]) == key->len && memcmp(p->keys[i], key->ptr, key->len) == 0;
    return named != p->exclude;
}

static size_t proj_count(const nproj *p, const nattrs *src) {
    size_t n = 0;
    for (size_t i = 0; i < src->n; i++) n += proj_keeps(p, &src->items[i].key);
    return n;
}

/* The attributes of src that p keeps (sorted, as src); *n receives their count. */
static const nidus_attr *put_attrs(layout *a, const nattrs *src, const nproj *p, size_t *n) {
    size_t kept = proj_count(p, src);
    nidus_attr *out = take(a, kept * sizeof *out, alignof(nidus_attr));
    for (size_t i = 0, j = 0; i < src->n; i++) {
        if (!proj_keeps(p, &src->items[i].key)) continue;
        const char *k = put_str(a, src->items[i].key.ptr, src->items[i].key.len);
        if (out) out[j].key = k;
        put_value(a, out ? &out[j].value : NULL, &src->items[i].val);
        j++;
    }
    *n = kept;
    return out;
}

/* Run `fill` twice: once to measure, once into a fresh block. */
typedef void (*fill_fn)(layout *a, const void *ctx);
static void *build(fill_fn fill, const void *ctx) {
    layout m = {NULL, 0};
    fill(&m, ctx);
    char *block = nidus__malloc(m.off ? m.off : 1);
    if (!block) return NULL;
    layout a = {block, 0};
    fill(&a, ctx);
    return block;
}

/* ------------------------------------------------------------------ hits ---- */

typedef struct hits_ctx {
    const ntopk_item *items;
    size_t n;
    const nproj *p;
} hits_ctx;

static void fill_hits(layout *a, const void *vctx) {
    const hits_ctx *h = vctx;
    nidus_hits *res = take(a, sizeof *res, alignof(nidus_hits));
    nidus_hit *hits = take(a, h->n * sizeof *hits, alignof(nidus_hit));
    if (res) *res = (nidus_hits){h->n, hits};
    for (size_t i = 0; i < h->n; i++) {
        const ndoc *d = h->items[i].ref;
        const ncoll *c = h->items[i].ref2;
        const char *cn = put_str(a, c->name.ptr, c->name.len);
        const char *id = put_str(a, d->id.ptr, d->id.len);
        size_t na;
        const nidus_attr *at = put_attrs(a, &d->attrs, h->p, &na);
        if (hits) hits[i] = (nidus_hit){cn, id, h->items[i].score, d->row, at, na};
    }
}

nidus_hits *nidus__result_hits(const ntopk_item *items, size_t n, const nproj *p) {
    hits_ctx h = {items, n, p};
    return build(fill_hits, &h);
}

/* ------------------------------------------------------------------ docs ---- */

typedef struct docs_ctx {
    const ncoll *c;
    const ndoc *const *docs;
    size_t n;
    const float *mat;
    uint32_t dim;
} docs_ctx;

static void fill_docs(layout *a, const void *vctx) {
    const docs_ctx *x = vctx;
    nidus_docs *res = take(a, sizeof *res, alignof(nidus_docs));
    nidus_doc *docs = take(a, x->n * sizeof *docs, alignof(nidus_doc));
    if (res) *res = (nidus_docs){x->n, docs};
    const char *cn = x->c ? put_str(a, x->c->name.ptr, x->c->name.len) : NULL;
    for (size_t i = 0; i < x->n; i++) {
        const ndoc *d = x->docs[i];
        float *v = take(a, (size_t)x->dim * sizeof(float), alignof(float));
        if (v) memcpy(v, x->mat + d->row * x->dim, (size_t)x->dim * sizeof(float));
        const char *id = put_str(a, d->id.ptr, d->id.len);
        size_t na;
        const nidus_attr *at = put_attrs(a, &d->attrs, NULL, &na);
        if (docs) docs[i] = (nidus_doc){cn, id, v, at, na};
    }
}

nidus_docs *nidus__result_docs(const ncoll *c, const ndoc *const *docs, size_t n, const float *mat, uint32_t dim) {
    docs_ctx x = {c, docs, n, mat, dim};
    return build(fill_docs, &x);
}

typedef struct refs_ctx {
    const nref *refs;
    size_t n;
    const float *mat;
    uint32_t dim;
    const nproj *p;
} refs_ctx;

/* Each collection name is copied once per run of docs from it (a list is mostly
 * runs), so a page from one collection holds its name once. */
static void fill_refs(layout *a, const void *vctx) {
    const refs_ctx *x = vctx;
    nidus_docs *res = take(a, sizeof *res, alignof(nidus_docs));
    nidus_doc *docs = take(a, x->n * sizeof *docs, alignof(nidus_doc));
    if (res) *res = (nidus_docs){x->n, docs};
    const ncoll *last = NULL;
    const char *cn = NULL;
    for (size_t i = 0; i < x->n; i++) {
        const ndoc *d = x->refs[i].d;
        if (x->refs[i].c != last) {
            last = x->refs[i].c;
            cn = put_str(a, last->name.ptr, last->name.len);
        }
        float *v = take(a, (size_t)x->dim * sizeof(float), alignof(float));
        if (v) memcpy(v, x->mat + d->row * x->dim, (size_t)x->dim * sizeof(float));
        const char *id = put_str(a, d->id.ptr, d->id.len);
        size_t na;
        const nidus_attr *at = put_attrs(a, &d->attrs, x->p, &na);
        if (docs) docs[i] = (nidus_doc){cn, id, v, at, na};
    }
}

nidus_docs *nidus__result_refs(const nref *refs, size_t n, const float *mat, uint32_t dim, const nproj *p) {
    refs_ctx x = {refs, n, mat, dim, p};
    return build(fill_refs, &x);
}

/* ----------------------------------------------------------- aggregation ---- */

/* nf sums named fields[0..nf) with values vals[0..nf) (numbers: nothing to copy). */
static const nidus_sum *put_sums(layout *a, const char *const *names, const nidus_value *vals, size_t nf) {
    nidus_sum *out = take(a, nf * sizeof *out, alignof(nidus_sum));
    if (out)
        for (size_t i = 0; i < nf; i++) out[i] = (nidus_sum){names[i], vals[i]};
    return out;
}

static void fill_aggregation(layout *a, const void *vctx) {
    const nagg_out *x = vctx;
    nidus_aggregation *res = take(a, sizeof *res, alignof(nidus_aggregation));
    nidus_group *groups = take(a, x->ng * sizeof *groups, alignof(nidus_group));
    /* The field names once, shared by the totals and every group. */
    const char **names = take(a, x->nf * sizeof *names, alignof(const char *));
    for (size_t i = 0; i < x->nf; i++) {
        const char *f = put_str(a, x->fields[i], strlen(x->fields[i]));
        if (names) names[i] = f;
    }
    const nidus_sum *sums = put_sums(a, names, x->sums, x->nf);
    if (res) *res = (nidus_aggregation){x->count, sums, x->nf, groups, x->ng, x->truncated};
    for (size_t g = 0; g < x->ng; g++) {
        const nagg_group *src = &x->groups[g];
        nidus_group out = {src->value != NULL, {.type = NIDUS_NULL}, src->count, NULL, x->nf};
        if (src->value) put_value(a, &out.value, src->value);
        out.sums = put_sums(a, names, src->sums, x->nf);
        if (groups) groups[g] = out;
    }
}

nidus_aggregation *nidus__result_aggregation(const nagg_out *a) { return build(fill_aggregation, a); }

/* ------------------------------------------------------------ names/meta ---- */

typedef struct names_ctx {
    ncoll *const *colls;
    size_t n;
} names_ctx;

static void fill_names(layout *a, const void *vctx) {
    const names_ctx *x = vctx;
    nidus_names *res = take(a, sizeof *res, alignof(nidus_names));
    const char **names = take(a, x->n * sizeof *names, alignof(const char *));
    if (res) *res = (nidus_names){x->n, names};
    for (size_t i = 0; i < x->n; i++) {
        const char *s = put_str(a, x->colls[i]->name.ptr, x->colls[i]->name.len);
        if (names) names[i] = s;
    }
}

nidus_names *nidus__result_names(ncoll *const *colls, size_t n) {
    names_ctx x = {colls, n};
    return build(fill_names, &x);
}

static void fill_meta(layout *a, const void *vctx) {
    const nmeta *m = vctx;
    nidus_meta *res = take(a, sizeof *res, alignof(nidus_meta));
    nidus_meta_entry *es = take(a, m->n * sizeof *es, alignof(nidus_meta_entry));
    if (res) *res = (nidus_meta){m->n, es};
    for (size_t i = 0; i < m->n; i++) {
        const char *k = put_str(a, m->items[i].key.ptr, m->items[i].key.len);
        const char *v = put_str(a, m->items[i].value.ptr, m->items[i].value.len);
        if (es) es[i] = (nidus_meta_entry){k, v};
    }
}

nidus_meta *nidus__result_meta(const nmeta *m) { return build(fill_meta, m); }

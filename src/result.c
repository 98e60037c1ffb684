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

static const nidus_attr *put_attrs(layout *a, const nattrs *src) {
    nidus_attr *out = take(a, src->n * sizeof *out, alignof(nidus_attr));
    for (size_t i = 0; i < src->n; i++) {
        const char *k = put_str(a, src->items[i].key.ptr, src->items[i].key.len);
        if (out) out[i].key = k;
        put_value(a, out ? &out[i].value : NULL, &src->items[i].val);
    }
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
        const nidus_attr *at = put_attrs(a, &d->attrs);
        if (hits) hits[i] = (nidus_hit){cn, id, h->items[i].score, d->row, at, d->attrs.n};
    }
}

nidus_hits *nidus__result_hits(const ntopk_item *items, size_t n) {
    hits_ctx h = {items, n};
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
        const nidus_attr *at = put_attrs(a, &d->attrs);
        if (docs) docs[i] = (nidus_doc){cn, id, v, at, d->attrs.n};
    }
}

nidus_docs *nidus__result_docs(const ncoll *c, const ndoc *const *docs, size_t n, const float *mat, uint32_t dim) {
    docs_ctx x = {c, docs, n, mat, dim};
    return build(fill_docs, &x);
}

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

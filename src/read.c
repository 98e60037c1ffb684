/* read.c — search and the other reads. Every result is one allocation (an arena
 * sized by a measuring pass, then filled), so it outlives later writes and is
 * released whole by nidus_free(). */
#include "store.h"

#include <math.h>
#include <stdalign.h>
#include <unistd.h>

typedef struct arena {
    char *base; /* NULL while measuring */
    size_t off;
} arena;

static void *arena_take(arena *a, size_t size, size_t align) {
    a->off = (a->off + align - 1) & ~(align - 1);
    void *p = a->base ? a->base + a->off : NULL;
    a->off += size;
    return p;
}

static const char *arena_str(arena *a, const char *s, size_t len) {
    char *p = arena_take(a, len + 1, 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

static void arena_value(arena *a, nidus_value *dst, const nidus_value *src) {
    nidus_value v = *src;
    if (src->type == NIDUS_STR) {
        v.v.str.ptr = arena_str(a, src->v.str.ptr, src->v.str.len);
    } else if (src->type == NIDUS_LIST) {
        nidus_str *items = arena_take(a, src->v.list.count * sizeof *items, alignof(nidus_str));
        for (size_t i = 0; i < src->v.list.count; i++) {
            const nidus_str *it = &src->v.list.items[i];
            const char *p = arena_str(a, it->ptr, it->len);
            if (items) items[i] = (nidus_str){p, it->len};
        }
        v.v.list.items = items;
    }
    if (dst) *dst = v;
}

static const nidus_attr *arena_attrs(arena *a, const nattrs *src) {
    nidus_attr *out = arena_take(a, src->n * sizeof *out, alignof(nidus_attr));
    for (size_t i = 0; i < src->n; i++) {
        const char *k = arena_str(a, src->items[i].key.ptr, src->items[i].key.len);
        if (out) out[i].key = k;
        arena_value(a, out ? &out[i].value : NULL, &src->items[i].val);
    }
    return out;
}

/* Run `fill` twice: once to measure, once into a fresh block. */
typedef void (*fill_fn)(arena *a, void *ctx);
static void *arena_build(fill_fn fill, void *ctx) {
    arena m = {NULL, 0};
    fill(&m, ctx);
    char *block = nidus__malloc(m.off ? m.off : 1);
    if (!block) return NULL;
    arena a = {block, 0};
    fill(&a, ctx);
    return block;
}

static int oom(nidus_db *db) {
    nerr e;
    nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory building the result");
    return nidus__fail(db, &e);
}

/* ---------------------------------------------------------------- search ---- */

void nidus_search_opts_init(nidus_search_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->top_k = 10;
}

typedef struct hits_ctx {
    const ntopk_item *items;
    size_t n;
} hits_ctx;

static void fill_hits(arena *a, void *vctx) {
    hits_ctx *h = vctx;
    nidus_hits *res = arena_take(a, sizeof *res, alignof(nidus_hits));
    nidus_hit *hits = arena_take(a, h->n * sizeof *hits, alignof(nidus_hit));
    if (res) *res = (nidus_hits){h->n, hits};
    for (size_t i = 0; i < h->n; i++) {
        const ndoc *d = h->items[i].ref;
        const ncoll *c = h->items[i].ref2;
        const char *cn = arena_str(a, c->name.ptr, c->name.len);
        const char *id = arena_str(a, d->id.ptr, d->id.len);
        const nidus_attr *at = arena_attrs(a, &d->attrs);
        if (hits) hits[i] = (nidus_hit){cn, id, h->items[i].score, d->row, at, d->attrs.n};
    }
}

/* One scan: a range of the scope's docs (in row order, collection after
 * collection) scored against nq queries, each with its own top-k. Threads each run
 * one job over their own range; merging their top-ks gives exactly the one-thread
 * result, because the ranking (score, then row) is a total order. */
typedef struct scan_job {
    ncoll *const *scope;
    const size_t *const *orders;
    size_t nscope;
    size_t lo, hi;
    const float *mat;
    uint32_t dim;
    const float *q; /* nq normalized queries */
    size_t nq;
    const nfilter *f;
    bool gate;
    float min;
    ntopk *tops;   /* nq */
    float *scores; /* nq * BLOCK, batches only */
} scan_job;

/* Rows scored together: 256 rows of 384 floats stay in L2 while every query of
 * a batch passes over them. */
#define BLOCK 256

/* Whether a score would enter a full top-k: most rows of a scan fail this first
 * comparison, so it is done here, inline. */
static inline bool beats_worst(const ntopk *t, float v, uint64_t row) {
    if (t->n < t->k) return true;
    const ntopk_item *w = &t->heap[0];
    if (v > w->score) return true;
    if (v < w->score) return false;
    return nidus__rank_before(v, row, w->score, w->row); /* a tie, or NaN */
}

static void *scan_run(void *arg) {
    scan_job *j = arg;
    const nidus__dot_fn dot = nidus__kdot_fn();
    const float *rows[BLOCK];
    const ndoc *docs[BLOCK];
    const ncoll *colls[BLOCK];
    size_t nb = 0, s = 0, base = 0;
    /* Find the collection holding position lo. */
    while (s < j->nscope && base + j->scope[s]->n <= j->lo) base += j->scope[s++]->n;
    size_t pos = j->lo;
    while (pos < j->hi || nb) {
        if (pos < j->hi && nb < BLOCK) {
            while (pos - base >= j->scope[s]->n) base += j->scope[s++]->n;
            const ncoll *c = j->scope[s];
            size_t i = pos - base;
            const ndoc *d = &c->docs[j->orders[s] ? j->orders[s][i] : i];
            pos++;
            if (j->f && !nidus__filter_match(j->f, &d->attrs)) continue;
            rows[nb] = j->mat + d->row * j->dim;
            if (j->nq > 1) /* the blocked kernel streams the block once per query group */
                for (size_t off = 0; off < (size_t)j->dim * sizeof(float); off += 64)
                    __builtin_prefetch((const char *)rows[nb] + off, 0, 2);
            docs[nb] = d;
            colls[nb] = c;
            nb++;
            continue;
        }
        if (j->nq > 1) {
            /* A batch: the blocked kernel scores every (query, row) pair of the
             * block, reading each row from cache for all queries. */
            nidus__kblock(j->q, j->nq, rows, nb, j->dim, j->scores, BLOCK);
            for (size_t qi = 0; qi < j->nq; qi++) {
                const float *sc = j->scores + qi * BLOCK;
                ntopk *t = &j->tops[qi];
                for (size_t b = 0; b < nb; b++) {
                    if (j->gate && sc[b] < j->min) continue; /* NaN passes, as in nidus 0.3 */
                    if (beats_worst(t, sc[b], docs[b]->row))
                        nidus__topk_push(t, sc[b], docs[b]->row, docs[b], colls[b]);
                }
            }
            nb = 0;
            continue;
        }
        /* One query: row after row, in storage order. A single sequential stream
         * is what the hardware prefetcher follows best; the kernel's one
         * accumulator chain per row still keeps ahead of memory (measured: within
         * 1.2x of summing the matrix, where four interleaved rows ran 1.5x). */
        ntopk *t = &j->tops[0];
        for (size_t b = 0; b < nb; b++) {
            float v = dot(j->q, rows[b], j->dim);
            if (j->gate && v < j->min) continue; /* NaN passes, as in nidus 0.3 */
            if (beats_worst(t, v, docs[b]->row)) nidus__topk_push(t, v, docs[b]->row, docs[b], colls[b]);
        }
        nb = 0;
    }
    return NULL;
}

static unsigned thread_count(unsigned want, size_t work) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned t = want ? want : (online > 0 ? (unsigned)online : 1);
    if (t > 64) t = 64;
    /* A thread is worth starting only for a sizeable share of the scan. */
    size_t per = (size_t)1 << 18; /* floats */
    if (work / per + 1 < t) t = (unsigned)(work / per + 1);
    return t ? t : 1;
}

/* Search nq queries; results[i] receives query i's hits. */
static int search_many(nidus_db *db, const float *queries, size_t nq, size_t qlen, const nidus_search_opts *opts,
                       nidus_hits **results, nerr *e) {
    int rc = NIDUS_OK;
    float *q = NULL;
    ncoll **scope = NULL;
    const size_t **orders = NULL;
    nfilter *f = NULL;
    ntopk_item *storage = NULL;
    ntopk *tops = NULL;
    float *scores = NULL;
    scan_job *jobs = NULL;
    pthread_t *tids = NULL;
    size_t nscope = 0;
    unsigned nt = 1, started = 0;
    uint32_t dim = db->cfg.dimension;

    if (qlen != dim)
        return nidus__err(e, NIDUS_EDIM, 0, "query length %zu does not match store dimension %u", qlen, dim);
    if (!queries) return nidus__err(e, NIDUS_EINVAL, 0, "query is NULL");
    for (size_t i = 0; i < nq * qlen; i++)
        if (!isfinite(queries[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "query %zu element %zu is %s", i / qlen, i % qlen,
                              isnan(queries[i]) ? "NaN" : "infinite");
    if (opts->n_collections && !opts->collections)
        return nidus__err(e, NIDUS_EINVAL, 0, "collections is NULL but n_collections is %zu", opts->n_collections);
    if (opts->n_filter && !opts->filter)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter is NULL but n_filter is %zu", opts->n_filter);
    if ((rc = nidus__filter_compile(opts->filter, opts->n_filter, &f, e))) return rc;

    /* The scope: every collection, or the named ones that exist, once each. */
    size_t want = opts->collections ? opts->n_collections : db->ncolls;
    if (!(scope = nidus__mallocarray(want ? want : 1, sizeof *scope)) ||
        !(orders = nidus__mallocarray(want ? want : 1, sizeof *orders)) ||
        !(q = nidus__mallocarray(nq ? nq * dim : 1, sizeof *q))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    size_t total = 0;
    for (size_t i = 0; i < want; i++) {
        ncoll *c;
        if (opts->collections) {
            const char *name = opts->collections[i];
            if (!name) {
                rc = nidus__err(e, NIDUS_EINVAL, 0, "collection name %zu is NULL", i);
                goto out;
            }
            if (!(c = nidus__coll_find(db, name, strlen(name)))) continue;
            bool dup = false;
            for (size_t x = 0; x < nscope && !dup; x++) dup = scope[x] == c;
            if (dup) continue;
        } else {
            c = db->colls[i];
        }
        orders[nscope] = nidus__scan_order(c); /* NULL: doc order, still exact */
        scope[nscope++] = c;
        total += c->n;
    }
    size_t k = opts->top_k < total ? opts->top_k : total;
    if (k) nt = thread_count(opts->threads, total * (size_t)dim);
    if (nq && k > SIZE_MAX / nq / nt / sizeof *storage) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for top %zu", k);
        goto out;
    }
    if ((k && !(storage = nidus__mallocarray(nq * nt * k, sizeof *storage))) ||
        !(tops = nidus__mallocarray(nq ? nq * nt : 1, sizeof *tops)) ||
        !(jobs = nidus__mallocarray(nt, sizeof *jobs)) || !(tids = nidus__mallocarray(nt, sizeof *tids)) ||
        (nq > 1 && k && !(scores = nidus__mallocarray((size_t)nt * nq, BLOCK * sizeof(float))))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for top %zu", k);
        goto out;
    }
    memcpy(q, queries, nq * dim * sizeof *q);
    for (size_t i = 0; i < nq; i++) nidus__normalize(q + i * dim, dim);
    for (size_t t = 0; t < nq * nt; t++) nidus__topk_init(&tops[t], storage ? storage + t * k : NULL, k);

    if (k) {
        for (unsigned t = 0; t < nt; t++)
            jobs[t] = (scan_job){scope, orders, nscope, total * t / nt, total * (t + 1) / nt, db->data.vec, dim,
                                 q, nq, f, opts->has_min_score != 0, opts->min_score, tops + (size_t)t * nq,
                                 scores ? scores + (size_t)t * nq * BLOCK : NULL};
        for (unsigned t = 1; t < nt; t++, started++)
            if (pthread_create(&tids[t], NULL, scan_run, &jobs[t]) != 0) break;
        scan_run(&jobs[0]);
        /* A thread that could not start: do its share here. */
        for (unsigned t = started + 1; t < nt; t++) scan_run(&jobs[t]);
        for (unsigned t = 1; t <= started; t++) pthread_join(tids[t], NULL);
        /* Merge every thread's top-k into the first. */
        for (size_t qi = 0; qi < nq; qi++)
            for (unsigned t = 1; t < nt; t++) {
                const ntopk *src = &tops[(size_t)t * nq + qi];
                for (size_t x = 0; x < src->n; x++) {
                    const ntopk_item *it = &src->heap[x];
                    nidus__topk_push(&tops[qi], it->score, it->row, it->ref, it->ref2);
                }
            }
    }
    for (size_t qi = 0; qi < nq; qi++) {
        hits_ctx h = {tops[qi].heap, nidus__topk_finish(&tops[qi])};
        if (!(results[qi] = arena_build(fill_hits, &h))) {
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory building %zu hits", h.n);
            for (size_t x = 0; x < qi; x++) {
                nidus__free(results[x]);
                results[x] = NULL;
            }
            goto out;
        }
    }
out:
    nidus__free(q);
    nidus__free(scope);
    nidus__free(orders);
    nidus__free(storage);
    nidus__free(tops);
    nidus__free(scores);
    nidus__free(jobs);
    nidus__free(tids);
    nidus__filter_free(f);
    return rc;
}

int nidus_search(nidus_db *db, const float *query, size_t qlen, const nidus_search_opts *opts, nidus_hits **out) {
    if (!out || !opts) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = search_many(db, query, 1, qlen, opts, out, &e);
    nidus__leave(db);
    return rc ? nidus__fail(db, &e) : NIDUS_OK;
}

int nidus_search_batch(nidus_db *db, const float *queries, size_t nq, size_t qlen, const nidus_search_opts *opts,
                       nidus_hits **out) {
    if (!opts || (nq && !out)) return NIDUS_EMISUSE;
    for (size_t i = 0; i < nq; i++) out[i] = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = nq ? search_many(db, queries, nq, qlen, opts, out, &e) : NIDUS_OK;
    nidus__leave(db);
    return rc ? nidus__fail(db, &e) : NIDUS_OK;
}

/* ------------------------------------------------------------------ docs ---- */

typedef struct docs_ctx {
    const ncoll *c;
    const ndoc *const *docs;
    size_t n;
    const float *mat;
    uint32_t dim;
} docs_ctx;

static void fill_docs(arena *a, void *vctx) {
    docs_ctx *x = vctx;
    nidus_docs *res = arena_take(a, sizeof *res, alignof(nidus_docs));
    nidus_doc *docs = arena_take(a, x->n * sizeof *docs, alignof(nidus_doc));
    if (res) *res = (nidus_docs){x->n, docs};
    const char *cn = x->c ? arena_str(a, x->c->name.ptr, x->c->name.len) : NULL;
    for (size_t i = 0; i < x->n; i++) {
        const ndoc *d = x->docs[i];
        float *v = arena_take(a, (size_t)x->dim * sizeof(float), alignof(float));
        if (v) memcpy(v, x->mat + d->row * x->dim, (size_t)x->dim * sizeof(float));
        const char *id = arena_str(a, d->id.ptr, d->id.len);
        const nidus_attr *at = arena_attrs(a, &d->attrs);
        if (docs) docs[i] = (nidus_doc){cn, id, v, at, d->attrs.n};
    }
}

int nidus_get_all(nidus_db *db, const char *collection, nidus_docs **out) {
    if (!out || !collection) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(db, collection, strlen(collection));
    ndoc **sorted = NULL;
    if (c && !(sorted = nidus__docs_by_id(c))) {
        nidus__leave(db);
        return oom(db);
    }
    docs_ctx x = {c, (const ndoc *const *)sorted, c ? c->n : 0, db->data.vec, db->cfg.dimension};
    *out = arena_build(fill_docs, &x);
    nidus__free(sorted);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

int nidus_get(nidus_db *db, const char *collection, const char *const *ids, size_t count, nidus_docs **out) {
    if (!out || !collection || (count && !ids)) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(db, collection, strlen(collection));
    const ndoc **found = nidus__mallocarray(count ? count : 1, sizeof *found);
    if (!found) {
        nidus__leave(db);
        return oom(db);
    }
    size_t n = 0;
    for (size_t i = 0; c && i < count; i++) {
        const ndoc *d = ids[i] ? nidus__doc_find(c, ids[i], strlen(ids[i])) : NULL;
        if (d) found[n++] = d;
    }
    docs_ctx x = {c, found, n, db->data.vec, db->cfg.dimension};
    *out = arena_build(fill_docs, &x);
    nidus__free(found);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

/* ------------------------------------------------------------ names/meta ---- */

static void fill_names(arena *a, void *vctx) {
    nidus_db *db = vctx;
    nidus_names *res = arena_take(a, sizeof *res, alignof(nidus_names));
    const char **names = arena_take(a, db->ncolls * sizeof *names, alignof(const char *));
    if (res) *res = (nidus_names){db->ncolls, names};
    for (size_t i = 0; i < db->ncolls; i++) {
        const char *s = arena_str(a, db->colls[i]->name.ptr, db->colls[i]->name.len);
        if (names) names[i] = s;
    }
}

int nidus_collections(nidus_db *db, nidus_names **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    *out = arena_build(fill_names, db);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

static void fill_meta(arena *a, void *vctx) {
    const nmeta *m = vctx;
    nidus_meta *res = arena_take(a, sizeof *res, alignof(nidus_meta));
    nidus_meta_entry *es = arena_take(a, m->n * sizeof *es, alignof(nidus_meta_entry));
    if (res) *res = (nidus_meta){m->n, es};
    for (size_t i = 0; i < m->n; i++) {
        const char *k = arena_str(a, m->items[i].key.ptr, m->items[i].key.len);
        const char *v = arena_str(a, m->items[i].value.ptr, m->items[i].value.len);
        if (es) es[i] = (nidus_meta_entry){k, v};
    }
}

int nidus_get_meta(nidus_db *db, const char *collection, nidus_meta **out) {
    if (!out || !collection) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(db, collection, strlen(collection));
    nmeta empty = {0};
    *out = arena_build(fill_meta, c ? (void *)&c->meta : (void *)&empty);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

/* ------------------------------------------------------------- footprint ---- */

int nidus_get_footprint(nidus_db *db, nidus_footprint *out) {
    if (!out) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    uint64_t docs = 0, index = db->capcolls * sizeof(ncoll *);
    for (size_t i = 0; i < db->ncolls; i++) {
        const ncoll *c = db->colls[i];
        docs += c->n;
        index += sizeof *c + c->name.len + 1 + c->cap * sizeof(ndoc) + c->nslots * sizeof(uint64_t) + c->cap * sizeof(size_t);
        for (size_t j = 0; j < c->meta.n; j++) index += sizeof(nmeta_kv) + c->meta.items[j].key.len + c->meta.items[j].value.len + 2;
        index += c->strs.bytes; /* ids and attributes, dead blobs included (store.c) */
    }
    *out = (nidus_footprint){
        .rows = db->data.rows,
        .dead_rows = db->dead_rows,
        .dimension = db->cfg.dimension,
        .vector_bytes = db->data.rows * (uint64_t)db->cfg.dimension * 4,
        .doc_count = docs,
        .index_bytes = index,
    };
    nidus__leave(db);
    return NIDUS_OK;
}

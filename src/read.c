/* read.c — search and the other reads. Every result is one allocation (an arena
 * sized by a measuring pass, then filled), so it outlives later writes and is
 * released whole by nidus_free(). */
#include "db.h"

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
    return nidus__set_error(db, &e);
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
    const nscan *orders;
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
    /* Batches with a screen (NULL: the exact block kernel scores every pair). */
    const nidus__screen *scr;
    const float *qpack; /* the queries interleaved per group of scr->qmax */
    size_t qstride;     /* words per packed query */
    const float *cq;    /* nq margin coefficients */
    const float *zero;  /* dim zeros: the padding row */
    float *panels;      /* BLOCK * cols words */
    float *norms;       /* BLOCK */
    uint32_t *masks;    /* BLOCK / 8 * scr->qmax */
} scan_job;

/* Rows scored together: 256 rows of 384 floats stay in L2 while every query of
 * a batch passes over them. */
#define BLOCK 256
/* How far ahead a single-query scan prefetches (at least two rows). */
#define PF_BYTES 8192
/* Batches of at least this many queries are screened (see screen_block): already
 * at two, screening beat the exact block kernel (100k x 384: 3.7 against 5.9 ms
 * per query; at 4 they were even, at 8 the screen was 3x faster). */
#define SCREEN_MIN_QUERIES 2

/* Whether a score would enter a full top-k: most rows of a scan fail this first
 * comparison, so it is done here, inline. */
static inline bool beats_worst(const ntopk *t, float v, uint64_t row) {
    if (t->n < t->k) return true;
    const ntopk_item *w = &t->heap[0];
    if (v > w->score) return true;
    if (v < w->score) return false;
    return nidus__rank_before(v, row, w->score, w->row); /* a tie, or NaN */
}

/* Offer one exact score to a query's top-k: the min_score gate (a NaN passes it,
 * as in nidus 0.3), then the inline "beats the worst kept" test, then the push. */
static inline void offer(const scan_job *j, ntopk *t, float v, uint64_t row, const ndoc *d, const ncoll *c) {
    if (j->gate && v < j->min) return;
    if (beats_worst(t, v, row)) nidus__topk_push(t, v, row, d, c);
}

/* One block of the scan: up to BLOCK docs that pass the filter, in scan order. */
typedef struct block {
    const float *rows[BLOCK];
    uint64_t rowno[BLOCK];
    const ndoc *docs[BLOCK];
    const ncoll *colls[BLOCK];
    size_t n;
} block;

/* Where a job's scan stands: position pos, inside scope[s], which starts at base. */
typedef struct cursor {
    size_t pos, s, base;
} cursor;

/* Ask for every line of the rows [from, to) of b (into L2 and closer). */
static void prefetch_rows(const block *b, size_t from, size_t to, uint32_t dim) {
    for (size_t r = from; r < to; r++)
        for (size_t off = 0; off < (size_t)dim * sizeof(float); off += 64)
            __builtin_prefetch((const char *)b->rows[r] + off, 0, 2);
}

/* A batch block without a screen: the exact blocked kernel scores every
 * (query, row) pair, reading each row from cache for all queries. */
static void exact_block(scan_job *j, const block *blk) {
    nidus__kblock(j->q, j->nq, blk->rows, blk->n, j->dim, j->scores, BLOCK);
    for (size_t qi = 0; qi < j->nq; qi++) {
        const float *sc = j->scores + qi * BLOCK;
        ntopk *t = &j->tops[qi];
        for (size_t b = 0; b < blk->n; b++) offer(j, t, sc[b], blk->rowno[b], blk->docs[b], blk->colls[b]);
    }
}

/* Screening keeps results exact: see nidus__screen_coef in screen.c. */
static float lower_threshold(const ntopk *t, bool gate, float min) {
    float w = -INFINITY;
    if (t->n == t->k && !isnan(t->heap[0].score)) w = t->heap[0].score; /* a NaN worst: anything beats it */
    if (gate && min > w) w = min;
    return nidus__screen_floor(w);
}

/* A batch block with the screen: pack the rows into panels, screen every query
 * group, score the pairs that pass exactly. Returns false (nothing done) when a
 * row's norm is not finite: the margin needs finite norms, so such a block (only
 * foreign data can hold one) goes through the exact kernel. */
static bool screen_block(scan_job *j, block *cur, const block *next) {
    const float **rows = cur->rows;
    const ndoc *const *docs = cur->docs;
    const ncoll *const *colls = cur->colls;
    size_t nb = cur->n;
    const nidus__screen *s = j->scr;
    const size_t w = s->width, span = 2 * w, dim = j->dim;
    size_t padded = (nb + span - 1) / span * span;
    for (size_t r = nb; r < padded; r++) rows[r] = j->zero;
    s->pack(rows, padded, dim, (unsigned)w, j->panels, j->norms);
    for (size_t r = 0; r < nb; r++)
        if (!isfinite(j->norms[r])) return false;
    const nidus__dot_fn dot = nidus__kdot_fn();
    size_t npan = padded / w;
    size_t groups = (j->nq + s->qmax - 1) / s->qmax, g = 0;
    for (size_t qs = 0; qs < j->nq; qs += s->qmax, g++) {
        unsigned qw = (unsigned)(j->nq - qs < s->qmax ? j->nq - qs : s->qmax);
        /* The next block's rows, a share per query group. */
        prefetch_rows(next, next->n * g / groups, next->n * (g + 1) / groups, j->dim);
        float thr[32];
        for (unsigned x = 0; x < qw; x++) thr[x] = lower_threshold(&j->tops[qs + x], j->gate, j->min);
        s->screen(j->qpack + qs * j->qstride, qw, j->panels, npan, dim, thr, j->cq + qs, j->norms, j->masks);
        for (size_t p = 0; p < npan; p++)
            for (unsigned x = 0; x < qw; x++) {
                ntopk *t = &j->tops[qs + x];
                const float *q = j->q + (qs + x) * dim;
                for (uint32_t m = j->masks[p * qw + x]; m; m &= m - 1) {
                    size_t b = p * w + (size_t)__builtin_ctz(m);
                    if (b >= nb) break; /* padding */
                    offer(j, t, dot(q, rows[b], dim), cur->rowno[b], docs[b], colls[b]);
                }
            }
    }
    return true;
}

static void fill_block(const scan_job *j, cursor *c, block *b) {
    b->n = 0;
    while (c->pos < j->hi && b->n < BLOCK) {
        while (c->pos - c->base >= j->scope[c->s]->n) c->base += j->scope[c->s++]->n;
        const ncoll *coll = j->scope[c->s];
        const nscan *o = &j->orders[c->s];
        size_t i = c->pos - c->base;
        c->pos++;
        /* Only a filter reads the doc here; the rest needs its address and row. */
        const ndoc *d = &coll->docs[o->idx ? o->idx[i] : i];
        if (j->f && !nidus__filter_match(j->f, &d->attrs)) continue;
        uint64_t row = o->idx ? o->row[i] : d->row;
        b->rows[b->n] = j->mat + row * j->dim;
        b->rowno[b->n] = row;
        b->docs[b->n] = d;
        b->colls[b->n] = coll;
        b->n++;
    }
}

static void *scan_run(void *arg) {
    scan_job *j = arg;
    block bufs[2];
    block *cur = &bufs[0], *next = &bufs[1];
    cursor c = {j->lo, 0, 0};
    /* Find the collection holding position lo. */
    while (c.s < j->nscope && c.base + j->scope[c.s]->n <= j->lo) c.base += j->scope[c.s++]->n;
    if (j->nq > 1) {
        /* A batch: while one block is scored, the next one's rows are fetched
         * (the scoring is compute-bound, so memory would otherwise idle). */
        fill_block(j, &c, cur);
        if (!j->scr) prefetch_rows(cur, 0, cur->n, j->dim);
        while (cur->n) {
            fill_block(j, &c, next);
            if (!j->scr || !screen_block(j, cur, next)) {
                prefetch_rows(next, 0, next->n, j->dim);
                exact_block(j, cur);
            }
            block *t = cur;
            cur = next, next = t;
        }
        return NULL;
    }
    /* One query: row after row, in storage order, each row's lines asked for
     * PF_BYTES ahead. The hardware prefetcher follows a sequential stream but
     * stops at page edges; the software prefetch keeps memory busy across them
     * (measured against hnswlib in one process, bench/paired.cpp: 1.09-1.13x
     * its time without, 0.94-0.97x with, at 100k x 384; 100-d rows gain most).
     * Four rows interleaved per kernel call ran slower (1.3-1.5x the roofline). */
    ntopk *t = &j->tops[0];
    size_t ahead = PF_BYTES / ((size_t)j->dim * sizeof(float));
    if (ahead < 2) ahead = 2;
    float sc[BLOCK];
    if (j->f) { /* a filter reads each doc: gather the survivors block by block */
        for (fill_block(j, &c, cur); cur->n; fill_block(j, &c, cur)) {
            nidus__kscan1(j->q, j->mat, cur->rowno, cur->n, j->dim, sc, ahead);
            for (size_t b = 0; b < cur->n; b++) offer(j, t, sc[b], cur->rowno[b], cur->docs[b], cur->colls[b]);
        }
        return NULL;
    }
    /* No filter: the kernel reads the rows straight from the scan list; a doc is
     * touched only when its row enters the top-k. */
    uint64_t tmp[BLOCK];
    while (c.pos < j->hi) {
        while (c.pos - c.base >= j->scope[c.s]->n) c.base += j->scope[c.s++]->n;
        const ncoll *coll = j->scope[c.s];
        const nscan *o = &j->orders[c.s];
        size_t i = c.pos - c.base, end = coll->n < j->hi - c.base ? coll->n : j->hi - c.base;
        size_t cnt = end - i < BLOCK ? end - i : BLOCK;
        const uint64_t *rn = o->idx ? o->row + i : tmp;
        if (!o->idx)
            for (size_t x = 0; x < cnt; x++) tmp[x] = coll->docs[i + x].row;
        nidus__kscan1(j->q, j->mat, rn, cnt, j->dim, sc, ahead);
        for (size_t b = 0; b < cnt; b++) offer(j, t, sc[b], rn[b], &coll->docs[o->idx ? o->idx[i + b] : i + b], coll);
        c.pos += cnt;
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
    nscan *orders = NULL;
    nfilter *f = NULL;
    ntopk_item *storage = NULL;
    ntopk *tops = NULL;
    float *scores = NULL;
    scan_job *jobs = NULL;
    pthread_t *tids = NULL;
    float *qpack = NULL, *cq = NULL, *zero = NULL, *scratch = NULL;
    uint32_t *masks = NULL;
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
    size_t want = opts->collections ? opts->n_collections : db->colls.n;
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
            if (!(c = nidus__coll_find(&db->colls, name, strlen(name)))) continue;
            bool dup = false;
            for (size_t x = 0; x < nscope && !dup; x++) dup = scope[x] == c;
            if (dup) continue;
        } else {
            c = db->colls.v[i];
        }
        orders[nscope] = nidus__scan_order(c); /* idx NULL: doc order, still exact */
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

    /* A batch screens when the CPU has a screen. Per thread: panels, norms and
     * masks for one block. */
    const nidus__screen *scr = nq >= SCREEN_MIN_QUERIES && k ? nidus__screen_get() : NULL;
    size_t mask_n = scr ? BLOCK / scr->width * scr->qmax : 0;
    size_t cols = scr ? nidus__screen_cols(scr, dim) : 0, slot = (BLOCK + 16) * (cols + 1);
    if (scr && (!(qpack = nidus__mallocarray(nq, cols * sizeof *qpack)) || !(cq = nidus__mallocarray(nq, sizeof *cq)) ||
                !(zero = nidus__calloc(dim, sizeof *zero)) ||
                !(scratch = nidus__mallocarray((size_t)nt * slot, sizeof *scratch)) ||
                !(masks = nidus__mallocarray((size_t)nt * mask_n, sizeof *masks)))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for a batch of %zu queries", nq);
        goto out;
    }
    if (scr)
        for (size_t qs = 0; qs < nq; qs += scr->qmax) {
            size_t qw = nq - qs < scr->qmax ? nq - qs : scr->qmax;
            scr->pack_queries(q + qs * dim, (unsigned)qw, dim, qpack + qs * cols);
            for (size_t x = 0; x < qw; x++) cq[qs + x] = nidus__screen_coef(scr, q + (qs + x) * dim, dim);
        }

    if (k) {
        for (unsigned t = 0; t < nt; t++)
            jobs[t] = (scan_job){scope, orders, nscope, total * t / nt, total * (t + 1) / nt, db->data.vec, dim,
                                 q, nq, f, opts->has_min_score != 0, opts->min_score, tops + (size_t)t * nq,
                                 scores ? scores + (size_t)t * nq * BLOCK : NULL, scr, qpack, cols, cq, zero,
                                 scr ? scratch + (size_t)t * slot : NULL,
                                 scr ? scratch + (size_t)t * slot + (size_t)BLOCK * cols : NULL,
                                 scr ? masks + (size_t)t * mask_n : NULL};
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
    nidus__free(qpack);
    nidus__free(cq);
    nidus__free(zero);
    nidus__free(scratch);
    nidus__free(masks);
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
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
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
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
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
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
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
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
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
    const char **names = arena_take(a, db->colls.n * sizeof *names, alignof(const char *));
    if (res) *res = (nidus_names){db->colls.n, names};
    for (size_t i = 0; i < db->colls.n; i++) {
        const char *s = arena_str(a, db->colls.v[i]->name.ptr, db->colls.v[i]->name.len);
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
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
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
    uint64_t docs = 0, index = db->colls.cap * sizeof(ncoll *);
    for (size_t i = 0; i < db->colls.n; i++) {
        const ncoll *c = db->colls.v[i];
        docs += c->n;
        index += sizeof *c + c->name.len + 1 + c->cap * sizeof(ndoc) + c->nslots * sizeof(uint64_t) + c->cap * (sizeof(uint32_t) + sizeof(uint64_t));
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

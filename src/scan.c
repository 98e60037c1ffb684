/* scan.c — the scan loops of a search: one job's range of the scope, scored
 * against its queries into their top-ks. Three loops: a batch (blocks of rows
 * scored against every query, screened where the CPU has a screen), one query
 * with a filter (the survivors gathered block by block), one query without (the
 * rows straight from the scan list). The loops are tuned by measurement (the
 * prefetch distances, the inline rejection in offer()); keep them as they are
 * unless a benchmark says otherwise. */
#include "scan.h"

#include <math.h>

#define BLOCK NIDUS__SCAN_BLOCK
/* How far ahead a single-query scan prefetches (at least two rows). */
#define PF_BYTES 8192

/* Offer one exact score to a query's top-k: the min_score gate (a NaN passes it,
 * as in nidus 0.3), then the inline "beats the worst kept" test, then the push. */
static inline void offer(const nscan_job *j, ntopk *t, float v, uint64_t row, const ndoc *d, const ncoll *c) {
    if (j->gate && v < j->min) return;
    if (nidus__topk_beats_worst(t, v, row)) nidus__topk_push(t, v, row, d, c);
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
static void exact_block(nscan_job *j, const block *blk) {
    j->k.block(j->q, j->nq, blk->rows, blk->n, j->dim, j->scores, BLOCK);
    for (size_t qi = 0; qi < j->nq; qi++) {
        const float *sc = j->scores + qi * BLOCK;
        ntopk *t = &j->tops[qi];
        for (size_t b = 0; b < blk->n; b++) offer(j, t, sc[b], blk->rowno[b], blk->docs[b], blk->colls[b]);
    }
}

/* Screening keeps results exact: see nidus__screen_coef in screen.c. */
static float lower_threshold(const nscan_job *j, const ntopk *t, size_t qi) {
    float w = -INFINITY, ca = j->ca[qi];
    if (t->n == t->k && !isnan(t->heap[0].score)) w = t->heap[0].score; /* a NaN worst: anything beats it */
    if (j->gate && j->min > w) w = j->min;
    if (j->l2) return nidus__screen_l2_floor(w, ca);
    return ca != 0 ? nidus__screen_floor_abs(w, ca) : nidus__screen_floor(w);
}

/* A batch block with the screen: pack the rows into panels, screen every query
 * group, score the pairs that pass exactly. Returns false (nothing done) when a
 * row's norm is above NIDUS__SCREEN_NORM_MAX or not a number: the margin's proof
 * needs sums that cannot overflow, so such a block (only huge or foreign rows)
 * goes through the exact kernel. */
static bool screen_block(nscan_job *j, block *cur, const block *next) {
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
        if (!(j->norms[r] <= NIDUS__SCREEN_NORM_MAX)) return false;
    if (j->l2) nidus__screen_l2_norms(j->norms, padded); /* the test's row term is |x|^2 */
    const nidus__dot_fn dot = j->k.score;
    size_t npan = padded / w;
    size_t groups = (j->nq + s->qmax - 1) / s->qmax, g = 0;
    for (size_t qs = 0; qs < j->nq; qs += s->qmax, g++) {
        unsigned qw = (unsigned)(j->nq - qs < s->qmax ? j->nq - qs : s->qmax);
        /* The next block's rows, a share per query group. */
        prefetch_rows(next, next->n * g / groups, next->n * (g + 1) / groups, j->dim);
        float thr[32];
        for (unsigned x = 0; x < qw; x++) thr[x] = lower_threshold(j, &j->tops[qs + x], qs + x);
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

/* The doc at position i of a scan order. */
static inline const ndoc *doc_at(const ncoll *coll, const nscan *o, size_t i) {
    return &coll->docs[o->idx ? o->idx[i] : i];
}

#define FILTER_AHEAD 16
static void fill_block(const nscan_job *j, cursor *c, block *b) {
    b->n = 0;
    while (c->pos < j->hi && b->n < BLOCK) {
        while (c->pos - c->base >= j->orders[c->s].n) c->base += j->orders[c->s++].n;
        const ncoll *coll = j->scope[c->s];
        const nscan *o = &j->orders[c->s];
        size_t i = c->pos - c->base;
        c->pos++;
        /* Only a filter reads the doc here; the rest needs its address and row. The
         * docs of a scan order (and a filter index's candidates) lie anywhere in
         * memory, and so do their attributes: the doc is asked for FILTER_AHEAD
         * positions early, its attributes half that (by then the doc is in). */
        if (j->f) {
            if (i + FILTER_AHEAD < o->n) __builtin_prefetch(doc_at(coll, o, i + FILTER_AHEAD));
            if (i + FILTER_AHEAD / 2 < o->n) __builtin_prefetch(doc_at(coll, o, i + FILTER_AHEAD / 2)->attrs.items);
        }
        const ndoc *d = doc_at(coll, o, i);
        if (j->f && !nidus__filter_match(j->f, &d->attrs)) continue;
        uint64_t row = o->idx ? o->row[i] : d->row;
        b->rows[b->n] = j->mat + row * j->dim;
        b->rowno[b->n] = row;
        b->docs[b->n] = d;
        b->colls[b->n] = coll;
        b->n++;
    }
}

/* A batch: while one block is scored, the next one's rows are fetched (the
 * scoring is compute-bound, so memory would otherwise idle). */
static void scan_batch(nscan_job *j, cursor c) {
    block bufs[2];
    block *cur = &bufs[0], *next = &bufs[1];
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
}

/* One query: row after row, in storage order, each row's lines asked for
 * PF_BYTES ahead. The hardware prefetcher follows a sequential stream but
 * stops at page edges; the software prefetch keeps memory busy across them
 * (measured against hnswlib in one process, bench/paired.cpp: 1.09-1.13x
 * its time without, 0.94-0.97x with, at 100k x 384; 100-d rows gain most).
 * Four rows interleaved per kernel call ran slower (1.3-1.5x the roofline).
 * This is the distance, in rows. */
static inline size_t rows_ahead(uint32_t dim) {
    size_t ahead = PF_BYTES / ((size_t)dim * sizeof(float));
    return ahead < 2 ? 2 : ahead;
}

/* The score a row must reach to matter to a single query's top-k: the k-th
 * best's (once there are k; a NaN worst: anything beats it) or min_score, if
 * higher. A row whose exact score is below it cannot enter the result. */
static inline double shadow_floor(const nscan_job *j, const ntopk *t) {
    float w = -INFINITY;
    if (t->n == t->k && !isnan(t->heap[0].score)) w = t->heap[0].score;
    if (j->gate && j->min > w) w = j->min;
    return w;
}

/* One block of a single query through the shadow (SPEC.md §13): the integer dot
 * of every row's codes, its proven upper bound on the exact score, and the exact
 * kernel for the rows whose bound reaches the floor. A row held back has an exact
 * score below the floor, which only rises: it could not be in the result, not
 * even by a tie. The offers come in the same order as without the shadow. */
static void shadow_block(nscan_job *j, ntopk *t, const uint64_t *rn, size_t cnt, const ndoc *const *docs,
                         const ncoll *coll, const nscan *o, size_t i0, const ncoll *const *colls) {
    const nshadow_q *sq = j->shq;
    int32_t D[BLOCK];
    size_t ahead = PF_BYTES / sq->sh->stride;
    j->idot(sq->codes, sq->sh->codes, rn, cnt, sq->sh->stride, D, ahead < 2 ? 2 : ahead);
    double w = shadow_floor(j, t);
    for (size_t b = 0; b < cnt; b++) {
        if (nidus__shadow_ub(sq, rn[b], D[b]) < w) continue;
        float v = j->k.score(j->q, j->mat + rn[b] * j->dim, j->dim);
        const ndoc *d = docs ? docs[b] : doc_at(coll, o, i0 + b);
        offer(j, t, v, rn[b], d, colls ? colls[b] : coll);
        w = shadow_floor(j, t);
    }
}

/* One query with a filter: the filter reads each doc, so the survivors are
 * gathered block by block and then scored. */
static void scan_filtered(nscan_job *j, cursor c) {
    ntopk *t = &j->tops[0];
    size_t ahead = rows_ahead(j->dim);
    float sc[BLOCK];
    block buf, *cur = &buf;
    for (fill_block(j, &c, cur); cur->n; fill_block(j, &c, cur)) {
        if (j->shq) {
            shadow_block(j, t, cur->rowno, cur->n, cur->docs, NULL, NULL, 0, cur->colls);
            continue;
        }
        j->k.scan1(j->q, j->mat, cur->rowno, cur->n, j->dim, sc, ahead);
        for (size_t b = 0; b < cur->n; b++) offer(j, t, sc[b], cur->rowno[b], cur->docs[b], cur->colls[b]);
    }
}

/* One query without a filter: the kernel reads the rows straight from the scan
 * list; a doc is touched only when its row enters the top-k. */
static void scan_unfiltered(nscan_job *j, cursor c) {
    ntopk *t = &j->tops[0];
    size_t ahead = rows_ahead(j->dim);
    float sc[BLOCK];
    uint64_t tmp[BLOCK];
    while (c.pos < j->hi) {
        while (c.pos - c.base >= j->orders[c.s].n) c.base += j->orders[c.s++].n;
        const ncoll *coll = j->scope[c.s];
        const nscan *o = &j->orders[c.s];
        size_t i = c.pos - c.base, end = o->n < j->hi - c.base ? o->n : j->hi - c.base;
        size_t cnt = end - i < BLOCK ? end - i : BLOCK;
        const uint64_t *rn = o->idx ? o->row + i : tmp;
        if (!o->idx)
            for (size_t x = 0; x < cnt; x++) tmp[x] = coll->docs[i + x].row;
        if (j->shq) {
            shadow_block(j, t, rn, cnt, NULL, coll, o, i, NULL);
            c.pos += cnt;
            continue;
        }
        j->k.scan1(j->q, j->mat, rn, cnt, j->dim, sc, ahead);
        for (size_t b = 0; b < cnt; b++) offer(j, t, sc[b], rn[b], doc_at(coll, o, i + b), coll);
        c.pos += cnt;
    }
}

void *nidus__scan_run(void *arg) {
    nscan_job *j = arg;
    cursor c = {j->lo, 0, 0};
    /* Find the collection holding position lo. */
    while (c.s < j->nscope && c.base + j->orders[c.s].n <= j->lo) c.base += j->orders[c.s++].n;
    if (j->nq > 1)
        scan_batch(j, c);
    else if (j->f)
        scan_filtered(j, c);
    else
        scan_unfiltered(j, c);
    return NULL;
}

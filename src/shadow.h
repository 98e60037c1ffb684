/* shadow.h — the shadow copy (SPEC.md §13): every row of `data` coded as int8
 * with a per-row scale, plus per-row bounds, so that a single query can screen
 * rows by a score estimate with a proven error bound and rescore only the rows
 * that can still enter its top-k with the exact kernel. Derived data, in memory
 * only; kept in step with `data` by nidus__shadow_sync. Internal. */
#ifndef NIDUS__SHADOW_H
#define NIDUS__SHADOW_H

#include "nidus_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

/* Per row: the code's scale s (x ~ s * c), and the bounds of §13 (rounded up,
 * except l2lo, rounded down). a = s |c|; b = dot/cosine: |r| + gamma |x|,
 * euclidean: |r| (r = x - s c); l2lo = |x|^2 (euclidean only). A row that cannot
 * be bounded (a value not finite or above 2^60, or a scale below 2^-126) has
 * a = b = +inf: it is always rescored. */
typedef struct nshadow_row {
    float s, a, b, l2lo;
} nshadow_row;

typedef struct nshadow {
    pthread_mutex_t mu; /* searches share the read lock: the sync runs under it */
    bool off;           /* a dimension it cannot serve */
    int distance;
    uint32_t dim;
    size_t stride;        /* bytes per code row: dim rounded up to 16, code 0 as padding */
    int8_t *codes;        /* cap * stride */
    nshadow_row *meta;    /* cap */
    uint64_t cap;
    _Atomic uint64_t rows; /* rows [0, rows) of `data` are coded */
    _Atomic bool shaped;   /* dim, distance, stride and off are set (first sync) */
} nshadow;

/* The coded query of one search (search.c fills it; the scan jobs read it). */
typedef struct nshadow_q {
    const nshadow *sh;
    int8_t *codes; /* stride bytes, zero padded */
    float t;       /* its scale */
    double P, Q;   /* upper bounds of |q - t d| and |q| */
    double A;      /* euclidean: a lower bound of |q|^2 */
    double absl;   /* the absolute slack: underflow of the exact kernel */
    double g2;     /* euclidean: the exact kernel's relative error, gamma_m + 4u */
    bool l2;
} nshadow_q;

void nidus__shadow_init(nshadow *sh);
/* Free the buffers (the mutex stays: the handle's close destroys it with _free). */
void nidus__shadow_release(nshadow *sh);
void nidus__shadow_free(nshadow *sh);
/* Rows were renumbered (compaction): code everything again at the next sync. */
void nidus__shadow_reset(nshadow *sh);
/* Code rows [sh->rows, d->rows) (only rows appended since the last sync: rows
 * keep their vectors until compaction, which resets). Returns whether the shadow
 * covers every row of d (false: a dimension it cannot serve, or out of memory;
 * the search goes exact). The first call fixes the dimension and the metric. */
bool nidus__shadow_sync(nshadow *sh, const ndata *d, int distance);
/* Rows a sync would code now (an estimate: searches may be syncing). */
uint64_t nidus__shadow_pending(const nshadow *sh, const ndata *d);
/* Code query q (dim floats, as the exact kernel sees it) into out, codes being
 * stride bytes the caller owns. false: the query cannot be bounded (a value above
 * 2^60 or a scale below 2^-126): the search goes exact. */
bool nidus__shadow_query(const nshadow *sh, const float *q, int8_t *codes, nshadow_q *out);
/* Bytes the shadow holds (footprint). */
uint64_t nidus__shadow_bytes(nshadow *sh);

/* The integer dots of the query codes against rows rows[0..nr) of the codes:
 * out[r] = sum_i q[i] * codes[rows[r] * stride + i], exact (|sum| < 2^31 for
 * stride < 2^17). Each row's lines are prefetched `ahead` rows early. */
typedef void (*nidus__idot_fn)(const int8_t *q, const int8_t *codes, const uint64_t *rows, size_t nr,
                               size_t stride, int32_t *out, size_t ahead);
nidus__idot_fn nidus__idot_get(void);

/* The upper bound of row `row`'s exact score given its integer dot D (§13). */
static inline double nidus__shadow_ub(const nshadow_q *q, uint64_t row, int32_t D) {
    const nshadow_row *m = &q->sh->meta[row];
    double est = (double)m->s * (double)q->t * (double)D;
    double err = q->P * (double)m->a + q->Q * (double)m->b;
    double qx = est + err + 0x1p-45 * (fabs(est) + err);
    if (!q->l2) return qx + q->absl; /* NaN or +inf for a row that is not coded: never below */
    if (!(qx < INFINITY)) return INFINITY; /* not coded: its score may be NaN, which passes min_score */
    double D2 = q->A + (double)m->l2lo - 2 * qx;
    D2 -= 0x1p-45 * (q->A + (double)m->l2lo + 2 * fabs(qx));
    if (!(D2 > 0)) D2 = 0;
    return -D2 * (1 - q->g2) + q->absl;
}

/* The coder of a row or query: scale, codes (the stride zero padded) and the
 * sums the bounds come from (|c|^2 exactly, |x - s c|^2 and |x|^2 in double);
 * false when it cannot be bounded. Every kernel's gives the same bits. */
typedef bool (*nidus__code_fn)(const float *v, uint32_t n, int8_t *c, size_t stride, float *scale, uint64_t *c2,
                               double *r2, double *x2);
/* Test hooks: every int8 kernel this build and CPU runs (portable first), with
 * its coder (codes may be NULL). */
size_t nidus__idot_kernels(const char **names, nidus__idot_fn *fns, nidus__code_fn *codes, size_t cap);

#endif

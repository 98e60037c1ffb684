/*
 * fuzz_shadow — the shadow copy's screen (src/shadow.c, SPEC.md §13) against the
 * exact path.
 *
 * Input: byte 0 the metric (mod 3), byte 1 the dimension (1..48), byte 2 the row
 * count (1..64); then per row a scale byte (the exponent, -150..+75) and two
 * bytes per element (a signed 16-bit mantissa), zeros once the input runs out;
 * then up to 8 queries the same way, each followed by an options byte (top_k
 * 1..16, min_score on or off, a filter on g, threads 1 or 2) and a min_score byte.
 * Rows that do not fit the metric (a cosine store normalizes) are stored as the
 * store makes them; the row with a zero scale byte repeats the previous row with
 * its last element moved by one ulp (near ties), a scale byte of 0xFF copies
 * row 0 (exact ties).
 *
 * Properties:
 *  - for every row and query the shadow codes, the bound is at least the exact
 *    kernel's score, and every int8 kernel gives the portable integers;
 *  - a single-query search on an in-memory store with the shadow returns exactly
 *    the hits (ids, rows, score bits, order) of the same search on a store
 *    without it, for every option the input picks;
 *  - never a crash, an out-of-bounds read, a leak or undefined behaviour.
 */
#include "common.h"

#include <math.h>

#include "shadow.h"

#define MAXD 48
#define MAXR 64

typedef struct src {
    const uint8_t *p;
    size_t n, i;
} src;

static unsigned byte(src *s) { return s->i < s->n ? s->p[s->i++] : 0; }

static void vec(src *s, float *v, uint32_t dim, int scale) {
    for (uint32_t i = 0; i < dim; i++) {
        int m = (int16_t)(byte(s) | byte(s) << 8);
        v[i] = ldexpf((float)m / 32768.0f, scale);
    }
}

static void check_bound(int metric, const float *rows, size_t nr, uint32_t dim, const float *q) {
    nshadow sh;
    nidus__shadow_init(&sh);
    ndata d = {.fd = -1, .dim = dim, .vec = (float *)rows, .rows = nr, .cap_rows = nr};
    FZ_CHECK(nidus__shadow_sync(&sh, &d, metric));
    int8_t qc[64];
    nshadow_q sq;
    if (nidus__shadow_query(&sh, q, qc, &sq)) {
        uint64_t idx[MAXR];
        int32_t want[MAXR], got[MAXR];
        for (size_t r = 0; r < nr; r++) idx[r] = r;
        const char *names[4];
        nidus__idot_fn fns[4];
        size_t nk = nidus__idot_kernels(names, fns, NULL, 4);
        fns[0](qc, sh.codes, idx, nr, sh.stride, want, 2);
        for (size_t k = 1; k < nk && k < 4; k++) {
            fns[k](qc, sh.codes, idx, nr, sh.stride, got, 2);
            FZ_CHECK(memcmp(got, want, nr * sizeof *got) == 0);
        }
        for (size_t r = 0; r < nr; r++) {
            const float *x = rows + r * dim;
            float e = metric == NIDUS_DISTANCE_EUCLIDEAN ? nidus__l2neg(q, x, dim) : nidus__dot(q, x, dim);
            double ub = nidus__shadow_ub(&sq, r, want[r]);
            FZ_CHECK_MSG(!(ub < e), "metric %d dim %u row %zu: bound %.17g below exact %.9g", metric, dim, r, ub,
                         (double)e);
        }
    }
    nidus__shadow_free(&sh);
}

static void same(const nidus_hits *a, const nidus_hits *b) {
    FZ_CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        FZ_CHECK(a->hits[i].row == b->hits[i].row);
        FZ_CHECK(memcmp(&a->hits[i].score, &b->hits[i].score, 4) == 0);
        FZ_CHECK(strcmp(a->hits[i].id, b->hits[i].id) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    src s = {data, size, 0};
    int metric = (int)(byte(&s) % 3);
    uint32_t dim = 1 + byte(&s) % MAXD;
    size_t nr = 1 + byte(&s) % MAXR;
    static float rows[MAXR * MAXD], stored[MAXR * MAXD], q[MAXD];
    nidus_db *on = NULL, *off = NULL;
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = metric;
    FZ_CHECK(nidus_open_memory_cfg(&c, &on) == NIDUS_OK);
    c.shadow = 0;
    FZ_CHECK(nidus_open_memory_cfg(&c, &off) == NIDUS_OK);
    for (size_t r = 0; r < nr; r++) {
        unsigned sc = byte(&s);
        float *x = rows + r * dim;
        if (sc == 0 && r > 0) {
            memcpy(x, x - dim, dim * sizeof *x);
            x[dim - 1] = nextafterf(x[dim - 1], INFINITY);
        } else if (sc == 0xFF) {
            memcpy(x, rows, dim * sizeof *x); /* a copy of row 0 (or its own zeros) */
        } else {
            vec(&s, x, dim, (int)sc - 150);
        }
        char id[24];
        snprintf(id, sizeof id, "r%zu", r);
        nidus_attr a = {"g", nidus_int((int64_t)(r % 3))};
        nidus_record rec = {id, x, dim, &a, 1};
        FZ_CHECK(nidus_upsert(on, "c", &rec, 1) == NIDUS_OK);
        FZ_CHECK(nidus_upsert(off, "c", &rec, 1) == NIDUS_OK);
    }
    /* The rows as stored (a cosine store normalized them), for the bound check. */
    nidus_docs *all = NULL;
    FZ_CHECK(nidus_get_all(off, "c", &all) == NIDUS_OK);
    for (size_t i = 0; i < all->count; i++) /* record rN is row N: one row per upsert */
        memcpy(stored + strtoul(all->docs[i].id + 1, NULL, 10) * dim, all->docs[i].vector, dim * 4);
    nidus_free(all);
    nidus_value g1 = nidus_int(1);
    nidus_filter eq = nidus__f_value(NIDUS_F_EQ, "g", g1);
    for (int k = 0; k < 8 && s.i < s.n; k++) {
        vec(&s, q, dim, (int)(byte(&s) % 110) - 80);
        unsigned ob = byte(&s), mb = byte(&s);
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 1 + ob % 16;
        o.threads = 1 + (ob >> 7);
        if (ob & 0x10) o.where = &eq;
        if (ob & 0x20) o.has_min_score = 1, o.min_score = ldexpf((float)(int8_t)mb, (int)(ob & 0x40 ? -7 : 3));
        nidus_hits *a = NULL, *b = NULL;
        int ra = nidus_search(on, q, dim, &o, &a), rb = nidus_search(off, q, dim, &o, &b);
        FZ_CHECK(ra == rb);
        if (ra == NIDUS_OK) same(a, b);
        nidus_free(a);
        nidus_free(b);
        /* The query as the search scores it: normalized in a cosine store. */
        float qq[MAXD];
        memcpy(qq, q, sizeof qq);
        if (metric == NIDUS_DISTANCE_COSINE) nidus__normalize(qq, dim);
        check_bound(metric, stored, nr, dim, qq);
    }
    nidus_close(on);
    nidus_close(off);
    return 0;
}

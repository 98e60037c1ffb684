/* test_shadow.c — the shadow copy (src/shadow.c, SPEC.md §13): that its bound is
 * never below a row's exact score (every dimension 1..1100, every metric, rows
 * built to break it: huge, tiny, subnormal, zero, sparse, last-bit siblings, the
 * query itself), that every int8 kernel gives the portable integers, that the
 * bound is tight enough to screen, and that a single-query search with the shadow
 * returns exactly the hits (ids, rows, score bits) of the same search without it
 * through every option: metrics, top_k, min_score, filters, the filter index,
 * threads, writes, deletes, compaction, batches. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include "shadow.h"

#include <pthread.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}
static float frand(void) { return (float)((double)(next() >> 11) / 9007199254740992.0 * 2 - 1); }

static const int METRICS[] = {NIDUS_DISTANCE_COSINE, NIDUS_DISTANCE_EUCLIDEAN, NIDUS_DISTANCE_DOT};

static float exact(int metric, const float *q, const float *x, size_t n) {
    return metric == NIDUS_DISTANCE_EUCLIDEAN ? nidus__l2neg(q, x, n) : nidus__dot(q, x, n);
}

/* Kinds of adversarial rows. "plain" rows (kind 0) are also held to a tightness
 * check, so a bound that says nothing (say, +inf for everything) fails. */
enum { NKINDS = 14 };
static void make_row(int kind, float *x, const float *q, const float *first, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = frand();
    switch (kind) {
    case 1: for (size_t i = 0; i < n; i++) x[i] = ldexpf(x[i], 50); break;   /* huge, bounded */
    case 2: for (size_t i = 0; i < n; i++) x[i] = ldexpf(x[i], 62); break;   /* above 2^60: never screened */
    case 3: for (size_t i = 0; i < n; i++) x[i] = ldexpf(x[i], -100); break; /* tiny, still coded */
    case 4: for (size_t i = 0; i < n; i++) x[i] = ldexpf(x[i], -135); break; /* subnormal */
    case 5: memset(x, 0, n * sizeof *x); break;
    case 6: memset(x, 0, n * sizeof *x); x[next() % n] = frand(); break; /* sparse */
    case 7: if (x != first) memcpy(x, first, n * sizeof *x);
        x[next() % n] = nextafterf(x[next() % n], INFINITY); break;
    case 8: memcpy(x, q, n * sizeof *x); break;                            /* the query itself */
    case 9: memcpy(x, q, n * sizeof *x); x[0] = nextafterf(x[0], -INFINITY); break;
    case 10: for (size_t i = 0; i < n; i++) x[i] = i % 2 ? ldexpf(x[i], -140) : x[i]; break; /* mixed scales */
    case 11: for (size_t i = 0; i < n; i++) x[i] = 1.0f + ldexpf(x[i], -20); break;          /* far from origin */
    case 12: nidus__normalize(x, n); break;
    case 13: /* on the code grid: coded without residue, so only the exact kernel's rounding is left */
        for (size_t i = 0; i < n; i++) x[i] = ldexpf((float)(int)(x[i] * 127), -6);
        x[next() % n] = ldexpf(127, -6);
        break;
    default: break;
    }
}

static double norm(const float *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Code `rows` rows, then check every kernel's integers and the bound of each row
 * against its exact score, for query q. Returns false when the query itself is
 * not coded (then the search goes exact). */
static bool check_bound(int metric, const float *rows, size_t nrows, size_t n, const float *q, const int *kinds) {
    nshadow sh;
    nidus__shadow_init(&sh);
    ndata d = {.fd = -1, .dim = (uint32_t)n, .vec = (float *)rows, .rows = nrows, .cap_rows = nrows};
    CHECK(nidus__shadow_sync(&sh, &d, metric));
    int8_t *qc = malloc(sh.stride);
    nshadow_q sq;
    bool coded = nidus__shadow_query(&sh, q, qc, &sq);
    if (coded) {
        uint64_t idx[64];
        int32_t want[64], got[64];
        for (size_t r = 0; r < nrows; r++) idx[r] = nrows - 1 - r; /* any order the scan list gives */
        const char *names[4];
        nidus__idot_fn fns[4];
        size_t nk = nidus__idot_kernels(names, fns, NULL, 4);
        CHECK(nk >= 1);
        fns[0](qc, sh.codes, idx, nrows, sh.stride, want, 2);
        for (size_t k = 1; k < nk && k < 4; k++) {
            fns[k](qc, sh.codes, idx, nrows, sh.stride, got, 2);
            for (size_t r = 0; r < nrows; r++)
                if (got[r] != want[r]) t_fail(__FILE__, __LINE__, "%s: dim %zu row %zu: %d != %d", names[k], n, r, got[r], want[r]);
        }
        for (size_t i = 0; i < nrows; i++) {
            uint64_t r = idx[i];
            const float *x = rows + r * n;
            float e = exact(metric, q, x, n);
            double ub = nidus__shadow_ub(&sq, r, want[i]);
            if (ub < e)
                t_fail(__FILE__, __LINE__, "metric %d dim %zu row %llu (kind %d): bound %.17g below exact %.9g", metric, n,
                       (unsigned long long)r, kinds[r], ub, (double)e);
            if (kinds[r] == 0) { /* tight enough to screen: within a few percent of the scale */
                double qn = norm(q, n), xn = norm(x, n);
                double scale = metric == NIDUS_DISTANCE_EUCLIDEAN ? (qn + xn) * (qn + xn) : qn * xn;
                if (!(ub - e <= 0.2 * scale + 1e-30))
                    t_fail(__FILE__, __LINE__, "metric %d dim %zu: bound %.9g vs exact %.9g is loose (scale %.3g)", metric,
                           n, ub, (double)e, scale);
            }
        }
    }
    free(qc);
    nidus__shadow_free(&sh);
    return coded;
}

TEST(shadow_bound_holds_every_dimension_every_metric) {
    enum { R = 2 * NKINDS };
    float *rows = malloc(R * 1100 * sizeof *rows), *q = malloc(1100 * sizeof *q);
    int kinds[R];
    size_t coded = 0, total = 0;
    for (size_t n = 1; n <= 1100; n++)
        for (size_t m = 0; m < 3; m++) {
            int metric = METRICS[m];
            int qk = (int)(next() % 5);
            for (size_t i = 0; i < n; i++) q[i] = frand();
            if (qk == 4) make_row(13, q, q, q, n);
            if (qk == 1) for (size_t i = 0; i < n; i++) q[i] = ldexpf(q[i], 40);
            if (qk == 2) for (size_t i = 0; i < n; i++) q[i] = ldexpf(q[i], -60);
            if (metric == NIDUS_DISTANCE_COSINE || qk == 3) nidus__normalize(q, n);
            for (size_t r = 0; r < R; r++) {
                kinds[r] = (int)(r % NKINDS);
                make_row(kinds[r], rows + r * n, q, rows, n);
                if (metric == NIDUS_DISTANCE_COSINE) nidus__normalize(rows + r * n, n);
            }
            total++;
            coded += check_bound(metric, rows, R, n, q, kinds);
        }
    CHECK(coded == total); /* every query of this test can be coded */
    free(rows);
    free(q);
}

/* Every coder gives the portable one's codes, scale and sums, bit for bit. */
TEST(shadow_coders_match_portable_bit_for_bit) {
    const char *names[4];
    nidus__idot_fn fns[4];
    nidus__code_fn codes[4];
    size_t nk = nidus__idot_kernels(names, fns, codes, 4);
    float *x = malloc(1100 * sizeof *x), *first = malloc(1100 * sizeof *first);
    int8_t *c0 = malloc(1120), *c1 = malloc(1120);
    size_t checked = 0;
    for (size_t n = 1; n <= 1100; n++) {
        make_row(0, first, first, first, n);
        for (int kind = 0; kind < NKINDS; kind++) {
            make_row(kind, x, first, first, n);
            size_t stride = (n + 15) / 16 * 16;
            float s0 = -1, s1 = -1;
            uint64_t cc0 = 1, cc1 = 2;
            double r0 = -1, r1 = -2, x0 = -1, x1 = -2;
            bool ok0 = codes[0](x, (uint32_t)n, c0, stride, &s0, &cc0, &r0, &x0);
            for (size_t k = 1; k < nk && k < 4; k++) {
                memset(c1, 0x55, 1120);
                bool ok1 = codes[k](x, (uint32_t)n, c1, stride, &s1, &cc1, &r1, &x1);
                CHECK(ok0 == ok1);
                CHECK(memcmp(c0, c1, stride) == 0);
                if (!ok0) continue;
                CHECK(memcmp(&s0, &s1, 4) == 0 && cc0 == cc1 && memcmp(&r0, &r1, 8) == 0 && memcmp(&x0, &x1, 8) == 0);
                checked++;
            }
        }
    }
    if (nk > 1) CHECK(checked > 1100 * 10);
    free(x), free(first), free(c0), free(c1);
}

/* Queries the bound cannot serve are refused (the search goes exact), and rows
 * it cannot bound get an infinite bound. */
TEST(shadow_refuses_what_it_cannot_bound) {
    float rows[3 * 4] = {1, 2, 3, 4, 0x1p61f, 0, 0, 0, 1e-39f, 0, 0, 0};
    nshadow sh;
    nidus__shadow_init(&sh);
    ndata d = {.fd = -1, .dim = 4, .vec = rows, .rows = 3, .cap_rows = 3};
    CHECK(nidus__shadow_sync(&sh, &d, NIDUS_DISTANCE_DOT));
    CHECK(isinf(sh.meta[1].a) && isinf(sh.meta[2].a)); /* above 2^60; a subnormal scale */
    CHECK(isfinite(sh.meta[0].a));
    /* Rows a foreign store may hold (writes refuse them): NaN and infinite values.
     * Their bound must never test below a floor, not even a min_score above every
     * real score (a NaN score passes min_score). */
    for (size_t m = 0; m < 3; m++) {
        float odd[2 * 4] = {NAN, 1, 2, 3, INFINITY, 0, -1, 0};
        nshadow so;
        nidus__shadow_init(&so);
        ndata od = {.fd = -1, .dim = 4, .vec = odd, .rows = 2, .cap_rows = 2};
        CHECK(nidus__shadow_sync(&so, &od, METRICS[m]));
        float qs[3][4] = {{1, 2, 3, 4}, {0, 0, 0, 0}, {0.5f, 0, 0, 0}};
        for (int k = 0; k < 3; k++) {
            int8_t oc[32];
            nshadow_q oq;
            CHECK(nidus__shadow_query(&so, qs[k], oc, &oq));
            for (uint64_t r = 0; r < 2; r++) {
                double ub = nidus__shadow_ub(&oq, r, 0);
                CHECK(!(ub < INFINITY)); /* +inf or NaN */
            }
        }
        nidus__shadow_free(&so);
    }
    int8_t qc[32];
    nshadow_q sq;
    float big[4] = {0x1p61f, 0, 0, 0}, tiny[4] = {1e-39f, 0, 0, 0}, zero[4] = {0};
    CHECK(!nidus__shadow_query(&sh, big, qc, &sq));
    CHECK(!nidus__shadow_query(&sh, tiny, qc, &sq));
    CHECK(nidus__shadow_query(&sh, zero, qc, &sq));
    /* Rows appended later are coded at the next sync; a reset codes all again. */
    float more[2 * 4 * 2];
    memcpy(more, rows, sizeof rows / 3 * 2);
    CHECK_U64(sh.rows, 3);
    nidus__shadow_reset(&sh);
    CHECK_U64(sh.rows, 0);
    d.vec = more, d.rows = 2;
    CHECK(nidus__shadow_sync(&sh, &d, NIDUS_DISTANCE_DOT));
    CHECK_U64(sh.rows, 2);
    CHECK(isinf(sh.meta[1].a));
    nidus__shadow_free(&sh);
}

/* ---- searches with and without the shadow ---- */

static nidus_db *mem(uint32_t dim, int metric, int shadow) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = metric;
    c.shadow = shadow;
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    return db;
}

/* Search both handles alike and compare. */
static void compare(nidus_db *on, nidus_db *off, const float *q, uint32_t dim, const nidus_search_opts *o) {
    nidus_hits *a = NULL, *b = NULL;
    CHECK_OK_DB(on, nidus_search(on, q, dim, o, &a));
    CHECK_OK_DB(off, nidus_search(off, q, dim, o, &b));
    th_same_hits(a, b);
    nidus_free(a);
    nidus_free(b);
}

/* Upsert n rows of adversarial kinds with an Int attribute "g" (0..3) into both. */
static void fill(nidus_db *on, nidus_db *off, const char *coll, size_t n, uint32_t dim, size_t id0, const float *q) {
    float *v = malloc((size_t)n * dim * sizeof *v);
    nidus_record *r = malloc(n * sizeof *r);
    nidus_attr *at = malloc(n * sizeof *at);
    char (*ids)[24] = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        int kind = next() % 3 ? 0 : (int)(next() % NKINDS);
        make_row(kind, v + i * dim, q, v, dim);
        /* near ties: many copies and last-bit neighbours of a few rows */
        if (i > 0 && next() % 4 == 0) memcpy(v + i * dim, v + (next() % i) * dim, dim * sizeof *v);
        snprintf(ids[i], sizeof ids[i], "d%zu", id0 + i);
        at[i] = (nidus_attr){"g", nidus_int((int64_t)(next() % 4))};
        r[i] = (nidus_record){ids[i], v + i * dim, dim, &at[i], 1};
    }
    CHECK_OK_DB(on, nidus_upsert_ex(on, coll, r, n, 0));
    CHECK_OK_DB(off, nidus_upsert_ex(off, coll, r, n, 0));
    free(v), free(r), free(at), free(ids);
}

static void query(float *q, uint32_t dim, int metric, const float *copy) {
    for (uint32_t i = 0; i < dim; i++) q[i] = copy && next() % 2 ? copy[i] : frand();
    if (next() % 3 == 0) q[next() % dim] = nextafterf(q[0], INFINITY);
    if (metric != NIDUS_DISTANCE_COSINE && next() % 4 == 0)
        for (uint32_t i = 0; i < dim; i++) q[i] = ldexpf(q[i], (int)(next() % 80) - 40);
}

static void compare_many(nidus_db *on, nidus_db *off, uint32_t dim, int metric, int rounds) {
    float q[400];
    nidus_value g1 = nidus_int(1);
    nidus_filter eq = nidus__f_value(NIDUS_F_EQ, "g", g1);
    for (int i = 0; i < rounds; i++) {
        query(q, dim, metric, NULL);
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = (size_t[]){1, 2, 10, 50, 1000}[next() % 5];
        o.threads = next() % 2 ? 1 : 3;
        if (next() % 3 == 0) o.where = &eq;
        if (next() % 4 == 0) {
            o.has_min_score = 1;
            o.min_score = metric == NIDUS_DISTANCE_EUCLIDEAN ? -(float)(next() % 400) / 10 : frand() * 0.3f;
        }
        if (next() % 5 == 0) o.offset = next() % 7;
        compare(on, off, q, dim, &o);
        /* similar: a stored row as the query, the source left out */
        char id[24];
        snprintf(id, sizeof id, "d%d", (int)(next() % 300));
        nidus_hits *a = NULL, *b = NULL;
        int ra = nidus_search_similar(on, "a", id, &o, &a), rb = nidus_search_similar(off, "a", id, &o, &b);
        CHECK_INT(ra, rb);
        if (ra == NIDUS_OK) th_same_hits(a, b);
        nidus_free(a);
        nidus_free(b);
    }
    CHECK(th_fp(on).shadow_bytes > 0); /* the searches went through the shadow */
    CHECK_U64(th_fp(off).shadow_bytes, 0);
}

TEST(shadow_search_equals_exact_every_metric) {
    static const uint32_t dims[] = {1, 3, 8, 33, 100, 384};
    for (size_t m = 0; m < 3; m++)
        for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
            uint32_t dim = dims[di];
            int metric = METRICS[m];
            nidus_db *on = mem(dim, metric, 1), *off = mem(dim, metric, 0);
            float q[400];
            query(q, dim, metric, NULL);
            fill(on, off, "a", 300, dim, 0, q);
            fill(on, off, "b", 200, dim, 1000, q);
            compare_many(on, off, dim, metric, 30);
            /* writes after the shadow was built: appends, overwrites, deletes */
            fill(on, off, "a", 150, dim, 100, q);
            const char *del[] = {"d1", "d2", "d1003", "d140"};
            CHECK_OK_DB(on, nidus_delete(on, "a", del, 4, NULL));
            CHECK_OK_DB(off, nidus_delete(off, "a", del, 4, NULL));
            compare_many(on, off, dim, metric, 30);
            CHECK_OK_DB(on, nidus_compact(on));
            CHECK_OK_DB(off, nidus_compact(off));
            fill(on, off, "b", 50, dim, 5000, q);
            compare_many(on, off, dim, metric, 30);
            nidus_close(on);
            nidus_close(off);
        }
}

/* Enough rows for the scan to use threads (2^18 floats per thread), a filter
 * index narrowing to candidates, and a batch (which does not use the shadow). */
TEST(shadow_search_equals_exact_threads_index_batch) {
    const uint32_t dim = 100;
    for (size_t m = 0; m < 3; m++) {
        int metric = METRICS[m];
        nidus_db *on = mem(dim, metric, 1), *off = mem(dim, metric, 0);
        float q[400];
        query(q, dim, metric, NULL);
        fill(on, off, "a", 9000, dim, 0, q);
        static const char *const F[] = {"g"};
        CHECK_OK_DB(on, nidus_set_filter_index(on, "a", F, 1));
        compare_many(on, off, dim, metric, 40);
        float qs[3 * 100];
        for (int i = 0; i < 3; i++) query(qs + i * dim, dim, metric, NULL);
        nidus_hits *a[3], *b[3];
        CHECK_OK_DB(on, nidus_search_batch(on, qs, 3, dim, NULL, a));
        CHECK_OK_DB(off, nidus_search_batch(off, qs, 3, dim, NULL, b));
        for (int i = 0; i < 3; i++) {
            th_same_hits(a[i], b[i]);
            nidus_free(a[i]);
            nidus_free(b[i]);
        }
        nidus_close(on);
        nidus_close(off);
    }
}

/* A dot store holding rows the shadow cannot bound (above 2^60, subnormal) and
 * rows whose scores overflow: those are always rescored, so hits stay equal. */
TEST(shadow_search_equals_exact_on_raw_extremes) {
    const uint32_t dim = 16;
    for (size_t m = 1; m < 3; m++) {
        int metric = METRICS[m];
        nidus_db *on = mem(dim, metric, 1), *off = mem(dim, metric, 0);
        float v[16];
        char id[16];
        for (int i = 0; i < 400; i++) {
            make_row((int)(next() % NKINDS), v, v, v, dim);
            if (i % 7 == 0) for (uint32_t k = 0; k < dim; k++) v[k] = ldexpf(frand(), 100); /* overflows */
            snprintf(id, sizeof id, "r%d", i);
            CHECK_OK_DB(on, th_put(on, "c", id, v));
            CHECK_OK_DB(off, th_put(off, "c", id, v));
        }
        float q[400];
        for (int i = 0; i < 50; i++) {
            query(q, dim, metric, NULL);
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 1 + next() % 30;
            compare(on, off, q, dim, &o);
        }
        nidus_close(on);
        nidus_close(off);
    }
}

/* A disk store: the shadow is coded at the first search after open, kept
 * through appends, reset by compaction; off by config; reported in footprint. */
TEST(shadow_option_and_footprint) {
    const char *dir = t_tmpdir();
    const uint32_t dim = 48;
    nidus_db *db = th_open(dir, dim);
    float v[48], q[48];
    char id[16];
    for (int i = 0; i < 200; i++) {
        for (uint32_t k = 0; k < dim; k++) v[k] = frand();
        snprintf(id, sizeof id, "x%d", i);
        CHECK_OK_DB(db, th_put(db, "c", id, v));
    }
    CHECK_U64(th_fp(db).shadow_bytes, 0); /* nothing coded before a search */
    for (uint32_t k = 0; k < dim; k++) q[k] = frand();
    nidus_free(th_search(db, NULL, 0, q, 5));
    uint64_t bytes = th_fp(db).shadow_bytes;
    CHECK(bytes >= 200 * (48 + 16)); /* codes (48 bytes: the dimension, a multiple of 16) and bounds */
    nidus_close(db);
    /* Off: nothing kept, same hits. */
    nidus_config c;
    nidus_config_init(&c, dim);
    c.shadow = 0;
    nidus_db *off = th_open_cfg(dir, &c);
    nidus_config got;
    CHECK_OK_DB(off, nidus_get_config(off, &got));
    CHECK_INT(got.shadow, 0);
    db = th_open_ro(dir, dim);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.shadow, 1);
    for (int i = 0; i < 20; i++) {
        for (uint32_t k = 0; k < dim; k++) q[k] = frand();
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 7;
        compare(db, off, q, dim, &o);
    }
    CHECK_U64(th_fp(off).shadow_bytes, 0);
    CHECK(th_fp(db).shadow_bytes > 0);
    nidus_close(db);
    nidus_close(off);
    /* A bad value is refused before anything is touched. */
    c.shadow = 2;
    db = NULL;
    CHECK_RC(nidus_open(dir, &c, &db), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "shadow") != NULL);
    nidus_close(db);
    db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_EINVAL);
    nidus_close(db);
    /* A config from the header before `shadow`: the shadow is on. */
    nidus_config_init(&c, dim);
    c.struct_size = offsetof(nidus_config, shadow);
    db = th_open_cfg(dir, &c);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.shadow, 1);
    nidus_close(db);
}

/* Out of memory at every allocation of a search that codes the rows, and of one
 * after more rows were appended: NIDUS_ENOMEM, or (the shadow is derived data:
 * without it the search goes exact) exactly the hits of the store without it. */
TEST(shadow_search_out_of_memory) {
    const uint32_t dim = 40;
    nidus_db *on = mem(dim, NIDUS_DISTANCE_DOT, 1), *off = mem(dim, NIDUS_DISTANCE_DOT, 0);
    float q[400];
    query(q, dim, NIDUS_DISTANCE_DOT, NULL);
    fill(on, off, "a", 500, dim, 0, q);
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 12;
    long fired = 0;
    for (int round = 0; round < 2; round++) {
        nidus_hits *want = NULL;
        CHECK_OK_DB(off, nidus_search(off, q, dim, &o, &want));
        for (long n = 0;; n++) {
            nidus_hits *got = NULL;
            nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
            int rc = nidus_search(on, q, dim, &o, &got);
            bool hit = nidus__fault_fired();
            nidus__fault_disarm();
            fired += hit;
            if (rc != NIDUS_OK) {
                CHECK(hit);
                CHECK_RC(rc, NIDUS_ENOMEM);
                CHECK(got == NULL);
                continue;
            }
            th_same_hits(got, want);
            nidus_free(got);
            if (!hit) break;
        }
        nidus_free(want);
        CHECK(th_fp(on).shadow_bytes > 0); /* in the end it was coded */
        fill(on, off, "a", 300, dim, 1000, q); /* grow past the shadow's room */
    }
    CHECK(fired > 4);
    nidus_close(on);
    nidus_close(off);
}

/* Compaction renumbers rows by id even when none died (as many rows as before):
 * the shadow must be coded again, not kept. */
TEST(shadow_recoded_after_compaction_without_dead_rows) {
    const uint32_t dim = 24;
    for (size_t m = 0; m < 3; m++) {
        int metric = METRICS[m];
        nidus_db *on = mem(dim, metric, 1), *off = mem(dim, metric, 0);
        float q[400];
        query(q, dim, metric, NULL);
        fill(on, off, "a", 120, dim, 0, q); /* ids d0..d119: row order is not id order */
        compare_many(on, off, dim, metric, 5);
        CHECK_U64(th_fp(on).dead_rows, 0);
        CHECK_OK_DB(on, nidus_compact(on));
        CHECK_OK_DB(off, nidus_compact(off));
        CHECK_U64(th_fp(on).rows, 120);
        compare_many(on, off, dim, metric, 40);
        nidus_close(on);
        nidus_close(off);
    }
}

/* A search that scans few rows of a large store does not code the whole store
 * (it scores its candidates exactly); the next full scan does. */
TEST(shadow_not_coded_for_a_narrow_search) {
    const uint32_t dim = 8;
    nidus_db *on = mem(dim, NIDUS_DISTANCE_DOT, 1), *off = mem(dim, NIDUS_DISTANCE_DOT, 0);
    float q[400];
    query(q, dim, NIDUS_DISTANCE_DOT, NULL);
    fill(on, off, "big", 20000, dim, 0, q);
    fill(on, off, "small", 10, dim, 100000, q);
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    const char *small[] = {"small"};
    o.collections = small;
    o.n_collections = 1;
    compare(on, off, q, dim, &o);
    CHECK_U64(th_fp(on).shadow_bytes, 0);
    o.collections = NULL;
    o.n_collections = 0;
    compare(on, off, q, dim, &o);
    CHECK(th_fp(on).shadow_bytes >= 20010 * (16 + 16));
    nidus_close(on);
    nidus_close(off);
}

/* Rows a foreign writer could leave in `data` (writes refuse them): huge,
 * infinite, NaN, subnormal. Two read-only handles, one with the shadow: the same
 * hits, with min_score too (a NaN score passes it), for every metric. */
TEST(shadow_search_equals_exact_on_foreign_rows) {
    const uint32_t dim = 40, n = 700;
    for (size_t m = 0; m < 3; m++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/s%zu", t_tmpdir(), m);
        nidus_config c;
        nidus_config_init(&c, dim);
        c.distance = METRICS[m];
        nidus_db *db = th_open_cfg(dir, &c);
        float *v = malloc((size_t)n * dim * sizeof *v);
        for (size_t i = 0; i < (size_t)n * dim; i++) v[i] = frand();
        th_fill(db, v, n, dim, false);
        nidus_close(db);
        char path[600];
        snprintf(path, sizeof path, "%s/data", dir);
        FILE *f = fopen(path, "r+b");
        CHECK(f != NULL);
        for (size_t r = 0; r < n; r += 1 + next() % 30) {
            float x[40];
            int kind = (int)(next() % 5);
            for (size_t i = 0; i < dim; i++)
                x[i] = kind == 0 ? frand() * 1e30f : kind == 1 ? frand() * 1e-40f : kind == 4 ? frand() * 0x1p61f : frand();
            if (kind == 2) x[next() % dim] = next() % 2 ? INFINITY : -INFINITY;
            if (kind == 3) x[next() % dim] = NAN;
            CHECK(fseek(f, 64 + (long)(r * dim * sizeof(float)), SEEK_SET) == 0);
            CHECK(fwrite(x, sizeof x, 1, f) == 1);
        }
        fclose(f);
        nidus_config_init(&c, dim);
        c.read_only = 1;
        nidus_db *on = th_open_cfg(dir, &c);
        c.shadow = 0;
        nidus_db *off = th_open_cfg(dir, &c);
        for (int i = 0; i < 40; i++) {
            float q[40];
            query(q, dim, METRICS[m], NULL);
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = (size_t[]){1, 10, 100, 1000}[i % 4];
            o.threads = 1 + (unsigned)(i % 2);
            if (i % 3 == 0) {
                o.has_min_score = 1;
                o.min_score = (float)(next() % 2 ? 1e30 : 0.5); /* above every finite score: only NaN passes */
            }
            compare(on, off, q, dim, &o);
        }
        CHECK(th_fp(on).shadow_bytes > 0);
        nidus_close(on);
        nidus_close(off);
        free(v);
    }
}

/* Searches racing for the first coding (and for each after a write) on one
 * handle: each gets the exact hits. */
typedef struct racer {
    nidus_db *on, *off;
    uint32_t dim;
    unsigned seed;
    int bad;
} racer;

static void *race(void *arg) {
    racer *r = arg;
    uint64_t s = 0x9E3779B97F4A7C15ull * (r->seed + 1);
    for (int i = 0; i < 25; i++) {
        float q[64];
        for (uint32_t k = 0; k < r->dim; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            q[k] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        }
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 5;
        o.threads = 1;
        nidus_hits *a = NULL, *b = NULL;
        if (nidus_search(r->on, q, r->dim, &o, &a) || nidus_search(r->off, q, r->dim, &o, &b)) {
            r->bad++;
        } else if (a->count != b->count) {
            r->bad++;
        } else {
            for (size_t j = 0; j < a->count; j++)
                if (a->hits[j].row != b->hits[j].row || memcmp(&a->hits[j].score, &b->hits[j].score, 4)) r->bad++;
        }
        nidus_free(a);
        nidus_free(b);
    }
    return NULL;
}

TEST(shadow_concurrent_first_searches) {
    const uint32_t dim = 64;
    nidus_db *on = mem(dim, NIDUS_DISTANCE_COSINE, 1), *off = mem(dim, NIDUS_DISTANCE_COSINE, 0);
    float q[400];
    query(q, dim, NIDUS_DISTANCE_COSINE, NULL);
    for (int round = 0; round < 3; round++) {
        fill(on, off, "a", 4000, dim, (size_t)round * 10000, q); /* the next searches must code these */
        racer rs[4];
        pthread_t t[4];
        for (unsigned i = 0; i < 4; i++) {
            rs[i] = (racer){on, off, dim, i + 4 * (unsigned)round, 0};
            CHECK(pthread_create(&t[i], NULL, race, &rs[i]) == 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            CHECK_INT(rs[i].bad, 0);
        }
    }
    nidus_close(on);
    nidus_close(off);
}

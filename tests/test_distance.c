/* test_distance.c — the three distance metrics (nidus 0.5+'s `data` header byte
 * 12): cosine, euclidean (-|q - v|^2) and dot. A brute-force float64 oracle
 * agrees with every search path (single queries filtered and not, threads,
 * batches, min_score) for every metric; batches equal single queries bit for
 * bit, also on raw rows built to stress the screen; the header byte is written at
 * creation and by compaction, adopted, checked (NIDUS_EDIM on a mismatch,
 * NIDUS_EVERSION above 2) and refused cleanly (files untouched); only cosine
 * normalizes; the config, its old size, nidus_open_memory_cfg and
 * nidus_distance_name. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng = 0xD1B54A32D192ED03ull;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}
static float frand(void) { return (float)((double)(next() >> 11) / 9007199254740992.0 * 2 - 1); }

static const int METRICS[] = {NIDUS_DISTANCE_COSINE, NIDUS_DISTANCE_EUCLIDEAN, NIDUS_DISTANCE_DOT};

static nidus_db *mem_store(uint32_t dim, int distance) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = distance;
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    return db;
}

static nidus_db *disk_store(const char *dir, uint32_t dim, int distance) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = distance;
    return th_open_cfg(dir, &c);
}

static int open_rc(const char *dir, uint32_t dim, int distance, int read_only, nidus_db **db) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = distance;
    c.read_only = read_only;
    return nidus_open(dir, &c, db);
}

static int header_byte12(const char *dir) {
    size_t n;
    unsigned char *b = t_read_file(t_path(dir, "data"), &n);
    CHECK(b && n >= 64);
    int v = b[12];
    free(b);
    return v;
}

static void check_same_bytes(const char *path, const unsigned char *want, size_t wn) {
    size_t n;
    unsigned char *b = t_read_file(path, &n);
    CHECK(b != NULL);
    CHECK_U64(n, wn);
    CHECK(memcmp(b, want, wn) == 0);
    free(b);
}

/* ------------------------------------------------------------- oracle ---- */

/* The test data: n rows of dim, with exact duplicates, one-ulp near ties, zero
 * rows, and (raw metrics) rows of very different norms; attribute "m" = r % 3. */
static float *make_rows(size_t n, size_t dim, int distance) {
    float *v = malloc(n * dim * sizeof *v);
    for (size_t r = 0; r < n; r++) {
        float *x = v + r * dim;
        unsigned kind = r ? (unsigned)(next() % 10) : 9;
        if (kind == 0) {
            memcpy(x, x - dim, dim * sizeof *x); /* a duplicate of the row before */
        } else if (kind == 1) {
            memcpy(x, x - dim, dim * sizeof *x); /* a near tie */
            size_t i = next() % dim;
            x[i] = nextafterf(x[i], next() % 2 ? INFINITY : -INFINITY);
        } else if (kind == 2 && r % 7 == 0) {
            memset(x, 0, dim * sizeof *x);
        } else {
            float scale = distance == NIDUS_DISTANCE_COSINE ? 1.0f : (float)ldexp(1, (int)(next() % 13) - 6);
            for (size_t i = 0; i < dim; i++) x[i] = frand() * scale;
        }
    }
    return v;
}

/* The oracle's score of a stored row (rows are stored in row order r here) and
 * the scale its f32 rounding is relative to (the sum of the terms' magnitudes). */
static double oracle(int distance, const float *q, const float *x, size_t dim, double *scale) {
    double s = 0, a = 0;
    for (size_t i = 0; i < dim; i++) {
        if (distance == NIDUS_DISTANCE_EUCLIDEAN) {
            double d = (double)q[i] - x[i];
            s += d * d;
        } else {
            s += (double)q[i] * x[i];
            a += fabs((double)q[i] * x[i]);
        }
    }
    *scale = distance == NIDUS_DISTANCE_EUCLIDEAN ? s : a;
    return distance == NIDUS_DISTANCE_EUCLIDEAN ? -s : s;
}

/* Check one result against the oracle: every hit's score within 1e-6 of its
 * oracle score (relative to the terms' magnitude), hits in (score desc, row asc)
 * order, in oracle order wherever the oracle scores differ by more than the
 * tolerance, no eligible row left out that the oracle ranks clearly above the
 * last hit, and as many hits as there are eligible rows (up to k). */
static void check_against_oracle(int distance, const nidus_hits *h, const float *q, const float *stored, size_t n,
                                 size_t dim, const nidus_search_opts *o, int mfilter) {
    double *sc = malloc(n * sizeof *sc), *tol = malloc(n * sizeof *tol);
    bool *eligible = malloc(n), *hit = calloc(n, 1);
    size_t sure = 0, maybe = 0;
    for (size_t r = 0; r < n; r++) {
        double scale;
        sc[r] = oracle(distance, q, stored + r * dim, dim, &scale);
        tol[r] = 1e-6 * scale + 1e-30;
        eligible[r] = mfilter < 0 || (int)(r % 3) != mfilter;
        if (eligible[r] && o->has_min_score) {
            if (sc[r] >= o->min_score + tol[r]) sure++;
            if (sc[r] >= o->min_score - tol[r]) maybe++;
            eligible[r] = sc[r] >= o->min_score - tol[r];
        } else if (eligible[r]) {
            sure++, maybe++;
        }
    }
    size_t lo = sure < o->top_k ? sure : o->top_k, hi = maybe < o->top_k ? maybe : o->top_k;
    if (h->count < lo || h->count > hi)
        t_fail(__FILE__, __LINE__, "%s dim %zu: %zu hits, want %zu..%zu", nidus_distance_name(distance), dim, h->count,
               lo, hi);
    for (size_t i = 0; i < h->count; i++) {
        const nidus_hit *x = &h->hits[i];
        CHECK(x->row < n);
        size_t r = (size_t)x->row;
        char want_id[24];
        snprintf(want_id, sizeof want_id, "r%zu", r);
        CHECK_STR(x->id, want_id);
        CHECK(eligible[r]);
        CHECK(!hit[r]);
        hit[r] = true;
        if (!(fabs((double)x->score - sc[r]) <= tol[r]))
            t_fail(__FILE__, __LINE__, "%s dim %zu row %zu: score %.9g, oracle %.12g", nidus_distance_name(distance),
                   dim, r, (double)x->score, sc[r]);
        if (i) {
            const nidus_hit *p = &h->hits[i - 1];
            CHECK(p->score > x->score || (p->score == x->score && p->row < x->row));
            size_t pr = (size_t)p->row;
            if (!(sc[pr] >= sc[r] - tol[pr] - tol[r]))
                t_fail(__FILE__, __LINE__, "%s dim %zu: row %zu before row %zu against the oracle",
                       nidus_distance_name(distance), dim, pr, r);
        }
    }
    if (h->count) {
        size_t last = (size_t)h->hits[h->count - 1].row;
        for (size_t r = 0; r < n; r++)
            if (eligible[r] && !hit[r] && sc[r] > sc[last] + tol[r] + tol[last])
                t_fail(__FILE__, __LINE__, "%s dim %zu: row %zu (oracle %.12g) missing, last hit %zu (%.12g)",
                       nidus_distance_name(distance), dim, r, sc[r], last, sc[last]);
    }
    free(sc), free(tol), free(eligible), free(hit);
}

static void oracle_rounds(int distance) {
    static const size_t dims[] = {1, 7, 8, 9, 100, 384};
    static const size_t ks[] = {1, 5, 17, 1000};
    static const size_t nqs[] = {2, 5, 64};
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        size_t dim = dims[di], n = dim >= 100 ? 900 : 600;
        float *v = make_rows(n, dim, distance);
        nidus_db *db = mem_store((uint32_t)dim, distance);
        th_fill_mod3(db, v, n, dim);
        /* What the store holds (cosine: each row normalized, as stored). */
        float *stored = malloc(n * dim * sizeof *stored);
        memcpy(stored, v, n * dim * sizeof *stored);
        if (distance == NIDUS_DISTANCE_COSINE)
            for (size_t r = 0; r < n; r++) nidus__normalize(stored + r * dim, dim);
        size_t maxq = 64;
        float *qs = malloc(maxq * dim * sizeof *qs), *qn = malloc(maxq * dim * sizeof *qn);
        for (size_t j = 0; j < maxq; j++) {
            float *x = qs + j * dim;
            if (j % 4 == 0) memcpy(x, v + (next() % n) * dim, dim * sizeof *x); /* a stored row: ties with its copies */
            else
                for (size_t i = 0; i < dim; i++) x[i] = frand() * (distance == NIDUS_DISTANCE_COSINE ? 3.0f : 1.0f);
        }
        memcpy(qn, qs, maxq * dim * sizeof *qn);
        if (distance == NIDUS_DISTANCE_COSINE)
            for (size_t j = 0; j < maxq; j++) nidus__normalize(qn + j * dim, dim);
        nidus_pred p = {.kind = NIDUS_PRED_IN, .key = "m", .set = (nidus_value[]){nidus_int(0), nidus_int(2)},
                        .set_len = 2};
        for (size_t round = 0; round < 12; round++) {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = ks[round % 4];
            o.threads = 1 + (unsigned)(round / 4 % 2);
            int mfilter = -1;
            if (round % 3 == 1) o.filter = &p, o.n_filter = 1, mfilter = 1;
            if (round % 4 == 2) {
                /* min_score at an exact score of some row: a tie at the gate. */
                double scale;
                o.has_min_score = 1;
                o.min_score = (float)oracle(distance, qn, stored + (next() % n) * dim, dim, &scale);
            }
            /* Single queries. */
            for (size_t j = 0; j < 8; j++) {
                nidus_hits *h = NULL;
                CHECK_OK_DB(db, nidus_search(db, qs + j * dim, dim, &o, &h));
                check_against_oracle(distance, h, qn + j * dim, stored, n, dim, &o, mfilter);
                nidus_free(h);
            }
            /* Batches: each query's hits as the oracle says (and so as single). */
            size_t nq = nqs[round % 3];
            nidus_hits **out = malloc(nq * sizeof *out);
            CHECK_OK_DB(db, nidus_search_batch(db, qs, nq, dim, &o, out));
            for (size_t j = 0; j < nq; j++) {
                check_against_oracle(distance, out[j], qn + j * dim, stored, n, dim, &o, mfilter);
                nidus_hits *one = NULL;
                CHECK_OK_DB(db, nidus_search(db, qs + j * dim, dim, &o, &one));
                CHECK_INT(one->count, out[j]->count);
                for (size_t i = 0; i < one->count; i++) {
                    CHECK_U64(one->hits[i].row, out[j]->hits[i].row);
                    CHECK(memcmp(&one->hits[i].score, &out[j]->hits[i].score, 4) == 0);
                }
                nidus_free(one);
                nidus_free(out[j]);
            }
            free(out);
        }
        nidus_close(db);
        free(v), free(stored), free(qs), free(qn);
    }
}

TEST(distance_oracle_cosine) { oracle_rounds(NIDUS_DISTANCE_COSINE); }
TEST(distance_oracle_euclidean) { oracle_rounds(NIDUS_DISTANCE_EUCLIDEAN); }
TEST(distance_oracle_dot) { oracle_rounds(NIDUS_DISTANCE_DOT); }

/* Threads: a scan split over threads gives the one-thread result bit for bit, for
 * every metric, on a store big enough to start them. */
TEST(distance_threads_equal_one_thread) {
    const size_t dim = 64, n = 20000;
    for (size_t m = 0; m < 3; m++) {
        float *v = make_rows(n, dim, METRICS[m]);
        nidus_db *db = mem_store(dim, METRICS[m]);
        th_fill_mod3(db, v, n, dim);
        for (int j = 0; j < 4; j++) {
            const float *q = v + (next() % n) * dim;
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 50;
            nidus_hits *a = NULL, *b = NULL;
            o.threads = 1;
            CHECK_OK_DB(db, nidus_search(db, q, dim, &o, &a));
            o.threads = 4;
            CHECK_OK_DB(db, nidus_search(db, q, dim, &o, &b));
            CHECK_INT(a->count, b->count);
            for (size_t i = 0; i < a->count; i++) {
                CHECK_U64(a->hits[i].row, b->hits[i].row);
                CHECK(memcmp(&a->hits[i].score, &b->hits[i].score, 4) == 0);
            }
            nidus_free(a), nidus_free(b);
        }
        nidus_close(db);
        free(v);
    }
}

/* --------------------------------------------------- raw rows, screen ---- */

static void batch_equals_single(nidus_db *db, const float *qs, size_t nq, size_t dim, nidus_search_opts *o) {
    nidus_hits **out = malloc(nq * sizeof *out);
    CHECK_OK_DB(db, nidus_search_batch(db, qs, nq, dim, o, out));
    for (size_t i = 0; i < nq; i++) {
        nidus_hits *one = NULL;
        CHECK_OK_DB(db, nidus_search(db, qs + i * dim, dim, o, &one));
        CHECK_INT(one->count, out[i]->count);
        for (size_t x = 0; x < one->count && x < out[i]->count; x++) {
            CHECK_U64(one->hits[x].row, out[i]->hits[x].row);
            CHECK(memcmp(&one->hits[x].score, &out[i]->hits[x].score, 4) == 0);
        }
        nidus_free(one);
        nidus_free(out[i]);
    }
    free(out);
}

/* Raw rows at every scale the screen's proof has a clause for: tiny rows (their
 * squares underflow), huge ones (norm above 2^60: the block goes exact), queries
 * tiny and huge (above 2^60: the batch goes exact), near ties. Batches (screened
 * where the CPU can) equal single queries bit for bit, for dot and euclidean. */
TEST(distance_batches_equal_single_queries_on_raw_rows) {
    static const size_t dims[] = {1, 9, 40, 384};
    for (size_t m = 1; m < 3; m++)
        for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
            size_t dim = dims[di], n = 1200;
            float *v = malloc(n * dim * sizeof *v);
            for (size_t r = 0; r < n; r++) {
                float *x = v + r * dim;
                int e = r < 600 ? (int)(next() % 20) - 10 : (int)(next() % 160) - 80;
                if (r % 97 == 5) e = 70;   /* norm above 2^60 */
                if (r % 89 == 3) e = -100; /* squares far below 2^-126 */
                for (size_t i = 0; i < dim; i++) x[i] = (float)ldexp(frand(), e);
                if (r % 11 == 4) memcpy(x, x - dim, dim * sizeof *x);
            }
            nidus_db *db = mem_store((uint32_t)dim, METRICS[m]);
            th_fill_mod3(db, v, n, dim);
            float *qs = malloc(64 * dim * sizeof *qs);
            for (int round = 0; round < 8; round++) {
                for (size_t j = 0; j < 64; j++) {
                    static const int fixed[] = {59, -60, 90, 0, 0};
                    int e = round < 3 ? (int)(next() % 12) - 6 : fixed[round - 3];
                    for (size_t i = 0; i < dim; i++) qs[j * dim + i] = (float)ldexp(frand(), e);
                    if (round == 6) memcpy(qs + j * dim, v + (next() % n) * dim, dim * sizeof *qs);
                }
                nidus_search_opts o;
                nidus_search_opts_init(&o);
                o.top_k = round % 2 ? 10 : 1;
                o.threads = 1 + (unsigned)(round % 2);
                if (round == 7) {
                    nidus_hits *h = NULL;
                    CHECK_OK_DB(db, nidus_search(db, qs, dim, &o, &h));
                    o.has_min_score = 1;
                    o.min_score = h->count ? h->hits[0].score : 0;
                    nidus_free(h);
                }
                batch_equals_single(db, qs, round % 3 == 0 ? 2 : round % 3 == 1 ? 13 : 64, dim, &o);
            }
            nidus_close(db);
            free(v), free(qs);
        }
}

/* The screen's masks on raw rows: for queries of norm up to 2^59 and rows from
 * 2^-100 to 2^59, with the threshold lowered by nidus__screen_slack, every pair
 * whose exact dot reaches the threshold passes (the proof of screen.c, on the
 * clauses that unit vectors never reach). */
TEST(distance_screen_masks_cover_raw_rows) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    if (!ns) return; /* no screen on this CPU */
    static const size_t dims[] = {1, 8, 17, 100, 384};
    for (size_t k = 0; k < ns; k++)
        for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
            const nidus__screen *sc = s[k];
            size_t dim = dims[di], w = sc->width, nr = 6 * w, nq = sc->qmax, cols = nidus__screen_cols(sc, dim);
            float *m = malloc(nr * dim * sizeof *m), *q = malloc(nq * dim * sizeof *q),
                  *qp = malloc(nq * cols * sizeof *qp), *panels = malloc(nr * cols * sizeof *panels),
                  *norms = malloc(nr * sizeof *norms);
            const float **rows = malloc(nr * sizeof *rows);
            uint32_t *masks = malloc(nr / w * nq * sizeof *masks);
            size_t missed = 0, reach = 0;
            for (int round = 0; round < 6; round++) {
                int qe = round == 0 ? 59 : round == 1 ? 40 : round == 2 ? 0 : round == 3 ? -40 : 20;
                for (size_t j = 0; j < nq; j++)
                    for (size_t i = 0; i < dim; i++)
                        q[j * dim + i] = (float)ldexp(frand(), qe) / (float)sqrt((double)dim);
                for (size_t r = 0; r < nr; r++) {
                    float *x = m + r * dim;
                    int xe = round == 4 ? -100 - (int)(next() % 40) : round == 5 ? (int)(next() % 100) - 70
                                                                                : (int)(next() % 160) - 100;
                    for (size_t i = 0; i < dim; i++) x[i] = (float)ldexp(frand(), xe) / (float)sqrt((double)dim);
                    rows[r] = x;
                }
                float thr[32], cq[32], want[32];
                for (size_t j = 0; j < nq; j++) {
                    want[j] = nidus__dot(q + j * dim, rows[next() % nr], dim);
                    cq[j] = nidus__screen_coef(sc, q + j * dim, (uint32_t)dim);
                    float ca = nidus__screen_slack(cq[j], (uint32_t)dim);
                    thr[j] = ca != 0 ? nidus__screen_floor_abs(want[j], ca) : nidus__screen_floor(want[j]);
                }
                sc->pack_queries(q, (unsigned)nq, dim, qp);
                sc->pack(rows, nr, dim, (unsigned)w, panels, norms);
                sc->screen(qp, (unsigned)nq, panels, nr / w, dim, thr, cq, norms, masks);
                for (size_t j = 0; j < nq; j++)
                    for (size_t r = 0; r < nr; r++) {
                        bool pass = masks[(r / w) * nq + j] >> (r % w) & 1;
                        bool must = nidus__dot(q + j * dim, rows[r], dim) >= want[j];
                        reach += must;
                        missed += must && !pass;
                    }
            }
            if (missed) t_fail(__FILE__, __LINE__, "%s dim %zu: %zu of %zu missed", sc->name, dim, missed, reach);
            CHECK(reach > 0);
            free(m), free(q), free(qp), free(panels), free(norms), free(rows), free(masks);
        }
}

/* The slack is zero for unit queries (cosine thresholds stay as they were) and
 * scales with a raw query's coefficient. */
TEST(distance_screen_slack_zero_for_unit_queries) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    static const uint32_t dims[] = {1, 3, 100, 384, 4096, 1u << 20};
    float *q = malloc(sizeof(float) << 20);
    for (size_t k = 0; k < ns; k++)
        for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
            uint32_t dim = dims[di];
            for (uint32_t i = 0; i < dim; i++) q[i] = frand();
            nidus__normalize(q, dim);
            CHECK(nidus__screen_slack(nidus__screen_coef(s[k], q, dim), dim) == 0.0f);
            for (uint32_t i = 0; i < dim; i++) q[i] *= 0x1p50f;
            CHECK(nidus__screen_slack(nidus__screen_coef(s[k], q, dim), dim) > 0.0f);
        }
    /* floor_abs lowers, never raises, and keeps infinities. */
    CHECK(nidus__screen_floor_abs(1.0f, 0x1p-30f) < nidus__screen_floor(1.0f));
    CHECK(nidus__screen_floor_abs(-INFINITY, 1.0f) == -INFINITY);
    CHECK(nidus__screen_floor_abs(INFINITY, 1.0f) == INFINITY);
    CHECK(nidus__screen_floor_abs(0.0f, 0x1p-100f) < 0.0f);
    free(q);
}

/* ------------------------------------------------------------- scores ---- */

/* The scores by hand: euclidean is -|q - v|^2 (not its root), dot the raw dot
 * product, cosine the dot of the normalized vectors. */
TEST(distance_scores_by_hand) {
    const float q[3] = {1, 2, 3}, a[3] = {1, 2, 3}, z[3] = {0, 0, 0}, b[3] = {4, 6, 3};
    struct {
        int distance;
        float za, zz, zb; /* scores of a, z, b */
    } want[] = {
        {NIDUS_DISTANCE_EUCLIDEAN, 0.0f, -14.0f, -25.0f},
        {NIDUS_DISTANCE_DOT, 14.0f, 0.0f, 25.0f},
    };
    for (size_t m = 0; m < 2; m++) {
        nidus_db *db = mem_store(3, want[m].distance);
        CHECK_OK_DB(db, th_put(db, "c", "a", a));
        CHECK_OK_DB(db, th_put(db, "c", "z", z));
        CHECK_OK_DB(db, th_put(db, "c", "b", b));
        nidus_hits *h = th_search(db, NULL, 0, q, 10);
        CHECK_INT(h->count, 3);
        for (size_t i = 0; i < 3; i++) {
            const char *id = h->hits[i].id;
            float s = h->hits[i].score, w = id[0] == 'a' ? want[m].za : id[0] == 'z' ? want[m].zz : want[m].zb;
            CHECK(s == w);
        }
        CHECK(h->hits[0].score >= h->hits[1].score && h->hits[1].score >= h->hits[2].score);
        nidus_free(h);
        nidus_close(db);
    }
    /* Bits: the kernel's own definition. */
    float big[1000], other[1000];
    for (int i = 0; i < 1000; i++) big[i] = frand(), other[i] = frand() * 3;
    nidus_db *db = mem_store(1000, NIDUS_DISTANCE_EUCLIDEAN);
    CHECK_OK_DB(db, th_put(db, "c", "x", other));
    nidus_hits *h = th_search(db, NULL, 0, big, 1);
    float w = nidus__l2neg(big, other, 1000);
    CHECK(memcmp(&h->hits[0].score, &w, 4) == 0);
    nidus_free(h);
    nidus_close(db);
}

/* Only cosine normalizes: euclidean and dot rows come back with the bits given,
 * and NIDUS_UPSERT_NORMALIZED is ignored there (no norm check). */
TEST(distance_only_cosine_normalizes) {
    const float v[4] = {3, 4, 0, 1e-3f};
    for (size_t m = 0; m < 3; m++) {
        nidus_db *db = mem_store(4, METRICS[m]);
        CHECK_OK_DB(db, th_put(db, "c", "v", v));
        int rc = nidus_upsert_ex(db, "c", &(nidus_record){"n", v, 4, NULL, 0}, 1, NIDUS_UPSERT_NORMALIZED);
        const char *ids[] = {"v", "n"};
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_get(db, "c", ids, 2, &d));
        if (METRICS[m] == NIDUS_DISTANCE_COSINE) {
            CHECK_RC(rc, NIDUS_EINVAL); /* norm 5: not a stored cosine vector */
            CHECK_INT(d->count, 1);
            float u[4];
            memcpy(u, v, sizeof u);
            nidus__normalize(u, 4);
            CHECK(memcmp(d->docs[0].vector, u, sizeof u) == 0);
        } else {
            CHECK_RC(rc, NIDUS_OK);
            CHECK_INT(d->count, 2);
            CHECK(memcmp(d->docs[0].vector, v, sizeof v) == 0);
            CHECK(memcmp(d->docs[1].vector, v, sizeof v) == 0);
        }
        nidus_free(d);
        nidus_close(db);
    }
}

/* --------------------------------------------------- the header byte ---- */

/* A new store gets byte 12 = its metric (AUTO: cosine, 0 as nidus 0.3 wrote);
 * a reopen with AUTO adopts it, get_config reports it, search uses it, rows stay
 * raw across the reopen, read-write and read-only alike. */
TEST(distance_new_store_writes_and_reopen_adopts) {
    const float a[2] = {3, 4}, q[2] = {1, 1};
    for (int d = NIDUS_DISTANCE_AUTO; d <= NIDUS_DISTANCE_DOT; d++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/s%d", t_tmpdir(), d + 1);
        int eff = d == NIDUS_DISTANCE_AUTO ? NIDUS_DISTANCE_COSINE : d;
        nidus_db *db = disk_store(dir, 2, d);
        nidus_config got;
        nidus_config_init(&got, 0);
        CHECK_OK_DB(db, nidus_get_config(db, &got));
        CHECK_INT(got.distance, eff);
        CHECK_OK_DB(db, th_put(db, "c", "a", a));
        nidus_hits *h1 = th_search(db, NULL, 0, q, 1);
        nidus_close(db);
        CHECK_INT(header_byte12(dir), eff);
        for (int ro = 0; ro < 2; ro++) {
            CHECK_RC(open_rc(dir, 0, NIDUS_DISTANCE_AUTO, ro, &db), NIDUS_OK);
            nidus_config_init(&got, 0);
            CHECK_OK_DB(db, nidus_get_config(db, &got));
            CHECK_INT(got.distance, eff);
            CHECK_INT(got.dimension, 2);
            nidus_hits *h2 = th_search(db, NULL, 0, q, 1);
            CHECK(memcmp(&h1->hits[0].score, &h2->hits[0].score, 4) == 0);
            nidus_free(h2);
            const char *ids[] = {"a"};
            nidus_docs *docs = NULL;
            CHECK_OK_DB(db, nidus_get(db, "c", ids, 1, &docs));
            if (eff != NIDUS_DISTANCE_COSINE) CHECK(memcmp(docs->docs[0].vector, a, sizeof a) == 0);
            nidus_free(docs);
            nidus_close(db);
            /* The explicit metric matches too. */
            CHECK_RC(open_rc(dir, 2, eff, ro, &db), NIDUS_OK);
            nidus_close(db);
        }
        float want = eff == NIDUS_DISTANCE_COSINE ? (float)(7 / 5.0 / sqrt(2))
                     : eff == NIDUS_DISTANCE_DOT  ? 7.0f
                                                  : -13.0f;
        CHECK_NEAR(h1->hits[0].score, want, 1e-6);
        nidus_free(h1);
    }
}

/* An explicit metric that differs from the file's is NIDUS_EDIM with nidus's
 * words, read-write and read-only; the files stay byte-identical, no lock is
 * left, nothing is created. */
TEST(distance_mismatch_is_edim) {
    const char *dir = t_tmpdir();
    nidus_db *db = disk_store(dir, 3, NIDUS_DISTANCE_EUCLIDEAN);
    CHECK_OK_DB(db, th_put(db, "c", "a", (float[]){1, 2, 3}));
    nidus_close(db);
    size_t dn, ln;
    unsigned char *d0 = t_read_file(t_path(dir, "data"), &dn), *l0 = t_read_file(t_path(dir, "log"), &ln);
    for (int ro = 0; ro < 2; ro++) {
        static const int wrong[] = {NIDUS_DISTANCE_COSINE, NIDUS_DISTANCE_DOT};
        static const char *const names[] = {"Cosine", "DotProduct"};
        for (int w = 0; w < 2; w++) {
            db = NULL;
            CHECK_RC(open_rc(dir, w ? 3 : 0, wrong[w], ro, &db), NIDUS_EDIM);
            char want[128];
            snprintf(want, sizeof want, "data file distance metric mismatch: file has Euclidean, requested %s",
                     names[w]);
            CHECK_STR(nidus_errmsg(db), want);
            nidus_close(db);
            check_same_bytes(t_path(dir, "data"), d0, dn);
            check_same_bytes(t_path(dir, "log"), l0, ln);
            CHECK(t_file_size(t_path(dir, "lock")) < 0);
            CHECK(t_file_size(t_path(dir, "data.new")) < 0);
        }
    }
    /* A dimension mismatch is still reported as one (it is checked first). */
    CHECK_RC(open_rc(dir, 4, NIDUS_DISTANCE_COSINE, 0, &db), NIDUS_EDIM);
    CHECK(strstr(nidus_errmsg(db), "dimension mismatch") != NULL);
    nidus_close(db);
    free(d0), free(l0);
}

/* A header byte 12 above 2 (a nidus newer than 0.80) is NIDUS_EVERSION, whatever
 * the requested metric, in both modes; the files stay as they were. */
TEST(distance_unknown_byte_is_eversion) {
    static const int bytes[] = {3, 7, 255};
    for (size_t b = 0; b < 3; b++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/s%zu", t_tmpdir(), b);
        nidus_db *db = disk_store(dir, 2, NIDUS_DISTANCE_DOT);
        CHECK_OK_DB(db, th_put(db, "c", "a", (float[]){1, 2}));
        nidus_close(db);
        size_t dn, ln;
        unsigned char *d0 = t_read_file(t_path(dir, "data"), &dn), *l0 = t_read_file(t_path(dir, "log"), &ln);
        d0[12] = (unsigned char)bytes[b];
        t_write_file(t_path(dir, "data"), d0, dn);
        for (int ro = 0; ro < 2; ro++)
            for (int d = NIDUS_DISTANCE_AUTO; d <= NIDUS_DISTANCE_DOT; d++) {
                db = NULL;
                CHECK_RC(open_rc(dir, 0, d, ro, &db), NIDUS_EVERSION);
                char want[64];
                snprintf(want, sizeof want, "unknown distance metric byte %d in data file header", bytes[b]);
                CHECK(strstr(nidus_errmsg(db), want) != NULL);
                CHECK(strstr(nidus_errmsg(db), "newer nidus") != NULL);
                nidus_close(db);
                check_same_bytes(t_path(dir, "data"), d0, dn);
                check_same_bytes(t_path(dir, "log"), l0, ln);
                CHECK(t_file_size(t_path(dir, "lock")) < 0);
            }
        /* Bytes 13..63 stay unchecked, as in nidus. */
        d0[12] = 1;
        memset(d0 + 13, 0xEE, 51);
        t_write_file(t_path(dir, "data"), d0, dn);
        CHECK_RC(open_rc(dir, 0, NIDUS_DISTANCE_AUTO, 1, &db), NIDUS_OK);
        nidus_config got;
        nidus_config_init(&got, 0);
        CHECK_OK_DB(db, nidus_get_config(db, &got));
        CHECK_INT(got.distance, NIDUS_DISTANCE_EUCLIDEAN);
        nidus_close(db);
        free(d0), free(l0);
    }
    /* The decoder alone. */
    uint8_t h[NIDUS__HEADER_LEN];
    int d = 99;
    nerr e = {0};
    for (int v = 0; v <= 2; v++) {
        nidus__header_encode_distance(h, 5, v);
        CHECK_INT(h[12], v);
        CHECK_RC(nidus__header_distance(h, &d, &e), NIDUS_OK);
        CHECK_INT(d, v);
    }
    h[12] = 3;
    d = 99;
    CHECK_RC(nidus__header_distance(h, &d, &e), NIDUS_EVERSION);
    CHECK_INT(d, 99); /* untouched on failure */
    nidus__header_encode(h, 5);
    CHECK_INT(h[12], 0);
}

/* A distance outside -1..2 is NIDUS_EINVAL before anything is touched: no
 * directory is created, in memory the handle says why. */
TEST(distance_out_of_range_is_einval) {
    static const int bad[] = {-2, 3, 1000, -1000};
    for (size_t i = 0; i < 4; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/never", t_tmpdir());
        nidus_db *db = NULL;
        CHECK_RC(open_rc(dir, 3, bad[i], 0, &db), NIDUS_EINVAL);
        CHECK(strstr(nidus_errmsg(db), "distance") != NULL);
        nidus_close(db);
        struct stat st;
        CHECK(stat(dir, &st) != 0);
        nidus_config c;
        nidus_config_init(&c, 3);
        c.distance = bad[i];
        db = NULL;
        CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_EINVAL);
        CHECK(db != NULL);
        CHECK(strstr(nidus_errmsg(db), "distance") != NULL);
        CHECK_RC(nidus_get_config(db, &c), NIDUS_EMISUSE);
        nidus_close(db);
    }
}

/* Compaction (explicit and automatic at open) writes byte 12 again and keeps the
 * rows raw; the compacted store searches as before. */
TEST(distance_compaction_keeps_byte12) {
    for (size_t m = 0; m < 3; m++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/s%zu", t_tmpdir(), m);
        nidus_db *db = disk_store(dir, 3, METRICS[m]);
        const float a[3] = {1, 2, 3}, b[3] = {-4, 5, 0.5f}, q[3] = {0.5f, 1, 2};
        CHECK_OK_DB(db, th_put(db, "c", "a", b));
        CHECK_OK_DB(db, th_put(db, "c", "a", a)); /* a dead row */
        CHECK_OK_DB(db, th_put(db, "c", "b", b));
        nidus_hits *h0 = th_search(db, NULL, 0, q, 5);
        CHECK_OK_DB(db, nidus_compact(db));
        CHECK_INT(header_byte12(dir), METRICS[m]);
        CHECK_INT(th_fp(db).rows, 2);
        nidus_hits *h1 = th_search(db, NULL, 0, q, 5);
        CHECK_INT(h0->count, h1->count);
        for (size_t i = 0; i < h0->count; i++) {
            CHECK_STR(h0->hits[i].id, h1->hits[i].id);
            CHECK(memcmp(&h0->hits[i].score, &h1->hits[i].score, 4) == 0);
        }
        /* Auto-compaction at the next open. */
        CHECK_OK_DB(db, th_put(db, "c", "b", a));
        CHECK_OK_DB(db, th_put(db, "c", "b", b));
        nidus_close(db);
        nidus_config c;
        nidus_config_init(&c, 0);
        c.auto_compact = 0.1;
        db = th_open_cfg(dir, &c);
        CHECK_INT(th_fp(db).dead_rows, 0);
        CHECK_INT(header_byte12(dir), METRICS[m]);
        const char *ids[] = {"a", "b"};
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_get(db, "c", ids, 2, &d));
        if (METRICS[m] != NIDUS_DISTANCE_COSINE) {
            CHECK(memcmp(d->docs[0].vector, a, sizeof a) == 0);
            CHECK(memcmp(d->docs[1].vector, b, sizeof b) == 0);
        }
        nidus_free(d);
        nidus_free(h0), nidus_free(h1);
        nidus_close(db);
    }
}

/* An empty `data` (a nidus 0.3 writer's first instant) gets the requested
 * metric's header from a writer; a reader reports the requested one. */
TEST(distance_empty_data_file) {
    const char *dir = t_tmpdir();
    t_write_file(t_path(dir, "data"), "", 0);
    nidus_db *db = NULL;
    CHECK_RC(open_rc(dir, 2, NIDUS_DISTANCE_DOT, 1, &db), NIDUS_OK);
    nidus_config got;
    nidus_config_init(&got, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.distance, NIDUS_DISTANCE_DOT);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 0);
    CHECK_RC(open_rc(dir, 2, NIDUS_DISTANCE_EUCLIDEAN, 0, &db), NIDUS_OK);
    nidus_close(db);
    CHECK_INT(header_byte12(dir), NIDUS_DISTANCE_EUCLIDEAN);
}

/* The golden nidus 0.3.1 stores (byte 12 = 0) open as cosine and refuse another
 * explicit metric; their files are not touched either way. */
TEST(distance_golden_stores_are_cosine) {
    char src[600];
    snprintf(src, sizeof src, "%s/tests/golden/b_mixed", t_srcdir());
    if (t_file_size(t_path(src, "data")) < 0) snprintf(src, sizeof src, "%s/../shared/golden/b_mixed", t_srcdir());
    CHECK(t_file_size(t_path(src, "data")) >= 64);
    CHECK_INT(header_byte12(src), 0);
    nidus_db *db = NULL;
    CHECK_RC(open_rc(src, 0, NIDUS_DISTANCE_AUTO, 1, &db), NIDUS_OK);
    nidus_config got;
    nidus_config_init(&got, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.distance, NIDUS_DISTANCE_COSINE);
    nidus_close(db);
    CHECK_RC(open_rc(src, 0, NIDUS_DISTANCE_COSINE, 1, &db), NIDUS_OK);
    nidus_close(db);
    CHECK_RC(open_rc(src, 0, NIDUS_DISTANCE_DOT, 1, &db), NIDUS_EDIM);
    CHECK_STR(nidus_errmsg(db), "data file distance metric mismatch: file has Cosine, requested DotProduct");
    nidus_close(db);
}

/* ------------------------------------------------------------- the API ---- */

TEST(distance_names) {
    CHECK_STR(nidus_distance_name(NIDUS_DISTANCE_COSINE), "Cosine");
    CHECK_STR(nidus_distance_name(NIDUS_DISTANCE_EUCLIDEAN), "Euclidean");
    CHECK_STR(nidus_distance_name(NIDUS_DISTANCE_DOT), "DotProduct");
    CHECK(nidus_distance_name(NIDUS_DISTANCE_AUTO) == NULL);
    CHECK(nidus_distance_name(3) == NULL);
    CHECK(nidus_distance_name(-2) == NULL);
    CHECK_INT(NIDUS_DISTANCE_AUTO, -1);
    CHECK_INT(NIDUS_DISTANCE_COSINE, 0);
    CHECK_INT(NIDUS_DISTANCE_EUCLIDEAN, 1);
    CHECK_INT(NIDUS_DISTANCE_DOT, 2);
}

/* distance is the config's last field, AUTO by default; the in-memory stores
 * report their effective metric. */
TEST(distance_config_defaults_and_memory) {
    nidus_config c;
    memset(&c, 0x5A, sizeof c);
    nidus_config_init(&c, 7);
    CHECK_INT(c.distance, NIDUS_DISTANCE_AUTO);
    CHECK(offsetof(nidus_config, distance) >= offsetof(nidus_config, max_vector_bytes) + sizeof c.max_vector_bytes);
    nidus_db *db = th_mem(7);
    nidus_config got;
    nidus_config_init(&got, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.distance, NIDUS_DISTANCE_COSINE);
    nidus_close(db);
    for (int d = NIDUS_DISTANCE_AUTO; d <= NIDUS_DISTANCE_DOT; d++) {
        db = mem_store(7, d);
        CHECK_OK_DB(db, nidus_get_config(db, &got));
        CHECK_INT(got.distance, d < 0 ? NIDUS_DISTANCE_COSINE : d);
        CHECK_INT(got.dimension, 7);
        CHECK(got.auto_compact < 0);
        nidus_close(db);
    }
    /* max_vector_bytes is honoured in memory. */
    nidus_config_init(&c, 2);
    c.max_vector_bytes = 16;
    c.distance = NIDUS_DISTANCE_DOT;
    db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    CHECK_OK_DB(db, th_put(db, "c", "a", (float[]){1, 2}));
    CHECK_OK_DB(db, th_put(db, "c", "b", (float[]){1, 2}));
    CHECK_RC(th_put(db, "c", "x", (float[]){1, 2}), NIDUS_ECAPACITY);
    nidus_close(db);
    /* Dimension 0, NULL, an uninitialized config. */
    nidus_config_init(&c, 0);
    db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_EINVAL);
    CHECK_STR(nidus_errmsg(db), "dimension must be at least 1");
    nidus_close(db);
    db = (nidus_db *)&c;
    CHECK_RC(nidus_open_memory_cfg(NULL, &db), NIDUS_EMISUSE);
    CHECK(db == NULL);
    nidus_config_init(&c, 3);
    c.struct_size = 12;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_EMISUSE);
    CHECK_RC(nidus_open_memory_cfg(&c, NULL), NIDUS_EMISUSE);
}

/* An application built before `distance` passes the shorter struct_size: it
 * opens with AUTO (and in memory, cosine). */
TEST(distance_old_config_size) {
    const size_t old = offsetof(nidus_config, distance);
    const char *dir = t_tmpdir();
    nidus_db *db = disk_store(dir, 3, NIDUS_DISTANCE_EUCLIDEAN);
    nidus_close(db);
    union {
        nidus_config c;
        unsigned char b[sizeof(nidus_config) + 16];
    } u;
    memset(u.b, 0xA7, sizeof u.b);
    nidus_config c;
    nidus_config_init(&c, 0);
    c.struct_size = old;
    memcpy(u.b, &c, old);
    db = NULL;
    CHECK_RC(nidus_open(dir, &u.c, &db), NIDUS_OK);
    nidus_config got;
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.distance, NIDUS_DISTANCE_EUCLIDEAN);
    CHECK_INT(got.dimension, 3);
    CHECK_U64(got.struct_size, sizeof got);
    nidus_close(db);
    /* The old size with an explicit dimension that differs is still checked. */
    u.c.dimension = 5;
    CHECK_RC(nidus_open(dir, &u.c, &db), NIDUS_EDIM);
    nidus_close(db);
    /* Any other size is misuse. */
    u.c.struct_size = old + 1;
    db = (nidus_db *)&u;
    CHECK_RC(nidus_open(dir, &u.c, &db), NIDUS_EMISUSE);
    CHECK(db == NULL);
    /* In memory the old size means cosine. */
    memset(u.b, 0xA7, sizeof u.b);
    memcpy(u.b, &c, old);
    u.c.dimension = 4;
    CHECK_RC(nidus_open_memory_cfg(&u.c, &db), NIDUS_OK);
    nidus_config_init(&got, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &got));
    CHECK_INT(got.distance, NIDUS_DISTANCE_COSINE);
    CHECK_INT(got.dimension, 4);
    nidus_close(db);
}

/* The euclidean screen (screen.c: -|q - x|^2 = 2 q.x - |q|^2 - |x|^2): with each
 * screen's packing, the squared norms, the coefficient and the threshold bases,
 * every pair whose exact nidus__l2neg reaches the threshold passes — on near
 * copies of the queries (the top pairs tie closely), random raw rows of every
 * scale, rows far from the origin, tiny rows — and on random rows with the
 * threshold at the 90th percentile the screen does hold most pairs back. */
TEST(distance_screen_l2_masks_cover_every_possible_hit) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    if (!ns) return; /* no screen on this CPU */
    static const size_t dims[] = {1, 3, 8, 17, 100, 384};
    for (size_t k = 0; k < ns; k++)
        for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
            const nidus__screen *sc = s[k];
            size_t dim = dims[di], w = sc->width, nr = 8 * w, nq = sc->qmax, cols = nidus__screen_cols(sc, dim);
            float *m = malloc(nr * dim * sizeof *m), *q = malloc(nq * dim * sizeof *q),
                  *qp = malloc(nq * cols * sizeof *qp), *panels = malloc(nr * cols * sizeof *panels),
                  *norms = malloc(nr * sizeof *norms), *ex = malloc(nq * nr * sizeof *ex), *tmp = malloc(nr * 4);
            const float **rows = malloc(nr * sizeof *rows);
            uint32_t *masks = malloc(nr / w * nq * sizeof *masks);
            float coef = nidus__screen_l2_coef(sc, (uint32_t)dim);
            CHECK(coef < 0);
            for (int round = 0; round < 6; round++) {
                int qe = round == 2 ? 50 : round == 4 ? -30 : 0;
                float off = round == 3 ? 20.0f : 0.0f; /* far from the origin */
                for (size_t j = 0; j < nq; j++)
                    for (size_t i = 0; i < dim; i++) q[j * dim + i] = (float)ldexp(frand(), qe) + off;
                for (size_t r = 0; r < nr; r++) {
                    float *x = m + r * dim;
                    for (size_t i = 0; i < dim; i++) {
                        if (round == 0) x[i] = nextafterf(q[(r % nq) * dim + i], next() % 2 ? 1e30f : -1e30f);
                        else if (round == 2) x[i] = (float)ldexp(frand(), (int)(next() % 20) + 40);
                        else if (round == 4) x[i] = (float)ldexp(frand(), -(int)(next() % 100) - 20);
                        else x[i] = frand() + off;
                    }
                    rows[r] = x;
                }
                float thr[32], cq[32], want[32];
                for (size_t j = 0; j < nq; j++) {
                    for (size_t r = 0; r < nr; r++) ex[j * nr + r] = nidus__l2neg(q + j * dim, rows[r], dim);
                    if (round == 1 || round == 5) { /* the 90th percentile */
                        memcpy(tmp, ex + j * nr, nr * sizeof *tmp);
                        for (size_t a = 0; a < nr; a++)
                            for (size_t b = a + 1; b < nr; b++)
                                if (tmp[b] > tmp[a]) {
                                    float t = tmp[a];
                                    tmp[a] = tmp[b], tmp[b] = t;
                                }
                        want[j] = tmp[nr / 10];
                    } else {
                        want[j] = ex[j * nr + next() % nr];
                    }
                    cq[j] = coef;
                    thr[j] = nidus__screen_l2_floor(want[j], nidus__screen_l2_base(sc, q + j * dim, (uint32_t)dim));
                }
                sc->pack_queries(q, (unsigned)nq, dim, qp);
                sc->pack(rows, nr, dim, (unsigned)w, panels, norms);
                nidus__screen_l2_norms(norms, nr);
                sc->screen(qp, (unsigned)nq, panels, nr / w, dim, thr, cq, norms, masks);
                size_t missed = 0, passed = 0, reach = 0;
                for (size_t j = 0; j < nq; j++)
                    for (size_t r = 0; r < nr; r++) {
                        bool pass = masks[(r / w) * nq + j] >> (r % w) & 1;
                        passed += pass;
                        reach += ex[j * nr + r] >= want[j];
                        missed += ex[j * nr + r] >= want[j] && !pass;
                    }
                if (missed)
                    t_fail(__FILE__, __LINE__, "%s dim %zu round %d: %zu of %zu missed", sc->name, dim, round, missed,
                           reach);
                CHECK(reach > 0);
                /* Random rows near the origin: it screens (bf16's margin is wider). */
                if (round == 1 && dim >= 8) CHECK(passed <= nq * nr / 10 + nq * nr / (sc->bf16 ? 5 : 20));
            }
            free(m), free(q), free(qp), free(panels), free(norms), free(ex), free(tmp), free(rows), free(masks);
        }
    /* Too large a dimension for the bound: no screen (the batch goes exact). */
    CHECK(nidus__screen_l2_coef(s[0], 1u << 23) == 0.0f);
}

/* NIDUS_KERNEL=avx2 and =avx512 (the smaller screens) on euclidean and dot
 * batches: equal to single queries bit for bit (each test forks, so the choice is
 * still to be made here). */
static void smaller_screen_rounds(void) {
    static const size_t dims[] = {3, 17, 100};
    for (size_t m = 0; m < 3; m++)
        for (size_t di = 0; di < 3; di++) {
            size_t dim = dims[di], n = 900;
            float *v = make_rows(n, dim, METRICS[m]);
            nidus_db *db = mem_store((uint32_t)dim, METRICS[m]);
            th_fill_mod3(db, v, n, dim);
            float *qs = malloc(20 * dim * sizeof *qs);
            for (size_t j = 0; j < 20; j++)
                for (size_t i = 0; i < dim; i++) qs[j * dim + i] = j % 2 ? v[(j * 37 % n) * dim + i] : frand();
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 7;
            batch_equals_single(db, qs, 20, dim, &o);
            o.threads = 2;
            o.top_k = 1;
            batch_equals_single(db, qs, 3, dim, &o);
            nidus_close(db);
            free(v), free(qs);
        }
}
TEST(distance_env_avx2_screen_batches) {
    setenv("NIDUS_KERNEL", "avx2", 1);
    smaller_screen_rounds();
}
TEST(distance_env_avx512_screen_batches) {
    setenv("NIDUS_KERNEL", "avx512", 1);
    smaller_screen_rounds();
}
TEST(distance_env_portable_batches) {
    setenv("NIDUS_KERNEL", "portable", 1);
    CHECK_STR(nidus_batch_kernel_name(), "none");
    smaller_screen_rounds();
}

/* test_screen.c — the batch screen (src/screen.c): its packing, that its masks
 * let through every pair whose exact score reaches the threshold, and that
 * screened batches give exactly the exact single-query results on data built to
 * break it (near ties, duplicates, tiny, huge and non-finite foreign rows). */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <fcntl.h>
#include <math.h>
#include <unistd.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}
static float frand(void) { return (float)((double)(next() >> 11) / 9007199254740992.0 * 2 - 1); }

/* Nudge a float by n units in the last place. */
static float ulps(float v, int n) {
    for (; n > 0; n--) v = nextafterf(v, INFINITY);
    for (; n < 0; n++) v = nextafterf(v, -INFINITY);
    return v;
}

static const size_t DIMS[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 384};

/* f32 to bfloat16 bits, to nearest even. */
static uint32_t bf16(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}

/* Word k of row r as pack should have stored it. */
static uint32_t want_word(const nidus__screen *s, const float *row, size_t dim, size_t k) {
    float f;
    if (!s->bf16) {
        uint32_t b;
        memcpy(&b, &row[k], 4);
        return b;
    }
    f = 2 * k < dim ? row[2 * k] : 0.0f;
    uint32_t lo = bf16(f);
    f = 2 * k + 1 < dim ? row[2 * k + 1] : 0.0f;
    return lo | bf16(f) << 16;
}

/* pack puts word k of row r at panels[(r / w) * cols * w + k * w + r % w] (a
 * float, or a pair of bfloat16 rounded to nearest even) and each row's norm in
 * norms[r]; pack_queries interleaves the same words. */
TEST(screen_pack_layout_and_norms) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    if (!ns) return; /* no screen on this CPU: batches use the exact kernel (tested in test_scan) */
    for (size_t k = 0; k < ns; k++)
        for (size_t di = 0; di < sizeof DIMS / sizeof *DIMS; di++) {
            size_t dim = DIMS[di], nr = 4 * s[k]->width, cols = nidus__screen_cols(s[k], dim);
            CHECK(cols >= (s[k]->bf16 ? (dim + 1) / 2 : dim));
            float *m = malloc(nr * dim * sizeof *m), *panels = malloc(nr * cols * sizeof *panels),
                  *norms = malloc(nr * sizeof *norms), *qp = malloc(5 * cols * sizeof *qp);
            const float **rows = malloc(nr * sizeof *rows);
            for (size_t i = 0; i < nr * dim; i++) m[i] = frand() * 3;
            for (size_t r = 0; r < nr; r++) rows[r] = m + ((r * 7) % nr) * dim; /* not in memory order */
            s[k]->pack(rows, nr, dim, s[k]->width, panels, norms);
            size_t w = s[k]->width, bad = 0;
            for (size_t r = 0; r < nr; r++) {
                double sq = 0;
                for (size_t i = 0; i < dim; i++) sq += (double)rows[r][i] * rows[r][i];
                for (size_t kk = 0; kk < cols; kk++) {
                    uint32_t got;
                    memcpy(&got, &panels[(r / w) * cols * w + kk * w + r % w], 4);
                    bad += got != want_word(s[k], rows[r], dim, kk);
                }
                CHECK(fabs(norms[r] - sqrt(sq)) <= 1e-6 * sqrt(sq));
            }
            CHECK_INT(bad, 0);
            s[k]->pack_queries(m, 5, dim, qp); /* five rows as queries */
            for (size_t j = 0; j < 5; j++)
                for (size_t kk = 0; kk < cols; kk++) {
                    uint32_t got;
                    memcpy(&got, &qp[kk * 5 + j], 4);
                    bad += got != want_word(s[k], m + j * dim, dim, kk);
                }
            CHECK_INT(bad, 0);
            free(m), free(panels), free(norms), free(rows), free(qp);
        }
}

/* For thresholds taken from the exact scores themselves, every pair whose exact
 * nidus score reaches the threshold passes, on rows that differ from each other
 * and from the query by a few ulps. And the screen does screen: on random rows
 * with the threshold at the 90th percentile, few pairs pass. */
TEST(screen_masks_cover_every_possible_hit) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    if (!ns) return; /* no screen on this CPU: batches use the exact kernel (tested in test_scan) */
    for (size_t k = 0; k < ns; k++)
        for (size_t di = 0; di < sizeof DIMS / sizeof *DIMS; di++) {
            const nidus__screen *sc = s[k];
            size_t dim = DIMS[di], w = sc->width, nr = 6 * w, nq = sc->qmax, cols = nidus__screen_cols(sc, dim);
            float *m = malloc(nr * dim * sizeof *m), *q = malloc(nq * dim * sizeof *q),
                  *qp = malloc(nq * cols * sizeof *qp), *panels = malloc(nr * cols * sizeof *panels),
                  *norms = malloc(nr * sizeof *norms), *ex = malloc(nq * nr * sizeof *ex);
            const float **rows = malloc(nr * sizeof *rows);
            uint32_t *masks = malloc(nr / w * nq * sizeof *masks);
            float thr[32], cq[32], want[32];
            for (int round = 0; round < 3; round++) {
                /* Round 0: near duplicates of the queries; 1: random; 2: random,
                 * scaled rows (foreign data need not be unit length). */
                for (size_t j = 0; j < nq; j++) {
                    for (size_t i = 0; i < dim; i++) q[j * dim + i] = frand();
                    nidus__normalize(q + j * dim, dim);
                }
                for (size_t r = 0; r < nr; r++) {
                    float *x = m + r * dim;
                    if (round == 0) {
                        memcpy(x, q + (r % nq) * dim, dim * sizeof *x);
                        for (size_t i = 0; i < dim; i++) x[i] = ulps(x[i], (int)(next() % 5) - 2);
                    } else {
                        for (size_t i = 0; i < dim; i++) x[i] = frand();
                        nidus__normalize(x, dim);
                        if (round == 2) {
                            float f = (float)ldexp(1, (int)(next() % 40) - 20);
                            for (size_t i = 0; i < dim; i++) x[i] *= f;
                        }
                    }
                    rows[r] = x;
                }
                for (size_t j = 0; j < nq; j++) {
                    for (size_t r = 0; r < nr; r++) ex[j * nr + r] = nidus__dot(q + j * dim, rows[r], dim);
                    /* The threshold: the exact score of some pair of this query. */
                    want[j] = round == 1 ? -INFINITY : ex[j * nr + next() % nr];
                    if (round == 1) { /* the 90th percentile */
                        float *tmp = malloc(nr * sizeof *tmp);
                        memcpy(tmp, ex + j * nr, nr * sizeof *tmp);
                        for (size_t a = 0; a < nr; a++)
                            for (size_t b = a + 1; b < nr; b++)
                                if (tmp[b] > tmp[a]) {
                                    float t = tmp[a];
                                    tmp[a] = tmp[b], tmp[b] = t;
                                }
                        want[j] = tmp[nr / 10];
                        free(tmp);
                    }
                    thr[j] = nidus__screen_floor(want[j]);
                    cq[j] = nidus__screen_coef(sc, q + j * dim, (uint32_t)dim);
                }
                sc->pack_queries(q, (unsigned)nq, dim, qp);
                sc->pack(rows, nr, dim, (unsigned)w, panels, norms);
                sc->screen(qp, (unsigned)nq, panels, nr / w, dim, thr, cq, norms, masks);
                size_t missed = 0, passed = 0, reach = 0;
                for (size_t j = 0; j < nq; j++)
                    for (size_t r = 0; r < nr; r++) {
                        bool pass = masks[(r / w) * nq + j] >> (r % w) & 1;
                        passed += pass;
                        reach += ex[j * nr + r] >= want[j];
                        missed += ex[j * nr + r] >= want[j] && !pass;
                    }
                CHECK_INT(missed, 0);
                CHECK(reach > 0);
                /* Random rows: about a tenth reach the threshold; an f32
                 * screen's margin is a few ulps wide, so hardly more pass; a
                 * bf16 screen's (2^-7 of |q| |x|) lets a few more through. */
                if (round == 1 && dim >= 8) CHECK(passed <= nq * nr / 10 + nq * (sc->bf16 ? 6 : 3));
            }
            free(m), free(q), free(qp), free(panels), free(norms), free(ex), free(rows), free(masks);
        }
}

/* Hard rows for a store of dimension dim: near duplicates of a few bases, exact
 * duplicates, negations, zero vectors and tiny vectors (stored as given: their
 * norm is under nidus's 1e-12 floor). */
static void hard_rows(float *v, size_t n, size_t dim, const float *bases, size_t nb) {
    for (size_t r = 0; r < n; r++) {
        float *x = v + r * dim;
        const float *b = bases + (r % nb) * dim;
        switch (next() % 8) {
        case 0: memset(x, 0, dim * sizeof *x); break;
        case 1:
            for (size_t i = 0; i < dim; i++) x[i] = frand() * 1e-14f;
            break;
        case 2:
            for (size_t i = 0; i < dim; i++) x[i] = -b[i];
            break;
        case 3: memcpy(x, b, dim * sizeof *x); break;
        case 4:
            for (size_t i = 0; i < dim; i++) x[i] = frand();
            break;
        default:
            for (size_t i = 0; i < dim; i++) x[i] = ulps(b[i], (int)(next() % 7) - 3);
        }
    }
}

/* Batch (screened) against single queries (exact path) on one handle. */
static void batch_vs_single(nidus_db *db, const float *qs, size_t nq, size_t dim, nidus_search_opts *o) {
    nidus_hits **out = malloc(nq * sizeof *out);
    CHECK_OK_DB(db, nidus_search_batch(db, qs, nq, dim, o, out));
    for (size_t i = 0; i < nq; i++) {
        nidus_hits *one;
        unsigned t = o->threads;
        o->threads = 1;
        CHECK_OK_DB(db, nidus_search(db, qs + i * dim, dim, o, &one));
        o->threads = t;
        th_same_hits(one, out[i]);
        nidus_free(one);
        nidus_free(out[i]);
    }
    free(out);
}

static void hard_data_rounds(const size_t *dims, size_t ndims) {
    const size_t nqs[] = {2, 3, 4, 5, 12, 13, 64};
    const size_t ks[] = {1, 3, 10, 100000};
    for (size_t di = 0; di < ndims; di++) {
        size_t dim = dims[di], n = 1500, nb = 5;
        nidus_db *db = th_mem((uint32_t)dim);
        float *bases = malloc(nb * dim * sizeof *bases), *v = malloc(n * dim * sizeof *v);
        for (size_t i = 0; i < nb * dim; i++) bases[i] = frand();
        for (size_t b = 0; b < nb; b++) nidus__normalize(bases + b * dim, dim);
        hard_rows(v, n, dim, bases, nb);
        th_fill_mod3(db, v, n, dim);
        /* Queries: the bases themselves (top scores tie among duplicates), their
         * near copies, and random ones. */
        size_t maxq = 64;
        float *qs = malloc(maxq * dim * sizeof *qs);
        for (size_t j = 0; j < maxq; j++) {
            float *x = qs + j * dim;
            const float *b = bases + (j % nb) * dim;
            for (size_t i = 0; i < dim; i++)
                x[i] = j % 3 == 0 ? b[i] : j % 3 == 1 ? ulps(b[i], (int)(next() % 3) - 1) : frand();
        }
        nidus_pred p = {.kind = NIDUS_PRED_IN, .key = "m", .set = (nidus_value[]){nidus_int(0), nidus_int(2)},
                        .set_len = 2};
        for (size_t round = 0; round < 14; round++) {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = ks[round % 4];
            o.threads = 1 + (unsigned)(round % 2);
            if (round % 3 == 1) o.filter = &p, o.n_filter = 1;
            if (round % 4 == 2) {
                /* min_score at an exact score some rows reach: a tie at the gate. */
                float qn[400];
                memcpy(qn, qs, dim * sizeof *qn);
                nidus__normalize(qn, dim);
                o.has_min_score = 1;
                o.min_score = nidus__dot(qn, v + (next() % n) * dim, dim);
            }
            batch_vs_single(db, qs, nqs[round % 7], dim, &o);
        }
        free(bases), free(v), free(qs);
        nidus_close(db);
    }
}

TEST(screen_batches_equal_single_queries_on_hard_data) {
    /* The screen chosen for this CPU is one of those the kernel tests cover. */
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    bool known = ns == 0 && strcmp(nidus_batch_kernel_name(), "none") == 0;
    for (size_t k = 0; k < ns; k++) known |= strcmp(nidus_batch_kernel_name(), s[k]->name) == 0;
    CHECK(known);
    hard_data_rounds(DIMS, sizeof DIMS / sizeof *DIMS);
}

/* NIDUS_KERNEL=avx2 keeps the screen to AVX2+FMA (each test runs in its own
 * process, so the choice is still to be made): the AVX2 screen through the API. */
TEST(screen_env_avx2_batches_equal_single_queries) {
    setenv("NIDUS_KERNEL", "avx2", 1);
    const nidus__screen *s[4];
    if (nidus__screens(s, 4)) CHECK_STR(nidus_batch_kernel_name(), "avx2-fma");
    const size_t dims[] = {3, 8, 17, 100};
    hard_data_rounds(dims, 4);
}

/* NIDUS_KERNEL=portable: no screen; batches score every pair exactly. */
TEST(screen_env_portable_turns_screening_off) {
    setenv("NIDUS_KERNEL", "portable", 1);
    CHECK_STR(nidus_batch_kernel_name(), "none");
    const size_t dims[] = {9, 33};
    hard_data_rounds(dims, 2);
}

/* Rows a foreign writer could leave: huge (their norm overflows: the block goes
 * through the exact kernel), infinite, NaN, subnormal. The store is written, its
 * rows are overwritten in place, and a read-only handle searches it. */
TEST(screen_batches_equal_single_queries_on_foreign_rows) {
    const size_t dim = 40, n = 700;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/s", t_tmpdir());
    nidus_db *db = th_open(dir, dim);
    float *v = malloc(n * dim * sizeof *v);
    for (size_t i = 0; i < n * dim; i++) v[i] = frand();
    th_fill(db, v, n, dim, false);
    nidus_close(db);
    char path[600];
    snprintf(path, sizeof path, "%s/data", dir);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    for (size_t r = 0; r < n; r += 1 + next() % 40) {
        float x[40];
        int kind = (int)(next() % 4);
        for (size_t i = 0; i < dim; i++)
            x[i] = kind == 0 ? frand() * 1e30f : kind == 1 ? frand() * 1e-40f : frand();
        if (kind == 2) x[next() % dim] = INFINITY;
        if (kind == 3) x[next() % dim] = NAN;
        CHECK(pwrite(fd, x, sizeof x, 64 + (off_t)(r * dim * sizeof(float))) == (ssize_t)sizeof x);
    }
    close(fd);
    db = th_open_ro(dir, dim);
    float *qs = malloc(16 * dim * sizeof *qs);
    for (size_t i = 0; i < 16 * dim; i++) qs[i] = frand();
    for (size_t round = 0; round < 4; round++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = round == 3 ? 1000 : 10 * (round + 1);
        o.threads = 1 + (unsigned)(round % 2);
        batch_vs_single(db, qs, 5 + round * 3, dim, &o);
    }
    nidus_close(db);
    free(v), free(qs);
}

/* Every length 1..1100 (each tail of the packing and of the bf16 pairs): rows
 * that are near copies of the queries, thresholds at exact scores of the same
 * pairs, so every row sits right at its query's threshold; none may be missed,
 * and the packed words are those of the rows. */
TEST(screen_every_length_1_to_1100) {
    const nidus__screen *s[4];
    size_t ns = nidus__screens(s, 4);
    if (!ns) return; /* no screen on this CPU */
    enum { NQ = 4, MAXD = 1100 };
    for (size_t k = 0; k < ns; k++) {
        const nidus__screen *sc = s[k];
        size_t w = sc->width, nr = 2 * w, missed = 0, badword = 0;
        float *m = malloc(nr * MAXD * sizeof *m), *q = malloc(NQ * MAXD * sizeof *q),
              *qp = malloc(NQ * (MAXD + 16) * sizeof *qp), *panels = malloc(nr * (MAXD + 16) * sizeof *panels),
              *norms = malloc(nr * sizeof *norms);
        const float **rows = malloc(nr * sizeof *rows);
        uint32_t *masks = malloc(2 * NQ * sizeof *masks);
        for (size_t dim = 1; dim <= MAXD; dim++) {
            size_t cols = nidus__screen_cols(sc, dim);
            for (size_t j = 0; j < NQ; j++) {
                for (size_t i = 0; i < dim; i++) q[j * dim + i] = frand();
                nidus__normalize(q + j * dim, dim);
            }
            for (size_t r = 0; r < nr; r++) {
                float *x = m + r * dim;
                for (size_t i = 0; i < dim; i++) x[i] = ulps(q[(r % NQ) * dim + i], (int)(next() % 5) - 2);
                rows[r] = x;
            }
            float thr[NQ], cq[NQ], want[NQ];
            for (size_t j = 0; j < NQ; j++) {
                want[j] = nidus__dot(q + j * dim, rows[j + NQ * (next() % (nr / NQ))], dim);
                thr[j] = nidus__screen_floor(want[j]);
                cq[j] = nidus__screen_coef(sc, q + j * dim, (uint32_t)dim);
            }
            sc->pack_queries(q, NQ, dim, qp);
            sc->pack(rows, nr, dim, (unsigned)w, panels, norms);
            sc->screen(qp, NQ, panels, 2, dim, thr, cq, norms, masks);
            for (size_t j = 0; j < NQ; j++)
                for (size_t r = 0; r < nr; r++)
                    missed += nidus__dot(q + j * dim, rows[r], dim) >= want[j] && !(masks[(r / w) * NQ + j] >> (r % w) & 1);
            size_t r = next() % nr, kk = next() % cols;
            uint32_t got;
            memcpy(&got, &panels[(r / w) * cols * w + kk * w + r % w], 4);
            badword += got != want_word(sc, rows[r], dim, kk);
        }
        if (missed || badword) t_fail(__FILE__, __LINE__, "%s: %zu missed, %zu bad words", sc->name, missed, badword);
        free(m), free(q), free(qp), free(panels), free(norms), free(rows), free(masks);
    }
}

/* test_search.c — normalization, the reference dot product and the bounded top-k
 * (reference §2.6 and the §6 search list, nidus 0.3.1's 29 search tests), and search
 * through the public API, checked against a brute force computed here with an
 * independent copy of nidus's summation order. The SIMD kernels are checked against
 * the reference dot in test_kernels.c. */
#include "test_store_helpers.h"

#include "test_hooks.h"

#include <float.h>

/* ---------------------------------------------------------------- helpers ---- */

static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

#define CHECK_BITS(a, b)                                                            \
    do {                                                                            \
        float t_x_ = (a), t_y_ = (b);                                               \
        if (!same_bits(t_x_, t_y_))                                                 \
            t_fail(__FILE__, __LINE__, "%s == %s bitwise: %.9g (0x%08x) != %.9g (0x%08x)", #a, #b, \
                   (double)t_x_, bits_of(t_x_), (double)t_y_, bits_of(t_y_));       \
    } while (0)

/* nidus 0.3's dot, written independently of kernels.c: eight lane sums over the
 * whole 8-chunks, folded ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), then the tail one
 * by one. This file is built with -ffp-contract=off like the library. */
static float ref_dot(const float *a, const float *b, size_t n) {
    size_t whole = n - n % 8;
    float lane[8];
    for (int l = 0; l < 8; l++) {
        float s = 0.0f;
        for (size_t i = (size_t)l; i < whole; i += 8) s += a[i] * b[i];
        lane[l] = s;
    }
    float left = (lane[0] + lane[4]) + (lane[2] + lane[6]);
    float right = (lane[1] + lane[5]) + (lane[3] + lane[7]);
    float s = left + right;
    for (size_t i = whole; i < n; i++) s += a[i] * b[i];
    return s;
}

/* nidus 0.3's normalize for finite input whose squares do not overflow. */
static void ref_normalize(float *v, size_t n) {
    float sq = 0.0f;
    for (size_t i = 0; i < n; i++) sq += v[i] * v[i];
    float norm = sqrtf(sq);
    if (norm < 1e-12f || !isfinite(norm)) return;
    float inv = 1.0f / norm;
    for (size_t i = 0; i < n; i++) v[i] *= inv;
}

static double norm2(const float *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* splitmix64: a small deterministic generator. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }
/* uniform in [-1, 1) */
static float rnd_unit(void) { return (float)((double)(rnd() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }

/* ---------------------------------------------------------- normalize ---- */

TEST(search_normalize_simple) {
    float v[2] = {3.0f, 4.0f};
    nidus__normalize(v, 2);
    CHECK_NEAR(v[0], 0.6, 1e-6);
    CHECK_NEAR(v[1], 0.8, 1e-6);
    CHECK_BITS(v[0], 3.0f * 0.2f);
    CHECK_BITS(v[1], 4.0f * 0.2f);
}

TEST(search_normalize_zero_unchanged) {
    float v[4] = {0, 0, 0, 0};
    nidus__normalize(v, 4);
    for (int i = 0; i < 4; i++) CHECK_BITS(v[i], 0.0f);
    float neg[2] = {-0.0f, 0.0f};
    nidus__normalize(neg, 2);
    CHECK_BITS(neg[0], -0.0f);
    CHECK_BITS(neg[1], 0.0f);
}

TEST(search_normalize_tiny_unchanged) {
    float v[3] = {1e-14f, 0.0f, -1e-14f};
    nidus__normalize(v, 3);
    CHECK_BITS(v[0], 1e-14f);
    CHECK_BITS(v[1], 0.0f);
    CHECK_BITS(v[2], -1e-14f);
    float w[1] = {1e-14f};
    nidus__normalize(w, 1);
    CHECK_BITS(w[0], 1e-14f);
}

TEST(search_normalize_unit_length) {
    rng_state = 7;
    static const size_t lens[] = {1, 2, 3, 8, 37, 384, 1000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        float v[1000], r[1000];
        for (size_t i = 0; i < lens[k]; i++) v[i] = r[i] = rnd_unit() * 100.0f;
        nidus__normalize(v, lens[k]);
        CHECK_NEAR(norm2(v, lens[k]), 1.0, 1e-5);
        ref_normalize(r, lens[k]);
        for (size_t i = 0; i < lens[k]; i++) CHECK_BITS(v[i], r[i]);
    }
}

TEST(search_normalize_sign_kept) {
    float v[4] = {-3.0f, 4.0f, -0.5f, 0.25f};
    nidus__normalize(v, 4);
    CHECK(v[0] < 0 && v[1] > 0 && v[2] < 0 && v[3] > 0);
    float w[2] = {-1.0f, -1.0f};
    nidus__normalize(w, 2);
    CHECK(w[0] < 0 && w[1] < 0);
    CHECK_BITS(w[0], w[1]);
}

TEST(search_normalize_already_unit) {
    float v[3] = {0.0f, 1.0f, 0.0f};
    nidus__normalize(v, 3);
    CHECK_BITS(v[0], 0.0f);
    CHECK_BITS(v[1], 1.0f);
    CHECK_BITS(v[2], 0.0f);
    float w[2] = {0.6f, 0.8f};
    nidus__normalize(w, 2);
    CHECK_NEAR(w[0], 0.6, 1e-7);
    CHECK_NEAR(w[1], 0.8, 1e-7);
}

TEST(search_normalize_one_element) {
    float v[1] = {5.0f};
    nidus__normalize(v, 1);
    CHECK_BITS(v[0], 1.0f);
    float w[1] = {-0.125f};
    nidus__normalize(w, 1);
    CHECK_BITS(w[0], -1.0f);
}

TEST(search_normalize_empty) {
    float guard[1] = {42.0f};
    nidus__normalize(guard, 0);
    CHECK_BITS(guard[0], 42.0f);
    nidus__normalize(NULL, 0);
}

/* nidus 0.3 would keep such a vector as is (its squares overflow to inf); this
 * port scales first, so it becomes a unit vector like any other. */
TEST(search_normalize_finite_overflowing) {
    float v[2] = {1e30f, 1e30f};
    nidus__normalize(v, 2);
    CHECK(isfinite(v[0]) && isfinite(v[1]));
    CHECK_NEAR(norm2(v, 2), 1.0, 1e-6);
    CHECK_NEAR(v[0], 0.70710678, 1e-6);
    CHECK_BITS(v[0], v[1]);
    float w[3] = {FLT_MAX, -FLT_MAX, 1.0f};
    nidus__normalize(w, 3);
    CHECK_NEAR(norm2(w, 3), 1.0, 1e-6);
    CHECK(w[0] > 0 && w[1] < 0 && w[2] >= 0);
    float x[2] = {3e38f, 0.0f};
    nidus__normalize(x, 2);
    CHECK_BITS(x[0], 1.0f);
    CHECK_BITS(x[1], 0.0f);
}

/* Callers refuse non-finite input; the kernel still leaves it alone. */
TEST(search_normalize_nonfinite_left_alone) {
    float v[2] = {NAN, 1.0f};
    nidus__normalize(v, 2);
    CHECK(isnan(v[0]));
    CHECK_BITS(v[1], 1.0f);
    float w[2] = {INFINITY, 1.0f};
    nidus__normalize(w, 2);
    CHECK(isinf(w[0]));
    CHECK_BITS(w[1], 1.0f);
}

/* ---------------------------------------------------------------- dot ---- */

TEST(search_dot_orthogonal) {
    const float a[3] = {1, 0, 0}, b[3] = {0, 1, 0};
    CHECK_BITS(nidus__dot(a, b, 3), 0.0f);
}

TEST(search_dot_unit) {
    const float a[3] = {1, 0, 0};
    CHECK_BITS(nidus__dot(a, a, 3), 1.0f);
}

TEST(search_dot_equal_normalized) {
    float v[5] = {1, 2, 3, 4, 5};
    nidus__normalize(v, 5);
    CHECK_NEAR(nidus__dot(v, v, 5), 1.0, 1e-6);
}

TEST(search_dot_antiparallel) {
    float a[3] = {1, 2, 3}, b[3] = {-1, -2, -3};
    nidus__normalize(a, 3);
    nidus__normalize(b, 3);
    CHECK_NEAR(nidus__dot(a, b, 3), -1.0, 1e-6);
}

TEST(search_dot_known_value) {
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    CHECK_BITS(nidus__dot(a, b, 3), 32.0f);
}

TEST(search_dot_zero) {
    const float a[3] = {0, 0, 0}, b[3] = {1, 2, 3};
    CHECK_BITS(nidus__dot(a, b, 3), 0.0f);
}

TEST(search_dot_empty) {
    CHECK_BITS(nidus__dot(NULL, NULL, 0), 0.0f);
    const float a[1] = {9};
    CHECK_BITS(nidus__dot(a, a, 0), 0.0f);
}

TEST(search_dot_matches_naive_sum) {
    static const size_t lens[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 384, 768, 1000};
    rng_state = 12345;
    static float a[1000], b[1000];
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        double naive = 0;
        for (size_t i = 0; i < n; i++) {
            a[i] = rnd_unit();
            b[i] = rnd_unit();
            naive += (double)a[i] * (double)b[i];
        }
        float got = nidus__dot(a, b, n);
        if (!(fabs((double)got - naive) <= 1e-4 * (double)n))
            t_fail(__FILE__, __LINE__, "len %zu: %.9g vs naive %.9g", n, (double)got, naive);
        if (n == 0) CHECK_BITS(got, 0.0f);
    }
}

TEST(search_dot_tail_only) {
    for (size_t n = 1; n < 8; n++) {
        float a[7], b[7];
        float seq = 0.0f;
        for (size_t i = 0; i < n; i++) {
            a[i] = (float)(i + 1) * 0.1f;
            b[i] = (float)(7 - i) * 0.3f;
            seq += a[i] * b[i];
        }
        /* below one chunk the sum is plain sequential */
        CHECK_BITS(nidus__dot(a, b, n), seq);
    }
    const float a[7] = {1, 2, 3, 4, 5, 6, 7}, b[7] = {1, 1, 1, 1, 1, 1, 1};
    CHECK_BITS(nidus__dot(a, b, 7), 28.0f);
}

TEST(search_dot_exactly_eight) {
    const float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, one[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_BITS(nidus__dot(a, one, 8), 36.0f);
    /* the fold order shows: lanes (1e8, 1, -1e8, 1, ...) summed sequentially give
     * a different float than the pairwise fold */
    const float x[8] = {1e8f, 1.0f, 1.0f, 1.0f, -1e8f, 1.0f, 1.0f, 1.0f};
    float folded = nidus__dot(x, one, 8);
    CHECK_BITS(folded, ref_dot(x, one, 8));
    CHECK_BITS(folded, 6.0f); /* (1e8 + -1e8) + ... = 0 + 6 */
    float seq = 0.0f;
    for (int i = 0; i < 8; i++) seq += x[i];
    CHECK(!same_bits(seq, folded)); /* sequential: 1e8+1+1+1 rounds away the ones */
}

/* Bit-exact against the copy above, across lengths and magnitudes. */
TEST(search_dot_bit_exact_reference_order) {
    rng_state = 99;
    static float a[1030], b[1030];
    for (size_t n = 0; n <= 1030; n += (n < 70 ? 1 : 37)) {
        for (int round = 0; round < 3; round++) {
            for (size_t i = 0; i < n; i++) {
                float scale = round == 0 ? 1.0f : round == 1 ? 1e4f : 1e-3f;
                a[i] = rnd_unit() * scale;
                b[i] = rnd_unit() * (i % 3 ? 1.0f : 1000.0f);
            }
            float got = nidus__dot(a, b, n), want = ref_dot(a, b, n);
            if (!same_bits(got, want))
                t_fail(__FILE__, __LINE__, "len %zu round %d: 0x%08x != 0x%08x", n, round, bits_of(got),
                       bits_of(want));
        }
    }
}

/* ---------------------------------------------------------------- top-k ---- */

typedef struct tk {
    ntopk t;
    ntopk_item items[64];
} tk;

static void tk_init(tk *x, size_t k) {
    CHECK(k <= 64);
    nidus__topk_init(&x->t, x->items, k);
}

static void tk_push(tk *x, float s, uint64_t row) { nidus__topk_push(&x->t, s, row, NULL, NULL); }

static size_t tk_finish(tk *x) { return nidus__topk_finish(&x->t); }

static float tk_score(const tk *x, size_t i) { return x->t.heap[i].score; }
static uint64_t tk_row(const tk *x, size_t i) { return x->t.heap[i].row; }

TEST(search_topk_k_zero) {
    tk x;
    tk_init(&x, 0);
    tk_push(&x, 1.0f, 0);
    tk_push(&x, NAN, 1);
    CHECK_U64(tk_finish(&x), 0);
    /* k = 0 needs no storage at all */
    ntopk t;
    nidus__topk_init(&t, NULL, 0);
    nidus__topk_push(&t, 0.5f, 3, NULL, NULL);
    CHECK_U64(nidus__topk_finish(&t), 0);
}

TEST(search_topk_fewer_than_k) {
    tk x;
    tk_init(&x, 5);
    tk_push(&x, 0.2f, 0);
    tk_push(&x, 0.9f, 1);
    CHECK_U64(tk_finish(&x), 2);
    CHECK_U64(tk_row(&x, 0), 1);
    CHECK_U64(tk_row(&x, 1), 0);
}

TEST(search_topk_keeps_top3_of_6) {
    tk x;
    tk_init(&x, 3);
    const float s[6] = {0.1f, 0.9f, 0.5f, 0.3f, 0.7f, 0.2f};
    for (uint64_t i = 0; i < 6; i++) tk_push(&x, s[i], i);
    CHECK_U64(tk_finish(&x), 3);
    CHECK_U64(tk_row(&x, 0), 1);
    CHECK_U64(tk_row(&x, 1), 4);
    CHECK_U64(tk_row(&x, 2), 2);
    CHECK_BITS(tk_score(&x, 0), 0.9f);
    CHECK_BITS(tk_score(&x, 1), 0.7f);
    CHECK_BITS(tk_score(&x, 2), 0.5f);
}

TEST(search_topk_descending_order) {
    tk x;
    tk_init(&x, 20);
    rng_state = 4;
    for (uint64_t i = 0; i < 50; i++) tk_push(&x, rnd_unit(), i);
    CHECK_U64(tk_finish(&x), 20);
    for (size_t i = 1; i < 20; i++) CHECK(tk_score(&x, i - 1) >= tk_score(&x, i));
}

TEST(search_topk_exactly_k) {
    tk x;
    tk_init(&x, 4);
    const float s[4] = {0.4f, 0.1f, 0.3f, 0.2f};
    for (uint64_t i = 0; i < 4; i++) tk_push(&x, s[i], i);
    CHECK_U64(tk_finish(&x), 4);
    const uint64_t want[4] = {0, 2, 3, 1};
    for (size_t i = 0; i < 4; i++) CHECK_U64(tk_row(&x, i), want[i]);
}

TEST(search_topk_nan_never_displaces_real) {
    tk x;
    tk_init(&x, 2);
    tk_push(&x, -0.9f, 0);
    tk_push(&x, -1.0f, 1);
    tk_push(&x, NAN, 2);
    tk_push(&x, NAN, 3);
    CHECK_U64(tk_finish(&x), 2);
    CHECK_U64(tk_row(&x, 0), 0);
    CHECK_U64(tk_row(&x, 1), 1);
}

TEST(search_topk_nan_admitted_then_evicted) {
    tk x;
    tk_init(&x, 2);
    tk_push(&x, NAN, 0);
    tk_push(&x, 0.5f, 1);
    tk_push(&x, 0.1f, 2);
    CHECK_U64(tk_finish(&x), 2);
    CHECK_U64(tk_row(&x, 0), 1);
    CHECK_U64(tk_row(&x, 1), 2);
    /* while not full a NaN stays, ranked last */
    tk y;
    tk_init(&y, 3);
    tk_push(&y, NAN, 0);
    tk_push(&y, -0.5f, 1);
    CHECK_U64(tk_finish(&y), 2);
    CHECK_U64(tk_row(&y, 0), 1);
    CHECK(isnan(tk_score(&y, 1)));
}

TEST(search_topk_negative_scores) {
    tk x;
    tk_init(&x, 2);
    tk_push(&x, -0.5f, 0);
    tk_push(&x, -0.1f, 1);
    tk_push(&x, -0.9f, 2);
    CHECK_U64(tk_finish(&x), 2);
    CHECK_BITS(tk_score(&x, 0), -0.1f);
    CHECK_BITS(tk_score(&x, 1), -0.5f);
}

TEST(search_topk_k_one) {
    tk x;
    tk_init(&x, 1);
    const float s[5] = {0.2f, 0.8f, 0.5f, 0.8f, -1.0f};
    for (uint64_t i = 0; i < 5; i++) tk_push(&x, s[i], i);
    CHECK_U64(tk_finish(&x), 1);
    CHECK_U64(tk_row(&x, 0), 1);
    CHECK_BITS(tk_score(&x, 0), 0.8f);
}

TEST(search_topk_cosine_workflow) {
    float docs[4][3] = {{1, 0, 0}, {0.9f, 0.1f, 0}, {0, 1, 0}, {-1, 0, 0}};
    float q[3] = {1, 0.05f, 0};
    nidus__normalize(q, 3);
    tk x;
    tk_init(&x, 2);
    for (uint64_t i = 0; i < 4; i++) {
        nidus__normalize(docs[i], 3);
        tk_push(&x, nidus__dot(q, docs[i], 3), i);
    }
    CHECK_U64(tk_finish(&x), 2);
    CHECK_U64(tk_row(&x, 0), 0);
    CHECK_U64(tk_row(&x, 1), 1);
    CHECK(tk_score(&x, 0) > 0.99f && tk_score(&x, 0) <= 1.0f);
}

TEST(search_topk_ties_keep_k) {
    tk x;
    tk_init(&x, 3);
    for (uint64_t i = 0; i < 10; i++) tk_push(&x, 0.5f, i);
    CHECK_U64(tk_finish(&x), 3);
    for (size_t i = 0; i < 3; i++) CHECK_BITS(tk_score(&x, i), 0.5f);
}

/* At the k boundary, among equal scores the lowest rows win, whatever the order
 * of arrival (including -0 == +0). */
TEST(search_topk_ties_keep_lowest_rows) {
    tk x;
    tk_init(&x, 3);
    const uint64_t rows[8] = {9, 7, 5, 3, 8, 1, 6, 4};
    for (size_t i = 0; i < 8; i++) tk_push(&x, 0.25f, rows[i]);
    CHECK_U64(tk_finish(&x), 3);
    CHECK_U64(tk_row(&x, 0), 1);
    CHECK_U64(tk_row(&x, 1), 3);
    CHECK_U64(tk_row(&x, 2), 4);
    /* a strictly better score evicts the highest tied row, not an arbitrary one */
    tk y;
    tk_init(&y, 3);
    for (size_t i = 0; i < 8; i++) tk_push(&y, 0.25f, rows[i]);
    tk_push(&y, 0.75f, 100);
    CHECK_U64(tk_finish(&y), 3);
    CHECK_U64(tk_row(&y, 0), 100);
    CHECK_U64(tk_row(&y, 1), 1);
    CHECK_U64(tk_row(&y, 2), 3);
    tk z;
    tk_init(&z, 2);
    tk_push(&z, 0.0f, 5);
    tk_push(&z, -0.0f, 2);
    tk_push(&z, 0.0f, 3);
    CHECK_U64(tk_finish(&z), 2);
    CHECK_U64(tk_row(&z, 0), 2);
    CHECK_U64(tk_row(&z, 1), 3);
}

/* Every order of the same pushes gives the same kept list. */
static void permute_check(const float *s, const uint64_t *r, size_t n, size_t k, uint64_t *want_rows,
                          size_t *want_n, size_t *perm, size_t depth, bool *used, size_t *count) {
    if (depth == n) {
        tk x;
        tk_init(&x, k);
        for (size_t i = 0; i < n; i++) tk_push(&x, s[perm[i]], r[perm[i]]);
        size_t got = tk_finish(&x);
        if (*count == 0) {
            *want_n = got;
            for (size_t i = 0; i < got; i++) want_rows[i] = tk_row(&x, i);
        } else {
            CHECK_U64(got, *want_n);
            for (size_t i = 0; i < got; i++) CHECK_U64(tk_row(&x, i), want_rows[i]);
        }
        ++*count;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (used[i]) continue;
        used[i] = true;
        perm[depth] = i;
        permute_check(s, r, n, k, want_rows, want_n, perm, depth + 1, used, count);
        used[i] = false;
    }
}

TEST(search_topk_push_order_permutations) {
    /* two tie groups straddling boundaries, a NaN, a negative */
    const float s[7] = {0.5f, 0.5f, 0.9f, 0.5f, NAN, 0.9f, -0.2f};
    const uint64_t r[7] = {40, 10, 30, 20, 5, 60, 1};
    for (size_t k = 0; k <= 7; k++) {
        uint64_t want[8];
        size_t want_n = 0, perm[7], count = 0;
        bool used[7] = {false};
        permute_check(s, r, 7, k, want, &want_n, perm, 0, used, &count);
        CHECK_U64(count, 5040);
        CHECK_U64(want_n, k);
        /* the one right answer */
        const uint64_t exact[7] = {30, 60, 10, 20, 40, 1, 5};
        for (size_t i = 0; i < want_n; i++) CHECK_U64(want[i], exact[i]);
    }
}

/* ------------------------------------------------------- public search ---- */

static nidus_hits *search_opts(nidus_db *db, const float *q, const nidus_search_opts *o) {
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, q, nidus_dimension(db), o, &h));
    CHECK(h != NULL);
    return h;
}

TEST(search_query_wrong_length_edim) {
    nidus_db *db = th_mem(3);
    const float v[4] = {1, 0, 0, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_hits *h = (nidus_hits *)&o; /* must be reset to NULL */
    CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EDIM);
    CHECK(h == NULL);
    CHECK(strstr(nidus_errmsg(db), "dimension") != NULL);
    CHECK_RC(nidus_search(db, v, 4, &o, &h), NIDUS_EDIM);
    CHECK_RC(nidus_search(db, v, 0, &o, &h), NIDUS_EDIM);
    CHECK_INT(nidus_errcode(db), NIDUS_EDIM);
    CHECK_RC(nidus_search(db, NULL, 3, &o, &h), NIDUS_EINVAL);
    nidus_close(db);
}

TEST(search_nonfinite_query_einval) {
    nidus_db *db = th_mem(3);
    const float v[3] = {1, 0, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    const float bad[3][3] = {{NAN, 0, 0}, {0, INFINITY, 0}, {0, 0, -INFINITY}};
    for (int i = 0; i < 3; i++) {
        nidus_hits *h = NULL;
        CHECK_RC(nidus_search(db, bad[i], 3, &o, &h), NIDUS_EINVAL);
        CHECK(h == NULL);
    }
    /* the handle goes on working */
    nidus_hits *h = search_opts(db, v, &o);
    CHECK_U64(h->count, 1);
    nidus_free(h);
    nidus_close(db);
}

TEST(search_query_length_and_nan_checked) {
    static const float X3[3] = {1, 0, 0}, X2[2] = {1, 0};
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "c", "a", X3));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_hits *h = (nidus_hits *)1;
    CHECK_RC(nidus_search(db, X2, 2, &o, &h), NIDUS_EDIM);
    CHECK(h == NULL);
    CHECK(strstr(nidus_errmsg(db), "dimension") != NULL);
    const float bad[3] = {NAN, 0, 0};
    CHECK_RC(nidus_search(db, bad, 3, &o, &h), NIDUS_EINVAL);
    nidus_close(db);
}

TEST(search_top_k_larger_than_doc_count) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 0}, b[2] = {1, 1}, c[2] = {0, 1};
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    CHECK_OK_DB(db, th_put(db, "c", "b", b));
    CHECK_OK_DB(db, th_put(db, "d", "c", c));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 1000;
    nidus_hits *h = search_opts(db, a, &o);
    CHECK_U64(h->count, 3);
    CHECK_STR(h->hits[0].id, "a");
    CHECK_STR(h->hits[1].id, "b");
    CHECK_STR(h->hits[2].id, "c");
    CHECK_STR(h->hits[2].collection, "d");
    nidus_free(h);
    o.top_k = SIZE_MAX; /* no up-front allocation of top_k items */
    h = search_opts(db, a, &o);
    CHECK_U64(h->count, 3);
    nidus_free(h);
    nidus_close(db);
}

TEST(search_top_k_zero_gives_none) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 0;
    nidus_hits *h = search_opts(db, a, &o);
    CHECK_U64(h->count, 0);
    nidus_free(h);
    /* and an empty store gives none either */
    nidus_db *empty = th_mem(2);
    o.top_k = 10;
    h = search_opts(empty, a, &o);
    CHECK_U64(h->count, 0);
    nidus_free(h);
    nidus_close(empty);
    nidus_close(db);
}

TEST(search_duplicate_scope_searched_once) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 0}, b[2] = {1, 1};
    CHECK_OK_DB(db, th_put(db, "x", "a", a));
    CHECK_OK_DB(db, th_put(db, "x", "b", b));
    CHECK_OK_DB(db, th_put(db, "y", "c", b));
    const char *scope[] = {"x", "x", "missing", "y", "x", "y"};
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.collections = scope;
    o.n_collections = 6;
    nidus_hits *h = search_opts(db, a, &o);
    CHECK_U64(h->count, 3);
    CHECK_STR(h->hits[0].id, "a");
    /* b (row 1) and c (row 2) tie: lower row first */
    CHECK_STR(h->hits[1].id, "b");
    CHECK_STR(h->hits[2].id, "c");
    CHECK_U64(h->hits[1].row, 1);
    CHECK_U64(h->hits[2].row, 2);
    nidus_free(h);
    o.n_collections = 2; /* just "x" twice */
    h = search_opts(db, a, &o);
    CHECK_U64(h->count, 2);
    nidus_free(h);
    const char *only_missing[] = {"nope", "nope"};
    o.collections = only_missing;
    h = search_opts(db, a, &o);
    CHECK_U64(h->count, 0);
    nidus_free(h);
    nidus_close(db);
}

TEST(search_min_score_equal_keeps) {
    nidus_db *db = th_mem(3);
    const float a[3] = {1, 2, 3}, b[3] = {3, -1, 0.5f}, q[3] = {0.3f, 0.2f, 0.1f};
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    CHECK_OK_DB(db, th_put(db, "c", "b", b));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_hits *h = search_opts(db, q, &o);
    CHECK_U64(h->count, 2);
    float s0 = h->hits[0].score, s1 = h->hits[1].score;
    CHECK(s0 > s1);
    nidus_free(h);
    o.has_min_score = 1;
    o.min_score = s1;
    h = search_opts(db, q, &o);
    CHECK_U64(h->count, 2);
    CHECK_BITS(h->hits[1].score, s1);
    nidus_free(h);
    o.min_score = nextafterf(s1, 2.0f);
    h = search_opts(db, q, &o);
    CHECK_U64(h->count, 1);
    nidus_free(h);
    o.min_score = s0;
    h = search_opts(db, q, &o);
    CHECK_U64(h->count, 1);
    CHECK_BITS(h->hits[0].score, s0);
    nidus_free(h);
    o.min_score = nextafterf(s0, 2.0f);
    h = search_opts(db, q, &o);
    CHECK_U64(h->count, 0);
    nidus_free(h);
    o.has_min_score = 0; /* min_score ignored unless asked for */
    h = search_opts(db, q, &o);
    CHECK_U64(h->count, 2);
    nidus_free(h);
    nidus_close(db);
}

/* Equal scores at the boundary: the lowest rows win, and overwriting moves a
 * record to a new, higher row. */
TEST(search_ties_lowest_row_wins) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 1}, q[2] = {1, 0};
    const char *ids[6] = {"f", "e", "d", "c", "b", "a"};
    for (int i = 0; i < 6; i++) CHECK_OK_DB(db, th_put(db, "c", ids[i], v));
    nidus_hits *h = th_search(db, NULL, 0, q, 3);
    CHECK_U64(h->count, 3);
    for (size_t i = 0; i < 3; i++) {
        CHECK_U64(h->hits[i].row, i);
        CHECK_STR(h->hits[i].id, ids[i]);
    }
    nidus_free(h);
    CHECK_OK_DB(db, th_put(db, "c", "f", v)); /* f: row 0 -> row 6 */
    h = th_search(db, NULL, 0, q, 3);
    CHECK_STR(h->hits[0].id, "e");
    CHECK_STR(h->hits[1].id, "d");
    CHECK_STR(h->hits[2].id, "c");
    nidus_free(h);
    nidus_close(db);
}

/* ------------------------------------------------------------- oracle ---- */

#define OR_DIM 37
#define OR_N 500
#define OR_COLLS 3

static const char *const or_names[OR_COLLS] = {"alpha", "beta", "gamma"};

typedef struct or_doc {
    int coll;
    char id[16];
    uint64_t row;
    bool live;
    float vec[OR_DIM]; /* normalized, as stored */
    int64_t a;         /* attr "a": always set */
    bool has_b;
    int64_t b;         /* attr "b": sometimes */
} or_doc;

typedef struct or_hit {
    const or_doc *d;
    float score;
} or_hit;

static int or_hit_cmp(const void *x, const void *y) {
    const or_hit *p = x, *q = y;
    if (p->score != q->score) return p->score > q->score ? -1 : 1;
    return p->d->row < q->d->row ? -1 : p->d->row > q->d->row;
}

typedef struct or_store {
    or_doc docs[OR_N]; /* by id; `row` is the latest */
    size_t ndocs;
    float raw[OR_N][OR_DIM]; /* some raw inputs, reused as queries */
    size_t nraw;
} or_store;

/* Fill `db` with 500 upserts in random batches: new records and overwrites,
 * some vectors repeated exactly (to make ties), random Int attributes. */
static void or_build(or_store *s, nidus_db *const *dbs, size_t ndbs) {
    uint64_t row = 0;
    s->ndocs = s->nraw = 0;
    while (row < OR_N) {
        int coll = (int)rnd_below(OR_COLLS);
        size_t batch = 1 + rnd_below(8);
        if (batch > OR_N - row) batch = (size_t)(OR_N - row);
        nidus_record recs[8];
        nidus_attr attrs[8][2];
        size_t picked[8];
        float vecs[8][OR_DIM];
        size_t nrec = 0;
        for (size_t i = 0; i < batch; i++) {
            size_t di = SIZE_MAX;
            if (s->ndocs > 20 && rnd_below(100) < 15) {
                /* overwrite a record of this collection not already in the batch */
                size_t j = rnd_below(s->ndocs);
                bool dup = s->docs[j].coll != coll;
                for (size_t k = 0; k < nrec && !dup; k++) dup = picked[k] == j;
                if (!dup) di = j;
            }
            if (di == SIZE_MAX) {
                di = s->ndocs++;
                or_doc *d = &s->docs[di];
                d->coll = coll;
                snprintf(d->id, sizeof d->id, "id%03zu", di);
            }
            or_doc *d = &s->docs[di];
            float *v = vecs[nrec];
            if (s->nraw > 0 && rnd_below(100) < 10) {
                memcpy(v, s->raw[rnd_below(s->nraw)], sizeof vecs[0]); /* an exact repeat */
            } else {
                for (int j = 0; j < OR_DIM; j++) v[j] = rnd_unit();
                if (rnd_below(100) < 3) memset(v, 0, sizeof vecs[0]); /* a zero vector scores 0 */
                memcpy(s->raw[s->nraw++], v, sizeof vecs[0]);
            }
            d->live = true;
            d->row = row++;
            memcpy(d->vec, v, sizeof d->vec);
            ref_normalize(d->vec, OR_DIM);
            d->a = (int64_t)rnd_below(5);
            d->has_b = rnd_below(3) != 0;
            d->b = (int64_t)rnd_below(10) - 3;
            attrs[nrec][0] = (nidus_attr){"a", nidus_int(d->a)};
            attrs[nrec][1] = (nidus_attr){"b", nidus_int(d->b)};
            recs[nrec] = (nidus_record){d->id, v, OR_DIM, attrs[nrec], d->has_b ? 2 : 1};
            picked[nrec++] = di;
        }
        for (size_t k = 0; k < ndbs; k++) CHECK_OK_DB(dbs[k], nidus_upsert(dbs[k], or_names[coll], recs, nrec));
    }
}

typedef struct or_query {
    float q[OR_DIM];
    size_t top_k;
    const char *scope[5];
    size_t nscope;
    bool all;
    int fa;          /* -1: no "a" predicate; else a == fa */
    int64_t fb[3];   /* "b" IN fb[0..nfb) */
    size_t nfb;      /* 0: no "b" predicate */
    bool gate;
    float min;
} or_query;

static void or_make_query(const or_store *s, or_query *q) {
    if (rnd_below(4) == 0) memcpy(q->q, s->raw[rnd_below(s->nraw)], sizeof q->q);
    else
        for (int j = 0; j < OR_DIM; j++) q->q[j] = rnd_unit() * 3.0f;
    size_t ks[] = {0, 1, 2, 5, 10, 17, 40, 1000};
    q->top_k = ks[rnd_below(sizeof ks / sizeof ks[0])];
    q->all = rnd_below(3) == 0;
    q->nscope = 0;
    if (!q->all) {
        size_t n = 1 + rnd_below(5);
        for (size_t i = 0; i < n; i++) {
            size_t c = rnd_below(OR_COLLS + 1);
            q->scope[q->nscope++] = c < OR_COLLS ? or_names[c] : "omega";
        }
    }
    q->fa = rnd_below(3) == 0 ? (int)rnd_below(5) : -1;
    q->nfb = rnd_below(3) == 0 ? 1 + rnd_below(3) : 0;
    for (size_t i = 0; i < q->nfb; i++) q->fb[i] = (int64_t)rnd_below(10) - 3;
    q->gate = rnd_below(4) == 0;
    q->min = rnd_unit() * 0.3f;
}

static bool or_in_scope(const or_query *q, int coll) {
    if (q->all) return true;
    for (size_t i = 0; i < q->nscope; i++)
        if (!strcmp(q->scope[i], or_names[coll])) return true;
    return false;
}

static bool or_match(const or_query *q, const or_doc *d) {
    if (q->fa >= 0 && d->a != q->fa) return false;
    if (q->nfb) {
        if (!d->has_b) return false;
        bool any = false;
        for (size_t i = 0; i < q->nfb; i++) any |= d->b == q->fb[i];
        if (!any) return false;
    }
    return true;
}

static void or_check(nidus_db *db, const or_store *s, const or_query *q, size_t qi) {
    float qn[OR_DIM];
    memcpy(qn, q->q, sizeof qn);
    ref_normalize(qn, OR_DIM);
    static or_hit all[OR_N];
    size_t n = 0;
    for (size_t i = 0; i < s->ndocs; i++) {
        const or_doc *d = &s->docs[i];
        if (!d->live || !or_in_scope(q, d->coll) || !or_match(q, d)) continue;
        float score = ref_dot(qn, d->vec, OR_DIM);
        if (q->gate && score < q->min) continue;
        all[n++] = (or_hit){d, score};
    }
    qsort(all, n, sizeof all[0], or_hit_cmp);
    size_t want = n < q->top_k ? n : q->top_k;

    nidus_pred preds[2];
    size_t np = 0;
    nidus_value set[3];
    if (q->fa >= 0) preds[np++] = (nidus_pred){.kind = NIDUS_PRED_EQ, .key = "a", .value = nidus_int(q->fa)};
    if (q->nfb) {
        for (size_t i = 0; i < q->nfb; i++) set[i] = nidus_int(q->fb[i]);
        preds[np++] = (nidus_pred){.kind = NIDUS_PRED_IN, .key = "b", .set = set, .set_len = q->nfb};
    }
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = q->top_k;
    o.collections = q->all ? NULL : q->scope;
    o.n_collections = q->all ? 0 : q->nscope;
    o.filter = np ? preds : NULL;
    o.n_filter = np;
    o.has_min_score = q->gate;
    o.min_score = q->min;
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, q->q, OR_DIM, &o, &h));
    if (h->count != want) t_fail(__FILE__, __LINE__, "query %zu: %zu hits, oracle %zu", qi, h->count, want);
    for (size_t i = 0; i < want; i++) {
        const nidus_hit *g = &h->hits[i];
        const or_doc *d = all[i].d;
        if (g->row != d->row || strcmp(g->id, d->id) || strcmp(g->collection, or_names[d->coll]) ||
            !same_bits(g->score, all[i].score))
            t_fail(__FILE__, __LINE__, "query %zu hit %zu: got %s/%s row %llu score %.9g, oracle %s/%s row %llu %.9g",
                   qi, i, g->collection, g->id, (unsigned long long)g->row, (double)g->score,
                   or_names[d->coll], d->id, (unsigned long long)d->row, (double)all[i].score);
        CHECK_U64(g->n_attrs, d->has_b ? 2 : 1);
        CHECK_STR(g->attrs[0].key, "a");
        CHECK_INT(g->attrs[0].value.type, NIDUS_INT);
        CHECK_INT(g->attrs[0].value.v.i, d->a);
        if (d->has_b) CHECK_INT(g->attrs[1].value.v.i, d->b);
    }
    nidus_free(h);
}

/* The stored vectors are the normalized inputs bit for bit. */
static void or_check_vectors(nidus_db *db, const or_store *s) {
    for (int c = 0; c < OR_COLLS; c++) {
        nidus_docs *docs = NULL;
        CHECK_OK_DB(db, nidus_get_all(db, or_names[c], &docs));
        size_t live = 0;
        for (size_t i = 0; i < s->ndocs; i++) live += s->docs[i].coll == c && s->docs[i].live;
        CHECK_U64(docs->count, live);
        for (size_t i = 0; i < docs->count; i++) {
            size_t di = (size_t)atoi(docs->docs[i].id + 2);
            CHECK(di < s->ndocs);
            CHECK_INT(s->docs[di].coll, c);
            if (memcmp(docs->docs[i].vector, s->docs[di].vec, sizeof s->docs[di].vec))
                t_fail(__FILE__, __LINE__, "stored vector of %s differs from the normalized input", docs->docs[i].id);
        }
        nidus_free(docs);
    }
}

TEST(search_exact_oracle) {
    static or_store s;
    rng_state = 0x5EED;
    const char *dir = t_tmpdir();
    nidus_db *dbs[2] = {th_mem(OR_DIM), th_open(dir, OR_DIM)};
    or_build(&s, dbs, 2);
    CHECK_U64(th_fp(dbs[0]).rows, OR_N);
    nidus_close(dbs[1]);
    dbs[1] = th_open_ro(dir, OR_DIM); /* the same store, replayed from its files */
    CHECK_U64(th_fp(dbs[1]).rows, OR_N);
    CHECK_U64(th_fp(dbs[1]).dead_rows, th_fp(dbs[0]).dead_rows);
    CHECK(th_fp(dbs[0]).dead_rows > 0);
    for (size_t k = 0; k < 2; k++) or_check_vectors(dbs[k], &s);
    for (size_t qi = 0; qi < 50; qi++) {
        or_query q;
        or_make_query(&s, &q);
        for (size_t k = 0; k < 2; k++) or_check(dbs[k], &s, &q, qi);
    }
    /* and a sweep that always hits boundary ties: queries equal to stored inputs */
    for (size_t qi = 0; qi < 20; qi++) {
        or_query q;
        memset(&q, 0, sizeof q);
        memcpy(q.q, s.raw[rnd_below(s.nraw)], sizeof q.q);
        q.all = true;
        q.fa = -1;
        q.top_k = 1 + rnd_below(6);
        for (size_t k = 0; k < 2; k++) or_check(dbs[k], &s, &q, 100 + qi);
    }
    nidus_close(dbs[0]);
    nidus_close(dbs[1]);
}

TEST(search_null_opts_mean_defaults) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 0}, b[2] = {0.6f, 0.8f};
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "r%02d", i);
        CHECK_OK_DB(db, th_put(db, i % 2 ? "odd" : "even", id, i % 3 ? a : b));
    }
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_hits *with = NULL, *without = NULL;
    CHECK_OK_DB(db, nidus_search(db, a, 2, &o, &with));
    CHECK_OK_DB(db, nidus_search(db, a, 2, NULL, &without));
    CHECK_U64(with->count, 10); /* the default top_k, over every collection */
    CHECK_U64(without->count, with->count);
    for (size_t i = 0; i < with->count; i++) {
        CHECK_STR(without->hits[i].id, with->hits[i].id);
        CHECK_STR(without->hits[i].collection, with->hits[i].collection);
        CHECK(without->hits[i].score == with->hits[i].score);
    }
    nidus_free(with);
    nidus_free(without);
    nidus_hits *batch[2] = {NULL, NULL};
    const float qs[4] = {1, 0, 0.6f, 0.8f};
    CHECK_OK_DB(db, nidus_search_batch(db, qs, 2, 2, NULL, batch));
    CHECK_U64(batch[0]->count, 10);
    CHECK_U64(batch[1]->count, 10);
    nidus_free(batch[0]);
    nidus_free(batch[1]);
    nidus_close(db);
}

TEST(search_opts_not_from_init_are_misuse) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "x", a));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    CHECK_U64(o.struct_size, sizeof o);
    nidus_hits *h = (nidus_hits *)&o; /* must be reset to NULL on failure */
    o.struct_size = 0; /* as a struct filled by hand, or by another version */
    CHECK_RC(nidus_search(db, a, 2, &o, &h), NIDUS_EMISUSE);
    CHECK(h == NULL);
    nidus_hits *batch[1] = {(nidus_hits *)&o};
    o.struct_size = sizeof o - 1;
    CHECK_RC(nidus_search_batch(db, a, 1, 2, &o, batch), NIDUS_EMISUSE);
    CHECK(batch[0] == NULL);
    nidus_search_opts_init(NULL); /* a no-op */
    nidus_close(db);
}

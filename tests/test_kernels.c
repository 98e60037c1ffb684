/* test_kernels.c — the dot and euclidean kernels chosen at run time (kernels.c):
 * every SIMD kernel, one query, four at once, the blocked batch kernels and the
 * single-query scan kernels, gives the portable kernel's bits;
 * NIDUS_KERNEL=portable forces it. */
#include "test.h"

#include "test_hooks.h"

/* Every SIMD kernel gives exactly the portable kernel's bits (and so nidus 0.3's),
 * at every length 1..1100, for one vector and for four at once, on unaligned data. */
TEST(kernels_match_portable_bit_for_bit) {
    const char *names[8];
    float (*dots[8])(const float *, const float *, size_t);
    void (*dot4s[8])(const float *, const float *const[4], size_t, float[4]);
    size_t nk = nidus__kernels(names, dots, dot4s, 8);
    CHECK(nk >= 1);
    CHECK_STR(names[0], "portable");
    enum { MAXN = 1100 };
    float *buf = malloc((5 * MAXN + 8) * sizeof(float));
    uint64_t seed = 12345;
    for (size_t i = 0; i < 5 * MAXN + 8; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (float)((int)(seed >> 40) % 2001 - 1000) / 997.0f;
    }
    size_t checked = 0;
    for (size_t n = 1; n <= MAXN; n++) {
        const float *x = buf + 1 + (n % 3); /* deliberately misaligned */
        const float *y[4] = {buf + MAXN + 2, buf + 2 * MAXN + 3, buf + 3 * MAXN + 5, buf + 4 * MAXN + 7};
        float want[4];
        for (int j = 0; j < 4; j++) want[j] = nidus__dot(x, y[j], n);
        for (size_t kk = 0; kk < nk; kk++) {
            float one = dots[kk](x, y[1], n), four[4];
            dot4s[kk](x, y, n, four);
            if (memcmp(&one, &want[1], 4) != 0)
                t_fail(__FILE__, __LINE__, "%s dot n=%zu: %a vs %a", names[kk], n, (double)one, (double)want[1]);
            for (int j = 0; j < 4; j++)
                if (memcmp(&four[j], &want[j], 4) != 0)
                    t_fail(__FILE__, __LINE__, "%s dot4[%d] n=%zu: %a vs %a", names[kk], j, n, (double)four[j],
                           (double)want[j]);
            checked++;
        }
    }
    CHECK_U64(checked, MAXN * nk);
    free(buf);
    /* The chosen kernel is one of them. */
    bool known = false;
    for (size_t kk = 0; kk < nk; kk++) known |= strcmp(nidus_kernel_name(), names[kk]) == 0;
    CHECK(known);
}

TEST(kernels_env_forces_portable) {
    /* Each test runs in its own process, so the choice is still to be made here. */
    setenv("NIDUS_KERNEL", "portable", 1);
    CHECK_STR(nidus_kernel_name(), "portable");
}

typedef void (*block_fn)(const float *, size_t, const float *const *, size_t, size_t, float *, size_t);

/* Runs every block kernel over query and row counts around each blocking edge
 * (up to 19 queries, 1..maxr rows, misaligned rows) and compares each (query,
 * row) score with the reference's bits. Returns the number of pairs checked. */
static size_t check_blocks(const char *what, const char *const *names, block_fn const *blocks, size_t nk,
                           float (*ref)(const float *, const float *, size_t), uint64_t seed, size_t maxr,
                           const size_t *nqs, size_t n_nqs) {
    enum { MAXN = 777, MAXQ = 19, MAXR = 9 };
    float *q = malloc(sizeof(float) * MAXQ * MAXN), *rowbuf = malloc(sizeof(float) * MAXR * (MAXN + 3));
    for (size_t i = 0; i < MAXQ * MAXN; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        q[i] = (float)((int)(seed >> 40) % 2001 - 1000) / 991.0f;
    }
    for (size_t i = 0; i < MAXR * (MAXN + 3); i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        rowbuf[i] = (float)((int)(seed >> 40) % 2001 - 1000) / 977.0f;
    }
    static const size_t lens[] = {1, 7, 8, 9, 16, 23, 64, 100, 384, 385, 777};
    float out[MAXQ * (MAXR + 2)];
    size_t checked = 0;
    if (maxr > MAXR) maxr = MAXR;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        const float *rows[MAXR];
        for (size_t r = 0; r < MAXR; r++) rows[r] = rowbuf + r * (MAXN + 3) + (r % 3); /* misaligned */
        for (size_t a = 0; a < n_nqs; a++)
            for (size_t nr = 1; nr <= maxr; nr++)
                for (size_t kk = 0; kk < nk; kk++) {
                    size_t nq = nqs[a] < MAXQ ? nqs[a] : MAXQ, ld = nr + 2;
                    blocks[kk](q, nq, rows, nr, n, out, ld);
                    for (size_t i = 0; i < nq; i++)
                        for (size_t r = 0; r < nr; r++) {
                            float want = ref(q + i * n, rows[r], n);
                            if (memcmp(&want, &out[i * ld + r], 4) != 0)
                                t_fail(__FILE__, __LINE__, "%s %s block n=%zu nq=%zu nr=%zu (%zu,%zu): %a vs %a",
                                       names[kk], what, n, nq, nr, i, r, (double)out[i * ld + r], (double)want);
                            checked++;
                        }
                }
    }
    free(q);
    free(rowbuf);
    return checked;
}

/* The blocked batch kernels give every (query, row) pair the portable kernel's
 * bits, for query and row counts around every blocking edge. */
TEST(kernels_block_match_portable_bit_for_bit) {
    const char *names[8];
    float (*dots[8])(const float *, const float *, size_t);
    void (*dot4s[8])(const float *, const float *const[4], size_t, float[4]);
    block_fn blocks[8];
    size_t nk = nidus__kernels_block(names, dots, dot4s, blocks, 8);
    static const size_t nqs[] = {1, 3, 4, 5, 8, 9, 16, 17, 19};
    CHECK(check_blocks("dot", names, blocks, nk, nidus__dot, 99, 8, nqs, 9) > 1000);
}

/* The single-query scan kernels give nidus__dot's bits for every row, at every
 * length 1..1100, rows visited out of storage order, any prefetch distance. */
TEST(kernels_scan1_match_portable_bit_for_bit) {
    const char *names[8];
    void (*scans[8])(const float *, const float *, const uint64_t *, size_t, size_t, float *, size_t);
    size_t nk = nidus__kernels_scan1(names, scans, 8);
    CHECK(nk >= 1);
    enum { MAXN = 1100, NR = 9 };
    float *q = malloc(sizeof(float) * MAXN), *mat = malloc(sizeof(float) * 16 * MAXN);
    uint64_t seed = 7;
    for (size_t i = 0; i < 16 * MAXN; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        mat[i] = (float)((int)(seed >> 40) % 2001 - 1000) / 983.0f;
        if (i < MAXN) q[i] = (float)((int)(seed >> 20) % 2001 - 1000) / 997.0f;
    }
    const uint64_t rows[NR] = {3, 0, 15, 7, 8, 2, 11, 1, 14};
    float out[NR];
    size_t checked = 0;
    for (size_t n = 1; n <= MAXN; n++)
        for (size_t kk = 0; kk < nk; kk++) {
            scans[kk](q, mat, rows, NR, n, out, n % 4);
            for (size_t r = 0; r < NR; r++) {
                float want = nidus__dot(q, mat + rows[r] * n, n);
                if (memcmp(&want, &out[r], 4) != 0)
                    t_fail(__FILE__, __LINE__, "%s scan1 n=%zu row %zu: %a vs %a", names[kk], n, r, (double)out[r],
                           (double)want);
                checked++;
            }
        }
    CHECK_U64(checked, (uint64_t)MAXN * nk * NR);
    free(q);
    free(mat);
}

/* The euclidean kernels (score, single-query scan, batch block) give
 * nidus__l2neg's bits at every length 1..1100, on unaligned data, rows out of
 * storage order, any prefetch distance; and nidus__l2neg is the dot's order
 * with d*d as the lane term: the negated nidus__dot of the f32 difference with
 * itself, bit for bit. */
TEST(kernels_l2_match_portable_bit_for_bit) {
    const char *names[8];
    float (*l2s[8])(const float *, const float *, size_t);
    void (*scans[8])(const float *, const float *, const uint64_t *, size_t, size_t, float *, size_t);
    block_fn blocks[8];
    size_t nk = nidus__kernels_l2(names, l2s, scans, blocks, 8);
    CHECK(nk >= 1);
    CHECK_STR(names[0], "portable");
    enum { MAXN = 1100, NR = 9 };
    float *q = malloc(sizeof(float) * (MAXN + 3)), *mat = malloc(sizeof(float) * 16 * MAXN),
          *d = malloc(sizeof(float) * MAXN);
    uint64_t seed = 4242;
    for (size_t i = 0; i < 16 * MAXN; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        mat[i] = (float)((int)(seed >> 40) % 2001 - 1000) / 983.0f;
        if (i < MAXN + 3) q[i] = (float)((int)(seed >> 20) % 2001 - 1000) / 997.0f;
    }
    const uint64_t rows[NR] = {3, 0, 15, 7, 8, 2, 11, 1, 14};
    float out[NR];
    size_t checked = 0;
    for (size_t n = 1; n <= MAXN; n++) {
        const float *x = q + (n % 3); /* deliberately misaligned */
        for (size_t r = 0; r < NR; r++) {
            const float *y = mat + rows[r] * n;
            float want = nidus__l2neg(x, y, n);
            for (size_t i = 0; i < n; i++) d[i] = x[i] - y[i];
            float viadot = -nidus__dot(d, d, n);
            if (memcmp(&want, &viadot, 4) != 0)
                t_fail(__FILE__, __LINE__, "l2neg n=%zu: %a vs -dot(d, d) %a", n, (double)want, (double)viadot);
            for (size_t kk = 0; kk < nk; kk++) {
                float one = l2s[kk](x, y, n);
                if (memcmp(&one, &want, 4) != 0)
                    t_fail(__FILE__, __LINE__, "%s l2 n=%zu: %a vs %a", names[kk], n, (double)one, (double)want);
            }
        }
        for (size_t kk = 0; kk < nk; kk++) {
            scans[kk](x, mat, rows, NR, n, out, n % 4);
            for (size_t r = 0; r < NR; r++) {
                float want = nidus__l2neg(x, mat + rows[r] * n, n);
                if (memcmp(&want, &out[r], 4) != 0)
                    t_fail(__FILE__, __LINE__, "%s l2 scan1 n=%zu row %zu: %a vs %a", names[kk], n, r,
                           (double)out[r], (double)want);
                checked++;
            }
        }
    }
    CHECK_U64(checked, (uint64_t)MAXN * nk * NR);
    /* Known values: 0 for equal vectors, never positive, the squared distance. */
    CHECK(nidus__l2neg(q, q, 100) == 0.0f);
    const float a[3] = {1, 2, 3}, b[3] = {4, 6, 3};
    CHECK(nidus__l2neg(a, b, 3) == -25.0f);
    free(q), free(mat), free(d);
}

/* The euclidean block kernels (a batch's exact path) give every (query, row)
 * pair nidus__l2neg's bits, around every blocking edge. */
TEST(kernels_l2_block_match_portable_bit_for_bit) {
    const char *names[8];
    float (*l2s[8])(const float *, const float *, size_t);
    void (*scans[8])(const float *, const float *, const uint64_t *, size_t, size_t, float *, size_t);
    block_fn blocks[8];
    size_t nk = nidus__kernels_l2(names, l2s, scans, blocks, 8);
    static const size_t nqs[] = {1, 2, 3, 4, 5, 19};
    CHECK(check_blocks("l2", names, blocks, nk, nidus__l2neg, 77, 9, nqs, 6) > 1000);
}

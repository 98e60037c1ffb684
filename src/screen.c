/* screen.c — the batch screening kernels: fused multiply-add over packed row
 * panels, used by query batches to find the few (query, row) pairs that could
 * enter a top-k. They never produce a result score: every pair they let through
 * is scored again with the exact nidus kernel (kernels.c), and the margin they
 * apply makes sure no pair that belongs in a result is held back (read.c).
 *
 * Why a second kind of kernel: nidus 0.3's summation order (separate multiply
 * and add, eight lanes) caps a batch at about a third of the core's FMA peak. A
 * screen may sum in any order, so it runs as a small matrix product: a block of
 * rows is transposed into panels of W rows (element i of the panel's rows sits
 * in one vector), and each step of the inner loop is one FMA per (panel, query)
 * with the query element broadcast — no horizontal sums, no tails.
 *
 * Chosen at run time from what the CPU reports: AVX-512F (16-row panels, 2
 * panels x 12 queries = 24 accumulators of the 32 registers), else AVX2+FMA
 * (8-row panels, 2 x 6 = 12 of 16), else none (batches use the exact block
 * kernel). NIDUS_KERNEL=portable and NIDUS_PORTABLE_ONLY turn screening off. */
#include "nidus_internal.h"

#include <math.h>
#include <stdlib.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(NIDUS_PORTABLE_ONLY)
#include <immintrin.h>
#define NIDUS_SCREEN_X86 1
#endif

#ifdef NIDUS_SCREEN_X86
#define T_AVX2 __attribute__((target("avx2,fma")))
#define T_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define INLINE inline __attribute__((always_inline))

/* Transpose the 8x8 tile held in r[0..7] (row l in r[l]) in place. */
T_AVX2 static INLINE void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

#ifndef PF_AHEAD
#define PF_AHEAD 8
#endif
/* Pack nrows rows (a multiple of 8) into panels of w rows: element i of row r
 * goes to panels[(r / w) * dim * w + i * w + r % w]. norms[r] receives the row's
 * Euclidean norm (any summation order: it only sizes the margin). */
T_AVX2 static void pack_avx2(const float *const *rows, size_t nrows, size_t dim, unsigned w, float *panels,
                             float *norms) {
    for (size_t g = 0; g < nrows; g += 8) {
        const float *const *r = rows + g;
        float *base = panels + (g / w) * dim * w + g % w;
        __m256 sq = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 8 <= dim; i += 8) {
            __m256 t[8];
            if (g + PF_AHEAD + 8 <= nrows) /* rows PF_AHEAD ahead of the loads */
#pragma GCC unroll 8
                for (int l = 0; l < 8; l++) _mm_prefetch((const char *)(r[PF_AHEAD + l] + i), _MM_HINT_T0);
            /* (Unrolled, so that t lives in registers, not on the stack.) */
#pragma GCC unroll 8
            for (int l = 0; l < 8; l++) t[l] = _mm256_loadu_ps(r[l] + i);
            transpose8(t);
#pragma GCC unroll 8
            for (int c = 0; c < 8; c++) _mm256_storeu_ps(base + (i + (size_t)c) * w, t[c]);
            /* A tree, not a chain: eight dependent FMAs per tile cost more than
             * the whole transpose. */
            __m256 s0 = _mm256_fmadd_ps(t[1], t[1], _mm256_mul_ps(t[0], t[0]));
            __m256 s1 = _mm256_fmadd_ps(t[3], t[3], _mm256_mul_ps(t[2], t[2]));
            __m256 s2 = _mm256_fmadd_ps(t[5], t[5], _mm256_mul_ps(t[4], t[4]));
            __m256 s3 = _mm256_fmadd_ps(t[7], t[7], _mm256_mul_ps(t[6], t[6]));
            sq = _mm256_add_ps(sq, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
        }
        for (; i < dim; i++) {
            __m256 v = _mm256_setr_ps(r[0][i], r[1][i], r[2][i], r[3][i], r[4][i], r[5][i], r[6][i], r[7][i]);
            _mm256_storeu_ps(base + i * w, v);
            sq = _mm256_fmadd_ps(v, v, sq);
        }
        _mm256_storeu_ps(norms + g, _mm256_sqrt_ps(sq));
    }
}

/* The AVX2 screen: two 8-row panels against QW queries per pass. A pair (query
 * j, row r) passes when its FMA score s satisfies s >= thr[j] - cq[j] * norms[r];
 * bit b of masks[p * QW + j] is set when row p*8+b passes for query j. */
T_AVX2 static INLINE void screen8(const float *qp, const unsigned QW, const float *panels, size_t npanels,
                                  size_t dim, const float *thr, const float *cq, const float *norms,
                                  uint32_t *masks) {
    for (size_t p = 0; p < npanels; p += 2) {
        const float *a = panels + p * dim * 8, *b = a + dim * 8;
        __m256 a0[6], a1[6];
#pragma GCC unroll 6
        for (unsigned j = 0; j < QW; j++) a0[j] = a1[j] = _mm256_setzero_ps();
        for (size_t i = 0; i < dim; i++) {
            __m256 x0 = _mm256_loadu_ps(a + i * 8), x1 = _mm256_loadu_ps(b + i * 8);
            const float *qi = qp + i * QW;
#pragma GCC unroll 6
            for (unsigned j = 0; j < QW; j++) {
                __m256 s = _mm256_broadcast_ss(qi + j);
                a0[j] = _mm256_fmadd_ps(x0, s, a0[j]);
                a1[j] = _mm256_fmadd_ps(x1, s, a1[j]);
            }
        }
        __m256 n0 = _mm256_loadu_ps(norms + p * 8), n1 = _mm256_loadu_ps(norms + p * 8 + 8);
#pragma GCC unroll 6
        for (unsigned j = 0; j < QW; j++) {
            __m256 t = _mm256_set1_ps(thr[j]), c = _mm256_set1_ps(cq[j]);
            masks[p * QW + j] =
                (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(a0[j], _mm256_fnmadd_ps(c, n0, t), _CMP_GE_OQ));
            masks[(p + 1) * QW + j] =
                (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(a1[j], _mm256_fnmadd_ps(c, n1, t), _CMP_GE_OQ));
        }
    }
}

T_AVX2 static void screen_avx2(const float *qp, unsigned nq, const float *panels, size_t npanels, size_t dim,
                               const float *thr, const float *cq, const float *norms, uint32_t *masks) {
    switch (nq) {
#define CASE(n)                                                                                    \
    case n:                                                                                        \
        screen8(qp, n, panels, npanels, dim, thr, cq, norms, masks);                               \
        break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6)
#undef CASE
    default:
        break;
    }
}

/* The AVX-512 screen: two 16-row panels against QW queries per pass. */
T_AVX512 static INLINE void screen16(const float *qp, const unsigned QW, const float *panels, size_t npanels,
                                     size_t dim, const float *thr, const float *cq, const float *norms,
                                     uint32_t *masks) {
    for (size_t p = 0; p < npanels; p += 2) {
        const float *a = panels + p * dim * 16, *b = a + dim * 16;
        __m512 a0[12], a1[12];
#pragma GCC unroll 12
        for (unsigned j = 0; j < QW; j++) a0[j] = a1[j] = _mm512_setzero_ps();
        for (size_t i = 0; i < dim; i++) {
            __m512 x0 = _mm512_loadu_ps(a + i * 16), x1 = _mm512_loadu_ps(b + i * 16);
            const float *qi = qp + i * QW;
#pragma GCC unroll 12
            for (unsigned j = 0; j < QW; j++) {
                __m512 s = _mm512_set1_ps(qi[j]);
                a0[j] = _mm512_fmadd_ps(x0, s, a0[j]);
                a1[j] = _mm512_fmadd_ps(x1, s, a1[j]);
            }
        }
        __m512 n0 = _mm512_loadu_ps(norms + p * 16), n1 = _mm512_loadu_ps(norms + p * 16 + 16);
#pragma GCC unroll 12
        for (unsigned j = 0; j < QW; j++) {
            __m512 t = _mm512_set1_ps(thr[j]), c = _mm512_set1_ps(cq[j]);
            masks[p * QW + j] = _mm512_cmp_ps_mask(a0[j], _mm512_fnmadd_ps(c, n0, t), _CMP_GE_OQ);
            masks[(p + 1) * QW + j] = _mm512_cmp_ps_mask(a1[j], _mm512_fnmadd_ps(c, n1, t), _CMP_GE_OQ);
        }
    }
}

T_AVX512 static void screen_avx512(const float *qp, unsigned nq, const float *panels, size_t npanels, size_t dim,
                                   const float *thr, const float *cq, const float *norms, uint32_t *masks) {
    switch (nq) {
#define CASE(n)                                                                                    \
    case n:                                                                                        \
        screen16(qp, n, panels, npanels, dim, thr, cq, norms, masks);                              \
        break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12)
#undef CASE
    default:
        break;
    }
}

static const nidus__screen SCREEN_AVX2 = {"avx2-fma", 8, 6, pack_avx2, screen_avx2};
static const nidus__screen SCREEN_AVX512 = {"avx512", 16, 12, pack_avx2, screen_avx512};
#endif

/* Why screening keeps results exact. For a query q and a row x, the exact nidus
 * score e and the screen's FMA score s each lie within gamma_m * |q| * |x| of
 * the true dot product (m = dim + 16 bounds the rounding steps of either
 * summation order; gamma_m = m*u / (1 - m*u), u = 2^-24), so
 * |s - e| <= 2 * gamma_m * |q| * |x|. A row is scored exactly when
 * s >= T - margin, T being the exact score of the query's current k-th best (or
 * min_score, if higher). A row held back has e < T <= the final k-th best, so it
 * could not be in the result, not even by a tie. The coefficient and the floor
 * carry slack for the roundings of their own arithmetic: the float norms, the
 * thr - cq * norm step, and underflow (2^-40 absolute). */
float nidus__screen_coef(const float *q, uint32_t dim) {
    const double u = 0x1p-24, m = (double)dim + 16, g = m * u / (1 - m * u);
    double sq = 0;
    for (uint32_t i = 0; i < dim; i++) sq += (double)q[i] * q[i];
    double c = (2 * g + 8 * u) * (1 + 4 * g + 8 * u) * sqrt(sq);
    float f = (float)c;
    return (double)f < c ? nextafterf(f, INFINITY) : f;
}

float nidus__screen_floor(float t) {
    if (t == -INFINITY || t == INFINITY) return t;
    double d = (double)t - 8 * 0x1p-24 * fabs((double)t) - 0x1p-40;
    float f = (float)d;
    return (double)f > d ? nextafterf(f, -INFINITY) : f;
}

static const nidus__screen *_Atomic screen_chosen;
static _Atomic int screen_picked;

static const nidus__screen *screen_pick(void) {
    const char *force = getenv("NIDUS_KERNEL");
    if (force && strcmp(force, "portable") == 0) return NULL;
#ifdef NIDUS_SCREEN_X86
    __builtin_cpu_init();
    bool no512 = force && strcmp(force, "avx2") == 0; /* to test and time the AVX2 screen on an AVX-512 CPU */
    if (!no512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return &SCREEN_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &SCREEN_AVX2;
#endif
    return NULL;
}

const nidus__screen *nidus__screen_get(void) {
    if (!screen_picked) { /* racing first calls pick the same one */
        screen_chosen = screen_pick();
        screen_picked = 1;
    }
    return screen_chosen;
}

const char *nidus_batch_kernel_name(void) {
    const nidus__screen *s = nidus__screen_get();
    return s ? s->name : "none";
}

size_t nidus__screens(const nidus__screen **out, size_t cap) {
    size_t n = 0;
#ifdef NIDUS_SCREEN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (n < cap) out[n] = &SCREEN_AVX2;
        n++;
        if (__builtin_cpu_supports("avx512f")) {
            if (n < cap) out[n] = &SCREEN_AVX512;
            n++;
        }
    }
#else
    (void)out;
    (void)cap;
#endif
    return n;
}

/* screen.c — the batch screening kernels: fused multiply-add over packed row
 * panels, used by query batches to find the few (query, row) pairs that could
 * enter a top-k. They never produce a result score: every pair they let through
 * is scored again with the exact nidus kernel (kernels.c), and the margin they
 * apply makes sure no pair that belongs in a result is held back (scan.c).
 *
 * Why a second kind of kernel: nidus 0.3's summation order (separate multiply
 * and add, eight lanes) caps a batch at about a third of the core's FMA peak. A
 * screen may sum in any order, so it runs as a small matrix product: a block of
 * rows is transposed into panels of W rows (element i of the panel's rows sits
 * in one vector), and each step of the inner loop is one FMA per (panel, query)
 * with the query element broadcast — no horizontal sums, no tails.
 *
 * Chosen at run time from what the CPU reports, by the kernel table in
 * kernels.c: AVX-512 BF16 (rows and queries rounded to bfloat16 pairs,
 * vdpbf16ps: twice the multiply-adds of an FMA per instruction, for a margin of
 * about 2^-7 * |q| * |x|), else AVX-512F (16-row panels, 2 panels x 12 queries =
 * 24 accumulators of the 32 registers), else AVX2+FMA (8-row panels, 2 x 6 = 12
 * of 16), else none (batches use the exact block kernel). NIDUS_KERNEL=portable
 * and NIDUS__PORTABLE_ONLY turn screening off. */
#include "nidus_internal.h"

#include <math.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(NIDUS__PORTABLE_ONLY)
#include <immintrin.h>
#define NIDUS__SCREEN_X86 1
#endif

#ifdef NIDUS__SCREEN_X86
/* Queries for an f32 screen: qp[i * nq + j] = element i of query j. */
static inline void pack_queries_f32(const float *q, unsigned nq, size_t dim, float *qp) {
    for (unsigned j = 0; j < nq; j++)
        for (size_t i = 0; i < dim; i++) qp[i * nq + j] = q[j * dim + i];
}

#define T_AVX2 __attribute__((target("avx2,fma")))
#define T_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define INLINE inline __attribute__((always_inline))

/* A screen's entry point: a switch that passes QW as a constant, so the inner
 * function's loops unroll and its accumulators live in registers. */
#define SCREEN_CASE(inner, n)                                                                      \
    case n:                                                                                        \
        inner(qp, n, panels, npanels, dim, thr, cq, norms, masks);                                 \
        break;
#define SCREEN_CASES6(inner)                                                                       \
    SCREEN_CASE(inner, 1) SCREEN_CASE(inner, 2) SCREEN_CASE(inner, 3) SCREEN_CASE(inner, 4)        \
    SCREEN_CASE(inner, 5) SCREEN_CASE(inner, 6)
#define SCREEN_CASES12(inner)                                                                      \
    SCREEN_CASES6(inner) SCREEN_CASE(inner, 7) SCREEN_CASE(inner, 8) SCREEN_CASE(inner, 9)         \
    SCREEN_CASE(inner, 10) SCREEN_CASE(inner, 11) SCREEN_CASE(inner, 12)
#define SCREEN_ENTRY(name, target, cases)                                                          \
    target static void name(const float *qp, unsigned nq, const float *panels, size_t npanels,     \
                            size_t dim, const float *thr, const float *cq, const float *norms,     \
                            uint32_t *masks) {                                                     \
        switch (nq) {                                                                              \
            cases default : break;                                                                 \
        }                                                                                          \
    }

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

/* Pack prefetches the rows this many ahead of the ones it transposes. */
#define PF_AHEAD 8
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

SCREEN_ENTRY(screen_avx2, T_AVX2, SCREEN_CASES6(screen8))

/* The passes of a 16-row screen: bit b of masks[p * QW + j] (and of the next
 * panel's) for every score s >= thr[j] - cq[j] * norm. */
T_AVX512 static INLINE void masks16(const __m512 *a0, const __m512 *a1, const unsigned QW, size_t p,
                                    const float *thr, const float *cq, const float *norms, uint32_t *masks) {
    __m512 n0 = _mm512_loadu_ps(norms + p * 16), n1 = _mm512_loadu_ps(norms + p * 16 + 16);
#pragma GCC unroll 12
    for (unsigned j = 0; j < QW; j++) {
        __m512 t = _mm512_set1_ps(thr[j]), c = _mm512_set1_ps(cq[j]);
        masks[p * QW + j] = _mm512_cmp_ps_mask(a0[j], _mm512_fnmadd_ps(c, n0, t), _CMP_GE_OQ);
        masks[(p + 1) * QW + j] = _mm512_cmp_ps_mask(a1[j], _mm512_fnmadd_ps(c, n1, t), _CMP_GE_OQ);
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
        masks16(a0, a1, QW, p, thr, cq, norms, masks);
    }
}

SCREEN_ENTRY(screen_avx512, T_AVX512, SCREEN_CASES12(screen16))

/* ------------------------------------------------------- AVX-512 BF16 ---- */

#define T_BF16 __attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw,avx2,fma")))

/* Pack for the bf16 screen: element pairs (2k, 2k+1) of a row, rounded to
 * bfloat16, share one 32-bit word (the even element in the low half, as
 * vdpbf16ps pairs them); word k of row r goes to
 * panels[(r / 16) * cols * 16 + k * 16 + r % 16], cols = nidus__screen_cols().
 * The norms are those of the f32 rows. */
T_BF16 static void pack_bf16(const float *const *rows, size_t nrows, size_t dim, unsigned w, float *panels,
                             float *norms) {
    size_t cols = (dim + 15) / 16 * 8;
    for (size_t g = 0; g < nrows; g += 8) {
        const float *const *r = rows + g;
        float *base = panels + (g / w) * cols * w + g % w;
        __m512 sq[8];
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) sq[l] = _mm512_setzero_ps();
        for (size_t i = 0; i < dim; i += 16) {
            __mmask16 m = dim - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (dim - i)) - 1);
            if (g + PF_AHEAD + 8 <= nrows)
#pragma GCC unroll 8
                for (int l = 0; l < 8; l++) _mm_prefetch((const char *)(r[PF_AHEAD + l] + i), _MM_HINT_T0);
            __m256 t[8];
#pragma GCC unroll 8
            for (int l = 0; l < 8; l++) {
                __m512 v = _mm512_maskz_loadu_ps(m, r[l] + i);
                sq[l] = _mm512_fmadd_ps(v, v, sq[l]);
                t[l] = (__m256)_mm512_cvtneps_pbh(v);
            }
            transpose8(t);
#pragma GCC unroll 8
            for (int c = 0; c < 8; c++) _mm256_storeu_ps(base + (i / 2 + (size_t)c) * w, t[c]);
        }
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) norms[g + (size_t)l] = sqrtf(_mm512_reduce_add_ps(sq[l]));
    }
}

/* f32 to bfloat16, rounding to nearest even (finite input). */
static uint32_t bf16_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}

static void pack_queries_bf16(const float *q, unsigned nq, size_t dim, float *qp) {
    size_t cols = (dim + 15) / 16 * 8;
    for (unsigned j = 0; j < nq; j++)
        for (size_t k = 0; k < cols; k++) {
            float lo = 2 * k < dim ? q[j * dim + 2 * k] : 0.0f, hi = 2 * k + 1 < dim ? q[j * dim + 2 * k + 1] : 0.0f;
            uint32_t word = bf16_bits(lo) | bf16_bits(hi) << 16;
            memcpy(&qp[k * nq + j], &word, 4);
        }
}

/* The bf16 screen: two 16-row panels against QW queries per pass, each step
 * one vdpbf16ps (two multiply-adds per lane) per (panel, query). */
T_BF16 static INLINE void screen16bf(const float *qp, const unsigned QW, const float *panels, size_t npanels,
                                     size_t dim, const float *thr, const float *cq, const float *norms,
                                     uint32_t *masks) {
    size_t cols = (dim + 15) / 16 * 8;
    const int32_t *qw = (const int32_t *)(const void *)qp;
    for (size_t p = 0; p < npanels; p += 2) {
        const float *a = panels + p * cols * 16, *b = a + cols * 16;
        __m512 a0[12], a1[12];
#pragma GCC unroll 12
        for (unsigned j = 0; j < QW; j++) a0[j] = a1[j] = _mm512_setzero_ps();
        for (size_t k = 0; k < cols; k++) {
            __m512bh x0 = (__m512bh)_mm512_loadu_ps(a + k * 16), x1 = (__m512bh)_mm512_loadu_ps(b + k * 16);
            const int32_t *qk = qw + k * QW;
#pragma GCC unroll 12
            for (unsigned j = 0; j < QW; j++) {
                __m512bh s = (__m512bh)_mm512_set1_epi32(qk[j]);
                a0[j] = _mm512_dpbf16_ps(a0[j], x0, s);
                a1[j] = _mm512_dpbf16_ps(a1[j], x1, s);
            }
        }
        masks16(a0, a1, QW, p, thr, cq, norms, masks);
    }
}

SCREEN_ENTRY(screen_bf16, T_BF16, SCREEN_CASES12(screen16bf))

/* Rounding a query and a row to bfloat16 moves each product by at most
 * 2^-7 + 2^-16 of itself (each factor by 2^-8). */
#define BF16_REL (0x1p-7 + 0x1p-16)

/* The screens, for the kernel table (kernels.c: which CPU runs which, and the
 * choice among them). */
const nidus__screen nidus__screen_avx2_fma = {"avx2-fma", 8, 6, 0, 0.0, pack_avx2, pack_queries_f32, screen_avx2};
const nidus__screen nidus__screen_avx512 = {"avx512", 16, 12, 0, 0.0, pack_avx2, pack_queries_f32, screen_avx512};
const nidus__screen nidus__screen_avx512_bf16 = {"avx512-bf16", 16, 12, 1, BF16_REL, pack_bf16, pack_queries_bf16,
                                                 screen_bf16};
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
float nidus__screen_coef(const nidus__screen *s, const float *q, uint32_t dim) {
    const double u = 0x1p-24, m = (double)dim + 16, g = m * u / (1 - m * u);
    double sq = 0;
    for (uint32_t i = 0; i < dim; i++) sq += (double)q[i] * q[i];
    /* The screen's own input rounding (bf16: s->rel) adds to both error
     * bounds; a flushed tiny query element can move the score by 2^-126 times
     * a row element, hence the last term (it scales with the row's norm). */
    double c = (s->rel + 2.01 * g + 8 * u) * (1 + 4 * g + 8 * u) * sqrt(sq) + 0x1p-124 * sqrt((double)dim);
    float f = (float)c;
    return (double)f < c ? nextafterf(f, INFINITY) : f;
}

float nidus__screen_floor(float t) {
    if (t == -INFINITY || t == INFINITY) return t;
    double d = (double)t - 8 * 0x1p-24 * fabs((double)t) - 0x1p-40;
    float f = (float)d;
    return (double)f > d ? nextafterf(f, -INFINITY) : f;
}

size_t nidus__screen_cols(const nidus__screen *s, size_t dim) { return s->bf16 ? (dim + 15) / 16 * 8 : dim; }

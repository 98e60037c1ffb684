/* kernels.c — nidus's dot product and normalization, and the dot-product
 * kernels that reproduce that dot's bits, chosen once at run time from what the
 * CPU reports (never from build flags).
 *
 * Every kernel keeps nidus 0.3's summation order exactly: lane l accumulates
 * x[8c+l]*y[8c+l] over the chunks c with a separate multiply and add, the lanes
 * fold as (l, l+4), then (l, l+2), then (0, 1), and the tail is added one product
 * at a time. Eight f32 lanes are exactly one 256-bit register, so the AVX2 and NEON
 * kernels give the same bits as the portable one — and as nidus 0.3. A 16-lane
 * accumulator or a fused multiply-add would change the bits. On CPUs with separate
 * multiply and add pipes, mul+add costs no throughput against FMA; what speed needs
 * is many independent chains in flight: four rows per pass for one query, 4x3
 * (query, row) blocks for a batch. (An AVX-512 variant packing two 8-lane
 * accumulators per register measured slower here: 32 against 40 GMAC/s.) */
#include "nidus_internal.h"

#include <math.h>
#include <stdlib.h>

/* The SIMD code this build holds (none under NIDUS__PORTABLE_ONLY). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(NIDUS__PORTABLE_ONLY)
#include <immintrin.h>
#define KERNELS_X86 1 /* the AVX2 kernel; screen.c's screens */
#endif
#if defined(__aarch64__) && !defined(NIDUS__PORTABLE_ONLY)
#include <arm_neon.h>
#define KERNELS_NEON 1
#endif

/* ----------------------------------------------------------- reference ---- */

/* nidus 0.3's normalization and dot product in plain C: the definition every
 * kernel below must match bit for bit (the tests compare them at every length). */

void nidus__normalize(float *v, size_t n) {
    float sq = 0.0f;
    for (size_t i = 0; i < n; i++) sq += v[i] * v[i];
    float norm = sqrtf(sq);
    if (isfinite(norm)) {
        if (norm < 1e-12f) return;
        float inv = 1.0f / norm;
        for (size_t i = 0; i < n; i++) v[i] *= inv;
        return;
    }
    /* The squares overflowed although (callers check) every value is finite:
     * nidus 0.3 would store such a vector as is. Scale by the largest magnitude
     * first so it becomes a unit vector like any other. */
    float big = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(v[i]);
        if (!isfinite(a)) return;
        if (a > big) big = a;
    }
    if (big == 0.0f) return;
    for (size_t i = 0; i < n; i++) v[i] /= big;
    nidus__normalize(v, n);
}

float nidus__dot(const float *a, const float *b, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t chunks = n / 8;
    for (size_t c = 0; c < chunks; c++) {
        const float *x = a + c * 8, *y = b + c * 8;
        for (int l = 0; l < 8; l++) acc[l] += x[l] * y[l];
    }
    for (int l = 0; l < 4; l++) acc[l] += acc[l + 4];
    for (int l = 0; l < 2; l++) acc[l] += acc[l + 2];
    acc[0] += acc[1];
    float s = acc[0];
    for (size_t i = chunks * 8; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ------------------------------------------------------------ portable ---- */

static float dot_portable(const float *a, const float *b, size_t n) { return nidus__dot(a, b, n); }

/* A kernel's dot4 (one vector against four) and block (every query against every
 * row: out[qi * ld + r] = dot(q + qi * n, rows[r])), one pair at a time through
 * its dot: for the kernels that have no interleaved form. */
#define PAIRWISE(name, dot)                                                                        \
    static void dot4_##name(const float *x, const float *const y[4], size_t n, float out[4]) {     \
        for (int j = 0; j < 4; j++) out[j] = dot(x, y[j], n);                                      \
    }                                                                                              \
    static void block_##name(const float *q, size_t nq, const float *const *rows, size_t nr, size_t n, \
                             float *out, size_t ld) {                                              \
        for (size_t qi = 0; qi < nq; qi++)                                                         \
            for (size_t r = 0; r < nr; r++) out[qi * ld + r] = dot(q + qi * n, rows[r], n);        \
    }

PAIRWISE(portable, nidus__dot)

/* One query against nr rows of the matrix mat, row after row:
 * out[r] = dot(q, mat + rows[r] * n). Each row's lines are asked for `ahead` rows
 * before it is scored (see scan.c). A macro, so each kernel's scan1 has its dot
 * inlined: the row loop makes no call per row. */
#define SCAN1(name, attr, dot)                                                                     \
    attr static void name(const float *q, const float *mat, const uint64_t *rows, size_t nr, size_t n, \
                          float *out, size_t ahead) {                                              \
        for (size_t r = 0; r < nr; r++) {                                                          \
            if (r + ahead < nr)                                                                    \
                for (size_t off = 0; off < n * sizeof(float); off += 64)                           \
                    __builtin_prefetch((const char *)(mat + rows[r + ahead] * n) + off, 0, 3);     \
            out[r] = dot(q, mat + rows[r] * n, n);                                                 \
        }                                                                                          \
    }

SCAN1(scan1_portable, , nidus__dot)

/* ---------------------------------------------------------------- AVX2 ---- */

#ifdef KERNELS_X86
#define AVX __attribute__((target("avx2")))

AVX static inline float fold8(__m256 acc) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1)); /* l + (l+4) */
    __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));                                      /* 0+2, 1+3 */
    __m128 u = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));                                  /* 0+1 */
    return _mm_cvtss_f32(u);
}

AVX static inline __attribute__((always_inline)) float dot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t chunks = n / 8;
    for (size_t c = 0; c < chunks; c++)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + 8 * c), _mm256_loadu_ps(b + 8 * c)));
    float s = fold8(acc);
    for (size_t i = chunks * 8; i < n; i++) s += a[i] * b[i];
    return s;
}

SCAN1(scan1_avx2, AVX, dot_avx2)

/* One vector against four: x is loaded once per chunk, and the four independent
 * accumulator chains keep the adders busy. */
AVX static void dot4_avx2(const float *x, const float *const y[4], size_t n, float out[4]) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    size_t chunks = n / 8;
    for (size_t c = 0; c < chunks; c++) {
        __m256 xv = _mm256_loadu_ps(x + 8 * c);
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(xv, _mm256_loadu_ps(y0 + 8 * c)));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(xv, _mm256_loadu_ps(y1 + 8 * c)));
        a2 = _mm256_add_ps(a2, _mm256_mul_ps(xv, _mm256_loadu_ps(y2 + 8 * c)));
        a3 = _mm256_add_ps(a3, _mm256_mul_ps(xv, _mm256_loadu_ps(y3 + 8 * c)));
    }
    float s0 = fold8(a0), s1 = fold8(a1), s2 = fold8(a2), s3 = fold8(a3);
    for (size_t i = chunks * 8; i < n; i++) {
        s0 += x[i] * y0[i];
        s1 += x[i] * y1[i];
        s2 += x[i] * y2[i];
        s3 += x[i] * y3[i];
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

/* Tail products of one (query, row) pair, added one by one after the fold. */
static inline float tail_add(float s, const float *x, const float *y, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) s += x[i] * y[i];
    return s;
}

/* Four queries against three rows: twelve independent accumulator chains, each
 * exactly one (query, row) pair in nidus order. Twelve chains keep both adders and
 * both multipliers busy, so a batch runs at the core's arithmetic peak. */
AVX static void block_avx2(const float *q, size_t nq, const float *const *rows, size_t nr, size_t n, float *out,
                           size_t ld) {
    size_t chunks = n / 8, qi = 0;
    for (; qi + 4 <= nq; qi += 4) {
        const float *q0 = q + qi * n, *q1 = q0 + n, *q2 = q1 + n, *q3 = q2 + n;
        size_t r = 0;
        for (; r + 3 <= nr; r += 3) {
            const float *r0 = rows[r], *r1 = rows[r + 1], *r2 = rows[r + 2];
            __m256 a[4][3];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++) a[i][j] = _mm256_setzero_ps();
            for (size_t c = 0; c < chunks; c++) {
                __m256 y0 = _mm256_loadu_ps(r0 + 8 * c), y1 = _mm256_loadu_ps(r1 + 8 * c),
                       y2 = _mm256_loadu_ps(r2 + 8 * c);
                __m256 x;
                x = _mm256_loadu_ps(q0 + 8 * c);
                a[0][0] = _mm256_add_ps(a[0][0], _mm256_mul_ps(x, y0));
                a[0][1] = _mm256_add_ps(a[0][1], _mm256_mul_ps(x, y1));
                a[0][2] = _mm256_add_ps(a[0][2], _mm256_mul_ps(x, y2));
                x = _mm256_loadu_ps(q1 + 8 * c);
                a[1][0] = _mm256_add_ps(a[1][0], _mm256_mul_ps(x, y0));
                a[1][1] = _mm256_add_ps(a[1][1], _mm256_mul_ps(x, y1));
                a[1][2] = _mm256_add_ps(a[1][2], _mm256_mul_ps(x, y2));
                x = _mm256_loadu_ps(q2 + 8 * c);
                a[2][0] = _mm256_add_ps(a[2][0], _mm256_mul_ps(x, y0));
                a[2][1] = _mm256_add_ps(a[2][1], _mm256_mul_ps(x, y1));
                a[2][2] = _mm256_add_ps(a[2][2], _mm256_mul_ps(x, y2));
                x = _mm256_loadu_ps(q3 + 8 * c);
                a[3][0] = _mm256_add_ps(a[3][0], _mm256_mul_ps(x, y0));
                a[3][1] = _mm256_add_ps(a[3][1], _mm256_mul_ps(x, y1));
                a[3][2] = _mm256_add_ps(a[3][2], _mm256_mul_ps(x, y2));
            }
            const float *qq[4] = {q0, q1, q2, q3}, *rr[3] = {r0, r1, r2};
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++)
                    out[(qi + (size_t)i) * ld + r + (size_t)j] = tail_add(fold8(a[i][j]), qq[i], rr[j], chunks * 8, n);
        }
        for (; r < nr; r++)
            for (size_t i = 0; i < 4; i++) out[(qi + i) * ld + r] = dot_avx2(q + (qi + i) * n, rows[r], n);
    }
    for (; qi < nq; qi++) {
        size_t r = 0;
        for (; r + 4 <= nr; r += 4) dot4_avx2(q + qi * n, &rows[r], n, &out[qi * ld + r]);
        for (; r < nr; r++) out[qi * ld + r] = dot_avx2(q + qi * n, rows[r], n);
    }
}
#endif

/* ---------------------------------------------------------------- NEON ---- */

#ifdef KERNELS_NEON
/* Lanes 0-3 in lo, 4-7 in hi. */
static inline float fold8_neon(float32x4_t lo, float32x4_t hi) {
    float32x4_t s = vaddq_f32(lo, hi);                                      /* l + (l+4) */
    float32x2_t t = vadd_f32(vget_low_f32(s), vget_high_f32(s));            /* 0+2, 1+3 */
    return vget_lane_f32(t, 0) + vget_lane_f32(t, 1);                       /* 0+1 */
}

static float dot_neon(const float *a, const float *b, size_t n) {
    float32x4_t lo = vdupq_n_f32(0), hi = lo;
    size_t chunks = n / 8;
    for (size_t c = 0; c < chunks; c++) {
        lo = vaddq_f32(lo, vmulq_f32(vld1q_f32(a + 8 * c), vld1q_f32(b + 8 * c)));
        hi = vaddq_f32(hi, vmulq_f32(vld1q_f32(a + 8 * c + 4), vld1q_f32(b + 8 * c + 4)));
    }
    float s = fold8_neon(lo, hi);
    for (size_t i = chunks * 8; i < n; i++) s += a[i] * b[i];
    return s;
}

PAIRWISE(neon, dot_neon)

SCAN1(scan1_neon, , dot_neon)
#endif

/* ----------------------------------------------------------- the table ---- */

/* What NIDUS_KERNEL can cap the choice at, lowest first (see env_cap). */
enum { LV_PORTABLE, LV_SIMD, LV_AVX512, LV_BF16, LV_ANY };

typedef void (*dot4_fn)(const float *, const float *const[4], size_t, float[4]);
typedef void (*block_fn)(const float *, size_t, const float *const *, size_t, size_t, float *, size_t);
typedef void (*scan1_fn)(const float *, const float *, const uint64_t *, size_t, size_t, float *, size_t);

/* One kernel: an exact one (nidus__dot's bits: dot, dot4, block, scan1 and its
 * name) or a batch screen (screen, whose descriptor holds its name). */
typedef struct kernel {
    const char *name;
    unsigned level;    /* chosen only when NIDUS_KERNEL allows this level */
    bool (*runs)(void); /* whether this CPU can run it */
    nidus__dot_fn dot;
    dot4_fn dot4;
    block_fn block;
    scan1_fn scan1;
    const nidus__screen *screen;
} kernel;

static bool cpu_any(void) { return true; }
#ifdef KERNELS_X86
static bool cpu_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
static bool cpu_avx2_fma(void) { return cpu_avx2() && __builtin_cpu_supports("fma"); }
static bool cpu_avx512(void) { return cpu_avx2_fma() && __builtin_cpu_supports("avx512f"); }
static bool cpu_avx512_bf16(void) {
    return cpu_avx512() && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw");
}
#endif

/* Every kernel of this build, each kind slowest first: the run-time choice and
 * the test hooks read only this table. */
static const kernel KERNELS[] = {
    {"portable", LV_PORTABLE, cpu_any, dot_portable, dot4_portable, block_portable, scan1_portable, NULL},
#ifdef KERNELS_X86
    {"avx2", LV_SIMD, cpu_avx2, dot_avx2, dot4_avx2, block_avx2, scan1_avx2, NULL},
#endif
#ifdef KERNELS_NEON
    {"neon", LV_SIMD, cpu_any, dot_neon, dot4_neon, block_neon, scan1_neon, NULL}, /* every AArch64 has it */
#endif
#ifdef KERNELS_X86
    {NULL, LV_SIMD, cpu_avx2_fma, NULL, NULL, NULL, NULL, &nidus__screen_avx2_fma},
    {NULL, LV_AVX512, cpu_avx512, NULL, NULL, NULL, NULL, &nidus__screen_avx512},
    {NULL, LV_BF16, cpu_avx512_bf16, NULL, NULL, NULL, NULL, &nidus__screen_avx512_bf16},
#endif
};
#define NKERNELS (sizeof KERNELS / sizeof KERNELS[0])

/* The next entry from *i on, of one kind (screens or exact kernels), that this
 * CPU runs; NULL after the last. */
static const kernel *each(size_t *i, bool screen) {
    while (*i < NKERNELS) {
        const kernel *e = &KERNELS[(*i)++];
        if ((e->screen != NULL) == screen && e->runs()) return e;
    }
    return NULL;
}

/* ------------------------------------------------------------ dispatch ---- */

bool nidus__kernel_env_is(const char *name) {
    const char *force = getenv("NIDUS_KERNEL");
    return force && strcmp(force, name) == 0;
}

/* NIDUS_KERNEL=portable leaves the portable kernel and no screen; =avx2 the AVX2
 * screen, =avx512 the f32 AVX-512 one (to test and time the smaller screens on a
 * bigger CPU); anything else caps nothing. */
static unsigned env_cap(void) {
    if (nidus__kernel_env_is("portable")) return LV_PORTABLE;
    if (nidus__kernel_env_is("avx2")) return LV_SIMD;
    if (nidus__kernel_env_is("avx512")) return LV_AVX512;
    return LV_ANY;
}

/* The fastest kernel of a kind that runs here and that NIDUS_KERNEL allows. */
static const kernel *best(bool screen) {
    unsigned cap = env_cap();
    const kernel *b = NULL, *e;
    for (size_t i = 0; (e = each(&i, screen));)
        if (e->level <= cap) b = e;
    return b;
}

static const kernel *_Atomic chosen;

static const kernel *k(void) {
    const kernel *c = chosen;
    if (!c) chosen = c = best(false); /* racing first calls pick the same kernel; portable always runs */
    return c;
}

const char *nidus_kernel_name(void) { return k()->name; }

nidus__dot_fn nidus__kdot_fn(void) { return k()->dot; }

void nidus__kblock(const float *q, size_t nq, const float *const *rows, size_t nr, size_t n, float *out, size_t ld) {
    k()->block(q, nq, rows, nr, n, out, ld);
}

void nidus__kscan1(const float *q, const float *mat, const uint64_t *rows, size_t nr, size_t n, float *out,
                   size_t ahead) {
    k()->scan1(q, mat, rows, nr, n, out, ahead);
}

static const nidus__screen *_Atomic screen_chosen;
static _Atomic int screen_picked;

const nidus__screen *nidus__screen_get(void) {
    if (!screen_picked) { /* racing first calls pick the same one */
        const kernel *e = best(true);
        screen_chosen = e ? e->screen : NULL;
        screen_picked = 1;
    }
    return screen_chosen;
}

const char *nidus_batch_kernel_name(void) {
    const nidus__screen *s = nidus__screen_get();
    return s ? s->name : "none";
}

/* ---------------------------------------------------------- test hooks ---- */

/* Each lists the table's kernels of one kind that run here, in table order
 * (portable first), and returns how many (may exceed cap). */

size_t nidus__kernels_block(const char **names, float (**dots)(const float *, const float *, size_t),
                            void (**dot4s)(const float *, const float *const[4], size_t, float[4]),
                            void (**blocks)(const float *, size_t, const float *const *, size_t, size_t, float *,
                                            size_t),
                            size_t cap) {
    size_t n = 0;
    const kernel *e;
    for (size_t i = 0; (e = each(&i, false)); n++)
        if (n < cap) {
            names[n] = e->name, dots[n] = e->dot, dot4s[n] = e->dot4;
            if (blocks) blocks[n] = e->block;
        }
    return n;
}

size_t nidus__kernels(const char **names, float (**dots)(const float *, const float *, size_t),
                      void (**dot4s)(const float *, const float *const[4], size_t, float[4]), size_t cap) {
    return nidus__kernels_block(names, dots, dot4s, NULL, cap);
}

size_t nidus__kernels_scan1(const char **names,
                            void (**scans)(const float *, const float *, const uint64_t *, size_t, size_t, float *,
                                           size_t),
                            size_t cap) {
    size_t n = 0;
    const kernel *e;
    for (size_t i = 0; (e = each(&i, false)); n++)
        if (n < cap) names[n] = e->name, scans[n] = e->scan1;
    return n;
}

size_t nidus__screens(const nidus__screen **out, size_t cap) {
    size_t n = 0;
    const kernel *e;
    for (size_t i = 0; (e = each(&i, true)); n++)
        if (n < cap) out[n] = e->screen;
    return n;
}

/* shadow.c — the shadow copy of the rows (SPEC.md §13): int8 codes with a per-row
 * scale and the per-row bounds that make its screen exact, the coded query, and
 * the integer dot kernels (portable; AVX2 chosen at run time by a target
 * attribute, never a build flag). Every kernel computes the same integers, so
 * the screen's decisions do not depend on the CPU. */
#include "shadow.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(NIDUS__PORTABLE_ONLY)
#include <immintrin.h>
#define SHADOW_X86 1
#define T_AVX2 __attribute__((target("avx2")))
#endif

/* Elements above this, or a norm above it, are not coded: with both norms at
 * most 2^60 no sum of the exact kernel can overflow (SPEC.md §4.2), which the
 * bound needs. */
#define NORM_MAX 0x1p60
/* Scales below this (subnormal) are not used: the code would lose the bits the
 * bound counts on. Such rows are always rescored; such queries go exact. */
#define SCALE_MIN 0x1p-126
/* Strides are multiples of 16 (the kernels' smallest step). Stride cap: the VNNI kernel's biased sum, at most 255 * 127 * stride, stays
 * below 2^31. */
#define STRIDE_MAX 65536

void nidus__shadow_init(nshadow *sh) {
    memset(sh, 0, sizeof *sh);
    pthread_mutex_init(&sh->mu, NULL);
}

void nidus__shadow_release(nshadow *sh) {
    nidus__free(sh->codes);
    nidus__free(sh->meta);
    sh->codes = NULL, sh->meta = NULL;
    sh->cap = 0;
    sh->rows = 0;
    sh->off = false;
    sh->shaped = false;
}

void nidus__shadow_free(nshadow *sh) {
    nidus__shadow_release(sh);
    pthread_mutex_destroy(&sh->mu);
}

void nidus__shadow_reset(nshadow *sh) { sh->rows = 0; }

uint64_t nidus__shadow_bytes(nshadow *sh) {
    pthread_mutex_lock(&sh->mu); /* a search may be growing it */
    uint64_t n = sh->cap * ((uint64_t)sh->stride + sizeof(nshadow_row));
    pthread_mutex_unlock(&sh->mu);
    return n;
}

/* v rounded to a float, up (down): the bounds must never shrink. */
static float up(double v) {
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}
static float down(double v) {
    float f = (float)v;
    return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

/* gamma_m of the exact kernel's summation order, m = dim + 16 (screen.c). */
static double gamma_m(uint32_t dim) {
    const double u = 0x1p-24, m = (double)dim + 16;
    return m * u / (1 - m * u);
}

/* The factor covering a double sum of n terms, a sqrt and a product:
 * gamma_n in double is below (n + 1) 2^-53; (n + 8) 2^-52 covers it twice over. */
static double fup(uint32_t n) { return 1 + ((double)n + 8) * 0x1p-52; }
static double fdown(uint32_t n) { return 1 - ((double)n + 8) * 0x1p-52; }

/* Code n values v (scale *scale, codes c[0..n), the rest of the stride zero);
 * sums: |c|^2 exactly, |r|^2 and |v|^2 in double. false: a value is not finite,
 * or the norm is above NORM_MAX, or the scale would be subnormal (nothing set but
 * zero codes). A zero vector gets scale 0. The choice of codes does not matter to
 * the proof (the residual is measured after), only to how tight it is. */
static bool code_portable(const float *v, uint32_t n, int8_t *c, size_t stride, float *scale, uint64_t *c2,
                          double *r2, double *x2) {
    memset(c, 0, stride);
    /* Eight independent sums (a double sum in any order is within gamma_n, which
     * fup covers), so the loops are not one long chain of additions. */
    enum { L = 8 };
    float mx[L] = {0};
    double sq[L] = {0};
    bool finite = true;
    uint32_t i = 0;
    for (; i + L <= n; i += L)
        for (int l = 0; l < L; l++) {
            float a = fabsf(v[i + l]);
            finite &= a <= (float)NORM_MAX; /* also false for NaN */
            mx[l] = a > mx[l] ? a : mx[l];
            sq[l] += (double)v[i + l] * v[i + l];
        }
    for (; i < n; i++) {
        float a = fabsf(v[i]);
        finite &= a <= (float)NORM_MAX;
        mx[0] = a > mx[0] ? a : mx[0];
        sq[0] += (double)v[i] * v[i];
    }
    if (!finite) return false;
    float M = 0;
    double x = 0;
    for (int l = 0; l < L; l++) M = mx[l] > M ? mx[l] : M, x += sq[l];
    *x2 = x;
    *c2 = 0, *r2 = 0;
    if (!(sqrt(x) * fup(n) <= NORM_MAX)) return false;
    if (M == 0) {
        *scale = 0;
        return true;
    }
    float s = (float)((double)M / 127.0);
    if (!(s >= SCALE_MIN)) return false;
    *scale = s;
    const float inv = 1.0f / s;
    const double sd = s;
    int32_t cc[L] = {0};
    double rr[L] = {0};
    for (i = 0; i + L <= n; i += L)
        for (int l = 0; l < L; l++) {
            float y = v[i + l] * inv;
            int k = (int)(y + (y >= 0 ? 0.5f : -0.5f));
            k = k > 127 ? 127 : k < -127 ? -127 : k;
            c[i + l] = (int8_t)k;
            cc[l] += k * k; /* at most 127^2 * n / 8 < 2^31 for n < 2^17 */
            /* s * k is exact in double (24 + 7 bits), and so is the difference (§13) */
            double r = (double)v[i + l] - sd * k;
            rr[l] += r * r;
        }
    for (; i < n; i++) {
        float y = v[i] * inv;
        int k = (int)(y + (y >= 0 ? 0.5f : -0.5f));
        k = k > 127 ? 127 : k < -127 ? -127 : k;
        c[i] = (int8_t)k;
        cc[0] += k * k;
        double r = (double)v[i] - sd * k;
        rr[0] += r * r;
    }
    uint64_t ct = 0;
    double rt = 0;
    for (int l = 0; l < L; l++) ct += (uint64_t)cc[l], rt += rr[l];
    *c2 = ct, *r2 = rt;
    return true;
}

#ifdef SHADOW_X86
/* code_portable in AVX2, bit for bit: the same lanes (element i in sum i % 8), the
 * same tail, the same rounding of the codes (y + copysign(0.5, y), truncated). */
T_AVX2 static bool code_avx2(const float *v, uint32_t n, int8_t *c, size_t stride, float *scale, uint64_t *c2,
                             double *r2, double *x2) {
    memset(c, 0, stride);
    const __m256 sign = _mm256_set1_ps(-0.0f), cap = _mm256_set1_ps((float)NORM_MAX);
    __m256 mxv = _mm256_setzero_ps(), ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    __m256d sq0 = _mm256_setzero_pd(), sq1 = _mm256_setzero_pd();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(v + i), a = _mm256_andnot_ps(sign, x);
        ok = _mm256_and_ps(ok, _mm256_cmp_ps(a, cap, _CMP_LE_OQ));
        mxv = _mm256_max_ps(a, mxv);
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
        sq0 = _mm256_add_pd(sq0, _mm256_mul_pd(lo, lo));
        sq1 = _mm256_add_pd(sq1, _mm256_mul_pd(hi, hi));
    }
    if (_mm256_movemask_ps(ok) != 0xFF) return false;
    float mx[8];
    double sq[8];
    _mm256_storeu_ps(mx, mxv);
    _mm256_storeu_pd(sq, sq0);
    _mm256_storeu_pd(sq + 4, sq1);
    bool finite = true;
    for (; i < n; i++) {
        float a = fabsf(v[i]);
        finite &= a <= (float)NORM_MAX;
        mx[0] = a > mx[0] ? a : mx[0];
        sq[0] += (double)v[i] * v[i];
    }
    if (!finite) return false;
    float M = 0;
    double x = 0;
    for (int l = 0; l < 8; l++) M = mx[l] > M ? mx[l] : M, x += sq[l];
    *x2 = x;
    *c2 = 0, *r2 = 0;
    if (!(sqrt(x) * fup(n) <= NORM_MAX)) return false;
    if (M == 0) {
        *scale = 0;
        return true;
    }
    float s = (float)((double)M / 127.0);
    if (!(s >= SCALE_MIN)) return false;
    *scale = s;
    const float inv = 1.0f / s;
    const double sd = s;
    const __m256 vinv = _mm256_set1_ps(inv), half = _mm256_set1_ps(0.5f);
    const __m256i lo127 = _mm256_set1_epi32(-127), hi127 = _mm256_set1_epi32(127);
    const __m256d vs = _mm256_set1_pd(sd);
    __m256i cc = _mm256_setzero_si256();
    __m256d rr0 = _mm256_setzero_pd(), rr1 = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 xv = _mm256_loadu_ps(v + i), y = _mm256_mul_ps(xv, vinv);
        /* copysign(0.5, y): the portable y >= 0 ? 0.5 : -0.5 but for y = -0, where
         * both sums truncate to 0 */
        __m256 h = _mm256_or_ps(_mm256_and_ps(y, sign), half);
        __m256i k = _mm256_cvttps_epi32(_mm256_add_ps(y, h));
        k = _mm256_min_epi32(_mm256_max_epi32(k, lo127), hi127);
        __m128i klo = _mm256_castsi256_si128(k), khi = _mm256_extracti128_si256(k, 1);
        __m128i p8 = _mm_packs_epi16(_mm_packs_epi32(klo, khi), _mm_setzero_si128());
        _mm_storel_epi64((__m128i *)(c + i), p8);
        cc = _mm256_add_epi32(cc, _mm256_mullo_epi32(k, k));
        __m256d r0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(xv)), _mm256_mul_pd(vs, _mm256_cvtepi32_pd(klo)));
        __m256d r1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(xv, 1)), _mm256_mul_pd(vs, _mm256_cvtepi32_pd(khi)));
        rr0 = _mm256_add_pd(rr0, _mm256_mul_pd(r0, r0));
        rr1 = _mm256_add_pd(rr1, _mm256_mul_pd(r1, r1));
    }
    int32_t ccl[8];
    double rr[8];
    _mm256_storeu_si256((__m256i *)ccl, cc);
    _mm256_storeu_pd(rr, rr0);
    _mm256_storeu_pd(rr + 4, rr1);
    for (; i < n; i++) {
        float y = v[i] * inv;
        int k = (int)(y + (y >= 0 ? 0.5f : -0.5f));
        k = k > 127 ? 127 : k < -127 ? -127 : k;
        c[i] = (int8_t)k;
        ccl[0] += k * k;
        double r = (double)v[i] - sd * k;
        rr[0] += r * r;
    }
    uint64_t ct = 0;
    double rt = 0;
    for (int l = 0; l < 8; l++) ct += (uint64_t)ccl[l], rt += rr[l];
    *c2 = ct, *r2 = rt;
    return true;
}
#endif

static nidus__code_fn coder(void);

/* Rows keep their codes biased, c + 128 as a byte (c ^ 0x80), so the VNNI
 * kernel can take them as unsigned; the padding becomes 0x80, code 0. */
static void bias(int8_t *c, size_t n) {
    for (size_t i = 0; i < n; i++) c[i] = (int8_t)((uint8_t)c[i] ^ 0x80u);
}

static void code_row(const nshadow *sh, const float *x, int8_t *c, nshadow_row *m) {
    const uint32_t n = sh->dim;
    float s;
    uint64_t c2;
    double r2, x2;
    if (!coder()(x, n, c, sh->stride, &s, &c2, &r2, &x2)) {
        *m = (nshadow_row){0, INFINITY, INFINITY, 0}; /* always rescored */
        memset(c, 0x80, sh->stride);
        return;
    }
    bias(c, sh->stride);
    const double f = fup(n);
    double rn = sqrt(r2) * f, a = (double)s * sqrt((double)c2) * f;
    m->s = s;
    m->a = up(a);
    if (sh->distance == NIDUS_DISTANCE_EUCLIDEAN) {
        m->b = up(rn);
        m->l2lo = down(x2 * fdown(n));
    } else {
        double xn = sqrt(x2) * f;
        m->b = up((rn + gamma_m(n) * xn) * (1 + 0x1p-50));
        m->l2lo = 0;
    }
}

/* One share of a sync's rows (a pthread start routine). */
typedef struct coding {
    nshadow *sh;
    const ndata *d;
    uint64_t lo, hi;
    pthread_t t;
} coding;

static void *code_share(void *arg) {
    coding *w = arg;
    for (uint64_t r = w->lo; r < w->hi; r++)
        code_row(w->sh, w->d->vec + r * w->d->dim, w->sh->codes + r * w->sh->stride, &w->sh->meta[r]);
    return NULL;
}

/* Code rows [lo, hi): on up to four threads (one per online core) when there
 * are at least 2^22 floats per thread; a thread that cannot start leaves its
 * share to the caller. The shares write disjoint rows. */
static void code_rows(nshadow *sh, const ndata *d, uint64_t lo, uint64_t hi) {
    enum { MAXT = 4 };
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t floats = (hi - lo) * d->dim, nt = floats >> 22;
    if (nt > MAXT) nt = MAXT;
    if (online > 0 && nt > (uint64_t)online) nt = (uint64_t)online;
    if (nt < 1) nt = 1;
    coding w[MAXT];
    bool started[MAXT] = {false};
    for (uint64_t t = 0; t < nt; t++) w[t] = (coding){sh, d, lo + (hi - lo) * t / nt, lo + (hi - lo) * (t + 1) / nt, 0};
    for (uint64_t t = 1; t < nt; t++) started[t] = pthread_create(&w[t].t, NULL, code_share, &w[t]) == 0;
    code_share(&w[0]);
    for (uint64_t t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(w[t].t, NULL);
        else
            code_share(&w[t]);
    }
}

uint64_t nidus__shadow_pending(const nshadow *sh, const ndata *d) {
    uint64_t have = atomic_load_explicit(&sh->rows, memory_order_acquire);
    return have < d->rows ? d->rows - have : 0;
}

bool nidus__shadow_sync(nshadow *sh, const ndata *d, int distance) {
    if (atomic_load_explicit(&sh->shaped, memory_order_acquire) &&
        atomic_load_explicit(&sh->rows, memory_order_acquire) == d->rows)
        return !sh->off;
    pthread_mutex_lock(&sh->mu);
    bool ok = false;
    if (!sh->shaped) { /* the first sync fixes the shape */
        sh->dim = d->dim;
        sh->distance = distance;
        sh->stride = ((size_t)d->dim + 15) / 16 * 16;
        sh->off = d->dim == 0 || sh->stride > STRIDE_MAX;
        atomic_store_explicit(&sh->shaped, true, memory_order_release);
    }
    if (sh->off) goto out;
    uint64_t have = sh->rows, need = d->rows;
    if (have > need) have = 0; /* cannot happen (compaction resets); be safe */
    if (need > sh->cap) {
        /* The first sync (open's rows) gets what it needs; later growth a quarter
         * more, so appends between searches do not copy the codes each time. */
        uint64_t cap = sh->cap + sh->cap / 4;
        if (cap < need) cap = need;
        if (cap > SIZE_MAX / sh->stride) goto out;
        int8_t *c = nidus__reallocarray(sh->codes, (size_t)cap, sh->stride);
        if (!c) goto out;
        sh->codes = c;
        nshadow_row *m = nidus__reallocarray(sh->meta, (size_t)cap, sizeof *m);
        if (!m) goto out; /* codes grew; cap stays: the next sync tries again */
        sh->meta = m;
        sh->cap = cap;
        nidus__hint_huge(sh->codes, (size_t)cap * sh->stride);
    }
    code_rows(sh, d, have, need);
    atomic_store_explicit(&sh->rows, need, memory_order_release);
    ok = true;
out:
    pthread_mutex_unlock(&sh->mu);
    return ok;
}

bool nidus__shadow_query(const nshadow *sh, const float *q, int8_t *codes, nshadow_q *out) {
    const uint32_t n = sh->dim;
    float t;
    uint64_t c2;
    double p2, q2;
    if (!coder()(q, n, codes, sh->stride, &t, &c2, &p2, &q2)) return false;
    const double f = fup(n);
    *out = (nshadow_q){
        .sh = sh,
        .codes = codes,
        .t = t,
        .P = sqrt(p2) * f,
        .Q = sqrt(q2) * f,
        .A = q2 * fdown(n),
        /* Underflow: each product (square) of the exact kernel is off by at most
         * 2^-150 more than its relative error says; m of them, doubled. */
        .absl = ((double)n + 16) * 0x1p-149,
        .g2 = gamma_m(n) + 4 * 0x1p-24,
        .l2 = sh->distance == NIDUS_DISTANCE_EUCLIDEAN,
    };
    return true;
}

/* ------------------------------------------------------------- kernels ---- */

static void idot_portable(const int8_t *q, const int8_t *codes, const uint64_t *rows, size_t nr, size_t stride,
                          int32_t *out, size_t ahead) {
    for (size_t r = 0; r < nr; r++) {
        if (r + ahead < nr)
            for (size_t off = 0; off < stride; off += 64)
                __builtin_prefetch(codes + rows[r + ahead] * stride + off, 0, 3);
        const uint8_t *c = (const uint8_t *)codes + rows[r] * stride;
        int32_t s = 0;
        for (size_t i = 0; i < stride; i++) s += (int32_t)q[i] * ((int32_t)c[i] - 128);
        out[r] = s;
    }
}

#ifdef SHADOW_X86
/* 32 codes per step: maddubs(|q|, sign(c, q)) gives q*c pairs summed in 16 bits
 * (at most 2 * 127 * 127, no saturation: codes are within -127..127), madd with
 * ones widens them to 32 bits. Exact, so equal to the portable sums. */
T_AVX2 static void idot_avx2(const int8_t *q, const int8_t *codes, const uint64_t *rows, size_t nr, size_t stride,
                             int32_t *out, size_t ahead) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t r = 0; r < nr; r++) {
        if (r + ahead < nr)
            for (size_t off = 0; off < stride; off += 64)
                _mm_prefetch((const char *)(codes + rows[r + ahead] * stride + off), _MM_HINT_T0);
        const int8_t *c = codes + rows[r] * stride;
        const __m256i flip = _mm256_set1_epi8((char)0x80); /* unbias: c = byte ^ 0x80 */
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        size_t i = 0;
        for (; i + 64 <= stride; i += 64) {
            __m256i q0 = _mm256_loadu_si256((const __m256i *)(q + i));
            __m256i q1 = _mm256_loadu_si256((const __m256i *)(q + i + 32));
            __m256i c0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(c + i)), flip);
            __m256i c1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(c + i + 32)), flip);
            __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(q0), _mm256_sign_epi8(c0, q0));
            __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(q1), _mm256_sign_epi8(c1, q1));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(p1, ones));
        }
        if (i + 32 <= stride) {
            __m256i q0 = _mm256_loadu_si256((const __m256i *)(q + i));
            __m256i c0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(c + i)), flip);
            __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(q0), _mm256_sign_epi8(c0, q0));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
            i += 32;
        }
        __m256i acc = _mm256_add_epi32(acc0, acc1);
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        if (i < stride) { /* stride is a multiple of 16: the last 16 */
            __m128i q0 = _mm_loadu_si128((const __m128i *)(q + i));
            __m128i c0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(c + i)), _mm256_castsi256_si128(flip));
            __m128i p0 = _mm_maddubs_epi16(_mm_abs_epi8(q0), _mm_sign_epi8(c0, q0));
            h = _mm_add_epi32(h, _mm_madd_epi16(p0, _mm256_castsi256_si128(ones)));
        }
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
        out[r] = _mm_cvtsi128_si32(h);
    }
}

static bool cpu_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

/* AVX512-VNNI: vpdpbusd multiplies the biased row bytes (unsigned) by the query
 * codes (signed) and sums four products into each 32-bit lane, no saturation;
 * subtracting 128 * sum(q) leaves sum q (b - 128) = sum q c, exact. 64 codes per
 * instruction: a 384-d row is six. */
#define T_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
T_VNNI static void idot_vnni(const int8_t *q, const int8_t *codes, const uint64_t *rows, size_t nr, size_t stride,
                             int32_t *out, size_t ahead) {
    int32_t qsum = 0;
    for (size_t i = 0; i < stride; i++) qsum += q[i];
    const int32_t corr = 128 * qsum;
    const size_t full = stride / 64 * 64;
    const __mmask64 tail = stride > full ? ~0ull >> (64 - (stride - full)) : 0; /* 0, 16, 32 or 48 bytes */
    for (size_t r = 0; r < nr; r++) {
        if (r + ahead < nr)
            for (size_t off = 0; off < stride; off += 64)
                _mm_prefetch((const char *)(codes + rows[r + ahead] * stride + off), _MM_HINT_T0);
        const int8_t *c = codes + rows[r] * stride;
        __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
        size_t i = 0;
        for (; i + 128 <= full; i += 128) {
            acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(c + i), _mm512_loadu_si512(q + i));
            acc1 = _mm512_dpbusd_epi32(acc1, _mm512_loadu_si512(c + i + 64), _mm512_loadu_si512(q + i + 64));
        }
        if (i < full) acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(c + i), _mm512_loadu_si512(q + i));
        if (tail)
            acc1 = _mm512_dpbusd_epi32(acc1, _mm512_maskz_loadu_epi8(tail, c + full),
                                       _mm512_maskz_loadu_epi8(tail, q + full));
        out[r] = _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)) - corr;
    }
}

static bool cpu_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}
#endif

typedef struct ikernel {
    const char *name;
    bool (*runs)(void);
    nidus__idot_fn fn;
    nidus__code_fn code;
    bool avx512; /* left out under NIDUS_KERNEL=avx2 */
} ikernel;

static bool cpu_any(void) { return true; }

static const ikernel IKERNELS[] = {
    {"portable", cpu_any, idot_portable, code_portable, false},
#ifdef SHADOW_X86
    {"avx2", cpu_avx2, idot_avx2, code_avx2, false},
    {"avx512-vnni", cpu_vnni, idot_vnni, code_avx2, true},
#endif
};
#define NIKERNELS (sizeof IKERNELS / sizeof IKERNELS[0])

static const ikernel *_Atomic ichosen;

/* The last kernel of the table that runs here (portable under NIDUS_KERNEL=portable,
 * at most avx2 under NIDUS_KERNEL=avx2). */
static const ikernel *pick(void) {
    const ikernel *k = ichosen;
    if (!k) { /* racing first calls pick the same one */
        k = &IKERNELS[0];
        bool avx2_only = nidus__kernel_env_is("avx2"); /* as for the screens: test the smaller one */
        if (!nidus__kernel_env_is("portable"))
            for (size_t i = 0; i < NIKERNELS; i++)
                if (IKERNELS[i].runs() && !(avx2_only && IKERNELS[i].avx512)) k = &IKERNELS[i];
        ichosen = k;
    }
    return k;
}

nidus__idot_fn nidus__idot_get(void) { return pick()->fn; }
static nidus__code_fn coder(void) { return pick()->code; }

size_t nidus__idot_kernels(const char **names, nidus__idot_fn *fns, nidus__code_fn *codes, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < NIKERNELS; i++)
        if (IKERNELS[i].runs()) {
            if (n < cap) {
                names[n] = IKERNELS[i].name, fns[n] = IKERNELS[i].fn;
                if (codes) codes[n] = IKERNELS[i].code;
            }
            n++;
        }
    return n;
}

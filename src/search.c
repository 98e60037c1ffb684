/* search.c — the scoring kernel and the bounded top-k.
 *
 * The dot product keeps nidus 0.3's summation order exactly (8 lanes, pairwise
 * fold, tail added one by one; the file is built with -ffp-contract=off), so
 * scores match the Rust crate bit for bit. */
#include "nidus_internal.h"

#include <math.h>

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

/* NaN ranks below every number; equal scores (with -0 == 0): lower row first. */
bool nidus__rank_before(float sa, uint64_t ra, float sb, uint64_t rb) {
    bool na = isnan(sa), nb = isnan(sb);
    if (na != nb) return nb;
    if (!na && sa != sb) return sa > sb;
    return ra < rb;
}

static bool item_before(const ntopk_item *a, const ntopk_item *b) {
    return nidus__rank_before(a->score, a->row, b->score, b->row);
}

void nidus__topk_init(ntopk *t, ntopk_item *storage, size_t k) {
    t->heap = storage;
    t->n = 0;
    t->k = k;
}

/* The heap keeps the worst kept item at the root. */
static void sift_down(ntopk_item *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && item_before(&h[w], &h[l])) w = l;
        if (r < n && item_before(&h[w], &h[r])) w = r;
        if (w == i) return;
        ntopk_item tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

void nidus__topk_push(ntopk *t, float score, uint64_t row, const void *ref, const void *ref2) {
    ntopk_item it = {score, row, ref, ref2};
    if (t->n < t->k) {
        size_t i = t->n++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!item_before(&t->heap[p], &it)) break;
            t->heap[i] = t->heap[p];
            i = p;
        }
        t->heap[i] = it;
        return;
    }
    if (t->k == 0 || !item_before(&it, &t->heap[0])) return;
    t->heap[0] = it;
    sift_down(t->heap, t->n, 0);
}

size_t nidus__topk_finish(ntopk *t) {
    /* Heap sort: repeatedly move the worst to the end, leaving best first. */
    size_t n = t->n;
    for (size_t end = n; end > 1; end--) {
        ntopk_item tmp = t->heap[0];
        t->heap[0] = t->heap[end - 1];
        t->heap[end - 1] = tmp;
        sift_down(t->heap, end - 1, 0);
    }
    return n;
}

/* topk.c — the bounded top-k of a scan: keeps the k best (score, row) pairs
 * seen, in nidus's total order (score descending, NaN below every number, then
 * row ascending), so any split of a scan merges to the same result. */
#include "nidus_internal.h"

#include <math.h>

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

void nidus__topk_merge(ntopk *into, const ntopk *from) {
    for (size_t x = 0; x < from->n; x++) {
        const ntopk_item *it = &from->heap[x];
        nidus__topk_push(into, it->score, it->row, it->ref, it->ref2);
    }
}

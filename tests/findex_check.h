/* findex_check.h — the filter index's oracle, shared by tests/test_findex.c and
 * fuzz/fuzz_findex.c: a filtered search of a store equals the brute force (every
 * doc ranked unfiltered, kept when the model of test_filter_model.h matches its
 * stored attributes), and the planner's candidates hold every matching doc. */
#ifndef NIDUS_TEST_FINDEX_CHECK_H
#define NIDUS_TEST_FINDEX_CHECK_H

#include "test_filter_model.h"
#include "findex.h"

typedef void (*fxc_fail_fn)(const char *what);

static inline int fxc_doc_cmp(const void *a, const void *b) {
    return strcmp(((const nidus_doc *)a)->id, ((const nidus_doc *)b)->id);
}

/* The stored attributes of `id` in docs (sorted by id), or NULL. */
static inline const nidus_doc *fxc_doc(const nidus_docs *docs, const char *id) {
    nidus_doc key = {0};
    key.id = id;
    return (const nidus_doc *)bsearch(&key, docs->docs, docs->count, sizeof key, fxc_doc_cmp);
}

/* Whether `got` equals the brute force for filter f, top_k k over collection coll
 * (0 or the reason). */
static inline const char *fxc_brute(nidus_db *db, const char *coll, const float *q, const nidus_filter *f, size_t k,
                                    const nidus_hits *got) {
    nidus_docs *docs = NULL;
    if (nidus_get_all(db, coll, &docs)) return "get_all failed";
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = docs->count ? docs->count : 1;
    o.collections = &coll;
    o.n_collections = 1;
    nidus_hits *all = NULL;
    const char *bad = NULL;
    if (nidus_search(db, q, nidus_dimension(db), &o, &all)) {
        nidus_free(docs);
        return "unfiltered search failed";
    }
    size_t m = 0;
    for (size_t i = 0; i < all->count && m < k && !bad; i++) {
        const nidus_doc *d = fxc_doc(docs, all->hits[i].id);
        if (!d) bad = "a hit without a doc";
        else if (fm_eval(f, d->attrs, d->n_attrs)) {
            if (m >= got->count) bad = "fewer hits than the brute force";
            else if (strcmp(got->hits[m].id, all->hits[i].id) || got->hits[m].row != all->hits[i].row ||
                     memcmp(&got->hits[m].score, &all->hits[i].score, sizeof(float)))
                bad = "a hit differs from the brute force";
            m++;
        }
    }
    if (!bad && m != got->count) bad = "more hits than the brute force";
    nidus_free(all);
    nidus_free(docs);
    return bad;
}

/* Two hit lists are the same (ids, rows, score bits). */
static inline bool fxc_same(const nidus_hits *a, const nidus_hits *b) {
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->hits[i].id, b->hits[i].id) || a->hits[i].row != b->hits[i].row ||
            memcmp(&a->hits[i].score, &b->hits[i].score, sizeof(float)))
            return false;
    return true;
}

/* The planner on c for filter f (compiled): -1 when it scans everything, else the
 * candidate count; 0 or a reason when a matching doc is missing from them. Call
 * with no other thread using db. */
static inline long fxc_candidates(ncoll *c, const nidus_filter *f, const char **bad) {
    *bad = NULL;
    nfilter *cf = NULL;
    nerr e = {0};
    if (nidus__filter_compile_tree(NULL, 0, f, &cf, &e)) {
        *bad = "compile failed";
        return -1;
    }
    nscan order = nidus__scan_order(c), cand;
    void *mem = NULL;
    long n = -1;
    if (nidus__findex_narrow_coll(c, &order, cf, &cand, &mem)) {
        n = (long)cand.n;
        for (size_t i = 0; i < c->n && !*bad; i++) {
            if (!nidus__filter_match(cf, &c->docs[i].attrs)) continue;
            bool in = false;
            for (size_t x = 0; x < cand.n && !in; x++) in = cand.idx[x] == i;
            if (!in) *bad = "a matching doc is not a candidate";
        }
        for (size_t x = 1; x < cand.n && !*bad; x++)
            if (cand.row[x] < cand.row[x - 1]) *bad = "candidates out of row order";
    }
    nidus__findex_release(mem);
    nidus__filter_free(cf);
    return n;
}

#endif

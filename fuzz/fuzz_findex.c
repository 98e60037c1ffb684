/*
 * fuzz_findex — the filter index against no index and against the brute force.
 *
 * Input: the choices of tests/test_filter_model.h's generator, two bytes each
 * (zeros once the input runs out): up to 48 steps, each a write and a search. The
 * writes go to two in-memory stores alike: A indexes k0, k1 and k3 (k3 is never
 * present), B indexes nothing. A write is an upsert batch (ids d00..d63, random
 * attributes of every type, overwrites too), a delete, a delete_where with a
 * random tree, a compaction of both, or a new declaration of A's index (any
 * subset, none included). The search is a random tree (every op, depth <= 5).
 *
 * Properties:
 *  - every write gives the same result code and count on A and B;
 *  - a filtered search (single and a batch of two) returns the same hits (ids,
 *    rows, score bits) on A as on B, and both the brute force's: every doc ranked
 *    unfiltered, kept when the model matches its stored attributes;
 *  - when A's planner narrows, its candidates hold every doc the filter matches,
 *    in row order;
 *  - never a crash, an out-of-bounds read, a leak or undefined behaviour.
 */
#include "common.h"

#include "../tests/findex_check.h"
#include "db.h"

#define FDIM 4

static fm_gen gens[8], tg;
static nidus_attr attrs[8][8];
static char ids[8][8];

static float coord(fm_src *s) { return (float)((int)fm_below(s, 201) - 100) / 100.0f; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fm_src s = {0, data, size, 0};
    nidus_db *a = NULL, *b = NULL;
    FZ_CHECK(nidus_open_memory(FDIM, &a) == NIDUS_OK && nidus_open_memory(FDIM, &b) == NIDUS_OK);
    static const char *const F[] = {"k0", "k1", "k3"};
    FZ_CHECK(nidus_set_filter_index(a, "c", F, 3) == NIDUS_OK);
    float vs[8 * FDIM], q[2 * FDIM];
    for (int step = 0; step < 48 && s.i < s.n; step++) {
        unsigned what = fm_below(&s, 16);
        int ra, rb;
        size_t da = 0, dbn = 0;
        if (what < 10) {
            size_t n = 1 + fm_below(&s, 8);
            nidus_record r[8];
            for (size_t i = 0; i < n; i++) {
                gens[i].nn = gens[i].nv = gens[i].ni = 0;
                size_t na = fm_attrs(&gens[i], &s, attrs[i]);
                snprintf(ids[i], sizeof ids[i], "d%02u", fm_below(&s, 64));
                for (int k = 0; k < FDIM; k++) vs[i * FDIM + k] = coord(&s);
                r[i] = (nidus_record){ids[i], vs + i * FDIM, FDIM, na ? attrs[i] : NULL, na};
            }
            ra = nidus_upsert(a, "c", r, n);
            rb = nidus_upsert(b, "c", r, n);
        } else if (what < 12) {
            const char *del[4];
            size_t n = 1 + fm_below(&s, 4);
            for (size_t i = 0; i < n; i++) {
                snprintf(ids[i], sizeof ids[i], "d%02u", fm_below(&s, 64));
                del[i] = ids[i];
            }
            ra = nidus_delete(a, "c", del, n, &da);
            rb = nidus_delete(b, "c", del, n, &dbn);
        } else if (what == 12) {
            tg.nn = tg.nv = tg.ni = 0;
            nidus_filter *f = fm_root(&tg, &s);
            ra = nidus_delete_where_filter(a, "c", f, &da);
            rb = nidus_delete_where_filter(b, "c", f, &dbn);
        } else if (what == 13) {
            ra = nidus_compact(a);
            rb = nidus_compact(b);
        } else {
            const char *pick[3];
            size_t n = 0;
            unsigned mask = fm_below(&s, 8);
            for (int k = 0; k < 3; k++)
                if (mask >> k & 1) pick[n++] = F[k];
            ra = rb = nidus_set_filter_index(a, "c", pick, n);
        }
        FZ_CHECK_MSG(ra == NIDUS_OK && rb == NIDUS_OK, "step %d: write %u: %d/%d: %s", step, what, ra, rb,
                     nidus_errmsg(a));
        FZ_CHECK_MSG(da == dbn, "step %d: deleted %zu with the index, %zu without", step, da, dbn);

        tg.nn = tg.nv = tg.ni = 0;
        nidus_filter *f = fm_root(&tg, &s);
        for (int k = 0; k < 2 * FDIM; k++) q[k] = coord(&s);
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 1 + fm_below(&s, 12);
        o.where = f;
        nidus_hits *ha = NULL, *hb = NULL, *ba[2] = {0}, *bb[2] = {0};
        FZ_CHECK(nidus_search(a, q, FDIM, &o, &ha) == NIDUS_OK && nidus_search(b, q, FDIM, &o, &hb) == NIDUS_OK);
        FZ_CHECK_MSG(fxc_same(ha, hb), "step %d: the index changed the hits", step);
        const char *bad = fxc_brute(a, "c", q, f, o.top_k, ha);
        FZ_CHECK_MSG(!bad, "step %d: %s", step, bad);
        FZ_CHECK(nidus_search_batch(a, q, 2, FDIM, &o, ba) == NIDUS_OK);
        FZ_CHECK(nidus_search_batch(b, q, 2, FDIM, &o, bb) == NIDUS_OK);
        for (int i = 0; i < 2; i++) {
            FZ_CHECK_MSG(fxc_same(ba[i], bb[i]), "step %d: batch query %d differs", step, i);
            nidus_free(ba[i]);
            nidus_free(bb[i]);
        }
        nidus_free(ha);
        nidus_free(hb);
        ncoll *c = nidus__coll_find(&a->colls, "c", 1);
        if (c) {
            (void)fxc_candidates(c, f, &bad);
            FZ_CHECK_MSG(!bad, "step %d: %s", step, bad);
        }
    }
    nidus_close(a);
    nidus_close(b);
    return 0;
}

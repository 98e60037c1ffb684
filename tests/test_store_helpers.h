/* test_store_helpers.h — small helpers (th_*) for tests that drive a store through
 * the public API: open one (in memory, in a directory, read-only), upsert a record,
 * search, count a collection's docs, read the footprint, fill a numbered collection. The put helpers return the
 * result code; the others fail the test when their call fails. */
#ifndef NIDUS_TEST_STORE_HELPERS_H
#define NIDUS_TEST_STORE_HELPERS_H

#include "test.h"

static inline nidus_db *th_mem(uint32_t dim) {
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory(dim, &db), NIDUS_OK);
    return db;
}

static inline nidus_db *th_open_cfg(const char *dir, const nidus_config *cfg) {
    nidus_db *db = NULL;
    int rc = nidus_open(dir, cfg, &db);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "open %s: %s: %s", dir, nidus_strerror(rc), nidus_errmsg(db));
    return db;
}

static inline nidus_db *th_open(const char *dir, uint32_t dim) {
    nidus_config c;
    nidus_config_init(&c, dim);
    return th_open_cfg(dir, &c);
}

static inline nidus_db *th_open_ro(const char *dir, uint32_t dim) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.read_only = 1;
    c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    return th_open_cfg(dir, &c);
}

/* Upsert one record with no attrs; returns the result code. */
static inline int th_put(nidus_db *db, const char *coll, const char *id, const float *v) {
    nidus_record r = {id, v, nidus_dimension(db), NULL, 0};
    return nidus_upsert(db, coll, &r, 1);
}

static inline int th_put_attr(nidus_db *db, const char *coll, const char *id, const float *v, const char *key,
                              nidus_value val) {
    nidus_attr a = {key, val};
    nidus_record r = {id, v, nidus_dimension(db), &a, 1};
    return nidus_upsert(db, coll, &r, 1);
}

/* Search with top_k over `colls` (NULL = all); caller frees. */
static inline nidus_hits *th_search(nidus_db *db, const char *const *colls, size_t ncolls, const float *q,
                                    size_t k) {
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = k;
    o.collections = colls;
    o.n_collections = ncolls;
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, q, nidus_dimension(db), &o, &h));
    return h;
}

static inline size_t th_count(nidus_db *db, const char *coll) {
    nidus_docs *d = NULL;
    CHECK_OK_DB(db, nidus_get_all(db, coll, &d));
    size_t n = d->count;
    nidus_free(d);
    return n;
}

static inline nidus_footprint th_fp(nidus_db *db) {
    nidus_footprint f;
    CHECK_OK_DB(db, nidus_get_footprint(db, &f));
    return f;
}

/* Two hit lists are the same: count, and per hit row, score bits, id, collection. */
static inline void th_same_hits(const nidus_hits *a, const nidus_hits *b) {
    CHECK_INT(a->count, b->count);
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        CHECK_U64(a->hits[i].row, b->hits[i].row);
        CHECK(memcmp(&a->hits[i].score, &b->hits[i].score, 4) == 0);
        CHECK_STR(a->hits[i].id, b->hits[i].id);
        CHECK_STR(a->hits[i].collection, b->hits[i].collection);
    }
}

/* Whether two footprints agree field by field (memcmp would read the padding). */
static inline bool th_fp_same(const nidus_footprint *a, const nidus_footprint *b) {
    return a->rows == b->rows && a->dead_rows == b->dead_rows && a->dimension == b->dimension &&
           a->vector_bytes == b->vector_bytes && a->doc_count == b->doc_count && a->index_bytes == b->index_bytes &&
           a->filter_index_bytes == b->filter_index_bytes && a->shadow_bytes == b->shadow_bytes;
}

/* Upsert n records "r0".."r{n-1}" into collection "c", row r holding vector
 * v + r*dim (so row r is record r in a fresh store) and, with `with_m`, the
 * attribute m = r % 3. */
static inline void th_fill(nidus_db *db, const float *v, size_t n, size_t dim, bool with_m) {
    nidus_record *recs = malloc(n * sizeof *recs);
    nidus_attr *at = malloc(n * sizeof *at);
    char(*ids)[24] = malloc(n * sizeof *ids);
    for (size_t r = 0; r < n; r++) {
        snprintf(ids[r], sizeof ids[r], "r%zu", r);
        at[r] = (nidus_attr){"m", nidus_int((int64_t)(r % 3))};
        recs[r] = (nidus_record){ids[r], v + r * dim, dim, with_m ? &at[r] : NULL, with_m ? 1 : 0};
    }
    CHECK_OK_DB(db, nidus_upsert(db, "c", recs, n));
    free(recs), free(at), free(ids);
}
static inline void th_fill_mod3(nidus_db *db, const float *v, size_t n, size_t dim) { th_fill(db, v, n, dim, true); }

#endif

/* test_store.c — the store's behaviour through the public API: nidus 0.3's store
 * and integration tests, the hazards of nidus 0.3 this port fixes, and misuse,
 * error reporting and the lifetime of results. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <errno.h>

#include <sys/stat.h>
#include <unistd.h>

static const float X3[3] = {1, 0, 0}, Y3[3] = {0, 1, 0}, Z3[3] = {0, 0, 1};
static const float X2[2] = {1, 0}, Y2[2] = {0, 1}, XY2[2] = {1, 1};

/* ------------------------------------------------------- in-memory (seed) ---- */

TEST(store_in_memory_dimension) {
    nidus_db *db = th_mem(4);
    CHECK_INT(nidus_dimension(db), 4);
    nidus_config c;
    CHECK_OK_DB(db, nidus_get_config(db, &c));
    CHECK_INT(c.dimension, 4);
    CHECK(c.auto_compact < 0);
    nidus_close(db);
}

TEST(store_create_and_has_collection) {
    nidus_db *db = th_mem(3);
    CHECK(!nidus_has_collection(db, "docs"));
    CHECK_OK_DB(db, nidus_create_collection(db, "docs"));
    CHECK(nidus_has_collection(db, "docs"));
    nidus_close(db);
}

TEST(store_create_collection_idempotent) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_create_collection(db, "docs"));
    CHECK_OK_DB(db, nidus_create_collection(db, "docs"));
    nidus_names *n;
    CHECK_OK_DB(db, nidus_collections(db, &n));
    CHECK_INT(n->count, 1);
    nidus_free(n);
    nidus_close(db);
}

TEST(store_drop_collection) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_create_collection(db, "docs"));
    CHECK_OK_DB(db, nidus_drop_collection(db, "docs"));
    CHECK(!nidus_has_collection(db, "docs"));
    nidus_close(db);
}

TEST(store_drop_nonexistent_collection_is_noop) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_drop_collection(db, "ghost"));
    nidus_close(db);
}

TEST(store_collections_sorted) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, nidus_create_collection(db, "zebra"));
    CHECK_OK_DB(db, nidus_create_collection(db, "apple"));
    CHECK_OK_DB(db, nidus_create_collection(db, "mango"));
    nidus_names *n;
    CHECK_OK_DB(db, nidus_collections(db, &n));
    CHECK_INT(n->count, 3);
    CHECK_STR(n->names[0], "apple");
    CHECK_STR(n->names[1], "mango");
    CHECK_STR(n->names[2], "zebra");
    nidus_free(n);
    nidus_close(db);
}

TEST(store_metadata_round_trip) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    nidus_meta_entry m[] = {{"model", "text-embed-v1"}, {"hwm", "42"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "col", m, 2));
    nidus_meta *got;
    CHECK_OK_DB(db, nidus_get_meta(db, "col", &got));
    CHECK_INT(got->count, 2);
    CHECK_STR(got->entries[0].key, "hwm");
    CHECK_STR(got->entries[0].value, "42");
    CHECK_STR(got->entries[1].key, "model");
    CHECK_STR(got->entries[1].value, "text-embed-v1");
    nidus_free(got);
    /* Replaced whole, not merged. */
    nidus_meta_entry m2[] = {{"only", "1"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "col", m2, 1));
    CHECK_OK_DB(db, nidus_get_meta(db, "col", &got));
    CHECK_INT(got->count, 1);
    CHECK_STR(got->entries[0].key, "only");
    nidus_free(got);
    nidus_close(db);
}

TEST(store_get_meta_absent_collection_returns_empty) {
    nidus_db *db = th_mem(2);
    nidus_meta *got;
    CHECK_OK_DB(db, nidus_get_meta(db, "nope", &got));
    CHECK_INT(got->count, 0);
    nidus_free(got);
    nidus_close(db);
}

TEST(store_set_meta_creates_collection_implicitly) {
    nidus_db *db = th_mem(2);
    nidus_meta_entry m[] = {{"k", "v"}, {"k", "w"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "fresh", m, 2));
    CHECK(nidus_has_collection(db, "fresh"));
    nidus_meta *got;
    CHECK_OK_DB(db, nidus_get_meta(db, "fresh", &got));
    CHECK_INT(got->count, 1);
    CHECK_STR(got->entries[0].value, "w"); /* last of a repeated key wins */
    nidus_free(got);
    nidus_close(db);
}

TEST(store_upsert_and_search_exact_match) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    const char *scope[] = {"col"};
    nidus_hits *h = th_search(db, scope, 1, X3, 5);
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "doc1");
    CHECK_NEAR(h->hits[0].score, 1.0, 1e-6);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_upsert_orthogonal_scores_zero) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    nidus_hits *h = th_search(db, NULL, 0, Y3, 5);
    CHECK_INT(h->count, 1);
    CHECK_NEAR(h->hits[0].score, 0.0, 1e-6);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_search_ranking_order) {
    nidus_db *db = th_mem(3);
    nidus_record r[] = {{"doc_a", X3, 3, NULL, 0}, {"doc_b", Y3, 3, NULL, 0}};
    CHECK_OK_DB(db, nidus_upsert(db, "col", r, 2));
    nidus_hits *h = th_search(db, NULL, 0, X3, 5);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].id, "doc_a");
    CHECK(h->hits[0].score > h->hits[1].score);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_upsert_is_idempotent_by_id) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", Y3));
    CHECK_INT(th_count(db, "col"), 1);
    nidus_hits *h = th_search(db, NULL, 0, Y3, 5);
    CHECK_INT(h->count, 1);
    CHECK_NEAR(h->hits[0].score, 1.0, 1e-6);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_duplicate_ids_in_batch_last_wins) {
    nidus_db *db = th_mem(3);
    nidus_record r[] = {{"d", X3, 3, NULL, 0}, {"d", Y3, 3, NULL, 0}};
    CHECK_OK_DB(db, nidus_upsert(db, "col", r, 2));
    CHECK_INT(th_count(db, "col"), 1);
    nidus_footprint f = th_fp(db);
    CHECK_U64(f.rows, 2);
    CHECK_U64(f.dead_rows, 1);
    nidus_hits *h = th_search(db, NULL, 0, Y3, 5);
    CHECK_NEAR(h->hits[0].score, 1.0, 1e-6);
    CHECK_U64(h->hits[0].row, 1);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_delete_removes_doc) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    const char *ids[] = {"doc1"};
    size_t n = 9;
    CHECK_OK_DB(db, nidus_delete(db, "col", ids, 1, &n));
    CHECK_INT(n, 1);
    CHECK_INT(th_count(db, "col"), 0);
    nidus_close(db);
}

TEST(store_delete_nonexistent_returns_zero) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    const char *ids[] = {"ghost"};
    size_t n = 9;
    CHECK_OK_DB(db, nidus_delete(db, "col", ids, 1, &n));
    CHECK_INT(n, 0);
    CHECK_OK_DB(db, nidus_delete(db, "nocoll", ids, 1, &n));
    CHECK_INT(n, 0);
    nidus_close(db);
}

TEST(store_delete_repeated_id_counts_once) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "a", X3));
    CHECK_OK_DB(db, th_put(db, "col", "b", Y3));
    const char *ids[] = {"a", "a", "zz", "a"};
    size_t n = 0;
    CHECK_OK_DB(db, nidus_delete(db, "col", ids, 4, &n));
    CHECK_INT(n, 1);
    CHECK_INT(th_count(db, "col"), 1);
    CHECK_U64(th_fp(db).dead_rows, 1);
    nidus_close(db);
}

TEST(store_delete_where_by_attr) {
    nidus_db *db = th_mem(3);
    nidus_attr fa = {"kind", nidus_string("file")}, sa = {"kind", nidus_string("section")};
    nidus_record r[] = {{"doc_a", X3, 3, &fa, 1}, {"doc_b", Y3, 3, &sa, 1}};
    CHECK_OK_DB(db, nidus_upsert(db, "col", r, 2));
    nidus_pred p = {.kind = NIDUS_PRED_EQ, .key = "kind", .value = nidus_string("file")};
    size_t n = 0;
    CHECK_OK_DB(db, nidus_delete_where(db, "col", &p, 1, &n));
    CHECK_INT(n, 1);
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "col", &d));
    CHECK_INT(d->count, 1);
    CHECK_STR(d->docs[0].id, "doc_b");
    nidus_free(d);
    /* An empty filter deletes everything; a missing collection deletes nothing. */
    CHECK_OK_DB(db, nidus_delete_where(db, "col", NULL, 0, &n));
    CHECK_INT(n, 1);
    CHECK_OK_DB(db, nidus_delete_where(db, "missing", NULL, 0, &n));
    CHECK_INT(n, 0);
    nidus_close(db);
}

TEST(store_min_score_filters_low_results) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 5;
    o.has_min_score = 1;
    o.min_score = 0.5f;
    nidus_hits *h;
    CHECK_OK_DB(db, nidus_search(db, Y3, 3, &o, &h));
    CHECK_INT(h->count, 0);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_filter_scoping_in_search) {
    nidus_db *db = th_mem(3);
    nidus_attr ra = {"lang", nidus_string("rust")}, ga = {"lang", nidus_string("go")};
    nidus_record r[] = {{"rust_doc", X3, 3, &ra, 1}, {"go_doc", X3, 3, &ga, 1}};
    CHECK_OK_DB(db, nidus_upsert(db, "col", r, 2));
    nidus_pred p = {.kind = NIDUS_PRED_EQ, .key = "lang", .value = nidus_string("rust")};
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 5;
    o.filter = &p;
    o.n_filter = 1;
    nidus_hits *h;
    CHECK_OK_DB(db, nidus_search(db, X3, 3, &o, &h));
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "rust_doc");
    CHECK_INT(h->hits[0].n_attrs, 1);
    CHECK_STR(h->hits[0].attrs[0].key, "lang");
    CHECK_STR(h->hits[0].attrs[0].value.v.str.ptr, "rust");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_multi_collection_merged_search) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, nidus_create_collection(db, "col_a"));
    CHECK_OK_DB(db, nidus_create_collection(db, "col_b"));
    CHECK_OK_DB(db, th_put(db, "col_a", "best", X3));
    const float h2[3] = {0.70710678f, 0.70710678f, 0};
    CHECK_OK_DB(db, th_put(db, "col_b", "ok", h2));
    const char *scope[] = {"col_a", "col_b"};
    nidus_hits *h = th_search(db, scope, 2, X3, 5);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].id, "best");
    CHECK_STR(h->hits[0].collection, "col_a");
    CHECK_STR(h->hits[1].id, "ok");
    CHECK_STR(h->hits[1].collection, "col_b");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_multi_collection_hit_collection_field) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put(db, "alpha", "a1", X2));
    CHECK_OK_DB(db, th_put(db, "beta", "b1", Y2));
    const char *scope[] = {"alpha", "beta"};
    nidus_hits *h = th_search(db, scope, 2, X2, 5);
    CHECK_INT(h->count, 2);
    for (size_t i = 0; i < h->count; i++) {
        if (!strcmp(h->hits[i].id, "a1")) CHECK_STR(h->hits[i].collection, "alpha");
        else if (!strcmp(h->hits[i].id, "b1")) CHECK_STR(h->hits[i].collection, "beta");
        else CHECK(!"unexpected id");
    }
    nidus_free(h);
    nidus_close(db);
}

TEST(store_search_missing_collection_skipped) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put(db, "real", "doc1", X2));
    const char *scope[] = {"real", "phantom"};
    nidus_hits *h = th_search(db, scope, 2, X2, 5);
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "doc1");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_upsert_wrong_dimension_errors) {
    nidus_db *db = th_mem(3);
    nidus_record r = {"doc1", X2, 2, NULL, 0};
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EDIM);
    CHECK(strstr(nidus_errmsg(db), "dimension") != NULL);
    CHECK(!nidus_has_collection(db, "col")); /* validated before anything changed */
    nidus_close(db);
}

TEST(store_upsert_refuses_non_finite_and_bad_utf8) {
    nidus_db *db = th_mem(3);
    float nanv[3] = {1, NAN, 0}, infv[3] = {INFINITY, 0, 0};
    nidus_record r = {"a", nanv, 3, NULL, 0};
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "NaN") != NULL);
    r.vector = infv;
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EINVAL);
    r.vector = X3;
    r.id = "bad\xff";
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EINVAL);
    r.id = "ok";
    CHECK_RC(nidus_upsert(db, "c\xc3", &r, 1), NIDUS_EINVAL);
    nidus_attr a = {"k", nidus_string("\xed\xa0\x80")}; /* a surrogate */
    r.attrs = &a;
    r.n_attrs = 1;
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EINVAL);
    nidus_footprint f = th_fp(db);
    CHECK_U64(f.rows, 0);
    CHECK_U64(f.doc_count, 0);
    CHECK(!nidus_has_collection(db, "col"));
    nidus_close(db);
}

TEST(store_upsert_implicitly_creates_collection) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "newcol", "doc1", X3));
    CHECK(nidus_has_collection(db, "newcol"));
    /* An empty batch creates it too. */
    CHECK_OK_DB(db, nidus_upsert(db, "empty", NULL, 0));
    CHECK(nidus_has_collection(db, "empty"));
    nidus_close(db);
}

TEST(store_get_all_includes_vector) {
    nidus_db *db = th_mem(3);
    const float v[3] = {3, 0, 4};
    CHECK_OK_DB(db, th_put(db, "col", "doc1", v));
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "col", &d));
    CHECK_INT(d->count, 1);
    CHECK_STR(d->docs[0].id, "doc1");
    CHECK_STR(d->docs[0].collection, "col");
    CHECK_NEAR(d->docs[0].vector[0], 0.6, 1e-6); /* stored unit-normalized */
    CHECK_NEAR(d->docs[0].vector[2], 0.8, 1e-6);
    nidus_free(d);
    CHECK_OK_DB(db, nidus_get_all(db, "missing", &d));
    CHECK_INT(d->count, 0);
    nidus_free(d);
    nidus_close(db);
}

TEST(store_get_by_ids_in_order) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put(db, "c", "a", X2));
    CHECK_OK_DB(db, th_put(db, "c", "b", Y2));
    const char *ids[] = {"b", "zz", "a"};
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get(db, "c", ids, 3, &d));
    CHECK_INT(d->count, 2);
    CHECK_STR(d->docs[0].id, "b");
    CHECK_STR(d->docs[1].id, "a");
    CHECK_NEAR(d->docs[0].vector[1], 1.0, 0);
    nidus_free(d);
    nidus_close(db);
}

TEST(store_compact_in_memory_preserves_live_docs) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    CHECK_OK_DB(db, th_put(db, "col", "doc2", Y3));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", Z3));
    CHECK_OK_DB(db, nidus_compact(db));
    CHECK_U64(th_fp(db).dead_rows, 0);
    nidus_hits *h = th_search(db, NULL, 0, Z3, 5);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].id, "doc1");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_drop_increments_dead_rows) {
    nidus_db *db = th_mem(3);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    CHECK_OK_DB(db, th_put(db, "col", "doc2", Y3));
    CHECK_U64(th_fp(db).dead_rows, 0);
    CHECK_OK_DB(db, nidus_drop_collection(db, "col"));
    CHECK_U64(th_fp(db).dead_rows, 2);
    nidus_close(db);
}

TEST(store_top_k_limits_results) {
    nidus_db *db = th_mem(2);
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "doc%d", i);
        float v[2] = {(float)i, 0};
        CHECK_OK_DB(db, th_put(db, "col", id, v));
    }
    nidus_hits *h = th_search(db, NULL, 0, X2, 3);
    CHECK_INT(h->count, 3);
    nidus_free(h);
    h = th_search(db, NULL, 0, X2, 0);
    CHECK_INT(h->count, 0);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_ties_keep_lowest_rows) {
    nidus_db *db = th_mem(2);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        CHECK_OK_DB(db, th_put(db, i % 2 ? "b" : "a", id, X2));
    }
    nidus_hits *h = th_search(db, NULL, 0, X2, 3);
    CHECK_INT(h->count, 3);
    CHECK_U64(h->hits[0].row, 0);
    CHECK_U64(h->hits[1].row, 1);
    CHECK_U64(h->hits[2].row, 2);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_footprint_tracks_rows_dead_and_docs) {
    nidus_db *db = th_mem(4);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    nidus_footprint f = th_fp(db);
    CHECK_U64(f.rows, 0);
    CHECK_U64(f.dead_rows, 0);
    CHECK_U64(f.dimension, 4);
    CHECK_U64(f.vector_bytes, 0);
    CHECK_U64(f.doc_count, 0);
    const float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0}, c[4] = {0, 0, 1, 0};
    CHECK_OK_DB(db, th_put(db, "col", "a", a));
    CHECK_OK_DB(db, th_put(db, "col", "b", b));
    f = th_fp(db);
    CHECK_U64(f.rows, 2);
    CHECK_U64(f.vector_bytes, 32);
    CHECK_U64(f.doc_count, 2);
    CHECK(f.index_bytes > 0);
    CHECK_OK_DB(db, th_put(db, "col", "a", c));
    f = th_fp(db);
    CHECK_U64(f.rows, 3);
    CHECK_U64(f.dead_rows, 1);
    CHECK_U64(f.doc_count, 2);
    CHECK_OK_DB(db, nidus_compact(db));
    f = th_fp(db);
    CHECK_U64(f.rows, 2);
    CHECK_U64(f.dead_rows, 0);
    CHECK_U64(f.doc_count, 2);
    nidus_close(db);
}

TEST(store_max_vector_bytes_refuses_over_budget_upsert) {
    const char *dir = t_tmpdir();
    nidus_config cfg;
    nidus_config_init(&cfg, 2);
    cfg.max_vector_bytes = 16;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_OK_DB(db, th_put(db, "col", "a", X2));
    CHECK_OK_DB(db, th_put(db, "col", "b", Y2));
    CHECK_U64(th_fp(db).vector_bytes, 16);
    CHECK_RC(th_put(db, "col", "c", XY2), NIDUS_ECAPACITY);
    CHECK(strstr(nidus_errmsg(db), "max_vector_bytes") != NULL);
    CHECK_U64(th_fp(db).rows, 2);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 16);
    nidus_hits *h = th_search(db, NULL, 0, X2, 5);
    CHECK_INT(h->count, 2);
    nidus_free(h);
    nidus_close(db);
}

/* ------------------------------------------------------- file-backed (seed) ---- */

TEST(store_open_refuses_data_file_over_cap) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "col", "a", X2));
    CHECK_OK_DB(db, th_put(db, "col", "b", Y2));
    CHECK_OK_DB(db, th_put(db, "col", "c", XY2));
    nidus_close(db);
    nidus_config cfg;
    nidus_config_init(&cfg, 2);
    cfg.max_vector_bytes = 8;
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_ECAPACITY);
    CHECK(strstr(nidus_errmsg(db), "max_vector_bytes") != NULL);
    nidus_close(db);
    CHECK(t_file_size(t_path(dir, "lock")) < 0); /* a failed open releases the lock */
    cfg.max_vector_bytes = 24;
    db = th_open_cfg(dir, &cfg);
    nidus_close(db);
}

TEST(store_upsert_rollback_survives_reopen) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "col", "a", X2));
    nidus__fault_arm(NIDUS__FAULT_WRITE, 0, ENOSPC);
    CHECK_RC(th_put(db, "col", "b", Y2), NIDUS_ENOSPC);
    nidus__fault_disarm();
    CHECK_U64(th_fp(db).rows, 1);
    CHECK_INT(th_count(db, "col"), 1);
    nidus_close(db);
    db = th_open_ro(dir, 2);
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "col", &d));
    CHECK_INT(d->count, 1);
    CHECK_STR(d->docs[0].id, "a");
    nidus_free(d);
    nidus_close(db);
}

TEST(store_upsert_rolls_back_on_mid_batch_failure) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "col", "a", X2));
    nidus_footprint before = th_fp(db);
    long long dsize = t_file_size(t_path(dir, "data")), lsize = t_file_size(t_path(dir, "log"));
    /* A short write: half the batch reaches the file, then the disk is full. */
    nidus__fault_arm(NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT, 0, 0);
    nidus_record r[] = {{"b", Y2, 2, NULL, 0}, {"c", XY2, 2, NULL, 0}};
    CHECK_RC(nidus_upsert(db, "col", r, 2), NIDUS_ENOSPC);
    nidus__fault_disarm();
    nidus_footprint after = th_fp(db);
    CHECK_U64(after.rows, before.rows);
    CHECK_U64(after.dead_rows, before.dead_rows);
    CHECK_INT(th_count(db, "col"), 1);
    /* the log as it was; `data` holds the half batch that reached it (never cut:
     * SPEC.md §14), unnamed, and the next write goes over it */
    CHECK_INT(t_file_size(t_path(dir, "data")), dsize + 8);
    CHECK_INT(t_file_size(t_path(dir, "log")), lsize);
    CHECK_OK_DB(db, th_put(db, "col", "b", Y2));
    CHECK_INT(th_count(db, "col"), 2);
    CHECK_U64(th_fp(db).rows, 2);
    nidus_close(db);
}

TEST(store_reopen_sees_prior_data) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    CHECK_OK_DB(db, th_put(db, "col", "doc2", Y3));
    nidus_close(db);
    db = th_open_ro(dir, 3);
    CHECK(nidus_has_collection(db, "col"));
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "col", &d));
    CHECK_INT(d->count, 2);
    CHECK_STR(d->docs[0].id, "doc1");
    CHECK_STR(d->docs[1].id, "doc2");
    nidus_free(d);
    nidus_close(db);
}

TEST(store_readonly_rejects_writes) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    nidus_close(db);
    db = th_open_ro(dir, 2);
    nidus_record r = {"doc1", X2, 2, NULL, 0};
    const char *ids[] = {"doc1"};
    CHECK_RC(nidus_create_collection(db, "col"), NIDUS_EREADONLY);
    CHECK(strstr(nidus_errmsg(db), "read-only") != NULL);
    CHECK_RC(nidus_drop_collection(db, "col"), NIDUS_EREADONLY);
    CHECK_RC(nidus_set_meta(db, "col", NULL, 0), NIDUS_EREADONLY);
    CHECK_RC(nidus_upsert(db, "col", &r, 1), NIDUS_EREADONLY);
    CHECK_RC(nidus_delete(db, "col", ids, 1, NULL), NIDUS_EREADONLY);
    CHECK_RC(nidus_delete_where(db, "col", NULL, 0, NULL), NIDUS_EREADONLY);
    CHECK_RC(nidus_flush(db), NIDUS_EREADONLY);
    CHECK_RC(nidus_compact(db), NIDUS_EREADONLY);
    nidus_close(db);
}

TEST(store_compaction_preserves_live_docs_and_results) {
    const char *dir = t_tmpdir();
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X3));
    CHECK_OK_DB(db, th_put(db, "col", "doc2", Y3));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", Z3));
    CHECK_U64(th_fp(db).dead_rows, 1);
    CHECK_OK_DB(db, nidus_compact(db));
    CHECK_U64(th_fp(db).dead_rows, 0);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 2 * 12);
    CHECK(t_file_size(t_path(dir, "data.tmp")) < 0);
    CHECK(t_file_size(t_path(dir, "compact")) < 0);
    nidus_hits *h = th_search(db, NULL, 0, Z3, 5);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].id, "doc1");
    nidus_free(h);
    /* Writes after a compaction land after the new rows. */
    CHECK_OK_DB(db, th_put(db, "col", "doc3", X3));
    nidus_close(db);
    db = th_open_ro(dir, 3);
    CHECK_INT(th_count(db, "col"), 3);
    h = th_search(db, NULL, 0, Z3, 5);
    CHECK_INT(h->count, 3);
    CHECK_STR(h->hits[0].id, "doc1");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_metadata_survives_reopen) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, nidus_create_collection(db, "col"));
    nidus_meta_entry m[] = {{"model", "text-v3"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "col", m, 1));
    nidus_close(db);
    db = th_open_ro(dir, 2);
    nidus_meta *got;
    CHECK_OK_DB(db, nidus_get_meta(db, "col", &got));
    CHECK_INT(got->count, 1);
    CHECK_STR(got->entries[0].key, "model");
    CHECK_STR(got->entries[0].value, "text-v3");
    nidus_free(got);
    nidus_close(db);
}

static void make_dead_store(const char *dir) {
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_OK_DB(db, th_put(db, "col", "a", X3));
    CHECK_OK_DB(db, th_put(db, "col", "b", Y3));
    CHECK_OK_DB(db, th_put(db, "col", "c", Z3));
    CHECK_OK_DB(db, th_put(db, "col", "a", X3));
    CHECK_OK_DB(db, th_put(db, "col", "b", Y3));
    CHECK_U64(th_fp(db).dead_rows, 2); /* 2 dead of 5 = 0.4 */
    nidus_close(db);
}

TEST(store_auto_compact_triggers_on_open) {
    const char *dir = t_tmpdir();
    make_dead_store(dir);
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.auto_compact = 0.3;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_U64(th_fp(db).dead_rows, 0);
    CHECK_INT(th_count(db, "col"), 3);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 3 * 12);
}

TEST(store_auto_compact_not_above_ratio) {
    const char *dir = t_tmpdir();
    make_dead_store(dir);
    nidus_db *db = th_open(dir, 3); /* default 0.5 > 0.4 */
    CHECK_U64(th_fp(db).dead_rows, 2);
    nidus_close(db);
}

TEST(store_readonly_open_never_auto_compacts) {
    const char *dir = t_tmpdir();
    make_dead_store(dir);
    size_t dl, ll;
    unsigned char *d0 = t_read_file(t_path(dir, "data"), &dl), *l0 = t_read_file(t_path(dir, "log"), &ll);
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.read_only = 1;
    cfg.auto_compact = 0.1; /* nidus 0.3 would fail this open */
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_U64(th_fp(db).dead_rows, 2);
    CHECK_INT(th_count(db, "col"), 3);
    nidus_close(db);
    size_t dl2, ll2;
    unsigned char *d1 = t_read_file(t_path(dir, "data"), &dl2), *l1 = t_read_file(t_path(dir, "log"), &ll2);
    CHECK(dl == dl2 && ll == ll2 && !memcmp(d0, d1, dl) && !memcmp(l0, l1, ll));
    free(d0), free(d1), free(l0), free(l1);
}

TEST(store_upsert_idempotent_survives_reopen) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "col", "doc1", X2));
    CHECK_OK_DB(db, th_put(db, "col", "doc1", Y2));
    nidus_close(db);
    db = th_open_ro(dir, 2);
    CHECK_INT(th_count(db, "col"), 1);
    nidus_hits *h = th_search(db, NULL, 0, Y2, 5);
    CHECK_INT(h->count, 1);
    CHECK_NEAR(h->hits[0].score, 1.0, 1e-5);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_every_value_type_survives_reopen) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    nidus_str items[] = {{"x", NIDUS_NTS}, {"y z", NIDUS_NTS}};
    nidus_attr a[] = {{"s", nidus_string("héllo")}, {"i", nidus_int(-7)}, {"b", nidus_bool(1)},
                      {"l", nidus_list(items, 2)}, {"n", nidus_null()}, {"f", nidus_float(1.5)},
                      {"t", nidus_datetime(1700000000000)}};
    nidus_record r = {"r", X2, 2, a, 7};
    CHECK_OK_DB(db, nidus_upsert(db, "c", &r, 1));
    nidus_close(db);
    db = th_open_ro(dir, 2);
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
    CHECK_INT(d->count, 1);
    const nidus_doc *x = &d->docs[0];
    CHECK_INT(x->n_attrs, 7);
    /* Sorted by key: b f i l n s t */
    CHECK_STR(x->attrs[0].key, "b");
    CHECK_INT(x->attrs[0].value.v.b, 1);
    CHECK_INT(x->attrs[1].value.type, NIDUS_FLOAT);
    CHECK_NEAR(x->attrs[1].value.v.f, 1.5, 0);
    CHECK_INT(x->attrs[2].value.v.i, -7);
    CHECK_INT(x->attrs[3].value.v.list.count, 2);
    CHECK_STR(x->attrs[3].value.v.list.items[1].ptr, "y z");
    CHECK_INT(x->attrs[4].value.type, NIDUS_NULL);
    CHECK_STR(x->attrs[5].value.v.str.ptr, "héllo");
    CHECK_INT(x->attrs[6].value.type, NIDUS_DATETIME);
    CHECK_INT(x->attrs[6].value.v.i, 1700000000000);
    nidus_free(d);
    nidus_close(db);
}

/* ------------------------------------------------------- integration (seed) ---- */

TEST(store_upsert_overwrite_moves_ranking) {
    nidus_db *db = th_mem(3);
    const float near[3] = {0.9f, 0.1f, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", X3));
    CHECK_OK_DB(db, th_put(db, "c", "near", near));
    CHECK_OK_DB(db, th_put(db, "c", "b", Y3));
    nidus_hits *h = th_search(db, NULL, 0, X3, 3);
    CHECK_STR(h->hits[0].id, "a");
    CHECK_STR(h->hits[1].id, "near");
    CHECK_STR(h->hits[2].id, "b");
    nidus_free(h);
    CHECK_OK_DB(db, th_put(db, "c", "a", Z3)); /* overwrite moves a away */
    h = th_search(db, NULL, 0, X3, 3);
    CHECK_STR(h->hits[0].id, "near");
    CHECK(strcmp(h->hits[1].id, "a") != 0 || h->hits[1].score < 0.5f);
    nidus_free(h);
    nidus_close(db);
}

TEST(store_multi_collection_search_merges_and_attributes) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put(db, "x", "x1", X2));
    CHECK_OK_DB(db, th_put(db, "y", "y1", XY2));
    CHECK_OK_DB(db, th_put(db, "z", "z1", Y2));
    nidus_hits *h = th_search(db, NULL, 0, X2, 2);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].collection, "x");
    CHECK_STR(h->hits[1].collection, "y");
    nidus_free(h);
    const char *sub[] = {"z", "y"};
    h = th_search(db, sub, 2, X2, 5);
    CHECK_INT(h->count, 2);
    CHECK_STR(h->hits[0].collection, "y");
    CHECK_STR(h->hits[1].collection, "z");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_filter_and_min_score_in_search) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put_attr(db, "c", "keep", X2, "path", nidus_string("src/auth/a.rs")));
    CHECK_OK_DB(db, th_put_attr(db, "c", "other", X2, "path", nidus_string("src/db/b.rs")));
    CHECK_OK_DB(db, th_put_attr(db, "c", "far", Y2, "path", nidus_string("src/auth/c.rs")));
    nidus_pred p = {.kind = NIDUS_PRED_GLOB, .key = "path", .pattern = "src/auth/*"};
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.filter = &p;
    o.n_filter = 1;
    o.has_min_score = 1;
    o.min_score = 0.5f;
    nidus_hits *h;
    CHECK_OK_DB(db, nidus_search(db, X2, 2, &o, &h));
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "keep");
    nidus_free(h);
    nidus_close(db);
}

TEST(store_readonly_reopen_sees_meta_and_refuses_writes) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    nidus_meta_entry m[] = {{"model", "demo-embed"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "docs", m, 1));
    CHECK_OK_DB(db, th_put(db, "docs", "d1", X3));
    nidus_close(db);
    db = th_open_ro(dir, 3);
    nidus_meta *got;
    CHECK_OK_DB(db, nidus_get_meta(db, "docs", &got));
    CHECK_STR(got->entries[0].value, "demo-embed");
    nidus_free(got);
    nidus_hits *h = th_search(db, NULL, 0, X3, 1);
    CHECK_STR(h->hits[0].id, "d1");
    nidus_free(h);
    CHECK_RC(th_put(db, "docs", "d2", Y3), NIDUS_EREADONLY);
    nidus_close(db);
}

TEST(store_reopen_with_wrong_dimension_errors) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    nidus_close(db);
    nidus_config cfg;
    nidus_config_init(&cfg, 5);
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_EDIM);
    CHECK(strstr(nidus_errmsg(db), "dimension") != NULL);
    nidus_close(db);
}

/* The nidus 0.3 crate's demo, as a test. */
TEST(store_demo_scenario) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 4);
    const float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0}, c[4] = {0.9f, 0.1f, 0, 0}, d[4] = {0, 0, 1, 0},
                e[4] = {0, 0, 0, 1};
    CHECK_OK_DB(db, th_put_attr(db, "code", "a", a, "path", nidus_string("src/auth/login.rs")));
    CHECK_OK_DB(db, th_put_attr(db, "code", "b", b, "path", nidus_string("src/db/pool.rs")));
    CHECK_OK_DB(db, th_put_attr(db, "code", "c", c, "path", nidus_string("src/auth/token.rs")));
    CHECK_OK_DB(db, th_put(db, "docs", "d", d));
    CHECK_OK_DB(db, th_put(db, "docs", "e", e));
    nidus_close(db);
    db = th_open(dir, 4);
    nidus_hits *h = th_search(db, NULL, 0, a, 1);
    CHECK_STR(h->hits[0].id, "a");
    nidus_free(h);
    nidus_close(db);
}

/* ------------------------------------------- hazards of nidus 0.3, fixed ---- */

TEST(store_readonly_open_of_missing_store_creates_nothing) {
    const char *dir = t_tmpdir();
    const char *sub = t_path(dir, "nope");
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.read_only = 1;
    nidus_db *db;
    CHECK_RC(nidus_open(sub, &cfg, &db), NIDUS_ENOTFOUND);
    nidus_close(db);
    struct stat st;
    CHECK(stat(sub, &st) < 0);
}

TEST(store_readonly_ignores_torn_tail_without_writing) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "c", "a", X2));
    nidus_close(db);
    /* A torn log tail and a partial data row, as a crash mid-write leaves them. */
    FILE *f = fopen(t_path(dir, "log"), "ab");
    fwrite("\x26\x00\x00\x00\x03\x00", 1, 6, f);
    fclose(f);
    f = fopen(t_path(dir, "data"), "ab");
    fwrite("\xff\xff\xff", 1, 3, f);
    fclose(f);
    long long ls = t_file_size(t_path(dir, "log")), ds = t_file_size(t_path(dir, "data"));
    db = th_open_ro(dir, 2);
    CHECK_INT(th_count(db, "c"), 1);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "log")), ls);
    CHECK_INT(t_file_size(t_path(dir, "data")), ds);
    /* A writer recovers: both tails are cut. */
    db = th_open(dir, 2);
    CHECK_INT(th_count(db, "c"), 1);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "log")), ls - 6);
    CHECK_INT(t_file_size(t_path(dir, "data")), ds - 3);
}

TEST(store_readonly_open_works_on_readonly_files) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "c", "a", X2));
    nidus_close(db);
    chmod(t_path(dir, "data"), 0444);
    chmod(t_path(dir, "log"), 0444);
    db = th_open_ro(dir, 2);
    CHECK_INT(th_count(db, "c"), 1);
    nidus_close(db);
}

TEST(store_open_dimension_zero_refused) {
    nidus_db *db;
    CHECK_RC(nidus_open_memory(0, &db), NIDUS_EINVAL);
    nidus_close(db);
    const char *dir = t_tmpdir();
    CHECK_RC(nidus_open(dir, NULL, &db), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "dimension") != NULL);
    nidus_close(db);
    /* Nothing half-made is left behind. */
    CHECK(t_file_size(t_path(dir, "lock")) < 0);
    CHECK(t_file_size(t_path(dir, "data")) < 0);
    CHECK(t_file_size(t_path(t_path(dir, "sub"), "data")) < 0);
}

TEST(store_upsert_overflowing_vector_is_normalized) {
    nidus_db *db = th_mem(2);
    const float big[2] = {3e30f, 4e30f};
    CHECK_OK_DB(db, th_put(db, "c", "big", big));
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
    CHECK_NEAR(d->docs[0].vector[0], 0.6, 1e-6);
    CHECK_NEAR(d->docs[0].vector[1], 0.8, 1e-6);
    nidus_free(d);
    nidus_close(db);
}

TEST(store_create_writes_files_header_and_lock) {
    const char *dir = t_tmpdir();
    const char *sub = t_path(dir, "a/b/c");
    nidus_db *db = th_open(sub, 7);
    CHECK_INT(t_file_size(t_path(sub, "data")), 64);
    CHECK_INT(t_file_size(t_path(sub, "log")), 0);
    size_t n;
    unsigned char *lock = t_read_file(t_path(sub, "lock"), &n);
    CHECK(lock != NULL);
    char want[32];
    snprintf(want, sizeof want, "%ld ", (long)getpid());
    CHECK(strncmp((char *)lock, want, strlen(want)) == 0);
    CHECK(strchr((char *)lock, '\n') == NULL);
    free(lock);
    nidus_close(db);
    CHECK(t_file_size(t_path(sub, "lock")) < 0);
}

TEST(store_fsync_on_flush_then_flush_persists) {
    const char *dir = t_tmpdir();
    nidus_config cfg;
    nidus_config_init(&cfg, 2);
    cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_OK_DB(db, th_put(db, "c", "a", X2));
    CHECK_OK_DB(db, nidus_flush(db));
    nidus_close(db);
    db = th_open_ro(dir, 2);
    CHECK_INT(th_count(db, "c"), 1);
    nidus_close(db);
}

/* Open with dimension 0 adopts the store's. */
TEST(store_open_adopts_dimension) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 5);
    nidus_close(db);
    db = th_open(dir, 0);
    CHECK_INT(nidus_dimension(db), 5);
    nidus_close(db);
    db = th_open_ro(dir, 0);
    CHECK_INT(nidus_dimension(db), 5);
    nidus_close(db);
}

/* ------------------------------------ misuse, errors, results' lifetime ---- */

TEST(store_null_handles_are_misuse) {
    nidus_hits *h;
    nidus_docs *d;
    nidus_names *n;
    nidus_meta *m;
    nidus_footprint f;
    nidus_config c;
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    CHECK_RC(nidus_create_collection(NULL, "x"), NIDUS_EMISUSE);
    CHECK_RC(nidus_drop_collection(NULL, "x"), NIDUS_EMISUSE);
    CHECK_RC(nidus_set_meta(NULL, "x", NULL, 0), NIDUS_EMISUSE);
    CHECK_RC(nidus_upsert(NULL, "x", NULL, 0), NIDUS_EMISUSE);
    CHECK_RC(nidus_delete(NULL, "x", NULL, 0, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_delete_where(NULL, "x", NULL, 0, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_flush(NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_compact(NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_search(NULL, X2, 2, &o, &h), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_all(NULL, "x", &d), NIDUS_EMISUSE);
    CHECK_RC(nidus_get(NULL, "x", NULL, 0, &d), NIDUS_EMISUSE);
    CHECK_RC(nidus_collections(NULL, &n), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_meta(NULL, "x", &m), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_footprint(NULL, &f), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_config(NULL, &c), NIDUS_EMISUSE);
    CHECK_RC(nidus_open("x", NULL, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_open_memory(2, NULL), NIDUS_EMISUSE);
    CHECK_INT(nidus_has_collection(NULL, "x"), 0);
    CHECK_INT(nidus_dimension(NULL), 0);
    CHECK_RC(nidus_close(NULL), NIDUS_OK);
    nidus_free(NULL);
    CHECK(nidus_errmsg(NULL) != NULL);
    CHECK_INT(nidus_errcode(NULL), NIDUS_EMISUSE);
    /* A config that did not come from nidus_config_init. */
    nidus_config raw;
    memset(&raw, 0, sizeof raw);
    nidus_db *db;
    CHECK_RC(nidus_open(t_tmpdir(), &raw, &db), NIDUS_EMISUSE);
}

TEST(store_failed_open_handle_only_reports) {
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.read_only = 1;
    nidus_db *db;
    CHECK_RC(nidus_open("/nonexistent/nidus/store", &cfg, &db), NIDUS_ENOTFOUND);
    CHECK(db != NULL);
    CHECK(strstr(nidus_errmsg(db), "/nonexistent/nidus/store") != NULL);
    CHECK_INT(nidus_errcode(db), NIDUS_ENOTFOUND);
    char buf[8];
    CHECK_INT(nidus_errmsg_copy(db, buf, sizeof buf), NIDUS_ENOTFOUND);
    CHECK_INT(strlen(buf), 7);
    CHECK_RC(nidus_create_collection(db, "x"), NIDUS_EMISUSE);
    CHECK_INT(nidus_dimension(db), 0);
    CHECK_RC(nidus_close(db), NIDUS_OK);
}

TEST(store_result_code_and_version_strings) {
    for (int i = 0; i < NIDUS_RESULT_COUNT; i++) {
        const char *s = nidus_strerror(i);
        CHECK(s != NULL && *s);
        CHECK(strcmp(s, "unknown result code") != 0);
        for (int j = 0; j < i; j++) CHECK(strcmp(s, nidus_strerror(j)) != 0);
    }
    CHECK_STR(nidus_strerror(NIDUS_RESULT_COUNT), "unknown result code");
    CHECK_INT(NIDUS_RESULT_COUNT, NIDUS_EBROKEN + 1); /* derived from the code table */
    /* A handle that is not there (e.g. after an open that ran out of memory) still
     * gets the text the header promises. */
    CHECK_STR(nidus_errmsg(NULL), "no handle (NULL or closed)");
    CHECK_INT(nidus_errcode(NULL), NIDUS_EMISUSE);
    CHECK_STR(nidus_strerror(-1), "unknown result code");
    CHECK_INT(nidus_version_number(), NIDUS_VERSION_NUMBER);
    CHECK_STR(nidus_version_string(), NIDUS_VERSION_STRING);
}

TEST(store_results_outlive_writes_and_close) {
    nidus_db *db = th_mem(2);
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", X2, "k", nidus_string("v")));
    nidus_hits *h = th_search(db, NULL, 0, X2, 1);
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
    CHECK_OK_DB(db, nidus_drop_collection(db, "c"));
    nidus_close(db);
    CHECK_STR(h->hits[0].id, "a");
    CHECK_STR(h->hits[0].attrs[0].value.v.str.ptr, "v");
    CHECK_STR(d->docs[0].collection, "c");
    nidus_free(h);
    nidus_free(d);
}

/* A stored vector written back with NIDUS_UPSERT_NORMALIZED keeps its exact bits;
 * normalizing it again may not. Non-unit vectors are refused under the flag. */
TEST(store_upsert_normalized_flag_keeps_bits) {
    nidus_db *db = th_mem(100);
    float v[100];
    for (int i = 0; i < 100; i++) v[i] = (float)(i * 37 % 101) / 13.0f - 3.0f;
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
    nidus_record r = {"b", d->docs[0].vector, 100, NULL, 0};
    CHECK_OK_DB(db, nidus_upsert_ex(db, "c", &r, 1, NIDUS_UPSERT_NORMALIZED));
    nidus_docs *d2;
    const char *ids[] = {"b"};
    CHECK_OK_DB(db, nidus_get(db, "c", ids, 1, &d2));
    CHECK(memcmp(d2->docs[0].vector, d->docs[0].vector, sizeof v) == 0);
    nidus_free(d2);
    nidus_free(d);
    /* Normalized once more, the same vector may differ: the flag is what keeps it. */
    r.vector = v; /* not unit */
    CHECK_RC(nidus_upsert_ex(db, "c", &r, 1, NIDUS_UPSERT_NORMALIZED), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "norm") != NULL);
    float zero[100] = {0};
    r.vector = zero;
    CHECK_OK_DB(db, nidus_upsert_ex(db, "c", &r, 1, NIDUS_UPSERT_NORMALIZED));
    CHECK_RC(nidus_upsert_ex(db, "c", &r, 1, 0x80), NIDUS_EINVAL);
    nidus_close(db);
}

/* test_where.c — filter trees through the store: nidus_search (one thread,
 * several, a batch) with `where` equals a brute-force filtered scan (ids, rows
 * and scores); nidus_delete_where_filter deletes exactly what the model matches;
 * every bad filter is NIDUS_EINVAL naming the predicate and leaves the store
 * byte-identical; the 0.4.0 options struct (no `where`) is still accepted. */
#include "test.h"
#include "test_filter_model.h"
#include "test_store_helpers.h"

/* A store of n docs of dimension dim with random attributes (the model's pools);
 * attrs[i] keeps doc i's input attributes for the model. */
typedef struct wstore {
    nidus_db *db;
    uint32_t dim;
    size_t n;
    fm_gen *gens; /* one per doc: its attribute values live there */
    nidus_attr (*attrs)[8];
    size_t *na;
} wstore;

static void wstore_fill(wstore *w, nidus_db *db, uint32_t dim, size_t n, uint64_t seed) {
    w->db = db;
    w->dim = dim;
    w->n = n;
    w->gens = calloc(n, sizeof *w->gens);
    w->attrs = calloc(n, sizeof *w->attrs);
    w->na = calloc(n, sizeof *w->na);
    float *v = malloc(dim * sizeof *v);
    char id[32];
    fm_src s = {seed, NULL, 0, 0};
    nidus_record *batch = calloc(256, sizeof *batch);
    float *vs = malloc(256 * (size_t)dim * sizeof *vs);
    static char ids[256][32];
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        w->na[i] = fm_attrs(&w->gens[i], &s, w->attrs[i]);
        for (uint32_t k = 0; k < dim; k++) vs[nb * dim + k] = (float)((int)fm_below(&s, 2001) - 1000) / 1000.0f;
        snprintf(ids[nb], sizeof ids[nb], "d%05zu", i);
        batch[nb] = (nidus_record){ids[nb], vs + nb * dim, dim, w->na[i] ? w->attrs[i] : NULL, w->na[i]};
        if (++nb == 256 || i + 1 == n) {
            CHECK_OK_DB(db, nidus_upsert(db, "c", batch, nb));
            nb = 0;
        }
    }
    (void)id;
    free(v);
    free(vs);
    free(batch);
}

static void wstore_free(wstore *w) {
    free(w->gens);
    free(w->attrs);
    free(w->na);
}

/* The model's verdict for a hit (its id names the doc). */
static bool model_match(const wstore *w, const nidus_filter *f, const char *id) {
    size_t i = (size_t)strtoul(id + 1, NULL, 10);
    return fm_eval(f, w->attrs[i], w->na[i]);
}

/* Every hit of an unfiltered search (all docs, ranked), filtered by the model,
 * cut at k: the brute-force answer. Compared with `got` exactly. */
static void check_against_brute(const wstore *w, const float *q, const nidus_filter *f, size_t k,
                                const nidus_hits *got, const char *what) {
    nidus_hits *all = th_search(w->db, NULL, 0, q, w->n);
    size_t m = 0;
    for (size_t i = 0; i < all->count && m < k; i++) {
        const nidus_hit *h = &all->hits[i];
        if (!model_match(w, f, h->id)) continue;
        if (m >= got->count) t_fail(__FILE__, __LINE__, "%s: %zu hits, brute force has more", what, got->count);
        const nidus_hit *g = &got->hits[m];
        if (strcmp(g->id, h->id) || g->row != h->row || memcmp(&g->score, &h->score, sizeof g->score))
            t_fail(__FILE__, __LINE__, "%s: hit %zu is %s (%.9g), brute force %s (%.9g)", what, m, g->id,
                   (double)g->score, h->id, (double)h->score);
        m++;
    }
    if (m != got->count) t_fail(__FILE__, __LINE__, "%s: %zu hits, brute force %zu", what, got->count, m);
    nidus_free(all);
}

static void search_equivalence(uint32_t dim, size_t n, unsigned threads, int trees, uint64_t seed) {
    nidus_db *db = th_mem(dim);
    wstore w;
    wstore_fill(&w, db, dim, n, seed);
    static fm_gen g;
    fm_src s = {seed * 7 + 1, NULL, 0, 0};
    float *q = malloc(3 * (size_t)dim * sizeof *q);
    for (int t = 0; t < trees; t++) {
        g.nn = g.nv = g.ni = 0;
        nidus_filter *f = fm_root(&g, &s);
        for (size_t k = 0; k < 3 * (size_t)dim; k++) q[k] = (float)((int)fm_below(&s, 2001) - 1000) / 1000.0f;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 1 + fm_below(&s, 40);
        o.threads = threads;
        o.where = f;
        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search(db, q, dim, &o, &h));
        check_against_brute(&w, q, f, o.top_k, h, "single");
        nidus_free(h);
        /* A batch of three: each query's hits equal the brute force too. */
        nidus_hits *hb[3] = {0};
        CHECK_OK_DB(db, nidus_search_batch(db, q, 3, dim, &o, hb));
        for (int i = 0; i < 3; i++) {
            check_against_brute(&w, q + (size_t)i * dim, f, o.top_k, hb[i], "batch");
            nidus_free(hb[i]);
        }
    }
    free(q);
    wstore_free(&w);
    nidus_close(db);
}

TEST(where_search_equals_brute_force_single_thread) { search_equivalence(8, 3000, 1, 60, 11); }
/* 64 x 20000 floats: four threads each get more than 2^18 floats of work. */
TEST(where_search_equals_brute_force_threads) { search_equivalence(64, 20000, 4, 12, 12); }

TEST(where_search_and_old_filter_combine) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "n", nidus_int(1)));
    CHECK_OK_DB(db, th_put_attr(db, "c", "b", v, "n", nidus_int(2)));
    CHECK_OK_DB(db, th_put_attr(db, "c", "c", v, "n", nidus_int(3)));
    nidus_pred p = {.kind = NIDUS_PRED_IN, .key = "n", .set = (const nidus_value[]){nidus_int(1), nidus_int(2)}, .set_len = 2};
    nidus_filter w = nidus_f_ge("n", nidus_int(2));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.filter = &p;
    o.n_filter = 1;
    o.where = &w;
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, v, 2, &o, &h));
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "b");
    nidus_free(h);
    nidus_close(db);
}

TEST(where_old_options_struct_is_accepted) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "n", nidus_int(1)));
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_filter w = nidus_f_eq("n", nidus_int(99)); /* beyond the old size: ignored */
    o.where = &w;
    o.struct_size = offsetof(nidus_search_opts, where);
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, v, 2, &o, &h));
    CHECK_INT(h->count, 1);
    nidus_free(h);
    o.struct_size = offsetof(nidus_search_opts, where) + 1;
    CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EMISUSE);
    nidus_close(db);
}

/* delete_where_filter removes exactly what the model matches; a missing
 * collection deletes nothing. */
TEST(where_delete_where_filter_matches_the_model) {
    static fm_gen g;
    fm_src s = {21, NULL, 0, 0};
    for (int t = 0; t < 40; t++) {
        nidus_db *db = th_mem(4);
        wstore w;
        wstore_fill(&w, db, 4, 200, 100 + (uint64_t)t);
        g.nn = g.nv = g.ni = 0;
        nidus_filter *f = fm_root(&g, &s);
        size_t want = 0;
        for (size_t i = 0; i < w.n; i++) want += fm_eval(f, w.attrs[i], w.na[i]);
        size_t del = 12345;
        CHECK_OK_DB(db, nidus_delete_where_filter(db, "nope", f, &del));
        CHECK_INT(del, 0);
        CHECK_OK_DB(db, nidus_delete_where_filter(db, "c", f, &del));
        CHECK_INT(del, want);
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
        CHECK_INT(d->count, w.n - want);
        for (size_t i = 0; i < d->count; i++) CHECK(!model_match(&w, f, d->docs[i].id));
        nidus_free(d);
        wstore_free(&w);
        nidus_close(db);
    }
    /* NULL deletes all. */
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    size_t del = 0;
    CHECK_OK_DB(db, nidus_delete_where_filter(db, "c", NULL, &del));
    CHECK_INT(del, 1);
    CHECK_RC(nidus_delete_where_filter(db, NULL, NULL, &del), NIDUS_EINVAL);
    nidus_close(db);
}

static unsigned char *slurp(const char *dir, const char *name, size_t *n) {
    unsigned char *b = t_read_file(t_path(dir, name), n);
    if (!b) t_fail(__FILE__, __LINE__, "no %s", name);
    return b;
}

TEST(where_bad_filters_leave_the_store_untouched) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "k", nidus_int(1)));
    CHECK_OK_DB(db, th_put_attr(db, "c", "b", v, "path", nidus_string("src/x")));
    size_t dl, ll;
    unsigned char *d0 = slurp(dir, "data", &dl), *l0 = slurp(dir, "log", &ll);
    nidus_filter fs[32];
    const char *words[32];
    size_t n = fm_bad_filters(fs, words);
    CHECK(n >= 15);
    for (size_t i = 0; i < n; i++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.where = &fs[i];
        nidus_hits *h = (nidus_hits *)&o;
        CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EINVAL);
        CHECK(h == NULL);
        if (!strstr(nidus_errmsg(db), words[i]) || !strstr(nidus_errmsg(db), "invalid filter"))
            t_fail(__FILE__, __LINE__, "search message \"%s\" lacks \"%s\"", nidus_errmsg(db), words[i]);
        nidus_hits *hb[2] = {(nidus_hits *)&o, (nidus_hits *)&o};
        const float q2[4] = {1, 0, 0, 1};
        CHECK_RC(nidus_search_batch(db, q2, 2, 2, &o, hb), NIDUS_EINVAL);
        CHECK(hb[0] == NULL && hb[1] == NULL);
        size_t del = 99;
        CHECK_RC(nidus_delete_where_filter(db, "c", &fs[i], &del), NIDUS_EINVAL);
        CHECK_INT(del, 0);
        if (!strstr(nidus_errmsg(db), words[i]))
            t_fail(__FILE__, __LINE__, "delete message \"%s\" lacks \"%s\"", nidus_errmsg(db), words[i]);
        /* Even for a collection that does not exist: validation comes first. */
        CHECK_RC(nidus_delete_where_filter(db, "nope", &fs[i], &del), NIDUS_EINVAL);
    }
    CHECK_INT(th_count(db, "c"), 2);
    size_t dl1, ll1;
    unsigned char *d1 = slurp(dir, "data", &dl1), *l1 = slurp(dir, "log", &ll1);
    CHECK(dl == dl1 && ll == ll1 && !memcmp(d0, d1, dl) && !memcmp(l0, l1, ll));
    free(d0), free(l0), free(d1), free(l1);
    nidus_close(db);
}

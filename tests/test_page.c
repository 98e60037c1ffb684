/* test_page.c — search's offset and projection, and nidus_search_similar, against
 * a brute-force model. The stores are dot-product stores of small integer vectors,
 * so every score is an exact integer the model computes itself, and ties (which
 * the offset must cut through in the library's order: score, then row) are
 * everywhere. Also: the offset cap, old option structs, bad options, OOM. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <stddef.h>

#define DIM 3
#define NREC 150

static const char *const COLLS[] = {"a", "b", "c"};

/* The model of one record: where it lives, its vector and row, its attributes. */
typedef struct mrec {
    const char *coll;
    char id[32];
    float v[DIM];
    uint64_t row;
    int64_t n;   /* attr "n" */
    char s[8];   /* attr "s" */
    int flag;    /* attr "flag" present when nonzero (Bool true) */
} mrec;

typedef struct model {
    mrec r[NREC];
    size_t n;
} model;

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static nidus_db *dot_store(void) {
    nidus_config c;
    nidus_config_init(&c, DIM);
    c.distance = NIDUS_DISTANCE_DOT;
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    return db;
}

/* Record i's attributes as upserted: n, s, and flag only when set. */
static size_t rec_attrs(const mrec *m, nidus_attr *out) {
    size_t k = 0;
    if (m->flag) out[k++] = (nidus_attr){"flag", nidus_bool(1)};
    out[k++] = (nidus_attr){"n", nidus_int(m->n)};
    out[k++] = (nidus_attr){"s", nidus_string(m->s)};
    return k;
}

/* NREC records upserted one by one (record i is row i), vectors of 0..2. */
static nidus_db *build(model *m, uint64_t seed) {
    nidus_db *db = dot_store();
    m->n = 0;
    for (size_t i = 0; i < NREC; i++) {
        mrec *r = &m->r[m->n++];
        r->coll = COLLS[rng_next(&seed) % 3];
        snprintf(r->id, sizeof r->id, "r%zu", i);
        for (int d = 0; d < DIM; d++) r->v[d] = (float)(rng_next(&seed) % 3);
        r->row = i;
        r->n = (int64_t)(rng_next(&seed) % 5);
        snprintf(r->s, sizeof r->s, "s%u", (unsigned)(rng_next(&seed) % 4));
        r->flag = (int)(rng_next(&seed) % 2);
        nidus_attr at[3];
        size_t na = rec_attrs(r, at);
        nidus_record rec = {r->id, r->v, DIM, at, na};
        CHECK_OK_DB(db, nidus_upsert(db, r->coll, &rec, 1));
    }
    CHECK_U64(th_fp(db).rows, NREC);
    return db;
}

static double score_of(const float *q, const float *v) {
    double s = 0;
    for (int d = 0; d < DIM; d++) s += (double)q[d] * v[d];
    return s;
}

static double score_of_d(const float *q, const float *v, int dim) {
    double s = 0;
    for (int d = 0; d < dim; d++) s += (double)q[d] * v[d];
    return s;
}

/* One ranked model entry. */
typedef struct ment {
    const mrec *r;
    double score;
} ment;

static int by_rank(const void *pa, const void *pb) {
    const ment *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->r->row < b->r->row ? -1 : a->r->row > b->r->row;
}

static bool in_scope(const mrec *r, const char *const *scope, size_t ns) {
    if (!scope) return true;
    for (size_t i = 0; i < ns; i++)
        if (strcmp(scope[i], r->coll) == 0) return true;
    return false;
}

/* The whole ranking of q over the scope, records with n == want_n only (want_n
 * < 0: all), leaving out `skip`. Returns the count; out holds NREC. */
static size_t rank(const model *m, const float *q, const char *const *scope, size_t ns, int64_t want_n,
                   const mrec *skip, ment *out) {
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        const mrec *r = &m->r[i];
        if (r == skip || !in_scope(r, scope, ns) || (want_n >= 0 && r->n != want_n)) continue;
        out[k++] = (ment){r, score_of(q, r->v)};
    }
    qsort(out, k, sizeof *out, by_rank);
    return k;
}

/* h must be model entries [off, off + k) of want[0..n). */
static void check_page(const nidus_hits *h, const ment *want, size_t n, size_t off, size_t k) {
    size_t from = off < n ? off : n, len = n - from < k ? n - from : k;
    if (h->count != len) t_fail(__FILE__, __LINE__, "offset %zu top_k %zu: %zu hits, want %zu", off, k, h->count, len);
    for (size_t i = 0; i < len; i++) {
        const ment *w = &want[from + i];
        const nidus_hit *x = &h->hits[i];
        if (strcmp(x->id, w->r->id) || strcmp(x->collection, w->r->coll) || x->row != w->r->row ||
            (double)x->score != w->score)
            t_fail(__FILE__, __LINE__, "offset %zu top_k %zu hit %zu: %s/%s row %llu score %g, want %s/%s row %llu %g",
                   off, k, i, x->collection, x->id, (unsigned long long)x->row, (double)x->score, w->r->coll,
                   w->r->id, (unsigned long long)w->r->row, w->score);
    }
}

static const size_t OFFS[] = {0, 1, 2, 3, 4, 5, 7, 11, 16, 31, 49, 50, 51, 99, 149, 150, 151, 400};
static const size_t KS[] = {0, 1, 2, 3, 5, 8, 13, 50, 149, 150, 1000};

/* Every (offset, top_k) page of random queries, whole store and a scope, with and
 * without a filter, is the model's slice; pages cut through ties. */
TEST(page_offsets_match_the_model) {
    static model m;
    static ment want[NREC];
    nidus_db *db = build(&m, 7);
    uint64_t seed = 99;
    size_t tie_cuts = 0;
    const char *scope[] = {"c", "a", "c"};
    for (int t = 0; t < 12; t++) {
        float q[DIM];
        for (int d = 0; d < DIM; d++) q[d] = (float)(rng_next(&seed) % 4) - 1;
        bool scoped = t % 3 == 1, filtered = t % 3 == 2;
        nidus_filter w = nidus_f_eq("n", nidus_int(2));
        size_t n = rank(&m, q, scoped ? scope : NULL, 3, filtered ? 2 : -1, NULL, want);
        for (size_t oi = 0; oi < sizeof OFFS / sizeof *OFFS; oi++)
            for (size_t ki = 0; ki < sizeof KS / sizeof *KS; ki++) {
                size_t off = OFFS[oi], k = KS[ki];
                nidus_search_opts o;
                nidus_search_opts_init(&o);
                o.offset = off;
                o.top_k = k;
                o.threads = (unsigned)(t % 2 + 1);
                if (scoped) o.collections = scope, o.n_collections = 3;
                if (filtered) o.where = &w;
                nidus_hits *h = NULL;
                CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &h));
                check_page(h, want, n, off, k);
                nidus_free(h);
                if (off > 0 && off < n && want[off - 1].score == want[off].score) tie_cuts++;
            }
    }
    CHECK(tie_cuts > 100); /* the pages really did split groups of equal scores */
    nidus_close(db);
}

/* A batch pages each query as nidus_search does (screened or not). */
TEST(page_batch_offsets_match_the_model) {
    static model m;
    static ment want[NREC];
    nidus_db *db = build(&m, 8);
    float qs[5 * DIM];
    uint64_t seed = 5;
    for (int i = 0; i < 5 * DIM; i++) qs[i] = (float)(rng_next(&seed) % 3);
    for (size_t oi = 0; oi < sizeof OFFS / sizeof *OFFS; oi++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.offset = OFFS[oi];
        o.top_k = 7;
        nidus_hits *out[5];
        CHECK_OK_DB(db, nidus_search_batch(db, qs, 5, DIM, &o, out));
        for (int i = 0; i < 5; i++) {
            size_t n = rank(&m, qs + i * DIM, NULL, 0, -1, NULL, want);
            check_page(out[i], want, n, OFFS[oi], 7);
            nidus_free(out[i]);
        }
    }
    nidus_close(db);
}

/* offset + top_k <= NIDUS_MAX_DEPTH once offset > 0, with saturating arithmetic;
 * offset 0 keeps top_k unbounded. */
TEST(page_offset_cap) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "x", v));
    struct {
        size_t off, k;
        int rc;
    } cases[] = {
        {0, SIZE_MAX, NIDUS_OK},        {0, 20000, NIDUS_OK},          {1, 9999, NIDUS_OK},
        {1, 10000, NIDUS_EINVAL},       {10000, 0, NIDUS_OK},          {10001, 0, NIDUS_EINVAL},
        {1, SIZE_MAX, NIDUS_EINVAL},    {SIZE_MAX, 1, NIDUS_EINVAL},   {SIZE_MAX, SIZE_MAX, NIDUS_EINVAL},
        {5000, 5000, NIDUS_OK},         {5000, 5001, NIDUS_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.offset = cases[i].off;
        o.top_k = cases[i].k;
        nidus_hits *h = (nidus_hits *)&o; /* must be reset */
        int rc = nidus_search(db, v, 2, &o, &h);
        if (rc != cases[i].rc) t_fail(__FILE__, __LINE__, "case %zu: rc %d want %d", i, rc, cases[i].rc);
        if (rc) {
            CHECK(h == NULL);
            CHECK(strstr(nidus_errmsg(db), "exceeds the maximum of 10000") != NULL);
            nidus_hits *b[1] = {(nidus_hits *)&o};
            CHECK_RC(nidus_search_batch(db, v, 1, 2, &o, b), NIDUS_EINVAL);
            CHECK(b[0] == NULL);
            CHECK_RC(nidus_search_similar(db, "c", "x", &o, &h), NIDUS_EINVAL);
        } else {
            CHECK_INT(h->count, cases[i].off == 0 ? 1 : 0);
            nidus_free(h);
        }
    }
    nidus_close(db);
}

/* ------------------------------------------------------------ projection ---- */

/* What hit x of record r must carry under include (inc) or exclude (exc). */
static void check_projected(const nidus_attr *at, size_t n, const mrec *r, const char *const *inc, size_t ninc,
                            const char *const *exc, size_t nexc) {
    nidus_attr all[3];
    size_t na = rec_attrs(r, all), k = 0;
    for (size_t i = 0; i < na; i++) {
        bool named = false;
        const char *const *keys = inc ? inc : exc;
        size_t nk = inc ? ninc : nexc;
        for (size_t j = 0; keys && j < nk; j++) named |= strcmp(keys[j], all[i].key) == 0;
        bool keep = inc ? named : exc ? !named : true;
        if (!keep) continue;
        if (k >= n) t_fail(__FILE__, __LINE__, "%s: attribute %s missing", r->id, all[i].key);
        CHECK_STR(at[k].key, all[i].key);
        CHECK_INT(at[k].value.type, all[i].value.type);
        if (all[i].value.type == NIDUS_STR) CHECK_STR(at[k].value.v.str.ptr, r->s);
        else if (all[i].value.type == NIDUS_INT) CHECK_INT(at[k].value.v.i, r->n);
        else CHECK_INT(at[k].value.v.b, 1);
        k++;
    }
    if (k != n) t_fail(__FILE__, __LINE__, "%s: %zu attributes, want %zu", r->id, n, k);
}

static const mrec *find_rec(const model *m, const char *coll, const char *id) {
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->r[i].id, id) && !strcmp(m->r[i].coll, coll)) return &m->r[i];
    t_fail(__FILE__, __LINE__, "no record %s/%s in the model", coll, id);
}

typedef struct projcase {
    const char *const *inc;
    size_t ninc;
    const char *const *exc;
    size_t nexc;
} projcase;

static const char *const K_N[] = {"n"}, *const K_NS[] = {"s", "n", "s"}, *const K_UNKNOWN[] = {"nope", "flag"},
                         *const K_NONE[] = {"zz"};
static const projcase PROJ[] = {
    {NULL, 0, NULL, 0},      {K_N, 1, NULL, 0},       {K_NS, 3, NULL, 0}, {K_UNKNOWN, 2, NULL, 0},
    {K_NONE, 0, NULL, 0},    {NULL, 0, K_N, 1},       {NULL, 0, K_NS, 3}, {NULL, 0, K_UNKNOWN, 2},
    {NULL, 0, K_NONE, 0},    {K_NONE, 1, NULL, 0},
};

/* Projection on search, batch and similar: exactly the model's attributes kept,
 * and the same hits as without it. */
TEST(page_projection_on_search_batch_and_similar) {
    static model m;
    nidus_db *db = build(&m, 11);
    const float q[DIM * 2] = {1, 2, 0, 0, 1, 1};
    for (size_t pi = 0; pi < sizeof PROJ / sizeof *PROJ; pi++) {
        const projcase *p = &PROJ[pi];
        nidus_search_opts o, plain;
        nidus_search_opts_init(&o);
        nidus_search_opts_init(&plain);
        o.top_k = plain.top_k = 20;
        o.offset = plain.offset = 3;
        o.include_attrs = p->inc, o.n_include_attrs = p->ninc;
        o.exclude_attrs = p->exc, o.n_exclude_attrs = p->nexc;
        nidus_hits *h = NULL, *ref = NULL, *b[2], *s = NULL, *sref = NULL;
        CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &h));
        CHECK_OK_DB(db, nidus_search(db, q, DIM, &plain, &ref));
        CHECK_OK_DB(db, nidus_search_batch(db, q, 2, DIM, &o, b));
        CHECK_OK_DB(db, nidus_search_similar(db, m.r[0].coll, m.r[0].id, &o, &s));
        CHECK_OK_DB(db, nidus_search_similar(db, m.r[0].coll, m.r[0].id, &plain, &sref));
        const nidus_hits *pairs[][2] = {{h, ref}, {b[0], ref}, {s, sref}};
        for (int x = 0; x < 3; x++) {
            const nidus_hits *got = pairs[x][0], *base = pairs[x][1];
            CHECK_INT(got->count, base->count);
            for (size_t i = 0; i < got->count; i++) {
                CHECK_STR(got->hits[i].id, base->hits[i].id);
                const mrec *r = find_rec(&m, got->hits[i].collection, got->hits[i].id);
                check_projected(got->hits[i].attrs, got->hits[i].n_attrs, r, p->inc, p->ninc, p->exc, p->nexc);
            }
        }
        /* The batch's second query, too. */
        for (size_t i = 0; i < b[1]->count; i++) {
            const mrec *r = find_rec(&m, b[1]->hits[i].collection, b[1]->hits[i].id);
            check_projected(b[1]->hits[i].attrs, b[1]->hits[i].n_attrs, r, p->inc, p->ninc, p->exc, p->nexc);
        }
        nidus_free(h), nidus_free(ref), nidus_free(b[0]), nidus_free(b[1]), nidus_free(s), nidus_free(sref);
    }
    nidus_close(db);
}

/* Bad projections and option structs: refused before anything is read, with
 * the result pointers NULL. */
TEST(page_bad_options) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "x", v, "k", nidus_int(1)));
    const char *keys[] = {"k"}, *nul[] = {NULL}, *bad[] = {"\xff"};
    struct {
        const char *const *inc;
        size_t ninc;
        const char *const *exc;
        size_t nexc;
        const char *msg;
    } cases[] = {
        {keys, 1, keys, 1, "mutually exclusive"},
        {keys, 0, keys, 0, "mutually exclusive"},
        {NULL, 2, NULL, 0, "include_attrs is NULL"},
        {NULL, 0, NULL, 1, "exclude_attrs is NULL"},
        {nul, 1, NULL, 0, "include_attrs[0] is NULL"},
        {NULL, 0, bad, 1, "exclude_attrs[0] is not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.include_attrs = cases[i].inc, o.n_include_attrs = cases[i].ninc;
        o.exclude_attrs = cases[i].exc, o.n_exclude_attrs = cases[i].nexc;
        nidus_hits *h = NULL, *b[1];
        CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EINVAL);
        CHECK(strstr(nidus_errmsg(db), cases[i].msg) != NULL);
        CHECK(h == NULL);
        CHECK_RC(nidus_search_batch(db, v, 1, 2, &o, b), NIDUS_EINVAL);
        CHECK(b[0] == NULL);
        CHECK_RC(nidus_search_similar(db, "c", "x", &o, &h), NIDUS_EINVAL);
        CHECK(strstr(nidus_errmsg(db), cases[i].msg) != NULL);
        /* A bad option wins over a missing source, as in nidus (validate first). */
        CHECK_RC(nidus_search_similar(db, "c", "ghost", &o, &h), NIDUS_EINVAL);
    }
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    nidus_hits *h = NULL;
    o.struct_size = sizeof o - 1;
    CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EMISUSE);
    CHECK_RC(nidus_search_similar(db, "c", "x", &o, &h), NIDUS_EMISUSE);
    o.struct_size = offsetof(nidus_search_opts, offset) + sizeof(size_t);
    CHECK_RC(nidus_search(db, v, 2, &o, &h), NIDUS_EMISUSE);
    CHECK_RC(nidus_search_similar(db, "c", "x", NULL, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_search_similar(NULL, "c", "x", NULL, &h), NIDUS_EMISUSE);
    CHECK_U64(th_fp(db).doc_count, 1);
    nidus_close(db);
}

/* The struct before the paging fields (up to `where`) is read with offset 0 and
 * no projection, whatever lies beyond it; 0.4.0's too. */
TEST(page_older_option_structs_are_accepted) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0}, w[2] = {0.8f, 0.6f};
    CHECK_OK_DB(db, th_put_attr(db, "c", "x", v, "k", nidus_int(1)));
    CHECK_OK_DB(db, th_put_attr(db, "c", "y", w, "k", nidus_int(2)));
    const char *none[] = {"zz"};
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.offset = 1;          /* beyond the old sizes: ignored */
    o.include_attrs = none;
    o.n_include_attrs = 1;
    const size_t sizes[] = {offsetof(nidus_search_opts, offset), offsetof(nidus_search_opts, where)};
    for (int i = 0; i < 2; i++) {
        o.struct_size = sizes[i];
        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search(db, v, 2, &o, &h));
        CHECK_INT(h->count, 2);
        CHECK_STR(h->hits[0].id, "x");
        CHECK_INT(h->hits[0].n_attrs, 1);
        nidus_free(h);
        CHECK_OK_DB(db, nidus_search_similar(db, "c", "x", &o, &h));
        CHECK_INT(h->count, 1);
        CHECK_STR(h->hits[0].id, "y");
        CHECK_INT(h->hits[0].n_attrs, 1);
        nidus_free(h);
    }
    o.struct_size = sizeof o;
    nidus_hits *h = NULL;
    CHECK_OK_DB(db, nidus_search(db, v, 2, &o, &h));
    CHECK_INT(h->count, 1);
    CHECK_STR(h->hits[0].id, "y");
    CHECK_INT(h->hits[0].n_attrs, 0);
    nidus_free(h);
    nidus_close(db);
}

/* --------------------------------------------------------------- similar ---- */

/* For every record as the source: the model's ranking of its vector over the
 * scope (default: its own collection), the source left out, paged. */
TEST(page_similar_matches_the_model) {
    static model m;
    static ment want[NREC];
    nidus_db *db = build(&m, 13);
    const char *scope[] = {"b", "a"};
    for (size_t i = 0; i < m.n; i++) {
        const mrec *src = &m.r[i];
        int mode = (int)(i % 4); /* 0 default scope, 1 explicit empty, 2 two collections, 3 filtered */
        const char *own[] = {src->coll};
        size_t n = mode == 2 ? rank(&m, src->v, scope, 2, -1, src, want)
                             : rank(&m, src->v, own, 1, mode == 3 ? 1 : -1, src, want);
        size_t off = i % 5 == 0 ? 0 : i % 7, k = 1 + i % 9;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.offset = off;
        o.top_k = k;
        nidus_filter w = nidus_f_eq("n", nidus_int(1));
        if (mode == 1) o.collections = scope, o.n_collections = 0;
        if (mode == 2) o.collections = scope, o.n_collections = 2;
        if (mode == 3) o.where = &w;
        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search_similar(db, src->coll, src->id, &o, &h));
        check_page(h, want, n, off, k);
        nidus_free(h);
    }
    nidus_close(db);
}

/* Exclusion is by identity: with every vector equal (all scores tie, the source
 * among them, at a middle row) k other records still come back, duplicates of
 * the source included, and never the source; under another collection the same
 * id is another record. */
TEST(page_similar_excludes_by_identity_among_duplicates) {
    nidus_db *db = dot_store();
    const float v[DIM] = {1, 1, 0};
    char id[32];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "d%d", i);
        CHECK_OK_DB(db, th_put(db, "a", id, v));
    }
    CHECK_OK_DB(db, th_put(db, "b", "d4", v)); /* same id, other collection: row 10 */
    for (size_t k = 1; k <= 11; k++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = k;
        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search_similar(db, "a", "d4", &o, &h));
        size_t want = k < 9 ? k : 9;
        CHECK_INT(h->count, want);
        /* Rows ascending among the tie, skipping row 4 (the source). */
        for (size_t x = 0; x < h->count; x++) {
            CHECK(strcmp(h->hits[x].id, "d4") != 0);
            CHECK_U64(h->hits[x].row, x < 4 ? x : x + 1);
            CHECK(h->hits[x].score == 2.0f);
        }
        nidus_free(h);
        const char *both[] = {"a", "b"};
        o.collections = both;
        o.n_collections = 2;
        CHECK_OK_DB(db, nidus_search_similar(db, "a", "d4", &o, &h));
        CHECK_INT(h->count, k < 10 ? k : 10);
        for (size_t x = 0; x < h->count; x++) {
            CHECK(!(strcmp(h->hits[x].collection, "a") == 0 && strcmp(h->hits[x].id, "d4") == 0));
            CHECK_U64(h->hits[x].row, x < 4 ? x : x + 1);
        }
        if (k == 11) CHECK_STR(h->hits[9].collection, "b");
        nidus_free(h);
    }
    nidus_close(db);
}

/* Missing source: NIDUS_ENOTFOUND naming it; NULL or bad names: NIDUS_EINVAL. */
TEST(page_similar_missing_source) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "x", v));
    nidus_hits *h = (nidus_hits *)db;
    CHECK_RC(nidus_search_similar(db, "c", "ghost", NULL, &h), NIDUS_ENOTFOUND);
    CHECK(h == NULL);
    CHECK_STR(nidus_errmsg(db), "no record `ghost` in collection `c`");
    CHECK_RC(nidus_search_similar(db, "nope", "x", NULL, &h), NIDUS_ENOTFOUND);
    CHECK_RC(nidus_search_similar(db, NULL, "x", NULL, &h), NIDUS_EINVAL);
    CHECK_RC(nidus_search_similar(db, "c", NULL, NULL, &h), NIDUS_EINVAL);
    CHECK_RC(nidus_search_similar(db, "c", "\xc3", NULL, &h), NIDUS_EINVAL);
    /* Bad options (a NULL scope name, a bad filter) win over the missing record. */
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    const char *nul[] = {NULL};
    o.collections = nul;
    o.n_collections = 1;
    CHECK_RC(nidus_search_similar(db, "c", "ghost", &o, &h), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "collection name 0 is NULL") != NULL);
    nidus_filter bad = nidus_f_fuzzy("k", "x", 9);
    nidus_search_opts_init(&o);
    o.where = &bad;
    CHECK_RC(nidus_search_similar(db, "c", "ghost", &o, &h), NIDUS_EINVAL);
    CHECK(h == NULL);
    /* The only record: nothing else to return. */
    CHECK_OK_DB(db, nidus_search_similar(db, "c", "x", NULL, &h));
    CHECK_INT(h->count, 0);
    nidus_free(h);
    nidus_close(db);
}

/* A cosine store: similar equals a search with the source's stored vector, minus
 * the source (the stored vector is normalized again, as nidus does). */
TEST(page_similar_cosine_equals_search_minus_source) {
    nidus_db *db = th_mem(4);
    uint64_t seed = 3;
    char id[32];
    for (int i = 0; i < 60; i++) {
        float v[4];
        for (int d = 0; d < 4; d++) v[d] = (float)(rng_next(&seed) % 1000) / 100.0f - 5;
        snprintf(id, sizeof id, "v%d", i);
        CHECK_OK_DB(db, th_put(db, i % 2 ? "x" : "y", id, v));
    }
    for (int i = 0; i < 60; i += 7) {
        const char *coll = i % 2 ? "x" : "y";
        snprintf(id, sizeof id, "v%d", i);
        const char *ids[] = {id};
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_get(db, coll, ids, 1, &d));
        const char *scope[] = {coll};
        nidus_hits *all = th_search(db, scope, 1, d->docs[0].vector, 100), *h = NULL;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 5;
        o.offset = 2;
        CHECK_OK_DB(db, nidus_search_similar(db, coll, id, &o, &h));
        size_t j = 0, got = 0, seen = 0;
        for (size_t x = 0; x < all->count && got < h->count; x++) {
            if (!strcmp(all->hits[x].id, id)) continue;
            if (seen++ < 2) continue;
            CHECK_STR(h->hits[j].id, all->hits[x].id);
            CHECK(h->hits[j].score == all->hits[x].score);
            j++, got++;
        }
        CHECK_INT(h->count, 5);
        CHECK_INT(got, 5);
        nidus_free(h), nidus_free(all), nidus_free(d);
    }
    nidus_close(db);
}

/* ------------------------------------------------------------------- OOM ---- */

/* Every allocation of a paged, projected search, batch and similar may fail: an
 * ENOMEM with NULL results, or the right answer, never a crash or leak. */
TEST(page_out_of_memory) {
    static model m;
    nidus_db *db = build(&m, 17);
    const float q[2 * DIM] = {1, 0, 2, 2, 1, 0};
    const char *inc[] = {"n"};
    nidus_filter w = nidus_f_ge("n", nidus_int(1));
    long fired = 0;
    for (int which = 0; which < 3; which++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.offset = 4;
        o.top_k = 6;
        o.include_attrs = inc;
        o.n_include_attrs = 1;
        o.where = &w;
        nidus_hits *ref[2] = {NULL, NULL};
        if (which == 0) CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &ref[0]));
        if (which == 1) CHECK_OK_DB(db, nidus_search_batch(db, q, 2, DIM, &o, ref));
        if (which == 2) CHECK_OK_DB(db, nidus_search_similar(db, m.r[5].coll, m.r[5].id, &o, &ref[0]));
        for (long n = 0;; n++) {
            nidus_hits *out[2] = {NULL, NULL};
            nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
            int rc = which == 0   ? nidus_search(db, q, DIM, &o, &out[0])
                     : which == 1 ? nidus_search_batch(db, q, 2, DIM, &o, out)
                                  : nidus_search_similar(db, m.r[5].coll, m.r[5].id, &o, &out[0]);
            bool hit = nidus__fault_fired();
            nidus__fault_disarm();
            fired += hit;
            if (rc) {
                CHECK(hit);
                CHECK_RC(rc, NIDUS_ENOMEM);
                CHECK(out[0] == NULL && out[1] == NULL);
                continue;
            }
            for (int i = 0; i < (which == 1 ? 2 : 1); i++) {
                CHECK_INT(out[i]->count, ref[i]->count);
                for (size_t x = 0; x < out[i]->count; x++) {
                    CHECK_STR(out[i]->hits[x].id, ref[i]->hits[x].id);
                    CHECK_INT(out[i]->hits[x].n_attrs, 1);
                }
                nidus_free(out[i]);
            }
            if (!hit) break;
        }
        nidus_free(ref[0]), nidus_free(ref[1]);
    }
    CHECK(fired > 5);
    nidus_close(db);
}

/* Pages from a scan split over threads (each its own top-k, merged by score then
 * row) are the model's too; similar likewise. */
TEST(page_threads_match_the_model) {
    enum { N = 24000, D = 16 };
    nidus_config c;
    nidus_config_init(&c, D);
    c.distance = NIDUS_DISTANCE_DOT;
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    float *vecs = malloc((size_t)N * D * sizeof *vecs);
    nidus_record *recs = malloc(N * sizeof *recs);
    char (*ids)[32] = malloc(N * sizeof *ids);
    double *sc = malloc(N * sizeof *sc);
    size_t *order = malloc(N * sizeof *order);
    CHECK(vecs && recs && ids && sc && order);
    uint64_t seed = 42;
    for (size_t i = 0; i < N; i++) {
        for (int d = 0; d < D; d++) vecs[i * D + d] = (float)(rng_next(&seed) % 2);
        snprintf(ids[i], sizeof ids[i], "t%zu", i);
        recs[i] = (nidus_record){ids[i], vecs + i * D, D, NULL, 0};
    }
    CHECK_OK_DB(db, nidus_upsert(db, "t", recs, N));
    const float *q = vecs + 7 * D; /* record t7's vector: also the similar source */
    for (size_t i = 0; i < N; i++) {
        sc[i] = score_of_d(q, vecs + i * D, D);
        order[i] = i;
    }
    /* Rank by score descending, row (= i) ascending: a counting sort over the
     * 17 possible scores keeps rows ascending within each. */
    size_t at = 0;
    for (int s = D; s >= 0; s--)
        for (size_t i = 0; i < N; i++)
            if (sc[i] == s) order[at++] = i;
    const size_t offs[] = {0, 1, 500, 4000, 9990};
    for (unsigned t = 1; t <= 4; t += 3)
        for (size_t oi = 0; oi < 5; oi++)
            for (int sim = 0; sim < 2; sim++) {
                nidus_search_opts o;
                nidus_search_opts_init(&o);
                o.threads = t;
                o.offset = offs[oi];
                o.top_k = 10;
                nidus_hits *h = NULL;
                if (sim) CHECK_OK_DB(db, nidus_search_similar(db, "t", "t7", &o, &h));
                else CHECK_OK_DB(db, nidus_search(db, q, D, &o, &h));
                CHECK_INT(h->count, 10);
                size_t skip = 0, x = 0;
                for (size_t r = 0; x < 10; r++) {
                    if (sim && order[r] == 7) continue;
                    if (skip++ < offs[oi]) continue;
                    CHECK_STR(h->hits[x].id, ids[order[r]]);
                    CHECK((double)h->hits[x].score == sc[order[r]]);
                    x++;
                }
                nidus_free(h);
            }
    free(vecs), free(recs), free(ids), free(sc), free(order);
    nidus_close(db);
}

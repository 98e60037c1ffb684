/* test_list.c — nidus_list_docs against a model of the store: random upserts
 * (overwrites move a record to a new row), deletes, three collections, an
 * attribute `k` of every type (and absent). The model computes nidus 0.80's order
 * itself — storage order, or order_by's witness rule with a stable sort and the
 * trailing group — then the page. Also projection, scope, bad options, OOM. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <pthread.h>

#define DIM 2
#define POOL 40   /* ids per collection */
#define STEPS 260

static const char *const COLLS[] = {"a", "b", "c"};
static nidus_str LIST_ITEMS[] = {{"x", NIDUS_NTS}, {"y", NIDUS_NTS}};
static const char *const STRS[] = {"", "apple", "b", "banana", "B", "\xc3\xa9t\xc3\xa9"};
static const double FLOATS[] = {-2.25, -0.0, 0.0, 1.5, 3.0, NAN, 1e300};

/* k's kind in the model: KABSENT or a nidus_type. */
enum { KABSENT = -1 };

typedef struct lrec {
    const char *coll;
    char id[32];
    float v[DIM];
    uint64_t row;
    int ktype;
    nidus_value k;
    int64_t g;
    bool live;
} lrec;

typedef struct lmodel {
    lrec r[3 * POOL];
    uint64_t rows;
} lmodel;

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random value of k: type `bias` half of the time (KABSENT: any). */
static void random_k(lrec *r, uint64_t *seed, int bias) {
    static const int TYPES[] = {KABSENT, NIDUS_NULL, NIDUS_STR, NIDUS_INT, NIDUS_BOOL, NIDUS_LIST, NIDUS_FLOAT, NIDUS_DATETIME};
    int t = bias != KABSENT && rng_next(seed) % 2 ? bias : TYPES[rng_next(seed) % 8];
    r->ktype = t;
    switch (t) {
    case NIDUS_NULL: r->k = nidus_null(); break;
    case NIDUS_STR: r->k = nidus_string(STRS[rng_next(seed) % 6]); break;
    case NIDUS_INT: r->k = nidus_int((int64_t)(rng_next(seed) % 7) - 3); break;
    case NIDUS_BOOL: r->k = nidus_bool((int)(rng_next(seed) % 2)); break;
    case NIDUS_LIST: r->k = nidus_list(LIST_ITEMS, rng_next(seed) % 3); break;
    case NIDUS_FLOAT: r->k = nidus_float(FLOATS[rng_next(seed) % 7]); break;
    case NIDUS_DATETIME: r->k = nidus_datetime((int64_t)(rng_next(seed) % 5) * 1000); break;
    default: break;
    }
}

static size_t rec_attrs(const lrec *r, nidus_attr *at) {
    size_t n = 0;
    at[n++] = (nidus_attr){"g", nidus_int(r->g)};
    if (r->ktype != KABSENT) at[n++] = (nidus_attr){"k", r->k};
    at[n++] = (nidus_attr){"z", nidus_string(r->id)};
    return n;
}

static void put(nidus_db *db, lmodel *m, lrec *r) {
    nidus_attr at[3];
    size_t na = rec_attrs(r, at);
    nidus_record rec = {r->id, r->v, DIM, at, na};
    CHECK_OK_DB(db, nidus_upsert(db, r->coll, &rec, 1));
    r->row = m->rows++;
    r->live = true;
}

/* Random upserts, overwrites and deletes; the model follows. `types`: KABSENT for
 * any k, a type for a bias towards it, NIDUS_LIST for "nothing orderable". */
static nidus_db *build(lmodel *m, uint64_t seed, int bias) {
    nidus_config c;
    nidus_config_init(&c, DIM);
    c.distance = NIDUS_DISTANCE_DOT;
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < 3 * POOL; i++) {
        m->r[i].coll = COLLS[i / POOL];
        snprintf(m->r[i].id, sizeof m->r[i].id, "id%02zu", i % POOL);
    }
    for (int s = 0; s < STEPS; s++) {
        lrec *r = &m->r[rng_next(&seed) % (3 * POOL)];
        if (r->live && rng_next(&seed) % 6 == 0) {
            const char *ids[] = {r->id};
            size_t n = 0;
            CHECK_OK_DB(db, nidus_delete(db, r->coll, ids, 1, &n));
            CHECK_INT(n, 1);
            r->live = false;
            continue;
        }
        r->v[0] = (float)s;
        r->v[1] = (float)(rng_next(&seed) % 100);
        r->g = (int64_t)(rng_next(&seed) % 4);
        if (bias == NIDUS_LIST) {
            static const int NONE[] = {KABSENT, NIDUS_NULL, NIDUS_LIST, NIDUS_FLOAT};
            int t = NONE[rng_next(&seed) % 4];
            r->ktype = t;
            r->k = t == NIDUS_NULL ? nidus_null() : t == NIDUS_LIST ? nidus_list(LIST_ITEMS, 2) : nidus_float(NAN);
        } else {
            random_k(r, &seed, bias);
        }
        put(db, m, r);
    }
    CHECK_U64(th_fp(db).rows, m->rows);
    return db;
}

/* ---------------------------------------------------------------- model ---- */

static bool orderable(const lrec *r) {
    switch (r->ktype) {
    case NIDUS_INT:
    case NIDUS_STR:
    case NIDUS_BOOL:
    case NIDUS_DATETIME: return true;
    case NIDUS_FLOAT: return !isnan(r->k.v.f);
    default: return false;
    }
}

static int kcmp(const lrec *a, const lrec *b) {
    switch (a->ktype) {
    case NIDUS_INT:
    case NIDUS_DATETIME: return (a->k.v.i > b->k.v.i) - (a->k.v.i < b->k.v.i);
    case NIDUS_BOOL: return a->k.v.b - b->k.v.b;
    case NIDUS_FLOAT: return (a->k.v.f > b->k.v.f) - (a->k.v.f < b->k.v.f);
    default: return strcmp(a->k.v.str.ptr, b->k.v.str.ptr);
    }
}

typedef struct lquery {
    const char *const *scope; /* NULL: all */
    size_t ns;
    int64_t min_g;            /* filter g >= min_g; < 0: none */
    const char *order_by;     /* "k", another field, or NULL */
    bool desc;
} lquery;

static bool scoped(const lrec *r, const lquery *q) {
    if (!q->scope) return true;
    for (size_t i = 0; i < q->ns; i++)
        if (!strcmp(q->scope[i], r->coll)) return true;
    return false;
}

/* The whole ordered match set, out[0..return). */
static size_t expect(const lmodel *m, const lquery *q, const lrec **out, int *witness_type) {
    size_t n = 0;
    for (uint64_t row = 0; row < m->rows; row++) /* storage order */
        for (size_t i = 0; i < 3 * POOL; i++) {
            const lrec *r = &m->r[i];
            if (r->live && r->row == row && scoped(r, q) && (q->min_g < 0 || r->g >= q->min_g)) out[n++] = r;
        }
    *witness_type = KABSENT;
    if (!q->order_by || strcmp(q->order_by, "k") != 0) return n; /* no record has another field orderable */
    const lrec *w = NULL;
    for (size_t i = 0; i < n && !w; i++)
        if (orderable(out[i])) w = out[i];
    if (!w) return n;
    *witness_type = w->ktype;
    /* Stable insertion sort: sortable ones (the witness's type) by k, then the rest. */
    for (size_t i = 1; i < n; i++) {
        const lrec *x = out[i];
        bool xs = x->ktype == w->ktype && orderable(x);
        size_t j = i;
        while (j > 0) {
            const lrec *y = out[j - 1];
            bool ys = y->ktype == w->ktype && orderable(y);
            bool before = xs && (!ys || (q->desc ? kcmp(x, y) > 0 : kcmp(x, y) < 0));
            if (!before) break;
            out[j] = y;
            j--;
        }
        out[j] = x;
    }
    return n;
}

static void check_docs(const nidus_docs *d, const lrec *const *want, size_t n, size_t off, size_t limit,
                       const char *what) {
    size_t from = off < n ? off : n, len = n - from < limit ? n - from : limit;
    if (d->count != len) t_fail(__FILE__, __LINE__, "%s offset %zu limit %zu: %zu docs, want %zu", what, off, limit, d->count, len);
    for (size_t i = 0; i < len; i++) {
        const lrec *r = want[from + i];
        const nidus_doc *x = &d->docs[i];
        if (strcmp(x->id, r->id) || strcmp(x->collection, r->coll))
            t_fail(__FILE__, __LINE__, "%s offset %zu limit %zu doc %zu: %s/%s, want %s/%s", what, off, limit, i,
                   x->collection, x->id, r->coll, r->id);
        CHECK(x->vector[0] == r->v[0] && x->vector[1] == r->v[1]);
        CHECK_INT(x->n_attrs, r->ktype == KABSENT ? 2 : 3);
    }
}

/* -------------------------------------------------------------- tests ---- */

static const size_t OFFS[] = {0, 1, 2, 5, 17, 50, 99, 100, 101, 500};
static const size_t LIMITS[] = {0, 1, 3, 10, 100, SIZE_MAX};

/* Storage order and order_by k, ascending and descending, for witnesses of every
 * orderable type (and none), over scopes and filters, every page. */
TEST(list_order_and_pages_match_the_model) {
    static lmodel m;
    static const lrec *want[3 * POOL];
    const int biases[] = {NIDUS_INT, NIDUS_STR, NIDUS_BOOL, NIDUS_FLOAT, NIDUS_DATETIME, KABSENT, NIDUS_LIST};
    bool seen[8] = {0};
    size_t trailing_seen = 0;
    const char *sub[] = {"c", "zz", "a", "c"};
    for (int run = 0; run < 14; run++) {
        nidus_db *db = build(&m, 1000 + (uint64_t)run, biases[run % 7]);
        for (int qi = 0; qi < 12; qi++) {
            lquery q = {qi % 3 == 1 ? sub : NULL, 4, qi % 4 == 3 ? 2 : -1,
                        qi % 3 == 0 ? NULL : qi == 5 ? "nothing" : "k", qi % 2 == 1};
            int wt;
            size_t n = expect(&m, &q, want, &wt);
            if (wt != KABSENT) seen[wt] = true;
            if (wt != KABSENT && n && !(want[n - 1]->ktype == wt && orderable(want[n - 1]))) trailing_seen++;
            if (q.order_by && !strcmp(q.order_by, "k") && wt == KABSENT && run % 7 == 6) seen[7] = true;
            nidus_filter w = nidus_f_ge("g", nidus_int(q.min_g));
            for (size_t oi = 0; oi < sizeof OFFS / sizeof *OFFS; oi++)
                for (size_t li = 0; li < sizeof LIMITS / sizeof *LIMITS; li++) {
                    nidus_list_opts o;
                    nidus_list_opts_init(&o);
                    o.collections = q.scope;
                    o.n_collections = q.scope ? q.ns : 0;
                    if (q.min_g >= 0) o.where = &w;
                    o.order_by = q.order_by;
                    o.descending = q.desc;
                    o.offset = OFFS[oi];
                    o.limit = LIMITS[li];
                    nidus_docs *d = NULL;
                    CHECK_OK_DB(db, nidus_list_docs(db, &o, &d));
                    char what[64];
                    snprintf(what, sizeof what, "run %d query %d", run, qi);
                    check_docs(d, want, n, OFFS[oi], LIMITS[li], what);
                    nidus_free(d);
                }
        }
        nidus_close(db);
    }
    for (int t = NIDUS_STR; t <= NIDUS_DATETIME; t++)
        if (t != NIDUS_LIST && !seen[t]) t_fail(__FILE__, __LINE__, "no run had a witness of type %d", t);
    CHECK(seen[7]);           /* a run with nothing orderable */
    CHECK(trailing_seen > 10); /* the trailing group was exercised */
}

/* nidus's own examples, as behaviour: plain sort both ways, a Str witness puts
 * a DateTime in the trailing group, cross-type / Null / absent trail in storage
 * order in both directions, equal values keep storage order, the page is cut
 * after sorting, the default limit is 100. */
TEST(list_order_by_rules) {
    nidus_config c;
    nidus_config_init(&c, DIM);
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory_cfg(&c, &db), NIDUS_OK);
    const float v[DIM] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "docs", "b", v, "n", nidus_int(2)));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "str", v, "n", nidus_string("zzz")));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "c", v, "n", nidus_int(3)));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "null", v, "n", nidus_null()));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "a", v, "n", nidus_int(1)));
    CHECK_OK_DB(db, th_put(db, "docs", "absent", v));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "b2", v, "n", nidus_int(2)));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "nan", v, "n", nidus_float(NAN)));
    const char *asc[] = {"a", "b", "b2", "c", "str", "null", "absent", "nan"};
    const char *desc[] = {"c", "b", "b2", "a", "str", "null", "absent", "nan"};
    const char *none[] = {"b", "str", "c", "null", "a", "absent", "b2", "nan"};
    for (int mode = 0; mode < 4; mode++) {
        nidus_list_opts o;
        nidus_list_opts_init(&o);
        o.order_by = mode == 2 ? NULL : mode == 3 ? "nope" : "n";
        o.descending = mode == 1;
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_list_docs(db, &o, &d));
        const char **want = mode == 0 ? asc : mode == 1 ? desc : none;
        CHECK_INT(d->count, 8);
        for (int i = 0; i < 8; i++) CHECK_STR(d->docs[i].id, want[i]);
        nidus_free(d);
    }
    nidus_list_opts o;
    nidus_list_opts_init(&o);
    o.order_by = "n";
    o.offset = 1;
    o.limit = 1;
    nidus_docs *d = NULL;
    CHECK_OK_DB(db, nidus_list_docs(db, &o, &d));
    CHECK_INT(d->count, 1);
    CHECK_STR(d->docs[0].id, "b"); /* the second row of the SORTED set */
    nidus_free(d);
    /* A Str witness: the Int values trail. */
    CHECK_OK_DB(db, nidus_drop_collection(db, "docs"));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "mid", v, "k", nidus_string("m")));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "older", v, "k", nidus_datetime(1)));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "low", v, "k", nidus_string("a")));
    CHECK_OK_DB(db, th_put_attr(db, "docs", "high", v, "k", nidus_string("z")));
    o.order_by = "k";
    o.offset = 0;
    o.limit = NIDUS_LIST_DEFAULT_LIMIT;
    CHECK_OK_DB(db, nidus_list_docs(db, &o, &d));
    const char *sk[] = {"low", "mid", "high", "older"};
    CHECK_INT(d->count, 4);
    for (int i = 0; i < 4; i++) CHECK_STR(d->docs[i].id, sk[i]);
    nidus_free(d);
    /* The default limit. */
    char id[32];
    for (int i = 0; i < 130; i++) {
        snprintf(id, sizeof id, "m%03d", i);
        CHECK_OK_DB(db, th_put(db, "many", id, v));
    }
    CHECK_OK_DB(db, nidus_list_docs(db, NULL, &d));
    CHECK_INT(d->count, 100);
    CHECK_STR(d->docs[0].id, "mid");
    CHECK_STR(d->docs[4].id, "m000");
    nidus_free(d);
    nidus_close(db);
}

/* Projection on list: include, exclude, unknown keys, an empty include. */
TEST(list_projection) {
    static lmodel m;
    nidus_db *db = build(&m, 77, KABSENT);
    const char *k[] = {"k"}, *gz[] = {"z", "g"}, *unk[] = {"nope"};
    struct {
        const char *const *inc;
        size_t ninc;
        const char *const *exc;
        size_t nexc;
    } cases[] = {{k, 1, NULL, 0}, {gz, 2, NULL, 0}, {unk, 1, NULL, 0}, {unk, 0, NULL, 0},
                 {NULL, 0, k, 1}, {NULL, 0, gz, 2}, {NULL, 0, unk, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        nidus_list_opts o;
        nidus_list_opts_init(&o);
        o.limit = SIZE_MAX;
        o.include_attrs = cases[ci].inc, o.n_include_attrs = cases[ci].ninc;
        o.exclude_attrs = cases[ci].exc, o.n_exclude_attrs = cases[ci].nexc;
        nidus_docs *d = NULL;
        CHECK_OK_DB(db, nidus_list_docs(db, &o, &d));
        CHECK(d->count > 50);
        for (size_t i = 0; i < d->count; i++) {
            const lrec *r = NULL;
            for (size_t x = 0; x < 3 * POOL && !r; x++)
                if (m.r[x].live && !strcmp(m.r[x].id, d->docs[i].id) && !strcmp(m.r[x].coll, d->docs[i].collection))
                    r = &m.r[x];
            CHECK(r != NULL);
            nidus_attr all[3];
            size_t na = rec_attrs(r, all), want = 0;
            for (size_t a = 0; a < na; a++) {
                const char *const *keys = cases[ci].inc ? cases[ci].inc : cases[ci].exc;
                size_t nk = cases[ci].inc ? cases[ci].ninc : cases[ci].nexc;
                bool named = false;
                for (size_t j = 0; j < nk; j++) named |= !strcmp(keys[j], all[a].key);
                if (cases[ci].inc ? !named : named) continue;
                CHECK(want < d->docs[i].n_attrs);
                CHECK_STR(d->docs[i].attrs[want].key, all[a].key);
                CHECK_INT(d->docs[i].attrs[want].value.type, all[a].value.type);
                want++;
            }
            CHECK_INT(d->docs[i].n_attrs, want);
        }
        nidus_free(d);
    }
    nidus_close(db);
}

/* Bad options: NIDUS_EMISUSE for the struct, NIDUS_EINVAL with a message
 * otherwise, *out NULL, the store as it was (checked on disk). */
TEST(list_bad_options) {
    const char *tmp = t_tmpdir();
    nidus_db *db = th_open(tmp, DIM);
    const float v[DIM] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "x", v, "k", nidus_int(1)));
    nidus_footprint before = th_fp(db);
    const char *keys[] = {"k"}, *nul[] = {NULL};
    nidus_filter bad = nidus_f_fuzzy("k", "abc", 9);
    for (int i = 0; i < 7; i++) {
        nidus_list_opts o;
        nidus_list_opts_init(&o);
        const char *msg = NULL;
        switch (i) {
        case 0: o.include_attrs = keys, o.exclude_attrs = keys, msg = "mutually exclusive"; break;
        case 1: o.order_by = "\xff", msg = "order_by is not valid UTF-8"; break;
        case 2: o.n_collections = 1, msg = "collections is NULL but n_collections is 1"; break;
        case 3: o.collections = nul, o.n_collections = 1, msg = "collection name 0 is NULL"; break;
        case 4: o.where = &bad, msg = "above the maximum of 8"; break;
        case 5: o.include_attrs = nul, o.n_include_attrs = 1, msg = "include_attrs[0] is NULL"; break;
        case 6: o.n_exclude_attrs = 2, msg = "exclude_attrs is NULL"; break;
        }
        nidus_docs *d = (nidus_docs *)&o;
        CHECK_RC(nidus_list_docs(db, &o, &d), NIDUS_EINVAL);
        CHECK(d == NULL);
        if (!strstr(nidus_errmsg(db), msg)) t_fail(__FILE__, __LINE__, "case %d: %s", i, nidus_errmsg(db));
    }
    nidus_list_opts o;
    nidus_list_opts_init(&o);
    nidus_docs *d = NULL;
    o.struct_size--;
    CHECK_RC(nidus_list_docs(db, &o, &d), NIDUS_EMISUSE);
    CHECK_RC(nidus_list_docs(db, NULL, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_list_docs(NULL, NULL, &d), NIDUS_EMISUSE);
    nidus_footprint after = th_fp(db);
    CHECK(th_fp_same(&before, &after));
    nidus_close(db);
    db = th_open_ro(tmp, DIM);
    CHECK_OK_DB(db, nidus_list_docs(db, NULL, &d));
    CHECK_INT(d->count, 1);
    nidus_free(d);
    nidus_close(db);
}

/* Every allocation of an ordered, filtered, projected list may fail. */
TEST(list_out_of_memory) {
    static lmodel m;
    nidus_db *db = build(&m, 31, NIDUS_STR);
    const char *inc[] = {"k"}, *scope[] = {"b", "a"};
    nidus_filter w = nidus_f_ge("g", nidus_int(1));
    nidus_list_opts o;
    nidus_list_opts_init(&o);
    o.collections = scope, o.n_collections = 2;
    o.where = &w;
    o.order_by = "k";
    o.offset = 3;
    o.limit = 20;
    o.include_attrs = inc, o.n_include_attrs = 1;
    nidus_docs *ref = NULL;
    CHECK_OK_DB(db, nidus_list_docs(db, &o, &ref));
    long fired = 0;
    for (long n = 0;; n++) {
        nidus_docs *d = NULL;
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus_list_docs(db, &o, &d);
        bool hit = nidus__fault_fired();
        nidus__fault_disarm();
        fired += hit;
        if (rc) {
            CHECK(hit);
            CHECK_RC(rc, NIDUS_ENOMEM);
            CHECK(d == NULL);
            continue;
        }
        CHECK_INT(d->count, ref->count);
        for (size_t i = 0; i < d->count; i++) CHECK_STR(d->docs[i].id, ref->docs[i].id);
        nidus_free(d);
        if (!hit) break;
    }
    CHECK(fired >= 4);
    nidus_free(ref);
    nidus_close(db);
}

/* ------------------------------------------------------------ threads ---- */

typedef struct reader {
    nidus_db *db;
    int rc;
    uint64_t min_seen, max_seen;
} reader;

/* list, aggregate and similar over and over while the main thread writes. */
static void *read_loop(void *arg) {
    reader *r = arg;
    r->min_seen = UINT64_MAX;
    for (int i = 0; i < 200 && !r->rc; i++) {
        nidus_list_opts lo;
        nidus_list_opts_init(&lo);
        lo.order_by = "k";
        lo.limit = SIZE_MAX;
        nidus_docs *d = NULL;
        nidus_aggregation *a = NULL;
        nidus_hits *h = NULL;
        nidus_aggregate_opts ao;
        nidus_aggregate_opts_init(&ao);
        ao.group_by = "k";
        if ((r->rc = nidus_list_docs(r->db, &lo, &d)) || (r->rc = nidus_aggregate(r->db, &ao, &a)) ||
            (r->rc = nidus_search_similar(r->db, "t", "base", NULL, &h)))
            break;
        if (a->count < r->min_seen) r->min_seen = a->count;
        if (a->count > r->max_seen) r->max_seen = a->count;
        if (d->count < 1 || h->count > 10) r->rc = -1;
        nidus_free(d), nidus_free(a), nidus_free(h);
    }
    return NULL;
}

TEST(list_and_aggregate_run_beside_writes) {
    nidus_db *db = th_mem(DIM);
    const float v[DIM] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "t", "base", v, "k", nidus_int(0)));
    reader rs[2] = {{db, 0, 0, 0}, {db, 0, 0, 0}};
    pthread_t tid[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&tid[i], NULL, read_loop, &rs[i]) == 0);
    char id[32];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "w%d", i % 50); /* overwrites stale the scan order */
        float w[DIM] = {1, (float)i};
        CHECK_OK_DB(db, th_put_attr(db, "t", id, w, "k", nidus_int(i % 7)));
        if (i % 40 == 0) CHECK_OK_DB(db, nidus_delete(db, "t", (const char *[]){id}, 1, NULL));
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(tid[i], NULL);
        CHECK_INT(rs[i].rc, 0);
        CHECK(rs[i].min_seen >= 1 && rs[i].max_seen <= 51);
    }
    nidus_close(db);
}

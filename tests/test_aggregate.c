/* test_aggregate.c — nidus_aggregate against a model that follows nidus 0.80's
 * definitions with its own code: exact Int sums in __int128, Float promotion,
 * skipped types, group keys built as text ("i10" sorts before "i2"), groups by
 * count then key, the cap. Records of three collections with group values and
 * addends of every type. Also nidus's own examples, the overflow rule, bad
 * options and OOM. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <inttypes.h>

#define DIM 2
#define NREC 400

static const char *const COLLS[] = {"a", "b", "c"};
static nidus_str L_AB[] = {{"a", NIDUS_NTS}, {"b", NIDUS_NTS}}, L_E[] = {{"", NIDUS_NTS}};

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A value or absence. */
typedef struct mval {
    bool present;
    nidus_value v;
} mval;

static mval random_group(uint64_t *s) {
    switch (rng_next(s) % 16) {
    case 0: return (mval){false, nidus_null()};
    case 1: return (mval){true, nidus_null()};
    case 2: return (mval){true, nidus_string("1")};
    case 3: return (mval){true, nidus_string("x")};
    case 4: return (mval){true, nidus_int(1)};
    case 5: return (mval){true, nidus_int(10)};
    case 6: return (mval){true, nidus_int(2)};
    case 7: return (mval){true, nidus_int(-1)};
    case 8: return (mval){true, nidus_bool((int)(rng_next(s) % 2))};
    case 9: return (mval){true, nidus_float(-0.0)};
    case 10: return (mval){true, nidus_float(0.0)};
    case 11: return (mval){true, nidus_float(NAN)};
    case 12: return (mval){true, nidus_datetime(1)};
    case 13: return (mval){true, nidus_list(L_AB, 2)};
    case 14: return (mval){true, nidus_list(L_E, 1)};
    default: return (mval){true, nidus_list(L_AB, 0)}; /* shares nidus's key "l" with [""] */
    }
}

static mval random_addend(uint64_t *s, bool floats) {
    static const int64_t INTS[] = {0, 1, -7, 1000, INT64_MAX, INT64_MIN, INT64_MAX - 3, -INT64_MAX / 3};
    static const double FLTS[] = {0.1, -2.5, 1e17, 3.0, -0.0};
    switch (rng_next(s) % 10) {
    case 0: return (mval){false, nidus_null()};
    case 1: return (mval){true, nidus_string("9")};
    case 2: return (mval){true, nidus_bool(1)};
    case 3: return (mval){true, nidus_datetime(5)};
    case 4: return floats ? (mval){true, nidus_float(FLTS[rng_next(s) % 5])} : (mval){true, nidus_int(3)};
    case 5: return (mval){true, nidus_null()};
    default: return (mval){true, nidus_int(INTS[rng_next(s) % 8])};
    }
}

typedef struct arec {
    const char *coll;
    char id[32];
    uint64_t row;
    mval g, x, y;
    int64_t f; /* filter attribute */
} arec;

typedef struct amodel {
    arec r[NREC];
    size_t n;
} amodel;

static size_t rec_attrs(const arec *r, nidus_attr *at) {
    size_t n = 0;
    at[n++] = (nidus_attr){"f", nidus_int(r->f)};
    if (r->g.present) at[n++] = (nidus_attr){"g", r->g.v};
    if (r->x.present) at[n++] = (nidus_attr){"x", r->x.v};
    if (r->y.present) at[n++] = (nidus_attr){"y", r->y.v};
    return n;
}

/* NREC records in random collections, one upsert each (record i is row i);
 * `floats` mixes Float addends into x. */
static nidus_db *build(amodel *m, uint64_t seed, bool floats) {
    nidus_db *db = th_mem(DIM);
    m->n = 0;
    for (size_t i = 0; i < NREC; i++) {
        arec *r = &m->r[m->n++];
        r->coll = COLLS[rng_next(&seed) % 3];
        snprintf(r->id, sizeof r->id, "r%zu", i);
        r->row = i;
        r->g = random_group(&seed);
        r->x = random_addend(&seed, floats);
        r->y = (mval){rng_next(&seed) % 3 != 0, nidus_int((int64_t)(rng_next(&seed) % 100))};
        r->f = (int64_t)(rng_next(&seed) % 3);
        nidus_attr at[4];
        const float v[DIM] = {1, (float)i};
        nidus_record rec = {r->id, v, DIM, at, rec_attrs(r, at)};
        CHECK_OK_DB(db, nidus_upsert(db, r->coll, &rec, 1));
    }
    return db;
}

/* ---------------------------------------------------------------- model ---- */

typedef struct msum {
    __int128 ints;
    double floats;
    bool saw;
} msum;

static void msum_add(msum *s, const mval *v) {
    if (!v->present) return;
    if (v->v.type == NIDUS_INT) s->ints += v->v.v.i;
    if (v->v.type == NIDUS_FLOAT) s->floats += v->v.v.f, s->saw = true;
}

static nidus_value msum_value(const msum *s) {
    if (s->saw) return nidus_float((double)s->ints + s->floats);
    if (s->ints >= INT64_MIN && s->ints <= INT64_MAX) return nidus_int((int64_t)s->ints);
    return nidus_float((double)s->ints);
}

/* nidus's group_key, written out. */
static size_t mkey(const mval *v, char *out) {
    if (!v->present) return (size_t)sprintf(out, "%cmissing", 0);
    const nidus_value *x = &v->v;
    switch (x->type) {
    case NIDUS_NULL: return (size_t)sprintf(out, "%cnull", 0);
    case NIDUS_STR: return (size_t)sprintf(out, "s%s", x->v.str.ptr);
    case NIDUS_INT: return (size_t)sprintf(out, "i%" PRId64, x->v.i);
    case NIDUS_BOOL: return (size_t)sprintf(out, "b%s", x->v.b ? "true" : "false");
    case NIDUS_DATETIME: return (size_t)sprintf(out, "t%" PRId64, x->v.i);
    case NIDUS_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &x->v.f, 8);
        return (size_t)sprintf(out, "f%016" PRIx64, bits);
    }
    default: {
        size_t n = 0;
        out[n++] = 'l';
        for (size_t i = 0; i < x->v.list.count; i++) {
            if (i) out[n++] = 0;
            size_t l = strlen(x->v.list.items[i].ptr);
            memcpy(out + n, x->v.list.items[i].ptr, l);
            n += l;
        }
        return n;
    }
    }
}

typedef struct mgroup {
    char key[32];
    size_t klen;
    const mval *value;
    uint64_t count;
    msum x, y;
} mgroup;

typedef struct mresult {
    uint64_t count;
    msum x, y;
    mgroup g[64];
    size_t ng;
    bool truncated;
} mresult;

static int mgroup_cmp(const void *pa, const void *pb) {
    const mgroup *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Visit the scope's collections in order, each by row; f == want_f only (< 0: all). */
static void mrun(const amodel *m, const char *const *scope, size_t ns, int64_t want_f, bool group, size_t cap,
                 mresult *out) {
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < ns; s++) {
        bool dup = false;
        for (size_t t = 0; t < s; t++) dup |= !strcmp(scope[t], scope[s]);
        if (dup) continue;
        for (size_t i = 0; i < m->n; i++) {
            const arec *r = &m->r[i];
            if (strcmp(r->coll, scope[s]) || (want_f >= 0 && r->f != want_f)) continue;
            out->count++;
            msum_add(&out->x, &r->x);
            msum_add(&out->y, &r->y);
            if (!group) continue;
            char key[32];
            size_t kl = mkey(&r->g, key);
            mgroup *g = NULL;
            for (size_t x = 0; x < out->ng && !g; x++)
                if (out->g[x].klen == kl && !memcmp(out->g[x].key, key, kl)) g = &out->g[x];
            if (!g) {
                if (out->ng >= cap) {
                    out->truncated = true;
                    continue;
                }
                g = &out->g[out->ng++];
                memcpy(g->key, key, kl);
                g->klen = kl;
                g->value = &r->g;
            }
            g->count++;
            msum_add(&g->x, &r->x);
            msum_add(&g->y, &r->y);
        }
    }
    qsort(out->g, out->ng, sizeof *out->g, mgroup_cmp);
}

static void check_value(const nidus_value *got, const nidus_value *want, const char *what) {
    if (got->type != want->type) t_fail(__FILE__, __LINE__, "%s: type %d, want %d", what, got->type, want->type);
    switch (want->type) {
    case NIDUS_INT:
    case NIDUS_DATETIME:
        if (got->v.i != want->v.i)
            t_fail(__FILE__, __LINE__, "%s: %" PRId64 ", want %" PRId64, what, got->v.i, want->v.i);
        break;
    case NIDUS_FLOAT:
        if (memcmp(&got->v.f, &want->v.f, 8)) t_fail(__FILE__, __LINE__, "%s: %.17g, want %.17g", what, got->v.f, want->v.f);
        break;
    case NIDUS_BOOL: CHECK_INT(got->v.b, want->v.b); break;
    case NIDUS_STR: CHECK_STR(got->v.str.ptr, want->v.str.ptr); break;
    case NIDUS_LIST:
        CHECK_INT(got->v.list.count, want->v.list.count);
        for (size_t i = 0; i < want->v.list.count; i++) CHECK_STR(got->v.list.items[i].ptr, want->v.list.items[i].ptr);
        break;
    default: break;
    }
}

/* The library's sums must be x and y (sum fields "x", "y", "x" asked). */
static void check_sums(const nidus_sum *s, size_t n, const msum *x, const msum *y, const char *what) {
    CHECK_INT(n, 2);
    CHECK_STR(s[0].field, "x");
    CHECK_STR(s[1].field, "y");
    nidus_value wx = msum_value(x), wy = msum_value(y);
    check_value(&s[0].value, &wx, what);
    check_value(&s[1].value, &wy, what);
}

static void check_result(const nidus_aggregation *a, const mresult *w) {
    CHECK_U64(a->count, w->count);
    check_sums(a->sums, a->n_sums, &w->x, &w->y, "totals");
    CHECK_INT(a->n_groups, w->ng);
    CHECK_INT(a->groups_truncated, w->truncated);
    for (size_t i = 0; i < w->ng; i++) {
        const nidus_group *g = &a->groups[i];
        char what[32];
        snprintf(what, sizeof what, "group %zu", i);
        CHECK_U64(g->count, w->g[i].count);
        CHECK_INT(g->present, w->g[i].value->present);
        if (g->present) check_value(&g->value, &w->g[i].value->v, what);
        else CHECK_INT(g->value.type, NIDUS_NULL);
        check_sums(g->sums, g->n_sums, &w->g[i].x, &w->g[i].y, what);
    }
}

/* -------------------------------------------------------------- tests ---- */

/* Random stores, scopes (every collection, a subset with a duplicate and an
 * absent name), filters, caps: exactly the model's count, sums and groups. */
TEST(aggregate_matches_the_model) {
    static amodel m;
    static mresult want;
    const char *all[] = {"a", "b", "c"}, *sub[] = {"c", "zz", "a", "c"};
    const char *sums[] = {"y", "x", "x"};
    int overflowed = 0, promoted = 0, truncated = 0;
    for (int run = 0; run < 8; run++) {
        nidus_db *db = build(&m, 500 + (uint64_t)run, run % 2 == 1);
        for (int qi = 0; qi < 8; qi++) {
            bool scoped = qi % 2, filtered = qi % 4 >= 2;
            size_t cap = qi >= 4 ? 3 + (size_t)run : NIDUS_MAX_GROUPS;
            nidus_filter w = nidus_f_eq("f", nidus_int(1));
            mrun(&m, scoped ? sub : all, scoped ? 4 : 3, filtered ? 1 : -1, true, cap, &want);
            nidus_aggregate_opts o;
            nidus_aggregate_opts_init(&o);
            if (scoped) o.collections = sub, o.n_collections = 4;
            if (filtered) o.where = &w;
            o.sum = sums;
            o.n_sum = 3;
            o.group_by = "g";
            o.max_groups = cap;
            nidus_aggregation *a = NULL;
            CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
            check_result(a, &want);
            nidus_value x = msum_value(&want.x);
            overflowed += !want.x.saw && x.type == NIDUS_FLOAT;
            promoted += want.x.saw;
            truncated += want.truncated;
            nidus_free(a);
        }
        nidus_close(db);
    }
    CHECK(overflowed > 0 && promoted > 0 && truncated > 0); /* every rule was reached */
}

/* Without group_by: no groups; without sums: none; an absent collection: zeros. */
TEST(aggregate_totals_only_and_empty) {
    static amodel m;
    static mresult want;
    nidus_db *db = build(&m, 9, false);
    const char *all[] = {"a", "b", "c"}, *sums[] = {"x", "y"};
    mrun(&m, all, 3, -1, false, 0, &want);
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    o.sum = sums;
    o.n_sum = 2;
    nidus_aggregation *a = NULL;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    check_result(a, &want);
    CHECK(a->groups_truncated == 0 && a->n_groups == 0);
    nidus_free(a);
    CHECK_OK_DB(db, nidus_aggregate(db, NULL, &a));
    CHECK_U64(a->count, NREC);
    CHECK_INT(a->n_sums, 0);
    CHECK_INT(a->n_groups, 0);
    nidus_free(a);
    const char *missing[] = {"missing"};
    o.collections = missing;
    o.n_collections = 1;
    o.group_by = "g";
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    CHECK_U64(a->count, 0);
    CHECK_INT(a->n_sums, 2);
    CHECK_INT(a->sums[0].value.type, NIDUS_INT); /* no addend: Int 0, not an error */
    CHECK_INT(a->sums[0].value.v.i, 0);
    CHECK_INT(a->n_groups, 0);
    nidus_free(a);
    nidus_close(db);
}

/* nidus's examples as behaviour, and its overflow rule: an Int total stays Int
 * while it fits, whatever the running total did; past int64 it is the exact
 * total as a double; one Float addend makes it a Float; other types skip. */
TEST(aggregate_sum_types_and_overflow) {
    nidus_db *db = th_mem(DIM);
    const float v[DIM] = {1, 0};
    struct {
        const char *coll;
        nidus_value vals[6];
        size_t n;
        int type;
        int64_t i;
        double f;
    } cases[] = {
        {"wrap", {nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(INT64_MIN), nidus_int(INT64_MIN)}, 4, NIDUS_INT, -2, 0},
        {"over", {nidus_int(INT64_MAX), nidus_int(1)}, 2, NIDUS_FLOAT, 0, 9223372036854775808.0},
        {"under", {nidus_int(INT64_MIN), nidus_int(-1)}, 2, NIDUS_FLOAT, 0, -9223372036854775808.0},
        {"five", {nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(INT64_MAX)}, 5, NIDUS_FLOAT, 0, 5 * 9223372036854775807.0},
        {"mixed", {nidus_int(2), nidus_float(0.5), nidus_string("nope")}, 3, NIDUS_FLOAT, 0, 2.5},
        {"skip", {nidus_datetime(5), nidus_bool(1), nidus_null(), nidus_list(L_AB, 2), nidus_int(40), nidus_int(2)}, 6, NIDUS_INT, 42, 0},
        {"none", {nidus_string("x"), nidus_datetime(9)}, 2, NIDUS_INT, 0, 0},
        {"negzero", {nidus_float(-0.0)}, 1, NIDUS_FLOAT, 0, 0.0},
        {"minexact", {nidus_int(INT64_MIN), nidus_int(0)}, 2, NIDUS_INT, INT64_MIN, 0},
        {"big", {nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_float(-1e19)}, 3, NIDUS_FLOAT, 0, 18446744073709551614.0 - 1e19},
        /* 2^64 + 2^63 + 5596: rounding the low word first would give a tie that
         * goes the wrong way (+8192); the nearest double is +4096. */
        {"round", {nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(INT64_MAX), nidus_int(5599)}, 4, NIDUS_FLOAT, 0,
         (double)((__int128)INT64_MAX * 3 + 5599)},
    };
    char id[32];
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < cases[c].n; i++) {
            snprintf(id, sizeof id, "r%zu", i);
            CHECK_OK_DB(db, th_put_attr(db, cases[c].coll, id, v, "x", cases[c].vals[i]));
        }
    const char *sums[] = {"x"};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        nidus_aggregate_opts o;
        nidus_aggregate_opts_init(&o);
        o.collections = &cases[c].coll;
        o.n_collections = 1;
        o.sum = sums;
        o.n_sum = 1;
        nidus_aggregation *a = NULL;
        CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
        CHECK_U64(a->count, cases[c].n);
        CHECK_INT(a->n_sums, 1);
        if ((int)a->sums[0].value.type != cases[c].type)
            t_fail(__FILE__, __LINE__, "%s: type %d, want %d", cases[c].coll, a->sums[0].value.type, cases[c].type);
        if (cases[c].type == NIDUS_INT) CHECK_INT(a->sums[0].value.v.i, cases[c].i);
        else if (memcmp(&a->sums[0].value.v.f, &cases[c].f, 8))
            t_fail(__FILE__, __LINE__, "%s: %.17g, want %.17g", cases[c].coll, a->sums[0].value.v.f, cases[c].f);
        nidus_free(a);
    }
    nidus_close(db);
}

/* Equal counts order by nidus's key text: missing, Null, Bool false/true, Float
 * (by bits), Int as decimal text (-1, 10, 2), List, Str, DateTime; the larger
 * group first; a missing attribute and a present Null are different groups. */
TEST(aggregate_group_order_and_ties) {
    nidus_db *db = th_mem(DIM);
    const float v[DIM] = {1, 0};
    nidus_str la[] = {{"a", NIDUS_NTS}};
    nidus_value vals[] = {nidus_datetime(5), nidus_string("1"), nidus_list(la, 1), nidus_int(2),  nidus_int(10),
                          nidus_int(-1),     nidus_float(1.0), nidus_bool(1),     nidus_bool(0), nidus_null()};
    char id[32];
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        snprintf(id, sizeof id, "r%zu", i);
        CHECK_OK_DB(db, th_put_attr(db, "c", id, v, "g", vals[i]));
    }
    CHECK_OK_DB(db, th_put(db, "c", "absent", v));
    CHECK_OK_DB(db, th_put_attr(db, "c", "big1", v, "g", nidus_string("zz")));
    CHECK_OK_DB(db, th_put_attr(db, "c", "big2", v, "g", nidus_string("zz")));
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    o.group_by = "g";
    nidus_aggregation *a = NULL;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    CHECK_INT(a->n_groups, 12);
    CHECK_U64(a->count, 13);
    CHECK_STR(a->groups[0].value.v.str.ptr, "zz");
    CHECK_U64(a->groups[0].count, 2);
    CHECK_INT(a->groups[1].present, 0);
    CHECK_INT(a->groups[2].present, 1);
    CHECK_INT(a->groups[2].value.type, NIDUS_NULL);
    const int types[] = {NIDUS_BOOL, NIDUS_BOOL, NIDUS_FLOAT, NIDUS_INT, NIDUS_INT, NIDUS_INT, NIDUS_LIST, NIDUS_STR, NIDUS_DATETIME};
    const int64_t ints[] = {0, 1, 0, -1, 10, 2, 0, 0, 5};
    for (int i = 0; i < 9; i++) {
        const nidus_group *g = &a->groups[3 + i];
        CHECK_INT(g->value.type, types[i]);
        CHECK_U64(g->count, 1);
        if (types[i] == NIDUS_INT || types[i] == NIDUS_DATETIME) CHECK_INT(g->value.v.i, ints[i]);
        if (types[i] == NIDUS_BOOL) CHECK_INT(g->value.v.b, ints[i]);
    }
    nidus_free(a);
    nidus_close(db);
}

/* The cap: values first met past max_groups get no group (truncated), the
 * tracked groups and the totals stay exact; nidus's default of 10000. */
TEST(aggregate_truncation) {
    nidus_db *db = th_mem(1);
    const float v[1] = {1};
    enum { N = NIDUS_MAX_GROUPS + 1 };
    nidus_record *recs = malloc(N * sizeof *recs);
    nidus_attr *at = malloc(N * sizeof *at);
    char (*ids)[32] = malloc(N * sizeof *ids);
    CHECK(recs && at && ids);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "r%d", i);
        at[i] = (nidus_attr){"k", nidus_int(i % 7 == 0 ? 0 : i)}; /* 0 recurs: it keeps counting */
        recs[i] = (nidus_record){ids[i], v, 1, &at[i], 1};
    }
    CHECK_OK_DB(db, nidus_upsert(db, "c", recs, N));
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    o.group_by = "k";
    const char *sums[] = {"k"};
    o.sum = sums;
    o.n_sum = 1;
    nidus_aggregation *a = NULL;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    size_t distinct = 1 + (size_t)N - ((size_t)N + 6) / 7; /* 0, and every i not a multiple of 7 */
    CHECK_U64(a->count, N);
    CHECK_INT(a->n_groups, distinct);
    CHECK_INT(a->groups_truncated, 0);
    nidus_free(a);
    o.max_groups = 5;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    CHECK_U64(a->count, N);
    CHECK_INT(a->n_groups, 5);
    CHECK_INT(a->groups_truncated, 1);
    /* Row order: 0 (every 7th record), then 1, 2, 3, 4. */
    CHECK_INT(a->groups[0].value.v.i, 0);
    CHECK_U64(a->groups[0].count, ((size_t)N + 6) / 7);
    for (int i = 1; i < 5; i++) {
        CHECK_INT(a->groups[i].value.v.i, i);
        CHECK_U64(a->groups[i].count, 1);
        CHECK_INT(a->groups[i].sums[0].value.v.i, i);
    }
    nidus_free(a);
    /* The default cap, exactly at 10000 distinct values, then one more. */
    for (int i = 0; i < N; i++) at[i].value = nidus_int(i);
    CHECK_OK_DB(db, nidus_upsert(db, "d", recs, N - 1));
    const char *d[] = {"d"};
    o.collections = d;
    o.n_collections = 1;
    o.max_groups = NIDUS_MAX_GROUPS;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    CHECK_INT(a->n_groups, NIDUS_MAX_GROUPS);
    CHECK_INT(a->groups_truncated, 0);
    nidus_free(a);
    CHECK_OK_DB(db, nidus_upsert(db, "d", recs + N - 1, 1));
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &a));
    CHECK_INT(a->n_groups, NIDUS_MAX_GROUPS);
    CHECK_INT(a->groups_truncated, 1);
    CHECK_U64(a->count, N);
    nidus_free(a);
    free(recs), free(at), free(ids);
    nidus_close(db);
}

/* Bad options: NIDUS_EMISUSE for the struct, NIDUS_EINVAL with a message, *out
 * NULL, the store as it was (on disk too). */
TEST(aggregate_bad_options) {
    const char *tmp = t_tmpdir();
    nidus_db *db = th_open(tmp, DIM);
    const float v[DIM] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "x", v, "k", nidus_int(1)));
    nidus_footprint before = th_fp(db);
    const char *nul[] = {NULL}, *bad[] = {"\xfe"};
    nidus_filter badf = nidus_f_regex("k", "(a)\\1");
    for (int i = 0; i < 8; i++) {
        nidus_aggregate_opts o;
        nidus_aggregate_opts_init(&o);
        const char *msg = NULL;
        switch (i) {
        case 0: o.group_by = "", msg = "group_by needs a field name"; break;
        case 1: o.group_by = "\xc3", msg = "group_by is not valid UTF-8"; break;
        case 2: o.max_groups = 0, msg = "max_groups is 0"; break;
        case 3: o.n_sum = 1, msg = "sum is NULL but n_sum is 1"; break;
        case 4: o.sum = nul, o.n_sum = 1, msg = "sum[0] is NULL"; break;
        case 5: o.sum = bad, o.n_sum = 1, msg = "sum[0] is not valid UTF-8"; break;
        case 6: o.where = &badf, msg = "back-references"; break;
        case 7: o.collections = bad, o.n_collections = 1, msg = "collection name 0 is not valid UTF-8"; break;
        }
        nidus_aggregation *a = (nidus_aggregation *)&o;
        CHECK_RC(nidus_aggregate(db, &o, &a), NIDUS_EINVAL);
        CHECK(a == NULL);
        if (!strstr(nidus_errmsg(db), msg)) t_fail(__FILE__, __LINE__, "case %d: %s", i, nidus_errmsg(db));
    }
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    nidus_aggregation *a = NULL;
    o.struct_size = 8;
    CHECK_RC(nidus_aggregate(db, &o, &a), NIDUS_EMISUSE);
    CHECK_RC(nidus_aggregate(db, NULL, NULL), NIDUS_EMISUSE);
    CHECK_RC(nidus_aggregate(NULL, NULL, &a), NIDUS_EMISUSE);
    nidus_footprint after = th_fp(db);
    CHECK(th_fp_same(&before, &after));
    nidus_close(db);
    db = th_open_ro(tmp, DIM);
    CHECK_OK_DB(db, nidus_aggregate(db, NULL, &a));
    CHECK_U64(a->count, 1);
    nidus_free(a);
    nidus_close(db);
}

/* Every allocation of a grouped, filtered aggregate with sums may fail. */
TEST(aggregate_out_of_memory) {
    static amodel m;
    nidus_db *db = build(&m, 3, true);
    const char *sums[] = {"x", "y"};
    nidus_filter w = nidus_f_ge("f", nidus_int(1));
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    o.where = &w;
    o.sum = sums;
    o.n_sum = 2;
    o.group_by = "g";
    nidus_aggregation *ref = NULL;
    CHECK_OK_DB(db, nidus_aggregate(db, &o, &ref));
    long fired = 0;
    for (long n = 0;; n++) {
        nidus_aggregation *a = NULL;
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus_aggregate(db, &o, &a);
        bool hit = nidus__fault_fired();
        nidus__fault_disarm();
        fired += hit;
        if (rc) {
            CHECK(hit);
            CHECK_RC(rc, NIDUS_ENOMEM);
            CHECK(a == NULL);
            continue;
        }
        CHECK_U64(a->count, ref->count);
        CHECK_INT(a->n_groups, ref->n_groups);
        for (size_t i = 0; i < a->n_groups; i++) CHECK_U64(a->groups[i].count, ref->groups[i].count);
        nidus_free(a);
        if (!hit) break;
    }
    CHECK(fired >= 8);
    nidus_free(ref);
    nidus_close(db);
}

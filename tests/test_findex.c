/* test_findex.c — the filter index (SPEC.md §12): op 8's bytes; declaring,
 * dropping and reading it back; a store with the index gives exactly the hits of
 * the same store without it and of a brute-force scan with the filter model, over
 * random filters, writes, deletes, delete_where, compaction and reopen; the
 * planner's candidates always hold every matching doc; a declaration written by
 * nidus 0.80 opens and is kept; out-of-memory on set_filter_index and on writes to
 * an indexed collection leaves store and index consistent. */
#include "test.h"
#include "test_store_helpers.h"
#include "test_hooks.h"
#include "db.h"
#include "findex_check.h"
#include "le.h"

#define DIM 8

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (*h && n < cap) {
        while (*h && !((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f'))) h++;
        if (!*h) break;
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

/* A fresh directory `name` under this test's temporary directory. */
static const char *tmpdir(const char *name) {
    static char keep[4][600];
    static int k;
    char *b = keep[k++ % 4];
    snprintf(b, sizeof keep[0], "%s", t_path(t_tmpdir(), name));
    return b;
}
static void rmdir_r(const char *d) { (void)d; /* the harness removes t_tmpdir() */ }
#define file_size t_file_size
#define read_all t_read_file

/* --------------------------------------------------------------- op 8 bytes ---- */

/* docs/FORMAT.md §10.4's example: SetFilterIndex {"docs", [("text", true, true)]}. */
static const char *const OP8_HEX = "26 00 00 00 08 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00"
                                   " 04 00 00 00 00 00 00 00 74 65 78 74 01 01 ac cc 74 99";

TEST(findex_op8_encodes_and_decodes_byte_exact) {
    uint8_t want[128];
    size_t wn = unhex(OP8_HEX, want, sizeof want);
    CHECK_U64(wn, 46);
    nfx_field f1 = {{"text", 4}, true, true};
    nlogop op = {.tag = NIDUS__OP_SET_FILTER_INDEX, .coll = {"docs", 4}, .fields = &f1, .nfields = 1};
    nbuf b = {0};
    nerr e = {0};
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_OK);
    CHECK_U64(b.len, wn);
    CHECK(memcmp(b.p, want, wn) == 0);
    /* and back, owned and as a view */
    nlogop d;
    CHECK_RC(nidus__op_decode(b.p + 4, b.len - 8, &d, &e), NIDUS_OK);
    CHECK_U64(d.tag, 8);
    CHECK_STR(d.coll.ptr, "docs");
    CHECK_U64(d.nfields, 1);
    CHECK_STR(d.fields[0].name.ptr, "text");
    CHECK(d.fields[0].tokens && d.fields[0].trigrams);
    nidus__op_free(&d);
    nidus__buf_free(&b);
    /* Two fields, the flags as given (nidus's `.trigrams(false)`), and the empty
     * list (a drop): u32 8 | string | u64 n | (string, u8, u8)*. */
    nfx_field f2[] = {{{"body", 4}, true, true}, {{"title", 5}, true, false}};
    op.fields = f2;
    op.nfields = 2;
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_OK);
    static const uint8_t two[] = {8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's', 2, 0, 0, 0, 0, 0, 0, 0,
                                  4, 0, 0, 0, 0, 0, 0, 0, 'b', 'o', 'd', 'y', 1, 1,
                                  5, 0, 0, 0, 0, 0, 0, 0, 't', 'i', 't', 'l', 'e', 1, 0};
    CHECK_U64(nidus__get_le32(b.p), sizeof two);
    CHECK(memcmp(b.p + 4, two, sizeof two) == 0);
    CHECK_U64(nidus__get_le32(b.p + 4 + sizeof two), nidus__crc32(two, sizeof two));
    narena scratch = {0};
    CHECK_RC(nidus__op_view(two, sizeof two, &d, &scratch, &e), NIDUS_OK);
    CHECK_U64(d.nfields, 2);
    CHECK(d.fields[1].name.len == 5 && memcmp(d.fields[1].name.ptr, "title", 5) == 0);
    CHECK(d.fields[1].tokens && !d.fields[1].trigrams);
    nidus__arena_free(&scratch);
    nidus__buf_free(&b);
    op.nfields = 0;
    op.fields = NULL;
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_OK);
    static const uint8_t none[] = {8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's', 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_U64(b.len, sizeof none + 8);
    CHECK(memcmp(b.p + 4, none, sizeof none) == 0);
    nidus__buf_free(&b);
    /* Every cut of the two-field payload is malformed ("unknown op tag 8", as nidus
     * 0.3 says of any tag it lacks), never an op; a bool byte of 2 likewise. */
    for (size_t cut = 4; cut < sizeof two; cut++) {
        bool unknown = true;
        int rc = nidus__op_read(two, cut, &d, NULL, &unknown, &e);
        if (rc != NIDUS_ECORRUPT || unknown || strcmp(e.msg, "unknown op tag 8"))
            t_fail(__FILE__, __LINE__, "cut %zu: rc %d unknown %d: %s", cut, rc, unknown, e.msg);
    }
    uint8_t bad[sizeof two];
    memcpy(bad, two, sizeof two);
    bad[sizeof two - 1] = 2;
    CHECK_RC(nidus__op_decode(bad, sizeof bad, &d, &e), NIDUS_ECORRUPT);
}

/* ---------------------------------------------------------- the declaration ---- */

TEST(findex_set_get_drop_and_validation) {
    nidus_db *db = th_mem(DIM);
    float v[DIM] = {1};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "g", nidus_int(1)));
    const char *f2[] = {"g", "tag"};
    nidus_names *names = NULL;
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    CHECK_U64(names->count, 0);
    nidus_free(names);
    CHECK_U64(th_fp(db).filter_index_bytes, 0);
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f2, 2));
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    CHECK_U64(names->count, 2);
    CHECK_STR(names->names[0], "g");
    CHECK_STR(names->names[1], "tag");
    nidus_free(names);
    CHECK(th_fp(db).filter_index_bytes > 0);
    /* Bad declarations: EINVAL, nothing changes. */
    const char *dup[] = {"g", "g"}, *empty[] = {""}, *nul[] = {NULL}, *utf[] = {"\xff"};
    CHECK_RC(nidus_set_filter_index(db, "c", dup, 2), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "declared twice") != NULL);
    CHECK_RC(nidus_set_filter_index(db, "c", empty, 1), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "must not be empty") != NULL);
    CHECK_RC(nidus_set_filter_index(db, "c", nul, 1), NIDUS_EINVAL);
    CHECK_RC(nidus_set_filter_index(db, "c", utf, 1), NIDUS_EINVAL);
    CHECK_RC(nidus_set_filter_index(db, "c", NULL, 1), NIDUS_EINVAL);
    CHECK_RC(nidus_set_filter_index(db, NULL, f2, 1), NIDUS_EINVAL);
    CHECK_RC(nidus_get_filter_index(db, "c", NULL), NIDUS_EMISUSE);
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    CHECK_U64(names->count, 2);
    nidus_free(names);
    /* A missing collection is created, as nidus 0.80 does. */
    CHECK(!nidus_has_collection(db, "new"));
    CHECK_OK_DB(db, nidus_set_filter_index(db, "new", f2, 1));
    CHECK(nidus_has_collection(db, "new"));
    /* Empty drops. */
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", NULL, 0));
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    CHECK_U64(names->count, 0);
    nidus_free(names);
    CHECK_OK_DB(db, nidus_drop_collection(db, "new"));
    CHECK_U64(th_fp(db).filter_index_bytes, 0);
    nidus_close(db);
}

/* Declaring what is declared logs nothing; a drop and a new declaration log one
 * frame each; a dropped collection forgets its index. */
TEST(findex_idempotent_and_logged) {
    const char *dir = tmpdir("idem");
    nidus_db *db = th_open(dir, DIM);
    char log[600];
    snprintf(log, sizeof log, "%s/log", dir);
    const char *f[] = {"g"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", NULL, 0)); /* nothing declared, nothing to drop */
    CHECK_U64(file_size(log), 0);
    CHECK(!nidus_has_collection(db, "c"));
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 1));
    long long one = file_size(log);
    CHECK_U64(one, 8 + 4 + 9 + 8 + 9 + 2);
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 1));
    CHECK_U64(file_size(log), one);
    CHECK_OK_DB(db, nidus_drop_collection(db, "c"));
    nidus_names *names = NULL;
    float v[DIM] = {1};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "g", nidus_int(1)));
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    CHECK_U64(names->count, 0);
    nidus_free(names);
    nidus_close(db);
    rmdir_r(dir);
}

/* ------------------------------------------------------- the differential ---- */

/* Two stores fed the same writes: A (a directory) with an index on k0, k1 and k3, B
 * (in memory) without. Searches must agree exactly, and both with the brute
 * force; A's planner must hold every matching doc among its candidates. list and
 * aggregate agree too. */
typedef struct pair {
    nidus_db *a, *b;
    const char *dir;
    long narrowed, planned;
} pair;

/* list and aggregate over the same filter agree on A (narrowed by the index) and
 * B (every doc): the same records in the same order, the same count, sums and
 * groups, bit for bit (the candidates keep row order, so Float sums round alike). */
static void pair_list_aggregate(pair *p, const nidus_filter *f, int t) {
    nidus_list_opts lo;
    nidus_list_opts_init(&lo);
    lo.where = f;
    lo.limit = 100000;
    lo.order_by = t % 2 ? "k1" : NULL;
    nidus_docs *la = NULL, *lb = NULL;
    CHECK_OK_DB(p->a, nidus_list_docs(p->a, &lo, &la));
    CHECK_OK_DB(p->b, nidus_list_docs(p->b, &lo, &lb));
    CHECK_U64(la->count, lb->count);
    for (size_t i = 0; i < la->count && i < lb->count; i++)
        if (strcmp(la->docs[i].id, lb->docs[i].id) != 0)
            t_fail(__FILE__, __LINE__, "list %d: record %zu is %s with the index, %s without", t, i, la->docs[i].id,
                   lb->docs[i].id);
    nidus_free(la);
    nidus_free(lb);
    static const char *const SUM[] = {"k0", "k2"};
    nidus_aggregate_opts ao;
    nidus_aggregate_opts_init(&ao);
    ao.where = f;
    ao.sum = SUM;
    ao.n_sum = 2;
    ao.group_by = t % 3 ? "k1" : NULL;
    nidus_aggregation *aa = NULL, *ab = NULL;
    CHECK_OK_DB(p->a, nidus_aggregate(p->a, &ao, &aa));
    CHECK_OK_DB(p->b, nidus_aggregate(p->b, &ao, &ab));
    CHECK_U64(aa->count, ab->count);
    CHECK_U64(aa->n_groups, ab->n_groups);
    CHECK(aa->groups_truncated == ab->groups_truncated);
    for (size_t i = 0; i < aa->n_sums; i++)
        if (aa->sums[i].value.type != ab->sums[i].value.type || memcmp(&aa->sums[i].value.v, &ab->sums[i].value.v, 8))
            t_fail(__FILE__, __LINE__, "aggregate %d: sum of %s differs", t, aa->sums[i].field);
    for (size_t i = 0; i < aa->n_groups && i < ab->n_groups; i++)
        if (aa->groups[i].count != ab->groups[i].count || aa->groups[i].present != ab->groups[i].present)
            t_fail(__FILE__, __LINE__, "aggregate %d: group %zu differs", t, i);
    nidus_free(aa);
    nidus_free(ab);
}

static void pair_check(pair *p, fm_src *s, int searches) {
    static fm_gen g;
    float q[3 * DIM];
    for (int t = 0; t < searches; t++) {
        g.nn = g.nv = g.ni = 0;
        nidus_filter *f = fm_root(&g, s);
        for (int k = 0; k < 3 * DIM; k++) q[k] = (float)((int)fm_below(s, 2001) - 1000) / 1000.0f;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 1 + fm_below(s, 30);
        o.where = f;
        nidus_hits *ha = NULL, *hb = NULL, *ba[3] = {0}, *bb[3] = {0};
        CHECK_OK_DB(p->a, nidus_search(p->a, q, DIM, &o, &ha));
        CHECK_OK_DB(p->b, nidus_search(p->b, q, DIM, &o, &hb));
        if (!fxc_same(ha, hb)) {
            for (size_t i = 0; i < ha->count || i < hb->count; i++)
                fprintf(stderr, "  %zu: %s/%llu %.9g | %s/%llu %.9g\n", i, i < ha->count ? ha->hits[i].id : "-",
                        i < ha->count ? (unsigned long long)ha->hits[i].row : 0ull, i < ha->count ? (double)ha->hits[i].score : 0.0,
                        i < hb->count ? hb->hits[i].id : "-", i < hb->count ? (unsigned long long)hb->hits[i].row : 0ull,
                        i < hb->count ? (double)hb->hits[i].score : 0.0);
            t_fail(__FILE__, __LINE__, "search %d: index and no index differ", t);
        }
        const char *bad = fxc_brute(p->a, "c", q, f, o.top_k, ha);
        if (bad) t_fail(__FILE__, __LINE__, "search %d: %s", t, bad);
        CHECK_OK_DB(p->a, nidus_search_batch(p->a, q, 3, DIM, &o, ba));
        CHECK_OK_DB(p->b, nidus_search_batch(p->b, q, 3, DIM, &o, bb));
        for (int i = 0; i < 3; i++) {
            if (!fxc_same(ba[i], bb[i])) t_fail(__FILE__, __LINE__, "batch %d query %d differ", t, i);
            nidus_free(ba[i]);
            nidus_free(bb[i]);
        }
        pair_list_aggregate(p, f, t);
        ncoll *c = nidus__coll_find(&p->a->colls, "c", 1);
        if (c) {
            long n = fxc_candidates(c, f, &bad);
            if (bad) t_fail(__FILE__, __LINE__, "search %d: %s", t, bad);
            p->planned++;
            p->narrowed += n >= 0;
        }
        nidus_free(ha);
        nidus_free(hb);
    }
}

static void random_writes(pair *p, fm_src *s, int steps) {
    static fm_gen gens[64];
    static nidus_attr attrs[64][8];
    static char ids[64][16];
    float vs[64 * DIM];
    for (int step = 0; step < steps; step++) {
        unsigned what = fm_below(s, 20);
        if (what < 12) { /* a batch of upserts over 300 ids (overwrites too) */
            size_t n = 1 + fm_below(s, 40);
            nidus_record r[64];
            for (size_t i = 0; i < n; i++) {
                gens[i].nn = gens[i].nv = gens[i].ni = 0;
                size_t na = fm_attrs(&gens[i], s, attrs[i]);
                snprintf(ids[i], sizeof ids[i], "d%03u", fm_below(s, 300));
                for (int k = 0; k < DIM; k++) vs[i * DIM + k] = (float)((int)fm_below(s, 2001) - 1000) / 1000.0f;
                r[i] = (nidus_record){ids[i], vs + i * DIM, DIM, na ? attrs[i] : NULL, na};
            }
            CHECK_OK_DB(p->a, nidus_upsert(p->a, "c", r, n));
            CHECK_OK_DB(p->b, nidus_upsert(p->b, "c", r, n));
        } else if (what < 15) { /* deletes */
            const char *del[8];
            size_t n = 1 + fm_below(s, 8);
            for (size_t i = 0; i < n; i++) {
                snprintf(ids[i], sizeof ids[i], "d%03u", fm_below(s, 300));
                del[i] = ids[i];
            }
            size_t da = 0, dbn = 0;
            CHECK_OK_DB(p->a, nidus_delete(p->a, "c", del, n, &da));
            CHECK_OK_DB(p->b, nidus_delete(p->b, "c", del, n, &dbn));
            CHECK_U64(da, dbn);
        } else if (what < 17) { /* delete_where: the same records go */
            static fm_gen g;
            g.nn = g.nv = g.ni = 0;
            nidus_filter *f = fm_root(&g, s);
            size_t da = 0, dbn = 0;
            CHECK_OK_DB(p->a, nidus_delete_where_filter(p->a, "c", f, &da));
            CHECK_OK_DB(p->b, nidus_delete_where_filter(p->b, "c", f, &dbn));
            CHECK_U64(da, dbn);
        } else if (what == 17) { /* compaction of both (rows renumbered the same way) */
            CHECK_OK_DB(p->a, nidus_compact(p->a));
            CHECK_OK_DB(p->b, nidus_compact(p->b));
        } else if (what == 18) { /* reopen A: the index is rebuilt from the log */
            CHECK_OK_DB(p->a, nidus_close(p->a));
            nidus_config cfg; /* no auto-compaction: B's rows must stay A's */
            nidus_config_init(&cfg, DIM);
            cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
            p->a = th_open_cfg(p->dir, &cfg);
        } else { /* redeclare: none for a while, or k3 (never present), k0, k1 */
            static const char *const F[] = {"k3", "k0", "k1"};
            size_t n = fm_below(s, 4);
            CHECK_OK_DB(p->a, nidus_set_filter_index(p->a, "c", F, n));
        }
    }
}

static void differential(uint64_t seed, int rounds) {
    pair p = {0};
    p.dir = tmpdir("diff");
    nidus_config cfg;
    nidus_config_init(&cfg, DIM);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    p.a = th_open_cfg(p.dir, &cfg);
    p.b = th_mem(DIM);
    static const char *const F[] = {"k0", "k1", "k3"}; /* k2 is not indexed */
    CHECK_OK_DB(p.a, nidus_set_filter_index(p.a, "c", F, 3));
    fm_src s = {seed, NULL, 0, 0};
    for (int r = 0; r < rounds; r++) {
        random_writes(&p, &s, 8);
        pair_check(&p, &s, 20);
    }
    /* The planner narrowed a fair share of the filters (else this proves little). */
    if (p.narrowed * 6 < p.planned)
        t_fail(__FILE__, __LINE__, "narrowed only %ld of %ld filters", p.narrowed, p.planned);
    nidus_close(p.a);
    nidus_close(p.b);
    rmdir_r(p.dir);
}

TEST(findex_differential_random_writes_1) { differential(101, 40); }
TEST(findex_differential_random_writes_2) { differential(202, 40); }

/* Many docs: the candidate scan on threads and in batches equals the unindexed
 * scan and the brute force; ranges, In, tokens, a Glob's literal prefix, Any of
 * indexed leaves narrow,
 * an indexed leaf over an eighth of the docs does not; 1% narrows to exactly
 * its matches. */
TEST(findex_threads_batches_and_ranges) {
    enum { N = 12000, D = 512 }; /* 10% of it is 600k floats: three threads of work */
    nidus_db *a = th_mem(D), *b = th_mem(D);
    nidus_record *r = calloc(N, sizeof *r);
    float *vs = malloc((size_t)N * D * sizeof *vs);
    nidus_attr(*at)[3] = calloc(N, sizeof *at);
    char(*ids)[12] = calloc(N, sizeof *ids);
    fm_src s = {7, NULL, 0, 0};
    static const char *const WORDS[] = {"red fox", "Blue whale", "green RED", "grey", "w4", "w5", "w6", "w7", "w8", "w9"};
    for (size_t i = 0; i < N; i++) {
        for (int k = 0; k < D; k++) vs[i * D + k] = (float)((int)fm_below(&s, 2001) - 1000) / 1000.0f;
        snprintf(ids[i], sizeof ids[i], "r%05zu", i);
        at[i][0] = (nidus_attr){"g", nidus_int((int64_t)(i % 5))};
        at[i][1] = (nidus_attr){"p", nidus_int((int64_t)(i % 100))};
        at[i][2] = (nidus_attr){"t", nidus_string(WORDS[i % 10])};
        r[i] = (nidus_record){ids[i], vs + i * D, D, at[i], 3};
    }
    const char *f[] = {"g", "p", "t"};
    CHECK_OK_DB(a, nidus_set_filter_index(a, "c", f, 3));
    CHECK_OK_DB(a, nidus_upsert(a, "c", r, N / 2));
    CHECK_OK_DB(b, nidus_upsert(b, "c", r, N / 2));
    CHECK_OK_DB(a, nidus_upsert(a, "c", r + N / 2, N - N / 2));
    CHECK_OK_DB(b, nidus_upsert(b, "c", r + N / 2, N - N / 2));
    nidus_value two[] = {nidus_int(2), nidus_int(3)};
    nidus_filter kids[2] = {nidus_f_eq("g", nidus_int(1)), nidus_f_lt("p", nidus_int(3))};
    nidus_filter anyk[2] = {nidus_f_eq("p", nidus_int(7)), nidus_f_in("p", two, 2)};
    nidus_filter filters[] = {
        nidus_f_eq("g", nidus_int(3)),          nidus_f_lt("p", nidus_int(10)), nidus_f_ge("p", nidus_int(95)),
        nidus_f_all(kids, 2),                   nidus_f_any(anyk, 2),           nidus_f_eq("p", nidus_int(42)),
        nidus_f_contains_any_token("t", "fox"), nidus_f_contains_all_tokens("t", "red green"),
        nidus_f_gt("t", nidus_string("green")), nidus_f_glob("t", "Bl*e*"), nidus_f_glob("t", "w?"),
    };
    /* 20% is scanned (over an eighth); "green" < t: half the docs */
    const long want_narrowed[] = {0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0};
    float q[3 * D];
    for (int k = 0; k < 3 * D; k++) q[k] = (float)((int)fm_below(&s, 2001) - 1000) / 1000.0f;
    ncoll *c = nidus__coll_find(&a->colls, "c", 1);
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        const char *bad = NULL;
        long n = fxc_candidates(c, &filters[i], &bad);
        if (bad) t_fail(__FILE__, __LINE__, "filter %zu: %s", i, bad);
        if ((n >= 0) != (want_narrowed[i] != 0)) t_fail(__FILE__, __LINE__, "filter %zu: narrowed %ld", i, n);
        if (i == 5) CHECK_INT(n, N / 100); /* an Eq of 1%: its matches exactly */
        for (unsigned th = 1; th <= 4; th += 3) {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 25;
            o.threads = th;
            o.where = &filters[i];
            nidus_hits *ha = NULL, *hb = NULL, *ba[3] = {0}, *bb[3] = {0};
            CHECK_OK_DB(a, nidus_search(a, q, D, &o, &ha));
            CHECK_OK_DB(b, nidus_search(b, q, D, &o, &hb));
            if (!fxc_same(ha, hb)) t_fail(__FILE__, __LINE__, "filter %zu threads %u: differ", i, th);
            if ((bad = fxc_brute(a, "c", q, &filters[i], 25, ha))) t_fail(__FILE__, __LINE__, "filter %zu: %s", i, bad);
            CHECK_OK_DB(a, nidus_search_batch(a, q, 3, D, &o, ba));
            CHECK_OK_DB(b, nidus_search_batch(b, q, 3, D, &o, bb));
            for (int x = 0; x < 3; x++) {
                if (!fxc_same(ba[x], bb[x])) t_fail(__FILE__, __LINE__, "filter %zu batch %d: differ", i, x);
                nidus_free(ba[x]);
                nidus_free(bb[x]);
            }
            nidus_free(ha);
            nidus_free(hb);
        }
    }
    /* delete_where through the index deletes the same records, logged alike. */
    size_t da = 0, dbn = 0;
    CHECK_OK_DB(a, nidus_delete_where_filter(a, "c", &filters[5], &da));
    CHECK_OK_DB(b, nidus_delete_where_filter(b, "c", &filters[5], &dbn));
    CHECK_U64(da, N / 100);
    CHECK_U64(dbn, da);
    CHECK_U64(th_count(a, "c"), N - N / 100);
    free(r);
    free(vs);
    free(at);
    free(ids);
    nidus_close(a);
    nidus_close(b);
}

/* ------------------------------------------------- reopen, compaction, 0.80 ---- */

static void frame_at(const uint8_t *log, size_t n, size_t k, uint32_t *tag, size_t *off) {
    size_t pos = 0;
    for (size_t i = 0; pos + 8 <= n; i++) {
        uint32_t len = nidus__get_le32(log + pos);
        if (i == k) {
            *tag = nidus__get_le32(log + pos + 4);
            *off = pos;
            return;
        }
        pos += 8 + len;
    }
    *tag = 0xffffffffu;
    *off = pos;
}

/* Reopen rebuilds the index; compaction re-logs op 8 right after the collection's
 * CreateCollection (and SetMeta), as nidus 0.80's compaction does. */
TEST(findex_reopen_and_compaction_keep_it) {
    const char *dir = tmpdir("keep");
    nidus_db *db = th_open(dir, DIM);
    float v[DIM] = {1, 2};
    for (int i = 0; i < 50; i++) {
        char id[16];
        snprintf(id, sizeof id, "x%02d", i);
        CHECK_OK_DB(db, th_put_attr(db, "c", id, v, "g", nidus_int(i % 10)));
    }
    nidus_meta_entry m = {"model", "m1"};
    CHECK_OK_DB(db, nidus_set_meta(db, "c", &m, 1));
    const char *f[] = {"g"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 1));
    nidus_filter eq = nidus_f_eq("g", nidus_int(4));
    for (int round = 0; round < 3; round++) {
        if (round == 1) CHECK_OK_DB(db, nidus_compact(db));
        if (round == 2) {
            nidus_close(db);
            db = th_open(dir, DIM);
        }
        nidus_names *names = NULL;
        CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
        CHECK_U64(names->count, 1);
        CHECK_STR(names->names[0], "g");
        nidus_free(names);
        const char *bad = NULL;
        long n = fxc_candidates(nidus__coll_find(&db->colls, "c", 1), &eq, &bad);
        if (bad) t_fail(__FILE__, __LINE__, "round %d: %s", round, bad);
        CHECK_INT(n, 5);
    }
    char log[600];
    snprintf(log, sizeof log, "%s/log", dir);
    size_t n;
    uint8_t *b = read_all(log, &n);
    uint32_t tag;
    size_t off;
    frame_at(b, n, 0, &tag, &off);
    CHECK_U64(tag, NIDUS__OP_CREATE);
    frame_at(b, n, 1, &tag, &off);
    CHECK_U64(tag, NIDUS__OP_SETMETA);
    frame_at(b, n, 2, &tag, &off);
    CHECK_U64(tag, NIDUS__OP_SET_FILTER_INDEX);
    static const uint8_t op8[] = {8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c', 1, 0, 0, 0, 0, 0, 0, 0,
                                  1, 0, 0, 0, 0, 0, 0, 0, 'g', 1, 1};
    CHECK_U64(nidus__get_le32(b + off), sizeof op8);
    CHECK(memcmp(b + off + 4, op8, sizeof op8) == 0);
    frame_at(b, n, 3, &tag, &off);
    CHECK_U64(tag, NIDUS__OP_UPSERT);
    free(b);
    nidus_close(db);
    rmdir_r(dir);
}

/* A store where nidus 0.80 declared an index (op 8 with `.trigrams(false)`, for a
 * collection it never created, which 0.80's replay creates): it opens, read-only
 * and read-write, the index is used, and compaction logs the declaration back with
 * nidus's flags. */
TEST(findex_nidus_080_declaration_opens_and_is_kept) {
    const char *dir = tmpdir("n80");
    nidus_db *db = th_open(dir, DIM);
    float v[DIM] = {1};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "tag", nidus_string("x")));
    CHECK_OK_DB(db, th_put_attr(db, "c", "b", v, "tag", nidus_string("y")));
    nidus_close(db);
    static const uint8_t p1[] = {8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c', 1, 0, 0, 0, 0, 0, 0, 0,
                                 3, 0, 0, 0, 0, 0, 0, 0, 't', 'a', 'g', 1, 0};
    static const uint8_t p2[] = {8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's', 1, 0, 0, 0, 0, 0, 0, 0,
                                 4, 0, 0, 0, 0, 0, 0, 0, 't', 'e', 'x', 't', 1, 1};
    char log[600];
    snprintf(log, sizeof log, "%s/log", dir);
    FILE *fp = fopen(log, "ab");
    const uint8_t *ps[] = {p1, p2};
    size_t ns[] = {sizeof p1, sizeof p2};
    for (int i = 0; i < 2; i++) {
        uint8_t h[4], crc[4];
        nidus__put_le32(h, (uint32_t)ns[i]);
        nidus__put_le32(crc, nidus__crc32(ps[i], ns[i]));
        fwrite(h, 1, 4, fp);
        fwrite(ps[i], 1, ns[i], fp);
        fwrite(crc, 1, 4, fp);
    }
    fclose(fp);
    for (int ro = 1; ro >= 0; ro--) {
        db = ro ? th_open_ro(dir, 0) : th_open(dir, 0);
        CHECK(nidus_has_collection(db, "docs"));
        nidus_names *names = NULL;
        CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
        CHECK_U64(names->count, 1);
        CHECK_STR(names->names[0], "tag");
        nidus_free(names);
        nidus_filter eq = nidus_f_eq("tag", nidus_string("y"));
        const char *bad = NULL;
        CHECK_INT(fxc_candidates(nidus__coll_find(&db->colls, "c", 1), &eq, &bad), 1);
        CHECK(bad == NULL);
        if (!ro) CHECK_OK_DB(db, nidus_compact(db));
        nidus_close(db);
    }
    size_t n;
    uint8_t *b = read_all(log, &n);
    /* c: Create, op 8 (tag, tokens, no trigrams), 2 Upserts; docs: Create, op 8. */
    uint32_t tag;
    size_t off;
    frame_at(b, n, 1, &tag, &off);
    CHECK_U64(tag, 8);
    CHECK(memcmp(b + off + 4, p1, sizeof p1) == 0);
    frame_at(b, n, 5, &tag, &off);
    CHECK_U64(tag, 8);
    CHECK(memcmp(b + off + 4, p2, sizeof p2) == 0);
    free(b);
    rmdir_r(dir);
}

/* --------------------------------------------------------- out of memory ---- */

/* The state of an indexed store through the API: every doc's attrs (via the
 * brute-force check) and the declaration; the index agrees with the docs. */
static void consistent(nidus_db *db, const char *what, long n) {
    static const nidus_filter fs[] = {{0}};
    (void)fs;
    nidus_value ins[] = {nidus_string("a"), nidus_int(2)};
    nidus_filter filters[] = {nidus_f_eq("g", nidus_int(1)), nidus_f_in("t", ins, 2),
                              nidus_f_contains_any_token("t", "a"), nidus_f_ge("g", nidus_int(3))};
    float q[DIM] = {1, -1, 0.5f};
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 100;
        o.where = &filters[i];
        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &h));
        const char *bad = fxc_brute(db, "c", q, &filters[i], 100, h);
        if (bad) t_fail(__FILE__, __LINE__, "%s at %ld: filter %zu: %s", what, n, i, bad);
        nidus_free(h);
        ncoll *c = nidus__coll_find(&db->colls, "c", 1);
        if (c) {
            fxc_candidates(c, &filters[i], &bad);
            if (bad) t_fail(__FILE__, __LINE__, "%s at %ld: filter %zu: %s", what, n, i, bad);
        }
    }
}

static nidus_db *oom_store(void) {
    nidus_db *db = th_mem(DIM);
    float v[DIM] = {0.5f, 1};
    static const char *const T[] = {"a b", "b", "c a", "d"};
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "o%02d", i);
        v[2] = (float)i;
        nidus_attr at[2] = {{"g", nidus_int(i % 5)}, {"t", nidus_string(T[i % 4])}};
        nidus_record r = {id, v, DIM, at, 2};
        CHECK_OK_DB(db, nidus_upsert(db, "c", &r, 1));
    }
    return db;
}

static size_t names_count(nidus_db *db) {
    nidus_names *names = NULL;
    CHECK_OK_DB(db, nidus_get_filter_index(db, "c", &names));
    size_t n = names->count;
    nidus_free(names);
    return n;
}

TEST(findex_oom_set_filter_index) {
    const char *f[] = {"g", "t"};
    for (long n = 0;; n++) {
        nidus_db *db = oom_store();
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus_set_filter_index(db, "c", f, 2);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (rc == NIDUS_OK) {
            CHECK_U64(names_count(db), 2);
        } else {
            CHECK_RC(rc, NIDUS_ENOMEM);
            CHECK_U64(names_count(db), 0);
        }
        consistent(db, "set_filter_index", n);
        nidus_close(db);
        if (!fired) break;
    }
}

/* Upserts (new ids, overwrites, new values and tokens) into an indexed
 * collection, delete_where and compaction, each allocation failed in turn: the
 * call fails whole and the index still agrees with the docs (a compaction whose
 * rebuild fails leaves it to the next search); the next write works. */
TEST(findex_oom_writes_with_an_index) {
    const char *f[] = {"g", "t"};
    float v[DIM] = {-1, 0.25f};
    nidus_attr a1[2] = {{"g", nidus_int(1)}, {"t", nidus_string("zz a")}};
    nidus_attr a2[2] = {{"g", nidus_int(77)}, {"t", nidus_string("brand new words")}};
    nidus_attr a3[1] = {{"t", nidus_int(2)}};
    nidus_record recs[] = {{"o03", v, DIM, a1, 2}, {"n1", v, DIM, a2, 2}, {"n2", v, DIM, a3, 1}, {"n1", v, DIM, a1, 2}};
    static const char *const WHAT[] = {"upsert", "delete_where", "compact"};
    for (int which = 0; which < 3; which++) {
        for (long n = 0;; n++) {
            nidus_db *db = oom_store();
            CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 2));
            CHECK_OK_DB(db, nidus_upsert(db, "c", recs, 2)); /* stale entries to carry */
            size_t before = th_count(db, "c");
            nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
            size_t del = 0;
            nidus_filter w = nidus_f_eq("g", nidus_int(2));
            int rc = which == 0   ? nidus_upsert(db, "c", recs, 4)
                     : which == 1 ? nidus_delete_where_filter(db, "c", &w, &del)
                                  : nidus_compact(db);
            bool fired = nidus__fault_fired();
            nidus__fault_disarm();
            if (rc != NIDUS_OK) {
                CHECK_RC(rc, NIDUS_ENOMEM);
                CHECK_U64(th_count(db, "c"), before);
            }
            consistent(db, WHAT[which], n);
            CHECK_OK_DB(db, nidus_upsert(db, "c", recs + 1, 1));
            consistent(db, "the write after", n);
            nidus_close(db);
            if (!fired) break;
        }
    }
}

/* Many overwrites of few docs: the stale entries are dropped by a rebuild, so the
 * index does not grow with the number of writes. */
TEST(findex_stale_entries_do_not_accumulate) {
    nidus_db *db = th_mem(DIM);
    const char *f[] = {"g"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 1));
    float v[DIM] = {1};
    uint64_t peak = 0;
    for (int i = 0; i < 50000; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i % 10);
        CHECK_OK_DB(db, th_put_attr(db, "c", id, v, "g", nidus_int(i)));
        uint64_t b = th_fp(db).filter_index_bytes;
        if (i > 10000 && b > peak) peak = b;
    }
    /* Each write adds a key, a posting and a sorted value (over 100 bytes): kept,
     * 50000 writes would hold 5 MB; rebuilt, at most about 2 * (10 + 1024) docs'. */
    CHECK(peak < 1500000);
    consistent(db, "overwrites", 0);
    nidus_close(db);
}

/* A failed file write (write, short write, fsync) of set_filter_index or of an
 * upsert into an indexed collection: files and declaration as before, the index
 * still agrees with the docs (the upsert's reservation rolled back). */
TEST(findex_io_faults_leave_it_consistent) {
    const char *f[] = {"g", "t"};
    float v[DIM] = {2, 1};
    nidus_attr at[2] = {{"g", nidus_int(9)}, {"t", nidus_string("fresh token")}};
    nidus_record rec = {"o05", v, DIM, at, 2};
    static const int KINDS[] = {NIDUS__FAULT_WRITE, NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT, NIDUS__FAULT_FSYNC};
    for (size_t k = 0; k < sizeof KINDS / sizeof *KINDS; k++) {
        for (int which = 0; which < 2; which++) {
            for (long n = 0;; n++) {
                const char *dir = tmpdir("io");
                char cmd[700];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                if (system(cmd) != 0) t_fail(__FILE__, __LINE__, "rm");
                nidus_db *db = th_open(dir, DIM);
                nidus_db *mem = oom_store(); /* the same records, copied in */
                nidus_docs *docs = NULL;
                CHECK_OK_DB(mem, nidus_get_all(mem, "c", &docs));
                for (size_t i = 0; i < docs->count; i++) {
                    nidus_record r = {docs->docs[i].id, docs->docs[i].vector, DIM, docs->docs[i].attrs,
                                      docs->docs[i].n_attrs};
                    CHECK_OK_DB(db, nidus_upsert(db, "c", &r, 1));
                }
                nidus_free(docs);
                nidus_close(mem);
                if (which == 1) CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 2));
                long long before = t_file_size(t_path(dir, "log"));
                size_t declared = names_count(db);
                nidus__fault_arm(KINDS[k], n, 5 /* EIO */);
                int rc = which == 0 ? nidus_set_filter_index(db, "c", f, 2) : nidus_upsert(db, "c", &rec, 1);
                bool fired = nidus__fault_fired();
                nidus__fault_disarm();
                if (rc != NIDUS_OK) {
                    CHECK_U64(t_file_size(t_path(dir, "log")), before);
                    CHECK_U64(names_count(db), declared);
                }
                consistent(db, which ? "upsert (io)" : "set_filter_index (io)", n);
                nidus_close(db);
                if (!fired) break;
            }
        }
    }
}

/* Searches share the read lock: several at once on an index that must first be
 * built (here: forgotten, as after a compaction that could not rebuild it) and
 * whose sorted values have a long unsorted tail all build and sort it under the
 * index's mutex, and all get the unindexed answer (TSan checks the rest). */
#include <pthread.h>

typedef struct conc {
    nidus_db *db;
    const nidus_hits *want[3];
    const nidus_filter *f[3];
    const float *q;
    int bad;
} conc;

static void *conc_run(void *arg) {
    conc *c = arg;
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < 3; i++) {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 7;
            o.threads = 1;
            o.where = c->f[i];
            nidus_hits *h = NULL;
            if (nidus_search(c->db, c->q, DIM, &o, &h) || !fxc_same(h, c->want[i])) c->bad = 1;
            nidus_free(h);
            nidus_footprint fp;
            if (nidus_get_footprint(c->db, &fp)) c->bad = 1;
        }
    return NULL;
}

static void conc_fill(nidus_db *db) {
    float v[DIM] = {0};
    nidus_record r[64];
    nidus_attr at[64];
    char ids[64][16];
    for (int b = 0; b < 40; b++) { /* 2560 docs */
        for (int i = 0; i < 64; i++) {
            snprintf(ids[i], sizeof ids[i], "c%04d", b * 64 + i);
            at[i] = (nidus_attr){"g", nidus_int((b * 64 + i) * 7919 % 1000)};
            r[i] = (nidus_record){ids[i], v, DIM, &at[i], 1};
        }
        v[b % DIM] += 0.25f;
        CHECK_OK_DB(db, nidus_upsert(db, "c", r, 64));
    }
}

TEST(findex_concurrent_searches_build_and_sort_safely) {
    nidus_db *db = th_mem(DIM), *plain = th_mem(DIM);
    const char *fl[] = {"g"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", fl, 1));
    nidus_filter f[3] = {nidus_f_lt("g", nidus_int(20)), nidus_f_eq("g", nidus_int(5)), nidus_f_ge("g", nidus_int(990))};
    float q[DIM] = {1, 0.5f, -0.25f, 0, 1, 0, 0, 0.5f};
    conc c = {db, {0}, {&f[0], &f[1], &f[2]}, q, 0};
    for (int round = 0; round < 2; round++) {
        /* Round 0: the docs appended after the declaration (the sorted values all an
         * unsorted tail). Round 1: the same again over them (overwrites: new rows),
         * and the index forgotten, so the first searches build it. */
        conc_fill(db);
        conc_fill(plain);
        if (round == 1) nidus__findex_invalidate(nidus__coll_find(&db->colls, "c", 1)->fx);
        nidus_hits *want[3];
        for (int i = 0; i < 3; i++) {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 7;
            o.where = &f[i];
            CHECK_OK_DB(plain, nidus_search(plain, q, DIM, &o, &want[i]));
            c.want[i] = want[i];
        }
        pthread_t t[4];
        for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, conc_run, &c) == 0);
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        CHECK(!c.bad);
        for (int i = 0; i < 3; i++) nidus_free(want[i]);
    }
    nidus_close(db);
    nidus_close(plain);
}

/* Opening a store with a declared index (replay, its build, auto-compaction and
 * the build after it), each allocation failed in turn: the open fails cleanly, or
 * it succeeds and the index agrees with the docs (one that could not be built is
 * built by the first search). */
TEST(findex_oom_open_with_an_index) {
    const char *dir = tmpdir("oomopen");
    nidus_db *db = th_open(dir, DIM);
    nidus_db *mem = oom_store();
    nidus_docs *docs = NULL;
    CHECK_OK_DB(mem, nidus_get_all(mem, "c", &docs));
    const char *f[] = {"g", "t"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 2));
    for (int pass = 0; pass < 3; pass++) /* overwrites: 2/3 of the rows dead, so a writer auto-compacts */
        for (size_t i = 0; i < docs->count; i++) {
            nidus_record r = {docs->docs[i].id, docs->docs[i].vector, DIM, docs->docs[i].attrs, docs->docs[i].n_attrs};
            CHECK_OK_DB(db, nidus_upsert(db, "c", &r, 1));
        }
    nidus_free(docs);
    nidus_close(mem);
    nidus_close(db);
    char copy[700];
    snprintf(copy, sizeof copy, "%s.c", dir);
    for (int ro = 0; ro < 2; ro++)
        for (long n = 0;; n++) {
            t_copy_dir(dir, copy); /* each try starts from the uncompacted store */
            nidus_config cfg;
            nidus_config_init(&cfg, 0);
            cfg.read_only = ro;
            nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
            nidus_db *h = NULL;
            int rc = nidus_open(copy, &cfg, &h);
            bool fired = nidus__fault_fired();
            nidus__fault_disarm();
            if (rc == NIDUS_OK) {
                CHECK_U64(names_count(h), 2);
                if (!ro && !fired) CHECK_U64(th_fp(h).dead_rows, 0); /* it did compact */
                consistent(h, ro ? "open read-only" : "open", n);
            } else {
                CHECK_RC(rc, NIDUS_ENOMEM);
            }
            nidus_close(h);
            char cmd[800];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy);
            if (system(cmd) != 0) t_fail(__FILE__, __LINE__, "rm");
            if (!fired) break;
        }
}

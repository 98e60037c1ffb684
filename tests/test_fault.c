/* test_fault.c — every mutating call is all-or-nothing. For each operation and
 * each kind of fault (allocation, write, short write, fsync, truncate, rename,
 * open, unlink), fail the Nth call for N = 0, 1, ... until the operation runs
 * without reaching the fault. After every failure the handle's state and the log
 * must be exactly as before and `data` must hold its old bytes unchanged (it may
 * only have grown: rows that reached it stay as dead orphan rows, SPEC.md §14), the
 * handle must accept a write, and a reopen must show the same state. Open (with auto-compaction), the reads and open itself
 * get the same treatment: a clean failure or a result, never a crash or a leak. */
#include "test_store_helpers.h"
#include "test_hooks.h"
#include "test_model.h"

#include <errno.h>

/* ---------------------------------------------------------- state dumps ---- */

/* Everything observable through the API, as text: the footprint's counts on the
 * first line, then test_model.h's canonical dump. Caller frees. */
static char *dump(nidus_db *db) {
    nidus_footprint f;
    CHECK_OK_DB(db, nidus_get_footprint(db, &f));
    int rc;
    char *body = tm_dump_db(db, &rc);
    if (!body) t_fail(__FILE__, __LINE__, "dump: %s", nidus_errmsg(db));
    char head[96];
    int n = snprintf(head, sizeof head, "rows=%llu dead=%llu docs=%llu\n", (unsigned long long)f.rows,
                     (unsigned long long)f.dead_rows, (unsigned long long)f.doc_count);
    size_t blen = strlen(body);
    char *out = malloc((size_t)n + blen + 1);
    if (!out) abort();
    memcpy(out, head, (size_t)n);
    memcpy(out + n, body, blen + 1);
    free(body);
    return out;
}

/* Same as dump, without the row/dead counts (compaction renumbers rows). */
static const char *logical(const char *d) {
    const char *nl = strchr(d, '\n');
    return nl ? nl + 1 : d;
}

/* The state after a failed call is the state before it, but for orphan rows: k
 * more rows, all of them dead (k >= 0). */
static bool same_but_orphans(const char *before, const char *now, unsigned long long *orphans) {
    unsigned long long r0, d0, n0, r1, d1, n1;
    if (sscanf(before, "rows=%llu dead=%llu docs=%llu", &r0, &d0, &n0) != 3 ||
        sscanf(now, "rows=%llu dead=%llu docs=%llu", &r1, &d1, &n1) != 3)
        return false;
    *orphans = r1 - r0;
    return r1 >= r0 && d1 - d0 == r1 - r0 && n1 == n0 && strcmp(logical(before), logical(now)) == 0;
}

/* ------------------------------------------------------------ the store ---- */

static const float V1[4] = {1, 0, 0, 0}, V2[4] = {0, 1, 0, 0}, V3[4] = {0.5f, 0.5f, 0, 0}, V4[4] = {0, 0, 3, 4};

/* The base store's distance: cosine for every test but the *_euclidean and *_dot
 * ones, which run the same faults on a store of raw rows. */
static int g_distance = NIDUS_DISTANCE_AUTO;

static void build_base(const char *dir) {
    nidus_config cfg;
    nidus_config_init(&cfg, 4);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    cfg.distance = g_distance;
    nidus_db *db = th_open_cfg(dir, &cfg);
    nidus_str tags[] = {{"a", NIDUS_NTS}, {"b", NIDUS_NTS}};
    nidus_attr a1[] = {{"lang", nidus_string("rust")}, {"n", nidus_int(1)}, {"tags", nidus_list(tags, 2)}};
    nidus_attr a2[] = {{"lang", nidus_string("go")}, {"f", nidus_float(0.25)}};
    nidus_record r[] = {{"r1", V1, 4, a1, 3}, {"r2", V2, 4, a2, 2}, {"r3", V3, 4, NULL, 0}};
    CHECK_OK_DB(db, nidus_upsert(db, "code", r, 3));
    CHECK_OK_DB(db, th_put(db, "code", "r3", V4)); /* a dead row */
    CHECK_OK_DB(db, th_put_attr(db, "docs", "d1", V2, "lang", nidus_string("rust")));
    nidus_meta_entry m[] = {{"model", "m1"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "docs", m, 1));
    CHECK_OK_DB(db, nidus_create_collection(db, "empty"));
    nidus_close(db);
}

/* ----------------------------------------------------------- operations ---- */

static int op_create(nidus_db *db) { return nidus_create_collection(db, "fresh"); }
static int op_drop(nidus_db *db) { return nidus_drop_collection(db, "code"); }
static int op_set_meta(nidus_db *db) {
    nidus_meta_entry m[] = {{"hwm", "7"}, {"model", "m2"}};
    return nidus_set_meta(db, "code", m, 2);
}
static int op_set_meta_new(nidus_db *db) {
    nidus_meta_entry m[] = {{"k", "v"}};
    return nidus_set_meta(db, "brand-new", m, 1);
}
static int op_upsert(nidus_db *db) {
    nidus_attr a[] = {{"lang", nidus_string("c")}, {"n", nidus_int(9)}};
    nidus_record r[] = {{"r1", V4, 4, a, 2}, {"n1", V3, 4, a, 1}, {"n2", V1, 4, NULL, 0}};
    return nidus_upsert(db, "code", r, 3);
}
static int op_upsert_new_coll(nidus_db *db) {
    nidus_record r[] = {{"x", V1, 4, NULL, 0}};
    return nidus_upsert(db, "newcoll", r, 1);
}
static int op_delete(nidus_db *db) {
    const char *ids[] = {"r2", "nope", "r1"};
    size_t n;
    return nidus_delete(db, "code", ids, 3, &n);
}
static int op_delete_where(nidus_db *db) {
    nidus_pred p = {.kind = NIDUS_PRED_EQ, .key = "lang", .value = nidus_string("rust")};
    size_t n;
    return nidus_delete_where(db, "code", &p, 1, &n);
}
static int op_delete_where_filter(nidus_db *db) {
    /* Any(Regex on lang, Contains tags "a") matches r1 (rust, [a, b]) only in
     * "code"; its regex is compiled, so the filter allocates too. */
    nidus_filter kids[] = {nidus_f_regex("lang", "(?i)RU.*"), nidus_f_contains("tags", nidus_string("a"))};
    nidus_filter w = nidus_f_any(kids, 2);
    size_t n;
    int rc = nidus_delete_where_filter(db, "code", &w, &n);
    if (rc == NIDUS_OK && n != 1) return NIDUS_EIO; /* not what it should delete */
    return rc;
}
static int op_compact(nidus_db *db) { return nidus_compact(db); }
static int op_flush(nidus_db *db) { return nidus_flush(db); }

typedef struct fault_kind {
    int kinds;
    int err;
    const char *name;
} fault_kind;

static const fault_kind KINDS[] = {
    {NIDUS__FAULT_ALLOC, 0, "alloc"},
    {NIDUS__FAULT_WRITE, ENOSPC, "write-enospc"},
    {NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT, 0, "short-write"},
    {NIDUS__FAULT_FSYNC, EIO, "fsync-eio"},
    {NIDUS__FAULT_TRUNCATE, EIO, "truncate"},
    {NIDUS__FAULT_RENAME, EIO, "rename"},
    {NIDUS__FAULT_OPEN, EMFILE, "open"},
    {NIDUS__FAULT_UNLINK, EIO, "unlink"},
};

static unsigned char *slurp(const char *dir, const char *name, size_t *n) {
    unsigned char *b = t_read_file(t_path(dir, name), n);
    if (!b) *n = (size_t)-1;
    return b;
}

/* One line per test for docs/RELIABILITY.md; sum them with
 *   ./build/nidus_tests fault_ 2>&1 | awk '/faults injected:/ {a += $(NF-2); i += $NF} END {print a, i}' */
static void report(const char *what, long alloc, long io) {
    fprintf(stderr, "  faults injected: %-24s allocation %6ld I/O %6ld\n", what, alloc, io);
}

/* Run op under every fault of every kind; returns how many faults fired. */
static long exercise(int (*op)(nidus_db *), const char *opname) {
    const char *tmp = t_tmpdir();
    const char *base = strdup(t_path(tmp, "base"));
    build_base(base);
    nidus_config cfg;
    nidus_config_init(&cfg, 4);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;

    /* The state a successful call leads to. */
    const char *ref = strdup(t_path(tmp, "ref"));
    t_copy_dir(base, ref);
    nidus_db *db = th_open_cfg(ref, &cfg);
    char *before = dump(db);
    CHECK_OK_DB(db, op(db));
    char *after = dump(db);
    nidus_close(db);

    long fired_total = 0, fired_alloc = 0;
    char work[600];
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        for (long n = 0;; n++) {
            snprintf(work, sizeof work, "%s/w-%zu-%ld", tmp, k, n);
            t_copy_dir(base, work);
            db = th_open_cfg(work, &cfg);
            size_t dl0, ll0;
            unsigned char *d0 = slurp(work, "data", &dl0), *l0 = slurp(work, "log", &ll0);
            nidus__fault_arm(KINDS[k].kinds, n, KINDS[k].err);
            int rc = op(db);
            bool fired = nidus__fault_fired();
            nidus__fault_disarm();
            if (!fired) {
                if (rc != NIDUS_OK)
                    t_fail(__FILE__, __LINE__, "%s: no fault yet rc %d: %s", opname, rc, nidus_errmsg(db));
                free(d0), free(l0);
                nidus_close(db);
                break;
            }
            fired_total++;
            if (KINDS[k].kinds & NIDUS__FAULT_ALLOC) fired_alloc++;
            char *now = dump(db);
            if (rc == NIDUS_OK) {
                /* The fault hit a call whose failure the operation tolerates. */
                if (strcmp(now, after) != 0)
                    t_fail(__FILE__, __LINE__, "%s/%s#%ld: OK but state differs", opname, KINDS[k].name, n);
            } else if (nidus_flush(db) == NIDUS_EBROKEN) {
                /* Only a committed compaction may leave the handle needing a reopen. */
                CHECK(op == op_compact);
                CHECK(strcmp(logical(now), logical(after)) == 0);
            } else {
                unsigned long long orphans = 0;
                if (!same_but_orphans(before, now, &orphans))
                    t_fail(__FILE__, __LINE__, "%s/%s#%ld (rc %d %s): memory changed\n--- before\n%s--- now\n%s",
                           opname, KINDS[k].name, n, rc, nidus_errmsg(db), before, now);
                size_t dl1, ll1;
                unsigned char *d1 = slurp(work, "data", &dl1), *l1 = slurp(work, "log", &ll1);
                /* The log as it was; `data` its old bytes, then at least the orphan rows. */
                if (dl1 < dl0 + orphans * 16 || ll0 != ll1 || memcmp(d0, d1, dl0) != 0 || memcmp(l0, l1, ll0) != 0)
                    t_fail(__FILE__, __LINE__, "%s/%s#%ld: files changed (data %zu->%zu, %llu orphan rows, log %zu->%zu)",
                           opname, KINDS[k].name, n, dl0, dl1, orphans, ll0, ll1);
                free(d1), free(l1);
                /* A compaction that failed before its commit leaves nothing behind. */
                static const char *const tmps[] = {"data.tmp", "log.tmp", "compact.tmp", "compact"};
                for (size_t x = 0; x < 4; x++)
                    if (t_file_size(t_path(work, tmps[x])) >= 0)
                        t_fail(__FILE__, __LINE__, "%s/%s#%ld: %s left behind", opname, KINDS[k].name, n, tmps[x]);
                /* Still usable. */
                CHECK_OK_DB(db, th_put(db, "probe", "p", V1));
                const char *pid[] = {"p"};
                CHECK_OK_DB(db, nidus_delete(db, "probe", pid, 1, NULL));
                CHECK_OK_DB(db, nidus_drop_collection(db, "probe"));
            }
            nidus_close(db);
            /* A reopen agrees with memory (or, after a committed compaction, with the
             * compacted state). */
            db = th_open_cfg(work, &cfg);
            if (g_distance != NIDUS_DISTANCE_AUTO) {
                nidus_config got;
                nidus_config_init(&got, 0);
                CHECK_OK_DB(db, nidus_get_config(db, &got));
                CHECK_INT(got.distance, g_distance);
            }
            char *re = dump(db);
            if (rc == NIDUS_OK) CHECK(strcmp(re, after) == 0);
            else CHECK(strcmp(logical(re), logical(before)) == 0 || strcmp(logical(re), logical(after)) == 0);
            free(re);
            free(now);
            nidus_close(db);
            free(d0), free(l0);
        }
    }
    free(before), free(after);
    free((void *)base), free((void *)ref);
    report(opname, fired_alloc, fired_total - fired_alloc);
    return fired_total;
}

TEST(fault_create_collection) { CHECK(exercise(op_create, "create") > 0); }
TEST(fault_drop_collection) { CHECK(exercise(op_drop, "drop") > 0); }
TEST(fault_set_meta) { CHECK(exercise(op_set_meta, "set_meta") > 0); }
TEST(fault_set_meta_new_collection) { CHECK(exercise(op_set_meta_new, "set_meta_new") > 0); }
TEST(fault_upsert) { CHECK(exercise(op_upsert, "upsert") > 0); }
TEST(fault_upsert_new_collection) { CHECK(exercise(op_upsert_new_coll, "upsert_new") > 0); }
TEST(fault_delete) { CHECK(exercise(op_delete, "delete") > 0); }
TEST(fault_delete_where) { CHECK(exercise(op_delete_where, "delete_where") > 0); }
TEST(fault_delete_where_filter) { CHECK(exercise(op_delete_where_filter, "delete_where_filter") > 0); }
TEST(fault_compact) { CHECK(exercise(op_compact, "compact") > 0); }
TEST(fault_flush) { CHECK(exercise(op_flush, "flush") > 0); }
/* The writes whose bytes depend on the metric (raw rows; compaction's header
 * byte 12), on euclidean and dot stores. */
TEST(fault_upsert_euclidean) {
    g_distance = NIDUS_DISTANCE_EUCLIDEAN;
    CHECK(exercise(op_upsert, "upsert_euclidean") > 0);
}
TEST(fault_compact_euclidean) {
    g_distance = NIDUS_DISTANCE_EUCLIDEAN;
    CHECK(exercise(op_compact, "compact_euclidean") > 0);
}
TEST(fault_upsert_dot) {
    g_distance = NIDUS_DISTANCE_DOT;
    CHECK(exercise(op_upsert, "upsert_dot") > 0);
}
TEST(fault_compact_dot) {
    g_distance = NIDUS_DISTANCE_DOT;
    CHECK(exercise(op_compact, "compact_dot") > 0);
}

/* Open (with replay and auto-compaction) under every fault: it either succeeds or
 * fails cleanly, leaves no lock behind, and a clean reopen sees the same records. */
TEST(fault_open_and_auto_compact) {
    const char *tmp = t_tmpdir();
    const char *base = strdup(t_path(tmp, "base"));
    build_base(base);
    nidus_db *db = th_open_ro(base, 4);
    char *want = dump(db);
    nidus_close(db);
    long fired = 0, fired_alloc = 0;
    char work[600];
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        for (long n = 0;; n++) {
            snprintf(work, sizeof work, "%s/o-%zu-%ld", tmp, k, n);
            t_copy_dir(base, work);
            nidus_config cfg;
            nidus_config_init(&cfg, 4);
            cfg.auto_compact = 0.1; /* 1 dead of 5 rows: compacts */
            nidus__fault_arm(KINDS[k].kinds, n, KINDS[k].err);
            int rc = nidus_open(work, &cfg, &db);
            bool hit = nidus__fault_fired();
            nidus__fault_disarm();
            if (rc == NIDUS_OK) {
                char *d = dump(db);
                CHECK(d && strcmp(logical(d), logical(want)) == 0);
                free(d);
            } else {
                CHECK(rc != NIDUS_ECORRUPT);
            }
            nidus_close(db);
            CHECK(t_file_size(t_path(work, "lock")) < 0);
            db = th_open_ro(work, 4);
            char *d = dump(db);
            CHECK(strcmp(logical(d), logical(want)) == 0);
            free(d);
            nidus_close(db);
            if (!hit) break;
            fired++;
            if (KINDS[k].kinds & NIDUS__FAULT_ALLOC) fired_alloc++;
        }
    }
    report("open+auto_compact", fired_alloc, fired - fired_alloc);
    CHECK(fired > 10);
    free(want);
    free((void *)base);
}

/* Reads under allocation failure: an error code or a result, never a crash or leak. */
TEST(fault_reads_out_of_memory) {
    const char *tmp = t_tmpdir();
    build_base(tmp);
    nidus_db *db = th_open_ro(tmp, 4);
    nidus_pred p = {.kind = NIDUS_PRED_IN, .key = "lang", .set = (nidus_value[]){nidus_string("rust")}, .set_len = 1};
    long fired = 0;
    for (int which = 0; which < 5; which++) {
        for (long n = 0;; n++) {
            void *res = NULL;
            nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
            int rc;
            if (which == 0) {
                nidus_search_opts o;
                nidus_search_opts_init(&o);
                o.filter = &p;
                o.n_filter = 1;
                rc = nidus_search(db, V1, 4, &o, (nidus_hits **)&res);
            } else if (which == 1) rc = nidus_get_all(db, "code", (nidus_docs **)&res);
            else if (which == 2) rc = nidus_collections(db, (nidus_names **)&res);
            else if (which == 3) rc = nidus_get_meta(db, "docs", (nidus_meta **)&res);
            else {
                const char *ids[] = {"r1", "r2"};
                rc = nidus_get(db, "code", ids, 2, (nidus_docs **)&res);
            }
            bool hit = nidus__fault_fired();
            nidus__fault_disarm();
            fired += hit;
            if (hit && rc != NIDUS_OK) {
                CHECK_RC(rc, NIDUS_ENOMEM);
                CHECK(res == NULL);
            } else if (hit) {
                nidus_free(res); /* a failure it could work around (the scan order) */
            } else {
                CHECK_OK_DB(db, rc);
                nidus_free(res);
                break;
            }
        }
    }
    nidus_close(db);
    report("reads (search, get, ...)", fired, 0);
}

/* Open itself under allocation failure, in memory and on disk. */
TEST(fault_open_out_of_memory) {
    const char *tmp = t_tmpdir();
    build_base(tmp);
    long fired = 0;
    for (long n = 0;; n++) {
        nidus_db *db = NULL;
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus_open(tmp, NULL, &db);
        bool hit = nidus__fault_fired();
        nidus__fault_disarm();
        if (hit) CHECK_RC(rc, NIDUS_ENOMEM);
        else CHECK_OK_DB(db, rc);
        nidus_close(db);
        fired += hit;
        if (!hit) break;
    }
    for (long n = 0;; n++) {
        nidus_db *db = NULL;
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus_open_memory(4, &db);
        bool hit = nidus__fault_fired();
        nidus__fault_disarm();
        if (hit) CHECK(rc == NIDUS_ENOMEM && db == NULL);
        nidus_close(db);
        fired += hit;
        if (!hit) break;
    }
    report("open (disk, memory)", fired, 0);
}

/* Under NIDUS_FSYNC_ON_FLUSH, a flush whose fsync fails poisons the handle: a
 * later fsync could succeed without the pages the kernel dropped, so no later
 * flush (or write) may claim durability. Reads still work; a reopen sees what the
 * files hold. Under the per-batch policy nothing was pending, so a failed flush
 * leaves the handle usable. */
TEST(fault_failed_flush_on_flush_policy_breaks_the_handle) {
    const char *dir = t_path(t_tmpdir(), "flushfail");
    nidus_config cfg;
    nidus_config_init(&cfg, 2);
    cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    nidus_db *db = th_open_cfg(dir, &cfg);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus__fault_arm(NIDUS__FAULT_FSYNC, 0, EIO);
    CHECK_RC(nidus_flush(db), NIDUS_EIO);
    nidus__fault_disarm();
    CHECK(strstr(nidus_errmsg(db), "reopen the store") != NULL);
    CHECK_RC(nidus_flush(db), NIDUS_EBROKEN);
    CHECK_RC(th_put(db, "c", "b", v), NIDUS_EBROKEN);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_close(db);
    db = th_open_cfg(dir, &cfg);
    CHECK_U64(th_count(db, "c"), 1); /* the page cache still had it: here it survived */
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    CHECK_OK_DB(db, nidus_flush(db));
    nidus_close(db);

    const char *dir2 = t_path(t_tmpdir(), "flushfail-batch");
    nidus_config_init(&cfg, 2);
    db = th_open_cfg(dir2, &cfg);
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus__fault_arm(NIDUS__FAULT_FSYNC, 0, EIO);
    CHECK_RC(nidus_flush(db), NIDUS_EIO);
    nidus__fault_disarm();
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    CHECK_OK_DB(db, nidus_flush(db));
    nidus_close(db);
}

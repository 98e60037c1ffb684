/* test_crash.c — a process that dies at any file operation leaves a store that
 * opens with every acknowledged write. A forked child runs the operation with the
 * seam set to _exit() at its Nth I/O call; the parent reopens and checks. */
#include "test_store_helpers.h"
#include "nidus_internal.h"

#include <sys/wait.h>
#include <unistd.h>

static const float A[3] = {1, 0, 0}, B[3] = {0, 1, 0}, C[3] = {0, 0, 1}, D[3] = {1, 1, 0};

static void build(const char *dir) {
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    nidus_db *db = th_open_cfg(dir, &cfg);
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", A, "k", nidus_int(1)));
    CHECK_OK_DB(db, th_put(db, "c", "b", B));
    CHECK_OK_DB(db, th_put(db, "c", "a", C)); /* dead row */
    CHECK_OK_DB(db, th_put(db, "d", "x", D));
    const char *ids[] = {"x"};
    CHECK_OK_DB(db, nidus_delete(db, "d", ids, 1, NULL));
    nidus_meta_entry m[] = {{"model", "m"}};
    CHECK_OK_DB(db, nidus_set_meta(db, "c", m, 1));
    nidus_close(db);
}

/* Records as "coll/id:bits;" for comparison. */
static void records(nidus_db *db, char *out, size_t cap) {
    out[0] = 0;
    nidus_names *n;
    CHECK_OK_DB(db, nidus_collections(db, &n));
    for (size_t i = 0; i < n->count; i++) {
        nidus_docs *d;
        CHECK_OK_DB(db, nidus_get_all(db, n->names[i], &d));
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "[%s]", n->names[i]);
        for (size_t j = 0; j < d->count; j++) {
            len = strlen(out);
            snprintf(out + len, cap - len, "%s:%a,%a,%a/%zu;", d->docs[j].id, (double)d->docs[j].vector[0],
                     (double)d->docs[j].vector[1], (double)d->docs[j].vector[2], d->docs[j].n_attrs);
        }
        nidus_free(d);
    }
    nidus_free(n);
}

/* Run op in a child that crashes at its Nth I/O call; returns whether it crashed. */
static bool crash_child(const char *dir, int (*op)(nidus_db *), long n) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        nidus_config cfg;
        nidus_config_init(&cfg, 3);
        cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
        nidus_db *db = NULL;
        if (nidus_open(dir, &cfg, &db) != NIDUS_OK) _exit(3);
        nidus__fault_arm(NIDUS__FAULT_IO | NIDUS__FAULT_CRASH, n, 0);
        int rc = op(db);
        nidus__fault_disarm();
        nidus_close(db);
        _exit(rc == NIDUS_OK ? 0 : 4);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    if (WEXITSTATUS(st) == 86) return true;
    CHECK_INT(WEXITSTATUS(st), 0);
    return false;
}

static int op_compact(nidus_db *db) { return nidus_compact(db); }

TEST(crash_compaction_at_every_io_call) {
    const char *tmp = t_tmpdir();
    char base[600], work[600], want[4096], got[4096];
    snprintf(base, sizeof base, "%s/base", tmp);
    build(base);
    nidus_db *db = th_open_ro(base, 3);
    records(db, want, sizeof want);
    nidus_close(db);
    long crashes = 0;
    for (long n = 0; n < 200; n++) {
        snprintf(work, sizeof work, "%s/w%ld", tmp, n);
        t_copy_dir(base, work);
        bool crashed = crash_child(work, op_compact, n);
        /* A reader first: it must see the whole store without changing anything. */
        db = th_open_ro(work, 3);
        records(db, got, sizeof got);
        if (strcmp(got, want) != 0) t_fail(__FILE__, __LINE__, "reader after crash #%ld:\n%s\n%s", n, got, want);
        nidus_footprint f = th_fp(db);
        CHECK(f.rows == 4 || f.rows == 2);
        nidus_close(db);
        /* Then a writer, which finishes or discards the compaction. */
        db = th_open(work, 3);
        records(db, got, sizeof got);
        if (strcmp(got, want) != 0) t_fail(__FILE__, __LINE__, "writer after crash #%ld:\n%s\n%s", n, got, want);
        f = th_fp(db);
        CHECK(f.rows == 4 || f.rows == 2);
        CHECK_U64(f.dead_rows, f.rows - 2);
        CHECK_OK_DB(db, th_put(db, "c", "new", D));
        nidus_close(db);
        CHECK(t_file_size(t_path(work, "compact")) < 0);
        if (!crashed) break;
        crashes++;
    }
    CHECK(crashes >= 8); /* every write, fsync and rename of a compaction */
}

static int op_mixed(nidus_db *db) {
    int rc;
    nidus_record r[] = {{"m1", A, 3, NULL, 0}, {"m2", B, 3, NULL, 0}};
    if ((rc = nidus_upsert(db, "c", r, 2))) return rc;
    const char *ids[] = {"b"};
    if ((rc = nidus_delete(db, "c", ids, 1, NULL))) return rc;
    if ((rc = nidus_create_collection(db, "e"))) return rc;
    if ((rc = nidus_drop_collection(db, "d"))) return rc;
    return nidus_compact(db);
}

/* A workload crashed at every I/O call always reopens, and shows a prefix of it. */
TEST(crash_mixed_workload_reopens) {
    const char *tmp = t_tmpdir();
    char base[600], work[600];
    snprintf(base, sizeof base, "%s/base", tmp);
    build(base);
    long crashes = 0;
    for (long n = 0; n < 300; n++) {
        snprintf(work, sizeof work, "%s/w%ld", tmp, n);
        t_copy_dir(base, work);
        bool crashed = crash_child(work, op_mixed, n);
        nidus_db *db = th_open(work, 3);
        nidus_docs *d;
        CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
        /* Either both m1 and m2 are there or neither: a batch is all-or-nothing. */
        int m = 0;
        for (size_t i = 0; i < d->count; i++) m += !strncmp(d->docs[i].id, "m", 1);
        CHECK(m == 0 || m == 2);
        nidus_free(d);
        nidus_close(db);
        if (!crashed) break;
        crashes++;
    }
    CHECK(crashes > 10);
}

/* Leftover tmp files without the marker (a crash before commit, or nidus 0.3's
 * own compaction) are ignored. */
TEST(crash_leftover_tmp_without_marker_ignored) {
    const char *dir = t_tmpdir();
    build(dir);
    t_write_file(t_path(dir, "data.tmp"), "garbage", 7);
    t_write_file(t_path(dir, "log.tmp"), "junk", 4);
    nidus_db *db = th_open_ro(dir, 3);
    CHECK_INT(th_count(db, "c"), 2);
    nidus_close(db);
    db = th_open(dir, 3);
    CHECK_INT(th_count(db, "c"), 2);
    CHECK_OK_DB(db, nidus_compact(db));
    nidus_close(db);
    CHECK(t_file_size(t_path(dir, "data.tmp")) < 0);
}

/* Rows lost from `data` (its tail cut) leave Upserts that point past it. A writer's
 * open drops them by compacting, so the next rows appended are not claimed by them. */
TEST(crash_lost_rows_are_not_resurrected) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    CHECK_OK_DB(db, th_put(db, "c", "a", A));
    CHECK_OK_DB(db, th_put(db, "c", "b", B));
    nidus_close(db);
    CHECK(truncate(t_path(dir, "data"), 64 + 12) == 0); /* b's row is gone */
    db = th_open_ro(dir, 3);
    CHECK_INT(th_count(db, "c"), 1);
    nidus_close(db);
    db = th_open(dir, 3);
    CHECK_INT(th_count(db, "c"), 1);
    CHECK_OK_DB(db, th_put(db, "c", "z", C)); /* takes row 1 */
    nidus_close(db);
    db = th_open_ro(dir, 3);
    nidus_docs *d;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &d));
    CHECK_INT(d->count, 2);
    CHECK_STR(d->docs[0].id, "a");
    CHECK_STR(d->docs[1].id, "z");
    nidus_free(d);
    nidus_close(db);
}

/* A marker that does not match the tmp files is refused, and nothing is renamed. */
TEST(crash_bad_marker_refused) {
    const char *dir = t_tmpdir();
    build(dir);
    t_write_file(t_path(dir, "data.tmp"), "0123456789", 10);
    t_write_file(t_path(dir, "compact"), "nidus-compact 1 99 0\n", 21);
    nidus_db *db;
    CHECK_RC(nidus_open(dir, NULL, &db), NIDUS_ECORRUPT);
    CHECK(strstr(nidus_errmsg(db), "compact") != NULL);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data.tmp")), 10);
    t_write_file(t_path(dir, "compact"), "garbage", 7);
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    cfg.read_only = 1;
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_ECORRUPT);
    nidus_close(db);
    /* Removing the marker by hand restores the old store. */
    CHECK(unlink(t_path(dir, "compact")) == 0);
    db = th_open(dir, 3);
    CHECK_INT(th_count(db, "c"), 2);
    nidus_close(db);
}

/* A crash at any I/O call while a store is being created leaves a directory that
 * opens as a new, empty store (never a short header). */
static int op_none(nidus_db *db) {
    (void)db;
    return NIDUS_OK;
}

TEST(crash_store_creation_at_every_io_call) {
    long crashes = 0;
    const char *dir = t_tmpdir();
    for (long n = 0; n < 60; n++) {
        char path[600];
        snprintf(path, sizeof path, "%s/s%ld", dir, n);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            nidus__fault_arm(NIDUS__FAULT_IO | NIDUS__FAULT_CRASH, n, 0);
            nidus_db *db = NULL;
            int rc = nidus_open(path, NULL, &db) == NIDUS_EINVAL ? 0 : 1; /* dimension 0: refused */
            nidus_config cfg;
            nidus_config_init(&cfg, 3);
            rc |= nidus_open(path, &cfg, &db);
            nidus__fault_disarm();
            (void)op_none(db);
            nidus_close(db);
            _exit(rc == NIDUS_OK ? 0 : 4);
        }
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st));
        bool crashed = WEXITSTATUS(st) == 86;
        if (!crashed) CHECK_INT(WEXITSTATUS(st), 0);
        long long ds = t_file_size(t_path(path, "data"));
        CHECK(ds < 0 || ds == 64);
        nidus_db *db = th_open(path, 3);
        CHECK_INT(th_fp(db).rows, 0);
        CHECK_OK_DB(db, th_put(db, "c", "a", A));
        nidus_close(db);
        if (!crashed) break;
        crashes++;
    }
    CHECK(crashes >= 5);
}

/* A log with records but no vectors is damage, not a new store. */
TEST(crash_log_without_data_is_refused) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    CHECK_OK_DB(db, th_put(db, "c", "a", A));
    nidus_close(db);
    CHECK(unlink(t_path(dir, "data")) == 0);
    nidus_config cfg;
    nidus_config_init(&cfg, 3);
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_ECORRUPT);
    CHECK(strstr(nidus_errmsg(db), "log") != NULL);
    nidus_close(db);
    CHECK(t_file_size(t_path(dir, "data")) < 0);
    t_write_file(t_path(dir, "data"), "", 0);
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_ECORRUPT);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 0);
}

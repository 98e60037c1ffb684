/* test_open.c — opening replays the log into per-collection arenas (ids and
 * attributes as one blob per doc, dead blobs kept until compaction) while the rows
 * load on other threads. These tests drive random write sequences with overwrites,
 * deletes, drops and meta changes against the model of test_model.h, and check that
 * every reopen (replay) and every compaction gives the model's content, and that
 * the footprint counts the arenas. */
#include "test_model.h"

#include <errno.h>
#include <unistd.h>

#define ODIM 4

static char *dump_or_fail(nidus_db *db) {
    int rc;
    char *s = tm_dump_db(db, &rc);
    if (!s) t_fail(__FILE__, __LINE__, "dump: %s: %s", nidus_strerror(rc), nidus_errmsg(db));
    return s;
}

static void check_model(nidus_db *db, const tm_state *m, const char *when, int step) {
    char *want = tm_dump(m), *got = dump_or_fail(db);
    if (strcmp(want, got) != 0)
        t_fail(__FILE__, __LINE__, "%s (step %d): store differs from model\n--- model\n%s--- store\n%s", when, step,
               want, got);
    free(want);
    free(got);
}

static nidus_db *open_noauto(const char *dir) {
    nidus_config c;
    nidus_config_init(&c, ODIM);
    c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    c.fsync = NIDUS_FSYNC_ON_FLUSH;
    return th_open_cfg(dir, &c);
}

/* Random calls, a reopen every few (replay builds the arenas from the log), a
 * compaction now and then (rebuilds them), each compared with the model; the same
 * calls on an in-memory store too. */
TEST(open_replay_into_arenas_matches_model) {
    for (uint64_t seed = 1; seed <= 6; seed++) {
        const char *dir = t_tmpdir();
        nidus_db *db = open_noauto(dir), *mem = th_mem(ODIM);
        tm_state model;
        tm_init(&model, ODIM);
        uint64_t rng = seed * 7919;
        for (int step = 0; step < 300; step++) {
            tm_call c;
            tm_gen(&rng, ODIM, 10, 3, &c);
            CHECK_OK_DB(db, tm_exec(db, &c));
            CHECK_OK_DB(mem, tm_exec(mem, &c));
            tm_apply(&model, &c);
            if (step % 37 == 36) {
                CHECK_OK_DB(db, nidus_close(db));
                db = open_noauto(dir);
                check_model(db, &model, "after reopen", step);
            }
            if (step % 50 == 49) {
                check_model(db, &model, "before compact", step);
                CHECK_OK_DB(db, nidus_compact(db));
                CHECK_OK_DB(mem, nidus_compact(mem));
                check_model(db, &model, "after compact", step);
                check_model(mem, &model, "memory store after compact", step);
            }
        }
        check_model(db, &model, "end", 300);
        check_model(mem, &model, "memory store at the end", 300);
        CHECK_OK_DB(db, nidus_close(db));
        db = open_noauto(dir);
        check_model(db, &model, "last reopen", 300);
        nidus_close(db);
        nidus_close(mem);
        tm_free(&model);
    }
}

/* A replay long enough to size the collections from its progress (more than 4096
 * frames), over two collections, with string and list attributes, overwrites and
 * deletes: the reopened store equals the one that wrote the log, and compaction
 * then frees the dead blobs (index_bytes shrinks) without changing the content. */
TEST(open_large_replay_with_overwrites_then_compact) {
    const char *dir = t_tmpdir();
    nidus_db *db = open_noauto(dir);
    enum { N = 6000 };
    static char ids[N][16], tags[N][24];
    for (int round = 0; round < 2; round++) {
        for (int lo = 0; lo < N; lo += 500) {
            nidus_record r[500];
            nidus_attr a[500][3];
            nidus_str items[2] = {{"x", NIDUS_NTS}, {"yy", NIDUS_NTS}};
            float v[500][ODIM];
            for (int i = 0; i < 500; i++) {
                int k = lo + i;
                snprintf(ids[k], sizeof ids[k], "id-%d", k);
                snprintf(tags[k], sizeof tags[k], "tag-%d-round-%d", k, round);
                for (int j = 0; j < ODIM; j++) v[i][j] = (float)((k * 7 + j * 3 + round) % 11) - 5.0f;
                v[i][0] += 0.5f;
                a[i][0] = (nidus_attr){"g", nidus_int(k % 5)};
                a[i][1] = (nidus_attr){"l", nidus_list(items, (size_t)(k % 3))};
                a[i][2] = (nidus_attr){"t", nidus_string(tags[k])};
                r[i] = (nidus_record){ids[k], v[i], ODIM, a[i], (size_t)(1 + (k + round) % 3)};
            }
            /* round 0 fills both collections, round 1 overwrites most of "a" */
            const char *coll = round == 0 ? (lo / 500 % 2 ? "b" : "a") : "a";
            CHECK_OK_DB(db, nidus_upsert(db, coll, r, round == 0 ? 500 : 400));
        }
    }
    size_t deleted = 0;
    nidus_pred p = {.kind = NIDUS_PRED_EQ, .key = "g", .value = nidus_int(3)};
    CHECK_OK_DB(db, nidus_delete_where(db, "b", &p, 1, &deleted));
    CHECK(deleted > 0);
    char *before = dump_or_fail(db);
    nidus_footprint f0 = th_fp(db);
    CHECK(f0.dead_rows > 0);
    CHECK_OK_DB(db, nidus_close(db));

    db = open_noauto(dir);
    char *replayed = dump_or_fail(db);
    CHECK(strcmp(before, replayed) == 0);
    nidus_footprint f1 = th_fp(db);
    CHECK_U64(f1.doc_count, f0.doc_count);
    CHECK_U64(f1.dead_rows, f0.dead_rows);
    CHECK(f1.index_bytes > 0);

    CHECK_OK_DB(db, nidus_compact(db));
    char *compacted = dump_or_fail(db);
    CHECK(strcmp(before, compacted) == 0);
    nidus_footprint f2 = th_fp(db);
    CHECK_U64(f2.dead_rows, 0);
    CHECK(f2.index_bytes < f1.index_bytes); /* the dead blobs went */
    CHECK_OK_DB(db, nidus_close(db));

    db = open_noauto(dir);
    char *again = dump_or_fail(db);
    CHECK(strcmp(before, again) == 0);
    nidus_close(db);
    free(before);
    free(replayed);
    free(compacted);
    free(again);
}

/* Random calls (seed, steps) into a store, then open it failing at every
 * allocation and read in turn, reader and writer alike: each open fails (a fault
 * fired) or gives the model's content. Returns how many opens failed. */
static long open_failure_sweep(uint64_t seed, int steps) {
    const char *dir = t_tmpdir();
    nidus_db *db = open_noauto(dir);
    tm_state model;
    tm_init(&model, ODIM);
    uint64_t rng = seed;
    for (int step = 0; step < steps; step++) {
        tm_call c;
        tm_gen(&rng, ODIM, 8, 0, &c);
        CHECK_OK_DB(db, tm_exec(db, &c));
        tm_apply(&model, &c);
    }
    CHECK_OK_DB(db, nidus_close(db));
    char *want = tm_dump(&model);
    long failed = 0;
    for (long k = 0;; k++) {
        nidus_config cfg;
        nidus_config_init(&cfg, ODIM);
        cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
        cfg.read_only = k % 2; /* reader and writer paths alike */
        nidus__fault_arm(NIDUS__FAULT_ALLOC | NIDUS__FAULT_READ, k / 2, EIO);
        nidus_db *h = NULL;
        int rc = nidus_open(dir, &cfg, &h);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (rc == NIDUS_OK) {
            char *got = dump_or_fail(h);
            CHECK(strcmp(want, got) == 0);
            free(got);
        } else {
            CHECK(fired);
            failed++;
        }
        nidus_close(h);
        if (!fired && k % 2) break;
        CHECK(k < 100000);
    }
    free(want);
    tm_free(&model);
    return failed;
}

/* Open fails cleanly at every allocation and read of a replay with attributes,
 * meta, deletes and a drop (ASan checks that nothing leaks). */
TEST(open_replay_every_failure_is_clean) { CHECK(open_failure_sweep(4242, 60) > 10); }

/* A failed upsert leaves the arena as it was: the room it reserved for the
 * batch's blobs is given back (before, every failed batch kept a chunk). Only
 * overwrites here, so nothing else (doc array, id table) has reason to grow. */
TEST(open_failed_upsert_returns_its_arena_room) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/s", t_tmpdir());
    nidus_db *db = open_noauto(dir);
    enum { N = 16000 };
    static char ids[N][16];
    static nidus_record recs[N];
    float v[ODIM] = {1, 2, 3, 4};
    /* ~300 bytes per doc: a batch's blobs (~5 MB) never fit the head chunk's room. */
    static char text[300];
    memset(text, 'x', sizeof text - 1);
    nidus_attr at = {"tag", nidus_string(text)};
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "id%d", i);
        recs[i] = (nidus_record){ids[i], v, ODIM, &at, 1};
    }
    CHECK_OK_DB(db, nidus_upsert(db, "c", recs, N));
    /* Overwriting all once sizes the doc array and id table for a batch of N
     * (it reserves as if every record were new), so only the arena can move. */
    CHECK_OK_DB(db, nidus_upsert(db, "c", recs, N));
    nidus_footprint before = th_fp(db);
    char *state = dump_or_fail(db);
    for (int kind = 0; kind < 2; kind++) {
        nidus__fault_arm(kind ? NIDUS__FAULT_FSYNC : NIDUS__FAULT_WRITE, 0, EIO);
        int rc = nidus_upsert(db, "c", recs, N);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        CHECK(fired);
        CHECK(rc != NIDUS_OK);
        nidus_footprint after = th_fp(db);
        CHECK_U64(after.index_bytes, before.index_bytes);
        char *now = dump_or_fail(db);
        CHECK_STR(now, state);
        free(now);
    }
    /* And the next upsert still works. */
    CHECK_OK_DB(db, nidus_upsert(db, "c", recs, N));
    free(state);
    nidus_close(db);
}

/* ------------------------------------------------ replay on two threads ---- */

/* The dump of dir opened with the replay on one thread (window 0) or on two, the
 * scanner reading `window` bytes at a time; read-only (mapped rows) or as the
 * writer. *rc gets the open's result; NULL dump when it failed (msg: why). */
static char *open_dump(const char *dir, size_t window, bool two, int read_only, int *rc, char *msg, size_t cap) {
    nidus__replay_set_pipeline(two ? 1 : UINT64_MAX, window);
    nidus_config c;
    nidus_config_init(&c, 0);
    c.read_only = read_only;
    c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    nidus_db *db = NULL;
    uint64_t runs = nidus__replay_two_count();
    *rc = nidus_open(dir, &c, &db);
    nidus__replay_set_pipeline(0, 0);
    if (nidus__replay_two_count() != runs + (two && sysconf(_SC_NPROCESSORS_ONLN) > 1))
        t_fail(__FILE__, __LINE__, "the replay did not run on the threads asked for");
    char *d = NULL;
    if (*rc == NIDUS_OK) d = dump_or_fail(db);
    else snprintf(msg, cap, "%s", nidus_errmsg(db));
    nidus_close(db);
    return d;
}

/* Random calls (every kind of op, overwrites, deletes, drops, meta), replayed on
 * two threads with scanner windows from a few frames to the whole log: always the
 * one-thread replay's content, and the model's. */
TEST(open_replay_on_two_threads_matches_one) {
    static const size_t windows[] = {0, 300, 4096};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        const char *dir = t_tmpdir();
        nidus_db *db = open_noauto(dir);
        tm_state model;
        tm_init(&model, ODIM);
        uint64_t rng = seed * 104729;
        for (int step = 0; step < 400; step++) {
            tm_call c;
            tm_gen(&rng, ODIM, 12, 3, &c);
            CHECK_OK_DB(db, tm_exec(db, &c));
            tm_apply(&model, &c);
        }
        CHECK_OK_DB(db, nidus_close(db));
        char *want = tm_dump(&model), msg[512];
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++)
            for (int ro = 1; ro >= 0; ro--) {
                int rc;
                char *one = open_dump(dir, windows[w], false, ro, &rc, msg, sizeof msg);
                CHECK_INT(rc, NIDUS_OK);
                char *two = open_dump(dir, windows[w], true, ro, &rc, msg, sizeof msg);
                CHECK_INT(rc, NIDUS_OK);
                if (strcmp(one, two) != 0 || strcmp(one, want) != 0)
                    t_fail(__FILE__, __LINE__, "seed %llu window %zu: two threads differ\n--- one\n%s--- two\n%s",
                           (unsigned long long)seed, windows[w], one, two);
                free(one), free(two);
            }
        free(want);
        tm_free(&model);
    }
}

/* A torn tail and a damaged frame, early and late in the log: the two replays give
 * the same verdict (content, or code and message), and a writer cuts the same
 * tail. */
TEST(open_replay_on_two_threads_same_verdicts) {
    const char *base = t_tmpdir();
    char *src = strdup(t_path(base, "src"));
    nidus_db *db = open_noauto(src);
    tm_state model;
    tm_init(&model, ODIM);
    uint64_t rng = 99991;
    for (int step = 0; step < 300; step++) {
        tm_call c;
        tm_gen(&rng, ODIM, 10, 2, &c);
        CHECK_OK_DB(db, tm_exec(db, &c));
        tm_apply(&model, &c);
    }
    CHECK_OK_DB(db, nidus_close(db));
    tm_free(&model);
    size_t len;
    unsigned char *log = t_read_file(t_path(src, "log"), &len);
    CHECK(log && len > 2000);
    /* damage: none (a torn tail only), a byte flipped at 10%, 50%, 90% of the log */
    for (int k = 0; k < 4; k++) {
        char name[32];
        for (int two = 0; two < 2; two++) {
            snprintf(name, sizeof name, "d%d-%d", k, two);
            char *dir = strdup(t_path(base, name));
            t_copy_dir(src, dir);
            unsigned char *b = malloc(len + 7);
            memcpy(b, log, len);
            if (k) b[len * (size_t)(k == 1 ? 1 : k == 2 ? 5 : 9) / 10] ^= 0x5A;
            memcpy(b + len, "\x40\0\0\0\1\2\3", 7); /* a frame cut short */
            t_write_file(t_path(dir, "log"), b, len + 7);
            free(b);
            free(dir);
        }
        char *d0 = strdup(t_path(base, (snprintf(name, sizeof name, "d%d-0", k), name)));
        char *d1 = strdup(t_path(base, (snprintf(name, sizeof name, "d%d-1", k), name)));
        for (int ro = 1; ro >= 0; ro--) {
            int rc0, rc1;
            char m0[512] = "", m1[512] = "";
            char *a = open_dump(d0, 512, false, ro, &rc0, m0, sizeof m0);
            char *b = open_dump(d1, 512, true, ro, &rc1, m1, sizeof m1);
            CHECK_INT(rc1, rc0);
            if (rc0 == NIDUS_OK) CHECK(strcmp(a, b) == 0);
            else CHECK_STR(m1, m0);
            if (k == 0) CHECK_INT(rc0, NIDUS_OK); /* a torn tail alone opens */
            free(a), free(b);
        }
        CHECK(t_file_size(t_path(d0, "log")) == t_file_size(t_path(d1, "log")));
        if (k == 0) CHECK(t_file_size(t_path(d0, "log")) == (long long)len); /* the writer cut the tail */
        free(d0), free(d1);
    }
    free(log);
    free(src);
}

/* The two-thread replay fails cleanly at every allocation and read (the scanner's
 * too: its window reads, its decoding), for readers and the writer; ASan checks
 * that nothing leaks and that no view outlives its window. */
TEST(open_replay_on_two_threads_every_failure_is_clean) {
    nidus__replay_set_pipeline(1, 256);
    long failed = open_failure_sweep(777, 80);
    nidus__replay_set_pipeline(0, 0);
    CHECK(failed > 10);
}

/* test_kill.c — writers SIGKILLed at random moments lose nothing they acknowledged,
 * and readers running all the while always see a consistent snapshot.
 *
 * Each round forks a writer that opens the store (recovering what the previous,
 * killed writer left) and runs random upserts, deletes, delete_where, set_meta,
 * create, drop and compactions (test_model.h's generator, seeded per round). Before
 * each call it reports "start i" over a pipe and, once the call returned OK, "ack
 * i". The parent SIGKILLs it at a random moment (while it opens, or after a random
 * number of acks plus a random delay), reopens the store — read-write, which must
 * not find it locked, or read-only — and compares with the model of acknowledged
 * calls: every acked call is there (a quarter of the writers use
 * NIDUS_FSYNC_ON_FLUSH, which a kill does not weaken); the call in flight is
 * absent, whole, or a prefix of its frames (a kill can cut a write that spans
 * pages: the kernel stops between pages). The model then follows the store.
 *
 * Reader processes open the store read-only and search it in a loop the whole time:
 * every open succeeds, every record's stored vector has unit norm and matches its
 * "sig" attribute (no torn vector, no frame pointing at another record's row),
 * every hit's row lies inside the data its snapshot read.
 *
 * NIDUS_KILL_ROUNDS (default 300) and NIDUS_KILL_READERS (default 2) size it;
 * `make stress` runs thousands of rounds. */
#include "test_model.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KDIM 8
#define IDPOOL 24
#define MAXREADERS 8

typedef struct msg {
    char type; /* 'O' opened, 'S' start, 'A' ack, 'F' failed */
    char pad[3];
    uint32_t i;
    int32_t rc;
} msg;

static pid_t readers[MAXREADERS];
static int reader_fd[MAXREADERS];
static int n_readers;
static pid_t writer = -1;

/* Stop every child before failing (they would outlive the test otherwise). */
#define KFAIL(...)                                                                   \
    do {                                                                             \
        stop_children();                                                             \
        t_fail(__FILE__, __LINE__, __VA_ARGS__);                                     \
    } while (0)

static void stop_children(void) {
    if (writer > 0) {
        kill(writer, SIGKILL);
        waitpid(writer, NULL, 0);
        writer = -1;
    }
    for (int i = 0; i < n_readers; i++) {
        kill(readers[i], SIGKILL);
        waitpid(readers[i], NULL, 0);
    }
    n_readers = 0;
}

static long env_long(const char *name, long dflt) {
    const char *s = getenv(name);
    return s && *s ? atol(s) : dflt;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void send_msg(int fd, char type, uint32_t i, int rc) {
    msg m = {type, {0}, i, rc};
    if (write(fd, &m, sizeof m) != (ssize_t)sizeof m) _exit(5);
}

static nidus_config kcfg(bool ro) {
    nidus_config c;
    nidus_config_init(&c, ro ? 0 : KDIM);
    if (ro) {
        c.read_only = 1;
        c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    }
    return c;
}

/* ------------------------------------------------------------- writer ---- */

static _Noreturn void writer_main(const char *dir, uint64_t seed, int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    nidus_config cfg = kcfg(false);
    /* A kill keeps the page cache: under ON_FLUSH too, every acked call survives. */
    if (seed % 4 == 3) cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    nidus_db *db = NULL;
    int rc = nidus_open(dir, &cfg, &db);
    if (rc) {
        fprintf(stderr, "  writer: open: %s: %s\n", nidus_strerror(rc), nidus_errmsg(db));
        send_msg(fd, 'F', UINT32_MAX, rc);
        _exit(3);
    }
    send_msg(fd, 'O', 0, 0);
    uint64_t rng = seed;
    for (uint32_t i = 0;; i++) {
        tm_call c;
        tm_gen(&rng, KDIM, IDPOOL, 4, &c);
        send_msg(fd, 'S', i, 0);
        rc = tm_exec(db, &c);
        if (rc) {
            fprintf(stderr, "  writer: call %u (%s): %s: %s\n", i, tm_kind_name(c.kind), nidus_strerror(rc),
                    nidus_errmsg(db));
            send_msg(fd, 'F', i, rc);
            _exit(4);
        }
        send_msg(fd, 'A', i, 0);
    }
}

/* ------------------------------------------------------------- reader ---- */

typedef struct rstats {
    long opens, searches, hits, docs, tmp_errors;
} rstats;

static volatile sig_atomic_t reader_stop;
static void on_term(int sig) {
    (void)sig;
    reader_stop = 1;
}

static const nidus_value *attr_get(const nidus_attr *a, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].key, key)) return &a[i].value;
    return NULL;
}

/* A stored record is whole: unit vector whose first float its "sig" attribute
 * repeats. */
static bool doc_ok(const nidus_doc *d, uint32_t dim, char *why, size_t cap) {
    if (!tm_unit_or_zero(d->vector, dim)) {
        snprintf(why, cap, "%s/%s: vector is not unit length (torn?)", d->collection, d->id);
        return false;
    }
    const nidus_value *sig = attr_get(d->attrs, d->n_attrs, "sig");
    if (!sig || sig->type != NIDUS_FLOAT || sig->v.f != (double)d->vector[0]) {
        snprintf(why, cap, "%s/%s: vector[0] %a does not match its sig attribute %a (a frame on the wrong row?)",
                 d->collection, d->id, (double)d->vector[0], sig ? sig->v.f : 0.0);
        return false;
    }
    return true;
}

static _Noreturn void reader_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  reader %d: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(1);
}

static _Noreturn void reader_main(const char *dir, int fd, uint64_t seed) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGTERM, on_term);
    rstats st = {0};
    uint64_t rng = seed;
    char why[256];
    while (!reader_stop) {
        nidus_config cfg = kcfg(true);
        nidus_db *db = NULL;
        int rc = nidus_open(dir, &cfg, &db);
        if (rc && strstr(nidus_errmsg(db), ".tmp") && !env_long("NIDUS_KILL_STRICT", 1)) {
            /* KNOWN BUG (docs/RELIABILITY.md): the reader followed a compaction
             * marker to a .tmp file that a newer compaction was rewriting. */
            st.tmp_errors++;
            nidus_close(db);
            continue;
        }
        if (rc) reader_fail("read-only open: %s: %s", nidus_strerror(rc), nidus_errmsg(db));
        st.opens++;
        nidus_footprint fp;
        if (nidus_get_footprint(db, &fp)) reader_fail("footprint");
        uint32_t dim = fp.dimension;
        /* Every record of the snapshot. */
        nidus_names *names = NULL;
        if ((rc = nidus_collections(db, &names))) reader_fail("collections: %s", nidus_strerror(rc));
        for (size_t i = 0; i < names->count; i++) {
            nidus_docs *d = NULL;
            if ((rc = nidus_get_all(db, names->names[i], &d))) reader_fail("get_all: %s", nidus_strerror(rc));
            for (size_t j = 0; j < d->count; j++, st.docs++)
                if (!doc_ok(&d->docs[j], dim, why, sizeof why)) reader_fail("%s", why);
            nidus_free(d);
        }
        nidus_free(names);
        /* A search over all of it: hits inside the data, whole vectors. */
        float q[KDIM];
        for (uint32_t k = 0; k < dim && k < KDIM; k++) q[k] = (float)((int)tm_below(&rng, 201) - 100) + 0.5f;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 1000;
        o.threads = 1;
        nidus_hits *h = NULL;
        if ((rc = nidus_search(db, q, dim, &o, &h))) reader_fail("search: %s: %s", nidus_strerror(rc), nidus_errmsg(db));
        st.searches++;
        if (h->count != fp.doc_count) reader_fail("search found %zu of %llu records", h->count, (unsigned long long)fp.doc_count);
        for (size_t j = 0; j < h->count; j++, st.hits++) {
            const nidus_hit *x = &h->hits[j];
            if (x->row >= fp.rows)
                reader_fail("hit %s/%s at row %llu past the data (%llu rows)", x->collection, x->id,
                            (unsigned long long)x->row, (unsigned long long)fp.rows);
            if (!(x->score >= -1.0001f && x->score <= 1.0001f)) reader_fail("hit %s/%s score %g", x->collection, x->id, (double)x->score);
            nidus_docs *d = NULL;
            if ((rc = nidus_get(db, x->collection, &x->id, 1, &d)) || d->count != 1)
                reader_fail("get of hit %s/%s: %s", x->collection, x->id, nidus_strerror(rc));
            if (!doc_ok(&d->docs[0], dim, why, sizeof why)) reader_fail("%s", why);
            nidus_free(d);
        }
        nidus_free(h);
        nidus_close(db);
        sleep_us(tm_below(&rng, 400));
    }
    if (write(fd, &st, sizeof st) != (ssize_t)sizeof st) _exit(2);
    _exit(0);
}

/* -------------------------------------------------------------- parent ---- */

typedef struct kstats {
    long rounds, kills, killed_opening, acked, inflight_absent, inflight_whole, inflight_partial, verify_rw,
        verify_ro, inflight_kind[TC_FLUSH + 1], empty_lock;
} kstats;

/* Read one message; false at EOF. */
static bool read_msg(int fd, msg *m) {
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t r = read(fd, (char *)m + got, sizeof *m - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

TEST(kill_writers_while_readers_search) {
    long rounds = env_long("NIDUS_KILL_ROUNDS", 300);
    n_readers = 0;
    int want_readers = (int)env_long("NIDUS_KILL_READERS", 2);
    if (want_readers > MAXREADERS) want_readers = MAXREADERS;
    /* tmpfs when there is one: a SIGKILL leaves the page cache intact anyway. */
    struct stat sst;
    if (!getenv("TMPDIR") && stat("/dev/shm", &sst) == 0 && access("/dev/shm", W_OK) == 0) setenv("TMPDIR", "/dev/shm", 1);
    const char *dir = t_tmpdir();
    uint64_t rng = 0x6b696c6cull ^ (uint64_t)env_long("NIDUS_KILL_SEED", 1);
    kstats ks = {0};

    /* The store, and the model of what it holds. */
    nidus_config wc = kcfg(false);
    nidus_db *db = th_open_cfg(dir, &wc);
    nidus_close(db);
    tm_state model;
    tm_init(&model, KDIM);

    for (int r = 0; r < want_readers; r++) {
        int p[2];
        CHECK(pipe(p) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            reader_main(dir, p[1], rng + (uint64_t)r * 7919);
        }
        close(p[1]);
        readers[n_readers] = pid;
        reader_fd[n_readers++] = p[0];
    }

    for (long round = 0; round < rounds; round++) {
        uint64_t seed = tm_rand(&rng);
        int p[2];
        CHECK(pipe(p) == 0);
        writer = fork();
        CHECK(writer >= 0);
        if (writer == 0) {
            close(p[0]);
            writer_main(dir, seed, p[1]);
        }
        close(p[1]);
        /* Pick the moment: during open, or after some acks and a short delay. */
        long acked_before_kill = 0, want = -1;
        unsigned how = tm_below(&rng, 100);
        msg m;
        uint32_t last_start = UINT32_MAX, last_ack = UINT32_MAX;
        bool opened = false, eof = false;
        if (how < 12) {
            sleep_us(tm_below(&rng, 1000));
        } else {
            want = tm_below(&rng, 16);
            while (acked_before_kill < want || !opened) {
                if (!read_msg(p[0], &m)) {
                    eof = true;
                    break;
                }
                if (m.type == 'F') KFAIL("round %ld: the writer failed (call %u): %s", round, m.i, nidus_strerror(m.rc));
                if (m.type == 'O') opened = true;
                if (m.type == 'S') last_start = m.i;
                if (m.type == 'A') {
                    last_ack = m.i;
                    acked_before_kill++;
                }
            }
            sleep_us(tm_below(&rng, 400));
        }
        kill(writer, SIGKILL);
        int wst;
        while (waitpid(writer, &wst, 0) < 0 && errno == EINTR) {}
        writer = -1;
        if (!(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL)) {
            while (read_msg(p[0], &m))
                if (m.type == 'F') KFAIL("round %ld: the writer failed (call %u): %s", round, m.i, nidus_strerror(m.rc));
            KFAIL("round %ld: the writer ended by itself (status %d, eof %d)", round, wst, (int)eof);
        }
        ks.kills++;
        while (read_msg(p[0], &m)) {
            if (m.type == 'F') KFAIL("round %ld: the writer failed (call %u): %s", round, m.i, nidus_strerror(m.rc));
            if (m.type == 'O') opened = true;
            if (m.type == 'S') last_start = m.i;
            if (m.type == 'A') last_ack = m.i;
        }
        close(p[0]);
        if (!opened) ks.killed_opening++;
        /* KNOWN BUG (docs/RELIABILITY.md): a writer killed while it took over a
         * stale lock file in place (lock.c: ftruncate to 0, then pwrite the body)
         * leaves it empty, and every later open takes an empty lock for a live
         * writer until lock_ttl_ms has passed. Count it, and age the file past the
         * TTL as waiting would. */
        const char *lockp = t_path(dir, "lock");
        if (t_file_size(lockp) == 0) {
            ks.empty_lock++;
            if (env_long("NIDUS_KILL_STRICT", 1))
                KFAIL("round %ld: the killed writer left an empty lock file: the store stays locked for lock_ttl_ms", round);
            struct timespec ts[2];
            clock_gettime(CLOCK_REALTIME, &ts[0]);
            ts[0].tv_sec -= 61;
            ts[1] = ts[0];
            CHECK(utimensat(AT_FDCWD, lockp, ts, 0) == 0);
        }

        /* The model: every acked call; the one started and not acked is in flight. */
        uint64_t wrng = seed;
        tm_call c;
        long n_acked = last_ack == UINT32_MAX ? 0 : (long)last_ack + 1;
        for (long i = 0; i < n_acked; i++) {
            tm_gen(&wrng, KDIM, IDPOOL, 4, &c);
            tm_apply(&model, &c);
        }
        ks.acked += n_acked;
        bool inflight = last_start != UINT32_MAX && (long)last_start == n_acked;
        if (inflight) {
            tm_gen(&wrng, KDIM, IDPOOL, 4, &c);
            ks.inflight_kind[c.kind]++;
        }

        /* Reopen: read-write on even rounds (the killed writer's lock must not
         * stand in the way), read-only on odd ones. */
        bool rw = round % 2 == 0;
        nidus_config vc = kcfg(!rw);
        db = NULL;
        int rc = nidus_open(dir, &vc, &db);
        if (rc) KFAIL("round %ld: %s reopen after the kill: %s: %s", round, rw ? "read-write" : "read-only",
                      nidus_strerror(rc), nidus_errmsg(db));
        if (rw) ks.verify_rw++;
        else ks.verify_ro++;
        char *got = tm_dump_db(db, &rc);
        nidus_close(db);
        CHECK(got != NULL);
        tm_state next;
        int match;
        if (inflight) {
            match = tm_match(&model, &c, got, &next);
        } else {
            char *want_dump = tm_dump(&model);
            match = strcmp(got, want_dump) == 0 ? TM_BEFORE : TM_NONE;
            free(want_dump);
            if (match) tm_copy(&next, &model);
        }
        if (!match) {
            char *want_dump = tm_dump(&model);
            KFAIL("round %ld (seed %llu, %ld acked, in flight: %s): the store differs from the acknowledged "
                  "calls\n--- store\n%s--- model (acked)\n%s",
                  round, (unsigned long long)seed, n_acked, inflight ? tm_kind_name(c.kind) : "none", got, want_dump);
        }
        if (inflight) {
            if (match == TM_BEFORE) ks.inflight_absent++;
            else if (match == TM_AFTER) ks.inflight_whole++;
            else {
                ks.inflight_partial++;
                if (env_long("NIDUS_KILL_VERBOSE", 0)) {
                    char *wd = tm_dump(&model);
                    fprintf(stderr, "  kill: round %ld: partial %s of %zu into %s\n--- store\n%s--- model\n%s", round,
                            tm_kind_name(c.kind), c.n, c.coll, got, wd);
                    free(wd);
                }
            }
        }
        tm_free(&model);
        model = next;
        free(got);
        ks.rounds++;

        /* A reader that stopped has failed. */
        for (int i = 0; i < n_readers; i++) {
            int rs;
            if (waitpid(readers[i], &rs, WNOHANG) == readers[i]) {
                readers[i] = readers[--n_readers];
                reader_fd[i] = reader_fd[n_readers];
                KFAIL("round %ld: a reader failed (status %d; its message is above)", round, rs);
            }
        }
    }

    rstats total = {0};
    for (int i = 0; i < n_readers; i++) kill(readers[i], SIGTERM);
    for (int i = 0; i < n_readers; i++) {
        rstats rs = {0};
        int st;
        ssize_t got = read(reader_fd[i], &rs, sizeof rs);
        while (waitpid(readers[i], &st, 0) < 0 && errno == EINTR) {}
        close(reader_fd[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != (ssize_t)sizeof rs) {
            n_readers = 0;
            t_fail(__FILE__, __LINE__, "reader %d failed (status %d)", i, st);
        }
        total.opens += rs.opens;
        total.searches += rs.searches;
        total.hits += rs.hits;
        total.docs += rs.docs;
        total.tmp_errors += rs.tmp_errors;
    }
    n_readers = 0;
    tm_free(&model);
    fprintf(stderr,
            "  kill: %ld rounds, %ld writers SIGKILLed (%ld while opening), %ld acknowledged calls all present; "
            "call in flight: absent %ld, whole %ld, partial %ld; reopened read-write %ld, read-only %ld; "
            "%d readers: %ld snapshots, %ld searches, %ld hits and %ld records checked, no failure\n",
            ks.rounds, ks.kills, ks.killed_opening, ks.acked, ks.inflight_absent, ks.inflight_whole,
            ks.inflight_partial, ks.verify_rw, ks.verify_ro, want_readers, total.opens, total.searches, total.hits,
            total.docs);
    if (total.tmp_errors)
        fprintf(stderr, "  kill: KNOWN BUG: %ld read-only opens failed on a .tmp file a new compaction was writing "
                        "(NIDUS_KILL_STRICT=1 fails on it)\n", total.tmp_errors);
    if (ks.empty_lock)
        fprintf(stderr, "  kill: KNOWN BUG: %ld writers were killed between truncating a stale lock file and writing "
                        "their body; the store stayed locked (lock_ttl_ms) after each (NIDUS_KILL_STRICT=1 fails on it)\n",
                ks.empty_lock);
    fprintf(stderr, "  kill: calls in flight when killed:");
    for (int k = TC_UPSERT; k <= TC_COMPACT; k++) fprintf(stderr, " %s %ld", tm_kind_name(k), ks.inflight_kind[k]);
    fprintf(stderr, "\n");
    CHECK(ks.rounds == rounds);
}

/* ------------------------------------------------------- a reader's race ---- */

/* The reader race the kill test can hit, made deterministic with the recorder
 * seam: a reader reads the marker of a committed, unfinished compaction; before
 * it opens data.tmp, a writer's open finishes that compaction (renames, marker
 * gone) and a new compaction creates data.tmp afresh. The reader must retry, as it
 * does for every other change it detects (FORMAT.md §8.3: an opened .tmp must have
 * the marker's size). KNOWN BUG: it fails instead (NIDUS_KILL_STRICT=1 fails the
 * test; without it the outcome is printed). */
typedef struct race {
    const char *dir;
    bool marker_open, done;
} race;

static void race_hook(void *ctx, int op, int fd, const char *path, const char *path2, const void *buf, uint64_t len,
                      uint64_t off, int flags) {
    race *r = ctx;
    (void)fd, (void)path2, (void)buf, (void)len, (void)off, (void)flags;
    if (op == NIDUS__REC_OPEN && !strcmp(strrchr(path, '/') + 1, "compact")) r->marker_open = true;
    if (op == NIDUS__REC_CLOSE && r->marker_open && !r->done) {
        /* The reader has read the marker: the writer rolls forward, then starts
         * a new compaction (data.tmp created, not yet written). */
        r->done = true;
        CHECK(rename(t_path(r->dir, "data.tmp"), t_path(r->dir, "data")) == 0);
        CHECK(rename(t_path(r->dir, "log.tmp"), t_path(r->dir, "log")) == 0);
        CHECK(unlink(t_path(r->dir, "compact")) == 0);
        t_write_file(t_path(r->dir, "data.tmp"), "", 0);
    }
}

TEST(kill_reader_races_roll_forward_and_next_compaction) {
    const char *dir = t_tmpdir();
    nidus_config wc = kcfg(false);
    wc.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    nidus_db *db = th_open_cfg(dir, &wc);
    const float v[KDIM] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    CHECK_OK_DB(db, th_put(db, "c", "a", v)); /* a dead row, so compaction changes the files */
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    nidus_close(db);
    /* A writer dies right after committing a compaction (before its first rename
     * of a .tmp file): marker, data.tmp and log.tmp are left. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        nidus_db *w = NULL;
        if (nidus_open(dir, &wc, &w)) _exit(3);
        nidus__fault_arm(NIDUS__FAULT_RENAME | NIDUS__FAULT_CRASH, 1, 0);
        nidus_compact(w);
        _exit(4);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 86);
    CHECK(t_file_size(t_path(dir, "compact")) > 0 && t_file_size(t_path(dir, "data.tmp")) > 0);

    race r = {dir, false, false};
    nidus_config rc0 = kcfg(true); /* dimension 0: take it from the store, as the CLI does */
    nidus__io_record(race_hook, &r);
    int rc = nidus_open(dir, &rc0, &db);
    nidus__io_record(NULL, NULL);
    CHECK(r.done);
    if (rc == NIDUS_OK) {
        CHECK_INT(th_count(db, "c"), 2);
    } else {
        fprintf(stderr, "  KNOWN BUG: read-only open during a roll-forward and a new compaction: %s: %s\n",
                nidus_strerror(rc), nidus_errmsg(db));
        if (env_long("NIDUS_KILL_STRICT", 1)) t_fail(__FILE__, __LINE__, "the reader did not retry");
    }
    nidus_close(db);
}

/* test_lock.c — the writer lock (reference §3.5, §5.4 hazard 3, and nidus 0.3.1's
 * 5 lock tests): the nidus 0.3 lock file ("<pid> <millis>", TTL on mtime) plus the
 * advisory lock this port holds for a handle's life. Cross-process cases fork;
 * children always leave through _exit(). */
#include "test_store_helpers.h"

#include "test_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers ---- */

static const char *lock_path(const char *dir) { return t_path(dir, "lock"); }

/* The lock body, parsed: "<pid> <millis>", nothing else (no newline). */
static void read_body(const char *dir, long *pid, unsigned long long *ms) {
    size_t n;
    unsigned char *b = t_read_file(lock_path(dir), &n);
    if (!b) t_fail(__FILE__, __LINE__, "no lock file in %s", dir);
    CHECK(n > 2);
    CHECK(b[n - 1] != '\n');
    char *end = NULL;
    *pid = strtol((char *)b, &end, 10);
    CHECK(end && *end == ' ');
    char *end2 = NULL;
    *ms = strtoull(end + 1, &end2, 10);
    CHECK(end2 == (char *)b + n);
    for (size_t i = 0; i < n; i++) CHECK(b[i] == ' ' || (b[i] >= '0' && b[i] <= '9'));
    free(b);
}

static void write_body(const char *dir, long pid, unsigned long long ms) {
    char body[64];
    int n = snprintf(body, sizeof body, "%ld %llu", pid, ms);
    t_write_file(lock_path(dir), body, (size_t)n);
}

/* Move the lock file's mtime `age_ms` into the past. */
static void age_lock(const char *dir, uint64_t age_ms) {
    uint64_t t = nidus__now_ms() - age_ms;
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(t / 1000);
    ts[0].tv_nsec = ts[1].tv_nsec = (long)(t % 1000) * 1000000L;
    CHECK(utimensat(AT_FDCWD, lock_path(dir), ts, 0) == 0);
}

/* A pid that names no process: a child that has exited and been reaped. */
static pid_t dead_pid(void) {
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) _exit(0);
    int st;
    CHECK(waitpid(p, &st, 0) == p);
    CHECK(kill(p, 0) < 0 && errno == ESRCH);
    return p;
}

static nidus_config cfg_ttl(uint32_t dim, uint64_t ttl) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.lock_ttl_ms = ttl;
    return c;
}

/* Open expecting NIDUS_ELOCKED; returns the message (static copy). */
static const char *open_locked(const char *dir, const nidus_config *c) {
    static char msg[600];
    nidus_db *db = NULL;
    int rc = nidus_open(dir, c, &db);
    snprintf(msg, sizeof msg, "%s", nidus_errmsg(db));
    if (rc != NIDUS_ELOCKED)
        t_fail(__FILE__, __LINE__, "open %s -> %d (%s: %s), want NIDUS_ELOCKED", dir, rc, nidus_strerror(rc), msg);
    CHECK_INT(nidus_errcode(db), NIDUS_ELOCKED);
    nidus_close(db);
    return msg;
}

static void check_has(const char *msg, const char *needle) {
    if (!strstr(msg, needle)) t_fail(__FILE__, __LINE__, "message lacks \"%s\": %s", needle, msg);
}

static void check_body_is_ours(const char *dir) {
    long pid;
    unsigned long long ms;
    read_body(dir, &pid, &ms);
    CHECK_INT(pid, getpid());
    uint64_t now = nidus__now_ms();
    CHECK(ms <= now && now - ms < 60000);
}

/* Make a store and close it (so later opens find data and log). */
static void make_store(const char *dir) {
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_close(db);
}

static void read_byte(int fd) {
    char c;
    ssize_t r;
    do r = read(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    CHECK_INT(r, 1);
}

static void write_byte(int fd, char c) {
    ssize_t r;
    do r = write(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1) _exit(90);
}

static int wait_child(pid_t p) {
    int st;
    pid_t r;
    do r = waitpid(p, &st, 0);
    while (r < 0 && errno == EINTR);
    CHECK(r == p);
    return st;
}

/* ----------------------------------------------------------------- tests ---- */

TEST(lock_acquire_creates_file) {
    const char *dir = t_tmpdir();
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    uint64_t before = nidus__now_ms();
    nidus_db *db = th_open(dir, 3);
    CHECK(t_file_size(lock_path(dir)) > 0);
    long pid;
    unsigned long long ms;
    read_body(dir, &pid, &ms);
    CHECK_INT(pid, getpid());
    CHECK(ms >= before && ms <= nidus__now_ms());
    nidus_close(db);
    /* and directly through lock.c */
    nlock l;
    nerr e = {0};
    CHECK_RC(nidus__lock_acquire(&l, dir, 60000, &e), NIDUS_OK);
    CHECK(l.fd >= 0);
    CHECK_STR(l.path, lock_path(dir));
    check_body_is_ours(dir);
    nidus__lock_release(&l);
    CHECK(l.fd < 0);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
}

TEST(lock_second_open_fails_with_path) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    nidus_config c = cfg_ttl(3, 60000);
    const char *msg = open_locked(dir, &c);
    check_has(msg, "store is locked");
    check_has(msg, lock_path(dir));
    /* not even with ttl 0: our own writer holds the advisory lock */
    c.lock_ttl_ms = 0;
    age_lock(dir, 3600 * 1000);
    msg = open_locked(dir, &c);
    check_has(msg, "store is locked");
    /* the failed opens left the holder's lock file alone */
    check_body_is_ours(dir);
    const float v[3] = {1, 2, 3};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    /* through lock.c too */
    nlock l;
    nerr e = {0};
    CHECK_RC(nidus__lock_acquire(&l, dir, 60000, &e), NIDUS_ELOCKED);
    check_has(e.msg, "store is locked");
    check_has(e.msg, lock_path(dir));
    CHECK(l.path == NULL);
    nidus_close(db);
}

TEST(lock_close_removes_and_reopen_works) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    CHECK(t_file_size(lock_path(dir)) > 0);
    nidus_close(db);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    db = th_open(dir, 3);
    check_body_is_ours(dir);
    nidus_close(db);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    /* a failed open after the lock was taken releases it too */
    nidus_config c = cfg_ttl(9, 60000);
    nidus_db *bad = NULL;
    CHECK_RC(nidus_open(dir, &c, &bad), NIDUS_EDIM);
    nidus_close(bad);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    db = th_open(dir, 3);
    nidus_close(db);
}

/* A lock file naming a dead process, fresh mtime: reclaimed at once. */
TEST(lock_stale_dead_pid_reclaimed) {
    const char *dir = t_tmpdir();
    make_store(dir);
    pid_t dead = dead_pid();
    write_body(dir, (long)dead, (unsigned long long)nidus__now_ms());
    nidus_db *db = th_open(dir, 2);
    check_body_is_ours(dir);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_close(db);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    /* also in an empty directory (the lock is taken before any store file) */
    const char *fresh = t_tmpdir();
    write_body(fresh, (long)dead_pid(), (unsigned long long)nidus__now_ms());
    db = th_open(fresh, 2);
    check_body_is_ours(fresh);
    nidus_close(db);
}

/* A lock file naming a live process that holds no advisory lock (a nidus 0.3
 * writer): fresh, it blocks; older than lock_ttl_ms, it is stale. */
TEST(lock_live_foreign_pid_blocks_until_ttl) {
    const char *dir = t_tmpdir();
    make_store(dir);
    long foreign = (long)getppid(); /* the runner: alive, and not us */
    CHECK(foreign != getpid());
    write_body(dir, foreign, 1780512345678ull);
    nidus_config c = cfg_ttl(2, 1000);
    const char *msg = open_locked(dir, &c);
    check_has(msg, "store is locked");
    check_has(msg, lock_path(dir));
    /* untouched by the failed open */
    long pid;
    unsigned long long ms;
    read_body(dir, &pid, &ms);
    CHECK_INT(pid, foreign);
    CHECK_U64(ms, 1780512345678ull);
    /* pid 1 is as alive */
    write_body(dir, 1, 1);
    open_locked(dir, &c);
    /* a read-only open is not stopped by it */
    nidus_db *ro = th_open_ro(dir, 2);
    CHECK_U64(th_count(ro, "c"), 1);
    nidus_close(ro);
    /* just inside the TTL: still locked */
    write_body(dir, foreign, 1);
    age_lock(dir, 500);
    open_locked(dir, &c);
    /* older than the TTL: reclaimed */
    age_lock(dir, 5000);
    nidus_db *db = th_open_cfg(dir, &c);
    check_body_is_ours(dir);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_close(db);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
}

/* A lock file naming our own pid without an advisory lock: a handle of ours that
 * is gone (e.g. a fork's parent crashed mid-close); reclaimed. */
TEST(lock_own_pid_without_flock_reclaimed) {
    const char *dir = t_tmpdir();
    write_body(dir, (long)getpid(), (unsigned long long)nidus__now_ms());
    nidus_db *db = th_open(dir, 2);
    check_body_is_ours(dir);
    nidus_close(db);
}

/* Another process of ours holds the store: refused even with ttl 0 and an mtime
 * far in the past; the advisory lock protects a live writer. */
TEST(lock_second_process_refused_while_held) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    age_lock(dir, 24ull * 3600 * 1000);
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        nidus_config c = cfg_ttl(2, 0);
        nidus_db *x = NULL;
        int rc = nidus_open(dir, &c, &x);
        int code = rc == NIDUS_ELOCKED && strstr(nidus_errmsg(x), "store is locked") ? 0 : 10 + rc;
        nidus_close(x);
        /* a read-only open from the other process works */
        nidus_db *r = NULL;
        nidus_config rc_cfg = cfg_ttl(2, 0);
        rc_cfg.read_only = 1;
        if (code == 0 && nidus_open(dir, &rc_cfg, &r) != NIDUS_OK) code = 40;
        if (code == 0 && nidus_dimension(r) != 2) code = 41;
        nidus_close(r);
        _exit(code);
    }
    int st = wait_child(p);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 0);
    /* the holder goes on writing */
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    check_body_is_ours(dir);
    nidus_close(db);
}

/* A writer process that is SIGKILLed leaves its lock file behind; the kernel
 * dropped its advisory lock, so the store reopens at once. */
TEST(lock_killed_holder_reopens_at_once) {
    const char *dir = t_tmpdir();
    make_store(dir);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t p = fork();
    CHECK(p >= 0);
    if (p == 0) {
        alarm(60); /* never outlive a parent that failed before killing us */
        close(ready[0]);
        nidus_db *db = NULL;
        nidus_config c = cfg_ttl(2, 60000);
        if (nidus_open(dir, &c, &db) != NIDUS_OK) _exit(20);
        const float v[2] = {0, 1};
        if (th_put(db, "c", "b", v) != NIDUS_OK) _exit(21);
        write_byte(ready[1], 'k');
        for (;;) pause();
    }
    close(ready[1]);
    read_byte(ready[0]);
    close(ready[0]);
    /* while it lives: locked, whatever the TTL */
    nidus_config c = cfg_ttl(2, 0);
    age_lock(dir, 3600 * 1000);
    open_locked(dir, &c);
    long pid;
    unsigned long long ms;
    read_body(dir, &pid, &ms);
    CHECK_INT(pid, p);
    /* readers are welcome meanwhile */
    nidus_db *ro = th_open_ro(dir, 2);
    CHECK_U64(th_count(ro, "c"), 2);
    nidus_close(ro);
    CHECK(kill(p, SIGKILL) == 0);
    int st = wait_child(p);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK(t_file_size(lock_path(dir)) > 0); /* left behind */
    /* default TTL (60 s) and a fresh mtime: reopened at once all the same */
    CHECK(utimensat(AT_FDCWD, lock_path(dir), NULL, 0) == 0);
    nidus_db *db = th_open(dir, 2);
    check_body_is_ours(dir);
    CHECK_U64(th_count(db, "c"), 2);
    nidus_close(db);
}

/* Read-only handles take no lock and are not stopped by one. */
TEST(lock_readonly_open_while_writer_holds) {
    const char *dir = t_tmpdir();
    nidus_db *w = th_open(dir, 2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(w, th_put(w, "c", "a", v));
    nidus_db *r1 = th_open_ro(dir, 2);
    nidus_db *r2 = th_open_ro(dir, 0);
    CHECK_U64(th_count(r1, "c"), 1);
    CHECK_U64(nidus_dimension(r2), 2);
    check_body_is_ours(dir);
    /* the writer goes on; readers keep their snapshot */
    CHECK_OK_DB(w, th_put(w, "c", "b", v));
    CHECK_U64(th_count(r1, "c"), 1);
    nidus_close(r1);
    nidus_close(r2);
    CHECK(t_file_size(lock_path(dir)) > 0); /* closing readers leaves the writer's lock */
    nidus_db *r3 = th_open_ro(dir, 2);
    CHECK_U64(th_count(r3, "c"), 2);
    nidus_close(w);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    CHECK_U64(th_count(r3, "c"), 2);
    nidus_close(r3);
    /* a read-only open never makes a lock file */
    nidus_db *r4 = th_open_ro(dir, 2);
    CHECK_INT(t_file_size(lock_path(dir)), -1);
    nidus_close(r4);
}

/* A writer refreshes its lock file's mtime as it writes, so a nidus 0.3 writer
 * (which only looks at mtime) never sees a long-lived writer as stale. */
TEST(lock_touch_refreshes_mtime) {
    const char *dir = t_tmpdir();
    nidus_config c = cfg_ttl(2, 1000);
    nidus_db *db = th_open_cfg(dir, &c);
    age_lock(dir, 10 * 1000);
    usleep(300 * 1000); /* past a quarter of the TTL since the open */
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    struct stat st;
    CHECK(stat(lock_path(dir), &st) == 0);
    uint64_t mt = (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
    uint64_t now = nidus__now_ms();
    CHECK(now >= mt && now - mt < 1000);
    nidus_close(db);
}

/* The lock is the directory's: two stores, two independent locks. */
TEST(lock_is_per_store) {
    const char *a = t_tmpdir(), *b = t_tmpdir();
    nidus_db *da = th_open(a, 2);
    nidus_db *db = th_open(b, 2);
    nidus_config c = cfg_ttl(2, 60000);
    open_locked(a, &c);
    open_locked(b, &c);
    nidus_close(da);
    nidus_db *da2 = th_open(a, 2);
    open_locked(b, &c);
    nidus_close(da2);
    nidus_close(db);
}

/* Closing must not remove a lock file that is no longer ours: here the file was
 * replaced under a long-idle writer (as a nidus 0.3 writer does when it judges
 * the lock stale by mtime). The replacement must survive our close. */
TEST(lock_close_keeps_replaced_lock_file) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK(unlink(lock_path(dir)) == 0);
    long foreign = (long)getppid();
    write_body(dir, foreign, 1780512345678ull);
    nidus_close(db);
    long pid;
    unsigned long long ms;
    read_body(dir, &pid, &ms);
    CHECK_INT(pid, foreign);
    CHECK_U64(ms, 1780512345678ull);
    /* and that live foreign writer keeps a new writer of ours out */
    nidus_config c = cfg_ttl(2, 60000);
    open_locked(dir, &c);
}

/* lock.c — the writer lock. The `lock` file keeps nidus 0.3's body ("pid millis")
 * and mtime rule for 0.3 writers, and we also hold a BSD advisory lock (flock) on
 * it for the handle's whole life, so one of our writers is never displaced by
 * another: the kernel drops the advisory lock when the process dies, which lets
 * a crashed writer's store reopen at once. */
#include "nidus_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t nidus__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mtime_ms(const struct stat *st) {
    return (uint64_t)st->st_mtim.tv_sec * 1000u + (uint64_t)st->st_mtim.tv_nsec / 1000000u;
}

/* Is the pid written in a lock body a running process? Unknown counts as yes. */
static bool pid_running(long pid) {
    if (pid <= 0) return true;
    if (kill((pid_t)pid, 0) == 0) return true;
    return errno != ESRCH;
}

/* Decide whether an existing lock file, whose advisory lock we now hold, belongs to a
 * live writer that takes no advisory lock (nidus 0.3). */
static bool held_by_foreign_writer(int fd, const struct stat *st, uint64_t ttl_ms) {
    char body[64] = {0};
    uint64_t size = 0;
    ssize_t n = -1;
    if (nidus__io_fsize(fd, &size) == 0) {
        size_t want = size < sizeof body - 1 ? (size_t)size : sizeof body - 1;
        n = nidus__io_pread_full(fd, body, want, 0) == 0 ? (ssize_t)want : -1;
    }
    long pid = 0;
    if (n > 0) pid = strtol(body, NULL, 10);
    /* A body naming a dead process: nobody can be writing. */
    if (n > 0 && pid > 0 && !pid_running(pid)) return false;
    /* Our own pid with a free advisory lock: a handle of ours that is gone. */
    if (pid == (long)getpid()) return false;
    uint64_t now = nidus__now_ms(), mt = mtime_ms(st);
    uint64_t age = now > mt ? now - mt : 0;
    /* An empty body is a writer between its create and its first write: give it a
     * second even under a tiny TTL. */
    if (n <= 0 && ttl_ms < 1000) ttl_ms = 1000;
    return age <= ttl_ms;
}

int nidus__lock_acquire(nlock *l, const char *dir, uint64_t ttl_ms, nerr *e) {
    size_t n = strlen(dir);
    l->fd = -1;
    l->ttl_ms = ttl_ms;
    l->path = nidus__malloc(n + 6);
    if (!l->path) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    memcpy(l->path, dir, n);
    memcpy(l->path + n, "/lock", 6);

    char body[48];
    int blen = snprintf(body, sizeof body, "%ld %llu", (long)getpid(), (unsigned long long)nidus__now_ms());
    static atomic_uint seq;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.%u", l->path, (long)getpid(), atomic_fetch_add(&seq, 1));
    for (int attempt = 0; attempt < 8; attempt++) {
        /* Create `lock` with its body already in it: write a private file, then
         * link it into place (atomic, and fails if `lock` exists). A writer that
         * dies at any instant leaves either no lock or one naming its dead pid. */
        bool created = false;
        int fd = nidus__io_open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            nidus__err_sys(e, -fd, "failed to create lock file at %s", tmp);
            goto fail;
        }
        int r = nidus__io_pwrite_full(fd, body, (size_t)blen, 0);
        if (r == 0) r = nidus__io_fsync(fd);
        if (r < 0) {
            nidus__io_close(fd);
            (void)nidus__io_unlink(tmp);
            nidus__err_sys(e, -r, "failed to write lock file at %s", tmp);
            goto fail;
        }
        int lr = nidus__io_link(tmp, l->path);
        if (lr == 0) {
            created = true;
        } else {
            nidus__io_close(fd);
            fd = lr == -EEXIST ? nidus__io_open(l->path, O_RDWR, 0) : lr;
        }
        (void)nidus__io_unlink(tmp);
        if (fd == -ENOENT) continue; /* removed meanwhile: try again */
        if (fd < 0) {
            nidus__err_sys(e, -fd, "failed to create lock file at %s", l->path);
            goto fail;
        }
        /* A file we just created is ours: give an opener that is only looking at it
         * a moment to let go (bounded: never wait on a live writer). */
        int fr, tries = created ? 200 : 1;
        do {
            fr = flock(fd, LOCK_EX | LOCK_NB);
            if (fr < 0 && errno == EWOULDBLOCK && --tries > 0) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
                errno = EINTR;
            }
        } while (fr < 0 && errno == EINTR);
        if (fr < 0) {
            int err = errno;
            nidus__io_close(fd);
            if (err == EWOULDBLOCK) {
                nidus__err(e, NIDUS_ELOCKED, 0, "store is locked: %s (held by a running writer)", l->path);
                goto fail;
            }
            nidus__err_sys(e, err, "failed to lock %s", l->path);
            goto fail;
        }
        /* The path must still name the inode we locked: a writer that was closing
         * may have unlinked it between our open and our flock. */
        struct stat fst;
        if (!nidus__io_same_file(fd, l->path, &fst)) {
            nidus__io_close(fd);
            continue;
        }
        if (!created && held_by_foreign_writer(fd, &fst, ttl_ms)) {
            nidus__io_close(fd);
            nidus__err(e, NIDUS_ELOCKED, 0, "store is locked: %s", l->path);
            goto fail;
        }
        r = 0;
        if (!created) {
            /* Taking over a stale lock, same inode: body first, then cut to its
             * length, so a crash in between never leaves an empty body (which
             * reads as a live writer for a while). */
            r = nidus__io_pwrite_full(fd, body, (size_t)blen, 0);
            if (r == 0) r = nidus__io_ftruncate(fd, (uint64_t)blen);
            if (r == 0) r = nidus__io_fsync(fd);
        }
        if (r == 0 && created) r = nidus__io_fsync_dir(dir);
        if (r < 0) {
            nidus__err_sys(e, -r, "failed to write lock file at %s", l->path);
            if (created) (void)nidus__io_unlink(l->path);
            nidus__io_close(fd);
            goto fail;
        }
        l->fd = fd;
        l->last_touch_ms = nidus__now_ms();
        return NIDUS_OK;
    }
    nidus__err(e, NIDUS_ELOCKED, 0, "store is locked: %s (lock file keeps changing)", l->path);
fail:
    nidus__free(l->path);
    l->path = NULL;
    return e->code;
}

void nidus__lock_touch(nlock *l) {
    if (l->fd < 0) return;
    uint64_t now = nidus__now_ms();
    if (now - l->last_touch_ms < l->ttl_ms / 4) return;
    if (futimens(l->fd, NULL) == 0) l->last_touch_ms = now;
}

void nidus__lock_release(nlock *l) {
    if (l->fd >= 0) {
        /* Unlink while still holding the advisory lock, so a waiting opener that
         * locks the old inode sees it is no longer the path and retries. Only if
         * the path still names our file: a nidus 0.3 writer may have reclaimed an
         * idle writer's lock by mtime and put its own in place. */
        if (nidus__io_same_file(l->fd, l->path, NULL)) (void)nidus__io_unlink(l->path);
        nidus__io_close(l->fd);
        l->fd = -1;
    }
    nidus__free(l->path);
    l->path = NULL;
}

/* store.c — the handle: open and replay, the collections and their documents, and
 * every write as a transaction (validate, prepare every allocation, write the
 * files with rollback, then commit to memory in steps that cannot fail). */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors ---- */

int nidus__set_error(nidus_db *db, const nerr *e) {
    pthread_mutex_lock(&db->errmu);
    db->err = *e;
    pthread_mutex_unlock(&db->errmu);
    return e->code;
}

int nidus__set_errorf(nidus_db *db, int code, const char *fmt, ...) {
    nerr e = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    return nidus__set_error(db, &e);
}

const char *nidus_errmsg(const nidus_db *db) {
    if (!db || db->magic != NIDUS_DB_MAGIC) return "no handle (NULL or closed)";
    return db->err.code ? db->err.msg : "not an error";
}

int nidus_errmsg_copy(const nidus_db *db, char *buf, size_t cap) {
    if (!db || db->magic != NIDUS_DB_MAGIC) {
        if (cap) snprintf(buf, cap, "%s", "no handle (NULL or closed)");
        return NIDUS_EMISUSE;
    }
    nidus_db *m = (nidus_db *)db;
    pthread_mutex_lock(&m->errmu);
    int code = m->err.code;
    if (cap) snprintf(buf, cap, "%s", code ? m->err.msg : "not an error");
    pthread_mutex_unlock(&m->errmu);
    return code;
}

int nidus_errcode(const nidus_db *db) {
    return !db || db->magic != NIDUS_DB_MAGIC ? NIDUS_EMISUSE : db->err.code;
}

int nidus_sys_errno(const nidus_db *db) {
    return !db || db->magic != NIDUS_DB_MAGIC ? 0 : db->err.sys;
}

/* ------------------------------------------------------------ open/close ---- */

void nidus_config_init(nidus_config *cfg, uint32_t dimension) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->dimension = dimension;
    cfg->fsync = NIDUS_FSYNC_PER_BATCH;
    cfg->auto_compact = 0.5;
    cfg->lock_ttl_ms = 60000;
}

static nidus_db *db_alloc(void) {
    nidus_db *db = nidus__calloc(1, sizeof *db);
    if (!db) return NULL;
    if (pthread_rwlock_init(&db->rw, NULL) != 0) {
        nidus__free(db);
        return NULL;
    }
    if (pthread_mutex_init(&db->errmu, NULL) != 0) {
        pthread_rwlock_destroy(&db->rw);
        nidus__free(db);
        return NULL;
    }
    db->magic = NIDUS_DB_MAGIC;
    db->data.fd = db->log.fd = db->lock.fd = -1;
    return db;
}

/* Everything but the handle shell, so a failed open keeps its message. */
static void db_release(nidus_db *db) {
    nidus__colls_free(&db->colls);
    nidus__data_free(&db->data);
    if (db->log.fd >= 0) nidus__io_close(db->log.fd);
    db->log.fd = -1;
    nidus__lock_release(&db->lock);
}

/* Every file name of the store, in one allocation: the directory, then each
 * "<dir>/<name>". */
int nidus__paths_init(npaths *p, const char *dir) {
    static const char *const names[] = {"data", "log", "data.new", "data.tmp", "log.tmp", "compact", "compact.tmp"};
    char **slots[] = {&p->data, &p->log, &p->data_new, &p->data_tmp, &p->log_tmp, &p->marker, &p->marker_tmp};
    enum { N = sizeof names / sizeof *names };
    size_t n = strlen(dir), total = n + 1;
    for (size_t i = 0; i < N; i++) total += n + strlen(names[i]) + 2;
    char *b = nidus__malloc(total);
    if (!b) return NIDUS_ENOMEM;
    memcpy(b, dir, n + 1);
    p->dir = b;
    b += n + 1;
    for (size_t i = 0; i < N; i++) {
        size_t k = strlen(names[i]);
        *slots[i] = b;
        memcpy(b, dir, n);
        b[n] = '/';
        memcpy(b + n + 1, names[i], k + 1);
        b += n + k + 2;
    }
    return NIDUS_OK;
}

void nidus__paths_free(npaths *p) {
    nidus__free(p->dir);
    *p = (npaths){0};
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The compaction marker: "nidus-compact 1 <data.tmp size> <log.tmp size>\n".
 * Returns 0 absent, 1 present and parsed, -1 malformed, -2 unreadable. */
static int read_marker(const char *path, char *text, size_t cap, uint64_t *dsize, uint64_t *lsize) {
    text[0] = 0;
    int fd = nidus__io_open(path, O_RDONLY, 0);
    if (fd == -ENOENT) return 0;
    if (fd < 0) return -2;
    uint64_t size = 0;
    ssize_t n = -1;
    if (nidus__io_fsize(fd, &size) == 0) {
        size_t want = size < cap - 1 ? (size_t)size : cap - 1;
        n = nidus__io_pread_full(fd, text, want, 0) == 0 ? (ssize_t)want : -1;
    }
    nidus__io_close(fd);
    if (n < 0) return -2;
    if (n == 0) return -1;
    text[n] = 0;
    unsigned long long d, l;
    int used = 0;
    if (sscanf(text, "nidus-compact 1 %llu %llu\n%n", &d, &l, &used) != 2 || used != (int)n) return -1;
    *dsize = d;
    *lsize = l;
    return 1;
}

static bool size_is(const char *path, uint64_t want) {
    struct stat st;
    return stat(path, &st) == 0 && (uint64_t)st.st_size == want;
}

/* Writer: finish a compaction that a crash interrupted after it committed (the
 * marker `compact` exists). Each tmp file that still exists replaces its target,
 * once its size agrees with the marker. */
static int roll_forward(const npaths *p, nerr *e) {
    char text[128];
    uint64_t dsize = 0, lsize = 0;
    int m = read_marker(p->marker, text, sizeof text, &dsize, &lsize);
    if (m == 0) return NIDUS_OK;
    if (m == -2) return nidus__err(e, NIDUS_EIO, 0, "cannot read compaction marker %s", p->marker);
    bool have_d = exists(p->data_tmp), have_l = exists(p->log_tmp);
    if (m < 0 || (have_d && !size_is(p->data_tmp, dsize)) || (have_l && !size_is(p->log_tmp, lsize)))
        return nidus__err(e, NIDUS_ECORRUPT, 0,
                          "compaction marker %s is malformed or does not match data.tmp/log.tmp; "
                          "nothing was changed",
                          p->marker);
    int r = 0;
    if (have_d) r = nidus__io_rename(p->data_tmp, p->data);
    if (r == 0 && have_l) r = nidus__io_rename(p->log_tmp, p->log);
    if (r == 0) r = nidus__io_fsync_dir(p->dir);
    if (r == 0) r = nidus__io_unlink(p->marker);
    if (r == 0) r = nidus__io_fsync_dir(p->dir);
    return r < 0 ? nidus__err_sys(e, -r, "failed to finish an interrupted compaction in %s", p->dir) : NIDUS_OK;
}

static int create_empty_log(nidus_db *db, nerr *e) {
    const char *lpath = db->paths.log;
    int fd = nidus__io_open(lpath, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return nidus__err_sys(e, -fd, "open log at %s", lpath);
    int r = nidus__io_fsync(fd);
    nidus__io_close(fd);
    if (r == 0) r = nidus__io_fsync_dir(db->paths.dir);
    return r < 0 ? nidus__err_sys(e, -r, "failed to sync new log at %s", lpath) : NIDUS_OK;
}

/* Replay the log into the handle's collections and count what it reports. */
static int replay(nidus_db *db, int fd, uint64_t size, nreplay *rp, nerr *e) {
    int rc = nidus__replay(&db->colls, db->data.rows, fd, size, rp, e);
    db->dead_rows += rp->dead_rows;
    db->ignored_upserts += rp->ignored_upserts;
    return rc;
}

/* A log with records but no `data` to go with it is a damaged store, not a new
 * one: creating `data` afresh would silently drop every record. */
static int refuse_if_log(nidus_db *db, nerr *e) {
    struct stat st;
    if (stat(db->paths.log, &st) == 0 && st.st_size > 0)
        return nidus__err(e, NIDUS_ECORRUPT, 0,
                          "%s has a %lld-byte log but no vectors (data missing or empty); not creating a new store "
                          "over it",
                          db->paths.dir, (long long)st.st_size);
    return NIDUS_OK;
}

/* Create a new store atomically: the header goes to `data.new`, fsynced, then an
 * empty log, then the rename to `data` and a directory fsync. A crash at any
 * instant leaves either no `data` (a new store again) or a complete header. */
static int create_store(nidus_db *db, nerr *e) {
    const char *tmp = db->paths.data_new;
    int rc = refuse_if_log(db, e);
    if (rc) return rc;
    if (db->cfg.dimension == 0)
        return nidus__err(e, NIDUS_EINVAL, 0, "cannot create a store at %s with dimension 0", db->paths.dir);
    int fd = nidus__io_open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return nidus__err_sys(e, -fd, "failed to create data file at %s", tmp);
    uint8_t hdr[NIDUS_HEADER_LEN];
    nidus__header_encode(hdr, db->cfg.dimension);
    int r = nidus__io_pwrite_full(fd, hdr, sizeof hdr, 0);
    if (r == 0) r = nidus__io_fsync(fd);
    nidus__io_close(fd);
    if (r < 0) {
        rc = nidus__err_sys(e, -r, "failed to write data file header at %s", tmp);
        (void)nidus__io_unlink(tmp);
        return rc;
    }
    if ((rc = create_empty_log(db, e))) {
        (void)nidus__io_unlink(tmp);
        return rc;
    }
    r = nidus__io_rename(tmp, db->paths.data);
    if (r == 0) r = nidus__io_fsync_dir(db->paths.dir);
    if (r < 0) {
        rc = nidus__err_sys(e, -r, "failed to create data file at %s", db->paths.data);
        (void)nidus__io_unlink(tmp);
    }
    return rc;
}

/* Open `data` and `log` for a writer: create a new store if there is none, cut a
 * partial row and a torn log tail, replay. */
static int open_writer_files(nidus_db *db, nerr *e) {
    int rc = NIDUS_OK;
    nrow_reader rows = {0};
    const char *dpath = db->paths.data, *lpath = db->paths.log;
    int fd = nidus__io_open(dpath, O_RDWR, 0);
    if (fd == -ENOENT) {
        if ((rc = create_store(db, e))) goto out;
        fd = nidus__io_open(dpath, O_RDWR, 0);
    }
    if (fd < 0) {
        rc = nidus__err_sys(e, -fd, "failed to open data file at %s", dpath);
        goto out;
    }
    db->data.fd = fd;
    uint64_t size;
    int r = nidus__io_fsize(fd, &size);
    if (r < 0) {
        rc = nidus__err_sys(e, -r, "failed to stat data file at %s", dpath);
        goto out;
    }
    if (size == 0) {
        /* An empty `data` (a nidus 0.3 writer creates it before its header): give
         * it a header, unless a log says this store once held something. */
        if ((rc = refuse_if_log(db, e))) goto out;
        if (db->cfg.dimension == 0) {
            rc = nidus__err(e, NIDUS_EINVAL, 0, "cannot create a store at %s with dimension 0", db->paths.dir);
            goto out;
        }
        uint8_t hdr[NIDUS_HEADER_LEN];
        nidus__header_encode(hdr, db->cfg.dimension);
        r = nidus__io_pwrite_full(fd, hdr, sizeof hdr, 0);
        if (r == 0) r = nidus__io_fsync(fd);
        if (r < 0) {
            (void)nidus__io_ftruncate(fd, 0);
            rc = nidus__err_sys(e, -r, "failed to write data file header at %s", dpath);
            goto out;
        }
        size = NIDUS_HEADER_LEN;
    }
    uint32_t dim = db->cfg.dimension;
    if ((rc = nidus__data_load_header(&db->data, fd, size, &dim, db->cfg.max_vector_bytes, dpath, e))) goto out;
    db->cfg.dimension = dim;
    nidus__rows_start(&rows, &db->data, fd, dpath);
    uint64_t good = NIDUS_HEADER_LEN + db->data.rows * (uint64_t)dim * 4;
    if (size > good) {
        r = nidus__io_ftruncate(fd, good);
        if (r < 0) {
            rc = nidus__err_sys(e, -r, "failed to truncate partial tail from data file");
            goto out;
        }
    }

    fd = nidus__io_open(lpath, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        rc = nidus__err_sys(e, -fd, "open log at %s", lpath);
        goto out;
    }
    db->log.fd = fd;
    if ((r = nidus__io_fsize(fd, &size)) < 0) {
        rc = nidus__err_sys(e, -r, "failed to stat log at %s", lpath);
        goto out;
    }
    nreplay rp;
    if ((rc = replay(db, fd, size, &rp, e))) goto out;
    if (rp.torn || rp.good_end < size) {
        r = nidus__io_ftruncate(fd, rp.good_end);
        if (r < 0) {
            rc = nidus__err_sys(e, -r, "failed to truncate torn log tail");
            goto out;
        }
    }
    db->log.size = rp.good_end;
out:
    return nidus__rows_finish(&rows, rc, e);
}

/* Open `data` and `log` for a read-only snapshot: nothing is created or modified.
 * A committed-but-unfinished compaction (marker present) is read through its tmp
 * files. Returns NIDUS_EAGAIN-like 1 when a concurrent compaction moved a file. */
static int open_reader_files(nidus_db *db, nerr *e, bool *retry, bool *mismatch) {
    int rc = NIDUS_OK, dfd = -1, lfd = -1, mk = 0;
    nrow_reader rows = {0};
    char m1[128] = "", m2[128];
    uint64_t msd = 0, msl = 0, dsize0 = 0, lsize0 = 0;
    const char *dp = NULL, *lp = NULL;
    *retry = false;
    const char *marker = db->paths.marker, *dpath = db->paths.data, *lpath = db->paths.log,
               *dtmp = db->paths.data_tmp, *ltmp = db->paths.log_tmp;
    mk = read_marker(marker, m1, sizeof m1, &msd, &msl);
    if (mk == -2) {
        rc = nidus__err(e, NIDUS_EIO, 0, "cannot read compaction marker %s", marker);
        goto out;
    }
    if (mk < 0) {
        rc = nidus__err(e, NIDUS_ECORRUPT, 0, "compaction marker %s is malformed", marker);
        goto out;
    }
    bool rolled = mk > 0;
    dp = dpath, lp = lpath;
    if (rolled) {
        dfd = nidus__io_open(dtmp, O_RDONLY, 0);
        if (dfd >= 0) dp = dtmp;
    }
    if (dfd < 0) dfd = nidus__io_open(dpath, O_RDONLY, 0);
    if (dfd == -ENOENT) {
        rc = nidus__err(e, NIDUS_ENOTFOUND, ENOENT, "no nidus store at %s (no data file)", db->paths.dir);
        goto out;
    }
    if (dfd < 0) {
        rc = nidus__err_sys(e, -dfd, "failed to open data file at %s", dpath);
        goto out;
    }
    uint64_t size;
    int r = nidus__io_fsize(dfd, &size);
    if (r < 0) {
        rc = nidus__err_sys(e, -r, "failed to stat data file at %s", dp);
        goto out;
    }
    dsize0 = size;
    if (dp == dtmp && size != msd) { /* a later compaction is writing data.tmp anew */
        *retry = *mismatch = true;
        goto out;
    }
    if (size == 0) {
        /* A nidus 0.3 writer has just created it: an empty store of the requested
         * dimension. */
        if (db->cfg.dimension == 0) {
            rc = nidus__err(e, NIDUS_EINVAL, 0, "data file at %s is empty and no dimension was given", dp);
            goto out;
        }
        db->data.dim = db->cfg.dimension;
    } else {
        uint32_t dim = db->cfg.dimension;
        if ((rc = nidus__data_load_header(&db->data, dfd, size, &dim, db->cfg.max_vector_bytes, dp, e))) goto out;
        db->cfg.dimension = dim;
        nidus__rows_start(&rows, &db->data, dfd, dp);
    }
    /* `data` is sized first: log records past these rows are ignored (reader rule). */
    if (rolled) {
        lfd = nidus__io_open(ltmp, O_RDONLY, 0);
        if (lfd >= 0) lp = ltmp;
    }
    if (lfd < 0) lfd = nidus__io_open(lpath, O_RDONLY, 0);
    if (lfd >= 0) {
        if ((r = nidus__io_fsize(lfd, &size)) < 0) {
            rc = nidus__err_sys(e, -r, "failed to stat log at %s", lp);
            goto out;
        }
        lsize0 = size;
        if (lp == ltmp && size != msl) {
            *retry = *mismatch = true;
            goto out;
        }
        nreplay rp;
        if ((rc = replay(db, lfd, size, &rp, e))) goto out;
        db->log.size = rp.good_end; /* a torn tail is ignored, never cut */
    } else if (lfd != -ENOENT) {
        rc = nidus__err_sys(e, -lfd, "open log at %s", lpath);
        goto out;
    }
    /* A compaction that started or finished while we read may have paired files
     * from two generations: check the names still lead to what we read. */
    int mk2 = read_marker(marker, m2, sizeof m2, &msd, &msl);
    if (mk2 != mk || strcmp(m1, m2) != 0 || !nidus__io_same_file(dfd, dp, NULL) ||
        (lfd >= 0 && !nidus__io_same_file(lfd, lp, NULL)))
        *retry = true;
out:
    rc = nidus__rows_finish(&rows, rc, e);
    /* An error while a compaction moved the files under us is no error of the
     * store: read again. */
    if (rc != NIDUS_OK && rc != NIDUS_ENOMEM && dp) {
        char m3[128];
        uint64_t a, b;
        int mk3 = read_marker(marker, m3, sizeof m3, &a, &b);
        uint64_t dnow = dsize0, lnow = lsize0;
        if (dfd >= 0) (void)nidus__io_fsize(dfd, &dnow);
        if (lfd >= 0) (void)nidus__io_fsize(lfd, &lnow);
        /* A writer cutting a torn tail or rolling back a failed append shrinks a file
         * we were reading: the same kind of change. */
        if (mk3 != mk || strcmp(m1, m3) != 0 || (dfd >= 0 && !nidus__io_same_file(dfd, dp, NULL)) ||
            (lfd >= 0 && !nidus__io_same_file(lfd, lp, NULL)) || dnow != dsize0 || lnow != lsize0) {
            rc = NIDUS_OK;
            *retry = true;
        }
    }
    if (dfd >= 0) nidus__io_close(dfd);
    if (lfd >= 0) nidus__io_close(lfd);
    return rc;
}

static void reset_memory(nidus_db *db) {
    nidus__colls_clear(&db->colls);
    db->dead_rows = 0;
    db->ignored_upserts = 0;
    nidus__data_free(&db->data);
    db->log.size = 0;
}

int nidus_open(const char *path, const nidus_config *cfg, nidus_db **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    nidus_config c;
    if (cfg) {
        if (cfg->struct_size != sizeof *cfg) return NIDUS_EMISUSE; /* not from nidus_config_init */
        c = *cfg;
    } else {
        nidus_config_init(&c, 0);
    }
    nidus_db *db = db_alloc();
    if (!db) return NIDUS_ENOMEM;
    *out = db;
    db->cfg = c;
    nerr e = {0};
    int rc = NIDUS_OK;
    if (!path || !*path) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "store path is empty");
        goto fail;
    }
    if (c.fsync != NIDUS_FSYNC_PER_BATCH && c.fsync != NIDUS_FSYNC_ON_FLUSH) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "unknown fsync mode %d", (int)c.fsync);
        goto fail;
    }
    if (isnan(c.auto_compact)) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "auto_compact ratio is NaN");
        goto fail;
    }
    if (nidus__paths_init(&db->paths, path)) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
        goto fail;
    }
    if (!c.read_only && c.dimension == 0) {
        /* Refuse before creating anything: a new store needs a dimension. */
        struct stat st;
        if (!(stat(db->paths.data, &st) == 0 && st.st_size > 0)) {
            rc = nidus__err(&e, NIDUS_EINVAL, 0, "cannot create a store at %s with dimension 0", path);
            goto fail;
        }
    }
    if (!c.read_only) {
        int r = nidus__io_mkdir_p(path);
        if (r < 0) {
            rc = nidus__err_sys(&e, -r, "failed to create store directory \"%s\"", path);
            goto fail;
        }
        if ((rc = nidus__lock_acquire(&db->lock, path, c.lock_ttl_ms, &e))) goto fail;
        if ((rc = roll_forward(&db->paths, &e))) goto fail;
        if ((rc = open_writer_files(db, &e))) goto fail;
    } else {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
            rc = nidus__err(&e, NIDUS_ENOTFOUND, errno, "no nidus store at %s", path);
            goto fail;
        }
        for (int attempt = 0;; attempt++) {
            bool retry, mismatch = false;
            if ((rc = open_reader_files(db, &e, &retry, &mismatch))) goto fail;
            if (!retry) break;
            if (attempt >= 200) {
                /* A marker whose sizes never match its files is damage, not a race. */
                rc = mismatch ? nidus__err(&e, NIDUS_ECORRUPT, 0,
                                           "compaction marker in %s does not match data.tmp/log.tmp", path)
                              : nidus__err(&e, NIDUS_EIO, 0,
                                           "the files of %s kept changing while being read "
                                           "(compactions in progress?); try again",
                                           path);
                goto fail;
            }
            reset_memory(db);
            db->cfg.dimension = c.dimension;
            usleep(2000); /* let the compaction finish its renames */
        }
    }
    db->data.dim = db->cfg.dimension;
    if (!c.read_only) {
        double rows = db->data.rows ? (double)db->data.rows : 1.0;
        /* Log records that point past `data` (the rows were lost) would point at the
         * next rows appended: compaction drops them before any append. */
        bool must = db->ignored_upserts > 0;
        bool want = c.auto_compact >= 0 && (double)(float)db->dead_rows / (double)(float)rows > c.auto_compact;
        if (must || want) {
            nerr ce = {0};
            int crc = nidus__compact_locked(db, &ce);
            /* Otherwise opportunistic: a failed auto-compaction leaves the store as it was. */
            if (db->broken || (must && crc)) {
                rc = nidus__err(&e, ce.code, ce.sys, "%s", ce.msg);
                goto fail;
            }
        }
    }
    return NIDUS_OK;
fail:
    db_release(db);
    db->failed = true;
    db->err = e;
    if (rc == NIDUS_ENOMEM && !e.msg[0]) nidus__err(&db->err, rc, 0, "out of memory");
    return rc;
}

int nidus_open_memory(uint32_t dimension, nidus_db **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    nidus_db *db = db_alloc();
    if (!db) return NIDUS_ENOMEM;
    *out = db;
    nidus_config_init(&db->cfg, dimension);
    db->cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    db->memory = true;
    db->data.dim = dimension;
    if (dimension == 0) {
        db->failed = true;
        nidus__err(&db->err, NIDUS_EINVAL, 0, "dimension must be at least 1");
        return NIDUS_EINVAL;
    }
    return NIDUS_OK;
}

int nidus_close(nidus_db *db) {
    if (!db) return NIDUS_OK;
    if (db->magic != NIDUS_DB_MAGIC) return NIDUS_EMISUSE;
    db_release(db);
    db->magic = 0;
    pthread_rwlock_destroy(&db->rw);
    pthread_mutex_destroy(&db->errmu);
    nidus__paths_free(&db->paths);
    nidus__free(db);
    return NIDUS_OK;
}

/* ----------------------------------------------------------------- entry ---- */

int nidus__enter_read(nidus_db *db) {
    if (!db || db->magic != NIDUS_DB_MAGIC || db->failed) return NIDUS_EMISUSE;
    pthread_rwlock_rdlock(&db->rw);
    return NIDUS_OK;
}

void nidus__leave(nidus_db *db) { pthread_rwlock_unlock(&db->rw); }

/* Every mutation starts here: the handle, then the writable check. */
int nidus__enter_write(nidus_db *db) {
    if (!db || db->magic != NIDUS_DB_MAGIC || db->failed) return NIDUS_EMISUSE;
    pthread_rwlock_wrlock(&db->rw);
    if (db->cfg.read_only) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EREADONLY, "read-only store: mutations are not allowed");
    }
    if (db->broken) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EBROKEN, "a failed rollback left the files ahead of memory; reopen the store");
    }
    nidus__lock_touch(&db->lock);
    return NIDUS_OK;
}

uint32_t nidus_dimension(const nidus_db *db) {
    return db && db->magic == NIDUS_DB_MAGIC && !db->failed ? db->cfg.dimension : 0;
}

int nidus_get_config(const nidus_db *db, nidus_config *out) {
    if (!db || db->magic != NIDUS_DB_MAGIC || db->failed || !out) return NIDUS_EMISUSE;
    *out = db->cfg;
    return NIDUS_OK;
}

/* --------------------------------------------------------------- commit ---- */

/* Append frames (and sync per policy); on failure the log is as before. A rollback
 * that itself fails marks the handle broken: the file may hold a record that memory
 * does not, and only a reopen can reconcile them. */
static int log_commit(nidus_db *db, const nbuf *frames, nerr *e) {
    uint64_t mark = db->log.size;
    int rc = nidus__log_append(&db->log, frames, e);
    if (rc) {
        uint64_t size;
        if (db->log.fd >= 0 && (nidus__io_fsize(db->log.fd, &size) < 0 || size != mark)) db->broken = true;
        return rc;
    }
    if (db->cfg.fsync == NIDUS_FSYNC_PER_BATCH && (rc = nidus__log_sync(&db->log, e))) {
        nerr ignored;
        if (nidus__log_truncate(&db->log, mark, &ignored)) db->broken = true;
        return rc;
    }
    return NIDUS_OK;
}

#define CHECK_NAME(db, what, s)                                                          \
    do {                                                                                 \
        if (!nidus__utf8_cstr(s)) {                                                              \
            nidus__leave(db);                                                            \
            return nidus__set_errorf(db, NIDUS_EINVAL, "%s is NULL or not valid UTF-8", what); \
        }                                                                                \
    } while (0)

int nidus_create_collection(nidus_db *db, const char *name) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", name);
    nerr e = {0};
    nbuf frames = {0};
    ncoll *c = NULL;
    bool fresh = false;
    if ((rc = nidus__coll_get(&db->colls, name, strlen(name), &c, &fresh, "out of memory", &e)) || !fresh) goto out;
    nop op = {.tag = OP_CREATE, .coll = c->name};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = log_commit(db, &frames, &e))) goto out;
    nidus__colls_insert(&db->colls, c);
    fresh = false;
out:
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

int nidus_drop_collection(nidus_db *db, const char *name) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", name);
    nerr e = {0};
    nbuf frames = {0};
    ncoll *c = nidus__coll_find(&db->colls, name, strlen(name));
    if (!c) goto out;
    nop op = {.tag = OP_DROP, .coll = c->name};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = log_commit(db, &frames, &e))) goto out;
    db->dead_rows += nidus__colls_remove(&db->colls, c);
out:
    nidus__buf_free(&frames);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

int nidus_has_collection(nidus_db *db, const char *name) {
    if (!name || nidus__enter_read(db)) return 0;
    int found = nidus__coll_find(&db->colls, name, strlen(name)) != NULL;
    nidus__leave(db);
    return found;
}

int nidus_set_meta(nidus_db *db, const char *collection, const nidus_meta_entry *entries, size_t count) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", collection);
    nerr e = {0};
    nbuf frames = {0};
    nmeta meta = {0};
    ncoll *c = NULL;
    bool fresh = false;
    size_t len = strlen(collection);
    if ((rc = nidus__meta_from_input(entries, count, &meta, &e))) goto out;
    /* nidus 0.3 creates the collection implicitly and logs only the SetMeta. */
    if ((rc = nidus__coll_get(&db->colls, collection, len, &c, &fresh, "out of memory", &e))) goto out;
    nop op = {.tag = OP_SETMETA, .coll = {collection, len}, .meta = meta};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = log_commit(db, &frames, &e))) goto out;
    if (fresh) nidus__colls_insert(&db->colls, c);
    fresh = false;
    nidus__meta_free(&c->meta);
    c->meta = meta;
    meta = (nmeta){0};
out:
    nidus__meta_free(&meta);
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* ---------------------------------------------------------------- upsert ---- */

typedef struct staged {
    nidus_str id;
    nattrs attrs;
} staged;

static int validate_vector(const float *v, size_t n, size_t index, nerr *e) {
    if (!v) return nidus__err(e, NIDUS_EINVAL, 0, "record %zu: vector is NULL", index);
    for (size_t j = 0; j < n; j++)
        if (!isfinite(v[j]))
            return nidus__err(e, NIDUS_EINVAL, 0, "record %zu: vector element %zu is %s", index, j,
                              isnan(v[j]) ? "NaN" : "infinite");
    return NIDUS_OK;
}

int nidus_upsert(nidus_db *db, const char *collection, const nidus_record *records, size_t count) {
    return nidus_upsert_ex(db, collection, records, count, 0);
}

int nidus_upsert_ex(nidus_db *db, const char *collection, const nidus_record *records, size_t count,
                    unsigned flags) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", collection);
    if (flags & ~NIDUS_UPSERT_NORMALIZED) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EINVAL, "unknown upsert flags (only NIDUS_UPSERT_NORMALIZED is defined)");
    }
    nerr e = {0};
    nbuf frames = {0};
    staged *st = NULL;
    float *vecs = NULL;
    ncoll *c = NULL;
    bool fresh = false;
    size_t nstaged = 0, len = strlen(collection), blobs = 0;
    narena_chunk *mark = NULL; /* c->strs before this call reserved room */
    bool reserved = false;
    uint32_t dim = db->cfg.dimension;
    uint64_t data_mark = db->data.rows;

    if (count && !records) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "records is NULL");
        goto out;
    }
    /* Validate everything before anything is touched. */
    for (size_t i = 0; i < count; i++) {
        if (records[i].dim != dim) {
            rc = nidus__err(&e, NIDUS_EDIM, 0, "vector length %zu does not match store dimension %u",
                            records[i].dim, dim);
            goto out;
        }
        if (!nidus__utf8_cstr(records[i].id)) {
            rc = nidus__err(&e, NIDUS_EINVAL, 0, "record %zu: id is NULL or not valid UTF-8", i);
            goto out;
        }
        if ((rc = validate_vector(records[i].vector, dim, i, &e))) goto out;
        if (flags & NIDUS_UPSERT_NORMALIZED) {
            double sq = 0;
            for (uint32_t j = 0; j < dim; j++) sq += (double)records[i].vector[j] * records[i].vector[j];
            if (sq != 0 && fabs(sqrt(sq) - 1.0) > 1e-4) {
                rc = nidus__err(&e, NIDUS_EINVAL, 0,
                                "record %zu: NIDUS_UPSERT_NORMALIZED but its norm is %.9g", i, sqrt(sq));
                goto out;
            }
        }
    }
    if ((rc = nidus__coll_get(&db->colls, collection, len, &c, &fresh, "out of memory", &e))) goto out;
    if (fresh) {
        nop op = {.tag = OP_CREATE, .coll = c->name};
        if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    }
    if (count == 0) {
        if (fresh) {
            if ((rc = log_commit(db, &frames, &e))) goto out;
            nidus__colls_insert(&db->colls, c);
            fresh = false;
        }
        goto out;
    }
    uint64_t cap = db->cfg.max_vector_bytes;
    if (cap) {
        uint64_t projected = (db->data.rows + count) * (uint64_t)dim * 4;
        if (projected > cap) {
            rc = nidus__err(&e, NIDUS_ECAPACITY, 0,
                            "upsert would grow the vector matrix to %llu bytes, exceeding max_vector_bytes "
                            "(%llu bytes); compact() can reclaim dead rows",
                            (unsigned long long)projected, (unsigned long long)cap);
            goto out;
        }
    }
    /* Prepare: every allocation the commit will need. */
    if ((rc = nidus__coll_reserve(c, count, &e))) goto out;
    if ((rc = nidus__data_reserve(&db->data, count, &e))) goto out;
    if (!(st = nidus__calloc(count, sizeof *st)) || !(vecs = nidus__mallocarray(count, (size_t)dim * sizeof(float)))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory staging %zu records", count);
        goto out;
    }
    for (size_t i = 0; i < count; i++, nstaged++) {
        size_t idlen = strlen(records[i].id);
        st[i].id.ptr = nidus__strndup(records[i].id, idlen);
        st[i].id.len = idlen;
        if (!st[i].id.ptr) {
            rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
            goto out;
        }
        if ((rc = nidus__attrs_from_input(records[i].attrs, records[i].n_attrs, &st[i].attrs, &e))) {
            char why[sizeof e.msg];
            memcpy(why, e.msg, sizeof why);
            nidus__err(&e, rc, 0, "record %zu (id \"%s\"): %s", i, records[i].id, why);
            nidus__free((char *)st[i].id.ptr);
            goto out;
        }
        float *v = vecs + i * (size_t)dim;
        memcpy(v, records[i].vector, (size_t)dim * sizeof(float));
        if (!(flags & NIDUS_UPSERT_NORMALIZED)) nidus__normalize(v, dim);
        nop op = {.tag = OP_UPSERT, .coll = {collection, len}, .id = st[i].id, .row = data_mark + i,
                  .attrs = st[i].attrs};
        if ((rc = nidus__frame_append(&frames, &op, &e))) {
            nstaged++;
            goto out;
        }
        nidus__add_sat(&blobs, nidus__blob_size(idlen, &st[i].attrs));
    }
    /* Room for every record's blob, so the commit cannot fail (undone below if
     * the call fails after all). */
    mark = nidus__arena_mark(&c->strs);
    reserved = true;
    if (nidus__arena_reserve(&c->strs, blobs) != NIDUS_OK) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory staging %zu records", count);
        goto out;
    }
    /* Write: vectors, fsync (always: a logged row must already be durable), log. */
    if ((rc = nidus__data_append(&db->data, vecs, count, &e))) goto out;
    if ((rc = nidus__data_sync(&db->data, &e)) || (rc = log_commit(db, &frames, &e))) {
        nerr ignored;
        if (nidus__data_truncate(&db->data, data_mark, &ignored)) db->broken = true;
        goto out;
    }
    /* Commit to memory: nothing below can fail. */
    if (fresh) nidus__colls_insert(&db->colls, c);
    fresh = false;
    for (size_t i = 0; i < count; i++)
        db->dead_rows += nidus__doc_put(c, st[i].id, data_mark + i, &st[i].attrs,
                                        nidus__id_hash(st[i].id.ptr, st[i].id.len),
                                        nidus__blob_size(st[i].id.len, &st[i].attrs));
    reserved = false;
out: /* the docs hold copies: the staged strings go in every case */
    if (reserved && !fresh) nidus__arena_rollback(&c->strs, mark); /* a fresh collection goes whole */
    for (size_t i = 0; i < nstaged; i++) {
        nidus__free((char *)st[i].id.ptr);
        nidus__attrs_free(&st[i].attrs);
    }
    nidus__free(st);
    nidus__free(vecs);
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* ---------------------------------------------------------------- delete ---- */

/* Delete the docs at the given positions of c (distinct). Logs one Delete each. */
static int delete_docs(nidus_db *db, ncoll *c, const size_t *idx, size_t n, size_t *deleted, nerr *e) {
    int rc = NIDUS_OK;
    nbuf frames = {0};
    nidus_str *ids = NULL;
    if (n == 0) goto out;
    if (!(ids = nidus__mallocarray(n, sizeof *ids))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = c->docs[idx[i]].id;
        nop op = {.tag = OP_DELETE, .coll = c->name, .id = ids[i]};
        if ((rc = nidus__frame_append(&frames, &op, e))) goto out;
    }
    if ((rc = log_commit(db, &frames, e))) goto out;
    /* A delete moves the last doc into the hole, so find each one by id (ids[i]
     * points into its blob, which stays until compaction). */
    for (size_t i = 0; i < n; i++) {
        ndoc *d = nidus__doc_find(c, ids[i].ptr, ids[i].len);
        if (d) {
            nidus_str id = d->id;
            db->dead_rows += nidus__doc_del(c, id.ptr, id.len);
        }
    }
out:
    if (deleted) *deleted = rc ? 0 : n;
    nidus__free(ids);
    nidus__buf_free(&frames);
    return rc;
}

int nidus_delete(nidus_db *db, const char *collection, const char *const *ids, size_t count, size_t *deleted) {
    if (deleted) *deleted = 0;
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", collection);
    nerr e = {0};
    size_t *idx = NULL, n = 0;
    ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    if (count && !ids) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "ids is NULL");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (!ids[i]) {
            rc = nidus__err(&e, NIDUS_EINVAL, 0, "id %zu is NULL", i);
            goto out;
        }
    if (!c || count == 0) goto out;
    if (!(idx = nidus__mallocarray(count, sizeof *idx))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        ndoc *d = nidus__doc_find(c, ids[i], strlen(ids[i]));
        if (!d) continue;
        size_t k = (size_t)(d - c->docs);
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++) dup = idx[j] == k;
        if (!dup) idx[n++] = k;
    }
    rc = delete_docs(db, c, idx, n, deleted, &e);
out:
    nidus__free(idx);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

int nidus_delete_where(nidus_db *db, const char *collection, const nidus_pred *filter, size_t n_filter,
                       size_t *deleted) {
    if (deleted) *deleted = 0;
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    CHECK_NAME(db, "collection name", collection);
    nerr e = {0};
    nfilter *f = NULL;
    size_t *idx = NULL, n = 0;
    if (n_filter && !filter) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "filter is NULL");
        goto out;
    }
    if ((rc = nidus__filter_compile(filter, n_filter, &f, &e))) goto out;
    ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    if (!c || c->n == 0) goto out;
    if (!(idx = nidus__mallocarray(c->n, sizeof *idx))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < c->n; i++)
        if (nidus__filter_match(f, &c->docs[i].attrs)) idx[n++] = i;
    rc = delete_docs(db, c, idx, n, deleted, &e);
out:
    nidus__free(idx);
    nidus__filter_free(f);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* ----------------------------------------------------------- flush/compact ---- */

int nidus_flush(nidus_db *db) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    nerr e = {0};
    if (!(rc = nidus__data_sync(&db->data, &e))) rc = nidus__log_sync(&db->log, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

static int write_whole(const char *path, const nbuf *b, int *fd_out, nerr *e) {
    int fd = nidus__io_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return nidus__err_sys(e, -fd, "open %s", path);
    int r = b->len ? nidus__io_pwrite_full(fd, b->p, b->len, 0) : 0;
    if (r == 0) r = nidus__io_fsync(fd);
    if (r < 0) {
        nidus__io_close(fd);
        return nidus__err_sys(e, -r, "write %s", path);
    }
    *fd_out = fd;
    return NIDUS_OK;
}

/* Compaction, crash-atomic through the marker file `compact`: before the marker is
 * durable, a crash leaves the old store (tmp files are ignored); after it, open
 * rolls the renames forward. Called with the write lock held. */
int nidus__compact_locked(nidus_db *db, nerr *e) {
    int rc = NIDUS_OK, dfd = -1, lfd = -1;
    uint32_t dim = db->cfg.dimension;
    uint64_t live = 0;
    float *vec = NULL;
    ndoc ***sorted = NULL;
    narena *strs = NULL; /* the rebuilt arenas of collections with dead blobs */
    bool *rebuild = NULL;
    nbuf frames = {0};
    const npaths *p = &db->paths;
    bool touched = false, committed = false; /* wrote files of ours; made them the store */

    for (size_t i = 0; i < db->colls.n; i++) live += db->colls.v[i]->n;
    if (!(sorted = nidus__calloc(db->colls.n ? db->colls.n : 1, sizeof *sorted)) ||
        !(strs = nidus__calloc(db->colls.n ? db->colls.n : 1, sizeof *strs)) ||
        !(rebuild = nidus__calloc(db->colls.n ? db->colls.n : 1, sizeof *rebuild)) ||
        (live && !(vec = nidus__mallocarray((size_t)live, (size_t)dim * sizeof(float))))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving the compacted vector matrix (%llu rows)",
                        (unsigned long long)live);
        goto out;
    }
    uint64_t row = 0;
    for (size_t i = 0; i < db->colls.n; i++) {
        ncoll *c = db->colls.v[i];
        nop op = {.tag = OP_CREATE, .coll = c->name};
        if ((rc = nidus__frame_append(&frames, &op, e))) goto out;
        if (c->meta.n) {
            nop m = {.tag = OP_SETMETA, .coll = c->name, .meta = c->meta};
            if ((rc = nidus__frame_append(&frames, &m, e))) goto out;
        }
        if (!(sorted[i] = nidus__docs_by_id(c))) {
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < c->n; j++, row++) {
            const ndoc *d = sorted[i][j];
            memcpy(vec + row * dim, db->data.vec + d->row * dim, (size_t)dim * sizeof(float));
            nop u = {.tag = OP_UPSERT, .coll = c->name, .id = d->id, .row = row, .attrs = d->attrs};
            if ((rc = nidus__frame_append(&frames, &u, e))) goto out;
        }
        /* Rebuild the arena when it holds dead blobs, or room that reservations
         * left behind (a batch that did not fit starts a new chunk) beyond what
         * the live blobs and one growing chunk account for. */
        size_t bytes = nidus__coll_live_bytes(c);
        rebuild[i] = c->dead_blobs || c->strs.bytes > (uint64_t)bytes + bytes / 4 + NIDUS_ARENA_MAX_CHUNK;
        if (rebuild[i]) {
            if (bytes && nidus__arena_reserve(&strs[i], bytes) != NIDUS_OK) {
                rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory rebuilding the ids and attributes of \"%s\"",
                                c->name.ptr);
                goto out;
            }
        }
    }
    if (!db->memory) {
        touched = true;
        if ((rc = nidus__data_write_file(p->data_tmp, dim, vec, live, e))) goto out;
        dfd = nidus__io_open(p->data_tmp, O_RDWR, 0);
        if (dfd < 0) {
            rc = nidus__err_sys(e, -dfd, "reopen %s", p->data_tmp);
            goto out;
        }
        if ((rc = write_whole(p->log_tmp, &frames, &lfd, e))) goto out;
        char body[96];
        int n = snprintf(body, sizeof body, "nidus-compact 1 %llu %llu\n",
                         (unsigned long long)(NIDUS_HEADER_LEN + live * dim * 4), (unsigned long long)frames.len);
        nbuf mb = {(uint8_t *)body, (size_t)n, (size_t)n};
        int mfd = -1;
        if ((rc = write_whole(p->marker_tmp, &mb, &mfd, e))) goto out;
        nidus__io_close(mfd);
        int r = nidus__io_rename(p->marker_tmp, p->marker);
        if (r == 0) r = nidus__io_fsync_dir(p->dir);
        if (r < 0) {
            rc = nidus__err_sys(e, -r, "failed to commit compaction marker in %s", p->dir);
            (void)nidus__io_unlink(p->marker); /* if the rename happened but the sync failed */
            goto out;
        }
        committed = true;
        /* From here the compacted store is the store: finish, or leave it to open. */
        r = nidus__io_rename(p->data_tmp, p->data);
        if (r == 0) r = nidus__io_rename(p->log_tmp, p->log);
        if (r == 0) r = nidus__io_fsync_dir(p->dir);
        if (r == 0) r = nidus__io_unlink(p->marker);
        if (r == 0) r = nidus__io_fsync_dir(p->dir);
        if (r < 0) {
            rc = nidus__err_sys(e, -r, "compaction committed but not finished in %s (the next open finishes it)",
                                p->dir);
            db->broken = true;
        }
    }
    /* Swap memory to the compacted store. */
    row = 0;
    for (size_t i = 0; i < db->colls.n; i++) {
        ncoll *c = db->colls.v[i];
        for (size_t j = 0; j < c->n; j++) sorted[i][j]->row = row++;
        atomic_store(&c->scan_ok, false); /* rows now follow id order */
        if (rebuild[i]) nidus__coll_move_blobs(c, &strs[i]); /* only the live blobs move */
    }
    nidus__free(db->data.vec);
    db->data.vec = vec;
    vec = NULL;
    db->data.rows = db->data.cap_rows = live;
    db->dead_rows = 0;
    db->log.size = frames.len;
    if (!db->memory) {
        nidus__io_close(db->data.fd);
        nidus__io_close(db->log.fd);
        db->data.fd = dfd;
        db->log.fd = lfd;
        dfd = lfd = -1;
    }
out:
    if (touched && !committed) {
        /* Not committed: the old store stands; remove whatever of ours got written
         * (best effort: without the marker, leftovers are ignored anyway). */
        const char *ours[] = {p->data_tmp, p->log_tmp, p->marker_tmp};
        for (size_t i = 0; i < 3; i++)
            if (access(ours[i], F_OK) == 0) (void)nidus__io_unlink(ours[i]);
    }
    if (dfd >= 0) nidus__io_close(dfd);
    if (lfd >= 0) nidus__io_close(lfd);
    for (size_t i = 0; sorted && i < db->colls.n; i++) nidus__free(sorted[i]);
    nidus__free(sorted);
    for (size_t i = 0; strs && i < db->colls.n; i++) nidus__arena_free(&strs[i]);
    nidus__free(strs);
    nidus__free(rebuild);
    nidus__free(vec);
    nidus__buf_free(&frames);
    return rc;
}

int nidus_compact(nidus_db *db) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    nerr e = {0};
    rc = nidus__compact_locked(db, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

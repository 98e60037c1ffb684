/* open.c — opening a store (SPEC.md §5): creating a new one, the writer's open
 * (lock, roll an interrupted compaction forward, cut torn tails, replay), the
 * read-only open that never writes and reads again while a compaction moves the
 * files, and nidus_open's phases around them: check the arguments, compute the
 * paths, open as writer or reader, compact if due (writer), or keep the failure. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

/* Replay the log into the handle's collections and count what it reports. */
static int replay(nidus_db *db, int fd, uint64_t size, nreplay *rp, nerr *e) {
    /* Mapped rows leave the second core free for the replay (no row threads). */
    int rc = nidus__replay(&db->colls, db->data.rows, fd, size, db->data.map != NULL || db->data.rows == 0, rp, e);
    db->dead_rows += rp->dead_rows;
    db->ignored_upserts += rp->ignored_upserts;
    return rc;
}

/* ----------------------------------------------------------- a new store ---- */

static int create_empty_log(nidus_db *db, nerr *e) {
    const char *lpath = db->paths.log;
    int fd = nidus__io_open(lpath, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return nidus__err_sys(e, -fd, "open log at %s", lpath);
    int r = nidus__io_fsync(fd);
    nidus__io_close(fd);
    if (r == 0) r = nidus__io_fsync_dir(db->paths.dir);
    return r < 0 ? nidus__err_sys(e, -r, "failed to sync new log at %s", lpath) : NIDUS_OK;
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
    uint8_t hdr[NIDUS__HEADER_LEN];
    nidus__header_encode_distance(hdr, db->cfg.dimension, nidus__distance_effective(db->cfg.distance));
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

/* ------------------------------------------------------------ the writer ---- */

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
    db->data.want_map = db->cfg.map_rows == 1; /* with data.fd kept: room for appends */
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
        uint8_t hdr[NIDUS__HEADER_LEN];
        nidus__header_encode_distance(hdr, db->cfg.dimension, nidus__distance_effective(db->cfg.distance));
        r = nidus__io_pwrite_full(fd, hdr, sizeof hdr, 0);
        if (r == 0) r = nidus__io_fsync(fd);
        if (r < 0) {
            (void)nidus__io_ftruncate(fd, 0);
            rc = nidus__err_sys(e, -r, "failed to write data file header at %s", dpath);
            goto out;
        }
        size = NIDUS__HEADER_LEN;
    }
    uint32_t dim = db->cfg.dimension;
    int distance = db->cfg.distance;
    if ((rc = nidus__data_load_header(&db->data, fd, size, &dim, &distance, db->cfg.max_vector_bytes, dpath, e)))
        goto out;
    db->cfg.dimension = dim;
    db->cfg.distance = distance;
    nidus__rows_start(&rows, &db->data, fd, dpath);
    uint64_t good = NIDUS__HEADER_LEN + db->data.rows * (uint64_t)dim * 4, dsize = size;

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
    /* Only a log that replayed (no later version's op, no corruption) lets the
     * writer cut anything: a partial row of `data`, then a torn log tail. */
    nerr te;
    if (dsize > good && nidus__data_truncate(&db->data, db->data.rows, &te)) {
        rc = nidus__err_sys(e, te.sys, "failed to truncate partial tail from data file");
        goto out;
    }
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

/* The writer's open: refuse a later nidus's store and a new store without a
 * dimension before creating anything, then the directory, the lock, an interrupted compaction finished, and
 * the files. */
static int open_writer(nidus_db *db, nerr *e) {
    const char *path = db->paths.dir;
    /* A later nidus's store is refused before anything is created (foreign.c). */
    int rc = nidus__foreign_refuse_writer(path, e);
    if (rc) return rc;
    if (db->cfg.dimension == 0) {
        struct stat st;
        if (!(stat(db->paths.data, &st) == 0 && st.st_size > 0))
            return nidus__err(e, NIDUS_EINVAL, 0, "cannot create a store at %s with dimension 0", path);
    }
    int r = nidus__io_mkdir_p(path);
    if (r < 0) return nidus__err_sys(e, -r, "failed to create store directory \"%s\"", path);
    rc = nidus__lock_acquire(&db->lock, path, db->cfg.lock_ttl_ms, e);
    if (!rc) rc = nidus__roll_forward(&db->paths, e);
    if (!rc) rc = open_writer_files(db, e);
    return rc;
}

/* ------------------------------------------------------------ the reader ---- */

/* What one read-only attempt came to. */
typedef enum read_try {
    READ_OK,       /* a consistent snapshot is in memory */
    READ_FAILED,   /* an error of the store (the code is returned beside) */
    READ_AGAIN,    /* the files moved under us: read again */
    READ_MISMATCH, /* a tmp file's size is not the marker's: again (damage if it persists) */
} read_try;

/* The files a reader opened, as it found them. */
typedef struct snapshot {
    int mk; /* nidus__marker_read's verdict, and the marker's text */
    char marker[NIDUS__MARKER_MAX];
    int dfd, lfd;          /* -1: not open */
    const char *dp, *lp;   /* the names they were opened by */
    uint64_t dsize, lsize; /* their sizes then (0 until known) */
} snapshot;

/* The one "files moved under us" check: the marker changed, or a name no longer
 * leads to the file we read; with `sizes`, also a file that shrank or grew (a
 * writer cutting a torn tail or rolling back a failed append). */
static bool files_moved(const npaths *p, const snapshot *s, bool sizes) {
    char now[NIDUS__MARKER_MAX];
    uint64_t a, b;
    int mk = nidus__marker_read(p->marker, now, sizeof now, &a, &b);
    if (mk != s->mk || strcmp(s->marker, now) != 0) return true;
    if (s->dfd >= 0 && !nidus__io_same_file(s->dfd, s->dp, NULL)) return true;
    if (s->lfd >= 0 && !nidus__io_same_file(s->lfd, s->lp, NULL)) return true;
    if (!sizes) return false;
    uint64_t dnow = s->dsize, lnow = s->lsize;
    if (s->dfd >= 0) (void)nidus__io_fsize(s->dfd, &dnow);
    if (s->lfd >= 0) (void)nidus__io_fsize(s->lfd, &lnow);
    return dnow != s->dsize || lnow != s->lsize;
}

/* Read `data` and `log` into memory as a read-only snapshot: nothing is created or
 * modified. A committed-but-unfinished compaction (marker present) is read
 * through its tmp files. On READ_FAILED, *rc is the error (e says why). */
static read_try read_snapshot(nidus_db *db, nerr *e, int *rc) {
    const npaths *p = &db->paths;
    snapshot s = {.dfd = -1, .lfd = -1};
    nrow_reader rows = {0};
    read_try t = READ_OK;
    uint64_t msd = 0, msl = 0, size;
    int r;
    *rc = NIDUS_OK;
    s.mk = nidus__marker_read(p->marker, s.marker, sizeof s.marker, &msd, &msl);
    if (s.mk == NIDUS__MARKER_UNREADABLE) {
        *rc = nidus__err(e, NIDUS_EIO, 0, "cannot read compaction marker %s", p->marker);
        goto out;
    }
    if (s.mk == NIDUS__MARKER_MALFORMED) {
        *rc = nidus__err(e, NIDUS_ECORRUPT, 0, "compaction marker %s is malformed", p->marker);
        goto out;
    }
    bool rolled = s.mk == NIDUS__MARKER_FOUND;
    s.dp = p->data, s.lp = p->log;
    if (rolled) {
        s.dfd = nidus__io_open(p->data_tmp, O_RDONLY, 0);
        if (s.dfd >= 0) s.dp = p->data_tmp;
    }
    if (s.dfd < 0) s.dfd = nidus__io_open(p->data, O_RDONLY, 0);
    if (s.dfd == -ENOENT) {
        *rc = nidus__err(e, NIDUS_ENOTFOUND, ENOENT, "no nidus store at %s (no data file)", p->dir);
        goto out;
    }
    if (s.dfd < 0) {
        *rc = nidus__err_sys(e, -s.dfd, "failed to open data file at %s", p->data);
        goto out;
    }
    if ((r = nidus__io_fsize(s.dfd, &size)) < 0) {
        *rc = nidus__err_sys(e, -r, "failed to stat data file at %s", s.dp);
        goto out;
    }
    s.dsize = size;
    if (s.dp == p->data_tmp && size != msd) { /* a later compaction is writing data.tmp anew */
        t = READ_MISMATCH;
        goto out;
    }
    if (size == 0) {
        /* A nidus 0.3 writer has just created it: an empty store of the requested
         * dimension. */
        if (db->cfg.dimension == 0) {
            *rc = nidus__err(e, NIDUS_EINVAL, 0, "data file at %s is empty and no dimension was given", s.dp);
            goto out;
        }
        db->data.dim = db->cfg.dimension;
        db->cfg.distance = nidus__distance_effective(db->cfg.distance);
    } else {
        uint32_t dim = db->cfg.dimension;
        int distance = db->cfg.distance;
        db->data.want_map = db->cfg.map_rows == 1;
        if ((*rc = nidus__data_load_header(&db->data, s.dfd, size, &dim, &distance, db->cfg.max_vector_bytes, s.dp,
                                           e)))
            goto out;
        db->cfg.dimension = dim;
        db->cfg.distance = distance;
        nidus__rows_start(&rows, &db->data, s.dfd, s.dp);
    }
    /* `data` is sized first: log records past these rows are ignored (reader rule). */
    if (rolled) {
        s.lfd = nidus__io_open(p->log_tmp, O_RDONLY, 0);
        if (s.lfd >= 0) s.lp = p->log_tmp;
    }
    if (s.lfd < 0) s.lfd = nidus__io_open(p->log, O_RDONLY, 0);
    if (s.lfd >= 0) {
        if ((r = nidus__io_fsize(s.lfd, &size)) < 0) {
            *rc = nidus__err_sys(e, -r, "failed to stat log at %s", s.lp);
            goto out;
        }
        s.lsize = size;
        if (s.lp == p->log_tmp && size != msl) {
            t = READ_MISMATCH;
            goto out;
        }
        nreplay rp;
        if ((*rc = replay(db, s.lfd, size, &rp, e))) goto out;
        db->log.size = rp.good_end; /* a torn tail is ignored, never cut */
    } else if (s.lfd != -ENOENT) {
        *rc = nidus__err_sys(e, -s.lfd, "open log at %s", p->log);
        goto out;
    }
    /* A compaction that started or finished while we read may have paired files
     * from two generations: check the names still lead to what we read. */
    if (files_moved(p, &s, false)) t = READ_AGAIN;
out:
    *rc = nidus__rows_finish(&rows, *rc, e);
    /* An error while a compaction moved the files under us is no error of the
     * store: read again. */
    if (*rc != NIDUS_OK && *rc != NIDUS_ENOMEM && s.dp && files_moved(p, &s, true)) {
        *rc = NIDUS_OK;
        t = READ_AGAIN;
    }
    if (s.dfd >= 0) nidus__io_close(s.dfd);
    if (s.lfd >= 0) nidus__io_close(s.lfd);
    return *rc ? READ_FAILED : t;
}

static void reset_memory(nidus_db *db) {
    nidus__colls_clear(&db->colls);
    db->dead_rows = 0;
    db->ignored_upserts = 0;
    nidus__data_free(&db->data);
    db->log.size = 0;
}

/* The read-only open: snapshots until one is consistent. */
static int open_reader(nidus_db *db, nerr *e) {
    const char *path = db->paths.dir;
    const uint32_t dim = db->cfg.dimension; /* as asked: 0 adopts the store's */
    const int distance = db->cfg.distance;  /* as asked: AUTO adopts the store's */
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return nidus__err(e, NIDUS_ENOTFOUND, errno, "no nidus store at %s", path);
    /* A later nidus's manifest and segments (foreign.c): read only if every row
     * lives in `data`. */
    int frc = nidus__foreign_check_reader(path, e);
    if (frc) return frc;
    for (int attempt = 0;; attempt++) {
        int rc;
        read_try t = read_snapshot(db, e, &rc);
        if (t == READ_OK) return NIDUS_OK;
        if (t == READ_FAILED) return rc;
        if (attempt >= 200) {
            /* A marker whose sizes never match its files is damage, not a race. */
            return t == READ_MISMATCH ? nidus__err(e, NIDUS_ECORRUPT, 0,
                                                   "compaction marker in %s does not match data.tmp/log.tmp", path)
                                      : nidus__err(e, NIDUS_EIO, 0,
                                                   "the files of %s kept changing while being read "
                                                   "(compactions in progress?); try again",
                                                   path);
        }
        reset_memory(db);
        db->cfg.dimension = dim;
        db->cfg.distance = distance;
        usleep(2000); /* let the compaction finish its renames */
    }
}

/* ------------------------------------------------------------ nidus_open ---- */

/* Arguments a store cannot be opened with, before anything is touched. */
static int check_args(const char *path, const nidus_config *c, nerr *e) {
    if (!path || !*path) return nidus__err(e, NIDUS_EINVAL, 0, "store path is empty");
    if (c->fsync != NIDUS_FSYNC_PER_BATCH && c->fsync != NIDUS_FSYNC_ON_FLUSH)
        return nidus__err(e, NIDUS_EINVAL, 0, "unknown fsync mode %d", (int)c->fsync);
    if (isnan(c->auto_compact)) return nidus__err(e, NIDUS_EINVAL, 0, "auto_compact ratio is NaN");
    int rc = nidus__check_shadow(c->shadow, e);
    if (!rc) rc = nidus__check_map_rows(c->map_rows, e);
    return rc ? rc : nidus__check_distance(c->distance, e);
}

/* After a writer's replay: compact when log records point past `data` (the rows
 * were lost, and they would point at the next rows appended: compaction drops
 * them before any append), or, opportunistically, when the dead rows pass the
 * auto-compact ratio (a failure then leaves the store as it was). */
static int compact_if_due(nidus_db *db, nerr *e) {
    double rows = db->data.rows ? (double)db->data.rows : 1.0;
    bool must = db->ignored_upserts > 0;
    /* Dead here is every row no live record holds: nidus 0.3's dead rows (what the
     * footprint reports) plus orphan rows, of crashes and of failed writes, which no
     * logged op counts (SPEC.md §14.1). Without orphans the two agree. */
    uint64_t live = 0;
    for (size_t i = 0; i < db->colls.n; i++) live += db->colls.v[i]->n;
    uint64_t dead = db->data.rows > live ? db->data.rows - live : 0;
    if (dead < db->dead_rows) dead = db->dead_rows;
    bool want = db->cfg.auto_compact >= 0 &&
                (double)(float)dead / (double)(float)rows > db->cfg.auto_compact;
    if (!must && !want) return NIDUS_OK;
    nerr ce = {0};
    int crc = nidus__compact_locked(db, &ce);
    if (db->broken || (must && crc)) return nidus__err(e, ce.code, ce.sys, "%s", ce.msg);
    return NIDUS_OK;
}

/* A failed open keeps the handle shell and its message, nothing else: it accepts
 * only the error calls and nidus_close. */
static int open_failed(nidus_db *db, int rc, const nerr *e) {
    nidus__db_release(db);
    db->failed = true;
    db->err = *e;
    if (rc == NIDUS_ENOMEM && !e->msg[0]) nidus__err(&db->err, rc, 0, "out of memory");
    return rc;
}

int nidus_open(const char *path, const nidus_config *cfg, nidus_db **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    nidus_config c;
    if (cfg) {
        if (!nidus__config_copy(&c, cfg)) return NIDUS_EMISUSE; /* not from nidus_config_init */
    } else {
        nidus_config_init(&c, 0);
    }
    nidus_db *db = nidus__db_alloc();
    if (!db) return NIDUS_ENOMEM;
    *out = db;
    db->cfg = c;
    nerr e = {0};
    int rc = check_args(path, &c, &e);
    if (!rc && nidus__paths_init(&db->paths, path)) rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
    if (!rc) rc = c.read_only ? open_reader(db, &e) : open_writer(db, &e);
    if (!rc) {
        db->data.dim = db->cfg.dimension;
        if (!c.read_only) rc = compact_if_due(db, &e);
    }
    return rc ? open_failed(db, rc, &e) : NIDUS_OK;
}

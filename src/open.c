/* open.c — opening a store: creating a new one, the writer's open (lock, roll an
 * interrupted compaction forward, cut torn tails, replay), the read-only open that
 * never writes and retries while a compaction moves the files, and nidus_open's
 * phases around them. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

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
    mk = nidus__marker_read(marker, m1, sizeof m1, &msd, &msl);
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
    int mk2 = nidus__marker_read(marker, m2, sizeof m2, &msd, &msl);
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
        int mk3 = nidus__marker_read(marker, m3, sizeof m3, &a, &b);
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
    nidus_db *db = nidus__db_alloc();
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
        if ((rc = nidus__roll_forward(&db->paths, &e))) goto fail;
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
    nidus__db_release(db);
    db->failed = true;
    db->err = e;
    if (rc == NIDUS_ENOMEM && !e.msg[0]) nidus__err(&db->err, rc, 0, "out of memory");
    return rc;
}

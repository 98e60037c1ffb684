/* compact.c — compaction, crash-atomic through the marker file `compact` (SPEC.md
 * §6.3): writing the compacted files, the marker (its one writer and its one
 * parser), the renames, and finishing an interrupted compaction at the next
 * writer open (roll forward). */
#include "db.h"
#include "findex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create path holding b's bytes, fsynced; the fd stays open for the caller. */
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

/* ---------------------------------------------------------------- marker ---- */

/* The marker's one line: the sizes of data.tmp and log.tmp, so that a roll forward
 * can tell whole files from a later compaction's half-written ones. */
#define MARKER_FMT "nidus-compact 1 %llu %llu\n"

/* The commit point: the marker, through compact.tmp (fsync, rename, directory
 * fsync). */
static int marker_write(const npaths *p, uint64_t dsize, uint64_t lsize, nerr *e) {
    char body[96];
    int n = snprintf(body, sizeof body, MARKER_FMT, (unsigned long long)dsize, (unsigned long long)lsize);
    nbuf mb = {(uint8_t *)body, (size_t)n, (size_t)n};
    int mfd = -1, rc = write_whole(p->marker_tmp, &mb, &mfd, e);
    if (rc) return rc;
    nidus__io_close(mfd);
    int r = nidus__io_rename(p->marker_tmp, p->marker);
    if (r == 0) r = nidus__io_fsync_dir(p->dir);
    if (r < 0) {
        rc = nidus__err_sys(e, -r, "failed to commit compaction marker in %s", p->dir);
        (void)nidus__io_unlink(p->marker); /* if the rename happened but the sync failed */
    }
    return rc;
}

int nidus__marker_read(const char *path, char *text, size_t cap, uint64_t *dsize, uint64_t *lsize) {
    text[0] = 0;
    int fd = nidus__io_open(path, O_RDONLY, 0);
    if (fd == -ENOENT) return NIDUS__MARKER_ABSENT;
    if (fd < 0) return NIDUS__MARKER_UNREADABLE;
    uint64_t size = 0;
    ssize_t n = -1;
    if (nidus__io_fsize(fd, &size) == 0) {
        size_t want = size < cap - 1 ? (size_t)size : cap - 1;
        n = nidus__io_pread_full(fd, text, want, 0) == 0 ? (ssize_t)want : -1;
    }
    nidus__io_close(fd);
    if (n < 0) return NIDUS__MARKER_UNREADABLE;
    if (n == 0) return NIDUS__MARKER_MALFORMED;
    text[n] = 0;
    unsigned long long d, l;
    int used = 0;
    if (sscanf(text, MARKER_FMT "%n", &d, &l, &used) != 2 || used != (int)n) return NIDUS__MARKER_MALFORMED;
    *dsize = d;
    *lsize = l;
    return NIDUS__MARKER_FOUND;
}

/* After the commit point: the tmp files replace their targets, a directory fsync,
 * then the marker goes, another directory fsync. */
static int marker_finish(const npaths *p, bool have_data, bool have_log) {
    int r = 0;
    if (have_data) r = nidus__io_rename(p->data_tmp, p->data);
    if (r == 0 && have_log) r = nidus__io_rename(p->log_tmp, p->log);
    if (r == 0) r = nidus__io_fsync_dir(p->dir);
    if (r == 0) r = nidus__io_unlink(p->marker);
    if (r == 0) r = nidus__io_fsync_dir(p->dir);
    return r;
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static bool size_is(const char *path, uint64_t want) {
    struct stat st;
    return stat(path, &st) == 0 && (uint64_t)st.st_size == want;
}

/* Each tmp file that still exists replaces its target, once its size agrees with
 * the marker. */
int nidus__roll_forward(const npaths *p, nerr *e) {
    char text[NIDUS__MARKER_MAX];
    uint64_t dsize = 0, lsize = 0;
    int m = nidus__marker_read(p->marker, text, sizeof text, &dsize, &lsize);
    if (m == NIDUS__MARKER_ABSENT) return NIDUS_OK;
    if (m == NIDUS__MARKER_UNREADABLE)
        return nidus__err(e, NIDUS_EIO, 0, "cannot read compaction marker %s", p->marker);
    bool have_d = exists(p->data_tmp), have_l = exists(p->log_tmp);
    if (m == NIDUS__MARKER_MALFORMED || (have_d && !size_is(p->data_tmp, dsize)) ||
        (have_l && !size_is(p->log_tmp, lsize)))
        return nidus__err(e, NIDUS_ECORRUPT, 0,
                          "compaction marker %s is malformed or does not match data.tmp/log.tmp; "
                          "nothing was changed",
                          p->marker);
    int r = marker_finish(p, have_d, have_l);
    return r < 0 ? nidus__err_sys(e, -r, "failed to finish an interrupted compaction in %s", p->dir) : NIDUS_OK;
}

/* ------------------------------------------------------------ compaction ---- */

/* Before the marker is durable, a crash leaves the old store (tmp files are
 * ignored); after it, the next writer open rolls the renames forward. */
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
        nlogop op = {.tag = NIDUS__OP_CREATE, .coll = nidus__view(c->name)};
        if ((rc = nidus__frame_append(&frames, &op, e))) goto out;
        if (c->meta.n) {
            nlogop m = {.tag = NIDUS__OP_SETMETA, .coll = nidus__view(c->name), .meta = c->meta};
            if ((rc = nidus__frame_append(&frames, &m, e))) goto out;
        }
        if (c->fx) { /* the declaration, as nidus 0.80's compaction re-emits it: after SetMeta */
            size_t nf;
            const nfx_field *fields = nidus__findex_decl(c->fx, &nf);
            nlogop x = {.tag = NIDUS__OP_SET_FILTER_INDEX, .coll = nidus__view(c->name), .fields = (nfx_field *)fields,
                        .nfields = nf};
            if ((rc = nidus__frame_append(&frames, &x, e))) goto out;
        }
        if (!(sorted[i] = nidus__docs_by_id(c))) {
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < c->n; j++, row++) {
            const ndoc *d = sorted[i][j];
            memcpy(vec + row * dim, db->data.vec + d->row * dim, (size_t)dim * sizeof(float));
            nlogop u = {.tag = NIDUS__OP_UPSERT, .coll = nidus__view(c->name), .id = d->id, .row = row, .attrs = d->attrs};
            if ((rc = nidus__frame_append(&frames, &u, e))) goto out;
        }
        /* Rebuild the arena when it holds dead blobs, or room that reservations
         * left behind (a batch that did not fit starts a new chunk) beyond what
         * the live blobs and one growing chunk account for. */
        size_t bytes = nidus__coll_live_bytes(c);
        rebuild[i] = c->dead_blobs || c->strs.bytes > (uint64_t)bytes + bytes / 4 + NIDUS__ARENA_MAX_CHUNK;
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
        if ((rc = nidus__data_write_file(p->data_tmp, dim, db->cfg.distance, vec, live, e))) goto out;
        dfd = nidus__io_open(p->data_tmp, O_RDWR, 0);
        if (dfd < 0) {
            rc = nidus__err_sys(e, -dfd, "reopen %s", p->data_tmp);
            goto out;
        }
        if ((rc = write_whole(p->log_tmp, &frames, &lfd, e))) goto out;
        if ((rc = marker_write(p, NIDUS__HEADER_LEN + live * dim * 4, frames.len, e))) goto out;
        committed = true;
        /* From here the compacted store is the store: finish, or leave it to open. */
        int r = marker_finish(p, true, true);
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
        nidus__findex_invalidate(c->fx); /* it names the old rows and strings */
        if (rebuild[i]) nidus__coll_move_blobs(c, &strs[i]); /* only the live blobs move */
        nerr ignored; /* derived data: if it cannot be built now, the first search that needs it builds it */
        if (c->fx) (void)nidus__findex_build(c->fx, c, &ignored);
    }
    /* The new file's rows: mapped when the handle maps them (vec is then freed). */
    nidus__data_replace(&db->data, dfd, vec, live); /* dfd is -1 in memory */
    nidus__shadow_reset(&db->shadow); /* rows renumbered: coded again at the next search */
    vec = NULL;
    dfd = -1;
    db->dead_rows = 0;
    db->log.size = frames.len;
    if (!db->memory) {
        nidus__io_close(db->log.fd);
        db->log.fd = lfd;
        lfd = -1;
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

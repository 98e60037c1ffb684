/* data.c — the vector matrix: the `data` file's header, its rows (mapped read-only,
 * or copied to the heap by threads at open), and appends. Rows are appended in one
 * write per batch; once a writer has opened it the file only grows (SPEC.md §14). */
#include "nidus_internal.h"
#include "le.h"
#include "test_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint8_t MAGIC[6] = {'N', 'I', 'D', 'U', 'S', 0};

void nidus__header_encode_distance(uint8_t out[NIDUS__HEADER_LEN], uint32_t dim, int distance) {
    memset(out, 0, NIDUS__HEADER_LEN);
    memcpy(out, MAGIC, sizeof MAGIC);
    nidus__put_le16(out + 6, NIDUS__FORMAT_VERSION);
    nidus__put_le32(out + 8, dim);
    out[NIDUS__HEADER_DISTANCE] = (uint8_t)distance;
}

void nidus__header_encode(uint8_t out[NIDUS__HEADER_LEN], uint32_t dim) {
    nidus__header_encode_distance(out, dim, NIDUS_DISTANCE_COSINE);
}

int nidus__header_distance(const uint8_t in[NIDUS__HEADER_LEN], int *distance, nerr *e) {
    unsigned b = in[NIDUS__HEADER_DISTANCE];
    if (b > NIDUS_DISTANCE_DOT)
        return nidus__err(e, NIDUS_EVERSION, 0,
                          "unknown distance metric byte %u in data file header (nidus 0.80 knows 0-2): "
                          "written by a newer nidus",
                          b);
    *distance = (int)b;
    return NIDUS_OK;
}

int nidus__header_decode(const uint8_t in[NIDUS__HEADER_LEN], uint32_t *dim, nerr *e) {
    if (memcmp(in, MAGIC, sizeof MAGIC) != 0)
        return nidus__err(e, NIDUS_ENOTDB, 0, "data file has wrong magic bytes — not a nidus data file");
    unsigned version = nidus__get_le16(in + 6);
    if (version != NIDUS__FORMAT_VERSION)
        return nidus__err(e, NIDUS_EVERSION, 0, "data file version %u is not supported (expected %d)",
                          version, NIDUS__FORMAT_VERSION);
    *dim = nidus__get_le32(in + 8);
    return NIDUS_OK;
}

/* The file holds little-endian floats; so does every host we know of, but keep the
 * format right on a big-endian one. */
static void le_floats(float *v, size_t n) {
#if NIDUS__LE_SWAP
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        u = __builtin_bswap32(u);
        memcpy(&v[i], &u, 4);
    }
#else
    (void)v;
    (void)n;
#endif
}

static size_t row_bytes(const ndata *d) { return (size_t)d->dim * sizeof(float); }

/* ---------------------------------------------------------- mapped rows ---- */

/* Rows are mapped only where the file's bytes are the floats as they are used. */
#define MAP_OK (!NIDUS__LE_SWAP)

/* The mapping's length for cap rows: the header plus the rows, whole pages. */
static bool map_len_for(const ndata *d, uint64_t cap, size_t *len) {
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), rb = (uint64_t)d->dim * 4;
    if (cap > (UINT64_MAX - NIDUS__HEADER_LEN - page) / rb) return false;
    uint64_t n = (NIDUS__HEADER_LEN + cap * rb + page - 1) / page * page;
    if (n > SIZE_MAX) return false;
    *len = (size_t)n;
    return true;
}

/* Map rows [0, cap) of fd (the file may be shorter: pages past its end are never
 * read) in place of the current mapping. */
static int map_rows(ndata *d, int fd, uint64_t cap) {
    size_t len;
    void *p;
    if (!map_len_for(d, cap, &len)) return -ENOMEM;
    int r = nidus__io_mmap(fd, len, &p);
    if (r < 0) return r;
    nidus__io_munmap(d->map, d->map_len);
    d->map = p;
    d->map_len = len;
    d->vec = (float *)(void *)((uint8_t *)p + NIDUS__HEADER_LEN);
    d->cap_rows = (len - NIDUS__HEADER_LEN) / ((size_t)d->dim * 4);
    return 0;
}

/* The room a writer maps for rows to come: as many again, and at least 256 MiB
 * (address space only: nothing is read or reserved in memory). A writer is the
 * handle that keeps `data` open (d->fd); a reader maps its snapshot exactly. */
static _Atomic uint64_t room_bytes = (uint64_t)256 << 20;
void nidus__data_set_map_room(uint64_t bytes) { room_bytes = bytes ? bytes : (uint64_t)256 << 20; }
static uint64_t map_room(const ndata *d, uint64_t need) {
    if (d->fd < 0) return need;
    uint64_t ahead = room_bytes / ((uint64_t)d->dim * 4);
    if (ahead < need) ahead = need;
    return need > UINT64_MAX - ahead ? need : need + ahead;
}

int nidus__data_reserve(ndata *d, uint64_t extra, nerr *e) {
    if (extra > UINT64_MAX - d->rows)
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving %llu rows", (unsigned long long)extra);
    uint64_t need = d->rows + extra;
    if (need <= d->cap_rows) return NIDUS_OK;
    if (d->map) {
        int r = map_rows(d, d->fd, map_room(d, need));
        if (r < 0) r = map_rows(d, d->fd, need);
        if (r == 0) return NIDUS_OK;
        /* No address space for a larger mapping: the handle goes on with its rows on
         * the heap (read through the old mapping once), as with map_rows = 0. */
        float *v = need <= SIZE_MAX / row_bytes(d) ? nidus__malloc((size_t)need * row_bytes(d)) : NULL;
        if (!v)
            return nidus__err(e, NIDUS_ENOMEM, -r, "failed to map room for %llu rows of the data file, and out of "
                              "memory for them on the heap", (unsigned long long)need);
        if (d->rows) memcpy(v, d->vec, (size_t)d->rows * row_bytes(d));
        nidus__io_munmap(d->map, d->map_len);
        d->map = NULL;
        d->map_len = 0;
        d->vec = v;
        d->cap_rows = need;
        nidus__hint_huge(v, (size_t)need * row_bytes(d));
        return NIDUS_OK;
    }
    uint64_t cap = d->cap_rows ? d->cap_rows : 16;
    while (cap < need) cap = cap > UINT64_MAX / 2 ? need : cap * 2;
    if (d->dim == 0 || cap > SIZE_MAX / row_bytes(d)) cap = need;
    float *v = d->dim ? nidus__reallocarray(d->vec, (size_t)cap, row_bytes(d)) : d->vec;
    if (d->dim && !v)
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving capacity for %llu rows",
                          (unsigned long long)need);
    d->vec = v;
    d->cap_rows = cap;
    if (v) nidus__hint_huge(v, (size_t)cap * row_bytes(d));
    return NIDUS_OK;
}

int nidus__data_append(ndata *d, const float *rows, uint64_t n, nerr *e) {
    if (n == 0) return NIDUS_OK;
    if (d->rows + n > d->cap_rows) {
        int rc = nidus__data_reserve(d, n, e);
        if (rc) return rc;
    }
    size_t bytes = (size_t)n * row_bytes(d);
    uint64_t off = NIDUS__HEADER_LEN + d->rows * row_bytes(d);
    int r = 0;
    if (d->map) {
        r = nidus__io_pwrite_full(d->fd, rows, bytes, off); /* the mapping sees it: one page cache */
    } else {
        float *dst = d->vec + (size_t)d->rows * d->dim;
        memcpy(dst, rows, bytes);
        if (d->fd >= 0) {
            le_floats(dst, (size_t)n * d->dim);
            r = nidus__io_pwrite_full(d->fd, dst, bytes, off);
            le_floats(dst, (size_t)n * d->dim);
        }
    }
    /* No cut on failure: the bytes past `rows` belong to no record, and the next
     * append writes over them. */
    if (r < 0) return nidus__err_sys(e, -r, "failed to append row %llu to data file", (unsigned long long)d->rows);
    d->rows += n;
    return NIDUS_OK;
}

int nidus__data_truncate(ndata *d, uint64_t rows, nerr *e) {
    if (rows > d->rows)
        return nidus__err(e, NIDUS_EINVAL, 0, "cannot truncate data to %llu rows: only %llu exist",
                          (unsigned long long)rows, (unsigned long long)d->rows);
    if (d->fd >= 0) {
        int r = nidus__io_ftruncate(d->fd, NIDUS__HEADER_LEN + rows * row_bytes(d));
        if (r < 0) return nidus__err_sys(e, -r, "failed to truncate data file");
    }
    d->rows = rows;
    return NIDUS_OK;
}

int nidus__data_sync(ndata *d, nerr *e) {
    if (d->fd < 0) return NIDUS_OK;
    int r = nidus__io_fsync(d->fd);
    return r < 0 ? nidus__err_sys(e, -r, "failed to fsync data file") : NIDUS_OK;
}

/* Release the rows (the mapping or the heap block), keep the fd. */
static void rows_release(ndata *d) {
    if (d->map) nidus__io_munmap(d->map, d->map_len);
    else nidus__free(d->vec);
    d->map = NULL;
    d->map_len = 0;
    d->vec = NULL;
}

void nidus__data_free(ndata *d) {
    if (d->fd >= 0) nidus__io_close(d->fd);
    rows_release(d);
    d->fd = -1;
    d->rows = d->cap_rows = 0;
}

void nidus__data_replace(ndata *d, int fd, float *vec, uint64_t rows) {
    if (d->fd >= 0) nidus__io_close(d->fd);
    rows_release(d);
    d->fd = fd;
    d->rows = d->cap_rows = rows;
    if (MAP_OK && d->want_map && fd >= 0 && map_rows(d, fd, map_room(d, rows)) == 0) {
        nidus__free(vec);
        return;
    }
    d->vec = vec;
}

int nidus__data_load_header(ndata *d, int fd, uint64_t size, uint32_t *dim, int *distance, uint64_t cap,
                            const char *path, nerr *e) {
    uint8_t hdr[NIDUS__HEADER_LEN];
    if (size < NIDUS__HEADER_LEN)
        return nidus__err(e, NIDUS_ECORRUPT, 0,
                          "data file at %s is truncated: %llu bytes (need at least %d for header)",
                          path, (unsigned long long)size, NIDUS__HEADER_LEN);
    int r = nidus__io_pread_full(fd, hdr, sizeof hdr, 0);
    if (r < 0) return nidus__err_sys(e, -r, "failed to read data file header at %s", path);
    uint32_t file_dim;
    int file_distance = NIDUS_DISTANCE_COSINE;
    int rc = nidus__header_decode(hdr, &file_dim, e);
    if (!rc) rc = nidus__header_distance(hdr, &file_distance, e);
    if (rc) {
        char why[sizeof e->msg];
        memcpy(why, e->msg, sizeof why);
        return nidus__err(e, rc, 0, "invalid header in %s: %s", path, why);
    }
    if (*dim != 0 && file_dim != *dim)
        return nidus__err(e, NIDUS_EDIM, 0,
                          "data file dimension mismatch: file has dimension %u, requested %u",
                          file_dim, *dim);
    if (*distance != NIDUS_DISTANCE_AUTO && file_distance != *distance)
        return nidus__err(e, NIDUS_EDIM, 0, "data file distance metric mismatch: file has %s, requested %s",
                          nidus_distance_name(file_distance), nidus_distance_name(*distance));
    if (file_dim == 0)
        return nidus__err(e, NIDUS_ECORRUPT, 0, "data file at %s declares dimension 0", path);
    *dim = file_dim;
    *distance = file_distance;
    uint64_t rows = (size - NIDUS__HEADER_LEN) / ((uint64_t)file_dim * 4);
    /* The cap is on whole rows: a crash fragment after the last row is no row (a
     * writer cuts it, a reader ignores it). */
    uint64_t payload = rows * file_dim * 4;
    if (cap && payload > cap)
        return nidus__err(e, NIDUS_ECAPACITY, 0,
                          "data file holds %llu bytes of vectors, exceeding max_vector_bytes (%llu bytes)",
                          (unsigned long long)payload, (unsigned long long)cap);
    d->dim = file_dim;
    d->rows = d->cap_rows = rows;
    /* Mapped rows (SPEC.md §14); if the map fails (address space, a file system
     * without mmap), the rows are read into the heap as without it. */
    if (MAP_OK && d->want_map && map_rows(d, fd, map_room(d, rows)) == 0) return NIDUS_OK;
    if (rows) {
        if (rows * file_dim > SIZE_MAX / sizeof(float))
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory loading %llu rows", (unsigned long long)rows);
        size_t bytes = (size_t)rows * file_dim * sizeof(float);
        float *v = nidus__malloc(bytes);
        if (!v)
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory loading %llu rows (%zu bytes) from data file",
                              (unsigned long long)rows, bytes);
        nidus__hint_huge(v, bytes);
        d->vec = v;
    }
    return NIDUS_OK;
}

int nidus__data_read_range(ndata *d, int fd, uint64_t first, uint64_t count, const char *path, nerr *e) {
    if (count == 0 || d->map) return NIDUS_OK; /* mapped: nothing to read */
    size_t n = (size_t)count * d->dim;
    float *dst = d->vec + (size_t)first * d->dim;
    /* Straight into the final buffer: no staging copy. */
    int r = nidus__io_pread_full(fd, dst, n * sizeof(float), NIDUS__HEADER_LEN + first * d->dim * 4);
    if (r < 0) return nidus__err_sys(e, -r, "failed to read data file rows at %s", path);
    le_floats(dst, n);
    return NIDUS_OK;
}

int nidus__data_read_rows(ndata *d, int fd, const char *path, nerr *e) {
    return nidus__data_read_range(d, fd, 0, d->rows, path, e);
}

int nidus__data_load(ndata *d, int fd, uint64_t size, uint32_t *dim, uint64_t cap, const char *path, nerr *e) {
    int distance = NIDUS_DISTANCE_AUTO;
    int rc = nidus__data_load_header(d, fd, size, dim, &distance, cap, path, e);
    return rc ? rc : nidus__data_read_rows(d, fd, path, e);
}

int nidus__data_write_file(const char *path, uint32_t dim, int distance, const float *rows, uint64_t n, nerr *e) {
    int fd = nidus__io_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return nidus__err_sys(e, -fd, "failed to create temp file at %s", path);
    uint8_t hdr[NIDUS__HEADER_LEN];
    nidus__header_encode_distance(hdr, dim, distance);
    int r = nidus__io_pwrite_full(fd, hdr, sizeof hdr, 0);
    const char *what = "failed to write temp data file";
    if (r == 0 && n) {
#if NIDUS__LE_SWAP
#error "big-endian compaction writer not implemented"
#endif
        r = nidus__io_pwrite_full(fd, rows, (size_t)n * dim * sizeof(float), NIDUS__HEADER_LEN);
    }
    if (r == 0) {
        what = "failed to fsync temp data file";
        r = nidus__io_fsync(fd);
    }
    nidus__io_close(fd);
    if (r < 0) {
        (void)nidus__io_unlink(path);
        return nidus__err_sys(e, -r, "%s at %s", what, path);
    }
    return NIDUS_OK;
}

/* ----------------------------------------------------------- row readers ---- */

/* The rows are read while the log replays: the two touch disjoint memory (replay
 * only needs the row count, known from the header). So the work spreads over every
 * core whatever the replay costs: with two cores, one reader runs next to the
 * replay and both finish the rows together (page faults and copying are CPU work,
 * so two cores fill memory faster than one). */
static void rows_work(nrow_worker *w) {
    nrow_reader *r = w->r;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        uint64_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->nblocks) break;
        uint64_t first = i * r->block, count = r->d->rows - first < r->block ? r->d->rows - first : r->block;
        if ((w->rc = nidus__data_read_range(r->d, r->fd, first, count, r->path, &w->e)) != NIDUS_OK) {
            atomic_store(&r->stop, true);
            break;
        }
    }
}

static void *rows_thread(void *arg) {
    rows_work(arg);
    return NULL;
}

void nidus__rows_start(nrow_reader *r, ndata *d, int fd, const char *path) {
    const uint64_t worth = 8u << 20, block_bytes = 16u << 20; /* below `worth`, threads cost more than they save */
    uint64_t row_bytes = (uint64_t)d->dim * 4, bytes = d->rows * row_bytes;
    r->d = NULL;
    if (d->map) return; /* mapped: nothing to read */
    r->d = d;
    r->fd = fd;
    r->path = path;
    r->block = block_bytes / row_bytes ? block_bytes / row_bytes : 1;
    r->nblocks = (d->rows + r->block - 1) / r->block;
    atomic_init(&r->next, 0);
    atomic_init(&r->stop, false);
    for (int i = 0; i <= NIDUS__ROW_THREADS; i++) r->w[i] = (nrow_worker){.r = r};
    if (bytes < worth) {
        rows_work(&r->w[NIDUS__ROW_THREADS]); /* small: read now, on this thread */
        return;
    }
    /* One reader per core the replay leaves free, and at least one. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > NIDUS__ROW_THREADS ? NIDUS__ROW_THREADS : cores > 1 ? (int)cores - 1 : 1;
    for (int i = 0; i < n; i++)
        if (pthread_create(&r->w[i].t, NULL, rows_thread, &r->w[i]) == 0) r->w[i].started = true;
}

int nidus__rows_finish(nrow_reader *r, int rc, nerr *e) {
    if (!r->d) return rc; /* never started */
    if (rc != NIDUS_OK) atomic_store(&r->stop, true);
    else rows_work(&r->w[NIDUS__ROW_THREADS]);
    for (int i = 0; i <= NIDUS__ROW_THREADS; i++) {
        nrow_worker *w = &r->w[i];
        if (w->started) pthread_join(w->t, NULL);
        w->started = false;
        if (rc == NIDUS_OK && w->rc != NIDUS_OK) {
            *e = w->e;
            rc = w->rc;
        }
    }
    r->d = NULL;
    return rc;
}


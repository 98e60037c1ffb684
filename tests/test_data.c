/* test_data.c — the `data` file and the vector matrix (reference §3.2, §5.4 hazard 1),
 * ported from nidus 0.3.1's 36 data tests (seeds/data.rs), plus the open rules
 * of this port: dimension 0, read-only opens that never write, max_vector_bytes.
 *
 * Header and matrix tests drive data.c directly (an ndata with fd -1 is the
 * in-memory segment); file tests go through the public API where the Rust test
 * is about the file a store keeps, and through data.c where no public call
 * reaches (truncate). */
#include "test_store_helpers.h"

#include "test_hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers ---- */

static uint32_t get_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The little-endian bytes of a float, built from its bits (host order aside). */
static void float_le(float f, uint8_t out[4]) {
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(u >> (8 * i));
}

static float float_from_le(const uint8_t in[4]) {
    uint32_t u = get_u32le(in);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* nidus 0.3 normalization, written out here: f32 sum of squares, sqrtf, multiply
 * by 1/norm. (Inputs in these tests never overflow.) */
static void ref_normalize(float *v, size_t n) {
    float sq = 0.0f;
    for (size_t i = 0; i < n; i++) sq += v[i] * v[i];
    float norm = sqrtf(sq);
    if (norm < 1e-12f || !isfinite(norm)) return;
    float inv = 1.0f / norm;
    for (size_t i = 0; i < n; i++) v[i] *= inv;
}

/* An in-memory segment (fd -1), as DataSegment::in_memory. */
static ndata seg_mem(uint32_t dim) {
    ndata d;
    memset(&d, 0, sizeof d);
    d.fd = -1;
    d.dim = dim;
    return d;
}

static void seg_append(ndata *d, const float *v, uint64_t n) {
    nerr e = {0};
    int rc = nidus__data_reserve(d, n, &e);
    if (rc == NIDUS_OK) rc = nidus__data_append(d, v, n, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "append -> %d: %s", rc, e.msg);
}

static const float *seg_row(const ndata *d, uint64_t i) { return d->vec + (size_t)i * d->dim; }

static void check_row(const ndata *d, uint64_t i, const float *want) {
    for (uint32_t j = 0; j < d->dim; j++)
        if (!same_bits(seg_row(d, i)[j], want[j]))
            t_fail(__FILE__, __LINE__, "row %llu[%u]: %.9g != %.9g", (unsigned long long)i, j,
                   (double)seg_row(d, i)[j], (double)want[j]);
}

/* A file-backed segment at `path`, as DataSegment::open: a missing or empty file
 * gets a header; an existing one is loaded and a partial row cut. */
static ndata seg_open(const char *path, uint32_t dim) {
    ndata d = seg_mem(dim);
    nerr e = {0};
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    uint64_t size = (uint64_t)st.st_size;
    if (size == 0) {
        uint8_t h[NIDUS__HEADER_LEN];
        nidus__header_encode(h, dim);
        CHECK(pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h);
        size = NIDUS__HEADER_LEN;
    }
    uint32_t got = dim;
    int rc = nidus__data_load(&d, fd, size, &got, 0, path, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "data_load -> %d: %s", rc, e.msg);
    CHECK_INT(got, dim);
    uint64_t good = NIDUS__HEADER_LEN + d.rows * (uint64_t)dim * 4;
    if (size > good) CHECK(ftruncate(fd, (off_t)good) == 0);
    d.fd = fd;
    return d;
}

/* Open with a config, expecting failure `want`; returns the message (static copy). */
static const char *open_fails(const char *dir, const nidus_config *cfg, int want) {
    static char msg[600];
    nidus_db *db = NULL;
    int rc = nidus_open(dir, cfg, &db);
    snprintf(msg, sizeof msg, "%s", nidus_errmsg(db));
    if (rc != want)
        t_fail(__FILE__, __LINE__, "open %s -> %d (%s: %s), want %d", dir, rc, nidus_strerror(rc), msg, want);
    CHECK(db != NULL);
    CHECK_INT(nidus_errcode(db), want);
    nidus_close(db);
    return msg;
}

static const char *open_dim_fails(const char *dir, uint32_t dim, int want) {
    nidus_config c;
    nidus_config_init(&c, dim);
    return open_fails(dir, &c, want);
}

static void check_has(const char *msg, const char *needle) {
    if (!strstr(msg, needle)) t_fail(__FILE__, __LINE__, "message lacks \"%s\": %s", needle, msg);
}

/* A store directory holding exactly `bytes` as its data file (no log, no lock). */
static const char *dir_with_data(const void *bytes, size_t n) {
    const char *dir = t_tmpdir();
    t_write_file(t_path(dir, "data"), bytes, n);
    return dir;
}

/* Everything in a flat directory: names, sizes, bytes, mtimes. */
typedef struct snap_file {
    char name[256];
    unsigned char *bytes;
    size_t len;
    struct timespec mtime;
    mode_t mode;
} snap_file;

typedef struct snap {
    snap_file f[16];
    size_t n;
} snap;

static int name_cmp(const void *a, const void *b) {
    return strcmp(((const snap_file *)a)->name, ((const snap_file *)b)->name);
}

static void snap_take(const char *dir, snap *s) {
    s->n = 0;
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        CHECK(s->n < 16);
        snap_file *f = &s->f[s->n++];
        snprintf(f->name, sizeof f->name, "%s", de->d_name);
        struct stat st;
        CHECK(stat(t_path(dir, de->d_name), &st) == 0);
        f->mtime = st.st_mtim;
        f->mode = st.st_mode;
        f->bytes = S_ISREG(st.st_mode) ? t_read_file(t_path(dir, de->d_name), &f->len) : NULL;
    }
    closedir(d);
    qsort(s->f, s->n, sizeof s->f[0], name_cmp);
}

static void snap_free(snap *s) {
    for (size_t i = 0; i < s->n; i++) free(s->f[i].bytes);
    s->n = 0;
}

static void snap_same(const snap *a, const snap *b) {
    if (a->n != b->n) t_fail(__FILE__, __LINE__, "directory had %zu entries, now %zu", a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const snap_file *x = &a->f[i], *y = &b->f[i];
        if (strcmp(x->name, y->name)) t_fail(__FILE__, __LINE__, "entry %s became %s", x->name, y->name);
        if (x->mode != y->mode) t_fail(__FILE__, __LINE__, "%s changed mode", x->name);
        if (x->len != y->len) t_fail(__FILE__, __LINE__, "%s: %zu bytes, now %zu", x->name, x->len, y->len);
        if (x->len && memcmp(x->bytes, y->bytes, x->len))
            t_fail(__FILE__, __LINE__, "%s: bytes changed", x->name);
        if (x->mtime.tv_sec != y->mtime.tv_sec || x->mtime.tv_nsec != y->mtime.tv_nsec)
            t_fail(__FILE__, __LINE__, "%s: mtime changed", x->name);
    }
}

static void free_docs(nidus_docs *d) { nidus_free(d); }

/* The stored vector of one doc (copied into out). */
static void get_vec(nidus_db *db, const char *coll, const char *id, float *out) {
    nidus_docs *d = NULL;
    CHECK_OK_DB(db, nidus_get(db, coll, &id, 1, &d));
    CHECK_U64(d->count, 1);
    memcpy(out, d->docs[0].vector, nidus_dimension(db) * sizeof(float));
    free_docs(d);
}

/* Row i of a data file as floats. */
static void file_row(const char *path, uint32_t dim, uint64_t i, float *out) {
    size_t n;
    unsigned char *b = t_read_file(path, &n);
    CHECK(b != NULL);
    size_t off = NIDUS__HEADER_LEN + (size_t)i * dim * 4;
    CHECK(n >= off + (size_t)dim * 4);
    for (uint32_t j = 0; j < dim; j++) out[j] = float_from_le(b + off + 4 * j);
    free(b);
}

static void check_vec_bits(const float *got, const float *want, size_t n) {
    for (size_t j = 0; j < n; j++)
        if (!same_bits(got[j], want[j]))
            t_fail(__FILE__, __LINE__, "element %zu: %.9g != %.9g", j, (double)got[j], (double)want[j]);
}

static nidus_config cfg_of(uint32_t dim) {
    nidus_config c;
    nidus_config_init(&c, dim);
    return c;
}

/* ------------------------------------------------------ header (§3.2) ---- */

TEST(data_header_encode_magic) {
    uint8_t h[NIDUS__HEADER_LEN];
    nidus__header_encode(h, 128);
    CHECK(memcmp(h, "NIDUS\0", 6) == 0);
    const uint8_t want[6] = {0x4E, 0x49, 0x44, 0x55, 0x53, 0x00};
    CHECK(memcmp(h, want, 6) == 0);
}

TEST(data_header_encode_version) {
    uint8_t h[NIDUS__HEADER_LEN];
    nidus__header_encode(h, 128);
    CHECK_INT(h[6], 1);
    CHECK_INT(h[7], 0);
}

TEST(data_header_encode_dimension) {
    uint8_t h[NIDUS__HEADER_LEN];
    nidus__header_encode(h, 384);
    CHECK_U64(get_u32le(h + 8), 384);
    CHECK_INT(h[8], 0x80);
    CHECK_INT(h[9], 0x01);
    nidus__header_encode(h, 0x01020304u);
    CHECK_INT(h[8], 4);
    CHECK_INT(h[11], 1);
}

TEST(data_header_encode_zero_padding) {
    uint8_t h[NIDUS__HEADER_LEN];
    memset(h, 0xAB, sizeof h);
    nidus__header_encode(h, 3);
    for (int i = 12; i < 64; i++) CHECK_INT(h[i], 0);
}

TEST(data_header_length_is_64) {
    CHECK_INT(NIDUS__HEADER_LEN, 64);
    /* encode writes exactly 64 bytes: a guard byte after them stays untouched */
    uint8_t h[NIDUS__HEADER_LEN + 1];
    h[NIDUS__HEADER_LEN] = 0x5A;
    nidus__header_encode(h, 1);
    CHECK_INT(h[NIDUS__HEADER_LEN], 0x5A);
}

TEST(data_header_round_trip) {
    static const uint32_t dims[] = {1, 3, 384, 512, 65536, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        uint8_t h[NIDUS__HEADER_LEN];
        nidus__header_encode(h, dims[i]);
        uint32_t dim = 0;
        nerr e = {0};
        CHECK_RC(nidus__header_decode(h, &dim, &e), NIDUS_OK);
        CHECK_U64(dim, dims[i]);
    }
}

TEST(data_header_bad_magic_errors) {
    for (int at = 0; at < 6; at++) {
        uint8_t h[NIDUS__HEADER_LEN];
        nidus__header_encode(h, 3);
        h[at] ^= 0x20;
        uint32_t dim = 77;
        nerr e = {0};
        CHECK_RC(nidus__header_decode(h, &dim, &e), NIDUS_ENOTDB);
        CHECK_INT(e.code, NIDUS_ENOTDB);
        check_has(e.msg, "magic");
        CHECK_U64(dim, 77); /* untouched on failure */
    }
}

TEST(data_header_bad_version_errors) {
    static const uint8_t versions[][2] = {{0, 0}, {2, 0}, {1, 1}, {0xFF, 0xFF}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        uint8_t h[NIDUS__HEADER_LEN];
        nidus__header_encode(h, 3);
        h[6] = versions[i][0];
        h[7] = versions[i][1];
        uint32_t dim = 0;
        nerr e = {0};
        CHECK_RC(nidus__header_decode(h, &dim, &e), NIDUS_EVERSION);
        check_has(e.msg, "version");
    }
    /* padding is not checked on read */
    uint8_t h[NIDUS__HEADER_LEN];
    nidus__header_encode(h, 9);
    memset(h + 12, 0xEE, 52);
    uint32_t dim = 0;
    nerr e = {0};
    CHECK_RC(nidus__header_decode(h, &dim, &e), NIDUS_OK);
    CHECK_U64(dim, 9);
}

/* ------------------------------------------------------- float codec ---- */

/* Rust: floats_to_bytes_round_trip. The rows of a data file round-trip through
 * the file bit for bit, INFINITY included (the store never writes one, the
 * format does not care). */
TEST(data_floats_round_trip) {
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    const float v[4] = {1.0f, -0.5f, 0.0f, INFINITY};
    ndata d = seg_open(path, 4);
    seg_append(&d, v, 1);
    CHECK_U64(t_file_size(path), 64 + 16);
    size_t n;
    unsigned char *b = t_read_file(path, &n);
    for (int j = 0; j < 4; j++) {
        uint8_t le[4];
        float_le(v[j], le);
        CHECK(memcmp(b + 64 + 4 * j, le, 4) == 0);
    }
    free(b);
    nidus__data_free(&d);
    ndata d2 = seg_open(path, 4);
    CHECK_U64(d2.rows, 1);
    check_row(&d2, 0, v);
    nidus__data_free(&d2);
}

TEST(data_floats_little_endian) {
    uint8_t le[4];
    float_le(1.0f, le);
    const uint8_t want[4] = {0x00, 0x00, 0x80, 0x3F};
    CHECK(memcmp(le, want, 4) == 0);
    /* ...and that is what lands in the file */
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    ndata d = seg_open(path, 1);
    const float one = 1.0f;
    seg_append(&d, &one, 1);
    nidus__data_free(&d);
    size_t n;
    unsigned char *b = t_read_file(path, &n);
    CHECK_U64(n, 68);
    CHECK(memcmp(b + 64, want, 4) == 0);
    free(b);
}

/* Rust: bytes_to_floats_wrong_length_errors (7 bytes are not 2 floats). Here the
 * loader takes only whole rows: 7 payload bytes at dim 2 are no row at all, 9 are
 * one row and a fragment. */
TEST(data_load_takes_whole_rows_only) {
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    uint8_t buf[NIDUS__HEADER_LEN + 9];
    nidus__header_encode(buf, 2);
    float_le(0.5f, buf + 64);
    float_le(-2.0f, buf + 68);
    buf[72] = 0xFF;
    for (int len = 64 + 7; len <= 64 + 9; len += 2) {
        t_write_file(path, buf, (size_t)len);
        int fd = open(path, O_RDONLY);
        CHECK(fd >= 0);
        ndata d = seg_mem(0);
        uint32_t dim = 0;
        nerr e = {0};
        CHECK_RC(nidus__data_load(&d, fd, (uint64_t)len, &dim, 0, path, &e), NIDUS_OK);
        close(fd);
        CHECK_U64(dim, 2);
        CHECK_U64(d.rows, len == 64 + 7 ? 0 : 1);
        if (d.rows) {
            const float want[2] = {0.5f, -2.0f};
            check_row(&d, 0, want);
        }
        nidus__data_free(&d);
    }
}

/* ------------------------------------------------ in-memory segment ---- */

TEST(data_in_memory_row_count_starts_zero) {
    ndata d = seg_mem(4);
    CHECK_U64(d.rows, 0);
    CHECK(d.vec == NULL);
    nidus_db *db = th_mem(4);
    CHECK_U64(th_fp(db).rows, 0);
    CHECK_U64(th_fp(db).vector_bytes, 0);
    nidus_close(db);
    nidus__data_free(&d);
}

TEST(data_in_memory_dimension) {
    ndata d = seg_mem(128);
    nerr e = {0};
    CHECK_RC(nidus__data_reserve(&d, 1, &e), NIDUS_OK);
    CHECK_U64(d.dim, 128);
    CHECK(d.cap_rows >= 1);
    nidus__data_free(&d);
    nidus_db *db = th_mem(128);
    CHECK_U64(nidus_dimension(db), 128);
    CHECK_U64(th_fp(db).dimension, 128);
    nidus_close(db);
}

TEST(data_in_memory_append_and_row) {
    ndata d = seg_mem(3);
    const float v[3] = {1.0f, 2.0f, 3.0f};
    seg_append(&d, v, 1);
    CHECK_U64(d.rows, 1);
    check_row(&d, 0, v);
    nidus__data_free(&d);
}

TEST(data_in_memory_multiple_appends) {
    ndata d = seg_mem(2);
    const float a[2] = {1.0f, 0.0f}, b[2] = {0.0f, 1.0f};
    seg_append(&d, a, 1);
    CHECK_U64(d.rows, 1);
    seg_append(&d, b, 1);
    CHECK_U64(d.rows, 2);
    check_row(&d, 0, a);
    check_row(&d, 1, b);
    /* a batch of several rows in one append, growing past the first capacity */
    float many[2 * 40];
    for (int i = 0; i < 80; i++) many[i] = (float)i;
    seg_append(&d, many, 40);
    CHECK_U64(d.rows, 42);
    for (int i = 0; i < 40; i++) check_row(&d, 2 + (uint64_t)i, many + 2 * i);
    check_row(&d, 0, a);
    nidus__data_free(&d);
}

/* A vector of the wrong length never reaches the matrix: upsert refuses it. */
TEST(data_in_memory_append_wrong_dimension_errors) {
    nidus_db *db = th_mem(3);
    const float v[3] = {1, 2, 3};
    nidus_record r = {"a", v, 2, NULL, 0};
    CHECK_RC(nidus_upsert(db, "c", &r, 1), NIDUS_EDIM);
    check_has(nidus_errmsg(db), "dimension");
    r.dim = 4;
    CHECK_RC(nidus_upsert(db, "c", &r, 1), NIDUS_EDIM);
    CHECK_U64(th_fp(db).rows, 0);
    CHECK(!nidus_has_collection(db, "c"));
    r.dim = 3;
    CHECK_OK_DB(db, nidus_upsert(db, "c", &r, 1));
    CHECK_U64(th_fp(db).rows, 1);
    nidus_close(db);
}

TEST(data_in_memory_sync_is_noop) {
    ndata d = seg_mem(4);
    nerr e = {0};
    nidus__fault_arm(NIDUS__FAULT_FSYNC, 0, EIO); /* would fire if a sync happened */
    CHECK_RC(nidus__data_sync(&d, &e), NIDUS_OK);
    CHECK(!nidus__fault_fired());
    nidus_db *db = th_mem(4);
    CHECK_OK_DB(db, nidus_flush(db));
    CHECK(!nidus__fault_fired());
    nidus__fault_disarm();
    nidus_close(db);
    nidus__data_free(&d);
}

/* Rust: in_memory_rewrite_swaps_vectors. Our rewrite is compaction. */
TEST(data_in_memory_rewrite_swaps_vectors) {
    nidus_db *db = th_mem(2);
    const float a[2] = {1, 2}, b[2] = {3, 4};
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    CHECK_OK_DB(db, th_put(db, "c", "b", b));
    const char *ids[] = {"a"};
    size_t del = 0;
    CHECK_OK_DB(db, nidus_delete(db, "c", ids, 1, &del));
    CHECK_U64(del, 1);
    CHECK_U64(th_fp(db).rows, 2);
    CHECK_OK_DB(db, nidus_compact(db));
    nidus_footprint f = th_fp(db);
    CHECK_U64(f.rows, 1);
    CHECK_U64(f.dead_rows, 0);
    CHECK_U64(f.vector_bytes, 8);
    float want[2] = {3, 4}, got[2];
    ref_normalize(want, 2);
    get_vec(db, "c", "b", got);
    check_vec_bits(got, want, 2);
    nidus_hits *h = th_search(db, NULL, 0, want, 5);
    CHECK_U64(h->count, 1);
    CHECK_U64(h->hits[0].row, 0);
    CHECK_STR(h->hits[0].id, "b");
    nidus_free(h);
    nidus_close(db);
}

/* Rust: in_memory_rewrite_non_multiple_errors. Our rows are counted, never a float
 * length, so the impossible size here is a row count the matrix cannot hold:
 * refused, and the matrix is as it was. */
TEST(data_reserve_impossible_errors) {
    ndata d = seg_mem(2);
    const float a[2] = {1, 2};
    seg_append(&d, a, 1);
    uint64_t cap = d.cap_rows;
    float *vec = d.vec;
    nerr e = {0};
    CHECK_RC(nidus__data_reserve(&d, UINT64_MAX, &e), NIDUS_ENOMEM);
    CHECK_RC(nidus__data_reserve(&d, UINT64_MAX / 4, &e), NIDUS_ENOMEM);
    CHECK_U64(d.rows, 1);
    CHECK_U64(d.cap_rows, cap);
    CHECK(d.vec == vec);
    check_row(&d, 0, a);
    nidus__data_free(&d);
}

TEST(data_row_count_dimension_zero) {
    ndata d = seg_mem(0);
    nerr e = {0};
    CHECK_RC(nidus__data_reserve(&d, 3, &e), NIDUS_OK);
    CHECK_U64(d.rows, 0);
    nidus__data_free(&d);
    /* the public API never makes such a matrix */
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory(0, &db), NIDUS_EINVAL);
    CHECK(db != NULL);
    CHECK_INT(nidus_errcode(db), NIDUS_EINVAL);
    CHECK_U64(nidus_dimension(db), 0);
    nidus_close(db);
}

TEST(data_in_memory_truncate_to_shrinks) {
    ndata d = seg_mem(2);
    const float rows[6] = {1, 2, 3, 4, 5, 6};
    seg_append(&d, rows, 1);
    seg_append(&d, rows + 2, 1);
    seg_append(&d, rows + 4, 1);
    nerr e = {0};
    CHECK_RC(nidus__data_truncate(&d, 1, &e), NIDUS_OK);
    CHECK_U64(d.rows, 1);
    check_row(&d, 0, rows);
    /* appending after a truncate reuses the freed row */
    const float x[2] = {7, 8};
    seg_append(&d, x, 1);
    CHECK_U64(d.rows, 2);
    check_row(&d, 1, x);
    nidus__data_free(&d);
}

TEST(data_in_memory_truncate_to_zero) {
    ndata d = seg_mem(2);
    const float a[2] = {1, 2};
    seg_append(&d, a, 1);
    nerr e = {0};
    CHECK_RC(nidus__data_truncate(&d, 0, &e), NIDUS_OK);
    CHECK_U64(d.rows, 0);
    CHECK_RC(nidus__data_truncate(&d, 0, &e), NIDUS_OK);
    nidus__data_free(&d);
}

TEST(data_truncate_to_beyond_row_count_errors) {
    ndata d = seg_mem(2);
    const float a[2] = {1, 2};
    seg_append(&d, a, 1);
    nerr e = {0};
    CHECK_RC(nidus__data_truncate(&d, 5, &e), NIDUS_EINVAL);
    CHECK_RC(nidus__data_truncate(&d, 2, &e), NIDUS_EINVAL);
    CHECK_U64(d.rows, 1);
    check_row(&d, 0, a);
    nidus__data_free(&d);
    /* a file-backed segment refuses it too and leaves the file alone */
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    ndata f = seg_open(path, 2);
    seg_append(&f, a, 1);
    CHECK_RC(nidus__data_truncate(&f, 2, &e), NIDUS_EINVAL);
    CHECK_U64(t_file_size(path), 64 + 8);
    nidus__data_free(&f);
}

/* A failed append leaves RAM exactly as it was: in memory the only way to fail is
 * the allocation that grows the matrix. */
TEST(data_append_is_atomic_under_fault) {
    ndata d = seg_mem(2);
    const float a[2] = {1, 2}, b[2] = {3, 4};
    seg_append(&d, a, 1);
    while (d.rows < d.cap_rows) seg_append(&d, a, 1);
    uint64_t rows = d.rows, cap = d.cap_rows;
    nerr e = {0};
    nidus__fault_arm(NIDUS__FAULT_ALLOC, 0, 0);
    CHECK_RC(nidus__data_append(&d, b, 1, &e), NIDUS_ENOMEM);
    CHECK(nidus__fault_fired());
    nidus__fault_disarm();
    CHECK_U64(d.rows, rows);
    CHECK_U64(d.cap_rows, cap);
    check_row(&d, 0, a);
    check_row(&d, rows - 1, a);
    /* and a file-backed one: the row count stands and the file is never cut (a
     * reader may map it, SPEC.md §14): its rows are untouched, and the next append
     * writes over whatever part of the failed one reached it */
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    ndata f = seg_open(path, 2);
    seg_append(&f, a, 1);
    static const int kinds[] = {NIDUS__FAULT_WRITE, NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT};
    for (size_t k = 0; k < 2; k++) {
        nerr fe = {0};
        CHECK_RC(nidus__data_reserve(&f, 3, &fe), NIDUS_OK);
        const float three[6] = {3, 4, 5, 6, 7, 8};
        nidus__fault_arm(kinds[k], 0, ENOSPC);
        CHECK_RC(nidus__data_append(&f, three, 3, &fe), NIDUS_ENOSPC);
        CHECK(nidus__fault_fired());
        nidus__fault_disarm();
        CHECK_INT(fe.sys, ENOSPC);
        CHECK_U64(f.rows, 1);
        CHECK(t_file_size(path) == 64 + 8 + (k ? 12 : 0)); /* a short write: half the 24 bytes */
        size_t n;
        unsigned char *now = t_read_file(path, &n);
        CHECK(now && memcmp(now + 64, a, 8) == 0);
        free(now);
    }
    seg_append(&f, b, 1);
    CHECK_U64(t_file_size(path), 64 + 8 + 12); /* b over the short write's first row, its half row after */
    nidus__data_free(&f);
    ndata g = seg_open(path, 2);
    CHECK_U64(g.rows, 2);
    check_row(&g, 0, a);
    check_row(&g, 1, b);
    nidus__data_free(&g);
    nidus__data_free(&d);
}

/* --------------------------------------------------- file-backed store ---- */

TEST(data_file_open_create_new) {
    const char *base = t_tmpdir();
    const char *dir = t_path(base, "store");
    nidus_db *db = th_open(dir, 4);
    CHECK_U64(nidus_dimension(db), 4);
    CHECK_U64(th_fp(db).rows, 0);
    size_t n;
    unsigned char *b = t_read_file(t_path(dir, "data"), &n);
    CHECK(b != NULL);
    CHECK_U64(n, 64);
    uint8_t want[NIDUS__HEADER_LEN] = {'N', 'I', 'D', 'U', 'S', 0, 1, 0, 4, 0, 0, 0};
    CHECK(memcmp(b, want, 64) == 0);
    uint8_t enc[NIDUS__HEADER_LEN];
    nidus__header_encode(enc, 4);
    CHECK(memcmp(b, enc, 64) == 0);
    free(b);
    CHECK_INT(t_file_size(t_path(dir, "log")), 0);
    CHECK(t_file_size(t_path(dir, "lock")) > 0);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64);
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
}

TEST(data_file_append_and_row) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    const float v[3] = {1, 2, 3};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_hits *h = th_search(db, NULL, 0, v, 1);
    CHECK_U64(h->count, 1);
    CHECK_U64(h->hits[0].row, 0);
    nidus_free(h);
    float want[3] = {1, 2, 3}, got[3];
    ref_normalize(want, 3);
    get_vec(db, "c", "a", got);
    check_vec_bits(got, want, 3);
    /* the file already holds it (every batch is written, and synced, at once) */
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 12);
    file_row(t_path(dir, "data"), 3, 0, got);
    check_vec_bits(got, want, 3);
    nidus_close(db);
}

TEST(data_file_append_and_reopen) {
    const char *dir = t_tmpdir();
    float rows[2][3] = {{1, 2, 3}, {4, 5, 6}};
    nidus_db *db = th_open(dir, 3);
    CHECK_OK_DB(db, th_put(db, "c", "r0", rows[0]));
    CHECK_OK_DB(db, th_put(db, "c", "r1", rows[1]));
    CHECK_OK_DB(db, nidus_flush(db));
    nidus_close(db);
    ref_normalize(rows[0], 3);
    ref_normalize(rows[1], 3);
    db = th_open(dir, 3);
    CHECK_U64(th_fp(db).rows, 2);
    float got[3];
    get_vec(db, "c", "r0", got);
    check_vec_bits(got, rows[0], 3);
    get_vec(db, "c", "r1", got);
    check_vec_bits(got, rows[1], 3);
    file_row(t_path(dir, "data"), 3, 1, got);
    check_vec_bits(got, rows[1], 3);
    nidus_close(db);
}

/* A crash left three bytes of a row. A writer cuts them; a reader (§5.4 hazard 1)
 * ignores them and leaves the file byte for byte as it was. */
TEST(data_file_partial_tail_truncated_on_open) {
    const char *dir = t_tmpdir();
    const char *dpath = t_path(dir, "data");
    const float v[4] = {1, 2, 3, 4};
    nidus_db *db = th_open(dir, 4);
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_close(db);
    size_t n;
    unsigned char *b = t_read_file(dpath, &n);
    CHECK_U64(n, 64 + 16);
    unsigned char torn[64 + 16 + 3];
    memcpy(torn, b, n);
    torn[80] = torn[81] = torn[82] = 0xFF;
    free(b);
    t_write_file(dpath, torn, sizeof torn);

    float want[4] = {1, 2, 3, 4}, got[4];
    ref_normalize(want, 4);
    /* read-only: whole rows read, file untouched */
    snap before, after;
    snap_take(dir, &before);
    db = th_open_ro(dir, 4);
    CHECK_U64(th_fp(db).rows, 1);
    CHECK_U64(th_count(db, "c"), 1);
    get_vec(db, "c", "a", got);
    check_vec_bits(got, want, 4);
    nidus_close(db);
    snap_take(dir, &after);
    snap_same(&before, &after);
    snap_free(&before);
    snap_free(&after);
    CHECK_INT(t_file_size(dpath), (long long)sizeof torn);

    /* read-write: the fragment is cut, the row survives */
    db = th_open(dir, 4);
    CHECK_INT(t_file_size(dpath), 64 + 1 * 4 * 4);
    CHECK_U64(th_fp(db).rows, 1);
    get_vec(db, "c", "a", got);
    check_vec_bits(got, want, 4);
    /* the next append lands on the row boundary */
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    CHECK_INT(t_file_size(dpath), 64 + 2 * 16);
    nidus_close(db);
    db = th_open(dir, 4);
    CHECK_U64(th_fp(db).rows, 2);
    get_vec(db, "c", "b", got);
    check_vec_bits(got, want, 4);
    nidus_close(db);
}

TEST(data_file_dimension_mismatch_errors) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 4);
    nidus_close(db);
    const char *msg = open_dim_fails(dir, 8, NIDUS_EDIM);
    check_has(msg, "dimension");
    /* the failed writer open released its lock */
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
    nidus_config ro = cfg_of(8);
    ro.read_only = 1;
    msg = open_fails(dir, &ro, NIDUS_EDIM);
    check_has(msg, "dimension");
    CHECK_INT(t_file_size(t_path(dir, "data")), 64);
    db = th_open(dir, 4);
    nidus_close(db);
}

/* Rust: file_rewrite_and_reopen. Our rewrite is compaction. */
TEST(data_file_rewrite_and_reopen) {
    const char *dir = t_tmpdir();
    const float a[2] = {1, 2}, b[2] = {3, 4};
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    CHECK_OK_DB(db, th_put(db, "c", "b", b));
    const char *ids[] = {"a"};
    CHECK_OK_DB(db, nidus_delete(db, "c", ids, 1, NULL));
    CHECK_OK_DB(db, nidus_compact(db));
    CHECK_U64(th_fp(db).rows, 1);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 8);
    nidus_close(db);
    float want[2] = {3, 4}, got[2];
    ref_normalize(want, 2);
    file_row(t_path(dir, "data"), 2, 0, got);
    check_vec_bits(got, want, 2);
    db = th_open(dir, 2);
    CHECK_U64(th_fp(db).rows, 1);
    CHECK_U64(th_count(db, "c"), 1);
    get_vec(db, "c", "b", got);
    check_vec_bits(got, want, 2);
    nidus_close(db);
}

TEST(data_file_rewrite_then_append) {
    const char *dir = t_tmpdir();
    const float a[2] = {1, 2}, b[2] = {5, 6}, c[2] = {7, 8};
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "c", "a", a));
    const char *ids[] = {"a"};
    CHECK_OK_DB(db, nidus_delete(db, "c", ids, 1, NULL));
    CHECK_OK_DB(db, th_put(db, "c", "b", b));
    CHECK_OK_DB(db, nidus_compact(db));
    CHECK_U64(th_fp(db).rows, 1);
    CHECK_OK_DB(db, th_put(db, "c", "c", c));
    nidus_hits *h = th_search(db, NULL, 0, c, 1);
    CHECK_U64(h->count, 1);
    CHECK_STR(h->hits[0].id, "c");
    CHECK_U64(h->hits[0].row, 1);
    nidus_free(h);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 16);
    db = th_open(dir, 2);
    CHECK_U64(th_fp(db).rows, 2);
    float wb[2] = {5, 6}, wc[2] = {7, 8}, got[2];
    ref_normalize(wb, 2);
    ref_normalize(wc, 2);
    file_row(t_path(dir, "data"), 2, 0, got);
    check_vec_bits(got, wb, 2);
    file_row(t_path(dir, "data"), 2, 1, got);
    check_vec_bits(got, wc, 2);
    get_vec(db, "c", "c", got);
    check_vec_bits(got, wc, 2);
    nidus_close(db);
}

TEST(data_file_append_wrong_dimension_errors) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    const float v[4] = {1, 2, 3, 4};
    nidus_record r = {"a", v, 2, NULL, 0};
    CHECK_RC(nidus_upsert(db, "c", &r, 1), NIDUS_EDIM);
    check_has(nidus_errmsg(db), "dimension");
    r.dim = 4;
    CHECK_RC(nidus_upsert(db, "c", &r, 1), NIDUS_EDIM);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64);
    CHECK_INT(t_file_size(t_path(dir, "log")), 0);
    nidus_close(db);
}

TEST(data_file_truncated_header_errors) {
    const char *dir = dir_with_data("NIDUS", 5);
    const char *msg = open_dim_fails(dir, 3, NIDUS_ECORRUPT);
    if (!strstr(msg, "truncated") && !strstr(msg, "header"))
        t_fail(__FILE__, __LINE__, "message names neither truncated nor header: %s", msg);
    CHECK_INT(t_file_size(t_path(dir, "data")), 5);
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
    nidus_config ro = cfg_of(3);
    ro.read_only = 1;
    open_fails(dir, &ro, NIDUS_ECORRUPT);
    CHECK_INT(t_file_size(t_path(dir, "data")), 5);
}

TEST(data_file_bad_magic_errors) {
    uint8_t buf[NIDUS__HEADER_LEN] = {'W', 'R', 'O', 'N', 'G', 0, 1, 0, 3, 0, 0, 0};
    const char *dir = dir_with_data(buf, sizeof buf);
    const char *msg = open_dim_fails(dir, 3, NIDUS_ENOTDB);
    check_has(msg, "magic");
    nidus_config ro = cfg_of(3);
    ro.read_only = 1;
    open_fails(dir, &ro, NIDUS_ENOTDB);
    /* a bad version through the same door */
    nidus__header_encode(buf, 3);
    buf[6] = 2;
    dir = dir_with_data(buf, sizeof buf);
    msg = open_dim_fails(dir, 3, NIDUS_EVERSION);
    check_has(msg, "version");
    CHECK_INT(t_file_size(t_path(dir, "data")), 64);
}

/* Rows on disk are the unit-normalized vectors: x * (1 / sqrtf(sum of squares)). */
TEST(data_file_exact_bytes_on_disk) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1.0f, -1.0f}, w[2] = {3.0f, 4.0f};
    CHECK_OK_DB(db, th_put(db, "c", "v", v));
    CHECK_OK_DB(db, th_put(db, "c", "w", w));
    nidus_close(db);
    size_t n;
    unsigned char *raw = t_read_file(t_path(dir, "data"), &n);
    CHECK_U64(n, 64 + 2 * 2 * 4);
    CHECK(memcmp(raw, "NIDUS\0", 6) == 0);
    CHECK_INT(raw[6], 1);
    CHECK_U64(get_u32le(raw + 8), 2);
    /* [1,-1]: 1/sqrtf(2) = 0x3F3504F3, multiplied in */
    float inv = 1.0f / sqrtf(1.0f * 1.0f + (-1.0f) * (-1.0f));
    uint8_t want[8];
    float_le(1.0f * inv, want);
    float_le(-1.0f * inv, want + 4);
    CHECK(memcmp(raw + 64, want, 8) == 0);
    const uint8_t lit0[8] = {0xF3, 0x04, 0x35, 0x3F, 0xF3, 0x04, 0x35, 0xBF};
    CHECK(memcmp(raw + 64, lit0, 8) == 0);
    /* [3,4]: 3 * 0.2f and 4 * 0.2f, exactly as nidus stores them */
    const uint8_t lit1[8] = {0x9a, 0x99, 0x19, 0x3f, 0xcd, 0xcc, 0x4c, 0x3f};
    CHECK(memcmp(raw + 72, lit1, 8) == 0);
    float inv5 = 1.0f / sqrtf(3.0f * 3.0f + 4.0f * 4.0f);
    float_le(3.0f * inv5, want);
    float_le(4.0f * inv5, want + 4);
    CHECK(memcmp(raw + 72, want, 8) == 0);
    free(raw);
}

/* Rust: file_truncate_to_realigns_and_reopens (truncate has no public door; a
 * failed batch uses it, see data_store_upsert_atomic_under_fault). */
TEST(data_file_truncate_to_realigns_and_reopens) {
    const char *dir = t_tmpdir();
    const char *path = t_path(dir, "data");
    const float r[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    {
        ndata d = seg_open(path, 2);
        seg_append(&d, r, 1);
        seg_append(&d, r + 2, 1);
        seg_append(&d, r + 4, 1);
        nerr e = {0};
        CHECK_RC(nidus__data_truncate(&d, 1, &e), NIDUS_OK);
        CHECK_RC(nidus__data_sync(&d, &e), NIDUS_OK);
        CHECK_U64(d.rows, 1);
        CHECK_INT(t_file_size(path), 64 + 2 * 4);
        seg_append(&d, r + 6, 1);
        CHECK_U64(d.rows, 2);
        CHECK_RC(nidus__data_sync(&d, &e), NIDUS_OK);
        nidus__data_free(&d);
    }
    ndata d2 = seg_open(path, 2);
    CHECK_U64(d2.rows, 2);
    check_row(&d2, 0, r);
    check_row(&d2, 1, r + 6);
    nidus__data_free(&d2);
}

/* A batch that fails while writing leaves the log byte for byte as it was and
 * `data`'s bytes too, at whichever write it fails (the data rows, the log frame),
 * whole or short; `data` may only have grown: by rows that reached it whole,
 * which stay as dead orphan rows, or by bytes of a failed row write, which the
 * next batch writes over (SPEC.md §14). */
TEST(data_store_upsert_atomic_under_fault) {
    static const int kinds[] = {NIDUS__FAULT_WRITE, NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT};
    for (size_t k = 0; k < 2; k++) {
        for (long at = 0;; at++) {
            const char *dir = t_tmpdir();
            const float a[3] = {1, 0, 0}, b[3] = {0, 1, 0}, c[3] = {0, 0, 1};
            nidus_db *db = th_open(dir, 3);
            CHECK_OK_DB(db, th_put(db, "c", "a", a));
            size_t dlen, llen;
            unsigned char *dbytes = t_read_file(t_path(dir, "data"), &dlen);
            unsigned char *lbytes = t_read_file(t_path(dir, "log"), &llen);
            nidus_record recs[2] = {{"b", b, 3, NULL, 0}, {"c", c, 3, NULL, 0}};
            nidus__fault_arm(kinds[k], at, ENOSPC);
            int rc = nidus_upsert(db, "c", recs, 2);
            bool fired = nidus__fault_fired();
            nidus__fault_disarm();
            if (!fired) {
                CHECK_INT(rc, NIDUS_OK);
                CHECK(at >= 2); /* the data write and the log write both fail-able */
                nidus_close(db);
                free(dbytes);
                free(lbytes);
                break;
            }
            CHECK_INT(rc, NIDUS_ENOSPC);
            CHECK_INT(nidus_sys_errno(db), ENOSPC);
            size_t n;
            unsigned char *now = t_read_file(t_path(dir, "data"), &n);
            CHECK(n >= dlen);
            CHECK(memcmp(now, dbytes, dlen) == 0);
            free(now);
            now = t_read_file(t_path(dir, "log"), &n);
            CHECK_U64(n, llen);
            CHECK(memcmp(now, lbytes, n) == 0);
            free(now);
            free(dbytes);
            free(lbytes);
            /* the rows' write failed (no orphans) or the log's (the 2 rows are orphans) */
            nidus_footprint fp = th_fp(db);
            uint64_t orphans = fp.rows - 1;
            CHECK(orphans == 0 || orphans == 2);
            CHECK_U64(fp.dead_rows, orphans);
            CHECK_U64(th_count(db, "c"), 1);
            /* the handle goes on: the next batch lands after row 0 and any orphans */
            CHECK_OK_DB(db, nidus_upsert(db, "c", recs, 2));
            CHECK_U64(th_fp(db).rows, 3 + orphans);
            nidus_close(db);
            db = th_open(dir, 3);
            CHECK_U64(th_fp(db).rows, 3 + orphans);
            CHECK_U64(th_count(db, "c"), 3);
            CHECK_INT(t_file_size(t_path(dir, "data")), 64 + (3 + orphans) * 12);
            nidus_hits *h = th_search(db, NULL, 0, c, 1);
            CHECK_STR(h->hits[0].id, "c");
            CHECK_U64(h->hits[0].row, 2 + orphans);
            nidus_free(h);
            nidus_close(db);
        }
    }
}

/* ------------------------------------------------ open rules of this port ---- */

TEST(data_open_dimension_zero_refused_for_new_store) {
    const char *base = t_tmpdir();
    const char *dir = t_path(base, "new");
    open_dim_fails(dir, 0, NIDUS_EINVAL);
    /* nothing half-made is left behind to adopt later */
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
    long long dsize = t_file_size(t_path(dir, "data"));
    CHECK(dsize == -1 || dsize == 0);
    /* NULL config means dimension 0 */
    nidus_db *db = NULL;
    CHECK_RC(nidus_open(dir, NULL, &db), NIDUS_EINVAL);
    nidus_close(db);
    /* and a real dimension afterwards makes the store */
    db = th_open(dir, 5);
    CHECK_U64(nidus_dimension(db), 5);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64);
}

TEST(data_open_memory_dimension_zero_refused) {
    nidus_db *db = NULL;
    CHECK_RC(nidus_open_memory(0, &db), NIDUS_EINVAL);
    CHECK(db != NULL);
    check_has(nidus_errmsg(db), "dimension");
    const float v[1] = {1};
    nidus_record r = {"a", v, 0, NULL, 0};
    CHECK_RC(nidus_upsert(db, "c", &r, 1), NIDUS_EMISUSE);
    nidus_close(db);
}

TEST(data_open_dimension_zero_adopts_existing) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 7);
    float v[7] = {1, 2, 3, 4, 5, 6, 7};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_close(db);
    db = th_open(dir, 0);
    CHECK_U64(nidus_dimension(db), 7);
    nidus_config c;
    CHECK_OK_DB(db, nidus_get_config(db, &c));
    CHECK_U64(c.dimension, 7);
    CHECK_U64(th_fp(db).dimension, 7);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_close(db);
    db = th_open_ro(dir, 0);
    CHECK_U64(nidus_dimension(db), 7);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_close(db);
    nidus_db *d2 = NULL;
    CHECK_RC(nidus_open(dir, NULL, &d2), NIDUS_OK);
    CHECK_U64(nidus_dimension(d2), 7);
    nidus_close(d2);
}

TEST(data_readonly_open_missing_dir_creates_nothing) {
    const char *base = t_tmpdir();
    const char *dir = t_path(base, "absent/deeper");
    nidus_config c = cfg_of(3);
    c.read_only = 1;
    open_fails(dir, &c, NIDUS_ENOTFOUND);
    struct stat st;
    CHECK(stat(t_path(base, "absent"), &st) < 0);
    CHECK_INT(errno, ENOENT);
    /* an empty existing directory is no store either, and stays empty */
    snap before, after;
    snap_take(base, &before);
    CHECK_U64(before.n, 0);
    open_fails(base, &c, NIDUS_ENOTFOUND);
    snap_take(base, &after);
    snap_same(&before, &after);
    snap_free(&before);
    snap_free(&after);
}

TEST(data_readonly_open_modifies_nothing) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 3);
    const float v[3] = {1, 2, 3}, w[3] = {3, 2, 1};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    CHECK_OK_DB(db, th_put(db, "c", "b", w));
    CHECK_OK_DB(db, th_put(db, "c", "a", w)); /* a dead row */
    const char *ids[] = {"b"};
    CHECK_OK_DB(db, nidus_delete(db, "c", ids, 1, NULL)); /* dead/rows = 2/3 > 0.5 */
    nidus_close(db);
    /* and a torn log tail that a writer would cut */
    size_t n;
    unsigned char *log = t_read_file(t_path(dir, "log"), &n);
    unsigned char *torn = malloc(n + 3);
    memcpy(torn, log, n);
    memcpy(torn + n, "\x40\x00\x00", 3);
    t_write_file(t_path(dir, "log"), torn, n + 3);
    free(log);
    free(torn);
    CHECK(chmod(t_path(dir, "data"), 0444) == 0);
    CHECK(chmod(t_path(dir, "log"), 0444) == 0);

    snap before, after;
    snap_take(dir, &before);
    nidus_config c = cfg_of(0);
    c.read_only = 1; /* auto_compact left at its default 0.5: a reader never compacts */
    db = th_open_cfg(dir, &c);
    CHECK_U64(th_fp(db).rows, 3);
    CHECK_U64(th_fp(db).dead_rows, 2);
    CHECK_U64(th_count(db, "c"), 1);
    nidus_hits *h = th_search(db, NULL, 0, w, 3);
    CHECK_U64(h->count, 1);
    nidus_free(h);
    CHECK_RC(th_put(db, "c", "z", v), NIDUS_EREADONLY);
    CHECK_RC(nidus_compact(db), NIDUS_EREADONLY);
    CHECK_RC(nidus_flush(db), NIDUS_EREADONLY);
    nidus_close(db);
    snap_take(dir, &after);
    snap_same(&before, &after);
    snap_free(&before);
    snap_free(&after);
}

TEST(data_open_max_vector_bytes) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1, 2};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    CHECK_OK_DB(db, th_put(db, "c", "d", v));
    nidus_close(db); /* 24 bytes of vectors */
    nidus_config c = cfg_of(2);
    c.max_vector_bytes = 8;
    const char *msg = open_fails(dir, &c, NIDUS_ECAPACITY);
    check_has(msg, "max_vector_bytes");
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
    c.max_vector_bytes = 23;
    open_fails(dir, &c, NIDUS_ECAPACITY);
    c.read_only = 1;
    msg = open_fails(dir, &c, NIDUS_ECAPACITY);
    check_has(msg, "max_vector_bytes");
    c.read_only = 0;
    c.max_vector_bytes = 24;
    db = th_open_cfg(dir, &c);
    CHECK_U64(th_fp(db).vector_bytes, 24);
    /* at the cap, one more row is refused and the store goes on */
    CHECK_RC(th_put(db, "c", "e", v), NIDUS_ECAPACITY);
    check_has(nidus_errmsg(db), "max_vector_bytes");
    CHECK_U64(th_count(db, "c"), 3);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 24);
    c.max_vector_bytes = 0; /* no cap */
    db = th_open_cfg(dir, &c);
    nidus_close(db);
}

/* The cap is on rows*dimension*4: a crash fragment after the last row is no row,
 * so a store exactly at the cap still opens (a writer then cuts the fragment, a
 * reader ignores it). */
TEST(data_open_cap_ignores_partial_row) {
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    const float v[2] = {1, 2};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    CHECK_OK_DB(db, th_put(db, "c", "b", v));
    nidus_close(db);
    size_t n;
    unsigned char *b = t_read_file(t_path(dir, "data"), &n);
    CHECK_U64(n, 64 + 16);
    unsigned char torn[64 + 16 + 3];
    memcpy(torn, b, n);
    memset(torn + n, 0xFF, 3);
    free(b);
    t_write_file(t_path(dir, "data"), torn, sizeof torn);
    nidus_config c = cfg_of(2);
    c.max_vector_bytes = 16;
    c.read_only = 1;
    db = th_open_cfg(dir, &c);
    CHECK_U64(th_fp(db).vector_bytes, 16);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), (long long)sizeof torn);
    c.read_only = 0;
    db = th_open_cfg(dir, &c);
    CHECK_U64(th_count(db, "c"), 2);
    nidus_close(db);
    CHECK_INT(t_file_size(t_path(dir, "data")), 64 + 16);
    c.max_vector_bytes = 15;
    open_fails(dir, &c, NIDUS_ECAPACITY);
}

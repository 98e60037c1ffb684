/* test_log.c — log replay (torn tails versus corruption) and appends, ported from
 * nidus 0.3.1's log tests, plus the golden logs re-encoded byte for byte, and a
 * corrupt log met by nidus_open. */
#include "test_store_helpers.h"

#include "nidus_internal.h"

#include <errno.h>
#include <fcntl.h>

#define S(lit) ((nidus_str){(lit), sizeof(lit) - 1})

/* ------------------------------------------------------------- helpers ---- */

/* Collects scanned ops (owned) for inspection. */
typedef struct sink {
    nlogop ops[512];
    size_t n;
    size_t fail_at; /* return NIDUS_EDIM on this op (SIZE_MAX: never) */
} sink;

static int collect(void *ctx, nlogop *op) {
    sink *s = ctx;
    if (s->n == s->fail_at || s->n == sizeof s->ops / sizeof s->ops[0]) {
        nidus__op_free(op);
        return NIDUS_EDIM;
    }
    s->ops[s->n++] = *op;
    return NIDUS_OK;
}

static void sink_init(sink *s) {
    s->n = 0;
    s->fail_at = SIZE_MAX;
}

static void sink_free(sink *s) {
    for (size_t i = 0; i < s->n; i++) nidus__op_free(&s->ops[i]);
    s->n = 0;
}

typedef struct scan_result {
    int rc;
    size_t good_end;
    bool torn;
} scan_result;

static scan_result scan(const uint8_t *buf, size_t len, sink *s, nerr *e) {
    scan_result r;
    sink_init(s);
    r.rc = nidus__log_scan(buf, len, &r.good_end, &r.torn, collect, s, e);
    return r;
}

/* The i-th test op: a mix of every kind, ids carrying i. */
static void op_append(nbuf *b, int i) {
    char id[32];
    int n = snprintf(id, sizeof id, "doc-%d", i);
    nattr a[] = {{S("i"), nidus_int(i)}, {S("s"), {.type = NIDUS_STR, .v.str = {id, (size_t)n}}}};
    nlogop op;
    memset(&op, 0, sizeof op);
    op.coll = S("c");
    switch (i % 4) {
    case 0: op.tag = NIDUS__OP_CREATE; break;
    case 1:
        op.tag = NIDUS__OP_UPSERT;
        op.id = (nidus_str){id, (size_t)n};
        op.row = (uint64_t)i;
        op.attrs.items = a;
        op.attrs.n = 2;
        break;
    case 2: op.tag = NIDUS__OP_DELETE; op.id = (nidus_str){id, (size_t)n}; break;
    default: op.tag = NIDUS__OP_DROP; break;
    }
    nerr e = {0};
    CHECK_RC(nidus__frame_append(b, &op, &e), NIDUS_OK);
}

static void check_op_i(const nlogop *op, int i) {
    static const uint32_t tags[] = {NIDUS__OP_CREATE, NIDUS__OP_UPSERT, NIDUS__OP_DELETE, NIDUS__OP_DROP};
    CHECK_INT(op->tag, tags[i % 4]);
    CHECK_STR(op->coll.ptr, "c");
    if (op->tag == NIDUS__OP_UPSERT || op->tag == NIDUS__OP_DELETE) {
        char id[32];
        snprintf(id, sizeof id, "doc-%d", i);
        CHECK_STR(op->id.ptr, id);
    }
    if (op->tag == NIDUS__OP_UPSERT) {
        CHECK_U64(op->row, (uint64_t)i);
        CHECK_U64(op->attrs.n, 2);
        CHECK_INT(op->attrs.items[0].val.v.i, i);
    }
}

/* Frames 0..n-1; ends[k] = end offset of frame k. */
static void build(nbuf *b, int n, size_t *ends) {
    for (int i = 0; i < n; i++) {
        op_append(b, i);
        if (ends) ends[i] = b->len;
    }
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void append_raw(nbuf *b, const void *p, size_t n) {
    CHECK_RC(nidus__buf_reserve(b, n), NIDUS_OK);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* A frame with a correct CRC around an arbitrary payload. */
static void append_framed(nbuf *b, const void *payload, uint32_t n) {
    uint8_t h[4];
    put_u32(h, n);
    append_raw(b, h, 4);
    append_raw(b, payload, n);
    put_u32(h, nidus__crc32(payload, n));
    append_raw(b, h, 4);
}

static nlog log_open(const char *path) {
    int fd = nidus__io_open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) t_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(-fd));
    uint64_t size;
    CHECK_INT(nidus__io_fsize(fd, &size), 0);
    return (nlog){fd, size};
}

static void log_close(nlog *l) {
    CHECK_INT(nidus__io_close(l->fd), 0);
    l->fd = -1;
}

/* Open-time recovery as the store does it: scan, then cut a torn tail. */
static scan_result recover(const char *path, sink *s) {
    size_t len;
    uint8_t *buf = t_read_file(path, &len);
    CHECK(buf != NULL);
    nerr e = {0};
    scan_result r = scan(buf, len, s, &e);
    if (r.rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "scan -> %d: %s", r.rc, e.msg);
    if (r.torn) {
        nlog l = log_open(path);
        CHECK_RC(nidus__log_truncate(&l, r.good_end, &e), NIDUS_OK);
        log_close(&l);
    }
    free(buf);
    return r;
}

/* ------------------------------------------------------------ in memory ---- */

TEST(log_frame_roundtrip_single) {
    nbuf b = {0};
    op_append(&b, 1); /* an Upsert with attrs */
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_OK);
    CHECK(!r.torn);
    CHECK_U64(r.good_end, b.len);
    CHECK_U64(s.n, 1);
    check_op_i(&s.ops[0], 1);
    sink_free(&s);
    nidus__buf_free(&b);
}

TEST(log_frame_roundtrip_many) {
    nbuf b = {0};
    build(&b, 300, NULL);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_OK);
    CHECK(!r.torn);
    CHECK_U64(r.good_end, b.len);
    CHECK_U64(s.n, 300);
    for (int i = 0; i < 300; i++) check_op_i(&s.ops[i], i);
    sink_free(&s);
    nidus__buf_free(&b);
}

TEST(log_empty) {
    sink s;
    nerr e = {0};
    scan_result r = scan(NULL, 0, &s, &e);
    CHECK_RC(r.rc, NIDUS_OK);
    CHECK(!r.torn);
    CHECK_U64(r.good_end, 0);
    CHECK_U64(s.n, 0);
}

TEST(log_truncated_length_field) {
    nbuf b = {0};
    size_t ends[2];
    build(&b, 2, ends);
    sink s;
    nerr e = {0};
    for (size_t extra = 1; extra < 4; extra++) {
        scan_result r = scan(b.p, ends[0] + extra, &s, &e);
        CHECK_RC(r.rc, NIDUS_OK);
        CHECK(r.torn);
        CHECK_U64(r.good_end, ends[0]);
        CHECK_U64(s.n, 1);
        sink_free(&s);
        /* only a stub of a length field in the whole file */
        r = scan(b.p, extra, &s, &e);
        CHECK(r.rc == NIDUS_OK && r.torn && r.good_end == 0 && s.n == 0);
    }
    nidus__buf_free(&b);
}

/* A crash can stop an append at any byte: every cut inside the last frame is a
 * torn tail that keeps all frames before it. */
TEST(log_torn_payload_every_cut) {
    nbuf b = {0};
    size_t ends[3];
    build(&b, 3, ends);
    sink s;
    nerr e = {0};
    for (size_t cut = ends[1] + 1; cut < ends[2]; cut++) {
        scan_result r = scan(b.p, cut, &s, &e);
        CHECK_RC(r.rc, NIDUS_OK);
        CHECK(r.torn);
        CHECK_U64(r.good_end, ends[1]);
        CHECK_U64(s.n, 2);
        sink_free(&s);
    }
    nidus__buf_free(&b);
}

TEST(log_bad_tail_crc_recovered) {
    nbuf b = {0};
    size_t ends[3];
    build(&b, 3, ends);
    sink s;
    nerr e = {0};
    /* a flipped payload byte, and separately a flipped CRC byte, in the last frame */
    for (int which = 0; which < 2; which++) {
        size_t at = which == 0 ? ends[1] + 6 : ends[2] - 1;
        b.p[at] ^= 0x40;
        scan_result r = scan(b.p, b.len, &s, &e);
        CHECK_RC(r.rc, NIDUS_OK);
        CHECK(r.torn);
        CHECK_U64(r.good_end, ends[1]);
        CHECK_U64(s.n, 2);
        sink_free(&s);
        b.p[at] ^= 0x40;
    }
    nidus__buf_free(&b);
}

TEST(log_corruption_in_middle_is_error) {
    nbuf b = {0};
    size_t ends[3];
    build(&b, 3, ends);
    b.p[ends[0] + 5] ^= 0x01; /* a payload byte of frame 1 */
    uint32_t computed = nidus__crc32(b.p + ends[0] + 4, ends[1] - ends[0] - 8);
    uint32_t stored = (uint32_t)b.p[ends[1] - 4] | (uint32_t)b.p[ends[1] - 3] << 8 |
                      (uint32_t)b.p[ends[1] - 2] << 16 | (uint32_t)b.p[ends[1] - 1] << 24;
    char want[200];
    snprintf(want, sizeof want,
             "log corruption: CRC mismatch at offset %zu: expected 0x%08x, got 0x%08x", ends[0],
             (unsigned)computed, (unsigned)stored);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_ECORRUPT);
    CHECK_INT(e.code, NIDUS_ECORRUPT);
    CHECK_STR(e.msg, want);
    CHECK_U64(r.good_end, ends[0]);
    CHECK(!r.torn);
    CHECK_U64(s.n, 1); /* frames before it were already delivered */
    sink_free(&s);
    /* Even one garbage byte after a bad frame makes it mid-log. */
    nbuf c = {0};
    append_raw(&c, b.p, ends[1]);
    append_raw(&c, "\x00", 1);
    r = scan(c.p, c.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_ECORRUPT);
    sink_free(&s);
    nidus__buf_free(&c);
    nidus__buf_free(&b);
}

/* A zero-length frame stored with CRC 0 passes the CRC (crc32 of nothing is 0)
 * and then fails to decode: torn at the tail, corruption before more frames. */
TEST(log_zero_length_frame) {
    nbuf b = {0};
    size_t ends[1];
    build(&b, 1, ends);
    append_raw(&b, "\0\0\0\0\0\0\0\0", 8);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK(r.rc == NIDUS_OK && r.torn && r.good_end == ends[0] && s.n == 1);
    sink_free(&s);
    op_append(&b, 0);
    r = scan(b.p, b.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_ECORRUPT);
    char want[128];
    snprintf(want, sizeof want, "log corruption: bincode decode failed at offset %zu: ", ends[0]);
    CHECK(strncmp(e.msg, want, strlen(want)) == 0);
    sink_free(&s);
    nidus__buf_free(&b);
}

/* A frame whose CRC is right but whose payload is not an Op follows the same rule. */
TEST(log_decode_error_tail_versus_middle) {
    static const uint8_t bad[] = {9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c'};
    nbuf b = {0};
    size_t ends[1];
    build(&b, 1, ends);
    append_framed(&b, bad, sizeof bad);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK(r.rc == NIDUS_OK && r.torn && r.good_end == ends[0] && s.n == 1);
    sink_free(&s);
    op_append(&b, 4);
    r = scan(b.p, b.len, &s, &e);
    CHECK_RC(r.rc, NIDUS_ECORRUPT);
    char want[128];
    snprintf(want, sizeof want, "log corruption: bincode decode failed at offset %zu: unknown op tag 9",
             ends[0]);
    CHECK_STR(e.msg, want);
    sink_free(&s);
    nidus__buf_free(&b);
}

TEST(log_scan_accepts_trailing_bytes_in_payload) {
    static const uint8_t p[] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c', 0xAA, 0xBB};
    nbuf b = {0};
    append_framed(&b, p, sizeof p);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK(r.rc == NIDUS_OK && !r.torn && r.good_end == b.len && s.n == 1);
    CHECK_STR(s.ops[0].coll.ptr, "c");
    sink_free(&s);
    nidus__buf_free(&b);
}

TEST(log_garbage_length_past_end_is_torn) {
    nbuf b = {0};
    size_t ends[2];
    build(&b, 2, ends);
    static const uint8_t junk[] = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8};
    append_raw(&b, junk, sizeof junk);
    sink s;
    nerr e = {0};
    scan_result r = scan(b.p, b.len, &s, &e);
    CHECK(r.rc == NIDUS_OK && r.torn && r.good_end == ends[1] && s.n == 2);
    sink_free(&s);
    /* garbage from byte 0 */
    r = scan(junk, sizeof junk, &s, &e);
    CHECK(r.rc == NIDUS_OK && r.torn && r.good_end == 0 && s.n == 0);
    nidus__buf_free(&b);
}

TEST(log_callback_error_stops_walk) {
    nbuf b = {0};
    size_t ends[4];
    build(&b, 4, ends);
    sink s;
    sink_init(&s);
    s.fail_at = 2;
    size_t good;
    bool torn;
    nerr e = {0};
    CHECK_RC(nidus__log_scan(b.p, b.len, &good, &torn, collect, &s, &e), NIDUS_EDIM);
    CHECK_U64(good, ends[1]);
    CHECK(!torn);
    CHECK_U64(s.n, 2);
    sink_free(&s);
    /* A NULL callback validates only. */
    CHECK_RC(nidus__log_scan(b.p, b.len, &good, &torn, NULL, NULL, &e), NIDUS_OK);
    CHECK_U64(good, b.len);
    nidus__buf_free(&b);
}

/* Running out of memory while decoding is not evidence of a torn tail: it must
 * be reported, never "recovered" by cutting good frames off. */
TEST(log_scan_oom_is_not_torn) {
    nbuf b = {0};
    build(&b, 2, NULL);
    sink s;
    sink_init(&s);
    size_t good;
    bool torn;
    nerr e = {0};
    for (long k = 0;; k++) {
        nidus__fault_arm(NIDUS__FAULT_ALLOC, k, 0);
        int rc = nidus__log_scan(b.p, b.len, &good, &torn, collect, &s, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (!fired) {
            CHECK_RC(rc, NIDUS_OK);
            CHECK_U64(s.n, 2);
            break;
        }
        CHECK_RC(rc, NIDUS_ENOMEM);
        CHECK(!torn);
        sink_free(&s);
    }
    sink_free(&s);
    nidus__buf_free(&b);
}

TEST(log_memory_offset_and_truncate) {
    nlog l = {-1, 0};
    nbuf b = {0};
    nerr e = {0};
    op_append(&b, 0);
    size_t one = b.len;
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    CHECK_U64(l.size, one);
    op_append(&b, 1);
    nbuf second = {b.p + one, b.len - one, 0};
    CHECK_RC(nidus__log_append(&l, &second, &e), NIDUS_OK);
    CHECK_U64(l.size, b.len);
    CHECK_RC(nidus__log_truncate(&l, one, &e), NIDUS_OK);
    CHECK_U64(l.size, one);
    CHECK_RC(nidus__log_truncate(&l, 0, &e), NIDUS_OK);
    CHECK_U64(l.size, 0);
    CHECK_RC(nidus__log_sync(&l, &e), NIDUS_OK); /* a no-op in memory */
    nbuf empty = {0};
    CHECK_RC(nidus__log_append(&l, &empty, &e), NIDUS_OK);
    CHECK_U64(l.size, 0);
    nidus__buf_free(&b);
}

TEST(log_truncate_past_end_errors) {
    nerr e = {0};
    nlog m = {-1, 10};
    CHECK_RC(nidus__log_truncate(&m, 11, &e), NIDUS_EINVAL);
    CHECK(strstr(e.msg, "past") != NULL);
    CHECK_U64(m.size, 10);
    CHECK_RC(nidus__log_truncate(&m, 10, &e), NIDUS_OK);

    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    nbuf b = {0};
    build(&b, 2, NULL);
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    CHECK_RC(nidus__log_truncate(&l, b.len + 1, &e), NIDUS_EINVAL);
    CHECK_U64(l.size, b.len);
    log_close(&l);
    CHECK_INT(t_file_size(path), (long long)b.len);
    nidus__buf_free(&b);
}

/* --------------------------------------------------------------- files ---- */

TEST(log_file_roundtrip) {
    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    CHECK_U64(l.size, 0);
    nerr e = {0};
    nbuf all = {0};
    for (int batch = 0; batch < 5; batch++) {
        nbuf b = {0};
        for (int i = 0; i < 10; i++) op_append(&b, batch * 10 + i);
        CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
        append_raw(&all, b.p, b.len);
        nidus__buf_free(&b);
    }
    CHECK_RC(nidus__log_sync(&l, &e), NIDUS_OK);
    CHECK_U64(l.size, all.len);
    log_close(&l);
    size_t len;
    uint8_t *buf = t_read_file(path, &len);
    CHECK_U64(len, all.len);
    CHECK(memcmp(buf, all.p, len) == 0);
    sink s;
    scan_result r = scan(buf, len, &s, &e);
    CHECK(r.rc == NIDUS_OK && !r.torn && r.good_end == len);
    CHECK_U64(s.n, 50);
    for (int i = 0; i < 50; i++) check_op_i(&s.ops[i], i);
    sink_free(&s);
    free(buf);
    /* Reopened, appends continue at the end. */
    l = log_open(path);
    CHECK_U64(l.size, all.len);
    nbuf more = {0};
    op_append(&more, 50);
    CHECK_RC(nidus__log_append(&l, &more, &e), NIDUS_OK);
    log_close(&l);
    r = recover(path, &s);
    CHECK(!r.torn && s.n == 51);
    check_op_i(&s.ops[50], 50);
    sink_free(&s);
    nidus__buf_free(&more);
    nidus__buf_free(&all);
}

/* Recovery drops a torn tail for good: after the cut the file scans clean and
 * new appends follow the last good frame. */
static void check_tail_recovered(const void *tail, size_t tail_len) {
    const char *path = t_path(t_tmpdir(), "log");
    nbuf b = {0};
    size_t ends[3];
    build(&b, 3, ends);
    append_raw(&b, tail, tail_len);
    t_write_file(path, b.p, b.len);
    sink s;
    scan_result r = recover(path, &s);
    CHECK(r.torn);
    CHECK_U64(r.good_end, ends[2]);
    CHECK_U64(s.n, 3);
    sink_free(&s);
    CHECK_INT(t_file_size(path), (long long)ends[2]);
    r = recover(path, &s);
    CHECK(!r.torn && r.good_end == ends[2] && s.n == 3);
    sink_free(&s);
    nlog l = log_open(path);
    nbuf more = {0};
    nerr e = {0};
    op_append(&more, 3);
    CHECK_RC(nidus__log_append(&l, &more, &e), NIDUS_OK);
    log_close(&l);
    r = recover(path, &s);
    CHECK(!r.torn && s.n == 4);
    for (int i = 0; i < 4; i++) check_op_i(&s.ops[i], i);
    sink_free(&s);
    nidus__buf_free(&more);
    nidus__buf_free(&b);
}

TEST(log_file_garbage_tail_recovered) {
    static const uint8_t garbage[] = {0xFF, 0xAB, 0x12, 0x99, 0x00, 0xDE, 0xAD, 0xBE, 0xEF};
    check_tail_recovered(garbage, sizeof garbage);
}

TEST(log_file_truncated_mid_frame) {
    uint8_t f[24] = {100, 0, 0, 0}; /* claims 100 payload bytes, 20 present */
    for (int i = 4; i < 24; i++) f[i] = (uint8_t)i;
    check_tail_recovered(f, sizeof f);
}

TEST(log_file_bad_tail_crc) {
    nbuf one = {0};
    op_append(&one, 3);
    put_u32(one.p + one.len - 4, 0xDEADBEEFu);
    check_tail_recovered(one.p, one.len);
    nidus__buf_free(&one);
}

TEST(log_file_truncate_to_drops_tail_frames_and_replays) {
    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    nerr e = {0};
    size_t ends[3];
    for (int i = 0; i < 3; i++) {
        nbuf b = {0};
        op_append(&b, i);
        CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
        ends[i] = (size_t)l.size;
        nidus__buf_free(&b);
    }
    CHECK_RC(nidus__log_truncate(&l, ends[0], &e), NIDUS_OK);
    CHECK_U64(l.size, ends[0]);
    log_close(&l);
    CHECK_INT(t_file_size(path), (long long)ends[0]);
    sink s;
    scan_result r = recover(path, &s);
    CHECK(!r.torn && s.n == 1);
    check_op_i(&s.ops[0], 0);
    sink_free(&s);
    /* The next append lands right after the kept frame. */
    l = log_open(path);
    nbuf b = {0};
    op_append(&b, 1);
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    CHECK_U64(l.size, ends[1]);
    log_close(&l);
    r = recover(path, &s);
    CHECK(!r.torn && s.n == 2);
    check_op_i(&s.ops[1], 1);
    sink_free(&s);
    nidus__buf_free(&b);
}

/* Compaction's "rewrite" in nidus 0.3 replaces the log's contents; with this
 * API that is truncate to 0 and append the new frames. */
TEST(log_file_rewrite_then_append) {
    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    nerr e = {0};
    nbuf b = {0};
    build(&b, 8, NULL);
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    nbuf fresh = {0};
    op_append(&fresh, 0);
    op_append(&fresh, 1);
    CHECK_RC(nidus__log_truncate(&l, 0, &e), NIDUS_OK);
    CHECK_RC(nidus__log_append(&l, &fresh, &e), NIDUS_OK);
    nbuf after = {0};
    op_append(&after, 2);
    CHECK_RC(nidus__log_append(&l, &after, &e), NIDUS_OK);
    CHECK_RC(nidus__log_sync(&l, &e), NIDUS_OK);
    log_close(&l);
    sink s;
    scan_result r = recover(path, &s);
    CHECK(!r.torn && s.n == 3);
    for (int i = 0; i < 3; i++) check_op_i(&s.ops[i], i);
    CHECK_INT(t_file_size(path), (long long)(fresh.len + after.len));
    sink_free(&s);
    nidus__buf_free(&b);
    nidus__buf_free(&fresh);
    nidus__buf_free(&after);
}

/* A failed write (error or short write) leaves the file and the size as they
 * were, so the next append is not stranded behind half a frame. */
TEST(log_append_failure_cuts_back) {
    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    nerr e = {0};
    nbuf b = {0};
    build(&b, 2, NULL);
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    uint64_t size = l.size;
    nbuf more = {0};
    build(&more, 6, NULL);

    nidus__fault_arm(NIDUS__FAULT_WRITE | NIDUS__FAULT_SHORT, 0, 0);
    CHECK_RC(nidus__log_append(&l, &more, &e), NIDUS_ENOSPC);
    CHECK(nidus__fault_fired());
    nidus__fault_disarm();
    CHECK_INT(e.sys, ENOSPC);
    CHECK(strncmp(e.msg, "write log frame: ", 17) == 0);
    CHECK_U64(l.size, size);
    CHECK_INT(t_file_size(path), (long long)size);

    nidus__fault_arm(NIDUS__FAULT_WRITE, 0, EIO);
    CHECK_RC(nidus__log_append(&l, &more, &e), NIDUS_EIO);
    nidus__fault_disarm();
    CHECK_U64(l.size, size);

    nbuf one = {0};
    op_append(&one, 2);
    CHECK_RC(nidus__log_append(&l, &one, &e), NIDUS_OK);
    log_close(&l);
    sink s;
    scan_result r = recover(path, &s);
    CHECK(!r.torn && s.n == 3);
    for (int i = 0; i < 3; i++) check_op_i(&s.ops[i], i);
    sink_free(&s);
    nidus__buf_free(&b);
    nidus__buf_free(&more);
    nidus__buf_free(&one);
}

TEST(log_sync_and_truncate_failures) {
    const char *path = t_path(t_tmpdir(), "log");
    nlog l = log_open(path);
    nerr e = {0};
    nbuf b = {0};
    build(&b, 2, NULL);
    CHECK_RC(nidus__log_append(&l, &b, &e), NIDUS_OK);
    nidus__fault_arm(NIDUS__FAULT_FSYNC, 0, EIO);
    CHECK_RC(nidus__log_sync(&l, &e), NIDUS_EIO);
    nidus__fault_disarm();
    CHECK(strncmp(e.msg, "sync log: ", 10) == 0);
    nidus__fault_arm(NIDUS__FAULT_TRUNCATE, 0, EIO);
    CHECK_RC(nidus__log_truncate(&l, 0, &e), NIDUS_EIO);
    nidus__fault_disarm();
    CHECK(strstr(e.msg, "truncate log") != NULL);
    CHECK_U64(l.size, b.len);
    CHECK_INT(t_file_size(path), (long long)b.len);
    log_close(&l);
    nidus__buf_free(&b);
}

/* ----------------------------------------------------------- golden logs ---- */

/* Logs written by nidus 0.3.1: every frame decodes, and re-encoding the decoded
 * ops reproduces the file byte for byte. */
static void golden_roundtrip(const char *store, size_t min_ops) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../shared/golden/%s/log", t_srcdir(), store);
    size_t len;
    uint8_t *buf = t_read_file(path, &len);
    if (!buf) t_fail(__FILE__, __LINE__, "missing golden log %s", path);
    sink s;
    nerr e = {0};
    scan_result r = scan(buf, len, &s, &e);
    if (r.rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "%s: %s", store, e.msg);
    CHECK(!r.torn);
    CHECK_U64(r.good_end, len);
    CHECK(s.n >= min_ops);
    nbuf out = {0};
    for (size_t i = 0; i < s.n; i++) {
        size_t before = out.len;
        CHECK_RC(nidus__frame_append(&out, &s.ops[i], &e), NIDUS_OK);
        if (out.len > len || memcmp(out.p + before, buf + before, out.len - before) != 0)
            t_fail(__FILE__, __LINE__, "%s: frame %zu at offset %zu re-encodes differently",
                   store, i, before);
    }
    CHECK_U64(out.len, len);
    sink_free(&s);
    nidus__buf_free(&out);
    free(buf);
}

TEST(log_golden_a_minimal_reencodes) { golden_roundtrip("a_minimal", 2); }
TEST(log_golden_b_mixed_reencodes) { golden_roundtrip("b_mixed", 5); }
TEST(log_golden_c_compacted_reencodes) { golden_roundtrip("c_compacted", 2); }

/* A file system that kept an append's new size but not its data leaves zeros after
 * the last good frame: that is a torn tail, and only that. */
TEST(log_zero_filled_tail_is_torn) {
    nbuf b = {0};
    nlogop op = {.tag = NIDUS__OP_CREATE, .coll = {"c", 1}};
    nerr e;
    CHECK(nidus__frame_append(&b, &op, &e) == NIDUS_OK);
    size_t good = b.len;
    CHECK(nidus__buf_reserve(&b, 100) == NIDUS_OK);
    memset(b.p + good, 0, 100);
    size_t end;
    bool torn;
    CHECK_RC(nidus__log_scan(b.p, good + 100, &end, &torn, NULL, NULL, &e), NIDUS_OK);
    CHECK(torn);
    CHECK_U64(end, good);
    /* A non-zero byte after the bad frame: corruption, as before. */
    b.p[good + 60] = 1;
    CHECK_RC(nidus__log_scan(b.p, good + 100, &end, &torn, NULL, NULL, &e), NIDUS_ECORRUPT);
    nidus__buf_free(&b);
}

/* ------------------------------------------------- windowed file scan ---- */

/* Every op handed over, re-encoded as a frame: equal buffers mean the same ops. */
typedef struct reenc {
    nbuf frames;
    size_t views, releases;
    bool holding; /* views handed over since the last release */
} reenc;

static int reenc_owned(void *ctx, nlogop *op) {
    reenc *r = ctx;
    nerr e = {0};
    int rc = nidus__frame_append(&r->frames, op, &e);
    nidus__op_free(op);
    return rc;
}

static int reenc_view(void *ctx, const nlogop *op, uint64_t end) {
    reenc *r = ctx;
    (void)end;
    if (!op) {
        r->releases++;
        r->holding = false;
        return NIDUS_OK;
    }
    nerr e = {0};
    r->views++;
    r->holding = true;
    return nidus__frame_append(&r->frames, op, &e);
}

/* nidus__log_scan_fd over a file gives nidus__log_scan's verdict on the same bytes
 * (result code, message, end of the good frames, torn) and the same ops, whatever
 * the window: one byte, a few bytes, smaller and larger than a frame, the default. */
static const char *scan_dir;

static void check_fd_scan_matches(const uint8_t *buf, size_t len, int line) {
    const char *path = t_path(scan_dir, "scanlog");
    t_write_file(path, buf, len);
    reenc want = {0};
    nerr e1 = {0};
    size_t good1;
    bool torn1;
    int rc1 = nidus__log_scan(buf, len, &good1, &torn1, reenc_owned, &want, &e1);
    static const size_t windows[] = {1, 3, 9, 40, 100, 4096, 0};
    int fd = nidus__io_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        reenc got = {0};
        narena scratch = {0};
        nerr e2 = {0};
        uint64_t good2;
        bool torn2;
        int rc2 = nidus__log_scan_fd(fd, len, windows[w], &good2, &torn2, &scratch, reenc_view, &got, &e2);
        if (rc1 != rc2 || (rc1 == NIDUS_OK && (good1 != good2 || torn1 != torn2)) ||
            (rc1 != NIDUS_OK && strcmp(e1.msg, e2.msg) != 0))
            t_fail(__FILE__, line, "window %zu: rc %d/%d good %zu/%llu torn %d/%d msg '%s' / '%s'", windows[w], rc1,
                   rc2, good1, (unsigned long long)good2, torn1, torn2, e1.msg, e2.msg);
        if (rc1 == NIDUS_OK) {
            CHECK(!got.holding); /* every view released before the buffer went */
            if (got.frames.len != want.frames.len || (want.frames.len && memcmp(got.frames.p, want.frames.p, want.frames.len)))
                t_fail(__FILE__, line, "window %zu: different ops", windows[w]);
        }
        nidus__buf_free(&got.frames);
        nidus__arena_free(&scratch);
    }
    nidus__io_close(fd);
    nidus__buf_free(&want.frames);
}

TEST(log_scan_fd_matches_log_scan) {
    scan_dir = t_tmpdir();
    nbuf b = {0};
    size_t ends[40];
    build(&b, 40, ends);
    check_fd_scan_matches(b.p, 0, __LINE__);
    check_fd_scan_matches(b.p, b.len, __LINE__);
    /* torn at every byte of the last two frames */
    for (size_t cut = ends[37]; cut < b.len; cut++) check_fd_scan_matches(b.p, cut, __LINE__);
    uint8_t *m = malloc(b.len + 64);
    /* a bad CRC in the middle (corruption), in the last frame (torn) */
    for (int k = 0; k < 2; k++) {
        memcpy(m, b.p, b.len);
        size_t at = k ? b.len - 6 : ends[10] + 6;
        m[at] ^= 0x5a;
        check_fd_scan_matches(m, b.len, __LINE__);
    }
    /* a bad frame followed only by zeros: torn */
    memcpy(m, b.p, b.len);
    memset(m + ends[30], 0, b.len - ends[30]);
    m[ends[30] + 2] = 1; /* a length that runs past the end */
    check_fd_scan_matches(m, b.len, __LINE__);
    memcpy(m, b.p, b.len);
    memset(m + ends[30] + 4, 0, b.len - ends[30] - 4); /* CRC 0 on zeros: bad, then zeros */
    check_fd_scan_matches(m, b.len, __LINE__);
    /* a payload that does not decode, with a good CRC: mid-log and last */
    nbuf c = {0};
    append_raw(&c, b.p, ends[5]);
    static const uint8_t junk[] = {9, 0, 0, 0, 1, 2, 3};
    append_framed(&c, junk, sizeof junk);
    size_t mid = c.len;
    append_raw(&c, b.p + ends[5], ends[8] - ends[5]);
    check_fd_scan_matches(c.p, c.len, __LINE__);
    check_fd_scan_matches(c.p, mid, __LINE__);
    /* one frame far larger than the small windows */
    nbuf big = {0};
    char *s = malloc(20000);
    memset(s, 'x', 20000);
    nattr a = {S("k"), {.type = NIDUS_STR, .v.str = {s, 20000}}};
    nlogop op;
    memset(&op, 0, sizeof op);
    op.tag = NIDUS__OP_UPSERT;
    op.coll = S("c");
    op.id = S("big");
    op.attrs = (nattrs){&a, 1};
    nerr e = {0};
    op_append(&big, 1);
    CHECK_RC(nidus__frame_append(&big, &op, &e), NIDUS_OK);
    op_append(&big, 5);
    check_fd_scan_matches(big.p, big.len, __LINE__);
    check_fd_scan_matches(big.p, big.len - 30, __LINE__);
    free(s);
    free(m);
    nidus__buf_free(&big);
    nidus__buf_free(&c);
    nidus__buf_free(&b);
}

/* A read that fails midway is the error it is, not a torn tail. */
TEST(log_scan_fd_read_failure) {
    nbuf b = {0};
    build(&b, 20, NULL);
    const char *path = t_path(t_tmpdir(), "scanlog");
    t_write_file(path, b.p, b.len);
    int fd = nidus__io_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    for (long k = 0;; k++) {
        reenc got = {0};
        narena scratch = {0};
        nerr e = {0};
        uint64_t good;
        bool torn;
        nidus__fault_arm(NIDUS__FAULT_READ | NIDUS__FAULT_ALLOC, k, EIO);
        int rc = nidus__log_scan_fd(fd, b.len, 50, &good, &torn, &scratch, reenc_view, &got, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        nidus__buf_free(&got.frames);
        nidus__arena_free(&scratch);
        if (!fired) {
            CHECK_RC(rc, NIDUS_OK);
            CHECK(!torn);
            CHECK_U64(good, b.len);
            CHECK(k > 3);
            break;
        }
        CHECK(rc == NIDUS_EIO || rc == NIDUS_ENOMEM);
    }
    nidus__io_close(fd);
    nidus__buf_free(&b);
}

/* -------------------------------------------------------- through open ---- */

/* A store whose log is corrupted before its last frame does not open, read-write or
 * read-only: it is corruption, not a torn tail to cut. */
TEST(log_corruption_mid_log_fails_open) {
    static const float X2[2] = {1, 0}, Y2[2] = {0, 1};
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, 2);
    CHECK_OK_DB(db, th_put(db, "c", "a", X2));
    CHECK_OK_DB(db, th_put(db, "c", "b", Y2));
    nidus_close(db);
    size_t n;
    unsigned char *log = t_read_file(t_path(dir, "log"), &n);
    log[10] ^= 0x40; /* inside the first frame, with more frames after it */
    t_write_file(t_path(dir, "log"), log, n);
    free(log);
    CHECK_RC(nidus_open(dir, NULL, &db), NIDUS_ECORRUPT);
    CHECK(strstr(nidus_errmsg(db), "corruption") != NULL);
    nidus_close(db);
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    cfg.read_only = 1;
    CHECK_RC(nidus_open(dir, &cfg, &db), NIDUS_ECORRUPT);
    nidus_close(db);
}

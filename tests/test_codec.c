/* test_codec.c — the bincode-1 frame codec against nidus 0.3.1's bytes: golden
 * frames, encoder failures, round trips, strict decoding and views. */
#include "test.h"

#include "nidus_internal.h"

#define S(lit) ((nidus_str){(lit), sizeof(lit) - 1})

/* Hex with spaces and '|' allowed as separators. Caller frees. */
static uint8_t *unhex(const char *hex, size_t *n) {
    size_t cap = strlen(hex) / 2 + 1, len = 0;
    uint8_t *out = malloc(cap);
    CHECK(out != NULL);
    int hi = -1;
    for (const char *c = hex; *c; c++) {
        int d;
        if (*c >= '0' && *c <= '9') d = *c - '0';
        else if (*c >= 'a' && *c <= 'f') d = *c - 'a' + 10;
        else if (*c >= 'A' && *c <= 'F') d = *c - 'A' + 10;
        else if (*c == ' ' || *c == '|' || *c == '\n') continue;
        else t_fail(__FILE__, __LINE__, "bad hex char '%c'", *c);
        if (hi < 0) hi = d;
        else out[len++] = (uint8_t)(hi << 4 | d), hi = -1;
    }
    CHECK(hi < 0);
    *n = len;
    return out;
}

static void check_bytes(const uint8_t *got, size_t got_len, const char *want_hex, int line) {
    size_t n;
    uint8_t *want = unhex(want_hex, &n);
    if (got_len != n) t_fail(__FILE__, line, "length %zu, want %zu", got_len, n);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            t_fail(__FILE__, line, "byte %zu: %02x, want %02x", i, got[i], want[i]);
    free(want);
}

static void encode(const nlogop *op, nbuf *b) {
    nerr e = {0};
    int rc = nidus__frame_append(b, op, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "frame_append -> %d: %s", rc, e.msg);
}

static nlogop op_new(uint32_t tag, nidus_str coll, nidus_str id) {
    nlogop op;
    memset(&op, 0, sizeof op);
    op.tag = tag;
    op.coll = coll;
    op.id = id;
    return op;
}

/* Decode the payload of the single frame in b. */
static int decode_frame(const nbuf *b, nlogop *op, nerr *e) {
    CHECK(b->len >= 8);
    return nidus__op_decode(b->p + 4, b->len - 8, op, e);
}

static int decode_hex(const char *hex, nlogop *op, nerr *e) {
    size_t n;
    uint8_t *p = unhex(hex, &n);
    int rc = nidus__op_decode(p, n, op, e);
    free(p);
    return rc;
}

/* Decoding must fail with ECORRUPT and a message containing `needle`. */
static void check_corrupt(const char *hex, const char *needle, int line) {
    nlogop op;
    nerr e = {0};
    int rc = decode_hex(hex, &op, &e);
    if (rc != NIDUS_ECORRUPT) t_fail(__FILE__, line, "decode -> %d, want ECORRUPT", rc);
    if (!strstr(e.msg, needle)) t_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", e.msg, needle);
    CHECK(op.coll.ptr == NULL && op.attrs.items == NULL && op.meta.items == NULL);
}

static bool str_eq(nidus_str a, nidus_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool value_same(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR: return str_eq(a->v.str, b->v.str);
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return (a->v.b != 0) == (b->v.b != 0);
    case NIDUS_FLOAT: return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0; /* bits */
    case NIDUS_LIST:
        if (a->v.list.count != b->v.list.count) return false;
        for (size_t i = 0; i < a->v.list.count; i++)
            if (!str_eq(a->v.list.items[i], b->v.list.items[i])) return false;
        return true;
    }
    return false;
}

static void check_op_same(const nlogop *a, const nlogop *b) {
    CHECK_INT(a->tag, b->tag);
    CHECK(str_eq(a->coll, b->coll));
    CHECK(str_eq(a->id, b->id));
    CHECK_U64(a->row, b->row);
    CHECK_U64(a->attrs.n, b->attrs.n);
    for (size_t i = 0; i < a->attrs.n; i++) {
        CHECK(str_eq(a->attrs.items[i].key, b->attrs.items[i].key));
        CHECK(value_same(&a->attrs.items[i].val, &b->attrs.items[i].val));
    }
    CHECK_U64(a->meta.n, b->meta.n);
    for (size_t i = 0; i < a->meta.n; i++) {
        CHECK(str_eq(a->meta.items[i].key, b->meta.items[i].key));
        CHECK(str_eq(a->meta.items[i].value, b->meta.items[i].value));
    }
}

/* Every string the decoder returns is NUL-terminated at its length. */
static void check_nul_terminated(const nlogop *op) {
    if (op->coll.ptr) CHECK(op->coll.ptr[op->coll.len] == 0);
    if (op->id.ptr) CHECK(op->id.ptr[op->id.len] == 0);
    for (size_t i = 0; i < op->attrs.n; i++) {
        const nattr *a = &op->attrs.items[i];
        CHECK(a->key.ptr[a->key.len] == 0);
        if (a->val.type == NIDUS_STR) CHECK(a->val.v.str.ptr[a->val.v.str.len] == 0);
        if (a->val.type == NIDUS_LIST)
            for (size_t j = 0; j < a->val.v.list.count; j++)
                CHECK(a->val.v.list.items[j].ptr[a->val.v.list.items[j].len] == 0);
    }
    for (size_t i = 0; i < op->meta.n; i++) {
        CHECK(op->meta.items[i].key.ptr[op->meta.items[i].key.len] == 0);
        CHECK(op->meta.items[i].value.ptr[op->meta.items[i].value.len] == 0);
    }
}

/* Encode, decode, compare, re-encode: the bytes must not move. */
static void roundtrip(const nlogop *op) {
    nbuf b = {0}, b2 = {0};
    encode(op, &b);
    nlogop back;
    nerr e = {0};
    int rc = decode_frame(&b, &back, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "decode -> %d: %s", rc, e.msg);
    check_op_same(op, &back);
    check_nul_terminated(&back);
    encode(&back, &b2);
    CHECK_U64(b.len, b2.len);
    CHECK(memcmp(b.p, b2.p, b.len) == 0);
    nidus__op_free(&back);
    nidus__buf_free(&b);
    nidus__buf_free(&b2);
}

/* ------------------------------------------------------- golden frames ---- */

TEST(codec_golden_create_collection) {
    nbuf b = {0};
    nlogop op = op_new(NIDUS__OP_CREATE, S("c"), (nidus_str){NULL, 0});
    encode(&op, &b);
    check_bytes(b.p, b.len, "0d000000 00000000 0100000000000000 63 2362b4cc", __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_golden_drop_collection) {
    nbuf b = {0};
    nlogop op = op_new(NIDUS__OP_DROP, S("c"), (nidus_str){NULL, 0});
    encode(&op, &b);
    check_bytes(b.p, b.len, "0d000000 01000000 0100000000000000 63 a6bb2211", __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_golden_upsert_row0) {
    nbuf b = {0};
    nlogop op = op_new(NIDUS__OP_UPSERT, S("c"), S("a"));
    encode(&op, &b);
    check_bytes(b.p, b.len,
                "26000000 03000000 0100000000000000 63 0100000000000000 61 "
                "0000000000000000 0000000000000000 cbfc0319",
                __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_golden_delete) {
    nbuf b = {0};
    nlogop op = op_new(NIDUS__OP_DELETE, S("c"), S("a"));
    encode(&op, &b);
    check_bytes(b.p, b.len, "16000000 04000000 0100000000000000 63 0100000000000000 61 ff6ec40c",
                __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_golden_set_meta) {
    nbuf b = {0};
    nmeta_kv kv[] = {{S("hwm"), S("42")}, {S("model"), S("m1")}};
    nlogop op = op_new(NIDUS__OP_SETMETA, S("c"), (nidus_str){NULL, 0});
    op.meta.items = kv;
    op.meta.n = 2;
    encode(&op, &b);
    check_bytes(b.p, b.len,
                "41000000 | 02000000 | 0100000000000000 63 | 0200000000000000"
                "| 0300000000000000 68776d 0200000000000000 3432"
                "| 0500000000000000 6d6f64656c 0200000000000000 6d31 | e9d6e6a2",
                __LINE__);
    nidus__buf_free(&b);
}

static const char golden_upsert_258[] =
    "95000000 | 03000000 | 0100000000000000 63 | 0200000000000000 6431"
    "| 0201000000000000 | 0500000000000000"
    "| 0100000000000000 62 03000000 01"
    "| 0100000000000000 69 02000000 feffffffffffffff"
    "| 0100000000000000 6c 04000000 0200000000000000 0100000000000000 61 0200000000000000 6263"
    "| 0100000000000000 6e 00000000"
    "| 0100000000000000 73 01000000 0100000000000000 78"
    "| 71d26385";

static nattr *golden_attrs(nidus_str *list_items) {
    static nattr a[5];
    list_items[0] = S("a");
    list_items[1] = S("bc");
    a[0] = (nattr){S("b"), nidus_bool(1)};
    a[1] = (nattr){S("i"), nidus_int(-2)};
    a[2] = (nattr){S("l"), nidus_list(list_items, 2)};
    a[3] = (nattr){S("n"), nidus_null()};
    a[4] = (nattr){S("s"), nidus_string("x")};
    a[4].val.v.str.len = 1;
    return a;
}

TEST(codec_golden_upsert_row258_every_0_3_value) {
    nbuf b = {0};
    nidus_str items[2];
    nlogop op = op_new(NIDUS__OP_UPSERT, S("c"), S("d1"));
    op.row = 258;
    op.attrs.items = golden_attrs(items);
    op.attrs.n = 5;
    encode(&op, &b);
    CHECK_U64(b.len, 8 + 149);
    check_bytes(b.p, b.len, golden_upsert_258, __LINE__);
    nidus__buf_free(&b);
}

/* An input length of NIDUS_NTS means strlen, as everywhere in the library. */
TEST(codec_encode_resolves_nts_lengths) {
    nbuf b = {0};
    nlogop op = op_new(NIDUS__OP_CREATE, (nidus_str){"c", NIDUS_NTS}, (nidus_str){NULL, 0});
    encode(&op, &b);
    check_bytes(b.p, b.len, "0d000000 00000000 0100000000000000 63 2362b4cc", __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_frame_append_appends_frames) {
    nbuf b = {0};
    nlogop c = op_new(NIDUS__OP_CREATE, S("c"), (nidus_str){NULL, 0});
    nlogop u = op_new(NIDUS__OP_UPSERT, S("c"), S("a"));
    encode(&c, &b);
    encode(&u, &b);
    /* The a_minimal golden log is exactly these two frames. */
    check_bytes(b.p, b.len,
                "0d000000 00000000 0100000000000000 63 2362b4cc"
                "26000000 03000000 0100000000000000 63 0100000000000000 61 "
                "0000000000000000 0000000000000000 cbfc0319",
                __LINE__);
    nidus__buf_free(&b);
    CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
}

/* ---------------------------------------------------- encoder failures ---- */

TEST(codec_encode_payload_too_large) {
    /* The sizing pass reads no string bytes, so a fake 4 GiB length is safe. */
    static const char c = 'c';
    nbuf b = {0};
    encode(&(nlogop){.tag = NIDUS__OP_DROP, .coll = S("x")}, &b);
    size_t before = b.len;
    nlogop op = op_new(NIDUS__OP_CREATE, (nidus_str){&c, (size_t)UINT32_MAX - 12 + 1}, (nidus_str){NULL, 0});
    nerr e = {0};
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_EINVAL);
    CHECK_STR(e.msg, "payload too large for u32 len");
    CHECK_U64(b.len, before);
    nidus__buf_free(&b);
}

TEST(codec_encode_unknown_tags_einval) {
    nbuf b = {0};
    nerr e = {0};
    nlogop op = op_new(9, S("c"), (nidus_str){NULL, 0});
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_EINVAL);
    CHECK(strstr(e.msg, "op tag 9") != NULL);
    nattr a = {S("k"), nidus_int(1)};
    a.val.type = (nidus_type)42;
    op = op_new(NIDUS__OP_UPSERT, S("c"), S("a"));
    op.attrs.items = &a;
    op.attrs.n = 1;
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_EINVAL);
    CHECK(strstr(e.msg, "value type 42") != NULL);
    CHECK_U64(b.len, 0);
    nidus__buf_free(&b);
}

TEST(codec_encode_oom_leaves_buffer_unchanged) {
    nbuf b = {0};
    encode(&(nlogop){.tag = NIDUS__OP_CREATE, .coll = S("first")}, &b);
    uint8_t *p = b.p;
    size_t len = b.len;
    /* Big enough that the buffer must grow. */
    static char big[4096];
    memset(big, 'x', sizeof big);
    nlogop op = op_new(NIDUS__OP_CREATE, (nidus_str){big, sizeof big}, (nidus_str){NULL, 0});
    nerr e = {0};
    nidus__fault_arm(NIDUS__FAULT_ALLOC, 0, 0);
    CHECK_RC(nidus__frame_append(&b, &op, &e), NIDUS_ENOMEM);
    nidus__fault_disarm();
    CHECK(b.p == p && b.len == len);
    encode(&op, &b);
    CHECK_U64(b.len, len + 8 + 4 + 8 + sizeof big);
    nidus__buf_free(&b);
}

TEST(codec_buf_reserve_overflow_is_enomem) {
    nbuf b = {0};
    CHECK_RC(nidus__buf_reserve(&b, 10), NIDUS_OK);
    b.len = 5;
    CHECK_RC(nidus__buf_reserve(&b, SIZE_MAX - 2), NIDUS_ENOMEM);
    CHECK_RC(nidus__buf_reserve(&b, (size_t)PTRDIFF_MAX), NIDUS_ENOMEM);
    CHECK_U64(b.len, 5);
    CHECK(b.cap >= 15);
    nidus__buf_free(&b);
}

/* ----------------------------------------------------------- round trips ---- */

TEST(codec_roundtrip_every_op) {
    roundtrip(&(nlogop){.tag = NIDUS__OP_CREATE, .coll = S("docs")});
    roundtrip(&(nlogop){.tag = NIDUS__OP_DROP, .coll = S("docs")});
    roundtrip(&(nlogop){.tag = NIDUS__OP_CREATE, .coll = S("")});
    roundtrip(&(nlogop){.tag = NIDUS__OP_DELETE, .coll = S("docs"), .id = S("id-1")});
    roundtrip(&(nlogop){.tag = NIDUS__OP_UPSERT, .coll = S("docs"), .id = S(""), .row = UINT64_MAX});
    nmeta_kv kv[] = {{S(""), S("")}, {S("k"), S("v\xc3\xa9")}};
    roundtrip(&(nlogop){.tag = NIDUS__OP_SETMETA, .coll = S("m"), .meta = {kv, 2}});
    roundtrip(&(nlogop){.tag = NIDUS__OP_SETMETA, .coll = S("m")});
}

TEST(codec_roundtrip_every_value_type) {
    nidus_str items[] = {S("a"), S(""), S("\xe2\x82\xac")};
    double nan_bits;
    uint64_t nb = 0x7ff8000000000123u; /* a NaN payload survives: only bits move */
    memcpy(&nan_bits, &nb, sizeof nb);
    nattr a[] = {
        {S("a_null"), nidus_null()},
        {S("b_str"), {.type = NIDUS_STR, .v.str = S("hello")}},
        {S("c_str_empty"), {.type = NIDUS_STR, .v.str = S("")}},
        {S("d_int_min"), nidus_int(INT64_MIN)},
        {S("e_int_max"), nidus_int(INT64_MAX)},
        {S("f_true"), nidus_bool(1)},
        {S("g_false"), nidus_bool(0)},
        {S("h_list"), nidus_list(items, 3)},
        {S("i_list_empty"), nidus_list(NULL, 0)},
        {S("j_float"), nidus_float(-1.5e-300)},
        {S("k_float_inf"), nidus_float(INFINITY)},
        {S("l_float_negzero"), nidus_float(-0.0)},
        {S("m_float_nan"), nidus_float(nan_bits)},
        {S("n_datetime"), nidus_datetime(1700000000123)},
        {S("o_datetime_neg"), nidus_datetime(-1)},
    };
    nlogop op = op_new(NIDUS__OP_UPSERT, S("c"), S("id"));
    op.row = 7;
    op.attrs.items = a;
    op.attrs.n = sizeof a / sizeof a[0];
    roundtrip(&op);
}

TEST(codec_float_and_datetime_bytes) {
    nbuf b = {0};
    nattr a[] = {{S("d"), nidus_datetime(-2)}, {S("f"), nidus_float(1.0)}};
    nlogop op = op_new(NIDUS__OP_UPSERT, S("c"), S("a"));
    op.attrs.items = a;
    op.attrs.n = 2;
    encode(&op, &b);
    /* Tag 6 + i64 LE; tag 5 + the f64's bits LE (1.0 = 0x3ff0000000000000). */
    check_bytes(b.p + 4 + 4 + 9 + 9 + 8 + 8, 2 * (9 + 4 + 8),
                "0100000000000000 64 06000000 feffffffffffffff"
                "0100000000000000 66 05000000 000000000000f03f",
                __LINE__);
    nidus__buf_free(&b);
}

TEST(codec_decode_golden_upsert_258) {
    size_t n;
    uint8_t *f = unhex(golden_upsert_258, &n);
    CHECK_U64(nidus__crc32(f + 4, n - 8), 0x8563d271u);
    nlogop op;
    nerr e = {0};
    CHECK_RC(nidus__op_decode(f + 4, n - 8, &op, &e), NIDUS_OK);
    nidus_str items[2];
    nlogop want = op_new(NIDUS__OP_UPSERT, S("c"), S("d1"));
    want.row = 258;
    want.attrs.items = golden_attrs(items);
    want.attrs.n = 5;
    check_op_same(&op, &want);
    check_nul_terminated(&op);
    nidus__op_free(&op);
    CHECK(op.coll.ptr == NULL && op.attrs.n == 0);
    free(f);
}

/* bincode 1's legacy decoder ignores what follows a complete value. */
TEST(codec_decode_trailing_bytes_tolerated) {
    nlogop op;
    nerr e = {0};
    CHECK_RC(decode_hex("00000000 0100000000000000 63 deadbeef00", &op, &e), NIDUS_OK);
    CHECK_INT(op.tag, NIDUS__OP_CREATE);
    CHECK_STR(op.coll.ptr, "c");
    nidus__op_free(&op);
}

/* nidus writes maps sorted; serde's BTreeMap takes any order, the last duplicate
 * winning. We keep them sorted and unique whatever the input. */
TEST(codec_decode_unsorted_map_sorted_last_wins) {
    nlogop op;
    nerr e = {0};
    CHECK_RC(decode_hex("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                        "0400000000000000"
                        "0100000000000000 7a 02000000 0100000000000000" /* z: 1 */
                        "0100000000000000 61 02000000 0200000000000000" /* a: 2 */
                        "0100000000000000 6d 00000000"                  /* m: Null */
                        "0100000000000000 61 01000000 0100000000000000 79", /* a: "y" */
                        &op, &e),
             NIDUS_OK);
    CHECK_U64(op.attrs.n, 3);
    CHECK_STR(op.attrs.items[0].key.ptr, "a");
    CHECK_INT(op.attrs.items[0].val.type, NIDUS_STR);
    CHECK_STR(op.attrs.items[0].val.v.str.ptr, "y");
    CHECK_STR(op.attrs.items[1].key.ptr, "m");
    CHECK_INT(op.attrs.items[1].val.type, NIDUS_NULL);
    CHECK_STR(op.attrs.items[2].key.ptr, "z");
    CHECK_INT(op.attrs.items[2].val.v.i, 1);
    nidus__op_free(&op);

    CHECK_RC(decode_hex("02000000 0100000000000000 63 0300000000000000"
                        "0200000000000000 6b32 0100000000000000 31"   /* k2: 1 */
                        "0100000000000000 6b 0100000000000000 32"     /* k: 2 */
                        "0200000000000000 6b32 0100000000000000 33",  /* k2: 3 */
                        &op, &e),
             NIDUS_OK);
    CHECK_U64(op.meta.n, 2);
    CHECK_STR(op.meta.items[0].key.ptr, "k");
    CHECK_STR(op.meta.items[0].value.ptr, "2");
    CHECK_STR(op.meta.items[1].key.ptr, "k2");
    CHECK_STR(op.meta.items[1].value.ptr, "3");
    nidus__op_free(&op);
}

/* A larger shuffled map with many duplicates exercises every merge path. */
TEST(codec_decode_big_shuffled_map) {
    enum { N = 300, KEYS = 97 };
    nbuf p = {0};
    CHECK_RC(nidus__buf_reserve(&p, 64 + N * 40), NIDUS_OK);
    uint8_t *w = p.p;
    memcpy(w, "\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x63", 13);
    w += 13;
    uint64_t cnt = N;
    for (int i = 0; i < 8; i++) *w++ = (uint8_t)(cnt >> (8 * i));
    int last_val[KEYS];
    for (int i = 0; i < N; i++) {
        int k = (i * 37 + 11) % KEYS;
        last_val[k] = i;
        char key[16], val[16];
        int kl = snprintf(key, sizeof key, "k%02d", k), vl = snprintf(val, sizeof val, "%d", i);
        uint64_t l = (uint64_t)kl;
        for (int j = 0; j < 8; j++) *w++ = (uint8_t)(l >> (8 * j));
        memcpy(w, key, (size_t)kl);
        w += kl;
        l = (uint64_t)vl;
        for (int j = 0; j < 8; j++) *w++ = (uint8_t)(l >> (8 * j));
        memcpy(w, val, (size_t)vl);
        w += vl;
    }
    nlogop op;
    nerr e = {0};
    CHECK_RC(nidus__op_decode(p.p, (size_t)(w - p.p), &op, &e), NIDUS_OK);
    CHECK_U64(op.meta.n, KEYS);
    for (int k = 0; k < KEYS; k++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%02d", k);
        snprintf(val, sizeof val, "%d", last_val[k]);
        CHECK_STR(op.meta.items[k].key.ptr, key);
        CHECK_STR(op.meta.items[k].value.ptr, val);
    }
    nidus__op_free(&op);
    nidus__buf_free(&p);
}

/* ------------------------------------------------------ decoder failures ---- */

TEST(codec_decode_unknown_op_tag) {
    check_corrupt("05000000 0100000000000000 63", "unknown op tag 5", __LINE__);
    check_corrupt("ffffffff", "unknown op tag 4294967295", __LINE__);
}

TEST(codec_decode_unknown_value_tag) {
    check_corrupt("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                  "0100000000000000 0100000000000000 6b 07000000 00",
                  "unknown value tag 7", __LINE__);
}

TEST(codec_decode_bad_bool) {
    check_corrupt("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                  "0200000000000000"
                  "0100000000000000 61 01000000 0100000000000000 78" /* a decoded first */
                  "0100000000000000 62 03000000 02",
                  "invalid bool byte 0x02", __LINE__);
}

TEST(codec_decode_invalid_utf8_everywhere) {
    /* lone continuation, overlong NUL, UTF-16 surrogate, above U+10FFFF, cut short */
    check_corrupt("00000000 0100000000000000 80", "UTF-8", __LINE__);
    check_corrupt("01000000 0200000000000000 c080", "UTF-8", __LINE__);
    check_corrupt("04000000 0100000000000000 63 0300000000000000 eda080", "UTF-8", __LINE__);
    check_corrupt("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                  "0100000000000000 0400000000000000 f4908080 00000000",
                  "UTF-8", __LINE__);
    check_corrupt("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                  "0100000000000000 0100000000000000 6b 01000000 0100000000000000 e2",
                  "UTF-8", __LINE__);
    check_corrupt("03000000 0100000000000000 63 0100000000000000 61 0000000000000000"
                  "0100000000000000 0100000000000000 6b 04000000 0200000000000000"
                  "0100000000000000 61 0100000000000000 ff",
                  "UTF-8", __LINE__);
    check_corrupt("02000000 0100000000000000 63 0100000000000000"
                  "0100000000000000 6b 0100000000000000 fe",
                  "UTF-8", __LINE__);
    check_corrupt("02000000 0100000000000000 63 0100000000000000"
                  "0100000000000000 ff 0100000000000000 61",
                  "UTF-8", __LINE__);
}

/* A forged length or count must fail on the bytes present, before any
 * allocation: the allocation seam is armed to fail the very first call, so an
 * attempt would surface as ENOMEM instead of ECORRUPT. */
TEST(codec_decode_huge_lengths_do_not_allocate) {
    static const char *cases[] = {
        "00000000 ffffffffffffffff 63",
        "00000000 0000000000010000 63",
        "00000000 0200000000000000 63",
        "04000000 0100000000000000 63 ffffffffffffff7f",
        "03000000 0100000000000000 63 0100000000000000 61 0000000000000000 ffffffffffffffff",
        "03000000 0100000000000000 63 0100000000000000 61 0000000000000000 0200000000000000"
        "0100000000000000 6b 00000000",
        "03000000 0100000000000000 63 0100000000000000 61 0000000000000000 0100000000000000"
        "0100000000000000 6b 04000000 0000000001000000",
        "02000000 0100000000000000 63 0000000000000080",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        uint8_t *p = unhex(cases[i], &n);
        nlogop op;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, 0, 0);
        int rc = nidus__op_decode(p, n, &op, &e);
        bool allocated = nidus__fault_fired() || nidus__fault_calls() > 0;
        nidus__fault_disarm();
        /* Cases whose strings come before the bad length allocate those strings;
         * rerun them unarmed and only require the ECORRUPT. */
        if (allocated) rc = nidus__op_decode(p, n, &op, &e);
        if (rc != NIDUS_ECORRUPT) t_fail(__FILE__, __LINE__, "case %zu -> %d: %s", i, rc, e.msg);
        CHECK(strstr(e.msg, "exceeds") != NULL);
        free(p);
    }
    /* The first three forge the very first length: no allocation at all. */
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        uint8_t *p = unhex(cases[i], &n);
        nlogop op;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, 0, 0);
        CHECK_RC(nidus__op_decode(p, n, &op, &e), NIDUS_ECORRUPT);
        CHECK_INT(nidus__fault_calls(), 0);
        nidus__fault_disarm();
        free(p);
    }
}

/* Every strict prefix of a valid payload is malformed, fails cleanly, and frees
 * whatever was decoded before the cut (ASan checks the leaks). */
TEST(codec_decode_every_truncation) {
    size_t n;
    uint8_t *f = unhex(golden_upsert_258, &n);
    const uint8_t *p = f + 4;
    size_t plen = n - 8;
    for (size_t cut = 0; cut < plen; cut++) {
        nlogop op;
        nerr e = {0};
        int rc = nidus__op_decode(p, cut, &op, &e);
        if (rc != NIDUS_ECORRUPT) t_fail(__FILE__, __LINE__, "cut %zu -> %d", cut, rc);
    }
    nlogop op;
    nerr e = {0};
    CHECK_RC(nidus__op_decode(p, 0, &op, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "end of payload") != NULL);
    free(f);
}

/* Fail each allocation of a decode in turn: ENOMEM every time, then OK; no leak. */
TEST(codec_decode_oom_every_allocation) {
    static const char hex[] =
        "03000000 0100000000000000 63 0200000000000000 6431 0201000000000000 0400000000000000"
        "0100000000000000 73 01000000 0100000000000000 78"
        "0100000000000000 6c 04000000 0200000000000000 0100000000000000 61 0200000000000000 6263"
        "0100000000000000 62 03000000 01"
        "0100000000000000 6c 04000000 0100000000000000 0100000000000000 7a";
    size_t n;
    uint8_t *p = unhex(hex, &n);
    for (long k = 0;; k++) {
        nlogop op;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, k, 0);
        int rc = nidus__op_decode(p, n, &op, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (!fired) {
            CHECK_RC(rc, NIDUS_OK);
            CHECK_U64(op.attrs.n, 3);
            CHECK_INT(op.attrs.items[1].val.v.list.count, 1); /* the later "l" won */
            nidus__op_free(&op);
            CHECK(k > 10);
            break;
        }
        CHECK_RC(rc, NIDUS_ENOMEM);
        CHECK(op.coll.ptr == NULL && op.attrs.items == NULL);
    }
    free(p);
}

TEST(codec_op_free_zeroes_and_is_idempotent) {
    nlogop op;
    nerr e = {0};
    CHECK_RC(decode_hex("04000000 0100000000000000 63 0100000000000000 61", &op, &e), NIDUS_OK);
    CHECK_STR(op.id.ptr, "a");
    nidus__op_free(&op);
    nidus__op_free(&op);
    nmeta m = {0};
    nidus__meta_free(&m);
}

/* ------------------------------------------------------------- views ---- */

static bool inside(const void *p, const uint8_t *buf, size_t len) {
    return (const uint8_t *)p >= buf && (const uint8_t *)p <= buf + len;
}

/* nidus__op_view decodes exactly what nidus__op_decode does (the same verdict on
 * every payload, the same content) without copying a string: each one points into
 * the payload. Checked on ops of every kind and value type, on maps out of order
 * with repeated keys, and on every truncation and single-byte change of them. */
TEST(codec_view_matches_owned_decode) {
    nidus_str l3[] = {S("a"), S(""), S("ccc")};
    nattr attrs[] = {{S("b"), nidus_bool(1)},       {S("dt"), nidus_datetime(-5)}, {S("f"), nidus_float(0.25)},
                     {S("i"), nidus_int(-7)},       {S("l"), nidus_list(l3, 3)},   {S("le"), nidus_list(NULL, 0)},
                     {S("n"), nidus_null()},        {S("s"), {.type = NIDUS_STR, .v.str = S("h\xc3\xa9")}}};
    nmeta_kv meta[] = {{S("hwm"), S("42")}, {S("model"), S("m")}};
    nbuf b = {0};
    size_t ends[16], nf = 0;
    nlogop op = op_new(NIDUS__OP_UPSERT, S("coll"), S("id-1"));
    op.row = 77;
    op.attrs = (nattrs){attrs, sizeof attrs / sizeof attrs[0]};
    encode(&op, &b), ends[nf++] = b.len;
    op = op_new(NIDUS__OP_UPSERT, S(""), S(""));
    encode(&op, &b), ends[nf++] = b.len;
    op = op_new(NIDUS__OP_SETMETA, S("coll"), (nidus_str){0});
    op.meta = (nmeta){meta, 2};
    encode(&op, &b), ends[nf++] = b.len;
    op = op_new(NIDUS__OP_DELETE, S("coll"), S("id-1"));
    encode(&op, &b), ends[nf++] = b.len;
    op = op_new(NIDUS__OP_CREATE, S("c2"), (nidus_str){0});
    encode(&op, &b), ends[nf++] = b.len;
    op = op_new(NIDUS__OP_DROP, S("c2"), (nidus_str){0});
    encode(&op, &b), ends[nf++] = b.len;
    /* Maps out of order, with a repeated key (the last wins). */
    static const char *hand[] = {
        "03000000 0100000000000000 63 0100000000000000 61 0000000000000000 0300000000000000"
        "0100000000000000 7a 02000000 0100000000000000"
        "0100000000000000 61 01000000 0100000000000000 78"
        "0100000000000000 7a 04000000 0100000000000000 0100000000000000 71",
        "02000000 0100000000000000 63 0300000000000000"
        "0100000000000000 6b 0100000000000000 31 0100000000000000 61 0000000000000000"
        "0100000000000000 6b 0100000000000000 32",
    };
    uint8_t *payloads[16];
    size_t lens[16], np = 0;
    for (size_t i = 0; i < nf; i++) {
        size_t start = i ? ends[i - 1] : 0;
        lens[np] = ends[i] - start - 8;
        payloads[np] = malloc(lens[np] ? lens[np] : 1);
        memcpy(payloads[np], b.p + start + 4, lens[np]);
        np++;
    }
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
        payloads[np] = unhex(hand[i], &lens[np]);
        np++;
    }
    narena scratch = {0};
    long checked = 0;
    for (size_t i = 0; i < np; i++) {
        size_t len = lens[i];
        uint8_t *p = malloc(len ? len : 1);
        /* variant 0: as is; 1..len: cut to len - v bytes; then each byte changed */
        for (size_t v = 0; v <= 2 * len; v++) {
            memcpy(p, payloads[i], len);
            size_t n = len;
            if (v >= 1 && v <= len) n = len - v;
            if (v > len) p[v - len - 1] ^= (uint8_t)(0x41 + v);
            nlogop owned, view;
            nerr e1 = {0}, e2 = {0};
            int r1 = nidus__op_decode(p, n, &owned, &e1);
            int r2 = nidus__op_view(p, n, &view, &scratch, &e2);
            if (r1 != r2) t_fail(__FILE__, __LINE__, "payload %zu variant %zu: decode %d, view %d", i, v, r1, r2);
            if (r1 == NIDUS_OK) {
                check_op_same(&owned, &view);
                CHECK(!view.coll.len || inside(view.coll.ptr, p, n));
                CHECK(!view.id.len || inside(view.id.ptr, p, n));
                for (size_t k = 0; k < view.attrs.n; k++) CHECK(inside(view.attrs.items[k].key.ptr, p, n));
                nidus__op_free(&owned);
            } else {
                CHECK(strcmp(e1.msg, e2.msg) == 0);
            }
            nidus__arena_reset(&scratch);
            checked++;
        }
        free(p);
        free(payloads[i]);
    }
    CHECK(checked > 500);
    nidus__arena_free(&scratch);
    nidus__buf_free(&b);
}

/* test_foreign.c — stores of later nidus versions (0.5 to 0.80), built by hand from
 * their documented formats (docs/FORMAT.md §10; the example bytes were verified
 * against nidus 0.80's own bincode 1.3.3 and crc32fast) on top of a store this
 * library wrote: a `manifest` (v1, v2), sealed segments `seg-NNNNNNNN`, derived
 * files, log ops 5-9 and tags past them. Each is refused with the right code and a
 * message naming what was found, read-write and read-only, and leaves every file
 * byte-identical and nothing created (no lock); a 0.80-style store whose manifest
 * names only `data` opens read-only and searches as before. */
#include "test_store_helpers.h"

#include "test_hooks.h"
#include "le.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#define FDIM 3

/* ------------------------------------------------------------- helpers ---- */

/* Bytes from "dc 23 95 ca ..." (spaces and '|' ignored). */
static size_t hex(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '|' || *s == '\n') {
            s++;
            continue;
        }
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1 || n == cap) t_fail(__FILE__, __LINE__, "bad hex near '%.8s'", s);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void put_hex(const char *path, const char *h) {
    uint8_t b[512];
    size_t n = hex(h, b, sizeof b);
    t_write_file(path, b, n);
}

static void append_file(const char *path, const void *p, size_t n) {
    size_t len = 0;
    unsigned char *old = t_read_file(path, &len);
    unsigned char *all = malloc(len + n + 1);
    if (len) memcpy(all, old, len);
    memcpy(all + len, p, n);
    t_write_file(path, all, len + n);
    free(old);
    free(all);
}

/* The verified example bytes (facts from nidus 0.80's source, docs/FORMAT.md §10). */
static const char *const FRESH_V2 = /* dim 3, Cosine, ["data"], next_id 1, version 1, empty profile */
    "dc 23 95 ca | 02 00 | 03 00 00 00 00 00 00 00 | 00 00 00 00 | 01 00 00 00 00 00 00 00"
    "04 00 00 00 00 00 00 00 64 61 74 61 | 01 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00"
    "00 00 00 00";
static const char *const SEG_V1 = /* dim 3, Euclidean, ["data","seg-00000001"], next_id 2, version 2 */
    "88 54 13 61 01 00 03 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 00 00 00 00 04 00 00 00"
    "00 00 00 00 64 61 74 61 0c 00 00 00 00 00 00 00 73 65 67 2d 30 30 30 30 30 30 30 31 02 00"
    "00 00 00 00 00 00 02 00 00 00 00 00 00 00";
static const char *const SEG_V2 = /* the same as v2 with an empty profile */
    "54 f2 e7 cb 02 00 03 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 00 00 00 00 04 00 00 00"
    "00 00 00 00 64 61 74 61 0c 00 00 00 00 00 00 00 73 65 67 2d 30 30 30 30 30 30 30 31 02 00"
    "00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00";

/* Log frames, collection "docs", id "a". */
static const struct {
    uint32_t tag;
    const char *name, *version, *hex;
} LATER_FRAMES[] = {
    {5, "UpsertText", "0.14",
     "21 00 00 00 05 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00 61 00 00 00 00 00 00 00 00"
     " d6 6c eb c5"},
    {6, "SetFtsSchema", "0.14",
     "28 00 00 00 06 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00 62"
     " 6f 64 79 00 00 00 00 fb 7a ed d5"},
    {7, "SetFtsFields", "0.52",
     "32 00 00 00 07 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00 62"
     " 6f 64 79 9a 99 99 3f 00 00 40 3f 00 00 00 00 00 00 c1 c3 e8 92"},
    {8, "SetFilterIndex", "0.64",
     "26 00 00 00 | 08 00 00 00 | 04 00 00 00 00 00 00 00 64 6f 63 73 | 01 00 00 00 00 00 00 00"
     "04 00 00 00 00 00 00 00 74 65 78 74 | 01 | 01 | ac cc 74 99"},
    {9, "Reinforce", "0.79",
     "2a 00 00 00 09 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00 61 03 00 00 00 00 00 00 00"
     " 00 68 e5 cf 8b 01 00 00 00 72 ea 04 39"},
};
enum { NLATER = sizeof LATER_FRAMES / sizeof *LATER_FRAMES };

/* nidus 0.80's Upsert (tag 3, row 7, f: Float 0.5, t: DateTime): a known op, for
 * checking that the example bytes and our encoder agree. */
static const char *const UPSERT_80 =
    "53 00 00 00 03 00 00 00 04 00 00 00 00 00 00 00 64 6f 63 73 01 00 00 00 00 00 00 00 61 07 00 00 00 00 00 00 00 02"
    " 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 66 05 00 00 00 00 00 00 00 00 00 e0 3f 01 00 00 00 00 00 00 00 74"
    " 06 00 00 00 00 68 e5 cf 8b 01 00 00 d2 b5 29 30";

/* A store of this library: dim 3, "docs" {a, b, c} and "code" {m}. */
static const float VA[FDIM] = {1, 0, 0}, VB[FDIM] = {0, 1, 0}, VC[FDIM] = {1, 1, 0}, VM[FDIM] = {0, 0, 1};
static const char *make_store(void) {
    char *dir = malloc(700);
    snprintf(dir, 700, "%s/s", t_tmpdir());
    nidus_db *db = th_open(dir, FDIM);
    CHECK_OK_DB(db, th_put(db, "docs", "a", VA));
    CHECK_OK_DB(db, th_put(db, "docs", "b", VB));
    CHECK_OK_DB(db, th_put(db, "docs", "c", VC));
    CHECK_OK_DB(db, th_put(db, "code", "m", VM));
    CHECK_OK_DB(db, nidus_close(db));
    static char keep[16][700];
    static int nk;
    char *k = keep[nk++ % 16];
    snprintf(k, 700, "%s", dir);
    free(dir);
    return k;
}

/* A data file of `rows` rows of dim 3 with header byte 12 = dist (a segment). */
static void write_segment(const char *path, uint8_t dist, int rows) {
    uint8_t b[64 + 16 * 12] = {'N', 'I', 'D', 'U', 'S', 0, 1, 0, FDIM, 0, 0, 0};
    b[12] = dist;
    for (int r = 0; r < rows && r < 16; r++)
        for (int k = 0; k < FDIM; k++) {
            float f = (float)(r + k) * 0.5f;
            memcpy(b + 64 + (r * FDIM + k) * 4, &f, 4);
        }
    t_write_file(path, b, 64 + (size_t)rows * 12);
}

/* The directory as it is: every name (sorted) and every file's bytes. */
typedef struct snap {
    char names[64][256];
    unsigned char *bytes[64];
    size_t len[64], n;
} snap;

static int name_cmp(const void *a, const void *b) { return strcmp(a, b); }

static void take(const char *dir, snap *s) {
    memset(s, 0, sizeof *s);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        CHECK(s->n < 64);
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", de->d_name);
    }
    closedir(d);
    qsort(s->names, s->n, sizeof s->names[0], name_cmp);
    for (size_t i = 0; i < s->n; i++) {
        s->bytes[i] = t_read_file(t_path(dir, s->names[i]), &s->len[i]);
        CHECK(s->bytes[i] != NULL);
    }
}

static void snap_free(snap *s) {
    for (size_t i = 0; i < s->n; i++) free(s->bytes[i]);
}

/* The directory is exactly as `before`: the same names, the same bytes. */
static void same_as(const char *dir, const snap *before, int line) {
    snap now;
    take(dir, &now);
    if (now.n != before->n) t_fail(__FILE__, line, "%zu files now, %zu before", now.n, before->n);
    for (size_t i = 0; i < now.n; i++) {
        if (strcmp(now.names[i], before->names[i]) != 0)
            t_fail(__FILE__, line, "file %s now, %s before", now.names[i], before->names[i]);
        if (now.len[i] != before->len[i] || memcmp(now.bytes[i], before->bytes[i], now.len[i]) != 0)
            t_fail(__FILE__, line, "%s changed (%zu bytes, %zu before)", now.names[i], now.len[i], before->len[i]);
    }
    snap_free(&now);
}

/* Open dir (read-only or read-write, adopting the dimension): must fail with
 * `code` and a message containing each needle, leaving dir as it was. */
static void refused(const char *dir, int read_only, int code, const char *n1, const char *n2, const char *n3,
                    int line) {
    snap before;
    take(dir, &before);
    nidus_config c;
    nidus_config_init(&c, 0);
    c.read_only = read_only;
    nidus_db *db = NULL;
    int rc = nidus_open(dir, &c, &db);
    const char *msg = db ? nidus_errmsg(db) : "";
    if (rc != code)
        t_fail(__FILE__, line, "%s open: rc %d (%s), want %d: %s", read_only ? "read-only" : "read-write", rc,
               nidus_strerror(rc), code, msg);
    const char *needles[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        if (needles[i] && !strstr(msg, needles[i]))
            t_fail(__FILE__, line, "message lacks \"%s\": %s", needles[i], msg);
    nidus_close(db);
    same_as(dir, &before, line);
    CHECK(t_file_size(t_path(dir, "lock")) < 0);
    snap_free(&before);
}

#define REFUSED(dir, ro, code, n1, n2, n3) refused(dir, ro, code, n1, n2, n3, __LINE__)

/* Search results as one string: "coll/id:score;" best first. */
static char *hits_of(nidus_db *db, const float *q) {
    nidus_hits *h = th_search(db, NULL, 0, q, 10);
    char *s = calloc(1, 4096);
    for (size_t i = 0; i < h->count; i++)
        snprintf(s + strlen(s), 4096 - strlen(s), "%s/%s:%.9g@%llu;", h->hits[i].collection, h->hits[i].id,
                 (double)h->hits[i].score, (unsigned long long)h->hits[i].row);
    nidus_free(h);
    return s;
}

static char *ro_hits(const char *dir) {
    static const float q[FDIM] = {0.9f, 0.3f, 0.1f};
    nidus_db *db = th_open_ro(dir, 0);
    char *s = hits_of(db, q);
    CHECK_U64(th_count(db, "docs"), 3);
    nidus_close(db);
    return s;
}

/* A manifest built field by field (format 1 or 2; v2 with an empty profile). */
static size_t build_manifest(uint8_t *out, uint16_t format, uint64_t dim, uint32_t dist, const char *const *segs,
                             size_t nseg, uint64_t next_id, uint64_t version) {
    uint8_t *p = out + 4;
    nidus__put_le16(p, format), p += 2;
    nidus__put_le64(p, dim), p += 8;
    nidus__put_le32(p, dist), p += 4;
    nidus__put_le64(p, nseg), p += 8;
    for (size_t i = 0; i < nseg; i++) {
        size_t k = strlen(segs[i]);
        nidus__put_le64(p, k), p += 8;
        memcpy(p, segs[i], k), p += k;
    }
    nidus__put_le64(p, next_id), p += 8;
    nidus__put_le64(p, version), p += 8;
    if (format == 2) memset(p, 0, 4), p += 4;
    nidus__put_le32(out, nidus__crc32(out + 4, (size_t)(p - out - 4)));
    return (size_t)(p - out);
}

static void write_manifest(const char *dir, uint16_t format, uint64_t dim, uint32_t dist, const char *const *segs,
                           size_t nseg) {
    uint8_t b[512];
    t_write_file(t_path(dir, "manifest"), b, build_manifest(b, format, dim, dist, segs, nseg, nseg, nseg));
}

/* ------------------------------------------------------ the example bytes ---- */

/* The verified examples are what this file's builder and nidus__crc32 produce, and
 * they parse to their fields. */
TEST(foreign_manifest_examples_parse) {
    static const char *const data_only[] = {"data"}, *const with_seg[] = {"data", "seg-00000001"};
    static const struct {
        const char *hex;
        uint16_t format;
        uint32_t dist;
        const char *const *segs;
        size_t nseg;
        uint64_t next;
    } ex[] = {{NULL, 2, 0, data_only, 1, 1}, {NULL, 1, 1, with_seg, 2, 2}, {NULL, 2, 1, with_seg, 2, 2}};
    const char *hexes[3] = {FRESH_V2, SEG_V1, SEG_V2};
    for (int i = 0; i < 3; i++) {
        uint8_t want[512], got[512];
        size_t n = hex(hexes[i], want, sizeof want);
        size_t m = build_manifest(got, ex[i].format, FDIM, ex[i].dist, ex[i].segs, ex[i].nseg, ex[i].next, ex[i].next);
        CHECK_U64(m, n);
        CHECK(memcmp(want, got, n) == 0);
        nmanifest mf;
        nerr e = {0};
        CHECK_RC(nidus__manifest_parse(want, n, &mf, &e), NIDUS_OK);
        CHECK_INT(mf.format, ex[i].format);
        CHECK_U64(mf.dimension, FDIM);
        CHECK_INT(mf.distance, ex[i].dist);
        CHECK_U64(mf.nsegments, ex[i].nseg);
        CHECK_U64(mf.next_id, ex[i].next);
        CHECK_U64(mf.version, ex[i].next);
        CHECK_STR(mf.first, "data");
        CHECK_STR(mf.extra, ex[i].nseg > 1 ? "seg-00000001" : "");
    }
}

/* Every malformed manifest is corrupt, a later format or distance a later version;
 * a v2 profile and trailing bytes are ignored. */
TEST(foreign_manifest_parse_verdicts) {
    static const char *const data_only[] = {"data"}, *const not_data[] = {"seg-00000001"};
    uint8_t b[2048]; /* room for 40 segments */
    nmanifest m;
    nerr e = {0};
    size_t n = hex(FRESH_V2, b, sizeof b);
    for (size_t cut = 0; cut < n - 4; cut++) { /* v1 fields end 4 bytes early: the profile */
        int rc = nidus__manifest_parse(b, cut, &m, &e);
        if (rc != NIDUS_ECORRUPT) t_fail(__FILE__, __LINE__, "cut %zu: rc %d", cut, rc);
    }
    CHECK_RC(nidus__manifest_parse(b, n - 4, &m, &e), NIDUS_ECORRUPT); /* the CRC covers the profile */
    CHECK(strstr(e.msg, "CRC mismatch") != NULL);
    b[20] ^= 1;
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "CRC mismatch (stored 0xca9523dc") != NULL);
    CHECK_RC(nidus__manifest_parse(b, 3, &m, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "too short for its CRC") != NULL);
    /* a populated v2 profile and trailing bytes after it are not read */
    n = build_manifest(b, 2, FDIM, 0, data_only, 1, 1, 1);
    memset(b + n - 4, 0x01, 4);
    memset(b + n, 0xee, 40);
    nidus__put_le32(b, nidus__crc32(b + 4, n + 40 - 4));
    CHECK_RC(nidus__manifest_parse(b, n + 40, &m, &e), NIDUS_OK);
    /* format versions */
    n = build_manifest(b, 3, FDIM, 0, data_only, 1, 1, 1);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_EVERSION);
    CHECK(strstr(e.msg, "format version 3") && strstr(e.msg, "newer than 0.80"));
    n = build_manifest(b, 0, FDIM, 0, data_only, 1, 1, 1);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    n = build_manifest(b, 2, FDIM, 3, data_only, 1, 1, 1);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_EVERSION);
    CHECK(strstr(e.msg, "distance 3") != NULL);
    n = build_manifest(b, 2, FDIM, 0, NULL, 0, 1, 1);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "names no segments") != NULL);
    n = build_manifest(b, 2, FDIM, 0, not_data, 1, 1, 1);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "\"seg-00000001\"") != NULL);
    /* a segment count past the bytes, a name that is not UTF-8 */
    n = build_manifest(b, 2, FDIM, 0, data_only, 1, 1, 1);
    nidus__put_le64(b + 18, 1000);
    nidus__put_le32(b, nidus__crc32(b + 4, n - 4));
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    n = build_manifest(b, 2, FDIM, 0, data_only, 1, 1, 1);
    b[34] = 0xff;
    nidus__put_le32(b, nidus__crc32(b + 4, n - 4));
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_ECORRUPT);
    CHECK(strstr(e.msg, "not UTF-8") != NULL);
    /* many segments: the message's list is cut short */
    const char *many[40];
    char names[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], i ? "seg-%08d" : "data", i);
        many[i] = names[i];
    }
    n = build_manifest(b, 1, FDIM, 0, many, 40, 40, 40);
    CHECK_RC(nidus__manifest_parse(b, n, &m, &e), NIDUS_OK);
    CHECK_U64(m.nsegments, 40);
    CHECK(strncmp(m.extra, "seg-00000001, seg-00000002", 26) == 0);
    CHECK(strstr(m.extra, " …") != NULL);
}

/* The verified frames of ops 5-9: their CRCs are crc32 of their payloads, and the
 * decoder names each (NIDUS_EVERSION), owned and as a view alike, except op 8,
 * which it reads (SetFilterIndex, SPEC.md §12); cut short, or with a bad bool or
 * language, each is malformed as nidus 0.3's decoder says it ("unknown op tag
 * N"), not a later version's op. */
TEST(foreign_codec_names_later_ops) {
    for (int i = 0; i < NLATER; i++) {
        uint8_t f[256];
        size_t n = hex(LATER_FRAMES[i].hex, f, sizeof f);
        uint32_t plen = nidus__get_le32(f);
        CHECK_U64(plen + 8, n);
        CHECK_U64(nidus__get_le32(f + 4 + plen), nidus__crc32(f + 4, plen));
        CHECK_U64(nidus__get_le32(f + 4), LATER_FRAMES[i].tag);
        nlogop op;
        nerr e = {0};
        bool unknown = true;
        char want[128];
        const bool known = LATER_FRAMES[i].tag == NIDUS__OP_SET_FILTER_INDEX;
        const int verdict = known ? NIDUS_OK : NIDUS_EVERSION;
        CHECK_RC(nidus__op_read(f + 4, plen, &op, NULL, &unknown, &e), verdict);
        CHECK(!unknown);
        if (known) {
            CHECK_STR(op.coll.ptr, "docs");
            CHECK_U64(op.nfields, 1);
            CHECK_STR(op.fields[0].name.ptr, "text");
            CHECK(op.fields[0].tokens && op.fields[0].trigrams);
            nidus__op_free(&op);
        } else {
            snprintf(want, sizeof want, "op %u %s, which nidus %s and later write", (unsigned)LATER_FRAMES[i].tag,
                     LATER_FRAMES[i].name, LATER_FRAMES[i].version);
            CHECK_STR(e.msg, want);
        }
        narena scratch = {0};
        CHECK_RC(nidus__op_view(f + 4, plen, &op, &scratch, &e), verdict);
        if (!known) CHECK_STR(e.msg, want);
        nidus__arena_free(&scratch);
        const char *v = NULL;
        CHECK_STR(nidus__later_op_name(LATER_FRAMES[i].tag, &v), LATER_FRAMES[i].name);
        CHECK_STR(v, LATER_FRAMES[i].version);
        for (uint32_t cut = 4; cut < plen; cut++) {
            int rc = nidus__op_read(f + 4, cut, &op, NULL, &unknown, &e);
            if (rc != NIDUS_ECORRUPT || unknown) t_fail(__FILE__, __LINE__, "op %d cut %u: rc %d", i + 5, cut, rc);
            snprintf(want, sizeof want, "unknown op tag %u", (unsigned)LATER_FRAMES[i].tag);
            CHECK_STR(e.msg, want);
        }
        /* trailing bytes are allowed, as bincode allows them */
        uint8_t longer[300];
        memcpy(longer, f + 4, plen);
        memset(longer + plen, 0x5a, 9);
        CHECK_RC(nidus__op_decode(longer, plen + 9, &op, &e), verdict);
        if (known) nidus__op_free(&op);
    }
    CHECK(nidus__later_op_name(4, NULL) == NULL && nidus__later_op_name(10, NULL) == NULL);
    /* op 8 with a tokens byte of 2, op 6 with language 1: malformed */
    uint8_t f[256];
    size_t n = hex(LATER_FRAMES[3].hex, f, sizeof f);
    nlogop op;
    nerr e = {0};
    f[n - 6] = 2;
    CHECK_RC(nidus__op_decode(f + 4, n - 8, &op, &e), NIDUS_ECORRUPT);
    n = hex(LATER_FRAMES[1].hex, f, sizeof f);
    f[n - 8] = 1;
    CHECK_RC(nidus__op_decode(f + 4, n - 8, &op, &e), NIDUS_ECORRUPT);
    /* op 5 holding an attribute with value tag 7: an unknown tag, not a shape */
    static const uint8_t t5[] = {5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c', 1, 0, 0, 0, 0, 0, 0, 0, 'a',
                                 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'k', 7, 0, 0, 0};
    bool unknown = false;
    CHECK_RC(nidus__op_read(t5, sizeof t5, &op, NULL, &unknown, &e), NIDUS_ECORRUPT);
    CHECK(unknown);
    CHECK(strstr(e.msg, "unknown value tag 7") != NULL);
    /* op tags past 9 are unknown; the example Upsert of nidus 0.80 decodes */
    static const uint8_t t10[] = {10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'c'};
    CHECK_RC(nidus__op_read(t10, sizeof t10, &op, NULL, &unknown, &e), NIDUS_ECORRUPT);
    CHECK(unknown);
    CHECK_STR(e.msg, "unknown op tag 10");
    n = hex(UPSERT_80, f, sizeof f);
    CHECK_RC(nidus__op_read(f + 4, n - 8, &op, NULL, &unknown, &e), NIDUS_OK);
    CHECK_U64(op.row, 7);
    CHECK_U64(op.attrs.n, 2);
    nidus__op_free(&op);
}

/* ------------------------------------------------ the files of later versions ---- */

/* Any file a later nidus writes makes a writer's open refuse, naming the file and
 * the version, before it takes the lock or creates anything; a reader opens the
 * store as before, the caches (derived files) ignored. */
TEST(foreign_writer_refuses_every_later_file) {
    static const struct {
        const char *name, *version;
    } files[] = {
        {"manifest.tmp", "nidus 0.18 or later"}, {"data.crc", "nidus 0.62 or later"},
        {"seg-00000001.crc", "nidus 0.62 or later"}, {"seg-00000003.ivf", "nidus 0.64 or later"},
        {"ann", "nidus 0.12 or later"}, {"fts", "nidus 0.14 or later"}, {"findex", "nidus 0.64 or later"},
        {"embed-cache", "nidus 0.74 or later"}, {"hist-00000000000000000007", "nidus 0.78 or later"},
        {"hist-floor", "nidus 0.78 or later"}, {"ann.tmp", "nidus 0.12 or later"},
        {"embed-cache.tmp", "nidus 0.12 or later"},
    };
    const char *dir = make_store();
    char *before = ro_hits(dir);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        const char *dir2 = make_store();
        /* The caches begin like `data` (index_cache frame): recognised by name. */
        t_write_file(t_path(dir2, files[i].name), "NIDUS\0\1\0 cache", 14);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "`%s`", files[i].name);
        REFUSED(dir2, 0, NIDUS_EVERSION, quoted, files[i].version, "opens one read-only");
        snap s;
        take(dir2, &s);
        char *after = ro_hits(dir2);
        CHECK_STR(after, before);
        free(after);
        same_as(dir2, &s, __LINE__);
        snap_free(&s);
    }
    /* With several, the manifest is named and the rest counted. */
    const char *d3 = make_store();
    t_write_file(t_path(d3, "ann"), "x", 1);
    t_write_file(t_path(d3, "data.crc"), "x", 1);
    put_hex(t_path(d3, "manifest"), FRESH_V2);
    REFUSED(d3, 0, NIDUS_EVERSION, "has `manifest` (and 2 more files of later versions), which nidus 0.18 or later",
            "nidus 0.80 writes one on its first read-write open", NULL);
    /* Our own temporary files are no later version's. */
    const char *d4 = make_store();
    t_write_file(t_path(d4, "log.tmp"), "x", 1);
    t_write_file(t_path(d4, "compact.tmp"), "x", 1);
    t_write_file(t_path(d4, "data.new"), "x", 1);
    t_write_file(t_path(d4, "notes.txt"), "x", 1); /* and names no nidus writes are not looked at */
    nidus_db *db = th_open(d4, 0);
    CHECK_U64(th_count(db, "docs"), 3);
    nidus_close(db);
    free(before);
}

/* A 0.80-style store: nidus 0.80 opened ours read-write once (the fresh v2
 * manifest) and left caches. Read-only it opens and searches exactly as before;
 * read-write it is refused. The v1 form of the same manifest, too. */
TEST(foreign_manifest_naming_only_data_reads_like_before) {
    static const char *const data_only[] = {"data"};
    const char *dir = make_store();
    char *before = ro_hits(dir);
    put_hex(t_path(dir, "manifest"), FRESH_V2);
    t_write_file(t_path(dir, "data.crc"), "NIDUS\0\1\0 crc", 12);
    t_write_file(t_path(dir, "fts"), "NIDUS\0\1\0 fts", 12);
    t_write_file(t_path(dir, "hist-floor"), "x", 1);
    snap s;
    take(dir, &s);
    char *after = ro_hits(dir);
    CHECK_STR(after, before);
    free(after);
    same_as(dir, &s, __LINE__);
    snap_free(&s);
    REFUSED(dir, 0, NIDUS_EVERSION, "`manifest`", "nidus 0.18 or later", NULL);
    write_manifest(dir, 1, FDIM, 0, data_only, 1);
    after = ro_hits(dir);
    CHECK_STR(after, before);
    free(after);
    /* A leftover segment the manifest does not name (a compaction's best-effort
     * delete failed) is ignored read-only. */
    write_segment(t_path(dir, "seg-00000002"), 0, 2);
    after = ro_hits(dir);
    CHECK_STR(after, before);
    free(after);
    REFUSED(dir, 0, NIDUS_EVERSION, "`manifest` (and 4 more files of later versions)", NULL, NULL);
    free(before);
}

/* Rows in sealed segments: the v1 and v2 examples (Euclidean, ["data",
 * "seg-00000001"]) over a segment holding rows, header byte 12 set. Refused both
 * ways, naming the segment; read-only as well (its rows would be missed). */
TEST(foreign_rows_in_segments_refused) {
    const char *hexes[2] = {SEG_V1, SEG_V2};
    for (int v = 0; v < 2; v++) {
        const char *dir = make_store();
        /* as 0.80 has it: the base's header says Euclidean like the manifest */
        size_t n;
        unsigned char *d = t_read_file(t_path(dir, "data"), &n);
        d[12] = 1;
        t_write_file(t_path(dir, "data"), d, n);
        free(d);
        put_hex(t_path(dir, "manifest"), hexes[v]);
        write_segment(t_path(dir, "seg-00000001"), 1, 2);
        REFUSED(dir, 1, NIDUS_EVERSION, "keeps rows in sealed segments (seg-00000001; its manifest names 2 segments)",
                "nidus 0.18 or later", "does not read segments");
        REFUSED(dir, 0, NIDUS_EVERSION, "`manifest` (and 1 more file of later versions)", NULL, NULL);
        /* with its checksum sidecar and an empty active segment after it */
        static const char *const three[] = {"data", "seg-00000001", "seg-00000002"};
        write_manifest(dir, 2, FDIM, 1, three, 3);
        write_segment(t_path(dir, "seg-00000002"), 1, 0);
        t_write_file(t_path(dir, "seg-00000001.crc"), "x", 1);
        REFUSED(dir, 1, NIDUS_EVERSION, "(seg-00000001, seg-00000002; its manifest names 3 segments)", NULL, NULL);
        REFUSED(dir, 0, NIDUS_EVERSION, "(and 3 more files", NULL, NULL);
    }
}

/* Segment files and no manifest: rows may live there; refused both ways. */
TEST(foreign_segments_without_manifest_refused) {
    const char *dir = make_store();
    write_segment(t_path(dir, "seg-00000004"), 0, 3);
    write_segment(t_path(dir, "seg-00000001"), 0, 1);
    REFUSED(dir, 1, NIDUS_EVERSION, "has segment files (seg-00000001, seg-00000004) but no manifest",
            "rows may live in them", NULL);
    REFUSED(dir, 0, NIDUS_EVERSION, "`seg-00000001` (and 1 more file", "nidus 0.18 or later", "sealed segment");
}

/* A damaged manifest is corruption (read-only), named; one that disagrees with the
 * data header too; a later format or distance is a later version. */
TEST(foreign_bad_manifest_refused_read_only) {
    static const char *const data_only[] = {"data"};
    const char *dir = make_store();
    uint8_t b[512];
    size_t n = hex(FRESH_V2, b, sizeof b);
    b[10] ^= 0x10;
    t_write_file(t_path(dir, "manifest"), b, n);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "/manifest is corrupt: CRC mismatch", NULL, NULL);
    REFUSED(dir, 0, NIDUS_EVERSION, "`manifest`", NULL, NULL);
    t_write_file(t_path(dir, "manifest"), b, 2);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "/manifest is corrupt: 2 bytes", NULL, NULL);
    t_write_file(t_path(dir, "manifest"), b, 0);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "/manifest is corrupt: 0 bytes", NULL, NULL);
    n = build_manifest(b, 2, FDIM, 0, data_only, 1, 1, 1);
    nidus__put_le32(b, nidus__crc32(b + 4, 20));
    t_write_file(t_path(dir, "manifest"), b, 24); /* a good CRC over fields cut short */
    REFUSED(dir, 1, NIDUS_ECORRUPT, "is corrupt: it ends inside its segments field", NULL, NULL);
    write_manifest(dir, 2, 4, 0, data_only, 1);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "says dimension 4, the data header 3", NULL, NULL);
    write_manifest(dir, 2, FDIM, 2, data_only, 1);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "says distance DotProduct, the data header (byte 12 = 0) Cosine", NULL, NULL);
    write_manifest(dir, 7, FDIM, 0, data_only, 1);
    REFUSED(dir, 1, NIDUS_EVERSION, "is of a later nidus: format version 7", NULL, NULL);
    write_manifest(dir, 2, FDIM, 9, data_only, 1);
    REFUSED(dir, 1, NIDUS_EVERSION, "distance 9", NULL, NULL);
    write_manifest(dir, 2, FDIM, 0, NULL, 0);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "names no segments", NULL, NULL);
    /* byte 12 set in `data`: the manifest must say the same; when it does, the
     * reader goes on (what the distance then means is the data header's business) */
    size_t dn;
    unsigned char *d = t_read_file(t_path(dir, "data"), &dn);
    d[12] = 1;
    t_write_file(t_path(dir, "data"), d, dn);
    free(d);
    write_manifest(dir, 2, FDIM, 0, data_only, 1);
    REFUSED(dir, 1, NIDUS_ECORRUPT, "says distance Cosine, the data header (byte 12 = 1) Euclidean", NULL, NULL);
    write_manifest(dir, 2, FDIM, 1, data_only, 1);
    snap s;
    take(dir, &s);
    nidus_db *db = th_open_ro(dir, 0);
    CHECK_U64(th_count(db, "docs"), 3);
    nidus_close(db);
    same_as(dir, &s, __LINE__);
    snap_free(&s);
    REFUSED(dir, 0, NIDUS_EVERSION, "`manifest`", NULL, NULL);
}

/* ------------------------------------------------------------- log ops 5-9 ---- */

/* Each verified op 5-9 frame, appended to our log (last, or with a frame of ours
 * after it): NIDUS_EVERSION naming the op, its version and the frame's offset, both
 * ways, and the frame is never cut (a writer's open leaves the log as it was). */
TEST(foreign_log_ops_5_to_9_refused_never_cut) {
    for (int i = 0; i < NLATER; i++) {
        if (LATER_FRAMES[i].tag == NIDUS__OP_SET_FILTER_INDEX) continue; /* read and applied: test_findex.c */
        for (int mid = 0; mid < 2; mid++) {
            const char *dir = make_store();
            long long off = t_file_size(t_path(dir, "log"));
            uint8_t f[256];
            size_t n = hex(LATER_FRAMES[i].hex, f, sizeof f);
            append_file(t_path(dir, "log"), f, n);
            if (mid) {
                n = hex(UPSERT_80, f, sizeof f);
                append_file(t_path(dir, "log"), f, n);
            }
            char at[64], what[96];
            snprintf(at, sizeof at, "log frame at offset %lld is op %u", off, (unsigned)LATER_FRAMES[i].tag);
            snprintf(what, sizeof what, "%s, which nidus %s and later write", LATER_FRAMES[i].name,
                     LATER_FRAMES[i].version);
            REFUSED(dir, 0, NIDUS_EVERSION, at, what, "refuses the store");
            REFUSED(dir, 1, NIDUS_EVERSION, at, what, "refuses the store");
        }
    }
}

/* A frame with a good CRC and a tag no nidus up to 0.80 writes (op 10, op
 * 0xffffffff, a value tag 7 in an Upsert) is corruption-or-newer, never a torn tail,
 * also as the last frame; a malformed frame of a known op with a good CRC stays a
 * torn tail at the end (as in nidus 0.3 and 0.80), which a writer cuts. */
TEST(foreign_unknown_tags_never_torn) {
    static const uint8_t p10[] = {10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's'};
    static const uint8_t pmax[] = {0xff, 0xff, 0xff, 0xff};
    /* Upsert docs/z row 0 {k: tag 7} */
    static const uint8_t pv7[] = {3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's', 1, 0, 0, 0, 0, 0, 0, 0, 'z',
                                  0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'k',
                                  7, 0, 0, 0};
    const struct {
        const uint8_t *p;
        size_t n;
        const char *why;
    } cases[] = {{p10, sizeof p10, "unknown op tag 10"},
                 {pmax, sizeof pmax, "unknown op tag 4294967295"},
                 {pv7, sizeof pv7, "unknown value tag 7 at byte 50"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *dir = make_store();
        long long off = t_file_size(t_path(dir, "log"));
        uint8_t f[128];
        nidus__put_le32(f, (uint32_t)cases[i].n);
        memcpy(f + 4, cases[i].p, cases[i].n);
        nidus__put_le32(f + 4 + cases[i].n, nidus__crc32(cases[i].p, cases[i].n));
        append_file(t_path(dir, "log"), f, cases[i].n + 8);
        char at[64];
        snprintf(at, sizeof at, "log corruption at offset %lld: %s", off, cases[i].why);
        REFUSED(dir, 0, NIDUS_ECORRUPT, at, "corrupt, or written by a nidus newer than 0.80", NULL);
        REFUSED(dir, 1, NIDUS_ECORRUPT, at, "CRC is good", NULL);
    }
    /* Delete docs/<missing id>: cut short, good CRC, last: torn, and cut by a writer. */
    const char *dir = make_store();
    long long off = t_file_size(t_path(dir, "log"));
    static const uint8_t pdel[] = {4, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 'd', 'o', 'c', 's', 9, 0};
    uint8_t f[64];
    nidus__put_le32(f, sizeof pdel);
    memcpy(f + 4, pdel, sizeof pdel);
    nidus__put_le32(f + 4 + sizeof pdel, nidus__crc32(pdel, sizeof pdel));
    append_file(t_path(dir, "log"), f, sizeof pdel + 8);
    nidus_db *db = th_open_ro(dir, 0);
    CHECK_U64(th_count(db, "docs"), 3);
    nidus_close(db);
    CHECK_U64(t_file_size(t_path(dir, "log")), off + (long long)sizeof pdel + 8);
    db = th_open(dir, 0);
    CHECK_U64(th_count(db, "docs"), 3);
    nidus_close(db);
    CHECK_U64(t_file_size(t_path(dir, "log")), off);
}

/* A writer's open that meets an op 5-9 also leaves a torn row of `data` alone: the
 * store is refused before the writer repairs anything. */
TEST(foreign_refused_writer_cuts_no_partial_row) {
    const char *dir = make_store();
    append_file(t_path(dir, "data"), "xyz", 3);
    uint8_t f[256];
    size_t n = hex(LATER_FRAMES[4].hex, f, sizeof f);
    append_file(t_path(dir, "log"), f, n);
    REFUSED(dir, 0, NIDUS_EVERSION, "Reinforce", NULL, NULL);
}

/* A reader's manifest check fails cleanly at every allocation, open and read it
 * makes (ASan checks that nothing leaks): an open either fails or, when the
 * reader's retry absorbed the failure (a failed open of the marker reads as "the
 * files moved": read again), gives the store's content. */
TEST(foreign_reader_check_every_failure_is_clean) {
    const char *dir = make_store();
    put_hex(t_path(dir, "manifest"), FRESH_V2);
    snap before;
    take(dir, &before);
    for (int kinds = 0; kinds < 2; kinds++)
        for (long k = 0;; k++) {
            nidus_config c;
            nidus_config_init(&c, 0);
            c.read_only = 1;
            nidus__fault_arm(kinds ? NIDUS__FAULT_OPEN : NIDUS__FAULT_ALLOC | NIDUS__FAULT_READ, k, EIO);
            nidus_db *db = NULL;
            int rc = nidus_open(dir, &c, &db);
            bool fired = nidus__fault_fired();
            nidus__fault_disarm();
            if (rc == NIDUS_OK) CHECK_U64(th_count(db, "docs"), 3);
            else CHECK(fired);
            nidus_close(db);
            if (!fired) break;
            CHECK(k < 10000);
        }
    same_as(dir, &before, __LINE__);
    snap_free(&before);
}

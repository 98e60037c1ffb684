/*
 * fuzz_manifest — nidus__manifest_parse on arbitrary bytes (a `manifest` file of
 * nidus 0.18+, docs/FORMAT.md §10.2).
 *
 * Input: one control byte, then the file. ctl bit 0: rewrite its CRC (bytes 0..3)
 * over the rest first, so random payloads reach the bincode fields.
 *
 * Properties:
 *  - the verdict is NIDUS_OK, NIDUS_ECORRUPT or NIDUS_EVERSION with a message, the
 *    one an independent reading here gives (CRC, the v1 fields in order, format
 *    1-2, distance 0-2, at least one segment, the first `data`); reads stay in
 *    bounds (the copy is exactly the input's size);
 *  - an accepted manifest reports the fields this reading finds, and any change to
 *    one of its bytes outside the CRC, CRC kept, is refused (CRC mismatch).
 */
#include "common.h"

/* The reference: 0 OK, 1 corrupt, 2 later version; fields into *m. */
static int reference(const uint8_t *p, size_t n, nmanifest *m) {
    memset(m, 0, sizeof *m);
    if (n < 4 || fz_le32(p) != nidus__crc32(p + 4, n - 4)) return 1;
    size_t i = 4;
#define NEED(k)                                                                                                        \
    do {                                                                                                               \
        if (n - i < (k)) return 1;                                                                                     \
    } while (0)
    NEED(14);
    m->format = (uint16_t)(p[i] | p[i + 1] << 8);
    m->dimension = (uint64_t)fz_le32(p + i + 2) | (uint64_t)fz_le32(p + i + 6) << 32;
    m->distance = fz_le32(p + i + 10);
    i += 14;
    NEED(8);
    uint64_t count = (uint64_t)fz_le32(p + i) | (uint64_t)fz_le32(p + i + 4) << 32;
    i += 8;
    bool first_data = false;
    for (uint64_t s = 0; s < count; s++) {
        NEED(8);
        uint64_t k = (uint64_t)fz_le32(p + i) | (uint64_t)fz_le32(p + i + 4) << 32;
        i += 8;
        if (k > n - i) return 1;
        if (!nidus__utf8_valid((const char *)p + i, (size_t)k)) return 1;
        if (s == 0) first_data = k == 4 && memcmp(p + i, "data", 4) == 0;
        i += (size_t)k;
    }
    m->nsegments = count;
    NEED(16);
    m->next_id = (uint64_t)fz_le32(p + i) | (uint64_t)fz_le32(p + i + 4) << 32;
    m->version = (uint64_t)fz_le32(p + i + 8) | (uint64_t)fz_le32(p + i + 12) << 32;
#undef NEED
    if (m->format == 0) return 1;
    if (m->format > 2 || m->distance > 2) return 2;
    if (count == 0 || !first_data) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint8_t ctl = data[0];
    size_t len = size - 1;
    /* (a copy of exactly len bytes, so a read past them is caught) */
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) abort();
    memcpy(buf, data + 1, len);
    if ((ctl & 1) && len >= 4) {
        uint32_t c = nidus__crc32(buf + 4, len - 4);
        for (int k = 0; k < 4; k++) buf[k] = (uint8_t)(c >> (8 * k));
    }
    nmanifest got, want;
    nerr e = {0};
    int rc = nidus__manifest_parse(buf, len, &got, &e);
    int ref = reference(buf, len, &want);
    static const int codes[3] = {NIDUS_OK, NIDUS_ECORRUPT, NIDUS_EVERSION};
    FZ_CHECK_MSG(rc == codes[ref], "rc %d, reference %d: %s", rc, ref, e.msg);
    if (rc != NIDUS_OK) {
        FZ_CHECK(e.code == rc && e.msg[0]);
    } else {
        FZ_CHECK(got.format == want.format && got.dimension == want.dimension && got.distance == want.distance);
        FZ_CHECK(got.nsegments == want.nsegments && got.next_id == want.next_id && got.version == want.version);
        FZ_CHECK(strcmp(got.first, "data") == 0);
        if (got.nsegments == 1) FZ_CHECK(got.extra[0] == 0); /* (a name may begin with a NUL) */
        if (len > 4) {
            size_t at = 4 + (size_t)(ctl >> 1) % (len - 4);
            buf[at] ^= (uint8_t)(1u << (ctl % 8));
            FZ_CHECK(nidus__manifest_parse(buf, len, &got, &e) == NIDUS_ECORRUPT);
            FZ_CHECK(strstr(e.msg, "CRC mismatch") != NULL);
        }
    }
    free(buf);
    return 0;
}

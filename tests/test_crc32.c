/* test_crc32.c — CRC-32 (crc32.c): the check values, the slicing-by-8 tables, every
 * length and alignment against the bitwise definition, and every implementation this
 * CPU runs (PCLMULQDQ folding on x86) against the portable one. */
#include "test.h"

#include "test_hooks.h"


static uint32_t crc_bitwise(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) ? 0xEDB88320u : 0);
    }
    return c ^ 0xFFFFFFFFu;
}

TEST(crc32_check_value) {
    CHECK_U64(nidus__crc32("123456789", 9), 0xCBF43926u);
    CHECK_U64(nidus__crc32("", 0), 0);
    CHECK_U64(nidus__crc32(NULL, 0), 0);
    CHECK_U64(nidus__crc32("a", 1), 0xE8B7BE43u);
    CHECK_U64(nidus__crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

TEST(crc32_tables_match_recurrence) {
    const uint32_t *t = nidus__crc32_table();
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) ? 0xEDB88320u : 0);
        CHECK_U64(t[n], c);
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t prev = t[(k - 1) * 256 + n];
            CHECK_U64(t[k * 256 + n], (prev >> 8) ^ t[prev & 0xff]);
        }
}

/* The 8-byte fast path and the byte tail must agree with the bitwise definition
 * at every length and alignment. */
TEST(crc32_matches_bitwise_all_lengths_and_alignments) {
    uint8_t buf[1100];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 300; n++)
            CHECK_U64(nidus__crc32(buf + off, n), crc_bitwise(buf + off, n));
    CHECK_U64(nidus__crc32(buf, sizeof buf), crc_bitwise(buf, sizeof buf));
}

/* Every CRC implementation this CPU runs (PCLMUL folding on x86) gives the portable
 * one's bits: every length 0..4096 at every start offset 0..15, random and
 * all-0xFF bytes, and the chosen one agrees as well. */
TEST(crc32_every_impl_matches_portable) {
    const char *names[8];
    uint32_t (*fns[8])(const void *, size_t);
    size_t n = nidus__crc32_impls(names, fns, 8);
    CHECK(n >= 1 && n <= 8);
    CHECK(strcmp(names[0], "portable") == 0);
    enum { MAX = 4096, OFFS = 16 };
    static uint8_t buf[MAX + OFFS], ones[MAX + OFFS];
    uint32_t x = 987654321;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    memset(ones, 0xFF, sizeof ones);
    for (size_t k = 0; k < n; k++) {
        CHECK_U64(fns[k]("123456789", 9), 0xCBF43926u);
        CHECK_U64(fns[k](NULL, 0), 0);
        for (size_t off = 0; off < OFFS; off++)
            for (size_t len = 0; len <= MAX; len++) {
                uint32_t want = fns[0](buf + off, len);
                if (fns[k](buf + off, len) != want || nidus__crc32(buf + off, len) != want)
                    t_fail(__FILE__, __LINE__, "crc32 %s: offset %zu length %zu differs", names[k], off, len);
                if (len % 61 == 0 && fns[k](ones + off, len) != fns[0](ones + off, len))
                    t_fail(__FILE__, __LINE__, "crc32 %s: 0xFF bytes, offset %zu length %zu", names[k], off, len);
            }
    }
    CHECK_U64(fns[0](buf, 300), crc_bitwise(buf, 300));
}

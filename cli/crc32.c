/*
 * crc32.c — CRC-32/ISO-HDLC (zlib's), the checksum of every log frame
 * (docs/FORMAT.md §3). `check` verifies frames with its own copy rather than the
 * library's, so a bug there cannot hide a bad frame.
 */
#include "cli.h"

static uint32_t table[256];

static void build(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

uint32_t cli_crc32(const void *data, size_t n) {
    if (!table[1]) build();
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

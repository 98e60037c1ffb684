/* le.h — the little-endian loads and stores of the file formats (log frames and
 * their bincode payloads, the data header, CRC input) and the host test behind the
 * rows' byte order, in one place. Internal. memcpy makes each one a single
 * unaligned access where the host is little-endian; a big-endian host swaps. */
#ifndef NIDUS__LE_H
#define NIDUS__LE_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NIDUS__LE_SWAP 1
#define NIDUS__LE(bits, x) __builtin_bswap##bits(x)
#else
#define NIDUS__LE_SWAP 0
#define NIDUS__LE(bits, x) (x)
#endif

static inline uint16_t nidus__get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t nidus__get_le32(const uint8_t *p) { uint32_t x; memcpy(&x, p, 4); return NIDUS__LE(32, x); }
static inline uint64_t nidus__get_le64(const uint8_t *p) { uint64_t x; memcpy(&x, p, 8); return NIDUS__LE(64, x); }

static inline void nidus__put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void nidus__put_le32(uint8_t *p, uint32_t v) { v = NIDUS__LE(32, v); memcpy(p, &v, 4); }
static inline void nidus__put_le64(uint8_t *p, uint64_t v) { v = NIDUS__LE(64, v); memcpy(p, &v, 8); }

#endif

/*
 * test_hooks.h — what the library exposes to its own tests and fuzzers only: the
 * fault seam (fault.h) and the lists of every implementation a run-time choice
 * picks from, so tests can hold each to the portable reference. Never used by the
 * library's own code paths; hidden from libnidus.so like every nidus__ name.
 */
#ifndef NIDUS__TEST_HOOKS_H
#define NIDUS__TEST_HOOKS_H

#include "fault.h"
#include "nidus_internal.h"

/* ---------------------------------------------------------------- crc32 ---- */

/* Every CRC-32 implementation this build and CPU can run (portable first);
 * returns how many (may exceed cap). */
size_t nidus__crc32_impls(const char **names, uint32_t (**fns)(const void *, size_t), size_t cap);
/* The slicing-by-8 tables (8 x 256 words), for the recurrence check. */
const uint32_t *nidus__crc32_table(void);

/* ----------------------------------------------------------------- data ---- */

/* The address space a writer maps ahead for appends (data.c; default 256 MiB):
 * tests set it small to make every few appends move the mapping. 0 restores the
 * default. */
void nidus__data_set_map_room(uint64_t bytes);

/* The log size from which a replay runs on two threads when a core is free
 * (replay.c; default 4 MiB; tests set 1 to run every replay on two, UINT64_MAX to
 * run every one on one), and the window its scanner reads (default 4 MiB; small
 * ones make the scanner wait for the applier often). 0 restores a default. */
void nidus__replay_set_pipeline(uint64_t min_bytes, size_t window);
/* How many replays have run on two threads so far. */
uint64_t nidus__replay_two_count(void);

/* -------------------------------------------------------------- kernels ---- */

/* Every exact kernel this build and CPU can run, in table order (portable first),
 * with its scan1 / its dot, dot4 and block (blocks may be NULL) / its dot and
 * dot4; each returns how many (may exceed cap). */
size_t nidus__kernels_scan1(const char **names,
                            void (**scans)(const float *, const float *, const uint64_t *, size_t, size_t, float *,
                                           size_t),
                            size_t cap);
size_t nidus__kernels_block(const char **names, float (**dots)(const float *, const float *, size_t),
                            void (**dot4s)(const float *, const float *const[4], size_t, float[4]),
                            void (**blocks)(const float *, size_t, const float *const *, size_t, size_t, float *,
                                            size_t),
                            size_t cap);
size_t nidus__kernels(const char **names, float (**dots)(const float *, const float *, size_t),
                      void (**dot4s)(const float *, const float *const[4], size_t, float[4]), size_t cap);

/* The same for the euclidean kernels: each one's score, scan1 and block. */
size_t nidus__kernels_l2(const char **names, float (**l2s)(const float *, const float *, size_t),
                         void (**scans)(const float *, const float *, const uint64_t *, size_t, size_t, float *,
                                        size_t),
                         void (**blocks)(const float *, size_t, const float *const *, size_t, size_t, float *,
                                         size_t),
                         size_t cap);

/* Every screen this build and CPU can run (kernels.c, from the kernel table);
 * returns how many (may exceed cap). */
size_t nidus__screens(const nidus__screen **out, size_t cap);

#endif

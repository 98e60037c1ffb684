/*
 * fault.h — the test seam of the allocation and I/O wrappers (fault.c): fail, short-
 * write or crash at the Nth call, or record every file operation for the power-loss
 * model. alloc.c and io.c consult it on every call; only tests arm it.
 */
#ifndef NIDUS__FAULT_H
#define NIDUS__FAULT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Test seam: make the Nth call (0-based, counted from arming) of a kind fail.
 * Kinds may be or-ed. n < 0 disarms. `err` is the errno reported for I/O kinds;
 * NIDUS__FAULT_SHORT makes a write transfer half its bytes then fail. */
enum {
    NIDUS__FAULT_ALLOC = 1 << 0,
    NIDUS__FAULT_WRITE = 1 << 1,
    NIDUS__FAULT_FSYNC = 1 << 2,
    NIDUS__FAULT_TRUNCATE = 1 << 3,
    NIDUS__FAULT_RENAME = 1 << 4,
    NIDUS__FAULT_OPEN = 1 << 5,
    NIDUS__FAULT_READ = 1 << 6,
    NIDUS__FAULT_UNLINK = 1 << 7,
    NIDUS__FAULT_SHORT = 1 << 8, /* modifier for WRITE */
    NIDUS__FAULT_CRASH = 1 << 9, /* modifier: _exit(86) instead of failing (a crash) */
    NIDUS__FAULT_MAP = 1 << 10,  /* mmap of `data` (the open falls back to reading) */
    NIDUS__FAULT_IO = NIDUS__FAULT_WRITE | NIDUS__FAULT_FSYNC | NIDUS__FAULT_TRUNCATE |
                     NIDUS__FAULT_RENAME | NIDUS__FAULT_OPEN | NIDUS__FAULT_READ |
                     NIDUS__FAULT_UNLINK | NIDUS__FAULT_MAP
};
void nidus__fault_arm(int kinds, long n, int err);
void nidus__fault_disarm(void);
/* Calls of the armed kinds seen since arming (to size loops over N). */
long nidus__fault_calls(void);
/* Whether an armed fault fired since arming. */
bool nidus__fault_fired(void);
/* Call fn(ctx) when an armed fault fires, before the failing call returns (NULL:
 * none): lets a test act at the moment of the failure, e.g. open a reader between
 * a log write and its rollback. */
void nidus__fault_on_fire(void (*fn)(void *ctx), void *ctx);

/* Test seam: while a recorder is set (nidus__io_record), io.c reports every file
 * operation that took effect, after it did, as (op, fd, path, path2, buf, len, off,
 * flags); fault.c documents each op. Used by the power-loss tests. */
enum {
    NIDUS__REC_OPEN = 1,
    NIDUS__REC_CLOSE,
    NIDUS__REC_PWRITE,
    NIDUS__REC_FSYNC,
    NIDUS__REC_TRUNCATE,
    NIDUS__REC_RENAME,
    NIDUS__REC_UNLINK,
    NIDUS__REC_MKDIR
};
typedef void (*nidus__rec_fn)(void *ctx, int op, int fd, const char *path, const char *path2, const void *buf,
                              uint64_t len, uint64_t off, int flags);
void nidus__io_record(nidus__rec_fn fn, void *ctx);
void nidus__io_rec_note(int op, int fd, const char *path, const char *path2, const void *buf, uint64_t len,
                        uint64_t off, int flags);

/* --------------------------------------------- what the seams themselves use ---- */

/* One word for both seams, so that a wrapper pays a single relaxed load when
 * neither is in use: the armed fault kinds (NIDUS__FAULT_*) and NIDUS__SEAM_RECORD. */
#define NIDUS__SEAM_RECORD (1 << 30)
extern atomic_int nidus__seam_word;
/* Called by a seam with the kind of call about to be made. True means: fail it,
 * with *err as errno (or a short write when the SHORT modifier is armed, which
 * the caller sees through *err == -1). */
bool nidus__fault_hit(int kind, int *err);

#endif

/* fault.c — test-only fault injection shared by the allocation and I/O seams, and
 * the I/O recorder used by the power-loss tests. Disarmed it costs one relaxed
 * atomic load per call. Armed, the Nth call of the chosen kinds fails; tests loop N
 * over every call an operation makes. */
#include "fault.h"
#include "nidus_internal.h"

#include <stdatomic.h>
#include <unistd.h>

#define FAULT_BITS (~NIDUS__SEAM_RECORD)
atomic_int nidus__seam_word;     /* read by every seam (fault.h) */
static atomic_long countdown;    /* calls left before the failing one */
static atomic_long seen;         /* matching calls since arming */
static atomic_int fail_errno;
static atomic_bool fired;

void nidus__fault_arm(int kinds, long n, int err) {
    if (n < 0) {
        nidus__fault_disarm();
        return;
    }
    atomic_store(&countdown, n);
    atomic_store(&seen, 0);
    atomic_store(&fail_errno, err);
    atomic_store(&fired, false);
    int old = atomic_load(&nidus__seam_word);
    while (!atomic_compare_exchange_weak(&nidus__seam_word, &old,
                                         (old & NIDUS__SEAM_RECORD) | (kinds & FAULT_BITS))) {}
}

void nidus__fault_disarm(void) { atomic_fetch_and(&nidus__seam_word, NIDUS__SEAM_RECORD); }
long nidus__fault_calls(void) { return atomic_load(&seen); }
bool nidus__fault_fired(void) { return atomic_load(&fired); }

static void (*on_fire)(void *);
static void *on_fire_ctx;
void nidus__fault_on_fire(void (*fn)(void *ctx), void *ctx) {
    on_fire = fn;
    on_fire_ctx = ctx;
}

bool nidus__fault_hit(int kind, int *err) {
    int k = atomic_load_explicit(&nidus__seam_word, memory_order_relaxed) & FAULT_BITS;
    if (!(k & kind)) return false;
    atomic_fetch_add(&seen, 1);
    if (atomic_fetch_sub(&countdown, 1) != 0) return false;
    if (k & NIDUS__FAULT_CRASH) _exit(86); /* the process dies before the call */
    atomic_store(&fired, true);
    atomic_fetch_and(&nidus__seam_word, NIDUS__SEAM_RECORD); /* one fault per arming */
    *err = (kind == NIDUS__FAULT_WRITE && (k & NIDUS__FAULT_SHORT)) ? -1 : atomic_load(&fail_errno);
    if (on_fire) on_fire(on_fire_ctx);
    return true;
}

/* ------------------------------------------------------------- recorder ---- */

/* Test seam: while a recorder is set, io.c reports every file operation that took
 * effect, after it did, as (op, fd, path, path2, buf, len, off, flags):
 *   NIDUS__REC_OPEN     fd = the new descriptor, path, flags (O_CREAT, O_TRUNC, ...)
 *   NIDUS__REC_CLOSE    fd
 *   NIDUS__REC_PWRITE   fd, buf[0..len) written at off (a short write: what landed)
 *   NIDUS__REC_FSYNC    fd (a directory's fd for a directory fsync)
 *   NIDUS__REC_TRUNCATE fd, len = the new size
 *   NIDUS__REC_RENAME   path -> path2
 *   NIDUS__REC_UNLINK   path
 *   NIDUS__REC_MKDIR    path (a directory mkdir_p created)
 * The recorder runs on the calling thread; tests record single-threaded workloads.
 * (Declared in nidus_internal.h.) */

static nidus__rec_fn rec_fn;
static void *rec_ctx;

/* Start (fn != NULL) or stop recording. Not to be called while I/O is running. */
void nidus__io_record(nidus__rec_fn fn, void *ctx) {
    if (!fn) atomic_fetch_and(&nidus__seam_word, FAULT_BITS);
    rec_fn = fn;
    rec_ctx = ctx;
    if (fn) atomic_fetch_or(&nidus__seam_word, NIDUS__SEAM_RECORD);
}

/* io.c's slow path once it has seen NIDUS__SEAM_RECORD in the seam word. */
void nidus__io_rec_note(int op, int fd, const char *path, const char *path2, const void *buf, uint64_t len,
                        uint64_t off, int flags) {
    nidus__rec_fn fn = rec_fn;
    if (fn) fn(rec_ctx, op, fd, path, path2, buf, len, off, flags);
}

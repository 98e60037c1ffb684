/* fault.c — test-only fault injection shared by the allocation and I/O seams.
 * Disarmed it costs one relaxed atomic load per call. Armed, the Nth call of the
 * chosen kinds fails; tests loop N over every call an operation makes. */
#include "nidus_internal.h"

#include <stdatomic.h>
#include <unistd.h>

static atomic_int armed_kinds;   /* 0 = disarmed */
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
    atomic_store(&armed_kinds, kinds);
}

void nidus__fault_disarm(void) { atomic_store(&armed_kinds, 0); }
long nidus__fault_calls(void) { return atomic_load(&seen); }
bool nidus__fault_fired(void) { return atomic_load(&fired); }

/* Called by every seam with the kind of call about to be made. True means: fail
 * it, with *err as errno (or a short write when the SHORT modifier is armed, which
 * the caller sees through *err == -1). */
bool nidus__fault_hit(int kind, int *err) {
    int k = atomic_load_explicit(&armed_kinds, memory_order_relaxed);
    if (!(k & kind)) return false;
    atomic_fetch_add(&seen, 1);
    if (atomic_fetch_sub(&countdown, 1) != 0) return false;
    if (k & NIDUS_FAULT_CRASH) _exit(86); /* the process dies before the call */
    atomic_store(&fired, true);
    atomic_store(&armed_kinds, 0); /* one fault per arming */
    *err = (kind == NIDUS_FAULT_WRITE && (k & NIDUS_FAULT_SHORT)) ? -1 : atomic_load(&fail_errno);
    return true;
}

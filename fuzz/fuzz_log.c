/*
 * fuzz_log — nidus__log_scan over arbitrary bytes.
 *
 * Input: one control byte, then the log.
 *   ctl bit 0: rewrite the CRC of every whole frame first (so random payloads reach
 *              the decoder); bit 1: but keep the last frame's CRC as given;
 *   ctl bits 2-7: if not 0, also scan once with allocation number (bits - 1)
 *              failing.
 *
 * Properties:
 *  - the result is NIDUS_OK, NIDUS_ECORRUPT or NIDUS_EVERSION (a later version's
 *    op 5-9); good_end <= len; a clean end (OK, not torn) consumed everything; a
 *    torn tail, corruption or a later op stopped short, and only OK is ever torn;
 *  - every op handed to the callback obeys the decoder contract;
 *  - scanning buf[0..good_end) again is clean (OK, not torn, same good_end) and
 *    hands over the same ops;
 *  - the ops re-encoded with nidus__frame_append form a log that scans clean to
 *    its end with the same ops;
 *  - with an allocation failing, the scan reports NIDUS_ENOMEM (never a torn tail
 *    or corruption), nothing leaks.
 */
#include "op_check.h"

typedef struct ops {
    nlogop *v;
    size_t n, cap;
} ops;

static int keep_op(void *ctx, nlogop *op) {
    ops *o = ctx;
    fz_check_op(op);
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
        if (!o->v) abort();
    }
    o->v[o->n++] = *op; /* ownership moves here */
    return NIDUS_OK;
}

static int free_op(void *ctx, nlogop *op) {
    (void)ctx;
    nidus__op_free(op);
    return NIDUS_OK;
}

static void ops_free(ops *o) {
    for (size_t i = 0; i < o->n; i++) nidus__op_free(&o->v[i]);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static void same_ops(const ops *a, const ops *b) {
    FZ_CHECK_MSG(a->n == b->n, "op counts differ: %zu vs %zu", a->n, b->n);
    for (size_t i = 0; i < a->n; i++) FZ_CHECK_MSG(fz_op_same(&a->v[i], &b->v[i]), "op %zu differs", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint8_t ctl = data[0];
    size_t len = size - 1;
    uint8_t *buf = fz_dup(data + 1, len);
    if (ctl & 1) fz_fix_crcs(buf, len, (ctl & 2) != 0);

    ops first = {0};
    size_t good_end = SIZE_MAX;
    bool torn = true;
    nerr e = {0};
    int rc = nidus__log_scan(buf, len, &good_end, &torn, keep_op, &first, &e);
    FZ_CHECK_MSG(rc == NIDUS_OK || rc == NIDUS_ECORRUPT || rc == NIDUS_EVERSION, "rc %d: %s", rc, e.msg);
    FZ_CHECK(good_end <= len);
    if (rc == NIDUS_OK && !torn) FZ_CHECK(good_end == len);
    if (rc == NIDUS_OK && torn) FZ_CHECK(good_end < len);
    if (rc == NIDUS_ECORRUPT || rc == NIDUS_EVERSION) {
        FZ_CHECK(!torn);
        FZ_CHECK(good_end < len);
        FZ_CHECK(e.code == rc && e.msg[0]);
    }

    /* The good prefix alone is a clean log with the same ops. */
    ops second = {0};
    size_t good2 = SIZE_MAX;
    bool torn2 = true;
    uint8_t *prefix = fz_dup(buf, good_end);
    int rc2 = nidus__log_scan(prefix, good_end, &good2, &torn2, keep_op, &second, &e);
    FZ_CHECK_MSG(rc2 == NIDUS_OK, "good prefix of %zu bytes does not rescan: rc %d: %s", good_end, rc2, e.msg);
    FZ_CHECK(!torn2);
    FZ_CHECK(good2 == good_end);
    same_ops(&first, &second);
    free(prefix);
    ops_free(&second);

    /* The ops re-encoded: a clean log of the same ops. */
    nbuf re = {0};
    for (size_t i = 0; i < first.n; i++) FZ_CHECK(nidus__frame_append(&re, &first.v[i], &e) == NIDUS_OK);
    ops third = {0};
    size_t good3 = SIZE_MAX;
    bool torn3 = true;
    rc2 = nidus__log_scan(re.p, re.len, &good3, &torn3, keep_op, &third, &e);
    FZ_CHECK_MSG(rc2 == NIDUS_OK, "re-encoded log does not scan: %s", e.msg);
    FZ_CHECK(!torn3 && good3 == re.len);
    same_ops(&first, &third);
    ops_free(&third);
    nidus__buf_free(&re);

    /* Out of memory at one allocation. */
    if (ctl >> 2) {
        long k = (long)(ctl >> 2) - 1;
        size_t ge = SIZE_MAX;
        bool tn = true;
        nidus__fault_arm(NIDUS__FAULT_ALLOC, k, 0);
        int rc3 = nidus__log_scan(buf, len, &ge, &tn, free_op, NULL, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (fired) {
            FZ_CHECK_MSG(rc3 == NIDUS_ENOMEM, "allocation %ld failed: rc %d torn %d: %s", k, rc3, (int)tn, e.msg);
            FZ_CHECK(!tn);
            FZ_CHECK(ge <= good_end);
        } else {
            FZ_CHECK(rc3 == rc && tn == torn && ge == good_end);
        }
    }
    ops_free(&first);
    free(buf);
    return 0;
}

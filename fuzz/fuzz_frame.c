/*
 * fuzz_frame — nidus__op_decode on arbitrary bytes (one log payload).
 *
 * Properties:
 *  - the decoder returns NIDUS_OK, NIDUS_ECORRUPT or NIDUS_EVERSION (a well-formed
 *    op 5-7 or 9 of a later nidus; with a message), never reads
 *    past the payload, never leaks, and leaves a zeroed op on failure;
 *  - a decoded op obeys the decoder contract (op_check.h);
 *  - re-encoding it with nidus__frame_append gives a well-formed frame (length
 *    field, CRC) whose payload decodes to an equal op, and encoding that op again
 *    gives the same bytes (canonical form);
 *  - out of memory at the Nth allocation (N chosen from the input) gives
 *    NIDUS_ENOMEM and a zeroed op, nothing leaked;
 *  - nidus__op_view (replay's decoder) gives the same verdict, message and op.
 */
#include "op_check.h"

static bool op_zero(const nlogop *op) {
    static const nlogop zero;
    return memcmp(op, &zero, sizeof zero) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *payload = fz_dup(data, size);
    nlogop op;
    nerr e = {0};
    nidus__fault_arm(NIDUS__FAULT_ALLOC, LONG_MAX, 0); /* count allocations only */
    int rc = nidus__op_decode(payload, size, &op, &e);
    long allocs = nidus__fault_calls();
    nidus__fault_disarm();
    {
        narena scratch = {0};
        nlogop view;
        nerr ev = {0};
        int rcv = nidus__op_view(payload, size, &view, &scratch, &ev);
        FZ_CHECK_MSG(rcv == rc, "view decode %d, owned decode %d", rcv, rc);
        if (rc == NIDUS_OK) FZ_CHECK(fz_op_same(&op, &view));
        else FZ_CHECK(strcmp(ev.msg, e.msg) == 0 && op_zero(&view));
        nidus__arena_free(&scratch);
    }
    FZ_CHECK(rc == NIDUS_OK || rc == NIDUS_ECORRUPT || rc == NIDUS_EVERSION);
    if (rc != NIDUS_OK) {
        FZ_CHECK(e.code == rc && e.msg[0]);
        FZ_CHECK(op_zero(&op));
        free(payload);
        return 0;
    }
    fz_check_op(&op);

    /* Re-encode, check the frame, decode again. */
    nbuf b = {0};
    FZ_CHECK(nidus__frame_append(&b, &op, &e) == NIDUS_OK);
    FZ_CHECK(b.len >= 8);
    uint32_t plen = fz_le32(b.p);
    FZ_CHECK((size_t)plen + 8 == b.len);
    FZ_CHECK(fz_le32(b.p + 4 + plen) == nidus__crc32(b.p + 4, plen));
    /* The canonical payload is never longer than the input (duplicate keys and
     * trailing bytes can only be dropped). */
    FZ_CHECK(plen <= size);
    nlogop op2;
    int rc2 = nidus__op_decode(b.p + 4, plen, &op2, &e);
    FZ_CHECK_MSG(rc2 == NIDUS_OK, "re-encoded op does not decode: %s", e.msg);
    FZ_CHECK(fz_op_same(&op, &op2));
    nbuf b2 = {0};
    FZ_CHECK(nidus__frame_append(&b2, &op2, &e) == NIDUS_OK);
    FZ_CHECK(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
    nidus__buf_free(&b2);
    nidus__op_free(&op2);
    nidus__buf_free(&b);
    nidus__op_free(&op);

    /* Out of memory at one allocation of the decode. */
    if (allocs > 0) {
        long k = (long)((size * 2654435761u + (size ? data[size - 1] : 0)) % (unsigned long)allocs);
        nidus__fault_arm(NIDUS__FAULT_ALLOC, k, 0);
        rc = nidus__op_decode(payload, size, &op, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        FZ_CHECK(fired);
        FZ_CHECK_MSG(rc == NIDUS_ENOMEM, "allocation %ld of %ld failed: rc %d (%s)", k, allocs, rc, e.msg);
        FZ_CHECK(op_zero(&op));
    }
    free(payload);
    return 0;
}

/*
 * fuzz_header — nidus__header_decode on 64 bytes (the input, zero-padded or cut).
 *
 * Properties: the verdict follows docs/FORMAT.md §2.1 exactly (wrong magic ->
 * NIDUS_ENOTDB, else version != 1 -> NIDUS_EVERSION, else OK with the dimension of
 * bytes 8..11, reserved bytes ignored), a failure leaves a message, and an accepted
 * header re-encodes to the same first 12 bytes and decodes again to the same
 * dimension.
 */
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t in[NIDUS__HEADER_LEN] = {0};
    memcpy(in, data, size < sizeof in ? size : sizeof in);
    uint8_t *exact = fz_dup(in, sizeof in); /* the decoder may read all 64, no more */

    uint32_t dim = 0xA5A5A5A5u;
    nerr e = {0};
    int rc = nidus__header_decode(exact, &dim, &e);

    bool magic_ok = memcmp(in, "NIDUS\0", 6) == 0;
    unsigned version = (unsigned)in[6] | (unsigned)in[7] << 8;
    if (!magic_ok) {
        FZ_CHECK(rc == NIDUS_ENOTDB);
    } else if (version != NIDUS__FORMAT_VERSION) {
        FZ_CHECK(rc == NIDUS_EVERSION);
    } else {
        FZ_CHECK(rc == NIDUS_OK);
        FZ_CHECK(dim == fz_le32(in + 8));
        uint8_t out[NIDUS__HEADER_LEN];
        nidus__header_encode(out, dim);
        FZ_CHECK(memcmp(out, in, 12) == 0);
        for (size_t i = 12; i < sizeof out; i++) FZ_CHECK(out[i] == 0);
        uint32_t dim2 = 0;
        FZ_CHECK(nidus__header_decode(out, &dim2, &e) == NIDUS_OK);
        FZ_CHECK(dim2 == dim);
    }
    if (rc != NIDUS_OK) {
        FZ_CHECK(e.code == rc);
        FZ_CHECK(e.msg[0] != 0);
        FZ_CHECK(dim == 0xA5A5A5A5u); /* untouched on failure */
    }
    free(exact);
    return 0;
}

/* test_abi.c — structs that grow between versions are never written past the
 * caller's size: nidus_footprint through nidus_get_footprint_sized (and the 0.4.0
 * symbol nidus_get_footprint, which binaries built before the macro call). */
#include "test.h"

#include <stddef.h>

#include "test_store_helpers.h"

/* nidus_footprint as 0.4.0's header laid it out, with a canary after it. */
typedef struct footprint_v040 {
    uint64_t rows, dead_rows;
    uint32_t dimension;
    uint64_t vector_bytes, doc_count, index_bytes;
} footprint_v040;

TEST(abi_footprint_old_callers_get_a_prefix_only) {
    nidus_db *db = th_mem(2);
    const float v[2] = {1, 0};
    CHECK_OK_DB(db, th_put_attr(db, "c", "a", v, "k", nidus_int(1)));
    const char *const f[] = {"k"};
    CHECK_OK_DB(db, nidus_set_filter_index(db, "c", f, 1));
    nidus_footprint full;
    CHECK_OK_DB(db, nidus_get_footprint(db, &full)); /* the macro: this header's size */
    CHECK(full.filter_index_bytes > 0);
    CHECK_U64(full.rows, 1);
    CHECK(offsetof(nidus_footprint, filter_index_bytes) == sizeof(footprint_v040));

    struct {
        footprint_v040 fp;
        uint64_t canary;
    } old;
    /* The 0.4.0 symbol itself, as an old binary calls it (the parentheses keep the
     * macro out). */
    memset(&old, 0xA5, sizeof old);
    CHECK_OK_DB(db, (nidus_get_footprint)(db, (nidus_footprint *)(void *)&old.fp));
    CHECK_U64(old.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(old.fp.rows, full.rows);
    CHECK_U64(old.fp.doc_count, full.doc_count);
    CHECK_U64(old.fp.index_bytes, full.index_bytes);
    /* The sized call with the old size: the same prefix, nothing past it. */
    memset(&old, 0xA5, sizeof old);
    CHECK_OK_DB(db, nidus_get_footprint_sized(db, (nidus_footprint *)(void *)&old.fp, sizeof old.fp));
    CHECK_U64(old.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(old.fp.vector_bytes, full.vector_bytes);
    /* Too small for any version, or no struct: misuse. */
    CHECK_RC(nidus_get_footprint_sized(db, &full, sizeof old.fp - 1), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_footprint_sized(db, NULL, sizeof full), NIDUS_EMISUSE);
    CHECK_RC(nidus_get_footprint_sized(NULL, &full, sizeof full), NIDUS_EMISUSE);
    /* A larger struct (a later header): only this version's fields are written. */
    struct {
        nidus_footprint fp;
        uint64_t later;
    } big;
    memset(&big, 0x5A, sizeof big);
    CHECK_OK_DB(db, nidus_get_footprint_sized(db, &big.fp, sizeof big));
    CHECK_U64(big.later, 0x5A5A5A5A5A5A5A5Aull);
    CHECK_U64(big.fp.filter_index_bytes, full.filter_index_bytes);
    nidus_close(db);
}

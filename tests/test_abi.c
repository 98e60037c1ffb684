/* test_abi.c — structs that grow between versions are never written past the
 * caller's size: nidus_footprint through nidus_get_footprint_sized (and the 0.4.0
 * symbol nidus_get_footprint, which binaries built before the macro call), and
 * nidus_config through nidus_config_init_sized / nidus_get_config_sized (and the
 * symbols of the headers before map_rows). */
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

/* nidus_config as the headers before `map_rows` laid it out (through `shadow`),
 * with a canary after it; and as the first header did (through max_vector_bytes). */
typedef struct config_v3 {
    size_t struct_size;
    uint32_t dimension;
    int read_only;
    nidus_fsync fsync;
    double auto_compact;
    uint64_t lock_ttl_ms, max_vector_bytes;
    int distance, shadow;
} config_v3;
typedef struct config_v1 {
    size_t struct_size;
    uint32_t dimension;
    int read_only;
    nidus_fsync fsync;
    double auto_compact;
    uint64_t lock_ttl_ms, max_vector_bytes;
} config_v1;

TEST(abi_config_old_callers_get_their_layout_only) {
    CHECK(offsetof(nidus_config, map_rows) == sizeof(config_v3));
    CHECK(offsetof(nidus_config, distance) == sizeof(config_v1));
    struct {
        config_v3 c;
        uint64_t canary;
    } old;
    /* The old symbol, as a binary built before the macro calls it. */
    memset(&old, 0xA5, sizeof old);
    (nidus_config_init)((nidus_config *)(void *)&old.c, 3);
    CHECK_U64(old.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(old.c.struct_size, sizeof old.c);
    CHECK_INT(old.c.shadow, 1);
    CHECK_INT(old.c.distance, NIDUS_DISTANCE_AUTO);
    /* It opens a store with map_rows at its default (mapped). */
    const char *dir = t_tmpdir();
    nidus_db *db = th_open_cfg(dir, (const nidus_config *)(const void *)&old.c);
    const float v[3] = {1, 2, 3};
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    nidus_config full;
    nidus_config_init(&full, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &full));
    CHECK_INT(full.map_rows, 1);
    CHECK_U64(full.struct_size, sizeof full);
    CHECK_U64(full.dimension, 3);
    /* nidus_get_config's old symbol and a sized call with an old size: a prefix. */
    memset(&old, 0xA5, sizeof old);
    CHECK_OK_DB(db, (nidus_get_config)(db, (nidus_config *)(void *)&old.c));
    CHECK_U64(old.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(old.c.dimension, 3);
    CHECK_INT(old.c.distance, NIDUS_DISTANCE_COSINE);
    CHECK_U64(old.c.struct_size, sizeof old.c);
    struct {
        config_v1 c;
        uint64_t canary;
    } v1;
    memset(&v1, 0xA5, sizeof v1);
    CHECK_OK_DB(db, nidus_get_config_sized(db, (nidus_config *)(void *)&v1.c, sizeof v1.c));
    CHECK_U64(v1.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(v1.c.dimension, 3);
    CHECK_RC(nidus_get_config_sized(db, &full, sizeof v1.c - 1), NIDUS_EMISUSE);
    nidus_close(db);
    /* The first header's config: written up to its size, accepted by open. */
    memset(&v1, 0xA5, sizeof v1);
    nidus_config_init_sized((nidus_config *)(void *)&v1.c, sizeof v1.c, 0);
    CHECK_U64(v1.canary, 0xA5A5A5A5A5A5A5A5ull);
    CHECK_U64(v1.c.struct_size, sizeof v1.c);
    v1.c.read_only = 1;
    db = th_open_cfg(dir, (const nidus_config *)(const void *)&v1.c);
    CHECK_U64(th_count(db, "c"), 1);
    CHECK_OK_DB(db, nidus_get_config(db, &full));
    CHECK_INT(full.map_rows, 1);
    CHECK_INT(full.shadow, 1);
    nidus_close(db);
    /* Too small for any version: nothing written. */
    memset(&v1, 0xA5, sizeof v1);
    nidus_config_init_sized((nidus_config *)(void *)&v1.c, sizeof v1.c - 1, 0);
    CHECK_U64(v1.c.struct_size, 0xA5A5A5A5A5A5A5A5ull);
}

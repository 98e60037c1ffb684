/* test_map.c — mapped rows (nidus_config.map_rows, SPEC.md §14): a handle that
 * reads `data` through a read-only mapping answers exactly as one that copies the
 * rows, through appends that move the mapping, compaction, snapshots and a mapping
 * that fails; and a failed write never cuts rows another reader has mapped. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>

static int g_distance = NIDUS_DISTANCE_AUTO; /* the metric the tests' stores get */

static nidus_config cfg_of(uint32_t dim, int map_rows, int read_only) {
    nidus_config c;
    nidus_config_init(&c, dim);
    c.distance = g_distance;
    c.map_rows = map_rows;
    c.read_only = read_only;
    c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    return c;
}

static nidus_db *open_map(const char *dir, uint32_t dim, int map_rows, int read_only) {
    nidus_config c = cfg_of(dim, map_rows, read_only);
    return th_open_cfg(dir, &c);
}

static int mapped(nidus_db *db) {
    nidus_config c;
    nidus_config_init(&c, 0);
    CHECK_OK_DB(db, nidus_get_config(db, &c));
    return c.map_rows;
}

/* A deterministic vector: mixed signs and magnitudes, some near-duplicates. */
static void vec_of(float *v, uint32_t dim, uint64_t seed) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t i = 0; i < dim; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        double u = (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
        v[i] = (float)((u - 0.5) * (seed % 7 == 0 ? 1e-3 : seed % 5 == 0 ? 1e3 : 1.0));
    }
}

/* Upsert rows [from, to) as "r<i>" with attribute g = i % 4 into collection c. */
static void put_rows(nidus_db *db, const char *c, uint32_t dim, uint64_t from, uint64_t to) {
    size_t n = (size_t)(to - from);
    float *v = malloc(n * dim * sizeof *v);
    nidus_record *r = malloc(n * sizeof *r);
    nidus_attr *a = malloc(n * sizeof *a);
    char(*ids)[24] = malloc(n * sizeof *ids);
    CHECK(v && r && a && ids);
    for (size_t i = 0; i < n; i++) {
        vec_of(v + i * dim, dim, from + i);
        snprintf(ids[i], sizeof ids[i], "r%llu", (unsigned long long)(from + i));
        a[i] = (nidus_attr){"g", nidus_int((int64_t)((from + i) % 4))};
        r[i] = (nidus_record){ids[i], v + i * dim, dim, &a[i], 1};
    }
    CHECK_OK_DB(db, nidus_upsert(db, c, r, n));
    free(v), free(r), free(a), free(ids);
}

/* Every way of reading rows, on both handles: single queries (shadow screened and
 * exact, whole and filtered), a batch, and the stored vectors themselves. */
static void agree(nidus_db *a, nidus_db *b, uint32_t dim) {
    enum { NQ = 5 };
    float q[NQ * 1100];
    for (int i = 0; i < NQ; i++) vec_of(q + i * dim, dim, 1000003u + (uint64_t)i);
    const nidus_value gs[] = {nidus_int(1), nidus_int(2)};
    const nidus_filter f = nidus_f_in("g", gs, 2);
    for (int mode = 0; mode < 3; mode++) {
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 10;
        o.threads = mode == 2 ? 2 : 1;
        o.where = mode == 1 ? &f : NULL;
        for (int i = 0; i < NQ; i++) {
            nidus_hits *x = NULL, *y = NULL;
            CHECK_OK_DB(a, nidus_search(a, q + i * dim, dim, &o, &x));
            CHECK_OK_DB(b, nidus_search(b, q + i * dim, dim, &o, &y));
            if (mode != 1) CHECK(x->count > 0);
            th_same_hits(x, y);
            nidus_free(x), nidus_free(y);
        }
        nidus_hits *xs[NQ], *ys[NQ];
        CHECK_OK_DB(a, nidus_search_batch(a, q, NQ, dim, &o, xs));
        CHECK_OK_DB(b, nidus_search_batch(b, q, NQ, dim, &o, ys));
        for (int i = 0; i < NQ; i++) {
            th_same_hits(xs[i], ys[i]);
            nidus_free(xs[i]), nidus_free(ys[i]);
        }
    }
    nidus_docs *x = NULL, *y = NULL;
    CHECK_OK_DB(a, nidus_get_all(a, "c", &x));
    CHECK_OK_DB(b, nidus_get_all(b, "c", &y));
    CHECK_INT(x->count, y->count);
    for (size_t i = 0; i < x->count; i++) {
        CHECK_STR(x->docs[i].id, y->docs[i].id);
        CHECK(memcmp(x->docs[i].vector, y->docs[i].vector, dim * sizeof(float)) == 0);
    }
    nidus_free(x), nidus_free(y);
}

TEST(map_default_on_for_files_only) {
    const char *dir = t_tmpdir();
    nidus_config c;
    nidus_config_init(&c, 3);
    CHECK_INT(c.map_rows, 1);
    nidus_db *w = th_open(dir, 3);
    CHECK_INT(mapped(w), 1);
    const float v[3] = {1, 2, 3};
    CHECK_OK_DB(w, th_put(w, "c", "a", v));
    nidus_footprint fp = th_fp(w);
    CHECK_U64(fp.mapped_bytes, 12);
    CHECK_U64(fp.mapped_bytes, fp.vector_bytes);
    nidus_db *r = th_open_ro(dir, 3);
    CHECK_INT(mapped(r), 1);
    CHECK_U64(th_fp(r).mapped_bytes, 12);
    nidus_close(r);
    r = open_map(dir, 3, 0, 1);
    CHECK_INT(mapped(r), 0);
    CHECK_U64(th_fp(r).mapped_bytes, 0);
    CHECK_U64(th_fp(r).vector_bytes, 12);
    nidus_close(r);
    nidus_close(w);
    nidus_db *m = th_mem(3);
    CHECK_INT(mapped(m), 0);
    nidus_close(m);
    nidus_config mc;
    nidus_config_init(&mc, 3);
    mc.map_rows = 7; /* in memory it means nothing, but it is still checked */
    CHECK_RC(nidus_open_memory_cfg(&mc, &m), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(m), "map_rows must be 0 or 1, not 7") != NULL);
    nidus_close(m);
    /* anything but 0 or 1 is refused before the store is touched */
    c.map_rows = 2;
    nidus_db *bad = NULL;
    CHECK_RC(nidus_open(t_path(dir, "new"), &c, &bad), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(bad), "map_rows must be 0 or 1, not 2") != NULL);
    nidus_close(bad);
    CHECK_INT(t_file_size(t_path(t_path(dir, "new"), "data")), -1);
}

/* Appends that outgrow the mapping many times over (a tiny map room), deletes,
 * overwrites and a compaction, against a handle that copies the rows; then the
 * same store reopened both ways. Every dimension class of the kernels (cosine),
 * and two of them for the other metrics. */
TEST(map_matches_copied_rows_through_growth_and_compaction) {
    static const uint32_t dims[] = {1, 7, 16, 100, 384, 1100};
    static const int metrics[] = {NIDUS_DISTANCE_EUCLIDEAN, NIDUS_DISTANCE_DOT};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0] + 4; k++) {
        uint32_t dim = k < 6 ? dims[k] : (k % 2 ? 100 : 7);
        g_distance = k < 6 ? NIDUS_DISTANCE_AUTO : metrics[(k - 6) / 2];
        const char *base = t_tmpdir();
        char *dm = strdup(t_path(base, "mapped")), *dc = strdup(t_path(base, "copied"));
        nidus__data_set_map_room(4096);
        nidus_db *a = open_map(dm, dim, 1, 0), *b = open_map(dc, dim, 0, 0);
        CHECK_INT(mapped(a), 1);
        CHECK_INT(mapped(b), 0);
        uint64_t n = 0;
        for (int round = 0; round < 12; round++) {
            uint64_t step = 1 + (uint64_t)round * 9;
            put_rows(a, "c", dim, n, n + step);
            put_rows(b, "c", dim, n, n + step);
            n += step;
            if (round % 3 == 2) { /* overwrite some, delete some: dead rows */
                put_rows(a, "c", dim, n / 3, n / 3 + 4);
                put_rows(b, "c", dim, n / 3, n / 3 + 4);
                const char *ids[] = {"r0", "r5"};
                CHECK_OK_DB(a, nidus_delete(a, "c", ids, 2, NULL));
                CHECK_OK_DB(b, nidus_delete(b, "c", ids, 2, NULL));
            }
            agree(a, b, dim);
        }
        CHECK_U64(th_fp(a).mapped_bytes, th_fp(a).vector_bytes);
        CHECK_OK_DB(a, nidus_compact(a));
        CHECK_OK_DB(b, nidus_compact(b));
        CHECK_INT(mapped(a), 1); /* the compacted file, mapped in its turn */
        CHECK_U64(th_fp(a).dead_rows, 0);
        agree(a, b, dim);
        put_rows(a, "c", dim, n, n + 40); /* and appends after it */
        put_rows(b, "c", dim, n, n + 40);
        agree(a, b, dim);
        nidus_close(a), nidus_close(b);
        nidus__data_set_map_room(0);
        /* reopened: mapped and copied readers of either store agree too */
        a = open_map(dm, 0, 1, 1);
        b = open_map(dc, 0, 0, 1);
        agree(a, b, dim);
        nidus_close(b);
        b = open_map(dm, 0, 0, 1);
        agree(a, b, dim);
        nidus_close(a), nidus_close(b);
        free(dm), free(dc);
    }
    g_distance = NIDUS_DISTANCE_AUTO;
}

/* A mapped reader keeps its snapshot while the writer appends past it (its
 * mapping ends where `data` ended at its open) and compacts under it. */
TEST(map_reader_keeps_its_snapshot) {
    const uint32_t dim = 24;
    const char *dir = t_tmpdir();
    nidus_db *w = open_map(dir, dim, 1, 0);
    put_rows(w, "c", dim, 0, 300);
    nidus_db *r = open_map(dir, 0, 1, 1);
    nidus_db *copy = open_map(dir, 0, 0, 1); /* the same snapshot, copied */
    put_rows(w, "c", dim, 300, 900);
    put_rows(w, "c", dim, 0, 100); /* overwrites: rows the reader sees stay as they were */
    CHECK_U64(th_count(r, "c"), 300);
    agree(r, copy, dim);
    CHECK_OK_DB(w, nidus_compact(w)); /* renames a new `data` over the one r maps */
    agree(r, copy, dim);
    CHECK_U64(th_fp(r).rows, 300);
    nidus_close(r), nidus_close(copy), nidus_close(w);
}

/* Arms the next fault kind of a script (0-terminated) each time one fires. */
static void rearm_next(void *arg) {
    const int **next = arg;
    if (**next) nidus__fault_arm(*(*next)++, 0, ENOMEM);
}

/* A mapping that fails (address space, a file system without mmap) falls back
 * to copying the rows: same answers, map_rows reads 0. */
TEST(map_failure_falls_back_to_copying) {
    const uint32_t dim = 9;
    const char *dir = t_tmpdir();
    nidus_db *w = open_map(dir, dim, 0, 0);
    put_rows(w, "c", dim, 0, 200);
    nidus_close(w);
    for (int read_only = 0; read_only < 2; read_only++) {
        nidus__fault_arm(NIDUS__FAULT_MAP, 0, ENOMEM);
        nidus_db *a = open_map(dir, 0, 1, read_only);
        CHECK(nidus__fault_fired());
        nidus__fault_disarm();
        CHECK_INT(mapped(a), 0);
        CHECK_U64(th_fp(a).mapped_bytes, 0);
        nidus_db *b = open_map(dir, 0, 1, 1);
        CHECK_INT(mapped(b), 1);
        agree(a, b, dim);
        if (!read_only) { /* the copying writer goes on writing */
            put_rows(a, "c", dim, 200, 260);
            nidus_db *c2 = open_map(dir, 0, 1, 1);
            CHECK_U64(th_count(c2, "c"), 260);
            agree(a, c2, dim);
            nidus_close(c2);
        }
        nidus_close(b), nidus_close(a);
    }
    /* A writer whose mapping cannot grow (the room fails, then the exact size it
     * retries with) goes on with its rows on the heap; if that memory is missing too,
     * it refuses the write and keeps the store. */
    nidus__data_set_map_room(4096);
    w = open_map(dir, 0, 1, 0);
    uint64_t rows = th_fp(w).rows;
    size_t big = 400; /* past the room mapped at open: 260 rows more */
    static const int no_heap[] = {NIDUS__FAULT_MAP, NIDUS__FAULT_ALLOC, 0};
    const int *next = no_heap;
    nidus__fault_on_fire(rearm_next, &next);
    nidus__fault_arm(NIDUS__FAULT_MAP, 0, ENOMEM);
    float *v = calloc(big * dim, sizeof *v);
    nidus_record *recs = calloc(big, sizeof *recs);
    char(*ids)[16] = malloc(big * sizeof *ids);
    for (size_t i = 0; i < big; i++) {
        v[i * dim] = 1;
        snprintf(ids[i], sizeof ids[i], "n%zu", i);
        recs[i] = (nidus_record){ids[i], v + i * dim, dim, NULL, 0};
    }
    int rc = nidus_upsert(w, "c", recs, big);
    bool fired = nidus__fault_fired();
    nidus__fault_disarm();
    nidus__fault_on_fire(NULL, NULL);
    CHECK(fired);
    CHECK(*next == 0); /* all three failed */
    CHECK_INT(rc, NIDUS_ENOMEM);
    CHECK(strstr(nidus_errmsg(w), "failed to map room") != NULL);
    CHECK_U64(th_fp(w).rows, rows);
    CHECK_U64(th_count(w, "c"), 260);
    CHECK_INT(mapped(w), 1);
    CHECK_OK_DB(w, nidus_upsert(w, "c", recs, big)); /* and the next try maps */
    CHECK_U64(th_count(w, "c"), 260 + big);
    CHECK_INT(mapped(w), 1);
    static const int heap[] = {NIDUS__FAULT_MAP, 0};
    next = heap;
    nidus__fault_on_fire(rearm_next, &next);
    nidus__fault_arm(NIDUS__FAULT_MAP, 0, ENOMEM);
    /* new ids, 800 more rows: past the room the last growth mapped */
    rc = NIDUS_OK;
    for (int round = 0; round < 2 && rc == NIDUS_OK; round++) {
        for (size_t i = 0; i < big; i++) ids[i][0] = round ? 'k' : 'm';
        rc = nidus_upsert(w, "c", recs, big);
    }
    nidus__fault_disarm();
    nidus__fault_on_fire(NULL, NULL);
    CHECK(*next == 0);
    CHECK_OK_DB(w, rc);
    CHECK_INT(mapped(w), 0); /* on the heap from here on */
    CHECK_U64(th_fp(w).mapped_bytes, 0);
    CHECK_U64(th_count(w, "c"), 260 + 3 * big);
    put_rows(w, "c", dim, 1000, 1100);
    nidus_db *r = open_map(dir, 0, 1, 1);
    agree(w, r, dim);
    nidus_close(r);
    free(v), free(recs), free(ids);
    nidus_close(w);
    nidus__data_set_map_room(0);
}

/* The hazard mapped rows bring: a reader that opened between a writer's log write
 * and its rollback (the log fsync failed) sees the batch and maps its rows. Were
 * `data` cut back, its next read of those rows would raise SIGBUS; the rows stay
 * (orphans to the writer), so the reader reads them, the writer's state is as
 * before the call, and a reopen agrees with the writer. */
typedef struct between {
    const char *dir;
    nidus_db *reader;
} between;

static void open_reader_now(void *arg) {
    between *b = arg;
    b->reader = open_map(b->dir, 0, 1, 1);
}

TEST(map_rollback_never_cuts_rows_a_reader_mapped) {
    const uint32_t dim = 256; /* 1 KiB rows: the batch spans many pages */
    const char *dir = t_tmpdir();
    nidus_db *w = open_map(dir, dim, 1, 0);
    put_rows(w, "c", dim, 0, 10);
    long long dsize = t_file_size(t_path(dir, "data")), lsize = t_file_size(t_path(dir, "log"));
    between b = {dir, NULL};
    nidus__fault_on_fire(open_reader_now, &b);
    nidus__fault_arm(NIDUS__FAULT_FSYNC, 1, EIO); /* fsync 0: data's, 1: the log's */
    float *v = malloc(64 * dim * sizeof *v);
    nidus_record recs[64];
    char ids[64][16];
    for (int i = 0; i < 64; i++) {
        vec_of(v + i * dim, dim, 5000u + (uint64_t)i);
        snprintf(ids[i], sizeof ids[i], "new%d", i);
        recs[i] = (nidus_record){ids[i], v + i * dim, dim, NULL, 0};
    }
    CHECK_RC(nidus_upsert(w, "c", recs, 64), NIDUS_EIO);
    nidus__fault_disarm();
    nidus__fault_on_fire(NULL, NULL);
    CHECK(b.reader != NULL);
    /* the reader saw the batch the writer rolled back, rows included */
    CHECK_U64(th_count(b.reader, "c"), 74);
    CHECK_U64(th_count(w, "c"), 10);
    CHECK_INT(t_file_size(t_path(dir, "log")), lsize);
    CHECK(t_file_size(t_path(dir, "data")) == dsize + 64 * dim * 4);
    CHECK_U64(th_fp(w).dead_rows, 64); /* orphans */
    /* every row it maps can still be read: exact scans and the stored vectors */
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 100;
    nidus_hits *h = NULL;
    CHECK_OK_DB(b.reader, nidus_search(b.reader, v + 63 * dim, dim, &o, &h));
    CHECK_INT(h->count, 74);
    CHECK_STR(h->hits[0].id, "new63");
    nidus_free(h);
    nidus_docs *d = NULL;
    CHECK_OK_DB(b.reader, nidus_get_all(b.reader, "c", &d));
    nidus__normalize(v + 5 * dim, dim); /* stored as the cosine metric stores it */
    int seen = 0;
    for (size_t i = 0; i < d->count; i++)
        if (strcmp(d->docs[i].id, "new5") == 0) {
            seen++;
            CHECK(memcmp(d->docs[i].vector, v + 5 * dim, dim * 4) == 0);
        }
    CHECK_INT(seen, 1);
    nidus_free(d);
    /* the writer goes on after its orphans; a reopen sees what it acknowledged */
    put_rows(w, "c", dim, 10, 20);
    nidus_db *r2 = open_map(dir, 0, 1, 1);
    CHECK_U64(th_count(r2, "c"), 20);
    agree(w, r2, dim);
    nidus_close(r2);
    nidus_close(b.reader), nidus_close(w);
    free(v);
}

/* Orphans: a failed data fsync leaves none (no log byte named the rows: the next
 * append writes over them); a failed log fsync leaves the batch as orphans, which
 * a reopen's auto-compaction counts as dead although nidus 0.3's dead_rows (the
 * footprint's) does not. */
TEST(map_orphans_are_bounded_and_compacted) {
    const uint32_t dim = 8;
    const char *dir = t_tmpdir();
    nidus_db *w = open_map(dir, dim, 1, 0);
    put_rows(w, "c", dim, 0, 10);
    long long dsize = t_file_size(t_path(dir, "data"));
    for (int i = 0; i < 20; i++) { /* the data fsync fails: rows not counted */
        nidus__fault_arm(NIDUS__FAULT_FSYNC, 0, ENOSPC);
        nidus_record r = {"x", (float[8]){1, 2, 3, 4, 5, 6, 7, 8}, dim, NULL, 0};
        CHECK_RC(nidus_upsert(w, "c", &r, 1), NIDUS_ENOSPC);
        nidus__fault_disarm();
        CHECK_U64(th_fp(w).rows, 10);
        CHECK_U64(th_fp(w).dead_rows, 0);
    }
    CHECK(t_file_size(t_path(dir, "data")) == dsize + 32); /* one row's bytes, written over 20 times */
    for (int i = 0; i < 20; i++) { /* the log fsync fails: 4 orphan rows each time */
        nidus__fault_arm(NIDUS__FAULT_FSYNC, 1, EIO);
        int rc = 0;
        nidus_record r[4];
        float v[4][8];
        char ids[4][16];
        for (int k = 0; k < 4; k++) {
            vec_of(v[k], dim, 100u + (uint64_t)k);
            snprintf(ids[k], sizeof ids[k], "o%d", k);
            r[k] = (nidus_record){ids[k], v[k], dim, NULL, 0};
        }
        rc = nidus_upsert(w, "c", r, 4);
        nidus__fault_disarm();
        CHECK_INT(rc, NIDUS_EIO);
    }
    nidus_footprint fp = th_fp(w);
    CHECK_U64(fp.rows, 90);
    CHECK_U64(fp.dead_rows, 80);
    CHECK_U64(fp.doc_count, 10);
    nidus_close(w);
    /* reopened without auto-compaction: nidus 0.3's count, orphans not in it */
    w = open_map(dir, 0, 1, 0);
    CHECK_U64(th_fp(w).rows, 90);
    CHECK_U64(th_fp(w).dead_rows, 0);
    nidus_close(w);
    /* with it (0.5): 80 of 90 rows hold no live record, so it compacts */
    nidus_config c = cfg_of(0, 1, 0);
    c.auto_compact = 0.5;
    w = th_open_cfg(dir, &c);
    CHECK_U64(th_fp(w).rows, 10);
    CHECK_U64(th_count(w, "c"), 10);
    CHECK_INT(mapped(w), 1);
    nidus_close(w);
}

/* nidus_get_config reads whether the rows are mapped while a writer moves the
 * mapping (appends past the room, compactions): no race (TSan runs this). */
typedef struct {
    nidus_db *db;
    _Atomic int stop;
    int bad;
} cfg_reader;

static void *read_config(void *arg) {
    cfg_reader *a = arg;
    while (!a->stop) {
        nidus_config c;
        nidus_config_init(&c, 0);
        if (nidus_get_config(a->db, &c) != NIDUS_OK || c.map_rows != 1 || c.dimension != 4) a->bad++;
    }
    return NULL;
}

TEST(map_get_config_while_the_mapping_moves) {
    const char *dir = t_tmpdir();
    nidus__data_set_map_room(4096);
    nidus_db *w = open_map(dir, 4, 1, 0);
    cfg_reader a = {w, 0, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, read_config, &a) == 0);
    for (int i = 0; i < 40; i++) {
        put_rows(w, "c", 4, (uint64_t)i * 50, (uint64_t)i * 50 + 50);
        if (i % 10 == 9) CHECK_OK_DB(w, nidus_compact(w));
    }
    a.stop = 1;
    pthread_join(t, NULL);
    CHECK_INT(a.bad, 0);
    nidus_close(w);
    nidus__data_set_map_room(0);
}

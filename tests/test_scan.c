/* test_scan.c — the scan engine: threads and batches give exactly the one-thread,
 * one-query result, and the row-ordered scan lists survive churn. */
#include "test_store_helpers.h"
#include "test_hooks.h"

#define DIM 96
#define NDOCS 12000

static uint64_t rng = 88172645463325252ull;
static float frand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((int)(rng % 2001) - 1000) / 1000.0f;
}

/* A store with three collections, duplicate vectors (ties), overwrites and deletes. */
static nidus_db *churned(void) {
    nidus_db *db = th_mem(DIM);
    float *v = malloc(sizeof(float) * DIM * 64);
    const char *colls[] = {"a", "b", "c"};
    for (int i = 0; i < NDOCS; i += 64) {
        nidus_record r[64];
        char ids[64][16];
        nidus_attr at[64];
        for (int j = 0; j < 64; j++) {
            for (int d = 0; d < DIM; d++) v[j * DIM + d] = frand();
            if (j % 7 == 0 && j) memcpy(v + j * DIM, v + (j - 1) * DIM, sizeof(float) * DIM); /* a tie */
            snprintf(ids[j], sizeof ids[j], "d%d", (i + j) % (NDOCS * 3 / 4)); /* some overwrite */
            at[j] = (nidus_attr){"m", nidus_int((i + j) % 5)};
            r[j] = (nidus_record){ids[j], v + j * DIM, DIM, &at[j], 1};
        }
        CHECK_OK_DB(db, nidus_upsert(db, colls[(i / 64) % 3], r, 64));
    }
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i * 11);
        const char *ids[] = {id};
        CHECK_OK_DB(db, nidus_delete(db, colls[i % 3], ids, 1, NULL));
    }
    free(v);
    return db;
}

TEST(scan_threads_equal_one_thread) {
    nidus_db *db = churned();
    float q[DIM];
    nidus_pred p = {.kind = NIDUS_PRED_IN, .key = "m", .set = (nidus_value[]){nidus_int(1), nidus_int(3)}, .set_len = 2};
    size_t ks[] = {1, 10, 100, 20000};
    for (int round = 0; round < 12; round++) {
        for (int d = 0; d < DIM; d++) q[d] = frand();
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = ks[round % 4];
        if (round % 3 == 1) o.filter = &p, o.n_filter = 1;
        if (round % 5 == 2) o.has_min_score = 1, o.min_score = 0.05f;
        o.threads = 1;
        nidus_hits *one;
        CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &one));
        for (unsigned t = 2; t <= 7; t += 5) {
            o.threads = t;
            nidus_hits *many;
            CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &many));
            th_same_hits(one, many);
            nidus_free(many);
        }
        /* Best first; equal scores by row. */
        for (size_t i = 1; i < one->count; i++)
            CHECK(nidus__rank_before(one->hits[i - 1].score, one->hits[i - 1].row, one->hits[i].score, one->hits[i].row));
        nidus_free(one);
    }
    nidus_close(db);
}

TEST(scan_batch_equals_single_queries) {
    nidus_db *db = churned();
    enum { NQ = 37 };
    float *qs = malloc(sizeof(float) * DIM * NQ);
    for (int i = 0; i < DIM * NQ; i++) qs[i] = frand();
    const char *scope[] = {"c", "a"};
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 15;
    o.collections = scope;
    o.n_collections = 2;
    for (unsigned t = 1; t <= 2; t++) {
        o.threads = t;
        nidus_hits *out[NQ];
        CHECK_OK_DB(db, nidus_search_batch(db, qs, NQ, DIM, &o, out));
        for (int i = 0; i < NQ; i++) {
            nidus_hits *one;
            CHECK_OK_DB(db, nidus_search(db, qs + i * DIM, DIM, &o, &one));
            th_same_hits(one, out[i]);
            nidus_free(one);
            nidus_free(out[i]);
        }
    }
    /* Errors leave every slot NULL. */
    nidus_hits *out[2] = {(nidus_hits *)1, (nidus_hits *)1};
    CHECK_RC(nidus_search_batch(db, qs, 2, DIM - 1, &o, out), NIDUS_EDIM);
    CHECK(out[0] == NULL && out[1] == NULL);
    qs[DIM + 3] = NAN;
    CHECK_RC(nidus_search_batch(db, qs, 2, DIM, &o, out), NIDUS_EINVAL);
    CHECK(out[0] == NULL && out[1] == NULL);
    CHECK_OK_DB(db, nidus_search_batch(db, qs, 0, DIM, &o, NULL));
    free(qs);
    nidus_close(db);
}

/* The scores a scan reports are the exact dot products of the stored vectors. */
TEST(scan_scores_match_stored_vectors) {
    nidus_db *db = churned();
    float q[DIM];
    for (int d = 0; d < DIM; d++) q[d] = frand();
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = 50;
    o.threads = 2;
    nidus_hits *h;
    CHECK_OK_DB(db, nidus_search(db, q, DIM, &o, &h));
    float qn[DIM];
    memcpy(qn, q, sizeof qn);
    nidus__normalize(qn, DIM);
    /* Brute force over every live doc: the 50th best score bounds every non-hit. */
    float worst = h->hits[h->count - 1].score;
    size_t better = 0;
    const char *colls[] = {"a", "b", "c"};
    for (int c = 0; c < 3; c++) {
        nidus_docs *d;
        CHECK_OK_DB(db, nidus_get_all(db, colls[c], &d));
        for (size_t i = 0; i < d->count; i++) {
            float s = nidus__dot(qn, d->docs[i].vector, DIM);
            if (s > worst) better++;
            for (size_t x = 0; x < h->count; x++)
                if (!strcmp(h->hits[x].id, d->docs[i].id) && !strcmp(h->hits[x].collection, colls[c]))
                    CHECK(memcmp(&s, &h->hits[x].score, 4) == 0);
        }
        nidus_free(d);
    }
    CHECK(better < 50);
    nidus_free(h);
    nidus_close(db);
}

/* A store big enough for open to read its rows on helper threads (>= 8 MiB) comes
 * back bit for bit, read-only and read-write. */
TEST(scan_big_store_opens_threaded) {
    enum { BD = 448, BN = 6000 };
    const char *dir = t_tmpdir();
    nidus_db *db = th_open(dir, BD);
    float *v = malloc(sizeof(float) * BD * 500);
    for (int i = 0; i < BN; i += 500) {
        nidus_record r[500];
        char ids[500][16];
        for (int j = 0; j < 500; j++) {
            for (int d = 0; d < BD; d++) v[j * BD + d] = (float)((i + j) % 97) + (float)d / 7.0f;
            snprintf(ids[j], sizeof ids[j], "r%05d", i + j);
            r[j] = (nidus_record){ids[j], v + j * BD, BD, NULL, 0};
        }
        CHECK_OK_DB(db, nidus_upsert(db, "c", r, 500));
    }
    nidus_docs *want;
    CHECK_OK_DB(db, nidus_get_all(db, "c", &want));
    nidus_close(db);
    CHECK(t_file_size(t_path(dir, "data")) >= (8 << 20));
    for (int ro = 0; ro < 2; ro++) {
        db = ro ? th_open_ro(dir, 0) : th_open(dir, 0);
        nidus_docs *got;
        CHECK_OK_DB(db, nidus_get_all(db, "c", &got));
        CHECK_INT(got->count, BN);
        for (size_t i = 0; i < got->count; i++) {
            CHECK_STR(got->docs[i].id, want->docs[i].id);
            CHECK(memcmp(got->docs[i].vector, want->docs[i].vector, sizeof(float) * BD) == 0);
        }
        nidus_free(got);
        nidus_close(db);
    }
    nidus_free(want);
    free(v);
}

/* test_threads.c — the threading contract: concurrent searches on one handle while
 * another thread writes; every search sees a consistent state. (Run under TSan
 * with `make check SAN=thread BUILD=build/tsan T=threads`.) */
#include "test_store_helpers.h"

#include <pthread.h>

#define DIM 16
#define NREADERS 4

typedef struct {
    nidus_db *db;
    int iters;
    int failures;
} reader_arg;

static void vec_for(int i, float *v) {
    for (int j = 0; j < DIM; j++) v[j] = (float)((i * 31 + j * 17) % 13) - 6.0f;
    v[i % DIM] += 20.0f;
}

static void *reader(void *p) {
    reader_arg *a = p;
    float q[DIM];
    for (int it = 0; it < a->iters; it++) {
        vec_for(it % 50, q);
        nidus_hits *h = NULL;
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = 5;
        if (nidus_search(a->db, q, DIM, &o, &h) != NIDUS_OK) {
            a->failures++;
            continue;
        }
        /* Best first, and every hit names a real doc. */
        for (size_t i = 1; i < h->count; i++)
            if (h->hits[i].score > h->hits[i - 1].score) a->failures++;
        for (size_t i = 0; i < h->count; i++)
            if (!h->hits[i].id || !h->hits[i].collection) a->failures++;
        nidus_free(h);
    }
    return NULL;
}

TEST(threads_concurrent_search_and_write) {
    nidus_db *db = th_open(t_tmpdir(), DIM);
    float v[DIM];
    for (int i = 0; i < 50; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        vec_for(i, v);
        CHECK_OK_DB(db, th_put(db, "c", id, v));
    }
    pthread_t t[NREADERS];
    reader_arg args[NREADERS];
    for (int i = 0; i < NREADERS; i++) {
        args[i] = (reader_arg){db, 300, 0};
        CHECK(pthread_create(&t[i], NULL, reader, &args[i]) == 0);
    }
    for (int i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%d", i % 20);
        vec_for(i, v);
        CHECK_OK_DB(db, th_put(db, i % 2 ? "c" : "e", id, v));
        if (i % 50 == 49) CHECK_OK_DB(db, nidus_compact(db));
        if (i % 30 == 29) {
            const char *ids[] = {id};
            CHECK_OK_DB(db, nidus_delete(db, "c", ids, 1, NULL));
        }
    }
    for (int i = 0; i < NREADERS; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(args[i].failures, 0);
    }
    nidus_close(db);
}

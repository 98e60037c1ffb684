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

/* Threads that fail on one handle at once each read their own failure: code,
 * message and errno (before, the handle's one message was whoever failed last). */
typedef struct {
    nidus_db *db;
    int kind; /* 0: a NULL collection name, 1: a query of the wrong length */
    int wrong;
} failer_arg;

static void *failer(void *p) {
    failer_arg *a = p;
    float v[DIM + 1] = {1};
    for (int it = 0; it < 3000; it++) {
        int rc, want;
        const char *needle;
        if (a->kind == 0) {
            nidus_record r = {"x", v, DIM, NULL, 0};
            rc = nidus_upsert(a->db, NULL, &r, 1);
            want = NIDUS_EINVAL, needle = "collection name is NULL";
        } else {
            nidus_search_opts o;
            nidus_search_opts_init(&o);
            o.top_k = 1;
            nidus_hits *h = NULL;
            rc = nidus_search(a->db, v, DIM + 1, &o, &h);
            want = NIDUS_EDIM, needle = "dimension";
        }
        char buf[512];
        if (rc != want || nidus_errcode(a->db) != want || !strstr(nidus_errmsg(a->db), needle) ||
            nidus_errmsg_copy(a->db, buf, sizeof buf) != want || !strstr(buf, needle))
            a->wrong++;
    }
    return NULL;
}

TEST(threads_each_reads_its_own_error) {
    nidus_db *db = th_mem(DIM);
    float v[DIM];
    vec_for(1, v);
    CHECK_OK_DB(db, th_put(db, "c", "a", v));
    pthread_t t[4];
    failer_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (failer_arg){db, i % 2, 0};
        CHECK(pthread_create(&t[i], NULL, failer, &a[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(a[i].wrong, 0);
    }
    /* A thread that never failed on db reads the handle's last failure. */
    CHECK(nidus_errcode(db) == NIDUS_EINVAL || nidus_errcode(db) == NIDUS_EDIM);
    /* Its own latest failure, once it was on another handle, gives way to db's. */
    nidus_db *other = th_mem(DIM);
    CHECK_RC(nidus_upsert(db, NULL, NULL, 0), NIDUS_EINVAL);
    CHECK(strstr(nidus_errmsg(db), "collection name is NULL") != NULL);
    nidus_hits *h = NULL;
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    CHECK_RC(nidus_search(other, v, DIM + 1, &o, &h), NIDUS_EDIM);
    CHECK(strstr(nidus_errmsg(other), "dimension") != NULL);
    CHECK(strstr(nidus_errmsg(db), "collection name is NULL") != NULL); /* db's own last failure */
    nidus_close(other);
    /* A new handle (perhaps at the same address) has no failure of this thread's. */
    nidus_close(db);
    db = th_mem(DIM);
    CHECK_INT(nidus_errcode(db), NIDUS_OK);
    CHECK_STR(nidus_errmsg(db), "not an error");
    nidus_close(db);
}

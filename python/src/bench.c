/* bench.c — the C side of python/bench_binding.py: the same library calls the
 * binding makes, timed in C on the same handle, so the binding's overhead is the
 * difference. Not part of the documented API (underscore names). */
#include "binding.h"

#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* _bench_c_search(store, query, top_k, threads, repeats) -> seconds for `repeats`
 * nidus_search calls (each result freed), the GIL released throughout. */
PyObject *nb_bench_c_search(nidus_db *db, PyObject *args) {
    PyObject *query;
    Py_ssize_t top_k, repeats;
    unsigned threads;
    if (!PyArg_ParseTuple(args, "OnIn", &query, &top_k, &threads, &repeats)) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const float *q;
    size_t dim;
    if (nb_to_vector(&a, query, "query", &q, &dim) < 0) {
        nb_arena_free(&a);
        return NULL;
    }
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = (size_t)top_k;
    o.threads = threads;
    int rc = 0;
    double t0, t1;
    Py_BEGIN_ALLOW_THREADS
    t0 = now();
    for (Py_ssize_t i = 0; i < repeats && rc == 0; i++) {
        nidus_hits *h = NULL;
        rc = nidus_search(db, q, dim, &o, &h);
        nidus_free(h);
    }
    t1 = now();
    Py_END_ALLOW_THREADS
    nb_arena_free(&a);
    if (rc) return nb_raise(rc, "bench search failed");
    return PyFloat_FromDouble(t1 - t0);
}

/* _bench_c_upsert(store, collection, vectors) -> seconds to build n records (ids
 * "r<i>", no attrs) over the matrix and nidus_upsert them in one batch. */
PyObject *nb_bench_c_upsert(nidus_db *db, PyObject *args) {
    const char *coll;
    PyObject *vectors;
    if (!PyArg_ParseTuple(args, "sO", &coll, &vectors)) return NULL;
    nb_arena a = NB_ARENA_INIT;
    Py_buffer view;
    const float *data;
    size_t rows, cols;
    if (nb_to_matrix(&a, vectors, "vectors", &view, &data, &rows, &cols) < 0) {
        nb_arena_free(&a);
        return NULL;
    }
    int rc = 0;
    double t0, t1;
    Py_BEGIN_ALLOW_THREADS
    t0 = now();
    nidus_record *recs = PyMem_RawMalloc(rows * sizeof *recs + 1);
    char *ids = PyMem_RawMalloc(rows * 24 + 1);
    if (!recs || !ids) rc = NIDUS_ENOMEM;
    for (size_t i = 0; rc == 0 && i < rows; i++) {
        snprintf(ids + i * 24, 24, "r%zu", i);
        recs[i] = (nidus_record){ids + i * 24, data + i * cols, cols, NULL, 0};
    }
    if (rc == 0) rc = nidus_upsert(db, coll, recs, rows);
    t1 = now();
    PyMem_RawFree(recs);
    PyMem_RawFree(ids);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    nb_arena_free(&a);
    if (rc) return nb_raise(rc, "bench upsert failed");
    return PyFloat_FromDouble(t1 - t0);
}

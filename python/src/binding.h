/*
 * binding.h — what the files of the CPython extension nidus._nidus share.
 *
 * The extension sees only the public header (include/nidus.h). Everything a call
 * hands to the library is first converted, with the GIL held, into C data owned by
 * one per-call arena (strings copied, vectors copied or pinned by a Py_buffer), so
 * that the GIL can be released for the call itself: no Python object is read while
 * another thread may run.
 */
#ifndef NIDUS_BINDING_H
#define NIDUS_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>

#include "nidus.h"

/* ---- arena (arena.c) ---- */

/* Chunked bump allocation for one call's C data. Memory comes from
 * PyMem_RawMalloc, so it may be freed without the GIL. */
typedef struct nb_chunk nb_chunk;
typedef struct nb_arena {
    nb_chunk *head;
} nb_arena;

#define NB_ARENA_INIT {NULL}

/* n bytes, max-aligned; NULL with MemoryError set. Needs the GIL. */
void *nb_alloc(nb_arena *a, size_t n);
/* n elements of size sz, with an overflow check. */
void *nb_alloc_array(nb_arena *a, size_t n, size_t sz);
void nb_arena_free(nb_arena *a);

/* A copy of a str's UTF-8 text, NUL-terminated, in the arena. `what` names the
 * argument in errors (TypeError for a non-str, ValueError for an embedded NUL
 * when allow_nul is 0). *len (if not NULL) receives the byte length. */
const char *nb_str(nb_arena *a, PyObject *o, const char *what, int allow_nul, size_t *len);

/* Sequence of str -> array of C strings in the arena (a bare str or bytes is
 * refused: it is a sequence of characters, never what is meant). */
int nb_str_array(nb_arena *a, PyObject *seq, const char *what, const char ***out, size_t *n);

/* ---- values (values.c) ---- */

int nb_values_init(PyObject *module);

/* A Python value as the SDK maps it (None, bool, int, float, str, list/tuple of str,
 * aware datetime, or an already tagged {"Str": ...} / "Null") into *out. Raises
 * TypeError or ValueError and returns -1 on anything else. */
int nb_to_value(nb_arena *a, PyObject *o, nidus_value *out, const char *what);

/* A mapping of str -> value into an attr array. None means no attrs. */
int nb_to_attrs(nb_arena *a, PyObject *map, const nidus_attr **out, size_t *n, const char *what);

/* A library value as a plain Python value (DateTime: an aware UTC datetime). */
PyObject *nb_from_value(const nidus_value *v);

/* Attrs as a dict. keep/drop: the projection (NULL: all), n_keep/n_drop names. */
PyObject *nb_from_attrs(const nidus_attr *attrs, size_t n, const char *const *keep, size_t n_keep,
                        const char *const *drop, size_t n_drop);

/* ---- filters (filter.c) ---- */

/* A filter in nidus 0.80's wire shape (a list of externally tagged predicates, as
 * the f.* helpers build; a single predicate dict is taken as a list of one) into a
 * tree in the arena. None or an empty list gives *out = NULL (match all). */
int nb_to_filter(nb_arena *a, PyObject *o, const nidus_filter **out);

/* ---- vectors (vectors.c) ---- */

/* One vector from a sequence of numbers or a 1-D buffer of reals (float32/float64
 * copied directly; integers, bool, float16 or another byte order element by
 * element), into the arena as floats. */
int nb_to_vector(nb_arena *a, PyObject *o, const char *what, const float **out, size_t *dim);

/* A 2-D float32 matrix through the buffer protocol. On success *view is held (the
 * caller releases it with PyBuffer_Release) and *data points at rows*cols
 * contiguous floats: the buffer itself when it is C-contiguous, else a copy in the
 * arena. No Python object per float. */
int nb_to_matrix(nb_arena *a, PyObject *o, const char *what, Py_buffer *view, const float **data,
                 size_t *rows, size_t *cols);

/* numpy, imported on first use; NULL with ImportError set when absent. Borrowed. */
PyObject *nb_numpy(void);
/* A new numpy array of `n` elements of dtype `dtype` ("float32", "int64") holding a
 * copy of `bytes`, reshaped to (d0) or (d0, d1) when d1 >= 0. */
PyObject *nb_array(const void *bytes, size_t elem, const char *dtype, Py_ssize_t d0, Py_ssize_t d1);

/* ---- errors and results (module.c) ---- */

/* Raise the NidusError subclass of rc with the library's message. NULL. */
PyObject *nb_raise(int rc, const char *msg);

extern PyTypeObject *nb_HitType, *nb_RecordType, *nb_FootprintType, *nb_StatsType, *nb_HitArraysType,
    *nb_AggregationType, *nb_GroupType;

/* ---- bench hooks (bench.c): library calls timed in C, for bench_binding.py ---- */

PyObject *nb_bench_c_search(nidus_db *db, PyObject *args);
PyObject *nb_bench_c_upsert(nidus_db *db, PyObject *args);

/* ---- the Store type (store.c) ---- */

extern PyTypeObject nb_StoreType;

#endif

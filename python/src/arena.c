/* arena.c — one call's C data: chunked bump allocation, string copies. */
#include "binding.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

struct nb_chunk {
    nb_chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

#define NB_CHUNK 4096

void *nb_alloc(nb_arena *a, size_t n) {
    const size_t al = alignof(max_align_t);
    if (n > SIZE_MAX - al) {
        PyErr_NoMemory();
        return NULL;
    }
    n = (n + al - 1) & ~(al - 1);
    if (n == 0) n = al;
    nb_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > NB_CHUNK ? n : NB_CHUNK;
        if (cap > SIZE_MAX - sizeof *c) {
            PyErr_NoMemory();
            return NULL;
        }
        c = PyMem_RawMalloc(sizeof *c + cap);
        if (!c) {
            PyErr_NoMemory();
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        /* A big block goes behind the head so the head's free room stays usable. */
        if (a->head && cap > NB_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void *nb_alloc_array(nb_arena *a, size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) {
        PyErr_NoMemory();
        return NULL;
    }
    return nb_alloc(a, n * sz);
}

void nb_arena_free(nb_arena *a) {
    nb_chunk *c = a->head;
    while (c) {
        nb_chunk *next = c->next;
        PyMem_RawFree(c);
        c = next;
    }
    a->head = NULL;
}

const char *nb_str(nb_arena *a, PyObject *o, const char *what, int allow_nul, size_t *len) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s) return NULL; /* lone surrogates: UnicodeEncodeError */
    if (!allow_nul && memchr(s, 0, (size_t)n)) {
        PyErr_Format(PyExc_ValueError, "%s contains a NUL character", what);
        return NULL;
    }
    char *copy = nb_alloc(a, (size_t)n + 1);
    if (!copy) return NULL;
    memcpy(copy, s, (size_t)n);
    copy[n] = 0;
    if (len) *len = (size_t)n;
    return copy;
}

int nb_str_array(nb_arena *a, PyObject *seq, const char *what, const char ***out, size_t *n) {
    if (PyUnicode_Check(seq) || PyBytes_Check(seq) || PyByteArray_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s expects a sequence of str, not a single %.100s (did you mean [%R]?)",
                     what, Py_TYPE(seq)->tp_name, seq);
        return -1;
    }
    PyObject *fast = PySequence_Fast(seq, "");
    if (!fast) {
        PyErr_Format(PyExc_TypeError, "%s expects a sequence of str, not %.100s", what, Py_TYPE(seq)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    const char **arr = nb_alloc_array(a, (size_t)len, sizeof *arr);
    if (!arr) goto fail;
    for (Py_ssize_t i = 0; i < len; i++) {
        char sub[96];
        snprintf(sub, sizeof sub, "%s[%zd]", what, i);
        if (!(arr[i] = nb_str(a, PySequence_Fast_GET_ITEM(fast, i), sub, 0, NULL))) goto fail;
    }
    Py_DECREF(fast);
    *out = arr;
    *n = (size_t)len;
    return 0;
fail:
    Py_DECREF(fast);
    return -1;
}

/* filter.c — nidus 0.80's filter wire shape (what the SDK's f.* helpers build) into
 * the library's nidus_filter tree.
 *
 * A Filter is a list of predicates, ANDed. Each predicate is a dict with one key,
 * the variant, externally tagged as serde writes nidus's Predicate:
 *   {"Eq": [key, value]}  (also Ne Lt Le Gt Ge Contains NotContains)
 *   {"In": [key, [values]]}  (also NotIn ContainsAny)
 *   {"Glob": [key, pattern]}  (also IGlob Regex ContainsAllTokens ContainsAnyToken
 *                              ContainsTokenSequence: a bare str, not a Value)
 *   {"Fuzzy": [key, text, max_edits]}
 *   {"All": [preds]}, {"Any": [preds]}, {"Not": pred}
 * The library validates what it is given (regex syntax, edit budget, nesting); this
 * file only checks the shape, so every refusal of a well-shaped filter carries the
 * library's own message. */
#include "binding.h"

#include <string.h>

enum shape { S_VALUE, S_VALUES, S_TEXT, S_FUZZY, S_GROUP, S_NOT };

static const struct {
    const char *name;
    nidus_filter_op op;
    enum shape shape;
} PREDS[] = {
    {"Eq", NIDUS_F_EQ, S_VALUE},
    {"Ne", NIDUS_F_NE, S_VALUE},
    {"Glob", NIDUS_F_GLOB, S_TEXT},
    {"IGlob", NIDUS_F_IGLOB, S_TEXT},
    {"In", NIDUS_F_IN, S_VALUES},
    {"NotIn", NIDUS_F_NOT_IN, S_VALUES},
    {"Lt", NIDUS_F_LT, S_VALUE},
    {"Le", NIDUS_F_LE, S_VALUE},
    {"Gt", NIDUS_F_GT, S_VALUE},
    {"Ge", NIDUS_F_GE, S_VALUE},
    {"Contains", NIDUS_F_CONTAINS, S_VALUE},
    {"NotContains", NIDUS_F_NOT_CONTAINS, S_VALUE},
    {"ContainsAny", NIDUS_F_CONTAINS_ANY, S_VALUES},
    {"All", NIDUS_F_ALL, S_GROUP},
    {"Any", NIDUS_F_ANY, S_GROUP},
    {"Not", NIDUS_F_NOT, S_NOT},
    {"Fuzzy", NIDUS_F_FUZZY, S_FUZZY},
    {"ContainsAllTokens", NIDUS_F_CONTAINS_ALL_TOKENS, S_TEXT},
    {"ContainsAnyToken", NIDUS_F_CONTAINS_ANY_TOKEN, S_TEXT},
    {"ContainsTokenSequence", NIDUS_F_CONTAINS_TOKEN_SEQUENCE, S_TEXT},
    {"Regex", NIDUS_F_REGEX, S_TEXT},
};
#define N_PREDS (sizeof PREDS / sizeof PREDS[0])

/* Deeper than the library's limit (64), so it is the library that refuses a deep
 * well-formed tree; this bound only keeps the C stack safe from a pathological one. */
#define MAX_DEPTH 200

static int pred(nb_arena *a, PyObject *o, nidus_filter *out, int depth, const char *path);

/* A list/tuple of predicates into `count` nodes. A snapshot tuple is taken: the
 * values' conversion can run Python code that might change the list. */
static int preds(nb_arena *a, PyObject *seq, const nidus_filter **out, size_t *count, int depth, const char *path) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a list of predicates, got %.100s", path, Py_TYPE(seq)->tp_name);
        return -1;
    }
    PyObject *t = PySequence_Tuple(seq);
    if (!t) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    nidus_filter *nodes = nb_alloc_array(a, (size_t)n ? (size_t)n : 1, sizeof *nodes);
    int rc = nodes ? 0 : -1;
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s[%zd]", path, i);
        rc = pred(a, PyTuple_GET_ITEM(t, i), &nodes[i], depth + 1, sub);
    }
    Py_DECREF(t);
    if (rc == 0) {
        *out = nodes;
        *count = (size_t)n;
    }
    return rc;
}

static int want_args(PyObject *args, Py_ssize_t n, const char *path, const char *name, const char *form,
                     PyObject **items) {
    if ((!PyList_Check(args) && !PyTuple_Check(args)) || PySequence_Fast_GET_SIZE(args) != n) {
        PyErr_Format(PyExc_TypeError, "%s: {\"%s\": ...} expects %s, got %R", path, name, form, args);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        items[i] = PySequence_Fast_GET_ITEM(args, i);
        Py_INCREF(items[i]);
    }
    return 0;
}

static int pred(nb_arena *a, PyObject *o, nidus_filter *out, int depth, const char *path) {
    if (depth > MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "%s: filter nested deeper than %d levels", path, MAX_DEPTH);
        return -1;
    }
    PyObject *key = NULL, *args = NULL;
    Py_ssize_t pos = 0;
    if (!PyDict_Check(o) || PyDict_GET_SIZE(o) != 1 || !PyDict_Next(o, &pos, &key, &args) || !PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "%s: a predicate is a dict with one key, the variant (as f.* builds it), got %R",
                     path, o);
        return -1;
    }
    size_t k = 0;
    while (k < N_PREDS && PyUnicode_CompareWithASCIIString(key, PREDS[k].name) != 0) k++;
    if (k == N_PREDS) {
        PyErr_Format(PyExc_ValueError, "%s: unknown predicate %R", path, key);
        return -1;
    }
    const char *name = PREDS[k].name;
    char sub[256];
    snprintf(sub, sizeof sub, "%s.%s", path, name);
    memset(out, 0, sizeof *out);
    out->op = PREDS[k].op;
    out->value = nidus_null();
    Py_INCREF(args);
    PyObject *it[3] = {NULL, NULL, NULL};
    int rc = -1;
    switch (PREDS[k].shape) {
    case S_VALUE:
        if (want_args(args, 2, path, name, "[key, value]", it) < 0) break;
        if (!(out->key = nb_str(a, it[0], "the filter key", 0, NULL))) break;
        rc = nb_to_value(a, it[1], &out->value, sub);
        break;
    case S_TEXT:
        if (want_args(args, 2, path, name, "[key, str]", it) < 0) break;
        if (!(out->key = nb_str(a, it[0], "the filter key", 0, NULL))) break;
        rc = (out->text = nb_str(a, it[1], sub, 0, NULL)) ? 0 : -1;
        break;
    case S_FUZZY: {
        if (want_args(args, 3, path, name, "[key, text, max_edits]", it) < 0) break;
        if (!(out->key = nb_str(a, it[0], "the filter key", 0, NULL))) break;
        if (!(out->text = nb_str(a, it[1], sub, 0, NULL))) break;
        if (PyBool_Check(it[2]) || !PyLong_Check(it[2])) {
            PyErr_Format(PyExc_TypeError, "%s: max_edits must be an int, got %R", sub, it[2]);
            break;
        }
        unsigned long e = PyLong_AsUnsignedLong(it[2]);
        if (PyErr_Occurred() || e > 0xffffffffUL) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s: max_edits must be between 0 and 8, got %R", sub, it[2]);
            break;
        }
        out->max_edits = (unsigned)e;
        rc = 0;
        break;
    }
    case S_VALUES: {
        if (want_args(args, 2, path, name, "[key, [values]]", it) < 0) break;
        if (!(out->key = nb_str(a, it[0], "the filter key", 0, NULL))) break;
        if (!PyList_Check(it[1]) && !PyTuple_Check(it[1])) {
            PyErr_Format(PyExc_TypeError, "%s: expects a list of values, not %.100s", sub, Py_TYPE(it[1])->tp_name);
            break;
        }
        PyObject *t = PySequence_Tuple(it[1]);
        if (!t) break;
        Py_ssize_t n = PyTuple_GET_SIZE(t);
        nidus_value *vals = nb_alloc_array(a, (size_t)n ? (size_t)n : 1, sizeof *vals);
        rc = vals ? 0 : -1;
        for (Py_ssize_t i = 0; rc == 0 && i < n; i++) rc = nb_to_value(a, PyTuple_GET_ITEM(t, i), &vals[i], sub);
        Py_DECREF(t);
        out->values = vals;
        out->count = (size_t)n;
        break;
    }
    case S_GROUP: rc = preds(a, args, &out->children, &out->count, depth, sub); break;
    case S_NOT: {
        nidus_filter *child = nb_alloc(a, sizeof *child);
        if (!child) break;
        rc = pred(a, args, child, depth + 1, sub);
        out->children = child;
        out->count = 1;
        break;
    }
    }
    for (int i = 0; i < 3; i++) Py_XDECREF(it[i]);
    Py_DECREF(args);
    return rc;
}

int nb_to_filter(nb_arena *a, PyObject *o, const nidus_filter **out) {
    *out = NULL;
    if (o == NULL || o == Py_None) return 0;
    nidus_filter *root = nb_alloc(a, sizeof *root);
    if (!root) return -1;
    memset(root, 0, sizeof *root);
    root->op = NIDUS_F_ALL;
    root->value = nidus_null();
    if (PyDict_Check(o)) { /* one predicate */
        nidus_filter *one = nb_alloc(a, sizeof *one);
        if (!one || pred(a, o, one, 1, "filter") < 0) return -1;
        root->children = one;
        root->count = 1;
    } else if (PyList_Check(o) || PyTuple_Check(o)) {
        if (preds(a, o, &root->children, &root->count, 0, "filter") < 0) return -1;
        if (root->count == 0) return 0;
    } else {
        PyErr_Format(PyExc_TypeError, "filter must be a list of predicates (f.* helpers), not %.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = root->count == 1 ? root->children : root;
    return 0;
}

/* store.c — nidus.Store: one libnidus handle.
 *
 * Every method converts its arguments into C data (an arena, or a pinned buffer)
 * with the GIL held, then releases the GIL for the library call, then builds the
 * Python result. The handle's own lock makes concurrent reads run in parallel and
 * writes exclusive; this file adds one read-write lock around the handle pointer so
 * that close() waits for calls in flight instead of freeing the handle under them. */
#include "binding.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    nidus_db *db;
    pthread_rwlock_t lock; /* read: any call on db; write: close */
    int lock_ok;
    int read_only, memory;
    uint32_t dim;
    int distance;
    PyObject *path; /* str, or None for an in-memory store */
    PyObject *weakrefs;
} Store;

#define MSG 1024
#define CLOSED_MSG "operation on a closed store"

/* Run `expr` (a library call on self->db) without the GIL; on failure copy the
 * handle's message into msg before another call can replace it. */
#define CALL(self, rc, msg, expr)                                    \
    do {                                                             \
        Py_BEGIN_ALLOW_THREADS                                       \
        pthread_rwlock_rdlock(&(self)->lock);                        \
        if ((self)->db) {                                            \
            (rc) = (expr);                                           \
            if (rc) nidus_errmsg_copy((self)->db, (msg), MSG);       \
        } else {                                                     \
            (rc) = NIDUS_EMISUSE;                                    \
            snprintf((msg), MSG, CLOSED_MSG);                        \
        }                                                            \
        pthread_rwlock_unlock(&(self)->lock);                        \
        Py_END_ALLOW_THREADS                                         \
    } while (0)

static int check_open(Store *self) {
    if (self->db) return 0;
    nb_raise(NIDUS_EMISUSE, CLOSED_MSG);
    return -1;
}

/* ---- argument helpers ---- */

/* None -> *out unchanged; else a non-negative int that fits size_t. */
static int opt_size(PyObject *o, const char *what, size_t *out) {
    if (!o || o == Py_None) return 0;
    if (PyBool_Check(o) || !PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    size_t v = PyLong_AsSize_t(o);
    if (v == (size_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be a non-negative int, got %R", what, o);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_distance(PyObject *o, int *out) {
    *out = NIDUS_DISTANCE_AUTO;
    if (!o || o == Py_None) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "distance must be a str (\"cosine\", \"euclidean\" or \"dot\"), not %.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    const char *s = PyUnicode_AsUTF8(o);
    if (!s) return -1;
    char low[32];
    size_t n = 0;
    for (; *s && n + 1 < sizeof low; s++)
        if (*s != '_' && *s != '-') low[n++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
    low[n] = 0;
    if (!*s) {
        if (!strcmp(low, "cosine")) *out = NIDUS_DISTANCE_COSINE;
        else if (!strcmp(low, "euclidean") || !strcmp(low, "l2")) *out = NIDUS_DISTANCE_EUCLIDEAN;
        else if (!strcmp(low, "dot") || !strcmp(low, "dotproduct")) *out = NIDUS_DISTANCE_DOT;
        if (*out != NIDUS_DISTANCE_AUTO) return 0;
    }
    PyErr_Format(PyExc_ValueError, "unknown distance %R (want \"cosine\", \"euclidean\" or \"dot\")", o);
    return -1;
}

static int parse_dim(PyObject *o, uint32_t *out) {
    *out = 0;
    if (!o || o == Py_None) return 0;
    size_t d = 0;
    if (opt_size(o, "dim", &d) < 0) return -1;
    if (d == 0 || d > UINT32_MAX) {
        PyErr_Format(PyExc_ValueError, "dim must be between 1 and %lu, got %R", (unsigned long)UINT32_MAX, o);
        return -1;
    }
    *out = (uint32_t)d;
    return 0;
}

/* A scope: None or [] = every collection. */
static int parse_scope(nb_arena *a, PyObject *o, const char *const **names, size_t *n) {
    *names = NULL;
    *n = 0;
    if (!o || o == Py_None) return 0;
    const char **arr;
    if (nb_str_array(a, o, "scope", &arr, n) < 0) return -1;
    if (*n) *names = arr;
    return 0;
}

typedef struct {
    const char *const *keep, *const *drop;
    size_t n_keep, n_drop;
} proj;

static int parse_projection(nb_arena *a, PyObject *inc, PyObject *exc, proj *p) {
    memset(p, 0, sizeof *p);
    if (inc && inc != Py_None && exc && exc != Py_None) {
        PyErr_SetString(PyExc_ValueError, "include_attributes and exclude_attributes are mutually exclusive");
        return -1;
    }
    const char **arr;
    if (inc && inc != Py_None) {
        if (nb_str_array(a, inc, "include_attributes", &arr, &p->n_keep) < 0) return -1;
        p->keep = arr;
    }
    if (exc && exc != Py_None) {
        if (nb_str_array(a, exc, "exclude_attributes", &arr, &p->n_drop) < 0) return -1;
        p->drop = arr;
    }
    return 0;
}

/* ---- lifetime ---- */

static PyObject *Store_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    (void)args;
    (void)kw;
    Store *self = (Store *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    if (pthread_rwlock_init(&self->lock, NULL) != 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->lock_ok = 1;
    self->path = Py_None;
    Py_INCREF(Py_None);
    return (PyObject *)self;
}

static void Store_dealloc(Store *self) {
    if (self->weakrefs) PyObject_ClearWeakRefs((PyObject *)self);
    if (self->db) {
        nidus_db *db = self->db;
        self->db = NULL;
        Py_BEGIN_ALLOW_THREADS
        nidus_close(db);
        Py_END_ALLOW_THREADS
    }
    if (self->lock_ok) pthread_rwlock_destroy(&self->lock);
    Py_CLEAR(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int opened(Store *self, int rc, nidus_db *db, int memory) {
    if (rc != NIDUS_OK) {
        char msg[MSG];
        snprintf(msg, sizeof msg, "%s", db ? nidus_errmsg(db) : nidus_strerror(rc));
        if (db) nidus_close(db);
        nb_raise(rc, msg);
        return -1;
    }
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    nidus_get_config(db, &cfg);
    self->db = db;
    self->memory = memory;
    self->read_only = cfg.read_only;
    self->dim = cfg.dimension;
    self->distance = cfg.distance;
    return 0;
}

static int Store_init(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path",         "dim",    "read_only", "fsync", "distance",
                             "auto_compact", "max_vector_bytes", "shadow", "map_rows", NULL};
    PyObject *path, *dim = Py_None, *fsync = Py_None, *distance = Py_None, *auto_compact = Py_None,
                    *max_bytes = Py_None;
    int read_only = 0, shadow = 1, map_rows = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OpOOOO$pp:Store", kwlist, &path, &dim, &read_only, &fsync,
                                     &distance, &auto_compact, &max_bytes, &shadow, &map_rows))
        return -1;
    if (self->db) {
        PyErr_SetString(PyExc_RuntimeError, "this Store is already open");
        return -1;
    }
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    if (parse_dim(dim, &cfg.dimension) < 0 || parse_distance(distance, &cfg.distance) < 0) return -1;
    cfg.read_only = read_only;
    cfg.shadow = shadow;
    cfg.map_rows = map_rows;
    if (fsync == Py_None || fsync == Py_True) cfg.fsync = NIDUS_FSYNC_PER_BATCH;
    else if (fsync == Py_False) cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    else if (PyUnicode_Check(fsync) && PyUnicode_CompareWithASCIIString(fsync, "per_batch") == 0)
        cfg.fsync = NIDUS_FSYNC_PER_BATCH;
    else if (PyUnicode_Check(fsync) && PyUnicode_CompareWithASCIIString(fsync, "on_flush") == 0)
        cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    else {
        PyErr_Format(PyExc_ValueError, "fsync must be \"per_batch\" or \"on_flush\", got %R", fsync);
        return -1;
    }
    if (auto_compact == Py_False) cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    else if (auto_compact != Py_None) {
        double r = PyBool_Check(auto_compact) ? NAN : PyFloat_AsDouble(auto_compact);
        if (r == -1.0 && PyErr_Occurred()) return -1;
        if (isnan(r)) {
            PyErr_SetString(PyExc_ValueError, "auto_compact must be a ratio (e.g. 0.5) or False");
            return -1;
        }
        cfg.auto_compact = r;
    }
    size_t mb = 0;
    if (opt_size(max_bytes, "max_vector_bytes", &mb) < 0) return -1;
    cfg.max_vector_bytes = mb;

    PyObject *fs = NULL, *spath = PyOS_FSPath(path);
    if (!spath) return -1;
    if (PyBytes_Check(spath)) Py_SETREF(spath, PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(spath),
                                                                                 PyBytes_GET_SIZE(spath)));
    if (!spath || !PyUnicode_FSConverter(path, &fs)) {
        Py_XDECREF(spath);
        return -1;
    }
    const char *cpath = PyBytes_AS_STRING(fs);
    nidus_db *db = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nidus_open(cpath, &cfg, &db);
    Py_END_ALLOW_THREADS
    Py_DECREF(fs);
    if (opened(self, rc, db, 0) < 0) {
        Py_DECREF(spath);
        return -1;
    }
    Py_SETREF(self->path, spath);
    return 0;
}

static PyObject *Store_memory(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"dim", "distance", "max_vector_bytes", NULL};
    PyObject *dim, *distance = Py_None, *max_bytes = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:memory", kwlist, &dim, &distance, &max_bytes)) return NULL;
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    size_t mb = 0;
    if (parse_dim(dim, &cfg.dimension) < 0 || parse_distance(distance, &cfg.distance) < 0 ||
        opt_size(max_bytes, "max_vector_bytes", &mb) < 0)
        return NULL;
    if (cfg.dimension == 0) {
        PyErr_SetString(PyExc_ValueError, "an in-memory store needs a dim");
        return NULL;
    }
    cfg.max_vector_bytes = mb;
    PyObject *empty = PyTuple_New(0);
    if (!empty) return NULL;
    Store *self = (Store *)Store_new(type, empty, NULL);
    Py_DECREF(empty);
    if (!self) return NULL;
    nidus_db *db = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nidus_open_memory_cfg(&cfg, &db);
    Py_END_ALLOW_THREADS
    if (opened(self, rc, db, 1) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *Store_close(Store *self, PyObject *unused) {
    (void)unused;
    nidus_db *db;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&self->lock);
    db = self->db;
    self->db = NULL;
    pthread_rwlock_unlock(&self->lock);
    if (db) nidus_close(db);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *Store_enter(Store *self, PyObject *unused) {
    (void)unused;
    if (check_open(self) < 0) return NULL;
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *Store_exit(Store *self, PyObject *args) {
    (void)args;
    return Store_close(self, NULL);
}

static PyObject *Store_repr(Store *self) {
    /* module.qualname: nidus.Store for the package's class, a subclass's own name. */
    PyObject *mod = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "__module__");
    PyObject *qn = mod ? PyObject_GetAttrString((PyObject *)Py_TYPE(self), "__qualname__") : NULL;
    PyObject *cls = qn ? PyUnicode_FromFormat("%S.%S", mod, qn) : NULL, *r = NULL;
    Py_XDECREF(mod);
    Py_XDECREF(qn);
    if (!cls) return NULL;
    const char *dist = nidus_distance_name(self->distance);
    if (!self->db) r = PyUnicode_FromFormat("<%U (closed)>", cls);
    else if (self->memory) r = PyUnicode_FromFormat("<%U in memory, dim=%u, %s>", cls, (unsigned)self->dim, dist);
    else
        r = PyUnicode_FromFormat("<%U %R, dim=%u, %s%s>", cls, self->path, (unsigned)self->dim, dist,
                                 self->read_only ? ", read-only" : "");
    Py_DECREF(cls);
    return r;
}

/* ---- results ---- */

static PyObject *hit_obj(const nidus_hit *h, const proj *p) {
    PyObject *o = PyStructSequence_New(nb_HitType);
    if (!o) return NULL;
    PyObject *c = PyUnicode_FromString(h->collection), *id = PyUnicode_FromString(h->id),
             *s = PyFloat_FromDouble((double)h->score),
             *at = nb_from_attrs(h->attrs, h->n_attrs, p->keep, p->n_keep, p->drop, p->n_drop),
             *row = PyLong_FromUnsignedLongLong(h->row);
    PyStructSequence_SET_ITEM(o, 0, c);
    PyStructSequence_SET_ITEM(o, 1, id);
    PyStructSequence_SET_ITEM(o, 2, s);
    PyStructSequence_SET_ITEM(o, 3, at);
    PyStructSequence_SET_ITEM(o, 4, row);
    if (!c || !id || !s || !at || !row) {
        Py_DECREF(o);
        return NULL;
    }
    return o;
}

static PyObject *hits_list(const nidus_hits *h, size_t skip, const proj *p) {
    size_t n = h->count > skip ? h->count - skip : 0;
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *o = hit_obj(&h->hits[skip + i], p);
        if (!o) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, o);
    }
    return l;
}

/* Results as HitArrays. One query: out has 1 entry and arrays are 1-D (count);
 * a batch: 2-D (nq, longest hit list), padded. */
static PyObject *hits_arrays(nidus_hits *const *out, size_t nq, size_t k, size_t skip, int batch) {
    if (!nb_numpy()) return NULL;
    /* As wide as the longest hit list, never top_k itself: top_k may be far above
     * what the store holds. */
    size_t width = 0;
    for (size_t q = 0; q < (batch ? nq : 1); q++)
        if (out[q]->count > skip && out[q]->count - skip > width) width = out[q]->count - skip;
    (void)k;
    if (nq && width > SIZE_MAX / nq / 8) return PyErr_NoMemory();
    float *scores = PyMem_RawMalloc(nq * width * sizeof *scores + 1);
    int64_t *rows = PyMem_RawMalloc(nq * width * sizeof *rows + 1);
    PyObject *ids = batch ? PyList_New((Py_ssize_t)nq) : NULL, *colls = batch ? PyList_New((Py_ssize_t)nq) : NULL;
    PyObject *res = NULL, *sa = NULL, *ra = NULL;
    if (!scores || !rows || (batch && (!ids || !colls))) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t q = 0; q < nq; q++) {
        const nidus_hits *h = out[q];
        size_t n = h->count > skip ? h->count - skip : 0;
        if (n > width) n = width;
        PyObject *il = PyList_New((Py_ssize_t)n), *cl = PyList_New((Py_ssize_t)n);
        if (!il || !cl) {
            Py_XDECREF(il);
            Py_XDECREF(cl);
            goto done;
        }
        for (size_t i = 0; i < width; i++) {
            const nidus_hit *x = i < n ? &h->hits[skip + i] : NULL;
            scores[q * width + i] = x ? x->score : NAN;
            rows[q * width + i] = x ? (int64_t)x->row : -1;
            if (!x) continue;
            PyObject *s1 = PyUnicode_FromString(x->id), *s2 = PyUnicode_FromString(x->collection);
            if (!s1 || !s2) {
                Py_XDECREF(s1);
                Py_XDECREF(s2);
                Py_DECREF(il);
                Py_DECREF(cl);
                goto done;
            }
            PyList_SET_ITEM(il, (Py_ssize_t)i, s1);
            PyList_SET_ITEM(cl, (Py_ssize_t)i, s2);
        }
        if (batch) {
            PyList_SET_ITEM(ids, (Py_ssize_t)q, il);
            PyList_SET_ITEM(colls, (Py_ssize_t)q, cl);
        } else {
            ids = il;
            colls = cl;
        }
    }
    sa = nb_array(scores, sizeof *scores, "float32", batch ? (Py_ssize_t)nq : (Py_ssize_t)width,
                  batch ? (Py_ssize_t)width : -1);
    ra = nb_array(rows, sizeof *rows, "int64", batch ? (Py_ssize_t)nq : (Py_ssize_t)width,
                  batch ? (Py_ssize_t)width : -1);
    if (!sa || !ra || !(res = PyStructSequence_New(nb_HitArraysType))) goto done;
    PyStructSequence_SET_ITEM(res, 0, sa);
    PyStructSequence_SET_ITEM(res, 1, ra);
    PyStructSequence_SET_ITEM(res, 2, ids);
    PyStructSequence_SET_ITEM(res, 3, colls);
    sa = ra = ids = colls = NULL;
done:
    PyMem_RawFree(scores);
    PyMem_RawFree(rows);
    Py_XDECREF(sa);
    Py_XDECREF(ra);
    Py_XDECREF(ids);
    Py_XDECREF(colls);
    return res;
}

static PyObject *docs_list(const nidus_docs *d, uint32_t dim, int numpy) {
    PyObject *mat = NULL;
    if (numpy) {
        float *buf = PyMem_RawMalloc(d->count * dim * sizeof(float) + 1);
        if (!buf) return PyErr_NoMemory();
        for (size_t i = 0; i < d->count; i++) memcpy(buf + i * dim, d->docs[i].vector, dim * sizeof(float));
        mat = nb_array(buf, sizeof(float), "float32", (Py_ssize_t)d->count, (Py_ssize_t)dim);
        PyMem_RawFree(buf);
        if (!mat) return NULL;
    }
    PyObject *l = PyList_New((Py_ssize_t)d->count);
    if (!l) goto fail;
    for (size_t i = 0; i < d->count; i++) {
        const nidus_doc *doc = &d->docs[i];
        PyObject *o = PyStructSequence_New(nb_RecordType);
        if (!o) goto fail;
        PyList_SET_ITEM(l, (Py_ssize_t)i, o);
        PyObject *vec;
        if (numpy) vec = PySequence_GetItem(mat, (Py_ssize_t)i);
        else if ((vec = PyList_New(dim)))
            for (uint32_t j = 0; j < dim; j++) {
                PyObject *f = PyFloat_FromDouble((double)doc->vector[j]);
                if (!f) {
                    Py_CLEAR(vec);
                    break;
                }
                PyList_SET_ITEM(vec, j, f);
            }
        PyObject *id = PyUnicode_FromString(doc->id), *at = nb_from_attrs(doc->attrs, doc->n_attrs, NULL, 0, NULL, 0),
                 *c = PyUnicode_FromString(doc->collection);
        PyStructSequence_SET_ITEM(o, 0, id);
        PyStructSequence_SET_ITEM(o, 1, vec);
        PyStructSequence_SET_ITEM(o, 2, at);
        PyStructSequence_SET_ITEM(o, 3, c);
        if (!id || !vec || !at || !c) goto fail;
    }
    Py_XDECREF(mat);
    return l;
fail:
    Py_XDECREF(mat);
    Py_XDECREF(l);
    return NULL;
}

/* ---- collections and metadata ---- */

static int name_arg(nb_arena *a, PyObject *o, const char **out) {
    return (*out = nb_str(a, o, "the collection name", 0, NULL)) ? 0 : -1;
}

/* A library name list as a Python list of str; frees `names` (NULL on failure). */
static PyObject *names_list(nidus_names *names) {
    PyObject *l = PyList_New((Py_ssize_t)names->count);
    for (size_t i = 0; l && i < names->count; i++) {
        PyObject *s = PyUnicode_FromString(names->names[i]);
        if (!s) Py_CLEAR(l);
        else PyList_SET_ITEM(l, (Py_ssize_t)i, s);
    }
    nidus_free(names);
    return l;
}

static PyObject *Store_collections(Store *self, PyObject *unused) {
    (void)unused;
    char msg[MSG];
    nidus_names *names = NULL;
    int rc;
    CALL(self, rc, msg, nidus_collections(self->db, &names));
    if (rc) return nb_raise(rc, msg);
    return names_list(names);
}

static PyObject *name_call(Store *self, PyObject *name, int which) {
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc = 0, has = 0;
    if (name_arg(&a, name, &c) < 0) {
        nb_arena_free(&a);
        return NULL;
    }
    if (which == 0) CALL(self, rc, msg, nidus_create_collection(self->db, c));
    else if (which == 1) CALL(self, rc, msg, nidus_drop_collection(self->db, c));
    else CALL(self, rc, msg, (has = nidus_has_collection(self->db, c), NIDUS_OK));
    nb_arena_free(&a);
    if (rc) return nb_raise(rc, msg);
    if (which == 2) return PyBool_FromLong(has);
    Py_RETURN_NONE;
}

/* The SDK's methods call the collection `name`; positional or keyword. */
static PyObject *one_name(PyObject *args, PyObject *kw, const char *fmt) {
    static char *kwlist[] = {"name", NULL};
    PyObject *name;
    return PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &name) ? name : NULL;
}

static PyObject *Store_create_collection(Store *self, PyObject *args, PyObject *kw) {
    PyObject *name = one_name(args, kw, "O:create_collection");
    return name ? name_call(self, name, 0) : NULL;
}
static PyObject *Store_drop_collection(Store *self, PyObject *args, PyObject *kw) {
    PyObject *name = one_name(args, kw, "O:drop_collection");
    return name ? name_call(self, name, 1) : NULL;
}
static PyObject *Store_has_collection(Store *self, PyObject *args, PyObject *kw) {
    PyObject *name = one_name(args, kw, "O:has_collection");
    return name ? name_call(self, name, 2) : NULL;
}

static PyObject *Store_get_meta(Store *self, PyObject *args, PyObject *kw) {
    PyObject *name = one_name(args, kw, "O:get_meta");
    if (!name) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    nidus_meta *meta = NULL;
    if (name_arg(&a, name, &c) < 0) {
        nb_arena_free(&a);
        return NULL;
    }
    CALL(self, rc, msg, nidus_get_meta(self->db, c, &meta));
    nb_arena_free(&a);
    if (rc) return nb_raise(rc, msg);
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < meta->count; i++) {
        PyObject *v = PyUnicode_FromString(meta->entries[i].value);
        if (!v || PyDict_SetItemString(d, meta->entries[i].key, v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    nidus_free(meta);
    return d;
}

/* The SDK's set_filter_index(name, fields): each field a str or a mapping with
 * "field" (its "tokens"/"trigrams" flags are accepted; the C library indexes every
 * declared field fully). An empty sequence drops the declaration. */
static PyObject *Store_set_filter_index(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"name", "fields", NULL};
    PyObject *name, *fields;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:set_filter_index", kwlist, &name, &fields)) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    PyObject *seq = NULL, *ret = NULL;
    if (name_arg(&a, name, &c) < 0) goto done;
    if (PyUnicode_Check(fields) || PyBytes_Check(fields) || (PyMapping_Check(fields) && !PySequence_Check(fields))) {
        PyErr_Format(PyExc_TypeError, "fields must be a sequence of str or {\"field\": str}, not %.100s",
                     Py_TYPE(fields)->tp_name);
        goto done;
    }
    if (!(seq = PySequence_Fast(fields, "fields must be a sequence of str or {\"field\": str}"))) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **names = nb_alloc_array(&a, (size_t)n ? (size_t)n : 1, sizeof *names);
    if (!names) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i), *field = item;
        if (PyDict_Check(item)) {
            field = PyDict_GetItemString(item, "field");
            if (!field) {
                PyErr_Format(PyExc_TypeError, "fields[%zd] is a mapping without \"field\"", i);
                goto done;
            }
        }
        if (!PyUnicode_Check(field)) {
            PyErr_Format(PyExc_TypeError, "fields[%zd] must be a str or {\"field\": str}, not %.100s", i,
                         Py_TYPE(field)->tp_name);
            goto done;
        }
        if (!(names[i] = nb_str(&a, field, "a field name", 0, NULL))) goto done;
    }
    CALL(self, rc, msg, nidus_set_filter_index(self->db, c, names, (size_t)n));
    if (rc) nb_raise(rc, msg);
    else ret = Py_NewRef(Py_None);
done:
    Py_XDECREF(seq);
    nb_arena_free(&a);
    return ret;
}

/* Ours (the SDK has no read-back): the declared fields, in declaration order. */
static PyObject *Store_get_filter_index(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"name", NULL};
    PyObject *name;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:get_filter_index", kwlist, &name)) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    nidus_names *got = NULL;
    PyObject *ret = NULL;
    if (name_arg(&a, name, &c) < 0) goto done;
    CALL(self, rc, msg, nidus_get_filter_index(self->db, c, &got));
    if (rc) nb_raise(rc, msg);
    else ret = names_list(got);
done:
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_set_meta(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"name", "meta", NULL};
    PyObject *name, *map;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:set_meta", kwlist, &name, &map)) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    PyObject *items = NULL, *ret = NULL;
    if (name_arg(&a, name, &c) < 0) goto done;
    if (!PyMapping_Check(map) || PyUnicode_Check(map) || PyList_Check(map) || PyTuple_Check(map)) {
        PyErr_Format(PyExc_TypeError, "meta must be a mapping of str to str, not %.100s", Py_TYPE(map)->tp_name);
        goto done;
    }
    if (!(items = PyMapping_Items(map))) goto done;
    Py_ssize_t n = PyList_GET_SIZE(items);
    nidus_meta_entry *e = nb_alloc_array(&a, (size_t)n ? (size_t)n : 1, sizeof *e);
    if (!e) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2) {
            PyErr_SetString(PyExc_TypeError, "meta.items() must yield (key, value) pairs");
            goto done;
        }
        /* As the SDK: keys and values go through str(). */
        PyObject *k = PyObject_Str(PyTuple_GET_ITEM(kv, 0)), *v = PyObject_Str(PyTuple_GET_ITEM(kv, 1));
        int ok = k && v && (e[i].key = nb_str(&a, k, "a meta key", 0, NULL)) &&
                 (e[i].value = nb_str(&a, v, "a meta value", 0, NULL));
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (!ok) goto done;
    }
    CALL(self, rc, msg, nidus_set_meta(self->db, c, e, (size_t)n));
    if (rc) nb_raise(rc, msg);
    else ret = Py_NewRef(Py_None);
done:
    Py_XDECREF(items);
    nb_arena_free(&a);
    return ret;
}

/* ---- writes ---- */

/* kw with the SDK's spelling `name` renamed to `collection` (a new reference, or
 * NULL with no keywords; *err set on failure). */
static PyObject *sdk_kw(PyObject *kw, int *err) {
    *err = 0;
    PyObject *name = kw ? PyDict_GetItemString(kw, "name") : NULL;
    if (!name) {
        Py_XINCREF(kw);
        return kw;
    }
    PyObject *k = NULL;
    if (PyDict_GetItemString(kw, "collection"))
        PyErr_SetString(PyExc_TypeError, "give the collection as `collection` or as `name`, not both");
    else if ((k = PyDict_Copy(kw)) &&
             (PyDict_SetItemString(k, "collection", name) < 0 || PyDict_DelItemString(k, "name") < 0))
        Py_CLEAR(k);
    if (!k) *err = 1;
    return k;
}

/* One SDK record {"id", "vector", "attrs"} into r. */
static int record_arg(nb_arena *a, PyObject *rec, Py_ssize_t i, nidus_record *r) {
    char what[96];
    snprintf(what, sizeof what, "records[%zd]", i);
    if (!PyDict_Check(rec)) {
        PyErr_Format(PyExc_TypeError, "%s must be a dict {\"id\", \"vector\", \"attrs\"}, not %.100s", what,
                     Py_TYPE(rec)->tp_name);
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(rec, &pos, &k, &v)) {
        if (!PyUnicode_Check(k) || (PyUnicode_CompareWithASCIIString(k, "id") &&
                                    PyUnicode_CompareWithASCIIString(k, "vector") &&
                                    PyUnicode_CompareWithASCIIString(k, "attrs"))) {
            PyErr_Format(PyExc_TypeError, "%s: unknown key %R (a record has id, vector, attrs)", what, k);
            return -1;
        }
    }
    PyObject *id = PyDict_GetItemString(rec, "id"), *vec = PyDict_GetItemString(rec, "vector"),
             *attrs = PyDict_GetItemString(rec, "attrs");
    if (!id) {
        PyErr_Format(PyExc_TypeError, "%s has no \"id\"", what);
        return -1;
    }
    /* Hold them: converting attrs may run Python code that changes the dict. */
    Py_INCREF(id);
    Py_XINCREF(vec);
    Py_XINCREF(attrs);
    int rc = -1;
    char sub[160];
    snprintf(sub, sizeof sub, "%s[\"id\"]", what);
    if (!(r->id = nb_str(a, id, sub, 0, NULL))) goto done;
    if (!vec || vec == Py_None) {
        PyErr_Format(PyExc_ValueError, "record %R has no vector (text-only records are not supported in-process)", id);
        goto done;
    }
    snprintf(sub, sizeof sub, "record %.60s vector", r->id);
    if (nb_to_vector(a, vec, sub, &r->vector, &r->dim) < 0) goto done;
    snprintf(sub, sizeof sub, "record %.60s attrs", r->id);
    rc = nb_to_attrs(a, attrs, &r->attrs, &r->n_attrs, sub);
done:
    Py_DECREF(id);
    Py_XDECREF(vec);
    Py_XDECREF(attrs);
    return rc;
}

static PyObject *Store_upsert(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "records", NULL};
    PyObject *name, *records;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "OO:upsert", kwlist, &name, &records);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    PyObject *t = NULL, *ret = NULL;
    if (name_arg(&a, name, &c) < 0) goto done;
    if (PyDict_Check(records) || PyUnicode_Check(records) || !PySequence_Check(records)) {
        PyErr_Format(PyExc_TypeError, "records must be a list of dicts (did you mean [record]?), not %.100s",
                     Py_TYPE(records)->tp_name);
        goto done;
    }
    if (!(t = PySequence_Tuple(records))) goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    nidus_record *recs = nb_alloc_array(&a, (size_t)n ? (size_t)n : 1, sizeof *recs);
    if (!recs) goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        if (record_arg(&a, PyTuple_GET_ITEM(t, i), i, &recs[i]) < 0) goto done;
    CALL(self, rc, msg, nidus_upsert(self->db, c, recs, (size_t)n));
    if (rc) nb_raise(rc, msg);
    else ret = PyLong_FromSsize_t(n);
done:
    Py_XDECREF(t);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_upsert_many(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "ids", "vectors", "attrs", "normalized", NULL};
    PyObject *name, *ids, *vectors, *attrs = Py_None;
    int normalized = 0;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "OOO|O$p:upsert_many", kwlist, &name, &ids, &vectors, &attrs,
                                     &normalized);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    Py_buffer view = {0};
    int have_view = 0;
    const char *c;
    const char **idv;
    size_t n, rows, cols;
    const float *data;
    char msg[MSG];
    int rc;
    PyObject *at = NULL, *ret = NULL;
    if (name_arg(&a, name, &c) < 0 || nb_str_array(&a, ids, "ids", &idv, &n) < 0) goto done;
    if (attrs != Py_None) {
        if (PyDict_Check(attrs) || PyUnicode_Check(attrs) || !PySequence_Check(attrs)) {
            PyErr_Format(PyExc_TypeError, "attrs must be None or a list of one mapping (or None) per id, not %.100s",
                         Py_TYPE(attrs)->tp_name);
            goto done;
        }
        if (!(at = PySequence_Tuple(attrs))) goto done;
        if ((size_t)PyTuple_GET_SIZE(at) != n) {
            PyErr_Format(PyExc_ValueError, "attrs has %zd entries for %zu ids", PyTuple_GET_SIZE(at), n);
            goto done;
        }
    }
    if (nb_to_matrix(&a, vectors, "vectors", &view, &data, &rows, &cols) < 0) goto done;
    have_view = 1;
    if (rows != n) {
        PyErr_Format(PyExc_ValueError, "vectors has %zu rows for %zu ids", rows, n);
        goto done;
    }
    nidus_record *recs = nb_alloc_array(&a, n ? n : 1, sizeof *recs);
    if (!recs) goto done;
    for (size_t i = 0; i < n; i++) {
        recs[i].id = idv[i];
        recs[i].vector = data + i * cols;
        recs[i].dim = cols;
        recs[i].attrs = NULL;
        recs[i].n_attrs = 0;
        if (at) {
            char what[96];
            snprintf(what, sizeof what, "attrs[%zu]", i);
            if (nb_to_attrs(&a, PyTuple_GET_ITEM(at, (Py_ssize_t)i), &recs[i].attrs, &recs[i].n_attrs, what) < 0)
                goto done;
        }
    }
    CALL(self, rc, msg, nidus_upsert_ex(self->db, c, recs, n, normalized ? NIDUS_UPSERT_NORMALIZED : 0));
    if (rc) nb_raise(rc, msg);
    else ret = PyLong_FromSize_t(n);
done:
    if (have_view) PyBuffer_Release(&view);
    Py_XDECREF(at);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_delete(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "ids", NULL};
    PyObject *name, *ids;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "OO:delete", kwlist, &name, &ids);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    const char **idv;
    size_t n, deleted = 0;
    char msg[MSG];
    int rc;
    PyObject *ret = NULL;
    if (name_arg(&a, name, &c) < 0 || nb_str_array(&a, ids, "delete(collection, ids)", &idv, &n) < 0) goto done;
    CALL(self, rc, msg, nidus_delete(self->db, c, idv, n, &deleted));
    if (rc) nb_raise(rc, msg);
    else ret = PyLong_FromSize_t(deleted);
done:
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_delete_where(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "filter", NULL};
    PyObject *name, *filter;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "OO:delete_where", kwlist, &name, &filter);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    const nidus_filter *where;
    size_t deleted = 0;
    char msg[MSG];
    int rc;
    PyObject *ret = NULL;
    if (name_arg(&a, name, &c) < 0 || nb_to_filter(&a, filter, &where) < 0) goto done;
    if (!where) {
        PyErr_SetString(PyExc_ValueError,
                        "delete_where with an empty filter would delete every record in the collection; pass at "
                        "least one predicate, or call drop_collection(name) if deleting everything is the intent");
        goto done;
    }
    CALL(self, rc, msg, nidus_delete_where_filter(self->db, c, where, &deleted));
    if (rc) nb_raise(rc, msg);
    else ret = PyLong_FromSize_t(deleted);
done:
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_flush(Store *self, PyObject *unused) {
    (void)unused;
    char msg[MSG];
    int rc;
    CALL(self, rc, msg, nidus_flush(self->db));
    if (rc) return nb_raise(rc, msg);
    Py_RETURN_NONE;
}

static PyObject *Store_compact(Store *self, PyObject *unused) {
    (void)unused;
    char msg[MSG];
    int rc;
    CALL(self, rc, msg, nidus_compact(self->db));
    if (rc) return nb_raise(rc, msg);
    Py_RETURN_NONE;
}

/* ---- reads ---- */

static PyObject *Store_records(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "numpy", NULL};
    PyObject *name;
    int numpy = 0;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "O|$p:records", kwlist, &name, &numpy);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    char msg[MSG];
    int rc;
    nidus_docs *docs = NULL;
    PyObject *ret = NULL;
    if (name_arg(&a, name, &c) < 0) goto done;
    CALL(self, rc, msg, nidus_get_all(self->db, c, &docs));
    if (rc) nb_raise(rc, msg);
    else ret = docs_list(docs, self->dim, numpy);
done:
    nidus_free(docs);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_get(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "ids", "numpy", NULL};
    PyObject *name, *ids;
    int numpy = 0;
    int kerr;
    PyObject *kw2 = sdk_kw(kw, &kerr);
    if (kerr) return NULL;
    int parsed = PyArg_ParseTupleAndKeywords(args, kw2, "OO|$p:get", kwlist, &name, &ids, &numpy);
    Py_XDECREF(kw2);
    if (!parsed) return NULL;
    nb_arena a = NB_ARENA_INIT;
    const char *c;
    const char **idv;
    size_t n;
    char msg[MSG];
    int rc;
    nidus_docs *docs = NULL;
    PyObject *ret = NULL;
    if (name_arg(&a, name, &c) < 0 || nb_str_array(&a, ids, "get(collection, ids)", &idv, &n) < 0) goto done;
    CALL(self, rc, msg, nidus_get(self->db, c, idv, n, &docs));
    if (rc) nb_raise(rc, msg);
    else ret = docs_list(docs, self->dim, numpy);
done:
    nidus_free(docs);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_stats(Store *self, PyObject *unused) {
    (void)unused;
    char msg[MSG];
    int rc;
    nidus_footprint fp;
    CALL(self, rc, msg, nidus_get_footprint(self->db, &fp));
    if (rc) return nb_raise(rc, msg);
    PyObject *colls = Store_collections(self, NULL);
    if (!colls) return NULL;
    PyObject *f = PyStructSequence_New(nb_FootprintType), *s = PyStructSequence_New(nb_StatsType);
    if (!f || !s) {
        Py_XDECREF(f);
        Py_XDECREF(s);
        Py_DECREF(colls);
        return NULL;
    }
    PyStructSequence_SET_ITEM(f, 0, PyLong_FromUnsignedLongLong(fp.rows));
    PyStructSequence_SET_ITEM(f, 1, PyLong_FromUnsignedLongLong(fp.dead_rows));
    PyStructSequence_SET_ITEM(f, 2, PyLong_FromUnsignedLong(fp.dimension));
    PyStructSequence_SET_ITEM(f, 3, PyLong_FromUnsignedLongLong(fp.vector_bytes));
    PyStructSequence_SET_ITEM(f, 4, PyLong_FromUnsignedLongLong(fp.doc_count));
    PyStructSequence_SET_ITEM(f, 5, PyLong_FromUnsignedLongLong(fp.filter_index_bytes));
    PyStructSequence_SET_ITEM(f, 6, PyLong_FromUnsignedLongLong(fp.index_bytes));
    PyStructSequence_SET_ITEM(f, 7, PyLong_FromUnsignedLongLong(fp.shadow_bytes));
    PyStructSequence_SET_ITEM(f, 8, PyLong_FromUnsignedLongLong(fp.mapped_bytes));
    PyStructSequence_SET_ITEM(s, 0, PyLong_FromUnsignedLong(fp.dimension));
    PyStructSequence_SET_ITEM(s, 1, PyUnicode_FromString(nidus_distance_name(self->distance)));
    PyStructSequence_SET_ITEM(s, 2, Py_NewRef(Py_None));
    PyStructSequence_SET_ITEM(s, 3, colls);
    PyStructSequence_SET_ITEM(s, 4, f);
    for (int i = 0; i < 9; i++)
        if (!PyStructSequence_GET_ITEM(f, i)) {
            Py_DECREF(s);
            return NULL;
        }
    if (!PyStructSequence_GET_ITEM(s, 0) || !PyStructSequence_GET_ITEM(s, 1)) {
        Py_DECREF(s);
        return NULL;
    }
    return s;
}

/* What search, search_batch and search_similar share: scope, filter, top_k,
 * offset, min_score, threads, projection. */
typedef struct {
    nidus_search_opts opts;
    size_t top_k; /* hits per query wanted */
    size_t skip;  /* hits to drop in front: 0, the library pages */
    proj p;       /* projection left to the binding: none, the library projects */
} search_args;

static int parse_min_score(PyObject *min_score, int *has, float *out) {
    if (!min_score || min_score == Py_None) return 0;
    double m = PyBool_Check(min_score) ? NAN : PyFloat_AsDouble(min_score);
    if (m == -1.0 && PyErr_Occurred()) return -1;
    if (!isfinite(m)) {
        PyErr_Format(PyExc_ValueError, "min_score must be a finite number, got %R", min_score);
        return -1;
    }
    *has = 1;
    *out = (float)m;
    return 0;
}

static int search_common(nb_arena *a, search_args *s, PyObject *scope, PyObject *top_k, PyObject *offset,
                         PyObject *min_score, PyObject *filter, PyObject *exact, PyObject *threads, PyObject *inc,
                         PyObject *exc) {
    nidus_search_opts_init(&s->opts);
    size_t off = 0;
    s->top_k = 10;
    s->skip = 0;
    if (opt_size(top_k, "top_k", &s->top_k) < 0 || opt_size(offset, "offset", &off) < 0) return -1;
    if (parse_scope(a, scope, &s->opts.collections, &s->opts.n_collections) < 0) return -1;
    if (nb_to_filter(a, filter, &s->opts.where) < 0) return -1;
    if (parse_min_score(min_score, &s->opts.has_min_score, &s->opts.min_score) < 0) return -1;
    if (exact && exact != Py_None && !PyBool_Check(exact)) {
        PyErr_SetString(PyExc_TypeError, "exact must be a bool (search is always exact)");
        return -1;
    }
    size_t th = 0;
    if (opt_size(threads, "threads", &th) < 0) return -1;
    if (th > 1024) {
        PyErr_Format(PyExc_ValueError, "threads must be between 0 and 1024, got %R", threads);
        return -1;
    }
    s->opts.threads = (unsigned)th;
    if (parse_projection(a, inc, exc, &s->p) < 0) return -1;
    /* The library pages and projects (and bounds offset + top_k as nidus does). */
    s->opts.top_k = s->top_k;
    s->opts.offset = off;
    s->opts.include_attrs = s->p.keep;
    s->opts.n_include_attrs = s->p.n_keep;
    s->opts.exclude_attrs = s->p.drop;
    s->opts.n_exclude_attrs = s->p.n_drop;
    memset(&s->p, 0, sizeof s->p);
    return 0;
}

static PyObject *Store_search(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"query", "scope", "top_k", "offset", "min_score", "filter", "exact",
                             "include_attributes", "exclude_attributes", "threads", "arrays", NULL};
    PyObject *query = NULL, *scope = NULL, *top_k = NULL, *offset = NULL, *min_score = NULL, *filter = NULL,
             *exact = NULL, *inc = NULL, *exc = NULL, *threads = NULL;
    int arrays = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOOOOp:search", kwlist, &query, &scope, &top_k, &offset,
                                     &min_score, &filter, &exact, &inc, &exc, &threads, &arrays))
        return NULL;
    if (!query) {
        PyErr_SetString(PyExc_TypeError, "search() missing required keyword argument 'query'");
        return NULL;
    }
    nb_arena a = NB_ARENA_INIT;
    search_args s;
    const float *q;
    size_t dim;
    char msg[MSG];
    int rc;
    nidus_hits *hits = NULL;
    PyObject *ret = NULL;
    if (nb_to_vector(&a, query, "search(query=...)", &q, &dim) < 0 ||
        search_common(&a, &s, scope, top_k, offset, min_score, filter, exact, threads, inc, exc) < 0)
        goto done;
    CALL(self, rc, msg, nidus_search(self->db, q, dim, &s.opts, &hits));
    if (rc) nb_raise(rc, msg);
    else if (arrays) ret = hits_arrays(&hits, 1, s.top_k, s.skip, 0);
    else ret = hits_list(hits, s.skip, &s.p);
done:
    nidus_free(hits);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_search_batch(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"queries", "scope", "top_k", "offset", "min_score", "filter", "include_attributes",
                             "exclude_attributes", "threads", "arrays", NULL};
    PyObject *queries, *scope = NULL, *top_k = NULL, *offset = NULL, *min_score = NULL, *filter = NULL, *inc = NULL,
                       *exc = NULL, *threads = NULL;
    int arrays = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOOOOOOOp:search_batch", kwlist, &queries, &scope, &top_k,
                                     &offset, &min_score, &filter, &inc, &exc, &threads, &arrays))
        return NULL;
    nb_arena a = NB_ARENA_INIT;
    Py_buffer view = {0};
    int have_view = 0;
    search_args s;
    const float *q;
    size_t nq = 0, dim;
    char msg[MSG];
    int rc;
    nidus_hits **out = NULL;
    PyObject *ret = NULL;
    if (nb_to_matrix(&a, queries, "queries", &view, &q, &nq, &dim) < 0) goto done;
    have_view = 1;
    if (search_common(&a, &s, scope, top_k, offset, min_score, filter, NULL, threads, inc, exc) < 0) goto done;
    if (!(out = PyMem_RawCalloc(nq ? nq : 1, sizeof *out))) {
        PyErr_NoMemory();
        goto done;
    }
    if (nq == 0) CALL(self, rc, msg, NIDUS_OK); /* still refuses a closed store */
    else CALL(self, rc, msg, nidus_search_batch(self->db, q, nq, dim, &s.opts, out));
    if (rc) {
        nb_raise(rc, msg);
        goto done;
    }
    if (arrays) {
        ret = hits_arrays(out, nq, s.top_k, s.skip, 1);
        goto done;
    }
    if (!(ret = PyList_New((Py_ssize_t)nq))) goto done;
    for (size_t i = 0; i < nq; i++) {
        PyObject *l = hits_list(out[i], s.skip, &s.p);
        if (!l) {
            Py_CLEAR(ret);
            goto done;
        }
        PyList_SET_ITEM(ret, (Py_ssize_t)i, l);
    }
done:
    if (out)
        for (size_t i = 0; i < nq; i++) nidus_free(out[i]);
    PyMem_RawFree(out);
    if (have_view) PyBuffer_Release(&view);
    nb_arena_free(&a);
    return ret;
}

/* ---- nidus 0.80's similar, list and aggregate (libnidus with nidus_list_docs) ---- */

static PyObject *Store_search_similar(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"collection", "id", "scope", "top_k", "offset", "min_score", "filter", "exact",
                             "include_attributes", "exclude_attributes", "threads", "arrays", NULL};
    PyObject *coll = NULL, *id = NULL, *scope = NULL, *top_k = NULL, *offset = NULL, *min_score = NULL,
             *filter = NULL, *exact = NULL, *inc = NULL, *exc = NULL, *threads = NULL;
    int arrays = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOOOOOp:search_similar", kwlist, &coll, &id, &scope, &top_k,
                                     &offset, &min_score, &filter, &exact, &inc, &exc, &threads, &arrays))
        return NULL;
    if (!coll || !id) {
        PyErr_SetString(PyExc_TypeError, "search_similar() needs the keyword arguments 'collection' and 'id'");
        return NULL;
    }
    nb_arena a = NB_ARENA_INIT;
    search_args s;
    const char *c, *i;
    char msg[MSG];
    int rc;
    nidus_hits *hits = NULL;
    PyObject *ret = NULL;
    if (name_arg(&a, coll, &c) < 0 || !(i = nb_str(&a, id, "id", 0, NULL)) ||
        search_common(&a, &s, scope, top_k, offset, min_score, filter, exact, threads, inc, exc) < 0)
        goto done;
    CALL(self, rc, msg, nidus_search_similar(self->db, c, i, &s.opts, &hits));
    if (rc) nb_raise(rc, msg);
    else if (arrays) ret = hits_arrays(&hits, 1, s.top_k, s.skip, 0);
    else ret = hits_list(hits, s.skip, &s.p);
done:
    nidus_free(hits);
    nb_arena_free(&a);
    return ret;
}

static PyObject *Store_list(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scope", "offset", "limit", "filter", "include_attributes", "exclude_attributes",
                             "order_by", NULL};
    PyObject *scope = NULL, *offset = NULL, *limit = NULL, *filter = NULL, *inc = NULL, *exc = NULL,
             *order_by = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOO:list", kwlist, &scope, &offset, &limit, &filter, &inc,
                                     &exc, &order_by))
        return NULL;
    nb_arena a = NB_ARENA_INIT;
    nidus_list_opts o;
    nidus_list_opts_init(&o);
    proj p;
    char msg[MSG];
    int rc;
    nidus_docs *docs = NULL;
    PyObject *ret = NULL;
    if (parse_scope(&a, scope, &o.collections, &o.n_collections) < 0 || opt_size(offset, "offset", &o.offset) < 0 ||
        opt_size(limit, "limit", &o.limit) < 0 || nb_to_filter(&a, filter, &o.where) < 0 ||
        parse_projection(&a, inc, exc, &p) < 0)
        goto done;
    o.include_attrs = p.keep;
    o.n_include_attrs = p.n_keep;
    o.exclude_attrs = p.drop;
    o.n_exclude_attrs = p.n_drop;
    if (order_by && order_by != Py_None) {
        /* {"field": name, "descending": bool}, as the SDK's OrderBy. */
        PyObject *field = PyDict_Check(order_by) ? PyDict_GetItemString(order_by, "field") : NULL;
        PyObject *desc = PyDict_Check(order_by) ? PyDict_GetItemString(order_by, "descending") : NULL;
        Py_ssize_t known = (field != NULL) + (desc != NULL);
        if (!field || PyDict_GET_SIZE(order_by) != known) {
            PyErr_Format(PyExc_TypeError, "order_by expects {\"field\": str, \"descending\": bool}, got %R", order_by);
            goto done;
        }
        if (desc && !PyBool_Check(desc)) {
            PyErr_Format(PyExc_TypeError, "order_by descending must be a bool, got %R", desc);
            goto done;
        }
        if (!(o.order_by = nb_str(&a, field, "order_by field", 0, NULL))) goto done;
        o.descending = desc == Py_True;
    }
    CALL(self, rc, msg, nidus_list_docs(self->db, &o, &docs));
    if (rc) {
        nb_raise(rc, msg);
        goto done;
    }
    /* nidus's list answers Hits with score 0.0; a row the docs do not carry: None. */
    if (!(ret = PyList_New((Py_ssize_t)docs->count))) goto done;
    for (size_t k = 0; k < docs->count; k++) {
        const nidus_doc *d = &docs->docs[k];
        PyObject *h = PyStructSequence_New(nb_HitType);
        if (!h) {
            Py_CLEAR(ret);
            goto done;
        }
        PyList_SET_ITEM(ret, (Py_ssize_t)k, h);
        PyObject *c = PyUnicode_FromString(d->collection), *id = PyUnicode_FromString(d->id),
                 *sc = PyFloat_FromDouble(0.0), *at = nb_from_attrs(d->attrs, d->n_attrs, NULL, 0, NULL, 0);
        PyStructSequence_SET_ITEM(h, 0, c);
        PyStructSequence_SET_ITEM(h, 1, id);
        PyStructSequence_SET_ITEM(h, 2, sc);
        PyStructSequence_SET_ITEM(h, 3, at);
        PyStructSequence_SET_ITEM(h, 4, Py_NewRef(Py_None));
        if (!c || !id || !sc || !at) {
            Py_CLEAR(ret);
            goto done;
        }
    }
done:
    nidus_free(docs);
    nb_arena_free(&a);
    return ret;
}

static PyObject *sums_dict(const nidus_sum *sums, size_t n) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < n; i++) {
        PyObject *v = nb_from_value(&sums[i].value);
        if (!v || PyDict_SetItemString(d, sums[i].field, v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *Store_aggregate(Store *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scope", "filter", "sum", "group_by", "max_groups", NULL};
    PyObject *scope = NULL, *filter = NULL, *sum = NULL, *group_by = NULL, *max_groups = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOO:aggregate", kwlist, &scope, &filter, &sum, &group_by,
                                     &max_groups))
        return NULL;
    nb_arena a = NB_ARENA_INIT;
    nidus_aggregate_opts o;
    nidus_aggregate_opts_init(&o);
    char msg[MSG];
    int rc;
    nidus_aggregation *agg = NULL;
    PyObject *ret = NULL, *groups = NULL;
    const char **sumv;
    if (parse_scope(&a, scope, &o.collections, &o.n_collections) < 0 || nb_to_filter(&a, filter, &o.where) < 0 ||
        opt_size(max_groups, "max_groups", &o.max_groups) < 0)
        goto done;
    if (sum && sum != Py_None) {
        if (nb_str_array(&a, sum, "aggregate(sum=...)", &sumv, &o.n_sum) < 0) goto done;
        o.sum = sumv;
    }
    if (group_by && group_by != Py_None && !(o.group_by = nb_str(&a, group_by, "group_by", 0, NULL))) goto done;
    CALL(self, rc, msg, nidus_aggregate(self->db, &o, &agg));
    if (rc) {
        nb_raise(rc, msg);
        goto done;
    }
    if (!(groups = PyList_New((Py_ssize_t)agg->n_groups))) goto done;
    for (size_t i = 0; i < agg->n_groups; i++) {
        const nidus_group *g = &agg->groups[i];
        PyObject *o2 = PyStructSequence_New(nb_GroupType);
        if (!o2) goto done;
        PyList_SET_ITEM(groups, (Py_ssize_t)i, o2);
        PyObject *val = g->present ? nb_from_value(&g->value) : Py_NewRef(Py_None);
        PyObject *cnt = PyLong_FromUnsignedLongLong(g->count), *sm = sums_dict(g->sums, g->n_sums);
        PyStructSequence_SET_ITEM(o2, 0, val);
        PyStructSequence_SET_ITEM(o2, 1, cnt);
        PyStructSequence_SET_ITEM(o2, 2, sm);
        PyStructSequence_SET_ITEM(o2, 3, PyBool_FromLong(!g->present));
        if (!val || !cnt || !sm) goto done;
    }
    PyObject *cnt = PyLong_FromUnsignedLongLong(agg->count), *sm = sums_dict(agg->sums, agg->n_sums);
    if (!cnt || !sm || !(ret = PyStructSequence_New(nb_AggregationType))) {
        Py_XDECREF(cnt);
        Py_XDECREF(sm);
        goto done;
    }
    PyStructSequence_SET_ITEM(ret, 0, cnt);
    PyStructSequence_SET_ITEM(ret, 1, sm);
    PyStructSequence_SET_ITEM(ret, 2, groups);
    PyStructSequence_SET_ITEM(ret, 3, PyBool_FromLong(agg->groups_truncated));
    groups = NULL;
done:
    Py_XDECREF(groups);
    nidus_free(agg);
    nb_arena_free(&a);
    return ret;
}

/* The bench hooks run on the handle under the same read lock as any call. */
static PyObject *bench_call(Store *self, PyObject *args, PyObject *(*fn)(nidus_db *, PyObject *)) {
    if (check_open(self) < 0) return NULL;
    /* Held (as a reader) across the call: close() waits, as for any call. */
    PyObject *r;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&self->lock);
    Py_END_ALLOW_THREADS
    if (!self->db) {
        pthread_rwlock_unlock(&self->lock);
        return nb_raise(NIDUS_EMISUSE, CLOSED_MSG);
    }
    r = fn(self->db, args);
    pthread_rwlock_unlock(&self->lock);
    return r;
}
static PyObject *Store__bench_c_search(Store *self, PyObject *args) { return bench_call(self, args, nb_bench_c_search); }
static PyObject *Store__bench_c_upsert(Store *self, PyObject *args) { return bench_call(self, args, nb_bench_c_upsert); }

/* ---- properties ---- */

static PyObject *Store_get_closed(Store *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->db == NULL);
}
static PyObject *Store_get_path(Store *self, void *c) {
    (void)c;
    return Py_NewRef(self->path);
}
static PyObject *Store_get_dimension(Store *self, void *c) {
    (void)c;
    if (check_open(self) < 0) return NULL;
    return PyLong_FromUnsignedLong(self->dim);
}
static PyObject *Store_get_distance(Store *self, void *c) {
    (void)c;
    if (check_open(self) < 0) return NULL;
    return PyUnicode_FromString(nidus_distance_name(self->distance));
}
static PyObject *Store_get_read_only(Store *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->read_only);
}
static PyObject *Store_get_in_memory(Store *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->memory);
}

static PyGetSetDef Store_getset[] = {
    {"closed", (getter)Store_get_closed, NULL, "True once close() ran.", NULL},
    {"path", (getter)Store_get_path, NULL, "The store directory as given (None in memory).", NULL},
    {"dimension", (getter)Store_get_dimension, NULL, "The vector length the store is pinned to.", NULL},
    {"distance", (getter)Store_get_distance, NULL, "\"Cosine\", \"Euclidean\" or \"DotProduct\".", NULL},
    {"read_only", (getter)Store_get_read_only, NULL, "True when opened with read_only=True.", NULL},
    {"in_memory", (getter)Store_get_in_memory, NULL, "True for Store.memory().", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

#define M(name, flags, doc) {#name, (PyCFunction)(void (*)(void))Store_##name, flags, doc}

static PyMethodDef Store_methods[] = {
    M(memory, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "memory(dim, distance=None, max_vector_bytes=None)\n--\n\n"
      "A store that lives only in memory: no files, no lock. `distance` as for Store()."),
    M(close, METH_NOARGS,
      "close($self, /)\n--\n\n"
      "Release the handle and the writer lock. Waits for calls running in other threads;\n"
      "later calls raise MisuseError. Idempotent. Nothing is synced: flush() first under\n"
      "fsync=\"on_flush\"."),
    {"__enter__", (PyCFunction)(void (*)(void))Store_enter, METH_NOARGS, "__enter__($self, /)\n--\n\nReturn self (a context manager: close() on exit)."},
    {"__exit__", (PyCFunction)(void (*)(void))Store_exit, METH_VARARGS, "__exit__($self, exc_type, exc, tb, /)\n--\n\nclose() the store."},
    M(stats, METH_NOARGS,
      "stats($self, /)\n--\n\n"
      "Store-wide introspection: Stats(dimension, distance, ann=None, collections,\n"
      "footprint=Footprint(rows, dead_rows, dimension, vector_bytes, doc_count, ...))."),
    M(collections, METH_NOARGS, "collections($self, /)\n--\n\nEvery collection name, sorted (bytewise)."),
    M(create_collection, METH_VARARGS | METH_KEYWORDS,
      "create_collection($self, /, name)\n--\n\nCreate a collection if absent (idempotent)."),
    M(drop_collection, METH_VARARGS | METH_KEYWORDS,
      "drop_collection($self, /, name)\n--\n\n"
      "Drop a collection and all its records (their rows are dead until compact()).\n"
      "An absent collection is a no-op."),
    M(has_collection, METH_VARARGS | METH_KEYWORDS, "has_collection($self, /, name)\n--\n\nWhether the collection exists."),
    M(get_meta, METH_VARARGS | METH_KEYWORDS,
      "get_meta($self, /, name)\n--\n\nA collection's free-form string metadata ({} if absent)."),
    M(set_meta, METH_VARARGS | METH_KEYWORDS,
      "set_meta($self, /, name, meta)\n--\n\n"
      "Replace a collection's whole metadata map (keys and values go through str()).\n"
      "Creates the collection if absent."),
    M(set_filter_index, METH_VARARGS | METH_KEYWORDS,
      "set_filter_index($self, /, name, fields)\n--\n\n"
      "Declare the attribute fields of a collection's filter index (each a str or\n"
      "{\"field\": str, ...}); an empty sequence drops it. Speed only: filtered search,\n"
      "list, aggregate and delete_where return the same with or without it. Creates the\n"
      "collection if absent."),
    M(get_filter_index, METH_VARARGS | METH_KEYWORDS,
      "get_filter_index($self, /, name)\n--\n\nThe fields declared for a collection's filter index ([] if none)."),
    M(upsert, METH_VARARGS | METH_KEYWORDS,
      "upsert($self, /, collection, records)\n--\n\n"
      "Insert or replace records by id; returns how many were given.\n\n"
      "records: a list of dicts {\"id\": str, \"vector\": [floats] or a 1-D array,\n"
      "\"attrs\": {key: value}}. Values: None, bool, int (i64), float (finite), str,\n"
      "list of str, aware datetime, or v.* helpers. The batch is all-or-nothing: on any\n"
      "error (DimensionError, InvalidArgumentError for a non-finite vector, ...) the store\n"
      "is unchanged. A repeated id: the last one wins. The collection is created if absent."),
    M(upsert_many, METH_VARARGS | METH_KEYWORDS,
      "upsert_many($self, /, collection, ids, vectors, attrs=None, *, normalized=False)\n--\n\n"
      "The numpy fast path of upsert: ids (a list of n str), vectors (a float32 array of\n"
      "shape (n, d), read through the buffer protocol with no Python object per float;\n"
      "a strided array is copied once), attrs (None or a list of n mappings or None).\n"
      "normalized=True keeps the bits of vectors that are already stored vectors (a copy\n"
      "from records(numpy=True)) in a cosine store. All-or-nothing; returns n."),
    M(delete, METH_VARARGS | METH_KEYWORDS,
      "delete($self, /, collection, ids)\n--\n\n"
      "Delete records by id; missing ids are skipped. Returns the number deleted."),
    M(delete_where, METH_VARARGS | METH_KEYWORDS,
      "delete_where($self, /, collection, filter)\n--\n\n"
      "Delete every record matching the filter (a list of f.* predicates). Returns the\n"
      "number deleted. An empty filter raises ValueError (use drop_collection)."),
    M(records, METH_VARARGS | METH_KEYWORDS,
      "records($self, /, collection, *, numpy=False)\n--\n\n"
      "Every record of a collection, sorted by id: a list of Record(id, vector, attrs).\n"
      "vector is a list of floats, or with numpy=True a float32 array (rows of one matrix)."),
    M(get, METH_VARARGS | METH_KEYWORDS,
      "get($self, /, collection, ids, *, numpy=False)\n--\n\n"
      "The records with the given ids, in the order asked; missing ids are left out."),
    M(search, METH_VARARGS | METH_KEYWORDS,
      "search($self, /, *, query, scope=None, top_k=None, offset=None, min_score=None,\n"
      "       filter=None, exact=None, include_attributes=None, exclude_attributes=None,\n"
      "       threads=None, arrays=False)\n--\n\n"
      "Exact nearest neighbours of `query` by the store's distance, best first.\n\n"
      "query: a sequence of numbers or a 1-D array of reals (float32/float64 read directly,\n"
      "other dtypes element by element) of the store's dimension.\n"
      "scope: collection names (None or [] = every collection). top_k: hits wanted\n"
      "(default 10). offset: skip that many top-ranked hits (pages tile one ranking).\n"
      "min_score: drop hits scoring below it. filter: a list of f.* predicates (ANDed).\n"
      "exact: accepted for the SDK's sake; search is always exact. include_attributes /\n"
      "exclude_attributes: project the attrs returned (mutually exclusive). threads: scan\n"
      "threads (0 or None = every core, 1 = this thread). arrays=True returns\n"
      "HitArrays(scores, rows, ids, collections) with numpy arrays instead of Hits.\n\n"
      "Returns a list of Hit(collection, id, score, attrs); hit.row is the data row.\n"
      "The GIL is released during the scan, so threads search in parallel."),
    M(search_batch, METH_VARARGS | METH_KEYWORDS,
      "search_batch($self, /, queries, *, scope=None, top_k=None, offset=None,\n"
      "             min_score=None, filter=None, include_attributes=None,\n"
      "             exclude_attributes=None, threads=None, arrays=False)\n--\n\n"
      "Answer q queries in one pass over the rows (nidus_search_batch): queries is a\n"
      "float32 array of shape (q, d). Each query's hits equal search()'s exactly. Returns\n"
      "a list of q lists of Hit, or with arrays=True HitArrays whose scores (float32) and\n"
      "rows (int64) have shape (q, w), w the longest hit list (top_k when that many\n"
      "match), shorter lists padded with NaN and -1."),
    M(flush, METH_NOARGS, "flush($self, /)\n--\n\nfsync the data file then the log (a no-op in memory)."),
    M(compact, METH_NOARGS,
      "compact($self, /)\n--\n\nRewrite the files to hold only live records (crash-atomic)."),
    M(search_similar, METH_VARARGS | METH_KEYWORDS,
      "search_similar($self, /, *, collection, id, scope=None, top_k=None, offset=None,\n"
      "               min_score=None, filter=None, exact=None, include_attributes=None,\n"
      "               exclude_attributes=None, threads=None, arrays=False)\n--\n\n"
      "Records most like the stored record collection/id: a search with its stored vector\n"
      "that leaves the record itself out (a duplicate under another id is still a hit).\n"
      "An omitted or empty scope means the source's own collection, not every collection;\n"
      "every other argument is search()'s. NotFoundError for a missing record."),
    M(list, METH_VARARGS | METH_KEYWORDS,
      "list($self, /, *, scope=None, offset=None, limit=None, filter=None,\n"
      "     include_attributes=None, exclude_attributes=None, order_by=None)\n--\n\n"
      "Records matching the filter without a query vector, paged by offset/limit (default\n"
      "100), as Hits with score 0.0 (row None). Storage order, or order_by={\"field\": name,\n"
      "\"descending\": bool}: records whose field is not of the first orderable value's type\n"
      "(or absent, Null, a List) follow in one trailing group, in either direction."),
    M(aggregate, METH_VARARGS | METH_KEYWORDS,
      "aggregate($self, /, *, scope=None, filter=None, sum=None, group_by=None, max_groups=None)\n--\n\n"
      "Count the records the filter matches and sum the attributes named in `sum` (Int and\n"
      "Float only; others skipped): Aggregation(count, sums, groups, groups_truncated). A\n"
      "sum is an int while every addend is an Int and the total fits i64, else a float.\n"
      "group_by adds one Group(value, count, sums) per distinct value, largest first;\n"
      "group.missing is True for the records lacking the attribute (value None)."),
    M(_bench_c_search, METH_VARARGS,
      "_bench_c_search($self, query, top_k, threads, repeats, /)\n--\n\n"
      "Bench hook: seconds for `repeats` nidus_search calls made from C."),
    M(_bench_c_upsert, METH_VARARGS,
      "_bench_c_upsert($self, collection, vectors, /)\n--\n\n"
      "Bench hook: seconds to build records over a float32 matrix and nidus_upsert them from C."),
    {NULL, NULL, 0, NULL}};

PyTypeObject nb_StoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nidus._nidus.Store",
    .tp_basicsize = sizeof(Store),
    .tp_dealloc = (destructor)Store_dealloc,
    .tp_repr = (reprfunc)Store_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Store(path, dim=None, read_only=False, fsync=None, distance=None, auto_compact=None, "
              "max_vector_bytes=None, *, shadow=True, map_rows=True)\n--\n\n"
              "An exact vector store, in process (libnidus). Opens the store directory `path`,\n"
              "creating it when absent (then `dim` is required).\n\n"
              "dim: the vector length; None adopts the existing store's (must match if given).\n"
              "read_only: take no lock and write nothing; any number of readers may share a\n"
              "store with one writer process. fsync: \"per_batch\" (default; every write is\n"
              "durable when it returns) or \"on_flush\". distance: \"cosine\" (default for a new\n"
              "store), \"euclidean\" or \"dot\"; None adopts the store's. auto_compact: compact on\n"
              "open above this dead/rows ratio (default 0.5; False disables). max_vector_bytes:\n"
              "a cap on rows * dim * 4. shadow: keep the int8 shadow copy that screens single\n"
              "queries (same results; False scores every row exactly). map_rows: read the rows\n"
              "through a shared read-only mapping of the data file (fast open, one page-cache\n"
              "copy for every process); False copies them into this process.\n\n"
              "A context manager: `with nidus.Store(path) as db:` closes on exit. Methods follow\n"
              "nidus's HTTP SDK (NidusClient), so SDK code runs in process by changing the\n"
              "constructor. Failures raise NidusError subclasses (LockedError, DimensionError,\n"
              "ReadOnlyError, CorruptError, ...).",
    .tp_weaklistoffset = offsetof(Store, weakrefs),
    .tp_methods = Store_methods,
    .tp_getset = Store_getset,
    .tp_init = (initproc)Store_init,
    .tp_new = Store_new,
};

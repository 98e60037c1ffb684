/* module.c — the nidus._nidus module: result types, errors, module functions. */
#include "binding.h"

PyTypeObject *nb_HitType, *nb_RecordType, *nb_FootprintType, *nb_StatsType, *nb_HitArraysType,
    *nb_AggregationType, *nb_GroupType;

/* ---- result types: struct sequences (tuple-fast to build, named fields) ---- */

static PyStructSequence_Field hit_fields[] = {
    {"collection", "the hit's collection"},
    {"id", "the record's id"},
    {"score", "by the store's distance, higher is better: cosine similarity, dot product or -|q - v|^2"},
    {"attrs", "the record's attributes as plain Python values"},
    {"row", "the record's row in the store's data file (ties rank the lower row first)"},
    {NULL, NULL}};
static PyStructSequence_Desc hit_desc = {"nidus.Hit", "One search result: collection, id, score, attrs (and row).",
                                         hit_fields, 4};

static PyStructSequence_Field record_fields[] = {
    {"id", "the record's id"},
    {"vector", "the stored vector: a list of floats (unit-normalized in a cosine store), or a float32 "
               "numpy array when asked for"},
    {"attrs", "the record's attributes as plain Python values"},
    {"collection", "the record's collection"},
    {NULL, NULL}};
static PyStructSequence_Desc record_desc = {"nidus.Record", "A stored record: id, vector, attrs (and collection).",
                                            record_fields, 3};

static PyStructSequence_Field footprint_fields[] = {
    {"rows", "rows in the data file: live, dead and orphaned"},
    {"dead_rows", "rows no record uses any more (reclaimed by compact)"},
    {"dimension", "the vector length"},
    {"vector_bytes", "rows * dimension * 4"},
    {"doc_count", "live records"},
    {"filter_index_bytes", "bytes held by the declared filter indexes (0: none)"},
    {"index_bytes", "estimated memory of the in-memory index beyond the vectors"},
    {"shadow_bytes", "memory of the int8 shadow copy of the rows (0 until the first search, or shadow=False)"},
    {"mapped_bytes", "how much of vector_bytes is read through the shared mapping of the data file (page cache)"},
    {NULL, NULL}};
static PyStructSequence_Desc footprint_desc = {"nidus.Footprint", "Size of the store.", footprint_fields, 6};

static PyStructSequence_Field stats_fields[] = {{"dimension", "the vector length"},
                                                {"distance", "\"Cosine\", \"Euclidean\" or \"DotProduct\""},
                                                {"ann", "always None: search is exact"},
                                                {"collections", "collection names, sorted"},
                                                {"footprint", "a Footprint"},
                                                {NULL, NULL}};
static PyStructSequence_Desc stats_desc = {"nidus.Stats", "Store-wide introspection, as nidus's /stats.",
                                           stats_fields, 5};

static PyStructSequence_Field arrays_fields[] = {
    {"scores", "float32 numpy array of scores, best first; (k,) for one query, (q, k) for a batch, padded "
               "with NaN where a query has fewer than k hits"},
    {"rows", "int64 numpy array of the hits' data rows, shaped as scores, -1 where padded"},
    {"ids", "the hits' ids: a list for one query, a list of lists for a batch (not padded)"},
    {"collections", "the hits' collections, shaped as ids"},
    {NULL, NULL}};
static PyStructSequence_Desc arrays_desc = {"nidus.HitArrays", "Search results as numpy arrays.", arrays_fields, 4};

static PyStructSequence_Field agg_fields[] = {
    {"count", "records matched"},
    {"sums", "one sum per field asked for: int while every value is an Int, else float"},
    {"groups", "one Group per distinct group_by value, largest first"},
    {"groups_truncated", "distinct values outran the cap and later ones were dropped"},
    {NULL, NULL}};
static PyStructSequence_Desc agg_desc = {"nidus.Aggregation", "The answer of Store.aggregate.", agg_fields, 4};

static PyStructSequence_Field group_fields[] = {
    {"value", "the group's value (None for the records missing the attribute)"},
    {"count", "records in the group"},
    {"sums", "the sums over the group"},
    {"missing", "True for the group of records that lack the attribute (value is then None)"},
    {NULL, NULL}};
static PyStructSequence_Desc group_desc = {"nidus.Group", "One group of Store.aggregate(group_by=...).",
                                           group_fields, 3};

/* ---- errors ---- */

static PyObject *errors_mod;

PyObject *nb_raise(int rc, const char *msg) {
    if (!errors_mod) errors_mod = PyImport_ImportModule("nidus.errors");
    if (!errors_mod) return NULL;
    PyObject *cls = PyObject_CallMethod(errors_mod, "error_class", "i", rc);
    if (!cls) return NULL;
    /* Decoded with replacement: a message quoting a path or key that is not UTF-8
     * must still raise the right class with its code. */
    const char *text = msg && *msg ? msg : nidus_strerror(rc);
    PyObject *m = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    PyObject *exc = m ? PyObject_CallFunction(cls, "Oi", m, rc) : NULL;
    Py_XDECREF(m);
    Py_DECREF(cls);
    if (!exc) return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

/* ---- module functions ---- */

static PyObject *mod_library_version(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(nidus_version_string());
}

static PyObject *mod_kernel_name(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(nidus_kernel_name());
}

static PyObject *mod_batch_kernel_name(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(nidus_batch_kernel_name());
}

static PyObject *mod_strerror(PyObject *self, PyObject *arg) {
    (void)self;
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(nidus_strerror(v < -1000 || v > 1000 ? -1 : (int)v));
}

#ifdef NIDUS_PY_LEAK_CANARY
/* Only in the sanitizer build: leaks n bytes on purpose, so the leak check can prove
 * it sees a leak made inside the extension (python/tools/asan_leaks.py). */
static PyObject *mod_leak_canary(PyObject *self, PyObject *arg) {
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0 && PyErr_Occurred()) return NULL;
    void *volatile p = PyMem_RawMalloc(n > 0 ? (size_t)n : 1);
    p = NULL;
    (void)p;
    Py_RETURN_NONE;
}
#endif

static PyMethodDef module_methods[] = {
    {"library_version", mod_library_version, METH_NOARGS,
     "library_version()\n--\n\nThe linked libnidus version, e.g. \"0.4.0\"."},
    {"kernel_name", mod_kernel_name, METH_NOARGS,
     "kernel_name()\n--\n\nThe exact kernels in use: \"avx2\", \"neon\" or \"portable\"."},
    {"batch_kernel_name", mod_batch_kernel_name, METH_NOARGS,
     "batch_kernel_name()\n--\n\nThe kernel that screens query batches: \"avx512\", \"avx2-fma\" or \"none\"."},
    {"strerror", mod_strerror, METH_O, "strerror(code, /)\n--\n\nThe static description of a result code."},
#ifdef NIDUS_PY_LEAK_CANARY
    {"_leak_canary", mod_leak_canary, METH_O, "Leak n bytes (sanitizer build only)."},
#endif
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "nidus._nidus",
    "The C extension behind the nidus package: libnidus, in process. Use the nidus package.", -1, module_methods,
    NULL, NULL, NULL, NULL};

static int add_structseq(PyObject *m, PyTypeObject **slot, PyStructSequence_Desc *desc, const char *name) {
    *slot = PyStructSequence_NewType(desc);
    if (!*slot) return -1;
    /* Pickling a struct sequence looks the type up by its module and name. */
    PyObject *mod = PyUnicode_FromString("nidus");
    int rc = mod ? PyObject_SetAttrString((PyObject *)*slot, "__module__", mod) : -1;
    Py_XDECREF(mod);
    if (rc < 0) return -1;
    Py_INCREF(*slot);
    return PyModule_AddObject(m, name, (PyObject *)*slot);
}

PyMODINIT_FUNC PyInit__nidus(void);
PyMODINIT_FUNC PyInit__nidus(void) {
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    if (nb_values_init(m) < 0) goto fail;
    if (add_structseq(m, &nb_HitType, &hit_desc, "Hit") < 0 ||
        add_structseq(m, &nb_RecordType, &record_desc, "Record") < 0 ||
        add_structseq(m, &nb_FootprintType, &footprint_desc, "Footprint") < 0 ||
        add_structseq(m, &nb_StatsType, &stats_desc, "Stats") < 0 ||
        add_structseq(m, &nb_HitArraysType, &arrays_desc, "HitArrays") < 0 ||
        add_structseq(m, &nb_AggregationType, &agg_desc, "Aggregation") < 0 ||
        add_structseq(m, &nb_GroupType, &group_desc, "Group") < 0)
        goto fail;
    if (PyType_Ready(&nb_StoreType) < 0) goto fail;
    Py_INCREF(&nb_StoreType);
    if (PyModule_AddObject(m, "Store", (PyObject *)&nb_StoreType) < 0) goto fail;
    if (PyModule_AddStringConstant(m, "HEADER_VERSION", NIDUS_VERSION_STRING) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}

/* vectors.c — vectors and matrices through the buffer protocol; numpy on request.
 *
 * numpy is never a build dependency: input arrives through the buffer protocol (which
 * numpy arrays, array.array and memoryview all speak) and output arrays are made by
 * numpy.frombuffer over a bytearray, imported only when a caller asks for arrays. */
#include "binding.h"

#include <string.h>

/* 'f' (float32) or 'd' (float64) in native order, else 0. */
static char float_format(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    if (*f == '@' || *f == '=' || (*f == '<' && PY_LITTLE_ENDIAN)) f++;
    if (f[0] && !f[1] && (f[0] == 'f' || f[0] == 'd')) return f[0];
    return 0;
}

/* One real number per element (integers, bool, float16/32/64, any byte order):
 * not complex, not a struct. */
static int real_format(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    if (*f && strchr("@=<>!", *f)) f++;
    return f[0] && !f[1] && strchr("bBhHiIlLqQnNe?fd", f[0]) != NULL;
}

int nb_to_vector(nb_arena *a, PyObject *o, const char *what, const float **out, size_t *dim) {
    if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of numbers, not %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (PyObject_CheckBuffer(o)) {
        Py_buffer v;
        if (PyObject_GetBuffer(o, &v, PyBUF_RECORDS_RO) == 0) {
            char fmt = float_format(&v);
            int rc = -1;
            if (!fmt && v.ndim == 1 && real_format(&v)) {
                /* Integers, float16, another byte order: element by element below, as
                 * the SDK's float() of each element. */
                PyBuffer_Release(&v);
                goto sequence;
            }
            if (!fmt) {
                PyErr_Format(PyExc_TypeError, "%s must hold real numbers (buffer format '%s')", what,
                             v.format ? v.format : "B");
            } else if (v.ndim != 1) {
                PyErr_Format(PyExc_ValueError, "%s must be 1-dimensional, got %d dimensions", what, v.ndim);
            } else {
                size_t n = (size_t)v.shape[0];
                float *f = nb_alloc_array(a, n ? n : 1, sizeof *f);
                if (f) {
                    const char *p = v.buf;
                    for (size_t i = 0; i < n; i++, p += v.strides[0]) {
                        if (fmt == 'f') memcpy(&f[i], p, sizeof(float));
                        else {
                            double d;
                            memcpy(&d, p, sizeof d);
                            f[i] = (float)d;
                        }
                    }
                    *out = f;
                    *dim = n;
                    rc = 0;
                }
            }
            PyBuffer_Release(&v);
            return rc;
        }
        PyErr_Clear(); /* not a strided buffer: try it as a sequence */
    }
sequence:;
    PyObject *t = PySequence_Tuple(o);
    if (!t) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of numbers, not %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    float *f = nb_alloc_array(a, (size_t)n ? (size_t)n : 1, sizeof *f);
    if (!f) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(t, i);
        double d = PyBool_Check(x) ? -1.0 : PyFloat_AsDouble(x);
        if (PyBool_Check(x) || (d == -1.0 && PyErr_Occurred())) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s expects numbers, got %R at index %zd", what, x, i);
            goto fail;
        }
        f[i] = (float)d;
    }
    Py_DECREF(t);
    *out = f;
    *dim = (size_t)n;
    return 0;
fail:
    Py_DECREF(t);
    return -1;
}

int nb_to_matrix(nb_arena *a, PyObject *o, const char *what, Py_buffer *view, const float **data, size_t *rows,
                 size_t *cols) {
    if (!PyObject_CheckBuffer(o) || PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a 2-D float32 array (numpy.ndarray of shape (n, d)), not %.100s",
                     what, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(o, view, PyBUF_RECORDS_RO) < 0) return -1;
    char fmt = float_format(view);
    if (fmt != 'f' || view->itemsize != 4) {
        PyErr_Format(PyExc_TypeError, "%s must have dtype float32 (buffer format '%s'); convert with .astype(numpy.float32)",
                     what, view->format ? view->format : "B");
        goto fail;
    }
    if (view->ndim != 2) {
        PyErr_Format(PyExc_ValueError, "%s must be 2-dimensional (n, d), got %d dimensions", what, view->ndim);
        goto fail;
    }
    *rows = (size_t)view->shape[0];
    *cols = (size_t)view->shape[1];
    if (PyBuffer_IsContiguous(view, 'C')) {
        *data = view->buf;
        return 0;
    }
    /* Strided (a slice or a transpose): one contiguous copy. */
    float *copy = nb_alloc(a, view->len ? (size_t)view->len : 1);
    if (!copy || PyBuffer_ToContiguous(copy, view, view->len, 'C') < 0) goto fail;
    *data = copy;
    return 0;
fail:
    PyBuffer_Release(view);
    return -1;
}

static PyObject *numpy_mod;

PyObject *nb_numpy(void) {
    if (!numpy_mod) numpy_mod = PyImport_ImportModule("numpy");
    return numpy_mod;
}

PyObject *nb_array(const void *bytes, size_t elem, const char *dtype, Py_ssize_t d0, Py_ssize_t d1) {
    PyObject *np = nb_numpy();
    if (!np) return NULL;
    size_t n = (size_t)d0 * (size_t)(d1 >= 0 ? d1 : 1);
    PyObject *ba = PyByteArray_FromStringAndSize(bytes, (Py_ssize_t)(n * elem));
    if (!ba) return NULL;
    PyObject *arr = PyObject_CallMethod(np, "frombuffer", "Os", ba, dtype);
    Py_DECREF(ba);
    if (!arr || d1 < 0) return arr;
    PyObject *shaped = PyObject_CallMethod(arr, "reshape", "nn", d0, d1);
    Py_DECREF(arr);
    return shaped;
}

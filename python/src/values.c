/* values.c — Python values <-> nidus_value, as nidus 0.80's Python SDK maps them.
 *
 * Plain values: None -> Null, bool -> Bool (tested before int: bool is an int),
 * int -> Int (i64), float -> Float (finite), str -> Str, list/tuple of str -> List,
 * aware datetime -> DateTime (ms since the epoch, floor-divided). Tagged values as
 * the SDK's v.* build them pass too: {"Str": s}, {"Int": n}, {"Bool": b},
 * {"Float": x}, {"DateTime": ms or datetime}, {"List": [...]} and the bare string
 * "Null" — which is why a text that is literally "Null" must be v.str("Null"), as
 * with the SDK. */
#include "binding.h"

#include <datetime.h>
#include <math.h>
#include <string.h>

static PyObject *EPOCH;  /* datetime(1970, 1, 1, tzinfo=timezone.utc) */
static PyObject *ONE_MS; /* timedelta(milliseconds=1) */

int nb_values_init(PyObject *module) {
    (void)module;
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return -1;
    EPOCH = PyDateTimeAPI->DateTime_FromDateAndTime(1970, 1, 1, 0, 0, 0, 0, PyDateTime_TimeZone_UTC,
                                                    PyDateTimeAPI->DateTimeType);
    ONE_MS = PyDelta_FromDSU(0, 0, 1000);
    return EPOCH && ONE_MS ? 0 : -1;
}

static int checked_int(PyObject *o, int64_t *out, const char *what) {
    if (PyBool_Check(o) || !PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s expects an integer, got %.100s: %R", what, Py_TYPE(o)->tp_name, o);
        return -1;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_ValueError, "%s expects an i64, got %R (out of range)", what, o);
        return -1;
    }
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = (int64_t)v;
    return 0;
}

static int checked_float(PyObject *o, double *out, const char *what) {
    if (PyBool_Check(o) || !(PyFloat_Check(o) || PyLong_Check(o))) {
        PyErr_Format(PyExc_TypeError, "%s expects a number, got %.100s: %R", what, Py_TYPE(o)->tp_name, o);
        return -1;
    }
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred()) return -1;
    if (!isfinite(d)) {
        PyErr_Format(PyExc_ValueError, "%s expects a finite number, got %R", what, o);
        return -1;
    }
    *out = d;
    return 0;
}

static int checked_datetime(PyObject *o, int64_t *out, const char *what) {
    if (PyLong_Check(o)) return checked_int(o, out, what);
    if (!PyDateTime_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s expects a datetime or epoch milliseconds, got %.100s: %R", what,
                     Py_TYPE(o)->tp_name, o);
        return -1;
    }
    PyObject *off = PyObject_CallMethod(o, "utcoffset", NULL);
    if (!off) return -1;
    int naive = off == Py_None;
    Py_DECREF(off);
    if (naive) {
        PyErr_Format(PyExc_ValueError,
                     "%s expects an aware datetime, got the naive %R; a DateTime is an instant, so attach a "
                     "timezone (e.g. datetime.timezone.utc)",
                     what, o);
        return -1;
    }
    /* (o - epoch) // 1 ms: exact integer arithmetic, no float on the way. */
    PyObject *delta = PyNumber_Subtract(o, EPOCH);
    if (!delta) return -1;
    PyObject *ms = PyNumber_FloorDivide(delta, ONE_MS);
    Py_DECREF(delta);
    if (!ms) return -1;
    int rc = checked_int(ms, out, what);
    Py_DECREF(ms);
    return rc;
}

static int checked_list(nb_arena *a, PyObject *o, nidus_value *out, const char *what) {
    if (PyUnicode_Check(o) || PyBytes_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: a List expects a sequence of str, not a single %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: a List expects a list of str, got %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    nidus_str *items = nb_alloc_array(a, (size_t)n, sizeof *items);
    if (!items) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(o, i);
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "%s: a List must contain only strings, got %R", what, s);
            return -1;
        }
        if (!(items[i].ptr = nb_str(a, s, what, 1, &items[i].len))) return -1;
    }
    *out = nidus_list(items, (size_t)n);
    return 0;
}

static const char *const TAGS[] = {"Str", "Int", "Bool", "List", "Float", "DateTime"};

int nb_to_value(nb_arena *a, PyObject *o, nidus_value *out, const char *what) {
    if (o == Py_None) {
        *out = nidus_null();
        return 0;
    }
    if (PyBool_Check(o)) {
        *out = nidus_bool(o == Py_True);
        return 0;
    }
    if (PyUnicode_Check(o)) {
        if (PyUnicode_CompareWithASCIIString(o, "Null") == 0) {
            *out = nidus_null();
            return 0;
        }
        out->type = NIDUS_STR;
        out->v.str.ptr = nb_str(a, o, what, 1, &out->v.str.len);
        return out->v.str.ptr ? 0 : -1;
    }
    if (PyLong_Check(o)) {
        int64_t i;
        if (checked_int(o, &i, what) < 0) return -1;
        *out = nidus_int(i);
        return 0;
    }
    if (PyFloat_Check(o)) {
        double d;
        if (checked_float(o, &d, what) < 0) return -1;
        *out = nidus_float(d);
        return 0;
    }
    if (PyDateTime_Check(o)) {
        int64_t ms;
        if (checked_datetime(o, &ms, what) < 0) return -1;
        *out = nidus_datetime(ms);
        return 0;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) return checked_list(a, o, out, what);
    if (PyDict_Check(o)) {
        PyObject *key = NULL, *val = NULL;
        Py_ssize_t pos = 0;
        int tag = -1;
        if (PyDict_GET_SIZE(o) == 1 && PyDict_Next(o, &pos, &key, &val) && PyUnicode_Check(key)) {
            for (int t = 0; t < 6; t++)
                if (PyUnicode_CompareWithASCIIString(key, TAGS[t]) == 0) tag = t;
        }
        if (tag < 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s: a tagged value is a dict with exactly one of the keys Str, Int, Bool, List, Float, "
                         "DateTime (as v.* builds it), got %R",
                         what, o);
            return -1;
        }
        Py_INCREF(val); /* the dict may be changed by code run below (a tzinfo) */
        int rc = -1;
        int64_t i;
        double d;
        switch (tag) {
        case 0:
            if (!PyUnicode_Check(val)) {
                PyErr_Format(PyExc_TypeError, "%s: {\"Str\": ...} expects a str, got %R", what, val);
                break;
            }
            out->type = NIDUS_STR;
            out->v.str.ptr = nb_str(a, val, what, 1, &out->v.str.len);
            rc = out->v.str.ptr ? 0 : -1;
            break;
        case 1:
            if ((rc = checked_int(val, &i, what)) == 0) *out = nidus_int(i);
            break;
        case 2:
            if (!PyBool_Check(val)) {
                PyErr_Format(PyExc_TypeError, "%s: {\"Bool\": ...} expects a bool, got %R", what, val);
                break;
            }
            *out = nidus_bool(val == Py_True);
            rc = 0;
            break;
        case 3: rc = checked_list(a, val, out, what); break;
        case 4:
            if ((rc = checked_float(val, &d, what)) == 0) *out = nidus_float(d);
            break;
        default:
            if ((rc = checked_datetime(val, &i, what)) == 0) *out = nidus_datetime(i);
            break;
        }
        Py_DECREF(val);
        return rc;
    }
    PyErr_Format(PyExc_TypeError, "%s: cannot encode a value of type %.100s: %R", what, Py_TYPE(o)->tp_name, o);
    return -1;
}

int nb_to_attrs(nb_arena *a, PyObject *map, const nidus_attr **out, size_t *n, const char *what) {
    *out = NULL;
    *n = 0;
    if (map == NULL || map == Py_None) return 0;
    if (!PyMapping_Check(map) || PyUnicode_Check(map) || PyList_Check(map) || PyTuple_Check(map)) {
        PyErr_Format(PyExc_TypeError, "%s must be a mapping of str to values, not %.100s", what,
                     Py_TYPE(map)->tp_name);
        return -1;
    }
    /* A snapshot of the items: converting a value can run Python code. */
    PyObject *items = PyMapping_Items(map);
    if (!items) return -1;
    Py_ssize_t len = PyList_GET_SIZE(items);
    nidus_attr *attrs = nb_alloc_array(a, (size_t)len, sizeof *attrs);
    if (!attrs) goto fail;
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2) {
            PyErr_Format(PyExc_TypeError, "%s: items() must yield (key, value) pairs", what);
            goto fail;
        }
        PyObject *k = PyTuple_GET_ITEM(kv, 0);
        char sub[160];
        snprintf(sub, sizeof sub, "%s key", what);
        if (!(attrs[i].key = nb_str(a, k, sub, 0, NULL))) goto fail;
        snprintf(sub, sizeof sub, "%s[%.100s]", what, attrs[i].key);
        if (nb_to_value(a, PyTuple_GET_ITEM(kv, 1), &attrs[i].value, sub) < 0) goto fail;
    }
    Py_DECREF(items);
    *out = attrs;
    *n = (size_t)len;
    return 0;
fail:
    Py_DECREF(items);
    return -1;
}

/* EPOCH + ms, as an aware UTC datetime. */
static PyObject *from_ms(int64_t ms) {
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days -= 1;
    }
    if (days > 999999999 || days < -999999999) goto range;
    PyObject *delta = PyDelta_FromDSU((int)days, (int)(rem / 1000), (int)(rem % 1000) * 1000);
    if (!delta) return NULL;
    PyObject *dt = PyNumber_Add(EPOCH, delta);
    Py_DECREF(delta);
    if (dt || !PyErr_ExceptionMatches(PyExc_OverflowError)) return dt;
    PyErr_Clear();
range:
    PyErr_Format(PyExc_OverflowError, "DateTime %lld ms is outside the range of Python's datetime", (long long)ms);
    return NULL;
}

PyObject *nb_from_value(const nidus_value *v) {
    switch (v->type) {
    case NIDUS_NULL: Py_RETURN_NONE;
    case NIDUS_STR: return PyUnicode_DecodeUTF8(v->v.str.ptr, (Py_ssize_t)v->v.str.len, "strict");
    case NIDUS_INT: return PyLong_FromLongLong(v->v.i);
    case NIDUS_BOOL: return PyBool_FromLong(v->v.b);
    case NIDUS_FLOAT: return PyFloat_FromDouble(v->v.f);
    case NIDUS_DATETIME: return from_ms(v->v.i);
    case NIDUS_LIST: {
        PyObject *l = PyList_New((Py_ssize_t)v->v.list.count);
        if (!l) return NULL;
        for (size_t i = 0; i < v->v.list.count; i++) {
            PyObject *s = PyUnicode_DecodeUTF8(v->v.list.items[i].ptr, (Py_ssize_t)v->v.list.items[i].len, "strict");
            if (!s) {
                Py_DECREF(l);
                return NULL;
            }
            PyList_SET_ITEM(l, (Py_ssize_t)i, s);
        }
        return l;
    }
    }
    PyErr_Format(PyExc_SystemError, "unknown value type %d", (int)v->type);
    return NULL;
}

static int in_names(const char *key, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, names[i]) == 0) return 1;
    return 0;
}

PyObject *nb_from_attrs(const nidus_attr *attrs, size_t n, const char *const *keep, size_t n_keep,
                        const char *const *drop, size_t n_drop) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (keep && !in_names(attrs[i].key, keep, n_keep)) continue;
        if (drop && in_names(attrs[i].key, drop, n_drop)) continue;
        PyObject *v = nb_from_value(&attrs[i].value);
        if (!v || PyDict_SetItemString(d, attrs[i].key, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(v);
    }
    return d;
}

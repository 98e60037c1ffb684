/* test_attrs.h — build an internal attribute set (nattrs) in one expression for
 * tests of value.c and filter.c: ATTRS(A("k", nidus_int(1)), ...) runs the same
 * validation a write does and fails the test if it refuses. The caller frees the
 * set with nidus__attrs_free. */
#ifndef NIDUS_TEST_ATTRS_H
#define NIDUS_TEST_ATTRS_H

#include "test.h"
#include "test_hooks.h"

static inline nattrs mk(const nidus_attr *in, size_t n) {
    nattrs a;
    nerr e = {0};
    int rc = nidus__attrs_from_input(in, n, &a, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "attrs_from_input -> %d: %s", rc, e.msg);
    return a;
}

#define N_OF(T, ...) (sizeof((T[]){__VA_ARGS__}) / sizeof(T))
#define ATTRS(...) mk((const nidus_attr[]){__VA_ARGS__}, N_OF(nidus_attr, __VA_ARGS__))
#define A(k, v) ((nidus_attr){(k), (v)})

#endif

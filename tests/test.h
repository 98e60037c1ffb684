/*
 * test.h — the test harness. Each TEST registers itself at load time; the runner
 * (tests/runner.c) forks one child per test, so a crash, a leak (under ASan) or a
 * failed check is confined to that test. Checks print both sides and file:line.
 */
#ifndef NIDUS_TEST_H
#define NIDUS_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nidus.h"

typedef void (*t_fn)(void);
void t_register(const char *name, const char *file, t_fn fn);
_Noreturn void t_fail(const char *file, int line, const char *fmt, ...);

#define TEST(name)                                                                  \
    static void test_##name(void);                                                  \
    __attribute__((constructor)) static void t_reg_##name(void) {                   \
        t_register(#name, __FILE__, test_##name);                                   \
    }                                                                               \
    static void test_##name(void)

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) t_fail(__FILE__, __LINE__, "check failed: %s", #c);               \
    } while (0)

#define CHECK_INT(a, b)                                                             \
    do {                                                                            \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                     \
        if (t_a_ != t_b_)                                                           \
            t_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, t_a_, t_b_); \
    } while (0)

#define CHECK_U64(a, b)                                                             \
    do {                                                                            \
        unsigned long long t_a_ = (unsigned long long)(a), t_b_ = (unsigned long long)(b); \
        if (t_a_ != t_b_)                                                           \
            t_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, t_a_, t_b_); \
    } while (0)

#define CHECK_STR(a, b)                                                             \
    do {                                                                            \
        const char *t_a_ = (a), *t_b_ = (b);                                        \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                             \
            t_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,        \
                   t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                 \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                       \
    do {                                                                            \
        double t_a_ = (double)(a), t_b_ = (double)(b);                              \
        if (!(fabs(t_a_ - t_b_) <= (eps)))                                          \
            t_fail(__FILE__, __LINE__, "%s ~= %s: %.9g vs %.9g (eps %g)", #a, #b,   \
                   t_a_, t_b_, (double)(eps));                                      \
    } while (0)

/* A library call that must succeed: on failure prints the code and message. */
#define CHECK_OK_DB(db, call)                                                       \
    do {                                                                            \
        int t_rc_ = (call);                                                         \
        if (t_rc_ != NIDUS_OK)                                                      \
            t_fail(__FILE__, __LINE__, "%s -> %d (%s): %s", #call, t_rc_,           \
                   nidus_strerror(t_rc_), nidus_errmsg(db));                        \
    } while (0)

#define CHECK_RC(call, want)                                                        \
    do {                                                                            \
        int t_rc_ = (call);                                                         \
        if (t_rc_ != (want))                                                        \
            t_fail(__FILE__, __LINE__, "%s -> %d (%s), want %s", #call, t_rc_,      \
                   nidus_strerror(t_rc_), #want);                                   \
    } while (0)

/* A fresh empty directory, removed when the test ends. Returned string lives
 * until then. */
const char *t_tmpdir(void);
/* path joined with name, in a static ring of buffers. */
const char *t_path(const char *dir, const char *name);
/* Whole file into a malloc'd buffer (caller frees); NULL if missing. */
unsigned char *t_read_file(const char *path, size_t *len);
void t_write_file(const char *path, const void *buf, size_t len);
long long t_file_size(const char *path); /* -1 if missing */
/* Copy directory src (flat) into dst (created). */
void t_copy_dir(const char *src, const char *dst);
/* Root of the source tree (for tests/golden and ../shared), from NIDUS_SRCDIR. */
const char *t_srcdir(void);

#endif

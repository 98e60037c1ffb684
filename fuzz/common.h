/*
 * common.h — helpers shared by the fuzz targets (fuzz/fuzz_*.c).
 *
 * Every target defines LLVMFuzzerTestOneInput and is built two ways:
 *   - with libFuzzer (`make fuzz`: clang -fsanitize=fuzzer,address,undefined);
 *   - with fuzz/replay.c as main (`make fuzz-replay`, part of `make test`), with any
 *     compiler, to replay the committed corpora under fuzz/corpus/<target>/.
 * A failed property calls FZ_CHECK, which prints what and where, then abort()s:
 * libFuzzer records the input as a crash, replay counts a failure.
 */
#ifndef NIDUS_FUZZ_COMMON_H
#define NIDUS_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                                    \
    do {                                                                               \
        if (!(c)) fz_fail(__FILE__, __LINE__, "check failed: %s", #c);                 \
    } while (0)

#define FZ_CHECK_MSG(c, ...)                                                           \
    do {                                                                               \
        if (!(c)) fz_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
    } while (0)

__attribute__((format(printf, 3, 4), noreturn, unused)) static void
fz_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fuzz property violated at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* ------------------------------------------------------------- byte reader ---- */

/* Structured input: every read past the end gives zeros, so any byte string is a
 * valid program for the targets that decode one. */
typedef struct fz {
    const uint8_t *p;
    size_t n, i;
} fz;

static inline bool fz_more(const fz *f) { return f->i < f->n; }
static inline uint8_t fz_u8(fz *f) { return f->i < f->n ? f->p[f->i++] : 0; }
static inline uint32_t fz_u32(fz *f) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)fz_u8(f) << (8 * k);
    return v;
}

/* ---------------------------------------------------------------- helpers ---- */

static inline uint32_t fz_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void fz_put32(uint8_t *p, uint32_t v) {
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}

/* Rewrite the CRC of every whole frame of buf so that random payloads get past the
 * checksum and reach the decoder. With skip_last the last whole frame keeps its
 * CRC (to exercise the torn-tail rule). */
static inline void fz_fix_crcs(uint8_t *buf, size_t len, bool skip_last) {
    size_t pos = 0;
    while (len - pos >= 8) {
        uint32_t plen = fz_le32(buf + pos);
        if (len - pos - 8 < plen) break;
        size_t end = pos + 8 + (size_t)plen;
        if (!(skip_last && end == len)) fz_put32(buf + pos + 4 + plen, nidus__crc32(buf + pos + 4, plen));
        pos = end;
    }
}

/* A heap copy of exactly n bytes (n may be 0), so ASan sees a read one past the end. */
static inline uint8_t *fz_dup(const void *p, size_t n) {
    uint8_t *b = malloc(n ? n : 1);
    if (!b) abort();
    if (n) memcpy(b, p, n);
    return b;
}

/* ---------------------------------------------------------------- temp dir ---- */

/* One scratch directory per process (replay forks one process per input), under
 * $NIDUS_FUZZ_TMPDIR, else /dev/shm when writable (fsync is free there), else
 * $TMPDIR or /tmp. Removed at exit. */
static char fz_root[512];

static inline void fz_clean_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char path[1024];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) < 0 && errno == EISDIR) {
            fz_clean_dir(path);
            rmdir(path);
        }
    }
    closedir(d);
}

static void fz_remove_root(void) {
    if (!fz_root[0]) return;
    fz_clean_dir(fz_root);
    rmdir(fz_root);
    fz_root[0] = 0;
}

static inline const char *fz_tmproot(void) {
    if (fz_root[0]) return fz_root;
    const char *base = getenv("NIDUS_FUZZ_TMPDIR");
    if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(fz_root, sizeof fz_root, "%s/nidus-fuzz-XXXXXX", base);
    if (!mkdtemp(fz_root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", fz_root, strerror(errno));
        abort();
    }
    atexit(fz_remove_root);
    return fz_root;
}

static inline void fz_write_file(const char *path, const void *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "open %s: %s\n", path, strerror(errno));
        abort();
    }
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w <= 0) abort();
        b += w;
        n -= (size_t)w;
    }
    close(fd);
}

/* Whole file into a malloc'd buffer; NULL (and *n = 0) if missing. */
static inline uint8_t *fz_read_file(const char *path, size_t *n) {
    *n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) abort();
    uint8_t *b = malloc((size_t)st.st_size + 1);
    if (!b) abort();
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r <= 0) abort();
        got += (size_t)r;
    }
    close(fd);
    *n = got;
    return b;
}

#endif

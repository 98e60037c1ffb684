/* fuzz_cli_import — the CLI's binary vector readers (.npy, .fvecs, raw f32), fed
 * arbitrary file contents. The readers are static in cli/import.c, so this file
 * compiles it in; cli_fail (how the CLI reports a bad file and exits) becomes a
 * longjmp back here. Input: byte 0 picks the reader, byte 1 a raw dimension, the
 * rest is the file. An accepted file must describe exactly its own bytes, and
 * every value of every row must be readable in bounds (the copy below is exactly
 * the file's size, so ASan catches any read past it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include "../cli/import.c"

static jmp_buf bail;

/* The readers leave what they allocated to the process exit that follows
 * cli_fail; jumping back instead leaks it by design. Leak checking is off for this
 * target only (LeakSanitizer's documented hook). */
int __lsan_is_turned_off(void);
__attribute__((visibility("default"))) int __lsan_is_turned_off(void) { return 1; }
static volatile float fuzz_sink; /* keeps the reads */

_Noreturn void cli_fail(const char *fmt, ...) {
    (void)fmt;
    longjmp(bail, 1);
}

/* The rest of the CLI that import.c refers to; the readers never reach these. */
_Noreturn void cli_fail_db(nidus_db *db, int rc, const char *what) {
    (void)db, (void)rc, (void)what;
    abort();
}
_Noreturn void cli_usage(const char *fmt, ...) {
    (void)fmt;
    abort();
}
void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}
void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) abort();
    return p;
}
nidus_db *cli_open(const cli_opts *o, open_mode mode, uint32_t create_dim) {
    (void)o, (void)mode, (void)create_dim;
    abort();
}
char *cli_read_all(const char *path, size_t *len) {
    (void)path, (void)len;
    abort();
}
double cli_now(void) { return 0; }
const unsigned char *cli_map(const char *path, size_t *size) {
    (void)path, (void)size;
    abort();
}
void cli_unmap(const unsigned char *p, size_t size) { (void)p, (void)size; }
bool cli_utf8_valid(const char *s, size_t n) {
    (void)s, (void)n;
    return true;
}
size_t cli_lines(char *text, size_t len, char ***lines) {
    (void)text, (void)len, (void)lines;
    abort();
}
void cli_progress_start(cli_progress *p, const cli_opts *o, const char *label, size_t total) {
    (void)p, (void)o, (void)label, (void)total;
}
void cli_progress_update(cli_progress *p, size_t done) { (void)p, (void)done; }
void cli_progress_end(cli_progress *p) { (void)p; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    /* A private copy of exactly the file's bytes, so reading past it is caught. */
    size_t n = size - 2;
    unsigned char *file = malloc(n ? n : 1);
    if (!file) return 0;
    memcpy(file, data + 2, n);
    source s;
    memset(&s, 0, sizeof s);
    s.path = "fuzz-input";
    s.map = file;
    s.size = n;
    s.elem = 4;
    if (!setjmp(bail)) {
        switch (data[0] % 3) {
        case 0: s.type = T_NPY; open_npy(&s); break;
        case 1: s.type = T_FVECS; open_fvecs(&s); break;
        default: {
            cli_opts o;
            memset(&o, 0, sizeof o);
            o.dim = data[1];
            o.dir = "/nonexistent/nidus-fuzz"; /* no store: raw needs the dimension byte */
            s.type = T_RAW;
            s.dim = o.dim;
            open_raw(&s, &o);
        }
        }
        /* Accepted: no rows (an empty file), or rows whose last value ends exactly
         * at the end of the file. */
        if (s.rows && (s.dim == 0 || s.off + (s.rows - 1) * s.stride + (size_t)s.dim * s.elem != s.size)) abort();
        float sum = 0;
        for (size_t i = 0; i < s.rows; i++)
            for (uint32_t k = 0; k < s.dim; k++) sum += value(&s, s.map + s.off + i * s.stride, k);
        fuzz_sink = sum;
    }
    free(file);
    return 0;
}

/* The test runner: `nidus_tests [SUBSTRING...]` runs every test whose name contains
 * one of the substrings (all tests without arguments), each in a forked child with
 * a timeout, and ends with the line "N passed, N failed". */
#define _GNU_SOURCE
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *name, *file;
    t_fn fn;
} t_case;

static t_case *cases;
static size_t n_cases, cap_cases;
static char tmp_dirs[16][512];
static int n_tmp;

void t_register(const char *name, const char *file, t_fn fn) {
    if (n_cases == cap_cases) {
        cap_cases = cap_cases ? cap_cases * 2 : 256;
        cases = realloc(cases, cap_cases * sizeof *cases);
        if (!cases) abort();
    }
    cases[n_cases++] = (t_case){name, file, fn};
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    chmod(p, 0700);
    return remove(p);
}

static void cleanup_tmp(void) {
    for (int i = 0; i < n_tmp; i++) nftw(tmp_dirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
    n_tmp = 0;
}

_Noreturn void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    cleanup_tmp();
    _exit(1); /* no leak report for a test that already failed */
}

const char *t_tmpdir(void) {
    if (n_tmp >= 16) t_fail(__FILE__, __LINE__, "too many temp dirs");
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dirs[n_tmp], sizeof tmp_dirs[0], "%s/nidus-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dirs[n_tmp])) t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    return tmp_dirs[n_tmp++];
}

const char *t_path(const char *dir, const char *name) {
    static char ring[8][600];
    static int at;
    char *p = ring[at++ & 7];
    snprintf(p, 600, "%s/%s", dir, name);
    return p;
}

unsigned char *t_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) t_fail(__FILE__, __LINE__, "read %s", path);
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

void t_write_file(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
        t_fail(__FILE__, __LINE__, "write %s: %s", path, strerror(errno));
}

long long t_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

void t_copy_dir(const char *src, const char *dst) {
    static const char *names[] = {"data", "log", "lock", "data.tmp", "log.tmp", "compact"};
    mkdir(dst, 0755);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n;
        unsigned char *b = t_read_file(t_path(src, names[i]), &n);
        if (!b) continue;
        t_write_file(t_path(dst, names[i]), b, n);
        free(b);
    }
}

const char *t_srcdir(void) {
    const char *s = getenv("NIDUS_SRCDIR");
    return s && *s ? s : ".";
}

static bool selected(const char *name, int argc, char **argv) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return true;
    return false;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    unsigned timeout = 120;
    const char *to = getenv("NIDUS_TEST_TIMEOUT");
    if (to) timeout = (unsigned)atoi(to);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n_cases; i++) {
        if (!selected(cases[i].name, argc, argv)) continue;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            alarm(timeout);
            cases[i].fn();
            cleanup_tmp();
            exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            passed++;
            printf("ok   %s\n", cases[i].name);
        } else {
            failed++;
            if (WIFSIGNALED(st))
                printf("FAIL %s (%s) [signal %d%s]\n", cases[i].name, cases[i].file, WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? ": timeout" : "");
            else
                printf("FAIL %s (%s) [exit %d]\n", cases[i].name, cases[i].file, WEXITSTATUS(st));
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

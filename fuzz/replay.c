/*
 * replay.c — a plain main() for a fuzz target, so the committed corpora run with
 * any compiler and without libFuzzer:
 *
 *     replay_<target> DIR_OR_FILE...
 *
 * Every file (directories: their regular files, in name order) is fed to
 * LLVMFuzzerTestOneInput in a forked child with a time limit, so one failing input
 * (an abort from a violated property, a sanitizer report, a leak found at the
 * child's exit, a hang) is counted and the others still run. Set
 * NIDUS_REPLAY_NOFORK=1 to run everything in this process (for a debugger).
 *
 * The targets' scratch stores go to a directory made for the run (unless
 * NIDUS_FUZZ_TMPDIR names one), removed at the end.
 *
 * The last line of stdout is "<name>: N inputs, F failures"; the exit status is 1
 * if any input failed or nothing could be read.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_TIMEOUT_S 60

static size_t n_inputs, n_failures;
static int no_fork;

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) break;
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

static void run_one(const char *path) {
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        n_failures++;
        return;
    }
    n_inputs++;
    if (no_fork) {
        /* Exact-size copy: a read past the input's end is a sanitizer report. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) abort();
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "replay: fork: %s\n", strerror(errno));
        free(buf);
        n_failures++;
        return;
    }
    if (pid == 0) {
        alarm(REPLAY_TIMEOUT_S);
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) abort();
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        exit(0); /* atexit handlers and the leak check run here */
    }
    free(buf);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
            n_failures++;
            return;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    n_failures++;
    if (WIFSIGNALED(status))
        fprintf(stderr, "replay: FAILED %s (signal %d%s)\n", path, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? ", timeout" : "");
    else
        fprintf(stderr, "replay: FAILED %s (exit status %d)\n", path, WEXITSTATUS(status));
}

/* Remove a directory tree (the targets' scratch stores: a few levels, small). */
static void rm_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            size_t l = strlen(path) + strlen(de->d_name) + 2;
            char *p = malloc(l);
            if (!p) abort();
            snprintf(p, l, "%s/%s", path, de->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
            else unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        n_failures++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_one(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: opendir %s: %s\n", path, strerror(errno));
        n_failures++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) abort();
            names = nn;
        }
        size_t l = strlen(path) + strlen(de->d_name) + 2;
        names[n] = malloc(l);
        if (!names[n]) abort();
        snprintf(names[n], l, "%s/%s", path, de->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) run_one(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    const char *nf = getenv("NIDUS_REPLAY_NOFORK");
    no_fork = nf && *nf && strcmp(nf, "0") != 0;
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", name);
        return 2;
    }
    /* The targets put their scratch stores under NIDUS_FUZZ_TMPDIR: give them one
     * directory for this run, removed at the end, so a child that aborts (no atexit
     * cleanup) leaves nothing behind. */
    char scratch[512] = "";
    const char *given = getenv("NIDUS_FUZZ_TMPDIR");
    if (!given || !*given) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/nidus-replay-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(scratch) || setenv("NIDUS_FUZZ_TMPDIR", scratch, 1) != 0) scratch[0] = 0;
    }
    for (int i = 1; i < argc; i++) run_path(argv[i]);
    if (scratch[0]) rm_tree(scratch);
    printf("%s: %zu inputs, %zu failures\n", name, n_inputs, n_failures);
    return n_failures || !n_inputs ? 1 : 0;
}

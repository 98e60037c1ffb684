/*
 * roofline — how long it takes this machine to stream a float matrix once from memory.
 *
 *   roofline --data F --n N --dim D [--passes P] [--threads T]
 *
 * Reads the N x D float32 matrix of F into a fresh 64-byte-aligned buffer (so it lives
 * in RAM like a store's vectors), then sums every float of it P times (best pass is
 * kept), with 1 thread and with T threads (default: online cores), each thread
 * summing its own contiguous slice. The sum is a read-only stream with independent
 * accumulators, so it runs at the memory bandwidth, not the add latency. Prints one
 * JSON line: {"bytes":..,"t1_ms":..,"tall_ms":..,"threads":..,"gbps1":..,"gbpsall":..}.
 *
 * Built with -O2 -march=native: it measures this machine, it is not shipped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef float v16 __attribute__((vector_size(64)));

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float stream_sum(const float *p, size_t n) {
    const v16 *v = (const v16 *)p;
    size_t nv = n / 16;
    v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    size_t i = 0;
    for (; i + 4 <= nv; i += 4) {
        a0 += v[i];
        a1 += v[i + 1];
        a2 += v[i + 2];
        a3 += v[i + 3];
    }
    for (; i < nv; i++) a0 += v[i];
    v16 a = (a0 + a1) + (a2 + a3);
    float s = 0;
    for (int j = 0; j < 16; j++) s += a[j];
    for (size_t j = nv * 16; j < n; j++) s += p[j];
    return s;
}

typedef struct {
    const float *base;
    size_t n;
    int nthreads, id;
    pthread_barrier_t *start, *done;
    int passes;
    volatile float sink;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    size_t per = (w->n / (size_t)w->nthreads + 15) / 16 * 16;
    size_t lo = per * (size_t)w->id;
    size_t hi = lo + per > w->n ? w->n : lo + per;
    for (int p = 0; p < w->passes; p++) {
        pthread_barrier_wait(w->start);
        if (lo < hi) w->sink = stream_sum(w->base + lo, hi - lo);
        pthread_barrier_wait(w->done);
    }
    return NULL;
}

/* Best pass over the buffer with `nt` threads, in seconds. */
static double measure(const float *buf, size_t n, int nt, int passes) {
    pthread_barrier_t start, done;
    pthread_barrier_init(&start, NULL, (unsigned)nt + 1);
    pthread_barrier_init(&done, NULL, (unsigned)nt + 1);
    worker_t *w = calloc((size_t)nt, sizeof *w);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    for (int i = 0; i < nt; i++) {
        w[i] = (worker_t){.base = buf, .n = n, .nthreads = nt, .id = i,
                          .start = &start, .done = &done, .passes = passes};
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    double best = 1e30;
    for (int p = 0; p < passes; p++) {
        double t = now_s();
        pthread_barrier_wait(&start);
        pthread_barrier_wait(&done);
        double dt = now_s() - t;
        if (dt < best) best = dt;
    }
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&done);
    free(w);
    free(th);
    return best;
}

static const char *arg(int argc, char **argv, const char *name, const char *def) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

int main(int argc, char **argv) {
    const char *data = arg(argc, argv, "--data", NULL);
    size_t n = (size_t)atol(arg(argc, argv, "--n", "0"));
    size_t dim = (size_t)atol(arg(argc, argv, "--dim", "0"));
    int passes = atoi(arg(argc, argv, "--passes", "10"));
    int nt = atoi(arg(argc, argv, "--threads", "0"));
    if (nt <= 0) nt = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n == 0 || dim == 0 || passes <= 0) {
        fprintf(stderr, "usage: roofline [--data F] --n N --dim D [--passes P] [--threads T]\n");
        return 2;
    }
    size_t count = n * dim, bytes = count * sizeof(float);
    float *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!buf) { fprintf(stderr, "roofline: out of memory\n"); return 1; }
    size_t got = 0;
    if (data) {
        FILE *f = fopen(data, "rb");
        if (!f) { perror(data); return 1; }
        got = fread(buf, 1, bytes, f);
        fclose(f);
    }
    for (size_t i = got / sizeof(float); i < count; i++) buf[i] = 1.0f / (float)(i % 1000 + 1);
    double t1 = measure(buf, count, 1, passes);
    double ta = measure(buf, count, nt, passes);
    printf("{\"bytes\":%zu,\"passes\":%d,\"t1_ms\":%.4f,\"tall_ms\":%.4f,\"threads\":%d,"
           "\"gbps1\":%.2f,\"gbpsall\":%.2f}\n",
           bytes, passes, t1 * 1e3, ta * 1e3, nt, bytes / t1 / 1e9, bytes / ta / 1e9);
    free(buf);
    return 0;
}

/*
 * nidus_bench — the nidus side of `make bench`.
 *
 *   nidus_bench --data F --n N --dim D --queries Q --nq NQ --store DIR --out OUT
 *               [--modes s1,sa,b1,ba] [--open-test] [--memory] [--reuse]
 *
 * Builds a store from the float32 matrix F (ids "0".."N-1", one collection) — or,
 * with --reuse, takes the store already in DIR as it is (build_s is then 0) — closes
 * it, optionally times re-opening it against `cat data > /dev/null` (warm page
 * cache), reopens it and answers the NQ queries of Q in each mode:
 *   s1 single queries, threads = 1      sa single queries, threads = 0 (all cores)
 *   b1 batches of 64, threads = 1       ba batches of 64, threads = 0
 * Appends one JSON line per mode to OUT (format: bench/README.md), plus an "info"
 * line (kernel, build/open times, index bytes per document).
 *
 *   nidus_bench --filtered FILTERS --buckets M --data F --n N --dim D --queries Q
 *               --nq NQ --out OUT [--budget S] [--flush-mb M]
 *
 * Filtered single queries instead (threads = 1): an in-memory store whose record i
 * has the Int attribute bucket = i % M, searched unfiltered and with each filter of
 * FILTERS ("eq:0/in:0,1,2/lt:100": Eq, In, Lt on bucket), every variant back to back
 * for each query in rotating order, so per-query ratios are taken under the same
 * conditions. Without the filter index API that is today's scan + filter. With it
 * (NIDUS_BENCH_HAVE_FINDEX, set by bench/bench.mk when libnidus.a has
 * nidus_set_filter_index) the same records are also in a second collection with a
 * filter index on bucket, and each filter runs there too. Stops after S seconds
 * (default 0: all NQ queries; at least 32). --flush-mb M writes M MiB of another
 * buffer before each timed search, so that no variant finds the previous one's
 * rows in the CPU caches.
 */
#include "nidus.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define K 10
#define BATCH 64
#define WARMUP 5

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, nidus_db *db, int rc) {
    fprintf(stderr, "nidus_bench: %s: %s (%s)\n", what, nidus_strerror(rc),
            db ? nidus_errmsg(db) : "");
    exit(1);
}

static const float *map_file(const char *path, size_t bytes) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); exit(1); }
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < bytes) {
        fprintf(stderr, "nidus_bench: %s is shorter than %zu bytes\n", path, bytes);
        exit(1);
    }
    void *p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    close(fd);
    return p;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One result set per query: ids as row numbers (-1 where fewer than K hits). */
typedef struct {
    double *samples; /* per-query ms (single) or per-query ms of each batch */
    int n_samples;
    long *ids;       /* nq * K */
    int answered;
    double total_s;
} run_t;

static void take_hits(const nidus_hits *h, long *dst) {
    for (int j = 0; j < K; j++) dst[j] = -1;
    for (size_t j = 0; j < h->count && j < K; j++) dst[j] = strtol(h->hits[j].id, NULL, 10);
}

static void run_single(nidus_db *db, const float *q, int nq, int dim, unsigned threads,
                       run_t *r) {
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = K;
    o.threads = threads;
    nidus_hits *h;
    for (int i = 0; i < WARMUP && i < nq; i++) {
        int rc = nidus_search(db, q + (size_t)i * dim, dim, &o, &h);
        if (rc) die("search", db, rc);
        nidus_free(h);
    }
    r->samples = calloc((size_t)(unsigned)nq, sizeof(double));
    r->ids = calloc((size_t)(unsigned)nq * K, sizeof(long));
    double t_all = now_s();
    for (int i = 0; i < nq; i++) {
        double t = now_s();
        int rc = nidus_search(db, q + (size_t)i * dim, dim, &o, &h);
        double dt = now_s() - t;
        if (rc) die("search", db, rc);
        r->samples[i] = dt * 1e3;
        take_hits(h, r->ids + (size_t)i * K);
        nidus_free(h);
    }
    r->total_s = now_s() - t_all;
    r->n_samples = nq;
    r->answered = nq;
}

#ifndef NIDUS_BENCH_NO_BATCH
static void run_batch(nidus_db *db, const float *q, int nq, int dim, unsigned threads,
                      run_t *r) {
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = K;
    o.threads = threads;
    nidus_hits *out[BATCH];
    int nb = nq / BATCH;
    int rc = nidus_search_batch(db, q, BATCH, dim, &o, out); /* warm-up */
    if (rc) die("search_batch", db, rc);
    for (int j = 0; j < BATCH; j++) nidus_free(out[j]);
    r->samples = calloc((size_t)(unsigned)nb + 1, sizeof(double));
    r->ids = calloc((size_t)(unsigned)nq * K, sizeof(long));
    double t_all = now_s();
    for (int b = 0; b < nb; b++) {
        double t = now_s();
        rc = nidus_search_batch(db, q + (size_t)b * BATCH * dim, BATCH, dim, &o, out);
        double dt = now_s() - t;
        if (rc) die("search_batch", db, rc);
        r->samples[b] = dt * 1e3 / BATCH;
        for (int j = 0; j < BATCH; j++) {
            take_hits(out[j], r->ids + ((size_t)b * BATCH + j) * K);
            nidus_free(out[j]);
        }
    }
    r->total_s = now_s() - t_all;
    r->n_samples = nb;
    r->answered = nb * BATCH;
}
#endif

/* One engine-run line; filter/indexed tag the filtered mode's runs (filter "" and
 * indexed < 0: a plain run, no tags). */
static void emit_tagged(FILE *f, const char *variant, unsigned threads, int batch, const run_t *r,
                        const char *kernel, const char *filter, int indexed) {
    fprintf(f, "{\"engine\":\"nidus\",\"variant\":\"%s\",\"threads\":%u,\"batch\":%d,",
            variant, threads, batch);
    fprintf(f, "\"total_s\":%.6f,\"answered\":%d,\"samples_ms\":[", r->total_s, r->answered);
    for (int i = 0; i < r->n_samples; i++) fprintf(f, "%s%.6f", i ? "," : "", r->samples[i]);
    fprintf(f, "],\"qids\":[");
    for (int i = 0; i < r->answered; i++) fprintf(f, "%s%d", i ? "," : "", i);
    fprintf(f, "],\"ids\":[");
    for (int i = 0; i < r->answered; i++) {
        fprintf(f, "%s[", i ? "," : "");
        int first = 1;
        for (int j = 0; j < K; j++) {
            long v = r->ids[(size_t)i * K + j];
            if (v < 0) continue;
            fprintf(f, "%s%ld", first ? "" : ",", v);
            first = 0;
        }
        fprintf(f, "]");
    }
    fprintf(f, "],\"extra\":{\"kernel\":\"%s\"", kernel);
    if (indexed >= 0) fprintf(f, ",\"filter\":\"%s\",\"indexed\":%s", filter, indexed ? "true" : "false");
    fprintf(f, "}}\n");
}

static void emit(FILE *f, const char *variant, unsigned threads, int batch, const run_t *r,
                 const char *kernel) {
    emit_tagged(f, variant, threads, batch, r, kernel, "", -1);
}

static const char *kernel_name(void) {
#ifdef NIDUS_BENCH_NO_KERNEL_NAME
    return "unknown (nidus_kernel_name missing from the library)";
#else
    return nidus_kernel_name();
#endif
}

static const char *arg(int argc, char **argv, const char *name, const char *def) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

static int flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}


/* ---------------------------------------------------------------- filtered mode */

#define MAXF 8
#define MAXIN 1024

typedef struct {
    char spec[64];            /* as given, e.g. "lt:100" */
    nidus_filter node;
    nidus_value vals[MAXIN];  /* In's values */
} fdef;

/* "eq:V", "in:V,V,...", "lt:V" on the Int attribute bucket. */
static int parse_filter(const char *txt, size_t len, fdef *f) {
    if (len >= sizeof f->spec) return -1;
    memcpy(f->spec, txt, len);
    f->spec[len] = 0;
    char *colon = strchr(f->spec, ':');
    if (!colon) return -1;
    const char *a = colon + 1;
    if (strncmp(f->spec, "eq:", 3) == 0) {
        f->node = nidus_f_eq("bucket", nidus_int(atoll(a)));
    } else if (strncmp(f->spec, "lt:", 3) == 0) {
        f->node = nidus_f_lt("bucket", nidus_int(atoll(a)));
    } else if (strncmp(f->spec, "in:", 3) == 0) {
        size_t nv = 0;
        for (const char *p = a; *p;) {
            if (nv == MAXIN) return -1;
            f->vals[nv++] = nidus_int(strtoll(p, (char **)&p, 10));
            if (*p == ',') p++;
            else if (*p) return -1;
        }
        f->node = nidus_f_in("bucket", f->vals, nv);
    } else {
        return -1;
    }
    return 0;
}

typedef struct {
    const char *coll;
    int fi;          /* filter index in defs, -1 = unfiltered */
    int indexed;
    double *ms;
    long *ids;
} fvar;

static int run_filtered(int argc, char **argv, const char *filters, const float *x, long n, int dim,
                        const float *q, int nq, FILE *out) {
    long buckets = atol(arg(argc, argv, "--buckets", "1000"));
    double budget = atof(arg(argc, argv, "--budget", "0"));
    static fdef defs[MAXF];
    int nf = 0;
    for (const char *p = filters; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (nf == MAXF || parse_filter(p, len, &defs[nf]) != 0) {
            fprintf(stderr, "nidus_bench: bad filter list '%s'\n", filters);
            return 2;
        }
        nf++;
        p += len + (e ? 1 : 0);
    }
    if (buckets <= 0 || nf == 0) {
        fprintf(stderr, "nidus_bench: --filtered needs filters and --buckets > 0\n");
        return 2;
    }
#ifdef NIDUS_BENCH_HAVE_FINDEX
    const char *colls[2] = {"plain", "indexed"};
    int ncoll = 2;
#else
    const char *colls[1] = {"plain"};
    int ncoll = 1;
#endif
    nidus_db *db = NULL;
    int rc = nidus_open_memory((uint32_t)dim, &db);
    if (rc) die("open_memory", db, rc);
    enum { CHUNK = 8192 };
    nidus_record *recs = calloc(CHUNK, sizeof *recs);
    nidus_attr *attrs = calloc(CHUNK, sizeof *attrs);
    char (*ids)[24] = calloc(CHUNK, sizeof *ids);
    double build_s[2] = {0, 0};
    for (int c = 0; c < ncoll; c++) {
        double tc = now_s();
        for (long lo = 0; lo < n; lo += CHUNK) {
            long m = n - lo < CHUNK ? n - lo : CHUNK;
            for (long i = 0; i < m; i++) {
                snprintf(ids[i], sizeof ids[i], "%ld", lo + i);
                attrs[i].key = "bucket";
                attrs[i].value = nidus_int((lo + i) % buckets);
                recs[i].id = ids[i];
                recs[i].vector = x + (size_t)(lo + i) * dim;
                recs[i].dim = (size_t)dim;
                recs[i].attrs = &attrs[i];
                recs[i].n_attrs = 1;
            }
            rc = nidus_upsert(db, colls[c], recs, (size_t)m);
            if (rc) die("upsert", db, rc);
        }
        build_s[c] = now_s() - tc;
    }
    double set_index_s = 0;
    unsigned long long findex_bytes = 0;
    nidus_footprint fp0, fp1;
    memset(&fp0, 0, sizeof fp0);
    memset(&fp1, 0, sizeof fp1);
    nidus_get_footprint(db, &fp0);
#ifdef NIDUS_BENCH_HAVE_FINDEX
    {
        const char *const fields[1] = {"bucket"};
        double t = now_s();
        rc = nidus_set_filter_index(db, "indexed", fields, 1);
        set_index_s = now_s() - t;
        if (rc) die("set_filter_index", db, rc);
        nidus_get_footprint(db, &fp1);
#ifdef NIDUS_BENCH_HAVE_FINDEX_BYTES
        findex_bytes = (unsigned long long)fp1.filter_index_bytes;
#endif
    }
#endif

    /* variants: plain unfiltered, plain x each filter (scan), indexed x each filter */
    int nv = 1 + nf * ncoll;
    fvar *v = calloc((size_t)nv, sizeof *v);
    v[0].coll = "plain";
    v[0].fi = -1;
    for (int c = 0; c < ncoll; c++)
        for (int f = 0; f < nf; f++) {
            fvar *w = &v[1 + c * nf + f];
            w->coll = colls[c];
            w->fi = f;
            w->indexed = c == 1;
        }
    for (int j = 0; j < nv; j++) {
        v[j].ms = calloc((size_t)(unsigned)nq, sizeof(double));
        v[j].ids = calloc((size_t)(unsigned)nq * K, sizeof(long));
    }
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = K;
    o.threads = 1;
    o.n_collections = 1;
    nidus_hits *h;
    for (int i = 0; i < WARMUP && i < nq; i++)
        for (int j = 0; j < nv; j++) {
            o.collections = &v[j].coll;
            o.where = v[j].fi < 0 ? NULL : &defs[v[j].fi].node;
            rc = nidus_search(db, q + (size_t)i * dim, (size_t)dim, &o, &h);
            if (rc) die("search (filtered)", db, rc);
            nidus_free(h);
        }
    /* --flush-mb M: before each timed search, write M MiB of another buffer so that
     * rows the previous variant touched are out of the CPU caches (the filters'
     * rows are nested: bucket 0 is in every one). Off by default. */
    size_t flush_bytes = (size_t)atol(arg(argc, argv, "--flush-mb", "0")) << 20;
    unsigned char *flush = flush_bytes ? malloc(flush_bytes) : NULL;
    if (flush_bytes && !flush) { fprintf(stderr, "nidus_bench: no memory for --flush-mb\n"); return 1; }
    int answered = 0;
    double t_all = now_s();
    for (int i = 0; i < nq; i++) {
        for (int jj = 0; jj < nv; jj++) {
            int j = (i + jj) % nv; /* rotate which variant goes first */
            o.collections = &v[j].coll;
            o.where = v[j].fi < 0 ? NULL : &defs[v[j].fi].node;
            if (flush) memset(flush, (i + jj) & 0xff, flush_bytes);
            double t = now_s();
            rc = nidus_search(db, q + (size_t)i * dim, (size_t)dim, &o, &h);
            double dt = now_s() - t;
            if (rc) die("search (filtered)", db, rc);
            v[j].ms[i] = dt * 1e3;
            take_hits(h, v[j].ids + (size_t)i * K);
            nidus_free(h);
        }
        answered = i + 1;
        if (budget > 0 && answered >= 32 && now_s() - t_all > budget) break;
    }
    double total = now_s() - t_all;
    free(flush);

    fprintf(out,
            "{\"engine\":\"nidus-filter-info\",\"flush_mb\":%zu,\"version\":\"%s\",\"kernel\":\"%s\",\"docs\":%llu,"
            "\"build_s\":[%.4f,%.4f],\"set_filter_index_s\":%.6f,\"filter_index_api\":%s,"
            "\"filter_index_bytes\":%llu,\"index_bytes_before\":%llu,\"index_bytes_after\":%llu,"
            "\"buckets\":%ld,\"collections\":%d}\n",
            flush_bytes >> 20, nidus_version_string(), kernel_name(), (unsigned long long)fp0.doc_count, build_s[0],
            build_s[1], set_index_s, ncoll == 2 ? "true" : "false", findex_bytes,
            (unsigned long long)fp0.index_bytes, (unsigned long long)fp1.index_bytes, buckets, ncoll);
    for (int j = 0; j < nv; j++) {
        run_t r;
        memset(&r, 0, sizeof r);
        r.samples = v[j].ms;
        r.n_samples = answered;
        r.ids = v[j].ids;
        r.answered = answered;
        r.total_s = total; /* the whole interleaved loop: not a per-variant QPS */
        char variant[128];
        if (v[j].fi < 0)
            snprintf(variant, sizeof variant, "unfiltered");
        else
            snprintf(variant, sizeof variant, "%s, %s", defs[v[j].fi].spec,
                     v[j].indexed ? "filter index" : "scan");
        emit_tagged(out, variant, 1, 1, &r, kernel_name(), v[j].fi < 0 ? "" : defs[v[j].fi].spec,
                    v[j].indexed);
    }
    fflush(out);
    nidus_close(db);
    return 0;
}

int main(int argc, char **argv) {
    const char *data = arg(argc, argv, "--data", NULL);
    const char *queries = arg(argc, argv, "--queries", NULL);
    const char *store = arg(argc, argv, "--store", NULL);
    const char *outp = arg(argc, argv, "--out", NULL);
    const char *modes = arg(argc, argv, "--modes", "s1,sa,b1,ba");
    long n = atol(arg(argc, argv, "--n", "0"));
    int dim = atoi(arg(argc, argv, "--dim", "0"));
    int nq = atoi(arg(argc, argv, "--nq", "0"));
    int memory = flag(argc, argv, "--memory");
    int open_test = flag(argc, argv, "--open-test");
    int reuse = flag(argc, argv, "--reuse");
    const char *filtered = arg(argc, argv, "--filtered", NULL);
    if (filtered && data && queries && outp && n > 0 && dim > 0 && nq > 0) {
        const float *xf = map_file(data, (size_t)n * dim * sizeof(float));
        const float *qf = map_file(queries, (size_t)nq * dim * sizeof(float));
        FILE *fo = fopen(outp, "a");
        if (!fo) { perror(outp); return 1; }
        int frc = run_filtered(argc, argv, filtered, xf, n, dim, qf, nq, fo);
        fclose(fo);
        return frc;
    }
    if (!data || !queries || !outp || (!store && !memory) || n <= 0 || dim <= 0 || nq <= 0) {
        fprintf(stderr, "usage: nidus_bench --data F --n N --dim D --queries Q --nq NQ "
                        "--store DIR|--memory --out OUT [--modes s1,sa,b1,ba] [--open-test] [--reuse]\n");
        return 2;
    }
    const float *x = map_file(data, (size_t)n * dim * sizeof(float));
    const float *q = map_file(queries, (size_t)nq * dim * sizeof(float));
    FILE *out = fopen(outp, "a");
    if (!out) { perror(outp); return 1; }

    /* ---- build */
    nidus_db *db = NULL;
    int rc;
    nidus_config cfg;
    nidus_config_init(&cfg, (uint32_t)dim);
    cfg.fsync = NIDUS_FSYNC_ON_FLUSH;
    double t0 = now_s();
    long nbuild = n;
    char datapath[4096];
    struct stat dst;
    snprintf(datapath, sizeof datapath, "%s/data", store ? store : "");
    if (reuse && !memory && stat(datapath, &dst) == 0 && dst.st_size > 0) {
        rc = nidus_open(store, NULL, &db); /* the store as built before: no rebuild */
        if (rc) die("open", db, rc);
        nbuild = 0;
    } else if (memory) {
        rc = nidus_open_memory((uint32_t)dim, &db);
    } else {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", store);
        if (system(cmd) != 0) { fprintf(stderr, "nidus_bench: cannot remove %s\n", store); return 1; }
        rc = nidus_open(store, &cfg, &db);
    }
    if (rc) die("open", db, rc);
    enum { CHUNK = 8192 };
    nidus_record *recs = calloc(CHUNK, sizeof *recs);
    char (*ids)[24] = calloc(CHUNK, sizeof *ids);
    for (long lo = 0; lo < nbuild; lo += CHUNK) {
        long m = nbuild - lo < CHUNK ? nbuild - lo : CHUNK;
        for (long i = 0; i < m; i++) {
            snprintf(ids[i], sizeof ids[i], "%ld", lo + i);
            recs[i].id = ids[i];
            recs[i].vector = x + (size_t)(lo + i) * dim;
            recs[i].dim = (size_t)dim;
        }
        rc = nidus_upsert(db, "bench", recs, (size_t)m);
        if (rc) die("upsert", db, rc);
    }
    if (!memory) {
        rc = nidus_flush(db);
        if (rc) die("flush", db, rc);
    }
    double build_s = nbuild ? now_s() - t0 : 0;

    /* ---- open time vs cat, warm cache */
    double open_best = 0, open_med = 0, cat_best = 0, cat_med = 0, open_copy_best = 0;
    unsigned long long data_bytes = 0;
    if (!memory) {
        nidus_close(db);
        db = NULL;
        char path[4096], cmd[8192];
        snprintf(path, sizeof path, "%s/data", store);
        struct stat st;
        if (stat(path, &st) == 0) data_bytes = (unsigned long long)st.st_size;
        if (open_test) {
            enum { REPS = 5 };
            double to[REPS], tc[REPS], tp[REPS];
            snprintf(cmd, sizeof cmd, "cat '%s' > /dev/null", path);
            if (system(cmd) != 0) return 1; /* warm the page cache */
            for (int i = 0; i < REPS; i++) {
                double t = now_s();
                if (system(cmd) != 0) return 1;
                tc[i] = now_s() - t;
                nidus_db *h = NULL;
                t = now_s();
                rc = nidus_open(store, NULL, &h);
                to[i] = now_s() - t;
                if (rc) die("reopen", h, rc);
                nidus_close(h);
#ifdef NIDUS_BENCH_HAVE_MAP_ROWS
                nidus_config cc; /* the rows copied to the heap, as before mapped rows */
                nidus_config_init(&cc, 0);
                cc.map_rows = 0;
                t = now_s();
                rc = nidus_open(store, &cc, &h);
                tp[i] = now_s() - t;
                if (rc) die("reopen", h, rc);
                nidus_close(h);
#else
                tp[i] = 0;
#endif
            }
            qsort(tp, REPS, sizeof(double), cmp_double);
            open_copy_best = tp[0];
            qsort(to, REPS, sizeof(double), cmp_double);
            qsort(tc, REPS, sizeof(double), cmp_double);
            open_best = to[0];
            cat_best = tc[0];
            open_med = median(to, REPS);
            cat_med = median(tc, REPS);
        }
        rc = nidus_open(store, NULL, &db);
        if (rc) die("reopen", db, rc);
    }
    nidus_footprint fp;
    memset(&fp, 0, sizeof fp);
    nidus_get_footprint(db, &fp);
    const char *kernel = kernel_name();
    char batch_kernel[128];
#ifdef NIDUS_BENCH_NO_KERNEL_NAME
    snprintf(batch_kernel, sizeof batch_kernel, "%s", kernel);
#else
    snprintf(batch_kernel, sizeof batch_kernel, "%s, screen %s", kernel, nidus_batch_kernel_name());
#endif
    fprintf(out,
            "{\"engine\":\"nidus-info\",\"kernel\":\"%s\",\"batch_kernel\":\"%s\",\"version\":\"%s\",\"build_s\":%.4f,"
            "\"open_best_s\":%.6f,\"open_median_s\":%.6f,\"cat_best_s\":%.6f,\"cat_median_s\":%.6f,"
            "\"open_copy_best_s\":%.6f,"
            "\"data_bytes\":%llu,\"rows\":%llu,\"docs\":%llu,\"vector_bytes\":%llu,"
            "\"index_bytes\":%llu,\"index_bytes_per_doc\":%.2f,\"file_backed\":%s}\n",
            kernel, batch_kernel, nidus_version_string(), build_s, open_best, open_med, cat_best, cat_med, open_copy_best,
            data_bytes, (unsigned long long)fp.rows, (unsigned long long)fp.doc_count,
            (unsigned long long)fp.vector_bytes, (unsigned long long)fp.index_bytes,
            fp.doc_count ? (double)fp.index_bytes / (double)fp.doc_count : 0.0,
            memory ? "false" : "true");
    fflush(out);

    /* ---- searches */
    run_t r;
    if (strstr(modes, "s1")) {
        memset(&r, 0, sizeof r);
        run_single(db, q, nq, dim, 1, &r);
        emit(out, "single query", 1, 1, &r, kernel);
        fflush(out);
    }
    if (strstr(modes, "sa")) {
        memset(&r, 0, sizeof r);
        run_single(db, q, nq, dim, 0, &r);
        emit(out, "single query", 0, 1, &r, kernel);
        fflush(out);
    }
#ifndef NIDUS_BENCH_NO_BATCH
    if (strstr(modes, "b1")) {
        memset(&r, 0, sizeof r);
        run_batch(db, q, nq, dim, 1, &r);
        emit(out, "batch of 64", 1, BATCH, &r, batch_kernel);
        fflush(out);
    }
    if (strstr(modes, "ba")) {
        memset(&r, 0, sizeof r);
        run_batch(db, q, nq, dim, 0, &r);
        emit(out, "batch of 64", 0, BATCH, &r, batch_kernel);
        fflush(out);
    }
#else
    if (strstr(modes, "b1") || strstr(modes, "ba"))
        fprintf(stderr, "nidus_bench: nidus_search_batch is missing from the library: "
                        "batch modes skipped\n");
#endif
    nidus_close(db);
    fclose(out);
    return 0;
}

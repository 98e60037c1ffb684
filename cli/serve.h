/*
 * serve.h — `nidus serve`: nidus 0.80's HTTP API over one open handle.
 *
 * Two layers. serve_api.c is the API itself, free of any HTTP library: route a
 * (method, raw path, body) to a handler, run it against the handle, and produce a
 * status and a JSON body; it also holds the group commit and the metrics. serve.c is
 * the libmicrohttpd glue and `nidus serve`'s command line: sockets, bodies, the
 * token, body-size and concurrency limits, X-Request-Id, signals. The fuzz target
 * fuzz/fuzz_serve_api.c drives serve_api.c directly over an in-memory store.
 */
#ifndef NIDUS_SERVE_H
#define NIDUS_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nidus.h"

/* nidus 0.80's bounds (src/server/dto.rs): offset + top_k, queries per batch. */
#define SRV_MAX_TOP_K 10000
#define SRV_MAX_BATCH 16
/* Nesting of a request body's arrays and objects (serde_json stops at 128; a filter
 * of the library's 64 nested groups needs about 130). */
#define SRV_MAX_JSON_DEPTH 256

/* The routes, for dispatch and for /metrics labels (nidus's route templates). */
#define SRV_ROUTES(X)                                                     \
    X(R_HEALTH, "/health")                                               \
    X(R_READY, "/ready")                                                 \
    X(R_METRICS, "/metrics")                                             \
    X(R_CLUSTER, "/cluster")                                             \
    X(R_VERSIONS, "/versions")                                           \
    X(R_STATS, "/stats")                                                 \
    X(R_COLLECTIONS, "/collections")                                     \
    X(R_COLLECTION, "/collections/{name}")                               \
    X(R_META, "/collections/{name}/meta")                                \
    X(R_UPSERT, "/collections/{name}/upsert")                            \
    X(R_DELETE, "/collections/{name}/delete")                            \
    X(R_RECORDS, "/collections/{name}/records")                          \
    X(R_FTS_SCHEMA, "/collections/{name}/fts-schema")                    \
    X(R_FILTER_INDEX, "/collections/{name}/filter-index")                \
    X(R_REMEMBER, "/collections/{name}/remember")                        \
    X(R_RECALL, "/collections/{name}/recall")                            \
    X(R_SEARCH, "/search")                                               \
    X(R_BATCH, "/search/batch")                                          \
    X(R_SIMILAR, "/search/similar")                                      \
    X(R_TEXT_SEARCH, "/text-search")                                     \
    X(R_HYBRID, "/hybrid-search")                                        \
    X(R_LIST, "/list")                                                   \
    X(R_AGGREGATE, "/aggregate")                                         \
    X(R_FLUSH, "/flush")                                                 \
    X(R_COMPACT, "/compact")                                             \
    X(R_REFRESH, "/refresh")                                             \
    X(R_OTHER, "other")

typedef enum {
#define SRV_ENUM(id, text) id,
    SRV_ROUTES(SRV_ENUM)
#undef SRV_ENUM
    R_COUNT
} srv_route;

extern const char *const srv_route_names[R_COUNT];

#define SRV_BUCKETS 15 /* nidus's latency buckets (seconds), then +Inf */
extern const double srv_buckets[SRV_BUCKETS];

typedef struct srv_route_stats {
    atomic_uint_fast64_t by_class[5]; /* 1xx .. 5xx */
    atomic_uint_fast64_t buckets[SRV_BUCKETS + 1];
    atomic_uint_fast64_t sum_us, count;
} srv_route_stats;

/* One server: the handle and everything shared by the request threads. */
typedef struct srv {
    nidus_db *db;
    pthread_rwlock_t hlock;  /* readers: every request; writer: /refresh swapping db */
    const char *dir;         /* NULL: an in-memory store (fuzzing); no refresh */
    nidus_config cfg;        /* how db was opened (for /refresh) */
    bool read_only;
    unsigned query_threads;  /* nidus_search_opts.threads per request */

    /* Group commit (serve_api.c): write requests queue under cmu; the first to
     * find no leader applies the whole queue under wmu (merging upserts into one
     * collection into one call), runs one nidus_flush for it, and answers it. */
    pthread_mutex_t wmu;
    pthread_mutex_t cmu;
    pthread_cond_t ccv;
    struct wjob *qhead, *qtail;
    bool flushing;           /* a leader is applying a group */
    atomic_uint_fast64_t groups;   /* flushes run by the group commit */
    atomic_uint_fast64_t commits;  /* writes acknowledged */

    /* Scan gate: at most scan_limit vector scans (search, similar, batch) run at
     * once; more would only share the memory bandwidth and the cores, and thrash
     * the caches, so the others wait their turn (0 = no gate). */
    pthread_mutex_t gmu;
    pthread_cond_t gcv;
    unsigned scans, scan_limit;
    /* Group search: /search requests waiting for a scan slot queue here; whoever
     * gets a slot runs every queued search with the same options as one
     * nidus_search_batch (rows read once for all of them). */
    pthread_mutex_t smu;
    pthread_cond_t scv;
    struct sjob *shead;
    atomic_uint_fast64_t search_groups, searches;

    /* Metrics (the glue records them; /metrics renders). */
    srv_route_stats routes[R_COUNT];
    atomic_uint_fast64_t shed, in_flight, too_large, unauthorized;
    size_t max_concurrent;
    uint64_t data_size, log_size; /* of the files at open (read-only /refresh) */
    int64_t data_mtime, log_mtime;
} srv;

/* A response: status, body (malloc'd, not NUL-terminated necessarily), type. */
typedef struct srv_resp {
    int status;
    char *body;
    size_t len;
    const char *ctype;     /* static */
    bool retry_after;      /* send Retry-After: 1 */
} srv_resp;

/* Set up s over an open handle (db, dir may be NULL for in-memory). */
int srv_init(srv *s, nidus_db *db, const char *dir, const nidus_config *cfg, bool read_only);
void srv_destroy(srv *s);

/* Which route a raw (still percent-encoded) path names. */
srv_route srv_match(const char *path);

/* Handle one request: method, raw path (percent-encoded, no query string), body of
 * len bytes (not NUL-terminated; may be NULL with len 0). Always fills out (the
 * caller frees out->body). Never exits, whatever the input. */
void srv_handle(srv *s, const char *method, const char *path, const char *body, size_t len, srv_resp *out);

/* A {"error": msg} response (plus "retryable" when retryable >= 0). */
void srv_error(srv_resp *out, int status, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record one finished request of route r in the metrics. */
void srv_observe(srv *s, srv_route r, int status, uint64_t micros);

/* Flush the store on shutdown (waits for running writes). */
int srv_shutdown_flush(srv *s, char *err, size_t cap);

#endif

/*
 * serve.c — `nidus serve`: the command line, libmicrohttpd, and the limits that
 * nidus 0.80 applies around its handlers (src/server/{auth,limits,metrics}.rs):
 *
 *  - the bearer token, compared in constant time, on every route but /health,
 *    /ready and /metrics (401 {"error": "missing or invalid bearer token"});
 *  - --max-body-bytes: a Content-Length above it is refused at once, a chunked
 *    body as soon as it grows past it (413);
 *  - --max-concurrent-requests (0: 8 x cores, at least 64): store-touching
 *    requests beyond it are shed with 503, Retry-After: 1, "retryable": true —
 *    never queued; probes are never shed;
 *  - X-Request-Id: the caller's when it is 1..64 of [A-Za-z0-9-_.:], else minted
 *    ("<pid hex>-<counter hex>"), echoed on every response.
 *
 * One thread per connection (libmicrohttpd's), so a request may block in the
 * group commit without stalling others. SIGTERM / SIGINT: stop accepting, let the
 * requests in flight finish (up to 30 s), flush, close the store (releasing the
 * lock), exit 0. The store is opened before the socket is bound, so a second
 * writer fails at startup with the library's "store is locked" message (nidus
 * prints its banner first and then fails the same way).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "serve.h"

int serve_main(int argc, char **argv);

typedef struct serve_opts {
    const char *dir, *addr, *token;
    uint32_t dim;
    int distance;
    bool read_only;
    uint64_t max_body, max_vector_bytes;
    size_t max_concurrent;
    unsigned query_threads;
    unsigned max_scans;
} serve_opts;

typedef struct server {
    srv api;
    serve_opts o;
    atomic_uint_fast64_t active; /* requests begun and not completed */
} server;

/* Per request. */
typedef struct conn {
    char *body;
    size_t len, cap;
    bool too_large;
    bool admitted;  /* counted in api.in_flight */
    srv_route route;
    int status;
    struct timespec start;
    char rid[72];
} conn;

static const char USAGE[] =
    "nidus serve — serve a store over nidus 0.80's HTTP API\n"
    "\n"
    "usage: nidus serve --dir DIR [options]\n"
    "\n"
    "  --dir DIR                    the store ($NIDUS_DIR)\n"
    "  --dim N                      create the store with dimension N if it is absent\n"
    "  --distance cosine|euclidean|dot   metric of a new store ($NIDUS_DISTANCE)\n"
    "  --addr HOST:PORT             bind address, default 127.0.0.1:7700 ($NIDUS_ADDR);\n"
    "                               port 0 picks a free port (printed at startup)\n"
    "  --token TOKEN                require Authorization: Bearer TOKEN on every route\n"
    "                               but /health, /ready, /metrics ($NIDUS_TOKEN)\n"
    "  --read-only                  serve a read-only handle (no lock; beside a writer)\n"
    "  --max-body-bytes N           largest request body, default 268435456 (413 above)\n"
    "  --max-concurrent-requests N  store requests in flight before shedding with 503;\n"
    "                               0 (default) = 8 x cores, at least 64\n"
    "  --max-vector-bytes N         cap on the vector matrix (507 above); 0 = none\n"
    "  --query-threads N            threads per search, default 1\n"
    "  --max-concurrent-scans N     vector scans at once (others wait; equal /search\n"
    "                               requests waiting share one); 0 (default) = cores\n";

/* ------------------------------------------------------------ arguments ---- */

static uint64_t parse_u64(const char *flag, const char *v) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || *v == '-') cli_usage("%s wants a non-negative integer, not '%s'", flag, v);
    return x;
}

static void parse_args(int argc, char **argv, serve_opts *o) {
    memset(o, 0, sizeof *o);
    o->dir = getenv("NIDUS_DIR");
    o->addr = getenv("NIDUS_ADDR");
    o->token = getenv("NIDUS_TOKEN");
    o->max_body = 256u * 1024 * 1024;
    o->distance = NIDUS_DISTANCE_AUTO;
    o->query_threads = 1;
    const char *dist = getenv("NIDUS_DISTANCE");
    const char *mb = getenv("NIDUS_MAX_BODY_BYTES"), *mc = getenv("NIDUS_MAX_CONCURRENT_REQUESTS");
    if (mb && *mb) o->max_body = parse_u64("NIDUS_MAX_BODY_BYTES", mb);
    if (mc && *mc) o->max_concurrent = (size_t)parse_u64("NIDUS_MAX_CONCURRENT_REQUESTS", mc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char flag[64];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0) cli_usage("serve takes no positional argument ('%s')", a);
        const char *eq = strchr(a, '=');
        size_t fl = eq ? (size_t)(eq - a) : strlen(a);
        if (fl >= sizeof flag) cli_usage("unknown option '%s'", a);
        memcpy(flag, a, fl);
        flag[fl] = 0;
        if (strcmp(flag, "--read-only") == 0) {
            if (eq) cli_usage("--read-only takes no value");
            o->read_only = true;
            continue;
        }
        static const char *const VALUED[] = {"--dir", "--dim", "--distance", "--addr", "--token",
                                             "--max-body-bytes", "--max-concurrent-requests",
                                             "--max-vector-bytes", "--query-threads",
                                             "--max-concurrent-scans", NULL};
        bool known = false;
        for (const char *const *k = VALUED; *k; k++) known |= strcmp(*k, flag) == 0;
        if (!known) cli_usage("unknown option '%s' (see nidus serve --help)", flag);
        if (eq) v = eq + 1;
        else if (i + 1 < argc) v = argv[++i];
        else cli_usage("%s wants a value", flag);
        if (strcmp(flag, "--dir") == 0) o->dir = v;
        else if (strcmp(flag, "--dim") == 0) {
            uint64_t d = parse_u64(flag, v);
            if (d == 0 || d > UINT32_MAX) cli_usage("--dim wants 1 .. %u", UINT32_MAX);
            o->dim = (uint32_t)d;
        } else if (strcmp(flag, "--distance") == 0) dist = v;
        else if (strcmp(flag, "--addr") == 0) o->addr = v;
        else if (strcmp(flag, "--token") == 0) o->token = v;
        else if (strcmp(flag, "--max-body-bytes") == 0) o->max_body = parse_u64(flag, v);
        else if (strcmp(flag, "--max-concurrent-requests") == 0) o->max_concurrent = (size_t)parse_u64(flag, v);
        else if (strcmp(flag, "--max-vector-bytes") == 0) o->max_vector_bytes = parse_u64(flag, v);
        else if (strcmp(flag, "--max-concurrent-scans") == 0) {
            uint64_t t = parse_u64(flag, v);
            if (t > 4096) cli_usage("--max-concurrent-scans wants 0 .. 4096");
            o->max_scans = (unsigned)t;
        }
        else if (strcmp(flag, "--query-threads") == 0) {
            uint64_t t = parse_u64(flag, v);
            if (t > 256) cli_usage("--query-threads wants 0 .. 256");
            o->query_threads = (unsigned)t;
        }
    }
    if (dist && *dist) {
        if (strcmp(dist, "cosine") == 0) o->distance = NIDUS_DISTANCE_COSINE;
        else if (strcmp(dist, "euclidean") == 0 || strcmp(dist, "l2") == 0) o->distance = NIDUS_DISTANCE_EUCLIDEAN;
        else if (strcmp(dist, "dot") == 0 || strcmp(dist, "dot-product") == 0) o->distance = NIDUS_DISTANCE_DOT;
        else cli_usage("--distance wants cosine, euclidean or dot, not '%s'", dist);
    }
    if (!o->dir || !*o->dir) cli_usage("serve needs --dir (or $NIDUS_DIR)");
    if (!o->addr || !*o->addr) o->addr = "127.0.0.1:7700";
    if (o->token && !*o->token) o->token = NULL; /* empty: no auth, as nidus */
    if (o->max_concurrent == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        o->max_concurrent = (size_t)(cores > 0 ? cores : 4) * 8;
        if (o->max_concurrent < 64) o->max_concurrent = 64;
    }
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static void parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl, bool *v6) {
    char host[256];
    const char *port;
    if (addr[0] == '[') {
        const char *e = strchr(addr, ']');
        if (!e || e[1] != ':' || (size_t)(e - addr - 1) >= sizeof host) cli_usage("bad --addr '%s'", addr);
        memcpy(host, addr + 1, (size_t)(e - addr - 1));
        host[e - addr - 1] = 0;
        port = e + 2;
    } else {
        const char *c = strrchr(addr, ':');
        if (!c || (size_t)(c - addr) >= sizeof host) cli_usage("bad --addr '%s' (want HOST:PORT)", addr);
        memcpy(host, addr, (size_t)(c - addr));
        host[c - addr] = 0;
        port = c + 1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc) cli_fail("binding %s: %s", addr, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
}

/* ----------------------------------------------------------- the request ---- */

static bool is_public(srv_route r) { return r == R_HEALTH || r == R_READY || r == R_METRICS; }

/* Equal in time independent of where they differ (and of the presented length
 * beyond the expected one). */
static bool token_ok(const char *expected, const char *presented) {
    size_t el = strlen(expected), pl = strlen(presented);
    volatile unsigned char diff = (unsigned char)(el != pl);
    for (size_t i = 0; i < pl; i++) diff |= (unsigned char)(presented[i] ^ (i < el ? expected[i] : 0));
    return diff == 0;
}

static void request_id(struct MHD_Connection *c, char *out, size_t cap) {
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (v) {
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
        bool ok = n > 0 && n <= 64;
        for (size_t i = 0; ok && i < n; i++) {
            char ch = v[i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 ch == '_' || ch == '.' || ch == ':';
        }
        if (ok && n < cap) {
            memcpy(out, v, n);
            out[n] = 0;
            return;
        }
    }
    static atomic_uint_fast64_t next;
    snprintf(out, cap, "%x-%llx", (unsigned)getpid(), (unsigned long long)atomic_fetch_add(&next, 1));
}

static enum MHD_Result send_resp(struct MHD_Connection *c, conn *k, srv_resp *r) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                                                       : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", k->rid);
    if (r->retry_after) MHD_add_response_header(resp, "Retry-After", "1");
    k->status = r->status;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, conn *k, int status, int retryable, bool retry_after,
                                  const char *msg) {
    srv_resp r;
    memset(&r, 0, sizeof r);
    srv_error(&r, status, retryable, "%s", msg);
    r.retry_after = retry_after;
    return send_resp(c, k, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    server *sv = cls;
    conn *k = *con_cls;
    if (!k) { /* the headers are in: decide what can be decided before the body */
        if (!(k = calloc(1, sizeof *k))) return MHD_NO;
        *con_cls = k;
        atomic_fetch_add(&sv->active, 1);
        clock_gettime(CLOCK_MONOTONIC, &k->start);
        k->route = srv_match(url);
        request_id(c, k->rid, sizeof k->rid);
        if (sv->o.token && !is_public(k->route)) {
            const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
            if (!h || strncmp(h, "Bearer ", 7) != 0 || !token_ok(sv->o.token, h + 7)) {
                atomic_fetch_add(&sv->api.unauthorized, 1);
                return send_error(c, k, 401, -1, false, "missing or invalid bearer token");
            }
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || n > sv->o.max_body) k->too_large = true;
        }
        if (k->too_large) goto too_large;
        return MHD_YES;
    }
    if (*upload_size) { /* a piece of the body */
        size_t n = *upload_size;
        *upload_size = 0;
        if (k->too_large) return MHD_YES;
        if (n > sv->o.max_body - k->len) {
            k->too_large = true;
            free(k->body);
            k->body = NULL;
            k->len = k->cap = 0;
            return MHD_YES;
        }
        if (k->len + n > k->cap) {
            size_t cap = k->cap ? k->cap : 4096;
            while (cap < k->len + n) cap *= 2;
            char *b = realloc(k->body, cap);
            if (!b) return send_error(c, k, 507, 0, false, "out of memory receiving the body");
            k->body = b, k->cap = cap;
        }
        memcpy(k->body + k->len, upload, n);
        k->len += n;
        return MHD_YES;
    }
    if (k->too_large) goto too_large;
    if (!is_public(k->route)) {
        if (atomic_fetch_add(&sv->api.in_flight, 1) >= sv->o.max_concurrent) {
            atomic_fetch_sub(&sv->api.in_flight, 1);
            atomic_fetch_add(&sv->api.shed, 1);
            char msg[256];
            snprintf(msg, sizeof msg,
                     "server overloaded: %zu requests already in flight (the configured "
                     "--max-concurrent-requests) — retry shortly",
                     sv->o.max_concurrent);
            return send_error(c, k, 503, 1, true, msg);
        }
        k->admitted = true;
    }
    srv_resp r;
    srv_handle(&sv->api, method, url, k->body, k->len, &r);
    if (k->admitted) {
        atomic_fetch_sub(&sv->api.in_flight, 1);
        k->admitted = false;
    }
    return send_resp(c, k, &r);
too_large:;
    atomic_fetch_add(&sv->api.too_large, 1);
    char msg[160];
    snprintf(msg, sizeof msg, "request body exceeds the %llu-byte limit (--max-body-bytes)",
             (unsigned long long)sv->o.max_body);
    return send_error(c, k, 413, 0, false, msg);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)c, (void)t;
    server *sv = cls;
    conn *k = *con_cls;
    if (!k) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t us = (uint64_t)(now.tv_sec - k->start.tv_sec) * 1000000u +
                  (uint64_t)((now.tv_nsec - k->start.tv_nsec) / 1000);
    if (k->status) srv_observe(&sv->api, k->route, k->status, us);
    free(k->body);
    free(k);
    *con_cls = NULL;
    atomic_fetch_sub(&sv->active, 1);
}

/* Paths are routed raw: a collection name's %2F must not become a separator.
 * serve_api.c decodes the {name} segment itself. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls, (void)c;
    return strlen(s);
}

/* ------------------------------------------------------------------ main ---- */

static bool store_exists(const char *dir) {
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/data", dir);
    return stat(p, &st) == 0;
}

int serve_main(int argc, char **argv) {
    static server sv; /* big (metrics); lives for the process */
    serve_opts *o = &sv.o;
    parse_args(argc, argv, o);

    nidus_config cfg;
    nidus_config_init(&cfg, o->dim);
    cfg.distance = o->distance;
    cfg.max_vector_bytes = o->max_vector_bytes;
    bool exists = store_exists(o->dir);
    if (!exists && (o->read_only || !o->dim)) {
        if (o->read_only) cli_fail("no store at %s — --read-only serves an existing store", o->dir);
        cli_fail("no store at %s yet — pass --dim to create one", o->dir);
    }
    if (o->read_only) cfg.read_only = 1;
    else cfg.fsync = NIDUS_FSYNC_ON_FLUSH; /* the group commit flushes (serve_api.c) */
    nidus_db *db = NULL;
    int rc = nidus_open(o->dir, &cfg, &db);
    if (rc) {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", db ? nidus_errmsg(db) : nidus_strerror(rc));
        nidus_close(db);
        cli_fail("cannot open store '%s': %s", o->dir, msg);
    }
    if (srv_init(&sv.api, db, o->dir, &cfg, o->read_only)) {
        nidus_close(db);
        cli_fail("cannot initialise the server's locks");
    }
    sv.api.max_concurrent = o->max_concurrent;
    sv.api.query_threads = o->query_threads;
    {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        sv.api.scan_limit = (unsigned)(cores > 0 ? cores : 2);
        if (sv.api.scan_limit < 2) sv.api.scan_limit = 2;
        if (o->max_scans) sv.api.scan_limit = o->max_scans;
    }
    json_object_seed(0); /* before any thread builds an object */

    /* Every thread started from here on inherits these blocked: the signals are
     * taken by sigwait below, and a peer closing early is an EPIPE, not a death. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_storage ss;
    socklen_t sl;
    bool v6;
    parse_addr(o->addr, &ss, &sl, &v6);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC;
    if (v6) flags |= MHD_USE_IPv6;
    unsigned conn_limit = (unsigned)(o->max_concurrent * 4 < 1024 ? 1024 : o->max_concurrent * 4);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, conn_limit, MHD_OPTION_END);
    if (!d) {
        int e = errno;
        nidus_close(db);
        cli_fail("binding %s: %s", o->addr, e ? strerror(e) : "cannot start the HTTP server");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char ip[INET6_ADDRSTRLEN] = "?";
    bool loopback;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    /* The banner nidus's SDK harnesses parse for the bound port. */
    fprintf(stderr, v6 ? "nidus serving on http://[%s]:%u (Ctrl-C / SIGTERM to stop)%s\n"
                       : "nidus serving on http://%s:%u (Ctrl-C / SIGTERM to stop)%s\n",
            ip, port, o->token ? " (bearer-token auth required)" : "");
    if (!loopback)
        fprintf(stderr, o->token ? "warning: bound off-loopback over plain HTTP: the token and the data cross the "
                                   "network in cleartext — terminate TLS in front of nidus\n"
                                 : "warning: bound off-loopback with NO --token: anyone who can reach the address "
                                   "can read and write this store\n");
    fflush(stderr);

    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    /* Stop accepting; let what is in flight finish; then stop the daemon. */
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET) close(ls);
    for (int i = 0; i < 3000 && atomic_load(&sv.active) > 0; i++) usleep(10000);
    MHD_stop_daemon(d);
    char err[512] = "";
    int frc = srv_shutdown_flush(&sv.api, err, sizeof err);
    nidus_close(sv.api.db);
    srv_destroy(&sv.api);
    if (frc) {
        fprintf(stderr, "error: flush on shutdown failed: %s\n", err);
        return EXIT_FAIL;
    }
    return 0;
}

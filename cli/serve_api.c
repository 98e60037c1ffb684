/*
 * serve_api.c — nidus 0.80's HTTP API (src/server/ of nidus: routes, request and
 * response JSON, status codes) over one nidus_db, without any HTTP library: see
 * serve.h. JSON goes through the CLI's json.c (typed values, records, filters,
 * exact floats), so the server and the CLI read and print the same forms.
 *
 * Status codes come from the library's result codes, never from message text:
 * EINVAL/EDIM 400, ENOTFOUND 404, EREADONLY 403, ELOCKED 409, ECAPACITY, ENOMEM
 * and ENOSPC 507, anything else 500. Request shapes nidus would refuse (missing or
 * mistyped fields, malformed JSON) are 400 too.
 *
 * Writes and durability (group commit): the store is opened with
 * NIDUS_FSYNC_ON_FLUSH, so a write call syncs its data rows (the library's reader
 * rule) but not the log. Write requests join a queue; the first to find no leader
 * takes the whole queue, applies it in order (consecutive upserts into one
 * collection merged into one nidus_upsert: one data fsync), runs one nidus_flush()
 * (data, then log) for the group, and answers every request of it. So concurrent
 * writes share their fsyncs, and none is answered 200 before a completed flush
 * covers it; if that flush fails, each write of the group is answered 500
 * (applied, not acknowledged). Writes are never held back to wait for company: a
 * lone write pays one call and one flush.
 *
 * Reads: at most scan_limit (one per core) vector scans run at once; /search
 * requests waiting for a slot that carry the same options are answered by one
 * nidus_search_batch, whose hits equal nidus_search's bit for bit.
 */
#include "serve.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"

const char *const srv_route_names[R_COUNT] = {
#define SRV_NAME(id, text) text,
    SRV_ROUTES(SRV_NAME)
#undef SRV_NAME
};

const double srv_buckets[SRV_BUCKETS] = {0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,    1.0,   2.5,   5.0,  10.0,  30.0, 60.0};

/* ------------------------------------------------------------------ setup ---- */

static void file_state(const char *dir, const char *name, uint64_t *size, int64_t *mtime) {
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (stat(p, &st) == 0) {
        *size = (uint64_t)st.st_size;
        *mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    } else *size = 0, *mtime = 0;
}

int srv_init(srv *s, nidus_db *db, const char *dir, const nidus_config *cfg, bool read_only) {
    memset(s, 0, sizeof *s);
    s->db = db;
    s->dir = dir;
    if (cfg) s->cfg = *cfg;
    s->read_only = read_only;
    s->query_threads = 1;
    if (pthread_rwlock_init(&s->hlock, NULL)) return -1;
    if (pthread_mutex_init(&s->wmu, NULL)) return -1;
    if (pthread_mutex_init(&s->cmu, NULL)) return -1;
    if (pthread_cond_init(&s->ccv, NULL)) return -1;
    if (pthread_mutex_init(&s->gmu, NULL)) return -1;
    if (pthread_cond_init(&s->gcv, NULL)) return -1;
    if (pthread_mutex_init(&s->smu, NULL)) return -1;
    if (pthread_cond_init(&s->scv, NULL)) return -1;
    if (dir) {
        file_state(dir, "data", &s->data_size, &s->data_mtime);
        file_state(dir, "log", &s->log_size, &s->log_mtime);
    }
    return 0;
}

void srv_destroy(srv *s) {
    pthread_cond_destroy(&s->scv);
    pthread_mutex_destroy(&s->smu);
    pthread_cond_destroy(&s->gcv);
    pthread_mutex_destroy(&s->gmu);
    pthread_cond_destroy(&s->ccv);
    pthread_mutex_destroy(&s->cmu);
    pthread_mutex_destroy(&s->wmu);
    pthread_rwlock_destroy(&s->hlock);
}

/* --------------------------------------------------------------- responses ---- */

static void set_body(srv_resp *out, int status, char *text, size_t len, const char *ctype) {
    out->status = status;
    out->body = text;
    out->len = len;
    out->ctype = ctype;
}

/* j (stolen) as compact JSON, with the CLI's exact floats. */
static void reply_json(srv_resp *out, int status, json_t *j) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || !j) {
        if (f) fclose(f);
        free(text);
        json_decref(j);
        static const char oom[] = "{\"error\":\"out of memory building the response\"}";
        set_body(out, 507, strdup(oom), sizeof oom - 1, "application/json");
        if (!out->body) out->len = 0;
        return;
    }
    cj_print(f, j, false);
    fclose(f);
    set_body(out, status, text, len, "application/json");
}

static void reply_text(srv_resp *out, int status, const char *text, size_t len, const char *ctype) {
    char *t = malloc(len ? len : 1);
    if (t) memcpy(t, text, len);
    set_body(out, status, t, t ? len : 0, ctype);
}

void srv_error(srv_resp *out, int status, int retryable, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    json_t *m = json_string(msg);
    /* A message quoting invalid UTF-8 cannot be a JSON string; say so instead. */
    json_object_set_new(o, "error", m ? m : json_string("(message not valid UTF-8)"));
    if (retryable >= 0) json_object_set_new(o, "retryable", json_boolean(retryable));
    reply_json(out, status, o);
}

static int status_of(int rc) {
    switch (rc) {
    case NIDUS_EINVAL:
    case NIDUS_EDIM: return 400;
    case NIDUS_ENOTFOUND: return 404;
    case NIDUS_EREADONLY: return 403;
    case NIDUS_ELOCKED: return 409;
    case NIDUS_ECAPACITY:
    case NIDUS_ENOMEM:
    case NIDUS_ENOSPC: return 507;
    default: return 500;
    }
}

/* The failure rc of a call on db: status from rc, message from the handle (the
 * library keeps this thread's own last failure, so concurrent requests failing on
 * the one handle do not read each other's; the generic text only if the code
 * somehow differs). */
static void db_error(srv_resp *out, nidus_db *db, int rc) {
    char msg[768];
    int got = nidus_errmsg_copy(db, msg, sizeof msg);
    if (got != rc || !*msg) snprintf(msg, sizeof msg, "%s", nidus_strerror(rc));
    srv_error(out, status_of(rc), -1, "%s", msg);
}

/* ------------------------------------------------------------ request JSON ---- */

/* Deeper nesting than SRV_MAX_JSON_DEPTH is refused before jansson (which
 * recurses) sees the text. Strings are skipped, escapes included. */
static bool depth_ok(const char *t, size_t n) {
    int d = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = false;
        } else if (c == '"') in_str = true;
        else if (c == '[' || c == '{') {
            if (++d > SRV_MAX_JSON_DEPTH) return false;
        } else if (c == ']' || c == '}') d--;
    }
    return true;
}

/* The body as a JSON object; NULL after replying 400. A missing body reads as {}
 * when empty_ok (routes whose body is optional in nidus). */
static json_t *body_object(srv_resp *out, const char *body, size_t len, bool empty_ok) {
    if (len == 0 && empty_ok) return json_object();
    if (!depth_ok(body, len)) {
        srv_error(out, 400, -1, "invalid JSON body: nested deeper than %d levels", SRV_MAX_JSON_DEPTH);
        return NULL;
    }
    json_error_t je;
    /* flags 0: a string holding U+0000 is refused, so every string is a C string */
    json_t *j = json_loadb(body ? body : "", len, 0, &je);
    if (!j) {
        srv_error(out, 400, -1, "invalid JSON body: malformed JSON at line %d, column %d: %s", je.line, je.column,
                  je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        srv_error(out, 400, -1, "invalid JSON body: expected an object");
        return NULL;
    }
    return j;
}

/* A field that nidus reads as usize: absent or null gives def. */
static bool get_size(json_t *o, const char *key, size_t def, size_t *v, char *err) {
    json_t *j = json_object_get(o, key);
    if (!j || json_is_null(j)) {
        *v = def;
        return true;
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        snprintf(err, CJ_ERR, "%s must be a non-negative integer", key);
        return false;
    }
    *v = (size_t)json_integer_value(j);
    return true;
}

static bool get_bool(json_t *o, const char *key, bool *v, char *err) {
    json_t *j = json_object_get(o, key);
    *v = false;
    if (!j || json_is_null(j)) return true;
    if (!json_is_boolean(j)) {
        snprintf(err, CJ_ERR, "%s must be true or false", key);
        return false;
    }
    *v = json_is_true(j);
    return true;
}

/* A string field; absent or null gives NULL (required: an error). */
static bool get_str(json_t *o, const char *key, bool required, const char **v, char *err) {
    json_t *j = json_object_get(o, key);
    *v = NULL;
    if (!j || json_is_null(j)) {
        if (required) snprintf(err, CJ_ERR, "missing field `%s`", key);
        return !required;
    }
    if (!json_is_string(j)) {
        snprintf(err, CJ_ERR, "%s must be a string", key);
        return false;
    }
    *v = json_string_value(j);
    return true;
}

/* An array of strings; absent or null: *v NULL, *n 0 (present: *v non-NULL). */
static bool get_strs(json_t *o, const char *key, const char *const **v, size_t *n, arena *a, char *err) {
    json_t *j = json_object_get(o, key);
    *v = NULL;
    *n = 0;
    if (!j || json_is_null(j)) return true;
    if (!json_is_array(j)) {
        snprintf(err, CJ_ERR, "%s must be an array of strings", key);
        return false;
    }
    size_t k = json_array_size(j);
    const char **arr = arena_alloc(a, (k ? k : 1) * sizeof *arr);
    for (size_t i = 0; i < k; i++) {
        json_t *x = json_array_get(j, i);
        if (!json_is_string(x)) {
            snprintf(err, CJ_ERR, "%s[%zu] must be a string", key, i);
            return false;
        }
        arr[i] = json_string_value(x);
    }
    *v = arr;
    *n = k;
    return true;
}

static bool get_filter(json_t *o, const nidus_filter **f, arena *a, char *err) {
    json_t *j = json_object_get(o, "filter");
    *f = NULL;
    if (!j || json_is_null(j)) return true;
    return cj_where(j, f, a, err);
}

/* nidus 0.80 features this store does not have: refused, never silently ignored. */
static bool refuse_unsupported(json_t *o, const char *const *keys, char *err) {
    for (; *keys; keys++) {
        json_t *j = json_object_get(o, *keys);
        if (j && !json_is_null(j)) {
            snprintf(err, CJ_ERR, "%s is not supported by this server (an exact store without ranking options)",
                     *keys);
            return false;
        }
    }
    return true;
}

static bool projection(json_t *o, const char *const **inc, size_t *ninc, const char *const **exc, size_t *nexc,
                       arena *a, char *err) {
    if (!get_strs(o, "include_attributes", inc, ninc, a, err)) return false;
    if (!get_strs(o, "exclude_attributes", exc, nexc, a, err)) return false;
    if (*inc && *exc) {
        snprintf(err, CJ_ERR,
                 "include_attributes and exclude_attributes are mutually exclusive; send at most one");
        return false;
    }
    return true;
}

static const char *const SEARCH_UNSUPPORTED[] = {"rank_by", "limit_per", "expand", "diversity", "rerank", NULL};

/* The SearchRequest / SimilarRequest fields shared by both (not query, collection,
 * id) into so; strings borrow from o. */
static bool search_opts(json_t *o, nidus_search_opts *so, arena *a, char *err) {
    nidus_search_opts_init(so);
    so->threads = 1;
    size_t n;
    if (!get_strs(o, "scope", &so->collections, &n, a, err)) return false;
    so->n_collections = n;
    if (so->collections && n == 0) so->collections = NULL; /* [] = every collection */
    if (!get_size(o, "top_k", 10, &so->top_k, err)) return false;
    if (!get_size(o, "offset", 0, &so->offset, err)) return false;
    if (so->offset > SRV_MAX_TOP_K || so->top_k > SRV_MAX_TOP_K - so->offset) {
        snprintf(err, CJ_ERR, "offset %zu + top_k %zu exceeds the maximum of %d", so->offset, so->top_k,
                 SRV_MAX_TOP_K);
        return false;
    }
    json_t *ms = json_object_get(o, "min_score");
    if (ms && !json_is_null(ms)) {
        if (!json_is_number(ms)) {
            snprintf(err, CJ_ERR, "min_score must be a number");
            return false;
        }
        so->has_min_score = 1;
        so->min_score = (float)json_number_value(ms);
    }
    if (!get_filter(o, &so->where, a, err)) return false;
    bool exact;
    if (!get_bool(o, "exact", &exact, err)) return false; /* every search here is exact */
    if (!refuse_unsupported(o, SEARCH_UNSUPPORTED, err)) return false;
    return projection(o, &so->include_attrs, &so->n_include_attrs, &so->exclude_attrs, &so->n_exclude_attrs, a,
                      err);
}

/* ----------------------------------------------------------- output shapes ---- */

static json_t *str_or_null(const char *s) {
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

/* nidus's HitDto: {"collection", "id", "score", "attrs"}. */
static json_t *hit_out(const char *collection, const char *id, float score, const nidus_attr *attrs, size_t n) {
    json_t *o = json_object();
    json_object_set_new(o, "collection", str_or_null(collection));
    json_object_set_new(o, "id", str_or_null(id));
    json_object_set_new(o, "score", cj_f32(score));
    json_object_set_new(o, "attrs", cj_attrs_out(attrs, n));
    return o;
}

static json_t *hits_out(const nidus_hits *h) {
    json_t *arr = json_array();
    for (size_t i = 0; i < h->count; i++) {
        const nidus_hit *x = &h->hits[i];
        json_array_append_new(arr, hit_out(x->collection, x->id, x->score, x->attrs, x->n_attrs));
    }
    return arr;
}

static json_t *names_out(const nidus_names *n) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n->count; i++) json_array_append_new(arr, str_or_null(n->names[i]));
    return arr;
}

/* --------------------------------------------------------------- scan gate ---- */

static bool scan_try_enter(srv *s) {
    if (!s->scan_limit) return true;
    pthread_mutex_lock(&s->gmu);
    bool ok = s->scans < s->scan_limit;
    if (ok) s->scans++;
    pthread_mutex_unlock(&s->gmu);
    return ok;
}

static void scan_enter(srv *s) {
    if (!s->scan_limit) return;
    pthread_mutex_lock(&s->gmu);
    while (s->scans >= s->scan_limit) pthread_cond_wait(&s->gcv, &s->gmu);
    s->scans++;
    pthread_mutex_unlock(&s->gmu);
}

static void scan_leave(srv *s) {
    if (!s->scan_limit) return;
    pthread_mutex_lock(&s->gmu);
    s->scans--;
    pthread_cond_signal(&s->gcv);
    pthread_mutex_unlock(&s->gmu);
    /* a slot is free: a queued search may take it */
    pthread_mutex_lock(&s->smu);
    pthread_cond_broadcast(&s->scv);
    pthread_mutex_unlock(&s->smu);
}

/* ------------------------------------------------------------ group search ---- */

typedef struct sjob {
    const float *v;
    size_t dim;
    const nidus_search_opts *so;
    const char *key; /* the request's options, canonical; NULL: never grouped */
    nidus_hits *hits;
    int rc;
    bool done;
    char err[512];
    struct sjob *next;
} sjob;

#define SRV_SEARCH_GROUP 64

/* Run g[0..n) (same options and dimension) as one batch; a failing batch is run
 * query by query, so each gets its own answer. Batch hits equal single-query hits
 * bit for bit (nidus_search_batch's contract). */
static void run_search_group(srv *s, nidus_db *db, sjob **g, size_t n) {
    int rc = NIDUS_EINVAL;
    if (n > 1) {
        float *qv = malloc(n * g[0]->dim * sizeof *qv + 1);
        nidus_hits *out[SRV_SEARCH_GROUP];
        if (qv) {
            for (size_t i = 0; i < n; i++) memcpy(qv + i * g[0]->dim, g[i]->v, g[0]->dim * sizeof *qv);
            rc = nidus_search_batch(db, qv, n, g[0]->dim, g[0]->so, out);
            free(qv);
        }
        if (rc == NIDUS_OK)
            for (size_t i = 0; i < n; i++) g[i]->hits = out[i], g[i]->rc = NIDUS_OK;
    }
    if (rc != NIDUS_OK)
        for (size_t i = 0; i < n; i++) {
            g[i]->rc = nidus_search(db, g[i]->v, g[i]->dim, g[i]->so, &g[i]->hits);
            if (g[i]->rc && (nidus_errmsg_copy(db, g[i]->err, sizeof g[i]->err) != g[i]->rc || !g[i]->err[0]))
                snprintf(g[i]->err, sizeof g[i]->err, "%s", nidus_strerror(g[i]->rc));
        }
    atomic_fetch_add(&s->search_groups, 1);
    atomic_fetch_add(&s->searches, n);
}

/* Queue the search; whenever a scan slot is free, a waiter takes the oldest
 * queued search and every other queued one with the same options, and runs them
 * together. No waiting for company: a lone search runs at once. */
static void run_search(srv *s, nidus_db *db, sjob *job) {
    pthread_mutex_lock(&s->smu);
    job->next = s->shead; /* order does not matter for correctness; oldest is last */
    s->shead = job;
    while (!job->done) {
        if (!s->shead || !scan_try_enter(s)) {
            pthread_cond_wait(&s->scv, &s->smu);
            continue;
        }
        /* the oldest queued job leads the group */
        sjob **pp = &s->shead;
        while ((*pp)->next) pp = &(*pp)->next;
        sjob *first = *pp, *g[SRV_SEARCH_GROUP];
        *pp = NULL;
        size_t n = 0;
        g[n++] = first;
        for (sjob **q = &s->shead; *q && n < SRV_SEARCH_GROUP;) {
            sjob *c = *q;
            if (first->key && c->key && c->dim == first->dim && strcmp(c->key, first->key) == 0) {
                *q = c->next;
                g[n++] = c;
            } else q = &c->next;
        }
        pthread_mutex_unlock(&s->smu);
        run_search_group(s, db, g, n);
        pthread_mutex_lock(&s->smu);
        for (size_t i = 0; i < n; i++) g[i]->done = true;
        pthread_cond_broadcast(&s->scv);
        pthread_mutex_unlock(&s->smu);
        scan_leave(s);
        pthread_mutex_lock(&s->smu);
    }
    pthread_mutex_unlock(&s->smu);
}

/* ------------------------------------------------------------ group commit ---- */

/* One write request: its call, or (merge) an upsert of recs into coll that may be
 * applied together with its neighbours in the queue. */
typedef int (*write_fn)(nidus_db *db, void *arg);

typedef struct wjob {
    write_fn fn;
    void *arg;
    const char *coll;        /* merge: the collection */
    const nidus_record *recs;
    size_t n;
    int rc;                  /* the call's result */
    bool durable;            /* a flush after the call succeeded */
    bool done;
    char err[512];
    struct wjob *next;
} wjob;

static void job_fail(wjob *j, nidus_db *db, int rc) {
    j->rc = rc;
    if (nidus_errmsg_copy(db, j->err, sizeof j->err) != rc || !j->err[0])
        snprintf(j->err, sizeof j->err, "%s", nidus_strerror(rc));
}

/* Apply jobs[0..n) in order, merging runs of upserts into one collection into one
 * nidus_upsert (one data fsync; the last record of an id wins, as it would one by
 * one). A run whose merged call fails is applied job by job, so each request gets
 * its own answer and all-or-nothing holds per request. Then one nidus_flush covers
 * every job that succeeded. Called by the leader only, without locks. */
static void apply_group(srv *s, wjob **jobs, size_t n) {
    bool any = false;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (jobs[i]->coll)
            while (j < n && jobs[j]->coll && strcmp(jobs[j]->coll, jobs[i]->coll) == 0) j++;
        bool merged = false;
        if (j - i > 1) {
            size_t total = 0;
            for (size_t k = i; k < j; k++) total += jobs[k]->n;
            nidus_record *all = malloc((total ? total : 1) * sizeof *all);
            if (all) {
                size_t at = 0;
                for (size_t k = i; k < j; k++) {
                    memcpy(all + at, jobs[k]->recs, jobs[k]->n * sizeof *all);
                    at += jobs[k]->n;
                }
                merged = nidus_upsert(s->db, jobs[i]->coll, all, total) == NIDUS_OK;
                free(all);
            }
            if (merged)
                for (size_t k = i; k < j; k++) jobs[k]->rc = NIDUS_OK;
        }
        if (!merged)
            for (size_t k = i; k < j; k++) {
                int rc = jobs[k]->fn(s->db, jobs[k]->arg);
                if (rc) job_fail(jobs[k], s->db, rc);
                else jobs[k]->rc = NIDUS_OK;
            }
        for (size_t k = i; k < j; k++) any |= jobs[k]->rc == NIDUS_OK;
        i = j;
    }
    if (!any) return;
    int frc = nidus_flush(s->db);
    char msg[300] = "";
    if (frc && (nidus_errmsg_copy(s->db, msg, sizeof msg) != frc || !*msg))
        snprintf(msg, sizeof msg, "%s", nidus_strerror(frc));
    atomic_fetch_add(&s->groups, 1);
    for (size_t k = 0; k < n; k++) {
        if (jobs[k]->rc) continue;
        jobs[k]->durable = frc == NIDUS_OK;
        if (frc) snprintf(jobs[k]->err, sizeof jobs[k]->err, "%s", msg);
    }
}

/* Queue the job; whoever finds no leader leads: takes the whole queue, applies it
 * as one group, answers it, and hands over (a waiter whose job is still queued
 * becomes the next leader). No timed window: a lone write pays one call and one
 * flush, as without the queue. */
static void submit(srv *s, wjob *job) {
    pthread_mutex_lock(&s->cmu);
    job->next = NULL;
    if (s->qtail) s->qtail->next = job;
    else s->qhead = job;
    s->qtail = job;
    while (!job->done) {
        if (s->flushing || !s->qhead) {
            pthread_cond_wait(&s->ccv, &s->cmu);
            continue;
        }
        s->flushing = true; /* leading */
        wjob *batch = s->qhead;
        s->qhead = s->qtail = NULL;
        pthread_mutex_unlock(&s->cmu);
        wjob *stack[64], **jobs = stack;
        size_t n = 0, cap = 64;
        for (wjob *w = batch; w; w = w->next) {
            if (n == cap) {
                wjob **bigger = malloc(2 * cap * sizeof *bigger);
                if (!bigger) break; /* the rest waits for the next group */
                memcpy(bigger, jobs, n * sizeof *jobs);
                if (jobs != stack) free(jobs);
                jobs = bigger, cap *= 2;
            }
            jobs[n++] = w;
        }
        wjob *rest = n ? jobs[n - 1]->next : batch;
        pthread_mutex_lock(&s->wmu);
        apply_group(s, jobs, n);
        pthread_mutex_unlock(&s->wmu);
        pthread_mutex_lock(&s->cmu);
        for (size_t k = 0; k < n; k++) jobs[k]->done = true;
        if (rest) { /* put back what did not fit, ahead of newer jobs */
            wjob *last = rest;
            while (last->next) last = last->next;
            last->next = s->qhead;
            if (!s->qhead) s->qtail = last;
            s->qhead = rest;
        }
        s->flushing = false;
        pthread_cond_broadcast(&s->ccv);
        if (jobs != stack) free(jobs);
    }
    pthread_mutex_unlock(&s->cmu);
}

/* One write request through the group commit; false after replying the error. */
static bool run_write_job(srv *s, wjob *job, srv_resp *out) {
    submit(s, job);
    if (job->rc) {
        srv_error(out, status_of(job->rc), -1, "%s", job->err);
        return false;
    }
    if (!job->durable) {
        srv_error(out, 500, 0,
                  "the write was applied but its batch could not be made durable, so it is NOT acknowledged: %s",
                  job->err);
        return false;
    }
    atomic_fetch_add(&s->commits, 1);
    return true;
}

static bool run_write(srv *s, write_fn fn, void *arg, srv_resp *out) {
    wjob job = {.fn = fn, .arg = arg};
    return run_write_job(s, &job, out);
}

int srv_shutdown_flush(srv *s, char *err, size_t cap) {
    pthread_mutex_lock(&s->wmu);
    int rc = s->read_only ? NIDUS_OK : nidus_flush(s->db);
    if (rc) nidus_errmsg_copy(s->db, err, cap);
    pthread_mutex_unlock(&s->wmu);
    return rc;
}

/* ---------------------------------------------------------------- handlers ---- */

typedef struct req {
    srv *s;
    nidus_db *db;
    const char *name; /* decoded {name}, or NULL */
    const char *body;
    size_t len;
    srv_resp *out;
    arena a;
    json_t *j; /* parsed body (owned) */
    char err[CJ_ERR];
} req;

static void bad(req *r) { srv_error(r->out, 400, -1, "%s", r->err); }

static void reply_ok(req *r) {
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_true());
    reply_json(r->out, 200, o);
}

static const char *role(const srv *s) { return s->read_only ? "Reader" : "Writer"; }

static void h_health(req *r) { reply_text(r->out, 200, "ok", 2, "text/plain; charset=utf-8"); }

static void h_ready(req *r) {
    json_t *o = json_object();
    json_object_set_new(o, "ready", json_true());
    json_object_set_new(o, "role", json_string(role(r->s)));
    json_object_set_new(o, "staleness_secs", json_integer(0));
    reply_json(r->out, 200, o);
}

/* nidus's commit_version counts commits; here, the writes this server has made
 * durable (a local store has no version history). */
static void h_cluster(req *r) {
    json_t *o = json_object();
    json_object_set_new(o, "role", json_string(role(r->s)));
    json_object_set_new(o, "cluster", json_false());
    json_object_set_new(o, "holds_writer_handle", json_boolean(!r->s->read_only));
    json_object_set_new(o, "fenced", json_false());
    json_object_set_new(o, "lease_owner", json_null());
    json_object_set_new(o, "commit_version", json_integer((json_int_t)atomic_load(&r->s->commits)));
    json_object_set_new(o, "staleness_secs", json_integer(0));
    json_object_set_new(o, "max_staleness_secs", json_null());
    reply_json(r->out, 200, o);
}

static void h_versions(req *r) {
    json_t *o = json_object();
    json_object_set_new(o, "commit_version", json_integer((json_int_t)atomic_load(&r->s->commits)));
    json_object_set_new(o, "oldest_readable", json_null());
    json_object_set_new(o, "pinned", json_null());
    json_object_set_new(o, "readable", json_array());
    reply_json(r->out, 200, o);
}

static json_t *footprint_out(const nidus_footprint *fp) {
    json_t *o = json_object();
    json_object_set_new(o, "rows", json_integer((json_int_t)fp->rows));
    json_object_set_new(o, "dead_rows", json_integer((json_int_t)fp->dead_rows));
    json_object_set_new(o, "dimension", json_integer((json_int_t)fp->dimension));
    json_object_set_new(o, "vector_bytes", json_integer((json_int_t)fp->vector_bytes));
    json_object_set_new(o, "doc_count", json_integer((json_int_t)fp->doc_count));
    json_object_set_new(o, "filter_index_bytes", json_integer((json_int_t)fp->filter_index_bytes));
    return o;
}

static void h_stats(req *r) {
    nidus_footprint fp;
    nidus_config cfg;
    nidus_names *names;
    int rc = nidus_get_footprint(r->db, &fp);
    if (!rc) rc = nidus_get_config(r->db, &cfg);
    if (!rc) rc = nidus_collections(r->db, &names);
    if (rc) return db_error(r->out, r->db, rc);
    json_t *o = json_object();
    json_object_set_new(o, "dimension", json_integer((json_int_t)nidus_dimension(r->db)));
    json_object_set_new(o, "distance", str_or_null(nidus_distance_name(cfg.distance)));
    json_object_set_new(o, "ann", json_null());
    json_object_set_new(o, "quantization", json_null());
    json_object_set_new(o, "query_threads", json_integer((json_int_t)r->s->query_threads));
    json_object_set_new(o, "mmap", json_false());
    json_object_set_new(o, "collections", names_out(names));
    json_object_set_new(o, "footprint", footprint_out(&fp));
    nidus_free(names);
    reply_json(r->out, 200, o);
}

static void h_collections(req *r) {
    nidus_names *names;
    int rc = nidus_collections(r->db, &names);
    if (rc) return db_error(r->out, r->db, rc);
    reply_json(r->out, 200, names_out(names));
    nidus_free(names);
}

static int w_create(nidus_db *db, void *arg) { return nidus_create_collection(db, arg); }
static int w_drop(nidus_db *db, void *arg) { return nidus_drop_collection(db, arg); }

static void h_create(req *r) {
    if (!run_write(r->s, w_create, (void *)r->name, r->out)) return;
    json_t *o = json_object();
    json_object_set_new(o, "created", json_string(r->name));
    reply_json(r->out, 200, o);
}

static void h_drop(req *r) {
    if (!run_write(r->s, w_drop, (void *)r->name, r->out)) return;
    json_t *o = json_object();
    json_object_set_new(o, "dropped", json_string(r->name));
    reply_json(r->out, 200, o);
}

static void h_get_meta(req *r) {
    nidus_meta *m;
    int rc = nidus_get_meta(r->db, r->name, &m);
    if (rc) return db_error(r->out, r->db, rc);
    json_t *o = json_object();
    for (size_t i = 0; i < m->count; i++) json_object_set_new(o, m->entries[i].key, str_or_null(m->entries[i].value));
    nidus_free(m);
    reply_json(r->out, 200, o);
}

typedef struct meta_arg {
    const char *name;
    nidus_meta_entry *e;
    size_t n;
} meta_arg;
static int w_meta(nidus_db *db, void *arg) {
    meta_arg *m = arg;
    return nidus_set_meta(db, m->name, m->e, m->n);
}

static void h_set_meta(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    meta_arg m = {r->name, arena_alloc(&r->a, (json_object_size(r->j) + 1) * sizeof(nidus_meta_entry)), 0};
    const char *k;
    json_t *v;
    json_object_foreach(r->j, k, v) {
        if (!json_is_string(v)) {
            snprintf(r->err, CJ_ERR, "invalid JSON body: meta values must be strings (\"%.100s\" is not)", k);
            return bad(r);
        }
        m.e[m.n].key = k;
        m.e[m.n++].value = json_string_value(v);
    }
    if (run_write(r->s, w_meta, &m, r->out)) reply_ok(r);
}

typedef struct upsert_arg {
    const char *name;
    nidus_record *recs;
    size_t n;
} upsert_arg;
static int w_upsert(nidus_db *db, void *arg) {
    upsert_arg *u = arg;
    return nidus_upsert(db, u->name, u->recs, u->n);
}

static void h_upsert(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    json_t *recs = json_object_get(r->j, "records");
    if (!json_is_array(recs)) {
        snprintf(r->err, CJ_ERR, "invalid JSON body: %s", recs ? "records must be an array" : "missing field `records`");
        return bad(r);
    }
    upsert_arg u = {r->name, arena_alloc(&r->a, (json_array_size(recs) + 1) * sizeof(nidus_record)), 0};
    for (size_t i = 0; i < json_array_size(recs); i++) {
        char sub[CJ_ERR];
        if (!cj_record(json_array_get(recs, i), &u.recs[i], &r->a, sub)) {
            snprintf(r->err, CJ_ERR, "invalid JSON body: records[%zu]: %.400s", i, sub);
            return bad(r);
        }
        u.n++;
    }
    wjob job = {.fn = w_upsert, .arg = &u, .coll = u.name, .recs = u.recs, .n = u.n};
    if (!run_write_job(r->s, &job, r->out)) return;
    json_t *o = json_object();
    json_object_set_new(o, "upserted", json_integer((json_int_t)u.n));
    reply_json(r->out, 200, o);
}

typedef struct delete_arg {
    const char *name;
    const nidus_filter *where;
    bool by_filter;
    const char *const *ids;
    size_t n, deleted;
} delete_arg;
static int w_delete(nidus_db *db, void *arg) {
    delete_arg *d = arg;
    if (d->by_filter) return nidus_delete_where_filter(db, d->name, d->where, &d->deleted);
    return nidus_delete(db, d->name, d->ids, d->n, &d->deleted);
}

static void h_delete(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    delete_arg d = {.name = r->name};
    json_t *f = json_object_get(r->j, "filter");
    d.by_filter = f && !json_is_null(f); /* "filter": [] deletes every record, as nidus */
    if (!get_filter(r->j, &d.where, &r->a, r->err)) return bad(r);
    if (!get_strs(r->j, "ids", &d.ids, &d.n, &r->a, r->err)) return bad(r);
    if (!d.by_filter && !d.ids) d.ids = (const char *const[]){NULL}; /* no ids: deletes none */
    if (!run_write(r->s, w_delete, &d, r->out)) return;
    json_t *o = json_object();
    json_object_set_new(o, "deleted", json_integer((json_int_t)d.deleted));
    reply_json(r->out, 200, o);
}

/* nidus's Record: {"id", "vector", "attrs"}. */
static void h_records(req *r) {
    nidus_docs *docs;
    int rc = nidus_get_all(r->db, r->name, &docs);
    if (rc) return db_error(r->out, r->db, rc);
    json_t *arr = json_array();
    uint32_t dim = nidus_dimension(r->db);
    for (size_t i = 0; i < docs->count; i++) {
        const nidus_doc *d = &docs->docs[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", str_or_null(d->id));
        json_object_set_new(o, "vector", cj_vector_out(d->vector, dim));
        json_object_set_new(o, "attrs", cj_attrs_out(d->attrs, d->n_attrs));
        json_array_append_new(arr, o);
    }
    nidus_free(docs);
    reply_json(r->out, 200, arr);
}

typedef struct findex_arg {
    const char *name;
    const char *const *fields;
    size_t n;
} findex_arg;
static int w_findex(nidus_db *db, void *arg) {
    findex_arg *f = arg;
    return nidus_set_filter_index(db, f->name, f->fields, f->n);
}

/* {"fields": ["name" | {"field": "name", "tokens": b, "trigrams": b}]}. The
 * library keeps both of nidus's structures for every declared field, so tokens
 * and trigrams are accepted and read as on (the index is speed only: results are
 * the same either way). */
static void h_filter_index(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    json_t *fields = json_object_get(r->j, "fields");
    if (!json_is_array(fields)) {
        snprintf(r->err, CJ_ERR, "invalid JSON body: %s", fields ? "fields must be an array" : "missing field `fields`");
        return bad(r);
    }
    const char **names = arena_alloc(&r->a, (json_array_size(fields) + 1) * sizeof *names);
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        if (json_is_object(f)) f = json_object_get(f, "field");
        if (!json_is_string(f)) {
            snprintf(r->err, CJ_ERR, "invalid JSON body: fields[%zu] must be a name or {\"field\": name}", i);
            return bad(r);
        }
        names[i] = json_string_value(f);
    }
    findex_arg fa = {r->name, names, json_array_size(fields)};
    if (run_write(r->s, w_findex, &fa, r->out)) reply_ok(r);
}

static void h_search(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    nidus_search_opts so;
    if (!search_opts(r->j, &so, &r->a, r->err)) return bad(r);
    so.threads = r->s->query_threads;
    json_t *q = json_object_get(r->j, "query");
    float *v;
    size_t dim;
    if (!q) {
        snprintf(r->err, CJ_ERR, "invalid JSON body: missing field `query`");
        return bad(r);
    }
    if (!cj_vector(q, &v, &dim, &r->a, r->err)) return bad(r);
    /* The options as canonical text: requests equal in everything but the query
     * vector can share a scan. */
    json_t *rest = json_copy(r->j);
    char *key = NULL;
    if (rest) {
        json_object_del(rest, "query");
        key = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_decref(rest);
    }
    sjob job = {.v = v, .dim = dim, .so = &so, .key = key};
    run_search(r->s, r->db, &job);
    free(key);
    if (job.rc) return srv_error(r->out, status_of(job.rc), -1, "%s", job.err);
    reply_json(r->out, 200, hits_out(job.hits));
    nidus_free(job.hits);
}

static void h_similar(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    nidus_search_opts so;
    const char *coll, *id;
    if (!get_str(r->j, "collection", true, &coll, r->err) || !get_str(r->j, "id", true, &id, r->err) ||
        !search_opts(r->j, &so, &r->a, r->err))
        return bad(r);
    so.threads = r->s->query_threads;
    nidus_hits *hits;
    scan_enter(r->s);
    int rc = nidus_search_similar(r->db, coll, id, &so, &hits);
    scan_leave(r->s);
    if (rc) return db_error(r->out, r->db, rc);
    reply_json(r->out, 200, hits_out(hits));
    nidus_free(hits);
}

/* Every query is checked before any runs (nidus: a batch never half-runs). Runs of
 * consecutive queries with the same options go through one nidus_search_batch. */
static void h_batch(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    json_t *qs = json_object_get(r->j, "queries");
    json_t *fuse = json_object_get(r->j, "fuse");
    if (!json_is_array(qs)) {
        snprintf(r->err, CJ_ERR, "invalid JSON body: %s", qs ? "queries must be an array" : "missing field `queries`");
        return bad(r);
    }
    size_t n = json_array_size(qs);
    if (n == 0) {
        snprintf(r->err, CJ_ERR, "queries must not be empty");
        return bad(r);
    }
    if (n > SRV_MAX_BATCH) {
        snprintf(r->err, CJ_ERR, "%zu queries exceeds the maximum batch of %d", n, SRV_MAX_BATCH);
        return bad(r);
    }
    if (fuse && !json_is_null(fuse)) {
        snprintf(r->err, CJ_ERR, "fuse is not supported by this server: ask without it and fuse client-side");
        return bad(r);
    }
    nidus_search_opts *so = arena_alloc(&r->a, n * sizeof *so);
    float **vec = arena_alloc(&r->a, n * sizeof *vec);
    size_t *dims = arena_alloc(&r->a, n * sizeof *dims);
    json_t **rest = arena_alloc(&r->a, n * sizeof *rest); /* each query without "query" */
    nidus_hits **hits = arena_alloc(&r->a, n * sizeof *hits);
    memset(hits, 0, n * sizeof *hits);
    memset(rest, 0, n * sizeof *rest);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        json_t *q = json_array_get(qs, i);
        char sub[CJ_ERR];
        json_t *qv = json_is_object(q) ? json_object_get(q, "query") : NULL;
        if (!json_is_object(q)) snprintf(sub, CJ_ERR, "must be an object");
        else if (!qv) snprintf(sub, CJ_ERR, "missing field `query`");
        ok = json_is_object(q) && qv && search_opts(q, &so[i], &r->a, sub) && cj_vector(qv, &vec[i], &dims[i], &r->a, sub);
        if (!ok) snprintf(r->err, CJ_ERR, "queries[%zu]: %.400s", i, sub);
        else {
            so[i].threads = r->s->query_threads;
            rest[i] = json_copy(q); /* shallow: values shared, fine for json_equal */
            if (rest[i]) json_object_del(rest[i], "query");
        }
    }
    int rc = NIDUS_OK;
    if (ok) scan_enter(r->s);
    for (size_t i = 0; ok && i < n && !rc;) {
        size_t j = i + 1;
        while (j < n && dims[j] == dims[i] && rest[i] && rest[j] && json_equal(rest[i], rest[j])) j++;
        /* the run's vectors back to back, as nidus_search_batch wants them */
        float *qv = arena_alloc(&r->a, (j - i) * dims[i] * sizeof *qv + 1);
        for (size_t k = i; k < j; k++) memcpy(qv + (k - i) * dims[i], vec[k], dims[i] * sizeof *qv);
        rc = nidus_search_batch(r->db, qv, j - i, dims[i], &so[i], &hits[i]);
        i = j;
    }
    if (ok) scan_leave(r->s);
    for (size_t i = 0; i < n; i++) json_decref(rest[i]);
    if (!ok) return bad(r);
    if (rc) {
        db_error(r->out, r->db, rc);
    } else {
        json_t *results = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(results, hits_out(hits[i]));
        json_t *o = json_object();
        json_object_set_new(o, "results", results);
        reply_json(r->out, 200, o);
    }
    for (size_t i = 0; i < n; i++) nidus_free(hits[i]);
}

static void h_list(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    nidus_list_opts lo;
    nidus_list_opts_init(&lo);
    if (!get_strs(r->j, "scope", &lo.collections, &lo.n_collections, &r->a, r->err)) return bad(r);
    if (lo.collections && !lo.n_collections) lo.collections = NULL;
    if (!get_size(r->j, "offset", 0, &lo.offset, r->err) ||
        !get_size(r->j, "limit", NIDUS_LIST_DEFAULT_LIMIT, &lo.limit, r->err) ||
        !get_filter(r->j, &lo.where, &r->a, r->err) ||
        !projection(r->j, &lo.include_attrs, &lo.n_include_attrs, &lo.exclude_attrs, &lo.n_exclude_attrs, &r->a,
                    r->err))
        return bad(r);
    json_t *ob = json_object_get(r->j, "order_by");
    if (ob && !json_is_null(ob)) {
        bool desc;
        if (!json_is_object(ob) || !get_str(ob, "field", true, &lo.order_by, r->err) ||
            !get_bool(ob, "descending", &desc, r->err)) {
            if (!json_is_object(ob)) snprintf(r->err, CJ_ERR, "order_by must be {\"field\", \"descending\"}");
            return bad(r);
        }
        lo.descending = desc;
    }
    nidus_docs *docs;
    int rc = nidus_list_docs(r->db, &lo, &docs);
    if (rc) return db_error(r->out, r->db, rc);
    json_t *arr = json_array();
    for (size_t i = 0; i < docs->count; i++) {
        const nidus_doc *d = &docs->docs[i];
        json_array_append_new(arr, hit_out(d->collection, d->id, 0.0f, d->attrs, d->n_attrs));
    }
    nidus_free(docs);
    reply_json(r->out, 200, arr);
}

static void h_aggregate(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, false))) return;
    nidus_aggregate_opts ao;
    nidus_aggregate_opts_init(&ao);
    if (!get_strs(r->j, "scope", &ao.collections, &ao.n_collections, &r->a, r->err)) return bad(r);
    if (ao.collections && !ao.n_collections) ao.collections = NULL;
    if (!get_filter(r->j, &ao.where, &r->a, r->err) || !get_strs(r->j, "sum", &ao.sum, &ao.n_sum, &r->a, r->err) ||
        !get_str(r->j, "group_by", false, &ao.group_by, r->err))
        return bad(r);
    nidus_aggregation *ag;
    int rc = nidus_aggregate(r->db, &ao, &ag);
    if (rc) return db_error(r->out, r->db, rc);
    /* nidus's AggregationDto: groups only when there are some, groups_truncated
     * only when true. */
    json_t *o = cj_aggregation_out(ag, true);
    nidus_free(ag);
    reply_json(r->out, 200, o);
}

static int w_flush(nidus_db *db, void *arg) {
    (void)db, (void)arg;
    return NIDUS_OK; /* the group commit's flush is the work */
}
static int w_compact(nidus_db *db, void *arg) {
    (void)arg;
    return nidus_compact(db);
}
static int w_readonly(nidus_db *db, void *arg) {
    (void)db, (void)arg;
    return NIDUS_EREADONLY;
}

static void h_flush(req *r) {
    if (run_write(r->s, r->s->read_only ? w_readonly : w_flush, NULL, r->out)) reply_ok(r);
}

/* Bodyless, {} or {"expired": false}; {"expired": true} sweeps TTLs, which this
 * store does not have. */
static void h_compact(req *r) {
    if (!(r->j = body_object(r->out, r->body, r->len, true))) return;
    bool expired;
    if (!get_bool(r->j, "expired", &expired, r->err)) return bad(r);
    if (expired) return srv_error(r->out, 400, -1, "expired: this store keeps no TTLs to sweep");
    if (run_write(r->s, w_compact, NULL, r->out)) reply_ok(r);
}

/* A read-only server reopens its handle when the files changed since it opened
 * (a writer wrote), adopting the newer state; a writer is always current. The
 * caller holds hlock for writing. */
static void h_refresh(req *r) {
    srv *s = r->s;
    bool adopted = false;
    if (s->read_only && s->dir) {
        uint64_t ds, ls;
        int64_t dm, lm;
        file_state(s->dir, "data", &ds, &dm);
        file_state(s->dir, "log", &ls, &lm);
        if (ds != s->data_size || ls != s->log_size || dm != s->data_mtime || lm != s->log_mtime) {
            nidus_db *db = NULL;
            int rc = nidus_open(s->dir, &s->cfg, &db);
            if (rc) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", db ? nidus_errmsg(db) : nidus_strerror(rc));
                nidus_close(db);
                return srv_error(r->out, status_of(rc), -1, "refresh: %s", msg);
            }
            nidus_close(s->db);
            s->db = db;
            s->data_size = ds, s->log_size = ls, s->data_mtime = dm, s->log_mtime = lm;
            adopted = true;
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "adopted", json_boolean(adopted));
    reply_json(r->out, 200, o);
}

/* Prometheus text: traffic by route and status class, latency histograms, shed
 * and in-flight counts, the group commit, and the store's footprint. */
static void h_metrics(req *r) {
    srv *s = r->s;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return srv_error(r->out, 507, -1, "out of memory");
    fprintf(f, "# HELP nidus_http_requests_total HTTP requests served, by route and status class\n"
               "# TYPE nidus_http_requests_total counter\n");
    for (int i = 0; i < R_COUNT; i++)
        for (int c = 0; c < 5; c++) {
            uint64_t n = atomic_load(&s->routes[i].by_class[c]);
            if (n)
                fprintf(f, "nidus_http_requests_total{route=\"%s\",status=\"%dxx\"} %llu\n", srv_route_names[i],
                        c + 1, (unsigned long long)n);
        }
    fprintf(f, "# HELP nidus_http_request_duration_seconds Request latency by route\n"
               "# TYPE nidus_http_request_duration_seconds histogram\n");
    for (int i = 0; i < R_COUNT; i++) {
        const srv_route_stats *st = &s->routes[i];
        uint64_t count = atomic_load(&st->count);
        if (!count) continue;
        uint64_t cum = 0;
        for (int b = 0; b < SRV_BUCKETS; b++) {
            cum += atomic_load(&st->buckets[b]);
            fprintf(f, "nidus_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    srv_route_names[i], srv_buckets[b], (unsigned long long)cum);
        }
        fprintf(f, "nidus_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", srv_route_names[i],
                (unsigned long long)count);
        fprintf(f, "nidus_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", srv_route_names[i],
                (double)atomic_load(&st->sum_us) / 1e6);
        fprintf(f, "nidus_http_request_duration_seconds_count{route=\"%s\"} %llu\n", srv_route_names[i],
                (unsigned long long)count);
    }
    struct {
        const char *name, *help, *type;
        uint64_t v;
    } one[] = {
        {"nidus_http_requests_shed_total", "Requests shed with 503 over --max-concurrent-requests", "counter",
         atomic_load(&s->shed)},
        {"nidus_http_requests_too_large_total", "Requests refused with 413 over --max-body-bytes", "counter",
         atomic_load(&s->too_large)},
        {"nidus_http_requests_unauthorized_total", "Requests refused with 401", "counter",
         atomic_load(&s->unauthorized)},
        {"nidus_http_requests_in_flight", "Store-touching requests being served", "gauge",
         atomic_load(&s->in_flight)},
        {"nidus_http_concurrency_limit", "The --max-concurrent-requests in force", "gauge", s->max_concurrent},
        {"nidus_commit_groups_total", "Flushes run by the group commit", "counter", atomic_load(&s->groups)},
        {"nidus_commit_writes_total", "Write requests acknowledged durable", "counter", atomic_load(&s->commits)},
        {"nidus_search_groups_total", "Scans run for /search (each one batch of requests)", "counter",
         atomic_load(&s->search_groups)},
        {"nidus_search_grouped_total", "/search requests answered by those scans", "counter",
         atomic_load(&s->searches)},
        {"nidus_ready", "Whether this instance reports ready (1) or not (0)", "gauge", 1},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", one[i].name, one[i].help, one[i].name, one[i].type,
                one[i].name, (unsigned long long)one[i].v);
    nidus_footprint fp;
    if (nidus_get_footprint(r->db, &fp) == NIDUS_OK) {
        struct {
            const char *name, *help;
            uint64_t v;
        } g[] = {{"nidus_store_rows", "Rows in the data file (live, dead, orphaned)", fp.rows},
                 {"nidus_store_dead_rows", "Dead rows awaiting compaction", fp.dead_rows},
                 {"nidus_store_docs", "Live records", fp.doc_count},
                 {"nidus_store_dimension", "Vector dimension", fp.dimension},
                 {"nidus_store_vector_bytes", "Bytes of vectors (rows x dimension x 4)", fp.vector_bytes},
                 {"nidus_store_index_bytes", "Estimated bytes of the in-memory index", fp.index_bytes},
                 {"nidus_store_filter_index_bytes", "Bytes held by the filter indexes", fp.filter_index_bytes},
                 {"nidus_store_shadow_bytes", "Bytes held by the int8 shadow copy of the rows", fp.shadow_bytes},
                 {"nidus_store_mapped_bytes", "Bytes of vectors read through the shared mapping of data",
                  fp.mapped_bytes}};
        for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
            fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", g[i].name, g[i].help, g[i].name, g[i].name,
                    (unsigned long long)g[i].v);
    }
    fclose(f);
    set_body(r->out, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

static void h_unsupported(req *r) {
    srv_error(r->out, 501, -1, "not supported by this server: it has no full-text index");
}

/* nidus answers 400 on a server started without an embedder. */
static void h_no_embedder(req *r) {
    srv_error(r->out, 400, -1, "this server has no embedder: /remember and /recall need text embedding, which "
                               "this store does not do; embed client-side and use /upsert and /search");
}

/* ---------------------------------------------------------------- routing ---- */

typedef void (*handler)(req *);

typedef struct route_def {
    srv_route id;
    const char *method;
    handler h;
    bool write_lock; /* takes hlock exclusively (refresh) */
} route_def;

static const route_def ROUTE_TABLE[] = {
    {R_HEALTH, "GET", h_health, false},
    {R_READY, "GET", h_ready, false},
    {R_METRICS, "GET", h_metrics, false},
    {R_CLUSTER, "GET", h_cluster, false},
    {R_VERSIONS, "GET", h_versions, false},
    {R_STATS, "GET", h_stats, false},
    {R_COLLECTIONS, "GET", h_collections, false},
    {R_COLLECTION, "POST", h_create, false},
    {R_COLLECTION, "DELETE", h_drop, false},
    {R_META, "GET", h_get_meta, false},
    {R_META, "PUT", h_set_meta, false},
    {R_UPSERT, "POST", h_upsert, false},
    {R_DELETE, "POST", h_delete, false},
    {R_RECORDS, "GET", h_records, false},
    {R_FTS_SCHEMA, "POST", h_unsupported, false},
    {R_FILTER_INDEX, "POST", h_filter_index, false},
    {R_REMEMBER, "POST", h_no_embedder, false},
    {R_RECALL, "POST", h_no_embedder, false},
    {R_SEARCH, "POST", h_search, false},
    {R_BATCH, "POST", h_batch, false},
    {R_SIMILAR, "POST", h_similar, false},
    {R_TEXT_SEARCH, "POST", h_unsupported, false},
    {R_HYBRID, "POST", h_unsupported, false},
    {R_LIST, "POST", h_list, false},
    {R_AGGREGATE, "POST", h_aggregate, false},
    {R_FLUSH, "POST", h_flush, false},
    {R_COMPACT, "POST", h_compact, false},
    {R_REFRESH, "POST", h_refresh, true},
};

/* The fixed (nameless) routes and the suffixes of /collections/{name}/... */
static const struct {
    const char *path;
    srv_route id;
} FIXED[] = {{"/health", R_HEALTH},         {"/ready", R_READY},     {"/metrics", R_METRICS},
             {"/cluster", R_CLUSTER},       {"/versions", R_VERSIONS}, {"/stats", R_STATS},
             {"/collections", R_COLLECTIONS}, {"/search", R_SEARCH}, {"/search/batch", R_BATCH},
             {"/search/similar", R_SIMILAR}, {"/text-search", R_TEXT_SEARCH}, {"/hybrid-search", R_HYBRID},
             {"/list", R_LIST},             {"/aggregate", R_AGGREGATE}, {"/flush", R_FLUSH},
             {"/compact", R_COMPACT},       {"/refresh", R_REFRESH}},
  SUFFIX[] = {{"", R_COLLECTION},
              {"/meta", R_META},
              {"/upsert", R_UPSERT},
              {"/delete", R_DELETE},
              {"/records", R_RECORDS},
              {"/fts-schema", R_FTS_SCHEMA},
              {"/filter-index", R_FILTER_INDEX},
              {"/remember", R_REMEMBER},
              {"/recall", R_RECALL}};

/* The route of path, and where its {name} segment is ([*ns, *ne) raw). */
static srv_route match(const char *path, const char **ns, const char **ne) {
    for (size_t i = 0; i < sizeof FIXED / sizeof FIXED[0]; i++)
        if (strcmp(path, FIXED[i].path) == 0) return FIXED[i].id;
    static const char pre[] = "/collections/";
    if (strncmp(path, pre, sizeof pre - 1) != 0) return R_OTHER;
    const char *s = path + sizeof pre - 1, *e = strchr(s, '/');
    if (!e) e = s + strlen(s);
    if (e == s) return R_OTHER;
    for (size_t i = 0; i < sizeof SUFFIX / sizeof SUFFIX[0]; i++)
        if (strcmp(e, SUFFIX[i].path) == 0) {
            *ns = s, *ne = e;
            return SUFFIX[i].id;
        }
    return R_OTHER;
}

srv_route srv_match(const char *path) {
    const char *a, *b;
    return match(path, &a, &b);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool utf8_ok(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) k = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) k = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) k = 3, cp = c & 0x07;
        else return false;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (p[i + j] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* Percent-decode a path segment (as axum's Path does: '+' stays '+'); NULL when the
 * escapes are broken or the text is not UTF-8 without U+0000. */
static char *decode_segment(const char *s, const char *e, arena *a) {
    char *out = arena_alloc(a, (size_t)(e - s) + 1), *o = out;
    for (const char *p = s; p < e; p++) {
        if (*p == '%') {
            int h;
            if (e - p >= 3 && (h = hexval(p[1])) >= 0 && hexval(p[2]) >= 0) {
                *o++ = (char)(h * 16 + hexval(p[2]));
                p += 2;
            } else return NULL;
        } else *o++ = *p;
    }
    *o = 0;
    size_t n = (size_t)(o - out);
    if (strlen(out) != n || !utf8_ok((const unsigned char *)out, n)) return NULL;
    return out;
}

void srv_handle(srv *s, const char *method, const char *path, const char *body, size_t len, srv_resp *out) {
    memset(out, 0, sizeof *out);
    const char *ns = NULL, *ne = NULL;
    srv_route id = match(path, &ns, &ne);
    if (id == R_OTHER) return srv_error(out, 404, -1, "no route for %.16s %.200s", method, path);
    const route_def *d = NULL;
    for (size_t i = 0; i < sizeof ROUTE_TABLE / sizeof ROUTE_TABLE[0]; i++)
        if (ROUTE_TABLE[i].id == id && strcmp(ROUTE_TABLE[i].method, method) == 0) d = &ROUTE_TABLE[i];
    if (!d) return srv_error(out, 405, -1, "method %.16s not allowed on %s", method, srv_route_names[id]);
    req r = {.s = s, .body = body, .len = len, .out = out};
    if (ns) {
        char *name = decode_segment(ns, ne, &r.a);
        if (!name) {
            arena_free(&r.a);
            return srv_error(out, 400, -1, "invalid collection name in the path: bad percent-encoding or not UTF-8");
        }
        r.name = name;
    }
    if (d->write_lock) pthread_rwlock_wrlock(&s->hlock);
    else pthread_rwlock_rdlock(&s->hlock);
    r.db = s->db;
    d->h(&r);
    pthread_rwlock_unlock(&s->hlock);
    json_decref(r.j);
    arena_free(&r.a);
}

void srv_observe(srv *s, srv_route r, int status, uint64_t micros) {
    if ((unsigned)r >= R_COUNT) r = R_OTHER;
    srv_route_stats *st = &s->routes[r];
    int c = status / 100;
    c = c < 1 ? 1 : c > 5 ? 5 : c;
    atomic_fetch_add(&st->by_class[c - 1], 1);
    atomic_fetch_add(&st->count, 1);
    atomic_fetch_add(&st->sum_us, micros);
    double secs = (double)micros / 1e6;
    int b = 0;
    while (b < SRV_BUCKETS && secs > srv_buckets[b]) b++;
    atomic_fetch_add(&st->buckets[b], 1);
}

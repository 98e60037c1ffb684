/* replay.c — the log applied to the collections at open, leniently, as nidus 0.3
 * does (SPEC.md §5), behind one call: nidus__replay returns what it found (dead
 * rows, ignored Upserts, where the good frames end) and reports errors to the
 * caller's nerr. */
#include "db.h"
#include "findex.h"
#include "test_hooks.h"

#include <pthread.h>
#include <unistd.h>

/* Replay works on views of the log's bytes (nidus__log_scan_fd): nothing is
 * allocated per op except what a doc keeps, its blob in the collection's arena.
 * Each Upsert's id is hashed and its id-table slot prefetched as the op arrives,
 * and ops are applied a group later (two groups alternate), so the cache misses of
 * a large replay overlap with other work instead of queueing. Consecutive ops
 * almost always name the same collection, so the last one found is tried first. */
#define REPLAY_GROUP 32
typedef struct replay_op {
    nlogop op;       /* a view, valid until its group is applied */
    uint32_t tag; /* nidus__id_hash of an Upsert's id */
} replay_op;

typedef struct replay_ctx {
    ncolls *colls;
    uint64_t rows; /* the rows `data` holds */
    nerr *e;
    nreplay *out;
    uint64_t size, end, frames, upserts; /* the log's size, progress, counts so far */
    ncoll *last;    /* the collection an op named last, or NULL */
    narena scratch; /* the arrays of the group filling (the scanner decodes into it) */
    narena held;    /* the arrays of the group waiting to be applied */
    size_t n, nheld;
    int cur; /* ops[cur] fills, ops[1 - cur] waits */
    replay_op ops[2][REPLAY_GROUP];
} replay_ctx;

static bool same_bytes(const char *a, const char *b, size_t n) {
    if (n > 16) return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++) /* short names: no call */
        if (a[i] != b[i]) return false;
    return true;
}

static ncoll *replay_coll(replay_ctx *r, nidus_str name) {
    ncoll *c = r->last;
    if (c && c->name.len == name.len && same_bytes(c->name.ptr, name.ptr, name.len)) return c;
    c = nidus__coll_find(r->colls, name.ptr, name.len);
    if (c) r->last = c;
    return c;
}

/* Apply one logged op to memory, leniently, as nidus 0.3 does. */
static int apply_op(replay_ctx *r, const replay_op *ro) {
    const nlogop *op = &ro->op;
    nerr *e = r->e;
    int rc;
    if (op->tag == NIDUS__OP_UPSERT && op->row >= r->rows) { /* a row this snapshot lacks */
        r->out->ignored_upserts++;
        return NIDUS_OK;
    }
    ncoll *c = replay_coll(r, op->coll);
    if (op->tag == NIDUS__OP_DELETE) {
        if (c) r->out->dead_rows += nidus__doc_del(c, op->id.ptr, op->id.len);
        return NIDUS_OK;
    }
    if (op->tag == NIDUS__OP_DROP) {
        if (c) {
            r->out->dead_rows += nidus__colls_remove(r->colls, c);
            r->last = NULL;
        }
        return NIDUS_OK;
    }
    if (!c) {
        bool fresh;
        if ((rc = nidus__coll_get(r->colls, op->coll.ptr, op->coll.len, &c, &fresh, "out of memory replaying the log",
                                  e)))
            return rc;
        if (fresh) nidus__colls_insert(r->colls, c);
        r->last = c;
    }
    if (op->tag == NIDUS__OP_SETMETA) {
        /* The view's strings become owned: meta is rare and small. */
        nmeta_kv *items = op->meta.n ? nidus__mallocarray(op->meta.n, sizeof *items) : NULL;
        if (op->meta.n && !items) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory replaying the log");
        if (items) memcpy(items, op->meta.items, op->meta.n * sizeof *items);
        nmeta m;
        if (nidus__meta_own(items, op->meta.n, &m))
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory replaying the log");
        nidus__meta_free(&c->meta);
        c->meta = m;
    } else if (op->tag == NIDUS__OP_SET_FILTER_INDEX) {
        /* nidus 0.80: the collection exists implicitly (made above), the declaration
         * replaces the last one (empty: dropped), the postings are built once the
         * whole log has replayed. */
        nfindex *fx = NULL;
        if (op->nfields && (rc = nidus__findex_new(op->fields, op->nfields, &fx, e))) return rc;
        nidus__findex_free(c->fx);
        c->fx = fx;
    } else if (op->tag == NIDUS__OP_UPSERT) {
        r->upserts++;
        if (c->n + 1 > c->cap || (c->n + 1) * 2 > c->nslots) {
            /* Growing: make room for the Upserts the rest of the log probably holds
             * for c (its share so far of the frames so far, scaled to the bytes
             * left); while few frames were seen, at most 16 times what it has. Each
             * growth copies the docs and rehashes the table (random writes into a
             * fresh table), and a big replay otherwise grows some 17 times. The
             * guess never exceeds what the log's remaining bytes could hold. */
            double left = r->frames && r->end ? (double)(r->size - r->end) / ((double)r->end / (double)r->frames) : 0;
            double want = left * (double)(c->n + 1) / (double)r->upserts;
            if (r->frames < 4096 && want > 16.0 * (double)(c->n + 1)) want = 16.0 * (double)(c->n + 1); /* few seen */
            if (want > (double)NIDUS__MAX_DOCS) want = (double)NIDUS__MAX_DOCS;
            if (want >= 2 && nidus__coll_reserve(c, (size_t)want, e) == NIDUS_OK) goto reserved;
        }
        if ((rc = nidus__coll_reserve(c, 1, e))) return rc;
    reserved:;
        size_t size = nidus__blob_size(op->id.len, &op->attrs);
        if (nidus__arena_reserve(&c->strs, size) != NIDUS_OK)
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory replaying the log");
        r->out->dead_rows += nidus__doc_put(c, op->id, op->row, &op->attrs, ro->tag, size);
    }
    return NIDUS_OK;
}

static int replay_apply(replay_ctx *r, replay_op *ops, size_t n) {
    int rc = NIDUS_OK;
    for (size_t i = 0; i < n && rc == NIDUS_OK; i++) rc = apply_op(r, &ops[i]);
    return rc;
}

/* Apply the waiting group; with `all`, the filling one too. */
static int replay_flush(replay_ctx *r, bool all) {
    int rc = replay_apply(r, r->ops[1 - r->cur], r->nheld);
    r->nheld = 0;
    nidus__arena_reset(&r->held);
    if (rc == NIDUS_OK && all) {
        rc = replay_apply(r, r->ops[r->cur], r->n);
        r->n = 0;
        nidus__arena_reset(&r->scratch);
    }
    return rc;
}

/* nidus__log_scan_fd's callback: op == NULL means the window moves. */
static int replay_view(void *ctx, const nlogop *op, uint64_t end) {
    replay_ctx *r = ctx;
    if (!op && end == NIDUS__SCAN_ABANDON) { /* a failed scan: nothing more is applied */
        r->n = r->nheld = 0;
        return NIDUS_OK;
    }
    r->end = end;
    if (!op) return replay_flush(r, true);
    r->frames++;
    replay_op *ro = &r->ops[r->cur][r->n++];
    ro->op = *op;
    if (op->tag == NIDUS__OP_UPSERT) {
        ro->tag = nidus__id_hash(op->id.ptr, op->id.len);
        const ncoll *c = replay_coll(r, op->coll);
        if (c && c->nslots) __builtin_prefetch(&c->slots[ro->tag & (c->nslots - 1)]);
    }
    if (r->n < REPLAY_GROUP) return NIDUS_OK;
    int rc = replay_flush(r, false);
    /* The full group waits now; its arrays go with it. */
    narena t = r->held;
    r->held = r->scratch;
    r->scratch = t;
    r->nheld = r->n;
    r->n = 0;
    r->cur = 1 - r->cur;
    return rc;
}

/* ------------------------------------------------------- on two cores ---- */

/* A large log replays on two threads: a scanner reads, checks and decodes the
 * frames and hashes the ids (about half the work), the caller's thread applies
 * them to the collections, which only it touches. Decoded ops travel in batches
 * through a ring; each batch carries the arena its arrays were decoded into. The
 * ops' strings are views of the scanner's window, so before the window moves (and
 * at the end) the scanner waits until every batch it sent is applied. The result
 * is the one-thread replay's: the same ops applied in the same order. */
#define PIPE_BATCH 1024
#define PIPE_RING 8
#define PIPE_WINDOW ((size_t)4 << 20) /* fewer window moves, so fewer waits */
#define PIPE_AHEAD 16                 /* ops between an id-slot prefetch and its use */

typedef struct pbatch {
    replay_op ops[PIPE_BATCH];
    size_t n;
    uint64_t end;  /* the log offset after its last op */
    narena arena;  /* the arrays its ops' views point into */
} pbatch;

typedef struct pipe_ctx {
    pthread_mutex_t mu;
    pthread_cond_t ready, room;
    uint64_t sent, applied; /* batches: ring[applied % RING .. sent % RING) wait */
    bool done;              /* the scanner has returned */
    bool stop;              /* the applier failed: the scanner stops */
    pbatch *fill;           /* the scanner's batch being filled, or NULL */
    narena scratch;         /* what the scanner decodes into */
    int fd;
    uint64_t size;
    nreplay *out; /* the scanner writes good_end and torn; the applier the counts */
    int rc;       /* the scanner's result, and its error */
    nerr e;
    pbatch ring[PIPE_RING];
} pipe_ctx;

static uint64_t pipe_min = (uint64_t)4 << 20; /* smaller logs replay on one thread */
static size_t pipe_window = PIPE_WINDOW;
static _Atomic uint64_t pipe_runs; /* replays that ran on two threads (tests) */
uint64_t nidus__replay_two_count(void) { return pipe_runs; }
void nidus__replay_set_pipeline(uint64_t min_bytes, size_t window) {
    pipe_min = min_bytes ? min_bytes : (uint64_t)4 << 20;
    pipe_window = window ? window : PIPE_WINDOW;
}

/* Scanner: hand the filling batch over (its arrays with it). */
static void pipe_send(pipe_ctx *p) {
    pbatch *b = p->fill;
    narena t = b->arena; /* reset by the applier: the next ops decode into it */
    b->arena = p->scratch;
    p->scratch = t;
    p->fill = NULL;
    pthread_mutex_lock(&p->mu);
    p->sent++;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->mu);
}

/* Scanner: the callback of nidus__log_scan_fd. */
static int pipe_view(void *ctx, const nlogop *op, uint64_t end) {
    pipe_ctx *p = ctx;
    int rc = NIDUS_OK;
    if (!op) { /* the window moves: every view sent so far must be applied first */
        pthread_mutex_lock(&p->mu);
        if (end == NIDUS__SCAN_ABANDON) p->stop = true; /* a failed scan: drop what waits */
        pthread_mutex_unlock(&p->mu);
        if (p->fill && p->fill->n && end != NIDUS__SCAN_ABANDON) pipe_send(p);
        pthread_mutex_lock(&p->mu);
        while (p->applied < p->sent && (!p->stop || end == NIDUS__SCAN_ABANDON)) pthread_cond_wait(&p->room, &p->mu);
        if (p->stop) rc = NIDUS_EINVAL; /* any error: the applier's is the one reported */
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    if (!p->fill) {
        pthread_mutex_lock(&p->mu);
        while (p->sent - p->applied >= PIPE_RING && !p->stop) pthread_cond_wait(&p->room, &p->mu);
        if (p->stop) rc = NIDUS_EINVAL;
        else p->fill = &p->ring[p->sent % PIPE_RING];
        pthread_mutex_unlock(&p->mu);
        if (rc) return rc;
        p->fill->n = 0;
    }
    pbatch *b = p->fill;
    replay_op *ro = &b->ops[b->n++];
    ro->op = *op;
    ro->tag = op->tag == NIDUS__OP_UPSERT ? nidus__id_hash(op->id.ptr, op->id.len) : 0;
    b->end = end;
    if (b->n == PIPE_BATCH) pipe_send(p);
    return NIDUS_OK;
}

static void *pipe_scanner(void *arg) {
    pipe_ctx *p = arg;
    p->rc = nidus__log_scan_fd(p->fd, p->size, pipe_window, &p->out->good_end, &p->out->torn, &p->scratch, pipe_view,
                               p, &p->e);
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Applier: one batch, each Upsert's id slot prefetched PIPE_AHEAD ops early. */
static int pipe_apply(replay_ctx *r, pbatch *b) {
    int rc = NIDUS_OK;
    for (size_t i = 0; i < b->n && rc == NIDUS_OK; i++) {
        /* A hint only: the collection of the last op (almost always the one that
         * op names too), no name compared. */
        const ncoll *c = r->last;
        if (i + PIPE_AHEAD < b->n && c && c->nslots)
            __builtin_prefetch(&c->slots[b->ops[i + PIPE_AHEAD].tag & (c->nslots - 1)]);
        r->frames++;
        rc = apply_op(r, &b->ops[i]);
    }
    r->end = b->end;
    return rc;
}

/* The replay on two threads; false if the scanner thread could not start (then
 * nothing was read or applied). */
static bool replay_two(replay_ctx *r, int fd, uint64_t size, int *rc) {
    pipe_ctx *p = nidus__calloc(1, sizeof *p);
    if (!p) return false;
    p->fd = fd;
    p->size = size;
    p->out = r->out;
    pthread_t t;
    bool sync = pthread_mutex_init(&p->mu, NULL) == 0;
    bool c1 = sync && pthread_cond_init(&p->ready, NULL) == 0, c2 = c1 && pthread_cond_init(&p->room, NULL) == 0;
    bool started = c2 && pthread_create(&t, NULL, pipe_scanner, p) == 0;
    if (started) {
        pipe_runs++;
        int arc = NIDUS_OK;
        for (;;) {
            pthread_mutex_lock(&p->mu);
            while (p->applied == p->sent && !p->done) pthread_cond_wait(&p->ready, &p->mu);
            bool more = p->applied < p->sent, skip = p->stop;
            pthread_mutex_unlock(&p->mu);
            if (!more) break; /* done, and every batch applied */
            pbatch *b = &p->ring[p->applied % PIPE_RING];
            if (arc == NIDUS_OK && !skip) arc = pipe_apply(r, b); /* after a failure, only drained */
            nidus__arena_reset(&b->arena);
            pthread_mutex_lock(&p->mu);
            p->applied++;
            if (arc != NIDUS_OK) p->stop = true;
            pthread_cond_signal(&p->room); /* a slot is free (or all is applied) */
            pthread_mutex_unlock(&p->mu);
        }
        pthread_join(t, NULL);
        if (arc != NIDUS_OK) *rc = arc; /* r->e holds it */
        else if ((*rc = p->rc) != NIDUS_OK) *r->e = p->e;
    }
    if (c2) pthread_cond_destroy(&p->room);
    if (c1) pthread_cond_destroy(&p->ready);
    if (sync) pthread_mutex_destroy(&p->mu);
    nidus__arena_free(&p->scratch);
    for (size_t i = 0; i < PIPE_RING; i++) nidus__arena_free(&p->ring[i].arena);
    nidus__free(p);
    return started;
}

int nidus__replay(ncolls *colls, uint64_t rows, int fd, uint64_t size, bool spare_core, nreplay *out, nerr *e) {
    *out = (nreplay){0};
    replay_ctx *r = nidus__malloc(sizeof *r);
    if (!r) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory replaying the log");
    r->colls = colls;
    r->rows = rows;
    r->e = e;
    r->out = out;
    r->size = size;
    r->end = r->frames = r->upserts = 0;
    r->last = NULL;
    r->scratch = r->held = (narena){0};
    r->n = r->nheld = 0;
    r->cur = 0;
    int rc = NIDUS_OK;
    if (!(spare_core && size >= pipe_min && sysconf(_SC_NPROCESSORS_ONLN) > 1 && replay_two(r, fd, size, &rc)))
        rc = nidus__log_scan_fd(fd, size, 0, &out->good_end, &out->torn, &r->scratch, replay_view, r, e);
    /* The filter indexes, from the docs the log left. One that cannot be built now
     * is built by the first search that needs it (it is derived data). */
    for (size_t i = 0; rc == NIDUS_OK && i < colls->n; i++) {
        nerr ignored;
        if (colls->v[i]->fx) (void)nidus__findex_build(colls->v[i]->fx, colls->v[i], &ignored);
    }
    nidus__arena_free(&r->scratch); /* on failure, pending views are dropped unapplied */
    nidus__arena_free(&r->held);
    nidus__free(r);
    return rc;
}

/* search.c — the public search calls, nidus_search and nidus_search_batch. A
 * search runs in phases, each a function below: check the input, compile the
 * filter, resolve the scope, copy the queries (normalized in a cosine store),
 * size the top-ks, prepare the batch screen, scan (scan.c, on threads), build the
 * results (result.c). The store's distance picks the exact kernels once, here:
 * the scan loops are the same for every metric. */
#include "findex.h"
#include "result.h"
#include "scan.h"

#include <math.h>
#include <unistd.h>

#define BLOCK NIDUS__SCAN_BLOCK
/* Batches of at least this many queries are screened (see screen_block in
 * scan.c): already at two, screening beat the exact block kernel (100k x 384: 3.7
 * against 5.9 ms per query; at 4 they were even, at 8 the screen was 3x faster). */
#define SCREEN_MIN_QUERIES 2

void nidus_search_opts_init(nidus_search_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->top_k = 10;
}

/* NULL means the defaults; a struct not from nidus_search_opts_init (or from
 * another version's) is misuse. */
static const nidus_search_opts *opts_or_defaults(const nidus_search_opts *opts, nidus_search_opts *defaults) {
    if (!opts) {
        nidus_search_opts_init(defaults);
        return defaults;
    }
    if (opts->struct_size == sizeof *opts) return opts;
    /* Earlier versions: 0.4.0's struct ended before `where`, the next before
     * `offset`; read them with the later fields at their defaults. */
    size_t old = opts->struct_size;
    if (old == offsetof(nidus_search_opts, where) || old == offsetof(nidus_search_opts, offset)) {
        nidus_search_opts_init(defaults);
        memcpy(defaults, opts, old);
        defaults->struct_size = sizeof *defaults;
        return defaults;
    }
    return NULL;
}

/* One search of nq queries: what its phases fill in, released by search_free. */
typedef struct search {
    nidus_db *db;
    const nidus_search_opts *opts;
    nproj proj;          /* what the hits carry */
    const ndoc *skip;    /* similar: the source record, left out (NULL: none) */
    const ncoll *skip_c; /* and its collection */
    bool stored;         /* similar: the query is a stored row (not checked) */
    size_t nq;
    uint32_t dim;
    int distance;     /* the store's nidus_distance */
    nidus__kfns k_fns; /* its exact kernels */
    nfilter *f;
    ncoll **scope; /* the collections searched, each once */
    nscan *orders; /* their scan orders */
    size_t nscope;
    size_t total; /* docs in the scope (with a filter index: candidates) */
    void *narrowed; /* the filter index's candidate orders (findex.c) */
    float *q;     /* the nq queries (normalized in a cosine store) */
    size_t k;     /* ranked per query: offset + top_k (+1 for similar), at most total */
    unsigned nt;  /* threads */
    ntopk_item *storage;
    ntopk *tops;   /* thread t's top-k of query i at tops[t * nq + i] */
    float *scores; /* per thread nq * BLOCK: a batch's exact scores */
    nscan_job *jobs;
    pthread_t *tids;
    /* A batch's screen (NULL: none) and its buffers: the packed queries, their
     * margin coefficients, a zero padding row, and per thread the panels and
     * norms of one block (slot words) and its masks (mask_n). */
    const nidus__screen *scr;
    float *qpack, *cq, *ca, *zero, *scratch;
    uint32_t *masks;
    size_t cols, slot, mask_n;
    /* A single query's shadow screen (SPEC.md §13): its coded query (has_shq). */
    int8_t *qcodes;
    nshadow_q shq;
    bool has_shq;
} search;

static void search_free(search *s) {
    nidus__free(s->q);
    nidus__free(s->scope);
    nidus__free(s->orders);
    nidus__free(s->storage);
    nidus__free(s->tops);
    nidus__free(s->scores);
    nidus__free(s->jobs);
    nidus__free(s->tids);
    nidus__free(s->qpack);
    nidus__free(s->cq);
    nidus__free(s->ca);
    nidus__free(s->zero);
    nidus__free(s->scratch);
    nidus__free(s->masks);
    nidus__free(s->qcodes);
    nidus__filter_free(s->f);
    nidus__findex_release(s->narrowed);
}

/* offset + top_k, saturating: how deep a page reaches into the ranking. */
static size_t page_depth(const nidus_search_opts *opts) {
    return opts->top_k > SIZE_MAX - opts->offset ? SIZE_MAX : opts->offset + opts->top_k;
}

/* The options' own checks (nidus 0.80's check_page and projection refusal);
 * *proj receives the projection. */
static int check_opts(const nidus_search_opts *opts, nproj *proj, nerr *e) {
    if (opts->n_filter && !opts->filter)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter is NULL but n_filter is %zu", opts->n_filter);
    /* Only a page is bounded: offset 0 keeps top_k's old meaning (any size, clamped). */
    if (opts->offset && page_depth(opts) > NIDUS_MAX_DEPTH)
        return nidus__err(e, NIDUS_EINVAL, 0, "offset %zu + top_k %zu exceeds the maximum of %d", opts->offset,
                          opts->top_k, NIDUS_MAX_DEPTH);
    return nidus__proj_init(proj, opts->include_attrs, opts->n_include_attrs, opts->exclude_attrs,
                            opts->n_exclude_attrs, e);
}

/* Everything about the input that needs no allocation; fills s->proj. */
static int check_input(search *s, const float *queries, size_t qlen, nerr *e) {
    const nidus_search_opts *opts = s->opts;
    size_t nq = s->nq;
    if (qlen != s->dim)
        return nidus__err(e, NIDUS_EDIM, 0, "query length %zu does not match store dimension %u", qlen, s->dim);
    if (!queries) return nidus__err(e, NIDUS_EINVAL, 0, "query is NULL");
    for (size_t i = 0; !s->stored && i < nq * qlen; i++)
        if (!isfinite(queries[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "query %zu element %zu is %s", i / qlen, i % qlen,
                              isnan(queries[i]) ? "NaN" : "infinite");
    return check_opts(opts, &s->proj, e);
}

int nidus__scope_resolve(const nidus_db *db, const char *const *names, size_t count, ncoll ***out, size_t *n,
                         nerr *e) {
    *out = NULL;
    *n = 0;
    if (count && !names) return nidus__err(e, NIDUS_EINVAL, 0, "collections is NULL but n_collections is %zu", count);
    for (size_t i = 0; names && i < count; i++)
        if (!nidus__utf8_cstr(names[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "collection name %zu is %s", i,
                              names[i] ? "not valid UTF-8" : "NULL");
    size_t want = names ? count : db->colls.n;
    ncoll **v = nidus__mallocarray(want ? want : 1, sizeof *v);
    if (!v) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    size_t got = 0;
    for (size_t i = 0; i < want; i++) {
        ncoll *c = names ? nidus__coll_find(&db->colls, names[i], strlen(names[i])) : db->colls.v[i];
        bool dup = !c;
        for (size_t x = 0; x < got && !dup; x++) dup = v[x] == c;
        if (!dup) v[got++] = c;
    }
    *out = v;
    *n = got;
    return NIDUS_OK;
}

/* The scope: every collection, or the named ones that exist, once each, with
 * their scan orders. */
static int resolve_scope(search *s, nerr *e) {
    const nidus_search_opts *opts = s->opts;
    int rc = nidus__scope_resolve(s->db, opts->collections, opts->n_collections, &s->scope, &s->nscope, e);
    if (rc) return rc;
    if (!(s->orders = nidus__mallocarray(s->nscope ? s->nscope : 1, sizeof *s->orders)))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < s->nscope; i++) {
        s->orders[i] = nidus__scan_order(s->scope[i]); /* idx NULL: doc order, still exact */
        s->total += s->scope[i]->n;
    }
    return NIDUS_OK;
}

/* A copy of the queries, each normalized as stored vectors are: in a cosine store
 * (euclidean and dot stores keep rows and queries as given). */
static int copy_queries(search *s, const float *queries, nerr *e) {
    size_t nq = s->nq, dim = s->dim;
    if (!(s->q = nidus__mallocarray(nq ? nq * dim : 1, sizeof *s->q)))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    memcpy(s->q, queries, nq * dim * sizeof *s->q);
    if (s->distance == NIDUS_DISTANCE_COSINE)
        for (size_t i = 0; i < nq; i++) nidus__normalize(s->q + i * dim, dim);
    return NIDUS_OK;
}

static unsigned thread_count(unsigned want, size_t work) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned t = want ? want : (online > 0 ? (unsigned)online : 1);
    if (t > 64) t = 64;
    /* A thread is worth starting only for a sizeable share of the scan. */
    size_t per = (size_t)1 << 18; /* floats */
    if (work / per + 1 < t) t = (unsigned)(work / per + 1);
    return t ? t : 1;
}

/* k, the thread count, and per thread a top-k per query (one allocation for
 * all), a job and (batches) the exact scores of one block. */
static int plan_topk(search *s, nerr *e) {
    size_t depth = page_depth(s->opts);
    if (s->skip && depth < SIZE_MAX) depth++; /* similar: room for the source, dropped later */
    size_t nq = s->nq, k = depth < s->total ? depth : s->total;
    s->k = k;
    if (k) s->nt = thread_count(s->opts->threads, s->total * (size_t)s->dim);
    size_t nt = s->nt;
    if (nq && k > SIZE_MAX / nq / nt / sizeof *s->storage)
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for top %zu", k);
    if ((k && !(s->storage = nidus__mallocarray(nq * nt * k, sizeof *s->storage))) ||
        !(s->tops = nidus__mallocarray(nq ? nq * nt : 1, sizeof *s->tops)) ||
        !(s->jobs = nidus__mallocarray(nt, sizeof *s->jobs)) || !(s->tids = nidus__mallocarray(nt, sizeof *s->tids)) ||
        (nq > 1 && k && !(s->scores = nidus__mallocarray(nt * nq, BLOCK * sizeof(float)))))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for top %zu", k);
    for (size_t t = 0; t < nq * nt; t++) nidus__topk_init(&s->tops[t], s->storage ? s->storage + t * k : NULL, k);
    return NIDUS_OK;
}

/* Whether every query's norm is at most NIDUS__SCREEN_NORM_MAX, as the screen's
 * proof needs (always so in a cosine store: its queries are unit vectors). */
static bool queries_screenable(const search *s) {
    for (size_t i = 0; i < s->nq; i++) {
        double sq = 0;
        const float *q = s->q + i * s->dim;
        for (uint32_t x = 0; x < s->dim; x++) sq += (double)q[x] * q[x];
        if (!(sqrt(sq) <= NIDUS__SCREEN_NORM_MAX)) return false;
    }
    return true;
}

/* A batch screens when the CPU has a screen (every metric: a euclidean batch
 * through the dot product, SPEC.md §4.2): the queries packed for it, their margin
 * coefficients and absolute slacks (euclidean: coefficients and threshold bases),
 * and per thread panels, norms and masks for one block. */
static int prepare_screen(search *s, nerr *e) {
    size_t nq = s->nq, dim = s->dim;
    const nidus__screen *scr = nq >= SCREEN_MIN_QUERIES && s->k ? nidus__screen_get() : NULL;
    if (scr && s->distance != NIDUS_DISTANCE_COSINE && !queries_screenable(s)) scr = NULL;
    float l2coef = 0;
    if (scr && s->distance == NIDUS_DISTANCE_EUCLIDEAN && (l2coef = nidus__screen_l2_coef(scr, s->dim)) == 0)
        scr = NULL;
    s->scr = scr;
    if (!scr) return NIDUS_OK;
    s->mask_n = BLOCK / scr->width * scr->qmax;
    s->cols = nidus__screen_cols(scr, dim);
    s->slot = (BLOCK + 16) * (s->cols + 1);
    if (!(s->qpack = nidus__mallocarray(nq, s->cols * sizeof *s->qpack)) ||
        !(s->cq = nidus__mallocarray(nq, sizeof *s->cq)) || !(s->ca = nidus__mallocarray(nq, sizeof *s->ca)) ||
        !(s->zero = nidus__calloc(dim, sizeof *s->zero)) ||
        !(s->scratch = nidus__mallocarray((size_t)s->nt * s->slot, sizeof *s->scratch)) ||
        !(s->masks = nidus__mallocarray((size_t)s->nt * s->mask_n, sizeof *s->masks)))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory for a batch of %zu queries", nq);
    for (size_t qs = 0; qs < nq; qs += scr->qmax) {
        size_t qw = nq - qs < scr->qmax ? nq - qs : scr->qmax;
        scr->pack_queries(s->q + qs * dim, (unsigned)qw, dim, s->qpack + qs * s->cols);
        for (size_t x = 0; x < qw; x++) {
            const float *q = s->q + (qs + x) * dim;
            if (s->distance == NIDUS_DISTANCE_EUCLIDEAN) {
                s->cq[qs + x] = l2coef;
                s->ca[qs + x] = nidus__screen_l2_base(scr, q, dim);
            } else {
                s->cq[qs + x] = nidus__screen_coef(scr, q, dim);
                s->ca[qs + x] = nidus__screen_slack(s->cq[qs + x], dim);
            }
        }
    }
    return NIDUS_OK;
}

/* A single query screens through the shadow copy when the config keeps one:
 * bring it up to date with `data` (rows appended since the last search are
 * coded here, unless they are far more than this search scans), then code the
 * query. Never fails: without memory, or for a
 * query or dimension the bound cannot serve, the search scores every row
 * exactly, with the same result. */
static void prepare_shadow(search *s) {
    if (s->nq != 1 || !s->k || !s->db->cfg.shadow) return;
    nshadow *sh = &s->db->shadow;
    /* Coding costs about what an exact scan of those rows does: a small scan (a
     * narrow filter index, one small collection of a large store) is not worth
     * coding the whole store for; a later large one codes it. */
    if (nidus__shadow_pending(sh, &s->db->data) > 4 * (uint64_t)s->total + 4096) return;
    if (!nidus__shadow_sync(sh, &s->db->data, s->distance)) return;
    if (!(s->qcodes = nidus__malloc(sh->stride))) return;
    s->has_shq = nidus__shadow_query(sh, s->q, s->qcodes, &s->shq);
}

/* Split the scope into one contiguous range per thread, scan each, and merge
 * every thread's top-k into the first's (tops[0 .. nq)). */
static void scan_threads(search *s) {
    size_t nq = s->nq;
    unsigned nt = s->nt, started = 0;
    for (unsigned t = 0; t < nt; t++) {
        float *scratch = s->scr ? s->scratch + (size_t)t * s->slot : NULL;
        s->jobs[t] = (nscan_job){
            .scope = s->scope,
            .orders = s->orders,
            .nscope = s->nscope,
            .lo = s->total * t / nt,
            .hi = s->total * (t + 1) / nt,
            .mat = s->db->data.vec,
            .dim = s->dim,
            .q = s->q,
            .nq = nq,
            .k = s->k_fns,
            .f = s->f,
            .gate = s->opts->has_min_score != 0,
            .min = s->opts->min_score,
            .tops = s->tops + (size_t)t * nq,
            .scores = s->scores ? s->scores + (size_t)t * nq * BLOCK : NULL,
            .scr = s->scr,
            .qpack = s->qpack,
            .qstride = s->cols,
            .cq = s->cq,
            .ca = s->ca,
            .l2 = s->distance == NIDUS_DISTANCE_EUCLIDEAN,
            .zero = s->zero,
            .panels = scratch,
            .norms = scratch ? scratch + (size_t)BLOCK * s->cols : NULL,
            .masks = s->scr ? s->masks + (size_t)t * s->mask_n : NULL,
            .shq = s->has_shq ? &s->shq : NULL,
            .idot = s->has_shq ? nidus__idot_get() : NULL,
        };
    }
    for (unsigned t = 1; t < nt; t++, started++)
        if (pthread_create(&s->tids[t], NULL, nidus__scan_run, &s->jobs[t]) != 0) break;
    nidus__scan_run(&s->jobs[0]);
    /* A thread that could not start: do its share here. */
    for (unsigned t = started + 1; t < nt; t++) nidus__scan_run(&s->jobs[t]);
    for (unsigned t = 1; t <= started; t++) pthread_join(s->tids[t], NULL);
    for (size_t qi = 0; qi < nq; qi++)
        for (unsigned t = 1; t < nt; t++) nidus__topk_merge(&s->tops[qi], &s->tops[(size_t)t * nq + qi]);
}

/* The page of a ranked top-k (items[0..n), best first): the source of a similar
 * search dropped, then offset skipped and top_k kept (nidus's one tail:
 * exclude, paginate, truncate). Returns the page's first item; *n its size. */
static const ntopk_item *cut_page(const search *s, ntopk_item *items, size_t *n) {
    size_t m = *n;
    for (size_t i = 0; s->skip && i < m; i++)
        if (items[i].ref == s->skip && items[i].ref2 == s->skip_c) {
            memmove(&items[i], &items[i + 1], (m - i - 1) * sizeof *items);
            m--;
            break;
        }
    size_t off = s->opts->offset < m ? s->opts->offset : m;
    m -= off;
    *n = m < s->opts->top_k ? m : s->opts->top_k;
    return items + off;
}

/* results[i]: query i's hits, best first. All or nothing. */
static int build_results(search *s, nidus_hits **results, nerr *e) {
    for (size_t qi = 0; qi < s->nq; qi++) {
        size_t n = nidus__topk_finish(&s->tops[qi]);
        const ntopk_item *page = n ? cut_page(s, s->tops[qi].heap, &n) : NULL;
        if (!(results[qi] = nidus__result_hits(page, n, &s->proj))) {
            for (size_t x = 0; x < qi; x++) {
                nidus__free(results[x]);
                results[x] = NULL;
            }
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory building %zu hits", n);
        }
    }
    return NIDUS_OK;
}

/* Search nq queries; results[i] receives query i's hits. `skip`, when not NULL,
 * is a similar search's source (in collection skip_c; the query is its row). */
static int search_many(nidus_db *db, const float *queries, size_t nq, size_t qlen, const nidus_search_opts *opts,
                       const ndoc *skip, const ncoll *skip_c, nidus_hits **results, nerr *e) {
    search s = {.db = db, .opts = opts, .skip = skip, .skip_c = skip_c, .stored = skip != NULL, .nq = nq,
                .dim = db->cfg.dimension, .distance = db->cfg.distance, .nt = 1};
    nidus__kfns_get(s.distance, &s.k_fns);
    int rc = check_input(&s, queries, qlen, e);
    if (!rc) rc = nidus__filter_compile_tree(opts->filter, opts->n_filter, opts->where, &s.f, e);
    if (!rc) rc = resolve_scope(&s, e);
    if (!rc) nidus__findex_narrow(s.f, s.scope, s.orders, s.nscope, &s.total, &s.narrowed); /* never fails */
    if (!rc) rc = copy_queries(&s, queries, e);
    if (!rc) rc = plan_topk(&s, e);
    if (!rc) rc = prepare_screen(&s, e);
    if (!rc) prepare_shadow(&s);
    if (!rc && s.k) scan_threads(&s);
    if (!rc) rc = build_results(&s, results, e);
    search_free(&s);
    return rc;
}

int nidus_search(nidus_db *db, const float *query, size_t qlen, const nidus_search_opts *opts, nidus_hits **out) {
    nidus_search_opts defaults;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    if (!(opts = opts_or_defaults(opts, &defaults))) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = search_many(db, query, 1, qlen, opts, NULL, NULL, out, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

int nidus_search_batch(nidus_db *db, const float *queries, size_t nq, size_t qlen, const nidus_search_opts *opts,
                       nidus_hits **out) {
    nidus_search_opts defaults;
    if (nq && !out) return NIDUS_EMISUSE;
    for (size_t i = 0; i < nq; i++) out[i] = NULL;
    if (!(opts = opts_or_defaults(opts, &defaults))) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = nq ? search_many(db, queries, nq, qlen, opts, NULL, NULL, out, &e) : NIDUS_OK;
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* The source's scope (NULL or empty: its own collection), its record, then the
 * search with its row as the query. Options are checked before the source is
 * looked up, so a bad option is NIDUS_EINVAL even for a missing record. */
static int similar(nidus_db *db, const char *collection, const char *id, const nidus_search_opts *opts,
                   nidus_hits **out, nerr *e) {
    if (!nidus__utf8_cstr(collection))
        return nidus__err(e, NIDUS_EINVAL, 0, "collection is %s", collection ? "not valid UTF-8" : "NULL");
    if (!nidus__utf8_cstr(id)) return nidus__err(e, NIDUS_EINVAL, 0, "id is %s", id ? "not valid UTF-8" : "NULL");
    nproj proj;
    int rc = check_opts(opts, &proj, e);
    nfilter *f = NULL;
    if (!rc) rc = nidus__filter_compile_tree(opts->filter, opts->n_filter, opts->where, &f, e);
    nidus__filter_free(f);
    ncoll **scope = NULL;
    size_t nscope;
    if (!rc) rc = nidus__scope_resolve(db, opts->collections, opts->n_collections, &scope, &nscope, e);
    nidus__free(scope);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    const ndoc *d = c ? nidus__doc_find(c, id, strlen(id)) : NULL;
    if (!d) return nidus__err(e, NIDUS_ENOTFOUND, 0, "no record `%s` in collection `%s`", id, collection);
    nidus_search_opts own = *opts;
    if (!opts->collections || !opts->n_collections) {
        own.collections = &collection;
        own.n_collections = 1;
    }
    const float *row = db->data.vec + d->row * db->cfg.dimension;
    return search_many(db, row, 1, db->cfg.dimension, &own, d, c, out, e);
}

int nidus_search_similar(nidus_db *db, const char *collection, const char *id, const nidus_search_opts *opts,
                         nidus_hits **out) {
    nidus_search_opts defaults;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    if (!(opts = opts_or_defaults(opts, &defaults))) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = similar(db, collection, id, opts, out, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* test_model.h — a brute-force model of a store's logical content for the power-loss
 * and kill -9 tests: collections, their meta, their records (id, normalized vector,
 * attributes). Write calls are generated from a seed, run against a handle
 * (tm_exec) and applied to the model (tm_apply); both sides are rendered as the
 * same canonical text (tm_dump, tm_dump_db) and compared as strings.
 *
 * Under a crash the call in flight may be absent, present, or — when the crash tore
 * its log append between two frames — present for a prefix of its frames (a prefix
 * of an upsert batch or of a delete list; any subset of a delete_where). tm_match
 * tries all of these. */
#ifndef NIDUS_TEST_MODEL_H
#define NIDUS_TEST_MODEL_H

#include "test_store_helpers.h"
#include "test_hooks.h"

#define TM_DIM_MAX 16
#define TM_NAME 24
#define TM_ATTRS 200
#define TM_META 160
#define TM_BATCH 4

/* ------------------------------------------------------------------ rng ---- */

static inline uint64_t tm_rand(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline unsigned tm_below(uint64_t *s, unsigned n) { return (unsigned)(tm_rand(s) % n); }

/* ------------------------------------------------------------ the model ---- */

typedef struct tm_doc {
    char id[TM_NAME];
    float v[TM_DIM_MAX]; /* normalized, as stored */
    char attrs[TM_ATTRS]; /* canonical text */
    int64_t g;            /* the "g" attribute (delete_where matches on it) */
} tm_doc;

typedef struct tm_coll {
    char name[TM_NAME];
    char meta[TM_META]; /* canonical "k=v;" in key order */
    tm_doc *docs;
    size_t n, cap;
} tm_coll;

typedef struct tm_state {
    uint32_t dim;
    tm_coll *c;
    size_t n, cap;
} tm_state;

static void tm_init(tm_state *s, uint32_t dim) {
    memset(s, 0, sizeof *s);
    s->dim = dim;
}

static void tm_free(tm_state *s) {
    for (size_t i = 0; i < s->n; i++) free(s->c[i].docs);
    free(s->c);
    memset(s, 0, sizeof *s);
}

static void tm_copy(tm_state *dst, const tm_state *src) {
    dst->dim = src->dim;
    dst->n = dst->cap = src->n;
    dst->c = src->n ? malloc(src->n * sizeof *dst->c) : NULL;
    for (size_t i = 0; i < src->n; i++) {
        dst->c[i] = src->c[i];
        dst->c[i].cap = src->c[i].n;
        dst->c[i].docs = src->c[i].n ? malloc(src->c[i].n * sizeof(tm_doc)) : NULL;
        if (src->c[i].n) memcpy(dst->c[i].docs, src->c[i].docs, src->c[i].n * sizeof(tm_doc));
    }
}

static tm_coll *tm_find(tm_state *s, const char *name) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->c[i].name, name)) return &s->c[i];
    return NULL;
}

static tm_coll *tm_create(tm_state *s, const char *name) {
    tm_coll *c = tm_find(s, name);
    if (c) return c;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->c = realloc(s->c, s->cap * sizeof *s->c);
    }
    c = &s->c[s->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static void tm_drop(tm_state *s, const char *name) {
    tm_coll *c = tm_find(s, name);
    if (!c) return;
    free(c->docs);
    *c = s->c[--s->n];
}

static tm_doc *tm_doc_find(tm_coll *c, const char *id) {
    for (size_t i = 0; c && i < c->n; i++)
        if (!strcmp(c->docs[i].id, id)) return &c->docs[i];
    return NULL;
}

static void tm_put(tm_state *s, const char *coll, const tm_doc *d) {
    tm_coll *c = tm_create(s, coll);
    tm_doc *x = tm_doc_find(c, d->id);
    if (!x) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 8;
            c->docs = realloc(c->docs, c->cap * sizeof *c->docs);
        }
        x = &c->docs[c->n++];
    }
    *x = *d;
}

static void tm_del(tm_state *s, const char *coll, const char *id) {
    tm_coll *c = tm_find(s, coll);
    tm_doc *x = tm_doc_find(c, id);
    if (x) *x = c->docs[--c->n];
}

/* ----------------------------------------------------------- rendering ---- */

typedef struct tm_buf {
    char *p;
    size_t len, cap;
} tm_buf;

/* Append printf-style text of any length. */
static void tm_add(tm_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void tm_value(tm_buf *b, const nidus_value *v) {
    switch (v->type) {
    case NIDUS_NULL: tm_add(b, "null"); break;
    case NIDUS_STR: tm_add(b, "s:%s", v->v.str.ptr); break;
    case NIDUS_INT: tm_add(b, "i:%lld", (long long)v->v.i); break;
    case NIDUS_DATETIME: tm_add(b, "t:%lld", (long long)v->v.i); break;
    case NIDUS_BOOL: tm_add(b, "b:%d", v->v.b); break;
    case NIDUS_FLOAT: tm_add(b, "f:%a", v->v.f); break;
    case NIDUS_LIST:
        tm_add(b, "l[");
        for (size_t i = 0; i < v->v.list.count; i++) tm_add(b, "%s,", v->v.list.items[i].ptr);
        tm_add(b, "]");
        break;
    }
}

/* Attributes (sorted by key, as the library returns them and as tm_gen builds them). */
static void tm_attrs_text(const nidus_attr *a, size_t n, char *out, size_t cap) {
    tm_buf b = {0};
    tm_add(&b, "");
    for (size_t i = 0; i < n; i++) {
        tm_add(&b, "%s=", a[i].key);
        tm_value(&b, &a[i].value);
        tm_add(&b, ";");
    }
    if (b.len >= cap) abort();
    memcpy(out, b.p, b.len + 1);
    free(b.p);
}

static int tm_coll_cmp(const void *x, const void *y) {
    return strcmp(((const tm_coll *)x)->name, ((const tm_coll *)y)->name);
}
static int tm_doc_cmp(const void *x, const void *y) { return strcmp(((const tm_doc *)x)->id, ((const tm_doc *)y)->id); }

static void tm_doc_line(tm_buf *b, const char *id, const float *v, uint32_t dim, const char *attrs) {
    tm_add(b, " D %s [", id);
    for (uint32_t k = 0; k < dim; k++) tm_add(b, "%a,", (double)v[k]);
    tm_add(b, "] %s\n", attrs);
}

/* Canonical text of a model. Caller frees. */
static char *tm_dump(const tm_state *s0) {
    tm_state s;
    tm_copy(&s, s0);
    if (s.n) qsort(s.c, s.n, sizeof *s.c, tm_coll_cmp);
    tm_buf b = {0};
    tm_add(&b, "");
    for (size_t i = 0; i < s.n; i++) {
        tm_coll *c = &s.c[i];
        tm_add(&b, "C %s\n M %s\n", c->name, c->meta);
        if (c->n) qsort(c->docs, c->n, sizeof *c->docs, tm_doc_cmp);
        for (size_t j = 0; j < c->n; j++) tm_doc_line(&b, c->docs[j].id, c->docs[j].v, s.dim, c->docs[j].attrs);
    }
    tm_free(&s);
    return b.p;
}

/* Canonical text of what a handle shows through the API; NULL (with *rc) if a read
 * fails. Caller frees. */
static char *tm_dump_db(nidus_db *db, int *rc) {
    tm_buf b = {0};
    tm_add(&b, "");
    nidus_names *names = NULL;
    *rc = nidus_collections(db, &names);
    if (*rc) {
        free(b.p);
        return NULL;
    }
    uint32_t dim = nidus_dimension(db);
    for (size_t i = 0; i < names->count && !*rc; i++) {
        const char *c = names->names[i];
        nidus_meta *m = NULL;
        if ((*rc = nidus_get_meta(db, c, &m))) break;
        tm_add(&b, "C %s\n M ", c);
        for (size_t j = 0; j < m->count; j++) tm_add(&b, "%s=%s;", m->entries[j].key, m->entries[j].value);
        tm_add(&b, "\n");
        nidus_free(m);
        nidus_docs *d = NULL;
        if ((*rc = nidus_get_all(db, c, &d))) break;
        for (size_t j = 0; j < d->count; j++) {
            char attrs[TM_ATTRS * 2];
            tm_attrs_text(d->docs[j].attrs, d->docs[j].n_attrs, attrs, sizeof attrs);
            tm_doc_line(&b, d->docs[j].id, d->docs[j].vector, dim, attrs);
        }
        nidus_free(d);
    }
    nidus_free(names);
    if (*rc) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* -------------------------------------------------------------- calls ---- */

enum {
    TC_OPEN,      /* (re)open the handle with the call's config */
    TC_CLOSE,
    TC_UPSERT,
    TC_DELETE,
    TC_DELWHERE,  /* delete_where g == call.g */
    TC_SETMETA,
    TC_CREATE,
    TC_DROP,
    TC_COMPACT,
    TC_FLUSH
};

typedef struct tm_rec {
    char id[TM_NAME];
    float raw[TM_DIM_MAX];
    int64_t g;
    int extra; /* 0: g, sig, tag; 1: also b (bool) and l (list); 2: also n (null) */
} tm_rec;

typedef struct tm_call {
    int kind;
    char coll[TM_NAME];
    size_t n;                     /* records (UPSERT), ids (DELETE), meta entries (SETMETA) */
    tm_rec recs[TM_BATCH];
    char ids[TM_BATCH][TM_NAME];
    int64_t g;
    char mk[3][12], mv[3][16];    /* meta, keys in ascending order */
    double auto_compact;          /* TC_OPEN */
} tm_call;

static const char *tm_kind_name(int k) {
    static const char *n[] = {"open", "close", "upsert", "delete", "delete_where", "set_meta",
                              "create", "drop", "compact", "flush"};
    return k >= 0 && k <= TC_FLUSH ? n[k] : "?";
}

/* The record's attributes, sorted by key; `sig` is the stored vector's first float,
 * so a reader can tell a vector from the wrong row. `strs` backs the list. */
static size_t tm_rec_attrs(const tm_rec *r, const float *normed, nidus_attr *a, nidus_str *strs, char *tag) {
    size_t n = 0;
    snprintf(tag, 16, "t%lld", (long long)r->g);
    strs[0] = (nidus_str){"x", NIDUS_NTS};
    strs[1] = (nidus_str){r->id, NIDUS_NTS};
    if (r->extra >= 1) a[n++] = (nidus_attr){"b", nidus_bool((int)(r->g & 1))};
    a[n++] = (nidus_attr){"g", nidus_int(r->g)};
    if (r->extra >= 1) a[n++] = (nidus_attr){"l", nidus_list(strs, 2)};
    if (r->extra >= 2) a[n++] = (nidus_attr){"n", nidus_null()};
    a[n++] = (nidus_attr){"sig", nidus_float((double)normed[0])};
    a[n++] = (nidus_attr){"tag", nidus_string(tag)};
    return n;
}

static void tm_rec_doc(const tm_rec *r, uint32_t dim, tm_doc *d) {
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", r->id);
    memcpy(d->v, r->raw, dim * sizeof(float));
    nidus__normalize(d->v, dim);
    nidus_attr a[6];
    nidus_str strs[2];
    char tag[16];
    size_t n = tm_rec_attrs(r, d->v, a, strs, tag);
    tm_attrs_text(a, n, d->attrs, sizeof d->attrs);
    d->g = r->g;
}

static void tm_meta_text(const tm_call *c, char *out, size_t cap) {
    tm_buf b = {0};
    tm_add(&b, "");
    for (size_t i = 0; i < c->n; i++) tm_add(&b, "%s=%s;", c->mk[i], c->mv[i]);
    snprintf(out, cap, "%s", b.p);
    free(b.p);
}

/* Run a write call on db. TC_OPEN/TC_CLOSE are the caller's business. */
static int tm_exec(nidus_db *db, const tm_call *c) {
    switch (c->kind) {
    case TC_UPSERT: {
        nidus_record r[TM_BATCH];
        nidus_attr a[TM_BATCH][6];
        nidus_str strs[TM_BATCH][2];
        char tag[TM_BATCH][16];
        uint32_t dim = nidus_dimension(db);
        for (size_t i = 0; i < c->n; i++) {
            float v[TM_DIM_MAX];
            memcpy(v, c->recs[i].raw, dim * sizeof(float));
            nidus__normalize(v, dim);
            size_t na = tm_rec_attrs(&c->recs[i], v, a[i], strs[i], tag[i]);
            r[i] = (nidus_record){c->recs[i].id, c->recs[i].raw, dim, a[i], na};
        }
        return nidus_upsert(db, c->coll, r, c->n);
    }
    case TC_DELETE: {
        const char *ids[TM_BATCH];
        for (size_t i = 0; i < c->n; i++) ids[i] = c->ids[i];
        return nidus_delete(db, c->coll, ids, c->n, NULL);
    }
    case TC_DELWHERE: {
        nidus_pred p = {.kind = NIDUS_PRED_EQ, .key = "g", .value = nidus_int(c->g)};
        return nidus_delete_where(db, c->coll, &p, 1, NULL);
    }
    case TC_SETMETA: {
        nidus_meta_entry m[3];
        for (size_t i = 0; i < c->n; i++) m[i] = (nidus_meta_entry){c->mk[i], c->mv[i]};
        return nidus_set_meta(db, c->coll, m, c->n);
    }
    case TC_CREATE: return nidus_create_collection(db, c->coll);
    case TC_DROP: return nidus_drop_collection(db, c->coll);
    case TC_COMPACT: return nidus_compact(db);
    case TC_FLUSH: return nidus_flush(db);
    default: return NIDUS_OK;
    }
}

/* How many log frames a call may write, as the model counts them (an upsert: a
 * CreateCollection, then one per record; a delete: one per id). */
static size_t tm_frames(const tm_call *c) {
    switch (c->kind) {
    case TC_UPSERT: return c->n + 1;
    case TC_DELETE: return c->n;
    case TC_SETMETA:
    case TC_CREATE:
    case TC_DROP: return 1;
    default: return 0;
    }
}

/* Apply the first `frames` frames of a call to the model (SIZE_MAX: all). A
 * delete_where applies whole here; tm_match handles its subsets. */
static void tm_apply_n(tm_state *s, const tm_call *c, size_t frames) {
    switch (c->kind) {
    case TC_UPSERT:
        if (frames == 0) return;
        tm_create(s, c->coll);
        for (size_t i = 0; i < c->n && i + 1 < frames; i++) {
            tm_doc d;
            tm_rec_doc(&c->recs[i], s->dim, &d);
            tm_put(s, c->coll, &d);
        }
        return;
    case TC_DELETE:
        for (size_t i = 0; i < c->n && i < frames; i++) tm_del(s, c->coll, c->ids[i]);
        return;
    case TC_DELWHERE: {
        tm_coll *x = tm_find(s, c->coll);
        for (size_t i = 0; x && i < x->n;)
            if (x->docs[i].g == c->g) x->docs[i] = x->docs[--x->n];
            else i++;
        return;
    }
    case TC_SETMETA:
        if (frames) tm_meta_text(c, tm_create(s, c->coll)->meta, TM_META);
        return;
    case TC_CREATE:
        if (frames) tm_create(s, c->coll);
        return;
    case TC_DROP:
        if (frames) tm_drop(s, c->coll);
        return;
    default: return;
    }
}

static void tm_apply(tm_state *s, const tm_call *c) { tm_apply_n(s, c, SIZE_MAX); }

enum { TM_NONE = 0, TM_BEFORE = 1, TM_AFTER = 2, TM_PARTIAL = 3 };

/* Does `got` show `before` with the call c applied not at all, whole, or in part?
 * On a match returns TM_BEFORE / TM_AFTER / TM_PARTIAL and, if out is not NULL,
 * fills it with the matching state (caller frees); TM_NONE otherwise. */
static int tm_match(const tm_state *before, const tm_call *c, const char *got, tm_state *out) {
    int how = TM_NONE;
    tm_state s;
    for (int pass = 0; pass < 2 && !how; pass++) {
        tm_copy(&s, before);
        if (pass) tm_apply(&s, c);
        char *d = tm_dump(&s);
        if (!strcmp(d, got)) how = pass ? TM_AFTER : TM_BEFORE;
        free(d);
        if (!how) tm_free(&s);
    }
    if (!how && c->kind == TC_DELWHERE) {
        /* Any subset of the matching records (Delete frames in no set order): the
         * dump of `before` with some of those records' lines left out. Lines are
         * unique, so a greedy merge decides it. */
        tm_state b;
        tm_copy(&b, before);
        tm_coll *x = tm_find(&b, c->coll);
        tm_buf del = {0};
        tm_add(&del, "");
        for (size_t i = 0; x && i < x->n; i++)
            if (x->docs[i].g == c->g) tm_doc_line(&del, x->docs[i].id, x->docs[i].v, b.dim, x->docs[i].attrs);
        char *bd = tm_dump(&b);
        const char *p = bd, *q = got;
        bool ok = true, in_coll = false;
        tm_copy(&s, &b);
        while (*p && ok) {
            const char *pe = strchr(p, '\n') + 1, *qe = *q ? strchr(q, '\n') + 1 : q;
            size_t pl = (size_t)(pe - p);
            if (p[0] == 'C') in_coll = pl == strlen(c->coll) + 3 && !strncmp(p + 2, c->coll, pl - 3);
            if ((size_t)(qe - q) == pl && !memcmp(p, q, pl)) {
                q = qe;
            } else {
                /* Skippable only if it is one of the matching records' lines. */
                bool skip = false;
                for (const char *d = del.p; in_coll && *d && !skip; d = strchr(d, '\n') + 1)
                    skip = !strncmp(d, p, pl);
                if (skip) {
                    char id[TM_NAME];
                    size_t il = (size_t)(strchr(p + 3, ' ') - (p + 3));
                    snprintf(id, sizeof id, "%.*s", (int)il, p + 3);
                    tm_del(&s, c->coll, id);
                }
                ok = skip;
            }
            p = pe;
        }
        if (ok && !*q) how = TM_PARTIAL;
        else tm_free(&s);
        free(bd);
        free(del.p);
        tm_free(&b);
    } else if (!how) {
        for (size_t f = 1; f < tm_frames(c) && !how; f++) {
            tm_copy(&s, before);
            tm_apply_n(&s, c, f);
            char *d = tm_dump(&s);
            if (!strcmp(d, got)) how = TM_PARTIAL;
            free(d);
            if (!how) tm_free(&s);
        }
    }
    if (how && out) *out = s;
    else if (how) tm_free(&s);
    return how;
}

/* ------------------------------------------------------------ generator ---- */

static const char *const TM_COLLS[] = {"a", "b", "c"};

static void tm_gen_rec(uint64_t *rng, uint32_t dim, unsigned idpool, tm_rec *r) {
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "k%02u", tm_below(rng, idpool));
    for (uint32_t k = 0; k < dim; k++) r->raw[k] = (float)((int)tm_below(rng, 2001) - 1000) / 256.0f + 0.001f;
    r->g = tm_below(rng, 4);
    r->extra = (int)tm_below(rng, 3);
}

/* A random write call (no open/close): mostly upserts and deletes, some of
 * everything else. `compact_pct` is the chance of a compaction in percent. */
static void tm_gen(uint64_t *rng, uint32_t dim, unsigned idpool, unsigned compact_pct, tm_call *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->coll, sizeof c->coll, "%s", TM_COLLS[tm_below(rng, 3)]);
    unsigned p = tm_below(rng, 100);
    if (p < compact_pct) {
        c->kind = TC_COMPACT;
        return;
    }
    p = tm_below(rng, 100);
    if (p < 50) {
        c->kind = TC_UPSERT;
        c->n = 1 + tm_below(rng, TM_BATCH);
        for (size_t i = 0; i < c->n; i++) tm_gen_rec(rng, dim, idpool, &c->recs[i]);
    } else if (p < 68) {
        c->kind = TC_DELETE;
        c->n = 1 + tm_below(rng, 3);
        for (size_t i = 0; i < c->n; i++) snprintf(c->ids[i], TM_NAME, "k%02u", tm_below(rng, idpool));
    } else if (p < 76) {
        c->kind = TC_DELWHERE;
        c->g = tm_below(rng, 4);
    } else if (p < 88) {
        c->kind = TC_SETMETA;
        c->n = tm_below(rng, 4);
        static const char *keys[] = {"hwm", "model", "note"};
        for (size_t i = 0; i < c->n; i++) {
            snprintf(c->mk[i], sizeof c->mk[i], "%s", keys[i]);
            snprintf(c->mv[i], sizeof c->mv[i], "v%u", tm_below(rng, 1000));
        }
    } else if (p < 95) {
        c->kind = TC_CREATE;
    } else {
        c->kind = TC_DROP;
    }
}

/* Vector sanity for readers: unit norm (or zero). */
static bool tm_unit_or_zero(const float *v, uint32_t dim) {
    double ss = 0;
    for (uint32_t k = 0; k < dim; k++) ss += (double)v[k] * v[k];
    return ss == 0 || fabs(sqrt(ss) - 1.0) < 1e-5;
}

#endif

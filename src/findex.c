/* findex.c — the filter index (SPEC.md §12): per declared field of a collection,
 * posting lists (rows holding a value) for the exact predicates, the List
 * elements and the tokens, and sorted values for the ranges; and the planner that
 * turns a compiled filter into candidate rows.
 *
 * Rows, not doc positions, name the docs: a row belongs to one record for good
 * (until compaction, which rebuilds the index), and every write appends rows above
 * all existing ones, so a posting list grows sorted by appending. Deletes and
 * overwrites touch nothing here: the stale rows they leave are dropped when the
 * candidates are matched against the collection's scan order (live rows only),
 * and an index whose stale entries outnumber the live docs twice over is rebuilt.
 * Every candidate set is a superset of the matching docs (anything the planner
 * cannot bound, and any allocation failure, means "every doc"), and the scan
 * evaluates the full filter on each candidate, so results never depend on the
 * index. */
#include "findex.h"

#include <math.h>
#include <stdlib.h>

/* The kinds of exact keys. */
enum { K_NULL, K_STR, K_ELEM, K_TOK, K_INT, K_DT, K_FLOAT, K_BOOL };
/* The sorted-value arrays, one per ordered type (Bool ranges use the exact keys). */
enum { R_INT, R_DT, R_FLOAT, R_STR, NR };

/* Candidates beyond an eighth of the collection are not worth walking: building
 * and resolving a big set costs more than evaluating the filter on every doc
 * (measured, 100k x 384: a 10% range 1.2 ms against 1.6 ms without the index,
 * 25% 2.7 ms against 2.5 ms; SPEC.md §12). */
#define MAX_SHARE 8
/* Below this many candidates walking them always pays, however small the
 * collection. */
#define MIN_LIMIT 16
/* An index whose entries name more than this many docs (stale ones included)
 * beyond twice the live count is rebuilt. */
#define STALE_SLACK 1024

typedef struct fkey {
    uint8_t kind;
    const char *p; /* STR ELEM TOK: the bytes */
    uint64_t x;    /* STR ELEM TOK: the length; else the value's bits */
} fkey;

/* One key and its posting list. */
typedef struct pent {
    const char *p; /* STR ELEM TOK: bytes in a stored doc's blob */
    uint64_t x;
    uint32_t hash;
    uint8_t kind;
    bool provisional; /* p points at a write's staged attributes until its add */
    uint64_t *rows;   /* ascending, unique */
    size_t n, cap, pend;
} pent;

/* One sorted value. */
typedef struct rent {
    union {
        int64_t i;
        double f;
        const char *p;
    } k;
    uint64_t len; /* R_STR */
    uint64_t row;
} rent;

/* Values in [0, sorted) are in order; the rest were appended since. */
typedef struct rlist {
    rent *v;
    size_t n, cap, pend, sorted;
} rlist;

typedef struct ffield {
    nidus_str name; /* borrowed from the declaration */
    pent *ents;
    size_t nents, capents, mark; /* mark: nents when a write began */
    uint32_t *tab;               /* open addressing: entry index + 1, load <= 1/2 */
    size_t ntab;
    rlist rng[NR];
} ffield;

struct nfindex {
    nfx_field *decl; /* as logged (names owned) */
    size_t ndecl;
    ffield *f; /* one per distinct declared field */
    size_t nf;
    bool built;
    size_t added; /* docs added since the last build, those built included */
    pthread_mutex_t mu; /* the planner (under the read lock) builds and sorts */
};

/* ------------------------------------------------------------ declaration ---- */

static void fields_free(ffield *f, size_t nf) {
    for (size_t i = 0; f && i < nf; i++) {
        for (size_t k = 0; k < f[i].nents; k++) nidus__free(f[i].ents[k].rows);
        nidus__free(f[i].ents);
        nidus__free(f[i].tab);
        for (int r = 0; r < NR; r++) nidus__free(f[i].rng[r].v);
    }
    nidus__free(f);
}

void nidus__findex_free(nfindex *fx) {
    if (!fx) return;
    fields_free(fx->f, fx->nf);
    for (size_t i = 0; i < fx->ndecl; i++) nidus__free_view(fx->decl[i].name.ptr);
    nidus__free(fx->decl);
    pthread_mutex_destroy(&fx->mu);
    nidus__free(fx);
}

static bool name_eq(nidus_str a, nidus_str b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }

/* Fresh, empty field structures for fx's distinct names. */
static ffield *fields_new(const nfindex *fx, size_t *nf) {
    ffield *f = nidus__calloc(fx->ndecl, sizeof *f);
    if (!f) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < fx->ndecl; i++) {
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++) dup = name_eq(f[k].name, fx->decl[i].name);
        if (!dup) f[n++].name = fx->decl[i].name;
    }
    *nf = n;
    return f;
}

int nidus__findex_new(const nfx_field *fields, size_t n, nfindex **out, nerr *e) {
    *out = NULL;
    nfindex *fx = nidus__calloc(1, sizeof *fx);
    if (!fx) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory declaring a filter index");
    if (pthread_mutex_init(&fx->mu, NULL) != 0) {
        nidus__free(fx);
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory declaring a filter index");
    }
    if (!(fx->decl = nidus__calloc(n ? n : 1, sizeof *fx->decl))) goto oom;
    for (size_t i = 0; i < n; i++, fx->ndecl++) {
        size_t len = nidus__in_len(fields[i].name);
        char *p = nidus__strndup(fields[i].name.ptr, len);
        if (!p) goto oom;
        fx->decl[i] = (nfx_field){{p, len}, fields[i].tokens, fields[i].trigrams};
    }
    if (!(fx->f = fields_new(fx, &fx->nf))) goto oom;
    *out = fx;
    return NIDUS_OK;
oom:
    nidus__findex_free(fx);
    return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory declaring a filter index");
}

const nfx_field *nidus__findex_decl(const nfindex *fx, size_t *n) {
    *n = fx ? fx->ndecl : 0;
    return fx ? fx->decl : NULL;
}

bool nidus__findex_same(const nfindex *fx, const nfx_field *fields, size_t n) {
    if (!fx) return n == 0;
    if (fx->ndecl != n) return false;
    for (size_t i = 0; i < n; i++) {
        nidus_str a = fx->decl[i].name, b = {fields[i].name.ptr, nidus__in_len(fields[i].name)};
        if (!name_eq(a, b) || fx->decl[i].tokens != fields[i].tokens || fx->decl[i].trigrams != fields[i].trigrams)
            return false;
    }
    return true;
}

nidus_names *nidus__findex_names(const nfindex *fx) {
    size_t n = fx ? fx->ndecl : 0, bytes = sizeof(nidus_names) + n * sizeof(char *);
    for (size_t i = 0; i < n; i++) nidus__add_sat(&bytes, fx->decl[i].name.len + 1);
    nidus_names *res = nidus__malloc(bytes);
    if (!res) return NULL;
    const char **names = (const char **)(res + 1);
    char *s = (char *)(names + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(s, fx->decl[i].name.ptr, fx->decl[i].name.len);
        s[fx->decl[i].name.len] = 0;
        names[i] = s;
        s += fx->decl[i].name.len + 1;
    }
    *res = (nidus_names){n, names};
    return res;
}

/* ------------------------------------------------------------------- keys ---- */

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

static inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static uint32_t key_hash(const fkey *k) {
    uint64_t h;
    if (k->kind == K_TOK) { /* tokens compare with ASCII folded */
        h = 0xcbf29ce484222325ull;
        for (uint64_t i = 0; i < k->x; i++) h = (h ^ fold((unsigned char)k->p[i])) * 0x100000001b3ull;
    } else if (k->kind == K_STR || k->kind == K_ELEM) {
        h = nidus__id_hash(k->p, (size_t)k->x);
    } else {
        h = k->x;
    }
    return (uint32_t)mix64(h ^ (uint64_t)k->kind * 0x9e3779b97f4a7c15ull);
}

static bool key_eq(const pent *e, const fkey *k, uint32_t h) {
    if (e->hash != h || e->kind != k->kind) return false;
    switch (k->kind) {
    case K_NULL: return true;
    case K_STR:
    case K_ELEM: return e->x == k->x && (k->x == 0 || memcmp(e->p, k->p, (size_t)k->x) == 0);
    case K_TOK: return nidus__token_eq((nidus_str){e->p, (size_t)e->x}, (nidus_str){k->p, (size_t)k->x});
    default: return e->x == k->x;
    }
}

static pent *ent_find(const ffield *f, const fkey *k, uint32_t h) {
    if (!f->ntab) return NULL;
    size_t m = f->ntab - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
        uint32_t s = f->tab[i];
        if (!s) return NULL;
        if (key_eq(&f->ents[s - 1], k, h)) return &f->ents[s - 1];
    }
}

static void tab_put(ffield *f, size_t idx) {
    size_t m = f->ntab - 1, i = f->ents[idx].hash & m;
    while (f->tab[i]) i = (i + 1) & m;
    f->tab[i] = (uint32_t)(idx + 1);
}

/* The entry of key k, created (empty) if absent; NULL when out of memory. */
static pent *ent_get(ffield *f, const fkey *k, bool provisional) {
    uint32_t h = key_hash(k);
    pent *e = ent_find(f, k, h);
    if (e) return e;
    if (f->nents >= UINT32_MAX - 1) return NULL;
    if (f->nents == f->capents) {
        size_t cap = f->capents ? f->capents * 2 : 16;
        pent *v = nidus__reallocarray(f->ents, cap, sizeof *v);
        if (!v) return NULL;
        f->ents = v;
        f->capents = cap;
    }
    if ((f->nents + 1) * 2 > f->ntab) {
        size_t ns = f->ntab ? f->ntab * 2 : 32;
        uint32_t *t = nidus__calloc(ns, sizeof *t);
        if (!t) return NULL;
        nidus__free(f->tab);
        f->tab = t;
        f->ntab = ns;
        for (size_t i = 0; i < f->nents; i++) tab_put(f, i);
    }
    e = &f->ents[f->nents];
    *e = (pent){.p = k->p, .x = k->x, .hash = h, .kind = k->kind, .provisional = provisional};
    tab_put(f, f->nents++);
    return e;
}

static bool grow_rows(pent *e, size_t need) {
    if (need <= e->cap) return true;
    size_t cap = e->cap ? e->cap : 4;
    while (cap < need) cap *= 2;
    uint64_t *r = nidus__reallocarray(e->rows, cap, sizeof *r);
    if (!r) return false;
    e->rows = r;
    e->cap = cap;
    return true;
}

static bool grow_rng(rlist *l, size_t need) {
    if (need <= l->cap) return true;
    size_t cap = l->cap ? l->cap : 16;
    while (cap < need) cap *= 2;
    rent *v = nidus__reallocarray(l->v, cap, sizeof *v);
    if (!v) return false;
    l->v = v;
    l->cap = cap;
    return true;
}

/* The keys a value puts into its field, one call each (a key may repeat). */
typedef bool (*key_fn)(void *ctx, const fkey *k);

static bool str_keys(const char *s, size_t len, uint8_t kind, key_fn fn, void *ctx) {
    fkey k = {kind, s, len};
    if (!fn(ctx, &k)) return false;
    size_t pos = 0;
    nidus_str t;
    while (nidus__token_next(s, len, &pos, &t)) {
        fkey tk = {K_TOK, t.ptr, t.len};
        if (!fn(ctx, &tk)) return false;
    }
    return true;
}

static uint64_t float_bits(double d) {
    if (d == 0) d = 0; /* -0.0 equals 0.0 */
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static bool value_keys(const nidus_value *v, key_fn fn, void *ctx) {
    fkey k = {0};
    switch (v->type) {
    case NIDUS_NULL: k.kind = K_NULL; return fn(ctx, &k);
    case NIDUS_STR: return str_keys(v->v.str.ptr, v->v.str.len, K_STR, fn, ctx);
    case NIDUS_INT: k = (fkey){K_INT, NULL, (uint64_t)v->v.i}; return fn(ctx, &k);
    case NIDUS_DATETIME: k = (fkey){K_DT, NULL, (uint64_t)v->v.i}; return fn(ctx, &k);
    case NIDUS_BOOL: k = (fkey){K_BOOL, NULL, v->v.b != 0}; return fn(ctx, &k);
    case NIDUS_FLOAT:
        if (isnan(v->v.f)) return true; /* equals nothing */
        k = (fkey){K_FLOAT, NULL, float_bits(v->v.f)};
        return fn(ctx, &k);
    case NIDUS_LIST:
        for (size_t i = 0; i < v->v.list.count; i++)
            if (!str_keys(v->v.list.items[i].ptr, v->v.list.items[i].len, K_ELEM, fn, ctx)) return false;
        return true;
    }
    return true;
}

/* The sorted-value array a value goes to (-1: none) and its entry. */
static int value_rent(const nidus_value *v, uint64_t row, rent *r) {
    *r = (rent){.row = row};
    switch (v->type) {
    case NIDUS_INT: r->k.i = v->v.i; return R_INT;
    case NIDUS_DATETIME: r->k.i = v->v.i; return R_DT;
    case NIDUS_FLOAT:
        if (isnan(v->v.f)) return -1; /* no range holds NaN */
        r->k.f = v->v.f;
        return R_FLOAT;
    case NIDUS_STR:
        r->k.p = v->v.str.ptr;
        r->len = v->v.str.len;
        return R_STR;
    default: return -1;
    }
}

/* ------------------------------------------------------------------ build ---- */

typedef struct put_ctx {
    ffield *f;
    uint64_t row;
} put_ctx;

/* Build mode: find or create, grow, append (a repeat in one doc is kept once). */
static bool put_key(void *vctx, const fkey *k) {
    put_ctx *c = vctx;
    pent *e = ent_get(c->f, k, false);
    if (!e) return false;
    if (e->n && e->rows[e->n - 1] == c->row) return true;
    if (!grow_rows(e, e->n + 1)) return false;
    e->rows[e->n++] = c->row;
    return true;
}

static int rent_cmp_int(const void *a, const void *b) {
    const rent *x = a, *y = b;
    if (x->k.i != y->k.i) return x->k.i < y->k.i ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}
static int rent_cmp_float(const void *a, const void *b) {
    const rent *x = a, *y = b;
    if (x->k.f != y->k.f) return x->k.f < y->k.f ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}
static int rent_cmp_str(const void *a, const void *b) {
    const rent *x = a, *y = b;
    int c = nidus__str_cmp(x->k.p, (size_t)x->len, y->k.p, (size_t)y->len);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}
typedef int (*cmp_fn)(const void *, const void *);
static const cmp_fn RCMP[NR] = {rent_cmp_int, rent_cmp_int, rent_cmp_float, rent_cmp_str};

static void rng_sort(rlist *l, int which) {
    if (l->sorted == l->n) return;
    qsort(l->v, l->n, sizeof *l->v, RCMP[which]);
    l->sorted = l->n;
}

static int row_pair_cmp(const void *a, const void *b) {
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

int nidus__findex_build(nfindex *fx, const ncoll *c, nerr *e) {
    size_t nf = 0;
    ffield *f = fields_new(fx, &nf);
    uint64_t *pairs = nidus__mallocarray(c->n ? c->n : 1, 2 * sizeof(uint64_t));
    if (!f || !pairs) goto oom;
    /* Docs in row order, so every posting list is appended in order. */
    for (size_t i = 0; i < c->n; i++) {
        pairs[2 * i] = c->docs[i].row;
        pairs[2 * i + 1] = i;
    }
    qsort(pairs, c->n, 2 * sizeof(uint64_t), row_pair_cmp);
    for (size_t i = 0; i < c->n; i++) {
        const ndoc *d = &c->docs[pairs[2 * i + 1]];
        for (size_t k = 0; k < nf; k++) {
            const nidus_value *v = nidus__attrs_get(&d->attrs, f[k].name.ptr, f[k].name.len);
            if (!v) continue;
            put_ctx pc = {&f[k], d->row};
            if (!value_keys(v, put_key, &pc)) goto oom;
            rent r;
            int w = value_rent(v, d->row, &r);
            if (w >= 0) {
                rlist *l = &f[k].rng[w];
                if (!grow_rng(l, l->n + 1)) goto oom;
                l->v[l->n++] = r;
            }
        }
    }
    for (size_t k = 0; k < nf; k++)
        for (int w = 0; w < NR; w++) rng_sort(&f[k].rng[w], w);
    nidus__free(pairs);
    fields_free(fx->f, fx->nf);
    fx->f = f;
    fx->nf = nf;
    fx->built = true;
    fx->added = c->n;
    return NIDUS_OK;
oom:
    nidus__free(pairs);
    fields_free(f, nf);
    return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory building the filter index");
}

void nidus__findex_invalidate(nfindex *fx) {
    if (!fx) return;
    size_t nf = 0;
    ffield *f = fields_new(fx, &nf); /* empty structures; NULL keeps the old (unbuilt: never read) */
    if (f) {
        fields_free(fx->f, fx->nf);
        fx->f = f;
        fx->nf = nf;
    }
    fx->built = false;
}

/* ------------------------------------------------------------------ write ---- */

static bool stale(const nfindex *fx, const ncoll *c) { return fx->added / 2 > c->n + STALE_SLACK; }

int nidus__findex_begin(nfindex *fx, const ncoll *c, nerr *e) {
    if (!fx || !fx->built) return NIDUS_OK;
    if (stale(fx, c)) {
        nerr ignored;
        /* A rebuild that cannot allocate leaves the index to the planner. */
        if (nidus__findex_build(fx, c, &ignored)) nidus__findex_invalidate(fx);
        if (!fx->built) return NIDUS_OK;
    }
    (void)e;
    for (size_t k = 0; k < fx->nf; k++) fx->f[k].mark = fx->f[k].nents;
    return NIDUS_OK;
}

typedef struct res_ctx {
    ffield *f;
} res_ctx;

static bool reserve_key(void *vctx, const fkey *k) {
    res_ctx *c = vctx;
    pent *e = ent_get(c->f, k, k->kind == K_STR || k->kind == K_ELEM || k->kind == K_TOK);
    if (!e || !grow_rows(e, e->n + e->pend + 1)) return false;
    e->pend++;
    return true;
}

void nidus__findex_rollback(nfindex *fx) {
    if (!fx || !fx->built) return;
    for (size_t k = 0; k < fx->nf; k++) {
        ffield *f = &fx->f[k];
        if (f->nents > f->mark) { /* keys this write created: gone, and the table without them */
            for (size_t i = f->mark; i < f->nents; i++) nidus__free(f->ents[i].rows);
            f->nents = f->mark;
            if (f->ntab) {
                memset(f->tab, 0, f->ntab * sizeof *f->tab);
                for (size_t i = 0; i < f->nents; i++) tab_put(f, i);
            }
        }
        for (size_t i = 0; i < f->nents; i++) f->ents[i].pend = 0;
        for (int w = 0; w < NR; w++) f->rng[w].pend = 0;
    }
}

int nidus__findex_reserve(nfindex *fx, const nattrs *attrs, nerr *e) {
    if (!fx || !fx->built) return NIDUS_OK;
    for (size_t k = 0; k < fx->nf; k++) {
        ffield *f = &fx->f[k];
        const nidus_value *v = nidus__attrs_get(attrs, f->name.ptr, f->name.len);
        if (!v) continue;
        res_ctx rc = {f};
        bool ok = value_keys(v, reserve_key, &rc);
        rent r;
        int w = value_rent(v, 0, &r);
        if (ok && w >= 0) {
            rlist *l = &f->rng[w];
            if ((ok = grow_rng(l, l->n + l->pend + 1))) l->pend++;
        }
        if (!ok) {
            nidus__findex_rollback(fx);
            return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory updating the filter index");
        }
    }
    return NIDUS_OK;
}

/* Commit mode: the entry and the room exist (reserved); the key moves to the
 * stored doc's bytes. */
static bool add_key(void *vctx, const fkey *k) {
    put_ctx *c = vctx;
    uint32_t h = key_hash(k);
    pent *e = ent_find(c->f, k, h);
    NIDUS__ASSERT(e && e->pend > 0);
    if (!e) return true;
    if (e->provisional) {
        e->p = k->p;
        e->provisional = false;
    }
    if (e->pend) e->pend--;
    if (e->n && e->rows[e->n - 1] == c->row) return true;
    NIDUS__ASSERT(e->n < e->cap);
    e->rows[e->n++] = c->row;
    return true;
}

void nidus__findex_add(nfindex *fx, uint64_t row, const nattrs *attrs) {
    if (!fx || !fx->built) return;
    fx->added++;
    for (size_t k = 0; k < fx->nf; k++) {
        ffield *f = &fx->f[k];
        const nidus_value *v = nidus__attrs_get(attrs, f->name.ptr, f->name.len);
        if (!v) continue;
        put_ctx pc = {f, row};
        (void)value_keys(v, add_key, &pc);
        rent r;
        int w = value_rent(v, row, &r);
        if (w >= 0) {
            rlist *l = &f->rng[w];
            NIDUS__ASSERT(l->n < l->cap && l->pend > 0);
            if (l->pend) l->pend--;
            l->v[l->n++] = r;
        }
    }
}

uint64_t nidus__findex_bytes(nfindex *fx) {
    if (!fx) return 0;
    pthread_mutex_lock(&fx->mu);
    uint64_t b = sizeof *fx + fx->ndecl * sizeof *fx->decl + fx->nf * sizeof *fx->f;
    for (size_t i = 0; i < fx->ndecl; i++) b += fx->decl[i].name.len + 1;
    for (size_t k = 0; k < fx->nf; k++) {
        const ffield *f = &fx->f[k];
        b += f->capents * sizeof *f->ents + f->ntab * sizeof *f->tab;
        for (size_t i = 0; i < f->nents; i++) b += f->ents[i].cap * sizeof(uint64_t);
        for (int w = 0; w < NR; w++) b += f->rng[w].cap * sizeof(rent);
    }
    pthread_mutex_unlock(&fx->mu);
    return b;
}

/* ---------------------------------------------------------------- planner ---- */

/* A candidate set: ascending unique rows, or every doc. */
typedef struct rowset {
    uint64_t *v;
    size_t n;
    bool all;
} rowset;

static const rowset ALL = {NULL, 0, true};
static const rowset EMPTY = {NULL, 0, false};

static void set_free(rowset *s) {
    nidus__free(s->v);
    *s = ALL;
}

typedef struct plan_ctx {
    const nfilter *flt;
    nfindex *fx;
    size_t limit;
} plan_ctx;

static const ffield *field_of(const plan_ctx *p, nidus_str key) {
    for (size_t k = 0; k < p->fx->nf; k++)
        if (name_eq(p->fx->f[k].name, key)) return &p->fx->f[k];
    return NULL;
}

/* The rows of key k (a copy), or ALL when there are more than the limit. */
static rowset key_set(const plan_ctx *p, const ffield *f, const fkey *k) {
    const pent *e = ent_find(f, k, key_hash(k));
    if (!e || e->n == 0) return EMPTY;
    if (e->n > p->limit) return ALL;
    rowset s = {nidus__mallocarray(e->n, sizeof(uint64_t)), e->n, false};
    if (!s.v) return ALL;
    memcpy(s.v, e->rows, e->n * sizeof(uint64_t));
    return s;
}

/* a ∪ b (both consumed); ALL when either is, or out of memory. */
static rowset set_union(rowset a, rowset b) {
    if (a.all || b.all) {
        set_free(&a);
        set_free(&b);
        return ALL;
    }
    if (!a.n) {
        nidus__free(a.v); /* an intersection may leave an empty set its array */
        return b;
    }
    if (!b.n) {
        nidus__free(b.v);
        return a;
    }
    rowset r = {nidus__mallocarray(a.n + b.n, sizeof(uint64_t)), 0, false};
    if (r.v) {
        size_t i = 0, j = 0;
        while (i < a.n || j < b.n) {
            uint64_t x;
            if (j == b.n || (i < a.n && a.v[i] < b.v[j])) x = a.v[i++];
            else if (i == a.n || b.v[j] < a.v[i]) x = b.v[j++];
            else x = a.v[i++], j++;
            r.v[r.n++] = x;
        }
    } else {
        r = ALL;
    }
    set_free(&a);
    set_free(&b);
    return r;
}

/* a ∩ b (both consumed); ALL stands for every doc. */
static rowset set_inter(rowset a, rowset b) {
    if (a.all) return b;
    if (b.all) return a;
    size_t i = 0, j = 0, n = 0;
    while (i < a.n && j < b.n) {
        if (a.v[i] < b.v[j]) i++;
        else if (b.v[j] < a.v[i]) j++;
        else a.v[n++] = a.v[i++], j++;
    }
    a.n = n;
    set_free(&b);
    return a;
}

/* A set over the limit becomes ALL. */
static rowset capped(const plan_ctx *p, rowset s) {
    if (!s.all && s.n > p->limit) set_free(&s);
    return s;
}

static rowset eq_set(const plan_ctx *p, const ffield *f, const nidus_value *v) {
    fkey k = {0};
    switch (v->type) {
    case NIDUS_NULL: k.kind = K_NULL; break;
    case NIDUS_STR: k = (fkey){K_STR, v->v.str.ptr, v->v.str.len}; break;
    case NIDUS_INT: k = (fkey){K_INT, NULL, (uint64_t)v->v.i}; break;
    case NIDUS_DATETIME: k = (fkey){K_DT, NULL, (uint64_t)v->v.i}; break;
    case NIDUS_BOOL: k = (fkey){K_BOOL, NULL, v->v.b != 0}; break;
    case NIDUS_FLOAT:
        if (isnan(v->v.f)) return EMPTY; /* NaN equals nothing */
        k = (fkey){K_FLOAT, NULL, float_bits(v->v.f)};
        break;
    case NIDUS_LIST: /* an equal List holds its first element */
        if (!v->v.list.count) return ALL;
        k = (fkey){K_ELEM, v->v.list.items[0].ptr, v->v.list.items[0].len};
        break;
    }
    return key_set(p, f, &k);
}

static int rent_key_cmp(int w, const rent *e, const rent *q) {
    switch (w) {
    case R_FLOAT: return (e->k.f > q->k.f) - (e->k.f < q->k.f);
    case R_STR: return nidus__str_cmp(e->k.p, (size_t)e->len, q->k.p, (size_t)q->len);
    default: return (e->k.i > q->k.i) - (e->k.i < q->k.i);
    }
}

/* First index in v[lo, hi) whose value is >= q (strict: > q). */
static size_t rent_bound(int w, const rent *v, size_t lo, size_t hi, const rent *q, bool strict) {
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = rent_key_cmp(w, &v[mid], q);
        if (c < 0 || (strict && c == 0)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static bool rent_in(int w, const rent *e, const rent *q, unsigned op) {
    int c = rent_key_cmp(w, e, q);
    switch (op) {
    case NIDUS_F_LT: return c < 0;
    case NIDUS_F_LE: return c <= 0;
    case NIDUS_F_GT: return c > 0;
    default: return c >= 0;
    }
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static rowset range_set(plan_ctx *p, ffield *f, unsigned op, const nidus_value *v) {
    if (v->type == NIDUS_BOOL) { /* false < true: ranges are sets of the two keys */
        bool b = v->v.b != 0;
        bool want_f = op == NIDUS_F_LT ? b : op == NIDUS_F_LE ? true : op == NIDUS_F_GT ? false : !b;
        bool want_t = op == NIDUS_F_LT ? false : op == NIDUS_F_LE ? b : op == NIDUS_F_GT ? !b : true;
        fkey kf = {K_BOOL, NULL, 0}, kt = {K_BOOL, NULL, 1};
        rowset s = want_f ? key_set(p, f, &kf) : EMPTY;
        if (want_t) s = set_union(s, key_set(p, f, &kt));
        return capped(p, s);
    }
    rent q;
    int w = value_rent(v, 0, &q);
    if (w < 0) return v->type == NIDUS_FLOAT || v->type == NIDUS_NULL || v->type == NIDUS_LIST ? EMPTY : ALL;
    rlist *l = &f->rng[w];
    /* Keep most of the array sorted: a long unsorted tail is sorted in (the
     * planner holds the index's mutex). */
    if (l->n - l->sorted > 256 + l->sorted / 16) rng_sort(l, w);
    size_t lo = 0, hi = l->sorted;
    switch (op) {
    case NIDUS_F_LT: hi = rent_bound(w, l->v, 0, l->sorted, &q, false); break;
    case NIDUS_F_LE: hi = rent_bound(w, l->v, 0, l->sorted, &q, true); break;
    case NIDUS_F_GT: lo = rent_bound(w, l->v, 0, l->sorted, &q, true); break;
    default: lo = rent_bound(w, l->v, 0, l->sorted, &q, false); break;
    }
    size_t tail = 0;
    for (size_t i = l->sorted; i < l->n; i++) tail += rent_in(w, &l->v[i], &q, op);
    size_t n = hi - lo + tail;
    if (n > p->limit) return ALL;
    if (n == 0) return EMPTY;
    rowset s = {nidus__mallocarray(n, sizeof(uint64_t)), 0, false};
    if (!s.v) return ALL;
    for (size_t i = lo; i < hi; i++) s.v[s.n++] = l->v[i].row;
    for (size_t i = l->sorted; i < l->n; i++)
        if (rent_in(w, &l->v[i], &q, op)) s.v[s.n++] = l->v[i].row;
    qsort(s.v, s.n, sizeof *s.v, u64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < s.n; i++)
        if (u == 0 || s.v[u - 1] != s.v[i]) s.v[u++] = s.v[i];
    s.n = u;
    return s;
}

/* The Str values starting with the bytes p[0..n): a contiguous run of the sorted
 * part (bytewise order), plus the tail's. */
static int prefix_cmp(const rent *e, const char *p, size_t n) {
    size_t m = e->len < n ? (size_t)e->len : n;
    int c = m ? memcmp(e->k.p, p, m) : 0;
    if (c) return c;
    return e->len < n ? -1 : 0; /* a shorter value sorts first; a longer one with the prefix matches */
}

static rowset prefix_set(plan_ctx *p, ffield *f, const char *pre, size_t n) {
    rlist *l = &f->rng[R_STR];
    if (l->n - l->sorted > 256 + l->sorted / 16) rng_sort(l, R_STR);
    size_t lo = 0, hi = l->sorted;
    while (lo < hi) { /* first value >= the prefix */
        size_t mid = lo + (hi - lo) / 2;
        if (prefix_cmp(&l->v[mid], pre, n) < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t a = lo;
    hi = l->sorted;
    while (lo < hi) { /* first value past every one with the prefix */
        size_t mid = lo + (hi - lo) / 2;
        if (prefix_cmp(&l->v[mid], pre, n) <= 0) lo = mid + 1;
        else hi = mid;
    }
    size_t b = lo, tail = 0;
    for (size_t i = l->sorted; i < l->n; i++) tail += prefix_cmp(&l->v[i], pre, n) == 0;
    size_t cnt = b - a + tail;
    if (cnt > p->limit) return ALL;
    if (cnt == 0) return EMPTY;
    rowset out = {nidus__mallocarray(cnt, sizeof(uint64_t)), 0, false};
    if (!out.v) return ALL;
    for (size_t i = a; i < b; i++) out.v[out.n++] = l->v[i].row;
    for (size_t i = l->sorted; i < l->n; i++)
        if (prefix_cmp(&l->v[i], pre, n) == 0) out.v[out.n++] = l->v[i].row;
    qsort(out.v, out.n, sizeof *out.v, u64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < out.n; i++)
        if (u == 0 || out.v[u - 1] != out.v[i]) out.v[u++] = out.v[i];
    out.n = u;
    return out;
}

static rowset tokens_set(const plan_ctx *p, const ffield *f, const ntokens *t, bool any) {
    if (!t->n) return any ? EMPTY : ALL; /* no token: Any is false, All/Sequence true for any text */
    rowset acc = any ? EMPTY : ALL;
    for (size_t i = 0; i < t->n; i++) {
        fkey k = {K_TOK, t->v[i].ptr, t->v[i].len};
        rowset r = key_set(p, f, &k);
        if (any) {
            if (r.all) {
                set_free(&acc);
                return ALL;
            }
            acc = capped(p, set_union(acc, r));
            if (acc.all) return ALL;
        } else {
            acc = set_inter(acc, r); /* a token over the limit narrows nothing: skipped */
            if (!acc.all && acc.n == 0) return acc;
        }
    }
    return acc;
}

static rowset plan_node(plan_ctx *p, size_t i) {
    nfilter_node nd;
    nidus__filter_node(p->flt, i, &nd);
    switch (nd.op) {
    case NIDUS_F_ALL: {
        rowset acc = ALL;
        size_t c = i + 1;
        for (uint32_t k = 0; k < nd.nkids; k++) {
            nfilter_node cn;
            nidus__filter_node(p->flt, c, &cn);
            acc = set_inter(acc, plan_node(p, c));
            if (!acc.all && acc.n == 0) return acc;
            c += cn.size;
        }
        return acc;
    }
    case NIDUS_F_ANY: { /* narrows only when every branch does */
        rowset acc = EMPTY;
        size_t c = i + 1;
        for (uint32_t k = 0; k < nd.nkids; k++) {
            nfilter_node cn;
            nidus__filter_node(p->flt, c, &cn);
            acc = capped(p, set_union(acc, plan_node(p, c)));
            if (acc.all) return ALL;
            c += cn.size;
        }
        return acc;
    }
    case NIDUS_F_NOT: return ALL;
    default: break;
    }
    const ffield *cf = field_of(p, nd.key);
    if (!cf) return ALL;
    ffield *f = (ffield *)cf;
    switch (nd.op) {
    case NIDUS_F_EQ: return eq_set(p, f, nd.val);
    case NIDUS_F_IN: {
        rowset acc = EMPTY;
        for (size_t k = 0; k < nd.nset; k++) {
            acc = capped(p, set_union(acc, eq_set(p, f, &nd.set[k])));
            if (acc.all) return ALL;
        }
        return acc;
    }
    case NIDUS_F_GLOB: {
        if (nd.lit) { /* no wildcard: a byte compare */
            fkey k = {K_STR, nd.text.ptr, nd.text.len};
            return key_set(p, f, &k);
        }
        /* The dialect has no escapes and is anchored: a match starts with the
         * bytes before the first metacharacter. */
        size_t n = strcspn(nd.text.ptr, "*?[");
        return n ? prefix_set(p, f, nd.text.ptr, n) : ALL;
    }
    case NIDUS_F_CONTAINS: {
        if (nd.val->type != NIDUS_STR) return EMPTY;
        fkey k = {K_ELEM, nd.val->v.str.ptr, nd.val->v.str.len};
        return key_set(p, f, &k);
    }
    case NIDUS_F_CONTAINS_ANY: {
        rowset acc = EMPTY;
        for (size_t k = 0; k < nd.nset; k++) {
            if (nd.set[k].type != NIDUS_STR) continue;
            fkey key = {K_ELEM, nd.set[k].v.str.ptr, nd.set[k].v.str.len};
            acc = capped(p, set_union(acc, key_set(p, f, &key)));
            if (acc.all) return ALL;
        }
        return acc;
    }
    case NIDUS_F_LT:
    case NIDUS_F_LE:
    case NIDUS_F_GT:
    case NIDUS_F_GE: return range_set(p, f, nd.op, nd.val);
    case NIDUS_F_CONTAINS_ALL_TOKENS:
    case NIDUS_F_CONTAINS_TOKEN_SEQUENCE: return tokens_set(p, f, nd.toks, false);
    case NIDUS_F_CONTAINS_ANY_TOKEN: return tokens_set(p, f, nd.toks, true);
    default: return ALL; /* Ne, NotIn, NotContains, IGlob, wildcard Glob, Fuzzy, Regex */
    }
}

/* Allocations a narrowed search keeps until it ends, chained. */
typedef struct memblk {
    struct memblk *next;
} memblk;

void nidus__findex_release(void *mem) {
    for (memblk *b = mem; b;) {
        memblk *n = b->next;
        nidus__free(b);
        b = n;
    }
}

/* First position in row[lo, n) holding a row >= r (galloping from lo). */
static size_t gallop(const uint64_t *row, size_t lo, size_t n, uint64_t r) {
    size_t step = 1, hi = lo;
    while (hi < n && row[hi] < r) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > n) hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row[mid] < r) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

bool nidus__findex_narrow_coll(ncoll *c, const nscan *order, const nfilter *f, nscan *out, void **mem) {
    nfindex *fx = c->fx;
    if (!fx || !f || !order->idx || nidus__filter_nodes(f) == 0) return false;
    pthread_mutex_lock(&fx->mu);
    if (!fx->built || stale(fx, c)) {
        nerr ignored;
        (void)nidus__findex_build(fx, c, &ignored); /* failing: scan every doc */
    }
    rowset s = ALL;
    if (fx->built) {
        plan_ctx p = {f, fx, order->n / MAX_SHARE + MIN_LIMIT};
        s = plan_node(&p, 0);
    }
    pthread_mutex_unlock(&fx->mu);
    if (s.all) return false;
    /* The candidates' live docs, in scan order: a row that no longer belongs to a
     * doc (overwritten, deleted) is not in it. Two passes: count, then fill. */
    size_t cnt = 0, j = 0;
    for (size_t i = 0; i < s.n && j < order->n; i++) {
        j = gallop(order->row, j, order->n, s.v[i]);
        for (size_t x = j; x < order->n && order->row[x] == s.v[i]; x++) cnt++;
    }
    memblk *b = nidus__malloc(sizeof *b + (cnt ? cnt : 1) * (sizeof(uint64_t) + sizeof(uint32_t)));
    if (!b) {
        set_free(&s);
        return false;
    }
    uint64_t *row = (uint64_t *)(b + 1);
    uint32_t *idx = (uint32_t *)(row + (cnt ? cnt : 1));
    size_t n = 0;
    j = 0;
    for (size_t i = 0; i < s.n && j < order->n; i++) {
        j = gallop(order->row, j, order->n, s.v[i]);
        for (; j < order->n && order->row[j] == s.v[i]; j++) {
            row[n] = order->row[j];
            idx[n++] = order->idx[j];
        }
    }
    set_free(&s);
    b->next = *mem;
    *mem = b;
    *out = (nscan){idx, row, n};
    return true;
}

nscan nidus__findex_walk(ncoll *c, const nfilter *f, void **mem) {
    *mem = NULL;
    nscan order = nidus__scan_order(c), cand;
    return nidus__findex_narrow_coll(c, &order, f, &cand, mem) ? cand : order;
}

void nidus__findex_narrow(const nfilter *f, ncoll *const *scope, nscan *orders, size_t n, size_t *total, void **mem) {
    if (!f) return;
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        nscan o;
        if (nidus__findex_narrow_coll(scope[i], &orders[i], f, &o, mem)) orders[i] = o;
        t += orders[i].n;
    }
    *total = t;
}

/* aggregate.c — nidus_aggregate: count and typed sums over the records of a scope
 * matching a filter, optionally one row per distinct value of an attribute, in
 * one pass over the index (no vector is read). nidus 0.80's rules throughout:
 * Int addends are summed exactly (128 bits, so no run of int64s wraps) and stay
 * Int while the total fits; a Float addend, or an Int total past int64, makes the
 * total a Float; other types are skipped. Groups are told apart, and tied groups
 * ordered, by nidus's collision-free group key (a type letter and the value's
 * text), largest group first. */
#include "findex.h"
#include "result.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void nidus_aggregate_opts_init(nidus_aggregate_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->max_groups = NIDUS_MAX_GROUPS;
}

/* ---------------------------------------------------------------- sums ---- */

/* One field's running total: the Int addends as a 128-bit two's-complement
 * integer (hi:lo), the Float addends in a double, and whether any Float came. */
typedef struct nacc {
    uint64_t lo, hi;
    double f;
    bool saw_float;
} nacc;

static void acc_add(nacc *a, const nidus_value *v) {
    if (!v) return;
    if (v->type == NIDUS_INT) {
        uint64_t lo = a->lo + (uint64_t)v->v.i;
        a->hi += (uint64_t)(lo < a->lo) + (v->v.i < 0 ? UINT64_MAX : 0);
        a->lo = lo;
    } else if (v->type == NIDUS_FLOAT) {
        a->f += v->v.f;
        a->saw_float = true;
    }
}

/* A non-negative 128-bit integer as the nearest double (ties to even, as Rust's
 * `as f64`): the top 64 bits with the rest folded into a sticky low bit round
 * exactly as the whole would. */
static double u128_to_double(uint64_t hi, uint64_t lo) {
    if (!hi) return (double)lo;
    int s = 64 - __builtin_clzll(hi); /* 1..64: bits of hi */
    uint64_t m, rest;
    if (s == 64) {
        m = hi;
        rest = lo;
    } else {
        m = hi << (64 - s) | lo >> s;
        rest = lo & (((uint64_t)1 << s) - 1);
    }
    return ldexp((double)(m | (rest != 0)), s);
}

static double i128_to_double(uint64_t hi, uint64_t lo) {
    if (!(hi >> 63)) return u128_to_double(hi, lo);
    uint64_t nlo = ~lo + 1, nhi = ~hi + (nlo == 0);
    return -u128_to_double(nhi, nlo);
}

/* nidus's finish: Float if a Float was added (the Int part rounded, plus the
 * Floats), else Int if the total fits int64, else the total as a Float. */
static nidus_value acc_total(const nacc *a) {
    if (a->saw_float) return nidus_float(i128_to_double(a->hi, a->lo) + a->f);
    if (a->hi == 0 && a->lo <= (uint64_t)INT64_MAX) return nidus_int((int64_t)a->lo);
    if (a->hi == UINT64_MAX && a->lo > (uint64_t)INT64_MAX) return nidus_int(-(int64_t)~a->lo - 1);
    return nidus_float(i128_to_double(a->hi, a->lo));
}

/* -------------------------------------------------------------- groups ---- */

/* Append to a byte buffer (nidus__buf_reserve grows it). */
static bool buf_put(nbuf *b, const void *s, size_t len) {
    if (nidus__buf_reserve(b, len)) return false;
    if (len) memcpy(b->p + b->len, s, len);
    b->len += len;
    return true;
}

/* nidus's group_key(v) into b (b->len reset first): "\0missing", "\0null",
 * "s<str>", "i<decimal>", "b<true|false>", "f<16 hex digits of the bits>",
 * "t<decimal>", "l<items joined by \0>". The type letter keeps Int(1) and Str("1")
 * apart; as in nidus, List([]) and List([""]) share the key "l". */
static bool group_key(nbuf *b, const nidus_value *v) {
    char num[32];
    b->len = 0;
    if (!v) return buf_put(b, "\0missing", 8);
    switch (v->type) {
    case NIDUS_NULL: return buf_put(b, "\0null", 5);
    case NIDUS_STR: return buf_put(b, "s", 1) && buf_put(b, v->v.str.ptr, v->v.str.len);
    case NIDUS_INT: return buf_put(b, num, (size_t)snprintf(num, sizeof num, "i%" PRId64, v->v.i));
    case NIDUS_BOOL: return v->v.b ? buf_put(b, "btrue", 5) : buf_put(b, "bfalse", 6);
    case NIDUS_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->v.f, sizeof bits);
        return buf_put(b, num, (size_t)snprintf(num, sizeof num, "f%016" PRIx64, bits));
    }
    case NIDUS_DATETIME: return buf_put(b, num, (size_t)snprintf(num, sizeof num, "t%" PRId64, v->v.i));
    case NIDUS_LIST:
        if (!buf_put(b, "l", 1)) return false;
        for (size_t i = 0; i < v->v.list.count; i++)
            if ((i && !buf_put(b, "", 1)) || !buf_put(b, v->v.list.items[i].ptr, v->v.list.items[i].len))
                return false;
        return true;
    }
    return buf_put(b, "?", 1); /* no other type is ever stored */
}

static uint64_t key_hash(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211u;
    return h;
}

typedef struct ngroup {
    size_t key, klen;           /* its key in agg.keys */
    uint64_t hash;
    const nidus_value *value;   /* its first record's (NULL: missing) */
    uint64_t count;
} ngroup;

/* One aggregation in progress; released by agg_free. */
typedef struct agg {
    const nidus_aggregate_opts *opts;
    const char **fields; /* the sum fields, sorted, distinct */
    size_t *flen;
    size_t nf;
    uint64_t count;
    nacc *total;         /* nf */
    ngroup *g;           /* ng groups; their sums at gacc[i * nf] */
    nacc *gacc;
    size_t ng, gcap;
    uint32_t *slots;     /* open addressing: group index + 1, 0 = empty */
    size_t nslots;
    nbuf keys, scratch;
    bool truncated;
} agg;

static void agg_free(agg *a) {
    nidus__free(a->fields);
    nidus__free(a->flen);
    nidus__free(a->total);
    nidus__free(a->g);
    nidus__free(a->gacc);
    nidus__free(a->slots);
    nidus__buf_free(&a->keys);
    nidus__buf_free(&a->scratch);
}

static void add_sums(const agg *a, nacc *acc, const nattrs *attrs) {
    for (size_t i = 0; i < a->nf; i++) acc_add(&acc[i], nidus__attrs_get(attrs, a->fields[i], a->flen[i]));
}

/* Room for one more group: the arrays, and the table kept at most half full. */
static bool group_room(agg *a) {
    if (a->ng == a->gcap) {
        size_t cap = a->gcap ? a->gcap * 2 : 16;
        ngroup *g = nidus__reallocarray(a->g, cap, sizeof *g);
        if (!g) return false;
        a->g = g;
        nacc *acc = nidus__reallocarray(a->gacc, cap, (a->nf ? a->nf : 1) * sizeof *acc);
        if (!acc) return false;
        a->gacc = acc;
        a->gcap = cap;
    }
    if ((a->ng + 1) * 2 > a->nslots) {
        size_t ns = a->nslots ? a->nslots * 2 : 64;
        uint32_t *s = nidus__calloc(ns, sizeof *s);
        if (!s) return false;
        for (size_t i = 0; i < a->ng; i++) {
            size_t at = a->g[i].hash & (ns - 1);
            while (s[at]) at = (at + 1) & (ns - 1);
            s[at] = (uint32_t)(i + 1);
        }
        nidus__free(a->slots);
        a->slots = s;
        a->nslots = ns;
    }
    return true;
}

/* The group of value v: found, created (while under the cap), or none (past it:
 * truncated). *acc receives its sums, NULL when it has none. */
static int group_of(agg *a, const nidus_value *v, ngroup **out, nacc **acc, nerr *e) {
    *out = NULL;
    *acc = NULL;
    if (!group_key(&a->scratch, v)) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory grouping");
    const uint8_t *k = a->scratch.p;
    size_t klen = a->scratch.len;
    uint64_t h = key_hash(k, klen);
    size_t at = a->nslots ? h & (a->nslots - 1) : 0;
    for (; a->nslots && a->slots[at]; at = (at + 1) & (a->nslots - 1)) {
        ngroup *g = &a->g[a->slots[at] - 1];
        if (g->hash == h && g->klen == klen && memcmp(a->keys.p + g->key, k, klen) == 0) {
            *out = g;
            *acc = a->gacc + (size_t)(g - a->g) * a->nf;
            return NIDUS_OK;
        }
    }
    if (a->ng >= a->opts->max_groups || a->ng >= UINT32_MAX - 1) {
        a->truncated = true; /* a new value past the cap: dropped; tracked ones stay exact */
        return NIDUS_OK;
    }
    if (!group_room(a) || nidus__buf_reserve(&a->keys, klen))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory grouping");
    at = h & (a->nslots - 1);
    while (a->slots[at]) at = (at + 1) & (a->nslots - 1);
    ngroup *g = &a->g[a->ng];
    *g = (ngroup){a->keys.len, klen, h, v, 0};
    buf_put(&a->keys, k, klen); /* room reserved above */
    nacc *ga = a->gacc + a->ng * a->nf;
    for (size_t i = 0; i < a->nf; i++) ga[i] = (nacc){0, 0, 0.0, false};
    a->slots[at] = (uint32_t)(++a->ng);
    *out = g;
    *acc = ga;
    return NIDUS_OK;
}

/* Groups in nidus's order: count descending, then key bytewise. qsort takes no
 * context, so each element carries its key. */
typedef struct gsort {
    const ngroup *g;
    const uint8_t *key;
} gsort;

static int by_size(const void *pa, const void *pb) {
    const gsort *a = pa, *b = pb;
    if (a->g->count != b->g->count) return a->g->count > b->g->count ? -1 : 1;
    return nidus__str_cmp((const char *)a->key, a->g->klen, (const char *)b->key, b->g->klen);
}

/* --------------------------------------------------------------- phases ---- */

static int cmp_cstr(const void *pa, const void *pb) {
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The sum fields: checked, sorted and made distinct (nidus reports a map). */
static int prepare_fields(agg *a, nerr *e) {
    const nidus_aggregate_opts *o = a->opts;
    if (o->n_sum && !o->sum) return nidus__err(e, NIDUS_EINVAL, 0, "sum is NULL but n_sum is %zu", o->n_sum);
    for (size_t i = 0; i < o->n_sum; i++)
        if (!nidus__utf8_cstr(o->sum[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "sum[%zu] is %s", i, o->sum[i] ? "not valid UTF-8" : "NULL");
    size_t n = o->n_sum;
    if (!(a->fields = nidus__mallocarray(n ? n : 1, sizeof *a->fields)) ||
        !(a->flen = nidus__mallocarray(n ? n : 1, sizeof *a->flen)) ||
        !(a->total = nidus__mallocarray(n ? n : 1, sizeof *a->total)))
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    if (n) memcpy(a->fields, o->sum, n * sizeof *a->fields);
    qsort(a->fields, n, sizeof *a->fields, cmp_cstr);
    for (size_t i = 0; i < n; i++)
        if (!a->nf || strcmp(a->fields[a->nf - 1], a->fields[i]) != 0) a->fields[a->nf++] = a->fields[i];
    for (size_t i = 0; i < a->nf; i++) {
        a->flen[i] = strlen(a->fields[i]);
        a->total[i] = (nacc){0, 0, 0.0, false};
    }
    return NIDUS_OK;
}

/* One pass: each collection of the scope in row order, every matching record
 * counted and summed, into the totals and (group_by) its group. */
static int accumulate(agg *a, ncoll *const *scope, size_t nscope, const nfilter *f, nerr *e) {
    const char *gb = a->opts->group_by;
    size_t gblen = gb ? strlen(gb) : 0;
    for (size_t s = 0; s < nscope; s++) {
        ncoll *c = scope[s];
        /* Row order, with or without the filter index's candidates: doc order would
         * change Float rounding and which values get groups. */
        void *mem;
        nscan order = nidus__findex_walk(c, f, &mem);
        if (c->n && !order.idx) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory ordering `%s`", c->name.ptr);
        for (size_t j = 0; j < order.n; j++) {
            const ndoc *d = &c->docs[order.idx[j]];
            if (!nidus__filter_match(f, &d->attrs)) continue;
            a->count++;
            add_sums(a, a->total, &d->attrs);
            if (!gb) continue;
            ngroup *g;
            nacc *acc;
            int rc = group_of(a, nidus__attrs_get(&d->attrs, gb, gblen), &g, &acc, e);
            if (rc) {
                nidus__findex_release(mem);
                return rc;
            }
            if (!g) continue;
            g->count++;
            add_sums(a, acc, &d->attrs);
        }
        nidus__findex_release(mem);
    }
    return NIDUS_OK;
}

/* The totals and the groups, ordered, as result.c lays them out. */
static int finish(const agg *a, nidus_aggregation **out, nerr *e) {
    size_t nf = a->nf, ng = a->ng;
    nidus_value *vals = nidus__mallocarray((ng + 1) * (nf ? nf : 1), sizeof *vals);
    gsort *order = nidus__mallocarray(ng ? ng : 1, sizeof *order);
    nagg_group *groups = nidus__mallocarray(ng ? ng : 1, sizeof *groups);
    int rc = NIDUS_OK;
    if (!vals || !order || !groups) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    } else {
        for (size_t i = 0; i < nf; i++) vals[i] = acc_total(&a->total[i]);
        for (size_t i = 0; i < ng; i++) order[i] = (gsort){&a->g[i], a->keys.p + a->g[i].key};
        qsort(order, ng, sizeof *order, by_size);
        for (size_t i = 0; i < ng; i++) {
            const ngroup *g = order[i].g;
            const nacc *acc = a->gacc + (size_t)(g - a->g) * nf;
            nidus_value *gv = vals + (i + 1) * nf;
            for (size_t x = 0; x < nf; x++) gv[x] = acc_total(&acc[x]);
            groups[i] = (nagg_group){g->value, g->count, gv};
        }
        nagg_out res = {a->count, a->fields, nf, vals, groups, ng, a->truncated};
        if (!(*out = nidus__result_aggregation(&res))) rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    }
    nidus__free(vals);
    nidus__free(order);
    nidus__free(groups);
    return rc;
}

static int aggregate(nidus_db *db, const nidus_aggregate_opts *opts, nidus_aggregation **out, nerr *e) {
    agg a = {.opts = opts};
    nfilter *f = NULL;
    ncoll **scope = NULL;
    size_t nscope = 0;
    int rc = NIDUS_OK;
    if (opts->group_by && !*opts->group_by)
        rc = nidus__err(e, NIDUS_EINVAL, 0, "invalid query option: group_by needs a field name");
    else if (opts->group_by && !nidus__utf8_cstr(opts->group_by))
        rc = nidus__err(e, NIDUS_EINVAL, 0, "group_by is not valid UTF-8");
    else if (!opts->max_groups)
        rc = nidus__err(e, NIDUS_EINVAL, 0, "max_groups is 0; it must be at least 1");
    if (!rc) rc = prepare_fields(&a, e);
    if (!rc) rc = nidus__filter_compile_tree(NULL, 0, opts->where, &f, e);
    if (!rc) rc = nidus__scope_resolve(db, opts->collections, opts->n_collections, &scope, &nscope, e);
    if (!rc) rc = accumulate(&a, scope, nscope, f, e);
    if (!rc) rc = finish(&a, out, e);
    nidus__free(scope);
    nidus__filter_free(f);
    agg_free(&a);
    return rc;
}

/* NULL means the defaults; only this header's struct (the first version). */
int nidus_aggregate(nidus_db *db, const nidus_aggregate_opts *opts, nidus_aggregation **out) {
    nidus_aggregate_opts defaults;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    if (!opts) {
        nidus_aggregate_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->struct_size != sizeof *opts) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nerr e = {0};
    rc = aggregate(db, opts, out, &e);
    nidus__leave(db);
    return rc ? nidus__set_error(db, &e) : NIDUS_OK;
}

/* coll.c — collections and their documents in memory: the sorted collection list,
 * each collection's doc array and id table, the doc blobs in its arena, and the
 * scan order. Nothing here touches the handle or a file; a call that kills a row
 * says so and the caller counts it. */
#include "coll.h"
#include "findex.h"

#include <stdlib.h>

/* -------------------------------------------------------------- id table ---- */

/* The id hash, for this process's tables only (never stored): eight bytes per
 * multiply (byte order does not matter), the length mixed in, then splitmix64's
 * finalizer so the low bits the table uses depend on every input bit. Replay
 * hashes every id of the log, so byte-at-a-time FNV-1a showed in its profile. */
uint32_t nidus__id_hash(const char *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    if (i < n) { /* the last 1-7 bytes, without a variable-length memcpy */
        uint64_t w = 0;
        if (n >= 8) {
            memcpy(&w, p + n - 8, 8); /* overlapping the previous word */
        } else {
            size_t k = n;
            if (k & 4) {
                uint32_t x;
                memcpy(&x, p + k - 4, 4);
                w = x;
            }
            if (k & 2) {
                uint16_t x;
                memcpy(&x, p + (k & 1), 2);
                w = w << 16 | x;
            }
            if (k & 1) w = w << 8 | (uint8_t)p[0];
        }
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return (uint32_t)h;
}

/* A slot is 0 (empty) or (hash32 << 32 | doc index + 1). Keeping the hash in the
 * slot means a probe touches a doc only on a full hash match, and growing the
 * table never touches docs at all — at a million ids that is the difference
 * between one cache miss per lookup and three. */
#define SLOT(tag, idx) ((uint64_t)(tag) << 32 | ((uint64_t)(idx) + 1))
#define SLOT_TAG(s) ((uint32_t)((s) >> 32))
#define SLOT_IDX(s) ((size_t)(uint32_t)(s) - 1)

/* Slot holding doc `id` (hash `tag`), or the empty slot where it would go. */
static size_t slot_find(const ncoll *c, const char *id, size_t len, uint32_t tag) {
    size_t mask = c->nslots - 1, i = tag & mask;
    for (;;) {
        uint64_t s = c->slots[i];
        if (s == 0) return i;
        if (SLOT_TAG(s) == tag) {
            const ndoc *d = &c->docs[SLOT_IDX(s)];
            if (d->id.len == len && memcmp(d->id.ptr, id, len) == 0) return i;
        }
        i = (i + 1) & mask;
    }
}

ndoc *nidus__doc_find(const ncoll *c, const char *id, size_t len) {
    if (c->nslots == 0) return NULL;
    uint64_t s = c->slots[slot_find(c, id, len, nidus__id_hash(id, len))];
    return s ? &c->docs[SLOT_IDX(s)] : NULL;
}

/* Load factor <= 1/2. */
int nidus__coll_reserve(ncoll *c, size_t extra, nerr *e) {
    size_t need = c->n + extra;
    if (need < c->n || need > NIDUS__MAX_DOCS)
        return nidus__err(e, NIDUS_ENOMEM, 0, "a collection holds at most %zu records", NIDUS__MAX_DOCS);
    if (need > c->cap) {
        size_t cap = c->cap ? c->cap : 8;
        while (cap < need) cap *= 2;
        ndoc *d = nidus__reallocarray(c->docs, cap, sizeof *d);
        if (!d) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving capacity for %zu docs", need);
        c->docs = d;
        nidus__hint_huge(d, cap * sizeof *d);
        uint32_t *sc = nidus__reallocarray(c->scan, cap, sizeof *sc);
        if (!sc) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving capacity for %zu docs", need);
        c->scan = sc;
        uint64_t *sr = nidus__reallocarray(c->scan_row, cap, sizeof *sr);
        if (!sr) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reserving capacity for %zu docs", need);
        c->scan_row = sr;
        nidus__hint_huge(sr, cap * sizeof *sr);
        c->cap = cap;
    }
    if (need * 2 > c->nslots) {
        size_t ns = c->nslots ? c->nslots : 16;
        while (ns < need * 2) ns *= 2;
        /* malloc + memset, not calloc: calloc's fresh pages are the shared zero page
         * until written, and the copy-on-write of each one flushes the TLB of every
         * core running this process (the row readers, during open): an IPI per 4 KiB. */
        uint64_t *slots = nidus__mallocarray(ns, sizeof *slots);
        if (!slots) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory growing the id table to %zu slots", ns);
        nidus__hint_huge(slots, ns * sizeof *slots);
        memset(slots, 0, ns * sizeof *slots);
        for (size_t i = 0; i < c->nslots; i++) {
            uint64_t s = c->slots[i];
            if (!s) continue;
            size_t j = SLOT_TAG(s) & (ns - 1);
            while (slots[j]) j = (j + 1) & (ns - 1);
            slots[j] = s;
        }
        nidus__free(c->slots);
        c->slots = slots;
        c->nslots = ns;
    }
    return NIDUS_OK;
}

/* ------------------------------------------------------------- doc blobs ---- */

/* A doc's id and attributes are one blob in its collection's arena (c->strs):
 *
 *   [nattr items[n]] [nidus_str arrays of its List values] [id NUL] [keys and
 *   string values, each NUL-terminated]
 *
 * rounded up to 8 bytes. Replay copies straight from the log's bytes into it, so a
 * doc costs no malloc of its own (a million of them were a million mallocs at
 * open, and as many frees at close). A blob is never freed alone: an overwrite or
 * delete marks the arena (c->dead_blobs), and compaction rebuilds it. */
size_t nidus__blob_size(size_t idlen, const nattrs *a) {
    size_t n = idlen;
    nidus__add_sat(&n, 1);
    for (size_t k = 0; k < a->n; k++) {
        const nattr *at = &a->items[k];
        nidus__add_sat(&n, sizeof(nattr));
        nidus__add_sat(&n, at->key.len);
        nidus__add_sat(&n, 1);
        if (at->val.type == NIDUS_STR) {
            nidus__add_sat(&n, at->val.v.str.len);
            nidus__add_sat(&n, 1);
        } else if (at->val.type == NIDUS_LIST) {
            for (size_t i = 0; i < at->val.v.list.count; i++) {
                nidus__add_sat(&n, sizeof(nidus_str));
                nidus__add_sat(&n, at->val.v.list.items[i].len);
                nidus__add_sat(&n, 1);
            }
        }
    }
    nidus__add_sat(&n, 7);
    return n & ~(size_t)7;
}

static char *put_str(char *s, const char *src, size_t len, nidus_str *out) {
    if (len) memcpy(s, src, len);
    s[len] = 0;
    *out = (nidus_str){s, len};
    return s + len + 1;
}

/* Copy id and attrs (owned or views, lengths resolved) into blob, and point d's id
 * and attrs at the copy. */
static void blob_fill(void *blob, const char *id, size_t idlen, const nattrs *a, ndoc *d) {
    nattr *items = blob;
    nidus_str *lists = (nidus_str *)(items + a->n);
    size_t nlist = 0;
    for (size_t k = 0; k < a->n; k++)
        if (a->items[k].val.type == NIDUS_LIST) nlist += a->items[k].val.v.list.count;
    char *s = put_str((char *)(lists + nlist), id, idlen, &d->id);
    for (size_t k = 0; k < a->n; k++) {
        const nattr *src = &a->items[k];
        nattr *dst = &items[k];
        s = put_str(s, src->key.ptr, src->key.len, &dst->key);
        dst->val = src->val;
        if (src->val.type == NIDUS_STR) {
            s = put_str(s, src->val.v.str.ptr, src->val.v.str.len, &dst->val.v.str);
        } else if (src->val.type == NIDUS_LIST) {
            size_t cnt = src->val.v.list.count;
            for (size_t i = 0; i < cnt; i++)
                s = put_str(s, src->val.v.list.items[i].ptr, src->val.v.list.items[i].len, &lists[i]);
            dst->val.v.list.items = cnt ? lists : NULL;
            lists += cnt;
        }
    }
    d->attrs = (nattrs){a->n ? items : NULL, a->n};
}

static size_t doc_blob_size(const ndoc *d) { return nidus__blob_size(d->id.len, &d->attrs); }

size_t nidus__coll_live_bytes(const ncoll *c) {
    size_t bytes = 0;
    for (size_t j = 0; j < c->n; j++) nidus__add_sat(&bytes, doc_blob_size(&c->docs[j]));
    return bytes;
}

void nidus__coll_move_blobs(ncoll *c, narena *fresh) {
    for (size_t j = 0; j < c->n; j++) {
        ndoc *d = &c->docs[j];
        nattrs a = d->attrs;
        blob_fill(nidus__arena_take(fresh, doc_blob_size(d)), d->id.ptr, d->id.len, &a, d);
    }
    nidus__arena_free(&c->strs);
    c->strs = *fresh;
    *fresh = (narena){0};
    c->dead_blobs = false;
}

/* ------------------------------------------------------------- documents ---- */

bool nidus__doc_put(ncoll *c, nidus_str id, uint64_t row, const nattrs *attrs, uint32_t tag, size_t size) {
    size_t i = slot_find(c, id.ptr, id.len, tag);
    void *blob = nidus__arena_take(&c->strs, size);
    if (c->slots[i]) {
        ndoc *d = &c->docs[SLOT_IDX(c->slots[i])];
        c->dead_blobs = true;
        blob_fill(blob, id.ptr, id.len, attrs, d);
        d->row = row;
        atomic_store(&c->scan_ok, false);
        return true;
    }
    NIDUS__ASSERT(c->n < c->cap); /* nidus__coll_reserve came first */
    ndoc *d = &c->docs[c->n];
    blob_fill(blob, id.ptr, id.len, attrs, d);
    d->row = row;
    if (atomic_load(&c->scan_ok)) {
        if (c->n == 0 || c->scan_row[c->n - 1] < row) {
            c->scan[c->n] = (uint32_t)c->n;
            c->scan_row[c->n] = row;
        } else {
            atomic_store(&c->scan_ok, false);
        }
    }
    c->slots[i] = SLOT(tag, c->n);
    c->n++;
    return false;
}

/* Linear probing with backward-shift deletion. */
bool nidus__doc_del(ncoll *c, const char *id, size_t len) {
    if (c->nslots == 0) return false;
    size_t mask = c->nslots - 1, i = slot_find(c, id, len, nidus__id_hash(id, len));
    uint64_t s = c->slots[i];
    if (!s) return false;
    size_t idx = SLOT_IDX(s);
    c->dead_blobs = true; /* its blob stays until compaction */
    /* Close the gap in the probe sequence. */
    size_t j = i;
    for (;;) {
        c->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!c->slots[j]) goto shifted;
            size_t home = SLOT_TAG(c->slots[j]) & mask;
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
            break;
        }
        c->slots[i] = c->slots[j];
        i = j;
    }
shifted:;
    /* Keep the doc array dense: move the last doc into the hole. */
    size_t last = c->n - 1;
    if (idx != last) {
        c->docs[idx] = c->docs[last];
        const nidus_str *mid = &c->docs[idx].id;
        uint32_t tag = nidus__id_hash(mid->ptr, mid->len);
        c->slots[slot_find(c, mid->ptr, mid->len, tag)] = SLOT(tag, idx);
    }
    c->n--;
    atomic_store(&c->scan_ok, false);
    return true;
}

/* ------------------------------------------------------------ scan order ---- */

static int row_cmp(const void *a, const void *b) {
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

nscan nidus__scan_order(ncoll *c) {
    if (atomic_load_explicit(&c->scan_ok, memory_order_acquire)) return (nscan){c->scan, c->scan_row, c->n};
    pthread_mutex_lock(&c->scan_mu);
    if (!atomic_load(&c->scan_ok)) {
        /* (row, index) pairs sorted by row; rows are unique across the store. */
        uint64_t *pairs = nidus__mallocarray(c->n ? c->n : 1, 2 * sizeof(uint64_t));
        if (!pairs) {
            pthread_mutex_unlock(&c->scan_mu);
            return (nscan){NULL, NULL, c->n};
        }
        for (size_t i = 0; i < c->n; i++) {
            pairs[2 * i] = c->docs[i].row;
            pairs[2 * i + 1] = i;
        }
        qsort(pairs, c->n, 2 * sizeof(uint64_t), row_cmp);
        for (size_t i = 0; i < c->n; i++) {
            c->scan[i] = (uint32_t)pairs[2 * i + 1];
            c->scan_row[i] = pairs[2 * i];
        }
        nidus__free(pairs);
        atomic_store_explicit(&c->scan_ok, true, memory_order_release);
    }
    pthread_mutex_unlock(&c->scan_mu);
    return (nscan){c->scan, c->scan_row, c->n};
}

/* ----------------------------------------------------------- collections ---- */

void nidus__coll_free(ncoll *c) {
    if (!c) return;
    nidus__findex_free(c->fx);
    nidus__arena_free(&c->strs);
    nidus__free(c->docs);
    nidus__free(c->scan);
    nidus__free(c->scan_row);
    pthread_mutex_destroy(&c->scan_mu);
    nidus__free(c->slots);
    nidus__meta_free(&c->meta);
    nidus__free(c->name.ptr);
    nidus__free(c);
}

static ncoll *coll_new(const char *name, size_t len) {
    ncoll *c = nidus__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name.ptr = nidus__strndup(name, len);
    c->name.len = len;
    if (!c->name.ptr || pthread_mutex_init(&c->scan_mu, NULL) != 0) {
        nidus__free(c->name.ptr);
        nidus__free(c);
        return NULL;
    }
    atomic_init(&c->scan_ok, true);
    return c;
}

/* Index of the collection, or where it would be inserted (bytewise order). */
static size_t coll_pos(const ncolls *l, const char *name, size_t len, bool *found) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = nidus__str_cmp(l->v[mid]->name.ptr, l->v[mid]->name.len, name, len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

ncoll *nidus__coll_find(const ncolls *l, const char *name, size_t len) {
    bool found;
    size_t i = coll_pos(l, name, len, &found);
    return found ? l->v[i] : NULL;
}

static int colls_reserve(ncolls *l, size_t extra, nerr *e) {
    if (l->n + extra <= l->cap) return NIDUS_OK;
    size_t cap = l->cap ? l->cap * 2 : 8;
    while (cap < l->n + extra) cap *= 2;
    ncoll **p = nidus__reallocarray(l->v, cap, sizeof *p);
    if (!p) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory growing the collection list");
    l->v = p;
    l->cap = cap;
    return NIDUS_OK;
}

int nidus__coll_get(ncolls *l, const char *name, size_t len, ncoll **out, bool *fresh, const char *oom, nerr *e) {
    *fresh = false;
    if ((*out = nidus__coll_find(l, name, len))) return NIDUS_OK;
    int rc = colls_reserve(l, 1, e);
    if (rc) return rc;
    if (!(*out = coll_new(name, len))) return nidus__err(e, NIDUS_ENOMEM, 0, "%s", oom);
    *fresh = true;
    return NIDUS_OK;
}

void nidus__colls_insert(ncolls *l, ncoll *c) {
    bool found;
    size_t i = coll_pos(l, c->name.ptr, c->name.len, &found);
    NIDUS__ASSERT(!found && l->n < l->cap); /* nidus__coll_get reserved the place */
    memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof *l->v);
    l->v[i] = c;
    l->n++;
}

uint64_t nidus__colls_remove(ncolls *l, ncoll *c) {
    bool found;
    size_t i = coll_pos(l, c->name.ptr, c->name.len, &found);
    if (!found) return 0;
    uint64_t died = c->n;
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
    l->n--;
    nidus__coll_free(c);
    return died;
}

void nidus__colls_clear(ncolls *l) {
    for (size_t i = 0; i < l->n; i++) nidus__coll_free(l->v[i]);
    l->n = 0;
}

void nidus__colls_free(ncolls *l) {
    nidus__colls_clear(l);
    nidus__free(l->v);
    *l = (ncolls){0};
}

/* -------------------------------------------------------------- id order ---- */

static int id_cmp(const void *a, const void *b) {
    const ndoc *x = *(const ndoc *const *)a, *y = *(const ndoc *const *)b;
    return nidus__str_cmp(x->id.ptr, x->id.len, y->id.ptr, y->id.len);
}

ndoc **nidus__docs_by_id(const ncoll *c) {
    ndoc **v = nidus__mallocarray(c->n ? c->n : 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < c->n; i++) v[i] = &c->docs[i];
    qsort(v, c->n, sizeof *v, id_cmp);
    return v;
}

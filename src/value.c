/* value.c — strings (ordering, UTF-8) and attribute values: equality, deep copies
 * of caller input into owned, sorted attribute arrays, lookup and release; and the
 * same for collection metadata. */
#include "nidus_internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------- strings ---- */

int nidus__str_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static inline bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

bool nidus__utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (len && !s) return false;
    if (len < 8) { /* short ASCII (ids, names, keys): one pass, no branches per byte */
        unsigned char any = 0;
        for (size_t k = 0; k < len; k++) any |= p[k];
        if (!(any & 0x80)) return true;
    }
    while (i < len) {
        /* ASCII runs (ids, keys) eight bytes at a time. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i == len) break;
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* The second byte's range carries the strictness: it excludes overlongs
         * (E0, F0), surrogates (ED) and scalars above U+10FFFF (F4). */
        unsigned char lo = 0x80, hi = 0xBF;
        size_t need;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false; /* 80..C1 (continuation or overlong lead), F5..FF */
        }
        if (len - i - 1 < need) return false;
        if (p[i + 1] < lo || p[i + 1] > hi) return false;
        for (size_t k = 2; k <= need; k++)
            if (!is_cont(p[i + k])) return false;
        i += need + 1;
    }
    return true;
}

uint32_t nidus__utf8_next(const char *s, size_t len, size_t *i) {
    const unsigned char *p = (const unsigned char *)s;
    size_t at = *i;
    unsigned char c = p[at];
    if (c < 0x80) {
        *i = at + 1;
        return c;
    }
    size_t need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    bool ok = need && c < 0xF8 && len - at - 1 >= need;
    for (size_t k = 1; ok && k <= need; k++) ok = is_cont(p[at + k]);
    uint32_t cp = 0;
    if (ok) {
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        cp = c & (0x3Fu >> need);
        for (size_t k = 1; k <= need; k++) cp = (cp << 6) | (p[at + k] & 0x3Fu);
        ok = cp >= min_cp[need] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (!ok) {
        /* Malformed input despite the contract: step one byte and return a lone
         * surrogate (never a decoded scalar), so callers stay in bounds and a bad
         * byte only ever equals the same bad byte. */
        *i = at + 1;
        return 0xDC00u + c;
    }
    *i = at + need + 1;
    return cp;
}

/* -------------------------------------------------------------- values ---- */

bool nidus__value_eq(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR: {
        size_t la = nidus__in_len(a->v.str), lb = nidus__in_len(b->v.str);
        return la == lb && (la == 0 || memcmp(a->v.str.ptr, b->v.str.ptr, la) == 0);
    }
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return (a->v.b != 0) == (b->v.b != 0);
    case NIDUS_FLOAT: return a->v.f == b->v.f;
    case NIDUS_LIST: {
        size_t n = a->v.list.count;
        if (n != b->v.list.count) return false;
        for (size_t k = 0; k < n; k++) {
            nidus_str x = a->v.list.items[k], y = b->v.list.items[k];
            size_t lx = nidus__in_len(x), ly = nidus__in_len(y);
            if (lx != ly || (lx && memcmp(x.ptr, y.ptr, lx) != 0)) return false;
        }
        return true;
    }
    }
    return false;
}

void nidus__value_free(nidus_value *v) {
    if (!v) return;
    if (v->type == NIDUS_STR) {
        nidus__free_view(v->v.str.ptr);
    } else if (v->type == NIDUS_LIST) {
        for (size_t k = 0; k < v->v.list.count; k++) nidus__free_view(v->v.list.items[k].ptr);
        nidus__free_view(v->v.list.items);
    }
    /* Leave a Null behind so a second free is harmless. */
    v->type = NIDUS_NULL;
    v->v.i = 0;
}

void nidus__attrs_free(nattrs *a) {
    if (!a) return;
    for (size_t k = 0; k < a->n; k++) {
        nidus__free_view(a->items[k].key.ptr);
        nidus__value_free(&a->items[k].val);
    }
    nidus__free(a->items);
    a->items = NULL;
    a->n = 0;
}

/* Check one caller value without allocating; `key` (valid UTF-8) names it in the
 * message. */
static int value_check(const nidus_value *v, const char *key, nerr *e) {
    switch (v->type) {
    case NIDUS_NULL:
    case NIDUS_INT:
    case NIDUS_BOOL:
    case NIDUS_FLOAT:
    case NIDUS_DATETIME: return NIDUS_OK;
    case NIDUS_STR:
        if (!v->v.str.ptr)
            return nidus__err(e, NIDUS_EINVAL, 0, "key \"%.200s\": string value is NULL", key);
        if (!nidus__utf8_valid(v->v.str.ptr, nidus__in_len(v->v.str)))
            return nidus__err(e, NIDUS_EINVAL, 0,
                              "key \"%.200s\": string value is not valid UTF-8", key);
        return NIDUS_OK;
    case NIDUS_LIST:
        if (v->v.list.count && !v->v.list.items)
            return nidus__err(e, NIDUS_EINVAL, 0,
                              "key \"%.200s\": list has %zu items but a NULL array", key,
                              v->v.list.count);
        for (size_t k = 0; k < v->v.list.count; k++) {
            nidus_str it = v->v.list.items[k];
            if (!it.ptr)
                return nidus__err(e, NIDUS_EINVAL, 0, "key \"%.200s\": list item %zu is NULL",
                                  key, k);
            if (!nidus__utf8_valid(it.ptr, nidus__in_len(it)))
                return nidus__err(e, NIDUS_EINVAL, 0,
                                  "key \"%.200s\": list item %zu is not valid UTF-8", key, k);
        }
        return NIDUS_OK;
    }
    return nidus__err(e, NIDUS_EINVAL, 0, "key \"%.200s\": unknown value type %d", key,
                      (int)v->type);
}

/* Deep copy of a checked value. On failure *out is untouched and nothing leaks. */
static bool value_copy(const nidus_value *in, nidus_value *out) {
    nidus_value v = *in;
    if (in->type == NIDUS_NULL) {
        memset(&v.v, 0, sizeof v.v);
    } else if (in->type == NIDUS_BOOL) {
        v.v.b = in->v.b != 0;
    } else if (in->type == NIDUS_STR) {
        size_t len = nidus__in_len(in->v.str);
        char *p = nidus__strndup(in->v.str.ptr, len);
        if (!p) return false;
        v.v.str.ptr = p;
        v.v.str.len = len;
    } else if (in->type == NIDUS_LIST) {
        size_t n = in->v.list.count;
        nidus_str *items = NULL;
        if (n) {
            items = nidus__mallocarray(n, sizeof *items);
            if (!items) return false;
            for (size_t k = 0; k < n; k++) {
                size_t len = nidus__in_len(in->v.list.items[k]);
                char *p = nidus__strndup(in->v.list.items[k].ptr, len);
                if (!p) {
                    while (k--) nidus__free_view(items[k].ptr);
                    nidus__free(items);
                    return false;
                }
                items[k].ptr = p;
                items[k].len = len;
            }
        }
        v.v.list.items = items;
        v.v.list.count = n;
    }
    *out = v;
    return true;
}

/* Sort entry: the key with its input position, so equal keys keep input order and
 * the last of a run is the one given last. */
typedef struct sort_ent {
    const char *key;
    size_t len;
    size_t idx;
} sort_ent;

static int sort_ent_cmp(const void *pa, const void *pb) {
    const sort_ent *a = pa, *b = pb;
    int c = nidus__str_cmp(a->key, a->len, b->key, b->len);
    if (c) return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int nidus__attrs_from_input(const nidus_attr *in, size_t n, nattrs *out, nerr *e) {
    out->items = NULL;
    out->n = 0;
    if (n == 0) return NIDUS_OK;
    if (!in) return nidus__err(e, NIDUS_EINVAL, 0, "attributes: NULL array with %zu entries", n);

    /* Validate everything first, so a refusal needs no cleanup. */
    for (size_t k = 0; k < n; k++) {
        const char *key = in[k].key;
        if (!key) return nidus__err(e, NIDUS_EINVAL, 0, "attribute %zu: key is NULL", k);
        if (!nidus__utf8_valid(key, strlen(key)))
            return nidus__err(e, NIDUS_EINVAL, 0, "attribute %zu: key is not valid UTF-8", k);
        int rc = value_check(&in[k].value, key, e);
        if (rc) return rc;
    }

    sort_ent *ents = nidus__mallocarray(n, sizeof *ents);
    if (!ents) goto oom;
    for (size_t k = 0; k < n; k++) ents[k] = (sort_ent){in[k].key, strlen(in[k].key), k};
    qsort(ents, n, sizeof *ents, sort_ent_cmp);
    /* Compact to the last entry of each run of equal keys. */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (k + 1 < n && nidus__str_cmp(ents[k].key, ents[k].len, ents[k + 1].key,
                                        ents[k + 1].len) == 0)
            continue;
        ents[m++] = ents[k];
    }

    nattr *items = nidus__mallocarray(m, sizeof *items);
    if (!items) {
        nidus__free(ents);
        goto oom;
    }
    size_t done = 0;
    for (; done < m; done++) {
        const sort_ent *s = &ents[done];
        char *key = nidus__strndup(s->key, s->len);
        if (!key) break;
        if (!value_copy(&in[s->idx].value, &items[done].val)) {
            nidus__free(key);
            break;
        }
        items[done].key.ptr = key;
        items[done].key.len = s->len;
    }
    nidus__free(ents);
    if (done < m) {
        nattrs partial = {items, done};
        nidus__attrs_free(&partial);
        goto oom;
    }
    out->items = items;
    out->n = m;
    return NIDUS_OK;

oom:
    return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory copying attributes");
}

const nidus_value *nidus__attrs_get(const nattrs *a, const char *key, size_t klen) {
    if (!a || !a->n || !key) return NULL;
    if (klen == NIDUS_NTS) klen = strlen(key);
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const nattr *it = &a->items[mid];
        int c = nidus__str_cmp(it->key.ptr, it->key.len, key, klen);
        if (c == 0) return &it->val;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------------ meta ---- */

int nidus__meta_own(nmeta_kv *kv, size_t n, nmeta *out) {
    *out = (nmeta){kv, 0};
    for (size_t i = 0; i < n; i++, out->n++) {
        char *k = nidus__strndup(kv[i].key.ptr, kv[i].key.len);
        char *v = k ? nidus__strndup(kv[i].value.ptr, kv[i].value.len) : NULL;
        if (!v) {
            nidus__free(k);
            nidus__meta_free(out);
            *out = (nmeta){0};
            return NIDUS_ENOMEM;
        }
        kv[i].key.ptr = k;
        kv[i].value.ptr = v;
    }
    return NIDUS_OK;
}

static int meta_cmp(const void *a, const void *b) {
    const nmeta_kv *x = a, *y = b;
    int c = nidus__str_cmp(x->key.ptr, x->key.len, y->key.ptr, y->key.len);
    /* Equal keys keep input order, so the later one can win. */
    return c ? c : (x < y ? -1 : x > y);
}

int nidus__meta_from_input(const nidus_meta_entry *in, size_t n, nmeta *out, nerr *e) {
    *out = (nmeta){0};
    if (n == 0) return NIDUS_OK;
    if (!in) return nidus__err(e, NIDUS_EINVAL, 0, "meta entries are NULL");
    for (size_t i = 0; i < n; i++)
        if (!nidus__utf8_cstr(in[i].key) || !nidus__utf8_cstr(in[i].value))
            return nidus__err(e, NIDUS_EINVAL, 0, "meta entry %zu: key or value is NULL or not valid UTF-8", i);
    nmeta_kv *kv = nidus__mallocarray(n, sizeof *kv);
    if (!kv) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        kv[i].key = (nidus_str){in[i].key, strlen(in[i].key)};
        kv[i].value = (nidus_str){in[i].value, strlen(in[i].value)};
    }
    qsort(kv, n, sizeof *kv, meta_cmp);
    /* Keep the last of equal keys, then own the strings. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && kv[i].key.len == kv[i + 1].key.len && !memcmp(kv[i].key.ptr, kv[i + 1].key.ptr, kv[i].key.len))
            continue;
        kv[m++] = kv[i];
    }
    return nidus__meta_own(kv, m, out) ? nidus__err(e, NIDUS_ENOMEM, 0, "out of memory") : NIDUS_OK;
}

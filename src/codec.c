/* codec.c — log frames and the bincode-1 encoding of an operation.
 *
 * nidus 0.3 serialises its private Op enum with bincode 1.3's legacy settings:
 * little-endian fixed-width integers, u32 variant tags, u64 lengths and counts,
 * maps in key order. A frame is [u32 LE payload len][payload][u32 LE crc32(payload)].
 * Encoding must match byte for byte (compaction output is compared against nidus),
 * and decoding must never trust a length: every read is bounds-checked first, so a
 * corrupt or hostile log can cost at most its own size in memory.
 */
#include "nidus_internal.h"
#include "le.h"

#include <inttypes.h>

/* ---------------------------------------------------------------- buffer ---- */

int nidus__buf_reserve(nbuf *b, size_t extra) {
    /* No object may exceed PTRDIFF_MAX bytes (pointer differences would overflow). */
    if (extra > (size_t)PTRDIFF_MAX - b->len) return NIDUS_ENOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap) return NIDUS_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > (size_t)PTRDIFF_MAX / 2 ? need : cap * 2;
    uint8_t *p = nidus__realloc(b->p, cap);
    if (!p) return NIDUS_ENOMEM;
    b->p = p;
    b->cap = cap;
    return NIDUS_OK;
}

void nidus__buf_free(nbuf *b) {
    nidus__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* -------------------------------------------------------------- encoding ---- */

/* Encoding runs twice over the op: once to size the payload (so the frame is
 * reserved in one allocation and the u32 length limit is checked before any byte
 * is written), once to write. A NULL `out` means "count only". */
typedef struct wr {
    uint8_t *out;
    uint64_t n; /* bytes produced so far; u64 so sizing cannot wrap */
} wr;

static void w_bytes(wr *w, const void *src, size_t n) {
    if (w->out && n) memcpy(w->out + w->n, src, n);
    w->n += n;
}

static void w_u32(wr *w, uint32_t v) {
    uint8_t b[4];
    nidus__put_le32(b, v);
    w_bytes(w, b, 4);
}

static void w_u64(wr *w, uint64_t v) {
    uint8_t b[8];
    nidus__put_le64(b, v);
    w_bytes(w, b, 8);
}

static void w_str(wr *w, nidus_str s) {
    size_t len = nidus__in_len(s);
    w_u64(w, (uint64_t)len);
    w_bytes(w, s.ptr, len);
}

static int w_value(wr *w, const nidus_value *v) {
    switch (v->type) {
    case NIDUS_NULL: w_u32(w, 0); return NIDUS_OK;
    case NIDUS_STR: w_u32(w, 1); w_str(w, v->v.str); return NIDUS_OK;
    case NIDUS_INT: w_u32(w, 2); w_u64(w, (uint64_t)v->v.i); return NIDUS_OK;
    case NIDUS_BOOL: {
        uint8_t b = v->v.b != 0;
        w_u32(w, 3);
        w_bytes(w, &b, 1);
        return NIDUS_OK;
    }
    case NIDUS_LIST:
        w_u32(w, 4);
        w_u64(w, (uint64_t)v->v.list.count);
        for (size_t i = 0; i < v->v.list.count; i++) w_str(w, v->v.list.items[i]);
        return NIDUS_OK;
    case NIDUS_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->v.f, sizeof bits);
        w_u32(w, 5);
        w_u64(w, bits);
        return NIDUS_OK;
    }
    case NIDUS_DATETIME: w_u32(w, 6); w_u64(w, (uint64_t)v->v.i); return NIDUS_OK;
    }
    return NIDUS_EINVAL;
}

/* The payload of `op`. Maps are written in array order: nattrs and nmeta are kept
 * sorted and unique by contract, which is exactly bincode's BTreeMap order. */
static int w_op(wr *w, const nlogop *op, nerr *e) {
    w_u32(w, op->tag);
    switch (op->tag) {
    case NIDUS__OP_CREATE:
    case NIDUS__OP_DROP: w_str(w, op->coll); return NIDUS_OK;
    case NIDUS__OP_SETMETA:
        w_str(w, op->coll);
        w_u64(w, (uint64_t)op->meta.n);
        for (size_t i = 0; i < op->meta.n; i++) {
            w_str(w, op->meta.items[i].key);
            w_str(w, op->meta.items[i].value);
        }
        return NIDUS_OK;
    case NIDUS__OP_UPSERT:
        w_str(w, op->coll);
        w_str(w, op->id);
        w_u64(w, op->row);
        w_u64(w, (uint64_t)op->attrs.n);
        for (size_t i = 0; i < op->attrs.n; i++) {
            const nattr *a = &op->attrs.items[i];
            w_str(w, a->key);
            if (w_value(w, &a->val) != NIDUS_OK)
                return nidus__err(e, NIDUS_EINVAL, 0, "cannot encode unknown value type %d",
                                  (int)a->val.type);
        }
        return NIDUS_OK;
    case NIDUS__OP_DELETE:
        w_str(w, op->coll);
        w_str(w, op->id);
        return NIDUS_OK;
    case NIDUS__OP_SET_FILTER_INDEX: /* collection, Vec<FilterIndexField { field, tokens, trigrams }> */
        w_str(w, op->coll);
        w_u64(w, (uint64_t)op->nfields);
        for (size_t i = 0; i < op->nfields; i++) {
            uint8_t flags[2] = {op->fields[i].tokens != 0, op->fields[i].trigrams != 0};
            w_str(w, op->fields[i].name);
            w_bytes(w, flags, 2);
        }
        return NIDUS_OK;
    }
    return nidus__err(e, NIDUS_EINVAL, 0, "cannot encode unknown op tag %" PRIu32, op->tag);
}

int nidus__frame_append(nbuf *b, const nlogop *op, nerr *e) {
    wr sizer = {NULL, 0};
    int rc = w_op(&sizer, op, e);
    if (rc != NIDUS_OK) return rc;
    if (sizer.n > UINT32_MAX)
        return nidus__err(e, NIDUS_EINVAL, 0, "payload too large for u32 len");
    if (sizer.n > SIZE_MAX - 8) /* only reachable where size_t is 32 bits */
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory encoding a log frame");
    size_t plen = (size_t)sizer.n;
    if (nidus__buf_reserve(b, plen + 8) != NIDUS_OK)
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory encoding a %zu-byte log frame", plen + 8);
    uint8_t *frame = b->p + b->len;
    wr w = {frame + 4, 0};
    int wrc = w_op(&w, op, e); /* cannot fail: the sizing pass accepted the same op */
    NIDUS__ASSERT(wrc == NIDUS_OK && w.n == plen);
    (void)wrc;
    nidus__put_le32(frame, (uint32_t)plen);
    nidus__put_le32(frame + 4 + plen, nidus__crc32(frame + 4, plen));
    b->len += plen + 8;
    return NIDUS_OK;
}

/* -------------------------------------------------------------- decoding ---- */

typedef struct rd {
    const uint8_t *p;
    size_t len, pos;
    nerr *e;
    narena *view; /* NULL: owned copies; else views, arrays from this arena */
    bool unknown; /* the failure is a tag no nidus up to 0.80 writes (op >= 10, value > 6) */
} rd;

/* An array of n items for the op being decoded: owned, or from the view arena. */
static void *r_array(rd *r, size_t n, size_t size) {
    if (!r->view) return nidus__mallocarray(n, size);
    if (n > SIZE_MAX / size) return NULL;
    return nidus__arena_alloc(r->view, n * size);
}

static void r_array_free(rd *r, void *p) {
    if (!r->view) nidus__free(p);
}

static size_t r_left(const rd *r) { return r->len - r->pos; }

static int r_short(rd *r, size_t need) {
    nidus__err(r->e, NIDUS_ECORRUPT, 0, "unexpected end of payload: need %zu bytes at byte %zu, %zu left", need,
               r->pos, r_left(r));
    return NIDUS_ECORRUPT; /* (literally, so compilers see every path that reads the value set it) */
}

static int r_u32(rd *r, uint32_t *v) {
    if (r_left(r) < 4) return r_short(r, 4);
    *v = nidus__get_le32(r->p + r->pos);
    r->pos += 4;
    return NIDUS_OK;
}

static int r_u64(rd *r, uint64_t *v) {
    if (r_left(r) < 8) return r_short(r, 8);
    *v = nidus__get_le64(r->p + r->pos);
    r->pos += 8;
    return NIDUS_OK;
}

/* A u64 count of items each taking at least `min_size` bytes. Checked against the
 * bytes left before anything is allocated, so a forged count cannot make us
 * reserve more than the payload could possibly describe. */
static int r_count(rd *r, size_t min_size, const char *what, size_t *n) {
    size_t at = r->pos;
    uint64_t c;
    int rc = r_u64(r, &c);
    if (rc != NIDUS_OK) return rc;
    if (c > r_left(r) / min_size)
        return nidus__err(r->e, NIDUS_ECORRUPT, 0,
                          "%s count %" PRIu64 " at byte %zu exceeds the %zu bytes left", what, c,
                          at, r_left(r));
    *n = (size_t)c;
    return NIDUS_OK;
}

/* A length-prefixed UTF-8 string: an owned, NUL-terminated copy, or (view) the
 * bytes in place, not NUL-terminated. */
static int r_str(rd *r, nidus_str *out) {
    size_t at = r->pos;
    uint64_t n;
    int rc = r_u64(r, &n);
    if (rc != NIDUS_OK) return rc;
    if (n > r_left(r))
        return nidus__err(r->e, NIDUS_ECORRUPT, 0,
                          "string length %" PRIu64 " at byte %zu exceeds the %zu bytes left", n, at,
                          r_left(r));
    const char *s = (const char *)r->p + r->pos;
    if (!nidus__utf8_valid(s, (size_t)n))
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "invalid UTF-8 in string at byte %zu", at);
    if (r->view) {
        r->pos += (size_t)n;
        out->ptr = s;
        out->len = (size_t)n;
        return NIDUS_OK;
    }
    char *copy = nidus__strndup(s, (size_t)n);
    if (!copy) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    r->pos += (size_t)n;
    out->ptr = copy;
    out->len = (size_t)n;
    return NIDUS_OK;
}

static void str_free(nidus_str *s) {
    nidus__free_view(s->ptr);
    s->ptr = NULL;
    s->len = 0;
}

static void r_str_free(rd *r, nidus_str *s) {
    if (!r->view) str_free(s);
}

/* Decode one Value into *v (zeroed first). On failure nothing is left allocated. */
static int r_value(rd *r, nidus_value *v) {
    memset(v, 0, sizeof *v);
    size_t at = r->pos;
    uint32_t tag = 0;
    uint64_t x;
    int rc = r_u32(r, &tag);
    if (rc != NIDUS_OK) return rc;
    switch (tag) {
    case 0: v->type = NIDUS_NULL; return NIDUS_OK;
    case 1:
        v->type = NIDUS_STR;
        return r_str(r, &v->v.str);
    case 2:
    case 6:
        if ((rc = r_u64(r, &x)) != NIDUS_OK) return rc;
        v->type = tag == 2 ? NIDUS_INT : NIDUS_DATETIME;
        v->v.i = (int64_t)x; /* two's complement, as every supported host */
        return NIDUS_OK;
    case 3:
        if (r_left(r) < 1) return r_short(r, 1);
        if (r->p[r->pos] > 1)
            return nidus__err(r->e, NIDUS_ECORRUPT, 0, "invalid bool byte 0x%02x at byte %zu",
                              r->p[r->pos], r->pos);
        v->type = NIDUS_BOOL;
        v->v.b = r->p[r->pos++];
        return NIDUS_OK;
    case 4: {
        size_t n;
        if ((rc = r_count(r, 8, "list", &n)) != NIDUS_OK) return rc;
        nidus_str *items = NULL;
        if (n) {
            items = r_array(r, n, sizeof *items);
            if (!items) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
        }
        for (size_t i = 0; i < n; i++) {
            if ((rc = r_str(r, &items[i])) != NIDUS_OK) {
                while (i--) r_str_free(r, &items[i]);
                r_array_free(r, items);
                return rc;
            }
        }
        v->type = NIDUS_LIST;
        v->v.list.items = items;
        v->v.list.count = n;
        return NIDUS_OK;
    }
    case 5: {
        if ((rc = r_u64(r, &x)) != NIDUS_OK) return rc;
        v->type = NIDUS_FLOAT;
        memcpy(&v->v.f, &x, sizeof x);
        return NIDUS_OK;
    }
    default:
        r->unknown = true;
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown value tag %" PRIu32 " at byte %zu", tag,
                          at);
    }
}

/* --- map normalisation: any key order in, sorted unique (last wins) out ---- */

/* Both map item types (nattr, nmeta_kv) begin with their nidus_str key, so one
 * stable sort serves both. */
static int key_cmp(const void *a, const void *b) {
    const nidus_str *ka = a, *kb = b;
    return nidus__str_cmp(ka->ptr, ka->len, kb->ptr, kb->len);
}

/* Stable bottom-up merge sort of n items of `size` bytes, using tmp (n items).
 * Stability is what makes "last duplicate wins" a matter of keeping the last item
 * of each run of equal keys. */
static void stable_sort(uint8_t *base, uint8_t *tmp, size_t n, size_t size) {
    uint8_t *src = base, *dst = tmp;
    for (size_t width = 1; width < n; width = width > n / 2 ? n : width * 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                /* Take from the right only when strictly smaller: keeps stability. */
                if (key_cmp(src + j * size, src + i * size) < 0)
                    memcpy(dst + k++ * size, src + j++ * size, size);
                else
                    memcpy(dst + k++ * size, src + i++ * size, size);
            }
            /* At most one side has items left; they are already in order. */
            if (i < mid) memcpy(dst + k * size, src + i * size, (mid - i) * size);
            if (j < hi) memcpy(dst + k * size, src + j * size, (hi - j) * size);
        }
        uint8_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != base) memcpy(base, src, n * size);
}

/* Sort items by key and drop all but the last of equal keys (freeing them with
 * drop). nidus always writes sorted unique maps, so that case costs one pass and
 * no allocation. Returns the new count, or SIZE_MAX if the sort buffer could not
 * be allocated (items untouched). */
static size_t normalize_map(rd *r, void *items, size_t n, size_t size, void (*drop)(void *)) {
    uint8_t *base = items;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = key_cmp(base + (i - 1) * size, base + i * size) < 0;
    if (sorted) return n;
    uint8_t *tmp = r_array(r, n, size); /* a view decode takes it from its scratch arena */
    if (!tmp) return SIZE_MAX;
    stable_sort(base, tmp, n, size);
    r_array_free(r, tmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && key_cmp(base + i * size, base + (i + 1) * size) == 0) {
            drop(base + i * size);
            continue;
        }
        if (out != i) memcpy(base + out * size, base + i * size, size);
        out++;
    }
    return out;
}

static void drop_attr(void *p) {
    nattr *a = p;
    str_free(&a->key);
    nidus__value_free(&a->val);
}

static void drop_meta(void *p) {
    nmeta_kv *kv = p;
    str_free(&kv->key);
    str_free(&kv->value);
}

static void drop_view(void *p) { (void)p; /* views own nothing */ }

/* Map decoders fill *out incrementally (out->n counts complete entries), so the
 * caller's nidus__op_free releases a partial map on any error. */
static int r_attrs(rd *r, nattrs *out) {
    size_t n;
    /* Smallest entry: an empty key (8) and a Null value (4). */
    int rc = r_count(r, 12, "attribute map", &n);
    if (rc != NIDUS_OK) return rc;
    if (n == 0) return NIDUS_OK;
    out->items = r_array(r, n, sizeof *out->items);
    if (!out->items) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    for (size_t i = 0; i < n; i++) {
        nattr *a = &out->items[i];
        if ((rc = r_str(r, &a->key)) != NIDUS_OK) return rc;
        if ((rc = r_value(r, &a->val)) != NIDUS_OK) {
            r_str_free(r, &a->key);
            return rc;
        }
        out->n = i + 1;
    }
    size_t m = normalize_map(r, out->items, n, sizeof *out->items, r->view ? drop_view : drop_attr);
    if (m == SIZE_MAX) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    out->n = m;
    return NIDUS_OK;
}

static int r_meta(rd *r, nmeta *out) {
    size_t n;
    int rc = r_count(r, 16, "meta map", &n); /* two empty strings */
    if (rc != NIDUS_OK) return rc;
    if (n == 0) return NIDUS_OK;
    out->items = r_array(r, n, sizeof *out->items);
    if (!out->items) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    for (size_t i = 0; i < n; i++) {
        nmeta_kv *kv = &out->items[i];
        if ((rc = r_str(r, &kv->key)) != NIDUS_OK) return rc;
        if ((rc = r_str(r, &kv->value)) != NIDUS_OK) {
            r_str_free(r, &kv->key);
            return rc;
        }
        out->n = i + 1;
    }
    size_t m = normalize_map(r, out->items, n, sizeof *out->items, r->view ? drop_view : drop_meta);
    if (m == SIZE_MAX) return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    out->n = m;
    return NIDUS_OK;
}

/* ---- the ops of later versions (tags 5-9): their shape checked, never kept ---- */

/* nidus 0.80's Op variants after Delete, in tag order, and the first version that
 * writes each (docs/FORMAT.md §10.4). */
static const struct {
    const char *name, *version;
} LATER_OPS[5] = {
    {"UpsertText", "0.14"},   {"SetFtsSchema", "0.14"}, {"SetFtsFields", "0.52"},
    {"SetFilterIndex", "0.64"}, {"Reinforce", "0.79"},
};

const char *nidus__later_op_name(uint32_t tag, const char **version) {
    if (tag < 5 || tag > 9) return NULL;
    if (version) *version = LATER_OPS[tag - 5].version;
    return LATER_OPS[tag - 5].name;
}

/* Skipping over bincode without keeping anything (no allocation): strings are
 * bounds- and UTF-8-checked, bools and Option tags 0 or 1, as bincode 1 decodes. */
static int s_str(rd *r) {
    size_t at = r->pos;
    uint64_t n;
    int rc = r_u64(r, &n);
    if (rc != NIDUS_OK) return rc;
    if (n > r_left(r))
        return nidus__err(r->e, NIDUS_ECORRUPT, 0,
                          "string length %" PRIu64 " at byte %zu exceeds the %zu bytes left", n, at,
                          r_left(r));
    if (!nidus__utf8_valid((const char *)r->p + r->pos, (size_t)n))
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "invalid UTF-8 in string at byte %zu", at);
    r->pos += (size_t)n;
    return NIDUS_OK;
}

static int s_fixed(rd *r, size_t n) {
    if (r_left(r) < n) return r_short(r, n);
    r->pos += n;
    return NIDUS_OK;
}

/* A bool, or an Option's tag (then *some says which). */
static int s_bool(rd *r, bool *some) {
    if (r_left(r) < 1) return r_short(r, 1);
    uint8_t b = r->p[r->pos];
    if (b > 1) return nidus__err(r->e, NIDUS_ECORRUPT, 0, "invalid bool byte 0x%02x at byte %zu", b, r->pos);
    r->pos++;
    if (some) *some = b;
    return NIDUS_OK;
}

static int s_option_u64(rd *r) {
    bool some = false;
    int rc = s_bool(r, &some);
    return rc == NIDUS_OK && some ? s_fixed(r, 8) : rc;
}

/* Language: a u32 variant index; nidus 0.80 has one, English (0). */
static int s_language(rd *r) {
    size_t at = r->pos;
    uint32_t v;
    int rc = r_u32(r, &v);
    if (rc == NIDUS_OK && v != 0)
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown language %" PRIu32 " at byte %zu", v, at);
    return rc;
}

static int s_value(rd *r) {
    size_t at = r->pos;
    uint32_t tag;
    int rc = r_u32(r, &tag);
    if (rc != NIDUS_OK) return rc;
    switch (tag) {
    case 0: return NIDUS_OK;
    case 1: return s_str(r);
    case 2:
    case 5:
    case 6: return s_fixed(r, 8);
    case 3: return s_bool(r, NULL);
    case 4: {
        size_t n;
        if ((rc = r_count(r, 8, "list", &n)) != NIDUS_OK) return rc;
        for (size_t i = 0; i < n && rc == NIDUS_OK; i++) rc = s_str(r);
        return rc;
    }
    default:
        r->unknown = true;
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown value tag %" PRIu32 " at byte %zu", tag, at);
    }
}

/* The body of op `tag` (5-7, 9) after its collection name, as nidus 0.80 writes it
 * (op 8 is decoded for real: r_fx_fields). */
static int s_later_body(rd *r, uint32_t tag) {
    int rc;
    size_t n;
    switch (tag) {
    case 5: /* UpsertText { id, attrs: BTreeMap<String, Value> } */
        if ((rc = s_str(r)) != NIDUS_OK) return rc;
        if ((rc = r_count(r, 12, "attribute map", &n)) != NIDUS_OK) return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = s_str(r)) != NIDUS_OK || (rc = s_value(r)) != NIDUS_OK) return rc;
        return NIDUS_OK;
    case 6: /* SetFtsSchema { fields: Vec<(String, Language)> } */
        if ((rc = r_count(r, 12, "field list", &n)) != NIDUS_OK) return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = s_str(r)) != NIDUS_OK || (rc = s_language(r)) != NIDUS_OK) return rc;
        return NIDUS_OK;
    case 7: /* SetFtsFields { fields: Vec<FtsField { field, k1 f32, b f32, Analyzer {
             * language, ascii_folding bool, max_token_len Option<usize> } }> } */
        if ((rc = r_count(r, 22, "field list", &n)) != NIDUS_OK) return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = s_str(r)) != NIDUS_OK || (rc = s_fixed(r, 8)) != NIDUS_OK || (rc = s_language(r)) != NIDUS_OK ||
                (rc = s_bool(r, NULL)) != NIDUS_OK || (rc = s_option_u64(r)) != NIDUS_OK)
                return rc;
        return NIDUS_OK;
    default: /* 9: Reinforce { id, access_count i64, last_accessed i64, expires_at Option<i64> } */
        if ((rc = s_str(r)) != NIDUS_OK || (rc = s_fixed(r, 16)) != NIDUS_OK) return rc;
        return s_option_u64(r);
    }
}

/* A later version's op: NIDUS_EVERSION when it has that op's shape. When it does
 * not, it is no op any nidus writes, and it fails as nidus 0.3's decoder fails on it
 * ("unknown op tag N"), so a log treats it as any undecodable frame; an unknown
 * value tag inside it keeps its own message (and r->unknown). */
static int r_later_op(rd *r, uint32_t tag) {
    int rc = s_str(r);
    if (rc == NIDUS_OK) rc = s_later_body(r, tag);
    if (rc == NIDUS_OK)
        return nidus__err(r->e, NIDUS_EVERSION, 0, "op %" PRIu32 " %s, which nidus %s and later write", tag,
                          LATER_OPS[tag - 5].name, LATER_OPS[tag - 5].version);
    if (r->unknown) return rc;
    return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown op tag %" PRIu32, tag);
}

/* SetFilterIndex's fields (nidus 0.64+): the field name, then the tokens and
 * trigrams bools. Filled incrementally (op->nfields counts whole entries), so
 * nidus__op_free releases a partial list. */
static int r_fx_fields(rd *r, nlogop *op) {
    size_t n;
    int rc = r_count(r, 10, "field list", &n); /* an empty name and two bools */
    if (rc != NIDUS_OK) return rc;
    if (n == 0) return NIDUS_OK;
    if (!(op->fields = r_array(r, n, sizeof *op->fields)))
        return nidus__err(r->e, NIDUS_ENOMEM, 0, "out of memory decoding a log record");
    for (size_t i = 0; i < n; i++) {
        nfx_field *f = &op->fields[i];
        if ((rc = r_str(r, &f->name)) != NIDUS_OK) return rc;
        bool t = false, g = false;
        if ((rc = s_bool(r, &t)) != NIDUS_OK || (rc = s_bool(r, &g)) != NIDUS_OK) {
            r_str_free(r, &f->name);
            return rc;
        }
        f->tokens = t;
        f->trigrams = g;
        op->nfields = i + 1;
    }
    return NIDUS_OK;
}

static int r_op(rd *r, nlogop *op) {
    int rc = r_u32(r, &op->tag);
    if (rc != NIDUS_OK) return rc;
    switch (op->tag) {
    case NIDUS__OP_CREATE:
    case NIDUS__OP_DROP: return r_str(r, &op->coll);
    case NIDUS__OP_SETMETA:
        if ((rc = r_str(r, &op->coll)) != NIDUS_OK) return rc;
        return r_meta(r, &op->meta);
    case NIDUS__OP_UPSERT:
        if ((rc = r_str(r, &op->coll)) != NIDUS_OK) return rc;
        if ((rc = r_str(r, &op->id)) != NIDUS_OK) return rc;
        if ((rc = r_u64(r, &op->row)) != NIDUS_OK) return rc;
        return r_attrs(r, &op->attrs);
    case NIDUS__OP_DELETE:
        if ((rc = r_str(r, &op->coll)) != NIDUS_OK) return rc;
        return r_str(r, &op->id);
    case NIDUS__OP_SET_FILTER_INDEX:
        if ((rc = r_str(r, &op->coll)) == NIDUS_OK && (rc = r_fx_fields(r, op)) == NIDUS_OK) return NIDUS_OK;
        if (r->unknown || rc == NIDUS_ENOMEM) return rc;
        /* Not op 8's shape: no op of any nidus, as for the other later tags. */
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown op tag %" PRIu32, op->tag);
    case 5:
    case 6:
    case 7:
    case 9: return r_later_op(r, op->tag);
    default:
        r->unknown = true;
        return nidus__err(r->e, NIDUS_ECORRUPT, 0, "unknown op tag %" PRIu32, op->tag);
    }
}

/* Trailing bytes after a complete op are ignored, as bincode 1's legacy decoder
 * does; nidus never writes any. */
int nidus__op_read(const uint8_t *p, size_t len, nlogop *op, narena *scratch, bool *unknown, nerr *e) {
    memset(op, 0, sizeof *op);
    rd r = {p, len, 0, e, scratch, false};
    int rc = r_op(&r, op);
    if (rc != NIDUS_OK) {
        if (scratch) memset(op, 0, sizeof *op);
        else nidus__op_free(op);
    }
    if (unknown) *unknown = rc == NIDUS_ECORRUPT && r.unknown;
    return rc;
}

int nidus__op_decode(const uint8_t *p, size_t len, nlogop *op, nerr *e) {
    return nidus__op_read(p, len, op, NULL, NULL, e);
}

/* The same decoder and the same verdicts, without copying: replay copies only what
 * it keeps (a doc's id and attributes, into its collection's arena), so a million
 * Upserts no longer cost a million strndup/free pairs of collection names. */
int nidus__op_view(const uint8_t *p, size_t len, nlogop *op, narena *scratch, nerr *e) {
    return nidus__op_read(p, len, op, scratch, NULL, e);
}

void nidus__meta_free(nmeta *m) {
    for (size_t i = 0; i < m->n; i++) drop_meta(&m->items[i]);
    nidus__free(m->items);
    m->items = NULL;
    m->n = 0;
}

void nidus__op_free(nlogop *op) {
    str_free(&op->coll);
    str_free(&op->id);
    nidus__attrs_free(&op->attrs);
    nidus__meta_free(&op->meta);
    for (size_t i = 0; i < op->nfields; i++) str_free(&op->fields[i].name);
    nidus__free(op->fields);
    memset(op, 0, sizeof *op);
}

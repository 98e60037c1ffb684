/*
 * json.c — nidus's JSON forms <-> library structs, and exact float printing.
 *
 * Floats. jansson prints every real of a document with one "%.Ng" precision. A
 * float f is kept as the double nearest to its shortest round-trip decimal s (at
 * most 9 digits); printed with any N from len(s) to 16 that double gives back s, and
 * with 17 digits a text that still reads back to f. So the document is printed
 * with N = the largest digit count any of its reals needs (9 or fewer for pure f32
 * output, up to 17 when a Float attribute needs it): f32 values print short, and
 * every value, f32 or f64, reads back bit for bit. cj_f32/cj_f64 record the need.
 */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct arena_block {
    arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *arena_alloc(arena *a, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0) n = sizeof(max_align_t);
    arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        /* Small first: `load` keeps one arena per line of a batch. */
        size_t cap = b ? (b->cap < 65536 ? b->cap * 2 : 65536) : 2048;
        if (cap < n) cap = n;
        b = xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void arena_free(arena *a) {
    while (a->head) {
        arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

void arena_join(arena *dst, arena *src) {
    if (!src->head) return;
    arena_block *tail = src->head;
    while (tail->next) tail = tail->next;
    /* dst's newest block stays first so its free space keeps being used. */
    if (dst->head) {
        tail->next = dst->head->next;
        dst->head->next = src->head;
    } else dst->head = src->head;
    src->head = NULL;
}

/* ---- parsing ---- */

json_t *cj_try_parse(const char *text, size_t len, char *err) {
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
    if (!j) snprintf(err, CJ_ERR, "malformed JSON at line %d, column %d: %s", je.line, je.column, je.text);
    return j;
}

json_t *cj_parse(const char *text, size_t len, const char *source) {
    char err[CJ_ERR];
    json_t *j = cj_try_parse(text, len, err);
    if (!j) cli_fail("%s: %s", source, err);
    return j;
}

const char *cj_cstr(json_t *j, const char *what, char *err) {
    if (!json_is_string(j)) {
        snprintf(err, CJ_ERR, "%s must be a string", what);
        return NULL;
    }
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j)) {
        snprintf(err, CJ_ERR, "%s contains U+0000", what);
        return NULL;
    }
    return s;
}

static const char TAGS[] = "Null, Str, Int, Bool, List, Float or DateTime";

bool cj_value(json_t *j, nidus_value *out, arena *a, char *err) {
    if (json_is_string(j)) {
        if (strcmp(json_string_value(j), "Null") == 0) {
            *out = nidus_null();
            return true;
        }
        snprintf(err, CJ_ERR, "unknown value \"%s\" (want \"Null\" or {\"Tag\": value} with Tag one of %s)",
                 json_string_value(j), TAGS);
        return false;
    }
    if (!json_is_object(j) || json_object_size(j) != 1) {
        snprintf(err, CJ_ERR, "a value must be \"Null\" or an object with one tag (%s)", TAGS);
        return false;
    }
    const char *tag = json_object_iter_key(json_object_iter(j));
    json_t *v = json_object_iter_value(json_object_iter(j));
    if (strcmp(tag, "Str") == 0) {
        if (!json_is_string(v)) goto bad;
        out->type = NIDUS_STR;
        out->v.str.ptr = json_string_value(v);
        out->v.str.len = json_string_length(v);
    } else if (strcmp(tag, "Int") == 0) {
        if (!json_is_integer(v)) goto bad;
        *out = nidus_int(json_integer_value(v));
    } else if (strcmp(tag, "Bool") == 0) {
        if (!json_is_boolean(v)) goto bad;
        *out = nidus_bool(json_is_true(v));
    } else if (strcmp(tag, "Float") == 0) {
        if (!json_is_number(v)) goto bad;
        *out = nidus_float(json_number_value(v));
    } else if (strcmp(tag, "DateTime") == 0) {
        if (!json_is_integer(v)) goto bad;
        *out = nidus_datetime(json_integer_value(v));
    } else if (strcmp(tag, "List") == 0) {
        if (!json_is_array(v)) goto bad;
        size_t n = json_array_size(v);
        nidus_str *items = arena_alloc(a, n * sizeof *items);
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_array_get(v, i);
            if (!json_is_string(s)) goto bad;
            items[i].ptr = json_string_value(s);
            items[i].len = json_string_length(s);
        }
        *out = nidus_list(items, n);
    } else {
        snprintf(err, CJ_ERR, "unknown value tag \"%s\" (want %s)", tag, TAGS);
        return false;
    }
    return true;
bad:;
    static const char *const want[][2] = {{"Str", "a string"},      {"Int", "an integer"},
                                          {"Bool", "true or false"}, {"Float", "a number"},
                                          {"DateTime", "integer milliseconds"},
                                          {"List", "an array of strings"}};
    const char *w = "?";
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strcmp(want[i][0], tag) == 0) w = want[i][1];
    snprintf(err, CJ_ERR, "{\"%s\": ...} wants %s", tag, w);
    return false;
}

bool cj_attrs(json_t *obj, const nidus_attr **out, size_t *n, arena *a, char *err) {
    *out = NULL;
    *n = 0;
    if (!obj || json_is_null(obj)) return true;
    if (!json_is_object(obj)) {
        snprintf(err, CJ_ERR, "attrs must be an object of {key: value}");
        return false;
    }
    nidus_attr *attrs = arena_alloc(a, json_object_size(obj) * sizeof *attrs);
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char sub[CJ_ERR];
        if (!cj_value(v, &attrs[i].value, a, sub)) {
            snprintf(err, CJ_ERR, "attrs.%.100s: %.400s", key, sub);
            return false;
        }
        attrs[i++].key = key;
    }
    *out = attrs;
    *n = i;
    return true;
}

bool cj_vector(json_t *arr, float **out, size_t *dim, arena *a, char *err) {
    if (!json_is_array(arr)) {
        snprintf(err, CJ_ERR, "a vector must be a JSON array of numbers");
        return false;
    }
    size_t n = json_array_size(arr);
    float *v = arena_alloc(a, n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(arr, i);
        if (!json_is_number(x)) {
            snprintf(err, CJ_ERR, "vector[%zu] is not a number", i);
            return false;
        }
        double d = json_number_value(x);
        v[i] = (float)d;
        if (!isfinite(v[i])) {
            snprintf(err, CJ_ERR, "vector[%zu] = %g is not a finite float", i, d);
            return false;
        }
    }
    *out = v;
    *dim = n;
    return true;
}

static bool pred_args(json_t *args, size_t want, const char *kind, char *err) {
    if (!json_is_array(args) || json_array_size(args) != want || !json_is_string(json_array_get(args, 0))) {
        snprintf(err, CJ_ERR, "{\"%s\": ...} wants [key, %s]", kind,
                 strcmp(kind, "Eq") == 0 ? "value" : strcmp(kind, "In") == 0 ? "[values]" : "pattern");
        return false;
    }
    return true;
}

bool cj_filter(json_t *arr, const nidus_pred **out, size_t *n, arena *a, char *err) {
    if (!json_is_array(arr)) {
        snprintf(err, CJ_ERR, "a filter must be a JSON array of predicates");
        return false;
    }
    size_t np = json_array_size(arr);
    nidus_pred *p = arena_alloc(a, np * sizeof *p);
    memset(p, 0, np * sizeof *p);
    for (size_t i = 0; i < np; i++) {
        json_t *o = json_array_get(arr, i);
        char sub[CJ_ERR];
        if (!json_is_object(o) || json_object_size(o) != 1) {
            snprintf(err, CJ_ERR, "predicate %zu must be {\"Eq\"|\"In\"|\"Glob\": [...]}", i);
            return false;
        }
        const char *kind = json_object_iter_key(json_object_iter(o));
        json_t *args = json_object_iter_value(json_object_iter(o));
        if (strcmp(kind, "Eq") == 0) {
            if (!pred_args(args, 2, kind, sub)) goto fail;
            p[i].kind = NIDUS_PRED_EQ;
            if (!cj_value(json_array_get(args, 1), &p[i].value, a, sub)) goto fail;
        } else if (strcmp(kind, "In") == 0) {
            if (!pred_args(args, 2, kind, sub)) goto fail;
            json_t *set = json_array_get(args, 1);
            if (!json_is_array(set)) {
                snprintf(sub, CJ_ERR, "{\"In\": [key, [values]]} wants an array of values");
                goto fail;
            }
            size_t ns = json_array_size(set);
            nidus_value *vals = arena_alloc(a, ns * sizeof *vals);
            for (size_t k = 0; k < ns; k++)
                if (!cj_value(json_array_get(set, k), &vals[k], a, sub)) goto fail;
            p[i].kind = NIDUS_PRED_IN;
            p[i].set = vals;
            p[i].set_len = ns;
        } else if (strcmp(kind, "Glob") == 0) {
            if (!pred_args(args, 2, kind, sub)) goto fail;
            p[i].kind = NIDUS_PRED_GLOB;
            if (!(p[i].pattern = cj_cstr(json_array_get(args, 1), "the glob pattern", sub))) goto fail;
        } else {
            snprintf(sub, CJ_ERR, "unknown predicate \"%s\" (want Eq, In or Glob)", kind);
            goto fail;
        }
        if (!(p[i].key = cj_cstr(json_array_get(args, 0), "the key", sub))) goto fail;
        continue;
    fail:
        snprintf(err, CJ_ERR, "predicate %zu: %.450s", i, sub);
        return false;
    }
    *out = p;
    *n = np;
    return true;
}

bool cj_record(json_t *obj, nidus_record *r, arena *a, char *err) {
    memset(r, 0, sizeof *r);
    if (!json_is_object(obj)) {
        snprintf(err, CJ_ERR, "a record must be an object {\"id\", \"vector\", \"attrs\"}");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        /* Reject typos such as "atrs" rather than silently dropping data;
         * "collection" is allowed so dump lines and records mix. */
        if (strcmp(key, "id") && strcmp(key, "vector") && strcmp(key, "attrs") && strcmp(key, "collection")) {
            snprintf(err, CJ_ERR, "unknown field \"%s\" (a record has id, vector, attrs)", key);
            return false;
        }
    }
    json_t *id = json_object_get(obj, "id");
    if (!id) {
        snprintf(err, CJ_ERR, "missing \"id\"");
        return false;
    }
    if (!(r->id = cj_cstr(id, "id", err))) return false;
    json_t *vec = json_object_get(obj, "vector");
    if (!vec) {
        snprintf(err, CJ_ERR, "missing \"vector\"");
        return false;
    }
    float *fv;
    if (!cj_vector(vec, &fv, &r->dim, a, err)) return false;
    r->vector = fv;
    return cj_attrs(json_object_get(obj, "attrs"), &r->attrs, &r->n_attrs, a, err);
}

/* ---- printing ---- */

static int g_prec; /* digits the reals built since the last print need */

/* "%.*g" never needs more than ~25 bytes for p <= 17, but the compiler cannot
 * see p's bound; size for the widest double so no build warns. */
#define FMT_BUF 320

/* Does "%.{p}g" of f read back as f? The value of that text goes to *val. */
static bool rt_f32(float f, int p, double *val) {
    char b[FMT_BUF];
    snprintf(b, FMT_BUF, "%.*g", p, (double)f);
    float g = strtof(b, NULL);
    *val = strtod(b, NULL);
    return memcmp(&g, &f, sizeof f) == 0;
}

static bool rt_f64(double d, int p) {
    char b[FMT_BUF];
    snprintf(b, sizeof b, "%.*g", p, d);
    double g = strtod(b, NULL);
    return memcmp(&g, &d, sizeof d) == 0;
}

/* Powers of ten that are exact doubles (5^22 < 2^53). */
static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* rt_f32 without printf, which dominates a large dump. N = |f| * 10^s rounded to
 * an integer of p digits is the decimal "%.{p}g" prints (the product is exact to
 * 2^-53, so N is right unless the fraction is within that of one half), and
 * N / 10^s is exactly the double strtod gives for it (one correctly rounded
 * division of exact values). That decimal reads back as f when it lies strictly
 * between f's rounding midpoints, again unless within 2^-50 of one. Returns 1 or
 * 0, or -1 when too close to call (or |f| out of range): then ask printf. */
static int fast_rt_f32(float f, int p, double *val) {
    double d = fabs((double)f);
    if (!(d >= 1e-13 && d < 1e9)) return -1;
    int s = p - 1 - (int)floor(log10(d));
    if (s < 0 || s > 22) return -1;
    double scaled = d * POW10[s];
    if (scaled >= POW10[p]) { /* log10 rounded up near a power of ten */
        if (--s < 0) return -1;
        scaled = d * POW10[s];
    } else if (scaled < POW10[p - 1]) {
        if (++s > 22) return -1;
        scaled = d * POW10[s];
    }
    double whole = floor(scaled), frac = scaled - whole, eps = scaled * 0x1p-50;
    if (fabs(frac - 0.5) <= eps) return -1;
    double c = (frac > 0.5 ? whole + 1 : whole) / POW10[s];
    float a = fabsf(f);
    double lo = ((double)a + (double)nextafterf(a, 0.0f)) / 2, hi = ((double)a + (double)nextafterf(a, INFINITY)) / 2;
    double m = c * 0x1p-50;
    *val = copysign(c, (double)f);
    if (c > lo + m && c < hi - m) return 1;
    if (c < lo - m || c > hi + m) return 0;
    return -1;
}

static bool try_f32(float f, int p, double *val) {
    int r = fast_rt_f32(f, p, val);
    return r < 0 ? rt_f32(f, p, val) : r == 1;
}

/* Round-tripping is monotone in the digit count (the nearest p+1-digit decimal is
 * at least as close as the nearest p-digit one), so the fewest digits can be
 * searched. Stored vectors are unit-normalized and mostly need 8 or 9, so those
 * are tried first. Returns the digits; *val is the double of that text. */
static int shortest_f32(float f, double *val) {
    if (!isfinite(f)) return 9;
    if (f == 0.0f) {
        *val = (double)f; /* keeps the sign of -0 */
        return 1;
    }
    if (!try_f32(f, 8, val)) return try_f32(f, 9, val), 9;
    double v8 = *val;
    if (!try_f32(f, 7, val)) return *val = v8, 8;
    int lo = 1, hi = 7;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (try_f32(f, mid, val)) hi = mid;
        else lo = mid + 1;
    }
    try_f32(f, lo, val);
    return lo;
}

int cj_digits_f32(float f) {
    double v;
    return shortest_f32(f, &v);
}

int cj_digits_f64(double d) {
    if (!isfinite(d)) return 17;
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (rt_f64(d, mid)) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

json_t *cj_f32(float f) {
    if (!isfinite(f)) return json_null();
    double v;
    int p = shortest_f32(f, &v);
    if (p > g_prec) g_prec = p;
    return json_real(v);
}

json_t *cj_f64(double d) {
    if (!isfinite(d)) return json_null();
    int p = cj_digits_f64(d);
    if (p > g_prec) g_prec = p;
    return json_real(d);
}

json_t *cj_str(const char *s) {
    json_t *j = json_string(s);
    if (!j) cli_fail("stored text is not valid UTF-8: %.40s", s);
    return j;
}

static json_t *tagged(const char *tag, json_t *v) {
    json_t *o = json_object();
    json_object_set_new(o, tag, v);
    return o;
}

json_t *cj_value_out(const nidus_value *v) {
    switch (v->type) {
    case NIDUS_NULL: return json_string("Null");
    case NIDUS_STR: {
        json_t *s = json_stringn(v->v.str.ptr, v->v.str.len);
        if (!s) cli_fail("stored text is not valid UTF-8");
        return tagged("Str", s);
    }
    case NIDUS_INT: return tagged("Int", json_integer(v->v.i));
    case NIDUS_BOOL: return tagged("Bool", json_boolean(v->v.b));
    case NIDUS_FLOAT: return tagged("Float", cj_f64(v->v.f));
    case NIDUS_DATETIME: return tagged("DateTime", json_integer(v->v.i));
    case NIDUS_LIST: {
        json_t *arr = json_array();
        for (size_t i = 0; i < v->v.list.count; i++) {
            json_t *s = json_stringn(v->v.list.items[i].ptr, v->v.list.items[i].len);
            if (!s) cli_fail("stored text is not valid UTF-8");
            json_array_append_new(arr, s);
        }
        return tagged("List", arr);
    }
    }
    cli_fail("unknown value type %d from the library", (int)v->type);
}

json_t *cj_attrs_out(const nidus_attr *attrs, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) json_object_set_new(o, attrs[i].key, cj_value_out(&attrs[i].value));
    return o;
}

json_t *cj_vector_out(const float *v, size_t n) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, cj_f32(v[i]));
    return arr;
}

static char *dump_text(json_t *j, bool pretty) {
    size_t flags = (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENCODE_ANY |
                   JSON_REAL_PRECISION(g_prec > 0 ? g_prec : 1);
    g_prec = 0;
    char *s = json_dumps(j, flags);
    json_decref(j);
    if (!s) cli_fail("out of memory printing JSON");
    return s;
}

void cj_print(FILE *f, json_t *j, bool pretty) {
    char *s = dump_text(j, pretty);
    fputs(s, f);
    fputc('\n', f);
    free(s);
}

void cj_stream_open(cj_stream *s, FILE *f) {
    s->f = f;
    s->n = 0;
}

void cj_stream_item(cj_stream *s, json_t *item) {
    char *t = dump_text(item, true);
    fputs(s->n++ ? ",\n  " : "[\n  ", s->f);
    for (const char *p = t; *p; p++) {
        fputc(*p, s->f);
        if (*p == '\n') fputs("  ", s->f);
    }
    free(t);
}

void cj_stream_close(cj_stream *s) {
    fputs(s->n ? "\n]\n" : "[]\n", s->f);
}

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
#include <stdarg.h>
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

/* ---- filters: nidus 0.80's JSON form -> a nidus_filter tree ----
 *
 * The wire form is serde's externally tagged Predicate: a JSON array of predicates
 * (ANDed), each a one-key object {"Op": args}. Tuple variants take an array
 * ({"Eq": [key, value]}, {"Fuzzy": [key, needle, edits]}), All/Any an array of
 * predicates, Not a single predicate object ({"Not": {"Eq": [...]}}). nidus 0.3's
 * Eq/In/Glob are the same spelling, so the old --where form is a subset of this one.
 *
 * The JSON is walked twice: once to count the nodes, so all of them live in one
 * array (a group's children side by side, as nidus_filter wants them), once to fill
 * it. The rules that need the library (regex syntax, nesting depth) are checked by
 * it; what only the JSON can tell (shape, arity, types, a Fuzzy budget that does
 * not fit an unsigned) is checked here. Every message starts "invalid filter:" and
 * names the predicate and where it is: [2] is the third predicate of the array,
 * [0].Any[1] the second inside the first one's Any. */

typedef enum { A_VALUE, A_VALUES, A_TEXT, A_FUZZY, A_GROUP, A_NOT } f_args;
static const struct {
    const char *name;
    nidus_filter_op op;
    f_args args;
    const char *text; /* what the text argument is called */
} FOPS[] = {
    {"Eq", NIDUS_F_EQ, A_VALUE, NULL},
    {"Ne", NIDUS_F_NE, A_VALUE, NULL},
    {"Glob", NIDUS_F_GLOB, A_TEXT, "pattern"},
    {"IGlob", NIDUS_F_IGLOB, A_TEXT, "pattern"},
    {"In", NIDUS_F_IN, A_VALUES, NULL},
    {"NotIn", NIDUS_F_NOT_IN, A_VALUES, NULL},
    {"Lt", NIDUS_F_LT, A_VALUE, NULL},
    {"Le", NIDUS_F_LE, A_VALUE, NULL},
    {"Gt", NIDUS_F_GT, A_VALUE, NULL},
    {"Ge", NIDUS_F_GE, A_VALUE, NULL},
    {"Contains", NIDUS_F_CONTAINS, A_VALUE, NULL},
    {"NotContains", NIDUS_F_NOT_CONTAINS, A_VALUE, NULL},
    {"ContainsAny", NIDUS_F_CONTAINS_ANY, A_VALUES, NULL},
    {"All", NIDUS_F_ALL, A_GROUP, NULL},
    {"Any", NIDUS_F_ANY, A_GROUP, NULL},
    {"Not", NIDUS_F_NOT, A_NOT, NULL},
    {"Fuzzy", NIDUS_F_FUZZY, A_FUZZY, "needle"},
    {"ContainsAllTokens", NIDUS_F_CONTAINS_ALL_TOKENS, A_TEXT, "query"},
    {"ContainsAnyToken", NIDUS_F_CONTAINS_ANY_TOKEN, A_TEXT, "query"},
    {"ContainsTokenSequence", NIDUS_F_CONTAINS_TOKEN_SEQUENCE, A_TEXT, "query"},
    {"Regex", NIDUS_F_REGEX, A_TEXT, "pattern"},
};
#define N_FOPS (sizeof FOPS / sizeof FOPS[0])

static const char FOP_LIST[] =
    "Eq, Ne, In, NotIn, Lt, Le, Gt, Ge, Glob, IGlob, Regex, Contains, NotContains, ContainsAny, "
    "Fuzzy, ContainsAllTokens, ContainsAnyToken, ContainsTokenSequence, All, Any or Not";

#define FUZZY_MAX_EDITS 8 /* nidus 0.80's MAX_FUZZY_EDITS; the library says so too */

typedef struct fparse {
    nidus_filter *nodes; /* NULL on the counting pass */
    size_t used;
    arena *a;
    char *err;
} fparse;

static const char *arg_shape(f_args k) {
    switch (k) {
    case A_VALUE: return "[key, value]";
    case A_VALUES: return "[key, [values]]";
    case A_TEXT: return NULL; /* [key, <text name>] */
    case A_FUZZY: return "[key, needle, max_edits]";
    case A_GROUP: return "an array of predicates";
    case A_NOT: return "one predicate object, e.g. {\"Not\": {\"Eq\": [key, value]}}";
    }
    return "?";
}

/* The predicate at path, of JSON j, into *out (filling pass) or just counted. */
static bool f_pred(fparse *p, json_t *j, const char *path, nidus_filter *out);

static bool f_bad(fparse *p, const char *name, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool f_bad(fparse *p, const char *name, const char *path, const char *key, const char *fmt, ...) {
    char detail[CJ_ERR];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (key) snprintf(p->err, CJ_ERR, "invalid filter: %.24s on `%.80s` at %.80s: %.250s", name, key, path, detail);
    else snprintf(p->err, CJ_ERR, "invalid filter: %.24s at %.80s: %.250s", name, path, detail);
    return false;
}

static const char *json_kind(json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Reserve n consecutive nodes (children of one group); NULL while counting. */
static nidus_filter *f_take(fparse *p, size_t n) {
    size_t at = p->used;
    p->used += n;
    return p->nodes ? p->nodes + at : NULL;
}

static bool f_group(fparse *p, const char *name, const char *path, json_t *arr, nidus_filter *out) {
    size_t n = json_array_size(arr);
    nidus_filter *kids = f_take(p, n);
    for (size_t i = 0; i < n; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%.200s.%s[%zu]", path, name, i);
        if (!f_pred(p, json_array_get(arr, i), sub, kids ? &kids[i] : NULL)) return false;
    }
    if (out) *out = strcmp(name, "All") == 0 ? nidus_f_all(kids, n) : nidus_f_any(kids, n);
    return true;
}

static bool f_pred(fparse *p, json_t *j, const char *path, nidus_filter *out) {
    if (!json_is_object(j) || json_object_size(j) != 1) {
        snprintf(p->err, CJ_ERR,
                 "invalid filter: at %.100s: a predicate is an object with one tag, e.g. {\"Eq\": [key, value]}, "
                 "not %s",
                 path, json_is_object(j) ? "an object with several keys" : json_kind(j));
        return false;
    }
    const char *name = json_object_iter_key(json_object_iter(j));
    json_t *args = json_object_iter_value(json_object_iter(j));
    size_t k = 0;
    while (k < N_FOPS && strcmp(FOPS[k].name, name) != 0) k++;
    if (k == N_FOPS) {
        snprintf(p->err, CJ_ERR, "invalid filter: unknown predicate \"%.100s\" at %.100s (want %s)", name, path,
                 FOP_LIST);
        return false;
    }
    f_args kind = FOPS[k].args;
    if (kind == A_GROUP) {
        if (!json_is_array(args)) return f_bad(p, name, path, NULL, "wants an array of predicates, not %s", json_kind(args));
        return f_group(p, name, path, args, out);
    }
    if (kind == A_NOT) {
        if (!json_is_object(args)) return f_bad(p, name, path, NULL, "wants %s, not %s", arg_shape(kind), json_kind(args));
        nidus_filter *kid = f_take(p, 1);
        char sub[256];
        snprintf(sub, sizeof sub, "%.200s.Not", path);
        if (!f_pred(p, args, sub, kid)) return false;
        if (out) *out = nidus_f_not(kid);
        return true;
    }
    /* The leaves: [key, ...]. */
    size_t want = kind == A_FUZZY ? 3 : 2;
    char shape[64];
    if (kind == A_TEXT) snprintf(shape, sizeof shape, "[key, %s]", FOPS[k].text);
    else snprintf(shape, sizeof shape, "%s", arg_shape(kind));
    if (!json_is_array(args)) return f_bad(p, name, path, NULL, "wants %s, not %s", shape, json_kind(args));
    if (json_array_size(args) != want)
        return f_bad(p, name, path, NULL, "wants %s, got %zu element%s", shape, json_array_size(args),
                     json_array_size(args) == 1 ? "" : "s");
    char sub[CJ_ERR];
    const char *key = cj_cstr(json_array_get(args, 0), "the key", sub);
    if (!key) return f_bad(p, name, path, NULL, "%s (it wants %s)", sub, shape);
    json_t *arg = json_array_get(args, 1);
    nidus_filter f = nidus_f_eq(key, nidus_null());
    f.op = FOPS[k].op;
    switch (kind) {
    case A_VALUE:
        if (out && !cj_value(arg, &f.value, p->a, sub)) return f_bad(p, name, path, key, "%s", sub);
        break;
    case A_VALUES: {
        if (!json_is_array(arg)) return f_bad(p, name, path, key, "wants %s; the values are %s, not an array", shape, json_kind(arg));
        if (!out) break;
        size_t n = json_array_size(arg);
        nidus_value *vals = arena_alloc(p->a, n * sizeof *vals);
        for (size_t i = 0; i < n; i++)
            if (!cj_value(json_array_get(arg, i), &vals[i], p->a, sub))
                return f_bad(p, name, path, key, "value %zu: %s", i, sub);
        f.values = vals;
        f.count = n;
        break;
    }
    case A_TEXT:
    case A_FUZZY: {
        const char *what = FOPS[k].text;
        char label[32];
        snprintf(label, sizeof label, "the %s", what);
        if (!(f.text = cj_cstr(arg, label, sub))) return f_bad(p, name, path, key, "%s (it wants %s)", sub, shape);
        if (kind == A_FUZZY) {
            json_t *e = json_array_get(args, 2);
            if (!json_is_integer(e) || json_integer_value(e) < 0)
                return f_bad(p, name, path, key, "max_edits must be a non-negative integer, not %s",
                             json_is_integer(e) ? "a negative one" : json_kind(e));
            json_int_t edits = json_integer_value(e);
            if (edits > FUZZY_MAX_EDITS) {
                snprintf(p->err, CJ_ERR, "invalid filter: Fuzzy on `%.100s` allows %lld edits, above the maximum of %d",
                         key, (long long)edits, FUZZY_MAX_EDITS);
                return false;
            }
            f.max_edits = (unsigned)edits;
        }
        break;
    }
    default: break;
    }
    if (out) *out = f;
    return true;
}

bool cj_where(json_t *arr, const nidus_filter **out, arena *a, char *err) {
    *out = NULL;
    if (!json_is_array(arr)) {
        snprintf(err, CJ_ERR,
                 "invalid filter: want a JSON array of predicates, e.g. [{\"Eq\": [\"lang\", {\"Str\": \"en\"}]}], "
                 "not %s",
                 json_kind(arr));
        return false;
    }
    size_t n = json_array_size(arr);
    if (n == 0) return true; /* matches everything */
    fparse p = {.a = a, .err = err};
    /* A single predicate is the root itself (so it may nest the library's whole depth);
     * several are the children of an All. */
    for (int pass = 0; pass < 2; pass++) {
        p.used = 0;
        nidus_filter *root = f_take(&p, 1);
        if (n == 1) {
            if (!f_pred(&p, json_array_get(arr, 0), "[0]", root)) return false;
        } else {
            nidus_filter *kids = f_take(&p, n);
            for (size_t i = 0; i < n; i++) {
                char path[32];
                snprintf(path, sizeof path, "[%zu]", i);
                if (!f_pred(&p, json_array_get(arr, i), path, kids ? &kids[i] : NULL)) return false;
            }
            if (root) *root = nidus_f_all(kids, n);
        }
        if (pass == 0) p.nodes = arena_alloc(a, p.used * sizeof *p.nodes);
    }
    *out = p.nodes;
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

/* Thread-local: `nidus serve` builds and prints documents on many threads at once. */
static _Thread_local int g_prec; /* digits the reals built since the last print need */

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

static json_t *sums_out(const nidus_sum *sums, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) json_object_set_new(o, sums[i].field, cj_value_out(&sums[i].value));
    return o;
}

json_t *cj_aggregation_out(const nidus_aggregation *ag, bool compact) {
    json_t *out = json_object();
    json_object_set_new(out, "count", json_integer((json_int_t)ag->count));
    json_object_set_new(out, "sums", sums_out(ag->sums, ag->n_sums));
    if (ag->n_groups || !compact) {
        json_t *groups = json_array();
        for (size_t i = 0; i < ag->n_groups; i++) {
            const nidus_group *g = &ag->groups[i];
            json_t *j = json_object();
            /* null: the records without the attribute; "Null": those holding Null. */
            json_object_set_new(j, "value", g->present ? cj_value_out(&g->value) : json_null());
            json_object_set_new(j, "count", json_integer((json_int_t)g->count));
            json_object_set_new(j, "sums", sums_out(g->sums, g->n_sums));
            json_array_append_new(groups, j);
        }
        json_object_set_new(out, "groups", groups);
    }
    if (ag->groups_truncated || !compact) json_object_set_new(out, "groups_truncated", json_boolean(ag->groups_truncated));
    return out;
}

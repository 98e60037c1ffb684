/* test_golden.c — the three golden stores written by nidus 0.3.1 (tests/golden/):
 * each must open read-only and show exactly what expected.json records (records and
 * scores bit for bit), open read-write, and be reproduced byte for byte by replaying
 * its script.json through the public API. Only the public API is used here. */
#include "test_store_helpers.h"

#include <dirent.h>
#include <jansson.h>

/* ------------------------------------------------------------- helpers ---- */

/* Allocations that live as long as one converted filter / record batch. */
typedef struct pool {
    void **ptrs;
    size_t n, cap;
} pool;

static void *pool_alloc(pool *p, size_t size) {
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->ptrs = realloc(p->ptrs, p->cap * sizeof *p->ptrs);
        if (!p->ptrs) t_fail(__FILE__, __LINE__, "out of memory");
    }
    void *m = calloc(1, size ? size : 1);
    if (!m) t_fail(__FILE__, __LINE__, "out of memory");
    p->ptrs[p->n++] = m;
    return m;
}

static void pool_free(pool *p) {
    for (size_t i = 0; i < p->n; i++) free(p->ptrs[i]);
    free(p->ptrs);
    p->ptrs = NULL;
    p->n = p->cap = 0;
}

static const char *golden_dir(const char *store) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/tests/golden/%s", t_srcdir(), store);
    return buf;
}

static json_t *load_json(const char *store, const char *name) {
    json_error_t err;
    const char *p = t_path(golden_dir(store), name);
    json_t *j = json_load_file(p, 0, &err);
    if (!j) t_fail(__FILE__, __LINE__, "%s:%d: %s", p, err.line, err.text);
    return j;
}

/* Member `key` of object `o`, which must be present. */
static json_t *jget(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!v) t_fail(__FILE__, __LINE__, "JSON member \"%s\" missing", key);
    return v;
}

static const char *jstr(const json_t *o, const char *key) {
    const char *s = json_string_value(jget(o, key));
    if (!s) t_fail(__FILE__, __LINE__, "JSON member \"%s\" is not a string", key);
    return s;
}

static uint64_t ju64(const json_t *o, const char *key) {
    json_t *v = jget(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        t_fail(__FILE__, __LINE__, "JSON member \"%s\" is not a count", key);
    return (uint64_t)json_integer_value(v);
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint32_t hex_bits(const json_t *s) {
    const char *h = json_string_value(s);
    char *end = NULL;
    if (!h || strlen(h) != 8) t_fail(__FILE__, __LINE__, "bad f32 bit pattern");
    unsigned long u = strtoul(h, &end, 16);
    if (*end) t_fail(__FILE__, __LINE__, "bad f32 bit pattern \"%s\"", h);
    return (uint32_t)u;
}

/* A JSON array of numbers as floats (pool-owned). */
static float *json_floats(pool *p, const json_t *arr, size_t *n) {
    if (!json_is_array(arr)) t_fail(__FILE__, __LINE__, "vector is not an array");
    size_t len = json_array_size(arr);
    float *v = pool_alloc(p, len * sizeof *v);
    for (size_t i = 0; i < len; i++) {
        json_t *x = json_array_get(arr, i);
        if (!json_is_number(x)) t_fail(__FILE__, __LINE__, "vector element is not a number");
        v[i] = (float)json_number_value(x);
    }
    *n = len;
    return v;
}

/* nidus's JSON form of a value ("Null", {"Str": ..}, {"Int": ..}, {"Bool": ..},
 * {"List": [..]}) -> nidus_value. Strings borrow from `j`; list arrays are
 * pool-owned. */
static nidus_value json_to_value(pool *p, const json_t *j) {
    if (json_is_string(j)) {
        if (strcmp(json_string_value(j), "Null") != 0)
            t_fail(__FILE__, __LINE__, "unknown value \"%s\"", json_string_value(j));
        return nidus_null();
    }
    if (!json_is_object(j) || json_object_size(j) != 1) t_fail(__FILE__, __LINE__, "bad value JSON");
    const char *tag = json_object_iter_key(json_object_iter((json_t *)j));
    json_t *x = json_object_iter_value(json_object_iter((json_t *)j));
    nidus_value v;
    if (strcmp(tag, "Str") == 0 && json_is_string(x)) {
        v.type = NIDUS_STR;
        v.v.str.ptr = json_string_value(x);
        v.v.str.len = json_string_length(x);
    } else if (strcmp(tag, "Int") == 0 && json_is_integer(x)) {
        v = nidus_int((int64_t)json_integer_value(x));
    } else if (strcmp(tag, "Bool") == 0 && json_is_boolean(x)) {
        v = nidus_bool(json_is_true(x));
    } else if (strcmp(tag, "Float") == 0 && json_is_number(x)) {
        v = nidus_float(json_number_value(x));
    } else if (strcmp(tag, "DateTime") == 0 && json_is_integer(x)) {
        v = nidus_datetime((int64_t)json_integer_value(x));
    } else if (strcmp(tag, "List") == 0 && json_is_array(x)) {
        size_t n = json_array_size(x);
        nidus_str *items = pool_alloc(p, n * sizeof *items);
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_array_get(x, i);
            if (!json_is_string(s)) t_fail(__FILE__, __LINE__, "List item is not a string");
            items[i].ptr = json_string_value(s);
            items[i].len = json_string_length(s);
        }
        v = nidus_list(items, n);
    } else {
        t_fail(__FILE__, __LINE__, "unknown value tag \"%s\"", tag);
    }
    return v;
}

static bool str_eq(nidus_str s, const json_t *j) {
    return json_is_string(j) && s.ptr && s.len == json_string_length(j) &&
           memcmp(s.ptr, json_string_value(j), s.len) == 0;
}

/* Whether a stored value equals its expected nidus JSON exactly (type and content). */
static bool value_matches(const nidus_value *v, const json_t *j) {
    pool p = {0};
    nidus_value w = json_to_value(&p, j);
    bool ok = v->type == w.type;
    if (ok) switch (v->type) {
        case NIDUS_NULL: break;
        case NIDUS_STR: ok = str_eq(v->v.str, json_object_get(j, "Str")); break;
        case NIDUS_INT:
        case NIDUS_DATETIME: ok = v->v.i == w.v.i; break;
        case NIDUS_BOOL: ok = (v->v.b != 0) == (w.v.b != 0); break;
        case NIDUS_FLOAT: ok = memcmp(&v->v.f, &w.v.f, sizeof(double)) == 0; break;
        case NIDUS_LIST: {
            const json_t *items = json_object_get(j, "List");
            ok = v->v.list.count == json_array_size(items);
            for (size_t i = 0; ok && i < v->v.list.count; i++)
                ok = str_eq(v->v.list.items[i], json_array_get(items, i));
            break;
        }
        default: ok = false;
        }
    pool_free(&p);
    return ok;
}

/* nidus JSON attrs object -> nidus_attr array (pool-owned; borrows from `obj`). */
static nidus_attr *json_to_attrs(pool *p, const json_t *obj, size_t *n) {
    if (!json_is_object(obj)) t_fail(__FILE__, __LINE__, "attrs is not an object");
    nidus_attr *a = pool_alloc(p, json_object_size(obj) * sizeof *a);
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        a[i].key = key;
        a[i].value = json_to_value(p, val);
        i++;
    }
    *n = i;
    return a;
}

/* A filter: an array of {"Eq": [key, value]}, {"In": [key, [values]]},
 * {"Glob": [key, pattern]} (pool-owned; borrows from `arr`). */
static nidus_pred *json_to_filter(pool *p, const json_t *arr, size_t *n) {
    if (!json_is_array(arr)) t_fail(__FILE__, __LINE__, "filter is not an array");
    size_t len = json_array_size(arr);
    nidus_pred *f = pool_alloc(p, len * sizeof *f);
    for (size_t i = 0; i < len; i++) {
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o) || json_object_size(o) != 1) t_fail(__FILE__, __LINE__, "bad predicate");
        const char *kind = json_object_iter_key(json_object_iter(o));
        json_t *args = json_object_iter_value(json_object_iter(o));
        if (!json_is_array(args) || json_array_size(args) != 2 || !json_is_string(json_array_get(args, 0)))
            t_fail(__FILE__, __LINE__, "bad predicate arguments for %s", kind);
        f[i].key = json_string_value(json_array_get(args, 0));
        json_t *arg = json_array_get(args, 1);
        if (strcmp(kind, "Eq") == 0) {
            f[i].kind = NIDUS_PRED_EQ;
            f[i].value = json_to_value(p, arg);
        } else if (strcmp(kind, "Glob") == 0 && json_is_string(arg)) {
            f[i].kind = NIDUS_PRED_GLOB;
            f[i].pattern = json_string_value(arg);
        } else if (strcmp(kind, "In") == 0 && json_is_array(arg)) {
            size_t m = json_array_size(arg);
            nidus_value *set = pool_alloc(p, m * sizeof *set);
            for (size_t k = 0; k < m; k++) set[k] = json_to_value(p, json_array_get(arg, k));
            f[i].kind = NIDUS_PRED_IN;
            f[i].set = set;
            f[i].set_len = m;
        } else {
            t_fail(__FILE__, __LINE__, "unknown predicate \"%s\"", kind);
        }
    }
    *n = len;
    return f;
}

/* "All" -> no scope; "Collection:NAME"; "Collections:A,B" (pool-owned). */
static const char *const *parse_scope(pool *p, const char *scope, size_t *n) {
    const char *list;
    if (strcmp(scope, "All") == 0) {
        *n = 0;
        return NULL;
    } else if (strncmp(scope, "Collection:", 11) == 0) {
        list = scope + 11;
    } else if (strncmp(scope, "Collections:", 12) == 0) {
        list = scope + 12;
    } else {
        t_fail(__FILE__, __LINE__, "unknown scope \"%s\"", scope);
    }
    size_t count = 1;
    for (const char *c = list; *c; c++) count += *c == ',';
    const char **names = pool_alloc(p, count * sizeof *names);
    char *copy = pool_alloc(p, strlen(list) + 1);
    memcpy(copy, list, strlen(list) + 1);
    size_t i = 0;
    for (char *tok = copy;; tok++) {
        names[i++] = tok;
        tok = strchr(tok, ',');
        if (!tok) break;
        *tok = '\0';
    }
    *n = count;
    return names;
}

static json_t *find_query(const json_t *expected, const char *name) {
    size_t i;
    json_t *q;
    json_array_foreach(jget(expected, "queries"), i, q) {
        if (strcmp(jstr(q, "name"), name) == 0) return jget(q, "vector");
    }
    t_fail(__FILE__, __LINE__, "query \"%s\" not in expected.json", name);
}

/* --------------------------------------------------------- verification ---- */

enum { LAYOUT_EXACT = 1 }; /* rows/dead_rows/vector_bytes as in expected.json */

static void check_collections(nidus_db *db, const json_t *ex) {
    const json_t *want = jget(ex, "collections");
    nidus_names *names = NULL;
    CHECK_OK_DB(db, nidus_collections(db, &names));
    CHECK_U64(names->count, json_array_size(want));
    for (size_t i = 0; i < names->count; i++) {
        CHECK_STR(names->names[i], json_string_value(json_array_get(want, i)));
        if (i) CHECK(strcmp(names->names[i - 1], names->names[i]) < 0);
        CHECK_INT(nidus_has_collection(db, names->names[i]), 1);
    }
    nidus_free(names);
}

static void check_meta(nidus_db *db, const json_t *ex) {
    const json_t *meta = jget(ex, "meta");
    CHECK_U64(json_object_size(meta), json_array_size(jget(ex, "collections")));
    const char *coll;
    json_t *want;
    json_object_foreach((json_t *)meta, coll, want) {
        nidus_meta *m = NULL;
        CHECK_OK_DB(db, nidus_get_meta(db, coll, &m));
        CHECK_U64(m->count, json_object_size(want));
        for (size_t i = 0; i < m->count; i++) {
            json_t *v = json_object_get(want, m->entries[i].key);
            if (!v) t_fail(__FILE__, __LINE__, "%s: unexpected meta key \"%s\"", coll, m->entries[i].key);
            CHECK_STR(m->entries[i].value, json_string_value(v));
            if (i) CHECK(strcmp(m->entries[i - 1].key, m->entries[i].key) < 0);
        }
        nidus_free(m);
    }
}

static void check_doc(const nidus_doc *d, const json_t *rec, const char *coll, uint32_t dim) {
    CHECK_STR(d->collection, coll);
    CHECK_STR(d->id, jstr(rec, "id"));
    const json_t *bits = jget(rec, "vector_bits");
    CHECK_U64(json_array_size(bits), dim);
    for (uint32_t k = 0; k < dim; k++) {
        uint32_t got = f32_bits(d->vector[k]), want = hex_bits(json_array_get(bits, k));
        if (got != want)
            t_fail(__FILE__, __LINE__, "%s/%s vector[%u]: bits %08" PRIx32 " (%.9g), want %08" PRIx32, coll,
                   d->id, k, got, (double)d->vector[k], want);
    }
    const json_t *attrs = jget(rec, "attrs");
    CHECK_U64(d->n_attrs, json_object_size(attrs));
    for (size_t k = 0; k < d->n_attrs; k++) {
        const nidus_attr *a = &d->attrs[k];
        if (k) CHECK(strcmp(d->attrs[k - 1].key, a->key) < 0);
        json_t *want = json_object_get(attrs, a->key);
        if (!want) t_fail(__FILE__, __LINE__, "%s/%s: unexpected attr \"%s\"", coll, d->id, a->key);
        if (!value_matches(&a->value, want)) {
            char *s = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
            t_fail(__FILE__, __LINE__, "%s/%s attr \"%s\" (type %d) != %s", coll, d->id, a->key,
                   (int)a->value.type, s ? s : "?");
        }
    }
}

static void check_records(nidus_db *db, const json_t *ex, uint32_t dim) {
    const json_t *recs = jget(ex, "records"), *colls = jget(ex, "collections");
    size_t seen = 0, ci;
    json_t *cj;
    json_array_foreach(colls, ci, cj) {
        const char *coll = json_string_value(cj);
        nidus_docs *docs = NULL;
        CHECK_OK_DB(db, nidus_get_all(db, coll, &docs));
        size_t at = 0, ri;
        json_t *rec;
        json_array_foreach(recs, ri, rec) {
            if (strcmp(jstr(rec, "collection"), coll) != 0) continue;
            if (at >= docs->count) t_fail(__FILE__, __LINE__, "%s: record \"%s\" missing", coll, jstr(rec, "id"));
            check_doc(&docs->docs[at], rec, coll, dim);
            /* nidus_get by id returns the same record. */
            const char *id = jstr(rec, "id");
            nidus_docs *one = NULL;
            CHECK_OK_DB(db, nidus_get(db, coll, &id, 1, &one));
            CHECK_U64(one->count, 1);
            check_doc(&one->docs[0], rec, coll, dim);
            nidus_free(one);
            at++;
        }
        CHECK_U64(docs->count, at);
        seen += at;
        nidus_free(docs);
    }
    CHECK_U64(seen, json_array_size(recs));
}

static void check_footprint(nidus_db *db, const json_t *ex, int flags) {
    const json_t *fj = jget(ex, "footprint");
    nidus_footprint f = th_fp(db);
    CHECK_U64(f.dimension, ju64(fj, "dimension"));
    CHECK_U64(f.doc_count, ju64(fj, "doc_count"));
    CHECK_U64(f.doc_count, json_array_size(jget(ex, "records")));
    CHECK_U64(f.vector_bytes, f.rows * f.dimension * 4);
    if (flags & LAYOUT_EXACT) {
        CHECK_U64(f.rows, ju64(fj, "rows"));
        CHECK_U64(f.dead_rows, ju64(fj, "dead_rows"));
        CHECK_U64(f.vector_bytes, ju64(fj, "vector_bytes"));
    } else { /* compacted: only live rows remain */
        CHECK_U64(f.rows, f.doc_count);
        CHECK_U64(f.dead_rows, 0);
    }
}

static void check_searches(nidus_db *db, const json_t *ex) {
    uint32_t dim = nidus_dimension(db);
    size_t si;
    json_t *s;
    json_array_foreach(jget(ex, "searches"), si, s) {
        pool p = {0};
        size_t qlen = 0, n_scope = 0, n_filter = 0;
        const float *q = json_floats(&p, find_query(ex, jstr(s, "query")), &qlen);
        CHECK_U64(qlen, dim);
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.top_k = (size_t)ju64(s, "top_k");
        o.collections = parse_scope(&p, jstr(s, "scope"), &n_scope);
        o.n_collections = n_scope;
        o.filter = json_to_filter(&p, jget(s, "filter"), &n_filter);
        o.n_filter = n_filter;
        json_t *ms = jget(s, "min_score");
        if (!json_is_null(ms)) {
            if (!json_is_number(ms)) t_fail(__FILE__, __LINE__, "bad min_score");
            o.has_min_score = 1;
            o.min_score = (float)json_number_value(ms);
        }
        /* No golden search has equal scores across the k boundary, so order and
         * membership are compared exactly (see tests/golden/README.md). */
        CHECK(json_is_false(jget(s, "tie_in_top_k")));

        char what[256];
        snprintf(what, sizeof what, "search #%zu (%s, %s, filter %s, min_score %s, k %zu)", si,
                 jstr(s, "query"), jstr(s, "scope"), jstr(s, "filter_name"),
                 json_is_null(ms) ? "null" : "set", o.top_k);

        nidus_hits *h = NULL;
        CHECK_OK_DB(db, nidus_search(db, q, qlen, &o, &h));
        const json_t *want = jget(s, "hits");
        if (h->count != json_array_size(want))
            t_fail(__FILE__, __LINE__, "%s: %zu hits, want %zu", what, h->count, json_array_size(want));
        for (size_t i = 0; i < h->count; i++) {
            const nidus_hit *hit = &h->hits[i];
            const json_t *w = json_array_get(want, i);
            if (strcmp(hit->collection, jstr(w, "collection")) != 0 || strcmp(hit->id, jstr(w, "id")) != 0)
                t_fail(__FILE__, __LINE__, "%s: hit %zu is %s/%s, want %s/%s", what, i, hit->collection, hit->id,
                       jstr(w, "collection"), jstr(w, "id"));
            uint32_t got = f32_bits(hit->score), wb = hex_bits(jget(w, "score_bits"));
            if (got != wb)
                t_fail(__FILE__, __LINE__, "%s: hit %zu %s/%s score bits %08" PRIx32 " (%.9g), want %08" PRIx32
                       " (%s)", what, i, hit->collection, hit->id, got, (double)hit->score, wb,
                       json_dumps(jget(w, "score"), JSON_ENCODE_ANY));
        }
        nidus_free(h);

        /* "matching": how many docs pass scope, filter and min_score. */
        o.top_k = (size_t)json_array_size(jget(ex, "records")) + 1;
        CHECK_OK_DB(db, nidus_search(db, q, qlen, &o, &h));
        if (h->count != (size_t)ju64(s, "matching"))
            t_fail(__FILE__, __LINE__, "%s: %zu matching, want %zu", what, h->count, (size_t)ju64(s, "matching"));
        nidus_free(h);
        pool_free(&p);
    }
}

/* Everything expected.json says the store shows. */
static void check_expected(nidus_db *db, const json_t *ex, int flags) {
    uint32_t dim = (uint32_t)ju64(ex, "dimension");
    CHECK_U64(nidus_dimension(db), dim);
    nidus_config cfg;
    CHECK_OK_DB(db, nidus_get_config(db, &cfg));
    CHECK_U64(cfg.dimension, dim);
    check_collections(db, ex);
    check_meta(db, ex);
    check_records(db, ex, dim);
    check_footprint(db, ex, flags);
    check_searches(db, ex);
}

static void check_same_file(const char *got_path, const char *want_path) {
    size_t ng = 0, nw = 0;
    unsigned char *g = t_read_file(got_path, &ng), *w = t_read_file(want_path, &nw);
    if (!g) t_fail(__FILE__, __LINE__, "%s is missing", got_path);
    if (!w) t_fail(__FILE__, __LINE__, "%s is missing", want_path);
    size_t i = 0;
    while (i < ng && i < nw && g[i] == w[i]) i++;
    if (ng != nw || i != ng)
        t_fail(__FILE__, __LINE__, "%s differs from %s: %zu vs %zu bytes, first difference at byte %zu", got_path,
               want_path, ng, nw, i);
    free(g);
    free(w);
}

/* The directory holds exactly `data` and `log`. */
static void check_only_data_and_log(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) t_fail(__FILE__, __LINE__, "opendir %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "data") || !strcmp(n, "log")) continue;
        t_fail(__FILE__, __LINE__, "%s: unexpected file \"%s\"", dir, n);
    }
    closedir(d);
}

static char *copy_store(const char *store) {
    char *dir = malloc(600);
    if (!dir) t_fail(__FILE__, __LINE__, "out of memory");
    snprintf(dir, 600, "%s/%s", t_tmpdir(), store);
    t_copy_dir(golden_dir(store), dir);
    check_same_file(t_path(dir, "data"), t_path(golden_dir(store), "data"));
    check_same_file(t_path(dir, "log"), t_path(golden_dir(store), "log"));
    return dir;
}

static nidus_db *open_ro(const char *dir) {
    nidus_config c;
    nidus_config_init(&c, 0); /* dimension from the header */
    c.read_only = 1;
    return th_open_cfg(dir, &c);
}

/* ------------------------------------------------------ the three checks ---- */

static void golden_opens_readonly(const char *store) {
    json_t *ex = load_json(store, "expected.json");
    const json_t *files = jget(ex, "files");
    char *dir = copy_store(store);
    CHECK_U64(t_file_size(t_path(dir, "data")), ju64(files, "data_bytes_before_open"));
    CHECK_U64(t_file_size(t_path(dir, "log")), ju64(files, "log_bytes_before_open"));

    nidus_db *db = open_ro(dir);
    CHECK_INT(t_file_size(t_path(dir, "lock")), -1);
    check_expected(db, ex, LAYOUT_EXACT);
    /* Writes are refused. */
    CHECK_RC(nidus_create_collection(db, "x"), NIDUS_EREADONLY);
    CHECK_OK_DB(db, nidus_close(db));

    CHECK_U64(t_file_size(t_path(dir, "data")), ju64(files, "data_bytes_after_open"));
    CHECK_U64(t_file_size(t_path(dir, "log")), ju64(files, "log_bytes_after_open"));
    check_same_file(t_path(dir, "data"), t_path(golden_dir(store), "data"));
    check_same_file(t_path(dir, "log"), t_path(golden_dir(store), "log"));
    check_only_data_and_log(dir);
    free(dir);
    json_decref(ex);
}

static void replay_step(nidus_db *db, const json_t *step, size_t at) {
    const char *op = jstr(step, "op");
    const json_t *ret = jget(step, "returns");
    if (strcmp(op, "create_collection") == 0) {
        CHECK(json_is_null(ret));
        CHECK_OK_DB(db, nidus_create_collection(db, jstr(step, "collection")));
    } else if (strcmp(op, "drop_collection") == 0) {
        CHECK(json_is_null(ret));
        CHECK_OK_DB(db, nidus_drop_collection(db, jstr(step, "collection")));
    } else if (strcmp(op, "set_meta") == 0) {
        CHECK(json_is_null(ret));
        const json_t *meta = jget(step, "meta");
        nidus_meta_entry *e = calloc(json_object_size(meta) + 1, sizeof *e);
        if (!e) t_fail(__FILE__, __LINE__, "out of memory");
        size_t n = 0;
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)meta, key, val) {
            e[n].key = key;
            e[n].value = json_string_value(val);
            CHECK(e[n].value != NULL);
            n++;
        }
        CHECK_OK_DB(db, nidus_set_meta(db, jstr(step, "collection"), e, n));
        free(e);
    } else if (strcmp(op, "upsert") == 0) {
        const json_t *recs = jget(step, "records");
        pool p = {0};
        size_t n = json_array_size(recs);
        nidus_record *r = pool_alloc(&p, n * sizeof *r);
        for (size_t i = 0; i < n; i++) {
            const json_t *rj = json_array_get(recs, i);
            r[i].id = jstr(rj, "id");
            r[i].vector = json_floats(&p, jget(rj, "vector"), &r[i].dim);
            r[i].attrs = json_to_attrs(&p, jget(rj, "attrs"), &r[i].n_attrs);
        }
        CHECK_U64(ju64(step, "returns"), n);
        CHECK_OK_DB(db, nidus_upsert(db, jstr(step, "collection"), r, n));
        pool_free(&p);
    } else if (strcmp(op, "delete") == 0) {
        const json_t *ids = jget(step, "ids");
        size_t n = json_array_size(ids);
        const char **v = calloc(n + 1, sizeof *v);
        if (!v) t_fail(__FILE__, __LINE__, "out of memory");
        for (size_t i = 0; i < n; i++) v[i] = json_string_value(json_array_get(ids, i));
        size_t deleted = (size_t)-1;
        CHECK_OK_DB(db, nidus_delete(db, jstr(step, "collection"), v, n, &deleted));
        CHECK_U64(deleted, ju64(step, "returns"));
        free(v);
    } else if (strcmp(op, "compact") == 0) {
        CHECK(json_is_null(ret));
        CHECK_OK_DB(db, nidus_compact(db));
    } else {
        t_fail(__FILE__, __LINE__, "step %zu: unknown op \"%s\"", at, op);
    }
}

static void golden_replay_script(const char *store) {
    json_t *script = load_json(store, "script.json"), *ex = load_json(store, "expected.json");
    const char *dir = t_tmpdir();
    nidus_config c;
    nidus_config_init(&c, (uint32_t)ju64(script, "dimension"));
    nidus_db *db = th_open_cfg(dir, &c);
    size_t i;
    json_t *step;
    json_array_foreach(jget(script, "steps"), i, step) replay_step(db, step, i);
    CHECK_OK_DB(db, nidus_close(db));

    check_same_file(t_path(dir, "data"), t_path(golden_dir(store), "data"));
    check_same_file(t_path(dir, "log"), t_path(golden_dir(store), "log"));

    /* And the replayed store shows what the golden one does. */
    db = open_ro(dir);
    check_expected(db, ex, LAYOUT_EXACT);
    CHECK_OK_DB(db, nidus_close(db));
    json_decref(script);
    json_decref(ex);
}

static void golden_readwrite_open(const char *store) {
    json_t *ex = load_json(store, "expected.json");
    const json_t *fj = jget(ex, "footprint");
    char *dir = copy_store(store);
    /* Auto-compaction (default ratio 0.5) runs when dead/rows > 0.5. */
    uint64_t rows = ju64(fj, "rows"), dead = ju64(fj, "dead_rows");
    int compacts = rows > 0 && (double)dead / (double)rows > 0.5;

    nidus_config c;
    nidus_config_init(&c, 0);
    nidus_db *db = th_open_cfg(dir, &c);
    CHECK(t_file_size(t_path(dir, "lock")) >= 0); /* the writer lock */
    CHECK_U64(th_fp(db).doc_count, json_array_size(jget(ex, "records")));
    size_t total = 0, ci;
    json_t *cj;
    json_array_foreach(jget(ex, "collections"), ci, cj) total += th_count(db, json_string_value(cj));
    CHECK_U64(total, json_array_size(jget(ex, "records")));
    check_expected(db, ex, compacts ? 0 : LAYOUT_EXACT);
    CHECK_OK_DB(db, nidus_close(db));
    if (!compacts) { /* nothing to recover or compact: the files are untouched */
        check_same_file(t_path(dir, "data"), t_path(golden_dir(store), "data"));
        check_same_file(t_path(dir, "log"), t_path(golden_dir(store), "log"));
    }

    db = open_ro(dir);
    check_expected(db, ex, compacts ? 0 : LAYOUT_EXACT);
    CHECK_OK_DB(db, nidus_close(db));
    free(dir);
    json_decref(ex);
}

/* ---------------------------------------------------------------- tests ---- */

TEST(golden_a_minimal_opens_readonly) { golden_opens_readonly("a_minimal"); }
TEST(golden_b_mixed_opens_readonly) { golden_opens_readonly("b_mixed"); }
TEST(golden_c_compacted_opens_readonly) { golden_opens_readonly("c_compacted"); }

TEST(golden_a_minimal_replay_script) { golden_replay_script("a_minimal"); }
TEST(golden_b_mixed_replay_script) { golden_replay_script("b_mixed"); }
TEST(golden_c_compacted_replay_script) { golden_replay_script("c_compacted"); }

TEST(golden_a_minimal_readwrite_open) { golden_readwrite_open("a_minimal"); }
TEST(golden_b_mixed_readwrite_open) { golden_readwrite_open("b_mixed"); }
TEST(golden_c_compacted_readwrite_open) { golden_readwrite_open("c_compacted"); }

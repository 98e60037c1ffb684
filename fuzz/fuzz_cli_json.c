/*
 * fuzz_cli_json — the CLI's JSON readers (cli/json.c: cj_try_parse, cj_record,
 * cj_where, cj_vector, cj_value, cj_attrs) and its exact float printing, linked
 * alone with the stubs below (the rest of the CLI exits on errors).
 *
 * Input: JSON text; or 0xFF then raw bytes read as f32 / f64 values.
 *
 * Properties:
 *  - nothing the readers accept is refused by the library: a record upserts into
 *    a store of its dimension, values and attrs pass the library's validation,
 *    vectors are finite; a filter (nidus 0.80's JSON form, cj_where) compiles or
 *    is refused only as "invalid filter: ..." (the regex and depth rules are the
 *    library's), and every error of cj_where says "invalid filter:";
 *  - what the CLI prints reads back exactly: a value, attrs or a vector printed
 *    with cj_print (jansson, with cj_f32 / cj_f64's precision) and parsed again give
 *    the same values bit for bit (Float and vector components included);
 *  - cj_digits_f32 / cj_digits_f64 give the fewest "%.Ng" digits that read back.
 */
#include <jansson.h>
#include <math.h>

#include "cli.h"
#include "json.h"
#include "common.h"
#include "op_check.h"

/* ---- what cli/json.c takes from the rest of the CLI ---- */

_Noreturn void cli_fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "cli_fail reached: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort(); /* the readers report errors through their err buffer, never by exiting */
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* ---- helpers ---- */

/* Print j (stolen) as the CLI does, parse the text again. */
static json_t *print_and_parse(json_t *j) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) abort();
    static bool pretty;
    pretty = !pretty; /* both layouts */
    cj_print(f, j, pretty);
    fclose(f);
    char err[CJ_ERR];
    json_t *back = cj_try_parse(text, len, err);
    FZ_CHECK_MSG(back != NULL, "printed JSON does not parse: %s\n%s", err, text);
    free(text);
    return back;
}

static bool attrs_valid(const nidus_attr *a, size_t n, nattrs *out) {
    nerr e = {0};
    int rc = nidus__attrs_from_input(a, n, out, &e);
    FZ_CHECK_MSG(rc == NIDUS_OK, "attrs accepted by the CLI refused by the library: %s", e.msg);
    return true;
}

static void check_value_roundtrip(const nidus_value *v) {
    json_t *back = print_and_parse(cj_value_out(v));
    arena a = {0};
    char err[CJ_ERR];
    nidus_value w;
    FZ_CHECK_MSG(cj_value(back, &w, &a, err), "printed value does not read back: %s", err);
    /* Compare owned copies (fz_value_same wants explicit lengths). */
    nidus_attr in[2] = {{"k", *v}, {"k2", w}};
    nattrs x;
    attrs_valid(in, 2, &x);
    FZ_CHECK_MSG(fz_value_same(&x.items[0].val, &x.items[1].val), "value changed through print and read");
    nidus__attrs_free(&x);
    json_decref(back);
    arena_free(&a);
}

static void check_vector_roundtrip(const float *v, size_t n) {
    json_t *back = print_and_parse(cj_vector_out(v, n));
    arena a = {0};
    char err[CJ_ERR];
    float *w;
    size_t m;
    FZ_CHECK_MSG(cj_vector(back, &w, &m, &a, err), "printed vector does not read back: %s", err);
    FZ_CHECK(m == n);
    for (size_t i = 0; i < n; i++)
        FZ_CHECK_MSG(memcmp(&v[i], &w[i], sizeof *w) == 0, "vector[%zu] %.9g read back as %.9g", i, (double)v[i],
                     (double)w[i]);
    json_decref(back);
    arena_free(&a);
}

/* A record, printed as `get` prints it (vector and Float attrs in one document, so
 * the shared precision is exercised), reads back the same. */
static void check_record_roundtrip(const nidus_record *r) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "vector", cj_vector_out(r->vector, r->dim));
    json_object_set_new(o, "attrs", cj_attrs_out(r->attrs, r->n_attrs));
    json_t *back = print_and_parse(o);
    arena a = {0};
    char err[CJ_ERR];
    nidus_record s;
    FZ_CHECK_MSG(cj_record(back, &s, &a, err), "printed record does not read back: %s", err);
    FZ_CHECK(!strcmp(s.id, r->id) && s.dim == r->dim);
    FZ_CHECK(s.dim == 0 || memcmp(s.vector, r->vector, s.dim * sizeof(float)) == 0);
    nattrs x, y;
    attrs_valid(r->attrs, r->n_attrs, &x);
    attrs_valid(s.attrs, s.n_attrs, &y);
    FZ_CHECK(x.n == y.n);
    for (size_t i = 0; i < x.n; i++)
        FZ_CHECK(fz_str_eq(x.items[i].key, y.items[i].key) && fz_value_same(&x.items[i].val, &y.items[i].val));
    nidus__attrs_free(&x);
    nidus__attrs_free(&y);
    json_decref(back);
    arena_free(&a);
}

static void raw_floats(const uint8_t *p, size_t n) {
    float fv[64];
    size_t nf = 0;
    for (size_t i = 0; i + 4 <= n && nf < 64; i += 4) {
        float f;
        memcpy(&f, p + i, 4);
        if (!isfinite(f)) continue;
        int d = cj_digits_f32(f);
        char b[320]; /* sized for any "%.*g" so no compiler warns */
        snprintf(b, sizeof b, "%.*g", d, (double)f);
        float g = strtof(b, NULL);
        FZ_CHECK_MSG(memcmp(&f, &g, 4) == 0, "%.9g printed with %d digits reads back as %.9g", (double)f, d, (double)g);
        if (d > 1) {
            snprintf(b, sizeof b, "%.*g", d - 1, (double)f);
            g = strtof(b, NULL);
            FZ_CHECK_MSG(memcmp(&f, &g, 4) != 0, "%.9g needs only %d digits, not %d", (double)f, d - 1, d);
        }
        fv[nf++] = f;
    }
    for (size_t i = 0; i + 8 <= n; i += 8) {
        double x;
        memcpy(&x, p + i, 8);
        if (!isfinite(x)) continue;
        int d = cj_digits_f64(x);
        char b[320]; /* sized for any "%.*g" so no compiler warns */
        snprintf(b, sizeof b, "%.*g", d, x);
        double y = strtod(b, NULL);
        FZ_CHECK_MSG(memcmp(&x, &y, 8) == 0, "%.17g printed with %d digits reads back as %.17g", x, d, y);
        if (d > 1) {
            snprintf(b, sizeof b, "%.*g", d - 1, x);
            y = strtod(b, NULL);
            FZ_CHECK_MSG(memcmp(&x, &y, 8) != 0, "%.17g needs only %d digits, not %d", x, d - 1, d);
        }
        check_value_roundtrip(&(nidus_value){.type = NIDUS_FLOAT, .v.f = x});
    }
    check_vector_roundtrip(fv, nf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size && data[0] == 0xFF) {
        raw_floats(data + 1, size - 1);
        return 0;
    }
    char err[CJ_ERR];
    json_t *j = cj_try_parse((const char *)data, size, err);
    if (!j) return 0;
    arena a = {0};

    nidus_record r;
    if (cj_record(j, &r, &a, err)) {
        FZ_CHECK(r.id && nidus__utf8_valid(r.id, strlen(r.id)));
        for (size_t i = 0; i < r.dim; i++) FZ_CHECK(isfinite(r.vector[i]));
        nattrs x;
        attrs_valid(r.attrs, r.n_attrs, &x);
        nidus__attrs_free(&x);
        if (r.dim >= 1 && r.dim <= 256) {
            nidus_db *db = NULL;
            FZ_CHECK(nidus_open_memory((uint32_t)r.dim, &db) == NIDUS_OK);
            int rc = nidus_upsert(db, "c", &r, 1);
            FZ_CHECK_MSG(rc == NIDUS_OK, "record accepted by the CLI refused by the library: %s", nidus_errmsg(db));
            nidus_close(db);
        }
        check_record_roundtrip(&r);
    }
    /* The CLI checks a filter's shape and types; the library judges the rest
     * (regexes, nesting depth). So what cj_where accepts compiles, or is refused
     * only as a bad filter, never any other way. */
    const nidus_filter *where;
    if (cj_where(j, &where, &a, err)) {
        nfilter *f = NULL;
        nerr e = {0};
        int rc = nidus__filter_compile_tree(NULL, 0, where, &f, &e);
        FZ_CHECK_MSG(rc == NIDUS_OK || (rc == NIDUS_EINVAL && strncmp(e.msg, "invalid filter:", 15) == 0),
                     "filter accepted by the CLI refused by the library: %d %s", rc, e.msg);
        nidus__filter_free(f);
    } else {
        FZ_CHECK_MSG(strncmp(err, "invalid filter:", 15) == 0, "cj_where's error lacks its prefix: %s", err);
    }
    float *v;
    size_t dim;
    if (cj_vector(j, &v, &dim, &a, err)) {
        for (size_t i = 0; i < dim; i++) FZ_CHECK(isfinite(v[i]));
        check_vector_roundtrip(v, dim);
    }
    nidus_value val;
    if (cj_value(j, &val, &a, err)) {
        nattrs x;
        attrs_valid(&(nidus_attr){"k", val}, 1, &x);
        nidus__attrs_free(&x);
        check_value_roundtrip(&val);
    }
    const nidus_attr *at;
    size_t na;
    if (cj_attrs(j, &at, &na, &a, err)) {
        nattrs x;
        attrs_valid(at, na, &x);
        nidus__attrs_free(&x);
    }
    json_decref(j);
    arena_free(&a);
    return 0;
}

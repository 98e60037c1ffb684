/* test_filter.c — filter semantics (reference §2.7 and the §6 filter list), the
 * Float/DateTime extensions, and filter compilation. */
#include "test.h"

#include "nidus_internal.h"

/* ---------------------------------------------------------------- helpers ---- */

static nattrs mk(const nidus_attr *in, size_t n) {
    nattrs a;
    nerr e = {0};
    int rc = nidus__attrs_from_input(in, n, &a, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "attrs_from_input -> %d: %s", rc, e.msg);
    return a;
}

#define N_OF(T, ...) (sizeof((T[]){__VA_ARGS__}) / sizeof(T))
#define ATTRS(...) mk((const nidus_attr[]){__VA_ARGS__}, N_OF(nidus_attr, __VA_ARGS__))
#define A(k, v) ((nidus_attr){(k), (v)})

static nidus_pred eq(const char *k, nidus_value v) {
    nidus_pred p = {0};
    p.kind = NIDUS_PRED_EQ;
    p.key = k;
    p.value = v;
    return p;
}

static nidus_pred glob(const char *k, const char *pat) {
    nidus_pred p = {0};
    p.kind = NIDUS_PRED_GLOB;
    p.key = k;
    p.pattern = pat;
    return p;
}

static nidus_pred in(const char *k, const nidus_value *set, size_t n) {
    nidus_pred p = {0};
    p.kind = NIDUS_PRED_IN;
    p.key = k;
    p.set = set;
    p.set_len = n;
    return p;
}

#define SET(...) (const nidus_value[]){__VA_ARGS__}, N_OF(nidus_value, __VA_ARGS__)

/* Compile (must succeed), match once, free. */
static bool run(const nidus_pred *p, size_t n, const nattrs *a) {
    nfilter *f = NULL;
    nerr e = {0};
    int rc = nidus__filter_compile(p, n, &f, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "filter_compile -> %d: %s", rc, e.msg);
    bool r = nidus__filter_match(f, a);
    nidus__filter_free(f);
    return r;
}

#define MATCH(a, ...) run((const nidus_pred[]){__VA_ARGS__}, N_OF(nidus_pred, __VA_ARGS__), &(a))

/* Compile must fail with `want`; returns the message for substring checks. */
static const char *compile_fails(const nidus_pred *p, size_t n, int want) {
    static nerr e;
    nfilter *f = (nfilter *)&e; /* any non-NULL value: must come back NULL */
    memset(&e, 0, sizeof e);
    int rc = nidus__filter_compile(p, n, &f, &e);
    if (rc != want) t_fail(__FILE__, __LINE__, "filter_compile -> %d, want %d", rc, want);
    if (f) t_fail(__FILE__, __LINE__, "failed compile left *out set");
    if (e.code != want) t_fail(__FILE__, __LINE__, "nerr code %d, want %d", e.code, want);
    return e.msg;
}

/* The usual record of the reference tests. */
static nattrs doc(void) {
    static const nidus_str tags[] = {{"x", NIDUS_NTS}, {"y", NIDUS_NTS}};
    return ATTRS(A("path", nidus_string("src/auth/login.rs")), A("lang", nidus_string("rust")),
                 A("n", nidus_int(42)), A("ok", nidus_bool(1)), A("tags", nidus_list(tags, 2)),
                 A("none", nidus_null()));
}

/* ------------------------------------------------------- empty filter ---- */

TEST(filter_empty_matches_everything) {
    nattrs a = doc();
    nattrs none = {NULL, 0};
    nfilter *f = (nfilter *)&a;
    nerr e = {0};
    CHECK_INT(nidus__filter_compile(NULL, 0, &f, &e), NIDUS_OK);
    CHECK(f == NULL);
    CHECK(nidus__filter_match(f, &a));
    CHECK(nidus__filter_match(f, &none));
    CHECK(nidus__filter_match(NULL, NULL));
    nidus__filter_free(NULL);
    nidus__attrs_free(&a);
}

/* ----------------------------------------------------------------- Eq ---- */

TEST(filter_eq_str) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("lang", nidus_string("rust"))));
    CHECK(!MATCH(a, eq("lang", nidus_string("go"))));
    CHECK(!MATCH(a, eq("lang", nidus_string("Rust"))));
    CHECK(!MATCH(a, eq("lang", nidus_string("rus"))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_str_explicit_length) {
    nattrs a = doc();
    nidus_value v = {.type = NIDUS_STR, .v.str = {"rustacean", 4}};
    CHECK(MATCH(a, eq("lang", v)));
    v.v.str.len = 5;
    CHECK(!MATCH(a, eq("lang", v)));
    nidus__attrs_free(&a);
}

TEST(filter_eq_int) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("n", nidus_int(42))));
    CHECK(!MATCH(a, eq("n", nidus_int(43))));
    CHECK(!MATCH(a, eq("n", nidus_int(-42))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_int_extremes) {
    nattrs a = ATTRS(A("lo", nidus_int(INT64_MIN)), A("hi", nidus_int(INT64_MAX)));
    CHECK(MATCH(a, eq("lo", nidus_int(INT64_MIN)), eq("hi", nidus_int(INT64_MAX))));
    CHECK(!MATCH(a, eq("lo", nidus_int(INT64_MAX))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_bool) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("ok", nidus_bool(1))));
    CHECK(!MATCH(a, eq("ok", nidus_bool(0))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_bool_nonzero_reads_as_true) {
    nidus_value raw = {.type = NIDUS_BOOL, .v.b = 7};
    nattrs a = ATTRS(A("ok", raw));
    CHECK_INT(a.items[0].val.v.b, 1);
    CHECK(MATCH(a, eq("ok", nidus_bool(1))));
    nidus_value raw2 = {.type = NIDUS_BOOL, .v.b = -3};
    CHECK(MATCH(a, eq("ok", raw2)));
    nidus__attrs_free(&a);
}

TEST(filter_eq_list) {
    nattrs a = doc();
    nidus_str same[] = {{"x", 1}, {"y", 1}};
    CHECK(MATCH(a, eq("tags", nidus_list(same, 2))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_list_order_matters) {
    nattrs a = doc();
    nidus_str rev[] = {{"y", 1}, {"x", 1}};
    CHECK(!MATCH(a, eq("tags", nidus_list(rev, 2))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_list_length_matters) {
    nattrs a = doc();
    nidus_str one[] = {{"x", 1}};
    nidus_str three[] = {{"x", 1}, {"y", 1}, {"y", 1}};
    CHECK(!MATCH(a, eq("tags", nidus_list(one, 1))));
    CHECK(!MATCH(a, eq("tags", nidus_list(three, 3))));
    CHECK(!MATCH(a, eq("tags", nidus_list(NULL, 0))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_empty_list) {
    nattrs a = ATTRS(A("l", nidus_list(NULL, 0)), A("s", nidus_string("")));
    CHECK(MATCH(a, eq("l", nidus_list(NULL, 0))));
    nidus_str empty[] = {{"", 0}};
    CHECK(!MATCH(a, eq("l", nidus_list(empty, 1))));
    CHECK(!MATCH(a, eq("s", nidus_list(NULL, 0)))); /* "" is not [] */
    nidus__attrs_free(&a);
}

TEST(filter_eq_null_present_matches) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("none", nidus_null())));
    nidus__attrs_free(&a);
}

TEST(filter_eq_null_absent_does_not_match) {
    nattrs a = doc();
    CHECK(!MATCH(a, eq("missing", nidus_null())));
    nattrs empty = {NULL, 0};
    CHECK(!MATCH(empty, eq("missing", nidus_null())));
    nidus__attrs_free(&a);
}

TEST(filter_eq_null_is_not_empty_string) {
    nattrs a = ATTRS(A("s", nidus_string("")), A("z", nidus_int(0)), A("f", nidus_bool(0)));
    CHECK(!MATCH(a, eq("s", nidus_null())));
    CHECK(!MATCH(a, eq("z", nidus_null())));
    CHECK(!MATCH(a, eq("f", nidus_null())));
    nidus__attrs_free(&a);
}

TEST(filter_eq_absent_key) {
    nattrs a = doc();
    CHECK(!MATCH(a, eq("color", nidus_string("red"))));
    CHECK(!MATCH(a, eq("", nidus_string("rust"))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_str_vs_int_no_coercion) {
    nattrs s = ATTRS(A("v", nidus_string("1")));
    nattrs i = ATTRS(A("v", nidus_int(1)));
    CHECK(!MATCH(s, eq("v", nidus_int(1))));
    CHECK(!MATCH(i, eq("v", nidus_string("1"))));
    CHECK(MATCH(s, eq("v", nidus_string("1"))));
    CHECK(MATCH(i, eq("v", nidus_int(1))));
    nidus__attrs_free(&s);
    nidus__attrs_free(&i);
}

TEST(filter_eq_bool_vs_int_no_coercion) {
    nattrs a = ATTRS(A("b", nidus_bool(1)), A("i", nidus_int(1)));
    CHECK(!MATCH(a, eq("b", nidus_int(1))));
    CHECK(!MATCH(a, eq("i", nidus_bool(1))));
    nidus__attrs_free(&a);
}

TEST(filter_eq_single_item_list_is_not_str) {
    nidus_str one[] = {{"x", 1}};
    nattrs a = ATTRS(A("l", nidus_list(one, 1)), A("s", nidus_string("x")));
    CHECK(!MATCH(a, eq("l", nidus_string("x"))));
    CHECK(!MATCH(a, eq("s", nidus_list(one, 1))));
    nidus__attrs_free(&a);
}

/* --------------------------------------------------------------- Glob ---- */

TEST(filter_glob_star) {
    nattrs a = doc();
    CHECK(MATCH(a, glob("path", "src/*")));
    CHECK(MATCH(a, glob("path", "*")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_no_match) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("path", "lib/*")));
    CHECK(!MATCH(a, glob("path", "src")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_extension) {
    nattrs a = doc();
    CHECK(MATCH(a, glob("path", "*.rs")));
    CHECK(!MATCH(a, glob("path", "*.py")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_question) {
    nattrs a = doc();
    CHECK(MATCH(a, glob("lang", "r??t")));
    CHECK(!MATCH(a, glob("lang", "r?t")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_class) {
    nattrs a = doc();
    CHECK(MATCH(a, glob("lang", "[rg]ust")));
    CHECK(!MATCH(a, glob("lang", "[!r]ust")));
    CHECK(MATCH(a, glob("lang", "[a-z]*")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_exact) {
    nattrs a = doc();
    CHECK(MATCH(a, glob("lang", "rust")));
    CHECK(!MATCH(a, glob("lang", "rus"))); /* anchored: no prefix match */
    CHECK(!MATCH(a, glob("lang", "rusty")));
    CHECK(!MATCH(a, glob("lang", "")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_empty_pattern_matches_empty_string) {
    nattrs a = ATTRS(A("s", nidus_string("")));
    CHECK(MATCH(a, glob("s", "")));
    CHECK(MATCH(a, glob("s", "*")));
    CHECK(!MATCH(a, glob("s", "?")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_on_int_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("n", "*")));
    CHECK(!MATCH(a, glob("n", "42")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_on_null_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("none", "*")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_on_bool_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("ok", "*")));
    CHECK(!MATCH(a, glob("ok", "true")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_on_list_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("tags", "*")));
    CHECK(!MATCH(a, glob("tags", "x")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_absent_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, glob("missing", "*")));
    nidus__attrs_free(&a);
}

TEST(filter_glob_unicode) {
    nattrs a = ATTRS(A("clé", nidus_string("héllo wörld")));
    CHECK(MATCH(a, glob("clé", "h?llo w?rld")));
    CHECK(MATCH(a, glob("clé", "*ö*")));
    CHECK(!MATCH(a, glob("cle", "*")));
    nidus__attrs_free(&a);
}

/* ----------------------------------------------------------------- In ---- */

TEST(filter_in_match) {
    nattrs a = doc();
    CHECK(MATCH(a, in("lang", SET(nidus_string("go"), nidus_string("rust")))));
    nidus__attrs_free(&a);
}

TEST(filter_in_no_match) {
    nattrs a = doc();
    CHECK(!MATCH(a, in("lang", SET(nidus_string("go"), nidus_string("zig")))));
    nidus__attrs_free(&a);
}

TEST(filter_in_empty_set_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, in("lang", NULL, 0)));
    CHECK(!MATCH(a, in("none", NULL, 0)));
    nidus__attrs_free(&a);
}

TEST(filter_in_absent_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, in("missing", SET(nidus_string("rust")))));
    nidus__attrs_free(&a);
}

TEST(filter_in_null_present_matches) {
    nattrs a = doc();
    CHECK(MATCH(a, in("none", SET(nidus_string("x"), nidus_null()))));
    CHECK(!MATCH(a, in("none", SET(nidus_string("x")))));
    nidus__attrs_free(&a);
}

TEST(filter_in_null_absent_is_false) {
    nattrs a = doc();
    CHECK(!MATCH(a, in("missing", SET(nidus_null()))));
    nidus__attrs_free(&a);
}

TEST(filter_in_int) {
    nattrs a = doc();
    CHECK(MATCH(a, in("n", SET(nidus_int(1), nidus_int(42), nidus_int(7)))));
    CHECK(!MATCH(a, in("n", SET(nidus_int(1), nidus_int(7)))));
    nidus__attrs_free(&a);
}

TEST(filter_in_mixed_types_no_coercion) {
    nattrs a = doc();
    CHECK(!MATCH(a, in("n", SET(nidus_string("42"), nidus_float(42.0), nidus_bool(1)))));
    CHECK(MATCH(a, in("n", SET(nidus_string("42"), nidus_int(42)))));
    nidus__attrs_free(&a);
}

TEST(filter_in_list_values) {
    nattrs a = doc();
    nidus_str xy[] = {{"x", 1}, {"y", 1}}, yx[] = {{"y", 1}, {"x", 1}};
    CHECK(MATCH(a, in("tags", SET(nidus_list(yx, 2), nidus_list(xy, 2)))));
    CHECK(!MATCH(a, in("tags", SET(nidus_list(yx, 2), nidus_string("x")))));
    nidus__attrs_free(&a);
}

/* ---------------------------------------------------------------- AND ---- */

TEST(filter_and_all_hold) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("lang", nidus_string("rust")), glob("path", "src/auth/*"),
                in("n", SET(nidus_int(42)))));
    nidus__attrs_free(&a);
}

TEST(filter_and_one_fails) {
    nattrs a = doc();
    CHECK(!MATCH(a, eq("lang", nidus_string("rust")), glob("path", "lib/*")));
    CHECK(!MATCH(a, glob("path", "src/*"), eq("n", nidus_int(0))));
    CHECK(!MATCH(a, eq("lang", nidus_string("rust")), in("n", NULL, 0)));
    nidus__attrs_free(&a);
}

TEST(filter_and_one_absent_fails) {
    nattrs a = doc();
    CHECK(!MATCH(a, eq("lang", nidus_string("rust")), eq("missing", nidus_null())));
    nidus__attrs_free(&a);
}

TEST(filter_and_same_key_twice) {
    nattrs a = doc();
    CHECK(MATCH(a, eq("lang", nidus_string("rust")), glob("lang", "r*")));
    CHECK(!MATCH(a, eq("lang", nidus_string("rust")), eq("lang", nidus_string("go"))));
    nidus__attrs_free(&a);
}

TEST(filter_extra_attrs_ignored) {
    nattrs a = doc();
    nattrs b = ATTRS(A("lang", nidus_string("rust")));
    CHECK(MATCH(a, eq("lang", nidus_string("rust"))));
    CHECK(MATCH(b, eq("lang", nidus_string("rust"))));
    nidus__attrs_free(&a);
    nidus__attrs_free(&b);
}

TEST(filter_match_without_attrs) {
    nattrs none = {NULL, 0};
    CHECK(!MATCH(none, glob("k", "*")));
    CHECK(!MATCH(none, in("k", SET(nidus_null()))));
    nfilter *f = NULL;
    nidus_pred p = eq("k", nidus_null());
    CHECK_INT(nidus__filter_compile(&p, 1, &f, NULL), NIDUS_OK);
    CHECK(!nidus__filter_match(f, NULL));
    nidus__filter_free(f);
}

/* ------------------------------------------------- Float and DateTime ---- */

TEST(filter_float_eq) {
    nattrs a = ATTRS(A("f", nidus_float(0.5)), A("z", nidus_float(0.0)));
    CHECK(MATCH(a, eq("f", nidus_float(0.5))));
    CHECK(!MATCH(a, eq("f", nidus_float(0.25))));
    CHECK(MATCH(a, eq("z", nidus_float(-0.0)))); /* IEEE ==: -0 equals +0 */
    nidus__attrs_free(&a);
}

TEST(filter_float_nan_equals_nothing) {
    nattrs a = ATTRS(A("f", nidus_float(NAN)));
    CHECK(!MATCH(a, eq("f", nidus_float(NAN))));
    CHECK(!MATCH(a, in("f", SET(nidus_float(NAN)))));
    CHECK(MATCH(a, glob("f", "*")) == false);
    nidus__attrs_free(&a);
}

TEST(filter_float_no_coercion) {
    nattrs a = ATTRS(A("f", nidus_float(1.0)), A("i", nidus_int(1)));
    CHECK(!MATCH(a, eq("f", nidus_int(1))));
    CHECK(!MATCH(a, eq("i", nidus_float(1.0))));
    CHECK(!MATCH(a, glob("f", "1*")));
    CHECK(MATCH(a, in("f", SET(nidus_int(1), nidus_float(1.0)))));
    nidus__attrs_free(&a);
}

TEST(filter_float_infinity) {
    nattrs a = ATTRS(A("f", nidus_float(INFINITY)));
    CHECK(MATCH(a, eq("f", nidus_float(INFINITY))));
    CHECK(!MATCH(a, eq("f", nidus_float(-INFINITY))));
    nidus__attrs_free(&a);
}

TEST(filter_datetime_eq) {
    nattrs a = ATTRS(A("t", nidus_datetime(1700000000123)));
    CHECK(MATCH(a, eq("t", nidus_datetime(1700000000123))));
    CHECK(!MATCH(a, eq("t", nidus_datetime(1700000000124))));
    CHECK(MATCH(a, in("t", SET(nidus_datetime(0), nidus_datetime(1700000000123)))));
    nidus__attrs_free(&a);
}

TEST(filter_datetime_is_not_int) {
    nattrs a = ATTRS(A("t", nidus_datetime(5)), A("i", nidus_int(5)));
    CHECK(!MATCH(a, eq("t", nidus_int(5))));
    CHECK(!MATCH(a, eq("i", nidus_datetime(5))));
    CHECK(!MATCH(a, in("t", SET(nidus_int(5)))));
    CHECK(!MATCH(a, glob("t", "*")));
    nidus__attrs_free(&a);
}

/* -------------------------------------------------------- compilation ---- */

TEST(filter_compile_copies_caller_memory) {
    char key[] = "lang", pat[] = "ru*", val[] = "rust", sv[] = "go";
    nidus_value set[] = {nidus_string(sv)};
    nidus_pred p[] = {eq(key, nidus_string(val)), glob(key, pat), in(key, set, 1)};
    nfilter *f = NULL;
    nerr e = {0};
    CHECK_INT(nidus__filter_compile(p, 3, &f, &e), NIDUS_OK);
    /* Scribble over everything the caller passed; the filter must not notice. */
    memset(key, 'X', 4);
    memset(pat, 'X', 3);
    memset(val, 'X', 4);
    memset(sv, 'X', 2);
    set[0] = nidus_int(9);
    memset(p, 0, sizeof p);
    nattrs go = ATTRS(A("lang", nidus_string("go")));
    nattrs rust = ATTRS(A("lang", nidus_string("rust")));
    CHECK(!nidus__filter_match(f, &go)); /* Eq "rust" fails */
    CHECK(!nidus__filter_match(f, &rust)); /* In {"go"} fails */
    nidus__filter_free(f);
    CHECK_INT(nidus__filter_compile(p, 0, &f, &e), NIDUS_OK);
    nidus_pred q[] = {glob("lang", "ru*"), in("lang", SET(nidus_string("rust")))};
    CHECK_INT(nidus__filter_compile(q, 2, &f, &e), NIDUS_OK);
    CHECK(nidus__filter_match(f, &rust));
    CHECK(!nidus__filter_match(f, &go));
    nidus__filter_free(f);
    nidus__attrs_free(&go);
    nidus__attrs_free(&rust);
}

TEST(filter_compile_rejects_bad_utf8) {
    const char *m;
    nidus_pred p = eq("k\xC0\x80", nidus_int(1));
    m = compile_fails(&p, 1, NIDUS_EINVAL);
    CHECK(strstr(m, "UTF-8") && strstr(m, "predicate 0"));
    p = glob("k", "a\xED\xA0\x80*");
    m = compile_fails(&p, 1, NIDUS_EINVAL);
    CHECK(strstr(m, "pattern") && strstr(m, "UTF-8"));
    nidus_pred two[] = {eq("k", nidus_int(1)), eq("k", nidus_string("\xFF"))};
    m = compile_fails(two, 2, NIDUS_EINVAL);
    CHECK(strstr(m, "predicate 1") && strstr(m, "UTF-8"));
    nidus_pred s = in("k", SET(nidus_string("ok"), nidus_string("bad\xF4\x90\x80\x80")));
    m = compile_fails(&s, 1, NIDUS_EINVAL);
    CHECK(strstr(m, "In") && strstr(m, "UTF-8"));
    nidus_str items[] = {{"ok", NIDUS_NTS}, {"\xE2\x82", 2}};
    p = eq("k", nidus_list(items, 2));
    m = compile_fails(&p, 1, NIDUS_EINVAL);
    CHECK(strstr(m, "list item 1"));
}

TEST(filter_compile_rejects_null_and_unknown) {
    nidus_pred p = eq(NULL, nidus_int(1));
    CHECK(strstr(compile_fails(&p, 1, NIDUS_EINVAL), "key is NULL"));
    p = glob("k", NULL);
    CHECK(strstr(compile_fails(&p, 1, NIDUS_EINVAL), "pattern is NULL"));
    p = in("k", NULL, 2);
    CHECK(strstr(compile_fails(&p, 1, NIDUS_EINVAL), "set"));
    p = eq("k", nidus_string(NULL));
    compile_fails(&p, 1, NIDUS_EINVAL);
    p = eq("k", nidus_int(1));
    p.kind = (nidus_pred_kind)7;
    CHECK(strstr(compile_fails(&p, 1, NIDUS_EINVAL), "unknown kind"));
    p = eq("k", nidus_int(1));
    p.value.type = (nidus_type)99;
    CHECK(strstr(compile_fails(&p, 1, NIDUS_EINVAL), "unknown value type"));
    compile_fails(NULL, 3, NIDUS_EINVAL);
}

TEST(filter_compile_survives_every_allocation_failure) {
    nidus_str items[] = {{"a", 1}, {"b", 1}};
    nidus_pred p[] = {eq("tags", nidus_list(items, 2)), glob("path", "src/*"),
                      in("lang", SET(nidus_string("rust"), nidus_list(items, 2), nidus_null()))};
    nattrs a = ATTRS(A("tags", nidus_list(items, 2)), A("path", nidus_string("src/x")),
                     A("lang", nidus_string("rust")));
    int oks = 0;
    for (long n = 0; n < 1000; n++) {
        nfilter *f = NULL;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus__filter_compile(p, 3, &f, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (rc == NIDUS_OK) {
            CHECK(!fired);
            CHECK(nidus__filter_match(f, &a));
            nidus__filter_free(f);
            oks++;
            break;
        }
        CHECK_INT(rc, NIDUS_ENOMEM);
        CHECK(f == NULL);
        CHECK(fired);
    }
    CHECK_INT(oks, 1);
    nidus__attrs_free(&a);
}

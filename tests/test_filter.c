/* test_filter.c — filter semantics (reference §2.7 and the §6 filter list), the
 * Float/DateTime extensions, and filter compilation. */
#include "test.h"

#include "test_attrs.h"
#include "test_hooks.h"
#include "test_filter_model.h"

/* ---------------------------------------------------------------- helpers ---- */

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

/* ================================================================================
 * nidus 0.80's filter trees: its table tests (src/filter/mod.rs, facts §3), every
 * case, as data. A case is attrs, a filter and the expected verdict.
 * ============================================================================= */

#define S(x) nidus_string(x)
#define I(x) nidus_int(x)
#define B(x) nidus_bool(x)
#define F(x) nidus_float(x)
#define DT(x) nidus_datetime(x)
#define NUL nidus_null()

/* A List value from up to 4 strings (NULL-terminated), items in a static pool. */
static nidus_value Lv(const char *a, const char *b, const char *c, const char *d) {
    static nidus_str pool[512][4];
    static size_t next;
    nidus_str *it = pool[next++ % 512];
    const char *s[4] = {a, b, c, d};
    size_t n = 0;
    while (n < 4 && s[n]) {
        it[n] = (nidus_str){s[n], NIDUS_NTS};
        n++;
    }
    return nidus_list(it, n);
}
#define L0 Lv(NULL, NULL, NULL, NULL)
#define L1(a) Lv(a, NULL, NULL, NULL)
#define L2(a, b) Lv(a, b, NULL, NULL)
#define L3(a, b, c) Lv(a, b, c, NULL)

#define VALS(...) (const nidus_value[]){__VA_ARGS__}, N_OF(nidus_value, __VA_ARGS__)
#define KIDS(...) (const nidus_filter[]){__VA_ARGS__}, N_OF(nidus_filter, __VA_ARGS__)
#define NOT(x) nidus_f_not((const nidus_filter[]){x})

/* Match a tree (compile must succeed). */
static bool wrun(const nidus_filter *w, const nattrs *a) {
    nfilter *f = NULL;
    nerr e = {0};
    int rc = nidus__filter_compile_tree(NULL, 0, w, &f, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "filter_compile_tree -> %d: %s", rc, e.msg);
    bool r = nidus__filter_match(f, a);
    nidus__filter_free(f);
    return r;
}

/* One case: a conjunction of 1..3 trees (nidus's Filter is a Vec<Predicate>). */
typedef struct fcase {
    int line;
    nattrs a;
    nidus_filter f[3];
    size_t nf;
    bool want;
} fcase;

static void run_cases(fcase *c, size_t n) {
    for (size_t i = 0; i < n; i++) {
        nidus_filter all = nidus_f_all(c[i].f, c[i].nf);
        const nidus_filter *w = c[i].nf == 1 ? &c[i].f[0] : &all;
        bool got = wrun(w, &c[i].a);
        if (got != c[i].want) t_fail(__FILE__, c[i].line, "case on line %d: got %d, want %d", c[i].line, got, c[i].want);
        nidus__attrs_free(&c[i].a);
    }
}

#define C1(attrs, p, w) {__LINE__, attrs, {p}, 1, w}
#define C2(attrs, p, q, w) {__LINE__, attrs, {p, q}, 2, w}
#define C3(attrs, p, q, r, w) {__LINE__, attrs, {p, q, r}, 3, w}
#define NOATTRS ((nattrs){NULL, 0})
#define RUN(...)                                                                   \
    do {                                                                           \
        fcase cs_[] = {__VA_ARGS__};                                               \
        run_cases(cs_, sizeof cs_ / sizeof *cs_);                                  \
    } while (0)

TEST(filter_tree_empty) {
    nattrs one = ATTRS(A("x", I(1)));
    CHECK(wrun(NULL, &one)); /* no tree: everything */
    nattrs none = NOATTRS;
    CHECK(wrun(NULL, &none));
    nfilter *f = (nfilter *)&one;
    nerr e = {0};
    CHECK_INT(nidus__filter_compile_tree(NULL, 0, NULL, &f, &e), NIDUS_OK);
    CHECK(f == NULL);
    nidus__attrs_free(&one);
}

TEST(filter_tree_eq) {
    RUN(C1(ATTRS(A("lang", S("rust"))), nidus_f_eq("lang", S("rust")), true),
        C1(ATTRS(A("lang", S("go"))), nidus_f_eq("lang", S("rust")), false),
        C1(ATTRS(A("count", I(42))), nidus_f_eq("count", I(42)), true),
        C1(ATTRS(A("count", I(42))), nidus_f_eq("count", I(0)), false),
        C1(ATTRS(A("active", B(1))), nidus_f_eq("active", B(1)), true),
        C1(ATTRS(A("active", B(1))), nidus_f_eq("active", B(0)), false),
        C1(ATTRS(A("tags", L2("a", "b"))), nidus_f_eq("tags", L2("a", "b")), true),
        C1(ATTRS(A("tags", L2("b", "a"))), nidus_f_eq("tags", L2("a", "b")), false),
        C1(ATTRS(A("edge", NUL)), nidus_f_eq("edge", NUL), true),
        C1(NOATTRS, nidus_f_eq("edge", NUL), false),
        C1(ATTRS(A("other", I(1))), nidus_f_eq("missing", I(1)), false),
        C1(ATTRS(A("x", S("1"))), nidus_f_eq("x", I(1)), false));
}

TEST(filter_tree_glob) {
    RUN(C1(ATTRS(A("path", S("src/main.rs"))), nidus_f_glob("path", "src/*"), true),
        C1(ATTRS(A("path", S("tests/foo.rs"))), nidus_f_glob("path", "src/*"), false),
        C1(ATTRS(A("file", S("Cargo.toml"))), nidus_f_glob("file", "*.toml"), true),
        C1(ATTRS(A("name", S("file1.rs"))), nidus_f_glob("name", "file?.rs"), true),
        C1(ATTRS(A("x", I(42))), nidus_f_glob("x", "*"), false),
        C1(ATTRS(A("x", NUL)), nidus_f_glob("x", "*"), false),
        C1(ATTRS(A("flag", B(1))), nidus_f_glob("flag", "*"), false),
        C1(ATTRS(A("tags", L1("rust"))), nidus_f_glob("tags", "*"), false),
        C1(ATTRS(A("tags", L1("rust"))), nidus_f_contains("tags", S("rust")), true),
        C1(NOATTRS, nidus_f_glob("path", "src/*"), false),
        C1(ATTRS(A("ver", S("v3"))), nidus_f_glob("ver", "v[0-9]"), true),
        C1(ATTRS(A("kind", S("file"))), nidus_f_glob("kind", "file"), true));
}

TEST(filter_tree_iglob) {
    RUN(C1(ATTRS(A("path", S("src/finance/rates.rs"))), nidus_f_iglob("path", "Src/Finance/*"), true),
        C1(ATTRS(A("file", S("README.md"))), nidus_f_glob("file", "*.MD"), false),
        C1(ATTRS(A("file", S("README.md"))), nidus_f_iglob("file", "*.MD"), true),
        C1(ATTRS(A("path", S("tests/foo.rs"))), nidus_f_iglob("path", "SRC/*"), false),
        C1(ATTRS(A("x", I(42))), nidus_f_iglob("x", "*"), false),
        C1(NOATTRS, nidus_f_iglob("path", "*"), false),
        C1(ATTRS(A("path", S("docs/café.md"))), nidus_f_iglob("path", "DOCS/café.MD"), true),
        C1(ATTRS(A("path", S("docs/café.md"))), nidus_f_iglob("path", "DOCS/CAFÉ.MD"), false));
}

TEST(filter_tree_in) {
    RUN(C1(ATTRS(A("lang", S("rust"))), nidus_f_in("lang", VALS(S("go"), S("rust"))), true),
        C1(ATTRS(A("lang", S("python"))), nidus_f_in("lang", VALS(S("go"), S("rust"))), false),
        C1(ATTRS(A("lang", S("rust"))), nidus_f_in("lang", NULL, 0), false),
        C1(NOATTRS, nidus_f_in("lang", VALS(S("rust"))), false),
        C1(ATTRS(A("edge", NUL)), nidus_f_in("edge", VALS(NUL, S("x"))), true),
        C1(NOATTRS, nidus_f_in("edge", VALS(NUL)), false),
        C1(ATTRS(A("code", I(200))), nidus_f_in("code", VALS(I(200), I(201), I(204))), true),
        C1(ATTRS(A("code", I(404))), nidus_f_in("code", VALS(I(200), I(201))), false));
}

TEST(filter_tree_and) {
    RUN(C3(ATTRS(A("lang", S("rust")), A("path", S("src/lib.rs")), A("active", B(1))), nidus_f_eq("lang", S("rust")),
           nidus_f_glob("path", "src/*.rs"), nidus_f_in("active", VALS(B(1))), true),
        C2(ATTRS(A("lang", S("go")), A("path", S("src/lib.rs"))), nidus_f_eq("lang", S("rust")),
           nidus_f_glob("path", "src/*"), false),
        C2(ATTRS(A("lang", S("rust")), A("path", S("tests/foo.rs"))), nidus_f_eq("lang", S("rust")),
           nidus_f_glob("path", "src/*"), false),
        C3(ATTRS(A("lang", S("rust")), A("path", S("src/main.rs")), A("kind", S("test"))),
           nidus_f_eq("lang", S("rust")), nidus_f_glob("path", "src/*"),
           nidus_f_in("kind", VALS(S("file"), S("section"))), false),
        C3(ATTRS(A("name", S("foo.rs")), A("size", I(512)), A("enabled", B(1))), nidus_f_glob("name", "*.rs"),
           nidus_f_in("size", VALS(I(256), I(512), I(1024))), nidus_f_eq("enabled", B(1)), true),
        /* single predicates, extra attrs */
        C1(ATTRS(A("x", I(7))), nidus_f_eq("x", I(7)), true),
        C1(ATTRS(A("p", S("hello"))), nidus_f_glob("p", "hel*"), true),
        C1(ATTRS(A("v", B(0))), nidus_f_in("v", VALS(B(0), B(1))), true),
        C1(ATTRS(A("lang", S("rust")), A("unrelated", I(999)), A("also_unrelated", NUL)),
           nidus_f_eq("lang", S("rust")), true));
}

TEST(filter_tree_ne_not_in) {
    RUN(C1(ATTRS(A("status", S("active"))), nidus_f_ne("status", S("archived")), true),
        C1(ATTRS(A("status", S("archived"))), nidus_f_ne("status", S("archived")), false),
        C1(ATTRS(A("other", I(1))), nidus_f_ne("status", S("archived")), false),
        C1(ATTRS(A("k", I(1))), nidus_f_ne("k", S("1")), true),
        C1(ATTRS(A("tag", S("rust"))), nidus_f_not_in("tag", VALS(S("go"), S("python"))), true),
        C1(ATTRS(A("tag", S("go"))), nidus_f_not_in("tag", VALS(S("go"), S("python"))), false),
        C1(ATTRS(A("tag", S("rust"))), nidus_f_not_in("tag", NULL, 0), true),
        C1(ATTRS(A("other", I(1))), nidus_f_not_in("tag", VALS(S("go"))), false),
        /* Null rules (facts §2.2) */
        C1(ATTRS(A("k", NUL)), nidus_f_ne("k", NUL), false),
        C1(ATTRS(A("k", NUL)), nidus_f_ne("k", I(1)), true),
        C1(ATTRS(A("k", NUL)), nidus_f_not_in("k", VALS(NUL)), false),
        C1(ATTRS(A("k", NUL)), nidus_f_not_in("k", VALS(I(1))), true));
}

TEST(filter_tree_ranges) {
    RUN(C1(ATTRS(A("age", I(30))), nidus_f_lt("age", I(40)), true),
        C1(ATTRS(A("age", I(30))), nidus_f_lt("age", I(30)), false),
        C1(ATTRS(A("age", I(30))), nidus_f_gt("age", I(20)), true),
        C1(ATTRS(A("age", I(30))), nidus_f_gt("age", I(30)), false),
        C1(ATTRS(A("n", I(10))), nidus_f_le("n", I(10)), true),
        C1(ATTRS(A("n", I(10))), nidus_f_ge("n", I(10)), true),
        C1(ATTRS(A("n", I(10))), nidus_f_lt("n", I(10)), false),
        C1(ATTRS(A("n", I(10))), nidus_f_gt("n", I(10)), false),
        C1(ATTRS(A("balance", I(-5))), nidus_f_lt("balance", I(0)), true),
        C1(ATTRS(A("balance", I(-5))), nidus_f_gt("balance", I(-10)), true),
        C1(ATTRS(A("name", S("mango"))), nidus_f_gt("name", S("apple")), true),
        C1(ATTRS(A("name", S("mango"))), nidus_f_lt("name", S("zebra")), true),
        C1(ATTRS(A("name", S("mango"))), nidus_f_lt("name", S("apple")), false),
        C1(ATTRS(A("flag", B(0))), nidus_f_lt("flag", B(1)), true),
        C1(ATTRS(A("flag", B(0))), nidus_f_gt("flag", B(1)), false),
        C1(ATTRS(A("k", I(5))), nidus_f_lt("k", S("5")), false),
        C1(ATTRS(A("k", I(5))), nidus_f_le("k", S("5")), false),
        C1(ATTRS(A("k", I(5))), nidus_f_gt("k", S("5")), false),
        C1(ATTRS(A("k", I(5))), nidus_f_ge("k", S("5")), false),
        C1(ATTRS(A("nul", NUL)), nidus_f_lt("nul", I(1)), false),
        C1(ATTRS(A("lst", L1("a"))), nidus_f_gt("lst", I(0)), false),
        C1(ATTRS(A("other", I(1))), nidus_f_lt("age", I(40)), false),
        C1(ATTRS(A("other", I(1))), nidus_f_ge("age", I(0)), false),
        C3(ATTRS(A("age", I(40)), A("tier", S("pro"))), nidus_f_ge("age", I(18)), nidus_f_lt("age", I(65)),
           nidus_f_ne("tier", S("free")), true),
        C3(ATTRS(A("age", I(70)), A("tier", S("pro"))), nidus_f_ge("age", I(18)), nidus_f_lt("age", I(65)),
           nidus_f_ne("tier", S("free")), false),
        /* Str order is bytewise: a prefix sorts first, then UTF-8 bytes */
        C1(ATTRS(A("s", S("ab"))), nidus_f_lt("s", S("abc")), true),
        C1(ATTRS(A("s", S("é"))), nidus_f_gt("s", S("z")), true),
        C1(ATTRS(A("s", S("Z"))), nidus_f_lt("s", S("a")), true));
}

TEST(filter_tree_contains) {
    RUN(C1(ATTRS(A("tags", L2("go", "rust"))), nidus_f_contains("tags", S("rust")), true),
        C1(ATTRS(A("tags", L2("go", "rust"))), nidus_f_contains("tags", S("zig")), false),
        C1(ATTRS(A("tags", L0)), nidus_f_contains("tags", S("rust")), false),
        C1(NOATTRS, nidus_f_contains("tags", S("rust")), false),
        C1(ATTRS(A("tags", L1("rustacean"))), nidus_f_contains("tags", S("rust")), false),
        C1(ATTRS(A("tags", S("rust"))), nidus_f_contains("tags", S("rust")), false),
        C1(ATTRS(A("tags", L1("1"))), nidus_f_contains("tags", I(1)), false),
        C1(ATTRS(A("tags", L1("rust"))), nidus_f_not_contains("tags", S("zig")), true),
        C1(ATTRS(A("tags", L0)), nidus_f_not_contains("tags", S("zig")), true),
        C1(NOATTRS, nidus_f_not_contains("tags", S("zig")), false),
        C1(ATTRS(A("tags", S("zig"))), nidus_f_not_contains("tags", S("zig")), false),
        C1(ATTRS(A("tags", L1("1"))), nidus_f_not_contains("tags", I(1)), true), /* non-Str needle */
        C1(ATTRS(A("tags", NUL)), nidus_f_not_contains("tags", S("x")), false),
        C1(ATTRS(A("tags", L2("rust", "go"))), nidus_f_contains_any("tags", VALS(S("zig"), S("rust"))), true),
        C1(ATTRS(A("tags", L1("go"))), nidus_f_contains_any("tags", VALS(S("zig"), S("rust"))), false),
        C1(ATTRS(A("tags", L1("rust"))), nidus_f_contains_any("tags", NULL, 0), false),
        C1(ATTRS(A("tags", L1("1"))), nidus_f_contains_any("tags", VALS(I(1), NUL)), false),
        C1(ATTRS(A("tags", L3("go", "rust", "zig"))),
           nidus_f_all(KIDS(nidus_f_contains("tags", S("rust")), nidus_f_contains("tags", S("go")))), true),
        C1(ATTRS(A("tags", L1("rust"))),
           nidus_f_all(KIDS(nidus_f_contains("tags", S("rust")), nidus_f_contains("tags", S("go")))), false));
}

TEST(filter_tree_groups) {
    nidus_filter proj = nidus_f_any(KIDS(nidus_f_eq("project", S("nidus")), nidus_f_eq("project", S("beads"))));
    nidus_filter scratch = NOT(nidus_f_all(KIDS(nidus_f_eq("kind", S("scratch")), nidus_f_eq("stale", B(1)))));
    RUN(C1(ATTRS(A("project", S("nidus"))), proj, true), C1(ATTRS(A("project", S("beads"))), proj, true),
        C1(ATTRS(A("project", S("other"))), proj, false), C1(NOATTRS, nidus_f_all(NULL, 0), true),
        C1(NOATTRS, nidus_f_any(NULL, 0), false),
        C1(ATTRS(A("kind", S("scratch")), A("stale", B(1))), scratch, false),
        C1(ATTRS(A("kind", S("scratch")), A("stale", B(0))), scratch, true),
        C1(NOATTRS, nidus_f_ne("k", I(1)), false), C1(NOATTRS, NOT(nidus_f_eq("k", I(1))), true),
        C2(ATTRS(A("tags", L1("done")), A("project", S("nidus"))), proj, NOT(nidus_f_contains("tags", S("wip"))),
           true),
        C2(ATTRS(A("tags", L1("wip")), A("project", S("nidus"))), proj, NOT(nidus_f_contains("tags", S("wip"))),
           false));
}

TEST(filter_tree_deep_nots) {
    /* 64 Nots around Eq: an even count is the identity; 63 negates. */
    nidus_filter chain[65];
    chain[0] = nidus_f_eq("k", I(1));
    for (int i = 1; i <= 64; i++) chain[i] = nidus_f_not(&chain[i - 1]);
    nattrs a = ATTRS(A("k", I(1)));
    CHECK(wrun(&chain[64], &a));
    CHECK(!wrun(&chain[63], &a));
    nidus__attrs_free(&a);
}

TEST(filter_tree_float_datetime) {
    RUN(C1(ATTRS(A("score", F(0.75))), nidus_f_gt("score", F(0.5)), true),
        C1(ATTRS(A("score", F(0.75))), nidus_f_le("score", F(0.75)), true),
        C1(ATTRS(A("score", F(0.75))), nidus_f_lt("score", F(0.5)), false),
        C1(ATTRS(A("score", F(0.75))), nidus_f_eq("score", F(0.75)), true),
        C1(ATTRS(A("score", I(1))), nidus_f_gt("score", F(0.5)), false),
        C1(ATTRS(A("score", F(1.0))), nidus_f_gt("score", I(0)), false),
        C1(ATTRS(A("score", F(NAN))), nidus_f_lt("score", F(0.0)), false),
        C1(ATTRS(A("score", F(NAN))), nidus_f_le("score", F(0.0)), false),
        C1(ATTRS(A("score", F(NAN))), nidus_f_gt("score", F(0.0)), false),
        C1(ATTRS(A("score", F(NAN))), nidus_f_ge("score", F(0.0)), false),
        C1(ATTRS(A("score", F(NAN))), nidus_f_eq("score", F(NAN)), false),
        C1(ATTRS(A("score", F(1.0))), nidus_f_lt("score", F(NAN)), false),
        /* NaN != NaN: Ne and NotIn are true against a NaN (nidus's derived PartialEq) */
        C1(ATTRS(A("score", F(NAN))), nidus_f_ne("score", F(NAN)), true),
        C1(ATTRS(A("score", F(NAN))), nidus_f_not_in("score", VALS(F(NAN))), true),
        C1(ATTRS(A("score", F(NAN))), nidus_f_in("score", VALS(F(NAN))), false),
        C1(ATTRS(A("z", F(-0.0))), nidus_f_eq("z", F(0.0)), true),
        C1(ATTRS(A("z", F(-0.0))), nidus_f_lt("z", F(0.0)), false),
        C1(ATTRS(A("z", F(-0.0))), nidus_f_ge("z", F(0.0)), true),
        C1(ATTRS(A("at", DT(1700000000000))), nidus_f_ge("at", DT(1600000000000)), true),
        C1(ATTRS(A("at", DT(1700000000000))), nidus_f_ge("at", DT(1800000000000)), false),
        C1(ATTRS(A("at", DT(1700000000000))), nidus_f_ge("at", I(0)), false));
}

TEST(filter_tree_fuzzy) {
    RUN(C1(ATTRS(A("id", S("nidus"))), nidus_f_fuzzy("id", "nidus", 0), true),
        C1(ATTRS(A("id", S("nidus"))), nidus_f_fuzzy("id", "nidua", 0), false),
        C1(ATTRS(A("id", S("nidus"))), nidus_f_fuzzy("id", "nidux", 0), false),
        C1(ATTRS(A("id", S("nidus"))), nidus_f_fuzzy("id", "nidux", 1), true),
        C1(ATTRS(A("id", S("colour"))), nidus_f_fuzzy("id", "color", 0), false),
        C1(ATTRS(A("id", S("colour"))), nidus_f_fuzzy("id", "color", 1), true),
        C1(ATTRS(A("id", S("color"))), nidus_f_fuzzy("id", "colour", 0), false),
        C1(ATTRS(A("id", S("color"))), nidus_f_fuzzy("id", "colour", 1), true),
        C1(ATTRS(A("word", S("form"))), nidus_f_fuzzy("word", "from", 1), false),
        C1(ATTRS(A("word", S("form"))), nidus_f_fuzzy("word", "from", 2), true),
        C1(ATTRS(A("id", S("NidusStore"))), nidus_f_fuzzy("id", "nidusstore", 0), true),
        C1(ATTRS(A("id", S("NidusStore"))), nidus_f_fuzzy("id", "NIDUSSTORF", 1), true),
        C1(ATTRS(A("id", S("café"))), nidus_f_fuzzy("id", "CAFé", 0), true),
        C1(ATTRS(A("id", S("café"))), nidus_f_fuzzy("id", "CAFÉ", 0), false),
        C1(ATTRS(A("tags", L2("rust", "postgres"))), nidus_f_fuzzy("tags", "postgre", 1), true),
        C1(ATTRS(A("tags", L2("rust", "postgres"))), nidus_f_fuzzy("tags", "postgre", 0), false),
        C1(ATTRS(A("tags", L2("rust", "postgres"))), nidus_f_fuzzy("tags", "elixir", 1), false),
        C1(ATTRS(A("n", I(5)), A("b", B(1)), A("nul", NUL)), nidus_f_fuzzy("missing", "", 8), false),
        C1(ATTRS(A("n", I(5)), A("b", B(1)), A("nul", NUL)), nidus_f_fuzzy("n", "5", 8), false),
        C1(ATTRS(A("n", I(5)), A("b", B(1)), A("nul", NUL)), nidus_f_fuzzy("b", "true", 8), false),
        C1(ATTRS(A("n", I(5)), A("b", B(1)), A("nul", NUL)), nidus_f_fuzzy("nul", "", 8), false),
        C1(ATTRS(A("id", S("ab"))), nidus_f_fuzzy("id", "abcdefgh", 3), false),
        C1(ATTRS(A("id", S("ab"))), nidus_f_fuzzy("id", "abcdefgh", 6), true),
        C1(ATTRS(A("other", I(1))), nidus_f_fuzzy("id", "nidus", 1), false),
        C1(ATTRS(A("other", I(1))), NOT(nidus_f_fuzzy("id", "nidus", 1)), true),
        C1(ATTRS(A("tags", L0)), nidus_f_fuzzy("tags", "", 8), false));
}

TEST(filter_tree_tokens) {
    RUN(C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_all_tokens("body", "fox quick"), true),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_all_tokens("body", "fox hound"), false),
        C1(ATTRS(A("body", S("Hello, World!"))), nidus_f_contains_all_tokens("body", "world HELLO"), true),
        C1(ATTRS(A("body", S("rustacean"))), nidus_f_contains_all_tokens("body", "rust"), false),
        C1(ATTRS(A("body", S("anything")), A("n", I(1))), nidus_f_contains_all_tokens("body", ""), true),
        C1(ATTRS(A("body", S("anything")), A("n", I(1))), nidus_f_contains_all_tokens("n", ""), false),
        C1(ATTRS(A("body", S("anything")), A("n", I(1))), nidus_f_contains_all_tokens("missing", ""), false),
        C1(ATTRS(A("body", S(""))), nidus_f_contains_all_tokens("body", ""), true),
        C1(ATTRS(A("body", L0)), nidus_f_contains_all_tokens("body", ""), false),
        C1(ATTRS(A("body", L1(""))), nidus_f_contains_all_tokens("body", ""), true),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_any_token("body", "hound fox"), true),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_any_token("body", "hound wolf"), false),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_any_token("body", ""), false),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_token_sequence("body", "quick brown"), true),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_token_sequence("body", "brown quick"), false),
        C1(ATTRS(A("body", S("the quick brown fox"))), nidus_f_contains_token_sequence("body", "quick fox"), false),
        C1(ATTRS(A("body", S("quick fox"))), nidus_f_contains_token_sequence("body", "the quick brown fox"), false),
        C1(ATTRS(A("body", S(""))), nidus_f_contains_token_sequence("body", ""), true),
        C1(ATTRS(A("notes", L2("quick brown", "lazy dog"))), nidus_f_contains_token_sequence("notes", "quick brown"),
           true),
        C1(ATTRS(A("notes", L2("quick brown", "lazy dog"))), nidus_f_contains_token_sequence("notes", "brown lazy"),
           false),
        C1(ATTRS(A("notes", L2("quick brown", "lazy dog"))), nidus_f_contains_all_tokens("notes", "brown dog"),
           false),
        C1(ATTRS(A("notes", L2("quick brown", "lazy dog"))), nidus_f_contains_any_token("notes", "dog"), true),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_all_tokens("n", "42"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_any_token("n", "42"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_token_sequence("n", "42"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_all_tokens("nul", "x"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_any_token("missing", "x"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_contains_token_sequence("missing", "x"), false),
        C1(ATTRS(A("t", S("Rust AND Go"))), nidus_f_contains_all_tokens("t", "rust go"), true),
        C1(ATTRS(A("t", S("Rust AND Go"))), nidus_f_contains_all_tokens("t", "RUST Go"), true),
        C1(ATTRS(A("t", S("Rust AND Go"))), nidus_f_contains_token_sequence("t", "rust AND go"), true),
        C1(ATTRS(A("t", S("café"))), nidus_f_contains_all_tokens("t", "café"), true),
        C1(ATTRS(A("t", S("café"))), nidus_f_contains_all_tokens("t", "CAFÉ"), false),
        C1(ATTRS(A("t", S("a a a b"))), nidus_f_contains_token_sequence("t", "a a b"), true));
}

TEST(filter_tree_regex) {
    RUN(C1(ATTRS(A("path", S("src/store/read.rs"))), nidus_f_regex("path", "src/.*\\.rs"), true),
        C1(ATTRS(A("path", S("src/store/read.rs"))), nidus_f_regex("path", "store"), false),
        C1(ATTRS(A("path", S("src/store/read.rs"))), nidus_f_regex("path", ".*store.*"), true),
        C1(ATTRS(A("file", S("README.md"))), nidus_f_regex("file", "readme\\.md"), false),
        C1(ATTRS(A("file", S("README.md"))), nidus_f_regex("file", "(?i)readme\\.md"), true),
        C1(ATTRS(A("tags", L2("v1", "beta"))), nidus_f_regex("tags", "v[0-9]+"), true),
        C1(ATTRS(A("tags", L2("v1", "beta"))), nidus_f_regex("tags", "v[0-9]{2}"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_regex("missing", ".*"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_regex("n", ".*"), false),
        C1(ATTRS(A("n", I(42)), A("nul", NUL)), nidus_f_regex("nul", ".*"), false),
        C1(ATTRS(A("t", S("b"))), nidus_f_regex("t", "a|b"), true),
        C1(ATTRS(A("t", S("xbx"))), nidus_f_regex("t", "a|b"), false),
        C1(ATTRS(A("t", S("abc"))), nidus_f_regex("t", "^abc$"), true),
        C1(ATTRS(A("t", L0)), nidus_f_regex("t", ".*"), false));
}

/* Compile must fail with EINVAL; the message must say "invalid filter" and `word`. */
static void bad(const nidus_filter *w, const char *word, int line) {
    nfilter *f = (nfilter *)&line;
    nerr e = {0};
    int rc = nidus__filter_compile_tree(NULL, 0, w, &f, &e);
    if (rc != NIDUS_EINVAL) t_fail(__FILE__, line, "compile -> %d, want EINVAL (%s)", rc, e.msg);
    if (f) t_fail(__FILE__, line, "failed compile left *out set");
    if (!strstr(e.msg, "invalid filter") || !strstr(e.msg, word))
        t_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", e.msg, word);
}
#define BAD(w, word) bad(w, word, __LINE__)

TEST(filter_tree_bad_filters_are_einval_naming_the_predicate) {
    nidus_filter fs[32];
    const char *words[32];
    size_t n = fm_bad_filters(fs, words);
    for (size_t i = 0; i < n; i++) BAD(&fs[i], words[i]);
    /* The near misses compile. */
    nidus_filter ok[] = {nidus_f_fuzzy("id", "nidus", 8), nidus_f_regex("path", "src/[a-z_]+\\.rs"),
                         nidus_f_all(KIDS(nidus_f_contains_all_tokens("body", "a b"), nidus_f_eq("k", I(1))))};
    nattrs none = NOATTRS;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) (void)wrun(&ok[i], &none);
    nidus_filter chain[65];
    chain[0] = nidus_f_eq("k", I(1));
    for (int i = 1; i <= 64; i++) chain[i] = nidus_f_not(&chain[i - 1]);
    CHECK(!wrun(&chain[64], &none));
}

TEST(filter_tree_shared_subtrees_are_bounded) {
    /* A DAG: 40 levels of All over the same child twice would be 2^40 nodes. */
    static nidus_filter lv[41][2];
    lv[0][0] = lv[0][1] = nidus_f_eq("k", I(1));
    for (int i = 1; i <= 40; i++) lv[i][0] = lv[i][1] = nidus_f_all(lv[i - 1], 2);
    BAD(&lv[40][0], "more than");
    nattrs a = ATTRS(A("k", I(1)));
    CHECK(wrun(&lv[10][0], &a)); /* 2^11 nodes: fine */
    nidus__attrs_free(&a);
}

TEST(filter_tree_and_old_predicates_combine) {
    nidus_pred p = eq("lang", S("rust"));
    nidus_filter w = nidus_f_gt("n", I(1));
    nattrs yes = ATTRS(A("lang", S("rust")), A("n", I(2)));
    nattrs no1 = ATTRS(A("lang", S("go")), A("n", I(2)));
    nattrs no2 = ATTRS(A("lang", S("rust")), A("n", I(1)));
    nfilter *f = NULL;
    nerr e = {0};
    CHECK_INT(nidus__filter_compile_tree(&p, 1, &w, &f, &e), NIDUS_OK);
    CHECK(nidus__filter_match(f, &yes));
    CHECK(!nidus__filter_match(f, &no1));
    CHECK(!nidus__filter_match(f, &no2));
    nidus__filter_free(f);
    /* An old predicate's error is still its 0.4.0 message. */
    nidus_pred bp = eq(NULL, I(1));
    f = NULL;
    CHECK_INT(nidus__filter_compile_tree(&bp, 1, &w, &f, &e), NIDUS_EINVAL);
    CHECK(strstr(e.msg, "filter predicate 0 (Eq): key is NULL"));
    nidus__attrs_free(&yes);
    nidus__attrs_free(&no1);
    nidus__attrs_free(&no2);
}

TEST(filter_tree_compile_copies_caller_memory) {
    char key[] = "body", q[] = "quick fox", pat[] = "qu.*", needle[] = "quikc";
    nidus_filter kids[] = {nidus_f_contains_all_tokens(key, q), nidus_f_regex(key, pat), nidus_f_fuzzy(key, needle, 2),
                           nidus_f_iglob(key, "QU*")};
    nidus_filter w = nidus_f_all(kids, 4);
    nfilter *f = NULL;
    nerr e = {0};
    CHECK_INT(nidus__filter_compile_tree(NULL, 0, &w, &f, &e), NIDUS_OK);
    memset(key, 'X', 4), memset(q, 'X', 9), memset(pat, 'X', 4), memset(needle, 'X', 5), memset(kids, 0, sizeof kids);
    nattrs a = ATTRS(A("body", S("quick")));
    nattrs b = ATTRS(A("body", S("quick fox")));
    CHECK(!nidus__filter_match(f, &a)); /* no "fox" token */
    CHECK(!nidus__filter_match(f, &b)); /* "quick fox" is 5 edits from "quikc" */
    nidus__filter_free(f);
    nidus__attrs_free(&a);
    nidus__attrs_free(&b);
}

TEST(filter_tree_compile_survives_every_allocation_failure) {
    nidus_filter kids[] = {nidus_f_contains_all_tokens("body", "quick fox"), nidus_f_regex("body", "qu.*"),
                           nidus_f_fuzzy("body", "quick fxo", 2), nidus_f_in("n", VALS(I(1), S("x"), L1("y"))),
                           nidus_f_not((const nidus_filter[]){nidus_f_eq("lang", S("go"))})};
    nidus_filter w = nidus_f_all(kids, 5);
    nidus_pred p = glob("body", "q*");
    nattrs a = ATTRS(A("body", S("quick fox")), A("n", I(1)));
    int oks = 0;
    for (long n = 0; n < 1000; n++) {
        nfilter *f = NULL;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus__filter_compile_tree(&p, 1, &w, &f, &e);
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

/* test_value.c — the attribute values of value.c: bytewise string order, UTF-8
 * validation and decoding, attribute sets from caller input (sorted, last duplicate
 * wins, deep copies, refusals, every allocation failure), lookup, equality, free. */
#include "test.h"

#include "test_attrs.h"
#include "test_hooks.h"

/* -------------------------------------------------------------- strings ---- */

TEST(value_str_cmp_order) {
    CHECK(nidus__str_cmp("a", 1, "ab", 2) < 0);
    CHECK(nidus__str_cmp("ab", 2, "b", 1) < 0);
    CHECK(nidus__str_cmp("a", 1, "b", 1) < 0);
    CHECK(nidus__str_cmp("b", 1, "ab", 2) > 0);
    CHECK(nidus__str_cmp("ab", 2, "a", 1) > 0);
    CHECK_INT(nidus__str_cmp("ab", 2, "ab", 2), 0);
    CHECK_INT(nidus__str_cmp("", 0, "", 0), 0);
    CHECK(nidus__str_cmp("", 0, "a", 1) < 0);
    CHECK(nidus__str_cmp(NULL, 0, "a", 1) < 0);
}

TEST(value_str_cmp_is_bytewise_unsigned) {
    CHECK(nidus__str_cmp("B", 1, "a", 1) < 0);        /* uppercase first */
    CHECK(nidus__str_cmp("z", 1, "\xC3\xA9", 2) < 0); /* 'z' < 'é' (0xC3 > 0x7A) */
    CHECK(nidus__str_cmp("a\0b", 3, "a\0c", 3) < 0);  /* lengths, not NULs */
    CHECK(nidus__str_cmp("a", 1, "a\0", 2) < 0);
}

TEST(value_utf8_valid_accepts) {
    CHECK(nidus__utf8_valid("", 0));
    CHECK(nidus__utf8_valid(NULL, 0));
    CHECK(nidus__utf8_valid("plain ascii", 11));
    CHECK(nidus__utf8_valid("\0", 1));                  /* U+0000 is a scalar */
    CHECK(nidus__utf8_valid("\xC2\x80", 2));            /* U+0080 */
    CHECK(nidus__utf8_valid("\xDF\xBF", 2));            /* U+07FF */
    CHECK(nidus__utf8_valid("\xE0\xA0\x80", 3));        /* U+0800 */
    CHECK(nidus__utf8_valid("\xED\x9F\xBF", 3));        /* U+D7FF */
    CHECK(nidus__utf8_valid("\xEE\x80\x80", 3));        /* U+E000 */
    CHECK(nidus__utf8_valid("\xEF\xBF\xBF", 3));        /* U+FFFF */
    CHECK(nidus__utf8_valid("\xF0\x90\x80\x80", 4));    /* U+10000 */
    CHECK(nidus__utf8_valid("\xF4\x8F\xBF\xBF", 4));    /* U+10FFFF */
    CHECK(nidus__utf8_valid("héllo wörld 😀 €", strlen("héllo wörld 😀 €")));
}

TEST(value_utf8_valid_rejects_overlongs) {
    CHECK(!nidus__utf8_valid("\xC0\x80", 2));
    CHECK(!nidus__utf8_valid("\xC1\xBF", 2));
    CHECK(!nidus__utf8_valid("\xE0\x80\x80", 3));
    CHECK(!nidus__utf8_valid("\xE0\x9F\xBF", 3));
    CHECK(!nidus__utf8_valid("\xF0\x80\x80\x80", 4));
    CHECK(!nidus__utf8_valid("\xF0\x8F\xBF\xBF", 4));
}

TEST(value_utf8_valid_rejects_surrogates_and_beyond) {
    CHECK(!nidus__utf8_valid("\xED\xA0\x80", 3)); /* U+D800 */
    CHECK(!nidus__utf8_valid("\xED\xBF\xBF", 3)); /* U+DFFF */
    CHECK(!nidus__utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
    CHECK(!nidus__utf8_valid("\xF5\x80\x80\x80", 4));
    CHECK(!nidus__utf8_valid("\xF8\x88\x80\x80\x80", 5));
    CHECK(!nidus__utf8_valid("\xFE", 1));
    CHECK(!nidus__utf8_valid("\xFF", 1));
}

TEST(value_utf8_valid_rejects_truncated_and_stray) {
    CHECK(!nidus__utf8_valid("\xC3", 1));
    CHECK(!nidus__utf8_valid("\xE2\x82", 2));
    CHECK(!nidus__utf8_valid("\xF0\x9F\x98", 3));
    CHECK(!nidus__utf8_valid("ok\xE2\x82", 4));
    CHECK(!nidus__utf8_valid("\x80", 1));        /* lone continuation */
    CHECK(!nidus__utf8_valid("a\xBF" "b", 3));
    CHECK(!nidus__utf8_valid("\xC3\x41", 2));     /* lead without continuation */
    CHECK(!nidus__utf8_valid("\xE2\x82\x41", 3));
    CHECK(!nidus__utf8_valid("\xF0\x9F\x98\x41", 4));
    /* Only len bytes count: a valid sequence cut by len is truncated... */
    CHECK(!nidus__utf8_valid("\xC3\xA9", 1));
    /* ...and bytes past len are not looked at. */
    CHECK(nidus__utf8_valid("ab\xFF", 2));
}

TEST(value_utf8_next_decodes_scalars) {
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    size_t len = strlen(s), i = 0;
    CHECK_U64(nidus__utf8_next(s, len, &i), 0x61);
    CHECK_U64(i, 1);
    CHECK_U64(nidus__utf8_next(s, len, &i), 0xE9);
    CHECK_U64(i, 3);
    CHECK_U64(nidus__utf8_next(s, len, &i), 0x20AC);
    CHECK_U64(i, 6);
    CHECK_U64(nidus__utf8_next(s, len, &i), 0x1F600);
    CHECK_U64(i, 10);
    i = 0;
    CHECK_U64(nidus__utf8_next("\xF4\x8F\xBF\xBF", 4, &i), 0x10FFFF);
    CHECK_U64(i, 4);
}

TEST(value_utf8_next_malformed_steps_one_byte) {
    /* Exact-size heap buffer so ASan sees any overrun. */
    char *b = malloc(2);
    memcpy(b, "\xE2\x82", 2);
    size_t i = 0;
    uint32_t c = nidus__utf8_next(b, 2, &i);
    CHECK_U64(i, 1);
    CHECK(c >= 0xD800 && c <= 0xDFFF); /* never a real scalar */
    c = nidus__utf8_next(b, 2, &i);
    CHECK_U64(i, 2);
    CHECK(c >= 0xD800 && c <= 0xDFFF);
    free(b);
    i = 0;
    nidus__utf8_next("\xC0\xAF", 2, &i); /* overlong '/' is not '/' */
    CHECK_U64(i, 1);
}

/* ---------------------------------------------------------------- attrs ---- */

TEST(value_attrs_sorted_by_key) {
    nattrs a = ATTRS(A("b", nidus_int(2)), A("c", nidus_int(3)), A("a", nidus_int(1)),
                     A("ab", nidus_int(4)), A("B", nidus_int(5)), A("", nidus_int(6)));
    const char *want[] = {"", "B", "a", "ab", "b", "c"};
    CHECK_INT(a.n, 6);
    for (size_t k = 0; k < a.n; k++) {
        CHECK_STR(a.items[k].key.ptr, want[k]);
        CHECK_U64(a.items[k].key.len, strlen(want[k]));
    }
    CHECK_INT(a.items[2].val.v.i, 1);
    CHECK_INT(a.items[5].val.v.i, 3);
    nidus__attrs_free(&a);
    CHECK(a.items == NULL && a.n == 0);
}

TEST(value_attrs_duplicate_key_last_wins) {
    nattrs a = ATTRS(A("k", nidus_int(1)), A("j", nidus_string("x")), A("k", nidus_string("two")),
                     A("z", nidus_null()), A("k", nidus_int(3)), A("j", nidus_bool(0)));
    CHECK_INT(a.n, 3);
    CHECK_STR(a.items[0].key.ptr, "j");
    CHECK_INT(a.items[0].val.type, NIDUS_BOOL);
    CHECK_STR(a.items[1].key.ptr, "k");
    CHECK_INT(a.items[1].val.type, NIDUS_INT);
    CHECK_INT(a.items[1].val.v.i, 3);
    CHECK_STR(a.items[2].key.ptr, "z");
    nidus__attrs_free(&a);
}

TEST(value_attrs_many_duplicates_last_wins) {
    nidus_attr input[200];
    for (int k = 0; k < 200; k++) input[k] = A(k % 2 ? "odd" : "even", nidus_int(k));
    nattrs a = mk(input, 200);
    CHECK_INT(a.n, 2);
    CHECK_STR(a.items[0].key.ptr, "even");
    CHECK_INT(a.items[0].val.v.i, 198);
    CHECK_STR(a.items[1].key.ptr, "odd");
    CHECK_INT(a.items[1].val.v.i, 199);
    nidus__attrs_free(&a);
}

TEST(value_attrs_deep_copy) {
    char key[] = "name", s[] = "value", i0[] = "one", i1[] = "two!";
    nidus_str items[] = {{i0, NIDUS_NTS}, {i1, 3}};
    nidus_value sub = {.type = NIDUS_STR, .v.str = {"a\0b-ignored", 3}};
    nattrs a = ATTRS(A(key, nidus_string(s)), A("list", nidus_list(items, 2)), A("sub", sub));
    memset(key, 'X', 4);
    memset(s, 'X', 5);
    memset(i0, 'X', 3);
    memset(i1, 'X', 4);
    const nidus_value *v = nidus__attrs_get(&a, "name", 4);
    CHECK(v && v->type == NIDUS_STR);
    CHECK_STR(v->v.str.ptr, "value");
    CHECK_U64(v->v.str.len, 5);
    v = nidus__attrs_get(&a, "list", NIDUS_NTS);
    CHECK(v && v->type == NIDUS_LIST && v->v.list.count == 2);
    CHECK_STR(v->v.list.items[0].ptr, "one");
    CHECK_U64(v->v.list.items[0].len, 3);
    CHECK_STR(v->v.list.items[1].ptr, "two"); /* explicit length, NUL added */
    CHECK_U64(v->v.list.items[1].len, 3);
    v = nidus__attrs_get(&a, "sub", 3);
    CHECK(v && v->v.str.len == 3 && memcmp(v->v.str.ptr, "a\0b", 4) == 0);
    nidus__attrs_free(&a);
}

TEST(value_attrs_empty_input) {
    nattrs a = {(nattr *)1, 5};
    nerr e = {0};
    CHECK_INT(nidus__attrs_from_input(NULL, 0, &a, &e), NIDUS_OK);
    CHECK(a.items == NULL && a.n == 0);
    CHECK(nidus__attrs_get(&a, "k", 1) == NULL);
    CHECK(nidus__attrs_get(NULL, "k", 1) == NULL);
    nidus__attrs_free(&a);
    nidus__attrs_free(NULL);
}

static const char *attrs_fail(const nidus_attr *input, size_t n) {
    static nerr e;
    memset(&e, 0, sizeof e);
    nattrs a = {(nattr *)1, 9};
    int rc = nidus__attrs_from_input(input, n, &a, &e);
    if (rc != NIDUS_EINVAL) t_fail(__FILE__, __LINE__, "attrs_from_input -> %d, want EINVAL", rc);
    if (a.items || a.n) t_fail(__FILE__, __LINE__, "refused input left attrs behind");
    return e.msg;
}

TEST(value_attrs_bad_utf8_refused) {
    nidus_attr bad_key[] = {A("ok", nidus_int(1)), A("k\xFF", nidus_int(1))};
    CHECK(strstr(attrs_fail(bad_key, 2), "attribute 1: key is not valid UTF-8"));
    nidus_attr bad_val[] = {A("ok", nidus_string("fine")), A("s", nidus_string("\xED\xA0\x80"))};
    const char *m = attrs_fail(bad_val, 2);
    CHECK(strstr(m, "\"s\"") && strstr(m, "UTF-8"));
    nidus_str items[] = {{"fine", 4}, {"\xC3\xA9\xC3", 3}};
    nidus_attr bad_item[] = {A("l", nidus_list(items, 2))};
    CHECK(strstr(attrs_fail(bad_item, 1), "list item 1 is not valid UTF-8"));
    /* Explicit lengths decide: the same bytes cut at a boundary are fine. */
    items[1].len = 2;
    nattrs a = mk(bad_item, 1);
    nidus__attrs_free(&a);
}

TEST(value_attrs_null_and_unknown_refused) {
    nidus_attr null_key[] = {A(NULL, nidus_int(1))};
    CHECK(strstr(attrs_fail(null_key, 1), "key is NULL"));
    nidus_attr null_str[] = {A("s", nidus_string(NULL))};
    CHECK(strstr(attrs_fail(null_str, 1), "NULL"));
    nidus_attr null_items[] = {A("l", nidus_list(NULL, 2))};
    CHECK(strstr(attrs_fail(null_items, 1), "NULL"));
    nidus_str items[] = {{"a", 1}, {NULL, 0}};
    nidus_attr null_item[] = {A("l", nidus_list(items, 2))};
    CHECK(strstr(attrs_fail(null_item, 1), "list item 1 is NULL"));
    nidus_value weird = {.type = (nidus_type)7, .v.i = 0};
    nidus_attr unknown[] = {A("w", weird)};
    CHECK(strstr(attrs_fail(unknown, 1), "unknown value type 7"));
    attrs_fail(NULL, 1);
}

TEST(value_attrs_survive_every_allocation_failure) {
    nidus_str items[] = {{"x", 1}, {"y", 1}, {"z", 1}};
    nidus_attr input[] = {A("s", nidus_string("str")), A("l", nidus_list(items, 3)),
                       A("s", nidus_string("again")), A("i", nidus_int(1)),
                       A("e", nidus_list(NULL, 0))};
    bool ok = false;
    for (long n = 0; n < 1000 && !ok; n++) {
        nattrs a = {(nattr *)1, 9};
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus__attrs_from_input(input, 5, &a, &e);
        nidus__fault_disarm();
        if (rc == NIDUS_OK) {
            CHECK_INT(a.n, 4);
            CHECK_STR(nidus__attrs_get(&a, "s", 1)->v.str.ptr, "again");
            nidus__attrs_free(&a);
            ok = true;
        } else {
            CHECK_INT(rc, NIDUS_ENOMEM);
            CHECK_INT(e.code, NIDUS_ENOMEM);
            CHECK(a.items == NULL && a.n == 0);
        }
    }
    CHECK(ok);
}

TEST(value_attrs_get_binary_search) {
    nidus_attr input[64];
    char keys[64][16];
    for (int k = 0; k < 64; k++) {
        snprintf(keys[k], sizeof keys[k], "k%02d", 63 - k);
        input[k] = A(keys[k], nidus_int(63 - k));
    }
    nattrs a = mk(input, 64);
    for (int k = 0; k < 64; k++) {
        char want[16];
        snprintf(want, sizeof want, "k%02d", k);
        const nidus_value *v = nidus__attrs_get(&a, want, 3);
        CHECK(v && v->v.i == k);
    }
    CHECK(nidus__attrs_get(&a, "k", 1) == NULL);
    CHECK(nidus__attrs_get(&a, "k640", 4) == NULL);
    CHECK(nidus__attrs_get(&a, "k00", 2) == NULL); /* "k0" is a prefix, not a key */
    CHECK(nidus__attrs_get(&a, "a", 1) == NULL);
    CHECK(nidus__attrs_get(&a, "z", 1) == NULL);
    nidus__attrs_free(&a);
}

TEST(value_eq_structural) {
    nidus_str l1[] = {{"a", NIDUS_NTS}, {"b", 1}}, l2[] = {{"a", 1}, {"bx", 1}};
    nidus_value a = nidus_list(l1, 2), b = nidus_list(l2, 2);
    CHECK(nidus__value_eq(&a, &b)); /* NTS and explicit lengths agree */
    nidus_value n1 = nidus_null(), n2 = nidus_null();
    CHECK(nidus__value_eq(&n1, &n2));
    nidus_value f1 = nidus_float(NAN);
    CHECK(!nidus__value_eq(&f1, &f1));
    nidus_value i = nidus_int(3), d = nidus_datetime(3);
    CHECK(!nidus__value_eq(&i, &d));
    nidus_value s1 = nidus_string("abc"), s2 = {.type = NIDUS_STR, .v.str = {"abcd", 3}};
    CHECK(nidus__value_eq(&s1, &s2));
}

TEST(value_free_leaves_null) {
    nattrs a = ATTRS(A("s", nidus_string("x")));
    nidus_value v = a.items[0].val;
    nidus__free((void *)a.items[0].key.ptr);
    nidus__free(a.items);
    nidus__value_free(&v);
    CHECK_INT(v.type, NIDUS_NULL);
    nidus__value_free(&v); /* harmless twice */
    nidus__value_free(NULL);
}

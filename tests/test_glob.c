/* test_glob.c — the nidus 0.3 glob dialect (reference §2.8 and the §6 glob list). */
#include "test.h"

#include "test_hooks.h"

static bool g(const char *pat, const char *text) {
    return nidus__glob_match(pat, strlen(pat), text, strlen(text));
}

/* ---- literals and anchoring ---- */

TEST(glob_literal_matches_itself) {
    CHECK(g("hello", "hello"));
    CHECK(g("a", "a"));
}

TEST(glob_literal_mismatch) {
    CHECK(!g("hello", "world"));
    CHECK(!g("hello", "hellp"));
}

TEST(glob_anchored_at_end) {
    CHECK(!g("a", "ab"));
    CHECK(!g("hell", "hello"));
}

TEST(glob_anchored_at_start) {
    CHECK(!g("ello", "hello"));
    CHECK(!g("b", "ab"));
}

TEST(glob_pattern_longer_than_text) {
    CHECK(!g("abc", "ab"));
    CHECK(!g("abc*", "ab"));
}

TEST(glob_case_sensitive) {
    CHECK(!g("Hello", "hello"));
    CHECK(!g("hello", "HELLO"));
    CHECK(!g("[a-z]", "Q"));
}

/* ---- empty pattern and text ---- */

TEST(glob_empty_pattern_matches_empty_text) { CHECK(g("", "")); }

TEST(glob_empty_pattern_refuses_text) {
    CHECK(!g("", "x"));
    CHECK(!g("", " "));
}

TEST(glob_empty_text_refuses_literal) { CHECK(!g("x", "")); }

/* ---- Unicode: matching is by scalar, not byte ---- */

TEST(glob_unicode_literal) {
    CHECK(g("héllo", "héllo"));
    CHECK(!g("héllo", "hello"));
}

TEST(glob_unicode_star) { CHECK(g("h*o", "héllo")); }

TEST(glob_unicode_question_is_one_scalar) {
    CHECK(g("h?llo", "héllo"));   /* é is two bytes, one char */
    CHECK(!g("h??llo", "héllo")); /* so two ? are one too many */
    CHECK(g("?", "€"));           /* three bytes */
    CHECK(g("?", "😀"));          /* four bytes */
    CHECK(!g("??", "😀"));
}

TEST(glob_unicode_class) {
    CHECK(g("[éè]", "è"));
    CHECK(!g("[éè]", "e"));
    CHECK(g("[à-ü]", "é"));       /* U+00E0..U+00FC contains U+00E9 */
    CHECK(!g("[à-ü]", "a"));
    CHECK(g("[!é]", "e"));
    CHECK(!g("[!é]", "é"));
    CHECK(g("x[😀-😂]y", "x😁y"));
}

/* ---- star ---- */

TEST(glob_star_matches_empty) {
    CHECK(g("*", ""));
    CHECK(g("a*", "a"));
    CHECK(g("*a", "a"));
    CHECK(g("a*b", "ab"));
}

TEST(glob_star_matches_anything) {
    CHECK(g("*", "anything at all"));
    CHECK(g("*", "*?["));
}

TEST(glob_star_at_start) {
    CHECK(g("*.rs", "main.rs"));
    CHECK(g("*.rs", ".rs"));
    CHECK(!g("*.rs", "main.c"));
    CHECK(!g("*.rs", "main.rs.bak"));
}

TEST(glob_star_at_end) {
    CHECK(g("src/*", "src/main.rs"));
    CHECK(g("src/*", "src/"));
    CHECK(!g("src/*", "src"));
    CHECK(!g("src/*", "lib/src/x"));
}

TEST(glob_star_in_middle) {
    CHECK(g("a*z", "abcz"));
    CHECK(g("a*z", "az"));
    CHECK(!g("a*z", "abc"));
    CHECK(!g("a*z", "zabcz"));
}

TEST(glob_double_star_is_one_star) {
    CHECK(g("**", ""));
    CHECK(g("**", "abc"));
    CHECK(g("a**b", "ab"));
    CHECK(g("a**b", "axyzb"));
    CHECK(!g("a**b", "axyz"));
    CHECK(g("***", "x"));
}

TEST(glob_several_stars) {
    CHECK(g("*a*b*", "xxaxxbxx"));
    CHECK(g("*a*b*", "ab"));
    CHECK(!g("*a*b*", "xxbxxa"));
    CHECK(g("*.*.*", "a.b.c"));
    CHECK(!g("*.*.*", "a.b"));
}

TEST(glob_star_crosses_slash) {
    CHECK(g("src/*", "src/a/b.rs"));
    CHECK(g("a*c", "a/b/c"));
    CHECK(g("*", "/"));
    CHECK(g("src/auth/*", "src/auth/login/handler.rs"));
}

/* ---- question mark ---- */

TEST(glob_question_matches_one) {
    CHECK(g("?", "a"));
    CHECK(g("a?c", "abc"));
    CHECK(g("a?c", "a/c")); /* '/' is an ordinary char */
    CHECK(g("???", "abc"));
}

TEST(glob_question_not_empty) {
    CHECK(!g("?", ""));
    CHECK(!g("a?", "a"));
    CHECK(!g("a?c", "ac"));
}

TEST(glob_question_not_two) {
    CHECK(!g("?", "ab"));
    CHECK(!g("a?c", "abbc"));
}

TEST(glob_question_star_needs_one) {
    CHECK(!g("?*", ""));
    CHECK(g("?*", "a"));
    CHECK(g("?*", "abc"));
    CHECK(g("*?", "abc"));
    CHECK(!g("*?", ""));
}

/* ---- classes ---- */

TEST(glob_class_set) {
    CHECK(g("[abc]", "a"));
    CHECK(g("[abc]", "b"));
    CHECK(g("[abc]", "c"));
    CHECK(!g("[abc]", "d"));
}

TEST(glob_class_is_one_char) {
    CHECK(!g("[abc]", ""));
    CHECK(!g("[abc]", "ab"));
    CHECK(g("[abc][abc]", "ab"));
}

TEST(glob_class_range) {
    CHECK(g("[a-z]", "m"));
    CHECK(g("[a-z]", "a")); /* inclusive at both ends */
    CHECK(g("[a-z]", "z"));
    CHECK(!g("[a-z]", "M"));
    CHECK(!g("[a-z]", "{"));
    CHECK(g("[0-9]", "7"));
}

TEST(glob_class_several_ranges) {
    CHECK(g("[a-zA-Z0-9]", "Q"));
    CHECK(g("[a-zA-Z0-9]", "5"));
    CHECK(g("[a-zA-Z0-9]", "q"));
    CHECK(!g("[a-zA-Z0-9]", "-"));
    CHECK(!g("[a-zA-Z0-9]", "_"));
}

TEST(glob_class_negated_bang) {
    CHECK(g("[!abc]", "d"));
    CHECK(!g("[!abc]", "a"));
    CHECK(!g("[!abc]", ""));
}

TEST(glob_class_negated_caret) {
    CHECK(g("[^abc]", "d"));
    CHECK(!g("[^abc]", "b"));
}

TEST(glob_class_negated_range) {
    CHECK(g("[!a-z]", "A"));
    CHECK(!g("[!a-z]", "q"));
    CHECK(g("[^0-9]x", "ax"));
    CHECK(!g("[^0-9]x", "5x"));
}

TEST(glob_class_mixed_members_and_ranges) {
    CHECK(g("[a-cx_0-2]", "b"));
    CHECK(g("[a-cx_0-2]", "x"));
    CHECK(g("[a-cx_0-2]", "_"));
    CHECK(g("[a-cx_0-2]", "1"));
    CHECK(!g("[a-cx_0-2]", "d"));
    CHECK(!g("[a-cx_0-2]", "3"));
}

TEST(glob_class_inside_pattern) {
    CHECK(g("file[0-9].txt", "file7.txt"));
    CHECK(!g("file[0-9].txt", "fileA.txt"));
    CHECK(g("*[0-9]", "abc7"));
    CHECK(!g("*[0-9]", "abc"));
}

TEST(glob_class_trailing_dash_is_member) {
    /* `-` right before `]` is not a range. */
    CHECK(g("[a-]", "a"));
    CHECK(g("[a-]", "-"));
    CHECK(!g("[a-]", "b"));
}

TEST(glob_class_leading_dash_is_member) {
    CHECK(g("[-a]", "-"));
    CHECK(g("[-a]", "a"));
    CHECK(!g("[-a]", "b"));
    CHECK(g("[!-]", "x"));
    CHECK(!g("[!-]", "-"));
}

TEST(glob_class_reversed_range_matches_nothing) {
    /* Inclusive by code point: z..a holds no char. */
    CHECK(!g("[z-a]", "m"));
    CHECK(!g("[z-a]", "a"));
    CHECK(g("[z-ab]", "b"));
}

TEST(glob_class_specials_are_members) {
    CHECK(g("a[*]b", "a*b"));
    CHECK(!g("a[*]b", "axb"));
    CHECK(g("[?]", "?"));
    CHECK(!g("[?]", "a"));
    CHECK(g("[[]", "["));
    CHECK(g("x[[]*", "x[y"));
}

/* ---- unterminated and empty classes ---- */

TEST(glob_unterminated_class_is_literal) {
    CHECK(g("[abc", "[abc"));
    CHECK(!g("[abc", "a"));
    CHECK(!g("[abc", "abc"));
    CHECK(g("[", "["));
    CHECK(!g("[", ""));
}

TEST(glob_unterminated_class_then_star) {
    CHECK(g("[*", "[hello"));
    CHECK(g("[*", "["));
    CHECK(!g("[*", "hello"));
    CHECK(g("a[!", "a[!"));
    CHECK(g("[a-", "[a-"));
}

TEST(glob_empty_class_matches_nothing) {
    CHECK(!g("[]", "]"));
    CHECK(!g("[]", ""));
    CHECK(!g("[]", "a"));
    CHECK(!g("[]", "[]"));
    CHECK(!g("[]]", "]")); /* `[]` then a literal `]` */
    CHECK(!g("*[]*", "anything"));
}

TEST(glob_negated_empty_class_matches_any_char) {
    CHECK(g("[!]", "x"));
    CHECK(g("[!]", "]"));
    CHECK(g("[^]", "é"));
    CHECK(!g("[!]", ""));
    CHECK(!g("[!]", "xy"));
    CHECK(g("[!]abc]", "zabc]")); /* `[!]` closes at once; the rest is literal */
}

/* ---- escapes ---- */

TEST(glob_no_backslash_escape) {
    CHECK(g("\\*", "\\abc")); /* a literal backslash, then a star */
    CHECK(!g("\\*", "*"));
    CHECK(g("a\\?", "a\\b"));
    CHECK(g("[\\]", "\\"));
}

/* ---- backtracking ---- */

TEST(glob_backtrack_star_b_vs_aab) { CHECK(g("*b", "aab")); }

TEST(glob_backtrack_a_star_b_star_c) {
    CHECK(g("a*b*c", "abc"));
    CHECK(g("a*b*c", "aXbYc"));
    CHECK(g("a*b*c", "abcbc"));
    CHECK(g("a*b*c", "abbbcbc"));
    CHECK(!g("a*b*c", "acb"));
    CHECK(!g("a*b*c", "abcb"));
}

TEST(glob_backtrack_repeated_prefix) {
    CHECK(g("*ab", "aaab"));
    CHECK(g("*aab", "aaaab"));
    CHECK(g("a*ab", "aab"));
    CHECK(!g("*ab", "aaa"));
    CHECK(g("*?b", "ab"));
}

TEST(glob_backtrack_with_class_after_star) {
    CHECK(g("*[xy]z", "axbyz"));
    CHECK(!g("*[xy]z", "axbyw"));
    CHECK(g("*.[ch]", "lib.c"));
    CHECK(!g("*.[ch]", "lib.cc"));
}

TEST(glob_many_stars_fail_fast) {
    /* The latest-star matcher is quadratic at worst, never exponential. */
    char text[4097];
    memset(text, 'a', 4096);
    text[4096] = 0;
    CHECK(!g("a*a*a*a*a*a*a*a*a*a*b", text));
    CHECK(g("a*a*a*a*a*a*a*a*a*a*", text));
}

/* ---- lengths, not NUL terminators ---- */

TEST(glob_respects_lengths) {
    CHECK(nidus__glob_match("abc*", 3, "abcdef", 3));
    CHECK(!nidus__glob_match("abc", 3, "abcdef", 6));
    CHECK(nidus__glob_match("a\0b", 3, "a\0b", 3));
    CHECK(!nidus__glob_match("a\0b", 3, "a\0c", 3));
    CHECK(nidus__glob_match("a?b", 3, "a\0b", 3));
    CHECK(nidus__glob_match("[ab", 2, "[a", 2)); /* class cut short by plen: literal */
    CHECK(nidus__glob_match(NULL, 0, NULL, 0));
}

TEST(glob_malformed_utf8_stays_in_bounds) {
    /* Inputs are validated upstream; a bad byte must still not read past the end.
     * Heap copies of the exact length let ASan catch any overrun. */
    char *t = malloc(2), *p = malloc(1);
    memcpy(t, "\xE2\x82", 2); /* truncated 3-byte sequence */
    memcpy(p, "*", 1);
    CHECK(nidus__glob_match(p, 1, t, 2));
    memcpy(p, "\xE2", 1);
    CHECK(!nidus__glob_match(p, 1, t, 2));
    free(t);
    free(p);
    CHECK(g("\xFF", "\xFF"));
    CHECK(!g("\xFF", "\xFE"));
}

/* ---- IGlob: nidus 0.80's ASCII case-folded glob (src/glob/mod.rs cases) ---- */

static bool ig(const char *pat, const char *text) {
    return nidus__iglob_match(pat, strlen(pat), text, strlen(text));
}

TEST(glob_iglob_cases) {
    static const struct {
        const char *pat, *text;
        bool want;
    } cases[] = {
        {"[A-Z]", "M", true},         {"[a-z]", "M", true},       {"[!A-Z]", "m", false},
        {"[!a-z]", "5", true},        {"Src/Finance/*", "src/finance/rates.rs", true},
        {"*.MD", "README.md", true},  {"SRC/*", "tests/foo.rs", false},
        {"DOCS/café.MD", "docs/café.md", true}, {"DOCS/CAFÉ.MD", "docs/café.md", false},
        {"É", "é", false},            {"HELLO", "hello", true},   {"h?LLO", "HeLlo", true},
        {"", "", true},               {"a", "A", true},           {"A", "b", false},
        {"[Z-a]", "z", false},        {"[[]", "[", true},         {"*X*", "abxcd", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (ig(cases[i].pat, cases[i].text) != cases[i].want)
            t_fail(__FILE__, __LINE__, "iglob(\"%s\", \"%s\") != %d", cases[i].pat, cases[i].text, cases[i].want);
    /* Glob itself stays case-sensitive. */
    CHECK(!g("*.MD", "README.md"));
    CHECK(!g("[A-Z]", "m"));
}

TEST(glob_iglob_agrees_with_glob_of_folded_strings) {
    static const char *const pats[] = {"*", "a*B", "[A-c]?", "[!Q]x", "?*Z", "ab[cD-F]", "[]", "[!]", "É*"};
    static const char *const texts[] = {"", "ab", "AB", "Ax", "qX", "abe", "ABE", "zZ", "ÉA", "b"};
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++)
        for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
            char fp[32], ft[32];
            snprintf(fp, sizeof fp, "%s", pats[p]);
            snprintf(ft, sizeof ft, "%s", texts[t]);
            for (char *c = fp; *c; c++) if (*c >= 'A' && *c <= 'Z') *c += 32;
            for (char *c = ft; *c; c++) if (*c >= 'A' && *c <= 'Z') *c += 32;
            if (ig(pats[p], texts[t]) != g(fp, ft))
                t_fail(__FILE__, __LINE__, "iglob(\"%s\", \"%s\") differs from glob of the folded strings", pats[p],
                       texts[t]);
        }
}

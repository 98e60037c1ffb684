/* test_pattern.c — the Regex dialect (pattern.c): nidus's src/filter/pattern.rs
 * cases, the translations, the anchoring, and every refusal. */
#include "test.h"

#include "test_hooks.h"

static bool rx(const char *pat, const char *text) {
    npattern *p = NULL;
    nerr e = {0};
    int rc = nidus__pattern_compile(pat, strlen(pat), &p, &e);
    if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "compile(%s) -> %d: %s", pat, rc, e.msg);
    bool r = nidus__pattern_match(p, text, strlen(text));
    nidus__pattern_free(p);
    return r;
}

static const char *refused(const char *pat, size_t len) {
    static nerr e;
    npattern *p = NULL;
    memset(&e, 0, sizeof e);
    int rc = nidus__pattern_compile(pat, len, &p, &e);
    if (rc != NIDUS_EINVAL) t_fail(__FILE__, __LINE__, "compile(%.40s) -> %d, want EINVAL", pat, rc);
    if (p) t_fail(__FILE__, __LINE__, "refused pattern left *out set");
    return e.msg;
}

TEST(pattern_nidus_cases) {
    static const struct {
        const char *pat, *text;
        bool want;
    } cases[] = {
        {"src/.*\\.rs", "src/store/read.rs", true},
        {"store", "src/store/read.rs", false},
        {".*store.*", "src/store/read.rs", true},
        {"readme\\.md", "README.md", false},
        {"(?i)readme\\.md", "README.md", true},
        {"v[0-9]+", "v1", true},
        {"v[0-9]{2}", "v1", false},
        {"quick brown fox", "quick brown fox", true},
        {"brown", "quick brown fox", false},
        {".*brown.*", "quick brown fox", true},
        {"a|b", "b", true},
        {"a|b", "xbx", false},
        {"^abc$", "abc", true},
        {"src/[a-z_]+\\.rs", "src/read_x.rs", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (rx(cases[i].pat, cases[i].text) != cases[i].want)
            t_fail(__FILE__, __LINE__, "regex(\"%s\", \"%s\") != %d", cases[i].pat, cases[i].text, cases[i].want);
}

TEST(pattern_dialect) {
    CHECK(rx("caf.", "café"));      /* . is one character under C.UTF-8 */
    CHECK(!rx("caf..", "café"));
    CHECK(!rx("a.b", "a\nb"));      /* . is not a newline, as in nidus */
    CHECK(rx("a[^x]b", "a\nb"));    /* a negated class is */
    CHECK(rx("(?:ab)+", "ababab"));
    CHECK(!rx("(?:ab)+", "aba"));
    CHECK(rx("\\d+", "2024"));
    CHECK(!rx("\\d+", "20x4"));
    CHECK(rx("\\D\\d", "x1"));
    CHECK(rx("a\\tb", "a\tb"));
    CHECK(rx("\\w+\\s\\w+", "hello world"));
    CHECK(rx("\\.\\*", ".*"));
    CHECK(rx("(?i)CAFÉ", "café"));  /* (?i) folds beyond ASCII, as the regex crate */
    CHECK(rx("", ""));
    CHECK(!rx("", "x"));
    CHECK(rx("a*?", "aaa"));        /* lazy and greedy agree on a whole match */
    CHECK(rx("[]a]+", "]a]"));
    CHECK(rx("[[:digit:]]{3}", "123"));
    CHECK(rx("x(a|b)*y", "xababy"));
    CHECK(rx("é{2}", "éé"));
    /* Text with a U+0000 inside is matched whole (REG_STARTEND). */
    npattern *p = NULL;
    nerr e = {0};
    CHECK_INT(nidus__pattern_compile("a.b", 3, &p, &e), NIDUS_OK);
    CHECK(nidus__pattern_match(p, "a\0b", 3));
    CHECK(!nidus__pattern_match(p, "a\0bc", 4));
    nidus__pattern_free(p);
}

TEST(pattern_refusals) {
    CHECK(strstr(refused("(a)\\1", 5), "back-reference"));
    CHECK(strstr(refused("\\9", 2), "back-reference"));
    CHECK(strstr(refused("(?=a)", 5), "(?"));
    CHECK(strstr(refused("(?!a)", 5), "(?"));
    CHECK(strstr(refused("(?<n>a)", 7), "(?"));
    CHECK(strstr(refused("a(?i)b", 6), "(?"));
    CHECK(strstr(refused("\\p{L}", 5), "\\p"));
    CHECK(strstr(refused("\\A", 2), "\\A"));
    CHECK(strstr(refused("[\\d]", 4), "backslash"));
    CHECK(strstr(refused("ab\\", 3), "trailing backslash"));
    CHECK(strstr(refused("(unclosed", 9), "invalid Regex pattern"));
    CHECK(strstr(refused("[", 1), "invalid Regex pattern"));
    CHECK(strstr(refused("((a{100}){100}){100}", 20), "32768"));
    static char big[NIDUS__MAX_PATTERN + 2];
    memset(big, 'a', sizeof big - 1);
    CHECK(strstr(refused(big, NIDUS__MAX_PATTERN + 1), "1024"));
    /* Exactly the maximum is fine. */
    npattern *p = NULL;
    nerr e = {0};
    CHECK_INT(nidus__pattern_compile(big, NIDUS__MAX_PATTERN, &p, &e), NIDUS_OK);
    nidus__pattern_free(p);
}

TEST(pattern_compile_survives_every_allocation_failure) {
    int oks = 0;
    for (long n = 0; n < 100; n++) {
        npattern *p = NULL;
        nerr e = {0};
        nidus__fault_arm(NIDUS__FAULT_ALLOC, n, 0);
        int rc = nidus__pattern_compile("(?i)a.b", 7, &p, &e);
        bool fired = nidus__fault_fired();
        nidus__fault_disarm();
        if (rc == NIDUS_OK) {
            CHECK(!fired);
            CHECK(nidus__pattern_match(p, "AxB", 3));
            nidus__pattern_free(p);
            oks++;
            break;
        }
        CHECK_INT(rc, NIDUS_ENOMEM);
        CHECK(p == NULL);
    }
    CHECK_INT(oks, 1);
}

/* The classic catastrophic-backtracking patterns finish at once on long texts
 * (glibc's matcher simulates the automaton; no back-references, so no
 * backtracking): an exponential engine would hit the runner's timeout. */
TEST(pattern_nested_quantifiers_run_in_linear_time) {
    static char text[20001];
    memset(text, 'a', 20000);
    static const char *const pats[] = {"(a*)*b", "(a|a)*b", "(a|aa)*c", "(a+)+b", "((a{1,10}){1,10}){1,10}b"};
    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) CHECK(!rx(pats[i], text));
    CHECK(rx("(a|aa)*", text));
}

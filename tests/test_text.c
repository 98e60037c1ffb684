/* test_text.c — nidus 0.80's tokenizer and Levenshtein distance (src/filter/text.rs
 * unit cases), and the capped distance Fuzzy uses against the plain one. */
#include "test.h"

#include "test_hooks.h"

/* The tokens of s joined by '|'. */
static const char *toks(const char *s) {
    static char out[256];
    size_t pos = 0, n = 0, len = strlen(s);
    nidus_str t;
    out[0] = 0;
    while (nidus__token_next(s, len, &pos, &t)) {
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%.*s", n ? "|" : "", (int)t.len, t.ptr);
    }
    return out;
}

TEST(text_tokenizer_cases) {
    CHECK_STR(toks("the quick, brown\tfox!"), "the|quick|brown|fox");
    CHECK_STR(toks("   ---   "), "");
    CHECK_STR(toks(""), "");
    CHECK_STR(toks("--a--b--"), "a|b");
    CHECK_STR(toks("src_main2.rs"), "src|main2|rs");
    CHECK_STR(toks("the running"), "the|running");
    CHECK_STR(toks("Rust AND Go"), "Rust|AND|Go"); /* unfolded */
    CHECK_STR(toks("café au lait"), "café|au|lait"); /* a byte >= 0x80 is part of a token */
    CHECK_STR(toks("naïve—x"), "naïve—x");           /* our documented choice: — is too */
}

static bool all_t(const char *q, const char *s) {
    ntokens t;
    CHECK_INT(nidus__tokens_of(q, strlen(q), &t), NIDUS_OK);
    bool r = nidus__text_all_tokens(&t, s, strlen(s));
    nidus__free(t.v);
    return r;
}
static bool any_t(const char *q, const char *s) {
    ntokens t;
    CHECK_INT(nidus__tokens_of(q, strlen(q), &t), NIDUS_OK);
    bool r = nidus__text_any_token(&t, s, strlen(s));
    nidus__free(t.v);
    return r;
}
static bool seq_t(const char *q, const char *s) {
    ntokens t;
    CHECK_INT(nidus__tokens_of(q, strlen(q), &t), NIDUS_OK);
    bool r = nidus__text_token_sequence(&t, s, strlen(s));
    nidus__free(t.v);
    return r;
}

TEST(text_token_predicates) {
    CHECK(all_t("rust go", "Rust AND Go"));
    CHECK(all_t("RUST Go", "Rust AND Go"));
    CHECK(seq_t("rust AND go", "Rust AND Go"));
    CHECK(all_t("café", "café"));
    CHECK(!all_t("CAFÉ", "café"));
    CHECK(seq_t("a a b", "a a a b"));
    CHECK(!seq_t("a b b", "a a a b"));
    CHECK(all_t("fox quick", "the quick brown fox"));
    CHECK(!all_t("fox hound", "the quick brown fox"));
    CHECK(!all_t("rust", "rustacean"));
    CHECK(all_t("", ""));
    CHECK(any_t("hound fox", "the quick brown fox"));
    CHECK(!any_t("", "the quick brown fox"));
    CHECK(seq_t("", ""));
    CHECK(seq_t("quick brown", "the quick brown fox"));
    CHECK(!seq_t("brown quick", "the quick brown fox"));
    CHECK(!seq_t("quick fox", "the quick brown fox"));
    CHECK(!seq_t("the quick brown fox", "quick fox"));
    CHECK(seq_t("fox", "the quick brown fox"));
}

static size_t lev(const char *a, const char *b) { return nidus__levenshtein(a, strlen(a), b, strlen(b)); }

TEST(text_levenshtein_cases) {
    static const struct {
        const char *a, *b;
        size_t d;
    } cases[] = {
        {"kitten", "kitten", 0}, {"", "abc", 3},     {"abc", "", 3},          {"", "", 0},
        {"cat", "bat", 1},       {"cat", "bar", 2},  {"color", "colour", 1},  {"colour", "color", 1},
        {"form", "from", 2},     {"ab", "ba", 2},    {"kitten", "sitting", 3}, {"saturday", "sunday", 3},
        {"Kitten", "kITTEN", 0}, {"café", "CAFÉ", 1}, {"café", "cafe", 1},    {"nidus", "nimbus", 2},
        {"nimbus", "nidus", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (lev(cases[i].a, cases[i].b) != cases[i].d)
            t_fail(__FILE__, __LINE__, "lev(%s, %s) = %zu, want %zu", cases[i].a, cases[i].b,
                   lev(cases[i].a, cases[i].b), cases[i].d);
}

/* The banded, capped distance equals min(plain distance, cap + 1) for every pair
 * of a word list and every cap. */
TEST(text_levenshtein_capped_equals_plain) {
    static const char *const w[] = {"",        "a",        "ab",         "ba",       "abc",  "kitten", "sitting",
                                    "café",    "CAFE",     "aaaaaaaaaa", "aaaa",     "x",    "saturday",
                                    "sunday",  "héllo wörld", "hello world", "abcdefghijkl", "lkjihgfedcba"};
    size_t n = sizeof w / sizeof *w;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            uint32_t *needle;
            size_t nn;
            CHECK_INT(nidus__fold_scalars(w[j], strlen(w[j]), &needle, &nn), NIDUS_OK);
            size_t d = lev(w[i], w[j]);
            for (unsigned cap = 0; cap <= NIDUS__MAX_FUZZY_EDITS; cap++) {
                unsigned got = nidus__levenshtein_capped(w[i], strlen(w[i]), needle, nn, cap);
                unsigned want = d <= cap ? (unsigned)d : cap + 1;
                if (got != want)
                    t_fail(__FILE__, __LINE__, "capped(%s, %s, %u) = %u, want %u", w[i], w[j], cap, got, want);
            }
            nidus__free(needle);
        }
}

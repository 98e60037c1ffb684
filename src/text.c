/* text.c — nidus 0.80's text predicates over one string: the tokenizer, the three
 * token predicates, and the capped Levenshtein distance behind Fuzzy. Nothing
 * here allocates while matching: query tokens and the fuzzy needle are prepared
 * once, when the filter is compiled. */
#include "nidus_internal.h"

/* ---------------------------------------------------------------- tokens ---- */

/* nidus splits on !char::is_alphanumeric (Unicode) and folds ASCII only. We count
 * every byte >= 0x80 as part of a token: the same for every non-ASCII letter and
 * digit (so `café` is one token and `CAFÉ` does not match it), different only for
 * non-ASCII punctuation and spaces (SPEC.md section 10.3). */
static inline bool tok_byte(unsigned char c) {
    return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

bool nidus__token_next(const char *s, size_t len, size_t *pos, nidus_str *tok) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = *pos;
    while (i < len && !tok_byte(p[i])) i++;
    if (i == len) {
        *pos = len;
        return false;
    }
    size_t start = i;
    while (i < len && tok_byte(p[i])) i++;
    tok->ptr = s + start;
    tok->len = i - start;
    *pos = i;
    return true;
}

static inline unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

bool nidus__token_eq(nidus_str a, nidus_str b) {
    if (a.len != b.len) return false;
    const unsigned char *x = (const unsigned char *)a.ptr, *y = (const unsigned char *)b.ptr;
    for (size_t i = 0; i < a.len; i++)
        if (x[i] != y[i] && lower(x[i]) != lower(y[i])) return false;
    return true;
}

int nidus__tokens_of(const char *q, size_t len, ntokens *t) {
    t->v = NULL;
    t->n = 0;
    size_t pos = 0, n = 0;
    nidus_str tok;
    while (nidus__token_next(q, len, &pos, &tok)) n++;
    if (!n) return NIDUS_OK;
    if (!(t->v = nidus__mallocarray(n, sizeof *t->v))) return NIDUS_ENOMEM;
    for (pos = 0; nidus__token_next(q, len, &pos, &tok);) t->v[t->n++] = tok;
    return NIDUS_OK;
}

static bool has_token(nidus_str want, const char *s, size_t len) {
    size_t pos = 0;
    nidus_str tok;
    while (nidus__token_next(s, len, &pos, &tok))
        if (nidus__token_eq(tok, want)) return true;
    return false;
}

/* Every query token is a token of s (order-free, whole tokens); no query tokens:
 * true. */
bool nidus__text_all_tokens(const ntokens *q, const char *s, size_t len) {
    for (size_t k = 0; k < q->n; k++)
        if (!has_token(q->v[k], s, len)) return false;
    return true;
}

/* Some query token is a token of s; no query tokens: false. */
bool nidus__text_any_token(const ntokens *q, const char *s, size_t len) {
    for (size_t k = 0; k < q->n; k++)
        if (has_token(q->v[k], s, len)) return true;
    return false;
}

/* The query tokens appear as consecutive tokens of s, in order, tried from every
 * token of s; no query tokens: true. */
bool nidus__text_token_sequence(const ntokens *q, const char *s, size_t len) {
    if (q->n == 0) return true;
    size_t start = 0;
    nidus_str tok;
    while (nidus__token_next(s, len, &start, &tok)) {
        if (!nidus__token_eq(tok, q->v[0])) continue;
        size_t pos = start, k = 1;
        while (k < q->n && nidus__token_next(s, len, &pos, &tok) && nidus__token_eq(tok, q->v[k])) k++;
        if (k == q->n) return true;
    }
    return false;
}

/* ----------------------------------------------------------- Levenshtein ---- */

static inline uint32_t fold(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int nidus__fold_scalars(const char *s, size_t len, uint32_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < len;) {
        nidus__utf8_next(s, len, &i);
        cnt++;
    }
    if (!cnt) return NIDUS_OK;
    uint32_t *v = nidus__mallocarray(cnt, sizeof *v);
    if (!v) return NIDUS_ENOMEM;
    for (size_t i = 0, k = 0; i < len; k++) v[k] = fold(nidus__utf8_next(s, len, &i));
    *out = v;
    *n = cnt;
    return NIDUS_OK;
}

/* A band of the dynamic programme: only cells with |i - j| <= cap can hold a
 * distance <= cap, so row i keeps cells j = i - cap .. i + cap at offsets
 * 0 .. 2 cap; values are capped at cap + 1. */
#define BAND (2 * NIDUS__MAX_FUZZY_EDITS + 1)

unsigned nidus__levenshtein_capped(const char *s, size_t len, const uint32_t *needle, size_t n, unsigned cap) {
    if (cap > NIDUS__MAX_FUZZY_EDITS) cap = NIDUS__MAX_FUZZY_EDITS;
    const unsigned inf = cap + 1;
    /* Characters of s, for the length bound (a distance is at least the
     * difference of the lengths). */
    size_t m = 0;
    for (size_t i = 0; i < len; i++) m += ((unsigned char)s[i] & 0xC0) != 0x80;
    if ((m > n ? m - n : n - m) > cap) return inf;
    unsigned prev[BAND], cur[BAND];
    const size_t w = 2 * (size_t)cap + 1, k = cap;
    for (size_t o = 0; o < w; o++) prev[o] = o >= k ? (unsigned)(o - k) : inf; /* row 0: D(0, j) = j */
    size_t at = 0;
    for (size_t i = 1; i <= m; i++) {
        uint32_t c = fold(nidus__utf8_next(s, len, &at));
        unsigned best = inf;
        for (size_t o = 0; o < w; o++) {
            /* j = i + o - k */
            if (i + o < k) {
                cur[o] = inf;
                continue;
            }
            size_t j = i + o - k;
            unsigned v;
            if (j > n) {
                v = inf;
            } else if (j == 0) {
                v = i < inf ? (unsigned)i : inf;
            } else {
                v = prev[o] + (c != needle[j - 1]);      /* D(i-1, j-1) */
                if (o + 1 < w && prev[o + 1] + 1 < v) v = prev[o + 1] + 1; /* D(i-1, j) */
                if (o > 0 && cur[o - 1] + 1 < v) v = cur[o - 1] + 1;       /* D(i, j-1) */
                if (v > inf) v = inf;
            }
            cur[o] = v;
            if (v < best) best = v;
        }
        if (best >= inf) return inf;
        memcpy(prev, cur, w * sizeof *prev);
    }
    /* D(m, n) sits at offset n - m + k. */
    return prev[n + k - m];
}

size_t nidus__levenshtein(const char *a, size_t alen, const char *b, size_t blen) {
    /* The plain two-row programme, for tests (allocates). */
    uint32_t *x = NULL, *y = NULL;
    size_t n = 0, m = 0, d = SIZE_MAX;
    if (nidus__fold_scalars(a, alen, &x, &n) || nidus__fold_scalars(b, blen, &y, &m)) goto out;
    if (!n || !m) {
        d = n > m ? n : m;
        goto out;
    }
    size_t *row = nidus__mallocarray(m + 1, sizeof *row);
    if (!row) goto out;
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t v = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    d = row[m];
    nidus__free(row);
out:
    nidus__free(x);
    nidus__free(y);
    return d;
}

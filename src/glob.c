/* glob.c — the nidus 0.3 glob dialect (nidus 0.80's Glob is the same code), and
 * nidus 0.80's IGlob: the same with ASCII case folded on both sides. Anchored, by
 * Unicode scalar.
 * `*` any run, `?` one char, `[...]` classes with `!`/`^` negation and `x-y`
 * ranges, no escapes. Greedy matching that backtracks to the latest `*` only,
 * which is exact for this dialect (no construct can consume a variable amount
 * except `*`) and costs O(plen * tlen) at worst with no allocation. */
#include "nidus_internal.h"

enum { CLASS_NONE, CLASS_MISS, CLASS_HIT };

/* IGlob's fold: nidus's to_ascii_lowercase, a per-char map that leaves every
 * metacharacter alone, so folding while matching equals matching the folded
 * strings. */
static inline uint32_t fold(uint32_t c, bool on) { return on && c >= 'A' && c <= 'Z' ? c + 32 : c; }

static inline uint32_t next(const char *s, size_t len, size_t *i, bool f) { return fold(nidus__utf8_next(s, len, i), f); }

/* Match scalar c against the class starting at pat[at] == '['. On CLASS_HIT or
 * CLASS_MISS *end is just past the closing ']'. CLASS_NONE: no closing ']', so
 * the '[' is a literal. */
static inline int class_match(const char *pat, size_t plen, size_t at, uint32_t c, size_t *end, bool f) {
    size_t i = at + 1;
    bool negate = false, hit = false;
    if (i < plen && (pat[i] == '!' || pat[i] == '^')) {
        negate = true;
        i++;
    }
    /* The first ']' after the negator closes, even straight away: `[]` is empty. */
    while (i < plen) {
        if (pat[i] == ']') {
            *end = i + 1;
            return hit != negate ? CLASS_HIT : CLASS_MISS;
        }
        uint32_t lo = next(pat, plen, &i, f);
        /* `x-y` is a range only when a char other than ']' follows the '-';
         * otherwise the '-' is a member of its own (e.g. `[a-]`). */
        if (i + 1 < plen && pat[i] == '-' && pat[i + 1] != ']') {
            size_t j = i + 1;
            uint32_t hi = next(pat, plen, &j, f);
            if (lo <= c && c <= hi) hit = true;
            i = j;
        } else if (lo == c) {
            hit = true;
        }
    }
    return CLASS_NONE;
}

/* `f` is a constant at each call, so each entry point gets its own loop. */
static inline bool glob(const char *pat, size_t plen, const char *text, size_t tlen, bool f) {
    size_t p = 0, t = 0;
    size_t star_p = 0, star_t = 0; /* resume points after the latest '*' */
    bool have_star = false;

    while (t < tlen) {
        if (p < plen) {
            char pc = pat[p];
            if (pc == '*') {
                p++;
                have_star = true;
                star_p = p;
                star_t = t;
                continue;
            }
            size_t tn = t;
            uint32_t c = next(text, tlen, &tn, f);
            if (pc == '?') {
                p++;
                t = tn;
                continue;
            }
            if (pc == '[') {
                size_t end;
                int r = class_match(pat, plen, p, c, &end, f);
                if (r == CLASS_HIT) {
                    p = end;
                    t = tn;
                    continue;
                }
                if (r == CLASS_NONE && c == '[') {
                    p++;
                    t = tn;
                    continue;
                }
            } else {
                size_t pn = p;
                if (next(pat, plen, &pn, f) == c) {
                    p = pn;
                    t = tn;
                    continue;
                }
            }
        }
        /* Mismatch: let the latest '*' swallow one more char and retry. */
        if (!have_star) return false;
        nidus__utf8_next(text, tlen, &star_t);
        t = star_t;
        p = star_p;
    }
    while (p < plen && pat[p] == '*') p++;
    return p == plen;
}

bool nidus__glob_match(const char *pat, size_t plen, const char *text, size_t tlen) {
    return glob(pat, plen, text, tlen, false);
}

bool nidus__iglob_match(const char *pat, size_t plen, const char *text, size_t tlen) {
    return glob(pat, plen, text, tlen, true);
}

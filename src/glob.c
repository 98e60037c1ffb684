/* glob.c — the nidus 0.3 glob dialect: anchored, case-sensitive, by Unicode scalar.
 * `*` any run, `?` one char, `[...]` classes with `!`/`^` negation and `x-y`
 * ranges, no escapes. Greedy matching that backtracks to the latest `*` only,
 * which is exact for this dialect (no construct can consume a variable amount
 * except `*`) and costs O(plen * tlen) at worst with no allocation. */
#include "nidus_internal.h"

enum { CLASS_NONE, CLASS_MISS, CLASS_HIT };

/* Match scalar c against the class starting at pat[at] == '['. On CLASS_HIT or
 * CLASS_MISS *end is just past the closing ']'. CLASS_NONE: no closing ']', so
 * the '[' is a literal. */
static int class_match(const char *pat, size_t plen, size_t at, uint32_t c, size_t *end) {
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
        uint32_t lo = nidus__utf8_next(pat, plen, &i);
        /* `x-y` is a range only when a char other than ']' follows the '-';
         * otherwise the '-' is a member of its own (e.g. `[a-]`). */
        if (i + 1 < plen && pat[i] == '-' && pat[i + 1] != ']') {
            size_t j = i + 1;
            uint32_t hi = nidus__utf8_next(pat, plen, &j);
            if (lo <= c && c <= hi) hit = true;
            i = j;
        } else if (lo == c) {
            hit = true;
        }
    }
    return CLASS_NONE;
}

bool nidus__glob_match(const char *pat, size_t plen, const char *text, size_t tlen) {
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
            uint32_t c = nidus__utf8_next(text, tlen, &tn);
            if (pc == '?') {
                p++;
                t = tn;
                continue;
            }
            if (pc == '[') {
                size_t end;
                int r = class_match(pat, plen, p, c, &end);
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
                if (nidus__utf8_next(pat, plen, &pn) == c) {
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

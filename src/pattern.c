/* pattern.c — the Regex predicate. nidus uses Rust's regex crate (linear time,
 * RE2 syntax); a library with no dependencies has libc's POSIX regcomp/regexec.
 * The dialect is POSIX ERE with a few nidus-isms translated (SPEC.md section
 * 10.4): a leading `(?i)` becomes REG_ICASE, `(?:` a plain group, `.` any
 * character but a newline (as in nidus), `\d` `\D` `\n` `\t` `\r` `\f` `\v` their
 * meanings. Refused, with the reason: back-references (the one ERE feature
 * without a polynomial bound), every other `(?` group (inline flags, lookaround,
 * named groups), a backslash inside a bracket expression (POSIX and nidus read it
 * differently), escapes this dialect lacks (`\p`, `\A`, ...), patterns over 1024
 * bytes, and counted repetitions that expand past 32768 atoms.
 *
 * The pattern is anchored as ^(p)$, so alternation is anchored as a whole. It is
 * compiled and run under a C.UTF-8 locale, so `.` is one character, never a byte;
 * the locale is set per call with uselocale (per thread) and restored, never
 * with setlocale. regexec on a shared regex_t is safe from several threads. */
#include "nidus_internal.h"

#include <locale.h>
#include <regex.h>
#include <stdio.h>

#define MAX_EXPANDED 32768

struct npattern {
    regex_t re;
};

/* ---------------------------------------------------------------- locale ---- */

static locale_t utf8_loc = (locale_t)0;
static pthread_once_t loc_once = PTHREAD_ONCE_INIT;

static void loc_init(void) {
    static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"};
    for (size_t i = 0; i < sizeof names / sizeof *names && !utf8_loc; i++)
        utf8_loc = newlocale(LC_ALL_MASK, names[i], (locale_t)0);
}

static locale_t loc_get(void) {
    pthread_once(&loc_once, loc_init);
    return utf8_loc;
}

/* ----------------------------------------------------------- translation ---- */

typedef struct tr {
    char *out;
    size_t n;
    /* Sizes for the expansion bound: the current group's so far, per open group,
     * and the last atom's (what a quantifier repeats). */
    uint64_t cur, last;
    uint64_t stack[NIDUS__MAX_PATTERN];
    size_t depth;
} tr;

static void put(tr *t, const char *s, size_t n) {
    memcpy(t->out + t->n, s, n);
    t->n += n;
}

static void atom(tr *t) {
    t->last = 1;
    t->cur += 1;
}

static int refuse(nerr *e, const char *why, size_t at) {
    return nidus__err(e, NIDUS_EINVAL, 0, "%s (at byte %zu)", why, at);
}

/* A counted repetition {n}, {n,} or {n,m} at p[i] == '{': the bound it multiplies
 * the last atom by. Returns false when it is not a well-formed one (regcomp then
 * judges the text). */
static bool repeat_bound(const char *p, size_t len, size_t i, uint64_t *mult) {
    uint64_t a = 0, b = 0;
    bool have_b = false, comma = false, digits = false;
    for (i++; i < len && p[i] != '}'; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            uint64_t *x = comma ? &b : &a;
            if (*x < 100000) *x = *x * 10 + (uint64_t)(p[i] - '0');
            digits = true;
            if (comma) have_b = true;
        } else if (p[i] == ',' && !comma) {
            comma = true;
        } else {
            return false;
        }
    }
    if (i == len || !digits) return false;
    *mult = comma ? (have_b ? (b > a ? b : a) : a + 1) : a;
    if (*mult == 0) *mult = 1;
    return true;
}

static int translate(tr *t, const char *p, size_t len, nerr *e) {
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\') {
            if (i + 1 == len) return refuse(e, "a trailing backslash", i);
            unsigned char x = (unsigned char)p[i + 1];
            i += 2;
            if (x >= '0' && x <= '9') return refuse(e, "back-references are not supported", i - 2);
            switch (x) {
            case 'd': put(t, "[0-9]", 5); break;
            case 'D': put(t, "[^0-9]", 6); break;
            case 'n': put(t, "\n", 1); break;
            case 't': put(t, "\t", 1); break;
            case 'r': put(t, "\r", 1); break;
            case 'f': put(t, "\f", 1); break;
            case 'v': put(t, "\v", 1); break;
            case 'w': case 'W': case 's': case 'S': { /* glibc's own classes */
                char two[2] = {'\\', (char)x};
                put(t, two, 2);
                break;
            }
            default:
                if (x < 0x80 && ((x | 32) >= 'a' && (x | 32) <= 'z')) {
                    char why[64];
                    snprintf(why, sizeof why, "the escape \\%c is not supported", x);
                    return refuse(e, why, i - 2);
                }
                if (x >= 0x80) {
                    /* An escaped non-ASCII character is itself. */
                    size_t j = i - 1;
                    nidus__utf8_next(p, len, &j);
                    put(t, p + i - 1, j - (i - 1));
                    i = j;
                } else {
                    char two[2] = {'\\', (char)x};
                    put(t, two, 2);
                }
            }
            atom(t);
            continue;
        }
        if (c == '(') {
            if (i + 1 < len && p[i + 1] == '?') {
                if (i + 2 < len && p[i + 2] == ':') {
                    i += 3;
                } else {
                    return refuse(e, "(? groups other than a leading (?i) and (?: are not supported", i);
                }
            } else {
                i++;
            }
            put(t, "(", 1);
            t->stack[t->depth++] = t->cur;
            t->cur = 0;
            continue;
        }
        if (c == ')') {
            put(t, ")", 1);
            i++;
            if (t->depth) {
                uint64_t g = t->cur ? t->cur : 1;
                t->cur = t->stack[--t->depth] + g;
                t->last = g;
            }
            continue;
        }
        if (c == '.') {
            put(t, "[^\n]", 4);
            i++;
            atom(t);
            continue;
        }
        if (c == '[') {
            size_t j = i + 1;
            if (j < len && p[j] == '^') j++;
            if (j < len && p[j] == ']') j++;
            while (j < len && p[j] != ']') {
                if (p[j] == '\\') return refuse(e, "a backslash inside [...] is not supported; write the character itself", j);
                if (p[j] == '[' && j + 1 < len && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) {
                    char end = p[j + 1];
                    size_t k = j + 2;
                    while (k + 1 < len && !(p[k] == end && p[k + 1] == ']')) k++;
                    j = k + 1 < len ? k + 2 : len;
                    continue;
                }
                j++;
            }
            if (j < len) j++; /* the ']'; unterminated: regcomp says so */
            put(t, p + i, j - i);
            i = j;
            atom(t);
            continue;
        }
        if (c == '{') {
            uint64_t mult;
            if (repeat_bound(p, len, i, &mult)) {
                t->cur += t->last * (mult - 1);
                t->last *= mult;
                if (t->cur > MAX_EXPANDED || t->last > MAX_EXPANDED)
                    return refuse(e, "counted repetitions expand past 32768 atoms", i);
                size_t j = i;
                while (p[j] != '}') j++;
                put(t, p + i, j + 1 - i);
                i = j + 1;
                continue;
            }
        }
        /* Anything else is copied: one character. */
        size_t j = i;
        nidus__utf8_next(p, len, &j);
        put(t, p + i, j - i);
        i = j;
        if (c != '*' && c != '+' && c != '?' && c != '|' && c != '^' && c != '$') atom(t);
    }
    return NIDUS_OK;
}

/* -------------------------------------------------------------- compile ---- */

int nidus__pattern_compile(const char *pat, size_t len, npattern **out, nerr *e) {
    *out = NULL;
    if (len > NIDUS__MAX_PATTERN)
        return nidus__err(e, NIDUS_EINVAL, 0, "the pattern is %zu bytes, above the maximum of %d", len,
                          NIDUS__MAX_PATTERN);
    locale_t loc = loc_get();
    if (!loc) return nidus__err(e, NIDUS_EINVAL, 0, "Regex needs a UTF-8 locale (C.UTF-8), which this system lacks");
    int flags = REG_EXTENDED | REG_NOSUB;
    size_t at = 0;
    if (len >= 4 && memcmp(pat, "(?i)", 4) == 0) {
        flags |= REG_ICASE;
        at = 4;
    }
    tr *t = nidus__malloc(sizeof *t);
    char *buf = nidus__malloc(6 * len + 8);
    npattern *p = nidus__malloc(sizeof *p);
    int rc = NIDUS_OK;
    if (!t || !buf || !p) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling a pattern");
        goto out;
    }
    t->out = buf;
    t->n = 0;
    t->cur = t->last = 0;
    t->depth = 0;
    put(t, "^(", 2);
    if ((rc = translate(t, pat + at, len - at, e))) goto out;
    put(t, ")$", 2);
    buf[t->n] = 0;
    locale_t old = uselocale(loc);
    int r = regcomp(&p->re, buf, flags);
    uselocale(old);
    if (r != 0) {
        if (r == REG_ESPACE) {
            rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling a pattern");
        } else {
            char why[160];
            regerror(r, &p->re, why, sizeof why);
            rc = nidus__err(e, NIDUS_EINVAL, 0, "invalid Regex pattern: %s", why);
        }
        goto out;
    }
    *out = p;
    p = NULL;
out:
    nidus__free(p);
    nidus__free(buf);
    nidus__free(t);
    return rc;
}

bool nidus__pattern_match(const npattern *p, const char *s, size_t len) {
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    locale_t old = uselocale(utf8_loc);
    int r = regexec(&p->re, s ? s : "", 1, m, REG_STARTEND);
    uselocale(old);
    return r == 0;
}

void nidus__pattern_free(npattern *p) {
    if (!p) return;
    regfree(&p->re);
    nidus__free(p);
}

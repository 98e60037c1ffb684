/*
 * reference.h — slow, obviously-correct reference semantics that fuzz targets
 * compare the library against: the glob dialect (nidus.h; nidus 0.3 §2.8) and
 * structural value equality (Float by ==, so NaN equals nothing).
 */
#ifndef NIDUS_FUZZ_REFERENCE_H
#define NIDUS_FUZZ_REFERENCE_H

#include "common.h"

/* --------------------------------------------------------- reference glob ---- */

/* Decode valid UTF-8 into scalars. */
static inline size_t scalars(const char *s, size_t len, uint32_t *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < len && n < cap;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t need = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        cp = need == 0 ? c : need == 1 ? (c & 0x1Fu) : need == 2 ? (c & 0x0Fu) : (c & 0x07u);
        for (size_t k = 1; k <= need; k++) cp = cp << 6 | ((unsigned char)s[i + k] & 0x3Fu);
        out[n++] = cp;
        i += need + 1;
    }
    return n;
}

#define GMAX 80
static const uint32_t *gp, *gt;
static size_t gm, gn;
static signed char memo[GMAX + 1][GMAX + 1];

/* Does pattern[i..] match text[j..]? */
static inline bool ref_match(size_t i, size_t j) {
    if (memo[i][j] >= 0) return memo[i][j];
    bool r;
    if (i == gm) {
        r = j == gn;
    } else if (gp[i] == '*') {
        r = ref_match(i + 1, j) || (j < gn && ref_match(i, j + 1));
    } else if (j == gn) {
        r = false;
    } else if (gp[i] == '?') {
        r = ref_match(i + 1, j + 1);
    } else if (gp[i] == '[') {
        size_t k = i + 1;
        bool neg = false, hit = false, closed = false;
        if (k < gm && (gp[k] == '!' || gp[k] == '^')) {
            neg = true;
            k++;
        }
        while (k < gm) {
            if (gp[k] == ']') {
                closed = true;
                break;
            }
            uint32_t lo = gp[k];
            if (k + 2 < gm && gp[k + 1] == '-' && gp[k + 2] != ']') {
                if (lo <= gt[j] && gt[j] <= gp[k + 2]) hit = true;
                k += 3;
            } else {
                if (lo == gt[j]) hit = true;
                k++;
            }
        }
        if (closed)
            r = hit != neg && ref_match(k + 1, j + 1);
        else
            r = gt[j] == '[' && ref_match(i + 1, j + 1); /* unterminated: literal '[' */
    } else {
        r = gp[i] == gt[j] && ref_match(i + 1, j + 1);
    }
    memo[i][j] = (signed char)r;
    return r;
}

static inline bool ref_glob(const char *pat, size_t plen, const char *text, size_t tlen) {
    uint32_t p[GMAX], t[GMAX];
    gm = scalars(pat, plen, p, GMAX);
    gn = scalars(text, tlen, t, GMAX);
    gp = p;
    gt = t;
    memset(memo, -1, sizeof memo);
    return ref_match(0, 0);
}

static inline bool ref_eq(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR: {
        size_t la = nidus__in_len(a->v.str), lb = nidus__in_len(b->v.str);
        return la == lb && memcmp(a->v.str.ptr, b->v.str.ptr, la) == 0;
    }
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return !a->v.b == !b->v.b;
    case NIDUS_FLOAT: return a->v.f == b->v.f;
    case NIDUS_LIST:
        if (a->v.list.count != b->v.list.count) return false;
        for (size_t k = 0; k < a->v.list.count; k++) {
            nidus_str x = a->v.list.items[k], y = b->v.list.items[k];
            size_t lx = nidus__in_len(x), ly = nidus__in_len(y);
            if (lx != ly || memcmp(x.ptr, y.ptr, lx) != 0) return false;
        }
        return true;
    }
    return false;
}

#endif

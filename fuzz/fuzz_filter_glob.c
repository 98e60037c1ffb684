/*
 * fuzz_filter_glob — glob matching, filter compilation and filter matching.
 *
 * Input (read with common.h's byte reader; running out gives zeros):
 *   a pattern and a text (strings, see take_str), then predicates and attributes.
 *
 * Properties:
 *  - nidus__glob_match and nidus__iglob_match never read outside pat[0..plen) /
 *    text[0..tlen), whatever the bytes (exact-size heap copies, so ASan sees a
 *    read one past the end);
 *  - nidus__iglob_match equals the reference glob of the ASCII-folded strings;
 *  - on valid UTF-8 it agrees with a reference matcher written from the dialect's
 *    definition (nidus.h, docs: `*`, `?`, classes with !/^ and ranges, `]` first
 *    closes, unterminated `[` literal) as a memoized recursion over scalars;
 *  - nidus__filter_compile accepts exactly the predicates whose kind, key, pattern
 *    and values are valid (else NIDUS_EINVAL with a message), never leaks;
 *  - nidus__attrs_from_input accepts exactly valid attributes, sorts them, keeps the
 *    last of a repeated key;
 *  - nidus__filter_match agrees with a reference evaluation of the predicates over
 *    the input attributes (absent key fails; structural equality; Glob on Str
 *    only; In over the set).
 */
#include "reference.h"

#include <math.h>

/* ------------------------------------------------------------------ input ---- */

/* Strings worth combining: glob syntax, multi-byte scalars, near-misses. */
static const char *const STOCK[] = {
    "",      "x",     "y",     "xy",     "*",      "?",       "[",      "]",      "[a-z]",   "[!x]",
    "[^x]",  "[]",    "[!]",   "[a-]",   "[]x]",   "x*y",     "*x*",    "**",     "?*",      "[*",
    "é",     "h*o",   "héllo", "✓",      "😀",     "[é-✓]",   "[z-a]",  "a-",     "-",       "[x-",
    "src/*", "src/a", "\x80",  "\xc3",   "\xed\xa0\x80", "\xf4\x90\x80\x80", "[\xc3]", "*\xe2\x9c", "k", "t",
};
#define N_STOCK (sizeof STOCK / sizeof *STOCK)

typedef struct sbuf {
    char *p; /* exact-size heap copy, NUL-terminated one past len */
    size_t len;
} sbuf;

/* Strings kept for the life of one input. */
static sbuf *pool;
static size_t n_pool, cap_pool;

static sbuf take_str(fz *f, bool allow_nul) {
    uint8_t b = fz_u8(f);
    char tmp[64];
    size_t n = 0;
    if (b & 0x80) {
        /* Concatenate up to three stock pieces. */
        int parts = 1 + (b & 3);
        for (int k = 0; k < parts && k < 3; k++) {
            const char *s = STOCK[fz_u8(f) % N_STOCK];
            size_t l = strlen(s);
            if (n + l >= sizeof tmp) break;
            memcpy(tmp + n, s, l);
            n += l;
        }
    } else {
        n = b % 24;
        for (size_t k = 0; k < n; k++) {
            uint8_t c = fz_u8(f);
            tmp[k] = (char)(!allow_nul && c == 0 ? 'z' : c);
        }
    }
    sbuf s;
    s.len = n;
    s.p = malloc(n + 1);
    if (!s.p) abort();
    memcpy(s.p, tmp, n);
    s.p[n] = 0;
    if (n_pool == cap_pool) {
        cap_pool = cap_pool ? cap_pool * 2 : 32;
        pool = realloc(pool, cap_pool * sizeof *pool);
        if (!pool) abort();
    }
    pool[n_pool++] = s;
    return s;
}

static void pool_free(void) {
    for (size_t i = 0; i < n_pool; i++) free(pool[i].p);
    free(pool);
    pool = NULL;
    n_pool = cap_pool = 0;
}

static bool valid(sbuf s) { return nidus__utf8_valid(s.p, s.len); }

/* A caller value; *ok says whether the library must accept it. */
static nidus_value take_value(fz *f, bool *ok) {
    nidus_value v;
    memset(&v, 0, sizeof v);
    uint8_t t = fz_u8(f);
    switch (t % 8) {
    case 0: v.type = NIDUS_NULL; break;
    case 1: {
        sbuf s = take_str(f, true);
        v.type = NIDUS_STR;
        v.v.str.ptr = s.p;
        /* Explicit length (may hold U+0000) or NIDUS_NTS. */
        v.v.str.len = (t & 0x40) ? NIDUS_NTS : s.len;
        *ok = *ok && nidus__utf8_valid(s.p, (t & 0x40) ? strlen(s.p) : s.len);
        break;
    }
    case 2: v.type = NIDUS_INT; v.v.i = (int64_t)(int8_t)fz_u8(f); break;
    case 3: v.type = NIDUS_BOOL; v.v.b = fz_u8(f) % 3; break; /* 2 reads as 1 */
    case 4: {
        size_t n = fz_u8(f) % 4;
        nidus_str *items = NULL;
        if (n) {
            items = calloc(n, sizeof *items);
            if (!items) abort();
            /* Owned by the pool through a fake entry. */
            if (n_pool == cap_pool) {
                cap_pool = cap_pool ? cap_pool * 2 : 32;
                pool = realloc(pool, cap_pool * sizeof *pool);
                if (!pool) abort();
            }
            pool[n_pool++] = (sbuf){(char *)items, 0};
        }
        for (size_t k = 0; k < n; k++) {
            sbuf s = take_str(f, true);
            items[k].ptr = s.p;
            items[k].len = s.len;
            *ok = *ok && valid(s);
        }
        v.type = NIDUS_LIST;
        v.v.list.items = items;
        v.v.list.count = n;
        break;
    }
    case 5: {
        static const double F[] = {0.5, -0.0, 0.0, 1e300, -2.25};
        uint8_t k = fz_u8(f);
        v.type = NIDUS_FLOAT;
        v.v.f = k % 6 == 5 ? NAN : F[k % 6 % 5];
        break;
    }
    case 6: v.type = NIDUS_DATETIME; v.v.i = (int64_t)(int8_t)fz_u8(f) * 1000; break;
    default:
        v.type = (nidus_type)(7 + (t >> 3) % 4); /* unknown */
        *ok = false;
        break;
    }
    return v;
}

/* The value of the last input attribute named key, or NULL. */
static const nidus_value *ref_get(const nidus_attr *in, size_t n, const char *key) {
    const nidus_value *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(in[i].key, key)) v = &in[i].value;
    return v;
}

static bool ref_filter(const nidus_pred *preds, size_t np, const nidus_attr *in, size_t na) {
    for (size_t k = 0; k < np; k++) {
        const nidus_pred *p = &preds[k];
        const nidus_value *v = ref_get(in, na, p->key);
        if (!v) return false;
        bool m = false;
        if (p->kind == NIDUS_PRED_EQ) {
            m = ref_eq(&p->value, v);
        } else if (p->kind == NIDUS_PRED_GLOB) {
            m = v->type == NIDUS_STR &&
                ref_glob(p->pattern, strlen(p->pattern), v->v.str.ptr, nidus__in_len(v->v.str));
        } else {
            for (size_t s = 0; s < p->set_len && !m; s++) m = ref_eq(&p->set[s], v);
        }
        if (!m) return false;
    }
    return true;
}

/* ------------------------------------------------------------------- target ---- */

#define MAXP 4
#define MAXA 5
#define MAXS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz f = {data, size, 0};

    /* 1. Raw glob on arbitrary bytes. */
    sbuf pat = take_str(&f, true), text = take_str(&f, true);
    bool got = nidus__glob_match(pat.p, pat.len, text.p, text.len);
    if (valid(pat) && valid(text)) {
        bool want = ref_glob(pat.p, pat.len, text.p, text.len);
        FZ_CHECK_MSG(got == want, "glob(\"%s\", \"%s\") = %d, reference says %d", pat.p, text.p, got, want);
        /* IGlob is the glob of the ASCII-folded strings (nidus 0.80). */
        char fp[64], ft[64];
        for (size_t k = 0; k <= pat.len; k++) fp[k] = (char)(pat.p[k] >= 'A' && pat.p[k] <= 'Z' ? pat.p[k] + 32 : pat.p[k]);
        for (size_t k = 0; k <= text.len; k++) ft[k] = (char)(text.p[k] >= 'A' && text.p[k] <= 'Z' ? text.p[k] + 32 : text.p[k]);
        bool igot = nidus__iglob_match(pat.p, pat.len, text.p, text.len);
        bool iwant = ref_glob(fp, pat.len, ft, text.len);
        FZ_CHECK_MSG(igot == iwant, "iglob(\"%s\", \"%s\") = %d, reference says %d", pat.p, text.p, igot, iwant);
    } else {
        (void)nidus__iglob_match(pat.p, pat.len, text.p, text.len); /* in bounds on any bytes */
    }

    /* 2. Predicates. */
    nidus_pred preds[MAXP];
    nidus_value sets[MAXP][MAXS];
    size_t np = fz_u8(&f) % (MAXP + 1);
    bool preds_ok = true;
    for (size_t k = 0; k < np; k++) {
        nidus_pred *p = &preds[k];
        memset(p, 0, sizeof *p);
        uint8_t kind = fz_u8(&f);
        p->kind = (nidus_pred_kind)(kind % 8 == 7 ? 3 + kind / 8 % 3 : kind % 3);
        bool ok = p->kind <= NIDUS_PRED_IN;
        sbuf key = take_str(&f, false);
        p->key = key.p;
        ok = ok && valid(key);
        if (p->kind == NIDUS_PRED_EQ) {
            p->value = take_value(&f, &ok);
        } else if (p->kind == NIDUS_PRED_GLOB) {
            sbuf pt = take_str(&f, false);
            p->pattern = pt.p;
            ok = ok && valid(pt);
        } else if (p->kind == NIDUS_PRED_IN) {
            p->set_len = fz_u8(&f) % (MAXS + 1);
            p->set = sets[k];
            for (size_t s = 0; s < p->set_len; s++) sets[k][s] = take_value(&f, &ok);
        }
        preds_ok = preds_ok && ok;
    }
    nfilter *flt = NULL;
    nerr e = {0};
    int rc = nidus__filter_compile(np ? preds : NULL, np, &flt, &e);
    FZ_CHECK_MSG((rc == NIDUS_OK) == preds_ok, "filter_compile rc %d, expected %s: %s", rc,
                 preds_ok ? "OK" : "EINVAL", e.msg);
    if (rc != NIDUS_OK) {
        FZ_CHECK(rc == NIDUS_EINVAL && e.msg[0] && flt == NULL);
    } else {
        FZ_CHECK((flt == NULL) == (np == 0));
    }

    /* 3. Attributes. */
    nidus_attr in[MAXA];
    size_t na = fz_u8(&f) % (MAXA + 1);
    bool attrs_ok = true;
    for (size_t k = 0; k < na; k++) {
        /* Keys from a small set collide often, so last-wins is exercised. */
        uint8_t kb = fz_u8(&f);
        if (kb & 1) {
            sbuf key = take_str(&f, false);
            in[k].key = key.p;
            attrs_ok = attrs_ok && valid(key);
        } else {
            in[k].key = STOCK[37 + (kb >> 1) % 3]; /* "*\xe2\x9c" (invalid), "k" or "t" */
            attrs_ok = attrs_ok && nidus__utf8_valid(in[k].key, strlen(in[k].key));
        }
        in[k].value = take_value(&f, &attrs_ok);
    }
    nattrs attrs;
    rc = nidus__attrs_from_input(na ? in : NULL, na, &attrs, &e);
    FZ_CHECK_MSG((rc == NIDUS_OK) == attrs_ok, "attrs_from_input rc %d, expected %s: %s", rc,
                 attrs_ok ? "OK" : "EINVAL", e.msg);
    if (rc == NIDUS_OK) {
        for (size_t i = 0; i < attrs.n; i++) {
            if (i)
                FZ_CHECK(nidus__str_cmp(attrs.items[i - 1].key.ptr, attrs.items[i - 1].key.len,
                                        attrs.items[i].key.ptr, attrs.items[i].key.len) < 0);
            const nidus_value *want = ref_get(in, na, attrs.items[i].key.ptr);
            FZ_CHECK(want != NULL);
            FZ_CHECK(ref_eq(want, &attrs.items[i].val) || (want->type == NIDUS_FLOAT && want->v.f != want->v.f));
            FZ_CHECK(nidus__attrs_get(&attrs, attrs.items[i].key.ptr, attrs.items[i].key.len) == &attrs.items[i].val);
        }
        for (size_t k = 0; k < na; k++) FZ_CHECK(nidus__attrs_get(&attrs, in[k].key, NIDUS_NTS) != NULL);

        /* 4. Matching against the reference. */
        if (flt || np == 0) {
            bool m = nidus__filter_match(flt, &attrs);
            bool want = ref_filter(preds, np, in, na);
            FZ_CHECK_MSG(m == want, "filter_match = %d, reference says %d", m, want);
        }
        nidus__attrs_free(&attrs);
    } else {
        FZ_CHECK(rc == NIDUS_EINVAL && e.msg[0]);
    }
    nidus__filter_free(flt);
    pool_free();
    return 0;
}

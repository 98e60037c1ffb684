/* filter.c — predicates compiled once per call, then matched against every
 * candidate record. Compilation owns copies of everything (keys with lengths,
 * values, patterns), so matching never touches caller memory, never allocates and
 * never measures a string. */
#include "nidus_internal.h"

#include <stdio.h>

typedef struct npred {
    nidus_pred_kind kind;
    nstr key;              /* NUL-terminated */
    nidus_value value;     /* EQ: owned */
    nstr pattern;          /* GLOB */
    bool pat_literal;      /* GLOB: no `*`, `?` or `[`, so a byte compare decides */
    nidus_value *set;      /* IN: owned values */
    size_t set_len;
} npred;

struct nfilter {
    npred *preds;
    size_t n;
};

static void pred_free(npred *p) {
    nidus__free(p->key.ptr);
    nidus__value_free(&p->value);
    nidus__free(p->pattern.ptr);
    for (size_t k = 0; k < p->set_len; k++) nidus__value_free(&p->set[k]);
    nidus__free(p->set);
}

void nidus__filter_free(nfilter *f) {
    if (!f) return;
    for (size_t k = 0; k < f->n; k++) pred_free(&f->preds[k]);
    nidus__free(f->preds);
    nidus__free(f);
}

/* Validated, owned copy of a value, through value.c's attribute copier (the one
 * place that knows how to deep-copy and check a caller value). */
static int value_take(const char *key, const nidus_value *in, nidus_value *out, nerr *e) {
    nidus_attr a;
    a.key = key;
    a.value = *in;
    nattrs tmp;
    int rc = nidus__attrs_from_input(&a, 1, &tmp, e);
    if (rc) return rc;
    *out = tmp.items[0].val;
    tmp.items[0].val.type = NIDUS_NULL; /* moved out */
    nidus__attrs_free(&tmp);
    return NIDUS_OK;
}

static const char *kind_name(nidus_pred_kind k) {
    return k == NIDUS_PRED_EQ ? "Eq" : k == NIDUS_PRED_GLOB ? "Glob" : "In";
}

/* Fill *dst from *src. On failure *dst holds whatever was copied so far, which
 * pred_free releases. */
static int pred_compile(const nidus_pred *src, size_t at, npred *dst, nerr *e) {
    if (src->kind != NIDUS_PRED_EQ && src->kind != NIDUS_PRED_GLOB && src->kind != NIDUS_PRED_IN)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu: unknown kind %d", at,
                          (int)src->kind);
    dst->kind = src->kind;
    if (!src->key)
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (%s): key is NULL", at,
                          kind_name(src->kind));
    size_t klen = strlen(src->key);
    if (!nidus__utf8_valid(src->key, klen))
        return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (%s): key is not valid UTF-8",
                          at, kind_name(src->kind));
    char *key = nidus__strndup(src->key, klen);
    if (!key) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter");
    dst->key.ptr = key;
    dst->key.len = klen;

    int rc = NIDUS_OK;
    switch (src->kind) {
    case NIDUS_PRED_EQ: rc = value_take(key, &src->value, &dst->value, e); break;
    case NIDUS_PRED_GLOB: {
        if (!src->pattern)
            return nidus__err(e, NIDUS_EINVAL, 0, "filter predicate %zu (Glob): pattern is NULL",
                              at);
        size_t plen = strlen(src->pattern);
        if (!nidus__utf8_valid(src->pattern, plen))
            return nidus__err(e, NIDUS_EINVAL, 0,
                              "filter predicate %zu (Glob): pattern is not valid UTF-8", at);
        char *pat = nidus__strndup(src->pattern, plen);
        if (!pat) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter");
        dst->pattern.ptr = pat;
        dst->pattern.len = plen;
        dst->pat_literal = strpbrk(pat, "*?[") == NULL;
        break;
    }
    case NIDUS_PRED_IN:
        if (src->set_len && !src->set)
            return nidus__err(e, NIDUS_EINVAL, 0,
                              "filter predicate %zu (In): set is NULL with %zu values", at,
                              src->set_len);
        if (src->set_len) {
            dst->set = nidus__calloc(src->set_len, sizeof *dst->set);
            if (!dst->set) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter");
            /* Counted as we go: calloc'd slots are Null, so freeing all is safe too. */
            for (size_t k = 0; k < src->set_len && rc == NIDUS_OK; k++) {
                dst->set_len = k + 1;
                rc = value_take(key, &src->set[k], &dst->set[k], e);
            }
        }
        break;
    }
    if (rc && rc != NIDUS_ENOMEM && e) {
        /* Say which predicate the value.c message is about. */
        char inner[sizeof e->msg];
        snprintf(inner, sizeof inner, "%s", e->msg);
        nidus__err(e, rc, 0, "filter predicate %zu (%s): %s", at, kind_name(src->kind), inner);
    }
    return rc;
}

int nidus__filter_compile(const nidus_pred *preds, size_t n, nfilter **out, nerr *e) {
    *out = NULL;
    if (n == 0) return NIDUS_OK; /* NULL matches everything */
    if (!preds) return nidus__err(e, NIDUS_EINVAL, 0, "filter: NULL array with %zu predicates", n);
    nfilter *f = nidus__malloc(sizeof *f);
    if (!f) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter");
    f->n = 0;
    f->preds = nidus__calloc(n, sizeof *f->preds);
    if (!f->preds) {
        nidus__free(f);
        return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory compiling filter");
    }
    for (size_t k = 0; k < n; k++) {
        f->n = k + 1; /* the zeroed slot is safe to free if this one fails midway */
        int rc = pred_compile(&preds[k], k, &f->preds[k], e);
        if (rc) {
            nidus__filter_free(f);
            return rc;
        }
    }
    *out = f;
    return NIDUS_OK;
}

static bool pred_match(const npred *p, const nidus_value *v) {
    switch (p->kind) {
    case NIDUS_PRED_EQ: return nidus__value_eq(&p->value, v);
    case NIDUS_PRED_GLOB:
        if (v->type != NIDUS_STR) return false;
        if (p->pat_literal)
            return v->v.str.len == p->pattern.len &&
                   memcmp(v->v.str.ptr, p->pattern.ptr, p->pattern.len) == 0;
        return nidus__glob_match(p->pattern.ptr, p->pattern.len, v->v.str.ptr, v->v.str.len);
    case NIDUS_PRED_IN:
        for (size_t k = 0; k < p->set_len; k++)
            if (nidus__value_eq(&p->set[k], v)) return true;
        return false;
    }
    return false;
}

bool nidus__filter_match(const nfilter *f, const nattrs *attrs) {
    if (!f) return true;
    for (size_t k = 0; k < f->n; k++) {
        const npred *p = &f->preds[k];
        /* An absent key fails every kind, even Eq(Null) and In with Null. */
        const nidus_value *v = nidus__attrs_get(attrs, p->key.ptr, p->key.len);
        if (!v || !pred_match(p, v)) return false;
    }
    return true;
}

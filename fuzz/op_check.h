/*
 * op_check.h — checks on decoded log operations, shared by fuzz_frame and fuzz_log.
 */
#ifndef NIDUS_FUZZ_OP_CHECK_H
#define NIDUS_FUZZ_OP_CHECK_H

#include "common.h"

/* An owned decoded string: valid UTF-8, NUL right after its length. */
static inline void fz_check_str(const nidus_str *s) {
    if (!s->ptr) {
        FZ_CHECK(s->len == 0);
        return;
    }
    FZ_CHECK(s->ptr[s->len] == 0);
    FZ_CHECK(nidus__utf8_valid(s->ptr, s->len));
}

static inline bool fz_str_eq(nidus_str a, nidus_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Value identity: like nidus__value_eq but Float by bit pattern (NaN == NaN). */
static inline bool fz_value_same(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR: return fz_str_eq(a->v.str, b->v.str);
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return a->v.b == b->v.b;
    case NIDUS_FLOAT: return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0;
    case NIDUS_LIST:
        if (a->v.list.count != b->v.list.count) return false;
        for (size_t k = 0; k < a->v.list.count; k++)
            if (!fz_str_eq(a->v.list.items[k], b->v.list.items[k])) return false;
        return true;
    }
    return false;
}

/* A decoded op obeys the decoder's contract: known tag, owned valid strings, maps
 * sorted by key with unique keys, fields unused by the tag zero. */
static inline void fz_check_op(const nlogop *op) {
    FZ_CHECK(op->tag <= NIDUS__OP_DELETE || op->tag == NIDUS__OP_SET_FILTER_INDEX);
    if (op->tag != NIDUS__OP_SET_FILTER_INDEX) FZ_CHECK(op->nfields == 0 && op->fields == NULL);
    for (size_t i = 0; i < op->nfields; i++) {
        fz_check_str(&op->fields[i].name);
        FZ_CHECK(op->fields[i].name.ptr != NULL);
    }
    fz_check_str(&op->coll);
    FZ_CHECK(op->coll.ptr != NULL);
    fz_check_str(&op->id);
    bool has_id = op->tag == NIDUS__OP_UPSERT || op->tag == NIDUS__OP_DELETE;
    FZ_CHECK(has_id == (op->id.ptr != NULL));
    if (op->tag != NIDUS__OP_UPSERT) {
        FZ_CHECK(op->row == 0);
        FZ_CHECK(op->attrs.n == 0 && op->attrs.items == NULL);
    }
    if (op->tag != NIDUS__OP_SETMETA) FZ_CHECK(op->meta.n == 0 && op->meta.items == NULL);
    for (size_t i = 0; i < op->attrs.n; i++) {
        const nattr *a = &op->attrs.items[i];
        fz_check_str(&a->key);
        FZ_CHECK(a->val.type >= NIDUS_NULL && a->val.type <= NIDUS_DATETIME);
        if (a->val.type == NIDUS_STR) fz_check_str(&a->val.v.str);
        if (a->val.type == NIDUS_BOOL) FZ_CHECK(a->val.v.b == 0 || a->val.v.b == 1);
        if (a->val.type == NIDUS_LIST)
            for (size_t k = 0; k < a->val.v.list.count; k++) fz_check_str(&a->val.v.list.items[k]);
        if (i)
            FZ_CHECK(nidus__str_cmp(op->attrs.items[i - 1].key.ptr, op->attrs.items[i - 1].key.len,
                                    a->key.ptr, a->key.len) < 0);
    }
    for (size_t i = 0; i < op->meta.n; i++) {
        const nmeta_kv *kv = &op->meta.items[i];
        fz_check_str(&kv->key);
        fz_check_str(&kv->value);
        if (i)
            FZ_CHECK(nidus__str_cmp(op->meta.items[i - 1].key.ptr, op->meta.items[i - 1].key.len,
                                    kv->key.ptr, kv->key.len) < 0);
    }
}

static inline bool fz_op_same(const nlogop *a, const nlogop *b) {
    if (a->tag != b->tag || a->row != b->row || !fz_str_eq(a->coll, b->coll) || !fz_str_eq(a->id, b->id))
        return false;
    if (a->attrs.n != b->attrs.n || a->meta.n != b->meta.n || a->nfields != b->nfields) return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (!fz_str_eq(a->fields[i].name, b->fields[i].name) || a->fields[i].tokens != b->fields[i].tokens ||
            a->fields[i].trigrams != b->fields[i].trigrams)
            return false;
    for (size_t i = 0; i < a->attrs.n; i++)
        if (!fz_str_eq(a->attrs.items[i].key, b->attrs.items[i].key) ||
            !fz_value_same(&a->attrs.items[i].val, &b->attrs.items[i].val))
            return false;
    for (size_t i = 0; i < a->meta.n; i++)
        if (!fz_str_eq(a->meta.items[i].key, b->meta.items[i].key) ||
            !fz_str_eq(a->meta.items[i].value, b->meta.items[i].value))
            return false;
    return true;
}

#endif

/* write.c — every public writer: create and drop collections, set_meta, upsert,
 * delete, delete_where, flush. Each is a transaction (SPEC.md §3) on one skeleton:
 * txn_begin (enter the handle for writing, check the collection name), validate,
 * prepare every allocation (a new collection through nidus__coll_get), txn_write
 * (the durability protocol), commit to memory in steps that cannot fail, txn_end
 * (leave, report). */
#include "db.h"
#include "findex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------- the skeleton ---- */

/* Enter the handle for writing and check the collection name. */
static int txn_begin(nidus_db *db, const char *collection) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    if (nidus__utf8_cstr(collection)) return NIDUS_OK;
    nidus__leave(db);
    return nidus__set_errorf(db, NIDUS_EINVAL, "collection name is NULL or not valid UTF-8");
}

/* Leave the handle; a failure becomes its error. */
static int txn_end(nidus_db *db, int rc, const nerr *e) {
    nidus__leave(db);
    return rc ? nidus__set_error(db, e) : NIDUS_OK;
}

/* The write step, for every writer: the rows first (if any) in one write and
 * fsynced whatever the fsync mode (a logged row must already be durable: the
 * reader rule), then the log frames in one write, fsynced under
 * NIDUS_FSYNC_PER_BATCH. On failure the log is cut back to where it was and the
 * error returned; if that cut fails, the file may hold a record that memory does
 * not, so the handle is marked broken (writes get NIDUS_EBROKEN until a reopen
 * reconciles them). `data` is never cut (SPEC.md §14): once the log may have held
 * frames naming the rows, a reader in another process may have read them before
 * the cut and mapped the rows, so those rows stay, as orphan rows no record names
 * (dead, dropped by the next compaction). Rows that no log byte can have named
 * (their write or their fsync failed) are not counted, and the next append writes
 * over them. On NIDUS_OK the caller commits to memory. */
static int txn_write(nidus_db *db, const float *rows, uint64_t nrows, const nbuf *frames, nerr *e) {
    const uint64_t log_mark = db->log.size, data_mark = db->data.rows;
    nerr ignored;
    int rc;
    if (nrows) {
        if ((rc = nidus__data_append(&db->data, rows, nrows, e))) return rc; /* the row count stands */
        if ((rc = nidus__data_sync(&db->data, e))) {
            db->data.rows = data_mark; /* nothing logged yet: written over next time */
            return rc;
        }
    }
    if ((rc = nidus__log_append(&db->log, frames, e))) {
        uint64_t size; /* the append cut back, best effort: did it? */
        if (db->log.fd >= 0 && (nidus__io_fsize(db->log.fd, &size) < 0 || size != log_mark)) db->broken = true;
        goto orphans;
    }
    if (db->cfg.fsync == NIDUS_FSYNC_PER_BATCH && (rc = nidus__log_sync(&db->log, e))) {
        if (nidus__log_truncate(&db->log, log_mark, &ignored)) db->broken = true;
        goto orphans;
    }
    return NIDUS_OK;
orphans:
    db->dead_rows += nrows;
    return rc;
}

/* ----------------------------------------------------------- collections ---- */

int nidus_create_collection(nidus_db *db, const char *name) {
    int rc = txn_begin(db, name);
    if (rc) return rc;
    nerr e = {0};
    nbuf frames = {0};
    ncoll *c = NULL;
    bool fresh = false;
    if ((rc = nidus__coll_get(&db->colls, name, strlen(name), &c, &fresh, "out of memory", &e)) || !fresh) goto out;
    nlogop op = {.tag = NIDUS__OP_CREATE, .coll = nidus__view(c->name)};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = txn_write(db, NULL, 0, &frames, &e))) goto out;
    nidus__colls_insert(&db->colls, c);
    fresh = false;
out:
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    return txn_end(db, rc, &e);
}

int nidus_drop_collection(nidus_db *db, const char *name) {
    int rc = txn_begin(db, name);
    if (rc) return rc;
    nerr e = {0};
    nbuf frames = {0};
    ncoll *c = nidus__coll_find(&db->colls, name, strlen(name));
    if (!c) goto out;
    nlogop op = {.tag = NIDUS__OP_DROP, .coll = nidus__view(c->name)};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = txn_write(db, NULL, 0, &frames, &e))) goto out;
    db->dead_rows += nidus__colls_remove(&db->colls, c);
out:
    nidus__buf_free(&frames);
    return txn_end(db, rc, &e);
}

int nidus_set_meta(nidus_db *db, const char *collection, const nidus_meta_entry *entries, size_t count) {
    int rc = txn_begin(db, collection);
    if (rc) return rc;
    nerr e = {0};
    nbuf frames = {0};
    nmeta meta = {0};
    ncoll *c = NULL;
    bool fresh = false;
    size_t len = strlen(collection);
    if ((rc = nidus__meta_from_input(entries, count, &meta, &e))) goto out;
    /* nidus 0.3 creates the collection implicitly and logs only the SetMeta. */
    if ((rc = nidus__coll_get(&db->colls, collection, len, &c, &fresh, "out of memory", &e))) goto out;
    nlogop op = {.tag = NIDUS__OP_SETMETA, .coll = {collection, len}, .meta = meta};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = txn_write(db, NULL, 0, &frames, &e))) goto out;
    if (fresh) nidus__colls_insert(&db->colls, c);
    fresh = false;
    nidus__meta_free(&c->meta);
    c->meta = meta;
    meta = (nmeta){0};
out:
    nidus__meta_free(&meta);
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    return txn_end(db, rc, &e);
}

/* ---------------------------------------------------------- filter index ---- */

/* nidus 0.80's rules for a declaration (findex/schema.rs): names not empty, none
 * twice; and ours for C input: not NULL, UTF-8. */
static int validate_fx_fields(const char *const *fields, size_t n, nfx_field **out, nerr *e) {
    *out = NULL;
    if (n && !fields) return nidus__err(e, NIDUS_EINVAL, 0, "fields is NULL but n_fields is %zu", n);
    for (size_t i = 0; i < n; i++) {
        if (!fields[i]) return nidus__err(e, NIDUS_EINVAL, 0, "filter index field %zu is NULL", i);
        if (!fields[i][0]) return nidus__err(e, NIDUS_EINVAL, 0, "filter index field name must not be empty");
        if (!nidus__utf8_cstr(fields[i]))
            return nidus__err(e, NIDUS_EINVAL, 0, "filter index field %zu is not valid UTF-8", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(fields[i], fields[j]) == 0)
                return nidus__err(e, NIDUS_EINVAL, 0, "filter index field `%.200s` declared twice", fields[i]);
    }
    if (!n) return NIDUS_OK;
    nfx_field *f = nidus__mallocarray(n, sizeof *f);
    if (!f) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    /* Both of nidus's structures on, its default (FilterIndexField::new). */
    for (size_t i = 0; i < n; i++) f[i] = (nfx_field){{fields[i], strlen(fields[i])}, true, true};
    *out = f;
    return NIDUS_OK;
}

int nidus_set_filter_index(nidus_db *db, const char *collection, const char *const *fields, size_t n_fields) {
    int rc = txn_begin(db, collection);
    if (rc) return rc;
    nerr e = {0};
    nbuf frames = {0};
    nfx_field *decl = NULL;
    nfindex *fx = NULL;
    ncoll *c = NULL;
    bool fresh = false;
    size_t len = strlen(collection);
    if ((rc = validate_fx_fields(fields, n_fields, &decl, &e))) goto out;
    ncoll *have = nidus__coll_find(&db->colls, collection, len);
    /* The same declaration again changes nothing, so nothing is logged (nidus 0.80
     * logs it again). A missing collection is created even by an empty list, as
     * nidus does. */
    if (have && nidus__findex_same(have->fx, decl, n_fields)) goto out;
    /* As nidus 0.80 does, the collection is created implicitly and only op 8 logged. */
    if ((rc = nidus__coll_get(&db->colls, collection, len, &c, &fresh, "out of memory", &e))) goto out;
    if (n_fields) {
        if ((rc = nidus__findex_new(decl, n_fields, &fx, &e))) goto out;
        if ((rc = nidus__findex_build(fx, c, &e))) goto out;
    }
    nlogop op = {.tag = NIDUS__OP_SET_FILTER_INDEX, .coll = {collection, len}, .fields = decl, .nfields = n_fields};
    if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    if ((rc = txn_write(db, NULL, 0, &frames, &e))) goto out;
    if (fresh) nidus__colls_insert(&db->colls, c);
    fresh = false;
    nidus__findex_free(c->fx);
    c->fx = fx; /* NULL: dropped */
    fx = NULL;
out:
    nidus__findex_free(fx);
    nidus__free(decl);
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    return txn_end(db, rc, &e);
}

/* ---------------------------------------------------------------- upsert ---- */

typedef struct staged {
    nstr id;
    nattrs attrs;
} staged;

static int validate_vector(const float *v, size_t n, size_t index, nerr *e) {
    if (!v) return nidus__err(e, NIDUS_EINVAL, 0, "record %zu: vector is NULL", index);
    for (size_t j = 0; j < n; j++)
        if (!isfinite(v[j]))
            return nidus__err(e, NIDUS_EINVAL, 0, "record %zu: vector element %zu is %s", index, j,
                              isnan(v[j]) ? "NaN" : "infinite");
    return NIDUS_OK;
}

int nidus_upsert(nidus_db *db, const char *collection, const nidus_record *records, size_t count) {
    return nidus_upsert_ex(db, collection, records, count, 0);
}

int nidus_upsert_ex(nidus_db *db, const char *collection, const nidus_record *records, size_t count,
                    unsigned flags) {
    int rc = txn_begin(db, collection);
    if (rc) return rc;
    if (flags & ~NIDUS_UPSERT_NORMALIZED) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EINVAL, "unknown upsert flags (only NIDUS_UPSERT_NORMALIZED is defined)");
    }
    nerr e = {0};
    nbuf frames = {0};
    staged *st = NULL;
    float *vecs = NULL;
    ncoll *c = NULL;
    bool fresh = false;
    size_t nstaged = 0, len = strlen(collection), blobs = 0;
    narena_chunk *mark = NULL; /* c->strs before this call reserved room */
    bool reserved = false, fx_reserved = false;
    uint32_t dim = db->cfg.dimension;
    uint64_t data_mark = db->data.rows;
    /* Only a cosine store normalizes (nidus 0.5+): euclidean and dot rows are
     * stored as given, and the flag means nothing there. */
    const bool normalize = db->cfg.distance == NIDUS_DISTANCE_COSINE && !(flags & NIDUS_UPSERT_NORMALIZED);
    const bool check_unit = db->cfg.distance == NIDUS_DISTANCE_COSINE && (flags & NIDUS_UPSERT_NORMALIZED);

    if (count && !records) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "records is NULL");
        goto out;
    }
    /* Validate everything before anything is touched. */
    for (size_t i = 0; i < count; i++) {
        if (records[i].dim != dim) {
            rc = nidus__err(&e, NIDUS_EDIM, 0, "vector length %zu does not match store dimension %u",
                            records[i].dim, dim);
            goto out;
        }
        if (!nidus__utf8_cstr(records[i].id)) {
            rc = nidus__err(&e, NIDUS_EINVAL, 0, "record %zu: id is NULL or not valid UTF-8", i);
            goto out;
        }
        if ((rc = validate_vector(records[i].vector, dim, i, &e))) goto out;
        if (check_unit) {
            double sq = 0;
            for (uint32_t j = 0; j < dim; j++) sq += (double)records[i].vector[j] * records[i].vector[j];
            if (sq != 0 && fabs(sqrt(sq) - 1.0) > 1e-4) {
                rc = nidus__err(&e, NIDUS_EINVAL, 0,
                                "record %zu: NIDUS_UPSERT_NORMALIZED but its norm is %.9g", i, sqrt(sq));
                goto out;
            }
        }
    }
    if ((rc = nidus__coll_get(&db->colls, collection, len, &c, &fresh, "out of memory", &e))) goto out;
    if (fresh) {
        nlogop op = {.tag = NIDUS__OP_CREATE, .coll = nidus__view(c->name)};
        if ((rc = nidus__frame_append(&frames, &op, &e))) goto out;
    }
    if (count == 0) {
        if (fresh) {
            if ((rc = txn_write(db, NULL, 0, &frames, &e))) goto out;
            nidus__colls_insert(&db->colls, c);
            fresh = false;
        }
        goto out;
    }
    uint64_t cap = db->cfg.max_vector_bytes;
    if (cap) {
        uint64_t projected = (db->data.rows + count) * (uint64_t)dim * 4;
        if (projected > cap) {
            rc = nidus__err(&e, NIDUS_ECAPACITY, 0,
                            "upsert would grow the vector matrix to %llu bytes, exceeding max_vector_bytes "
                            "(%llu bytes); compact() can reclaim dead rows",
                            (unsigned long long)projected, (unsigned long long)cap);
            goto out;
        }
    }
    /* Prepare: every allocation the commit will need. */
    if ((rc = nidus__coll_reserve(c, count, &e))) goto out;
    if ((rc = nidus__data_reserve(&db->data, count, &e))) goto out;
    if (!(st = nidus__calloc(count, sizeof *st)) || !(vecs = nidus__mallocarray(count, (size_t)dim * sizeof(float)))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory staging %zu records", count);
        goto out;
    }
    for (size_t i = 0; i < count; i++, nstaged++) {
        size_t idlen = strlen(records[i].id);
        st[i].id.ptr = nidus__strndup(records[i].id, idlen);
        st[i].id.len = idlen;
        if (!st[i].id.ptr) {
            rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
            goto out;
        }
        if ((rc = nidus__attrs_from_input(records[i].attrs, records[i].n_attrs, &st[i].attrs, &e))) {
            char why[sizeof e.msg];
            memcpy(why, e.msg, sizeof why);
            nidus__err(&e, rc, 0, "record %zu (id \"%s\"): %s", i, records[i].id, why);
            nidus__free(st[i].id.ptr);
            goto out;
        }
        float *v = vecs + i * (size_t)dim;
        memcpy(v, records[i].vector, (size_t)dim * sizeof(float));
        if (normalize) nidus__normalize(v, dim);
        nlogop op = {.tag = NIDUS__OP_UPSERT, .coll = {collection, len}, .id = nidus__view(st[i].id), .row = data_mark + i,
                  .attrs = st[i].attrs};
        if ((rc = nidus__frame_append(&frames, &op, &e))) {
            nstaged++;
            goto out;
        }
        nidus__add_sat(&blobs, nidus__blob_size(idlen, &st[i].attrs));
    }
    /* Room for every record's blob, so the commit cannot fail (undone below if
     * the call fails after all). */
    mark = nidus__arena_mark(&c->strs);
    reserved = true;
    if (nidus__arena_reserve(&c->strs, blobs) != NIDUS_OK) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory staging %zu records", count);
        goto out;
    }
    /* The filter index's room too (a fresh collection has none). */
    if ((rc = nidus__findex_begin(c->fx, c, &e))) goto out;
    for (size_t i = 0; i < count; i++)
        if ((rc = nidus__findex_reserve(c->fx, &st[i].attrs, &e))) goto out; /* it rolled back */
    fx_reserved = true;
    if ((rc = txn_write(db, vecs, count, &frames, &e))) goto out;
    /* Commit to memory: nothing below can fail. */
    if (fresh) nidus__colls_insert(&db->colls, c);
    fresh = false;
    for (size_t i = 0; i < count; i++) {
        db->dead_rows += nidus__doc_put(c, nidus__view(st[i].id), data_mark + i, &st[i].attrs,
                                        nidus__id_hash(st[i].id.ptr, st[i].id.len),
                                        nidus__blob_size(st[i].id.len, &st[i].attrs));
        if (c->fx) /* the stored doc's attributes: the index points at their strings */
            nidus__findex_add(c->fx, data_mark + i, &nidus__doc_find(c, st[i].id.ptr, st[i].id.len)->attrs);
    }
    reserved = fx_reserved = false;
out: /* the docs hold copies: the staged strings go in every case */
    if (fx_reserved) nidus__findex_rollback(c->fx);
    if (reserved && !fresh) nidus__arena_rollback(&c->strs, mark); /* a fresh collection goes whole */
    for (size_t i = 0; i < nstaged; i++) {
        nidus__free(st[i].id.ptr);
        nidus__attrs_free(&st[i].attrs);
    }
    nidus__free(st);
    nidus__free(vecs);
    if (fresh) nidus__coll_free(c);
    nidus__buf_free(&frames);
    return txn_end(db, rc, &e);
}

/* ---------------------------------------------------------------- delete ---- */

/* Delete the docs at the given positions of c (distinct). Logs one Delete each. */
static int delete_docs(nidus_db *db, ncoll *c, const size_t *idx, size_t n, size_t *deleted, nerr *e) {
    int rc = NIDUS_OK;
    nbuf frames = {0};
    nidus_str *ids = NULL;
    if (n == 0) goto out;
    if (!(ids = nidus__mallocarray(n, sizeof *ids))) {
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = c->docs[idx[i]].id;
        nlogop op = {.tag = NIDUS__OP_DELETE, .coll = nidus__view(c->name), .id = ids[i]};
        if ((rc = nidus__frame_append(&frames, &op, e))) goto out;
    }
    if ((rc = txn_write(db, NULL, 0, &frames, e))) goto out;
    /* A delete moves the last doc into the hole, so find each one by id (ids[i]
     * points into its blob, which stays until compaction). */
    for (size_t i = 0; i < n; i++) {
        ndoc *d = nidus__doc_find(c, ids[i].ptr, ids[i].len);
        if (d) {
            nidus_str id = d->id;
            db->dead_rows += nidus__doc_del(c, id.ptr, id.len);
        }
    }
out:
    if (deleted) *deleted = rc ? 0 : n;
    nidus__free(ids);
    nidus__buf_free(&frames);
    return rc;
}

int nidus_delete(nidus_db *db, const char *collection, const char *const *ids, size_t count, size_t *deleted) {
    if (deleted) *deleted = 0;
    int rc = txn_begin(db, collection);
    if (rc) return rc;
    nerr e = {0};
    size_t *idx = NULL, n = 0;
    ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    if (count && !ids) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "ids is NULL");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (!ids[i]) {
            rc = nidus__err(&e, NIDUS_EINVAL, 0, "id %zu is NULL", i);
            goto out;
        }
    if (!c || count == 0) goto out;
    if (!(idx = nidus__mallocarray(count, sizeof *idx))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        ndoc *d = nidus__doc_find(c, ids[i], strlen(ids[i]));
        if (!d) continue;
        size_t k = (size_t)(d - c->docs);
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++) dup = idx[j] == k;
        if (!dup) idx[n++] = k;
    }
    rc = delete_docs(db, c, idx, n, deleted, &e);
out:
    nidus__free(idx);
    return txn_end(db, rc, &e);
}

static int size_cmp(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* delete_where with the old predicates, a filter tree, or (never both from the
 * public calls) both ANDed. The filter is compiled, so validated, before the
 * collection is even looked up: a bad one leaves the store untouched. */
static int delete_matching(nidus_db *db, const char *collection, const nidus_pred *filter, size_t n_filter,
                           const nidus_filter *where, size_t *deleted) {
    if (deleted) *deleted = 0;
    int rc = txn_begin(db, collection);
    if (rc) return rc;
    nerr e = {0};
    nfilter *f = NULL;
    size_t *idx = NULL, n = 0;
    if (n_filter && !filter) {
        rc = nidus__err(&e, NIDUS_EINVAL, 0, "filter is NULL");
        goto out;
    }
    if ((rc = nidus__filter_compile_tree(filter, n_filter, where, &f, &e))) goto out;
    ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    if (!c || c->n == 0) goto out;
    if (!(idx = nidus__mallocarray(c->n, sizeof *idx))) {
        rc = nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory");
        goto out;
    }
    /* The filter index's candidates (or every doc), then in doc order: the same
     * Deletes, in the same order, with or without the index. */
    void *mem;
    nscan w = nidus__findex_walk(c, f, &mem);
    for (size_t i = 0; i < w.n; i++) {
        size_t d = w.idx ? w.idx[i] : i;
        if (nidus__filter_match(f, &c->docs[d].attrs)) idx[n++] = d;
    }
    nidus__findex_release(mem);
    qsort(idx, n, sizeof *idx, size_cmp);
    rc = delete_docs(db, c, idx, n, deleted, &e);
out:
    nidus__free(idx);
    nidus__filter_free(f);
    return txn_end(db, rc, &e);
}

int nidus_delete_where(nidus_db *db, const char *collection, const nidus_pred *filter, size_t n_filter,
                       size_t *deleted) {
    return delete_matching(db, collection, filter, n_filter, NULL, deleted);
}

int nidus_delete_where_filter(nidus_db *db, const char *collection, const nidus_filter *where, size_t *deleted) {
    return delete_matching(db, collection, NULL, 0, where, deleted);
}

/* ----------------------------------------------------------------- flush ---- */

int nidus_flush(nidus_db *db) {
    int rc = nidus__enter_write(db);
    if (rc) return rc;
    nerr e = {0};
    if (!(rc = nidus__data_sync(&db->data, &e))) rc = nidus__log_sync(&db->log, &e);
    /* Under NIDUS_FSYNC_ON_FLUSH the log holds frames no fsync has covered. After
     * a failed fsync the kernel may have dropped those pages, and a later fsync
     * can then succeed without them, so no later flush may report them durable:
     * the handle is broken until a reopen replays what the files really hold. */
    if (rc && db->cfg.fsync == NIDUS_FSYNC_ON_FLUSH && db->log.fd >= 0) {
        db->broken = true;
        size_t n = strlen(e.msg);
        snprintf(e.msg + n, sizeof e.msg - n, "; writes since the last successful flush may be lost: reopen the store");
    }
    return txn_end(db, rc, &e);
}

/* read.c — the reads that are not a search: get, get_all, collections, meta and
 * footprint, whether a collection exists. Each takes the handle's read lock and looks up what it returns;
 * result.c builds the lists as one allocation each. */
#include "findex.h"
#include "result.h"

#include <stddef.h>
#include <string.h>

static int oom(nidus_db *db) {
    nerr e;
    nidus__err(&e, NIDUS_ENOMEM, 0, "out of memory building the result");
    return nidus__set_error(db, &e);
}

/* ------------------------------------------------------------------ docs ---- */

int nidus_get_all(nidus_db *db, const char *collection, nidus_docs **out) {
    if (!out || !collection) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    ndoc **sorted = NULL;
    if (c && !(sorted = nidus__docs_by_id(c))) {
        nidus__leave(db);
        return oom(db);
    }
    *out = nidus__result_docs(c, (const ndoc *const *)sorted, c ? c->n : 0, db->data.vec, db->cfg.dimension);
    nidus__free(sorted);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

int nidus_get(nidus_db *db, const char *collection, const char *const *ids, size_t count, nidus_docs **out) {
    if (!out || !collection || (count && !ids)) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    const ndoc **found = nidus__mallocarray(count ? count : 1, sizeof *found);
    if (!found) {
        nidus__leave(db);
        return oom(db);
    }
    size_t n = 0;
    for (size_t i = 0; c && i < count; i++) {
        const ndoc *d = ids[i] ? nidus__doc_find(c, ids[i], strlen(ids[i])) : NULL;
        if (d) found[n++] = d;
    }
    *out = nidus__result_docs(c, found, n, db->data.vec, db->cfg.dimension);
    nidus__free(found);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

/* ------------------------------------------------------------ names/meta ---- */

int nidus_collections(nidus_db *db, nidus_names **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    *out = nidus__result_names(db->colls.v, db->colls.n);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

int nidus_get_meta(nidus_db *db, const char *collection, nidus_meta **out) {
    if (!out || !collection) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    nmeta empty = {0};
    *out = nidus__result_meta(c ? &c->meta : &empty);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

int nidus_get_filter_index(nidus_db *db, const char *collection, nidus_names **out) {
    if (!out || !collection) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    const ncoll *c = nidus__coll_find(&db->colls, collection, strlen(collection));
    *out = nidus__findex_names(c ? c->fx : NULL);
    nidus__leave(db);
    return *out ? NIDUS_OK : oom(db);
}

/* ------------------------------------------------------------- footprint ---- */

/* The size of 0.4.0's nidus_footprint: the fields up to index_bytes. */
#define FOOTPRINT_V040 (offsetof(nidus_footprint, index_bytes) + sizeof(uint64_t))

int nidus_get_footprint_sized(nidus_db *db, nidus_footprint *out, size_t size) {
    if (!out || size < FOOTPRINT_V040) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    uint64_t docs = 0, index = db->colls.cap * sizeof(ncoll *), fx = 0;
    for (size_t i = 0; i < db->colls.n; i++) {
        const ncoll *c = db->colls.v[i];
        docs += c->n;
        index += sizeof *c + c->name.len + 1 + c->cap * sizeof(ndoc) + c->nslots * sizeof(uint64_t) + c->cap * (sizeof(uint32_t) + sizeof(uint64_t));
        for (size_t j = 0; j < c->meta.n; j++) index += sizeof(nmeta_kv) + c->meta.items[j].key.len + c->meta.items[j].value.len + 2;
        index += c->strs.bytes; /* ids and attributes, dead blobs included (coll.c) */
        fx += nidus__findex_bytes(c->fx);
    }
    const nidus_footprint full = {
        .rows = db->data.rows,
        .dead_rows = db->dead_rows,
        .dimension = db->cfg.dimension,
        .vector_bytes = db->data.rows * (uint64_t)db->cfg.dimension * 4,
        .doc_count = docs,
        .index_bytes = index,
        .filter_index_bytes = fx,
        .shadow_bytes = nidus__shadow_bytes(&db->shadow),
        .mapped_bytes = db->data.map ? db->data.rows * (uint64_t)db->cfg.dimension * 4 : 0,
    };
    nidus__leave(db);
    /* An older caller's struct is a prefix of this one: never write past it. */
    memcpy(out, &full, size < sizeof full ? size : sizeof full);
    return NIDUS_OK;
}

/* Parenthesized: the header's macro of the same name routes new callers to
 * nidus_get_footprint_sized; this symbol serves binaries built before it. */
int(nidus_get_footprint)(nidus_db *db, nidus_footprint *out) {
    return nidus_get_footprint_sized(db, out, FOOTPRINT_V040);
}

int nidus_has_collection(nidus_db *db, const char *name) {
    if (!name || nidus__enter_read(db)) return 0;
    int found = nidus__coll_find(&db->colls, name, strlen(name)) != NULL;
    nidus__leave(db);
    return found;
}

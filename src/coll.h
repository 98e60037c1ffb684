/* coll.h — collections and their documents in memory: the sorted collection list,
 * each collection's doc array, id table, doc blobs and scan order. Knows nothing
 * of the handle or the files: callers count the rows that die. Internal. */
#ifndef NIDUS__COLL_H
#define NIDUS__COLL_H

#include "nidus_internal.h"

#include <pthread.h>
#include <stdatomic.h>

#define NIDUS__MAX_DOCS ((size_t)UINT32_MAX - 1) /* per collection: doc indices are 32-bit */

typedef struct ndoc {
    nidus_str id;
    uint64_t row;
    nattrs attrs;
} ndoc;

/* A collection: a dense doc array plus an open-addressing id table (see coll.c for
 * the slot layout). */
typedef struct ncoll {
    nstr name;
    nmeta meta;
    ndoc *docs;
    size_t n, cap;
    /* Every doc's id and attributes, one blob per doc (see coll.c). The blobs of
     * overwritten and deleted docs stay until compaction, like their rows. */
    narena strs;
    bool dead_blobs; /* an overwrite or delete left a blob behind */
    uint64_t *slots;
    size_t nslots;
    /* Doc indices in row order, so a scan reads the matrix front to back, and
     * each one's row beside it, so a scan without a filter never touches a doc
     * until a row makes the top-k (a doc read per row cost a cache miss each,
     * 15% of a 100-d scan). Appends keep it; overwrites, deletes and compaction
     * mark it stale, and the next search rebuilds it (under scan_mu, as
     * searches share the read lock). */
    uint32_t *scan;
    uint64_t *scan_row;
    _Atomic bool scan_ok;
    pthread_mutex_t scan_mu;
    struct nfindex *fx; /* the filter index (findex.c); NULL: none declared */
} ncoll;

/* The collections of a store, sorted by name (bytewise). */
typedef struct ncolls {
    ncoll **v;
    size_t n, cap;
} ncolls;

/* ---- the list ---- */
ncoll *nidus__coll_find(const ncolls *l, const char *name, size_t len);
/* The find-or-create step of every write that names a collection: *out is the
 * collection `name` (*fresh = false), or a new empty one (*fresh = true) that is
 * not in l yet but has its room there reserved, so that the caller's commit can
 * insert it (nidus__colls_insert), or free it on failure. `oom` is the message
 * when the collection itself cannot be allocated. */
int nidus__coll_get(ncolls *l, const char *name, size_t len, ncoll **out, bool *fresh, const char *oom, nerr *e);
/* Insert c (room reserved: nidus__coll_get). Cannot fail. */
void nidus__colls_insert(ncolls *l, ncoll *c);
/* Remove c from l and free it; returns the rows that died with it (its docs). */
uint64_t nidus__colls_remove(ncolls *l, ncoll *c);
/* Free every collection; _clear keeps the list's array for reuse. */
void nidus__colls_clear(ncolls *l);
void nidus__colls_free(ncolls *l);

/* ---- one collection ---- */
void nidus__coll_free(ncoll *c);
/* Room for `extra` more docs, in the array and the id table. */
int nidus__coll_reserve(ncoll *c, size_t extra, nerr *e);
/* The scan order (see ncoll): doc indices and their rows. */
typedef struct nscan {
    const uint32_t *idx; /* NULL: could not be built; use doc order */
    const uint64_t *row;
    size_t n; /* entries: the collection's docs, or (findex.c) its candidates */
} nscan;
nscan nidus__scan_order(ncoll *c);
/* The docs of c sorted by id (caller frees the array); NULL when out of memory. */
ndoc **nidus__docs_by_id(const ncoll *c);

/* ---- documents ---- */
/* The id table's hash of an id (this process only, never stored). */
uint32_t nidus__id_hash(const char *id, size_t len);
ndoc *nidus__doc_find(const ncoll *c, const char *id, size_t len);
/* Bytes a doc's blob (its id and attributes) takes in the collection's arena. */
size_t nidus__blob_size(size_t idlen, const nattrs *attrs);
/* Insert or replace a doc, copying id and attrs (owned or views) into c's arena,
 * where `size` = nidus__blob_size(id, attrs) bytes must be reserved, as must room
 * in the doc array and id table (nidus__coll_reserve). `tag` is the id's
 * nidus__id_hash. Cannot fail; returns whether a row died (an overwrite). */
bool nidus__doc_put(ncoll *c, nidus_str id, uint64_t row, const nattrs *attrs, uint32_t tag, size_t size);
/* Remove a doc by id; returns whether one was there (its row died). */
bool nidus__doc_del(ncoll *c, const char *id, size_t len);

/* ---- compaction's arena rebuild ---- */
/* Bytes the live docs' blobs take. */
size_t nidus__coll_live_bytes(const ncoll *c);
/* Copy every live doc's blob into `fresh` (which must have nidus__coll_live_bytes
 * reserved) and make it c's arena; the old one, dead blobs and all, is freed. */
void nidus__coll_move_blobs(ncoll *c, narena *fresh);

/* n += x, saturating at SIZE_MAX (blob sizes are summed before any is allocated). */
static inline void nidus__add_sat(size_t *n, size_t x) { *n = x > SIZE_MAX - *n ? SIZE_MAX : *n + x; }

#endif

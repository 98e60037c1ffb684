/* store.h — the handle's layout, shared by store.c (open, writes, compaction) and
 * read.c (search and the other reads). Internal. */
#ifndef NIDUS_STORE_H
#define NIDUS_STORE_H

#include "nidus_internal.h"

#include <pthread.h>
#include <stdatomic.h>

#define NIDUS_DB_MAGIC 0x6e696475u

typedef struct ndoc {
    nidus_str id;
    uint64_t row;
    nattrs attrs;
} ndoc;

/* A collection: a dense doc array plus an open-addressing id table (see
 * store.c for the slot layout). */
typedef struct ncoll {
    nidus_str name;
    nmeta meta;
    ndoc *docs;
    size_t n, cap;
    /* Every doc's id and attributes, one blob per doc (see store.c). The blobs of
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
} ncoll;

struct nidus_db {
    uint32_t magic;
    bool failed;  /* a failed open: only errmsg and close are allowed */
    bool broken;  /* a rollback failed: writes refused until reopen */
    bool memory;
    nidus_config cfg;
    char *path;
    pthread_rwlock_t rw;   /* reads shared, writes exclusive */
    pthread_mutex_t errmu; /* guards err */
    nerr err;
    ndata data;
    nlog log;
    nlock lock;
    ncoll **colls; /* sorted by name */
    size_t ncolls, capcolls;
    uint64_t dead_rows;
    uint64_t ignored_upserts; /* replayed Upserts whose row lay past `data` */
    nerr *replay_err;         /* where replay reports, during open */
};

int nidus__fail(nidus_db *db, const nerr *e);
int nidus__enter_read(nidus_db *db);
int nidus__enter_write(nidus_db *db);
void nidus__leave(nidus_db *db);
ncoll *nidus__coll_find(const nidus_db *db, const char *name, size_t len);
ndoc *nidus__doc_find(const ncoll *c, const char *id, size_t len);
ndoc **nidus__docs_by_id(const ncoll *c);
/* The scan order (see ncoll): doc indices and their rows. */
typedef struct nscan {
    const uint32_t *idx; /* NULL: could not be built; use doc order */
    const uint64_t *row;
} nscan;
nscan nidus__scan_order(ncoll *c);
int nidus__compact_locked(nidus_db *db, nerr *e);

#endif

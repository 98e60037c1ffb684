/* db.h — the handle's layout and the internals its files share: db.c (the handle),
 * open.c, replay.c, write.c, compact.c, and the reads (search.c, scan.c, result.c,
 * read.c). Internal. */
#ifndef NIDUS__DB_H
#define NIDUS__DB_H

#include "coll.h"
#include "shadow.h"

#include <pthread.h>

#define NIDUS__DB_MAGIC 0x6e696475u

/* The store's file names, computed once at open (one allocation; all NULL in
 * memory). The lock file's is the lock's own (nlock.path). */
typedef struct npaths {
    char *dir;                 /* the store directory, as given */
    char *data, *log;
    char *data_new;            /* a new store's header, before its rename to data */
    char *data_tmp, *log_tmp;  /* a compaction's output */
    char *marker, *marker_tmp; /* compaction's commit point `compact`, written as compact.tmp */
} npaths;

struct nidus_db {
    uint32_t magic;
    uint64_t serial; /* unique per handle in the process, from 1 (db.c: errors per thread) */
    bool failed;  /* a failed open: only errmsg and close are allowed */
    bool broken;  /* a rollback failed: writes refused until reopen */
    bool memory;
    nidus_config cfg;
    npaths paths;
    pthread_rwlock_t rw;   /* reads shared, writes exclusive */
    pthread_mutex_t errmu; /* guards err */
    nerr err;
    ndata data;
    nlog log;
    nlock lock;
    ncolls colls;
    uint64_t dead_rows;
    uint64_t ignored_upserts; /* replayed Upserts whose row lay past `data` */
    nshadow shadow;           /* the rows' int8 shadow copy (shadow.c, SPEC.md §13) */
};

/* ---- db.c ---- */
/* Make e the handle's last error (what nidus_errmsg says); returns e->code. */
int nidus__set_error(nidus_db *db, const nerr *e);
/* The same for an error made here, from code and a printf format. */
int nidus__set_errorf(nidus_db *db, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Every entry point starts with one of these (NIDUS_EMISUSE for a bad handle; a
 * writer also for a read-only or broken one) and ends with nidus__leave. */
int nidus__enter_read(nidus_db *db);
int nidus__enter_write(nidus_db *db);
void nidus__leave(nidus_db *db);
nidus_db *nidus__db_alloc(void);
/* Everything but the handle shell, so a failed open keeps its message. */
void nidus__db_release(nidus_db *db);
int nidus__paths_init(npaths *p, const char *dir); /* NIDUS_OK or NIDUS_ENOMEM; freed by close */
/* *out = *in when in->struct_size is this header's sizeof (or that of the
 * nidus_config before `distance` or before `shadow`: the rest then defaults);
 * false if none of them. */
bool nidus__config_copy(nidus_config *out, const nidus_config *in);
/* NIDUS_OK for nidus_config.shadow 0 or 1, else NIDUS_EINVAL with a message. */
int nidus__check_shadow(int shadow, nerr *e);
/* NIDUS_OK for nidus_config.map_rows 0 or 1, else NIDUS_EINVAL with a message. */
int nidus__check_map_rows(int map_rows, nerr *e);
/* NIDUS_OK for a nidus_distance -1..2, else NIDUS_EINVAL with a message. */
int nidus__check_distance(int distance, nerr *e);
/* The metric a new store gets: AUTO means cosine. */
static inline int nidus__distance_effective(int distance) {
    return distance == NIDUS_DISTANCE_AUTO ? NIDUS_DISTANCE_COSINE : distance;
}

/* ---- replay.c ---- */
/* What a replay found. */
typedef struct nreplay {
    uint64_t good_end;        /* the end of the last good frame */
    bool torn;                /* a torn tail follows it */
    uint64_t dead_rows;       /* rows the replayed ops left dead */
    uint64_t ignored_upserts; /* Upserts whose row lay at or past `rows` (the reader rule) */
} nreplay;
/* Scan the log file fd[0..size) and apply its ops to colls, leniently, as nidus
 * 0.3 does; `rows` is how many rows `data` holds. Verdicts as nidus__log_scan_fd's;
 * errors go to e. *out is filled even on failure. With spare_core (no other
 * thread of the open is busy: the rows are mapped), a log of 4 MiB or more is
 * decoded on a second thread while this one applies it, with the same result. */
int nidus__replay(ncolls *colls, uint64_t rows, int fd, uint64_t size, bool spare_core, nreplay *out, nerr *e);

/* ---- compact.c ---- */
/* Called with the write lock held. */
int nidus__compact_locked(nidus_db *db, nerr *e);
/* Read the compaction marker at path: its text (for a change check; cap bytes,
 * NIDUS__MARKER_MAX will do) and, when found, the sizes it commits to. */
enum { NIDUS__MARKER_UNREADABLE = -2, NIDUS__MARKER_MALFORMED, NIDUS__MARKER_ABSENT, NIDUS__MARKER_FOUND };
#define NIDUS__MARKER_MAX 128
int nidus__marker_read(const char *path, char *text, size_t cap, uint64_t *dsize, uint64_t *lsize);
/* Writer open: finish a compaction that a crash interrupted after it committed
 * (the marker exists). */
int nidus__roll_forward(const npaths *p, nerr *e);

#endif

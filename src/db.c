/* db.c — the handle: its errors (the per-handle message and the error calls),
 * entering and leaving it (the read/write lock and the writable checks), its
 * configuration, allocation and release, the in-memory open, and close. */
#include "db.h"

#include <stddef.h>
#include <stdio.h>

/* ---------------------------------------------------------------- errors ---- */

/* The calling thread's last failure, and the handle it was on (by serial: a
 * handle freed and another allocated at its address never match). Threads sharing
 * a handle each read their own failure, not one another's (the HTTP server answers
 * concurrent failing requests from one handle). */
static _Atomic uint64_t serials;
static _Thread_local struct {
    uint64_t serial; /* 0: none */
    nerr err;
} mine;

/* What the error calls report on db to this thread: its own last failure, if that
 * was on db, else db's last failure from any thread. Held under errmu. */
static const nerr *err_for(const nidus_db *db) { return mine.serial == db->serial ? &mine.err : &db->err; }

int nidus__set_error(nidus_db *db, const nerr *e) {
    pthread_mutex_lock(&db->errmu);
    db->err = *e;
    pthread_mutex_unlock(&db->errmu);
    mine.serial = db->serial;
    mine.err = *e;
    return e->code;
}

int nidus__set_errorf(nidus_db *db, int code, const char *fmt, ...) {
    nerr e = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    return nidus__set_error(db, &e);
}

const char *nidus_errmsg(nidus_db *db) {
    if (!db || db->magic != NIDUS__DB_MAGIC) return "no handle (NULL or closed)";
    const nerr *e = err_for(db);
    return e->code ? e->msg : "not an error";
}

int nidus_errmsg_copy(nidus_db *db, char *buf, size_t cap) {
    if (!db || db->magic != NIDUS__DB_MAGIC) {
        if (cap) snprintf(buf, cap, "%s", "no handle (NULL or closed)");
        return NIDUS_EMISUSE;
    }
    pthread_mutex_lock(&db->errmu);
    const nerr *e = err_for(db);
    int code = e->code;
    if (cap) snprintf(buf, cap, "%s", code ? e->msg : "not an error");
    pthread_mutex_unlock(&db->errmu);
    return code;
}

int nidus_errcode(nidus_db *db) {
    return !db || db->magic != NIDUS__DB_MAGIC ? NIDUS_EMISUSE : err_for(db)->code;
}

int nidus_sys_errno(nidus_db *db) {
    return !db || db->magic != NIDUS__DB_MAGIC ? 0 : err_for(db)->sys;
}

/* ----------------------------------------------------------------- entry ---- */

int nidus__enter_read(nidus_db *db) {
    if (!db || db->magic != NIDUS__DB_MAGIC || db->failed) return NIDUS_EMISUSE;
    pthread_rwlock_rdlock(&db->rw);
    return NIDUS_OK;
}

void nidus__leave(nidus_db *db) { pthread_rwlock_unlock(&db->rw); }

/* Every mutation starts here: the handle, then the writable check. */
int nidus__enter_write(nidus_db *db) {
    if (!db || db->magic != NIDUS__DB_MAGIC || db->failed) return NIDUS_EMISUSE;
    pthread_rwlock_wrlock(&db->rw);
    if (db->cfg.read_only) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EREADONLY, "read-only store: mutations are not allowed");
    }
    if (db->broken) {
        nidus__leave(db);
        return nidus__set_errorf(db, NIDUS_EBROKEN,
                                 "a failed rollback left the files ahead of memory; reopen the store");
    }
    nidus__lock_touch(&db->lock);
    return NIDUS_OK;
}

/* --------------------------------------------------------- configuration ---- */

/* The size of a nidus_config before `distance` was added: what an application
 * built against that header passes (and expects back). */
#define CONFIG_SIZE_V1 offsetof(nidus_config, distance)
/* And before `shadow` (never a sizeof, but accepted as before). */
#define CONFIG_SIZE_V2 offsetof(nidus_config, shadow)
/* And before `map_rows`: the sizeof of the headers with `shadow`. */
#define CONFIG_SIZE_V3 offsetof(nidus_config, map_rows)

void nidus_config_init_sized(nidus_config *cfg, size_t size, uint32_t dimension) {
    if (!cfg || size < CONFIG_SIZE_V1) return;
    nidus_config c;
    memset(&c, 0, sizeof c);
    c.struct_size = size < sizeof c ? size : sizeof c;
    c.dimension = dimension;
    c.fsync = NIDUS_FSYNC_PER_BATCH;
    c.auto_compact = 0.5;
    c.lock_ttl_ms = 60000;
    c.distance = NIDUS_DISTANCE_AUTO;
    c.shadow = 1;
    c.map_rows = 1;
    memcpy(cfg, &c, c.struct_size);
}

void(nidus_config_init)(nidus_config *cfg, uint32_t dimension) {
    nidus_config_init_sized(cfg, CONFIG_SIZE_V3, dimension);
}

bool nidus__config_copy(nidus_config *out, const nidus_config *in) {
    if (in->struct_size == sizeof *in) {
        *out = *in;
        return true;
    }
    size_t old = in->struct_size;
    if (old != CONFIG_SIZE_V1 && old != CONFIG_SIZE_V2 && old != CONFIG_SIZE_V3) return false;
    nidus_config_init(out, 0);
    memcpy(out, in, old);
    out->struct_size = sizeof *out;
    return true;
}

int nidus__check_shadow(int shadow, nerr *e) {
    if (shadow != 0 && shadow != 1) return nidus__err(e, NIDUS_EINVAL, 0, "shadow must be 0 or 1, not %d", shadow);
    return NIDUS_OK;
}

int nidus__check_map_rows(int map_rows, nerr *e) {
    if (map_rows != 0 && map_rows != 1)
        return nidus__err(e, NIDUS_EINVAL, 0, "map_rows must be 0 or 1, not %d", map_rows);
    return NIDUS_OK;
}

int nidus__check_distance(int distance, nerr *e) {
    if (distance < NIDUS_DISTANCE_AUTO || distance > NIDUS_DISTANCE_DOT)
        return nidus__err(e, NIDUS_EINVAL, 0, "unknown distance %d (NIDUS_DISTANCE_AUTO, _COSINE, _EUCLIDEAN or _DOT)",
                          distance);
    return NIDUS_OK;
}

const char *nidus_distance_name(int distance) {
    switch (distance) {
    case NIDUS_DISTANCE_COSINE: return "Cosine";
    case NIDUS_DISTANCE_EUCLIDEAN: return "Euclidean";
    case NIDUS_DISTANCE_DOT: return "DotProduct";
    default: return NULL;
    }
}

uint32_t nidus_dimension(nidus_db *db) {
    return db && db->magic == NIDUS__DB_MAGIC && !db->failed ? db->cfg.dimension : 0;
}

int nidus_get_config_sized(nidus_db *db, nidus_config *out, size_t size) {
    if (!out || size < CONFIG_SIZE_V1) return NIDUS_EMISUSE;
    int rc = nidus__enter_read(db); /* a writer may be moving the mapping */
    if (rc) return rc;
    nidus_config c = db->cfg;
    c.map_rows = db->data.map != NULL;
    nidus__leave(db);
    c.struct_size = size < sizeof c ? size : sizeof c;
    memcpy(out, &c, c.struct_size);
    return NIDUS_OK;
}

int(nidus_get_config)(nidus_db *db, nidus_config *out) { return nidus_get_config_sized(db, out, CONFIG_SIZE_V3); }

/* ------------------------------------------------------------ the handle ---- */

nidus_db *nidus__db_alloc(void) {
    nidus_db *db = nidus__calloc(1, sizeof *db);
    if (!db) return NULL;
    db->serial = atomic_fetch_add(&serials, 1) + 1;
    if (pthread_rwlock_init(&db->rw, NULL) != 0) {
        nidus__free(db);
        return NULL;
    }
    if (pthread_mutex_init(&db->errmu, NULL) != 0) {
        pthread_rwlock_destroy(&db->rw);
        nidus__free(db);
        return NULL;
    }
    nidus__shadow_init(&db->shadow);
    db->magic = NIDUS__DB_MAGIC;
    db->data.fd = db->log.fd = db->lock.fd = -1;
    return db;
}

void nidus__db_release(nidus_db *db) {
    nidus__colls_free(&db->colls);
    nidus__data_free(&db->data);
    nidus__shadow_release(&db->shadow);
    if (db->log.fd >= 0) nidus__io_close(db->log.fd);
    db->log.fd = -1;
    nidus__lock_release(&db->lock);
}

/* One allocation: the directory, then each "<dir>/<name>". */
int nidus__paths_init(npaths *p, const char *dir) {
    static const char *const names[] = {"data", "log", "data.new", "data.tmp", "log.tmp", "compact", "compact.tmp"};
    char **slots[] = {&p->data, &p->log, &p->data_new, &p->data_tmp, &p->log_tmp, &p->marker, &p->marker_tmp};
    enum { N = sizeof names / sizeof *names };
    size_t n = strlen(dir), total = n + 1;
    for (size_t i = 0; i < N; i++) total += n + strlen(names[i]) + 2;
    char *b = nidus__malloc(total);
    if (!b) return NIDUS_ENOMEM;
    memcpy(b, dir, n + 1);
    p->dir = b;
    b += n + 1;
    for (size_t i = 0; i < N; i++) {
        size_t k = strlen(names[i]);
        *slots[i] = b;
        memcpy(b, dir, n);
        b[n] = '/';
        memcpy(b + n + 1, names[i], k + 1);
        b += n + k + 2;
    }
    return NIDUS_OK;
}

static void paths_free(npaths *p) {
    nidus__free(p->dir);
    *p = (npaths){0};
}

int nidus_open_memory_cfg(const nidus_config *cfg, nidus_db **out) {
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    nidus_config c;
    if (!cfg || !nidus__config_copy(&c, cfg)) return NIDUS_EMISUSE;
    nidus_db *db = nidus__db_alloc();
    if (!db) return NIDUS_ENOMEM;
    *out = db;
    nidus_config_init(&db->cfg, c.dimension);
    db->cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    db->cfg.max_vector_bytes = c.max_vector_bytes;
    db->cfg.distance = nidus__distance_effective(c.distance);
    db->cfg.shadow = c.shadow;
    db->memory = true;
    db->data.dim = c.dimension;
    int rc = nidus__check_distance(c.distance, &db->err);
    if (!rc) rc = nidus__check_shadow(c.shadow, &db->err);
    if (!rc) rc = nidus__check_map_rows(c.map_rows, &db->err);
    if (!rc && c.dimension == 0) rc = nidus__err(&db->err, NIDUS_EINVAL, 0, "dimension must be at least 1");
    if (rc) db->failed = true;
    return rc;
}

int nidus_open_memory(uint32_t dimension, nidus_db **out) {
    nidus_config c;
    nidus_config_init(&c, dimension);
    return nidus_open_memory_cfg(&c, out);
}

int nidus_close(nidus_db *db) {
    if (!db) return NIDUS_OK;
    if (db->magic != NIDUS__DB_MAGIC) return NIDUS_EMISUSE;
    nidus__db_release(db);
    db->magic = 0;
    pthread_rwlock_destroy(&db->rw);
    pthread_mutex_destroy(&db->errmu);
    nidus__shadow_free(&db->shadow);
    paths_free(&db->paths);
    nidus__free(db);
    return NIDUS_OK;
}

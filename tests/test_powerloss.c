/* test_powerloss.c — what a disk can hold after a power loss at any point of a
 * workload, and that nidus opens every such disk with every acknowledged call.
 *
 * 1. Record: the I/O seam (src/io.c, nidus__io_record) reports every file operation
 *    of a workload — creation, pwrite, ftruncate, fsync of a file, rename, unlink,
 *    fsync of the directory. Files are tracked by inode, names by directory entry.
 * 2. Crash points: for every K (the first K recorded calls happened, the rest not),
 *    rebuild what a disk could hold after losing power there:
 *    - directory entries: those made durable by a directory fsync, plus any prefix
 *      of the later creations, renames and unlinks (metadata is journaled in order,
 *      so both outcomes of every unsynced rename are covered, in order);
 *    - each file: its content as of its last fsync, plus any prefix of its later
 *      writes and truncations, the last one torn after 1, len/2 or len-1 bytes
 *      (more tear points under `make stress`).
 *    Every combination is written into a fresh directory (identical disks once).
 * 3. Check each disk: a read-only open and a read-write open both succeed (no
 *    corruption error) and agree; they show every call that had returned OK —
 *    under NIDUS_FSYNC_PER_BATCH every acknowledged call, under ON_FLUSH every call
 *    up to the last nidus_flush — and of the call in flight nothing, all, or a
 *    prefix of its log frames (see test_model.h); the store then accepts a write that a
 *    reopen shows. Where the read-write open's own recovery wrote to the store
 *    (truncated a torn tail, finished or ran a compaction), that open is recorded
 *    too and a second power loss is explored at each of its calls: recovery must
 *    neither lose nor invent anything.
 *
 * Environment: NIDUS_STRESS=1 (longer workloads, every tear point, every nested
 * recovery), NIDUS_POWERLOSS_SEEDS=N random workloads (4; 20 under `make stress`),
 * NIDUS_POWERLOSS_NESTED=N recoveries re-crashed (100), NIDUS_POWERLOSS_VERBOSE=1
 * prints every failed check, NIDUS_POWERLOSS_ZERO=1 also models appends whose size
 * reached the disk before their data (zero-filled tails, as on XFS or ext4
 * data=writeback) and reports what fails there, without failing. */
#include "test_model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIM 4
#define MAXINO 128
#define MAXNAMES 16
#define MAXFD 4096
#define NAMELEN 24

/* ------------------------------------------------------------ recording ---- */

enum { E_CREATE, E_RENAME, E_UNLINK, E_DIRSYNC, E_WRITE, E_TRUNC, E_SYNC };

typedef struct eff {
    int kind;
    int point; /* the recorded call it belongs to */
    int ino;
    char name[NAMELEN], name2[NAMELEN];
    uint64_t off, len;
    unsigned char *bytes;
} eff;

typedef struct dname {
    char name[NAMELEN];
    int ino;
} dname;

typedef struct rec {
    char dir[512];
    int n_ino;
    dev_t dev[MAXINO];
    ino_t inum[MAXINO];
    unsigned char *init[MAXINO]; /* content when recording began (the disk then) */
    uint64_t init_len[MAXINO];
    dname init_names[MAXNAMES];
    int n_init;
    dname live[MAXNAMES]; /* the directory as the calls change it */
    int n_live;
    int fdino[MAXFD]; /* -1 unknown, -2 directory */
    eff *e;
    size_t n_e, cap_e;
    int calls;      /* recorded calls so far (crash points are 0..calls) */
    int anomalies;  /* a name replaced by an unrecorded call (lock.c's unlink) */
    int interesting; /* effects on something other than the lock file */
} rec;

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int name_find(const dname *v, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) return i;
    return -1;
}

static void name_set(dname *v, int *n, const char *name, int ino) {
    int i = name_find(v, *n, name);
    if (i < 0) {
        if (*n >= MAXNAMES) abort();
        i = (*n)++;
        snprintf(v[i].name, NAMELEN, "%s", name);
    }
    v[i].ino = ino;
}

static void name_del(dname *v, int *n, const char *name) {
    int i = name_find(v, *n, name);
    if (i >= 0) v[i] = v[--*n];
}

static eff *add_eff(rec *r, int kind, int point) {
    if (r->n_e == r->cap_e) {
        r->cap_e = r->cap_e ? 2 * r->cap_e : 256;
        r->e = realloc(r->e, r->cap_e * sizeof *r->e);
        if (!r->e) abort();
    }
    eff *x = &r->e[r->n_e++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->point = point;
    x->ino = -1;
    return x;
}

static int new_ino(rec *r, const struct stat *st) {
    if (r->n_ino >= MAXINO) abort();
    int i = r->n_ino++;
    r->dev[i] = st->st_dev;
    r->inum[i] = st->st_ino;
    r->init[i] = NULL;
    r->init_len[i] = 0;
    return i;
}

/* The lock file and its private twin (lock.c links "lock.<pid>.<n>" into place)
 * hold no data: recovery that only takes the lock is not worth a second crash. */
static bool is_lock(const char *name) { return strncmp(name, "lock", 4) == 0; }

static void note_interesting(rec *r, const char *name) {
    if (!is_lock(name)) r->interesting = 1;
}

static void on_io(void *ctx, int op, int fd, const char *path, const char *path2, const void *buf, uint64_t len,
                  uint64_t off, int flags) {
    rec *r = ctx;
    if (op == NIDUS__REC_CLOSE) {
        if (fd >= 0 && fd < MAXFD) r->fdino[fd] = -1;
        return;
    }
    if (op == NIDUS__REC_MKDIR) return; /* the store directory exists before recording */
    int point = r->calls++;
    if (fd >= MAXFD) abort();
    switch (op) {
    case NIDUS__REC_OPEN: {
        struct stat st;
        if (fstat(fd, &st) != 0) abort();
        if (S_ISDIR(st.st_mode)) {
            r->fdino[fd] = -2;
            return;
        }
        const char *name = base_name(path);
        int i = name_find(r->live, r->n_live, name), ino;
        if (i >= 0 && r->dev[r->live[i].ino] == st.st_dev && r->inum[r->live[i].ino] == st.st_ino) {
            ino = r->live[i].ino;
        } else {
            if (i >= 0) r->anomalies++; /* replaced behind our back */
            if (!(flags & O_CREAT)) abort();
            ino = new_ino(r, &st);
            eff *x = add_eff(r, E_CREATE, point);
            snprintf(x->name, NAMELEN, "%s", name);
            x->ino = ino;
            name_set(r->live, &r->n_live, name, ino);
            note_interesting(r, name);
        }
        r->fdino[fd] = ino;
        if (flags & O_TRUNC) {
            eff *x = add_eff(r, E_TRUNC, point);
            x->ino = ino;
            x->len = 0;
            note_interesting(r, name);
        }
        return;
    }
    case NIDUS__REC_PWRITE:
    case NIDUS__REC_TRUNCATE:
    case NIDUS__REC_FSYNC: {
        int ino = r->fdino[fd];
        if (ino == -1) abort();
        if (ino == -2) {
            if (op != NIDUS__REC_FSYNC) abort();
            add_eff(r, E_DIRSYNC, point);
            return;
        }
        eff *x = add_eff(r, op == NIDUS__REC_PWRITE ? E_WRITE : op == NIDUS__REC_TRUNCATE ? E_TRUNC : E_SYNC, point);
        x->ino = ino;
        x->off = off;
        x->len = len;
        if (op == NIDUS__REC_PWRITE) {
            x->bytes = malloc(len);
            memcpy(x->bytes, buf, len);
        }
        if (op != NIDUS__REC_FSYNC) {
            int li = -1;
            for (int k = 0; k < r->n_live; k++)
                if (r->live[k].ino == ino) li = k;
            if (li < 0 || !is_lock(r->live[li].name)) r->interesting = 1;
        }
        return;
    }
    case NIDUS__REC_RENAME: {
        eff *x = add_eff(r, E_RENAME, point);
        snprintf(x->name, NAMELEN, "%s", base_name(path));
        snprintf(x->name2, NAMELEN, "%s", base_name(path2));
        int i = name_find(r->live, r->n_live, x->name);
        if (i < 0) abort();
        int ino = r->live[i].ino;
        name_del(r->live, &r->n_live, x->name);
        name_set(r->live, &r->n_live, x->name2, ino);
        r->interesting = 1;
        return;
    }
    case NIDUS__REC_UNLINK: {
        eff *x = add_eff(r, E_UNLINK, point);
        snprintf(x->name, NAMELEN, "%s", base_name(path));
        name_del(r->live, &r->n_live, x->name);
        note_interesting(r, x->name);
        return;
    }
    default: abort();
    }
}

static unsigned char *read_whole(const char *path, uint64_t *len) {
    size_t n;
    unsigned char *b = t_read_file(path, &n);
    *len = b ? n : 0;
    return b;
}

/* Snapshot dir (its files are the durable disk when recording starts) and start. */
static void rec_begin(rec *r, const char *dir) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    for (int i = 0; i < MAXFD; i++) r->fdino[i] = -1;
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        struct stat st;
        const char *p = t_path(dir, de->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        int ino = new_ino(r, &st);
        r->init[ino] = read_whole(p, &r->init_len[ino]);
        name_set(r->init_names, &r->n_init, de->d_name, ino);
        name_set(r->live, &r->n_live, de->d_name, ino);
    }
    closedir(d);
    nidus__io_record(on_io, r);
}

static void rec_end(void) { nidus__io_record(NULL, NULL); }

static void rec_free(rec *r) {
    for (size_t i = 0; i < r->n_e; i++) free(r->e[i].bytes);
    free(r->e);
    for (int i = 0; i < r->n_ino; i++) free(r->init[i]);
}

/* ------------------------------------------------------------- disks ---- */

typedef struct bytes {
    unsigned char *p;
    uint64_t len, cap;
} bytes;

static void b_resize(bytes *b, uint64_t len) {
    if (len > b->cap) {
        b->cap = len * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (len > b->len) memset(b->p + b->len, 0, len - b->len);
    b->len = len;
}

/* Apply a data effect, whole (tear < 0), its first `tear` bytes, or (zero) as a
 * size change whose data never arrived. */
static void b_apply(bytes *b, const eff *x, long long tear, bool zero) {
    if (x->kind == E_TRUNC) {
        b_resize(b, x->len);
        return;
    }
    uint64_t n = tear < 0 ? x->len : (uint64_t)tear;
    if (x->off + n > b->len) b_resize(b, x->off + n);
    if (!zero) memcpy(b->p + x->off, x->bytes, n);
}

static void b_set(bytes *b, const unsigned char *p, uint64_t len) {
    b->len = 0;
    b_resize(b, len);
    if (len) memcpy(b->p, p, len);
}

/* How each file with unsynced writes comes out of the crash. */
typedef struct choice {
    int applied;    /* this many of its pending effects whole */
    long long tear; /* then the next one torn after this many bytes (-1: none) */
    bool zero;      /* ... or that one's size without its data */
} choice;

typedef struct explore_opts {
    int tears;      /* 0: 1, len/2, len-1; 1: many more */
    bool zero;      /* model zero-filled tails */
    const char *mdir;
    const rec *top; /* the workload's recording (others are nested) */
} explore_opts;

static int tear_points(uint64_t len, int mode, long long *out) {
    long long cand[20];
    int n = 0;
    if (mode == 0) {
        cand[n++] = 1;
        cand[n++] = (long long)len / 2;
        cand[n++] = (long long)len - 1;
    } else {
        long long L = (long long)len;
        long long c[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, L / 4, L / 2, 3 * L / 4, L - 9, L - 8, L - 5, L - 4, L - 1};
        for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) cand[n++] = c[i];
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (cand[i] <= 0 || cand[i] >= (long long)len) continue;
        bool dup = false;
        for (int j = 0; j < m; j++) dup |= out[j] == cand[i];
        if (!dup) out[m++] = cand[i];
    }
    return m;
}

/* Wipe dir and write the given files into it, mtimes an hour back (a reboot). */
static void materialize(const char *dir, const dname *names, int n, bytes *content) {
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') unlink(t_path(dir, de->d_name));
    closedir(d);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= 3600;
    ts[1] = ts[0];
    for (int i = 0; i < n; i++) {
        const char *p = t_path(dir, names[i].name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        const bytes *b = &content[i];
        CHECK(b->len == 0 || write(fd, b->p, b->len) == (ssize_t)b->len);
        CHECK(futimens(fd, ts) == 0);
        close(fd);
    }
}

/* ----------------------------------------------------------- dedup set ---- */

typedef struct hset {
    uint64_t *v;
    size_t n, cap;
} hset;

static bool hset_add(hset *h, uint64_t x) {
    if (x == 0) x = 1;
    if (2 * (h->n + 1) > h->cap) {
        hset g = {calloc(h->cap ? 2 * h->cap : 4096, sizeof(uint64_t)), 0, h->cap ? 2 * h->cap : 4096};
        for (size_t i = 0; i < h->cap; i++)
            if (h->v[i]) hset_add(&g, h->v[i]);
        free(h->v);
        *h = g;
    }
    size_t i = (size_t)(x * 0x9e3779b97f4a7c15ull) & (h->cap - 1);
    while (h->v[i]) {
        if (h->v[i] == x) return false;
        i = (i + 1) & (h->cap - 1);
    }
    h->v[i] = x;
    h->n++;
    return true;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static int dname_cmp(const void *a, const void *b) { return strcmp(((const dname *)a)->name, ((const dname *)b)->name); }

/* ------------------------------------------------------------ explorer ---- */

typedef struct stats {
    long points;      /* crash points (K values) of the workloads */
    long nested_points; /* ... of recovery opens */
    long disks;       /* disks materialized and checked (distinct per context) */
    long dup;         /* combinations that gave a disk already checked */
    long before, after, partial, older, absent;
    long nested;      /* recovery opens explored for a second power loss */
    long nested_disks;
    long failures;
    long zero_fail;   /* failed checks on zero-tail disks (reported only) */
} stats;

/* The check of one disk: K, the materialized directory, a description. */
typedef void (*check_fn)(void *ctx, int K, const char *dir, const char *desc, bool zero);
/* A salt that separates contexts in which the same disk means different things. */
typedef uint64_t (*salt_fn)(void *ctx, int K);

static void apply_dir(dname *names, int *n, const eff *x) {
    if (x->kind == E_CREATE) name_set(names, n, x->name, x->ino);
    else if (x->kind == E_UNLINK) name_del(names, n, x->name);
    else if (x->kind == E_RENAME) {
        int i = name_find(names, *n, x->name);
        if (i < 0) return;
        int ino = names[i].ino;
        name_del(names, n, x->name);
        name_set(names, n, x->name2, ino);
    }
}

static void explore(const rec *r, const explore_opts *o, check_fn check, salt_fn salt, void *ctx, hset *seen,
                    stats *st) {
    bytes durable[MAXINO];
    int *pend[MAXINO], npend[MAXINO];
    memset(durable, 0, sizeof durable);
    for (int i = 0; i < r->n_ino; i++) {
        b_set(&durable[i], r->init[i], r->init_len[i]);
        pend[i] = malloc(r->n_e * sizeof(int) + sizeof(int));
        npend[i] = 0;
    }
    dname dur[MAXNAMES];
    int ndur = r->n_init;
    memcpy(dur, r->init_names, sizeof dur);
    int *dpend = malloc(r->n_e * sizeof(int) + sizeof(int)), ndpend = 0;
    size_t ei = 0;
    bytes content[MAXNAMES];
    memset(content, 0, sizeof content);

    for (int K = 0; K <= r->calls; K++) {
        if (r == o->top) st->points++;
        else st->nested_points++;
        for (int j = 0; j <= ndpend; j++) {
            dname names[MAXNAMES];
            int nn = ndur;
            memcpy(names, dur, sizeof names);
            for (int k = 0; k < j; k++) apply_dir(names, &nn, &r->e[dpend[k]]);
            qsort(names, (size_t)nn, sizeof names[0], dname_cmp);
            /* Options per file with pending effects. */
            int nopt[MAXNAMES];
            choice *opts[MAXNAMES];
            long long combos = 1;
            for (int f = 0; f < nn; f++) {
                int ino = names[f].ino, np = npend[ino];
                opts[f] = malloc(sizeof(choice) * (size_t)(np + 1) * 40);
                nopt[f] = 0;
                for (int p = 0; p <= np; p++) {
                    opts[f][nopt[f]++] = (choice){p, -1, false};
                    if (p == np) break;
                    const eff *x = &r->e[pend[ino][p]];
                    if (x->kind != E_WRITE) continue;
                    long long t[20];
                    int nt = tear_points(x->len, o->tears, t);
                    for (int q = 0; q < nt; q++) opts[f][nopt[f]++] = (choice){p, t[q], false};
                    if (o->zero) opts[f][nopt[f]++] = (choice){p, -1, true};
                }
                combos *= nopt[f];
            }
            if (combos > 20000) t_fail(__FILE__, __LINE__, "too many combinations at K=%d: %lld", K, combos);
            int idx[MAXNAMES] = {0};
            for (long long c = 0; c < combos; c++) {
                /* Build the disk. */
                bool zero = false;
                uint64_t h = fnv(1469598103934665603ull, &(uint64_t){salt(ctx, K)}, 8);
                char desc[512];
                int dl = snprintf(desc, sizeof desc, "K=%d dir-prefix %d/%d:", K, j, ndpend);
                for (int f = 0; f < nn; f++) {
                    int ino = names[f].ino;
                    const choice *ch = &opts[f][idx[f]];
                    b_set(&content[f], durable[ino].p, durable[ino].len);
                    for (int p = 0; p < ch->applied; p++) b_apply(&content[f], &r->e[pend[ino][p]], -1, false);
                    if (ch->tear >= 0 || ch->zero) b_apply(&content[f], &r->e[pend[ino][ch->applied]], ch->tear, ch->zero);
                    zero |= ch->zero;
                    h = fnv(h, names[f].name, strlen(names[f].name) + 1);
                    h = fnv(h, &content[f].len, sizeof content[f].len);
                    if (content[f].len) h = fnv(h, content[f].p, content[f].len);
                    if (dl < (int)sizeof desc) {
                        char torn[48] = "";
                        if (ch->tear >= 0) snprintf(torn, sizeof torn, " +1 torn after %lld B", ch->tear);
                        dl += snprintf(desc + dl, sizeof desc - (size_t)dl, " %s(%llu B, %d of %d unsynced%s%s)",
                                       names[f].name, (unsigned long long)content[f].len, ch->applied, npend[ino],
                                       torn, ch->zero ? " +1 zero-filled" : "");
                    }
                }
                if (hset_add(seen, h)) {
                    materialize(o->mdir, names, nn, content);
                    check(ctx, K, o->mdir, desc, zero);
                } else {
                    st->dup++;
                }
                for (int f = 0; f < nn; f++) { /* next combination */
                    if (++idx[f] < nopt[f]) break;
                    idx[f] = 0;
                }
            }
            for (int f = 0; f < nn; f++) free(opts[f]);
        }
        /* Let the K-th call happen. */
        for (; ei < r->n_e && r->e[ei].point == K; ei++) {
            const eff *x = &r->e[ei];
            switch (x->kind) {
            case E_WRITE:
            case E_TRUNC: pend[x->ino][npend[x->ino]++] = (int)ei; break;
            case E_SYNC:
                for (int p = 0; p < npend[x->ino]; p++) b_apply(&durable[x->ino], &r->e[pend[x->ino][p]], -1, false);
                npend[x->ino] = 0;
                break;
            case E_DIRSYNC:
                for (int k = 0; k < ndpend; k++) apply_dir(dur, &ndur, &r->e[dpend[k]]);
                ndpend = 0;
                break;
            default: dpend[ndpend++] = (int)ei; break;
            }
        }
    }
    for (int i = 0; i < r->n_ino; i++) {
        free(durable[i].p);
        free(pend[i]);
    }
    for (int f = 0; f < MAXNAMES; f++) free(content[f].p);
    free(dpend);
}

/* ------------------------------------------------------------ workloads ---- */

typedef struct work {
    const char *name;
    nidus_fsync fsync;
    tm_call *calls;
    size_t n;
    int *end;           /* recorded calls when call i returned */
    tm_state *states;   /* states[i]: after calls 0..i-1 */
    char **dumps;
    bool *syncs;        /* call i makes everything before it durable (flush, compaction) */
} work;

typedef struct runner {
    work *w;
    stats *st;
    explore_opts opts, nested_opts;
    hset seen;
    int nested_mode;     /* 0 none, 1 some, 2 all */
    long nested_budget;
    /* depth 2 */
    const tm_state *fixed;
    char *fixed_dump;
    bool fixed_absent_ok;
    uint64_t fixed_salt;
} runner;

static long env_long(const char *name, long dflt) {
    const char *s = getenv(name);
    return s && *s ? atol(s) : dflt;
}

static char fails[8192];
static size_t fails_len;

/* What the disk being checked is: a failure on a zero-tail disk is counted apart. */
enum { DISK_PLAIN, DISK_ZERO };
static int disk_kind;

static void fail_note(runner *R, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    long *count = disk_kind == DISK_ZERO ? &R->st->zero_fail : &R->st->failures;
    const char *what = disk_kind == DISK_ZERO ? "zero-filled tail (reported only)" : "FAILURE";
    ++*count;
    if (*count <= (disk_kind == DISK_PLAIN ? 12 : 2) || env_long("NIDUS_POWERLOSS_VERBOSE", 0)) fprintf(stderr, "  powerloss %s: %s\n", what, line);
    if (disk_kind == DISK_PLAIN && fails_len + strlen(line) + 2 < sizeof fails) {
        memcpy(fails + fails_len, line, strlen(line));
        fails_len += strlen(line);
        fails[fails_len++] = '\n';
        fails[fails_len] = 0;
    }
}

/* Calls done (returned) by crash point K, and calls certainly durable. */
static size_t done_by(const work *w, int K) {
    size_t a = 0;
    while (a < w->n && w->end[a] <= K) a++;
    return a;
}
static size_t durable_by(const work *w, int K) {
    size_t a = done_by(w, K);
    if (w->fsync == NIDUS_FSYNC_PER_BATCH) return a;
    size_t d = 0;
    for (size_t i = 0; i < a; i++)
        if (w->syncs[i]) d = i + 1;
    return d;
}

static uint64_t salt1(void *ctx, int K) {
    runner *R = ctx;
    return (uint64_t)durable_by(R->w, K) << 32 | (uint64_t)done_by(R->w, K);
}

static uint64_t salt2(void *ctx, int K) {
    (void)K;
    return ((runner *)ctx)->fixed_salt;
}

/* Match `got` against what the disk at K may show. */
static int match1(runner *R, int K, const char *got, tm_state *out) {
    if (R->fixed) {
        if (strcmp(got, R->fixed_dump) != 0) return TM_NONE;
        tm_copy(out, R->fixed);
        return TM_BEFORE;
    }
    const work *w = R->w;
    size_t a = done_by(w, K), d = durable_by(w, K);
    /* Whole states first (precomputed), then the partial ones. */
    for (size_t t = 0; t < a + 2 - d; t++) {
        size_t j = t == 0 ? a : t == 1 ? a + 1 : a - (t - 1); /* a, a+1, a-1, ..., d */
        if (j > w->n || strcmp(got, w->dumps[j]) != 0) continue;
        tm_copy(out, &w->states[j]);
        return j == a ? TM_BEFORE : j > a ? TM_AFTER : TM_BEFORE + 10;
    }
    for (size_t j = a + 1; j-- > d;) {
        int how;
        if (j == w->n) {
            how = strcmp(got, w->dumps[j]) ? TM_NONE : TM_BEFORE;
            if (how) tm_copy(out, &w->states[j]);
        } else {
            how = tm_match(&w->states[j], &w->calls[j], got, out);
        }
        if (how) return j < a ? TM_BEFORE + 10 : how; /* +10: an older state (on-flush) */
    }
    return TM_NONE;
}

static bool absent_ok(runner *R, int K) {
    return R->fixed ? R->fixed_absent_ok : done_by(R->w, K) == 0;
}

static nidus_config cfg_of(bool ro, nidus_fsync fs) {
    nidus_config c;
    nidus_config_init(&c, DIM);
    c.fsync = fs;
    if (ro) {
        c.read_only = 1;
        c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    }
    return c;
}

static const float PROBE[DIM] = {0.25f, -1, 0.5f, 2};

static void check_disk(void *ctx, int K, const char *dir, const char *desc, bool zero) {
    runner *R = ctx;
    stats *st = R->st;
    disk_kind = zero ? DISK_ZERO : DISK_PLAIN;
    long fails0 = st->failures + st->zero_fail;
    if (R->fixed) st->nested_disks++;
    else st->disks++;
    const char *ctxname = R->fixed ? "recovery" : R->w->name;
    /* Read-only first: it must not need anything a writer would repair. */
    nidus_config ro = cfg_of(true, R->w->fsync);
    nidus_db *db = NULL;
    int rc = nidus_open(dir, &ro, &db);
    char *d_ro = NULL;
    bool absent = false;
    if (rc == NIDUS_ENOTFOUND && absent_ok(R, K)) {
        absent = true;
    } else if (rc != NIDUS_OK) {
        fail_note(R, "%s %s: read-only open -> %s: %s", ctxname, desc, nidus_strerror(rc), nidus_errmsg(db));
    } else {
        d_ro = tm_dump_db(db, &rc);
        CHECK(d_ro != NULL);
        tm_state m;
        if (!match1(R, K, d_ro, &m)) fail_note(R, "%s %s: read-only open shows an unexpected state:\n%s", ctxname, desc, d_ro);
        else tm_free(&m);
    }
    nidus_close(db);

    /* Read-write, recorded when a second power loss is to be explored. */
    rec r2;
    bool nest = !R->fixed && R->nested_mode && st->nested < R->nested_budget;
    if (nest) rec_begin(&r2, dir);
    nidus_config rw = cfg_of(false, R->w->fsync);
    rc = nidus_open(dir, &rw, &db);
    if (nest) rec_end();
    tm_state ms;
    int how = TM_NONE;
    if (rc != NIDUS_OK) {
        fail_note(R, "%s %s: read-write open -> %s: %s", ctxname, desc, nidus_strerror(rc), nidus_errmsg(db));
        nidus_close(db);
    } else {
        char *d_rw = tm_dump_db(db, &rc);
        CHECK(d_rw != NULL);
        how = match1(R, K, d_rw, &ms);
        if (!how) {
            fail_note(R, "%s %s: read-write open shows an unexpected state:\n%s", ctxname, desc, d_rw);
        } else if (d_ro && strcmp(d_ro, d_rw) != 0) {
            fail_note(R, "%s %s: read-only and read-write opens disagree:\n%s---\n%s", ctxname, desc, d_ro, d_rw);
        }
        if (!R->fixed) {
            if (absent) st->absent++;
            else if (how == TM_BEFORE) st->before++;
            else if (how == TM_AFTER) st->after++;
            else if (how == TM_PARTIAL) st->partial++;
            else if (how > 10) st->older++;
        }
        /* A write after recovery is kept, and nothing stale claims its row. */
        int prc = th_put(db, "zz", "probe", PROBE);
        nidus_close(db);
        if (prc != NIDUS_OK) {
            fail_note(R, "%s %s: write after recovery -> %s", ctxname, desc, nidus_strerror(prc));
        } else if (how) {
            tm_state want;
            tm_copy(&want, &ms);
            tm_rec pr;
            memset(&pr, 0, sizeof pr);
            snprintf(pr.id, sizeof pr.id, "probe");
            memcpy(pr.raw, PROBE, sizeof PROBE);
            tm_doc doc;
            tm_rec_doc(&pr, DIM, &doc);
            snprintf(doc.attrs, sizeof doc.attrs, "%s", "");
            tm_put(&want, "zz", &doc);
            char *wd = tm_dump(&want);
            db = NULL;
            rc = nidus_open(dir, &ro, &db);
            char *got = rc == NIDUS_OK ? tm_dump_db(db, &rc) : NULL;
            if (!got || strcmp(got, wd) != 0)
                fail_note(R, "%s %s: after a write and reopen (rc %d):\n%s---want\n%s", ctxname, desc, rc,
                          got ? got : "", wd);
            free(got);
            free(wd);
            nidus_close(db);
            tm_free(&want);
        }
        free(d_rw);
    }
    bool clean = st->failures + st->zero_fail == fails0;
    disk_kind = DISK_PLAIN;
    /* A second power loss during that recovery. */
    if (nest && how && clean && r2.interesting &&
        (R->nested_mode == 2 || st->disks % 7 == 0)) {
        st->nested++;
        runner R2 = *R;
        R2.fixed = &ms;
        R2.fixed_dump = tm_dump(&ms);
        R2.fixed_absent_ok = absent;
        R2.fixed_salt = fnv(0xabcdef, R2.fixed_dump, strlen(R2.fixed_dump));
        explore(&r2, &R->nested_opts, check_disk, salt2, &R2, &R->seen, st);
        free(R2.fixed_dump);
    }
    if (nest) rec_free(&r2);
    if (how) tm_free(&ms);
    free(d_ro);
}

/* Run the workload on a fresh store, recording its I/O, and fill in the model's
 * states; then explore every crash point. */
static void run_work(work *w, runner *R, const char *tmp) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/store-%s", tmp, w->name);
    CHECK(mkdir(dir, 0755) == 0);
    w->end = calloc(w->n, sizeof(int));
    w->states = calloc(w->n + 1, sizeof(tm_state));
    w->dumps = calloc(w->n + 1, sizeof(char *));
    w->syncs = calloc(w->n, sizeof(bool));
    tm_init(&w->states[0], DIM);
    rec r;
    rec_begin(&r, dir);
    nidus_db *db = NULL;
    for (size_t i = 0; i < w->n; i++) {
        const tm_call *c = &w->calls[i];
        tm_copy(&w->states[i + 1], &w->states[i]);
        if (c->kind == TC_OPEN) {
            nidus_config cfg = cfg_of(false, w->fsync);
            cfg.auto_compact = c->auto_compact;
            CHECK(db == NULL);
            int rc = nidus_open(dir, &cfg, &db);
            if (rc) t_fail(__FILE__, __LINE__, "%s: open: %s", w->name, nidus_errmsg(db));
        } else if (c->kind == TC_CLOSE) {
            nidus_close(db);
            db = NULL;
        } else {
            int rc = tm_exec(db, c);
            if (rc) t_fail(__FILE__, __LINE__, "%s call %zu (%s): %s", w->name, i, tm_kind_name(c->kind), nidus_errmsg(db));
            tm_apply(&w->states[i + 1], c);
        }
        w->end[i] = r.calls;
        w->syncs[i] = c->kind == TC_FLUSH || c->kind == TC_COMPACT;
        w->dumps[i + 1] = tm_dump(&w->states[i + 1]);
        if (db) { /* the model agrees with the live handle */
            int rc;
            char *live = tm_dump_db(db, &rc);
            if (!live || strcmp(live, w->dumps[i + 1]) != 0)
                t_fail(__FILE__, __LINE__, "%s call %zu (%s): model and handle differ:\n%s---model\n%s", w->name, i,
                       tm_kind_name(c->kind), live ? live : "", w->dumps[i + 1]);
            free(live);
        }
    }
    w->dumps[0] = tm_dump(&w->states[0]);
    nidus_close(db);
    rec_end();
    R->w = w;
    R->opts.top = &r;
    long p0 = R->st->points, d0 = R->st->disks;
    explore(&r, &R->opts, check_disk, salt1, R, &R->seen, R->st);
    fprintf(stderr, "  powerloss %-14s %3zu calls, %4d I/O calls recorded, %5ld crash points, %6ld disks checked%s\n",
            w->name, w->n, r.calls, R->st->points - p0, R->st->disks - d0, r.anomalies ? " (lock replaced unrecorded)" : "");
    rec_free(&r);
    for (size_t i = 0; i <= w->n; i++) {
        tm_free(&w->states[i]);
        free(w->dumps[i]);
    }
    free(w->states);
    free(w->dumps);
    free(w->end);
    free(w->syncs);
}

/* ------------------------------------------------------------ scripts ---- */

static tm_call c_simple(int kind, const char *coll) {
    tm_call c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.coll, sizeof c.coll, "%s", coll);
    c.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    return c;
}

static tm_call c_upsert(const char *coll, const char *ids, int64_t g0, uint64_t seed) {
    tm_call c = c_simple(TC_UPSERT, coll);
    uint64_t rng = seed;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", ids);
    for (char *t = strtok(buf, ","); t && c.n < TM_BATCH; t = strtok(NULL, ",")) {
        tm_rec *r = &c.recs[c.n];
        tm_gen_rec(&rng, DIM, 100, r);
        snprintf(r->id, sizeof r->id, "%s", t);
        r->g = g0 + (int64_t)c.n % 2;
        r->extra = (int)(c.n % 3);
        c.n++;
    }
    return c;
}

static tm_call c_delete(const char *coll, const char *ids) {
    tm_call c = c_simple(TC_DELETE, coll);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", ids);
    for (char *t = strtok(buf, ","); t && c.n < TM_BATCH; t = strtok(NULL, ","))
        snprintf(c.ids[c.n++], TM_NAME, "%s", t);
    return c;
}

static tm_call c_meta(const char *coll, int n, const char *v) {
    tm_call c = c_simple(TC_SETMETA, coll);
    static const char *keys[] = {"hwm", "model", "note"};
    c.n = (size_t)n;
    for (int i = 0; i < n; i++) {
        snprintf(c.mk[i], sizeof c.mk[i], "%s", keys[i]);
        snprintf(c.mv[i], sizeof c.mv[i], "%s%d", v, i);
    }
    return c;
}

static tm_call c_open(double auto_compact) {
    tm_call c = c_simple(TC_OPEN, "");
    c.auto_compact = auto_compact;
    return c;
}

/* The representative workload: every kind of write, a compaction, a reopen that
 * auto-compacts; with `flushes`, nidus_flush calls (for NIDUS_FSYNC_ON_FLUSH). */
static size_t script(tm_call *out, bool flushes) {
    size_t n = 0;
    out[n++] = c_open(NIDUS_AUTO_COMPACT_OFF); /* creates the store */
    out[n++] = c_simple(TC_CREATE, "a");
    out[n++] = c_upsert("a", "k01,k02,k03", 0, 11);
    out[n++] = c_meta("a", 1, "m");
    if (flushes) out[n++] = c_simple(TC_FLUSH, "");
    out[n++] = c_upsert("b", "k10,k11,k12", 1, 12); /* new collection, implicitly */
    out[n++] = c_upsert("a", "k01", 5, 13);         /* overwrite */
    out[n++] = c_delete("a", "k02,k99");            /* one missing */
    tm_call dw = c_simple(TC_DELWHERE, "b");
    dw.g = 1; /* k10 has g 1, k11 g 2, k12 g 1 */
    out[n++] = dw;
    if (flushes) out[n++] = c_simple(TC_FLUSH, "");
    out[n++] = c_simple(TC_CREATE, "c");
    out[n++] = c_meta("c", 2, "x");
    out[n++] = c_simple(TC_DROP, "b");
    out[n++] = c_upsert("c", "k20,k21,k22,k23", 0, 14);
    out[n++] = c_simple(TC_COMPACT, "");
    out[n++] = c_upsert("a", "k04,k01", 2, 15);
    out[n++] = c_delete("c", "k20,k21");
    if (flushes) out[n++] = c_simple(TC_FLUSH, "");
    out[n++] = c_simple(TC_CLOSE, "");
    out[n++] = c_open(0.2); /* dead rows above 0.2: compacts on open */
    out[n++] = c_upsert("c", "k24", 3, 16);
    out[n++] = c_meta("a", 0, ""); /* clears a's meta */
    out[n++] = c_simple(TC_DROP, "c");
    out[n++] = c_upsert("d", "k30,k31", 0, 17);
    if (flushes) out[n++] = c_simple(TC_FLUSH, "");
    out[n++] = c_simple(TC_CLOSE, "");
    return n;
}

/* A random workload: open, calls, a reopen in the middle, close. */
static size_t random_script(tm_call *out, size_t ncalls, uint64_t seed, bool flushes) {
    uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 7;
    size_t n = 0;
    out[n++] = c_open(NIDUS_AUTO_COMPACT_OFF);
    for (size_t i = 0; i < ncalls; i++) {
        if (i == ncalls / 2) {
            out[n++] = c_simple(TC_CLOSE, "");
            out[n++] = c_open(0.3);
        }
        tm_gen(&rng, DIM, 12, 6, &out[n]);
        out[n].auto_compact = NIDUS_AUTO_COMPACT_OFF;
        n++;
        if (flushes && tm_below(&rng, 4) == 0) out[n++] = c_simple(TC_FLUSH, "");
    }
    out[n++] = c_simple(TC_CLOSE, "");
    return n;
}


/* Crash states are written to tmpfs when there is one (no fsync cost there). */
static const char *fast_tmpdir(void) {
    struct stat st;
    if (!getenv("TMPDIR") && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    return t_tmpdir();
}

TEST(powerloss_every_crash_point) {
    bool stress = env_long("NIDUS_STRESS", 0) != 0;
    long seeds = env_long("NIDUS_POWERLOSS_SEEDS", stress ? 20 : 4);
    const char *tmp = fast_tmpdir();
    stats st;
    memset(&st, 0, sizeof st);
    runner R;
    memset(&R, 0, sizeof R);
    R.st = &st;
    char mdir[600], ndir[600];
    snprintf(mdir, sizeof mdir, "%s/crash", tmp);
    snprintf(ndir, sizeof ndir, "%s/crash2", tmp);
    CHECK(mkdir(mdir, 0755) == 0 && mkdir(ndir, 0755) == 0);
    R.opts = (explore_opts){stress ? 1 : 0, env_long("NIDUS_POWERLOSS_ZERO", 0) != 0, mdir, NULL};
    R.nested_opts = (explore_opts){0, false, ndir, NULL};
    R.nested_mode = stress ? 2 : 1;
    R.nested_budget = env_long("NIDUS_POWERLOSS_NESTED", stress ? 1000000 : 100);

    tm_call calls[256];
    work w;
    for (int fs = 0; fs < 2; fs++) {
        memset(&w, 0, sizeof w);
        w.name = fs ? "script-flush" : "script-batch";
        w.fsync = fs ? NIDUS_FSYNC_ON_FLUSH : NIDUS_FSYNC_PER_BATCH;
        w.calls = calls;
        w.n = script(calls, fs == 1);
        run_work(&w, &R, tmp);
    }
    for (long s = 0; s < seeds; s++) {
        char name[48];
        snprintf(name, sizeof name, "random-%ld%s", s, s % 3 == 2 ? "-flush" : "");
        memset(&w, 0, sizeof w);
        w.name = name;
        w.fsync = s % 3 == 2 ? NIDUS_FSYNC_ON_FLUSH : NIDUS_FSYNC_PER_BATCH;
        w.calls = calls;
        w.n = random_script(calls, stress ? 40 : 16, (uint64_t)s + 1, s % 3 == 2);
        run_work(&w, &R, tmp);
    }
    fprintf(stderr,
            "  powerloss: %ld crash points, %ld disks checked (%ld duplicate disks skipped); in-flight call absent "
            "%ld, whole %ld, partial %ld, older on-flush state %ld, store not yet created %ld; %ld recovery opens "
            "crashed again at each of %ld points (%ld disks); failures %ld\n",
            st.points, st.disks, st.dup, st.before, st.after, st.partial, st.older, st.absent, st.nested,
            st.nested_points, st.nested_disks, st.failures);
    if (R.opts.zero) fprintf(stderr, "  powerloss: zero-filled tails: %ld checks failed (reported only)\n", st.zero_fail);
    free(R.seen.v);
    if (st.failures) t_fail(__FILE__, __LINE__, "%ld power-loss checks failed:\n%s", st.failures, fails);
    CHECK(st.points > 300);
}

/*
 * check.c — `nidus check`: verify a store from its bytes (docs/FORMAT.md), then
 * compare with what the library sees through a read-only open.
 *
 * The files are read directly, with this file's own frame scanner, CRC and bincode
 * decoder, so a bug in the library cannot vouch for itself. Nothing is written,
 * renamed or locked: the lock state comes from the lock file's body and, on Linux,
 * /proc/locks. Findings are OK, WARN (harmless leftovers a writer or compact
 * clears: torn tails, orphan rows, stale locks), DAMAGE (data the library refuses
 * or silently drops) or NEWER (what a later nidus, 0.5 to 0.80, wrote and this
 * library refuses: to write, or to read at all; docs/FORMAT.md §10); any DAMAGE or
 * NEWER makes the exit status 1.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

#include "cli.h"

static int g_damage, g_warn, g_newer;
static bool g_ro_refused; /* a NEWER finding the library refuses even read-only */

static const char *pl(uint64_t n) { return n == 1 ? "" : "s"; }

static void say(const char *area, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const char *area, const char *level, const char *fmt, ...) {
    if (!strcmp(level, "DAMAGE")) g_damage++;
    if (!strcmp(level, "WARN")) g_warn++;
    if (!strcmp(level, "NEWER")) g_newer++;
    printf("%-8s %-6s ", area, level);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static char *path_of(const char *dir, const char *name) {
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* Whole file; returns 0, or an errno. */
static int slurp(const char *path, unsigned char **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return errno;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = xmalloc(cap);
    size_t got;
    while ((got = fread(b + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) b = xrealloc(b, cap *= 2);
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    *buf = b;
    *len = n;
    return err;
}

static bool exists(const char *path, struct stat *st) {
    struct stat tmp;
    return stat(path, st ? st : &tmp) == 0;
}

/* ---- bincode (FORMAT.md §4) ---- */

/* A value tag no nidus up to 0.80 writes: never a torn tail (FORMAT.md §10.4). */
static const char UNKNOWN_VALUE[] = "unknown value tag";

typedef struct cur {
    const unsigned char *p;
    size_t n, off;
    const char *why; /* first decode failure */
} cur;

static bool need(cur *c, size_t k) {
    if (c->why) return false;
    if (c->n - c->off < k) {
        c->why = "a length runs past the end of the payload";
        return false;
    }
    return true;
}

static uint64_t get_uint(cur *c, size_t width) {
    if (!need(c, width)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) v |= (uint64_t)c->p[c->off + i] << (8 * i);
    c->off += width;
    return v;
}

/* A string: pointer into the payload and its length. */
static const char *get_str(cur *c, size_t *len) {
    uint64_t n = get_uint(c, 8);
    if (!need(c, n)) return NULL;
    const char *s = (const char *)c->p + c->off;
    if (!cli_utf8_valid(s, (size_t)n)) {
        c->why = "a string is not valid UTF-8";
        return NULL;
    }
    c->off += n;
    *len = (size_t)n;
    return s;
}

static void skip_value(cur *c) {
    uint32_t tag = (uint32_t)get_uint(c, 4);
    size_t len;
    switch (tag) {
    case 0: break;
    case 1: get_str(c, &len); break;
    case 2: case 5: case 6: get_uint(c, 8); break;
    case 3:
        if (need(c, 1) && c->p[c->off++] > 1) c->why = "a bool byte is neither 0 nor 1";
        break;
    case 4: {
        uint64_t k = get_uint(c, 8);
        if (k > (c->n - c->off) / 8) c->why = "a list count runs past the end of the payload";
        for (uint64_t i = 0; i < k && !c->why; i++) get_str(c, &len);
        break;
    }
    default:
        if (!c->why) c->why = UNKNOWN_VALUE;
    }
}

typedef struct op {
    uint32_t tag;
    const char *coll, *id;
    size_t coll_len, id_len;
    uint64_t row;
} op;


/* The ops later versions write (tags 5-9), and the first version writing each. */
static const char *const LATER_OP[5] = {"UpsertText", "SetFtsSchema", "SetFtsFields", "SetFilterIndex", "Reinforce"};
static const char *const LATER_OP_SINCE[5] = {"0.14", "0.14", "0.52", "0.64", "0.79"};

static void get_bool(cur *c) {
    if (need(c, 1) && c->p[c->off++] > 1) c->why = "a bool byte is neither 0 nor 1";
}

/* An Option<u64/i64>: tag 0, or 1 and 8 bytes. */
static void get_option8(cur *c) {
    if (!need(c, 1)) return;
    unsigned char t = c->p[c->off++];
    if (t == 1) get_uint(c, 8);
    else if (t > 1) c->why = "an Option tag is neither 0 nor 1";
}

static void get_language(cur *c) {
    if (get_uint(c, 4) != 0 && !c->why) c->why = "a language other than English (0)";
}

/* Op 5-9's fields after the collection, as nidus 0.80 writes them (FORMAT.md §10.4):
 * skipped over, checked as bincode reads them. */
static void skip_later(cur *c, uint32_t tag) {
    size_t len;
    if (tag == 5 || tag == 9) get_str(c, &len); /* the id */
    if (tag == 9) {                              /* access_count, last_accessed, expires_at */
        get_uint(c, 8), get_uint(c, 8);
        get_option8(c);
        return;
    }
    static const size_t min_item[] = {12, 12, 22, 10}; /* bytes of the smallest element, tags 5-8 */
    uint64_t k = get_uint(c, 8);
    if (!c->why && k > (c->n - c->off) / min_item[tag - 5]) c->why = "a count runs past the end of the payload";
    for (uint64_t i = 0; i < k && !c->why; i++) {
        get_str(c, &len);
        switch (tag) {
        case 5: skip_value(c); break;                    /* UpsertText: attrs */
        case 6: get_language(c); break;                  /* SetFtsSchema: (field, Language) */
        case 7:                                          /* SetFtsFields: field, k1, b, Analyzer */
            get_uint(c, 8), get_language(c), get_bool(c), get_option8(c);
            break;
        default: get_bool(c), get_bool(c); break;        /* SetFilterIndex: field, tokens, trigrams */
        }
    }
}

/* Decodes a payload: true for an op 0-4 (in *o) or a whole op 5-9 (o->tag says
 * which; nothing else kept); false with *why for anything else. */
static bool decode_op(const unsigned char *p, size_t n, op *o, const char **why) {
    cur c = {p, n, 0, NULL};
    memset(o, 0, sizeof *o);
    *why = NULL;
    o->tag = (uint32_t)get_uint(&c, 4);
    if (c.why) {
        *why = c.why;
        return false;
    }
    if (o->tag > 9) {
        *why = "unknown op tag";
        return false;
    }
    if (o->tag > 4) {
        size_t len;
        const char *coll = get_str(&c, &len);
        skip_later(&c, o->tag);
        if (o->tag == 8) o->coll = coll, o->coll_len = len; /* SetFilterIndex: read by the library */
        *why = c.why;
        return !c.why;
    }
    o->coll = get_str(&c, &o->coll_len);
    size_t len;
    if (o->tag == 2) {
        uint64_t k = get_uint(&c, 8);
        if (k > (c.n - c.off) / 16) c.why = "a map count runs past the end";
        for (uint64_t i = 0; i < k && !c.why; i++) get_str(&c, &len), get_str(&c, &len);
    } else if (o->tag == 3 || o->tag == 4) {
        o->id = get_str(&c, &o->id_len);
        if (o->tag == 3) {
            o->row = get_uint(&c, 8);
            uint64_t k = get_uint(&c, 8);
            if (k > (c.n - c.off) / 12) c.why = "a map count runs past the end";
            for (uint64_t i = 0; i < k && !c.why; i++) get_str(&c, &len), skip_value(&c);
        }
    }
    *why = c.why;
    return !c.why; /* trailing bytes are allowed (nidus 0.3 ignores them) */
}

/* ---- replay state: collections of id -> row ---- */

typedef struct slot {
    char *key; /* NULL = empty; TOMB = deleted */
    size_t len;
    uint64_t row;
} slot;

static char TOMB[1];

typedef struct coll {
    char *name;
    size_t name_len;
    slot *slots;
    size_t cap, used, live; /* used counts tombstones too */
} coll;

static uint64_t hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static slot *find(coll *c, const char *k, size_t n, bool insert) {
    if (insert && (c->used + 1) * 10 > c->cap * 7) {
        slot *old = c->slots;
        size_t ocap = c->cap;
        c->cap = c->cap ? c->cap * 2 : 64;
        c->slots = xcalloc(c->cap, sizeof *c->slots);
        c->used = c->live;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].key && old[i].key != TOMB) {
                size_t j = hash(old[i].key, old[i].len) & (c->cap - 1);
                while (c->slots[j].key) j = (j + 1) & (c->cap - 1);
                c->slots[j] = old[i];
            }
        free(old);
    }
    if (!c->cap) return NULL;
    size_t j = hash(k, n) & (c->cap - 1);
    slot *tomb = NULL;
    for (;; j = (j + 1) & (c->cap - 1)) {
        slot *s = &c->slots[j];
        if (!s->key) return insert ? (tomb ? tomb : s) : NULL;
        if (s->key == TOMB) {
            if (!tomb) tomb = s;
        } else if (s->len == n && memcmp(s->key, k, n) == 0) return s;
    }
}

typedef struct state {
    coll *colls;
    size_t ncolls;
    uint64_t rows, dead, past_end, max_row_past;
    unsigned char *seen; /* one byte per row: how many upserts name it (saturating) */
} state;

static coll *coll_get(state *st, const char *name, size_t n, bool create) {
    for (size_t i = 0; i < st->ncolls; i++)
        if (st->colls[i].name_len == n && memcmp(st->colls[i].name, name, n) == 0) return &st->colls[i];
    if (!create) return NULL;
    st->colls = xrealloc(st->colls, (st->ncolls + 1) * sizeof *st->colls);
    coll *c = &st->colls[st->ncolls++];
    memset(c, 0, sizeof *c);
    c->name = xmalloc(n + 1);
    memcpy(c->name, name, n);
    c->name[n] = 0;
    c->name_len = n;
    return c;
}

static void coll_clear(coll *c) {
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key != TOMB) free(c->slots[i].key);
    free(c->slots);
    free(c->name);
}

static void apply(state *st, const op *o) {
    coll *c;
    switch (o->tag) {
    case 0: coll_get(st, o->coll, o->coll_len, true); break;
    case 1:
        if ((c = coll_get(st, o->coll, o->coll_len, false))) {
            st->dead += c->live;
            coll_clear(c);
            *c = st->colls[--st->ncolls];
        }
        break;
    case 2:
    case 8: coll_get(st, o->coll, o->coll_len, true); break; /* SetMeta, SetFilterIndex: create implicitly */
    case 3: {
        if (o->row >= st->rows) { /* the reader rule: ignore the frame entirely */
            st->past_end++;
            if (o->row > st->max_row_past) st->max_row_past = o->row;
            break;
        }
        c = coll_get(st, o->coll, o->coll_len, true);
        if (st->seen[o->row] < 255) st->seen[o->row]++;
        slot *s = find(c, o->id, o->id_len, true);
        if (s->key && s->key != TOMB) st->dead++;
        else {
            if (!s->key) c->used++;
            s->key = xmalloc(o->id_len + 1);
            memcpy(s->key, o->id, o->id_len);
            s->len = o->id_len;
            c->live++;
        }
        s->row = o->row;
        break;
    }
    case 4:
        if ((c = coll_get(st, o->coll, o->coll_len, false))) {
            slot *s = find(c, o->id, o->id_len, false);
            if (s) {
                free(s->key);
                s->key = TOMB;
                c->live--;
                st->dead++;
            }
        }
        break;
    }
}

static int cmp_coll(const void *a, const void *b) {
    const coll *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int r = memcmp(x->name, y->name, n);
    return r ? r : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* ---- the parts of the check ---- */

/* The compaction marker (§8.3): which data/log files a reader would take. */
static void check_marker(const char *dir, bool *use_dtmp, bool *use_ltmp) {
    char *mp = path_of(dir, "compact"), *dt = path_of(dir, "data.tmp"), *lt = path_of(dir, "log.tmp"),
         *ct = path_of(dir, "compact.tmp");
    struct stat sd, sl;
    bool hd = exists(dt, &sd), hl = exists(lt, &sl);
    unsigned char *m;
    size_t mlen;
    *use_dtmp = *use_ltmp = false;
    if (slurp(mp, &m, &mlen) == 0) {
        char text[128];
        unsigned long long D, L;
        int used = 0;
        snprintf(text, sizeof text, "%.*s", (int)(mlen < 127 ? mlen : 127), (const char *)m);
        if (mlen > 100 || sscanf(text, "nidus-compact 1 %llu %llu\n%n", &D, &L, &used) != 2 || (size_t)used != mlen ||
            text[mlen - 1] != '\n')
            say("compact", "DAMAGE", "marker 'compact' is malformed: a writer open refuses the store");
        else if ((hd && (unsigned long long)sd.st_size != D) || (hl && (unsigned long long)sl.st_size != L))
            say("compact", "DAMAGE", "marker says data.tmp %llu / log.tmp %llu bytes, the files differ", D, L);
        else {
            say("compact", "WARN", "a committed compaction is pending; the next writer open completes it");
            *use_dtmp = hd;
            *use_ltmp = hl;
        }
        free(m);
    } else if (hd || hl || exists(ct, NULL)) {
        say("compact", "WARN", "leftover %s%s%sfrom an interrupted compaction (ignored)", hd ? "data.tmp " : "",
            hl ? "log.tmp " : "", exists(ct, NULL) ? "compact.tmp " : "");
    }
    free(mp), free(dt), free(lt), free(ct);
}

/* The lock file (§7), read without taking anything. Returns true when a writer
 * is (or may be) active, so the files can change while they are checked. */
static bool check_lock(const char *dir) {
    char *lp = path_of(dir, "lock");
    struct stat st;
    if (!exists(lp, &st)) {
        say("lock", "OK", "no lock file: no writer has the store open");
        free(lp);
        return false;
    }
    unsigned char *b;
    size_t n;
    long long pid = -1;
    if (slurp(lp, &b, &n) == 0) {
        char text[64];
        snprintf(text, sizeof text, "%.*s", (int)(n < 63 ? n : 63), (const char *)b);
        char *end;
        long long v = strtoll(text, &end, 10);
        if (end != text && v > 0) pid = v;
        free(b);
    }
    bool flocked = false;
#ifdef __linux__
    /* Lines like "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF". */
    FILE *pl = fopen("/proc/locks", "r");
    char line[256];
    while (pl && fgets(line, sizeof line, pl)) {
        char kind[16];
        unsigned maj, min;
        unsigned long long ino;
        if (sscanf(line, "%*s %15s %*s %*s %*d %x:%x:%llu", kind, &maj, &min, &ino) == 4 &&
            strcmp(kind, "FLOCK") == 0 && ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
            min == minor(st.st_dev))
            flocked = true;
    }
    if (pl) fclose(pl);
#endif
    double age = difftime(time(NULL), st.st_mtime);
    if (age < 0) age = 0;
    bool active = true;
    if (flocked) say("lock", "OK", "held by a running writer (pid %lld)", pid);
    else if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        say("lock", "WARN", "stale lock file of pid %lld, which is not running; the next writer reclaims it", pid);
        active = false;
    } else if (pid > 0)
        say("lock", "WARN", "lock file of running pid %lld without an flock (a nidus 0.3 writer, or one starting), age %.0f s",
            pid, age);
    else say("lock", "WARN", "lock file with an unreadable body, age %.0f s (stale after the lock TTL)", age);
    free(lp);
    return active;
}

/* ---- what later versions leave in the directory (FORMAT.md §10) ---- */

/* By name, never by content: the caches begin like a data file. The first match
 * decides; `seg-` with digits only is a segment, with a suffix its sidecar. */
typedef struct later_file {
    const char *pat;
    enum { EXACT, PREFIX, SUFFIX, SEGMENT } how;
    const char *since, *what;
} later_file;

static const later_file LATER_FILES[] = {
    {"manifest", EXACT, "0.18", "the store's manifest (nidus 0.80 writes one on its first read-write open)"},
    {"seg-", SEGMENT, "0.18", "a sealed segment"},
    {"manifest.tmp", EXACT, "0.18", "an interrupted manifest write"},
    {".crc", SUFFIX, "0.62", "a segment's checksum sidecar"},
    {"hist-", PREFIX, "0.78", "a history entry (a past version of the store)"},
    {".ivf", SUFFIX, "0.64", "a segment's IVF index (a cache)"},
    {"ann", EXACT, "0.12", "an ANN index (a cache)"},
    {"fts", EXACT, "0.14", "a full-text index (a cache)"},
    {"findex", EXACT, "0.64", "a filter index (a cache)"},
    {"embed-cache", EXACT, "0.74", "an embedding cache"},
    {".tmp", SUFFIX, "0.12", "the temporary file of an interrupted write"},
    {"seg-", PREFIX, "0.18", "a segment's file"},
};

static bool is_segment(const char *n) {
    if (strncmp(n, "seg-", 4) != 0 || !n[4]) return false;
    for (n += 4; *n; n++)
        if (*n < '0' || *n > '9') return false;
    return true;
}

static const later_file *later_kind(const char *n) {
    if (!strcmp(n, "data.tmp") || !strcmp(n, "log.tmp") || !strcmp(n, "compact.tmp")) return NULL; /* ours */
    size_t len = strlen(n);
    for (size_t k = 0; k < sizeof LATER_FILES / sizeof *LATER_FILES; k++) {
        const later_file *f = &LATER_FILES[k];
        size_t m = strlen(f->pat);
        if (f->how == EXACT ? !strcmp(n, f->pat)
            : f->how == PREFIX ? !strncmp(n, f->pat, m)
            : f->how == SEGMENT ? is_segment(n)
                                : len > m && !strcmp(n + len - m, f->pat))
            return f;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The directory's files of later versions, sorted. */
typedef struct later {
    char **names;
    size_t n;
    bool manifest;
    /* from the manifest, when it reads */
    bool man_ok;
    char **segs; /* the segments it names after `data` */
    size_t nsegs;
    uint64_t seg_rows; /* rows in them */
} later;

static void list_later(const char *dir, later *l) {
    memset(l, 0, sizeof *l);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!later_kind(de->d_name)) continue;
        l->names = xrealloc(l->names, (l->n + 1) * sizeof *l->names);
        l->names[l->n++] = xstrdup(de->d_name);
        if (!strcmp(de->d_name, "manifest")) l->manifest = true;
    }
    if (d) closedir(d);
    if (l->n) qsort(l->names, l->n, sizeof *l->names, cmp_str); /* names is NULL when none */
}

static const char *distance_name(unsigned d) {
    return d == 0 ? "Cosine" : d == 1 ? "Euclidean" : d == 2 ? "DotProduct" : NULL;
}

/* The derived files and leftovers: one line each (manifest and segments have
 * their own parts). */
static void check_files(const later *l) {
    for (size_t i = 0; i < l->n; i++) {
        const char *n = l->names[i];
        if (!strcmp(n, "manifest") || is_segment(n)) continue;
        const later_file *f = later_kind(n);
        say("files", "NEWER", "%s: %s, written by nidus %s or later (ignored read-only)", n, f->what, f->since);
    }
}

/* The manifest (§10.2), with this file's own reader. */
static void check_manifest(const char *dir, later *l, bool data_ok, uint32_t dim, unsigned dist) {
    if (!l->manifest) return;
    char *mp = path_of(dir, "manifest");
    unsigned char *b;
    size_t n;
    int err = slurp(mp, &b, &n);
    free(mp);
    if (err) {
        say("manifest", "DAMAGE", "cannot read manifest: %s", strerror(err));
        g_ro_refused = true;
        return;
    }
    const char *refuse = "the library refuses the store";
    if (n < 4) {
        say("manifest", "DAMAGE", "manifest is %zu bytes, too short for its CRC: %s", n, refuse);
        g_ro_refused = true;
        free(b);
        return;
    }
    uint32_t stored = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t crc = cli_crc32(b + 4, n - 4);
    if (stored != crc) {
        say("manifest", "DAMAGE", "manifest CRC mismatch (stored %08x, computed %08x): %s", stored, crc, refuse);
        g_ro_refused = true;
        free(b);
        return;
    }
    cur c = {b + 4, n - 4, 0, NULL};
    unsigned format = (unsigned)get_uint(&c, 2);
    uint64_t mdim = get_uint(&c, 8);
    unsigned mdist = (unsigned)get_uint(&c, 4);
    uint64_t k = get_uint(&c, 8);
    if (!c.why && k > (c.n - c.off) / 8) c.why = "the segment count runs past the end";
    char **segs = NULL;
    size_t nsegs = 0;
    bool first_data = false;
    for (uint64_t i = 0; i < k && !c.why; i++) {
        size_t len;
        const char *sname = get_str(&c, &len);
        if (!sname) break;
        if (i == 0) {
            first_data = len == 4 && !memcmp(sname, "data", 4);
            continue;
        }
        segs = xrealloc(segs, (nsegs + 1) * sizeof *segs);
        segs[nsegs] = xmalloc(len + 1);
        memcpy(segs[nsegs], sname, len);
        segs[nsegs++][len] = 0;
    }
    uint64_t next_id = get_uint(&c, 8), version = get_uint(&c, 8);
    free(b);
    bool refused = true; /* unless it reads, below */
    if (c.why) say("manifest", "DAMAGE", "manifest does not decode (%s): %s", c.why, refuse);
    else if (format == 0) say("manifest", "DAMAGE", "manifest format version 0 (only 1 and 2 exist): %s", refuse);
    else if (format > 2 || mdist > 2) {
        say("manifest", "NEWER", "manifest %s %u, which no nidus up to 0.80 writes: a newer nidus wrote it; %s",
            format > 2 ? "format version" : "distance", format > 2 ? format : mdist, refuse);
        g_ro_refused = true;
    } else if (k == 0) say("manifest", "DAMAGE", "manifest names no segments: %s", refuse);
    else if (!first_data) say("manifest", "DAMAGE", "manifest's first segment is not data: %s", refuse);
    else {
        char list[200] = "data";
        for (size_t i = 0; i < nsegs; i++) {
            size_t used = strlen(list);
            if (i == 3 && nsegs > 4) {
                snprintf(list + used, sizeof list - used, ", … (%zu more)", nsegs - 3);
                break;
            }
            snprintf(list + used, sizeof list - used, ", %s", segs[i]);
        }
        say("manifest", "NEWER", "format %u (nidus %s), dimension %" PRIu64 ", distance %s; segments %s; next id %" PRIu64
            ", version %" PRIu64, format, format == 1 ? "0.18 to 0.59" : "0.60 or later", mdim, distance_name(mdist),
            list, next_id, version);
        l->man_ok = true;
        refused = false;
        if (data_ok && mdim != dim) {
            say("manifest", "DAMAGE", "manifest says dimension %" PRIu64 ", the data header %u: %s", mdim, dim, refuse);
            g_ro_refused = true;
        } else if (data_ok && mdist != dist && dist <= 2) { /* (byte 12 above 2: reported with data) */
            say("manifest", "DAMAGE", "manifest says distance %s, the data header %s: %s", distance_name(mdist),
                distance_name(dist), refuse);
            g_ro_refused = true;
        }
        else if (!nsegs)
            say("manifest", "OK", "every row lives in data: the library reads the store (read-only), never writes it");
        else {
            say("manifest", "NEWER", "rows live in %zu sealed segment%s after data: the library does not read segments "
                "and refuses the store, read-only too", nsegs, pl(nsegs));
            g_ro_refused = true;
        }
    }
    if (refused) g_ro_refused = true;
    l->segs = segs;
    l->nsegs = nsegs;
}

/* Segment files (§10.3): those the manifest names (their rows continue data's), and
 * the others (a compaction's leftovers, or with no manifest, rows of unknown fate). */
static void check_segments(const char *dir, later *l, uint64_t data_rows, uint32_t dim) {
    for (size_t i = 0; i < l->nsegs; i++) {
        char *sp = path_of(dir, l->segs[i]);
        unsigned char *b;
        size_t n;
        int err = slurp(sp, &b, &n);
        free(sp);
        if (err) {
            say("segment", "DAMAGE", "%s, named by the manifest, cannot be read (%s): its rows are lost", l->segs[i],
                strerror(err));
            continue;
        }
        uint32_t sdim = n >= 64 ? (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24 : 0;
        if (n < 64 || memcmp(b, "NIDUS\0", 6) || (b[6] | b[7] << 8) != 1 || !sdim || (dim && sdim != dim))
            say("segment", "DAMAGE", "%s, named by the manifest, has no data header of dimension %u", l->segs[i], dim);
        else {
            uint64_t rows = (n - 64) / ((uint64_t)sdim * 4), base = data_rows + l->seg_rows;
            const char *dn = distance_name(b[12]);
            char span[64] = "";
            if (rows) snprintf(span, sizeof span, " (the store's rows %" PRIu64 " to %" PRIu64 ")", base, base + rows - 1);
            say("segment", "NEWER", "%s: format 1, dimension %u, distance %s, %" PRIu64 " row%s%s, named by the manifest",
                l->segs[i], sdim, dn ? dn : "unknown", rows, pl(rows), span);
            l->seg_rows += rows;
        }
        free(b);
    }
    for (size_t i = 0; i < l->n; i++) {
        const char *nm = l->names[i];
        if (!is_segment(nm)) continue;
        bool named = false;
        for (size_t j = 0; j < l->nsegs; j++) named |= !strcmp(l->segs[j], nm);
        if (named) continue;
        if (l->man_ok) say("segment", "WARN", "%s: no manifest segment (a compaction's leftover; ignored)", nm);
        else if (!l->manifest) {
            say("segment", "NEWER", "%s: a sealed segment, written by nidus 0.18 or later, and no manifest: rows may "
                "live there; the library refuses the store", nm);
            g_ro_refused = true;
        }
    }
}

static void later_free(later *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    for (size_t i = 0; i < l->nsegs; i++) free(l->segs[i]);
    free(l->names);
    free(l->segs);
}

int cmd_check(cli_opts *o) {
    if (o->npos) cli_usage("check: takes no arguments");
    struct stat st;
    if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode)) cli_fail("no store at %s", o->dir);
    printf("%-8s %-6s %s\n", "store", "", o->dir);
    bool dtmp, ltmp;
    check_marker(o->dir, &dtmp, &ltmp);
    char *dp = path_of(o->dir, dtmp ? "data.tmp" : "data"), *lp = path_of(o->dir, ltmp ? "log.tmp" : "log");
    const char *dname = dtmp ? "data.tmp" : "data", *lname = ltmp ? "log.tmp" : "log";

    /* data (§2) */
    unsigned char *data = NULL;
    size_t dlen = 0;
    int err = slurp(dp, &data, &dlen);
    if (err == ENOENT) cli_fail("no store at %s (no %s file)", o->dir, dname);
    if (err) cli_fail("cannot read %s: %s", dp, strerror(err));
    uint32_t dim = 0;
    unsigned dist = 0;
    uint64_t rows = 0;
    bool data_ok = false;
    if (dlen == 0) say("data", "WARN", "%s is empty: never initialised (a writer writes the header)", dname);
    else if (dlen < 64) say("data", "DAMAGE", "%s is %zu bytes, shorter than the 64-byte header", dname, dlen);
    else if (memcmp(data, "NIDUS\0", 6) != 0) say("data", "DAMAGE", "%s does not start with NIDUS\\0: not a nidus data file", dname);
    else if ((data[6] | data[7] << 8) != 1) say("data", "DAMAGE", "%s has format version %u; only 1 exists", dname, data[6] | data[7] << 8);
    else if (!(dim = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24))
        say("data", "DAMAGE", "%s header says dimension 0", dname);
    else {
        data_ok = true;
        size_t rowb = (size_t)dim * 4;
        rows = (dlen - 64) / rowb;
        size_t partial = (dlen - 64) % rowb;
        uint64_t nonfinite = 0;
        for (uint64_t r = 0; r < rows; r++)
            for (uint32_t k = 0; k < dim; k++) {
                float f;
                memcpy(&f, data + 64 + r * rowb + 4 * k, 4);
                if (!isfinite(f)) {
                    nonfinite++;
                    break;
                }
            }
        say("data", "OK", "format 1, dimension %u, %" PRIu64 " row%s (%zu bytes)", dim, rows, pl(rows), dlen);
        dist = data[12];
        if (dist > 2) {
            say("data", "NEWER", "header byte 12 (the distance) is %u, which no nidus up to 0.80 writes (0 cosine, "
                "1 euclidean, 2 dot): a newer nidus wrote it; the library refuses the store", dist);
            g_ro_refused = true;
        } else if (dist) {
            say("data", "OK", "distance %s (header byte 12 = %u), as nidus 0.5 or later writes it", dist == 1 ? "euclidean" : "dot", dist);
        }
        if (partial) say("data", "WARN", "%zu bytes of a torn row append after row %" PRIu64 " (ignored; a writer truncates them)", partial, rows);
        if (nonfinite) say("data", "WARN", "%" PRIu64 " rows hold NaN or infinity (stored by nidus 0.3 as given)", nonfinite);
    }
    free(data);

    /* what a later nidus left (§10): caches, the manifest, segments */
    later lt;
    list_later(o->dir, &lt);
    check_files(&lt);
    check_manifest(o->dir, &lt, data_ok, dim, dist);
    check_segments(o->dir, &lt, rows, data_ok ? dim : 0);
    uint64_t all_rows = rows + lt.seg_rows; /* an Upsert's row is global: data's rows, then the segments' */

    /* log (§3, §6.1) and replay (§6.2) */
    unsigned char *log = NULL;
    size_t llen = 0;
    state rs = {0};
    rs.rows = all_rows;
    rs.seen = xcalloc(all_rows ? all_rows : 1, 1);
    err = slurp(lp, &log, &llen);
    size_t frames = 0, counts[10] = {0}, later_at[10] = {0};
    char tail[256] = ""; /* a torn tail, reported after the frames' summary */
    bool log_ok = true;
    if (err == ENOENT) say("log", "WARN", "no %s file (a writer creates it)", lname);
    else if (err) cli_fail("cannot read %s: %s", lp, strerror(err));
    else {
        size_t pos = 0;
        while (pos < llen) {
            size_t rem = llen - pos;
            uint32_t len = rem >= 4 ? (uint32_t)log[pos] | (uint32_t)log[pos + 1] << 8 | (uint32_t)log[pos + 2] << 16 |
                                          (uint32_t)log[pos + 3] << 24
                                    : 0;
            if (rem < 8 || rem - 8 < len) {
                snprintf(tail, sizeof tail, "torn tail: %zu bytes at offset %zu are not a whole frame (ignored; a writer truncates them)", rem, pos);
                break;
            }
            const unsigned char *pl = log + pos + 4, *cp = pl + len;
            uint32_t stored = (uint32_t)cp[0] | (uint32_t)cp[1] << 8 | (uint32_t)cp[2] << 16 | (uint32_t)cp[3] << 24;
            uint32_t crc = cli_crc32(pl, len);
            bool at_end = pos + 8 + (size_t)len == llen;
            op x;
            const char *why = NULL;
            const char *bad = crc != stored ? "CRC mismatch" : !decode_op(pl, len, &x, &why) ? "payload does not decode" : NULL;
            if (bad && crc == stored && why && (why == UNKNOWN_VALUE || !strcmp(why, "unknown op tag"))) {
                /* A good CRC around a tag no nidus up to 0.80 writes: never a torn tail. */
                uint32_t tag = (uint32_t)pl[0] | (uint32_t)pl[1] << 8 | (uint32_t)pl[2] << 16 | (uint32_t)pl[3] << 24;
                char what[64];
                if (why == UNKNOWN_VALUE) snprintf(what, sizeof what, "an attribute value tag above 6");
                else snprintf(what, sizeof what, "op tag %u", tag);
                say("log", "DAMAGE", "frame %zu at offset %zu: %s, which no nidus up to 0.80 writes, in a frame with a good "
                    "CRC: corrupt, or written by a nidus newer than 0.80; the library refuses the store", frames, pos, what);
                log_ok = false;
                break;
            }
            if (bad) {
                if (at_end)
                    snprintf(tail, sizeof tail, "torn tail: the last frame (offset %zu, %u bytes): %s (ignored; a writer truncates it)", pos, len, bad);
                else {
                    say("log", "DAMAGE", "frame %zu at offset %zu: %s (stored crc %08x, computed %08x) with %zu bytes after it: "
                        "the library refuses to open the store", frames, pos, bad, stored, crc, llen - pos - 8 - len);
                    log_ok = false;
                }
                break;
            }
            frames++;
            if (x.tag > 4 && !counts[x.tag]) later_at[x.tag] = pos;
            counts[x.tag]++;
            if (data_ok && (x.tag <= 4 || x.tag == 8)) apply(&rs, &x);
            pos += 8 + (size_t)len;
        }
        size_t nlater = counts[5] + counts[6] + counts[7] + counts[9]; /* op 8 is read (SetFilterIndex) */
        char later_note[64], fx_note[64] = "";
        snprintf(later_note, sizeof later_note, ", %zu of later versions", nlater);
        if (counts[8]) snprintf(fx_note, sizeof fx_note, ", %zu set-filter-index", counts[8]);
        if (log_ok)
            say("log", "OK", "%zu frame%s, every CRC good (%zu bytes): %zu create, %zu drop, %zu set-meta, %zu upsert, %zu delete%s%s",
                frames, pl(frames), llen, counts[0], counts[1], counts[2], counts[3], counts[4], fx_note,
                nlater ? later_note : "");
        for (int t = 5; t <= 9; t++)
            if (counts[t] && t != 8) {
                say("log", "NEWER", "%zu %s op%s (op %d, written by nidus %s or later), the first at offset %zu: the library "
                    "refuses the store rather than misread it", counts[t], LATER_OP[t - 5], pl(counts[t]), t,
                    LATER_OP_SINCE[t - 5], later_at[t]);
                g_ro_refused = true;
            }
        if (nlater) log_ok = false; /* the replay below would leave them out */
        if (tail[0]) say("log", "WARN", "%s", tail);
    }
    free(log);

    uint64_t live = 0, orphans = 0, shared = 0;
    if (data_ok && log_ok) {
        for (size_t i = 0; i < rs.ncolls; i++) live += rs.colls[i].live;
        for (uint64_t r = 0; r < all_rows; r++) {
            if (!rs.seen[r]) orphans++;
            if (rs.seen[r] > 1) shared++;
        }
        say("replay", "OK", "%zu collection%s, %" PRIu64 " live record%s, %" PRIu64 " dead row%s, %" PRIu64 " orphan row%s",
            rs.ncolls, pl(rs.ncolls), live, pl(live), rs.dead, pl(rs.dead), orphans, pl(orphans));
        if (rs.past_end) {
            /* A writer may have appended rows since data was read: size it again. */
            struct stat now;
            uint64_t rows2 = lt.seg_rows + (stat(dp, &now) == 0 && now.st_size >= 64 ? ((uint64_t)now.st_size - 64) / ((uint64_t)dim * 4) : rows);
            if (rs.max_row_past < rows2)
                say("replay", "WARN", "%" PRIu64 " upsert frame%s %s to rows appended while checking (a writer is active)", rs.past_end,
                    pl(rs.past_end), rs.past_end == 1 ? "refers" : "refer");
            else
                say("replay", "DAMAGE", "%" PRIu64 " upsert frame%s %s to rows past the end of data (%" PRIu64 " row%s; up to row %" PRIu64
                    "): those records are lost", rs.past_end, pl(rs.past_end), rs.past_end == 1 ? "refers" : "refer", all_rows, pl(all_rows),
                    rs.max_row_past);
        }
        if (orphans) say("replay", "WARN", "%" PRIu64 " orphan row%s that no upsert names (an interrupted write; compact reclaims them)", orphans, pl(orphans));
        if (shared) say("replay", "WARN", "%" PRIu64 " row%s named by more than one upsert", shared, pl(shared));
    }
    bool writer = check_lock(o->dir);

    /* The library's view must agree with the replay. */
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    cfg.read_only = 1;
    nidus_db *db = NULL;
    int rc = nidus_open(o->dir, &cfg, &db);
    if (rc) say("library", log_ok && data_ok && !g_ro_refused ? "DAMAGE" : "INFO", "a read-only open fails: %s (%s)", nidus_strerror(rc),
                db ? nidus_errmsg(db) : "");
    else if (data_ok && log_ok) {
        nidus_footprint fp;
        nidus_names *names = NULL;
        nidus_get_footprint(db, &fp);
        nidus_collections(db, &names);
        qsort(rs.colls, rs.ncolls, sizeof *rs.colls, cmp_coll);
        bool same = names && names->count == rs.ncolls && fp.rows == rows && fp.dead_rows == rs.dead && fp.doc_count == live;
        for (size_t i = 0; same && i < rs.ncolls; i++) same = strcmp(names->names[i], rs.colls[i].name) == 0;
        if (same) say("library", "OK", "a read-only open agrees: %" PRIu64 " record%s, %" PRIu64 " row%s, %" PRIu64 " dead",
                      fp.doc_count, pl(fp.doc_count), fp.rows, pl(fp.rows), fp.dead_rows);
        else say("library", writer ? "WARN" : "DAMAGE", "%s: %zu collections, %" PRIu64 " records, %" PRIu64 " rows, %" PRIu64 " dead",
                 writer ? "a read-only open, later, sees a newer state (a writer is active)" : "a read-only open disagrees with the replay",
                 names ? names->count : 0, fp.doc_count, fp.rows, fp.dead_rows);
        nidus_free(names);
    }
    nidus_close(db);
    for (size_t i = 0; i < rs.ncolls; i++) coll_clear(&rs.colls[i]);
    free(rs.colls);
    free(rs.seen);
    free(dp);
    free(lp);
    later_free(&lt);
    if (g_damage) printf("%-8s %-6s %d problem%s, %d warning%s\n", "result", "DAMAGE", g_damage, g_damage == 1 ? "" : "s", g_warn, g_warn == 1 ? "" : "s");
    else if (g_newer)
        printf("%-8s %-6s %d finding%s of a later nidus, %d warning%s: %s\n", "result", "NEWER", g_newer, pl((uint64_t)g_newer),
               g_warn, pl((uint64_t)g_warn),
               g_ro_refused ? "this library refuses the store" : "this library reads the store but will not write to it");
    else printf("%-8s %-6s %d warning%s\n", "result", "OK", g_warn, g_warn == 1 ? "" : "s");
    return g_damage || g_newer ? EXIT_FAIL : 0;
}

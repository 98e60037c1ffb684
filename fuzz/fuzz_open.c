/*
 * fuzz_open — nidus_open on an arbitrary store directory.
 *
 * Input: a u32 LE control word, then bytes split into `data` and `log`:
 *   bits 0-23  split point: data = rest[0 .. split % (len+1)), log = the remainder
 *   bit 24     rewrite the CRC of every whole log frame (so payloads get decoded)
 *   bit 25     a committed compaction: the bytes go to data.tmp / log.tmp and a
 *              `compact` marker names their sizes
 *   bit 26     with bit 25: `data` and `log` also hold the same bytes
 *   bit 27     with bit 25: the marker's sizes are off by one (must be refused)
 *   bit 28     a stale `lock` file of a dead process
 *   bit 29     without bit 25: leftover data.tmp / compact.tmp of an uncommitted
 *              compaction
 *   bit 30     auto-compaction off
 *   bit 31     max_vector_bytes = 96 (NIDUS_ECAPACITY paths)
 *
 * The directory (one per process, cleaned every time) is opened read-only and
 * read-write, each with dimension 0 (adopt) and 3 (fixed). Errors are fine; a crash,
 * a leak or a sanitizer report is not. On success the content is read through the
 * public API (collections, meta, get_all, get, search, footprint) into a canonical
 * digest, and these must hold:
 *  - a read-only open changes no file and creates none;
 *  - read-only and read-write opens with the same dimension see the same content;
 *  - after an upsert and a delete on the writer, compaction keeps the content, and a
 *    fresh read-only open and a fresh writer open both see exactly it.
 */
#include "common.h"

#include <math.h>

#define OF_FIXCRC (1u << 24)
#define OF_MARKER (1u << 25)
#define OF_BOTH (1u << 26)
#define OF_BADMARK (1u << 27)
#define OF_LOCK (1u << 28)
#define OF_LEFTOVER (1u << 29)
#define OF_NOAUTO (1u << 30)
#define OF_CAP (1u << 31)

#define FIXED_DIM 3
#define MAX_QDIM 4096 /* search only stores of a sane dimension */
#define MAX_COLLS 32

/* ------------------------------------------------------------------ digest ---- */

typedef struct dbuf {
    uint8_t *p;
    size_t len, cap;
} dbuf;

static void d_put(dbuf *d, const void *p, size_t n) {
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap : 256;
        while (cap < d->len + n) cap *= 2;
        d->p = realloc(d->p, cap);
        if (!d->p) abort();
        d->cap = cap;
    }
    if (n) memcpy(d->p + d->len, p, n);
    d->len += n;
}
static void d_u64(dbuf *d, uint64_t v) { d_put(d, &v, sizeof v); }
static void d_str(dbuf *d, const char *s) {
    size_t n = s ? strlen(s) : 0;
    d_u64(d, n);
    d_put(d, s, n);
}
static void d_value(dbuf *d, const nidus_value *v) {
    d_u64(d, (uint64_t)v->type);
    switch (v->type) {
    case NIDUS_NULL: break;
    case NIDUS_STR:
        FZ_CHECK(v->v.str.ptr && v->v.str.ptr[v->v.str.len] == 0);
        d_u64(d, v->v.str.len);
        d_put(d, v->v.str.ptr, v->v.str.len);
        break;
    case NIDUS_INT:
    case NIDUS_DATETIME: d_u64(d, (uint64_t)v->v.i); break;
    case NIDUS_BOOL: FZ_CHECK(v->v.b == 0 || v->v.b == 1); d_u64(d, (uint64_t)v->v.b); break;
    case NIDUS_FLOAT: d_put(d, &v->v.f, sizeof v->v.f); break;
    case NIDUS_LIST:
        d_u64(d, v->v.list.count);
        for (size_t k = 0; k < v->v.list.count; k++) {
            d_u64(d, v->v.list.items[k].len);
            d_put(d, v->v.list.items[k].ptr, v->v.list.items[k].len);
        }
        break;
    default: FZ_CHECK_MSG(0, "returned value of unknown type %d", (int)v->type);
    }
}
static void d_attrs(dbuf *d, const nidus_attr *a, size_t n) {
    d_u64(d, n);
    for (size_t i = 0; i < n; i++) {
        if (i) FZ_CHECK(strcmp(a[i - 1].key, a[i].key) <= 0);
        d_str(d, a[i].key);
        d_value(d, &a[i].value);
    }
}

/* Rank order of hits: score desc with NaN last, equal scores by row (a crafted log
 * can point two records at one row). */
static bool hit_before_or_tie(const nidus_hit *a, const nidus_hit *b) {
    if (isnan(b->score)) return true;
    if (isnan(a->score)) return false;
    return a->score > b->score || (a->score == b->score && a->row <= b->row); /* rows may be shared */
}

static void check_hits(const nidus_hits *h, size_t k, uint64_t docs) {
    FZ_CHECK(h->count <= k && h->count <= docs);
    for (size_t i = 0; i < h->count; i++) {
        FZ_CHECK(h->hits[i].collection && h->hits[i].id);
        if (i)
            FZ_CHECK_MSG(hit_before_or_tie(&h->hits[i - 1], &h->hits[i]),
                         "hits out of rank order: #%zu (%s/%s score %.9g row %llu) before #%zu (%s/%s score %.9g row %llu)",
                         i - 1, h->hits[i - 1].collection, h->hits[i - 1].id, (double)h->hits[i - 1].score,
                         (unsigned long long)h->hits[i - 1].row, i, h->hits[i].collection, h->hits[i].id,
                         (double)h->hits[i].score, (unsigned long long)h->hits[i].row);
    }
}

/* Everything the handle shows, in canonical bytes; also runs the other reads. */
static void digest(nidus_db *db, dbuf *d) {
    d->len = 0;
    nidus_footprint fp;
    FZ_CHECK(nidus_get_footprint(db, &fp) == NIDUS_OK);
    uint32_t dim = nidus_dimension(db);
    FZ_CHECK(dim == fp.dimension && dim > 0);
    FZ_CHECK(fp.dead_rows <= fp.rows);
    FZ_CHECK(fp.doc_count <= fp.rows);
    d_u64(d, dim);
    d_u64(d, fp.doc_count);

    nidus_names *names = NULL;
    FZ_CHECK(nidus_collections(db, &names) == NIDUS_OK);
    d_u64(d, names->count);
    uint64_t total = 0;
    bool all_plain = true;
    const float *query = NULL;
    nidus_docs *keep = NULL;
    for (size_t i = 0; i < names->count; i++) {
        const char *name = names->names[i];
        if (i) FZ_CHECK(strcmp(names->names[i - 1], name) <= 0);
        d_str(d, name);
        if (i >= MAX_COLLS) continue;
        int has = nidus_has_collection(db, name);
        FZ_CHECK(has == 0 || has == 1);
        if (!has || (i && !strcmp(names->names[i - 1], name))) all_plain = false;
        nidus_meta *m = NULL;
        FZ_CHECK(nidus_get_meta(db, name, &m) == NIDUS_OK);
        d_u64(d, m->count);
        for (size_t j = 0; j < m->count; j++) {
            if (j) FZ_CHECK(strcmp(m->entries[j - 1].key, m->entries[j].key) <= 0);
            d_str(d, m->entries[j].key);
            d_str(d, m->entries[j].value);
        }
        nidus_free(m);
        nidus_docs *docs = NULL;
        FZ_CHECK(nidus_get_all(db, name, &docs) == NIDUS_OK);
        d_u64(d, docs->count);
        total += docs->count;
        for (size_t j = 0; j < docs->count; j++) {
            const nidus_doc *doc = &docs->docs[j];
            if (j) FZ_CHECK(strcmp(docs->docs[j - 1].id, doc->id) <= 0);
            d_str(d, doc->id);
            d_put(d, doc->vector, (size_t)dim * sizeof(float));
            d_attrs(d, doc->attrs, doc->n_attrs);
        }
        /* nidus_get with every id, in reverse, plus one that is absent. */
        if (docs->count && docs->count <= 64) {
            const char *ids[65];
            for (size_t j = 0; j < docs->count; j++) ids[j] = docs->docs[docs->count - 1 - j].id;
            ids[docs->count] = "\xff-absent";
            nidus_docs *got = NULL;
            FZ_CHECK(nidus_get(db, name, ids, docs->count + 1, &got) == NIDUS_OK);
            FZ_CHECK(got->count <= docs->count);
            nidus_free(got);
        }
        if (!query && docs->count && dim <= MAX_QDIM) {
            keep = docs;
            query = docs->docs[0].vector;
        } else {
            nidus_free(docs);
        }
    }
    /* Names are C strings here: a name holding U+0000 reads as its prefix, so the
     * per-name counts need not add up to doc_count; without that they do. */
    if (names->count <= MAX_COLLS && all_plain) FZ_CHECK(total == fp.doc_count);

    if (dim <= MAX_QDIM) {
        float *q = calloc(dim, sizeof *q);
        if (!q) abort();
        bool finite = true;
        for (uint32_t j = 0; j < dim; j++) {
            q[j] = query ? query[j] : 1.0f;
            finite = finite && isfinite(q[j]);
        }
        nidus_search_opts o;
        nidus_search_opts_init(&o);
        o.threads = 1;
        o.top_k = 5;
        nidus_hits *h = NULL;
        int rc = nidus_search(db, q, dim, &o, &h);
        FZ_CHECK(rc == (finite ? NIDUS_OK : NIDUS_EINVAL));
        if (rc == NIDUS_OK) {
            check_hits(h, 5, fp.doc_count);
            nidus_free(h);
        }
        /* Scoped and filtered, as the golden stores use them. */
        if (finite && names->count) {
            nidus_value langs[2] = {nidus_string("rust"), nidus_string("python")};
            nidus_pred preds[2] = {
                {.kind = NIDUS_PRED_GLOB, .key = "path", .pattern = "src/*"},
                {.kind = NIDUS_PRED_IN, .key = "lang", .set = langs, .set_len = 2},
            };
            const char *scope[2] = {names->names[0], "\xc3\xa9-absent"};
            o.collections = scope;
            o.n_collections = 2;
            o.filter = preds;
            o.n_filter = 2;
            o.has_min_score = 1;
            o.min_score = -0.5f;
            o.top_k = 3;
            FZ_CHECK(nidus_search(db, q, dim, &o, &h) == NIDUS_OK);
            check_hits(h, 3, fp.doc_count);
            nidus_free(h);
        }
        free(q);
    }
    nidus_free(keep);
    nidus_free(names);
}

/* ------------------------------------------------------------------- files ---- */

typedef struct layout {
    const uint8_t *data, *log;
    size_t dlen, llen;
    uint32_t flags;
} layout;

static char dir[600];

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

static void write_named(const char *name, const void *p, size_t n) {
    char path[700];
    path_of(path, sizeof path, name);
    fz_write_file(path, p, n);
}

static void lay_out(const layout *l) {
    fz_clean_dir(dir);
    uint32_t f = l->flags;
    if (f & OF_MARKER) {
        write_named("data.tmp", l->data, l->dlen);
        write_named("log.tmp", l->log, l->llen);
        char m[96];
        unsigned long long dl = l->dlen, ll = l->llen;
        if (f & OF_BADMARK) dl++;
        int n = snprintf(m, sizeof m, "nidus-compact 1 %llu %llu\n", dl, ll);
        write_named("compact", m, (size_t)n);
        if (f & OF_BOTH) {
            write_named("data", l->data, l->dlen);
            write_named("log", l->log, l->llen);
        }
    } else {
        write_named("data", l->data, l->dlen);
        write_named("log", l->log, l->llen);
        if (f & OF_LEFTOVER) {
            write_named("data.tmp", l->log, l->llen);
            write_named("compact.tmp", "nidus-compact 1 1 2\n", 20);
        }
    }
    if (f & OF_LOCK) write_named("lock", "2147483646 1700000000000", 24);
}

/* A read-only open must leave every file as it was, and create none. */
static void check_untouched(const layout *l) {
    static const char *const names[] = {"data", "log", "data.tmp", "log.tmp", "compact", "compact.tmp", "lock"};
    size_t n_expected = 0;
    DIR *d = opendir(dir);
    FZ_CHECK(d != NULL);
    struct dirent *de;
    size_t n_seen = 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n_seen++;
    closedir(d);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[700];
        path_of(path, sizeof path, names[i]);
        size_t n;
        uint8_t *b = fz_read_file(path, &n);
        if (!b) continue;
        n_expected++;
        const uint8_t *want = NULL;
        size_t wlen = 0;
        bool known = true;
        if (!strcmp(names[i], "data") || !strcmp(names[i], "data.tmp")) {
            want = l->data;
            wlen = l->dlen;
            if (!strcmp(names[i], "data.tmp") && !(l->flags & OF_MARKER)) want = l->log, wlen = l->llen;
        } else if (!strcmp(names[i], "log") || !strcmp(names[i], "log.tmp")) {
            want = l->log;
            wlen = l->llen;
        } else {
            known = false; /* marker and lock: only their presence is checked */
        }
        if (known) FZ_CHECK_MSG(n == wlen && (n == 0 || memcmp(b, want, n) == 0), "read-only open changed %s", names[i]);
        free(b);
    }
    FZ_CHECK_MSG(n_seen == n_expected, "read-only open created a file (%zu files, %zu expected)", n_seen, n_expected);
}

static uint32_t open_flags; /* OF_NOAUTO, OF_CAP of this input */

static int open_store(uint32_t dim, int read_only, nidus_db **db) {
    nidus_config cfg;
    nidus_config_init(&cfg, dim);
    cfg.read_only = read_only;
    if (open_flags & OF_NOAUTO) cfg.auto_compact = NIDUS_AUTO_COMPACT_OFF;
    if (open_flags & OF_CAP) cfg.max_vector_bytes = 96;
    int rc = nidus_open(dir, &cfg, db);
    if (getenv("NIDUS_FUZZ_VERBOSE"))
        fprintf(stderr, "open dim %u read_only %d: rc %d %s\n", dim, read_only, rc,
                rc && *db ? nidus_errmsg(*db) : "");
    if (rc != NIDUS_OK) {
        /* A failed open still explains itself and accepts only close. */
        if (*db) {
            FZ_CHECK(nidus_errcode(*db) == rc);
            FZ_CHECK(nidus_errmsg(*db)[0] != 0);
            nidus_close(*db);
            *db = NULL;
        }
        FZ_CHECK(rc != NIDUS_EMISUSE);
    }
    return rc;
}

/* Writer round: open, digest (compared with the reader's when it had one), write,
 * compact, reopen both ways. */
static void writer_round(const layout *l, uint32_t dim, const dbuf *reader) {
    lay_out(l);
    nidus_db *db = NULL;
    if (open_store(dim, 0, &db) != NIDUS_OK) return;
    dbuf a = {0}, b = {0};
    digest(db, &a);
    if (reader->len)
        FZ_CHECK_MSG(a.len == reader->len && memcmp(a.p, reader->p, a.len) == 0,
                     "writer open (dim %u) sees other content than the read-only open", dim);

    /* Append after recovery, then delete: the files must stay consistent. */
    uint32_t sdim = nidus_dimension(db);
    if (sdim <= MAX_QDIM) {
        float *v = calloc(sdim, sizeof *v);
        if (!v) abort();
        for (uint32_t j = 0; j < sdim; j++) v[j] = (float)(j % 3) - 0.5f;
        nidus_attr at = {"lang", nidus_string("rust")};
        nidus_record r[2] = {{"fz-1", v, sdim, &at, 1}, {"fz-2", v, sdim, NULL, 0}};
        int rc = nidus_upsert(db, "fz", r, 2);
        FZ_CHECK_MSG(rc == NIDUS_OK || (rc == NIDUS_ECAPACITY && (open_flags & OF_CAP)), "upsert after open: %s",
                     nidus_errmsg(db));
        if (rc == NIDUS_OK) {
            const char *gone = "fz-2";
            size_t deleted = 0;
            FZ_CHECK(nidus_delete(db, "fz", &gone, 1, &deleted) == NIDUS_OK && deleted == 1);
        }
        free(v);
    }
    digest(db, &a);
    int rc = nidus_compact(db);
    FZ_CHECK_MSG(rc == NIDUS_OK, "compact: %s", nidus_errmsg(db));
    digest(db, &b);
    FZ_CHECK_MSG(a.len == b.len && memcmp(a.p, b.p, a.len) == 0, "compaction changed the content");
    nidus_close(db);

    for (int ro = 1; ro >= 0; ro--) {
        db = NULL;
        rc = open_store(0, ro, &db);
        FZ_CHECK_MSG(rc == NIDUS_OK, "reopen (read_only %d) after compaction failed: rc %d", ro, rc);
        digest(db, &b);
        FZ_CHECK_MSG(a.len == b.len && memcmp(a.p, b.p, a.len) == 0, "reopen (read_only %d) shows other content", ro);
        nidus_close(db);
    }
    free(a.p);
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    if (!dir[0]) snprintf(dir, sizeof dir, "%s/store", fz_tmproot());
    mkdir(dir, 0755);
    uint32_t ctl = fz_le32(data);
    size_t rest = size - 4;
    size_t split = (ctl & 0xFFFFFFu) % (rest + 1);
    uint8_t *dbytes = fz_dup(data + 4, split), *lbytes = fz_dup(data + 4 + split, rest - split);
    if (ctl & OF_FIXCRC) fz_fix_crcs(lbytes, rest - split, false);
    layout l = {dbytes, lbytes, split, rest - split, ctl};
    open_flags = ctl & (OF_NOAUTO | OF_CAP);

    static const uint32_t dims[2] = {0, FIXED_DIM};
    dbuf reader[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        lay_out(&l);
        nidus_db *db = NULL;
        if (open_store(dims[i], 1, &db) == NIDUS_OK) {
            digest(db, &reader[i]);
            /* Writes are refused on a read-only handle. */
            FZ_CHECK(nidus_create_collection(db, "x") == NIDUS_EREADONLY);
            FZ_CHECK(nidus_compact(db) == NIDUS_EREADONLY);
            nidus_close(db);
        }
        check_untouched(&l);
    }
    for (int i = 0; i < 2; i++) writer_round(&l, dims[i], &reader[i]);

    fz_clean_dir(dir);
    free(reader[0].p);
    free(reader[1].p);
    free(dbytes);
    free(lbytes);
    return 0;
}

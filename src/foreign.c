/* foreign.c — what later nidus versions (0.5 to 0.80) leave in a store directory,
 * and what an open does about it (SPEC.md §6.8, docs/FORMAT.md §10): a writer
 * refuses a directory holding any file such a version writes, before it takes the
 * lock or creates anything; a reader parses a `manifest` and proceeds only when
 * every row lives in `data`. Files are recognised by name, never by content (the
 * caches begin with the same 8 bytes as `data`). Nothing here writes. */
#include "nidus_internal.h"
#include "le.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>

/* ------------------------------------------------------------- the names ---- */

/* The files of later versions, most telling first (a message names the first kind
 * found): a name equal to `pat`, starting or ending with it, or a segment's
 * (`seg-` and decimal digits only: seg-00000001.crc is a sidecar). */
typedef struct foreign_kind {
    const char *pat;
    enum { EXACT, PREFIX, SUFFIX, SEGMENT } how;
    const char *version; /* the first nidus version that writes it */
    const char *what;
} foreign_kind;

static const foreign_kind KINDS[] = {
    {"manifest", EXACT, "nidus 0.18 or later",
     "the store's manifest; nidus 0.80 writes one on its first read-write open of any store"},
    {"seg-", SEGMENT, "nidus 0.18 or later", "a sealed segment, holding rows past the end of `data`"},
    {"manifest.tmp", EXACT, "nidus 0.18 or later", "a manifest being written"},
    {".crc", SUFFIX, "nidus 0.62 or later", "a segment's checksum sidecar"},
    {"hist-", PREFIX, "nidus 0.78 or later", "a history entry (a past version of the store)"},
    {".ivf", SUFFIX, "nidus 0.64 or later", "a segment's IVF index"},
    {"ann", EXACT, "nidus 0.12 or later", "an ANN index cache"},
    {"fts", EXACT, "nidus 0.14 or later", "a full-text index cache"},
    {"findex", EXACT, "nidus 0.64 or later", "a filter-index cache"},
    {"embed-cache", EXACT, "nidus 0.74 or later", "an embedding cache"},
    {".tmp", SUFFIX, "nidus 0.12 or later", "the temporary file of an interrupted write"},
    {"seg-", PREFIX, "nidus 0.18 or later", "a segment's file"},
};
enum { NKINDS = sizeof KINDS / sizeof *KINDS };

static bool is_segment(const char *name) {
    if (strncmp(name, "seg-", 4) != 0) return false;
    for (const char *p = name + 4; *p; p++)
        if (*p < '0' || *p > '9') return false;
    return name[4] != 0;
}

/* Our own files that end like a later version's: compaction's output and marker. */
static bool ours(const char *name) {
    return !strcmp(name, "data.tmp") || !strcmp(name, "log.tmp") || !strcmp(name, "compact.tmp");
}

int nidus__foreign_kind(const char *name, const char **version, const char **what) {
    if (ours(name)) return -1;
    size_t n = strlen(name);
    for (int k = 0; k < NKINDS; k++) {
        const foreign_kind *f = &KINDS[k];
        size_t m = strlen(f->pat);
        bool hit = f->how == EXACT     ? strcmp(name, f->pat) == 0
                   : f->how == PREFIX  ? strncmp(name, f->pat, m) == 0
                   : f->how == SEGMENT ? is_segment(name)
                                       : n > m && strcmp(name + n - m, f->pat) == 0;
        if (hit) {
            if (version) *version = f->version;
            if (what) *what = f->what;
            return k;
        }
    }
    return -1;
}

/* What a listing found: the most telling file (lowest kind, then lowest name),
 * how many such files, and the segment files. */
typedef struct listing {
    int kind;            /* -1: none */
    char name[256];      /* the file named in a message */
    size_t count;        /* files of later versions */
    bool manifest;       /* a `manifest` file */
    size_t nseg;         /* seg-* files (data files of segments, not their sidecars) */
    char segs[160];      /* the smallest few of them, for a message */
} listing;

static int list_one(void *ctx, const char *name) {
    listing *l = ctx;
    int k = nidus__foreign_kind(name, NULL, NULL);
    if (k < 0) return 0;
    l->count++;
    if (!strcmp(name, "manifest")) l->manifest = true;
    if (is_segment(name)) l->nseg++;
    if (l->kind < 0 || k < l->kind || (k == l->kind && strcmp(name, l->name) < 0)) {
        l->kind = k;
        snprintf(l->name, sizeof l->name, "%s", name);
    }
    return 0;
}

static int list_dir(const char *dir, listing *l, nerr *e) {
    memset(l, 0, sizeof *l);
    l->kind = -1;
    int r = nidus__io_list(dir, list_one, l);
    if (r == -ENOENT || r == -ENOTDIR) return NIDUS_OK; /* no directory yet (a new store), or the open's own error */
    if (r < 0) return nidus__err_sys(e, -r, "cannot list store directory %s", dir);
    return NIDUS_OK;
}

/* The segment files' names for a message, smallest first (readdir's order is the
 * file system's): a second pass keeps the three smallest. */
typedef struct seg_names {
    char v[3][64];
    size_t n;
} seg_names;

static int keep_seg(void *ctx, const char *name) {
    seg_names *s = ctx;
    if (!is_segment(name) || strlen(name) >= sizeof s->v[0]) return 0;
    size_t i = s->n < 3 ? s->n++ : 3;
    if (i == 3) {
        if (strcmp(name, s->v[2]) >= 0) return 0;
        i = 2;
    }
    while (i > 0 && strcmp(name, s->v[i - 1]) < 0) {
        memcpy(s->v[i], s->v[i - 1], sizeof s->v[i]);
        i--;
    }
    snprintf(s->v[i], sizeof s->v[i], "%s", name);
    return 0;
}

/* ----------------------------------------------------------- the writer ---- */

int nidus__foreign_refuse_writer(const char *dir, nerr *e) {
    listing l;
    int rc = list_dir(dir, &l, e);
    if (rc || l.kind < 0) return rc;
    const char *version = "", *what = "";
    (void)nidus__foreign_kind(l.name, &version, &what);
    char more[64] = "";
    if (l.count > 1) snprintf(more, sizeof more, " (and %zu more file%s of later versions)", l.count - 1,
                              l.count == 2 ? "" : "s");
    return nidus__err(e, NIDUS_EVERSION, 0,
                      "store at %s has `%s`%s, which %s writes (%s): this library does not write to a store of a "
                      "later nidus version, it opens one read-only",
                      dir, l.name, more, version, what);
}

/* ------------------------------------------------------------- manifest ---- */

typedef struct mrd {
    const uint8_t *p;
    size_t len, pos;
    const char *why; /* the first failure */
} mrd;

static uint64_t m_uint(mrd *r, size_t width, const char *field) {
    if (r->why) return 0;
    if (r->len - r->pos < width) {
        r->why = field;
        return 0;
    }
    uint64_t v = width == 2 ? nidus__get_le16(r->p + r->pos)
                 : width == 4 ? nidus__get_le32(r->p + r->pos)
                              : nidus__get_le64(r->p + r->pos);
    r->pos += width;
    return v;
}

int nidus__manifest_parse(const uint8_t *p, size_t len, nmanifest *m, nerr *e) {
    memset(m, 0, sizeof *m);
    if (len < 4) return nidus__err(e, NIDUS_ECORRUPT, 0, "%zu bytes, too short for its CRC (need 4)", len);
    uint32_t stored = nidus__get_le32(p), computed = nidus__crc32(p + 4, len - 4);
    if (stored != computed)
        return nidus__err(e, NIDUS_ECORRUPT, 0, "CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")",
                          stored, computed);
    /* bincode 1 (fixint LE), ManifestV1's fields; a v2 payload has the same ones
     * first, then its open profile, which is ignored (trailing bytes are allowed). */
    mrd r = {p + 4, len - 4, 0, NULL};
    m->format = (uint16_t)m_uint(&r, 2, "format_version");
    m->dimension = m_uint(&r, 8, "dimension");
    m->distance = (uint32_t)m_uint(&r, 4, "distance");
    uint64_t n = m_uint(&r, 8, "segments");
    if (!r.why && n > (r.len - r.pos) / 8)
        return nidus__err(e, NIDUS_ECORRUPT, 0, "its segment count %" PRIu64 " runs past the end of its %zu bytes",
                          n, len);
    m->nsegments = n;
    size_t used = 0;
    bool first_data = false;
    for (uint64_t i = 0; i < n && !r.why; i++) {
        uint64_t k = m_uint(&r, 8, "segments");
        if (r.why) break;
        if (k > r.len - r.pos)
            return nidus__err(e, NIDUS_ECORRUPT, 0, "segment %" PRIu64 "'s name runs past the end of its %zu bytes",
                              i, len);
        const char *s = (const char *)r.p + r.pos;
        if (!nidus__utf8_valid(s, (size_t)k))
            return nidus__err(e, NIDUS_ECORRUPT, 0, "segment %" PRIu64 "'s name is not UTF-8", i);
        r.pos += (size_t)k;
        if (i == 0) {
            first_data = k == 4 && memcmp(s, "data", 4) == 0; /* (the copy below stops at a NUL) */
            snprintf(m->first, sizeof m->first, "%.*s", (int)(k < 60 ? k : 60), s);
            continue;
        }
        /* The names after `data`, comma-separated, cut short with " …". */
        if (used + 8 >= sizeof m->extra) continue;
        int w = snprintf(m->extra + used, sizeof m->extra - used, "%s%.*s", i > 1 ? ", " : "", (int)(k < 64 ? k : 64),
                         s);
        if (w < 0 || used + (size_t)w + 8 >= sizeof m->extra) {
            snprintf(m->extra + used, sizeof m->extra - used, " …");
            used = sizeof m->extra;
        } else {
            used += (size_t)w;
        }
    }
    m->next_id = m_uint(&r, 8, "next_id");
    m->version = m_uint(&r, 8, "version");
    if (r.why) return nidus__err(e, NIDUS_ECORRUPT, 0, "it ends inside its %s field (%zu bytes)", r.why, len);
    if (m->format == 0 || m->format > 2)
        return nidus__err(e, m->format ? NIDUS_EVERSION : NIDUS_ECORRUPT, 0,
                          "format version %u (nidus 0.18 to 0.59 write 1, 0.60 to 0.80 write 2)%s", m->format,
                          m->format ? ": written by a nidus newer than 0.80" : "");
    if (m->distance > 2)
        return nidus__err(e, NIDUS_EVERSION, 0,
                          "distance %" PRIu32 " (nidus 0.80 knows 0 Cosine, 1 Euclidean, 2 DotProduct): written by "
                          "a nidus newer than 0.80",
                          m->distance);
    if (n == 0) return nidus__err(e, NIDUS_ECORRUPT, 0, "it names no segments (nidus 0.80 refuses it too)");
    if (!first_data)
        return nidus__err(e, NIDUS_ECORRUPT, 0, "its first segment is \"%s\", where nidus always has `data`",
                          m->first);
    return NIDUS_OK;
}

/* ----------------------------------------------------------- the reader ---- */

/* Read the whole manifest (a few dozen bytes; refused past 64 MiB). */
static int read_manifest(const char *path, uint8_t **buf, size_t *len, nerr *e) {
    *buf = NULL;
    *len = 0;
    int fd = nidus__io_open(path, O_RDONLY, 0);
    if (fd < 0) return nidus__err_sys(e, -fd, "cannot open manifest %s", path);
    uint64_t size;
    int r = nidus__io_fsize(fd, &size), rc = NIDUS_OK;
    if (r < 0) rc = nidus__err_sys(e, -r, "cannot stat manifest %s", path);
    else if (size > ((uint64_t)64 << 20))
        rc = nidus__err(e, NIDUS_ECORRUPT, 0, "manifest %s is corrupt: %" PRIu64 " bytes", path, size);
    else if (!(*buf = nidus__malloc(size ? (size_t)size : 1)))
        rc = nidus__err(e, NIDUS_ENOMEM, 0, "out of memory reading manifest %s", path);
    else if (size && (r = nidus__io_pread_full(fd, *buf, (size_t)size, 0)) < 0)
        rc = nidus__err_sys(e, -r, "cannot read manifest %s", path);
    nidus__io_close(fd);
    if (!rc) *len = (size_t)size;
    if (rc) {
        nidus__free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* The dimension and byte 12 of `data`'s header: NIDUS_OK with *have set, false
 * when there is no whole header to read (the snapshot then reports what is wrong
 * with `data`); an error when it cannot be read. */
static int data_header(const char *dir, bool *have, uint32_t *dim, uint8_t *dist, nerr *e) {
    *have = false;
    size_t n = strlen(dir);
    char *path = nidus__malloc(n + 6);
    if (!path) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    memcpy(path, dir, n);
    memcpy(path + n, "/data", 6);
    int fd = nidus__io_open(path, O_RDONLY, 0), rc = NIDUS_OK;
    if (fd == -ENOENT) {
        nidus__free(path);
        return NIDUS_OK;
    }
    if (fd < 0) rc = nidus__err_sys(e, -fd, "failed to open data file at %s", path);
    uint8_t h[NIDUS__HEADER_LEN];
    uint64_t size = 0;
    int r;
    if (!rc && (r = nidus__io_fsize(fd, &size)) < 0) rc = nidus__err_sys(e, -r, "failed to stat data file at %s", path);
    if (!rc && size >= sizeof h) {
        if ((r = nidus__io_pread_full(fd, h, sizeof h, 0)) < 0)
            rc = nidus__err_sys(e, -r, "failed to read data file header at %s", path);
        else if (memcmp(h, "NIDUS\0", 6) == 0) {
            *have = true;
            *dim = nidus__get_le32(h + 8);
            *dist = h[12];
        }
    }
    if (fd >= 0) nidus__io_close(fd);
    nidus__free(path);
    return rc;
}

int nidus__foreign_check_reader(const char *dir, nerr *e) {
    listing l;
    int rc = list_dir(dir, &l, e);
    if (rc || (!l.manifest && !l.nseg)) return rc;
    if (!l.manifest) {
        seg_names s = {0};
        (void)nidus__io_list(dir, keep_seg, &s);
        return nidus__err(e, NIDUS_EVERSION, 0,
                          "store at %s has segment files (%s%s%s%s) but no manifest, which nidus 0.18 or later "
                          "writes: rows may live in them, and this library does not read segments",
                          dir, s.v[0], s.n > 1 ? ", " : "", s.n > 1 ? s.v[1] : "", l.nseg > 2 ? ", …" : "");
    }
    size_t n = strlen(dir);
    char *path = nidus__malloc(n + 10);
    if (!path) return nidus__err(e, NIDUS_ENOMEM, 0, "out of memory");
    memcpy(path, dir, n);
    memcpy(path + n, "/manifest", 10);
    uint8_t *buf = NULL;
    size_t len = 0;
    nmanifest m;
    if ((rc = read_manifest(path, &buf, &len, e)) == NIDUS_OK) {
        rc = nidus__manifest_parse(buf, len, &m, e);
        nidus__free(buf);
        if (rc == NIDUS_ECORRUPT || rc == NIDUS_EVERSION) {
            char why[sizeof e->msg];
            snprintf(why, sizeof why, "%s", e->msg);
            rc = nidus__err(e, rc, 0, "manifest %s is %s: %s", path,
                            rc == NIDUS_ECORRUPT ? "corrupt" : "of a later nidus", why);
        }
    }
    uint32_t dim = 0;
    uint8_t dist = 0;
    bool have = false;
    if (rc == NIDUS_OK && m.nsegments > 1)
        rc = nidus__err(e, NIDUS_EVERSION, 0,
                        "store at %s keeps rows in sealed segments (%s; its manifest names %" PRIu64
                        " segments), which nidus 0.18 or later writes: this library does not read segments, and "
                        "refuses the store rather than miss those rows",
                        dir, m.extra, m.nsegments);
    else if (rc == NIDUS_OK && (rc = data_header(dir, &have, &dim, &dist, e)) == NIDUS_OK && have) {
        if (m.dimension != dim)
            rc = nidus__err(e, NIDUS_ECORRUPT, 0,
                            "manifest %s says dimension %" PRIu64 ", the data header %" PRIu32 ": corrupt store", path,
                            m.dimension, dim);
        else if (m.distance != dist && dist <= 2) /* (a byte 12 above 2 is the header's own refusal) */
            rc = nidus__err(e, NIDUS_ECORRUPT, 0,
                            "manifest %s says distance %s, the data header (byte 12 = %u) %s: corrupt store", path,
                            nidus_distance_name((int)m.distance), dist,
                            nidus_distance_name((int)dist) ? nidus_distance_name((int)dist) : "an unknown one");
    }
    nidus__free(path);
    return rc;
}

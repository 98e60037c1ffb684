/*
 * import.c — `nidus import COLLECTION FILE`: bulk vectors from .npy, .fvecs, raw
 * little-endian f32 or NDJSON records, with ids and attrs from side files.
 *
 * Everything is checked before the first write (shape, finite values, ids, every
 * attrs line), so bad input leaves the store untouched; only an I/O failure midway
 * can leave the batches already written. Binary files are mapped, not read, so a
 * 130 MB matrix costs no copy beyond one batch.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

enum { T_NPY, T_FVECS, T_RAW, T_NDJSON };

typedef struct source {
    int type;
    const char *path;
    const unsigned char *map; /* binary types */
    size_t size;
    size_t off, stride; /* row i's values start at off + i * stride */
    size_t elem;        /* bytes per value: 4 (float32), or 8 (a float64 .npy) */
    size_t rows;
    uint32_t dim;
    char *text; /* ndjson */
    char **lines;
} source;

static int type_of(const cli_opts *o, const char *path) {
    if (o->type) {
        if (!strcmp(o->type, "npy")) return T_NPY;
        if (!strcmp(o->type, "fvecs")) return T_FVECS;
        if (!strcmp(o->type, "ndjson")) return T_NDJSON;
        return T_RAW;
    }
    const char *dot = strrchr(path, '.');
    char ext[16] = "";
    if (dot && strlen(dot) < sizeof ext)
        for (size_t i = 0; dot[i]; i++) ext[i] = (char)tolower((unsigned char)dot[i]);
    if (!strcmp(ext, ".npy")) return T_NPY;
    if (!strcmp(ext, ".fvecs")) return T_FVECS;
    if (!strcmp(ext, ".ndjson") || !strcmp(ext, ".jsonl")) return T_NDJSON;
    return T_RAW;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef32(const unsigned char *p) {
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Value k of a row as float (a float64 .npy is rounded to float32). */
static float value(const source *s, const unsigned char *row, uint32_t k) {
    if (s->elem == 4) return lef32(row + 4 * k);
    uint64_t u = (uint64_t)le32(row + 8 * k) | (uint64_t)le32(row + 8 * k + 4) << 32;
    double d;
    memcpy(&d, &u, sizeof d);
    return (float)d;
}

/* The dimension in an existing store's data header (0 if none): raw files carry
 * none, so `import` of raw f32 into an existing store needs no --dim. */
static uint32_t store_dim(const char *dir) {
    char *p = xmalloc(strlen(dir) + 8);
    sprintf(p, "%s/data", dir);
    FILE *f = fopen(p, "rb");
    free(p);
    unsigned char h[12];
    uint32_t d = 0;
    if (f && fread(h, 1, 12, f) == 12 && memcmp(h, "NIDUS\0", 6) == 0) d = le32(h + 8);
    if (f) fclose(f);
    return d;
}

/* Value of 'key' in a .npy header dict, e.g. "'<f4'" or "(3, 4)". */
static const char *npy_field(const char *hdr, const char *key, char *out, size_t cap) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s':", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    size_t n = 0;
    char close = *p == '(' ? ')' : *p == '\'' ? '\'' : 0;
    if (close) out[n++] = *p++;
    while (*p && n + 1 < cap) {
        if (close ? *p == close : (*p == ',' || *p == '}')) break;
        out[n++] = *p++;
    }
    if (close && *p == close && n + 1 < cap) out[n++] = close;
    out[n] = 0;
    return out;
}

static void open_npy(source *s) {
    const unsigned char *m = s->map;
    if (s->size < 10 || memcmp(m, "\x93NUMPY", 6) != 0) cli_fail("%s: not a .npy file (bad magic)", s->path);
    size_t hlen, hstart;
    if (m[6] == 1) hlen = (size_t)m[8] | (size_t)m[9] << 8, hstart = 10;
    else if (m[6] == 2 || m[6] == 3) {
        if (s->size < 12) cli_fail("%s: truncated .npy header", s->path);
        hlen = le32(m + 8), hstart = 12;
    } else cli_fail("%s: unsupported .npy version %u.%u", s->path, m[6], m[7]);
    if (hlen > s->size - hstart || hlen > 1 << 20) cli_fail("%s: truncated .npy header", s->path);
    char *hdr = xmalloc(hlen + 1);
    memcpy(hdr, m + hstart, hlen);
    hdr[hlen] = 0;
    char descr[64], fortran[64], shape[128];
    if (!npy_field(hdr, "descr", descr, sizeof descr) || !npy_field(hdr, "fortran_order", fortran, sizeof fortran) ||
        !npy_field(hdr, "shape", shape, sizeof shape))
        cli_fail("%s: .npy header lacks descr, fortran_order or shape", s->path);
    /* numpy's default float64 is accepted too, rounded to float32. */
    if (strcmp(descr, "'<f4'") == 0) s->elem = 4;
    else if (strcmp(descr, "'<f8'") == 0) s->elem = 8;
    else cli_fail("%s: dtype %s is not supported: want little-endian float32 ('<f4') or float64 ('<f8')", s->path, descr);
    if (strcmp(fortran, "False") != 0) cli_fail("%s: Fortran-order arrays are not supported: save C order", s->path);
    unsigned long long a = 0, b = 0;
    char tail;
    int got = sscanf(shape, "(%llu, %llu%c", &a, &b, &tail);
    unsigned long long dim;
    if (got == 3 && tail == ')') {
        s->rows = (size_t)a;
        dim = b;
    } else if (sscanf(shape, "(%llu,%c", &a, &tail) == 2 && tail == ')') {
        s->rows = 1; /* a 1-D array is one vector */
        dim = a;
    } else cli_fail("%s: shape %s: want (rows, dim)", s->path, shape);
    free(hdr);
    if (dim == 0 || dim > UINT32_MAX) cli_fail("%s: shape %s: bad dimension", s->path, shape);
    s->dim = (uint32_t)dim;
    s->off = hstart + hlen;
    s->stride = (size_t)s->dim * s->elem;
    if ((s->size - s->off) / s->stride != s->rows || (s->size - s->off) % s->stride)
        cli_fail("%s: shape %s wants %llu bytes of data, the file has %zu", s->path, shape,
                 (unsigned long long)s->rows * s->stride, s->size - s->off);
}

static void open_fvecs(source *s) {
    if (s->size == 0) return;
    if (s->size < 4) cli_fail("%s: truncated .fvecs file", s->path);
    uint32_t d = le32(s->map);
    if (d == 0 || d > (1u << 24)) cli_fail("%s: first row claims dimension %u", s->path, d);
    s->dim = d;
    s->stride = 4 + (size_t)d * 4;
    s->off = 4;
    if (s->size % s->stride) cli_fail("%s: %zu bytes is not a whole number of %u-d rows", s->path, s->size, d);
    s->rows = s->size / s->stride;
    for (size_t i = 0; i < s->rows; i++)
        if (le32(s->map + i * s->stride) != d)
            cli_fail("%s: row %zu has dimension %u, row 0 has %u", s->path, i, le32(s->map + i * s->stride), d);
}

static void open_raw(source *s, const cli_opts *o) {
    s->dim = o->dim ? o->dim : store_dim(o->dir);
    if (!s->dim) cli_fail("%s: raw f32 needs --dim N (the file does not say)", s->path);
    s->stride = (size_t)s->dim * 4;
    if (s->size % s->stride)
        cli_fail("%s: %zu bytes is not a whole number of %u-d float32 rows", s->path, s->size, s->dim);
    s->rows = s->size / s->stride;
}

/* Check an NDJSON records file whole; blank lines are skipped. */
static void open_ndjson(source *s) {
    size_t len;
    s->text = cli_read_all(s->path, &len);
    size_t n = cli_lines(s->text, len, &s->lines);
    char err[CJ_ERR];
    for (size_t i = 0; i < n; i++) {
        if (!*s->lines[i]) continue;
        json_t *j = cj_try_parse(s->lines[i], strlen(s->lines[i]), err);
        if (!j) cli_fail("%s:%zu: %s", s->path, i + 1, err);
        arena a = {0};
        nidus_record r;
        if (!cj_record(j, &r, &a, err)) cli_fail("%s:%zu: %s", s->path, i + 1, err);
        if (s->rows == 0) s->dim = (uint32_t)r.dim;
        else if (r.dim != s->dim)
            cli_fail("%s:%zu: vector has %zu values, the first record has %u", s->path, i + 1, r.dim, s->dim);
        arena_free(&a);
        json_decref(j);
        s->lines[s->rows++] = s->lines[i]; /* keep only record lines */
    }
}

static void check_finite(const source *s) {
    for (size_t i = 0; i < s->rows; i++) {
        const unsigned char *row = s->map + s->off + i * s->stride;
        for (uint32_t k = 0; k < s->dim; k++)
            if (!isfinite(value(s, row, k)))
                cli_fail("%s: row %zu, value %u is not finite%s", s->path, i, k, s->elem == 8 ? " as a float32" : "");
    }
}

/* Side files: one line per row. */
static char **side_lines(const char *path, size_t rows, const char *what, char **keep) {
    size_t len;
    *keep = cli_read_all(path, &len);
    char **lines;
    size_t n = cli_lines(*keep, len, &lines);
    if (n != rows) cli_fail("%s: %zu lines of %s for %zu vectors", path, n, what, rows);
    return lines;
}

int cmd_import(cli_opts *o) {
    if (o->npos != 2) cli_usage("import: expected COLLECTION FILE (see nidus import --help)");
    const char *coll = o->pos[0];
    source s = {.path = o->pos[1], .elem = 4};
    s.type = type_of(o, s.path);
    if (s.type == T_NDJSON) {
        if (o->ids_file || o->attrs_file) cli_usage("import: --ids and --attrs apply to npy, fvecs and raw files");
        open_ndjson(&s);
    } else {
        s.map = cli_map(s.path, &s.size);
        if (s.type == T_NPY) open_npy(&s);
        else if (s.type == T_FVECS) open_fvecs(&s);
        else open_raw(&s, o);
        check_finite(&s);
    }
    if (o->dim && s.rows && s.dim != o->dim) cli_fail("%s: vectors have dimension %u, --dim is %u", s.path, s.dim, o->dim);
    char *ids_text = NULL, *attrs_text = NULL, **ids = NULL, **attrs = NULL;
    char err[CJ_ERR];
    if (o->ids_file) {
        ids = side_lines(o->ids_file, s.rows, "ids", &ids_text);
        for (size_t i = 0; i < s.rows; i++)
            if (!cli_utf8_valid(ids[i], strlen(ids[i]))) cli_fail("%s:%zu: id is not valid UTF-8", o->ids_file, i + 1);
    }
    if (o->attrs_file) {
        attrs = side_lines(o->attrs_file, s.rows, "attrs", &attrs_text);
        for (size_t i = 0; i < s.rows; i++) {
            json_t *j = cj_try_parse(attrs[i], strlen(attrs[i]), err);
            if (!j) cli_fail("%s:%zu: %s", o->attrs_file, i + 1, err);
            arena a = {0};
            const nidus_attr *at;
            size_t nat;
            if (!cj_attrs(j, &at, &nat, &a, err)) cli_fail("%s:%zu: %s", o->attrs_file, i + 1, err);
            arena_free(&a);
            json_decref(j);
        }
    }

    nidus_db *db = cli_open(o, OPEN_CREATE, s.dim);
    if (s.rows && nidus_dimension(db) != s.dim)
        cli_fail("%s: vectors have dimension %u, the store has %u", s.path, s.dim, nidus_dimension(db));
    size_t batch = o->batch ? o->batch : 8192;
    nidus_record *recs = xcalloc(batch, sizeof *recs);
    json_t **held = xcalloc(batch * 2, sizeof *held);
    float *vecs = s.type == T_NDJSON ? NULL : xmalloc(batch * (size_t)s.dim * sizeof *vecs);
    char label[64];
    snprintf(label, sizeof label, "import %.40s", coll);
    cli_progress p;
    cli_progress_start(&p, o, label, s.rows);
    double t0 = cli_now();
    for (size_t start = 0; start < s.rows; start += batch) {
        size_t n = s.rows - start < batch ? s.rows - start : batch, nheld = 0;
        arena a = {0};
        for (size_t i = 0; i < n; i++) {
            size_t row = start + i;
            nidus_record *r = &recs[i];
            if (s.type == T_NDJSON) {
                json_t *j = held[nheld++] = cj_try_parse(s.lines[row], strlen(s.lines[row]), err);
                if (!j || !cj_record(j, r, &a, err)) cli_fail("%s: record %zu: %s", s.path, row, err);
                continue;
            }
            float *v = vecs + i * s.dim;
            const unsigned char *src = s.map + s.off + row * s.stride;
            for (uint32_t k = 0; k < s.dim; k++) v[k] = value(&s, src, k);
            memset(r, 0, sizeof *r);
            r->vector = v;
            r->dim = s.dim;
            if (ids) r->id = ids[row];
            else {
                char *id = arena_alloc(&a, 24);
                snprintf(id, 24, "%zu", row);
                r->id = id;
            }
            if (attrs) {
                json_t *j = held[nheld++] = cj_try_parse(attrs[row], strlen(attrs[row]), err);
                if (!j || !cj_attrs(j, &r->attrs, &r->n_attrs, &a, err))
                    cli_fail("%s:%zu: %s", o->attrs_file, row + 1, err);
            }
        }
        int rc = nidus_upsert(db, coll, recs, n);
        if (rc) {
            cli_progress_end(&p);
            char what[128];
            snprintf(what, sizeof what, "import: batch at record %zu (%zu records already written)", start, start);
            cli_fail_db(db, rc, what);
        }
        for (size_t i = 0; i < nheld; i++) json_decref(held[i]);
        arena_free(&a);
        cli_progress_update(&p, start + n);
    }
    if (s.rows == 0) {
        /* Like nidus_upsert of nothing: the collection exists afterwards. */
        int rc = nidus_create_collection(db, coll);
        if (rc) cli_fail_db(db, rc, "import");
    }
    double el = cli_now() - t0;
    cli_progress_end(&p);
    if (!o->quiet)
        fprintf(stderr, "import: %zu records into \"%s\" (dim %u) in %.2f s, %.0f records/s\n", s.rows, coll, s.dim,
                el, el > 0 ? (double)s.rows / el : 0.0);
    json_t *out = json_object();
    json_object_set_new(out, "imported", json_integer((json_int_t)s.rows));
    cj_print(stdout, out, true);
    free(recs);
    free(held);
    free(vecs);
    free(ids);
    free(ids_text);
    free(attrs);
    free(attrs_text);
    free(s.lines);
    free(s.text);
    cli_unmap(s.map, s.size);
    return 0;
}

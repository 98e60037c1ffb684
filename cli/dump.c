/*
 * dump.c — `nidus dump` and `nidus load`: the portable NDJSON backup.
 *
 *   {"format":"nidus-dump","version":1,"dimension":3}
 *   {"collection":"code","meta":{"hwm":"42"}}           one per collection, sorted
 *   {"collection":"code","id":"a","vector":[...],"attrs":{...}}   sorted by id
 *
 * A euclidean or dot store's header also says "distance": "Euclidean" or
 * "DotProduct" (nidus 0.80's names); a cosine store's says nothing, as before, and
 * a dump without it is cosine. Vectors are the stored bits (normalized in a cosine
 * store, raw otherwise), printed exactly. `load` writes them back with
 * NIDUS_UPSERT_NORMALIZED, which keeps the bits (normalizing a unit vector again
 * in f32 can change its last bits), so dump -> load -> dump is identical, and
 * creates the store with the dump's distance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

/* A stored vector: all zeros, or unit length (the library's own tolerance). */
static bool is_stored_vector(const float *v, uint32_t n) {
    double sq = 0;
    for (uint32_t i = 0; i < n; i++) sq += (double)v[i] * v[i];
    return sq == 0 || fabs(sqrt(sq) - 1.0) <= 1e-4;
}

#define DUMP_FORMAT "nidus-dump"
#define DUMP_VERSION 1

int cmd_dump(cli_opts *o) {
    if (o->npos) cli_usage("dump: takes no arguments (redirect stdout to a file)");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    uint32_t dim = nidus_dimension(db);
    nidus_names *names;
    int rc = nidus_collections(db, &names);
    if (rc) cli_fail_db(db, rc, "dump");
    json_t *h = json_object();
    json_object_set_new(h, "format", json_string(DUMP_FORMAT));
    json_object_set_new(h, "version", json_integer(DUMP_VERSION));
    json_object_set_new(h, "dimension", json_integer(dim));
    nidus_config cfg;
    nidus_config_init(&cfg, 0);
    if ((rc = nidus_get_config(db, &cfg))) cli_fail_db(db, rc, "dump");
    if (cfg.distance != NIDUS_DISTANCE_COSINE)
        json_object_set_new(h, "distance", json_string(nidus_distance_name(cfg.distance)));
    cj_print(stdout, h, false);
    for (size_t c = 0; c < names->count; c++) {
        nidus_meta *m;
        if ((rc = nidus_get_meta(db, names->names[c], &m))) cli_fail_db(db, rc, "dump");
        json_t *l = json_object(), *mo = json_object();
        json_object_set_new(l, "collection", cj_str(names->names[c]));
        for (size_t i = 0; i < m->count; i++) json_object_set_new(mo, m->entries[i].key, cj_str(m->entries[i].value));
        json_object_set_new(l, "meta", mo);
        cj_print(stdout, l, false);
        nidus_free(m);
    }
    for (size_t c = 0; c < names->count; c++) {
        nidus_docs *docs;
        if ((rc = nidus_get_all(db, names->names[c], &docs))) cli_fail_db(db, rc, "dump");
        for (size_t i = 0; i < docs->count; i++) {
            const nidus_doc *d = &docs->docs[i];
            json_t *l = json_object();
            json_object_set_new(l, "collection", cj_str(d->collection));
            json_object_set_new(l, "id", cj_str(d->id));
            json_object_set_new(l, "vector", cj_vector_out(d->vector, dim));
            json_object_set_new(l, "attrs", cj_attrs_out(d->attrs, d->n_attrs));
            cj_print(stdout, l, false);
        }
        nidus_free(docs);
    }
    nidus_free(names);
    return 0;
}

/* One parsed dump line. */
typedef struct dline {
    json_t *j;
    const char *coll;
    bool is_record;
    nidus_record rec;        /* is_record */
    nidus_meta_entry *meta;  /* collection line */
    size_t nmeta;
} dline;

/* Parse and check line i; false with err set on a problem. */
static bool parse_line(const char *text, uint32_t dim, dline *d, arena *a, char *err) {
    memset(d, 0, sizeof *d);
    if (!(d->j = cj_try_parse(text, strlen(text), err))) return false;
    if (!json_is_object(d->j)) return snprintf(err, CJ_ERR, "want a JSON object"), false;
    if (!(d->coll = cj_cstr(json_object_get(d->j, "collection"), "\"collection\"", err))) return false;
    if (json_object_get(d->j, "id")) {
        d->is_record = true;
        if (!cj_record(d->j, &d->rec, a, err)) return false;
        if (d->rec.dim != dim)
            return snprintf(err, CJ_ERR, "vector has %zu values, the dump's dimension is %u", d->rec.dim, dim), false;
        return true;
    }
    json_t *m = json_object_get(d->j, "meta");
    if (json_object_size(d->j) != (m ? 2u : 1u)) return snprintf(err, CJ_ERR, "a collection line has only \"collection\" and \"meta\""), false;
    if (m && !json_is_object(m)) return snprintf(err, CJ_ERR, "\"meta\" must be an object of strings"), false;
    d->nmeta = m ? json_object_size(m) : 0;
    d->meta = arena_alloc(a, d->nmeta * sizeof *d->meta);
    size_t i = 0;
    const char *key;
    json_t *v;
    if (m) json_object_foreach(m, key, v) {
            if (!(d->meta[i].value = cj_cstr(v, "a meta value", err))) return false;
            d->meta[i++].key = key;
        }
    return true;
}

static uint32_t parse_header(const char *line, const char *src, int *distance) {
    char err[CJ_ERR];
    json_t *h = cj_try_parse(line, strlen(line), err);
    if (!h) cli_fail("%s:1: %s", src, err);
    json_t *f = json_object_get(h, "format"), *v = json_object_get(h, "version"), *d = json_object_get(h, "dimension");
    if (!json_is_string(f) || strcmp(json_string_value(f), DUMP_FORMAT) != 0)
        cli_fail("%s:1: not a nidus dump (the header line lacks \"format\": \"%s\")", src, DUMP_FORMAT);
    if (!json_is_integer(v) || json_integer_value(v) != DUMP_VERSION)
        cli_fail("%s:1: unsupported dump version (this nidus reads version %d)", src, DUMP_VERSION);
    if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > UINT32_MAX)
        cli_fail("%s:1: bad \"dimension\"", src);
    uint32_t dim = (uint32_t)json_integer_value(d);
    json_t *m = json_object_get(h, "distance");
    *distance = NIDUS_DISTANCE_COSINE;
    if (m) {
        int k = NIDUS_DISTANCE_COSINE;
        while (json_is_string(m) && nidus_distance_name(k) && strcmp(json_string_value(m), nidus_distance_name(k)))
            k++;
        if (!json_is_string(m) || !nidus_distance_name(k))
            cli_fail("%s:1: bad \"distance\" (Cosine, Euclidean or DotProduct)", src);
        *distance = k;
    }
    json_decref(h);
    return dim;
}

int cmd_load(cli_opts *o) {
    if (o->npos > 1) cli_usage("load: expected at most one FILE (default: stdin)");
    const char *path = o->npos ? o->pos[0] : NULL, *src = path ? path : "<stdin>";
    size_t len;
    char *text = cli_read_all(path, &len);
    char **lines;
    size_t nl = cli_lines(text, len, &lines);
    if (nl == 0) cli_fail("%s: empty input, not a nidus dump", src);
    int distance;
    uint32_t dim = parse_header(lines[0], src, &distance);
    if (o->dim && o->dim != dim) cli_fail("--dim %u does not match the dump's dimension %u", o->dim, dim);
    o->distance = distance; /* the store gets (or must have) the dump's */

    /* Pass 1: check every line before touching the store. */
    char err[CJ_ERR];
    size_t nrec = 0, ncoll = 0;
    for (size_t i = 1; i < nl; i++) {
        if (!*lines[i]) continue;
        arena a = {0};
        dline d;
        if (!parse_line(lines[i], dim, &d, &a, err)) cli_fail("%s:%zu: %s", src, i + 1, err);
        if (d.is_record) nrec++;
        else ncoll++;
        json_decref(d.j);
        arena_free(&a);
    }

    /* Only into a new or empty store: a load is a restore, not a merge. */
    if (cli_store_exists(o->dir)) {
        nidus_db *db = cli_open(o, OPEN_WRITE, dim);
        nidus_names *names;
        int rc = nidus_collections(db, &names);
        if (rc) cli_fail_db(db, rc, "load");
        size_t have = names->count;
        nidus_free(names);
        if (have) cli_fail("load: the store in '%s' is not empty (%zu collections); load into a new directory", o->dir, have);
        if (nidus_dimension(db) != dim)
            cli_fail("load: the store in '%s' has dimension %u, the dump %u", o->dir, nidus_dimension(db), dim);
        cli_close(db);
    }
    nidus_db *db = cli_open(o, OPEN_CREATE, dim);

    /* Pass 2: write, batching consecutive records of one collection. */
    size_t batch = o->batch ? o->batch : 8192, n = 0, inexact = 0, done = 0;
    nidus_record *recs = xcalloc(batch, sizeof *recs);
    json_t **held = xcalloc(batch, sizeof *held);
    const char *bcoll = NULL;
    arena ba = {0}; /* the pending batch's conversions */
    cli_progress p;
    cli_progress_start(&p, o, "load", nrec);
    int rc;
    for (size_t i = 1; i <= nl; i++) {
        dline d = {0};
        arena la = {0}; /* this line's */
        if (i < nl) {
            if (!*lines[i]) continue;
            if (!parse_line(lines[i], dim, &d, &la, err)) cli_fail("%s:%zu: %s", src, i + 1, err);
        }
        bool edited = i < nl && d.is_record && distance == NIDUS_DISTANCE_COSINE &&
                      !is_stored_vector(d.rec.vector, dim); /* raw metrics store any vector as is */
        if (n > 0 && (i == nl || !d.is_record || edited || n == batch || strcmp(d.coll, bcoll) != 0)) {
            if ((rc = nidus_upsert_ex(db, bcoll, recs, n, NIDUS_UPSERT_NORMALIZED))) cli_fail_db(db, rc, "load");
            done += n;
            cli_progress_update(&p, done);
            for (size_t k = 0; k < n; k++) json_decref(held[k]);
            arena_free(&ba);
            n = 0;
        }
        if (i == nl) break;
        if (!d.is_record) {
            if ((rc = nidus_create_collection(db, d.coll))) cli_fail_db(db, rc, "load");
            if (d.nmeta && (rc = nidus_set_meta(db, d.coll, d.meta, d.nmeta))) cli_fail_db(db, rc, "load");
            json_decref(d.j);
            arena_free(&la);
            continue;
        }
        if (edited) {
            /* Not a stored vector (a hand-written or edited dump): normalized, alone. */
            if ((rc = nidus_upsert(db, d.coll, &d.rec, 1))) cli_fail_db(db, rc, "load");
            inexact++;
            cli_progress_update(&p, ++done);
            json_decref(d.j);
            arena_free(&la);
            continue;
        }
        arena_join(&ba, &la);
        bcoll = d.coll;
        held[n] = d.j;
        recs[n++] = d.rec;
    }
    cli_progress_end(&p);
    nidus_names *names;
    if ((rc = nidus_collections(db, &names))) cli_fail_db(db, rc, "load");
    ncoll = names->count; /* records may create collections no line declared */
    nidus_free(names);
    if (!o->quiet) {
        fprintf(stderr, "load: %zu record%s in %zu collection%s (dimension %u)\n", nrec, nrec == 1 ? "" : "s", ncoll,
                ncoll == 1 ? "" : "s", dim);
        if (inexact)
            fprintf(stderr,
                    "load: %zu vector%s not of unit length (not a stored vector): stored normalized\n",
                    inexact, inexact == 1 ? "" : "s");
    }
    json_t *out = json_object();
    json_object_set_new(out, "loaded", json_integer((json_int_t)nrec));
    cj_print(stdout, out, true);
    free(recs);
    free(held);
    free(lines);
    free(text);
    return 0;
}

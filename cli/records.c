/*
 * records.c — the record commands: upsert, get, delete, search.
 *
 * Every input (records, query, filter) is parsed and checked before the store is
 * opened, so bad input never creates or touches a store.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "table.h"

/* Parse --where (NULL: no filter, or [] which matches all) and have the library
 * validate it (regexes, nesting depth, ...) on an empty in-memory store, so a bad
 * filter fails before the real store is opened (and a write command takes no lock). */
const nidus_filter *parse_where(const cli_opts *o, json_t **keep, arena *a) {
    *keep = NULL;
    if (!o->where) return NULL;
    char err[CJ_ERR];
    json_t *j = cj_try_parse(o->where, strlen(o->where), err);
    if (!j) cli_fail("invalid filter: %s", err);
    const nidus_filter *f;
    if (!cj_where(j, &f, a, err)) cli_fail("%s", err);
    *keep = j;
    if (!f) return NULL;
    nidus_db *mem = NULL;
    int rc = nidus_open_memory(1, &mem);
    if (rc) cli_fail_db(mem, rc, "--where");
    nidus_search_opts so;
    nidus_search_opts_init(&so);
    so.top_k = 0;
    so.where = f;
    const float q = 1.0f;
    nidus_hits *h = NULL;
    rc = nidus_search(mem, &q, 1, &so, &h);
    nidus_free(h);
    if (rc) {
        char msg[1024];
        nidus_errmsg_copy(mem, msg, sizeof msg);
        nidus_close(mem);
        if (strncmp(msg, "invalid filter:", 15) == 0) cli_fail("%s", msg);
        cli_fail("--where: %s", msg);
    }
    nidus_close(mem);
    return f;
}

int cmd_upsert(cli_opts *o) {
    if (o->npos != 1) cli_usage("upsert: expected one collection name (see nidus upsert --help)");
    const char *src = o->file ? o->file : "<stdin>";
    size_t len;
    char *text = cli_read_all(o->file, &len);
    json_t *j = cj_parse(text, len, src);
    free(text);
    if (!json_is_array(j)) cli_fail("%s: want a JSON array of records [{\"id\", \"vector\", \"attrs\"}]", src);
    size_t n = json_array_size(j);
    arena a = {0};
    nidus_record *recs = xcalloc(n, sizeof *recs);
    char err[CJ_ERR];
    for (size_t i = 0; i < n; i++) {
        if (!cj_record(json_array_get(j, i), &recs[i], &a, err)) {
            const char *id = json_string_value(json_object_get(json_array_get(j, i), "id"));
            if (id) cli_fail("%s: record %zu (id \"%s\"): %s", src, i, id, err);
            cli_fail("%s: record %zu: %s", src, i, err);
        }
    }
    /* A new store takes --dim; refuse mismatched records before creating it. */
    if (!cli_store_exists(o->dir) && o->dim)
        for (size_t i = 0; i < n; i++)
            if (recs[i].dim != o->dim)
                cli_fail("%s: record %zu (id \"%s\"): vector has %zu values, --dim is %u", src, i, recs[i].id,
                         recs[i].dim, o->dim);
    nidus_db *db = cli_open(o, OPEN_CREATE, 0);
    for (size_t i = 0; i < n; i++)
        if (recs[i].dim != nidus_dimension(db))
            cli_fail("%s: record %zu (id \"%s\"): vector has %zu values, the store's dimension is %u", src, i,
                     recs[i].id, recs[i].dim, nidus_dimension(db));
    int rc = nidus_upsert(db, o->pos[0], recs, n);
    if (rc) cli_fail_db(db, rc, "upsert");
    json_t *out = json_object();
    json_object_set_new(out, "upserted", json_integer((json_int_t)n));
    cj_print(stdout, out, true);
    free(recs);
    arena_free(&a);
    json_decref(j);
    return 0;
}

/* "[0.2182, -0.4364, 0.8729, …]" */
static void vector_brief(char *buf, size_t cap, const float *v, uint32_t dim) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (uint32_t i = 0; i < dim && i < 3; i++) n += (size_t)snprintf(buf + n, cap - n, "%s%.4f", i ? ", " : "", (double)v[i]);
    if (dim > 3) snprintf(buf + n, cap - n, ", …]");
    else snprintf(buf + n, cap - n, "]");
}

int cmd_get(cli_opts *o) {
    if (o->npos < 1) cli_usage("get: expected a collection name (see nidus get --help)");
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_docs *docs;
    int rc = o->npos == 1 ? nidus_get_all(db, o->pos[0], &docs)
                          : nidus_get(db, o->pos[0], o->pos + 1, o->npos - 1, &docs);
    if (rc) cli_fail_db(db, rc, "get");
    uint32_t dim = nidus_dimension(db);
    if (o->table) {
        const char *h[] = {"id", "vector", "attrs"};
        table *t = table_new(3, h, "lll");
        for (size_t i = 0; i < docs->count; i++) {
            const nidus_doc *d = &docs->docs[i];
            char vb[128];
            vector_brief(vb, sizeof vb, d->vector, dim);
            char *at = table_attrs_text(d->attrs, d->n_attrs);
            const char *row[] = {d->id, vb, at};
            table_row(t, row);
            free(at);
        }
        table_print(t, stdout);
    } else {
        cj_stream s;
        cj_stream_open(&s, stdout);
        for (size_t i = 0; i < docs->count; i++) {
            const nidus_doc *d = &docs->docs[i];
            json_t *r = json_object();
            json_object_set_new(r, "id", cj_str(d->id));
            json_object_set_new(r, "vector", cj_vector_out(d->vector, dim));
            json_object_set_new(r, "attrs", cj_attrs_out(d->attrs, d->n_attrs));
            cj_stream_item(&s, r);
        }
        cj_stream_close(&s);
    }
    nidus_free(docs);
    return 0;
}

int cmd_delete(cli_opts *o) {
    if (o->npos < 1) cli_usage("delete: expected a collection name (see nidus delete --help)");
    if (o->where && o->npos > 1) cli_usage("delete: give ids or --where, not both");
    if (!o->where && o->npos < 2) cli_usage("delete: give the ids to delete, or --where FILTER");
    arena a = {0};
    json_t *keep;
    const nidus_filter *f = parse_where(o, &keep, &a);
    nidus_db *db = cli_open(o, OPEN_WRITE, 0);
    size_t deleted = 0;
    int rc = o->where ? nidus_delete_where_filter(db, o->pos[0], f, &deleted)
                      : nidus_delete(db, o->pos[0], o->pos + 1, o->npos - 1, &deleted);
    if (rc) cli_fail_db(db, rc, "delete");
    json_t *out = json_object();
    json_object_set_new(out, "deleted", json_integer((json_int_t)deleted));
    cj_print(stdout, out, true);
    json_decref(keep);
    arena_free(&a);
    return 0;
}

/* --include-attr / --exclude-attr into the library's projection fields (both
 * given: nidus's refusal, an error rather than a precedence rule, exit 1). */
void cli_projection(const cli_opts *o, const char *const **inc, size_t *ninc, const char *const **exc, size_t *nexc) {
    if (o->n_include && o->n_exclude) cli_fail("--include-attr and --exclude-attr are mutually exclusive");
    *inc = o->n_include ? o->include : NULL;
    *ninc = o->n_include;
    *exc = o->n_exclude ? o->exclude : NULL;
    *nexc = o->n_exclude;
}

void cli_hits_begin(cli_hits_out *w, const cli_opts *o, bool score) {
    w->table = NULL;
    w->score = score;
    w->n = 0;
    if (o->table) {
        const char *h4[] = {"collection", "id", "score", "attrs"};
        const char *h3[] = {"collection", "id", "attrs"};
        w->table = score ? table_new(4, h4, "llrl") : table_new(3, h3, "lll");
    } else {
        cj_stream_open(&w->s, stdout);
    }
}

/* One hit, nidus's HitDto: {"collection", "id", "score", "attrs"} (list's score is 0). */
void cli_hits_item(cli_hits_out *w, const char *collection, const char *id, float score, const nidus_attr *attrs,
                   size_t n_attrs) {
    w->n++;
    if (w->table) {
        char sc[32];
        snprintf(sc, sizeof sc, "%.4f", (double)score);
        char *at = table_attrs_text(attrs, n_attrs);
        const char *row4[] = {collection, id, sc, at};
        const char *row3[] = {collection, id, at};
        table_row(w->table, w->score ? row4 : row3);
        free(at);
        return;
    }
    json_t *r = json_object();
    json_object_set_new(r, "collection", cj_str(collection));
    json_object_set_new(r, "id", cj_str(id));
    json_object_set_new(r, "score", cj_f32(score));
    json_object_set_new(r, "attrs", cj_attrs_out(attrs, n_attrs));
    cj_stream_item(&w->s, r);
}

void cli_hits_end(cli_hits_out *w) {
    if (w->table) table_print(w->table, stdout);
    else cj_stream_close(&w->s);
}

static void print_hits(const cli_opts *o, const nidus_hits *hits) {
    cli_hits_out w;
    cli_hits_begin(&w, o, true);
    for (size_t i = 0; i < hits->count; i++) {
        const nidus_hit *h = &hits->hits[i];
        cli_hits_item(&w, h->collection, h->id, h->score, h->attrs, h->n_attrs);
    }
    cli_hits_end(&w);
}

/* The options search and similar share. */
static void query_opts(const cli_opts *o, const nidus_filter *f, nidus_search_opts *so) {
    nidus_search_opts_init(so);
    so->top_k = o->k;
    so->offset = o->offset;
    so->where = f;
    so->has_min_score = o->has_min_score;
    so->min_score = o->min_score;
    cli_projection(o, &so->include_attrs, &so->n_include_attrs, &so->exclude_attrs, &so->n_exclude_attrs);
    /* --exact: nothing to bypass, every search is an exact scan. */
}

int cmd_search(cli_opts *o) {
    if (!o->like != !o->in) cli_usage("search: --like ID and --in COLLECTION go together");
    if (o->like && o->query_file) cli_usage("search: give --like or --query-file, not both");
    arena a = {0};
    json_t *keep, *qj = NULL;
    const nidus_filter *f = parse_where(o, &keep, &a);
    nidus_search_opts so;
    query_opts(o, f, &so);
    float *q = NULL;
    size_t qlen = 0;
    char err[CJ_ERR];
    if (!o->like) {
        const char *src = o->query_file ? o->query_file : "<stdin>";
        size_t len;
        char *text = cli_read_all(o->query_file, &len);
        qj = cj_parse(text, len, src);
        free(text);
        if (!cj_vector(qj, &q, &qlen, &a, err)) cli_fail("%s: query: %s", src, err);
    }
    double t0 = cli_now();
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    double t1 = cli_now();
    so.collections = o->npos ? o->pos : NULL;
    so.n_collections = o->npos;
    nidus_names *all = NULL;
    nidus_hits *hits;
    int rc;
    double t2;
    if (o->like) {
        nidus_docs *self = NULL;
        if ((rc = nidus_get(db, o->in, &o->like, 1, &self))) cli_fail_db(db, rc, "search --like");
        if (self->count == 0) cli_fail("search --like: no record \"%s\" in collection \"%s\"", o->like, o->in);
        nidus_free(self);
        /* --like searches the named collections or the whole store (similar's
         * default scope is the source's collection alone). */
        if (!o->npos) {
            if ((rc = nidus_collections(db, &all))) cli_fail_db(db, rc, "search --like");
            so.collections = (const char *const *)all->names;
            so.n_collections = all->count;
        }
        t2 = cli_now();
        rc = nidus_search_similar(db, o->in, o->like, &so, &hits);
    } else {
        t2 = cli_now();
        rc = nidus_search(db, q, qlen, &so, &hits);
    }
    double t3 = cli_now();
    if (rc) cli_fail_db(db, rc, "search");
    print_hits(o, hits);
    if (o->timing)
        fprintf(stderr, "search: %zu hits in %.2f ms (open %.1f ms)\n", hits->count, (t3 - t2) * 1e3,
                (t1 - t0) * 1e3);
    nidus_free(hits);
    nidus_free(all);
    json_decref(qj);
    json_decref(keep);
    arena_free(&a);
    return 0;
}

int cmd_similar(cli_opts *o) {
    if (o->npos != 2) cli_usage("similar: expected a collection and a record id (see nidus similar --help)");
    arena a = {0};
    json_t *keep;
    const nidus_filter *f = parse_where(o, &keep, &a);
    nidus_search_opts so;
    query_opts(o, f, &so);
    /* No --scope: the source's own collection (nidus's default). */
    so.collections = o->n_scope ? o->scope : NULL;
    so.n_collections = o->n_scope;
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_hits *hits;
    int rc = nidus_search_similar(db, o->pos[0], o->pos[1], &so, &hits);
    if (rc) cli_fail_db(db, rc, "similar");
    print_hits(o, hits);
    nidus_free(hits);
    json_decref(keep);
    arena_free(&a);
    return 0;
}

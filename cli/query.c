/*
 * query.c — the commands that read records by attributes alone, without a query
 * vector: list and aggregate (nidus 0.80's `nidus list` and `nidus aggregate`).
 *
 * As in records.c, every input is checked before the store is opened.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

int cmd_list(cli_opts *o) {
    arena a = {0};
    json_t *keep;
    const nidus_filter *f = parse_where(o, &keep, &a);
    nidus_list_opts lo;
    nidus_list_opts_init(&lo);
    lo.collections = o->npos ? o->pos : NULL;
    lo.n_collections = o->npos;
    lo.where = f;
    lo.offset = o->offset;
    lo.limit = o->limit;
    lo.order_by = o->order_by;
    lo.descending = o->desc;
    cli_projection(o, &lo.include_attrs, &lo.n_include_attrs, &lo.exclude_attrs, &lo.n_exclude_attrs);
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_docs *docs;
    int rc = nidus_list_docs(db, &lo, &docs);
    if (rc) cli_fail_db(db, rc, "list");
    /* nidus prints a listed record as a hit with score 0 (no vector). */
    cli_hits_out w;
    cli_hits_begin(&w, o, false);
    for (size_t i = 0; i < docs->count; i++) {
        const nidus_doc *d = &docs->docs[i];
        cli_hits_item(&w, d->collection, d->id, 0.0f, d->attrs, d->n_attrs);
    }
    cli_hits_end(&w);
    nidus_free(docs);
    json_decref(keep);
    arena_free(&a);
    return 0;
}

/* {field: typed total} in the library's order (sorted by field, as nidus's map). */
int cmd_aggregate(cli_opts *o) {
    arena a = {0};
    json_t *keep;
    const nidus_filter *f = parse_where(o, &keep, &a);
    nidus_aggregate_opts ao;
    nidus_aggregate_opts_init(&ao);
    ao.collections = o->npos ? o->pos : NULL;
    ao.n_collections = o->npos;
    ao.where = f;
    ao.sum = o->n_sums ? o->sums : NULL;
    ao.n_sum = o->n_sums;
    ao.group_by = o->group_by;
    nidus_db *db = cli_open(o, OPEN_READ, 0);
    nidus_aggregation *ag;
    int rc = nidus_aggregate(db, &ao, &ag);
    if (rc) cli_fail_db(db, rc, "aggregate");
    /* nidus 0.80's CLI prints the Aggregation field for field: groups is [] without
     * --group-by. */
    json_t *out = cj_aggregation_out(ag, false);
    cj_print(stdout, out, true);
    nidus_free(ag);
    json_decref(keep);
    arena_free(&a);
    return 0;
}

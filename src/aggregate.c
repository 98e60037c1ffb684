/* aggregate.c — nidus_aggregate: count and typed sums over the records of a scope
 * matching a filter, optionally grouped by one attribute (nidus 0.80's rules). */
#include "result.h"

void nidus_aggregate_opts_init(nidus_aggregate_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->max_groups = NIDUS_MAX_GROUPS;
}

int nidus_aggregate(nidus_db *db, const nidus_aggregate_opts *opts, nidus_aggregation **out) {
    (void)opts;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nidus__leave(db);
    return nidus__set_errorf(db, NIDUS_EINVAL, "nidus_aggregate is not implemented yet");
}

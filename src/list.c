/* list.c — nidus_list_docs: the records of a scope matching a filter, in storage order
 * or ordered by one attribute (nidus 0.80's rules), then paged and projected. */
#include "result.h"

void nidus_list_opts_init(nidus_list_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->limit = NIDUS_LIST_DEFAULT_LIMIT;
}

int nidus_list_docs(nidus_db *db, const nidus_list_opts *opts, nidus_docs **out) {
    (void)opts;
    if (!out) return NIDUS_EMISUSE;
    *out = NULL;
    int rc = nidus__enter_read(db);
    if (rc) return rc;
    nidus__leave(db);
    return nidus__set_errorf(db, NIDUS_EINVAL, "nidus_list_docs is not implemented yet");
}

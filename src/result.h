/* result.h — building what the reads return (result.c). Internal.
 *
 * Every result is one allocation: a measuring pass sizes it, a second pass fills
 * it. So it outlives later writes and nidus_close, can be used from any thread,
 * and nidus_free releases it whole. Each builder returns NULL when out of memory. */
#ifndef NIDUS__RESULT_H
#define NIDUS__RESULT_H

#include "db.h"

/* A projection: which attributes a hit or doc carries (nidus 0.80's Projection).
 * keys NULL: all of them; otherwise only keys[0..n) (exclude false) or every one
 * but those (exclude true). The keys are the caller's, read while the result is
 * built (Borrowed for the call). */
typedef struct nproj {
    const char *const *keys;
    size_t n;
    bool exclude;
} nproj;
/* Check a call's include/exclude arrays (at most one non-NULL; every key
 * non-NULL UTF-8) and make *p of them; NIDUS_EINVAL with a message otherwise. */
int nidus__proj_init(nproj *p, const char *const *inc, size_t ninc, const char *const *exc, size_t nexc, nerr *e);

/* The collections a read covers: every collection (names NULL) or the named ones
 * that exist, each once, in the order named. *out (caller frees; never NULL on
 * success) receives *n of them. NIDUS_EINVAL for a NULL or non-UTF-8 name, or
 * names NULL with count > 0; NIDUS_ENOMEM. */
int nidus__scope_resolve(const nidus_db *db, const char *const *names, size_t count, ncoll ***out, size_t *n,
                         nerr *e);

/* One query's hits: items[0..n), best first; each item's ref is its ndoc, its
 * ref2 the doc's ncoll; attributes as p projects them. */
nidus_hits *nidus__result_hits(const ntopk_item *items, size_t n, const nproj *p);
/* A doc and its collection, as nidus_list_docs returns them. */
typedef struct nref {
    const ndoc *d;
    const ncoll *c;
} nref;
/* refs[0..n), each with its own collection, vector (row d->row of mat) and the
 * attributes p projects. */
nidus_docs *nidus__result_refs(const nref *refs, size_t n, const float *mat, uint32_t dim, const nproj *p);

/* An aggregation as aggregate.c computed it, for nidus__result_aggregation. */
typedef struct nagg_group {
    const nidus_value *value; /* the store's (first record's) value; NULL: missing */
    uint64_t count;
    const nidus_value *sums;  /* nf totals, NIDUS_INT or NIDUS_FLOAT */
} nagg_group;
typedef struct nagg_out {
    uint64_t count;
    const char *const *fields; /* nf sum fields, sorted, distinct (the caller's) */
    size_t nf;
    const nidus_value *sums;   /* nf */
    const nagg_group *groups;  /* ng, in the order returned */
    size_t ng;
    bool truncated;
} nagg_out;
nidus_aggregation *nidus__result_aggregation(const nagg_out *a);
/* docs[0..n) of collection c (NULL when absent, then n is 0), each with its
 * vector: row d->row of mat (dim floats per row). */
nidus_docs *nidus__result_docs(const ncoll *c, const ndoc *const *docs, size_t n, const float *mat, uint32_t dim);
/* The names of colls[0..n). */
nidus_names *nidus__result_names(ncoll *const *colls, size_t n);
nidus_meta *nidus__result_meta(const nmeta *m);

#endif

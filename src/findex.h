/* findex.h — the filter index of a collection (SPEC.md §12): its declaration
 * (nidus 0.80's SetFilterIndex, log op 8), the posting lists and sorted values
 * built from it, kept up to date by the writers, and the planner that turns a
 * compiled filter into candidate rows for the scan. Internal.
 *
 * The index narrows, it never decides: every candidate set is a superset of the
 * docs the filter matches, and the scan still evaluates the whole filter on each
 * candidate, so a search returns the same hits with or without it. */
#ifndef NIDUS__FINDEX_H
#define NIDUS__FINDEX_H

#include "coll.h"

typedef struct nfindex nfindex;

/* A declaration of fields[0..n) (n >= 1; names copied, kept verbatim and in order
 * for the log), not built yet. NIDUS_OK or NIDUS_ENOMEM. */
int nidus__findex_new(const nfx_field *fields, size_t n, nfindex **out, nerr *e);
void nidus__findex_free(nfindex *fx);
/* The declaration, as it is logged (borrowed from fx). */
const nfx_field *nidus__findex_decl(const nfindex *fx, size_t *n);
/* Whether two declarations index the same fields with the same flags, in order. */
bool nidus__findex_same(const nfindex *fx, const nfx_field *fields, size_t n);

/* (Re)build the index from c's docs. On failure (NIDUS_ENOMEM) fx keeps what it
 * had; an index that was never built is rebuilt by the planner when first
 * needed. */
int nidus__findex_build(nfindex *fx, const ncoll *c, nerr *e);
/* Forget the postings (the rows they name are gone: compaction); the planner
 * rebuilds them when first needed. */
void nidus__findex_invalidate(nfindex *fx);

/* A write's three steps (no-ops for a NULL or unbuilt index): begin (rebuilds an
 * index that holds mostly stale entries; one that cannot be rebuilt is forgotten
 * for the planner to build later, so begin returns NIDUS_OK today), reserve room
 * for each record about to be stored (its staged attributes; NIDUS_ENOMEM), then
 * after the file write either add each stored doc (cannot fail) or roll back
 * every reservation. A reserve that fails rolls back itself. */
int nidus__findex_begin(nfindex *fx, const ncoll *c, nerr *e);
int nidus__findex_reserve(nfindex *fx, const nattrs *attrs, nerr *e);
void nidus__findex_rollback(nfindex *fx);
/* `attrs` are the stored doc's (in c's arena: the index points at its strings). */
void nidus__findex_add(nfindex *fx, uint64_t row, const nattrs *attrs);

/* Bytes the index holds (0 for NULL). Safe under the read lock. */
uint64_t nidus__findex_bytes(nfindex *fx);

/* The planner. For collection c with scan order *order (idx not NULL), derive
 * candidates from the indexed predicates of f: true with *out their scan order
 * (sorted by row, a subsequence of *order) when there are few enough to be worth
 * walking, allocated into *mem (freed by nidus__findex_release); false: scan every
 * doc. Never fails (out of memory means scanning every doc). */
bool nidus__findex_narrow_coll(ncoll *c, const nscan *order, const nfilter *f, nscan *out, void **mem);
/* What a filtered read of c walks, in row order: the index's candidates for f when
 * narrowing pays, else c's whole scan order (.idx NULL: it could not be built;
 * walk the docs in doc order). *mem is for nidus__findex_release. Never fails. */
nscan nidus__findex_walk(ncoll *c, const nfilter *f, void **mem);
/* The same over a search's scope: orders[i] replaced where narrowing pays, *total
 * recomputed. */
void nidus__findex_narrow(const nfilter *f, ncoll *const *scope, nscan *orders, size_t n, size_t *total, void **mem);
void nidus__findex_release(void *mem);

/* The names of the declared fields as a public list (one allocation; nidus_free). */
nidus_names *nidus__findex_names(const nfindex *fx);

#endif

/* result.h — building what the reads return (result.c). Internal.
 *
 * Every result is one allocation: a measuring pass sizes it, a second pass fills
 * it. So it outlives later writes and nidus_close, can be used from any thread,
 * and nidus_free releases it whole. Each builder returns NULL when out of memory. */
#ifndef NIDUS__RESULT_H
#define NIDUS__RESULT_H

#include "db.h"

/* One query's hits: items[0..n), best first; each item's ref is its ndoc, its
 * ref2 the doc's ncoll. */
nidus_hits *nidus__result_hits(const ntopk_item *items, size_t n);
/* docs[0..n) of collection c (NULL when absent, then n is 0), each with its
 * vector: row d->row of mat (dim floats per row). */
nidus_docs *nidus__result_docs(const ncoll *c, const ndoc *const *docs, size_t n, const float *mat, uint32_t dim);
/* The names of colls[0..n). */
nidus_names *nidus__result_names(ncoll *const *colls, size_t n);
nidus_meta *nidus__result_meta(const nmeta *m);

#endif

/* scan.h — one scan job, as search.c sets it up and scan.c runs it. Internal. */
#ifndef NIDUS__SCAN_H
#define NIDUS__SCAN_H

#include "db.h"
#include "shadow.h"

/* Rows scored together: 256 rows of 384 floats stay in L2 while every query of
 * a batch passes over them. search.c sizes a batch's per-thread scratch in it. */
#define NIDUS__SCAN_BLOCK 256

/* One scan: a range of the scope's docs (in row order, collection after
 * collection; orders[i].n of collection i: all its docs, or the filter index's
 * candidates) scored against nq queries, each with its own top-k. Threads each run
 * one job over their own range; merging their top-ks gives exactly the one-thread
 * result, because the ranking (score, then row) is a total order. */
typedef struct nscan_job {
    ncoll *const *scope;
    const nscan *orders;
    size_t nscope;
    size_t lo, hi;
    const float *mat;
    uint32_t dim;
    const float *q; /* nq queries (normalized in a cosine store) */
    size_t nq;
    nidus__kfns k;  /* the metric's exact kernels, chosen once per search */
    const nfilter *f;
    bool gate;
    float min;
    ntopk *tops;   /* nq */
    float *scores; /* nq * NIDUS__SCAN_BLOCK, batches only */
    /* Batches with a screen (NULL: the exact block kernel scores every pair). */
    const nidus__screen *scr;
    const float *qpack; /* the queries interleaved per group of scr->qmax */
    size_t qstride;     /* words per packed query */
    const float *cq;    /* nq margin coefficients */
    const float *ca;    /* nq absolute slacks (nidus__screen_slack; 0 for unit queries);
                           euclidean: nq threshold bases (nidus__screen_l2_base) */
    bool l2;            /* a euclidean batch, screened through the dot product */
    const float *zero;  /* dim zeros: the padding row */
    float *panels;      /* NIDUS__SCAN_BLOCK * cols words */
    float *norms;       /* NIDUS__SCAN_BLOCK */
    uint32_t *masks;    /* NIDUS__SCAN_BLOCK / scr->width * scr->qmax */
    /* A single query screened by the shadow copy (NULL: every row scored
     * exactly): the coded query, its bounds, the integer dot kernel. */
    const nshadow_q *shq;
    nidus__idot_fn idot;
} nscan_job;

/* Run one job into its top-ks; a pthread start routine (arg: the job). */
void *nidus__scan_run(void *job);

#endif

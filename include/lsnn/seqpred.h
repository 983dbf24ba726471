/* lsnn/seqpred.h - sequence prediction with long time lags (Hochreiter & Schmidhuber 1997,
 * experiment 2; seed 002 section 3; ../shared/notes/spiking-lstm.md section 5.1).
 *
 * p + 1 symbols, one-hot on p + 1 units: a_1 .. a_{p-1} (indices 0 .. p-2), x = a_p (index p - 1)
 * and y = a_{p+1} (index p). A trial is the sequence (x, a_1, ..., a_{p-1}, x) or
 * (y, a_1, ..., a_{p-1}, y), each with probability 1/2; in the noisy variant the p - 1 middle
 * symbols are drawn independently and uniformly from a_1 .. a_{p-1}. Step t = 0 .. p - 1 shows
 * symbol t and its target is symbol t + 1; only the last target needs the memory of the first
 * symbol. Every draw comes from (seed, stream, trial). */
#ifndef LSNN_SEQPRED_H
#define LSNN_SEQPRED_H

#include <stdint.h>

#include "lsnn/status.h"

typedef struct lsnn_seqpred_params {
    int p;        /* 100 */
    int noisy;    /* 0 */
} lsnn_seqpred_params;

/* LSNN_ERR_ARG unless 2 <= p <= 100000. */
lsnn_status lsnn_seqpred_check(const lsnn_seqpred_params *p);
/* The p + 1 symbols of trial `trial` into sym. */
void lsnn_seqpred_trial(const lsnn_seqpred_params *p, uint64_t seed, uint64_t stream,
                        uint64_t trial, int *sym);

#endif

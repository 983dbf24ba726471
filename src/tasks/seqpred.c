/* Sequence prediction with long time lags (lsnn/seqpred.h). */
#include "lsnn/core.h"
#include "lsnn/seqpred.h"

lsnn_status lsnn_seqpred_check(const lsnn_seqpred_params *p)
{
    if (p->p < 2 || p->p > 100000)
        return lsnn_error(LSNN_ERR_ARG, "sequence prediction: p = %d outside 2..100000", p->p);
    return LSNN_OK;
}

void lsnn_seqpred_trial(const lsnn_seqpred_params *p, uint64_t seed, uint64_t stream,
                        uint64_t trial, int *sym)
{
    lsnn_rng r;
    lsnn_rng_derive(&r, seed, 0x73657170u, stream, trial);
    const int first = lsnn_rng_below(&r, 2) ? p->p : p->p - 1;
    sym[0] = first;
    for (int i = 1; i < p->p; i++)
        sym[i] = p->noisy ? (int)lsnn_rng_below(&r, (uint64_t)(p->p - 1)) : i - 1;
    sym[p->p] = first;
}

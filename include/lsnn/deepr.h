/* lsnn/deepr.h - DEEP R rewiring (Bellec, Kappel, Maass & Legenstein 2018, ICLR; seed 000
 * section 3: L1 0.01, temperature 0).
 *
 * Every existing synapse k of W_in, W_rec and W_out has a parameter theta_k >= 0 and the weight
 * w_k = s_k theta_k, where s_k is the sign of its source (input channel or neuron; the network
 * must be built with network.init "signed"). The set of existing synapses is the network's masks.
 * One DEEP R step follows each optimizer step:
 *
 *   1. The optimizer (Adam or SGD) has already updated the existing synapses only (the
 *      trainable mask excludes the others). Adam on w equals Adam on theta, since theta = s w
 *      and Adam commutes with a change of sign.
 *   2. theta_k <- theta_k - lr * l1 + sqrt(2 lr T) N(0, 1)   (L1 shrinkage, noise at temperature
 *      T; lr is the learning rate of this iteration).
 *   3. A synapse with theta_k < 0, i.e. whose weight would change sign, is removed: mask 0,
 *      w = 0, and the optimizer no longer updates it.
 *   4. As many synapses as were removed are regrown at positions drawn uniformly among the
 *      possible positions without a synapse (the ones just removed included, as in the reference
 *      code), with w = s * init_magnitude and zeroed Adam moments.
 *
 * So the number of synapses never changes: per matrix, or, with network.global_connectivity,
 * across the three matrices together (synapses then move between them). The W_rec diagonal is
 * never a possible position. Frozen projections (and a frozen readout) are not rewired. The
 * noise and the regrowth positions come from RNG streams derived from (seed, iteration), so a
 * run is deterministic, independent of the thread count, and a resumed run continues exactly:
 * the whole DEEP R state is the masks, the weights and the Adam moments of the checkpoint. */
#ifndef LSNN_DEEPR_H
#define LSNN_DEEPR_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/learn.h"
#include "lsnn/network.h"

#define LSNN_DEEPR_MAX_TENSORS (LSNN_MAX_PROJ + 1)

/* The typed parameters of DEEP R (the "deepr" section of a config). */
typedef struct lsnn_deepr_params {
    double l1;                 /* L1 shrinkage of the synapse parameters theta */
    double temperature;        /* noise temperature T (0 = no noise) */
    double init_magnitude;     /* |w| of a regrown synapse */
} lsnn_deepr_params;

typedef struct lsnn_deepr {
    double l1, temperature, init_magnitude;
    uint64_t seed;
    int n_tensors;             /* rewired tensors: non-frozen projections, then the readout */
    struct lsnn_deepr_tensor {
        size_t param_off;      /* offset of the weights in net->params */
        int proj;              /* projection index, or -1 for the readout */
        int pool;              /* tensors of one pool share one synapse count */
    } t[LSNN_DEEPR_MAX_TENSORS];
    int n_pools;
    size_t *cand;              /* candidate positions (param indices), largest pool's size */
    size_t cand_cap;
    long rewired;              /* synapses rewired since init (statistics) */
} lsnn_deepr;

/* Prepares DEEP R for `net` (which must have masks and signed sources). `global`: one synapse
 * count across all rewired tensors (network.global_connectivity); else one per tensor. */
lsnn_status lsnn_deepr_init(lsnn_deepr *d, const lsnn_deepr_params *p, const lsnn_net *net,
                            int global, uint64_t seed);
void lsnn_deepr_free(lsnn_deepr *d);

/* One DEEP R step (2.-4. above) after lsnn_optim_step of iteration `iteration` (0-based) with
 * learning rate lr. Updates net's weights and masks, the trainable mask (n_params) and, for Adam,
 * opt's moments of regrown synapses. Returns the number of synapses rewired (removed and
 * regrown) in this step. Call lsnn_net_apply_masks afterwards as usual. */
long lsnn_deepr_step(lsnn_deepr *d, lsnn_net *net, lsnn_optim *opt, uint8_t *trainable,
                     double lr, long iteration);

/* Synapses that exist now in the rewired tensors. */
size_t lsnn_deepr_count(const lsnn_deepr *d, const lsnn_net *net);

#endif

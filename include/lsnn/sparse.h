/* lsnn/sparse.h - compressed-row index of the existing synapses of masked projections.
 *
 * A projection with a connectivity mask (network.connectivity < 1) keeps its dense weights w
 * (n_src, n_dst), with zeros where no synapse exists, and also this index: for each source i the
 * targets j of its existing synapses, in increasing order, col[row[i] .. row[i+1]). The forward
 * pass (src/net/sim.c) and BPTT (src/learn/bptt.c) then run over existing synapses only when
 * `use` is set: propagation of a spike, the adjoint through the synapses and the weight
 * gradients cost O(existing synapses) instead of O(n_src n_dst). The weights are still read from
 * w, so the index depends only on the mask and the diagonal rule: it must be rebuilt when a mask
 * changes. lsnn_net_init, lsnn_net_apply_masks (which DEEP R's caller runs after every step) and
 * lsnn_net_update_constants (which lsnn_checkpoint_load runs after reading the masks) do so.
 *
 * Results: the sparse forward pass adds the same non-zero terms in the same order as the dense
 * one, so spikes and readout are bit-identical. BPTT sums the adjoint in another order than the
 * dense matrix product (agreement to rounding), and leaves the gradient of an absent synapse at 0
 * where the dense path computes what a synapse there would receive; nothing reads those entries
 * (the optimizer, the clipping norm and DEEP R use trainable entries only).
 *
 * The arrays live in the network's single allocation (their size is bounded by n_src n_dst), so
 * copying or freeing a network needs nothing extra. */
#ifndef LSNN_SPARSE_H
#define LSNN_SPARSE_H

#include <stdint.h>

/* Below this density (existing / n_src n_dst), LSNN_SPARSE_AUTO runs a projection on the sparse
 * kernels (docs/PERFORMANCE.md, "Sparse kernels", has the measurements behind the value). */
#define LSNN_SPARSE_THRESHOLD 0.2

typedef enum lsnn_sparse_mode {
    LSNN_SPARSE_AUTO = 0, /* sparse kernels below LSNN_SPARSE_THRESHOLD (the default) */
    LSNN_SPARSE_OFF = 1,  /* dense kernels everywhere */
    LSNN_SPARSE_ON = 2    /* sparse kernels for every masked projection */
} lsnn_sparse_mode;

typedef struct lsnn_sparse {
    int use;        /* 1: the kernels run over this index; 0: over the dense weights */
    int32_t nnz;    /* existing synapses: row[n_src] */
    int32_t *row;   /* (n_src + 1) first synapse of each source; NULL without a mask */
    int32_t *col;   /* (n_src n_dst capacity) target of each synapse, 0-based in the target range */
} lsnn_sparse;

struct lsnn_net;

/* Rebuilds the index of every masked projection from its mask and sets `use` from the network's
 * sparse mode and the density. O(n_src n_dst) per projection, no allocation. */
void lsnn_sparse_rebuild(struct lsnn_net *net);

/* Chooses dense or sparse kernels (tests and `lsnn bench` compare the two) and rebuilds. A dense
 * network (no masks) always runs dense. */
void lsnn_net_set_sparse(struct lsnn_net *net, lsnn_sparse_mode mode);

#endif

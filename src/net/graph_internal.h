/* net/graph_internal.h - what the recipe (network.c) sets on a graph beyond the public API:
 * the random streams of earlier versions (so that recipe networks stay bit for bit what they
 * were) and the bidirectional readout's block structure. Internal. */
#ifndef LSNN_NET_GRAPH_INTERNAL_H
#define LSNN_NET_GRAPH_INTERNAL_H

#include "lsnn/network.h"

/* Stream of the last added population's sign split / projection's draws, and of the readout
 * mask (instead of those derived from the names). */
void lsnn__graph_pop_stream(lsnn_graph *g, uint64_t stream);
void lsnn__graph_proj_stream(lsnn_graph *g, uint64_t stream);
void lsnn__graph_readout_stream(lsnn_graph *g, uint64_t stream);
/* Two directions: neurons [0, n/2) drive outputs [0, n_out/2), the others the rest. */
void lsnn__graph_set_dirs(lsnn_graph *g, int n_dirs);
/* Masks on every projection and the readout even when all are dense (bidirectional networks). */
void lsnn__graph_force_masks(lsnn_graph *g);

/* Stream index of a name (FNV-1a, top bit set: never one of the small indices of the recipe). */
uint64_t lsnn__name_stream(const char *name);

/* 1 if synapse i -> j of pr is a self-connection that no_self forbids. */
static inline int lsnn__is_self(const lsnn_projection *pr, int i, int j)
{
    return pr->no_self && !pr->src_is_input && pr->src_off + i == pr->dst_off + j;
}

/* Projects a weight onto the sign constraint: a weight that crossed zero becomes zero. */
static inline lsnn_real lsnn__clip_sign(lsnn_real w, lsnn_sign s)
{
    if (s == LSNN_SIGN_EXC)
        return w > 0 ? w : 0;
    if (s == LSNN_SIGN_INH)
        return w < 0 ? w : 0;
    return w;
}

#endif

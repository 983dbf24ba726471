/* net/graph_internal.h - what the recipe (network.c) sets on a graph beyond the public API:
 * the random streams of earlier versions (so that recipe networks stay bit for bit what they
 * were) and the bidirectional readout's block structure. Internal. */
#ifndef LSNN_NET_GRAPH_INTERNAL_H
#define LSNN_NET_GRAPH_INTERNAL_H

#include "lsnn/network.h"

/* The graph under construction (graph.c; graph_init.c reads it to initialise the weights). */
typedef struct g_pop {
    char name[LSNN_NAME_MAX];
    const lsnn_neuron_model *model;
    int count;
    lsnn_sign sign;
    double exc_fraction, noise_std;
    int keep_unsigned;          /* lsnn_population_spec.keep_unsigned */
    lsnn_value *val;           /* (model->n_params); LIST values own a copy */
    uint64_t stream;
} g_pop;

typedef struct g_proj {
    char name[LSNN_NAME_MAX];
    int from_input, in_off, in_count;
    int src0, src1, dst0, dst1; /* population ranges [src0, src1], [dst0, dst1] (spec indices) */
    int min_delay, max_delay, no_self, frozen;
    int no_rewiring;            /* lsnn_projection.no_rewiring (lsnn__graph_proj_no_rewiring) */
    double connectivity, w0;
    uint64_t stream;
} g_proj;

struct lsnn_graph {
    lsnn_graph_opts o;
    char *readout_from;
    g_pop *pop;
    g_proj *proj;
    int n_pop, n_proj, cap_pop, cap_proj;
    uint64_t ro_stream;
    int n_dirs, force_masks;
};

/* Selection sampling (Knuth, TAOCP 3.4.2, algorithm S): marks exactly k of the n positions for
 * which allowed(i) holds, every k-subset equally likely, in one pass. The caller visits the
 * positions in a fixed order; this is the per-position decision. */
typedef struct lsnn__select {
    lsnn_rng rng;
    uint64_t left_pos, left_pick; /* possible positions not yet visited, picks still to make */
} lsnn__select;

static inline int lsnn__select_next(lsnn__select *sel)
{
    int pick = (double)sel->left_pos * lsnn_rng_uniform(&sel->rng) < (double)sel->left_pick;
    sel->left_pos--;
    sel->left_pick -= (uint64_t)pick;
    return pick;
}

/* Connectivity masks (per matrix or one global level) and the initial delays and weights of every
 * projection and of the readout, after the signs: graph_init.c. */
void lsnn__init_masks(lsnn_net *net, const lsnn_graph *g, uint64_t seed);
lsnn_status lsnn__init_weights(lsnn_net *net, const lsnn_graph *g, uint64_t seed);

/* Stream of the last added population's sign split / projection's draws, and of the readout
 * mask (instead of those derived from the names). */
void lsnn__graph_pop_stream(lsnn_graph *g, uint64_t stream);
void lsnn__graph_proj_stream(lsnn_graph *g, uint64_t stream);
/* The last projection added keeps its synapses under DEEP R (lsnn_projection.no_rewiring). */
void lsnn__graph_proj_no_rewiring(lsnn_graph *g);
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

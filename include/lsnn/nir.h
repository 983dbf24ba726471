/* lsnn/nir.h - a network as a graph of the Neuromorphic Intermediate Representation (NIR).
 *
 * NIR describes a spiking network as nodes (Input, Linear, Affine, Delay, LIF, LI, Output, ...)
 * with continuous-time dynamics and edges between them; Norse, snnTorch, Lava, Rockpool,
 * SpiNNaker2 and Xylo read it. lsnn_nir_build maps what NIR can express and refuses the rest
 * with a message naming the population (the file format itself, HDF5, is written by the CLI:
 * `lsnn export-nir`, tools/cmd_nir.c, so that the library does not depend on libhdf5):
 *
 *   Input "input" (n_in)
 *   LIF  "<population>" per population of model alif whose beta is 0 everywhere: tau = tau_m
 *        (seconds), r = g_in / (1 - exp(-dt / tau_m)) (1 under the "leaky" input scaling),
 *        v_leak 0, v_threshold = b0, v_reset 0. An exact exponential step of NIR's
 *        tau dv/dt = (v_leak - v) + r I with I held for one step dt is lsnn's
 *        V(t) = alpha V(t-1) + g_in I(t). Two things NIR's LIF does not have are recorded in the
 *        node's metadata and in `notes`: lsnn resets by subtracting the threshold (NIR: to
 *        v_reset), and a refractory period when one is set.
 *   Linear "<projection>.<from>.<to>" per pair of source and target populations a projection
 *        joins (weight (n_to, n_from) = the transposed block of lsnn's source-major weights);
 *        with synaptic delays, one Linear per delay d holding the synapses of that delay,
 *        "<projection>.<from>.<to>.d<d>", followed by a Delay node "...d<d>.delay" of
 *        (d - 1) dt seconds for every target channel when d > 1. lsnn's delay d of a recurrent
 *        synapse is the step a spike needs anyway in a discrete simulation of a loop, plus d - 1;
 *        an input's delay d arrives d - 1 steps after it is shown: d - 1 is the delay NIR adds.
 *   Linear "w_out.<population>" (n_out, count) = gain x the readout weights of the population,
 *        then the readout "readout": LI(tau = readout_tau, r = gain / (1 - kappa) (1 with the
 *        default gain), v_leak = b_out) when the readout filters (its exact step is lsnn's
 *        zeta(t) = kappa zeta(t-1) + g z(t), y = W^T zeta + b), or Affine(identity, b_out) when
 *        readout_tau is 0; then Output "output" (n_out).
 *
 * Refused (LSNN_ERR_UNSUPPORTED, naming the population or setting): adaptive thresholds
 * (beta != 0), the models stdp_alif, izhikevich and asn, bidirectional networks, and networks
 * that are not spiking. */
#ifndef LSNN_NIR_H
#define LSNN_NIR_H

#include <stdint.h>

#include "lsnn/network.h"

#define LSNN_NIR_NAME 96
#define LSNN_NIR_MAX_ARRAYS 6
#define LSNN_NIR_MAX_META 4

/* A parameter of a node: float32 values (or int64 for shapes) of ndim 1 or 2. */
typedef struct lsnn_nir_array {
    char name[24];
    int is_int;                /* 1: int64 values in i, else float values in f */
    int ndim;
    int64_t shape[2];
    float *f;
    int64_t *i;
} lsnn_nir_array;

typedef struct lsnn_nir_node {
    char name[LSNN_NIR_NAME];
    char type[16];             /* "Input", "Linear", "Affine", "Delay", "LIF", "LI", "Output" */
    int n_arrays;
    lsnn_nir_array arr[LSNN_NIR_MAX_ARRAYS];
    int n_meta;                /* metadata: key = value strings */
    char meta_key[LSNN_NIR_MAX_META][32];
    char meta_val[LSNN_NIR_MAX_META][256];
} lsnn_nir_node;

typedef struct lsnn_nir_graph {
    int n_nodes, n_edges;
    lsnn_nir_node *nodes;
    char (*edges)[2][LSNN_NIR_NAME]; /* (n_edges) source, target node names */
    char notes[1024];          /* what a reader should know: the differences of semantics */
} lsnn_nir_graph;

/* The NIR graph of a network (see above); g is freed with lsnn_nir_free, also on error. */
lsnn_status lsnn_nir_build(const lsnn_net *net, lsnn_nir_graph *g);
void lsnn_nir_free(lsnn_nir_graph *g);

#endif

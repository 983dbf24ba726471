/* lsnn/net_stats.h - what a network looks like (seed 001 Fig. 1C, Table S1): its sub-populations,
 * parameter counts "active (full)" per tensor, connection probabilities between sub-populations
 * and the signs of the weights (Dale's law). `lsnn inspect` prints it.
 *
 * Sub-populations (groups): the input channels X (X_E and X_I when the inputs are signed), each
 * population of the network and the readout Y, in that order. A synapse exists where the
 * connectivity mask (if any) has a 1 and the weight is not zero; the connection probability from
 * group S to T is existing[S][T] / possible[S][T], the W_rec diagonal and (bidirectional
 * networks) readout synapses across the two directions not being possible. */
#ifndef LSNN_NET_STATS_H
#define LSNN_NET_STATS_H

#include <stddef.h>

#include "lsnn/network.h"

#define LSNN_NET_MAX_GROUPS (LSNN_MAX_POP + 3)

typedef struct lsnn_net_group {
    char name[LSNN_NAME_MAX + 8];
    int input, readout;        /* input channels / the readout (else neurons) */
    int off, count;            /* neuron range (populations); count for inputs and readout */
    int sign;                  /* 1, -1, 0 = unsigned */
} lsnn_net_group;

typedef struct lsnn_net_stats {
    int n_groups;              /* inputs, populations, readout */
    int n_input_groups;        /* 1 (X) or 2 (X_E, X_I) */
    lsnn_net_group group[LSNN_NET_MAX_GROUPS];
    double possible[LSNN_NET_MAX_GROUPS][LSNN_NET_MAX_GROUPS]; /* [from][to] */
    double existing[LSNN_NET_MAX_GROUPS][LSNN_NET_MAX_GROUPS];
    /* Outgoing weights of the existing synapses of each group: signs, and how many contradict
     * the group's sign. */
    long positive[LSNN_NET_MAX_GROUPS], negative[LSNN_NET_MAX_GROUPS];
    long zero[LSNN_NET_MAX_GROUPS], violations[LSNN_NET_MAX_GROUPS];
    /* Per projection (index p), then the readout (index n_proj): synapses the mask allows
     * (active) and whole-tensor sizes (full). */
    size_t active[LSNN_MAX_PROJ + 1], full[LSNN_MAX_PROJ + 1];
} lsnn_net_stats;

void lsnn_net_stats_compute(const lsnn_net *net, lsnn_net_stats *out);

#endif

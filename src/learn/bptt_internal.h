/* Internal to BPTT (src/learn/bptt.c and bptt_delay.c): the ring-slot arithmetic, the scatter
 * of a block's sums into dL/dz, and the adjoint of dense recurrent projections with delays. */
#ifndef LSNN_BPTT_INTERNAL_H
#define LSNN_BPTT_INTERNAL_H

#include "core/simd.h"
#include "net/sim_internal.h"

#if LSNN_X86_DISPATCH
#define LSNN__VPB (LSNN__SPB / LSNN__VL) /* registers per block of sequences */
#endif

/* First slot of the ring for synapses whose delay d counts from step t: (t + d) % R is then
 * tb + d, minus R when it reaches R (t may be -1; 1 <= d < R). */
static inline int lsnn__slot0(int t, int R)
{
    return (t % R + R) % R;
}

/* gz(s, i) += a(u) for the sequences s = sb + u < bc. */
static inline void lsnn__acc_scatter(const lsnn_real *a, lsnn_real *gz, int n, int sb, int bc)
{
    const int ub = bc - sb < LSNN__SPB ? bc - sb : LSNN__SPB;
    for (int u = 0; u < ub; u++)
        gz[(size_t)(sb + u) * n] += a[u];
}

/* dL/dz of the sources of dense delayed recurrent projection pr (index p in the network) at
 * step t: gz[:, i] += sum_j w_ij dL/dI_j(t + d_ij), for the chunk's bc sequences, by the
 * fastest kernel that applies (bptt_delay.c). */
void lsnn__dl_adjoint_run(const lsnn_projection *pr, int p, const lsnn_sim *sim, lsnn__chunk *c,
                          int bc, int t);
/* The block-major weights and delays the permutation kernel reads, for every projection that
 * takes it (at the start of each backward pass: the weights change between passes). */
void lsnn__dl_prepare(lsnn_sim *sim, const lsnn_net *net);

#endif

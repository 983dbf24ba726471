/* lsnn/neuron_alif.h - the constants of the ALIF family ("alif", "stdp_alif"; LIF = ALIF with
 * beta = 0), shared by the two models' files and the tests that look inside them. Other code sees
 * a model's constants only as an opaque block (lsnn/neuron.h). */
#ifndef LSNN_NEURON_ALIF_H
#define LSNN_NEURON_ALIF_H

#include <stdint.h>

#include "lsnn/neuron.h"

/* Per-neuron constants of one population, precomputed once from the parameters (tau_m, tau_a,
 * beta, b0, refractory) so that the inner loops contain no exp(). Arrays of length count. */
typedef struct lsnn_alif_consts {
    lsnn_real *alpha;   /* exp(-dt/tau_m) */
    lsnn_real *rho;     /* exp(-dt/tau_a) */
    lsnn_real *beta;    /* adaptation strength (0 for LIF) */
    lsnn_real *b0;      /* baseline threshold */
    lsnn_real *g_in;    /* input gain: 1-alpha ("leaky", seed 000) or 1 ("plain", seed 004) */
    lsnn_real *g_a;     /* adaptation increment: 1-rho ("leaky") or 1 ("plain") */
    lsnn_real *plain;   /* 1: reset by b0 and pseudo-derivative normalised by b0 (seed 004) */
    int16_t *refractory; /* refractory period in steps */
    lsnn_real *refr;    /* the same as a real number, for branch-free vector loops */
    lsnn_real reset_grad; /* lsnn_neuron_opts.reset_grad */
    int psi_from_spike;   /* lsnn_neuron_opts.psi_from_spike */
    int stdp_psi_positive; /* lsnn_neuron_opts.stdp_psi_positive */
    int32_t *run_end;   /* (count) or NULL: neurons [j, run_end[j]) share every constant above
                         * with neuron j. The kernels then run [lo, hi) with scalar constants when
                         * run_end[lo] >= hi (the same arithmetic, so the same results). */
} lsnn_alif_consts;

/* Indices of the family's parameters in its parameter table. */
enum { LSNN_ALIF_TAU_M, LSNN_ALIF_TAU_A, LSNN_ALIF_BETA, LSNN_ALIF_B0, LSNN_ALIF_REFRACTORY,
       LSNN_ALIF_N_PARAMS };
extern const lsnn_neuron_param lsnn_alif_params[LSNN_ALIF_N_PARAMS];
size_t lsnn_alif_consts_size(int count);
void lsnn_alif_derive(void *k, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                      lsnn_real *g_in, uint8_t *adaptive);
void lsnn_alif_threshold(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                         lsnn_real *thr);

/* Gradient-check mode: the smooth spike of neuron j at potential v and threshold B, whose
 * derivatives are exactly the pseudo-derivative's dz/dV and dz/dB outside refractoriness. */
lsnn_real lsnn_alif_smooth_spike(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real B,
                                 lsnn_real gamma);

/* The table entries the family's models share: what the state holds, the parameters, the
 * constants and the threshold. */
#define LSNN_ALIF_FAMILY_ENTRIES                                                                 \
    .state_doc = "v: membrane potential; b: threshold adaptation (threshold b0 + beta b)",    \
    .threshold_doc = "b0 + beta b", .params = lsnn_alif_params,                                \
    .n_params = LSNN_ALIF_N_PARAMS, .consts_size = lsnn_alif_consts_size,                      \
    .derive = lsnn_alif_derive, .threshold = lsnn_alif_threshold

/* 1 if a step of neuron j with spike z and refractory count ref (lsnn_neuron_state) lies in the
 * window of its refractory pseudo-derivative (zero for ALIF, +-gamma for STDP-ALIF): after a
 * spike at t_z, t_z + 1 .. t_z + refractory (ref > 0), or with psi_from_spike t_z .. t_z +
 * refractory - 1 (the spike itself or ref >= 2). In gradient-check mode (smooth z) only the first
 * is meaningful; those checks run without refractoriness, where both windows are empty. */
static inline int lsnn_alif_in_window(const lsnn_alif_consts *c, int j, lsnn_real z, lsnn_real ref)
{
    return c->psi_from_spike ? c->refr[j] > 0 && (z != 0 || ref >= 2) : ref > 0;
}

/* Pseudo-derivative factors of neuron j at one step: dz/dV and dz/dB (zero in the refractory
 * window, refractory != 0). */
void lsnn_alif_pseudo(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real b, int refractory,
                      lsnn_real gamma, lsnn_real *dz_dv, lsnn_real *dz_dB);

#endif

/* lsnn/neuron.h - neuron models as tables of functions over structure-of-arrays state.
 *
 * A model updates a contiguous range of neurons of one batch element per call. The network owns
 * the state arrays; the model knows nothing of networks or learning rules. Adding a model = one
 * file in src/neuron/ plus one entry in the registry (src/neuron/registry.c). */
#ifndef LSNN_NEURON_H
#define LSNN_NEURON_H

#include <stdint.h>

#include "lsnn/core.h"

/* Per-neuron constants of the ALIF family (LIF = ALIF with beta = 0), precomputed once from the
 * parameters so that the inner loops contain no exp(). Arrays of length n (whole network). */
typedef struct lsnn_alif_consts {
    lsnn_real *alpha;   /* exp(-dt/tau_m) */
    lsnn_real *rho;     /* exp(-dt/tau_a) */
    lsnn_real *beta;    /* adaptation strength (0 for LIF) */
    lsnn_real *b0;      /* baseline threshold */
    lsnn_real *g_in;    /* input gain: 1-alpha ("leaky", seed 000) or 1 ("plain", seed 004) */
    lsnn_real *g_a;     /* adaptation increment: 1-rho ("leaky") or 1 ("plain") */
    lsnn_real *plain;   /* 1: reset by b0 and pseudo-derivative normalised by b0 (seed 004) */
    int16_t *refractory; /* refractory period in steps (as stored in checkpoints) */
    lsnn_real *refr;    /* the same as a real number, for branch-free vector loops */
    lsnn_real reset_grad; /* 1: gradients flow through the reset term's spike (default); 0: the
                           * reset is treated as a constant (e-prop reference tests) */
    int32_t *run_end;   /* (n) or NULL: neurons [j, run_end[j]) share every constant above with
                         * neuron j. The ALIF kernels then run [lo, hi) with scalar constants when
                         * run_end[lo] >= hi (the same arithmetic, so the same results). Derived
                         * like g_in: lsnn_net_update_constants recomputes it, and must run after
                         * any change to the arrays above. */
} lsnn_alif_consts;

/* The state of one batch element at one time step, for neurons [0, n). */
typedef struct lsnn_neuron_state {
    lsnn_real *v;       /* membrane potential V */
    lsnn_real *b;       /* threshold adaptation b (B = b0 + beta b) */
    lsnn_real *z;       /* output spike of the step (1/0; smooth value in gradient-check mode) */
    uint8_t *hard;      /* smooth mode only: 1 if V crossed B (drives refractoriness) */
    lsnn_real *ref;     /* remaining refractory steps including the current one */
} lsnn_neuron_state;

/* Backward quantities of one step: adjoints carried from step t+1 to step t. */
typedef struct lsnn_neuron_adjoint {
    lsnn_real *gv;      /* dL/dV(t) (on entry: dL/dV(t+1)) */
    lsnn_real *gb;      /* dL/db(t) (on entry: dL/db(t+1)) */
} lsnn_neuron_adjoint;

/* e-prop coefficients of one step t for neurons [lo, hi) of one batch element (seed 004 eqs.
 * 2.23-2.31 in general form). With h = (V, a) the neuron's hidden state (a: the adaptation or
 * recovery variable), the eligibility vector eps = dh/dW_ji evolves as
 *   eps(t+1) = J(t) eps(t) + (g_in, 0) pre_ji(t+1),   J(t) = dh(t+1)/dh(t) (pre-synaptic input fixed),
 * and the eligibility trace is e(t) = ev(t) eps_V(t) + ea(t) eps_a(t), (ev, ea) = dz(t)/dh(t).
 * J includes every path inside the neuron, the spike z(t) through its pseudo-derivative among
 * them; with reset_grad = 0 the reset's path through z(t) is left out (eq. 2.24 as written). */
typedef struct lsnn_eligibility_coeffs {
    lsnn_real *jvv, *jva, *jav, *jaa; /* J(t) */
    lsnn_real *ev, *ea;               /* dz(t)/dV(t), dz(t)/da(t) */
} lsnn_eligibility_coeffs;

typedef struct lsnn_neuron_model {
    const char *name;
    /* One forward step for neurons [lo, hi): reads the previous step's state in s (z, hard, v,
     * b, ref), the synaptic current cur, and overwrites s with step t's state. With smooth != 0
     * the spike is replaced by the smooth function whose derivative is the pseudo-derivative
     * (gradient checks only). */
    void (*step)(const lsnn_alif_consts *c, int lo, int hi, lsnn_neuron_state *s,
                 const lsnn_real *cur, lsnn_real gamma, int smooth);
    /* One adjoint step for neurons [lo, hi). Inputs: the recorded state of step t (v, b, z, ref)
     * and gz, dL/dz(t) through every path outside the neuron's own state; adj holds dL/dV and
     * dL/db of step t+1 on entry and of step t on exit (src/neuron/lif_alif.c). */
    void (*backward_step)(const lsnn_alif_consts *c, int lo, int hi, const lsnn_real *v,
                          const lsnn_real *b, const lsnn_real *z, const lsnn_real *ref,
                          const lsnn_real *gz, lsnn_neuron_adjoint *adj, lsnn_real gamma);
    /* Optional (NULL: the model has none). The hard-spike `step` with the membrane potential
     * of step t given (v, from a record of the forward pass) instead of computed from the
     * current: advances b, z and ref of s from step t-1 to t exactly as `step` does (the same
     * operations, so the same values) and leaves s->v alone. BPTT uses it to rebuild a segment
     * from recorded potentials without re-simulating the synapses (lsnn_sim_enable_records). */
    void (*replay)(const lsnn_alif_consts *c, int lo, int hi, lsnn_neuron_state *s,
                   const lsnn_real *v);
    /* e-prop: the coefficients above from the state s of step t (after `step`), into out
     * (arrays indexed like the state, entries [lo, hi) written). */
    void (*eligibility)(const lsnn_alif_consts *c, int lo, int hi, const lsnn_neuron_state *s,
                        lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *out);
} lsnn_neuron_model;

/* Model by name ("alif"), or NULL. */
const lsnn_neuron_model *lsnn_neuron_model_find(const char *name);
/* Model i of the registry (0, 1, ...), NULL past the last: lists the choices of network.neuron. */
const lsnn_neuron_model *lsnn_neuron_model_at(int i);

/* Pseudo-derivative factors of one neuron at one step: dz/dV and dz/dB (zero while refractory).
 * Exposed for tests and for e-prop. */
void lsnn_alif_pseudo(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real b, int refractory,
                      lsnn_real gamma, lsnn_real *dz_dv, lsnn_real *dz_dB);

#endif

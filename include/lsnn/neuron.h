/* lsnn/neuron.h - neuron models: self-describing tables of functions over structure-of-arrays
 * state.
 *
 * A model describes itself: its parameters (name, unit, default, allowed range, meaning), which
 * drive config validation, checkpoint tensors ("<population>.<parameter>"), docs/CONFIG.md and
 * `lsnn inspect`; how to derive its constants from the parameters (once per run, so that inner
 * loops contain no exp()); what its two state variables hold; and which observable is its
 * threshold in plots.
 *
 * A population of `count` neurons of one model owns the parameter values par[k * count + i]
 * (parameter k of neuron i, one value per neuron: constant, drawn, or listed; lsnn/network.h)
 * and the model's constants (an opaque block of consts_size(count) bytes, 64-byte aligned,
 * written by derive). The kernels work on neurons [lo, hi) of one population, with the state,
 * current and adjoint arrays offset so that index 0 is the population's first neuron. The
 * network owns the state; the model knows nothing of networks or learning rules.
 *
 * Adding a model = one file in src/neuron/ plus one entry in the registry
 * (src/neuron/registry.c); a program can also add one at run time (lsnn_neuron_model_register). */
#ifndef LSNN_NEURON_H
#define LSNN_NEURON_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/status.h"

/* Most auxiliary state variables a model may have (lsnn_neuron_model.n_aux). */
#define LSNN_NEURON_MAX_AUX 8

/* One parameter of a model. Allowed values: min <= x <= max (min < x with min_excl); integer
 * parameters take whole numbers only. */
typedef struct lsnn_neuron_param {
    const char *name;  /* key in a population's config and suffix of its checkpoint tensor */
    const char *unit;  /* "ms", "steps", "" */
    double def;        /* default (a network-level key of the same name overrides it) */
    double min, max;
    int min_excl;      /* 1: min itself is not allowed */
    int integer;       /* 1: whole numbers */
    const char *doc;   /* one line */
} lsnn_neuron_param;

/* Network-wide settings a model's constants may depend on. */
typedef struct lsnn_neuron_opts {
    double dt;         /* ms per step */
    int plain_input;   /* 1: "plain" input scaling (seed 004), 0: "leaky" (seed 000) */
    int psi_from_spike; /* 1: a spike's refractory pseudo-derivative window starts at the spike
                         * step (t_z .. t_z + refractory - 1), 0: after it (t_z + 1 ..
                         * t_z + refractory, the steps the neuron cannot fire; default) */
    int stdp_psi_positive; /* STDP-ALIF: +gamma in the window instead of -gamma */
    int reset_grad;    /* 1: gradients flow through the reset term's spike (the default); 0: the
                        * reset is treated as a constant (e-prop reference tests) */
} lsnn_neuron_opts;

/* The state of one batch element at one time step. Every model has two real state variables,
 * v and b (the model's state_doc says what they hold; all-zero is the resting state), a spike z
 * and a refractory counter. */
typedef struct lsnn_neuron_state {
    lsnn_real *v;       /* first state variable: the membrane potential (what the current enters) */
    lsnn_real *b;       /* second state variable: threshold adaptation, recovery, ... */
    lsnn_real *z;       /* output spike of the step (1/0; smooth value in gradient-check mode) */
    uint8_t *hard;      /* smooth mode only: 1 if V crossed B (drives refractoriness) */
    lsnn_real *ref;     /* remaining refractory steps including the current one */
    /* Models with n_aux > 0: further state variables, variable a of neuron j at
     * aux[a * aux_stride + j] (all zero at rest); NULL otherwise. */
    lsnn_real *aux;
    size_t aux_stride;
    /* Stochastic models: a key unique to the sequence, the step and the population; the model
     * draws its random numbers as a pure function of (key0, key1, neuron index). */
    uint64_t key0, key1;
} lsnn_neuron_state;

/* Backward quantities of one step: adjoints carried from step t+1 to step t. */
typedef struct lsnn_neuron_adjoint {
    lsnn_real *gv;      /* dL/dv(t) (on entry: dL/dv(t+1)) */
    lsnn_real *gb;      /* dL/db(t) (on entry: dL/db(t+1)) */
} lsnn_neuron_adjoint;

/* e-prop coefficients of one step t for neurons [lo, hi) of one batch element (seed 004 eqs.
 * 2.23-2.31 in general form). With h = (v, b) the neuron's hidden state, the eligibility vector
 * eps = dh/dW_ji evolves as
 *   eps(t+1) = J(t) eps(t) + (g_in, 0) pre_ji(t+1),   J(t) = dh(t+1)/dh(t) (pre-synaptic input fixed),
 * and the eligibility trace is e(t) = ev(t) eps_v(t) + ea(t) eps_b(t), (ev, ea) = dz(t)/dh(t).
 * J includes every path inside the neuron, the spike z(t) through its pseudo-derivative among
 * them; with reset_grad = 0 the reset's path through z(t) is left out (eq. 2.24 as written). */
typedef struct lsnn_eligibility_coeffs {
    lsnn_real *jvv, *jva, *jav, *jaa; /* J(t) */
    lsnn_real *ev, *ea;               /* dz(t)/dv(t), dz(t)/db(t) */
} lsnn_eligibility_coeffs;

typedef struct lsnn_neuron_model {
    const char *name;
    const char *doc;            /* one line: what the model is, and its source */
    const char *state_doc;      /* what v and b hold */
    const char *threshold_doc;  /* what `threshold` returns (the "threshold" trace of plots) */
    const lsnn_neuron_param *params;
    int n_params;
    /* Bytes of the constants of `count` neurons (one block, 64-byte aligned by the caller). */
    size_t (*consts_size)(int count);
    /* Derives the constants k of `count` neurons from their parameters par (par[p * count + i])
     * and the options; also writes each neuron's input gain g_in[i] = dv(t)/dI(t) (how the
     * synaptic current enters v, used by BPTT and e-prop for the weight gradients) and
     * adaptive[i] (0 when b stays independent of the weights, e.g. a LIF neuron, so that e-prop
     * can skip its eligibility component; 1 otherwise). */
    void (*derive)(void *k, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                   lsnn_real *g_in, uint8_t *adaptive);
    /* One forward step for neurons [lo, hi): reads the previous step's state in s (z, hard, v,
     * b, ref), the synaptic current cur, and overwrites s with step t's state. With smooth != 0
     * the spike is replaced by the smooth function whose derivative is the pseudo-derivative
     * (gradient checks only). */
    void (*step)(const void *k, int lo, int hi, lsnn_neuron_state *s, const lsnn_real *cur,
                 lsnn_real gamma, int smooth);
    /* One adjoint step for neurons [lo, hi). Inputs: the recorded state of step t (v, b, z, ref)
     * and gz, dL/dz(t) through every path outside the neuron's own state; adj holds dL/dv and
     * dL/db of step t+1 on entry and of step t on exit (src/neuron/lif_alif.c). */
    void (*backward_step)(const void *k, int lo, int hi, const lsnn_real *v, const lsnn_real *b,
                          const lsnn_real *z, const lsnn_real *ref, const lsnn_real *gz,
                          lsnn_neuron_adjoint *adj, lsnn_real gamma);
    /* Optional (NULL: the model has none). The hard-spike `step` with the membrane potential
     * of step t given (v, from a record of the forward pass) instead of computed from the
     * current: advances b, z and ref of s from step t-1 to t exactly as `step` does (the same
     * operations, so the same values) and leaves s->v alone. BPTT uses it to rebuild a segment
     * from recorded potentials without re-simulating the synapses (lsnn_sim_enable_records). */
    void (*replay)(const void *k, int lo, int hi, lsnn_neuron_state *s, const lsnn_real *v);
    /* e-prop: the coefficients above from the state s of step t (after `step`), into out
     * (arrays indexed like the state, entries [lo, hi) written). */
    void (*eligibility)(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                        lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *out);
    /* The threshold of neurons [lo, hi) in the state s, in the units of v, into thr. */
    void (*threshold)(const void *k, int lo, int hi, const lsnn_neuron_state *s, lsnn_real *thr);
    /* State variables beyond v and b (0 for most models), and what they hold. */
    int n_aux;
    const char *aux_doc;
    /* 1: the step draws random numbers from the state's keys. */
    int stochastic;
    /* 1: a model for simulation only, with no gradient (backward_step, eligibility and replay
     * NULL): BPTT and e-prop refuse networks that contain it. */
    int forward_only;
} lsnn_neuron_model;

/* Model by name ("alif"), or NULL. */
const lsnn_neuron_model *lsnn_neuron_model_find(const char *name);
/* Model i of the registry (0, 1, ...), NULL past the last: lists the choices of network.neuron. */
const lsnn_neuron_model *lsnn_neuron_model_at(int i);
/* Adds a model at run time (e.g. a test's own model), after the built-in ones. Refused: a name
 * already taken, an incomplete table (derive, step, threshold, consts_size are required, and
 * backward_step and eligibility unless forward_only), n_aux outside 0..8, or more than 16 added
 * models. */
lsnn_status lsnn_neuron_model_register(const lsnn_neuron_model *m);

/* Index of parameter `name` of model m, or -1. */
int lsnn_neuron_param_index(const lsnn_neuron_model *m, const char *name);
/* NULL if x is an allowed value of parameter p, else a static text saying what is wrong. */
const char *lsnn_neuron_param_check(const lsnn_neuron_param *p, double x);
/* The allowed values of p as text ("> 0", "0 to 1000, whole numbers") into buf. */
void lsnn_neuron_param_allowed(const lsnn_neuron_param *p, char *buf, size_t cap);

/* The constants of `count` neurons outside a network (tests, demonstrations): every parameter at
 * its default, then names[i] = values[i]; one allocation, freed with lsnn_neuron_block_free. */
typedef struct lsnn_neuron_block {
    const lsnn_neuron_model *model;
    int count;
    lsnn_real *par;        /* (n_params, count) */
    void *k;               /* the model's constants */
    lsnn_real *g_in;       /* (count) */
    uint8_t *adaptive;     /* (count) */
    void *mem;
} lsnn_neuron_block;
lsnn_status lsnn_neuron_block_init(lsnn_neuron_block *blk, const lsnn_neuron_model *m, int count,
                                   const lsnn_neuron_opts *o, const char *const *names,
                                   const double *values, int n_values);
/* Derives the constants again after par changed. */
void lsnn_neuron_block_derive(lsnn_neuron_block *blk, const lsnn_neuron_opts *o);
void lsnn_neuron_block_free(lsnn_neuron_block *blk);

#endif

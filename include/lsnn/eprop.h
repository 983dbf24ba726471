/* lsnn/eprop.h - eligibility propagation (seed 004 chapters 2-3; Bellec et al. 2020).
 *
 * e-prop computes the gradient of the same networks as BPTT in one forward pass, without storing
 * the past: every synapse j <- i keeps an eligibility vector eps_ji = dh_j/dW_ji (h_j = (V_j, a_j),
 * the target neuron's hidden state) that the neuron model propagates with its own Jacobian
 * (lsnn_neuron_model.eligibility), an eligibility trace e_ji = dz_j/dh_j . eps_ji, and its
 * readout-filtered version ebar_ji(t) = kappa ebar_ji(t-1) + e_ji(t). The gradient is
 *   dE/dW_ji = (1 - kappa) sum_t L_j(t) ebar_ji(t),   L_j(t) = sum_k B_jk dE/dy_k(t),
 * with feedback weights B: W_out itself ("symmetric"), fixed random ones ("random") or random
 * ones that follow W_out's updates ("adaptive"). Readout weights and biases get their exact
 * gradient. With symmetric feedback and reset_grad on, this is exactly the gradient of BPTT in
 * which the recurrent spikes z_i(t-d) -> V_j(t) are treated as constants (tests/test_eprop_f64.c).
 *
 * Losses are computed online: a mean-squared error's dE/dy(t) is known at t; for a
 * classification window (softmax of the readout averaged over [t0, t1)) dE/dy is the same at
 * every step of the window and known at its end, so each synapse sums ebar over the window and
 * applies the learning signal once, at the window's last step. The memory of a run depends on
 * the batch and the network, not on the sequence length.
 *
 * Online firing-rate regularisation (seed 004 eqs. 3.40-3.44): every incoming weight of neuron
 * j receives c_reg / (B T) * sum_{sequences, t} (f_j(t) - f_target), f_j(t) = spikes of j since
 * the start of the sequence / (t + 1) (per step). The seed sums both this term and L e over the
 * steps; the task loss here is a mean over the frames (windows) of the batch, so the rate term is
 * a mean over its steps and sequences, which keeps the seed's ratio between the two when every
 * step is a frame (its TIMIT setup). (Eq. 3.43 as printed has the opposite sign, which would push the
 * rates away from the target; the gradient of eq. 3.40 has this one.) */
#ifndef LSNN_EPROP_H
#define LSNN_EPROP_H

#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"

typedef enum lsnn_feedback {
    LSNN_FEEDBACK_SYMMETRIC = 0,
    LSNN_FEEDBACK_RANDOM = 1,
    LSNN_FEEDBACK_ADAPTIVE = 2
} lsnn_feedback;

typedef struct lsnn_eprop_opts {
    lsnn_feedback feedback;
    int reset_grad;          /* see eprop.reset_grad in docs/CONFIG.md */
    double rate_reg;         /* c_reg (0 = off) */
    double rate_target_hz;   /* f_target */
    double clip_v, clip_a;   /* eligibility clipping (0 = off) */
} lsnn_eprop_opts;

/* lsnn_eprop_opts_from_config (lsnn/config_map.h) fills opts from a config. */

typedef struct lsnn_eprop lsnn_eprop;

/* Workspace for batches of at most B sequences (any length). Random feedback weights are drawn
 * from `seed` (N(0, 1) / sqrt(n)). "adaptive" feedback follows W_out's changes since this call:
 * create the workspace from the freshly initialised network (before loading a checkpoint). */
lsnn_eprop *lsnn_eprop_create(const lsnn_net *net, int B, const lsnn_eprop_opts *opts,
                              uint64_t seed, lsnn_status *status);
void lsnn_eprop_free(lsnn_eprop *ep);

/* One pass over the batch. grad (n_params) receives the e-prop gradient (overwritten; NULL: no
 * learning, evaluation only). y (B, T, n_out) may be NULL; spike_count (n) may be NULL; pred
 * (B, max_windows) receives window predictions and may be NULL. out receives the loss (the same
 * definition as lsnn_loss_compute) and the classification counts. Classification windows of a
 * sequence must be sorted and must not overlap. */
lsnn_status lsnn_eprop_run(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                           lsnn_real *grad, lsnn_real *y, double *spike_count, int *pred,
                           lsnn_loss_result *out);

/* The same pass in pieces, for streamed batches (lsnn_batch_init_streamed): begin (the
 * batch's windows or MSE weights must be complete), then advance to step t1 as many times as
 * needed (each call needs the inputs of steps t_prev - max_delay + 1 .. t1 - 1 in the batch),
 * then end at t1 = T. lsnn_eprop_run is begin + advance(T) + end. */
lsnn_status lsnn_eprop_begin(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                             int learn);
lsnn_status lsnn_eprop_advance(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                               int t1, lsnn_real *y, int *pred);
lsnn_status lsnn_eprop_end(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                           lsnn_real *grad, double *spike_count, lsnn_loss_result *out);

/* Spreads the chunks of each pass over processes (lsnn/dist.h; as lsnn_sim_set_dist): the
 * gradient, spike counts, loss, y and pred come back bit-identical to one process's. */
struct lsnn_dist;
void lsnn_eprop_set_dist(lsnn_eprop *ep, const struct lsnn_dist *d);

/* The feedback matrix B (n, n_out), laid out like net->w_out. For "symmetric" it is a copy of
 * W_out made at the start of each run. */
lsnn_real *lsnn_eprop_feedback(lsnn_eprop *ep);

/* Single-synapse demonstration (seed 004 Figures 2.3, 3.9-3.11): one pre-synaptic spike train
 * drives one post-synaptic neuron through a weak plastic synapse, and an injected current makes
 * the neuron fire at set times: a ramp over the 10 steps before each spike brings V towards the
 * threshold, then a strong pulse makes it cross. In the first half each post-synaptic spike
 * follows a pre-synaptic one by 6 ms, in the second half each pre-synaptic spike follows a
 * post-synaptic one by 2 ms (inside the 5 ms refractory period); pairs are 40 ms apart. With a
 * constant learning signal L = 1 and no readout filter, dw(t) is the weight change
 * sum_{t' <= t} L e(t') that e-prop accumulates (positive: potentiation).
 * Constants (dt = 1 ms, "plain" scaling): tau_m 20 ms, tau_a 200 ms, beta 0.1, v_th 1,
 * refractory 5 steps, gamma 0.3, weight 0.05, ramp 0.075, pulse 1.2; Izhikevich: weight 2, ramp 3,
 * pulse 200. */
#define LSNN_DEMO_STEPS 400
#define LSNN_DEMO_HALF 200
#define LSNN_DEMO_PAIRS 4
#define LSNN_DEMO_FIRST 40 /* first pre-synaptic spike; pair r at FIRST + GAP r (+ HALF) */
#define LSNN_DEMO_GAP 40

typedef struct lsnn_synapse_demo {
    double pre[LSNN_DEMO_STEPS], post[LSNN_DEMO_STEPS];  /* spikes */
    double v[LSNN_DEMO_STEPS], a[LSNN_DEMO_STEPS];      /* membrane, adaptation (Izhikevich: mV) */
    double eps_v[LSNN_DEMO_STEPS], eps_a[LSNN_DEMO_STEPS]; /* eligibility vector */
    double e[LSNN_DEMO_STEPS], dw[LSNN_DEMO_STEPS];      /* eligibility trace, accumulated dW */
} lsnn_synapse_demo;

/* neuron: "alif", "stdp_alif" or "izhikevich"; clip != 0 applies seed 004's clipping of the
 * eligibility vector (|eps_v| <= 3, |eps_a| <= 0.005). */
lsnn_status lsnn_eprop_synapse_demo(const char *neuron, int clip, lsnn_synapse_demo *out);

#endif

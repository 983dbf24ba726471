/* lsnn/sim.h - simulating a batch of sequences and BPTT through it.
 *
 * The batch is cut into chunks of lsnn_chunk_size(B) sequences; chunks run in parallel (OpenMP)
 * and each writes its own partial results, which are summed in chunk order, so results do not
 * depend on the number of threads. The forward pass keeps the full network state only every K steps
 * (K ~ sqrt(T)); the backward pass recomputes one segment of K steps at a time from those
 * checkpoints, so memory grows as sqrt(T) instead of T. With records (lsnn_sim_enable_records)
 * it rebuilds the segment from the recorded membrane potentials instead, for B x T x n more
 * reals. */
#ifndef LSNN_SIM_H
#define LSNN_SIM_H

#include <stdint.h>

#include "lsnn/network.h"

/* Sequences per chunk for a batch of B: B/8 rounded up, clamped to 16..64. Larger chunks make
 * the per-step matrix products more efficient; at least 8 chunks keep 8 cores busy on big
 * batches. A function of B only, never of the thread count, so results are reproducible. */
int lsnn_chunk_size(int B);

/* A classification window: the readout averaged over steps [t0, t1) must classify `label`. */
typedef struct lsnn_window {
    int32_t t0, t1, label;
} lsnn_window;

typedef enum lsnn_loss_kind {
    LSNN_LOSS_CE_WINDOW = 0, /* softmax cross-entropy of the window-averaged readout */
    LSNN_LOSS_MSE = 1,       /* mean squared error against y_target, weighted by y_weight */
    LSNN_LOSS_CE_WINDOW_SOFTMAX = 2, /* cross-entropy of the softmax averaged over the window
                                      * (seed 000 TIMIT: the mean of the 10 steps' softmax) */
    LSNN_LOSS_RATE_MSE = 3,  /* squared error of the window-averaged readout against the window's
                              * target vector (seed 003 eq. 4.4) */
    LSNN_LOSS_RATE_HINGE = 4 /* hinge loss of the window-averaged readout against 0/1 targets
                              * with borders rate_zero, rate_one (seed 003 eq. 4.23) */
} lsnn_loss_kind;

/* 1 for the losses whose windows carry a target vector (w_target). */
static inline int lsnn_loss_has_window_targets(lsnn_loss_kind k)
{
    return k == LSNN_LOSS_RATE_MSE || k == LSNN_LOSS_RATE_HINGE;
}

/* Inputs and targets of B sequences of T steps; allocated by lsnn_batch_init. */
typedef struct lsnn_batch {
    int B, T, n_in, n_out;
    lsnn_loss_kind loss;
    lsnn_real *x;            /* (B, x_nt, n_in) input values of steps x_t0 .. x_t0 + x_nt - 1:
                              * spikes (0/1) or analog */
    int x_t0, x_nt;          /* the steps x holds: 0 and T, except in a streamed batch */
    int max_windows;
    int *n_windows;          /* (B) */
    lsnn_window *windows;    /* (B, max_windows) */
    lsnn_real *y_target;     /* (B, T, n_out) for MSE, else NULL */
    lsnn_real *y_weight;     /* (B, T) for MSE, else NULL */
    lsnn_real *w_target;     /* (B, max_windows, n_out) target of each window for RATE_MSE and
                              * RATE_HINGE (0/1 for the hinge), else NULL */
    double rate_zero, rate_one; /* RATE_HINGE borders: a 0 target must stay <= rate_zero, a 1
                                 * target reach rate_one */
    uint64_t noise_key;      /* key of the current-noise stream of this batch */
} lsnn_batch;

lsnn_status lsnn_batch_init(lsnn_batch *b, int B, int T, int n_in, int n_out,
                            lsnn_loss_kind loss, int max_windows);
/* A streamed batch: x holds x_nt < T steps at a time (the task fills the steps from b->x_t0 on,
 * see lsnn_task.streamed), so the memory of a run need not grow with the sequence length.
 * Only the forward step and e-prop read streamed batches; BPTT needs the whole sequence. */
lsnn_status lsnn_batch_init_streamed(lsnn_batch *b, int B, int T, int n_in, int n_out,
                                     lsnn_loss_kind loss, int max_windows, int x_nt);

/* The inputs of sequence g at step t (which must lie in the steps the batch holds). */
static inline const lsnn_real *lsnn_batch_x(const lsnn_batch *b, int g, int t)
{
    return b->x + ((size_t)g * b->x_nt + (size_t)(t - b->x_t0)) * b->n_in;
}
void lsnn_batch_free(lsnn_batch *b);

/* Recorded traces of sequence 0 (for `lsnn simulate` and the plots): each (T, n). */
typedef struct lsnn_trace {
    lsnn_real *v, *thr, *z;
} lsnn_trace;

typedef struct lsnn_sim lsnn_sim;

/* Workspace for a network and batches of at most B sequences of T steps. */
lsnn_sim *lsnn_sim_create(const lsnn_net *net, int B, int T, lsnn_status *status);
void lsnn_sim_free(lsnn_sim *sim);

/* Forward pass: y (B, T, n_out) readout; spike_count (n) total spikes per neuron over the batch
 * (may be NULL); trace (may be NULL) records sequence 0. Keeps what the backward pass needs. */
lsnn_status lsnn_sim_forward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                             lsnn_real *y, double *spike_count, lsnn_trace *trace);

/* BPTT after lsnn_sim_forward on the same batch: gy (B, T, n_out) = dL/dy; gz_const (n) a
 * derivative dL/dz_j added at every step of every sequence (rate regularisation), may be NULL.
 * Writes the gradient of every parameter into grad (n_params), overwriting it. */
lsnn_status lsnn_bptt_backward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                               const lsnn_real *gy, const lsnn_real *gz_const, lsnn_real *grad);

/* Records: the forward pass then also keeps the membrane potential of every step (4 or 8 bytes
 * per neuron, step and sequence: lsnn_sim_records_bytes), and the backward pass rebuilds each
 * segment from them with the neuron models' replay instead of re-simulating it (no spike
 * propagation, no input scan, no readout), with the same results. Enabled only when every
 * population's model has a replay and the records take at most max_bytes; returns 1 if
 * enabled, 0 if not (the workspace then stays as it was), LSNN_ERR_NOMEM (< 0) if the allocation
 * failed. Used only for hard spikes: in smooth mode the backward pass re-simulates as before. */
size_t lsnn_sim_records_bytes(const lsnn_sim *sim);
int lsnn_sim_enable_records(lsnn_sim *sim, const lsnn_net *net, size_t max_bytes);
/* 1 if the workspace keeps records. */
int lsnn_sim_has_records(const lsnn_sim *sim);
/* With on = 0, forward passes leave the records alone (a pass that no backward pass follows,
 * e.g. a validation, then does not pay for writing them) and the next backward pass
 * re-simulates; on = 1 (the default once enabled) writes them again. */
void lsnn_sim_set_recording(lsnn_sim *sim, int on);

/* Truncated BPTT, the reference that e-prop must equal: with cut != 0 the backward pass treats
 * the recurrent spikes arriving at a neuron (z_i(t-d) -> V_j(t)) as constants, so no gradient
 * flows back along recurrent synapses (weight gradients are still computed). Default 0. */
void lsnn_sim_set_cut_recurrent(lsnn_sim *sim, int cut);

#endif

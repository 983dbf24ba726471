/* lsnn/sim.h - simulating a batch of sequences and BPTT through it.
 *
 * The batch is cut into chunks of lsnn_chunk_size(B) sequences; chunks run in parallel (OpenMP)
 * and each writes its own partial results, which are summed in chunk order, so results do not
 * depend on the number of threads. The forward pass keeps the full network state only every K steps
 * (K ~ sqrt(T)); the backward pass recomputes one segment of K steps at a time from those
 * checkpoints, so memory grows as sqrt(T) instead of T. With records (lsnn_sim_enable_records)
 * it rebuilds the segment from the recorded membrane potentials instead, for B x T x n more
 * reals. lsnn_sim_begin/step/end run the same forward pass one step at a time, for inputs that
 * depend on earlier outputs (closed loop), and lsnn_sim_snapshot/restore save and put back the
 * network state mid-episode, so that a network can be probed and continued bit-identically. */
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
    LSNN_LOSS_RATE_HINGE = 4, /* hinge loss of the window-averaged readout against 0/1 targets
                               * with borders rate_zero, rate_one (seed 003 eq. 4.23) */
    LSNN_LOSS_POLICY = 5      /* reinforcement learning: the learning rule computes the loss
                               * from the episode it ran (lsnn/ppo.h); lsnn_loss_compute refuses
                               * it */
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

/* Recorded traces of sequence 0 (for `lsnn simulate` and the plots): each (T, n); of more
 * sequences with lsnn_sim_set_trace_sequences. */
typedef struct lsnn_trace {
    lsnn_real *v, *thr, *z;
} lsnn_trace;

typedef struct lsnn_sim lsnn_sim;

/* Workspace for a network and batches of at most B sequences of T steps. */
lsnn_sim *lsnn_sim_create(const lsnn_net *net, int B, int T, lsnn_status *status);
/* The same with chunks of `chunk` sequences instead of lsnn_chunk_size(B) (0: that size). Results
 * depend on the chunk size (the order of the partial sums), never on the thread count. */
lsnn_sim *lsnn_sim_create_chunked(const lsnn_net *net, int B, int T, int chunk,
                                  lsnn_status *status);
void lsnn_sim_free(lsnn_sim *sim);

/* Forward pass: y (B, T, n_out) readout; spike_count (n) total spikes per neuron over the batch
 * (may be NULL); trace (may be NULL) records sequence 0. Keeps what the backward pass needs. */
lsnn_status lsnn_sim_forward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                             lsnn_real *y, double *spike_count, lsnn_trace *trace);

/* Step-wise forward pass (closed loop).
 *
 * The same pass as lsnn_sim_forward, one step of every sequence at a time, so that the inputs of
 * step t may depend on the readout of the steps before (learning-to-learn, meta-RL):
 *
 *   lsnn_sim_begin(sim, net, batch);
 *   for (t = 0; t < T; t++) {
 *       write the inputs of step t of every sequence into lsnn_batch_x(batch, g, t);
 *       lsnn_sim_step(sim, net, batch, t, y, NULL);   (writes y rows (g, t, :))
 *   }
 *   lsnn_sim_end(sim, net, batch, spike_count);
 *
 * after which the batch holds every input of the episode and lsnn_bptt_backward runs on it as
 * after lsnn_sim_forward: y, the spike counts, the checkpoints, the records of v (when
 * lsnn_sim_enable_records is on) and hence the gradients are bit-identical to lsnn_sim_forward on
 * the same inputs. The current noise needs no recording: it is a pure function of
 * (batch->noise_key, sequence, step, neuron), so BPTT regenerates the noise the episode saw as
 * long as noise_key is unchanged. Each step runs the batch's chunks in parallel, as the forward
 * pass does.
 *
 * Contract: a batch of the whole sequence (not streamed) that fits the workspace; steps are
 * called in order 0, 1, ..., T-1, each once (a probe between lsnn_sim_snapshot and
 * lsnn_sim_restore excepted, below), with the batch given to lsnn_sim_begin; lsnn_sim_end only
 * after step T-1. The network (weights, delays, noise std, constants) must not change during an
 * episode. Whether v is recorded is decided at lsnn_sim_begin (lsnn_sim_set_recording). Until
 * lsnn_sim_end, lsnn_bptt_backward refuses the workspace; lsnn_sim_forward on the workspace ends
 * the episode (further steps are refused). Misuse returns LSNN_ERR_ARG or LSNN_ERR_SHAPE with a
 * message; the episode then stays where it was. */
lsnn_status lsnn_sim_begin(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch);
/* Step t of every sequence: reads the inputs of step t (and, through the delays, earlier ones
 * already consumed), writes the readout of step t into y (B, T, n_out) at rows (g, t) (y may be
 * NULL: no readout written). spike_count (n), may be NULL, receives the spikes per neuron over
 * the batch and the steps 0..t, summed in chunk order (at t = T-1 the totals of lsnn_sim_end). */
lsnn_status lsnn_sim_step(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch, int t,
                          lsnn_real *y, double *spike_count);
/* The spikes (0/1, n) of sequence g at the last step run of the open step-wise episode (after
 * lsnn_sim_step or lsnn_sim_restore; 0 before the first step). LSNN_ERR_ARG if g is outside
 * the batch of lsnn_sim_begin or no episode is open. */
lsnn_status lsnn_sim_spikes(const lsnn_sim *sim, int g, lsnn_real *z);
/* Closes the episode after step T-1: spike_count (n, may be NULL) receives the totals, as
 * lsnn_sim_forward's; the workspace is then ready for lsnn_bptt_backward on this batch. */
lsnn_status lsnn_sim_end(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                         double *spike_count);

/* The environment of lsnn_sim_run_closed_loop, called once per step t = 0..T-1 before the step:
 * y_prev (B, n_out) is the readout of step t-1 of every sequence (NULL at t = 0); x_t (B, n_in)
 * holds on entry the inputs the batch already has for step t (e.g. a task's), and the function
 * writes the inputs of step t there (all of them or some channels). Returns LSNN_OK, or an
 * error status (with lsnn_error) that stops the episode. */
typedef lsnn_status (*lsnn_sim_env_fn)(void *ctx, int t, const lsnn_real *y_prev,
                                       lsnn_real *x_t);
/* Runs a whole episode in closed loop: lsnn_sim_begin, then for every step env, the copy of x_t
 * into the batch and lsnn_sim_step, then lsnn_sim_end. y (B, T, n_out) is required; spike_count
 * (n) may be NULL. Afterwards the batch holds the inputs env wrote and lsnn_bptt_backward can
 * run. An error of env is returned with "closed loop: step t: " before its message, and leaves
 * no episode open (lsnn_sim_begin starts a new one). */
lsnn_status lsnn_sim_run_closed_loop(lsnn_sim *sim, const lsnn_net *net, lsnn_batch *batch,
                                     lsnn_sim_env_fn env, void *ctx, lsnn_real *y,
                                     double *spike_count);

/* A closed-loop episode whose sequences are independent of each other (each its own
 * environment), run chunk by chunk in parallel: fn(ctx, LSNN_SEQ_BEFORE, g0, bc, t) writes the
 * inputs of step t of the sequences g0 .. g0 + bc - 1 into the batch (lsnn_batch_x), the chunk
 * runs the step, and fn(ctx, LSNN_SEQ_AFTER, g0, bc, t) reads their readout y(t) (rows (g, t, :)
 * of y). The chunks run their steps on different threads at their own pace, so fn must touch only
 * the state of the sequences it is given. The same results as the step-wise loop (lsnn_sim_begin,
 * per step fn for all sequences and lsnn_sim_step, lsnn_sim_end) without a barrier per step.
 * Afterwards the episode is closed as by lsnn_sim_end (spike_count may be NULL) and
 * lsnn_bptt_backward can run. */
enum { LSNN_SEQ_BEFORE = 0, LSNN_SEQ_AFTER = 1 };
typedef void (*lsnn_sim_seq_fn)(void *ctx, int phase, int g0, int bc, int t);
lsnn_status lsnn_sim_run_sequences(lsnn_sim *sim, const lsnn_net *net, lsnn_batch *batch,
                                   lsnn_sim_seq_fn fn, void *ctx, lsnn_real *y,
                                   double *spike_count);

/* Snapshots of the network state during a step-wise episode.
 *
 * A snapshot holds the whole live state of the episode's sequences after the steps run so far:
 * membrane potentials, adaptation b (the thresholds), spikes z, refractory counters, the `hard`
 * threshold crossings, the delay ring buffers of future currents, the filtered readout, the spike
 * counts of every chunk, and the step position t (the next step to run). A trained network can
 * be probed: snapshot at t, run steps t, t+1, ... on hypothetical inputs, restore, and run step t
 * again with the real inputs; the continuation is bit-identical to a run without the probe (y,
 * spike counts, state and, after lsnn_sim_end, the BPTT gradient).
 *
 * Why the probe leaves nothing behind: a probe from t only writes what the steps >= t write:
 * the inputs of steps >= t in the batch (the caller writes the real ones again before each step,
 * as always), y rows of steps >= t (the caller may also give a probe another y), the BPTT
 * checkpoints k with k K >= t and the records of v of steps >= t. Restoring returns the episode
 * to position t, and lsnn_sim_end is accepted only after step T-1, so every one of those is
 * rewritten by the continuation, from the same state and inputs, before BPTT can read it; the
 * checkpoints and records of steps < t were never touched. The noise is counter-based and needs
 * no restoring.
 *
 * A state belongs to the workspace it was created for. It can be taken at any position 0..T of
 * an open episode (between lsnn_sim_begin and lsnn_sim_end) and restored into the same episode,
 * also after lsnn_sim_end and lsnn_bptt_backward (the episode is then open again at t, and BPTT
 * waits for the next lsnn_sim_end); a state of an earlier episode (before another lsnn_sim_begin
 * or lsnn_sim_forward) is refused, since the checkpoints of its steps < t are gone. */
typedef struct lsnn_sim_state lsnn_sim_state;
/* Room for the state of any batch the workspace takes; NULL with *status on failure. */
lsnn_sim_state *lsnn_sim_state_create(const lsnn_sim *sim, lsnn_status *status);
void lsnn_sim_state_free(lsnn_sim_state *state);
/* Copies the state of the open episode into state (created for this workspace). */
lsnn_status lsnn_sim_snapshot(const lsnn_sim *sim, lsnn_sim_state *state);
/* Puts the state back: the episode continues at lsnn_sim_state_step(state). */
lsnn_status lsnn_sim_restore(lsnn_sim *sim, const lsnn_sim_state *state);
/* The step position of a snapshot (the next step to run), -1 if it holds none. */
int lsnn_sim_state_step(const lsnn_sim_state *state);
/* 1 if a and b hold the same position and bit-identical states of the same number of sequences
 * (the workspaces may differ if their shapes agree), else 0. */
int lsnn_sim_state_equal(const lsnn_sim_state *a, const lsnn_sim_state *b);

/* BPTT after lsnn_sim_forward (or lsnn_sim_end) on the same batch: gy (B, T, n_out) = dL/dy; gz_const (n) a
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
 * failed. Used only for hard spikes: in smooth mode the backward pass re-simulates as before.
 * When the network has current noise and there is room (twice the bytes), the noise draws of
 * every step are recorded too, and BPTT reads them instead of drawing them again (the same
 * values). lsnn_sim_records_bytes: the bytes of the records of v, or, once enabled, of all the
 * records allocated. */
size_t lsnn_sim_records_bytes(const lsnn_sim *sim);
int lsnn_sim_enable_records(lsnn_sim *sim, const lsnn_net *net, size_t max_bytes);
/* 1 if the workspace keeps records. */
int lsnn_sim_has_records(const lsnn_sim *sim);
/* With on = 0, forward passes leave the records alone (a pass that no backward pass follows,
 * e.g. a validation, then does not pay for writing them) and the next backward pass
 * re-simulates; on = 1 (the default once enabled) writes them again. */
void lsnn_sim_set_recording(lsnn_sim *sim, int on);

/* How many sequences the trace of lsnn_sim_forward records: sequences 0 .. n-1 (clamped to
 * 1 .. B of the workspace), each array of the trace then (n, T, n_neurons), sequence g's step t
 * at ((g T + t) n_neurons). The default, 1, records sequence 0 as (T, n_neurons). */
void lsnn_sim_set_trace_sequences(lsnn_sim *sim, int n);

/* Truncated BPTT, the reference that e-prop must equal: with cut != 0 the backward pass treats
 * the recurrent spikes arriving at a neuron (z_i(t-d) -> V_j(t)) as constants, so no gradient
 * flows back along recurrent synapses (weight gradients are still computed). Default 0. */
void lsnn_sim_set_cut_recurrent(lsnn_sim *sim, int cut);

/* Spreads the chunks of lsnn_sim_forward and lsnn_bptt_backward over processes (lsnn/dist.h):
 * each process simulates and differentiates its own chunks, and the outputs y, the spike counts
 * and the gradient come back whole and bit-identical to one process's (the chunks' partial
 * results are exchanged and summed in chunk order). NULL (the default) or a one-process d: every
 * chunk here. d must outlive its use; every process must make the same calls. Step-wise episodes
 * and traces are not distributed. */
struct lsnn_dist;
void lsnn_sim_set_dist(lsnn_sim *sim, const struct lsnn_dist *d);

#endif

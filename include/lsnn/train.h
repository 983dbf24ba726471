/* lsnn/train.h - the training loop of one experiment: task, network, learning rule, optimizer.
 *
 * A trainer owns everything one run needs. Iteration i trains on the batch of stream
 * LSNN_STREAM_TRAIN starting at sequence i * batch_size, with current noise keyed by i, so a run
 * resumed from a checkpoint continues exactly as the uninterrupted run would have.
 * The model is the spiking network (cfg->model "lsnn") or a non-spiking baseline ("lstm",
 * "rnn"); both expose one flat parameter block (params, n_params) to the optimizer.
 *
 * Bidirectional networks (network.bidirectional, lsnn/network.h): the trainer feeds direction 0
 * the task's inputs and direction 1 the same sequence reversed over its supervised extent L (the
 * end of its last window, or the step after its last weighted MSE target; T when it has none):
 * direction 1 sees x(pi(t)) at step t with pi(t) = L - 1 - t for t < L and pi(t) = t after (pi is
 * its own inverse). The task's readout is y(t) = y0(t) + y1(pi(t)), the sum of the two output
 * blocks, and dL/dy reaches the blocks through the same permutation. The loss, metrics, plots and
 * `lsnn simulate` see y; the network's own arrays (spike counts, traces) cover both directions,
 * and lsnn_trainer_forward puts direction 1's traces back into the task's time order (its step
 * pi(t) shown at t), so that both directions line up with the input. */
#ifndef LSNN_TRAIN_H
#define LSNN_TRAIN_H

#include "lsnn/ann.h"
#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/deepr.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"

typedef struct lsnn_iter_stats {
    double loss, reg, metric;  /* metric: accuracy on the training batch */
    double rate_hz;            /* mean firing rate over neurons, batch and time */
    double grad_norm;
    long rewired;              /* synapses DEEP R removed and regrew in this iteration */
} lsnn_iter_stats;

/* Steps of input a streamed batch holds at a time (plus the longest delay). */
#define LSNN_STREAM_STEPS 256

typedef struct lsnn_trainer lsnn_trainer;

/* A model the trainer can hold (src/run/model.c): the spiking network ("lsnn"; with
 * network.bidirectional a variant that runs both directions), or a non-spiking baseline ("lstm",
 * "rnn"). The trainer and the learning rules call these instead of asking which model it is. */
typedef struct lsnn_model_ops {
    const char *name;          /* the config value of "model" */
    int spiking;               /* 1: tr->net (spiking network), 0: tr->ann */
    /* Builds the parameters from tr->cfg and tr->shape; sets params, n_params, n_units. */
    lsnn_status (*init)(lsnn_trainer *tr);
    /* Allocates the forward workspace (idempotent). */
    lsnn_status (*prepare)(lsnn_trainer *tr);
    /* Forward pass on b: readout into tr->y, spike counts into tr->count, traces of sequence 0. */
    lsnn_status (*forward)(lsnn_trainer *tr, const lsnn_batch *b, lsnn_trace *trace);
    /* After forward on b: the gradient of the loss whose dL/dy is in tr->gy (plus dL/dz = gz at
     * every step, may be NULL) into grad (n_params), overwritten. */
    lsnn_status (*backward)(lsnn_trainer *tr, const lsnn_batch *b, const lsnn_real *gz,
                            lsnn_real *grad);
    void (*free)(lsnn_trainer *tr);
    /* The tensors of a checkpoint: save and load (with the optimizer state when opt != NULL). */
    lsnn_status (*save)(const lsnn_trainer *tr, const char *path);
    lsnn_status (*load)(lsnn_trainer *tr, const char *path, lsnn_optim *opt);
    size_t (*count_params)(const lsnn_trainer *tr, int active_only);
    void (*trainable_mask)(const lsnn_trainer *tr, uint8_t *mask);
    /* Step-wise forward pass on tr->batch (closed loop, lsnn/sim.h): begin an episode, run
     * step t (the inputs of step t are in tr->batch, its readout goes to tr->y), end it (spike
     * counts into tr->count). NULL where the model has no step-wise form: the bidirectional
     * network (its direction 1 reads each sequence from its end) and the baselines. */
    lsnn_status (*episode_begin)(lsnn_trainer *tr);
    lsnn_status (*episode_step)(lsnn_trainer *tr, int t);
    lsnn_status (*episode_end)(lsnn_trainer *tr);
    /* A whole closed-loop episode of independent sequences (lsnn_sim_run_sequences), or NULL
     * where episode_step is. */
    lsnn_status (*episode_run)(lsnn_trainer *tr, lsnn_sim_seq_fn fn, void *ctx);
} lsnn_model_ops;

/* Model i of the table, NULL past the last; by name (bidirectional selects the two-direction
 * variant of a spiking model), NULL if unknown. */
const lsnn_model_ops *lsnn_model_at(int i);
const lsnn_model_ops *lsnn_model_find(const char *name, int bidirectional);

/* A learning rule (src/run/learner.c): "bptt", "eprop" or "ppo" (src/run/learner_ppo.c). */
typedef struct lsnn_learner_ops {
    const char *name;          /* the config value of "learning" */
    const char *title;         /* its name in messages: "BPTT", "e-prop" */
    int spiking_only;          /* 1: needs the spiking model */
    int streams;               /* 1: can run on streamed batches (tasks that declare streamed) */
    int backward;              /* 1: runs the model's backward pass after a forward pass (BPTT:
                                * the forward pass keeps records for it); 0: an online rule with
                                * its own workspace (e-prop) */
    lsnn_status (*init)(lsnn_trainer *tr);
    /* Fills tr->batch from `task` (state, stream, first sequence), runs the rule and writes the
     * gradient of loss + regularisation into grad (n_params) without applying it; lr gets the
     * loss and metrics, reg the batch-wide regularisation term (0 when off). */
    lsnn_status (*gradient)(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                            uint64_t stream, uint64_t first, lsnn_real *grad,
                            lsnn_loss_result *lr, double *reg);
    /* The same pass without gradients (validation, test); tr->pred gets the window predictions
     * when want_pred != 0. */
    lsnn_status (*eval_batch)(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                              uint64_t stream, uint64_t first, int want_pred,
                              lsnn_loss_result *lr);
    void (*free)(lsnn_trainer *tr);
} lsnn_learner_ops;

const lsnn_learner_ops *lsnn_learner_at(int i);
const lsnn_learner_ops *lsnn_learner_find(const char *name);

struct lsnn_trainer {
    lsnn_config cfg;
    const lsnn_task *task;
    void *task_state;          /* what task->open loaded (a data set), or NULL */
    lsnn_task_shape shape;
    const lsnn_model_ops *model;
    const lsnn_learner_ops *learner;
    lsnn_net net;
    lsnn_ann ann;
    lsnn_ann_work *aw;
    lsnn_real *params;         /* the trained parameters (net.params or ann.params) */
    size_t n_params;
    int n_units;               /* neurons of the network, or hidden units of a baseline */
    lsnn_optim_params optp;    /* cfg.optim, typed */
    lsnn_optim opt;
    int use_deepr;             /* cfg.deepr.enabled for the LSNN */
    lsnn_deepr deepr;
    long iteration;            /* iterations completed */
    lsnn_batch batch;
    int streamed;              /* e-prop on a streamed batch (memory independent of T) */
    lsnn_eprop *ep;
    void *rl;                  /* the reinforcement-learning rule's episode records (ppo) */
    lsnn_sim *sim;             /* BPTT / forward workspace (NULL under e-prop until prepared) */
    lsnn_real *y, *gy, *gz, *grad; /* y, gy: (B, T, n_out), allocated with sim */
    double *count;
    uint8_t *mask;
    int *pred;                 /* (B, max_windows + 1) window predictions */
    lsnn_batch xbatch;         /* (B, T, 2 n_in) inputs of both directions (net.n_dirs = 2) */
    lsnn_real *y2;             /* (B, T, 2 n_out) readout of both blocks; dL/dy of them after the
                                * loss */
    int *extent;               /* (B) supervised extent L of each sequence */
    /* Optional: called by lsnn_trainer_evaluate after each batch with the sequences done so far
     * and the total (a long evaluation can report progress). NULL (the default): not called. */
    void (*eval_progress)(void *ctx, long done, long total);
    void *eval_progress_ctx;
    /* Optional: called by lsnn_trainer_evaluate after each batch with the batch (b->B the
     * sequences of this batch, `first` the index of its first one) and the network's outputs
     * y (B, T, n_out), e.g. to collect per-window errors. NULL (the default): not called. */
    void (*eval_batch_done)(void *ctx, const lsnn_batch *b, long first, const lsnn_real *y);
    void *eval_batch_ctx;
    const struct lsnn_dist *dist; /* lsnn_trainer_set_dist, or NULL */
    int dist_ch;               /* sequences per chunk of the distributed passes */
};

/* The spiking network of cfg for a task of n_in inputs and n_out outputs, initialised from
 * cfg->seed: lsnn_net_init, or, when network.module names a trained module's checkpoint, the
 * network with that module embedded (lsnn_net_init_embedded; the file is read here). */
lsnn_status lsnn_net_from_config(lsnn_net *net, const lsnn_config *cfg, int n_in, int n_out);

/* Builds the task, the network (initialised from cfg->seed) and the optimizer. */
lsnn_status lsnn_trainer_init(lsnn_trainer *tr, const lsnn_config *cfg);
void lsnn_trainer_free(lsnn_trainer *tr);

/* Spreads the chunks of every batch (training and evaluation) over processes (lsnn/dist.h):
 * each process builds the same trainer from the same config, makes the same calls, and computes
 * only its own chunks; outputs, losses, spike counts and gradients are exchanged, so every
 * process holds the same bits as one process alone, and the updates stay identical. Needs model
 * "lsnn" (not bidirectional) trained by BPTT or e-prop, and a training batch that splits into
 * whole chunks, the same number per process (network chunk size: `chunk`, or automatic):
 * LSNN_ERR_CONFIG otherwise, with the numbers. d NULL or one process: undistributed. d must
 * outlive the trainer's use of it. */
struct lsnn_dist;
lsnn_status lsnn_trainer_set_dist(lsnn_trainer *tr, const struct lsnn_dist *d);

/* Makes sure the forward workspace (sim or ann work) and the readout y exist: trainers built
 * for e-prop skip them, and tools that record a trajectory (simulate, plot) call this first. */
lsnn_status lsnn_trainer_prepare_forward(lsnn_trainer *tr);

/* Forward pass of the model on tr->batch (already generated, after
 * lsnn_trainer_prepare_forward): the task's readout in tr->y
 * (B, T, n_out), spike counts in tr->count, and when trace is non-NULL the network's traces of
 * sequence 0 (lsnn_sim_forward). Handles bidirectional networks. */
lsnn_status lsnn_trainer_forward(lsnn_trainer *tr, lsnn_trace *trace);

/* BPTT on tr->batch as it stands (filled by the task or by hand): forward, loss into lr, the
 * rate regularisation term into reg (0 when off), and the gradient of their sum into tr->grad,
 * before L2, clipping and the optimizer. lsnn_trainer_step calls it after generating the batch. */
lsnn_status lsnn_trainer_gradient(lsnn_trainer *tr, lsnn_loss_result *lr, double *reg);

/* The gradient of one batch, not applied: the learning rule fills tr->batch from `task` (with
 * its state from task->open, or NULL) at sequences first .. first + batch_size - 1 of `stream`,
 * and writes the gradient of loss + regularisation into grad (n_params; tr->grad may be used).
 * The task is an argument, so that an outer loop can change tasks between batches (its shape
 * must equal the trainer's: n_in, n_out, T, loss kind and at most as many windows). stats
 * (may be NULL) gets loss, reg, metric and rate_hz. Gradients of batches of the same
 * parameters may be summed before one lsnn_trainer_apply (each is a mean over its batch). */
lsnn_status lsnn_trainer_compute_gradient(lsnn_trainer *tr, const lsnn_task *task,
                                          const void *task_state, uint64_t stream,
                                          uint64_t first, lsnn_real *grad,
                                          lsnn_iter_stats *stats);

/* A closed-loop episode on tr->batch (after lsnn_trainer_prepare_forward): begin, then for
 * t = 0 .. T-1 write the inputs of step t into tr->batch (lsnn_batch_x) and run the step, whose
 * readout y(t) is then in tr->y; end. The batch then holds every input of the episode (the
 * current noise is regenerated from batch.noise_key), so lsnn_trainer_backward can run BPTT over
 * it. tr->sim's lsnn_sim_snapshot/restore save and put back the network's state between steps
 * (probing a trained network on hypothetical inputs). LSNN_ERR_ARG for models without a
 * step-wise form. */
lsnn_status lsnn_trainer_episode_begin(lsnn_trainer *tr);
lsnn_status lsnn_trainer_episode_step(lsnn_trainer *tr, int t);
lsnn_status lsnn_trainer_episode_end(lsnn_trainer *tr);
/* The whole episode at once when its sequences are independent (each its own environment):
 * fn(ctx, LSNN_SEQ_BEFORE, g0, bc, t) writes the inputs of step t of sequences g0 .. g0 + bc - 1,
 * fn(ctx, LSNN_SEQ_AFTER, g0, bc, t) reads their y(t) in tr->y. The chunks run in parallel,
 * each at its own pace (lsnn_sim_run_sequences: fn must touch only the sequences it is given).
 * Same results as begin/step/end; LSNN_ERR_ARG for models without a step-wise form. */
lsnn_status lsnn_trainer_episode_run(lsnn_trainer *tr, lsnn_sim_seq_fn fn, void *ctx);

/* BPTT over the batch of the last forward pass or episode with the caller's dL/dy in tr->gy
 * (B, T, n_out) (e.g. a reinforcement-learning loss computed from the episode): the gradient
 * into grad (n_params), not applied. */
lsnn_status lsnn_trainer_backward(lsnn_trainer *tr, lsnn_real *grad);

/* Applies a gradient (n_params, modified: L2 term, clipping): L2 weight decay, clipping, the
 * optimizer step at the learning rate of the current iteration, DEEP R (when enabled), the
 * structural masks; then counts the iteration. stats (may be NULL) gets grad_norm and rewired. */
lsnn_status lsnn_trainer_apply(lsnn_trainer *tr, lsnn_real *grad, lsnn_iter_stats *stats);

/* One iteration: lsnn_trainer_compute_gradient on the trainer's own task and training stream
 * (batch `iteration`), then lsnn_trainer_apply. */
lsnn_status lsnn_trainer_step(lsnn_trainer *tr, lsnn_iter_stats *stats);

typedef struct lsnn_eval_result {
    double loss, metric, rate_hz;
    double rate_hz_hidden;     /* mean rate of the neurons before a rate readout's groups, or
                                  -1 (no rate readout, or no neurons before its groups) */
    long correct, total, sequences;
    long *confusion;           /* (n_out, n_out) true x predicted, if requested */
} lsnn_eval_result;

/* Checkpoint of the model, its optimizer state and iteration count (lsnn/checkpoint.h). */
lsnn_status lsnn_trainer_save(const lsnn_trainer *tr, const char *path);
/* Loads a checkpoint into a trainer built from the same config (optimizer state too when
 * with_optimizer != 0). */
lsnn_status lsnn_trainer_load(lsnn_trainer *tr, const char *path, int with_optimizer);

/* Parameter count: whole tensors (active_only = 0) or existing synapses. */
size_t lsnn_trainer_count_params(const lsnn_trainer *tr, int active_only);

/* Sequences in an evaluation stream: the data set's split size, or the config's val_size for
 * tasks that generate their data. */
int lsnn_trainer_eval_count(const lsnn_trainer *tr, uint64_t stream);

/* Evaluates on `count` sequences of `stream` (fresh data the network never trained on). If
 * confusion is non-NULL it receives an (n_out, n_out) matrix of counts. */
lsnn_status lsnn_trainer_evaluate(lsnn_trainer *tr, uint64_t stream, int count,
                                  lsnn_eval_result *out, long *confusion);

#endif

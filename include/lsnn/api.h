/* lsnn/api.h - a flat interface over opaque handles, for foreign-function interfaces.
 *
 * The Python package (python/lsnn, through ctypes) is written against this header only: every
 * argument is a handle, a number, a string or a pointer to an array in the caller's memory, so a
 * binding needs no knowledge of lsnn's structs. Conventions:
 *
 *   - every function that can fail returns an lsnn_status (0 = LSNN_OK) and leaves the message
 *     in lsnn_last_error() (lsnn/status.h); nothing is printed;
 *   - arrays are row-major lsnn_real (lsnn_api_real_bytes(): 4 in the product build, 8 in the
 *     double build), int32 or uint8, with the shapes given per function;
 *   - strings the library returns are freed with lsnn_api_free;
 *   - a config is JSON text (lsnn/config.h: docs/CONFIG.md); lsnn_api_config_normalize applies
 *     assignments, validates it and returns it with every key.
 *
 * A model (lsnn_api_model) is a trainer (lsnn/train.h) built from a config: the network of the
 * config, its optimizer, and its task, which fixes the shape of the batches lsnn_api_gradient
 * takes (B = batch_size sequences of the task's T steps). A network built without an experiment
 * has task "external" (lsnn/config.h), whose keys give that shape. lsnn_api_simulate and the
 * closed-loop stepping take any number of sequences and steps, in workspaces of their own. */
#ifndef LSNN_API_H
#define LSNN_API_H

#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/status.h"

#define LSNN_API_VERSION 1

typedef struct lsnn_api_model lsnn_api_model;
typedef struct lsnn_api_state lsnn_api_state;

/* LSNN_API_VERSION of the library (a binding checks it against its own). */
int lsnn_api_version(void);
/* sizeof(lsnn_real). */
int lsnn_api_real_bytes(void);
/* Frees a string returned by this interface. */
void lsnn_api_free(void *p);
/* OpenMP threads of the calls that follow (n >= 1); returns the number in use. */
int lsnn_api_set_threads(int n);

/* ---- configs ------------------------------------------------------------------------------- */

/* Parses json (over the defaults), applies the n assignments "dotted.key=value" in order,
 * validates, and returns in *out the full config as JSON (every key). origin names the text in
 * messages (a file name, or NULL: "config"). */
lsnn_status lsnn_api_config_normalize(const char *json, const char *origin,
                                      const char *const *assignments, int n, char **out);

/* ---- training runs (lsnn train) ---------------------------------------------------------- */

/* Called after every iteration with (in order) the iterations completed, the run's total, the
 * training batch's loss, metric and mean rate (Hz), whether a validation ran after this
 * iteration and its loss and metric, and the seconds since the start. A nonzero return stops
 * the run (lsnn_api_train then returns LSNN_ERR_ARG, "stopped by the caller"). */
typedef int (*lsnn_api_progress_fn)(void *ctx, long iteration, long iterations, double loss,
                                    double metric, double rate_hz, int validated,
                                    double val_loss, double val_metric, double seconds);
/* A training run of the config in directory dir, as `lsnn train CONFIG --out DIR [--resume]`
 * (lsnn/run.h: checkpoint, log.csv, result.json); fn may be NULL. *result_json (may be NULL)
 * receives the result object. */
lsnn_status lsnn_api_train(const char *json, const char *origin, const char *dir, int resume,
                           lsnn_api_progress_fn fn, void *ctx, char **result_json);

/* ---- models -------------------------------------------------------------------------------- */

/* A model initialised from the config's seed. */
lsnn_status lsnn_api_model_new(const char *json, const char *origin, lsnn_api_model **out);
/* A model from a checkpoint (its config, parameters, optimizer state and iteration). */
lsnn_status lsnn_api_model_load(const char *path, lsnn_api_model **out);
/* Writes a checkpoint (the same file as lsnn train writes), atomically. */
lsnn_status lsnn_api_model_save(const lsnn_api_model *m, const char *path);
void lsnn_api_model_free(lsnn_api_model *m);
/* The model's config as JSON (every key). */
lsnn_status lsnn_api_model_config(const lsnn_api_model *m, char **json);

/* Numbers describing a model, by index into lsnn_api_model_info's array. */
enum {
    LSNN_API_N_IN = 0,   /* input channels */
    LSNN_API_N_OUT,      /* readouts */
    LSNN_API_STEPS,      /* steps T of the task's batches */
    LSNN_API_NEURONS,    /* neurons (spiking models) or hidden units */
    LSNN_API_BATCH,      /* sequences of a training batch (batch_size) */
    LSNN_API_WINDOWS,    /* most classification windows per sequence */
    LSNN_API_LOSS,       /* lsnn_loss_kind of the task */
    LSNN_API_SPIKING,    /* 1: spiking network, 0: a non-spiking baseline */
    LSNN_API_PARAMS,     /* entries of the flat parameter block (and of a gradient) */
    LSNN_API_ITERATION,  /* optimizer steps taken */
    LSNN_API_STEPWISE,   /* 1: the model can be stepped in closed loop and simulated */
    LSNN_API_INFO_N
};
void lsnn_api_model_info(const lsnn_api_model *m, long *info /* LSNN_API_INFO_N */);

/* The tensors of the model's checkpoint (before the optimizer's), in file order: how many, and
 * tensor i's name (valid while the model lives), dtype (lsnn_dtype of lsnn/safetensors.h), data
 * pointer into the model, ndim (1 or 2) and shape. Writing through the pointer changes the
 * model; call lsnn_api_model_changed afterwards. */
int lsnn_api_model_n_tensors(const lsnn_api_model *m);
lsnn_status lsnn_api_model_tensor(lsnn_api_model *m, int i, const char **name, int *dtype,
                                  void **data, int *ndim, int64_t *shape /* 2 */);
/* The flat parameter block (LSNN_API_PARAMS entries, the order of a gradient). */
lsnn_real *lsnn_api_model_params(lsnn_api_model *m);
/* After parameters were written directly: recomputes the network's derived constants and
 * applies its structural masks and signs. */
lsnn_status lsnn_api_model_changed(lsnn_api_model *m);

/* ---- forward pass, gradients, updates ---------------------------------------------------- */

/* Simulates B sequences of T steps of inputs x (B, T, n_in) with frozen weights and the current
 * noise of key noise_key: the readout into y (B, T, n_out) and, each when non-NULL, the spikes
 * z, membrane potentials v and thresholds thr of every neuron (B, T, n). Spiking models of one
 * direction only (LSNN_API_STEPWISE). */
lsnn_status lsnn_api_simulate(lsnn_api_model *m, const lsnn_real *x, int B, int T,
                              uint64_t noise_key, lsnn_real *y, lsnn_real *z, lsnn_real *v,
                              lsnn_real *thr);

/* The gradient of the loss (+ the config's rate regularisation) on a batch of the caller, by
 * learning rule `rule` ("bptt", "eprop"; NULL or "": the config's): B = LSNN_API_BATCH
 * sequences of LSNN_API_STEPS steps, inputs x (B, T, n_in), and the targets of the task's loss:
 *   MSE losses: y_target (B, T, n_out) and y_weight (B, T) (NULL: every step weighs 1);
 *   window losses: n_windows (B) and windows (B, W, 3) int32 (t0, t1, label), W =
 *   LSNN_API_WINDOWS, and for the rate losses w_target (B, W, n_out).
 * grad receives LSNN_API_PARAMS entries (not applied); stats (may be NULL) 4 numbers: loss,
 * regularisation, metric, rate (Hz). The parameters are the model's; a rule other than the
 * config's runs in a second trainer that gets a copy of them. */
lsnn_status lsnn_api_gradient(lsnn_api_model *m, const char *rule, const lsnn_real *x,
                              const lsnn_real *y_target, const lsnn_real *y_weight,
                              const int32_t *n_windows, const int32_t *windows,
                              const lsnn_real *w_target, uint64_t noise_key, lsnn_real *grad,
                              double *stats);

/* Applies a gradient (LSNN_API_PARAMS entries, modified in place by clipping and L2) with the
 * config's optimizer, learning rate schedule, L2, clipping and DEEP R; counts the iteration.
 * stats (may be NULL): gradient norm, synapses rewired. */
lsnn_status lsnn_api_apply(lsnn_api_model *m, lsnn_real *grad, double *stats);

/* Fills the model's batch from its config's task (stream 1 training, 2 validation, 3 test;
 * sequences first ..) and points at its arrays, which stay valid until the next call on the
 * model: x (B, T, n_in), n_windows (B), windows (B, W, 3), y_target (B, T, n_out), y_weight
 * (B, T), w_target (B, W, n_out); the last three NULL when the loss has none. *noise_key gets
 * the batch's noise key. */
lsnn_status lsnn_api_task_batch(lsnn_api_model *m, int stream, long first, const lsnn_real **x,
                                const int32_t **n_windows, const int32_t **windows,
                                const lsnn_real **y_target, const lsnn_real **y_weight,
                                const lsnn_real **w_target, uint64_t *noise_key);

/* Evaluates on count sequences of stream (the config's task): out gets loss, metric, rate (Hz). */
lsnn_status lsnn_api_evaluate(lsnn_api_model *m, int stream, int count, double *out /* 3 */);

/* ---- closed-loop stepping ------------------------------------------------------------------ */

/* Starts an episode of B sequences and at most T steps (noise key noise_key), ending any
 * earlier one. lsnn_api_apply and lsnn_api_model_changed (the network changes) end an open
 * episode, and so do lsnn_api_gradient, lsnn_api_task_batch and lsnn_api_evaluate (they use the
 * trainer's batch) a trainable one: its next step is refused. Spiking models of one direction only. trainable != 0: the episode runs in the
 * model's trainer, on its batch (B and T must be LSNN_API_BATCH and LSNN_API_STEPS, the model
 * built for BPTT), so that after its T steps lsnn_api_backward gives the gradient of a loss of
 * the caller's (reinforcement learning from an environment written in the binding's language);
 * trainable = 0: in a workspace of any shape. */
lsnn_status lsnn_api_begin(lsnn_api_model *m, int B, int T, uint64_t noise_key, int trainable);
/* Runs the next step with inputs x_t (B, n_in): the readout into y_t (B, n_out), the spikes into
 * z_t (B, n) when non-NULL. Returns the step's index in *t (may be NULL). */
lsnn_status lsnn_api_step(lsnn_api_model *m, const lsnn_real *x_t, lsnn_real *y_t,
                          lsnn_real *z_t, int *t);
/* After all T steps of a trainable episode: BPTT through it with the caller's dL/dy (B, T, n_out)
 * into grad (LSNN_API_PARAMS entries, not applied; apply it with lsnn_api_apply). The episode
 * is then closed. */
lsnn_status lsnn_api_backward(lsnn_api_model *m, const lsnn_real *gy, lsnn_real *grad);
/* The state of the open episode (the next step to run and everything the network holds), to
 * put back with lsnn_api_restore; the continuation is then bit-identical. */
lsnn_status lsnn_api_snapshot(lsnn_api_model *m, lsnn_api_state **out);
lsnn_status lsnn_api_restore(lsnn_api_model *m, const lsnn_api_state *s);
/* The step a state continues at, -1 if it holds none. */
int lsnn_api_state_step(const lsnn_api_state *s);
/* 1 if two states hold the same bits. */
int lsnn_api_state_equal(const lsnn_api_state *a, const lsnn_api_state *b);
void lsnn_api_state_free(lsnn_api_state *s);

#endif

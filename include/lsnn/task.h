/* lsnn/task.h - experiments: what the network sees and what it must output.
 *
 * A task fills batches deterministically from (seed, stream, index of the first sequence): the
 * same triple always gives the same sequences, whatever the batch size or thread count. Training
 * uses stream LSNN_STREAM_TRAIN with index = iteration * batch_size (so a resumed run sees the
 * same data); validation uses the fixed stream LSNN_STREAM_VALID starting at 0. */
#ifndef LSNN_TASK_H
#define LSNN_TASK_H

#include <stdint.h>

#include "lsnn/config.h"
#include "lsnn/sim.h"

#define LSNN_STREAM_TRAIN 1u
#define LSNN_STREAM_VALID 2u
#define LSNN_STREAM_TEST 3u

typedef struct lsnn_task_shape {
    int n_in, n_out, T, max_windows;
    lsnn_loss_kind loss;
    const char *metric;      /* "accuracy" */
} lsnn_task_shape;

/* A named group of input channels [off, end), for figures: store-recall's "store", "recall",
 * "value 0", ...; the module tasks' "x0", "x1", ...; sequential MNIST's "pixels" and "cue". */
#define LSNN_TASK_GROUP_NAME 24
typedef struct lsnn_task_input_group {
    char name[LSNN_TASK_GROUP_NAME];
    int off, end;
} lsnn_task_input_group;

/* The environment of a closed-loop task (reinforcement learning): the inputs of a step depend
 * on the actions taken before it, so the batch cannot be generated ahead; a learning rule that
 * acts (`"learning": "ppo"`) runs one environment per sequence. */
typedef struct lsnn_env_ops {
    int n_actions;             /* continuous action components the policy draws */
    size_t size;               /* bytes of one episode's environment */
    /* Starts episode `index` of `stream` in env (size bytes). */
    void (*reset)(const lsnn_config *cfg, void *env, uint64_t seed, uint64_t stream,
                  uint64_t index);
    /* The inputs of step t (n_in values, written over x) from the environment's state: what it
     * shows after the actions of steps < t. */
    void (*observe)(const lsnn_config *cfg, void *env, int t, lsnn_real *x);
    /* The action of step t (n_actions values) applied; returns the reward it earns (which the
     * inputs of step t + 1 may show). */
    double (*act)(const lsnn_config *cfg, void *env, const double *a);
    /* The successes of the episode so far (goals reached), for the metric. */
    long (*score)(const void *env);
    /* What an analysis may record of the environment at a step: n_state values written by
     * state (the arena: the agent's x, y, the goal's x, y and the goals reached so far). */
    int n_state;
    void (*state)(const void *env, double *out);
} lsnn_env_ops;

typedef struct lsnn_task {
    const char *name;
    const char *description;
    lsnn_status (*shape)(const lsnn_config *cfg, lsnn_task_shape *out);
    /* Loads what the task needs once (a data set); may be NULL (nothing to load). The state is
     * read-only afterwards, so generate may be called from several threads. */
    lsnn_status (*open)(const lsnn_config *cfg, void **state);
    void (*close)(void *state);
    /* Fills the B sequences of b (already allocated with the task's shape). */
    lsnn_status (*generate)(const void *state, const lsnn_config *cfg, uint64_t seed,
                            uint64_t stream, uint64_t first, lsnn_batch *b);
    /* Number of sequences in a stream (validation/test sets of a data set), or 0 when the task
     * generates as many as asked (the config's val_size then applies). May be NULL. */
    long (*stream_size)(const void *state, const lsnn_config *cfg, uint64_t stream);
    /* 1: generate honours streamed batches (lsnn_batch_init_streamed): it fills x for steps
     * b->x_t0 .. b->x_t0 + b->x_nt - 1 only (zero past T), the same values as in a whole batch,
     * while windows and targets always cover the whole sequence. e-prop then runs in memory
     * independent of the sequence length. */
    int streamed;
    /* The groups of input channels under cfg, in channel order: writes them to out and returns
     * their count, or 0 when the task names no groups for this config or has more than cap. May
     * be NULL (no groups). */
    int (*input_groups)(const lsnn_config *cfg, lsnn_task_input_group *out, int cap);
    /* Closed-loop tasks: their environment (generate then refuses, naming the rule to use);
     * NULL for the tasks whose inputs are known ahead. */
    const lsnn_env_ops *env;
} lsnn_task;

/* Classification tasks (store_recall, smnist) under the rate readout (network.readout "rate",
 * seed 003 section 4.2): their loss is the squared error of the window-averaged rates
 * (LSNN_LOSS_RATE_MSE) against module.rate_scale Hz for the window's class and 0 for the others.
 * lsnn_task_class_loss gives the loss kind for the shape; lsnn_task_rate_targets fills the
 * targets of every window of b from its label (nothing when b has no w_target). */
lsnn_loss_kind lsnn_task_class_loss(const lsnn_config *cfg);
void lsnn_task_rate_targets(const lsnn_config *cfg, lsnn_batch *b);

/* Task by name, or NULL. */
const lsnn_task *lsnn_task_find(const char *name);
/* Task i of the registry (0, 1, ...), NULL past the last: lists the choices of the key task. */
const lsnn_task *lsnn_task_at(int i);

#endif

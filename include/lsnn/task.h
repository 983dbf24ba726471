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

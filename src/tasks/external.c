/* Task "external": the shape and loss of batches that the caller fills (lsnn/api.h, the Python
 * package), for a network built without an experiment. Its own generate refuses: the interface
 * hands the trainer a copy of the task whose generate copies the caller's arrays. */
#include <string.h>

#include "lsnn/task.h"

static lsnn_status lsnn__ext_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_external_config *c = &cfg->external;
    memset(out, 0, sizeof *out);
    out->n_in = c->inputs;
    out->n_out = c->outputs;
    out->T = c->steps;
    const int mse = strcmp(c->loss, "mse") == 0;
    out->max_windows = mse ? 0 : c->windows;
    out->loss = mse ? LSNN_LOSS_MSE : LSNN_LOSS_CE_WINDOW;
    out->metric = mse ? "mse" : "accuracy";
    return LSNN_OK;
}

static lsnn_status lsnn__ext_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                      uint64_t stream, uint64_t first, lsnn_batch *b)
{
    (void)state, (void)cfg, (void)seed, (void)stream, (void)first, (void)b;
    return lsnn_error(LSNN_ERR_ARG,
                      "task external: its batches come from the caller (the C interface "
                      "lsnn/api.h or the Python package); lsnn train and lsnn eval cannot run it");
}

const lsnn_task lsnn_task_external = {
    .name = "external",
    .description = "batches given by the caller (the Python package, lsnn/api.h)",
    .shape = lsnn__ext_shape,
    .generate = lsnn__ext_generate,
};

/* Registry of tasks: a new experiment is one file plus one line here. */
#include <string.h>

#include "lsnn/task.h"

extern const lsnn_task lsnn_task_store_recall;
extern const lsnn_task lsnn_task_smnist;
extern const lsnn_task lsnn_task_timit;
extern const lsnn_task lsnn_task_softmax;
extern const lsnn_task lsnn_task_kwta;
extern const lsnn_task lsnn_task_random;
extern const lsnn_task lsnn_task_l2l;
extern const lsnn_task lsnn_task_meta_rl;
extern const lsnn_task lsnn_task_external;

static const lsnn_task *const lsnn__tasks[] = {
    &lsnn_task_store_recall,
    &lsnn_task_smnist,
    &lsnn_task_timit,
    &lsnn_task_softmax,
    &lsnn_task_kwta,
    &lsnn_task_random,
    &lsnn_task_l2l,
    &lsnn_task_meta_rl,
    &lsnn_task_external,
};

const lsnn_task *lsnn_task_at(int i)
{
    return i >= 0 && i < (int)(sizeof lsnn__tasks / sizeof lsnn__tasks[0]) ? lsnn__tasks[i] : NULL;
}

const lsnn_task *lsnn_task_find(const char *name)
{
    for (size_t i = 0; i < sizeof lsnn__tasks / sizeof lsnn__tasks[0]; i++)
        if (strcmp(lsnn__tasks[i]->name, name) == 0)
            return lsnn__tasks[i];
    return NULL;
}

lsnn_loss_kind lsnn_task_class_loss(const lsnn_config *cfg)
{
    return strcmp(cfg->network.readout, "rate") == 0 ? LSNN_LOSS_RATE_MSE : LSNN_LOSS_CE_WINDOW;
}

void lsnn_task_rate_targets(const lsnn_config *cfg, lsnn_batch *b)
{
    if (!b->w_target)
        return;
    for (int s = 0; s < b->B; s++)
        for (int w = 0; w < b->n_windows[s]; w++) {
            const size_t q = (size_t)s * b->max_windows + w;
            lsnn_real *tg = b->w_target + q * b->n_out;
            for (int k = 0; k < b->n_out; k++)
                tg[k] = k == b->windows[q].label ? (lsnn_real)cfg->module.rate_scale : 0;
        }
}

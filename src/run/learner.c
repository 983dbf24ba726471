/* The learning rules a trainer can use (lsnn/train.h, lsnn_learner_ops): BPTT through any model,
 * e-prop (online, spiking network only), and PPO (closed-loop tasks; its functions are in
 * learner_ppo.c). `gradient` fills a batch from the task it is given,
 * runs the rule and writes the gradient of loss + regularisation into grad without applying it;
 * `eval_batch` runs the same pass without gradients, for validation and test streams. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/config_map.h"
#include "lsnn/dist.h"
#include "lsnn/eprop.h"
#include "lsnn/train.h"
#include "run/trainer_internal.h"

/* ------------------------------------------------------------------------------------------ */
/* The batch */

/* What a task sets for the whole batch: from process 0, whose first chunk starts the batch. */
typedef struct lsnn__batch_scalars {
    uint64_t noise_key;
    double rate_zero, rate_one;
    int loss, pad;
} lsnn__batch_scalars;

/* Fills tr->batch with sequences first .. first + B - 1 of `stream` (task->generate). In a
 * distributed pass (tr->dist) this process generates only the sequences of its own chunks (the
 * tasks are deterministic per sequence index), and the processes then exchange what the loss and
 * the learning signals need of the others' sequences: their windows, targets and weights, and
 * the batch's noise key and rate borders. The others' inputs are not needed here: they are set
 * to NaN. */
static lsnn_status lsnn__generate(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                                  uint64_t stream, uint64_t first)
{
    lsnn_batch *b = &tr->batch;
    const lsnn_dist *d = tr->dist;
    if (!d)
        return task->generate(state, &tr->cfg, tr->cfg.seed, stream, first, b);
    const int CH = tr->dist_ch, B = b->B, nch = (B + CH - 1) / CH;
    const int c0 = lsnn_dist_first(d->rank, nch, d->size);
    const int c1 = lsnn_dist_first(d->rank + 1, nch, d->size);
    const int g0 = c0 * CH < B ? c0 * CH : B, g1 = c1 * CH < B ? c1 * CH : B;
    lsnn_status st;
    lsnn__batch_scalars *hs = calloc((size_t)nch, sizeof *hs);
    if (!hs)
        return lsnn_error(LSNN_ERR_NOMEM, "trainer: out of memory (distributed batch)");
    if (g1 > g0) {
        lsnn_batch v = *b; /* a view of this process's rows */
        v.B = g1 - g0;
        v.x += (size_t)g0 * b->x_nt * b->n_in;
        v.n_windows += g0;
        v.windows += (size_t)g0 * b->max_windows;
        if (v.y_target)
            v.y_target += (size_t)g0 * b->T * b->n_out;
        if (v.y_weight)
            v.y_weight += (size_t)g0 * b->T;
        if (v.w_target)
            v.w_target += (size_t)g0 * b->max_windows * b->n_out;
        if ((st = task->generate(state, &tr->cfg, tr->cfg.seed, stream, first + (uint64_t)g0,
                                 &v))) {
            free(hs);
            return st;
        }
        for (int ci = c0; ci < c1; ci++)
            hs[ci] = (lsnn__batch_scalars){v.noise_key, v.rate_zero, v.rate_one, (int)v.loss, 0};
    }
    /* the others' inputs: NaN, so that a pass that read them by mistake could not go unseen */
    const size_t row = (size_t)b->x_nt * b->n_in;
    for (size_t k = 0; k < (size_t)g0 * row; k++)
        b->x[k] = (lsnn_real)NAN;
    for (size_t k = (size_t)g1 * row; k < (size_t)B * row; k++)
        b->x[k] = (lsnn_real)NAN;
    st = lsnn_dist_gather_rows(d, hs, sizeof *hs, nch, 1, nch);
    if (!st) {
        b->noise_key = hs[0].noise_key;
        b->rate_zero = hs[0].rate_zero;
        b->rate_one = hs[0].rate_one;
        b->loss = (lsnn_loss_kind)hs[0].loss;
    }
    free(hs);
    if (!st)
        st = lsnn_dist_gather_rows(d, b->n_windows, sizeof(int), nch, CH, B);
    if (!st)
        st = lsnn_dist_gather_rows(d, b->windows, sizeof(lsnn_window) * (size_t)b->max_windows,
                                   nch, CH, B);
    if (!st && b->y_target)
        st = lsnn_dist_gather_rows(d, b->y_target, sizeof(lsnn_real) * (size_t)b->T * b->n_out,
                                   nch, CH, B);
    if (!st && b->y_weight)
        st = lsnn_dist_gather_rows(d, b->y_weight, sizeof(lsnn_real) * (size_t)b->T, nch, CH, B);
    if (!st && b->w_target)
        st = lsnn_dist_gather_rows(d, b->w_target,
                                   sizeof(lsnn_real) * (size_t)b->max_windows * b->n_out, nch,
                                   CH, B);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* BPTT */

static lsnn_status bptt_init(lsnn_trainer *tr)
{
    return lsnn_trainer_prepare_forward(tr);
}

const lsnn_real *lsnn__rate_reg_grad(lsnn_trainer *tr, double *reg)
{
    const lsnn_config *cfg = &tr->cfg;
    const lsnn_batch *b = &tr->batch;
    *reg = 0;
    if (!(cfg->loss.rate_reg > 0 && tr->model->spiking))
        return NULL;
    /* "hidden": the neurons before the rate readout's groups (seed 003 eq. 4.10). */
    const int nr = strcmp(cfg->loss.rate_reg_neurons, "hidden") == 0
                       ? lsnn_net_rate_first(&tr->net)
                       : tr->net.n;
    for (int j = nr; j < tr->net.n; j++)
        tr->gz[j] = 0;
    *reg = nr > 0 ? lsnn_rate_reg(tr->count, nr, b->B, b->T, cfg->network.dt,
                                  cfg->loss.rate_target, cfg->loss.rate_reg, tr->gz)
                  : 0;
    return tr->gz;
}

/* Forward, loss, rate regularisation and backward on tr->batch as it stands. */
lsnn_status lsnn__bptt_batch(lsnn_trainer *tr, lsnn_real *grad, lsnn_loss_result *lr, double *reg)
{
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    *reg = 0;
    if ((st = tr->model->forward(tr, b, NULL)) || (st = lsnn_loss_compute(b, tr->y, tr->gy, lr)))
        return st;
    const lsnn_real *gz = lsnn__rate_reg_grad(tr, reg);
    return tr->model->backward(tr, b, gz, grad);
}

static lsnn_status bptt_gradient(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                                 uint64_t stream, uint64_t first, lsnn_real *grad,
                                 lsnn_loss_result *lr, double *reg)
{
    lsnn_status st = lsnn__generate(tr, task, state, stream, first);
    return st ? st : lsnn__bptt_batch(tr, grad, lr, reg);
}

static lsnn_status bptt_eval(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                             uint64_t stream, uint64_t first, int want_pred, lsnn_loss_result *lr)
{
    lsnn_batch *b = &tr->batch;
    lsnn_status st = lsnn__generate(tr, task, state, stream, first);
    if (!st && tr->sim) /* no backward pass follows: no records */
        lsnn_sim_set_recording(tr->sim, 0);
    if (!st)
        st = tr->model->forward(tr, b, NULL);
    if (tr->sim)
        lsnn_sim_set_recording(tr->sim, 1);
    if (!st)
        st = lsnn_loss_compute(b, tr->y, NULL, lr);
    if (!st && want_pred)
        lsnn_loss_predict(b, tr->y, tr->pred);
    return st;
}

static void bptt_free(lsnn_trainer *tr)
{
    (void)tr;
}

/* ------------------------------------------------------------------------------------------ */
/* e-prop */

static lsnn_status eprop_init(lsnn_trainer *tr)
{
    /* e-prop needs neither the BPTT workspace nor the (B, T, n_out) readout: its memory does
     * not grow with the sequence length. */
    lsnn_eprop_opts eo;
    lsnn_status st = lsnn_eprop_opts_from_config(&tr->cfg, &eo);
    if (st)
        return st;
    tr->ep = lsnn_eprop_create(&tr->net, tr->cfg.batch_size, &eo, tr->cfg.seed, &st);
    return tr->ep ? LSNN_OK : st;
}

/* One e-prop pass over the batch of `stream` starting at sequence `first` (generated here;
 * piece by piece when the batch is streamed). grad NULL: evaluation only. */
static lsnn_status eprop_pass(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                              uint64_t stream, uint64_t first, lsnn_real *grad, int *pred,
                              lsnn_loss_result *lr)
{
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    b->x_t0 = 0;
    if ((st = lsnn__generate(tr, task, state, stream, first)))
        return st;
    if (!tr->streamed)
        return lsnn_eprop_run(tr->ep, &tr->net, b, grad, NULL, tr->count, pred, lr);
    if ((st = lsnn_eprop_begin(tr->ep, &tr->net, b, grad != NULL)))
        return st;
    for (int t0 = 0; t0 < b->T;) {
        int need0 = t0 - tr->net.max_delay + 1;
        need0 = need0 < 0 ? 0 : need0;
        if (need0 != b->x_t0) {
            b->x_t0 = need0;
            if ((st = lsnn__generate(tr, task, state, stream, first)))
                return st;
        }
        int t1 = b->x_t0 + b->x_nt < b->T ? b->x_t0 + b->x_nt : b->T;
        if ((st = lsnn_eprop_advance(tr->ep, &tr->net, b, t1, NULL, pred)))
            return st;
        t0 = t1;
    }
    return lsnn_eprop_end(tr->ep, &tr->net, b, grad, tr->count, lr);
}

static lsnn_status eprop_gradient(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                                  uint64_t stream, uint64_t first, lsnn_real *grad,
                                  lsnn_loss_result *lr, double *reg)
{
    *reg = 0; /* the online rate regularisation is part of e-prop's gradient */
    return eprop_pass(tr, task, state, stream, first, grad, NULL, lr);
}

static lsnn_status eprop_eval(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                              uint64_t stream, uint64_t first, int want_pred,
                              lsnn_loss_result *lr)
{
    (void)want_pred; /* the pass fills the predictions anyway */
    return eprop_pass(tr, task, state, stream, first, NULL, tr->pred, lr);
}

static void eprop_free(lsnn_trainer *tr)
{
    lsnn_eprop_free(tr->ep);
    tr->ep = NULL;
}

/* ------------------------------------------------------------------------------------------ */

static const lsnn_learner_ops lsnn__learners[] = {
    {"bptt", "BPTT", 0, 0, 1, bptt_init, bptt_gradient, bptt_eval, bptt_free},
    {"eprop", "e-prop", 1, 1, 0, eprop_init, eprop_gradient, eprop_eval, eprop_free},
    {"ppo", "PPO", 1, 0, 1, lsnn__ppo_init, lsnn__ppo_gradient, lsnn__ppo_eval, lsnn__ppo_free},
};
#define LSNN__N_LEARNERS (int)(sizeof lsnn__learners / sizeof lsnn__learners[0])

const lsnn_learner_ops *lsnn_learner_at(int i)
{
    return i >= 0 && i < LSNN__N_LEARNERS ? &lsnn__learners[i] : NULL;
}

const lsnn_learner_ops *lsnn_learner_find(const char *name)
{
    for (int i = 0; i < LSNN__N_LEARNERS; i++)
        if (strcmp(lsnn__learners[i].name, name) == 0)
            return &lsnn__learners[i];
    return NULL;
}

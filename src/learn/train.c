/* The training loop (see lsnn/train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/train.h"

lsnn_status lsnn_trainer_init(lsnn_trainer *tr, const lsnn_config *cfg)
{
    memset(tr, 0, sizeof *tr);
    tr->cfg = *cfg;
    lsnn_status st = lsnn_config_validate(cfg, "config");
    if (st)
        return st;
    if (strcmp(cfg->learning, "bptt") != 0)
        return lsnn_error(LSNN_ERR_UNSUPPORTED, "learning: '%s' is not available yet (use \"bptt\")",
                          cfg->learning);
    tr->task = lsnn_task_find(cfg->task);
    if (!tr->task)
        return lsnn_error(LSNN_ERR_CONFIG, "task: unknown task '%s'", cfg->task);
    if ((st = tr->task->shape(cfg, &tr->shape)))
        return st;
    if (tr->task->open && (st = tr->task->open(cfg, &tr->task_state)))
        goto fail;
    if ((st = lsnn_net_init(&tr->net, &cfg->network, tr->shape.n_in, tr->shape.n_out, cfg->seed)))
        goto fail;
    if ((st = lsnn_optim_init(&tr->opt, &cfg->optim, tr->net.n_params)))
        goto fail;
    if ((st = lsnn_batch_init(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                              tr->shape.n_out, tr->shape.loss, tr->shape.max_windows)))
        goto fail;
    tr->sim = lsnn_sim_create(&tr->net, cfg->batch_size, tr->shape.T, &st);
    if (!tr->sim)
        goto fail;
    size_t ny = (size_t)cfg->batch_size * tr->shape.T * tr->shape.n_out;
    tr->y = malloc(sizeof(lsnn_real) * ny);
    tr->gy = malloc(sizeof(lsnn_real) * ny);
    tr->gz = malloc(sizeof(lsnn_real) * tr->net.n);
    tr->grad = malloc(sizeof(lsnn_real) * tr->net.n_params);
    tr->count = malloc(sizeof(double) * tr->net.n);
    tr->mask = malloc(tr->net.n_params);
    if (!tr->y || !tr->gy || !tr->gz || !tr->grad || !tr->count || !tr->mask) {
        st = lsnn_error(LSNN_ERR_NOMEM, "trainer: out of memory");
        goto fail;
    }
    lsnn_net_trainable_mask(&tr->net, tr->mask);
    return LSNN_OK;
fail:
    lsnn_trainer_free(tr);
    return st;
}

void lsnn_trainer_free(lsnn_trainer *tr)
{
    if (tr->task && tr->task->close && tr->task_state)
        tr->task->close(tr->task_state);
    lsnn_sim_free(tr->sim);
    lsnn_batch_free(&tr->batch);
    lsnn_optim_free(&tr->opt);
    lsnn_net_free(&tr->net);
    free(tr->y);
    free(tr->gy);
    free(tr->gz);
    free(tr->grad);
    free(tr->count);
    free(tr->mask);
    memset(tr, 0, sizeof *tr);
}

static double lsnn__mean_rate_hz(const double *count, int n, int B, int T, double dt)
{
    double s = 0;
    for (int j = 0; j < n; j++)
        s += count[j];
    return s / ((double)n * B * T) * 1000.0 / dt;
}

lsnn_status lsnn_trainer_step(lsnn_trainer *tr, lsnn_iter_stats *stats)
{
    const lsnn_config *cfg = &tr->cfg;
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    uint64_t first = (uint64_t)tr->iteration * (uint64_t)cfg->batch_size;
    if ((st = tr->task->generate(tr->task_state, cfg, cfg->seed, LSNN_STREAM_TRAIN, first, b)))
        return st;
    if ((st = lsnn_sim_forward(tr->sim, &tr->net, b, tr->y, tr->count, NULL)))
        return st;
    lsnn_loss_result lr;
    if ((st = lsnn_loss_compute(b, tr->y, tr->gy, &lr)))
        return lsnn_error(st, "iteration %ld: %s", tr->iteration + 1, lsnn_last_error());
    double reg = 0;
    const lsnn_real *gz = NULL;
    if (cfg->loss.rate_reg > 0) {
        reg = lsnn_rate_reg(tr->count, tr->net.n, b->B, b->T, cfg->network.dt,
                            cfg->loss.rate_target, cfg->loss.rate_reg, tr->gz);
        gz = tr->gz;
    }
    if ((st = lsnn_bptt_backward(tr->sim, &tr->net, b, tr->gy, gz, tr->grad)))
        return st;
    double norm = lsnn_grad_clip(tr->grad, tr->mask, tr->net.n_params, cfg->optim.clip_norm);
    if (!isfinite(norm))
        return lsnn_error(LSNN_ERR_NUMERIC,
                          "iteration %ld: the gradient is not finite (try a smaller lr)",
                          tr->iteration + 1);
    double lr_now = lsnn_lr_at(cfg->lr, &cfg->optim, tr->iteration);
    lsnn_optim_step(&tr->opt, tr->net.params, tr->grad, tr->mask, lr_now);
    lsnn_net_apply_masks(&tr->net);
    tr->iteration++;
    if (stats) {
        stats->loss = lr.loss;
        stats->reg = reg;
        stats->metric = lr.total ? (double)lr.correct / lr.total : 0;
        stats->rate_hz = lsnn__mean_rate_hz(tr->count, tr->net.n, b->B, b->T, cfg->network.dt);
        stats->grad_norm = norm;
    }
    return LSNN_OK;
}

int lsnn_trainer_eval_count(const lsnn_trainer *tr, uint64_t stream)
{
    long n = tr->task->stream_size ? tr->task->stream_size(tr->task_state, &tr->cfg, stream) : 0;
    return n > 0 ? (int)n : tr->cfg.store_recall.val_size;
}

lsnn_status lsnn_trainer_evaluate(lsnn_trainer *tr, uint64_t stream, int count,
                                  lsnn_eval_result *out, long *confusion)
{
    const lsnn_config *cfg = &tr->cfg;
    memset(out, 0, sizeof *out);
    const int n_out = tr->net.n_out;
    if (confusion)
        memset(confusion, 0, sizeof(long) * n_out * n_out);
    int *pred = malloc(sizeof(int) * (size_t)cfg->batch_size * (tr->batch.max_windows + 1));
    if (!pred)
        return lsnn_error(LSNN_ERR_NOMEM, "evaluate: out of memory");
    double loss_sum = 0, spikes = 0, steps = 0;
    lsnn_status st = LSNN_OK;
    for (int done = 0; done < count;) {
        lsnn_batch *b = &tr->batch;
        int full = b->B;
        b->B = count - done < full ? count - done : full;
        st = tr->task->generate(tr->task_state, cfg, cfg->seed, stream, (uint64_t)done, b);
        if (!st)
            st = lsnn_sim_forward(tr->sim, &tr->net, b, tr->y, tr->count, NULL);
        lsnn_loss_result lr = {0};
        if (!st)
            st = lsnn_loss_compute(b, tr->y, NULL, &lr);
        if (!st && confusion) {
            lsnn_loss_predict(b, tr->y, pred);
            for (int s = 0; s < b->B; s++)
                for (int w = 0; w < b->n_windows[s]; w++) {
                    const lsnn_window *win = &b->windows[(size_t)s * b->max_windows + w];
                    confusion[win->label * n_out + pred[(size_t)s * b->max_windows + w]]++;
                }
        }
        int bb = b->B;
        b->B = full;
        if (st)
            break;
        loss_sum += lr.loss * (lr.total ? lr.total : bb);
        out->correct += lr.correct;
        out->total += lr.total;
        for (int j = 0; j < tr->net.n; j++)
            spikes += tr->count[j];
        steps += (double)bb * b->T;
        done += bb;
    }
    free(pred);
    if (st)
        return st;
    out->sequences = count;
    out->loss = loss_sum / (out->total ? (double)out->total : (double)count);
    out->metric = out->total ? (double)out->correct / out->total : 0;
    out->rate_hz = spikes / (steps * tr->net.n) * 1000.0 / cfg->network.dt;
    return LSNN_OK;
}

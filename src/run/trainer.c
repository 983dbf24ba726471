/* The trainer (see lsnn/train.h): a run's state, built from a config; the gradient of a batch
 * through its learning rule (learner.c) and model (model.c), and its application (clipping,
 * optimizer, DEEP R, masks); evaluation, checkpoints, closed-loop episodes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config_map.h"
#include "lsnn/dist.h"
#include "lsnn/eprop.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"
#include "run/trainer_internal.h"

lsnn_status lsnn_net_from_config(lsnn_net *net, const lsnn_config *cfg, int n_in, int n_out)
{
    memset(net, 0, sizeof *net);
    if (!cfg->network.module[0])
        return lsnn_net_init(net, &cfg->network, n_in, n_out, cfg->seed);
    /* seed 003 section 4.2: the module as trained (its own config and checkpoint), embedded. */
    const char *path = cfg->network.module;
    lsnn_config mc;
    lsnn_status st = lsnn_checkpoint_read_config(path, &mc);
    if (st)
        return lsnn_error(st, "network.module: %s", lsnn_last_error());
    const lsnn_task *mt = lsnn_task_find(mc.task);
    lsnn_task_shape ms;
    if (!mt || (strcmp(mc.task, "softmax") != 0 && strcmp(mc.task, "kwta") != 0))
        return lsnn_error(LSNN_ERR_CONFIG,
                          "network.module: %s holds a model of task '%s'; a module is a spiking "
                          "network trained on task softmax or kwta",
                          path, mc.task);
    if ((st = mt->shape(&mc, &ms)))
        return lsnn_error(st, "network.module: %s: %s", path, lsnn_last_error());
    if (ms.n_out != n_out)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "network.module: %s has %d outputs, but task '%s' needs %d", path,
                          ms.n_out, cfg->task, n_out);
    if (strcmp(mc.task, "softmax") == 0 && mc.module.rate_scale != cfg->module.rate_scale)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "module.rate_scale: %g, but the module %s was trained to output rates "
                          "up to %g Hz (set module.rate_scale to that)",
                          cfg->module.rate_scale, path, mc.module.rate_scale);
    lsnn_net mod;
    if ((st = lsnn_net_init(&mod, &mc.network, ms.n_in, ms.n_out, mc.seed)))
        return lsnn_error(st, "network.module: %s: %s", path, lsnn_last_error());
    if ((st = lsnn_checkpoint_load(path, &mod, NULL, NULL))) {
        lsnn_net_free(&mod);
        return lsnn_error(st, "network.module: %s", lsnn_last_error());
    }
    st = lsnn_net_init_embedded(net, &cfg->network, n_in, cfg->seed, &mod);
    lsnn_net_free(&mod);
    if (st)
        lsnn_error_prefix(path);
    return st;
}

lsnn_status lsnn_trainer_init(lsnn_trainer *tr, const lsnn_config *cfg)
{
    memset(tr, 0, sizeof *tr);
    tr->cfg = *cfg;
    lsnn_status st = lsnn_config_validate(cfg, "config");
    if (st)
        return st;
    /* The validated config names registered entries (its choices come from the registries). */
    tr->learner = lsnn_learner_find(cfg->learning);
    tr->model = lsnn_model_find(cfg->model, cfg->network.bidirectional);
    if (!tr->model) /* "alstm": a valid config value, but not a model of the trainer */
        return lsnn_error(LSNN_ERR_UNSUPPORTED, "model \"%s\" is trained online by its own "
                          "loop (`lsnn train`, lsnn/alstm_run.h), not by the trainer", cfg->model);
    tr->task = lsnn_task_find(cfg->task);
    if ((st = tr->task->shape(cfg, &tr->shape)))
        return st;
    if (tr->task->open && (st = tr->task->open(cfg, &tr->task_state)))
        goto fail;
    if ((st = tr->model->init(tr)))
        goto fail;
    if ((st = lsnn_optim_params_from_config(&cfg->optim, &tr->optp)) ||
        (st = lsnn_optim_init(&tr->opt, &tr->optp, tr->n_params)))
        goto fail;
    if (cfg->deepr.enabled) { /* on the spiking model: lsnn_config_validate */
        lsnn_deepr_params dp;
        lsnn_deepr_params_from_config(&cfg->deepr, &dp);
        if ((st = lsnn_deepr_init(&tr->deepr, &dp, &tr->net, cfg->network.global_connectivity,
                                  cfg->seed)))
            goto fail;
        tr->use_deepr = 1;
    }
    /* A rule that streams, on a task that can stream its inputs, holds LSNN_STREAM_STEPS steps
     * of them at a time (plus the longest delay), so its memory does not grow with T. */
    tr->streamed = tr->learner->streams && tr->task->streamed && tr->shape.T > LSNN_STREAM_STEPS;
    if (tr->streamed)
        st = lsnn_batch_init_streamed(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                                      tr->shape.n_out, tr->shape.loss, tr->shape.max_windows,
                                      LSNN_STREAM_STEPS + cfg->network.max_delay - 1);
    else
        st = lsnn_batch_init(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                             tr->shape.n_out, tr->shape.loss, tr->shape.max_windows);
    if (st || (st = tr->learner->init(tr)))
        goto fail;
    tr->gz = malloc(sizeof(lsnn_real) * tr->n_units);
    tr->grad = malloc(sizeof(lsnn_real) * tr->n_params);
    tr->count = calloc(tr->n_units, sizeof(double));
    tr->mask = malloc(tr->n_params);
    tr->pred = malloc(sizeof(int) * (size_t)cfg->batch_size * (tr->shape.max_windows + 1));
    if (!tr->gz || !tr->grad || !tr->count || !tr->mask || !tr->pred) {
        st = lsnn_error(LSNN_ERR_NOMEM, "trainer: out of memory");
        goto fail;
    }
    tr->model->trainable_mask(tr, tr->mask);
    return LSNN_OK;
fail:
    lsnn_trainer_free(tr);
    return st;
}

lsnn_status lsnn_trainer_prepare_forward(lsnn_trainer *tr)
{
    const lsnn_config *cfg = &tr->cfg;
    lsnn_status st = LSNN_OK;
    if (tr->streamed) { /* the whole-sequence tools need whole inputs */
        lsnn_batch_free(&tr->batch);
        tr->streamed = 0;
        if ((st = lsnn_batch_init(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                                  tr->shape.n_out, tr->shape.loss, tr->shape.max_windows)))
            return st;
    }
    if ((st = tr->model->prepare(tr)))
        return st;
    size_t ny = (size_t)cfg->batch_size * tr->shape.T * tr->shape.n_out;
    if (!tr->y)
        tr->y = malloc(sizeof(lsnn_real) * ny);
    if (!tr->gy)
        tr->gy = malloc(sizeof(lsnn_real) * ny);
    if (!tr->y || !tr->gy)
        return lsnn_error(LSNN_ERR_NOMEM, "trainer: cannot allocate the readout of %d x %d steps",
                          cfg->batch_size, tr->shape.T);
    return LSNN_OK;
}

void lsnn_trainer_free(lsnn_trainer *tr)
{
    if (tr->task && tr->task->close && tr->task_state)
        tr->task->close(tr->task_state);
    if (tr->learner)
        tr->learner->free(tr);
    if (tr->model)
        tr->model->free(tr);
    lsnn_batch_free(&tr->batch);
    lsnn_optim_free(&tr->opt);
    lsnn_deepr_free(&tr->deepr);
    free(tr->y);
    free(tr->gy);
    free(tr->gz);
    free(tr->grad);
    free(tr->count);
    free(tr->mask);
    free(tr->pred);
    memset(tr, 0, sizeof *tr);
}

lsnn_status lsnn_trainer_set_dist(lsnn_trainer *tr, const lsnn_dist *d)
{
    const lsnn_config *cfg = &tr->cfg;
    const int B = cfg->batch_size;
    /* e-prop's workspace takes the automatic chunk size; BPTT's honours `chunk` */
    const int eprop = strcmp(cfg->learning, "eprop") == 0;
    const int CH = cfg->chunk && !eprop ? (cfg->chunk < B ? cfg->chunk : B) : lsnn_chunk_size(B);
    if (d && d->size > 1) {
        if (!tr->model->spiking || tr->net.n_dirs > 1 ||
            (strcmp(cfg->learning, "bptt") != 0 && !eprop))
            return lsnn_error(LSNN_ERR_CONFIG,
                              "distributed training: model \"%s\"%s with learning \"%s\" is not "
                              "split across processes (model \"lsnn\", one direction, learning "
                              "\"bptt\" or \"eprop\" are)",
                              cfg->model, tr->net.n_dirs > 1 ? " (bidirectional)" : "",
                              cfg->learning);
        const int nch = (B + CH - 1) / CH;
        if (nch % d->size != 0)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "distributed training: batch_size %d makes %d chunks of %d "
                              "sequences, which %d processes cannot share equally (%s so that "
                              "the number of chunks is a multiple of %d, or use another number "
                              "of processes)",
                              B, nch, CH, d->size,
                              eprop ? "e-prop's chunks have the automatic size: choose "
                                      "batch_size"
                                    : "set `chunk` or batch_size",
                              d->size);
    }
    tr->dist = d && d->size > 1 ? d : NULL;
    tr->dist_ch = CH;
    if (tr->sim)
        lsnn_sim_set_dist(tr->sim, tr->dist);
    if (tr->ep)
        lsnn_eprop_set_dist(tr->ep, tr->dist);
    return LSNN_OK;
}

static int lsnn__forward_ready(const lsnn_trainer *tr)
{
    return tr->y && (tr->model->spiking ? tr->sim != NULL : tr->aw != NULL);
}

lsnn_status lsnn_trainer_forward(lsnn_trainer *tr, lsnn_trace *trace)
{
    if (!lsnn__forward_ready(tr))
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_prepare_forward must run before "
                                        "lsnn_trainer_forward");
    return tr->model->forward(tr, &tr->batch, trace);
}

static lsnn_status lsnn__stepwise(const lsnn_trainer *tr)
{
    if (!tr->model->episode_step)
        return lsnn_error(LSNN_ERR_ARG,
                          "trainer: model '%s'%s has no step-wise (closed-loop) form", tr->cfg.model,
                          tr->cfg.network.bidirectional ? " (bidirectional)" : "");
    if (!lsnn__forward_ready(tr))
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_prepare_forward must run before "
                                        "a closed-loop episode");
    return LSNN_OK;
}

lsnn_status lsnn_trainer_episode_begin(lsnn_trainer *tr)
{
    lsnn_status st = lsnn__stepwise(tr);
    return st ? st : tr->model->episode_begin(tr);
}

lsnn_status lsnn_trainer_episode_step(lsnn_trainer *tr, int t)
{
    lsnn_status st = lsnn__stepwise(tr);
    return st ? st : tr->model->episode_step(tr, t);
}

lsnn_status lsnn_trainer_episode_end(lsnn_trainer *tr)
{
    lsnn_status st = lsnn__stepwise(tr);
    return st ? st : tr->model->episode_end(tr);
}

lsnn_status lsnn_trainer_episode_run(lsnn_trainer *tr, lsnn_sim_seq_fn fn, void *ctx)
{
    lsnn_status st = lsnn__stepwise(tr);
    if (!st && !tr->model->episode_run)
        st = lsnn_error(LSNN_ERR_ARG, "trainer: model '%s' has no closed-loop episode run",
                        tr->cfg.model);
    return st ? st : tr->model->episode_run(tr, fn, ctx);
}

lsnn_status lsnn_trainer_backward(lsnn_trainer *tr, lsnn_real *grad)
{
    if (!lsnn__forward_ready(tr))
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_backward needs a forward pass or "
                                        "an episode first");
    return tr->model->backward(tr, &tr->batch, NULL, grad);
}

static double lsnn__mean_rate_hz(const double *count, int n, int B, int T, double dt)
{
    double s = 0;
    for (int j = 0; j < n; j++)
        s += count[j];
    return s / ((double)n * B * T) * 1000.0 / dt;
}

lsnn_status lsnn_trainer_gradient(lsnn_trainer *tr, lsnn_loss_result *lr, double *reg)
{
    if (!tr->learner->backward || !tr->y)
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_gradient needs a BPTT trainer");
    return lsnn__bptt_batch(tr, tr->grad, lr, reg);
}

/* What a numerical failure in iteration tr->iteration + 1 points to: before the first update the
 * settings (the weights have not moved), after it the weights that training produced. */
static const char *lsnn__numeric_hint(const lsnn_trainer *tr)
{
    return tr->opt.step == 0
               ? " (before any update: the network, loss or initialisation settings make the "
                 "first pass overflow, e.g. network.w0, b0, beta, tau_a or loss weights)"
               : " (the weights diverged: try a smaller lr or optimizer.clip_norm)";
}

/* 0 if a batch of `task` fits the trainer's batch and model. */
static lsnn_status lsnn__check_task(const lsnn_trainer *tr, const lsnn_task *task)
{
    if (task == tr->task)
        return LSNN_OK;
    lsnn_task_shape s;
    lsnn_status st = task->shape(&tr->cfg, &s);
    if (st)
        return st;
    if (s.n_in != tr->shape.n_in || s.n_out != tr->shape.n_out || s.T != tr->shape.T ||
        s.loss != tr->shape.loss || s.max_windows > tr->shape.max_windows)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "trainer: task '%s' (%d in, %d out, %d steps) does not fit the "
                          "trainer's batches of task '%s' (%d in, %d out, %d steps)",
                          task->name, s.n_in, s.n_out, s.T, tr->task->name, tr->shape.n_in,
                          tr->shape.n_out, tr->shape.T);
    return LSNN_OK;
}

/* The task's metric from a loss result: the mean squared error for "mse" tasks, else the
 * fraction of windows classified correctly. */
static double lsnn__metric(const lsnn_trainer *tr, const lsnn_loss_result *lr)
{
    if (strcmp(tr->shape.metric, "mse") == 0)
        return lr->n_err ? lr->sq_err / (double)lr->n_err : 0;
    return lr->total ? (double)lr->correct / (double)lr->total : 0;
}

lsnn_status lsnn_trainer_compute_gradient(lsnn_trainer *tr, const lsnn_task *task,
                                          const void *task_state, uint64_t stream,
                                          uint64_t first, lsnn_real *grad,
                                          lsnn_iter_stats *stats)
{
    lsnn_loss_result lr = {0};
    double reg = 0;
    lsnn_status st = lsnn__check_task(tr, task);
    if (!st)
        st = tr->learner->gradient(tr, task, task_state, stream, first, grad, &lr, &reg);
    if (st)
        return lsnn_error(st, "iteration %ld: %s%s", tr->iteration + 1, lsnn_last_error(),
                          st == LSNN_ERR_NUMERIC ? lsnn__numeric_hint(tr) : "");
    if (stats) {
        const lsnn_batch *b = &tr->batch;
        stats->loss = lr.loss;
        stats->reg = reg;
        stats->metric = lsnn__metric(tr, &lr);
        stats->rate_hz = tr->model->spiking ? lsnn__mean_rate_hz(tr->count, tr->net.n, b->B, b->T,
                                                                 tr->cfg.network.dt)
                                            : 0;
    }
    return LSNN_OK;
}

lsnn_status lsnn_trainer_apply(lsnn_trainer *tr, lsnn_real *grad, lsnn_iter_stats *stats)
{
    const lsnn_config *cfg = &tr->cfg;
    if (cfg->loss.l2 > 0 && tr->model->spiking) /* seed 004 eq. 3.45: input and recurrent */
        for (int p = 0; p < tr->net.n_proj; p++) {
            const lsnn_projection *pr = &tr->net.proj[p];
            lsnn_real *g = grad + pr->param_off;
            for (size_t k = 0; k < (size_t)pr->n_src * pr->n_dst; k++)
                g[k] += (lsnn_real)cfg->loss.l2 * pr->w[k];
        }
    double norm = lsnn_grad_clip(grad, tr->mask, tr->n_params, tr->optp.clip_norm);
    if (!isfinite(norm))
        return lsnn_error(LSNN_ERR_NUMERIC, "iteration %ld: the gradient is not finite%s",
                          tr->iteration + 1, lsnn__numeric_hint(tr));
    double lr_now = lsnn_lr_at(cfg->lr, &tr->optp, tr->iteration);
    lsnn_optim_step(&tr->opt, tr->params, grad, tr->mask, lr_now);
    long rewired = 0;
    if (tr->use_deepr) /* updates the masks and the trainable mask tr->mask */
        rewired = lsnn_deepr_step(&tr->deepr, &tr->net, &tr->opt, tr->mask, lr_now,
                                  tr->iteration);
    if (tr->model->spiking)
        lsnn_net_apply_masks(&tr->net);
    tr->iteration++;
    if (stats) {
        stats->grad_norm = norm;
        stats->rewired = rewired;
    }
    return LSNN_OK;
}

lsnn_status lsnn_trainer_step(lsnn_trainer *tr, lsnn_iter_stats *stats)
{
    uint64_t first = (uint64_t)tr->iteration * (uint64_t)tr->cfg.batch_size;
    lsnn_status st = lsnn_trainer_compute_gradient(tr, tr->task, tr->task_state,
                                                   LSNN_STREAM_TRAIN, first, tr->grad, stats);
    return st ? st : lsnn_trainer_apply(tr, tr->grad, stats);
}

int lsnn_trainer_eval_count(const lsnn_trainer *tr, uint64_t stream)
{
    long n = tr->task->stream_size ? tr->task->stream_size(tr->task_state, &tr->cfg, stream) : 0;
    return n > 0 ? (int)n : tr->cfg.store_recall.val_size;
}

lsnn_status lsnn_trainer_evaluate(lsnn_trainer *tr, uint64_t stream, int count,
                                  lsnn_eval_result *out, long *confusion)
{
    memset(out, 0, sizeof *out);
    const int n_out = tr->shape.n_out;
    if (confusion)
        memset(confusion, 0, sizeof(long) * n_out * n_out);
    const int *pred = tr->pred;
    double loss_sum = 0, spikes = 0, spikes_hidden = 0, steps = 0;
    /* A rate readout's hidden neurons: those before its output groups. */
    const int n_hidden = tr->model->spiking && tr->net.rate_group ? lsnn_net_rate_first(&tr->net)
                                                                   : 0;
    lsnn_loss_result sum = {0};
    lsnn_status st = LSNN_OK;
    for (int done = 0; done < count;) {
        lsnn_batch *b = &tr->batch;
        int full = b->B;
        b->B = count - done < full ? count - done : full;
        lsnn_loss_result lr = {0};
        st = tr->learner->eval_batch(tr, tr->task, tr->task_state, stream, (uint64_t)done,
                                     confusion != NULL, &lr);
        if (!st && tr->eval_batch_done)
            tr->eval_batch_done(tr->eval_batch_ctx, b, done, tr->y);
        if (!st && confusion) {
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
        sum.sq_err += lr.sq_err;
        sum.n_err += lr.n_err;
        for (int j = 0; tr->model->spiking && j < tr->net.n; j++) {
            spikes += tr->count[j];
            if (j < n_hidden)
                spikes_hidden += tr->count[j];
        }
        steps += (double)bb * b->T;
        done += bb;
        if (tr->eval_progress)
            tr->eval_progress(tr->eval_progress_ctx, done, count);
    }
    if (st)
        return st;
    out->sequences = count;
    out->loss = loss_sum / (out->total ? (double)out->total : (double)count);
    sum.correct = out->correct;
    sum.total = out->total;
    out->metric = lsnn__metric(tr, &sum);
    out->rate_hz = tr->model->spiking
                       ? spikes / (steps * tr->net.n) * 1000.0 / tr->cfg.network.dt
                       : 0;
    out->rate_hz_hidden = n_hidden > 0 && steps > 0
                              ? spikes_hidden / (steps * n_hidden) * 1000.0 / tr->cfg.network.dt
                              : -1;
    return LSNN_OK;
}

lsnn_status lsnn_trainer_save(const lsnn_trainer *tr, const char *path)
{
    return tr->model->save(tr, path);
}

lsnn_status lsnn_trainer_load(lsnn_trainer *tr, const char *path, int with_optimizer)
{
    /* A model of another kind would fail on its first missing tensor: say what differs. */
    lsnn_config stored;
    if (lsnn_checkpoint_read_config(path, &stored) == LSNN_OK &&
        strcmp(stored.model, tr->cfg.model) != 0)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: the checkpoint holds a '%s' model but the config builds a '%s' "
                          "(key model)",
                          path, stored.model, tr->cfg.model);
    return tr->model->load(tr, path, with_optimizer ? &tr->opt : NULL);
}

size_t lsnn_trainer_count_params(const lsnn_trainer *tr, int active_only)
{
    return tr->model->count_params(tr, active_only);
}

/* The training loop (see lsnn/train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config_map.h"
#include "lsnn/eprop.h"
#include "lsnn/train.h"

#define LSNN__STREAM_STEPS 256

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
    tr->use_eprop = strcmp(cfg->learning, "eprop") == 0;
    if (!tr->use_eprop && strcmp(cfg->learning, "bptt") != 0)
        return lsnn_error(LSNN_ERR_CONFIG, "learning: unknown learning rule '%s' (bptt or eprop)",
                          cfg->learning);
    if (tr->use_eprop && strcmp(cfg->model, "lsnn") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "learning: e-prop trains the spiking network (model \"lsnn\"), not the "
                          "%s baseline",
                          cfg->model);
    tr->task = lsnn_task_find(cfg->task);
    if (!tr->task)
        return lsnn_error(LSNN_ERR_CONFIG, "task: unknown task '%s'", cfg->task);
    if ((st = tr->task->shape(cfg, &tr->shape)))
        return st;
    if (tr->task->open && (st = tr->task->open(cfg, &tr->task_state)))
        goto fail;
    tr->is_ann = strcmp(cfg->model, "lsnn") != 0;
    if (tr->is_ann) {
        lsnn_ann_kind kind;
        if ((st = lsnn_ann_kind_parse(cfg->model, &kind)))
            goto fail;
        if ((st = lsnn_ann_init(&tr->ann, kind, tr->shape.n_in, cfg->network.n_hidden,
                                tr->shape.n_out, cfg->seed)))
            goto fail;
        tr->params = tr->ann.params;
        tr->n_params = tr->ann.n_params;
    } else {
        if ((st = lsnn_net_from_config(&tr->net, cfg, tr->shape.n_in, tr->shape.n_out)))
            goto fail;
        tr->params = tr->net.params;
        tr->n_params = tr->net.n_params;
    }
    if ((st = lsnn_optim_params_from_config(&cfg->optim, &tr->optp)) ||
        (st = lsnn_optim_init(&tr->opt, &tr->optp, tr->n_params)))
        goto fail;
    if (cfg->deepr.enabled) {
        if (tr->is_ann) {
            st = lsnn_error(LSNN_ERR_CONFIG, "deepr.enabled: DEEP R rewires the spiking network "
                                             "(model \"lsnn\"), not the %s baseline", cfg->model);
            goto fail;
        }
        lsnn_deepr_params dp;
        lsnn_deepr_params_from_config(&cfg->deepr, &dp);
        if ((st = lsnn_deepr_init(&tr->deepr, &dp, &tr->net,
                                  cfg->network.global_connectivity, cfg->seed)))
            goto fail;
        tr->use_deepr = 1;
    }
    /* e-prop on a task that can stream its inputs holds LSNN__STREAM_STEPS steps of them at a
     * time (plus the longest delay), so its memory does not grow with the sequence length. */
    tr->streamed = tr->use_eprop && tr->task->streamed && tr->shape.T > LSNN__STREAM_STEPS;
    if (tr->streamed)
        st = lsnn_batch_init_streamed(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                                      tr->shape.n_out, tr->shape.loss, tr->shape.max_windows,
                                      LSNN__STREAM_STEPS + cfg->network.max_delay - 1);
    else
        st = lsnn_batch_init(&tr->batch, cfg->batch_size, tr->shape.T, tr->shape.n_in,
                             tr->shape.n_out, tr->shape.loss, tr->shape.max_windows);
    if (st)
        goto fail;
    if (tr->use_eprop) {
        /* e-prop needs neither the BPTT workspace nor the (B, T, n_out) readout: its memory does
         * not grow with the sequence length. */
        lsnn_eprop_opts eo;
        if ((st = lsnn_eprop_opts_from_config(cfg, &eo)))
            goto fail;
        if (!(tr->ep = lsnn_eprop_create(&tr->net, cfg->batch_size, &eo, cfg->seed, &st)))
            goto fail;
    } else if ((st = lsnn_trainer_prepare_forward(tr))) {
        goto fail;
    }
    int n_units = tr->is_ann ? tr->ann.n_hidden : tr->net.n;
    tr->gz = malloc(sizeof(lsnn_real) * n_units);
    tr->grad = malloc(sizeof(lsnn_real) * tr->n_params);
    tr->count = calloc(n_units, sizeof(double));
    tr->mask = malloc(tr->n_params);
    tr->pred = malloc(sizeof(int) * (size_t)cfg->batch_size * (tr->shape.max_windows + 1));
    if (!tr->gz || !tr->grad || !tr->count || !tr->mask || !tr->pred) {
        st = lsnn_error(LSNN_ERR_NOMEM, "trainer: out of memory");
        goto fail;
    }
    if (tr->is_ann)
        lsnn_ann_trainable_mask(&tr->ann, tr->mask);
    else
        lsnn_net_trainable_mask(&tr->net, tr->mask);
    return LSNN_OK;
fail:
    lsnn_trainer_free(tr);
    return st;
}

/* One e-prop pass over the batch of `stream` starting at sequence `first` (generated here;
 * piece by piece when the batch is streamed). grad NULL: evaluation only. */
static lsnn_status lsnn__eprop_pass(lsnn_trainer *tr, uint64_t stream, uint64_t first,
                                    lsnn_real *grad, int *pred, lsnn_loss_result *lr)
{
    const lsnn_config *cfg = &tr->cfg;
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    b->x_t0 = 0;
    if ((st = tr->task->generate(tr->task_state, cfg, cfg->seed, stream, first, b)))
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
            if ((st = tr->task->generate(tr->task_state, cfg, cfg->seed, stream, first, b)))
                return st;
        }
        int t1 = b->x_t0 + b->x_nt < b->T ? b->x_t0 + b->x_nt : b->T;
        if ((st = lsnn_eprop_advance(tr->ep, &tr->net, b, t1, NULL, pred)))
            return st;
        t0 = t1;
    }
    return lsnn_eprop_end(tr->ep, &tr->net, b, grad, tr->count, lr);
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
    if (tr->is_ann && !tr->aw)
        tr->aw = lsnn_ann_work_create(&tr->ann, cfg->batch_size, tr->shape.T, &st);
    else if (!tr->is_ann && !tr->sim)
        tr->sim = lsnn_sim_create(&tr->net, cfg->batch_size, tr->shape.T, &st);
    if (st)
        return st;
    if (tr->sim && !tr->use_eprop) {
        const int r = lsnn_sim_enable_records(tr->sim, &tr->net,
                                              (size_t)cfg->bptt_records_mb * 1000000);
        if (r < 0)
            return (lsnn_status)r;
    }
    size_t ny = (size_t)cfg->batch_size * tr->shape.T * tr->shape.n_out;
    if (!tr->y)
        tr->y = malloc(sizeof(lsnn_real) * ny);
    if (!tr->gy)
        tr->gy = malloc(sizeof(lsnn_real) * ny);
    if (!tr->y || !tr->gy)
        return lsnn_error(LSNN_ERR_NOMEM, "trainer: cannot allocate the readout of %d x %d steps",
                          cfg->batch_size, tr->shape.T);
    if (tr->net.n_dirs > 1 && !tr->y2) {
        if ((st = lsnn_batch_init(&tr->xbatch, cfg->batch_size, tr->shape.T, tr->net.n_in,
                                  tr->net.n_out, LSNN_LOSS_CE_WINDOW, 0)))
            return st;
        tr->y2 = malloc(sizeof(lsnn_real) * ny * 2);
        tr->extent = malloc(sizeof(int) * (size_t)cfg->batch_size);
        if (!tr->y2 || !tr->extent)
            return lsnn_error(LSNN_ERR_NOMEM, "trainer: cannot allocate the readout of both "
                                              "directions (%d x %d steps)",
                              cfg->batch_size, tr->shape.T);
    }
    return LSNN_OK;
}

void lsnn_trainer_free(lsnn_trainer *tr)
{
    if (tr->task && tr->task->close && tr->task_state)
        tr->task->close(tr->task_state);
    lsnn_sim_free(tr->sim);
    lsnn_eprop_free(tr->ep);
    lsnn_ann_work_free(tr->aw);
    lsnn_batch_free(&tr->batch);
    lsnn_batch_free(&tr->xbatch);
    free(tr->y2);
    free(tr->extent);
    lsnn_optim_free(&tr->opt);
    lsnn_deepr_free(&tr->deepr);
    if (tr->is_ann)
        lsnn_ann_free(&tr->ann);
    else
        lsnn_net_free(&tr->net);
    free(tr->y);
    free(tr->gy);
    free(tr->gz);
    free(tr->grad);
    free(tr->count);
    free(tr->mask);
    free(tr->pred);
    memset(tr, 0, sizeof *tr);
}

/* Supervised extent of sequence q: the end of its last window, or the step after its last
 * weighted MSE target; T when it has neither. */
static int lsnn__extent(const lsnn_batch *b, int q)
{
    int L = 0;
    if (b->loss == LSNN_LOSS_MSE) {
        for (int t = b->T - 1; t >= 0 && !L; t--)
            if (b->y_weight[(size_t)q * b->T + t] > 0)
                L = t + 1;
    } else {
        for (int w = 0; w < b->n_windows[q]; w++) {
            int t1 = b->windows[(size_t)q * b->max_windows + w].t1;
            L = t1 > L ? t1 : L;
        }
    }
    return L > 0 && L <= b->T ? L : b->T;
}

/* The permutation of a bidirectional network's time axis (lsnn/train.h): its own inverse. */
static inline int lsnn__rev(int t, int L)
{
    return t < L ? L - 1 - t : t;
}

/* xbatch <- both directions' inputs: b's channels, then the same reversed over the extent. */
static void lsnn__bidir_inputs(lsnn_trainer *tr, const lsnn_batch *b)
{
    lsnn_batch *xb = &tr->xbatch;
    const int T = b->T, n_in = b->n_in;
    xb->B = b->B;
    xb->noise_key = b->noise_key;
    for (int q = 0; q < b->B; q++) {
        const int L = tr->extent[q] = lsnn__extent(b, q);
        for (int t = 0; t < T; t++) {
            lsnn_real *dst = xb->x + ((size_t)q * T + t) * 2 * n_in;
            memcpy(dst, b->x + ((size_t)q * T + t) * n_in, sizeof(lsnn_real) * n_in);
            memcpy(dst + n_in, b->x + ((size_t)q * T + lsnn__rev(t, L)) * n_in,
                   sizeof(lsnn_real) * n_in);
        }
    }
}

/* Forward pass of whichever model the trainer holds; count (n) receives spike counts (zero for
 * the non-spiking baselines). */
static lsnn_status lsnn__forward(lsnn_trainer *tr, const lsnn_batch *b, lsnn_trace *trace)
{
    if (tr->is_ann)
        return lsnn_ann_forward(tr->aw, &tr->ann, b, tr->y);
    if (tr->net.n_dirs < 2)
        return lsnn_sim_forward(tr->sim, &tr->net, b, tr->y, tr->count, trace);
    lsnn__bidir_inputs(tr, b);
    lsnn_status st = lsnn_sim_forward(tr->sim, &tr->net, &tr->xbatch, tr->y2, tr->count, trace);
    if (st)
        return st;
    const int T = b->T, no = b->n_out;
    if (trace) { /* direction 1's traces of sequence 0 back into the task's time order */
        const int n = tr->net.n, L = tr->extent[0];
        lsnn_real *arr[3] = {trace->v, trace->thr, trace->z};
        for (int a = 0; a < 3; a++)
            for (int t = 0; t < L / 2; t++)
                for (int j = n / 2; j < n; j++) {
                    lsnn_real *p = arr[a] + (size_t)t * n + j;
                    lsnn_real *q = arr[a] + (size_t)(L - 1 - t) * n + j;
                    lsnn_real tmp = *p;
                    *p = *q;
                    *q = tmp;
                }
    }
    for (int q = 0; q < b->B; q++)
        for (int t = 0; t < T; t++) {
            const lsnn_real *y0 = tr->y2 + ((size_t)q * T + t) * 2 * no;
            const lsnn_real *y1 = tr->y2 + ((size_t)q * T + lsnn__rev(t, tr->extent[q])) * 2 * no;
            lsnn_real *y = tr->y + ((size_t)q * T + t) * no;
            for (int k = 0; k < no; k++)
                y[k] = y0[k] + y1[no + k];
        }
    return LSNN_OK;
}

lsnn_status lsnn_trainer_forward(lsnn_trainer *tr, lsnn_trace *trace)
{
    if (!tr->y || (tr->is_ann ? !tr->aw : !tr->sim))
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_prepare_forward must run before "
                                        "lsnn_trainer_forward");
    return lsnn__forward(tr, &tr->batch, trace);
}

static lsnn_status lsnn__backward(lsnn_trainer *tr, const lsnn_batch *b, const lsnn_real *gz)
{
    if (tr->is_ann)
        return lsnn_ann_backward(tr->aw, &tr->ann, b, tr->gy, tr->grad);
    if (tr->net.n_dirs < 2)
        return lsnn_bptt_backward(tr->sim, &tr->net, b, tr->gy, gz, tr->grad);
    /* dL/dy0(t) = dL/dy(t), dL/dy1(s) = dL/dy(pi(s)); y2 is free after the forward pass. */
    const int T = b->T, no = b->n_out;
    for (int q = 0; q < b->B; q++)
        for (int t = 0; t < T; t++) {
            lsnn_real *g2 = tr->y2 + ((size_t)q * T + t) * 2 * no;
            const lsnn_real *g0 = tr->gy + ((size_t)q * T + t) * no;
            const lsnn_real *g1 = tr->gy + ((size_t)q * T + lsnn__rev(t, tr->extent[q])) * no;
            memcpy(g2, g0, sizeof(lsnn_real) * no);
            memcpy(g2 + no, g1, sizeof(lsnn_real) * no);
        }
    return lsnn_bptt_backward(tr->sim, &tr->net, &tr->xbatch, tr->y2, gz, tr->grad);
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
    const lsnn_config *cfg = &tr->cfg;
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    if (tr->use_eprop || !tr->y)
        return lsnn_error(LSNN_ERR_ARG, "trainer: lsnn_trainer_gradient needs a BPTT trainer");
    *reg = 0;
    if ((st = lsnn__forward(tr, b, NULL)) || (st = lsnn_loss_compute(b, tr->y, tr->gy, lr)))
        return st;
    const lsnn_real *gz = NULL;
    if (cfg->loss.rate_reg > 0 && !tr->is_ann) {
        /* "hidden": the neurons before the rate readout's groups (seed 003 eq. 4.10). */
        const int nr = strcmp(cfg->loss.rate_reg_neurons, "hidden") == 0
                           ? lsnn_net_rate_first(&tr->net)
                           : tr->net.n;
        for (int j = nr; j < tr->net.n; j++)
            tr->gz[j] = 0;
        *reg = nr > 0 ? lsnn_rate_reg(tr->count, nr, b->B, b->T, cfg->network.dt,
                                      cfg->loss.rate_target, cfg->loss.rate_reg, tr->gz)
                      : 0;
        gz = tr->gz;
    }
    return lsnn__backward(tr, b, gz);
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

lsnn_status lsnn_trainer_step(lsnn_trainer *tr, lsnn_iter_stats *stats)
{
    const lsnn_config *cfg = &tr->cfg;
    lsnn_batch *b = &tr->batch;
    lsnn_status st;
    uint64_t first = (uint64_t)tr->iteration * (uint64_t)cfg->batch_size;
    lsnn_loss_result lr;
    double reg = 0;
    if (tr->use_eprop) {
        if ((st = lsnn__eprop_pass(tr, LSNN_STREAM_TRAIN, first, tr->grad, NULL, &lr)))
            return lsnn_error(st, "iteration %ld: %s%s", tr->iteration + 1, lsnn_last_error(),
                              st == LSNN_ERR_NUMERIC ? lsnn__numeric_hint(tr) : "");
    } else {
        if ((st = tr->task->generate(tr->task_state, cfg, cfg->seed, LSNN_STREAM_TRAIN, first, b)))
            return st;
        if ((st = lsnn_trainer_gradient(tr, &lr, &reg)))
            return lsnn_error(st, "iteration %ld: %s%s", tr->iteration + 1, lsnn_last_error(),
                              st == LSNN_ERR_NUMERIC ? lsnn__numeric_hint(tr) : "");
    }
    if (cfg->loss.l2 > 0 && !tr->is_ann) /* seed 004 eq. 3.45: input and recurrent weights */
        for (int p = 0; p < tr->net.n_proj; p++) {
            const lsnn_projection *pr = &tr->net.proj[p];
            lsnn_real *g = tr->grad + pr->param_off;
            for (size_t k = 0; k < (size_t)pr->n_src * pr->n_dst; k++)
                g[k] += (lsnn_real)cfg->loss.l2 * pr->w[k];
        }
    double norm = lsnn_grad_clip(tr->grad, tr->mask, tr->n_params, cfg->optim.clip_norm);
    if (!isfinite(norm))
        return lsnn_error(LSNN_ERR_NUMERIC, "iteration %ld: the gradient is not finite%s",
                          tr->iteration + 1, lsnn__numeric_hint(tr));
    double lr_now = lsnn_lr_at(cfg->lr, &tr->optp, tr->iteration);
    lsnn_optim_step(&tr->opt, tr->params, tr->grad, tr->mask, lr_now);
    long rewired = 0;
    if (tr->use_deepr) /* updates the masks and the trainable mask tr->mask */
        rewired = lsnn_deepr_step(&tr->deepr, &tr->net, &tr->opt, tr->mask, lr_now,
                                  tr->iteration);
    if (!tr->is_ann)
        lsnn_net_apply_masks(&tr->net);
    tr->iteration++;
    if (stats) {
        stats->loss = lr.loss;
        stats->reg = reg;
        stats->metric = lr.total ? (double)lr.correct / lr.total : 0;
        stats->rate_hz = tr->is_ann ? 0
                                    : lsnn__mean_rate_hz(tr->count, tr->net.n, b->B, b->T,
                                                         cfg->network.dt);
        stats->grad_norm = norm;
        stats->rewired = rewired;
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
    const int n_out = tr->shape.n_out;
    if (confusion)
        memset(confusion, 0, sizeof(long) * n_out * n_out);
    int *pred = tr->pred;
    double loss_sum = 0, spikes = 0, steps = 0;
    lsnn_status st = LSNN_OK;
    for (int done = 0; done < count;) {
        lsnn_batch *b = &tr->batch;
        int full = b->B;
        b->B = count - done < full ? count - done : full;
        lsnn_loss_result lr = {0};
        if (tr->use_eprop) {
            st = lsnn__eprop_pass(tr, stream, (uint64_t)done, NULL, pred, &lr);
        } else {
            st = tr->task->generate(tr->task_state, cfg, cfg->seed, stream, (uint64_t)done, b);
            if (!st && tr->sim) /* no backward pass follows: no records */
                lsnn_sim_set_recording(tr->sim, 0);
            if (!st)
                st = lsnn__forward(tr, b, NULL);
            if (tr->sim)
                lsnn_sim_set_recording(tr->sim, 1);
            if (!st)
                st = lsnn_loss_compute(b, tr->y, NULL, &lr);
            if (!st && confusion)
                lsnn_loss_predict(b, tr->y, pred);
        }
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
        for (int j = 0; !tr->is_ann && j < tr->net.n; j++)
            spikes += tr->count[j];
        steps += (double)bb * b->T;
        done += bb;
        if (tr->eval_progress)
            tr->eval_progress(tr->eval_progress_ctx, done, count);
    }
    if (st)
        return st;
    out->sequences = count;
    out->loss = loss_sum / (out->total ? (double)out->total : (double)count);
    out->metric = out->total ? (double)out->correct / out->total : 0;
    out->rate_hz = tr->is_ann ? 0 : spikes / (steps * tr->net.n) * 1000.0 / cfg->network.dt;
    return LSNN_OK;
}

lsnn_status lsnn_trainer_save(const lsnn_trainer *tr, const char *path)
{
    if (tr->is_ann)
        return lsnn_checkpoint_save_ann(path, &tr->cfg, &tr->ann, &tr->opt, tr->iteration);
    return lsnn_checkpoint_save(path, &tr->cfg, &tr->net, &tr->opt, tr->iteration);
}

lsnn_status lsnn_trainer_load(lsnn_trainer *tr, const char *path, int with_optimizer)
{
    lsnn_optim *opt = with_optimizer ? &tr->opt : NULL;
    /* A model of another kind would fail on its first missing tensor: say what differs. */
    lsnn_config stored;
    if (lsnn_checkpoint_read_config(path, &stored) == LSNN_OK &&
        strcmp(stored.model, tr->cfg.model) != 0)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: the checkpoint holds a '%s' model but the config builds a '%s' "
                          "(key model)",
                          path, stored.model, tr->cfg.model);
    if (tr->is_ann)
        return lsnn_checkpoint_load_ann(path, &tr->ann, opt, &tr->iteration);
    lsnn_status st = lsnn_checkpoint_load(path, &tr->net, opt, &tr->iteration);
    if (!st) /* the masks came from the file: what may train follows them */
        lsnn_net_trainable_mask(&tr->net, tr->mask);
    return st;
}

size_t lsnn_trainer_count_params(const lsnn_trainer *tr, int active_only)
{
    return tr->is_ann ? tr->ann.n_params : lsnn_net_count_params(&tr->net, active_only);
}

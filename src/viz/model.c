/* Figures of a saved model (see lsnn/report.h): the model is loaded into a trainer with a batch
 * of one (like `lsnn simulate`), one validation sequence is run through it, and its input, the
 * recorded spikes and thresholds of sequence 0 and the readout go to lsnn_plot_dynamics. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/plot.h"
#include "lsnn/report.h"
#include "lsnn/train.h"

static lsnn_status lsnn__load_trainer(const char *model, const char *const *sets, int n_sets,
                                      lsnn_trainer *tr)
{
    lsnn_config cfg;
    lsnn_status st = lsnn_checkpoint_read_config(model, &cfg);
    if (st)
        return st;
    for (int i = 0; i < n_sets; i++)
        if ((st = lsnn_config_set(&cfg, sets[i]))) {
            lsnn_error_prefix("--set");
            return st;
        }
    /* One sequence: a batch of one keeps the simulation small. */
    if ((st = lsnn_config_set(&cfg, "batch_size=1")))
        return st;
    if ((st = lsnn_trainer_init(tr, &cfg))) {
        lsnn_error_prefix(model);
        return st;
    }
    if ((st = lsnn_trainer_load(tr, model, 0))) {
        lsnn_trainer_free(tr);
        return st;
    }
    return LSNN_OK;
}

/* The last two components of a path ("run/model.safetensors"): enough to recognise a model. */
static const char *lsnn__short_name(const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s)
        return p;
    const char *q = s;
    while (q > p && q[-1] != '/')
        q--;
    return q;
}

/* Runs validation sequence `sample` through the loaded model, recording the spikes and
 * thresholds of an LSNN in *trace (whose arrays are allocated here). */
static lsnn_status lsnn__run_sequence(lsnn_trainer *tr, const char *model, long sample,
                                      lsnn_trace *trace)
{
    const int T = tr->shape.T;
    if (tr->task->stream_size) {
        long avail = lsnn_trainer_eval_count(tr, LSNN_STREAM_VALID);
        if (sample >= avail)
            return lsnn_error(LSNN_ERR_RANGE, "--sample %ld: the validation set of %s has %ld "
                              "sequences", sample, tr->cfg.task, avail);
    }
    lsnn_status st = LSNN_OK;
    if (tr->model->spiking) {
        size_t sz = sizeof(lsnn_real) * (size_t)T * tr->net.n;
        trace->v = malloc(sz);
        trace->thr = malloc(sz);
        trace->z = malloc(sz);
        if (!trace->v || !trace->thr || !trace->z)
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for %d steps x %d neurons", model,
                            T, tr->net.n);
    }
    if (!st)
        st = lsnn_trainer_prepare_forward(tr);
    if (!st && tr->task->env) {
        /* A closed-loop task: the learning rule runs the episode (its inputs follow the agent's
         * actions); the forward pass below replays those inputs, the same dynamics. */
        lsnn_loss_result lr;
        st = tr->learner->eval_batch(tr, tr->task, tr->task_state, LSNN_STREAM_VALID,
                                     (uint64_t)sample, 0, &lr);
    } else if (!st) {
        st = tr->task->generate(tr->task_state, &tr->cfg, tr->cfg.seed, LSNN_STREAM_VALID,
                                (uint64_t)sample, &tr->batch);
    }
    if (!st)
        st = lsnn_trainer_forward(tr, tr->model->spiking ? trace : NULL);
    return st;
}

/* Module tasks: the target rates of the first window, drawn over the whole sequence (kwta: a
 * winner's at rate_one, a loser's at 0), in a malloc'd (T, n_out) array; NULL (no error) when the
 * loss has no window targets. */
static lsnn_status lsnn__rate_target(const lsnn_trainer *tr, const char *model, lsnn_real **out)
{
    const int T = tr->shape.T, n_out = tr->shape.n_out;
    *out = NULL;
    if (!lsnn_loss_has_window_targets(tr->batch.loss) || tr->batch.n_windows[0] <= 0)
        return LSNN_OK;
    lsnn_real *r = malloc(sizeof(lsnn_real) * (size_t)T * n_out);
    if (!r)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for the target rates", model);
    const int hinge = tr->batch.loss == LSNN_LOSS_RATE_HINGE;
    const lsnn_real scale = (lsnn_real)(hinge ? tr->batch.rate_one : 1);
    /* Each window's target over its steps (learning-to-learn: one per example); steps outside
     * every window show the first window's (the modules' single window). */
    for (int t = 0; t < T; t++)
        for (int k = 0; k < n_out; k++)
            r[(size_t)t * n_out + k] = tr->batch.w_target[k] * scale;
    for (int w = 0; w < tr->batch.n_windows[0]; w++) {
        const lsnn_window *win = &tr->batch.windows[w];
        for (int t = win->t0 > 0 ? win->t0 : 0; t < win->t1 && t < T; t++)
            for (int k = 0; k < n_out; k++)
                r[(size_t)t * n_out + k] = tr->batch.w_target[(size_t)w * n_out + k] * scale;
    }
    *out = r;
    return LSNN_OK;
}

/* The populations of the LSNN as the figure sees them. The ALIF model's populations are "ALIF"
 * (beta > 0) or "LIF"; other models go by their name and count as adaptive (their thresholds
 * drawn) when a threshold of theirs moved during the sequence (T steps of thr). */
static void lsnn__plot_pops(const lsnn_net *net, const lsnn_real *thr, int T,
                            lsnn_plot_population *pops)
{
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *pp = &net->pop[p];
        const char *kind = strcmp(pp->model->name, "alif") == 0 ? NULL : pp->model->name;
        int adaptive = 0;
        for (int j = pp->off; j < pp->off + pp->count; j++)
            if (!kind)
                adaptive |= net->adaptive[j] != 0;
            else
                for (int t = 1; t < T && !adaptive; t++)
                    adaptive |= thr[(size_t)t * net->n + j] != thr[j];
        pops[p] = (lsnn_plot_population){pp->name, pp->off, pp->count, pp->sign, adaptive, kind};
    }
}

/* The task's named groups of input channels, when they cover the n_in channels exactly. */
typedef struct lsnn__input_groups {
    lsnn_task_input_group g[LSNN_PLOT_MAX_INPUT_GROUPS];
    const char *names[LSNN_PLOT_MAX_INPUT_GROUPS];
    int off[LSNN_PLOT_MAX_INPUT_GROUPS + 1];
} lsnn__input_groups;

static void lsnn__set_input_groups(const lsnn_trainer *tr, lsnn__input_groups *ig,
                                   lsnn_plot_dynamics_data *d)
{
    int ng = tr->task->input_groups
                 ? tr->task->input_groups(&tr->cfg, ig->g, LSNN_PLOT_MAX_INPUT_GROUPS)
                 : 0;
    if (ng <= 0 || ig->g[ng - 1].end != d->n_in)
        return;
    for (int g = 0; g < ng; g++) {
        ig->names[g] = ig->g[g].name;
        ig->off[g] = ig->g[g].off;
    }
    ig->off[ng] = ig->g[ng - 1].end;
    d->n_input_groups = ng;
    d->input_group_names = ig->names;
    d->input_group_off = ig->off;
}

lsnn_status lsnn_plot_model_dynamics(const char *model, const char *out,
                                     const lsnn_model_dynamics_opts *o)
{
    lsnn_trainer tr;
    lsnn_status st = lsnn__load_trainer(model, o->sets, o->n_sets, &tr);
    if (st)
        return st;
    lsnn_trace trace = {0};
    lsnn_plot_population pops[LSNN_PLOT_MAX_POP];
    lsnn__input_groups groups;
    char title[512];
    lsnn_plot_dynamics_data d;
    lsnn_real *rate_target = NULL;
    memset(&d, 0, sizeof d);
    st = lsnn__run_sequence(&tr, model, o->sample, &trace);
    if (!st) {
        d.T = tr.shape.T;
        d.n_in = tr.shape.n_in;
        d.n_out = tr.shape.n_out;
        d.dt = tr.cfg.network.dt;
        d.x = tr.batch.x;
        d.y = tr.y;
        d.loss = tr.batch.loss;
        d.y_target = tr.batch.y_target;
        st = lsnn__rate_target(&tr, model, &rate_target);
        if (rate_target)
            d.y_target = rate_target;
        d.n_windows = tr.batch.n_windows[0];
        d.windows = tr.batch.windows;
        if (strcmp(tr.cfg.task, "l2l") == 0) /* a linear readout, not a rate */
            d.readout_label = "prediction, 20 ms mean";
        d.neurons = (int)o->neurons;
        d.seed = o->seed;
        if (tr.model->spiking) {
            d.n = tr.net.n;
            d.z = trace.z;
            d.thr = trace.thr;
            d.n_pop = tr.net.n_pop;
            lsnn__plot_pops(&tr.net, trace.thr, d.T, pops);
            d.pop = pops;
        }
        lsnn__set_input_groups(&tr, &groups, &d);
        snprintf(title, sizeof title, "%s: validation sequence %ld, %s (%s, %ld iterations)",
                 tr.cfg.task, o->sample, lsnn__short_name(model),
                 tr.model->spiking ? "LSNN" : tr.cfg.model, tr.iteration);
        d.title = title;
        if (!st)
            st = lsnn_plot_dynamics(out, (int)o->width, (int)o->height, &d);
    }
    free(trace.v);
    free(trace.thr);
    free(trace.z);
    free(rate_target);
    lsnn_trainer_free(&tr);
    return st;
}

lsnn_status lsnn_plot_model_connectivity(const char *model, const char *out, int width,
                                         int height)
{
    lsnn_trainer tr;
    lsnn_status st = lsnn__load_trainer(model, NULL, 0, &tr);
    if (st)
        return st;
    if (!tr.model->spiking)
        st = lsnn_error(LSNN_ERR_UNSUPPORTED, "%s: connectivity diagrams show the populations of "
                        "an LSNN; this model is a non-spiking '%s'", model, tr.cfg.model);
    else
        st = lsnn_plot_connectivity(out, width, height, &tr.net);
    lsnn_trainer_free(&tr);
    return st;
}

/* The flat interface over opaque handles (lsnn/api.h), for the Python package. A model is a
 * trainer plus the workspaces of the caller's own passes: a simulation workspace sized by the
 * last lsnn_api_simulate, a stepping workspace for closed-loop episodes, and the "feed": a copy
 * of the trainer's task whose generate copies the caller's arrays into the batch, so that the
 * learning rules run on them exactly as on the task's own batches. */
#include "lsnn/api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/run.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

/* The caller's arrays of one lsnn_api_gradient call (lsnn/api.h gives the shapes). */
typedef struct lsnn__api_feed {
    const lsnn_real *x, *y_target, *y_weight, *w_target;
    const int32_t *n_windows, *windows;
    uint64_t noise_key;
} lsnn__api_feed;

struct lsnn_api_model {
    lsnn_trainer tr;
    lsnn_trainer *alt;         /* the trainer of another learning rule, or NULL */
    lsnn_task feed;            /* tr.task with generate copying an lsnn__api_feed */
    lsnn_st_tensor *tensors;   /* the checkpoint's tensors (spiking models) */
    int n_tensors;
    /* lsnn_api_simulate */
    lsnn_sim *usim;
    lsnn_batch ub;
    lsnn_real *uy;
    /* closed-loop stepping */
    lsnn_sim *ssim;
    lsnn_batch sb;
    lsnn_real *sy;
    int s_open, s_next;        /* an episode is open; the next step */
    int s_train;               /* 1: the episode runs in the trainer (its batch and workspace),
                                * so that lsnn_api_backward can follow it */
    long episode;              /* episodes begun, which a state records */
};

struct lsnn_api_state {
    lsnn_sim_state *st;
    const lsnn_api_model *m;
    long episode;
};

int lsnn_api_version(void)
{
    return LSNN_API_VERSION;
}

int lsnn_api_real_bytes(void)
{
    return (int)sizeof(lsnn_real);
}

void lsnn_api_free(void *p)
{
    free(p);
}

int lsnn_api_set_threads(int n)
{
#ifdef _OPENMP
    if (n >= 1)
        omp_set_num_threads(n);
    return omp_get_max_threads();
#else
    (void)n;
    return 1;
#endif
}

/* ---- configs ------------------------------------------------------------------------------- */

static lsnn_status lsnn__api_config(const char *json, const char *origin,
                                    const char *const *assignments, int n, lsnn_config *cfg)
{
    if (!json)
        return lsnn_error(LSNN_ERR_ARG, "config: no JSON text given");
    const char *o = origin && origin[0] ? origin : "config";
    lsnn_config_defaults(cfg);
    lsnn_status st = lsnn_config_parse(cfg, json, o);
    for (int i = 0; !st && i < n; i++)
        if ((st = lsnn_config_set(cfg, assignments[i])))
            return lsnn_error(st, "%s: %s", o, lsnn_last_error());
    return st ? st : lsnn_config_validate(cfg, o);
}

lsnn_status lsnn_api_config_normalize(const char *json, const char *origin,
                                      const char *const *assignments, int n, char **out)
{
    lsnn_config cfg;
    lsnn_status st = lsnn__api_config(json, origin, assignments, n, &cfg);
    if (st)
        return st;
    *out = lsnn_config_to_json(&cfg);
    return *out ? LSNN_OK : lsnn_error(LSNN_ERR_NOMEM, "config: cannot serialise");
}

/* ---- training runs ----------------------------------------------------------------------- */

typedef struct lsnn__api_train_ctx {
    lsnn_api_progress_fn fn;
    void *ctx;
} lsnn__api_train_ctx;

static int lsnn__api_on_iteration(void *ctx, const lsnn_run *run, const lsnn_run_iter *it)
{
    const lsnn__api_train_ctx *c = ctx;
    if (!c->fn)
        return 0;
    return c->fn(c->ctx, it->iteration, run->tr->cfg.iterations, it->stats.loss,
                 it->stats.metric, it->stats.rate_hz, it->validated,
                 it->validated ? it->val.loss : NAN, it->validated ? it->val.metric : NAN,
                 it->seconds);
}

lsnn_status lsnn_api_train(const char *json, const char *origin, const char *dir, int resume,
                           lsnn_api_progress_fn fn, void *ctx, char **result_json)
{
    if (result_json)
        *result_json = NULL;
    lsnn_config cfg;
    lsnn_status st = lsnn__api_config(json, origin, NULL, 0, &cfg);
    if (st)
        return st;
    if (!dir || !dir[0])
        return lsnn_error(LSNN_ERR_ARG, "train: no output directory given");
    lsnn__api_train_ctx c = {fn, ctx};
    lsnn_run_opts opts = {.resume = resume != 0, .origin = origin, .ctx = &c,
                          .on_iteration = lsnn__api_on_iteration};
    lsnn_run run;
    if ((st = lsnn_run_open(&run, &cfg, NULL, dir, &opts)))
        return st;
    while (!st && !lsnn_run_done(&run))
        st = lsnn_run_step(&run);
    if (!st)
        st = lsnn_run_finish(&run);
    if (!st && result_json && run.result_json) {
        *result_json = strdup(run.result_json);
        if (!*result_json)
            st = lsnn_error(LSNN_ERR_NOMEM, "train: out of memory");
    }
    lsnn_run_close(&run);
    return st;
}

/* ---- models -------------------------------------------------------------------------------- */

/* Copies the caller's arrays into batch b (lsnn_task.generate of the feed). */
static lsnn_status lsnn__api_feed_generate(const void *state, const lsnn_config *cfg,
                                           uint64_t seed, uint64_t stream, uint64_t first,
                                           lsnn_batch *b)
{
    (void)seed, (void)stream;
    const lsnn__api_feed *f = state;
    const int T = b->T, n_in = b->n_in, n_out = b->n_out, W = b->max_windows;
    for (int s = 0; s < b->B; s++) {
        const size_t g = (size_t)first + (size_t)s;
        lsnn_real *x = b->x + (size_t)s * b->x_nt * n_in;
        for (int k = 0; k < b->x_nt; k++) {
            const int t = b->x_t0 + k;
            if (t < T)
                memcpy(x + (size_t)k * n_in, f->x + (g * T + (size_t)t) * n_in,
                       sizeof(lsnn_real) * n_in);
            else
                memset(x + (size_t)k * n_in, 0, sizeof(lsnn_real) * n_in);
        }
        if (b->y_target) {
            if (!f->y_target)
                return lsnn_error(LSNN_ERR_ARG, "gradient: the loss needs targets per step "
                                                "(y_target, sequences x steps x outputs)");
            memcpy(b->y_target + (size_t)s * T * n_out, f->y_target + g * T * n_out,
                   sizeof(lsnn_real) * T * n_out);
            for (int t = 0; t < T; t++)
                b->y_weight[(size_t)s * T + t] = f->y_weight ? f->y_weight[g * T + t] : 1;
        }
        if (W > 0 && b->loss != LSNN_LOSS_MSE) {
            if (!f->n_windows || !f->windows)
                return lsnn_error(LSNN_ERR_ARG, "gradient: the loss needs classification "
                                                "windows (n_windows and windows)");
            const int nw = f->n_windows[g];
            if (nw < 0 || nw > W)
                return lsnn_error(LSNN_ERR_RANGE,
                                  "gradient: sequence %zu has %d windows (0 .. %d allowed)", g,
                                  nw, W);
            b->n_windows[s] = nw;
            for (int w = 0; w < nw; w++) {
                const int32_t *e = f->windows + (g * W + (size_t)w) * 3;
                if (e[0] < 0 || e[0] >= e[1] || e[1] > T || e[2] < 0 || e[2] >= n_out)
                    return lsnn_error(LSNN_ERR_RANGE,
                                      "gradient: sequence %zu, window %d: (%d, %d, label %d) "
                                      "must have 0 <= t0 < t1 <= %d and 0 <= label < %d",
                                      g, w, e[0], e[1], e[2], T, n_out);
                b->windows[(size_t)s * W + w] = (lsnn_window){e[0], e[1], e[2]};
            }
        }
    }
    if (b->w_target) {
        if (f->w_target)
            memcpy(b->w_target, f->w_target + (size_t)first * W * n_out,
                   sizeof(lsnn_real) * (size_t)b->B * W * n_out);
        else
            lsnn_task_rate_targets(cfg, b);
        b->rate_zero = cfg->module.rate_zero;
        b->rate_one = cfg->module.rate_one;
    }
    b->noise_key = f->noise_key;
    return LSNN_OK;
}

static lsnn_status lsnn__api_model_ready(lsnn_api_model *m)
{
    m->feed = *m->tr.task;
    m->feed.generate = lsnn__api_feed_generate;
    m->feed.env = NULL;
    if (!m->tr.model->spiking)
        return LSNN_OK;
    m->n_tensors = lsnn_checkpoint_net_tensors(&m->tr.net, NULL, 0);
    m->tensors = malloc(sizeof *m->tensors * (size_t)m->n_tensors);
    if (!m->tensors)
        return lsnn_error(LSNN_ERR_NOMEM, "model: out of memory");
    lsnn_checkpoint_net_tensors(&m->tr.net, m->tensors, m->n_tensors);
    return LSNN_OK;
}

static lsnn_status lsnn__api_model_init(const lsnn_config *cfg, lsnn_api_model **out)
{
    *out = NULL;
    lsnn_api_model *m = calloc(1, sizeof *m);
    if (!m)
        return lsnn_error(LSNN_ERR_NOMEM, "model: out of memory");
    lsnn_status st = lsnn_config_check_memory(cfg, 0, NULL);
    if (!st && (st = lsnn_trainer_init(&m->tr, cfg))) {
        free(m);
        return st;
    }
    if (st || (st = lsnn__api_model_ready(m))) {
        if (!st)
            lsnn_trainer_free(&m->tr);
        free(m);
        return st;
    }
    *out = m;
    return LSNN_OK;
}

lsnn_status lsnn_api_model_new(const char *json, const char *origin, lsnn_api_model **out)
{
    lsnn_config cfg;
    lsnn_status st = lsnn__api_config(json, origin, NULL, 0, &cfg);
    return st ? st : lsnn__api_model_init(&cfg, out);
}

lsnn_status lsnn_api_model_load(const char *path, lsnn_api_model **out)
{
    *out = NULL;
    lsnn_config cfg;
    lsnn_status st = lsnn_checkpoint_read_config(path, &cfg);
    if (st || (st = lsnn__api_model_init(&cfg, out)))
        return st;
    if ((st = lsnn_trainer_load(&(*out)->tr, path, 1))) {
        lsnn_api_model_free(*out);
        *out = NULL;
    }
    return st;
}

lsnn_status lsnn_api_model_save(const lsnn_api_model *m, const char *path)
{
    return lsnn_trainer_save(&m->tr, path);
}

static void lsnn__api_free_step(lsnn_api_model *m)
{
    lsnn_sim_free(m->ssim);
    lsnn_batch_free(&m->sb);
    free(m->sy);
    m->ssim = NULL;
    m->sy = NULL;
    m->s_open = 0;
}

void lsnn_api_model_free(lsnn_api_model *m)
{
    if (!m)
        return;
    lsnn__api_free_step(m);
    lsnn_sim_free(m->usim);
    lsnn_batch_free(&m->ub);
    free(m->uy);
    if (m->alt) {
        lsnn_trainer_free(m->alt);
        free(m->alt);
    }
    free(m->tensors);
    lsnn_trainer_free(&m->tr);
    free(m);
}

lsnn_status lsnn_api_model_config(const lsnn_api_model *m, char **json)
{
    *json = lsnn_config_to_json(&m->tr.cfg);
    return *json ? LSNN_OK : lsnn_error(LSNN_ERR_NOMEM, "config: cannot serialise");
}

static int lsnn__api_stepwise(const lsnn_api_model *m)
{
    return m->tr.model->spiking && m->tr.net.n_dirs == 1;
}

void lsnn_api_model_info(const lsnn_api_model *m, long *info)
{
    const lsnn_trainer *tr = &m->tr;
    info[LSNN_API_N_IN] = tr->shape.n_in;
    info[LSNN_API_N_OUT] = tr->shape.n_out;
    info[LSNN_API_STEPS] = tr->shape.T;
    info[LSNN_API_NEURONS] = tr->n_units;
    info[LSNN_API_BATCH] = tr->batch.B;
    info[LSNN_API_WINDOWS] = tr->batch.max_windows;
    info[LSNN_API_LOSS] = tr->shape.loss;
    info[LSNN_API_SPIKING] = tr->model->spiking;
    info[LSNN_API_PARAMS] = (long)tr->n_params;
    info[LSNN_API_ITERATION] = tr->iteration;
    info[LSNN_API_STEPWISE] = lsnn__api_stepwise(m);
}

int lsnn_api_model_n_tensors(const lsnn_api_model *m)
{
    return m->n_tensors;
}

lsnn_status lsnn_api_model_tensor(lsnn_api_model *m, int i, const char **name, int *dtype,
                                  void **data, int *ndim, int64_t *shape)
{
    if (i < 0 || i >= m->n_tensors)
        return lsnn_error(LSNN_ERR_ARG, "tensor %d: the model has %d tensors", i, m->n_tensors);
    const lsnn_st_tensor *t = &m->tensors[i];
    *name = t->name;
    *dtype = (int)t->dtype;
    *data = (void *)t->data;
    *ndim = t->ndim;
    shape[0] = t->shape[0];
    shape[1] = t->ndim > 1 ? t->shape[1] : 0;
    return LSNN_OK;
}

/* Calls that change the parameters or use the trainer's batch close an open episode: the
 * network must not change during one, and a trainable episode's inputs are in that batch. A
 * later step then says that no episode is open. */
static void lsnn__api_close_episode(lsnn_api_model *m, int only_trainable)
{
    if (!only_trainable || m->s_train)
        m->s_open = 0;
}

lsnn_real *lsnn_api_model_params(lsnn_api_model *m)
{
    return m->tr.params;
}

lsnn_status lsnn_api_model_changed(lsnn_api_model *m)
{
    lsnn__api_close_episode(m, 0);
    if (!m->tr.model->spiking)
        return LSNN_OK;
    for (size_t k = 0; k < m->tr.n_params; k++)
        if (!isfinite(m->tr.params[k]))
            return lsnn_error(LSNN_ERR_NUMERIC, "model: parameter %zu is %g", k,
                              (double)m->tr.params[k]);
    lsnn_net_update_constants(&m->tr.net);
    lsnn_net_apply_masks(&m->tr.net);
    return LSNN_OK;
}

/* ---- forward pass, gradients, updates ---------------------------------------------------- */

static lsnn_status lsnn__api_need_stepwise(const lsnn_api_model *m, const char *who)
{
    if (lsnn__api_stepwise(m))
        return LSNN_OK;
    return lsnn_error(LSNN_ERR_ARG, "%s: needs a spiking network of one direction (model '%s'%s)",
                      who, m->tr.cfg.model,
                      m->tr.model->spiking ? ", bidirectional" : "");
}

/* A workspace and batch of B x T for the model's network (kept while the shape stays). */
static lsnn_status lsnn__api_workspace(lsnn_api_model *m, lsnn_sim **sim, lsnn_batch *b,
                                       lsnn_real **y, int B, int T)
{
    const lsnn_net *net = &m->tr.net;
    if (*sim && b->B == B && b->T == T)
        return LSNN_OK;
    lsnn_sim_free(*sim);
    lsnn_batch_free(b);
    free(*y);
    *sim = NULL;
    *y = NULL;
    memset(b, 0, sizeof *b);
    lsnn_status st = lsnn_batch_init(b, B, T, net->n_in, net->n_out, LSNN_LOSS_MSE, 0);
    if (st)
        return st;
    *y = malloc(sizeof(lsnn_real) * (size_t)B * T * net->n_out);
    if (!*y) {
        lsnn_batch_free(b);
        return lsnn_error(LSNN_ERR_NOMEM, "simulation: out of memory");
    }
    *sim = lsnn_sim_create(net, B, T, &st);
    if (!*sim) {
        free(*y);
        *y = NULL;
        lsnn_batch_free(b);
        memset(b, 0, sizeof *b);
        return st;
    }
    return LSNN_OK;
}

static lsnn_status lsnn__api_check_shape(int B, int T, const char *who)
{
    if (B < 1 || T < 1 || (double)B * T > 1e9)
        return lsnn_error(LSNN_ERR_RANGE, "%s: %d sequences of %d steps (each must be >= 1)",
                          who, B, T);
    return LSNN_OK;
}

lsnn_status lsnn_api_simulate(lsnn_api_model *m, const lsnn_real *x, int B, int T,
                              uint64_t noise_key, lsnn_real *y, lsnn_real *z, lsnn_real *v,
                              lsnn_real *thr)
{
    lsnn_status st = lsnn__api_need_stepwise(m, "simulate");
    if (st || (st = lsnn__api_check_shape(B, T, "simulate")))
        return st;
    if ((st = lsnn__api_workspace(m, &m->usim, &m->ub, &m->uy, B, T)))
        return st;
    const lsnn_net *net = &m->tr.net;
    memcpy(m->ub.x, x, sizeof(lsnn_real) * (size_t)B * T * net->n_in);
    m->ub.noise_key = noise_key;
    const size_t nt = (size_t)B * T * net->n;
    lsnn_trace trace = {0};
    lsnn_real *tmp = NULL;
    if (z || v || thr) { /* the trace writes all three: give the missing ones scratch room */
        const int missing = !z + !v + !thr;
        if (missing && !(tmp = malloc(sizeof(lsnn_real) * nt * missing)))
            return lsnn_error(LSNN_ERR_NOMEM, "simulate: out of memory for the traces");
        lsnn_real *next = tmp;
        trace.z = z ? z : next;
        next += z ? 0 : nt;
        trace.v = v ? v : next;
        next += v ? 0 : nt;
        trace.thr = thr ? thr : next;
        lsnn_sim_set_trace_sequences(m->usim, B);
    }
    st = lsnn_sim_forward(m->usim, net, &m->ub, m->uy, NULL, (z || v || thr) ? &trace : NULL);
    free(tmp);
    if (!st)
        memcpy(y, m->uy, sizeof(lsnn_real) * (size_t)B * T * net->n_out);
    return st;
}

/* The trainer that runs rule (NULL or "": the model's own), with the model's parameters. */
static lsnn_status lsnn__api_rule(lsnn_api_model *m, const char *rule, lsnn_trainer **out)
{
    *out = &m->tr;
    if (!rule || !rule[0] || strcmp(rule, m->tr.cfg.learning) == 0)
        return LSNN_OK;
    if (!lsnn_learner_find(rule))
        return lsnn_error(LSNN_ERR_ARG, "gradient: unknown learning rule '%s'", rule);
    if (m->alt && strcmp(m->alt->cfg.learning, rule) != 0) {
        lsnn_trainer_free(m->alt);
        free(m->alt);
        m->alt = NULL;
    }
    if (!m->alt) {
        lsnn_config cfg = m->tr.cfg;
        snprintf(cfg.learning, sizeof cfg.learning, "%s", rule);
        lsnn_status st = lsnn_config_validate(&cfg, "model");
        if (st)
            return lsnn_error(st, "gradient by %s: %s", rule, lsnn_last_error());
        if (!(m->alt = calloc(1, sizeof *m->alt)))
            return lsnn_error(LSNN_ERR_NOMEM, "gradient: out of memory");
        if ((st = lsnn_trainer_init(m->alt, &cfg))) {
            free(m->alt);
            m->alt = NULL;
            return lsnn_error(st, "gradient by %s: %s", rule, lsnn_last_error());
        }
    }
    if (m->alt->n_params != m->tr.n_params)
        return lsnn_error(LSNN_ERR_SHAPE, "gradient by %s: %zu parameters, the model has %zu",
                          rule, m->alt->n_params, m->tr.n_params);
    memcpy(m->alt->params, m->tr.params, sizeof(lsnn_real) * m->tr.n_params);
    if (m->tr.model->spiking) { /* the masks and per-neuron constants follow the parameters */
        const lsnn_net *a = &m->tr.net;
        lsnn_net *b = &m->alt->net;
        for (int p = 0; p < a->n_proj; p++)
            if (a->proj[p].mask)
                memcpy(b->proj[p].mask, a->proj[p].mask,
                       (size_t)a->proj[p].n_src * a->proj[p].n_dst);
        if (a->w_out_mask)
            memcpy(b->w_out_mask, a->w_out_mask, (size_t)a->n * a->n_out);
        for (int p = 0; p < a->n_pop; p++) /* neuron parameters written through the tensors */
            memcpy(b->pop[p].par, a->pop[p].par,
                   sizeof(lsnn_real) * (size_t)a->pop[p].model->n_params * a->pop[p].count);
        lsnn_net_update_constants(b);
    }
    *out = m->alt;
    return LSNN_OK;
}

lsnn_status lsnn_api_gradient(lsnn_api_model *m, const char *rule, const lsnn_real *x,
                              const lsnn_real *y_target, const lsnn_real *y_weight,
                              const int32_t *n_windows, const int32_t *windows,
                              const lsnn_real *w_target, uint64_t noise_key, lsnn_real *grad,
                              double *stats)
{
    if (!x || !grad)
        return lsnn_error(LSNN_ERR_ARG, "gradient: inputs and the gradient's room are required");
    lsnn__api_close_episode(m, 1);
    lsnn_trainer *tr;
    lsnn_status st = lsnn__api_rule(m, rule, &tr);
    if (st)
        return st;
    if (tr->learner->gradient == NULL || strcmp(tr->learner->name, "ppo") == 0)
        return lsnn_error(LSNN_ERR_ARG, "gradient: rule '%s' acts in an environment; it cannot "
                                        "take a batch of the caller",
                          tr->learner->name);
    const lsnn__api_feed f = {x, y_target, y_weight, w_target, n_windows, windows, noise_key};
    lsnn_iter_stats is = {0};
    st = lsnn_trainer_compute_gradient(tr, &m->feed, &f, LSNN_STREAM_TRAIN, 0, grad, &is);
    if (st)
        return st;
    if (stats) {
        stats[0] = is.loss;
        stats[1] = is.reg;
        stats[2] = is.metric;
        stats[3] = is.rate_hz;
    }
    return LSNN_OK;
}

lsnn_status lsnn_api_apply(lsnn_api_model *m, lsnn_real *grad, double *stats)
{
    lsnn__api_close_episode(m, 0);
    lsnn_iter_stats is = {0};
    lsnn_status st = lsnn_trainer_apply(&m->tr, grad, &is);
    if (!st && stats) {
        stats[0] = is.grad_norm;
        stats[1] = (double)is.rewired;
    }
    return st;
}

lsnn_status lsnn_api_task_batch(lsnn_api_model *m, int stream, long first, const lsnn_real **x,
                                const int32_t **n_windows, const int32_t **windows,
                                const lsnn_real **y_target, const lsnn_real **y_weight,
                                const lsnn_real **w_target, uint64_t *noise_key)
{
    lsnn_trainer *tr = &m->tr;
    lsnn__api_close_episode(m, 1);
    if (stream < (int)LSNN_STREAM_TRAIN || stream > (int)LSNN_STREAM_TEST || first < 0)
        return lsnn_error(LSNN_ERR_ARG, "batch: stream %d, first %ld (streams 1 training, 2 "
                                        "validation, 3 test; first >= 0)",
                          stream, first);
    if (tr->task->env)
        return lsnn_error(LSNN_ERR_ARG, "batch: task '%s' is closed-loop; its inputs depend on "
                                        "the actions",
                          tr->task->name);
    lsnn_batch *b = &tr->batch;
    if (b->x_nt != b->T)
        return lsnn_error(LSNN_ERR_ARG, "batch: the model's batches are streamed (e-prop on a "
                                        "long task); build it with learning bptt to read them");
    lsnn_status st = tr->task->generate(tr->task_state, &tr->cfg, tr->cfg.seed, (uint64_t)stream,
                                        (uint64_t)first, b);
    if (st)
        return st;
    _Static_assert(sizeof(lsnn_window) == 3 * sizeof(int32_t), "lsnn_window is 3 int32");
    *x = b->x;
    *n_windows = b->n_windows;
    *windows = (const int32_t *)b->windows;
    *y_target = b->y_target;
    *y_weight = b->y_weight;
    *w_target = b->w_target;
    *noise_key = b->noise_key;
    return LSNN_OK;
}

lsnn_status lsnn_api_evaluate(lsnn_api_model *m, int stream, int count, double *out)
{
    if (stream < (int)LSNN_STREAM_TRAIN || stream > (int)LSNN_STREAM_TEST || count < 1)
        return lsnn_error(LSNN_ERR_ARG, "evaluate: stream %d, %d sequences", stream, count);
    lsnn__api_close_episode(m, 1);
    lsnn_eval_result r;
    lsnn_status st = lsnn_trainer_evaluate(&m->tr, (uint64_t)stream, count, &r, NULL);
    if (!st) {
        out[0] = r.loss;
        out[1] = r.metric;
        out[2] = r.rate_hz;
    }
    return st;
}

/* ---- closed-loop stepping ------------------------------------------------------------------ */

lsnn_status lsnn_api_begin(lsnn_api_model *m, int B, int T, uint64_t noise_key, int trainable)
{
    lsnn_status st = lsnn__api_need_stepwise(m, "begin");
    if (st || (st = lsnn__api_check_shape(B, T, "begin")))
        return st;
    m->s_open = 0;
    lsnn_trainer *tr = &m->tr;
    if (trainable) {
        if (B != tr->batch.B || T != tr->batch.T)
            return lsnn_error(LSNN_ERR_SHAPE,
                              "begin: a trainable episode has the model's batch (%d sequences of "
                              "%d steps), not %d of %d",
                              tr->batch.B, tr->batch.T, B, T);
        if (!tr->learner->backward || tr->batch.x_nt != tr->batch.T)
            return lsnn_error(LSNN_ERR_ARG, "begin: a trainable episode needs a model built for "
                                            "BPTT (learning \"bptt\")");
        if ((st = lsnn_trainer_prepare_forward(tr)))
            return st;
        memset(tr->batch.x, 0, sizeof(lsnn_real) * (size_t)B * T * tr->batch.n_in);
        tr->batch.noise_key = noise_key;
        if ((st = lsnn_trainer_episode_begin(tr)))
            return st;
    } else {
        if ((st = lsnn__api_workspace(m, &m->ssim, &m->sb, &m->sy, B, T)))
            return st;
        lsnn_sim_set_recording(m->ssim, 0);
        memset(m->sb.x, 0, sizeof(lsnn_real) * (size_t)B * T * m->tr.net.n_in);
        m->sb.noise_key = noise_key;
        if ((st = lsnn_sim_begin(m->ssim, &m->tr.net, &m->sb)))
            return st;
    }
    m->s_open = 1;
    m->s_train = trainable != 0;
    m->s_next = 0;
    m->episode++;
    return LSNN_OK;
}

/* The stepping workspace, batch and readout of the open episode. */
static void lsnn__api_episode(lsnn_api_model *m, lsnn_sim **sim, lsnn_batch **b, lsnn_real **y)
{
    *sim = m->s_train ? m->tr.sim : m->ssim;
    *b = m->s_train ? &m->tr.batch : &m->sb;
    *y = m->s_train ? m->tr.y : m->sy;
}

lsnn_status lsnn_api_step(lsnn_api_model *m, const lsnn_real *x_t, lsnn_real *y_t,
                          lsnn_real *z_t, int *t_out)
{
    if (!m->s_open)
        return lsnn_error(LSNN_ERR_ARG, "step: no episode is open (begin one first)");
    lsnn_sim *sim;
    lsnn_batch *b;
    lsnn_real *y;
    lsnn__api_episode(m, &sim, &b, &y);
    const int t = m->s_next, n_in = b->n_in, n_out = b->n_out, n = m->tr.net.n;
    if (t >= b->T)
        return lsnn_error(LSNN_ERR_RANGE, "step: the episode has run its %d steps", b->T);
    for (int g = 0; g < b->B; g++)
        memcpy((lsnn_real *)lsnn_batch_x(b, g, t), x_t + (size_t)g * n_in,
               sizeof(lsnn_real) * n_in);
    lsnn_status st = m->s_train ? lsnn_trainer_episode_step(&m->tr, t)
                                : lsnn_sim_step(sim, &m->tr.net, b, t, y, NULL);
    if (st)
        return st;
    for (int g = 0; g < b->B; g++) {
        memcpy(y_t + (size_t)g * n_out, y + ((size_t)g * b->T + t) * n_out,
               sizeof(lsnn_real) * n_out);
        if (z_t && (st = lsnn_sim_spikes(sim, g, z_t + (size_t)g * n)))
            return st;
    }
    m->s_next = t + 1;
    if (t_out)
        *t_out = t;
    return LSNN_OK;
}

lsnn_status lsnn_api_backward(lsnn_api_model *m, const lsnn_real *gy, lsnn_real *grad)
{
    if (!m->s_open || !m->s_train)
        return lsnn_error(LSNN_ERR_ARG, "backward: needs a trainable episode (begin with "
                                        "trainable = 1)");
    lsnn_trainer *tr = &m->tr;
    if (m->s_next != tr->batch.T)
        return lsnn_error(LSNN_ERR_ARG, "backward: the episode has run %d of its %d steps",
                          m->s_next, tr->batch.T);
    lsnn_status st = lsnn_trainer_episode_end(tr);
    if (st)
        return st;
    memcpy(tr->gy, gy, sizeof(lsnn_real) * (size_t)tr->batch.B * tr->batch.T * tr->batch.n_out);
    st = lsnn_trainer_backward(tr, grad);
    m->s_open = 0; /* the trainer's workspace moves on */
    return st;
}

lsnn_status lsnn_api_snapshot(lsnn_api_model *m, lsnn_api_state **out)
{
    *out = NULL;
    if (!m->s_open)
        return lsnn_error(LSNN_ERR_ARG, "snapshot: no episode is open");
    lsnn_api_state *s = calloc(1, sizeof *s);
    if (!s)
        return lsnn_error(LSNN_ERR_NOMEM, "snapshot: out of memory");
    lsnn_status st = LSNN_OK;
    lsnn_sim *sim = m->s_train ? m->tr.sim : m->ssim;
    s->st = lsnn_sim_state_create(sim, &st);
    if (!s->st || (st = lsnn_sim_snapshot(sim, s->st))) {
        lsnn_sim_state_free(s->st);
        free(s);
        return st;
    }
    s->m = m;
    s->episode = m->episode;
    *out = s;
    return LSNN_OK;
}

lsnn_status lsnn_api_restore(lsnn_api_model *m, const lsnn_api_state *s)
{
    if (s->m != m)
        return lsnn_error(LSNN_ERR_ARG, "restore: the state belongs to another model");
    if (!m->s_open || s->episode != m->episode)
        return lsnn_error(LSNN_ERR_ARG, "restore: the state belongs to an earlier episode");
    lsnn_status st = lsnn_sim_restore(m->s_train ? m->tr.sim : m->ssim, s->st);
    if (!st)
        m->s_next = lsnn_sim_state_step(s->st);
    return st;
}

int lsnn_api_state_step(const lsnn_api_state *s)
{
    return s ? lsnn_sim_state_step(s->st) : -1;
}

int lsnn_api_state_equal(const lsnn_api_state *a, const lsnn_api_state *b)
{
    return a && b && lsnn_sim_state_equal(a->st, b->st);
}

void lsnn_api_state_free(lsnn_api_state *s)
{
    if (!s)
        return;
    lsnn_sim_state_free(s->st);
    free(s);
}

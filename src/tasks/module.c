/* Spiking modules of seed 003 chapter 4: an RSNN that computes the softmax (task "softmax") or
 * the K winners (task "kwta") of a vector coded by input rates.
 *
 * A sequence codes one vector x of M values x_m ~ Exp(exp_beta) (density beta e^(-beta x)).
 * Input value m is a group of group_size Poisson neurons firing at rate_scale x_m (seed 003
 * eq. 4.2; the spike probability per step rate_scale x_m dt / 1000 is capped at 1) for the whole
 * sequence. Input channels: [value 0 group][value 1 group]...
 *
 * Targets, one window [t_init, steps) per sequence, read by the rate readout (the mean rate in
 * Hz of each output group over the window, eq. 4.3):
 *   softmax: t_n = rate_scale softmax(a)_n with a = x (mapping "identity", eq. 4.9), a = W x
 *     (mapping "random": W (N x M) ~ N(map_mean, map_std) drawn once from the run's seed,
 *     eq. 4.12) or a_n = x_{2n} - x_{2n+1} (mapping "signed": pairs (x+, x-), eq. 4.14);
 *     the window's label is arg-max a (the accuracy of section 4.1.2); loss RATE_MSE (eq. 4.4).
 *   kwta: t_n = 1 if fewer than K inputs are larger than x_n (eq. 4.22), else 0; loss
 *     RATE_HINGE with borders rate_zero and rate_one (eq. 4.23); label = arg-max x.
 * Each sequence draws from a random stream of its own, derived from (seed, stream, index). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/task.h"
#include "core/rng_inline.h"

enum { LSNN__MAP_IDENTITY, LSNN__MAP_RANDOM, LSNN__MAP_SIGNED };

typedef struct lsnn__module {
    int kwta, map;
    double *w; /* "random": W_target (N, M), else NULL */
} lsnn__module;

static int lsnn__module_is_kwta(const lsnn_config *cfg)
{
    return strcmp(cfg->task, "kwta") == 0;
}

static lsnn_status lsnn__module_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_module_config *c = &cfg->module;
    memset(out, 0, sizeof *out);
    if ((long long)c->n_in * c->group_size > 1000000)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "module: n_in * group_size = %lld input channels (at most 1000000)",
                          (long long)c->n_in * c->group_size);
    out->n_in = c->n_in * c->group_size;
    out->n_out = c->n_out;
    out->T = c->steps;
    out->max_windows = 1;
    out->loss = lsnn__module_is_kwta(cfg) ? LSNN_LOSS_RATE_HINGE : LSNN_LOSS_RATE_MSE;
    out->metric = "accuracy";
    return LSNN_OK;
}

static lsnn_status lsnn__module_open(const lsnn_config *cfg, void **state)
{
    const lsnn_module_config *c = &cfg->module;
    lsnn__module *m = calloc(1, sizeof *m);
    if (!m)
        return lsnn_error(LSNN_ERR_NOMEM, "module: out of memory");
    m->kwta = lsnn__module_is_kwta(cfg);
    m->map = m->kwta                                  ? LSNN__MAP_IDENTITY
             : strcmp(c->mapping, "random") == 0      ? LSNN__MAP_RANDOM
             : strcmp(c->mapping, "signed") == 0      ? LSNN__MAP_SIGNED
                                                      : LSNN__MAP_IDENTITY;
    if (m->map == LSNN__MAP_RANDOM) {
        m->w = malloc(sizeof(double) * (size_t)c->n_out * c->n_in);
        if (!m->w) {
            free(m);
            return lsnn_error(LSNN_ERR_NOMEM, "module: cannot allocate W_target (%d x %d)",
                              c->n_out, c->n_in);
        }
        lsnn_rng rng;
        lsnn_rng_derive(&rng, cfg->seed, 0x3a9, 0, 0);
        for (size_t k = 0; k < (size_t)c->n_out * c->n_in; k++)
            m->w[k] = c->map_mean + c->map_std * lsnn_rng_normal(&rng);
    }
    *state = m;
    return LSNN_OK;
}

static void lsnn__module_close(void *state)
{
    lsnn__module *m = state;
    if (m)
        free(m->w);
    free(m);
}

static long lsnn__module_stream_size(const void *state, const lsnn_config *cfg, uint64_t stream)
{
    (void)state;
    return stream == LSNN_STREAM_TRAIN ? 0 : cfg->module.val_size;
}

/* The mapped values a (N) of one input vector x (M). */
static void lsnn__module_map(const lsnn__module *m, const lsnn_module_config *c, const double *x,
                             double *a)
{
    for (int n = 0; n < c->n_out; n++) {
        if (m->map == LSNN__MAP_SIGNED) {
            a[n] = x[2 * n] - x[2 * n + 1];
        } else if (m->map == LSNN__MAP_RANDOM) {
            double s = 0;
            for (int k = 0; k < c->n_in; k++)
                s += m->w[(size_t)n * c->n_in + k] * x[k];
            a[n] = s;
        } else {
            a[n] = x[n];
        }
    }
}

static lsnn_status lsnn__module_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                         uint64_t stream, uint64_t first, lsnn_batch *b)
{
    const lsnn__module *m = state;
    const lsnn_module_config *c = &cfg->module;
    const int M = c->n_in, N = c->n_out, G = c->group_size, T = b->T;
    if (b->n_in != M * G || b->n_out != N || T != c->steps || !b->w_target || b->max_windows < 1)
        return lsnn_error(LSNN_ERR_SHAPE, "module: the batch does not have the task's shape");
    double *x = malloc(sizeof(double) * (size_t)(M + N));
    if (!x)
        return lsnn_error(LSNN_ERR_NOMEM, "module: out of memory");
    double *a = x + M;
    b->rate_zero = c->rate_zero;
    b->rate_one = c->rate_one;
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * b->x_nt * b->n_in);
    for (int s = 0; s < b->B; s++) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x3a7, stream, first + (uint64_t)s);
        for (int k = 0; k < M; k++)
            x[k] = -log1p(-lsnn__rng_uniform(&rng)) / c->exp_beta;
        lsnn_real *tg = b->w_target + (size_t)s * b->max_windows * N;
        int label = 0;
        if (m->kwta) {
            for (int n = 0; n < N; n++) {
                int above = 0;
                for (int k = 0; k < N; k++)
                    above += x[k] > x[n];
                tg[n] = above < c->k ? 1 : 0;
                label = x[n] > x[label] ? n : label;
            }
        } else {
            lsnn__module_map(m, c, x, a);
            double mx = a[0], z = 0;
            for (int n = 1; n < N; n++)
                if (a[n] > mx) {
                    mx = a[n];
                    label = n;
                }
            for (int n = 0; n < N; n++)
                z += exp(a[n] - mx);
            for (int n = 0; n < N; n++)
                tg[n] = (lsnn_real)(c->rate_scale * exp(a[n] - mx) / z);
        }
        lsnn_window *w = &b->windows[(size_t)s * b->max_windows];
        w->t0 = c->t_init;
        w->t1 = T;
        w->label = label;
        b->n_windows[s] = 1;
        for (int k = 0; k < M; k++) {
            double p = c->rate_scale * x[k] * cfg->network.dt / 1000.0;
            p = p < 1 ? p : 1;
            for (int t = 0; t < T; t++) {
                lsnn_real *xt = b->x + ((size_t)s * b->x_nt + t) * b->n_in + (size_t)k * G;
                for (int i = 0; i < G; i++)
                    xt[i] = lsnn__rng_uniform(&rng) < p ? 1 : 0;
            }
        }
    }
    free(x);
    b->noise_key = lsnn_hash4(seed, 0x3a8, stream, first);
    return LSNN_OK;
}

/* One group of group_size channels per input x_n: "x0", "x1", ...; under the signed map, whose
 * inputs come in pairs (x_n's positive and negative part), "x0+", "x0-", "x1+", ... */
static int lsnn__module_input_groups(const lsnn_config *cfg, lsnn_task_input_group *out, int cap)
{
    const lsnn_module_config *c = &cfg->module;
    const int pairs = !lsnn__module_is_kwta(cfg) && strcmp(c->mapping, "signed") == 0;
    if (c->n_in > cap)
        return 0;
    for (int g = 0; g < c->n_in; g++) {
        if (pairs)
            snprintf(out[g].name, sizeof out[g].name, "x%d%c", g / 2, g % 2 ? '-' : '+');
        else
            snprintf(out[g].name, sizeof out[g].name, "x%d", g);
        out[g].off = g * c->group_size;
        out[g].end = (g + 1) * c->group_size;
    }
    return c->n_in;
}

const lsnn_task lsnn_task_softmax = {
    .name = "softmax",
    .description = "an RSNN computes the softmax of input rates (seed 003 section 4.1)",
    .shape = lsnn__module_shape,
    .open = lsnn__module_open,
    .close = lsnn__module_close,
    .generate = lsnn__module_generate,
    .stream_size = lsnn__module_stream_size,
    .streamed = 0,
    .input_groups = lsnn__module_input_groups,
};

const lsnn_task lsnn_task_kwta = {
    .name = "kwta",
    .description = "an RSNN computes the K winners of input rates (seed 003 section 4.3)",
    .shape = lsnn__module_shape,
    .open = lsnn__module_open,
    .close = lsnn__module_close,
    .generate = lsnn__module_generate,
    .stream_size = lsnn__module_stream_size,
    .streamed = 0,
    .input_groups = lsnn__module_input_groups,
};

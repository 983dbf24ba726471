/* Task "l2l": learning-to-learn from a teacher (seed 000/001 section 5, Fig. 2).
 *
 * Sequence g of a stream is an episode with its own function C of the family (lsnn_l2l_draw,
 * from (seed, stream, g)). Example k (k = 0 .. steps-1) lasts step_ms simulation steps: the input
 * neurons code x_k (one group of neurons_per_var per component: sine 1, TN 2) and the previous
 * example's target C(x_{k-1}) (0 for k = 0) with Gaussian tuning curves (lsnn_l2l_rates: TN x in
 * [-1, 1], C in [0, 1]; sine x and C in [-5, 5]); each input neuron spikes in each step with
 * probability rate * dt / 1000 (Bernoulli; neurons whose probability is below 1e-9 are silent and
 * draw nothing). Window k covers the example's steps and its target is C(x_k): the loss is the
 * squared error of the readout averaged over the window (LSNN_LOSS_RATE_MSE), so with
 * network.readout_tau = 0 the prediction is linear in each neuron's spike count over the
 * example divided by its length, the readout of the paper. The metric is the mean squared
 * error over examples. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/l2l.h"
#include "lsnn/task.h"
#include "core/rng_inline.h"

static double lsnn__sigmoid(double a)
{
    return 1 / (1 + exp(-a));
}

/* The TN's linear output unit. */
static double lsnn__tn_linear(const lsnn_l2l_fn *f, double x0, double x1)
{
    double a = f->b2;
    for (int h = 0; h < LSNN_L2L_HIDDEN; h++)
        a += f->w2[h] * lsnn__sigmoid(f->w1[h][0] * x0 + f->w1[h][1] * x1 + f->b1[h]);
    return a;
}

int lsnn_l2l_family(const lsnn_l2l_config *c)
{
    if (strcmp(c->family, "tn") != 0)
        return LSNN_L2L_SINE;
    return strcmp(c->tn_output, "sigmoid") == 0 ? LSNN_L2L_TN_SIGMOID : LSNN_L2L_TN_MINMAX;
}

void lsnn_l2l_draw(lsnn_l2l_fn *f, int family, uint64_t seed, uint64_t stream,
                   uint64_t episode)
{
    memset(f, 0, sizeof *f);
    const int tn = family != LSNN_L2L_SINE;
    f->tn = family;
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x1217, stream, episode);
    if (!tn) {
        f->A = 0.1 + 4.9 * lsnn__rng_uniform(&rng);
        f->phi = 3.14159265358979323846 * lsnn__rng_uniform(&rng);
        return;
    }
    for (int h = 0; h < LSNN_L2L_HIDDEN; h++) {
        f->w1[h][0] = 2 * lsnn__rng_uniform(&rng) - 1;
        f->w1[h][1] = 2 * lsnn__rng_uniform(&rng) - 1;
        f->b1[h] = 2 * lsnn__rng_uniform(&rng) - 1;
        f->w2[h] = 2 * lsnn__rng_uniform(&rng) - 1;
    }
    f->b2 = 2 * lsnn__rng_uniform(&rng) - 1;
    if (family != LSNN_L2L_TN_MINMAX)
        return;
    f->lo = INFINITY;
    f->hi = -INFINITY;
    for (int i = 0; i < LSNN_L2L_GRID; i++)
        for (int j = 0; j < LSNN_L2L_GRID; j++) {
            const double a = lsnn__tn_linear(f, -1 + 2.0 * i / (LSNN_L2L_GRID - 1),
                                             -1 + 2.0 * j / (LSNN_L2L_GRID - 1));
            f->lo = fmin(f->lo, a);
            f->hi = fmax(f->hi, a);
        }
    if (!(f->hi > f->lo)) /* a constant function (all output weights 0): keep it finite */
        f->hi = f->lo + 1;
}

double lsnn_l2l_eval(const lsnn_l2l_fn *f, const double *x)
{
    if (!f->tn)
        return f->A * sin(f->phi + x[0]);
    const double a = lsnn__tn_linear(f, x[0], x[1]);
    return f->tn == LSNN_L2L_TN_MINMAX ? (a - f->lo) / (f->hi - f->lo) : lsnn__sigmoid(a);
}

void lsnn_l2l_rates(double z, double lo, double hi, int n, double rate_max, double width,
                    double *out)
{
    const double sigma = width * (hi - lo);
    for (int i = 0; i < n; i++) {
        const double m = lo + i * (hi - lo) / (n - 1), d = m - z;
        out[i] = rate_max * exp(-d * d / (2 * sigma * sigma));
    }
}

int lsnn_l2l_vars(const lsnn_l2l_config *c, double lo[3], double hi[3])
{
    if (strcmp(c->family, "tn") == 0) {
        lo[0] = lo[1] = -1;
        hi[0] = hi[1] = 1;
        lo[2] = 0;
        hi[2] = 1;
        return 3;
    }
    lo[0] = lo[1] = -5;
    hi[0] = hi[1] = 5;
    return 2;
}

void lsnn_l2l_episode(const lsnn_l2l_config *c, uint64_t seed, uint64_t stream, uint64_t g,
                      double *x, double *y)
{
    double lo[3], hi[3];
    const int dx = lsnn_l2l_vars(c, lo, hi) - 1;
    lsnn_l2l_fn f;
    lsnn_l2l_draw(&f, lsnn_l2l_family(c), seed, stream, g);
    lsnn_rng rx;
    lsnn_rng_derive(&rx, seed, 0x1218, stream, g);
    for (int k = 0; k < c->steps; k++) {
        double *xv = x + (size_t)k * dx;
        for (int d = 0; d < dx; d++)
            xv[d] = lo[d] + (hi[d] - lo[d]) * lsnn__rng_uniform(&rx);
        y[k] = lsnn_l2l_eval(&f, xv);
    }
}

void lsnn_l2l_encode(const lsnn_l2l_config *c, double dt, const double *x, double prev,
                     lsnn_rng *rs, lsnn_real *x_rows, double *p, int *on)
{
    double lo[3], hi[3];
    const int nv = lsnn_l2l_vars(c, lo, hi), N = c->neurons_per_var, n_in = N * nv;
    const double pscale = dt / 1000.0;
    memset(x_rows, 0, sizeof(lsnn_real) * (size_t)c->step_ms * n_in);
    for (int d = 0; d < nv; d++)
        lsnn_l2l_rates(d < nv - 1 ? x[d] : prev, lo[d], hi[d], N, c->rate_max, c->width,
                       p + (size_t)d * N);
    int n_on = 0;
    for (int i = 0; i < n_in; i++) {
        p[i] *= pscale;
        if (p[i] >= 1e-9)
            on[n_on++] = i;
    }
    for (int t = 0; t < c->step_ms; t++)
        for (int e = 0; e < n_on; e++)
            if (lsnn__rng_uniform(rs) < p[on[e]])
                x_rows[(size_t)t * n_in + on[e]] = 1;
}

static lsnn_status lsnn__l2l_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_l2l_config *c = &cfg->l2l;
    double lo[3], hi[3];
    memset(out, 0, sizeof *out);
    if ((long long)c->steps * c->step_ms > 10000000LL)
        return lsnn_error(LSNN_ERR_CONFIG, "l2l: steps * step_ms must be <= 10000000, got %lld",
                          (long long)c->steps * c->step_ms);
    out->n_in = c->neurons_per_var * lsnn_l2l_vars(c, lo, hi);
    out->n_out = 1;
    out->T = c->steps * c->step_ms;
    out->max_windows = c->steps;
    out->loss = LSNN_LOSS_RATE_MSE;
    out->metric = "mse";
    return LSNN_OK;
}

static lsnn_status lsnn__l2l_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                      uint64_t stream, uint64_t first, lsnn_batch *b)
{
    (void)state;
    const lsnn_l2l_config *c = &cfg->l2l;
    double lo[3], hi[3];
    const int nv = lsnn_l2l_vars(c, lo, hi), N = c->neurons_per_var, S = c->step_ms;
    const int n_in = b->n_in;
    if (n_in != N * nv || b->n_out != 1 || b->T != c->steps * S || !b->w_target ||
        b->max_windows < c->steps)
        return lsnn_error(LSNN_ERR_SHAPE, "l2l: the batch does not have the task's shape");
    const int dx = nv - 1;
    double *p = malloc(sizeof(double) * (size_t)n_in);
    int *on = malloc(sizeof(int) * (size_t)n_in);
    double *xs = malloc(sizeof(double) * (size_t)c->steps * (dx + 1));
    if (!p || !on || !xs) {
        free(p);
        free(on);
        free(xs);
        return lsnn_error(LSNN_ERR_NOMEM, "l2l: out of memory");
    }
    double *ys = xs + (size_t)c->steps * dx;
    for (int s = 0; s < b->B; s++) {
        const uint64_t g = first + (uint64_t)s;
        lsnn_l2l_episode(c, seed, stream, g, xs, ys);
        lsnn_rng rs;
        lsnn_rng_derive(&rs, seed, 0x1219, stream, g);
        lsnn_real *x = b->x + (size_t)s * b->x_nt * n_in;
        b->n_windows[s] = c->steps;
        for (int k = 0; k < c->steps; k++) {
            lsnn_l2l_encode(c, cfg->network.dt, xs + (size_t)k * dx, k ? ys[k - 1] : 0, &rs,
                            x + (size_t)k * S * n_in, p, on);
            b->windows[(size_t)s * b->max_windows + k] = (lsnn_window){k * S, (k + 1) * S, 0};
            b->w_target[(size_t)s * b->max_windows + k] = (lsnn_real)ys[k];
        }
    }
    free(p);
    free(on);
    free(xs);
    b->noise_key = lsnn_hash4(seed, 0x121a, stream, first);
    return LSNN_OK;
}

static int lsnn__l2l_groups(const lsnn_config *cfg, lsnn_task_input_group *out, int cap)
{
    double lo[3], hi[3];
    const int nv = lsnn_l2l_vars(&cfg->l2l, lo, hi), N = cfg->l2l.neurons_per_var;
    static const char *const tn_names[] = {"x1", "x2", "previous target"};
    static const char *const sine_names[] = {"x", "previous target"};
    if (cap < nv)
        return 0;
    for (int d = 0; d < nv; d++) {
        memset(&out[d], 0, sizeof out[d]);
        strncpy(out[d].name, nv == 3 ? tn_names[d] : sine_names[d], LSNN_TASK_GROUP_NAME - 1);
        out[d].off = d * N;
        out[d].end = (d + 1) * N;
    }
    return nv;
}

static long lsnn__l2l_stream_size(const void *state, const lsnn_config *cfg, uint64_t stream)
{
    (void)state;
    (void)stream;
    return cfg->l2l.val_size;
}

const lsnn_task lsnn_task_l2l = {
    .name = "l2l",
    .description = "learning-to-learn from a teacher: a new sine or target network per episode "
                   "(seed 000/001 section 5)",
    .shape = lsnn__l2l_shape,
    .open = NULL,
    .close = NULL,
    .generate = lsnn__l2l_generate,
    .stream_size = lsnn__l2l_stream_size,
    .streamed = 0,
    .input_groups = lsnn__l2l_groups,
};

/* Learning-to-learn with frozen weights, analysed (see lsnn/l2l_analysis.h): the baselines'
 * numerics (ridge regression in closed form and online, the feed-forward network and its Adam)
 * and the step-wise run of test episodes that feeds them, with the internal-model probes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/l2l.h"
#include "lsnn/l2l_analysis.h"
#include "lsnn/sim.h"

/* ---------------------------------------------------------------------------------------------
 * Ridge regression. */

/* Cholesky factor L (lower, in place) of the symmetric positive definite A (d, d); 0 if A is not
 * positive definite. */
static int lsnn__cholesky(double *A, int d)
{
    for (int j = 0; j < d; j++) {
        double s = A[(size_t)j * d + j];
        for (int k = 0; k < j; k++)
            s -= A[(size_t)j * d + k] * A[(size_t)j * d + k];
        if (!(s > 0))
            return 0;
        const double l = sqrt(s);
        A[(size_t)j * d + j] = l;
        for (int i = j + 1; i < d; i++) {
            double t = A[(size_t)i * d + j];
            for (int k = 0; k < j; k++)
                t -= A[(size_t)i * d + k] * A[(size_t)j * d + k];
            A[(size_t)i * d + j] = t / l;
        }
    }
    return 1;
}

lsnn_status lsnn_ridge_fit(const double *F, const double *y, int m, int d, double lambda,
                           double *w)
{
    if (!F || !y || !w || m < 0 || d < 1 || !(lambda > 0))
        return lsnn_error(LSNN_ERR_ARG, "ridge regression: needs F, y, w, m >= 0, d >= 1 and "
                                        "lambda > 0 (got m %d, d %d, lambda %g)",
                          m, d, lambda);
    double *A = calloc((size_t)d * d, sizeof *A);
    if (!A)
        return lsnn_error(LSNN_ERR_NOMEM, "ridge regression: out of memory (%d features)", d);
    for (int e = 0; e < m; e++) {
        const double *f = F + (size_t)e * d;
        for (int i = 0; i < d; i++)
            if (f[i] != 0)
                for (int j = 0; j <= i; j++)
                    A[(size_t)i * d + j] += f[i] * f[j];
    }
    for (int i = 0; i < d; i++) {
        A[(size_t)i * d + i] += lambda;
        double s = 0;
        for (int e = 0; e < m; e++)
            s += F[(size_t)e * d + i] * y[e];
        w[i] = s;
    }
    if (!lsnn__cholesky(A, d)) { /* cannot happen for lambda > 0 and finite F */
        free(A);
        return lsnn_error(LSNN_ERR_ARG, "ridge regression: the normal equations are not "
                                        "positive definite (non-finite features?)");
    }
    for (int i = 0; i < d; i++) { /* L u = b */
        double s = w[i];
        for (int k = 0; k < i; k++)
            s -= A[(size_t)i * d + k] * w[k];
        w[i] = s / A[(size_t)i * d + i];
    }
    for (int i = d - 1; i >= 0; i--) { /* L^T w = u */
        double s = w[i];
        for (int k = i + 1; k < d; k++)
            s -= A[(size_t)k * d + i] * w[k];
        w[i] = s / A[(size_t)i * d + i];
    }
    free(A);
    return LSNN_OK;
}

lsnn_status lsnn_ridge_online_init(lsnn_ridge_online *r, int d, double lambda)
{
    memset(r, 0, sizeof *r);
    if (d < 1 || !(lambda > 0))
        return lsnn_error(LSNN_ERR_ARG, "online ridge regression: needs d >= 1 and lambda > 0 "
                                        "(got %d, %g)",
                          d, lambda);
    r->d = d;
    r->P = calloc((size_t)d * d + 2 * (size_t)d, sizeof(double));
    if (!r->P)
        return lsnn_error(LSNN_ERR_NOMEM, "online ridge regression: out of memory");
    r->b = r->P + (size_t)d * d;
    r->u = r->b + d;
    for (int i = 0; i < d; i++)
        r->P[(size_t)i * d + i] = 1 / lambda;
    return LSNN_OK;
}

double lsnn_ridge_online_predict(const lsnn_ridge_online *r, const double *f)
{
    const int d = r->d;
    double s = 0;
    for (int i = 0; i < d; i++) {
        if (f[i] == 0)
            continue;
        const double *Pi = r->P + (size_t)i * d;
        double t = 0;
        for (int j = 0; j < d; j++)
            t += Pi[j] * r->b[j];
        s += f[i] * t;
    }
    return s;
}

void lsnn_ridge_online_add(lsnn_ridge_online *r, const double *f, double y)
{
    const int d = r->d;
    double *u = r->u, den = 1;
    for (int i = 0; i < d; i++) { /* u = P f (P symmetric) */
        const double *Pi = r->P + (size_t)i * d;
        double t = 0;
        for (int j = 0; j < d; j++)
            t += Pi[j] * f[j];
        u[i] = t;
        den += f[i] * t;
    }
    for (int i = 0; i < d; i++) {
        const double a = u[i] / den;
        double *Pi = r->P + (size_t)i * d;
        for (int j = 0; j < d; j++)
            Pi[j] -= a * u[j];
        r->b[i] += y * f[i];
    }
}

void lsnn_ridge_online_free(lsnn_ridge_online *r)
{
    free(r->P);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------------------------------------
 * Feed-forward baseline. */

lsnn_status lsnn_ff_init(lsnn_ff *ff, int d, const lsnn_ff_opts *o, uint64_t seed)
{
    memset(ff, 0, sizeof *ff);
    if (d < 1 || !o || o->hidden < 1 || !(o->lr > 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1) || !(o->eps > 0) || !(o->l2 >= 0))
        return lsnn_error(LSNN_ERR_ARG, "feed-forward baseline: bad options (d %d, hidden %d, "
                                        "lr %g, beta1 %g, beta2 %g, eps %g, l2 %g)",
                          d, o ? o->hidden : 0, o ? o->lr : 0, o ? o->beta1 : 0,
                          o ? o->beta2 : 0, o ? o->eps : 0, o ? o->l2 : 0);
    const int H = o->hidden, np = H * d + 2 * H + 1;
    ff->p = calloc(5 * (size_t)np, sizeof(double));
    if (!ff->p)
        return lsnn_error(LSNN_ERR_NOMEM, "feed-forward baseline: out of memory");
    ff->d = d;
    ff->H = H;
    ff->n_params = np;
    ff->o = *o;
    ff->m = ff->p + np;
    ff->v = ff->m + np;
    ff->vmax = ff->v + np;
    ff->g = ff->vmax + np;
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    const double s1 = sqrt(2.0 / (d + H)), s2 = sqrt(2.0 / (H + 1));
    for (int i = 0; i < H * d; i++)
        ff->p[i] = s1 * lsnn_rng_normal(&rng);
    for (int h = 0; h < H; h++)
        ff->p[H * d + H + h] = s2 * lsnn_rng_normal(&rng);
    return LSNN_OK;
}

static double lsnn__sig(double a)
{
    return 1 / (1 + exp(-a));
}

/* Output for x; the hidden activations into h (H) when non-NULL. */
static double lsnn__ff_forward(const lsnn_ff *ff, const double *x, double *h)
{
    const int d = ff->d, H = ff->H;
    const double *W1 = ff->p, *b1 = W1 + H * d, *w2 = b1 + H;
    double out = w2[H];
    for (int k = 0; k < H; k++) {
        double a = b1[k];
        for (int i = 0; i < d; i++)
            a += W1[k * d + i] * x[i];
        const double s = lsnn__sig(a);
        if (h)
            h[k] = s;
        out += w2[k] * s;
    }
    return out;
}

double lsnn_ff_predict(const lsnn_ff *ff, const double *x)
{
    return lsnn__ff_forward(ff, x, NULL);
}

double lsnn_ff_gradient(lsnn_ff *ff, const double *X, const double *y, int m)
{
    const int d = ff->d, H = ff->H;
    double h[256];
    double *hh = H <= 256 ? h : malloc(sizeof(double) * H);
    memset(ff->g, 0, sizeof(double) * ff->n_params);
    if (!hh || m < 1) {
        if (hh != h)
            free(hh);
        return 0;
    }
    double *gW1 = ff->g, *gb1 = gW1 + H * d, *gw2 = gb1 + H;
    const double *w2 = ff->p + H * d + H;
    double loss = 0;
    for (int e = 0; e < m; e++) {
        const double *x = X + (size_t)e * d;
        const double r = lsnn__ff_forward(ff, x, hh) - y[e];
        loss += r * r;
        const double go = 2 * r / m;
        gw2[H] += go;
        for (int k = 0; k < H; k++) {
            gw2[k] += go * hh[k];
            const double ga = go * w2[k] * hh[k] * (1 - hh[k]);
            gb1[k] += ga;
            for (int i = 0; i < d; i++)
                gW1[k * d + i] += ga * x[i];
        }
    }
    if (hh != h)
        free(hh);
    return loss / m;
}

double lsnn_ff_train_step(lsnn_ff *ff, const double *X, const double *y, int m)
{
    const double loss = lsnn_ff_gradient(ff, X, y, m);
    const lsnn_ff_opts *o = &ff->o;
    ff->t++;
    const double c1 = 1 - pow(o->beta1, (double)ff->t), c2 = 1 - pow(o->beta2, (double)ff->t);
    for (int i = 0; i < ff->n_params; i++) {
        const double g = ff->g[i] + o->l2 * ff->p[i];
        ff->m[i] = o->beta1 * ff->m[i] + (1 - o->beta1) * g;
        ff->v[i] = o->beta2 * ff->v[i] + (1 - o->beta2) * g * g;
        if (ff->v[i] > ff->vmax[i])
            ff->vmax[i] = ff->v[i];
        ff->p[i] -= o->lr * (ff->m[i] / c1) / (sqrt(ff->vmax[i] / c2) + o->eps);
    }
    return loss;
}

void lsnn_ff_free(lsnn_ff *ff)
{
    free(ff->p);
    memset(ff, 0, sizeof *ff);
}

/* ---------------------------------------------------------------------------------------------
 * The analysis. */

void lsnn_l2l_analysis_defaults(lsnn_l2l_analysis_opts *o)
{
    static const lsnn_ff_opts ff = LSNN_FF_DEFAULTS;
    memset(o, 0, sizeof *o);
    o->episodes = 100;
    o->stream = LSNN_STREAM_TEST;
    o->ridge_lambda = 100;
    o->ridge_fit = 450;
    o->trace_len = 20;
    o->trace_tau = 20;
    o->ff = ff;
    o->ff_steps = 1;
    o->probe_points = 41;
    static const int k[] = {1, 2, 5, 10, 20};
    o->n_probe_k = 5;
    memcpy(o->probe_k, k, sizeof k);
}

void lsnn_l2l_mean_std(const double *v, int n, int stride, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += v[(size_t)i * stride];
    const double m = n ? s / n : 0;
    for (int i = 0; i < n; i++)
        s2 += (v[(size_t)i * stride] - m) * (v[(size_t)i * stride] - m);
    *mean = m;
    *std = n > 1 ? sqrt(s2 / (n - 1)) : 0;
}

void lsnn_l2l_analysis_free(lsnn_l2l_analysis *a)
{
    free(a->lsnn_err);
    free(a->ridge_err);
    free(a->ff_err);
    free(a->lsnn_mse);
    free(a->ridge_split_mse);
    free(a->lsnn_split_mse);
    free(a->probe_x);
    free(a->probe_target);
    free(a->probe_pred);
    free(a->seen_x);
    free(a->seen_y);
    memset(a, 0, sizeof *a);
}

/* Work of one batch of episodes. */
typedef struct l2l_work {
    int B, steps, S, n, d, dx, n_in;
    double *feat;              /* (B, steps, d) mean spiking traces, the last entry 1 */
    double *kern;              /* (trace_len) exp(-s dt / tau) */
    lsnn_real *z;              /* (n) spikes of one sequence at one step */
    lsnn_real *saved;          /* (B, S, n_in) real inputs of the window a probe replaces */
    double *p;                 /* (n_in) scratch of lsnn_l2l_encode */
    int *on;                   /* (n_in) */
    int *perm;                 /* (steps) */
    double *w;                 /* (d) ridge weights */
    lsnn_ridge_online *ridge;  /* (B) */
    lsnn_ff *ff;               /* (B) */
} l2l_work;

static void l2l_work_free(l2l_work *w)
{
    for (int s = 0; s < w->B; s++) {
        if (w->ridge)
            lsnn_ridge_online_free(&w->ridge[s]);
        if (w->ff)
            lsnn_ff_free(&w->ff[s]);
    }
    free(w->feat);
    free(w->kern);
    free(w->z);
    free(w->saved);
    free(w->p);
    free(w->on);
    free(w->perm);
    free(w->w);
    free(w->ridge);
    free(w->ff);
}

/* The readout averaged over steps [t0, t0 + S) of sequence s. */
static double l2l_window_mean(const lsnn_trainer *tr, int s, int t0, int S)
{
    const lsnn_real *y = tr->y + ((size_t)s * tr->batch.T + t0) * tr->shape.n_out;
    double m = 0;
    for (int t = 0; t < S; t++)
        m += y[(size_t)t * tr->shape.n_out];
    return m / S;
}

/* Probes the internal model of every sequence after K examples (the episode at step K S): for
 * each grid point, the example (x = point, previous target the real one) replaces example K,
 * its S steps run, the readout's mean is the prediction; then the state and the real inputs are
 * put back. */
static lsnn_status l2l_probe(lsnn_trainer *tr, l2l_work *w, lsnn_sim_state *state,
                             lsnn_l2l_analysis *a, int first, int K, int j, const double *ys)
{
    lsnn_batch *b = &tr->batch;
    const lsnn_l2l_config *c = &tr->cfg.l2l;
    const int S = w->S, n_in = w->n_in, t0 = K * S, P = a->probe_points;
    lsnn_status st = lsnn_sim_snapshot(tr->sim, state);
    if (st)
        return st;
    for (int s = 0; s < b->B; s++)
        memcpy(w->saved + (size_t)s * S * n_in, lsnn_batch_x(b, s, t0),
               sizeof(lsnn_real) * (size_t)S * n_in);
    for (int p = 0; p < P && !st; p++) {
        if ((st = lsnn_sim_restore(tr->sim, state)))
            break;
        const double xv[2] = {a->probe_x[p], a->probe_x[p]};
        for (int s = 0; s < b->B; s++) {
            lsnn_rng rs;
            lsnn_rng_derive(&rs, tr->cfg.seed, 0x121e, (uint64_t)(first + s),
                            (uint64_t)K * 65536 + (uint64_t)p);
            lsnn_real *rows = b->x + ((size_t)s * b->x_nt + (size_t)t0) * n_in;
            lsnn_l2l_encode(c, tr->cfg.network.dt, xv, K ? ys[(size_t)s * w->steps + K - 1] : 0,
                            &rs, rows, w->p, w->on);
        }
        for (int t = t0; t < t0 + S && !st; t++)
            st = lsnn_trainer_episode_step(tr, t);
        for (int s = 0; s < b->B && !st; s++)
            a->probe_pred[((size_t)(first + s) * a->n_probe_k + j) * P + p] =
                l2l_window_mean(tr, s, t0, S);
    }
    for (int s = 0; s < b->B; s++)
        memcpy(b->x + ((size_t)s * b->x_nt + (size_t)t0) * n_in, w->saved + (size_t)s * S * n_in,
               sizeof(lsnn_real) * (size_t)S * n_in);
    if (!st)
        st = lsnn_sim_restore(tr->sim, state);
    return st;
}

/* Episodes first .. first + B - 1. */
static lsnn_status l2l_batch(lsnn_trainer *tr, const lsnn_l2l_analysis_opts *o, l2l_work *w,
                             lsnn_sim_state *state, lsnn_l2l_analysis *a, int first)
{
    lsnn_batch *b = &tr->batch;
    const lsnn_l2l_config *c = &tr->cfg.l2l;
    const int B = b->B, steps = w->steps, S = w->S, n = w->n, d = w->d, dx = w->dx;
    const int L = o->trace_len;
    lsnn_status st = tr->task->generate(tr->task_state, &tr->cfg, tr->cfg.seed, o->stream,
                                        (uint64_t)first, b);
    if (st)
        return st;
    double *xs = a->seen_x + (size_t)first * steps * dx, *ys = a->seen_y + (size_t)first * steps;
    for (int s = 0; s < B; s++) {
        const uint64_t g = (uint64_t)(first + s);
        lsnn_l2l_episode(c, tr->cfg.seed, o->stream, g, xs + (size_t)s * steps * dx,
                         ys + (size_t)s * steps);
        lsnn_ridge_online_free(&w->ridge[s]);
        lsnn_ff_free(&w->ff[s]);
        if ((st = lsnn_ridge_online_init(&w->ridge[s], d, o->ridge_lambda)) ||
            (st = lsnn_ff_init(&w->ff[s], dx, &o->ff, lsnn_hash4(tr->cfg.seed, 0x121c, o->stream,
                                                                  g))))
            return st;
    }
    memset(w->feat, 0, sizeof(double) * (size_t)B * steps * d);
    if ((st = lsnn_trainer_episode_begin(tr)))
        return st;
    int jp = 0;
    for (int k = 0; k < steps && !st; k++) {
        while (jp < a->n_probe_k && a->probe_k[jp] < k)
            jp++;
        if (a->probe_points > 0 && jp < a->n_probe_k && a->probe_k[jp] == k)
            st = l2l_probe(tr, w, state, a, first, k, jp, ys);
        for (int t = k * S; t < (k + 1) * S && !st; t++) {
            if ((st = lsnn_trainer_episode_step(tr, t)))
                break;
            /* A spike at t adds kern[u - t] to the trace at u = t .. t + L - 1, i.e. to the
             * mean of the window holding u (/ S). */
            for (int s = 0; s < B && !st; s++) {
                if ((st = lsnn_sim_spikes(tr->sim, s, w->z)))
                    break;
                for (int i = 0; i < n; i++) {
                    if (w->z[i] == 0)
                        continue;
                    for (int u = t; u < t + L && u < steps * S; u++)
                        w->feat[((size_t)s * steps + u / S) * d + i] += w->kern[u - t] / S;
                }
            }
        }
        if (st)
            break;
        for (int s = 0; s < B; s++) {
            const size_t e = (size_t)(first + s) * steps + k;
            double *f = w->feat + ((size_t)s * steps + k) * d;
            f[d - 1] = 1;
            const double y = ys[(size_t)s * steps + k];
            const double pl = l2l_window_mean(tr, s, k * S, S);
            a->lsnn_err[e] = (pl - y) * (pl - y);
            const double pr = lsnn_ridge_online_predict(&w->ridge[s], f);
            a->ridge_err[e] = (pr - y) * (pr - y);
            lsnn_ridge_online_add(&w->ridge[s], f, y);
            const double *X = xs + (size_t)s * steps * dx;
            const double pf = lsnn_ff_predict(&w->ff[s], X + (size_t)k * dx);
            a->ff_err[e] = (pf - y) * (pf - y);
            for (int it = 0; it < o->ff_steps; it++)
                lsnn_ff_train_step(&w->ff[s], X, ys + (size_t)s * steps, k + 1);
        }
    }
    if (st)
        return st;
    if ((st = lsnn_trainer_episode_end(tr)))
        return st;
    /* The random split of Fig. 2C: ridge fitted on ridge_fit examples, tested on the rest. */
    const int m = o->ridge_fit < steps ? o->ridge_fit : steps - 1;
    double *Ff = malloc(sizeof(double) * (size_t)m * d), *yf = malloc(sizeof(double) * m);
    if (!Ff || !yf) {
        free(Ff);
        free(yf);
        return lsnn_error(LSNN_ERR_NOMEM, "l2l analysis: out of memory");
    }
    for (int s = 0; s < B && !st; s++) {
        const int g = first + s;
        lsnn_rng r;
        lsnn_rng_derive(&r, tr->cfg.seed, 0x121d, o->stream, (uint64_t)g);
        for (int k = 0; k < steps; k++)
            w->perm[k] = k;
        for (int k = steps - 1; k > 0; k--) {
            const int q = (int)lsnn_rng_below(&r, (uint64_t)k + 1), tmp = w->perm[k];
            w->perm[k] = w->perm[q];
            w->perm[q] = tmp;
        }
        for (int e = 0; e < m; e++) {
            memcpy(Ff + (size_t)e * d, w->feat + ((size_t)s * steps + w->perm[e]) * d,
                   sizeof(double) * d);
            yf[e] = ys[(size_t)s * steps + w->perm[e]];
        }
        if ((st = lsnn_ridge_fit(Ff, yf, m, d, o->ridge_lambda, w->w)))
            break;
        double er = 0, el = 0, ea = 0;
        for (int e = m; e < steps; e++) {
            const int k = w->perm[e];
            const double *f = w->feat + ((size_t)s * steps + k) * d;
            double p = 0;
            for (int i = 0; i < d; i++)
                p += w->w[i] * f[i];
            const double y = ys[(size_t)s * steps + k];
            er += (p - y) * (p - y);
            el += a->lsnn_err[(size_t)g * steps + k];
        }
        for (int k = 0; k < steps; k++)
            ea += a->lsnn_err[(size_t)g * steps + k];
        a->ridge_split_mse[g] = er / (steps - m);
        a->lsnn_split_mse[g] = el / (steps - m);
        a->lsnn_mse[g] = ea / steps;
    }
    free(Ff);
    free(yf);
    return st;
}

lsnn_status lsnn_l2l_analyze(lsnn_trainer *tr, const lsnn_l2l_analysis_opts *o,
                             lsnn_l2l_analysis *a)
{
    memset(a, 0, sizeof *a);
    if (!tr || !o)
        return lsnn_error(LSNN_ERR_ARG, "l2l analysis: NULL argument");
    if (strcmp(tr->cfg.task, "l2l") != 0 || !tr->model->spiking)
        return lsnn_error(LSNN_ERR_ARG, "l2l analysis: needs a spiking network trained on the "
                                        "task l2l (this one: task '%s', model '%s')",
                          tr->cfg.task, tr->cfg.model);
    const lsnn_l2l_config *c = &tr->cfg.l2l;
    double lo[3], hi[3];
    const int dx = lsnn_l2l_vars(c, lo, hi) - 1, steps = c->steps, S = c->step_ms;
    if (o->episodes < 1 || o->ridge_fit < 1 || o->trace_len < 1 || !(o->trace_tau > 0) ||
        o->ff_steps < 0 || o->probe_points < 0 || o->probe_points == 1 || o->n_probe_k < 0 ||
        o->n_probe_k > LSNN_L2L_MAX_PROBE_K || steps < 2)
        return lsnn_error(LSNN_ERR_ARG, "l2l analysis: bad options (episodes %d, ridge_fit %d, "
                                        "trace_len %d, trace_tau %g, ff_steps %d, probe_points "
                                        "%d, %d probe steps; the task has %d examples)",
                          o->episodes, o->ridge_fit, o->trace_len, o->trace_tau, o->ff_steps,
                          o->probe_points, o->n_probe_k, steps);
    for (int j = 0; j < o->n_probe_k; j++)
        if (o->probe_k[j] < 0 || o->probe_k[j] >= steps || (j && o->probe_k[j] <= o->probe_k[j - 1]))
            return lsnn_error(LSNN_ERR_ARG, "l2l analysis: probe steps must ascend within 0..%d "
                                            "(got %d at position %d)",
                              steps - 1, o->probe_k[j], j);
    lsnn_status st = lsnn_trainer_prepare_forward(tr);
    if (st)
        return st;
    const int E = o->episodes, P = o->probe_points, NK = P ? o->n_probe_k : 0;
    a->episodes = E;
    a->steps = steps;
    a->dx = dx;
    a->probe_points = P;
    a->n_probe_k = NK;
    memcpy(a->probe_k, o->probe_k, sizeof(int) * (size_t)NK);
    const size_t ES = (size_t)E * steps;
    a->lsnn_err = malloc(sizeof(double) * ES);
    a->ridge_err = malloc(sizeof(double) * ES);
    a->ff_err = malloc(sizeof(double) * ES);
    a->lsnn_mse = malloc(sizeof(double) * E);
    a->ridge_split_mse = malloc(sizeof(double) * E);
    a->lsnn_split_mse = malloc(sizeof(double) * E);
    a->probe_x = malloc(sizeof(double) * (P ? P : 1));
    a->probe_target = malloc(sizeof(double) * ((size_t)E * P + 1));
    a->probe_pred = malloc(sizeof(double) * ((size_t)E * NK * P + 1));
    a->seen_x = malloc(sizeof(double) * ES * dx);
    a->seen_y = malloc(sizeof(double) * ES);
    l2l_work w = {0};
    const int Bfull = tr->batch.B;
    w.B = Bfull;
    w.steps = steps;
    w.S = S;
    w.n = tr->net.n;
    w.d = tr->net.n + 1;
    w.dx = dx;
    w.n_in = tr->net.n_in;
    w.feat = malloc(sizeof(double) * (size_t)Bfull * steps * w.d);
    w.kern = malloc(sizeof(double) * o->trace_len);
    w.z = malloc(sizeof(lsnn_real) * w.n);
    w.saved = malloc(sizeof(lsnn_real) * (size_t)Bfull * S * w.n_in);
    w.p = malloc(sizeof(double) * w.n_in);
    w.on = malloc(sizeof(int) * w.n_in);
    w.perm = malloc(sizeof(int) * steps);
    w.w = malloc(sizeof(double) * w.d);
    w.ridge = calloc((size_t)Bfull, sizeof *w.ridge);
    w.ff = calloc((size_t)Bfull, sizeof *w.ff);
    lsnn_sim_state *state = P ? lsnn_sim_state_create(tr->sim, &st) : NULL;
    if (!st && (!a->lsnn_err || !a->ridge_err || !a->ff_err || !a->lsnn_mse ||
                !a->ridge_split_mse || !a->lsnn_split_mse || !a->probe_x || !a->probe_target ||
                !a->probe_pred || !a->seen_x || !a->seen_y || !w.feat || !w.kern || !w.z ||
                !w.saved || !w.p || !w.on || !w.perm || !w.w || !w.ridge || !w.ff))
        st = lsnn_error(LSNN_ERR_NOMEM, "l2l analysis: out of memory (%d episodes of %d "
                                        "examples, %d neurons)",
                        E, steps, w.n);
    if (!st) {
        for (int u = 0; u < o->trace_len; u++)
            w.kern[u] = exp(-u * tr->cfg.network.dt / o->trace_tau);
        lsnn_l2l_fn f;
        for (int p = 0; p < P; p++)
            a->probe_x[p] = lo[0] + (hi[0] - lo[0]) * p / (P - 1);
        for (int e = 0; e < E && P; e++) {
            lsnn_l2l_draw(&f, lsnn_l2l_family(c), tr->cfg.seed, o->stream, (uint64_t)e);
            for (int p = 0; p < P; p++) {
                const double xv[2] = {a->probe_x[p], a->probe_x[p]};
                a->probe_target[(size_t)e * P + p] = lsnn_l2l_eval(&f, xv);
            }
        }
    }
    for (int first = 0; first < E && !st; first += Bfull) {
        tr->batch.B = E - first < Bfull ? E - first : Bfull;
        st = l2l_batch(tr, o, &w, state, a, first);
        tr->batch.B = Bfull;
        if (!st && o->progress)
            o->progress(o->progress_ctx, first + (E - first < Bfull ? E - first : Bfull), E);
    }
    tr->batch.B = Bfull;
    lsnn_sim_state_free(state);
    l2l_work_free(&w);
    if (st)
        lsnn_l2l_analysis_free(a);
    return st;
}

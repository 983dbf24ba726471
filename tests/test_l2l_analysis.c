/* The learning-to-learn analysis (lsnn/l2l_analysis.h): ridge regression against the closed
 * form of the 2 x 2 normal equations and the online fit against the batch fit at every k; the
 * feed-forward baseline's gradient against central differences, element by element, and its
 * first AMSGrad step against the closed form; and the analysis of a small network: its LSNN
 * errors equal those of the plain forward pass of the same episodes (so the probes' snapshots
 * and restores leave the episode bit-identical), the baselines start from their known values,
 * and the probe of a grid point is the prediction the network makes for that input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/config.h"
#include "lsnn/l2l.h"
#include "lsnn/l2l_analysis.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

static void test_ridge_closed_form(void **state)
{
    (void)state;
    /* Two features: w = (F^T F + lambda I)^-1 F^T y with the 2 x 2 inverse written out. */
    const int m = 7;
    double F[14], y[7];
    lsnn_rng r;
    lsnn_rng_seed(&r, 3);
    for (int e = 0; e < m; e++) {
        F[2 * e] = lsnn_rng_normal(&r);
        F[2 * e + 1] = 1 + 0.5 * lsnn_rng_normal(&r);
        y[e] = 2 * F[2 * e] - F[2 * e + 1] + 0.1 * lsnn_rng_normal(&r);
    }
    const double lambda = 0.7;
    double a = lambda, b = 0, d = lambda, u = 0, v = 0;
    for (int e = 0; e < m; e++) {
        a += F[2 * e] * F[2 * e];
        b += F[2 * e] * F[2 * e + 1];
        d += F[2 * e + 1] * F[2 * e + 1];
        u += F[2 * e] * y[e];
        v += F[2 * e + 1] * y[e];
    }
    const double det = a * d - b * b, w0 = (d * u - b * v) / det, w1 = (a * v - b * u) / det;
    double w[2];
    assert_int_equal(lsnn_ridge_fit(F, y, m, 2, lambda, w), LSNN_OK);
    check_near(w[0], w0, 1e-12);
    check_near(w[1], w1, 1e-12);
    /* lambda shrinks: a huge lambda gives weights near F^T y / lambda */
    assert_int_equal(lsnn_ridge_fit(F, y, m, 2, 1e9, w), LSNN_OK);
    check_near(w[0] * 1e9, u, 1e-3 * fabs(u) + 1e-9);
    check_near(w[1] * 1e9, v, 1e-3 * fabs(v) + 1e-9);
    /* bad arguments */
    assert_int_equal(lsnn_ridge_fit(F, y, m, 2, 0, w), LSNN_ERR_ARG);
    assert_int_equal(lsnn_ridge_fit(F, y, m, 0, 1, w), LSNN_ERR_ARG);
}

static void test_ridge_online(void **state)
{
    (void)state;
    /* The online prediction of example k equals the batch fit on examples 0..k-1, for every k. */
    const int m = 40, d = 6;
    double F[240], y[40], w[6];
    lsnn_rng r;
    lsnn_rng_seed(&r, 11);
    for (int e = 0; e < m; e++) {
        for (int i = 0; i < d; i++)
            F[e * d + i] = i == d - 1 ? 1 : (lsnn_rng_uniform(&r) < 0.4 ? lsnn_rng_uniform(&r) : 0);
        y[e] = sin(3 * F[e * d]) + F[e * d + 2];
    }
    lsnn_ridge_online ro;
    assert_int_equal(lsnn_ridge_online_init(&ro, d, 2.5), LSNN_OK);
    for (int k = 0; k < m; k++) {
        const double p = lsnn_ridge_online_predict(&ro, F + k * d);
        double q = 0;
        if (k > 0) {
            assert_int_equal(lsnn_ridge_fit(F, y, k, d, 2.5, w), LSNN_OK);
            for (int i = 0; i < d; i++)
                q += w[i] * F[k * d + i];
        }
        check_near(p, q, 1e-10);
        lsnn_ridge_online_add(&ro, F + k * d, y[k]);
    }
    lsnn_ridge_online_free(&ro);
}

static void test_ff_gradient(void **state)
{
    (void)state;
    lsnn_ff_opts o = LSNN_FF_DEFAULTS;
    o.hidden = 4;
    lsnn_ff ff;
    assert_int_equal(lsnn_ff_init(&ff, 2, &o, 5), LSNN_OK);
    check_eq(ff.n_params, 4 * 2 + 4 + 4 + 1);
    for (int i = 0; i < ff.n_params; i++) /* non-zero biases too */
        ff.p[i] += 0.1 * (i % 3) - 0.05;
    const double X[10] = {0.1, -0.3, 0.7, 0.2, -0.9, 0.5, 0.0, 1.0, -0.4, -0.6};
    const double y[5] = {0.2, 0.9, -0.3, 0.5, 0.1};
    lsnn_ff_gradient(&ff, X, y, 5);
    double *g = malloc(sizeof(double) * ff.n_params);
    memcpy(g, ff.g, sizeof(double) * ff.n_params);
    for (int i = 0; i < ff.n_params; i++) {
        const double p0 = ff.p[i], h = 1e-6;
        ff.p[i] = p0 + h;
        const double lp = lsnn_ff_gradient(&ff, X, y, 5);
        ff.p[i] = p0 - h;
        const double lm = lsnn_ff_gradient(&ff, X, y, 5);
        ff.p[i] = p0;
        check_near(g[i], (lp - lm) / (2 * h), 1e-8);
    }
    /* The first AMSGrad step: m / (1 - beta1) = g, vmax / (1 - beta2) = g^2, so every parameter
     * moves by -lr g / (|g| + eps) with g including the weight decay. */
    double *p0 = malloc(sizeof(double) * ff.n_params);
    memcpy(p0, ff.p, sizeof(double) * ff.n_params);
    lsnn_ff_train_step(&ff, X, y, 5);
    for (int i = 0; i < ff.n_params; i++) {
        const double gi = g[i] + o.l2 * p0[i];
        check_near(ff.p[i] - p0[i], -o.lr * gi / (fabs(gi) + o.eps), 1e-12);
    }
    /* Training fits the examples. */
    double l0 = lsnn_ff_gradient(&ff, X, y, 5), l1 = l0;
    for (int it = 0; it < 300; it++)
        l1 = lsnn_ff_train_step(&ff, X, y, 5);
    check_lt(l1, 0.2 * l0);
    free(g);
    free(p0);
    lsnn_ff_free(&ff);
    assert_int_equal(lsnn_ff_init(&ff, 0, &o, 5), LSNN_ERR_ARG);
}

static lsnn_config small_l2l(const char *family)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    const char *sets[] = {"task=l2l", "batch_size=3", "chunk=2", "network.n_regular=12",
                          "network.n_adaptive=8", "network.max_delay=3", "network.readout_tau=0",
                          "l2l.steps=30", "l2l.step_ms=6", "l2l.neurons_per_var=10",
                          "l2l.width=0.05", "l2l.val_size=5", NULL};
    for (int i = 0; sets[i]; i++)
        assert_int_equal(lsnn_config_set(&cfg, sets[i]), LSNN_OK);
    snprintf(cfg.l2l.family, sizeof cfg.l2l.family, "%s", family);
    return cfg;
}

/* The squared error against y of window k of sequence s from a whole forward pass of the batch
 * (y in double: the batch holds the targets in lsnn_real). */
static double window_err(const lsnn_trainer *tr, int s, int k, double y)
{
    const lsnn_batch *b = &tr->batch;
    const lsnn_window *w = &b->windows[(size_t)s * b->max_windows + k];
    double m = 0;
    for (int t = w->t0; t < w->t1; t++)
        m += tr->y[(size_t)s * b->T + t];
    m /= (w->t1 - w->t0);
    check_near(b->w_target[(size_t)s * b->max_windows + k], y, 1e-6 * (1 + fabs(y)));
    return (m - y) * (m - y);
}

static void analysis_case(const char *family)
{
    lsnn_config cfg = small_l2l(family);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    for (int i = 0; i < 3; i++) /* a few steps, so the readout is not the initial one */
        assert_int_equal(lsnn_trainer_step(&tr, NULL), LSNN_OK);
    lsnn_l2l_analysis_opts o;
    lsnn_l2l_analysis_defaults(&o);
    o.episodes = 5; /* two batches of 3 and 2 */
    o.ridge_fit = 24;
    o.probe_points = 5;
    o.n_probe_k = 3;
    o.probe_k[0] = 0;
    o.probe_k[1] = 2;
    o.probe_k[2] = 7;
    lsnn_l2l_analysis a, b;
    assert_int_equal(lsnn_l2l_analyze(&tr, &o, &a), LSNN_OK);
    o.probe_points = 0;
    assert_int_equal(lsnn_l2l_analyze(&tr, &o, &b), LSNN_OK);
    const int E = 5, K = 30;
    /* Probing changes nothing (the errors of the episode are bit-identical)... */
    assert_memory_equal(a.lsnn_err, b.lsnn_err, sizeof(double) * E * K);
    assert_memory_equal(a.ridge_err, b.ridge_err, sizeof(double) * E * K);
    /* ...and the step-wise episode is the forward pass of the same batch. */
    for (int first = 0; first < E; first += 3) {
        tr.batch.B = E - first < 3 ? E - first : 3;
        assert_int_equal(tr.task->generate(tr.task_state, &tr.cfg, tr.cfg.seed, LSNN_STREAM_TEST,
                                           (uint64_t)first, &tr.batch),
                         LSNN_OK);
        assert_int_equal(lsnn_trainer_forward(&tr, NULL), LSNN_OK);
        for (int s = 0; s < tr.batch.B; s++)
            for (int k = 0; k < K; k++) {
                const double e = window_err(&tr, s, k, a.seen_y[(size_t)(first + s) * K + k]);
                check_near(a.lsnn_err[(size_t)(first + s) * K + k], e, 1e-12 * (1 + e));
            }
        tr.batch.B = 3;
    }
    /* The probe of grid point p after k examples of episode e is the prediction of a forward
     * pass whose example k carries the probe's input (x = grid point, the real previous
     * target), drawn from the probe's stream. */
    {
        const int e = 1, j = 1, k = 2, p = 3, S = cfg.l2l.step_ms, n_in = tr.net.n_in;
        tr.batch.B = 1;
        assert_int_equal(tr.task->generate(tr.task_state, &tr.cfg, tr.cfg.seed, LSNN_STREAM_TEST,
                                           (uint64_t)e, &tr.batch),
                         LSNN_OK);
        lsnn_rng rs;
        lsnn_rng_derive(&rs, cfg.seed, 0x121e, (uint64_t)e, (uint64_t)k * 65536 + (uint64_t)p);
        double *pp = malloc(sizeof(double) * n_in);
        int *on = malloc(sizeof(int) * n_in);
        const double xv[2] = {a.probe_x[p], a.probe_x[p]};
        lsnn_l2l_encode(&cfg.l2l, cfg.network.dt, xv, a.seen_y[(size_t)e * K + k - 1], &rs,
                        tr.batch.x + (size_t)k * S * n_in, pp, on);
        assert_int_equal(lsnn_trainer_forward(&tr, NULL), LSNN_OK);
        double m = 0;
        for (int t = k * S; t < (k + 1) * S; t++)
            m += tr.y[t];
        check_near(a.probe_pred[((size_t)e * 3 + j) * 5 + p], m / S, 1e-12);
        free(pp);
        free(on);
        tr.batch.B = 3;
    }
    const int dx = strcmp(family, "tn") == 0 ? 2 : 1;
    check_eq(a.dx, dx);
    for (int e = 0; e < E; e++) {
        /* the baselines predict 0 before any example */
        const double y0 = a.seen_y[(size_t)e * K];
        check_near(a.ridge_err[(size_t)e * K], y0 * y0, 1e-12);
        double mse = 0;
        for (int k = 0; k < K; k++) {
            mse += a.lsnn_err[(size_t)e * K + k] / K;
            double xv[2];
            memcpy(xv, a.seen_x + ((size_t)e * K + k) * dx, sizeof(double) * dx);
            lsnn_l2l_fn f;
            lsnn_l2l_draw(&f, lsnn_l2l_family(&cfg.l2l), cfg.seed, LSNN_STREAM_TEST, (uint64_t)e);
            check_near(a.seen_y[(size_t)e * K + k], lsnn_l2l_eval(&f, xv), 1e-12);
        }
        check_near(a.lsnn_mse[e], mse, 1e-12);
        assert_true(isfinite(a.ridge_split_mse[e]) && a.ridge_split_mse[e] >= 0);
        assert_true(isfinite(a.lsnn_split_mse[e]) && a.lsnn_split_mse[e] >= 0);
        for (int j = 0; j < 3; j++)
            for (int p = 0; p < 5; p++)
                assert_true(isfinite(a.probe_pred[((size_t)e * 3 + j) * 5 + p]));
    }
    check_eq(a.probe_x[0], dx == 2 ? -1 : -5);
    check_eq(a.probe_x[4], dx == 2 ? 1 : 5);
    /* Errors of the analysis: a task that is not l2l. */
    lsnn_l2l_analysis_free(&a);
    lsnn_l2l_analysis_free(&b);
    o.n_probe_k = 2;
    o.probe_k[0] = 5;
    o.probe_k[1] = 5;
    o.probe_points = 3;
    assert_int_equal(lsnn_l2l_analyze(&tr, &o, &a), LSNN_ERR_ARG);
    lsnn_trainer_free(&tr);
}

static void test_analysis_sine(void **state)
{
    (void)state;
    analysis_case("sine");
}

static void test_analysis_tn(void **state)
{
    (void)state;
    analysis_case("tn");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ridge_closed_form), cmocka_unit_test(test_ridge_online),
        cmocka_unit_test(test_ff_gradient),       cmocka_unit_test(test_analysis_sine),
        cmocka_unit_test(test_analysis_tn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

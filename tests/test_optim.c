/* Optimizers, learning-rate decay and gradient clipping against textbook double-precision
 * computations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/config_map.h"
#include "lsnn/learn.h"

#define CHECK_CLOSE(a, b, tol)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b), t_ = (tol);                                                 \
        if (!(fabs(a_ - b_) <= t_)) {                                                          \
            print_error("%s = %.12g, expected %s = %.12g (tolerance %g)\n", #a, a_, #b, b_, t_); \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

/* The optimizer section of a config, named and with Adam's usual moments. */
static lsnn_optim_config make_section(const char *name, double eps)
{
    lsnn_optim_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.epsilon = eps;
    c.lr_decay = 1.0;
    c.lr_decay_every = 0;
    c.clip_norm = 0;
    return c;
}

/* The same, mapped onto the optimizer's typed parameters (lsnn/config_map.h). */
static lsnn_optim_params make_cfg(const char *name, double eps)
{
    lsnn_optim_config c = make_section(name, eps);
    lsnn_optim_params p;
    assert_int_equal(lsnn_optim_params_from_config(&c, &p), LSNN_OK);
    return p;
}

enum { N = 6, STEPS = 3 };

/* Gradients per step: signs and magnitudes change between steps so that m and v differ. */
static const float grads[STEPS][N] = {
    {0.02f, -0.5f, 3.0f, 0.001f, -0.03f, 0.2f},
    {-0.01f, -0.25f, -1.0f, 0.004f, 0.05f, 0.0f},
    {0.03f, 0.75f, 2.0f, -0.002f, -0.01f, -0.3f},
};
static const uint8_t mask[N] = {1, 1, 0, 1, 1, 1};

/* Textbook Adam (Kingma & Ba, Algorithm 1) in double. */
static int g_eps_in_sqrt; /* seed 004 eq. 3.52: m_hat / sqrt(v_hat + eps) */

static void ref_adam(double *p, const double *lr, double b1, double b2, double eps, int steps)
{
    double m[N] = {0}, v[N] = {0};
    for (int s = 0; s < steps; s++)
        for (int k = 0; k < N; k++) {
            if (!mask[k])
                continue;
            double g = grads[s][k];
            m[k] = b1 * m[k] + (1 - b1) * g;
            v[k] = b2 * v[k] + (1 - b2) * g * g;
            double mh = m[k] / (1 - pow(b1, s + 1)), vh = v[k] / (1 - pow(b2, s + 1));
            p[k] -= g_eps_in_sqrt ? lr[s] * mh / sqrt(vh + eps) : lr[s] * mh / (sqrt(vh) + eps);
        }
}

static void run_adam(double eps, double b1, double b2)
{
    lsnn_optim_params cfg = make_cfg("adam", eps);
    cfg.beta1 = b1;
    cfg.beta2 = b2;
    cfg.epsilon_in_sqrt = g_eps_in_sqrt;
    lsnn_optim o;
    assert_int_equal(lsnn_optim_init(&o, &cfg, N), LSNN_OK);
    assert_int_equal(o.kind, LSNN_OPTIM_ADAM);
    assert_non_null(o.m);
    assert_non_null(o.v);

    const float p0[N] = {0.05f, -0.02f, 0.125f, 0.01f, 0.0f, -0.04f};
    const double lr[STEPS] = {0.01, 0.005, 0.02};
    lsnn_real p[N];
    for (int k = 0; k < N; k++)
        p[k] = p0[k];
    lsnn_real g[N];
    for (int s = 0; s < STEPS; s++) {
        for (int k = 0; k < N; k++)
            g[k] = grads[s][k];
        lsnn_optim_step(&o, p, g, mask, lr[s]);
        assert_int_equal(o.step, s + 1);
        /* Gradient untouched. */
        for (int k = 0; k < N; k++)
            check_eq(g[k], grads[s][k]);

        double ref[N];
        for (int k = 0; k < N; k++)
            ref[k] = p0[k];
        ref_adam(ref, lr, b1, b2, eps, s + 1);
        for (int k = 0; k < N; k++) {
            if (!mask[k]) {
                check_eq(p[k], p0[k]); /* masked: bit-identical */
                continue;
            }
            double disp = ref[k] - p0[k], got = (double)p[k] - p0[k];
            check_gt(fabs(disp), 1e-4); /* every trainable entry really moves */
            CHECK_CLOSE(got, disp, 1e-5 * fabs(disp) + 2e-9);
        }
    }
    lsnn_optim_free(&o);
    assert_null(o.m);
    assert_null(o.v);
}

static void test_adam_small_eps(void **state)
{
    (void)state;
    run_adam(1e-8, 0.9, 0.999);
}

/* An epsilon comparable to sqrt(v): the way epsilon enters (with bias correction) matters. */
static void test_adam_large_eps(void **state)
{
    (void)state;
    run_adam(1e-2, 0.9, 0.999);
    run_adam(3e-2, 0.8, 0.99);
}

/* Seed 004's Adam (eqs. 3.48-3.52), epsilon inside the root: with eps = 1e-5 it differs from
 * the textbook form wherever v_hat is not much larger than eps. */
static void test_adam_eps_in_sqrt(void **state)
{
    (void)state;
    g_eps_in_sqrt = 1;
    run_adam(1e-5, 0.9, 0.999);
    run_adam(1e-3, 0.8, 0.99);
    g_eps_in_sqrt = 0;
}

/* Linear warm-up: iteration it uses (it + 1) / warmup of the rate, then the rate itself. */
static void test_warmup(void **state)
{
    (void)state;
    lsnn_optim_params cfg = make_cfg("adam", 1e-8);
    cfg.warmup = 4;
    CHECK_CLOSE(lsnn_lr_at(0.01, &cfg, 0), 0.0025, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(0.01, &cfg, 2), 0.0075, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(0.01, &cfg, 3), 0.01, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(0.01, &cfg, 40), 0.01, 1e-15);
    cfg.lr_decay = 0.5;
    cfg.lr_decay_every = 2;
    CHECK_CLOSE(lsnn_lr_at(0.01, &cfg, 3), 0.005, 1e-15); /* decay and warm-up multiply */
}

/* First Adam step with tiny epsilon is lr * sign(g), whatever the gradient magnitude. */
static void test_adam_first_step_sign(void **state)
{
    (void)state;
    lsnn_optim_params cfg = make_cfg("adam", 1e-12);
    lsnn_optim o;
    assert_int_equal(lsnn_optim_init(&o, &cfg, N), LSNN_OK);
    lsnn_real p[N] = {0}, g[N];
    for (int k = 0; k < N; k++)
        g[k] = grads[0][k];
    lsnn_optim_step(&o, p, g, mask, 0.1);
    for (int k = 0; k < N; k++) {
        double expect = mask[k] && g[k] != 0 ? -0.1 * (g[k] > 0 ? 1 : -1) : 0;
        CHECK_CLOSE(p[k], expect, 1e-6);
    }
    lsnn_optim_free(&o);
}

static void test_sgd(void **state)
{
    (void)state;
    lsnn_optim_params cfg = make_cfg("sgd", 1e-8);
    lsnn_optim o;
    assert_int_equal(lsnn_optim_init(&o, &cfg, N), LSNN_OK);
    assert_int_equal(o.kind, LSNN_OPTIM_SGD);
    const float p0[N] = {1.0f, -2.0f, 0.5f, 0.25f, 3.0f, -0.125f};
    lsnn_real p[N], g[N];
    double ref[N];
    for (int k = 0; k < N; k++)
        ref[k] = p[k] = p0[k];
    const double lr[2] = {0.1, 0.05};
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < N; k++)
            g[k] = grads[s][k];
        lsnn_optim_step(&o, p, g, mask, lr[s]);
        for (int k = 0; k < N; k++)
            if (mask[k])
                ref[k] -= lr[s] * grads[s][k];
        for (int k = 0; k < N; k++) {
            if (!mask[k])
                check_eq(p[k], p0[k]);
            else
                CHECK_CLOSE(p[k], ref[k], 1e-6);
        }
    }
    assert_int_equal(o.step, 2);
    lsnn_optim_free(&o);
}

static void test_lr_decay(void **state)
{
    (void)state;
    lsnn_optim_params cfg = make_cfg("adam", 1e-8);
    cfg.lr_decay = 0.8;
    cfg.lr_decay_every = 2500;
    const double lr = 0.01;
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 0), 0.01, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 2499), 0.01, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 2500), 0.008, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 4999), 0.008, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 5000), 0.0064, 1e-15);
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 7600), 0.01 * 0.8 * 0.8 * 0.8, 1e-15);
    /* No decay. */
    cfg.lr_decay_every = 0;
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 7600), 0.01, 0);
    cfg.lr_decay_every = 100;
    cfg.lr_decay = 1.0;
    CHECK_CLOSE(lsnn_lr_at(lr, &cfg, 7600), 0.01, 0);
}

static void test_grad_clip(void **state)
{
    (void)state;
    const uint8_t m[5] = {1, 1, 0, 1, 1};
    const float g0[5] = {3.0f, 4.0f, 100.0f, 0.0f, 0.0f}; /* trainable norm 5 */
    lsnn_real g[5];

    /* Below the threshold (and with clipping off): unchanged, norm returned. */
    memcpy(g, g0, sizeof g);
    CHECK_CLOSE(lsnn_grad_clip(g, m, 5, 10.0), 5.0, 1e-6);
    for (int k = 0; k < 5; k++)
        check_eq(g[k], g0[k]);
    CHECK_CLOSE(lsnn_grad_clip(g, m, 5, 0.0), 5.0, 1e-6);
    for (int k = 0; k < 5; k++)
        check_eq(g[k], g0[k]);

    /* Above: norm before clipping returned; trainable norm becomes clip_norm, direction kept. */
    memcpy(g, g0, sizeof g);
    CHECK_CLOSE(lsnn_grad_clip(g, m, 5, 2.5), 5.0, 1e-6);
    double ss = 0;
    for (int k = 0; k < 5; k++)
        if (m[k])
            ss += (double)g[k] * g[k];
    CHECK_CLOSE(sqrt(ss), 2.5, 1e-6);
    CHECK_CLOSE(g[0], 1.5, 1e-6);
    CHECK_CLOSE(g[1], 2.0, 1e-6);
    check_eq(g[3], 0.0f);
    check_eq(g[4], 0.0f);

    /* A general vector. */
    lsnn_real h[7] = {0.3f, -1.2f, 0.7f, 2.5f, -0.05f, 9.0f, 1.1f};
    const uint8_t mh[7] = {1, 1, 1, 1, 1, 0, 1};
    double ref = 0;
    for (int k = 0; k < 7; k++)
        if (mh[k])
            ref += (double)h[k] * h[k];
    ref = sqrt(ref);
    lsnn_real hc[7];
    memcpy(hc, h, sizeof h);
    CHECK_CLOSE(lsnn_grad_clip(hc, mh, 7, 1.0), ref, 1e-6 * ref);
    for (int k = 0; k < 7; k++)
        if (mh[k])
            CHECK_CLOSE(hc[k], h[k] / ref, 1e-6);
}

static void test_init_errors(void **state)
{
    (void)state;
    lsnn_optim_config sec = make_section("rmsprop", 1e-8);
    lsnn_optim_params cfg;
    assert_int_equal(lsnn_optim_params_from_config(&sec, &cfg), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "rmsprop"));
    sec = make_section("", 1e-8);
    assert_int_equal(lsnn_optim_params_from_config(&sec, &cfg), LSNN_ERR_CONFIG);
    /* the table lists both optimizers, and a kind outside it is refused by init */
    assert_string_equal(lsnn_optim_name(0), "adam");
    assert_string_equal(lsnn_optim_name(1), "sgd");
    assert_null(lsnn_optim_name(2));
    cfg = make_cfg("adam", 1e-8);
    cfg.kind = (lsnn_optim_kind)7;
    lsnn_optim o;
    assert_int_equal(lsnn_optim_init(&o, &cfg, N), LSNN_ERR_ARG);
    lsnn_optim_free(&o); /* safe after a failed init */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_small_eps), cmocka_unit_test(test_adam_large_eps),
        cmocka_unit_test(test_adam_first_step_sign), cmocka_unit_test(test_sgd),
        cmocka_unit_test(test_lr_decay),       cmocka_unit_test(test_grad_clip),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_adam_eps_in_sqrt), cmocka_unit_test(test_warmup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The meta-RL policy and PPO loss (lsnn/ppo.h): log-probability against the product of the two
 * normal densities, entropy against a Monte Carlo estimate of -E[log pi] and the sample moments
 * against the policy's, the loss's gradient with respect to the readouts against central
 * differences element by element in every branch of the clipped surrogate, and the discounted
 * returns against the direct double sum. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/ppo.h"

#define PI 3.14159265358979323846

static void test_logp_entropy(void **state)
{
    (void)state;
    const double y[5] = {0.4, -1.3, 0.2, -0.7, 0.0};
    const double a[2] = {0.1, -0.5};
    /* product of N(tanh(y_c), sigmoid(y_{c+2})) densities, written out */
    double p = 1;
    for (int c = 0; c < 2; c++) {
        const double m = tanh(y[c]), v = 1 / (1 + exp(-y[2 + c]));
        p *= exp(-(a[c] - m) * (a[c] - m) / (2 * v)) / sqrt(2 * PI * v);
    }
    check_near(lsnn_policy_logp(y, a), log(p), 1e-12);
    /* samples: moments and -E[log pi] = H */
    lsnn_rng r;
    lsnn_rng_seed(&r, 42);
    const int N = 200000;
    double s[2] = {0}, s2[2] = {0}, nl = 0;
    for (int k = 0; k < N; k++) {
        double b[2];
        lsnn_policy_sample(y, &r, b);
        for (int c = 0; c < 2; c++) {
            s[c] += b[c];
            s2[c] += b[c] * b[c];
        }
        nl -= lsnn_policy_logp(y, b);
    }
    double mu[2], var[2];
    lsnn_policy_moments(y, mu, var);
    for (int c = 0; c < 2; c++) {
        check_near(s[c] / N, mu[c], 0.01);
        check_near(s2[c] / N - (s[c] / N) * (s[c] / N), var[c], 0.01);
    }
    check_near(nl / N, lsnn_policy_entropy(y), 0.01);
    /* the variance, not the standard deviation, is sigmoid(y_3) */
    check_near(var[0], 1 / (1 + exp(-0.2)), 1e-15);
}

/* Central differences of lsnn_ppo_loss against its gradient, element by element. */
static void check_gradient(const double *y0, const double *a, double logp_old, double adv,
                           double ret, const char *what)
{
    const lsnn_ppo_params p = {0.2, 0.7, 0.05};
    double g[5], y[5];
    lsnn_ppo_loss(y0, a, logp_old, adv, ret, &p, g);
    for (int i = 0; i < 5; i++) {
        memcpy(y, y0, sizeof y);
        const double h = 1e-6;
        y[i] = y0[i] + h;
        const double lp = lsnn_ppo_loss(y, a, logp_old, adv, ret, &p, NULL);
        y[i] = y0[i] - h;
        const double lm = lsnn_ppo_loss(y, a, logp_old, adv, ret, &p, NULL);
        const double fd = (lp - lm) / (2 * h);
        if (fabs(g[i] - fd) > 1e-7 * (1 + fabs(fd)))
            print_error("%s: readout %d\n", what, i);
        check_near(g[i], fd, 1e-7 * (1 + fabs(fd)));
    }
}

static void test_ppo_gradient(void **state)
{
    (void)state;
    const double y[5] = {0.3, -0.8, 0.5, -0.2, 0.4};
    const double a[2] = {0.6, -0.1};
    const double lp = lsnn_policy_logp(y, a);
    /* ratio 1 (theta = theta_old, the training step): the plain policy gradient */
    check_gradient(y, a, lp, 1.7, 0.9, "ratio 1, A > 0");
    check_gradient(y, a, lp, -0.8, -0.3, "ratio 1, A < 0");
    /* inside the clip range */
    check_gradient(y, a, lp - 0.1, 0.5, 0.2, "ratio 1.105, A > 0");
    /* clipped: ratio e^0.5 > 1.2 with A > 0, ratio e^-0.5 < 0.8 with A < 0 (no gradient through
     * the ratio: only the value and entropy terms remain) */
    check_gradient(y, a, lp - 0.5, 0.5, 0.2, "clipped above");
    check_gradient(y, a, lp + 0.5, -0.5, 0.2, "clipped below");
    /* outside the range on the side the min keeps unclipped */
    check_gradient(y, a, lp - 0.5, -0.5, 0.2, "ratio 1.65, A < 0");
    check_gradient(y, a, lp + 0.5, 0.5, 0.2, "ratio 0.61, A > 0");
    /* clipped branch: the surrogate contributes nothing to the policy readouts' gradient */
    const lsnn_ppo_params p = {0.2, 1, 0};
    double g[5];
    lsnn_ppo_loss(y, a, lp - 0.5, 0.5, y[4], &p, g);
    for (int i = 0; i < 5; i++)
        check_eq(g[i], 0);
    /* the value term: 2 mu_v (V - R) */
    lsnn_ppo_loss(y, a, lp, 0, 1.4, &p, g);
    check_near(g[4], 2 * (y[4] - 1.4), 1e-15);
}

static void test_returns(void **state)
{
    (void)state;
    const int T = 50;
    double r[50], R[50];
    for (int t = 0; t < T; t++)
        r[t] = t % 7 == 3 ? 1 : t % 5 == 0 ? -0.02 : 0;
    lsnn_discounted_returns(r, T, 0.99, R);
    for (int t = 0; t < T; t++) {
        double s = 0;
        for (int u = t + 1; u < T; u++)
            s += pow(0.99, u - t) * r[u];
        check_near(R[t], s, 1e-12);
    }
    check_eq(R[T - 1], 0);
    /* GAE: lambda 1 is R - V, lambda 0 the one-step TD error */
    double V[50], A[50];
    for (int t = 0; t < T; t++)
        V[t] = 0.3 * sin(0.2 * t);
    lsnn_gae(r, V, T, 0.99, 1, A);
    for (int t = 0; t < T; t++)
        check_near(A[t], R[t] - V[t], 1e-12);
    lsnn_gae(r, V, T, 0.99, 0, A);
    for (int t = 0; t < T; t++) {
        const double rn = t + 1 < T ? r[t + 1] : 0, vn = t + 1 < T ? V[t + 1] : 0;
        check_near(A[t], 0.99 * (rn + vn) - V[t], 1e-15);
    }
    lsnn_gae(r, V, T, 0.99, 0.9, A); /* and in between: the recursion's closed form */
    for (int t = 0; t < T; t++) {
        double s = 0;
        for (int k = t; k < T; k++) {
            const double rn = k + 1 < T ? r[k + 1] : 0, vn = k + 1 < T ? V[k + 1] : 0;
            s += pow(0.99 * 0.9, k - t) * (0.99 * (rn + vn) - V[k]);
        }
        check_near(A[t], s, 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logp_entropy),
        cmocka_unit_test(test_ppo_gradient),
        cmocka_unit_test(test_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

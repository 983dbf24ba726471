/* The adaptive spiking neuron and the AAN activation of seed 002 (lsnn/asn.h): AAN values against
 * the table of ../shared/notes/spiking-lstm.md section 2, its derivative against finite
 * differences, stability far out; the ASN in deterministic mode against the closed-form sums of
 * seed eqs. 1-4 over its spike times and against numbers worked out by hand; the stochastic rule's
 * spike probability; determinism under the keys; the calibration of h (ASN(4.8) = 1 within 2%
 * on fresh trials); the least-squares fit recovering known constants. */
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

#include "lsnn/asn.h"

static void test_aan_table(void **state)
{
    (void)state;
    /* notes section 2: AAN to 4 significant digits, AAN' to 3 */
    static const double S[] = {0, 0.2, 0.5, 1, 2, 4.8};
    static const double F[] = {0.006538, 0.04326, 0.2616, 0.4736, 0.7270, 0.9821};
    static const double DF[] = {0.0647, 0.376, 0.783, 0.281, 0.214, 0.0190};
    for (int i = 0; i < 6; i++) {
        double f, df;
        lsnn_aan_eval(S[i], &lsnn_aan_published, &f, &df);
        check_near(f, F[i], 1e-4);
        check_near(df, DF[i], 6e-4);
        check_near(lsnn_aan(S[i], &lsnn_aan_published), f, 0);
        check_near(lsnn_aan_deriv(S[i], &lsnn_aan_published), df, 0);
        /* the direct formula of eq. 6 where it does not overflow */
        const lsnn_aan_params *p = &lsnn_aan_published;
        double direct = 1 / (p->a * exp(p->b * S[i]) + p->c * exp(p->d * S[i]) + 1);
        check_near(f, direct, 1e-14);
    }
}

static void test_aan_deriv_fd(void **state)
{
    (void)state;
    const lsnn_aan_params q = {133, -6.5, 4.9, -1.1};
    const lsnn_aan_params *ps[] = {&lsnn_aan_published, &q};
    for (int k = 0; k < 2; k++)
        for (double s = -3; s <= 12; s += 0.37) {
            const double h = 1e-6;
            double fd = (lsnn_aan(s + h, ps[k]) - lsnn_aan(s - h, ps[k])) / (2 * h);
            double df = lsnn_aan_deriv(s, ps[k]);
            check_near(df, fd, 1e-8 + 1e-6 * fabs(fd));
            check_gt(df, 0);
        }
}

static void test_aan_extremes(void **state)
{
    (void)state;
    /* far below: e^(-10.16 S) overflows a double at S = -70; the stable form does not */
    double f, df;
    lsnn_aan_eval(-200, &lsnn_aan_published, &f, &df);
    check_ge(f, 0);
    check_lt(f, 1e-300);
    check_ge(df, 0);
    check_eq(isfinite(df), 1);
    lsnn_aan_eval(-30, &lsnn_aan_published, &f, &df);
    /* AAN ~ e^(10.16 S) / a there: positive, finite, not flushed to 0 */
    check_near(log(f), 10.16 * -30 - log(148.7), 1e-9);
    check_near(df / f, 10.16, 1e-9);
    lsnn_aan_eval(1e6, &lsnn_aan_published, &f, &df);
    check_eq(f, 1);
    check_eq(df, 0);
}

/* Deterministic mode against an independent computation: the closed-form sums of eqs. 1-4 over
 * the input and the spike times so far (notes section 1 in sums, O(n^2)), with the same
 * threshold rule. */
static void test_asn_deterministic_sums(void **state)
{
    (void)state;
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    p.firing = LSNN_ASN_DETERMINISTIC;
    lsnn_asn_consts k;
    lsnn_asn_derive(&p, &k);
    enum { N = 300 };
    lsnn_real m[6], cur[1], bias[1] = {(lsnn_real)0.05};
    lsnn_asn_state s = {m, m + 1, m + 2, m + 3, m + 4, m + 5};
    lsnn_asn_reset(&k, 1, &s);
    const double db = exp(-1 / p.tau_beta), dp = exp(-1 / p.tau_phi),
                 dg = exp(-1 / p.tau_gamma), de = exp(-1 / p.tau_eta);
    double in[N], used[N]; /* used[q]: the threshold Theta(q-1) that step q compares with */
    int z[N];
    int spikes = 0;
    for (int n = 0; n < N; n++) {
        /* a drive that rises, holds and stops */
        in[n] = n < 100 ? 0.02 * n : n < 200 ? 1.5 : 0;
        cur[0] = (lsnn_real)in[n];
        lsnn_asn_step(&k, 1, &s, cur, bias, 9, (uint64_t)n);
        /* eq. 1 and 2 as sums */
        double I = 0, F = 0;
        for (int q = 0; q <= n; q++) {
            double Iq = 0;
            for (int r = 0; r <= q; r++)
                Iq += pow(db, q - r) * in[r];
            F += (1 - dp) * pow(dp, n - q) * Iq;
            if (q == n)
                I = Iq;
        }
        /* eqs. 3-4 over the earlier spikes ts < n: S-hat decays from the spike step on,
         * Theta_a one step more (incremented, then decayed in the spike's step) */
        double sh = 0, ta = 0;
        for (int q = 0; q < n; q++)
            if (z[q]) {
                sh += used[q] * pow(de, n - q);
                ta += p.mf * used[q] * pow(dg, n - q);
            }
        double theta = p.theta0 + ta; /* Theta(n-1) */
        used[n] = theta;
        double V = F + bias[0] - sh;
        z[n] = V > 0.5 * theta;
        spikes += z[n];
        check_near(s.i[0], I, 1e-5 * (1 + fabs(I)));
        check_near(s.f[0], F, 1e-5 * (1 + fabs(F)));
        check_near(s.v[0], V, 1e-5 * (1 + fabs(V)));
        check_eq(s.z[0], z[n]);
        /* Theta(n) = theta0 + Theta_a after this step's increment and decay */
        double ta_n = ta * dg + (z[n] ? p.mf * theta * dg : 0);
        check_near(s.theta_a[0], ta_n, 1e-5 * (1 + ta_n));
    }
    check_gt(spikes, 20);   /* it fired under the drive */
    check_lt(spikes, 200);  /* and adapted */
}

/* The first steps worked out by hand: input 1 from step 0, no bias, default constants. */
static void test_asn_by_hand(void **state)
{
    (void)state;
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    p.firing = LSNN_ASN_DETERMINISTIC;
    lsnn_asn_consts k;
    lsnn_asn_derive(&p, &k);
    lsnn_real m[6], one[1] = {1};
    lsnn_asn_state s = {m, m + 1, m + 2, m + 3, m + 4, m + 5};
    lsnn_asn_reset(&k, 1, &s);
    /* step 0: I = 1, F = 1 - e^-0.4 = 0.329680, V = F > 0.15: spike; S-hat = 0.3,
     * Theta_a = 0.18 * 0.3 * e^-0.1 = 0.0488612 */
    lsnn_asn_step(&k, 1, &s, one, NULL, 0, 0);
    check_near(s.i[0], 1, 1e-6);
    check_near(s.f[0], 0.329680, 1e-6);
    check_near(s.v[0], 0.329680, 1e-6);
    check_eq(s.z[0], 1);
    check_near(s.shat[0], 0.3, 1e-6);
    check_near(s.theta_a[0], 0.0488612, 1e-6);
    /* step 1: I = e^-0.1 + 1 = 1.904837, F = 0.670320 * 0.329680 + 0.329680 * 1.904837
     * = 0.848978, S-hat = 0.3 e^-0.1 = 0.271451, V = 0.577527, Theta = 0.348861: V > 0.174431,
     * spike; S-hat = 0.620312, Theta_a = (0.0488612 + 0.18 * 0.348861) e^-0.1 = 0.101031 */
    lsnn_asn_step(&k, 1, &s, one, NULL, 0, 1);
    check_near(s.i[0], 1.904837, 1e-6);
    check_near(s.f[0], 0.848978, 1e-6);
    check_near(s.v[0], 0.577527, 1e-6);
    check_eq(s.z[0], 1);
    check_near(s.shat[0], 0.620312, 1e-6);
    check_near(s.theta_a[0], 0.101031, 1e-6);
    /* decay_first: the increment is not decayed in its own step */
    p.decay_first = 1;
    lsnn_asn_derive(&p, &k);
    lsnn_asn_reset(&k, 1, &s);
    lsnn_asn_step(&k, 1, &s, one, NULL, 0, 0);
    check_near(s.theta_a[0], 0.054, 1e-6);
    /* tau_beta inf (the CEC): I sums its inputs */
    p.tau_beta = INFINITY;
    lsnn_asn_derive(&p, &k);
    lsnn_asn_reset(&k, 1, &s);
    for (int n = 0; n < 5; n++)
        lsnn_asn_step(&k, 1, &s, one, NULL, 0, (uint64_t)n);
    check_near(s.i[0], 5, 1e-6);
    /* tau_beta 0 (an input ASN): I is the input */
    p.tau_beta = 0;
    lsnn_asn_derive(&p, &k);
    lsnn_asn_step(&k, 1, &s, one, NULL, 0, 5);
    check_near(s.i[0], 1, 0);
}

/* The escape rule: from one state, the share of 200,000 neurons that spike is 1 - exp(-lambda)
 * within 5 binomial standard deviations; "linear" gives min(lambda, 1). */
static void test_asn_escape_probability(void **state)
{
    (void)state;
    enum { N = 200000 };
    lsnn_real *m = malloc(sizeof(lsnn_real) * N * 7);
    assert_non_null(m);
    lsnn_asn_state s = {m, m + N, m + 2 * N, m + 3 * N, m + 4 * N, m + 5 * N};
    lsnn_real *cur = m + 6 * N;
    for (int rule = 0; rule < 2; rule++) {
        lsnn_asn_params p;
        lsnn_asn_params_default(&p);
        p.tau_beta = 0;
        p.tau_phi = 0; /* F = I = S at once */
        p.firing = rule ? LSNN_ASN_LINEAR : LSNN_ASN_ESCAPE;
        lsnn_asn_consts k;
        lsnn_asn_derive(&p, &k);
        const double S = 0.4; /* V - Theta/2 = 0.25: lambda = 0.005 e^2.5 */
        for (int j = 0; j < N; j++)
            cur[j] = (lsnn_real)S;
        lsnn_asn_reset(&k, N, &s);
        lsnn_asn_step(&k, N, &s, cur, NULL, 77, 3);
        double cnt = 0;
        for (int j = 0; j < N; j++)
            cnt += s.z[j];
        double lam = 0.005 * exp(((lsnn_real)S - 0.15) / 0.1);
        double pz = rule ? lam : 1 - exp(-lam);
        double sd = sqrt(N * pz * (1 - pz));
        check_near(cnt, N * pz, 5 * sd);
    }
    free(m);
}

static void test_asn_keys(void **state)
{
    (void)state;
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    lsnn_asn_consts k;
    lsnn_asn_derive(&p, &k);
    enum { N = 64, T = 400 };
    lsnn_real a[6 * N], b[6 * N], cur[N];
    lsnn_asn_state sa = {a, a + N, a + 2 * N, a + 3 * N, a + 4 * N, a + 5 * N};
    lsnn_asn_state sb = {b, b + N, b + 2 * N, b + 3 * N, b + 4 * N, b + 5 * N};
    for (int j = 0; j < N; j++)
        cur[j] = (lsnn_real)(0.5 + 0.05 * j);
    int differ = 0;
    for (int pass = 0; pass < 2; pass++) {
        lsnn_asn_reset(&k, N, &sa);
        lsnn_asn_reset(&k, N, &sb);
        for (int t = 0; t < T; t++) {
            lsnn_asn_step(&k, N, &sa, cur, NULL, 5, (uint64_t)t);
            lsnn_asn_step(&k, N, &sb, cur, NULL, pass ? 6 : 5, (uint64_t)t);
            if (memcmp(a, b, sizeof a) != 0)
                differ = 1;
        }
        if (pass == 0)
            check_eq(differ, 0); /* same keys, same trajectory */
        else
            check_eq(differ, 1); /* another key, other spikes */
    }
    check_eq(lsnn_asn_uniform(1, 2, 3), lsnn_asn_uniform(1, 2, 3));
    check_ne(lsnn_asn_uniform(1, 2, 3), lsnn_asn_uniform(1, 2, 4));
}

/* h from one set of trials makes the normalised output at 4.8 equal to 1 within 2% on other
 * trials; the rate there is a few hundred Hz (notes: about 430 Hz, h about 0.22). */
static void test_asn_calibration(void **state)
{
    (void)state;
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    lsnn_asn_measure m;
    lsnn_asn_measure_default(&m);
    double h, P;
    assert_int_equal(lsnn_asn_calibrate(&p, &m, 4.8, &h, &P), LSNN_OK);
    check_near(h * P, 1, 1e-12);
    check_gt(h, 0.15);
    check_lt(h, 0.3);
    m.seed = 2;
    double S[3] = {0, 1, 4.8}, P2[3], rate[3];
    assert_int_equal(lsnn_asn_transfer(&p, &m, S, 3, P2, rate), LSNN_OK);
    check_near(h * P2[2], 1, 0.02);
    check_gt(rate[2], 300);
    check_lt(rate[2], 600);
    /* a monotone curve: almost silent at 0, in between at 1 */
    check_lt(h * P2[0], 0.05);
    check_gt(h * P2[1], h * P2[0]);
    check_lt(h * P2[1], h * P2[2]);
    /* P is the time average of the PSC: rate (per ms) / (1 - e^-0.1) up to fluctuations */
    check_near(P2[2], rate[2] / 1000 / (1 - exp(-0.1)), 0.05 * P2[2]);
    /* never firing: an error, not h = inf */
    p.lambda0 = 1e-300;
    p.firing = LSNN_ASN_DETERMINISTIC;
    p.theta0 = 100;
    assert_int_equal(lsnn_asn_calibrate(&p, &m, 4.8, &h, NULL), LSNN_ERR_NUMERIC);
    /* bad parameters */
    lsnn_asn_params_default(&p);
    p.dv = 0;
    assert_int_equal(lsnn_asn_calibrate(&p, &m, 4.8, &h, NULL), LSNN_ERR_ARG);
    lsnn_asn_params_default(&p);
    m.trials = 0;
    assert_int_equal(lsnn_asn_calibrate(&p, &m, 4.8, &h, NULL), LSNN_ERR_ARG);
}

static void test_aan_fit(void **state)
{
    (void)state;
    enum { N = 131 };
    double s[N], y[N];
    const lsnn_aan_params truth = {133, -6.5, 4.9, -1.1};
    for (int i = 0; i < N; i++) {
        s[i] = -0.5 + 0.05 * i;
        y[i] = lsnn_aan(s[i], &truth);
    }
    lsnn_aan_params p = lsnn_aan_published; /* start from the published constants */
    double rss;
    assert_int_equal(lsnn_aan_fit(s, y, N, &p, &rss), LSNN_OK);
    check_lt(rss, 1e-20);
    check_near(p.a, truth.a, 1e-6 * truth.a);
    check_near(p.b, truth.b, 1e-6);
    check_near(p.c, truth.c, 1e-6 * truth.c);
    check_near(p.d, truth.d, 1e-6);
    /* bad input */
    p = lsnn_aan_published;
    assert_int_equal(lsnn_aan_fit(s, y, 3, &p, NULL), LSNN_ERR_ARG);
    y[5] = NAN;
    assert_int_equal(lsnn_aan_fit(s, y, N, &p, NULL), LSNN_ERR_ARG);
    y[5] = 0;
    p.a = -1;
    assert_int_equal(lsnn_aan_fit(s, y, N, &p, NULL), LSNN_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aan_table),
        cmocka_unit_test(test_aan_deriv_fd),
        cmocka_unit_test(test_aan_extremes),
        cmocka_unit_test(test_asn_deterministic_sums),
        cmocka_unit_test(test_asn_by_hand),
        cmocka_unit_test(test_asn_escape_probability),
        cmocka_unit_test(test_asn_keys),
        cmocka_unit_test(test_asn_calibration),
        cmocka_unit_test(test_aan_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

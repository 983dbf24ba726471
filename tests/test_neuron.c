/* Closed-form behaviour of the ALIF/LIF model inside a network: membrane response to constant
 * input, threshold decay after one spike, refractory spacing, and delays shifting spikes; the
 * pseudo-derivative's closed form and its refractory window (both options). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/neuron_alif.h"
#include "lsnn/config_map.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"

enum { T = 300 };

typedef struct rig {
    lsnn_net net;
    lsnn_batch batch;
    lsnn_sim *sim;
    lsnn_trace tr;
    lsnn_real *y;
} rig;

static void rig_init(rig *r, int n_reg, int n_ad, int refractory, int max_delay, double b0)
{
    memset(r, 0, sizeof *r);
    lsnn_network_config nc;
    memset(&nc, 0, sizeof nc);
    nc.n_regular = n_reg;
    nc.n_adaptive = n_ad;
    nc.dt = 1;
    nc.tau_m = 20;
    nc.tau_a = 50;
    nc.beta = 1.8;
    nc.b0 = b0;
    nc.refractory = refractory;
    snprintf(nc.input_scaling, sizeof nc.input_scaling, "leaky");
    nc.gamma = 0.3;
    nc.w0 = 1;
    nc.w0_out = 1;
    nc.max_delay = max_delay;
    nc.readout_tau = 20;
    assert_int_equal(lsnn_net_init(&r->net, &nc, 1, 1, 1), LSNN_OK);
    memset(r->net.params, 0, sizeof(lsnn_real) * r->net.n_params);
    assert_int_equal(lsnn_batch_init(&r->batch, 1, T, 1, 1, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    r->sim = lsnn_sim_create(&r->net, 1, T, NULL);
    assert_non_null(r->sim);
    int n = r->net.n;
    r->tr.v = calloc((size_t)T * n, sizeof(lsnn_real));
    r->tr.thr = calloc((size_t)T * n, sizeof(lsnn_real));
    r->tr.z = calloc((size_t)T * n, sizeof(lsnn_real));
    r->y = calloc(T, sizeof(lsnn_real));
}

static void rig_run(rig *r)
{
    assert_int_equal(lsnn_sim_forward(r->sim, &r->net, &r->batch, r->y, NULL, &r->tr), LSNN_OK);
}

static void rig_free(rig *r)
{
    free(r->tr.v);
    free(r->tr.thr);
    free(r->tr.z);
    free(r->y);
    lsnn_sim_free(r->sim);
    lsnn_batch_free(&r->batch);
    lsnn_net_free(&r->net);
}

/* V(t) = I (1 - alpha^(t+1)) under a constant input I from step 0 (leaky scaling). */
static void test_lif_constant_input(void **state)
{
    (void)state;
    rig r;
    rig_init(&r, 1, 0, 0, 1, 100.0);
    const double I = 3.5, alpha = exp(-1.0 / 20);
    r.net.proj[0].w[0] = (lsnn_real)I;
    for (int t = 0; t < T; t++)
        r.batch.x[t] = 1;
    rig_run(&r);
    for (int t = 0; t < T; t++) {
        double expect = I * (1 - pow(alpha, t + 1));
        check_near(r.tr.v[t], expect, 1e-5 * I);
        check_eq(r.tr.z[t], 0);
    }
    rig_free(&r);
}

/* One spike at step 10, then B(t) = b0 + beta (1 - rho) rho^(t - 11) for t >= 11. */
static void test_alif_threshold_decay(void **state)
{
    (void)state;
    rig r;
    rig_init(&r, 0, 1, 0, 1, 0.01);
    const double rho = exp(-1.0 / 50), beta = 1.8, b0 = 0.01;
    /* (1 - alpha) w = 0.015 > b0: one spike at once; after the reset V stays below B. */
    r.net.proj[0].w[0] = 0.3075f;
    r.batch.x[10] = 1;
    rig_run(&r);
    int spikes = 0;
    for (int t = 0; t < T; t++)
        spikes += r.tr.z[t] != 0;
    assert_int_equal(spikes, 1);
    check_eq(r.tr.z[10], 1);
    for (int t = 0; t <= 10; t++)
        check_near(r.tr.thr[t], b0, 1e-7);
    for (int t = 11; t < T; t++) {
        double expect = b0 + beta * (1 - rho) * pow(rho, t - 11);
        check_near(r.tr.thr[t], expect, 1e-5 * expect);
    }
    rig_free(&r);
}

/* Under a huge constant input a neuron fires exactly every refractory + 1 steps. */
static void test_refractory_spacing(void **state)
{
    (void)state;
    for (int ref = 0; ref <= 5; ref++) {
        rig r;
        rig_init(&r, 1, 0, ref, 1, 0.01);
        r.net.proj[0].w[0] = 1e4;
        for (int t = 0; t < T; t++)
            r.batch.x[t] = 1;
        rig_run(&r);
        for (int t = 0; t < T; t++)
            assert_int_equal(r.tr.z[t] != 0, t % (ref + 1) == 0);
        rig_free(&r);
    }
}

/* An input spike at step 5 with input delay din reaches neuron 0 at 5 + din - 1; neuron 0's spike
 * reaches neuron 1 after the recurrent delay drec. */
static void test_delays_shift_spikes(void **state)
{
    (void)state;
    const int D = 6;
    for (int din = 1; din <= D; din++)
        for (int drec = 1; drec <= D; drec++) {
            rig r;
            rig_init(&r, 2, 0, 3, D, 0.01);
            lsnn_projection *in = &r.net.proj[0], *rec = &r.net.proj[1];
            assert_non_null(in->delay);
            assert_non_null(rec->delay);
            /* Each synapse lifts V to 0.015 > b0 = 0.01: exactly one spike each. */
            in->w[0] = 0.3075f; /* input -> neuron 0 */
            in->delay[0] = (uint8_t)din;
            rec->w[0 * 2 + 1] = 0.3075f; /* neuron 0 -> neuron 1 */
            rec->delay[0 * 2 + 1] = (uint8_t)drec;
            r.batch.x[5] = 1;
            rig_run(&r);
            int t0 = 5 + din - 1, t1 = t0 + drec;
            for (int t = 0; t < T; t++) {
                assert_int_equal(r.tr.z[t * 2 + 0] != 0, t == t0);
                assert_int_equal(r.tr.z[t * 2 + 1] != 0, t == t1);
            }
            rig_free(&r);
        }
}

/* Spike counts are conserved between the trace, the per-neuron counts and the readout: with
 * kappa = 0 the readout of a neuron with unit output weight is its spike train. */
static void test_readout_sees_spikes(void **state)
{
    (void)state;
    rig r;
    rig_init(&r, 1, 0, 2, 1, 0.01);
    r.net.kappa = 0;
    r.net.readout_gain = 1; /* what the build derives from kappa = 0 */
    r.net.proj[0].w[0] = 1e4;
    r.net.w_out[0] = 1;
    r.net.b_out[0] = 0.25;
    for (int t = 0; t < T; t += 7)
        r.batch.x[t] = 1;
    double count = 0;
    assert_int_equal(lsnn_sim_forward(r.sim, &r.net, &r.batch, r.y, &count, &r.tr), LSNN_OK);
    double from_trace = 0;
    for (int t = 0; t < T; t++) {
        from_trace += r.tr.z[t];
        check_near(r.y[t], (r.tr.z[t] + 0.25), 1e-6);
    }
    check_eq(count, from_trace);
    check_gt(count, 10);
    rig_free(&r);
}

/* The public pseudo-derivative (used by e-prop later) against its closed form (seed 000 eq. 7,
 * seed 004 eq. 2.18): leaky dz/dV = gamma max(0, 1 - |V/B - 1|) / B, dz/dB = -dz/dV * V / B;
 * plain dz/dV = gamma max(0, 1 - |(V - B)/b0|) = -dz/dB; zero while refractory. */
static void test_pseudo_derivative(void **state)
{
    (void)state;
    rig r;
    rig_init(&r, 0, 2, 0, 1, 0.01);
    /* neurons 0 (leaky) and 1 (plain) of the one population */
    lsnn_alif_consts *k = r.net.pop[0].consts;
    k->plain[1] = 1;
    const double gamma = 0.3, b = 0.002, beta = 1.8, b0 = 0.01, B = b0 + beta * b;
    const double Vs[] = {-0.01, 0.0, 0.005, 0.0136, 0.02, 0.0272, 0.05};
    for (size_t q = 0; q < sizeof Vs / sizeof Vs[0]; q++) {
        double V = Vs[q];
        lsnn_real dv, dB;
        lsnn_alif_pseudo(k, 0, (lsnn_real)V, (lsnn_real)b, 0, (lsnn_real)gamma, &dv, &dB);
        double p = gamma * fmax(0, 1 - fabs(V / B - 1));
        check_near(dv, p / B, 1e-4 * (p / B) + 1e-9);
        check_le(fabs(dB + p * V / (B * B)), 1e-4 * fabs(p * V / (B * B)) + 1e-9);
        lsnn_alif_pseudo(k, 1, (lsnn_real)V, (lsnn_real)b, 0, (lsnn_real)gamma, &dv, &dB);
        double pp = gamma * fmax(0, 1 - fabs((V - B) / b0));
        check_near(dv, pp, 1e-5);
        check_le(fabs(dB + pp), 1e-5);
        lsnn_alif_pseudo(k, 0, (lsnn_real)V, (lsnn_real)b, 1, (lsnn_real)gamma, &dv, &dB);
        check_eq(dv, 0);
        check_eq(dB, 0);
    }
    rig_free(&r);
}

/* The window of the refractory pseudo-derivative, from the spike history alone: a plain neuron
 * driven by a constant current fires every few steps; at each step the e-prop coefficient ev =
 * dz/dV must be, with t_z the last spike at or before t, zero (ALIF) or -+gamma (STDP-ALIF)
 * exactly in t_z + 1 .. t_z + refr (window "refractory") or t_z .. t_z + refr - 1 ("spike"),
 * and the ALIF triangle gamma max(0, 1 - |V - B| / b0) everywhere else. The BPTT adjoint of the
 * same step carries the same dz/dV (its gv from a unit dL/dz). */
static void psi_window_case(const char *model, int refr, int from_spike, int positive)
{
    const lsnn_neuron_model *m = lsnn_neuron_model_find(model);
    assert_non_null(m);
    enum { N = 1, STEPS = 40 };
    void *k = aligned_alloc(64, (m->consts_size(N) + 63) / 64 * 64);
    assert_non_null(k);
    lsnn_real par[LSNN_ALIF_N_PARAMS];
    par[LSNN_ALIF_TAU_M] = 20;
    par[LSNN_ALIF_TAU_A] = 50;
    par[LSNN_ALIF_BETA] = 0.05;
    par[LSNN_ALIF_B0] = 1;
    par[LSNN_ALIF_REFRACTORY] = (lsnn_real)refr;
    const lsnn_neuron_opts o = {.dt = 1, .plain_input = 1, .psi_from_spike = from_spike,
                                .stdp_psi_positive = positive, .reset_grad = 1};
    lsnn_real g_in;
    uint8_t adaptive;
    m->derive(k, N, par, &o, &g_in, &adaptive);
    lsnn_real v = 0, b = 0, z = 0, ref = 0;
    lsnn_neuron_state s = {&v, &b, &z, NULL, &ref, NULL, 0, 0, 0};
    const lsnn_real cur = (lsnn_real)0.45, gamma = (lsnn_real)0.3;
    int last = -1000, spikes = 0;
    for (int t = 0; t < STEPS; t++) {
        m->step(k, 0, N, &s, &cur, gamma, 0);
        if (z != 0)
            last = t, spikes++;
        lsnn_real jvv, jva, jav, jaa, ev, ea;
        lsnn_eligibility_coeffs co = {&jvv, &jva, &jav, &jaa, &ev, &ea};
        m->eligibility(k, 0, N, &s, gamma, 1, &co);
        const int d = t - last;
        const int in = from_spike ? d >= 0 && d <= refr - 1 : d >= 1 && d <= refr;
        const double B = 1 + 0.05 * b;
        const double tri = gamma * fmax(0, 1 - fabs((v - B) / 1));
        const double want = in ? (strcmp(model, "alif") == 0 ? 0 : (positive ? 1 : -1) * gamma)
                               : tri;
        if (fabs(ev - want) > 1e-6)
            fail_msg("%s refractory %d window %s sign %s, step %d (%d after the last spike): "
                     "dz/dV %.9g, expected %.9g", model, refr, from_spike ? "spike" : "refractory",
                     positive ? "+" : "-", t, d, (double)ev, want);
        /* BPTT: a unit dL/dz(t) and nothing from t + 1 gives gv = dz/dV */
        lsnn_real gz = 1, gv = 0, gb = 0;
        lsnn_neuron_adjoint adj = {&gv, &gb};
        m->backward_step(k, 0, N, &v, &b, &z, &ref, &gz, &adj, gamma);
        if (fabs(gv - ev) > 1e-6)
            fail_msg("%s step %d: BPTT's dz/dV %.9g, e-prop's %.9g", model, t, (double)gv,
                     (double)ev);
    }
    check_ge(spikes, 4); /* the windows were visited */
    free(k);
}

static void test_psi_window(void **state)
{
    (void)state;
    static const char *const models[] = {"alif", "stdp_alif"};
    for (int mi = 0; mi < 2; mi++)
        for (int refr = 1; refr <= 3; refr++)
            for (int w = 0; w < 2; w++)
                for (int sg = 0; sg < 2; sg++)
                    psi_window_case(models[mi], refr, w, sg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lif_constant_input),
        cmocka_unit_test(test_alif_threshold_decay),
        cmocka_unit_test(test_refractory_spacing),
        cmocka_unit_test(test_delays_shift_spikes),
        cmocka_unit_test(test_readout_sees_spikes),
        cmocka_unit_test(test_pseudo_derivative),
        cmocka_unit_test(test_psi_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

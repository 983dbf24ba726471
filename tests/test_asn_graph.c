/* The ASN as a neuron model of the graph API (model "asn", lsnn/neuron.h): a network of ASNs
 * simulated by the engine (input and recurrent projections with delays, the model's three
 * auxiliary state variables) equals the standalone neuron (lsnn_asn_step) fed the same currents,
 * step by step in deterministic mode; stochastic firing is reproducible and independent between
 * populations; a snapshot restores the auxiliary state; BPTT refuses the network. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/asn.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/neuron.h"
#include "lsnn/sim.h"

enum { NIN = 2, N = 4, T = 300, NOUT = 1 };

static lsnn_graph_opts opts(void)
{
    lsnn_graph_opts o;
    memset(&o, 0, sizeof o);
    o.dt = 1;
    o.gamma = 0.3;
    o.readout_tau = 20;
    o.w0_out = 1;
    o.input_exc_fraction = 0.75;
    return o;
}

/* Populations "A" (and "B" when two) of N ASNs with the given firing rule and bias 0.05,
 * input and recurrent projections; weights set from a fixed generator. */
static void build(lsnn_net *net, double firing, int two)
{
    const lsnn_neuron_model *m = lsnn_neuron_model_find("asn");
    assert_non_null(m);
    const char *const names[] = {"firing", "bias"};
    const lsnn_value vals[] = {{LSNN_VALUE_CONST, firing, 0, NULL, 0},
                               {LSNN_VALUE_CONST, 0.05, 0, NULL, 0}};
    lsnn_graph_opts o = opts();
    lsnn_graph *g = lsnn_graph_new(&o);
    lsnn_population_spec ps = {"A", m, N, LSNN_SIGN_NONE, 2, names, vals, 0, 0.8, 0};
    assert_int_equal(lsnn_graph_add_population(g, &ps), LSNN_OK);
    if (two) {
        ps.name = "B";
        assert_int_equal(lsnn_graph_add_population(g, &ps), LSNN_OK);
    }
    const char *to = two ? "A+B" : "A";
    lsnn_projection_spec in = {"w_in", "input", 0, 0, to, 1, 1, 0, 0, 1, 1.0};
    lsnn_projection_spec rec = {"w_rec", to, 0, 0, to, 1, 1, 0, 0, 1, 1.0};
    assert_int_equal(lsnn_graph_add_projection(g, &in), LSNN_OK);
    if (!two)
        assert_int_equal(lsnn_graph_add_projection(g, &rec), LSNN_OK);
    assert_int_equal(lsnn_graph_build(g, net, NIN, NOUT, 3), LSNN_OK);
    lsnn_graph_free(g);
    check_eq(lsnn_net_forward_only(net), 0);
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        /* input weights 1 .. 1.6, recurrent -0.3 .. 0.3 */
        for (int k = 0; k < pr->n_src * pr->n_dst; k++)
            pr->w[k] = (lsnn_real)(pr->src_is_input ? 1 + 0.1 * (k % 7)
                                                    : 0.3 * ((k % 5) - 2) / 2.0);
    }
}

static void fill(lsnn_batch *b)
{
    for (int t = 0; t < T; t++)
        for (int i = 0; i < NIN; i++)
            b->x[(size_t)t * NIN + i] = (lsnn_real)(t < 150 ? 0.3 + 0.2 * i : (t % 40 < 20));
}

static void test_engine_equals_standalone(void **state)
{
    (void)state;
    lsnn_net net;
    build(&net, 2, 0);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, 1, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 0), LSNN_OK);
    fill(&b);
    lsnn_sim *sim = lsnn_sim_create(&net, 1, T, NULL);
    assert_non_null(sim);
    lsnn_real *y = malloc(sizeof(lsnn_real) * T * NOUT);
    lsnn_trace tr = {malloc(sizeof(lsnn_real) * T * N), malloc(sizeof(lsnn_real) * T * N),
                     malloc(sizeof(lsnn_real) * T * N)};
    assert_int_equal(lsnn_sim_forward(sim, &net, &b, y, NULL, &tr), LSNN_OK);
    /* the standalone neuron with the currents the engine's synapses deliver */
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    p.firing = LSNN_ASN_DETERMINISTIC;
    lsnn_asn_consts k;
    lsnn_asn_derive(&p, &k);
    lsnn_real m[6 * N], cur[N], bias[N], zprev[N] = {0};
    lsnn_asn_state s = {m, m + N, m + 2 * N, m + 3 * N, m + 4 * N, m + 5 * N};
    lsnn_asn_reset(&k, N, &s);
    for (int j = 0; j < N; j++)
        bias[j] = (lsnn_real)0.05;
    const lsnn_projection *pin = &net.proj[0], *prec = &net.proj[1];
    int spikes = 0;
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < N; j++) {
            double c = 0;
            for (int i = 0; i < NIN; i++) /* input delay 1: the same step */
                c += pin->w[i * N + j] * b.x[(size_t)t * NIN + i];
            for (int i = 0; i < N; i++) /* recurrent delay 1: the last step's spikes */
                c += prec->w[i * N + j] * zprev[i];
            cur[j] = (lsnn_real)c;
        }
        lsnn_asn_step(&k, N, &s, cur, bias, 0, 0);
        for (int j = 0; j < N; j++) {
            /* the engine sums the current in float in its own order: rounding only */
            check_near(tr.v[t * N + j], s.v[j], 1e-5 * (1 + fabs(s.v[j])));
            check_eq(tr.z[t * N + j], s.z[j]);
            check_near(tr.thr[t * N + j], 0.5 * (0.3 + s.theta_a[j]), 2e-6 * (1 + s.theta_a[j]));
            zprev[j] = s.z[j];
            spikes += s.z[j] != 0;
        }
    }
    check_gt(spikes, 50);
    /* BPTT refuses the network */
    lsnn_real *gy = calloc(T * NOUT, sizeof(lsnn_real));
    lsnn_real *grad = calloc(net.n_params, sizeof(lsnn_real));
    assert_int_equal(lsnn_bptt_backward(sim, &net, &b, gy, NULL, grad), LSNN_ERR_UNSUPPORTED);
    free(gy);
    free(grad);
    free(tr.v);
    free(tr.thr);
    free(tr.z);
    free(y);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

/* Escape noise: the same batch key repeats the spikes, another key changes them, and two
 * populations with the same inputs and parameters fire differently (their keys differ). */
static void test_stochastic(void **state)
{
    (void)state;
    lsnn_net net;
    build(&net, 0, 1);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, 1, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 0), LSNN_OK);
    fill(&b);
    lsnn_sim *sim = lsnn_sim_create(&net, 1, T, NULL);
    lsnn_real *y = malloc(sizeof(lsnn_real) * T);
    lsnn_real *z[3];
    for (int r = 0; r < 3; r++) {
        z[r] = malloc(sizeof(lsnn_real) * T * 2 * N);
        lsnn_real *v = malloc(sizeof(lsnn_real) * T * 2 * N);
        lsnn_real *th = malloc(sizeof(lsnn_real) * T * 2 * N);
        lsnn_trace tr = {v, th, z[r]};
        b.noise_key = r == 2 ? 99 : 7;
        assert_int_equal(lsnn_sim_forward(sim, &net, &b, y, NULL, &tr), LSNN_OK);
        free(v);
        free(th);
    }
    check_eq(memcmp(z[0], z[1], sizeof(lsnn_real) * T * 2 * N), 0);
    check_ne(memcmp(z[0], z[2], sizeof(lsnn_real) * T * 2 * N), 0);
    int same = 0, spikes = 0;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < N; j++) {
            same += z[0][t * 2 * N + j] == z[0][t * 2 * N + N + j] && z[0][t * 2 * N + j] != 0;
            spikes += z[0][t * 2 * N + j] != 0;
        }
    check_gt(spikes, 20);
    check_lt(same, spikes); /* not the same spike trains */
    for (int r = 0; r < 3; r++)
        free(z[r]);
    free(y);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

/* Step by step: a snapshot in the middle, the rest of the episode, the snapshot restored, the
 * rest again: the same outputs and spike counts (the auxiliary state I, F, S-hat is part of the
 * snapshot; without it the second half would differ). */
static void test_snapshot(void **state)
{
    (void)state;
    lsnn_net net;
    build(&net, 0, 0);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, 1, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 0), LSNN_OK);
    fill(&b);
    b.noise_key = 5;
    lsnn_sim *sim = lsnn_sim_create(&net, 1, T, NULL);
    lsnn_sim_state *snap = lsnn_sim_state_create(sim, NULL);
    assert_non_null(snap);
    lsnn_real *y1 = calloc(T * NOUT, sizeof(lsnn_real)), *y2 = calloc(T * NOUT, sizeof(lsnn_real));
    double c1[N], c2[N];
    assert_int_equal(lsnn_sim_begin(sim, &net, &b), LSNN_OK);
    for (int t = 0; t < T / 2; t++)
        assert_int_equal(lsnn_sim_step(sim, &net, &b, t, y1, NULL), LSNN_OK);
    assert_int_equal(lsnn_sim_snapshot(sim, snap), LSNN_OK);
    for (int t = T / 2; t < T; t++)
        assert_int_equal(lsnn_sim_step(sim, &net, &b, t, y1, c1), LSNN_OK);
    memcpy(y2, y1, sizeof(lsnn_real) * T / 2 * NOUT);
    assert_int_equal(lsnn_sim_restore(sim, snap), LSNN_OK);
    for (int t = T / 2; t < T; t++)
        assert_int_equal(lsnn_sim_step(sim, &net, &b, t, y2, c2), LSNN_OK);
    check_eq(memcmp(y1, y2, sizeof(lsnn_real) * T * NOUT), 0);
    check_eq(memcmp(c1, c2, sizeof c1), 0);
    double total = 0;
    for (int j = 0; j < N; j++)
        total += c1[j];
    check_gt(total, 10);
    assert_int_equal(lsnn_sim_end(sim, &net, &b, NULL), LSNN_OK);
    free(y1);
    free(y2);
    lsnn_sim_state_free(snap);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_equals_standalone),
        cmocka_unit_test(test_stochastic),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

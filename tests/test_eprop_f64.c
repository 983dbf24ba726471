/* e-prop against an independent computation, in double precision.
 *
 * e-prop's gradient is, by construction, the gradient of the loss when the recurrent spikes
 * arriving at a neuron are treated as constants (seed 004 section 2.2; Bellec et al. 2020).
 * BPTT with that one dependency cut (lsnn_sim_set_cut_recurrent) computes the same quantity by
 * an entirely different route (a backward pass over the recorded trajectory), so with symmetric
 * feedback the two must agree to rounding. The readout weights and biases get their exact
 * gradient in e-prop, so those must equal uncut BPTT's. Checked for LIF-only and ALIF networks,
 * both input scalings, delays, current noise, hard and smooth spikes, classification windows and
 * mean squared error, with the reset kept in or left out of the eligibility, and with seed 004's
 * code's refractory pseudo-derivative (network.psi_window, stdp_psi_sign). Agreement is
 * asserted to 1e-10 (relative), and cut BPTT must differ from full BPTT. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

enum { B = 5, T = 60, NIN = 4, NOUT = 3 };

/* Relative error (normwise, per tensor) allowed between e-prop and cut BPTT, and between their
 * readout gradients and full BPTT's: rounding only (seen <= 1e-14). Cut BPTT must differ from
 * full BPTT by at least CUT_MIN (seen >= 7.8e-2) for the comparison to mean anything. */
#define EPROP_TOL 1e-10
#define CUT_MIN 1e-2

typedef struct setup {
    const char *scaling;
    int n_regular, n_adaptive, max_delay;
    double noise;
    int smooth, mse, reset_grad;
    const char *neuron; /* NULL: "alif" */
    double w0;          /* 0: the default for the scaling */
} setup;

static int g_layers = 1; /* network.layers of the next build() */
static const char *g_pops = NULL, *g_projs = NULL; /* a graph network instead of the recipe */
static const char *g_gain = "leaky";                 /* network.readout_gain */
static const char *g_noise_draw = "";                /* network.noise_draw ("": box_muller) */
static const char *g_psi_window = "", *g_stdp_sign = ""; /* network.psi_window, stdp_psi_sign */

static double rel_err(const lsnn_real *a, const lsnn_real *b, size_t n, double *norm)
{
    double num = 0, den = 0;
    for (size_t k = 0; k < n; k++) {
        num += (a[k] - b[k]) * (a[k] - b[k]);
        den += b[k] * b[k];
    }
    *norm = sqrt(den);
    return sqrt(num) / (sqrt(den) + 1e-300);
}

static void build(const setup *su, lsnn_net *net, lsnn_batch *batch)
{
    lsnn_network_config nc;
    memset(&nc, 0, sizeof nc);
    nc.n_regular = su->n_regular;
    nc.n_adaptive = su->n_adaptive;
    nc.dt = 1;
    nc.tau_m = 8;
    nc.tau_a = 30;
    nc.beta = 0.8;
    nc.b0 = 1.0;
    nc.refractory = 2;
    snprintf(nc.input_scaling, sizeof nc.input_scaling, "%s", su->scaling);
    nc.gamma = 0.3;
    nc.w0 = su->w0 > 0 ? su->w0 : strcmp(su->scaling, "plain") == 0 ? 1.0 : 6.0;
    snprintf(nc.neuron, sizeof nc.neuron, "%s", su->neuron ? su->neuron : "alif");
    nc.w0_out = 1;
    nc.max_delay = su->max_delay;
    nc.noise_std = su->noise;
    nc.train_noise = su->noise > 0;
    nc.readout_tau = 5;
    nc.layers = g_layers;
    snprintf(nc.readout_gain, sizeof nc.readout_gain, "%s", g_gain);
    snprintf(nc.noise_draw, sizeof nc.noise_draw, "%s", g_noise_draw);
    snprintf(nc.psi_window, sizeof nc.psi_window, "%s", g_psi_window);
    snprintf(nc.stdp_psi_sign, sizeof nc.stdp_psi_sign, "%s", g_stdp_sign);
    if (g_pops) {
        snprintf(nc.populations, sizeof nc.populations, "%s", g_pops);
        snprintf(nc.projections, sizeof nc.projections, "%s", g_projs);
    }
    assert_int_equal(lsnn_net_init(net, &nc, NIN, NOUT, 11), LSNN_OK);
    net->smooth = su->smooth;
    for (int k = 0; k < NOUT; k++)
        net->b_out[k] = (lsnn_real)(0.1 * (k + 1));
    assert_int_equal(lsnn_batch_init(batch, B, T, NIN, NOUT,
                                     su->mse ? LSNN_LOSS_MSE : LSNN_LOSS_CE_WINDOW, 3),
                     LSNN_OK);
    batch->noise_key = 77;
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 5);
    for (size_t k = 0; k < (size_t)B * T * NIN; k++)
        batch->x[k] = lsnn_rng_uniform(&rng) < 0.5 ? 0 : (lsnn_real)(1.5 * lsnn_rng_uniform(&rng));
    for (int g = 0; g < B; g++) {
        /* Several disjoint windows of different lengths; sequence 0 has only two. */
        static const int w[3][2] = {{8, 14}, {25, 26}, {40, 60}};
        batch->n_windows[g] = g == 0 ? 2 : 3;
        for (int k = 0; k < batch->n_windows[g]; k++) {
            lsnn_window *win = &batch->windows[(size_t)g * batch->max_windows + k];
            win->t0 = w[k][0];
            win->t1 = w[k][1];
            win->label = (g + k) % NOUT;
        }
    }
    if (su->mse)
        for (size_t bt = 0; bt < (size_t)B * T; bt++) {
            batch->y_weight[bt] = bt % 3 == 0 ? 0 : (lsnn_real)(0.5 + lsnn_rng_uniform(&rng));
            for (int k = 0; k < NOUT; k++)
                batch->y_target[bt * NOUT + k] = (lsnn_real)lsnn_rng_normal(&rng);
        }
}

static void check(const setup *su)
{
    lsnn_net net;
    lsnn_batch batch;
    build(su, &net, &batch);
    const size_t np = net.n_params, ny = (size_t)B * T * NOUT;

    /* BPTT: forward, loss, backward with and without the recurrent cut. */
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, NULL);
    assert_non_null(sim);
    lsnn_real *y = malloc(sizeof(lsnn_real) * ny), *gy = malloc(sizeof(lsnn_real) * ny);
    lsnn_real *g_full = malloc(sizeof(lsnn_real) * np), *g_cut = malloc(sizeof(lsnn_real) * np);
    double *count = malloc(sizeof(double) * net.n), *count_ep = malloc(sizeof(double) * net.n);
    assert_int_equal(lsnn_sim_forward(sim, &net, &batch, y, count, NULL), LSNN_OK);
    lsnn_loss_result lr;
    assert_int_equal(lsnn_loss_compute(&batch, y, gy, &lr), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &batch, gy, NULL, g_full), LSNN_OK);
    net.reset_grad = su->reset_grad ? 1 : 0;
    lsnn_net_update_constants(&net);
    lsnn_sim_set_cut_recurrent(sim, 1);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &batch, gy, NULL, g_cut), LSNN_OK);
    net.reset_grad = 1;
    lsnn_net_update_constants(&net);

    /* e-prop: one online pass. */
    lsnn_eprop_opts eo = {0};
    eo.feedback = LSNN_FEEDBACK_SYMMETRIC;
    eo.reset_grad = su->reset_grad;
    lsnn_status st;
    lsnn_eprop *ep = lsnn_eprop_create(&net, B, &eo, 3, &st);
    assert_non_null(ep);
    lsnn_real *g_ep = malloc(sizeof(lsnn_real) * np), *y_ep = malloc(sizeof(lsnn_real) * ny);
    lsnn_loss_result lr_ep;
    assert_int_equal(lsnn_eprop_run(ep, &net, &batch, g_ep, y_ep, count_ep, NULL, &lr_ep), LSNN_OK);

    /* Same trajectory, same loss. */
    for (size_t k = 0; k < ny; k++)
        check_eq(y_ep[k], y[k]);
    double spikes = 0;
    for (int j = 0; j < net.n; j++) {
        check_eq(count_ep[j], count[j]);
        spikes += count[j];
    }
    check_gt(spikes, 10);
    check_near(lr_ep.loss, lr.loss, 1e-12 * fabs(lr.loss));
    assert_int_equal(lr_ep.correct, lr.correct);
    assert_int_equal(lr_ep.total, lr.total);

    /* Input and recurrent weights (and the noise std): e-prop == cut BPTT. */
    for (int p = 0; p < net.n_proj; p++) {
        const lsnn_projection *pr = &net.proj[p];
        size_t n = (size_t)pr->n_src * pr->n_dst, o = pr->param_off;
        double norm, e = rel_err(g_ep + o, g_cut + o, n, &norm), nf;
        double diff = rel_err(g_cut + o, g_full + o, n, &nf);
        printf("[%s %s %dR+%dA d%d noise %.1f %s %s reset %d] %-5s |g| %.3e  e-prop vs cut "
               "BPTT %.1e  (cut vs full %.1e)\n",
               su->neuron ? su->neuron : "alif", su->scaling, su->n_regular, su->n_adaptive, su->max_delay, su->noise,
               su->smooth ? "smooth" : "hard", su->mse ? "mse" : "ce", su->reset_grad, pr->name,
               norm, e, diff);
        check_gt(norm, 0);
        check_lt(e, EPROP_TOL);
        /* The cut must matter, or the comparison would not tell e-prop from full BPTT. */
        check_gt(diff, CUT_MIN);
    }
    if (su->noise > 0) {
        size_t o = (size_t)(net.noise_std - net.params);
        double norm, e = rel_err(g_ep + o, g_cut + o, net.n, &norm), nf;
        double diff = rel_err(g_cut + o, g_full + o, net.n, &nf);
        printf("    noise_std |g| %.3e  e-prop vs cut BPTT %.1e  (cut vs full %.1e)\n", norm, e,
               diff);
        check_gt(norm, 0);
        check_lt(e, EPROP_TOL);
        check_gt(diff, CUT_MIN);
    }
    /* Readout: exact. */
    {
        size_t o = (size_t)(net.w_out - net.params), n = (size_t)net.n * NOUT;
        double norm, e = rel_err(g_ep + o, g_full + o, n, &norm);
        check_gt(norm, 0);
        check_lt(e, EPROP_TOL);
        o = (size_t)(net.b_out - net.params);
        e = rel_err(g_ep + o, g_full + o, NOUT, &norm);
        check_gt(norm, 0);
        check_lt(e, EPROP_TOL);
    }

    /* Evaluation-only pass: same loss, no gradient needed. */
    lsnn_loss_result lr_eval;
    int pred[B * 3];
    assert_int_equal(lsnn_eprop_run(ep, &net, &batch, NULL, NULL, NULL, pred, &lr_eval), LSNN_OK);
    check_eq(lr_eval.loss, lr_ep.loss);

    lsnn_eprop_free(ep);
    free(g_ep);
    free(y_ep);
    free(y);
    free(gy);
    free(g_full);
    free(g_cut);
    free(count);
    free(count_ep);
    lsnn_sim_free(sim);
    lsnn_batch_free(&batch);
    lsnn_net_free(&net);
}

static void test_lif_leaky(void **state)
{
    (void)state;
    setup su = {"leaky", 8, 0, 1, 0, 0, 0, 1, NULL, 0};
    check(&su);
}

static void test_alif_leaky_delays(void **state)
{
    (void)state;
    setup su = {"leaky", 4, 4, 3, 0, 0, 0, 1, NULL, 0};
    check(&su);
}

static void test_alif_plain_mse(void **state)
{
    (void)state;
    setup su = {"plain", 3, 5, 2, 0, 0, 1, 1, NULL, 0};
    check(&su);
}

static void test_alif_no_reset_grad(void **state)
{
    (void)state;
    /* Seed 004 eq. 2.24: dV(t+1)/dV(t) = alpha. The reference cuts the reset's spike too. */
    setup su = {"plain", 4, 4, 1, 0, 0, 0, 0, NULL, 0};
    check(&su);
    setup su2 = {"leaky", 4, 4, 2, 0, 0, 1, 0, NULL, 0};
    check(&su2);
}

static void test_smooth_noise(void **state)
{
    (void)state;
    setup su = {"leaky", 4, 4, 2, 0.3, 1, 0, 1, NULL, 0};
    check(&su);
    g_noise_draw = "ziggurat"; /* e-prop's noise eligibility draws what the forward pass drew */
    check(&su);
    g_noise_draw = "";
}

/* Multi-layer networks: e-prop treats the spikes from the layer below like recurrent ones, as
 * inputs whose own dependence on the weights is ignored; the reference cuts them too. */
static void test_multilayer(void **state)
{
    (void)state;
    g_layers = 2;
    setup su = {"plain", 3, 5, 2, 0, 0, 0, 0, NULL, 0};
    check(&su);
    g_layers = 3;
    setup su2 = {"leaky", 4, 4, 1, 0, 0, 1, 1, "stdp_alif", 12};
    check(&su2);
    g_layers = 1;
}

/* The other neuron models: their BPTT adjoints and their e-prop coefficients are written
 * separately (src/neuron/stdp_alif.c, izhikevich.c), so agreement checks both. */
static void test_stdp_alif(void **state)
{
    (void)state;
    setup su = {"plain", 3, 5, 2, 0, 0, 0, 0, "stdp_alif", 0};
    check(&su);
    setup su2 = {"leaky", 4, 4, 1, 0.2, 0, 1, 1, "stdp_alif", 0};
    check(&su2);
}

/* Seed 004's code: the refractory window from the spike step, and +gamma in it for STDP-ALIF
 * (network.psi_window, network.stdp_psi_sign); the ALIF adjoint then takes its own loop. */
static void test_seed004_code_psi(void **state)
{
    (void)state;
    g_psi_window = "spike";
    setup su = {"plain", 3, 5, 2, 0, 0, 0, 0, NULL, 0};
    check(&su);
    setup su2 = {"leaky", 4, 4, 1, 0.2, 0, 1, 1, NULL, 0};
    check(&su2);
    g_stdp_sign = "positive";
    setup su3 = {"plain", 3, 5, 2, 0, 0, 0, 1, "stdp_alif", 0};
    check(&su3);
    g_psi_window = "";
    setup su4 = {"leaky", 4, 4, 1, 0, 0, 1, 0, "stdp_alif", 0};
    check(&su4);
    g_stdp_sign = "";
}

static void test_izhikevich(void **state)
{
    (void)state;
    setup su = {"plain", 4, 4, 1, 0, 0, 0, 0, "izhikevich", 25};
    check(&su);
    setup su2 = {"plain", 4, 4, 3, 0, 0, 1, 1, "izhikevich", 25};
    check(&su2);
}

/* Random feedback changes the learning signals but never the readout gradients. */
static void test_random_feedback(void **state)
{
    (void)state;
    setup su = {"leaky", 4, 4, 1, 0, 0, 0, 1, NULL, 0};
    lsnn_net net;
    lsnn_batch batch;
    build(&su, &net, &batch);
    lsnn_eprop_opts sym = {0}, rnd = {0};
    rnd.feedback = LSNN_FEEDBACK_RANDOM;
    lsnn_eprop *a = lsnn_eprop_create(&net, B, &sym, 1, NULL);
    lsnn_eprop *b = lsnn_eprop_create(&net, B, &rnd, 1, NULL);
    assert_non_null(a);
    assert_non_null(b);
    lsnn_real *ga = malloc(sizeof(lsnn_real) * net.n_params);
    lsnn_real *gb = malloc(sizeof(lsnn_real) * net.n_params);
    lsnn_loss_result la, lb;
    assert_int_equal(lsnn_eprop_run(a, &net, &batch, ga, NULL, NULL, NULL, &la), LSNN_OK);
    assert_int_equal(lsnn_eprop_run(b, &net, &batch, gb, NULL, NULL, NULL, &lb), LSNN_OK);
    size_t o = (size_t)(net.w_out - net.params);
    for (size_t k = o; k < o + (size_t)net.n * NOUT + NOUT; k++)
        check_eq(ga[k], gb[k]);
    double norm, e = rel_err(ga + net.proj[0].param_off, gb + net.proj[0].param_off,
                             (size_t)net.proj[0].n_src * net.proj[0].n_dst, &norm);
    check_gt(e, 1e-2);
    free(ga);
    free(gb);
    lsnn_eprop_free(a);
    lsnn_eprop_free(b);
    lsnn_batch_free(&batch);
    lsnn_net_free(&net);
}

/* A streamed batch (inputs generated and consumed piece by piece) gives the same inputs and
 * exactly the same e-prop gradient as the whole batch. */
static void test_streamed(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 6;
    cfg.store_recall.symbol_ms = 40;
    cfg.store_recall.group_size = 3;
    cfg.store_recall.p_command = 0.4;
    const lsnn_task *task = lsnn_task_find("store_recall");
    assert_non_null(task);
    assert_true(task->streamed);
    lsnn_task_shape sh;
    assert_int_equal(task->shape(&cfg, &sh), LSNN_OK);
    lsnn_network_config nc = cfg.network;
    nc.n_regular = 5;
    nc.n_adaptive = 5;
    nc.max_delay = 3;
    nc.tau_a = 100;
    nc.w0 = 3;
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &nc, sh.n_in, sh.n_out, 4), LSNN_OK);
    lsnn_batch whole, part;
    const int nt = 37;
    assert_int_equal(lsnn_batch_init(&whole, 4, sh.T, sh.n_in, sh.n_out, sh.loss, sh.max_windows),
                     LSNN_OK);
    assert_int_equal(lsnn_batch_init_streamed(&part, 4, sh.T, sh.n_in, sh.n_out, sh.loss,
                                              sh.max_windows, nt + 2),
                     LSNN_OK);
    assert_int_equal(task->generate(NULL, &cfg, 9, 0, 100, &whole), LSNN_OK);
    lsnn_eprop_opts eo = {0};
    lsnn_eprop *a = lsnn_eprop_create(&net, 4, &eo, 1, NULL), *b = lsnn_eprop_create(&net, 4, &eo, 1, NULL);
    assert_non_null(a);
    assert_non_null(b);
    lsnn_real *ga = malloc(sizeof(lsnn_real) * net.n_params), *gb = malloc(sizeof(lsnn_real) * net.n_params);
    lsnn_loss_result la, lb;
    assert_int_equal(lsnn_eprop_run(a, &net, &whole, ga, NULL, NULL, NULL, &la), LSNN_OK);
    part.x_t0 = 0;
    assert_int_equal(task->generate(NULL, &cfg, 9, 0, 100, &part), LSNN_OK);
    assert_int_equal(lsnn_eprop_begin(b, &net, &part, 1), LSNN_OK);
    long spikes = 0;
    for (int t0 = 0; t0 < sh.T;) {
        part.x_t0 = t0 >= 2 ? t0 - 2 : 0;
        assert_int_equal(task->generate(NULL, &cfg, 9, 0, 100, &part), LSNN_OK);
        int t1 = part.x_t0 + part.x_nt < sh.T ? part.x_t0 + part.x_nt : sh.T;
        for (int g = 0; g < 4; g++)
            for (int t = part.x_t0; t < t1; t++)
                for (int i = 0; i < sh.n_in; i++) {
                    check_eq(lsnn_batch_x(&part, g, t)[i], lsnn_batch_x(&whole, g, t)[i]);
                    spikes += lsnn_batch_x(&part, g, t)[i] != 0;
                }
        assert_int_equal(lsnn_eprop_advance(b, &net, &part, t1, NULL, NULL), LSNN_OK);
        t0 = t1;
    }
    check_gt(spikes, 50);
    assert_int_equal(lsnn_eprop_end(b, &net, &part, gb, NULL, &lb), LSNN_OK);
    check_eq(la.loss, lb.loss);
    for (size_t k = 0; k < net.n_params; k++)
        check_eq(ga[k], gb[k]);
    /* Steps whose delayed inputs the batch no longer holds: refused. */
    assert_int_equal(lsnn_eprop_begin(b, &net, &part, 1), LSNN_OK);
    part.x_t0 = 10;
    assert_int_equal(lsnn_eprop_advance(b, &net, &part, 20, NULL, NULL), LSNN_ERR_ARG);
    free(ga);
    free(gb);
    lsnn_eprop_free(a);
    lsnn_eprop_free(b);
    lsnn_batch_free(&whole);
    lsnn_batch_free(&part);
    lsnn_net_free(&net);
}

/* Online rate regularisation (seed 004 eqs. 3.40-3.44): the gradient it adds to every existing
 * incoming synapse of neuron j is c_reg / (B T) sum_t (f_j(t) - f_target), f_j(t) = spikes of j up
 * to t / (t + 1), recomputed here from the spike trains the simulator records. */
static void test_online_rate_reg(void **state)
{
    (void)state;
    setup su = {"plain", 4, 4, 2, 0, 0, 0, 0, NULL, 0};
    lsnn_net net;
    lsnn_batch batch;
    build(&su, &net, &batch);
    batch.B = 1; /* the simulator records the trace of sequence 0 */
    lsnn_eprop_opts plain = {0}, reg = {0};
    reg.rate_reg = 0.7;
    reg.rate_target_hz = 20;
    lsnn_eprop *a = lsnn_eprop_create(&net, 1, &plain, 1, NULL), *b = lsnn_eprop_create(&net, 1, &reg, 1, NULL);
    const size_t np = net.n_params;
    lsnn_real *ga = malloc(sizeof(lsnn_real) * np), *gb = malloc(sizeof(lsnn_real) * np);
    lsnn_loss_result la, lb;
    assert_int_equal(lsnn_eprop_run(a, &net, &batch, ga, NULL, NULL, NULL, &la), LSNN_OK);
    assert_int_equal(lsnn_eprop_run(b, &net, &batch, gb, NULL, NULL, NULL, &lb), LSNN_OK);
    lsnn_sim *sim = lsnn_sim_create(&net, 1, T, NULL);
    lsnn_trace tr;
    tr.v = malloc(sizeof(lsnn_real) * T * net.n);
    tr.thr = malloc(sizeof(lsnn_real) * T * net.n);
    tr.z = malloc(sizeof(lsnn_real) * T * net.n);
    lsnn_real *y = malloc(sizeof(lsnn_real) * T * NOUT);
    assert_int_equal(lsnn_sim_forward(sim, &net, &batch, y, NULL, &tr), LSNN_OK);
    double *expect = calloc((size_t)net.n, sizeof(double)), f0 = 20 * 1.0 / 1000;
    for (int j = 0; j < net.n; j++) {
        double cum = 0;
        for (int t = 0; t < T; t++) {
            cum += tr.z[(size_t)t * net.n + j];
            expect[j] += cum / (t + 1) - f0;
        }
        expect[j] *= 0.7 / T; /* c_reg / (B T) with B = 1 */
    }
    int checked = 0;
    for (int p = 0; p < net.n_proj; p++) {
        const lsnn_projection *pr = &net.proj[p];
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++) {
                size_t q = pr->param_off + (size_t)i * pr->n_dst + j;
                int self = !pr->src_is_input && pr->src_off + i == pr->dst_off + j;
                double d = gb[q] - ga[q], e = self ? 0 : expect[pr->dst_off + j];
                check_near(d, e, 1e-11 * (1 + fabs(e)));
                checked += e != 0;
            }
    }
    check_gt(checked, 50);
    /* The readout gets nothing from it. */
    size_t o = (size_t)(net.w_out - net.params);
    for (size_t k = o; k < np; k++)
        check_eq(gb[k], ga[k]);
    free(expect);
    free(y);
    free(tr.v);
    free(tr.thr);
    free(tr.z);
    lsnn_sim_free(sim);
    free(ga);
    free(gb);
    lsnn_eprop_free(a);
    lsnn_eprop_free(b);
    batch.B = B;
    lsnn_batch_free(&batch);
    lsnn_net_free(&net);
}

/* loss.l2 (seed 004 eq. 3.45) adds l2 * W to the gradient of the input and recurrent weights, with
 * either learning rule, and nothing to the readout. */
static void test_l2(void **state)
{
    (void)state;
    const char *rules[2] = {"bptt", "eprop"};
    for (int r = 0; r < 2; r++) {
        lsnn_config cfg;
        lsnn_config_defaults(&cfg);
        snprintf(cfg.learning, sizeof cfg.learning, "%s", rules[r]);
        cfg.batch_size = 4;
        cfg.store_recall.n_symbols = 4;
        cfg.store_recall.symbol_ms = 30;
        cfg.store_recall.group_size = 2;
        cfg.store_recall.p_command = 0.5;
        cfg.network.n_regular = cfg.network.n_adaptive = 4;
        lsnn_trainer t0, t1;
        assert_int_equal(lsnn_trainer_init(&t0, &cfg), LSNN_OK);
        cfg.loss.l2 = 0.25;
        assert_int_equal(lsnn_trainer_init(&t1, &cfg), LSNN_OK);
        const size_t np = t0.n_params;
        lsnn_real *w = malloc(sizeof(lsnn_real) * np);
        memcpy(w, t0.params, sizeof(lsnn_real) * np);
        assert_int_equal(lsnn_trainer_step(&t0, NULL), LSNN_OK);
        assert_int_equal(lsnn_trainer_step(&t1, NULL), LSNN_OK);
        size_t ro = (size_t)(t0.net.w_out - t0.net.params);
        double wsum = 0;
        for (size_t k = 0; k < np; k++) {
            double want = k < ro ? 0.25 * w[k] : 0;
            check_near(t1.grad[k] - t0.grad[k], want, 1e-12);
            wsum += fabs(want);
        }
        check_gt(wsum, 0);
        free(w);
        lsnn_trainer_free(&t0);
        lsnn_trainer_free(&t1);
    }
}

/* A graph of three neuron models (ALIF, STDP-ALIF, Izhikevich) with per-neuron time constants
 * and delays 1..3, with lsnn's readout and with seed 000's ungained one: e-prop against the
 * reference, each model's coefficients checked against its own adjoint. */
static void test_graph_three_models(void **state)
{
    (void)state;
    g_pops = "[{\"name\":\"A\",\"count\":3,\"neuron\":\"alif\","
             "\"tau_m\":{\"uniform\":[5,12]},\"tau_a\":{\"uniform\":[20,40]}},"
             "{\"name\":\"S\",\"count\":3,\"neuron\":\"stdp_alif\","
             "\"tau_m\":{\"uniform\":[5,12]},\"tau_a\":{\"uniform\":[20,40]}},"
             "{\"name\":\"Z\",\"count\":2,\"neuron\":\"izhikevich\"}]";
    g_projs = "[{\"name\":\"w_in\",\"from\":\"input\",\"to\":[\"A\",\"S\",\"Z\"],"
              "\"delay\":[1,3]},"
              "{\"name\":\"w_rec\",\"from\":[\"A\",\"S\",\"Z\"],\"to\":[\"A\",\"S\",\"Z\"],"
              "\"delay\":[1,3]},"
              "{\"name\":\"w_z\",\"from\":\"input\",\"to\":\"Z\",\"w0\":12}]";
    setup su = {"plain", 4, 4, 3, 0, 0, 0, 1, NULL, 0};
    check(&su);
    g_gain = "none";
    check(&su);
    g_gain = "leaky";
    g_pops = g_projs = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lif_leaky),          cmocka_unit_test(test_alif_leaky_delays),
        cmocka_unit_test(test_alif_plain_mse),     cmocka_unit_test(test_alif_no_reset_grad),
        cmocka_unit_test(test_smooth_noise),       cmocka_unit_test(test_random_feedback),
        cmocka_unit_test(test_stdp_alif),          cmocka_unit_test(test_izhikevich),
        cmocka_unit_test(test_seed004_code_psi),
        cmocka_unit_test(test_streamed),          cmocka_unit_test(test_multilayer),
        cmocka_unit_test(test_online_rate_reg),   cmocka_unit_test(test_l2),
        cmocka_unit_test(test_graph_three_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

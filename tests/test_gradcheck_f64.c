/* BPTT against central finite differences, in double precision.
 *
 * The spike is replaced by the smooth function whose derivative is exactly the pseudo-derivative
 * BPTT uses (net.smooth = 1), so the loss is differentiable and finite differences are the
 * independent reference. Refractoriness, delays, adaptation, both input scalings, current noise
 * and the constant dL/dz term (rate regularisation) are all exercised. Every entry must satisfy
 * |g - fd| <= 1e-5 (|fd| + 1e-3 max |fd|) (see run_check). */
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
#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"

#include "neuron_test_lif.h"
#include "test_batch.h"

enum { B = 3, T = 48, NIN = 4, NOUT = 2 };

/* Elementwise tolerance of BPTT against the finite differences (see run_check). */
#define RTOL 1e-5

typedef struct fixture {
    lsnn_net net;
    lsnn_batch batch;
    lsnn_sim *sim;
    double *cy;  /* (B, T, NOUT) loss coefficients */
    double *cz;  /* (n) coefficients of total spikes */
} fixture;

static double loss_of(fixture *f, double *active_frac, int *hard_spikes)
{
    lsnn_net *net = &f->net;
    size_t ny = (size_t)B * T * NOUT;
    lsnn_real *y = malloc(sizeof(lsnn_real) * ny);
    double *count = malloc(sizeof(double) * net->n);
    lsnn_trace tr = {0};
    tr.v = malloc(sizeof(lsnn_real) * T * net->n);
    tr.thr = malloc(sizeof(lsnn_real) * T * net->n);
    tr.z = malloc(sizeof(lsnn_real) * T * net->n);
    assert_int_equal(lsnn_sim_forward(f->sim, net, &f->batch, y, count, &tr), LSNN_OK);
    double L = 0;
    for (size_t k = 0; k < ny; k++)
        L += f->cy[k] * y[k];
    for (int j = 0; j < net->n; j++)
        L += f->cz[j] * count[j];
    if (active_frac) {
        int act = 0, hard = 0;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < net->n; j++) {
                double v = tr.v[t * net->n + j], th = tr.thr[t * net->n + j];
                double x = (v - th) / th;
                act += fabs(x) < 1;
                hard += v > th;
            }
        *active_frac = (double)act / (T * net->n);
        *hard_spikes = hard;
    }
    free(tr.v);
    free(tr.thr);
    free(tr.z);
    free(y);
    free(count);
    return L;
}

static int g_layers = 1; /* network.layers of the next run_check */
static int g_hetero = 0; /* 1: time constants differ from neuron to neuron */
static const char *g_pops = NULL, *g_projs = NULL; /* a graph network instead of the recipe */
static const char *g_gain = "leaky";                 /* network.readout_gain */
static const char *g_noise_draw = "";                /* network.noise_draw ("": box_muller) */

static void run_check(const char *scaling, double noise, int max_delay)
{
    fixture f;
    memset(&f, 0, sizeof f);
    lsnn_network_config nc = test_small_network(4, 4, scaling,
                                                strcmp(scaling, "plain") == 0 ? 1.0 : 6.0,
                                                max_delay, noise);
    nc.layers = g_layers;
    snprintf(nc.readout_gain, sizeof nc.readout_gain, "%s", g_gain);
    snprintf(nc.mask_order, sizeof nc.mask_order, "first");
    snprintf(nc.noise_draw, sizeof nc.noise_draw, "%s", g_noise_draw);
    if (g_pops) {
        snprintf(nc.populations, sizeof nc.populations, "%s", g_pops);
        snprintf(nc.projections, sizeof nc.projections, "%s", g_projs);
    }
    assert_int_equal(lsnn_net_init(&f.net, &nc, NIN, NOUT, 7), LSNN_OK);
    f.net.smooth = 1;
    if (g_hetero) {
        for (int j = 0; j < f.net.n; j++) {
            *lsnn_net_param(&f.net, j, "tau_m") = (lsnn_real)(6 + 2 * (j % 3));
            *lsnn_net_param(&f.net, j, "tau_a") = (lsnn_real)(25 + 5 * (j % 2));
        }
        lsnn_net_update_constants(&f.net);
    }
    /* The ALIF kernels take their scalar-constant loop exactly for the uniform populations, so
     * the two kinds of run check both loops against finite differences. */
    for (int p = 0; p < f.net.n_pop && !g_pops; p++) {
        const lsnn_population *po = &f.net.pop[p];
        int uniform = ((const lsnn_alif_consts *)po->consts)->run_end[0] >= po->count;
        assert_int_equal(uniform, !g_hetero);
    }
    for (size_t k = 0; k < (size_t)f.net.n_out; k++)
        f.net.b_out[k] = 0.1 * (double)(k + 1);
    assert_int_equal(lsnn_batch_init(&f.batch, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    f.batch.noise_key = 99;
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 3);
    for (size_t k = 0; k < (size_t)B * T * NIN; k++)
        f.batch.x[k] = lsnn_rng_uniform(&rng) < 0.5 ? 0 : lsnn_rng_uniform(&rng);
    f.sim = lsnn_sim_create(&f.net, B, T, NULL);
    assert_non_null(f.sim);
    f.cy = malloc(sizeof(double) * B * T * NOUT);
    f.cz = malloc(sizeof(double) * f.net.n);
    for (int k = 0; k < B * T * NOUT; k++)
        f.cy[k] = lsnn_rng_normal(&rng);
    for (int j = 0; j < f.net.n; j++)
        f.cz[j] = 0.5 * lsnn_rng_normal(&rng);

    double active;
    int hard;
    loss_of(&f, &active, &hard);
    /* The check is meaningless if no neuron is near threshold or none ever spikes. */
    check_gt(active, 0.1);
    check_gt(hard, 5);

    /* BPTT gradient. */
    lsnn_real *grad = malloc(sizeof(lsnn_real) * f.net.n_params);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * B * T * NOUT);
    lsnn_real *gz = malloc(sizeof(lsnn_real) * f.net.n);
    for (int k = 0; k < B * T * NOUT; k++)
        gy[k] = f.cy[k];
    for (int j = 0; j < f.net.n; j++)
        gz[j] = f.cz[j];
    loss_of(&f, NULL, NULL);
    assert_int_equal(lsnn_bptt_backward(f.sim, &f.net, &f.batch, gy, gz, grad), LSNN_OK);

    /* Finite differences, tensor by tensor. */
    struct {
        const char *name;
        lsnn_real *p;
        size_t count;
    } tensors[LSNN_MAX_PROJ + 3];
    assert_true(f.net.n_proj <= LSNN_MAX_PROJ);
    int nt = 0;
    for (int p = 0; p < f.net.n_proj; p++) {
        tensors[nt].name = f.net.proj[p].name;
        tensors[nt].p = f.net.proj[p].w;
        tensors[nt++].count = (size_t)f.net.proj[p].n_src * f.net.proj[p].n_dst;
    }
    tensors[nt].name = "w_out";
    tensors[nt].p = f.net.w_out;
    tensors[nt++].count = (size_t)f.net.n * NOUT;
    tensors[nt].name = "b_out";
    tensors[nt].p = f.net.b_out;
    tensors[nt++].count = NOUT;
    if (noise > 0) {
        tensors[nt].name = "noise_std";
        tensors[nt].p = f.net.noise_std;
        tensors[nt++].count = f.net.n;
    }
    /* The step: the error of the difference quotient is its rounding error (~1e-16 |L| / eps)
     * below eps ~ 1e-4 and its truncation error above. Worst elementwise error over all runs
     * (with the scale below), measured: eps 1e-6: 1.6e-5, 1e-5: 1.1e-6, 3e-5: 4.1e-7, 1e-4:
     * 1.4e-7, 3e-4: 5.0e-6. 3e-5 keeps a margin of 20 and a small step (a step that moved a
     * threshold crossing would change the refractory periods, which follow the hard crossings). */
    const double eps = 3e-5;
    for (int q = 0; q < nt; q++) {
        const size_t cnt = tensors[q].count;
        double *fd = malloc(sizeof(double) * cnt);
        double fd_max = 0, num = 0, den = 0;
        for (size_t k = 0; k < cnt; k++) {
            lsnn_real keep = tensors[q].p[k];
            tensors[q].p[k] = keep + eps;
            double lp = loss_of(&f, NULL, NULL);
            tensors[q].p[k] = keep - eps;
            double lm = loss_of(&f, NULL, NULL);
            tensors[q].p[k] = keep;
            fd[k] = (lp - lm) / (2 * eps);
            fd_max = fmax(fd_max, fabs(fd[k]));
        }
        /* Elementwise: |g - fd| <= RTOL (|fd| + scale). The floor scale = 1e-3 max |fd| of the
         * tensor keeps entries many orders below the tensor's largest (where the difference
         * quotient's rounding error dominates) from failing on noise: with scale 0 the worst
         * entry is off by 1.6e-3 (relative), with 1e-4 max |fd| by 3.5e-6. */
        const double scale = 1e-3 * fd_max;
        double worst = 0;
        size_t worst_k = 0;
        for (size_t k = 0; k < cnt; k++) {
            double g = grad[tensors[q].p - f.net.params + k];
            double r = fabs(g - fd[k]) / (fabs(fd[k]) + scale + 1e-300);
            if (r > worst) {
                worst = r;
                worst_k = k;
            }
            num += (g - fd[k]) * (g - fd[k]);
            den += fd[k] * fd[k];
        }
        printf("[%s, noise %.2f%s%s, max_delay %d] %-9s max |fd| %.4e  normwise %.2e  worst "
               "elementwise %.2e at %zu (g %.10e fd %.10e)\n",
               scaling, noise, g_noise_draw[0] ? " " : "", g_noise_draw, max_delay,
               tensors[q].name, fd_max, sqrt(num) / sqrt(den), worst, worst_k,
               grad[tensors[q].p - f.net.params + worst_k], fd[worst_k]);
        check_gt(fd_max, 0);
        for (size_t k = 0; k < cnt; k++) {
            double g = grad[tensors[q].p - f.net.params + k];
            double bound = RTOL * (fabs(fd[k]) + scale);
            if (!(fabs(g - fd[k]) <= bound)) {
                print_error("%s[%zu]: BPTT %.12e, finite difference %.12e, |difference| %.3e > "
                            "%.3e = %.0e (|fd| + %.3e)\n",
                            tensors[q].name, k, g, fd[k], fabs(g - fd[k]), bound, RTOL, scale);
                fail();
            }
        }
        free(fd);
    }
    free(grad);
    free(gy);
    free(gz);
    free(f.cy);
    free(f.cz);
    lsnn_sim_free(f.sim);
    lsnn_batch_free(&f.batch);
    lsnn_net_free(&f.net);
}

static void test_leaky_delays(void **state)
{
    (void)state;
    run_check("leaky", 0, 3);
}

static void test_leaky_no_delay(void **state)
{
    (void)state;
    run_check("leaky", 0, 1);
}

static void test_plain(void **state)
{
    (void)state;
    run_check("plain", 0, 2);
}

static void test_noise(void **state)
{
    (void)state;
    run_check("leaky", 0.05, 1);
    g_noise_draw = "ziggurat"; /* the noise's gradient reads the draws of the forward pass */
    run_check("leaky", 0.05, 1);
    g_noise_draw = "";
}

/* Multi-layer networks (seed 004 eqs. 3.11-3.15): feed-forward synapses of the same step between
 * layers, recurrent synapses within each, the readout from all. */
static void test_two_layers(void **state)
{
    (void)state;
    g_layers = 2;
    run_check("leaky", 0, 2);
    g_layers = 3;
    run_check("plain", 0, 1);
    g_layers = 1;
}

/* Per-neuron time constants (as a checkpoint may hold): the kernels' per-neuron loop. */
static void test_heterogeneous_constants(void **state)
{
    (void)state;
    g_hetero = 1;
    run_check("leaky", 0, 2);
    run_check("plain", 0, 1);
    g_hetero = 0;
}

/* A graph network of three neuron models (ALIF, STDP-ALIF, Izhikevich: seed 004's models in one
 * network) with per-neuron time constants drawn uniformly, input and recurrent projections with
 * delays 1..3. The STDP-ALIF population has no refractory period: while refractory its
 * pseudo-derivative is -gamma by design, which no smooth spike has as its derivative. The
 * Izhikevich neurons stay below their peak (their smooth spike, the integral of a
 * pseudo-derivative of up to 0.3, reaches 9 at the peak, and the reset by such a spike would
 * make the quadratic dynamics diverge): an extra input projection w_z drives them some mV
 * around rest, where the smooth spike and its reset act on the dynamics. */
static void test_graph_three_models(void **state)
{
    (void)state;
    g_pops = "[{\"name\":\"A\",\"count\":4,\"neuron\":\"alif\",\"beta\":0.5,"
             "\"tau_m\":{\"uniform\":[5,12]},\"tau_a\":{\"uniform\":[20,40]}},"
             "{\"name\":\"S\",\"count\":4,\"neuron\":\"stdp_alif\",\"beta\":0.5,"
             "\"refractory\":0,\"tau_m\":{\"uniform\":[5,12]},\"tau_a\":{\"uniform\":[20,40]}},"
             "{\"name\":\"Z\",\"count\":3,\"neuron\":\"izhikevich\"}]";
    g_projs = "[{\"name\":\"w_in\",\"from\":\"input\",\"to\":[\"A\",\"S\",\"Z\"],"
              "\"delay\":[1,3]},"
              "{\"name\":\"w_rec\",\"from\":[\"A\",\"S\",\"Z\"],\"to\":[\"A\",\"S\",\"Z\"],"
              "\"delay\":[1,3]},"
              "{\"name\":\"w_z\",\"from\":\"input\",\"to\":\"Z\",\"w0\":5}]";
    run_check("plain", 0, 3);
    /* and with seed 000's readout without the (1 - kappa) gain */
    g_gain = "none";
    run_check("plain", 0, 3);
    g_gain = "leaky";
    g_pops = g_projs = NULL;
}

/* A model defined in the tests only (tests/neuron_test_lif.h), added by one registration, in a
 * graph network next to ALIF neurons: BPTT through it against finite differences. The registry
 * refuses a second model of the same name, and the config checks its own parameters. */
static void test_added_model(void **state)
{
    (void)state;
    assert_int_equal(lsnn_neuron_model_register(&test_lif_model), LSNN_OK);
    assert_int_equal(lsnn_neuron_model_register(&test_lif_model), LSNN_ERR_ARG);
    assert_ptr_equal(lsnn_neuron_model_find("test_lif"), &test_lif_model);
    g_pops = "[{\"name\":\"T\",\"count\":5,\"neuron\":\"test_lif\",\"theta\":1.0,"
             "\"tau\":{\"uniform\":[4,9]}},"
             "{\"name\":\"A\",\"count\":3,\"neuron\":\"alif\",\"beta\":0.5}]";
    g_projs = "[{\"name\":\"w_in\",\"from\":\"input\",\"to\":[\"T\",\"A\"]},"
              "{\"name\":\"w_rec\",\"from\":[\"T\",\"A\"],\"to\":[\"T\",\"A\"],"
              "\"delay\":[1,2]}]";
    run_check("plain", 0, 2);
    /* Its parameter table drives config validation: an unknown key and a value out of range. */
    lsnn_network_config nc = test_small_network(4, 4, "plain", 1.0, 1, 0);
    snprintf(nc.populations, sizeof nc.populations, "%s",
             "[{\"name\":\"T\",\"count\":5,\"neuron\":\"test_lif\",\"tau_m\":5}]");
    lsnn_graph *g = NULL;
    assert_int_equal(lsnn_graph_from_config(&nc, &g), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "tau_m: unknown key"));
    assert_non_null(strstr(lsnn_last_error(), "tau, theta"));
    snprintf(nc.populations, sizeof nc.populations, "%s",
             "[{\"name\":\"T\",\"count\":5,\"neuron\":\"test_lif\",\"theta\":-1}]");
    assert_int_equal(lsnn_graph_from_config(&nc, &g), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "network.populations[0]"));
    assert_non_null(strstr(lsnn_last_error(), "theta = -1"));
    g_pops = g_projs = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaky_delays),
        cmocka_unit_test(test_leaky_no_delay),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_two_layers),
        cmocka_unit_test(test_heterogeneous_constants),
        cmocka_unit_test(test_graph_three_models),
        cmocka_unit_test(test_added_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

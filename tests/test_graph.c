/* Graph networks (lsnn/network.h, src/net/graph.c): per-neuron parameter values (constant,
 * uniform, listed) and their streams derived from names, delay ranges, layers of same-step
 * projections, the readout set and gain, and the "signed" initialisation's mask order. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "test_batch.h"

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

static void add_pop(lsnn_graph *g, const char *name, int count, int n, const char *const *names,
                    const lsnn_value *values)
{
    const lsnn_population_spec ps = {name, NULL, count, LSNN_SIGN_NONE, n, names, values, 0, 0.8, 0};
    assert_int_equal(lsnn_graph_add_population(g, &ps), LSNN_OK);
}

static void add_proj(lsnn_graph *g, const char *name, const char *from, const char *to, int dmin,
                     int dmax, double p)
{
    const lsnn_projection_spec ps = {name, from, 0, 0, to, dmin, dmax, 0, 0, p, 1.0};
    assert_int_equal(lsnn_graph_add_projection(g, &ps), LSNN_OK);
}

/* Uniform draws lie in [low, high), fill it, and depend on the seed and the population's name
 * only: a population added before another leaves the other's values alone. Lists are exact;
 * an integer parameter draws whole numbers low..high inclusive. */
static void test_values(void **state)
{
    (void)state;
    const char *const nb[] = {"tau_a", "refractory"};
    const lsnn_value vb[] = {{LSNN_VALUE_UNIFORM, 1, 1000, NULL, 0},
                             {LSNN_VALUE_UNIFORM, 2, 4, NULL, 0}};
    double list[6] = {5, 6, 7, 8, 9, 10.5};
    const char *const na[] = {"tau_m"};
    const lsnn_value va[] = {{LSNN_VALUE_LIST, 0, 0, list, 6}};
    lsnn_net n1, n2, n3;
    lsnn_graph_opts o = opts();
    lsnn_graph *g = lsnn_graph_new(&o);
    add_pop(g, "B", 400, 2, nb, vb);
    add_proj(g, "w_in", "input", "B", 1, 1, 1);
    assert_int_equal(lsnn_graph_build(g, &n1, 3, 2, 11), LSNN_OK);
    lsnn_graph_free(g);
    g = lsnn_graph_new(&o);
    add_pop(g, "A", 6, 1, na, va);
    add_pop(g, "B", 400, 2, nb, vb);
    add_proj(g, "w_in", "input", "A+B", 1, 1, 1);
    assert_int_equal(lsnn_graph_build(g, &n2, 3, 2, 11), LSNN_OK);
    assert_int_equal(lsnn_graph_build(g, &n3, 3, 2, 12), LSNN_OK);
    lsnn_graph_free(g);
    double lo = 1e9, hi = -1e9;
    int seen[5] = {0}, differ = 0;
    for (int i = 0; i < 400; i++) {
        double a = *lsnn_net_param(&n1, i, "tau_a"), b = *lsnn_net_param(&n2, 6 + i, "tau_a");
        check_eq(a, b); /* the same stream: B's name */
        differ += b != *lsnn_net_param(&n3, 6 + i, "tau_a");
        lo = fmin(lo, a);
        hi = fmax(hi, a);
        double r = *lsnn_net_param(&n2, 6 + i, "refractory");
        check_eq(r, floor(r));
        assert_true(r >= 2 && r <= 4);
        seen[(int)r]++;
        check_eq(*lsnn_net_param(&n2, 6 + i, "tau_m"), 20); /* the model's default */
    }
    assert_true(lo >= 1 && lo < 20 && hi < 1000 && hi > 980);
    check_gt(differ, 390); /* another seed, other draws */
    assert_true(seen[2] > 100 && seen[3] > 100 && seen[4] > 100);
    for (int i = 0; i < 6; i++)
        check_eq(*lsnn_net_param(&n2, i, "tau_m"), (lsnn_real)list[i]);
    assert_null(lsnn_net_param(&n2, 0, "theta")); /* not a parameter of the ALIF model */
    lsnn_net_free(&n1);
    lsnn_net_free(&n2);
    lsnn_net_free(&n3);
}

/* Delays drawn in min..max (both ends occur); a delay-0 projection starts a new layer; errors. */
static void test_structure(void **state)
{
    (void)state;
    lsnn_graph_opts o = opts();
    lsnn_graph *g = lsnn_graph_new(&o);
    add_pop(g, "H", 30, 0, NULL, NULL);
    add_pop(g, "K", 10, 0, NULL, NULL);
    add_proj(g, "w_in", "input", "H", 2, 6, 1);
    add_proj(g, "w_rec", "H", "H", 3, 9, 1);
    add_proj(g, "w_ff", "H", "K", 0, 0, 1);
    /* errors: a taken name, a reserved one, an input delay of 0, targets before sources */
    const lsnn_projection_spec bad[] = {
        {"w_rec", "H", 0, 0, "K", 1, 1, 0, 0, 1, 1},
        {"w_out", "H", 0, 0, "K", 1, 1, 0, 0, 1, 1},
        {"x", "input", 0, 0, "K", 0, 0, 0, 0, 1, 1},
        {"y", "K", 0, 0, "H", 0, 0, 0, 0, 1, 1},
        {"z", "H+X", 0, 0, "K", 1, 1, 0, 0, 1, 1},
        {"u", "K+H", 0, 0, "K", 1, 1, 0, 0, 1, 1},
    };
    const char *why[] = {"taken", "taken", "delay 0", "after its sources", "no population 'X'",
                         "consecutive"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(lsnn_graph_add_projection(g, &bad[k]), LSNN_ERR_CONFIG);
        if (!strstr(lsnn_last_error(), why[k]))
            fail_msg("projection %zu: '%s' lacks '%s'", k, lsnn_last_error(), why[k]);
    }
    lsnn_net net;
    assert_int_equal(lsnn_graph_build(g, &net, 5, 2, 3), LSNN_OK);
    lsnn_graph_free(g);
    assert_int_equal(net.n_layers, 2);
    assert_int_equal(net.pop[0].layer, 0);
    assert_int_equal(net.pop[1].layer, 1);
    const int lo[] = {2, 3}, hi[] = {6, 9};
    for (int p = 0; p < 2; p++) {
        const lsnn_projection *pr = &net.proj[p];
        assert_non_null(pr->delay);
        int mn = 255, mx = 0;
        for (int k = 0; k < pr->n_src * pr->n_dst; k++) {
            mn = pr->delay[k] < mn ? pr->delay[k] : mn;
            mx = pr->delay[k] > mx ? pr->delay[k] : mx;
        }
        assert_int_equal(mn, lo[p]);
        assert_int_equal(mx, hi[p]);
        assert_int_equal(pr->min_delay, lo[p]);
    }
    assert_null(net.proj[2].delay);
    assert_int_equal(net.proj[2].max_delay, 0);
    assert_int_equal(net.max_delay, 9);
    lsnn_net_free(&net);
}

/* The readout reads the populations named in readout_from: the others have no readout synapse
 * (zero, not trainable). With readout_gain "none" the filtered spikes are 1 / (1 - kappa) times
 * those of the default gain (same weights, same spikes). */
static void test_readout(void **state)
{
    (void)state;
    enum { B = 2, T = 60, NIN = 4, NOUT = 3 };
    lsnn_net net[2];
    for (int k = 0; k < 2; k++) {
        lsnn_graph_opts o = opts();
        o.readout_from = "A";
        o.readout_gain = k ? LSNN_GAIN_NONE : LSNN_GAIN_LEAKY;
        lsnn_graph *g = lsnn_graph_new(&o);
        add_pop(g, "R", 8, 0, NULL, NULL);
        add_pop(g, "A", 6, 0, NULL, NULL);
        add_proj(g, "w_in", "input", "R+A", 1, 1, 1);
        add_proj(g, "w_rec", "R+A", "R+A", 1, 1, 1);
        assert_int_equal(lsnn_graph_build(g, &net[k], NIN, NOUT, 5), LSNN_OK);
        lsnn_graph_free(g);
    }
    uint8_t *tm = malloc(net[0].n_params);
    lsnn_net_trainable_mask(&net[0], tm);
    for (int j = 0; j < 14; j++)
        for (int o = 0; o < NOUT; o++) {
            const size_t q = (size_t)j * NOUT + o;
            check_eq(net[0].w_out[q] != 0, j >= 8);
            check_eq(tm[net[0].w_out - net[0].params + q], j >= 8);
            check_eq(net[1].w_out[q], net[0].w_out[q]);
        }
    free(tm);
    const double kappa = exp(-1.0 / 20);
    check_near(net[0].readout_gain, 1 - kappa, 1e-7);
    check_eq(net[1].readout_gain, 1);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    test_fill_batch(&b, 3, 10, 1);
    lsnn_real *y[2];
    for (int k = 0; k < 2; k++) {
        for (int o = 0; o < NOUT; o++)
            net[k].b_out[o] = 0;
        lsnn_sim *sim = lsnn_sim_create(&net[k], B, T, NULL);
        assert_non_null(sim);
        y[k] = malloc(sizeof(lsnn_real) * B * T * NOUT);
        assert_int_equal(lsnn_sim_forward(sim, &net[k], &b, y[k], NULL, NULL), LSNN_OK);
        lsnn_sim_free(sim);
    }
    double ymax = 0;
    for (int k = 0; k < B * T * NOUT; k++) {
        ymax = fmax(ymax, fabs(y[0][k]));
        check_near(y[1][k], y[0][k] / (1 - kappa), 1e-4 * fabs(y[1][k]) + 1e-6);
    }
    check_gt(ymax, 0);
    free(y[0]);
    free(y[1]);
    lsnn_batch_free(&b);
    lsnn_net_free(&net[0]);
    lsnn_net_free(&net[1]);
}

/* "signed" initialisation of a sparse matrix: mask first (lsnn) or last (seed 000). Dense, the
 * two are the same matrix. Sparse, "last" is exactly the dense matrix (drawn, balanced and scaled
 * to spectral radius w0) times the mask. How the two orders' magnitudes compare is printed: for
 * Dale-balanced matrices the dense matrix's spectral radius is small for its norm, so masking
 * after scaling does not shrink the weights by sqrt(p) relative to "first" (measured: 0.93 at
 * p = 0.1, 200 neurons, 80% excitatory). */
static void build_signed(lsnn_net *net, lsnn_signed_order order, double p)
{
    lsnn_graph_opts o = opts();
    o.init = LSNN_INIT_SIGNED;
    o.signed_order = order;
    lsnn_graph *g = lsnn_graph_new(&o);
    add_pop(g, "E", 200, 0, NULL, NULL);
    add_proj(g, "w_rec", "E", "E", 1, 1, p);
    assert_int_equal(lsnn_graph_build(g, net, 2, 2, 9), LSNN_OK);
    lsnn_graph_free(g);
}

static void test_mask_order(void **state)
{
    (void)state;
    lsnn_net dense_first, dense_last, first, last;
    build_signed(&dense_first, LSNN_SIGNED_MASK_FIRST, 1.0);
    build_signed(&dense_last, LSNN_SIGNED_MASK_LAST, 1.0);
    build_signed(&first, LSNN_SIGNED_MASK_FIRST, 0.1);
    build_signed(&last, LSNN_SIGNED_MASK_LAST, 0.1);
    const lsnn_projection *d = &dense_last.proj[0], *f = &first.proj[0], *l = &last.proj[0];
    double nf = 0, nl = 0;
    int on = 0;
    for (int k = 0; k < 200 * 200; k++) {
        check_eq(d->w[k], dense_first.proj[0].w[k]);
        check_eq(l->mask[k], f->mask[k]); /* the same synapses */
        check_eq(l->w[k], l->mask[k] ? d->w[k] : 0);
        on += l->mask[k];
        nf += (double)f->w[k] * f->w[k];
        nl += (double)l->w[k] * l->w[k];
    }
    check_gt(on, 3000);
    printf("connectivity 0.1: |W| mask first %.3f, mask last %.3f (ratio %.3f; sqrt(p) %.3f)\n",
           sqrt(nf), sqrt(nl), sqrt(nl / nf), sqrt(0.1));
    lsnn_net_free(&dense_first);
    lsnn_net_free(&dense_last);
    lsnn_net_free(&first);
    lsnn_net_free(&last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_readout),
        cmocka_unit_test(test_mask_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

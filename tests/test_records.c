/* BPTT with records of the forward pass (lsnn_sim_enable_records): the backward pass rebuilds
 * each segment from the recorded membrane potentials with the neuron models' replay instead of
 * simulating it again, and must give exactly the same gradients as the re-simulation (the same
 * operations on the same values), on networks that exercise every part of the state the replay
 * rebuilds: adaptation, refractoriness, delays, two layers, current noise, sparse kernels,
 * "plain" scaling. The records must be skipped where they cannot be used (smooth spikes, a model
 * without replay, a budget too small, a forward pass that did not record) without changing the
 * results either, and the trainer must train to the same parameters with and without them.
 * tests/test_records_f64.c runs the same checks against lsnn_f64. */
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
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"
#include "test_batch.h"

enum { N_IN = 10, N_OUT = 3, B = 20, T = 90 };

typedef struct variant {
    const char *name;
    double connectivity;
    int layers, max_delay, refractory;
    const char *scaling;
    double noise;
    const char *noise_draw; /* network.noise_draw; NULL: the default */
} variant;

static void net_config(lsnn_config *cfg, const variant *v)
{
    lsnn_config_defaults(cfg);
    cfg->network.n_regular = 24;
    cfg->network.n_adaptive = 16;
    cfg->network.layers = v->layers;
    cfg->network.max_delay = v->max_delay;
    cfg->network.refractory = v->refractory;
    cfg->network.connectivity = v->connectivity;
    cfg->network.noise_std = v->noise;
    if (v->noise_draw)
        snprintf(cfg->network.noise_draw, sizeof cfg->network.noise_draw, "%s", v->noise_draw);
    cfg->network.w0 = 1.5;
    snprintf(cfg->network.input_scaling, sizeof cfg->network.input_scaling, "%s", v->scaling);
    if (v->connectivity < 1)
        snprintf(cfg->network.init, sizeof cfg->network.init, "signed");
}

static void fill_batch(lsnn_batch *b, unsigned seed)
{
    test_fill_batch(b, seed, 30, 99);
}

typedef struct result {
    lsnn_real y[B * T * N_OUT];
    lsnn_real *grad;
    double count[4 * 40];
} result;

/* Forward + BPTT of net on b. records: 0 none; 1 recorded; 2 enabled but the forward pass
 * does not record (lsnn_sim_set_recording). Returns whether the workspace held records. */
static int run(lsnn_net *net, const lsnn_batch *b, int records, result *r)
{
    lsnn_status st;
    lsnn_sim *sim = lsnn_sim_create(net, B, T, &st);
    assert_non_null(sim);
    int has = 0;
    if (records) {
        has = lsnn_sim_enable_records(sim, net, (size_t)1 << 30);
        check_ge(has, 0);
        assert_int_equal(lsnn_sim_has_records(sim), has);
        lsnn_sim_set_recording(sim, records == 1);
    }
    r->grad = malloc(sizeof(lsnn_real) * net->n_params);
    assert_non_null(r->grad);
    check_le(net->n, 4 * 40);
    assert_int_equal(test_forward_backward(sim, net, b, 5, r->y, r->count, r->grad), 0);
    lsnn_sim_free(sim);
    return has;
}

/* The three runs (no records, records, records not written) give identical outputs and
 * gradients; the network must be active for the comparison to mean anything. */
static void check_variant(const variant *v)
{
    lsnn_config cfg;
    net_config(&cfg, v);
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 11), LSNN_OK);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_batch(&b, 3);
    static result plain, rec, off;
    assert_int_equal(run(&net, &b, 0, &plain), 0);
    assert_int_equal(run(&net, &b, 1, &rec), 1);
    assert_int_equal(run(&net, &b, 2, &off), 1);
    double spikes = 0, grad_max = 0;
    for (int j = 0; j < net.n; j++)
        spikes += plain.count[j];
    for (size_t k = 0; k < net.n_params; k++)
        grad_max = fmax(grad_max, fabs((double)plain.grad[k]));
    if (spikes < 0.01 * B * T * net.n || spikes > 0.5 * B * T * net.n)
        fail_msg("%s: %.0f spikes in %d neuron-steps", v->name, spikes, B * T * net.n);
    check_gt(grad_max, 0);
    const result *other[2] = {&rec, &off};
    for (int k = 0; k < 2; k++) {
        assert_memory_equal(plain.y, other[k]->y, sizeof plain.y);
        assert_memory_equal(plain.count, other[k]->count, sizeof(double) * net.n);
        if (memcmp(plain.grad, other[k]->grad, sizeof(lsnn_real) * net.n_params) != 0)
            fail_msg("%s: the gradient %s records differs from the re-simulated one", v->name,
                     k == 0 ? "with" : "with unwritten");
    }
    free(plain.grad);
    free(rec.grad);
    free(off.grad);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

static void test_records_same_gradient(void **state)
{
    (void)state;
    const variant vs[] = {
        {"fully connected", 1, 1, 1, 2, "leaky", 0, NULL},
        {"no refractoriness", 1, 1, 1, 0, "leaky", 0, NULL},
        {"long refractoriness, delays 1-3", 1, 1, 3, 5, "leaky", 0, NULL},
        {"sparse 12%, delays 1-3, noise", 0.12, 1, 3, 2, "leaky", 0.002, NULL},
        {"sparse 12%, delays 1-3, ziggurat noise", 0.12, 1, 3, 2, "leaky", 0.002, "ziggurat"},
        {"2 layers", 1, 2, 2, 2, "leaky", 0, NULL},
        {"sparse 2 layers", 0.2, 2, 1, 2, "leaky", 0.001, NULL},
        {"plain scaling", 1, 1, 1, 2, "plain", 0, NULL},
    };
    for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++)
        check_variant(&vs[k]);
}

/* Where records cannot be used they are not enabled, or not read, and results are unchanged. */
static void test_records_skipped(void **state)
{
    (void)state;
    const variant v = {"base", 1, 1, 1, 2, "leaky", 0, NULL};
    lsnn_config cfg;
    net_config(&cfg, &v);
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 11), LSNN_OK);
    lsnn_status st;
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, &st);
    assert_non_null(sim);
    const size_t bytes = lsnn_sim_records_bytes(sim);
    check_ge(bytes, sizeof(lsnn_real) * B * T * net.n);
    /* A budget one byte short. */
    assert_int_equal(lsnn_sim_enable_records(sim, &net, bytes - 1), 0);
    assert_int_equal(lsnn_sim_has_records(sim), 0);
    assert_int_equal(lsnn_sim_enable_records(sim, &net, bytes), 1);
    assert_int_equal(lsnn_sim_has_records(sim), 1);
    lsnn_sim_free(sim);
    lsnn_net_free(&net);

    /* Izhikevich neurons have no replay. */
    snprintf(cfg.network.neuron, sizeof cfg.network.neuron, "izhikevich");
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 11), LSNN_OK);
    sim = lsnn_sim_create(&net, B, T, &st);
    assert_non_null(sim);
    assert_int_equal(lsnn_sim_enable_records(sim, &net, (size_t)1 << 30), 0);
    lsnn_sim_free(sim);
    lsnn_net_free(&net);

    /* Smooth spikes (gradient checks): recorded, but the backward pass simulates again. */
    net_config(&cfg, &v);
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 11), LSNN_OK);
    net.smooth = 1;
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_batch(&b, 4);
    static result plain, rec;
    run(&net, &b, 0, &plain);
    run(&net, &b, 1, &rec);
    assert_memory_equal(plain.y, rec.y, sizeof plain.y);
    assert_memory_equal(plain.grad, rec.grad, sizeof(lsnn_real) * net.n_params);
    free(plain.grad);
    free(rec.grad);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

/* The trainer records by default (bptt_records_mb) and trains to the same parameters as with
 * bptt_records_mb = 0; validations in between do not record. */
static void test_trainer_records(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.symbol_ms = 50;
    cfg.store_recall.val_size = 16;
    cfg.batch_size = 8;
    cfg.network.max_delay = 2;
    lsnn_trainer ta, tb;
    assert_int_equal(lsnn_trainer_init(&ta, &cfg), LSNN_OK);
    cfg.bptt_records_mb = 0;
    assert_int_equal(lsnn_trainer_init(&tb, &cfg), LSNN_OK);
    for (int it = 0; it < 4; it++) {
        assert_int_equal(lsnn_trainer_step(&ta, NULL), LSNN_OK);
        assert_int_equal(lsnn_trainer_step(&tb, NULL), LSNN_OK);
        lsnn_eval_result ea, eb;
        assert_int_equal(lsnn_trainer_evaluate(&ta, LSNN_STREAM_VALID, 16, &ea, NULL), LSNN_OK);
        assert_int_equal(lsnn_trainer_evaluate(&tb, LSNN_STREAM_VALID, 16, &eb, NULL), LSNN_OK);
        check_eq(ea.loss, eb.loss);
    }
    assert_int_equal(lsnn_sim_has_records(ta.sim), 1);
    assert_int_equal(lsnn_sim_has_records(tb.sim), 0);
    assert_memory_equal(ta.net.params, tb.net.params, sizeof(lsnn_real) * ta.n_params);
    lsnn_trainer_free(&ta);
    lsnn_trainer_free(&tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_same_gradient),
        cmocka_unit_test(test_records_skipped),
        cmocka_unit_test(test_trainer_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

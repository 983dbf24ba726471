/* Bidirectional networks (network.bidirectional), in double precision.
 *
 * 1. Semantics: the trainer's readout equals, step by step, the sum of two separately built
 *    one-directional networks holding the same weights, one run on the inputs and one on the
 *    inputs reversed over each sequence's supervised extent (the reversal done here, not by the
 *    trainer), with y1 read at the reversed step; the recorded traces of direction 1 come back
 *    in the task's time order. Sequences of three different extents, delays and refractoriness.
 * 2. Gradients: lsnn_trainer_gradient against central finite differences of the trainer's loss
 *    with the smooth spike function, for entries of every tensor of both directions.
 * 3. Structure: the readout blocks stay separate under DEEP R rewiring (which must never grow a
 *    synapse across the directions) and through a checkpoint round trip; a checkpoint whose
 *    readout mask crosses the blocks is refused; e-prop and multi-layer configs are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/network.h"
#include "lsnn/safetensors.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"

enum { NB = 3 };

/* Store-recall shapes: 8 inputs, 2 outputs, T = 40; a small network with delays. */
static void small_config(lsnn_config *cfg)
{
    lsnn_config_defaults(cfg);
    const char *sets[] = {"task=store_recall",          "store_recall.n_values=2",
                          "store_recall.group_size=2",  "store_recall.n_symbols=4",
                          "store_recall.symbol_ms=10",  "batch_size=3",
                          "network.n_regular=4",        "network.n_adaptive=4",
                          "network.tau_m=8",            "network.tau_a=30",
                          "network.beta=0.8",           "network.b0=1",
                          "network.w0=6",               "network.readout_tau=5",
                          "network.max_delay=2",        "network.refractory=2",
                          "network.bidirectional=true", "seed=5"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        assert_int_equal(lsnn_config_set(cfg, sets[i]), LSNN_OK);
}

/* Random analog inputs and windows ending at 31 steps, at T = 40 and at 13. */
static void fill_batch(lsnn_batch *b)
{
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 11);
    for (size_t k = 0; k < (size_t)b->B * b->T * b->n_in; k++)
        b->x[k] = lsnn_rng_uniform(&rng) < 0.5 ? 0 : lsnn_rng_uniform(&rng);
    const int ends[NB] = {31, b->T, 13};
    for (int q = 0; q < NB; q++) {
        lsnn_window *w = b->windows + (size_t)q * b->max_windows;
        w[0] = (lsnn_window){2, ends[q] / 2, q % 2};
        w[1] = (lsnn_window){ends[q] - 6, ends[q], (q + 1) % 2};
        b->n_windows[q] = 2;
    }
    b->noise_key = 3;
}

static int rev(int t, int L)
{
    return t < L ? L - 1 - t : t;
}

static const lsnn_projection *proj_named(const lsnn_net *net, const char *name)
{
    for (int p = 0; p < net->n_proj; p++)
        if (strcmp(net->proj[p].name, name) == 0)
            return &net->proj[p];
    fail_msg("no projection %s", name);
    return NULL;
}

/* One direction of bidirectional net bi as a network of its own. */
static void copy_direction(lsnn_net *u, const lsnn_net *bi, int dir)
{
    const char *win = dir ? "w_in_bw" : "w_in", *wrec = dir ? "w_rec_bw" : "w_rec";
    const lsnn_projection *pi = proj_named(bi, win), *pr = proj_named(bi, wrec);
    const lsnn_projection *ui = proj_named(u, "w_in"), *ur = proj_named(u, "w_rec");
    size_t si = (size_t)ui->n_src * ui->n_dst, sr = (size_t)ur->n_src * ur->n_dst;
    assert_int_equal((size_t)pi->n_src * pi->n_dst, si);
    assert_int_equal((size_t)pr->n_src * pr->n_dst, sr);
    memcpy(ui->w, pi->w, sizeof(lsnn_real) * si);
    memcpy(ur->w, pr->w, sizeof(lsnn_real) * sr);
    memcpy(ui->delay, pi->delay, si);
    memcpy(ur->delay, pr->delay, sr);
    const int m = u->n, no = u->n_out;
    for (int j = 0; j < m; j++)
        for (int k = 0; k < no; k++)
            u->w_out[(size_t)j * no + k] =
                bi->w_out[(size_t)(dir * m + j) * bi->n_out + dir * no + k];
    for (int k = 0; k < no; k++)
        u->b_out[k] = bi->b_out[dir * no + k];
    lsnn_net_update_constants(u);
}

static void test_sum_of_two_directions(void **state)
{
    (void)state;
    lsnn_config cfg;
    small_config(&cfg);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    const lsnn_net *bi = &tr.net;
    assert_int_equal(bi->n_dirs, 2);
    assert_int_equal(bi->n, 16);
    assert_int_equal(bi->n_in, 2 * tr.shape.n_in);
    assert_int_equal(bi->n_out, 2 * tr.shape.n_out);
    /* No readout synapse across the directions, and every other one exists. */
    for (int j = 0; j < bi->n; j++)
        for (int k = 0; k < bi->n_out; k++) {
            int same = (j < 8) == (k < 2);
            assert_int_equal(bi->w_out_mask[(size_t)j * bi->n_out + k], same);
            if (!same)
                check_eq(bi->w_out[(size_t)j * bi->n_out + k], 0);
        }
    for (int k = 0; k < bi->n_out; k++)
        tr.net.b_out[k] = 0.1 * (k + 1);
    lsnn_batch *b = &tr.batch;
    fill_batch(b);
    lsnn_trace trace[3]; /* [0]: the bidirectional network, [1 + d]: direction d on its own */
    for (int i = 0; i < 3; i++) {
        size_t sz = sizeof(lsnn_real) * b->T * (i ? 8 : 16);
        trace[i] = (lsnn_trace){malloc(sz), malloc(sz), malloc(sz)};
    }
    assert_int_equal(lsnn_trainer_forward(&tr, &trace[0]), LSNN_OK);

    /* The two directions on their own. */
    lsnn_config uc = cfg;
    uc.network.bidirectional = 0;
    const int T = b->T, n_in = b->n_in, no = b->n_out, L[NB] = {31, T, 13};
    lsnn_net u[2];
    lsnn_batch ub[2];
    lsnn_real *uy[2];
    for (int d = 0; d < 2; d++) {
        assert_int_equal(lsnn_net_init(&u[d], &uc.network, n_in, no, 99), LSNN_OK);
        copy_direction(&u[d], bi, d);
        assert_int_equal(lsnn_batch_init(&ub[d], NB, T, n_in, no, LSNN_LOSS_CE_WINDOW, 1),
                         LSNN_OK);
        for (int q = 0; q < NB; q++)
            for (int t = 0; t < T; t++)
                memcpy(ub[d].x + ((size_t)q * T + t) * n_in,
                       b->x + ((size_t)q * T + (d ? rev(t, L[q]) : t)) * n_in,
                       sizeof(lsnn_real) * n_in);
        lsnn_sim *sim = lsnn_sim_create(&u[d], NB, T, NULL);
        assert_non_null(sim);
        uy[d] = malloc(sizeof(lsnn_real) * NB * T * no);
        assert_int_equal(lsnn_sim_forward(sim, &u[d], &ub[d], uy[d], NULL, &trace[1 + d]),
                         LSNN_OK);
        lsnn_sim_free(sim);
    }
    double maxdiff = 0, maxabs = 0;
    for (int q = 0; q < NB; q++)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < no; k++) {
                double want = uy[0][((size_t)q * T + t) * no + k] +
                              uy[1][((size_t)q * T + rev(t, L[q])) * no + k];
                double got = tr.y[((size_t)q * T + t) * no + k];
                maxdiff = fmax(maxdiff, fabs(got - want));
                maxabs = fmax(maxabs, fabs(want));
            }
    printf("bidirectional readout vs two separate directions: max |diff| %.3g (max |y| %.3g)\n",
           maxdiff, maxabs);
    check_gt(maxabs, 0.1);
    check_lt(maxdiff, 1e-12);
    /* The traces of sequence 0 line up with the task's time: direction 1's step rev(t) at t. */
    int spikes[2] = {0, 0};
    for (int t = 0; t < T; t++)
        for (int d = 0; d < 2; d++)
            for (int j = 0; j < 8; j++) {
                size_t got = (size_t)t * 16 + 8 * d + j;
                size_t want = (size_t)(d ? rev(t, L[0]) : t) * 8 + j;
                check_eq(trace[0].v[got], trace[1 + d].v[want]);
                check_eq(trace[0].thr[got], trace[1 + d].thr[want]);
                check_eq(trace[0].z[got], trace[1 + d].z[want]);
                spikes[d] += trace[0].z[got] != 0;
            }
    check_gt(spikes[0], 0);
    check_gt(spikes[1], 0);
    for (int i = 0; i < 3; i++) {
        free(trace[i].v);
        free(trace[i].thr);
        free(trace[i].z);
    }
    /* Both directions spike. */
    double c0 = 0, c1 = 0;
    for (int j = 0; j < 8; j++) {
        c0 += tr.count[j];
        c1 += tr.count[8 + j];
    }
    check_gt(c0, 0);
    check_gt(c1, 0);
    for (int d = 0; d < 2; d++) {
        free(uy[d]);
        lsnn_batch_free(&ub[d]);
        lsnn_net_free(&u[d]);
    }
    lsnn_trainer_free(&tr);
}

static double loss_at(lsnn_trainer *tr)
{
    lsnn_loss_result lr;
    assert_int_equal(lsnn_trainer_forward(tr, NULL), LSNN_OK);
    assert_int_equal(lsnn_loss_compute(&tr->batch, tr->y, NULL, &lr), LSNN_OK);
    return lr.loss;
}

static void test_gradient_finite_differences(void **state)
{
    (void)state;
    lsnn_config cfg;
    small_config(&cfg);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    tr.net.smooth = 1;
    fill_batch(&tr.batch);
    lsnn_loss_result lr;
    double reg;
    assert_int_equal(lsnn_trainer_gradient(&tr, &lr, &reg), LSNN_OK);
    check_near(lr.loss, loss_at(&tr), 1e-12);
    uint8_t *trainable = malloc(tr.n_params);
    lsnn_net_trainable_mask(&tr.net, trainable);
    /* Up to 12 trainable entries of every tensor, spread over it. */
    const lsnn_real *tensors[6];
    size_t sizes[6];
    const char *names[6] = {"w_in", "w_rec", "w_in_bw", "w_rec_bw", "w_out", "b_out"};
    for (int i = 0; i < 4; i++) {
        const lsnn_projection *pr = proj_named(&tr.net, names[i]);
        tensors[i] = pr->w;
        sizes[i] = (size_t)pr->n_src * pr->n_dst;
    }
    tensors[4] = tr.net.w_out;
    sizes[4] = (size_t)tr.net.n * tr.net.n_out;
    tensors[5] = tr.net.b_out;
    sizes[5] = (size_t)tr.net.n_out;
    double worst = 0;
    int checked = 0;
    for (int i = 0; i < 6; i++) {
        double num = 0, den = 0;
        size_t off = (size_t)(tensors[i] - tr.net.params), step = sizes[i] / 12 + 1;
        double tensor_norm = 0;
        for (size_t k = 0; k < sizes[i]; k++)
            tensor_norm = fmax(tensor_norm, fabs(tr.grad[off + k]));
        check_gt(tensor_norm, 1e-6); /* every tensor of both directions matters */
        for (size_t k = 0; k < sizes[i]; k += step) {
            size_t p = off + k;
            if (!trainable[p])
                continue;
            const double h = 1e-6, w0 = tr.net.params[p];
            tr.net.params[p] = w0 + h;
            double lp = loss_at(&tr);
            tr.net.params[p] = w0 - h;
            double lm = loss_at(&tr);
            tr.net.params[p] = w0;
            double fd = (lp - lm) / (2 * h), g = tr.grad[p];
            num += (fd - g) * (fd - g);
            den += fd * fd;
            checked++;
        }
        /* Relative error of the tensor's checked entries, as a vector (test_gradcheck_f64). */
        double rel = sqrt(num) / (sqrt(den) + 1e-300);
        printf("  %-8s |grad| %.3e  relative error %.2e\n", names[i], sqrt(den), rel);
        worst = fmax(worst, rel);
    }
    printf("bidirectional BPTT vs finite differences: %d entries, worst relative error %.3g\n",
           checked, worst);
    check_gt(checked, 40);
    check_lt(worst, 1e-4);
    free(trainable);
    lsnn_trainer_free(&tr);
}

static int crosses(const lsnn_net *net)
{
    int bad = 0;
    for (int j = 0; j < net->n; j++)
        for (int k = 0; k < net->n_out; k++) {
            size_t q = (size_t)j * net->n_out + k;
            if (!lsnn_net_readout_possible(net, j, k))
                bad += net->w_out_mask[q] || net->w_out[q] != 0;
        }
    return bad;
}

static void test_deepr_and_checkpoint(void **state)
{
    (void)state;
    lsnn_config cfg;
    small_config(&cfg);
    const char *sets[] = {"network.init=signed", "network.connectivity=0.3",
                          "network.global_connectivity=true", "deepr.enabled=true",
                          "deepr.l1=0.5", "lr=0.05", "network.w0=1"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        assert_int_equal(lsnn_config_set(&cfg, sets[i]), LSNN_OK);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    size_t count0 = lsnn_deepr_count(&tr.deepr, &tr.net);
    assert_int_equal(crosses(&tr.net), 0);
    long rewired = 0;
    for (int it = 0; it < 30; it++) {
        lsnn_iter_stats s;
        assert_int_equal(lsnn_trainer_step(&tr, &s), LSNN_OK);
        rewired += s.rewired;
        assert_int_equal(crosses(&tr.net), 0);
        assert_int_equal(lsnn_deepr_count(&tr.deepr, &tr.net), count0);
    }
    printf("DEEP R on a bidirectional network: %ld synapses rewired in 30 steps\n", rewired);
    check_gt(rewired, 0);

    /* Round trip, then a file whose readout mask crosses the directions. */
    const char *path = "test_bidir_model.safetensors";
    assert_int_equal(lsnn_trainer_save(&tr, path), LSNN_OK);
    lsnn_trainer back;
    assert_int_equal(lsnn_trainer_init(&back, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_load(&back, path, 1), LSNN_OK);
    assert_memory_equal(back.net.params, tr.net.params, sizeof(lsnn_real) * tr.n_params);
    assert_memory_equal(back.net.w_out_mask, tr.net.w_out_mask,
                        (size_t)tr.net.n * tr.net.n_out);
    lsnn_trainer_free(&back);
    int j = 0, k = tr.net.n_out - 1; /* neuron 0 (forward) -> an output of the backward block */
    tr.net.w_out_mask[(size_t)j * tr.net.n_out + k] = 1;
    assert_int_equal(lsnn_trainer_save(&tr, path), LSNN_OK);
    assert_int_equal(lsnn_trainer_init(&back, &cfg), LSNN_OK);
    assert_int_not_equal(lsnn_trainer_load(&back, path, 1), LSNN_OK);
    assert_non_null(strstr(lsnn_last_error(), "w_out.mask"));
    lsnn_trainer_free(&back);
    remove(path);
    lsnn_trainer_free(&tr);
}

static void test_refused_configs(void **state)
{
    (void)state;
    lsnn_config cfg;
    /* Each override is accepted alone; the combination is refused by lsnn_config_validate and
     * by the trainer. */
    const char *const sets[] = {"learning=eprop", "network.layers=2", "model=lstm"};
    for (int i = 0; i < 3; i++) {
        small_config(&cfg);
        assert_int_equal(lsnn_config_set(&cfg, sets[i]), LSNN_OK);
        assert_int_not_equal(lsnn_config_validate(&cfg, "t"), LSNN_OK);
        assert_non_null(strstr(lsnn_last_error(), "network.bidirectional"));
        lsnn_trainer tr;
        assert_int_not_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
        assert_non_null(strstr(lsnn_last_error(), "network.bidirectional"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_of_two_directions),
        cmocka_unit_test(test_gradient_finite_differences),
        cmocka_unit_test(test_deepr_and_checkpoint),
        cmocka_unit_test(test_refused_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

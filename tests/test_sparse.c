/* The sparse kernels (lsnn/sparse.h) against the dense ones on the same masked networks: the
 * forward pass must give bit-identical readouts and spike counts (the same non-zero terms are
 * added in the same order), BPTT and e-prop the same gradients up to summation order (1e-6
 * relative in float32, 1e-9 in float64: tests/test_sparse_f64.c compiles this file against
 * lsnn_f64), and absent synapses a zero gradient. The index must follow the masks: after a
 * DEEP R-like rewiring with lsnn_net_apply_masks, after lsnn_net_update_constants (the
 * checkpoint loader's path), through a checkpoint, and through the trainer with DEEP R (BPTT and
 * e-prop). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/sparse.h"
#include "lsnn/train.h"
#include "test_batch.h"

#if LSNN_REAL_IS_DOUBLE
#define GRAD_TOL 1e-9
#else
#define GRAD_TOL 1e-6
#endif

enum { N_IN = 10, N_OUT = 3, B = 20, T = 80 };

static void net_config(lsnn_config *cfg, double connectivity, int layers, int max_delay)
{
    lsnn_config_defaults(cfg);
    cfg->network.n_regular = 24;
    cfg->network.n_adaptive = 16;
    cfg->network.layers = layers;
    cfg->network.max_delay = max_delay;
    cfg->network.connectivity = connectivity;
    cfg->network.global_connectivity = 0;
    cfg->network.noise_std = 0.002;
    cfg->network.w0 = 1.5;
    snprintf(cfg->network.init, sizeof cfg->network.init, "signed");
}

static void fill_batch(lsnn_batch *b, unsigned seed)
{
    test_fill_batch(b, seed, 20, 1234);
}

typedef struct result {
    lsnn_real *y, *grad;
    double *count;
} result;

static int g_cut;   /* truncated BPTT (lsnn_sim_set_cut_recurrent) in the next runs */
static int g_eprop; /* the next runs learn with e-prop instead of forward + BPTT */

/* The same with two windows per sequence (a window sum that restarts). */
static void fill_batch_2win(lsnn_batch *b, unsigned seed)
{
    fill_batch(b, seed);
    for (int g = 0; g < B; g++) {
        b->n_windows[g] = 2;
        b->windows[2 * g] = (lsnn_window){T - 45, T - 30, (g + 1) % N_OUT};
        b->windows[2 * g + 1] = (lsnn_window){T - 20, T, g % N_OUT};
    }
}

/* The same with MSE targets on the second half of each sequence: e-prop's gradient step at
 * every step of it (the window loss above steps at the end of each window). */
static void fill_batch_mse(lsnn_batch *b, unsigned seed)
{
    fill_batch(b, seed);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed + 1);
    for (int g = 0; g < B; g++)
        for (int t = 0; t < T; t++) {
            b->y_weight[(size_t)g * T + t] = t >= T / 2;
            for (int k = 0; k < N_OUT; k++)
                b->y_target[((size_t)g * T + t) * N_OUT + k] = (lsnn_real)lsnn_rng_uniform(&rng);
        }
}

/* Forward + BPTT (with a constant dL/dz term), or an e-prop pass (g_eprop), of net on batch
 * with the given kernels. */
static void run(lsnn_net *net, const lsnn_batch *b, lsnn_sparse_mode mode, result *r)
{
    lsnn_net_set_sparse(net, mode);
    lsnn_status st;
    lsnn_sim *sim = lsnn_sim_create(net, B, T, &st);
    assert_non_null(sim);
    lsnn_sim_set_cut_recurrent(sim, g_cut);
    const size_t ny = (size_t)B * T * N_OUT;
    r->y = malloc(sizeof(lsnn_real) * ny);
    r->grad = malloc(sizeof(lsnn_real) * net->n_params);
    r->count = malloc(sizeof(double) * net->n);
    assert_non_null(r->y);
    assert_non_null(r->grad);
    assert_non_null(r->count);
    if (g_eprop) {
        /* Symmetric feedback, with the rate penalty (added to existing synapses only). */
        lsnn_eprop_opts eo = {0};
        eo.feedback = LSNN_FEEDBACK_SYMMETRIC;
        eo.reset_grad = 1;
        eo.rate_reg = 0.1;
        eo.rate_target_hz = 10;
        lsnn_eprop *ep = lsnn_eprop_create(net, B, &eo, 7, &st);
        assert_non_null(ep);
        lsnn_loss_result lr;
        assert_int_equal(lsnn_eprop_run(ep, net, b, r->grad, r->y, r->count, NULL, &lr), LSNN_OK);
        lsnn_eprop_free(ep);
        lsnn_sim_free(sim);
        return;
    }
    assert_int_equal(test_forward_backward(sim, net, b, 7, r->y, r->count, r->grad), 0);
    lsnn_sim_free(sim);
}

static void result_free(result *r)
{
    free(r->y);
    free(r->grad);
    free(r->count);
}

/* max |a - b| / max |b| over the entries k of [off, off + len) with keep[k - off] != 0 (or all). */
static double rel_err(const lsnn_real *a, const lsnn_real *b, size_t off, size_t len,
                      const uint8_t *keep)
{
    double num = 0, den = 0;
    for (size_t k = 0; k < len; k++) {
        if (keep && !keep[k])
            continue;
        num = fmax(num, fabs((double)a[off + k] - (double)b[off + k]));
        den = fmax(den, fabs((double)b[off + k]));
    }
    return den > 0 ? num / den : num;
}

/* The index of every masked projection lists exactly its mask's synapses (minus the diagonal),
 * in row order. */
static void check_index(const lsnn_net *net)
{
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        if (!pr->mask)
            continue;
        const lsnn_sparse *sp = &pr->sparse;
        assert_non_null(sp->row);
        int32_t k = 0;
        for (int i = 0; i < pr->n_src; i++) {
            assert_int_equal(sp->row[i], k);
            for (int j = 0; j < pr->n_dst; j++) {
                int self = pr->no_self && !pr->src_is_input && pr->src_off + i == pr->dst_off + j;
                if (pr->mask[(size_t)i * pr->n_dst + j] && !self)
                    assert_int_equal(sp->col[k++], j);
            }
        }
        assert_int_equal(sp->row[pr->n_src], k);
        assert_int_equal(sp->nnz, k);
    }
}

/* Dense and sparse kernels on net: identical forward, gradients within GRAD_TOL, zero gradients
 * of absent synapses. */
static void compare_paths(lsnn_net *net, const lsnn_batch *b)
{
    check_index(net);
    result d, s;
    run(net, b, LSNN_SPARSE_OFF, &d);
    for (int p = 0; p < net->n_proj; p++)
        assert_int_equal(net->proj[p].sparse.use, 0);
    run(net, b, LSNN_SPARSE_ON, &s);
    for (int p = 0; p < net->n_proj; p++)
        assert_int_equal(net->proj[p].sparse.use, net->proj[p].mask != NULL);
    lsnn_net_set_sparse(net, LSNN_SPARSE_AUTO);

    double spikes = 0;
    for (int j = 0; j < net->n; j++)
        spikes += d.count[j];
    /* Meaningful only if the network is active: between 1% and 50% of neuron-steps. */
    check_gt(spikes, 0.01 * B * T * net->n);
    check_lt(spikes, 0.5 * B * T * net->n);
    assert_memory_equal(d.count, s.count, sizeof(double) * net->n);
    assert_memory_equal(d.y, s.y, sizeof(lsnn_real) * B * T * N_OUT);

    uint8_t *trainable = malloc(net->n_params);
    assert_non_null(trainable);
    lsnn_net_trainable_mask(net, trainable);
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        const size_t len = (size_t)pr->n_src * pr->n_dst;
        const uint8_t *keep = trainable + pr->param_off;
        double e = rel_err(s.grad, d.grad, pr->param_off, len, keep);
        if (e > GRAD_TOL)
            fail_msg("%s: relative gradient error %.3g", pr->name, e);
        double mx = 0; /* a non-trivial gradient, or none for a frozen projection */
        for (size_t k = 0; k < len; k++)
            mx = fmax(mx, fabs((double)d.grad[pr->param_off + k]));
        assert_true(pr->frozen ? mx == 0 : mx > 0);
        for (size_t k = 0; k < len; k++)
            if (!keep[k])
                check_eq(s.grad[pr->param_off + k], 0);
    }
    const size_t off_out = (size_t)(net->w_out - net->params);
    double e = rel_err(s.grad, d.grad, off_out, net->n_params - off_out, trainable + off_out);
    if (e > GRAD_TOL)
        fail_msg("readout and noise: relative gradient error %.3g", e);
    free(trainable);
    result_free(&d);
    result_free(&s);
}

/* A DEEP R-like rewiring of every masked projection: about a tenth of the possible positions
 * flip, existing synapses being removed and new ones grown with a small weight of the source's
 * sign (so the density changes too). */
static void rewire(lsnn_net *net, unsigned seed)
{
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        for (int i = 0; i < pr->n_src; i++) {
            const int8_t sg = pr->src_is_input ? net->input_sign[pr->src_off + i]
                                               : net->sign[pr->src_off + i];
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                if (pr->no_self && !pr->src_is_input && pr->src_off + i == pr->dst_off + j)
                    continue;
                if (lsnn_rng_uniform(&rng) >= 0.1)
                    continue;
                pr->mask[k] = !pr->mask[k];
                pr->w[k] = pr->mask[k] ? (lsnn_real)(sg * 0.2 * lsnn_rng_uniform(&rng)) : 0;
            }
        }
    }
}

static void check_network(double connectivity, int layers, int max_delay)
{
    lsnn_config cfg;
    net_config(&cfg, connectivity, layers, max_delay);
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
    assert_int_equal(net.n_proj, layers == 1 ? 2 : 4);
    /* The automatic choice follows the density. */
    for (int p = 0; p < net.n_proj; p++) {
        const lsnn_projection *pr = &net.proj[p];
        double density = (double)pr->sparse.nnz / ((double)pr->n_src * pr->n_dst);
        assert_int_equal(pr->sparse.use, density < LSNN_SPARSE_THRESHOLD);
    }
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_batch(&b, 17);
    compare_paths(&net, &b);
    rewire(&net, 5);
    lsnn_net_apply_masks(&net);
    compare_paths(&net, &b);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

static void test_paths_agree_1_layer(void **state)
{
    (void)state;
    const double conn[] = {0.05, 0.12, 0.3, 0.7};
    for (int c = 0; c < 4; c++)
        for (int d = 1; d <= 3; d += 2)
            check_network(conn[c], 1, d);
}

static void test_paths_agree_2_layers(void **state)
{
    (void)state;
    const double conn[] = {0.12, 0.5};
    for (int c = 0; c < 2; c++)
        for (int d = 1; d <= 3; d += 2)
            check_network(conn[c], 2, d);
}

/* Truncated BPTT (the e-prop reference: no adjoint through the synapses between neurons) and a
 * frozen recurrent projection (no gradient) take the same paths through the sparse kernels. */
static void test_paths_agree_cut_frozen(void **state)
{
    (void)state;
    lsnn_config cfg;
    net_config(&cfg, 0.12, 2, 3);
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_batch(&b, 31);
    g_cut = 1;
    compare_paths(&net, &b);
    g_cut = 0;
    net.proj[1].frozen = 1;
    compare_paths(&net, &b);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

/* e-prop on the sparse layout (src/learn/eprop.c: existing synapses only, vectorised over the
 * sequences) against its dense rows: the same spikes and readout, the same gradients up to the
 * order of the sum over sequences, and no gradient for absent synapses. Window and MSE losses,
 * delays 1 and 3, one and two layers, 5% to 50% connectivity, after a rewiring, and a frozen
 * projection. */
static void test_eprop_paths_agree(void **state)
{
    (void)state;
    g_eprop = 1;
    const double conn[] = {0.05, 0.12, 0.5}; /* e-prop takes the sparse layout at any density */
    for (int c = 0; c < 3; c++)
        for (int layers = 1; layers <= 2; layers++)
            for (int d = 1; d <= 3; d += 2) {
                lsnn_config cfg;
                net_config(&cfg, conn[c], layers, d);
                lsnn_net net;
                assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
                lsnn_batch bw, bm;
                assert_int_equal(
                    lsnn_batch_init(&bw, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 2), LSNN_OK);
                assert_int_equal(lsnn_batch_init(&bm, B, T, N_IN, N_OUT, LSNN_LOSS_MSE, 0),
                                 LSNN_OK);
                fill_batch_2win(&bw, 41);
                fill_batch_mse(&bm, 43);
                compare_paths(&net, &bw);
                compare_paths(&net, &bm);
                rewire(&net, 6);
                lsnn_net_apply_masks(&net);
                compare_paths(&net, &bm);
                net.proj[1].frozen = 1;
                compare_paths(&net, &bw);
                lsnn_batch_free(&bw);
                lsnn_batch_free(&bm);
                lsnn_net_free(&net);
            }
    g_eprop = 0;
}

/* The checkpoint loader does not call lsnn_net_apply_masks but lsnn_net_update_constants after
 * reading the masks; both rebuild the index. So does a load into a network of other masks. */
static void test_index_follows_masks(void **state)
{
    (void)state;
    lsnn_config cfg;
    net_config(&cfg, 0.12, 2, 3);
    lsnn_net a, b;
    assert_int_equal(lsnn_net_init(&a, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
    rewire(&a, 9);
    lsnn_net_update_constants(&a);
    check_index(&a);
    rewire(&a, 10);
    lsnn_net_apply_masks(&a);
    check_index(&a);

    char path[1024];
    const char *dir = getenv("LSNN_BINARY_DIR");
    snprintf(path, sizeof path, "%s/test_sparse_%ld.safetensors", dir ? dir : "/tmp",
             (long)getpid());
    assert_int_equal(lsnn_checkpoint_save(path, &cfg, &a, NULL, 0), LSNN_OK);
    /* The same signs, the initial masks: the load replaces them. */
    assert_int_equal(lsnn_net_init(&b, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
    assert_int_not_equal(a.proj[1].sparse.nnz + a.proj[3].sparse.nnz,
                         b.proj[1].sparse.nnz + b.proj[3].sparse.nnz);
    assert_int_equal(lsnn_checkpoint_load(path, &b, NULL, NULL), LSNN_OK);
    unlink(path);
    check_index(&b);
    for (int p = 0; p < a.n_proj; p++) {
        assert_int_equal(a.proj[p].sparse.nnz, b.proj[p].sparse.nnz);
        assert_memory_equal(a.proj[p].sparse.col, b.proj[p].sparse.col,
                            sizeof(int32_t) * a.proj[p].sparse.nnz);
    }
    /* The loaded network on the sparse kernels computes what the saved one does on the dense. */
    lsnn_batch bt;
    assert_int_equal(lsnn_batch_init(&bt, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_batch(&bt, 23);
    result ra, rb;
    run(&a, &bt, LSNN_SPARSE_OFF, &ra);
    run(&b, &bt, LSNN_SPARSE_ON, &rb);
    assert_memory_equal(ra.y, rb.y, sizeof(lsnn_real) * B * T * N_OUT);
    result_free(&ra);
    result_free(&rb);
    lsnn_batch_free(&bt);
    lsnn_net_free(&a);
    lsnn_net_free(&b);
}

/* Training with DEEP R (masks change at every iteration) on the two kernels. Both rules' runs
 * agree to rounding (the sums over sequences run in other orders), compared in float64, where a
 * rounding difference cannot flip a rewiring decision in these few iterations. */
static void train_pair(const char *learning)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.learning, sizeof cfg.learning, "%s", learning);
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.symbol_ms = 50;
    cfg.store_recall.p_command = 0.5;
    cfg.store_recall.val_size = 16;
    cfg.batch_size = 8;
    cfg.network.max_delay = 2;
    snprintf(cfg.network.init, sizeof cfg.network.init, "signed");
    cfg.network.connectivity = 0.12;
    cfg.network.global_connectivity = 1;
    cfg.deepr.enabled = 1;
    cfg.deepr.init_magnitude = 1e-3;
    cfg.lr = 0.05; /* large steps: many synapses are rewired */
    lsnn_trainer td, ts;
    assert_int_equal(lsnn_trainer_init(&td, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_init(&ts, &cfg), LSNN_OK);
    lsnn_net_set_sparse(&td.net, LSNN_SPARSE_OFF);
    lsnn_net_set_sparse(&ts.net, LSNN_SPARSE_ON);
    for (int it = 0; it < 6; it++) {
        assert_int_equal(lsnn_trainer_step(&td, NULL), LSNN_OK);
        assert_int_equal(lsnn_trainer_step(&ts, NULL), LSNN_OK);
        check_index(&ts.net);
        assert_int_equal(ts.net.proj[0].sparse.use, 1);
        assert_int_equal(td.net.proj[0].sparse.use, 0);
    }
    check_gt(ts.deepr.rewired, 0);
    if (LSNN_REAL_IS_DOUBLE) {
        for (int p = 0; p < td.net.n_proj; p++)
            assert_memory_equal(td.net.proj[p].mask, ts.net.proj[p].mask,
                                (size_t)td.net.proj[p].n_src * td.net.proj[p].n_dst);
        assert_true(rel_err(ts.net.params, td.net.params, 0, td.n_params, NULL) < 1e-9);
    }
    lsnn_trainer_free(&td);
    lsnn_trainer_free(&ts);
}

static void test_train_bptt_deepr(void **state)
{
    (void)state;
    train_pair("bptt");
}

static void test_train_eprop_deepr(void **state)
{
    (void)state;
    train_pair("eprop");
}

/* network.sparse_kernels: "on" and "off" hold whatever the density, through training with
 * DEEP R (the index is rebuilt after every rewiring); "auto" follows the threshold. */
static void test_config_key(void **state)
{
    (void)state;
    static const struct {
        const char *mode;
        double connectivity;
        int use;
    } cases[] = {
        {"off", 0.12, 0}, {"on", 0.5, 1}, {"auto", 0.5, 0}, {"auto", 0.12, 1}, {"", 0.12, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lsnn_config cfg;
        net_config(&cfg, cases[k].connectivity, 1, 2);
        snprintf(cfg.network.sparse_kernels, sizeof cfg.network.sparse_kernels, "%s",
                 cases[k].mode);
        lsnn_net net;
        assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
        int masked = 0;
        for (int p = 0; p < net.n_proj; p++)
            if (net.proj[p].mask) {
                masked++;
                check_eq(net.proj[p].sparse.use, cases[k].use);
            }
        check_gt(masked, 0);
        lsnn_net_free(&net);
    }
    lsnn_config cfg;
    net_config(&cfg, 0.12, 1, 2);
    snprintf(cfg.network.sparse_kernels, sizeof cfg.network.sparse_kernels, "sometimes");
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_ERR_CONFIG);

    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.symbol_ms = 50;
    cfg.store_recall.val_size = 16;
    cfg.batch_size = 8;
    snprintf(cfg.network.init, sizeof cfg.network.init, "signed");
    cfg.network.connectivity = 0.5;
    cfg.network.global_connectivity = 1;
    cfg.deepr.enabled = 1;
    cfg.lr = 0.05;
    snprintf(cfg.network.sparse_kernels, sizeof cfg.network.sparse_kernels, "on");
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    for (int it = 0; it < 3; it++) {
        assert_int_equal(lsnn_trainer_step(&tr, NULL), LSNN_OK);
        check_index(&tr.net);
        for (int p = 0; p < tr.net.n_proj; p++)
            if (tr.net.proj[p].mask)
                check_eq(tr.net.proj[p].sparse.use, 1);
    }
    lsnn_trainer_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_agree_1_layer),
        cmocka_unit_test(test_paths_agree_2_layers),
        cmocka_unit_test(test_paths_agree_cut_frozen),
        cmocka_unit_test(test_eprop_paths_agree),
        cmocka_unit_test(test_index_follows_masks),
        cmocka_unit_test(test_train_bptt_deepr),
        cmocka_unit_test(test_train_eprop_deepr),
        cmocka_unit_test(test_config_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

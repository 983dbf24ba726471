/* Spiking modules of seed 003 (tasks softmax and kwta), in double precision:
 * - the rate readout gives exactly the groups' spike counts in Hz;
 * - BPTT through the rate readout, the squared error of the rates (eq. 4.4) and the rate
 *   regularisation of the hidden neurons (eq. 4.10) against central finite differences, with the
 *   smooth spike function whose derivative is BPTT's pseudo-derivative;
 * - the two losses against hand-computed values and their dL/dy against finite differences;
 * - the tasks' batches: input rates, softmax targets, K winners, labels, determinism;
 * - the rate readout is frozen. */
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
#include "lsnn/config_map.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"

enum { B = 3, T = 40, NIN = 4, NOUT = 2, G = 2, T0 = 10 };

/* A hand-filled network config (leaky scaling, delay 1, tau_a 30 ms, beta 0.8, gamma 0.3). */
static lsnn_network_config small_cfg(int n_regular, int n_adaptive, double tau_m, double b0,
                                     int refractory, double w0, int rate_readout)
{
    lsnn_network_config nc;
    memset(&nc, 0, sizeof nc);
    nc.n_regular = n_regular;
    nc.n_adaptive = n_adaptive;
    nc.dt = 1;
    nc.tau_m = tau_m;
    nc.tau_a = 30;
    nc.beta = 0.8;
    nc.b0 = b0;
    nc.refractory = refractory;
    nc.gamma = 0.3;
    nc.w0 = w0;
    nc.w0_out = 1;
    nc.max_delay = 1;
    nc.readout_tau = 20; /* ignored by the rate readout */
    if (rate_readout) {
        snprintf(nc.readout, sizeof nc.readout, "rate");
        nc.rate_group = G;
    }
    return nc;
}

static void rate_net(lsnn_net *net, double w0)
{
    lsnn_network_config nc = small_cfg(6, 2, 8, 1.0, 1, w0, 1);
    assert_int_equal(lsnn_net_init(net, &nc, NIN, NOUT, 11), LSNN_OK);
}

static void fill_batch(lsnn_batch *b, lsnn_loss_kind kind)
{
    assert_int_equal(lsnn_batch_init(b, B, T, NIN, NOUT, kind, 1), LSNN_OK);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 5);
    for (size_t k = 0; k < (size_t)B * T * NIN; k++)
        b->x[k] = lsnn_rng_uniform(&rng) < 0.5 ? 0 : lsnn_rng_uniform(&rng);
    for (int s = 0; s < B; s++) {
        b->n_windows[s] = 1;
        b->windows[s] = (lsnn_window){T0, T, s % NOUT};
        for (int k = 0; k < NOUT; k++)
            b->w_target[s * NOUT + k] = kind == LSNN_LOSS_RATE_MSE ? 40.0 + 30.0 * ((s + k) % 3)
                                                                   : (lsnn_real)((s + k) % 2);
    }
    b->rate_zero = 20;
    b->rate_one = 50;
    b->noise_key = 3;
}

static void trace_alloc(lsnn_trace *tr, int n)
{
    tr->v = malloc(sizeof(lsnn_real) * T * n);
    tr->thr = malloc(sizeof(lsnn_real) * T * n);
    tr->z = malloc(sizeof(lsnn_real) * T * n);
    assert_true(tr->v && tr->thr && tr->z);
}

static void trace_free(lsnn_trace *tr)
{
    free(tr->v);
    free(tr->thr);
    free(tr->z);
}

static void test_rate_readout_counts_spikes(void **state)
{
    (void)state;
    lsnn_net net;
    rate_net(&net, 40.0);
    assert_int_equal(net.rate_group, G);
    assert_true(net.readout_frozen);
    check_eq(net.kappa, 0);
    for (int j = 0; j < net.n; j++)
        assert_int_equal(lsnn_net_rate_neuron(&net, j), j < 4 ? -1 : (j - 4) / G);
    /* The readout is not trained. */
    uint8_t *mask = malloc(net.n_params);
    lsnn_net_trainable_mask(&net, mask);
    for (size_t k = (size_t)(net.w_out - net.params); k < (size_t)(net.b_out - net.params) + NOUT; k++)
        assert_int_equal(mask[k], 0);
    free(mask);

    lsnn_batch b;
    fill_batch(&b, LSNN_LOSS_RATE_MSE);
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, NULL);
    lsnn_real *y = malloc(sizeof(lsnn_real) * B * T * NOUT);
    lsnn_trace tr = {0};
    trace_alloc(&tr, net.n);
    assert_int_equal(lsnn_sim_forward(sim, &net, &b, y, NULL, &tr), LSNN_OK);
    int spikes = 0;
    for (int k = 0; k < NOUT; k++) {
        double count = 0, mean = 0;
        for (int t = T0; t < T; t++) {
            for (int j = 4 + k * G; j < 4 + (k + 1) * G; j++)
                count += tr.z[t * net.n + j];
            mean += y[t * NOUT + k];
        }
        mean /= T - T0;
        spikes += (int)count;
        check_near(mean, count * 1000.0 / ((T - T0) * G), 1e-9);
    }
    printf("output spikes in the window: %d\n", spikes);
    check_gt(spikes, 3); /* the check means something */
    trace_free(&tr);
    free(y);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

/* The loss the trainer minimises: the task loss plus the rate regularisation of the first nr
 * (hidden) neurons; its dL/dz into gz when given. */
static double full_loss(lsnn_net *net, lsnn_sim *sim, lsnn_batch *b, int nr, lsnn_real *gy,
                        lsnn_real *gz)
{
    lsnn_real *y = malloc(sizeof(lsnn_real) * B * T * NOUT);
    double *count = malloc(sizeof(double) * net->n);
    assert_int_equal(lsnn_sim_forward(sim, net, b, y, count, NULL), LSNN_OK);
    lsnn_loss_result r;
    assert_int_equal(lsnn_loss_compute(b, y, gy, &r), LSNN_OK);
    lsnn_real gzr[16];
    double reg = nr > 0 ? lsnn_rate_reg(count, nr, B, T, 1.0, 50.0, 0.7, gzr) : 0;
    if (gz)
        for (int j = 0; j < net->n; j++)
            gz[j] = j < nr ? gzr[j] : 0;
    free(y);
    free(count);
    return r.loss + reg;
}

/* The BPTT gradient grad of every trained projection against central finite differences of
 * full_loss (relative error per tensor < 1e-4). */
static void check_grad(lsnn_net *net, lsnn_sim *sim, lsnn_batch *b, int nr, const lsnn_real *grad,
                       const char *label)
{
    const double eps = 1e-6;
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        if (pr->frozen)
            continue;
        double num = 0, den = 0;
        for (size_t k = 0; k < (size_t)pr->n_src * pr->n_dst; k++) {
            lsnn_real keep = pr->w[k];
            pr->w[k] = keep + eps;
            double lp = full_loss(net, sim, b, nr, NULL, NULL);
            pr->w[k] = keep - eps;
            double lm = full_loss(net, sim, b, nr, NULL, NULL);
            pr->w[k] = keep;
            double fd = (lp - lm) / (2 * eps), g = grad[pr->w - net->params + k];
            num += (g - fd) * (g - fd);
            den += fd * fd;
        }
        double rel = sqrt(num) / (sqrt(den) + 1e-300);
        printf("[%s] %-6s |grad| %.4e  relative error %.2e\n", label, pr->name, sqrt(den), rel);
        check_gt(den, 0);
        check_lt(rel, 1e-4);
    }
}

static void gradcheck(lsnn_loss_kind kind)
{
    lsnn_net net;
    rate_net(&net, 6.0);
    net.smooth = 1;
    lsnn_batch b;
    fill_batch(&b, kind);
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, NULL);
    const int nr = net.n - NOUT * G;
    lsnn_real *gy = malloc(sizeof(lsnn_real) * B * T * NOUT);
    lsnn_real *gz = malloc(sizeof(lsnn_real) * net.n);
    lsnn_real *grad = malloc(sizeof(lsnn_real) * net.n_params);
    full_loss(&net, sim, &b, nr, gy, gz);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &b, gy, gz, grad), LSNN_OK);
    check_grad(&net, sim, &b, nr, grad, kind == LSNN_LOSS_RATE_MSE ? "rate MSE" : "rate hinge");
    free(gy);
    free(gz);
    free(grad);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

static void test_gradcheck_rate_mse(void **state)
{
    (void)state;
    gradcheck(LSNN_LOSS_RATE_MSE);
}

static void test_gradcheck_rate_hinge(void **state)
{
    (void)state;
    gradcheck(LSNN_LOSS_RATE_HINGE);
}

/* dL/dy (gy) of the batch's loss against central finite differences. */
static void check_dy(const lsnn_batch *b, lsnn_real *y, const lsnn_real *gy, int ny)
{
    for (int i = 0; i < ny; i++) {
        lsnn_real keep = y[i];
        lsnn_loss_result rp, rm;
        y[i] = keep + 1e-3;
        assert_int_equal(lsnn_loss_compute(b, y, NULL, &rp), LSNN_OK);
        y[i] = keep - 1e-3;
        assert_int_equal(lsnn_loss_compute(b, y, NULL, &rm), LSNN_OK);
        y[i] = keep;
        check_near((rp.loss - rm.loss) / 2e-3, gy[i], 1e-8);
    }
}

/* Values by hand, and dL/dy against finite differences, of both losses. */
static void test_losses_by_hand(void **state)
{
    (void)state;
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, 2, 4, 1, 2, LSNN_LOSS_RATE_MSE, 1), LSNN_OK);
    /* sequence 0: window [1, 3) averages y to (10, 30); sequence 1: [0, 4) to (5, 1) */
    lsnn_real y[16] = {99, 99, 5, 20, 15, 40, 99, 99, 8, 0, 2, 2, 5, 1, 5, 1};
    b.n_windows[0] = b.n_windows[1] = 1;
    b.windows[0] = (lsnn_window){1, 3, 1};
    b.windows[1] = (lsnn_window){0, 4, 1};
    lsnn_real tg[4] = {20, 30, 0, 4};
    memcpy(b.w_target, tg, sizeof tg);
    lsnn_real gy[16];
    lsnn_loss_result r;
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);
    /* window 0: 1/2 (100 + 0) = 50; window 1: 1/2 (25 + 9) = 17; mean 33.5 */
    check_near(r.loss, 33.5, 1e-12);
    assert_int_equal(r.total, 2);
    assert_int_equal(r.correct, 1); /* arg-max (10, 30) = 1 is right, (5, 1) = 0 is wrong */
    check_dy(&b, y, gy, 16);
    b.loss = LSNN_LOSS_RATE_HINGE;
    b.rate_zero = 20;
    b.rate_one = 50;
    lsnn_real tk[4] = {0, 1, 1, 0};
    memcpy(b.w_target, tk, sizeof tk);
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);
    /* window 0: out (10, 30): 0 + (50 - 30) = 20, wrong only in the margin: 30 > 20 counts as a
     * one; window 1: out (5, 1): (50 - 5) + 0 = 45, wrong (5 <= 20 for a one). Mean 32.5. */
    check_near(r.loss, 32.5, 1e-12);
    assert_int_equal(r.correct, 1);
    check_dy(&b, y, gy, 16);
    lsnn_batch_free(&b);
}

/* A batch of the task named in cfg. */
static void task_batch(const lsnn_config *cfg, int nb, uint64_t first, lsnn_batch *b, void **st)
{
    const lsnn_task *task = lsnn_task_find(cfg->task);
    assert_non_null(task);
    lsnn_task_shape sh;
    assert_int_equal(task->shape(cfg, &sh), LSNN_OK);
    assert_int_equal(lsnn_batch_init(b, nb, sh.T, sh.n_in, sh.n_out, sh.loss, sh.max_windows),
                     LSNN_OK);
    if (!*st)
        assert_int_equal(task->open(cfg, st), LSNN_OK);
    assert_int_equal(task->generate(*st, cfg, cfg->seed, LSNN_STREAM_TRAIN, first, b), LSNN_OK);
}

static void module_cfg(lsnn_config *cfg, const char *task, const char *mapping, int n_in,
                       int n_out)
{
    lsnn_config_defaults(cfg);
    snprintf(cfg->task, sizeof cfg->task, "%s", task);
    snprintf(cfg->module.mapping, sizeof cfg->module.mapping, "%s", mapping);
    snprintf(cfg->network.readout, sizeof cfg->network.readout, "rate");
    cfg->module.n_in = n_in;
    cfg->module.n_out = n_out;
    cfg->module.rate_scale = 100;
    cfg->module.k = 2;
    assert_int_equal(lsnn_config_validate(cfg, "test"), LSNN_OK);
}

static void test_softmax_batches(void **state)
{
    (void)state;
    const char *maps[] = {"identity", "random", "signed"};
    const int nin[] = {4, 6, 8};
    for (int mi = 0; mi < 3; mi++) {
        lsnn_config cfg;
        module_cfg(&cfg, "softmax", maps[mi], nin[mi], 4);
        const lsnn_task *task = lsnn_task_find("softmax");
        void *st = NULL;
        lsnn_batch b, b2;
        task_batch(&cfg, 64, 0, &b, &st);
        const int Gi = cfg.module.group_size, Tn = cfg.module.steps;
        double rate_err = 0;
        int rate_n = 0;
        for (int s = 0; s < b.B; s++) {
            assert_int_equal(b.n_windows[s], 1);
            assert_int_equal(b.windows[s].t0, cfg.module.t_init);
            assert_int_equal(b.windows[s].t1, Tn);
            const lsnn_real *tg = b.w_target + (size_t)s * 4;
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 4; k++) {
                sum += tg[k];
                check_gt(tg[k], 0);
                best = tg[k] > tg[best] ? k : best;
            }
            check_near(sum, 100.0, 1e-9); /* rate_scale softmax: sums to rate_scale */
            assert_int_equal(b.windows[s].label, best);
            /* Each input group fires like a Poisson process at rate_scale x, x the same for
             * the group; the "identity" and "signed" targets follow from those rates. */
            double xr[8];
            for (int m = 0; m < nin[mi]; m++) {
                double c = 0;
                for (int t = 0; t < Tn; t++)
                    for (int i = 0; i < Gi; i++)
                        c += b.x[((size_t)s * Tn + t) * b.n_in + m * Gi + i];
                xr[m] = c / (Tn * Gi); /* spikes per step: about min(1, 0.1 x) */
            }
            if (mi != 1) {
                double a[4], mx = -1e300, z = 0;
                for (int k = 0; k < 4; k++) {
                    a[k] = mi == 0 ? xr[k] * 10 : (xr[2 * k] - xr[2 * k + 1]) * 10;
                    mx = a[k] > mx ? a[k] : mx;
                }
                for (int k = 0; k < 4; k++)
                    z += exp(a[k] - mx);
                for (int k = 0; k < 4; k++)
                    if (xr[k] < 0.9 && (mi == 0 || xr[2 * k + 1] < 0.9)) {
                        rate_err += fabs(100 * exp(a[k] - mx) / z - tg[k]);
                        rate_n++;
                    }
            }
        }
        if (mi != 1) /* estimated from 3000 Bernoulli draws per value: a loose but real check */
            check_lt(rate_err / rate_n, 8.0);
        /* Sequence s does not depend on the batch it is generated in. */
        task_batch(&cfg, 2, 5, &b2, &st);
        assert_memory_equal(b2.x, b.x + (size_t)5 * Tn * b.n_in,
                            sizeof(lsnn_real) * 2 * Tn * b.n_in);
        assert_memory_equal(b2.w_target, b.w_target + 5 * 4, sizeof(lsnn_real) * 2 * 4);
        lsnn_batch_free(&b2);
        lsnn_batch_free(&b);
        task->close(st);
    }
}

static void test_kwta_batches(void **state)
{
    (void)state;
    lsnn_config cfg;
    module_cfg(&cfg, "kwta", "identity", 5, 5);
    void *st = NULL;
    lsnn_batch b;
    task_batch(&cfg, 200, 0, &b, &st);
    assert_int_equal(b.loss, LSNN_LOSS_RATE_HINGE);
    const int Tn = cfg.module.steps, Gi = cfg.module.group_size;
    int agree = 0;
    for (int s = 0; s < b.B; s++) {
        const lsnn_real *tg = b.w_target + (size_t)s * 5;
        int ones = 0;
        double cnt[5];
        for (int k = 0; k < 5; k++) {
            ones += tg[k] == 1;
            assert_true(tg[k] == 0 || tg[k] == 1);
            cnt[k] = 0;
            for (int t = 0; t < Tn; t++)
                for (int i = 0; i < Gi; i++)
                    cnt[k] += b.x[((size_t)s * Tn + t) * b.n_in + k * Gi + i];
        }
        assert_int_equal(ones, 2);
        /* The winners are the groups that fire most, as a rule (the counts are noisy). */
        int w1 = 0;
        for (int k = 1; k < 5; k++)
            w1 = cnt[k] > cnt[w1] ? k : w1;
        agree += tg[w1] == 1;
        assert_int_equal(tg[b.windows[s].label], 1);
    }
    check_gt(agree, 190);
    lsnn_batch_free(&b);
    lsnn_task_find("kwta")->close(st);
}

static void test_config_errors(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.task, sizeof cfg.task, "softmax");
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_ERR_CONFIG); /* linear readout */
    assert_non_null(strstr(lsnn_last_error(), "network.readout"));
    snprintf(cfg.network.readout, sizeof cfg.network.readout, "rate");
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_OK);
    cfg.module.n_in = 5;
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "module.n_in"));
    snprintf(cfg.module.mapping, sizeof cfg.module.mapping, "signed");
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_ERR_CONFIG);
    cfg.module.n_in = 8;
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_OK);
    cfg.module.t_init = cfg.module.steps;
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "module.t_init"));
    lsnn_config_defaults(&cfg);
    snprintf(cfg.loss.rate_reg_neurons, sizeof cfg.loss.rate_reg_neurons, "hidden");
    assert_int_equal(lsnn_config_validate(&cfg, "t.json"), LSNN_ERR_CONFIG);
    /* Output groups that do not fit in the network. */
    lsnn_net net;
    lsnn_network_config nc = cfg.network;
    snprintf(nc.readout, sizeof nc.readout, "rate");
    nc.n_regular = 10;
    nc.n_adaptive = 0;
    nc.rate_group = 3;
    assert_int_equal(lsnn_net_init(&net, &nc, 4, 4, 1), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "network.rate_group"));
}

/* A module (4 input channels, 8 LIF neurons, 2 output groups of 2) embedded after an LSNN of
 * 3 LIF + 3 ALIF neurons reading NIN inputs. */
static void embedded_net(lsnn_net *mod, lsnn_net *net, double w0)
{
    lsnn_network_config mc = small_cfg(8, 0, 12, 0.3, 1, 6, 1);
    assert_int_equal(lsnn_net_init(mod, &mc, 4, NOUT, 21), LSNN_OK);
    lsnn_network_config nc = small_cfg(3, 3, 8, 1.0, 2, w0, 0);
    assert_int_equal(lsnn_net_init_embedded(net, &nc, NIN, 5, mod), LSNN_OK);
}

static void test_embedded_structure(void **state)
{
    (void)state;
    lsnn_net mod, net;
    embedded_net(&mod, &net, 6.0);
    assert_int_equal(net.n, 6 + 4 + 8);
    assert_int_equal(net.n_out, NOUT);
    assert_int_equal(net.n_layers, 3);
    assert_int_equal(net.rate_group, G);
    const lsnn_population *pi = &net.pop[net.n_pop - 2], *pm = &net.pop[net.n_pop - 1];
    assert_string_equal(pi->name, "M_in");
    assert_int_equal(pi->off, 6);
    assert_int_equal(pi->count, 4);
    assert_string_equal(pm->name, "M");
    assert_int_equal(pm->off, 10);
    assert_int_equal(pm->count, 8);
    const lsnn_projection *pin = &net.proj[net.n_proj - 2], *prec = &net.proj[net.n_proj - 1];
    assert_true(pin->frozen && prec->frozen && !net.proj[net.n_proj - 3].frozen);
    assert_memory_equal(pin->w, mod.proj[0].w, sizeof(lsnn_real) * 4 * 8);
    assert_memory_equal(prec->w, mod.proj[1].w, sizeof(lsnn_real) * 8 * 8);
    for (int i = 0; i < 8; i++) {
        check_eq(*lsnn_net_param(&net, 10 + i, "tau_m"), *lsnn_net_param(&mod, i, "tau_m"));
        check_eq(*lsnn_net_param(&net, 10 + i, "b0"), *lsnn_net_param(&mod, i, "b0"));
        check_eq(*lsnn_net_param(&net, 10 + i, "refractory"),
                 *lsnn_net_param(&mod, i, "refractory"));
    }
    for (int j = 6; j < 10; j++) { /* M_in: LIF neurons of the LSNN's config */
        check_eq(*lsnn_net_param(&net, j, "beta"), 0);
        check_eq(*lsnn_net_param(&net, j, "tau_m"), 8);
        check_eq(*lsnn_net_param(&net, j, "b0"), 1.0);
    }
    { /* ... or of the module's first neuron */
        lsnn_net alt;
        lsnn_network_config ac = small_cfg(3, 3, 8, 1.0, 2, 6.0, 0);
        snprintf(ac.module_input, sizeof ac.module_input, "module");
        assert_int_equal(lsnn_net_init_embedded(&alt, &ac, NIN, 5, &mod), LSNN_OK);
        for (int j = 6; j < 10; j++)
            assert_true(*lsnn_net_param(&alt, j, "beta") == 0 &&
                        *lsnn_net_param(&alt, j, "tau_m") == 12 &&
                        *lsnn_net_param(&alt, j, "b0") == (lsnn_real)0.3 &&
                        *lsnn_net_param(&alt, j, "refractory") == 1);
        check_eq(*lsnn_net_param(&alt, 5, "b0"), 1.0);
        check_eq(*lsnn_net_param(&alt, 5, "refractory"), 2); /* the LSNN's own */
        lsnn_net_free(&alt);
    }
    uint8_t *mask = malloc(net.n_params);
    lsnn_net_trainable_mask(&net, mask);
    for (size_t k = 0; k < net.n_params; k++) {
        const lsnn_real *p = net.params + k;
        int in_frozen = (p >= pin->w && p < pin->w + 32) || (p >= prec->w && p < prec->w + 64) ||
                        p >= net.w_out;
        if (in_frozen && p < net.noise_std)
            assert_int_equal(mask[k], 0);
    }
    free(mask);
    /* A module must be dense, one layer, with the rate readout. */
    lsnn_net bad, plain;
    lsnn_network_config nc = small_cfg(4, 0, 10, 1.0, 0, 1, 0);
    assert_int_equal(lsnn_net_init(&plain, &nc, 3, 2, 1), LSNN_OK);
    assert_int_equal(lsnn_net_init_embedded(&bad, &nc, NIN, 1, &plain), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "network.module"));
    lsnn_net_free(&plain);
    lsnn_net_free(&net);
    lsnn_net_free(&mod);
}

/* An embedded network (embedded_net) with a batch of fill_batch and its workspace. */
typedef struct emb_fixture {
    lsnn_net mod, net;
    lsnn_batch b;
    lsnn_sim *sim;
} emb_fixture;

static void emb_setup(emb_fixture *f, double w0, int smooth)
{
    embedded_net(&f->mod, &f->net, w0);
    f->net.smooth = smooth;
    fill_batch(&f->b, LSNN_LOSS_RATE_MSE);
    f->sim = lsnn_sim_create(&f->net, B, T, NULL);
    assert_non_null(f->sim);
}

static void emb_teardown(emb_fixture *f)
{
    lsnn_sim_free(f->sim);
    lsnn_batch_free(&f->b);
    lsnn_net_free(&f->net);
    lsnn_net_free(&f->mod);
}

/* The embedded module, fed by M_in's spikes, does exactly what the module alone does with those
 * spikes as its input channels: same spikes, same rates. */
static void test_embedded_equals_module(void **state)
{
    (void)state;
    emb_fixture f;
    emb_setup(&f, 20.0, 0);
    lsnn_net *net = &f.net, *mod = &f.mod;
    lsnn_real *y = malloc(sizeof(lsnn_real) * B * T * NOUT);
    lsnn_trace tr = {0};
    trace_alloc(&tr, net->n);
    assert_int_equal(lsnn_sim_forward(f.sim, net, &f.b, y, NULL, &tr), LSNN_OK);
    lsnn_batch mb;
    assert_int_equal(lsnn_batch_init(&mb, 1, T, 4, NOUT, LSNN_LOSS_RATE_MSE, 1), LSNN_OK);
    int in_spikes = 0, mod_spikes = 0;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < 4; i++)
            in_spikes += (int)(mb.x[t * 4 + i] = tr.z[t * net->n + 6 + i]);
    lsnn_sim *ms = lsnn_sim_create(mod, 1, T, NULL);
    lsnn_real *my = malloc(sizeof(lsnn_real) * T * NOUT);
    lsnn_trace mt = {0};
    trace_alloc(&mt, mod->n);
    assert_int_equal(lsnn_sim_forward(ms, mod, &mb, my, NULL, &mt), LSNN_OK);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < 8; i++) {
            check_eq(mt.z[t * 8 + i], tr.z[t * net->n + 10 + i]);
            check_eq(mt.v[t * 8 + i], tr.v[t * net->n + 10 + i]);
            mod_spikes += (int)mt.z[t * 8 + i];
        }
    assert_memory_equal(my, y, sizeof(lsnn_real) * T * NOUT); /* sequence 0 */
    printf("M_in spikes %d, module spikes %d\n", in_spikes, mod_spikes);
    check_gt(in_spikes, 5);
    check_gt(mod_spikes, 5);
    trace_free(&mt);
    free(my);
    lsnn_sim_free(ms);
    lsnn_batch_free(&mb);
    trace_free(&tr);
    free(y);
    emb_teardown(&f);
}

/* BPTT through the frozen module into the trained projections, against finite differences. */
static void test_embedded_gradcheck(void **state)
{
    (void)state;
    emb_fixture f;
    emb_setup(&f, 6.0, 1);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * B * T * NOUT);
    lsnn_real *gz = malloc(sizeof(lsnn_real) * f.net.n);
    lsnn_real *grad = malloc(sizeof(lsnn_real) * f.net.n_params);
    full_loss(&f.net, f.sim, &f.b, 0, gy, gz);
    assert_int_equal(lsnn_bptt_backward(f.sim, &f.net, &f.b, gy, gz, grad), LSNN_OK);
    check_grad(&f.net, f.sim, &f.b, 0, grad, "embedded");
    free(gy);
    free(gz);
    free(grad);
    emb_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_readout_counts_spikes),
        cmocka_unit_test(test_gradcheck_rate_mse),
        cmocka_unit_test(test_gradcheck_rate_hinge),
        cmocka_unit_test(test_losses_by_hand),
        cmocka_unit_test(test_softmax_batches),
        cmocka_unit_test(test_kwta_batches),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_embedded_structure),
        cmocka_unit_test(test_embedded_equals_module),
        cmocka_unit_test(test_embedded_gradcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The AVX2 variants of the hot loops (src/core/simd.h: the ALIF step, replay and adjoint, the
 * sparse synapse adjoint and the readout adjoint) against the baseline (SSE2) code, in one
 * process: lsnn__simd_force_baseline switches every variant chosen through lsnn__have_avx2().
 * Forward + BPTT (full and cut, with and without the recorded potentials, i.e. the models'
 * replay), and e-prop, on dense and sparse kernels (lsnn_net_set_sparse): spikes, readout and
 * gradients must be bit-identical between the two codes; dense and sparse agree as
 * tests/test_sparse.c defines it (identical spikes and readout, gradients within 1e-6 of the
 * tensor's largest). One batch is large enough for chunks of more than 32 sequences (both block
 * paths of the sparse AVX2 adjoint) and the network has a neuron count that leaves a scalar tail
 * in the readout adjoint. (e-prop's own target_clones kernel in src/learn/eprop.c is chosen at
 * load time and runs its AVX2 code in both runs.) Without AVX2 (or with LSNN_NO_SIMD_DISPATCH)
 * both runs take the baseline code, and the test says so. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "core/simd.h"
#include "lsnn/neuron_alif.h"
#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/sparse.h"
#include "test_batch.h"

/* Sequences per chunk of the BPTT workspaces (0: lsnn_chunk_size). */
static int g_chunk = 0;

enum { N_IN = 10, N_OUT = 3, T = 50 };
#define GRAD_TOL 1e-6

enum learn { BPTT, BPTT_CUT, BPTT_RECORDS, EPROP, N_LEARN };
static const char *const learn_name[N_LEARN] = {"BPTT", "cut BPTT", "BPTT with records",
                                                "e-prop"};

/* Whether the CPU runs the AVX2 variants when the baseline is not forced. */
static int cpu_avx2(void)
{
#if LSNN_X86_DISPATCH
    return __builtin_cpu_supports("avx2") != 0;
#else
    return 0;
#endif
}

typedef struct result {
    lsnn_real *y, *grad;
    double *count;
} result;

static void run(lsnn_net *net, const lsnn_batch *b, lsnn_sparse_mode mode, enum learn learn,
                int baseline, result *r)
{
    const int B = b->B;
    lsnn__simd_force_baseline(baseline);
    check_eq(lsnn__have_avx2(), baseline ? 0 : cpu_avx2());
    lsnn_net_set_sparse(net, mode);
    const size_t ny = (size_t)B * T * N_OUT;
    r->y = malloc(sizeof(lsnn_real) * ny);
    r->grad = malloc(sizeof(lsnn_real) * net->n_params);
    r->count = malloc(sizeof(double) * net->n);
    assert_non_null(r->y);
    assert_non_null(r->grad);
    assert_non_null(r->count);
    lsnn_status st;
    if (learn == EPROP) {
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
    } else {
        lsnn_sim *sim = lsnn_sim_create_chunked(net, B, T, g_chunk, &st);
        assert_non_null(sim);
        lsnn_sim_set_cut_recurrent(sim, learn == BPTT_CUT);
        if (learn == BPTT_RECORDS)
            assert_int_equal(lsnn_sim_enable_records(sim, net, (size_t)1 << 30), 1);
        assert_int_equal(test_forward_backward(sim, net, b, 7, r->y, r->count, r->grad), 0);
        lsnn_sim_free(sim);
    }
    lsnn__simd_force_baseline(0);
}

static void result_free(result *r)
{
    free(r->y);
    free(r->grad);
    free(r->count);
}

/* a and b bit-identical; otherwise the first difference, both values and the number of
 * differing entries. */
static void check_identical(const char *what, const void *a, const void *b, size_t n,
                            size_t size)
{
    if (memcmp(a, b, n * size) == 0)
        return;
    size_t first = n, diff = 0;
    for (size_t k = 0; k < n; k++)
        if (memcmp((const char *)a + k * size, (const char *)b + k * size, size) != 0) {
            first = first < n ? first : k;
            diff++;
        }
    double va = size == sizeof(double) ? ((const double *)a)[first]
                                       : (double)((const lsnn_real *)a)[first];
    double vb = size == sizeof(double) ? ((const double *)b)[first]
                                       : (double)((const lsnn_real *)b)[first];
    fail_msg("%s: %zu of %zu entries differ, first at %zu: %.9g vs %.9g", what, diff, n, first, va,
             vb);
}

/* max |a - b| / max |b| over the trainable entries of [off, off + len) (the dense kernels also
 * compute gradients for absent synapses, which the sparse ones leave at zero). */
static double rel_err(const lsnn_real *a, const lsnn_real *b, size_t off, size_t len,
                      const uint8_t *trainable)
{
    double num = 0, den = 0;
    for (size_t k = off; k < off + len; k++) {
        if (!trainable[k])
            continue;
        num = fmax(num, fabs((double)a[k] - (double)b[k]));
        den = fmax(den, fabs((double)b[k]));
    }
    return den > 0 ? num / den : num;
}

static void check_network(lsnn_net *net, const lsnn_batch *b, const char *label)
{
    const int B = b->B;
    const size_t ny = (size_t)B * T * N_OUT;
    for (int learn = 0; learn < N_LEARN; learn++) {
        result r[2][2]; /* [sparse][baseline] */
        for (int sp = 0; sp < 2; sp++)
            for (int base = 0; base < 2; base++)
                run(net, b, sp ? LSNN_SPARSE_ON : LSNN_SPARSE_OFF, (enum learn)learn, base,
                    &r[sp][base]);
        char what[256];
        for (int sp = 0; sp < 2; sp++) {
            const char *kern = sp ? "sparse" : "dense";
            snprintf(what, sizeof what, "%s, %s, %s: AVX2 vs baseline spike counts", label,
                     learn_name[learn], kern);
            check_identical(what, r[sp][0].count, r[sp][1].count, (size_t)net->n, sizeof(double));
            snprintf(what, sizeof what, "%s, %s, %s: AVX2 vs baseline readout", label,
                     learn_name[learn], kern);
            check_identical(what, r[sp][0].y, r[sp][1].y, ny, sizeof(lsnn_real));
            snprintf(what, sizeof what, "%s, %s, %s: AVX2 vs baseline gradient", label,
                     learn_name[learn], kern);
            check_identical(what, r[sp][0].grad, r[sp][1].grad, net->n_params,
                            sizeof(lsnn_real));
        }
        /* Dense vs sparse (test_sparse.c): identical forward, gradients to rounding. */
        double spikes = 0;
        for (int j = 0; j < net->n; j++)
            spikes += r[0][0].count[j];
        check_gt(spikes, 0.01 * B * T * net->n);
        check_lt(spikes, 0.5 * B * T * net->n);
        snprintf(what, sizeof what, "%s, %s: dense vs sparse spike counts", label,
                 learn_name[learn]);
        check_identical(what, r[0][0].count, r[1][0].count, (size_t)net->n, sizeof(double));
        snprintf(what, sizeof what, "%s, %s: dense vs sparse readout", label, learn_name[learn]);
        check_identical(what, r[0][0].y, r[1][0].y, ny, sizeof(lsnn_real));
        uint8_t *trainable = malloc(net->n_params);
        assert_non_null(trainable);
        lsnn_net_trainable_mask(net, trainable);
        double worst = 0;
        for (int p = 0; p < net->n_proj; p++) {
            const lsnn_projection *pr = &net->proj[p];
            const size_t len = (size_t)pr->n_src * pr->n_dst;
            double e = rel_err(r[1][0].grad, r[0][0].grad, pr->param_off, len, trainable);
            if (!(e <= GRAD_TOL))
                fail_msg("%s, %s, %s: dense vs sparse relative gradient error %.3g > %.0e", label,
                         learn_name[learn], pr->name, e, GRAD_TOL);
            worst = fmax(worst, e);
            for (size_t k = pr->param_off; pr->mask && k < pr->param_off + len; k++)
                if (!trainable[k] && r[1][0].grad[k] != 0)
                    fail_msg("%s, %s, %s: sparse gradient %.9g of absent synapse %zu", label,
                             learn_name[learn], pr->name, (double)r[1][0].grad[k],
                             k - pr->param_off);
        }
        const size_t off_out = (size_t)(net->w_out - net->params);
        double e = rel_err(r[1][0].grad, r[0][0].grad, off_out, net->n_params - off_out,
                           trainable);
        if (!(e <= GRAD_TOL))
            fail_msg("%s, %s, readout and noise: dense vs sparse relative gradient error %.3g > "
                     "%.0e",
                     label, learn_name[learn], e, GRAD_TOL);
        worst = fmax(worst, e);
        double gmax = 0;
        for (size_t k = 0; k < net->n_params; k++)
            gmax = fmax(gmax, fabs((double)r[0][0].grad[k]));
        check_gt(gmax, 0);
        free(trainable);
        printf("%-34s %-17s spikes/neuron-step %.3f  dense vs sparse gradients %.2e\n", label,
               learn_name[learn], spikes / ((double)B * T * net->n), worst);
        for (int sp = 0; sp < 2; sp++)
            for (int base = 0; base < 2; base++)
                result_free(&r[sp][base]);
    }
}

/* A signed network of 25 LIF + 16 ALIF neurons per layer (41: the readout adjoint's blocks of
 * 16, one vector of 8 and a scalar tail), masked at connectivity `conn` (1: no masks). hetero:
 * per-neuron time constants, so the ALIF loops take their per-neuron-constant variant. */
static void check_config(int B, double conn, int layers, int max_delay, int hetero)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.network.n_regular = 25;
    cfg.network.n_adaptive = 16;
    cfg.network.layers = layers;
    cfg.network.max_delay = max_delay;
    cfg.network.connectivity = conn;
    cfg.network.global_connectivity = 0;
    cfg.network.noise_std = 0.002;
    cfg.network.w0 = 1.5;
    snprintf(cfg.network.init, sizeof cfg.network.init, "signed");
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, 3), LSNN_OK);
    if (hetero) {
        for (int j = 0; j < net.n; j++) {
            *lsnn_net_param(&net, j, "tau_m") = (lsnn_real)(16 + 2 * (j % 5));
            *lsnn_net_param(&net, j, "tau_a") = (lsnn_real)(400 + 100 * (j % 3));
        }
        lsnn_net_update_constants(&net);
    }
    for (int p = 0; p < net.n_pop; p++) {
        const lsnn_population *po = &net.pop[p];
        check_eq(((const lsnn_alif_consts *)po->consts)->run_end[0] >= po->count, !hetero);
    }
    for (int p = 0; p < net.n_proj; p++)
        check_eq(net.proj[p].mask != NULL, conn < 1);
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    test_fill_batch(&b, 17, 20, 1234);
    char label[128];
    snprintf(label, sizeof label, "B %d, conn %.2f, %d layer(s), delay %d%s", B, conn, layers,
             max_delay, hetero ? ", per-neuron" : "");
    check_network(&net, &b, label);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

static void test_one_layer(void **state)
{
    (void)state;
    /* 264 sequences: chunks of 34 (lsnn_chunk_size) and a last one of 26, so that the sparse
     * AVX2 adjoint runs both its two-block and its one-block loop; 40: chunks of 16 and 8. */
    check_config(264, 0.12, 1, 3, 0);
    check_config(40, 1, 1, 1, 0);
    /* Dense with delays: the adjoint from the transposed dL/dI, chunks of 16 (blocks) and a last
     * one of 8 (one register, four sources at a time and a tail of 41 = 4 * 10 + 1). */
    check_config(40, 1, 1, 3, 0);
    /* The same in chunks of 5 and 8 and a last one of 3 (delays 1..3 and 1..9): the adjoint by
     * permutation (lsnn__dl_adjoint_perm; at most 8 delays), and the general one beyond. */
    g_chunk = 5;
    check_config(13, 1, 1, 3, 0);
    /* Sparse in chunks of 5 and a last one of 3: the sparse adjoint's one-register kernel (four
     * sources at a time over their common length, then each alone, and a tail of sources). */
    check_config(13, 0.12, 1, 3, 0);
    check_config(13, 0.3, 1, 1, 1);
    g_chunk = 8;
    check_config(19, 1, 1, 9, 0);
    check_config(19, 1, 1, 8, 1);
    g_chunk = 0;
}

static void test_two_layers(void **state)
{
    (void)state;
    check_config(40, 0.12, 2, 1, 0);
}

static void test_per_neuron_constants(void **state)
{
    (void)state;
    check_config(40, 0.3, 1, 2, 1);
}

/* The switch itself. */
static void test_switch(void **state)
{
    (void)state;
    const int cpu = cpu_avx2();
    if (!cpu)
        printf("note: %s: both runs of every comparison take the baseline code\n",
               LSNN_X86_DISPATCH ? "this CPU has no AVX2" : "built without SIMD dispatch");
    check_eq(lsnn__have_avx2(), cpu);
    lsnn__simd_force_baseline(1);
    check_eq(lsnn__have_avx2(), 0);
    lsnn__simd_force_baseline(0);
    check_eq(lsnn__have_avx2(), cpu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_one_layer),
        cmocka_unit_test(test_two_layers),
        cmocka_unit_test(test_per_neuron_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

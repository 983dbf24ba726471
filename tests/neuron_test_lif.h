/* A neuron model that exists only in the tests: a LIF neuron with its own parameter names
 * (tau, theta), written as docs/ARCHITECTURE.md's recipe "add a neuron model" says: this one file,
 * plus one registration (lsnn_neuron_model_register(&test_lif_model) in the test; a built-in
 * model's line goes in src/neuron/registry.c instead). Nothing outside this file knows its
 * equations:
 *   v(t) = alpha v(t-1) + I(t) - theta z(t-1),   alpha = exp(-dt / tau)
 *   z(t) = H(v(t) - theta), pseudo-derivative gamma max(0, 1 - |v - theta| / theta) / theta.
 * b is unused (stays 0); no refractoriness. */
#ifndef NEURON_TEST_LIF_H
#define NEURON_TEST_LIF_H

#include <math.h>

#include "lsnn/neuron.h"

typedef struct test_lif_consts {
    lsnn_real *alpha, *theta;
    lsnn_real reset_grad;
} test_lif_consts;

static const lsnn_neuron_param test_lif_params[] = {
    {"tau", "ms", 10, 0, INFINITY, 1, 0, "membrane time constant"},
    {"theta", "", 1, 0, INFINITY, 1, 0, "threshold (and reset)"},
};

#define TEST_LIF_HEAD ((sizeof(test_lif_consts) + 63) & ~(size_t)63)
#define TEST_LIF_ARR(n) ((sizeof(lsnn_real) * (size_t)(n) + 63) & ~(size_t)63)

static size_t test_lif_consts_size(int count)
{
    return TEST_LIF_HEAD + 2 * TEST_LIF_ARR(count);
}

static void test_lif_derive(void *k, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                            lsnn_real *g_in, uint8_t *adaptive)
{
    test_lif_consts *c = k;
    c->alpha = (lsnn_real *)(void *)((char *)k + TEST_LIF_HEAD);
    c->theta = (lsnn_real *)(void *)((char *)k + TEST_LIF_HEAD + TEST_LIF_ARR(count));
    c->reset_grad = o->reset_grad ? 1 : 0;
    for (int j = 0; j < count; j++) {
        c->alpha[j] = (lsnn_real)exp(-o->dt / par[j]);
        c->theta[j] = par[count + j];
        g_in[j] = 1;
        adaptive[j] = 0;
    }
}

static lsnn_real test_lif_psi(const test_lif_consts *c, int j, lsnn_real v, lsnn_real gamma)
{
    lsnn_real x = 1 - fabs(v - c->theta[j]) / c->theta[j];
    return x > 0 ? gamma * x / c->theta[j] : 0;
}

static void test_lif_step(const void *k, int lo, int hi, lsnn_neuron_state *s,
                          const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    const test_lif_consts *c = k;
    for (int j = lo; j < hi; j++) {
        const lsnn_real th = c->theta[j];
        lsnn_real v = c->alpha[j] * s->v[j] + cur[j] - th * s->z[j];
        s->v[j] = v;
        s->b[j] = 0;
        s->ref[j] = 0;
        if (smooth) { /* the integral of the pseudo-derivative */
            lsnn_real x = (v - th) / th;
            lsnn_real tri = x <= -1 ? 0 : x <= 0 ? (x + 1) * (x + 1) / 2 : x < 1 ? 0.5 + x - x * x / 2 : 1;
            s->z[j] = gamma * tri;
        } else {
            s->z[j] = v > th ? 1 : 0;
        }
        if (s->hard)
            s->hard[j] = (uint8_t)(v > th);
    }
}

static void test_lif_backward(const void *k, int lo, int hi, const lsnn_real *v,
                              const lsnn_real *b, const lsnn_real *z, const lsnn_real *ref,
                              const lsnn_real *gz, lsnn_neuron_adjoint *adj, lsnn_real gamma)
{
    const test_lif_consts *c = k;
    (void)b;
    (void)z;
    (void)ref;
    for (int j = lo; j < hi; j++) {
        lsnn_real gzt = gz[j] - c->reset_grad * c->theta[j] * adj->gv[j];
        adj->gv[j] = c->alpha[j] * adj->gv[j] + gzt * test_lif_psi(c, j, v[j], gamma);
        adj->gb[j] = 0;
    }
}

static void test_lif_eligibility(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                                 lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *o)
{
    const test_lif_consts *c = k;
    for (int j = lo; j < hi; j++) {
        lsnn_real psi = test_lif_psi(c, j, s->v[j], gamma);
        o->jvv[j] = c->alpha[j] - (reset_grad ? c->theta[j] * psi : 0);
        o->jva[j] = o->jav[j] = o->jaa[j] = 0;
        o->ev[j] = psi;
        o->ea[j] = 0;
    }
}

static void test_lif_threshold(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                               lsnn_real *thr)
{
    const test_lif_consts *c = k;
    (void)s;
    for (int j = lo; j < hi; j++)
        thr[j] = c->theta[j];
}

static const lsnn_neuron_model test_lif_model = {
    .name = "test_lif",
    .doc = "LIF neuron of the tests (tests/neuron_test_lif.h)",
    .state_doc = "v: membrane potential; b: unused",
    .threshold_doc = "theta",
    .params = test_lif_params,
    .n_params = 2,
    .consts_size = test_lif_consts_size,
    .derive = test_lif_derive,
    .step = test_lif_step,
    .backward_step = test_lif_backward,
    .eligibility = test_lif_eligibility,
    .threshold = test_lif_threshold,
};

#endif

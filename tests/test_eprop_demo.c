/* The single-synapse demonstrations of seed 004 (Figures 2.3, 3.9-3.11): the properties the
 * figures show, checked on the traces lsnn_eprop_synapse_demo computes with the neuron models'
 * own step and eligibility functions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/eprop.h"

static lsnn_synapse_demo demo;

/* Weight change accumulated over [t0, t1). */
static double change(int t0, int t1)
{
    return demo.dw[t1 - 1] - (t0 > 0 ? demo.dw[t0 - 1] : 0);
}

static void check_pattern(void)
{
    /* The teacher makes the neuron fire exactly at the set times, and only then. */
    int spikes = 0;
    for (int t = 0; t < LSNN_DEMO_STEPS; t++)
        spikes += demo.post[t] != 0;
    assert_int_equal(spikes, 2 * LSNN_DEMO_PAIRS);
    for (int r = 0; r < LSNN_DEMO_PAIRS; r++) {
        int tp = LSNN_DEMO_FIRST + LSNN_DEMO_GAP * r;
        check_eq(demo.pre[tp], 1);
        check_eq(demo.post[tp + 6], 1);
        check_eq(demo.post[LSNN_DEMO_HALF + tp], 1);
        check_eq(demo.pre[LSNN_DEMO_HALF + tp + 2], 1);
    }
}

static void test_alif_same_sign(void **state)
{
    (void)state;
    assert_int_equal(lsnn_eprop_synapse_demo("alif", 0, &demo), LSNN_OK);
    check_pattern();
    double a = change(0, LSNN_DEMO_HALF), b = change(LSNN_DEMO_HALF, LSNN_DEMO_STEPS);
    printf("alif: pre->post %+.4f  post->pre %+.4f\n", a, b);
    check_gt(a, 0);
    check_gt(b, 0);
}

static void test_stdp_alif_order(void **state)
{
    (void)state;
    assert_int_equal(lsnn_eprop_synapse_demo("stdp_alif", 0, &demo), LSNN_OK);
    check_pattern();
    double a = change(0, LSNN_DEMO_HALF), b = change(LSNN_DEMO_HALF, LSNN_DEMO_STEPS);
    printf("stdp_alif: pre->post %+.4f  post->pre %+.4f\n", a, b);
    check_gt(a, 0);
    check_lt(b, 0);
    /* The reset at the end of refractoriness erases the eligibility of a pre-synaptic spike
     * that arrived during it: eps_V restarts from zero. */
    int t_end = LSNN_DEMO_HALF + LSNN_DEMO_FIRST + 5 + 1; /* after the 5 refractory steps */
    check_lt(fabs(demo.eps_v[t_end]), 1e-12);
}

static double max_abs(const double *x)
{
    double m = 0;
    for (int t = 0; t < LSNN_DEMO_STEPS; t++)
        m = fmax(m, fabs(x[t]));
    return m;
}

static void test_izhikevich_clipping(void **state)
{
    (void)state;
    assert_int_equal(lsnn_eprop_synapse_demo("izhikevich", 0, &demo), LSNN_OK);
    check_pattern();
    double mv = max_abs(demo.eps_v), ma = max_abs(demo.eps_a);
    printf("izhikevich unclipped: max |eps_v| %.3g  max |eps_a| %.3g\n", mv, ma);
    assert_true(mv > 3 || ma > 0.005);
    assert_int_equal(lsnn_eprop_synapse_demo("izhikevich", 1, &demo), LSNN_OK);
    check_pattern();
    mv = max_abs(demo.eps_v);
    ma = max_abs(demo.eps_a);
    printf("izhikevich clipped:   max |eps_v| %.3g  max |eps_a| %.3g\n", mv, ma);
    check_le(mv, 3);
    check_le(ma, 0.005);
}

static void test_unknown_model(void **state)
{
    (void)state;
    assert_int_equal(lsnn_eprop_synapse_demo("hodgkin", 0, &demo), LSNN_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alif_same_sign),
        cmocka_unit_test(test_stdp_alif_order),
        cmocka_unit_test(test_izhikevich_clipping),
        cmocka_unit_test(test_unknown_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

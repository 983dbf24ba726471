/* The adaptive LSTM converted into adaptive spiking neurons (lsnn/alstm_spiking.h): the spiking
 * carousel's slope under a constant input against the analog carousel's (seed 002 Fig. 3) for
 * each gate signal; a hand-set network's window outputs against its analog outputs; W_CEC's two
 * values; determinism under the seed; parameter errors. The analog side uses the AAN constants
 * that `lsnn asn fit` measures for the default ASN (a = 133, b = -6.447, c = 4.853, d = -1.096),
 * as a converted network must. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/alstm_spiking.h"

static const lsnn_aan_params FIT = {133, -6.447, 4.853, -1.096};

static double h_at(double s_ref)
{
    lsnn_asn_params a;
    lsnn_asn_params_default(&a);
    lsnn_asn_measure m;
    lsnn_asn_measure_default(&m);
    double h;
    assert_int_equal(lsnn_asn_calibrate(&a, &m, s_ref, &h, NULL), LSNN_OK);
    return h;
}

static lsnn_alstm_spiking_params params(int gate_mode, uint64_t seed)
{
    lsnn_alstm_spiking_params p;
    lsnn_asn_params_default(&p.asn);
    p.window_ms = 200;
    p.h = p.h_out = h_at(4.8);
    p.cec_seed = 0;
    p.gate_mode = gate_mode;
    p.seed = seed;
    return p;
}

/* One cell whose gate and input cell have the net input 2 from their biases: the analog carousel
 * grows by iota g = AAN(2)^2 per step; the spiking one, over windows 2..50, by the same within
 * 5% with S-hat* of a deterministic ASN* (the default) and with S*; S-hat* of a stochastic ASN*
 * lags its input by about half the threshold plus the escape noise's margin and falls short. */
static void test_cec_slope(void **state)
{
    (void)state;
    lsnn_alstm_spec s = {1, 0, 1, 1, 0, 1, 0, 1, FIT};
    lsnn_alstm net;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_OK);
    net.w_gate[0] = 0;
    net.w_gate[1] = 2;
    net.w_cin[0] = 0;
    net.w_cin[1] = 2;
    net.w_out[0] = 1;
    const double analog = lsnn_aan(2, &FIT) * lsnn_aan(2, &FIT);
    const int modes[3] = {LSNN_AS_GATE_SHAT_DET, LSNN_AS_GATE_S, LSNN_AS_GATE_SHAT};
    for (int m = 0; m < 3; m++) {
        lsnn_alstm_spiking_params p = params(modes[m], 1);
        lsnn_alstm_spiking sp;
        assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_OK);
        double x = 0, o, cec[200], first = 0, last = 0;
        for (int w = 0; w < 50; w++) {
            lsnn_alstm_spiking_window(&sp, &x, &o, NULL, cec);
            if (w == 1)
                first = cec[199];
            last = cec[199];
        }
        const double slope = (last - first) / 48;
        if (m < 2)
            check_near(slope / analog, 1, 0.05);
        else
            check_lt(slope / analog, 0.7);
        lsnn_alstm_spiking_free(&sp);
    }
    lsnn_alstm_free(&net);
}

/* Three inputs, two hidden units, one cell, two outputs with weights U[-1, 2]: over 8 windows
 * of held inputs the window means of the outputs (about 1.8 to 2.9) follow the analog outputs
 * within 0.1. */
static void test_conversion_handset(void **state)
{
    (void)state;
    lsnn_alstm_spec s = {3, 2, 1, 2, 0, 1, 0, 1, FIT};
    lsnn_alstm net;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_OK);
    lsnn_rng r;
    lsnn_rng_seed(&r, 5);
    for (size_t i = 0; i < net.n_params; i++)
        net.params[i] = 3 * lsnn_rng_uniform(&r) - 1;
    lsnn_alstm_spiking_params p = params(LSNN_AS_GATE_SHAT_DET, 1);
    lsnn_alstm_spiking sp;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_OK);
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&net, &st), LSNN_OK);
    static const double xs[8][3] = {{1, 1, 0}, {0, 1, 1}, {1, 0, 1},   {1, 0, 1},
                                    {0.5, 0, 0.2}, {1, 0, 1}, {0, 1, 0}, {1, 1, 1}};
    for (int t = 0; t < 8; t++) {
        lsnn_alstm_step(&net, &st, xs[t], 1);
        double o[2];
        lsnn_alstm_spiking_window(&sp, xs[t], o, NULL, NULL);
        for (int k = 0; k < 2; k++)
            check_near(o[k], st.o[k], 0.1);
    }
    /* inputs, hidden units and cells fired; a 3-input, 2-hidden, 1-cell network has 9 ASNs */
    check_eq(sp.n_asn, 9);
    check_gt(sp.spikes, 100);
    check_eq(sp.step, 1600);
    /* a reset starts over: the same sequence gives the same outputs */
    double o1[2], o2[2];
    lsnn_alstm_spiking_reset(&sp, 3);
    lsnn_alstm_spiking_window(&sp, xs[0], o1, NULL, NULL);
    lsnn_alstm_spiking_reset(&sp, 3);
    lsnn_alstm_spiking_window(&sp, xs[0], o2, NULL, NULL);
    assert_memory_equal(o1, o2, sizeof o1);
    lsnn_alstm_spiking_reset(&sp, 4); /* another sequence, other spikes */
    lsnn_alstm_spiking_window(&sp, xs[0], o2, NULL, NULL);
    check_ne(o1[0], o2[0]);
    lsnn_alstm_state_free(&st);
    lsnn_alstm_spiking_free(&sp);
    lsnn_alstm_free(&net);
}

static void test_wcec_and_errors(void **state)
{
    (void)state;
    lsnn_alstm_spec s = {1, 0, 1, 1, 0, 1, 0, 1, FIT};
    lsnn_alstm net;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_OK);
    lsnn_alstm_spiking_params p = params(LSNN_AS_GATE_SHAT_DET, 1);
    lsnn_alstm_spiking sp;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_OK);
    check_near(sp.w_cec, 1 / ((1 - exp(-0.1)) * 200), 1e-15); /* 10.51 / 200 */
    check_eq(sp.window, 200);
    lsnn_alstm_spiking_free(&sp);
    p.cec_seed = 1;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_OK);
    check_near(sp.w_cec, 0.05, 1e-15);
    lsnn_alstm_spiking_free(&sp);
    p.cec_seed = 0;
    p.window_ms = 0.5;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_ERR_ARG);
    p.window_ms = 200;
    p.h = 0;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_ERR_ARG);
    p.h = 0.2;
    p.gate_mode = 7;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_ERR_ARG);
    p.gate_mode = 0;
    p.asn.tau_beta = INFINITY;
    assert_int_equal(lsnn_alstm_spiking_create(&sp, &net, &p), LSNN_ERR_ARG);
    lsnn_alstm_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cec_slope),
        cmocka_unit_test(test_conversion_handset),
        cmocka_unit_test(test_wcec_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

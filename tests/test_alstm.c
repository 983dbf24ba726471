/* The adaptive analog LSTM of seed 002 (lsnn/alstm.h): a step computed by hand from the notes'
 * equations; BPTT's gradient against central finite differences of the sequence loss, every
 * parameter; the sum of the truncated RTRL gradients over a sequence equal to BPTT's (cells
 * without recurrent inputs, weights fixed), for the sequence-prediction and the T-maze layout;
 * the network without its cells (sequential construction). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/alstm.h"

static lsnn_alstm_spec spec_of(int n_in, int n_hid, int n_cells, int n_out, int from_in, int norm)
{
    lsnn_alstm_spec s = {n_in, n_hid, n_cells, n_out, from_in, 1, norm, 1, lsnn_aan_published};
    return s;
}

static void make(lsnn_alstm *net, lsnn_alstm_spec s, uint64_t seed, double range)
{
    assert_int_equal(lsnn_alstm_create(net, &s), LSNN_OK);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    lsnn_alstm_init init = {range, NAN, NAN, NAN, NAN};
    lsnn_alstm_init_weights(net, &init, &rng);
}

/* One input, one cell, one output that reads the input and the cell: three steps by hand. */
static void test_step_by_hand(void **state)
{
    (void)state;
    lsnn_alstm net;
    make(&net, spec_of(1, 0, 1, 1, 1, 0), 1, 0.5);
    const lsnn_aan_params *A = &lsnn_aan_published;
    double *wg = net.w_gate, *wc = net.w_cin, *wo = net.w_out;
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&net, &st), LSNN_OK);
    const double xs[3] = {0.3, 1.7, -0.4};
    double s = 0;
    for (int t = 0; t < 3; t++) {
        lsnn_alstm_step(&net, &st, &xs[t], 1);
        double u = lsnn_aan(xs[t], A);
        double iota = lsnn_aan(wg[0] * u + wg[1], A), g = lsnn_aan(wc[0] * u + wc[1], A);
        s += iota * g;
        double y = lsnn_aan(s, A);
        double o = wo[0] * u + wo[1] * y + wo[2];
        check_near(st.s[0], s, 1e-15);
        check_near(st.o[0], o, 1e-14);
    }
    /* without the cell the output reads 0 from it and the carousel stays */
    lsnn_alstm_reset(&net, &st);
    lsnn_alstm_step(&net, &st, &xs[0], 0);
    double u = lsnn_aan(xs[0], A);
    check_near(st.o[0], wo[0] * u + wo[2], 1e-15);
    check_eq(st.s[0], 0);
    lsnn_alstm_state_free(&st);
    lsnn_alstm_free(&net);
}

enum { T = 12 };

static void sequence(const lsnn_alstm *net, uint64_t seed, double *x, double *tg)
{
    lsnn_rng r;
    lsnn_rng_seed(&r, seed);
    for (int i = 0; i < T * net->spec.n_in; i++)
        x[i] = 2 * lsnn_rng_uniform(&r) - 0.5;
    for (int i = 0; i < T * net->spec.n_out; i++)
        tg[i] = lsnn_rng_uniform(&r);
}

static double seq_loss(const lsnn_alstm *net, const double *x, const double *tg)
{
    double *g = calloc(net->n_params, sizeof(double)), L;
    assert_non_null(g);
    assert_int_equal(lsnn_alstm_bptt(net, T, x, tg, g, NULL, &L), LSNN_OK);
    free(g);
    return L;
}

static void check_layout(lsnn_alstm_spec s, uint64_t seed)
{
    lsnn_alstm net;
    make(&net, s, seed, 1.0);
    double x[T * 8], tg[T * 8];
    sequence(&net, seed + 100, x, tg);
    const size_t P = net.n_params;
    double *gb = calloc(P, sizeof(double)), *gr = calloc(P, sizeof(double));
    assert_non_null(gb);
    assert_non_null(gr);
    double L, out[T * 8];
    assert_int_equal(lsnn_alstm_bptt(&net, T, x, tg, gb, out, &L), LSNN_OK);
    /* RTRL: the per-step truncated gradients, summed */
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&net, &st), LSNN_OK);
    double L2 = 0;
    for (int t = 0; t < T; t++) {
        lsnn_alstm_step(&net, &st, x + t * s.n_in, 1);
        double go[8];
        for (int k = 0; k < s.n_out; k++) {
            go[k] = st.o[k] - tg[t * s.n_out + k];
            L2 += 0.5 * go[k] * go[k];
            check_near(st.o[k], out[t * s.n_out + k], 1e-15);
        }
        lsnn_alstm_grad(&net, &st, go, gr, 1);
    }
    check_near(L2, L, 1e-13 * L);
    double gmax = 0;
    for (size_t i = 0; i < P; i++)
        gmax = fmax(gmax, fabs(gb[i]));
    check_gt(gmax, 1e-3);
    for (size_t i = 0; i < P; i++)
        check_near(gr[i], gb[i], 1e-12 * (1 + gmax));
    /* BPTT against central differences, every parameter */
    for (size_t i = 0; i < P; i++) {
        const double h = 1e-6, w0 = net.params[i];
        net.params[i] = w0 + h;
        double lp = seq_loss(&net, x, tg);
        net.params[i] = w0 - h;
        double lm = seq_loss(&net, x, tg);
        net.params[i] = w0;
        double fd = (lp - lm) / (2 * h);
        check_near(gb[i], fd, 1e-7 * (1 + fabs(fd)));
    }
    lsnn_alstm_state_free(&st);
    free(gb);
    free(gr);
    lsnn_alstm_free(&net);
}

/* sequence prediction: inputs read by the outputs, one cell, no hidden units */
static void test_rtrl_equals_bptt_seq(void **state)
{
    (void)state;
    check_layout(spec_of(6, 0, 1, 5, 1, 0), 3);
}

/* T-maze: hidden units and three cells with normalised outputs */
static void test_rtrl_equals_bptt_tmaze(void **state)
{
    (void)state;
    check_layout(spec_of(3, 4, 3, 4, 0, 1), 4);
}

static void test_cells_off(void **state)
{
    (void)state;
    lsnn_alstm net;
    make(&net, spec_of(3, 2, 2, 2, 1, 0), 5, 1.0);
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&net, &st), LSNN_OK);
    double *g = calloc(net.n_params, sizeof(double));
    assert_non_null(g);
    const double x[3] = {0.5, 1, 2}, go[2] = {1, -2};
    lsnn_alstm_step(&net, &st, x, 0);
    lsnn_alstm_grad(&net, &st, go, g, 0);
    const size_t nu = (size_t)net.n_u;
    for (size_t i = 0; i < 2 * 2 * nu; i++)
        check_eq(g[(net.w_gate - net.params) + i], 0);
    /* the weights from the cells get no gradient either: their outputs read 0 */
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++)
            check_eq(g[lsnn_alstm_out_index(&net, k, net.n_z - 2 + c)], 0);
    free(g);
    lsnn_alstm_state_free(&st);
    lsnn_alstm_free(&net);
}

static void test_bad_spec(void **state)
{
    (void)state;
    lsnn_alstm net;
    lsnn_alstm_spec s = spec_of(0, 0, 1, 1, 0, 0);
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_ERR_ARG);
    s = spec_of(2, 0, 0, 1, 0, 0); /* outputs read nothing */
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_ERR_ARG);
    s = spec_of(2, 0, 1, 1, 0, 0);
    s.aan.a = -1;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_ERR_ARG);
    s = spec_of(2, 0, 1, 1, 0, 0);
    s.w_cec = INFINITY;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_by_hand),
        cmocka_unit_test(test_rtrl_equals_bptt_seq),
        cmocka_unit_test(test_rtrl_equals_bptt_tmaze),
        cmocka_unit_test(test_cells_off),
        cmocka_unit_test(test_bad_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

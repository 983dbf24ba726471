/* Losses and firing-rate regularisation against independent double-precision computations and
 * central finite differences (float32 library). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/learn.h"
#include "lsnn/sim.h"

#define CHECK_CLOSE(a, b, tol)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b), t_ = (tol);                                                 \
        if (!(fabs(a_ - b_) <= t_)) {                                                          \
            print_error("%s = %.10g, expected %s = %.10g (tolerance %g)\n", #a, a_, #b, b_, t_); \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

/* ------------------------------------------------------------------------------------------
 * Cross-entropy over windows
 * ---------------------------------------------------------------------------------------- */

enum { CB = 2, CT = 6, CO = 3, CMW = 2 };

/* Readout (B, T, n_out). Window means were chosen so that the arg-max of the mean differs from
 * the arg-max of the first step of each window, and steps outside windows are large (including
 * them would change every result). */
static const float ce_y[CB][CT][CO] = {
    {
        {9.0f, -9.0f, 0.0f},   /* outside */
        {1.0f, 0.0f, 0.5f},    /* window A [1,3) label 2: mean (0.25, 0.125, 0.75) -> 2 */
        {-0.5f, 0.25f, 1.0f},
        {0.0f, 7.0f, 0.0f},    /* outside */
        {0.5f, 1.5f, 0.0f},    /* window B [4,6) label 0: mean (0.375, 0.25, 0.25) -> 0 */
        {0.25f, -1.0f, 0.5f},
    },
    {
        {0.0f, 1.0f, 0.5f},    /* window C [0,5) label 1: mean (0.1, 0.25, 0.55) -> 2 */
        {0.25f, 0.0f, 0.75f},
        {-0.25f, 0.5f, 0.5f},
        {0.5f, -0.5f, 1.0f},
        {0.0f, 0.25f, 0.0f},
        {0.0f, 10.0f, 0.0f},   /* outside */
    },
};

static void make_ce_batch(lsnn_batch *b)
{
    assert_int_equal(lsnn_batch_init(b, CB, CT, 1, CO, LSNN_LOSS_CE_WINDOW, CMW), LSNN_OK);
    b->n_windows[0] = 2;
    b->windows[0] = (lsnn_window){1, 3, 2};
    b->windows[1] = (lsnn_window){4, 6, 0};
    b->n_windows[1] = 1;
    b->windows[CMW + 0] = (lsnn_window){0, 5, 1};
    /* Garbage in the unused slot: must be ignored. */
    b->windows[CMW + 1] = (lsnn_window){5, 6, 0};
}

static void fill_y(lsnn_real *y)
{
    for (int b = 0; b < CB; b++)
        for (int t = 0; t < CT; t++)
            for (int k = 0; k < CO; k++)
                y[((size_t)b * CT + t) * CO + k] = ce_y[b][t][k];
}

/* Independent reference: mean over windows of -log softmax(mean readout)[label]. */
static double ref_ce(const lsnn_batch *b, const lsnn_real *y)
{
    double acc = 0;
    int nw = 0;
    for (int s = 0; s < b->B; s++)
        for (int wi = 0; wi < b->n_windows[s]; wi++) {
            const lsnn_window *w = &b->windows[(size_t)s * b->max_windows + wi];
            double m[CO] = {0};
            for (int t = w->t0; t < w->t1; t++)
                for (int k = 0; k < CO; k++)
                    m[k] += (double)y[((size_t)s * b->T + t) * CO + k];
            double z = 0;
            for (int k = 0; k < CO; k++) {
                m[k] /= (double)(w->t1 - w->t0);
                z += exp(m[k]);
            }
            acc += log(z) - m[w->label];
            nw++;
        }
    return acc / nw;
}

static void test_ce_value(void **state)
{
    (void)state;
    lsnn_batch b;
    make_ce_batch(&b);
    lsnn_real y[CB * CT * CO];
    fill_y(y);
    lsnn_loss_result r;
    memset(&r, 0x5a, sizeof r);
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r), LSNN_OK);

    /* Hand computation (three window means listed in ce_y). */
    double mA[3] = {0.25, 0.125, 0.75}, mB[3] = {0.375, 0.25, 0.25}, mC[3] = {0.1, 0.25, 0.55};
    double lA = log(exp(mA[0]) + exp(mA[1]) + exp(mA[2])) - mA[2];
    double lB = log(exp(mB[0]) + exp(mB[1]) + exp(mB[2])) - mB[0];
    double lC = log(exp(mC[0]) + exp(mC[1]) + exp(mC[2])) - mC[1];
    double hand = (lA + lB + lC) / 3;
    /* The same number written out (computed separately): guards the hand formula itself. */
    CHECK_CLOSE(hand, 0.9817095958, 1e-9);
    CHECK_CLOSE(r.loss, hand, 1e-9);
    CHECK_CLOSE(r.loss, ref_ce(&b, y), 1e-9);
    assert_int_equal(r.total, 3);
    assert_int_equal(r.correct, 2);
    CHECK_CLOSE(r.reg, 0, 0);

    /* A window that covers a single step; all windows right -> correct == total. */
    b.windows[0] = (lsnn_window){0, 1, 0};     /* (9, -9, 0) -> 0 */
    b.windows[1] = (lsnn_window){3, 4, 1};     /* (0, 7, 0) -> 1 */
    b.windows[CMW] = (lsnn_window){5, 6, 1};   /* (0, 10, 0) -> 1 */
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r), LSNN_OK);
    double l1 = log(exp(9.0) + exp(-9.0) + 1) - 9.0;
    double l2 = log(2 + exp(7.0)) - 7.0;
    double l3 = log(2 + exp(10.0)) - 10.0;
    CHECK_CLOSE(r.loss, (l1 + l2 + l3) / 3, 1e-12);
    assert_int_equal(r.correct, 3);
    assert_int_equal(r.total, 3);

    /* Large logits must not overflow (softmax has to be stabilised). */
    lsnn_real yb[CB * CT * CO];
    for (int i = 0; i < CB * CT * CO; i++)
        yb[i] = y[i] + 800.0f;
    assert_int_equal(lsnn_loss_compute(&b, yb, NULL, &r), LSNN_OK);
    assert_true(isfinite(r.loss));
    CHECK_CLOSE(r.loss, (l1 + l2 + l3) / 3, 1e-6);

    /* No windows at all: zero windows counted. */
    b.n_windows[0] = b.n_windows[1] = 0;
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r), LSNN_OK);
    assert_int_equal(r.total, 0);
    assert_int_equal(r.correct, 0);
    lsnn_batch_free(&b);
}

/* dL/dy of lsnn_loss_compute against central differences (step 1e-3 in float, divided by the
 * step actually taken) for every entry of y; returns the largest |dL/dy|. */
static double check_fd(const lsnn_batch *b, lsnn_real *y, const lsnn_real *gy, int ny)
{
    const float eps = 1e-3f;
    double max_abs = 0;
    lsnn_loss_result r;
    for (int i = 0; i < ny; i++) {
        lsnn_real keep = y[i];
        y[i] = keep + eps;
        double yp = y[i];
        assert_int_equal(lsnn_loss_compute(b, y, NULL, &r), LSNN_OK);
        double Lp = r.loss;
        y[i] = keep - eps;
        double ym = y[i];
        assert_int_equal(lsnn_loss_compute(b, y, NULL, &r), LSNN_OK);
        double Lm = r.loss;
        y[i] = keep;
        double fd = (Lp - Lm) / (yp - ym); /* the exact float step actually taken */
        CHECK_CLOSE(gy[i], fd, 1e-4);
        if (fabs(gy[i]) > max_abs)
            max_abs = fabs(gy[i]);
    }
    return max_abs;
}

static void test_ce_gradient(void **state)
{
    (void)state;
    lsnn_batch b;
    make_ce_batch(&b);
    const int ny = CB * CT * CO;
    lsnn_real y[CB * CT * CO], gy[CB * CT * CO];
    fill_y(y);
    for (int i = 0; i < ny; i++)
        gy[i] = 12345.0f; /* must be overwritten everywhere */
    lsnn_loss_result r;
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);
    double L0 = r.loss;

    /* Same loss value with and without the gradient. */
    lsnn_loss_result r2;
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r2), LSNN_OK);
    CHECK_CLOSE(r2.loss, L0, 0);

    double max_abs = check_fd(&b, y, gy, ny);
    /* The check above is meaningful only if the gradient is not trivially small. */
    check_gt(max_abs, 0.02);

    /* Exactly zero outside the windows: seq 0 steps 0 and 3, seq 1 step 5. */
    const int outside[3][2] = {{0, 0}, {0, 3}, {1, 5}};
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < CO; k++)
            check_eq(gy[((size_t)outside[o][0] * CT + outside[o][1]) * CO + k], 0.0f);

    /* Analytic form inside a window: (softmax - onehot) / (len * n_windows), constant in time. */
    double mC[3] = {0.1, 0.25, 0.55}, z = exp(mC[0]) + exp(mC[1]) + exp(mC[2]);
    for (int t = 0; t < 5; t++)
        for (int k = 0; k < CO; k++) {
            double g = (exp(mC[k]) / z - (k == 1)) / (5.0 * 3.0);
            CHECK_CLOSE(gy[((size_t)1 * CT + t) * CO + k], g, 1e-7);
        }
    lsnn_batch_free(&b);
}

/* The seed-000 TIMIT loss: -log of the softmax averaged over the window. Value against an
 * independent double-precision computation, gradient against finite differences, prediction
 * from the averaged softmax (which can differ from the softmax of the averaged readout). */
static double ref_softmax_ce(const lsnn_batch *b, const lsnn_real *y, int *pred_out)
{
    double sum = 0;
    int n = 0;
    for (int g = 0; g < CB; g++)
        for (int wi = 0; wi < b->n_windows[g]; wi++) {
            const lsnn_window *w = &b->windows[(size_t)g * b->max_windows + wi];
            double pm[CO] = {0};
            for (int t = w->t0; t < w->t1; t++) {
                double z = 0, e[CO];
                for (int k = 0; k < CO; k++)
                    z += e[k] = exp((double)y[((size_t)g * CT + t) * CO + k]);
                for (int k = 0; k < CO; k++)
                    pm[k] += e[k] / z / (w->t1 - w->t0);
            }
            int best = 0;
            for (int k = 1; k < CO; k++)
                best = pm[k] > pm[best] ? k : best;
            if (pred_out)
                pred_out[n] = best;
            sum += -log(pm[w->label]);
            n++;
        }
    return sum / n;
}

static void test_ce_softmax_average(void **state)
{
    (void)state;
    lsnn_batch b;
    make_ce_batch(&b);
    b.loss = LSNN_LOSS_CE_WINDOW_SOFTMAX;
    const int ny = CB * CT * CO;
    lsnn_real y[CB * CT * CO], gy[CB * CT * CO];
    fill_y(y);
    lsnn_loss_result r, r2;
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);
    int ref_pred[3];
    CHECK_CLOSE(r.loss, ref_softmax_ce(&b, y, ref_pred), 1e-9);
    lsnn_batch bm = b;
    bm.loss = LSNN_LOSS_CE_WINDOW;
    assert_int_equal(lsnn_loss_compute(&bm, y, NULL, &r2), LSNN_OK);
    check_gt(fabs(r.loss - r2.loss), 1e-3); /* a different loss, not the same one renamed */
    double max_abs = check_fd(&b, y, gy, ny);
    check_gt(max_abs, 0.02);
    int pred[CB * CMW];
    lsnn_loss_predict(&b, y, pred);
    assert_int_equal(pred[0], ref_pred[0]);
    assert_int_equal(pred[1], ref_pred[1]);
    assert_int_equal(pred[CMW], ref_pred[2]);
    long correct = (ref_pred[0] == 2) + (ref_pred[1] == 0) + (ref_pred[2] == 1);
    assert_int_equal(r.correct, correct);
    lsnn_batch_free(&b);
}

/* Two overlapping windows in one sequence: gradients add. */
static void test_ce_overlap(void **state)
{
    (void)state;
    lsnn_batch b;
    make_ce_batch(&b);
    b.windows[0] = (lsnn_window){1, 4, 1};
    b.windows[1] = (lsnn_window){2, 6, 2};
    lsnn_real y[CB * CT * CO], gy[CB * CT * CO];
    fill_y(y);
    lsnn_loss_result r, r2;
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);
    CHECK_CLOSE(r.loss, ref_ce(&b, y), 1e-9);
    for (int i = 0; i < CB * CT * CO; i++) {
        lsnn_real keep = y[i];
        y[i] = keep + 1e-3f;
        double yp = y[i];
        assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r2), LSNN_OK);
        double Lp = r2.loss;
        y[i] = keep - 1e-3f;
        double ym = y[i];
        assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r2), LSNN_OK);
        y[i] = keep;
        CHECK_CLOSE(gy[i], (Lp - r2.loss) / (yp - ym), 1e-4);
    }
    lsnn_batch_free(&b);
}

/* ------------------------------------------------------------------------------------------
 * Mean squared error
 * ---------------------------------------------------------------------------------------- */

enum { MB = 2, MT = 3, MO = 2 };

static void test_mse(void **state)
{
    (void)state;
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, MB, MT, 1, MO, LSNN_LOSS_MSE, 0), LSNN_OK);
    const float w[MB * MT] = {0.5f, 0.0f, 2.0f, 1.0f, 0.0f, 1.5f};
    const float tgt[MB * MT * MO] = {1, 0, 0.5f, -0.5f, -1, 2, 0, 0, 3, 1, 0.25f, 0.75f};
    lsnn_real y[MB * MT * MO] = {0.5f, 0.25f, 100, -100, 0, 1.5f,
                                 1, -1, 250, 300, 1, 0.5f};
    for (int i = 0; i < MB * MT; i++)
        b.y_weight[i] = w[i];
    for (int i = 0; i < MB * MT * MO; i++)
        b.y_target[i] = tgt[i];

    lsnn_real gy[MB * MT * MO];
    for (int i = 0; i < MB * MT * MO; i++)
        gy[i] = -7.0f;
    lsnn_loss_result r;
    assert_int_equal(lsnn_loss_compute(&b, y, gy, &r), LSNN_OK);

    /* By hand: weighted squared errors of the steps with w != 0.
     * (b0,t0) w .5: d = (-.5, .25)  -> .5 * (.25 + .0625) = .15625
     * (b0,t2) w 2 : d = (1, -.5)    -> 2 * (1 + .25)      = 2.5
     * (b1,t0) w 1 : d = (1, -1)     -> 1 * 2              = 2
     * (b1,t2) w 1.5: d = (.75, -.25)-> 1.5 * .625         = .9375
     * sum = 5.59375; n_out * sum w = 2 * 5 = 10. */
    CHECK_CLOSE(r.loss, 5.59375 / 10.0, 1e-12);

    /* Independent double computation and gradient 2 w d / (n_out sum w). */
    double wsum = 0, acc = 0;
    for (int i = 0; i < MB * MT; i++)
        wsum += w[i];
    for (int bt = 0; bt < MB * MT; bt++)
        for (int k = 0; k < MO; k++) {
            double d = (double)y[bt * MO + k] - tgt[bt * MO + k];
            acc += w[bt] * d * d;
            CHECK_CLOSE(gy[bt * MO + k], 2 * w[bt] * d / (MO * wsum), 1e-7);
            if (w[bt] == 0)
                check_eq(gy[bt * MO + k], 0.0f);
        }
    CHECK_CLOSE(r.loss, acc / (MO * wsum), 1e-12);

    /* Finite differences. */
    for (int i = 0; i < MB * MT * MO; i++) {
        lsnn_loss_result r2;
        lsnn_real keep = y[i];
        y[i] = keep + 1e-2f;
        double yp = y[i];
        assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r2), LSNN_OK);
        double Lp = r2.loss;
        y[i] = keep - 1e-2f;
        double ym = y[i];
        assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r2), LSNN_OK);
        y[i] = keep;
        CHECK_CLOSE(gy[i], (Lp - r2.loss) / (yp - ym), 1e-5);
    }

    /* Zero-weight steps do not influence the loss at all. */
    y[2] = -5000;
    y[9] = 1e4f;
    lsnn_loss_result r3;
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r3), LSNN_OK);
    CHECK_CLOSE(r3.loss, r.loss, 0);

    /* Scaling every weight leaves the (normalised) loss unchanged. */
    for (int i = 0; i < MB * MT; i++)
        b.y_weight[i] = 4 * w[i];
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r3), LSNN_OK);
    CHECK_CLOSE(r3.loss, r.loss, 1e-12);
    lsnn_batch_free(&b);
}

/* ------------------------------------------------------------------------------------------
 * Predictions
 * ---------------------------------------------------------------------------------------- */

static void test_predict(void **state)
{
    (void)state;
    lsnn_batch b;
    make_ce_batch(&b);
    lsnn_real y[CB * CT * CO];
    fill_y(y);
    int pred[CB * CMW];
    for (int i = 0; i < CB * CMW; i++)
        pred[i] = -99;
    lsnn_loss_predict(&b, y, pred);
    assert_int_equal(pred[0], 2);        /* window A: mean (0.25, 0.125, 0.75) */
    assert_int_equal(pred[1], 0);        /* window B: mean (0.375, 0.25, 0.25) */
    assert_int_equal(pred[CMW + 0], 2);  /* window C: mean (0.1, 0.25, 0.55) */
    assert_int_equal(pred[CMW + 1], -99); /* unused slot untouched */

    /* Predictions agree with the `correct` count of the loss. */
    lsnn_loss_result r;
    assert_int_equal(lsnn_loss_compute(&b, y, NULL, &r), LSNN_OK);
    int right = (pred[0] == 2) + (pred[1] == 0) + (pred[CMW] == 1);
    assert_int_equal(r.correct, right);

    /* Move window B so its arg-max is class 1 (steps 3..4: (0.25, 4.25, 0)). */
    b.windows[1] = (lsnn_window){3, 5, 0};
    lsnn_loss_predict(&b, y, pred);
    assert_int_equal(pred[1], 1);
    lsnn_batch_free(&b);
}

/* ------------------------------------------------------------------------------------------
 * Rate regularisation
 * ---------------------------------------------------------------------------------------- */

static double ref_rate_reg(const double *count, int n, int B, int T, double dt, double hz, double c)
{
    double f0 = hz * dt / 1000.0, R = 0;
    for (int j = 0; j < n; j++) {
        double r = count[j] / ((double)B * T);
        R += (r - f0) * (r - f0);
    }
    return c * R / n;
}

static void test_rate_reg(void **state)
{
    (void)state;
    enum { N = 4 };
    const int B = 2, T = 10;
    double count[N] = {0, 1, 5, 0.2};
    lsnn_real gz[N];

    /* By hand, dt = 1, 10 Hz: f0 = 0.01, rates (0, .05, .25, .01), c = 0.5:
     * R = 0.5/4 * (1e-4 + 16e-4 + 576e-4 + 0) = 0.5/4 * 0.0593. */
    double R = lsnn_rate_reg(count, N, B, T, 1.0, 10.0, 0.5, gz);
    CHECK_CLOSE(R, 0.5 / 4 * 0.0593, 1e-14);
    /* The neuron exactly at the target has zero gradient. */
    check_lt(fabs(gz[3]), 1e-9);

    /* dt = 2, 40 Hz (f0 = 0.08), c = 3, gradient vs finite differences of the count. */
    const double dt = 2.0, hz = 40.0, c = 3.0;
    R = lsnn_rate_reg(count, N, B, T, dt, hz, c, gz);
    CHECK_CLOSE(R, ref_rate_reg(count, N, B, T, dt, hz, c), 1e-14);
    for (int j = 0; j < N; j++) {
        double keep = count[j], h = 0.25;
        count[j] = keep + h;
        double Rp = lsnn_rate_reg(count, N, B, T, dt, hz, c, NULL);
        count[j] = keep - h;
        double Rm = lsnn_rate_reg(count, N, B, T, dt, hz, c, NULL);
        count[j] = keep;
        double fd = (Rp - Rm) / (2 * h); /* exact: R is quadratic in the count */
        CHECK_CLOSE(gz[j], fd, 1e-6 * fabs(fd) + 1e-9);
        /* Explicit formula: 2 c (r - f0) / (n B T). */
        double r = keep / (B * T), f0 = hz * dt / 1000.0;
        CHECK_CLOSE(gz[j], 2 * c * (r - f0) / (N * B * T), 1e-6 * fabs(fd) + 1e-9);
        check_gt(fabs(fd), 1e-4);
    }
    /* Same value without the gradient; c = 0 gives 0. */
    CHECK_CLOSE(lsnn_rate_reg(count, N, B, T, dt, hz, c, NULL), R, 0);
    CHECK_CLOSE(lsnn_rate_reg(count, N, B, T, dt, hz, 0.0, gz), 0, 0);
    for (int j = 0; j < N; j++)
        check_eq(gz[j], 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ce_value),    cmocka_unit_test(test_ce_gradient),
        cmocka_unit_test(test_ce_overlap),  cmocka_unit_test(test_mse),
        cmocka_unit_test(test_predict),     cmocka_unit_test(test_rate_reg),
        cmocka_unit_test(test_ce_softmax_average),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The LSTM and tanh RNN baselines (lsnn/ann.h), in double precision: parameter counts of seed 000
 * Table S1, the forward pass against a plain scalar reference, BPTT against central finite
 * differences (every parameter of every tensor), and bit-identical results for any thread count. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/ann.h"

enum { NIN = 3, NH = 5, NOUT = 2, T = 12 };

/* Random inputs in [-1, 1] (half of them zero, like sparse spike inputs) and random biases, so
 * that every path of the gradient is exercised. */
static void fill_batch(lsnn_batch *b, int B, int Tn, int n_in, int n_out, uint64_t seed)
{
    assert_int_equal(lsnn_batch_init(b, B, Tn, n_in, n_out, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    for (size_t k = 0; k < (size_t)B * Tn * n_in; k++)
        b->x[k] = lsnn_rng_uniform(&rng) < 0.5 ? 0 : 2 * lsnn_rng_uniform(&rng) - 1;
}

static void perturb_biases(lsnn_ann *a, uint64_t seed)
{
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    for (int k = 0; k < a->n_gates * a->n_hidden; k++)
        a->b[k] += 0.3 * lsnn_rng_normal(&rng);
    for (int k = 0; k < a->n_out; k++)
        a->b_out[k] = 0.1 * (k + 1);
}

static double sigm(double v)
{
    return 1 / (1 + exp(-v));
}

/* Plain scalar reference of the equations in lsnn/ann.h: y (B, T, n_out). */
static void reference_forward(const lsnn_ann *a, const lsnn_batch *b, double *y)
{
    const int H = a->n_hidden, GH = a->n_gates * H;
    double *h = calloc((size_t)H, sizeof(double)), *c = calloc((size_t)H, sizeof(double));
    double *pre = malloc(sizeof(double) * GH), *hn = malloc(sizeof(double) * H);
    for (int s = 0; s < b->B; s++) {
        memset(h, 0, sizeof(double) * H);
        memset(c, 0, sizeof(double) * H);
        for (int t = 0; t < b->T; t++) {
            const lsnn_real *x = b->x + ((size_t)s * b->T + t) * b->n_in;
            for (int k = 0; k < GH; k++) {
                double v = a->b[k];
                for (int i = 0; i < a->n_in; i++)
                    v += x[i] * a->w_x[(size_t)i * GH + k];
                for (int i = 0; i < H; i++)
                    v += h[i] * a->w_h[(size_t)i * GH + k];
                pre[k] = v;
            }
            for (int j = 0; j < H; j++) {
                if (a->kind == LSNN_ANN_LSTM) {
                    double ig = sigm(pre[j]), fg = sigm(pre[H + j]), gg = tanh(pre[2 * H + j]),
                           og = sigm(pre[3 * H + j]);
                    c[j] = fg * c[j] + ig * gg;
                    hn[j] = og * tanh(c[j]);
                } else {
                    hn[j] = tanh(pre[j]);
                }
            }
            memcpy(h, hn, sizeof(double) * H);
            for (int k = 0; k < a->n_out; k++) {
                double v = a->b_out[k];
                for (int j = 0; j < H; j++)
                    v += h[j] * a->w_out[(size_t)j * a->n_out + k];
                y[((size_t)s * b->T + t) * a->n_out + k] = v;
            }
        }
    }
    free(h);
    free(c);
    free(pre);
    free(hn);
}

static void test_param_counts(void **state)
{
    (void)state;
    /* Table S1 of seed 000: 128 units, 10 classes, grey values as one input channel. */
    assert_int_equal(lsnn_ann_count_params(LSNN_ANN_LSTM, 1, 128, 10),
                     4 * (1 * 128 + 128 * 128 + 128) + 128 * 10 + 10);
    assert_int_equal(lsnn_ann_count_params(LSNN_ANN_LSTM, 1, 128, 10), 67850);
    assert_int_equal(lsnn_ann_count_params(LSNN_ANN_RNN, 1, 128, 10),
                     1 * 128 + 128 * 128 + 128 + 128 * 10 + 10);
    assert_int_equal(lsnn_ann_count_params(LSNN_ANN_RNN, 1, 128, 10), 17930);
    const lsnn_ann_kind kinds[2] = {LSNN_ANN_LSTM, LSNN_ANN_RNN};
    for (int q = 0; q < 2; q++) {
        lsnn_ann a;
        assert_int_equal(lsnn_ann_init(&a, kinds[q], 1, 128, 10, 5), LSNN_OK);
        assert_int_equal(a.n_params, q == 0 ? 67850 : 17930);
        lsnn_ann_tensor ts[LSNN_ANN_N_TENSORS];
        int nt = lsnn_ann_tensors(&a, ts);
        size_t sum = 0;
        for (int k = 0; k < nt; k++) {
            assert_ptr_equal(ts[k].data, a.params + sum); /* storage order, no gaps */
            sum += (size_t)ts[k].rows * ts[k].cols;
        }
        assert_int_equal(sum, a.n_params);
        uint8_t *mask = malloc(a.n_params);
        lsnn_ann_trainable_mask(&a, mask);
        for (size_t k = 0; k < a.n_params; k++)
            assert_int_equal(mask[k], 1);
        free(mask);
        /* Initialisation: each H x H block of w_h orthogonal, forget-gate bias 1, w_x within
         * the Glorot bound. */
        const int H = 128, GH = a.n_gates * H;
        for (int g = 0; g < a.n_gates; g++)
            for (int i = 0; i < H; i += 7)
                for (int k = 0; k < H; k += 5) {
                    double dot = 0;
                    for (int j = 0; j < H; j++)
                        dot += a.w_h[(size_t)i * GH + g * H + j] * a.w_h[(size_t)k * GH + g * H + j];
                    check_near(dot, (i == k), 1e-12);
                }
        for (int k = 0; k < GH; k++) {
            check_eq(a.b[k], (q == 0 && k >= H && k < 2 * H ? 1.0 : 0.0));
            check_le(fabs(a.w_x[k]), sqrt(6.0 / (1 + H)));
        }
        printf("%-4s 1 -> %d -> 10: %zu parameters; workspace for B = 256, T = 840: %.1f MB "
               "(double; half of it in float)\n",
               lsnn_ann_kind_name(kinds[q]), H, a.n_params,
               lsnn_ann_work_bytes(&a, 256, 840) / 1e6);
        lsnn_ann_free(&a);
    }
    lsnn_ann_kind k;
    assert_int_equal(lsnn_ann_kind_parse("lstm", &k), LSNN_OK);
    assert_int_equal(k, LSNN_ANN_LSTM);
    assert_int_equal(lsnn_ann_kind_parse("rnn", &k), LSNN_OK);
    assert_int_equal(k, LSNN_ANN_RNN);
    assert_int_equal(lsnn_ann_kind_parse("gru", &k), LSNN_ERR_CONFIG);
}

static void check_forward(lsnn_ann_kind kind, int B)
{
    lsnn_ann a;
    assert_int_equal(lsnn_ann_init(&a, kind, NIN, NH, NOUT, 11), LSNN_OK);
    perturb_biases(&a, 12);
    lsnn_batch b;
    fill_batch(&b, B, T, NIN, NOUT, 13);
    lsnn_ann_work *w = lsnn_ann_work_create(&a, B, T, NULL);
    assert_non_null(w);
    size_t ny = (size_t)B * T * NOUT;
    lsnn_real *y = malloc(sizeof(lsnn_real) * ny);
    double *yr = malloc(sizeof(double) * ny);
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_OK);
    reference_forward(&a, &b, yr);
    double err = 0, mag = 0;
    for (size_t k = 0; k < ny; k++) {
        err = fmax(err, fabs(y[k] - yr[k]));
        mag = fmax(mag, fabs(yr[k]));
    }
    printf("[%s, B = %d] forward vs reference: max |y| %.3f, max error %.2e\n",
           lsnn_ann_kind_name(kind), B, mag, err);
    check_gt(mag, 0.1);
    check_lt(err, 1e-12);
    free(y);
    free(yr);
    lsnn_ann_work_free(w);
    lsnn_batch_free(&b);
    lsnn_ann_free(&a);
}

static void test_forward_reference(void **state)
{
    (void)state;
    /* B = 19: two chunks, the second one partial. */
    check_forward(LSNN_ANN_LSTM, 3);
    check_forward(LSNN_ANN_LSTM, 19);
    check_forward(LSNN_ANN_RNN, 3);
    check_forward(LSNN_ANN_RNN, 19);
}

typedef struct gc {
    lsnn_ann a;
    lsnn_batch b;
    lsnn_ann_work *w;
    lsnn_real *y;
    double *cy; /* (B, T, NOUT) loss coefficients: L = sum cy y */
} gc;

static double loss_of(gc *f)
{
    assert_int_equal(lsnn_ann_forward(f->w, &f->a, &f->b, f->y), LSNN_OK);
    double L = 0;
    for (size_t k = 0; k < (size_t)f->b.B * T * NOUT; k++)
        L += f->cy[k] * f->y[k];
    return L;
}

static void check_gradient(lsnn_ann_kind kind, int B)
{
    gc f;
    memset(&f, 0, sizeof f);
    assert_int_equal(lsnn_ann_init(&f.a, kind, NIN, NH, NOUT, 21), LSNN_OK);
    perturb_biases(&f.a, 22);
    fill_batch(&f.b, B, T, NIN, NOUT, 23);
    f.w = lsnn_ann_work_create(&f.a, B, T, NULL);
    assert_non_null(f.w);
    const size_t ny = (size_t)B * T * NOUT;
    f.y = malloc(sizeof(lsnn_real) * ny);
    f.cy = malloc(sizeof(double) * ny);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * ny);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 24);
    for (size_t k = 0; k < ny; k++)
        gy[k] = (lsnn_real)(f.cy[k] = lsnn_rng_normal(&rng));
    lsnn_real *grad = malloc(sizeof(lsnn_real) * f.a.n_params);
    loss_of(&f);
    assert_int_equal(lsnn_ann_backward(f.w, &f.a, &f.b, gy, grad), LSNN_OK);

    lsnn_ann_tensor ts[LSNN_ANN_N_TENSORS];
    const int nt = lsnn_ann_tensors(&f.a, ts);
    const double eps = 1e-5;
    for (int q = 0; q < nt; q++) {
        const size_t count = (size_t)ts[q].rows * ts[q].cols;
        double num = 0, den = 0;
        for (size_t k = 0; k < count; k++) {
            const lsnn_real keep = ts[q].data[k];
            ts[q].data[k] = keep + eps;
            const double lp = loss_of(&f);
            ts[q].data[k] = keep - eps;
            const double lm = loss_of(&f);
            ts[q].data[k] = keep;
            const double fd = (lp - lm) / (2 * eps);
            const double g = grad[ts[q].data - f.a.params + k];
            num += (g - fd) * (g - fd);
            den += fd * fd;
            /* Every single entry must be right, not only the tensor's norm. */
            check_near(g, fd, 1e-6 * (fabs(fd) + 1e-3));
        }
        const double rel = sqrt(num) / (sqrt(den) + 1e-300);
        printf("[%s, B = %2d] %-5s |grad| %.4e  relative error %.2e\n", lsnn_ann_kind_name(kind),
               B, ts[q].name, sqrt(den), rel);
        check_gt(den, 0);
        check_lt(rel, 1e-6);
    }
    free(grad);
    free(gy);
    free(f.y);
    free(f.cy);
    lsnn_ann_work_free(f.w);
    lsnn_batch_free(&f.b);
    lsnn_ann_free(&f.a);
}

static void test_gradcheck_lstm(void **state)
{
    (void)state;
    check_gradient(LSNN_ANN_LSTM, 3);
    check_gradient(LSNN_ANN_LSTM, 19);
}

static void test_gradcheck_rnn(void **state)
{
    (void)state;
    check_gradient(LSNN_ANN_RNN, 3);
    check_gradient(LSNN_ANN_RNN, 19);
}

/* y and grad of one forward/backward with `threads` OpenMP threads. */
static void run_once(lsnn_ann_kind kind, int threads, int B, int Tn, lsnn_real *y,
                     lsnn_real *grad, lsnn_real *grad_again)
{
    lsnn_ann a;
    assert_int_equal(lsnn_ann_init(&a, kind, NIN, 8, NOUT, 31), LSNN_OK);
    lsnn_batch b;
    fill_batch(&b, B, Tn, NIN, NOUT, 32);
    lsnn_ann_work *w = lsnn_ann_work_create(&a, B, Tn, NULL);
    assert_non_null(w);
    const size_t ny = (size_t)B * Tn * NOUT;
    lsnn_real *gy = malloc(sizeof(lsnn_real) * ny);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 33);
    for (size_t k = 0; k < ny; k++)
        gy[k] = (lsnn_real)lsnn_rng_normal(&rng);
    const int keep = omp_get_max_threads();
    omp_set_num_threads(threads);
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_OK);
    assert_int_equal(lsnn_ann_backward(w, &a, &b, gy, grad), LSNN_OK);
    /* The backward pass leaves the history intact: a second call gives the same gradient. */
    assert_int_equal(lsnn_ann_backward(w, &a, &b, gy, grad_again), LSNN_OK);
    omp_set_num_threads(keep);
    free(gy);
    lsnn_ann_work_free(w);
    lsnn_batch_free(&b);
    lsnn_ann_free(&a);
}

static void test_determinism(void **state)
{
    (void)state;
    enum { BD = 37, TD = 20 }; /* three chunks of 16, 16 and 5 sequences */
    const lsnn_ann_kind kinds[2] = {LSNN_ANN_LSTM, LSNN_ANN_RNN};
    for (int q = 0; q < 2; q++) {
        const size_t ny = (size_t)BD * TD * NOUT;
        const size_t np = lsnn_ann_count_params(kinds[q], NIN, 8, NOUT);
        lsnn_real *y1 = malloc(sizeof(lsnn_real) * ny), *y2 = malloc(sizeof(lsnn_real) * ny);
        lsnn_real *g1 = malloc(sizeof(lsnn_real) * np), *g2 = malloc(sizeof(lsnn_real) * np);
        lsnn_real *g1b = malloc(sizeof(lsnn_real) * np), *g2b = malloc(sizeof(lsnn_real) * np);
        run_once(kinds[q], 1, BD, TD, y1, g1, g1b);
        run_once(kinds[q], 3, BD, TD, y2, g2, g2b);
        assert_memory_equal(y1, y2, sizeof(lsnn_real) * ny);
        assert_memory_equal(g1, g2, sizeof(lsnn_real) * np);
        assert_memory_equal(g1, g1b, sizeof(lsnn_real) * np);
        assert_memory_equal(g2, g2b, sizeof(lsnn_real) * np);
        run_once(kinds[q], 3, BD, TD, y2, g2, g2b);
        assert_memory_equal(y1, y2, sizeof(lsnn_real) * ny);
        assert_memory_equal(g1, g2, sizeof(lsnn_real) * np);
        free(y1);
        free(y2);
        free(g1);
        free(g2);
        free(g1b);
        free(g2b);
    }
}

static void test_errors(void **state)
{
    (void)state;
    lsnn_ann a;
    lsnn_status st;
    assert_int_equal(lsnn_ann_init(&a, LSNN_ANN_LSTM, 0, 4, 2, 1), LSNN_ERR_ARG);
    assert_int_equal(lsnn_ann_init(&a, LSNN_ANN_RNN, NIN, NH, NOUT, 1), LSNN_OK);
    assert_null(lsnn_ann_work_create(&a, 0, T, &st));
    assert_int_equal(st, LSNN_ERR_ARG);
    lsnn_ann_work *w = lsnn_ann_work_create(&a, 4, T, &st);
    assert_non_null(w);
    assert_int_equal(st, LSNN_OK);
    lsnn_real y[5 * (T + 1) * NOUT], gy[5 * (T + 1) * NOUT], grad[200];
    memset(gy, 0, sizeof gy);
    lsnn_batch b;
    fill_batch(&b, 5, T, NIN, NOUT, 1); /* more sequences than the workspace holds */
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_ERR_SHAPE);
    lsnn_batch_free(&b);
    fill_batch(&b, 4, T + 1, NIN, NOUT, 1); /* more steps */
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_ERR_SHAPE);
    lsnn_batch_free(&b);
    fill_batch(&b, 4, T, NIN + 1, NOUT, 1); /* other input width */
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_ERR_SHAPE);
    lsnn_batch_free(&b);
    fill_batch(&b, 2, T - 3, NIN, NOUT, 1); /* smaller batches and shorter sequences fit */
    assert_int_equal(lsnn_ann_backward(w, &a, &b, gy, grad), LSNN_ERR_ARG); /* no forward yet */
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_OK);
    assert_int_equal(lsnn_ann_backward(w, &a, &b, gy, grad), LSNN_OK);
    lsnn_batch_free(&b);
    lsnn_ann_work_free(w);
    lsnn_ann other;
    assert_int_equal(lsnn_ann_init(&other, LSNN_ANN_LSTM, NIN, NH, NOUT, 1), LSNN_OK);
    w = lsnn_ann_work_create(&other, 4, T, NULL);
    fill_batch(&b, 4, T, NIN, NOUT, 1);
    assert_int_equal(lsnn_ann_forward(w, &a, &b, y), LSNN_ERR_SHAPE); /* workspace of a LSTM */
    lsnn_batch_free(&b);
    lsnn_ann_work_free(w);
    lsnn_ann_free(&other);
    lsnn_ann_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_counts),   cmocka_unit_test(test_forward_reference),
        cmocka_unit_test(test_gradcheck_lstm), cmocka_unit_test(test_gradcheck_rnn),
        cmocka_unit_test(test_determinism),    cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Closed-loop stepping (lsnn_sim_begin/step/end, lsnn_sim_run_closed_loop,
 * lsnn_sim_run_sequences) in float64.
 *
 * A toy environment makes the inputs of step t from the readout of step t-1 (spikes from the
 * sign of y0 - y1 and of y0 - 0.1, currents from |y1| and tanh(y0)) plus random spikes and one
 * channel the batch already held, on a small ALIF network with delays up to 3, current noise and
 * two chunks (B = 20 > 16). Checked:
 *   - y, spike counts and the BPTT gradient of the closed-loop episode are bit-identical to
 *     lsnn_sim_forward + lsnn_bptt_backward on the recorded inputs, with and without records of
 *     v; the environment saw exactly the readout of the previous step;
 *   - lsnn_sim_run_sequences (each chunk through all steps at its own pace, a function per
 *     chunk of sequences) gives the same inputs, y, spike counts and gradient as the step-wise
 *     loop in the same chunks;
 *   - with smooth spikes, that BPTT gradient against central finite differences of the loss
 *     with the recorded inputs held fixed, entry by entry;
 *   - half-batch additivity: BPTT's gradient of a batch equals the sum of the gradients of its
 *     two halves, and e-prop's (a mean over the batch's windows) their mean, to rounding. Noise
 *     is off there: the noise of sequence g is keyed by (batch->noise_key, g) with g its position
 *     in the batch, so the second half, at positions 0..B/2-1 of its own batch, cannot see the
 *     noise it had at B/2..B-1 whatever its key;
 *   - misuse of the step-wise API is refused with a message. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/config_map.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/status.h"
#include "test_batch.h"

enum { B = 20, T = 40, NIN = 6, NOUT = 2 };

static void build_net(lsnn_net *net, double noise, int smooth)
{
    lsnn_network_config nc = test_small_network(4, 4, "leaky", 6.0, 3, noise);
    assert_int_equal(lsnn_net_init(net, &nc, NIN, NOUT, 7), LSNN_OK);
    assert_true(net->max_delay == 3);
    net->smooth = smooth;
    for (int k = 0; k < NOUT; k++)
        net->b_out[k] = (lsnn_real)(0.1 * (k + 1));
}

/* The toy environment's inputs of sequence g at step t from its y(t-1) (yg, NULL at t = 0).
 * Channel 1 is left as the batch holds it (a task's input). */
static void toy_inputs(uint64_t seed, int g, int t, const lsnn_real *yg, lsnn_real *xg)
{
    xg[0] = (lsnn_real)((lsnn_hash4(seed, (uint64_t)g, (uint64_t)t, 0) >> 11) * 0x1p-53 < 0.3);
    xg[2] = yg && yg[0] > yg[1];
    xg[3] = yg && yg[0] > (lsnn_real)0.1;
    xg[4] = yg ? (lsnn_real)fmin(fabs((double)yg[1]), 2.0) : 0;
    xg[5] = yg ? (lsnn_real)(0.5 * tanh(3.0 * (double)yg[0])) : 0;
}

/* The toy environment. */
typedef struct env_ctx {
    int Bn;
    uint64_t seed;
    lsnn_real *seen;   /* (T, Bn, NOUT) the y_prev of each call, or NULL */
    long fb_on, fb_all; /* how often the feedback spikes fired */
    int fail_at;       /* return an error at this step (-1: never) */
} env_ctx;

static lsnn_status env_fn(void *vctx, int t, const lsnn_real *y_prev, lsnn_real *x)
{
    env_ctx *e = vctx;
    if (t == e->fail_at)
        return lsnn_error(LSNN_ERR_RANGE, "toy environment: no step %d", t);
    if ((t == 0) != (y_prev == NULL))
        return lsnn_error(LSNN_ERR_ARG, "toy environment: y_prev %s at step %d",
                          y_prev ? "given" : "missing", t);
    for (int g = 0; g < e->Bn; g++) {
        lsnn_real *xg = x + (size_t)g * NIN;
        const lsnn_real *yg = y_prev ? y_prev + (size_t)g * NOUT : NULL;
        if (e->seen && yg)
            memcpy(e->seen + ((size_t)t * e->Bn + g) * NOUT, yg, sizeof(lsnn_real) * NOUT);
        toy_inputs(e->seed, g, t, yg, xg);
        e->fb_on += (xg[2] != 0) + (xg[3] != 0);
        e->fb_all += 2;
    }
    return LSNN_OK;
}

/* The same environment for lsnn_sim_run_sequences: sequence by sequence, y(t-1) read from y,
 * the inputs written into the batch; after each step, which step each sequence has seen. */
typedef struct seq_ctx {
    uint64_t seed;
    lsnn_batch *b;
    const lsnn_real *y;
    int *after;        /* (B) the last step whose readout was handed over, per sequence */
    int order_ok;      /* every call came in the order BEFORE t, AFTER t, BEFORE t + 1 */
} seq_ctx;

static void seq_fn(void *vctx, int phase, int g0, int bc, int t)
{
    seq_ctx *c = vctx;
    for (int g = g0; g < g0 + bc; g++) {
        if (phase == LSNN_SEQ_AFTER) {
            c->order_ok &= c->after[g] == t - 1;
            c->after[g] = t;
            continue;
        }
        c->order_ok &= c->after[g] == t - 1;
        const lsnn_real *yg = t ? c->y + ((size_t)g * T + t - 1) * NOUT : NULL;
        toy_inputs(c->seed, g, t, yg, c->b->x + ((size_t)g * T + t) * NIN);
    }
}

/* The "task" input on channel 1: spikes at every third step, shifted per sequence. */
static void fill_task_channel(lsnn_batch *b)
{
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * b->T * b->n_in);
    for (int g = 0; g < b->B; g++)
        for (int t = 0; t < b->T; t++)
            b->x[((size_t)g * b->T + t) * b->n_in + 1] = (lsnn_real)((t + g) % 3 == 0);
    for (int g = 0; g < b->B; g++) {
        b->n_windows[g] = 1;
        b->windows[g] = (lsnn_window){b->T - 10, b->T, g % b->n_out};
    }
}

static void fill_normal(lsnn_real *p, size_t count, unsigned seed, double scale)
{
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    for (size_t k = 0; k < count; k++)
        p[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
}

/* memcmp of two arrays of reals, printing the first difference. */
static void assert_same_reals(const char *what, const lsnn_real *a, const lsnn_real *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp(&a[k], &b[k], sizeof a[k]) != 0) {
            printf("%s differs at %zu: closed loop %.17g, open loop %.17g\n", what, k,
                   (double)a[k], (double)b[k]);
            fail();
        }
}

static void assert_same_doubles(const char *what, const double *a, const double *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp(&a[k], &b[k], sizeof a[k]) != 0) {
            printf("%s differs at %zu: closed loop %.17g, open loop %.17g\n", what, k, a[k], b[k]);
            fail();
        }
}

/* (a) Closed loop against open loop on the recorded inputs, bit for bit. */
static void closed_vs_open(int records)
{
    lsnn_net net;
    build_net(&net, 0.3, 0);
    const size_t ny = (size_t)B * T * NOUT, np = net.n_params;
    lsnn_sim *sc = lsnn_sim_create(&net, B, T, NULL), *so = lsnn_sim_create(&net, B, T, NULL);
    assert_non_null(sc);
    assert_non_null(so);
    if (records) {
        assert_int_equal(lsnn_sim_enable_records(sc, &net, (size_t)1 << 28), 1);
        assert_int_equal(lsnn_sim_enable_records(so, &net, (size_t)1 << 28), 1);
    }
    lsnn_batch bc, bo;
    assert_int_equal(lsnn_batch_init(&bc, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    assert_int_equal(lsnn_batch_init(&bo, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_task_channel(&bc);
    bc.noise_key = 0x5eed;
    lsnn_real *task = malloc(sizeof(lsnn_real) * (size_t)B * T * NIN);
    memcpy(task, bc.x, sizeof(lsnn_real) * (size_t)B * T * NIN);

    lsnn_real *yc = malloc(sizeof(lsnn_real) * ny), *yo = malloc(sizeof(lsnn_real) * ny);
    lsnn_real *seen = calloc(ny, sizeof(lsnn_real));
    double cc[64], co[64];
    assert_true(net.n <= 64);
    env_ctx e = {B, 11, seen, 0, 0, -1};
    assert_int_equal(lsnn_sim_run_closed_loop(sc, &net, &bc, env_fn, &e, yc, cc), LSNN_OK);
    /* The feedback really switches: neither always on nor always off. */
    double frac = (double)e.fb_on / (double)e.fb_all;
    printf("[records %d] feedback spikes on in %.2f of the cases, %.0f spikes\n", records, frac,
           cc[0] + cc[1] + cc[2] + cc[3] + cc[4] + cc[5] + cc[6] + cc[7]);
    assert_true(frac > 0.05 && frac < 0.95);
    /* The environment saw the readout of step t-1 at step t; channel 1 stayed the batch's. */
    for (int t = 1; t < T; t++)
        for (int g = 0; g < B; g++)
            for (int k = 0; k < NOUT; k++) {
                lsnn_real a = seen[((size_t)t * B + g) * NOUT + k];
                lsnn_real b = yc[((size_t)g * T + t - 1) * NOUT + k];
                if (memcmp(&a, &b, sizeof a)) {
                    printf("step %d sequence %d: env saw y %.17g, y(t-1) is %.17g\n", t, g,
                           (double)a, (double)b);
                    fail();
                }
            }
    for (size_t k = 1; k < (size_t)B * T * NIN; k += NIN)
        assert_true(bc.x[k] == task[k]);

    /* BPTT over the episode. */
    lsnn_real *gy = malloc(sizeof(lsnn_real) * ny), *gz = malloc(sizeof(lsnn_real) * net.n);
    fill_normal(gy, ny, 5, 1.0);
    fill_normal(gz, (size_t)net.n, 6, 0.1);
    lsnn_real *gc = malloc(sizeof(lsnn_real) * np), *go = malloc(sizeof(lsnn_real) * np);
    assert_int_equal(lsnn_bptt_backward(sc, &net, &bc, gy, gz, gc), LSNN_OK);

    /* Open loop on the recorded inputs, in another workspace and batch. */
    memcpy(bo.x, bc.x, sizeof(lsnn_real) * (size_t)B * T * NIN);
    memcpy(bo.n_windows, bc.n_windows, sizeof(int) * B);
    memcpy(bo.windows, bc.windows, sizeof(lsnn_window) * B);
    bo.noise_key = bc.noise_key;
    assert_int_equal(lsnn_sim_forward(so, &net, &bo, yo, co, NULL), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(so, &net, &bo, gy, gz, go), LSNN_OK);
    assert_same_reals("y", yc, yo, ny);
    assert_same_doubles("spike count", cc, co, (size_t)net.n);
    assert_same_reals("gradient", gc, go, np);
    double gn = 0;
    for (size_t k = 0; k < np; k++)
        gn += (double)gc[k] * gc[k];
    assert_true(gn > 0);

    /* The same episode again, open loop in the closed-loop workspace itself (the workspace
     * carries nothing over). */
    assert_int_equal(lsnn_sim_forward(sc, &net, &bc, yo, co, NULL), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sc, &net, &bc, gy, gz, go), LSNN_OK);
    assert_same_reals("y (same workspace)", yc, yo, ny);
    assert_same_reals("gradient (same workspace)", gc, go, np);

    free(task);
    free(yc);
    free(yo);
    free(seen);
    free(gy);
    free(gz);
    free(gc);
    free(go);
    lsnn_batch_free(&bc);
    lsnn_batch_free(&bo);
    lsnn_sim_free(sc);
    lsnn_sim_free(so);
    lsnn_net_free(&net);
}

static void expect_error(lsnn_status st, lsnn_status want, const char *part);

/* (a') lsnn_sim_run_sequences, chunks of 3 (7 chunks, the last of 2 sequences) running at their
 * own pace, against the step-wise closed loop in the same chunks: the same y, spike counts,
 * inputs and BPTT gradient, bit for bit. */
static void test_run_sequences_bitidentical(void **state)
{
    (void)state;
    lsnn_net net;
    build_net(&net, 0.3, 0);
    const size_t ny = (size_t)B * T * NOUT, np = net.n_params, nx = (size_t)B * T * NIN;
    lsnn_status st;
    lsnn_sim *sa = lsnn_sim_create_chunked(&net, B, T, 3, &st);
    lsnn_sim *sb = lsnn_sim_create_chunked(&net, B, T, 3, &st);
    assert_non_null(sa);
    assert_non_null(sb);
    lsnn_batch ba, bb;
    assert_int_equal(lsnn_batch_init(&ba, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    assert_int_equal(lsnn_batch_init(&bb, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_task_channel(&ba);
    fill_task_channel(&bb);
    ba.noise_key = bb.noise_key = 0x5eed;
    lsnn_real *ya = malloc(sizeof(lsnn_real) * ny), *yb = malloc(sizeof(lsnn_real) * ny);
    double ca[64], cb[64];
    assert_true(net.n <= 64);
    env_ctx e = {B, 11, NULL, 0, 0, -1};
    assert_int_equal(lsnn_sim_run_closed_loop(sa, &net, &ba, env_fn, &e, ya, ca), LSNN_OK);
    int after[B];
    for (int g = 0; g < B; g++)
        after[g] = -1;
    seq_ctx c = {11, &bb, yb, after, 1};
    assert_int_equal(lsnn_sim_run_sequences(sb, &net, &bb, seq_fn, &c, yb, cb), LSNN_OK);
    assert_true(c.order_ok);
    for (int g = 0; g < B; g++)
        assert_int_equal(after[g], T - 1);
    assert_same_reals("inputs (sequences vs step-wise)", bb.x, ba.x, nx);
    assert_same_reals("y (sequences vs step-wise)", yb, ya, ny);
    assert_same_doubles("spike count (sequences vs step-wise)", cb, ca, (size_t)net.n);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * ny), *gz = malloc(sizeof(lsnn_real) * net.n);
    fill_normal(gy, ny, 5, 1.0);
    fill_normal(gz, (size_t)net.n, 6, 0.1);
    lsnn_real *ga = malloc(sizeof(lsnn_real) * np), *gb = malloc(sizeof(lsnn_real) * np);
    assert_int_equal(lsnn_bptt_backward(sa, &net, &ba, gy, gz, ga), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sb, &net, &bb, gy, gz, gb), LSNN_OK);
    assert_same_reals("gradient (sequences vs step-wise)", gb, ga, np);
    double gn = 0;
    for (size_t k = 0; k < np; k++)
        gn += (double)ga[k] * ga[k];
    assert_true(gn > 0);
    /* A missing function or readout is refused. */
    expect_error(lsnn_sim_run_sequences(sb, &net, &bb, NULL, &c, yb, NULL), LSNN_ERR_ARG,
                 "sequence function");
    expect_error(lsnn_sim_run_sequences(sb, &net, &bb, seq_fn, &c, NULL, NULL), LSNN_ERR_ARG,
                 "readout y");
    free(ya);
    free(yb);
    free(gy);
    free(gz);
    free(ga);
    free(gb);
    lsnn_batch_free(&ba);
    lsnn_batch_free(&bb);
    lsnn_sim_free(sa);
    lsnn_sim_free(sb);
    lsnn_net_free(&net);
}

static void test_closed_loop_bitidentical(void **state)
{
    (void)state;
    closed_vs_open(0);
}

static void test_closed_loop_bitidentical_records(void **state)
{
    (void)state;
    closed_vs_open(1);
}

/* (b) With smooth spikes, the gradient of L = sum cy y + sum cz count over the closed-loop
 * episode (inputs as recorded, held fixed) against central finite differences. */
typedef struct fd_fix {
    lsnn_net net;
    lsnn_batch batch;
    lsnn_sim *sim;
    lsnn_real *cy, *cz, *y;
    double *count;
} fd_fix;

static double fd_loss(fd_fix *f)
{
    assert_int_equal(lsnn_sim_forward(f->sim, &f->net, &f->batch, f->y, f->count, NULL), LSNN_OK);
    double L = 0;
    for (size_t k = 0; k < (size_t)B * T * NOUT; k++)
        L += (double)f->cy[k] * f->y[k];
    for (int j = 0; j < f->net.n; j++)
        L += (double)f->cz[j] * f->count[j];
    return L;
}

static void test_closed_loop_finite_differences(void **state)
{
    (void)state;
    fd_fix f;
    memset(&f, 0, sizeof f);
    build_net(&f.net, 0.3, 1);
    const size_t ny = (size_t)B * T * NOUT, np = f.net.n_params;
    f.sim = lsnn_sim_create(&f.net, B, T, NULL);
    assert_non_null(f.sim);
    assert_int_equal(lsnn_batch_init(&f.batch, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    fill_task_channel(&f.batch);
    f.batch.noise_key = 0x5eed;
    f.cy = malloc(sizeof(lsnn_real) * ny);
    f.cz = malloc(sizeof(lsnn_real) * f.net.n);
    f.y = malloc(sizeof(lsnn_real) * ny);
    f.count = malloc(sizeof(double) * f.net.n);
    fill_normal(f.cy, ny, 8, 1.0);
    fill_normal(f.cz, (size_t)f.net.n, 9, 0.5);
    env_ctx e = {B, 12, NULL, 0, 0, -1};
    assert_int_equal(lsnn_sim_run_closed_loop(f.sim, &f.net, &f.batch, env_fn, &e, f.y, f.count),
                     LSNN_OK);
    double frac = (double)e.fb_on / (double)e.fb_all;
    assert_true(frac > 0.05 && frac < 0.95);
    lsnn_real *grad = malloc(sizeof(lsnn_real) * np);
    assert_int_equal(lsnn_bptt_backward(f.sim, &f.net, &f.batch, f.cy, f.cz, grad), LSNN_OK);

    struct {
        const char *name;
        lsnn_real *p;
        size_t count;
    } tensors[LSNN_MAX_PROJ + 3];
    int nt = 0;
    for (int p = 0; p < f.net.n_proj; p++) {
        tensors[nt].name = f.net.proj[p].name;
        tensors[nt].p = f.net.proj[p].w;
        tensors[nt++].count = (size_t)f.net.proj[p].n_src * f.net.proj[p].n_dst;
    }
    tensors[nt].name = "w_out";
    tensors[nt].p = f.net.w_out;
    tensors[nt++].count = (size_t)f.net.n * NOUT;
    tensors[nt].name = "b_out";
    tensors[nt].p = f.net.b_out;
    tensors[nt++].count = NOUT;
    tensors[nt].name = "noise_std";
    tensors[nt].p = f.net.noise_std;
    tensors[nt++].count = (size_t)f.net.n;
    const double eps = 1e-6;
    double *fd = malloc(sizeof(double) * np);
    for (int q = 0; q < nt; q++) {
        /* scale: the root mean square of the tensor's finite differences, so that entries far
         * below the tensor's typical size are compared at that size. */
        double ss = 0, worst = 0;
        for (size_t k = 0; k < tensors[q].count; k++) {
            lsnn_real keep = tensors[q].p[k];
            tensors[q].p[k] = keep + eps;
            double lp = fd_loss(&f);
            tensors[q].p[k] = keep - eps;
            double lm = fd_loss(&f);
            tensors[q].p[k] = keep;
            fd[k] = (lp - lm) / (2 * eps);
            ss += fd[k] * fd[k];
        }
        const double scale = sqrt(ss / (double)tensors[q].count);
        assert_true(scale > 0);
        for (size_t k = 0; k < tensors[q].count; k++) {
            const double g = grad[tensors[q].p - f.net.params + k];
            const double r = fabs(g - fd[k]) / (fabs(fd[k]) + scale);
            if (r > worst)
                worst = r;
            if (!(r <= 1e-5)) {
                printf("%s[%zu]: BPTT %.10e, finite difference %.10e (|g - fd| / (|fd| + %.3e) "
                       "= %.2e)\n",
                       tensors[q].name, k, g, fd[k], scale, r);
                fail();
            }
        }
        printf("%-9s %3zu entries, rms of fd %.3e, worst |g - fd| / (|fd| + rms) %.2e\n",
               tensors[q].name, tensors[q].count, scale, worst);
    }
    free(fd);
    free(grad);
    free(f.cy);
    free(f.cz);
    free(f.y);
    free(f.count);
    lsnn_sim_free(f.sim);
    lsnn_batch_free(&f.batch);
    lsnn_net_free(&f.net);
}

/* Half-batch additivity. */
enum { BF = 40, BH = BF / 2 };

/* Copies sequences g0 .. g0+Bn-1 of src (inputs, windows) into dst. */
static void copy_part(lsnn_batch *dst, const lsnn_batch *src, int g0)
{
    memcpy(dst->x, src->x + (size_t)g0 * T * NIN, sizeof(lsnn_real) * (size_t)dst->B * T * NIN);
    memcpy(dst->n_windows, src->n_windows + g0, sizeof(int) * dst->B);
    memcpy(dst->windows, src->windows + g0, sizeof(lsnn_window) * dst->B);
    dst->noise_key = src->noise_key;
}

/* |full - (h1 + h2) * f| <= 1e-12 (|h1| + |h2|) f entry by entry: the rounding of sums of the
 * same terms in another grouping. Returns the largest ratio of the error to its bound. */
static double check_additive(const char *what, const lsnn_real *full, const lsnn_real *h1,
                             const lsnn_real *h2, size_t np, double f)
{
    double worst = 0, norm = 0;
    for (size_t k = 0; k < np; k++) {
        const double sum = ((double)h1[k] + h2[k]) * f;
        const double bound = 1e-12 * (fabs((double)h1[k]) + fabs((double)h2[k])) * f;
        const double err = fabs((double)full[k] - sum);
        norm += sum * sum;
        if (err > bound) {
            printf("%s[%zu]: batch %.17g, halves %.17g + %.17g (x %.2f) = %.17g, error %.2e > "
                   "%.2e\n",
                   what, k, (double)full[k], (double)h1[k], (double)h2[k], f, sum, err, bound);
            fail();
        }
        if (bound > 0 && err / bound > worst)
            worst = err / bound;
    }
    assert_true(norm > 0);
    return worst;
}

static void test_half_batch_additivity(void **state)
{
    (void)state;
    lsnn_net net;
    build_net(&net, 0, 0);
    const size_t np = net.n_params;
    lsnn_batch full, half[2];
    assert_int_equal(lsnn_batch_init(&full, BF, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    test_fill_batch(&full, 21, 10, 0x5eed);
    for (int h = 0; h < 2; h++) {
        assert_int_equal(lsnn_batch_init(&half[h], BH, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1),
                         LSNN_OK);
        copy_part(&half[h], &full, h * BH);
    }
    /* The halves run in chunks of 16 + 4 sequences, the batch in 16 + 16 + 8: the same terms
     * summed in another grouping. */
    assert_int_equal(lsnn_chunk_size(BF), 16);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * (size_t)BF * T * NOUT);
    lsnn_real *gz = malloc(sizeof(lsnn_real) * net.n);
    fill_normal(gy, (size_t)BF * T * NOUT, 31, 1.0);
    fill_normal(gz, (size_t)net.n, 32, 0.1);
    lsnn_real *y = malloc(sizeof(lsnn_real) * (size_t)BF * T * NOUT);
    lsnn_real *gf = malloc(sizeof(lsnn_real) * np), *gh[2];
    double count[64], spikes = 0;
    lsnn_sim *sf = lsnn_sim_create(&net, BF, T, NULL);
    assert_non_null(sf);
    assert_int_equal(lsnn_sim_forward(sf, &net, &full, y, count, NULL), LSNN_OK);
    for (int j = 0; j < net.n; j++)
        spikes += count[j];
    assert_true(spikes > 100);
    assert_int_equal(lsnn_bptt_backward(sf, &net, &full, gy, gz, gf), LSNN_OK);
    for (int h = 0; h < 2; h++) {
        lsnn_sim *s = lsnn_sim_create(&net, BH, T, NULL);
        assert_non_null(s);
        gh[h] = malloc(sizeof(lsnn_real) * np);
        assert_int_equal(lsnn_sim_forward(s, &net, &half[h], y, NULL, NULL), LSNN_OK);
        assert_int_equal(lsnn_bptt_backward(s, &net, &half[h], gy + (size_t)h * BH * T * NOUT,
                                            gz, gh[h]),
                         LSNN_OK);
        lsnn_sim_free(s);
    }
    double w = check_additive("BPTT gradient", gf, gh[0], gh[1], np, 1.0);
    printf("BPTT: worst error / bound %.3f\n", w);

    /* e-prop: the loss is the mean over the batch's windows (and the rate regularisation a
     * mean over sequences and steps), so the batch's gradient is the mean of the halves'
     * (one window per sequence, equal halves). */
    lsnn_eprop_opts eo = {0};
    eo.feedback = LSNN_FEEDBACK_SYMMETRIC;
    eo.reset_grad = 1;
    eo.rate_reg = 0.3;
    eo.rate_target_hz = 10;
    lsnn_loss_result lr;
    lsnn_eprop *ef = lsnn_eprop_create(&net, BF, &eo, 3, NULL);
    assert_non_null(ef);
    assert_int_equal(lsnn_eprop_run(ef, &net, &full, gf, NULL, NULL, NULL, &lr), LSNN_OK);
    lsnn_eprop_free(ef);
    for (int h = 0; h < 2; h++) {
        lsnn_eprop *e = lsnn_eprop_create(&net, BH, &eo, 3, NULL);
        assert_non_null(e);
        assert_int_equal(lsnn_eprop_run(e, &net, &half[h], gh[h], NULL, NULL, NULL, &lr), LSNN_OK);
        lsnn_eprop_free(e);
    }
    w = check_additive("e-prop gradient", gf, gh[0], gh[1], np, 0.5);
    printf("e-prop: worst error / bound %.3f\n", w);

    free(gy);
    free(gz);
    free(y);
    free(gf);
    free(gh[0]);
    free(gh[1]);
    lsnn_sim_free(sf);
    lsnn_batch_free(&full);
    lsnn_batch_free(&half[0]);
    lsnn_batch_free(&half[1]);
    lsnn_net_free(&net);
}

/* Misuse of the step-wise API. */
static void expect_error(lsnn_status st, lsnn_status want, const char *part)
{
    if (st != want || !strstr(lsnn_last_error(), part)) {
        printf("status %d (want %d), message '%s' (want it to contain '%s')\n", (int)st,
               (int)want, lsnn_last_error(), part);
        fail();
    }
}

static void test_step_errors(void **state)
{
    (void)state;
    lsnn_net net;
    build_net(&net, 0.3, 0);
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, NULL);
    assert_non_null(sim);
    lsnn_batch b, other, streamed;
    assert_int_equal(lsnn_batch_init(&b, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    assert_int_equal(lsnn_batch_init(&other, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1), LSNN_OK);
    assert_int_equal(
        lsnn_batch_init_streamed(&streamed, B, T, NIN, NOUT, LSNN_LOSS_CE_WINDOW, 1, T / 2),
        LSNN_OK);
    fill_task_channel(&b);
    lsnn_real *y = malloc(sizeof(lsnn_real) * (size_t)B * T * NOUT);
    lsnn_real *g = malloc(sizeof(lsnn_real) * net.n_params);
    lsnn_real *gy = calloc((size_t)B * T * NOUT, sizeof(lsnn_real));

    expect_error(lsnn_sim_step(sim, &net, &b, 0, y, NULL), LSNN_ERR_ARG, "no episode is open");
    expect_error(lsnn_sim_end(sim, &net, &b, NULL), LSNN_ERR_ARG, "no episode is open");
    expect_error(lsnn_sim_begin(sim, &net, &streamed), LSNN_ERR_ARG, "streamed");
    assert_int_equal(lsnn_sim_begin(sim, &net, &b), LSNN_OK);
    expect_error(lsnn_sim_step(sim, &net, &b, 1, y, NULL), LSNN_ERR_ARG, "the next is step 0");
    expect_error(lsnn_sim_step(sim, &net, &other, 0, y, NULL), LSNN_ERR_ARG, "not the one given");
    assert_int_equal(lsnn_sim_step(sim, &net, &b, 0, y, NULL), LSNN_OK);
    expect_error(lsnn_sim_step(sim, &net, &b, 0, y, NULL), LSNN_ERR_ARG, "the next is step 1");
    expect_error(lsnn_sim_step(sim, &net, &b, -1, y, NULL), LSNN_ERR_ARG, "the next is step 1");
    expect_error(lsnn_sim_end(sim, &net, &b, NULL), LSNN_ERR_ARG, "1 of 40 steps have run");
    expect_error(lsnn_bptt_backward(sim, &net, &b, gy, NULL, g), LSNN_ERR_ARG, "bptt");
    for (int t = 1; t < T; t++)
        assert_int_equal(lsnn_sim_step(sim, &net, &b, t, y, NULL), LSNN_OK);
    expect_error(lsnn_sim_step(sim, &net, &b, T, y, NULL), LSNN_ERR_ARG, "all 40 steps have run");
    expect_error(lsnn_sim_end(sim, &net, &other, NULL), LSNN_ERR_ARG, "not the one given");
    assert_int_equal(lsnn_sim_end(sim, &net, &b, NULL), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &b, gy, NULL, g), LSNN_OK);
    expect_error(lsnn_sim_step(sim, &net, &b, 0, y, NULL), LSNN_ERR_ARG, "no episode is open");
    expect_error(lsnn_sim_end(sim, &net, &b, NULL), LSNN_ERR_ARG, "no episode is open");

    /* lsnn_sim_forward during an episode ends it. */
    assert_int_equal(lsnn_sim_begin(sim, &net, &b), LSNN_OK);
    assert_int_equal(lsnn_sim_step(sim, &net, &b, 0, y, NULL), LSNN_OK);
    assert_int_equal(lsnn_sim_forward(sim, &net, &b, y, NULL, NULL), LSNN_OK);
    expect_error(lsnn_sim_step(sim, &net, &b, 1, y, NULL), LSNN_ERR_ARG, "no episode is open");

    /* The driver: NULL arguments, and an environment's error with its step. */
    env_ctx e = {B, 1, NULL, 0, 0, 5};
    expect_error(lsnn_sim_run_closed_loop(sim, &net, &b, NULL, &e, y, NULL), LSNN_ERR_ARG,
                 "environment function is NULL");
    expect_error(lsnn_sim_run_closed_loop(sim, &net, &b, env_fn, &e, NULL, NULL), LSNN_ERR_ARG,
                 "readout y");
    expect_error(lsnn_sim_run_closed_loop(sim, &net, &b, env_fn, &e, y, NULL), LSNN_ERR_RANGE,
                 "closed loop: step 5: toy environment: no step 5");
    expect_error(lsnn_sim_step(sim, &net, &b, 5, y, NULL), LSNN_ERR_ARG, "no episode is open");
    expect_error(lsnn_bptt_backward(sim, &net, &b, gy, NULL, g), LSNN_ERR_ARG, "bptt");
    e.fail_at = -1;
    assert_int_equal(lsnn_sim_run_closed_loop(sim, &net, &b, env_fn, &e, y, NULL), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &b, gy, NULL, g), LSNN_OK);

    free(y);
    free(g);
    free(gy);
    lsnn_batch_free(&b);
    lsnn_batch_free(&other);
    lsnn_batch_free(&streamed);
    lsnn_sim_free(sim);
    lsnn_net_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_loop_bitidentical),
        cmocka_unit_test(test_closed_loop_bitidentical_records),
        cmocka_unit_test(test_run_sequences_bitidentical),
        cmocka_unit_test(test_closed_loop_finite_differences),
        cmocka_unit_test(test_half_batch_additivity),
        cmocka_unit_test(test_step_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

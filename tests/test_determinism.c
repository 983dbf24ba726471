/* Same seed => bit-identical results, whatever the number of threads; the batch is split into
 * fixed chunks whose partial gradients are summed in chunk order. Also: a sequence's result does
 * not depend on which other sequences share its batch. */
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

#include "lsnn/config.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

typedef struct run_out {
    lsnn_real *y, *grad;
    size_t ny, np;
} run_out;

static void run_frozen(int threads, int B, uint64_t first, run_out *o, int frozen_proj);

static void run(int threads, int B, uint64_t first, run_out *o)
{
    run_frozen(threads, B, first, o, -1);
}

static size_t g_rec_off, g_rec_len;
static int g_chunk; /* the chunk size of run_frozen's workspace (0: lsnn_chunk_size) */

static void run_frozen(int threads, int B, uint64_t first, run_out *o, int frozen_proj)
{
    omp_set_num_threads(threads);
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.p_command = 0.5;
    cfg.network.max_delay = 3;
    cfg.network.noise_std = 0.01;
    const lsnn_task *task = lsnn_task_find("store_recall");
    lsnn_task_shape sh;
    assert_int_equal(task->shape(&cfg, &sh), LSNN_OK);
    lsnn_net net;
    assert_int_equal(lsnn_net_init(&net, &cfg.network, sh.n_in, sh.n_out, 11), LSNN_OK);
    if (frozen_proj >= 0)
        net.proj[frozen_proj].frozen = 1;
    g_rec_off = net.proj[1].param_off;
    g_rec_len = (size_t)net.proj[1].n_src * net.proj[1].n_dst;
    lsnn_batch b;
    assert_int_equal(lsnn_batch_init(&b, B, sh.T, sh.n_in, sh.n_out, sh.loss, sh.max_windows),
                     LSNN_OK);
    assert_int_equal(task->generate(NULL, &cfg, 5, LSNN_STREAM_TRAIN, first, &b), LSNN_OK);
    b.noise_key = 77; /* shared key: noise depends on (key, sequence index within batch) */
    lsnn_sim *sim = lsnn_sim_create_chunked(&net, B, sh.T, g_chunk, NULL);
    o->ny = (size_t)B * sh.T * sh.n_out;
    o->np = net.n_params;
    o->y = malloc(sizeof(lsnn_real) * o->ny);
    o->grad = malloc(sizeof(lsnn_real) * o->np);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * o->ny);
    assert_int_equal(lsnn_sim_forward(sim, &net, &b, o->y, NULL, NULL), LSNN_OK);
    lsnn_loss_result lr;
    assert_int_equal(lsnn_loss_compute(&b, o->y, gy, &lr), LSNN_OK);
    assert_int_equal(lsnn_bptt_backward(sim, &net, &b, gy, NULL, o->grad), LSNN_OK);
    free(gy);
    lsnn_sim_free(sim);
    lsnn_batch_free(&b);
    lsnn_net_free(&net);
}

static void test_thread_count_invariance(void **state)
{
    (void)state;
    run_out a, b;
    run(1, 40, 0, &a);
    run(2, 40, 0, &b);
    assert_memory_equal(a.y, b.y, sizeof(lsnn_real) * a.ny);
    assert_memory_equal(a.grad, b.grad, sizeof(lsnn_real) * a.np);
    double norm = 0;
    for (size_t k = 0; k < a.np; k++)
        norm += (double)a.grad[k] * a.grad[k];
    check_gt(norm, 0);
    free(a.y);
    free(a.grad);
    free(b.y);
    free(b.grad);
}

/* A chunk size of our own (the config key chunk): still independent of the thread count; the
 * readout of every sequence is the same as with the automatic chunks, and the gradient differs
 * only by the order of the partial sums. */
static void test_chunk_size(void **state)
{
    (void)state;
    run_out a, b, c;
    g_chunk = 3;
    run(1, 10, 0, &a);
    run(2, 10, 0, &b);
    g_chunk = 0;
    run(2, 10, 0, &c);
    assert_memory_equal(a.y, b.y, sizeof(lsnn_real) * a.ny);
    assert_memory_equal(a.grad, b.grad, sizeof(lsnn_real) * a.np);
    assert_memory_equal(a.y, c.y, sizeof(lsnn_real) * a.ny);
    double norm = 0, diff = 0;
    for (size_t k = 0; k < a.np; k++) {
        norm += (double)c.grad[k] * c.grad[k];
        diff += ((double)a.grad[k] - c.grad[k]) * ((double)a.grad[k] - c.grad[k]);
    }
    check_gt(norm, 0);
    check_le(sqrt(diff), 1e-5 * sqrt(norm));
    free(a.y);
    free(a.grad);
    free(b.y);
    free(b.grad);
    free(c.y);
    free(c.grad);
}

static void test_repeatable(void **state)
{
    (void)state;
    run_out a, b;
    run(2, 20, 3, &a);
    run(2, 20, 3, &b);
    assert_memory_equal(a.grad, b.grad, sizeof(lsnn_real) * a.np);
    free(a.y);
    free(a.grad);
    free(b.y);
    free(b.grad);
}

/* A frozen projection (an embedded pre-trained module, seed 003 section 4.2) gets no gradient,
 * while gradients still flow through it: the other tensors' gradients are unchanged. */
static void test_frozen_projection(void **state)
{
    (void)state;
    run_out a, f;
    run(2, 20, 0, &a);
    run_frozen(2, 20, 0, &f, 1);
    double rec_norm = 0;
    for (size_t k = 0; k < g_rec_len; k++) {
        check_eq(f.grad[g_rec_off + k], 0);
        rec_norm += (double)a.grad[g_rec_off + k] * a.grad[g_rec_off + k];
    }
    check_gt(rec_norm, 0);
    for (size_t k = 0; k < a.np; k++)
        if (k < g_rec_off || k >= g_rec_off + g_rec_len)
            check_eq(a.grad[k], f.grad[k]);
    free(a.y);
    free(a.grad);
    free(f.y);
    free(f.grad);
}

/* Excitatory / inhibitory populations: every outgoing weight keeps its population's sign through
 * training (weights that would cross zero stop at zero). */
static void test_signed_populations(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.p_command = 0.5;
    cfg.batch_size = 16;
    cfg.lr = 0.05; /* large steps: many weights are pushed towards the wrong sign */
    snprintf(cfg.network.sign_regular, sizeof cfg.network.sign_regular, "exc");
    snprintf(cfg.network.sign_adaptive, sizeof cfg.network.sign_adaptive, "inh");
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    const lsnn_net *net = &tr.net;
    const lsnn_projection *rec = &net->proj[1];
    long zeros_before = 0, zeros_after = 0;
    for (int it = 0; it <= 10; it++) {
        for (int i = 0; i < net->n; i++) {
            double s = i < cfg.network.n_regular ? 1 : -1;
            for (int j = 0; j < rec->n_dst; j++) {
                double w = rec->w[(size_t)i * rec->n_dst + j];
                check_ge(s * w, 0);
                if (it == 0)
                    zeros_before += w == 0;
                if (it == 10)
                    zeros_after += w == 0;
            }
            for (int k = 0; k < net->n_out; k++)
                check_ge(s * net->w_out[(size_t)i * net->n_out + k], 0);
        }
        if (it < 10)
            assert_int_equal(lsnn_trainer_step(&tr, NULL), LSNN_OK);
    }
    assert_int_equal(zeros_before, net->n); /* only the diagonal */
    check_gt(zeros_after, zeros_before); /* the constraint was active */
    lsnn_trainer_free(&tr);
}

/* The evaluation's progress callback: once per batch, increasing, ending at the total; and the
 * result does not depend on whether it is set. */
typedef struct progress_log {
    int calls;
    long last, total;
    int monotonic;
} progress_log;

static void log_progress(void *ctx, long done, long total)
{
    progress_log *p = ctx;
    p->monotonic &= done > p->last && done <= total;
    p->calls++;
    p->last = done;
    p->total = total;
}

static void test_eval_progress(void **state)
{
    (void)state;
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.store_recall.n_symbols = 3;
    cfg.batch_size = 8;
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    lsnn_eval_result a, b;
    assert_int_equal(lsnn_trainer_evaluate(&tr, LSNN_STREAM_VALID, 27, &a, NULL), LSNN_OK);
    progress_log p = {0, 0, 0, 1};
    tr.eval_progress = log_progress;
    tr.eval_progress_ctx = &p;
    assert_int_equal(lsnn_trainer_evaluate(&tr, LSNN_STREAM_VALID, 27, &b, NULL), LSNN_OK);
    assert_int_equal(p.calls, 4); /* 8 + 8 + 8 + 3 */
    assert_true(p.monotonic);
    assert_int_equal(p.last, 27);
    assert_int_equal(p.total, 27);
    check_eq(a.loss, b.loss);
    check_eq(a.correct, b.correct);
    check_eq(a.total, b.total);
    lsnn_trainer_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_count_invariance),
        cmocka_unit_test(test_repeatable),
        cmocka_unit_test(test_chunk_size),
        cmocka_unit_test(test_frozen_projection),
        cmocka_unit_test(test_signed_populations),
        cmocka_unit_test(test_eval_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

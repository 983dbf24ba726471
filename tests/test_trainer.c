/* The seams of the trainer (lsnn/train.h): gradient and apply as separate calls give the same
 * model as lsnn_trainer_step; the task is an argument of each gradient call (a task of another
 * shape is refused); a closed-loop episode through the trainer gives the forward pass's readout
 * and BPTT gradient bit for bit; models without a step-wise form refuse an episode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

static lsnn_config small_config(const char *learning)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.learning, sizeof cfg.learning, "%s", learning);
    cfg.batch_size = 8;
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.symbol_ms = 50;
    cfg.store_recall.p_command = 0.5;
    cfg.network.n_regular = 10;
    cfg.network.n_adaptive = 10;
    cfg.network.max_delay = 2;
    cfg.network.noise_std = 0.01;
    return cfg;
}

/* Index of the first differing parameter, or -1. */
static long first_diff(const lsnn_real *a, const lsnn_real *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp(&a[k], &b[k], sizeof a[k]) != 0)
            return (long)k;
    return -1;
}

static void split_equals_step(const char *learning)
{
    lsnn_config cfg = small_config(learning);
    lsnn_trainer a, b;
    assert_int_equal(lsnn_trainer_init(&a, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_init(&b, &cfg), LSNN_OK);
    lsnn_real *grad = malloc(sizeof(lsnn_real) * b.n_params);
    lsnn_real *before = malloc(sizeof(lsnn_real) * b.n_params);
    for (int it = 0; it < 3; it++) {
        lsnn_iter_stats sa, sb;
        assert_int_equal(lsnn_trainer_step(&a, &sa), LSNN_OK);
        uint64_t first = (uint64_t)it * (uint64_t)cfg.batch_size;
        memcpy(before, b.params, sizeof(lsnn_real) * b.n_params);
        assert_int_equal(lsnn_trainer_compute_gradient(&b, b.task, b.task_state,
                                                       LSNN_STREAM_TRAIN, first, grad, &sb),
                         LSNN_OK);
        /* computing a gradient leaves the parameters alone */
        long d = first_diff(before, b.params, b.n_params);
        if (d >= 0)
            fail_msg("%s: parameter %ld changed before apply", learning, d);
        assert_int_equal(lsnn_trainer_apply(&b, grad, &sb), LSNN_OK);
        d = first_diff(a.params, b.params, a.n_params);
        if (d >= 0)
            fail_msg("%s, iteration %d: parameter %ld: step %.9g, gradient + apply %.9g", learning,
                     it + 1, d, (double)a.params[d], (double)b.params[d]);
        if (sa.loss != sb.loss || sa.grad_norm != sb.grad_norm)
            fail_msg("%s: stats differ: loss %.9g vs %.9g, norm %.9g vs %.9g", learning, sa.loss,
                     sb.loss, sa.grad_norm, sb.grad_norm);
    }
    assert_int_equal(a.iteration, 3);
    assert_int_equal(b.iteration, 3);
    free(grad);
    free(before);
    lsnn_trainer_free(&a);
    lsnn_trainer_free(&b);
}

static void test_split_bptt(void **state)
{
    (void)state;
    split_equals_step("bptt");
}

static void test_split_eprop(void **state)
{
    (void)state;
    split_equals_step("eprop");
}

/* store_recall with its inputs silenced: same shape, another task. */
static lsnn_task g_quiet;
static lsnn_status quiet_generate(const void *st, const lsnn_config *cfg, uint64_t seed,
                                  uint64_t stream, uint64_t first, lsnn_batch *b)
{
    lsnn_status s = lsnn_task_find("store_recall")->generate(st, cfg, seed, stream, first, b);
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * b->x_nt * b->n_in);
    return s;
}

static lsnn_status wide_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    lsnn_status s = lsnn_task_find("store_recall")->shape(cfg, out);
    out->n_in += 1;
    return s;
}

static void test_task_argument(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("bptt");
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    const size_t np = tr.n_params;
    lsnn_real *g_task = malloc(sizeof(lsnn_real) * np);
    lsnn_real *g_hand = malloc(sizeof(lsnn_real) * np);
    g_quiet = *tr.task;
    g_quiet.name = "quiet";
    g_quiet.generate = quiet_generate;
    assert_int_equal(lsnn_trainer_compute_gradient(&tr, &g_quiet, NULL, LSNN_STREAM_TRAIN, 0,
                                                   g_task, NULL),
                     LSNN_OK);
    /* the same batch filled by hand, through the trainer's own task and the batch-level call */
    assert_int_equal(tr.task->generate(NULL, &cfg, cfg.seed, LSNN_STREAM_TRAIN, 0, &tr.batch),
                     LSNN_OK);
    memset(tr.batch.x, 0, sizeof(lsnn_real) * (size_t)tr.batch.B * tr.batch.T * tr.batch.n_in);
    lsnn_loss_result lr;
    double reg;
    assert_int_equal(lsnn_trainer_gradient(&tr, &lr, &reg), LSNN_OK);
    memcpy(g_hand, tr.grad, sizeof(lsnn_real) * np);
    long d = first_diff(g_task, g_hand, np);
    if (d >= 0)
        fail_msg("gradient %ld: task argument %.9g, batch by hand %.9g", d, (double)g_task[d],
                 (double)g_hand[d]);
    /* and it differs from the trainer's own task (its inputs are not silent) */
    assert_int_equal(lsnn_trainer_compute_gradient(&tr, tr.task, NULL, LSNN_STREAM_TRAIN, 0,
                                                   g_hand, NULL),
                     LSNN_OK);
    assert_true(first_diff(g_task, g_hand, np) >= 0);
    /* a task of another shape is refused, naming both */
    lsnn_task wide = *tr.task;
    wide.name = "wide";
    wide.shape = wide_shape;
    assert_int_equal(lsnn_trainer_compute_gradient(&tr, &wide, NULL, LSNN_STREAM_TRAIN, 0, g_hand,
                                                   NULL),
                     LSNN_ERR_SHAPE);
    assert_non_null(strstr(lsnn_last_error(), "'wide'"));
    free(g_task);
    free(g_hand);
    lsnn_trainer_free(&tr);
}

/* Closed loop: input channel 0 of step t is 1 where the readout's first output of step t - 1 is
 * positive; the other channels keep the task's values. */
static void closed_loop_inputs(lsnn_trainer *tr, int t)
{
    lsnn_batch *b = &tr->batch;
    for (int g = 0; g < b->B; g++) {
        lsnn_real *x = (lsnn_real *)lsnn_batch_x(b, g, t);
        x[0] = t > 0 && tr->y[((size_t)g * b->T + t - 1) * b->n_out] > 0 ? 1 : 0;
    }
}

static void test_episode(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("bptt");
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    const lsnn_batch *b = &tr.batch;
    const size_t ny = (size_t)b->B * b->T * b->n_out, np = tr.n_params;
    lsnn_real *y = malloc(sizeof(lsnn_real) * ny), *g = malloc(sizeof(lsnn_real) * np);
    assert_int_equal(tr.task->generate(NULL, &cfg, cfg.seed, LSNN_STREAM_TRAIN, 0, &tr.batch),
                     LSNN_OK);
    assert_int_equal(lsnn_trainer_episode_begin(&tr), LSNN_OK);
    for (int t = 0; t < b->T; t++) {
        closed_loop_inputs(&tr, t);
        assert_int_equal(lsnn_trainer_episode_step(&tr, t), LSNN_OK);
    }
    assert_int_equal(lsnn_trainer_episode_end(&tr), LSNN_OK);
    long fed_back = 0;
    for (int q = 0; q < b->B; q++)
        for (int t = 0; t < b->T; t++)
            fed_back += lsnn_batch_x(b, q, t)[0] != 0;
    assert_true(fed_back > 0);
    memcpy(y, tr.y, sizeof(lsnn_real) * ny);
    for (size_t k = 0; k < ny; k++)
        tr.gy[k] = (lsnn_real)(0.001 * (double)(k % 7) - 0.003);
    assert_int_equal(lsnn_trainer_backward(&tr, g), LSNN_OK);
    /* the recorded episode, open loop */
    assert_int_equal(lsnn_trainer_forward(&tr, NULL), LSNN_OK);
    long d = first_diff(y, tr.y, ny);
    if (d >= 0)
        fail_msg("readout %ld: episode %.9g, forward %.9g", d, (double)y[d], (double)tr.y[d]);
    assert_int_equal(lsnn_trainer_backward(&tr, tr.grad), LSNN_OK);
    d = first_diff(g, tr.grad, np);
    if (d >= 0)
        fail_msg("gradient %ld: episode %.9g, forward %.9g", d, (double)g[d], (double)tr.grad[d]);
    free(y);
    free(g);
    lsnn_trainer_free(&tr);

    /* no step-wise form: the bidirectional network and the baselines */
    cfg.network.bidirectional = 1;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_episode_begin(&tr), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "bidirectional"));
    lsnn_trainer_free(&tr);
    cfg.network.bidirectional = 0;
    snprintf(cfg.model, sizeof cfg.model, "lstm");
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_episode_begin(&tr), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "lstm"));
    lsnn_trainer_free(&tr);
}

/* A trained noise std is a signed scale: gradient steps may take it below zero (the meta-RL run
 * did), and its checkpoint must load again to resume. A fixed noise std below zero is refused,
 * naming the tensor and the neuron. */
static void test_signed_trained_noise(void **state)
{
    (void)state;
    char path[1024];
    const char *dir = getenv("LSNN_BINARY_DIR");
    snprintf(path, sizeof path, "%s/test_trainer_noise_%ld.safetensors", dir ? dir : "/tmp",
             (long)getpid());
    for (int trained = 1; trained >= 0; trained--) {
        lsnn_config cfg = small_config("bptt");
        cfg.network.train_noise = trained;
        lsnn_trainer a, b;
        assert_int_equal(lsnn_trainer_init(&a, &cfg), LSNN_OK);
        assert_int_equal(lsnn_trainer_init(&b, &cfg), LSNN_OK);
        a.net.noise_std[3] = (lsnn_real)-0.125;
        assert_int_equal(lsnn_checkpoint_save(path, &cfg, &a.net, NULL, 0), LSNN_OK);
        lsnn_status st = lsnn_checkpoint_load(path, &b.net, NULL, NULL);
        if (trained) {
            if (st != LSNN_OK)
                fail_msg("trained noise: load refused: %s", lsnn_last_error());
            if (b.net.noise_std[3] != a.net.noise_std[3])
                fail_msg("noise_std[3]: saved %g, loaded %g", (double)a.net.noise_std[3],
                         (double)b.net.noise_std[3]);
        } else {
            assert_int_equal(st, LSNN_ERR_FORMAT);
            if (!strstr(lsnn_last_error(), "'noise_std': neuron 3 has -0.125"))
                fail_msg("unexpected message: %s", lsnn_last_error());
        }
        lsnn_trainer_free(&a);
        lsnn_trainer_free(&b);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_bptt),
        cmocka_unit_test(test_split_eprop),
        cmocka_unit_test(test_task_argument),
        cmocka_unit_test(test_episode),
        cmocka_unit_test(test_signed_trained_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The flat interface of lsnn/api.h in C (python/tests checks it through the Python package; this
 * test runs in the sanitizer build as well): the traces of every sequence against the
 * single-sequence trace of lsnn_sim_forward; the gradient of the caller's copy of a task batch
 * against the trainer's own, by BPTT and e-prop, bit for bit; stepping against simulating, and
 * a snapshot restored after a probe; refusals with their messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsnn/api.h"
#include "lsnn/config.h"
#include "lsnn/train.h"

static const char *const GRAPH =
    "{\"task\": \"external\", \"seed\": 5, \"batch_size\": 3, \"learning\": \"bptt\","
    " \"external\": {\"inputs\": 4, \"outputs\": 2, \"steps\": 40, \"loss\": \"ce\","
    " \"windows\": 2},"
    " \"network\": {\"readout_tau\": 0, \"max_delay\": 3, \"populations\": ["
    "  {\"name\": \"E\", \"count\": 12, \"beta\": 0},"
    "  {\"name\": \"A\", \"count\": 6, \"beta\": 1.8, \"tau_a\": 100}],"
    " \"projections\": [{\"name\": \"w_in\", \"from\": \"input\", \"to\": [\"E\", \"A\"]},"
    "  {\"name\": \"w_rec\", \"from\": [\"E\", \"A\"], \"to\": [\"E\", \"A\"],"
    "   \"delay\": [1, 3]}]}}";

static lsnn_api_model *graph_model(void)
{
    lsnn_api_model *m = NULL;
    if (lsnn_api_model_new(GRAPH, "graph", &m))
        fail_msg("model: %s", lsnn_last_error());
    return m;
}

static void spikes(lsnn_real *x, size_t n, unsigned seed)
{
    for (size_t k = 0; k < n; k++) {
        seed = seed * 1103515245u + 12345u;
        x[k] = (seed >> 16) % 4 == 0;
    }
}

static void test_info_and_config(void **st)
{
    (void)st;
    lsnn_api_model *m = graph_model();
    long info[LSNN_API_INFO_N];
    lsnn_api_model_info(m, info);
    assert_int_equal(info[LSNN_API_N_IN], 4);
    assert_int_equal(info[LSNN_API_N_OUT], 2);
    assert_int_equal(info[LSNN_API_STEPS], 40);
    assert_int_equal(info[LSNN_API_NEURONS], 18);
    assert_int_equal(info[LSNN_API_BATCH], 3);
    assert_int_equal(info[LSNN_API_WINDOWS], 2);
    assert_int_equal(info[LSNN_API_STEPWISE], 1);
    /* the tensors cover the parameter block's weights */
    int found = 0;
    for (int i = 0; i < lsnn_api_model_n_tensors(m); i++) {
        const char *name;
        int dt, nd;
        void *data;
        int64_t shape[2];
        assert_int_equal(lsnn_api_model_tensor(m, i, &name, &dt, &data, &nd, shape), LSNN_OK);
        if (strcmp(name, "w_rec.delay") == 0) {
            found = 1;
            assert_int_equal(shape[0], 18);
            assert_int_equal(shape[1], 18);
        }
    }
    assert_true(found);
    const char *sets[] = {"lr=0.5", "network.tau_m=30"};
    char *json = NULL;
    assert_int_equal(lsnn_api_config_normalize(GRAPH, "graph", sets, 2, &json), LSNN_OK);
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    assert_int_equal(lsnn_config_parse(&cfg, json, "normalized"), LSNN_OK);
    assert_true(cfg.lr == 0.5 && cfg.network.tau_m == 30 && cfg.external.windows == 2);
    lsnn_api_free(json);
    const char *bad[] = {"external.loss=hinge"};
    assert_int_not_equal(lsnn_api_config_normalize(GRAPH, "graph", bad, 1, &json), LSNN_OK);
    assert_non_null(strstr(lsnn_last_error(), "external.loss"));
    lsnn_api_model_free(m);
}

/* Traces of all sequences: sequence g's equal a pass over that sequence alone. */
static void test_simulate_traces(void **st)
{
    (void)st;
    lsnn_api_model *m = graph_model();
    enum { B = 3, T = 30, N = 18 };
    lsnn_real x[B * T * 4], y[B * T * 2], z[B * T * N], v[B * T * N], th[B * T * N];
    spikes(x, sizeof x / sizeof x[0], 7);
    assert_int_equal(lsnn_api_simulate(m, x, B, T, 0, y, z, v, th), LSNN_OK);
    for (int g = 0; g < B; g++) {
        lsnn_real y1[T * 2], z1[T * N], v1[T * N];
        assert_int_equal(lsnn_api_simulate(m, x + g * T * 4, 1, T, 0, y1, z1, v1, NULL),
                         LSNN_OK);
        assert_memory_equal(y1, y + g * T * 2, sizeof y1);
        assert_memory_equal(z1, z + g * T * N, sizeof z1);
        assert_memory_equal(v1, v + g * T * N, sizeof v1);
    }
    double total = 0;
    for (int k = 0; k < B * T * N; k++)
        total += z[k];
    assert_true(total > 0);
    assert_int_equal(lsnn_api_simulate(m, x, 0, T, 0, y, NULL, NULL, NULL), LSNN_ERR_RANGE);
    lsnn_api_model_free(m);
}

/* The trainer's gradient on its task's batch 0 against lsnn_api_gradient on a copy of it. */
static void check_gradient(const char *rule)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    const char *src = getenv("LSNN_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/configs/store_recall.json", src ? src : "..");
    if (lsnn_config_load(&cfg, path))
        fail_msg("%s", lsnn_last_error());
    cfg.batch_size = 2;
    snprintf(cfg.learning, sizeof cfg.learning, "%s", rule);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_compute_gradient(&tr, tr.task, tr.task_state, LSNN_STREAM_TRAIN,
                                                   0, tr.grad, NULL),
                     LSNN_OK);
    /* the model has the config's bptt; e-prop runs in its second trainer */
    snprintf(cfg.learning, sizeof cfg.learning, "bptt");
    char *json = lsnn_config_to_json(&cfg);
    lsnn_api_model *m = NULL;
    assert_int_equal(lsnn_api_model_new(json, "store_recall", &m), LSNN_OK);
    free(json);
    const lsnn_real *x, *yt, *yw, *wt;
    const int32_t *nw, *win;
    uint64_t key;
    assert_int_equal(lsnn_api_task_batch(m, 1, 0, &x, &nw, &win, &yt, &yw, &wt, &key), LSNN_OK);
    long info[LSNN_API_INFO_N];
    lsnn_api_model_info(m, info);
    const size_t nx = (size_t)info[LSNN_API_BATCH] * info[LSNN_API_STEPS] * info[LSNN_API_N_IN];
    const size_t nwin = (size_t)info[LSNN_API_BATCH] * info[LSNN_API_WINDOWS] * 3;
    /* copies: the model's batch is overwritten by the gradient's pass */
    lsnn_real *xc = malloc(sizeof *xc * nx);
    int32_t *wc = malloc(sizeof *wc * nwin), nwc[2];
    memcpy(xc, x, sizeof *xc * nx);
    memcpy(wc, win, sizeof *wc * nwin);
    memcpy(nwc, nw, sizeof nwc);
    lsnn_real *g = malloc(sizeof *g * (size_t)info[LSNN_API_PARAMS]);
    double stats[4];
    assert_int_equal(lsnn_api_gradient(m, rule, xc, NULL, NULL, nwc, wc, NULL, key, g, stats),
                     LSNN_OK);
    assert_int_equal((size_t)info[LSNN_API_PARAMS], tr.n_params);
    assert_memory_equal(g, tr.grad, sizeof *g * tr.n_params);
    /* a window outside the sequence is refused with its place */
    wc[0] = -1;
    assert_int_equal(lsnn_api_gradient(m, rule, xc, NULL, NULL, nwc, wc, NULL, key, g, stats),
                     LSNN_ERR_RANGE);
    assert_non_null(strstr(lsnn_last_error(), "window 0"));
    free(xc);
    free(wc);
    free(g);
    lsnn_api_model_free(m);
    lsnn_trainer_free(&tr);
}

static void test_gradient_bptt(void **st)
{
    (void)st;
    check_gradient("bptt");
}

static void test_gradient_eprop(void **st)
{
    (void)st;
    check_gradient("eprop");
}

static void test_stepping(void **st)
{
    (void)st;
    lsnn_api_model *m = graph_model();
    enum { B = 2, T = 20, N = 18 };
    lsnn_real x[B * T * 4], y[B * T * 2], z[B * T * N];
    spikes(x, sizeof x / sizeof x[0], 11);
    assert_int_equal(lsnn_api_simulate(m, x, B, T, 9, y, z, NULL, NULL), LSNN_OK);
    assert_int_equal(lsnn_api_begin(m, B, T, 9, 0), LSNN_OK);
    lsnn_real xt[B * 4], yt[B * 2], zt[B * N], ones[B * 4];
    for (int k = 0; k < B * 4; k++)
        ones[k] = 1;
    lsnn_api_state *s = NULL;
    for (int t = 0; t < T; t++) {
        if (t == 8) {
            assert_int_equal(lsnn_api_snapshot(m, &s), LSNN_OK);
            assert_int_equal(lsnn_api_state_step(s), 8);
            for (int p = 0; p < 5; p++) /* a probe */
                assert_int_equal(lsnn_api_step(m, ones, yt, NULL, NULL), LSNN_OK);
            assert_int_equal(lsnn_api_restore(m, s), LSNN_OK);
        }
        for (int g = 0; g < B; g++)
            memcpy(xt + g * 4, x + ((size_t)g * T + t) * 4, sizeof(lsnn_real) * 4);
        int tt = -1;
        assert_int_equal(lsnn_api_step(m, xt, yt, zt, &tt), LSNN_OK);
        assert_int_equal(tt, t);
        for (int g = 0; g < B; g++) {
            assert_memory_equal(yt + g * 2, y + ((size_t)g * T + t) * 2, sizeof(lsnn_real) * 2);
            assert_memory_equal(zt + g * N, z + ((size_t)g * T + t) * N, sizeof(lsnn_real) * N);
        }
    }
    assert_int_equal(lsnn_api_step(m, xt, yt, NULL, NULL), LSNN_ERR_RANGE);
    assert_int_equal(lsnn_api_begin(m, B, T, 9, 0), LSNN_OK);
    assert_int_equal(lsnn_api_restore(m, s), LSNN_ERR_ARG); /* an earlier episode's */
    lsnn_api_state_free(s);
    lsnn_api_model_free(m);
}

/* A trainable episode on a batch's inputs, then lsnn_api_backward with the squared error's
 * dL/dy as lsnn_loss_compute forms it: the gradient of lsnn_api_gradient on that batch, bit for
 * bit. */
static void test_trainable_episode(void **st)
{
    (void)st;
    const char *sets[] = {"external.loss=mse"};
    char *json = NULL;
    assert_int_equal(lsnn_api_config_normalize(GRAPH, "graph", sets, 1, &json), LSNN_OK);
    lsnn_api_model *m = NULL;
    assert_int_equal(lsnn_api_model_new(json, "graph", &m), LSNN_OK);
    lsnn_api_free(json);
    enum { B = 3, T = 40, NI = 4, NO = 2 };
    long info[LSNN_API_INFO_N];
    lsnn_api_model_info(m, info);
    assert_int_equal(info[LSNN_API_BATCH], B);
    const size_t np = (size_t)info[LSNN_API_PARAMS];
    lsnn_real x[B * T * NI], tg[B * T * NO], y[B * T * NO], gy[B * T * NO], xt[B * NI], yt[B * NO];
    spikes(x, sizeof x / sizeof x[0], 21);
    for (int k = 0; k < B * T * NO; k++)
        tg[k] = (lsnn_real)((k % 7) - 3) * 0.25f;
    lsnn_real *g0 = malloc(sizeof *g0 * np), *g1 = malloc(sizeof *g1 * np);
    assert_int_equal(lsnn_api_gradient(m, NULL, x, tg, NULL, NULL, NULL, NULL, 4, g0, NULL),
                     LSNN_OK);
    assert_int_equal(lsnn_api_begin(m, B, T - 1, 4, 1), LSNN_ERR_SHAPE);
    assert_int_equal(lsnn_api_begin(m, B, T, 4, 1), LSNN_OK);
    for (int t = 0; t < T; t++) {
        for (int g = 0; g < B; g++)
            memcpy(xt + g * NI, x + ((size_t)g * T + t) * NI, sizeof(lsnn_real) * NI);
        assert_int_equal(lsnn_api_step(m, xt, yt, NULL, NULL), LSNN_OK);
        for (int g = 0; g < B; g++)
            memcpy(y + ((size_t)g * T + t) * NO, yt + g * NO, sizeof(lsnn_real) * NO);
    }
    for (int k = 0; k < B * T * NO; k++) {
        const double d = y[k] - tg[k]; /* taken in lsnn_real, as lsnn_loss_compute does */
        gy[k] = (lsnn_real)(2 * d / (NO * (double)(B * T)));
    }
    assert_int_equal(lsnn_api_backward(m, gy, g1), LSNN_OK);
    assert_memory_equal(g0, g1, sizeof *g0 * np);
    assert_int_equal(lsnn_api_backward(m, gy, g1), LSNN_ERR_ARG); /* the episode is closed */
    free(g0);
    free(g1);
    lsnn_api_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_and_config), cmocka_unit_test(test_simulate_traces),
        cmocka_unit_test(test_gradient_bptt),   cmocka_unit_test(test_gradient_eprop),
        cmocka_unit_test(test_stepping),        cmocka_unit_test(test_trainable_episode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

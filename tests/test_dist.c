/* Distributed training (lsnn/dist.h) without MPI: P trainers in P threads play the processes,
 * their gather a shared buffer between two barriers. Every rank must end with the parameters,
 * losses, spike rates and evaluation of one undistributed trainer, bit for bit: BPTT (also with
 * DEEP R and the rate regularisation) and e-prop (with its online rate regularisation), 2 and 3
 * processes, an evaluation whose last batch is short (a rank then has no chunk). Each rank
 * generates only its own sequences; the others' inputs are NaN, so a pass that read them would
 * not match. A batch that
 * does not split into whole chunks per process, and models that are not split, are refused. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsnn/config.h"
#include "lsnn/dist.h"
#include "lsnn/train.h"

enum { MAXP = 4, ITERS = 3 };

typedef struct shared {
    pthread_barrier_t bar;
    unsigned char *buf;
    size_t cap;
    int P;
    int fail;
} shared;

/* The collective: every rank writes its bytes into the shared buffer, then copies the whole. */
static int thread_gather(void *ctx, void *buf, const size_t *off, const size_t *len)
{
    shared *sh = ((void **)ctx)[0];
    const int rank = *(int *)((void **)ctx)[1];
    size_t end = 0;
    for (int r = 0; r < sh->P; r++)
        if (off[r] + len[r] > end)
            end = off[r] + len[r];
    if (rank == 0 && end > sh->cap) {
        unsigned char *p = realloc(sh->buf, end);
        if (p) {
            sh->buf = p;
            sh->cap = end;
        } else
            sh->fail = 1;
    }
    pthread_barrier_wait(&sh->bar);
    if (!sh->fail)
        memcpy(sh->buf + off[rank], (unsigned char *)buf + off[rank], len[rank]);
    pthread_barrier_wait(&sh->bar);
    if (!sh->fail)
        for (int r = 0; r < sh->P; r++)
            if (r != rank)
                memcpy((unsigned char *)buf + off[r], sh->buf + off[r], len[r]);
    pthread_barrier_wait(&sh->bar);
    return sh->fail;
}

typedef struct run {
    lsnn_config cfg;
    int rank;
    shared *sh;
    void *ctx[2];
    lsnn_dist d;
    lsnn_real *params;   /* after ITERS iterations */
    size_t n_params;
    double loss[ITERS], rate[ITERS];
    lsnn_eval_result ev;
    lsnn_status st;
} run;

static void *worker(void *arg)
{
    run *r = arg;
    lsnn_trainer tr;
    if ((r->st = lsnn_trainer_init(&tr, &r->cfg)))
        return NULL;
    if (r->sh) {
        r->ctx[0] = r->sh;
        r->ctx[1] = &r->rank;
        r->d = (lsnn_dist){r->rank, r->sh->P, thread_gather, r->ctx};
        if ((r->st = lsnn_trainer_set_dist(&tr, &r->d))) {
            lsnn_trainer_free(&tr);
            return NULL;
        }
    }
    for (int it = 0; it < ITERS && !r->st; it++) {
        lsnn_iter_stats s;
        r->st = lsnn_trainer_step(&tr, &s);
        r->loss[it] = s.loss;
        r->rate[it] = s.rate_hz;
    }
    if (!r->st) /* 21 sequences: the last batch of 5 is one chunk, which one rank computes */
        r->st = lsnn_trainer_evaluate(&tr, LSNN_STREAM_VALID, 21, &r->ev, NULL);
    r->n_params = tr.n_params;
    r->params = malloc(sizeof(lsnn_real) * tr.n_params);
    if (r->params)
        memcpy(r->params, tr.params, sizeof(lsnn_real) * tr.n_params);
    lsnn_trainer_free(&tr);
    return NULL;
}

static lsnn_config small_config(const char *learning)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.learning, sizeof cfg.learning, "%s", learning);
    cfg.batch_size = 16;
    cfg.chunk = 4; /* BPTT: 4 chunks of 4 */
    cfg.store_recall.n_symbols = 4;
    cfg.store_recall.symbol_ms = 30;
    cfg.store_recall.p_command = 0.5;
    cfg.network.n_regular = 10;
    cfg.network.n_adaptive = 10;
    cfg.network.max_delay = 2;
    cfg.network.noise_std = 0.01;
    cfg.lr = 0.02;
    return cfg;
}

/* One undistributed run and one over P thread-ranks; every rank against the former. */
static void compare(const lsnn_config *cfg, int P, const char *what)
{
    run ref;
    memset(&ref, 0, sizeof ref);
    ref.cfg = *cfg;
    worker(&ref);
    if (ref.st)
        fail_msg("%s: reference run: %s", what, lsnn_last_error());
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.P = P;
    pthread_barrier_init(&sh.bar, NULL, (unsigned)P);
    run r[MAXP];
    pthread_t th[MAXP];
    for (int k = 0; k < P; k++) {
        memset(&r[k], 0, sizeof r[k]);
        r[k].cfg = *cfg;
        r[k].rank = k;
        r[k].sh = &sh;
        pthread_create(&th[k], NULL, worker, &r[k]);
    }
    for (int k = 0; k < P; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&sh.bar);
    free(sh.buf);
    for (int k = 0; k < P; k++) {
        if (r[k].st)
            fail_msg("%s, %d processes, rank %d: %s", what, P, k, lsnn_last_error());
        assert_int_equal(r[k].n_params, ref.n_params);
        for (size_t q = 0; q < ref.n_params; q++)
            if (memcmp(&r[k].params[q], &ref.params[q], sizeof(lsnn_real)) != 0)
                fail_msg("%s, %d processes, rank %d: parameter %zu after %d iterations is %.9g, "
                         "one process %.9g",
                         what, P, k, q, ITERS, (double)r[k].params[q], (double)ref.params[q]);
        for (int it = 0; it < ITERS; it++)
            if (r[k].loss[it] != ref.loss[it] || r[k].rate[it] != ref.rate[it])
                fail_msg("%s, %d processes, rank %d, iteration %d: loss %.17g rate %.17g, one "
                         "process %.17g %.17g",
                         what, P, k, it + 1, r[k].loss[it], r[k].rate[it], ref.loss[it],
                         ref.rate[it]);
        if (r[k].ev.loss != ref.ev.loss || r[k].ev.correct != ref.ev.correct ||
            r[k].ev.total != ref.ev.total || r[k].ev.rate_hz != ref.ev.rate_hz)
            fail_msg("%s, %d processes, rank %d: evaluation loss %.17g (%ld/%ld), one process "
                     "%.17g (%ld/%ld)",
                     what, P, k, r[k].ev.loss, r[k].ev.correct, r[k].ev.total, ref.ev.loss,
                     ref.ev.correct, ref.ev.total);
        free(r[k].params);
    }
    free(ref.params);
}

static void test_bptt(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("bptt");
    compare(&cfg, 2, "bptt");
    compare(&cfg, 4, "bptt");
    cfg.loss.rate_reg = 0.5;
    snprintf(cfg.network.init, sizeof cfg.network.init, "signed");
    cfg.network.connectivity = 0.3;
    cfg.network.global_connectivity = 1;
    cfg.deepr.enabled = 1;
    compare(&cfg, 2, "bptt, DEEP R, rate regularisation");
}

static void test_eprop(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("eprop");
    cfg.batch_size = 32; /* e-prop's chunks: the automatic 16, so 2 */
    cfg.chunk = 0;
    compare(&cfg, 2, "eprop");
    cfg.eprop.rate_reg = 0.3;
    cfg.loss.l2 = 1e-3;
    compare(&cfg, 2, "eprop, rate regularisation, L2");
}

/* Three processes over three chunks of 4 (BPTT, batch 12). */
static void test_three(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("bptt");
    cfg.batch_size = 12;
    compare(&cfg, 3, "bptt, 3 processes");
}

static int no_gather(void *ctx, void *buf, const size_t *off, const size_t *len)
{
    (void)ctx, (void)buf, (void)off, (void)len;
    return 1;
}

static void test_refusals(void **state)
{
    (void)state;
    lsnn_config cfg = small_config("bptt");
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    lsnn_dist d = {0, 3, no_gather, NULL};
    assert_int_equal(lsnn_trainer_set_dist(&tr, &d), LSNN_ERR_CONFIG);
    if (!strstr(lsnn_last_error(), "batch_size 16 makes 4 chunks of 4 sequences, which 3 "
                                    "processes cannot share equally"))
        fail_msg("message: %s", lsnn_last_error());
    /* a failing exchange fails the pass */
    lsnn_dist d2 = {0, 2, no_gather, NULL};
    assert_int_equal(lsnn_trainer_set_dist(&tr, &d2), LSNN_OK);
    lsnn_iter_stats s;
    assert_int_not_equal(lsnn_trainer_step(&tr, &s), LSNN_OK);
    if (!strstr(lsnn_last_error(), "exchanging the chunks' results"))
        fail_msg("message: %s", lsnn_last_error());
    lsnn_trainer_free(&tr);
    snprintf(cfg.model, sizeof cfg.model, "lstm");
    cfg.chunk = 0;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_set_dist(&tr, &d2), LSNN_ERR_CONFIG);
    if (!strstr(lsnn_last_error(), "model \"lstm\""))
        fail_msg("message: %s", lsnn_last_error());
    lsnn_trainer_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bptt),
        cmocka_unit_test(test_eprop),
        cmocka_unit_test(test_three),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

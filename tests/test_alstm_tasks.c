/* The tasks of seed 002 and the online training of the adaptive LSTM: sequence prediction's
 * trials (both first symbols, the noise-free middle, the noisy one, determinism), the T-maze's
 * observations, moves, walls, rewards and termination (also noisy), an optimal episode; the
 * online trainers learn what a network can learn without memory (the T-maze's corridor walk,
 * the middle of the sequences) and report divergence and bad shapes as errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/alstm_train.h"

static void test_seqpred_trials(void **state)
{
    (void)state;
    lsnn_seqpred_params p = {100, 0};
    assert_int_equal(lsnn_seqpred_check(&p), LSNN_OK);
    int sym[101], sym2[101], n_x = 0;
    for (int tr = 0; tr < 400; tr++) {
        lsnn_seqpred_trial(&p, 7, 0, (uint64_t)tr, sym);
        check_eq(sym[0], sym[100]);
        check_ge(sym[0], 99);
        check_le(sym[0], 100);
        n_x += sym[0] == 99;
        for (int i = 1; i < 100; i++)
            check_eq(sym[i], i - 1);
        lsnn_seqpred_trial(&p, 7, 0, (uint64_t)tr, sym2);
        assert_memory_equal(sym, sym2, sizeof sym);
    }
    check_gt(n_x, 150); /* about half: binomial(400, 1/2) */
    check_lt(n_x, 250);
    p.noisy = 1;
    int differ = 0, hist[99] = {0};
    lsnn_seqpred_trial(&p, 7, 0, 0, sym2);
    for (int tr = 1; tr < 200; tr++) {
        lsnn_seqpred_trial(&p, 7, 0, (uint64_t)tr, sym);
        check_eq(sym[0], sym[100]);
        for (int i = 1; i < 100; i++) {
            check_ge(sym[i], 0);
            check_le(sym[i], 98);
            hist[sym[i]]++;
        }
        differ |= memcmp(sym + 1, sym2 + 1, 99 * sizeof(int)) != 0;
    }
    check_eq(differ, 1);
    for (int k = 0; k < 99; k++) /* 19,701 draws, 199 expected per symbol */
        check_gt(hist[k], 120);
    p.p = 1;
    assert_int_equal(lsnn_seqpred_check(&p), LSNN_ERR_ARG);
}

static void test_tmaze(void **state)
{
    (void)state;
    const lsnn_tmaze_params p = LSNN_TMAZE_DEFAULTS;
    assert_int_equal(lsnn_tmaze_check(&p), LSNN_OK);
    int seen[2] = {0};
    for (int ep = 0; ep < 40; ep++) {
        lsnn_tmaze e;
        lsnn_tmaze_reset(&e, &p, 3, 0, (uint64_t)ep);
        seen[e.north]++;
        double o[3];
        lsnn_tmaze_observe(&e, o);
        check_eq(o[1], 1);
        check_eq(o[0], e.north ? 0 : 1);
        check_eq(o[2], e.north ? 1 : 0);
        /* walls: west at the start, north and south in the corridor, east at the junction */
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_W), -0.4);
        check_eq(e.pos, 0);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_N), -0.4);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_E), 0);
        check_eq(e.pos, 1);
        lsnn_tmaze_observe(&e, o);
        check_eq(o[0], 1);
        check_eq(o[1], 0);
        check_eq(o[2], 1);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_S), -0.4);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_W), 0);
        check_eq(e.pos, 0);
        for (int k = 0; k < 20; k++)
            check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_E), 0);
        check_eq(e.pos, 20);
        lsnn_tmaze_observe(&e, o);
        check_eq(o[0], 0);
        check_eq(o[1], 1);
        check_eq(o[2], 0);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_E), -0.4);
        check_eq(e.done, 0);
        const int right = e.north ? LSNN_TMAZE_N : LSNN_TMAZE_S;
        const int wrong = e.north ? LSNN_TMAZE_S : LSNN_TMAZE_N;
        const int a = ep % 2 ? right : wrong;
        check_eq(lsnn_tmaze_step(&e, a), ep % 2 ? 4.0 : -0.4);
        check_eq(e.done, 1);
        check_eq(e.correct, ep % 2);
        check_eq(lsnn_tmaze_step(&e, LSNN_TMAZE_E), 0); /* after the end: nothing */
        check_eq(e.steps, 27);
    }
    check_gt(seen[0], 5);
    check_gt(seen[1], 5);
    /* an optimal episode: N + 1 steps, return 4 */
    lsnn_tmaze e;
    lsnn_tmaze_reset(&e, &p, 3, 0, 5);
    double ret = 0;
    for (int k = 0; k < 20; k++)
        ret += lsnn_tmaze_step(&e, LSNN_TMAZE_E);
    ret += lsnn_tmaze_step(&e, e.north ? LSNN_TMAZE_N : LSNN_TMAZE_S);
    check_eq(ret, 4);
    check_eq(e.steps, 21);
    /* noisy corridor: a 0 b, fresh every step, in [0, 1]; the same episode draws the same */
    lsnn_tmaze_params q = p;
    q.noisy = 1;
    lsnn_tmaze n1, n2;
    lsnn_tmaze_reset(&n1, &q, 3, 0, 9);
    lsnn_tmaze_reset(&n2, &q, 3, 0, 9);
    lsnn_tmaze_step(&n1, LSNN_TMAZE_E);
    lsnn_tmaze_step(&n2, LSNN_TMAZE_E);
    double a1[3], a2[3], b1[3];
    lsnn_tmaze_observe(&n1, a1);
    lsnn_tmaze_observe(&n2, a2);
    lsnn_tmaze_observe(&n1, b1);
    assert_memory_equal(a1, a2, sizeof a1);
    check_eq(a1[1], 0);
    check_ge(a1[0], 0);
    check_lt(a1[0], 1);
    check_ge(a1[2], 0);
    check_lt(a1[2], 1);
    check_ne(a1[0], b1[0]);
    q.length = 0;
    assert_int_equal(lsnn_tmaze_check(&q), LSNN_ERR_ARG);
    q = p;
    q.goal_reward = NAN;
    assert_int_equal(lsnn_tmaze_check(&q), LSNN_ERR_ARG);
}

static lsnn_alstm_spec tmaze_spec(int cells, int outs)
{
    lsnn_alstm_spec s = {3, 12, cells, outs, 0, 1, 1, 1, lsnn_aan_published};
    return s;
}

/* The RL-LSTM learns the part of the T-maze that needs no memory: greedy episodes reach the
 * junction (return 1.8 = half right, half wrong), where the untrained network walks into walls
 * until the cap. */
static void test_rl_lstm_walks(void **state)
{
    (void)state;
    lsnn_alstm net, ex;
    lsnn_alstm_spec s = tmaze_spec(3, 4), sx = tmaze_spec(0, 1);
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_OK);
    assert_int_equal(lsnn_alstm_create(&ex, &sx), LSNN_OK);
    lsnn_rng r;
    lsnn_rng_derive(&r, 1, 1, 2, 3);
    const lsnn_alstm_init in = {0.2, NAN, NAN, NAN, NAN};
    lsnn_alstm_init_weights(&net, &in, &r);
    lsnn_alstm_init_weights(&ex, &in, &r);
    lsnn_tmaze_params tp = LSNN_TMAZE_DEFAULTS;
    tp.length = 5;
    double before, cb;
    assert_int_equal(lsnn_alstm_eval_tmaze(&net, &tp, 50, 200, 1, 1, &before, &cb), LSNN_OK);
    const lsnn_rl_lstm_params rp = {0.002, 0.98, 0.8, 0.1, 1, 0.01, 10, 0.9, 0.002, 200, 100000,
                                    100, 3.5, 0, 0};
    lsnn_rl_lstm_result res;
    assert_int_equal(lsnn_alstm_train_tmaze(&net, &ex, &tp, &rp, 1, NULL, NULL, &res), LSNN_OK);
    check_gt(res.episodes, 10);
    double after, ca;
    assert_int_equal(lsnn_alstm_eval_tmaze(&net, &tp, 50, 200, 1, 1, &after, &ca), LSNN_OK);
    check_lt(before, 0);
    check_ge(after, 1.5);
    /* divergence is an error, not NaN weights */
    lsnn_rl_lstm_params big = rp;
    big.alpha = 10;
    lsnn_alstm_init_weights(&net, &in, &r);
    assert_int_equal(lsnn_alstm_train_tmaze(&net, &ex, &tp, &big, 1, NULL, NULL, &res),
                     LSNN_ERR_NUMERIC);
    /* shapes */
    lsnn_alstm bad;
    lsnn_alstm_spec sb = tmaze_spec(1, 3);
    assert_int_equal(lsnn_alstm_create(&bad, &sb), LSNN_OK);
    assert_int_equal(lsnn_alstm_train_tmaze(&bad, &ex, &tp, &rp, 1, NULL, NULL, &res),
                     LSNN_ERR_SHAPE);
    lsnn_alstm_free(&bad);
    lsnn_alstm_free(&net);
    lsnn_alstm_free(&ex);
}

/* Sequence prediction: without memory the network learns the deterministic middle of the
 * noise-free sequences, so the error of every step but the last falls; the trainer inserts the
 * cell at a plateau; a wrong shape is refused. */
static void test_seqpred_online(void **state)
{
    (void)state;
    const int P = 10, K = P + 1;
    lsnn_alstm_spec s = {K, 0, 1, K, 1, 1, 0, 1, lsnn_aan_published};
    lsnn_alstm net;
    assert_int_equal(lsnn_alstm_create(&net, &s), LSNN_OK);
    lsnn_rng r;
    lsnn_rng_derive(&r, 2, 1, 2, 3);
    const lsnn_alstm_init in = {0.2, NAN, 0.2, 0.5, NAN};
    lsnn_alstm_init_weights(&net, &in, &r);
    lsnn_seqpred_params tp = {P, 0};
    lsnn_alstm_learn lp = {0.1, 0.1, 0.1, 0.1, 0, 1, 20, 40, 0.01, 0, 0};
    lsnn_seqpred_run rp = {400, 20, 0.25, 0, 0};
    lsnn_seqpred_result res;
    assert_int_equal(lsnn_alstm_train_seqpred(&net, &tp, &lp, &in, &rp, 1, NULL, NULL, &res),
                     LSNN_OK);
    check_gt(res.inserted_at, 40);
    check_le(res.inserted_at, 400);
    /* the middle: predicted from the input alone, within 0.1 at every step */
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&net, &st), LSNN_OK);
    int sym[11];
    lsnn_seqpred_trial(&tp, 1, 0, 0, sym);
    double x[11];
    for (int t = 0; t < P - 1; t++) {
        memset(x, 0, sizeof x);
        x[sym[t]] = 1;
        lsnn_alstm_step(&net, &st, x, 0);
        for (int k = 0; k < K; k++)
            check_near(st.o[k], k == sym[t + 1], 0.1);
    }
    lsnn_alstm_state_free(&st);
    lsnn_seqpred_params wrong = {20, 0};
    assert_int_equal(lsnn_alstm_train_seqpred(&net, &wrong, &lp, &in, &rp, 1, NULL, NULL, &res),
                     LSNN_ERR_SHAPE);
    lsnn_alstm_free(&net);
}

/* Training past the criterion: the convergence count stays the criterion's, the extra trials
 * (steps) run and change the weights. */
static void test_train_after(void **state)
{
    (void)state;
    const int P = 5, K = P + 1;
    lsnn_alstm_spec s = {K, 0, 1, K, 1, 1, 0, 1, lsnn_aan_published};
    lsnn_alstm a, b;
    assert_int_equal(lsnn_alstm_create(&a, &s), LSNN_OK);
    assert_int_equal(lsnn_alstm_create(&b, &s), LSNN_OK);
    lsnn_rng r;
    lsnn_rng_derive(&r, 3, 1, 2, 3);
    const lsnn_alstm_init in = {0.2, NAN, 0.2, 0.5, NAN};
    lsnn_alstm_init_weights(&a, &in, &r);
    memcpy(b.params, a.params, sizeof(double) * a.n_params);
    lsnn_seqpred_params tp = {P, 0};
    lsnn_alstm_learn lp = {0.1, 0.1, 0.1, 0, 0, 0, 20, 40, 0.01, 0, 0};
    lsnn_seqpred_run rp = {1000, 20, 10, 0, 0};
    lsnn_seqpred_result ra, rb;
    assert_int_equal(lsnn_alstm_train_seqpred(&a, &tp, &lp, &in, &rp, 1, NULL, NULL, &ra),
                     LSNN_OK);
    rp.extra = 30;
    assert_int_equal(lsnn_alstm_train_seqpred(&b, &tp, &lp, &in, &rp, 1, NULL, NULL, &rb),
                     LSNN_OK);
    check_eq(ra.converged, 1);
    check_eq(ra.trials, 20);
    check_eq(ra.trained, 20);
    check_eq(rb.converged, 1);
    check_eq(rb.trials, 20);
    check_eq(rb.trained, 50);
    check_ne(memcmp(a.params, b.params, sizeof(double) * a.n_params), 0);
    lsnn_alstm_free(&a);
    lsnn_alstm_free(&b);
    /* T-maze: a criterion met at once, then 500 more steps */
    lsnn_alstm net, ex;
    lsnn_alstm_spec sn = tmaze_spec(1, 4), sx = tmaze_spec(0, 1);
    assert_int_equal(lsnn_alstm_create(&net, &sn), LSNN_OK);
    assert_int_equal(lsnn_alstm_create(&ex, &sx), LSNN_OK);
    lsnn_alstm_init_weights(&net, &in, &r);
    lsnn_alstm_init_weights(&ex, &in, &r);
    lsnn_tmaze_params tm = LSNN_TMAZE_DEFAULTS;
    tm.length = 3;
    lsnn_rl_lstm_params rl = {0.001, 0.98, 0.8, 0.1, 0.1, 0.01, 10, 0.9, 0.001, 50, 100000,
                              5, -1e9, 0, 500};
    lsnn_rl_lstm_result res;
    assert_int_equal(lsnn_alstm_train_tmaze(&net, &ex, &tm, &rl, 1, NULL, NULL, &res), LSNN_OK);
    check_eq(res.converged, 1);
    check_eq(res.episodes, 5);
    check_ge(res.trained, res.steps + 500);
    check_lt(res.trained, res.steps + 500 + 50); /* the last episode ends at the cap */
    lsnn_alstm_free(&net);
    lsnn_alstm_free(&ex);
}

/* alstm.seq_targets "final": one noisy trial trains on the last step's error only. The weights
 * after it are those of a hand-run trial with no update before the last step, then one step of
 * the gradient there; the default ("every") trial ends elsewhere. */
static void test_seqpred_final_only(void **state)
{
    (void)state;
    const int P = 8, K = P + 1;
    lsnn_alstm_spec s = {K, 0, 1, K, 1, 1, 0, 1, lsnn_aan_published};
    lsnn_alstm a, b, ref;
    assert_int_equal(lsnn_alstm_create(&a, &s), LSNN_OK);
    assert_int_equal(lsnn_alstm_create(&b, &s), LSNN_OK);
    assert_int_equal(lsnn_alstm_create(&ref, &s), LSNN_OK);
    lsnn_rng r;
    lsnn_rng_derive(&r, 4, 1, 2, 3);
    const lsnn_alstm_init in = {0.2, NAN, 0.2, 0.5, NAN};
    lsnn_alstm_init_weights(&a, &in, &r);
    memcpy(b.params, a.params, sizeof(double) * a.n_params);
    memcpy(ref.params, a.params, sizeof(double) * a.n_params);
    const lsnn_seqpred_params tp = {P, 1};
    /* equal learning rates, constant, cells on from the start (no insertion) */
    lsnn_alstm_learn lp = {0.1, 0.1, 0.1, 0.1, 0, 0, 20, 40, 0.01, 0, 1};
    const lsnn_seqpred_run rp = {1, 1, 1e-9, 0, 0};
    lsnn_seqpred_result res;
    assert_int_equal(lsnn_alstm_train_seqpred(&a, &tp, &lp, &in, &rp, 5, NULL, NULL, &res),
                     LSNN_OK);
    lp.final_only = 0;
    assert_int_equal(lsnn_alstm_train_seqpred(&b, &tp, &lp, &in, &rp, 5, NULL, NULL, &res),
                     LSNN_OK);
    /* by hand */
    int sym[9];
    lsnn_seqpred_trial(&tp, 5, 0, 0, sym);
    lsnn_alstm_state st;
    assert_int_equal(lsnn_alstm_state_create(&ref, &st), LSNN_OK);
    lsnn_alstm_reset(&ref, &st);
    double x[9], go[9], *grad = calloc(ref.n_params, sizeof(double));
    assert_non_null(grad);
    for (int t = 0; t < P; t++) {
        memset(x, 0, sizeof x);
        x[sym[t]] = 1;
        lsnn_alstm_step(&ref, &st, x, 1);
    }
    for (int k = 0; k < K; k++)
        go[k] = st.o[k] - (k == sym[P]);
    lsnn_alstm_grad(&ref, &st, go, grad, 1);
    int changed = 0, differ = 0;
    for (size_t i = 0; i < ref.n_params; i++) {
        const double w = ref.params[i] - 1.0 * 0.1 * grad[i];
        check_near(a.params[i], w, 1e-15);
        changed += a.params[i] != ref.params[i];
        differ += a.params[i] != b.params[i];
    }
    check_gt(changed, 0);
    check_gt(differ, 0);
    free(grad);
    lsnn_alstm_state_free(&st);
    lsnn_alstm_free(&a);
    lsnn_alstm_free(&b);
    lsnn_alstm_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seqpred_trials),
        cmocka_unit_test(test_tmaze),
        cmocka_unit_test(test_rl_lstm_walks),
        cmocka_unit_test(test_seqpred_online),
        cmocka_unit_test(test_train_after),
        cmocka_unit_test(test_seqpred_final_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The meta-RL agent end to end (task meta_rl, learning ppo), in double precision: the gradient
 * of one PPO iteration (closed-loop episodes, returns, advantages, BPTT over the recorded
 * episodes, rate regularisation) against central differences of the loss of those episodes with
 * their actions, log-probabilities, returns and advantages held fixed, element by element, on a
 * tiny network with the smooth spike of the gradient checks; the episodes replay exactly; the
 * closed loop reaches the environment (positions move, rewards show up in the input); a task
 * without an environment is refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/arena.h"
#include "lsnn/config.h"
#include "lsnn/meta_rl.h"
#include "lsnn/ppo.h"
#include "lsnn/task.h"
#include "lsnn/train.h"
#include "run/trainer_internal.h"

static lsnn_config tiny(void)
{
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    const char *sets[] = {"task=meta_rl", "learning=ppo", "batch_size=3", "chunk=2",
                          "network.n_regular=5", "network.n_adaptive=4", "network.max_delay=3",
                          "network.noise_std=0.05", "network.w0=3", "network.tau_a=40",
                          "meta_rl.steps=40", "meta_rl.place_neurons=5", "meta_rl.reward_neurons=2",
                          "meta_rl.a_scale=0.2", "meta_rl.entropy_weight=0.05",
                          "loss.rate_reg=0.5", "loss.rate_target=10", NULL};
    for (int i = 0; sets[i]; i++)
        assert_int_equal(lsnn_config_set(&cfg, sets[i]), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&cfg, "test"), LSNN_OK);
    return cfg;
}

static void test_gradient(void **state)
{
    (void)state;
    lsnn_config cfg = tiny();
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    tr.net.smooth = 1;
    const size_t np = tr.n_params;
    lsnn_real *grad = malloc(sizeof(lsnn_real) * np);
    lsnn_iter_stats st;
    assert_int_equal(lsnn_trainer_compute_gradient(&tr, tr.task, NULL, LSNN_STREAM_TRAIN, 0, grad,
                                                   &st),
                     LSNN_OK);
    double l0;
    assert_int_equal(lsnn__ppo_replay_loss(&tr, &l0), LSNN_OK);
    check_near(l0, st.loss + st.reg, 1e-12 * (1 + fabs(l0)));
    /* Finite differences over every parameter (the weights, readout, noise). */
    const double eps = 3e-5, RTOL = 1e-4;
    double fd_max = 0, g_max = 0;
    double *fd = malloc(sizeof(double) * np);
    for (size_t k = 0; k < np; k++) {
        const lsnn_real keep = tr.params[k];
        double lp, lm;
        tr.params[k] = keep + eps;
        assert_int_equal(lsnn__ppo_replay_loss(&tr, &lp), LSNN_OK);
        tr.params[k] = keep - eps;
        assert_int_equal(lsnn__ppo_replay_loss(&tr, &lm), LSNN_OK);
        tr.params[k] = keep;
        fd[k] = (lp - lm) / (2 * eps);
        fd_max = fmax(fd_max, fabs(fd[k]));
        g_max = fmax(g_max, fabs(grad[k]));
    }
    check_gt(fd_max, 1e-6);
    const double scale = 1e-3 * fd_max;
    int bad = 0;
    for (size_t k = 0; k < np; k++)
        if (!(fabs(grad[k] - fd[k]) <= RTOL * (fabs(fd[k]) + scale))) {
            if (bad++ < 5)
                print_error("parameter %zu: BPTT %.12e, finite difference %.12e\n", k, grad[k],
                            fd[k]);
        }
    printf("PPO agent: %zu parameters, max |fd| %.3e, max |grad| %.3e, %d off\n", np, fd_max,
           g_max, bad);
    check_eq(bad, 0);
    free(fd);
    free(grad);
    lsnn_trainer_free(&tr);
}

static void test_replay_and_loop(void **state)
{
    (void)state;
    lsnn_config cfg = tiny();
    lsnn_trainer a, b;
    assert_int_equal(lsnn_trainer_init(&a, &cfg), LSNN_OK);
    assert_int_equal(lsnn_trainer_init(&b, &cfg), LSNN_OK);
    lsnn_real *ga = malloc(sizeof(lsnn_real) * a.n_params);
    lsnn_real *gb = malloc(sizeof(lsnn_real) * b.n_params);
    lsnn_iter_stats sa, sb;
    assert_int_equal(lsnn_trainer_compute_gradient(&a, a.task, NULL, LSNN_STREAM_TRAIN, 6, ga, &sa),
                     LSNN_OK);
    assert_int_equal(lsnn_trainer_compute_gradient(&b, b.task, NULL, LSNN_STREAM_TRAIN, 6, gb, &sb),
                     LSNN_OK);
    assert_memory_equal(ga, gb, sizeof(lsnn_real) * a.n_params);
    check_eq(sa.loss, sb.loss);
    /* The closed loop: the position code changes over the episode, so the agent moved. */
    const int P = cfg.meta_rl.place_neurons, n_in = a.batch.n_in, T = a.batch.T;
    int changed = 0;
    for (int t = 1; t < T; t++) {
        double c0 = 0, c1 = 0;
        for (int i = 0; i < 2 * P; i++) {
            c0 += a.batch.x[(size_t)(t - 1) * n_in + i] * i;
            c1 += a.batch.x[(size_t)t * n_in + i] * i;
        }
        changed += c0 != c1;
    }
    check_gt(changed, T / 4);
    free(ga);
    free(gb);
    lsnn_trainer_free(&a);
    lsnn_trainer_free(&b);
    /* ppo needs a task with an environment */
    lsnn_config bad;
    lsnn_config_defaults(&bad);
    assert_int_equal(lsnn_config_set(&bad, "learning=ppo"), LSNN_OK);
    assert_int_equal(lsnn_config_validate(&bad, "test"), LSNN_ERR_CONFIG);
    assert_non_null(strstr(lsnn_last_error(), "meta_rl"));
}

/* lsnn_meta_rl_analyze's random walk against the arena driven directly with the policy's draws
 * at zero readouts: the same positions and goals, and the measures recomputed here. */
static void test_analysis(void **state)
{
    (void)state;
    lsnn_config cfg = tiny();
    assert_int_equal(lsnn_config_set(&cfg, "meta_rl.steps=300"), LSNN_OK);
    lsnn_trainer tr;
    assert_int_equal(lsnn_trainer_init(&tr, &cfg), LSNN_OK);
    lsnn_meta_rl_opts o;
    lsnn_meta_rl_defaults(&o);
    o.episodes = 5; /* batches of 3 and 2 */
    lsnn_meta_rl_analysis a;
    assert_int_equal(lsnn_meta_rl_analyze(&tr, &o, &a), LSNN_OK);
    const lsnn_arena_params p = {cfg.meta_rl.radius, cfg.meta_rl.goal_radius,
                                 cfg.meta_rl.goal_ring, cfg.meta_rl.a_scale,
                                 cfg.meta_rl.goal_reward, cfg.meta_rl.wall_reward, 0};
    const int T = a.T;
    double total = 0;
    for (int e = 0; e < o.episodes; e++) {
        lsnn_arena ar;
        lsnn_arena_reset(&ar, &p, cfg.seed, LSNN_STREAM_TEST, (uint64_t)e);
        lsnn_rng r;
        lsnn_rng_derive(&r, cfg.seed, 0xa7e2, LSNN_STREAM_TEST, (uint64_t)e);
        check_eq(a.goal[2 * e], ar.gx);
        int first = -1, near = 0;
        for (int t = 0; t < T; t++) {
            check_eq(a.walk.xy[((size_t)e * T + t) * 2], ar.x);
            check_eq(a.walk.xy[((size_t)e * T + t) * 2 + 1], ar.y);
            const double rad = sqrt(ar.x * ar.x + ar.y * ar.y);
            if (first < 0)
                near += rad >= 0.7 && rad <= 1.0;
            const double y0[5] = {0, 0, 0, 0, 0};
            double act[2];
            lsnn_policy_sample(y0, &r, act);
            lsnn_arena_step(&ar, act[0], act[1]);
            if (ar.hit_goal && first < 0 && t + 1 < T)
                first = t + 1;
        }
        check_eq(a.walk.goals[e], ar.goals);
        total += ar.goals;
        if (first >= 0)
            check_eq(a.walk.first[e], first);
        else
            assert_true(isnan(a.walk.first[e]));
        check_near(a.walk.ring[e], (double)near / (first >= 0 ? first : T), 1e-15);
        check_le(a.agent.goals[e], 1e6);
    }
    check_gt(total, 0); /* the check saw goals */
    lsnn_meta_rl_analysis_free(&a);
    lsnn_trainer_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_replay_and_loop),
        cmocka_unit_test(test_analysis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

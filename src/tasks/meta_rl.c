/* Task "meta_rl": meta-reinforcement learning in a circular arena (seed 000/001 section 6).
 *
 * A closed-loop task: sequence g of a stream is an episode of the arena (lsnn/arena.h) started
 * from (seed, stream, g); at step t the inputs show the agent's position after the actions of
 * the steps before, each coordinate by place_neurons neurons spiking with probability
 * rate dt / 1000 (rate from lsnn_arena_place_rates), and, in the step after a reward, every
 * neuron of its group (goal, then wall) in one synchronous spike. The readouts (5) are the
 * policy and value of lsnn/ppo.h; the learning rule "ppo" draws the action and calls act. The
 * metric is the number of goals per episode. */
#include <stdio.h>
#include <string.h>

#include "lsnn/arena.h"
#include "lsnn/task.h"
#include "core/rng_inline.h"

typedef struct meta_env {
    lsnn_arena arena;
    lsnn_rng spikes;           /* the input spikes of this episode */
    int got_goal, got_wall;    /* what the last action earned, shown at the next step */
} meta_env;

static void lsnn__arena_params(const lsnn_meta_rl_config *c, lsnn_arena_params *p)
{
    p->radius = c->radius;
    p->goal_radius = c->goal_radius;
    p->goal_ring = c->goal_ring;
    p->a_scale = c->a_scale;
    p->goal_reward = c->goal_reward;
    p->wall_reward = c->wall_reward;
    p->start_outside_goal = c->start_outside_goal;
}

static lsnn_status lsnn__meta_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_meta_rl_config *c = &cfg->meta_rl;
    memset(out, 0, sizeof *out);
    lsnn_arena_params p;
    lsnn__arena_params(c, &p);
    lsnn_status st = lsnn_arena_check(&p);
    if (st) {
        lsnn_error_prefix("meta_rl");
        return st;
    }
    out->n_in = 2 * c->place_neurons + 2 * c->reward_neurons;
    out->n_out = 5;
    out->T = c->steps;
    out->max_windows = 0;
    out->loss = LSNN_LOSS_POLICY;
    out->metric = "goals";
    return LSNN_OK;
}

static lsnn_status lsnn__meta_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                       uint64_t stream, uint64_t first, lsnn_batch *b)
{
    (void)state, (void)cfg, (void)seed, (void)stream, (void)first, (void)b;
    return lsnn_error(LSNN_ERR_ARG, "task \"meta_rl\" is closed-loop: its inputs follow the "
                                    "agent's actions, so it runs only under \"learning\": "
                                    "\"ppo\"");
}

static void lsnn__meta_reset(const lsnn_config *cfg, void *env, uint64_t seed, uint64_t stream,
                             uint64_t index)
{
    meta_env *e = env;
    lsnn_arena_params p;
    lsnn__arena_params(&cfg->meta_rl, &p);
    memset(e, 0, sizeof *e);
    lsnn_arena_reset(&e->arena, &p, seed, stream, index);
    lsnn_rng_derive(&e->spikes, seed, 0xa7e1, stream, index);
}

static void lsnn__meta_observe(const lsnn_config *cfg, void *env, int t, lsnn_real *x)
{
    (void)t;
    meta_env *e = env;
    const lsnn_meta_rl_config *c = &cfg->meta_rl;
    const int P = c->place_neurons, Rn = c->reward_neurons;
    const double scale = cfg->network.dt / 1000.0;
    double rates[10000];
    for (int d = 0; d < 2; d++) {
        lsnn_arena_place_rates(d ? e->arena.y : e->arena.x, P, c->place_rate, c->place_k, rates);
        for (int i = 0; i < P; i++)
            x[d * P + i] = lsnn__rng_uniform(&e->spikes) < rates[i] * scale ? 1 : 0;
    }
    for (int i = 0; i < Rn; i++) {
        x[2 * P + i] = e->got_goal ? 1 : 0;
        x[2 * P + Rn + i] = e->got_wall ? 1 : 0;
    }
    e->got_goal = e->got_wall = 0;
}

static double lsnn__meta_act(const lsnn_config *cfg, void *env, const double *a)
{
    (void)cfg;
    meta_env *e = env;
    const double r = lsnn_arena_step(&e->arena, a[0], a[1]);
    e->got_goal = e->arena.hit_goal;
    e->got_wall = e->arena.hit_wall;
    return r;
}

static long lsnn__meta_score(const void *env)
{
    return ((const meta_env *)env)->arena.goals;
}

static void lsnn__meta_state(const void *env, double *out)
{
    const meta_env *e = env;
    out[0] = e->arena.x;
    out[1] = e->arena.y;
    out[2] = e->arena.gx;
    out[3] = e->arena.gy;
    out[4] = (double)e->arena.goals;
}

static long lsnn__meta_stream_size(const void *state, const lsnn_config *cfg, uint64_t stream)
{
    (void)state;
    (void)stream;
    return cfg->meta_rl.val_size;
}

static int lsnn__meta_groups(const lsnn_config *cfg, lsnn_task_input_group *out, int cap)
{
    static const char *const names[] = {"x", "y", "goal reward", "wall reward"};
    const int P = cfg->meta_rl.place_neurons, Rn = cfg->meta_rl.reward_neurons;
    const int off[5] = {0, P, 2 * P, 2 * P + Rn, 2 * P + 2 * Rn};
    if (cap < 4)
        return 0;
    for (int g = 0; g < 4; g++) {
        memset(&out[g], 0, sizeof out[g]);
        snprintf(out[g].name, LSNN_TASK_GROUP_NAME, "%s", names[g]);
        out[g].off = off[g];
        out[g].end = off[g + 1];
    }
    return 4;
}

static const lsnn_env_ops lsnn__meta_env = {
    .n_actions = 2,
    .size = sizeof(meta_env),
    .reset = lsnn__meta_reset,
    .observe = lsnn__meta_observe,
    .act = lsnn__meta_act,
    .score = lsnn__meta_score,
    .n_state = 5,
    .state = lsnn__meta_state,
};

const lsnn_task lsnn_task_meta_rl = {
    .name = "meta_rl",
    .description = "meta-reinforcement learning: find a goal that stays put for an episode in a "
                   "circular arena (seed 000/001 section 6; learning ppo)",
    .shape = lsnn__meta_shape,
    .generate = lsnn__meta_generate,
    .stream_size = lsnn__meta_stream_size,
    .input_groups = lsnn__meta_groups,
    .env = &lsnn__meta_env,
};

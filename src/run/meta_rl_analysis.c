/* A trained meta-RL agent against a random walk in the same episodes, and the two measures of
 * seed 001 Fig. 3D (see lsnn/meta_rl.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/meta_rl.h"
#include "run/trainer_internal.h"

void lsnn_meta_rl_defaults(lsnn_meta_rl_opts *o)
{
    memset(o, 0, sizeof *o);
    o->episodes = 20;
    o->stream = LSNN_STREAM_TEST;
    o->ring_lo = 0.7;
    o->ring_hi = 1.0;
}

static void agent_free(lsnn_meta_rl_agent *g)
{
    free(g->goals);
    free(g->first);
    free(g->later);
    free(g->ring);
    free(g->xy);
}

void lsnn_meta_rl_analysis_free(lsnn_meta_rl_analysis *a)
{
    free(a->goal);
    agent_free(&a->agent);
    agent_free(&a->walk);
    memset(a, 0, sizeof *a);
}

static int agent_alloc(lsnn_meta_rl_agent *g, int E, int T)
{
    g->goals = malloc(sizeof(double) * E);
    g->first = malloc(sizeof(double) * E);
    g->later = malloc(sizeof(double) * E);
    g->ring = malloc(sizeof(double) * E);
    g->xy = malloc(sizeof(double) * (size_t)E * T * 2);
    return g->goals && g->first && g->later && g->ring && g->xy;
}

/* The measures of episode e from its trace (T, NS): x, y, goal x, goal y, goals so far, each
 * before the step's action. A goal reached by the action of step t shows as a larger count at
 * t + 1 (the last step's action is counted by the final score only). */
static void measure(const double *tr, int T, int NS, const lsnn_meta_rl_opts *o,
                    lsnn_meta_rl_agent *g, int e)
{
    int first = -1, prev = -1, n_later = 0;
    double later = 0;
    for (int t = 0; t + 1 < T; t++)
        if (tr[(size_t)(t + 1) * NS + 4] > tr[(size_t)t * NS + 4]) {
            const int when = t + 1; /* steps taken until this goal */
            if (first < 0)
                first = when;
            else {
                later += when - prev;
                n_later++;
            }
            prev = when;
        }
    int near = 0, steps = first >= 0 ? first : T;
    for (int t = 0; t < steps; t++) {
        const double x = tr[(size_t)t * NS], y = tr[(size_t)t * NS + 1], r = sqrt(x * x + y * y);
        near += r >= o->ring_lo && r <= o->ring_hi;
    }
    g->first[e] = first >= 0 ? first : NAN;
    g->later[e] = n_later ? later / n_later : NAN;
    g->ring[e] = steps ? (double)near / steps : NAN;
    for (int t = 0; t < T; t++) {
        g->xy[((size_t)e * T + t) * 2] = tr[(size_t)t * NS];
        g->xy[((size_t)e * T + t) * 2 + 1] = tr[(size_t)t * NS + 1];
    }
}

lsnn_status lsnn_meta_rl_analyze(lsnn_trainer *tr, const lsnn_meta_rl_opts *o,
                                 lsnn_meta_rl_analysis *a)
{
    memset(a, 0, sizeof *a);
    if (!tr || !o || strcmp(tr->cfg.learning, "ppo") != 0 || !tr->task->env ||
        !tr->task->env->state || tr->task->env->n_state < 5)
        return lsnn_error(LSNN_ERR_ARG, "meta-RL analysis: needs an agent trained with learning "
                                        "\"ppo\" on task \"meta_rl\"");
    if (o->episodes < 1 || !(o->ring_lo <= o->ring_hi))
        return lsnn_error(LSNN_ERR_ARG, "meta-RL analysis: bad options (%d episodes, ring %g..%g)",
                          o->episodes, o->ring_lo, o->ring_hi);
    const int E = o->episodes, T = tr->shape.T, NS = tr->task->env->n_state;
    const int Bfull = tr->batch.B;
    a->episodes = E;
    a->T = T;
    a->goal = malloc(sizeof(double) * E * 2);
    double *trace = malloc(sizeof(double) * (size_t)Bfull * T * NS);
    lsnn_status st = LSNN_OK;
    if (!a->goal || !trace || !agent_alloc(&a->agent, E, T) || !agent_alloc(&a->walk, E, T))
        st = lsnn_error(LSNN_ERR_NOMEM, "meta-RL analysis: out of memory (%d episodes of %d "
                                        "steps)",
                        E, T);
    for (int first = 0; first < E && !st; first += Bfull) {
        const int B = E - first < Bfull ? E - first : Bfull;
        tr->batch.B = B;
        for (int random = 0; random < 2 && !st; random++) {
            lsnn_loss_result lr = {0};
            st = lsnn__ppo_trace(tr, o->stream, (uint64_t)first, random, trace, &lr);
            lsnn_meta_rl_agent *g = random ? &a->walk : &a->agent;
            for (int s = 0; s < B && !st; s++) {
                const double *ts = trace + (size_t)s * T * NS;
                measure(ts, T, NS, o, g, first + s);
                /* the environment's count after the episode (with a goal of the last step) */
                g->goals[first + s] = (double)lsnn__ppo_last_score(tr, s);
                a->goal[(first + s) * 2] = ts[2];
                a->goal[(first + s) * 2 + 1] = ts[3];
            }
        }
        tr->batch.B = Bfull;
    }
    tr->batch.B = Bfull;
    free(trace);
    if (st)
        lsnn_meta_rl_analysis_free(a);
    return st;
}

/* lsnn/meta_rl.h - a trained meta-RL agent (task meta_rl, learning ppo) on fresh episodes with
 * its weights fixed, against a random-walk agent in the same episodes (seed 001 Fig. 3), and the
 * two signs of the abstract knowledge of Fig. 3D, measured per episode:
 *   (i) while searching for the first goal, the share of steps spent near the circle of goal
 *       centres (radius in [ring_lo, ring_hi]);
 *   (ii) the steps to the first goal against the mean steps between the later ones.
 * The random walk takes the actions the policy draws at zero readouts (each component
 * N(0, 1/2)), with the same action draws and episodes as the agent. */
#ifndef LSNN_META_RL_H
#define LSNN_META_RL_H

#include <stdint.h>

#include "lsnn/train.h"

typedef struct lsnn_meta_rl_opts {
    int episodes;              /* test episodes (20) */
    uint64_t stream;           /* LSNN_STREAM_TEST */
    double ring_lo, ring_hi;   /* the band of radii around the goal centres (0.7, 1.0) */
} lsnn_meta_rl_opts;

void lsnn_meta_rl_defaults(lsnn_meta_rl_opts *o);

typedef struct lsnn_meta_rl_agent {
    double *goals;             /* (episodes) goals reached */
    double *first;             /* (episodes) steps until the first goal (NaN: none) */
    double *later;             /* (episodes) mean steps between later goals (NaN: < 2 goals) */
    double *ring;              /* (episodes) share of the steps before the first goal (all steps
                                * when none) at a radius in [ring_lo, ring_hi] */
    double *xy;                /* (episodes, T, 2) the position before each step's action */
} lsnn_meta_rl_agent;

typedef struct lsnn_meta_rl_analysis {
    int episodes, T;
    double *goal;              /* (episodes, 2) the goal's centre */
    lsnn_meta_rl_agent agent, walk;
} lsnn_meta_rl_analysis;

/* tr: a trainer of a meta_rl / ppo config with the trained parameters loaded. */
lsnn_status lsnn_meta_rl_analyze(lsnn_trainer *tr, const lsnn_meta_rl_opts *o,
                                 lsnn_meta_rl_analysis *out);
void lsnn_meta_rl_analysis_free(lsnn_meta_rl_analysis *a);

#endif

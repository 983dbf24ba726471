/* lsnn/tmaze.h - the T-maze (Bakker 2002; seed 002 section 3; ../shared/notes/spiking-lstm.md
 * section 5.2): a corridor of positions 0 .. N from the start to a junction, with the goal to the
 * north or south of the junction, shown only at the start.
 *
 * Observations (3 values): at the start 0 1 1 when the goal is north, 1 1 0 when it is south; in
 * the corridor 1 0 1 (noisy variant: a 0 b with a and b drawn from U[0, 1] at every step); at the
 * junction 0 1 0. Actions 0 N, 1 E, 2 S, 3 W. East and west move along the corridor; a move into
 * a wall (west at the start, east at the junction, north or south in the corridor) keeps the
 * place and pays `wall_reward`; north or south at the junction ends the episode with
 * `goal_reward` on the goal's side and `wrong_reward` on the other; every other move pays 0. An
 * optimal episode takes N + 1 steps and returns goal_reward. The goal's side is drawn per episode
 * from (seed, stream, episode), and so is the corridor's noise. */
#ifndef LSNN_TMAZE_H
#define LSNN_TMAZE_H

#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/status.h"

enum { LSNN_TMAZE_N = 0, LSNN_TMAZE_E = 1, LSNN_TMAZE_S = 2, LSNN_TMAZE_W = 3 };

typedef struct lsnn_tmaze_params {
    int length;            /* N, positions 0 .. N (20) */
    int noisy;             /* corridor observations a 0 b (0) */
    double goal_reward;    /* 4 */
    double wrong_reward;   /* -0.4 (Bakker: -0.1) */
    double wall_reward;    /* -0.4 (Bakker: -0.1) */
} lsnn_tmaze_params;

#define LSNN_TMAZE_DEFAULTS {20, 0, 4.0, -0.4, -0.4}

typedef struct lsnn_tmaze {
    lsnn_tmaze_params p;
    int pos;               /* 0 .. N */
    int north;             /* 1: the goal is north */
    int done;              /* the episode ended at the junction */
    int correct;           /* it ended on the goal's side */
    long steps;
    lsnn_rng rng;          /* the corridor's noise */
} lsnn_tmaze;

/* LSNN_ERR_ARG naming the field unless 1 <= length <= 1000000 and the rewards are finite. */
lsnn_status lsnn_tmaze_check(const lsnn_tmaze_params *p);
void lsnn_tmaze_reset(lsnn_tmaze *e, const lsnn_tmaze_params *p, uint64_t seed, uint64_t stream,
                      uint64_t episode);
/* The observation of the current place into obs[3] (draws the noise of a noisy corridor). */
void lsnn_tmaze_observe(lsnn_tmaze *e, double *obs);
/* One action (0..3); returns the reward. After the episode ended it returns 0 and does nothing. */
double lsnn_tmaze_step(lsnn_tmaze *e, int action);

#endif

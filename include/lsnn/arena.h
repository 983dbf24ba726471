/* lsnn/arena.h - the navigation environment of meta-reinforcement learning (seed 000/001
 * section 6): a circular arena, a goal disc whose centre lies on an inner circle and stays put
 * for an episode, an agent that moves by small velocity vectors and is put back at a random place
 * after each goal; and the spike code of its position and rewards.
 *
 * Geometry (defaults in brackets): arena radius R [1]; goal radius [0.3], its centre uniform on
 * the circle of radius [0.85] at the start of an episode; the agent starts uniform in the disc.
 * A step takes the action a = (a_x, a_y) drawn by the policy, moves by the velocity a_scale a
 * [0.02] clipped to the norm a_scale, and:
 *   - a move that would leave the arena stops where the segment crosses the border (the
 *     intersection point, on the circle) and pays the wall reward [-0.02];
 *   - a position inside the goal disc (distance to its centre <= goal radius, checked after the
 *     move, border included) pays the goal reward [+1], and the agent is put at a new place
 *     uniform in the arena (the text's rule; that place may lie in the goal, and the next step
 *     then pays again: `start_outside_goal` draws again until it does not);
 *   - both can happen in one step (the goal disc reaches past the border): the rewards add.
 * Every random draw comes from (seed, stream, episode), so an episode replays exactly. */
#ifndef LSNN_ARENA_H
#define LSNN_ARENA_H

#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/status.h"

typedef struct lsnn_arena_params {
    double radius;             /* arena radius (1) */
    double goal_radius;        /* goal disc radius (0.3) */
    double goal_ring;          /* radius of the circle the goal centres lie on (0.85) */
    double a_scale;            /* largest step length (0.02) */
    double goal_reward;        /* reward for reaching the goal (1) */
    double wall_reward;        /* reward for a move into the border (-0.02) */
    int start_outside_goal;    /* 1: placements avoid the goal disc (0: uniform, the text) */
} lsnn_arena_params;

#define LSNN_ARENA_DEFAULTS {1.0, 0.3, 0.85, 0.02, 1.0, -0.02, 0}

typedef struct lsnn_arena {
    lsnn_arena_params p;
    double x, y;               /* the agent */
    double gx, gy;             /* the goal's centre */
    lsnn_rng rng;              /* placements of this episode */
    long goals;                /* goals reached in this episode */
    int hit_goal, hit_wall;    /* what the last step did */
} lsnn_arena;

/* LSNN_ERR_ARG naming the field when p is not a usable arena (radii, ring inside the arena,
 * a_scale > 0, finite rewards). */
lsnn_status lsnn_arena_check(const lsnn_arena_params *p);
/* Starts episode `episode` of `stream`: the goal's centre and the agent's place. */
void lsnn_arena_reset(lsnn_arena *e, const lsnn_arena_params *p, uint64_t seed, uint64_t stream,
                      uint64_t episode);
/* One step with the action (ax, ay) (finite); returns the reward. */
double lsnn_arena_step(lsnn_arena *e, double ax, double ay);
/* The point where the segment from (x, y) (inside the circle of radius r, or on it) to
 * (x + vx, y + vy) leaves that circle, written into *ox, *oy; returns 0 and writes the end point
 * when the segment stays inside. */
int lsnn_arena_clip(double x, double y, double vx, double vy, double r, double *ox, double *oy);

/* The position code: the rates (Hz) of n neurons with preferred values xi_i evenly spaced on
 * [-1, 1] (xi_i = -1 + 2 i / (n - 1)), r_max exp(-k (xi_i - xi)^2) (seed: n 40, r_max 500 Hz,
 * k 100). */
void lsnn_arena_place_rates(double xi, int n, double r_max, double k, double *out);

#endif

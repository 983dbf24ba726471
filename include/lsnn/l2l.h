/* lsnn/l2l.h - the learning-to-learn task's function families and input code (seed 000/001
 * section 5), exposed for tests and tools; the task itself is "l2l" (lsnn/task.h). */
#ifndef LSNN_L2L_H
#define LSNN_L2L_H

#include <stdint.h>

#include "lsnn/config.h"
#include "lsnn/core.h"

#define LSNN_L2L_HIDDEN 10
/* Points per input of the grid over [-1, 1]^2 on which a TN's output range is measured. */
#define LSNN_L2L_GRID 101

/* The families (lsnn_l2l_family): sines, and target networks whose output is brought into
 * [0, 1] by min-max scaling over the input domain (the default) or by a sigmoid output unit. */
enum { LSNN_L2L_SINE = 0, LSNN_L2L_TN_SIGMOID = 1, LSNN_L2L_TN_MINMAX = 2 };

/* One function of a family. */
typedef struct lsnn_l2l_fn {
    int tn;                    /* 0: sine, else a target network (LSNN_L2L_TN_*) */
    double A, phi;             /* sine: y = A sin(phi + x) */
    double w1[LSNN_L2L_HIDDEN][2], b1[LSNN_L2L_HIDDEN], w2[LSNN_L2L_HIDDEN], b2; /* TN */
    double lo, hi;             /* TN_MINMAX: the smallest and largest output of the linear
                                * output unit on the grid */
} lsnn_l2l_fn;

/* The family code of a config (l2l.family, l2l.tn_output). */
int lsnn_l2l_family(const lsnn_l2l_config *c);
/* The function of episode `episode` of `stream` (a new one per episode, from the seed):
 * sine: A ~ U[0.1, 5], phi ~ U[0, pi]; TN: every weight and bias ~ U[-1, 1] (the same draws
 * for both TN outputs). family: LSNN_L2L_*. */
void lsnn_l2l_draw(lsnn_l2l_fn *f, int family, uint64_t seed, uint64_t stream,
                   uint64_t episode);
/* C(x): sine, x[0] in [-5, 5]; TN, x[0], x[1] in [-1, 1], sigmoid hidden units and a linear
 * output unit a(x), then y = (a - lo) / (hi - lo) with lo, hi the extremes of a on the
 * LSNN_L2L_GRID^2 grid of the domain (so y spans [0, 1], leaving it only by the grid's
 * resolution), or y = sigmoid(a) (TN_SIGMOID: in (0, 1), but within a function y varies
 * little: variance 0.0015 on average, against 0.056 for min-max). */
double lsnn_l2l_eval(const lsnn_l2l_fn *f, const double *x);
/* Rates (Hz) of n input neurons coding z in [lo, hi]: centres m_i = lo + i (hi - lo)/(n - 1),
 * r_i = rate_max exp(-(m_i - z)^2 / (2 sigma^2)), sigma = width (hi - lo). */
void lsnn_l2l_rates(double z, double lo, double hi, int n, double rate_max, double width,
                    double *out);

/* The variables the input neurons code, in the order of their groups: the components of x,
 * then the previous target; their ranges into lo, hi. Returns their number (sine 2, TN 3). */
int lsnn_l2l_vars(const lsnn_l2l_config *c, double lo[3], double hi[3]);
/* The examples of episode g of stream: x (steps, dx) with dx = vars - 1, y (steps) = C(x). */
void lsnn_l2l_episode(const lsnn_l2l_config *c, uint64_t seed, uint64_t stream, uint64_t g,
                      double *x, double *y);
/* The input spikes of one example, S = step_ms rows (S, n_in) of x_rows (cleared first): x
 * (dx values) and the previous target coded by lsnn_l2l_rates, each input neuron spiking in each
 * step with probability rate dt / 1000 drawn from rs (neurons below 1e-9 draw nothing). p and
 * on are scratch of n_in entries. */
void lsnn_l2l_encode(const lsnn_l2l_config *c, double dt, const double *x, double prev,
                     lsnn_rng *rs, lsnn_real *x_rows, double *p, int *on);

#endif

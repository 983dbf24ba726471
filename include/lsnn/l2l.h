/* lsnn/l2l.h - the learning-to-learn task's function families and input code (seed 000/001
 * section 5), exposed for tests and tools; the task itself is "l2l" (lsnn/task.h). */
#ifndef LSNN_L2L_H
#define LSNN_L2L_H

#include <stdint.h>

#define LSNN_L2L_HIDDEN 10

/* One function of a family. */
typedef struct lsnn_l2l_fn {
    int tn;                    /* 0: sine, 1: target network */
    double A, phi;             /* sine: y = A sin(phi + x) */
    double w1[LSNN_L2L_HIDDEN][2], b1[LSNN_L2L_HIDDEN], w2[LSNN_L2L_HIDDEN], b2; /* TN */
} lsnn_l2l_fn;

/* The function of episode `episode` of `stream` (a new one per episode, from the seed):
 * sine: A ~ U[0.1, 5], phi ~ U[0, pi]; TN: every weight and bias ~ U[-1, 1]. */
void lsnn_l2l_draw(lsnn_l2l_fn *f, int tn, uint64_t seed, uint64_t stream, uint64_t episode);
/* C(x): sine, x[0] in [-5, 5]; TN, x[0], x[1] in [-1, 1], sigmoid hidden and output units, so
 * the output lies in (0, 1). */
double lsnn_l2l_eval(const lsnn_l2l_fn *f, const double *x);
/* Rates (Hz) of n input neurons coding z in [lo, hi]: centres m_i = lo + i (hi - lo)/(n - 1),
 * r_i = rate_max exp(-(m_i - z)^2 / (2 sigma^2)), sigma = width (hi - lo). */
void lsnn_l2l_rates(double z, double lo, double hi, int n, double rate_max, double width,
                    double *out);

#endif

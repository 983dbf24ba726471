/* lsnn/l2l_analysis.h - learning-to-learn with frozen weights, analysed (seed 000/001 section 5,
 * Fig. 2C, E, F, H, I): a trained l2l network on fresh episodes, against the paper's two
 * baselines on the same examples, and the internal model probed with snapshots.
 *
 * Baselines (their numerics live here so that tests can check them against closed forms):
 *   - ridge regression (lsnn_ridge_fit, lsnn_ridge_online) on the "mean spiking trace" of the
 *     network's neurons: each neuron's spikes filtered by the kernel exp(-s / tau) for
 *     s = 0 .. len-1 steps (the paper: 20 ms long, tau 20 ms), averaged over each example's
 *     steps; one constant feature (1) is appended as the intercept and regularised like the rest;
 *   - a feed-forward network d-H-1 (lsnn_ff: sigmoid hidden units, linear output, Xavier normal
 *     initialisation, Adam with AMSGrad, L2 weight regularisation) trained by backprop on the
 *     analog (x, C(x)) examples, the inputs the spike code carries. */
#ifndef LSNN_L2L_ANALYSIS_H
#define LSNN_L2L_ANALYSIS_H

#include <stdint.h>

#include "lsnn/status.h"
#include "lsnn/train.h"

/* ---------------------------------------------------------------------------------------------
 * Ridge regression. */

/* w (d) = argmin |F w - y|^2 + lambda |w|^2 for F (m, d) row-major and y (m): the solution of
 * (F^T F + lambda I) w = F^T y by Cholesky. lambda > 0. LSNN_ERR_NOMEM or LSNN_ERR_ARG. */
lsnn_status lsnn_ridge_fit(const double *F, const double *y, int m, int d, double lambda,
                           double *w);

/* The same fitted example by example: after lsnn_ridge_online_add of examples 1..k-1,
 * lsnn_ridge_online_predict(f_k) is f_k . w with w the ridge solution on those examples (0 before
 * any). The inverse of F^T F + lambda I is updated by Sherman-Morrison, O(d^2) per example. */
typedef struct lsnn_ridge_online {
    int d;
    double *P;                 /* (d, d) (F^T F + lambda I)^-1 */
    double *b;                 /* (d) F^T y */
    double *u;                 /* (d) scratch */
} lsnn_ridge_online;

lsnn_status lsnn_ridge_online_init(lsnn_ridge_online *r, int d, double lambda);
double lsnn_ridge_online_predict(const lsnn_ridge_online *r, const double *f);
void lsnn_ridge_online_add(lsnn_ridge_online *r, const double *f, double y);
void lsnn_ridge_online_free(lsnn_ridge_online *r);

/* ---------------------------------------------------------------------------------------------
 * Feed-forward baseline. */

typedef struct lsnn_ff_opts {
    int hidden;                /* hidden units (10) */
    double lr, beta1, beta2;   /* Adam (AMSGrad): 0.1, 0.7, 0.9 */
    double eps;                /* 1e-8 */
    double l2;                 /* weight regularisation C: gradient + C w (1e-5) */
} lsnn_ff_opts;

#define LSNN_FF_DEFAULTS {10, 0.1, 0.7, 0.9, 1e-8, 1e-5}

typedef struct lsnn_ff {
    int d, H, n_params;
    lsnn_ff_opts o;
    double *p;                 /* W1 (H, d), b1 (H), w2 (H), b2 */
    double *m, *v, *vmax, *g;  /* Adam moments, AMSGrad's running maximum, gradient */
    long t;                    /* Adam steps taken */
} lsnn_ff;

/* Xavier normal initialisation (std sqrt(2 / (fan_in + fan_out)), biases 0) from seed. */
lsnn_status lsnn_ff_init(lsnn_ff *ff, int d, const lsnn_ff_opts *o, uint64_t seed);
double lsnn_ff_predict(const lsnn_ff *ff, const double *x);
/* Loss 1/m sum (f(x_i) - y_i)^2 over m examples X (m, d), y (m); its gradient into ff->g.
 * Returns the loss (without the L2 term). */
double lsnn_ff_gradient(lsnn_ff *ff, const double *X, const double *y, int m);
/* One Adam (AMSGrad) step on the examples: gradient, + l2 * w for the weights, update. Returns
 * the loss before the step. */
double lsnn_ff_train_step(lsnn_ff *ff, const double *X, const double *y, int m);
void lsnn_ff_free(lsnn_ff *ff);

/* ---------------------------------------------------------------------------------------------
 * The analysis. */

#define LSNN_L2L_MAX_PROBE_K 8

typedef struct lsnn_l2l_analysis_opts {
    int episodes;              /* episodes of the stream, from its first (100) */
    uint64_t stream;           /* LSNN_STREAM_TEST or LSNN_STREAM_VAL */
    double ridge_lambda;       /* 100 */
    int ridge_fit;             /* examples of the random split the ridge is fitted on (450) */
    int trace_len;             /* kernel length in steps (20) */
    double trace_tau;          /* kernel time constant in ms (20) */
    lsnn_ff_opts ff;
    int ff_steps;              /* Adam steps on the examples seen so far after each one (1) */
    int probe_points;          /* grid points of the internal-model probe (0: no probe) */
    int probe_k[LSNN_L2L_MAX_PROBE_K]; /* probe after this many examples (ascending) */
    int n_probe_k;
    /* Optional progress: called after each batch of episodes. */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
} lsnn_l2l_analysis_opts;

/* Defaults: 100 test episodes, lambda 100, 450 fitted, kernel 20 steps / 20 ms, the FF of seed
 * 000, 1 step per example, 41 probe points after 1, 2, 5, 10 and 20 examples. */
void lsnn_l2l_analysis_defaults(lsnn_l2l_analysis_opts *o);

typedef struct lsnn_l2l_analysis {
    int episodes, steps, dx;   /* dx: input dimension of the family (sine 1, TN 2) */
    /* (episodes, steps): squared error of the prediction of example k made before its target
     * was shown: the LSNN's (the readout averaged over the example's steps), the ridge
     * regression fitted on examples 0..k-1 (0 predicted at k = 0) and the FF network trained
     * on them. */
    double *lsnn_err, *ridge_err, *ff_err;
    /* (episodes): the mean over all examples of lsnn_err, and on a random split of the
     * episode's examples (ridge_fit fitted, the rest tested) the ridge regression's test MSE and
     * the LSNN's MSE on the same test examples. */
    double *lsnn_mse, *ridge_split_mse, *lsnn_split_mse;
    /* Internal model of each episode: probe_x (probe_points) the grid (TN: x1 = x2 = probe_x);
     * probe_target (episodes, probe_points) C on the grid; probe_pred (episodes, n_probe_k,
     * probe_points) the LSNN's prediction after probe_k[j] examples; probe_seen_x / _y
     * (episodes, steps * dx) and (episodes, steps): every example, so a figure can show the
     * ones seen before each probe. */
    int probe_points, n_probe_k;
    int probe_k[LSNN_L2L_MAX_PROBE_K];
    double *probe_x, *probe_target, *probe_pred, *seen_x, *seen_y;
} lsnn_l2l_analysis;

/* Runs opts->episodes episodes of the trainer's l2l task (tr from a trained model:
 * cli-style lsnn_trainer_init + lsnn_trainer_load) step by step with frozen weights and fills
 * out. The network state after each probe is restored bit-identically (lsnn_sim_restore), so
 * the errors do not depend on whether probes ran. */
lsnn_status lsnn_l2l_analyze(lsnn_trainer *tr, const lsnn_l2l_analysis_opts *opts,
                             lsnn_l2l_analysis *out);
void lsnn_l2l_analysis_free(lsnn_l2l_analysis *a);

/* mean and sample standard deviation of v[0 .. n-1] with stride. */
void lsnn_l2l_mean_std(const double *v, int n, int stride, double *mean, double *std);

#endif

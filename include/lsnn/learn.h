/* lsnn/learn.h - losses, regularisation and optimizers.
 *
 * Losses turn the readout y (B, T, n_out) and a batch's targets into a value, the derivative
 * dL/dy and task metrics; the optimizer is one flat loop over the parameter block. */
#ifndef LSNN_LEARN_H
#define LSNN_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/sim.h"

typedef struct lsnn_loss_result {
    double loss;        /* task loss (mean over windows or weighted steps) */
    double reg;         /* regularisation loss (already weighted) */
    long correct;       /* windows classified correctly (classification) */
    long total;         /* windows (classification) */
    double sq_err;      /* RATE_MSE: sum over windows and outputs of (out - target)^2 */
    long n_err;         /* RATE_MSE: the number of terms of sq_err */
} lsnn_loss_result;

/* Task loss. gy (B, T, n_out) receives dL/dy (may be NULL for evaluation only).
 * CE_WINDOW: L = mean over all windows of -log softmax(mean_{t in window} y(t))[label].
 * CE_WINDOW_SOFTMAX: L = mean over all windows of -log mean_{t in window} softmax(y(t))[label],
 *   and the prediction is the arg-max of the averaged softmax.
 * MSE: L = sum_{b,t,k} w(b,t) (y - y*)^2 / (n_out sum w).
 * RATE_MSE: L = mean over all windows of 1/2 sum_k (out_k - t_k)^2, out the window-averaged
 *   readout and t the window's target (seed 003 eq. 4.4); correct when arg-max out = label.
 * RATE_HINGE: L = mean over all windows of sum_k (1 - t_k) max(0, out_k - rate_zero)
 *   + t_k max(0, rate_one - out_k) (seed 003 eq. 4.23); correct when every output lies on the
 *   right side of rate_zero (out_k > rate_zero exactly where t_k = 1). */
lsnn_status lsnn_loss_compute(const lsnn_batch *batch, const lsnn_real *y, lsnn_real *gy,
                              lsnn_loss_result *out);

/* Per-window predictions (arg-max of the averaged readout), for confusion matrices:
 * pred (B, max_windows). */
void lsnn_loss_predict(const lsnn_batch *batch, const lsnn_real *y, int *pred);

/* Firing-rate regularisation (seed 000 eq. 9): with r_j the rate of neuron j averaged over the
 * batch and time (spikes per step), f0 = rate_target_hz * dt / 1000,
 *   R = c (1/n) sum_j (r_j - f0)^2.
 * Writes dR/dz_j(b,t) (identical for every b and t) into gz (n) and returns R. */
double lsnn_rate_reg(const double *spike_count, int n, int B, int T, double dt,
                     double rate_target_hz, double c, lsnn_real *gz);

typedef enum lsnn_optim_kind {
    LSNN_OPTIM_ADAM = 0,
    LSNN_OPTIM_SGD = 1
} lsnn_optim_kind;

/* The optimizers, by name: "adam" and "sgd" (lsnn_optim_find; lsnn_optim_name(i) lists them). */
const char *lsnn_optim_name(int i); /* NULL past the last */
lsnn_status lsnn_optim_find(const char *name, lsnn_optim_kind *kind);

/* The typed parameters of an optimizer and its learning-rate schedule (the "optimizer" section
 * of a config, mapped by lsnn/config_map.h). */
typedef struct lsnn_optim_params {
    lsnn_optim_kind kind;
    double beta1, beta2;       /* Adam moment decay rates */
    double epsilon;            /* Adam epsilon */
    int epsilon_in_sqrt;       /* Adam: 1 = m / sqrt(v + eps) (seed 004 eq. 3.52), 0 = m / (sqrt(v) + eps) */
    double lr_decay;           /* multiply lr by this factor ... (1 = no decay) */
    int lr_decay_every;        /* ... every this many iterations (0 = never) */
    int warmup;                /* linear learning-rate ramp over this many iterations (0 = off) */
    double clip_norm;          /* global gradient-norm clipping (0 = off) */
} lsnn_optim_params;

typedef struct lsnn_optim {
    lsnn_optim_kind kind;
    double beta1, beta2, epsilon;
    int eps_in_sqrt;    /* 1: m / sqrt(v + epsilon) (seed 004 eq. 3.52) */
    long step;          /* updates applied so far */
    size_t n;
    lsnn_real *m, *v;   /* Adam moments (n), NULL for SGD */
} lsnn_optim;

lsnn_status lsnn_optim_init(lsnn_optim *o, const lsnn_optim_params *p, size_t n);
void lsnn_optim_free(lsnn_optim *o);

/* Learning rate at iteration `it` (0-based): lr * decay^(floor(it / every)), times
 * (it + 1) / warmup during the first `warmup` iterations. */
double lsnn_lr_at(double lr, const lsnn_optim_params *p, long it);

/* Scales grad so that its global L2 norm (over trainable entries) is at most clip_norm
 * (0 = no clipping). Returns the norm before clipping. */
double lsnn_grad_clip(lsnn_real *grad, const uint8_t *mask, size_t n, double clip_norm);

/* One update of params (n) from grad; entries with mask[k] == 0 are left untouched. */
void lsnn_optim_step(lsnn_optim *o, lsnn_real *params, const lsnn_real *grad,
                     const uint8_t *mask, double lr);

#endif

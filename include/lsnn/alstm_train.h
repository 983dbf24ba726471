/* lsnn/alstm_train.h - training the adaptive analog LSTM of seed 002 (lsnn/alstm.h) online, as
 * the seed did (../shared/notes/spiking-lstm.md sections 4.1-4.3): sequence prediction with a
 * gradient step after every time step (truncated RTRL), or one per sequence (BPTT, an option),
 * and the sequential construction that inserts the cells once learning without them has
 * plateaued. */
#ifndef LSNN_ALSTM_TRAIN_H
#define LSNN_ALSTM_TRAIN_H

#include "lsnn/alstm.h"
#include "lsnn/seqpred.h"
#include "lsnn/tmaze.h"

typedef struct lsnn_alstm_learn {
    double lr_out;            /* learning rate of the output weights */
    double lr_hidden;         /* of the hidden units */
    double lr_cell;           /* of the gates and input cells */
    double lr_cell_bias;      /* of the gates' and input cells' biases (0: fixed) */
    int bptt;                 /* 1: one update per sequence with BPTT's gradient */
    int sequential;           /* 1: train without the cells, insert them at a plateau */
    int plateau_window;       /* the moving error's window, trials (100) */
    int plateau_wait;         /* trials without a relative improvement of plateau_drop (200) */
    double plateau_drop;      /* 0.01 */
    double lr_halflife;       /* trials over which the learning rates halve (0: constant) */
    int final_only;           /* 1: the error of the last step of a trial only (RTRL) */
} lsnn_alstm_learn;

typedef struct lsnn_seqpred_run {
    long max_trials;          /* budget (100,000 noise-free, 200,000 noisy) */
    int window;               /* trials of the convergence criterion (100) */
    double threshold;         /* converged: mean trial error over the window below this (0.25) */
    long report_every;        /* progress callback every so many trials (0: never) */
    long extra;               /* trials to go on training after the criterion is met (0: stop) */
} lsnn_seqpred_run;

typedef struct lsnn_seqpred_result {
    int converged;
    long trials;              /* trials run (at convergence: the trial that met the criterion) */
    long trained;             /* trials run in all (with the extra ones) */
    long inserted_at;         /* trial at which the cells were inserted (-1: from the start) */
    double moving_error;      /* mean trial error over the last window */
} lsnn_seqpred_result;

typedef void (*lsnn_alstm_progress)(void *ctx, long trial, double moving_error, int cells_on);

/* Trains net (initialised by the caller; the cells' weights are drawn again with `init` when
 * they are inserted) on trials 0, 1, ... of stream 0 of the task until the criterion or the
 * budget. The trial error is max_k |o_k - d_k| at the last step. The input of a step is the
 * one-hot code of its symbol, the loss 1/2 sum_k (o_k - d_k)^2 per step. */
lsnn_status lsnn_alstm_train_seqpred(lsnn_alstm *net, const lsnn_seqpred_params *task,
                                     const lsnn_alstm_learn *lp, const lsnn_alstm_init *init,
                                     const lsnn_seqpred_run *rp, uint64_t seed,
                                     lsnn_alstm_progress cb, void *ctx, lsnn_seqpred_result *res);

/* ---- RL-LSTM on the T-maze (notes 4.4; Bakker 2002) ------------------------------------------
 *
 * The outputs are advantages A(s, a) of the 4 actions, V(s) = max_a A(s, a). After action a_t in
 * s_t, reward r_t and the next observation s_{t+1}:
 *   E(t) = V(s_t) + (r_t + gamma V(s_{t+1}) - V(s_t)) / kappa - A(s_t, a_t)   (V(s_{t+1}) = 0 at
 *          the end of an episode)
 *   e(t) = gamma lambda e(t-1) + dA(s_t, a_t)/dw   (truncated RTRL for the cells; e is cut to 0
 *          before the step's gradient is added when a_t was not the greedy action, and at the
 *          start of an episode)
 *   w <- w + alpha E(t) e(t).
 * Actions are drawn from the Boltzmann distribution exp(A(s, a) / T) with the temperature
 * T = clip(c_temp y_x, t_min, t_max) from an exploration network (feed-forward: the same inputs,
 * `explore_hidden` AAN units, one linear output y_x) trained by one step of gradient descent per
 * step, with rate alpha_explore, towards |E(t)| + beta_explore y_x(s_{t+1}) (y_x(s_{t+1}) = 0 at
 * the end of an episode). Episodes longer than max_episode_steps end without a terminal
 * transition. Converged: the mean return of the last `window` episodes above `threshold`; the
 * count is the total number of steps. */
typedef struct lsnn_rl_lstm_params {
    double alpha;             /* 0.0002 */
    double gamma;             /* 0.98 */
    double lambda;            /* 0.8 */
    double kappa;             /* 0.1 */
    double c_temp;            /* 1 */
    double t_min, t_max;      /* 0.01, 10 */
    double beta_explore;      /* 0.9 */
    double alpha_explore;     /* 0.0002 */
    int max_episode_steps;    /* 1000 */
    long max_steps;           /* budget, total steps */
    int window;               /* 100 episodes */
    double threshold;         /* 3.5 */
    long report_every;        /* episodes between progress callbacks (0: never) */
    long extra;               /* steps to go on training after the criterion is met (0: stop) */
} lsnn_rl_lstm_params;

typedef struct lsnn_rl_lstm_result {
    int converged;
    long steps;               /* total steps (at convergence: up to the episode that met it) */
    long trained;             /* steps run in all (with the extra ones) */
    long episodes;
    double mean_return;       /* over the last window */
} lsnn_rl_lstm_result;

/* net: 3 inputs, 4 outputs; explore: 3 inputs, 1 output, no cells (both initialised by the
 * caller). Episodes 0, 1, ... of stream 0 of the maze. The callback gets the episode count and
 * the mean return of the last window (cells_on 1). */
lsnn_status lsnn_alstm_train_tmaze(lsnn_alstm *net, lsnn_alstm *explore,
                                   const lsnn_tmaze_params *task, const lsnn_rl_lstm_params *rp,
                                   uint64_t seed, lsnn_alstm_progress cb, void *ctx,
                                   lsnn_rl_lstm_result *res);

/* Greedy episodes 0 .. episodes-1 of `stream`: mean return and the share that ended on the goal's
 * side, within max_episode_steps each. */
lsnn_status lsnn_alstm_eval_tmaze(const lsnn_alstm *net, const lsnn_tmaze_params *task,
                                  int episodes, int max_episode_steps, uint64_t seed,
                                  uint64_t stream, double *mean_return, double *correct);

#endif

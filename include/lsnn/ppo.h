/* lsnn/ppo.h - the policy of the meta-RL agent and its PPO loss (seed 000/001 section 6,
 * eqs. 8-9), per time step, with the gradient with respect to the network's readouts.
 *
 * Policy: readouts y (5): the action a = (a_x, a_y) has independent Gaussian components with
 * means mu = tanh(y_1), tanh(y_2) and VARIANCES phi = sigmoid(y_3), sigmoid(y_4) (the text's
 * sigma(.) is the logistic function and gives the variance, not the standard deviation); y_5 is
 * the value estimate V. log pi(a) = sum_c -1/2 log(2 pi phi_c) - (a_c - mu_c)^2 / (2 phi_c),
 * entropy H = sum_c 1/2 log(2 pi e phi_c).
 *
 * Loss of one step (to be averaged over the K T steps of an iteration):
 *   l = -min(rho A, clip(rho, 1 - eps, 1 + eps) A) + mu_v (R - V)^2 - mu_e H,
 * rho = exp(log pi(a) - log pi_old(a)), A the advantage, R the return. */
#ifndef LSNN_PPO_H
#define LSNN_PPO_H

#include "lsnn/core.h"

#define LSNN_POLICY_OUTPUTS 5

typedef struct lsnn_ppo_params {
    double clip;               /* epsilon (0.2) */
    double mu_v;               /* weight of the value loss (1) */
    double mu_e;               /* weight of the entropy bonus (0.001) */
} lsnn_ppo_params;

#define LSNN_PPO_DEFAULTS {0.2, 1.0, 0.001}

/* Means and variances of the action from the readouts. */
void lsnn_policy_moments(const double *y, double mu[2], double var[2]);
/* log pi(a | y) and the entropy of pi(. | y). */
double lsnn_policy_logp(const double *y, const double *a);
double lsnn_policy_entropy(const double *y);
/* An action drawn from pi(. | y). */
void lsnn_policy_sample(const double *y, lsnn_rng *rng, double *a);

/* The loss of one step; its gradient with respect to y (5) into gy when non-NULL. The clipped
 * branch has no gradient through rho, as in PPO. */
double lsnn_ppo_loss(const double *y, const double *a, double logp_old, double adv, double ret,
                     const lsnn_ppo_params *p, double *gy);

/* R(t) = sum_{t' > t} eta^(t' - t) r(t') for t = 0..T-1 (0 for the last step): the reward of
 * step t' is the one the action of step t' - 1 earned, so R(t) is what follows the action of
 * step t. */
void lsnn_discounted_returns(const double *r, int T, double eta, double *R);
/* Generalised advantage estimation in the same convention: with V(T) = 0 and the TD error
 * delta(t) = eta (r(t + 1) + V(t + 1)) - V(t), A(t) = sum_k (eta lambda)^k delta(t + k).
 * lambda = 1 gives R(t) - V(t) (the sum telescopes), lambda = 0 the one-step TD error. */
void lsnn_gae(const double *r, const double *V, int T, double eta, double lambda, double *A);

#endif

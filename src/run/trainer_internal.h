/* run/trainer_internal.h - what the trainer (trainer.c) and the learning rules (learner.c)
 * share beyond lsnn/train.h. Not part of the public API. */
#ifndef LSNN_RUN_TRAINER_INTERNAL_H
#define LSNN_RUN_TRAINER_INTERNAL_H

#include "lsnn/train.h"

/* BPTT on tr->batch as it stands: forward, loss into lr, the rate regularisation into reg (0
 * when off), the gradient of their sum into grad (lsnn_trainer_gradient and the BPTT rule). */
lsnn_status lsnn__bptt_batch(lsnn_trainer *tr, lsnn_real *grad, lsnn_loss_result *lr,
                             double *reg);

/* The batch-wide rate regularisation of the last forward pass or episode on tr->batch (spike
 * counts in tr->count): its value into reg and its dL/dz into tr->gz, returned; NULL (reg 0)
 * when loss.rate_reg is off or the model does not spike. */
const lsnn_real *lsnn__rate_reg_grad(lsnn_trainer *tr, double *reg);

/* The reinforcement-learning rule (learner_ppo.c), for the table of learner.c. */
lsnn_status lsnn__ppo_init(lsnn_trainer *tr);
lsnn_status lsnn__ppo_gradient(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                               uint64_t stream, uint64_t first, lsnn_real *grad,
                               lsnn_loss_result *lr, double *reg);
lsnn_status lsnn__ppo_eval(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                           uint64_t stream, uint64_t first, int want_pred, lsnn_loss_result *lr);
void lsnn__ppo_free(lsnn_trainer *tr);
/* Evaluation episodes (stream, first .. first + tr->batch.B - 1) with the environment's state
 * before every action written into trace (B, T, n_state of the task's environment); with
 * random_policy the readouts are ignored and the policy at y = 0 acts (a random walk with the
 * agent's action noise at zero readouts). Goals into lr (correct = goals, total = episodes). */
lsnn_status lsnn__ppo_trace(lsnn_trainer *tr, uint64_t stream, uint64_t first,
                            int random_policy, double *trace, lsnn_loss_result *lr);
/* The score (goals) of episode s of the batch after the last rollout. */
long lsnn__ppo_last_score(const lsnn_trainer *tr, int s);
/* (Gradient checks) The loss + rate regularisation of the episodes of the last ppo gradient at
 * the network's current parameters: a forward pass over the recorded inputs, with the recorded
 * actions, their log-probabilities under theta_old and the returns and advantages of the
 * rollout held fixed: the function whose gradient at theta_old that gradient is. */
lsnn_status lsnn__ppo_replay_loss(lsnn_trainer *tr, double *loss);

#endif

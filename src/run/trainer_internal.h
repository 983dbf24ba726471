/* run/trainer_internal.h - what the trainer (trainer.c) and the learning rules (learner.c)
 * share beyond lsnn/train.h. Not part of the public API. */
#ifndef LSNN_RUN_TRAINER_INTERNAL_H
#define LSNN_RUN_TRAINER_INTERNAL_H

#include "lsnn/train.h"

/* BPTT on tr->batch as it stands: forward, loss into lr, the rate regularisation into reg (0
 * when off), the gradient of their sum into grad (lsnn_trainer_gradient and the BPTT rule). */
lsnn_status lsnn__bptt_batch(lsnn_trainer *tr, lsnn_real *grad, lsnn_loss_result *lr,
                             double *reg);

#endif

/* The learning rule "ppo": reinforcement learning of a spiking agent in a closed-loop task
 * (lsnn_task.env), seed 000 section 6, eqs. 8-9.
 *
 * One gradient: the batch's K sequences are K episodes of the task's environment, stepped
 * together (lsnn_trainer_episode_run runs the chunks in parallel). At step t each
 * environment writes its inputs, the network runs the step, and from each episode's readouts y(t)
 * the policy (lsnn/ppo.h) draws the action, whose log-probability under theta_old is recorded
 * before the environment applies it and pays the reward. After the episode: the returns R(t) of
 * the rewards received after step t, the advantages A = R - V with V = y_5 (treated as data;
 * GAE with meta_rl.gae_lambda < 1), dL/dy of the per-step loss averaged over the K T steps, the
 * rate regularisation, and BPTT over the recorded episode. The current noise is keyed by the batch (noise_key), so BPTT sees the
 * noise the episode saw: the gradient is that of the loss conditioned on the recorded noise and
 * actions. At theta = theta_old the ratio is 1 and the clip inactive, as in the paper (one Adam
 * step per iteration, no PPO epochs). The action draws come from (seed, stream, episode), so an
 * iteration replays exactly. */
#include <stdlib.h>
#include <string.h>

#include "lsnn/ppo.h"
#include "lsnn/train.h"
#include "run/trainer_internal.h"

typedef struct ppo_state {
    int B, T, n_act;
    size_t env_size;
    unsigned char *env;        /* (B) environments */
    double *act;               /* (B, T, n_act) actions */
    double *logp;              /* (B, T) their log-probabilities under theta_old */
    double *rew;               /* (B, T) reward received at step t (earned by the action of t-1) */
    double *ret;               /* (B, T) returns R(t) of the last gradient's episodes */
    double *adv;               /* (B, T) their advantages R - V(theta_old), or GAE */
    double *vscr;              /* (T) scratch: the values of one episode */
    lsnn_rng *rng;             /* (B) the action draws of each episode */
    double *trace;             /* NULL, or (B, T, n_state): the environments before each action */
    int random_policy;         /* 1: the readouts are ignored, the policy at y = 0 acts */
} ppo_state;

lsnn_status lsnn__ppo_init(lsnn_trainer *tr)
{
    const lsnn_env_ops *env = tr->task->env;
    if (!env)
        return lsnn_error(LSNN_ERR_CONFIG, "learning \"ppo\": task \"%s\" has no environment "
                                           "(ppo needs a closed-loop task such as meta_rl)",
                          tr->cfg.task);
    if (tr->shape.n_out != 2 * env->n_actions + 1 || env->n_actions != 2)
        return lsnn_error(LSNN_ERR_CONFIG, "learning \"ppo\": the policy reads 5 readouts (2 "
                                           "means, 2 variances, the value); the task has %d",
                          tr->shape.n_out);
    lsnn_status st = lsnn_trainer_prepare_forward(tr);
    if (st)
        return st;
    ppo_state *p = calloc(1, sizeof *p);
    if (!p)
        return lsnn_error(LSNN_ERR_NOMEM, "ppo: out of memory");
    p->B = tr->cfg.batch_size;
    p->T = tr->shape.T;
    p->n_act = env->n_actions;
    p->env_size = env->size;
    const size_t BT = (size_t)p->B * p->T;
    p->env = calloc((size_t)p->B, env->size);
    p->act = malloc(sizeof(double) * BT * p->n_act);
    p->logp = malloc(sizeof(double) * BT);
    p->rew = malloc(sizeof(double) * BT);
    p->ret = malloc(sizeof(double) * BT);
    p->adv = malloc(sizeof(double) * BT);
    p->vscr = malloc(sizeof(double) * p->T);
    p->rng = malloc(sizeof(lsnn_rng) * p->B);
    tr->rl = p;
    if (!p->env || !p->act || !p->logp || !p->rew || !p->ret || !p->adv || !p->vscr || !p->rng)
        return lsnn_error(LSNN_ERR_NOMEM, "ppo: out of memory for the records of %d episodes of "
                                          "%d steps",
                          p->B, p->T);
    return LSNN_OK;
}

void lsnn__ppo_free(lsnn_trainer *tr)
{
    ppo_state *p = tr->rl;
    if (!p)
        return;
    free(p->env);
    free(p->act);
    free(p->logp);
    free(p->rew);
    free(p->ret);
    free(p->adv);
    free(p->vscr);
    free(p->rng);
    free(p);
    tr->rl = NULL;
}

/* One chunk's sequences around step t of the closed loop (lsnn_trainer_episode_run): before
 * it each environment writes its inputs; after it, from each episode's readouts y(t), the
 * policy draws the action, whose log-probability is recorded before the environment applies it
 * and pays the reward. Each sequence has its own environment and action stream, so the chunks
 * may run on different threads. */
typedef struct ppo_loop {
    const lsnn_trainer *tr;
    const lsnn_env_ops *env;
    ppo_state *p;
    lsnn_batch *b;
} ppo_loop;

static void ppo_loop_fn(void *ctx, int phase, int g0, int bc, int t)
{
    const ppo_loop *L = ctx;
    ppo_state *p = L->p;
    const lsnn_config *cfg = &L->tr->cfg;
    lsnn_batch *b = L->b;
    const int T = b->T, n_out = b->n_out;
    for (int s = g0; s < g0 + bc; s++) {
        unsigned char *e = p->env + (size_t)s * p->env_size;
        if (phase == LSNN_SEQ_BEFORE) {
            L->env->observe(cfg, e, t, b->x + ((size_t)s * b->x_nt + (size_t)t) * b->n_in);
            continue;
        }
        const lsnn_real *ys = L->tr->y + ((size_t)s * T + t) * n_out;
        double y[LSNN_POLICY_OUTPUTS];
        for (int k = 0; k < LSNN_POLICY_OUTPUTS; k++)
            y[k] = p->random_policy ? 0 : ys[k];
        if (p->trace)
            L->env->state(e, p->trace + ((size_t)s * T + t) * L->env->n_state);
        double *a = p->act + ((size_t)s * T + t) * p->n_act;
        lsnn_policy_sample(y, &p->rng[s], a);
        p->logp[(size_t)s * T + t] = lsnn_policy_logp(y, a);
        const double r = L->env->act(cfg, e, a);
        if (t + 1 < T)
            p->rew[(size_t)s * T + t + 1] = r;
    }
}

/* Runs the batch's episodes (stream, first .. first + B - 1) in closed loop, recording actions,
 * their log-probabilities and the rewards; goals into lr. */
static lsnn_status ppo_rollout(lsnn_trainer *tr, const lsnn_task *task, uint64_t stream,
                               uint64_t first, lsnn_loss_result *lr)
{
    ppo_state *p = tr->rl;
    const lsnn_env_ops *env = task->env;
    const lsnn_config *cfg = &tr->cfg;
    lsnn_batch *b = &tr->batch;
    const int B = b->B, T = b->T;
    if (!env || B > p->B || T != p->T)
        return lsnn_error(LSNN_ERR_ARG, "ppo: task \"%s\" or the batch (%d x %d) does not fit the "
                                        "rule's records (%d x %d)",
                          task->name, B, T, p->B, p->T);
    lsnn_rng *rng = p->rng;
    for (int s = 0; s < B; s++) {
        env->reset(cfg, p->env + (size_t)s * p->env_size, cfg->seed, stream, first + (uint64_t)s);
        lsnn_rng_derive(&rng[s], cfg->seed, 0xa7e2, stream, first + (uint64_t)s);
        p->rew[(size_t)s * T] = 0;
    }
    b->noise_key = lsnn_hash4(cfg->seed, 0xa7e3, stream, first);
    ppo_loop L = {tr, env, p, b};
    lsnn_status st = lsnn_trainer_episode_run(tr, ppo_loop_fn, &L);
    lr->correct = 0;
    for (int s = 0; s < B && !st; s++)
        lr->correct += env->score(p->env + (size_t)s * p->env_size);
    lr->total = B;
    return st;
}

/* The loss of the recorded episodes (mean over the B T steps) and, with gy, its dL/dy. With
 * fresh != 0 the returns and advantages are computed from the rewards and the readout (and kept);
 * else the kept ones are used (the loss at other parameters, for the gradient check). */
static double ppo_loss(lsnn_trainer *tr, lsnn_real *gy, int fresh)
{
    ppo_state *p = tr->rl;
    const lsnn_batch *b = &tr->batch;
    const lsnn_meta_rl_config *c = &tr->cfg.meta_rl;
    const lsnn_ppo_params pp = {c->clip, c->value_weight, c->entropy_weight};
    const int B = b->B, T = b->T, n_out = b->n_out;
    const double scale = 1.0 / ((double)B * T);
    double loss = 0;
    for (int s = 0; s < B; s++) {
        double *ret = p->ret + (size_t)s * T, *adv = p->adv + (size_t)s * T;
        if (fresh) {
            lsnn_discounted_returns(p->rew + (size_t)s * T, T, c->discount, ret);
            if (c->gae_lambda < 1) { /* GAE: needs the values of the whole episode first */
                double *v = p->vscr;
                for (int t = 0; t < T; t++)
                    v[t] = tr->y[((size_t)s * T + t) * n_out + 4];
                lsnn_gae(p->rew + (size_t)s * T, v, T, c->discount, c->gae_lambda, adv);
            }
        }
        for (int t = 0; t < T; t++) {
            const size_t o = ((size_t)s * T + t) * n_out;
            double y[LSNN_POLICY_OUTPUTS], g[LSNN_POLICY_OUTPUTS];
            for (int k = 0; k < LSNN_POLICY_OUTPUTS; k++)
                y[k] = tr->y[o + k];
            if (fresh && !(c->gae_lambda < 1))
                adv[t] = ret[t] - y[4];
            loss += lsnn_ppo_loss(y, p->act + ((size_t)s * T + t) * p->n_act,
                                  p->logp[(size_t)s * T + t], adv[t], ret[t], &pp,
                                  gy ? g : NULL);
            for (int k = 0; gy && k < LSNN_POLICY_OUTPUTS; k++)
                gy[o + k] = (lsnn_real)(g[k] * scale);
        }
    }
    return loss * scale;
}

lsnn_status lsnn__ppo_gradient(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                               uint64_t stream, uint64_t first, lsnn_real *grad,
                               lsnn_loss_result *lr, double *reg)
{
    (void)state;
    *reg = 0;
    lsnn_status st = ppo_rollout(tr, task, stream, first, lr);
    if (st)
        return st;
    lr->loss = ppo_loss(tr, tr->gy, 1);
    const lsnn_real *gz = lsnn__rate_reg_grad(tr, reg);
    return tr->model->backward(tr, &tr->batch, gz, grad);
}

lsnn_status lsnn__ppo_eval(lsnn_trainer *tr, const lsnn_task *task, const void *state,
                           uint64_t stream, uint64_t first, int want_pred, lsnn_loss_result *lr)
{
    (void)state;
    (void)want_pred;
    if (tr->sim) /* no backward pass follows: no records */
        lsnn_sim_set_recording(tr->sim, 0);
    lsnn_status st = ppo_rollout(tr, task, stream, first, lr);
    if (tr->sim)
        lsnn_sim_set_recording(tr->sim, 1);
    if (!st)
        lr->loss = ppo_loss(tr, NULL, 1);
    return st;
}

lsnn_status lsnn__ppo_trace(lsnn_trainer *tr, uint64_t stream, uint64_t first,
                            int random_policy, double *trace, lsnn_loss_result *lr)
{
    ppo_state *p = tr->rl;
    if (!p || !tr->task->env || !tr->task->env->state)
        return lsnn_error(LSNN_ERR_ARG, "ppo: task \"%s\" records no environment state",
                          tr->cfg.task);
    p->trace = trace;
    p->random_policy = random_policy;
    lsnn_status st = lsnn__ppo_eval(tr, tr->task, tr->task_state, stream, first, 0, lr);
    p->trace = NULL;
    p->random_policy = 0;
    return st;
}

long lsnn__ppo_last_score(const lsnn_trainer *tr, int s)
{
    const ppo_state *p = tr->rl;
    return p && s >= 0 && s < p->B ? tr->task->env->score(p->env + (size_t)s * p->env_size) : 0;
}

lsnn_status lsnn__ppo_replay_loss(lsnn_trainer *tr, double *loss)
{
    double reg = 0;
    lsnn_status st = tr->model->forward(tr, &tr->batch, NULL);
    if (st)
        return st;
    const double l = ppo_loss(tr, NULL, 0);
    lsnn__rate_reg_grad(tr, &reg);
    *loss = l + reg;
    return LSNN_OK;
}

/* Online training of the adaptive analog LSTM (lsnn/alstm_train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/alstm_train.h"

/* params -= lr * grad with the learning rate of each weight's group, times scale; grad is
 * cleared. */
static void apply(lsnn_alstm *net, const lsnn_alstm_learn *lp, double scale, double *grad)
{
    const size_t nh = (size_t)(net->w_gate - net->w_hid), nc = (size_t)(net->w_out - net->w_gate);
    const size_t no = net->n_params - nh - nc;
    double *w = net->params;
    for (size_t i = 0; i < nh; i++)
        w[i] -= scale * lp->lr_hidden * grad[i];
    const size_t nu = (size_t)net->n_u;
    for (size_t i = nh; i < nh + nc; i++)
        w[i] -= scale * ((i - nh) % nu == nu - 1 ? lp->lr_cell_bias : lp->lr_cell) * grad[i];
    for (size_t i = nh + nc; i < nh + nc + no; i++)
        w[i] -= scale * lp->lr_out * grad[i];
    memset(grad, 0, sizeof(double) * net->n_params);
}

/* Fresh weights for the cells: their gates, input cells and the output weights that read them. */
static void insert_cells(lsnn_alstm *net, const lsnn_alstm_init *init, lsnn_rng *rng)
{
    const int nu = net->n_u, C = net->spec.n_cells;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < nu; i++) {
            double b = i == nu - 1;
            double v = init->range * (2 * lsnn_rng_uniform(rng) - 1);
            net->w_gate[(size_t)c * nu + i] = b && !isnan(init->gate_bias) ? init->gate_bias : v;
            v = init->range * (2 * lsnn_rng_uniform(rng) - 1);
            net->w_cin[(size_t)c * nu + i] = b && !isnan(init->cin_bias) ? init->cin_bias : v;
        }
    /* The output weights that read the cells carry on from 0: a cell whose output ramps up
     * through random output weights perturbs every output at every step, and the online
     * gradient of those errors closes its gate for good within one trial (AAN' is about 0 below
     * a net input of -0.3). */
    for (int k = 0; k < net->spec.n_out; k++)
        for (int c = 0; c < C; c++)
            net->params[lsnn_alstm_out_index(net, k, net->n_z - C + c)] = 0;
}

lsnn_status lsnn_alstm_train_seqpred(lsnn_alstm *net, const lsnn_seqpred_params *task,
                                     const lsnn_alstm_learn *lp, const lsnn_alstm_init *init,
                                     const lsnn_seqpred_run *rp, uint64_t seed,
                                     lsnn_alstm_progress cb, void *ctx, lsnn_seqpred_result *res)
{
    lsnn_status st = lsnn_seqpred_check(task);
    if (st)
        return st;
    const int P = task->p, K = P + 1;
    if (net->spec.n_in != K || net->spec.n_out != K)
        return lsnn_error(LSNN_ERR_SHAPE, "sequence prediction with p = %d needs %d inputs and "
                          "outputs; the network has %d and %d", P, K, net->spec.n_in,
                          net->spec.n_out);
    if (rp->window < 1 || rp->max_trials < 1 || lp->plateau_window < 1 || lp->plateau_wait < 1)
        return lsnn_error(LSNN_ERR_ARG, "sequence prediction: window, budget and plateau "
                          "lengths must be >= 1");
    memset(res, 0, sizeof *res);
    res->inserted_at = -1;
    int *sym = malloc(sizeof(int) * (size_t)(P + 1));
    double *err = calloc((size_t)rp->window + (size_t)lp->plateau_window, sizeof(double));
    double *grad = calloc(net->n_params, sizeof(double));
    double *x = calloc((size_t)K * (size_t)P, sizeof(double));
    double *tg = calloc((size_t)K * (size_t)P, sizeof(double));
    lsnn_alstm_state s;
    int have_state = 0;
    if (sym && err && grad && x && tg && lsnn_alstm_state_create(net, &s) == LSNN_OK)
        have_state = 1;
    if (!have_state) {
        free(sym);
        free(err);
        free(grad);
        free(x);
        free(tg);
        return lsnn_error(LSNN_ERR_NOMEM, "sequence prediction: out of memory");
    }
    double *perr = err + rp->window;
    int cells_on = !(lp->sequential && net->spec.n_cells > 0);
    if (lp->bptt && !cells_on) {
        /* BPTT with the cells off would need a flag in lsnn_alstm_bptt; the sequential
         * construction is an RTRL procedure (notes 4.3) */
        st = lsnn_error(LSNN_ERR_ARG, "sequence prediction: the sequential construction needs "
                        "the per-step (RTRL) updates");
        goto done;
    }
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x696e73u, 0, 0);
    double sum = 0, psum = 0, best = INFINITY;
    long last_improve = 0;
    double *gov = calloc((size_t)K, sizeof(double));
    double *outs = lp->bptt ? malloc(sizeof(double) * (size_t)K * P) : NULL;
    if (!gov || (lp->bptt && !outs)) {
        free(gov);
        free(outs);
        st = lsnn_error(LSNN_ERR_NOMEM, "sequence prediction: out of memory");
        goto done;
    }
    long trial, conv_at = 0, stop_at = 0;
    for (trial = 0; trial < rp->max_trials || (res->converged && trial < stop_at); trial++) {
        const double scale = lp->lr_halflife > 0 ? pow(0.5, trial / lp->lr_halflife) : 1;
        lsnn_seqpred_trial(task, seed, 0, (uint64_t)trial, sym);
        double e_last = 0;
        if (lp->bptt) {
            memset(x, 0, sizeof(double) * (size_t)K * P);
            memset(tg, 0, sizeof(double) * (size_t)K * P);
            for (int t = 0; t < P; t++) {
                x[(size_t)t * K + sym[t]] = 1;
                tg[(size_t)t * K + sym[t + 1]] = 1;
            }
            double L;
            st = lsnn_alstm_bptt(net, P, x, tg, grad, outs, &L);
            if (st) {
                free(gov);
                free(outs);
                goto done;
            }
            const double *out = outs + (size_t)(P - 1) * K; /* the last step's outputs */
            apply(net, lp, scale, grad);
            for (int k = 0; k < K; k++) {
                const double d = fabs(out[k] - tg[(size_t)(P - 1) * K + k]);
                e_last = d > e_last || d != d ? d : e_last; /* NaN wins (fmax would drop it) */
            }
        } else {
            lsnn_alstm_reset(net, &s);
            for (int t = 0; t < P; t++) {
                memset(x, 0, sizeof(double) * K);
                x[sym[t]] = 1;
                lsnn_alstm_step(net, &s, x, cells_on);
                if (lp->final_only && t < P - 1)
                    continue; /* no target before the last step; the partials still follow */
                for (int k = 0; k < K; k++)
                    gov[k] = s.o[k] - (k == sym[t + 1]);
                if (t == P - 1)
                    for (int k = 0; k < K; k++) {
                        const double d = fabs(gov[k]);
                        e_last = d > e_last || d != d ? d : e_last;
                    }
                lsnn_alstm_grad(net, &s, gov, grad, cells_on);
                apply(net, lp, scale, grad);
            }
        }
        if (!isfinite(e_last)) {
            st = lsnn_error(LSNN_ERR_NUMERIC, "sequence prediction: the network diverged at "
                            "trial %ld (lower the learning rates)", trial);
            free(gov);
            free(outs);
            goto done;
        }
        /* moving error of the criterion and of the plateau rule */
        const int wi = (int)(trial % rp->window), pi = (int)(trial % lp->plateau_window);
        sum += e_last - err[wi];
        err[wi] = e_last;
        psum += e_last - perr[pi];
        perr[pi] = e_last;
        const long n = trial + 1;
        res->moving_error = sum / (n < rp->window ? n : rp->window);
        if (!res->converged && n >= rp->window && res->moving_error < rp->threshold &&
            cells_on) {
            res->converged = 1;
            conv_at = n;
            stop_at = n + (rp->extra > 0 ? rp->extra : 0);
        }
        if (res->converged && n >= stop_at)
            break;
        if (!cells_on && n >= lp->plateau_window) {
            double m = psum / lp->plateau_window;
            if (m < best * (1 - lp->plateau_drop)) {
                best = m;
                last_improve = n;
            } else if (n - last_improve >= lp->plateau_wait) {
                insert_cells(net, init, &rng);
                cells_on = 1;
                res->inserted_at = n;
            }
        }
        if (cb && rp->report_every > 0 && n % rp->report_every == 0)
            cb(ctx, n, res->moving_error, cells_on);
    }
    res->trained = trial < rp->max_trials || res->converged ? trial + 1 : rp->max_trials;
    res->trials = res->converged ? conv_at : res->trained;
    free(gov);
    free(outs);
done:
    lsnn_alstm_state_free(&s);
    free(sym);
    free(err);
    free(grad);
    free(x);
    free(tg);
    return st;
}

/* ---- RL-LSTM on the T-maze ----------------------------------------------------------------- */

static int argmax4(const double *a)
{
    int b = 0;
    for (int k = 1; k < 4; k++)
        if (a[k] > a[b])
            b = k;
    return b;
}

/* Boltzmann draw over the 4 advantages at temperature T. */
static int boltzmann(const double *a, double T, lsnn_rng *rng)
{
    const double m = a[argmax4(a)];
    double w[4], z = 0;
    for (int k = 0; k < 4; k++) {
        w[k] = exp((a[k] - m) / T);
        z += w[k];
    }
    double u = lsnn_rng_uniform(rng) * z;
    for (int k = 0; k < 3; k++) {
        if (u < w[k])
            return k;
        u -= w[k];
    }
    return 3;
}

static lsnn_status tmaze_check_nets(const lsnn_alstm *net, const lsnn_alstm *explore)
{
    if (net->spec.n_in != 3 || net->spec.n_out != 4)
        return lsnn_error(LSNN_ERR_SHAPE, "T-maze: the network needs 3 inputs and 4 outputs "
                          "(has %d and %d)", net->spec.n_in, net->spec.n_out);
    if (explore && (explore->spec.n_in != 3 || explore->spec.n_out != 1 ||
                    explore->spec.n_cells != 0))
        return lsnn_error(LSNN_ERR_SHAPE, "T-maze: the exploration network needs 3 inputs, 1 "
                          "output and no cells");
    return LSNN_OK;
}

lsnn_status lsnn_alstm_train_tmaze(lsnn_alstm *net, lsnn_alstm *explore,
                                   const lsnn_tmaze_params *task, const lsnn_rl_lstm_params *rp,
                                   uint64_t seed, lsnn_alstm_progress cb, void *ctx,
                                   lsnn_rl_lstm_result *res)
{
    lsnn_status st = lsnn_tmaze_check(task);
    if (st || (st = tmaze_check_nets(net, explore)))
        return st;
    if (rp->window < 1 || rp->max_steps < 1 || rp->max_episode_steps < 1 ||
        !(rp->t_min > 0) || !(rp->t_max >= rp->t_min))
        return lsnn_error(LSNN_ERR_ARG, "T-maze: window, budget and episode cap must be >= 1 "
                          "and 0 < t_min <= t_max");
    memset(res, 0, sizeof *res);
    const size_t P = net->n_params, PX = explore->n_params;
    double *mem = calloc(P + PX + (size_t)rp->window, sizeof(double));
    lsnn_alstm_state s, sx;
    int ok_s = 0, ok_x = 0;
    if (mem) {
        ok_s = lsnn_alstm_state_create(net, &s) == LSNN_OK;
        ok_x = ok_s && lsnn_alstm_state_create(explore, &sx) == LSNN_OK;
    }
    if (!mem || !ok_s || !ok_x) {
        if (ok_s)
            lsnn_alstm_state_free(&s);
        free(mem);
        return lsnn_error(LSNN_ERR_NOMEM, "T-maze: out of memory");
    }
    double *trace = mem, *gx = mem + P, *rets = gx + PX;
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x726c6163u, 0, 0);
    double ret_sum = 0;
    long steps = 0, ep, conv_steps = 0, stop_steps = 0;
    for (ep = 0; steps < rp->max_steps || (res->converged && steps < stop_steps); ep++) {
        lsnn_tmaze e;
        lsnn_tmaze_reset(&e, task, seed, 0, (uint64_t)ep);
        lsnn_alstm_reset(net, &s);
        memset(trace, 0, sizeof(double) * P);
        double obs[3], ret = 0;
        lsnn_tmaze_observe(&e, obs);
        lsnn_alstm_step(net, &s, obs, 1);
        lsnn_alstm_step(explore, &sx, obs, 1);
        const long cap = res->converged ? stop_steps : rp->max_steps;
        for (int t = 0; t < rp->max_episode_steps && steps < cap; t++) {
            double A[4], yx = sx.o[0];
            memcpy(A, s.o, sizeof A);
            double T = rp->c_temp * yx;
            T = T < rp->t_min ? rp->t_min : T > rp->t_max ? rp->t_max : T;
            const int greedy = argmax4(A);
            const int a = boltzmann(A, T, &rng);
            /* e = gamma lambda e (cut after a non-greedy action) + dA(s_t, a_t)/dw */
            const double decay = a == greedy ? rp->gamma * rp->lambda : 0;
            for (size_t i = 0; i < P; i++)
                trace[i] *= decay;
            double onehot[4] = {0};
            onehot[a] = 1;
            lsnn_alstm_grad(net, &s, onehot, trace, 1);
            /* the exploration net's gradient at s_t, before the network moves on */
            memset(gx, 0, sizeof(double) * PX);
            double one = 1;
            lsnn_alstm_grad(explore, &sx, &one, gx, 1);
            const double r = lsnn_tmaze_step(&e, a);
            ret += r;
            steps++;
            const double V = A[greedy], Aa = A[a];
            double Vn = 0, yxn = 0;
            if (!e.done) {
                lsnn_tmaze_observe(&e, obs);
                lsnn_alstm_step(net, &s, obs, 1);
                lsnn_alstm_step(explore, &sx, obs, 1);
                Vn = s.o[argmax4(s.o)];
                yxn = sx.o[0];
            }
            const double E = V + (r + rp->gamma * Vn - V) / rp->kappa - Aa;
            if (!isfinite(E)) {
                st = lsnn_error(LSNN_ERR_NUMERIC, "T-maze: the network diverged at step %ld "
                                "(lower alpha)", steps);
                goto done;
            }
            for (size_t i = 0; i < P; i++)
                net->params[i] += rp->alpha * E * trace[i];
            /* exploration net: y_x(s_t) towards |E| + beta y_x(s_{t+1}) */
            const double ex = yx - (fabs(E) + rp->beta_explore * yxn);
            for (size_t i = 0; i < PX; i++)
                explore->params[i] -= rp->alpha_explore * ex * gx[i];
            if (e.done)
                break;
        }
        const int wi = (int)(ep % rp->window);
        ret_sum += ret - rets[wi];
        rets[wi] = ret;
        const long n = ep + 1;
        res->mean_return = ret_sum / (n < rp->window ? n : rp->window);
        if (cb && rp->report_every > 0 && n % rp->report_every == 0)
            cb(ctx, n, res->mean_return, 1);
        if (!res->converged && n >= rp->window && res->mean_return > rp->threshold) {
            res->converged = 1;
            conv_steps = steps;
            res->episodes = n;
            stop_steps = steps + (rp->extra > 0 ? rp->extra : 0);
        }
        if (res->converged && steps >= stop_steps) {
            ep++;
            break;
        }
    }
    if (!res->converged)
        res->episodes = ep;
    res->trained = steps;
    res->steps = res->converged ? conv_steps : steps;
done:
    lsnn_alstm_state_free(&s);
    lsnn_alstm_state_free(&sx);
    free(mem);
    return st;
}

lsnn_status lsnn_alstm_eval_tmaze(const lsnn_alstm *net, const lsnn_tmaze_params *task,
                                  int episodes, int max_episode_steps, uint64_t seed,
                                  uint64_t stream, double *mean_return, double *correct)
{
    lsnn_status st = lsnn_tmaze_check(task);
    if (st || (st = tmaze_check_nets(net, NULL)))
        return st;
    if (episodes < 1 || max_episode_steps < 1)
        return lsnn_error(LSNN_ERR_ARG, "T-maze evaluation: episodes and the cap must be >= 1");
    lsnn_alstm_state s;
    if ((st = lsnn_alstm_state_create(net, &s)))
        return st;
    double sum = 0, ok = 0;
    for (int ep = 0; ep < episodes; ep++) {
        lsnn_tmaze e;
        lsnn_tmaze_reset(&e, task, seed, stream, (uint64_t)ep);
        lsnn_alstm_reset(net, &s);
        double obs[3];
        for (int t = 0; t < max_episode_steps && !e.done; t++) {
            lsnn_tmaze_observe(&e, obs);
            lsnn_alstm_step(net, &s, obs, 1);
            sum += lsnn_tmaze_step(&e, argmax4(s.o));
        }
        ok += e.correct;
    }
    lsnn_alstm_state_free(&s);
    *mean_return = sum / episodes;
    *correct = ok / episodes;
    return LSNN_OK;
}

/* The e-prop workspace: its layout in one allocation, creation (feedback weights B drawn from
 * the seed), and release. The online pass itself is in eprop.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "learn/eprop_internal.h"

static void ep_layout(lsnn_eprop *ep, const lsnn_net *net, lsnn__arena *a)
{
    const size_t CH = (size_t)ep->CH, n = (size_t)ep->n, rs = sizeof(lsnn_real);
    size_t max_dst = n;
    for (int i = 0; i < ep->nchunks; i++) {
        ep_chunk *c = &ep->ch[i];
        for (int p = 0; p < net->n_proj; p++) {
            const lsnn_projection *pr = &net->proj[p];
            if (pr->frozen)
                continue;
            /* Room for either layout: (CH, n_src, n_dst) or (nnz <= n_src n_dst, CHP). */
            size_t m = (size_t)ep->CHP * pr->n_src * pr->n_dst;
            c->ev[p] = lsnn__take(a, rs * m);
            c->ea[p] = lsnn__take(a, rs * m);
            c->eb[p] = lsnn__take(a, rs * m);
            c->acc[p] = lsnn__take(a, rs * m);
        }
        c->nv = lsnn__take(a, rs * CH * n);
        c->na = lsnn__take(a, rs * CH * n);
        c->nb = lsnn__take(a, rs * CH * n);
        c->nacc = lsnn__take(a, rs * CH * n);
        for (int k = 0; k < 2; k++) {
            ep_coef_set *cs = &c->coef[k];
            cs->jvv = lsnn__take(a, rs * CH * n);
            cs->jva = lsnn__take(a, rs * CH * n);
            cs->jav = lsnn__take(a, rs * CH * n);
            cs->jaa = lsnn__take(a, rs * CH * n);
            cs->ev = lsnn__take(a, rs * CH * n);
            cs->ea = lsnn__take(a, rs * CH * n);
        }
        c->hist = lsnn__take(a, rs * (size_t)ep->R * CH * n);
        c->zeta = lsnn__take(a, rs * CH * n);
        c->zacc = lsnn__take(a, rs * CH * n);
        c->L = lsnn__take(a, rs * CH * n);
        c->ysum = lsnn__take(a, rs * CH * (size_t)ep->n_out);
        c->pre = lsnn__take(a, rs * max_dst);
        c->ztot = lsnn__take(a, sizeof(double) * CH * n);
        c->regsum = lsnn__take(a, sizeof(double) * n);
        c->count = lsnn__take(a, sizeof(double) * n);
        c->grad = lsnn__take(a, rs * ep->n_params);
        c->mode = lsnn__take(a, sizeof(int) * CH);
        c->wi = lsnn__take(a, sizeof(int) * CH);
        const size_t CHP = (size_t)ep->CHP;
        for (int k = 0; k < EP_TC; k++)
            c->tc[k] = lsnn__take(a, rs * n * CHP);
        c->zt = lsnn__take(a, rs * (size_t)ep->R * n * CHP);
        c->xt = lsnn__take(a, rs * (size_t)ep->R * ep->n_in * CHP);
        c->mg = lsnn__take(a, rs * CHP);
        c->ma = lsnn__take(a, rs * CHP);
        c->mk = lsnn__take(a, rs * CHP);
    }
    ep->inert = lsnn__take(a, n);
    ep->fb = lsnn__take(a, rs * n * (size_t)ep->n_out);
    ep->fb0 = lsnn__take(a, rs * n * (size_t)ep->n_out);
    ep->wout0 = lsnn__take(a, rs * n * (size_t)ep->n_out);
}

lsnn_eprop *lsnn_eprop_create(const lsnn_net *net, int B, const lsnn_eprop_opts *opts,
                              uint64_t seed, lsnn_status *status)
{
    lsnn_status dummy;
    if (!status)
        status = &dummy;
    for (int p = 0; p < net->n_pop; p++)
        if (!net->pop[p].model->eligibility) {
            *status = lsnn_error(LSNN_ERR_UNSUPPORTED,
                                 "e-prop: neuron model '%s' has no eligibility propagation",
                                 net->pop[p].model->name);
            return NULL;
        }
    if (net->n_out > LSNN__EP_MAX_OUT) {
        *status = lsnn_error(LSNN_ERR_RANGE, "e-prop: %d outputs (at most %d)", net->n_out,
                             LSNN__EP_MAX_OUT);
        return NULL;
    }
    lsnn_eprop *ep = calloc(1, sizeof *ep);
    if (!ep) {
        *status = lsnn_error(LSNN_ERR_NOMEM, "e-prop: out of memory");
        return NULL;
    }
    ep->opts = *opts;
    ep->sim = lsnn_sim_create(net, B, 1, status);
    if (!ep->sim) {
        free(ep);
        return NULL;
    }
    ep->Bmax = B;
    ep->CH = ep->sim->CH;
    ep->nchunks = ep->sim->nchunks;
    ep->n = net->n;
    ep->n_out = net->n_out;
    ep->R = ep->sim->R;
    ep->CHP = (ep->CH + 7) / 8 * 8;
    ep->n_in = net->n_in;
    ep->n_params = net->n_params;
    ep->ch = calloc((size_t)ep->nchunks, sizeof *ep->ch);
    lsnn__arena a = {0};
    if (ep->ch) {
        ep_layout(ep, net, &a);
        a.base = calloc(1, a.used + 64);
    }
    if (!ep->ch || !a.base) {
        *status = lsnn_error(LSNN_ERR_NOMEM,
                             "e-prop: cannot allocate the eligibility traces (%.1f MB) for batch "
                             "%d and %zu parameters",
                             a.used / 1e6, B, net->n_params);
        free(ep->ch);
        lsnn_sim_free(ep->sim);
        free(ep);
        return NULL;
    }
    ep->mem = a.base;
    a.used = 0;
    ep_layout(ep, net, &a);
    if (opts->feedback != LSNN_FEEDBACK_SYMMETRIC) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0xfeedb, 0, 0);
        const double scale = 1 / sqrt((double)net->n);
        for (size_t k = 0; k < (size_t)net->n * net->n_out; k++)
            ep->fb0[k] = ep->fb[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
        memcpy(ep->wout0, net->w_out, sizeof(lsnn_real) * (size_t)net->n * net->n_out);
    }
    *status = LSNN_OK;
    return ep;
}

void lsnn_eprop_free(lsnn_eprop *ep)
{
    if (!ep)
        return;
    lsnn_sim_free(ep->sim);
    free(ep->mem);
    free(ep->ch);
    free(ep);
}

lsnn_real *lsnn_eprop_feedback(lsnn_eprop *ep)
{
    return ep->fb;
}

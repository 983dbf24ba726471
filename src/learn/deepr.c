/* DEEP R rewiring (see lsnn/deepr.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/deepr.h"

/* One rewired weight matrix as DEEP R sees it: source-major weights, mask, source signs. */
typedef struct lsnn__dr_view {
    lsnn_real *w;
    uint8_t *mask;
    const int8_t *sign; /* (n_src) */
    int n_src, n_dst;
    int diag;           /* position (i, i) is never possible (W_rec) */
    const lsnn_net *ro; /* the readout: positions across directions are never possible */
} lsnn__dr_view;

static lsnn__dr_view lsnn__view(const lsnn_net *net, int proj)
{
    lsnn__dr_view v;
    if (proj < 0) {
        v.w = net->w_out;
        v.mask = net->w_out_mask;
        v.sign = net->sign;
        v.n_src = net->n;
        v.n_dst = net->n_out;
        v.diag = 0;
        v.ro = net;
        return v;
    }
    const lsnn_projection *pr = &net->proj[proj];
    v.w = pr->w;
    v.mask = pr->mask;
    v.sign = pr->src_is_input ? (net->input_sign ? net->input_sign + pr->src_off : NULL)
                              : net->sign + pr->src_off;
    v.n_src = pr->n_src;
    v.n_dst = pr->n_dst;
    v.diag = pr->no_self && !pr->src_is_input && pr->src_off == pr->dst_off;
    v.ro = NULL;
    return v;
}

lsnn_status lsnn_deepr_init(lsnn_deepr *d, const lsnn_deepr_params *cfg, const lsnn_net *net,
                            int global, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    if (!(cfg->l1 >= 0) || !(cfg->temperature >= 0) || !(cfg->init_magnitude >= 0))
        return lsnn_error(LSNN_ERR_CONFIG, "deepr: l1, temperature and init_magnitude must be "
                                           ">= 0");
    d->l1 = cfg->l1;
    d->temperature = cfg->temperature;
    d->init_magnitude = cfg->init_magnitude;
    d->seed = seed;
    /* The projections in order, then the readout. */
    for (int q = 0; q <= net->n_proj; q++) {
        int proj = q < net->n_proj ? q : -1;
        if (proj >= 0 && (net->proj[proj].frozen || net->proj[proj].no_rewiring))
            continue;
        if (proj < 0 && net->readout_frozen)
            continue;
        lsnn__dr_view v = lsnn__view(net, proj);
        const char *name = proj >= 0 ? net->proj[proj].name : "w_out";
        if (!v.mask)
            return lsnn_error(LSNN_ERR_CONFIG, "deepr: %s has no connectivity mask (set "
                                               "network.connectivity below 1)", name);
        for (int i = 0; v.sign && i < v.n_src; i++)
            if (v.sign[i] == 0)
                v.sign = NULL;
        if (!v.sign)
            return lsnn_error(LSNN_ERR_CONFIG, "deepr: the sources of %s are not all signed "
                                               "(set network.init to \"signed\")", name);
        struct lsnn_deepr_tensor *t = &d->t[d->n_tensors];
        t->proj = proj;
        t->param_off = (size_t)(v.w - net->params);
        t->pool = global ? 0 : d->n_tensors;
        d->n_tensors++;
    }
    d->n_pools = global ? (d->n_tensors > 0) : d->n_tensors;
    size_t cap = 0;
    for (int pool = 0; pool < d->n_pools; pool++) {
        size_t size = 0;
        for (int k = 0; k < d->n_tensors; k++)
            if (d->t[k].pool == pool) {
                lsnn__dr_view v = lsnn__view(net, d->t[k].proj);
                size += (size_t)v.n_src * v.n_dst;
            }
        cap = size > cap ? size : cap;
    }
    d->cand = malloc(sizeof(size_t) * (cap ? cap : 1));
    if (!d->cand)
        return lsnn_error(LSNN_ERR_NOMEM, "deepr: cannot allocate %zu candidate positions", cap);
    d->cand_cap = cap;
    return LSNN_OK;
}

void lsnn_deepr_free(lsnn_deepr *d)
{
    free(d->cand);
    memset(d, 0, sizeof *d);
}

size_t lsnn_deepr_count(const lsnn_deepr *d, const lsnn_net *net)
{
    size_t count = 0;
    for (int k = 0; k < d->n_tensors; k++) {
        lsnn__dr_view v = lsnn__view(net, d->t[k].proj);
        for (size_t q = 0; q < (size_t)v.n_src * v.n_dst; q++)
            count += v.mask[q];
    }
    return count;
}

long lsnn_deepr_step(lsnn_deepr *d, lsnn_net *net, lsnn_optim *opt, uint8_t *trainable,
                     double lr, long iteration)
{
    const double shrink = lr * d->l1;
    const double noise = d->temperature > 0 ? sqrt(2 * lr * d->temperature) : 0;
    lsnn_rng rng_noise, rng_grow;
    lsnn_rng_derive(&rng_noise, d->seed, 0xdee9, (uint64_t)iteration, 0);
    lsnn_rng_derive(&rng_grow, d->seed, 0xdee9, (uint64_t)iteration, 1);
    long total = 0;
    for (int pool = 0; pool < d->n_pools; pool++) {
        /* 2.-3. Shrink, add noise, remove the synapses whose parameter fell below zero. */
        long removed = 0;
        for (int k = 0; k < d->n_tensors; k++) {
            if (d->t[k].pool != pool)
                continue;
            lsnn__dr_view v = lsnn__view(net, d->t[k].proj);
            const size_t off = d->t[k].param_off;
            for (int i = 0; i < v.n_src; i++) {
                const double s = v.sign[i];
                for (int j = 0; j < v.n_dst; j++) {
                    size_t q = (size_t)i * v.n_dst + j;
                    if (!v.mask[q])
                        continue;
                    double theta = s * (double)v.w[q] - shrink;
                    if (noise > 0)
                        theta += noise * lsnn_rng_normal(&rng_noise);
                    if (theta < 0) {
                        v.mask[q] = 0;
                        v.w[q] = 0;
                        trainable[off + q] = 0;
                        removed++;
                    } else {
                        v.w[q] = (lsnn_real)(s * theta);
                    }
                }
            }
        }
        if (removed == 0)
            continue;
        /* 4. Regrow as many at uniformly drawn free positions (a partial Fisher-Yates shuffle of
         * the candidates, which are listed in a fixed order). */
        size_t nc = 0;
        for (int k = 0; k < d->n_tensors; k++) {
            if (d->t[k].pool != pool)
                continue;
            lsnn__dr_view v = lsnn__view(net, d->t[k].proj);
            const size_t off = d->t[k].param_off;
            for (int i = 0; i < v.n_src; i++)
                for (int j = 0; j < v.n_dst; j++) {
                    size_t q = (size_t)i * v.n_dst + j;
                    if (!v.mask[q] && !(v.diag && i == j) &&
                        !(v.ro && !lsnn_net_readout_possible(v.ro, i, j)))
                        d->cand[nc++] = off + q;
                }
        }
        for (long r = 0; r < removed && (size_t)r < nc; r++) {
            size_t u = (size_t)r + (size_t)lsnn_rng_below(&rng_grow, (uint64_t)(nc - (size_t)r));
            size_t pidx = d->cand[u];
            d->cand[u] = d->cand[r];
            d->cand[r] = pidx;
            /* Which tensor holds parameter pidx: the one whose range contains it. */
            for (int k = 0; k < d->n_tensors; k++) {
                if (d->t[k].pool != pool)
                    continue;
                lsnn__dr_view v = lsnn__view(net, d->t[k].proj);
                size_t off = d->t[k].param_off, sz = (size_t)v.n_src * v.n_dst;
                if (pidx < off || pidx >= off + sz)
                    continue;
                size_t q = pidx - off;
                v.mask[q] = 1;
                v.w[q] = (lsnn_real)(v.sign[q / (size_t)v.n_dst] * d->init_magnitude);
                trainable[pidx] = 1;
                if (opt && opt->m) {
                    opt->m[pidx] = 0;
                    opt->v[pidx] = 0;
                }
                break;
            }
        }
        total += removed;
    }
    d->rewired += total;
    return total;
}

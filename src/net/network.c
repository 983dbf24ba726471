/* Network construction: populations, projections, parameters (see lsnn/network.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "lsnn/network.h"


static void lsnn__layout(lsnn_net *net, lsnn__arena *a)
{
    int n = net->n;
    net->tau_m = lsnn__take(a, sizeof(lsnn_real) * n);
    net->tau_a = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.alpha = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.rho = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.beta = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.b0 = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.g_in = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.g_a = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.plain = lsnn__take(a, sizeof(lsnn_real) * n);
    net->k.refractory = lsnn__take(a, sizeof(int16_t) * n);
    net->k.refr = lsnn__take(a, sizeof(lsnn_real) * n);
    net->params = lsnn__take(a, sizeof(lsnn_real) * net->n_params);
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        pr->delay = pr->max_delay > 1 ? lsnn__take(a, sz) : NULL;
        pr->mask = NULL;
    }
}

static void lsnn__point_params(lsnn_net *net)
{
    for (int p = 0; p < net->n_proj; p++)
        net->proj[p].w = net->params + net->proj[p].param_off;
    size_t off = 0;
    for (int p = 0; p < net->n_proj; p++)
        off += (size_t)net->proj[p].n_src * net->proj[p].n_dst;
    net->w_out = net->params + off;
    off += (size_t)net->n * net->n_out;
    net->b_out = net->params + off;
    off += net->n_out;
    net->noise_std = net->params + off;
}

void lsnn_net_update_constants(lsnn_net *net)
{
    for (int j = 0; j < net->n; j++) {
        net->k.alpha[j] = (lsnn_real)exp(-net->dt / net->tau_m[j]);
        net->k.rho[j] = (lsnn_real)exp(-net->dt / net->tau_a[j]);
        net->k.refr[j] = net->k.refractory[j];
        if (net->k.plain[j]) {
            net->k.g_in[j] = 1;
            net->k.g_a[j] = 1;
        } else {
            net->k.g_in[j] = 1 - net->k.alpha[j];
            net->k.g_a[j] = 1 - net->k.rho[j];
        }
    }
}

static void lsnn__add_proj(lsnn_net *net, const char *name, int src_is_input, int src_off,
                           int n_src, int dst_off, int n_dst, int max_delay, int no_self)
{
    lsnn_projection *pr = &net->proj[net->n_proj++];
    memset(pr, 0, sizeof *pr);
    snprintf(pr->name, sizeof pr->name, "%s", name);
    pr->src_is_input = src_is_input;
    pr->src_off = src_off;
    pr->n_src = n_src;
    pr->dst_off = dst_off;
    pr->n_dst = n_dst;
    pr->max_delay = max_delay;
    pr->no_self = no_self;
}

static lsnn_sign lsnn__sign(const char *s)
{
    return strcmp(s, "exc") == 0 ? LSNN_SIGN_EXC : strcmp(s, "inh") == 0 ? LSNN_SIGN_INH
                                                                        : LSNN_SIGN_NONE;
}

/* Sign of neuron j's outgoing weights (Dale's law), from its population. */
static lsnn_sign lsnn__neuron_sign(const lsnn_net *net, int j)
{
    for (int p = 0; p < net->n_pop; p++)
        if (j >= net->pop[p].off && j < net->pop[p].off + net->pop[p].count)
            return net->pop[p].sign;
    return LSNN_SIGN_NONE;
}

/* Projects a weight onto the sign constraint: a weight that crossed zero becomes zero. */
static lsnn_real lsnn__clip_sign(lsnn_real w, lsnn_sign s)
{
    if (s == LSNN_SIGN_EXC)
        return w > 0 ? w : 0;
    if (s == LSNN_SIGN_INH)
        return w < 0 ? w : 0;
    return w;
}

lsnn_status lsnn_net_init(lsnn_net *net, const lsnn_network_config *cfg, int n_in, int n_out,
                          uint64_t seed)
{
    memset(net, 0, sizeof *net);
    int n = cfg->n_regular + cfg->n_adaptive;
    if (n < 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network: n_regular + n_adaptive must be >= 1");
    if (n_in < 1 || n_out < 1)
        return lsnn_error(LSNN_ERR_ARG, "network: the task needs >= 1 input and output");
    if (cfg->max_delay < 1 || cfg->max_delay > 255)
        return lsnn_error(LSNN_ERR_CONFIG, "network.max_delay: must be in 1..255");
    net->n_in = n_in;
    net->n = n;
    net->n_out = n_out;
    net->dt = cfg->dt;
    net->gamma = (lsnn_real)cfg->gamma;
    net->kappa = cfg->readout_tau > 0 ? (lsnn_real)exp(-cfg->dt / cfg->readout_tau) : 0;
    net->train_noise = cfg->train_noise;
    net->max_delay = cfg->max_delay;

    const lsnn_neuron_model *alif = lsnn_neuron_model_find("alif");
    lsnn_population *R = &net->pop[net->n_pop++];
    snprintf(R->name, sizeof R->name, "R");
    R->off = 0;
    R->count = cfg->n_regular;
    R->model = alif;
    lsnn_population *A = &net->pop[net->n_pop++];
    snprintf(A->name, sizeof A->name, "A");
    A->off = cfg->n_regular;
    A->count = cfg->n_adaptive;
    A->model = alif;

    R->sign = lsnn__sign(cfg->sign_regular);
    A->sign = lsnn__sign(cfg->sign_adaptive);

    lsnn__add_proj(net, "w_in", 1, 0, n_in, 0, n, cfg->max_delay, 0);
    lsnn__add_proj(net, "w_rec", 0, 0, n, 0, n, cfg->max_delay, 1);

    size_t off = 0;
    for (int p = 0; p < net->n_proj; p++) {
        net->proj[p].param_off = off;
        off += (size_t)net->proj[p].n_src * net->proj[p].n_dst;
    }
    net->n_params = off + (size_t)n * n_out + n_out + n;

    lsnn__arena a = {0};
    lsnn__layout(net, &a);
    a.base = calloc(1, a.used + 64);
    if (!a.base)
        return lsnn_error(LSNN_ERR_NOMEM, "network: cannot allocate %zu bytes", a.used);
    net->mem = a.base;
    a.used = 0;
    lsnn__layout(net, &a);
    lsnn__point_params(net);

    int plain = strcmp(cfg->input_scaling, "plain") == 0;
    for (int j = 0; j < n; j++) {
        int adaptive = j >= cfg->n_regular;
        net->tau_m[j] = (lsnn_real)cfg->tau_m;
        net->tau_a[j] = (lsnn_real)cfg->tau_a;
        net->k.beta[j] = adaptive ? (lsnn_real)cfg->beta : 0;
        net->k.b0[j] = (lsnn_real)cfg->b0;
        net->k.plain[j] = (lsnn_real)plain;
        net->k.refractory[j] = (int16_t)cfg->refractory;
        net->noise_std[j] = (lsnn_real)cfg->noise_std;
    }
    lsnn_net_update_constants(net);

    /* W ~ w0 / sqrt(n_src) N(0, 1) (seed 000 section 3), one RNG stream per tensor. */
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x1417, (uint64_t)p, 0);
        double scale = cfg->w0 / sqrt((double)pr->n_src);
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        for (size_t k = 0; k < sz; k++)
            pr->w[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
        if (pr->delay) {
            lsnn_rng_derive(&rng, seed, 0xde1a, (uint64_t)p, 0);
            for (size_t k = 0; k < sz; k++)
                pr->delay[k] = (uint8_t)(1 + lsnn_rng_below(&rng, (uint64_t)pr->max_delay));
        }
    }
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x1417, 0x0e7, 0);
    double scale = cfg->w0_out / sqrt((double)n);
    for (size_t k = 0; k < (size_t)n * n_out; k++)
        net->w_out[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
    /* Signed neurons start with |w| of their sign (seed 000 section 3); the balanced,
     * eigenvalue-scaled initialisation comes with DEEP R. */
    for (int j = 0; j < n; j++) {
        lsnn_sign s = lsnn__neuron_sign(net, j);
        if (s == LSNN_SIGN_NONE)
            continue;
        for (int p = 0; p < net->n_proj; p++) {
            lsnn_projection *pr = &net->proj[p];
            int i = j - pr->src_off;
            if (pr->src_is_input || i < 0 || i >= pr->n_src)
                continue;
            for (int k = 0; k < pr->n_dst; k++)
                pr->w[(size_t)i * pr->n_dst + k] = (lsnn_real)s * fabs(pr->w[(size_t)i * pr->n_dst + k]);
        }
        for (int k = 0; k < n_out; k++)
            net->w_out[(size_t)j * n_out + k] = (lsnn_real)s * fabs(net->w_out[(size_t)j * n_out + k]);
    }
    lsnn_net_apply_masks(net);
    return LSNN_OK;
}

void lsnn_net_free(lsnn_net *net)
{
    free(net->mem);
    memset(net, 0, sizeof *net);
}

void lsnn_net_apply_masks(lsnn_net *net)
{
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        for (int i = 0; i < pr->n_src; i++) {
            lsnn_sign s = pr->src_is_input ? LSNN_SIGN_NONE : lsnn__neuron_sign(net, pr->src_off + i);
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                int self = pr->no_self && !pr->src_is_input &&
                           pr->src_off + i == pr->dst_off + j;
                if (self || (pr->mask && !pr->mask[k]))
                    pr->w[k] = 0;
                else
                    pr->w[k] = lsnn__clip_sign(pr->w[k], s);
            }
        }
    }
    for (int j = 0; j < net->n; j++) {
        lsnn_sign s = lsnn__neuron_sign(net, j);
        if (s != LSNN_SIGN_NONE)
            for (int k = 0; k < net->n_out; k++)
                net->w_out[(size_t)j * net->n_out + k] =
                    lsnn__clip_sign(net->w_out[(size_t)j * net->n_out + k], s);
    }
}

void lsnn_net_trainable_mask(const lsnn_net *net, uint8_t *out)
{
    memset(out, 1, net->n_params);
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        uint8_t *o = out + pr->param_off;
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                int self = pr->no_self && !pr->src_is_input &&
                           pr->src_off + i == pr->dst_off + j;
                o[k] = !(pr->frozen || self || (pr->mask && !pr->mask[k]));
            }
    }
    size_t off_out = (size_t)(net->w_out - net->params);
    size_t n_ro = (size_t)net->n * net->n_out + net->n_out;
    if (net->readout_frozen)
        memset(out + off_out, 0, n_ro);
    if (!net->train_noise)
        memset(out + (net->noise_std - net->params), 0, net->n);
}

size_t lsnn_net_count_params(const lsnn_net *net, int active_only)
{
    /* "full" counts whole tensors, as Table S1 of seed 000 does (68,210 for 80 inputs, 220
     * neurons, 10 outputs: the W_rec diagonal included); "active" counts existing synapses. */
    size_t count = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                int self = pr->no_self && !pr->src_is_input &&
                           pr->src_off + i == pr->dst_off + j;
                count += !active_only || !(self || (pr->mask && !pr->mask[k]));
            }
    }
    count += (size_t)net->n * net->n_out + net->n_out;
    if (net->train_noise)
        count += (size_t)net->n;
    return count;
}

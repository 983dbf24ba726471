/* Network construction: populations, projections, parameters (see lsnn/network.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "lsnn/linalg.h"
#include "lsnn/network.h"

/* What the arena holds beyond the per-neuron arrays and parameters. */
typedef struct lsnn__net_shape {
    int masks;        /* masks for every projection and the readout */
    int input_signs;  /* input_sign (n_in) */
} lsnn__net_shape;

static void lsnn__layout(lsnn_net *net, lsnn__arena *a, const lsnn__net_shape *sh)
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
    net->k.run_end = lsnn__take(a, sizeof(int32_t) * n);
    net->params = lsnn__take(a, sizeof(lsnn_real) * net->n_params);
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        pr->delay = pr->max_delay > 1 ? lsnn__take(a, sz) : NULL;
        pr->mask = sh->masks ? lsnn__take(a, sz) : NULL;
        /* The sparse index (lsnn/sparse.h) at its largest: every position a synapse. */
        const int indexed = sh->masks && sz <= INT32_MAX;
        pr->sparse.row = indexed ? lsnn__take(a, sizeof(int32_t) * ((size_t)pr->n_src + 1)) : NULL;
        pr->sparse.col = indexed ? lsnn__take(a, sizeof(int32_t) * sz) : NULL;
    }
    net->w_out_mask = sh->masks ? lsnn__take(a, (size_t)n * net->n_out) : NULL;
    net->sign = lsnn__take(a, (size_t)n);
    net->input_sign = sh->input_signs ? lsnn__take(a, (size_t)net->n_in) : NULL;
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
    lsnn_sparse_rebuild(net);
    net->k.reset_grad = 1;
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
    /* Runs of neurons with identical constants (populations, unless a checkpoint says else). */
    const lsnn_alif_consts *k = &net->k;
    for (int j = net->n - 1; j >= 0; j--) {
        int same = j + 1 < net->n && k->alpha[j] == k->alpha[j + 1] &&
                   k->rho[j] == k->rho[j + 1] && k->beta[j] == k->beta[j + 1] &&
                   k->b0[j] == k->b0[j + 1] && k->g_in[j] == k->g_in[j + 1] &&
                   k->g_a[j] == k->g_a[j + 1] && k->plain[j] == k->plain[j + 1] &&
                   k->refr[j] == k->refr[j + 1];
        net->k.run_end[j] = same ? net->k.run_end[j + 1] : j + 1;
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

/* Sign of source i of projection pr (Dale's law): the input channel's or the neuron's. */
static lsnn_sign lsnn__src_sign(const lsnn_net *net, const lsnn_projection *pr, int i)
{
    if (pr->src_is_input)
        return net->input_sign ? (lsnn_sign)net->input_sign[pr->src_off + i] : LSNN_SIGN_NONE;
    return (lsnn_sign)net->sign[pr->src_off + i];
}

/* Adds population `name` [off, off+count) with sign s. */
static void lsnn__add_pop(lsnn_net *net, const char *name, int off, int count,
                          const lsnn_neuron_model *model, lsnn_sign s)
{
    lsnn_population *P = &net->pop[net->n_pop++];
    P->layer = net->n_layers - 1;
    snprintf(P->name, sizeof P->name, "%s", name);
    P->off = off;
    P->count = count;
    P->model = model;
    P->sign = s;
}

/* Population `base` of `count` neurons from `off`: one population of the configured sign, or,
 * with init "signed" and sign "none", an excitatory and an inhibitory sub-population whose sizes
 * come from one Bernoulli(exc_fraction) draw per neuron (neurons of a population are
 * exchangeable, so grouping the excitatory ones first changes nothing but their order).
 * Empty sub-populations are left out. */
static void lsnn__add_pops(lsnn_net *net, const char *base, int off, int count, lsnn_sign s,
                           int signed_init, double exc_fraction, uint64_t seed, uint64_t stream,
                           const lsnn_neuron_model *model)
{
    if (!signed_init || s != LSNN_SIGN_NONE) {
        lsnn__add_pop(net, base, off, count, model, s);
        return;
    }
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x5167, stream, 0);
    int n_exc = 0;
    for (int k = 0; k < count; k++)
        n_exc += lsnn_rng_uniform(&rng) < exc_fraction;
    char name[LSNN_NAME_MAX];
    if (n_exc > 0) {
        snprintf(name, sizeof name, "%s_E", base);
        lsnn__add_pop(net, name, off, n_exc, model, LSNN_SIGN_EXC);
    }
    if (count - n_exc > 0) {
        snprintf(name, sizeof name, "%s_I", base);
        lsnn__add_pop(net, name, off + n_exc, count - n_exc, model, LSNN_SIGN_INH);
    }
}

/* Selection sampling (Knuth, TAOCP 3.4.2, algorithm S): marks exactly k of the n positions for
 * which allowed(i) holds, every k-subset equally likely, in one pass. The caller visits the
 * positions in a fixed order; this is the per-position decision. */
typedef struct lsnn__select {
    lsnn_rng rng;
    uint64_t left_pos, left_pick; /* possible positions not yet visited, picks still to make */
} lsnn__select;

static int lsnn__select_next(lsnn__select *sel)
{
    int pick = (double)sel->left_pos * lsnn_rng_uniform(&sel->rng) < (double)sel->left_pick;
    sel->left_pos--;
    sel->left_pick -= (uint64_t)pick;
    return pick;
}

static int lsnn__is_self(const lsnn_projection *pr, int i, int j)
{
    return pr->no_self && !pr->src_is_input && pr->src_off + i == pr->dst_off + j;
}

int lsnn_net_readout_possible(const lsnn_net *net, int j, int k)
{
    return net->n_dirs < 2 || j / (net->n / net->n_dirs) == k / (net->n_out / net->n_dirs);
}

/* Possible synapses of projection p (p == n_proj: the readout). */
static uint64_t lsnn__possible(const lsnn_net *net, int p)
{
    if (p == net->n_proj)
        return (uint64_t)net->n * net->n_out / (uint64_t)net->n_dirs;
    const lsnn_projection *pr = &net->proj[p];
    uint64_t all = (uint64_t)pr->n_src * pr->n_dst;
    if (pr->no_self && !pr->src_is_input)
        for (int i = 0; i < pr->n_src; i++) {
            int j = pr->src_off + i - pr->dst_off;
            all -= j >= 0 && j < pr->n_dst;
        }
    return all;
}

/* Fills the masks with exactly round(p * possible) synapses, per matrix or across all of them. */
static void lsnn__init_masks(lsnn_net *net, double p, int global, uint64_t seed)
{
    const int P = net->n_proj;
    lsnn__select sel;
    if (global) {
        uint64_t total = 0;
        for (int q = 0; q <= P; q++)
            total += lsnn__possible(net, q);
        lsnn_rng_derive(&sel.rng, seed, 0x3a5c, 0xff, 0);
        sel.left_pos = total;
        sel.left_pick = (uint64_t)llround(p * (double)total);
    }
    for (int q = 0; q <= P; q++) {
        if (!global) {
            uint64_t poss = lsnn__possible(net, q);
            lsnn_rng_derive(&sel.rng, seed, 0x3a5c, (uint64_t)q, 0);
            sel.left_pos = poss;
            sel.left_pick = (uint64_t)llround(p * (double)poss);
        }
        if (q == P) {
            for (int j = 0; j < net->n; j++)
                for (int k = 0; k < net->n_out; k++)
                    net->w_out_mask[(size_t)j * net->n_out + k] =
                        lsnn_net_readout_possible(net, j, k) ? (uint8_t)lsnn__select_next(&sel)
                                                             : 0;
            continue;
        }
        lsnn_projection *pr = &net->proj[q];
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++)
                pr->mask[(size_t)i * pr->n_dst + j] =
                    lsnn__is_self(pr, i, j) ? 0 : (uint8_t)lsnn__select_next(&sel);
    }
}

/* Adds a constant to the weights of one sign among rows [r0, r1) of column j of a (m, m) so that
 * the column's sum over those rows is zero: to the inhibitory ones when the sum is positive, to
 * the excitatory ones otherwise, so that no weight changes sign. `on` marks the existing
 * synapses, `sg` the row signs. Skipped when only one sign is present. */
static void lsnn__balance(double *a, const uint8_t *on, const int8_t *sg, int m, int j, int r0,
                          int r1)
{
    double s_e = 0, s_i = 0;
    int n_e = 0, n_i = 0;
    for (int i = r0; i < r1; i++) {
        size_t k = (size_t)i * m + j;
        if (!on[k])
            continue;
        if (sg[i] > 0) {
            s_e += a[k];
            n_e++;
        } else {
            s_i += a[k];
            n_i++;
        }
    }
    if (n_e == 0 || n_i == 0)
        return;
    double tot = s_e + s_i;
    double add_e = tot < 0 ? -tot / n_e : 0, add_i = tot > 0 ? -tot / n_i : 0;
    for (int i = r0; i < r1; i++) {
        size_t k = (size_t)i * m + j;
        if (on[k])
            a[k] += sg[i] > 0 ? add_e : add_i;
    }
}

/* The "signed" initialisation of one matrix w (n_src, n_dst), source-major, with source signs
 * src_sign (n_src, each +1 or -1), optional mask and diagonal rule, scaled to spectral radius
 * `scale` (see lsnn_net_init in lsnn/network.h). */
static lsnn_status lsnn__signed_matrix(lsnn_real *w, int n_src, int n_dst, const int8_t *src_sign,
                                       const uint8_t *mask, int no_self, double scale,
                                       lsnn_rng *rng)
{
    const int m = n_src > n_dst ? n_src : n_dst;
    const size_t mm = (size_t)m * m;
    double *a = malloc(sizeof(double) * mm);
    uint8_t *on = malloc(mm);
    int8_t *sg = malloc((size_t)m);
    if (!a || !on || !sg) {
        free(a);
        free(on);
        free(sg);
        return lsnn_error(LSNN_ERR_NOMEM, "network: cannot allocate the %d x %d initialisation "
                                          "matrix", m, m);
    }
    /* Density and excitatory fraction of the real block, for the extra rows and columns. */
    size_t n_on = 0, n_poss = 0;
    int n_exc = 0;
    for (int i = 0; i < n_src; i++) {
        n_exc += src_sign[i] > 0;
        for (int j = 0; j < n_dst; j++) {
            if (no_self && i == j)
                continue;
            n_poss++;
            n_on += !mask || mask[(size_t)i * n_dst + j];
        }
    }
    const double density = n_poss ? (double)n_on / (double)n_poss : 0;
    const double exc = (double)n_exc / n_src;
    for (int i = 0; i < m; i++)
        sg[i] = i < n_src ? src_sign[i] : (lsnn_rng_uniform(rng) < exc ? 1 : -1);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            size_t k = (size_t)i * m + j;
            int real = i < n_src && j < n_dst;
            if (no_self && i == j)
                on[k] = 0;
            else if (real)
                on[k] = !mask || mask[(size_t)i * n_dst + j];
            else
                on[k] = density >= 1 || lsnn_rng_uniform(rng) < density;
            a[k] = on[k] ? sg[i] * fabs(lsnn_rng_normal(rng)) : 0;
        }
    for (int j = 0; j < m; j++) {
        if (j < n_dst) {
            lsnn__balance(a, on, sg, m, j, 0, n_src);
            lsnn__balance(a, on, sg, m, j, n_src, m);
        } else {
            lsnn__balance(a, on, sg, m, j, 0, m);
        }
    }
    double rho = 0;
    lsnn_status st = lsnn_spectral_radius(a, m, &rho);
    if (!st) {
        double f = rho > 0 ? scale / rho : scale;
        for (int i = 0; i < n_src; i++)
            for (int j = 0; j < n_dst; j++)
                w[(size_t)i * n_dst + j] = (lsnn_real)(a[(size_t)i * m + j] * f);
    }
    free(a);
    free(on);
    free(sg);
    return st;
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

/* The populations and projections of spec: per layer R then A (and the second direction), the
 * input, recurrent and feed-forward projections, then an embedded module's M_in and M. */
static void lsnn__add_graph(lsnn_net *net, const lsnn_net_spec *cfg, int layers, int dirs, int m,
                            int m_in, int m_mod, int signed_init, uint64_t seed,
                            const lsnn_neuron_model *alif, const lsnn_net *mod)
{
    const int n_in = net->n_in;
    /* Layer 1 keeps the single-layer names (and random streams) of earlier versions. */
    for (int r = 0; r < layers; r++) {
        char rn[16], an[16];
        snprintf(rn, sizeof rn, r ? "R%d" : "R", r + 1);
        snprintf(an, sizeof an, r ? "A%d" : "A", r + 1);
        net->n_layers = r + 1;
        lsnn__add_pops(net, rn, r * m, cfg->n_regular, cfg->sign_regular, signed_init,
                       cfg->exc_fraction, seed, 2 * (uint64_t)r + (r ? 16 : 0), alif);
        lsnn__add_pops(net, an, r * m + cfg->n_regular, cfg->n_adaptive, cfg->sign_adaptive,
                       signed_init, cfg->exc_fraction, seed, 2 * (uint64_t)r + 1 + (r ? 16 : 0),
                       alif);
    }
    if (dirs > 1) { /* direction 1: neurons [m, 2m), channels [n_in / 2, n_in) */
        lsnn__add_pops(net, "R_bw", m, cfg->n_regular, cfg->sign_regular, signed_init,
                       cfg->exc_fraction, seed, 40, alif);
        lsnn__add_pops(net, "A_bw", m + cfg->n_regular, cfg->n_adaptive, cfg->sign_adaptive,
                       signed_init, cfg->exc_fraction, seed, 41, alif);
    }
    lsnn__add_proj(net, "w_in", 1, 0, n_in / dirs, 0, m, cfg->max_delay, 0);
    lsnn__add_proj(net, "w_rec", 0, 0, m, 0, m, cfg->max_delay, 1);
    if (dirs > 1) {
        lsnn__add_proj(net, "w_in_bw", 1, n_in / 2, n_in / 2, m, m, cfg->max_delay, 0);
        lsnn__add_proj(net, "w_rec_bw", 0, m, m, m, m, cfg->max_delay, 1);
    }
    for (int r = 1; r < layers; r++) {
        char nm[LSNN_NAME_MAX];
        snprintf(nm, sizeof nm, "w_ff%d", r + 1);
        lsnn__add_proj(net, nm, 0, (r - 1) * m, m, r * m, m, 0, 0);
        snprintf(nm, sizeof nm, "w_rec%d", r + 1);
        lsnn__add_proj(net, nm, 0, r * m, m, r * m, m, cfg->max_delay, 1);
    }
    if (mod) { /* seed 003 section 4.2: the LSNN drives the module's input neurons */
        const int o_in = layers * m, o_mod = o_in + m_in;
        net->n_layers = layers + 1;
        lsnn__add_pop(net, "M_in", o_in, m_in, alif, LSNN_SIGN_NONE);
        net->n_layers = layers + 2;
        lsnn__add_pop(net, "M", o_mod, m_mod, alif, LSNN_SIGN_NONE);
        lsnn__add_proj(net, "w_pm", 0, (layers - 1) * m, m, o_in, m_in, 0, 0);
        lsnn__add_proj(net, "w_m_in", 0, o_in, m_in, o_mod, m_mod, 0, 0);
        lsnn__add_proj(net, "w_m_rec", 0, o_mod, m_mod, o_mod, m_mod, 1, 1);
        net->proj[net->n_proj - 2].frozen = 1;
        net->proj[net->n_proj - 1].frozen = 1;
    }
}

/* Per-neuron parameters: the spec's, with beta = 0 for the regular neurons; an embedded
 * module's M_in (LIF, the spec's or the module's parameters) and M (the module's own). */
static void lsnn__neuron_params(lsnn_net *net, const lsnn_net_spec *cfg, int layers, int m,
                                int m_in, int m_mod, const lsnn_net *mod)
{
    const int n = net->n;
    int plain = cfg->input_plain != 0;
    for (int j = 0; j < n; j++) {
        int adaptive = j % m >= cfg->n_regular;
        net->tau_m[j] = (lsnn_real)cfg->tau_m;
        net->tau_a[j] = (lsnn_real)cfg->tau_a;
        net->k.beta[j] = adaptive ? (lsnn_real)cfg->beta : 0;
        net->k.b0[j] = (lsnn_real)cfg->b0;
        net->k.plain[j] = (lsnn_real)plain;
        net->k.refractory[j] = (int16_t)cfg->refractory;
        net->noise_std[j] = (lsnn_real)cfg->noise_std;
    }
    if (mod) { /* M_in: LIF neurons of the config or of the module; M: the module's own */
        const int o_mod = layers * m + m_in, from_mod = cfg->module_input_from_module;
        for (int j = layers * m; j < o_mod; j++) {
            net->k.beta[j] = 0;
            if (from_mod) {
                net->tau_m[j] = mod->tau_m[0];
                net->k.b0[j] = mod->k.b0[0];
                net->k.refractory[j] = mod->k.refractory[0];
            }
        }
        for (int i = 0; i < m_mod; i++) {
            net->tau_m[o_mod + i] = mod->tau_m[i];
            net->tau_a[o_mod + i] = mod->tau_a[i];
            net->k.beta[o_mod + i] = mod->k.beta[i];
            net->k.b0[o_mod + i] = mod->k.b0[i];
            net->k.refractory[o_mod + i] = mod->k.refractory[i];
            net->noise_std[o_mod + i] = mod->noise_std[i];
        }
    }
}

/* Delays and initial weights of every projection and of the readout (after the signs and the
 * masks): one RNG stream per tensor. On error the network is freed. */
static lsnn_status lsnn__init_weights(lsnn_net *net, const lsnn_net_spec *cfg, int signed_init,
                                      int dirs, uint64_t seed)
{
    const int n = net->n, n_out = net->n_out;
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        lsnn_rng rng;
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        if (pr->delay) {
            lsnn_rng_derive(&rng, seed, 0xde1a, (uint64_t)p, 0);
            for (size_t k = 0; k < sz; k++)
                pr->delay[k] = (uint8_t)(1 + lsnn_rng_below(&rng, (uint64_t)pr->max_delay));
        }
        if (signed_init) {
            lsnn_rng_derive(&rng, seed, 0x1417, (uint64_t)p, 1);
            const int8_t *sg = pr->src_is_input ? net->input_sign + pr->src_off
                                                : net->sign + pr->src_off;
            int diag = pr->no_self && !pr->src_is_input && pr->src_off == pr->dst_off;
            lsnn_status st = lsnn__signed_matrix(pr->w, pr->n_src, pr->n_dst, sg, pr->mask, diag,
                                                 cfg->w0, &rng);
            if (st) {
                lsnn_net_free(net);
                return lsnn_error(st, "network: %s: %s", pr->name, lsnn_last_error());
            }
            continue;
        }
        /* W ~ w0 / sqrt(n_src) N(0, 1) (seed 000 section 3), one RNG stream per tensor. */
        lsnn_rng_derive(&rng, seed, 0x1417, (uint64_t)p, 0);
        double scale = cfg->w0 / sqrt((double)pr->n_src);
        for (size_t k = 0; k < sz; k++)
            pr->w[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
    }
    if (signed_init) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x1417, 0x0e7, 1);
        lsnn_status st = lsnn__signed_matrix(net->w_out, n, n_out, net->sign, net->w_out_mask, 0,
                                             cfg->w0_out, &rng);
        if (st) {
            lsnn_net_free(net);
            return lsnn_error(st, "network: w_out: %s", lsnn_last_error());
        }
    } else {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x1417, 0x0e7, 0);
        double scale = cfg->w0_out / sqrt((double)(n / dirs)); /* neurons of one direction */
        for (size_t k = 0; k < (size_t)n * n_out; k++)
            net->w_out[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
        /* Neurons of a signed population start with |w| of their sign (seed 000 section 3). */
        for (int j = 0; j < n; j++) {
            lsnn_sign s = (lsnn_sign)net->sign[j];
            if (s == LSNN_SIGN_NONE)
                continue;
            for (int p = 0; p < net->n_proj; p++) {
                lsnn_projection *pr = &net->proj[p];
                int i = j - pr->src_off;
                if (pr->src_is_input || i < 0 || i >= pr->n_src)
                    continue;
                for (int k = 0; k < pr->n_dst; k++)
                    pr->w[(size_t)i * pr->n_dst + k] =
                        (lsnn_real)s * fabs(pr->w[(size_t)i * pr->n_dst + k]);
            }
            for (int k = 0; k < n_out; k++)
                net->w_out[(size_t)j * n_out + k] =
                    (lsnn_real)s * fabs(net->w_out[(size_t)j * n_out + k]);
        }
    }
    return LSNN_OK;
}

/* lsnn_net_build, and with mod != NULL lsnn_net_build_embedded (checked there). */
static lsnn_status lsnn__net_build(lsnn_net *net, const lsnn_net_spec *cfg, int n_in,
                                   int n_out, uint64_t seed, const lsnn_net *mod)
{
    memset(net, 0, sizeof *net);
    const int layers = cfg->layers < 1 ? 1 : cfg->layers;
    if (layers > LSNN_MAX_LAYERS)
        return lsnn_error(LSNN_ERR_CONFIG, "network.layers: at most %d", LSNN_MAX_LAYERS);
    const int dirs = cfg->bidirectional ? 2 : 1;
    if (dirs > 1 && layers > 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network.bidirectional: one layer per direction only");
    const int m = cfg->n_regular + cfg->n_adaptive; /* neurons per layer (and direction) */
    /* An embedded module adds M_in (mod->n_in LIF neurons) and M (mod->n neurons) after the
     * layers; the rate readout then reads M, its last population. */
    const int m_in = mod ? mod->n_in : 0, m_mod = mod ? mod->n : 0;
    const int n_last = mod ? m_mod : m;
    int n = layers * dirs * m + m_in + m_mod;
    if (m < 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network: n_regular + n_adaptive must be >= 1");
    if (n_in < 1 || n_out < 1)
        return lsnn_error(LSNN_ERR_ARG, "network: the task needs >= 1 input and output");
    if (cfg->max_delay < 1 || cfg->max_delay > 255)
        return lsnn_error(LSNN_ERR_CONFIG, "network.max_delay: must be in 1..255");
    const int rate_out = mod || cfg->readout == LSNN_READOUT_RATE;
    const int rate_group = mod ? mod->rate_group : cfg->rate_group;
    if (!rate_out && cfg->readout != LSNN_READOUT_LINEAR)
        return lsnn_error(LSNN_ERR_CONFIG, "network.readout: unknown readout %d", (int)cfg->readout);
    if (rate_out) {
        if (dirs > 1 || cfg->global_connectivity)
            return lsnn_error(LSNN_ERR_CONFIG, "network.readout: the rate readout needs one "
                                               "direction and no global connectivity level");
        if (rate_group < 1 || (long long)rate_group * n_out > n_last)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "network.rate_group: %d outputs x %d neurons per group do not fit "
                              "in the %d neurons of the last layer",
                              n_out, rate_group, n_last);
    }
    /* A zeroed spec's connectivity 0 means dense. */
    const double connectivity = cfg->connectivity == 0 ? 1.0 : cfg->connectivity;
    if (!(connectivity > 0 && connectivity <= 1))
        return lsnn_error(LSNN_ERR_CONFIG, "network.connectivity: must be in (0, 1]");
    const int signed_init = cfg->init == LSNN_INIT_SIGNED;
    if (!signed_init && cfg->init != LSNN_INIT_GAUSSIAN)
        return lsnn_error(LSNN_ERR_CONFIG, "network.init: unknown initialisation %d", (int)cfg->init);
    n_in *= dirs;
    n_out *= dirs;
    net->n_dirs = dirs;
    net->n_in = n_in;
    net->n = n;
    net->n_out = n_out;
    net->dt = cfg->dt;
    net->gamma = (lsnn_real)cfg->gamma;
    net->kappa = cfg->readout_tau > 0 ? (lsnn_real)exp(-cfg->dt / cfg->readout_tau) : 0;
    net->train_noise = cfg->train_noise;
    net->max_delay = cfg->max_delay;

    const lsnn_neuron_model *alif = cfg->neuron ? cfg->neuron : lsnn_neuron_model_find("alif");
    lsnn__add_graph(net, cfg, layers, dirs, m, m_in, m_mod, signed_init, seed, alif, mod);

    size_t off = 0;
    for (int p = 0; p < net->n_proj; p++) {
        net->proj[p].param_off = off;
        off += (size_t)net->proj[p].n_src * net->proj[p].n_dst;
    }
    net->n_params = off + (size_t)n * n_out + n_out + n;

    /* A bidirectional readout always has a mask: its block structure. */
    const lsnn__net_shape sh = {connectivity < 1 || dirs > 1, signed_init};
    lsnn__arena a = {0};
    lsnn__layout(net, &a, &sh);
    a.base = calloc(1, a.used + 64);
    if (!a.base)
        return lsnn_error(LSNN_ERR_NOMEM, "network: cannot allocate %zu bytes", a.used);
    net->mem = a.base;
    a.used = 0;
    lsnn__layout(net, &a, &sh);
    lsnn__point_params(net);

    lsnn__neuron_params(net, cfg, layers, m, m_in, m_mod, mod);
    lsnn_net_update_constants(net);
    for (int p = 0; p < net->n_pop; p++)
        for (int j = net->pop[p].off; j < net->pop[p].off + net->pop[p].count; j++)
            net->sign[j] = (int8_t)net->pop[p].sign;
    if (net->input_sign) {
        /* Exactly round(fraction * n_in) excitatory channels, chosen uniformly. */
        lsnn__select sel;
        lsnn_rng_derive(&sel.rng, seed, 0x5167, 2, 0);
        sel.left_pos = (uint64_t)n_in;
        sel.left_pick = (uint64_t)llround(cfg->input_exc_fraction * n_in);
        for (int i = 0; i < n_in; i++)
            net->input_sign[i] = lsnn__select_next(&sel) ? 1 : -1;
    }
    if (sh.masks)
        lsnn__init_masks(net, connectivity, cfg->global_connectivity, seed);

    lsnn_status st = lsnn__init_weights(net, cfg, signed_init, dirs, seed);
    if (st)
        return st;
    if (mod) { /* the module's trained weights, frozen */
        memcpy(net->proj[net->n_proj - 2].w, mod->proj[0].w,
               sizeof(lsnn_real) * (size_t)m_in * m_mod);
        memcpy(net->proj[net->n_proj - 1].w, mod->proj[1].w,
               sizeof(lsnn_real) * (size_t)m_mod * m_mod);
    }
    if (rate_out) {
        net->rate_group = rate_group;
        net->readout_frozen = 1;
        net->kappa = 0;
        lsnn_net_rate_readout(net, net->w_out, net->w_out_mask);
        for (int k = 0; k < n_out; k++)
            net->b_out[k] = 0;
    }
    lsnn_net_apply_masks(net);
    return LSNN_OK;
}

lsnn_status lsnn_net_build(lsnn_net *net, const lsnn_net_spec *cfg, int n_in, int n_out,
                           uint64_t seed)
{
    return lsnn__net_build(net, cfg, n_in, n_out, seed, NULL);
}

lsnn_status lsnn_net_build_embedded(lsnn_net *net, const lsnn_net_spec *cfg, int n_in,
                                    uint64_t seed, const lsnn_net *mod)
{
    memset(net, 0, sizeof *net);
    const char *why = NULL;
    if (!mod->rate_group || mod->n_dirs != 1 || mod->n_layers != 1)
        why = "a module is a one-layer network with the rate readout";
    else if (mod->n_proj != 2 || !mod->proj[0].src_is_input || mod->proj[0].max_delay != 1 ||
             mod->proj[1].max_delay != 1 || mod->proj[0].mask || mod->proj[1].mask)
        why = "the module must be dense, with delay 1 (network.max_delay = 1, connectivity 1)";
    else if (mod->dt != cfg->dt)
        why = "the module was trained with another network.dt";
    else if ((mod->k.plain[0] != 0) != (cfg->input_plain != 0))
        why = "the module was trained with another network.input_scaling";
    else if (cfg->bidirectional || cfg->init == LSNN_INIT_SIGNED ||
             !(cfg->connectivity == 0 || cfg->connectivity == 1))
        why = "the network around a module is dense, unsigned and one-directional";
    if (why)
        return lsnn_error(LSNN_ERR_CONFIG, "network.module: %s", why);
    return lsnn__net_build(net, cfg, n_in, mod->n_out, seed, mod);
}

int lsnn_net_rate_first(const lsnn_net *net)
{
    return net->rate_group ? net->n - net->n_out * net->rate_group : net->n;
}

int lsnn_net_rate_neuron(const lsnn_net *net, int j)
{
    const int first = lsnn_net_rate_first(net);
    return j < first ? -1 : (j - first) / net->rate_group;
}

void lsnn_net_rate_readout(const lsnn_net *net, lsnn_real *w_out, uint8_t *mask)
{
    const lsnn_real r = (lsnn_real)(1000.0 / (net->dt * net->rate_group));
    for (int j = 0; j < net->n; j++) {
        const int g = lsnn_net_rate_neuron(net, j);
        for (int k = 0; k < net->n_out; k++) {
            const size_t q = (size_t)j * net->n_out + k;
            w_out[q] = g == k ? r : 0;
            if (mask)
                mask[q] = g == k;
        }
    }
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
            lsnn_sign s = lsnn__src_sign(net, pr, i);
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                if (lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]))
                    pr->w[k] = 0;
                else
                    pr->w[k] = lsnn__clip_sign(pr->w[k], s);
            }
        }
    }
    for (int j = 0; j < net->n; j++) {
        lsnn_sign s = (lsnn_sign)net->sign[j];
        for (int k = 0; k < net->n_out; k++) {
            size_t q = (size_t)j * net->n_out + k;
            if (net->w_out_mask && !net->w_out_mask[q])
                net->w_out[q] = 0;
            else if (s != LSNN_SIGN_NONE && !net->rate_group) /* a rate readout is no synapse */
                net->w_out[q] = lsnn__clip_sign(net->w_out[q], s);
        }
    }
    lsnn_sparse_rebuild(net);
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
                o[k] = !(pr->frozen || lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]));
            }
    }
    size_t off_out = (size_t)(net->w_out - net->params);
    size_t n_w = (size_t)net->n * net->n_out, n_ro = n_w + net->n_out;
    if (net->readout_frozen)
        memset(out + off_out, 0, n_ro);
    else if (net->w_out_mask)
        memcpy(out + off_out, net->w_out_mask, n_w);
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
                count += !active_only || !(lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]));
            }
    }
    size_t n_w = (size_t)net->n * net->n_out;
    if (active_only && net->w_out_mask)
        for (size_t k = 0; k < n_w; k++)
            count += net->w_out_mask[k];
    else
        count += n_w;
    count += net->n_out;
    if (net->train_noise)
        count += (size_t)net->n;
    return count;
}

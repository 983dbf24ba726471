/* The initial connectivity and weights of a graph network (lsnn/network.h): masks with exactly
 * round(p * possible) synapses, delays, and the "gaussian" or "signed" (balanced, spectral-radius
 * scaled, seed 000 section 3) initialisation. Called by lsnn_graph_build (graph.c). */
#include <math.h>
#include <stdlib.h>

#include "lsnn/linalg.h"
#include "net/graph_internal.h"

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
 * `scale` (see lsnn_net_build in lsnn/network.h); with mask_last the mask is applied after the
 * scaling (seed 000 section 3) instead of before. */
static lsnn_status lsnn__signed_matrix(lsnn_real *w, int n_src, int n_dst, const int8_t *src_sign,
                                       const uint8_t *mask, int no_self, double scale,
                                       lsnn_rng *rng, int mask_last)
{
    /* Seed 000's order: the dense matrix is drawn, balanced and scaled; the mask comes after. */
    const uint8_t *const applied = mask;
    if (mask_last)
        mask = NULL;
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
                w[(size_t)i * n_dst + j] =
                    applied && mask_last && !applied[(size_t)i * n_dst + j]
                        ? 0
                        : (lsnn_real)(a[(size_t)i * m + j] * f);
    }
    free(a);
    free(on);
    free(sg);
    return st;
}

/* Possible synapses of projection p (p == n_proj: the readout). */
static uint64_t lsnn__possible(const lsnn_net *net, int p)
{
    if (p == net->n_proj) {
        uint64_t all = 0;
        for (int j = 0; j < net->n; j++)
            for (int k = 0; k < net->n_out; k++)
                all += (uint64_t)lsnn_net_readout_possible(net, j, k);
        return all;
    }
    const lsnn_projection *pr = &net->proj[p];
    uint64_t all = (uint64_t)pr->n_src * pr->n_dst;
    if (pr->no_self && !pr->src_is_input)
        for (int i = 0; i < pr->n_src; i++) {
            int j = pr->src_off + i - pr->dst_off;
            all -= j >= 0 && j < pr->n_dst;
        }
    return all;
}

/* Fills the masks with exactly round(p * possible) synapses, per matrix (its own level and
 * stream) or across all of them (one level). */
void lsnn__init_masks(lsnn_net *net, const lsnn_graph *g, uint64_t seed)
{
    const int P = net->n_proj;
    const double global = g->o.global_connectivity;
    lsnn__select sel;
    if (global > 0) {
        uint64_t total = 0;
        for (int q = 0; q <= P; q++)
            total += lsnn__possible(net, q);
        lsnn_rng_derive(&sel.rng, seed, 0x3a5c, 0xff, 0);
        sel.left_pos = total;
        sel.left_pick = (uint64_t)llround(global * (double)total);
    }
    for (int q = 0; q <= P; q++) {
        if (global <= 0) {
            const double p = q == P ? (g->o.readout_connectivity > 0 ? g->o.readout_connectivity : 1)
                                    : g->proj[q].connectivity;
            uint64_t poss = lsnn__possible(net, q);
            lsnn_rng_derive(&sel.rng, seed, 0x3a5c, q == P ? g->ro_stream : g->proj[q].stream, 0);
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

/* Delays and initial weights of every projection and of the readout (after the signs and the
 * masks): one random stream per tensor. */
lsnn_status lsnn__init_weights(lsnn_net *net, const lsnn_graph *g, uint64_t seed)
{
    const int n = net->n, n_out = net->n_out, signed_init = g->o.init == LSNN_INIT_SIGNED;
    const int mask_last = g->o.signed_order == LSNN_SIGNED_MASK_LAST;
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        const g_proj *Q = &g->proj[p];
        lsnn_rng rng;
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        if (pr->delay) {
            lsnn_rng_derive(&rng, seed, 0xde1a, Q->stream, 0);
            const uint64_t span = (uint64_t)(pr->max_delay - pr->min_delay) + 1;
            for (size_t k = 0; k < sz; k++)
                pr->delay[k] = (uint8_t)(pr->min_delay + (int)lsnn_rng_below(&rng, span));
        }
        if (signed_init) {
            lsnn_rng_derive(&rng, seed, 0x1417, Q->stream, 1);
            const int8_t *sg = pr->src_is_input ? net->input_sign + pr->src_off
                                                : net->sign + pr->src_off;
            int diag = pr->no_self && !pr->src_is_input && pr->src_off == pr->dst_off;
            lsnn_status st = lsnn__signed_matrix(pr->w, pr->n_src, pr->n_dst, sg, pr->mask, diag,
                                                 Q->w0, &rng, mask_last);
            if (st)
                return lsnn_error(st, "network: %s: %s", pr->name, lsnn_last_error());
            continue;
        }
        /* W ~ w0 / sqrt(n_src) N(0, 1) (seed 000 section 3). */
        lsnn_rng_derive(&rng, seed, 0x1417, Q->stream, 0);
        double scale = Q->w0 / sqrt((double)pr->n_src);
        for (size_t k = 0; k < sz; k++)
            pr->w[k] = (lsnn_real)(scale * lsnn_rng_normal(&rng));
    }
    if (signed_init) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x1417, 0x0e7, 1);
        lsnn_status st = lsnn__signed_matrix(net->w_out, n, n_out, net->sign, net->w_out_mask, 0,
                                             g->o.w0_out, &rng, mask_last);
        if (st)
            return lsnn_error(st, "network: w_out: %s", lsnn_last_error());
        return LSNN_OK;
    }
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x1417, 0x0e7, 0);
    int n_read = 0;
    for (int j = 0; j < n; j++)
        n_read += net->readout_dir[j] >= 0;
    double scale = g->o.w0_out / sqrt((double)(n_read / net->n_dirs)); /* of one direction */
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
    return LSNN_OK;
}

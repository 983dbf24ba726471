/* e-prop: online eligibility traces (see lsnn/eprop.h for the equations).
 *
 * The forward dynamics are the simulator's own (lsnn__chunk_step of src/net/sim.c, on a workspace
 * created for one step: checkpoints are never used), so e-prop and BPTT see bit-identical spikes.
 * After each step, per chunk of sequences:
 *   1. the neuron models write their e-prop coefficients for step t (Jacobian J(t), dz/dh(t));
 *   2. the readout, the online loss and the learning signal L_j(t) of each sequence;
 *   3. every trainable synapse updates eps_V, eps_a, ebar (and the window sum), and its gradient;
 *   4. the spikes of t enter a ring of the last R steps (pre-synaptic values of delayed synapses).
 * Synapse arrays are (CH, n_src, n_dst): one contiguous row of targets per (sequence, source), so
 * the update of step 3 is a vector loop over targets. A masked projection keeps instead (nnz,
 * CHP) arrays in the order of its index (lsnn/sparse.h), the sequences of one synapse
 * contiguous, and step 3 loops over its existing synapses only, vectorised over the
 * sequences; the coefficients, learning signals and pre-synaptic values it reads are copied
 * neuron-major ((n, CHP)) once per step. Each synapse's eligibility is computed with the same
 * operations as on the dense path; only the sum over the sequences of the gradient runs in
 * another order. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/simd.h"
#include "lsnn/dist.h"
#include "lsnn/eprop.h"
#include "net/sim_internal.h"
#include "learn/eprop_internal.h"

/* The eligibility vectors (clipped to [-cv, cv] x [-ca, ca]) and filtered traces of n synapses
 * at step t: J* are the targets' coefficients of step t-1, fv/fa those of step t, and the input
 * term of synapse k is gin[k gs] pre[k] (gs = 1: one gain per synapse, a row of targets; gs = 0:
 * one gain, one synapse's sequences). For targets without adaptation (lif, ep->inert) jva and fa
 * are zero, so eps_a changes nothing; leaving it out gives the same values (up to the sign of a
 * zero). Inlined with gs constant, both loops vectorise. */
static inline void ep_elems(int n, const lsnn_real *restrict pre, const lsnn_real *restrict gin,
                            const int gs, const lsnn_real *restrict jvv,
                            const lsnn_real *restrict jva, const lsnn_real *restrict jav,
                            const lsnn_real *restrict jaa, const lsnn_real *restrict fv,
                            const lsnn_real *restrict fa, lsnn_real *restrict ev,
                            lsnn_real *restrict ea, lsnn_real *restrict eb, lsnn_real kappa,
                            lsnn_real cv, lsnn_real ca, int lif)
{
    for (int k = 0; lif && k < n; k++) {
        lsnn_real v = jvv[k] * ev[k] + gin[k * gs] * pre[k];
        v = v > cv ? cv : v < -cv ? -cv : v;
        ev[k] = v;
        eb[k] = kappa * eb[k] + fv[k] * v;
    }
    for (int k = 0; !lif && k < n; k++) {
        lsnn_real v = jvv[k] * ev[k] + jva[k] * ea[k] + gin[k * gs] * pre[k];
        lsnn_real a = jav[k] * ev[k] + jaa[k] * ea[k];
        v = v > cv ? cv : v < -cv ? -cv : v;
        a = a > ca ? ca : a < -ca ? -ca : a;
        ev[k] = v;
        ea[k] = a;
        eb[k] = kappa * eb[k] + fv[k] * v + fa[k] * a;
    }
}

/* One row of synapses (one sequence, one source, targets [0, n)): eligibility vectors, the
 * filtered trace and the gradient. J* are the targets' coefficients of step t-1, fv/fa those of
 * step t; pre the pre-synaptic value of each synapse at t; L the targets' learning signal. */
static void ep_row(int n, const lsnn_real *restrict pre, const lsnn_real *restrict gin,
                   const lsnn_real *restrict jvv, const lsnn_real *restrict jva,
                   const lsnn_real *restrict jav, const lsnn_real *restrict jaa,
                   const lsnn_real *restrict fv, const lsnn_real *restrict fa,
                   lsnn_real *restrict ev, lsnn_real *restrict ea, lsnn_real *restrict eb,
                   lsnn_real *restrict acc, lsnn_real *restrict G, const lsnn_real *restrict L,
                   lsnn_real kappa, int mode, lsnn_real cv, lsnn_real ca, int lif)
{
    ep_elems(n, pre, gin, 1, jvv, jva, jav, jaa, fv, fa, ev, ea, eb, kappa, cv, ca, lif);
    switch (mode) {
    case EP_STEP:
        for (int j = 0; j < n; j++)
            G[j] += L[j] * eb[j];
        break;
    case EP_WINDOW:
        for (int j = 0; j < n; j++)
            acc[j] += eb[j];
        break;
    case EP_WINDOW_END:
        for (int j = 0; j < n; j++) {
            G[j] += L[j] * (acc[j] + eb[j]);
            acc[j] = 0;
        }
        break;
    default:
        break;
    }
}

/* One synapse on the sparse layout, all sequences at once (CHP, a multiple of 8): the element
 * operations of ep_row, vectorised over the sequences. The per-sequence factors mg (gradient
 * step), ma (add to the window sum) and mk (keep the window sum) stand for ep_row's modes: they
 * are 0 or 1, so each element gets exactly ep_row's values (STEP: acc is 0, and L (0 + eb) =
 * L eb). Returns the synapse's gradient of this step, summed over the sequences in eight
 * partial sums added in a fixed order. */
static inline lsnn_real ep_syn(int CHP, const lsnn_real *restrict pre, lsnn_real gin,
                               const lsnn_real *restrict jvv, const lsnn_real *restrict jva,
                               const lsnn_real *restrict jav, const lsnn_real *restrict jaa,
                               const lsnn_real *restrict fv, const lsnn_real *restrict fa,
                               const lsnn_real *restrict L, const lsnn_real *restrict mg,
                               const lsnn_real *restrict ma, const lsnn_real *restrict mk,
                               lsnn_real *restrict ev, lsnn_real *restrict ea,
                               lsnn_real *restrict eb, lsnn_real *restrict acc, lsnn_real kappa,
                               lsnn_real cv, lsnn_real ca, int do_g, int do_acc, int lif)
{
    ep_elems(CHP, pre, &gin, 0, jvv, jva, jav, jaa, fv, fa, ev, ea, eb, kappa, cv, ca, lif);
    lsnn_real g = 0;
    if (do_g) {
        lsnn_real part[8] = {0};
        for (int u = 0; u < CHP; u += 8)
            for (int l = 0; l < 8; l++)
                part[l] += mg[u + l] * L[u + l] * (acc[u + l] + eb[u + l]);
        g = ((part[0] + part[1]) + (part[2] + part[3])) +
            ((part[4] + part[5]) + (part[6] + part[7]));
    }
    if (do_acc)
        for (int u = 0; u < CHP; u++)
            acc[u] = (acc[u] + ma[u] * eb[u]) * mk[u];
    return g;
}

/* The synapses of source i of projection pr at step t on the sparse layout. ring holds the
 * neuron-major pre-synaptic values of the last R steps (zt, or xt for an input projection),
 * src its row of source i; a synapse of delay d reads step t - d (recurrent), t - d + 1 (input:
 * delay d delivers into step t + d - 1) or t (feed-forward). The gradient goes to the dense
 * row G (n_dst). */
LSNN_AVX2_CLONES
static void ep_source_sparse(const lsnn_projection *pr, int i, int t, int R, int CHP,
                             const lsnn_real *ring, size_t slot, int src, lsnn_real *const *tc,
                             const lsnn_real *gin, const lsnn_real *mg, const lsnn_real *ma,
                             const lsnn_real *mk, lsnn_real *ev, lsnn_real *ea, lsnn_real *eb,
                             lsnn_real *acc, lsnn_real *G, lsnn_real kappa, lsnn_real cv,
                             lsnn_real ca, int do_g, int do_acc, const uint8_t *inert)
{
    const int32_t *col = pr->sparse.col;
    const int nd = pr->n_dst;
    const uint8_t *dly = pr->delay ? pr->delay + (size_t)i * nd : NULL;
    const int shift = pr->src_is_input ? 1 : 0;
    for (int32_t k = pr->sparse.row[i]; k < pr->sparse.row[i + 1]; k++) {
        const int j = col[k];
        const int tp = pr->max_delay == 0 ? t : t - (dly ? dly[j] : 1) + shift;
        const lsnn_real *pre = ring + (size_t)((tp % R + R) % R) * slot + (size_t)src * CHP;
        const size_t jo = (size_t)(pr->dst_off + j) * CHP, ko = (size_t)k * CHP;
        lsnn_real g = ep_syn(CHP, pre, gin[pr->dst_off + j], tc[EP_JVV] + jo, tc[EP_JVA] + jo,
                             tc[EP_JAV] + jo, tc[EP_JAA] + jo, tc[EP_FV] + jo, tc[EP_FA] + jo,
                             tc[EP_L] + jo, mg, ma, mk, ev + ko, ea + ko, eb + ko, acc + ko,
                             kappa, cv, ca, do_g, do_acc, inert[pr->dst_off + j]);
        if (do_g)
            G[j] += g;
    }
}

/* The neuron-major copies of step t for the sparse layout (see ep_chunk); returns through
 * do_g / do_acc whether any sequence takes a gradient step / adds to a window sum. */
static void ep_transpose_step(const lsnn_eprop *ep, ep_chunk *c, const lsnn__chunk *sc,
                              const lsnn_batch *batch, int g0, int bc, int t,
                              const ep_coef_set *cur, const ep_coef_set *prev, int *do_g,
                              int *do_acc)
{
    const int n = ep->n, CHP = ep->CHP, R = ep->R, n_in = ep->n_in;
    const lsnn_real *src[EP_TC] = {prev->jvv, prev->jva, prev->jav, prev->jaa,
                                   cur->ev,   cur->ea,   c->L};
    for (int q = 0; q < EP_TC; q++)
        for (int s = 0; s < bc; s++) {
            const lsnn_real *a = src[q] + (size_t)s * n;
            lsnn_real *d = c->tc[q] + s;
            for (int j = 0; j < n; j++)
                d[(size_t)j * CHP] = a[j];
        }
    lsnn_real *zt = c->zt + (size_t)(t % R) * n * CHP, *xt = c->xt + (size_t)(t % R) * n_in * CHP;
    for (int s = 0; s < bc; s++) {
        const lsnn_real *z = sc->z + (size_t)s * n, *x = lsnn_batch_x(batch, g0 + s, t);
        for (int j = 0; j < n; j++)
            zt[(size_t)j * CHP + s] = z[j];
        for (int i = 0; i < n_in; i++)
            xt[(size_t)i * CHP + s] = x[i];
    }
    *do_g = *do_acc = 0;
    for (int s = 0; s < bc; s++) {
        const int m = c->mode[s];
        c->mg[s] = m == EP_STEP || m == EP_WINDOW_END;
        c->ma[s] = m == EP_WINDOW;
        c->mk[s] = m != EP_WINDOW_END;
        *do_g |= c->mg[s] != 0;
        *do_acc |= m == EP_WINDOW || m == EP_WINDOW_END;
    }
}

static void ep_chunk_reset(lsnn_eprop *ep, const lsnn_net *net, ep_chunk *c)
{
    const size_t CH = (size_t)ep->CH, n = (size_t)ep->n, rs = sizeof(lsnn_real);
    for (int p = 0; p < net->n_proj; p++) {
        if (!c->ev[p])
            continue;
        size_t m = rs * (size_t)ep->CHP * net->proj[p].n_src * net->proj[p].n_dst;
        memset(c->ev[p], 0, m);
        memset(c->ea[p], 0, m);
        memset(c->eb[p], 0, m);
        memset(c->acc[p], 0, m);
    }
    lsnn_real *zero_n[] = {c->nv, c->na, c->nb, c->nacc, c->zeta, c->zacc, c->L};
    for (size_t k = 0; k < sizeof zero_n / sizeof zero_n[0]; k++)
        memset(zero_n[k], 0, rs * CH * n);
    for (int k = 0; k < 2; k++) {
        ep_coef_set *cs = &c->coef[k];
        lsnn_real *arr[] = {cs->jvv, cs->jva, cs->jav, cs->jaa, cs->ev, cs->ea};
        for (size_t q = 0; q < 6; q++)
            memset(arr[q], 0, rs * CH * n);
    }
    memset(c->hist, 0, rs * (size_t)ep->R * CH * n);
    memset(c->ysum, 0, rs * CH * (size_t)ep->n_out);
    memset(c->ztot, 0, sizeof(double) * CH * n);
    memset(c->wi, 0, sizeof(int) * CH);
    const size_t CHP = (size_t)ep->CHP;
    for (int k = 0; k < EP_TC; k++)
        memset(c->tc[k], 0, rs * n * CHP);
    memset(c->zt, 0, rs * (size_t)ep->R * n * CHP);
    memset(c->xt, 0, rs * (size_t)ep->R * ep->n_in * CHP);
    memset(c->mg, 0, rs * CHP);
    memset(c->ma, 0, rs * CHP);
    memset(c->mk, 0, rs * CHP);
}

/* Readout, online loss and learning signal of sequence s (batch index g) at step t. */
static void ep_readout(lsnn_eprop *ep, const lsnn_net *net, ep_chunk *c, lsnn__chunk *sc,
                       const lsnn_batch *batch, int s, int g, int t, double norm, lsnn_real *y,
                       int *pred, int learn)
{
    const int n = net->n, n_out = net->n_out, T = batch->T;
    const lsnn_real kappa = net->kappa, omk = net->readout_gain;
    lsnn_real *zeta = c->zeta + (size_t)s * n;
    const lsnn_real *z = sc->z + (size_t)s * n;
    for (int j = 0; j < n; j++)
        zeta[j] = kappa * zeta[j] + omk * z[j];
    double yt[LSNN__EP_MAX_OUT], gk[LSNN__EP_MAX_OUT];
    const lsnn_real *yw = sc->yw + (size_t)s * n_out;
    for (int k = 0; k < n_out; k++) {
        yt[k] = (double)(yw[k] + net->b_out[k]);
        gk[k] = 0;
    }
    if (y)
        for (int k = 0; k < n_out; k++)
            y[((size_t)g * T + t) * n_out + k] = (lsnn_real)yt[k];
    lsnn_real *gWout = c->grad + (net->w_out - net->params);
    lsnn_real *gb = c->grad + (net->b_out - net->params);
    int mode = EP_NONE;
    /* zsrc: the filtered spikes the readout gradient multiplies (zeta, or its window sum). */
    const lsnn_real *zsrc = zeta;
    double bscale = 1;
    if (batch->loss == LSNN_LOSS_MSE) {
        double w = batch->y_weight[(size_t)g * T + t];
        if (w != 0 && norm > 0) {
            const lsnn_real *tgt = batch->y_target + ((size_t)g * T + t) * n_out;
            for (int k = 0; k < n_out; k++) {
                double d = yt[k] - tgt[k];
                c->loss += w * d * d;
                gk[k] = 2 * w * d / (n_out * norm);
            }
            mode = EP_STEP;
        }
    } else if (c->wi[s] < batch->n_windows[g]) {
        const lsnn_window *w = &batch->windows[(size_t)g * batch->max_windows + c->wi[s]];
        if (t >= w->t0 && t < w->t1) {
            lsnn_real *ys = c->ysum + (size_t)s * n_out;
            lsnn_real *za = c->zacc + (size_t)s * n;
            for (int k = 0; k < n_out; k++)
                ys[k] += (lsnn_real)yt[k];
            mode = EP_WINDOW;
            if (t == w->t1 - 1) {
                const double len = w->t1 - w->t0;
                double mx = -DBL_MAX, zs = 0;
                int best = 0;
                for (int k = 0; k < n_out; k++) {
                    gk[k] = ys[k] / len;
                    if (gk[k] > mx) {
                        mx = gk[k];
                        best = k;
                    }
                }
                double lab = gk[w->label];
                for (int k = 0; k < n_out; k++)
                    zs += (gk[k] = exp(gk[k] - mx));
                c->loss += -(lab - mx - log(zs));
                c->correct += best == w->label;
                c->total++;
                if (pred)
                    pred[(size_t)g * batch->max_windows + c->wi[s]] = best;
                for (int k = 0; k < n_out; k++)
                    gk[k] = (gk[k] / zs - (k == w->label)) / (len * norm);
                /* The window's readout gradient: sum_t g zeta(t) = g (zacc + zeta(t)). */
                for (int j = 0; j < n; j++)
                    za[j] += zeta[j];
                zsrc = za;
                bscale = len;
                mode = EP_WINDOW_END;
                memset(ys, 0, sizeof(lsnn_real) * n_out);
                c->wi[s]++;
            } else {
                for (int j = 0; j < n; j++)
                    za[j] += zeta[j];
            }
        }
    }
    c->mode[s] = learn ? mode : EP_NONE;
    if (!learn || (mode != EP_STEP && mode != EP_WINDOW_END))
        return;
    /* Exact readout gradients, and the learning signal L_j = (1 - kappa) sum_k B_jk g_k. */
    lsnn_real *L = c->L + (size_t)s * n;
    for (int k = 0; k < n_out; k++)
        gb[k] += (lsnn_real)(gk[k] * bscale);
    for (int j = 0; j < n; j++) {
        const lsnn_real *fb = ep->fb + (size_t)j * n_out;
        lsnn_real *gw = gWout + (size_t)j * n_out;
        double l = 0;
        for (int k = 0; k < n_out; k++) {
            gw[k] += (lsnn_real)(gk[k] * zsrc[j]);
            l += fb[k] * gk[k];
        }
        L[j] = (lsnn_real)(omk * l);
    }
    if (mode == EP_WINDOW_END)
        memset(c->zacc + (size_t)s * n, 0, sizeof(lsnn_real) * n);
}

static void ep_chunk_begin(lsnn_eprop *ep, const lsnn_net *net, int ci)
{
    ep_chunk *c = &ep->ch[ci];
    lsnn__chunk_reset(ep->sim, &ep->sim->ch[ci]);
    ep_chunk_reset(ep, net, c);
    memset(c->count, 0, sizeof(double) * net->n);
    memset(c->regsum, 0, sizeof(double) * net->n);
    memset(c->grad, 0, sizeof(lsnn_real) * ep->n_params);
    c->loss = 0;
    c->correct = c->total = 0;
}

/* Steps [t0, t1) of chunk ci. */
static void ep_chunk_steps(lsnn_eprop *ep, const lsnn_net *net, int ci, const lsnn_batch *batch,
                           int t0, int t1, lsnn_real *y, int *pred)
{
    ep_chunk *c = &ep->ch[ci];
    lsnn__chunk *sc = &ep->sim->ch[ci];
    const int n = net->n, R = ep->R;
    const int g0 = ci * ep->CH;
    const int bc = batch->B - g0 < ep->CH ? batch->B - g0 : ep->CH;
    const int learn = ep->learn;
    const double norm = ep->norm;
    const int has_noise = lsnn__net_has_noise(net);
    const int noise_elig = learn && has_noise && net->train_noise;
    const lsnn_real kappa = net->kappa;
    const lsnn_real cv = ep->opts.clip_v > 0 ? (lsnn_real)ep->opts.clip_v : FLT_MAX;
    const lsnn_real ca = ep->opts.clip_a > 0 ? (lsnn_real)ep->opts.clip_a : FLT_MAX;
    const double f0 = ep->opts.rate_target_hz * net->dt / 1000.0;
    const size_t CHn = (size_t)ep->CH * n;

    for (int t = t0; t < t1; t++) {
        lsnn__chunk_step(ep->sim, net, sc, batch, g0, bc, t, NULL, c->count, has_noise);
        const ep_coef_set *cur = &c->coef[t % 2], *prev = &c->coef[(t + 1) % 2];
        for (int s = 0; s < bc; s++) {
            const size_t so = (size_t)s * n;
            lsnn_neuron_state st = {.v = sc->v + so, .b = sc->b + so, .z = sc->z + so,
                                    .hard = sc->hard + so, .ref = sc->ref + so};
            /* The models write entries [0, count) of arrays indexed like the state, from each
             * population's first neuron. */
            for (int p = 0; p < net->n_pop; p++) {
                const lsnn_population *po = &net->pop[p];
                const size_t sp = so + po->off;
                const lsnn_neuron_state ps = {.v = sc->v + sp, .b = sc->b + sp, .z = sc->z + sp,
                                              .hard = sc->hard + sp, .ref = sc->ref + sp};
                lsnn_eligibility_coeffs out = {cur->jvv + sp, cur->jva + sp, cur->jav + sp,
                                               cur->jaa + sp, cur->ev + sp,  cur->ea + sp};
                po->model->eligibility(po->consts, 0, po->count, &ps, net->gamma,
                                       ep->opts.reset_grad, &out);
            }
            ep_readout(ep, net, c, sc, batch, s, g0 + s, t, norm, y, pred, learn);
            if (ep->opts.rate_reg > 0) {
                double *zt = c->ztot + so;
                for (int j = 0; j < n; j++) {
                    zt[j] += st.z[j];
                    c->regsum[j] += zt[j] / (t + 1) - f0;
                }
            }
        }
        if (learn) {
            int do_g = 0, do_acc = 0;
            if (ep->any_sp)
                ep_transpose_step(ep, c, sc, batch, g0, bc, t, cur, prev, &do_g, &do_acc);
            for (int p = 0; p < net->n_proj; p++) {
                const lsnn_projection *pr = &net->proj[p];
                if (!c->ev[p])
                    continue;
                const int nd = pr->n_dst, ns = pr->n_src, jo = pr->dst_off;
                lsnn_real *G = c->grad + pr->param_off;
                if (ep->sp[p]) {
                    const int CHP = ep->CHP;
                    const lsnn_real *ring = pr->src_is_input ? c->xt : c->zt;
                    const size_t slot = (size_t)(pr->src_is_input ? ep->n_in : n) * CHP;
                    for (int i = 0; i < ns; i++)
                        ep_source_sparse(pr, i, t, R, CHP, ring, slot, pr->src_off + i, c->tc,
                                         net->g_in, c->mg, c->ma, c->mk, c->ev[p], c->ea[p],
                                         c->eb[p], c->acc[p], G + (size_t)i * nd, kappa, cv, ca,
                                         do_g, do_acc, ep->inert);
                    continue;
                }
                for (int s = 0; s < bc; s++) {
                    const size_t so = (size_t)s * n;
                    const int g = g0 + s;
                    for (int i = 0; i < ns; i++) {
                        const uint8_t *d = pr->delay ? pr->delay + (size_t)i * nd : NULL;
                        /* Without delays every target sees the same pre-synaptic value pre_s,
                         * looked up once for the row. */
                        lsnn_real pre_s = 0;
                        if (pr->src_is_input) {
                            /* input at t' reaches V(t' + d - 1): pre(t) = x(t - d + 1) */
                            const int si = pr->src_off + i;
                            if (!d)
                                pre_s = lsnn_batch_x(batch, g, t)[si];
                            for (int j = 0; d && j < nd; j++) {
                                int tt = t - d[j] + 1;
                                c->pre[j] = tt >= 0 ? lsnn_batch_x(batch, g, tt)[si] : 0;
                            }
                        } else if (pr->max_delay == 0) {
                            /* feed-forward between layers: pre(t) = z_src(t) */
                            pre_s = sc->z[so + pr->src_off + i];
                        } else {
                            /* spike at t' reaches V(t' + d): pre(t) = z(t - d) */
                            const lsnn_real *h = c->hist + so + pr->src_off + i;
                            if (!d)
                                pre_s = t >= 1 ? h[(size_t)((t - 1) % R) * CHn] : 0;
                            for (int j = 0; d && j < nd; j++) {
                                int tt = t - d[j];
                                c->pre[j] = tt >= 0 ? h[(size_t)(tt % R) * CHn] : 0;
                            }
                        }
                        for (int j = 0; !d && j < nd; j++)
                            c->pre[j] = pre_s;
                        /* One call per run of targets with and without adaptation. */
                        for (int r = 0; r < ep->nrun[p]; r++) {
                            const int lo = ep->run_lo[p][r], o = jo + lo;
                            const size_t ro = ((size_t)s * ns + i) * nd + lo;
                            ep_row(ep->run_lo[p][r + 1] - lo, c->pre + lo, net->g_in + o,
                                   prev->jvv + so + o, prev->jva + so + o, prev->jav + so + o,
                                   prev->jaa + so + o, cur->ev + so + o, cur->ea + so + o,
                                   c->ev[p] + ro, c->ea[p] + ro, c->eb[p] + ro, c->acc[p] + ro,
                                   G + (size_t)i * nd + lo, c->L + so + o, kappa, c->mode[s], cv,
                                   ca, ep->run_lif[p][r]);
                        }
                    }
                }
            }
            if (noise_elig) {
                /* dV_j(t)/d sigma_j = g_in xi_j(t): a synapse whose pre-synaptic value is the
                 * neuron's own noise sample. */
                lsnn_real *G = c->grad + (net->noise_std - net->params);
                for (int s = 0; s < bc; s++) {
                    const size_t so = (size_t)s * n;
                    const uint64_t key3 =
                        lsnn_hash_key3(batch->noise_key, (uint64_t)(g0 + s), (uint64_t)t);
                    for (int j = 0; j < n; j++)
                        c->pre[j] = net->noise_std[j] != 0
                                        ? (lsnn_real)lsnn_noise_normal(net->noise_draw, key3, j)
                                        : 0;
                    ep_row(n, c->pre, net->g_in, prev->jvv + so, prev->jva + so,
                           prev->jav + so, prev->jaa + so, cur->ev + so, cur->ea + so, c->nv + so,
                           c->na + so, c->nb + so, c->nacc + so, G, c->L + so, kappa, c->mode[s],
                           cv, ca, 0);
                }
            }
        }
        /* The spikes of t join the ring of the last R steps. */
        memcpy(c->hist + (size_t)(t % R) * CHn, sc->z, sizeof(lsnn_real) * bc * n);
    }
}

lsnn_status lsnn_eprop_begin(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                             int learn)
{
    if (batch->B > ep->Bmax || net->n != ep->n || net->n_out != ep->n_out ||
        batch->n_in != net->n_in || batch->n_out != net->n_out || net->n_params != ep->n_params)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "e-prop: batch (%d sequences, %d in, %d out) does not fit the workspace "
                          "(%d sequences) or the network (%d in, %d out)",
                          batch->B, batch->n_in, batch->n_out, ep->Bmax, net->n_in, net->n_out);
    /* Loss normaliser over the whole batch: total weight (MSE) or number of windows. */
    double norm = 0;
    if (batch->loss == LSNN_LOSS_MSE) {
        for (size_t bt = 0; bt < (size_t)batch->B * batch->T; bt++)
            norm += batch->y_weight[bt];
    } else {
        for (int g = 0; g < batch->B; g++) {
            const lsnn_window *w = &batch->windows[(size_t)g * batch->max_windows];
            for (int k = 0; k < batch->n_windows[g]; k++) {
                if (w[k].t0 < 0 || w[k].t1 > batch->T || w[k].t1 <= w[k].t0 ||
                    (k > 0 && w[k].t0 < w[k - 1].t1) ||
                    (batch->loss == LSNN_LOSS_CE_WINDOW_SOFTMAX && w[k].t1 - w[k].t0 != 1))
                    return lsnn_error(LSNN_ERR_ARG,
                                      "e-prop: sequence %d: window %d [%d, %d) is empty, out of "
                                      "range, or overlaps the previous one (e-prop needs sorted, "
                                      "disjoint windows; with the averaged-softmax loss, windows "
                                      "of one step: its learning signal is not known online)",
                                      g, k, w[k].t0, w[k].t1);
            }
            norm += batch->n_windows[g];
        }
    }
    const size_t nfb = (size_t)net->n * net->n_out;
    if (ep->opts.feedback == LSNN_FEEDBACK_SYMMETRIC)
        memcpy(ep->fb, net->w_out, sizeof(lsnn_real) * nfb);
    else if (ep->opts.feedback == LSNN_FEEDBACK_ADAPTIVE)
        /* B receives every update of W_out, so B = B0 + (W_out - W_out at the start): a
         * function of the parameters, which a resumed run therefore recovers exactly. */
        for (size_t k = 0; k < nfb; k++)
            ep->fb[k] = ep->fb0[k] + (net->w_out[k] - ep->wout0[k]);
    /* The sparse layout for every masked projection (it is faster than the dense rows at any
     * density measured, up to 0.9: docs/PERFORMANCE.md), unless the network is held on the
     * dense kernels (lsnn_net_set_sparse). */
    ep->any_sp = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        ep->sp[p] = !pr->frozen && pr->mask && pr->sparse.row &&
                    (pr->sparse.use || net->sparse_mode != LSNN_SPARSE_OFF);
        ep->any_sp |= ep->sp[p];
    }
    for (int j = 0; j < net->n; j++)
        ep->inert[j] = !net->adaptive[j];
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        int nr = 0;
        for (int j = 0; j < pr->n_dst && nr <= EP_MAX_RUN; j++)
            if (j == 0 || ep->inert[pr->dst_off + j] != ep->inert[pr->dst_off + j - 1]) {
                if (nr < EP_MAX_RUN) {
                    ep->run_lo[p][nr] = j;
                    ep->run_lif[p][nr] = ep->inert[pr->dst_off + j];
                }
                nr++;
            }
        if (nr > EP_MAX_RUN) {
            nr = 1;
            ep->run_lo[p][0] = 0;
            ep->run_lif[p][0] = 0;
        }
        ep->nrun[p] = nr;
        ep->run_lo[p][nr] = pr->n_dst;
    }
    ep->norm = norm;
    ep->learn = learn != 0;
    ep->nch = (batch->B + ep->CH - 1) / ep->CH;
    ep->t_next = 0;
    ep->y_out = NULL;
    ep->pred_out = NULL;
    for (int ci = 0; ci < ep->nch; ci++)
        ep_chunk_begin(ep, net, ci);
    return LSNN_OK;
}

lsnn_status lsnn_eprop_advance(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                               int t1, lsnn_real *y, int *pred)
{
    const int t0 = ep->t_next;
    /* The inputs of steps t0 - max_delay + 1 .. t1 - 1 must be in the batch. */
    int need0 = t0 - net->max_delay + 1;
    need0 = need0 < 0 ? 0 : need0;
    if (t1 <= t0 || t1 > batch->T || batch->x_t0 > need0 || t1 > batch->x_t0 + batch->x_nt)
        return lsnn_error(LSNN_ERR_ARG,
                          "e-prop: steps %d..%d need the inputs of steps %d..%d, the batch holds "
                          "%d..%d",
                          t0, t1 - 1, need0, t1 - 1, batch->x_t0, batch->x_t0 + batch->x_nt - 1);
    int c0, c1;
    lsnn__sim_own_chunks(ep->sim, ep->nch, &c0, &c1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = c0; ci < c1; ci++)
        ep_chunk_steps(ep, net, ci, batch, t0, t1, y, pred);
    ep->t_next = t1;
    if (y)
        ep->y_out = y;
    if (pred)
        ep->pred_out = pred;
    return LSNN_OK;
}

void lsnn_eprop_set_dist(lsnn_eprop *ep, const lsnn_dist *d)
{
    lsnn_sim_set_dist(ep->sim, d);
}

/* A distributed pass: every chunk's loss terms, spike counts, rate sums, outputs and
 * predictions from the process that computed it, into the chunks of every process; with learn,
 * every chunk's gradient into one buffer (*grads, chunk ci at n_params ci; NULL otherwise). */
static lsnn_status ep_gather(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                             int learn, const lsnn_real **grads)
{
    const lsnn_dist *d = ep->sim->dist;
    *grads = NULL;
    if (!d)
        return LSNN_OK;
    const int nch = ep->nch, n = net->n, reg = ep->opts.rate_reg > 0;
    const size_t nd = 3 + (size_t)n * (1 + reg), np = ep->n_params;
    int c0, c1;
    lsnn__sim_own_chunks(ep->sim, nch, &c0, &c1);
    size_t bytes = sizeof(double) * nd * nch;
    if (learn && sizeof(lsnn_real) * np * nch > bytes)
        bytes = sizeof(lsnn_real) * np * nch;
    void *buf = lsnn__sim_dist_buf(ep->sim, bytes);
    if (!buf)
        return lsnn_error(LSNN_ERR_NOMEM, "e-prop: out of memory (distributed pass)");
    double *db = buf;
    for (int ci = c0; ci < c1; ci++) {
        const ep_chunk *c = &ep->ch[ci];
        double *r = db + nd * ci;
        r[0] = c->loss;
        r[1] = (double)c->correct;
        r[2] = (double)c->total;
        memcpy(r + 3, c->count, sizeof(double) * n);
        if (reg)
            memcpy(r + 3 + n, c->regsum, sizeof(double) * n);
    }
    lsnn_status st = lsnn_dist_gather_rows(d, db, sizeof(double) * nd, nch, 1, nch);
    if (st)
        return st;
    for (int ci = 0; ci < nch; ci++) {
        ep_chunk *c = &ep->ch[ci];
        const double *r = db + nd * ci;
        c->loss = r[0];
        c->correct = (long)r[1];
        c->total = (long)r[2];
        memcpy(c->count, r + 3, sizeof(double) * n);
        if (reg)
            memcpy(c->regsum, r + 3 + n, sizeof(double) * n);
    }
    if (learn) {
        lsnn_real *gb = buf;
        for (int ci = c0; ci < c1; ci++)
            memcpy(gb + np * ci, ep->ch[ci].grad, sizeof(lsnn_real) * np);
        if ((st = lsnn_dist_gather_rows(d, gb, sizeof(lsnn_real) * np, nch, 1, nch)))
            return st;
        *grads = gb; /* chunk ci's gradient at gb + np ci, summed from there */
    }
    if (ep->y_out &&
        (st = lsnn_dist_gather_rows(d, ep->y_out,
                                    sizeof(lsnn_real) * (size_t)batch->T * net->n_out, nch,
                                    ep->CH, batch->B)))
        return st;
    if (ep->pred_out &&
        (st = lsnn_dist_gather_rows(d, ep->pred_out, sizeof(int) * (size_t)batch->max_windows,
                                    nch, ep->CH, batch->B)))
        return st;
    return LSNN_OK;
}

lsnn_status lsnn_eprop_end(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                           lsnn_real *grad, double *spike_count, lsnn_loss_result *out)
{
    memset(out, 0, sizeof *out);
    if (ep->t_next != batch->T)
        return lsnn_error(LSNN_ERR_ARG, "e-prop: the batch ended at step %d of %d", ep->t_next,
                          batch->T);
    const int nch = ep->nch, learn = ep->learn && grad;
    const double norm = ep->norm;
    const lsnn_real *gb = NULL; /* distributed: every chunk's gradient, in one buffer */
    lsnn_status st = ep_gather(ep, net, batch, learn, &gb);
    if (st)
        return st;
    /* Deterministic reduction in chunk order. */
    double loss = 0, regsum_scale = ep->opts.rate_reg / ((double)batch->B * batch->T);
    for (int ci = 0; ci < nch; ci++) {
        loss += ep->ch[ci].loss;
        out->correct += ep->ch[ci].correct;
        out->total += ep->ch[ci].total;
    }
    out->loss = norm > 0 ? (batch->loss == LSNN_LOSS_MSE ? loss / (net->n_out * norm) : loss / norm)
                         : 0;
    if (!isfinite(out->loss))
        return lsnn_error(LSNN_ERR_NUMERIC, "e-prop: the loss is not finite");
    if (spike_count) {
        memset(spike_count, 0, sizeof(double) * net->n);
        for (int ci = 0; ci < nch; ci++)
            for (int j = 0; j < net->n; j++)
                spike_count[j] += ep->ch[ci].count[j];
    }
    if (!learn)
        return LSNN_OK;
    const size_t np = ep->n_params;
    memcpy(grad, gb ? gb : ep->ch[0].grad, sizeof(lsnn_real) * np);
    for (int ci = 1; ci < nch; ci++) {
        const lsnn_real *g = gb ? gb + np * ci : ep->ch[ci].grad;
        for (size_t k = 0; k < ep->n_params; k++)
            grad[k] += g[k];
    }
    if (ep->opts.rate_reg > 0) {
        /* Every existing incoming synapse of neuron j: c_reg / (B T) sum (f_j(t) - f_target). */
        double *rs = ep->ch[0].regsum;
        for (int ci = 1; ci < nch; ci++)
            for (int j = 0; j < net->n; j++)
                rs[j] += ep->ch[ci].regsum[j];
        for (int p = 0; p < net->n_proj; p++) {
            const lsnn_projection *pr = &net->proj[p];
            if (pr->frozen)
                continue;
            lsnn_real *G = grad + pr->param_off;
            for (int i = 0; i < pr->n_src; i++)
                for (int j = 0; j < pr->n_dst; j++) {
                    size_t q = (size_t)i * pr->n_dst + j;
                    if (pr->mask ? !pr->mask[q]
                                 : (pr->no_self && !pr->src_is_input &&
                                    pr->src_off + i == pr->dst_off + j))
                        continue;
                    G[q] += (lsnn_real)(regsum_scale * rs[pr->dst_off + j]);
                }
        }
    }
    return LSNN_OK;
}

lsnn_status lsnn_eprop_run(lsnn_eprop *ep, const lsnn_net *net, const lsnn_batch *batch,
                           lsnn_real *grad, lsnn_real *y, double *spike_count, int *pred,
                           lsnn_loss_result *out)
{
    memset(out, 0, sizeof *out);
    lsnn_status st = lsnn_eprop_begin(ep, net, batch, grad != NULL);
    if (!st)
        st = lsnn_eprop_advance(ep, net, batch, batch->T, y, pred);
    if (!st)
        st = lsnn_eprop_end(ep, net, batch, grad, spike_count, out);
    return st;
}

/* Backpropagation through time for the networks of lsnn/network.h (seed 000 section 3).
 *
 * The adjoint runs backwards over segments of K steps: each segment is first recomputed forward
 * from its checkpoint (src/net/sim.c), or rebuilt from the records of the forward pass when the
 * workspace has them (lsnn_sim_enable_records), then traversed backwards. For every step t and
 * neuron j:
 *   gz_j(t) = dL/dz_j(t) through the readout, the regularisation and the synapses leaving j
 *   (dL/dI(t+d) of the targets), then the neuron model adds its own reset and adaptation paths and
 *   turns it into dL/dV(t), dL/db(t) with the dampened pseudo-derivative (src/neuron/lif_alif.c).
 * The derivative of the loss with respect to the synaptic current of step t is
 *   gI_j(t) = g_in,j dL/dV_j(t),
 * from which the weight gradients follow: dW_ij += x_i(t) gI_j(t + d - 1) for inputs and
 * dW_ij += z_i(t) gI_j(t + d) for recurrent synapses, summed only over non-zero sources (spikes
 * are sparse). The dense adjoint product gz(t) += W gI(t+1) goes through BLAS over the chunk.
 *
 * Projections on the sparse kernels (lsnn/sparse.h) instead run over their existing synapses:
 * the adjoint as a sparse-times-dense product over the chunk's sequences (see
 * lsnn__syn_backward_sparse), the weight gradients only for the existing synapses of sources
 * that spiked. */
#include <cblas.h>
#include <stdint.h>
#include <string.h>

#include "lsnn/dist.h"
#include "lsnn/sim.h"
#include "core/simd.h"
#include "net/sim_internal.h"

#if LSNN_REAL_IS_DOUBLE
#define LSNN_GEMM cblas_dgemm
#else
#define LSNN_GEMM cblas_sgemm
#endif

#include "learn/bptt_internal.h"

/* The weight gradients of a dense projection without delays from one sequence's non-zero
 * sources: row i of dW += vals[i] g for i = idx[e] - off, e < cnt (each element one product and
 * one sum, in the order of the list; the AVX2 variant only widens the registers). */
LSNN_SIMD_BODY void lsnn__dw_rows_body(lsnn_real *restrict dW, int n_dst, const int *idx, int cnt,
                                       int off, const lsnn_real *restrict vals,
                                       const lsnn_real *restrict g)
{
    for (int e = 0; e < cnt; e++) {
        const int i = idx[e] - off;
        lsnn_real *restrict row = dW + (size_t)i * n_dst;
        const lsnn_real vi = vals[i];
        for (int j = 0; j < n_dst; j++)
            row[j] += vi * g[j];
    }
}
LSNN_SIMD_VARIANTS(lsnn__dw_rows,
                   (lsnn_real *restrict dW, int n_dst, const int *idx, int cnt, int off,
                    const lsnn_real *restrict vals, const lsnn_real *restrict g),
                   (dW, n_dst, idx, cnt, off, vals, g))

/* The same for a dense projection with delays: row i of dW += vals[i] g_j(t + d_ij), where
 * gd[d] points at dL/dI of the slot of delay d (this sequence, the projection's first target).
 * Kept out of line: inside BPTT's step GCC ran out of registers and reloaded the loop's
 * pointers from the stack for every synapse. */
static void lsnn__dw_rows_delayed(lsnn_real *restrict dW, int nd, const int *idx, int cnt, int off,
                                  const lsnn_real *restrict vals, const uint8_t *restrict delay,
                                  const lsnn_real *const *gd)
{
    for (int e = 0; e < cnt; e++) {
        const int i = idx[e] - off;
        const lsnn_real vi = vals[i];
        lsnn_real *restrict row = dW + (size_t)i * nd;
        const uint8_t *restrict d = delay + (size_t)i * nd;
        for (int j = 0; j < nd; j++)
            row[j] += vi * gd[d[j]][j];
    }
}

/* gd[d] for every d < R: dL/dI at slot (tb + d) mod R of the sequence at gb (tb + d < 2R). */
static void lsnn__delay_slots(const lsnn_real *gb, int tb, int R, size_t slot,
                              const lsnn_real **gd)
{
    for (int d = 0; d < R; d++) {
        int sl = tb + d;
        sl -= sl >= R ? R : 0;
        gd[d] = gb + (size_t)sl * slot;
    }
}

/* Where the synapse k of the sparse adjoint reads gIT, sequence offset excluded: its packed
 * offset (sim->sp_off) from the slot of t (delayed, in the mirrored gIT: tb + d < 2R) or of t_nd. */
#define LSNN__SYN_G(k) (gB + off[k])

#define LSNN__SYN_ADJ_SETUP                                                                    \
    const int n = sim->n, R = sim->R, n_src = pr->n_src, CHP = sim->CHP;                       \
    const size_t slot_t = (size_t)n * CHP;                                                     \
    const int32_t *restrict row = pr->sparse.row;                                              \
    const lsnn_real *restrict val = sim->sp_w + pr->param_off;                                 \
    const uint32_t *restrict off = sim->sp_off + pr->param_off;                                \
    /* Delay-free synapses read one slot: t + 1 for recurrent ones, t for feed-forward ones. */ \
    const int t_nd = pr->max_delay == 0 ? t : t + 1;                                           \
    const lsnn_real *gT = c->gIT + (size_t)pr->dst_off * CHP;                                  \
    const lsnn_real *gB = gT + (size_t)(pr->delay ? lsnn__slot0(t, R) : t_nd % R) * slot_t;    \
    (void)n

/* The adjoint part of lsnn__syn_backward_sparse: gz[:, i] += sum over the synapses i -> j of
 * w_ij gI(t + d_ij)[:, j], from the transposed gIT, LSNN__SPB sequences at a time; every
 * sequence sums its synapses in index order. */
static void lsnn__syn_adjoint_sparse(const lsnn_projection *pr, const lsnn_sim *sim,
                                     lsnn__chunk *c, int bc, int t)
{
    LSNN__SYN_ADJ_SETUP;
    for (int i = 0; i < n_src; i++) {
        const int32_t k0 = row[i], k1 = row[i + 1];
        if (k0 == k1)
            continue;
        for (int sb = 0; sb < bc; sb += LSNN__SPB) {
            lsnn_real acc[LSNN__SPB] = {0};
            for (int32_t k = k0; k < k1; k++) {
                const lsnn_real w = val[k];
                const lsnn_real *restrict g = LSNN__SYN_G(k) + sb;
                for (int u = 0; u < LSNN__SPB; u++)
                    acc[u] += w * g[u];
            }
            lsnn__acc_scatter(acc, c->gz + pr->src_off + i, n, sb, bc);
        }
    }
}

#if LSNN_X86_DISPATCH
/* The same with AVX2 registers, two blocks of LSNN__SPB sequences at a time where the chunk has
 * them (four independent float32 accumulators, each synapse's index and weight read once). The
 * same products and sums per sequence in the same order, so the same results. */

/* The chunk's sequences in one register (chunks of at most 8 in float32, a batch of 10 in
 * chunks of 5): four sources at a time, so that four chains of dependent additions run side by
 * side over the synapses all four have, then each source's remaining synapses alone. Every sum
 * still runs over its source's synapses in index order. */
__attribute__((target("avx2"))) static void
lsnn__syn_adjoint_sparse_1reg(const lsnn_projection *pr, const lsnn_sim *sim, lsnn__chunk *c,
                              int bc, int t)
{
    LSNN__SYN_ADJ_SETUP;
    lsnn_real *gz = c->gz + pr->src_off;
    int i = 0;
    for (; i + 4 <= n_src; i += 4) {
        int32_t k[4], m = INT32_MAX;
        for (int r = 0; r < 4; r++) {
            k[r] = row[i + r];
            const int32_t len = row[i + r + 1] - k[r];
            m = len < m ? len : m;
        }
        lsnn__v a[4] = {LSNN__V_ZERO(), LSNN__V_ZERO(), LSNN__V_ZERO(), LSNN__V_ZERO()};
        for (int32_t q = 0; q < m; q++)
            for (int r = 0; r < 4; r++)
                a[r] = LSNN__V_ADD(a[r], LSNN__V_MUL(LSNN__V_SET1(val[k[r] + q]),
                                                     LSNN__V_LOAD(LSNN__SYN_G(k[r] + q))));
        lsnn_real out[4][LSNN__VL];
        for (int r = 0; r < 4; r++) {
            for (int32_t kk = k[r] + m; kk < row[i + r + 1]; kk++)
                a[r] = LSNN__V_ADD(a[r], LSNN__V_MUL(LSNN__V_SET1(val[kk]),
                                                     LSNN__V_LOAD(LSNN__SYN_G(kk))));
            LSNN__V_STORE(out[r], a[r]);
        }
        for (int u = 0; u < bc; u++)
            for (int r = 0; r < 4; r++)
                if (row[i + r + 1] > row[i + r]) /* as the other kernels: no synapse, no sum */
                    gz[(size_t)u * n + i + r] += out[r][u];
    }
    for (; i < n_src; i++) {
        if (row[i + 1] == row[i])
            continue;
        lsnn__v a = LSNN__V_ZERO();
        for (int32_t kk = row[i]; kk < row[i + 1]; kk++)
            a = LSNN__V_ADD(a, LSNN__V_MUL(LSNN__V_SET1(val[kk]), LSNN__V_LOAD(LSNN__SYN_G(kk))));
        lsnn_real out[LSNN__VL];
        LSNN__V_STORE(out, a);
        for (int u = 0; u < bc; u++)
            gz[(size_t)u * n + i] += out[u];
    }
}

__attribute__((target("avx2"))) static void
lsnn__syn_adjoint_sparse_avx2(const lsnn_projection *pr, const lsnn_sim *sim, lsnn__chunk *c,
                              int bc, int t)
{
    LSNN__SYN_ADJ_SETUP;
    if (bc <= LSNN__VL) {
        lsnn__syn_adjoint_sparse_1reg(pr, sim, c, bc, t);
        return;
    }
    for (int i = 0; i < n_src; i++) {
        const int32_t k0 = row[i], k1 = row[i + 1];
        if (k0 == k1)
            continue;
        lsnn_real *gz = c->gz + pr->src_off + i;
        int sb = 0;
        for (; sb + LSNN__SPB < bc; sb += 2 * LSNN__SPB) {
            lsnn__v a[2 * LSNN__VPB];
            for (int r = 0; r < 2 * LSNN__VPB; r++)
                a[r] = LSNN__V_ZERO();
            for (int32_t k = k0; k < k1; k++) {
                const lsnn__v w = LSNN__V_SET1(val[k]);
                const lsnn_real *g = LSNN__SYN_G(k) + sb;
                for (int r = 0; r < 2 * LSNN__VPB; r++)
                    a[r] = LSNN__V_ADD(a[r], LSNN__V_MUL(w, LSNN__V_LOAD(g + r * LSNN__VL)));
            }
            lsnn_real out[2 * LSNN__SPB];
            for (int r = 0; r < 2 * LSNN__VPB; r++)
                LSNN__V_STORE(out + r * LSNN__VL, a[r]);
            lsnn__acc_scatter(out, gz, n, sb, bc);
            lsnn__acc_scatter(out + LSNN__SPB, gz, n, sb + LSNN__SPB, bc);
        }
        for (; sb < bc; sb += LSNN__SPB) {
            lsnn__v a[LSNN__VPB];
            for (int r = 0; r < LSNN__VPB; r++)
                a[r] = LSNN__V_ZERO();
            for (int32_t k = k0; k < k1; k++) {
                const lsnn__v w = LSNN__V_SET1(val[k]);
                const lsnn_real *g = LSNN__SYN_G(k) + sb;
                for (int r = 0; r < LSNN__VPB; r++)
                    a[r] = LSNN__V_ADD(a[r], LSNN__V_MUL(w, LSNN__V_LOAD(g + r * LSNN__VL)));
            }
            lsnn_real out[LSNN__SPB];
            for (int r = 0; r < LSNN__VPB; r++)
                LSNN__V_STORE(out + r * LSNN__VL, a[r]);
            lsnn__acc_scatter(out, gz, n, sb, bc);
        }
    }
}
#endif

/* The spiking neurons of sequence s at the step being differentiated that lie in [lo, hi), from
 * the list lsnn__chunk_backward builds once per step (c->zl, increasing): returns the first and
 * sets *cnt. The entries are absolute neuron indices. */
static inline const int *lsnn__zlist(const lsnn__chunk *c, int n, int s, int lo, int hi, int *cnt)
{
    const int *l = c->zl + (size_t)s * n;
    int a = 0, m = c->zn[s];
    while (a < m && l[a] < lo)
        a++;
    int e = a;
    while (e < m && l[e] < hi)
        e++;
    *cnt = e - a;
    return l + a;
}

/* Sparse lsnn__rec_backward (delays > 0) and lsnn__ff_backward (delay 0, arrival in step t):
 * gz[:, i] += sum over the synapses i -> j of w_ij gI(t + d_ij)[:, j] for every source i, and
 * the weight gradients of the existing synapses of the sources that spiked, into the packed
 * c->sp_g. The weights and delays are the packed ones of the workspace.
 *
 * The adjoint is a sparse-times-dense product over the chunk's sequences: it reads dL/dI from
 * the transposed copy c->gIT ((n, CHP) per slot), where the sequences of one target neuron are
 * contiguous, so that each synapse updates LSNN__SPB sequences at once in vector registers.
 * (Gathering dL/dI of each sequence at a source's targets instead, even restricted to the
 * sources whose pseudo-derivative is non-zero, costs a scalar load and a dependent addition per
 * synapse and sequence, and was slower than the dense product: docs/PERFORMANCE.md.) dW sums in
 * the dense path's order (sequences, then sources, each synapse once per spike). */
static void lsnn__syn_backward_sparse(const lsnn_projection *pr, const lsnn_sim *sim,
                                      lsnn__chunk *c, int bc, int t, const lsnn_real *z)
{
    const int n = sim->n, R = sim->R, n_src = pr->n_src;
    const size_t slot = (size_t)sim->CH * n;
    const int32_t *restrict row = pr->sparse.row, *restrict col = pr->sparse.col;
    const uint8_t *restrict dly = sim->sp_d + pr->param_off;
    lsnn_real *restrict dW = c->sp_g + pr->param_off;
    const int delayed = pr->delay != NULL;
    const int t_nd = pr->max_delay == 0 ? t : t + 1;
    const int tb = lsnn__slot0(t, R);
    if (!sim->cut_recurrent) {
#if LSNN_X86_DISPATCH
        if (lsnn__have_avx2())
            lsnn__syn_adjoint_sparse_avx2(pr, sim, c, bc, t);
        else
#endif
            lsnn__syn_adjoint_sparse(pr, sim, c, bc, t);
    }
    if (pr->frozen)
        return;
    for (int s = 0; s < bc; s++) {
        const size_t so = (size_t)s * n;
        const lsnn_real *restrict g1 = c->gI + (size_t)(t_nd % R) * slot + so + pr->dst_off;
        const lsnn_real *restrict gb = c->gI + so + pr->dst_off;
        const lsnn_real *zs = z + so + pr->src_off;
        int ns;
        const int *zl = lsnn__zlist(c, n, s, pr->src_off, pr->src_off + n_src, &ns);
        for (int e = 0; e < ns; e++) {
            const int i = zl[e] - pr->src_off;
            const lsnn_real zi = zs[i];
            if (!delayed) {
                for (int32_t k = row[i]; k < row[i + 1]; k++)
                    dW[k] += zi * g1[col[k]];
            } else {
                for (int32_t k = row[i]; k < row[i + 1]; k++) {
                    int sl = tb + dly[k];
                    sl -= sl >= R ? R : 0;
                    dW[k] += zi * gb[(size_t)sl * slot + col[k]];
                }
            }
        }
    }
}

/* Whether projection pr runs on the sparse kernels in this backward pass. */
static int lsnn__sparse_on(const lsnn_projection *pr, const lsnn_sim *sim)
{
    return pr->sparse.use && sim->packed;
}

/* Recurrent projection pr: adjoint into gz of its sources, and weight gradients. */
static void lsnn__rec_backward(const lsnn_projection *pr, int p, const lsnn_sim *sim,
                               lsnn__chunk *c, int bc, int t,
                               const lsnn_real *z /* (CH, n) at t */)
{
    if (lsnn__sparse_on(pr, sim)) {
        lsnn__syn_backward_sparse(pr, sim, c, bc, t, z);
        return;
    }
    const int n = sim->n, R = sim->R;
    const size_t slot = (size_t)sim->CH * n;
    lsnn_real *dW = c->grad + pr->param_off;
    if (!pr->delay) {
        const lsnn_real *g1 = c->gI + (size_t)((t + 1) % R) * slot;
        /* gz[:, src] += gI(t+1)[:, dst] W^T, W (n_src, n_dst) row-major. */
        if (!sim->cut_recurrent)
            LSNN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, pr->n_src, pr->n_dst, 1,
                  g1 + pr->dst_off, n, pr->w, pr->n_dst, 1, c->gz + pr->src_off, n);
        if (pr->frozen)
            return;
        for (int s = 0; s < bc; s++) {
            const lsnn_real *zs = z + (size_t)s * n + pr->src_off;
            const lsnn_real *gs = g1 + (size_t)s * n + pr->dst_off;
            int ns;
            const int *zl = lsnn__zlist(c, n, s, pr->src_off, pr->src_off + pr->n_src, &ns);
            LSNN_SIMD_CALL(lsnn__dw_rows, (dW, pr->n_dst, zl, ns, pr->src_off, zs, gs));
        }
        return;
    }
    /* With delays: the adjoint (src/learn/bptt_delay.c, from the transposed gIT); the weight
     * gradients of the sources that spiked, dL/dI of slot (t + d) mod R through a table of the
     * step's slots (lsnn__delay_slots), no division or wrap per synapse. */
    const int tb = lsnn__slot0(t, R);
    if (!sim->cut_recurrent)
        lsnn__dl_adjoint_run(pr, p, sim, c, bc, t);
    if (pr->frozen)
        return;
    const lsnn_real *gd[256]; /* d < R <= 256 */
    for (int s = 0; s < bc; s++) {
        const size_t so = (size_t)s * n;
        lsnn__delay_slots(c->gI + so + pr->dst_off, tb, R, slot, gd);
        int ns;
        const int *zl = lsnn__zlist(c, n, s, pr->src_off, pr->src_off + pr->n_src, &ns);
        lsnn__dw_rows_delayed(dW, pr->n_dst, zl, ns, pr->src_off, z + so + pr->src_off, pr->delay,
                              gd);
    }
}

/* Feed-forward projection pr between layers (spikes of step t arrive in step t): adjoint into
 * gz of its sources from dL/dI(t) of its targets, and weight gradients. */
static void lsnn__ff_backward(const lsnn_projection *pr, const lsnn_sim *sim, lsnn__chunk *c,
                              int bc, int t, const lsnn_real *z /* (CH, n) at t */)
{
    if (lsnn__sparse_on(pr, sim)) {
        lsnn__syn_backward_sparse(pr, sim, c, bc, t, z);
        return;
    }
    const int n = sim->n;
    const lsnn_real *g0 = c->gI + (size_t)(t % sim->R) * sim->CH * n;
    if (!sim->cut_recurrent)
        LSNN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, pr->n_src, pr->n_dst, 1,
                  g0 + pr->dst_off, n, pr->w, pr->n_dst, 1, c->gz + pr->src_off, n);
    if (pr->frozen)
        return;
    lsnn_real *dW = c->grad + pr->param_off;
    for (int s = 0; s < bc; s++) {
        const lsnn_real *zs = z + (size_t)s * n + pr->src_off;
        const lsnn_real *gs = g0 + (size_t)s * n + pr->dst_off;
        int ns;
        const int *zl = lsnn__zlist(c, n, s, pr->src_off, pr->src_off + pr->n_src, &ns);
        LSNN_SIMD_CALL(lsnn__dw_rows, (dW, pr->n_dst, zl, ns, pr->src_off, zs, gs));
    }
}

/* Input projection pr: weight gradients dW_ij += x_i(t) gI_j(t + d - 1). */
static void lsnn__in_backward(const lsnn_projection *pr, const lsnn_sim *sim, lsnn__chunk *c,
                              const lsnn_batch *batch, int g0, int bc, int t)
{
    if (pr->frozen)
        return;
    const int n = sim->n, R = sim->R;
    const size_t slot = (size_t)sim->CH * n;
    lsnn_real *dW = c->grad + pr->param_off;
    for (int s = 0; s < bc; s++) {
        const size_t so = (size_t)s * n;
        const lsnn_real *x = batch->x + ((size_t)(g0 + s) * batch->T + t) * batch->n_in +
                             pr->src_off;
        int nx = lsnn__nonzero(x, pr->n_src, c->idx);
        if (lsnn__sparse_on(pr, sim)) {
            /* The same over the existing synapses (lsnn/sparse.h), into the packed c->sp_g. */
            const int32_t *restrict rw = pr->sparse.row, *restrict col = pr->sparse.col;
            const uint8_t *restrict dly = sim->sp_d + pr->param_off;
            lsnn_real *restrict dw = c->sp_g + pr->param_off;
            const lsnn_real *restrict g = c->gI + (size_t)(t % R) * slot + so + pr->dst_off;
            const lsnn_real *restrict gb = c->gI + so + pr->dst_off;
            const int tb = lsnn__slot0(t - 1, R);
            for (int e = 0; e < nx; e++) {
                const int i = c->idx[e];
                const lsnn_real xi = x[i];
                if (!pr->delay) {
                    for (int32_t k = rw[i]; k < rw[i + 1]; k++)
                        dw[k] += xi * g[col[k]];
                    continue;
                }
                for (int32_t k = rw[i]; k < rw[i + 1]; k++) {
                    int sl = tb + dly[k];
                    sl -= sl >= R ? R : 0;
                    dw[k] += xi * gb[(size_t)sl * slot + col[k]];
                }
            }
            continue;
        }
        if (!pr->delay) {
            const lsnn_real *g = c->gI + (size_t)(t % R) * slot + so + pr->dst_off;
            LSNN_SIMD_CALL(lsnn__dw_rows, (dW, pr->n_dst, c->idx, nx, 0, x, g));
            continue;
        }
        /* slot (t + d - 1) mod R */
        const lsnn_real *gd[256];
        lsnn__delay_slots(c->gI + so + pr->dst_off, lsnn__slot0(t - 1, R), R, slot, gd);
        lsnn__dw_rows_delayed(dW, pr->n_dst, c->idx, nx, 0, x, pr->delay, gd);
    }
}

/* gz(s, :) = gz_const + (1 - kappa) gyw(s, :) W_out^T for sequences s < bc: dL/dz through the
 * regularisation and the readout. W_out^T (n_out, n) is copied once per backward pass; a matrix
 * product with an inner dimension of a few outputs would spend its time packing operands. Blocks
 * of LSNN__RB neurons are accumulated in registers over the outputs (in output order) and stored
 * once, instead of one pass over gz per output. */
#define LSNN__RB 16
static void lsnn__readout_adjoint(int bc, int n, int n_out, lsnn_real omk,
                                  const lsnn_real *gyw_all, const lsnn_real *wt,
                                  const lsnn_real *gz_const, lsnn_real *gz_all)
{
    for (int s = 0; s < bc; s++) {
        const lsnn_real *gyw = gyw_all + (size_t)s * n_out;
        lsnn_real *restrict gz = gz_all + (size_t)s * n;
        int j0 = 0;
        for (; j0 + LSNN__RB <= n; j0 += LSNN__RB) {
            lsnn_real acc[LSNN__RB];
            for (int u = 0; u < LSNN__RB; u++)
                acc[u] = gz_const ? gz_const[j0 + u] : 0;
            for (int k = 0; k < n_out; k++) {
                const lsnn_real a = omk * gyw[k];
                const lsnn_real *restrict wk = wt + (size_t)k * n + j0;
                for (int u = 0; u < LSNN__RB; u++)
                    acc[u] += a * wk[u];
            }
            for (int u = 0; u < LSNN__RB; u++)
                gz[j0 + u] = acc[u];
        }
        for (int j = j0; j < n; j++) {
            lsnn_real acc = gz_const ? gz_const[j] : 0;
            for (int k = 0; k < n_out; k++)
                acc += omk * gyw[k] * wt[(size_t)k * n + j];
            gz[j] = acc;
        }
    }
}

#if LSNN_X86_DISPATCH
/* The same with AVX2 registers, the same operations per element. */
__attribute__((target("avx2"))) static void
lsnn__readout_adjoint_avx2(int bc, int n, int n_out, lsnn_real omk, const lsnn_real *gyw_all,
                           const lsnn_real *wt, const lsnn_real *gz_const, lsnn_real *gz_all)
{
    enum { NV = LSNN__RB / LSNN__VL };
    for (int s = 0; s < bc; s++) {
        const lsnn_real *gyw = gyw_all + (size_t)s * n_out;
        lsnn_real *gz = gz_all + (size_t)s * n;
        int j0 = 0;
        for (; j0 + LSNN__RB <= n; j0 += LSNN__RB) {
            lsnn__v acc[NV];
            for (int r = 0; r < NV; r++)
                acc[r] = gz_const ? LSNN__V_LOAD(gz_const + j0 + r * LSNN__VL) : LSNN__V_ZERO();
            for (int k = 0; k < n_out; k++) {
                const lsnn__v a = LSNN__V_SET1(omk * gyw[k]);
                const lsnn_real *wk = wt + (size_t)k * n + j0;
                for (int r = 0; r < NV; r++)
                    acc[r] = LSNN__V_ADD(acc[r], LSNN__V_MUL(a, LSNN__V_LOAD(wk + r * LSNN__VL)));
            }
            for (int r = 0; r < NV; r++)
                LSNN__V_STORE(gz + j0 + r * LSNN__VL, acc[r]);
        }
        for (; j0 + LSNN__VL <= n; j0 += LSNN__VL) {
            lsnn__v acc = gz_const ? LSNN__V_LOAD(gz_const + j0) : LSNN__V_ZERO();
            for (int k = 0; k < n_out; k++)
                acc = LSNN__V_ADD(acc, LSNN__V_MUL(LSNN__V_SET1(omk * gyw[k]),
                                                   LSNN__V_LOAD(wt + (size_t)k * n + j0)));
            LSNN__V_STORE(gz + j0, acc);
        }
        for (int j = j0; j < n; j++) {
            lsnn_real acc = gz_const ? gz_const[j] : 0;
            for (int k = 0; k < n_out; k++)
                acc += omk * gyw[k] * wt[(size_t)k * n + j];
            gz[j] = acc;
        }
    }
}
#endif

static void lsnn__chunk_backward(lsnn_sim *sim, const lsnn_net *net, lsnn__chunk *c,
                                 const lsnn_batch *batch, int g0, int bc, const lsnn_real *gy,
                                 const lsnn_real *gz_const)
{
    const int n = net->n, n_out = net->n_out, R = sim->R, T = sim->T;
    const size_t CHn = (size_t)sim->CH * n;
    const lsnn_real kappa = net->kappa, omk = net->readout_gain;
    const int has_noise = lsnn__net_has_noise(net);
#if LSNN_X86_DISPATCH
    const int avx2 = lsnn__have_avx2();
#endif
    /* The sparse adjoint reads the transposed dL/dI (lsnn__syn_backward_sparse). */
    int need_t = 0, mirror = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        /* the delayed adjoints, dense and sparse, read it mirrored */
        mirror |= pr->delay && !pr->src_is_input && !sim->cut_recurrent;
        if (!lsnn__sparse_on(pr, sim))
            continue;
        need_t |= !pr->src_is_input && !sim->cut_recurrent;
        memset(c->sp_g + pr->param_off, 0, sizeof(lsnn_real) * (size_t)pr->sparse.nnz);
    }
    const size_t slot_t = (size_t)n * sim->CHP;
    need_t |= mirror;
    if (need_t)
        memset(c->gIT, 0, sizeof(lsnn_real) * slot_t * (mirror ? 2 : 1) * R);
    lsnn_real *dWout = c->grad + (net->w_out - net->params);
    lsnn_real *dbout = c->grad + (net->b_out - net->params);
    lsnn_real *dnoise = c->grad + (net->noise_std - net->params);

    memset(c->grad, 0, sizeof(lsnn_real) * net->n_params);
    memset(c->gv, 0, sizeof(lsnn_real) * CHn);
    memset(c->gb, 0, sizeof(lsnn_real) * CHn);
    memset(c->gI, 0, sizeof(lsnn_real) * CHn * R);
    memset(c->gyw, 0, sizeof(lsnn_real) * sim->CH * n_out);
    for (int j = 0; j < n; j++)
        for (int k = 0; k < n_out; k++)
            c->w_out_t[(size_t)k * n + j] = net->w_out[(size_t)j * n_out + k];

    /* With records of the forward pass (lsnn_sim_enable_records), a segment is rebuilt from its
     * checkpoint and the recorded potentials by the models' replay; without, re-simulated. */
    const int replay = sim->rec_valid && !net->smooth;
    for (int seg = sim->ncp - 1; seg >= 0; seg--) {
        const int t0 = seg * sim->K;
        const int t1 = t0 + sim->K < T ? t0 + sim->K : T;
        lsnn__chunk_restore(sim, c, seg);
        const lsnn_real *rec_v = replay ? c->recv + (size_t)t0 * CHn : c->rec_v;
        for (int t = t0; t < t1; t++) {
            size_t o = (size_t)(t - t0) * CHn;
            if (replay) {
                for (int s = 0; s < bc; s++) {
                    for (int p = 0; p < net->n_pop; p++) {
                        const lsnn_population *po = &net->pop[p];
                        const size_t so = (size_t)s * n + po->off;
                        lsnn_neuron_state st = {.v = c->v + so, .b = c->b + so, .z = c->z + so,
                                                .hard = c->hard + so, .ref = c->ref + so};
                        po->model->replay(po->consts, 0, po->count, &st, rec_v + o + so);
                    }
                }
            } else {
                lsnn__chunk_step(sim, net, c, batch, g0, bc, t, NULL, NULL, has_noise);
                memcpy(c->rec_v + o, c->v, sizeof(lsnn_real) * CHn);
            }
            memcpy(c->rec_b + o, c->b, sizeof(lsnn_real) * CHn);
            memcpy(c->rec_z + o, c->z, sizeof(lsnn_real) * CHn);
            memcpy(c->rec_ref + o, c->ref, sizeof(lsnn_real) * CHn);
        }
        for (int t = t1 - 1; t >= t0; t--) {
            const size_t o = (size_t)(t - t0) * CHn;
            const lsnn_real *rz = c->rec_z + o;
            for (int s = 0; s < bc && t > 0; s++)
                lsnn__prefetch(lsnn_batch_x(batch, g0 + s, t - 1), sizeof(lsnn_real) * batch->n_in);
            /* The spiking neurons of each sequence, once for the readout and every projection. */
            for (int s = 0; s < bc; s++)
                c->zn[s] = lsnn__nonzero(rz + (size_t)s * n, n, c->zl + (size_t)s * n);
            /* 1. Readout: y(t) = W_out^T zeta(t) + b, zeta(t) = kappa zeta(t-1) + (1-kappa) z(t).
             * gyw(t) = dL/dy(t) + kappa gyw(t+1) is the adjoint of the filtered readout. */
            for (int s = 0; s < bc; s++) {
                const lsnn_real *gys = gy + ((size_t)(g0 + s) * T + t) * n_out;
                lsnn_real *gyw = c->gyw + (size_t)s * n_out;
                for (int k = 0; k < n_out; k++) {
                    gyw[k] = gys[k] + kappa * gyw[k];
                    dbout[k] += gys[k];
                }
                const lsnn_real *zs = rz + (size_t)s * n;
                const int *zl = c->zl + (size_t)s * n;
                for (int e = 0; e < c->zn[s]; e++) {
                    const int j = zl[e];
                    lsnn_real *restrict dwo = dWout + (size_t)j * n_out;
                    for (int k = 0; k < n_out; k++)
                        dwo[k] += omk * zs[j] * gyw[k];
                }
            }
#if LSNN_X86_DISPATCH
            if (avx2)
                lsnn__readout_adjoint_avx2(bc, n, n_out, omk, c->gyw, c->w_out_t, gz_const, c->gz);
            else
#endif
                lsnn__readout_adjoint(bc, n, n_out, omk, c->gyw, c->w_out_t, gz_const, c->gz);
            /* 2. Synapses leaving the neurons. */
            for (int p = 0; p < net->n_proj; p++)
                if (!net->proj[p].src_is_input && net->proj[p].max_delay > 0)
                    lsnn__rec_backward(&net->proj[p], p, sim, c, bc, t, rz);
            /* 3. Neuron adjoints and 4. dL/dI(t), layer by layer from the top: a layer's dL/dI(t)
             * reaches the layer below through the feed-forward synapses of the same step. */
            lsnn_real *gIt = c->gI + (size_t)(t % R) * CHn;
            for (int L = net->n_layers - 1; L >= 0; L--) {
                for (int p = 0; p < net->n_proj && L + 1 < net->n_layers; p++) {
                    const lsnn_projection *pr = &net->proj[p];
                    if (pr->max_delay == 0 && pr->dst_layer == L + 1)
                        lsnn__ff_backward(pr, sim, c, bc, t, rz);
                }
                for (int s = 0; s < bc; s++) {
                    const size_t so = (size_t)s * n;
                    for (int p = 0; p < net->n_pop; p++) {
                        const lsnn_population *po = &net->pop[p];
                        if (po->layer != L)
                            continue;
                        const size_t sp = so + po->off;
                        lsnn_neuron_adjoint adj = {c->gv + sp, c->gb + sp};
                        po->model->backward_step(po->consts, 0, po->count, rec_v + o + sp,
                                                 c->rec_b + o + sp, rz + sp, c->rec_ref + o + sp,
                                                 c->gz + sp, &adj, net->gamma);
                        lsnn_real *restrict gi = gIt + so;
                        const lsnn_real *restrict gv = c->gv + so, *restrict gin = net->g_in;
                        for (int j = po->off; j < po->off + po->count; j++)
                            gi[j] = gin[j] * gv[j];
                        if (!need_t)
                            continue;
                        lsnn_real *restrict gt = c->gIT + (size_t)(t % R) * slot_t + s;
                        for (int j = po->off; j < po->off + po->count; j++)
                            gt[(size_t)j * sim->CHP] = gi[j];
                        if (!mirror) /* the delayed adjoints' copy at t % R + R */
                            continue;
                        lsnn_real *restrict gm = gt + (size_t)R * slot_t;
                        for (int j = po->off; j < po->off + po->count; j++)
                            gm[(size_t)j * sim->CHP] = gi[j];
                    }
                }
            }
            /* 5. noise std: the draws of the forward pass, recorded with v or drawn again. */
            const lsnn_real *nrec = replay && c->recn ? c->recn + (size_t)t * CHn : NULL;
            for (int s = 0; s < bc && has_noise; s++) {
                const size_t so = (size_t)s * n;
                const uint64_t key3 =
                    nrec ? 0 : lsnn_hash_key3(batch->noise_key, (uint64_t)(g0 + s), (uint64_t)t);
                for (int j = 0; j < n; j++)
                    if (net->noise_std[j] != 0)
                        dnoise[j] += gIt[so + j] *
                                     (nrec ? nrec[so + j]
                                           : (lsnn_real)lsnn_noise_normal(net->noise_draw,
                                                                          key3, j));
            }
            /* 6. Input synapses. */
            for (int p = 0; p < net->n_proj; p++)
                if (net->proj[p].src_is_input)
                    lsnn__in_backward(&net->proj[p], sim, c, batch, g0, bc, t);
        }
    }
    /* The packed weight gradients of the sparse projections into their dense places. */
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        if (!lsnn__sparse_on(pr, sim) || pr->frozen)
            continue;
        const lsnn_real *restrict g = c->sp_g + pr->param_off;
        lsnn_real *restrict dW = c->grad + pr->param_off;
        for (int i = 0; i < pr->n_src; i++)
            for (int32_t k = pr->sparse.row[i]; k < pr->sparse.row[i + 1]; k++)
                dW[(size_t)i * pr->n_dst + pr->sparse.col[k]] = g[k];
    }
}

lsnn_status lsnn_bptt_backward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                               const lsnn_real *gy, const lsnn_real *gz_const, lsnn_real *grad)
{
    if (sim->fwd_batch != batch)
        return lsnn_error(LSNN_ERR_ARG, "bptt: lsnn_sim_forward must run on this batch first");
    const int fo = lsnn_net_forward_only(net);
    if (fo >= 0)
        return lsnn_error(LSNN_ERR_UNSUPPORTED, "bptt: population '%s' uses the neuron model "
                          "'%s', which is for simulation only (no gradient)", net->pop[fo].name,
                          net->pop[fo].model->name);
    const int nch = (batch->B + sim->CH - 1) / sim->CH;
    lsnn__sparse_pack(sim, net);
    lsnn__dl_prepare(sim, net);
    int c0, c1;
    lsnn__sim_own_chunks(sim, nch, &c0, &c1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = c0; ci < c1; ci++) {
        const int g0 = ci * sim->CH;
        const int bc = batch->B - g0 < sim->CH ? batch->B - g0 : sim->CH;
        lsnn__chunk_backward(sim, net, &sim->ch[ci], batch, g0, bc, gy, gz_const);
    }
    sim->packed = 0;
    const size_t np = net->n_params;
    /* the other processes' chunks' gradients (lsnn_sim_set_dist) */
    lsnn_real *gb = NULL;
    if (sim->dist) {
        if (!(gb = lsnn__sim_dist_buf(sim, sizeof(lsnn_real) * np * (size_t)nch)))
            return lsnn_error(LSNN_ERR_NOMEM, "bptt: out of memory (distributed pass)");
        for (int ci = c0; ci < c1; ci++)
            memcpy(gb + np * ci, sim->ch[ci].grad, sizeof(lsnn_real) * np);
        lsnn_status st = lsnn_dist_gather_rows(sim->dist, gb, sizeof(lsnn_real) * np, nch, 1, nch);
        if (st)
            return st;
    }
    /* Deterministic reduction: chunk order is fixed whatever the number of threads. */
    memcpy(grad, gb ? gb : sim->ch[0].grad, sizeof(lsnn_real) * np);
    for (int ci = 1; ci < nch; ci++) {
        const lsnn_real *g = gb ? gb + np * ci : sim->ch[ci].grad;
#pragma omp parallel for schedule(static)
        for (size_t k = 0; k < np; k++)
            grad[k] += g[k];
    }
    return LSNN_OK;
}

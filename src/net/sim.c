/* Forward simulation of a batch: event-driven spike propagation with delays (see lsnn/sim.h). */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/simd.h"
#include "lsnn/dist.h"
#include "lsnn/sim.h"
#include "net/sim_internal.h"

lsnn_status lsnn_batch_init(lsnn_batch *b, int B, int T, int n_in, int n_out,
                            lsnn_loss_kind loss, int max_windows)
{
    return lsnn_batch_init_streamed(b, B, T, n_in, n_out, loss, max_windows, T);
}

lsnn_status lsnn_batch_init_streamed(lsnn_batch *b, int B, int T, int n_in, int n_out,
                                     lsnn_loss_kind loss, int max_windows, int x_nt)
{
    memset(b, 0, sizeof *b);
    if (B < 1 || T < 1 || n_in < 1 || n_out < 1 || max_windows < 0 || x_nt < 1 || x_nt > T)
        return lsnn_error(LSNN_ERR_ARG, "batch: invalid shape B=%d T=%d n_in=%d n_out=%d", B, T,
                          n_in, n_out);
    b->B = B;
    b->T = T;
    b->n_in = n_in;
    b->n_out = n_out;
    b->loss = loss;
    b->max_windows = max_windows;
    b->x_t0 = 0;
    b->x_nt = x_nt;
    b->x = calloc((size_t)B * x_nt * n_in, sizeof(lsnn_real));
    b->n_windows = calloc((size_t)B, sizeof(int));
    b->windows = calloc((size_t)B * (max_windows > 0 ? max_windows : 1), sizeof(lsnn_window));
    int ok = b->x && b->n_windows && b->windows;
    if (loss == LSNN_LOSS_MSE) {
        b->y_target = calloc((size_t)B * T * n_out, sizeof(lsnn_real));
        b->y_weight = calloc((size_t)B * T, sizeof(lsnn_real));
        ok = ok && b->y_target && b->y_weight;
    }
    if (lsnn_loss_has_window_targets(loss)) {
        b->w_target = calloc((size_t)B * (max_windows > 0 ? max_windows : 1) * n_out,
                             sizeof(lsnn_real));
        ok = ok && b->w_target;
    }
    if (!ok) {
        lsnn_batch_free(b);
        return lsnn_error(LSNN_ERR_NOMEM, "batch: cannot allocate %d x %d x %d inputs", B, T, n_in);
    }
    return LSNN_OK;
}

void lsnn_batch_free(lsnn_batch *b)
{
    free(b->x);
    free(b->n_windows);
    free(b->windows);
    free(b->y_target);
    free(b->y_weight);
    free(b->w_target);
    memset(b, 0, sizeof *b);
}

int lsnn_chunk_size(int B)
{
    int ch = (B + 7) / 8;
    return ch < 16 ? 16 : ch > 64 ? 64 : ch;
}


static void lsnn__sim_layout(lsnn_sim *s, lsnn__arena *a)
{
    size_t CH = s->CH, n = (size_t)s->n, no = (size_t)s->n_out, R = (size_t)s->R;
    size_t K = (size_t)s->K, ncp = (size_t)s->ncp, rs = sizeof(lsnn_real);
    s->sp_w = s->sp_cap ? lsnn__take(a, rs * s->sp_cap) : NULL;
    s->sp_d = s->sp_cap ? lsnn__take(a, s->sp_cap) : NULL;
    s->sp_off = s->sp_cap ? lsnn__take(a, sizeof(uint32_t) * s->sp_cap) : NULL;
    s->sp_ring = s->sp_cap ? lsnn__take(a, sizeof(uint32_t) * s->sp_cap) : NULL;
    s->dl_wT = s->dl_perm ? lsnn__take(a, rs * s->dl_size) : NULL;
    s->dl_dT = s->dl_perm ? lsnn__take(a, s->dl_size) : NULL;
    for (int i = 0; i < s->nchunks; i++) {
        lsnn__chunk *c = &s->ch[i];
        c->v = lsnn__take(a, rs * CH * n);
        c->b = lsnn__take(a, rs * CH * n);
        c->z = lsnn__take(a, rs * CH * n);
        c->aux = s->n_aux ? lsnn__take(a, rs * (size_t)s->n_aux * CH * n) : NULL;
        c->hard = lsnn__take(a, CH * n);
        c->ref = lsnn__take(a, sizeof(lsnn_real) * CH * n);
        c->ring = lsnn__take(a, rs * R * CH * n);
        c->yw = lsnn__take(a, rs * CH * no);
        c->cp = lsnn__take(a, rs * ncp * s->cp_reals);
        c->cp_hard = lsnn__take(a, ncp * CH * n);
        c->cp_ref = lsnn__take(a, sizeof(lsnn_real) * ncp * CH * n);
        c->rec_v = lsnn__take(a, rs * K * CH * n);
        c->rec_b = lsnn__take(a, rs * K * CH * n);
        c->rec_z = lsnn__take(a, rs * K * CH * n);
        c->rec_ref = lsnn__take(a, sizeof(lsnn_real) * K * CH * n);
        c->gv = lsnn__take(a, rs * CH * n);
        c->gb = lsnn__take(a, rs * CH * n);
        c->gz = lsnn__take(a, rs * CH * n);
        c->gI = lsnn__take(a, rs * R * CH * n);
        c->gyw = lsnn__take(a, rs * CH * no);
        c->w_out_t = lsnn__take(a, rs * no * n);
        c->grad = lsnn__take(a, rs * (size_t)s->n_params);
        c->count = lsnn__take(a, sizeof(double) * n);
        c->idx = lsnn__take(a, sizeof(int) * (size_t)(s->n > s->n_in ? s->n : s->n_in));
        c->zl = lsnn__take(a, sizeof(int) * CH * n);
        c->zn = lsnn__take(a, sizeof(int) * CH);
        c->gIT = s->sp_cap || s->dl_dense ? lsnn__take(a, rs * 2 * R * n * (size_t)s->CHP)
                                          : NULL;
        c->sp_g = s->sp_cap ? lsnn__take(a, rs * s->sp_cap) : NULL;
        c->dl_G = s->dl_perm ? lsnn__take(a, rs * (size_t)s->dl_nd_max * CH * 8) : NULL;
    }
}

lsnn_sim *lsnn_sim_create(const lsnn_net *net, int B, int T, lsnn_status *status)
{
    return lsnn_sim_create_chunked(net, B, T, 0, status);
}

lsnn_sim *lsnn_sim_create_chunked(const lsnn_net *net, int B, int T, int chunk,
                                  lsnn_status *status)
{
    lsnn_status dummy;
    if (!status)
        status = &dummy;
    if (B < 1 || T < 1) {
        *status = lsnn_error(LSNN_ERR_ARG, "simulation: batch %d x %d steps is empty", B, T);
        return NULL;
    }
    if (chunk < 0) {
        *status = lsnn_error(LSNN_ERR_ARG, "simulation: chunk size %d is negative", chunk);
        return NULL;
    }
    lsnn_sim *s = calloc(1, sizeof *s);
    if (!s) {
        *status = lsnn_error(LSNN_ERR_NOMEM, "simulation: out of memory");
        return NULL;
    }
    s->Bmax = B;
    s->trace_seqs = 1;
    s->CH = chunk ? (chunk < B ? chunk : B) : lsnn_chunk_size(B);
    s->CHP = (s->CH + LSNN__SPB - 1) / LSNN__SPB * LSNN__SPB;
    s->T = T;
    s->n = net->n;
    s->n_out = net->n_out;
    s->n_in = net->n_in;
    s->n_params = (int)net->n_params;
    s->R = net->max_delay + 1;
    s->K = (int)ceil(sqrt((double)T));
    if (s->K < 1)
        s->K = 1;
    s->ncp = (T + s->K - 1) / s->K;
    s->nchunks = (B + s->CH - 1) / s->CH;
    for (int p = 0; p < net->n_pop; p++)
        if (net->pop[p].model->n_aux > s->n_aux)
            s->n_aux = net->pop[p].model->n_aux;
    s->cp_reals = (size_t)s->CH * net->n * (3 + s->R + (size_t)s->n_aux) +
                  (size_t)s->CH * net->n_out;
    for (int p = 0; p < net->n_proj; p++) {
        if (net->proj[p].sparse.row)
            s->sp_cap = (size_t)(net->w_out - net->params);
        if (net->proj[p].delay && !net->proj[p].src_is_input)
            s->dl_dense = 1;
    }
    if (s->sp_cap && (uint64_t)2 * (uint64_t)s->R * (uint64_t)s->n *
                             (uint64_t)(s->CHP > s->CH ? s->CHP : s->CH) > UINT32_MAX) {
        /* sp_off and sp_ring index a chunk's gIT (2R slots of n x CHP) and ring in 32 bits */
        *status = lsnn_error(LSNN_ERR_ARG,
                             "simulation: %d neurons x %d delay slots x chunks of %d sequences "
                             "exceed the 32-bit offsets of the packed sparse synapses (use a "
                             "smaller chunk)",
                             s->n, 2 * s->R, s->CH);
        free(s);
        return NULL;
    }
    /* The adjoint by permutation where it applies (see sim_internal.h). */
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        s->dl_off[p] = SIZE_MAX;
        if (LSNN_REAL_IS_DOUBLE || s->CH > 8 || !pr->delay || pr->src_is_input ||
            pr->max_delay - pr->min_delay >= 8)
            continue;
        s->dl_ns8[p] = (pr->n_src + 7) / 8 * 8;
        s->dl_off[p] = s->dl_size;
        s->dl_size += (size_t)pr->n_dst * s->dl_ns8[p];
        s->dl_nd_max = pr->n_dst > s->dl_nd_max ? pr->n_dst : s->dl_nd_max;
        s->dl_perm = 1;
    }
    s->ch = calloc((size_t)s->nchunks, sizeof *s->ch);
    lsnn__arena a = {0};
    if (s->ch) {
        lsnn__sim_layout(s, &a);
        a.base = calloc(1, a.used + 64);
    }
    if (!s->ch || !a.base) {
        free(s->ch);
        free(s);
        *status = lsnn_error(LSNN_ERR_NOMEM,
                             "simulation: cannot allocate the workspace (%.1f MB) for batch %d, "
                             "T = %d, %d neurons",
                             a.used / 1e6, B, T, net->n);
        return NULL;
    }
    s->mem = a.base;
    a.used = 0;
    lsnn__sim_layout(s, &a);
    *status = LSNN_OK;
    return s;
}

void lsnn_sim_set_cut_recurrent(lsnn_sim *sim, int cut)
{
    sim->cut_recurrent = cut != 0;
}

size_t lsnn_sim_records_bytes(const lsnn_sim *sim)
{
    const size_t v = sizeof(lsnn_real) * (size_t)sim->nchunks * sim->T * sim->CH * sim->n;
    return sim->rec_mem && sim->ch[0].recn ? 2 * v : v;
}

int lsnn_sim_enable_records(lsnn_sim *sim, const lsnn_net *net, size_t max_bytes)
{
    if (sim->rec_mem)
        return 1;
    for (int p = 0; p < net->n_pop; p++)
        if (!net->pop[p].model->replay)
            return 0;
    const size_t bytes = lsnn_sim_records_bytes(sim);
    if (bytes > max_bytes)
        return 0;
    /* the noise draws too, when there are any and they fit */
    const int noise = lsnn__net_has_noise(net) && bytes <= max_bytes - bytes;
    sim->rec_mem = malloc(noise ? 2 * bytes : bytes);
    if (!sim->rec_mem)
        return lsnn_error(LSNN_ERR_NOMEM, "simulation: cannot allocate %.1f MB of records",
                          (noise ? 2 : 1) * bytes / 1e6);
    const size_t per_chunk = (size_t)sim->T * sim->CH * sim->n;
    for (int i = 0; i < sim->nchunks; i++) {
        sim->ch[i].recv = sim->rec_mem + (size_t)i * per_chunk;
        sim->ch[i].recn = noise ? sim->rec_mem + (size_t)(sim->nchunks + i) * per_chunk : NULL;
    }
    sim->recording = 1;
    sim->rec_valid = 0;
    return 1;
}

int lsnn_sim_has_records(const lsnn_sim *sim)
{
    return sim->rec_mem != NULL;
}

void lsnn_sim_set_recording(lsnn_sim *sim, int on)
{
    sim->recording = on != 0;
}

void lsnn_sim_set_dist(lsnn_sim *sim, const lsnn_dist *d)
{
    sim->dist = d && d->size > 1 ? d : NULL;
}

void lsnn__sim_own_chunks(const lsnn_sim *sim, int nch, int *c0, int *c1)
{
    const lsnn_dist *d = sim->dist;
    *c0 = d ? lsnn_dist_first(d->rank, nch, d->size) : 0;
    *c1 = d ? lsnn_dist_first(d->rank + 1, nch, d->size) : nch;
}

void *lsnn__sim_dist_buf(lsnn_sim *sim, size_t bytes)
{
    if (bytes > sim->dist_cap) {
        void *p = realloc(sim->dist_buf, bytes);
        if (!p)
            return NULL;
        sim->dist_buf = p;
        sim->dist_cap = bytes;
    }
    return sim->dist_buf;
}

void lsnn_sim_free(lsnn_sim *sim)
{
    if (!sim)
        return;
    free(sim->rec_mem);
    free(sim->dist_buf);
    free(sim->mem);
    free(sim->ch);
    free(sim);
}

void lsnn__chunk_reset(lsnn_sim *sim, lsnn__chunk *c)
{
    size_t CHn = (size_t)sim->CH * sim->n;
    memset(c->v, 0, sizeof(lsnn_real) * CHn);
    memset(c->b, 0, sizeof(lsnn_real) * CHn);
    memset(c->z, 0, sizeof(lsnn_real) * CHn);
    memset(c->hard, 0, CHn);
    memset(c->ref, 0, sizeof(lsnn_real) * CHn);
    memset(c->ring, 0, sizeof(lsnn_real) * CHn * sim->R);
    memset(c->yw, 0, sizeof(lsnn_real) * sim->CH * sim->n_out);
    if (c->aux)
        memset(c->aux, 0, sizeof(lsnn_real) * CHn * sim->n_aux);
}

void lsnn__chunk_save(lsnn_sim *sim, lsnn__chunk *c, int k)
{
    size_t CHn = (size_t)sim->CH * sim->n;
    lsnn_real *p = c->cp + (size_t)k * sim->cp_reals;
    memcpy(p, c->v, sizeof(lsnn_real) * CHn);
    memcpy(p + CHn, c->b, sizeof(lsnn_real) * CHn);
    memcpy(p + 2 * CHn, c->z, sizeof(lsnn_real) * CHn);
    memcpy(p + 3 * CHn, c->ring, sizeof(lsnn_real) * CHn * sim->R);
    memcpy(p + (3 + sim->R) * CHn, c->yw, sizeof(lsnn_real) * sim->CH * sim->n_out);
    if (c->aux)
        memcpy(p + (3 + sim->R) * CHn + (size_t)sim->CH * sim->n_out, c->aux,
               sizeof(lsnn_real) * CHn * sim->n_aux);
    memcpy(c->cp_hard + k * CHn, c->hard, CHn);
    memcpy(c->cp_ref + k * CHn, c->ref, sizeof(lsnn_real) * CHn);
}

void lsnn__chunk_restore(lsnn_sim *sim, lsnn__chunk *c, int k)
{
    size_t CHn = (size_t)sim->CH * sim->n;
    const lsnn_real *p = c->cp + (size_t)k * sim->cp_reals;
    memcpy(c->v, p, sizeof(lsnn_real) * CHn);
    memcpy(c->b, p + CHn, sizeof(lsnn_real) * CHn);
    memcpy(c->z, p + 2 * CHn, sizeof(lsnn_real) * CHn);
    memcpy(c->ring, p + 3 * CHn, sizeof(lsnn_real) * CHn * sim->R);
    memcpy(c->yw, p + (3 + sim->R) * CHn, sizeof(lsnn_real) * sim->CH * sim->n_out);
    if (c->aux)
        memcpy(c->aux, p + (3 + sim->R) * CHn + (size_t)sim->CH * sim->n_out,
               sizeof(lsnn_real) * CHn * sim->n_aux);
    memcpy(c->hard, c->cp_hard + k * CHn, CHn);
    memcpy(c->ref, c->cp_ref + k * CHn, sizeof(lsnn_real) * CHn);
}

#if defined(__SSE2__)
/* For lsnn__nonzero: the positions of the set bits of each 4-bit mask, and their number. */
_Alignas(16) const int32_t lsnn__nz_lut[16][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0},
    {1, 2, 0, 0}, {0, 1, 2, 0}, {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
    {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};
const uint8_t lsnn__nz_cnt[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
#endif

int lsnn__net_has_noise(const lsnn_net *net)
{
    for (int j = 0; j < net->n; j++)
        if (net->noise_std[j] != 0)
            return 1;
    return 0;
}

void lsnn__sparse_pack(lsnn_sim *sim, const lsnn_net *net)
{
    sim->packed = 0;
    if (!sim->sp_cap || (size_t)(net->w_out - net->params) != sim->sp_cap)
        return;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        if (!pr->sparse.use)
            continue;
        lsnn_real *restrict val = sim->sp_w + pr->param_off;
        uint8_t *restrict dly = sim->sp_d + pr->param_off;
        uint32_t *restrict off = sim->sp_off + pr->param_off;
        uint32_t *restrict roff = sim->sp_ring + pr->param_off;
        const uint32_t slot_r = (uint32_t)sim->CH * (uint32_t)sim->n;
        const int32_t *restrict row = pr->sparse.row, *restrict col = pr->sparse.col;
        const uint32_t slot_t = (uint32_t)sim->n * (uint32_t)sim->CHP, chp = (uint32_t)sim->CHP;
        for (int i = 0; i < pr->n_src; i++) {
            const size_t o = (size_t)i * pr->n_dst;
            for (int32_t k = row[i]; k < row[i + 1]; k++) {
                val[k] = pr->w[o + col[k]];
                dly[k] = pr->delay ? pr->delay[o + col[k]] : 1;
                off[k] = (pr->delay ? dly[k] * slot_t : 0) + (uint32_t)col[k] * chp;
                roff[k] = dly[k] * slot_r + (uint32_t)col[k];
            }
        }
    }
    sim->packed = 1;
}

/* Adds value * (row i of the projection) to the current rings for every non-zero source of a
 * spike list: the synapse i -> j with delay d delivers into slot (t_base + d) % R. Event-driven:
 * called once per projection and list, with the list's entries idx[e] (sources idx[e] - off,
 * values vals[idx[e]]; entries outside the projection's sources are skipped), so that the slot
 * and the weights are found once per list rather than once per spike (the kernel's branch per
 * spike tests values fixed for the list, so it is always predicted). Projections
 * on the sparse kernels (lsnn/sparse.h) visit the existing synapses only, with the packed
 * weights and delays of the workspace when it holds them, else with w and delay read through
 * the index. Every target receives its terms in the order of the list, as one call per spike
 * would add them. */
/* The dense rows of lsnn__scatter_list without delays: dst += vals[idx[e]] W[i, :] for the
 * list's sources i = idx[e] - off in [0, n_src), in the order of the list (the AVX2 variant only
 * widens the registers). */
LSNN_SIMD_BODY void lsnn__scatter_dense_body(lsnn_real *restrict dst, const lsnn_real *restrict W,
                                             int n_src, int n_dst, const int *idx, int cnt,
                                             int off, const lsnn_real *restrict vals)
{
    for (int e = 0; e < cnt; e++) {
        const int i = idx[e] - off;
        if (i < 0 || i >= n_src)
            continue;
        const lsnn_real value = vals[idx[e]];
        const lsnn_real *restrict w = W + (size_t)i * n_dst;
        for (int j = 0; j < n_dst; j++)
            dst[j] += value * w[j];
    }
}
LSNN_SIMD_VARIANTS(lsnn__scatter_dense,
                   (lsnn_real *restrict dst, const lsnn_real *restrict W, int n_src, int n_dst,
                    const int *idx, int cnt, int off, const lsnn_real *restrict vals),
                   (dst, W, n_src, n_dst, idx, cnt, off, vals))

/* The dense rows with delays: slot[d] is the ring row of delay d (d < R), so a synapse adds into
 * slot[d_ij][j] without a wrap or a product of indices. Out of line, as the BPTT loops: GCC
 * keeps its pointers in registers. */
static void lsnn__scatter_dense_delayed(lsnn_real *const *slot, const lsnn_real *restrict W,
                                        const uint8_t *restrict delay, int n_src, int n_dst,
                                        const int *idx, int cnt, int off,
                                        const lsnn_real *restrict vals)
{
    for (int e = 0; e < cnt; e++) {
        const int i = idx[e] - off;
        if (i < 0 || i >= n_src)
            continue;
        const lsnn_real value = vals[idx[e]];
        const lsnn_real *restrict w = W + (size_t)i * n_dst;
        const uint8_t *restrict d = delay + (size_t)i * n_dst;
        for (int j = 0; j < n_dst; j++)
            slot[d[j]][j] += value * w[j];
    }
}

static void lsnn__scatter_list(const lsnn_sim *sim, const lsnn_projection *pr, const int *idx,
                               int cnt, int off, const lsnn_real *vals, lsnn_real *ring,
                               size_t slot_stride, int R, int t_base, size_t sample_off)
{
    const int n_src = pr->n_src, n_dst = pr->n_dst;
    /* t_base may be -1 (inputs of step 0); slot = (t_base + d) % R without a division per
     * synapse: 0 <= tb + d < 2R since d <= max_delay < R. */
    const int tb = (t_base % R + R) % R;
    lsnn_real *base = ring + sample_off + pr->dst_off;
    lsnn_real *restrict dst1 = base + (size_t)(tb + 1 >= R ? tb + 1 - R : tb + 1) * slot_stride;
    if (pr->sparse.use) {
        const int32_t *restrict row = pr->sparse.row, *restrict col = pr->sparse.col;
        const int pk = sim->packed;
        const lsnn_real *restrict val = pk ? sim->sp_w + pr->param_off : NULL;
        for (int e = 0; e < cnt; e++) {
            const int i = idx[e] - off;
            if (i < 0 || i >= n_src)
                continue;
            const lsnn_real value = vals[idx[e]];
            const int32_t k0 = row[i], k1 = row[i + 1];
            const size_t o = (size_t)i * n_dst;
            if (!pr->delay && val) {
                for (int32_t k = k0; k < k1; k++)
                    dst1[col[k]] += value * val[k];
            } else if (!pr->delay) {
                const lsnn_real *restrict w = pr->w + o;
                for (int32_t k = k0; k < k1; k++)
                    dst1[col[k]] += value * w[col[k]];
            } else if (val) { /* the packed ring offsets (slot_stride = CH n) */
                const uint32_t *restrict roff = sim->sp_ring + pr->param_off;
                const uint32_t t0 = (uint32_t)tb * (uint32_t)slot_stride,
                               wrap = (uint32_t)R * (uint32_t)slot_stride;
                for (int32_t k = k0; k < k1; k++) {
                    uint32_t q = t0 + roff[k];
                    q -= q >= wrap ? wrap : 0;
                    base[q] += value * val[k];
                }
            } else {
                for (int32_t k = k0; k < k1; k++) {
                    const int j = col[k];
                    int slot = tb + pr->delay[o + j];
                    slot -= slot >= R ? R : 0;
                    base[(size_t)slot * slot_stride + j] += value * pr->w[o + j];
                }
            }
        }
        return;
    }
    if (!pr->delay) {
        LSNN_SIMD_CALL(lsnn__scatter_dense, (dst1, pr->w, n_src, n_dst, idx, cnt, off, vals));
        return;
    }
    lsnn_real *slot[256]; /* d < R <= 256 */
    for (int d = 0; d < R; d++) {
        const int sl = tb + d;
        slot[d] = base + (size_t)(sl >= R ? sl - R : sl) * slot_stride;
    }
    lsnn__scatter_dense_delayed(slot, pr->w, pr->delay, n_src, n_dst, idx, cnt, off, vals);
}

void lsnn__chunk_step(const lsnn_sim *sim, const lsnn_net *net, lsnn__chunk *c,
                      const lsnn_batch *batch, int g0, int bc, int t, lsnn_real *y,
                      double *count, int has_noise)
{
    const int n = net->n, n_out = net->n_out, R = sim->R, n_in = batch->n_in;
    const size_t slot_stride = (size_t)sim->CH * n;
    const lsnn_real kappa = net->kappa, gain = net->readout_gain;
    int *idx = c->idx;
    for (int s = 0; s < bc; s++) {
        const int g = g0 + s;
        const size_t so = (size_t)s * n;
        lsnn_neuron_state st = {.v = c->v + so, .b = c->b + so, .z = c->z + so,
                                .hard = c->hard + so, .ref = c->ref + so};
        if (c->aux) {
            st.aux = c->aux + so;
            st.aux_stride = slot_stride;
        }
        /* (a) inputs presented at t: delay d delivers into step t + d - 1. */
        const lsnn_real *x = lsnn_batch_x(batch, g, t);
        int nx = lsnn__nonzero(x, n_in, idx);
        for (int p = 0; p < net->n_proj; p++) {
            const lsnn_projection *pr = &net->proj[p];
            if (!pr->src_is_input)
                continue;
            lsnn__scatter_list(sim, pr, idx, nx, pr->src_off, x, c->ring, slot_stride, R, t - 1,
                               so);
        }
        /* (b) the current of step t, plus noise regenerated from its key. */
        lsnn_real *cur = c->ring + (size_t)(t % R) * slot_stride + so;
        if (has_noise) {
            lsnn_real *nout = c->noise_out ? c->noise_out + so : NULL;
            const uint64_t key3 = lsnn_hash_key3(batch->noise_key, (uint64_t)g, (uint64_t)t);
            for (int j = 0; j < n; j++)
                if (net->noise_std[j] != 0) {
                    const lsnn_real e = (lsnn_real)lsnn_noise_normal(net->noise_draw, key3, j);
                    cur[j] += net->noise_std[j] * e;
                    if (nout)
                        nout[j] = e;
                }
        }
        /* (c) neuron dynamics, population by population; when a layer is complete its spikes
         * reach the next layer in this same step (feed-forward projections, max_delay 0). */
        for (int p = 0; p < net->n_pop; p++) {
            const lsnn_population *po = &net->pop[p];
            const int o = po->off;
            lsnn_neuron_state sp = {.v = st.v + o, .b = st.b + o, .z = st.z + o,
                                    .hard = st.hard + o, .ref = st.ref + o};
            if (st.aux) {
                sp.aux = st.aux + o;
                sp.aux_stride = st.aux_stride;
            }
            if (po->model->stochastic) {
                sp.key0 = lsnn_hash4(batch->noise_key, (uint64_t)g, (uint64_t)o, 0x73706b);
                sp.key1 = (uint64_t)t;
            }
            po->model->step(po->consts, 0, po->count, &sp, cur + o, net->gamma, net->smooth);
            if (net->n_layers < 2 || (p + 1 < net->n_pop && net->pop[p + 1].layer == po->layer))
                continue;
            for (int q = 0; q < net->n_proj; q++) {
                const lsnn_projection *pr = &net->proj[q];
                if (pr->max_delay != 0 || pr->src_layer != po->layer)
                    continue;
                const lsnn_real *zs = st.z + pr->src_off;
                int nf = lsnn__nonzero(zs, pr->n_src, idx);
                lsnn__scatter_list(sim, pr, idx, nf, 0, zs, c->ring, slot_stride, R, t - 1, so);
            }
        }
        /* (d) the slot is consumed. */
        memset(cur, 0, sizeof(lsnn_real) * n);
        /* (e) recurrent spikes emitted at t: delay d delivers into step t + d. */
        const lsnn_real *z = st.z;
        int nz = lsnn__nonzero(z, n, idx);
        for (int p = 0; p < net->n_proj; p++) {
            const lsnn_projection *pr = &net->proj[p];
            if (pr->src_is_input || pr->max_delay == 0)
                continue;
            lsnn__scatter_list(sim, pr, idx, nz, pr->src_off, z, c->ring, slot_stride, R, t, so);
        }
        /* (f) readout, also event-driven. */
        lsnn_real *yw = c->yw + (size_t)s * n_out;
        for (int k = 0; k < n_out; k++)
            yw[k] *= kappa;
        for (int e = 0; e < nz; e++) {
            const int j = idx[e];
            const lsnn_real *wo = net->w_out + (size_t)j * n_out;
            const lsnn_real a = gain * z[j];
            for (int k = 0; k < n_out; k++)
                yw[k] += a * wo[k];
            if (count)
                count[j] += z[j];
        }
        if (y) {
            lsnn_real *yo = y + ((size_t)g * batch->T + t) * n_out;
            for (int k = 0; k < n_out; k++)
                yo[k] = yw[k] + net->b_out[k];
        }
    }
}

lsnn_status lsnn__sim_check(const lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                            const char *who)
{
    if (batch->x_nt != batch->T)
        return lsnn_error(LSNN_ERR_ARG, "%s: a streamed batch cannot be simulated whole", who);
    if (batch->B > sim->Bmax || batch->T != sim->T || net->n != sim->n ||
        net->n_out != sim->n_out || batch->n_in != net->n_in || batch->n_out != net->n_out)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "%s: batch (%d x %d steps, %d in, %d out) does not fit the "
                          "workspace (%d x %d) or the network (%d in, %d out)",
                          who, batch->B, batch->T, batch->n_in, batch->n_out, sim->Bmax, sim->T,
                          net->n_in, net->n_out);
    return LSNN_OK;
}

/* Copies step t of the chunk's sequences g0 .. g0 + bc - 1 that the trace records (those below
 * sim->trace_seqs) into trace: v, z and each population's threshold, at ((g T + t) n). */
static void lsnn__sim_trace(const lsnn_sim *sim, const lsnn_net *net, const lsnn__chunk *c,
                            const lsnn_trace *trace, int g0, int bc, int t)
{
    const int n = net->n;
    for (int s = 0; s < bc && g0 + s < sim->trace_seqs; s++) {
        const size_t o = ((size_t)(g0 + s) * sim->T + (size_t)t) * n, so = (size_t)s * n;
        memcpy(trace->v + o, c->v + so, sizeof(lsnn_real) * n);
        memcpy(trace->z + o, c->z + so, sizeof(lsnn_real) * n);
        for (int p = 0; p < net->n_pop; p++) {
            const lsnn_population *po = &net->pop[p];
            const int f = po->off;
            const lsnn_neuron_state sp = {.v = c->v + so + f, .b = c->b + so + f,
                                          .z = c->z + so + f, .hard = NULL,
                                          .ref = c->ref + so + f};
            po->model->threshold(po->consts, 0, po->count, &sp, trace->thr + o + f);
        }
    }
}

void lsnn_sim_set_trace_sequences(lsnn_sim *sim, int n)
{
    sim->trace_seqs = n < 1 ? 1 : n > sim->Bmax ? sim->Bmax : n;
}

lsnn_status lsnn_sim_forward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                             lsnn_real *y, double *spike_count, lsnn_trace *trace)
{
    lsnn_status st = lsnn__sim_check(sim, net, batch, "simulation");
    if (st)
        return st;
    const int nch = (batch->B + sim->CH - 1) / sim->CH;
    const int n = net->n;
    const int has_noise = lsnn__net_has_noise(net);
    const int record = sim->rec_mem && sim->recording;
    /* The pass overwrites the state of any step-wise episode, which ends here. */
    sim->ep_batch = sim->ep_last_batch = NULL;
    sim->ep_id++;
    lsnn__sparse_pack(sim, net);
    int c0, c1;
    lsnn__sim_own_chunks(sim, nch, &c0, &c1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = c0; ci < c1; ci++) {
        lsnn__chunk *c = &sim->ch[ci];
        const int g0 = ci * sim->CH;
        const int bc = batch->B - g0 < sim->CH ? batch->B - g0 : sim->CH;
        lsnn__chunk_reset(sim, c);
        memset(c->count, 0, sizeof(double) * n);
        for (int t = 0; t < sim->T; t++) {
            lsnn__chunk_advance(sim, net, c, batch, g0, bc, t, y, has_noise, record);
            if (trace && g0 < sim->trace_seqs)
                lsnn__sim_trace(sim, net, c, trace, g0, bc, t);
        }
    }
    sim->packed = 0;
    sim->rec_valid = record;
    if (sim->dist) { /* the other processes' chunks: their outputs and spike counts */
        double *cb = lsnn__sim_dist_buf(sim, sizeof(double) * (size_t)nch * n);
        if (!cb)
            return lsnn_error(LSNN_ERR_NOMEM, "simulation: out of memory (distributed pass)");
        for (int ci = c0; ci < c1; ci++)
            memcpy(cb + (size_t)ci * n, sim->ch[ci].count, sizeof(double) * n);
        if ((st = lsnn_dist_gather_rows(sim->dist, cb, sizeof(double) * n, nch, 1, nch)))
            return st;
        for (int ci = 0; ci < nch; ci++)
            memcpy(sim->ch[ci].count, cb + (size_t)ci * n, sizeof(double) * n);
        if (y && (st = lsnn_dist_gather_rows(sim->dist, y,
                                             sizeof(lsnn_real) * (size_t)batch->T * net->n_out,
                                             nch, sim->CH, batch->B)))
            return st;
    }
    if (spike_count) {
        memset(spike_count, 0, sizeof(double) * n);
        for (int ci = 0; ci < nch; ci++)
            for (int j = 0; j < n; j++)
                spike_count[j] += sim->ch[ci].count[j];
    }
    sim->fwd_batch = batch;
    return LSNN_OK;
}

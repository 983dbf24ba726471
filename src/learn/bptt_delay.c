/* BPTT's adjoint of dense recurrent projections with delays (lsnn_bptt_backward, bptt.c):
 * dL/dz_i = sum_j w_ij dL/dI_j(t + d_ij), read from the transposed dL/dI of the chunk (gIT). */
#include <stdint.h>
#include <string.h>

#include "core/simd.h"
#include "learn/bptt_internal.h"
#include "lsnn/sim.h"

/* The adjoint of a dense recurrent projection with delays: gz[:, i] += sum_j w_ij gI(t + d_ij)
 * [:, j], from the transposed gIT like the sparse adjoint, so that each synapse updates the
 * chunk's sequences at once in vector registers instead of gathering dL/dI at its delay sequence
 * by sequence. Each sequence still sums its source's synapses in the order of j, starting from
 * 0, and adds the sum to gz: the same operations, hence the same results, as the gather. */
#define LSNN__DL_ADJ_SETUP                                                                     \
    const int n = sim->n, R = sim->R, nd = pr->n_dst, ns = pr->n_src, CHP = sim->CHP;         \
    const size_t slot_t = (size_t)n * CHP;                                                     \
    const int tb = lsnn__slot0(t, R);                                                          \
    const lsnn_real *gT = c->gIT + (size_t)pr->dst_off * CHP;                                  \
    size_t off[256]; /* gIT offset of the slot of t + d (d <= max_delay < R <= 256) */         \
    for (int d = pr->min_delay; d <= pr->max_delay; d++) {                                     \
        int sl = tb + d;                                                                       \
        sl -= sl >= R ? R : 0;                                                                 \
        off[d] = (size_t)sl * slot_t;                                                          \
    }

static void lsnn__dl_adjoint(const lsnn_projection *pr, const lsnn_sim *sim, lsnn__chunk *c,
                             int bc, int t)
{
    LSNN__DL_ADJ_SETUP;
    for (int i = 0; i < ns; i++) {
        const lsnn_real *restrict w = pr->w + (size_t)i * nd;
        const uint8_t *restrict dl = pr->delay + (size_t)i * nd;
        for (int sb = 0; sb < bc; sb += LSNN__SPB) {
            lsnn_real acc[LSNN__SPB] = {0};
            for (int j = 0; j < nd; j++) {
                const lsnn_real wj = w[j];
                const lsnn_real *restrict g = gT + off[dl[j]] + (size_t)j * CHP + sb;
                for (int u = 0; u < LSNN__SPB; u++)
                    acc[u] += wj * g[u];
            }
            lsnn__acc_scatter(acc, c->gz + pr->src_off + i, n, sb, bc);
        }
    }
}

#if LSNN_X86_DISPATCH
/* The same with AVX2 registers: one register when the chunk's sequences fit in it (a batch of
 * 10 in chunks of 5), else blocks of LSNN__SPB sequences. A sum over j is a chain of dependent
 * additions, so with one register the loop waits on the addition's latency; four sources at a
 * time give four independent chains (each still in the order of j). */
__attribute__((target("avx2"))) static void lsnn__dl_adjoint_avx2(const lsnn_projection *pr,
                                                                  const lsnn_sim *sim,
                                                                  lsnn__chunk *c, int bc, int t)
{
    LSNN__DL_ADJ_SETUP;
    int i0 = 0;
    if (bc <= LSNN__VL)
        for (; i0 + 4 <= ns; i0 += 4) {
            const lsnn_real *restrict w = pr->w + (size_t)i0 * nd;
            const uint8_t *restrict dl = pr->delay + (size_t)i0 * nd;
            lsnn__v a0 = LSNN__V_ZERO(), a1 = LSNN__V_ZERO(), a2 = LSNN__V_ZERO(),
                    a3 = LSNN__V_ZERO();
            /* Slot tb + d without wrapping, in the mirrored half of gIT (tb + d < 2R): the
             * address is a product of the delay, no table to read. */
            const lsnn_real *gb = gT + (size_t)tb * slot_t;
            for (int j = 0; j < nd; j++) {
                const lsnn_real *g = gb + (size_t)j * CHP;
                a0 = LSNN__V_ADD(a0, LSNN__V_MUL(LSNN__V_SET1(w[j]),
                                                 LSNN__V_LOAD(g + dl[j] * slot_t)));
                a1 = LSNN__V_ADD(a1, LSNN__V_MUL(LSNN__V_SET1(w[nd + j]),
                                                 LSNN__V_LOAD(g + dl[nd + j] * slot_t)));
                a2 = LSNN__V_ADD(a2, LSNN__V_MUL(LSNN__V_SET1(w[2 * nd + j]),
                                                 LSNN__V_LOAD(g + dl[2 * nd + j] * slot_t)));
                a3 = LSNN__V_ADD(a3, LSNN__V_MUL(LSNN__V_SET1(w[3 * nd + j]),
                                                 LSNN__V_LOAD(g + dl[3 * nd + j] * slot_t)));
            }
            lsnn_real out[4][LSNN__VL];
            LSNN__V_STORE(out[0], a0);
            LSNN__V_STORE(out[1], a1);
            LSNN__V_STORE(out[2], a2);
            LSNN__V_STORE(out[3], a3);
            lsnn_real *gz = c->gz + pr->src_off + i0;
            for (int u = 0; u < bc; u++)
                for (int r = 0; r < 4; r++)
                    gz[(size_t)u * n + r] += out[r][u];
        }
    for (int i = i0; i < ns; i++) {
        const lsnn_real *restrict w = pr->w + (size_t)i * nd;
        const uint8_t *restrict dl = pr->delay + (size_t)i * nd;
        lsnn_real *gz = c->gz + pr->src_off + i;
        if (bc <= LSNN__VL) {
            lsnn__v a = LSNN__V_ZERO();
            for (int j = 0; j < nd; j++)
                a = LSNN__V_ADD(a, LSNN__V_MUL(LSNN__V_SET1(w[j]),
                                               LSNN__V_LOAD(gT + off[dl[j]] + (size_t)j * CHP)));
            lsnn_real out[LSNN__VL];
            LSNN__V_STORE(out, a);
            for (int u = 0; u < bc; u++)
                gz[(size_t)u * n] += out[u];
            continue;
        }
        for (int sb = 0; sb < bc; sb += LSNN__SPB) {
            lsnn__v a[LSNN__VPB];
            for (int r = 0; r < LSNN__VPB; r++)
                a[r] = LSNN__V_ZERO();
            for (int j = 0; j < nd; j++) {
                const lsnn__v wv = LSNN__V_SET1(w[j]);
                const lsnn_real *g = gT + off[dl[j]] + (size_t)j * CHP + sb;
                for (int r = 0; r < LSNN__VPB; r++)
                    a[r] = LSNN__V_ADD(a[r], LSNN__V_MUL(wv, LSNN__V_LOAD(g + r * LSNN__VL)));
            }
            lsnn_real out[LSNN__SPB];
            for (int r = 0; r < LSNN__VPB; r++)
                LSNN__V_STORE(out + r * LSNN__VL, a[r]);
            lsnn__acc_scatter(out, gz, n, sb, bc);
        }
    }
}
#endif

#if LSNN_X86_DISPATCH && !LSNN_REAL_IS_DOUBLE
/* The same adjoint for chunks of at most 8 sequences with the sources, not the sequences, in the
 * register lanes: per target j, one register per sequence holds its dL/dI_j at the
 * projection's (at most 8) delays, and a permutation by the delays d_ij - min_delay of 8
 * sources gives each lane the value its synapse reads. A block of 8 sources then costs one
 * load of weights, one of delays and, per sequence, one load and one permutation for each j,
 * where lsnn__dl_adjoint_avx2 loads a weight, a delay and dL/dI for every synapse. The weights
 * and delays transposed, sources padded with weight 0, are sim->dl_wT and dl_dT
 * (lsnn__dl_prepare). Each sum still runs over j in order from 0, multiplying and then adding:
 * the same operations, hence the same results. */
static inline __attribute__((always_inline, target("avx2"))) void
lsnn__dlp_block(const float *wT, const uint8_t *dT, const float *G, int nd, const int BC,
                float out[8][8])
{
    __m256 acc[8];
    for (int s = 0; s < BC; s++)
        acc[s] = _mm256_setzero_ps();
    for (int j = 0; j < nd; j++) {
        const __m256 w = _mm256_loadu_ps(wT + (size_t)j * 8);
        const __m256i id = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64((const __m128i *)(const void *)(dT + (size_t)j * 8)));
        const float *g = G + (size_t)j * BC * 8;
        for (int s = 0; s < BC; s++)
            acc[s] = _mm256_add_ps(
                acc[s], _mm256_mul_ps(w, _mm256_permutevar8x32_ps(_mm256_loadu_ps(g + s * 8), id)));
    }
    for (int s = 0; s < BC; s++)
        _mm256_storeu_ps(out[s], acc[s]);
}

/* Two blocks of 8 sources (i0 and i0 + 8) at once, sharing each load of G: for BC <= 5 the 2 BC
 * accumulators, both blocks' weights and delays and the loaded G still fit in the 16 registers.
 * Each lane's operations are those of lsnn__dlp_block. */
static inline __attribute__((always_inline, target("avx2"))) void
lsnn__dlp_block2(const float *wT, const uint8_t *dT, const float *G, int nd, const int BC,
                 float out[2][8][8])
{
    __m256 a0[5], a1[5];
    for (int s = 0; s < BC; s++)
        a0[s] = a1[s] = _mm256_setzero_ps();
    const float *wT1 = wT + (size_t)8 * nd;
    const uint8_t *dT1 = dT + (size_t)8 * nd;
    for (int j = 0; j < nd; j++) {
        const __m256 w0 = _mm256_loadu_ps(wT + (size_t)j * 8);
        const __m256 w1 = _mm256_loadu_ps(wT1 + (size_t)j * 8);
        const __m256i id0 = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64((const __m128i *)(const void *)(dT + (size_t)j * 8)));
        const __m256i id1 = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64((const __m128i *)(const void *)(dT1 + (size_t)j * 8)));
        const float *g = G + (size_t)j * BC * 8;
        for (int s = 0; s < BC; s++) {
            const __m256 gs = _mm256_loadu_ps(g + s * 8);
            a0[s] = _mm256_add_ps(a0[s], _mm256_mul_ps(w0, _mm256_permutevar8x32_ps(gs, id0)));
            a1[s] = _mm256_add_ps(a1[s], _mm256_mul_ps(w1, _mm256_permutevar8x32_ps(gs, id1)));
        }
    }
    for (int s = 0; s < BC; s++) {
        _mm256_storeu_ps(out[0][s], a0[s]);
        _mm256_storeu_ps(out[1][s], a1[s]);
    }
}

__attribute__((target("avx2"))) static void lsnn__dl_adjoint_perm(const lsnn_projection *pr,
                                                                  int p, const lsnn_sim *sim,
                                                                  lsnn__chunk *c, int bc, int t)
{
    LSNN__DL_ADJ_SETUP;
    (void)off;
    const int dmin = pr->min_delay, nD = pr->max_delay - dmin + 1;
    const float *wT = sim->dl_wT + sim->dl_off[p];
    const uint8_t *dT = sim->dl_dT + sim->dl_off[p];
    float *G = c->dl_G;
    /* G[j][s][k]: dL/dI_j of sequence s at delay dmin + k (slot tb + dmin + k of the mirrored
     * gIT: no wrap) */
    for (int k = 0; k < nD; k++) {
        const float *src = gT + (size_t)(tb + dmin + k) * slot_t;
        for (int j = 0; j < nd; j++)
            for (int s = 0; s < bc; s++)
                G[((size_t)j * bc + s) * 8 + k] = src[(size_t)j * CHP + s];
    }
    float out[8][8];
    lsnn_real *gz = c->gz + pr->src_off;
    int i0 = 0;
    if (bc <= 5) {
        float out2[2][8][8];
        for (; i0 + 16 <= ns; i0 += 16) {
            switch (bc) {
#define LSNN__DLP2_CASE(B)                                                                         \
    case B:                                                                                    \
        lsnn__dlp_block2(wT + (size_t)i0 * nd, dT + (size_t)i0 * nd, G, nd, B, out2);         \
        break;
                LSNN__DLP2_CASE(1)
                LSNN__DLP2_CASE(2)
                LSNN__DLP2_CASE(3)
                LSNN__DLP2_CASE(4)
                LSNN__DLP2_CASE(5)
#undef LSNN__DLP2_CASE
            default:
                return;
            }
            for (int s = 0; s < bc; s++)
                for (int r = 0; r < 16; r++)
                    gz[(size_t)s * n + i0 + r] += out2[r / 8][s][r % 8];
        }
    }
    for (; i0 < ns; i0 += 8) {
        switch (bc) {
#define LSNN__DLP_CASE(B)                                                                          \
    case B:                                                                                    \
        lsnn__dlp_block(wT + (size_t)i0 * nd, dT + (size_t)i0 * nd, G, nd, B, out);           \
        break;
            LSNN__DLP_CASE(1)
            LSNN__DLP_CASE(2)
            LSNN__DLP_CASE(3)
            LSNN__DLP_CASE(4)
            LSNN__DLP_CASE(5)
            LSNN__DLP_CASE(6)
            LSNN__DLP_CASE(7)
            LSNN__DLP_CASE(8)
#undef LSNN__DLP_CASE
        default:
            return;
        }
        const int nr = ns - i0 < 8 ? ns - i0 : 8;
        for (int s = 0; s < bc; s++)
            for (int r = 0; r < nr; r++)
                gz[(size_t)s * n + i0 + r] += out[s][r];
    }
}
#endif

/* The transposed weights and delays of lsnn__dl_adjoint_perm (the weights change between
 * passes). */
void lsnn__dl_prepare(lsnn_sim *sim, const lsnn_net *net)
{
    if (!sim->dl_perm)
        return;
    for (int p = 0; p < net->n_proj; p++) {
        if (sim->dl_off[p] == SIZE_MAX)
            continue;
        const lsnn_projection *pr = &net->proj[p];
        const int ns = pr->n_src, nd = pr->n_dst, ns8 = sim->dl_ns8[p];
        lsnn_real *wT = sim->dl_wT + sim->dl_off[p];
        uint8_t *dT = sim->dl_dT + sim->dl_off[p];
        /* block-major: the 8 sources of block b at target j at ((b nd + j) 8 + r), so that
         * the kernel reads each block's weights and delays in one sequential sweep */
        for (int i = 0; i < ns8; i++) {
            const size_t b = (size_t)(i / 8) * nd * 8, r = (size_t)(i % 8);
            for (int j = 0; j < nd; j++) {
                const size_t k = (size_t)i * nd + j;
                wT[b + (size_t)j * 8 + r] = i < ns ? pr->w[k] : 0;
                dT[b + (size_t)j * 8 + r] = i < ns ? (uint8_t)(pr->delay[k] - pr->min_delay) : 0;
            }
        }
    }
}

void lsnn__dl_adjoint_run(const lsnn_projection *pr, int p, const lsnn_sim *sim, lsnn__chunk *c,
                          int bc, int t)
{
    (void)p; /* the permutation kernel's tables (float build with AVX2) */
#if LSNN_X86_DISPATCH
#if !LSNN_REAL_IS_DOUBLE
    if (lsnn__have_avx2() && sim->dl_off[p] != SIZE_MAX && bc <= 8)
        lsnn__dl_adjoint_perm(pr, p, sim, c, bc, t);
    else
#endif
        if (lsnn__have_avx2())
        lsnn__dl_adjoint_avx2(pr, sim, c, bc, t);
    else
#endif
        lsnn__dl_adjoint(pr, sim, c, bc, t);
}

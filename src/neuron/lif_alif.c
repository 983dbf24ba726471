/* LIF and ALIF neurons (one model: LIF = ALIF with beta = 0).
 *
 * Equations (seed 000 eqs. 4-7, DESIGN.md section 2), step t, neuron j:
 *   V(t) = alpha V(t-1) + g_in I(t) - R(t-1) z(t-1)          membrane
 *   b(t) = rho b(t-1) + g_a z(t-1)                            threshold adaptation
 *   B(t) = b0 + beta b(t)                                     threshold
 *   z(t) = H(V(t) - B(t)) unless refractory                   spike
 * "leaky" scaling (seed 000): g_in = 1 - alpha, g_a = 1 - rho, reset R = B(t-1), and the
 *   pseudo-derivative dz/dv = gamma max(0, 1 - |v|) with v = (V - B)/B (eq. 7).
 * "plain" scaling (seed 004 eqs. 2.4-2.6, 2.18): g_in = 1, g_a = 1, reset R = b0 (= v_th), and
 *   dz/dV = gamma max(0, 1 - |(V - B)/b0|).
 * Refractoriness: after a spike at t the neuron cannot spike during t+1 .. t+refractory and its
 * pseudo-derivative is zero there.
 *
 * Parameters (per neuron; defaults of docs/CONFIG.md):
 *   tau_m   ms   20    membrane time constant (alpha = exp(-dt/tau_m))
 *   tau_a   ms   1200  adaptation time constant (rho = exp(-dt/tau_a))
 *   beta    -    1.8   adaptation strength (0: LIF)
 *   b0      -    0.01  baseline threshold
 *   refractory steps 2 refractory period
 */
#include <math.h>
#include <string.h>

#include "core/simd.h"
#include "lsnn/neuron_alif.h"

/* Integral of max(0, 1 - |v|) from -inf to v: the smooth spike used by gradient checks, whose
 * derivative is exactly the (undampened) pseudo-derivative. */
static lsnn_real lsnn__tri_integral(lsnn_real v)
{
    if (v <= -1)
        return 0;
    if (v <= 0)
        return (v + 1) * (v + 1) / 2;
    if (v < 1)
        return (lsnn_real)0.5 + v - v * v / 2;
    return 1;
}

lsnn_real lsnn_alif_smooth_spike(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real B,
                                 lsnn_real gamma)
{
    const lsnn_real norm = c->plain[j] != 0 ? c->b0[j] : B;
    const lsnn_real scale = c->plain[j] != 0 ? gamma * c->b0[j] : gamma;
    return scale * lsnn__tri_integral((v - B) / norm);
}

void lsnn_alif_pseudo(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real b, int refractory,
                      lsnn_real gamma, lsnn_real *dz_dv, lsnn_real *dz_dB)
{
    lsnn_real B = c->b0[j] + c->beta[j] * b;
    lsnn_real plain = c->plain[j];
    /* "leaky": v_norm = V/B - 1, so d/dV = 1/B and d/dB = -V/B^2 (eq. 7 through B);
     * "plain": v_norm = (V - B)/b0 and dz/dV = psi itself (seed 004 eq. 2.18). */
    lsnn_real norm = plain != 0 ? c->b0[j] : B;
    lsnn_real p = refractory ? 0 : gamma * fmax((lsnn_real)0, 1 - fabs((v - B) / norm));
    *dz_dv = plain != 0 ? p : p / B;
    *dz_dB = plain != 0 ? -p : -p * v / (B * B);
}

/* The hard-spike step and the adjoint step are written without branches on neuron state and
 * with every array passed as a restrict parameter, so that the compiler turns them into vector
 * code: they run for every neuron of every sequence at every step. Both also have an AVX2
 * variant, chosen per call (LSNN_SIMD_VARIANTS, src/core/simd.h). Each loop exists twice:
 * with per-neuron constant arrays, and with scalar constants for a run of neurons that share them
 * (lsnn_alif_consts.run_end), which loads only the state. Both call the same inline element
 * function, so they compute the same values. */
static inline void lsnn__alif_step_elem(int j, lsnn_real *restrict V, lsnn_real *restrict bb,
                                        lsnn_real *restrict z, lsnn_real *restrict ref,
                                        const lsnn_real *restrict cur, lsnn_real alpha,
                                        lsnn_real rho, lsnn_real beta, lsnn_real b0,
                                        lsnn_real g_in, lsnn_real g_a, lsnn_real plain,
                                        lsnn_real rf)
{
    lsnn_real zp = z[j];
    lsnn_real Bp = b0 + beta * bb[j];
    lsnn_real reset = plain * b0 + (1 - plain) * Bp;
    lsnn_real v = alpha * V[j] + g_in * cur[j] - reset * zp;
    lsnn_real b = rho * bb[j] + g_a * zp;
    lsnn_real rm = ref[j] - 1;
    rm = rm > 0 ? rm : 0;
    lsnn_real r = zp != 0 ? rf : rm;
    lsnn_real B = b0 + beta * b;
    V[j] = v;
    bb[j] = b;
    ref[j] = r;
    lsnn_real spike = v > B ? 1 : 0;
    z[j] = r == 0 ? spike : 0;
}

LSNN_SIMD_BODY void lsnn__alif_step_hard_body(int lo, int hi, lsnn_real *restrict V,
                                              lsnn_real *restrict bb, lsnn_real *restrict z,
                                              lsnn_real *restrict ref,
                                              const lsnn_real *restrict cur,
                                              const lsnn_real *restrict alpha,
                                              const lsnn_real *restrict rho,
                                              const lsnn_real *restrict beta,
                                              const lsnn_real *restrict b0,
                                              const lsnn_real *restrict g_in,
                                              const lsnn_real *restrict g_a,
                                              const lsnn_real *restrict plain,
                                              const lsnn_real *restrict refr)
{
    for (int j = lo; j < hi; j++)
        lsnn__alif_step_elem(j, V, bb, z, ref, cur, alpha[j], rho[j], beta[j], b0[j], g_in[j],
                             g_a[j], plain[j], refr[j]);
}
LSNN_SIMD_VARIANTS(lsnn__alif_step_hard,
                   (int lo, int hi, lsnn_real *restrict V, lsnn_real *restrict bb,
                    lsnn_real *restrict z, lsnn_real *restrict ref, const lsnn_real *restrict cur,
                    const lsnn_real *restrict alpha, const lsnn_real *restrict rho,
                    const lsnn_real *restrict beta, const lsnn_real *restrict b0,
                    const lsnn_real *restrict g_in, const lsnn_real *restrict g_a,
                    const lsnn_real *restrict plain, const lsnn_real *restrict refr),
                   (lo, hi, V, bb, z, ref, cur, alpha, rho, beta, b0, g_in, g_a, plain, refr))

LSNN_SIMD_BODY void lsnn__alif_step_hard_u_body(int lo, int hi, lsnn_real *restrict V,
                                                lsnn_real *restrict bb, lsnn_real *restrict z,
                                                lsnn_real *restrict ref,
                                                const lsnn_real *restrict cur, lsnn_real alpha,
                                                lsnn_real rho, lsnn_real beta, lsnn_real b0,
                                                lsnn_real g_in, lsnn_real g_a, lsnn_real plain,
                                                lsnn_real rf)
{
    for (int j = lo; j < hi; j++)
        lsnn__alif_step_elem(j, V, bb, z, ref, cur, alpha, rho, beta, b0, g_in, g_a, plain, rf);
}
LSNN_SIMD_VARIANTS(lsnn__alif_step_hard_u,
                   (int lo, int hi, lsnn_real *restrict V, lsnn_real *restrict bb,
                    lsnn_real *restrict z, lsnn_real *restrict ref, const lsnn_real *restrict cur,
                    lsnn_real alpha, lsnn_real rho, lsnn_real beta, lsnn_real b0, lsnn_real g_in,
                    lsnn_real g_a, lsnn_real plain, lsnn_real rf),
                   (lo, hi, V, bb, z, ref, cur, alpha, rho, beta, b0, g_in, g_a, plain, rf))

static void lsnn__alif_step(const void *k, int lo, int hi, lsnn_neuron_state *s,
                            const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    const lsnn_alif_consts *c = k;
    if (!smooth && c->run_end && lo < hi && c->run_end[lo] >= hi) {
        LSNN_SIMD_CALL(lsnn__alif_step_hard_u,
                       (lo, hi, s->v, s->b, s->z, s->ref, cur, c->alpha[lo], c->rho[lo],
                        c->beta[lo], c->b0[lo], c->g_in[lo], c->g_a[lo], c->plain[lo],
                        c->refr[lo]));
        return;
    }
    if (!smooth) {
        LSNN_SIMD_CALL(lsnn__alif_step_hard,
                       (lo, hi, s->v, s->b, s->z, s->ref, cur, c->alpha, c->rho, c->beta, c->b0,
                        c->g_in, c->g_a, c->plain, c->refr));
        return;
    }
    lsnn_real *V = s->v, *bb = s->b, *z = s->z, *ref = s->ref;
    const lsnn_real *alpha = c->alpha, *rho = c->rho, *beta = c->beta, *b0 = c->b0,
                    *g_in = c->g_in, *g_a = c->g_a, *plain = c->plain, *refr = c->refr;
    uint8_t *restrict hard = s->hard;
    for (int j = lo; j < hi; j++) {
        lsnn_real zp = z[j];
        lsnn_real Bp = b0[j] + beta[j] * bb[j];
        lsnn_real reset = plain[j] != 0 ? b0[j] : Bp;
        lsnn_real v = alpha[j] * V[j] + g_in[j] * cur[j] - reset * zp;
        lsnn_real b = rho[j] * bb[j] + g_a[j] * zp;
        /* Refractoriness follows the threshold crossings, not the smooth output. */
        lsnn_real rm = ref[j] - 1;
        lsnn_real r = hard[j] ? refr[j] : (rm > 0 ? rm : 0);
        lsnn_real B = b0[j] + beta[j] * b;
        lsnn_real norm = plain[j] != 0 ? b0[j] : B;
        lsnn_real scale = plain[j] != 0 ? gamma * b0[j] : gamma;
        V[j] = v;
        bb[j] = b;
        ref[j] = r;
        z[j] = r > 0 ? 0 : scale * lsnn__tri_integral((v - B) / norm);
        hard[j] = r == 0 && v > B;
    }
}

/* The hard step with V(t) taken from v (see lsnn_neuron_model.replay): the same expressions as
 * lsnn__alif_step_elem for b, ref and z. */
LSNN_SIMD_BODY void lsnn__alif_replay_kernel_body(int lo, int hi, const lsnn_real *restrict v,
                                                  lsnn_real *restrict bb, lsnn_real *restrict z,
                                                  lsnn_real *restrict ref,
                                                  const lsnn_real *restrict rho,
                                                  const lsnn_real *restrict beta,
                                                  const lsnn_real *restrict b0,
                                                  const lsnn_real *restrict g_a,
                                                  const lsnn_real *restrict refr)
{
    for (int j = lo; j < hi; j++) {
        lsnn_real zp = z[j];
        lsnn_real b = rho[j] * bb[j] + g_a[j] * zp;
        lsnn_real rm = ref[j] - 1;
        rm = rm > 0 ? rm : 0;
        lsnn_real r = zp != 0 ? refr[j] : rm;
        lsnn_real B = b0[j] + beta[j] * b;
        bb[j] = b;
        ref[j] = r;
        lsnn_real spike = v[j] > B ? 1 : 0;
        z[j] = r == 0 ? spike : 0;
    }
}
LSNN_SIMD_VARIANTS(lsnn__alif_replay_kernel,
                   (int lo, int hi, const lsnn_real *restrict v, lsnn_real *restrict bb,
                    lsnn_real *restrict z, lsnn_real *restrict ref, const lsnn_real *restrict rho,
                    const lsnn_real *restrict beta, const lsnn_real *restrict b0,
                    const lsnn_real *restrict g_a, const lsnn_real *restrict refr),
                   (lo, hi, v, bb, z, ref, rho, beta, b0, g_a, refr))

static void lsnn__alif_replay(const void *k, int lo, int hi, lsnn_neuron_state *s,
                              const lsnn_real *v)
{
    const lsnn_alif_consts *c = k;
    LSNN_SIMD_CALL(lsnn__alif_replay_kernel,
                   (lo, hi, v, s->b, s->z, s->ref, c->rho, c->beta, c->b0, c->g_a, c->refr));
}

/* Adjoint of one step, neurons [lo, hi). On entry adj holds dL/dV(t+1) and dL/db(t+1); gz holds
 * the derivative of the loss with respect to z(t) through every path that does not go through
 * this neuron's own state (readout, regularisation, recurrent synapses). On exit adj holds
 * dL/dV(t) and dL/db(t). v, b, z, ref are the recorded values of step t. One element: */
static inline void lsnn__alif_adj_elem(int j, const lsnn_real *restrict v,
                                       const lsnn_real *restrict b, const lsnn_real *restrict z,
                                       const lsnn_real *restrict ref,
                                       const lsnn_real *restrict gz, lsnn_real *restrict gv,
                                       lsnn_real *restrict gb, lsnn_real alpha, lsnn_real rho,
                                       lsnn_real beta, lsnn_real b0, lsnn_real g_a, lsnn_real pl,
                                       lsnn_real gamma, lsnn_real rg, int from_spike,
                                       lsnn_real rf)
{
    lsnn_real gvn = gv[j], gbn = gb[j];
    lsnn_real B = b0 + beta * b[j];
    /* z(t) also enters V(t+1) through the reset and b(t+1) through adaptation. */
    lsnn_real reset = pl * b0 + (1 - pl) * B;
    lsnn_real gzt = gz[j] - rg * reset * gvn + g_a * gbn;
    /* Pseudo-derivative (see lsnn_alif_pseudo), zero while refractory; the normaliser is the
     * reset value (b0 or B). (fmax would be a libm call here and stop vectorisation.) */
    lsnn_real x = (v[j] - B) / reset;
    lsnn_real tri = 1 - (x < 0 ? -x : x);
    lsnn_real p = tri > 0 ? gamma * tri : 0;
    /* (the vector kernels pass from_spike = 0, a constant that leaves the plain test) */
    p = (from_spike ? rf > 0 && (z[j] != 0 || ref[j] >= 2) : ref[j] > 0) ? 0 : p;
    lsnn_real invB = 1 / B;
    lsnn_real dzdv = pl * p + (1 - pl) * p * invB;
    lsnn_real dzdB = -(pl * p + (1 - pl) * p * v[j] * invB * invB);
    /* The "leaky" reset subtracts B(t) z(t). */
    lsnn_real gB = gzt * dzdB - (1 - pl) * z[j] * gvn;
    gv[j] = alpha * gvn + gzt * dzdv;
    gb[j] = rho * gbn + beta * gB;
}

/* With per-neuron constant arrays and with the scalar constants of a run (see the step). */
LSNN_SIMD_BODY void lsnn__alif_backward_kernel_body(int lo, int hi, const lsnn_real *restrict v,
                                                    const lsnn_real *restrict b,
                                                    const lsnn_real *restrict z,
                                                    const lsnn_real *restrict ref,
                                                    const lsnn_real *restrict gz,
                                                    lsnn_real *restrict gv, lsnn_real *restrict gb,
                                                    const lsnn_real *restrict alpha,
                                                    const lsnn_real *restrict rho,
                                                    const lsnn_real *restrict beta,
                                                    const lsnn_real *restrict b0,
                                                    const lsnn_real *restrict g_a,
                                                    const lsnn_real *restrict plain,
                                                    lsnn_real gamma, lsnn_real rg)
{
    for (int j = lo; j < hi; j++)
        lsnn__alif_adj_elem(j, v, b, z, ref, gz, gv, gb, alpha[j], rho[j], beta[j], b0[j],
                            g_a[j], plain[j], gamma, rg, 0, 0);
}
LSNN_SIMD_VARIANTS(lsnn__alif_backward_kernel,
                   (int lo, int hi, const lsnn_real *restrict v, const lsnn_real *restrict b,
                    const lsnn_real *restrict z, const lsnn_real *restrict ref,
                    const lsnn_real *restrict gz, lsnn_real *restrict gv, lsnn_real *restrict gb,
                    const lsnn_real *restrict alpha, const lsnn_real *restrict rho,
                    const lsnn_real *restrict beta, const lsnn_real *restrict b0,
                    const lsnn_real *restrict g_a, const lsnn_real *restrict plain,
                    lsnn_real gamma, lsnn_real rg),
                   (lo, hi, v, b, z, ref, gz, gv, gb, alpha, rho, beta, b0, g_a, plain, gamma, rg))

LSNN_SIMD_BODY void lsnn__alif_backward_kernel_u_body(int lo, int hi, const lsnn_real *restrict v,
                                                      const lsnn_real *restrict b,
                                                      const lsnn_real *restrict z,
                                                      const lsnn_real *restrict ref,
                                                      const lsnn_real *restrict gz,
                                                      lsnn_real *restrict gv,
                                                      lsnn_real *restrict gb, lsnn_real alpha,
                                                      lsnn_real rho, lsnn_real beta, lsnn_real b0,
                                                      lsnn_real g_a, lsnn_real pl, lsnn_real gamma,
                                                      lsnn_real rg)
{
    for (int j = lo; j < hi; j++)
        lsnn__alif_adj_elem(j, v, b, z, ref, gz, gv, gb, alpha, rho, beta, b0, g_a, pl, gamma,
                            rg, 0, 0);
}
LSNN_SIMD_VARIANTS(lsnn__alif_backward_kernel_u,
                   (int lo, int hi, const lsnn_real *restrict v, const lsnn_real *restrict b,
                    const lsnn_real *restrict z, const lsnn_real *restrict ref,
                    const lsnn_real *restrict gz, lsnn_real *restrict gv, lsnn_real *restrict gb,
                    lsnn_real alpha, lsnn_real rho, lsnn_real beta, lsnn_real b0, lsnn_real g_a,
                    lsnn_real pl, lsnn_real gamma, lsnn_real rg),
                   (lo, hi, v, b, z, ref, gz, gv, gb, alpha, rho, beta, b0, g_a, pl, gamma, rg))

static void lsnn__alif_backward_step(const void *k, int lo, int hi, const lsnn_real *v,
                                     const lsnn_real *b, const lsnn_real *z, const lsnn_real *ref,
                                     const lsnn_real *gz, lsnn_neuron_adjoint *adj,
                                     lsnn_real gamma)
{
    const lsnn_alif_consts *c = k;
    if (c->psi_from_spike) {
        /* the seed-004-code window: a plain loop (an option for reproductions, not a hot path) */
        for (int j = lo; j < hi; j++)
            lsnn__alif_adj_elem(j, v, b, z, ref, gz, adj->gv, adj->gb, c->alpha[j], c->rho[j],
                                c->beta[j], c->b0[j], c->g_a[j], c->plain[j], gamma,
                                c->reset_grad, 1, c->refr[j]);
        return;
    }
    if (c->run_end && lo < hi && c->run_end[lo] >= hi) {
        LSNN_SIMD_CALL(lsnn__alif_backward_kernel_u,
                       (lo, hi, v, b, z, ref, gz, adj->gv, adj->gb, c->alpha[lo], c->rho[lo],
                        c->beta[lo], c->b0[lo], c->g_a[lo], c->plain[lo], gamma,
                        c->reset_grad));
        return;
    }
    LSNN_SIMD_CALL(lsnn__alif_backward_kernel,
                   (lo, hi, v, b, z, ref, gz, adj->gv, adj->gb, c->alpha, c->rho, c->beta, c->b0,
                    c->g_a, c->plain, gamma, c->reset_grad));
}

/* e-prop coefficients (see lsnn_eligibility_coeffs). With R(t) the reset value (b0 or B(t)),
 * pv = dz/dV and pb = dz/db = beta dz/dB:
 *   V(t+1) = alpha V(t) + g_in I(t+1) - R(t) z(t)   ->  dV'/dV = alpha - rg R pv,
 *                                                       dV'/db = -(leaky) beta z - rg R pb
 *   b(t+1) = rho b(t) + g_a z(t)                    ->  db'/dV = g_a pv,  db'/db = rho + g_a pb
 * For the "plain" model with rg = 0 this is seed 004 eq. 2.24 (pb = -beta psi, g_a = 1). */
static void lsnn__alif_eligibility(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                                   lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *o)
{
    const lsnn_alif_consts *c = k;
    const lsnn_real rg = reset_grad ? 1 : 0;
    for (int j = lo; j < hi; j++) {
        lsnn_real pv, pB;
        lsnn_alif_pseudo(c, j, s->v[j], s->b[j], lsnn_alif_in_window(c, j, s->z[j], s->ref[j]),
                         gamma, &pv, &pB);
        lsnn_real pb = c->beta[j] * pB;
        lsnn_real B = c->b0[j] + c->beta[j] * s->b[j];
        lsnn_real R = c->plain[j] != 0 ? c->b0[j] : B;
        o->jvv[j] = c->alpha[j] - rg * R * pv;
        o->jva[j] = -(1 - c->plain[j]) * c->beta[j] * s->z[j] - rg * R * pb;
        o->jav[j] = c->g_a[j] * pv;
        o->jaa[j] = c->rho[j] + c->g_a[j] * pb;
        o->ev[j] = pv;
        o->ea[j] = pb;
    }
}

/* The family's parameters (also those of stdp_alif). */
const lsnn_neuron_param lsnn_alif_params[LSNN_ALIF_N_PARAMS] = {
    [LSNN_ALIF_TAU_M] = {"tau_m", "ms", 20, 0, INFINITY, 1, 0, "membrane time constant"},
    [LSNN_ALIF_TAU_A] = {"tau_a", "ms", 1200, 0, INFINITY, 1, 0, "adaptation time constant"},
    [LSNN_ALIF_BETA] = {"beta", "", 1.8, 0, INFINITY, 0, 0,
                        "adaptation strength: threshold increase per unit of b (0: LIF)"},
    [LSNN_ALIF_B0] = {"b0", "", 0.01, 0, INFINITY, 1, 0, "baseline threshold"},
    [LSNN_ALIF_REFRACTORY] = {"refractory", "steps", 2, 0, 1000, 0, 1,
                              "refractory period after a spike"},
};

/* The constants' arrays after the struct, each 64-byte aligned. */
#define LSNN__ALIF_HEAD ((sizeof(lsnn_alif_consts) + 63) & ~(size_t)63)
static size_t lsnn__align(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

size_t lsnn_alif_consts_size(int count)
{
    const size_t r = lsnn__align(sizeof(lsnn_real) * (size_t)count);
    return LSNN__ALIF_HEAD + 8 * r + lsnn__align(sizeof(int16_t) * (size_t)count) +
           lsnn__align(sizeof(int32_t) * (size_t)count);
}

void lsnn_alif_derive(void *k, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                      lsnn_real *g_in, uint8_t *adaptive)
{
    lsnn_alif_consts *c = k;
    char *p = (char *)k + LSNN__ALIF_HEAD;
    const size_t r = lsnn__align(sizeof(lsnn_real) * (size_t)count);
    lsnn_real **arr[] = {&c->alpha, &c->rho, &c->beta, &c->b0, &c->g_in, &c->g_a, &c->plain,
                         &c->refr};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++, p += r)
        *arr[i] = (lsnn_real *)(void *)p;
    c->refractory = (int16_t *)(void *)p;
    p += lsnn__align(sizeof(int16_t) * (size_t)count);
    c->run_end = (int32_t *)(void *)p;
    c->reset_grad = o->reset_grad ? 1 : 0;
    c->psi_from_spike = o->psi_from_spike != 0;
    c->stdp_psi_positive = o->stdp_psi_positive != 0;
    const lsnn_real *tau_m = par + (size_t)LSNN_ALIF_TAU_M * count,
                    *tau_a = par + (size_t)LSNN_ALIF_TAU_A * count,
                    *beta = par + (size_t)LSNN_ALIF_BETA * count,
                    *b0 = par + (size_t)LSNN_ALIF_B0 * count,
                    *refr = par + (size_t)LSNN_ALIF_REFRACTORY * count;
    for (int j = 0; j < count; j++) {
        c->alpha[j] = (lsnn_real)exp(-o->dt / tau_m[j]);
        c->rho[j] = (lsnn_real)exp(-o->dt / tau_a[j]);
        c->beta[j] = beta[j];
        c->b0[j] = b0[j];
        c->refractory[j] = (int16_t)refr[j];
        c->refr[j] = c->refractory[j];
        c->plain[j] = (lsnn_real)(o->plain_input != 0);
        if (o->plain_input) {
            c->g_in[j] = 1;
            c->g_a[j] = 1;
        } else {
            c->g_in[j] = 1 - c->alpha[j];
            c->g_a[j] = 1 - c->rho[j];
        }
        g_in[j] = c->g_in[j];
        adaptive[j] = c->beta[j] != 0;
    }
    /* Runs of neurons with identical constants. */
    for (int j = count - 1; j >= 0; j--) {
        int same = j + 1 < count && c->alpha[j] == c->alpha[j + 1] &&
                   c->rho[j] == c->rho[j + 1] && c->beta[j] == c->beta[j + 1] &&
                   c->b0[j] == c->b0[j + 1] && c->g_in[j] == c->g_in[j + 1] &&
                   c->g_a[j] == c->g_a[j + 1] && c->plain[j] == c->plain[j + 1] &&
                   c->refr[j] == c->refr[j + 1];
        c->run_end[j] = same ? c->run_end[j + 1] : j + 1;
    }
}

void lsnn_alif_threshold(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                         lsnn_real *thr)
{
    const lsnn_alif_consts *c = k;
    for (int j = lo; j < hi; j++)
        thr[j] = c->b0[j] + c->beta[j] * s->b[j];
}

const lsnn_neuron_model lsnn_neuron_alif = {
    .name = "alif",
    .doc = "leaky integrate-and-fire neuron with an adaptive threshold (LIF when beta = 0); "
           "seed 000 eqs. 4-7, seed 004 eqs. 2.4-2.6",
    LSNN_ALIF_FAMILY_ENTRIES,
    .step = lsnn__alif_step,
    .backward_step = lsnn__alif_backward_step,
    .replay = lsnn__alif_replay,
    .eligibility = lsnn__alif_eligibility,
};

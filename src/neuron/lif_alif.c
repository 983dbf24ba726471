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

#include "lsnn/neuron.h"

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

void lsnn_alif_pseudo(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real b, int refractory,
                      lsnn_real gamma, lsnn_real *dz_dv, lsnn_real *dz_dB)
{
    if (refractory) {
        *dz_dv = 0;
        *dz_dB = 0;
        return;
    }
    lsnn_real B = c->b0[j] + c->beta[j] * b;
    if (c->plain[j]) {
        lsnn_real x = (v - B) / c->b0[j];
        lsnn_real p = gamma * fmax(0, 1 - fabs(x));
        *dz_dv = p;
        *dz_dB = -p;
    } else {
        /* v_norm = V/B - 1: d/dV = 1/B, d/dB = -V/B^2 (eq. 7 differentiated through B). */
        lsnn_real x = (v - B) / B;
        lsnn_real p = gamma * fmax(0, 1 - fabs(x));
        *dz_dv = p / B;
        *dz_dB = -p * v / (B * B);
    }
}

static void lsnn__alif_step(const lsnn_alif_consts *c, int lo, int hi, lsnn_neuron_state *s,
                            const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    lsnn_real *restrict V = s->v, *restrict bb = s->b, *restrict z = s->z;
    uint8_t *restrict hard = s->hard;
    int16_t *restrict ref = s->ref;
    for (int j = lo; j < hi; j++) {
        lsnn_real zp = z[j];
        lsnn_real b0 = c->b0[j], beta = c->beta[j];
        lsnn_real reset = c->plain[j] ? b0 : b0 + beta * bb[j];
        lsnn_real v = c->alpha[j] * V[j] + c->g_in[j] * cur[j] - reset * zp;
        lsnn_real b = c->rho[j] * bb[j] + c->g_a[j] * zp;
        int r = hard[j] ? c->refractory[j] : (ref[j] > 0 ? ref[j] - 1 : 0);
        lsnn_real B = b0 + beta * b;
        lsnn_real zn;
        uint8_t h;
        if (r > 0) {
            zn = 0;
            h = 0;
        } else if (smooth) {
            lsnn_real norm = c->plain[j] ? b0 : B;
            lsnn_real scale = c->plain[j] ? gamma * b0 : gamma;
            zn = scale * lsnn__tri_integral((v - B) / norm);
            h = v > B;
        } else {
            h = v > B;
            zn = h ? 1 : 0;
        }
        V[j] = v;
        bb[j] = b;
        z[j] = zn;
        hard[j] = h;
        ref[j] = (int16_t)r;
    }
}

/* Adjoint of one step, neurons [lo, hi). On entry adj holds dL/dV(t+1) and dL/db(t+1); gz holds
 * the derivative of the loss with respect to z(t) through every path that does not go through
 * this neuron's own state (readout, regularisation, recurrent synapses). On exit adj holds
 * dL/dV(t) and dL/db(t). v, b, z, ref are the recorded values of step t. */
static void lsnn__alif_backward_step(const lsnn_alif_consts *c, int lo, int hi,
                                     const lsnn_real *v, const lsnn_real *b, const lsnn_real *z,
                                     const int16_t *ref, const lsnn_real *gz,
                                     lsnn_neuron_adjoint *adj, lsnn_real gamma)
{
    lsnn_real *restrict gv = adj->gv, *restrict gb = adj->gb;
    for (int j = lo; j < hi; j++) {
        lsnn_real gvn = gv[j], gbn = gb[j];
        lsnn_real b0 = c->b0[j], beta = c->beta[j];
        lsnn_real B = b0 + beta * b[j];
        /* z(t) also enters V(t+1) through the reset and b(t+1) through adaptation. */
        lsnn_real reset = c->plain[j] ? b0 : B;
        lsnn_real gzt = gz[j] - reset * gvn + c->g_a[j] * gbn;
        lsnn_real dzdv, dzdB;
        lsnn_alif_pseudo(c, j, v[j], b[j], ref[j] > 0, gamma, &dzdv, &dzdB);
        lsnn_real gB = gzt * dzdB;
        if (!c->plain[j])
            gB -= z[j] * gvn; /* the reset subtracts B(t) z(t) */
        gv[j] = c->alpha[j] * gvn + gzt * dzdv;
        gb[j] = c->rho[j] * gbn + beta * gB;
    }
}

const lsnn_neuron_model lsnn_neuron_alif = {
    .name = "alif",
    .step = lsnn__alif_step,
    .backward_step = lsnn__alif_backward_step,
};

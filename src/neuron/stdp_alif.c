/* STDP-ALIF neurons (seed 004 section 3.2.2.1, eqs. 3.16-3.23): the ALIF neuron with a hard
 * reset and a negative pseudo-derivative during refractoriness, which makes e-prop's weight
 * change depend on the order of pre- and post-synaptic spikes like STDP.
 *
 * Step t, neuron j (same constants as the ALIF model, src/neuron/lif_alif.c):
 *   V(t) = alpha V(t-1) (1 - z(t-1) - zend(t-1)) + g_in I(t)     reset to zero at a spike and at
 *                                                                 the end of refractoriness
 *   b(t) = rho b(t-1) + g_a z(t-1),   B(t) = b0 + beta b(t)
 *   z(t) = H(V(t) - B(t)) unless refractory
 * zend(t) = 1 on the last refractory step (remaining refractory count 1): the seed's
 * z(t - dt_ref). The pseudo-derivative is the ALIF one outside refractoriness and -gamma during
 * it (eq. 3.23; "during" = the steps after a spike at which the neuron cannot fire, where the ALIF
 * model's pseudo-derivative is zero). Options (lsnn_neuron_opts): +gamma instead (seed 004's
 * training code), and the window t_z .. t_z + refractory - 1 from the spike step instead of
 * t_z + 1 .. t_z + refractory (eq. 3.23's t - t_z < dt_ref read literally; the code's). With refractory = 0 the model never resets at the end
 * of refractoriness and its pseudo-derivative is never negative. */
#include <math.h>

#include "lsnn/neuron_alif.h"

/* dz/dV and dz/db (= beta dz/dB) of neuron j at a recorded state. */
static void lsnn__stdp_pseudo(const lsnn_alif_consts *c, int j, lsnn_real v, lsnn_real b,
                              lsnn_real z, lsnn_real ref, lsnn_real gamma, lsnn_real *pv,
                              lsnn_real *pb)
{
    if (lsnn_alif_in_window(c, j, z, ref)) {
        lsnn_real B = c->b0[j] + c->beta[j] * b;
        /* -gamma (or +gamma) on the normalised voltage, through the same chain rule as the ALIF
         * model */
        const lsnn_real g = c->stdp_psi_positive ? gamma : -gamma;
        lsnn_real inv = c->plain[j] != 0 ? 1 : 1 / B;
        *pv = g * inv;
        *pb = -c->beta[j] * (c->plain[j] != 0 ? g : g * v / (B * B));
        return;
    }
    lsnn_real dB;
    lsnn_alif_pseudo(c, j, v, b, 0, gamma, pv, &dB);
    *pb = c->beta[j] * dB;
}

static void lsnn__stdp_step(const void *k, int lo, int hi, lsnn_neuron_state *s,
                            const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    const lsnn_alif_consts *c = k;
    /* Gradient-check mode: the ALIF model's smooth spike outside refractoriness, refractoriness
     * following the hard crossings. Its derivative matches the pseudo-derivative only where the
     * neuron is not refractory (during refractoriness the pseudo-derivative is -gamma by design,
     * not a derivative), so gradient checks run it with refractory = 0. */
    for (int j = lo; j < hi; j++) {
        lsnn_real zp = s->z[j];
        lsnn_real zend = s->ref[j] == 1 ? 1 : 0;
        lsnn_real v = c->alpha[j] * s->v[j] * (1 - zp - zend) + c->g_in[j] * cur[j];
        lsnn_real b = c->rho[j] * s->b[j] + c->g_a[j] * zp;
        lsnn_real rm = s->ref[j] - 1;
        const int fired = smooth ? s->hard[j] != 0 : zp != 0;
        lsnn_real r = fired ? c->refr[j] : (rm > 0 ? rm : 0);
        lsnn_real B = c->b0[j] + c->beta[j] * b;
        s->v[j] = v;
        s->b[j] = b;
        s->ref[j] = r;
        if (smooth)
            s->z[j] = r > 0 ? 0 : lsnn_alif_smooth_spike(c, j, v, B, gamma);
        else
            s->z[j] = r == 0 && v > B ? 1 : 0;
        if (s->hard)
            s->hard[j] = (uint8_t)(r == 0 && v > B);
    }
}

/* BPTT adjoint (contract of lsnn_neuron_model.backward_step). z(t) enters V(t+1) through the
 * reset factor (d/dz = -alpha V(t), a path cut when reset_grad = 0) and b(t+1) through g_a. */
static void lsnn__stdp_backward(const void *k, int lo, int hi, const lsnn_real *v,
                                const lsnn_real *b, const lsnn_real *z, const lsnn_real *ref,
                                const lsnn_real *gz, lsnn_neuron_adjoint *adj, lsnn_real gamma)
{
    const lsnn_alif_consts *c = k;
    for (int j = lo; j < hi; j++) {
        lsnn_real gvn = adj->gv[j], gbn = adj->gb[j];
        lsnn_real zend = ref[j] == 1 ? 1 : 0;
        lsnn_real pv, pb;
        lsnn__stdp_pseudo(c, j, v[j], b[j], z[j], ref[j], gamma, &pv, &pb);
        lsnn_real gzt = gz[j] - c->reset_grad * c->alpha[j] * v[j] * gvn + c->g_a[j] * gbn;
        adj->gv[j] = c->alpha[j] * (1 - z[j] - zend) * gvn + gzt * pv;
        adj->gb[j] = c->rho[j] * gbn + gzt * pb;
    }
}

/* e-prop coefficients (lsnn_eligibility_coeffs); with reset_grad = 0, eq. 3.20. */
static void lsnn__stdp_eligibility(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                                   lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *o)
{
    const lsnn_alif_consts *c = k;
    const lsnn_real rg = reset_grad ? 1 : 0;
    for (int j = lo; j < hi; j++) {
        lsnn_real pv, pb;
        lsnn__stdp_pseudo(c, j, s->v[j], s->b[j], s->z[j], s->ref[j], gamma, &pv, &pb);
        lsnn_real zend = s->ref[j] == 1 ? 1 : 0;
        lsnn_real av = c->alpha[j] * s->v[j];
        o->jvv[j] = c->alpha[j] * (1 - s->z[j] - zend) - rg * av * pv;
        o->jva[j] = -rg * av * pb;
        o->jav[j] = c->g_a[j] * pv;
        o->jaa[j] = c->rho[j] + c->g_a[j] * pb;
        o->ev[j] = pv;
        o->ea[j] = pb;
    }
}

const lsnn_neuron_model lsnn_neuron_stdp_alif = {
    .name = "stdp_alif",
    .doc = "ALIF neuron with a hard reset at a spike and at the end of refractoriness and a "
           "negative pseudo-derivative while refractory; seed 004 eqs. 3.16-3.23",
    LSNN_ALIF_FAMILY_ENTRIES,
    .step = lsnn__stdp_step,
    .backward_step = lsnn__stdp_backward,
    .eligibility = lsnn__stdp_eligibility,
};

/* Izhikevich neurons with built-in reset (seed 004 section 3.2.2.2, eqs. 3.24-3.39).
 *
 * Euler steps of dt = 1 ms of v' = 0.04 v^2 + 5 v + 140 - a + I, a' = 0.004 v - 0.02 a, with the
 * reset folded into the update (eqs. 3.26-3.29):
 *   vr = v(t-1) - (v(t-1) + 65) z(t-1),   ar = a(t-1) + 2 z(t-1)
 *   v(t) = vr + 0.04 vr^2 + 5 vr + 140 - ar + g_in I(t)
 *   a(t) = ar + 0.004 vr - 0.02 ar
 *   z(t) = H(v(t) - 30)
 * pseudo-derivative psi = gamma exp((min(v, 30) - 30) / 30) (eq. 3.36), dz/da = 0.
 * The state arrays hold v + 70 and a + 14 (the resting point of these equations is v = -70 mV,
 * a = -14), so that the simulator's all-zero initial state is the neuron at rest. The one
 * parameter, tau_m, only sets the input gain under "leaky" input scaling (g_in = 1 - exp(-dt /
 * tau_m)); "plain" input scaling (g_in = 1) gives the seed's equations. No refractoriness.
 *
 * e-prop (eq. 3.35) leaves out the reset's dependence on z; with reset_grad on it is included
 * (dvr/dz = -(v + 65), dar/dz = 2). The eligibility vectors of these neurons grow large, which is
 * why seed 004 clips them (eprop.clip_v = 3, eprop.clip_a = 0.005). */
#include <math.h>

#include "lsnn/neuron.h"

/* Constants of a population: the input gain, and the reset_grad option. */
typedef struct izh_consts {
    lsnn_real *g_in;
    lsnn_real reset_grad;
} izh_consts;

#define IZH_V_REST (-70.0)
#define IZH_A_REST (-14.0)
#define IZH_PEAK 30.0

static lsnn_real lsnn__izh_psi(lsnn_real v, lsnn_real gamma)
{
    lsnn_real m = v < IZH_PEAK ? v : (lsnn_real)IZH_PEAK;
    return gamma * (lsnn_real)exp((m - IZH_PEAK) / 30.0);
}

/* Gradient-check mode: a smooth spike whose derivative is psi, zero at rest (v = -70 mV):
 * 30 gamma (exp((v - 30)/30) - exp(-100/30)) up to the peak, linear (slope gamma) above. */
static lsnn_real lsnn__izh_smooth(lsnn_real v, lsnn_real gamma)
{
    const lsnn_real rest = (lsnn_real)exp((IZH_V_REST - IZH_PEAK) / 30.0);
    if (v <= (lsnn_real)IZH_PEAK)
        return 30 * gamma * ((lsnn_real)exp((v - IZH_PEAK) / 30.0) - rest);
    return 30 * gamma * (1 - rest) + gamma * (v - (lsnn_real)IZH_PEAK);
}

static void lsnn__izh_step(const void *k, int lo, int hi, lsnn_neuron_state *s,
                           const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    const izh_consts *c = k;
    for (int j = lo; j < hi; j++) {
        lsnn_real zp = s->z[j];
        lsnn_real v = s->v[j] + (lsnn_real)IZH_V_REST, a = s->b[j] + (lsnn_real)IZH_A_REST;
        lsnn_real vr = v - (v + 65) * zp, ar = a + 2 * zp;
        lsnn_real vn = vr + (lsnn_real)0.04 * vr * vr + 5 * vr + 140 - ar + c->g_in[j] * cur[j];
        lsnn_real an = ar + (lsnn_real)0.004 * vr - (lsnn_real)0.02 * ar;
        s->v[j] = vn - (lsnn_real)IZH_V_REST;
        s->b[j] = an - (lsnn_real)IZH_A_REST;
        s->ref[j] = 0;
        s->z[j] = smooth ? lsnn__izh_smooth(vn, gamma) : vn >= (lsnn_real)IZH_PEAK ? 1 : 0;
        if (s->hard)
            s->hard[j] = (uint8_t)(vn >= (lsnn_real)IZH_PEAK);
    }
}

/* Partial derivatives of (v(t+1), a(t+1)) at the recorded state of step t. */
typedef struct izh_partials {
    lsnn_real vv, va, av, aa; /* with z(t) held fixed */
    lsnn_real vz, az;         /* through z(t) (the reset) */
    lsnn_real psi;
} izh_partials;

static izh_partials lsnn__izh_partials(lsnn_real vs, lsnn_real z, lsnn_real gamma)
{
    izh_partials p;
    lsnn_real v = vs + (lsnn_real)IZH_V_REST;
    lsnn_real vr = v - (v + 65) * z;
    lsnn_real dv_dvr = 6 + (lsnn_real)0.08 * vr;
    p.vv = (1 - z) * dv_dvr;
    p.va = -1;
    p.av = (lsnn_real)0.004 * (1 - z);
    p.aa = (lsnn_real)0.98;
    p.vz = -dv_dvr * (v + 65) - 2;
    p.az = -(lsnn_real)0.004 * (v + 65) + (lsnn_real)0.98 * 2;
    p.psi = lsnn__izh_psi(v, gamma);
    return p;
}

static void lsnn__izh_backward(const void *k, int lo, int hi, const lsnn_real *v,
                               const lsnn_real *b, const lsnn_real *z, const lsnn_real *ref,
                               const lsnn_real *gz, lsnn_neuron_adjoint *adj, lsnn_real gamma)
{
    const izh_consts *c = k;
    (void)b;
    (void)ref;
    for (int j = lo; j < hi; j++) {
        izh_partials p = lsnn__izh_partials(v[j], z[j], gamma);
        lsnn_real gvn = adj->gv[j], gan = adj->gb[j];
        lsnn_real gzt = gz[j] + c->reset_grad * (gvn * p.vz + gan * p.az);
        adj->gv[j] = gvn * p.vv + gan * p.av + gzt * p.psi;
        adj->gb[j] = gvn * p.va + gan * p.aa;
    }
}

static void lsnn__izh_eligibility(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                                  lsnn_real gamma, int reset_grad, lsnn_eligibility_coeffs *o)
{
    (void)k;
    const lsnn_real rg = reset_grad ? 1 : 0;
    for (int j = lo; j < hi; j++) {
        izh_partials p = lsnn__izh_partials(s->v[j], s->z[j], gamma);
        o->jvv[j] = p.vv + rg * p.vz * p.psi;
        o->jva[j] = p.va;
        o->jav[j] = p.av + rg * p.az * p.psi;
        o->jaa[j] = p.aa;
        o->ev[j] = p.psi;
        o->ea[j] = 0;
    }
}

static const lsnn_neuron_param lsnn__izh_params[] = {
    {"tau_m", "ms", 20, 0, INFINITY, 1, 0,
     "sets only the input gain 1 - exp(-dt/tau_m) of \"leaky\" input scaling"},
};

#define IZH_HEAD ((sizeof(izh_consts) + 63) & ~(size_t)63)

static size_t lsnn__izh_consts_size(int count)
{
    return IZH_HEAD + sizeof(lsnn_real) * (size_t)count;
}

static void lsnn__izh_derive(void *k, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                             lsnn_real *g_in, uint8_t *adaptive)
{
    izh_consts *c = k;
    c->g_in = (lsnn_real *)(void *)((char *)k + IZH_HEAD);
    c->reset_grad = o->reset_grad ? 1 : 0;
    for (int j = 0; j < count; j++) {
        lsnn_real alpha = (lsnn_real)exp(-o->dt / par[j]);
        c->g_in[j] = o->plain_input ? 1 : 1 - alpha;
        g_in[j] = c->g_in[j];
        adaptive[j] = 1;
    }
}

/* The spike threshold v = 30 mV, in the units of the state (v + 70). */
static void lsnn__izh_threshold(const void *k, int lo, int hi, const lsnn_neuron_state *s,
                                lsnn_real *thr)
{
    (void)k;
    (void)s;
    for (int j = lo; j < hi; j++)
        thr[j] = (lsnn_real)(IZH_PEAK - IZH_V_REST);
}

const lsnn_neuron_model lsnn_neuron_izhikevich = {
    .name = "izhikevich",
    .doc = "Izhikevich neuron (regular spiking) with the reset folded into the update; seed 004 "
           "eqs. 3.24-3.39",
    .state_doc = "v: membrane potential + 70 mV; b: recovery variable + 14",
    .threshold_doc = "the spike peak, 30 mV (100 in the units of v)",
    .params = lsnn__izh_params,
    .n_params = 1,
    .consts_size = lsnn__izh_consts_size,
    .derive = lsnn__izh_derive,
    .step = lsnn__izh_step,
    .backward_step = lsnn__izh_backward,
    .eligibility = lsnn__izh_eligibility,
    .threshold = lsnn__izh_threshold,
};

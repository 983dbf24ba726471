/* Single-synapse e-prop demonstration (see lsnn_eprop_synapse_demo in lsnn/eprop.h). The
 * neuron is advanced with its model's own step and eligibility functions, so the traces are
 * exactly what e-prop computes inside a network. */
#include <math.h>
#include <string.h>

#include "lsnn/eprop.h"

lsnn_status lsnn_eprop_synapse_demo(const char *neuron, int clip, lsnn_synapse_demo *out)
{
    const lsnn_neuron_model *m = lsnn_neuron_model_find(neuron);
    if (!m || !m->eligibility)
        return lsnn_error(LSNN_ERR_ARG, "demo: unknown neuron model '%s' (alif, stdp_alif or "
                                        "izhikevich)", neuron);
    const int izh = strcmp(neuron, "izhikevich") == 0;
    memset(out, 0, sizeof *out);
    /* One neuron with these parameters (those its model has), plain input scaling. */
    const char *const names[] = {"tau_m", "tau_a", "beta", "b0", "refractory"};
    const double values[] = {20, 200, 0.1, 1, 5};
    const char *use_n[5];
    double use_v[5];
    int nu = 0;
    for (int i = 0; i < 5; i++)
        if (lsnn_neuron_param_index(m, names[i]) >= 0) {
            use_n[nu] = names[i];
            use_v[nu++] = values[i];
        }
    const lsnn_neuron_opts opts = {.dt = 1.0, .plain_input = 1, .reset_grad = 1};
    lsnn_neuron_block blk;
    lsnn_status bst = lsnn_neuron_block_init(&blk, m, 1, &opts, use_n, use_v, nu);
    if (bst)
        return bst;
    const void *k = blk.k;
    const double g_in = blk.g_in[0];
    const lsnn_real gamma = (lsnn_real)0.3;
    const double weight = izh ? 2 : 0.05, teacher = izh ? 200 : 1.2;
    /* the ramp: 10 steps of this current before each post-synaptic spike (V -> about 0.6) */
    const double ramp = izh ? 3 : 0.075;
    const double cv = clip ? 3 : INFINITY, ca = clip ? 0.005 : INFINITY;

    lsnn_real v = 0, b = 0, z = 0, ref = 0;
    uint8_t hard = 0;
    lsnn_neuron_state st = {.v = &v, .b = &b, .z = &z, .hard = &hard, .ref = &ref};
    lsnn_real c[2][6] = {{0}};
    double ev = 0, ea = 0, dw = 0;
    for (int t = 0; t < LSNN_DEMO_STEPS; t++) {
        /* The pattern: pre -> post (+6 ms) four times, then post -> pre (+2 ms) four times. */
        int pre = 0, kick = 0, up = 0;
        for (int r = 0; r < LSNN_DEMO_PAIRS; r++) {
            int tp = LSNN_DEMO_FIRST + LSNN_DEMO_GAP * r, tq = LSNN_DEMO_HALF + tp;
            pre |= t == tp || t == tq + 2;
            kick |= t == tp + 6 || t == tq;
            up |= (t >= tp - 4 && t < tp + 6) || (t >= tq - 10 && t < tq);
        }
        /* The pre-synaptic spike of step t is in the current of step t (an input channel with
         * delay 1). */
        lsnn_real cur = (lsnn_real)(weight * pre + ramp * up + teacher * kick);
        m->step(k, 0, 1, &st, &cur, gamma, 0);
        lsnn_real *cp = c[(t + 1) % 2], *cc = c[t % 2];
        lsnn_eligibility_coeffs co = {&cc[0], &cc[1], &cc[2], &cc[3], &cc[4], &cc[5]};
        m->eligibility(k, 0, 1, &st, gamma, 0, &co);
        /* eps(t) = J(t-1) eps(t-1) + (g_in pre(t), 0), clipped; e(t) = dz/dh(t) . eps(t) */
        double nv = cp[0] * ev + cp[1] * ea + g_in * pre;
        double na = cp[2] * ev + cp[3] * ea;
        ev = fmax(-cv, fmin(cv, nv));
        ea = fmax(-ca, fmin(ca, na));
        double e = cc[4] * ev + cc[5] * ea;
        dw += e;
        out->pre[t] = pre;
        out->post[t] = z;
        out->v[t] = izh ? v - 70 : v;
        out->a[t] = izh ? b - 14 : b;
        out->eps_v[t] = ev;
        out->eps_a[t] = ea;
        out->e[t] = e;
        out->dw[t] = dw;
    }
    lsnn_neuron_block_free(&blk);
    return LSNN_OK;
}

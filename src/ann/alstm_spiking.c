/* An adaptive analog LSTM converted into adaptive spiking neurons (lsnn/alstm_spiking.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/alstm_spiking.h"

int lsnn_alstm_spiking_first(const lsnn_alstm_spiking *sp, int population)
{
    const lsnn_alstm_spec *q = &sp->net->spec;
    const int C = q->n_cells;
    switch (population) {
    case LSNN_AS_INPUT:
        return 0;
    case LSNN_AS_HIDDEN:
        return q->n_in;
    case LSNN_AS_GATE:
        return q->n_in + q->n_hidden;
    case LSNN_AS_CIN:
        return q->n_in + q->n_hidden + C;
    case LSNN_AS_STAR:
        return q->n_in + q->n_hidden + 2 * C;
    default:
        return q->n_in + q->n_hidden + 3 * C;
    }
}

lsnn_status lsnn_alstm_spiking_create(lsnn_alstm_spiking *sp, const lsnn_alstm *net,
                                      const lsnn_alstm_spiking_params *p)
{
    memset(sp, 0, sizeof *sp);
    const char *bad = lsnn_asn_params_check(&p->asn);
    if (bad)
        return lsnn_error(LSNN_ERR_ARG, "spiking LSTM: ASN %s", bad);
    if (!(p->window_ms >= p->asn.dt) || !isfinite(p->window_ms) || p->window_ms / p->asn.dt > 1e7)
        return lsnn_error(LSNN_ERR_ARG, "spiking LSTM: window %g ms must be 1 to 1e7 steps",
                          p->window_ms);
    if (!(p->h > 0) || !(p->h_out > 0) || !isfinite(p->h) || !isfinite(p->h_out))
        return lsnn_error(LSNN_ERR_ARG, "spiking LSTM: the spike heights must be > 0 and finite");
    if (!(p->asn.tau_beta > 0) || isinf(p->asn.tau_beta))
        return lsnn_error(LSNN_ERR_ARG, "spiking LSTM: the synapses' tau_beta must be > 0 and "
                          "finite");
    sp->net = net;
    sp->p = *p;
    if (p->gate_mode < LSNN_AS_GATE_SHAT || p->gate_mode > LSNN_AS_GATE_S)
        return lsnn_error(LSNN_ERR_ARG, "spiking LSTM: unknown gate mode %d", p->gate_mode);
    lsnn_asn_params a = p->asn;
    lsnn_asn_derive(&a, &sp->k);
    a.firing = p->gate_mode == LSNN_AS_GATE_SHAT_DET ? LSNN_ASN_DETERMINISTIC : p->asn.firing;
    lsnn_asn_derive(&a, &sp->k_star);
    a.firing = p->asn.firing;
    a.tau_beta = 0;
    lsnn_asn_derive(&a, &sp->k_in);
    a.tau_beta = INFINITY;
    lsnn_asn_derive(&a, &sp->k_out);
    sp->window = (int)lround(p->window_ms / p->asn.dt);
    const double window_ms = sp->window * p->asn.dt;
    sp->w_cec = p->cec_seed ? p->asn.tau_eta / window_ms : 1 / ((1 - sp->k.d_beta) * sp->window);
    const lsnn_alstm_spec *q = &net->spec;
    sp->n_asn = q->n_in + q->n_hidden + 4 * q->n_cells;
    const size_t n = (size_t)sp->n_asn, K = (size_t)q->n_out;
    sp->mem = calloc(10 * n + 2 * K + 1, sizeof(double));
    if (!sp->mem)
        return lsnn_error(LSNN_ERR_NOMEM, "spiking LSTM: out of memory");
    lsnn_real *r = sp->mem;
    sp->s.i = r;
    sp->s.f = r + n;
    sp->s.shat = r + 2 * n;
    sp->s.theta_a = r + 3 * n;
    sp->s.v = r + 4 * n;
    sp->s.z = r + 5 * n;
    sp->cur = r + 6 * n;
    sp->bias = r + 7 * n;
    sp->zprev = r + 8 * n;
    sp->oi = (double *)sp->mem + 9 * n; /* lsnn_real <= double: the reals fit below */
    sp->of = sp->oi + K;
    sp->count = sp->of + K;
    const int nu = net->n_u;
    for (int j = 0; j < q->n_hidden; j++)
        sp->bias[q->n_in + j] = (lsnn_real)net->w_hid[(size_t)j * nu + q->n_in];
    const int g0 = lsnn_alstm_spiking_first(sp, LSNN_AS_GATE),
              c0 = lsnn_alstm_spiking_first(sp, LSNN_AS_CIN);
    for (int c = 0; c < q->n_cells; c++) {
        sp->bias[g0 + c] = (lsnn_real)net->w_gate[(size_t)c * nu + q->n_in];
        sp->bias[c0 + c] = (lsnn_real)net->w_cin[(size_t)c * nu + q->n_in];
    }
    lsnn_alstm_spiking_reset(sp, 0);
    return LSNN_OK;
}

void lsnn_alstm_spiking_free(lsnn_alstm_spiking *sp)
{
    free(sp->mem);
    memset(sp, 0, sizeof *sp);
}

void lsnn_alstm_spiking_reset(lsnn_alstm_spiking *sp, uint64_t sequence)
{
    const size_t n = (size_t)sp->n_asn;
    lsnn_asn_reset(&sp->k, sp->n_asn, &sp->s);
    memset(sp->zprev, 0, sizeof(lsnn_real) * n);
    memset(sp->oi, 0, sizeof(double) * 2 * (size_t)sp->net->spec.n_out);
    memset(sp->count, 0, sizeof(double) * n);
    sp->sequence = sequence;
    sp->key0 = lsnn_hash4(sp->p.seed, sequence, 0x61736cu, 0);
    sp->step = 0;
    sp->spikes = 0;
}

/* The state of neurons [first, first + count) as a state of its own. */
static lsnn_asn_state sub(const lsnn_asn_state *s, int first)
{
    lsnn_asn_state r = {s->i + first,       s->f + first, s->shat + first,
                        s->theta_a + first, s->v + first, s->z + first};
    return r;
}

void lsnn_alstm_spiking_window(lsnn_alstm_spiking *sp, const double *x, double *o_mean,
                               double *o_steps, double *cec)
{
    const lsnn_alstm *net = sp->net;
    const lsnn_alstm_spec *q = &net->spec;
    const int nin = q->n_in, H = q->n_hidden, C = q->n_cells, K = q->n_out, nu = net->n_u;
    const int h0 = lsnn_alstm_spiking_first(sp, LSNN_AS_HIDDEN),
              g0 = lsnn_alstm_spiking_first(sp, LSNN_AS_GATE),
              c0 = lsnn_alstm_spiking_first(sp, LSNN_AS_CIN),
              s0 = lsnn_alstm_spiking_first(sp, LSNN_AS_STAR),
              o0 = lsnn_alstm_spiking_first(sp, LSNN_AS_OUT);
    const double h = sp->p.h, ho = sp->p.h_out, db = sp->k.d_beta, dphi = sp->k.d_phi;
    /* an input without input ASNs enters as the current that a PSC of value x would hold */
    const double direct = q->input_aan ? 0 : 1 - db;
    const int nz = net->n_z, zi = q->out_from_inputs ? nin : 0;
    for (int k = 0; k < K; k++)
        o_mean[k] = 0;
    for (int t = 0; t < sp->window; t++, sp->step++) {
        const uint64_t key0 = sp->key0;
        const uint64_t key1 = (uint64_t)sp->step;
        const lsnn_real *zin = sp->zprev;
        /* currents of hidden units, gates and input cells from the inputs of the last step */
        const double *w[3] = {net->w_hid, net->w_gate, net->w_cin};
        const int first[3] = {h0, g0, c0}, rows[3] = {H, C, C};
        for (int gi = 0; gi < 3; gi++)
            for (int j = 0; j < rows[gi]; j++) {
                const double *wr = w[gi] + (size_t)j * nu;
                double c = 0;
                for (int i = 0; i < nin; i++)
                    c += wr[i] * (q->input_aan ? h * zin[i] : direct * x[i]);
                sp->cur[first[gi] + j] = (lsnn_real)c;
            }
        for (int i = 0; i < nin; i++)
            sp->cur[i] = (lsnn_real)x[i];
        for (int c = 0; c < C; c++)
            sp->cur[s0 + c] = (lsnn_real)(h * sp->zprev[g0 + c]);
        /* every population but the cells' outputs */
        if (q->input_aan) {
            lsnn_asn_state si = sub(&sp->s, 0);
            lsnn_asn_step(&sp->k_in, nin, &si, sp->cur, NULL, key0, key1);
        }
        lsnn_asn_state sr = sub(&sp->s, h0);
        lsnn_asn_step(&sp->k, H + 2 * C, &sr, sp->cur + h0, sp->bias + h0, key0 ^ 0x5a5a, key1);
        lsnn_asn_state ss = sub(&sp->s, s0);
        lsnn_asn_step(&sp->k_star, C, &ss, sp->cur + s0, NULL, key0 ^ 0x3c3c, key1);
        /* the carousels: each input-cell spike of the last step, gated by ASN* now */
        for (int c = 0; c < C; c++) {
            const double gate = sp->p.gate_mode == LSNN_AS_GATE_S ? sp->s.f[s0 + c]
                                                                 : sp->s.shat[s0 + c];
            sp->cur[o0 + c] = (lsnn_real)(sp->w_cec * h * gate * sp->zprev[c0 + c]);
        }
        lsnn_asn_state so = sub(&sp->s, o0);
        lsnn_asn_step(&sp->k_out, C, &so, sp->cur + o0, NULL, key0 ^ 0xa5a5, key1);
        if (cec)
            for (int c = 0; c < C; c++)
                cec[(size_t)t * C + c] = sp->s.i[o0 + c];
        /* linear outputs from the spikes of the last step */
        for (int k = 0; k < K; k++) {
            const double *wk = net->w_out + (size_t)k * (nz + 1);
            double c = 0;
            for (int i = 0; i < zi; i++)
                c += wk[i] * (q->input_aan ? h * sp->zprev[i] : direct * x[i]);
            for (int j = 0; j < H; j++)
                c += wk[zi + j] * h * sp->zprev[h0 + j];
            for (int j = 0; j < C; j++)
                c += wk[zi + H + j] * ho * sp->zprev[o0 + j];
            sp->oi[k] = db * sp->oi[k] + c;
            sp->of[k] = dphi * sp->of[k] + (1 - dphi) * sp->oi[k];
            const double ok = sp->of[k] + wk[nz];
            o_mean[k] += ok;
            if (o_steps)
                o_steps[(size_t)t * K + k] = ok;
        }
        for (int j = q->input_aan ? 0 : nin; j < sp->n_asn; j++)
            if (sp->s.z[j] != 0) {
                sp->spikes++;
                sp->count[j]++;
            }
        memcpy(sp->zprev, sp->s.z, sizeof(lsnn_real) * (size_t)sp->n_asn);
    }
    for (int k = 0; k < K; k++)
        o_mean[k] /= sp->window;
}

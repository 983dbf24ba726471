/* The adaptive spiking neuron (ASN) and the AAN activation of seed 002 (lsnn/asn.h; the
 * equations are at the top of that header, from ../shared/notes/spiking-lstm.md sections 1-2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/asn.h"
#include "lsnn/neuron.h"

/* ---- AAN ---------------------------------------------------------------------------------- */

const lsnn_aan_params lsnn_aan_published = {148.7, -10.16, 3.256, -1.08};

/* With u = ln a + b s, w = ln c + d s and m = max(0, u, w): AAN = e^-m / D and the two terms'
 * shares eu = e^(u-m) / D, ew = e^(w-m) / D, where D = e^-m + e^(u-m) + e^(w-m) >= 1. */
static void aan_parts(double s, const lsnn_aan_params *p, double *f, double *eu, double *ew)
{
    double u = log(p->a) + p->b * s, w = log(p->c) + p->d * s;
    double m = u > w ? u : w;
    if (m < 0)
        m = 0;
    double e0 = exp(-m), e1 = exp(u - m), e2 = exp(w - m);
    double D = e0 + e1 + e2;
    *f = e0 / D;
    *eu = e1 / D;
    *ew = e2 / D;
}

void lsnn_aan_eval(double s, const lsnn_aan_params *p, double *f, double *df)
{
    double a, eu, ew;
    aan_parts(s, p, &a, &eu, &ew);
    if (f)
        *f = a;
    if (df) /* -(b e^u + d e^w) f^2 = -(b eu + d ew) f */
        *df = -(p->b * eu + p->d * ew) * a;
}

double lsnn_aan(double s, const lsnn_aan_params *p)
{
    double f;
    lsnn_aan_eval(s, p, &f, NULL);
    return f;
}

double lsnn_aan_deriv(double s, const lsnn_aan_params *p)
{
    double df;
    lsnn_aan_eval(s, p, NULL, &df);
    return df;
}

/* Residual sum of squares of the fit at q = (ln a, b, ln c, d); with J != NULL also the
 * Jacobian rows J[i*4 + k] = d f(s_i) / d q_k and the residuals r[i] = f(s_i) - y_i. */
static double aan_rss(const double *q, const double *s, const double *y, int n, double *J,
                      double *r)
{
    lsnn_aan_params p = {exp(q[0]), q[1], exp(q[2]), q[3]};
    double rss = 0;
    for (int i = 0; i < n; i++) {
        double f, eu, ew;
        aan_parts(s[i], &p, &f, &eu, &ew);
        double e = f - y[i];
        rss += e * e;
        if (J) {
            J[i * 4 + 0] = -f * eu;
            J[i * 4 + 1] = -f * eu * s[i];
            J[i * 4 + 2] = -f * ew;
            J[i * 4 + 3] = -f * ew * s[i];
            r[i] = e;
        }
    }
    return rss;
}

/* Solves the 4 x 4 system A x = g by Gaussian elimination with partial pivoting; 0 on success. */
static int solve4(double A[4][4], double g[4], double x[4])
{
    for (int c = 0; c < 4; c++) {
        int piv = c;
        for (int r = c + 1; r < 4; r++)
            if (fabs(A[r][c]) > fabs(A[piv][c]))
                piv = r;
        if (!(fabs(A[piv][c]) > 0))
            return -1;
        if (piv != c) {
            for (int k = 0; k < 4; k++) {
                double t = A[c][k];
                A[c][k] = A[piv][k];
                A[piv][k] = t;
            }
            double t = g[c];
            g[c] = g[piv];
            g[piv] = t;
        }
        for (int r = c + 1; r < 4; r++) {
            double m = A[r][c] / A[c][c];
            for (int k = c; k < 4; k++)
                A[r][k] -= m * A[c][k];
            g[r] -= m * g[c];
        }
    }
    for (int c = 3; c >= 0; c--) {
        double t = g[c];
        for (int k = c + 1; k < 4; k++)
            t -= A[c][k] * x[k];
        x[c] = t / A[c][c];
    }
    return 0;
}

lsnn_status lsnn_aan_fit(const double *s, const double *y, int n, lsnn_aan_params *p,
                         double *rss_out)
{
    if (!s || !y || !p || n < 4)
        return lsnn_error(LSNN_ERR_ARG, "AAN fit: at least 4 points are needed (got %d)", n);
    if (!(p->a > 0) || !(p->c > 0) || !isfinite(p->a) || !isfinite(p->c) || !isfinite(p->b) ||
        !isfinite(p->d))
        return lsnn_error(LSNN_ERR_ARG, "AAN fit: the start needs finite constants with a, c > 0");
    for (int i = 0; i < n; i++)
        if (!isfinite(s[i]) || !isfinite(y[i]))
            return lsnn_error(LSNN_ERR_ARG, "AAN fit: point %d is not finite", i);
    double *J = malloc(sizeof(double) * (size_t)n * 5);
    if (!J)
        return lsnn_error(LSNN_ERR_NOMEM, "AAN fit: out of memory");
    double *r = J + (size_t)n * 4;
    double q[4] = {log(p->a), p->b, log(p->c), p->d};
    double rss = aan_rss(q, s, y, n, J, r);
    double mu = 1e-3;
    for (int it = 0; it < 500 && mu < 1e12; it++) {
        double A[4][4] = {{0}}, g[4] = {0};
        for (int i = 0; i < n; i++)
            for (int a = 0; a < 4; a++) {
                g[a] -= J[i * 4 + a] * r[i];
                for (int b = 0; b < 4; b++)
                    A[a][b] += J[i * 4 + a] * J[i * 4 + b];
            }
        int improved = 0;
        while (mu < 1e12) {
            double M[4][4], h[4], dq[4], qn[4];
            memcpy(M, A, sizeof M);
            memcpy(h, g, sizeof h);
            for (int a = 0; a < 4; a++)
                M[a][a] += mu * (A[a][a] > 0 ? A[a][a] : 1e-12);
            if (solve4(M, h, dq) == 0) {
                for (int a = 0; a < 4; a++)
                    qn[a] = q[a] + dq[a];
                double rn = aan_rss(qn, s, y, n, NULL, NULL);
                if (isfinite(rn) && rn <= rss) {
                    double drop = rss - rn;
                    memcpy(q, qn, sizeof q);
                    rss = aan_rss(q, s, y, n, J, r);
                    mu = mu / 3 > 1e-15 ? mu / 3 : 1e-15;
                    improved = drop > 1e-15 * (rss + 1e-300) ? 1 : 2;
                    break;
                }
            }
            mu *= 4;
        }
        if (improved != 1)
            break;
    }
    free(J);
    if (!isfinite(rss))
        return lsnn_error(LSNN_ERR_NUMERIC, "AAN fit: no finite fit");
    p->a = exp(q[0]);
    p->b = q[1];
    p->c = exp(q[2]);
    p->d = q[3];
    if (rss_out)
        *rss_out = rss;
    return LSNN_OK;
}

/* ---- ASN ---------------------------------------------------------------------------------- */

void lsnn_asn_params_default(lsnn_asn_params *p)
{
    p->dt = 1;
    p->tau_beta = 10;
    p->tau_phi = 2.5;
    p->tau_gamma = 10;
    p->tau_eta = 10;
    p->theta0 = 0.3;
    p->mf = 0.18;
    p->lambda0 = 0.005;
    p->dv = 0.1;
    p->firing = LSNN_ASN_ESCAPE;
    p->offset_full = 0;
    p->decay_first = 0;
}

const char *lsnn_asn_params_check(const lsnn_asn_params *p)
{
    if (!(p->dt > 0) || !isfinite(p->dt))
        return "dt must be > 0 and finite";
    if (!(p->tau_beta >= 0) || isnan(p->tau_beta))
        return "tau_beta must be >= 0 (0: no PSC filter, inf: no decay)";
    if (!(p->tau_phi >= 0) || !isfinite(p->tau_phi))
        return "tau_phi must be >= 0 and finite";
    if (!(p->tau_gamma > 0) || isnan(p->tau_gamma))
        return "tau_gamma must be > 0";
    if (!(p->tau_eta > 0) || isnan(p->tau_eta))
        return "tau_eta must be > 0";
    if (!(p->theta0 > 0) || !isfinite(p->theta0))
        return "theta0 must be > 0 and finite";
    if (!(p->mf >= 0) || !isfinite(p->mf))
        return "mf must be >= 0 and finite";
    if (!(p->lambda0 > 0) || !isfinite(p->lambda0))
        return "lambda0 must be > 0 and finite";
    if (!(p->dv > 0) || !isfinite(p->dv))
        return "dv must be > 0 and finite";
    if (p->firing < LSNN_ASN_ESCAPE || p->firing > LSNN_ASN_DETERMINISTIC)
        return "firing must be escape, linear or deterministic";
    return NULL;
}

/* exp(-dt / tau) with tau 0 -> 0 and tau inf -> 1. */
static double decay(double dt, double tau)
{
    if (tau <= 0)
        return 0;
    if (isinf(tau))
        return 1;
    return exp(-dt / tau);
}

void lsnn_asn_derive(const lsnn_asn_params *p, lsnn_asn_consts *k)
{
    k->d_beta = decay(p->dt, p->tau_beta);
    k->d_phi = decay(p->dt, p->tau_phi);
    k->d_gamma = decay(p->dt, p->tau_gamma);
    k->d_eta = decay(p->dt, p->tau_eta);
    k->theta0 = p->theta0;
    k->mf = p->mf;
    k->lambda0_dt = p->lambda0 * p->dt;
    k->inv_dv = 1 / p->dv;
    k->firing = p->firing;
    k->offset_full = p->offset_full;
    k->decay_first = p->decay_first;
}

void lsnn_asn_reset(const lsnn_asn_consts *k, int n, lsnn_asn_state *s)
{
    (void)k;
    size_t b = sizeof(lsnn_real) * (size_t)n;
    memset(s->i, 0, b);
    memset(s->f, 0, b);
    memset(s->shat, 0, b);
    memset(s->theta_a, 0, b);
    memset(s->v, 0, b);
    memset(s->z, 0, b);
}

double lsnn_asn_uniform(uint64_t key0, uint64_t key1, int j)
{
    return (double)(lsnn_hash4(key0, key1, (uint64_t)j, 0x41534eu) >> 11) * 0x1.0p-53;
}

/* One neuron's step (the equations of lsnn/asn.h) on its state (I, F, S-hat, Theta_a), in
 * place; V and the spike are returned. u is the neuron's uniform number, used only by the
 * stochastic rules. Shared by lsnn_asn_step and the graph model below. */
static inline int asn_update(const lsnn_asn_consts *k, double cur, double bias, double u,
                             double *I_, double *F_, double *sh_, double *ta_, double *V_)
{
    double I = k->d_beta * *I_ + cur;
    double F = k->d_phi * *F_ + (1 - k->d_phi) * I;
    double S = F + bias;
    double sh = k->d_eta * *sh_;
    double ta = *ta_;
    double theta = k->theta0 + ta; /* Theta(n-1) */
    double V = S - sh;
    double off = k->offset_full ? theta : 0.5 * theta;
    int z;
    if (k->firing == LSNN_ASN_DETERMINISTIC) {
        z = V > off;
    } else {
        double x = (V - off) * k->inv_dv;
        double lam = k->lambda0_dt * exp(x < 30 ? x : 30);
        double pz = k->firing == LSNN_ASN_LINEAR ? (lam < 1 ? lam : 1) : -expm1(-lam);
        z = u < pz;
    }
    if (k->decay_first)
        ta *= k->d_gamma;
    if (z) {
        sh += theta;
        ta += k->mf * theta;
    }
    if (!k->decay_first)
        ta *= k->d_gamma;
    *I_ = I;
    *F_ = F;
    *sh_ = sh;
    *ta_ = ta;
    *V_ = V;
    return z;
}

void lsnn_asn_step(const lsnn_asn_consts *k, int n, lsnn_asn_state *s, const lsnn_real *cur,
                   const lsnn_real *bias, uint64_t key0, uint64_t key1)
{
    const int stochastic = k->firing != LSNN_ASN_DETERMINISTIC;
    for (int j = 0; j < n; j++) {
        double I = s->i[j], F = s->f[j], sh = s->shat[j], ta = s->theta_a[j], V;
        const double u = stochastic ? lsnn_asn_uniform(key0, key1, j) : 0;
        const int z = asn_update(k, cur[j], bias ? bias[j] : 0, u, &I, &F, &sh, &ta, &V);
        s->i[j] = (lsnn_real)I;
        s->f[j] = (lsnn_real)F;
        s->shat[j] = (lsnn_real)sh;
        s->theta_a[j] = (lsnn_real)ta;
        s->v[j] = (lsnn_real)V;
        s->z[j] = (lsnn_real)z;
    }
}

void lsnn_asn_measure_default(lsnn_asn_measure *m)
{
    m->burn_ms = 1000;
    m->avg_ms = 5000;
    m->trials = 50;
    m->tau_psc = 10;
    m->seed = 1;
}

static uint64_t double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

lsnn_status lsnn_asn_transfer(const lsnn_asn_params *p, const lsnn_asn_measure *m,
                              const double *s, int n, double *P, double *rate_hz)
{
    const char *bad = lsnn_asn_params_check(p);
    if (bad)
        return lsnn_error(LSNN_ERR_ARG, "ASN: %s", bad);
    if (!(m->burn_ms >= 0) || !(m->avg_ms >= p->dt) || m->trials < 1 || !(m->tau_psc > 0) ||
        !isfinite(m->burn_ms) || !isfinite(m->avg_ms) || !isfinite(m->tau_psc))
        return lsnn_error(LSNN_ERR_ARG, "ASN transfer: burn-in >= 0, averaging >= one step, "
                                        "trials >= 1 and a PSC time constant > 0 are needed");
    if (m->avg_ms / p->dt * m->trials > 1e11 || m->burn_ms / p->dt > 1e10)
        return lsnn_error(LSNN_ERR_ARG, "ASN transfer: %.3g steps x %d trials is too many",
                          m->avg_ms / p->dt, m->trials);
    for (int i = 0; i < n; i++)
        if (!isfinite(s[i]))
            return lsnn_error(LSNN_ERR_ARG, "ASN transfer: input %d is not finite", i);
    lsnn_asn_params q = *p;
    q.tau_beta = 0; /* input ASNs: I = the held value */
    lsnn_asn_consts k;
    lsnn_asn_derive(&q, &k);
    const double d_psc = exp(-p->dt / m->tau_psc);
    const long burn = lround(m->burn_ms / p->dt), avg = lround(m->avg_ms / p->dt);
    const int T = m->trials;
    lsnn_real *mem = malloc(sizeof(lsnn_real) * (size_t)T * 7 * (size_t)(n > 0 ? n : 1));
    if (!mem)
        return lsnn_error(LSNN_ERR_NOMEM, "ASN transfer: out of memory");
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        lsnn_real *b = mem + (size_t)i * 7 * T;
        lsnn_asn_state st = {b, b + T, b + 2 * T, b + 3 * T, b + 4 * T, b + 5 * T};
        lsnn_real *cur = b + 6 * T;
        for (int j = 0; j < T; j++)
            cur[j] = (lsnn_real)s[i];
        lsnn_asn_reset(&k, T, &st);
        const uint64_t key0 = lsnn_hash4(m->seed, 0x7472616eu, double_bits(s[i]), 0);
        double *J = calloc((size_t)T, sizeof(double));
        double acc = 0, spikes = 0;
        for (long t = 0; t < burn + avg; t++) {
            lsnn_asn_step(&k, T, &st, cur, NULL, key0, (uint64_t)t);
            for (int j = 0; j < T; j++) {
                if (J)
                    J[j] = d_psc * J[j] + st.z[j];
                if (t >= burn) {
                    acc += J ? J[j] : 0;
                    spikes += st.z[j];
                }
            }
        }
        P[i] = J ? acc / ((double)avg * T) : NAN;
        free(J);
        if (rate_hz)
            rate_hz[i] = spikes / ((double)T * (double)avg * p->dt / 1000.0);
    }
    free(mem);
    for (int i = 0; i < n; i++)
        if (isnan(P[i]))
            return lsnn_error(LSNN_ERR_NOMEM, "ASN transfer: out of memory");
    return LSNN_OK;
}

lsnn_status lsnn_asn_calibrate(const lsnn_asn_params *p, const lsnn_asn_measure *m,
                               double s_ref, double *h, double *p_ref)
{
    double P;
    lsnn_status st = lsnn_asn_transfer(p, m, &s_ref, 1, &P, NULL);
    if (st)
        return st;
    if (p_ref)
        *p_ref = P;
    if (!(P > 0))
        return lsnn_error(LSNN_ERR_NUMERIC,
                          "ASN calibration: the neuron never fired at S = %g in %g ms x %d trials",
                          s_ref, m->avg_ms, m->trials);
    *h = 1 / P;
    return LSNN_OK;
}

/* ---- The ASN as a neuron model of the graph API (lsnn/neuron.h) ---------------------------
 *
 * State: v = V (S - S-hat of the last step), b = Theta - theta0, aux 0 = I (the PSC), aux 1 = F
 * (the smoothed input), aux 2 = S-hat. The synaptic current of the step (weighted spikes through
 * their delays) is what enters I. Parameters per neuron; firing, offset_full and decay_first are
 * whole numbers (the enum and flags of lsnn_asn_params). Simulation only: there is no gradient
 * (the analog LSTM is trained instead and converted). */

static const lsnn_neuron_param asn_params[] = {
    {"tau_beta", "ms", 10, 0, INFINITY, 0, 0,
     "PSC decay (0: the current itself, as for an input ASN; large: no decay, the carousel)"},
    {"tau_phi", "ms", 2.5, 0, INFINITY, 0, 0, "input smoothing"},
    {"tau_gamma", "ms", 10, 0, INFINITY, 1, 0, "decay of the threshold's adaptation"},
    {"tau_eta", "ms", 10, 0, INFINITY, 1, 0, "decay of the reconstruction kernel"},
    {"theta0", "", 0.3, 0, INFINITY, 1, 0, "resting threshold"},
    {"mf", "", 0.18, 0, INFINITY, 0, 0, "multiplicative threshold adaptation per spike"},
    {"lambda0", "1/ms", 0.005, 0, INFINITY, 1, 0, "escape rate at V = offset"},
    {"dv", "", 0.1, 0, INFINITY, 1, 0, "escape rate's slope"},
    {"bias", "", 0, -1e6, 1e6, 0, 0, "added to the smoothed input S"},
    {"firing", "", 0, 0, 2, 0, 1,
     "0 escape noise p = 1 - exp(-lambda dt), 1 p = min(lambda dt, 1), 2 deterministic "
     "(V > offset)"},
    {"offset_full", "", 0, 0, 1, 0, 1, "1: the offset is Theta (0: Theta / 2)"},
    {"decay_first", "", 0, 0, 1, 0, 1, "1: Theta's adaptation decays before a spike's increment"},
};
#define ASN_NP ((int)(sizeof asn_params / sizeof asn_params[0]))

typedef struct asn_graph_consts {
    lsnn_asn_consts *k; /* (count) */
    double *bias;       /* (count) */
} asn_graph_consts;

#define ASN_HEAD ((sizeof(asn_graph_consts) + 63) & ~(size_t)63)

static size_t asn_consts_size(int count)
{
    return ASN_HEAD + (sizeof(lsnn_asn_consts) + sizeof(double)) * (size_t)count;
}

static void asn_derive(void *kv, int count, const lsnn_real *par, const lsnn_neuron_opts *o,
                       lsnn_real *g_in, uint8_t *adaptive)
{
    asn_graph_consts *c = kv;
    c->k = (lsnn_asn_consts *)(void *)((char *)kv + ASN_HEAD);
    c->bias = (double *)(void *)(c->k + count);
    for (int j = 0; j < count; j++) {
        const lsnn_real *q = par + j;
        lsnn_asn_params p;
        lsnn_asn_params_default(&p);
        p.dt = o->dt;
        p.tau_beta = q[0 * count];
        p.tau_phi = q[1 * count];
        p.tau_gamma = q[2 * count];
        p.tau_eta = q[3 * count];
        p.theta0 = q[4 * count];
        p.mf = q[5 * count];
        p.lambda0 = q[6 * count];
        p.dv = q[7 * count];
        c->bias[j] = q[8 * count];
        p.firing = (lsnn_asn_firing)(int)q[9 * count];
        p.offset_full = q[10 * count] != 0;
        p.decay_first = q[11 * count] != 0;
        lsnn_asn_derive(&p, &c->k[j]);
        g_in[j] = 1;
        adaptive[j] = 1;
    }
}

static void asn_graph_step(const void *kv, int lo, int hi, lsnn_neuron_state *s,
                           const lsnn_real *cur, lsnn_real gamma, int smooth)
{
    (void)gamma;
    (void)smooth; /* no gradient, hence no smooth spike */
    const asn_graph_consts *c = kv;
    lsnn_real *Ia = s->aux, *Fa = s->aux + s->aux_stride, *Sa = s->aux + 2 * s->aux_stride;
    for (int j = lo; j < hi; j++) {
        const lsnn_asn_consts *k = &c->k[j];
        double I = Ia[j], F = Fa[j], sh = Sa[j], ta = s->b[j], V;
        const double u = k->firing != LSNN_ASN_DETERMINISTIC
                             ? lsnn_asn_uniform(s->key0, s->key1, j)
                             : 0;
        const int z = asn_update(k, cur[j], c->bias[j], u, &I, &F, &sh, &ta, &V);
        Ia[j] = (lsnn_real)I;
        Fa[j] = (lsnn_real)F;
        Sa[j] = (lsnn_real)sh;
        s->b[j] = (lsnn_real)ta;
        s->v[j] = (lsnn_real)V;
        s->z[j] = (lsnn_real)z;
        s->ref[j] = 0;
        if (s->hard)
            s->hard[j] = (uint8_t)z;
    }
}

/* The offset V is compared with: Theta / 2 (or Theta). */
static void asn_threshold(const void *kv, int lo, int hi, const lsnn_neuron_state *s,
                          lsnn_real *thr)
{
    const asn_graph_consts *c = kv;
    for (int j = lo; j < hi; j++) {
        const double theta = c->k[j].theta0 + s->b[j];
        thr[j] = (lsnn_real)(c->k[j].offset_full ? theta : 0.5 * theta);
    }
}

const lsnn_neuron_model lsnn_neuron_asn = {
    .name = "asn",
    .doc = "adaptive spiking neuron (seed 002 eqs. 1-5): PSC, input smoothing, multiplicative "
           "threshold adaptation, reconstruction, escape-noise firing; simulation only",
    .state_doc = "v: V = S - S-hat; b: Theta - theta0; aux: the PSC I, the smoothed input F, "
                 "the reconstruction S-hat",
    .threshold_doc = "the offset V is compared with, Theta / 2 (Theta with offset_full)",
    .params = asn_params,
    .n_params = ASN_NP,
    .consts_size = asn_consts_size,
    .derive = asn_derive,
    .step = asn_graph_step,
    .threshold = asn_threshold,
    .n_aux = 3,
    .aux_doc = "I, F, S-hat",
    .stochastic = 1,
    .forward_only = 1,
};

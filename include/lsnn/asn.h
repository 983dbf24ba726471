/* lsnn/asn.h - the adaptive spiking neuron (ASN) of seed 002 and its analog counterpart, the
 * adaptive analog neuron activation (AAN); issue 21. The equations are those of
 * ../shared/notes/spiking-lstm.md sections 1-2 (seed 002 eqs. 1-7), in discrete steps of dt:
 *
 *   I(n) = d_beta I(n-1) + cur(n)               PSC (d_beta = exp(-dt/tau_beta); tau_beta 0:
 *                                               I = cur, an input ASN; tau_beta inf: no decay)
 *   F(n) = d_phi F(n-1) + (1 - d_phi) I(n)      input smoothing (unit DC gain)
 *   S(n) = F(n) + bias
 *   Shat <- d_eta Shat                           reconstruction, decayed
 *   V(n) = S(n) - Shat
 *   lambda = lambda0 exp(min((V - off) / dV, 30)),  off = Theta(n-1) / 2 (or Theta: offset_full)
 *   z(n) = [u < 1 - exp(-lambda dt)]            u uniform from the counter-based hash of
 *                                               (key0, key1, neuron); "linear": p = min(lambda
 *                                               dt, 1); deterministic: z = [V > off]
 *   if z: Shat += Theta(n-1), Theta_a += mf Theta(n-1)
 *   Theta_a <- d_gamma Theta_a;  Theta(n) = theta0 + Theta_a
 *
 * (decay_first: Theta_a is decayed before the increment instead, which shifts Theta by a step.)
 * The outgoing weights of an ASN carry its spike height h, set so that the normalised
 * post-synaptic current of a neuron held at S = 4.8 is 1: h = 1 / P(4.8), P(S) the time average
 * of J(n) = d_psc J(n-1) + z(n) (tau_psc 10 ms) while S is held (lsnn_asn_transfer).
 *
 * AAN(S) = 1 / (a e^(b S) + c e^(d S) + 1), the ASN's normalised transfer curve h P(S) fitted
 * with four constants (published: a = 148.7, b = -10.16, c = 3.256, d = -1.08), evaluated in a
 * form that neither overflows nor loses the small values (lsnn_aan). */
#ifndef LSNN_ASN_H
#define LSNN_ASN_H

#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/status.h"

/* ---- AAN ---------------------------------------------------------------------------------- */

typedef struct lsnn_aan_params {
    double a, b, c, d;
} lsnn_aan_params;

/* The constants printed in seed 002 (eqs. 6-7). */
extern const lsnn_aan_params lsnn_aan_published;

/* AAN(S). */
double lsnn_aan(double s, const lsnn_aan_params *p);
/* AAN'(S) = -(a b e^(b S) + c d e^(d S)) AAN(S)^2 (positive for b, d < 0). */
double lsnn_aan_deriv(double s, const lsnn_aan_params *p);
/* Both at once. */
void lsnn_aan_eval(double s, const lsnn_aan_params *p, double *f, double *df);

/* Least-squares fit of (ln a, b, ln c, d) to the points (s[i], y[i]) by Levenberg-Marquardt,
 * starting from *p (a, c > 0) and writing the fit back into *p. Returns the residual sum of
 * squares in *rss (may be NULL). LSNN_ERR_ARG: fewer than 4 points, a non-finite point or a
 * start with a or c <= 0; LSNN_ERR_NUMERIC: no finite fit. */
lsnn_status lsnn_aan_fit(const double *s, const double *y, int n, lsnn_aan_params *p,
                         double *rss);

/* ---- ASN ---------------------------------------------------------------------------------- */

typedef enum lsnn_asn_firing {
    LSNN_ASN_ESCAPE = 0,        /* p = 1 - exp(-lambda dt) (the default) */
    LSNN_ASN_LINEAR = 1,        /* p = min(lambda dt, 1) */
    LSNN_ASN_DETERMINISTIC = 2  /* z = [V > offset] (unit tests, the public code's rule) */
} lsnn_asn_firing;

typedef struct lsnn_asn_params {
    double dt;         /* ms per step (1) */
    double tau_beta;   /* PSC decay, ms (10); 0: I = cur (input ASN); INFINITY: no decay (CEC) */
    double tau_phi;    /* input smoothing, ms (2.5) */
    double tau_gamma;  /* threshold adaptation decay, ms (10) */
    double tau_eta;    /* reconstruction kernel decay, ms (10) */
    double theta0;     /* resting threshold (0.3) */
    double mf;         /* multiplicative adaptation (0.18) */
    double lambda0;    /* escape-rate scale, per ms (0.005) */
    double dv;         /* escape-rate slope (0.1) */
    lsnn_asn_firing firing;
    int offset_full;   /* 1: offset Theta instead of Theta / 2 */
    int decay_first;   /* 1: Theta_a decays before the spike's increment */
} lsnn_asn_params;

/* The values above (seed 002 section 2, tau_phi from the public ASN code). */
void lsnn_asn_params_default(lsnn_asn_params *p);
/* NULL if p is valid, else a static text naming the bad field. */
const char *lsnn_asn_params_check(const lsnn_asn_params *p);

/* Decay factors derived from the parameters (once, outside the step loop). */
typedef struct lsnn_asn_consts {
    double d_beta, d_phi, d_gamma, d_eta;
    double theta0, mf, lambda0_dt, inv_dv;
    lsnn_asn_firing firing;
    int offset_full, decay_first;
} lsnn_asn_consts;
void lsnn_asn_derive(const lsnn_asn_params *p, lsnn_asn_consts *k);

/* The state of n neurons (structure of arrays, each of n entries). All zero with
 * theta = theta0 is the initial state (lsnn_asn_reset). v and theta are outputs of a step
 * (V(n) and Theta(n)), kept for traces and plots. */
typedef struct lsnn_asn_state {
    lsnn_real *i;        /* PSC I */
    lsnn_real *f;        /* smoothed input F */
    lsnn_real *shat;     /* reconstruction S-hat */
    lsnn_real *theta_a;  /* threshold adaptation Theta - theta0 */
    lsnn_real *v;        /* V = S - S-hat of the last step */
    lsnn_real *z;        /* spike of the last step (1/0) */
} lsnn_asn_state;

void lsnn_asn_reset(const lsnn_asn_consts *k, int n, lsnn_asn_state *s);

/* One step of neurons [0, n): cur[j] is neuron j's synaptic input of this step (the weighted
 * spikes, or the input value of an input ASN), bias[j] its bias (NULL: 0). The uniform number
 * of neuron j is a pure function of (key0, key1, j): callers put the seed, the sequence and the
 * step into the two keys, so a run is reproducible and independent of threads. */
void lsnn_asn_step(const lsnn_asn_consts *k, int n, lsnn_asn_state *s, const lsnn_real *cur,
                   const lsnn_real *bias, uint64_t key0, uint64_t key1);

/* The uniform number in [0, 1) the step draws for neuron j under (key0, key1). */
double lsnn_asn_uniform(uint64_t key0, uint64_t key1, int j);

/* How P(S) is measured: `trials` independent neurons with the input held at S (as input ASNs,
 * tau_beta 0, bias 0), burn_ms discarded, then the time average of J over avg_ms and the
 * trials. */
typedef struct lsnn_asn_measure {
    double burn_ms;    /* 1000 */
    double avg_ms;     /* 5000 */
    int trials;        /* 50 */
    double tau_psc;    /* 10: the receiving PSC's decay, ms */
    uint64_t seed;     /* 1 */
} lsnn_asn_measure;
void lsnn_asn_measure_default(lsnn_asn_measure *m);

/* P(s[i]) into P[i] and the firing rate in Hz into rate_hz[i] (may be NULL), for i < n. The
 * neuron's tau_beta is ignored (input ASNs). Deterministic in m->seed. */
lsnn_status lsnn_asn_transfer(const lsnn_asn_params *p, const lsnn_asn_measure *m,
                              const double *s, int n, double *P, double *rate_hz);

/* h = 1 / P(s_ref) (s_ref 4.8 for regular units); P(s_ref) into *p_ref (may be NULL).
 * LSNN_ERR_NUMERIC if the neuron never fires at s_ref. */
lsnn_status lsnn_asn_calibrate(const lsnn_asn_params *p, const lsnn_asn_measure *m,
                               double s_ref, double *h, double *p_ref);

#endif

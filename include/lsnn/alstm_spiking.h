/* lsnn/alstm_spiking.h - an adaptive analog LSTM (lsnn/alstm.h) converted one to one into adaptive
 * spiking neurons (lsnn/asn.h), seed 002 section 2 and ../shared/notes/spiking-lstm.md section
 * 3.2. Every analog step becomes a window of `window_ms` during which the inputs are held; no
 * state is reset between windows, everything at a sequence's start.
 *
 *   analog                      spiking
 *   input unit AAN(x_i)         input ASN whose current is x_i (no PSC filter); spike height h
 *                               (input_aan 0: x_i enters the receivers as a current instead)
 *   AAN unit, weights W, bias   ASN with weights h W on the senders' spikes (PSC tau_beta),
 *                               the bias added to S; spike height h
 *   gate iota                   gate ASN, then ASN*: an ASN that receives the gate's spikes with
 *                               weight h (its own spikes go nowhere); its reconstruction S-hat*
 *                               follows iota
 *   carousel s, cell output     output ASN without PSC decay: every spike of the input cell adds
 *                               W_CEC h S-hat*(n) to its current I, which is the carousel's value;
 *                               spike height h_out (1 / P(4.8), or 1 / P(1) when the analog cell
 *                               output is normalised by AAN(1))
 *   w_cec = 1                   W_CEC = 1 / ((1 - d_beta) window) (exact: a sender whose
 *                               normalised PSC is a emits h r = a (1 - d_beta) spikes per ms), or
 *                               tau_eta / window (the seed's continuous approximation)
 *   linear output o_k           non-spiking unit: o_k(n) = S_k(n), the filtered PSCs of its
 *                               senders with weights h W plus the bias; the window output is
 *                               the mean over the window
 * All synapses carry one step of delay. Firing is stochastic (lsnn/asn.h), from (seed, sequence,
 * step), or deterministic with asn.firing. */
#ifndef LSNN_ALSTM_SPIKING_H
#define LSNN_ALSTM_SPIKING_H

#include <stdint.h>

#include "lsnn/alstm.h"
#include "lsnn/asn.h"

typedef struct lsnn_alstm_spiking_params {
    lsnn_asn_params asn;      /* every ASN (tau_beta is the PSC of the regular synapses) */
    double window_ms;         /* 200 */
    double h;                 /* spike height of input, hidden, gate and input-cell ASNs */
    double h_out;             /* of the cells' output ASNs */
    int cec_seed;             /* 1: W_CEC = tau_eta / window (seed); 0: the exact value */
    int gate_mode;            /* what multiplies an input-cell spike: LSNN_AS_GATE_*
                               * (default SHAT_DET) */
    uint64_t seed;
} lsnn_alstm_spiking_params;

typedef struct lsnn_alstm_spiking {
    const lsnn_alstm *net;
    lsnn_alstm_spiking_params p;
    lsnn_asn_consts k_in, k, k_out; /* input ASNs, regular ASNs, cells' output ASNs */
    lsnn_asn_consts k_star;   /* ASN* */
    int window;               /* steps per window */
    double w_cec;             /* W_CEC */
    /* populations: inputs (n_in), hidden (H), gates (C), input cells (C), ASN* (C), cell
     * outputs (C), in this order in one state of n_asn neurons */
    int n_asn;
    lsnn_asn_state s;
    lsnn_real *cur, *bias, *zprev;
    double *oi, *of;          /* the linear outputs' PSC sum and its smoothed value */
    uint64_t sequence;
    uint64_t key0;            /* the random key of the sequence (lsnn_alstm_spiking_reset) */
    long step;                /* steps since the sequence's start */
    long spikes;              /* spikes of all ASNs since the sequence's start */
    double *count;            /* (n_asn) spikes of each ASN since the sequence's start */
    void *mem;
} lsnn_alstm_spiking;

/* Checks the parameters (window >= 1 step, h > 0) and allocates. The network is read, not
 * copied: it must outlive the converted one. */
lsnn_status lsnn_alstm_spiking_create(lsnn_alstm_spiking *sp, const lsnn_alstm *net,
                                      const lsnn_alstm_spiking_params *p);
void lsnn_alstm_spiking_free(lsnn_alstm_spiking *sp);
/* Start of sequence (or episode) `sequence`: all states 0, thresholds at rest. */
void lsnn_alstm_spiking_reset(lsnn_alstm_spiking *sp, uint64_t sequence);
/* One window with the input x (n_in) held: the mean of each linear output over the window into
 * o_mean (n_out), and, when not NULL, the outputs at every step into o_steps (window x n_out,
 * step-major) and the current I of each cell's output ASN (the spiking carousel) at every step
 * into cec (window x n_cells, step-major). */
void lsnn_alstm_spiking_window(lsnn_alstm_spiking *sp, const double *x, double *o_mean,
                               double *o_steps, double *cec);
/* Index of the first neuron of each population in the state. */
int lsnn_alstm_spiking_first(const lsnn_alstm_spiking *sp, int population);
/* The gate signal of the carousel: S-hat* of ASN* firing by the network's rule (the text), of an
 * ASN* that fires deterministically (V > offset), or ASN*'s smoothed input S* itself. */
enum { LSNN_AS_GATE_SHAT = 0, LSNN_AS_GATE_SHAT_DET = 1, LSNN_AS_GATE_S = 2 };
enum { LSNN_AS_INPUT = 0, LSNN_AS_HIDDEN, LSNN_AS_GATE, LSNN_AS_CIN, LSNN_AS_STAR, LSNN_AS_OUT };

#endif

/* lsnn/alstm.h - the adaptive analog LSTM of seed 002 (issue 21; ../shared/notes/spiking-lstm.md
 * sections 3.1, 3.3, 4.1, 4.2): the network that is trained with analog AAN units and then
 * converted one to one into adaptive spiking neurons (lsnn/asn.h).
 *
 * One step t, with u(t) = [x'(t), 1] (x' = AAN(x) for spiking input units, or x itself):
 *   hidden unit j:  r_j = AAN(W_hid[j] . u)
 *   cell c:         iota_c = AAN(W_gate[c] . u)              input gate
 *                   g_c    = AAN(W_cin[c] . u)               input cell
 *                   s_c(t) = s_c(t-1) + w_cec iota_c g_c     carousel, s = 0 at start
 *                   y_c    = f_o(s_c)                        f_o = AAN, or AAN / AAN(1)
 *   output k:       o_k = W_out[k] . [z, 1],  z = [x' (if out_from_inputs), r, y]
 * No forget gate, no output gate; the cells and hidden units see the inputs only (feed-forward).
 *
 * Truncated RTRL (notes 4.1): per cell the partials
 *   P_gate(t) = P_gate(t-1) + w_cec g AAN'(net_gate) u,
 *   P_cin(t)  = P_cin(t-1) + w_cec iota AAN'(net_cin) u
 * (reset at a sequence's start) give dL(t)/dW_gate = delta_s P_gate, dL(t)/dW_cin = delta_s P_cin
 * with delta_s = f_o'(s) sum_k W_out[k][c] dL/do_k; hidden units take one step of backprop; the
 * output weights dL/do_k z. With no recurrent path into the cells, the CEC is the only path
 * through time and the sum of these per-step gradients over a sequence equals BPTT's gradient
 * (lsnn_alstm_bptt) when the weights do not change within the sequence.
 *
 * Parameters in one block of doubles, in this order: W_hid (n_hidden, n_u), W_gate (n_cells, n_u),
 * W_cin (n_cells, n_u), W_out (n_out, n_z + 1); n_u = n_in + 1, the last column a bias. */
#ifndef LSNN_ALSTM_H
#define LSNN_ALSTM_H

#include <stddef.h>

#include "lsnn/asn.h"
#include "lsnn/core.h"
#include "lsnn/status.h"

typedef struct lsnn_alstm_spec {
    int n_in, n_hidden, n_cells, n_out;
    int out_from_inputs;    /* 1: the outputs read the input units too (sequence prediction) */
    int input_aan;          /* 1: input units are AAN(x) (spiking input ASNs), 0: x itself */
    int cell_out_norm;      /* 1: f_o(s) = AAN(s) / AAN(1) (T-maze), 0: AAN(s) */
    double w_cec;           /* the carousel's weight in training (1) */
    lsnn_aan_params aan;    /* the activation's constants */
} lsnn_alstm_spec;

typedef struct lsnn_alstm {
    lsnn_alstm_spec spec;
    int n_u;                /* n_in + 1 */
    int n_z;                /* units the outputs read (without their bias) */
    size_t n_params;
    double *params;         /* one allocation */
    double *w_hid, *w_gate, *w_cin, *w_out;
    double aan1;            /* AAN(1), the normalisation of f_o */
    double aan0;            /* AAN(0), the input unit of a silent input */
    double log_a, log_c;    /* of the activation's constants, for the inner loops */
} lsnn_alstm;

/* Initial weights: all U[-range, range], then the biases (last column) of each group set to the
 * given values unless NaN (NaN: drawn like the weights). */
typedef struct lsnn_alstm_init {
    double range;           /* 0.2 (H&S 1997) */
    double hid_bias, gate_bias, cin_bias, out_bias;
} lsnn_alstm_init;

/* Checks the spec (sizes >= 0, at least one input and output, n_z >= 1, finite w_cec, a and c
 * of the activation > 0) and allocates. */
lsnn_status lsnn_alstm_create(lsnn_alstm *net, const lsnn_alstm_spec *spec);
void lsnn_alstm_free(lsnn_alstm *net);
/* Draws the weights from the generator (deterministic in it). */
void lsnn_alstm_init_weights(lsnn_alstm *net, const lsnn_alstm_init *init, lsnn_rng *rng);
/* Index of the first output weight that reads cell c (W_out[k] column). */
size_t lsnn_alstm_out_index(const lsnn_alstm *net, int k, int j);

/* Per-sequence state of one network: activations of the last step, the carousels, the RTRL
 * partials. */
typedef struct lsnn_alstm_state {
    double *u;              /* (n_u) */
    double *z;              /* (n_z) */
    double *hid_d;          /* (n_hidden) AAN' of the hidden units' net input */
    double *gate, *gate_d;  /* (n_cells) iota and AAN'(net_gate) */
    double *cin, *cin_d;    /* (n_cells) g and AAN'(net_cin) */
    double *s, *yc_d;       /* (n_cells) carousel and f_o'(s) */
    double *p_gate, *p_cin; /* (n_cells, n_u) RTRL partials */
    double *o;              /* (n_out) */
    void *mem;
} lsnn_alstm_state;

lsnn_status lsnn_alstm_state_create(const lsnn_alstm *net, lsnn_alstm_state *st);
void lsnn_alstm_state_free(lsnn_alstm_state *st);
/* Start of a sequence or episode: carousels and partials 0. */
void lsnn_alstm_reset(const lsnn_alstm *net, lsnn_alstm_state *st);

/* One step on input x (n_in): activations, carousels, partials and the outputs st->o. With
 * cells_on 0 the cells are left out (their outputs read as 0, their partials not advanced): the
 * network before the cell is inserted (sequential construction). */
void lsnn_alstm_step(const lsnn_alstm *net, lsnn_alstm_state *st, const double *x, int cells_on);

/* Adds to grad (n_params) the truncated RTRL gradient of this step's loss given go = dL/do
 * (n_out) at the state after lsnn_alstm_step. cells_on 0: no gradient for the cells' weights. */
void lsnn_alstm_grad(const lsnn_alstm *net, const lsnn_alstm_state *st, const double *go,
                     double *grad, int cells_on);

/* BPTT over one sequence of T steps (x: T x n_in; target: T x n_out) with the loss
 * L = sum_t 1/2 sum_k (o_k(t) - target_k(t))^2: adds dL/dparams to grad and returns L. The
 * outputs of every step go to out (T x n_out) when not NULL. Uses its own state. */
lsnn_status lsnn_alstm_bptt(const lsnn_alstm *net, int T, const double *x, const double *target,
                            double *grad, double *out, double *loss);

#endif

/* lsnn/ann.h - non-spiking baselines: an LSTM and a tanh RNN trained with BPTT.
 *
 * They reproduce the LSTM and RNN rows of seed 000 Table S1 (sequential MNIST, 128 units, grey
 * values as one input channel) and share the interface of the spiking engine: the input is an
 * lsnn_batch (x is (B, T, n_in)), the output a readout y (B, T, n_out), so the same losses
 * (lsnn_loss_compute gives gy = dL/dy) and optimizers (one flat loop over params) drive them.
 *
 * LSTM (gates i, f, g, o; sigma the logistic function; h(-1) = c(-1) = 0):
 *   [a_i a_f a_g a_o](t) = x(t) W_x + h(t-1) W_h + b
 *   i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)
 *   c(t) = f c(t-1) + i g,   h(t) = o tanh(c(t))
 * RNN (h(-1) = 0):
 *   h(t) = tanh(x(t) W_x + h(t-1) W_h + b)
 * Both:
 *   y(t) = h(t) W_out + b_out   (y(t) = W_out^T h(t) + b_out with W_out stored (H, n_out))
 *
 * Parameters, in this order in one allocation (row-major, source-major like lsnn_net):
 *   tensor  shape             LSTM                           RNN
 *   w_x     (n_in, G H)       G = 4, columns [i | f | g | o]  G = 1
 *   w_h     (H, G H)          same column layout             same
 *   b       (G H)             forget-gate block 1, others 0  0
 *   w_out   (H, n_out)
 *   b_out   (n_out)           0
 * Counts for n_in = 1, H = 128, n_out = 10 (Table S1): LSTM 4 (1*128 + 128*128 + 128) + 128*10 + 10
 * = 67,850; RNN 1*128 + 128*128 + 128 + 128*10 + 10 = 17,930.
 *
 * Initialisation (lsnn_ann_init), every tensor from its own RNG stream derived from the seed:
 *   w_x    Glorot uniform per gate block: U(-a, a), a = sqrt(6 / (n_in + H))
 *   w_h    orthogonal per gate block (Gram-Schmidt of a Gaussian H x H matrix), the usual
 *          recurrent initialisation (keeps h(t-1) W_h norm-preserving at the start)
 *   w_out  Glorot uniform, a = sqrt(6 / (H + n_out))
 *   b      LSTM forget gate 1 (remember by default, Gers et al. 2000), everything else 0
 *
 * Memory. The forward pass keeps what BPTT needs for every sequence and step (no recomputation):
 *   LSTM: the four gate activations and c(t): 5 H reals per sequence-step (h(t) = o tanh(c(t))
 *         is recomputed in the backward pass); RNN: h(t): H reals per sequence-step.
 * For H = 128 in float that is 2,560 bytes (LSTM) and 512 bytes (RNN) per sequence-step, i.e.
 * for B = 256, T = 840: 550.5 MB (LSTM) and 110.1 MB (RNN), plus per-chunk scratch and gradient
 * buffers (under 0.5 MB per chunk). lsnn_ann_work_bytes gives the exact figure.
 *
 * Parallelism and determinism. The batch is cut into chunks of 16 sequences; chunks run in
 * parallel (OpenMP), each computes its sequences with one matrix product over the chunk per step
 * (for the RNN the input part and the readout of all steps are one product each) and writes its
 * own partial gradient; partial gradients are summed in chunk order. Results are therefore
 * bit-identical for any number of threads. */
#ifndef LSNN_ANN_H
#define LSNN_ANN_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/sim.h"
#include "lsnn/status.h"

typedef enum lsnn_ann_kind {
    LSNN_ANN_LSTM = 0,
    LSNN_ANN_RNN = 1
} lsnn_ann_kind;

/* "lstm" / "rnn". */
const char *lsnn_ann_kind_name(lsnn_ann_kind kind);
/* Parses "lstm" / "rnn" (case-sensitive) into *kind; LSNN_ERR_CONFIG otherwise. */
lsnn_status lsnn_ann_kind_parse(const char *name, lsnn_ann_kind *kind);

typedef struct lsnn_ann {
    lsnn_ann_kind kind;
    int n_in, n_hidden, n_out;
    int n_gates;               /* G: 4 (LSTM) or 1 (RNN) */
    lsnn_real *params;         /* one allocation, n_params reals */
    size_t n_params;
    lsnn_real *w_x;            /* (n_in, G H) */
    lsnn_real *w_h;            /* (H, G H) */
    lsnn_real *b;              /* (G H) */
    lsnn_real *w_out;          /* (H, n_out) */
    lsnn_real *b_out;          /* (n_out) */
} lsnn_ann;

/* Number of parameters of a network of this kind and size (no allocation). */
size_t lsnn_ann_count_params(lsnn_ann_kind kind, int n_in, int n_hidden, int n_out);

/* Allocates and initialises (see the top of this file) from `seed`. */
lsnn_status lsnn_ann_init(lsnn_ann *a, lsnn_ann_kind kind, int n_in, int n_hidden, int n_out,
                          uint64_t seed);
void lsnn_ann_free(lsnn_ann *a);

/* 1 for every parameter (all are trained), like lsnn_net_trainable_mask: out (n_params). */
void lsnn_ann_trainable_mask(const lsnn_ann *a, uint8_t *out);

/* The parameter tensors in storage order, for checkpoints and tests. Returns the count (5). */
#define LSNN_ANN_N_TENSORS 5
typedef struct lsnn_ann_tensor {
    const char *name;          /* "w_x", "w_h", "b", "w_out", "b_out" */
    lsnn_real *data;           /* points into params */
    int rows, cols;            /* a vector is 1 x cols */
} lsnn_ann_tensor;
int lsnn_ann_tensors(const lsnn_ann *a, lsnn_ann_tensor out[LSNN_ANN_N_TENSORS]);

/* Activations for BPTT of batches of at most Bmax sequences of at most T steps. */
typedef struct lsnn_ann_work lsnn_ann_work;

/* Bytes lsnn_ann_work_create would allocate. */
size_t lsnn_ann_work_bytes(const lsnn_ann *a, int Bmax, int T);
lsnn_ann_work *lsnn_ann_work_create(const lsnn_ann *a, int Bmax, int T, lsnn_status *status);
void lsnn_ann_work_free(lsnn_ann_work *w);

/* Forward pass over batch b (b->B <= Bmax, b->T <= T, b->n_in == n_in, b->n_out == n_out):
 * y (B, T, n_out) receives the readout. Keeps the activations for lsnn_ann_backward. */
lsnn_status lsnn_ann_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b,
                             lsnn_real *y);

/* BPTT after lsnn_ann_forward on the same batch (and unchanged parameters): gy (B, T, n_out) =
 * dL/dy. Writes dL/dparams into grad (n_params), overwriting it. May be called more than once. */
lsnn_status lsnn_ann_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b,
                              const lsnn_real *gy, lsnn_real *grad);

/* ---- Internal to src/ann/ (ann.c shares these with lstm.c and rnn.c). ---- */
#ifdef LSNN__ANN_INTERNAL

#include <math.h>

struct lsnn_ann_work {
    lsnn_ann_kind kind;
    int n_in, H, n_out, G;
    size_t n_params;
    int Bmax, T, CH, nchunks;      /* CH sequences per chunk (16) */
    /* History, sample-major so that a chunk is contiguous: LSTM gates (Bmax, T, 4H) holding the
     * activations i, f, g, o, and c (Bmax, T, H); RNN h (Bmax, T, H) (gates == NULL). */
    lsnn_real *gates, *c, *h;
    /* Per-chunk scratch: chunk k's block starts at scratch + k * scratch_reals. */
    lsnn_real *scratch;
    size_t scratch_reals;
    const lsnn_batch *fwd_batch;   /* batch of the last forward pass */
    void *mem;                     /* owner of everything above */
};

/* Per-chunk scratch, carved from the chunk's block (grad first: the reduction relies on it). */
typedef struct lsnn__ann_scratch {
    lsnn_real *grad;               /* (n_params) partial gradient of the chunk */
    lsnn_real *da, *da_next;       /* (CH, G H) dL/d(pre-activations) at t and t + 1 */
    lsnn_real *xh;                 /* (CH, n_in + H) [x(t) | h(t-1)]: w_x and w_h are adjacent
                                    * in params, so [W_x; W_h] is one (n_in + H, G H) matrix */
    lsnn_real *dh, *dc;            /* (CH, H) */
    lsnn_real *tc0, *tc1;          /* (CH, H) tanh(c) of two consecutive steps */
} lsnn__ann_scratch;

void lsnn__ann_scratch_point(const lsnn_ann_work *w, int chunk, lsnn__ann_scratch *s);

/* One chunk: sequences [g0, g0 + bc) of batch b. */
void lsnn__lstm_chunk_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                              int bc, lsnn__ann_scratch *s, lsnn_real *y);
void lsnn__lstm_chunk_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                               int bc, lsnn__ann_scratch *s, const lsnn_real *gy);
void lsnn__rnn_chunk_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                             int bc, lsnn__ann_scratch *s, lsnn_real *y);
void lsnn__rnn_chunk_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                              int bc, lsnn__ann_scratch *s, const lsnn_real *gy);

#if LSNN_REAL_IS_DOUBLE
#define LSNN__ANN_GEMM cblas_dgemm
#define LSNN__ANN_EXP exp
#else
#define LSNN__ANN_GEMM cblas_sgemm
#define LSNN__ANN_EXP expf
#endif

/* The logistic function and tanh through one exp each. glibc's tanhf goes through expm1f and
 * took a quarter of the LSTM's time; 2 sigma(2a) - 1 differs from tanh by at most a few ulp of 1
 * (absolute), far below float's own rounding of the activations. Both saturate correctly (exp
 * overflowing to infinity gives 0 or 1, never NaN). */
static inline lsnn_real lsnn__ann_sigmoid(lsnn_real a)
{
    return 1 / (1 + LSNN__ANN_EXP(-a));
}

static inline lsnn_real lsnn__ann_tanh(lsnn_real a)
{
    return 2 / (1 + LSNN__ANN_EXP(-2 * a)) - 1;
}

#endif /* LSNN__ANN_INTERNAL */

#endif

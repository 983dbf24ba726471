/* Tanh RNN forward pass and BPTT over one chunk of sequences (equations in lsnn/ann.h).
 *
 * The history keeps h(t) for every sequence and step; the input part of all steps and the readout
 * of all steps are each one matrix product over the chunk, the recurrent part one product per
 * step. Backward, per step t from T-1 down to 0, with da the adjoint of the pre-activation:
 *   dh(t) = gy(t) W_out^T + da(t+1) W_h^T,   da(t) = dh(t) (1 - h(t)^2)
 *   dW_x += x(t)^T da(t), dW_h += h(t-1)^T da(t), db += sum_b da(t)
 * and dW_out = sum_t h(t)^T gy(t), db_out = sum gy as one product over all steps. */
#define LSNN__ANN_INTERNAL
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "lsnn/ann.h"

void lsnn__rnn_chunk_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                             int bc, lsnn__ann_scratch *s, lsnn_real *y)
{
    (void)s;
    const int T = b->T, H = a->n_hidden, n_in = a->n_in, n_out = a->n_out;
    const size_t ldh = (size_t)T * H;
    lsnn_real *hs = w->h + (size_t)g0 * ldh;                 /* (bc, T, H) */
    const lsnn_real *x = b->x + (size_t)g0 * T * n_in;       /* (bc, T, n_in) */
    lsnn_real *yc = y + (size_t)g0 * T * n_out;              /* (bc, T, n_out) */
    const lsnn_real *restrict bias = a->b;

    /* Input part of every step at once: h = x W_x (pre-activations, made h(t) in place). */
    LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, bc * T, H, n_in, 1, x, n_in,
                   a->w_x, H, 0, hs, H);
    for (int t = 0; t < T; t++) {
        lsnn_real *P = hs + (size_t)t * H; /* row q at P + q ldh */
        if (t > 0)
            LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, bc, H, H, 1, P - H,
                           (int)ldh, a->w_h, H, 1, P, (int)ldh);
        for (int q = 0; q < bc; q++) {
            lsnn_real *restrict p = P + (size_t)q * ldh;
            for (int j = 0; j < H; j++)
                p[j] = lsnn__ann_tanh(p[j] + bias[j]);
        }
    }
    /* Readout of every step at once: y = h W_out + b_out. */
    for (size_t r = 0; r < (size_t)bc * T; r++)
        memcpy(yc + r * n_out, a->b_out, sizeof(lsnn_real) * n_out);
    LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, bc * T, n_out, H, 1, hs, H,
                   a->w_out, n_out, 1, yc, n_out);
}

void lsnn__rnn_chunk_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                              int bc, lsnn__ann_scratch *s, const lsnn_real *gy)
{
    const int T = b->T, H = a->n_hidden, n_in = a->n_in, n_out = a->n_out;
    const size_t ldh = (size_t)T * H, ldy = (size_t)T * n_out;
    const lsnn_real *hs = w->h + (size_t)g0 * ldh;
    const lsnn_real *x = b->x + (size_t)g0 * T * n_in;
    const lsnn_real *gyc = gy + (size_t)g0 * ldy;
    lsnn_real *dWx = s->grad + (a->w_x - a->params);
    lsnn_real *dWh = s->grad + (a->w_h - a->params);
    lsnn_real *db = s->grad + (a->b - a->params);
    lsnn_real *dWout = s->grad + (a->w_out - a->params);
    lsnn_real *dbout = s->grad + (a->b_out - a->params);
    lsnn_real *da = s->da, *da_next = s->da_next;

    /* Readout of every step at once: dW_out = h^T gy over (bc T) rows, db_out = sum gy. */
    LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, H, n_out, bc * T, 1, hs, H, gyc,
                   n_out, 1, dWout, n_out);
    for (size_t r = 0; r < (size_t)bc * T; r++)
        for (int k = 0; k < n_out; k++)
            dbout[k] += gyc[r * n_out + k];
    for (int t = T - 1; t >= 0; t--) {
        const lsnn_real *GY = gyc + (size_t)t * n_out; /* row q at GY + q ldy */
        const lsnn_real *Ht = hs + (size_t)t * H;      /* row q at Ht + q ldh */
        /* dh(t) = gy(t) W_out^T + da(t+1) W_h^T. */
        LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, H, n_out, 1, GY, (int)ldy,
                       a->w_out, n_out, 0, s->dh, H);
        if (t < T - 1)
            LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, H, H, 1, da_next, H,
                           a->w_h, H, 1, s->dh, H);
        for (int q = 0; q < bc; q++) {
            const lsnn_real *restrict h = Ht + (size_t)q * ldh;
            const lsnn_real *restrict dh = s->dh + (size_t)q * H;
            lsnn_real *restrict d = da + (size_t)q * H;
            for (int j = 0; j < H; j++) {
                d[j] = dh[j] * (1 - h[j] * h[j]);
                db[j] += d[j];
            }
        }
        /* dW_x += x(t)^T da(t); dW_h += h(t-1)^T da(t). */
        LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, n_in, H, bc, 1,
                       x + (size_t)t * n_in, T * n_in, da, H, 1, dWx, H);
        if (t > 0)
            LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, bc, 1, Ht - H, (int)ldh,
                           da, H, 1, dWh, H);
        lsnn_real *tmp = da;
        da = da_next;
        da_next = tmp;
    }
}

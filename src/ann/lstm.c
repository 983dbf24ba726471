/* LSTM forward pass and BPTT over one chunk of sequences (equations in lsnn/ann.h).
 *
 * Forward, per step, one matrix product over the chunk gives all pre-activations:
 * [x(t) | h(t-1)] (bc, n_in + H) times [W_x; W_h] (n_in + H, 4H) (the two tensors are adjacent
 * in params), into a small scratch; the activated gates and c are then written to the history.
 * (Rather than x W_x for all steps as one product up front: with one input channel that would
 * add a pass of B T 4H reals through memory, while one more row in the per-step product is
 * free.) The history keeps the gate activations i, f, g, o and c(t); h(t) = o tanh(c(t)) is
 * recomputed in the backward pass (one tanh per unit and step instead of H more stored reals per
 * sequence-step).
 *
 * Backward, per step t from T-1 down to 0, with da the adjoint of the pre-activations:
 *   dh(t)   = gy(t) W_out^T + da(t+1) W_h^T
 *   dc(t)   = dc_next + dh o (1 - tanh^2 c(t))          dc_next = dc(t+1) f(t+1)
 *   da_i = dc g i (1 - i),  da_f = dc c(t-1) f (1 - f),  da_g = dc i (1 - g^2),
 *   da_o = dh tanh(c(t)) o (1 - o)
 *   [dW_x; dW_h] += [x(t) | h(t-1)]^T da(t),  db += sum_b da(t),
 *   dW_out += h(t)^T gy(t),  db_out += sum_b gy(t)
 * all weight gradients as matrix products over the chunk. */
#define LSNN__ANN_INTERNAL
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "lsnn/ann.h"

void lsnn__lstm_chunk_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                              int bc, lsnn__ann_scratch *s, lsnn_real *y)
{
    const int T = b->T, H = a->n_hidden, G4 = 4 * a->n_hidden, n_in = a->n_in,
              n_out = a->n_out, K = a->n_in + a->n_hidden;
    const size_t ldg = (size_t)T * G4, ldc = (size_t)T * H, ldy = (size_t)T * n_out;
    lsnn_real *gates = w->gates + (size_t)g0 * ldg;          /* (bc, T, 4H) */
    lsnn_real *cs = w->c + (size_t)g0 * ldc;                 /* (bc, T, H) */
    const lsnn_real *x = b->x + (size_t)g0 * T * n_in;       /* (bc, T, n_in) */
    lsnn_real *yc = y + (size_t)g0 * ldy;                    /* (bc, T, n_out) */
    lsnn_real *xh = s->xh;                                   /* (bc, n_in + H) */

    lsnn_real *P = s->da;                                    /* (bc, 4H) pre-activations */

    for (int t = 0; t < T; t++) {
        /* Pre-activations b + [x(t) | h(t-1)] [W_x; W_h], computed in the (cache-resident)
         * scratch and then written once, activated, to the history; h(-1) = 0, so step 0 uses
         * W_x only. */
        for (int q = 0; q < bc; q++) {
            memcpy(P + (size_t)q * G4, a->b, sizeof(lsnn_real) * G4);
            memcpy(xh + (size_t)q * K, x + ((size_t)q * T + t) * n_in, sizeof(lsnn_real) * n_in);
        }
        LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, bc, G4, t > 0 ? K : n_in, 1, xh,
                       K, a->w_x, G4, 1, P, G4);
        for (int q = 0; q < bc; q++) {
            const lsnn_real *restrict p = P + (size_t)q * G4;
            lsnn_real *restrict gq = gates + (size_t)q * ldg + (size_t)t * G4;
            lsnn_real *restrict c = cs + (size_t)q * ldc + (size_t)t * H;
            const lsnn_real *restrict cp = t > 0 ? c - H : c; /* c(t-1), read only if t > 0 */
            lsnn_real *restrict hq = xh + (size_t)q * K + n_in; /* h(t-1) consumed: now h(t) */
            for (int j = 0; j < H; j++) {
                const lsnn_real i = lsnn__ann_sigmoid(p[j]);
                const lsnn_real f = lsnn__ann_sigmoid(p[H + j]);
                const lsnn_real g = lsnn__ann_tanh(p[2 * H + j]);
                const lsnn_real o = lsnn__ann_sigmoid(p[3 * H + j]);
                const lsnn_real cv = (t > 0 ? f * cp[j] : 0) + i * g;
                gq[j] = i;
                gq[H + j] = f;
                gq[2 * H + j] = g;
                gq[3 * H + j] = o;
                c[j] = cv;
                hq[j] = o * lsnn__ann_tanh(cv);
            }
        }
        /* Readout y(t) = h(t) W_out + b_out, written in place into y (row stride T n_out). */
        lsnn_real *Y = yc + (size_t)t * n_out;
        for (int q = 0; q < bc; q++)
            memcpy(Y + (size_t)q * ldy, a->b_out, sizeof(lsnn_real) * n_out);
        LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, bc, n_out, H, 1, xh + n_in, K,
                       a->w_out, n_out, 1, Y, (int)ldy);
    }
}

/* h(t) = o(t) tanh(c(t)) into h (row stride ldh) and tanh(c(t)) into tc, from the history. */
static void lsnn__lstm_recompute_h(const lsnn_real *gates, const lsnn_real *cs, size_t ldg,
                                   size_t ldc, int H, int bc, int t, lsnn_real *h, int ldh,
                                   lsnn_real *tc)
{
    for (int q = 0; q < bc; q++) {
        const lsnn_real *restrict o = gates + (size_t)q * ldg + (size_t)t * 4 * H + 3 * H;
        const lsnn_real *restrict c = cs + (size_t)q * ldc + (size_t)t * H;
        lsnn_real *restrict hq = h + (size_t)q * ldh;
        lsnn_real *restrict tq = tc + (size_t)q * H;
        for (int j = 0; j < H; j++) {
            const lsnn_real v = lsnn__ann_tanh(c[j]);
            tq[j] = v;
            hq[j] = o[j] * v;
        }
    }
}

void lsnn__lstm_chunk_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b, int g0,
                               int bc, lsnn__ann_scratch *s, const lsnn_real *gy)
{
    const int T = b->T, H = a->n_hidden, G4 = 4 * a->n_hidden, n_in = a->n_in,
              n_out = a->n_out, K = a->n_in + a->n_hidden;
    const size_t ldg = (size_t)T * G4, ldc = (size_t)T * H, ldy = (size_t)T * n_out;
    const lsnn_real *gates = w->gates + (size_t)g0 * ldg;
    const lsnn_real *cs = w->c + (size_t)g0 * ldc;
    const lsnn_real *x = b->x + (size_t)g0 * T * n_in;
    const lsnn_real *gyc = gy + (size_t)g0 * ldy;
    lsnn_real *dWxh = s->grad + (a->w_x - a->params); /* [dW_x; dW_h] (n_in + H, 4H) */
    lsnn_real *db = s->grad + (a->b - a->params);
    lsnn_real *dWout = s->grad + (a->w_out - a->params);
    lsnn_real *dbout = s->grad + (a->b_out - a->params);
    lsnn_real *da = s->da, *da_next = s->da_next;
    lsnn_real *xh = s->xh;                 /* [x(t) | h(t-1)]; h(T-1) before the loop */
    lsnn_real *tcc = s->tc0, *tcp = s->tc1; /* tanh(c(t)), tanh(c(t-1)) */

    memset(s->dc, 0, sizeof(lsnn_real) * (size_t)bc * H);
    lsnn__lstm_recompute_h(gates, cs, ldg, ldc, H, bc, T - 1, xh + n_in, K, tcc);
    /* dW_out += h(T-1)^T gy(T-1); the other steps follow from h(t-1) inside the loop. */
    LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, H, n_out, bc, 1, xh + n_in, K,
                   gyc + (size_t)(T - 1) * n_out, (int)ldy, 1, dWout, n_out);
    for (int t = T - 1; t >= 0; t--) {
        const lsnn_real *GY = gyc + (size_t)t * n_out; /* row q at GY + q ldy */
        /* dh(t) = gy(t) W_out^T + da(t+1) W_h^T. */
        LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, H, n_out, 1, GY, (int)ldy,
                       a->w_out, n_out, 0, s->dh, H);
        if (t < T - 1)
            LSNN__ANN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, bc, H, G4, 1, da_next, G4,
                           a->w_h, G4, 1, s->dh, H);
        for (int q = 0; q < bc; q++)
            for (int k = 0; k < n_out; k++)
                dbout[k] += GY[(size_t)q * ldy + k];
        /* Cell and gates. */
        for (int q = 0; q < bc; q++) {
            const lsnn_real *restrict p = gates + (size_t)q * ldg + (size_t)t * G4;
            /* c(t-1), read only when t > 0. */
            const lsnn_real *restrict cp = cs + (size_t)q * ldc + (size_t)(t > 0 ? t - 1 : 0) * H;
            const lsnn_real *restrict dh = s->dh + (size_t)q * H;
            const lsnn_real *restrict tc = tcc + (size_t)q * H;
            lsnn_real *restrict dc = s->dc + (size_t)q * H;
            lsnn_real *restrict d = da + (size_t)q * G4;
            for (int j = 0; j < H; j++) {
                const lsnn_real i = p[j], f = p[H + j], g = p[2 * H + j], o = p[3 * H + j];
                const lsnn_real cprev = t > 0 ? cp[j] : 0;
                const lsnn_real dcj = dc[j] + dh[j] * o * (1 - tc[j] * tc[j]);
                d[j] = dcj * g * i * (1 - i);
                d[H + j] = dcj * cprev * f * (1 - f);
                d[2 * H + j] = dcj * i * (1 - g * g);
                d[3 * H + j] = dh[j] * tc[j] * o * (1 - o);
                dc[j] = dcj * f;
            }
        }
        for (int q = 0; q < bc; q++) {
            const lsnn_real *restrict d = da + (size_t)q * G4;
            for (int k = 0; k < G4; k++)
                db[k] += d[k];
        }
        /* [dW_x; dW_h] += [x(t) | h(t-1)]^T da(t) (h(-1) = 0: dW_x only at t = 0). */
        for (int q = 0; q < bc; q++)
            memcpy(xh + (size_t)q * K, x + ((size_t)q * T + t) * n_in, sizeof(lsnn_real) * n_in);
        if (t > 0)
            lsnn__lstm_recompute_h(gates, cs, ldg, ldc, H, bc, t - 1, xh + n_in, K, tcp);
        LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, t > 0 ? K : n_in, G4, bc, 1, xh,
                       K, da, G4, 1, dWxh, G4);
        if (t > 0)
            LSNN__ANN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, H, n_out, bc, 1, xh + n_in, K,
                           gyc + (size_t)(t - 1) * n_out, (int)ldy, 1, dWout, n_out);
        lsnn_real *tmp = da;
        da = da_next;
        da_next = tmp;
        tmp = tcc;
        tcc = tcp;
        tcp = tmp;
    }
}

/* Losses and firing-rate regularisation (see lsnn/learn.h). */
#include <math.h>
#include <string.h>

#include "lsnn/learn.h"

#define LSNN__MAX_OUT 4096

/* Window-averaged readout of sequence b, window w, into logits (n_out). */
static void lsnn__window_mean(const lsnn_batch *batch, const lsnn_real *y, int b,
                              const lsnn_window *w, double *logits)
{
    const int n_out = batch->n_out;
    for (int k = 0; k < n_out; k++)
        logits[k] = 0;
    for (int t = w->t0; t < w->t1; t++) {
        const lsnn_real *yt = y + ((size_t)b * batch->T + t) * n_out;
        for (int k = 0; k < n_out; k++)
            logits[k] += yt[k];
    }
    for (int k = 0; k < n_out; k++)
        logits[k] /= (w->t1 - w->t0);
}

/* Softmax of y (n) into p. */
static void lsnn__softmax(const lsnn_real *y, int n, double *p)
{
    double mx = y[0], z = 0;
    for (int k = 1; k < n; k++)
        mx = y[k] > mx ? y[k] : mx;
    for (int k = 0; k < n; k++)
        z += (p[k] = exp(y[k] - mx));
    for (int k = 0; k < n; k++)
        p[k] /= z;
}

/* Softmax of the readout averaged over the window, into pm (n_out). */
static void lsnn__window_softmax(const lsnn_batch *batch, const lsnn_real *y, int b,
                                 const lsnn_window *w, double *pm)
{
    const int n_out = batch->n_out;
    double p[LSNN__MAX_OUT];
    for (int k = 0; k < n_out; k++)
        pm[k] = 0;
    for (int t = w->t0; t < w->t1; t++) {
        lsnn__softmax(y + ((size_t)b * batch->T + t) * n_out, n_out, p);
        for (int k = 0; k < n_out; k++)
            pm[k] += p[k];
    }
    for (int k = 0; k < n_out; k++)
        pm[k] /= (w->t1 - w->t0);
}

static int lsnn__argmax(const double *x, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (x[k] > x[best])
            best = k;
    return best;
}

lsnn_status lsnn_loss_compute(const lsnn_batch *batch, const lsnn_real *y, lsnn_real *gy,
                              lsnn_loss_result *out)
{
    const int B = batch->B, T = batch->T, n_out = batch->n_out;
    memset(out, 0, sizeof *out);
    if (n_out > LSNN__MAX_OUT)
        return lsnn_error(LSNN_ERR_RANGE, "loss: %d outputs (at most %d)", n_out, LSNN__MAX_OUT);
    if (batch->loss == LSNN_LOSS_POLICY)
        return lsnn_error(LSNN_ERR_ARG, "loss: a reinforcement-learning batch has no loss of its "
                                        "own (the learning rule \"ppo\" computes it)");
    if (gy)
        memset(gy, 0, sizeof(lsnn_real) * (size_t)B * T * n_out);
    if (batch->loss == LSNN_LOSS_MSE) {
        double wsum = 0, acc = 0;
        for (size_t bt = 0; bt < (size_t)B * T; bt++)
            wsum += batch->y_weight[bt];
        if (wsum <= 0)
            return LSNN_OK;
        for (size_t bt = 0; bt < (size_t)B * T; bt++) {
            double w = batch->y_weight[bt];
            if (w == 0)
                continue;
            for (int k = 0; k < n_out; k++) {
                size_t i = bt * n_out + k;
                double d = y[i] - batch->y_target[i];
                acc += w * d * d;
                if (gy)
                    gy[i] = (lsnn_real)(2 * w * d / (n_out * wsum));
            }
        }
        out->loss = acc / (n_out * wsum);
        if (!isfinite(out->loss))
            return lsnn_error(LSNN_ERR_NUMERIC, "loss: the mean squared error is not finite");
        return LSNN_OK;
    }
    long total = 0;
    for (int b = 0; b < B; b++)
        total += batch->n_windows[b];
    out->total = total;
    if (total == 0)
        return LSNN_OK;
    double logits[LSNN__MAX_OUT], p[LSNN__MAX_OUT];
    double acc = 0;
    for (int b = 0; b < B; b++) {
        for (int wi = 0; wi < batch->n_windows[b]; wi++) {
            const lsnn_window *w = &batch->windows[(size_t)b * batch->max_windows + wi];
            if (batch->loss == LSNN_LOSS_CE_WINDOW_SOFTMAX) {
                /* P = mean_t p_t[label], L = -log P,
                 * dL/dy_t[k] = -p_t[label] (delta_{k,label} - p_t[k]) / (len P) */
                lsnn__window_softmax(batch, y, b, w, p);
                const double P = p[w->label], len = w->t1 - w->t0;
                acc += -log(P);
                out->correct += lsnn__argmax(p, n_out) == w->label;
                if (!gy)
                    continue;
                for (int t = w->t0; t < w->t1; t++) {
                    lsnn__softmax(y + ((size_t)b * T + t) * n_out, n_out, logits);
                    const double c = -logits[w->label] / (len * P * total);
                    lsnn_real *g = gy + ((size_t)b * T + t) * n_out;
                    for (int k = 0; k < n_out; k++)
                        g[k] += (lsnn_real)(c * ((k == w->label) - logits[k]));
                }
                continue;
            }
            lsnn__window_mean(batch, y, b, w, logits);
            if (lsnn_loss_has_window_targets(batch->loss)) {
                /* out = logits; MSE: L = 1/2 sum_k (out_k - t_k)^2, dL/dout = out - t;
                 * hinge: L = sum_k (1 - t_k) max(0, out_k - r0) + t_k max(0, r1 - out_k). */
                const lsnn_real *tg = batch->w_target + ((size_t)b * batch->max_windows + wi) * n_out;
                const double r0 = batch->rate_zero, r1 = batch->rate_one;
                int all_right = 1;
                for (int k = 0; k < n_out; k++) {
                    const double o = logits[k], t = tg[k];
                    if (batch->loss == LSNN_LOSS_RATE_MSE) {
                        acc += 0.5 * (o - t) * (o - t);
                        out->sq_err += (o - t) * (o - t);
                        out->n_err++;
                        p[k] = o - t;
                    } else {
                        acc += (1 - t) * (o > r0 ? o - r0 : 0) + t * (o < r1 ? r1 - o : 0);
                        p[k] = (1 - t) * (o > r0) - t * (o < r1);
                        all_right &= (o > r0) == (t > 0.5);
                    }
                }
                out->correct += batch->loss == LSNN_LOSS_RATE_MSE
                                    ? lsnn__argmax(logits, n_out) == w->label
                                    : all_right;
                if (!gy)
                    continue;
                const double scale = 1.0 / ((double)(w->t1 - w->t0) * total);
                for (int t = w->t0; t < w->t1; t++) {
                    lsnn_real *g = gy + ((size_t)b * T + t) * n_out;
                    for (int k = 0; k < n_out; k++)
                        g[k] += (lsnn_real)(p[k] * scale);
                }
                continue;
            }
            double mx = logits[lsnn__argmax(logits, n_out)], z = 0;
            for (int k = 0; k < n_out; k++)
                z += (p[k] = exp(logits[k] - mx));
            for (int k = 0; k < n_out; k++)
                p[k] /= z;
            acc += -(logits[w->label] - mx - log(z));
            out->correct += lsnn__argmax(logits, n_out) == w->label;
            if (!gy)
                continue;
            double scale = 1.0 / ((double)(w->t1 - w->t0) * total);
            for (int t = w->t0; t < w->t1; t++) {
                lsnn_real *g = gy + ((size_t)b * T + t) * n_out;
                for (int k = 0; k < n_out; k++)
                    g[k] += (lsnn_real)((p[k] - (k == w->label)) * scale);
            }
        }
    }
    out->loss = acc / total;
    if (!isfinite(out->loss))
        return lsnn_error(LSNN_ERR_NUMERIC, "loss: the %s is not finite",
                          batch->loss == LSNN_LOSS_RATE_MSE     ? "squared error of the rates"
                          : batch->loss == LSNN_LOSS_RATE_HINGE ? "hinge loss of the rates"
                                                                : "cross-entropy");
    return LSNN_OK;
}

void lsnn_loss_predict(const lsnn_batch *batch, const lsnn_real *y, int *pred)
{
    double logits[LSNN__MAX_OUT];
    for (int b = 0; b < batch->B; b++)
        for (int wi = 0; wi < batch->n_windows[b]; wi++) {
            const lsnn_window *w = &batch->windows[(size_t)b * batch->max_windows + wi];
            if (batch->loss == LSNN_LOSS_CE_WINDOW_SOFTMAX)
                lsnn__window_softmax(batch, y, b, w, logits);
            else
                lsnn__window_mean(batch, y, b, w, logits);
            pred[(size_t)b * batch->max_windows + wi] = lsnn__argmax(logits, batch->n_out);
        }
}

double lsnn_rate_reg(const double *spike_count, int n, int B, int T, double dt,
                     double rate_target_hz, double c, lsnn_real *gz)
{
    double f0 = rate_target_hz * dt / 1000.0, bt = (double)B * T, R = 0;
    for (int j = 0; j < n; j++) {
        double r = spike_count[j] / bt;
        R += (r - f0) * (r - f0);
        if (gz)
            gz[j] = (lsnn_real)(c * 2.0 / n * (r - f0) / bt);
    }
    return c * R / n;
}

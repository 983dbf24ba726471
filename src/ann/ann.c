/* Non-spiking baselines (lsnn/ann.h): construction, initialisation, workspace and the
 * chunk-parallel driver shared by the LSTM (lstm.c) and the tanh RNN (rnn.c). */
#define LSNN__ANN_INTERNAL
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/ann.h"

const char *lsnn_ann_kind_name(lsnn_ann_kind kind)
{
    return kind == LSNN_ANN_LSTM ? "lstm" : kind == LSNN_ANN_RNN ? "rnn" : "?";
}

lsnn_status lsnn_ann_kind_parse(const char *name, lsnn_ann_kind *kind)
{
    if (name && strcmp(name, "lstm") == 0) {
        *kind = LSNN_ANN_LSTM;
        return LSNN_OK;
    }
    if (name && strcmp(name, "rnn") == 0) {
        *kind = LSNN_ANN_RNN;
        return LSNN_OK;
    }
    return lsnn_error(LSNN_ERR_CONFIG, "ann: unknown kind '%s' (expected \"lstm\" or \"rnn\")",
                      name ? name : "(null)");
}

static int lsnn__ann_gates(lsnn_ann_kind kind)
{
    return kind == LSNN_ANN_LSTM ? 4 : 1;
}

size_t lsnn_ann_count_params(lsnn_ann_kind kind, int n_in, int n_hidden, int n_out)
{
    const size_t G = (size_t)lsnn__ann_gates(kind), H = (size_t)n_hidden;
    return (size_t)n_in * G * H + H * G * H + G * H + H * (size_t)n_out + (size_t)n_out;
}

static void lsnn__ann_point(lsnn_ann *a)
{
    const size_t GH = (size_t)a->n_gates * a->n_hidden, H = (size_t)a->n_hidden;
    a->w_x = a->params;
    a->w_h = a->w_x + (size_t)a->n_in * GH;
    a->b = a->w_h + H * GH;
    a->w_out = a->b + GH;
    a->b_out = a->w_out + H * (size_t)a->n_out;
}

/* Writes an orthogonal n x n matrix into column block [col0, col0 + n) of the (n, ld) row-major
 * matrix w: modified Gram-Schmidt (in double) on the rows of a Gaussian matrix. A row that
 * comes out (numerically) dependent is redrawn. */
static lsnn_status lsnn__orthogonal(lsnn_real *w, int n, size_t ld, int col0, lsnn_rng *rng)
{
    double *q = malloc(sizeof(double) * (size_t)n * n);
    if (!q)
        return lsnn_error(LSNN_ERR_NOMEM, "ann: out of memory (orthogonal initialisation)");
    for (int i = 0; i < n; i++) {
        double *qi = q + (size_t)i * n;
        for (int tries = 0;; tries++) {
            for (int k = 0; k < n; k++)
                qi[k] = lsnn_rng_normal(rng);
            for (int p = 0; p < i; p++) {
                const double *qp = q + (size_t)p * n;
                double dot = 0;
                for (int k = 0; k < n; k++)
                    dot += qi[k] * qp[k];
                for (int k = 0; k < n; k++)
                    qi[k] -= dot * qp[k];
            }
            double norm = 0;
            for (int k = 0; k < n; k++)
                norm += qi[k] * qi[k];
            norm = sqrt(norm);
            if (norm > 1e-6 || tries > 100) {
                for (int k = 0; k < n; k++)
                    qi[k] /= norm;
                break;
            }
        }
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++)
            w[(size_t)i * ld + col0 + k] = (lsnn_real)q[(size_t)i * n + k];
    free(q);
    return LSNN_OK;
}

static void lsnn__glorot(lsnn_real *w, int rows, size_t ld, int col0, int cols, double fan_in,
                         double fan_out, lsnn_rng *rng)
{
    const double lim = sqrt(6.0 / (fan_in + fan_out));
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < cols; k++)
            w[(size_t)i * ld + col0 + k] = (lsnn_real)(lim * (2 * lsnn_rng_uniform(rng) - 1));
}

lsnn_status lsnn_ann_init(lsnn_ann *a, lsnn_ann_kind kind, int n_in, int n_hidden, int n_out,
                          uint64_t seed)
{
    memset(a, 0, sizeof *a);
    if (kind != LSNN_ANN_LSTM && kind != LSNN_ANN_RNN)
        return lsnn_error(LSNN_ERR_ARG, "ann: unknown kind %d", (int)kind);
    if (n_in < 1 || n_hidden < 1 || n_out < 1)
        return lsnn_error(LSNN_ERR_ARG,
                          "ann: n_in >= 1, n_hidden >= 1 and n_out >= 1 required (got %d, %d, %d)",
                          n_in, n_hidden, n_out);
    a->kind = kind;
    a->n_in = n_in;
    a->n_hidden = n_hidden;
    a->n_out = n_out;
    a->n_gates = lsnn__ann_gates(kind);
    a->n_params = lsnn_ann_count_params(kind, n_in, n_hidden, n_out);
    a->params = calloc(a->n_params, sizeof(lsnn_real));
    if (!a->params)
        return lsnn_error(LSNN_ERR_NOMEM, "ann: out of memory (%zu parameters)", a->n_params);
    lsnn__ann_point(a);

    const int H = n_hidden, G = a->n_gates;
    const size_t GH = (size_t)G * H;
    lsnn_rng rng;
    /* One stream per (tensor, gate block): changing one tensor's shape leaves the others. */
    for (int g = 0; g < G; g++) {
        lsnn_rng_derive(&rng, seed, 0xa22, 0, (uint64_t)g);
        lsnn__glorot(a->w_x, n_in, GH, g * H, H, n_in, H, &rng);
        lsnn_rng_derive(&rng, seed, 0xa22, 1, (uint64_t)g);
        lsnn_status st = lsnn__orthogonal(a->w_h, H, GH, g * H, &rng);
        if (st != LSNN_OK) {
            lsnn_ann_free(a);
            return st;
        }
    }
    lsnn_rng_derive(&rng, seed, 0xa22, 3, 0);
    lsnn__glorot(a->w_out, H, (size_t)n_out, 0, n_out, H, n_out, &rng);
    if (kind == LSNN_ANN_LSTM)
        for (int j = 0; j < H; j++)
            a->b[H + j] = 1; /* forget gate */
    return LSNN_OK;
}

void lsnn_ann_free(lsnn_ann *a)
{
    free(a->params);
    memset(a, 0, sizeof *a);
}

void lsnn_ann_trainable_mask(const lsnn_ann *a, uint8_t *out)
{
    memset(out, 1, a->n_params);
}

int lsnn_ann_tensors(const lsnn_ann *a, lsnn_ann_tensor out[LSNN_ANN_N_TENSORS])
{
    const int GH = a->n_gates * a->n_hidden;
    out[0] = (lsnn_ann_tensor){"w_x", a->w_x, a->n_in, GH};
    out[1] = (lsnn_ann_tensor){"w_h", a->w_h, a->n_hidden, GH};
    out[2] = (lsnn_ann_tensor){"b", a->b, 1, GH};
    out[3] = (lsnn_ann_tensor){"w_out", a->w_out, a->n_hidden, a->n_out};
    out[4] = (lsnn_ann_tensor){"b_out", a->b_out, 1, a->n_out};
    return LSNN_ANN_N_TENSORS;
}

/* ---- Workspace ---- */

/* Sequences per chunk. Fixed (not a function of the batch or the thread count), so results never
 * depend on either. 16 rows already run the per-step products near their best (32 or 64 rows per
 * chunk gained under 5% per sequence on one core) while a batch of 256 still gives 16 chunks to
 * keep 16 cores busy. */
#define LSNN__ANN_CHUNK 16

static int lsnn__ann_chunk(int Bmax)
{
    (void)Bmax;
    return LSNN__ANN_CHUNK;
}

/* Rounds a count of reals up to 64 bytes so that every array starts on a cache line. */
static size_t lsnn__ann_round(size_t reals)
{
    const size_t q = 64 / sizeof(lsnn_real);
    return (reals + q - 1) / q * q;
}

static size_t lsnn__ann_scratch_reals(const lsnn_ann *a, int CH)
{
    const size_t GH = (size_t)a->n_gates * a->n_hidden, CHH = (size_t)CH * a->n_hidden;
    return lsnn__ann_round(a->n_params) + 2 * lsnn__ann_round((size_t)CH * GH) +
           lsnn__ann_round((size_t)CH * (a->n_in + a->n_hidden)) + 4 * lsnn__ann_round(CHH);
}

static size_t lsnn__ann_hist_reals(const lsnn_ann *a, int Bmax, int T)
{
    const size_t BT = (size_t)Bmax * T, H = (size_t)a->n_hidden;
    if (a->kind == LSNN_ANN_LSTM)
        return lsnn__ann_round(BT * 4 * H) + lsnn__ann_round(BT * H);
    return lsnn__ann_round(BT * H);
}

size_t lsnn_ann_work_bytes(const lsnn_ann *a, int Bmax, int T)
{
    if (Bmax < 1 || T < 1)
        return 0;
    const int CH = lsnn__ann_chunk(Bmax), nch = (Bmax + CH - 1) / CH;
    return sizeof(lsnn_real) * (lsnn__ann_hist_reals(a, Bmax, T) +
                                (size_t)nch * lsnn__ann_scratch_reals(a, CH)) +
           sizeof(lsnn_ann_work) + 64;
}

lsnn_ann_work *lsnn_ann_work_create(const lsnn_ann *a, int Bmax, int T, lsnn_status *status)
{
    lsnn_status dummy;
    if (!status)
        status = &dummy;
    if (Bmax < 1 || T < 1) {
        *status = lsnn_error(LSNN_ERR_ARG, "ann: batch %d x %d steps is empty", Bmax, T);
        return NULL;
    }
    lsnn_ann_work *w = calloc(1, sizeof *w);
    if (!w) {
        *status = lsnn_error(LSNN_ERR_NOMEM, "ann: out of memory");
        return NULL;
    }
    w->kind = a->kind;
    w->n_in = a->n_in;
    w->H = a->n_hidden;
    w->n_out = a->n_out;
    w->G = a->n_gates;
    w->n_params = a->n_params;
    w->Bmax = Bmax;
    w->T = T;
    w->CH = lsnn__ann_chunk(Bmax);
    w->nchunks = (Bmax + w->CH - 1) / w->CH;
    w->scratch_reals = lsnn__ann_scratch_reals(a, w->CH);
    const size_t hist = lsnn__ann_hist_reals(a, Bmax, T);
    const size_t total = hist + (size_t)w->nchunks * w->scratch_reals;
    /* 64-byte aligned; the size is a multiple of 64 because every part is rounded to 64 bytes. */
    w->mem = aligned_alloc(64, sizeof(lsnn_real) * total);
    if (!w->mem) {
        *status = lsnn_error(LSNN_ERR_NOMEM,
                             "ann: cannot allocate the workspace (%.1f MB) for batch %d, T = %d, "
                             "%d units",
                             sizeof(lsnn_real) * total / 1e6, Bmax, T, a->n_hidden);
        free(w);
        return NULL;
    }
    lsnn_real *p = w->mem;
    const size_t BTH = (size_t)Bmax * T * a->n_hidden;
    if (a->kind == LSNN_ANN_LSTM) {
        w->gates = p;
        p += lsnn__ann_round(4 * BTH);
        w->c = p;
        p += lsnn__ann_round(BTH);
    } else {
        w->h = p;
        p += lsnn__ann_round(BTH);
    }
    w->scratch = p;
    *status = LSNN_OK;
    return w;
}

void lsnn_ann_work_free(lsnn_ann_work *w)
{
    if (!w)
        return;
    free(w->mem);
    free(w);
}

void lsnn__ann_scratch_point(const lsnn_ann_work *w, int chunk, lsnn__ann_scratch *s)
{
    const size_t CHGH = lsnn__ann_round((size_t)w->CH * w->G * w->H);
    const size_t CHH = lsnn__ann_round((size_t)w->CH * w->H);
    lsnn_real *p = w->scratch + (size_t)chunk * w->scratch_reals;
    s->grad = p;
    p += lsnn__ann_round(w->n_params);
    s->da = p;
    p += CHGH;
    s->da_next = p;
    p += CHGH;
    s->xh = p;
    p += lsnn__ann_round((size_t)w->CH * (w->n_in + w->H));
    s->dh = p;
    p += CHH;
    s->dc = p;
    p += CHH;
    s->tc0 = p;
    p += CHH;
    s->tc1 = p;
}

/* ---- Forward and backward: chunks in parallel ---- */

static lsnn_status lsnn__ann_check(const lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b)
{
    if (w->kind != a->kind || w->n_in != a->n_in || w->H != a->n_hidden ||
        w->n_out != a->n_out)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "ann: the workspace was made for a %s with %d in, %d units, %d out, "
                          "not a %s with %d in, %d units, %d out",
                          lsnn_ann_kind_name(w->kind), w->n_in, w->H, w->n_out,
                          lsnn_ann_kind_name(a->kind), a->n_in, a->n_hidden, a->n_out);
    if (b->B < 1 || b->T < 1 || b->B > w->Bmax || b->T > w->T || b->n_in != a->n_in ||
        b->n_out != a->n_out)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "ann: batch (%d x %d steps, %d in, %d out) does not fit the workspace "
                          "(%d x %d) or the network (%d in, %d out)",
                          b->B, b->T, b->n_in, b->n_out, w->Bmax, w->T, a->n_in, a->n_out);
    return LSNN_OK;
}

lsnn_status lsnn_ann_forward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b,
                             lsnn_real *y)
{
    lsnn_status st = lsnn__ann_check(w, a, b);
    if (st != LSNN_OK)
        return st;
    const int nch = (b->B + w->CH - 1) / w->CH;
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = 0; ci < nch; ci++) {
        const int g0 = ci * w->CH;
        const int bc = b->B - g0 < w->CH ? b->B - g0 : w->CH;
        lsnn__ann_scratch s;
        lsnn__ann_scratch_point(w, ci, &s);
        if (a->kind == LSNN_ANN_LSTM)
            lsnn__lstm_chunk_forward(w, a, b, g0, bc, &s, y);
        else
            lsnn__rnn_chunk_forward(w, a, b, g0, bc, &s, y);
    }
    w->fwd_batch = b;
    return LSNN_OK;
}

lsnn_status lsnn_ann_backward(lsnn_ann_work *w, const lsnn_ann *a, const lsnn_batch *b,
                              const lsnn_real *gy, lsnn_real *grad)
{
    lsnn_status st = lsnn__ann_check(w, a, b);
    if (st != LSNN_OK)
        return st;
    if (w->fwd_batch != b)
        return lsnn_error(LSNN_ERR_ARG, "ann: lsnn_ann_forward must run on this batch first");
    const int nch = (b->B + w->CH - 1) / w->CH;
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = 0; ci < nch; ci++) {
        const int g0 = ci * w->CH;
        const int bc = b->B - g0 < w->CH ? b->B - g0 : w->CH;
        lsnn__ann_scratch s;
        lsnn__ann_scratch_point(w, ci, &s);
        memset(s.grad, 0, sizeof(lsnn_real) * a->n_params);
        if (a->kind == LSNN_ANN_LSTM)
            lsnn__lstm_chunk_backward(w, a, b, g0, bc, &s, gy);
        else
            lsnn__rnn_chunk_backward(w, a, b, g0, bc, &s, gy);
    }
    /* Deterministic reduction: every entry sums the chunks' partial gradients in chunk order,
     * whatever the number of threads. */
    const long np = (long)a->n_params;
    const lsnn_real *g0 = w->scratch; /* chunk ci's gradient: g0 + ci * scratch_reals */
    const size_t stride = w->scratch_reals;
#pragma omp parallel for schedule(static)
    for (long k = 0; k < np; k++) {
        lsnn_real acc = g0[k];
        for (int ci = 1; ci < nch; ci++)
            acc += g0[(size_t)ci * stride + (size_t)k];
        grad[k] = acc;
    }
    return LSNN_OK;
}

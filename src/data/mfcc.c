/* MFCC features with FFTW (see lsnn/mfcc.h for the recipe and its sources). */
#include "lsnn/mfcc.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

/* LSNN__PI is not part of C11. */
#define LSNN__PI 3.14159265358979323846

struct lsnn_mfcc {
    lsnn_mfcc_params p;
    int n_bins;              /* n_fft / 2 + 1 */
    int *edge;               /* n_mels + 2 filter edges, DFT bins */
    double *fb;              /* (n_mels, n_bins) filter weights */
    double *dct;             /* (n_coeffs, n_mels): the kept rows of the orthonormal DCT-II */
    double *window;          /* frame_len */
    double *energy;          /* n_mels, scratch */
    double *power;           /* n_bins, scratch */
    double *fft_in;          /* n_fft (fftw_malloc) */
    fftw_complex *fft_out;   /* n_bins (fftw_malloc) */
    fftw_plan plan;
};

void lsnn_mfcc_defaults(lsnn_mfcc_params *p)
{
    memset(p, 0, sizeof *p);
    p->sample_rate = 16000;
    p->frame_len = 400;
    p->hop = 160;
    p->n_fft = 512;
    p->n_mels = 40;
    p->f_low = 0;
    p->f_high = 8000;
    p->preemph = 0.97;
    p->window_a0 = 0.53836;
    p->log_floor = DBL_EPSILON;
    p->first_coeff = 1;
    p->n_coeffs = 13;
    p->delta_n = 2;
}

lsnn_status lsnn_mfcc_check(const lsnn_mfcc_params *p)
{
    if (!p)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: NULL parameters");
    if (p->sample_rate <= 0)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: sample_rate must be > 0, got %d", p->sample_rate);
    /* The window formula divides by N - 1. */
    if (p->frame_len < 2 || p->frame_len > (1 << 20))
        return lsnn_error(LSNN_ERR_ARG, "mfcc: frame_len must be in 2..%d, got %d", 1 << 20,
                          p->frame_len);
    if (p->hop < 1)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: hop must be >= 1, got %d", p->hop);
    if (p->n_fft < p->frame_len || p->n_fft % 2 || p->n_fft > (1 << 22))
        return lsnn_error(LSNN_ERR_ARG,
                          "mfcc: n_fft must be even, >= frame_len = %d and <= %d, got %d",
                          p->frame_len, 1 << 22, p->n_fft);
    if (p->n_mels < 1 || p->n_mels > LSNN_MFCC_MAX_MELS)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: n_mels must be in 1..%d, got %d",
                          LSNN_MFCC_MAX_MELS, p->n_mels);
    if (!(p->f_low >= 0) || !(p->f_high > p->f_low) || !(p->f_high <= p->sample_rate / 2.0))
        return lsnn_error(LSNN_ERR_ARG,
                          "mfcc: need 0 <= f_low < f_high <= sample_rate / 2, got f_low = %g, "
                          "f_high = %g",
                          p->f_low, p->f_high);
    if (!(p->preemph >= 0 && p->preemph < 1))
        return lsnn_error(LSNN_ERR_ARG, "mfcc: preemph must be in [0, 1), got %g", p->preemph);
    if (!(p->window_a0 > 0 && p->window_a0 <= 1))
        return lsnn_error(LSNN_ERR_ARG, "mfcc: window_a0 must be in (0, 1], got %g",
                          p->window_a0);
    if (!(p->log_floor > 0) || !isfinite(p->log_floor))
        return lsnn_error(LSNN_ERR_ARG, "mfcc: log_floor must be > 0, got %g", p->log_floor);
    if (p->first_coeff < 0 || p->n_coeffs < 1 || p->first_coeff + p->n_coeffs > p->n_mels)
        return lsnn_error(LSNN_ERR_ARG,
                          "mfcc: coefficients %d..%d do not exist with %d filters (DCT "
                          "coefficients 0..%d)",
                          p->first_coeff, p->first_coeff + p->n_coeffs - 1, p->n_mels,
                          p->n_mels - 1);
    if (p->delta_n < 1 || p->delta_n > 100)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: delta_n must be in 1..100, got %d", p->delta_n);
    return LSNN_OK;
}

static double lsnn__hz_to_mel(double f)
{
    return 2595.0 * log10(1.0 + f / 700.0);
}

static double lsnn__mel_to_hz(double m)
{
    return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
}

/* Weight of a triangle with edges (lo, mid, hi) at bin k, case by case as in eq. 3.8. A flank of
 * zero width has no bin in its open range, so no division by zero can happen. */
static double lsnn__triangle(int lo, int mid, int hi, int k)
{
    if (k < lo)
        return 0;
    if (k < mid)
        return (double)(k - lo) / (mid - lo);
    if (k == mid)
        return 1;
    if (k <= hi)
        return (double)(hi - k) / (hi - mid);
    return 0;
}

lsnn_mfcc *lsnn_mfcc_create(const lsnn_mfcc_params *p, lsnn_status *status)
{
    lsnn_status st = lsnn_mfcc_check(p);
    lsnn_mfcc *m = NULL;
    if (st)
        goto fail;
    m = calloc(1, sizeof *m);
    if (!m) {
        st = lsnn_error(LSNN_ERR_NOMEM, "mfcc: out of memory");
        goto fail;
    }
    m->p = *p;
    const int nb = p->n_fft / 2 + 1, nm = p->n_mels;
    m->n_bins = nb;
    m->edge = malloc(sizeof(int) * (size_t)(nm + 2));
    m->fb = malloc(sizeof(double) * (size_t)nm * nb);
    m->dct = malloc(sizeof(double) * (size_t)p->n_coeffs * nm);
    m->window = malloc(sizeof(double) * (size_t)p->frame_len);
    m->energy = malloc(sizeof(double) * (size_t)nm);
    m->power = malloc(sizeof(double) * (size_t)nb);
    m->fft_in = fftw_malloc(sizeof(double) * (size_t)p->n_fft);
    m->fft_out = fftw_malloc(sizeof(fftw_complex) * (size_t)nb);
    if (!m->edge || !m->fb || !m->dct || !m->window || !m->energy || !m->power || !m->fft_in ||
        !m->fft_out) {
        st = lsnn_error(LSNN_ERR_NOMEM, "mfcc: out of memory");
        goto fail;
    }
    /* FFTW_ESTIMATE picks the algorithm from the size alone (FFTW_MEASURE would time candidates
     * and could pick another one on another run, changing the last bits of the features). */
    m->plan = fftw_plan_dft_r2c_1d(p->n_fft, m->fft_in, m->fft_out, FFTW_ESTIMATE);
    if (!m->plan) {
        st = lsnn_error(LSNN_ERR_UNSUPPORTED, "mfcc: FFTW could not plan a %d-point DFT",
                        p->n_fft);
        goto fail;
    }

    const int N = p->frame_len;
    const double a1 = 1.0 - p->window_a0;
    for (int n = 0; n < N; n++)
        m->window[n] = p->window_a0 - a1 * cos(2.0 * LSNN__PI * n / (N - 1));

    /* Filter edges: n_mels + 2 points equally spaced in mel, inclusive of both band edges. */
    const double m_lo = lsnn__hz_to_mel(p->f_low), m_hi = lsnn__hz_to_mel(p->f_high);
    for (int i = 0; i < nm + 2; i++) {
        double f = lsnn__mel_to_hz(m_lo + (m_hi - m_lo) * i / (nm + 1));
        int b = (int)floor((p->n_fft + 1) * f / p->sample_rate);
        /* f_high <= fs / 2 gives b <= K/2 in exact arithmetic; keep rounding from leaving it. */
        m->edge[i] = b < 0 ? 0 : b > nb - 1 ? nb - 1 : b;
    }
    for (int i = 0; i < nm; i++)
        for (int k = 0; k < nb; k++)
            m->fb[(size_t)i * nb + k] =
                lsnn__triangle(m->edge[i], m->edge[i + 1], m->edge[i + 2], k);

    /* Rows first_coeff .. of the orthonormal DCT-II (eqs. 3.9, 3.10: 2c with c = sqrt(1/(4N))
     * for k = 0 and sqrt(1/(2N)) otherwise, i.e. sqrt(1/N) and sqrt(2/N)). */
    for (int r = 0; r < p->n_coeffs; r++) {
        int k = p->first_coeff + r;
        double scale = k == 0 ? sqrt(1.0 / nm) : sqrt(2.0 / nm);
        for (int n = 0; n < nm; n++)
            m->dct[(size_t)r * nm + n] = scale * cos(LSNN__PI * k * (2.0 * n + 1) / (2.0 * nm));
    }
    if (status)
        *status = LSNN_OK;
    return m;
fail:
    lsnn_mfcc_free(m);
    if (status)
        *status = st;
    return NULL;
}

void lsnn_mfcc_free(lsnn_mfcc *m)
{
    if (!m)
        return;
    if (m->plan)
        fftw_destroy_plan(m->plan);
    fftw_free(m->fft_in);
    fftw_free(m->fft_out);
    free(m->edge);
    free(m->fb);
    free(m->dct);
    free(m->window);
    free(m->energy);
    free(m->power);
    free(m);
}

const lsnn_mfcc_params *lsnn_mfcc_get_params(const lsnn_mfcc *m)
{
    return &m->p;
}

int lsnn_mfcc_channels(const lsnn_mfcc *m)
{
    return 3 * m->p.n_coeffs;
}

long lsnn_mfcc_frames(const lsnn_mfcc *m, long n)
{
    if (n <= 0)
        return 0;
    if (n <= m->p.frame_len)
        return 1;
    return 1 + (n - m->p.frame_len + m->p.hop - 1) / m->p.hop;
}

const int *lsnn_mfcc_mel_bins(const lsnn_mfcc *m)
{
    return m->edge;
}

double lsnn_mfcc_filter(const lsnn_mfcc *m, int i, int k)
{
    if (i < 0 || i >= m->p.n_mels || k < 0 || k >= m->n_bins)
        return 0;
    return m->fb[(size_t)i * m->n_bins + k];
}

/* Filterbank energies of frame f into m->energy. */
static void lsnn__frame_energy(lsnn_mfcc *m, const double *x, long n, long f)
{
    const lsnn_mfcc_params *p = &m->p;
    const long t0 = f * p->hop;
    for (int j = 0; j < p->frame_len; j++) {
        long t = t0 + j;
        /* Pre-emphasis first, then zero padding: samples past the end are 0 after the filter. */
        double y = 0;
        if (t < n)
            y = x[t] - (t > 0 ? p->preemph * x[t - 1] : 0.0);
        m->fft_in[j] = y * m->window[j];
    }
    for (int j = p->frame_len; j < p->n_fft; j++)
        m->fft_in[j] = 0;
    fftw_execute(m->plan);
    for (int k = 0; k < m->n_bins; k++) {
        double re = m->fft_out[k][0], im = m->fft_out[k][1];
        m->power[k] = (re * re + im * im) / p->n_fft;
    }
    for (int i = 0; i < p->n_mels; i++) {
        /* Only bins edge[i] .. edge[i + 2] can be non-zero. */
        const double *w = m->fb + (size_t)i * m->n_bins;
        double e = 0;
        for (int k = m->edge[i]; k <= m->edge[i + 2]; k++)
            e += w[k] * m->power[k];
        m->energy[i] = e;
    }
}

static lsnn_status lsnn__check_signal(const lsnn_mfcc *m, const double *x, long n,
                                      const double *out)
{
    if (!m || !x || !out)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: NULL argument");
    if (n <= 0)
        return lsnn_error(LSNN_ERR_ARG, "mfcc: empty signal (%ld samples)", n);
    return LSNN_OK;
}

lsnn_status lsnn_mfcc_fbank(lsnn_mfcc *m, const double *x, long n, double *out)
{
    lsnn_status st = lsnn__check_signal(m, x, n, out);
    if (st)
        return st;
    const long frames = lsnn_mfcc_frames(m, n);
    for (long f = 0; f < frames; f++) {
        lsnn__frame_energy(m, x, n, f);
        memcpy(out + (size_t)f * m->p.n_mels, m->energy, sizeof(double) * (size_t)m->p.n_mels);
    }
    return LSNN_OK;
}

lsnn_status lsnn_mfcc_compute(lsnn_mfcc *m, const double *x, long n, double *out)
{
    lsnn_status st = lsnn__check_signal(m, x, n, out);
    if (st)
        return st;
    const lsnn_mfcc_params *p = &m->p;
    const int nm = p->n_mels, nc = p->n_coeffs, C = 3 * nc;
    const long frames = lsnn_mfcc_frames(m, n);
    for (long f = 0; f < frames; f++) {
        lsnn__frame_energy(m, x, n, f);
        for (int i = 0; i < nm; i++)
            m->energy[i] = log(m->energy[i] > p->log_floor ? m->energy[i] : p->log_floor);
        double *row = out + (size_t)f * C;
        for (int r = 0; r < nc; r++) {
            const double *d = m->dct + (size_t)r * nm;
            double acc = 0;
            for (int i = 0; i < nm; i++)
                acc += d[i] * m->energy[i];
            row[r] = acc;
        }
    }
    lsnn_mfcc_delta(out, C, out + nc, C, frames, nc, p->delta_n);
    lsnn_mfcc_delta(out + nc, C, out + 2 * nc, C, frames, nc, p->delta_n);
    for (size_t i = 0; i < (size_t)frames * C; i++)
        if (!isfinite(out[i]))
            return lsnn_error(LSNN_ERR_NUMERIC, "mfcc: non-finite feature (is the audio finite?)");
    return LSNN_OK;
}

void lsnn_dct2_ortho(const double *in, int n, double *out, int n_out)
{
    for (int k = 0; k < n_out; k++) {
        double acc = 0;
        for (int i = 0; i < n; i++)
            acc += in[i] * cos(LSNN__PI * k * (2.0 * i + 1) / (2.0 * n));
        out[k] = acc * (k == 0 ? sqrt(1.0 / n) : sqrt(2.0 / n));
    }
}

void lsnn_mfcc_delta(const double *in, int in_stride, double *out, int out_stride, long frames,
                     int nc, int delta_n)
{
    double denom = 0;
    for (int k = 1; k <= delta_n; k++)
        denom += (double)k * k;
    denom *= 2;
    for (long t = 0; t < frames; t++) {
        double *o = out + (size_t)t * out_stride;
        for (int c = 0; c < nc; c++)
            o[c] = 0;
        for (int k = 1; k <= delta_n; k++) {
            /* Beyond the ends the first / last frame stands in. */
            long tp = t + k < frames ? t + k : frames - 1;
            long tm = t - k >= 0 ? t - k : 0;
            const double *a = in + (size_t)tp * in_stride, *b = in + (size_t)tm * in_stride;
            for (int c = 0; c < nc; c++)
                o[c] += k * (a[c] - b[c]);
        }
        for (int c = 0; c < nc; c++)
            o[c] /= denom;
    }
}

void lsnn_feat_stats_init(lsnn_feat_stats *s, int channels)
{
    memset(s, 0, sizeof *s);
    s->channels = channels < 0 ? 0 : channels > LSNN_MFCC_MAX_CHANNELS ? LSNN_MFCC_MAX_CHANNELS
                                                                        : channels;
}

void lsnn_feat_stats_add(lsnn_feat_stats *s, const double *x, long frames)
{
    const int C = s->channels;
    if (frames <= 0)
        return;
    /* Mean and squared deviations of this block (two passes), then merged with the running
     * totals, which stays accurate over millions of frames where sum and sum of squares would
     * cancel badly. */
    for (int c = 0; c < C; c++) {
        double mean = 0, m2 = 0;
        for (long t = 0; t < frames; t++)
            mean += x[(size_t)t * C + c];
        mean /= (double)frames;
        for (long t = 0; t < frames; t++) {
            double d = x[(size_t)t * C + c] - mean;
            m2 += d * d;
        }
        double na = (double)s->count, nb = (double)frames, n = na + nb;
        double delta = mean - s->mean[c];
        s->mean[c] += delta * nb / n;
        s->m2[c] += m2 + delta * delta * na * nb / n;
    }
    s->count += frames;
}

void lsnn_feat_stats_std(const lsnn_feat_stats *s, double *std)
{
    for (int c = 0; c < s->channels; c++) {
        double v = s->count > 0 ? s->m2[c] / (double)s->count : 0;
        std[c] = v > 0 ? sqrt(v) : 1.0;
    }
}

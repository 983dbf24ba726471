/* lsnn/mfcc.h - mel-frequency cepstral coefficients and their temporal derivatives.
 *
 * The recipe is seed 004 section 3.1.3 (after Fayek 2016), with every constant a parameter:
 *   1. pre-emphasis y(t) = x(t) - 0.97 x(t - 1), with x(-1) = 0 (eq. 3.1);
 *   2. frames of 400 samples (25 ms at 16 kHz) every 160 samples (10 ms); the signal is padded
 *      with zeros so that the last frame is complete: a signal of L samples gives
 *      1 + ceil(max(0, L - 400) / 160) frames, frame f covering samples [160 f, 160 f + 400);
 *   3. Hamming window w[n] = a0 - (1 - a0) cos(2 pi n / (N - 1)), a0 = 0.53836, 0 <= n < N (3.2);
 *   4. power spectrum P_k = |X_k|^2 / K of the K = 512-point DFT of the windowed frame (zero
 *      padded from 400 to 512 samples), k = 0 .. K/2 (3.3, 3.4), computed with FFTW;
 *   5. 40 triangular filters between 0 Hz and fs/2: n_mels + 2 points equally spaced on the mel
 *      scale m(f) = 2595 log10(1 + f / 700) (3.5), converted back to Hz (3.6) and to DFT bins
 *      b = floor((K + 1) f / fs) (3.7); filter i rises from b_i to 1 at b_(i+1) and falls to 0 at
 *      b_(i+2) (3.8). With n_mels = 26 the bins are exactly the 28 rows of the seed's Table A.1
 *      (the table lists the edges of 26 filters, while the text asks for 40: the filter count is
 *      therefore a parameter, 40 by default as in the text);
 *   6. natural logarithm of each filter's energy, clamped below at log_floor = 2^-52 (the double
 *      machine epsilon, which Fayek's recipe puts in place of zero energies; only exact digital
 *      silence reaches it); the base of the log does not matter once the channels are
 *      standardised;
 *   7. orthonormal DCT-II over the n_mels log energies (3.9, 3.10); coefficients first_coeff ..
 *      first_coeff + n_coeffs - 1 are kept: 1..13 by default (the seed drops C_0, the frame's
 *      mean log energy, and keeps 13), 0..12 as an option;
 *   8. first and second temporal derivatives by the regression formula
 *        d_t = sum_{n=1..N} n (c_(t+n) - c_(t-n)) / (2 sum_{n=1..N} n^2),   N = 2,
 *      with frames beyond either end replaced by the first or last frame; the second derivative
 *      is the same formula applied to d. The seed gives no formula; this is the usual one (HTK's
 *      DELTAWINDOW = 2). A linear ramp c_t = a t + b gives d_t = a away from the ends.
 *   The output of a frame is [c (n_coeffs), d (n_coeffs), dd (n_coeffs)]: 39 channels.
 *   9. Channel-wise standardisation with the mean and standard deviation of the training set
 *      (lsnn_feat_stats), applied unchanged to the validation and test sets.
 * The seed also mentions "centering each frame around 0" before that standardisation; the text
 * is ambiguous (per frame or per channel of an utterance) and the training-set standardisation
 * centres every channel anyway, so no such step is applied.
 *
 * An lsnn_mfcc holds the FFTW plan (made once, FFTW_ESTIMATE, so the same build always computes
 * the same numbers) and scratch buffers: use one object per thread. */
#ifndef LSNN_MFCC_H
#define LSNN_MFCC_H

#include "lsnn/status.h"

#define LSNN_MFCC_MAX_MELS 256
#define LSNN_MFCC_MAX_CHANNELS (3 * LSNN_MFCC_MAX_MELS)

typedef struct lsnn_mfcc_params {
    int sample_rate;     /* Hz (16000) */
    int frame_len;       /* samples per frame N (400 = 25 ms) */
    int hop;             /* samples between frame starts (160 = 10 ms) */
    int n_fft;           /* DFT points K (512); >= frame_len, even */
    int n_mels;          /* triangular filters (40) */
    double f_low;        /* lower band edge, Hz (0) */
    double f_high;       /* upper band edge, Hz (sample_rate / 2 = 8000) */
    double preemph;      /* pre-emphasis coefficient (0.97; 0 = none) */
    double window_a0;    /* Hamming a0 (0.53836); a1 = 1 - a0 */
    double log_floor;    /* filter energies below this are raised to it before the log (2^-52) */
    int first_coeff;     /* first cepstral coefficient kept: 1 (default) or 0 */
    int n_coeffs;        /* cepstral coefficients kept (13) */
    int delta_n;         /* half-width N of the regression window of the derivatives (2) */
} lsnn_mfcc_params;

/* The defaults above (seed 004 section 3.1.3). */
void lsnn_mfcc_defaults(lsnn_mfcc_params *p);

/* Checks a parameter set (LSNN_ERR_ARG naming the field). */
lsnn_status lsnn_mfcc_check(const lsnn_mfcc_params *p);

typedef struct lsnn_mfcc lsnn_mfcc;

/* Builds the filterbank, the DCT matrix and the FFT plan. NULL on error (*status set). */
lsnn_mfcc *lsnn_mfcc_create(const lsnn_mfcc_params *p, lsnn_status *status);
void lsnn_mfcc_free(lsnn_mfcc *m);

const lsnn_mfcc_params *lsnn_mfcc_get_params(const lsnn_mfcc *m);

/* Output channels per frame: 3 n_coeffs (39). */
int lsnn_mfcc_channels(const lsnn_mfcc *m);

/* Frames of a signal of n samples: 1 + ceil(max(0, n - frame_len) / hop), 0 for n <= 0. */
long lsnn_mfcc_frames(const lsnn_mfcc *m, long n);

/* The n_mels + 2 DFT bins b_0 .. b_(n_mels+1) of the filter edges (eq. 3.7). */
const int *lsnn_mfcc_mel_bins(const lsnn_mfcc *m);

/* Filter i's weight at DFT bin k (0 <= k <= n_fft / 2), eq. 3.8. */
double lsnn_mfcc_filter(const lsnn_mfcc *m, int i, int k);

/* Filterbank energies (before the log) of every frame of x (n samples): out (frames, n_mels). */
lsnn_status lsnn_mfcc_fbank(lsnn_mfcc *m, const double *x, long n, double *out);

/* The 3 n_coeffs channels of every frame of x: out (frames, channels), not standardised. */
lsnn_status lsnn_mfcc_compute(lsnn_mfcc *m, const double *x, long n, double *out);

/* Orthonormal DCT-II of in (n values), eq. 3.9/3.10: out_k for k = 0 .. n_out - 1 (n_out <= n). */
void lsnn_dct2_ortho(const double *in, int n, double *out, int n_out);

/* Regression derivative over time (see 8. above) of a (frames, channels) array, for channels
 * [c0, c0 + nc) of each row of `in` (row stride `in_stride`), written to the same channels
 * layout of `out` (row stride out_stride). in and out must not overlap. */
void lsnn_mfcc_delta(const double *in, int in_stride, double *out, int out_stride, long frames,
                     int nc, int delta_n);

/* Per-channel mean and standard deviation over many frames, merged utterance by utterance
 * (Chan et al.'s pairwise update, in double precision). */
typedef struct lsnn_feat_stats {
    int channels;
    long count;                              /* frames seen */
    double mean[LSNN_MFCC_MAX_CHANNELS];
    double m2[LSNN_MFCC_MAX_CHANNELS];       /* sum of squared deviations from the mean */
} lsnn_feat_stats;

void lsnn_feat_stats_init(lsnn_feat_stats *s, int channels);
/* Adds `frames` rows of `channels` values (row-major). */
void lsnn_feat_stats_add(lsnn_feat_stats *s, const double *x, long frames);
/* Population standard deviation (divides by count) of each channel; a channel that never varies
 * gets std 1, so that standardising it gives 0 instead of a division by zero. */
void lsnn_feat_stats_std(const lsnn_feat_stats *s, double *std);

#endif

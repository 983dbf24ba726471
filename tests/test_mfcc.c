/* Tests for src/data/mfcc.c: the mel bin edges of seed 004 Table A.1, the filter shapes of
 * eq. 3.8, filterbank energies against a direct DFT (zero-padded last frame included), a pure
 * tone landing in the filter whose peak is at its frequency, the orthonormal DCT-II, the
 * cepstra as the DCT of the log energies, regression deltas of a linear ramp, frame counts,
 * pooled statistics and parameter errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/mfcc.h"

#define PI 3.14159265358979323846

static lsnn_mfcc *make(int n_mels, int first_coeff)
{
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    p.n_mels = n_mels;
    p.first_coeff = first_coeff;
    lsnn_status st;
    lsnn_mfcc *m = lsnn_mfcc_create(&p, &st);
    assert_int_equal(st, LSNN_OK);
    assert_non_null(m);
    return m;
}

/* A deterministic test signal: two tones and a little pseudo-random noise. */
static double *signal_of(long n, unsigned seed)
{
    double *x = malloc(sizeof(double) * (size_t)n);
    assert_non_null(x);
    uint32_t s = seed;
    for (long t = 0; t < n; t++) {
        s = s * 1664525u + 1013904223u;
        double noise = ((double)(s >> 8) / (1 << 24) - 0.5) * 0.02;
        x[t] = 0.3 * sin(2 * PI * 300 * t / 16000.0) + 0.1 * sin(2 * PI * 3100 * t / 16000.0) +
               noise;
    }
    return x;
}

/* Seed 004 Table A.1 lists the bins of 28 mel points, i.e. of 26 filters. */
static void test_table_a1(void **state)
{
    (void)state;
    static const int table[28] = {0,  2,  4,  7,   10,  13,  16,  20,  24,  29,
                                  34, 40, 46, 53,  60,  68,  77,  87,  97,  109,
                                  122, 136, 152, 169, 188, 209, 231, 256};
    lsnn_mfcc *m = make(26, 1);
    const int *b = lsnn_mfcc_mel_bins(m);
    for (int i = 0; i < 28; i++)
        assert_int_equal(b[i], table[i]);
    lsnn_mfcc_free(m);

    /* The default 40 filters: 42 edges from 0 to 256, never decreasing, following eq. 3.7. */
    m = make(40, 1);
    b = lsnn_mfcc_mel_bins(m);
    double top = 2595.0 * log10(1.0 + 8000.0 / 700.0);
    for (int i = 0; i < 42; i++) {
        double f = 700.0 * (pow(10.0, top * i / 41.0 / 2595.0) - 1.0);
        assert_int_equal(b[i], (int)floor(513.0 * f / 16000.0));
        if (i)
            check_ge(b[i], b[i - 1]);
    }
    assert_int_equal(b[0], 0);
    assert_int_equal(b[41], 256);
    lsnn_mfcc_free(m);
}

/* Eq. 3.8: zero outside [b_i, b_(i+2)], 1 at b_(i+1), linear flanks. */
static void test_filter_shape(void **state)
{
    (void)state;
    lsnn_mfcc *m = make(40, 1);
    const int *b = lsnn_mfcc_mel_bins(m);
    for (int i = 0; i < 40; i++)
        for (int k = 0; k <= 256; k++) {
            double w = lsnn_mfcc_filter(m, i, k), want;
            if (k < b[i] || k > b[i + 2])
                want = 0;
            else if (k < b[i + 1])
                want = (double)(k - b[i]) / (b[i + 1] - b[i]);
            else if (k == b[i + 1])
                want = 1;
            else
                want = (double)(b[i + 2] - k) / (b[i + 2] - b[i + 1]);
            check_near(w, want, 1e-15);
        }
    lsnn_mfcc_free(m);
}

/* Filterbank energies against a direct O(N K) DFT of the pre-emphasised, windowed, zero-padded
 * frames, including the last frame that reaches past the signal. */
static void test_fbank_direct(void **state)
{
    (void)state;
    lsnn_mfcc *m = make(40, 1);
    const long n = 1234; /* 7 frames, the last one padded with zeros after sample 1233 */
    double *x = signal_of(n, 5);
    long frames = lsnn_mfcc_frames(m, n);
    assert_int_equal(frames, 7);
    double *e = malloc(sizeof(double) * (size_t)frames * 40);
    assert_non_null(e);
    assert_int_equal(lsnn_mfcc_fbank(m, x, n, e), LSNN_OK);
    for (long f = 0; f < frames; f++) {
        double frame[400], power[257];
        for (int j = 0; j < 400; j++) {
            long t = f * 160 + j;
            double y = t >= n ? 0 : t == 0 ? x[0] : x[t] - 0.97 * x[t - 1];
            frame[j] = y * (0.53836 - 0.46164 * cos(2 * PI * j / 399.0));
        }
        for (int k = 0; k <= 256; k++) {
            double re = 0, im = 0;
            for (int j = 0; j < 400; j++) {
                re += frame[j] * cos(2 * PI * k * j / 512.0);
                im -= frame[j] * sin(2 * PI * k * j / 512.0);
            }
            power[k] = (re * re + im * im) / 512.0;
        }
        for (int i = 0; i < 40; i++) {
            double want = 0;
            for (int k = 0; k <= 256; k++)
                want += lsnn_mfcc_filter(m, i, k) * power[k];
            double got = e[f * 40 + i];
            check_near(got, want, 1e-9 * fabs(want) + 1e-15);
        }
    }
    free(e);
    free(x);
    lsnn_mfcc_free(m);
}

/* A pure tone at the frequency of filter i's peak bin puts the most energy into filter i, and
 * next to none (< 1e-3 of it) into filters more than two away: Hamming sidelobes are ~43 dB
 * down. */
static void test_tone_in_filter(void **state)
{
    (void)state;
    lsnn_mfcc *m = make(40, 1);
    const int *b = lsnn_mfcc_mel_bins(m);
    const int which[] = {5, 13, 25, 35};
    const long n = 8000;
    double *x = malloc(sizeof(double) * n);
    double *e = malloc(sizeof(double) * 60 * 40);
    assert_non_null(x);
    assert_non_null(e);
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        int i = which[w];
        double hz = b[i + 1] * 16000.0 / 512.0;
        for (long t = 0; t < n; t++)
            x[t] = 0.5 * sin(2 * PI * hz * t / 16000.0);
        long frames = lsnn_mfcc_frames(m, n);
        check_le(frames, 60);
        assert_int_equal(lsnn_mfcc_fbank(m, x, n, e), LSNN_OK);
        const double *row = e + (frames / 2) * 40; /* a frame well inside the tone */
        int best = 0;
        for (int j = 1; j < 40; j++)
            if (row[j] > row[best])
                best = j;
        assert_int_equal(best, i);
        for (int j = 0; j < 40; j++)
            if (abs(j - i) > 2)
                check_lt(row[j], 1e-3 * row[i]);
    }
    free(x);
    free(e);
    lsnn_mfcc_free(m);
}

/* The DCT-II of eqs. 3.9/3.10 is orthonormal: M M^T = I. */
static void test_dct_orthonormal(void **state)
{
    (void)state;
    const int sizes[] = {40, 26, 7};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        double *M = malloc(sizeof(double) * n * n), *u = calloc((size_t)n, sizeof(double));
        assert_non_null(M);
        assert_non_null(u);
        for (int j = 0; j < n; j++) { /* column j = DCT of the unit vector e_j */
            u[j] = 1;
            double col[64];
            lsnn_dct2_ortho(u, n, col, n);
            for (int k = 0; k < n; k++)
                M[k * n + j] = col[k];
            u[j] = 0;
        }
        for (int a = 0; a < n; a++)
            for (int c = 0; c < n; c++) {
                double dot = 0;
                for (int j = 0; j < n; j++)
                    dot += M[a * n + j] * M[c * n + j];
                check_near(dot, (a == c), 1e-12);
            }
        /* Eq. 3.9 with the scale of eq. 3.10, written out. */
        for (int k = 0; k < n; k++) {
            double c = k == 0 ? sqrt(1.0 / (4 * n)) : sqrt(1.0 / (2 * n));
            for (int j = 0; j < n; j++)
                assert_true(fabs(M[k * n + j] - 2 * c * cos(PI * k * (2 * j + 1) / (2.0 * n))) <
                            1e-14);
        }
        free(M);
        free(u);
    }
}

/* lsnn_mfcc_compute: cepstra = kept DCT rows of the log energies; then d and dd as deltas. */
static void test_cepstra_and_layout(void **state)
{
    (void)state;
    for (int first = 0; first <= 1; first++) {
        lsnn_mfcc *m = make(40, first);
        assert_int_equal(lsnn_mfcc_channels(m), 39);
        const long n = 5000;
        double *x = signal_of(n, 11);
        long frames = lsnn_mfcc_frames(m, n);
        double *out = malloc(sizeof(double) * (size_t)frames * 39);
        double *e = malloc(sizeof(double) * (size_t)frames * 40);
        double *d = malloc(sizeof(double) * (size_t)frames * 13);
        assert_non_null(out);
        assert_non_null(e);
        assert_non_null(d);
        assert_int_equal(lsnn_mfcc_compute(m, x, n, out), LSNN_OK);
        assert_int_equal(lsnn_mfcc_fbank(m, x, n, e), LSNN_OK);
        for (long f = 0; f < frames; f++) {
            double logs[40], cep[40];
            for (int i = 0; i < 40; i++)
                logs[i] = log(e[f * 40 + i]);
            lsnn_dct2_ortho(logs, 40, cep, 40);
            for (int r = 0; r < 13; r++)
                check_near(out[f * 39 + r], cep[first + r], 1e-9);
        }
        lsnn_mfcc_delta(out, 39, d, 13, frames, 13, 2);
        for (long f = 0; f < frames; f++)
            for (int r = 0; r < 13; r++)
                check_eq(out[f * 39 + 13 + r], d[f * 13 + r]);
        lsnn_mfcc_delta(out + 13, 39, d, 13, frames, 13, 2);
        for (long f = 0; f < frames; f++)
            for (int r = 0; r < 13; r++)
                check_eq(out[f * 39 + 26 + r], d[f * 13 + r]);
        free(out);
        free(e);
        free(d);
        free(x);
        lsnn_mfcc_free(m);
    }
}

/* d_t = sum n (c_(t+n) - c_(t-n)) / (2 sum n^2) with the ends repeated: a ramp a t + b gives a
 * inside, and 0.5 a, 0.8 a at the first two frames (likewise at the last two); its second
 * derivative is 0 inside. */
static void test_delta_ramp(void **state)
{
    (void)state;
    enum { T = 20, NC = 3 };
    const double slope[NC] = {1.0, -2.5, 0.125}, offset[NC] = {3.0, 0.0, -7.0};
    double c[T * NC], d[T * NC], dd[T * NC];
    for (int t = 0; t < T; t++)
        for (int k = 0; k < NC; k++)
            c[t * NC + k] = slope[k] * t + offset[k];
    lsnn_mfcc_delta(c, NC, d, NC, T, NC, 2);
    lsnn_mfcc_delta(d, NC, dd, NC, T, NC, 2);
    for (int k = 0; k < NC; k++) {
        for (int t = 2; t < T - 2; t++)
            check_near(d[t * NC + k], slope[k], 1e-12);
        check_near(d[0 * NC + k], 0.5 * slope[k], 1e-12);
        check_near(d[1 * NC + k], 0.8 * slope[k], 1e-12);
        check_near(d[(T - 1) * NC + k], 0.5 * slope[k], 1e-12);
        check_near(d[(T - 2) * NC + k], 0.8 * slope[k], 1e-12);
        for (int t = 4; t < T - 4; t++)
            check_lt(fabs(dd[t * NC + k]), 1e-12);
    }
    /* A constant has no derivative anywhere, the ends included. */
    for (int i = 0; i < T * NC; i++)
        c[i] = 4.0;
    lsnn_mfcc_delta(c, NC, d, NC, T, NC, 2);
    for (int i = 0; i < T * NC; i++)
        check_eq(d[i], 0);
}

/* 1 + ceil(max(0, n - 400) / 160) frames. */
static void test_frame_count(void **state)
{
    (void)state;
    lsnn_mfcc *m = make(40, 1);
    const long n[] = {0, 1, 399, 400, 401, 560, 561, 16000};
    const long want[] = {0, 1, 1, 1, 2, 2, 3, 99};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        assert_int_equal(lsnn_mfcc_frames(m, n[i]), want[i]);
    double x[4] = {0};
    double out[39];
    assert_int_equal(lsnn_mfcc_compute(m, x, 0, out), LSNN_ERR_ARG);
    /* Digital silence: every log energy sits at the floor, the cepstra are finite. */
    assert_int_equal(lsnn_mfcc_compute(m, x, 4, out), LSNN_OK);
    for (int c = 0; c < 39; c++)
        assert_true(isfinite(out[c]) && fabs(out[c]) < 1e-9);
    lsnn_mfcc_free(m);
}

/* Blocks merged one by one give the mean and population std of all rows; a constant channel
 * gets std 1. */
static void test_stats(void **state)
{
    (void)state;
    enum { R = 1000, C = 3 };
    double *x = malloc(sizeof(double) * R * C);
    assert_non_null(x);
    for (int r = 0; r < R; r++) {
        x[r * C] = 1e6 + sin(r * 0.37);      /* large offset: naive sums would cancel */
        x[r * C + 1] = (r % 7) - 3.0;
        x[r * C + 2] = 2.5;
    }
    lsnn_feat_stats s;
    lsnn_feat_stats_init(&s, C);
    const int cuts[] = {0, 1, 17, 400, 401, 999, R};
    for (int i = 0; i + 1 < (int)(sizeof cuts / sizeof cuts[0]); i++)
        lsnn_feat_stats_add(&s, x + cuts[i] * C, cuts[i + 1] - cuts[i]);
    assert_int_equal(s.count, R);
    double std[C];
    lsnn_feat_stats_std(&s, std);
    for (int c = 0; c < 2; c++) {
        double mean = 0, var = 0;
        for (int r = 0; r < R; r++)
            mean += x[r * C + c];
        mean /= R;
        for (int r = 0; r < R; r++)
            var += (x[r * C + c] - mean) * (x[r * C + c] - mean);
        var /= R;
        check_near(s.mean[c], mean, 1e-9 * fabs(mean) + 1e-12);
        check_near(std[c], sqrt(var), 1e-9);
    }
    check_eq(s.mean[2], 2.5);
    check_eq(std[2], 1.0);
    free(x);
}

static void test_bad_params(void **state)
{
    (void)state;
    lsnn_mfcc_params p;
    lsnn_status st;
    lsnn_mfcc_defaults(&p);
    p.n_fft = 256;
    assert_null(lsnn_mfcc_create(&p, &st));
    assert_int_equal(st, LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "n_fft"));
    lsnn_mfcc_defaults(&p);
    p.n_mels = 12;
    assert_null(lsnn_mfcc_create(&p, &st));
    assert_non_null(strstr(lsnn_last_error(), "coefficients 1..13"));
    lsnn_mfcc_defaults(&p);
    p.f_high = 9000;
    assert_int_equal(lsnn_mfcc_check(&p), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "f_high"));
    lsnn_mfcc_defaults(&p);
    p.delta_n = 0;
    assert_int_equal(lsnn_mfcc_check(&p), LSNN_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_a1),        cmocka_unit_test(test_filter_shape),
        cmocka_unit_test(test_fbank_direct),    cmocka_unit_test(test_tone_in_filter),
        cmocka_unit_test(test_dct_orthonormal), cmocka_unit_test(test_cepstra_and_layout),
        cmocka_unit_test(test_delta_ramp),      cmocka_unit_test(test_frame_count),
        cmocka_unit_test(test_stats),           cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

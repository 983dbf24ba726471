/* lsnn/encode.h - turning analog sequences (pixel rows, grey values) into network input.
 *
 * Each encoder writes the input of one sequence into x, a (T, stride) row-major block (a slice of
 * lsnn_batch.x), starting at channel `offset`; value k (0..n-1) of the sequence occupies steps
 * [k * spp, (k + 1) * spp) where spp = steps per value (1 or 2 ms per pixel in seed 000). Values
 * are grey levels in [0, 1]. Encoders only add spikes/values; the caller clears x first. */
#ifndef LSNN_ENCODE_H
#define LSNN_ENCODE_H

#include "lsnn/core.h"

/* Threshold crossing (seed 000 section 4, the encoding behind Fig. 1B): n_thresholds levels
 * theta_k = (k + 1) / (n_thresholds + 1); channel 2k spikes when the grey value crosses theta_k
 * from below (prev < theta_k <= cur), channel 2k + 1 when it crosses from above
 * (prev >= theta_k > cur), at the first step of the new value. The value before the first one is
 * 0. Uses 2 * n_thresholds channels. Returns the number of spikes written. */
long lsnn_encode_threshold(const float *values, int n, int n_thresholds, int spp, lsnn_real *x,
                           int stride, int offset);

/* Population probability code (seed 000 section 4): each of n_neurons channels spikes
 * independently with probability equal to the grey value at every step. */
long lsnn_encode_population(lsnn_rng *rng, const float *values, int n, int n_neurons, int spp,
                            lsnn_real *x, int stride, int offset);

/* Analog current (seed 003 section 4.2.3, and the LSTM/RNN baselines): one channel carrying the
 * grey value at every step. */
void lsnn_encode_analog(const float *values, int n, int spp, lsnn_real *x, int stride,
                        int offset);

#endif

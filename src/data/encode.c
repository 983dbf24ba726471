/* Input encoders (see lsnn/encode.h). */
#include "lsnn/encode.h"
#include "core/rng_inline.h"

long lsnn_encode_threshold(const float *values, int n, int n_thresholds, int spp, lsnn_real *x,
                           int stride, int offset)
{
    long spikes = 0;
    float prev = 0;
    for (int k = 0; k < n; k++) {
        float cur = values[k];
        lsnn_real *row = x + (size_t)k * spp * stride + offset;
        for (int q = 0; q < n_thresholds; q++) {
            float theta = (float)(q + 1) / (float)(n_thresholds + 1);
            int up = prev < theta && theta <= cur;
            int down = prev >= theta && theta > cur;
            row[2 * q] += (lsnn_real)up;
            row[2 * q + 1] += (lsnn_real)down;
            spikes += up + down;
        }
        prev = cur;
    }
    return spikes;
}

long lsnn_encode_population(lsnn_rng *rng, const float *values, int n, int n_neurons, int spp,
                            lsnn_real *x, int stride, int offset)
{
    long spikes = 0;
    for (int k = 0; k < n; k++) {
        double p = values[k];
        if (p <= 0)
            continue; /* no draws for black pixels: most of an MNIST image */
        for (int r = 0; r < spp; r++) {
            lsnn_real *row = x + ((size_t)k * spp + r) * stride + offset;
            for (int i = 0; i < n_neurons; i++) {
                int s = lsnn__rng_uniform(rng) < p;
                row[i] += (lsnn_real)s;
                spikes += s;
            }
        }
    }
    return spikes;
}

void lsnn_encode_analog(const float *values, int n, int spp, lsnn_real *x, int stride, int offset)
{
    for (int k = 0; k < n; k++)
        for (int r = 0; r < spp; r++)
            x[((size_t)k * spp + r) * stride + offset] += values[k];
}

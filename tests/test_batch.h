/* Shared by the tests that compare two computations on one random batch (test_sparse.c,
 * test_records.c). */
#ifndef LSNN_TEST_BATCH_H
#define LSNN_TEST_BATCH_H

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

#include "lsnn/config.h"
#include "lsnn/core.h"
#include "lsnn/learn.h"
#include "lsnn/sim.h"

/* The small network section of the gradient and stepping tests (test_gradcheck_f64.c,
 * test_closed_loop_f64.c, test_snapshot.c): n_regular LIF + n_adaptive ALIF neurons, tau_m 8 ms,
 * tau_a 30 ms, beta 0.8, b0 1, refractory 2 steps, gamma 0.3, readout_tau 5 ms, delays up to
 * max_delay, current noise of std `noise` (trained when > 0), one layer. */
static inline lsnn_network_config test_small_network(int n_regular, int n_adaptive,
                                                     const char *scaling, double w0,
                                                     int max_delay, double noise)
{
    lsnn_network_config nc;
    memset(&nc, 0, sizeof nc);
    nc.n_regular = n_regular;
    nc.n_adaptive = n_adaptive;
    nc.dt = 1;
    nc.tau_m = 8;
    nc.tau_a = 30;
    nc.beta = 0.8;
    nc.b0 = 1.0;
    nc.refractory = 2;
    snprintf(nc.input_scaling, sizeof nc.input_scaling, "%s", scaling);
    nc.gamma = 0.3;
    nc.w0 = w0;
    nc.w0_out = 1;
    nc.max_delay = max_delay;
    nc.noise_std = noise;
    nc.train_noise = noise > 0;
    nc.readout_tau = 5;
    nc.layers = 1;
    return nc;
}

/* Random input spikes (12% of entries) and a few analog values (0.5, 2%) drawn from seed, one
 * classification window [T - window, T) per sequence with label g % n_out, and the noise key. */
static inline void test_fill_batch(lsnn_batch *b, unsigned seed, int window, uint64_t noise_key)
{
    lsnn_rng rng;
    lsnn_rng_seed(&rng, seed);
    for (size_t k = 0; k < (size_t)b->B * b->T * b->n_in; k++) {
        double u = lsnn_rng_uniform(&rng);
        b->x[k] = u < 0.12 ? 1 : u < 0.14 ? (lsnn_real)0.5 : 0;
    }
    for (int g = 0; g < b->B; g++) {
        b->n_windows[g] = 1;
        b->windows[(size_t)g * (b->max_windows > 1 ? b->max_windows : 1)] =
            (lsnn_window){b->T - window, b->T, g % b->n_out};
    }
    b->noise_key = noise_key;
}

/* Forward pass of net on b in sim (readout y, spike counts count), the loss's dL/dy, and BPTT
 * with a constant dL/dz_j = 1e-3 ((j % m) - m / 2) into grad. Returns 0, or -1 if a step
 * failed (the caller asserts). */
static inline int test_forward_backward(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *b,
                                        int m, lsnn_real *y, double *count, lsnn_real *grad)
{
    lsnn_real *gy = malloc(sizeof(lsnn_real) * (size_t)b->B * b->T * b->n_out);
    lsnn_real *gz = malloc(sizeof(lsnn_real) * (size_t)net->n);
    int rc = gy && gz ? 0 : -1;
    for (int j = 0; !rc && j < net->n; j++)
        gz[j] = (lsnn_real)(1e-3 * ((j % m) - m / 2));
    lsnn_loss_result lr;
    if (!rc && (lsnn_sim_forward(sim, net, b, y, count, NULL) ||
                lsnn_loss_compute(b, y, gy, &lr) ||
                lsnn_bptt_backward(sim, net, b, gy, gz, grad)))
        rc = -1;
    free(gy);
    free(gz);
    return rc;
}

#endif

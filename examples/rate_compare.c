/* examples/rate_compare.c - the lsnn library at the level of networks, batches and BPTT.
 *
 * A task made up here, not one of lsnn's: two groups of 10 input channels fire Poisson spikes
 * for 100 ms, one group at 40 Hz and the other at 10 Hz; over the last 20 ms the network must say
 * which group fired faster. The program builds a 20 LIF + 20 ALIF network, fills the batches by
 * hand, and trains with its own loop: forward pass, loss, BPTT, Adam, masks. It prints the loss
 * and accuracy of a fixed validation batch before and after training.
 *
 *   cc rate_compare.c $(pkg-config --cflags --libs lsnn) -o rate_compare
 *   OPENBLAS_NUM_THREADS=1 ./rate_compare [ITERATIONS]
 *
 * Exit status 0 on success; errors print lsnn's message and exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/core.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/status.h"

enum { N_IN = 20, N_OUT = 2, T = 100, B = 32, WINDOW = 20 };

static int fail(const char *what)
{
    fprintf(stderr, "rate_compare: %s: %s\n", what, lsnn_last_error());
    return 1;
}

/* Batch `index` of the stream `stream`: one sequence per label draw, inputs and window. */
static void fill_batch(lsnn_batch *b, uint64_t stream, uint64_t index)
{
    for (int s = 0; s < b->B; s++) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, 42, stream, index * (uint64_t)b->B + (uint64_t)s, 0);
        const int label = (int)lsnn_rng_below(&rng, 2);
        for (int t = 0; t < b->T; t++) {
            lsnn_real *x = b->x + ((size_t)s * b->T + (size_t)t) * b->n_in;
            for (int i = 0; i < b->n_in; i++) {
                const int group = i < N_IN / 2 ? 0 : 1;
                const double p = (group == label ? 40.0 : 10.0) * 1e-3; /* per 1 ms step */
                x[i] = lsnn_rng_uniform(&rng) < p ? 1 : 0;
            }
        }
        b->n_windows[s] = 1;
        b->windows[(size_t)s * b->max_windows] = (lsnn_window){T - WINDOW, T, label};
    }
    b->noise_key = stream * 1000003u + index;
}

/* Loss and accuracy of the network on batch b (forward pass only). */
static int evaluate(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *b, lsnn_real *y,
                    lsnn_loss_result *res)
{
    if (lsnn_sim_forward(sim, net, b, y, NULL, NULL) ||
        lsnn_loss_compute(b, y, NULL, res))
        return fail("evaluation");
    return 0;
}

int main(int argc, char **argv)
{
    long iterations = 150;
    if (argc > 1) {
        char *end;
        iterations = strtol(argv[1], &end, 10);
        if (argc > 2 || *end || end == argv[1] || iterations < 0 || iterations > 1000000) {
            fprintf(stderr, "usage: rate_compare [ITERATIONS: 0 to 1000000, default 150]\n");
            return 2;
        }
    }
    /* The network: the documented defaults with a few fields changed. */
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    cfg.network.n_regular = 20;
    cfg.network.n_adaptive = 20;
    cfg.network.tau_a = 200;
    if (lsnn_config_validate(&cfg, "rate_compare"))
        return fail("config");
    lsnn_net net;
    if (lsnn_net_init(&net, &cfg.network, N_IN, N_OUT, cfg.seed))
        return fail("network");
    printf("network: %d neurons, %zu parameters\n", net.n, lsnn_net_count_params(&net, 1));

    lsnn_batch train, valid;
    if (lsnn_batch_init(&train, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1) ||
        lsnn_batch_init(&valid, B, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 1))
        return fail("batch");
    fill_batch(&valid, 2, 0);

    lsnn_status st;
    lsnn_sim *sim = lsnn_sim_create(&net, B, T, &st);
    if (!sim)
        return fail("workspace");
    lsnn_optim opt;
    lsnn_optim_params optp;
    if (lsnn_optim_params_from_config(&cfg.optim, &optp) ||
        lsnn_optim_init(&opt, &optp, net.n_params))
        return fail("optimizer");
    lsnn_real *y = malloc(sizeof(lsnn_real) * B * T * N_OUT);
    lsnn_real *gy = malloc(sizeof(lsnn_real) * B * T * N_OUT);
    lsnn_real *grad = malloc(sizeof(lsnn_real) * net.n_params);
    uint8_t *trainable = malloc(net.n_params);
    if (!y || !gy || !grad || !trainable) {
        fprintf(stderr, "rate_compare: out of memory\n");
        return 1;
    }
    lsnn_net_trainable_mask(&net, trainable);

    lsnn_loss_result before, after, r;
    if (evaluate(sim, &net, &valid, y, &before))
        return 1;
    printf("before: validation loss %.4f  accuracy %.3f\n", before.loss,
           (double)before.correct / (double)before.total);
    for (long it = 0; it < iterations; it++) {
        fill_batch(&train, 1, (uint64_t)it);
        /* Forward, dL/dy, BPTT (no rate regularisation: gz_const NULL), Adam, then the
         * structural constraints (no self-connections) on the updated weights. */
        if (lsnn_sim_forward(sim, &net, &train, y, NULL, NULL) ||
            lsnn_loss_compute(&train, y, gy, &r) ||
            lsnn_bptt_backward(sim, &net, &train, gy, NULL, grad))
            return fail("training");
        lsnn_grad_clip(grad, trainable, net.n_params, 1.0);
        lsnn_optim_step(&opt, net.params, grad, trainable, cfg.lr);
        lsnn_net_apply_masks(&net);
        if ((it + 1) % 25 == 0)
            printf("iter %4ld  loss %.4f  accuracy %.3f\n", it + 1, r.loss,
                   (double)r.correct / (double)r.total);
    }
    if (evaluate(sim, &net, &valid, y, &after))
        return 1;
    printf("after:  validation loss %.4f  accuracy %.3f\n", after.loss,
           (double)after.correct / (double)after.total);

    free(trainable);
    free(grad);
    free(gy);
    free(y);
    lsnn_optim_free(&opt);
    lsnn_sim_free(sim);
    lsnn_batch_free(&valid);
    lsnn_batch_free(&train);
    lsnn_net_free(&net);
    return 0;
}

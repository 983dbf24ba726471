/* Task "random": every input channel spikes independently with probability random.input_rate
 * in every step; one classification window over the last random.window steps, labelled with the
 * sequence's index modulo random.outputs (nothing in the input predicts it). This is the input
 * `lsnn bench` times training on: the statistics of the spiking input matter for the cost of a
 * pass, the content does not.
 *
 * The spikes of a sequence come from a stream of its own, derived from (seed, stream, index), and
 * are drawn as geometric gaps between spikes, so the cost is proportional to the spike count. */
#include <math.h>
#include <string.h>

#include "lsnn/task.h"
#include "core/rng_inline.h"

static lsnn_status lsnn__rnd_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_random_config *c = &cfg->random;
    memset(out, 0, sizeof *out);
    out->n_in = c->inputs;
    out->n_out = c->outputs;
    out->T = c->steps;
    out->max_windows = 1;
    out->loss = lsnn_task_class_loss(cfg);
    out->metric = "accuracy";
    return LSNN_OK;
}

static lsnn_status lsnn__rnd_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                      uint64_t stream, uint64_t first, lsnn_batch *b)
{
    (void)state;
    const lsnn_random_config *c = &cfg->random;
    const int T = b->T, n_in = b->n_in;
    const double p = c->input_rate;
    /* log(1 - p) for the gaps; p = 1: every step, p = 0: none */
    const double l1p = p < 1 ? log1p(-p) : 0;
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * b->x_nt * n_in);
    for (int s = 0; s < b->B; s++) {
        const uint64_t g = first + (uint64_t)s;
        lsnn_real *x = b->x + (size_t)s * b->x_nt * n_in;
        const size_t n = (size_t)b->x_nt * n_in; /* the whole sequence: x_t0 = 0, x_nt = T */
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x7a2d0, stream, g);
        if (p >= 1) {
            for (size_t k = 0; k < n; k++)
                x[k] = 1;
        } else if (p > 0) {
            for (size_t k = 0;;) {
                const double u = 1.0 - lsnn__rng_uniform(&rng); /* in (0, 1] */
                const double gap = floor(log(u) / l1p);
                if (!(gap < (double)(n - k)))
                    break;
                k += (size_t)gap;
                x[k++] = 1;
            }
        }
        b->n_windows[s] = 1;
        b->windows[(size_t)s * b->max_windows] =
            (lsnn_window){T > c->window ? T - c->window : 0, T, (int)(g % (uint64_t)b->n_out)};
    }
    lsnn_task_rate_targets(cfg, b);
    b->noise_key = lsnn_hash4(seed, 0x7a2d1, stream, first);
    return LSNN_OK;
}

const lsnn_task lsnn_task_random = {
    .name = "random",
    .description = "independent random input spikes (the input lsnn bench times training on)",
    .shape = lsnn__rnd_shape,
    .open = NULL,
    .close = NULL,
    .generate = lsnn__rnd_generate,
    .stream_size = NULL,
    .streamed = 0,
};

/* examples/gradient.c - one batch's gradient, the trainer's way, written as raw numbers.
 *
 * Builds the trainer of a config (with KEY=VALUE overrides as `lsnn train --set` applies them),
 * takes batch 0 of the training stream of its task, and computes the gradient of the loss (and
 * the config's rate regularisation) by the config's learning rule, without applying it
 * (lsnn_trainer_compute_gradient). Writes the gradient to OUT as n_params raw lsnn_real values
 * in the machine's byte order, and prints the loss. The Python package's tests compare
 * `Network.gradient` on the same batch with this file, bit for bit.
 *
 *   cc gradient.c $(pkg-config --cflags --libs lsnn) -o gradient
 *   OPENBLAS_NUM_THREADS=1 ./gradient configs/store_recall.json grad.bin batch_size=4
 *
 * Exit status 0 on success; errors print lsnn's message and exit 1. */
#include <stdio.h>
#include <stdlib.h>

#include "lsnn/lsnn.h"

static int fail(const char *what)
{
    fprintf(stderr, "gradient: %s: %s\n", what, lsnn_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gradient CONFIG.json OUT [KEY=VALUE ...]\n");
        return 2;
    }
    lsnn_config cfg;
    if (lsnn_config_load(&cfg, argv[1]))
        return fail(argv[1]);
    for (int i = 3; i < argc; i++)
        if (lsnn_config_set(&cfg, argv[i]))
            return fail(argv[i]);
    if (lsnn_config_validate(&cfg, argv[1]))
        return fail(argv[1]);
    lsnn_trainer tr;
    if (lsnn_trainer_init(&tr, &cfg))
        return fail("trainer");
    lsnn_iter_stats stats;
    if (lsnn_trainer_compute_gradient(&tr, tr.task, tr.task_state, LSNN_STREAM_TRAIN, 0, tr.grad,
                                      &stats)) {
        lsnn_trainer_free(&tr);
        return fail("gradient");
    }
    FILE *f = fopen(argv[2], "wb");
    const int ok = f && fwrite(tr.grad, sizeof(lsnn_real), tr.n_params, f) == tr.n_params;
    if (f && fclose(f))
        return 1;
    if (!ok) {
        fprintf(stderr, "gradient: %s: cannot write\n", argv[2]);
        lsnn_trainer_free(&tr);
        return 1;
    }
    printf("%zu parameters, loss %.9g\n", tr.n_params, stats.loss);
    lsnn_trainer_free(&tr);
    return 0;
}

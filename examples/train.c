/* examples/train.c - the lsnn library at the level of experiments: what `lsnn train` does, in
 * a page.
 *
 * Loads a config (any of the files in configs/), applies KEY=VALUE overrides as `lsnn train --set`
 * does, trains, evaluates on fresh validation data and writes a checkpoint. With the same
 * config and overrides the checkpoint is byte-identical to `lsnn train`'s model.safetensors
 * (tests/cli/examples.sh checks this).
 *
 *   cc train.c $(pkg-config --cflags --libs lsnn) -o train
 *   OPENBLAS_NUM_THREADS=1 ./train configs/store_recall.json model.safetensors iterations=50
 *
 * Exit status 0 on success; errors print lsnn's message and exit 1. */
#include <stdio.h>

#include "lsnn/lsnn.h" /* the whole API; the module headers can be included one by one too */

static int fail(const char *what)
{
    fprintf(stderr, "train: %s: %s\n", what, lsnn_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: train CONFIG.json OUT.safetensors [KEY=VALUE ...]\n");
        return 2;
    }
    lsnn_config cfg;
    if (lsnn_config_load(&cfg, argv[1]))
        return fail("config");
    for (int a = 3; a < argc; a++)
        if (lsnn_config_set(&cfg, argv[a]))
            return fail("override");
    if (lsnn_config_validate(&cfg, argv[1]))
        return fail("config");

    /* The trainer builds the task (and loads its data), the network and the optimizer. */
    lsnn_trainer tr;
    if (lsnn_trainer_init(&tr, &cfg))
        return fail(argv[1]);
    int rc = 0;
    while (!rc && tr.iteration < cfg.iterations) {
        lsnn_iter_stats s;
        if (lsnn_trainer_step(&tr, &s)) {
            rc = fail("training");
            break;
        }
        if (tr.iteration % 10 == 0)
            printf("iter %ld  loss %.4f  %s %.3f  rate %.1f Hz\n", tr.iteration, s.loss,
                   tr.shape.metric, s.metric, s.rate_hz);
    }
    lsnn_eval_result ev = {0};
    if (!rc && lsnn_trainer_evaluate(&tr, LSNN_STREAM_VALID,
                                     lsnn_trainer_eval_count(&tr, LSNN_STREAM_VALID), &ev, NULL))
        rc = fail("evaluation");
    if (!rc)
        printf("validation (%ld sequences): loss %.4f  %s %.4f\n", ev.sequences, ev.loss,
               tr.shape.metric, ev.metric);
    if (!rc && lsnn_trainer_save(&tr, argv[2]))
        rc = fail(argv[2]);
    lsnn_trainer_free(&tr);
    return rc;
}

/* examples/train.c - the lsnn library at the level of experiments: what `lsnn train` does, in
 * a page.
 *
 * Loads a config (any of the files in configs/), applies KEY=VALUE overrides as `lsnn train --set`
 * does, and trains through the library's run loop (lsnn/run.h), which writes OUT_DIR/model.safetensors,
 * OUT_DIR/log.csv and OUT_DIR/result.json as `lsnn train --out OUT_DIR` does. With the same
 * config and overrides the checkpoint is byte-identical to `lsnn train`'s model.safetensors
 * (tests/cli/library.sh checks this).
 *
 *   cc train.c $(pkg-config --cflags --libs lsnn) -o train
 *   OPENBLAS_NUM_THREADS=1 ./train configs/store_recall.json runs/example iterations=50
 *
 * Exit status 0 on success; errors print lsnn's message and exit 1. */
#include <stdio.h>

#include "lsnn/lsnn.h" /* the whole API; the module headers can be included one by one too */

static int fail(const char *what)
{
    fprintf(stderr, "train: %s: %s\n", what, lsnn_last_error());
    return 1;
}

/* Called by the run loop after every iteration (its row is in log.csv by then). */
static int on_iteration(void *ctx, const lsnn_run *run, const lsnn_run_iter *it)
{
    (void)ctx;
    if (it->iteration % 10 == 0)
        printf("iter %ld  loss %.4f  %s %.3f  rate %.1f Hz\n", it->iteration, it->stats.loss,
               run->tr->shape.metric, it->stats.metric, it->stats.rate_hz);
    return 0; /* nonzero would stop the run */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: train CONFIG.json OUT_DIR [KEY=VALUE ...]\n");
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

    /* The run builds the trainer (task, network, optimizer), trains with validations and
     * checkpoints every eval_every iterations, and validates on fresh data at the end. */
    lsnn_run_opts opts = {0};
    opts.origin = argv[1];
    opts.on_iteration = on_iteration;
    lsnn_run run;
    if (lsnn_run_open(&run, &cfg, NULL, argv[2], &opts))
        return fail(argv[2]);
    int rc = 0;
    while (!rc && !lsnn_run_done(&run))
        if (lsnn_run_step(&run))
            rc = fail("training");
    if (!rc && lsnn_run_finish(&run))
        rc = fail("finish");
    if (!rc)
        printf("validation (%ld sequences): loss %.4f  %s %.4f\nresult: %s\n", run.final.sequences,
               run.final.loss, run.tr->shape.metric, run.final.metric, run.result_json);
    lsnn_run_close(&run);
    return rc;
}

/* lsnn eval and lsnn simulate: a trained model on fresh data, and its recorded dynamics. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/csv.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/run.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"

/* ------------------------------------------------------------------------------------------ */

static const char *EVAL_HELP =
    "usage: lsnn eval MODEL.safetensors [options]\n"
    "\n"
    "Re-evaluates a trained model on freshly generated validation data (the same stream that\n"
    "'lsnn train' reports at the end, so the value matches) and prints the confusion matrix\n"
    "and one line 'result: {json}'. An evaluation that runs longer than 10 s prints a progress\n"
    "line every 10 s (also during 'lsnn train', unless --quiet).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE   override a config key (e.g. store_recall.val_size=1024); keys that\n"
    "                    change tensor shapes are rejected when the model is loaded\n"
    "  --test            evaluate on the test stream instead of the validation stream\n"
    "  --threads N       OpenMP threads\n"
    "  -h, --help        this text\n";

int cmd_eval(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL;
    int err = 0, test = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(EVAL_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--test") == 0) {
            test = 1;
        } else if (a[0] == '-') {
            return die("eval: unknown option '%s' (see lsnn eval --help)", a);
        } else if (!model) {
            model = a;
        } else {
            return die("eval: unexpected argument '%s'", a);
        }
    }
    if (!model)
        return die("eval: missing MODEL.safetensors (see lsnn eval --help)");
    cli_set_threads(co.threads);
    lsnn_trainer tr;
    if (cli_load_model(model, &co, &tr))
        return 1;
    double t0 = cli_now_s();
    int n_out = tr.shape.n_out;
    long *conf = calloc((size_t)n_out * n_out, sizeof(long));
    lsnn_eval_result ev;
    uint64_t stream = test ? LSNN_STREAM_TEST : LSNN_STREAM_VALID;
    if (!conf || cli_evaluate(&tr, stream, &ev, conf, 0)) {
        free(conf);
        lsnn_trainer_free(&tr);
        return conf ? die_status() : die("eval: out of memory");
    }
    printf("%s set: %ld sequences, %ld decisions, loss %.4f, %s %.4f, rate %.1f Hz\n",
           test ? "test" : "validation", ev.sequences, ev.total, ev.loss, tr.shape.metric,
           ev.metric, ev.rate_hz);
    const int classes = strcmp(tr.shape.metric, "accuracy") == 0; /* else a regression */
    if (classes) {
        printf("confusion matrix (rows: true class, columns: predicted):\n      ");
        for (int k = 0; k < n_out; k++)
            printf(" %6d", k);
        putchar('\n');
    }
    for (int r = 0; classes && r < n_out; r++) {
        printf("  %3d ", r);
        for (int k = 0; k < n_out; k++)
            printf(" %6ld", conf[r * n_out + k]);
        putchar('\n');
    }
    char extra[128];
    snprintf(extra, sizeof extra, ",\"loss\":%.6g,\"split\":\"%s\"", ev.loss,
             test ? "test" : "validation");
    cli_print_result(tr.cfg.task, tr.shape.metric, ev.metric, tr.iteration, cli_now_s() - t0, extra);
    free(conf);
    lsnn_trainer_free(&tr);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */

static const char *SIMULATE_HELP =
    "usage: lsnn simulate MODEL.safetensors --out DIR [options]\n"
    "\n"
    "Runs the model on one validation sequence and writes, in DIR:\n"
    "  input.csv      input events (t, channel)\n"
    "  spikes.csv     spike events (t, neuron)\n"
    "  v.csv          membrane potentials, one row per step, one column per neuron\n"
    "  threshold.csv  thresholds B = b0 + beta b, same layout\n"
    "  readout.csv    readout y, one column per output\n"
    "  windows.csv    decision windows (t0, t1, label)\n"
    "\n"
    "options:\n"
    "  --index N       which validation sequence (default 0)\n"
    "  --set KEY=VALUE override a config key (e.g. store_recall.n_symbols=24)\n"
    "  -h, --help      this text\n";

int cmd_simulate(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL, *out = NULL;
    int err = 0, index = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(SIMULATE_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--index") == 0) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            if (a[2] == 'o')
                out = argv[++i];
            else if (cli_parse_int_arg("--index", argv[++i], 0, 1 << 30, &index))
                return 1;
        } else if (a[0] == '-') {
            return die("simulate: unknown option '%s' (see lsnn simulate --help)", a);
        } else if (!model) {
            model = a;
        } else {
            return die("simulate: unexpected argument '%s'", a);
        }
    }
    if (!model || !out)
        return die("simulate: need MODEL.safetensors and --out DIR (see lsnn simulate --help)");
    cli_set_threads(1);
    /* One sequence: batch size 1. */
    co.sets[co.n_sets++] = "batch_size=1";
    lsnn_trainer tr;
    if (cli_load_model(model, &co, &tr))
        return 1;
    if (!tr.model->spiking) {
        die("%s: simulate records spikes and thresholds of LSNN models; this model is a "
            "non-spiking '%s'",
            model, tr.cfg.model);
        lsnn_trainer_free(&tr);
        return 1;
    }
    int T = tr.shape.T, n = tr.net.n, n_out = tr.shape.n_out, n_in = tr.shape.n_in;
    lsnn_trace trace;
    trace.v = malloc(sizeof(lsnn_real) * (size_t)T * n);
    trace.thr = malloc(sizeof(lsnn_real) * (size_t)T * n);
    trace.z = malloc(sizeof(lsnn_real) * (size_t)T * n);
    int rc = 0;
    if (!trace.v || !trace.thr || !trace.z)
        rc = die("simulate: out of memory for %d steps x %d neurons", T, n);
    if (!rc && lsnn_trainer_prepare_forward(&tr))
        rc = die_status();
    if (!rc && tr.task->generate(tr.task_state, &tr.cfg, tr.cfg.seed, LSNN_STREAM_VALID, (uint64_t)index,
                                 &tr.batch))
        rc = die_status();
    if (!rc && lsnn_trainer_forward(&tr, &trace))
        rc = die_status();
    /* The directory is made once there is something to write into it. */
    if (!rc && cli_ensure_dir(out))
        rc = 1;
    char p[4200];
#define WRITE_OR_FAIL(call)    \
    do {                       \
        if (!rc && (call))     \
            rc = die_status(); \
    } while (0)
    snprintf(p, sizeof p, "%s/input.csv", out);
    WRITE_OR_FAIL(lsnn_csv_write_events(p, "channel", tr.batch.x, T, n_in));
    snprintf(p, sizeof p, "%s/spikes.csv", out);
    WRITE_OR_FAIL(lsnn_csv_write_events(p, "neuron", trace.z, T, n));
    snprintf(p, sizeof p, "%s/v.csv", out);
    WRITE_OR_FAIL(lsnn_csv_write_matrix(p, "v", trace.v, T, n));
    snprintf(p, sizeof p, "%s/threshold.csv", out);
    WRITE_OR_FAIL(lsnn_csv_write_matrix(p, "B", trace.thr, T, n));
    snprintf(p, sizeof p, "%s/readout.csv", out);
    WRITE_OR_FAIL(lsnn_csv_write_matrix(p, "y", tr.y, T, n_out));
    if (!rc) {
        snprintf(p, sizeof p, "%s/windows.csv", out);
        FILE *f = fopen(p, "w");
        if (!f)
            rc = die("%s: cannot write: %s", p, strerror(errno));
        else {
            fprintf(f, "t0,t1,label\n");
            for (int w = 0; w < tr.batch.n_windows[0]; w++)
                fprintf(f, "%d,%d,%d\n", tr.batch.windows[w].t0, tr.batch.windows[w].t1,
                        tr.batch.windows[w].label);
            if (fclose(f) != 0)
                rc = die("%s: write failed", p);
        }
    }
    if (!rc) {
        long spikes = 0;
        for (size_t k = 0; k < (size_t)T * n; k++)
            spikes += trace.z[k] != 0;
        printf("simulated %d steps of %d neurons: %ld spikes (%.1f Hz); traces in %s/\n", T, n,
               spikes, spikes / ((double)T * n) * 1000.0 / tr.cfg.network.dt, out);
    }
    free(trace.v);
    free(trace.thr);
    free(trace.z);
    lsnn_trainer_free(&tr);
    return rc;
}

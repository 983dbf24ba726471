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
#include "io/fs.h"
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
    "  --curve FILE.csv  tasks with the metric mse (l2l): the squared error of the k-th\n"
    "                    window (example) of a sequence, mean and standard deviation over\n"
    "                    the sequences (the learning curve within an episode), as CSV\n"
    "                    k,mse_mean,mse_std,sequences (lsnn l2l adds the baselines)\n"
    "  --threads N       OpenMP threads\n"
    "  -h, --help        this text\n";

/* Per-window squared errors of regression tasks (metric "mse"): by window index k, and each
 * sequence's mean over its windows. */
typedef struct eval_curve {
    int K;
    double *sum, *sum2;  /* (K) over sequences: squared error of window k, and its square */
    long *cnt;           /* (K) */
    double seq_sum, seq_sum2;
    long seqs;
} eval_curve;

static void eval_curve_batch(void *ctx, const lsnn_batch *b, long first, const lsnn_real *y)
{
    (void)first;
    eval_curve *ec = ctx;
    const int n_out = b->n_out;
    for (int s = 0; s < b->B; s++) {
        double seq = 0;
        long terms = 0;
        for (int k = 0; k < b->n_windows[s] && k < ec->K; k++) {
            const lsnn_window *w = &b->windows[(size_t)s * b->max_windows + k];
            const lsnn_real *tg = b->w_target + ((size_t)s * b->max_windows + k) * n_out;
            double e = 0;
            for (int o = 0; o < n_out; o++) {
                double m = 0;
                for (int t = w->t0; t < w->t1; t++)
                    m += y[((size_t)s * b->T + t) * n_out + o];
                m /= (double)(w->t1 - w->t0);
                e += (m - tg[o]) * (m - tg[o]);
            }
            e /= n_out;
            ec->sum[k] += e;
            ec->sum2[k] += e * e;
            ec->cnt[k]++;
            seq += e;
            terms++;
        }
        if (terms) {
            seq /= (double)terms;
            ec->seq_sum += seq;
            ec->seq_sum2 += seq * seq;
            ec->seqs++;
        }
    }
}

static double eval_std(double sum, double sum2, long n)
{
    if (n < 2)
        return 0;
    const double m = sum / n, v = (sum2 - n * m * m) / (double)(n - 1);
    return v > 0 ? sqrt(v) : 0;
}

/* The curve as CSV (k, mse_mean, mse_std, sequences), written to path.tmp then renamed. */
static int eval_write_curve(const char *path, const eval_curve *ec)
{
    size_t cap = 64 + (size_t)ec->K * 80, len = 0;
    char *text = malloc(cap);
    if (!text)
        return die("eval: out of memory");
    len += (size_t)snprintf(text, cap, "k,mse_mean,mse_std,sequences\n");
    for (int k = 0; k < ec->K && ec->cnt[k] > 0; k++)
        len += (size_t)snprintf(text + len, cap - len, "%d,%.9g,%.9g,%ld\n", k,
                                ec->sum[k] / ec->cnt[k],
                                eval_std(ec->sum[k], ec->sum2[k], ec->cnt[k]), ec->cnt[k]);
    lsnn_status st = lsnn__write_text_atomic(path, text);
    free(text);
    if (st)
        return die("%s", lsnn_last_error());
    printf("curve: %s\n", path);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL;
    int err = 0, test = 0;
    const char *curve_path = NULL;
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
        } else if (strcmp(a, "--curve") == 0) {
            if (i + 1 >= argc)
                return die("eval: --curve needs a FILE.csv");
            curve_path = argv[++i];
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
    const int regression = strcmp(tr.shape.metric, "mse") == 0;
    if (curve_path && !regression) {
        die("eval: --curve: task '%s' has no per-example squared error (metric %s)", tr.cfg.task,
            tr.shape.metric);
        lsnn_trainer_free(&tr);
        return 1;
    }
    eval_curve ec = {0};
    if (regression) {
        ec.K = tr.shape.max_windows > 0 ? tr.shape.max_windows : 1;
        ec.sum = calloc((size_t)ec.K, sizeof(double));
        ec.sum2 = calloc((size_t)ec.K, sizeof(double));
        ec.cnt = calloc((size_t)ec.K, sizeof(long));
        tr.eval_batch_done = eval_curve_batch;
        tr.eval_batch_ctx = &ec;
    }
    long *conf = calloc((size_t)n_out * n_out, sizeof(long));
    lsnn_eval_result ev;
    uint64_t stream = test ? LSNN_STREAM_TEST : LSNN_STREAM_VALID;
    if (!conf || (regression && (!ec.sum || !ec.sum2 || !ec.cnt)) ||
        cli_evaluate(&tr, stream, &ev, conf, 0)) {
        const int oom = !conf || (regression && (!ec.sum || !ec.sum2 || !ec.cnt));
        free(conf);
        free(ec.sum);
        free(ec.sum2);
        free(ec.cnt);
        lsnn_trainer_free(&tr);
        if (oom)
            return die("eval: out of memory");
        return conf ? die_status() : die("eval: out of memory");
    }
    char hid_txt[48] = "";
    if (ev.rate_hz_hidden >= 0)
        snprintf(hid_txt, sizeof hid_txt, " (hidden neurons %.1f Hz)", ev.rate_hz_hidden);
    printf("%s set: %ld sequences, %ld decisions, loss %.4f, %s %.4f, rate %.1f Hz%s\n",
           test ? "test" : "validation", ev.sequences, ev.total, ev.loss, tr.shape.metric,
           ev.metric, ev.rate_hz, hid_txt);
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
    int rc = 0;
    if (regression) {
        printf("mse of a sequence (mean over its examples): %.6g +- %.6g (mean +- std over %ld "
               "sequences)\n",
               ec.seqs ? ec.seq_sum / ec.seqs : 0.0, eval_std(ec.seq_sum, ec.seq_sum2, ec.seqs),
               ec.seqs);
        if (curve_path)
            rc = eval_write_curve(curve_path, &ec);
    }
    char extra[192], hidden[48] = "";
    if (ev.rate_hz_hidden >= 0)
        snprintf(hidden, sizeof hidden, ",\"rate_hz_hidden\":%.4g", ev.rate_hz_hidden);
    snprintf(extra, sizeof extra, ",\"loss\":%.6g,\"split\":\"%s\",\"rate_hz\":%.4g%s", ev.loss,
             test ? "test" : "validation", ev.rate_hz, hidden);
    if (!rc)
        cli_print_result(tr.cfg.task, tr.shape.metric, ev.metric, tr.iteration,
                         cli_now_s() - t0, extra);
    free(conf);
    free(ec.sum);
    free(ec.sum2);
    free(ec.cnt);
    lsnn_trainer_free(&tr);
    return rc;
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

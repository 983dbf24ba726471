/* lsnn - command-line tool: train | eval | simulate | bench.
 *
 * Only this file prints or exits; the library reports errors through lsnn_status and
 * lsnn_last_error(). Errors are printed as "lsnn: <context>: <what is wrong>". */
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
#include "cmd_data.h"
#include "cmd_demo.h"
#include "cmd_inspect.h"
#include "cmd_plot.h"
#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/csv.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/run.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"

#define LSNN_MAX_SETS 64

void openblas_set_num_threads(int num_threads);


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fmt_duration(double s, char *buf, size_t cap)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void set_threads(int threads)
{
    /* BLAS runs inside the OpenMP workers on one chunk each: keep it single-threaded. */
    openblas_set_num_threads(1);
    if (threads > 0)
        omp_set_num_threads(threads);
}

static int parse_int_arg(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return die("%s: expected an integer in %d..%d, got '%s'", opt, lo, hi, s);
    *out = (int)v;
    return 0;
}

static int ensure_dir(const char *dir)
{
    char buf[4096];
    if (!dir[0])
        return die("--out: the directory name is empty");
    if (strlen(dir) >= sizeof buf)
        return die("%.64s...: directory name longer than %zu characters", dir, sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", dir);
    struct stat sb;
    if (stat(buf, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return die("%s: exists and is not a directory", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return die("%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return die("%s: cannot create directory: %s", buf, strerror(errno));
    return 0;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ------------------------------------------------------------------------------------------ */

static const char *TRAIN_HELP =
    "usage: lsnn train CONFIG.json [options]\n"
    "\n"
    "Trains the network of CONFIG on its task and writes OUT/model.safetensors (weights,\n"
    "config, optimizer state), OUT/log.csv (one line per iteration) and OUT/result.json. Prints\n"
    "a progress line every log_every iterations and ends with one line 'result: {json}' (the\n"
    "same object as result.json: the validation metric after the last iteration).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE   override a config key (dotted path, e.g. network.n_adaptive=40);\n"
    "                    repeatable; every key is listed in docs/CONFIG.md\n"
    "  --out DIR         output directory (default: runs/<config name>)\n"
    "  --seed N          same as --set seed=N\n"
    "  --threads N       OpenMP threads (default: all cores); results do not depend on it\n"
    "  --resume          continue from OUT/model.safetensors up to 'iterations'\n"
    "  --quiet           no progress lines (the result line is still printed)\n"
    "  --report          at the end, write OUT/report.html (lsnn report OUT)\n"
    "  --max-memory SIZE refuse, before allocating, a config whose estimated memory exceeds\n"
    "                    SIZE (e.g. 4G, 512M; 'none': no limit; default: 80% of the\n"
    "                    physical memory)\n"
    "  -h, --help        this text\n";

typedef struct common_opts {
    const char *sets[LSNN_MAX_SETS + 1]; /* one more for an override a command adds itself */
    int n_sets;
    int threads;
} common_opts;

static int apply_sets(lsnn_config *cfg, const common_opts *co)
{
    for (int i = 0; i < co->n_sets; i++)
        if (lsnn_config_set(cfg, co->sets[i]))
            return die_status();
    return 0;
}

/* Parses an option shared by several subcommands; returns 1 if consumed (i advanced). */
static int common_option(int argc, char **argv, int *i, common_opts *co, int *err)
{
    const char *a = argv[*i];
    if (strcmp(a, "--set") == 0 || strcmp(a, "--threads") == 0) {
        if (*i + 1 >= argc) {
            *err = die("%s: missing value", a);
            return 1;
        }
        const char *v = argv[++*i];
        if (a[2] == 's') {
            if (co->n_sets == LSNN_MAX_SETS)
                *err = die("--set: at most %d overrides", LSNN_MAX_SETS);
            else
                co->sets[co->n_sets++] = v;
        } else {
            *err = parse_int_arg("--threads", v, 1, 1024, &co->threads);
        }
        return 1;
    }
    return 0;
}

/* Prints the result line of eval. */
static void print_result(const char *task, const char *metric, double value, long iterations,
                         double seconds, const char *extra)
{
    printf("result: {\"task\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"iterations\":%ld,"
           "\"seconds\":%.1f%s}\n",
           task, metric, value, iterations, seconds, extra ? extra : "");
    fflush(stdout);
}

/* Progress of a long evaluation (lsnn_trainer.eval_progress): nothing for the first 10 s, then a
 * line at most every 10 s. ctx points to the start time (now_s()). */
static void eval_progress(void *ctx, long done, long total)
{
    double *t = ctx; /* t[0]: start, t[1]: last line */
    const double now = now_s();
    if (done >= total || now - t[0] < 10 || now - t[1] < 10)
        return;
    t[1] = now;
    char eta[32];
    fmt_duration((now - t[0]) / done * (total - done), eta, sizeof eta);
    printf("  evaluating: %ld/%ld sequences (%.0f%%), ETA %s\n", done, total,
           100.0 * done / total, eta);
    fflush(stdout);
}

/* lsnn_trainer_evaluate on the whole of `stream`, with progress lines unless quiet. */
static lsnn_status evaluate(lsnn_trainer *tr, uint64_t stream, lsnn_eval_result *ev, long *conf,
                            int quiet)
{
    double t[2] = {now_s(), 0};
    tr->eval_progress = quiet ? NULL : eval_progress;
    tr->eval_progress_ctx = t;
    lsnn_status st = lsnn_trainer_evaluate(tr, stream, lsnn_trainer_eval_count(tr, stream), ev,
                                           conf);
    tr->eval_progress = NULL;
    tr->eval_progress_ctx = NULL;
    return st;
}

/* Resuming with a config that differs from the checkpoint's (other than in the run length,
 * logging and the memory for BPTT's records, which leaves results alone): each changed key is
 * named, since the continuation then differs from the run that
 * was interrupted. */
static void note_config_changes(const char *model_path, const lsnn_config *cfg)
{
    lsnn_config old;
    if (lsnn_checkpoint_read_config(model_path, &old))
        return;
    char *a = lsnn_config_to_json(&old), *b = lsnn_config_to_json(cfg);
    cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
    for (const cJSON *sa = ja ? ja->child : NULL; sa; sa = sa->next) {
        const cJSON *sb = cJSON_GetObjectItemCaseSensitive(jb, sa->string);
        const int section = cJSON_IsObject(sa);
        for (const cJSON *ka = section ? sa->child : sa; ka; ka = section ? ka->next : NULL) {
            const cJSON *kb = section ? cJSON_GetObjectItemCaseSensitive(sb, ka->string) : sb;
            const char *k = ka->string;
            if (!section && (!strcmp(k, "iterations") || !strcmp(k, "log_every") ||
                             !strcmp(k, "eval_every") || !strcmp(k, "bptt_records_mb")))
                continue;
            if (!kb || !cJSON_Compare(ka, kb, 1)) {
                char *vb = kb ? cJSON_PrintUnformatted(kb) : NULL;
                printf("note: %s%s%s differs from the checkpoint's config (now %s)\n",
                       section ? sa->string : "", section ? "." : "", ka->string,
                       vb ? vb : "absent");
                free(vb);
            }
        }
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(a);
    free(b);
}

/* What cmd_train's callbacks need. */
typedef struct train_ui {
    int quiet, argc, failed; /* failed: a callback printed its error */
    char **argv;
    double ema_loss, ema_acc, eval_t[2];
} train_ui;

/* lsnn_run's on_start: what the run is, and command.txt. */
static int train_on_start(void *ctx, const lsnn_run *run)
{
    train_ui *ui = ctx;
    const lsnn_trainer *tr = run->tr;
    const lsnn_config *cfg = &tr->cfg;
    if (!ui->quiet && run->opts.resume) {
        printf("resuming %s at iteration %ld\n", run->model_path, tr->iteration);
        note_config_changes(run->model_path, cfg);
    }
    if (!ui->quiet && run->replaced_earlier)
        printf("%s held an earlier run: its model and results are replaced (--resume continues "
               "a run instead)\n",
               run->dir);
    if (lsnn_write_command_txt(run->dir, "train", ui->argc, ui->argv, run->opts.resume)) {
        ui->failed = 1;
        return 1;
    }
    if (ui->quiet)
        return 0;
    printf("task %s: %d inputs, %d outputs, %d steps per sequence\n", cfg->task, tr->shape.n_in,
           tr->shape.n_out, tr->shape.T);
    if (tr->is_ann)
        printf("network: %s with %d units, %zu parameters; batch %d, %d thread%s\n", cfg->model,
               cfg->network.n_hidden, lsnn_trainer_count_params(tr, 0), cfg->batch_size,
               omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s");
    else
        printf("network: %d regular + %d adaptive neurons%s, %zu parameters (%zu active: "
               "no self-connections, masks applied); "
               "batch %d, %d thread%s\n",
               cfg->network.n_regular, cfg->network.n_adaptive,
               cfg->network.bidirectional ? " in each of two directions (bidirectional)"
               : cfg->network.layers > 1  ? " per layer"
                                          : "",
               lsnn_trainer_count_params(tr, 0), lsnn_trainer_count_params(tr, 1),
               cfg->batch_size, omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s");
    if (!tr->is_ann && !tr->use_eprop && tr->sim) {
        const double mb = lsnn_sim_records_bytes(tr->sim) / 1e6;
        if (lsnn_sim_has_records(tr->sim))
            printf("bptt: records of the forward pass, %.1f MB (bptt_records_mb = %d)\n", mb,
                   cfg->bptt_records_mb);
        else if (mb > cfg->bptt_records_mb)
            printf("bptt: the backward pass re-simulates each segment (records would take "
                   "%.1f MB, bptt_records_mb = %d)\n",
                   mb, cfg->bptt_records_mb);
        else
            printf("bptt: the backward pass re-simulates each segment (neuron model %s has "
                   "no replay)\n",
                   cfg->network.neuron);
    }
    if (run->opts.resume && run->log_rows_kept < tr->iteration)
        printf("note: %s kept rows for %ld of the checkpoint's %ld iterations (the others were "
               "lost with the earlier log)\n",
               run->log_path, run->log_rows_kept, tr->iteration);
    fflush(stdout);
    return 0;
}

/* lsnn_run's on_iteration: the progress line every log_every iterations and at validations. */
static int train_on_iteration(void *ctx, const lsnn_run *run, const lsnn_run_iter *it)
{
    train_ui *ui = ctx;
    const lsnn_config *cfg = &run->tr->cfg;
    const lsnn_iter_stats *s = &it->stats;
    ui->ema_loss = isnan(ui->ema_loss) ? s->loss : 0.9 * ui->ema_loss + 0.1 * s->loss;
    ui->ema_acc = isnan(ui->ema_acc) ? s->metric : 0.9 * ui->ema_acc + 0.1 * s->metric;
    const long i = it->iteration;
    if (ui->quiet || !(i % cfg->log_every == 0 || it->validated || i == cfg->iterations))
        return 0;
    double ips = (i - run->start_iteration) / it->seconds;
    char eta[32];
    fmt_duration((cfg->iterations - i) / ips, eta, sizeof eta);
    printf("iter %6ld/%d  loss %.4f  acc %.3f  rate %5.1f Hz  %.2f it/s  ETA %s", i,
           cfg->iterations, ui->ema_loss, ui->ema_acc, s->rate_hz, ips, eta);
    if (it->validated)
        printf("  | val loss %.4f  val acc %.3f", it->val.loss, it->val.metric);
    putchar('\n');
    fflush(stdout);
    return 0;
}

/* lsnn_run's on_eval_progress: eval_progress with the start time of each validation. */
static void train_on_eval_progress(void *ctx, long done, long total)
{
    train_ui *ui = ctx;
    if (done == 0) { /* a validation starts */
        ui->eval_t[0] = now_s();
        ui->eval_t[1] = 0;
    } else if (!ui->quiet) {
        eval_progress(ui->eval_t, done, total);
    }
}

/* "4G", "512M", "2048K", "1000000" (bytes), "none" (no limit) -> bytes. */
static int parse_memory_arg(const char *s, size_t *out)
{
    if (strcmp(s, "none") == 0) {
        *out = SIZE_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 1;
    if (end != s && (*end == 'K' || *end == 'k'))
        mult = 1024.0, end++;
    else if (end != s && (*end == 'M' || *end == 'm'))
        mult = 1024.0 * 1024, end++;
    else if (end != s && (*end == 'G' || *end == 'g'))
        mult = 1024.0 * 1024 * 1024, end++;
    else if (end != s && (*end == 'T' || *end == 't'))
        mult = 1024.0 * 1024 * 1024 * 1024, end++;
    if (errno || end == s || *end || !(v > 0) || v * mult >= 1.8e19)
        return die("--max-memory: expected a size such as 4G, 512M or none, got '%s'", s);
    *out = (size_t)(v * mult);
    return 0;
}

static int cmd_train(int argc, char **argv)
{
    common_opts co = {0};
    const char *config_path = NULL, *out = NULL, *seed = NULL;
    int resume = 0, quiet = 0, report = 0, err = 0;
    size_t max_memory = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(TRAIN_HELP, stdout);
            return 0;
        } else if (common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--seed") == 0 ||
                   strcmp(a, "--max-memory") == 0) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            if (a[2] == 'o')
                out = argv[++i];
            else if (a[2] == 's')
                seed = argv[++i];
            else if (parse_memory_arg(argv[++i], &max_memory))
                return 1;
        } else if (strcmp(a, "--resume") == 0) {
            resume = 1;
        } else if (strcmp(a, "--report") == 0) {
            report = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            return die("train: unknown option '%s' (see lsnn train --help)", a);
        } else if (!config_path) {
            config_path = a;
        } else {
            return die("train: unexpected argument '%s'", a);
        }
    }
    if (!config_path)
        return die("train: missing CONFIG.json (see lsnn train --help)");
    lsnn_config cfg;
    if (lsnn_config_load(&cfg, config_path))
        return die_status();
    if (apply_sets(&cfg, &co))
        return 1;
    if (seed) {
        char buf[128];
        snprintf(buf, sizeof buf, "seed=%s", seed);
        if (lsnn_config_set(&cfg, buf))
            return die("--seed: expected a whole number from 0 to 18446744073709551615, got '%s'",
                       seed);
    }
    if (lsnn_config_validate(&cfg, config_path))
        return die_status();
    char outbuf[4096];
    if (!out) {
        const char *base = strrchr(config_path, '/');
        base = base ? base + 1 : config_path;
        snprintf(outbuf, sizeof outbuf, "runs/%.*s", (int)strcspn(base, "."), base);
        out = outbuf;
    }
    if (!out[0])
        return die("--out: the directory name is empty");
    if (strlen(out) >= 4096)
        return die("%.64s...: directory name longer than 4095 characters", out);
    set_threads(co.threads);

    /* The run (lsnn/run.h) builds the trainer, loads the checkpoint when resuming, and touches
     * the directory only then; it keeps the cadence, log.csv, the checkpoints and result.json.
     * This command prints. */
    const char *clear[LSNN_REPORT_NFILES + 1];
    for (int k = 0; k < LSNN_REPORT_NFILES; k++)
        clear[k] = lsnn_report_files[k];
    clear[LSNN_REPORT_NFILES] = NULL;
    train_ui ui = {.quiet = quiet, .argc = argc, .argv = argv, .ema_loss = NAN, .ema_acc = NAN};
    lsnn_run_opts ro = {.resume = resume,
                        .origin = config_path,
                        .max_memory = max_memory,
                        .clear_files = clear,
                        .ctx = &ui,
                        .on_start = train_on_start,
                        .on_iteration = train_on_iteration,
                        .on_eval_progress = train_on_eval_progress};
    lsnn_run run;
    if (lsnn_run_open(&run, &cfg, NULL, out, &ro))
        return ui.failed ? 1 : die_status();
    int rc = 0;
    while (!rc && !lsnn_run_done(&run))
        if (lsnn_run_step(&run))
            rc = ui.failed ? 1 : die_status();
    if (!rc && lsnn_run_finish(&run))
        rc = die_status();
    if (!rc) {
        const lsnn_eval_result *ev = &run.final;
        if (!quiet)
            printf("validation (%ld fresh sequences): loss %.4f  accuracy %.4f  rate %.1f Hz\n"
                   "model: %s\n",
                   ev->sequences, ev->loss, ev->metric, ev->rate_hz, run.model_path);
        printf("result: %s\n", run.result_json);
        fflush(stdout);
    }
    lsnn_run_close(&run);
    if (!rc && report)
        rc = lsnn_report_write(out);
    return rc;
}

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

static int load_model(const char *path, const common_opts *co, lsnn_trainer *tr)
{
    lsnn_config cfg;
    if (lsnn_checkpoint_read_config(path, &cfg))
        return die_status();
    if (apply_sets(&cfg, co))
        return 1;
    if (lsnn_trainer_init(tr, &cfg))
        return die("%s: %s", path, lsnn_last_error());
    if (lsnn_trainer_load(tr, path, 0)) {
        lsnn_trainer_free(tr);
        return die_status();
    }
    return 0;
}

static int cmd_eval(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL;
    int err = 0, test = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(EVAL_HELP, stdout);
            return 0;
        } else if (common_option(argc, argv, &i, &co, &err)) {
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
    set_threads(co.threads);
    lsnn_trainer tr;
    if (load_model(model, &co, &tr))
        return 1;
    double t0 = now_s();
    int n_out = tr.shape.n_out;
    long *conf = calloc((size_t)n_out * n_out, sizeof(long));
    lsnn_eval_result ev;
    uint64_t stream = test ? LSNN_STREAM_TEST : LSNN_STREAM_VALID;
    if (!conf || evaluate(&tr, stream, &ev, conf, 0)) {
        free(conf);
        lsnn_trainer_free(&tr);
        return conf ? die_status() : die("eval: out of memory");
    }
    printf("%s set: %ld sequences, %ld decisions, loss %.4f, accuracy %.4f, rate %.1f Hz\n",
           test ? "test" : "validation", ev.sequences, ev.total, ev.loss, ev.metric, ev.rate_hz);
    printf("confusion matrix (rows: true class, columns: predicted):\n      ");
    for (int k = 0; k < n_out; k++)
        printf(" %6d", k);
    putchar('\n');
    for (int r = 0; r < n_out; r++) {
        printf("  %3d ", r);
        for (int k = 0; k < n_out; k++)
            printf(" %6ld", conf[r * n_out + k]);
        putchar('\n');
    }
    char extra[128];
    snprintf(extra, sizeof extra, ",\"loss\":%.6g,\"split\":\"%s\"", ev.loss,
             test ? "test" : "validation");
    print_result(tr.cfg.task, tr.shape.metric, ev.metric, tr.iteration, now_s() - t0, extra);
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

static int cmd_simulate(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL, *out = NULL;
    int err = 0, index = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(SIMULATE_HELP, stdout);
            return 0;
        } else if (common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--index") == 0) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            if (a[2] == 'o')
                out = argv[++i];
            else if (parse_int_arg("--index", argv[++i], 0, 1 << 30, &index))
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
    set_threads(1);
    /* One sequence: batch size 1. */
    co.sets[co.n_sets++] = "batch_size=1";
    lsnn_trainer tr;
    if (load_model(model, &co, &tr))
        return 1;
    if (tr.is_ann) {
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
    if (!rc && ensure_dir(out))
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

/* ------------------------------------------------------------------------------------------ */

static const char *BENCH_HELP =
    "usage: lsnn bench [options]\n"
    "\n"
    "Times the forward pass and a full training iteration of the library (lsnn_trainer_step:\n"
    "the batch, forward + BPTT + Adam, then the DEEP R step when deepr.enabled, and\n"
    "lsnn_net_apply_masks) of the sequential-MNIST LSNN of seed 000 (80 inputs, 100 ALIF + 120\n"
    "LIF, 10 outputs, T = 784, fully connected) on random input spikes (task random,\n"
    "docs/CONFIG.md; lr 1e-6, so that the network stays as initialised), and prints seconds\n"
    "per iteration (median), neuron-steps/s, synaptic events/s (every existing synapse,\n"
    "projections and readout, that a spike of the forward pass reaches) and the peak resident\n"
    "memory. A masked network's synapse counts are printed first.\n"
    "The cost of event-driven propagation grows with the firing rate, which is printed: a fresh\n"
    "network with the default w0 = 1 fires at about 280 Hz; --set network.w0=0.3 gives about\n"
    "30 Hz, the regime of trained networks (docs/PERFORMANCE.md reports both).\n"
    "With --set learning=eprop the training iteration is an e-prop pass (its own forward pass,\n"
    "eligibility traces and gradients) + Adam instead of forward + BPTT + Adam.\n"
    "A sparse network (--set network.connectivity=0.12 --set network.init=signed, e.g. with\n"
    "--set deepr.enabled=true) is timed on the dense and on the sparse kernels (lsnn/sparse.h),\n"
    "their iterations interleaved so that both see the same machine load, and the speed-up of\n"
    "the sparse kernels is printed.\n"
    "BPTT keeps records of the forward pass as training does (bptt_records_mb, 256 MB by\n"
    "default; they count in the peak memory); --set bptt_records_mb=0 times the backward pass\n"
    "that re-simulates each segment instead.\n"
    "\n"
    "options:\n"
    "  --batch LIST      batch sizes, comma-separated (default 32,256)\n"
    "  --steps T         sequence length (default 784)\n"
    "  --input-rate P    probability that an input channel spikes in a step (default 0.05)\n"
    "  --repeat N        timed repetitions, the median is reported (default 3)\n"
    "  --kernels K       sparse networks: both (default), dense, sparse or auto (the choice\n"
    "                    training makes: sparse below a density of 0.2, lsnn/sparse.h)\n"
    "  --threads N       OpenMP threads (default: all cores)\n"
    "  --set KEY=VALUE   override a config key (e.g. network.n_adaptive=350, deepr.enabled=true)\n"
    "  -h, --help        this text\n";

/* Existing synapses leaving source i of projection pr (the dense fan-out minus the diagonal when
 * the projection has no mask). */
static int bench_out_degree(const lsnn_projection *pr, int i)
{
    if (pr->mask) {
        int d = 0;
        for (int j = 0; j < pr->n_dst; j++)
            d += pr->mask[(size_t)i * pr->n_dst + j] != 0;
        return d;
    }
    const int self = pr->src_off + i - pr->dst_off;
    return pr->n_dst - (pr->no_self && !pr->src_is_input && self >= 0 && self < pr->n_dst);
}

/* Synaptic events of one forward pass: every existing synapse (projections and readout) that a
 * spike reaches, from the spike counts of the neurons (count) and of the input channels
 * (in_count). */
static double bench_events(const lsnn_net *net, const double *count, const double *in_count)
{
    double ev = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        const double *c = pr->src_is_input ? in_count : count;
        for (int i = 0; i < pr->n_src; i++)
            if (c[pr->src_off + i] != 0)
                ev += c[pr->src_off + i] * bench_out_degree(pr, i);
    }
    for (int j = 0; j < net->n; j++) {
        int d = net->n_out;
        if (net->w_out_mask) {
            d = 0;
            for (int k = 0; k < net->n_out; k++)
                d += net->w_out_mask[(size_t)j * net->n_out + k] != 0;
        }
        ev += count[j] * d;
    }
    return ev;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One kernel choice of the benchmark: a trainer of the benchmark's config and its timings. */
typedef struct bench_path {
    lsnn_trainer tr;
    int ok;
    double *tf, *tt; /* (repeat) seconds of the forward pass and of the training iteration */
} bench_path;

/* One timed repetition of path P: the forward pass on the batch of its next iteration, then
 * that iteration (lsnn_trainer_step: data, forward, loss, backward, clipping, optimizer, DEEP R
 * step, masks). r < 0: the warm-up, not recorded. */
static lsnn_status bench_once(bench_path *P, int r)
{
    lsnn_trainer *tr = &P->tr;
    const uint64_t first = (uint64_t)tr->iteration * (uint64_t)tr->cfg.batch_size;
    lsnn_status st = tr->task->generate(tr->task_state, &tr->cfg, tr->cfg.seed, LSNN_STREAM_TRAIN,
                                        first, &tr->batch);
    if (st)
        return st;
    const double t0 = now_s();
    if ((st = lsnn_trainer_forward(tr, NULL)))
        return st;
    const double t1 = now_s();
    if ((st = lsnn_trainer_step(tr, NULL)))
        return st;
    const double t2 = now_s();
    if (r >= 0) {
        P->tf[r] = t1 - t0;
        P->tt[r] = t2 - t1;
    }
    return LSNN_OK;
}

/* The result line of path P after its repetitions (medians), from the spike counts of its last
 * iteration and the input spikes of that iteration's batch. Returns the medians. */
static void bench_report(bench_path *P, int B, int repeat, double *med_f, double *med_t)
{
    const lsnn_trainer *tr = &P->tr;
    const lsnn_net *net = &tr->net;
    qsort(P->tf, repeat, sizeof(double), cmp_double);
    qsort(P->tt, repeat, sizeof(double), cmp_double);
    const double f = *med_f = P->tf[repeat / 2], t = *med_t = P->tt[repeat / 2];
    const int n_in = tr->batch.n_in, T = tr->batch.T;
    double *in_count = calloc((size_t)n_in, sizeof(double));
    double spikes = 0, events = NAN;
    for (int j = 0; j < net->n; j++)
        spikes += tr->count[j];
    if (in_count) {
        for (size_t k = 0; k < (size_t)B * T * n_in; k++)
            in_count[k % n_in] += tr->batch.x[k] != 0;
        events = bench_events(net, tr->count, in_count);
    }
    free(in_count);
    const double nsteps = (double)B * T * net->n;
    int sparse = 0;
    for (int p = 0; p < net->n_proj; p++)
        sparse |= net->proj[p].sparse.use;
    printf("%6d %8s %12.4f %12.4f %14.3e %14.3e %12.1f %10.1f\n", B, sparse ? "sparse" : "dense",
           f, t, nsteps / f, events / f, spikes / nsteps * 1000.0 / net->dt,
           peak_rss_kb() / 1024.0);
}

/* The synapses of a masked network, once (DEEP R keeps their total). */
static void bench_synapses(const lsnn_net *net)
{
    size_t syn = 0;
    for (int p = 0; p < net->n_proj; p++) {
        size_t np = 0;
        for (int i = 0; i < net->proj[p].n_src; i++)
            np += bench_out_degree(&net->proj[p], i);
        printf("%s %s %zu", p ? "," : "synapses:", net->proj[p].name, np);
        syn += np;
    }
    size_t no = (size_t)net->n * net->n_out;
    if (net->w_out_mask) {
        no = 0;
        for (size_t k = 0; k < (size_t)net->n * net->n_out; k++)
            no += net->w_out_mask[k] != 0;
    }
    printf(", w_out %zu; %zu in all\n", no, syn + no);
}

/* Times batch size B on n_paths kernel choices; *header: the table header is printed. */
static int bench_batch(lsnn_config *cfg, int B, int repeat, int n_paths,
                       const lsnn_sparse_mode *modes, int masked, int *header)
{
    cfg->batch_size = B;
    if (lsnn_config_check_memory(cfg, 0, NULL))
        return die("bench: --batch %d: %s", B, lsnn_last_error());
    /* One trainer per kernel choice, all from the same config (same initialisation, same
     * batches). */
    bench_path path[2];
    memset(path, 0, sizeof path);
    lsnn_status st = LSNN_OK;
    for (int k = 0; k < n_paths && !st; k++) {
        bench_path *P = &path[k];
        if ((st = lsnn_trainer_init(&P->tr, cfg)))
            break;
        P->ok = 1;
        lsnn_net_set_sparse(&P->tr.net, modes[k]);
        if ((st = lsnn_trainer_prepare_forward(&P->tr))) /* e-prop: the forward workspace */
            break;
        P->tf = malloc(sizeof(double) * repeat);
        P->tt = malloc(sizeof(double) * repeat);
        if (!P->tf || !P->tt)
            st = lsnn_error(LSNN_ERR_NOMEM, "bench: out of memory");
    }
    int rc = st ? die_status() : 0;
    if (!rc && !*header && masked)
        bench_synapses(&path[0].tr.net);
    if (!rc && !*header)
        printf("%6s %8s %12s %12s %14s %14s %12s %10s\n", "batch", "kernels", "fwd s/it",
               "train s/it", "neuron-steps/s", "syn-events/s", "rate Hz", "peak MB");
    *header |= !rc;
    /* One untimed warm-up iteration, then the timed ones; the kernel choices take turns within
     * each repetition, so that both see the same load of a shared machine. */
    for (int r = -1; r < repeat && !rc; r++)
        for (int k = 0; k < n_paths && !rc; k++)
            if (bench_once(&path[k], r))
                rc = die_status();
    double med_f[2] = {0, 0}, med_t[2] = {0, 0};
    for (int k = 0; k < n_paths && !rc; k++)
        bench_report(&path[k], B, repeat, &med_f[k], &med_t[k]);
    if (n_paths == 2 && !rc)
        printf("%6d speed-up of the sparse kernels: forward %.2fx, training %.2fx\n", B,
               med_f[0] / med_f[1], med_t[0] / med_t[1]);
    fflush(stdout);
    for (int k = 0; k < 2; k++) {
        free(path[k].tf);
        free(path[k].tt);
        if (path[k].ok)
            lsnn_trainer_free(&path[k].tr);
    }
    return rc;
}

static int cmd_bench(int argc, char **argv)
{
    common_opts co = {0};
    const char *batches = "32,256", *kernels = "both";
    int T = 784, repeat = 3, err = 0;
    double input_rate = 0.05;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(BENCH_HELP, stdout);
            return 0;
        } else if (common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (i + 1 < argc && strcmp(a, "--batch") == 0) {
            batches = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--steps") == 0) {
            if (parse_int_arg(a, argv[++i], 1, 1000000, &T))
                return 1;
        } else if (i + 1 < argc && strcmp(a, "--repeat") == 0) {
            if (parse_int_arg(a, argv[++i], 1, 1000, &repeat))
                return 1;
        } else if (i + 1 < argc && strcmp(a, "--kernels") == 0) {
            kernels = argv[++i];
            if (strcmp(kernels, "both") && strcmp(kernels, "dense") && strcmp(kernels, "sparse") &&
                strcmp(kernels, "auto"))
                return die("--kernels: expected both, dense, sparse or auto, got '%s'", kernels);
        } else if (i + 1 < argc && strcmp(a, "--input-rate") == 0) {
            char *end;
            input_rate = strtod(argv[++i], &end);
            if (*end || !(input_rate >= 0 && input_rate <= 1))
                return die("--input-rate: expected a probability in [0, 1], got '%s'", argv[i]);
        } else {
            return die("bench: unknown or incomplete option '%s' (see lsnn bench --help)", a);
        }
    }
    set_threads(co.threads);
    /* The benchmark's config: the LSNN of seed 000's sMNIST (80 inputs, 120 LIF + 100 ALIF,
     * 10 outputs) on task "random" (independent input spikes), trained with a learning rate so
     * small that the network, and its firing rate, stay as initialised over the repetitions. */
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.task, sizeof cfg.task, "random");
    cfg.network.n_regular = 120;
    cfg.network.n_adaptive = 100;
    cfg.network.tau_a = 700;
    cfg.network.refractory = 0;
    cfg.lr = 1e-6;
    cfg.random.steps = T;
    cfg.random.input_rate = input_rate;
    if (apply_sets(&cfg, &co))
        return 1;
    if (lsnn_config_validate(&cfg, "bench"))
        return die_status();
    if (strcmp(cfg.model, "lsnn") != 0)
        return die("bench: --set model=%s: bench times the spiking network only (model lsnn)",
                   cfg.model);
    if (strcmp(cfg.task, "random") != 0)
        return die("bench: --set task=%s: bench runs on random input spikes, not on a task's data",
                   cfg.task);
    if (strspn(batches, ", ") == strlen(batches))
        return die("--batch: expected batch sizes separated by commas, got '%s'", batches);
    const int eprop = strcmp(cfg.learning, "eprop") == 0;
    /* The kernels to time: a dense network has only the dense ones. */
    const int masked = cfg.network.connectivity < 1;
    int n_paths = 1;
    lsnn_sparse_mode modes[2] = {LSNN_SPARSE_OFF, LSNN_SPARSE_ON};
    if (masked && strcmp(kernels, "both") == 0)
        n_paths = 2;
    else if (masked && strcmp(kernels, "sparse") == 0)
        modes[0] = LSNN_SPARSE_ON;
    else if (strcmp(kernels, "auto") == 0)
        modes[0] = LSNN_SPARSE_AUTO;
    printf("lsnn bench: %d inputs (spike probability %.3f per step), %d LIF + %d ALIF, %d outputs,"
           " T = %d, %d thread%s, %s, connectivity %g%s, %s\n",
           cfg.random.inputs, cfg.random.input_rate, cfg.network.n_regular,
           cfg.network.n_adaptive, cfg.random.outputs, cfg.random.steps, omp_get_max_threads(),
           omp_get_max_threads() == 1 ? "" : "s", LSNN_REAL_IS_DOUBLE ? "float64" : "float32",
           cfg.network.connectivity, cfg.deepr.enabled ? ", DEEP R" : "",
           eprop ? "e-prop" : "BPTT");
    int header = 0, rc = 0;
    char *list = strdup(batches);
    for (char *tok = strtok(list, ","); tok && !rc; tok = strtok(NULL, ",")) {
        int B;
        rc = parse_int_arg("--batch", tok, 1, 65536, &B);
        if (!rc)
            rc = bench_batch(&cfg, B, repeat, n_paths, modes, masked, &header);
    }
    free(list);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */

static const char *MAIN_HELP =
    "usage: lsnn COMMAND [options]   (lsnn COMMAND --help for details)\n"
    "\n"
    "Simulate and train recurrent spiking networks of adapting neurons (LSNNs).\n"
    "\n"
    "commands:\n"
    "  train CONFIG.json      train a network (writes model.safetensors and log.csv)\n"
    "  eval MODEL             evaluate a trained model on fresh validation data\n"
    "  simulate MODEL         run one sequence and write spikes, potentials, thresholds as CSV\n"
    "  bench                  time the sequential-MNIST-size network (forward and training)\n"
    "  data mnist|fashion DIR fetch and verify MNIST / Fashion-MNIST\n"
    "  inspect MODEL          connectivity between subpopulations, parameter counts, signs\n"
    "  plot KIND ...          draw dynamics, learning curves or connectivity (PNG/SVG/PDF)\n"
    "  report RUN_DIR         write RUN_DIR/report.html: config, metrics, figures\n"
    "  demo synapse ...       single-synapse e-prop traces (ALIF, STDP-ALIF, Izhikevich) as CSV\n"
    "  help                   this text\n"
    "\n"
    "Configs: configs/*.json; every key is documented in docs/CONFIG.md.\n";

int main(int argc, char **argv)
{
    /* OpenBLAS starts its own thread pool when it is loaded, and its idle workers spin on
     * sched_yield, stealing the cores our OpenMP workers need. lsnn calls BLAS from inside its
     * OpenMP workers, one small product per chunk, so BLAS must be single-threaded: the only
     * reliable way is the environment variable, which must be set before the library loads. */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        /* exec failed (no /proc): carry on with openblas_set_num_threads(1) only. */
    }
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(MAIN_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("lsnn 0.1.0\n");
        return 0;
    }
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(cmd, "simulate") == 0)
        return cmd_simulate(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "data") == 0)
        return lsnn_cmd_data(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0)
        return lsnn_cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "plot") == 0)
        return lsnn_cmd_plot(argc - 2, argv + 2);
    if (strcmp(cmd, "demo") == 0)
        return lsnn_cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return lsnn_cmd_report(argc - 2, argv + 2);
    return die("unknown command '%s' (see lsnn help)", cmd);
}

/* lsnn train: options and progress lines around the library's run loop (lsnn_run). */
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
#include "lsnn/alstm_run.h"
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
    int writer;              /* rank 0 of mpirun, or the only process: writes command.txt */
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
    if (ui->writer &&
        lsnn_write_command_txt(run->dir, "train", ui->argc, ui->argv, run->opts.resume)) {
        ui->failed = 1;
        return 1;
    }
    if (ui->quiet)
        return 0;
    printf("task %s: %d inputs, %d outputs, %d steps per sequence\n", cfg->task, tr->shape.n_in,
           tr->shape.n_out, tr->shape.T);
    if (!tr->model->spiking)
        printf("network: %s with %d units, %zu parameters; batch %d, %d thread%s\n", cfg->model,
               cfg->network.n_hidden, lsnn_trainer_count_params(tr, 0), cfg->batch_size,
               omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s");
    else if (cfg->network.populations[0]) {
        printf("network: %d neurons in %d populations (", tr->net.n, tr->net.n_pop);
        for (int p = 0; p < tr->net.n_pop; p++)
            printf("%s%s %d %s", p ? ", " : "", tr->net.pop[p].name, tr->net.pop[p].count,
                   tr->net.pop[p].model->name);
        printf("), %zu parameters (%zu active); batch %d, %d thread%s\n",
               lsnn_trainer_count_params(tr, 0), lsnn_trainer_count_params(tr, 1),
               cfg->batch_size, omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s");
    } else
        printf("network: %d regular + %d adaptive neurons%s, %zu parameters (%zu active: "
               "no self-connections, masks applied); "
               "batch %d, %d thread%s\n",
               cfg->network.n_regular, cfg->network.n_adaptive,
               cfg->network.bidirectional ? " in each of two directions (bidirectional)"
               : cfg->network.layers > 1  ? " per layer"
                                          : "",
               lsnn_trainer_count_params(tr, 0), lsnn_trainer_count_params(tr, 1),
               cfg->batch_size, omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s");
    if (cli_mpi_size() > 1)
        printf("mpirun: %d processes share each batch's %d chunks of %d sequences\n",
               cli_mpi_size(), (cfg->batch_size + tr->dist_ch - 1) / tr->dist_ch, tr->dist_ch);
    if (tr->model->spiking && tr->learner->backward && tr->sim) {
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
    cli_fmt_duration((cfg->iterations - i) / ips, eta, sizeof eta);
    /* the task's metric: "acc" (accuracy) or its own name (e.g. "mse") */
    const char *metric = run->tr->shape.metric;
    const char *mn = strcmp(metric, "accuracy") == 0 ? "acc" : metric;
    printf("iter %6ld/%d  loss %.4f  %s %.3f  rate %5.1f Hz  %.2f it/s  ETA %s", i,
           cfg->iterations, ui->ema_loss, mn, ui->ema_acc, s->rate_hz, ips, eta);
    if (it->validated)
        printf("  | val loss %.4f  val %s %.3f", it->val.loss, mn, it->val.metric);
    putchar('\n');
    fflush(stdout);
    return 0;
}

/* lsnn_run's on_eval_progress: eval_progress with the start time of each validation. */
static void train_on_eval_progress(void *ctx, long done, long total)
{
    train_ui *ui = ctx;
    if (done == 0) { /* a validation starts */
        ui->eval_t[0] = cli_now_s();
        ui->eval_t[1] = 0;
    } else if (!ui->quiet) {
        cli_eval_progress(ui->eval_t, done, total);
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

typedef struct alstm_ui {
    int quiet, tmaze;
    double t0;
} alstm_ui;

static void alstm_progress(void *ctx, long it, double moving, int cells_on)
{
    const alstm_ui *u = ctx;
    if (u->quiet)
        return;
    if (it % 1000 == 0)
        fprintf(stderr, "%s %8ld  %s %.4f%s  (%.0f s)\n", u->tmaze ? "episode" : "trial", it,
                u->tmaze ? "mean return" : "mean error", moving,
                cells_on ? "" : "  (cells not yet inserted)", cli_now_s() - u->t0);
}

/* `lsnn train` of model "alstm": seed 002's adaptive LSTM, trained online, converted to
 * spikes and tested (lsnn/alstm_run.h). */
static int train_alstm(const lsnn_config *cfg, const char *config_path, const char *out,
                       int quiet)
{
    alstm_ui u = {quiet, strcmp(cfg->alstm.task, "tmaze") == 0, cli_now_s()};
    if (!quiet)
        fprintf(stderr, "alstm: %s%s, %d hidden units, %d cells, budget %d %s, seed %llu\n",
                cfg->alstm.task, cfg->alstm.noisy ? " (noisy)" : "", cfg->alstm.n_hidden,
                cfg->alstm.n_cells, cfg->alstm.budget, u.tmaze ? "steps" : "trials",
                (unsigned long long)cfg->seed);
    lsnn_alstm_run_result r;
    if (lsnn_alstm_run(cfg, out, alstm_progress, &u, &r)) {
        lsnn_error_prefix(config_path);
        return die_status();
    }
    printf("analog: %s after %ld %s (moving %s %.4f)", r.converged ? "converged" : "not converged",
           r.iterations, u.tmaze ? "steps" : "trials", u.tmaze ? "return" : "error", r.moving);
    if (r.inserted_at >= 0)
        printf(", cells inserted at trial %ld", r.inserted_at);
    printf("\n");
    if (r.spiking_tested)
        printf("spiking: %s (%s %.4f; analog %.4f), %.0f spikes per %s, %.1f Hz over %.0f ASNs\n",
               r.spiking_pass ? "solves the task" : "fails",
               u.tmaze ? "mean return" : "worst error",
               r.spiking_score, r.analog_score, r.spikes, u.tmaze ? "episode" : "sequence",
               r.rate_hz, r.counted_asns);
    else
        printf("spiking: not tested (the analog network did not converge)\n");
    printf("result: {\"task\":\"alstm_%s%s\",\"converged\":%d,\"iterations\":%ld,"
           "\"spiking_pass\":%d,\"seconds\":%.1f,\"out\":\"%s\"}\n",
           cfg->alstm.task, cfg->alstm.noisy ? "_noisy" : "", r.converged, r.iterations,
           r.spiking_pass, r.seconds, out);
    return 0;
}

int cmd_train(int argc, char **argv)
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
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
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
    if (cli_apply_sets(&cfg, &co))
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
    cli_set_threads(co.threads);
    /* under mpirun: every process must run this binary with this config (rank 0 reports) */
    const lsnn_dist *dist = cli_dist();
    if (dist) {
        char *js = lsnn_config_to_json(&cfg);
        unsigned char dg[32];
        const int ok = js && cli_mpi_digest(js, dg) == 0;
        free(js);
        if (!ok)
            memset(dg, 0xff, sizeof dg);
        const int bad = cli_mpi_first_mismatch(dg);
        if (bad >= 0 || strcmp(cfg.model, "alstm") == 0 || report)
            cli_mpi_collective_failure(); /* every process knows: they end together */
        if (bad >= 0)
            return dist->rank == 0
                       ? die("train: process %d of mpirun runs another lsnn binary or another "
                             "config (after --set) than process 0; every process must run the "
                             "same", bad)
                       : 1;
        if (strcmp(cfg.model, "alstm") == 0 || report)
            return dist->rank == 0
                       ? die("train: %s under mpirun: the processes share one training run of "
                             "model \"lsnn\"; %s (run it in one process, or many runs with "
                             "lsnn sweep)",
                             config_path, report ? "--report is written by one process"
                                                 : "model \"alstm\" runs in one go")
                       : 1;
        if (dist->rank > 0)
            quiet = 1;
    }
    if (strcmp(cfg.model, "alstm") == 0) {
        if (resume || report)
            return die("train: %s: model \"alstm\" runs in one go (seconds to minutes) and "
                       "has no %s", config_path, resume ? "--resume" : "--report");
        return train_alstm(&cfg, config_path, out, quiet);
    }

    /* The run (lsnn/run.h) builds the trainer, loads the checkpoint when resuming, and touches
     * the directory only then; it keeps the cadence, log.csv, the checkpoints and result.json.
     * This command prints. */
    const char *clear[LSNN_REPORT_NFILES + 1];
    for (int k = 0; k < LSNN_REPORT_NFILES; k++)
        clear[k] = lsnn_report_files[k];
    clear[LSNN_REPORT_NFILES] = NULL;
    train_ui ui = {.quiet = quiet,
                   .argc = argc,
                   .argv = argv,
                   .ema_loss = NAN,
                   .ema_acc = NAN,
                   .writer = !dist || dist->rank == 0};
    lsnn_run_opts ro = {.resume = resume,
                        .origin = config_path,
                        .max_memory = max_memory,
                        .clear_files = clear,
                        .ctx = &ui,
                        .on_start = train_on_start,
                        .on_iteration = train_on_iteration,
                        .on_eval_progress = train_on_eval_progress,
                        .dist = dist};
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
            printf("validation (%ld fresh sequences): loss %.4f  %s %.4f  rate %.1f Hz\n"
                   "model: %s\n",
                   ev->sequences, ev->loss, run.tr->shape.metric, ev->metric, ev->rate_hz,
                   run.model_path);
        if (ui.writer)
            printf("result: %s\n", run.result_json);
        fflush(stdout);
    }
    lsnn_run_close(&run);
    if (!rc && report)
        rc = lsnn_report_write(out);
    return rc;
}

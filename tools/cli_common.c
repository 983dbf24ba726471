/* Helpers shared by the subcommands of the CLI (see cli.h): time, options, evaluation with
 * progress lines, loading a model. */
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

void openblas_set_num_threads(int num_threads);

double cli_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_fmt_duration(double s, char *buf, size_t cap)
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

void cli_set_threads(int threads)
{
    /* BLAS runs inside the OpenMP workers on one chunk each: keep it single-threaded. */
    openblas_set_num_threads(1);
    if (threads > 0)
        omp_set_num_threads(threads);
}

int cli_parse_int_arg(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return die("%s: expected an integer in %d..%d, got '%s'", opt, lo, hi, s);
    *out = (int)v;
    return 0;
}

int cli_ensure_dir(const char *dir)
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

long cli_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}


int cli_apply_sets(lsnn_config *cfg, const common_opts *co)
{
    for (int i = 0; i < co->n_sets; i++)
        if (lsnn_config_set(cfg, co->sets[i]))
            return die_status();
    return 0;
}

/* Parses an option shared by several subcommands; returns 1 if consumed (i advanced). */
int cli_common_option(int argc, char **argv, int *i, common_opts *co, int *err)
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
            *err = cli_parse_int_arg("--threads", v, 1, 1024, &co->threads);
        }
        return 1;
    }
    return 0;
}

/* Prints the result line of eval. */
void cli_print_result(const char *task, const char *metric, double value, long iterations,
                         double seconds, const char *extra)
{
    printf("result: {\"task\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"iterations\":%ld,"
           "\"seconds\":%.1f%s}\n",
           task, metric, value, iterations, seconds, extra ? extra : "");
    fflush(stdout);
}

/* Progress of a long evaluation (lsnn_trainer.eval_progress): nothing for the first 10 s, then a
 * line at most every 10 s. ctx points to the start time (cli_now_s()). */
void cli_eval_progress(void *ctx, long done, long total)
{
    double *t = ctx; /* t[0]: start, t[1]: last line */
    const double now = cli_now_s();
    if (done >= total || now - t[0] < 10 || now - t[1] < 10)
        return;
    t[1] = now;
    char eta[32];
    cli_fmt_duration((now - t[0]) / done * (total - done), eta, sizeof eta);
    printf("  evaluating: %ld/%ld sequences (%.0f%%), ETA %s\n", done, total,
           100.0 * done / total, eta);
    fflush(stdout);
}

/* lsnn_trainer_evaluate on the whole of `stream`, with progress lines unless quiet. */
lsnn_status cli_evaluate(lsnn_trainer *tr, uint64_t stream, lsnn_eval_result *ev, long *conf,
                            int quiet)
{
    double t[2] = {cli_now_s(), 0};
    tr->eval_progress = quiet ? NULL : cli_eval_progress;
    tr->eval_progress_ctx = t;
    lsnn_status st = lsnn_trainer_evaluate(tr, stream, lsnn_trainer_eval_count(tr, stream), ev,
                                           conf);
    tr->eval_progress = NULL;
    tr->eval_progress_ctx = NULL;
    return st;
}



int cli_load_model(const char *path, const common_opts *co, lsnn_trainer *tr)
{
    lsnn_config cfg;
    if (lsnn_checkpoint_read_config(path, &cfg))
        return die_status();
    if (cli_apply_sets(&cfg, co))
        return 1;
    if (lsnn_trainer_init(tr, &cfg))
        return die("%s: %s", path, lsnn_last_error());
    if (lsnn_trainer_load(tr, path, 0)) {
        lsnn_trainer_free(tr);
        return die_status();
    }
    return 0;
}

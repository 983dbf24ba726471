/* The HTML report of a run directory and its command.txt (see lsnn/report.h).
 *
 * report.html refers to its three figures by relative name and has no other external resource
 * (inline CSS, no scripts). The final metrics come from log.csv, read by lsnn_runlog_read
 * (lsnn/runlog.h; summarize_log below), as the curves figure reads it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/plot.h"
#include "lsnn/report.h"
#include "lsnn/runlog.h"
#include "io/strbuf.h"
#include "viz.h"

#define PATH_CAP 4096

/* ------------------------------------------------------------------------------------------ */
/* Small text utilities for the report. */

/* Appends s with the HTML special characters escaped (quotes too, so that it may also be an
 * attribute value). */
static void sb_html(lsnn__strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': lsnn__sb_printf(b, "&lt;"); break;
        case '>': lsnn__sb_printf(b, "&gt;"); break;
        case '&': lsnn__sb_printf(b, "&amp;"); break;
        case '"': lsnn__sb_printf(b, "&quot;"); break;
        case '\'': lsnn__sb_printf(b, "&#39;"); break;
        default: lsnn__sb_printf(b, "%c", *s);
        }
    }
}

/* Appends text content: only <, > and & need escaping (JSON keeps its quotes readable). */
static void sb_text(lsnn__strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': lsnn__sb_printf(b, "&lt;"); break;
        case '>': lsnn__sb_printf(b, "&gt;"); break;
        case '&': lsnn__sb_printf(b, "&amp;"); break;
        default: lsnn__sb_printf(b, "%c", *s);
        }
    }
}

/* Reads a whole (small) text file; NULL if it cannot. */
static char *read_text(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = malloc(max + 1);
    size_t n = s ? fread(s, 1, max, f) : 0;
    fclose(f);
    if (s)
        s[n] = 0;
    return s;
}

/* First line of a command's output, or "" (no shell expansion of our data: fixed commands and
 * single-quoted paths only). */
static void command_line_out(const char *cmd, char *out, size_t cap)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (fgets(out, (int)cap, p))
        out[strcspn(out, "\r\n")] = 0;
    else
        out[0] = 0;
    if (pclose(p) != 0)
        out[0] = 0;
}

/* Appends s quoted for a POSIX shell when it contains anything but safe characters. */
static void sb_shell_quote(lsnn__strbuf *b, const char *s)
{
    int safe = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p))
            safe = 0;
    if (safe) {
        lsnn__sb_printf(b, "%s", s);
        return;
    }
    lsnn__sb_printf(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            lsnn__sb_printf(b, "'\\''");
        else
            lsnn__sb_printf(b, "%c", *p);
    }
    lsnn__sb_printf(b, "'");
}

/* The commit of the lsnn sources: git in the directory of the executable (build dirs sit inside
 * the source tree), then in the working directory; "unknown" without git. */
static void find_commit(char *out, size_t cap)
{
    char exe[PATH_CAP];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = 0;
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        lsnn__strbuf cmd = {0};
        lsnn__sb_printf(&cmd, "git -C ");
        sb_shell_quote(&cmd, exe);
        lsnn__sb_printf(&cmd, " rev-parse --short HEAD 2>/dev/null");
        if (cmd.p)
            command_line_out(cmd.p, out, cap);
        free(cmd.p);
    }
    if (!out[0])
        command_line_out("git rev-parse --short HEAD 2>/dev/null", out, cap);
    if (!out[0])
        snprintf(out, cap, "unknown");
}

static lsnn_status write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_CAP + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return lsnn_error(LSNN_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return LSNN_OK;
}

lsnn_status lsnn_run_write_command(const char *dir, const char *subcommand, int argc,
                                   char **argv, int append)
{
    lsnn__strbuf b = {0};
    char path[PATH_CAP + 16];
    snprintf(path, sizeof path, "%s/command.txt", dir);
    /* Appending (a resumed run): the earlier commands first, so the file keeps the history. */
    FILE *old = append ? fopen(path, "r") : NULL;
    if (old) {
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk - 1, old)) > 0) {
            chunk[got] = '\0';
            lsnn__sb_printf(&b, "%s", chunk);
        }
        fclose(old);
    }
    lsnn__sb_printf(&b, "lsnn %s", subcommand);
    for (int i = 0; i < argc; i++) {
        lsnn__sb_printf(&b, " ");
        sb_shell_quote(&b, argv[i]);
    }
    char cwd[PATH_CAP];
    if (getcwd(cwd, sizeof cwd))
        lsnn__sb_printf(&b, "\n# in %s\n", cwd);
    else
        lsnn__sb_printf(&b, "\n");
    lsnn_status st = b.oom ? lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path)
                           : write_atomic(path, b.p, b.len);
    free(b.p);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* lsnn report */

/* What the report shows of log.csv. */
typedef struct log_summary {
    char metric[64];
    long rows;
    double last_it, seconds, rate;
    double mean_loss, mean_metric; /* over the last (up to) 10 iterations */
    int n_mean;
    double val_it, val_loss, val_metric; /* last validation row (val_it < 0: none) */
    int partial_tail;                    /* the last line had no line end and was left out */
} log_summary;

/* Summarises a log read by lsnn_runlog_read: rows without a finite iteration are left out. */
static void summarize_rows(const lsnn_runlog *log, log_summary *s)
{
    char name[96];
    int col[7]; /* iteration loss train_m val_loss val_m rate_hz seconds */
    static const lsnn_runlog_column which[7] = {LSNN_LOG_ITERATION, LSNN_LOG_LOSS,
                                                LSNN_LOG_TRAIN_METRIC, LSNN_LOG_VAL_LOSS,
                                                LSNN_LOG_VAL_METRIC, LSNN_LOG_RATE_HZ,
                                                LSNN_LOG_SECONDS};
    for (int c = 0; c < 7; c++)
        col[c] = lsnn_runlog_col(log, lsnn_runlog_column_name(which[c], log->metric, name,
                                                              sizeof name));
    double ring[10][2];
    for (long r = 0; r < log->n_rows; r++) {
        double v[7];
        for (int c = 0; c < 7; c++)
            v[c] = lsnn_runlog_at(log, r, col[c]);
        if (!isfinite(v[0]))
            continue;
        s->rows++;
        s->last_it = v[0];
        s->seconds = v[6];
        s->rate = v[5];
        ring[(s->rows - 1) % 10][0] = v[1];
        ring[(s->rows - 1) % 10][1] = v[2];
        if (isfinite(v[3]) || isfinite(v[4])) {
            s->val_it = v[0];
            s->val_loss = v[3];
            s->val_metric = v[4];
        }
    }
    s->n_mean = s->rows < 10 ? (int)s->rows : 10;
    for (int i = 0; i < s->n_mean; i++) {
        s->mean_loss += ring[i][0] / s->n_mean;
        s->mean_metric += ring[i][1] / s->n_mean;
    }
}

/* Reads and summarises path; on failure err receives why (naming the file). */
static int summarize_log(const char *path, log_summary *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->val_it = -1;
    lsnn_runlog log;
    if (lsnn_runlog_read(path, &log) != LSNN_OK) {
        snprintf(err, cap, "%s", lsnn_last_error());
        return -1;
    }
    snprintf(s->metric, sizeof s->metric, "%s", log.metric);
    s->partial_tail = log.partial_tail;
    summarize_rows(&log, s);
    const long n_rows = log.n_rows;
    lsnn_runlog_free(&log);
    if (s->rows == 0) {
        snprintf(err, cap, "%s: %s%s", path,
                 n_rows ? "no row has a finite iteration" : "no rows after the header",
                 s->partial_tail ? " (the last line has no line end: an interrupted write, "
                                   "left out)"
                                 : "");
        return -1;
    }
    return 0;
}

static void sb_figure(lsnn__strbuf *b, const char *title, const char *file, const char *caption,
                      const char *error)
{
    lsnn__sb_printf(b, "<h2>");
    sb_html(b, title);
    lsnn__sb_printf(b, "</h2>\n");
    if (error) {
        lsnn__sb_printf(b, "<p class=\"err\">Figure not drawn: ");
        sb_html(b, error);
        lsnn__sb_printf(b, "</p>\n");
        return;
    }
    lsnn__sb_printf(b, "<figure><img src=\"");
    sb_html(b, file);
    lsnn__sb_printf(b, "\" alt=\"");
    sb_html(b, title);
    lsnn__sb_printf(b, "\"><figcaption>");
    sb_html(b, caption);
    lsnn__sb_printf(b, "</figcaption></figure>\n");
}

static void sb_row(lsnn__strbuf *b, const char *key, const char *val)
{
    lsnn__sb_printf(b, "<tr><th>");
    sb_html(b, key);
    lsnn__sb_printf(b, "</th><td>");
    sb_html(b, val);
    lsnn__sb_printf(b, "</td></tr>\n");
}

static const char *REPORT_CSS =
    "body{font-family:sans-serif;max-width:1240px;margin:1.5em auto;padding:0 1em;color:#111;"
    "line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:0.2em}h2{font-size:1.25em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc;padding-bottom:0.2em}"
    ".sub{color:#444;margin-top:0}"
    "table{border-collapse:collapse;margin:0.5em 0}"
    "th,td{text-align:left;padding:0.25em 1em 0.25em 0;vertical-align:top;border-bottom:1px solid "
    "#eee}th{font-weight:600;white-space:nowrap}"
    "td.num{font-variant-numeric:tabular-nums}"
    "figure{margin:0.5em 0}img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{color:#444;font-size:0.92em;margin-top:0.3em}"
    "pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:0.85em;border:1px solid #e4e4e4;"
    "tab-size:4}"
    "code{font-size:0.95em}.err{color:#a00}";

const char *const lsnn_report_files[LSNN_REPORT_NFILES] = {"report.html", "dynamics.png",
                                                           "curves.png", "connectivity.png"};

/* The three figures; a failure is reported on the page and in res->warning, not fatal. */
static void report_figures(const char *run_dir, const char *model, const lsnn_config *cfg,
                           lsnn_report_result *res)
{
    char p[PATH_CAP + 32];
    char(*err)[1024] = res->warning;
    lsnn_model_dynamics_opts o = {0, 0, LSNN_FIG_DYNAMICS_W, LSNN_FIG_DYNAMICS_H, 1, NULL, 0};
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[1]);
    if (lsnn_plot_model_dynamics(model, p, &o))
        snprintf(err[0], sizeof err[0], "%s", lsnn_last_error());
    const char *runs[1] = {run_dir};
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[2]);
    if (lsnn_plot_curves(p, LSNN_FIG_CURVES_W, LSNN_FIG_CURVES_H, 1, runs, NULL))
        snprintf(err[1], sizeof err[1], "%s", lsnn_last_error());
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[3]);
    if (strcmp(cfg->model, "lsnn") != 0)
        snprintf(err[2], sizeof err[2], "the %s baseline has no populations or synapses to draw",
                 cfg->model);
    else if (lsnn_plot_model_connectivity(model, p, LSNN_FIG_CONNECTIVITY_W,
                                          LSNN_FIG_CONNECTIVITY_H))
        snprintf(err[2], sizeof err[2], "%s", lsnn_last_error());
}

/* The head of the page: title (the directory's last component) and the line under it. */
static void report_head(lsnn__strbuf *b, const char *run_dir, const lsnn_config *cfg)
{
    char name[PATH_CAP];
    lsnn__basename(run_dir, name, sizeof name);
    time_t now = time(NULL);
    char date[64];
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tmv);
    lsnn__sb_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>lsnn report: ");
    sb_html(b, name);
    lsnn__sb_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>lsnn run report: ", REPORT_CSS);
    sb_html(b, name);
    lsnn__sb_printf(b, "</h1>\n<p class=\"sub\">");
    char line[1024];
    snprintf(line, sizeof line, "task %s, model %s, learning %s, seed %llu; generated %s from ",
             cfg->task, cfg->model, cfg->learning, cfg->seed, date);
    sb_html(b, line);
    lsnn__sb_printf(b, "<code>");
    sb_html(b, run_dir);
    lsnn__sb_printf(b, "</code></p>\n");
}

/* The end-of-training validation of result.json (not in log.csv: `lsnn train` writes it with
 * the result line). */
static void report_result_json(lsnn__strbuf *b, const char *run_dir, const char *m)
{
    char resp[PATH_CAP + 16], key[128], line[1024];
    snprintf(resp, sizeof resp, "%s/result.json", run_dir);
    char *rtext = read_text(resp, 1 << 16);
    cJSON *res = rtext ? cJSON_Parse(rtext) : NULL;
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(res, "value");
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(res, "val_loss");
    if (cJSON_IsNumber(rv)) {
        snprintf(key, sizeof key, "final validation %s (result.json, end of training)", m);
        snprintf(line, sizeof line, "%.4f", rv->valuedouble);
        sb_row(b, key, line);
    }
    if (cJSON_IsNumber(rl)) {
        snprintf(line, sizeof line, "%.4f", rl->valuedouble);
        sb_row(b, "final validation loss (result.json)", line);
    }
    cJSON_Delete(res);
    free(rtext);
}

static void report_metrics(lsnn__strbuf *b, const char *run_dir, const lsnn_config *cfg)
{
    char logp[PATH_CAP + 32], line[1024], key[128];
    snprintf(logp, sizeof logp, "%s/log.csv", run_dir);
    lsnn__sb_printf(b, "<h2>Final metrics</h2>\n");
    log_summary ls;
    char err[PATH_CAP + 256];
    if (summarize_log(logp, &ls, err, sizeof err) != 0) {
        lsnn__sb_printf(b, "<p class=\"err\">No readable <code>log.csv</code> in the run directory: ");
        sb_html(b, err);
        lsnn__sb_printf(b, "</p>\n");
        return;
    }
    const char *m = ls.metric[0] ? ls.metric : "metric";
    lsnn__sb_printf(b, "<p>From the last rows of <code>log.csv</code>. Training values are means over "
              "the last %d iterations (each on its own training batch); validation values "
              "come from the last validation in the log (<code>lsnn eval</code> re-evaluates "
              "the final model).%s</p>\n<table>\n",
           ls.n_mean, ls.partial_tail ? " Its last line, without a line end (an interrupted "
                                        "write), is left out." : "");
    snprintf(line, sizeof line, "%.0f", ls.last_it);
    sb_row(b, "iterations", line);
    snprintf(line, sizeof line, "%.4f", ls.mean_loss);
    sb_row(b, "training loss", line);
    snprintf(key, sizeof key, "training %s", m);
    snprintf(line, sizeof line, "%.4f", ls.mean_metric);
    sb_row(b, key, line);
    if (ls.val_it >= 0) {
        snprintf(key, sizeof key, "validation loss (iteration %.0f)", ls.val_it);
        snprintf(line, sizeof line, "%.4f", ls.val_loss);
        sb_row(b, key, line);
        snprintf(key, sizeof key, "validation %s (iteration %.0f)", m, ls.val_it);
        snprintf(line, sizeof line, "%.4f", ls.val_metric);
        sb_row(b, key, line);
    } else {
        sb_row(b, "validation", "none in the log (the run ended before its first validation, "
                                "which comes after eval_every iterations)");
    }
    report_result_json(b, run_dir, m);
    snprintf(line, sizeof line, "%.1f Hz", ls.rate);
    sb_row(b, "mean firing rate (last batch)", strcmp(cfg->model, "lsnn") ? "-" : line);
    snprintf(line, sizeof line, "%.1f s", ls.seconds);
    sb_row(b, "training time", line);
    lsnn__sb_printf(b, "</table>\n");
}

static void report_figure_sections(lsnn__strbuf *b, const lsnn_report_result *res)
{
    const char(*err)[1024] = res->warning;
    sb_figure(b, "Learning curves", lsnn_report_files[2],
              "Loss (log scale), accuracy and mean firing rate over the training iterations. "
              "Light: the training value of every iteration; line: its moving average; rings: "
              "validation.", err[1][0] ? err[1] : NULL);
    sb_figure(b, "Network dynamics", lsnn_report_files[1],
              "Validation sequence 0. Top to bottom: input spikes; spike rasters of 20 randomly "
              "chosen neurons per population (E/I: excitatory/inhibitory, R: regular LIF, A: "
              "adaptive ALIF); thresholds of the most active shown adaptive neurons; softmax of the "
              "readout, decision windows shaded with the target above each.",
              err[0][0] ? err[0] : NULL);
    sb_figure(b, "Connectivity", lsnn_report_files[3],
              "Left: fraction of non-zero weights between input X, populations and readout Y. "
              "Right: recurrent weights (row: source, column: target).",
              err[2][0] ? err[2] : NULL);
}

/* "N x <CPU model name>" from /proc/cpuinfo, or "N". */
static void report_processors(char *line, size_t cap)
{
    char cpu[256] = "";
    char *info = read_text("/proc/cpuinfo", 65536);
    if (info) {
        char *mn = strstr(info, "model name");
        char *colon = mn ? strchr(mn, ':') : NULL;
        if (colon) {
            colon++;
            while (*colon == ' ' || *colon == '\t')
                colon++;
            snprintf(cpu, sizeof cpu, "%.*s", (int)strcspn(colon, "\n"), colon);
        }
        free(info);
    }
    snprintf(line, cap, "%ld%s%s", sysconf(_SC_NPROCESSORS_ONLN), cpu[0] ? " x " : "", cpu);
}

/* Provenance: command, commit, machine, processors, build. */
static void report_run(lsnn__strbuf *b, const char *run_dir)
{
    char p[PATH_CAP + 32], line[1024];
    lsnn__sb_printf(b, "<h2>Run</h2>\n<table>\n");
    snprintf(p, sizeof p, "%s/command.txt", run_dir);
    char *cmdline = read_text(p, 16384);
    if (cmdline) {
        cmdline[strcspn(cmdline, "\n")] = 0;
        lsnn__sb_printf(b, "<tr><th>command</th><td><code>");
        sb_html(b, cmdline);
        lsnn__sb_printf(b, "</code></td></tr>\n");
        free(cmdline);
    } else {
        sb_row(b, "command", "not recorded (no command.txt)");
    }
    char commit[128];
    find_commit(commit, sizeof commit);
    sb_row(b, "commit", commit);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(line, sizeof line, "%s %s %s", u.sysname, u.release, u.machine);
        sb_row(b, "machine", line);
    }
    report_processors(line, sizeof line);
    sb_row(b, "processors (nproc)", line);
    sb_row(b, "lsnn", LSNN_REAL_IS_DOUBLE ? "0.1.0, float64" : "0.1.0, float32");
    lsnn__sb_printf(b, "</table>\n");
}

static void report_config(lsnn__strbuf *b, const lsnn_config *cfg)
{
    lsnn__sb_printf(b, "<h2>Configuration</h2>\n<p>As stored in <code>model.safetensors</code> (every key; "
              "see docs/CONFIG.md).</p>\n<pre>");
    char *json = lsnn_config_to_json(cfg);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    char *pretty = root ? cJSON_Print(root) : NULL;
    sb_text(b, pretty ? pretty : json ? json : "(cannot serialise the config)");
    if (pretty)
        cJSON_free(pretty);
    cJSON_Delete(root);
    free(json);
    lsnn__sb_printf(b, "</pre>\n</body>\n</html>\n");
}

lsnn_status lsnn_report_build(const char *run_dir, lsnn_report_result *res)
{
    char model[PATH_CAP + 32];
    struct stat stt;
    memset(res, 0, sizeof *res);
    if (strlen(run_dir) > PATH_CAP - 64)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", run_dir);
    if (stat(run_dir, &stt) != 0 || !S_ISDIR(stt.st_mode))
        return lsnn_error(LSNN_ERR_IO, "%s: not a run directory", run_dir);
    snprintf(model, sizeof model, "%s/model.safetensors", run_dir);
    lsnn_config cfg;
    lsnn_status st = lsnn_checkpoint_read_config(model, &cfg);
    if (st)
        return st;
    report_figures(run_dir, model, &cfg, res);
    lsnn__strbuf b = {0};
    report_head(&b, run_dir, &cfg);
    report_metrics(&b, run_dir, &cfg);
    report_figure_sections(&b, res);
    report_run(&b, run_dir);
    report_config(&b, &cfg);
    snprintf(res->path, sizeof res->path, "%s/%s", run_dir, lsnn_report_files[0]);
    st = b.oom ? lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", res->path)
               : write_atomic(res->path, b.p, b.len);
    free(b.p);
    return st;
}

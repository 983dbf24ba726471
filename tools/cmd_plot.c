/* lsnn plot / lsnn report - the options of the figures of a trained model or of training runs,
 * and of the HTML page of a run. The figures and the page are made by the library
 * (lsnn/plot.h, lsnn/report.h); this file parses the arguments and prints. */
#include "cli.h"
#include "cmd_plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/plot.h"
#include "lsnn/report.h"

/* fontconfig (loaded by cairo's text functions) leaks a few hundred bytes while parsing its
 * configuration files, once per process, and offers no cleanup that cairo's users can reach.
 * LeakSanitizer reads this hook at exit: ignore leaks allocated inside libfontconfig. (Without
 * the sanitizers the function is never called.) */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
#define MAX_SETS 64

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return die("%s: expected an integer in %ld..%ld, got '%s'", opt, lo, hi, s);
    *out = v;
    return 0;
}

/* The options every figure takes: --out FILE, --width W, --height H. Returns 1 if `a` was one of
 * them (value v consumed), 0 if not, -1 after printing an error. */
static int figure_option(const char *a, const char *v, const char **out, long *w, long *h)
{
    if (strcmp(a, "--out") == 0) {
        *out = v;
        return 1;
    }
    if (strcmp(a, "--width") == 0)
        return parse_int(a, v, 64, 16384, w) ? -1 : 1;
    if (strcmp(a, "--height") == 0)
        return parse_int(a, v, 64, 16384, h) ? -1 : 1;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* lsnn plot */

static const char *PLOT_HELP =
    "usage: lsnn plot KIND ... --out FILE   (lsnn plot KIND --help for details)\n"
    "\n"
    "Draws a figure as PNG, SVG or PDF (chosen by the extension of FILE).\n"
    "\n"
    "kinds:\n"
    "  dynamics MODEL.safetensors      one validation sequence: input raster, rasters of a\n"
    "                                  random subset of each population, thresholds of adaptive\n"
    "                                  neurons, readout with decision windows and targets\n"
    "  curves RUN_DIR [RUN_DIR ...]    loss, accuracy and firing rate over the iterations\n"
    "                                  (RUN_DIR/log.csv), several runs overlaid\n"
    "  connectivity MODEL.safetensors  connection probabilities between input, populations and\n"
    "                                  readout, and the recurrent weight matrix\n";

static const char *DYN_HELP =
    "usage: lsnn plot dynamics MODEL.safetensors --out FILE.png|.svg|.pdf [options]\n"
    "\n"
    "Runs one validation sequence (the stream 'lsnn eval' uses) through the model and draws,\n"
    "top to bottom: the input raster (store-recall: groups named on the right); for each\n"
    "population a raster of K randomly chosen neurons, labelled E / I (excitatory / inhibitory\n"
    "LIF), R (unsigned LIF) or A (adaptive, ALIF), with 'K of N' under the label; the thresholds\n"
    "of the most active shown adaptive neurons; the readout: softmax over the outputs for\n"
    "classification, decision windows shaded, the target of each window written above it.\n"
    "The neurons shown are a uniform random subset chosen by --seed (lsnn_plot_select_neurons\n"
    "in include/lsnn/plot.h); the same seed shows the same neurons.\n"
    "LSTM/RNN baselines have no spikes: their figure has the input and readout panels only.\n"
    "\n"
    "options:\n"
    "  --out FILE        output file; .png, .svg or .pdf (required)\n"
    "  --sample N        which validation sequence (default 0)\n"
    "  --neurons K       neurons shown per population (default 20)\n"
    "  --seed N          choice of the neurons shown (default 1)\n"
    "  --width W         figure width, pixels (PNG, SVG) or points (PDF) (default 1200)\n"
    "  --height H        figure height (default 1000)\n"
    "  --set KEY=VALUE   override a config key of the stored config, e.g. store_recall.n_symbols=6\n"
    "                    (keys that change tensor shapes are rejected)\n"
    "  -h, --help        this text\n";

static const char *CURVES_HELP =
    "usage: lsnn plot curves RUN_DIR [RUN_DIR ...] --out FILE.png|.svg|.pdf [options]\n"
    "\n"
    "Reads RUN_DIR/log.csv of each run (written by 'lsnn train') and draws three panels over the\n"
    "iterations: the loss (log scale), the task's metric (accuracy) and the mean firing rate.\n"
    "Training values are drawn light, with their moving average as a line; validation values\n"
    "(every eval_every iterations) as rings. One colour and dash pattern per run (at most 8),\n"
    "named in the legend by the directory name.\n"
    "\n"
    "options:\n"
    "  --out FILE        output file (required)\n"
    "  --width W         figure width (default 1200)\n"
    "  --height H        figure height (default 420)\n"
    "  --reference V[:LABEL]\n"
    "                    a reference level of the metric drawn as a dashed line, e.g. a random\n"
    "                    agent's goals per episode: --reference 0.17:'random walk'\n"
    "  -h, --help        this text\n";

static const char *CONN_HELP =
    "usage: lsnn plot connectivity MODEL.safetensors --out FILE.png|.svg|.pdf [options]\n"
    "\n"
    "Left: the connection probability between the input X, each population and the readout Y\n"
    "(the fraction of non-zero weights among the possible synapses; a neuron never connects to\n"
    "itself; a bidirectional network's readout blocks do not cross), drawn as arrows whose width\n"
    "and label give the probability. Right: the weights between neurons (row = source neuron,\n"
    "column = target neuron, population boundaries marked; every projection between neurons in\n"
    "its block: the layers of a multi-layer network, the two directions of a bidirectional one)\n"
    "with a diverging colour map around 0 (limits: the 99th percentile of |w|) and a colour bar.\n"
    "Only for LSNN models (not the LSTM/RNN baselines).\n"
    "\n"
    "options:\n"
    "  --out FILE        output file (required)\n"
    "  --width W         figure width (default 1200)\n"
    "  --height H        figure height (default 560)\n"
    "  -h, --help        this text\n";

static int plot_dynamics_cmd(int argc, char **argv)
{
    const char *sets[MAX_SETS];
    lsnn_model_dynamics_opts o = {0, 0, LSNN_FIG_DYNAMICS_W, LSNN_FIG_DYNAMICS_H, 1, sets, 0};
    const char *model = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(DYN_HELP, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            const char *v = argv[++i];
            long x;
            int f = figure_option(a, v, &out, &o.width, &o.height);
            if (f < 0)
                return 1;
            if (f > 0)
                continue;
            if (strcmp(a, "--sample") == 0) {
                if (parse_int(a, v, 0, 1L << 30, &o.sample))
                    return 1;
            } else if (strcmp(a, "--neurons") == 0) {
                if (parse_int(a, v, 1, 10000, &o.neurons))
                    return 1;
            } else if (strcmp(a, "--seed") == 0) {
                if (parse_int(a, v, 0, 1L << 62, &x))
                    return 1;
                o.seed = (unsigned long long)x;
            } else if (strcmp(a, "--set") == 0) {
                if (o.n_sets == MAX_SETS)
                    return die("--set: at most %d overrides", MAX_SETS);
                sets[o.n_sets++] = v;
            } else {
                return die("plot dynamics: unknown option '%s' (see lsnn plot dynamics --help)", a);
            }
        } else if (!model) {
            model = a;
        } else {
            return die("plot dynamics: unexpected argument '%s'", a);
        }
    }
    if (!model || !out)
        return die("plot dynamics: need MODEL.safetensors and --out FILE (see lsnn plot dynamics "
                   "--help)");
    if (lsnn_plot_model_dynamics(model, out, &o))
        return die_status();
    printf("wrote %s\n", out);
    return 0;
}

static int plot_curves_cmd(int argc, char **argv)
{
    const char *runs[LSNN_PLOT_MAX_RUNS], *out = NULL;
    int n_runs = 0;
    long w = LSNN_FIG_CURVES_W, h = LSNN_FIG_CURVES_H;
    double ref = NAN;
    char ref_label[128] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(CURVES_HELP, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            if (strcmp(a, "--reference") == 0) {
                const char *v = argv[++i];
                char *end;
                ref = strtod(v, &end);
                if (end == v || !isfinite(ref) || (*end && *end != ':'))
                    return die("--reference: expected a finite number, then optionally "
                               "':LABEL', got '%s'",
                               v);
                if (*end == ':')
                    snprintf(ref_label, sizeof ref_label, "%s", end + 1);
                continue;
            }
            int f = figure_option(a, argv[++i], &out, &w, &h);
            if (f < 0)
                return 1;
            if (f == 0)
                return die("plot curves: unknown option '%s' (see lsnn plot curves --help)", a);
        } else if (n_runs == LSNN_PLOT_MAX_RUNS) {
            return die("plot curves: at most %d runs", LSNN_PLOT_MAX_RUNS);
        } else {
            runs[n_runs++] = a;
        }
    }
    if (n_runs == 0 || !out)
        return die("plot curves: need RUN_DIR and --out FILE (see lsnn plot curves --help)");
    if (lsnn_plot_curves_ref(out, (int)w, (int)h, n_runs, runs, NULL, ref, ref_label))
        return die_status();
    printf("wrote %s\n", out);
    return 0;
}

static int plot_connectivity_cmd(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    long w = LSNN_FIG_CONNECTIVITY_W, h = LSNN_FIG_CONNECTIVITY_H;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(CONN_HELP, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            int f = figure_option(a, argv[++i], &out, &w, &h);
            if (f < 0)
                return 1;
            if (f == 0)
                return die("plot connectivity: unknown option '%s' (see lsnn plot connectivity "
                           "--help)",
                           a);
        } else if (!model) {
            model = a;
        } else {
            return die("plot connectivity: unexpected argument '%s'", a);
        }
    }
    if (!model || !out)
        return die("plot connectivity: need MODEL.safetensors and --out FILE (see lsnn plot "
                   "connectivity --help)");
    if (lsnn_plot_model_connectivity(model, out, (int)w, (int)h))
        return die_status();
    printf("wrote %s\n", out);
    return 0;
}

int lsnn_cmd_plot(int argc, char **argv)
{
    if (argc < 1 || cli_is_help(argv[0]) || strcmp(argv[0], "help") == 0) {
        fputs(PLOT_HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 1 : 0;
    }
    if (strcmp(argv[0], "dynamics") == 0)
        return plot_dynamics_cmd(argc - 1, argv + 1);
    if (strcmp(argv[0], "curves") == 0)
        return plot_curves_cmd(argc - 1, argv + 1);
    if (strcmp(argv[0], "connectivity") == 0)
        return plot_connectivity_cmd(argc - 1, argv + 1);
    return die("plot: unknown kind '%s' (dynamics, curves or connectivity; see lsnn plot --help)",
               argv[0]);
}

/* ------------------------------------------------------------------------------------------ */
/* lsnn report */

int lsnn_report_write(const char *run_dir)
{
    lsnn_report_result res;
    lsnn_status st = lsnn_report_build(run_dir, &res);
    for (int i = 0; i < 3; i++)
        if (res.warning[i][0])
            fprintf(stderr, "lsnn: warning: %s\n", res.warning[i]);
    if (st)
        return die_status();
    printf("report: %s\n", res.path);
    return 0;
}

int lsnn_write_command_txt(const char *dir, const char *subcommand, int argc, char **argv,
                           int append)
{
    return lsnn_run_write_command(dir, subcommand, argc, argv, append) ? die_status() : 0;
}

static const char *REPORT_HELP =
    "usage: lsnn report RUN_DIR\n"
    "\n"
    "Writes RUN_DIR/report.html, one page to open in a browser: the config stored in\n"
    "RUN_DIR/model.safetensors, the final metrics from the last rows of RUN_DIR/log.csv, the\n"
    "learning curves, the dynamics of validation sequence 0 and the connectivity (drawn as\n"
    "RUN_DIR/curves.png, dynamics.png and connectivity.png and shown with <img>), the command\n"
    "line (RUN_DIR/command.txt, written by 'lsnn train'), the commit and the machine.\n"
    "The page has no external resources: copy RUN_DIR and it still shows everything.\n"
    "'lsnn train --report' writes it at the end of training.\n"
    "\n"
    "options:\n"
    "  -h, --help        this text\n";

int lsnn_cmd_report(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(REPORT_HELP, stdout);
            return 0;
        }
        if (argv[i][0] == '-')
            return die("report: unknown option '%s' (see lsnn report --help)", argv[i]);
        if (dir)
            return die("report: unexpected argument '%s'", argv[i]);
        dir = argv[i];
    }
    if (!dir)
        return die("report: missing RUN_DIR (see lsnn report --help)");
    return lsnn_report_write(dir);
}

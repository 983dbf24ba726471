/* lsnn plot / lsnn report - figures of a trained model or of training runs, and an HTML page per
 * run.
 *
 * plot dynamics runs one validation sequence through the model (batch of one, like `lsnn
 * simulate`) and hands the input, the recorded spikes and thresholds of sequence 0 and the readout
 * to lsnn_plot_dynamics. The non-spiking baselines (model "lstm" / "rnn") have no spikes or
 * thresholds: their figure shows the input and readout panels only. plot connectivity needs the
 * populations and projections of an LSNN and refuses the baselines with a clear error.
 *
 * report draws the three figures as PNG files beside the run's files and writes report.html,
 * which refers to them by relative name and has no other external resource (inline CSS, no
 * scripts), so the run directory can be copied or archived as it is. */
#include "cli.h"
#include "cmd_plot.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
#include "lsnn/train.h"

#define PATH_CAP 4096

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

/* Figure sizes (pixels) when --width/--height are not given; the report uses the same. */
#define DYN_W 1200
#define DYN_H 1000
#define CURVES_W 1200
#define CURVES_H 420
#define CONN_W 1200
#define CONN_H 560


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
/* Loading a model and running one sequence. */

typedef struct dyn_opts {
    long sample, neurons, width, height;
    unsigned long long seed;
    const char *sets[MAX_SETS];
    int n_sets;
} dyn_opts;

static lsnn_status load_trainer(const char *model, const char *const *sets, int n_sets,
                                lsnn_trainer *tr)
{
    lsnn_config cfg;
    lsnn_status st = lsnn_checkpoint_read_config(model, &cfg);
    if (st)
        return st;
    for (int i = 0; i < n_sets; i++)
        if ((st = lsnn_config_set(&cfg, sets[i]))) {
            lsnn_error_prefix("--set");
            return st;
        }
    /* One sequence: a batch of one keeps the simulation small. */
    if ((st = lsnn_config_set(&cfg, "batch_size=1")))
        return st;
    if ((st = lsnn_trainer_init(tr, &cfg))) {
        lsnn_error_prefix(model);
        return st;
    }
    if ((st = lsnn_trainer_load(tr, model, 0))) {
        lsnn_trainer_free(tr);
        return st;
    }
    return LSNN_OK;
}

/* The last two components of a path ("run/model.safetensors"): enough to recognise a model. */
static const char *short_name(const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s)
        return p;
    const char *q = s;
    while (q > p && q[-1] != '/')
        q--;
    return q;
}

static lsnn_status make_dynamics(const char *model, const char *out, const dyn_opts *o)
{
    lsnn_trainer tr;
    lsnn_status st = load_trainer(model, o->sets, o->n_sets, &tr);
    if (st)
        return st;
    const int T = tr.shape.T, n_in = tr.shape.n_in, n_out = tr.shape.n_out;
    if (tr.task->stream_size) {
        long avail = lsnn_trainer_eval_count(&tr, LSNN_STREAM_VALID);
        if (o->sample >= avail) {
            lsnn_trainer_free(&tr);
            return lsnn_error(LSNN_ERR_RANGE, "--sample %ld: the validation set of %s has %ld "
                              "sequences", o->sample, tr.cfg.task, avail);
        }
    }
    lsnn_trace trace = {0};
    if (!tr.is_ann) {
        size_t sz = sizeof(lsnn_real) * (size_t)T * tr.net.n;
        trace.v = malloc(sz);
        trace.thr = malloc(sz);
        trace.z = malloc(sz);
        if (!trace.v || !trace.thr || !trace.z)
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for %d steps x %d neurons", model,
                            T, tr.net.n);
    }
    if (!st)
        st = lsnn_trainer_prepare_forward(&tr);
    if (!st)
        st = tr.task->generate(tr.task_state, &tr.cfg, tr.cfg.seed, LSNN_STREAM_VALID,
                               (uint64_t)o->sample, &tr.batch);
    if (!st)
        st = lsnn_trainer_forward(&tr, tr.is_ann ? NULL : &trace);
    lsnn_plot_population pops[LSNN_PLOT_MAX_POP];
    const char *gnames[LSNN_PLOT_MAX_INPUT_GROUPS];
    char gbuf[LSNN_PLOT_MAX_INPUT_GROUPS][24];
    int goff[LSNN_PLOT_MAX_INPUT_GROUPS + 1];
    char title[512];
    lsnn_plot_dynamics_data d;
    lsnn_real *rate_target = NULL;
    memset(&d, 0, sizeof d);
    if (!st) {
        d.T = T;
        d.n_in = n_in;
        d.n_out = n_out;
        d.dt = tr.cfg.network.dt;
        d.x = tr.batch.x;
        d.y = tr.y;
        d.loss = tr.batch.loss;
        d.y_target = tr.batch.y_target;
        if (lsnn_loss_has_window_targets(tr.batch.loss) && tr.batch.n_windows[0] > 0) {
            /* Module tasks: the target rates of the first window, drawn over the whole sequence
             * (kwta: a winner's at rate_one, a loser's at 0). */
            rate_target = malloc(sizeof(lsnn_real) * (size_t)T * n_out);
            if (!rate_target) {
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for the target rates", model);
            } else {
                const int hinge = tr.batch.loss == LSNN_LOSS_RATE_HINGE;
                for (int t = 0; t < T; t++)
                    for (int k = 0; k < n_out; k++)
                        rate_target[(size_t)t * n_out + k] =
                            tr.batch.w_target[k] * (lsnn_real)(hinge ? tr.batch.rate_one : 1);
                d.y_target = rate_target;
            }
        }
        d.n_windows = tr.batch.n_windows[0];
        d.windows = tr.batch.windows;
        d.neurons = (int)o->neurons;
        d.seed = o->seed;
        if (!tr.is_ann) {
            d.n = tr.net.n;
            d.z = trace.z;
            d.thr = trace.thr;
            d.n_pop = tr.net.n_pop;
            for (int p = 0; p < tr.net.n_pop; p++) {
                const lsnn_population *pp = &tr.net.pop[p];
                int adaptive = 0;
                for (int j = pp->off; j < pp->off + pp->count; j++)
                    adaptive |= tr.net.k.beta[j] > 0;
                pops[p] = (lsnn_plot_population){pp->name, pp->off, pp->count, pp->sign, adaptive};
            }
            d.pop = pops;
        }
        /* Names of the input channels where the task has groups. */
        int ng = 0;
        if (strcmp(tr.cfg.task, "store_recall") == 0) {
            const lsnn_store_recall_config *c = &tr.cfg.store_recall;
            for (int g = 0; g < 2 + c->n_values && g < LSNN_PLOT_MAX_INPUT_GROUPS; g++) {
                if (g < 2)
                    snprintf(gbuf[g], sizeof gbuf[g], "%s", g == 0 ? "store" : "recall");
                else
                    snprintf(gbuf[g], sizeof gbuf[g], "value %d", g - 2);
                gnames[g] = gbuf[g];
                goff[g] = g * c->group_size;
                ng = g + 1;
            }
            goff[ng] = ng * c->group_size;
        } else if (strcmp(tr.cfg.task, "softmax") == 0 || strcmp(tr.cfg.task, "kwta") == 0) {
            const lsnn_module_config *c = &tr.cfg.module;
            const int sg = strcmp(tr.cfg.task, "softmax") == 0 &&
                           strcmp(c->mapping, "signed") == 0;
            if (c->n_in <= LSNN_PLOT_MAX_INPUT_GROUPS) {
                for (int g = 0; g < c->n_in; g++) {
                    if (sg)
                        snprintf(gbuf[g], sizeof gbuf[g], "x%d%c", g / 2, g % 2 ? '-' : '+');
                    else
                        snprintf(gbuf[g], sizeof gbuf[g], "x%d", g);
                    gnames[g] = gbuf[g];
                    goff[g] = g * c->group_size;
                }
                ng = c->n_in;
                goff[ng] = ng * c->group_size;
            }
        } else if (strcmp(tr.cfg.task, "smnist") == 0 && tr.cfg.smnist.cue && n_in > 1) {
            gnames[0] = "pixels";
            gnames[1] = "cue";
            goff[0] = 0;
            goff[1] = n_in - 1;
            goff[2] = n_in;
            ng = 2;
        }
        if (ng > 0 && goff[ng] == n_in) {
            d.n_input_groups = ng;
            d.input_group_names = gnames;
            d.input_group_off = goff;
        }
        snprintf(title, sizeof title, "%s: validation sequence %ld, %s (%s, %ld iterations)",
                 tr.cfg.task, o->sample, short_name(model), tr.is_ann ? tr.cfg.model : "LSNN",
                 tr.iteration);
        d.title = title;
        if (!st)
            st = lsnn_plot_dynamics(out, (int)o->width, (int)o->height, &d);
    }
    free(trace.v);
    free(trace.thr);
    free(trace.z);
    free(rate_target);
    lsnn_trainer_free(&tr);
    return st;
}

static lsnn_status make_connectivity(const char *model, const char *out, int w, int h)
{
    lsnn_trainer tr;
    lsnn_status st = load_trainer(model, NULL, 0, &tr);
    if (st)
        return st;
    if (tr.is_ann)
        st = lsnn_error(LSNN_ERR_UNSUPPORTED, "%s: connectivity diagrams show the populations of "
                        "an LSNN; this model is a non-spiking '%s'", model, tr.cfg.model);
    else
        st = lsnn_plot_connectivity(out, w, h, &tr.net);
    lsnn_trainer_free(&tr);
    return st;
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
    dyn_opts o = {0, 0, DYN_W, DYN_H, 1, {0}, 0};
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
                o.sets[o.n_sets++] = v;
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
    if (make_dynamics(model, out, &o))
        return die_status();
    printf("wrote %s\n", out);
    return 0;
}

static int plot_curves_cmd(int argc, char **argv)
{
    const char *runs[LSNN_PLOT_MAX_RUNS], *out = NULL;
    int n_runs = 0;
    long w = CURVES_W, h = CURVES_H;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(CURVES_HELP, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
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
    if (lsnn_plot_curves(out, (int)w, (int)h, n_runs, runs, NULL))
        return die_status();
    printf("wrote %s\n", out);
    return 0;
}

static int plot_connectivity_cmd(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    long w = CONN_W, h = CONN_H;
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
    if (make_connectivity(model, out, (int)w, (int)h))
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
/* Small text utilities for the report. */

/* A growable string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return;
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + (size_t)need + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

/* Appends s with the HTML special characters escaped (quotes too, so that it may also be an
 * attribute value). */
static void sb_html(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_add(b, "&lt;"); break;
        case '>': sb_add(b, "&gt;"); break;
        case '&': sb_add(b, "&amp;"); break;
        case '"': sb_add(b, "&quot;"); break;
        case '\'': sb_add(b, "&#39;"); break;
        default: sb_add(b, "%c", *s);
        }
    }
}

/* Appends text content: only <, > and & need escaping (JSON keeps its quotes readable). */
static void sb_text(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_add(b, "&lt;"); break;
        case '>': sb_add(b, "&gt;"); break;
        case '&': sb_add(b, "&amp;"); break;
        default: sb_add(b, "%c", *s);
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
static void sb_shell_quote(sbuf *b, const char *s)
{
    int safe = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p))
            safe = 0;
    if (safe) {
        sb_add(b, "%s", s);
        return;
    }
    sb_add(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            sb_add(b, "'\\''");
        else
            sb_add(b, "%c", *p);
    }
    sb_add(b, "'");
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
        sbuf cmd = {0};
        sb_add(&cmd, "git -C ");
        sb_shell_quote(&cmd, exe);
        sb_add(&cmd, " rev-parse --short HEAD 2>/dev/null");
        if (cmd.s)
            command_line_out(cmd.s, out, cap);
        free(cmd.s);
    }
    if (!out[0])
        command_line_out("git rev-parse --short HEAD 2>/dev/null", out, cap);
    if (!out[0])
        snprintf(out, cap, "unknown");
}

static int write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_CAP + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return die("%s: cannot write: %s", path, strerror(errno));
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return die("%s: write failed: %s", path, strerror(e));
    }
    return 0;
}

int lsnn_write_command_txt(const char *dir, const char *subcommand, int argc, char **argv,
                           int append)
{
    sbuf b = {0};
    char path[PATH_CAP + 16];
    snprintf(path, sizeof path, "%s/command.txt", dir);
    /* Appending (a resumed run): the earlier commands first, so the file keeps the history. */
    FILE *old = append ? fopen(path, "r") : NULL;
    if (old) {
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk - 1, old)) > 0) {
            chunk[got] = '\0';
            sb_add(&b, "%s", chunk);
        }
        fclose(old);
    }
    sb_add(&b, "lsnn %s", subcommand);
    for (int i = 0; i < argc; i++) {
        sb_add(&b, " ");
        sb_shell_quote(&b, argv[i]);
    }
    char cwd[PATH_CAP];
    if (getcwd(cwd, sizeof cwd))
        sb_add(&b, "\n# in %s\n", cwd);
    else
        sb_add(&b, "\n");
    int rc = b.oom ? die("%s: out of memory", path) : write_atomic(path, b.s, b.n);
    free(b.s);
    return rc;
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
} log_summary;

static int summarize_log(const char *path, log_summary *s)
{
    memset(s, 0, sizeof *s);
    s->val_it = -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    int col[7] = {-1, -1, -1, -1, -1, -1, -1}; /* it loss train_m val_loss val_m rate seconds */
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    line[strcspn(line, "\r\n")] = 0;
    int k = 0;
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), k++) {
        if (strcmp(tok, "iteration") == 0)
            col[0] = k;
        else if (strcmp(tok, "loss") == 0)
            col[1] = k;
        else if (strncmp(tok, "train_", 6) == 0 && col[2] < 0) {
            col[2] = k;
            snprintf(s->metric, sizeof s->metric, "%s", tok + 6);
        } else if (strcmp(tok, "val_loss") == 0)
            col[3] = k;
        else if (strncmp(tok, "val_", 4) == 0 && col[4] < 0)
            col[4] = k;
        else if (strcmp(tok, "rate_hz") == 0)
            col[5] = k;
        else if (strcmp(tok, "seconds") == 0)
            col[6] = k;
    }
    double ring[10][2];
    while (fgets(line, sizeof line, f)) {
        double v[7];
        for (int c = 0; c < 7; c++)
            v[c] = NAN;
        k = 0;
        for (char *tok = line; tok; k++) {
            char *comma = strchr(tok, ',');
            if (comma)
                *comma = 0;
            for (int c = 0; c < 7; c++)
                if (col[c] == k)
                    v[c] = strtod(tok, NULL);
            tok = comma ? comma + 1 : NULL;
        }
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
    fclose(f);
    s->n_mean = s->rows < 10 ? (int)s->rows : 10;
    for (int i = 0; i < s->n_mean; i++) {
        s->mean_loss += ring[i][0] / s->n_mean;
        s->mean_metric += ring[i][1] / s->n_mean;
    }
    return s->rows > 0 ? 0 : -1;
}

static void sb_figure(sbuf *b, const char *title, const char *file, const char *caption,
                      const char *error)
{
    sb_add(b, "<h2>");
    sb_html(b, title);
    sb_add(b, "</h2>\n");
    if (error) {
        sb_add(b, "<p class=\"err\">Figure not drawn: ");
        sb_html(b, error);
        sb_add(b, "</p>\n");
        return;
    }
    sb_add(b, "<figure><img src=\"");
    sb_html(b, file);
    sb_add(b, "\" alt=\"");
    sb_html(b, title);
    sb_add(b, "\"><figcaption>");
    sb_html(b, caption);
    sb_add(b, "</figcaption></figure>\n");
}

static void sb_row(sbuf *b, const char *key, const char *val)
{
    sb_add(b, "<tr><th>");
    sb_html(b, key);
    sb_add(b, "</th><td>");
    sb_html(b, val);
    sb_add(b, "</td></tr>\n");
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

int lsnn_report_write(const char *run_dir)
{
    char model[PATH_CAP + 32], logp[PATH_CAP + 32], p[PATH_CAP + 32];
    struct stat stt;
    if (strlen(run_dir) > PATH_CAP - 64)
        return die("%s: path too long", run_dir);
    if (stat(run_dir, &stt) != 0 || !S_ISDIR(stt.st_mode))
        return die("%s: not a run directory", run_dir);
    snprintf(model, sizeof model, "%s/model.safetensors", run_dir);
    snprintf(logp, sizeof logp, "%s/log.csv", run_dir);
    lsnn_config cfg;
    if (lsnn_checkpoint_read_config(model, &cfg))
        return die_status();

    /* Figures: a failure is reported on the page (and as a warning), not fatal. */
    char err[3][1024] = {"", "", ""};
    dyn_opts o = {0, 0, DYN_W, DYN_H, 1, {0}, 0};
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[1]);
    if (make_dynamics(model, p, &o))
        snprintf(err[0], sizeof err[0], "%s", lsnn_last_error());
    const char *runs[1] = {run_dir};
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[2]);
    if (lsnn_plot_curves(p, CURVES_W, CURVES_H, 1, runs, NULL))
        snprintf(err[1], sizeof err[1], "%s", lsnn_last_error());
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[3]);
    if (strcmp(cfg.model, "lsnn") != 0)
        snprintf(err[2], sizeof err[2], "the %s baseline has no populations or synapses to draw",
                 cfg.model);
    else if (make_connectivity(model, p, CONN_W, CONN_H))
        snprintf(err[2], sizeof err[2], "%s", lsnn_last_error());
    for (int i = 0; i < 3; i++)
        if (err[i][0])
            fprintf(stderr, "lsnn: warning: %s\n", err[i]);

    sbuf b = {0};
    char name[PATH_CAP];
    {
        /* The run's name: the directory's last component. */
        size_t n = strlen(run_dir);
        while (n > 1 && run_dir[n - 1] == '/')
            n--;
        size_t s = n;
        while (s > 0 && run_dir[s - 1] != '/')
            s--;
        snprintf(name, sizeof name, "%.*s", (int)(n - s), run_dir + s);
    }
    time_t now = time(NULL);
    char date[64];
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tmv);
    sb_add(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>lsnn report: ");
    sb_html(&b, name);
    sb_add(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>lsnn run report: ", REPORT_CSS);
    sb_html(&b, name);
    sb_add(&b, "</h1>\n<p class=\"sub\">");
    char line[1024];
    snprintf(line, sizeof line, "task %s, model %s, learning %s, seed %llu; generated %s from ",
             cfg.task, cfg.model, cfg.learning, cfg.seed, date);
    sb_html(&b, line);
    sb_add(&b, "<code>");
    sb_html(&b, run_dir);
    sb_add(&b, "</code></p>\n");

    /* Metrics. */
    sb_add(&b, "<h2>Final metrics</h2>\n");
    log_summary ls;
    if (summarize_log(logp, &ls) == 0) {
        const char *m = ls.metric[0] ? ls.metric : "metric";
        sb_add(&b, "<p>From the last rows of <code>log.csv</code>. Training values are means over "
                   "the last %d iterations (each on its own training batch); validation values "
                   "come from the last validation in the log (<code>lsnn eval</code> re-evaluates "
                   "the final model).</p>\n<table>\n", ls.n_mean);
        snprintf(line, sizeof line, "%.0f", ls.last_it);
        sb_row(&b, "iterations", line);
        snprintf(line, sizeof line, "%.4f", ls.mean_loss);
        sb_row(&b, "training loss", line);
        char key[128];
        snprintf(key, sizeof key, "training %s", m);
        snprintf(line, sizeof line, "%.4f", ls.mean_metric);
        sb_row(&b, key, line);
        if (ls.val_it >= 0) {
            snprintf(key, sizeof key, "validation loss (iteration %.0f)", ls.val_it);
            snprintf(line, sizeof line, "%.4f", ls.val_loss);
            sb_row(&b, key, line);
            snprintf(key, sizeof key, "validation %s (iteration %.0f)", m, ls.val_it);
            snprintf(line, sizeof line, "%.4f", ls.val_metric);
            sb_row(&b, key, line);
        } else {
            sb_row(&b, "validation", "none in the log (the run ended before its first validation, "
                                     "which comes after eval_every iterations)");
        }
        /* The validation after the last iteration is not in log.csv; `lsnn train` writes it,
         * with the result line, to result.json. */
        char resp[PATH_CAP + 16];
        snprintf(resp, sizeof resp, "%s/result.json", run_dir);
        char *rtext = read_text(resp, 1 << 16);
        cJSON *res = rtext ? cJSON_Parse(rtext) : NULL;
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(res, "value");
        const cJSON *rl = cJSON_GetObjectItemCaseSensitive(res, "val_loss");
        if (cJSON_IsNumber(rv)) {
            snprintf(key, sizeof key, "final validation %s (result.json, end of training)", m);
            snprintf(line, sizeof line, "%.4f", rv->valuedouble);
            sb_row(&b, key, line);
        }
        if (cJSON_IsNumber(rl)) {
            snprintf(line, sizeof line, "%.4f", rl->valuedouble);
            sb_row(&b, "final validation loss (result.json)", line);
        }
        cJSON_Delete(res);
        free(rtext);
        snprintf(line, sizeof line, "%.1f Hz", ls.rate);
        sb_row(&b, "mean firing rate (last batch)", strcmp(cfg.model, "lsnn") ? "-" : line);
        snprintf(line, sizeof line, "%.1f s", ls.seconds);
        sb_row(&b, "training time", line);
        sb_add(&b, "</table>\n");
    } else {
        sb_add(&b, "<p class=\"err\">No readable <code>log.csv</code> in the run directory.</p>\n");
    }

    sb_figure(&b, "Learning curves", lsnn_report_files[2],
              "Loss (log scale), accuracy and mean firing rate over the training iterations. "
              "Light: the training value of every iteration; line: its moving average; rings: "
              "validation.", err[1][0] ? err[1] : NULL);
    sb_figure(&b, "Network dynamics", lsnn_report_files[1],
              "Validation sequence 0. Top to bottom: input spikes; spike rasters of 20 randomly "
              "chosen neurons per population (E/I: excitatory/inhibitory, R: regular LIF, A: "
              "adaptive ALIF); thresholds of the most active shown adaptive neurons; softmax of the "
              "readout, decision windows shaded with the target above each.",
              err[0][0] ? err[0] : NULL);
    sb_figure(&b, "Connectivity", lsnn_report_files[3],
              "Left: fraction of non-zero weights between input X, populations and readout Y. "
              "Right: recurrent weights (row: source, column: target).",
              err[2][0] ? err[2] : NULL);

    /* Provenance. */
    sb_add(&b, "<h2>Run</h2>\n<table>\n");
    snprintf(p, sizeof p, "%s/command.txt", run_dir);
    char *cmdline = read_text(p, 16384);
    if (cmdline) {
        cmdline[strcspn(cmdline, "\n")] = 0;
        sb_add(&b, "<tr><th>command</th><td><code>");
        sb_html(&b, cmdline);
        sb_add(&b, "</code></td></tr>\n");
        free(cmdline);
    } else {
        sb_row(&b, "command", "not recorded (no command.txt)");
    }
    char commit[128];
    find_commit(commit, sizeof commit);
    sb_row(&b, "commit", commit);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(line, sizeof line, "%s %s %s", u.sysname, u.release, u.machine);
        sb_row(&b, "machine", line);
    }
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
    snprintf(line, sizeof line, "%ld%s%s", sysconf(_SC_NPROCESSORS_ONLN), cpu[0] ? " x " : "",
             cpu);
    sb_row(&b, "processors (nproc)", line);
    sb_row(&b, "lsnn", LSNN_REAL_IS_DOUBLE ? "0.1.0, float64" : "0.1.0, float32");
    sb_add(&b, "</table>\n");

    /* Config. */
    sb_add(&b, "<h2>Configuration</h2>\n<p>As stored in <code>model.safetensors</code> (every key; "
               "see docs/CONFIG.md).</p>\n<pre>");
    char *json = lsnn_config_to_json(&cfg);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    char *pretty = root ? cJSON_Print(root) : NULL;
    sb_text(&b, pretty ? pretty : json ? json : "(cannot serialise the config)");
    if (pretty)
        cJSON_free(pretty);
    cJSON_Delete(root);
    free(json);
    sb_add(&b, "</pre>\n</body>\n</html>\n");
    snprintf(p, sizeof p, "%s/%s", run_dir, lsnn_report_files[0]);
    int rc = b.oom ? die("%s: out of memory", p) : write_atomic(p, b.s, b.n);
    free(b.s);
    if (!rc)
        printf("report: %s\n", p);
    return rc;
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

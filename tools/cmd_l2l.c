/* lsnn l2l: a trained learning-to-learn network on fresh functions with its weights frozen,
 * against the paper's baselines on the same examples, and its internal model
 * (lsnn/l2l_analysis.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/fs.h"
#include "io/strbuf.h"
#include "lsnn/l2l_analysis.h"
#include "lsnn/plot.h"
#include "lsnn/task.h"

static const char *L2L_HELP =
    "usage: lsnn l2l MODEL.safetensors [options]\n"
    "\n"
    "Learning-to-learn analysis of a network trained on the task l2l (seed 000/001 section 5,\n"
    "Fig. 2): runs fresh episodes (a new function each) step by step with the weights frozen\n"
    "and compares, on the same examples, the LSNN's prediction of each example (made before\n"
    "its target is shown) with\n"
    "  - ridge regression on the network's mean spiking traces (kernel exp(-s / 20 ms), 20 ms\n"
    "    long, averaged per example; lambda 100; an intercept), fitted on a random 450 of the\n"
    "    500 examples and tested on the other 50 (Fig. 2C), and fitted online on examples\n"
    "    1..k-1 to predict example k (Fig. 2E);\n"
    "  - a feed-forward network (inputs x, 10 sigmoid hidden units, linear output; Xavier\n"
    "    normal; Adam with AMSGrad, lr 0.1, beta1 0.7, beta2 0.9, weight decay 1e-5) that\n"
    "    predicts example k and then takes --ff-steps steps on examples 1..k (Fig. 2F).\n"
    "It also probes the internal model (Fig. 2H, I): after 1, 2, 5, 10 and 20 examples the\n"
    "network state is saved, the network is shown hypothetical inputs on a grid of x (target\n"
    "networks: the line x1 = x2), its predictions recorded, and the state restored, so the\n"
    "episode continues as if no probe had run.\n"
    "\n"
    "Prints the MSE of each method (mean +- std over episodes) and 'result: {json}'.\n"
    "\n"
    "options:\n"
    "  --out DIR          write DIR/l2l_curve.csv (k, then mean and std over episodes of\n"
    "                     the squared error of example k for lsnn, ridge, ff), l2l_probe.csv\n"
    "                     (episode, examples, x, target, prediction), l2l_episodes.csv (the\n"
    "                     MSEs of each episode) and the figures l2l_curves.FMT and\n"
    "                     l2l_internal.FMT\n"
    "  --format FMT       svg (default), png or pdf\n"
    "  --episodes N       episodes to run (default 100)\n"
    "  --val              the validation stream instead of the test stream\n"
    "  --episode E        the episode the internal-model figure shows (default 0)\n"
    "  --lambda X         ridge regularisation (default 100)\n"
    "  --ridge-fit M      examples the split ridge fit uses (default 90% of an episode's:\n"
    "                     450 of 500)\n"
    "  --ff-steps N       Adam steps of the FF network after each example (default 1)\n"
    "  --probe-points N   grid points of the probe (default 41; 0: no probe)\n"
    "  --set KEY=VALUE    override a config key (e.g. l2l.width=0.001)\n"
    "  --threads N        OpenMP threads\n"
    "  -h, --help         this text\n";

static void l2l_progress(void *ctx, int done, int total)
{
    double *t0 = ctx;
    fprintf(stderr, "l2l: %d/%d episodes (%.0f s)\n", done, total, cli_now_s() - *t0);
}

/* Writes text to DIR/name through a temporary file and a rename. */
static int l2l_write(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lsnn__write_text_atomic(path, text) ? die_status() : 0;
}

static int l2l_write_outputs(const char *dir, const char *fmt, const lsnn_l2l_analysis *a,
                             int episode)
{
    if (cli_ensure_dir(dir))
        return 1;
    const int E = a->episodes, K = a->steps;
    lsnn__strbuf t = {0};
    lsnn__sb_printf(&t, "k,lsnn_mean,lsnn_std,ridge_mean,ridge_std,ff_mean,ff_std,episodes\n");
    for (int k = 0; k < K; k++) {
        double m[3], s[3];
        lsnn_l2l_mean_std(a->lsnn_err + k, E, K, &m[0], &s[0]);
        lsnn_l2l_mean_std(a->ridge_err + k, E, K, &m[1], &s[1]);
        lsnn_l2l_mean_std(a->ff_err + k, E, K, &m[2], &s[2]);
        lsnn__sb_printf(&t, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d\n", k, m[0], s[0], m[1], s[1], m[2],
                   s[2], E);
    }
    int rc = t.oom ? die("l2l: out of memory") : l2l_write(dir, "l2l_curve.csv", t.p);
    t.len = 0;
    lsnn__sb_printf(&t, "episode,lsnn_mse,lsnn_test50_mse,ridge_split_mse,ridge_online_mse,"
                   "ff_online_mse\n");
    for (int e = 0; e < E; e++) {
        double r = 0, f = 0;
        for (int k = 0; k < K; k++) {
            r += a->ridge_err[(size_t)e * K + k];
            f += a->ff_err[(size_t)e * K + k];
        }
        lsnn__sb_printf(&t, "%d,%.9g,%.9g,%.9g,%.9g,%.9g\n", e, a->lsnn_mse[e], a->lsnn_split_mse[e],
                   a->ridge_split_mse[e], r / K, f / K);
    }
    if (!rc)
        rc = t.oom ? die("l2l: out of memory") : l2l_write(dir, "l2l_episodes.csv", t.p);
    if (!rc && a->probe_points > 0) {
        t.len = 0;
        lsnn__sb_printf(&t, "episode,examples,x,target,prediction\n");
        for (int e = 0; e < E; e++)
            for (int j = 0; j < a->n_probe_k; j++)
                for (int p = 0; p < a->probe_points; p++)
                    lsnn__sb_printf(&t, "%d,%d,%.9g,%.9g,%.9g\n", e, a->probe_k[j], a->probe_x[p],
                               a->probe_target[(size_t)e * a->probe_points + p],
                               a->probe_pred[((size_t)e * a->n_probe_k + j) * a->probe_points +
                                             p]);
        rc = t.oom ? die("l2l: out of memory") : l2l_write(dir, "l2l_probe.csv", t.p);
    }
    free(t.p);
    char path[4200];
    snprintf(path, sizeof path, "%s/l2l_curves.%s", dir, fmt);
    if (!rc && lsnn_plot_l2l_curves(path, a, 0, 0, 0))
        rc = die_status();
    snprintf(path, sizeof path, "%s/l2l_internal.%s", dir, fmt);
    if (!rc && a->probe_points > 0 && lsnn_plot_l2l_internal(path, a, episode, 0, 0))
        rc = die_status();
    if (!rc)
        printf("wrote %s/l2l_curve.csv, l2l_episodes.csv%s, l2l_curves.%s%s%s\n", dir,
               a->probe_points > 0 ? ", l2l_probe.csv" : "", fmt,
               a->probe_points > 0 ? ", l2l_internal." : "", a->probe_points > 0 ? fmt : "");
    return rc;
}

int cmd_l2l(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL, *out = NULL, *fmt = "svg";
    int err = 0, episode = 0;
    lsnn_l2l_analysis_opts o;
    lsnn_l2l_analysis_defaults(&o);
    o.ridge_fit = -1; /* unset: 90% of the episode's examples, below */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(L2L_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--val") == 0) {
            o.stream = LSNN_STREAM_VALID;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--format") == 0 ||
                   strcmp(a, "--episodes") == 0 || strcmp(a, "--episode") == 0 ||
                   strcmp(a, "--lambda") == 0 || strcmp(a, "--ridge-fit") == 0 ||
                   strcmp(a, "--ff-steps") == 0 || strcmp(a, "--probe-points") == 0) {
            if (i + 1 >= argc)
                return die("l2l: %s needs a value (see lsnn l2l --help)", a);
            const char *v = argv[++i];
            if (strcmp(a, "--out") == 0) {
                out = v;
            } else if (strcmp(a, "--format") == 0) {
                if (strcmp(v, "svg") != 0 && strcmp(v, "png") != 0 && strcmp(v, "pdf") != 0)
                    return die("l2l: --format: '%s' is not svg, png or pdf", v);
                fmt = v;
            } else if (strcmp(a, "--lambda") == 0) {
                char *end;
                errno = 0;
                o.ridge_lambda = strtod(v, &end);
                if (*v == 0 || *end || errno || !(o.ridge_lambda > 0) ||
                    o.ridge_lambda > 1e300)
                    return die("l2l: --lambda: '%s' is not a positive number", v);
            } else if (cli_parse_int_arg(a, v, 0, 1 << 24,
                                         strcmp(a, "--episodes") == 0    ? &o.episodes
                                         : strcmp(a, "--episode") == 0   ? &episode
                                         : strcmp(a, "--ridge-fit") == 0 ? &o.ridge_fit
                                         : strcmp(a, "--ff-steps") == 0  ? &o.ff_steps
                                                                         : &o.probe_points)) {
                return 1;
            }
        } else if (a[0] == '-') {
            return die("l2l: unknown option '%s' (see lsnn l2l --help)", a);
        } else if (!model) {
            model = a;
        } else {
            return die("l2l: unexpected argument '%s'", a);
        }
    }
    if (!model)
        return die("l2l: missing MODEL.safetensors (see lsnn l2l --help)");
    if (o.episodes < 1)
        return die("l2l: --episodes must be at least 1");
    if (o.probe_points == 1)
        return die("l2l: --probe-points must be 0 or at least 2");
    if (episode >= o.episodes)
        return die("l2l: --episode %d: only %d episodes run (--episodes)", episode, o.episodes);
    cli_set_threads(co.threads);
    lsnn_trainer tr;
    if (cli_load_model(model, &co, &tr))
        return 1;
    if (strcmp(tr.cfg.task, "l2l") != 0) {
        die("%s: lsnn l2l analyses models of the task l2l; this one was trained on '%s'", model,
            tr.cfg.task);
        lsnn_trainer_free(&tr);
        return 1;
    }
    if (o.ridge_fit < 0) /* the paper's 450 of 500 */
        o.ridge_fit = tr.cfg.l2l.steps - tr.cfg.l2l.steps / 10;
    if (o.ridge_fit >= tr.cfg.l2l.steps || o.ridge_fit < 1) {
        die("l2l: --ridge-fit %d: must be between 1 and the %d examples of an episode, less one",
            o.ridge_fit, tr.cfg.l2l.steps);
        lsnn_trainer_free(&tr);
        return 1;
    }
    int nk = 0;
    for (int j = 0; j < o.n_probe_k; j++)
        if (o.probe_k[j] < tr.cfg.l2l.steps)
            o.probe_k[nk++] = o.probe_k[j];
    o.n_probe_k = nk;
    double t0 = cli_now_s();
    o.progress = l2l_progress;
    o.progress_ctx = &t0;
    lsnn_l2l_analysis a;
    if (lsnn_l2l_analyze(&tr, &o, &a)) {
        lsnn_trainer_free(&tr);
        return die_status();
    }
    const int E = a.episodes, K = a.steps;
    double *tmp = malloc(sizeof(double) * 2 * E);
    if (!tmp) {
        lsnn_l2l_analysis_free(&a);
        lsnn_trainer_free(&tr);
        return die("l2l: out of memory");
    }
    double *ro = tmp, *fo = tmp + E;
    for (int e = 0; e < E; e++) {
        ro[e] = fo[e] = 0;
        for (int k = 0; k < K; k++) {
            ro[e] += a.ridge_err[(size_t)e * K + k] / K;
            fo[e] += a.ff_err[(size_t)e * K + k] / K;
        }
    }
    double m[5], s[5];
    lsnn_l2l_mean_std(a.lsnn_mse, E, 1, &m[0], &s[0]);
    lsnn_l2l_mean_std(a.lsnn_split_mse, E, 1, &m[1], &s[1]);
    lsnn_l2l_mean_std(a.ridge_split_mse, E, 1, &m[2], &s[2]);
    lsnn_l2l_mean_std(ro, E, 1, &m[3], &s[3]);
    lsnn_l2l_mean_std(fo, E, 1, &m[4], &s[4]);
    printf("%d episodes of the %s stream (family %s, %d examples each), MSE mean +- std over "
           "episodes:\n",
           E, o.stream == LSNN_STREAM_TEST ? "test" : "validation", tr.cfg.l2l.family, K);
    printf("  LSNN, frozen weights, all examples:            %.6g +- %.6g\n", m[0], s[0]);
    printf("  LSNN, the %3d held-out examples of the split:  %.6g +- %.6g\n", K - o.ridge_fit,
           m[1], s[1]);
    printf("  ridge regression, %d fitted / %d tested:      %.6g +- %.6g  (ridge / LSNN = %.2f)\n",
           o.ridge_fit, K - o.ridge_fit, m[2], s[2], m[1] > 0 ? m[2] / m[1] : 0);
    printf("  ridge regression online (examples before k):  %.6g +- %.6g\n", m[3], s[3]);
    printf("  FF network, backprop online:                  %.6g +- %.6g\n", m[4], s[4]);
    int rc = out ? l2l_write_outputs(out, fmt, &a, episode) : 0;
    char extra[512];
    snprintf(extra, sizeof extra,
             ",\"episodes\":%d,\"split\":\"%s\",\"lsnn_mse_std\":%.6g,\"lsnn_test_mse\":%.6g,"
             "\"ridge_mse\":%.6g,\"ridge_mse_std\":%.6g,\"ridge_online_mse\":%.6g,"
             "\"ff_online_mse\":%.6g",
             E, o.stream == LSNN_STREAM_TEST ? "test" : "validation", s[0], m[1], m[2], s[2],
             m[3], m[4]);
    if (!rc)
        cli_print_result(tr.cfg.task, "mse", m[0], tr.iteration, cli_now_s() - t0, extra);
    free(tmp);
    lsnn_l2l_analysis_free(&a);
    lsnn_trainer_free(&tr);
    return rc;
}

/* lsnn alstm eval|trace: a trained adaptive LSTM of seed 002 (model.safetensors of a run with
 * "model": "alstm", lsnn/alstm_run.h) tested again, analog and converted to spikes, with the
 * conversion's settings changeable by --set; and one test sequence or episode traced, with seed
 * 002's Figs. 4-6. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/fs.h"
#include "lsnn/alstm_run.h"
#include "lsnn/plot.h"

static const char *ALSTM_HELP =
    "usage: lsnn alstm eval MODEL [options]\n"
    "       lsnn alstm trace MODEL --out DIR [options]\n"
    "\n"
    "A trained adaptive LSTM of seed 002 (the model.safetensors that `lsnn train` writes for a\n"
    "config with \"model\": \"alstm\") and its conversion to adaptive spiking neurons.\n"
    "\n"
    "  eval    tests the analog network and its conversion on the run's test inputs, as the\n"
    "          run did after training, and prints the result as JSON (analog_score,\n"
    "          spiking_pass, spiking_score, spikes, rate_hz); with --set, other conversion\n"
    "          settings on the same weights, e.g. --set alstm.gate_signal=s,\n"
    "          --set alstm.window_ms=400, --set seed=2 (other spikes and test inputs);\n"
    "          with --spike-seeds N, the spiking test N times with other spikes on the same\n"
    "          inputs (the first is the run's own), adding spiking_pass_rate and\n"
    "          spiking_score_mean (each seed's outcome goes to stderr)\n"
    "  trace   one test sequence (sequence prediction; noise-free: 0 starts with x, 1 with y)\n"
    "          or test episode (T-maze; each network acts on its own outputs) with --index,\n"
    "          written to DIR/alstm_trace_analog.csv (step, input or action, every output o_k,\n"
    "          carousels s_c) and DIR/alstm_trace_spiking.csv (t_ms, window, action, the\n"
    "          outputs o_k drawn in alstm_outputs every ms, carousels cec_c: the currents of\n"
    "          the cells' output ASNs), and drawn as DIR/alstm_outputs.FMT (seed 002 Fig. 4\n"
    "          for sequence prediction: the outputs that predict the last --last symbols;\n"
    "          Fig. 5 for the T-maze: the four Q-values over the last --last steps) and\n"
    "          DIR/alstm_cec.FMT (Fig. 6: every carousel over the whole sequence or episode)\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE   override a key of the stored config (not the network's shape;\n"
    "                    repeatable)\n"
    "  --out DIR         trace: the output directory (created if missing)\n"
    "  --index N         trace: the test sequence or episode (default 0)\n"
    "  --spike-seeds N   eval: repeat the spiking test with N spike seeds (default 1)\n"
    "  --last N          trace: steps shown in alstm_outputs (default 6)\n"
    "  --format FMT      trace: svg (default), png or pdf\n"
    "  --threads N       OpenMP threads (the spike-height calibration)\n"
    "  -h, --help        this text\n";

typedef struct alstm_opts {
    common_opts co;
    const char *out;
    const char *format;
    int index, last;
    int spike_seeds;
} alstm_opts;

/* Loads the model with the overrides, and builds its conversion. */
static int load(const char *path, const alstm_opts *o, lsnn_config *cfg, lsnn_alstm *net,
                lsnn_alstm_spiking *sp)
{
    if (lsnn_alstm_read_config(path, cfg))
        return die_status();
    if (cli_apply_sets(cfg, &o->co))
        return 1;
    if (lsnn_config_validate(cfg, path))
        return die_status();
    if (lsnn_alstm_load(path, cfg, net))
        return die_status();
    lsnn_alstm_spiking_params p;
    if (lsnn_alstm_run_spiking_params(cfg, &net->spec, &p) ||
        lsnn_alstm_spiking_create(sp, net, &p)) {
        lsnn_alstm_free(net);
        return die_status();
    }
    return 0;
}

static int run_eval(const char *path, const alstm_opts *o)
{
    lsnn_config cfg;
    lsnn_alstm net;
    lsnn_alstm_spiking sp;
    if (load(path, o, &cfg, &net, &sp))
        return 1;
    lsnn_alstm_run_result r, rk;
    memset(&r, 0, sizeof r);
    const double t0 = cli_now_s();
    /* spike seed 0 is the run's own (cfg.seed); the others draw other spikes on the same test
     * inputs */
    double passes = 0, score_sum = 0;
    lsnn_status st = LSNN_OK;
    for (int k = 0; k < o->spike_seeds && !st; k++) {
        memset(&rk, 0, sizeof rk);
        sp.p.seed = k ? lsnn_hash4(cfg.seed, (uint64_t)k, 0x73706b73u, 0) : cfg.seed;
        st = lsnn_alstm_run_test(&cfg, &net, &sp, &rk);
        if (st)
            break;
        if (k == 0)
            r = rk;
        passes += rk.spiking_pass;
        score_sum += rk.spiking_score;
        if (o->spike_seeds > 1)
            fprintf(stderr, "spike seed %d: %s, worst %s %.4g\n", k,
                    rk.spiking_pass ? "pass" : "fail",
                    strcmp(cfg.alstm.task, "tmaze") == 0 ? "return" : "error", rk.spiking_score);
    }
    lsnn_alstm_spiking_free(&sp);
    lsnn_alstm_free(&net);
    if (st)
        return die_status();
    printf("result: {\"task\":\"alstm_%s%s\",\"analog_score\":%.6g,\"spiking_pass\":%d,"
           "\"spiking_score\":%.6g,\"spikes\":%.6g,\"rate_hz\":%.6g,\"counted_asns\":%.6g,"
           "\"h\":%.6g,\"h_out\":%.6g,\"gate_signal\":\"%s\",\"window_ms\":%.6g,"
           "\"spike_seeds\":%d,\"spiking_pass_rate\":%.6g,\"spiking_score_mean\":%.6g,"
           "\"seconds\":%.1f}\n",
           cfg.alstm.task, cfg.alstm.noisy ? "_noisy" : "", r.analog_score, r.spiking_pass,
           r.spiking_score, r.spikes, r.rate_hz, r.counted_asns, r.h, r.h_out,
           cfg.alstm.gate_signal, cfg.alstm.window_ms, o->spike_seeds, passes / o->spike_seeds,
           score_sum / o->spike_seeds, cli_now_s() - t0);
    return 0;
}

/* The name of output or symbol k. */
static void unit_label(const lsnn_config *cfg, int k, char *buf, size_t cap)
{
    static const char *const act[4] = {"N", "E", "S", "W"};
    const int P = cfg->alstm.p;
    if (strcmp(cfg->alstm.task, "tmaze") == 0)
        snprintf(buf, cap, "%s", k >= 0 && k < 4 ? act[k] : "?");
    else if (k == P - 1 || k == P)
        snprintf(buf, cap, "%s", k == P ? "y" : "x");
    else
        snprintf(buf, cap, "a%d", k + 1);
}

static int write_csvs(const char *dir, const lsnn_config *cfg, const lsnn_alstm_trace *tr,
                      const int *units, int n_units)
{
    const int K = tr->n_out, C = tr->n_cells, W = tr->window;
    const int tmaze = strcmp(cfg->alstm.task, "tmaze") == 0;
    char *pa = lsnn__path_join_alloc(dir, "alstm_trace_analog.csv");
    char *ps = lsnn__path_join_alloc(dir, "alstm_trace_spiking.csv");
    FILE *f = NULL;
    int rc = 0;
    if (!pa || !ps) {
        rc = die("%s: out of memory", dir);
        goto out;
    }
    /* write to a temporary file, then rename: no half-written CSV */
    for (int which = 0; which < 2 && !rc; which++) {
        const char *path = which ? ps : pa;
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (!(f = fopen(tmp, "w"))) {
            rc = die("%s: cannot write", tmp);
            break;
        }
        int bad = 0;
        if (!which) {
            bad |= fprintf(f, "step,%s", tmaze ? "action" : "input") < 0;
            for (int k = 0; k < K; k++)
                bad |= fprintf(f, ",o_%d", k) < 0;
            for (int c = 0; c < C; c++)
                bad |= fprintf(f, ",s_%d", c) < 0;
            bad |= fputc('\n', f) == EOF;
            for (int t = 0; t < tr->steps && !bad; t++) {
                bad |= fprintf(f, "%d,%d", t + 1, tr->input[t]) < 0;
                for (int k = 0; k < K; k++)
                    bad |= fprintf(f, ",%.9g", tr->o_analog[(size_t)t * K + k]) < 0;
                for (int c = 0; c < C; c++)
                    bad |= fprintf(f, ",%.9g", tr->s_analog[(size_t)t * C + c]) < 0;
                bad |= fputc('\n', f) == EOF;
            }
        } else {
            bad |= fprintf(f, "t_ms,window,action") < 0;
            for (int u = 0; u < n_units; u++)
                bad |= fprintf(f, ",o_%d", units[u]) < 0;
            for (int c = 0; c < C; c++)
                bad |= fprintf(f, ",cec_%d", c) < 0;
            bad |= fputc('\n', f) == EOF;
            for (long i = 0; i < (long)tr->windows * W && !bad; i++) {
                bad |= fprintf(f, "%.9g,%ld,%d", (double)(i + 1) * tr->dt, i / W + 1,
                               tr->action_spiking[i / W]) < 0;
                for (int u = 0; u < n_units; u++)
                    bad |= fprintf(f, ",%.9g", tr->o_spiking[(size_t)i * K + units[u]]) < 0;
                for (int c = 0; c < C; c++)
                    bad |= fprintf(f, ",%.9g", tr->s_spiking[(size_t)i * C + c]) < 0;
                bad |= fputc('\n', f) == EOF;
            }
        }
        if (fclose(f) != 0 || bad) {
            remove(tmp);
            rc = die("%s: write error", tmp);
        } else if (rename(tmp, path) != 0) {
            remove(tmp);
            rc = die("%s: cannot write", path);
        }
        f = NULL;
    }
out:
    free(pa);
    free(ps);
    return rc;
}

static int run_trace(const char *path, const alstm_opts *o)
{
    if (!o->out)
        return die("alstm trace: --out DIR is required");
    if (cli_ensure_dir(o->out))
        return 1;
    lsnn_config cfg;
    lsnn_alstm net;
    lsnn_alstm_spiking sp;
    if (load(path, o, &cfg, &net, &sp))
        return 1;
    lsnn_alstm_trace tr;
    int rc = 0;
    if (lsnn_alstm_trace_run(&cfg, &net, &sp, o->index, &tr)) {
        rc = die_status();
        goto out_net;
    }
    const int tmaze = strcmp(cfg.alstm.task, "tmaze") == 0, K = tr.n_out;
    /* the outputs shown: the T-maze's four Q-values; for sequence prediction the outputs that
     * predict the symbols of the last steps (the symbol after each, and the target) */
    int units[64], n = 0;
    if (tmaze)
        for (int k = 0; k < 4; k++)
            units[n++] = k;
    else {
        const int last = o->last < tr.steps ? o->last : tr.steps;
        for (int t = tr.steps - last; t <= tr.steps && n < 64; t++) {
            const int k = t < tr.steps ? (t + 1 < tr.steps ? tr.input[t + 1] : tr.target) : -1;
            int seen = k < 0;
            for (int u = 0; u < n && !seen; u++)
                seen = units[u] == k;
            if (!seen)
                units[n++] = k;
        }
    }
    if ((rc = write_csvs(o->out, &cfg, &tr, units, n)))
        goto out;
    char names[64][16];
    const char *labels[64];
    for (int u = 0; u < n; u++) {
        unit_label(&cfg, units[u], names[u], sizeof names[u]);
        labels[u] = names[u];
    }
    char fig[4096], title[256];
    snprintf(fig, sizeof fig, "%s/alstm_outputs.%s", o->out, o->format);
    if (tmaze)
        snprintf(title, sizeof title,
                 "%sT-maze, episode %d (goal %s): Q-values, analog return %.2f, spiking %.2f",
                 cfg.alstm.noisy ? "Noisy " : "", o->index, tr.target == 0 ? "north" : "south",
                 tr.score_analog, tr.score_spiking);
    else {
        char tl[16];
        unit_label(&cfg, tr.target, tl, sizeof tl);
        snprintf(title, sizeof title,
                 "%s prediction, sequence %d (target %s): largest error analog %.3f, "
                 "spiking %.3f", cfg.alstm.noisy ? "Noisy sequence" : "Sequence", o->index, tl,
                 tr.score_analog, tr.score_spiking);
    }
    if (lsnn_plot_alstm_outputs(fig, tr.o_analog, tr.steps, tr.o_spiking, tr.windows, tr.window,
                                tr.dt, K, units, labels, n, o->last, title, 0, 0)) {
        rc = die_status();
        goto out;
    }
    printf("wrote %s\n", fig);
    if (tr.n_cells > 0) {
        snprintf(fig, sizeof fig, "%s/alstm_cec.%s", o->out, o->format);
        if (lsnn_plot_cec(fig, tr.s_spiking, tr.windows * tr.window, tr.dt, tr.n_cells,
                          tr.s_analog, tr.steps, tr.window * tr.dt,
                          "Carousels: analog (dashed, after each step) and spiking", 0, 0)) {
            rc = die_status();
            goto out;
        }
        printf("wrote %s\n", fig);
    }
    printf("result: {\"index\":%d,\"steps\":%d,\"windows\":%d,\"target\":%d,"
           "\"analog_score\":%.6g,\"spiking_score\":%.6g,\"spikes\":%.6g}\n",
           o->index, tr.steps, tr.windows, tr.target, tr.score_analog, tr.score_spiking,
           tr.spikes);
out:
    lsnn_alstm_trace_free(&tr);
out_net:
    lsnn_alstm_spiking_free(&sp);
    lsnn_alstm_free(&net);
    return rc;
}

int cmd_alstm(int argc, char **argv)
{
    if (argc < 1 || cli_is_help(argv[0])) {
        fputs(ALSTM_HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *sub = argv[0];
    const int trace = strcmp(sub, "trace") == 0;
    if (!trace && strcmp(sub, "eval") != 0)
        return die("alstm: unknown subcommand '%s' (eval or trace; see lsnn alstm --help)", sub);
    alstm_opts o;
    memset(&o, 0, sizeof o);
    o.format = "svg";
    o.last = 6;
    o.spike_seeds = 1;
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int err = 0;
        if (cli_is_help(a)) {
            fputs(ALSTM_HELP, stdout);
            return 0;
        }
        if (cli_common_option(argc, argv, &i, &o.co, &err)) {
            if (err)
                return err;
            continue;
        }
        if (a[0] == '-' && a[1] == '-' && i + 1 >= argc)
            return die("alstm %s: %s: missing value", sub, a);
        if (strcmp(a, "--out") == 0)
            o.out = argv[++i];
        else if (strcmp(a, "--format") == 0) {
            o.format = argv[++i];
            if (strcmp(o.format, "svg") && strcmp(o.format, "png") && strcmp(o.format, "pdf"))
                return die("alstm %s: --format: '%s' is not svg, png or pdf", sub, o.format);
        } else if (strcmp(a, "--index") == 0) {
            if (cli_parse_int_arg("--index", argv[++i], 0, 1000000, &o.index))
                return 1;
        } else if (strcmp(a, "--spike-seeds") == 0) {
            if (cli_parse_int_arg("--spike-seeds", argv[++i], 1, 100000, &o.spike_seeds))
                return 1;
        } else if (strcmp(a, "--last") == 0) {
            if (cli_parse_int_arg("--last", argv[++i], 1, 1000000, &o.last))
                return 1;
        } else if (a[0] == '-')
            return die("alstm %s: unknown option '%s' (see lsnn alstm --help)", sub, a);
        else if (model)
            return die("alstm %s: one model only ('%s' and '%s')", sub, model, a);
        else
            model = a;
    }
    if (!model)
        return die("alstm %s: MODEL is required (see lsnn alstm --help)", sub);
    if (!trace && o.out)
        return die("alstm eval: --out is for trace");
    if (trace && o.spike_seeds != 1)
        return die("alstm trace: --spike-seeds is for eval");
    cli_set_threads(o.co.threads);
    return trace ? run_trace(model, &o) : run_eval(model, &o);
}

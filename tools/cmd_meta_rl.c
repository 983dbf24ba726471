/* lsnn meta-rl: a trained meta-RL agent against a random walk in the same episodes, and the two
 * measures of its knowledge (lsnn/meta_rl.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/fs.h"
#include "io/strbuf.h"
#include "lsnn/meta_rl.h"
#include "lsnn/plot.h"

static const char *META_RL_HELP =
    "usage: lsnn meta-rl MODEL.safetensors [options]\n"
    "\n"
    "Runs a meta-RL agent (task meta_rl, learning ppo) with its weights fixed on fresh episodes\n"
    "of the test stream, and a random walk in the same episodes (the actions the policy draws at\n"
    "zero readouts, N(0, 1/2) per component, from the same random draws), and prints, mean +-\n"
    "std over episodes (seed 001 Fig. 3):\n"
    "  - goals per episode, agent and random walk;\n"
    "  - (i) the share of the steps before the first goal spent at a radius in [0.7, 1.0], near\n"
    "    the circle the goal centres lie on;\n"
    "  - (ii) the steps to the first goal and the mean steps between the later goals.\n"
    "\n"
    "options:\n"
    "  --episodes N     test episodes (default 20)\n"
    "  --out DIR        write DIR/meta_rl_episodes.csv (the measures of every episode) and\n"
    "                   DIR/meta_rl_paths.csv (episode, agent|walk, step, x, y of the first\n"
    "                   four episodes; the goal of each episode in meta_rl_episodes.csv) and\n"
    "                   the figure DIR/meta_rl_paths.FMT of those paths, agent and random walk\n"
    "  --format FMT     svg (default), png or pdf\n"
    "  --set KEY=VALUE  override a config key\n"
    "  --threads N      OpenMP threads\n"
    "  -h, --help       this text\n";

/* mean +- std of the finite values; the count of them into *n. */
static void finite_mean_std(const double *v, int E, double *m, double *s, int *n)
{
    double a = 0, b = 0;
    int c = 0;
    for (int e = 0; e < E; e++)
        if (isfinite(v[e])) {
            a += v[e];
            c++;
        }
    *m = c ? a / c : NAN;
    for (int e = 0; e < E; e++)
        if (isfinite(v[e]))
            b += (v[e] - *m) * (v[e] - *m);
    *s = c > 1 ? sqrt(b / (c - 1)) : 0;
    *n = c;
}

/* A JSON number, or null for NaN and infinities. */
static const char *json_num(char *buf, size_t cap, double v)
{
    if (isfinite(v))
        snprintf(buf, cap, "%.6g", v);
    else
        snprintf(buf, cap, "null");
    return buf;
}

static int write_file(const char *dir, const char *name, const lsnn__strbuf *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (t->oom)
        return die("meta-rl: out of memory");
    return lsnn__write_text_atomic(path, t->p ? t->p : "") ? die_status() : 0;
}

static int write_outputs(const char *dir, const char *fmt, const lsnn_meta_rl_analysis *a)
{
    if (cli_ensure_dir(dir))
        return 1;
    lsnn__strbuf t = {0};
    lsnn__sb_printf(&t, "episode,goal_x,goal_y,agent_goals,agent_first,agent_later,agent_ring,"
                        "walk_goals,walk_first,walk_later,walk_ring\n");
    for (int e = 0; e < a->episodes; e++)
        lsnn__sb_printf(&t, "%d,%.6f,%.6f,%g,%g,%g,%.6f,%g,%g,%g,%.6f\n", e, a->goal[2 * e],
                        a->goal[2 * e + 1], a->agent.goals[e], a->agent.first[e],
                        a->agent.later[e], a->agent.ring[e], a->walk.goals[e], a->walk.first[e],
                        a->walk.later[e], a->walk.ring[e]);
    int rc = write_file(dir, "meta_rl_episodes.csv", &t);
    t.len = 0;
    if (t.p)
        t.p[0] = 0;
    lsnn__sb_printf(&t, "episode,who,step,x,y\n");
    for (int e = 0; e < a->episodes && e < 4; e++)
        for (int w = 0; w < 2; w++) {
            const double *xy = (w ? a->walk.xy : a->agent.xy) + (size_t)e * a->T * 2;
            for (int s = 0; s < a->T; s++)
                lsnn__sb_printf(&t, "%d,%s,%d,%.5f,%.5f\n", e, w ? "walk" : "agent", s,
                                xy[2 * s], xy[2 * s + 1]);
        }
    if (!rc)
        rc = write_file(dir, "meta_rl_paths.csv", &t);
    free(t.p);
    char fig[4200];
    snprintf(fig, sizeof fig, "%s/meta_rl_paths.%s", dir, fmt);
    if (!rc && lsnn_plot_meta_rl_paths(fig, a, 4, 0, 0))
        rc = die_status();
    if (!rc)
        printf("wrote %s/meta_rl_episodes.csv, meta_rl_paths.csv, meta_rl_paths.%s\n", dir, fmt);
    return rc;
}

int cmd_meta_rl(int argc, char **argv)
{
    common_opts co = {0};
    const char *model = NULL, *out = NULL, *fmt = "svg";
    int err = 0;
    lsnn_meta_rl_opts o;
    lsnn_meta_rl_defaults(&o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(META_RL_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--episodes") == 0 ||
                   strcmp(a, "--format") == 0) {
            if (i + 1 >= argc)
                return die("meta-rl: %s needs a value (see lsnn meta-rl --help)", a);
            if (a[2] == 'o')
                out = argv[++i];
            else if (a[2] == 'f') {
                fmt = argv[++i];
                if (strcmp(fmt, "svg") != 0 && strcmp(fmt, "png") != 0 && strcmp(fmt, "pdf") != 0)
                    return die("meta-rl: --format: '%s' is not svg, png or pdf", fmt);
            }
            else if (cli_parse_int_arg(a, argv[++i], 1, 1 << 20, &o.episodes))
                return 1;
        } else if (a[0] == '-') {
            return die("meta-rl: unknown option '%s' (see lsnn meta-rl --help)", a);
        } else if (!model) {
            model = a;
        } else {
            return die("meta-rl: unexpected argument '%s'", a);
        }
    }
    if (!model)
        return die("meta-rl: missing MODEL.safetensors (see lsnn meta-rl --help)");
    cli_set_threads(co.threads);
    lsnn_trainer tr;
    if (cli_load_model(model, &co, &tr))
        return 1;
    if (strcmp(tr.cfg.task, "meta_rl") != 0) {
        die("%s: lsnn meta-rl analyses agents of the task meta_rl; this model was trained on "
            "'%s'",
            model, tr.cfg.task);
        lsnn_trainer_free(&tr);
        return 1;
    }
    const double t0 = cli_now_s();
    lsnn_meta_rl_analysis a;
    if (lsnn_meta_rl_analyze(&tr, &o, &a)) {
        lsnn_trainer_free(&tr);
        return die_status();
    }
    const int E = a.episodes;
    printf("%d episodes of the test stream, %d steps each, mean +- std over episodes:\n", E, a.T);
    const char *rows[4] = {"goals per episode", "(i) share near the goal circle before goal 1",
                           "(ii) steps to the first goal", "(ii) steps between later goals"};
    double m[2][4], s[2][4];
    int n[2][4];
    for (int w = 0; w < 2; w++) {
        const lsnn_meta_rl_agent *g = w ? &a.walk : &a.agent;
        const double *v[4] = {g->goals, g->ring, g->first, g->later};
        for (int r = 0; r < 4; r++)
            finite_mean_std(v[r], E, &m[w][r], &s[w][r], &n[w][r]);
    }
    printf("  %-46s %-26s %s\n", "", "agent", "random walk");
    for (int r = 0; r < 4; r++) {
        char c0[64], c1[64];
        snprintf(c0, sizeof c0, "%.4g +- %.3g (%d)", m[0][r], s[0][r], n[0][r]);
        snprintf(c1, sizeof c1, "%.4g +- %.3g (%d)", m[1][r], s[1][r], n[1][r]);
        printf("  %-46s %-26s %s\n", rows[r], c0, c1);
    }
    printf("  (in brackets: the episodes where the measure exists)\n");
    int rc = out ? write_outputs(out, fmt, &a) : 0;
    char extra[320], b[5][32];
    snprintf(extra, sizeof extra,
             ",\"episodes\":%d,\"walk_goals\":%s,\"agent_ring\":%s,\"walk_ring\":%s,"
             "\"agent_first\":%s,\"agent_later\":%s",
             E, json_num(b[0], 32, m[1][0]), json_num(b[1], 32, m[0][1]),
             json_num(b[2], 32, m[1][1]), json_num(b[3], 32, m[0][2]),
             json_num(b[4], 32, m[0][3]));
    if (!rc)
        cli_print_result(tr.cfg.task, "goals", m[0][0], tr.iteration, cli_now_s() - t0, extra);
    lsnn_meta_rl_analysis_free(&a);
    lsnn_trainer_free(&tr);
    return rc;
}

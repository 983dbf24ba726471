/* lsnn inspect MODEL - what a trained spiking network looks like (seed 001 Fig. 1C, Table S1):
 * the connection probabilities between its sub-populations, its parameter counts "active
 * (full)", and the signs of its weights (Dale's law).
 *
 * Sub-populations: the input channels X (X_E and X_I when the inputs are signed), each
 * population of the network (R_E, R_I, A, ... as lsnn_net_init builds them) and the readout Y.
 * A synapse exists where the connectivity mask (if any) has a 1 and the weight is not zero; the
 * connection probability from sub-population S to T is (existing synapses) / (possible synapses),
 * the W_rec diagonal not being possible. The model is rebuilt from the config stored in the
 * checkpoint; no data set is loaded. */
#include "cli.h"
#include "cmd_inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/net_stats.h"
#include "lsnn/network.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

static const char *INSPECT_HELP =
    "usage: lsnn inspect MODEL.safetensors | CONFIG.json [--set KEY=VALUE ...]\n"
    "\n"
    "Prints, for a trained spiking network (model \"lsnn\"), or for the untrained network a\n"
    "config builds (from its seed; no data is loaded):\n"
    "  - its graph: each population's neuron model, size, sign and the range of each of its\n"
    "    model's parameters over its neurons; each projection's source, target, shape, delays,\n"
    "    density and whether it is frozen; the readout;\n"
    "  - its sub-populations: input channels X (X_E / X_I when signed), the populations of the\n"
    "    network (R_E, R_I, A, ...) and the readout Y;\n"
    "  - parameter counts 'active (full)' per tensor and in total, as in Table S1 of the paper\n"
    "    (active: existing synapses; full: whole tensors);\n"
    "  - connection probabilities between the sub-populations (existing / possible synapses,\n"
    "    as in Fig. 1C);\n"
    "  - the signs of the outgoing weights of each sub-population and the number of weights\n"
    "    that violate their source's sign (Dale's law; 0 for a model trained by lsnn).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a key of CONFIG.json (dotted path)\n"
    "  -h, --help       this text\n";

/* The graph: populations with their parameter ranges, projections, the readout. */
static void lsnn__print_graph(const lsnn_net *net, int deepr)
{
    printf("populations (simulation order):\n");
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *P = &net->pop[p];
        printf("  %-8s %-10s %6d neurons [%d, %d)  sign %-4s layer %d\n", P->name, P->model->name,
               P->count, P->off, P->off + P->count,
               P->sign > 0 ? "exc" : P->sign < 0 ? "inh" : "none", P->layer);
        for (int k = 0; k < P->model->n_params; k++) {
            const lsnn_real *v = P->par + (size_t)k * P->count;
            double lo = v[0], hi = v[0], sum = 0;
            for (int i = 0; i < P->count; i++) {
                lo = v[i] < lo ? v[i] : lo;
                hi = v[i] > hi ? v[i] : hi;
                sum += v[i];
            }
            const char *unit = P->model->params[k].unit;
            if (lo == hi)
                printf("      %-11s %g%s%s\n", P->model->params[k].name, lo, unit[0] ? " " : "",
                       unit);
            else
                printf("      %-11s %g .. %g%s%s (mean %.4g)\n", P->model->params[k].name, lo, hi,
                       unit[0] ? " " : "", unit, sum / P->count);
        }
    }
    printf("projections:\n");
    for (int q = 0; q < net->n_proj; q++) {
        const lsnn_projection *pr = &net->proj[q];
        char from[64], to[64], delay[32];
        if (pr->src_is_input)
            snprintf(from, sizeof from, "input[%d, %d)", pr->src_off, pr->src_off + pr->n_src);
        else
            snprintf(from, sizeof from, "[%d, %d)", pr->src_off, pr->src_off + pr->n_src);
        snprintf(to, sizeof to, "[%d, %d)", pr->dst_off, pr->dst_off + pr->n_dst);
        int dlo = pr->max_delay, dhi = 0;
        if (pr->delay) {
            for (size_t k = 0; k < (size_t)pr->n_src * pr->n_dst; k++) {
                dlo = pr->delay[k] < dlo ? pr->delay[k] : dlo;
                dhi = pr->delay[k] > dhi ? pr->delay[k] : dhi;
            }
        } else {
            dlo = dhi = pr->max_delay;
        }
        if (dlo == dhi)
            snprintf(delay, sizeof delay, "%d", dlo);
        else
            snprintf(delay, sizeof delay, "%d..%d", dlo, dhi);
        size_t on = 0, all = (size_t)pr->n_src * pr->n_dst;
        for (size_t k = 0; k < all; k++)
            on += !pr->mask || pr->mask[k];
        printf("  %-10s %-16s -> %-14s %6d x %-6d delay %-6s density %.3f%s%s%s\n", pr->name,
               from, to, pr->n_src, pr->n_dst, delay, all ? (double)on / (double)all : 0.0,
               pr->no_self ? ", no self" : "", pr->frozen ? ", frozen" : "",
               deepr && pr->no_rewiring && !pr->frozen ? ", not rewired by DEEP R" : "");
    }
    int n_read = 0;
    for (int j = 0; j < net->n; j++)
        n_read += net->readout_dir[j] >= 0;
    if (!net->rate_group)
        printf("readout: %d outputs reading %d of %d neurons; zeta(t) = %.4g zeta(t-1) + %.4g "
               "z(t)\n",
               net->n_out, n_read, net->n, (double)net->kappa, (double)net->readout_gain);
}

/* lsnn inspect CONFIG.json: the graph of the untrained network. */
static int lsnn__inspect_config(const char *path, char **sets, int n_sets)
{
    lsnn_config cfg;
    if (lsnn_config_load(&cfg, path))
        return die("%s", lsnn_last_error());
    for (int i = 0; i < n_sets; i++)
        if (lsnn_config_set(&cfg, sets[i]))
            return die("%s", lsnn_last_error());
    if (lsnn_config_validate(&cfg, path))
        return die("%s", lsnn_last_error());
    if (strcmp(cfg.model, "lsnn") != 0)
        return die("%s: inspect describes spiking networks; this is a '%s' baseline", path,
                   cfg.model);
    const lsnn_task *task = lsnn_task_find(cfg.task);
    lsnn_task_shape shape;
    if (!task || task->shape(&cfg, &shape))
        return die("%s: %s", path, task ? lsnn_last_error() : "unknown task");
    lsnn_net net;
    if (lsnn_net_from_config(&net, &cfg, shape.n_in, shape.n_out))
        return die("%s: %s", path, lsnn_last_error());
    printf("config: %s (task %s: %d inputs, %d outputs; seed %llu; untrained)\n", path, cfg.task,
           net.n_in, net.n_out, cfg.seed);
    printf("network: %d neurons, %zu parameters (%zu active)\n", net.n,
           lsnn_net_count_params(&net, 0), lsnn_net_count_params(&net, 1));
    lsnn__print_graph(&net, cfg.deepr.enabled);
    lsnn_net_free(&net);
    return 0;
}

int lsnn_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0;
    if (!sets)
        return die("inspect: out of memory");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(INSPECT_HELP, stdout);
            free(sets);
            return 0;
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            sets[n_sets++] = argv[++i];
        } else if (a[0] == '-') {
            free(sets);
            return die("inspect: unknown option '%s' (see lsnn inspect --help)", a);
        } else if (!path) {
            path = a;
        } else {
            free(sets);
            return die("inspect: unexpected argument '%s'", a);
        }
    }
    if (!path) {
        free(sets);
        return die("inspect: missing MODEL.safetensors or CONFIG.json (see lsnn inspect --help)");
    }
    const size_t plen = strlen(path);
    if (plen > 5 && strcmp(path + plen - 5, ".json") == 0) {
        int rc = lsnn__inspect_config(path, sets, n_sets);
        free(sets);
        return rc;
    }
    free(sets);
    if (n_sets)
        return die("inspect: --set applies to a CONFIG.json, not to a trained model");

    lsnn_config cfg;
    if (lsnn_checkpoint_read_config(path, &cfg))
        return die("%s", lsnn_last_error());
    if (strcmp(cfg.model, "lsnn") != 0)
        return die("%s: inspect describes spiking networks; this is a '%s' baseline", path,
                   cfg.model);
    const lsnn_task *task = lsnn_task_find(cfg.task);
    if (!task)
        return die("%s: unknown task '%s'", path, cfg.task);
    lsnn_task_shape shape;
    if (task->shape(&cfg, &shape))
        return die("%s: %s", path, lsnn_last_error());
    lsnn_net net;
    if (lsnn_net_from_config(&net, &cfg, shape.n_in, shape.n_out))
        return die("%s: %s", path, lsnn_last_error());
    long iteration = 0;
    if (lsnn_checkpoint_load(path, &net, NULL, &iteration)) {
        lsnn_net_free(&net);
        return die("%s", lsnn_last_error());
    }

    lsnn_net_stats *S = malloc(sizeof *S);
    if (!S) {
        lsnn_net_free(&net);
        return die("inspect: out of memory");
    }
    lsnn_net_stats_compute(&net, S);
    const lsnn_net_group *g = S->group;
    const int ng = S->n_groups, n_x = S->n_input_groups;

    printf("model: %s (task %s, iteration %ld, seed %llu)\n", path, cfg.task, iteration,
           cfg.seed);
    printf("network: %d input channels, %d neurons, %d outputs%s; init %s, connectivity %g%s, "
           "DEEP R %s\n",
           net.n_in, net.n, net.n_out,
           net.n_dirs > 1 ? " (bidirectional: each direction has half of each)" : "",
           cfg.network.init, cfg.network.connectivity,
           cfg.network.connectivity < 1
               ? (cfg.network.global_connectivity ? " (global)" : " (per matrix)")
               : "",
           cfg.deepr.enabled ? "on" : "off");
    if (net.rate_group)
        printf("readout: rates of %d groups of %d neurons (neurons %d to %d), fixed: w_out and "
               "b_out are not trained\n",
               net.n_out, net.rate_group, lsnn_net_rate_first(&net), net.n - 1);
    lsnn__print_graph(&net, cfg.deepr.enabled);
    printf("sub-populations:");
    for (int k = 0; k < ng; k++)
        printf(" %s %d%s", g[k].name, g[k].count, k + 1 < ng ? "," : "\n");

    printf("\nparameters: %zu active (full %zu)\n", lsnn_net_count_params(&net, 1),
           lsnn_net_count_params(&net, 0));
    for (int p = 0; p <= net.n_proj; p++)
        printf("  %-10s %8zu (%zu)%s\n", p < net.n_proj ? net.proj[p].name : "w_out", S->active[p],
               S->full[p],
               (p < net.n_proj ? net.proj[p].frozen : net.readout_frozen) ? "  frozen" : "");
    printf("  %-10s %8d (%d)%s\n", "b_out", net.n_out, net.n_out,
           net.readout_frozen ? "  frozen" : "");
    if (cfg.network.module[0])
        printf("embedded module (frozen: w_m_in, w_m_rec): %s\n", cfg.network.module);
    if (net.train_noise)
        printf("  %-10s %8d (%d)\n", "noise_std", net.n, net.n);

    printf("\nconnection probability (existing / possible synapses; rows: from, columns: to)\n");
    printf("  %-8s", "");
    for (int t = n_x; t < ng; t++)
        printf(" %7s", g[t].name);
    putchar('\n');
    for (int s = 0; s < ng - 1; s++) {
        printf("  %-8s", g[s].name);
        for (int t = n_x; t < ng; t++) {
            if (S->possible[s][t] > 0)
                printf(" %7.3f", S->existing[s][t] / S->possible[s][t]);
            else
                printf(" %7s", "-");
        }
        putchar('\n');
    }

    printf("\noutgoing weights of existing synapses\n");
    printf("  %-8s %-5s %9s %9s %9s %11s\n", "from", "sign", "positive", "negative", "zero",
           "violations");
    long violations = 0;
    for (int s = 0; s < ng - 1; s++) {
        char v[24];
        if (g[s].sign)
            snprintf(v, sizeof v, "%ld", S->violations[s]);
        else
            snprintf(v, sizeof v, "-"); /* unsigned: no sign to violate */
        printf("  %-8s %-5s %9ld %9ld %9ld %11s\n", g[s].name,
               g[s].sign > 0 ? "exc" : g[s].sign < 0 ? "inh" : "none", S->positive[s], S->negative[s], S->zero[s], v);
        violations += S->violations[s];
    }
    printf("Dale's law violations: %ld\n", violations);
    free(S);
    lsnn_net_free(&net);
    return 0;
}

static const char *CONVERT_HELP =
    "usage: lsnn convert OLD.safetensors NEW.safetensors\n"
    "\n"
    "Rewrites a checkpoint in the current format (lsnn-2: neuron parameters as one tensor per\n"
    "population and parameter, e.g. \"A.tau_a\"). Checkpoints of the earlier format (lsnn-1:\n"
    "\"neuron.tau_a\" over all neurons) also load directly; converting them is only needed for\n"
    "tools that read the tensors by name. The model is rebuilt from the config stored in OLD\n"
    "(a module it embeds must be at the stored path); weights, optimizer state and iteration\n"
    "count carry over unchanged. NEW is written atomically.\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n";

int lsnn_cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(CONVERT_HELP, stdout);
            return 0;
        } else if (a[0] == '-') {
            return die("convert: unknown option '%s' (see lsnn convert --help)", a);
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            return die("convert: unexpected argument '%s'", a);
        }
    }
    if (!in || !out)
        return die("convert: OLD.safetensors and NEW.safetensors are needed (see lsnn convert "
                   "--help)");
    lsnn_config cfg;
    if (lsnn_checkpoint_read_config(in, &cfg))
        return die("%s", lsnn_last_error());
    lsnn_trainer tr;
    if (lsnn_trainer_init(&tr, &cfg))
        return die("%s: %s", in, lsnn_last_error());
    lsnn_status st = lsnn_trainer_load(&tr, in, 1);
    if (!st)
        st = lsnn_trainer_save(&tr, out);
    lsnn_trainer_free(&tr);
    if (st)
        return die("%s", lsnn_last_error());
    return 0;
}

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
    "usage: lsnn inspect MODEL.safetensors\n"
    "\n"
    "Prints, for a trained spiking network (model \"lsnn\"):\n"
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
    "  -h, --help   this text\n";

int lsnn_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(INSPECT_HELP, stdout);
            return 0;
        } else if (a[0] == '-') {
            return die("inspect: unknown option '%s' (see lsnn inspect --help)", a);
        } else if (!path) {
            path = a;
        } else {
            return die("inspect: unexpected argument '%s'", a);
        }
    }
    if (!path)
        return die("inspect: missing MODEL.safetensors (see lsnn inspect --help)");

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

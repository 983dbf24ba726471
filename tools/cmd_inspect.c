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
#include "lsnn/network.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

#define MAX_GROUPS (LSNN_MAX_POP + 3)


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

/* A sub-population: a range of input channels (input = 1) or neurons, or the readout. */
typedef struct group {
    char name[LSNN_NAME_MAX + 8];
    int input, readout;
    int off, count;
    int sign; /* 1, -1, 0 = unsigned */
} group;

static int group_of(const group *g, int ng, int input, int idx)
{
    for (int k = 0; k < ng; k++)
        if (!g[k].readout && g[k].input == input && idx >= g[k].off &&
            idx < g[k].off + g[k].count)
            return k;
    return -1;
}

/* Input groups: X, or X_E and X_I (input channels need not be contiguous by sign, so these two
 * groups are described by the sign rather than a range; `off` is unused for them). */
static int input_group(const lsnn_net *net, int i)
{
    if (!net->input_sign)
        return 0;
    return net->input_sign[i] > 0 ? 0 : 1;
}

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

    /* Sub-populations: inputs, populations, readout. */
    group g[MAX_GROUPS];
    int ng = 0, n_x = net.input_sign ? 2 : 1;
    memset(g, 0, sizeof g);
    for (int k = 0; k < n_x; k++) {
        group *x = &g[ng++];
        x->input = 1;
        x->sign = net.input_sign ? (k == 0 ? 1 : -1) : 0;
        snprintf(x->name, sizeof x->name, "%s", !net.input_sign ? "X" : k == 0 ? "X_E" : "X_I");
    }
    for (int i = 0; i < net.n_in; i++)
        g[input_group(&net, i)].count++;
    for (int p = 0; p < net.n_pop; p++) {
        group *q = &g[ng++];
        snprintf(q->name, sizeof q->name, "%s", net.pop[p].name);
        q->off = net.pop[p].off;
        q->count = net.pop[p].count;
        q->sign = net.pop[p].sign;
    }
    group *Y = &g[ng++];
    snprintf(Y->name, sizeof Y->name, "Y");
    Y->readout = 1;
    Y->count = net.n_out;

    /* Counts per (source group, target group) and signs per source group. */
    static double poss[MAX_GROUPS][MAX_GROUPS], have[MAX_GROUPS][MAX_GROUPS];
    long pos[MAX_GROUPS] = {0}, neg[MAX_GROUPS] = {0}, zero[MAX_GROUPS] = {0},
         bad[MAX_GROUPS] = {0};
    memset(poss, 0, sizeof poss);
    memset(have, 0, sizeof have);
    size_t act[LSNN_MAX_PROJ + 1] = {0}, full[LSNN_MAX_PROJ + 1] = {0};
    for (int p = 0; p <= net.n_proj; p++) {
        const int ro = p == net.n_proj;
        const lsnn_projection *pr = ro ? NULL : &net.proj[p];
        const int n_src = ro ? net.n : pr->n_src, n_dst = ro ? net.n_out : pr->n_dst;
        const lsnn_real *w = ro ? net.w_out : pr->w;
        const uint8_t *mask = ro ? net.w_out_mask : pr->mask;
        full[p] = (size_t)n_src * n_dst;
        for (int i = 0; i < n_src; i++) {
            int input = !ro && pr->src_is_input;
            int src = input ? pr->src_off + i : ro ? i : pr->src_off + i;
            int s = input ? input_group(&net, src) : group_of(g, ng, 0, src);
            int sign = s >= 0 ? g[s].sign : 0;
            for (int j = 0; j < n_dst; j++) {
                int t = ro ? ng - 1 : group_of(g, ng, 0, pr->dst_off + j);
                if (!ro && pr->no_self && !pr->src_is_input && src == pr->dst_off + j)
                    continue;
                if (ro && !lsnn_net_readout_possible(&net, i, j)) /* across two directions */
                    continue;
                size_t k = (size_t)i * n_dst + j;
                int on = !mask || mask[k];
                act[p] += (size_t)on;
                if (s < 0 || t < 0)
                    continue;
                poss[s][t] += 1;
                if (!on)
                    continue;
                have[s][t] += w[k] != 0;
                pos[s] += w[k] > 0;
                neg[s] += w[k] < 0;
                zero[s] += w[k] == 0;
                bad[s] += sign * w[k] < 0;
            }
        }
    }

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
        printf("  %-10s %8zu (%zu)%s\n", p < net.n_proj ? net.proj[p].name : "w_out", act[p],
               full[p],
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
            if (poss[s][t] > 0)
                printf(" %7.3f", have[s][t] / poss[s][t]);
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
            snprintf(v, sizeof v, "%ld", bad[s]);
        else
            snprintf(v, sizeof v, "-"); /* unsigned: no sign to violate */
        printf("  %-8s %-5s %9ld %9ld %9ld %11s\n", g[s].name,
               g[s].sign > 0 ? "exc" : g[s].sign < 0 ? "inh" : "none", pos[s], neg[s], zero[s], v);
        violations += bad[s];
    }
    printf("Dale's law violations: %ld\n", violations);
    lsnn_net_free(&net);
    return 0;
}

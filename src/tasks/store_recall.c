/* Store-recall working-memory task (seed 003 section 4.2.2, after Bellec et al. 2019).
 *
 * A sequence is n_symbols periods of symbol_ms steps. Every period shows one value 0..V-1 drawn
 * uniformly; in a period a command is shown with probability p_command, alternately "store" and
 * "recall" starting with "store" (sequences without any recall are redrawn). Each input (store,
 * recall, value 0, ..., value V-1) is a group of group_size Poisson neurons firing at rate_hz while
 * active. During every recall period the network must output the value shown at the last store:
 * the readout averaged over the recall period is classified (one window per recall).
 * Input channels: [store group][recall group][value 0 group]...[value V-1 group].
 * The Poisson spikes of period p of a sequence come from a random stream of their own, so any
 * range of steps can be generated alone (streamed batches, lsnn_task.streamed). */
#include <stdio.h>
#include <string.h>

#include "lsnn/task.h"
#include "core/rng_inline.h"

static lsnn_status lsnn__sr_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_store_recall_config *c = &cfg->store_recall;
    memset(out, 0, sizeof *out);
    out->n_in = (2 + c->n_values) * c->group_size;
    out->n_out = c->n_values;
    out->T = c->n_symbols * c->symbol_ms;
    out->max_windows = c->n_symbols;
    out->loss = lsnn_task_class_loss(cfg);
    out->metric = "accuracy";
    if ((long)c->n_symbols * c->symbol_ms > 10000000L)
        return lsnn_error(LSNN_ERR_CONFIG, "store_recall: sequence of %ld steps is too long",
                          (long)c->n_symbols * c->symbol_ms);
    return LSNN_OK;
}

/* Commands of one sequence: 0 none, 1 store, 2 recall. Returns the number of recalls. */
static int lsnn__sr_commands(lsnn_rng *rng, const lsnn_store_recall_config *c, int *cmd)
{
    int next = 1, recalls = 0;
    for (int p = 0; p < c->n_symbols; p++) {
        cmd[p] = 0;
        if (lsnn__rng_uniform(rng) < c->p_command) {
            cmd[p] = next;
            recalls += next == 2;
            next = next == 1 ? 2 : 1;
        }
    }
    return recalls;
}

static lsnn_status lsnn__sr_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                     uint64_t stream, uint64_t first, lsnn_batch *b)
{
    (void)state;
    const lsnn_store_recall_config *c = &cfg->store_recall;
    const int S = c->symbol_ms, P = c->n_symbols, G = c->group_size, V = c->n_values;
    const double p_spike = c->rate_hz * cfg->network.dt / 1000.0;
    int cmd[4096], val[4096];
    if (P > 4096)
        return lsnn_error(LSNN_ERR_CONFIG, "store_recall.n_symbols: at most 4096");
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * b->x_nt * b->n_in);
    const int x0 = b->x_t0, x1 = b->x_t0 + b->x_nt < b->T ? b->x_t0 + b->x_nt : b->T;
    for (int s = 0; s < b->B; s++) {
        lsnn_rng rng;
        lsnn_rng_derive(&rng, seed, 0x5703e, stream, first + (uint64_t)s);
        int tries = 0;
        while (lsnn__sr_commands(&rng, c, cmd) == 0) {
            if (++tries == 1000) { /* p_command tiny: place one store and one recall */
                memset(cmd, 0, sizeof(int) * P);
                cmd[0] = 1;
                cmd[P - 1] = 2;
                break;
            }
        }
        for (int p = 0; p < P; p++)
            val[p] = (int)lsnn_rng_below(&rng, (uint64_t)V);
        int stored = -1, nw = 0;
        for (int p = 0; p < P; p++) {
            if (cmd[p] == 1)
                stored = val[p];
            if (cmd[p] == 2) {
                lsnn_window *w = &b->windows[(size_t)s * b->max_windows + nw++];
                w->t0 = p * S;
                w->t1 = (p + 1) * S;
                w->label = stored;
            }
            if ((p + 1) * S <= x0 || p * S >= x1)
                continue;
            int groups[2] = {2 + val[p], cmd[p] ? cmd[p] - 1 : -1};
            lsnn_rng prng;
            lsnn_rng_derive(&prng, seed, 0x5703f, stream, ((first + (uint64_t)s) << 12) | (uint64_t)p);
            for (int gi = 0; gi < 2; gi++) {
                if (groups[gi] < 0)
                    continue;
                for (int t = p * S; t < (p + 1) * S; t++) {
                    if (t < x0 || t >= x1) { /* not held: draw the same numbers, store nothing */
                        for (int i = 0; i < G; i++)
                            (void)lsnn__rng_uniform(&prng);
                        continue;
                    }
                    lsnn_real *x = b->x + ((size_t)s * b->x_nt + (t - x0)) * b->n_in + groups[gi] * G;
                    for (int i = 0; i < G; i++)
                        x[i] = lsnn__rng_uniform(&prng) < p_spike ? 1 : 0;
                }
            }
        }
        b->n_windows[s] = nw;
    }
    lsnn_task_rate_targets(cfg, b);
    b->noise_key = lsnn_hash4(seed, 0x4015e, stream, first);
    return LSNN_OK;
}

/* "store", "recall", then "value 0", "value 1", ..., group_size channels each. */
static int lsnn__sr_input_groups(const lsnn_config *cfg, lsnn_task_input_group *out, int cap)
{
    const lsnn_store_recall_config *c = &cfg->store_recall;
    const int n = 2 + c->n_values;
    if (n > cap)
        return 0;
    for (int g = 0; g < n; g++) {
        if (g < 2)
            snprintf(out[g].name, sizeof out[g].name, "%s", g == 0 ? "store" : "recall");
        else
            snprintf(out[g].name, sizeof out[g].name, "value %d", g - 2);
        out[g].off = g * c->group_size;
        out[g].end = (g + 1) * c->group_size;
    }
    return n;
}

const lsnn_task lsnn_task_store_recall = {
    .name = "store_recall",
    .description = "store-recall working memory (seed 003 section 4.2.2)",
    .shape = lsnn__sr_shape,
    .open = NULL,
    .close = NULL,
    .generate = lsnn__sr_generate,
    .stream_size = NULL,
    .streamed = 1,
    .input_groups = lsnn__sr_input_groups,
};

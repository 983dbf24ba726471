/* Sub-populations, connection probabilities and weight signs of a network (lsnn/net_stats.h). */
#include <stdio.h>
#include <string.h>

#include "lsnn/net_stats.h"

static int group_of(const lsnn_net_stats *st, int input, int idx)
{
    for (int k = 0; k < st->n_groups; k++) {
        const lsnn_net_group *g = &st->group[k];
        if (!g->readout && g->input == input && idx >= g->off && idx < g->off + g->count)
            return k;
    }
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

static void make_groups(const lsnn_net *net, lsnn_net_stats *st)
{
    int ng = 0;
    st->n_input_groups = net->input_sign ? 2 : 1;
    for (int k = 0; k < st->n_input_groups; k++) {
        lsnn_net_group *x = &st->group[ng++];
        x->input = 1;
        x->sign = net->input_sign ? (k == 0 ? 1 : -1) : 0;
        snprintf(x->name, sizeof x->name, "%s", !net->input_sign ? "X" : k == 0 ? "X_E" : "X_I");
    }
    for (int i = 0; i < net->n_in; i++)
        st->group[input_group(net, i)].count++;
    for (int p = 0; p < net->n_pop; p++) {
        lsnn_net_group *q = &st->group[ng++];
        snprintf(q->name, sizeof q->name, "%s", net->pop[p].name);
        q->off = net->pop[p].off;
        q->count = net->pop[p].count;
        q->sign = net->pop[p].sign;
    }
    lsnn_net_group *Y = &st->group[ng++];
    snprintf(Y->name, sizeof Y->name, "Y");
    Y->readout = 1;
    Y->count = net->n_out;
    st->n_groups = ng;
}

void lsnn_net_stats_compute(const lsnn_net *net, lsnn_net_stats *st)
{
    memset(st, 0, sizeof *st);
    make_groups(net, st);
    const int ng = st->n_groups;
    for (int p = 0; p <= net->n_proj; p++) {
        const int ro = p == net->n_proj;
        const lsnn_projection *pr = ro ? NULL : &net->proj[p];
        const int n_src = ro ? net->n : pr->n_src, n_dst = ro ? net->n_out : pr->n_dst;
        const lsnn_real *w = ro ? net->w_out : pr->w;
        const uint8_t *mask = ro ? net->w_out_mask : pr->mask;
        st->full[p] = (size_t)n_src * n_dst;
        for (int i = 0; i < n_src; i++) {
            int input = !ro && pr->src_is_input;
            int src = input ? pr->src_off + i : ro ? i : pr->src_off + i;
            int s = input ? input_group(net, src) : group_of(st, 0, src);
            int sign = s >= 0 ? st->group[s].sign : 0;
            for (int j = 0; j < n_dst; j++) {
                int t = ro ? ng - 1 : group_of(st, 0, pr->dst_off + j);
                if (!ro && pr->no_self && !pr->src_is_input && src == pr->dst_off + j)
                    continue;
                if (ro && !lsnn_net_readout_possible(net, i, j)) /* across two directions */
                    continue;
                size_t k = (size_t)i * n_dst + j;
                int on = !mask || mask[k];
                st->active[p] += (size_t)on;
                if (s < 0 || t < 0)
                    continue;
                st->possible[s][t] += 1;
                if (!on)
                    continue;
                st->existing[s][t] += w[k] != 0;
                st->positive[s] += w[k] > 0;
                st->negative[s] += w[k] < 0;
                st->zero[s] += w[k] == 0;
                st->violations[s] += sign * w[k] < 0;
            }
        }
    }
}

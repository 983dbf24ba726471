/* The compressed-row index of masked projections (see lsnn/sparse.h). */
#include "lsnn/network.h"
#include "lsnn/sparse.h"

void lsnn_sparse_rebuild(lsnn_net *net)
{
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        lsnn_sparse *sp = &pr->sparse;
        sp->use = 0;
        sp->nnz = 0;
        if (!pr->mask || !sp->row)
            continue;
        /* The diagonal of a recurrent projection is never a synapse, whatever the mask says. */
        const int no_self = pr->no_self && !pr->src_is_input;
        int32_t k = 0;
        for (int i = 0; i < pr->n_src; i++) {
            sp->row[i] = k;
            const uint8_t *m = pr->mask + (size_t)i * pr->n_dst;
            const int self = no_self ? pr->src_off + i - pr->dst_off : -1;
            /* Branch-free compaction, as lsnn__nonzero: the mask is irregular. */
            for (int j = 0; j < pr->n_dst; j++) {
                sp->col[k] = j;
                k += m[j] != 0 && j != self;
            }
        }
        sp->row[pr->n_src] = k;
        sp->nnz = k;
        const double density = (double)k / ((double)pr->n_src * pr->n_dst);
        sp->use = net->sparse_mode == LSNN_SPARSE_ON ||
                  (net->sparse_mode == LSNN_SPARSE_AUTO && density < LSNN_SPARSE_THRESHOLD);
    }
}

void lsnn_net_set_sparse(lsnn_net *net, lsnn_sparse_mode mode)
{
    net->sparse_mode = mode;
    lsnn_sparse_rebuild(net);
}

/* A network as a NIR graph (lsnn/nir.h says what maps onto what). */
#include "lsnn/nir.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/neuron_alif.h"

static lsnn_nir_node *lsnn__nir_node(lsnn_nir_graph *g, const char *type, const char *fmt, ...)
{
    lsnn_nir_node *nodes = realloc(g->nodes, sizeof *nodes * (size_t)(g->n_nodes + 1));
    if (!nodes)
        return NULL;
    g->nodes = nodes;
    lsnn_nir_node *n = &nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->name, sizeof n->name, fmt, ap);
    va_end(ap);
    snprintf(n->type, sizeof n->type, "%s", type);
    return n;
}

/* A float parameter of (s0) or (s0, s1) values, zeroed; NULL when out of memory. */
static float *lsnn__nir_f(lsnn_nir_node *n, const char *name, int64_t s0, int64_t s1)
{
    lsnn_nir_array *a = &n->arr[n->n_arrays];
    float *f = calloc((size_t)s0 * (size_t)(s1 > 0 ? s1 : 1), sizeof *f);
    if (!f)
        return NULL;
    n->n_arrays++;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->ndim = s1 > 0 ? 2 : 1;
    a->shape[0] = s0;
    a->shape[1] = s1 > 0 ? s1 : 0;
    a->f = f;
    return f;
}

static lsnn_status lsnn__nir_shape(lsnn_nir_node *n, int64_t len)
{
    lsnn_nir_array *a = &n->arr[n->n_arrays];
    if (!(a->i = malloc(sizeof *a->i)))
        return lsnn_error(LSNN_ERR_NOMEM, "NIR export: out of memory");
    n->n_arrays++;
    snprintf(a->name, sizeof a->name, "shape");
    a->is_int = 1;
    a->ndim = 1;
    a->shape[0] = 1;
    a->i[0] = len;
    return LSNN_OK;
}

static void lsnn__nir_meta(lsnn_nir_node *n, const char *key, const char *fmt, ...)
{
    if (n->n_meta >= LSNN_NIR_MAX_META)
        return;
    snprintf(n->meta_key[n->n_meta], sizeof n->meta_key[0], "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->meta_val[n->n_meta], sizeof n->meta_val[0], fmt, ap);
    va_end(ap);
    n->n_meta++;
}

static lsnn_status lsnn__nir_edge(lsnn_nir_graph *g, const char *from, const char *to)
{
    char(*e)[2][LSNN_NIR_NAME] = realloc(g->edges, sizeof *e * (size_t)(g->n_edges + 1));
    if (!e)
        return lsnn_error(LSNN_ERR_NOMEM, "NIR export: out of memory");
    g->edges = e;
    snprintf(e[g->n_edges][0], LSNN_NIR_NAME, "%s", from);
    snprintf(e[g->n_edges][1], LSNN_NIR_NAME, "%s", to);
    g->n_edges++;
    return LSNN_OK;
}

#define LSNN__NOMEM lsnn_error(LSNN_ERR_NOMEM, "NIR export: out of memory")

/* Checks that population p is LIF and adds its node. */
static lsnn_status lsnn__nir_population(const lsnn_net *net, int p, lsnn_nir_graph *g,
                                        int *refractory)
{
    const lsnn_population *P = &net->pop[p];
    if (strcmp(P->model->name, "alif") != 0)
        return lsnn_error(LSNN_ERR_UNSUPPORTED,
                          "NIR export: population %s: neuron model '%s' has no NIR node (NIR "
                          "has LIF neurons: model alif with beta 0)",
                          P->name, P->model->name);
    const int c = P->count;
    const lsnn_real *tau = P->par + (size_t)LSNN_ALIF_TAU_M * c,
                    *beta = P->par + (size_t)LSNN_ALIF_BETA * c,
                    *b0 = P->par + (size_t)LSNN_ALIF_B0 * c,
                    *refr = P->par + (size_t)LSNN_ALIF_REFRACTORY * c;
    for (int i = 0; i < c; i++)
        if (beta[i] != 0)
            return lsnn_error(LSNN_ERR_UNSUPPORTED,
                              "NIR export: population %s: neuron %d has an adaptive threshold "
                              "(beta %g); NIR has no node for ALIF neurons (only LIF: beta 0)",
                              P->name, i, (double)beta[i]);
    lsnn_nir_node *n = lsnn__nir_node(g, "LIF", "%s", P->name);
    float *t = n ? lsnn__nir_f(n, "tau", c, 0) : NULL;
    float *r = t ? lsnn__nir_f(n, "r", c, 0) : NULL;
    float *vl = r ? lsnn__nir_f(n, "v_leak", c, 0) : NULL;
    float *vt = vl ? lsnn__nir_f(n, "v_threshold", c, 0) : NULL;
    float *vr = vt ? lsnn__nir_f(n, "v_reset", c, 0) : NULL;
    if (!vr)
        return LSNN__NOMEM;
    double rmin = INFINITY, rmax = 0;
    for (int i = 0; i < c; i++) {
        const double alpha = exp(-net->dt / (double)tau[i]);
        t[i] = (float)(tau[i] / 1000.0);
        r[i] = (float)(net->g_in[P->off + i] / (1 - alpha));
        vt[i] = (float)b0[i];
        rmin = fmin(rmin, refr[i]);
        rmax = fmax(rmax, refr[i]);
    }
    lsnn__nir_meta(n, "lsnn_dt", "%.9g", net->dt / 1000.0);
    lsnn__nir_meta(n, "lsnn_reset", "subtract: after a spike v -= v_threshold (NIR's LIF: "
                                    "v = v_reset)");
    if (rmax > 0) {
        lsnn__nir_meta(n, "lsnn_refractory_steps", rmin == rmax ? "%g" : "%g..%g", rmin, rmax);
        *refractory = 1;
    }
    return LSNN_OK;
}

/* The Linear (and Delay) nodes of projection pr between source node `from` (neurons or input
 * channels [s0, s0 + ns) of the projection's source range) and population D. */
static lsnn_status lsnn__nir_block(const lsnn_net *net, const lsnn_projection *pr,
                                   const char *from, int s0, int ns, const lsnn_population *D,
                                   lsnn_nir_graph *g)
{
    const int d0 = D->off - pr->dst_off, nd = D->count;
    int dmin = 0, dmax = 0;
    if (pr->delay) {
        dmin = 255;
        for (int i = s0; i < s0 + ns; i++)
            for (int j = d0; j < d0 + nd; j++) {
                const int d = pr->delay[(size_t)i * pr->n_dst + j];
                dmin = d < dmin ? d : dmin;
                dmax = d > dmax ? d : dmax;
            }
    }
    for (int d = dmin; d <= dmax; d++) {
        int any = !pr->delay;
        for (int i = s0; !any && i < s0 + ns; i++)
            for (int j = d0; !any && j < d0 + nd; j++)
                any = pr->delay[(size_t)i * pr->n_dst + j] == d;
        if (!any)
            continue;
        lsnn_nir_node *n = pr->delay ? lsnn__nir_node(g, "Linear", "%s.%s.%s.d%d", pr->name,
                                                      from, D->name, d)
                                     : lsnn__nir_node(g, "Linear", "%s.%s.%s", pr->name, from,
                                                      D->name);
        float *w = n ? lsnn__nir_f(n, "weight", nd, ns) : NULL;
        if (!w)
            return LSNN__NOMEM;
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < nd; j++) {
                const size_t k = (size_t)(s0 + i) * pr->n_dst + (size_t)(d0 + j);
                if (!pr->delay || pr->delay[k] == d)
                    w[(size_t)j * ns + i] = (float)pr->w[k];
            }
        char lin[LSNN_NIR_NAME];
        snprintf(lin, sizeof lin, "%s", n->name);
        lsnn_status st = lsnn__nir_edge(g, from, lin);
        if (st)
            return st;
        if (d > 1) {
            lsnn_nir_node *dn = lsnn__nir_node(g, "Delay", "%s.delay", lin);
            float *dl = dn ? lsnn__nir_f(dn, "delay", nd, 0) : NULL;
            if (!dl)
                return LSNN__NOMEM;
            for (int j = 0; j < nd; j++)
                dl[j] = (float)((d - 1) * net->dt / 1000.0);
            lsnn__nir_meta(dn, "lsnn_delay_steps", "%d", d);
            char dname[LSNN_NIR_NAME];
            snprintf(dname, sizeof dname, "%s", dn->name);
            if ((st = lsnn__nir_edge(g, lin, dname)) || (st = lsnn__nir_edge(g, dname, D->name)))
                return st;
        } else if ((st = lsnn__nir_edge(g, lin, D->name))) {
            return st;
        }
    }
    return LSNN_OK;
}

static lsnn_status lsnn__nir_projection(const lsnn_net *net, const lsnn_projection *pr,
                                        lsnn_nir_graph *g)
{
    for (int q = 0; q < net->n_pop; q++) {
        const lsnn_population *D = &net->pop[q];
        if (D->off < pr->dst_off || D->off + D->count > pr->dst_off + pr->n_dst)
            continue;
        lsnn_status st;
        if (pr->src_is_input) {
            if ((st = lsnn__nir_block(net, pr, "input", 0, pr->n_src, D, g)))
                return st;
            continue;
        }
        for (int p = 0; p < net->n_pop; p++) {
            const lsnn_population *S = &net->pop[p];
            if (S->off < pr->src_off || S->off + S->count > pr->src_off + pr->n_src)
                continue;
            if ((st = lsnn__nir_block(net, pr, S->name, S->off - pr->src_off, S->count, D, g)))
                return st;
        }
    }
    return LSNN_OK;
}

static lsnn_status lsnn__nir_readout(const lsnn_net *net, lsnn_nir_graph *g)
{
    const int n_out = net->n_out;
    lsnn_status st;
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *P = &net->pop[p];
        int reads = 0;
        for (int i = 0; i < P->count; i++)
            reads |= !net->readout_dir || net->readout_dir[P->off + i] >= 0;
        if (!reads)
            continue;
        lsnn_nir_node *n = lsnn__nir_node(g, "Linear", "w_out.%s", P->name);
        float *w = n ? lsnn__nir_f(n, "weight", n_out, P->count) : NULL;
        if (!w)
            return LSNN__NOMEM;
        for (int i = 0; i < P->count; i++)
            for (int k = 0; k < n_out; k++)
                w[(size_t)k * P->count + i] = (float)net->w_out[(size_t)(P->off + i) * n_out + k];
        char lin[LSNN_NIR_NAME];
        snprintf(lin, sizeof lin, "%s", n->name);
        if ((st = lsnn__nir_edge(g, P->name, lin)) || (st = lsnn__nir_edge(g, lin, "readout")))
            return st;
    }
    const double kappa = net->kappa, gain = net->readout_gain;
    lsnn_nir_node *n;
    if (kappa > 0) {
        n = lsnn__nir_node(g, "LI", "readout");
        float *t = n ? lsnn__nir_f(n, "tau", n_out, 0) : NULL;
        float *r = t ? lsnn__nir_f(n, "r", n_out, 0) : NULL;
        float *vl = r ? lsnn__nir_f(n, "v_leak", n_out, 0) : NULL;
        if (!vl)
            return LSNN__NOMEM;
        for (int k = 0; k < n_out; k++) {
            t[k] = (float)(-net->dt / log(kappa) / 1000.0);
            r[k] = (float)(gain / (1 - kappa));
            vl[k] = (float)net->b_out[k];
        }
    } else {
        n = lsnn__nir_node(g, "Affine", "readout");
        float *w = n ? lsnn__nir_f(n, "weight", n_out, n_out) : NULL;
        float *b = w ? lsnn__nir_f(n, "bias", n_out, 0) : NULL;
        if (!b)
            return LSNN__NOMEM;
        for (int k = 0; k < n_out; k++) {
            w[(size_t)k * n_out + k] = (float)gain;
            b[k] = (float)net->b_out[k];
        }
    }
    lsnn_nir_node *o = lsnn__nir_node(g, "Output", "output");
    if (!o)
        return LSNN__NOMEM;
    if ((st = lsnn__nir_shape(o, n_out)))
        return st;
    return lsnn__nir_edge(g, "readout", "output");
}

lsnn_status lsnn_nir_build(const lsnn_net *net, lsnn_nir_graph *g)
{
    memset(g, 0, sizeof *g);
    if (net->n_dirs != 1)
        return lsnn_error(LSNN_ERR_UNSUPPORTED, "NIR export: a bidirectional network reads its "
                                                "input backwards in time; NIR has no such node");
    lsnn_nir_node *in = lsnn__nir_node(g, "Input", "input");
    lsnn_status st = in ? lsnn__nir_shape(in, net->n_in) : LSNN__NOMEM;
    int refractory = 0;
    for (int p = 0; !st && p < net->n_pop; p++)
        st = lsnn__nir_population(net, p, g, &refractory);
    for (int q = 0; !st && q < net->n_proj; q++)
        st = lsnn__nir_projection(net, &net->proj[q], g);
    if (!st)
        st = lsnn__nir_readout(net, g);
    if (st) {
        lsnn_nir_free(g);
        return st;
    }
    snprintf(g->notes, sizeof g->notes,
             "lsnn's LIF neurons reset by subtracting the threshold (NIR's LIF resets to "
             "v_reset = 0; the same when the potential crosses the threshold by little)%s; "
             "time constants and delays are in seconds (dt = %g ms); synaptic delays of d "
             "steps are Delay nodes of d - 1 steps (a discrete simulation of a recurrent loop "
             "adds the first step itself). Each LIF node's metadata says so.",
             refractory ? "; their refractory period (metadata lsnn_refractory_steps) has no "
                          "NIR parameter: a NIR simulator lets them fire during it"
                        : "",
             net->dt);
    return LSNN_OK;
}

void lsnn_nir_free(lsnn_nir_graph *g)
{
    for (int k = 0; k < g->n_nodes; k++)
        for (int a = 0; a < g->nodes[k].n_arrays; a++) {
            free(g->nodes[k].arr[a].f);
            free(g->nodes[k].arr[a].i);
        }
    free(g->nodes);
    free(g->edges);
    memset(g, 0, sizeof *g);
}

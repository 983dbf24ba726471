/* Networks as graphs: populations and projections built into an lsnn_net (lsnn/network.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "net/graph_internal.h"

uint64_t lsnn__name_stream(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    return h | (1ULL << 63);
}

lsnn_graph *lsnn_graph_new(const lsnn_graph_opts *opts)
{
    lsnn_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->o = *opts;
    g->o.readout_from = NULL;
    if (opts->readout_from && opts->readout_from[0]) {
        g->readout_from = malloc(strlen(opts->readout_from) + 1);
        if (!g->readout_from) {
            free(g);
            return NULL;
        }
        strcpy(g->readout_from, opts->readout_from);
    }
    g->ro_stream = lsnn__name_stream("w_out");
    g->n_dirs = 1;
    return g;
}

void lsnn_graph_free(lsnn_graph *g)
{
    if (!g)
        return;
    for (int p = 0; p < g->n_pop; p++) {
        for (int k = 0; k < g->pop[p].model->n_params; k++)
            free((void *)g->pop[p].val[k].list);
        free(g->pop[p].val);
    }
    free(g->pop);
    free(g->proj);
    free(g->readout_from);
    free(g);
}

void lsnn__graph_pop_stream(lsnn_graph *g, uint64_t stream)
{
    g->pop[g->n_pop - 1].stream = stream;
}
void lsnn__graph_proj_stream(lsnn_graph *g, uint64_t stream)
{
    g->proj[g->n_proj - 1].stream = stream;
}
void lsnn__graph_proj_no_rewiring(lsnn_graph *g)
{
    g->proj[g->n_proj - 1].no_rewiring = 1;
}
void lsnn__graph_readout_stream(lsnn_graph *g, uint64_t stream)
{
    g->ro_stream = stream;
}
void lsnn__graph_set_dirs(lsnn_graph *g, int n_dirs)
{
    g->n_dirs = n_dirs;
}
void lsnn__graph_force_masks(lsnn_graph *g)
{
    g->force_masks = 1;
}

long long lsnn_graph_neurons(const lsnn_graph *g)
{
    long long n = 0;
    for (int p = 0; p < g->n_pop; p++)
        n += g->pop[p].count;
    return n;
}

/* Room for one more element in the array *a of *cap elements of `size` bytes, n used: 0 or -1. */
static int lsnn__grow(void **a, int *cap, int n, size_t size)
{
    if (n < *cap)
        return 0;
    const int c = *cap ? 2 * *cap : 8;
    void *na = realloc(*a, size * (size_t)c);
    if (!na)
        return -1;
    *a = na;
    *cap = c;
    return 0;
}

static int lsnn__find_pop(const lsnn_graph *g, const char *name, size_t len)
{
    for (int p = 0; p < g->n_pop; p++)
        if (strlen(g->pop[p].name) == len && strncmp(g->pop[p].name, name, len) == 0)
            return p;
    return -1;
}

static int lsnn__name_taken(const lsnn_graph *g, const char *name)
{
    static const char *const reserved[] = {"input", "w_out", "b_out", "noise_std", "input_sign",
                                           "neuron", "optim"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    if (lsnn__find_pop(g, name, strlen(name)) >= 0)
        return 1;
    for (int q = 0; q < g->n_proj; q++)
        if (strcmp(g->proj[q].name, name) == 0)
            return 1;
    return 0;
}

/* The populations named in "A+B+..." (any order): mark[p] = 1 for each (mark may be NULL), or
 * an error naming the first unknown one. */
static lsnn_status lsnn__mark_names(const lsnn_graph *g, const char *names, uint8_t *mark)
{
    for (const char *c = names; c && *c;) {
        const char *e = strchr(c, '+');
        const size_t len = e ? (size_t)(e - c) : strlen(c);
        const int p = lsnn__find_pop(g, c, len);
        if (p < 0)
            return lsnn_error(LSNN_ERR_CONFIG, "no population '%.*s'", (int)len, c);
        if (mark)
            mark[p] = 1;
        c = e ? e + 1 : c + len;
    }
    return LSNN_OK;
}

lsnn_status lsnn_graph_check_names(const lsnn_graph *g, const char *names)
{
    return lsnn__mark_names(g, names, NULL);
}

static lsnn_status lsnn__check_name(const lsnn_graph *g, const char *what, const char *name)
{
    if (!name || !name[0] || strlen(name) > LSNN_NAME_MAX - 4)
        return lsnn_error(LSNN_ERR_CONFIG, "%s: a name of 1 to %d characters is needed", what,
                          LSNN_NAME_MAX - 4);
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_'))
            return lsnn_error(LSNN_ERR_CONFIG, "%s '%s': names are letters, digits and '_'",
                              what, name);
    if (lsnn__name_taken(g, name))
        return lsnn_error(LSNN_ERR_CONFIG, "%s '%s': the name is taken (by another population "
                                           "or projection, or reserved)", what, name);
    return LSNN_OK;
}

static lsnn_status lsnn__check_value(const lsnn_neuron_param *pp, const char *pop, double x)
{
    const char *why = lsnn_neuron_param_check(pp, x);
    char allowed[96];
    lsnn_neuron_param_allowed(pp, allowed, sizeof allowed);
    if (why)
        return lsnn_error(LSNN_ERR_CONFIG, "population '%s': %s = %g: %s (allowed: %s)", pop,
                          pp->name, x, why, allowed);
    return LSNN_OK;
}

lsnn_status lsnn_graph_add_population(lsnn_graph *g, const lsnn_population_spec *p)
{
    lsnn_status st = lsnn__check_name(g, "population", p->name);
    if (st)
        return st;
    const lsnn_neuron_model *m = p->model ? p->model : lsnn_neuron_model_find("alif");
    if (p->count < 1 || p->count > 1000000)
        return lsnn_error(LSNN_ERR_CONFIG, "population '%s': count must be in 1..1000000, got %d",
                          p->name, p->count);
    if (!(p->noise_std >= 0 && isfinite(p->noise_std)))
        return lsnn_error(LSNN_ERR_CONFIG, "population '%s': noise_std must be finite and >= 0",
                          p->name);
    if (!(p->exc_fraction >= 0 && p->exc_fraction <= 1))
        return lsnn_error(LSNN_ERR_CONFIG, "population '%s': exc_fraction must be in [0, 1]",
                          p->name);
    if (lsnn__grow((void **)&g->pop, &g->cap_pop, g->n_pop, sizeof *g->pop))
        return lsnn_error(LSNN_ERR_NOMEM, "graph: out of memory");
    g_pop *P = &g->pop[g->n_pop];
    memset(P, 0, sizeof *P);
    snprintf(P->name, sizeof P->name, "%s", p->name);
    P->model = m;
    P->count = p->count;
    P->sign = p->sign;
    P->exc_fraction = p->exc_fraction;
    P->keep_unsigned = p->keep_unsigned;
    P->noise_std = p->noise_std;
    P->stream = lsnn__name_stream(p->name);
    P->val = calloc((size_t)(m->n_params > 0 ? m->n_params : 1), sizeof *P->val);
    if (!P->val)
        return lsnn_error(LSNN_ERR_NOMEM, "graph: out of memory");
    for (int k = 0; k < m->n_params; k++)
        P->val[k] = (lsnn_value){LSNN_VALUE_CONST, m->params[k].def, 0, NULL, 0};
    for (int v = 0; v < p->n_values && !st; v++) {
        const int k = lsnn_neuron_param_index(m, p->value_names[v]);
        const lsnn_value *x = &p->values[v];
        const lsnn_neuron_param *pp = k >= 0 ? &m->params[k] : NULL;
        if (!pp) {
            st = lsnn_error(LSNN_ERR_CONFIG, "population '%s': the %s model has no parameter '%s'",
                            p->name, m->name, p->value_names[v]);
            break;
        }
        if (x->kind == LSNN_VALUE_CONST) {
            st = lsnn__check_value(pp, p->name, x->a);
        } else if (x->kind == LSNN_VALUE_UNIFORM) {
            st = lsnn__check_value(pp, p->name, x->a);
            if (!st)
                st = lsnn__check_value(pp, p->name, x->b);
            if (!st && !(x->a <= x->b))
                st = lsnn_error(LSNN_ERR_CONFIG, "population '%s': %s: uniform(low, high) needs "
                                                 "low <= high, got %g, %g",
                                p->name, pp->name, x->a, x->b);
        } else if (x->kind == LSNN_VALUE_LIST) {
            if (x->n_list != p->count)
                st = lsnn_error(LSNN_ERR_CONFIG, "population '%s': %s: a list of %d values for "
                                                 "%d neurons",
                                p->name, pp->name, x->n_list, p->count);
            for (int i = 0; !st && i < x->n_list; i++)
                st = lsnn__check_value(pp, p->name, x->list[i]);
        } else {
            st = lsnn_error(LSNN_ERR_CONFIG, "population '%s': %s: unknown value kind", p->name,
                            pp->name);
        }
        if (st)
            break;
        free((void *)P->val[k].list);
        P->val[k] = *x;
        if (x->kind == LSNN_VALUE_LIST) {
            double *copy = malloc(sizeof(double) * (size_t)x->n_list);
            if (!copy) {
                P->val[k].list = NULL;
                st = lsnn_error(LSNN_ERR_NOMEM, "graph: out of memory");
                break;
            }
            memcpy(copy, x->list, sizeof(double) * (size_t)x->n_list);
            P->val[k].list = copy;
        }
    }
    if (st) {
        for (int k = 0; k < m->n_params; k++)
            free((void *)P->val[k].list);
        free(P->val);
        return st;
    }
    g->n_pop++;
    return LSNN_OK;
}

/* Parses "A+B+C" into the population range [*lo, *hi] (consecutive populations). */
static lsnn_status lsnn__parse_ends(const lsnn_graph *g, const char *proj, const char *what,
                                    const char *s, int *lo, int *hi)
{
    *lo = *hi = -1;
    if (!s || !s[0])
        return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': %s: no population named", proj, what);
    const char *c = s;
    for (;;) {
        const char *e = strchr(c, '+');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        int p = lsnn__find_pop(g, c, len);
        if (p < 0)
            return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': %s: no population '%.*s' (add "
                                               "populations before the projections that use them)",
                              proj, what, (int)len, c);
        if (*lo >= 0 && p != *hi + 1)
            return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': %s '%s': the populations must "
                                               "be consecutive, in their order",
                              proj, what, s);
        if (*lo < 0)
            *lo = p;
        *hi = p;
        if (!e)
            break;
        c = e + 1;
    }
    return LSNN_OK;
}

lsnn_status lsnn_graph_add_projection(lsnn_graph *g, const lsnn_projection_spec *p)
{
    lsnn_status st = lsnn__check_name(g, "projection", p->name);
    if (st)
        return st;
    g_proj q;
    memset(&q, 0, sizeof q);
    snprintf(q.name, sizeof q.name, "%s", p->name);
    q.from_input = p->from && strcmp(p->from, "input") == 0;
    if (q.from_input) {
        q.in_off = p->in_off;
        q.in_count = p->in_count;
        if (p->in_off < 0 || p->in_count < 0)
            return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': input channels: negative range",
                              p->name);
    } else if ((st = lsnn__parse_ends(g, p->name, "from", p->from, &q.src0, &q.src1))) {
        return st;
    }
    if ((st = lsnn__parse_ends(g, p->name, "to", p->to, &q.dst0, &q.dst1)))
        return st;
    if (p->min_delay < 0 || p->max_delay > 255 || p->min_delay > p->max_delay)
        return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': delays %d..%d: need 0 <= min <= "
                                           "max <= 255",
                          p->name, p->min_delay, p->max_delay);
    if (p->min_delay == 0 && (q.from_input || p->max_delay != 0))
        return lsnn_error(LSNN_ERR_CONFIG,
                          "projection '%s': delay 0 is only for a feed-forward projection between "
                          "populations (min = max = 0); input and recurrent delays are >= 1",
                          p->name);
    if (p->max_delay == 0 && !(q.dst0 > q.src1))
        return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': a delay-0 (same step) projection "
                                           "needs its targets after its sources in the "
                                           "population order",
                          p->name);
    q.min_delay = p->min_delay;
    q.max_delay = p->max_delay;
    q.no_self = p->no_self && !q.from_input;
    q.frozen = p->frozen;
    q.connectivity = p->connectivity == 0 ? 1 : p->connectivity;
    if (!(q.connectivity > 0 && q.connectivity <= 1))
        return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': connectivity must be in (0, 1]",
                          p->name);
    if (!isfinite(p->w0))
        return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': w0 must be finite", p->name);
    q.w0 = p->w0;
    q.stream = lsnn__name_stream(p->name);
    if (lsnn__grow((void **)&g->proj, &g->cap_proj, g->n_proj, sizeof *g->proj))
        return lsnn_error(LSNN_ERR_NOMEM, "graph: out of memory");
    g->proj[g->n_proj++] = q;
    return LSNN_OK;
}
/* ---- Building ---------------------------------------------------------------------------- */

/* What the build derives from the graph before allocating. */
typedef struct g_plan {
    int n_in, n_out, n, n_net_pop, n_layers, masks, n_last;
    int *n_exc;     /* (n_pop) excitatory neurons of a split population, -1: not split */
    int *layer;     /* (n_pop) */
    int *off;       /* (n_pop) first neuron */
    uint8_t *read;  /* (n_pop) read by the readout */
} g_plan;

static void lsnn__plan_free(g_plan *pl)
{
    free(pl->n_exc);
    free(pl->layer);
    free(pl->off);
    free(pl->read);
}

static lsnn_status lsnn__plan(const lsnn_graph *g, g_plan *pl, int n_in, int n_out,
                              uint64_t seed)
{
    const int P = g->n_pop, signed_init = g->o.init == LSNN_INIT_SIGNED;
    memset(pl, 0, sizeof *pl);
    pl->n_in = n_in;
    pl->n_out = n_out;
    if (P < 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network: no populations");
    if (n_in < 1 || n_out < 1)
        return lsnn_error(LSNN_ERR_ARG, "network: the task needs >= 1 input and output");
    if (g->n_proj > LSNN_MAX_PROJ)
        return lsnn_error(LSNN_ERR_CONFIG, "network: %d projections, at most %d", g->n_proj,
                          LSNN_MAX_PROJ);
    pl->n_exc = malloc(sizeof(int) * (size_t)P);
    pl->layer = malloc(sizeof(int) * (size_t)P);
    pl->off = malloc(sizeof(int) * (size_t)P);
    pl->read = calloc((size_t)P, 1);
    if (!pl->n_exc || !pl->layer || !pl->off || !pl->read)
        return lsnn_error(LSNN_ERR_NOMEM, "network: out of memory");
    long long n = 0;
    for (int p = 0; p < P; p++) {
        const g_pop *G = &g->pop[p];
        pl->off[p] = (int)n;
        n += G->count;
        pl->n_exc[p] = -1;
        if (signed_init && G->sign == LSNN_SIGN_NONE && !G->keep_unsigned) {
            /* One Bernoulli draw per neuron; neurons of a population are exchangeable, so
             * grouping the excitatory ones first changes nothing but their order. */
            lsnn_rng rng;
            lsnn_rng_derive(&rng, seed, 0x5167, G->stream, 0);
            int k = 0;
            for (int i = 0; i < G->count; i++)
                k += lsnn_rng_uniform(&rng) < G->exc_fraction;
            pl->n_exc[p] = k;
        }
        pl->n_net_pop += pl->n_exc[p] < 0 ? 1 : (pl->n_exc[p] > 0) + (G->count - pl->n_exc[p] > 0);
        /* Layer: that of the population before, or one above the sources of a same-step
         * projection into this population. */
        int L = p ? pl->layer[p - 1] : 0;
        for (int q = 0; q < g->n_proj; q++) {
            const g_proj *Q = &g->proj[q];
            if (Q->from_input || Q->max_delay != 0 || p < Q->dst0 || p > Q->dst1)
                continue;
            if (pl->layer[Q->src0] != pl->layer[Q->src1])
                return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': the sources of a delay-0 "
                                                   "projection must be in one layer",
                                  Q->name);
            if (pl->layer[Q->src1] + 1 > L)
                L = pl->layer[Q->src1] + 1;
        }
        pl->layer[p] = L;
    }
    if (n > 1000000)
        return lsnn_error(LSNN_ERR_CONFIG, "network: %lld neurons, at most 1000000", n);
    if (pl->n_net_pop > LSNN_MAX_POP)
        return lsnn_error(LSNN_ERR_CONFIG, "network: %d populations, at most %d", pl->n_net_pop,
                          LSNN_MAX_POP);
    pl->n = (int)n;
    pl->n_layers = pl->layer[P - 1] + 1;
    for (int p = 0; p < P; p++)
        if (pl->layer[p] == pl->n_layers - 1)
            pl->n_last += g->pop[p].count;
    for (int q = 0; q < g->n_proj; q++) {
        const g_proj *Q = &g->proj[q];
        const int cnt = Q->in_count ? Q->in_count : n_in - Q->in_off;
        if (Q->from_input && (cnt < 1 || Q->in_off + cnt > n_in))
            return lsnn_error(LSNN_ERR_CONFIG, "projection '%s': input channels %d..%d, but the "
                                               "task has %d",
                              Q->name, Q->in_off, Q->in_off + cnt - 1, n_in);
    }
    if (!g->readout_from)
        memset(pl->read, 1, (size_t)P);
    else if (lsnn__mark_names(g, g->readout_from, pl->read))
        return lsnn_error(LSNN_ERR_CONFIG, "network.readout_from: %s", lsnn_last_error());
    int any_sparse = g->o.global_connectivity > 0 ||
                     (g->o.readout_connectivity > 0 && g->o.readout_connectivity < 1);
    for (int q = 0; q < g->n_proj; q++)
        any_sparse |= g->proj[q].connectivity < 1;
    pl->masks = any_sparse || g->force_masks || g->readout_from;
    const int rate = g->o.readout == LSNN_READOUT_RATE;
    if (rate && g->readout_from)
        return lsnn_error(LSNN_ERR_CONFIG, "network.readout_from: the rate readout reads the "
                                           "last groups of neurons; readout_from is for the "
                                           "linear readout");
    if (rate) {
        if (g->n_dirs > 1 || g->o.global_connectivity > 0)
            return lsnn_error(LSNN_ERR_CONFIG, "network.readout: the rate readout needs one "
                                               "direction and no global connectivity level");
        if (g->o.rate_group < 1 || (long long)g->o.rate_group * n_out > pl->n_last)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "network.rate_group: %d outputs x %d neurons per group do not fit "
                              "in the %d neurons of the last layer",
                              n_out, g->o.rate_group, pl->n_last);
    } else if (g->o.readout != LSNN_READOUT_LINEAR) {
        return lsnn_error(LSNN_ERR_CONFIG, "network.readout: unknown readout %d",
                          (int)g->o.readout);
    }
    if (g->o.init != LSNN_INIT_SIGNED && g->o.init != LSNN_INIT_GAUSSIAN)
        return lsnn_error(LSNN_ERR_CONFIG, "network.init: unknown initialisation %d",
                          (int)g->o.init);
    if (g->o.global_connectivity < 0 || g->o.global_connectivity > 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network: the global connectivity must be in [0, 1]");
    return LSNN_OK;
}

/* Populations of the network made from spec population p: 1, or 2 when split (r = 0: the
 * excitatory part when it is not empty). */
static int lsnn__parts(const lsnn_graph *g, const g_plan *pl, int p)
{
    return pl->n_exc[p] < 0 ? 1 : (pl->n_exc[p] > 0) + (g->pop[p].count - pl->n_exc[p] > 0);
}

/* Count, offset within the spec population, and sign of part r of spec population p. */
static int lsnn__part(const lsnn_graph *g, const g_plan *pl, int p, int r, int *within,
                      lsnn_sign *sign)
{
    const int ne = pl->n_exc[p], cnt = g->pop[p].count;
    if (ne < 0) {
        *within = 0;
        *sign = g->pop[p].sign;
        return cnt;
    }
    if (r == 0 && ne > 0) {
        *within = 0;
        *sign = LSNN_SIGN_EXC;
        return ne;
    }
    *within = ne;
    *sign = LSNN_SIGN_INH;
    return cnt - ne;
}

/* Source and target ranges of projection q. */
static void lsnn__ranges(const lsnn_graph *g, const g_plan *pl, int q, int *src_off, int *n_src,
                         int *dst_off, int *n_dst)
{
    const g_proj *Q = &g->proj[q];
    if (Q->from_input) {
        *src_off = Q->in_off;
        *n_src = Q->in_count ? Q->in_count : pl->n_in - Q->in_off;
    } else {
        *src_off = pl->off[Q->src0];
        *n_src = pl->off[Q->src1] + g->pop[Q->src1].count - *src_off;
    }
    *dst_off = pl->off[Q->dst0];
    *n_dst = pl->off[Q->dst1] + g->pop[Q->dst1].count - *dst_off;
}

/* Lays out every array of the network in one arena (measuring when a->base is NULL). */
static void lsnn__layout(lsnn_net *net, lsnn__arena *a, const lsnn_graph *g, const g_plan *pl)
{
    const int n = pl->n;
    lsnn_population *pop = lsnn__take(a, sizeof(lsnn_population) * (size_t)pl->n_net_pop);
    lsnn_projection *proj = lsnn__take(a, sizeof(lsnn_projection) * (size_t)(g->n_proj + 1));
    if (a->base) {
        net->pop = pop;
        net->proj = proj;
    }
    net->g_in = lsnn__take(a, sizeof(lsnn_real) * n);
    net->adaptive = lsnn__take(a, (size_t)n);
    net->params = lsnn__take(a, sizeof(lsnn_real) * net->n_params);
    for (int p = 0, q = 0; p < g->n_pop; p++)
        for (int r = 0; r < lsnn__parts(g, pl, p); r++, q++) {
            const lsnn_neuron_model *m = g->pop[p].model;
            int within;
            lsnn_sign sg;
            const int cnt = lsnn__part(g, pl, p, r, &within, &sg);
            lsnn_real *par = lsnn__take(a, sizeof(lsnn_real) * ((size_t)m->n_params * cnt + 1));
            void *k = lsnn__take(a, m->consts_size(cnt));
            if (a->base) {
                net->pop[q].par = par;
                net->pop[q].consts = k;
            }
        }
    for (int q = 0; q < g->n_proj; q++) {
        const g_proj *Q = &g->proj[q];
        int so, ns, dof, nd;
        lsnn__ranges(g, pl, q, &so, &ns, &dof, &nd);
        const size_t sz = (size_t)ns * nd;
        const int has_delay = !(Q->min_delay == Q->max_delay && Q->max_delay <= 1);
        uint8_t *delay = has_delay ? lsnn__take(a, sz) : NULL;
        uint8_t *mask = pl->masks ? lsnn__take(a, sz) : NULL;
        /* The sparse index (lsnn/sparse.h) at its largest: every position a synapse. */
        const int indexed = pl->masks && sz <= INT32_MAX;
        int32_t *row = indexed ? lsnn__take(a, sizeof(int32_t) * ((size_t)ns + 1)) : NULL;
        int32_t *col = indexed ? lsnn__take(a, sizeof(int32_t) * sz) : NULL;
        if (a->base) {
            lsnn_projection *pr = &net->proj[q];
            pr->delay = delay;
            pr->mask = mask;
            pr->sparse.row = row;
            pr->sparse.col = col;
        }
    }
    net->w_out_mask = pl->masks ? lsnn__take(a, (size_t)n * pl->n_out) : NULL;
    net->sign = lsnn__take(a, (size_t)n);
    net->readout_dir = lsnn__take(a, (size_t)n);
    net->input_sign = g->o.init == LSNN_INIT_SIGNED ? lsnn__take(a, (size_t)pl->n_in) : NULL;
}

/* The values of parameter k of spec population p, for its neurons [within, within + cnt). */
static void lsnn__fill_values(const g_pop *G, int k, uint64_t seed, int within, int cnt,
                              lsnn_real *out)
{
    const lsnn_value *v = &G->val[k];
    const int integer = G->model->params[k].integer;
    lsnn_rng rng;
    if (v->kind == LSNN_VALUE_UNIFORM)
        lsnn_rng_derive(&rng, seed, 0x7a12, G->stream, (uint64_t)k);
    for (int i = 0; i < within + cnt; i++) {
        double x = v->a;
        if (v->kind == LSNN_VALUE_UNIFORM)
            x = integer ? v->a + (double)lsnn_rng_below(&rng, (uint64_t)(v->b - v->a) + 1)
                        : v->a + (v->b - v->a) * lsnn_rng_uniform(&rng);
        else if (v->kind == LSNN_VALUE_LIST)
            x = v->list[i];
        if (i >= within)
            out[i - within] = (lsnn_real)x;
    }
}

/* Populations, projections, parameters and signs of the network from the graph and the plan. */
static void lsnn__fill(lsnn_net *net, const lsnn_graph *g, const g_plan *pl, uint64_t seed)
{
    for (int p = 0, q = 0; p < g->n_pop; p++) {
        const g_pop *G = &g->pop[p];
        for (int r = 0; r < lsnn__parts(g, pl, p); r++, q++) {
            lsnn_population *P = &net->pop[q];
            int within;
            P->count = lsnn__part(g, pl, p, r, &within, &P->sign);
            P->off = pl->off[p] + within;
            P->model = G->model;
            P->layer = pl->layer[p];
            /* names are at most LSNN_NAME_MAX - 4 characters (lsnn__check_name) */
            const size_t len = strlen(G->name);
            memcpy(P->name, G->name, len + 1);
            if (pl->n_exc[p] >= 0) {
                P->name[len] = '_';
                P->name[len + 1] = P->sign == LSNN_SIGN_EXC ? 'E' : 'I';
                P->name[len + 2] = 0;
            }
            for (int k = 0; k < G->model->n_params; k++)
                lsnn__fill_values(G, k, seed, within, P->count, P->par + (size_t)k * P->count);
            for (int j = P->off; j < P->off + P->count; j++) {
                net->noise_std[j] = (lsnn_real)G->noise_std;
                net->sign[j] = (int8_t)P->sign;
                net->readout_dir[j] = -1;
                if (pl->read[p])
                    net->readout_dir[j] = (int8_t)(net->n_dirs < 2 ? 0 : j / (net->n / net->n_dirs));
            }
        }
    }
    for (int q = 0; q < g->n_proj; q++) {
        const g_proj *Q = &g->proj[q];
        lsnn_projection *pr = &net->proj[q];
        snprintf(pr->name, sizeof pr->name, "%s", Q->name);
        pr->src_is_input = Q->from_input;
        lsnn__ranges(g, pl, q, &pr->src_off, &pr->n_src, &pr->dst_off, &pr->n_dst);
        pr->min_delay = Q->min_delay;
        pr->max_delay = Q->max_delay;
        pr->src_layer = Q->from_input ? -1 : pl->layer[Q->src0];
        pr->dst_layer = pl->layer[Q->dst0];
        pr->no_self = Q->no_self;
        pr->frozen = Q->frozen;
        pr->no_rewiring = Q->no_rewiring;
        if (net->max_delay < pr->max_delay)
            net->max_delay = pr->max_delay;
    }
    if (net->input_sign) {
        /* Exactly round(fraction * n_in) excitatory channels, chosen uniformly. */
        lsnn__select sel;
        lsnn_rng_derive(&sel.rng, seed, 0x5167, 2, 0);
        sel.left_pos = (uint64_t)net->n_in;
        sel.left_pick = (uint64_t)llround(g->o.input_exc_fraction * net->n_in);
        for (int i = 0; i < net->n_in; i++)
            net->input_sign[i] = lsnn__select_next(&sel) ? 1 : -1;
    }
}

lsnn_status lsnn_graph_build(const lsnn_graph *g, lsnn_net *net, int n_in, int n_out,
                             uint64_t seed)
{
    memset(net, 0, sizeof *net);
    g_plan pl;
    lsnn_status st = lsnn__plan(g, &pl, n_in, n_out, seed);
    if (st) {
        lsnn__plan_free(&pl);
        return st;
    }
    net->n_in = n_in;
    net->n = pl.n;
    net->n_out = n_out;
    net->n_pop = pl.n_net_pop;
    net->n_proj = g->n_proj;
    net->n_layers = pl.n_layers;
    net->n_dirs = g->n_dirs;
    net->dt = g->o.dt;
    net->input_plain = g->o.input_plain != 0;
    net->psi_from_spike = g->o.psi_from_spike != 0;
    net->stdp_psi_positive = g->o.stdp_psi_positive != 0;
    net->reset_grad = 1;
    net->gamma = (lsnn_real)g->o.gamma;
    net->kappa = g->o.readout_tau > 0 ? (lsnn_real)exp(-g->o.dt / g->o.readout_tau) : 0;
    net->train_noise = g->o.train_noise;
    net->noise_draw = g->o.noise_draw;
    net->sparse_mode = g->o.sparse_mode;
    size_t off = 0;
    for (int q = 0; q < g->n_proj; q++) {
        int so, ns, dof, nd;
        lsnn__ranges(g, &pl, q, &so, &ns, &dof, &nd);
        off += (size_t)ns * nd;
    }
    net->n_params = off + (size_t)pl.n * n_out + n_out + pl.n;
    lsnn__arena a = {0};
    lsnn__layout(net, &a, g, &pl);
    a.base = calloc(1, a.used + 64);
    if (!a.base) {
        lsnn__plan_free(&pl);
        return lsnn_error(LSNN_ERR_NOMEM, "network: cannot allocate %zu bytes", a.used);
    }
    net->mem = a.base;
    a.used = 0;
    lsnn__layout(net, &a, g, &pl);
    /* the weights of the projections in order, then W_out, b_out, the noise std */
    off = 0;
    for (int q = 0; q < g->n_proj; q++) {
        int so, ns, dof, nd;
        lsnn__ranges(g, &pl, q, &so, &ns, &dof, &nd);
        net->proj[q].param_off = off;
        net->proj[q].w = net->params + off;
        off += (size_t)ns * nd;
    }
    net->w_out = net->params + off;
    net->b_out = net->w_out + (size_t)pl.n * n_out;
    net->noise_std = net->b_out + n_out;
    lsnn__fill(net, g, &pl, seed);
    lsnn__plan_free(&pl);
    lsnn_net_update_constants(net);
    if (net->w_out_mask)
        lsnn__init_masks(net, g, seed);
    st = lsnn__init_weights(net, g, seed);
    if (st) {
        lsnn_net_free(net);
        return st;
    }
    net->readout_gain = g->o.readout_gain == LSNN_GAIN_NONE ? 1 : 1 - net->kappa;
    if (g->o.readout == LSNN_READOUT_RATE) {
        net->rate_group = g->o.rate_group;
        net->readout_frozen = 1;
        net->kappa = 0;
        net->readout_gain = 1;
        lsnn_net_rate_readout(net, net->w_out, net->w_out_mask);
        for (int k = 0; k < n_out; k++)
            net->b_out[k] = 0;
    }
    lsnn_net_apply_masks(net);
    return LSNN_OK;
}

/* Networks: the recipe that expands a lsnn_net_spec into a graph (net/graph.c), and what is
 * asked of a built network (see lsnn/network.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/graph_internal.h"

int lsnn_net_readout_possible(const lsnn_net *net, int j, int k)
{
    const int d = net->readout_dir[j];
    return d >= 0 && (net->n_dirs < 2 || d == k / (net->n_out / net->n_dirs));
}

void lsnn_net_update_constants(lsnn_net *net)
{
    lsnn_sparse_rebuild(net);
    const lsnn_neuron_opts o = {.dt = net->dt,
                                .plain_input = net->input_plain,
                                .psi_from_spike = net->psi_from_spike,
                                .stdp_psi_positive = net->stdp_psi_positive,
                                .reset_grad = net->reset_grad};
    for (int p = 0; p < net->n_pop; p++) {
        lsnn_population *P = &net->pop[p];
        P->model->derive(P->consts, P->count, P->par, &o, net->g_in + P->off,
                         net->adaptive + P->off);
    }
}

int lsnn_net_pop_of(const lsnn_net *net, int j)
{
    for (int p = 0; p < net->n_pop; p++)
        if (j >= net->pop[p].off && j < net->pop[p].off + net->pop[p].count)
            return p;
    return -1;
}

lsnn_real *lsnn_net_param(const lsnn_net *net, int j, const char *name)
{
    const int p = lsnn_net_pop_of(net, j);
    if (p < 0)
        return NULL;
    const lsnn_population *P = &net->pop[p];
    const int k = lsnn_neuron_param_index(P->model, name);
    return k < 0 ? NULL : &P->par[(size_t)k * P->count + (j - P->off)];
}

/* Sign of source i of projection pr (Dale's law): the input channel's or the neuron's. */
static lsnn_sign lsnn__src_sign(const lsnn_net *net, const lsnn_projection *pr, int i)
{
    if (pr->src_is_input)
        return net->input_sign ? (lsnn_sign)net->input_sign[pr->src_off + i] : LSNN_SIGN_NONE;
    return (lsnn_sign)net->sign[pr->src_off + i];
}

/* ---- The recipe --------------------------------------------------------------------------- */

/* Parameter values of a recipe population: those of the five ALIF-family names its model has. */
typedef struct recipe_values {
    const char *names[8];
    lsnn_value values[8];
    int n;
} recipe_values;

static void lsnn__rv(recipe_values *rv, const lsnn_neuron_model *m, const char *name, double x)
{
    if (lsnn_neuron_param_index(m, name) < 0)
        return;
    rv->names[rv->n] = name;
    rv->values[rv->n++] = (lsnn_value){LSNN_VALUE_CONST, x, 0, NULL, 0};
}

static lsnn_status lsnn__recipe_pop(lsnn_graph *g, const lsnn_net_spec *cfg, const char *name,
                                    int count, lsnn_sign sign, int adaptive, uint64_t stream,
                                    const lsnn_neuron_model *m)
{
    recipe_values rv = {.n = 0};
    lsnn__rv(&rv, m, "tau_m", cfg->tau_m);
    lsnn__rv(&rv, m, "tau_a", cfg->tau_a);
    lsnn__rv(&rv, m, "beta", adaptive ? cfg->beta : 0);
    lsnn__rv(&rv, m, "b0", cfg->b0);
    lsnn__rv(&rv, m, "refractory", cfg->refractory);
    const lsnn_population_spec ps = {name, m, count, sign, rv.n, rv.names, rv.values,
                                     cfg->noise_std, cfg->exc_fraction, 0};
    if (count < 1)
        return LSNN_OK; /* an empty population of the recipe is left out */
    lsnn_status st = lsnn_graph_add_population(g, &ps);
    if (!st)
        lsnn__graph_pop_stream(g, stream);
    return st;
}

static lsnn_status lsnn__recipe_proj(lsnn_graph *g, const char *name, const char *from,
                                     int in_off, int in_count, const char *to, int max_delay,
                                     int no_self, int frozen, double connectivity, double w0,
                                     uint64_t stream)
{
    const lsnn_projection_spec ps = {name, from, in_off, in_count, to, max_delay ? 1 : 0,
                                     max_delay, no_self, frozen, connectivity, w0};
    lsnn_status st = lsnn_graph_add_projection(g, &ps);
    if (!st)
        lsnn__graph_proj_stream(g, stream);
    return st;
}

/* Parameter `name` of neuron j of network mod, or `fallback` when its model has none. */
static double lsnn__mod_value(const lsnn_net *mod, int j, const char *name, double fallback)
{
    for (int p = 0; p < mod->n_pop; p++) {
        const lsnn_population *P = &mod->pop[p];
        if (j < P->off || j >= P->off + P->count)
            continue;
        int k = lsnn_neuron_param_index(P->model, name);
        return k < 0 ? fallback : (double)P->par[(size_t)k * P->count + (j - P->off)];
    }
    return fallback;
}

/* The embedded module's populations: M_in (mod->n_in LIF neurons with the parameters of cfg, or
 * with cfg->module_input_from_module those of mod's first neuron) and M (mod's neurons with their
 * own parameters, listed per neuron). */
static lsnn_status lsnn__module_pops(lsnn_graph *g, const lsnn_net_spec *cfg,
                                     const lsnn_neuron_model *m, const lsnn_net *mod)
{
    const int from = cfg->module_input_from_module;
    recipe_values rv = {.n = 0};
    lsnn__rv(&rv, m, "tau_m", from ? lsnn__mod_value(mod, 0, "tau_m", cfg->tau_m) : cfg->tau_m);
    lsnn__rv(&rv, m, "tau_a", cfg->tau_a);
    lsnn__rv(&rv, m, "beta", 0);
    lsnn__rv(&rv, m, "b0", from ? lsnn__mod_value(mod, 0, "b0", cfg->b0) : cfg->b0);
    lsnn__rv(&rv, m, "refractory",
             from ? lsnn__mod_value(mod, 0, "refractory", cfg->refractory) : cfg->refractory);
    lsnn_population_spec ps = {"M_in", m, mod->n_in, LSNN_SIGN_NONE, rv.n, rv.names, rv.values,
                               cfg->noise_std, cfg->exc_fraction, 1};
    lsnn_status st = lsnn_graph_add_population(g, &ps);
    if (st)
        return st;
    double *lists = malloc(sizeof(double) * (size_t)mod->n * (m->n_params + 1));
    lsnn_value *vals = malloc(sizeof(lsnn_value) * (size_t)(m->n_params + 1));
    const char **names = malloc(sizeof(char *) * (size_t)(m->n_params + 1));
    if (!lists || !vals || !names) {
        free(lists);
        free(vals);
        free(names);
        return lsnn_error(LSNN_ERR_NOMEM, "network: out of memory");
    }
    for (int k = 0; k < m->n_params; k++) {
        double *l = lists + (size_t)k * mod->n;
        for (int j = 0; j < mod->n; j++)
            l[j] = lsnn__mod_value(mod, j, m->params[k].name, m->params[k].def);
        names[k] = m->params[k].name;
        vals[k] = (lsnn_value){LSNN_VALUE_LIST, 0, 0, l, mod->n};
    }
    ps = (lsnn_population_spec){"M", m, mod->n, LSNN_SIGN_NONE, m->n_params, names, vals, 0,
                                cfg->exc_fraction, 1};
    st = lsnn_graph_add_population(g, &ps);
    free(lists);
    free(vals);
    free(names);
    return st;
}

/* "R+A" of one layer / direction, leaving out an empty population. */
static void lsnn__both(char *buf, size_t cap, const lsnn_net_spec *cfg, const char *r,
                       const char *a)
{
    if (cfg->n_regular > 0 && cfg->n_adaptive > 0)
        snprintf(buf, cap, "%s+%s", r, a);
    else
        snprintf(buf, cap, "%s", cfg->n_regular > 0 ? r : a);
}

/* The graph of spec: per layer R then A (and the second direction), the input, recurrent and
 * feed-forward projections, then an embedded module's M_in and M. Streams are those of earlier
 * versions (positions, not names), so that recipe networks are what they were. */
static lsnn_status lsnn__recipe(lsnn_graph *g, const lsnn_net_spec *cfg, int layers, int dirs,
                                int n_in, const lsnn_neuron_model *m, const lsnn_net *mod)
{
    lsnn_status st = LSNN_OK;
    char rn[16], an[16], both[40], prev[40];
    uint64_t q = 0; /* projection index = its stream */
    for (int r = 0; r < layers && !st; r++) {
        snprintf(rn, sizeof rn, r ? "R%d" : "R", r + 1);
        snprintf(an, sizeof an, r ? "A%d" : "A", r + 1);
        st = lsnn__recipe_pop(g, cfg, rn, cfg->n_regular, cfg->sign_regular, 0,
                              2 * (uint64_t)r + (r ? 16 : 0), m);
        if (!st)
            st = lsnn__recipe_pop(g, cfg, an, cfg->n_adaptive, cfg->sign_adaptive, 1,
                                  2 * (uint64_t)r + 1 + (r ? 16 : 0), m);
    }
    if (dirs > 1 && !st) {
        st = lsnn__recipe_pop(g, cfg, "R_bw", cfg->n_regular, cfg->sign_regular, 0, 40, m);
        if (!st)
            st = lsnn__recipe_pop(g, cfg, "A_bw", cfg->n_adaptive, cfg->sign_adaptive, 1, 41, m);
    }
    const double p = cfg->connectivity == 0 ? 1.0 : cfg->connectivity;
    const double pp = cfg->global_connectivity ? 1.0 : p; /* a global level replaces it */
    lsnn__both(both, sizeof both, cfg, "R", "A");
    if (!st)
        st = lsnn__recipe_proj(g, "w_in", "input", 0, n_in / dirs, both, cfg->max_delay, 0, 0, pp,
                               cfg->w0, q++);
    if (!st)
        st = lsnn__recipe_proj(g, "w_rec", both, 0, 0, both, cfg->max_delay, 1, 0, pp, cfg->w0,
                               q++);
    if (dirs > 1) {
        lsnn__both(both, sizeof both, cfg, "R_bw", "A_bw");
        if (!st)
            st = lsnn__recipe_proj(g, "w_in_bw", "input", n_in / 2, n_in / 2, both,
                                   cfg->max_delay, 0, 0, pp, cfg->w0, q++);
        if (!st)
            st = lsnn__recipe_proj(g, "w_rec_bw", both, 0, 0, both, cfg->max_delay, 1, 0, pp,
                                   cfg->w0, q++);
    }
    lsnn__both(prev, sizeof prev, cfg, "R", "A");
    for (int r = 1; r < layers && !st; r++) {
        char nm[LSNN_NAME_MAX];
        snprintf(rn, sizeof rn, "R%d", r + 1);
        snprintf(an, sizeof an, "A%d", r + 1);
        lsnn__both(both, sizeof both, cfg, rn, an);
        snprintf(nm, sizeof nm, "w_ff%d", r + 1);
        st = lsnn__recipe_proj(g, nm, prev, 0, 0, both, 0, 0, 0, pp, cfg->w0, q++);
        snprintf(nm, sizeof nm, "w_rec%d", r + 1);
        if (!st)
            st = lsnn__recipe_proj(g, nm, both, 0, 0, both, cfg->max_delay, 1, 0, pp, cfg->w0,
                                   q++);
        snprintf(prev, sizeof prev, "%s", both);
    }
    if (mod && !st) { /* seed 003 section 4.2: the LSNN drives the module's input neurons; the
                       * module's own projections are frozen */
        st = lsnn__module_pops(g, cfg, m, mod);
        if (!st)
            st = lsnn__recipe_proj(g, "w_pm", prev, 0, 0, "M_in", 0, 0, 0, 1, cfg->w0, q++);
        if (!st) /* seed 003 section 4.2.3: DEEP R on the pool only */
            lsnn__graph_proj_no_rewiring(g);
        if (!st)
            st = lsnn__recipe_proj(g, "w_m_in", "M_in", 0, 0, "M", 0, 0, 1, 1, cfg->w0, q++);
        if (!st)
            st = lsnn__recipe_proj(g, "w_m_rec", "M", 0, 0, "M", 1, 1, 1, 1, cfg->w0, q++);
    }
    lsnn__graph_readout_stream(g, q);
    if (p < 1 || dirs > 1)
        lsnn__graph_force_masks(g);
    return st;
}
/* lsnn_net_build, and with mod != NULL lsnn_net_build_embedded (checked there). */
static lsnn_status lsnn__net_build(lsnn_net *net, const lsnn_net_spec *cfg, int n_in,
                                   int n_out, uint64_t seed, const lsnn_net *mod)
{
    memset(net, 0, sizeof *net);
    const int layers = cfg->layers < 1 ? 1 : cfg->layers;
    if (layers > LSNN_MAX_LAYERS)
        return lsnn_error(LSNN_ERR_CONFIG, "network.layers: at most %d", LSNN_MAX_LAYERS);
    const int dirs = cfg->bidirectional ? 2 : 1;
    if (dirs > 1 && layers > 1)
        return lsnn_error(LSNN_ERR_CONFIG, "network.bidirectional: one layer per direction only");
    if ((long long)cfg->n_regular + cfg->n_adaptive < 1 || cfg->n_regular < 0 ||
        cfg->n_adaptive < 0)
        return lsnn_error(LSNN_ERR_CONFIG, "network: n_regular + n_adaptive must be >= 1");
    if (n_in < 1 || n_out < 1)
        return lsnn_error(LSNN_ERR_ARG, "network: the task needs >= 1 input and output");
    if (cfg->max_delay < 1 || cfg->max_delay > 255)
        return lsnn_error(LSNN_ERR_CONFIG, "network.max_delay: must be in 1..255");
    /* A zeroed spec's connectivity 0 means dense. */
    const double p = cfg->connectivity == 0 ? 1.0 : cfg->connectivity;
    if (!(p > 0 && p <= 1))
        return lsnn_error(LSNN_ERR_CONFIG, "network.connectivity: must be in (0, 1]");
    const lsnn_graph_opts o = {
        .dt = cfg->dt,
        .gamma = cfg->gamma,
        .input_plain = cfg->input_plain,
        .psi_from_spike = cfg->psi_from_spike,
        .stdp_psi_positive = cfg->stdp_psi_positive,
        .readout_tau = cfg->readout_tau,
        .readout_gain = cfg->readout_gain,
        .train_noise = cfg->train_noise,
        .noise_draw = cfg->noise_draw,
        .sparse_mode = cfg->sparse_mode,
        .init = cfg->init,
        .signed_order = cfg->signed_order,
        .input_exc_fraction = cfg->input_exc_fraction,
        .w0_out = cfg->w0_out,
        .readout_connectivity = cfg->global_connectivity ? 1 : p,
        .global_connectivity = cfg->global_connectivity && p < 1 ? p : 0,
        .readout_from = NULL,
        .readout = mod ? LSNN_READOUT_RATE : cfg->readout,
        .rate_group = mod ? mod->rate_group : cfg->rate_group,
    };
    lsnn_graph *g = lsnn_graph_new(&o);
    if (!g)
        return lsnn_error(LSNN_ERR_NOMEM, "network: out of memory");
    lsnn__graph_set_dirs(g, dirs);
    const lsnn_neuron_model *m = cfg->neuron ? cfg->neuron : lsnn_neuron_model_find("alif");
    lsnn_status st = lsnn__recipe(g, cfg, layers, dirs, n_in * dirs, m, mod);
    if (!st)
        st = lsnn_graph_build(g, net, n_in * dirs, n_out * dirs, seed);
    lsnn_graph_free(g);
    if (st || !mod)
        return st;
    /* the module's trained weights (frozen) and noise */
    const lsnn_projection *w_m_in = &net->proj[net->n_proj - 2], *w_m_rec = &net->proj[net->n_proj - 1];
    memcpy(w_m_in->w, mod->proj[0].w, sizeof(lsnn_real) * (size_t)mod->n_in * mod->n);
    memcpy(w_m_rec->w, mod->proj[1].w, sizeof(lsnn_real) * (size_t)mod->n * mod->n);
    memcpy(net->noise_std + (net->n - mod->n), mod->noise_std, sizeof(lsnn_real) * (size_t)mod->n);
    lsnn_net_apply_masks(net);
    return LSNN_OK;
}

lsnn_status lsnn_net_build(lsnn_net *net, const lsnn_net_spec *cfg, int n_in, int n_out,
                           uint64_t seed)
{
    return lsnn__net_build(net, cfg, n_in, n_out, seed, NULL);
}

lsnn_status lsnn_net_build_embedded(lsnn_net *net, const lsnn_net_spec *cfg, int n_in,
                                    uint64_t seed, const lsnn_net *mod)
{
    memset(net, 0, sizeof *net);
    const char *why = NULL;
    if (!mod->rate_group || mod->n_dirs != 1 || mod->n_layers != 1)
        why = "a module is a one-layer network with the rate readout";
    else if (mod->n_proj != 2 || !mod->proj[0].src_is_input || mod->proj[0].max_delay != 1 ||
             mod->proj[1].max_delay != 1 || mod->proj[0].mask || mod->proj[1].mask)
        why = "the module must be dense, with delay 1 (network.max_delay = 1, connectivity 1)";
    else if (mod->dt != cfg->dt)
        why = "the module was trained with another network.dt";
    else if ((mod->input_plain != 0) != (cfg->input_plain != 0))
        why = "the module was trained with another network.input_scaling";
    else if (cfg->bidirectional)
        why = "the network around a module is one-directional";
    if (why)
        return lsnn_error(LSNN_ERR_CONFIG, "network.module: %s", why);
    return lsnn__net_build(net, cfg, n_in, mod->n_out, seed, mod);
}

int lsnn_net_forward_only(const lsnn_net *net)
{
    for (int p = 0; p < net->n_pop; p++)
        if (net->pop[p].model->forward_only)
            return p;
    return -1;
}

int lsnn_net_rate_first(const lsnn_net *net)
{
    return net->rate_group ? net->n - net->n_out * net->rate_group : net->n;
}

int lsnn_net_rate_neuron(const lsnn_net *net, int j)
{
    const int first = lsnn_net_rate_first(net);
    return j < first ? -1 : (j - first) / net->rate_group;
}

void lsnn_net_rate_readout(const lsnn_net *net, lsnn_real *w_out, uint8_t *mask)
{
    const lsnn_real r = (lsnn_real)(1000.0 / (net->dt * net->rate_group));
    for (int j = 0; j < net->n; j++) {
        const int g = lsnn_net_rate_neuron(net, j);
        for (int k = 0; k < net->n_out; k++) {
            const size_t q = (size_t)j * net->n_out + k;
            w_out[q] = g == k ? r : 0;
            if (mask)
                mask[q] = g == k;
        }
    }
}

void lsnn_net_free(lsnn_net *net)
{
    free(net->mem);
    memset(net, 0, sizeof *net);
}

void lsnn_net_apply_masks(lsnn_net *net)
{
    for (int p = 0; p < net->n_proj; p++) {
        lsnn_projection *pr = &net->proj[p];
        for (int i = 0; i < pr->n_src; i++) {
            lsnn_sign s = lsnn__src_sign(net, pr, i);
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                if (lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]))
                    pr->w[k] = 0;
                else
                    pr->w[k] = lsnn__clip_sign(pr->w[k], s);
            }
        }
    }
    for (int j = 0; j < net->n; j++) {
        lsnn_sign s = (lsnn_sign)net->sign[j];
        for (int k = 0; k < net->n_out; k++) {
            size_t q = (size_t)j * net->n_out + k;
            if (net->w_out_mask && !net->w_out_mask[q])
                net->w_out[q] = 0;
            else if (s != LSNN_SIGN_NONE && !net->rate_group) /* a rate readout is no synapse */
                net->w_out[q] = lsnn__clip_sign(net->w_out[q], s);
        }
    }
    lsnn_sparse_rebuild(net);
}

void lsnn_net_trainable_mask(const lsnn_net *net, uint8_t *out)
{
    memset(out, 1, net->n_params);
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        uint8_t *o = out + pr->param_off;
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                o[k] = !(pr->frozen || lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]));
            }
    }
    size_t off_out = (size_t)(net->w_out - net->params);
    size_t n_w = (size_t)net->n * net->n_out, n_ro = n_w + net->n_out;
    if (net->readout_frozen)
        memset(out + off_out, 0, n_ro);
    else if (net->w_out_mask)
        memcpy(out + off_out, net->w_out_mask, n_w);
    if (!net->train_noise)
        memset(out + (net->noise_std - net->params), 0, net->n);
}

size_t lsnn_net_count_params(const lsnn_net *net, int active_only)
{
    /* "full" counts whole tensors, as Table S1 of seed 000 does (68,210 for 80 inputs, 220
     * neurons, 10 outputs: the W_rec diagonal included); "active" counts existing synapses. */
    size_t count = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        for (int i = 0; i < pr->n_src; i++)
            for (int j = 0; j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                count += !active_only || !(lsnn__is_self(pr, i, j) || (pr->mask && !pr->mask[k]));
            }
    }
    size_t n_w = (size_t)net->n * net->n_out;
    if (active_only && net->w_out_mask)
        for (size_t k = 0; k < n_w; k++)
            count += net->w_out_mask[k];
    else
        count += n_w;
    count += net->n_out;
    if (net->train_noise)
        count += (size_t)net->n;
    return count;
}

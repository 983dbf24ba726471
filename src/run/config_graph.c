/* Graph networks from a config: network.populations and network.projections (JSON lists kept as
 * text in lsnn_network_config) mapped onto lsnn_graph (lsnn/network.h). The format is documented
 * in docs/CONFIG.md, "Graph networks"; every error names the list entry and key. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/config_map.h"
#include "lsnn/neuron.h"

#define GP "network.populations"
#define GJ "network.projections"

/* Keys of a population entry other than its model's parameters. */
static const char *const pop_keys[] = {"name", "count", "neuron", "sign", "exc_fraction",
                                       "noise_std", NULL};
static const char *const proj_keys[] = {"name", "from", "to", "channels", "delay", "no_self",
                                        "frozen", "connectivity", "w0", NULL};

static int is_key(const char *const *keys, const char *k)
{
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], k) == 0)
            return 1;
    return 0;
}

/* A number in a JSON item (finite), else an error naming where. */
static lsnn_status get_number(const cJSON *v, const char *where, int i, const char *key,
                              double *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected a number", where, i, key);
    *out = v->valuedouble;
    return LSNN_OK;
}

static lsnn_status get_int(const cJSON *v, const char *where, int i, const char *key, int lo,
                           int hi, int *out)
{
    double d = 0;
    lsnn_status st = get_number(v, where, i, key, &d);
    if (st)
        return st;
    if (d != floor(d) || d < lo || d > hi)
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected an integer in %d..%d, got %g",
                          where, i, key, lo, hi, d);
    *out = (int)d;
    return LSNN_OK;
}

static lsnn_status get_bool(const cJSON *v, const char *where, int i, const char *key, int *out)
{
    if (!cJSON_IsBool(v))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected true or false", where, i, key);
    *out = cJSON_IsTrue(v);
    return LSNN_OK;
}

/* "A" or ["A", "B"] as "A+B" in buf. */
static lsnn_status get_names(const cJSON *v, const char *where, int i, const char *key, char *buf,
                             size_t cap)
{
    if (cJSON_IsString(v)) {
        if (strlen(v->valuestring) >= cap)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: too long", where, i, key);
        snprintf(buf, cap, "%s", v->valuestring);
        return LSNN_OK;
    }
    if (!cJSON_IsArray(v) || !v->child)
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected a population name or a list of "
                                           "names", where, i, key);
    size_t len = 0;
    buf[0] = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected names (strings)", where, i,
                              key);
        int k = snprintf(buf + len, cap - len, "%s%s", len ? "+" : "", e->valuestring);
        if (k < 0 || (size_t)k >= cap - len)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: too many names", where, i, key);
        len += (size_t)k;
    }
    return LSNN_OK;
}

/* A parameter value: a number, {"uniform": [low, high]} or a list of one number per neuron. */
static lsnn_status get_value(const cJSON *v, int i, const char *key, int count, lsnn_value *out,
                             double **list)
{
    memset(out, 0, sizeof *out);
    if (cJSON_IsNumber(v))
        return get_number(v, GP, i, key, &out->a);
    if (cJSON_IsObject(v)) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(v, "uniform");
        if (!u || v->child->next || !cJSON_IsArray(u) || cJSON_GetArraySize(u) != 2)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected a number, {\"uniform\": "
                                               "[low, high]} or a list of %d numbers",
                              GP, i, key, count);
        out->kind = LSNN_VALUE_UNIFORM;
        lsnn_status st = get_number(u->child, GP, i, key, &out->a);
        return st ? st : get_number(u->child->next, GP, i, key, &out->b);
    }
    if (cJSON_IsArray(v)) {
        const int n = cJSON_GetArraySize(v);
        if (n != count)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: a list of %d values for %d neurons",
                              GP, i, key, n, count);
        *list = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        if (!*list)
            return lsnn_error(LSNN_ERR_NOMEM, "%s[%d].%s: out of memory", GP, i, key);
        int k = 0;
        for (const cJSON *e = v->child; e; e = e->next) {
            lsnn_status st = get_number(e, GP, i, key, &(*list)[k++]);
            if (st)
                return st;
        }
        out->kind = LSNN_VALUE_LIST;
        out->list = *list;
        out->n_list = n;
        return LSNN_OK;
    }
    return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: expected a number, {\"uniform\": [low, high]} "
                                       "or a list of %d numbers", GP, i, key, count);
}

/* The network-level value of a model parameter (network.tau_m, ...), if there is one. */
static int network_default(const lsnn_network_config *c, const char *name, double *out)
{
    const struct {
        const char *name;
        double v;
    } d[] = {{"tau_m", c->tau_m}, {"tau_a", c->tau_a}, {"beta", c->beta}, {"b0", c->b0},
             {"refractory", c->refractory}};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++)
        if (strcmp(d[k].name, name) == 0) {
            *out = d[k].v;
            return 1;
        }
    return 0;
}

static lsnn_status add_population(lsnn_graph *g, const lsnn_network_config *c, const cJSON *e,
                                  int i)
{
    if (!cJSON_IsObject(e))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d]: expected an object", GP, i);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(e, "count");
    if (!cJSON_IsString(nm))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].name: a name (string) is needed", GP, i);
    lsnn_population_spec ps = {0};
    ps.name = nm->valuestring;
    lsnn_status st = cn ? get_int(cn, GP, i, "count", 1, 1000000, &ps.count)
                        : lsnn_error(LSNN_ERR_CONFIG, "%s[%d].count: needed", GP, i);
    if (st)
        return st;
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(e, "neuron");
    const char *mname = cJSON_IsString(mv) ? mv->valuestring : (c->neuron[0] ? c->neuron : "alif");
    if (mv && !cJSON_IsString(mv))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].neuron: expected a model name", GP, i);
    if (!(ps.model = lsnn_neuron_model_find(mname))) {
        char all[256];
        lsnn_config_choices_neuron(all, sizeof all);
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].neuron: unknown neuron model '%s' (%s)", GP, i,
                          mname, all);
    }
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(e, "sign");
    ps.sign = LSNN_SIGN_NONE;
    if (sv) {
        const char *s = cJSON_IsString(sv) ? sv->valuestring : "";
        if (strcmp(s, "exc") == 0)
            ps.sign = LSNN_SIGN_EXC;
        else if (strcmp(s, "inh") == 0)
            ps.sign = LSNN_SIGN_INH;
        else if (strcmp(s, "unsigned") == 0)
            ps.keep_unsigned = 1;
        else if (strcmp(s, "none") != 0)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].sign: expected \"none\", \"exc\", "
                                               "\"inh\" or \"unsigned\"", GP, i);
    }
    ps.exc_fraction = c->exc_fraction;
    ps.noise_std = c->noise_std;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "exc_fraction")) &&
        (st = get_number(v, GP, i, "exc_fraction", &ps.exc_fraction)))
        return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "noise_std")) &&
        (st = get_number(v, GP, i, "noise_std", &ps.noise_std)))
        return st;
    /* The model's parameters: the entry's value, or network.<name>, or the model's default. */
    const lsnn_neuron_model *m = ps.model;
    for (const cJSON *k = e->child; k; k = k->next)
        if (!is_key(pop_keys, k->string) && lsnn_neuron_param_index(m, k->string) < 0) {
            char names[256] = "";
            size_t len = 0;
            for (int q = 0; q < m->n_params && len < sizeof names; q++)
                len += (size_t)snprintf(names + len, sizeof names - len, ", %s",
                                        m->params[q].name);
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: unknown key (population keys: name, "
                                               "count, neuron, sign, exc_fraction, noise_std; "
                                               "parameters of the %s model%s%s)",
                              GP, i, k->string, m->name, m->n_params ? ": " : ": none",
                              m->n_params ? names + 2 : "");
        }
    const char **names = calloc((size_t)m->n_params + 1, sizeof *names);
    lsnn_value *vals = calloc((size_t)m->n_params + 1, sizeof *vals);
    double **lists = calloc((size_t)m->n_params + 1, sizeof *lists);
    if (!names || !vals || !lists)
        st = lsnn_error(LSNN_ERR_NOMEM, "%s[%d]: out of memory", GP, i);
    for (int k = 0; !st && k < m->n_params; k++) {
        const char *pn = m->params[k].name;
        names[k] = pn;
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(e, pn);
        if (pv)
            st = get_value(pv, i, pn, ps.count, &vals[k], &lists[k]);
        else if (!network_default(c, pn, &vals[k].a))
            vals[k].a = m->params[k].def;
    }
    if (!st) {
        ps.n_values = m->n_params;
        ps.value_names = names;
        ps.values = vals;
        st = lsnn_graph_add_population(g, &ps);
        if (st)
            st = lsnn_error(st, "%s[%d]: %s", GP, i, lsnn_last_error());
    }
    for (int k = 0; lists && k < m->n_params; k++)
        free(lists[k]);
    free(lists);
    free(vals);
    free(names);
    return st;
}

static lsnn_status add_projection(lsnn_graph *g, const lsnn_network_config *c, const cJSON *e,
                                  int i)
{
    if (!cJSON_IsObject(e))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d]: expected an object", GJ, i);
    for (const cJSON *k = e->child; k; k = k->next)
        if (!is_key(proj_keys, k->string))
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].%s: unknown key (projection keys: name, "
                                               "from, to, channels, delay, no_self, frozen, "
                                               "connectivity, w0)", GJ, i, k->string);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (!cJSON_IsString(nm))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].name: a name (string) is needed", GJ, i);
    char from[512], to[512];
    const cJSON *v;
    lsnn_status st;
    if (!(v = cJSON_GetObjectItemCaseSensitive(e, "from")))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].from: needed (\"input\" or populations)", GJ, i);
    if ((st = get_names(v, GJ, i, "from", from, sizeof from)))
        return st;
    if (!(v = cJSON_GetObjectItemCaseSensitive(e, "to")))
        return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].to: needed (populations)", GJ, i);
    if ((st = get_names(v, GJ, i, "to", to, sizeof to)))
        return st;
    lsnn_projection_spec ps = {0};
    ps.name = nm->valuestring;
    ps.from = from;
    ps.to = to;
    const int input = strcmp(from, "input") == 0;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "channels"))) {
        if (!input || !cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
            return lsnn_error(LSNN_ERR_CONFIG, "%s[%d].channels: [first, count] of the input "
                                               "channels (from \"input\" only)", GJ, i);
        if ((st = get_int(v->child, GJ, i, "channels", 0, 1000000, &ps.in_off)) ||
            (st = get_int(v->child->next, GJ, i, "channels", 1, 1000000, &ps.in_count)))
            return st;
    }
    ps.min_delay = 1;
    ps.max_delay = c->max_delay;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "delay"))) {
        if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2) {
            if ((st = get_int(v->child, GJ, i, "delay", 0, 255, &ps.min_delay)) ||
                (st = get_int(v->child->next, GJ, i, "delay", 0, 255, &ps.max_delay)))
                return st;
        } else {
            if ((st = get_int(v, GJ, i, "delay", 0, 255, &ps.min_delay)))
                return st;
            ps.max_delay = ps.min_delay;
        }
    }
    ps.no_self = !input && strcmp(from, to) == 0; /* default: none onto itself when from == to */
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "no_self")) &&
        (st = get_bool(v, GJ, i, "no_self", &ps.no_self)))
        return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "frozen")) &&
        (st = get_bool(v, GJ, i, "frozen", &ps.frozen)))
        return st;
    ps.connectivity = c->global_connectivity ? 1 : c->connectivity;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "connectivity")) &&
        (st = get_number(v, GJ, i, "connectivity", &ps.connectivity)))
        return st;
    ps.w0 = c->w0;
    if ((v = cJSON_GetObjectItemCaseSensitive(e, "w0")) && (st = get_number(v, GJ, i, "w0", &ps.w0)))
        return st;
    st = lsnn_graph_add_projection(g, &ps);
    return st ? lsnn_error(st, "%s[%d]: %s", GJ, i, lsnn_last_error()) : LSNN_OK;
}

/* Parses one of the two lists, calling add on each entry. */
static lsnn_status each(lsnn_graph *g, const lsnn_network_config *c, const char *text,
                        const char *key,
                        lsnn_status (*add)(lsnn_graph *, const lsnn_network_config *,
                                           const cJSON *, int))
{
    cJSON *root = cJSON_Parse(text[0] ? text : "[]");
    if (!root || !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: not a JSON list", key);
    }
    lsnn_status st = LSNN_OK;
    int i = 0;
    for (const cJSON *e = root->child; e && !st; e = e->next, i++)
        st = add(g, c, e, i);
    cJSON_Delete(root);
    return st;
}

lsnn_status lsnn_graph_from_config(const lsnn_network_config *c, lsnn_graph **out)
{
    *out = NULL;
    if (!c->populations[0])
        return lsnn_error(LSNN_ERR_CONFIG, "%s: empty (the recipe builds this network)", GP);
    lsnn_net_spec spec; /* the global keys, mapped and checked as for the recipe */
    lsnn_status st = lsnn_net_spec_from_config(c, &spec);
    if (st)
        return st;
    const double p = c->connectivity;
    const lsnn_graph_opts o = {
        .dt = spec.dt,
        .gamma = spec.gamma,
        .input_plain = spec.input_plain,
        .psi_from_spike = spec.psi_from_spike,
        .stdp_psi_positive = spec.stdp_psi_positive,
        .readout_tau = spec.readout_tau,
        .readout_gain = spec.readout_gain,
        .train_noise = spec.train_noise,
        .noise_draw = spec.noise_draw,
        .sparse_mode = spec.sparse_mode,
        .init = spec.init,
        .signed_order = spec.signed_order,
        .input_exc_fraction = spec.input_exc_fraction,
        .w0_out = spec.w0_out,
        .readout_connectivity = c->global_connectivity ? 1 : p,
        .global_connectivity = c->global_connectivity && p < 1 ? p : 0,
        .readout_from = c->readout_from,
        .readout = spec.readout,
        .rate_group = spec.rate_group,
    };
    lsnn_graph *g = lsnn_graph_new(&o);
    if (!g)
        return lsnn_error(LSNN_ERR_NOMEM, "network: out of memory");
    st = each(g, c, c->populations, GP, add_population);
    if (!st)
        st = each(g, c, c->projections, GJ, add_projection);
    if (!st && (st = lsnn_graph_check_names(g, c->readout_from)))
        st = lsnn_error(st, "network.readout_from: %s", lsnn_last_error());
    if (st) {
        lsnn_graph_free(g);
        return st;
    }
    *out = g;
    return LSNN_OK;
}

long long lsnn_config_neurons(const lsnn_network_config *c)
{
    if (!c->populations[0]) {
        const long long layers = c->layers < 1 ? 1 : c->layers, dirs = c->bidirectional ? 2 : 1;
        return layers * dirs * ((long long)c->n_regular + c->n_adaptive);
    }
    lsnn_graph *g;
    if (lsnn_graph_from_config(c, &g))
        return -1;
    long long n = lsnn_graph_neurons(g);
    lsnn_graph_free(g);
    return n;
}

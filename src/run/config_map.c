/* The JSON config mapped onto each part's typed parameters (see lsnn/config_map.h). */
#include <stdio.h>
#include <string.h>

#include "lsnn/ann.h"
#include "lsnn/config_map.h"
#include "lsnn/neuron.h"
#include "lsnn/task.h"
#include "lsnn/train.h"

/* s is one of the '|'-separated words of choices ("" maps to word 0); returns its index or -1. */
static int lsnn__choice(const char *s, const char *choices)
{
    if (!s[0])
        return 0;
    const size_t n = strlen(s);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        const char *e = strchr(p, '|');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0)
            return i;
        p += len + (e != NULL);
    }
    return -1;
}

#define LSNN__PICK(var, s, choices, key)                                                         \
    do {                                                                                         \
        if (((var) = lsnn__choice((s), (choices))) < 0)                                          \
            return lsnn_error(LSNN_ERR_CONFIG, key ": unknown value '%s' (%s)", (s), (choices)); \
    } while (0)

lsnn_status lsnn_net_spec_from_config(const lsnn_network_config *c, lsnn_net_spec *s)
{
    memset(s, 0, sizeof *s);
    const char *mname = c->neuron[0] ? c->neuron : "alif";
    if (!(s->neuron = lsnn_neuron_model_find(mname))) {
        char all[256];
        lsnn_config_choices_neuron(all, sizeof all);
        return lsnn_error(LSNN_ERR_CONFIG, "network.neuron: unknown neuron model '%s' (%s)", mname,
                          all);
    }
    int k;
    s->layers = c->layers;
    s->n_regular = c->n_regular;
    s->n_adaptive = c->n_adaptive;
    s->dt = c->dt;
    s->tau_m = c->tau_m;
    s->tau_a = c->tau_a;
    s->beta = c->beta;
    s->b0 = c->b0;
    s->refractory = c->refractory;
    LSNN__PICK(k, c->input_scaling, "leaky|plain", "network.input_scaling");
    s->input_plain = k == 1;
    LSNN__PICK(k, c->psi_window, "refractory|spike", "network.psi_window");
    s->psi_from_spike = k == 1;
    LSNN__PICK(k, c->stdp_psi_sign, "negative|positive", "network.stdp_psi_sign");
    s->stdp_psi_positive = k == 1;
    s->gamma = c->gamma;
    s->w0 = c->w0;
    s->w0_out = c->w0_out;
    s->max_delay = c->max_delay;
    s->noise_std = c->noise_std;
    s->train_noise = c->train_noise;
    LSNN__PICK(k, c->noise_draw, "box_muller|ziggurat", "network.noise_draw");
    s->noise_draw = k == 1 ? LSNN_NOISE_ZIGGURAT : LSNN_NOISE_BOX_MULLER;
    static const lsnn_sparse_mode kernels[] = {LSNN_SPARSE_AUTO, LSNN_SPARSE_ON, LSNN_SPARSE_OFF};
    LSNN__PICK(k, c->sparse_kernels, "auto|on|off", "network.sparse_kernels");
    s->sparse_mode = kernels[k];
    s->readout_tau = c->readout_tau;
    static const lsnn_sign signs[] = {LSNN_SIGN_NONE, LSNN_SIGN_EXC, LSNN_SIGN_INH};
    LSNN__PICK(k, c->sign_regular, "none|exc|inh", "network.sign_regular");
    s->sign_regular = signs[k];
    LSNN__PICK(k, c->sign_adaptive, "none|exc|inh", "network.sign_adaptive");
    s->sign_adaptive = signs[k];
    LSNN__PICK(k, c->init, "gaussian|signed", "network.init");
    s->init = k == 1 ? LSNN_INIT_SIGNED : LSNN_INIT_GAUSSIAN;
    s->exc_fraction = c->exc_fraction;
    s->input_exc_fraction = c->input_exc_fraction;
    s->connectivity = c->connectivity;
    s->global_connectivity = c->global_connectivity;
    s->bidirectional = c->bidirectional;
    LSNN__PICK(k, c->readout, "linear|rate", "network.readout");
    s->readout = k == 1 ? LSNN_READOUT_RATE : LSNN_READOUT_LINEAR;
    s->rate_group = c->rate_group;
    LSNN__PICK(k, c->module_input, "network|module", "network.module_input");
    s->module_input_from_module = k == 1;
    LSNN__PICK(k, c->readout_gain, "leaky|none", "network.readout_gain");
    s->readout_gain = k == 1 ? LSNN_GAIN_NONE : LSNN_GAIN_LEAKY;
    LSNN__PICK(k, c->mask_order, "first|last", "network.mask_order");
    s->signed_order = k == 1 ? LSNN_SIGNED_MASK_LAST : LSNN_SIGNED_MASK_FIRST;
    return LSNN_OK;
}

lsnn_status lsnn_optim_params_from_config(const lsnn_optim_config *c, lsnn_optim_params *p)
{
    memset(p, 0, sizeof *p);
    lsnn_status st = lsnn_optim_find(c->name, &p->kind);
    if (st)
        return st;
    p->beta1 = c->beta1;
    p->beta2 = c->beta2;
    p->epsilon = c->epsilon;
    p->epsilon_in_sqrt = c->epsilon_in_sqrt;
    p->lr_decay = c->lr_decay;
    p->lr_decay_every = c->lr_decay_every;
    p->warmup = c->warmup;
    p->clip_norm = c->clip_norm;
    return LSNN_OK;
}

void lsnn_deepr_params_from_config(const lsnn_deepr_config *c, lsnn_deepr_params *p)
{
    p->l1 = c->l1;
    p->temperature = c->temperature;
    p->init_magnitude = c->init_magnitude;
}

lsnn_status lsnn_eprop_opts_from_config(const lsnn_config *cfg, lsnn_eprop_opts *o)
{
    memset(o, 0, sizeof *o);
    static const lsnn_feedback fb[] = {LSNN_FEEDBACK_SYMMETRIC, LSNN_FEEDBACK_RANDOM,
                                       LSNN_FEEDBACK_ADAPTIVE};
    int k;
    LSNN__PICK(k, cfg->eprop.feedback, "symmetric|random|adaptive", "eprop.feedback");
    o->feedback = fb[k];
    o->reset_grad = cfg->eprop.reset_grad;
    o->rate_reg = cfg->eprop.rate_reg;
    o->rate_target_hz = cfg->loss.rate_target;
    o->clip_v = cfg->eprop.clip_v;
    o->clip_a = cfg->eprop.clip_a;
    return LSNN_OK;
}

lsnn_status lsnn_net_init(lsnn_net *net, const lsnn_network_config *cfg, int n_in, int n_out,
                          uint64_t seed)
{
    lsnn_net_spec spec;
    memset(net, 0, sizeof *net);
    if (cfg->populations[0]) { /* a graph network */
        lsnn_graph *g;
        lsnn_status st = lsnn_graph_from_config(cfg, &g);
        if (st)
            return st;
        st = lsnn_graph_build(g, net, n_in, n_out, seed);
        lsnn_graph_free(g);
        return st;
    }
    lsnn_status st = lsnn_net_spec_from_config(cfg, &spec);
    return st ? st : lsnn_net_build(net, &spec, n_in, n_out, seed);
}

lsnn_status lsnn_net_init_embedded(lsnn_net *net, const lsnn_network_config *cfg, int n_in,
                                   uint64_t seed, const lsnn_net *mod)
{
    lsnn_net_spec spec;
    memset(net, 0, sizeof *net);
    lsnn_status st = lsnn_net_spec_from_config(cfg, &spec);
    return st ? st : lsnn_net_build_embedded(net, &spec, n_in, seed, mod);
}

/* Appends the '|'-separated names name(0), name(1), ... to buf. */
static void lsnn__join(char *buf, size_t cap, const char *(*name)(int))
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; name(i) && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "|" : "", name(i));
}

static const char *lsnn__task_name(int i)
{
    const lsnn_task *t = lsnn_task_at(i);
    return t ? t->name : NULL;
}

static const char *lsnn__neuron_name(int i)
{
    const lsnn_neuron_model *m = lsnn_neuron_model_at(i);
    return m ? m->name : NULL;
}

static const char *lsnn__model_name(int i)
{
    const lsnn_model_ops *m = lsnn_model_at(i);
    return m ? m->name : NULL;
}

static const char *lsnn__learner_name(int i)
{
    const lsnn_learner_ops *l = lsnn_learner_at(i);
    return l ? l->name : NULL;
}

void lsnn_config_choices_task(char *buf, size_t cap)
{
    lsnn__join(buf, cap, lsnn__task_name);
}

void lsnn_config_choices_neuron(char *buf, size_t cap)
{
    lsnn__join(buf, cap, lsnn__neuron_name);
}

void lsnn_config_choices_optimizer(char *buf, size_t cap)
{
    lsnn__join(buf, cap, lsnn_optim_name);
}

void lsnn_config_choices_model(char *buf, size_t cap)
{
    lsnn__join(buf, cap, lsnn__model_name);
    /* not a model of the trainer: seed 002's LSTM runs in its own online loop (run/alstm_run.c) */
    size_t len = strlen(buf);
    if (len + 7 < cap)
        memcpy(buf + len, "|alstm", 7);
}

void lsnn_config_choices_learning(char *buf, size_t cap)
{
    lsnn__join(buf, cap, lsnn__learner_name);
}

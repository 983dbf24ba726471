/* lsnn_config_validate: every key on its own (the table's types, ranges and choices), then the
 * constraints between keys, each checked here and only here (the trainer and the parts below it
 * rely on a validated config). The constraints are documented in docs/CONFIG.md from
 * cross_docs[] in config_table.c: keep the two in step. */
#include <string.h>

#include "lsnn/config_map.h"
#include "lsnn/train.h"
#include "run/config_internal.h"

#define CFG_FAIL(...) return lsnn_error(LSNN_ERR_CONFIG, __VA_ARGS__)

/* Sizes, DEEP R, the learning rule against the model, the batch-wide and online regularisers. */
static lsnn_status check_training(const lsnn_config *cfg, const char *origin)
{
    const lsnn_network_config *net = &cfg->network;
    const lsnn_store_recall_config *sr = &cfg->store_recall;
    if (!net->populations[0] && (long long)net->n_regular + net->n_adaptive < 1)
        CFG_FAIL("%s: network: n_regular + n_adaptive must be >= 1 (zero neurons)", origin);
    long long steps = (long long)sr->n_symbols * sr->symbol_ms;
    if (steps > MAX_SEQ_STEPS)
        CFG_FAIL("%s: store_recall: n_symbols * symbol_ms must be <= %lld steps per sequence, got "
                 "%lld",
                 origin, MAX_SEQ_STEPS, steps);
    const lsnn_model_ops *model = lsnn_model_find(cfg->model, 0);
    const lsnn_learner_ops *rule = lsnn_learner_find(cfg->learning);
    if (model && rule && rule->spiking_only && !model->spiking)
        CFG_FAIL("%s: learning: %s trains the spiking network (model \"lsnn\"), not the %s "
                 "baseline",
                 origin, rule->title, cfg->model);
    if (cfg->deepr.enabled && model && !model->spiking)
        CFG_FAIL("%s: deepr.enabled: DEEP R rewires the spiking network (model \"lsnn\"), not the "
                 "%s baseline",
                 origin, cfg->model);
    if (cfg->deepr.enabled && strcmp(net->init, "signed") != 0)
        CFG_FAIL("%s: deepr.enabled: DEEP R needs signed neurons and inputs: set network.init to "
                 "\"signed\" (got \"%s\")",
                 origin, net->init);
    if (cfg->deepr.enabled && !(net->connectivity < 1))
        CFG_FAIL("%s: deepr.enabled: DEEP R rewires a sparse network: set network.connectivity "
                 "below 1 (e.g. 0.12)",
                 origin);
    const int eprop = strcmp(cfg->learning, "eprop") == 0;
    if (eprop && cfg->loss.rate_reg > 0)
        CFG_FAIL("%s: loss.rate_reg: the batch-wide rate regularisation needs BPTT; with e-prop "
                 "use the online eprop.rate_reg",
                 origin);
    if (!eprop && cfg->eprop.rate_reg > 0)
        CFG_FAIL("%s: eprop.rate_reg: set for learning \"%s\"; use loss.rate_reg with BPTT",
                 origin, cfg->learning);
    if (cfg->chunk && (eprop || strcmp(cfg->model, "lsnn") != 0 || net->bidirectional))
        CFG_FAIL("%s: chunk: only the spiking network trained by BPTT, one direction, has a "
                 "chunk size to set (model \"%s\", learning \"%s\"%s)",
                 origin, cfg->model, cfg->learning, net->bidirectional ? ", bidirectional" : "");
    return LSNN_OK;
}

/* Bidirectional networks. */
static lsnn_status check_bidirectional(const lsnn_config *cfg, const char *origin)
{
    const lsnn_network_config *net = &cfg->network;
    if (!net->bidirectional)
        return LSNN_OK;
    if (strcmp(cfg->learning, "bptt") != 0)
        CFG_FAIL("%s: network.bidirectional: the backward direction reads each sequence from its "
                 "end, which an online rule cannot: set learning to \"bptt\" (got \"%s\")",
                 origin, cfg->learning);
    if (strcmp(cfg->model, "lsnn") != 0)
        CFG_FAIL("%s: network.bidirectional: only the spiking network (model \"lsnn\") has a "
                 "bidirectional form (got \"%s\")",
                 origin, cfg->model);
    if (net->layers > 1)
        CFG_FAIL("%s: network.bidirectional: one layer per direction only (got network.layers = "
                 "%d)",
                 origin, net->layers);
    return LSNN_OK;
}

/* The rate readout and the embedded module (seed 003). */
static lsnn_status check_rate_readout(const lsnn_config *cfg, const char *origin)
{
    const lsnn_network_config *net = &cfg->network;
    const int rate_out = strcmp(net->readout, "rate") == 0;
    const int module_task = strcmp(cfg->task, "softmax") == 0 || strcmp(cfg->task, "kwta") == 0;
    if (rate_out && net->bidirectional)
        CFG_FAIL("%s: network.readout: the rate readout reads one network; it has no "
                 "bidirectional form (set network.bidirectional to false)",
                 origin);
    if (rate_out && net->global_connectivity)
        CFG_FAIL("%s: network.readout: the rate readout is fixed, so it cannot share a global "
                 "connectivity level with W_in and W_rec (set network.global_connectivity to "
                 "false)",
                 origin);
    const int embed = net->module[0] != 0;
    if (embed && !rate_out)
        CFG_FAIL("%s: network.module: the embedded module's outputs are rates: set "
                 "network.readout to \"rate\"",
                 origin);
    if (embed && (module_task || strcmp(cfg->learning, "bptt") != 0 ||
                  strcmp(cfg->model, "lsnn") != 0))
        CFG_FAIL("%s: network.module: embedding a module needs task store_recall or smnist, "
                 "learning \"bptt\" and model \"lsnn\"",
                 origin);
    if (rate_out && strcmp(cfg->model, "lsnn") != 0)
        CFG_FAIL("%s: network.readout: the rate readout counts spikes; model \"%s\" has none (set "
                 "model to \"lsnn\")",
                 origin, cfg->model);
    if (rate_out && strcmp(cfg->learning, "bptt") != 0)
        CFG_FAIL("%s: network.readout: the losses on window-averaged rates need BPTT (e-prop "
                 "does not compute them online): set learning to \"bptt\"",
                 origin);
    if (rate_out && strcmp(cfg->task, "timit") == 0)
        CFG_FAIL("%s: network.readout: the rate readout is not available for task \"timit\"",
                 origin);
    return LSNN_OK;
}

/* Graph networks: the recipe keys that have no meaning there, then the lists themselves (names,
 * models, parameter values and ranges, endpoints, delays), by building the graph. */
static lsnn_status check_graph(const lsnn_config *cfg, const char *origin)
{
    const lsnn_network_config *net = &cfg->network;
    if (!net->populations[0]) {
        if (net->projections[0])
            CFG_FAIL("%s: network.projections: set without network.populations (the recipe "
                     "makes its own projections)",
                     origin);
        if (net->readout_from[0])
            CFG_FAIL("%s: network.readout_from: names populations of network.populations; the "
                     "recipe's readout reads every neuron",
                     origin);
        return LSNN_OK;
    }
    if (net->layers > 1 || net->bidirectional || net->module[0])
        CFG_FAIL("%s: network.populations: a graph network is written out in full; "
                 "network.layers, bidirectional and module belong to the recipe (add the "
                 "populations and projections they stand for instead)",
                 origin);
    if (strcmp(cfg->model, "lsnn") != 0)
        CFG_FAIL("%s: network.populations: graph networks are spiking (model \"lsnn\"), got "
                 "\"%s\"",
                 origin, cfg->model);
    lsnn_graph *g;
    lsnn_status st = lsnn_graph_from_config(net, &g);
    if (st)
        return lsnn_error(st, "%s: %s", origin, lsnn_last_error());
    lsnn_graph_free(g);
    return LSNN_OK;
}

/* Task l2l: its loss is on the readout averaged over each example, which e-prop does not compute
 * online. */
static lsnn_status check_l2l(const lsnn_config *cfg, const char *origin)
{
    if (strcmp(cfg->task, "l2l") != 0)
        return LSNN_OK;
    if (strcmp(cfg->learning, "bptt") != 0)
        CFG_FAIL("%s: task \"l2l\": its loss is on the readout averaged over each example, "
                 "which e-prop does not compute online: set learning to \"bptt\"",
                 origin);
    if (strcmp(cfg->network.readout, "rate") == 0)
        CFG_FAIL("%s: task \"l2l\": the prediction is the linear readout (network.readout "
                 "\"linear\"; readout_tau 0 makes it linear in the spike counts)",
                 origin);
    return LSNN_OK;
}

/* Model alstm: the last step's error alone is an RTRL option (the BPTT path sums every step). */
static lsnn_status check_alstm(const lsnn_config *cfg, const char *origin)
{
    if (strcmp(cfg->model, "alstm") == 0 && strcmp(cfg->alstm.seq_targets, "final") == 0 &&
        strcmp(cfg->alstm.update, "bptt") == 0)
        CFG_FAIL("%s: alstm.seq_targets \"final\" trains with alstm.update \"rtrl\" only (BPTT "
                 "here sums every step's error)",
                 origin);
    return LSNN_OK;
}

/* Reinforcement learning: the closed-loop task meta_rl and the rule ppo go together. */
static lsnn_status check_meta_rl(const lsnn_config *cfg, const char *origin)
{
    const int task = strcmp(cfg->task, "meta_rl") == 0, ppo = strcmp(cfg->learning, "ppo") == 0;
    if (task && !ppo)
        CFG_FAIL("%s: task \"meta_rl\" is closed-loop (its inputs follow the agent's actions): "
                 "set learning to \"ppo\"",
                 origin);
    if (ppo && !task)
        CFG_FAIL("%s: learning \"ppo\" trains an agent in a closed-loop task: set task to "
                 "\"meta_rl\" (task \"%s\" has no environment)",
                 origin, cfg->task);
    if (ppo && (strcmp(cfg->model, "lsnn") != 0 || cfg->network.bidirectional))
        CFG_FAIL("%s: learning \"ppo\" runs the spiking network step by step (model \"lsnn\", "
                 "one direction)",
                 origin);
    if (ppo && strcmp(cfg->network.readout, "rate") == 0)
        CFG_FAIL("%s: learning \"ppo\": the policy reads the linear readouts (network.readout "
                 "\"linear\")",
                 origin);
    if (task && cfg->meta_rl.goal_ring > cfg->meta_rl.radius)
        CFG_FAIL("%s: meta_rl.goal_ring = %g: the goal centres must lie in the arena (radius %g)",
                 origin, cfg->meta_rl.goal_ring, cfg->meta_rl.radius);
    return LSNN_OK;
}

/* Tasks softmax and kwta. */
static lsnn_status check_module_task(const lsnn_config *cfg, const char *origin)
{
    if (strcmp(cfg->task, "softmax") != 0 && strcmp(cfg->task, "kwta") != 0)
        return LSNN_OK;
    const lsnn_module_config *mo = &cfg->module;
    if (strcmp(cfg->network.readout, "rate") != 0)
        CFG_FAIL("%s: network.readout: task \"%s\" is trained on the firing rates of output "
                 "groups: set network.readout to \"rate\"",
                 origin, cfg->task);
    if (strcmp(cfg->learning, "bptt") != 0 || strcmp(cfg->model, "lsnn") != 0)
        CFG_FAIL("%s: task \"%s\" needs learning \"bptt\" and model \"lsnn\" (its loss is on "
                 "window-averaged rates, which e-prop does not compute online)",
                 origin, cfg->task);
    if (mo->t_init >= mo->steps)
        CFG_FAIL("%s: module.t_init: must be < module.steps (%d), got %d", origin, mo->steps,
                 mo->t_init);
    const int kwta = strcmp(cfg->task, "kwta") == 0;
    const char *map = kwta ? "identity" : mo->mapping;
    if (strcmp(map, "identity") == 0 && mo->n_in != mo->n_out)
        CFG_FAIL("%s: module.n_in: %s needs as many inputs as outputs (n_out = %d), got %d",
                 origin, kwta ? "task kwta" : "mapping \"identity\"", mo->n_out, mo->n_in);
    if (strcmp(map, "signed") == 0 && mo->n_in != 2 * mo->n_out)
        CFG_FAIL("%s: module.n_in: mapping \"signed\" codes each value as a pair (x+, x-): n_in "
                 "must be 2 n_out = %d, got %d",
                 origin, 2 * mo->n_out, mo->n_in);
    if (kwta && mo->k >= mo->n_out)
        CFG_FAIL("%s: module.k: must be < module.n_out (%d), got %d", origin, mo->n_out, mo->k);
    if (kwta && mo->rate_zero > mo->rate_one)
        CFG_FAIL("%s: module.rate_zero: must be <= module.rate_one", origin);
    return LSNN_OK;
}

/* Regularisation of the hidden neurons only (after the module tasks, whose message about the
 * readout is the more useful one), and the store-recall input rate. */
static lsnn_status check_rates(const lsnn_config *cfg, const char *origin)
{
    if (strcmp(cfg->network.readout, "rate") != 0 &&
        strcmp(cfg->loss.rate_reg_neurons, "hidden") == 0)
        CFG_FAIL("%s: loss.rate_reg_neurons: \"hidden\" means the neurons outside the groups of "
                 "the rate readout; set network.readout to \"rate\"",
                 origin);
    double p_spike = cfg->store_recall.rate_hz * cfg->network.dt / 1000.0;
    if (!(p_spike <= 1.0)) {
        char got[48];
        lsnn__cfg_fmt_double(got, sizeof got, p_spike);
        CFG_FAIL("%s: store_recall.rate_hz: rate_hz * network.dt / 1000 must be <= 1 (input spike "
                 "probability per step), got %s",
                 origin, got);
    }
    return LSNN_OK;
}

lsnn_status lsnn_config_validate(const lsnn_config *cfg, const char *origin)
{
    origin = origin ? origin : "config";
    if (!cfg)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_validate: NULL argument", origin);
    for (size_t i = 0; i < N_FIELDS; i++) {
        lsnn_status st = lsnn__cfg_check_field(cfg, &fields[i], origin);
        if (st != LSNN_OK)
            return st;
    }
    lsnn_status st;
    if ((st = check_training(cfg, origin)) || (st = check_bidirectional(cfg, origin)) ||
        (st = check_rate_readout(cfg, origin)) || (st = check_module_task(cfg, origin)) ||
        (st = check_rates(cfg, origin)) || (st = check_graph(cfg, origin)) ||
        (st = check_l2l(cfg, origin)) || (st = check_meta_rl(cfg, origin)) ||
        (st = check_alstm(cfg, origin)))
        return st;
    return LSNN_OK;
}

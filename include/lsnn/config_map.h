/* lsnn/config_map.h - the one place where a JSON config (lsnn/config.h) becomes the typed
 * parameters of each part: the network spec (lsnn/network.h), the optimizer (lsnn/learn.h),
 * DEEP R (lsnn/deepr.h) and e-prop (lsnn/eprop.h). The parts below the run layer know nothing
 * of configs; a program that builds its network by hand fills their typed structs directly.
 *
 * The mapping functions check what the config's key table cannot (a name that must be in a
 * registry, for configs filled by hand instead of parsed) and name the config key in their
 * errors. The constraints between keys are checked once, by lsnn_config_validate. A zeroed
 * (hand-filled) section maps to the defaults of the typed struct: "" means the first choice. */
#ifndef LSNN_CONFIG_MAP_H
#define LSNN_CONFIG_MAP_H

#include "lsnn/config.h"
#include "lsnn/deepr.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"

lsnn_status lsnn_net_spec_from_config(const lsnn_network_config *cfg, lsnn_net_spec *spec);
lsnn_status lsnn_optim_params_from_config(const lsnn_optim_config *cfg, lsnn_optim_params *p);
void lsnn_deepr_params_from_config(const lsnn_deepr_config *cfg, lsnn_deepr_params *p);
/* From the eprop and loss sections (the rate target is loss.rate_target). */
lsnn_status lsnn_eprop_opts_from_config(const lsnn_config *cfg, lsnn_eprop_opts *opts);

/* The graph of network.populations and network.projections (an error when populations is
 * empty: then the recipe of lsnn_net_spec builds the network). The caller frees *out. */
lsnn_status lsnn_graph_from_config(const lsnn_network_config *cfg, lsnn_graph **out);
/* Neurons the "network" section builds (recipe or graph; an embedded module not counted), or -1
 * when the section is invalid. */
long long lsnn_config_neurons(const lsnn_network_config *cfg);

/* lsnn_net_build / lsnn_net_build_embedded on the mapped "network" section (lsnn_graph_build for
 * a graph network). */
lsnn_status lsnn_net_init(lsnn_net *net, const lsnn_network_config *cfg, int n_in, int n_out,
                          uint64_t seed);
lsnn_status lsnn_net_init_embedded(lsnn_net *net, const lsnn_network_config *cfg, int n_in,
                                   uint64_t seed, const lsnn_net *mod);

/* The choices of the config keys backed by a registry, '|'-separated into buf (cap bytes):
 * task (lsnn/task.h), network.neuron (lsnn/neuron.h), model (the spiking network and the
 * baselines of lsnn/ann.h), learning (the learning rules) and optimizer.name (lsnn/learn.h).
 * The key table of the config (src/run/config_table.c) takes its choice lists from here, so a
 * new entry in a registry is a valid config value without further edits. */
void lsnn_config_choices_task(char *buf, size_t cap);
void lsnn_config_choices_neuron(char *buf, size_t cap);
void lsnn_config_choices_model(char *buf, size_t cap);
void lsnn_config_choices_learning(char *buf, size_t cap);
void lsnn_config_choices_optimizer(char *buf, size_t cap);

#endif

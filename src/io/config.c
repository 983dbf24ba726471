/* Experiment configuration (see lsnn/config.h).
 *
 * One static table (`fields`) describes every key: dotted name, type, location in lsnn_config,
 * default, allowed range or values, and a one-line description. Defaults, JSON parsing, --set
 * overrides, validation, serialisation and the Markdown reference (docs/CONFIG.md) are all driven
 * by it; adding a key means adding one line to the table (and regenerating docs/CONFIG.md, which
 * tests/test_config.c enforces). */
#include "lsnn/config.h"

#include "io/config_doc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------------- */

typedef enum cfg_type {
    CT_INT,    /* int */
    CT_BOOL,   /* int holding 0 or 1; JSON true/false (0/1 accepted) */
    CT_DOUBLE, /* double, always finite */
    CT_STRING, /* char[LSNN_NAME_MAX], one of `choices`; or char[LSNN_PATH_MAX], any text, when
                * choices is NULL (F_PATH) */
    CT_U64     /* unsigned long long (the seed) */
} cfg_type;

/* Range flags: which bounds apply and whether they are exclusive. */
enum {
    R_MIN = 1u << 0,
    R_MIN_EXCL = 1u << 1,
    R_MAX = 1u << 2,
    R_MAX_EXCL = 1u << 3,
};
#define R_GT0 (R_MIN | R_MIN_EXCL) /* > min  (min = 0 in the table) */
#define R_GE (R_MIN)               /* >= min */
#define R_IN (R_MIN | R_MAX)       /* min <= x <= max */

typedef struct cfg_field {
    const char *key; /* dotted JSON path; at most one level of nesting */
    cfg_type type;
    size_t offset;       /* offsetof(lsnn_config, ...) */
    double def;          /* default of numeric and boolean fields */
    const char *def_str; /* default of string fields */
    unsigned range;      /* R_* flags */
    double min, max;
    const char *choices; /* string fields: allowed values separated by '|' */
    const char *doc;     /* one line, no '|' (it goes into a Markdown table) */
} cfg_field;

/* offsetof() plus a compile-time check that the member has the type the table entry claims
 * (a negative array size otherwise). */
/* clang-format off */
#define CFG_MEMBER(m) (((lsnn_config *)0)->m)
#define CFG_OFF(m, ok) (offsetof(lsnn_config, m) + 0 * sizeof(char[(ok) ? 1 : -1]))
#define OFF_INT(m) CFG_OFF(m, _Generic(CFG_MEMBER(m), int: 1, default: 0))
#define OFF_DBL(m) CFG_OFF(m, _Generic(CFG_MEMBER(m), double: 1, default: 0))
#define OFF_U64(m) CFG_OFF(m, _Generic(CFG_MEMBER(m), unsigned long long: 1, default: 0))
#define OFF_PATH(m) CFG_OFF(m, sizeof CFG_MEMBER(m) == LSNN_PATH_MAX && \
                              _Generic(CFG_MEMBER(m)[0], char: 1, default: 0))
#define OFF_STR(m) CFG_OFF(m, sizeof CFG_MEMBER(m) == LSNN_NAME_MAX && \
                              _Generic(CFG_MEMBER(m)[0], char: 1, default: 0))

#define F_INT(k, m, d, r, lo, hi, doc) {k, CT_INT, OFF_INT(m), d, NULL, r, lo, hi, NULL, doc}
#define F_BOOL(k, m, d, doc) {k, CT_BOOL, OFF_INT(m), d, NULL, 0, 0, 0, NULL, doc}
#define F_DBL(k, m, d, r, lo, hi, doc) {k, CT_DOUBLE, OFF_DBL(m), d, NULL, r, lo, hi, NULL, doc}
#define F_STR(k, m, d, choices, doc) {k, CT_STRING, OFF_STR(m), 0, d, 0, 0, 0, choices, doc}
#define F_PATH(k, m, d, doc) {k, CT_STRING, OFF_PATH(m), 0, d, 0, 0, 0, NULL, doc}
#define F_U64(k, m, d, doc) {k, CT_U64, OFF_U64(m), d, NULL, 0, 0, 0, NULL, doc}
/* clang-format on */

#define MAX_NEURONS 1000000
#define MAX_SEQ_STEPS 10000000LL /* n_symbols * symbol_ms */

static const cfg_field fields[] = {
    /* top level */
    F_STR("task", task, "store_recall", "store_recall|smnist|timit|softmax|kwta",
          "Task to train on."),
    F_STR("model", model, "lsnn", "lsnn|lstm|rnn",
          "Network: the spiking LSNN, or a non-spiking LSTM / tanh RNN baseline."),
    F_STR("learning", learning, "bptt", "bptt|eprop",
          "Learning rule: backpropagation through time or e-prop."),
    F_U64("seed", seed, 1,
          "Seed of the random generator; this one seed drives initialisation, data and noise."),
    F_INT("iterations", iterations, 400, R_GE, 0, 0, "Training iterations (parameter updates)."),
    F_INT("batch_size", batch_size, 64, R_IN, 1, 65536, "Sequences per training iteration."),
    F_DBL("lr", lr, 0.01, R_GT0, 0, 0, "Learning rate."),
    F_INT("log_every", log_every, 10, R_GE, 1, 0,
          "Print a progress line every this many iterations."),
    F_INT("eval_every", eval_every, 50, R_GE, 0, 0,
          "Validate every this many iterations (0: only at the end)."),
    F_INT("bptt_records_mb", bptt_records_mb, 256, R_IN, 0, 1048576,
          "BPTT: memory (MB) for records of the membrane potentials of every step of the forward "
          "pass. When the batch's records fit, the backward pass rebuilds each segment from them "
          "instead of simulating it again: the same gradients, faster. 0: always simulate again. "
          "Only ALIF/LIF networks are recorded."),

    /* optimizer (C member `optim`) */
    F_STR("optimizer.name", optim.name, "adam", "adam|sgd", "Optimiser."),
    F_DBL("optimizer.beta1", optim.beta1, 0.9, R_MIN | R_MIN_EXCL | R_MAX | R_MAX_EXCL, 0, 1,
          "Adam: decay rate of the first-moment estimate."),
    F_DBL("optimizer.beta2", optim.beta2, 0.999, R_MIN | R_MIN_EXCL | R_MAX | R_MAX_EXCL, 0, 1,
          "Adam: decay rate of the second-moment estimate."),
    F_DBL("optimizer.epsilon", optim.epsilon, 1e-8, R_GT0, 0, 0,
          "Adam: epsilon added to the root of the second moment."),
    F_DBL("optimizer.lr_decay", optim.lr_decay, 1.0, R_MIN | R_MIN_EXCL | R_MAX, 0, 1,
          "Multiply the learning rate by this factor every `optimizer.lr_decay_every` iterations "
          "(1: no decay)."),
    F_INT("optimizer.lr_decay_every", optim.lr_decay_every, 0, R_GE, 0, 0,
          "Iterations between learning-rate decays (0: never)."),
    F_DBL("optimizer.clip_norm", optim.clip_norm, 0, R_GE, 0, 0,
          "Clip the global gradient norm to this value (0: off)."),
    F_BOOL("optimizer.epsilon_in_sqrt", optim.epsilon_in_sqrt, 0,
           "Adam: put epsilon inside the square root, m / sqrt(v + epsilon), as seed 004 eq. "
           "3.52 writes it (its value there: 1e-5); otherwise m / (sqrt(v) + epsilon)."),
    F_INT("optimizer.warmup", optim.warmup, 0, R_GE, 0, 0,
          "Ramp the learning rate linearly from 0 over this many iterations (seed 004: one "
          "epoch; 0: off)."),

    /* network */
    F_STR("network.neuron", network.neuron, "alif", "alif|stdp_alif|izhikevich",
          "Neuron model of every population: `alif` (LIF when beta = 0; seed 000), `stdp_alif` "
          "(hard reset at a spike and at the end of refractoriness, negative pseudo-derivative "
          "while refractory; seed 004 eqs. 3.16-3.23) or `izhikevich` (built-in reset, seed 004 "
          "eqs. 3.24-3.39; use input_scaling `plain`; tau_m, b0, beta and refractory do not "
          "apply)."),
    F_INT("network.layers", network.layers, 1, R_IN, 1, 4,
          "Recurrent layers (seed 004 eqs. 3.11-3.15), each of n_regular + n_adaptive neurons with "
          "its own recurrent weights; layer 1 receives the input, layer r the spikes of layer r-1 "
          "of the same step; the readout sees all layers."),
    F_INT("network.n_regular", network.n_regular, 20, R_IN, 0, MAX_NEURONS,
          "Regular LIF neurons (no threshold adaptation), per layer."),
    F_INT("network.n_adaptive", network.n_adaptive, 20, R_IN, 0, MAX_NEURONS,
          "Adaptive ALIF neurons, per layer."),
    F_DBL("network.dt", network.dt, 1.0, R_GT0, 0, 0, "Simulation time step, ms."),
    F_DBL("network.tau_m", network.tau_m, 20, R_GT0, 0, 0, "Membrane time constant, ms."),
    F_DBL("network.tau_a", network.tau_a, 1200, R_GT0, 0, 0,
          "Adaptation time constant of the ALIF neurons, ms."),
    F_DBL("network.beta", network.beta, 1.8, R_GE, 0, 0,
          "Adaptation strength of the ALIF neurons (threshold increase per unit of adaptation)."),
    F_DBL("network.b0", network.b0, 0.01, R_GT0, 0, 0, "Baseline firing threshold."),
    F_INT("network.refractory", network.refractory, 2, R_IN, 0, 1000,
          "Refractory period after a spike, steps (0: none)."),
    F_STR("network.input_scaling", network.input_scaling, "leaky", "leaky|plain",
          "Input current in the membrane update: `leaky` scales it by (1 - exp(-dt/tau_m)), "
          "`plain` adds it unscaled."),
    F_DBL("network.gamma", network.gamma, 0.3, R_GE, 0, 0,
          "Dampening factor of the spike pseudo-derivative."),
    F_DBL("network.w0", network.w0, 1.0, R_GE, 0, 0,
          "Scale of the initial input and recurrent weights: w0 / sqrt(fan-in) N(0, 1)."),
    F_DBL("network.w0_out", network.w0_out, 1.0, R_GE, 0, 0,
          "Scale of the initial readout weights: w0_out / sqrt(neurons) N(0, 1)."),
    F_INT("network.max_delay", network.max_delay, 1, R_IN, 1, 64,
          "Synaptic delays are drawn uniformly from 1 to max_delay, steps."),
    F_DBL("network.noise_std", network.noise_std, 0, R_GE, 0, 0,
          "Initial std of the Gaussian current noise (0: off)."),
    F_BOOL("network.train_noise", network.train_noise, 0,
           "Train the per-neuron noise std as a parameter."),
    F_DBL("network.readout_tau", network.readout_tau, 20, R_GE, 0, 0,
          "Readout time constant, ms: kappa = exp(-dt/readout_tau) (0: no filtering)."),
    F_INT("network.n_hidden", network.n_hidden, 128, R_IN, 1, 100000,
          "Units of the LSTM / tanh RNN baselines (model lstm or rnn)."),
    F_STR("network.sign_regular", network.sign_regular, "none", "none|exc|inh",
          "Sign of every outgoing (recurrent and readout) weight of the LIF neurons: unsigned, "
          "excitatory (>= 0) or inhibitory (<= 0); kept through training. With `network.init` "
          "`signed`, `none` draws each neuron's sign (see `network.exc_fraction`)."),
    F_STR("network.sign_adaptive", network.sign_adaptive, "none", "none|exc|inh",
          "The same for the ALIF neurons."),
    F_STR("network.init", network.init, "gaussian", "gaussian|signed",
          "Weight initialisation: `gaussian` draws w0 / sqrt(fan-in) N(0, 1); `signed` gives every "
          "neuron and input channel a sign and draws sign |N(0, 1)|, balanced so that the weights "
          "onto each neuron sum to zero, scaled to spectral radius w0 (w0_out for the readout; "
          "seed 000 section 3)."),
    F_DBL("network.exc_fraction", network.exc_fraction, 0.8, R_IN, 0, 1,
          "With init `signed`: probability that a neuron of a population whose sign is `none` "
          "is excitatory (one Bernoulli draw per neuron)."),
    F_DBL("network.input_exc_fraction", network.input_exc_fraction, 0.75, R_IN, 0, 1,
          "With init `signed`: fraction of excitatory input channels (round(fraction * inputs) "
          "channels, chosen at random; 60 of 80 in seed 001 Fig. 1C)."),
    F_DBL("network.connectivity", network.connectivity, 1.0, R_MIN | R_MIN_EXCL | R_MAX, 0, 1,
          "Connection probability: round(connectivity * possible) synapses of W_in, W_rec (no "
          "self-connections) and W_out exist, chosen uniformly (1: dense, no masks)."),
    F_BOOL("network.bidirectional", network.bidirectional, 0,
           "Bidirectional network (seed 000 TIMIT, BPTT only): a second network of the same size "
           "reads each sequence backwards from its last supervised step, and the two readouts are "
           "summed step by step. Each direction has its own `w_in`, `w_rec` and readout block "
           "(`w_in_bw`, `w_rec_bw`, populations `R_bw`, `A_bw`); one layer only."),
    F_STR("network.readout", network.readout, "linear", "linear|rate",
          "Readout: `linear`, the trained leaky readout of every neuron (seed 000); `rate`, the "
          "mean firing rate in Hz of n_out groups of `network.rate_group` neurons, the last "
          "neurons of the network (seed 003 eq. 4.3). The rate readout is fixed (not trained) and "
          "unfiltered (`network.readout_tau` does not apply); the other neurons are the hidden "
          "population."),
    F_INT("network.rate_group", network.rate_group, 10, R_IN, 1, 100000,
          "Readout `rate`: neurons per output group (with `network.module`, the module's own "
          "group size applies)."),
    F_PATH("network.module", network.module, "",
           "Checkpoint of a trained spiking module (a model of task `softmax` or `kwta`) to embed, "
           "frozen, after the network (seed 003 section 4.2): the network's last layer drives a "
           "layer `M_in` of LIF neurons (one per input channel of the module, projection "
           "`w_pm`, trained), which stands in for the module's Poisson inputs; the module's "
           "neurons `M` and weights (`w_m_in`, `w_m_rec`) are copied and not trained, and the "
           "rate readout reads the module's output groups. Empty: no module."),
    F_STR("network.module_input", network.module_input, "network", "network|module",
          "Neuron parameters of the layer `M_in` that feeds an embedded module: those of this "
          "config's LIF neurons (`network`: tau_m, b0, refractory) or those of the module's "
          "first neuron (`module`: its threshold, often far higher, keeps M_in out of "
          "saturation and its pseudo-derivative wide)."),
    F_BOOL("network.global_connectivity", network.global_connectivity, 0,
           "Apply `network.connectivity` once across W_in, W_rec and W_out together (the "
           "paper's global connectivity level; DEEP R may then move synapses between the "
           "matrices) instead of to each matrix."),

    /* deepr */
    F_BOOL("deepr.enabled", deepr.enabled, 0,
           "Rewire the network with DEEP R during training (Bellec et al. 2018): the number of "
           "synapses stays fixed, synapses whose weight would change sign are removed and as many "
           "are regrown at random."),
    F_DBL("deepr.l1", deepr.l1, 0.01, R_GE, 0, 0,
          "L1 shrinkage: after each optimizer step every synapse's magnitude shrinks by "
          "lr * l1 (seed 000: 0.01)."),
    F_DBL("deepr.temperature", deepr.temperature, 0, R_GE, 0, 0,
          "Noise temperature T: each synapse's magnitude receives sqrt(2 lr T) N(0, 1) noise "
          "after each step (seed 000: 0)."),
    F_DBL("deepr.init_magnitude", deepr.init_magnitude, 1e-12, R_GE, 0, 0,
          "Magnitude of a regrown synapse (with its source's sign). Tiny by default: a new "
          "synapse survives only if its gradient outgrows the L1 shrinkage."),

    /* loss */
    F_DBL("loss.rate_target", loss.rate_target, 10, R_GE, 0, 0,
          "Target firing rate of the rate regularisation, Hz."),
    F_DBL("loss.rate_reg", loss.rate_reg, 0, R_GE, 0, 0,
          "Weight of the firing-rate regularisation (0: off)."),
    F_STR("loss.rate_reg_neurons", loss.rate_reg_neurons, "all", "all|hidden",
          "Neurons the rate regularisation covers: all, or the hidden ones (those outside the "
          "groups of the `rate` readout; seed 003 eq. 4.10)."),
    F_DBL("loss.l2", loss.l2, 0, R_GE, 0, 0,
          "L2 regularisation: adds l2 * W to the gradient of every input and recurrent weight "
          "(seed 004 eq. 3.45; 0: off)."),

    /* eprop */
    F_STR("eprop.feedback", eprop.feedback, "symmetric", "symmetric|random|adaptive",
          "e-prop feedback weights B of the learning signals: the transposed readout weights "
          "(`symmetric`), fixed random Gaussian ones (`random`), or random ones that receive "
          "the readout's updates (`adaptive`)."),
    F_BOOL("eprop.reset_grad", eprop.reset_grad, 0,
           "e-prop: include the reset's dependence on the membrane potential (through the "
           "pseudo-derivative of the spike) in the eligibility vectors. Off: seed 004 eq. 2.24, "
           "where dV(t+1)/dV(t) = alpha. On: e-prop equals BPTT with the recurrent spikes cut."),
    F_DBL("eprop.rate_reg", eprop.rate_reg, 0, R_GE, 0, 0,
          "e-prop online firing-rate regularisation c_reg (seed 004 eqs. 3.40-3.44): each "
          "incoming weight of neuron j receives c_reg (f_j(t) - f_target) averaged over the "
          "steps and sequences of the batch, f_j(t) the neuron's rate (spikes per step) since "
          "the start of its sequence, f_target = `loss.rate_target`."),
    F_DBL("eprop.clip_v", eprop.clip_v, 0, R_GE, 0, 0,
          "Clip the voltage component of every eligibility vector to [-clip_v, clip_v] "
          "(seed 004 section 3.2.2.2: 3 for Izhikevich neurons; 0: off)."),
    F_DBL("eprop.clip_a", eprop.clip_a, 0, R_GE, 0, 0,
          "Clip the adaptation/recovery component of every eligibility vector to "
          "[-clip_a, clip_a] (seed 004: 0.005 for Izhikevich neurons; 0: off)."),

    /* store_recall */
    F_INT("store_recall.n_values", store_recall.n_values, 2, R_IN, 2, 16,
          "Number of distinct values that can be stored and recalled."),
    F_INT("store_recall.n_symbols", store_recall.n_symbols, 12, R_IN, 2, 4096,
          "Symbols (periods) per sequence."),
    F_INT("store_recall.symbol_ms", store_recall.symbol_ms, 200, R_IN, 1, 100000,
          "Duration of one symbol, steps (= ms at dt = 1)."),
    F_INT("store_recall.group_size", store_recall.group_size, 25, R_IN, 1, 10000,
          "Poisson input neurons per input group (store, recall, one group per value)."),
    F_DBL("store_recall.rate_hz", store_recall.rate_hz, 50, R_GE, 0, 0,
          "Firing rate of an active input group, Hz."),
    F_DBL("store_recall.p_command", store_recall.p_command, 0.1666666667,
          R_MIN | R_MIN_EXCL | R_MAX, 0, 1,
          "Probability that a period carries a store or a recall command."),
    F_INT("store_recall.val_size", store_recall.val_size, 256, R_IN, 1, 1000000,
          "Validation sequences (freshly generated)."),

    /* smnist */
    F_PATH("smnist.data_dir", smnist.data_dir, "data/mnist",
           "Directory with the four IDX files (plain or .gz): data/mnist from `lsnn data mnist`, "
           "data/fashion from `lsnn data fashion`."),
    F_STR("smnist.encoding", smnist.encoding, "threshold", "threshold|population|analog",
          "Pixel encoding: threshold crossings (2 channels per grey level), population "
          "probability, or the grey value as one analog channel."),
    F_INT("smnist.n_input", smnist.n_input, 80, R_IN, 2, 10000,
          "Input channels of the spike encodings (threshold: n_input / 2 grey levels)."),
    F_INT("smnist.ms_per_pixel", smnist.ms_per_pixel, 1, R_IN, 1, 100,
          "Steps each pixel is shown (1 or 2 ms in seed 000)."),
    F_BOOL("smnist.cue", smnist.cue, 1,
           "Add one input channel that is active during the readout steps after the image."),
    F_INT("smnist.readout_steps", smnist.readout_steps, 56, R_IN, 1, 100000,
          "Steps after the image over which the readout is averaged and classified."),
    F_INT("smnist.train_size", smnist.train_size, 0, R_IN, 0, 60000,
          "Training images used, from the start of the training file (0: all but the validation "
          "slice)."),
    F_INT("smnist.val_size", smnist.val_size, 5000, R_IN, 1, 30000,
          "Validation slice: the last val_size images of the training file (never trained on)."),

    /* module */
    F_INT("module.n_in", module.n_in, 4, R_IN, 1, 4096,
          "Input values M, each coded by a group of `module.group_size` Poisson neurons."),
    F_INT("module.n_out", module.n_out, 4, R_IN, 1, 4096,
          "Outputs N: one group of `network.rate_group` neurons each. `identity` and `kwta` need "
          "n_out = n_in, `signed` n_in = 2 n_out."),
    F_STR("module.mapping", module.mapping, "identity", "identity|random|signed",
          "Task `softmax`: the map applied before the softmax: none (seed 003 section 4.1.3), a "
          "random matrix W_target (N x M) drawn once from the run's seed (section 4.1.5), or "
          "differences of pairs of inputs x+ - x- (section 4.1.6)."),
    F_INT("module.group_size", module.group_size, 10, R_IN, 1, 10000,
          "Poisson input neurons per input value."),
    F_DBL("module.rate_scale", module.rate_scale, 200, R_GT0, 0, 0,
          "rho_scale, Hz: an input neuron of value x fires at rate_scale x (spike probability "
          "per step capped at 1), and the softmax targets are rate_scale softmax(a)."),
    F_DBL("module.exp_beta", module.exp_beta, 0.5, R_GT0, 0, 0,
          "Rate beta of the exponential distribution the input values are drawn from (mean "
          "1 / beta)."),
    F_INT("module.steps", module.steps, 300, R_IN, 2, 1000000,
          "Steps per sequence T (300 for softmax, 400 for kwta in seed 003)."),
    F_INT("module.t_init", module.t_init, 30, R_IN, 0, 999999,
          "Steps before the output window [t_init, steps) (30 for softmax, 100 for kwta)."),
    F_DBL("module.map_mean", module.map_mean, 20, R_IN, -1e6, 1e6,
          "Mapping `random`: mean of the entries of W_target."),
    F_DBL("module.map_std", module.map_std, 5, R_GE, 0, 0,
          "Mapping `random`: standard deviation of the entries of W_target."),
    F_INT("module.k", module.k, 1, R_IN, 1, 4096,
          "Task `kwta`: number of winners K (the outputs of the K largest inputs must fire)."),
    F_DBL("module.rate_zero", module.rate_zero, 20, R_GE, 0, 0,
          "Task `kwta`: rate (Hz) a losing output must stay at or below; also the border of the "
          "accuracy."),
    F_DBL("module.rate_one", module.rate_one, 50, R_GE, 0, 0,
          "Task `kwta`: rate (Hz) a winning output must reach (hinge loss, seed 003 eq. 4.23)."),
    F_INT("module.val_size", module.val_size, 1000, R_IN, 1, 1000000,
          "Validation sequences (freshly generated)."),

    /* timit */
    F_PATH("timit.dir", timit.dir, "data/timit-features",
           "Feature cache (train, valid and test .safetensors) written by `lsnn data timit CORPUS "
           "DIR`."),
    F_INT("timit.frame_steps", timit.frame_steps, 10, R_IN, 1, 100,
          "Steps each 10 ms feature frame is held; its classification window covers them (seed "
          "000: 10 steps of 1 ms)."),
    F_INT("timit.max_frames", timit.max_frames, 800, R_IN, 1, 100000,
          "Frames per sequence (T = max_frames * frame_steps): a longer sentence is cut into "
          "consecutive pieces, each a sequence of its own; a shorter one is padded with silent "
          "steps that carry no window. 800 frames (8 s) are meant to keep TIMIT sentences "
          "whole; `lsnn data timit` prints the longest sentence of each split."),
    F_INT("timit.val_size", timit.val_size, 0, R_IN, 0, 1000000,
          "Validation sequences evaluated, from the start of the validation split (0: all)."),
    F_STR("timit.average", timit.average, "softmax", "softmax|readout",
          "What a frame's window averages over its steps: the softmax output (seed 000; the "
          "loss is -log of the averaged probability of the phone) or the readout (the softmax "
          "of the averaged readout; needed by e-prop when frame_steps > 1)."),
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* Sections, in the order of the serialised JSON and of the documentation; "" is the top level. */
static const struct cfg_section {
    const char *name;
    const char *doc;
} sections[] = {
    {"", "Keys of the top-level JSON object."},
    {"optimizer", "Gradient-descent optimiser: JSON object `\"optimizer\"` (C member `optim`)."},
    {"network", "Recurrent network of regular (LIF) and adaptive (ALIF) neurons, and its readout."},
    {"deepr",
     "DEEP R rewiring (Bellec et al. 2018, ICLR; seed 000 section 3) of a sparse, sign-constrained "
     "network."},
    {"loss", "Terms added to the task loss."},
    {"eprop",
     "e-prop, the online learning rule (`\"learning\": \"eprop\"`; seed 004 chapters 2-3): "
     "feedback, eligibility options and its online rate regularisation."},
    {"store_recall",
     "Store-recall task: input groups code values and store/recall commands; the network must "
     "output the most recently stored value at each recall."},
    {"smnist",
     "Sequential MNIST / Fashion-MNIST: the 784 pixels of an image are shown one by one, then the "
     "readout is classified (seed 000 section 4)."},
    {"module",
     "Spiking modules (seed 003 chapter 4), tasks `softmax` and `kwta`: an RSNN reads a vector x "
     "coded by Poisson input groups and must output, as the firing rates of its output groups "
     "(`network.readout` = `rate`), rate_scale softmax(map(x)) (mean squared error, eq. 4.4) or "
     "the K winners of x (hinge loss, eq. 4.23)."},
    {"timit",
     "Framewise phone classification (seed 000 section 4, TIMIT setup): 39 MFCC channels from the "
     "cache of `lsnn data timit`, one classification window over the steps of each frame, 61 "
     "phone classes."},
};
#define N_SECTIONS (sizeof sections / sizeof sections[0])

/* Constraints between keys (checked at the end of lsnn_config_validate, documented here). */
static const char *const cross_docs[] = {
    "`network.n_regular + network.n_adaptive` must be >= 1.",
    "`store_recall.n_symbols * store_recall.symbol_ms` (steps per sequence) must be <= 10000000.",
    "`store_recall.rate_hz * network.dt / 1000` (input spike probability per step) must be <= 1.",
    "`deepr.enabled` requires `network.init` = `signed` (DEEP R keeps each synapse's sign, so "
    "every neuron and input channel needs one) and `network.connectivity` < 1 (a dense network "
    "has no free positions to regrow synapses at).",
    "`network.bidirectional` requires `learning` = `bptt`, `model` = `lsnn` and "
    "`network.layers` = 1.",
    "`network.readout` = `rate` requires `network.rate_group * n_out` (n_out of the task) <= "
    "the neurons of the last layer, one direction, no `network.global_connectivity`, `model` = "
    "`lsnn` and `learning` = `bptt`; tasks "
    "`softmax` and `kwta` require it, `learning` = `bptt` and `model` = `lsnn`; "
    "`loss.rate_reg_neurons` = `hidden` requires it; task `timit` does not allow it. Tasks "
    "`store_recall` and `smnist` with the rate readout are trained on the squared error of the "
    "rates against `module.rate_scale` Hz for the right class and 0 for the others.",
    "`network.module` requires `network.readout` = `rate`, task `store_recall` or `smnist`, "
    "`learning` = `bptt`, `model` = `lsnn`, `network.init` = `gaussian`, `network.connectivity` "
    "= 1 and no DEEP R; the module's checkpoint must hold a one-layer, dense spiking network with "
    "the rate readout, as many outputs as the task has classes, and (task softmax) "
    "`module.rate_scale` equal to the run's.",
    "Task `softmax`: `module.mapping` `identity` requires `module.n_in` = `module.n_out`, "
    "`signed` requires `module.n_in` = 2 `module.n_out`; task `kwta` requires `module.n_in` = "
    "`module.n_out` and `module.k` < `module.n_out`. `module.t_init` < `module.steps`.",
    "`loss.rate_reg` > 0 (batch-wide rate regularisation) requires `learning` = `bptt`; "
    "`eprop.rate_reg` > 0 (its online form) requires `learning` = `eprop`.",
};

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static const char *origin_or_default(const char *origin)
{
    return origin ? origin : "config";
}

/* Length of the section part of a dotted key ("network.tau_m" -> 7, "lr" -> 0). */
static size_t section_len(const char *key)
{
    const char *dot = strchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}

static bool field_in_section(const cfg_field *f, const char *section)
{
    size_t n = section_len(f->key);
    return n == strlen(section) && strncmp(f->key, section, n) == 0;
}

static const cfg_field *find_field(const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

static const char *find_section(const char *name)
{
    for (size_t i = 1; i < N_SECTIONS; i++)
        if (strcmp(sections[i].name, name) == 0)
            return sections[i].name;
    return NULL;
}

static void *field_ptr(lsnn_config *c, const cfg_field *f)
{
    return (char *)c + f->offset;
}

static const void *field_cptr(const lsnn_config *c, const cfg_field *f)
{
    return (const char *)c + f->offset;
}

/* Copies s for display in a message: control characters become '?', long text ends in "...". */
static void show(char *dst, size_t n, const char *s)
{
    size_t i = 0, j = 0;
    for (; s[i] && j + 1 < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[j++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[j] = '\0';
    if (s[i] && n >= 4)
        memcpy(dst + n - 4, "...", 4);
}

/* Shortest "%.*g" text that reads back as exactly v (so serialised configs round-trip);
 * integral values without an exponent. */
static void fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) { /* integral: no exponent ("1000000", not "1e+06") */
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* How a rejected value is shown: the --set text verbatim, else its JSON kind (numbers by value). */
static const char *describe_got(char *buf, size_t n, const cJSON *v, const char *raw)
{
    if (raw) {
        char s[48];
        show(s, sizeof s, raw);
        snprintf(buf, n, "'%s'", s);
        return buf;
    }
    if (cJSON_IsNumber(v)) {
        fmt_double(buf, n, v->valuedouble);
        return buf;
    }
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsTrue(v))
        return "true";
    if (cJSON_IsFalse(v))
        return "false";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

static bool in_range(const cfg_field *f, double v)
{
    if (f->range & R_MIN) {
        if ((f->range & R_MIN_EXCL) ? !(v > f->min) : !(v >= f->min))
            return false;
    }
    if (f->range & R_MAX) {
        if ((f->range & R_MAX_EXCL) ? !(v < f->max) : !(v <= f->max))
            return false;
    }
    return true;
}

/* "> 0", ">= 1", "between 1 and 64", "in (0, 1]", or "" when unbounded. */
static void describe_range(const cfg_field *f, char *buf, size_t n)
{
    char lo[32], hi[32];
    fmt_double(lo, sizeof lo, f->min);
    fmt_double(hi, sizeof hi, f->max);
    bool has_lo = f->range & R_MIN, has_hi = f->range & R_MAX;
    bool lo_ex = f->range & R_MIN_EXCL, hi_ex = f->range & R_MAX_EXCL;
    if (has_lo && has_hi) {
        if (!lo_ex && !hi_ex)
            snprintf(buf, n, "between %s and %s", lo, hi);
        else
            snprintf(buf, n, "in %c%s, %s%c", lo_ex ? '(' : '[', lo, hi, hi_ex ? ')' : ']');
    } else if (has_lo) {
        snprintf(buf, n, "%s %s", lo_ex ? ">" : ">=", lo);
    } else if (has_hi) {
        snprintf(buf, n, "%s %s", hi_ex ? "<" : "<=", hi);
    } else {
        buf[0] = '\0';
    }
}

/* "adam|sgd" -> "adam, sgd" (with each item wrapped in `quote` on both sides). */
static void describe_choices(const char *choices, const char *quote, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const char *p = choices; *p;) {
        size_t w = strcspn(p, "|");
        int k =
            snprintf(buf + len, n - len, "%s%s%.*s%s", len ? ", " : "", quote, (int)w, p, quote);
        if (k < 0 || (size_t)k >= n - len)
            return;
        len += (size_t)k;
        p += w;
        if (*p == '|')
            p++;
    }
}

/* Capacity of a string field: names (with choices) or free-form paths. */
static size_t str_cap(const cfg_field *f)
{
    return f->choices ? LSNN_NAME_MAX : LSNN_PATH_MAX;
}

static bool is_choice(const char *choices, const char *s)
{
    if (!choices)
        return true; /* free-form (paths) */
    size_t n = strlen(s);
    for (const char *p = choices; *p;) {
        size_t w = strcspn(p, "|");
        if (w == n && strncmp(p, s, n) == 0)
            return true;
        p += w;
        if (*p == '|')
            p++;
    }
    return false;
}

/* Levenshtein distance of two short strings (SIZE_MAX when either is too long to bother). */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXL = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXL || lb > MAXL)
        return (size_t)-1;
    size_t row[MAXL + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Error for an unknown dotted key, with a "did you mean" hint for a key one or two edits away. */
static lsnn_status unknown_key(const char *origin, const char *key)
{
    char shown[80];
    show(shown, sizeof shown, key);
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < N_FIELDS; i++) {
        size_t d = edit_distance(key, fields[i].key);
        if (d < best_d) {
            best_d = d;
            best = fields[i].key;
        }
    }
    for (size_t i = 1; i < N_SECTIONS; i++) {
        size_t d = edit_distance(key, sections[i].name);
        if (d < best_d) {
            best_d = d;
            best = sections[i].name;
        }
    }
    if (best)
        return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: unknown key (did you mean %s?)", origin, shown,
                          best);
    return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: unknown key", origin, shown);
}

/* ---------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------- */

void lsnn_config_defaults(lsnn_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const cfg_field *f = &fields[i];
        void *p = field_ptr(cfg, f);
        switch (f->type) {
        case CT_INT:
        case CT_BOOL:
            *(int *)p = (int)f->def;
            break;
        case CT_DOUBLE:
            *(double *)p = f->def;
            break;
        case CT_U64:
            *(unsigned long long *)p = (unsigned long long)f->def;
            break;
        case CT_STRING:
            snprintf((char *)p, str_cap(f), "%s", f->def_str);
            break;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Setting one value (from JSON, or from --set text)
 * ------------------------------------------------------------------------------------------- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Stores value v (NULL: `raw` is not JSON) into field f of c. `raw` is the --set text, or NULL
 * when the value comes from a JSON document. Type checks only; ranges are checked by validate. */
static lsnn_status apply_value(lsnn_config *c, const cfg_field *f, const cJSON *v, const char *raw,
                               const char *origin)
{
    char got[64];
    void *p = field_ptr(c, f);
    switch (f->type) {
    case CT_INT: {
        if (!cJSON_IsNumber(v))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an integer, got %s", origin,
                              f->key, describe_got(got, sizeof got, v, raw));
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an integer, got %s", origin,
                              f->key, describe_got(got, sizeof got, v, raw));
        if (d < (double)INT_MIN || d > (double)INT_MAX) {
            /* The bounds: the key's own range within int's. */
            double lo = INT_MIN, hi = INT_MAX;
            if ((f->range & R_MIN) && f->min > lo)
                lo = (f->range & R_MIN_EXCL) ? floor(f->min) + 1 : ceil(f->min);
            if ((f->range & R_MAX) && f->max < hi)
                hi = (f->range & R_MAX_EXCL) ? ceil(f->max) - 1 : floor(f->max);
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: expected an integer between %.0f and %.0f, got %s", origin,
                              f->key, lo, hi, describe_got(got, sizeof got, v, raw));
        }
        *(int *)p = (int)d;
        return LSNN_OK;
    }
    case CT_BOOL:
        if (cJSON_IsBool(v)) {
            *(int *)p = cJSON_IsTrue(v) ? 1 : 0;
            return LSNN_OK;
        }
        if (cJSON_IsNumber(v) && (v->valuedouble == 0.0 || v->valuedouble == 1.0)) {
            *(int *)p = v->valuedouble == 1.0;
            return LSNN_OK;
        }
        return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected true or false (or 1 or 0), got %s",
                          origin, f->key, describe_got(got, sizeof got, v, raw));
    case CT_DOUBLE:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected a%s number, got %s", origin,
                              f->key, (raw || cJSON_IsNumber(v)) ? " finite" : "",
                              describe_got(got, sizeof got, v, raw));
        *(double *)p = v->valuedouble;
        return LSNN_OK;
    case CT_U64: {
        const char *digits = NULL;
        if (raw && all_digits(raw))
            digits = raw; /* exact, even above 2^53 */
        else if (cJSON_IsString(v))
            digits = v->valuestring;
        if (digits) {
            char *end = NULL;
            errno = 0;
            unsigned long long u = strtoull(digits, &end, 10);
            if (!all_digits(digits) || errno == ERANGE || *end)
                return lsnn_error(LSNN_ERR_CONFIG,
                                  "%s: %s: expected an integer between 0 and %llu, got %s", origin,
                                  f->key, ULLONG_MAX, describe_got(got, sizeof got, v, raw));
            *(unsigned long long *)p = u;
            return LSNN_OK;
        }
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
            v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: expected an integer between 0 and %llu, got %s", origin,
                              f->key, ULLONG_MAX, describe_got(got, sizeof got, v, raw));
        if (v->valuedouble > 9007199254740992.0) /* 2^53: beyond, JSON numbers lose digits */
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: integers above 2^53 must be given as a string of digits "
                              "(e.g. \"18446744073709551615\"), got %s",
                              origin, f->key, describe_got(got, sizeof got, v, raw));
        *(unsigned long long *)p = (unsigned long long)v->valuedouble;
        return LSNN_OK;
    }
    case CT_STRING: {
        const char *s;
        if (cJSON_IsString(v))
            s = v->valuestring;
        else if (raw)
            s = raw; /* --set task=store_recall: a bare word */
        else
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected a string, got %s", origin, f->key,
                              describe_got(got, sizeof got, v, raw));
        size_t n = strlen(s);
        if (n >= str_cap(f)) {
            char shown[48];
            show(shown, sizeof shown, s);
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: string too long (at most %d characters): '%s'", origin,
                              f->key, (int)str_cap(f) - 1, shown);
        }
        memset(p, 0, str_cap(f));
        memcpy(p, s, n);
        return LSNN_OK;
    }
    }
    return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: internal error (bad field type)", origin, f->key);
}

/* Applies every member of a JSON object; `section` is NULL at the top level. */
static lsnn_status apply_object(lsnn_config *c, const cJSON *obj, const char *section,
                                const char *origin)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        char key[128];
        int k = section ? snprintf(key, sizeof key, "%s.%s", section, name)
                        : snprintf(key, sizeof key, "%s", name);
        bool truncated = k < 0 || (size_t)k >= sizeof key;

        for (const cJSON *prev = obj->child; prev != it; prev = prev->next) {
            if (prev->string && strcmp(prev->string, name) == 0) {
                char shown[80];
                show(shown, sizeof shown, key);
                return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: duplicate key", origin, shown);
            }
        }

        const cfg_field *f = truncated ? NULL : find_field(key);
        if (f) {
            lsnn_status st = apply_value(c, f, it, NULL, origin);
            if (st != LSNN_OK)
                return st;
            continue;
        }
        const char *sec = (!section && !truncated) ? find_section(name) : NULL;
        if (sec) {
            if (!cJSON_IsObject(it)) {
                char got[64];
                return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an object, got %s", origin,
                                  sec, describe_got(got, sizeof got, it, NULL));
            }
            lsnn_status st = apply_object(c, it, sec, origin);
            if (st != LSNN_OK)
                return st;
            continue;
        }
        return unknown_key(origin, key);
    }
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------------------------- */

/* Whether text holds the escape \u0000 (a backslash not itself escaped, then u0000). cJSON
 * decodes it into a NUL byte and hands out C strings, which would silently end there. */
static int has_nul_escape(const char *text)
{
    for (const char *q = strstr(text, "u0000"); q; q = strstr(q + 1, "u0000")) {
        size_t bs = 0;
        while (q - bs > text && q[-(ptrdiff_t)bs - 1] == '\\')
            bs++;
        if (bs % 2 == 1)
            return 1;
    }
    return 0;
}

lsnn_status lsnn_config_parse(lsnn_config *cfg, const char *json_text, const char *origin)
{
    origin = origin_or_default(origin);
    if (!cfg || !json_text)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_parse: NULL argument", origin);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json_text, &end, 1);
    if (root && has_nul_escape(json_text)) {
        cJSON_Delete(root);
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: a key or string holds the escape \\u0000 (a NUL character), "
                          "which configs cannot contain",
                          origin);
    }
    if (!root) {
        if (!end)
            end = cJSON_GetErrorPtr();
        size_t len = strlen(json_text);
        if (!end || end < json_text || end > json_text + len)
            return lsnn_error(LSNN_ERR_CONFIG, "%s: JSON syntax error (or out of memory)", origin);
        size_t pos = (size_t)(end - json_text);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (json_text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (pos >= len)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: JSON syntax error at line %zu, column %zu (byte %zu): "
                              "unexpected end of input",
                              origin, line, col, pos);
        char near[24];
        size_t w = strcspn(end, "\r\n");
        char piece[24];
        snprintf(piece, sizeof piece, "%.*s", (int)(w < sizeof piece - 1 ? w : sizeof piece - 1),
                 end);
        show(near, sizeof near, piece);
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: JSON syntax error at line %zu, column %zu (byte %zu), near '%s'",
                          origin, line, col, pos, near);
    }
    if (!cJSON_IsObject(root)) {
        char got[64];
        lsnn_status st =
            lsnn_error(LSNN_ERR_CONFIG, "%s: the top level must be a JSON object, got %s", origin,
                       describe_got(got, sizeof got, root, NULL));
        cJSON_Delete(root);
        return st;
    }

    lsnn_config tmp = *cfg;
    lsnn_status st = apply_object(&tmp, root, NULL, origin);
    cJSON_Delete(root);
    if (st != LSNN_OK)
        return st;
    st = lsnn_config_validate(&tmp, origin);
    if (st != LSNN_OK)
        return st;
    *cfg = tmp;
    return LSNN_OK;
}

#define CONFIG_MAX_BYTES (1024 * 1024)

lsnn_status lsnn_config_load(lsnn_config *cfg, const char *path)
{
    if (!cfg || !path)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_config_load: NULL argument");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open config file: %s", path, strerror(errno));
    char *buf = malloc(CONFIG_MAX_BYTES + 2);
    if (!buf) {
        fclose(fp);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = 0;
    while (n <= CONFIG_MAX_BYTES) {
        size_t r = fread(buf + n, 1, CONFIG_MAX_BYTES + 1 - n, fp);
        if (r == 0)
            break;
        n += r;
    }
    int read_errno = errno;
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read config file: %s", path,
                          strerror(read_errno));
    }
    if (n > CONFIG_MAX_BYTES) {
        free(buf);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: config file is larger than 1 MB (%d bytes)", path,
                          CONFIG_MAX_BYTES);
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: contains a NUL byte (not a JSON text file)", path);
    }
    buf[n] = '\0';

    lsnn_config tmp;
    lsnn_config_defaults(&tmp);
    lsnn_status st = lsnn_config_parse(&tmp, buf, path);
    free(buf);
    if (st == LSNN_OK)
        *cfg = tmp;
    return st;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static lsnn_status check_field(const lsnn_config *cfg, const cfg_field *f, const char *origin);

lsnn_status lsnn_config_set(lsnn_config *cfg, const char *assignment)
{
    const char *origin = "--set";
    if (!cfg || !assignment)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_set: NULL argument", origin);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        char shown[80];
        show(shown, sizeof shown, assignment);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: expected key=value, got '%s'", origin, shown);
    }

    /* key: trimmed text before the first '=' */
    const char *kb = assignment, *ke = eq;
    while (kb < ke && is_space(*kb))
        kb++;
    while (ke > kb && is_space(ke[-1]))
        ke--;
    if (kb == ke)
        return lsnn_error(LSNN_ERR_CONFIG, "%s: missing key before '=' in '%.40s'", origin,
                          assignment);
    char key[128];
    size_t klen = (size_t)(ke - kb);
    if (klen >= sizeof key)
        klen = sizeof key - 1; /* too long to be a key: reported as unknown (truncated) */
    memcpy(key, kb, klen);
    key[klen] = '\0';

    const cfg_field *f = find_field(key);
    if (!f) {
        if (find_section(key))
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: is a section, not a key; set its keys one by one "
                              "(e.g. %s.<key>=value)",
                              origin, key, key);
        return unknown_key(origin, key);
    }

    /* value: trimmed text after the '=' */
    const char *vb = eq + 1, *ve = eq + strlen(eq);
    while (vb < ve && is_space(*vb))
        vb++;
    while (ve > vb && is_space(ve[-1]))
        ve--;
    size_t vlen = (size_t)(ve - vb);
    char *value = malloc(vlen + 1);
    if (!value)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", origin);
    memcpy(value, vb, vlen);
    value[vlen] = '\0';

    cJSON *v = cJSON_ParseWithOpts(value, NULL, 1); /* NULL: not JSON, a bare string */
    lsnn_config tmp = *cfg;
    lsnn_status st = apply_value(&tmp, f, v, value, origin);
    cJSON_Delete(v);
    free(value);
    if (st != LSNN_OK)
        return st;
    /* Only this key's own range here: the constraints between keys wait for
     * lsnn_config_validate, so that overrides may come in any order (deepr.enabled before
     * network.init, say). */
    st = check_field(&tmp, f, origin);
    if (st != LSNN_OK)
        return st;
    *cfg = tmp;
    return LSNN_OK;
}

static lsnn_status check_field(const lsnn_config *cfg, const cfg_field *f, const char *origin)
{
    const void *p = field_cptr(cfg, f);
    char range[64], got[48];
    switch (f->type) {
    case CT_INT: {
        int v = *(const int *)p;
        if (!in_range(f, (double)v)) {
            describe_range(f, range, sizeof range);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be %s, got %d", origin, f->key, range,
                              v);
        }
        return LSNN_OK;
    }
    case CT_BOOL: {
        int v = *(const int *)p;
        if (v != 0 && v != 1)
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be true or false (1 or 0), got %d",
                              origin, f->key, v);
        return LSNN_OK;
    }
    case CT_DOUBLE: {
        double v = *(const double *)p;
        fmt_double(got, sizeof got, v);
        if (!isfinite(v))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be a finite number, got %s", origin,
                              f->key, got);
        if (!in_range(f, v)) {
            describe_range(f, range, sizeof range);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be %s, got %s", origin, f->key, range,
                              got);
        }
        return LSNN_OK;
    }
    case CT_STRING: {
        const char *s = (const char *)p;
        if (!memchr(s, '\0', str_cap(f)))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: string is not NUL-terminated", origin,
                              f->key);
        if (!is_choice(f->choices, s)) {
            char allowed[128];
            describe_choices(f->choices, "", allowed, sizeof allowed);
            show(got, sizeof got, s);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be one of: %s; got '%s'", origin,
                              f->key, allowed, got);
        }
        return LSNN_OK;
    }
    case CT_U64:
        return LSNN_OK;
    }
    return LSNN_OK;
}

lsnn_status lsnn_config_validate(const lsnn_config *cfg, const char *origin)
{
    origin = origin_or_default(origin);
    if (!cfg)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_validate: NULL argument", origin);
    for (size_t i = 0; i < N_FIELDS; i++) {
        lsnn_status st = check_field(cfg, &fields[i], origin);
        if (st != LSNN_OK)
            return st;
    }

    /* constraints between keys: keep in sync with cross_docs[] */
    const lsnn_network_config *net = &cfg->network;
    const lsnn_store_recall_config *sr = &cfg->store_recall;
    if ((long long)net->n_regular + net->n_adaptive < 1)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network: n_regular + n_adaptive must be >= 1 (zero neurons)",
                          origin);
    long long steps = (long long)sr->n_symbols * sr->symbol_ms;
    if (steps > MAX_SEQ_STEPS)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: store_recall: n_symbols * symbol_ms must be <= %lld steps per "
                          "sequence, got %lld",
                          origin, MAX_SEQ_STEPS, steps);
    if (cfg->deepr.enabled && strcmp(net->init, "signed") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: deepr.enabled: DEEP R needs signed neurons and inputs: set "
                          "network.init to \"signed\" (got \"%s\")",
                          origin, net->init);
    if (cfg->deepr.enabled && !(net->connectivity < 1))
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: deepr.enabled: DEEP R rewires a sparse network: set "
                          "network.connectivity below 1 (e.g. 0.12)",
                          origin);
    const int eprop = strcmp(cfg->learning, "eprop") == 0;
    if (eprop && cfg->loss.rate_reg > 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: loss.rate_reg: the batch-wide rate regularisation needs BPTT; with "
                          "e-prop use the online eprop.rate_reg",
                          origin);
    if (!eprop && cfg->eprop.rate_reg > 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: eprop.rate_reg: set for learning \"%s\"; use loss.rate_reg with "
                          "BPTT",
                          origin, cfg->learning);
    if (net->bidirectional && strcmp(cfg->learning, "bptt") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.bidirectional: the backward direction reads each sequence "
                          "from its end, which an online rule cannot: set learning to \"bptt\" "
                          "(got \"%s\")",
                          origin, cfg->learning);
    if (net->bidirectional && strcmp(cfg->model, "lsnn") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.bidirectional: only the spiking network (model \"lsnn\") "
                          "has a bidirectional form (got \"%s\")",
                          origin, cfg->model);
    if (net->bidirectional && net->layers > 1)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.bidirectional: one layer per direction only (got "
                          "network.layers = %d)",
                          origin, net->layers);
    const int rate_out = strcmp(net->readout, "rate") == 0;
    const int module_task = strcmp(cfg->task, "softmax") == 0 || strcmp(cfg->task, "kwta") == 0;
    if (rate_out && net->bidirectional)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.readout: the rate readout reads one network; it has no "
                          "bidirectional form (set network.bidirectional to false)",
                          origin);
    if (rate_out && net->global_connectivity)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.readout: the rate readout is fixed, so it cannot share a "
                          "global connectivity level with W_in and W_rec (set "
                          "network.global_connectivity to false)",
                          origin);
    const int embed = net->module[0] != 0;
    if (embed && !rate_out)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.module: the embedded module's outputs are rates: set "
                          "network.readout to \"rate\"",
                          origin);
    if (embed && (module_task || strcmp(cfg->learning, "bptt") != 0 ||
                  strcmp(cfg->model, "lsnn") != 0 || cfg->deepr.enabled ||
                  strcmp(net->init, "signed") == 0 || net->connectivity < 1))
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.module: embedding a module needs task store_recall or "
                          "smnist, learning \"bptt\", model \"lsnn\", a dense (connectivity "
                          "1), unsigned (init \"gaussian\") network and no DEEP R",
                          origin);
    if (rate_out && strcmp(cfg->model, "lsnn") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.readout: the rate readout counts spikes; model \"%s\" "
                          "has none (set model to \"lsnn\")",
                          origin, cfg->model);
    if (rate_out && strcmp(cfg->learning, "bptt") != 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.readout: the losses on window-averaged rates need BPTT "
                          "(e-prop does not compute them online): set learning to \"bptt\"",
                          origin);
    if (rate_out && strcmp(cfg->task, "timit") == 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: network.readout: the rate readout is not available for task "
                          "\"timit\"",
                          origin);
    if (module_task) {
        const lsnn_module_config *mo = &cfg->module;
        if (!rate_out)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: network.readout: task \"%s\" is trained on the firing rates "
                              "of output groups: set network.readout to \"rate\"",
                              origin, cfg->task);
        if (strcmp(cfg->learning, "bptt") != 0 || strcmp(cfg->model, "lsnn") != 0)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: task \"%s\" needs learning \"bptt\" and model \"lsnn\" (its "
                              "loss is on window-averaged rates, which e-prop does not compute "
                              "online)",
                              origin, cfg->task);
        if (mo->t_init >= mo->steps)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: module.t_init: must be < module.steps (%d), got %d", origin,
                              mo->steps, mo->t_init);
        const int kwta = strcmp(cfg->task, "kwta") == 0;
        const char *map = kwta ? "identity" : mo->mapping;
        if (strcmp(map, "identity") == 0 && mo->n_in != mo->n_out)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: module.n_in: %s needs as many inputs as outputs (n_out = %d), "
                              "got %d",
                              origin, kwta ? "task kwta" : "mapping \"identity\"", mo->n_out,
                              mo->n_in);
        if (strcmp(map, "signed") == 0 && mo->n_in != 2 * mo->n_out)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: module.n_in: mapping \"signed\" codes each value as a pair "
                              "(x+, x-): n_in must be 2 n_out = %d, got %d",
                              origin, 2 * mo->n_out, mo->n_in);
        if (kwta && mo->k >= mo->n_out)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: module.k: must be < module.n_out (%d), got %d", origin,
                              mo->n_out, mo->k);
        if (kwta && mo->rate_zero > mo->rate_one)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: module.rate_zero: must be <= module.rate_one", origin);
    }
    if (!rate_out && strcmp(cfg->loss.rate_reg_neurons, "hidden") == 0)
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: loss.rate_reg_neurons: \"hidden\" means the neurons outside the "
                          "groups of the rate readout; set network.readout to \"rate\"",
                          origin);
    double p_spike = sr->rate_hz * net->dt / 1000.0;
    if (!(p_spike <= 1.0)) {
        char got[48];
        fmt_double(got, sizeof got, p_spike);
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: store_recall.rate_hz: rate_hz * network.dt / 1000 must be <= 1 "
                          "(input spike probability per step), got %s",
                          origin, got);
    }
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Serialisation
 * ------------------------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 2048;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_json_string(sbuf *b, const char *s, size_t maxlen)
{
    sb_puts(b, "\"");
    for (size_t i = 0; i < maxlen && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            sb_add(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            sb_puts(b, esc);
        } else {
            sb_add(b, &s[i], 1);
        }
    }
    sb_puts(b, "\"");
}

/* The JSON text of one field's value. Non-finite doubles (invalid configs) become null. */
static void sb_value(sbuf *b, const lsnn_config *c, const cfg_field *f)
{
    const void *p = field_cptr(c, f);
    char buf[48];
    switch (f->type) {
    case CT_INT:
        snprintf(buf, sizeof buf, "%d", *(const int *)p);
        break;
    case CT_BOOL: {
        int v = *(const int *)p;
        if (v == 0 || v == 1)
            snprintf(buf, sizeof buf, "%s", v ? "true" : "false");
        else
            snprintf(buf, sizeof buf, "%d", v);
        break;
    }
    case CT_DOUBLE: {
        double v = *(const double *)p;
        if (isfinite(v))
            fmt_double(buf, sizeof buf, v);
        else
            snprintf(buf, sizeof buf, "null");
        break;
    }
    case CT_U64: {
        unsigned long long v = *(const unsigned long long *)p;
        if (v <= 9007199254740992ULL)
            snprintf(buf, sizeof buf, "%llu", v);
        else
            snprintf(buf, sizeof buf, "\"%llu\"", v);
        break;
    }
    case CT_STRING:
        sb_json_string(b, (const char *)p, str_cap(f));
        return;
    }
    sb_puts(b, buf);
}

char *lsnn_config_to_json(const lsnn_config *cfg)
{
    if (!cfg) {
        lsnn_error(LSNN_ERR_ARG, "lsnn_config_to_json: NULL argument");
        return NULL;
    }
    sbuf b = {0};
    sb_puts(&b, "{");
    bool first = true;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sections[s].name;
        const char *indent = "  ";
        if (*sec) {
            sb_puts(&b, first ? "\n  " : ",\n  ");
            sb_json_string(&b, sec, strlen(sec));
            sb_puts(&b, ": {");
            first = true;
            indent = "    ";
        }
        for (size_t i = 0; i < N_FIELDS; i++) {
            const cfg_field *f = &fields[i];
            if (!field_in_section(f, sec))
                continue;
            const char *name = f->key + section_len(f->key) + (*sec ? 1 : 0);
            sb_puts(&b, first ? "\n" : ",\n");
            sb_puts(&b, indent);
            sb_json_string(&b, name, strlen(name));
            sb_puts(&b, ": ");
            sb_value(&b, cfg, f);
            first = false;
        }
        if (*sec)
            sb_puts(&b, "\n  }");
        first = false;
    }
    sb_puts(&b, "\n}\n");
    if (b.oom) {
        free(b.p);
        lsnn_error(LSNN_ERR_NOMEM, "lsnn_config_to_json: out of memory");
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------------------------------------
 * Documentation (docs/CONFIG.md)
 * ------------------------------------------------------------------------------------------- */

size_t lsnn__config_key_count(void)
{
    return N_FIELDS;
}

const char *lsnn__config_key_name(size_t i)
{
    return i < N_FIELDS ? fields[i].key : NULL;
}

/* Writes s with '|' escaped for a Markdown table cell. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static const char *type_name(cfg_type t)
{
    switch (t) {
    case CT_INT:
        return "integer";
    case CT_BOOL:
        return "boolean";
    case CT_DOUBLE:
        return "number";
    case CT_STRING:
        return "string";
    case CT_U64:
        return "integer (64-bit unsigned)";
    }
    return "?";
}

void lsnn__config_write_markdown(FILE *out)
{
    lsnn_config def;
    lsnn_config_defaults(&def);
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sections[s].name;
        if (*sec)
            fprintf(out, "### `%s`\n\n", sec);
        else
            fprintf(out, "### Top level\n\n");
        fprintf(out, "%s\n\n", sections[s].doc);
        fprintf(out, "| Key | Type | Default | Allowed | Meaning |\n");
        fprintf(out, "|-----|------|---------|---------|---------|\n");
        for (size_t i = 0; i < N_FIELDS; i++) {
            const cfg_field *f = &fields[i];
            if (!field_in_section(f, sec))
                continue;
            sbuf dv = {0};
            sb_value(&dv, &def, f);
            char allowed[128];
            switch (f->type) {
            case CT_INT:
            case CT_DOUBLE:
                describe_range(f, allowed, sizeof allowed);
                if (!allowed[0])
                    snprintf(allowed, sizeof allowed, "any");
                break;
            case CT_BOOL:
                snprintf(allowed, sizeof allowed, "`true`, `false` (or 1, 0)");
                break;
            case CT_STRING:
                if (f->choices)
                    describe_choices(f->choices, "`", allowed, sizeof allowed);
                else
                    snprintf(allowed, sizeof allowed, "any text (a path)");
                break;
            case CT_U64:
                snprintf(allowed, sizeof allowed,
                         "0 to 2^64 - 1 (above 2^53 as a string of digits)");
                break;
            }
            fprintf(out, "| `%s` | %s | `%s` | ", f->key, type_name(f->type),
                    dv.p && !dv.oom ? dv.p : "?");
            md_cell(out, allowed);
            fprintf(out, " | ");
            md_cell(out, f->doc);
            fprintf(out, " |\n");
            free(dv.p);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "### Constraints between keys\n\n");
    for (size_t i = 0; i < sizeof cross_docs / sizeof cross_docs[0]; i++)
        fprintf(out, "- %s\n", cross_docs[i]);
}

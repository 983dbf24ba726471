/* The config key table (see run/config_internal.h): every key with its type, place in
 * lsnn_config, default, range or choices and description; the sections; the documented
 * constraints between keys. Adding a key means adding one line here (and regenerating
 * docs/CONFIG.md, which tests/test_config.c enforces). */
#include <stddef.h>

#include "lsnn/config_map.h"
#include "run/config_internal.h"

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

#define F_INT(k, m, d, r, lo, hi, doc) {k, CT_INT, OFF_INT(m), d, NULL, r, lo, hi, NULL, NULL, doc}
#define F_BOOL(k, m, d, doc) {k, CT_BOOL, OFF_INT(m), d, NULL, 0, 0, 0, NULL, NULL, doc}
#define F_DBL(k, m, d, r, lo, hi, doc) {k, CT_DOUBLE, OFF_DBL(m), d, NULL, r, lo, hi, NULL, NULL, doc}
#define F_STR(k, m, d, choices, doc) {k, CT_STRING, OFF_STR(m), 0, d, 0, 0, 0, choices, NULL, doc}
/* A string whose allowed values are the names in a registry (lsnn/config_map.h). */
#define F_REG(k, m, d, fn, doc) {k, CT_STRING, OFF_STR(m), 0, d, 0, 0, 0, NULL, fn, doc}
#define F_PATH(k, m, d, doc) {k, CT_STRING, OFF_PATH(m), 0, d, 0, 0, 0, NULL, NULL, doc}
#define F_U64(k, m, d, doc) {k, CT_U64, OFF_U64(m), d, NULL, 0, 0, 0, NULL, NULL, doc}
/* Free text of path size holding names joined by '+' (documented as such, not as a path). */
#define F_NAMES(k, m, d, doc) {k, CT_STRING, OFF_PATH(m), 0, d, R_NAMES, 0, 0, NULL, NULL, doc}
#define OFF_JSON(m) CFG_OFF(m, sizeof CFG_MEMBER(m) == LSNN_JSON_MAX && \
                              _Generic(CFG_MEMBER(m)[0], char: 1, default: 0))
#define F_JSON(k, m, doc) {k, CT_JSON, OFF_JSON(m), 0, "", 0, 0, 0, NULL, NULL, doc}
/* clang-format on */


const cfg_field lsnn__cfg_fields[] = {
    /* top level */
    F_REG("task", task, "store_recall", lsnn_config_choices_task,
          "Task to train on."),
    F_REG("model", model, "lsnn", lsnn_config_choices_model,
          "Network: the spiking LSNN, a non-spiking LSTM / tanh RNN baseline, or `alstm`, the "
          "adaptive LSTM of seed 002 (section `alstm`; trained online by its own loop)."),
    F_REG("learning", learning, "bptt", lsnn_config_choices_learning,
          "Learning rule: backpropagation through time, e-prop, or PPO (reinforcement learning: "
          "BPTT through closed-loop episodes; task `meta_rl`)."),
    F_U64("seed", seed, 1,
          "Seed of the random generator; this one seed drives initialisation, data and noise."),
    F_INT("iterations", iterations, 400, R_GE, 0, 0, "Training iterations (parameter updates)."),
    F_INT("batch_size", batch_size, 64, R_IN, 1, 65536, "Sequences per training iteration."),
    F_INT("chunk", chunk, 0, R_IN, 0, 65536,
          "BPTT, spiking network of one direction: sequences per chunk of the simulation; chunks "
          "run in parallel, one core each. "
          "0: automatic (batch_size / 8 rounded up, at least 16 and at most 64), so a batch of "
          "16 or fewer runs on one core. A smaller chunk lets small batches use several cores; "
          "it changes the order in which the chunks' gradients are summed, so the results "
          "differ from the automatic choice in the last bits."),
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
    F_REG("optimizer.name", optim.name, "adam", lsnn_config_choices_optimizer, "Optimiser."),
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
    F_REG("network.neuron", network.neuron, "alif", lsnn_config_choices_neuron,
          "Neuron model of every population: `alif` (LIF when beta = 0; seed 000), `stdp_alif` "
          "(hard reset at a spike and at the end of refractoriness, negative pseudo-derivative "
          "while refractory; seed 004 eqs. 3.16-3.23), `izhikevich` (built-in reset, seed 004 "
          "eqs. 3.24-3.39; use input_scaling `plain`; tau_m, b0, beta and refractory do not "
          "apply) or `asn` (the adaptive spiking neuron of seed 002, parameters below; for "
          "simulation only: it has no gradient, so `iterations` must be 0)."),
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
    F_STR("network.psi_window", network.psi_window, "refractory", "refractory|spike",
          "Steps at which a spike's refractory pseudo-derivative applies (zero for `alif`, "
          "+-gamma for `stdp_alif`): `refractory`, the steps after the spike at which the "
          "neuron cannot fire (t_z + 1 .. t_z + refractory; seed 004's text for ALIF, 'set to 0 "
          "during the refractory period'), or `spike`, from the spike step (t_z .. t_z + "
          "refractory - 1; eq. 3.23's t - t_z < dt_ref read literally, and what seed 004's "
          "code does for both models). No effect without refractoriness or for other models."),
    F_STR("network.stdp_psi_sign", network.stdp_psi_sign, "negative", "negative|positive",
          "Sign of the `stdp_alif` pseudo-derivative in its refractory window: `negative`, "
          "-gamma (seed 004 eq. 3.23), or `positive`, +gamma (seed 004's training code, which "
          "produced its TIMIT numbers)."),
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
           "Train the per-neuron noise std as a parameter (a signed scale: training may take "
           "it below zero; the noise's std is its magnitude)."),
    F_STR("network.noise_draw", network.noise_draw, "box_muller", "box_muller|ziggurat",
          "How the current noise's standard normals are drawn, each a function of (sequence, "
          "step, neuron): `box_muller` (a log, a square root and a cosine per draw; every model "
          "before this option), or `ziggurat` (Marsaglia and Tsang's method, a table lookup for "
          "99% of the draws; about 5x cheaper, other draws of the same distribution, so another "
          "model)."),
    F_STR("network.sparse_kernels", network.sparse_kernels, "auto", "auto|on|off",
          "Kernels of the masked projections (connectivity < 1): `auto` runs a projection on "
          "the sparse ones while its density is below 0.2 (DEEP R may move it across), `on` "
          "always, `off` never. Both give the same spikes; BPTT's sums run in another order, "
          "so gradients agree to rounding and a long training run is another model. "
          "docs/PERFORMANCE.md has timings."),
    F_DBL("network.readout_tau", network.readout_tau, 20, R_GE, 0, 0,
          "Readout time constant, ms: kappa = exp(-dt/readout_tau) (0: no filtering)."),
    F_STR("network.readout_gain", network.readout_gain, "leaky", "leaky|none",
          "Gain g of the readout filter zeta(t) = kappa zeta(t-1) + g z(t), y = W_out^T zeta + "
          "b_out: `leaky`, g = 1 - kappa (lsnn; zeta is an average of the spikes); `none`, g = 1 "
          "(seed 000's readout, whose outputs start about 1 / (1 - kappa) = 20 times larger at "
          "readout_tau 20 ms)."),
    F_NAMES("network.readout_from", network.readout_from, "",
           "Populations the linear readout reads, joined by `+` (e.g. `E+A`); empty: every "
           "neuron. The others have no readout synapse."),
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
    F_STR("network.mask_order", network.mask_order, "first", "first|last",
          "With init `signed` and connectivity < 1: `first` (lsnn) draws, balances and scales "
          "the masked matrix; `last` (seed 000 section 3) balances and scales the dense matrix, "
          "then multiplies it by the mask, so the initial weights are about sqrt(connectivity) "
          "times smaller (2.9 times at 12%)."),
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
           "rate readout reads the module's output groups. The network around it may be sparse "
           "and signed and trained with DEEP R (seed 003 section 4.2.3): `M_in` and `M` stay "
           "unsigned, and DEEP R leaves `w_pm` dense. Empty: no module."),
    F_STR("network.module_input", network.module_input, "network", "network|module",
          "Neuron parameters of the layer `M_in` that feeds an embedded module: those of this "
          "config's LIF neurons (`network`: tau_m, b0, refractory) or those of the module's "
          "first neuron (`module`: its threshold, often far higher, keeps M_in out of "
          "saturation and its pseudo-derivative wide)."),
    F_JSON("network.populations", network.populations,
           "Graph networks: the populations, in simulation order (see Graph networks below); "
           "empty: the recipe of n_regular, n_adaptive, layers, bidirectional and module."),
    F_JSON("network.projections", network.projections,
           "Graph networks: the projections between input and populations (see Graph networks "
           "below)."),
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
          "Weight c of the firing-rate regularisation c R (0: off), R = the mean over neurons of "
          "(r_j - f0)^2 with r_j neuron j's spikes per step over the batch and f0 = "
          "rate_target dt / 1000: rates in spikes per step, not Hz (in Hz, R and so the "
          "meaning of c would be (1000 / dt)^2 = 10^6 times larger at dt = 1 ms)."),
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
    F_STR("smnist.window", smnist.window, "after", "after|image_end",
          "Where the classification window lies: `after`, the `readout_steps` steps after the "
          "image (seed 000; with the cue); `image_end`, the image's last `readout_steps` steps, "
          "with no steps after the image (seed 003 section 4.2.3: the last 400 ms; needs "
          "`cue` false)."),
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
    F_INT("random.steps", random.steps, 784, R_IN, 1, 10000000, "Steps per sequence T."),
    F_INT("random.inputs", random.inputs, 80, R_IN, 1, 100000, "Input channels."),
    F_INT("random.outputs", random.outputs, 10, R_IN, 1, 1000,
          "Classes; sequence i is labelled i mod outputs."),
    F_DBL("random.input_rate", random.input_rate, 0.05, R_IN, 0, 1,
          "Probability that an input channel spikes in a step, independently of everything else."),
    F_INT("random.window", random.window, 56, R_IN, 1, 10000000,
          "The classification window: the last `window` steps (all of them when T is shorter)."),
    F_INT("external.steps", external.steps, 100, R_IN, 1, 10000000,
          "Steps per sequence T of the caller's batches."),
    F_INT("external.inputs", external.inputs, 1, R_IN, 1, 100000, "Input channels."),
    F_INT("external.outputs", external.outputs, 1, R_IN, 1, 100000, "Readouts."),
    F_STR("external.loss", external.loss, "mse", "mse|ce",
          "`mse`: squared error of the readout against a target per step, weighted per step; "
          "`ce`: softmax cross-entropy of the readout averaged over classification windows."),
    F_INT("external.windows", external.windows, 1, R_IN, 1, 100000,
          "Loss `ce`: the most classification windows a sequence may have."),
    F_STR("l2l.family", l2l.family, "sine", "sine|tn",
          "Function family: `sine`, y = A sin(phi + x), x in [-5, 5], A ~ U[0.1, 5], phi ~ U[0, "
          "pi]; `tn`, target networks with 2 inputs in [-1, 1], 10 sigmoid hidden units and one "
          "output (into [0, 1] as `l2l.tn_output` says), all weights and biases U[-1, 1]."),
    F_STR("l2l.tn_output", l2l.tn_output, "minmax", "minmax|sigmoid",
          "How a target network's output is brought into [0, 1] (the text: \"the outputs were "
          "scaled to be between [0, 1]\"): `minmax`, a linear output unit min-max scaled over "
          "the input domain (its extremes on a 101 x 101 grid), so each function spans [0, 1]; "
          "`sigmoid`, a sigmoid output unit, whose output varies little within a function "
          "(variance 0.0015 on average, against 0.056)."),
    F_INT("l2l.steps", l2l.steps, 500, R_IN, 1, 100000, "Examples (steps) per episode."),
    F_INT("l2l.step_ms", l2l.step_ms, 20, R_IN, 1, 10000,
          "Simulation steps per example; the prediction is the readout averaged over them."),
    F_INT("l2l.neurons_per_var", l2l.neurons_per_var, 100, R_IN, 2, 10000,
          "Input neurons per encoded variable (each x component and the previous target)."),
    F_DBL("l2l.rate_max", l2l.rate_max, 200, R_GT0, 0, 0, "Peak firing rate of an input neuron, Hz."),
    F_DBL("l2l.width", l2l.width, 0.001, R_GT0, 0, 0,
          "Width sigma of the Gaussian tuning curves as a fraction of the variable's range "
          "(0.001: the published sigma = (max - min) / 1000, nearly one input neuron per value)."),
    F_INT("l2l.val_size", l2l.val_size, 64, R_IN, 1, 1000000, "Validation episodes."),
    F_INT("meta_rl.steps", meta_rl.steps, 2000, R_IN, 2, 10000000, "Steps of 1 ms per episode."),
    F_DBL("meta_rl.radius", meta_rl.radius, 1, R_GT0, 0, 0, "Radius of the arena."),
    F_DBL("meta_rl.goal_radius", meta_rl.goal_radius, 0.3, R_GT0, 0, 0,
          "Radius of the goal disc."),
    F_DBL("meta_rl.goal_ring", meta_rl.goal_ring, 0.85, R_GE, 0, 0,
          "The goal's centre lies uniformly on the circle of this radius (at most `radius`), "
          "fixed for the episode."),
    F_DBL("meta_rl.a_scale", meta_rl.a_scale, 0.02, R_GT0, 0, 0,
          "A step moves by a_scale times the action, clipped to the length a_scale."),
    F_DBL("meta_rl.goal_reward", meta_rl.goal_reward, 1, 0, 0, 0,
          "Reward for reaching the goal; the agent is then put at a random place."),
    F_DBL("meta_rl.wall_reward", meta_rl.wall_reward, -0.02, 0, 0, 0,
          "Reward for a move into the border (the move stops on it)."),
    F_BOOL("meta_rl.start_outside_goal", meta_rl.start_outside_goal, 0,
           "Draw the random places outside the goal (false: uniform in the arena, as the text "
           "says, so a place may fall into the goal and the next step pays)."),
    F_INT("meta_rl.place_neurons", meta_rl.place_neurons, 40, R_IN, 2, 10000,
          "Input neurons per coordinate (x, y), preferred values evenly spaced on [-1, 1]."),
    F_DBL("meta_rl.place_rate", meta_rl.place_rate, 500, R_GT0, 0, 0,
          "Peak rate of a position neuron, Hz."),
    F_DBL("meta_rl.place_k", meta_rl.place_k, 100, R_GT0, 0, 0,
          "Tuning of a position neuron: rate exp(-k (xi_i - xi)^2)."),
    F_INT("meta_rl.reward_neurons", meta_rl.reward_neurons, 40, R_IN, 1, 10000,
          "Neurons of each reward group (goal, wall); a group spikes in synchrony in the step "
          "after its reward."),
    F_DBL("meta_rl.discount", meta_rl.discount, 0.99, R_IN, 0, 1,
          "Discount eta of the returns R(t) = sum_{t' > t} eta^(t' - t) r(t')."),
    F_DBL("meta_rl.gae_lambda", meta_rl.gae_lambda, 1, R_IN, 0, 1,
          "Advantages: 1, A(t) = R(t) - V(t) (the text); below 1, generalised advantage "
          "estimation with this lambda (0: the one-step TD error)."),
    F_DBL("meta_rl.clip", meta_rl.clip, 0.2, R_GE, 0, 0, "PPO clip range epsilon."),
    F_DBL("meta_rl.value_weight", meta_rl.value_weight, 1, R_GE, 0, 0,
          "Weight mu_v of the value loss (R - V)^2."),
    F_DBL("meta_rl.entropy_weight", meta_rl.entropy_weight, 0.001, R_GE, 0, 0,
          "Weight mu_e of the entropy bonus."),
    F_INT("meta_rl.val_size", meta_rl.val_size, 20, R_IN, 1, 1000000, "Validation episodes."),
    F_STR("alstm.task", alstm.task, "seq_prediction", "seq_prediction|tmaze",
          "Task of the adaptive LSTM: `seq_prediction`, sequences (x, a_1..a_{p-1}, x) or (y, ..., "
          "y) whose last symbol must be predicted from the first (lsnn/seqpred.h), trained "
          "online; `tmaze`, the T-maze (lsnn/tmaze.h), trained by the RL-LSTM."),
    F_BOOL("alstm.noisy", alstm.noisy, 0,
           "The noisy variant: random middle symbols; random corridor observations a 0 b."),
    F_INT("alstm.p", alstm.p, 100, R_IN, 2, 100000, "Sequence prediction: p (p + 1 symbols)."),
    F_INT("alstm.length", alstm.length, 20, R_IN, 1, 1000000, "T-maze: corridor length N."),
    F_INT("alstm.n_hidden", alstm.n_hidden, 0, R_IN, 0, 100000,
          "Regular AAN units (12 in the T-maze network)."),
    F_INT("alstm.n_cells", alstm.n_cells, 1, R_IN, 0, 100000,
          "Memory cells (input gate, input cell, carousel)."),
    F_BOOL("alstm.outputs_read_inputs", alstm.outputs_read_inputs, 1,
           "The linear outputs read the input units too (sequence prediction), not only the "
           "hidden units and cells."),
    F_STR("alstm.input", alstm.input, "aan", "aan|current",
          "Input units: `aan`, AAN(x), the normalised output of an input ASN whose current is x; "
          "`current`, x itself (in the spiking network x enters as a current)."),
    F_STR("alstm.cell_output", alstm.cell_output, "aan", "aan|normalised",
          "A cell's output: `aan`, AAN(s); `normalised`, AAN(s) / AAN(1) (the T-maze)."),
    F_DBL("alstm.w_cec", alstm.w_cec, 1, R_GT0, 0, 0, "The carousel's weight in training."),
    F_DBL("alstm.aan_a", alstm.aan_a, 133.0, R_GT0, 0, 0,
          "AAN(S) = 1 / (a e^(bS) + c e^(dS) + 1): a. The defaults are the constants "
          "`lsnn asn fit` measures for the default ASN, which a converted network needs; the "
          "published ones are 148.7, -10.16, 3.256, -1.08."),
    F_DBL("alstm.aan_b", alstm.aan_b, -6.447, 0, 0, 0, "AAN constant b."),
    F_DBL("alstm.aan_c", alstm.aan_c, 4.853, R_GT0, 0, 0, "AAN constant c."),
    F_DBL("alstm.aan_d", alstm.aan_d, -1.096, 0, 0, 0, "AAN constant d."),
    F_DBL("alstm.init_range", alstm.init_range, 0.2, R_GE, 0, 0,
          "Initial weights U[-r, r] (H&S 1997: 0.2)."),
    F_DBL("alstm.gate_bias", alstm.gate_bias, 0.2, 0, 0, 0,
          "Initial bias of the input gates (AAN(0.2) = 0.02 with the fitted constants: nearly "
          "closed, but where AAN' is not 0)."),
    F_DBL("alstm.cin_bias", alstm.cin_bias, 0.5, 0, 0, 0, "Initial bias of the input cells."),
    F_BOOL("alstm.cell_out_zero", alstm.cell_out_zero, 1,
           "The output weights that read the cells start at 0 (as after the sequential "
           "construction's insertion): a cell whose output ramps through random output weights "
           "disturbs every output at every step, and the online gradient of those errors closes "
           "its gate within a trial."),
    F_DBL("alstm.lr_out", alstm.lr_out, 0.3, R_GE, 0, 0,
          "Sequence prediction: learning rate of the output weights."),
    F_DBL("alstm.lr_hidden", alstm.lr_hidden, 0.3, R_GE, 0, 0,
          "Sequence prediction: learning rate of the hidden units."),
    F_DBL("alstm.lr_cell", alstm.lr_cell, 1, R_GE, 0, 0,
          "Sequence prediction: learning rate of the gates' and input cells' weights."),
    F_DBL("alstm.lr_cell_bias", alstm.lr_cell_bias, 0, R_GE, 0, 0,
          "Sequence prediction: learning rate of the gates' and input cells' biases (0: fixed; "
          "trained, the carousel's ramp drives the gate's bias into the AAN's flat foot, where "
          "the gate never opens again)."),
    F_DBL("alstm.lr_halflife", alstm.lr_halflife, 0, R_GE, 0, 0,
          "Sequence prediction: trials over which the learning rates halve (0: constant, the "
          "seed)."),
    F_STR("alstm.update", alstm.update, "rtrl", "rtrl|bptt",
          "Sequence prediction: a gradient step after every time step with truncated RTRL "
          "(the seed), or one per sequence with BPTT."),
    F_STR("alstm.seq_targets", alstm.seq_targets, "every", "every|final",
          "Sequence prediction: the steps whose error trains the network. `every` (the seed's "
          "text: the next symbol at every step), or `final`, the last step's only (with "
          "`alstm.update` `rtrl`; the carousel's partials still follow every step). In the "
          "noisy task the middle symbols are random, so with linear outputs and one cell "
          "`every` pulls the outputs for x and y towards 0 at every step but the last: "
          "docs/RESULTS.md."),
    F_BOOL("alstm.sequential", alstm.sequential, 1,
           "Sequence prediction: train without the cells and insert them once learning has "
           "plateaued (H&S 1997), their output weights starting at 0."),
    F_INT("alstm.plateau_window", alstm.plateau_window, 100, R_IN, 1, 1000000,
          "Trials of the plateau rule's moving error."),
    F_INT("alstm.plateau_wait", alstm.plateau_wait, 200, R_IN, 1, 1000000,
          "Trials without a relative improvement of plateau_drop that make a plateau."),
    F_DBL("alstm.plateau_drop", alstm.plateau_drop, 0.01, R_IN, 0, 1, "See plateau_wait."),
    F_INT("alstm.budget", alstm.budget, 100000, R_IN, 1, 2000000000,
          "Training budget: trials (sequence prediction) or steps (T-maze)."),
    F_INT("alstm.train_after", alstm.train_after, 0, R_IN, 0, 2000000000,
          "Trials (sequence prediction) or steps (T-maze) to go on training after the "
          "criterion is met, before the conversion (0: stop there, as the seed counts); the "
          "convergence count stays the one at the criterion."),
    F_INT("alstm.window", alstm.window, 100, R_IN, 1, 1000000,
          "Trials or episodes of the convergence criterion's moving mean."),
    F_DBL("alstm.seq_threshold", alstm.seq_threshold, 0.25, R_GT0, 0, 0,
          "Sequence prediction converged: the mean over the window of the trial error max_k "
          "|o_k - d_k| at the last step below this."),
    F_DBL("alstm.tmaze_threshold", alstm.tmaze_threshold, 3.5, 0, 0, 0,
          "T-maze converged: the mean return over the window above this."),
    F_DBL("alstm.alpha", alstm.alpha, 0.002, R_GT0, 0, 0, "T-maze: learning rate of the RL-LSTM."),
    F_DBL("alstm.gamma", alstm.gamma, 0.98, R_IN, 0, 1, "T-maze: discount."),
    F_DBL("alstm.lambda", alstm.lambda, 0.8, R_IN, 0, 1, "T-maze: eligibility trace decay."),
    F_DBL("alstm.kappa", alstm.kappa, 0.1, R_GT0, 0, 0, "T-maze: advantage learning's kappa."),
    F_DBL("alstm.c_temp", alstm.c_temp, 1, R_GE, 0, 0,
          "T-maze: the Boltzmann temperature is clip(c_temp y_x, t_min, t_max), y_x the "
          "exploration network's output."),
    F_DBL("alstm.t_min", alstm.t_min, 0.01, R_GT0, 0, 0, "T-maze: lowest temperature."),
    F_DBL("alstm.t_max", alstm.t_max, 10, R_GT0, 0, 0, "T-maze: highest temperature."),
    F_DBL("alstm.beta_explore", alstm.beta_explore, 0.9, R_IN, 0, 1,
          "T-maze: the exploration network's target is |E(t)| + beta y_x(t+1)."),
    F_DBL("alstm.alpha_explore", alstm.alpha_explore, 0.002, R_GE, 0, 0,
          "T-maze: the exploration network's learning rate."),
    F_INT("alstm.explore_hidden", alstm.explore_hidden, 12, R_IN, 1, 100000,
          "T-maze: hidden AAN units of the exploration network."),
    F_INT("alstm.episode_cap", alstm.episode_cap, 1000, R_IN, 1, 100000000,
          "T-maze: steps after which an episode ends without a terminal transition."),
    F_DBL("alstm.window_ms", alstm.window_ms, 200, R_GT0, 0, 0,
          "Spiking network: the window of one analog step, ms."),
    F_STR("alstm.gate_signal", alstm.gate_signal, "shat-det", "shat-det|shat|s",
          "Spiking network: what multiplies an input-cell spike: S-hat* of a deterministic ASN* "
          "(`shat-det`), of an ASN* with escape noise like the others (`shat`, the text; it lags "
          "its input and slows the carousel 40-90%), or ASN*'s smoothed input S* (`s`)."),
    F_STR("alstm.w_cec_spiking", alstm.w_cec_spiking, "exact", "exact|seed",
          "Spiking network: W_CEC = 1 / ((1 - exp(-dt / tau_beta)) window) (`exact`) or "
          "tau_eta / window (`seed`, 5% lower)."),
    F_INT("alstm.test_trials", alstm.test_trials, 100, R_IN, 1, 1000000,
          "Spiking test: noisy sequences (the noise-free task tests its two sequences) or "
          "T-maze episodes."),
};
const size_t lsnn__cfg_n_fields = sizeof lsnn__cfg_fields / sizeof lsnn__cfg_fields[0];

/* Sections, in the order of the serialised JSON and of the documentation; "" is the top level. */
const cfg_section lsnn__cfg_sections[] = {
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
    {"random",
     "Task `random`: independent random input spikes and a label that nothing in the input "
     "predicts, the input `lsnn bench` times training on. Written into a saved config only when "
     "one of its keys differs from the default."},
    {"external",
     "Task `external`: the batches come from the caller, through the C interface `lsnn/api.h` "
     "(the Python package's `Network.gradient` and `Network.simulate`): a network built without "
     "an experiment has this task, which gives only the batches' shape and loss. `lsnn train` "
     "and `lsnn eval` cannot run it. Written into a saved config only when one of its keys "
     "differs from the default."},
    {"l2l",
     "Task `l2l`, learning-to-learn from a teacher (seed 000/001 section 5): every episode is a "
     "new function of the family; at example k the input neurons code x_k and the previous "
     "example's target with Gaussian tuning curves, and the readout averaged over the example's "
     "steps must equal C(x_k) (squared error; the metric is the mean squared error). Written "
     "into a saved config only when one of its keys differs from the default."},
    {"meta_rl",
     "Task `meta_rl`, meta-reinforcement learning (seed 000/001 section 6; `\"learning\": "
     "\"ppo\"`): an agent in a circular arena looks for a goal disc that stays put for the "
     "episode; the inputs code its position and the rewards of the last step, the 5 readouts give "
     "the action's means and variances and the value estimate. Written into a saved config only "
     "when one of its keys differs from the default."},
    {"alstm",
     "Model `alstm` (seed 002): an adaptive analog LSTM (AAN units; cells with an input gate, "
     "an input cell and a carousel) trained online on sequence prediction (truncated RTRL, the "
     "sequential construction) or the T-maze (the RL-LSTM), then converted to adaptive spiking "
     "neurons and tested as a spiking network. `lsnn train` runs it with its own loop; the keys "
     "outside this section that apply are `seed` only. Written into a saved config only when "
     "one of its keys differs from the default."},
};
const size_t lsnn__cfg_n_sections = sizeof lsnn__cfg_sections / sizeof lsnn__cfg_sections[0];
const char *const lsnn__cfg_omit_default_sections[] = {"random", "external", "l2l", "meta_rl",
                                                        "alstm", NULL};

/* Constraints between keys (checked at the end of lsnn_config_validate, documented here). */
const char *const lsnn__cfg_cross_docs[] = {
    "`network.n_regular + network.n_adaptive` must be >= 1 (without `network.populations`).",
    "Task `l2l` requires `learning` = `bptt` and the linear readout.",
    "Task `meta_rl` requires `learning` = `ppo` and the other way round; `ppo` also requires "
    "model `lsnn` of one direction and the linear readout; `meta_rl.goal_ring` <= "
    "`meta_rl.radius`.",
    "With `network.populations` (a graph network): `network.layers` 1, `network.bidirectional` "
    "false, no `network.module`, model `lsnn`; the populations and projections must be valid "
    "(Graph networks below). Without it, `network.projections` and `network.readout_from` must "
    "be empty.",
    "`store_recall.n_symbols * store_recall.symbol_ms` (steps per sequence) must be <= 10000000.",
    "`store_recall.rate_hz * network.dt / 1000` (input spike probability per step) must be <= 1.",
    "`deepr.enabled` requires `network.init` = `signed` (DEEP R keeps each synapse's sign, so "
    "every neuron and input channel needs one) and `network.connectivity` < 1 (a dense network "
    "has no free positions to regrow synapses at).",
    "`learning` = `eprop` and `deepr.enabled` require `model` = `lsnn` (the spiking network).",
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
const size_t lsnn__cfg_n_cross_docs = sizeof lsnn__cfg_cross_docs / sizeof lsnn__cfg_cross_docs[0];

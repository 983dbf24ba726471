/* lsnn/network.h - recurrent spiking networks as a graph of populations and projections.
 *
 * Neurons of all populations share one index space [0, n) (populations are contiguous ranges, in
 * simulation order). Each population has one neuron model (lsnn/neuron.h) and one value per
 * neuron of each of the model's parameters. A projection connects a source range (input channels
 * or neurons of consecutive populations) to a target range of neurons with dense weights stored
 * source-major (w[i * n_dst + j] is source i -> target j, so the weights of one presynaptic spike
 * are contiguous), per-synapse delays min_delay..max_delay and a "frozen" flag (a frozen
 * projection gets no gradient: embedding a trained module, seed 003 section 4.2). The readout
 * reads every neuron or the populations chosen (readout_dir), or, with the rate readout of seed
 * 003 (rate_group > 0), the last n_out groups of neurons give the outputs' rates.
 *
 * Two ways to make one: the graph API below (lsnn_graph_*), or the recipe of seeds 000 and 004
 * (lsnn_net_build on a lsnn_net_spec), which writes that graph for n_regular LIF + n_adaptive
 * ALIF neurons per layer. Multi-layer recipe networks (seed 004 eqs. 3.11-3.15,
 * network.layers = L): layer r (neurons [r m, (r+1) m), m = n_regular + n_adaptive, populations
 * "R", "A" then "R2", "A2", ...) has its own recurrent projection ("w_rec", "w_rec2", ...); layer
 * 1 receives the input ("w_in") and layer r > 1 the spikes of layer r-1 of the same step
 * ("w_ff2", ...; delay 0). The readout sees every layer. Within a step the layers are simulated
 * in order.
 *
 * Timing convention (one step = dt): an input value presented at step t with delay d is
 * integrated into V(t + d - 1) (delay 1 = the same step, as in seed 004 eq. 2.4); a spike emitted
 * at step t with delay d is integrated into V(t + d). The readout is
 *   zeta(t) = kappa zeta(t-1) + g z(t),   y(t) = W_out^T zeta(t) + b_out,
 * with g = 1 - kappa (lsnn's default) or g = 1 (seed 000; lsnn_readout_gain).
 *
 * Trainable parameters live in one allocation (params) with named pointers into it, so the
 * optimizer is a flat loop and a checkpoint one write.
 *
 * Signs (Dale's law): every neuron has the sign of its population (net->sign, +1, -1 or 0 for
 * unsigned) and, with init "signed", every input channel has one too (net->input_sign). All
 * outgoing weights of a signed source (its row of w_in / w_rec, or of w_out) share its sign.
 * With init "signed", a population whose configured sign is "none" is split into an excitatory
 * and an inhibitory sub-population ("R_E", "R_I"; "A_E", "A_I"), each a contiguous range, so
 * that every population has one sign; neuron indices keep their order (regular neurons first).
 *
 * Sparse connectivity: when a projection's connectivity is < 1 (network.connectivity), every
 * projection has a mask (n_src, n_dst) and the readout a mask w_out_mask (n, n_out); 1 = the
 * synapse exists. Absent synapses have weight 0, so the dense kernels compute the sparse network
 * exactly. DEEP R (lsnn/deepr.h) changes the masks during training. A masked projection also
 * keeps a compressed-row index of its synapses (lsnn/sparse.h), with which the kernels skip
 * absent synapses below a density threshold. */
#ifndef LSNN_NETWORK_H
#define LSNN_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/neuron.h"
#include "lsnn/sparse.h"
#include "lsnn/status.h"

#ifndef LSNN_NAME_MAX
#define LSNN_NAME_MAX 32 /* also in lsnn/config.h */
#endif

/* Populations and projections of a network are arrays of any length; the plots and DEEP R's
 * per-tensor statistics show at most this many (lsnn_graph_build refuses more). */
#define LSNN_MAX_POP 64
#define LSNN_MAX_PROJ 64
#define LSNN_MAX_LAYERS 4 /* network.layers of the recipe */

typedef enum lsnn_sign {
    LSNN_SIGN_NONE = 0,  /* unsigned */
    LSNN_SIGN_EXC = 1,   /* excitatory: all outgoing weights >= 0 */
    LSNN_SIGN_INH = -1   /* inhibitory: all outgoing weights <= 0 */
} lsnn_sign;

typedef enum lsnn_init_kind {
    LSNN_INIT_GAUSSIAN = 0, /* W ~ w0/sqrt(n_src) N(0,1) */
    LSNN_INIT_SIGNED = 1    /* sign-constrained, balanced, spectral-radius scaled (seed 000 s. 3) */
} lsnn_init_kind;

/* The gain of the readout filter: zeta(t) = kappa zeta(t-1) + g z(t). */
typedef enum lsnn_readout_gain {
    LSNN_GAIN_LEAKY = 0, /* g = 1 - kappa (lsnn's default: zeta is a rate-like average) */
    LSNN_GAIN_NONE = 1   /* g = 1 (seed 000's readout, y = W^T zeta + b, zeta = kappa zeta + z) */
} lsnn_readout_gain;

/* Order of the "signed" initialisation of a sparse matrix. */
typedef enum lsnn_signed_order {
    LSNN_SIGNED_MASK_FIRST = 0, /* lsnn: draw, balance and scale the masked matrix (default) */
    LSNN_SIGNED_MASK_LAST = 1   /* seed 000 section 3: balance and scale the dense matrix, then
                                 * multiply by the mask (weights about sqrt(p) times smaller) */
} lsnn_signed_order;

/* How the current noise's normals are drawn from their key (network.noise_draw). */
typedef enum lsnn_noise_draw {
    LSNN_NOISE_BOX_MULLER = 0, /* lsnn_hash_normal (default; every model before the option) */
    LSNN_NOISE_ZIGGURAT = 1    /* lsnn_hash_normal_zig: other draws, about 5x cheaper */
} lsnn_noise_draw;

/* The current noise's normal of (sequence g, step t, neuron j): key3 = lsnn_hash_key3(the
 * batch's noise_key, g, t) once per sequence and step. */
static inline double lsnn_noise_normal(int noise_draw, uint64_t key3, int j)
{
    return noise_draw == LSNN_NOISE_ZIGGURAT ? lsnn_hash_normal_zig(key3, (uint64_t)j)
                                             : lsnn_hash_normal_at(key3, (uint64_t)j);
}

typedef enum lsnn_readout_kind {
    LSNN_READOUT_LINEAR = 0, /* trained leaky readout */
    LSNN_READOUT_RATE = 1    /* fixed: mean rates of the last n_out groups of rate_group neurons */
} lsnn_readout_kind;

/* What lsnn_net_build makes: the typed form of the "network" section of a config (the run layer
 * maps a config onto it: lsnn/config_map.h). A zeroed spec with sizes, time constants and
 * thresholds filled in is a valid one-layer, dense, gaussian-initialised ALIF network
 * (neuron NULL = "alif", connectivity 0 = 1, layers 0 = 1). */
typedef struct lsnn_net_spec {
    const lsnn_neuron_model *neuron; /* model of every population (NULL: ALIF) */
    int layers;                /* recurrent layers of n_regular + n_adaptive neurons each */
    int n_regular, n_adaptive; /* LIF (beta = 0) and ALIF neurons per layer */
    double dt;                 /* ms per step */
    double tau_m, tau_a;       /* ms */
    double beta, b0;           /* adaptation strength of the ALIF neurons; baseline threshold */
    int refractory;            /* steps */
    int input_plain;           /* 1: "plain" input scaling (seed 004), 0: "leaky" (seed 000) */
    int psi_from_spike;        /* lsnn_neuron_opts.psi_from_spike */
    int stdp_psi_positive;     /* lsnn_neuron_opts.stdp_psi_positive */
    double gamma;              /* pseudo-derivative dampening */
    double w0, w0_out;         /* initialisation scales of the projections and the readout */
    int max_delay;             /* delays uniform in 1..max_delay */
    double noise_std;          /* initial current-noise std */
    int train_noise;           /* the noise std is trained */
    int noise_draw;            /* lsnn_noise_draw */
    int sparse_mode;           /* lsnn_sparse_mode (network.sparse_kernels) */
    double readout_tau;        /* ms; kappa = exp(-dt / readout_tau), 0 for readout_tau <= 0 */
    lsnn_sign sign_regular, sign_adaptive;
    lsnn_init_kind init;
    double exc_fraction, input_exc_fraction; /* LSNN_INIT_SIGNED */
    double connectivity;       /* connection probability of W_in, W_rec, W_out (0 means 1) */
    int global_connectivity;   /* one level across the three matrices */
    int bidirectional;         /* two directions (see lsnn_net_build) */
    lsnn_readout_kind readout;
    int rate_group;            /* LSNN_READOUT_RATE: neurons per output group */
    int module_input_from_module; /* embedded module: M_in takes the module's neuron parameters
                                   * (1) or this spec's LIF parameters (0) */
    lsnn_readout_gain readout_gain;
    lsnn_signed_order signed_order;
} lsnn_net_spec;

typedef struct lsnn_population {
    char name[LSNN_NAME_MAX];  /* "R", "A", ... */
    int off, count;            /* neuron range [off, off+count) */
    const lsnn_neuron_model *model;
    lsnn_sign sign;
    int layer;                 /* 0-based step-order layer (see lsnn_graph_build) */
    lsnn_real *par;            /* (model->n_params, count): parameter k of neuron i at
                                * par[k * count + i]; not trained */
    void *consts;              /* the model's constants derived from par (lsnn/neuron.h) */
} lsnn_population;

typedef struct lsnn_projection {
    char name[LSNN_NAME_MAX];  /* tensor name in checkpoints, e.g. "w_in", "w_rec" */
    int src_is_input;          /* 1: source = input channels; 0: source = neurons */
    int src_off, n_src;        /* source range */
    int dst_off, n_dst;        /* target neuron range */
    int min_delay, max_delay;  /* delays of the synapses, uniform in min..max; max 0 = a
                                * feed-forward projection between layers: spikes arrive in the
                                * same step (eq. 3.15) */
    int src_layer, dst_layer;  /* layers of the source and target neurons (-1: input) */
    int no_self;               /* diagonal (same neuron index) kept at zero */
    int frozen;                /* 1: excluded from training */
    int no_rewiring;           /* 1: DEEP R leaves it alone (trained as a fixed structure; the
                                * connections into an embedded module's input neurons) */
    lsnn_real *w;              /* (n_src, n_dst) source-major, points into params */
    uint8_t *delay;            /* (n_src, n_dst) delays, NULL when every synapse has delay 1
                                * (delay 0 for a feed-forward projection) */
    uint8_t *mask;             /* (n_src, n_dst) 1 = synapse exists, NULL = all (minus diagonal) */
    lsnn_sparse sparse;        /* index of the existing synapses (masked projections only) */
    size_t param_off;          /* offset of w in params */
} lsnn_projection;

typedef struct lsnn_net {
    int n_in, n, n_out;
    int n_pop, n_proj;
    int n_layers;              /* step-order layers (1 for a one-layer recurrent network) */
    int n_dirs;                /* 2: bidirectional (see lsnn_net_build), else 1 */
    lsnn_population *pop;      /* (n_pop), in simulation order */
    lsnn_projection *proj;     /* (n_proj) */
    int max_delay;             /* over all projections */
    lsnn_real gamma;           /* pseudo-derivative dampening */
    lsnn_real kappa;           /* readout decay exp(-dt/readout_tau) */
    lsnn_real readout_gain;    /* g of zeta(t) = kappa zeta(t-1) + g z(t): 1 - kappa or 1 */
    int smooth;                /* gradient-check mode: smooth spike function (never in training) */
    int train_noise;           /* noise std receives gradients */
    int noise_draw;            /* lsnn_noise_draw: Box-Muller or ziggurat */
    int readout_frozen;        /* W_out and b_out receive no gradients */
    int rate_group;            /* > 0: rate readout (network.readout "rate"): output k is the mean
                                * rate in Hz of neurons [n - n_out G + k G, ... + G), G = rate_group;
                                * W_out fixed at 1000 / (dt G) on them, b_out = 0, kappa = 0, frozen */
    int sparse_mode;           /* lsnn_sparse_mode: dense or sparse kernels (default automatic) */

    /* What the models derive from the populations' parameters (lsnn_net_update_constants). */
    double dt;
    int input_plain;           /* lsnn_neuron_opts.plain_input */
    int psi_from_spike;        /* lsnn_neuron_opts.psi_from_spike */
    int stdp_psi_positive;     /* lsnn_neuron_opts.stdp_psi_positive */
    int reset_grad;            /* lsnn_neuron_opts.reset_grad (1; tests may set 0 and call
                                * lsnn_net_update_constants) */
    lsnn_real *g_in;           /* (n) input gain dv/dI of each neuron */
    uint8_t *adaptive;         /* (n) 1 where the neuron's second state variable carries
                                * eligibility (an ALIF neuron with beta != 0, ...) */

    /* Trainable parameters: one allocation. */
    lsnn_real *params;
    size_t n_params;
    lsnn_real *w_out;          /* (n, n_out) */
    lsnn_real *b_out;          /* (n_out) */
    lsnn_real *noise_std;      /* (n) Gaussian current noise std per neuron */

    /* Structure (not trained). */
    int8_t *sign;              /* (n) sign of each neuron's outgoing weights: 1, -1, 0 = unsigned */
    int8_t *input_sign;        /* (n_in) the same for input channels; NULL = unsigned inputs */
    uint8_t *w_out_mask;       /* (n, n_out) 1 = readout synapse exists; NULL = all exist */
    int8_t *readout_dir;       /* (n) -1: the readout does not read the neuron; d >= 0: it drives
                                * the outputs of direction d */

    void *mem;                 /* owner of every array above */
} lsnn_net;

/* ---- Networks as graphs ------------------------------------------------------------------
 *
 * A graph is populations (in simulation order) and projections between them, built into an
 * lsnn_net by lsnn_graph_build. Every random draw of a population or projection comes from a
 * stream derived from the seed and its name, so adding a population changes nothing of the
 * others. Timing: an input channel's delay d >= 1 integrates the value presented at t into
 * V(t + d - 1) (delay 1 = the same step; 0 is not allowed for inputs); a recurrent synapse's
 * delay d >= 1 integrates a spike of t into V(t + d) (the minimum is one step); delay 0 (min =
 * max = 0) makes a feed-forward projection whose spikes arrive in the same step: its targets
 * must come after its sources in the population order, and a population that receives one
 * starts a new layer. */

/* A per-neuron parameter value: one constant, uniform draws in [a, b), or one value per neuron. */
typedef enum lsnn_value_kind {
    LSNN_VALUE_CONST = 0,
    LSNN_VALUE_UNIFORM = 1,
    LSNN_VALUE_LIST = 2
} lsnn_value_kind;
typedef struct lsnn_value {
    lsnn_value_kind kind;
    double a, b;               /* CONST: a; UNIFORM: a <= x < b */
    const double *list;        /* LIST: n_list values (n_list = the population's count) */
    int n_list;
} lsnn_value;

typedef struct lsnn_population_spec {
    const char *name;          /* unique among populations and projections */
    const lsnn_neuron_model *model; /* NULL: "alif" */
    int count;
    lsnn_sign sign;
    /* Parameters by name; the model's default where a parameter is not named. */
    int n_values;
    const char *const *value_names;
    const lsnn_value *values;
    double noise_std;          /* initial current-noise std of every neuron */
    double exc_fraction;       /* init "signed", sign none: the population is split into
                                * excitatory "<name>_E" and inhibitory "<name>_I" neurons, one
                                * Bernoulli(exc_fraction) draw per neuron */
    int keep_unsigned;         /* 1: sign none stays unsigned under init "signed" (not split; an
                                * embedded module's populations, graph sign "unsigned") */
} lsnn_population_spec;

typedef struct lsnn_projection_spec {
    const char *name;          /* unique; the tensor name of its weights */
    /* Source: "input" (channels [in_off, in_off + in_count); in_count 0 = all from in_off) or
     * populations joined by '+' ("R+A"), consecutive in the population order. */
    const char *from;
    int in_off, in_count;
    const char *to;            /* target populations, joined by '+', consecutive */
    int min_delay, max_delay;  /* see above */
    int no_self;               /* no synapse from a neuron to itself */
    int frozen;                /* not trained */
    double connectivity;       /* connection probability, exactly round(p * possible) synapses
                                * (0 = 1 = dense) */
    double w0;                 /* initialisation scale */
} lsnn_projection_spec;

/* What applies to the whole network. */
typedef struct lsnn_graph_opts {
    double dt, gamma;
    int input_plain;
    int psi_from_spike, stdp_psi_positive; /* lsnn_neuron_opts */
    double readout_tau;        /* ms; kappa = exp(-dt / readout_tau), 0 for readout_tau <= 0 */
    lsnn_readout_gain readout_gain;
    int train_noise;
    int noise_draw;            /* lsnn_noise_draw */
    int sparse_mode;           /* lsnn_sparse_mode, set before the first sparse index build */
    lsnn_init_kind init;
    lsnn_signed_order signed_order;
    double input_exc_fraction; /* "signed": round(f * n_in) excitatory input channels */
    double w0_out;
    double readout_connectivity; /* of W_out (0 = 1 = dense) */
    double global_connectivity;  /* > 0: one level across every projection and W_out together,
                                  * instead of their own */
    const char *readout_from;  /* populations the readout reads, joined by '+'; NULL/"": all */
    lsnn_readout_kind readout;
    int rate_group;
} lsnn_graph_opts;

typedef struct lsnn_graph lsnn_graph;
lsnn_graph *lsnn_graph_new(const lsnn_graph_opts *opts);
void lsnn_graph_free(lsnn_graph *g);
/* Add a population / projection (checked: names, model parameters and their ranges, endpoints,
 * delays). The specs are copied. */
lsnn_status lsnn_graph_add_population(lsnn_graph *g, const lsnn_population_spec *p);
lsnn_status lsnn_graph_add_projection(lsnn_graph *g, const lsnn_projection_spec *p);
/* Builds the network for n_in input channels and n_out outputs; all randomness from `seed`. */
lsnn_status lsnn_graph_build(const lsnn_graph *g, lsnn_net *net, int n_in, int n_out,
                             uint64_t seed);
/* Neurons of the graph (sum of the population counts). */
long long lsnn_graph_neurons(const lsnn_graph *g);
/* Checks a list of population names joined by '+' (as network.readout_from): LSNN_OK, or an
 * error naming the first unknown one. */
lsnn_status lsnn_graph_check_names(const lsnn_graph *g, const char *names);

/* The recipe: builds the standard LSNN of seed 000 from spec (a graph made by the recipe): populations R (n_regular LIF) and A
 * (n_adaptive ALIF), input and recurrent projections (no self-connections), delays uniform in
 * 1..max_delay, zero biases. All randomness from rng streams derived from `seed`.
 *
 * Connectivity: with spec->connectivity = p < 1, exactly round(p * possible) synapses exist, chosen
 * uniformly among the possible positions (the W_rec diagonal is never possible), either per matrix
 * or, with spec->global_connectivity, once across W_in, W_rec and W_out together.
 *
 * init "gaussian": W ~ w0/sqrt(n_src) N(0,1), readout W ~ w0_out/sqrt(n) N(0,1); neurons of a
 * signed population take |W| with their sign.
 * init "signed" (seed 000 section 3): signs as described above (neurons: one Bernoulli draw of
 * probability exc_fraction per neuron of an unsigned population; inputs: round(input_exc_fraction
 * * n_in) excitatory channels chosen at random); W_ij = sign_i |N(0,1)| on existing synapses;
 * then per target neuron j (one column j of the source-major w: its incoming weights) a constant
 * is added to the weights of one sign so that sum_i W_ij = 0 (skipped when all of j's incoming
 * synapses have the same sign); then W is divided by its spectral radius and multiplied by w0
 * (w0_out for the readout). For a non-square matrix (n_src != n_dst) a square matrix of size
 * m = max(n_src, n_dst) is generated the same way (the extra sources with signs drawn at the
 * source's excitatory fraction, the same density), balanced, and scaled by its spectral radius;
 * W is a block of n_src rows and n_dst columns of it. Because the entries are exchangeable, the
 * first rows and columns are as good as uniformly chosen ones. The block's own columns are
 * balanced separately from the rest of the square matrix, so W's columns also sum to zero.
 *
 * In a zeroed spec, connectivity 0 means 1 and layers 0 means 1.
 *
 * Bidirectional networks (spec->bidirectional, seed 000 TIMIT): two directions of m = n_regular +
 * n_adaptive neurons each, direction 0 = neurons [0, m) (populations "R", "A"), direction 1 =
 * [m, 2m) ("R_bw", "A_bw"). The network then has 2 n_in input channels and 2 n_out outputs:
 * direction 0 reads channels [0, n_in) through "w_in" and drives outputs [0, n_out); direction 1
 * reads [n_in, 2 n_in) through "w_in_bw" and drives [n_out, 2 n_out); each has its own recurrent
 * "w_rec" / "w_rec_bw" and nothing connects the two. The readout's block structure lives in
 * w_out_mask (always present then); lsnn_net_readout_possible tells which positions may hold a
 * synapse. Feeding direction 1 the time-reversed sequence and summing the two output blocks is the
 * trainer's job (lsnn/train.h). The gaussian readout scale uses the m neurons of one direction. */
lsnn_status lsnn_net_build(lsnn_net *net, const lsnn_net_spec *spec, int n_in, int n_out,
                           uint64_t seed);
/* Seed 003 section 4.2: the LSNN of spec (one direction, dense, gaussian init) followed by a
 * trained module `mod` (a one-layer network with the rate readout, e.g. trained on task softmax),
 * embedded frozen. Populations: the LSNN's, then "M_in" (mod->n_in LIF neurons with the
 * parameters of spec, or with spec->module_input_from_module those of mod's first neuron, standing in
 * for the module's Poisson inputs) and "M" (mod's neurons with
 * their own parameters); projections: the LSNN's, "w_pm" (the LSNN's last layer -> M_in, spikes of
 * the same step, trained), "w_m_in" (M_in -> M, same step; mod's w_in) and "w_m_rec" (M -> M;
 * mod's w_rec), both frozen. The rate readout reads M's output groups (mod's rate_group), so
 * n_out = mod->n_out. Layers: the LSNN's, then M_in, then M. */
lsnn_status lsnn_net_build_embedded(lsnn_net *net, const lsnn_net_spec *spec, int n_in,
                                    uint64_t seed, const lsnn_net *mod);
void lsnn_net_free(lsnn_net *net);

/* 1 if the readout synapse neuron j -> output k may exist: always, except across the two
 * directions of a bidirectional network. */
int lsnn_net_readout_possible(const lsnn_net *net, int j, int k);

/* Recomputes what is derived from the parameters and the structure: the models' constants after
 * a population's parameters changed, and the sparse index after the masks changed
 * (lsnn_checkpoint_load calls it after reading them). */
void lsnn_net_update_constants(lsnn_net *net);

/* Population of neuron j (index into net->pop), or -1. */
int lsnn_net_pop_of(const lsnn_net *net, int j);
/* The value of model parameter `name` of neuron j, in its population's par: NULL when its model
 * has no such parameter. Call lsnn_net_update_constants after changing values. */
lsnn_real *lsnn_net_param(const lsnn_net *net, int j, const char *name);

/* Number of parameters: whole tensors (active_only = 0, as Table S1 counts "full") or existing
 * synapses only (masked synapses of W_in, W_rec, W_out and the W_rec diagonal not counted). */
size_t lsnn_net_count_params(const lsnn_net *net, int active_only);

/* Enforces the structural constraints on the weights: zeros (masks, no self-connections) and
 * the sign of each neuron's and input channel's outgoing weights (a weight that crossed zero is
 * set to zero). Also rebuilds the sparse index from the masks: call it after changing a mask. */
void lsnn_net_apply_masks(lsnn_net *net);

/* Rate readout: the first neuron of the output groups (the neurons before it are the hidden
 * ones); net->n for a linear readout. */
int lsnn_net_rate_first(const lsnn_net *net);
/* The first population whose neuron model is for simulation only (no gradient: BPTT and e-prop
 * refuse it), or -1. */
int lsnn_net_forward_only(const lsnn_net *net);
/* Rate readout: the output group of neuron j, or -1 (a hidden neuron, or a linear readout). */
int lsnn_net_rate_neuron(const lsnn_net *net, int j);
/* Rate readout: the fixed W_out (n, n_out) into w_out, and its group structure into mask (may be
 * NULL). */
void lsnn_net_rate_readout(const lsnn_net *net, lsnn_real *w_out, uint8_t *mask);

/* 1 where parameter k may change during training (not frozen, not masked, not a diagonal). */
void lsnn_net_trainable_mask(const lsnn_net *net, uint8_t *out /* (n_params) */);

#endif

/* lsnn/config.h - experiment configuration (JSON).
 *
 * A config is a JSON object; every key is documented in docs/CONFIG.md. Unknown keys, wrong
 * types, non-finite numbers and out-of-range values are rejected with a message naming the file
 * and the dotted key (e.g. "configs/x.json: network.tau_m: must be > 0, got -3").
 * `--set key=value` overrides use the same dotted paths. */
#ifndef LSNN_CONFIG_H
#define LSNN_CONFIG_H

#include "lsnn/status.h"

#ifndef LSNN_NAME_MAX
#define LSNN_NAME_MAX 32 /* also in lsnn/network.h */
#endif
#define LSNN_PATH_MAX 256
#define LSNN_JSON_MAX 32768 /* network.populations / projections, as compact JSON text */

typedef struct lsnn_optim_config {
    char name[LSNN_NAME_MAX];  /* "adam" | "sgd" */
    double beta1, beta2;       /* Adam moment decay rates (0.9, 0.999) */
    double epsilon;            /* Adam epsilon (1e-8); seed 001 meta-RL uses 1e-5 */
    double lr_decay;           /* multiply lr by this factor ... (1.0 = no decay) */
    int lr_decay_every;        /* ... every this many iterations (0 = never) */
    double clip_norm;          /* global gradient-norm clipping; 0 = off */
    int epsilon_in_sqrt;       /* Adam: 1 = m / sqrt(v + eps) (seed 004 eq. 3.52), 0 = m / (sqrt(v) + eps) */
    int warmup;                /* linear learning-rate ramp from 0 over this many iterations (0 = off) */
} lsnn_optim_config;

typedef struct lsnn_network_config {
    char neuron[LSNN_NAME_MAX]; /* neuron model of every population: "alif" | "stdp_alif" | "izhikevich" */
    int layers;                /* recurrent layers of n_regular + n_adaptive neurons each (1) */
    int n_regular;             /* LIF neurons (beta = 0) */
    int n_adaptive;            /* ALIF neurons */
    double dt;                 /* ms per step (1.0) */
    double tau_m;              /* membrane time constant, ms (20) */
    double tau_a;              /* adaptation time constant of ALIF neurons, ms (1200) */
    double beta;               /* adaptation strength of ALIF neurons (1.8) */
    double b0;                 /* baseline threshold (0.01) */
    int refractory;            /* refractory period in steps (0 = none) */
    char input_scaling[LSNN_NAME_MAX]; /* "leaky" (seed 000) | "plain" (seed 004) */
    char psi_window[LSNN_NAME_MAX];    /* "refractory" | "spike": the steps of a spike's
                                        * refractory pseudo-derivative (zero or STDP's) */
    char stdp_psi_sign[LSNN_NAME_MAX]; /* "negative" (eq. 3.23) | "positive" (seed 004's code) */
    double gamma;              /* pseudo-derivative dampening (0.3) */
    double w0;                 /* weight scale of the initialisation (1.0) */
    double w0_out;             /* weight scale of the readout initialisation (1.0) */
    int max_delay;             /* synaptic delays drawn uniformly from 1..max_delay (1) */
    double noise_std;          /* initial std of Gaussian current noise (0 = off) */
    int train_noise;           /* 1: the per-neuron noise std is a trained parameter */
    char noise_draw[LSNN_NAME_MAX]; /* "box_muller" | "ziggurat": how the noise's normals are drawn */
    char sparse_kernels[LSNN_NAME_MAX]; /* "auto" | "on" | "off": lsnn_sparse_mode */
    double readout_tau;        /* readout time constant kappa = exp(-dt/readout_tau), ms (20) */
    int n_hidden;              /* units of the LSTM / tanh RNN baselines (model != "lsnn") */
    char sign_regular[LSNN_NAME_MAX];  /* "none" | "exc" | "inh": sign of the LIF neurons' outputs */
    char sign_adaptive[LSNN_NAME_MAX]; /* the same for the ALIF neurons */
    char init[LSNN_NAME_MAX];  /* "gaussian" | "signed" (sign-constrained, balanced, seed 000 s. 3) */
    double exc_fraction;       /* "signed": probability that a neuron is excitatory (0.8) */
    double input_exc_fraction; /* "signed": fraction of excitatory input channels (0.75) */
    double connectivity;       /* connection probability of W_in, W_rec, W_out (1 = dense) */
    int global_connectivity;   /* 1: one level across the three matrices; 0: per matrix */
    int bidirectional;         /* 1: a second, time-reversed network; readouts summed (BPTT) */
    char readout[LSNN_NAME_MAX]; /* "linear" (trained leaky readout) | "rate": fixed group rates */
    int rate_group;            /* "rate": neurons per output group, the last n_out groups (10) */
    char module[LSNN_PATH_MAX]; /* checkpoint of a trained module embedded frozen ("" = none) */
    char module_input[LSNN_NAME_MAX]; /* parameters of M_in: "network" (this config's LIF
                                       * neurons) | "module" (the module's first neuron) */
    char readout_gain[LSNN_NAME_MAX]; /* "leaky": zeta += (1 - kappa) z | "none": zeta += z */
    char mask_order[LSNN_NAME_MAX]; /* "signed" init of a sparse matrix: mask "first" (lsnn) or
                                     * "last" (seed 000: balance and scale dense, then mask) */
    char readout_from[LSNN_PATH_MAX]; /* populations the readout reads, '+'-joined ("" = all) */
    /* Graph networks: lists of populations and projections as compact JSON text ("" = the
     * recipe of n_regular, n_adaptive, layers, ...). See docs/CONFIG.md, "Graph networks". */
    char populations[LSNN_JSON_MAX];
    char projections[LSNN_JSON_MAX];
} lsnn_network_config;

typedef struct lsnn_deepr_config {
    int enabled;               /* rewire with DEEP R (needs network.init "signed", connectivity < 1) */
    double l1;                 /* L1 shrinkage of the synapse parameters theta (0.01) */
    double temperature;        /* noise temperature T (0 = no noise) */
    double init_magnitude;     /* |w| of a regrown synapse (1e-12) */
} lsnn_deepr_config;

typedef struct lsnn_loss_config {
    double rate_target;        /* firing-rate regularisation target, Hz (10) */
    double rate_reg;           /* weight of the rate regularisation (0 = off) */
    double l2;                 /* L2 weight decay of input and recurrent weights (seed 004 eq. 3.45) */
    char rate_reg_neurons[LSNN_NAME_MAX]; /* "all" | "hidden" (outside the rate readout's groups) */
} lsnn_loss_config;

typedef struct lsnn_eprop_config {
    char feedback[LSNN_NAME_MAX]; /* "symmetric" | "random" | "adaptive" (feedback weights B) */
    int reset_grad;            /* 1: the reset's dependence on V through z is in the eligibility */
    double rate_reg;           /* online firing-rate regularisation c_reg (seed 004 eqs. 3.40-3.44) */
    double clip_v, clip_a;     /* clip eligibility vectors to [-clip, clip] (0 = off; Izhikevich) */
} lsnn_eprop_config;

typedef struct lsnn_store_recall_config {
    int n_values;              /* number of values (2 or 4; 2..16 allowed) */
    int n_symbols;             /* symbols (periods) per sequence (12) */
    int symbol_ms;             /* duration of one symbol, steps (200) */
    int group_size;            /* input neurons per input group (25) */
    double rate_hz;            /* firing rate of an active input group (50) */
    double p_command;          /* probability of a command in a period (1/6) */
    int val_size;              /* validation sequences, freshly generated (256) */
} lsnn_store_recall_config;

typedef struct lsnn_smnist_config {
    char data_dir[LSNN_PATH_MAX];  /* directory with the IDX files ("data/mnist") */
    char encoding[LSNN_NAME_MAX];  /* "threshold" | "population" | "analog" */
    int n_input;               /* input channels of the spike encodings (80) */
    int ms_per_pixel;          /* steps per pixel (1 or 2) */
    int cue;                   /* 1: an extra input channel is active after the image */
    int readout_steps;         /* steps after the image over which the readout is averaged (56) */
    char window[LSNN_NAME_MAX]; /* "after": the readout_steps steps after the image (seed 000);
                                * "image_end": the image's last readout_steps steps (seed 003) */
    int train_size;            /* training images used (0 = all but the validation slice) */
    int val_size;              /* validation slice: the last val_size training images (5000) */
} lsnn_smnist_config;

/* Spiking modules of seed 003 (tasks "softmax" and "kwta"): Poisson input groups coding a vector
 * x, output groups whose rates must be rate_scale softmax(map(x)) or the K winners of x. */
typedef struct lsnn_module_config {
    int n_in;                  /* input values M (4) */
    int n_out;                 /* outputs N (4) */
    char mapping[LSNN_NAME_MAX]; /* softmax: "identity" | "random" | "signed" */
    int group_size;            /* Poisson input neurons per input value (10) */
    double rate_scale;         /* rho_scale, Hz (200) */
    double exp_beta;           /* rate of the exponential distribution of x (0.5) */
    int steps;                 /* steps per sequence T (300) */
    int t_init;                /* steps before the output window (30) */
    double map_mean, map_std;  /* "random": W_target ~ N(map_mean, map_std) (20, 5) */
    int k;                     /* kwta: winners K (1) */
    double rate_zero, rate_one; /* kwta: hinge borders, Hz (20, 50) */
    int val_size;              /* validation sequences (1000) */
} lsnn_module_config;

typedef struct lsnn_timit_config {
    char dir[LSNN_PATH_MAX];   /* feature cache of `lsnn data timit` ("data/timit-features") */
    int frame_steps;           /* steps each 10 ms feature frame is held (10) */
    int max_frames;            /* frames per sequence; longer sentences are cut (800) */
    int val_size;              /* validation sequences evaluated (0 = all) */
    char average[LSNN_NAME_MAX]; /* "softmax" (seed 000) | "readout": what a frame's window averages */
} lsnn_timit_config;

/* Task "random": independent random input spikes (what `lsnn bench` times training on). */
typedef struct lsnn_random_config {
    int steps;                 /* steps per sequence T (784) */
    int inputs;                /* input channels (80) */
    int outputs;               /* classes (10) */
    double input_rate;         /* probability that a channel spikes in a step (0.05) */
    int window;                /* the classification window: the last `window` steps (56) */
} lsnn_random_config;

/* Task "external": batches that come from the caller (the Python package's arrays), for a
 * network built without an experiment; `lsnn train` cannot run it. */
typedef struct lsnn_external_config {
    int steps;                 /* steps per sequence T (100) */
    int inputs;                /* input channels (1) */
    int outputs;               /* readouts (1) */
    char loss[LSNN_NAME_MAX];  /* "mse" (squared error against a target per step) | "ce"
                                * (cross-entropy of classification windows) */
    int windows;               /* "ce": most classification windows per sequence (1) */
} lsnn_external_config;

/* Task "l2l": learning-to-learn from a teacher (seed 000/001 section 5). Each episode is a new
 * function of a family; step k shows x_k and the previous target, the readout must predict
 * C(x_k) during step k. */
typedef struct lsnn_l2l_config {
    char family[LSNN_NAME_MAX]; /* "sine": A sin(phi + x) | "tn": 2-10-1 target networks */
    char tn_output[LSNN_NAME_MAX]; /* "minmax" | "sigmoid": how a TN's output enters [0, 1] */
    int steps;                 /* examples per episode (500) */
    int step_ms;               /* simulation steps per example (20) */
    int neurons_per_var;       /* input neurons per encoded variable (100) */
    double rate_max;           /* Hz, peak rate of an input neuron (200) */
    double width;              /* sigma of the Gaussian tuning as a fraction of the variable's
                                * range (0.001: the published (max - min) / 1000) */
    int val_size;              /* validation episodes (64) */
} lsnn_l2l_config;

/* Task "meta_rl": meta-reinforcement learning in a circular arena (seed 000/001 section 6,
 * lsnn/arena.h), trained with `"learning": "ppo"` (lsnn/ppo.h). */
typedef struct lsnn_meta_rl_config {
    int steps;                 /* simulation steps per episode (2000) */
    double radius;             /* arena radius (1) */
    double goal_radius;        /* (0.3) */
    double goal_ring;          /* radius of the circle of goal centres (0.85) */
    double a_scale;            /* largest step length (0.02) */
    double goal_reward;        /* (1) */
    double wall_reward;        /* (-0.02) */
    int start_outside_goal;    /* placements avoid the goal (false: the text) */
    int place_neurons;         /* input neurons per coordinate (40) */
    double place_rate;         /* Hz, their peak rate (500) */
    double place_k;            /* sharpness k of exp(-k (xi_i - xi)^2) (100) */
    int reward_neurons;        /* neurons per reward group (40) */
    double discount;           /* eta of the returns (0.99) */
    double gae_lambda;         /* advantages: 1, R - V (the text); < 1, GAE(lambda) */
    double clip;               /* PPO epsilon (0.2) */
    double value_weight;       /* mu_v (1) */
    double entropy_weight;     /* mu_e (0.001) */
    int val_size;              /* validation episodes (20) */
} lsnn_meta_rl_config;

/* Model "alstm": the adaptive analog LSTM of seed 002, trained online on sequence prediction or
 * the T-maze and then converted to adaptive spiking neurons (lsnn/alstm.h, alstm_train.h,
 * alstm_spiking.h). `lsnn train` runs it with its own loop (src/run/alstm_run.c). */
typedef struct lsnn_alstm_config {
    char task[LSNN_NAME_MAX];   /* "seq_prediction" | "tmaze" */
    int noisy;
    int p;                      /* sequence prediction: p (100) */
    int length;                 /* T-maze: corridor length N (20) */
    int n_hidden;               /* regular AAN units (0) */
    int n_cells;                /* cells (1) */
    int outputs_read_inputs;    /* the outputs read the input units too (true) */
    char input[LSNN_NAME_MAX];  /* "aan": input units AAN(x) | "current": x itself */
    char cell_output[LSNN_NAME_MAX]; /* "aan" | "normalised": AAN(s) / AAN(1) */
    double w_cec;               /* 1 */
    double aan_a, aan_b, aan_c, aan_d; /* the activation's constants (fitted to the ASN) */
    double init_range;          /* 0.2 */
    double gate_bias, cin_bias; /* initial biases of gates and input cells */
    int cell_out_zero;          /* the output weights that read the cells start at 0 */
    double lr_out, lr_hidden, lr_cell, lr_cell_bias;
    double lr_halflife;         /* trials over which they halve (0: constant) */
    char update[LSNN_NAME_MAX]; /* "rtrl" | "bptt" */
    char seq_targets[LSNN_NAME_MAX]; /* "every" | "final": the steps whose error trains */
    int sequential;             /* insert the cells at a plateau */
    int plateau_window, plateau_wait;
    double plateau_drop;
    int budget;                 /* trials (sequence prediction) or steps (T-maze) */
    int train_after;            /* trials or steps of training after the criterion is met (0) */
    int window;                 /* trials or episodes of the convergence criterion (100) */
    double seq_threshold;       /* 0.25 */
    double tmaze_threshold;     /* 3.5 */
    double alpha, gamma, lambda, kappa;
    double c_temp, t_min, t_max, beta_explore, alpha_explore;
    int explore_hidden;         /* 12 */
    int episode_cap;            /* 1000 */
    double window_ms;           /* spiking: 200 */
    char gate_signal[LSNN_NAME_MAX]; /* "shat-det" | "shat" | "s" */
    char w_cec_spiking[LSNN_NAME_MAX]; /* "exact" | "seed" */
    int test_trials;            /* noisy sequences or T-maze episodes of the spiking test (100) */
} lsnn_alstm_config;

typedef struct lsnn_config {
    char task[LSNN_NAME_MAX];      /* "store_recall" | "smnist" | "timit" | "softmax" | "kwta" |
                                    * "random" */
    char model[LSNN_NAME_MAX];     /* "lsnn" (spiking) | "lstm" | "rnn" (non-spiking baselines) |
                                    * "alstm" (seed 002's adaptive LSTM, section "alstm") */
    char learning[LSNN_NAME_MAX];  /* "bptt" | "eprop" */
    unsigned long long seed;       /* one seed drives everything (1) */
    int iterations;                /* training iterations (400) */
    int batch_size;                /* sequences per iteration (64) */
    int chunk;                     /* BPTT: sequences per parallel chunk, 0 = lsnn_chunk_size */
    double lr;                     /* learning rate (0.01) */
    int log_every;                 /* progress line every N iterations (10) */
    int eval_every;                /* validation every N iterations (0 = only at the end) */
    int bptt_records_mb;           /* memory for BPTT's records of the forward pass (256) */
    lsnn_optim_config optim;       /* JSON key "optimizer" */
    lsnn_network_config network;   /* JSON key "network" */
    lsnn_loss_config loss;         /* JSON key "loss" */
    lsnn_store_recall_config store_recall; /* JSON key "store_recall" */
    lsnn_smnist_config smnist;     /* JSON key "smnist" */
    lsnn_timit_config timit;       /* JSON key "timit" */
    lsnn_module_config module;     /* JSON key "module" */
    lsnn_deepr_config deepr;       /* JSON key "deepr" */
    lsnn_eprop_config eprop;       /* JSON key "eprop" */
    lsnn_random_config random;     /* JSON key "random" (written only when not all default) */
    lsnn_external_config external; /* JSON key "external" (written only when not all default) */
    lsnn_l2l_config l2l;           /* JSON key "l2l" (written only when not all default) */
    lsnn_meta_rl_config meta_rl;   /* JSON key "meta_rl" (written only when not all default) */
    lsnn_alstm_config alstm;       /* JSON key "alstm" (written only when not all default) */
} lsnn_config;

/* Fills cfg with the documented defaults. */
void lsnn_config_defaults(lsnn_config *cfg);

/* Parses a JSON text into cfg (which must hold defaults or a previous config: keys absent from
 * the text keep their value). `origin` names the source in error messages (a file name).
 * On error cfg is unchanged. */
lsnn_status lsnn_config_parse(lsnn_config *cfg, const char *json_text, const char *origin);

/* Reads and parses a JSON file (defaults first, then the file). */
lsnn_status lsnn_config_load(lsnn_config *cfg, const char *path);

/* Applies one "dotted.key=value" override (value parsed as JSON when possible, else as a string).
 * On error cfg is unchanged. */
lsnn_status lsnn_config_set(lsnn_config *cfg, const char *assignment);

/* Checks ranges and cross-field consistency (e.g. n_regular + n_adaptive > 0). */
lsnn_status lsnn_config_validate(const lsnn_config *cfg, const char *origin);

/* Serialises the full config (every key) as a JSON object; caller frees with free(). */
char *lsnn_config_to_json(const lsnn_config *cfg);

#endif

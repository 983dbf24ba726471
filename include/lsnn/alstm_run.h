/* lsnn/alstm_run.h - one run of seed 002's adaptive LSTM (config model "alstm", section "alstm"):
 * build the analog network from the config, train it online (sequence prediction or the T-maze),
 * convert it to adaptive spiking neurons and test the spiking network, and write the run's
 * directory: model.safetensors (the weights as F64, tensor "params", and for the T-maze
 * "explore.params"; metadata "format" = "lsnn-alstm-1", "config", and the results), log.csv
 * (iteration, moving error or return, cells on) and result.json. A run is short (seconds to
 * minutes) and is not resumed: running it again starts over. In result.json the spiking network's
 * numbers are null when it was not tested, and "converged_iterations" (the iteration count of a
 * converged network, else null) gives `lsnn sweep` Table 1's median over converged networks. */
#ifndef LSNN_ALSTM_RUN_H
#define LSNN_ALSTM_RUN_H

#include "lsnn/alstm.h"
#include "lsnn/alstm_spiking.h"
#include "lsnn/config.h"
#include "lsnn/status.h"

typedef struct lsnn_alstm_run_result {
    int converged;            /* the analog network met the criterion within the budget */
    long iterations;          /* trials (sequence prediction) or steps (T-maze) run */
    long inserted_at;         /* trial at which the cells were inserted (-1: not sequential) */
    double moving;            /* the criterion's moving mean at the end */
    double analog_score;      /* the analog network on the spiking test's inputs: the largest
                               * last-step error (sequence prediction) or the mean greedy
                               * return (T-maze) */
    int spiking_tested;       /* 1: converted and tested (only a converged network is) */
    int spiking_pass;         /* the spiking network solves the task */
    double spiking_score;     /* as analog_score, from window means */
    double spikes;            /* spikes per test sequence or episode (counted ASNs) */
    double rate_hz;           /* spikes / (counted ASNs x duration) */
    double counted_asns;      /* mean number of counted ASNs */
    double h, h_out;          /* spike heights used */
    double seconds;
} lsnn_alstm_run_result;

/* Progress: the iteration count and the moving mean (error or return). */
typedef void (*lsnn_alstm_run_progress)(void *ctx, long iteration, double moving, int cells_on);

/* Runs cfg (model "alstm", validated) in dir (created if missing; an earlier run's files are
 * replaced). */
lsnn_status lsnn_alstm_run(const lsnn_config *cfg, const char *dir, lsnn_alstm_run_progress cb,
                           void *ctx, lsnn_alstm_run_result *res);

/* The analog network a config describes (sizes from the task: p + 1 inputs and outputs for
 * sequence prediction, 3 and 4 for the T-maze). */
lsnn_alstm_spec lsnn_alstm_run_spec(const lsnn_config *cfg);

/* The conversion's parameters from the config (section "alstm" and network.dt): the ASN defaults,
 * the spike heights calibrated by simulation (h = 1 / P(4.8); h_out = 1 / P(1) for a normalised
 * cell output), the window, W_CEC, the gate signal and the seed. Takes about a second. */
lsnn_status lsnn_alstm_run_spiking_params(const lsnn_config *cfg, const lsnn_alstm_spec *spec,
                                          lsnn_alstm_spiking_params *p);

/* Tests a trained network as lsnn_alstm_run does after training: the analog network on the test
 * inputs, and its conversion when sp is not NULL; fills the score, spiking and spike fields of
 * res (the others are left alone). */
lsnn_status lsnn_alstm_run_test(const lsnn_config *cfg, const lsnn_alstm *net,
                                lsnn_alstm_spiking *sp, lsnn_alstm_run_result *res);

/* A model written by lsnn_alstm_run (format "lsnn-alstm-1"): its config (defaults, then the
 * stored JSON), and its weights into a network created from a config (cfg may differ from the
 * stored one in anything but the network's shape; net is created here and must be freed). Errors
 * name the file. */
lsnn_status lsnn_alstm_read_config(const char *path, lsnn_config *cfg);
lsnn_status lsnn_alstm_load(const char *path, const lsnn_config *cfg, lsnn_alstm *net);

/* One test sequence or episode of a trained network, analog and converted (seed 002 Figs. 4-6).
 * Sequence prediction: `index` picks the test sequence (noise-free: 0 starts with x, 1 with y);
 * both networks see the same p inputs. T-maze: test episode `index` of stream 1, each network
 * acting greedily on its own outputs (their paths may differ), at most alstm.episode_cap steps. */
typedef struct lsnn_alstm_trace {
    int n_out, n_cells;
    int window;               /* steps (of dt ms) per analog step */
    double dt;
    int steps;                /* analog steps */
    double *o_analog;         /* (steps, n_out) outputs */
    double *s_analog;         /* (steps, n_cells) carousels after each step */
    int *input;               /* (steps) sequence prediction: the symbol shown; T-maze: the
                               * analog agent's action */
    int windows;              /* spiking windows (= steps for sequence prediction) */
    double *o_spiking;        /* (windows x window, n_out) outputs at every dt */
    double *o_window;         /* (windows, n_out) window means */
    double *s_spiking;        /* (windows x window, n_cells) current of each cell's output ASN */
    int *action_spiking;      /* (windows) T-maze: the spiking agent's actions; else -1 */
    int target;               /* sequence prediction: the symbol to predict; T-maze: the goal
                               * arm's action */
    double score_analog;      /* sequence prediction: the last step's largest error; T-maze:
                               * the return */
    double score_spiking;     /* the same from window means */
    double spikes;            /* spikes of the counted ASNs (as in lsnn_alstm_run_result) */
    void *mem;
} lsnn_alstm_trace;

lsnn_status lsnn_alstm_trace_run(const lsnn_config *cfg, const lsnn_alstm *net,
                                 lsnn_alstm_spiking *sp, int index, lsnn_alstm_trace *tr);
void lsnn_alstm_trace_free(lsnn_alstm_trace *tr);

#endif

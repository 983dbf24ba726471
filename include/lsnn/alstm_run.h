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

#endif

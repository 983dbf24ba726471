/* lsnn/sweep.h - statistics over the runs of a sweep (`lsnn sweep`): every numeric field of the
 * runs' result.json files (the final metric "value", and for model "alstm" "converged",
 * "iterations", "spiking_pass", "spikes", "rate_hz", ...) summarised over the runs that have
 * it. */
#ifndef LSNN_SWEEP_H
#define LSNN_SWEEP_H

#include "lsnn/status.h"

#define LSNN_SWEEP_NAME_MAX 64

typedef struct lsnn_sweep_stat {
    char name[LSNN_SWEEP_NAME_MAX];
    int n;                     /* runs with a finite value of this field */
    double mean, std;          /* std: sample standard deviation (0 for one run) */
    double min, max, median;
} lsnn_sweep_stat;

/* Parses n result.json texts (texts[i] NULL: a run without a result, skipped; origins[i] names
 * it in errors) and fills stats with one entry per numeric field, in the order the fields first
 * appear, at most cap entries; *n_stats gets the count. LSNN_ERR_FORMAT naming the origin for
 * a text that is not a JSON object. Booleans count as 0/1; strings and nested values are
 * skipped. */
lsnn_status lsnn_sweep_aggregate(const char *const *texts, const char *const *origins, int n,
                                 lsnn_sweep_stat *stats, int cap, int *n_stats);

/* The statistics of one field by name, or NULL. */
const lsnn_sweep_stat *lsnn_sweep_find(const lsnn_sweep_stat *stats, int n, const char *name);

#endif

/* lsnn/plot.h - figures of networks and runs, drawn with cairo: PNG, SVG or PDF.
 *
 * The figures:
 *   - dynamics: one sequence as in seed 001 Fig. 1D / seed 000 Fig. 2D: the input raster, spike
 *     rasters of a random subset of each population, the thresholds of a few adaptive neurons and
 *     the readout (softmax over the outputs for classification) with the decision windows shaded
 *     and the target of each window written above it;
 *   - curves: loss, accuracy (training and validation) and mean firing rate over the iterations of
 *     one or more runs, read from RUN_DIR/log.csv;
 *   - connectivity: the connection probabilities between input X, the populations and the readout
 *     Y (the fraction of non-zero weights, as in seed 001 Fig. 1C), and the recurrent weight
 *     matrix as an image with a diverging colour map and a colour bar;
 *   - learning to learn (seed 001 Fig. 2E/F, H/I): the error per example within an episode of
 *     the LSNN and its two baselines, and the LSNN's internal model after K examples.
 *
 * The format follows the extension of the output path (.png, .svg or .pdf, any case). width and
 * height are pixels for PNG and SVG and points (1/72 inch) for PDF; every figure is laid out in
 * those units, so the three formats show the same picture. Files are written atomically (a
 * temporary file in the same directory, fsync, rename). Errors are returned as lsnn_status with a
 * message that names the file (lsnn_last_error()).
 *
 * Colours are chosen to stay distinguishable in grey print: dark blue, orange and grey first, and
 * every line series also differs by its dash pattern (and, for validation curves, by markers).
 * Text uses cairo's "toy" text API with the "sans-serif" family. */
#ifndef LSNN_PLOT_H
#define LSNN_PLOT_H

#include <stdint.h>

#include "lsnn/core.h"
#include "lsnn/network.h"
#include "lsnn/sim.h"
#include "lsnn/status.h"

#define LSNN_PLOT_MAX_POP LSNN_MAX_POP
#define LSNN_PLOT_MAX_RUNS 8
#define LSNN_PLOT_MAX_INPUT_GROUPS 32

/* Defaults of the dynamics figure when the corresponding field is 0. */
#define LSNN_PLOT_DEFAULT_NEURONS 20   /* neurons shown per population */
#define LSNN_PLOT_DEFAULT_THRESHOLDS 4 /* adaptive neurons whose threshold is drawn */

/* A population as the dynamics figure sees it. Its raster is labelled "E" (sign exc), "I" (sign
 * inh) or "R" (unsigned) for LIF populations and "A" for adaptive ones (with "(E)"/"(I)" added
 * when an adaptive population is signed). */
typedef struct lsnn_plot_population {
    const char *name;          /* the network's name, e.g. "R", "A" (shown under the label) */
    int off, count;            /* neuron range [off, off + count) */
    lsnn_sign sign;
    int adaptive;              /* 1: ALIF neurons (beta > 0); 0: LIF */
    const char *kind;          /* the neuron model as written beside the raster; NULL: "ALIF" or
                                * "LIF" from `adaptive` */
} lsnn_plot_population;

/* Everything the dynamics figure shows; the arrays are one sequence, time-major. */
typedef struct lsnn_plot_dynamics_data {
    int T, n_in, n, n_out;
    double dt;                 /* ms per step (time axis in ms); 0 is taken as 1 */
    const lsnn_real *x;        /* (T, n_in) inputs: spikes (non-zero = spike) or analog values
                                * (any value other than 0 and 1: drawn as a grey-level image) */
    const lsnn_real *z;        /* (T, n) spikes, or NULL for a non-spiking model: then only the
                                * input and readout panels are drawn */
    const lsnn_real *thr;      /* (T, n) thresholds B = b0 + beta b, or NULL (no threshold panel) */
    int n_pop;
    const lsnn_plot_population *pop; /* (n_pop), ignored when z is NULL */
    const lsnn_real *y;        /* (T, n_out) readout */
    lsnn_loss_kind loss;       /* LSNN_LOSS_CE_WINDOW: softmax of y is drawn; MSE, POLICY: y;
                                * RATE_MSE, RATE_HINGE: y's running mean over 20 ms (rates) */
    const lsnn_real *y_target; /* (T, n_out) targets drawn dashed for MSE and the rate losses,
                                * or NULL */
    int n_windows;
    const lsnn_window *windows; /* (n_windows) decision windows, shaded, with their label */
    const char *readout_label; /* y label of the readout panel, or NULL: chosen by `loss` */
    /* Optional names of groups of input channels (e.g. store-recall's "store", "recall",
     * "value 0", ...): group g is channels [group_off[g], group_off[g + 1]) (group_off has
     * n_input_groups + 1 entries). Written beside the input raster. */
    int n_input_groups;
    const char *const *input_group_names;
    const int *input_group_off;
    int neurons;               /* K: neurons shown per population (0: LSNN_PLOT_DEFAULT_NEURONS) */
    int thresholds;            /* adaptive neurons in the threshold panel (0: the default) */
    uint64_t seed;             /* chooses the neurons shown (lsnn_plot_select_neurons) */
    const char *title;         /* figure title, may be NULL */
} lsnn_plot_dynamics_data;

/* The neurons of population p shown in the dynamics figure: min(K, count) distinct indices drawn
 * uniformly without replacement (selection sampling, Knuth's algorithm S, over the population's
 * range with the generator lsnn_rng_derive(seed, 0x9107, p, 0)), in ascending order. Row r of the
 * population's raster (r = 0 at the top) shows out[r]. Returns the number written. */
int lsnn_plot_select_neurons(const lsnn_plot_dynamics_data *d, int p, int *out /* (K) */);

/* Where the mark of step t, row `row` of a raster of the dynamics figure lies, in pixels from
 * the top left corner of a width x height figure: panel 0 is the input raster (row = input
 * channel, channel 0 at the top) and panel 1 + p the raster of population p (row as in
 * lsnn_plot_select_neurons). A spike is a filled rectangle aligned to whole pixels, at least one
 * pixel wide and high, covering [x0, x1) x [y0, y1); *cx, *cy receive its centre. The pixel
 * (floor(cx), floor(cy)) is inside the mark. Any output pointer may be NULL. */
lsnn_status lsnn_plot_raster_geometry(int width, int height, const lsnn_plot_dynamics_data *d,
                                      int panel, int t, int row, double *cx, double *cy,
                                      double *x0, double *x1, double *y0, double *y1);

/* Draws the dynamics figure into path. */
lsnn_status lsnn_plot_dynamics(const char *path, int width, int height,
                               const lsnn_plot_dynamics_data *d);

/* Learning curves of n_runs runs (1..LSNN_PLOT_MAX_RUNS): runs[i] is a run directory holding
 * log.csv (columns iteration, loss, reg, train_<metric>, val_loss, val_<metric>, rate_hz, ...;
 * validation columns are "nan" except at validation iterations). Panels: loss (training line,
 * validation markers), the metric (training and validation) and the mean firing rate; one colour
 * and dash pattern per run, named in the legend by labels[i] (or the directory's last component
 * when labels is NULL). */
lsnn_status lsnn_plot_curves(const char *path, int width, int height, int n_runs,
                             const char *const *runs, const char *const *labels);
/* The same with a reference level of the metric (e.g. a random agent's goals per episode; NaN:
 * none) drawn across the metric panel as a dashed line, labelled ref_label (may be NULL). */
lsnn_status lsnn_plot_curves_ref(const char *path, int width, int height, int n_runs,
                                 const char *const *runs, const char *const *labels,
                                 double metric_ref, const char *ref_label);

/* Connectivity of a network: on the left the connection probability (fraction of non-zero
 * weights among the possible synapses; the W_rec diagonal is not a possible synapse) between the
 * input X, each population and the readout Y, drawn as circles and arrows whose width and label
 * give the probability; on the right the recurrent weights W_rec as an image (row = source
 * neuron, column = target neuron, population boundaries marked) with a diverging colour map
 * symmetric around 0 and a colour bar. */
lsnn_status lsnn_plot_connectivity(const char *path, int width, int height, const lsnn_net *net);

/* ---------------------------------------------------------------------------------------------
 * Learning-to-learn analysis (lsnn/l2l_analysis.h). Width or height <= 0 picks a default size. */
struct lsnn_l2l_analysis; /* lsnn/l2l_analysis.h */

/* Seed 001 Fig. 2E/F: the squared error of the prediction of example k (1..max_k; max_k <= 0 or
 * above a->steps: all) for the LSNN with frozen weights, the ridge regression fitted online and
 * the FF network trained by backprop: the mean over episodes as a line and mean +- one standard
 * deviation as a light band, on a log axis (non-finite errors are left out of the means; a NULL
 * error array leaves its series out). Default size 900 x 500. */
lsnn_status lsnn_plot_l2l_curves(const char *path, const struct lsnn_l2l_analysis *a, int max_k,
                                 int width, int height);

/* Seed 001 Fig. 2H/I: the internal model of episode `episode`, one panel per a->probe_k[j]
 * ("after K examples"): the target C on the probe grid, the LSNN's prediction after K examples
 * and the first K examples of the episode as dots (for dx == 2, probed on the line x1 = x2, only
 * the examples with |x1 - x2| below a fifth of the grid's range, at (x1 + x2) / 2). One y range
 * for all panels. LSNN_ERR_ARG for an episode out of range, no probes or fewer than 2 probe
 * points. Default size 300 per panel (+ 40) x 340. */
lsnn_status lsnn_plot_l2l_internal(const char *path, const struct lsnn_l2l_analysis *a,
                                   int episode, int width, int height);

/* ---------------------------------------------------------------------------------------------
 * Meta-RL analysis (lsnn/meta_rl.h). Width or height <= 0 picks a default size. */
struct lsnn_meta_rl_analysis; /* lsnn/meta_rl.h */

/* Seed 001 Fig. 3C/D and Fig. S1A: the paths of the first n_episodes episodes (n_episodes <= 0
 * or above a->episodes: up to 4), one column per episode, the trained agent in the top row and
 * the random walk in the bottom one. Each square panel shows the arena (radius 1), the dashed
 * circle of goal centres (radius 0.85), the goal disc (radius 0.3 around a->goal[e]) and the
 * path coloured light to dark blue over time, its start as a filled dot; a step longer than 0.1
 * (the relocation after a goal) lifts the pen and marks the new start with an open circle, and
 * non-finite positions lift it too. Titles give the goals reached. A NULL goal, goals or xy array
 * leaves that element out; LSNN_ERR_ARG for no episodes, T < 2 or neither agent nor walk
 * positions. Default size 260 per column (+ 60) x 600. */
lsnn_status lsnn_plot_meta_rl_paths(const char *path, const struct lsnn_meta_rl_analysis *a,
                                    int n_episodes, int width, int height);

/* ---------------------------------------------------------------------------------------------
 * The adaptive spiking neuron (lsnn/asn.h). */
struct lsnn_aan_params; /* lsnn/asn.h */

/* Seed 002 Fig. 1: the measured normalised output y[i] = h P(s[i]) of the ASN (dots; a
 * non-finite y is skipped) and the AAN curves with the published and the fitted constants
 * (either may be NULL) over the range of s. LSNN_ERR_ARG for fewer than 2 points, a non-finite
 * input or all inputs equal. Default size 700 x 480. */
lsnn_status lsnn_plot_asn_transfer(const char *path, const double *s, const double *y, int n,
                                   const struct lsnn_aan_params *published,
                                   const struct lsnn_aan_params *fit, int width, int height);

/* Seed 002 Figs. 3 and 6: carousels of n_cells cells, the spiking ones (the output ASNs'
 * currents at every step of dt ms: spiking, steps x n_cells, step-major; lines) against the
 * analog ones (analog, windows x n_cells: the value after step w, drawn at the end of window w as
 * a step function with dots). One cell: spiking and analog in two colours; more: one colour per
 * cell, analog dashed. Default size 760 x 440. */
lsnn_status lsnn_plot_cec(const char *path, const double *spiking, int steps, double dt,
                          int n_cells, const double *analog, int windows, double window_ms,
                          const char *title, int width, int height);

/* Seed 002 Figs. 4 and 5: a trained network's outputs before (left: analog, steps x n_out, one
 * value per step, numbered from 1) and after conversion (right: spiking, windows x window
 * values of dt ms, n_out per row) over the last `last` steps and windows, for the outputs
 * units[0 .. n_units) named labels[u] (one colour and dash each). One y range for both panels.
 * Default size 1000 x 440. */
lsnn_status lsnn_plot_alstm_outputs(const char *path, const double *analog, int steps,
                                    const double *spiking, int windows, int window, double dt,
                                    int n_out, const int *units, const char *const *labels,
                                    int n_units, int last, const char *title, int width,
                                    int height);

#endif

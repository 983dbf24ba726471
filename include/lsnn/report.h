/* lsnn/report.h - figures of a saved model or run directory, and the HTML report of a run.
 *
 * These functions sit above the figures of lsnn/plot.h: they load a checkpoint into a trainer
 * (lsnn/train.h), run one validation sequence through it and hand the traces to the figures.
 * The non-spiking baselines (model "lstm" / "rnn") have no spikes or thresholds: their dynamics
 * figure shows the input and readout panels only; the connectivity figure refuses them.
 *
 * The report is RUN_DIR/report.html with its three figures beside it as PNG files, referred to by
 * relative name; the page has no other external resource (inline CSS, no scripts), so the run
 * directory can be copied or archived as it is. */
#ifndef LSNN_REPORT_H
#define LSNN_REPORT_H

#include <stdint.h>

#include "lsnn/status.h"

/* Figure sizes (pixels) of `lsnn plot` without --width/--height and of the report. */
#define LSNN_FIG_DYNAMICS_W 1200
#define LSNN_FIG_DYNAMICS_H 1000
#define LSNN_FIG_CURVES_W 1200
#define LSNN_FIG_CURVES_H 420
#define LSNN_FIG_CONNECTIVITY_W 1200
#define LSNN_FIG_CONNECTIVITY_H 560

/* What the dynamics figure of a model shows and how large it is. */
typedef struct lsnn_model_dynamics_opts {
    long sample;               /* which validation sequence */
    long neurons;              /* neurons shown per population (0: the figure's default) */
    long width, height;
    unsigned long long seed;   /* choice of the neurons shown */
    const char *const *sets;   /* n_sets config overrides "KEY=VALUE" applied to the stored config */
    int n_sets;
} lsnn_model_dynamics_opts;

/* The dynamics figure (lsnn_plot_dynamics) of validation sequence o->sample of the model in
 * `model`: the input with the task's named channel groups (lsnn_task.input_groups), the spikes
 * and thresholds of the LSNN, the readout with its decision windows, and for the rate losses the
 * target rates of the first window. Titled "<task>: validation sequence N, <model path's last two
 * components> (LSNN or the baseline, K iterations)". */
lsnn_status lsnn_plot_model_dynamics(const char *model, const char *out,
                                     const lsnn_model_dynamics_opts *o);

/* The connectivity figure (lsnn_plot_connectivity) of the LSNN in `model`. */
lsnn_status lsnn_plot_model_connectivity(const char *model, const char *out, int width,
                                         int height);

/* The files lsnn_report_build puts into a run directory: the page and its three figures. */
#define LSNN_REPORT_NFILES 4
extern const char *const lsnn_report_files[LSNN_REPORT_NFILES];

/* What lsnn_report_build did besides writing the page. */
typedef struct lsnn_report_result {
    /* Figures that could not be drawn (dynamics, curves, connectivity): the reason, also shown
     * on the page, or "" when the figure was drawn. */
    char warning[3][1024];
    char path[4200];           /* RUN_DIR/report.html */
} lsnn_report_result;

/* Writes RUN_DIR/report.html and the three figures it shows (RUN_DIR/dynamics.png, curves.png,
 * connectivity.png): the config stored in RUN_DIR/model.safetensors, the final metrics from the
 * last rows of RUN_DIR/log.csv (and RUN_DIR/result.json), the figures, the command line
 * (RUN_DIR/command.txt), the commit of the sources (git, found from the running executable), the
 * machine and the config as JSON. A figure that fails is a warning in *res, not an error. */
lsnn_status lsnn_report_build(const char *run_dir, lsnn_report_result *res);

/* Writes DIR/command.txt (atomically): the command line "lsnn SUBCOMMAND ARGS...", each argument
 * quoted for a POSIX shell where needed, and a second line "# in <working directory>"; with
 * append != 0 after the commands the file already holds (a resumed run). */
lsnn_status lsnn_run_write_command(const char *dir, const char *subcommand, int argc,
                                   char **argv, int append);

#endif

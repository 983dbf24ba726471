/* lsnn/runlog.h - log.csv, the per-iteration log of a training run: its columns, a writer and a
 * reader. The one definition of the file's layout; lsnn_run (lsnn/run.h) writes it, the plots and
 * the report read it.
 *
 * The file is CSV: a header line of column names, then one line per iteration, every line ending
 * in '\n'. The columns, in order, are those of enum lsnn_runlog_column; two of them carry the
 * task's metric in their name ("train_accuracy", "val_accuracy"). A cell that has no value
 * (the validation columns between validations) is written "nan"; readers also accept an empty
 * cell, and return NaN for both. */
#ifndef LSNN_RUNLOG_H
#define LSNN_RUNLOG_H

#include <stdio.h>

#include "lsnn/status.h"

typedef enum lsnn_runlog_column {
    LSNN_LOG_ITERATION = 0, /* "iteration": iterations completed, this one included (1, 2, ...) */
    LSNN_LOG_LOSS,          /* "loss": task loss of the iteration's training batch */
    LSNN_LOG_REG,           /* "reg": weighted rate regularisation */
    LSNN_LOG_TRAIN_METRIC,  /* "train_<metric>": metric on the training batch */
    LSNN_LOG_VAL_LOSS,      /* "val_loss": validation loss, at eval_every iterations (else nan) */
    LSNN_LOG_VAL_METRIC,    /* "val_<metric>": validation metric, likewise */
    LSNN_LOG_RATE_HZ,       /* "rate_hz": mean firing rate */
    LSNN_LOG_GRAD_NORM,     /* "grad_norm": global gradient norm before clipping */
    LSNN_LOG_LR,            /* "lr": learning rate of the iteration */
    LSNN_LOG_SECONDS,       /* "seconds": wall time since the invocation started (timing) */
    LSNN_LOG_NCOLS
} lsnn_runlog_column;

/* The name of column c for a task whose metric is `metric` ("accuracy"), written into buf.
 * Returns buf ("" for an unknown column). */
const char *lsnn_runlog_column_name(lsnn_runlog_column c, const char *metric, char *buf,
                                    size_t cap);

/* ---- writer ---------------------------------------------------------------------------- */

typedef struct lsnn_runlog_writer {
    FILE *f;
    char *path;
    double seconds_kept; /* resumed: the `seconds` of the last row kept (0 if none or NaN) */
} lsnn_runlog_writer;

/* Opens path for a run of a task with metric `metric`.
 * keep_until < 0: a fresh log (the file is replaced; header written at once).
 * keep_until >= 0: a resumed run: the rows of iterations 1..keep_until of the existing log are
 * kept, rewritten atomically with the header (rows after keep_until, and a last line without its
 * '\n', which an interrupted write leaves, are dropped; a missing or empty log gets a header);
 * *kept (may be NULL) receives the number of rows kept, w->seconds_kept the last one's seconds
 * (so that a resumed run's timing column goes on from there). Every write is checked: errors name
 * the file (e.g. "runs/x/log.csv: cannot write: No space left on device"). */
lsnn_status lsnn_runlog_open(lsnn_runlog_writer *w, const char *path, const char *metric,
                             long keep_until, long *kept);

/* Appends one row (LSNN_LOG_NCOLS values; NaN is written "nan") and flushes it to the kernel. */
lsnn_status lsnn_runlog_append(lsnn_runlog_writer *w, const double *row);

/* Flushes the rows to the disk (fsync): a checkpoint written afterwards never runs ahead of the
 * log, even across a power loss. */
lsnn_status lsnn_runlog_sync(lsnn_runlog_writer *w);

/* Closes the file (checking the close); safe on a writer that is not open. */
lsnn_status lsnn_runlog_close(lsnn_runlog_writer *w);

/* Formats one row as the writer writes it (with its '\n'); returns the length, or -1 if cap is
 * too small. */
int lsnn_runlog_format_row(const double *row, char *buf, size_t cap);

/* ---- reader ---------------------------------------------------------------------------- */

typedef struct lsnn_runlog {
    int n_cols;          /* columns of the header */
    char **names;        /* (n_cols) column names */
    long n_rows;
    double *data;        /* (n_rows, n_cols) row-major; NaN for "nan" and empty cells */
    char metric[64];     /* <metric> of the first "train_<metric>" column, or "" */
    int partial_tail;    /* 1: the file ended in a line without '\n', which was left out */
} lsnn_runlog;

/* Reads a whole log.csv, lines of any length. Errors (naming path and line): a missing or empty
 * file, a row with another number of cells than the header, a cell that is not a number. */
lsnn_status lsnn_runlog_read(const char *path, lsnn_runlog *log);

/* Index of the column called name, or -1. */
int lsnn_runlog_col(const lsnn_runlog *log, const char *name);

/* The value of row r, column c (NaN when c < 0, so that an absent column reads as empty). */
double lsnn_runlog_at(const lsnn_runlog *log, long r, int c);

void lsnn_runlog_free(lsnn_runlog *log);

#endif

/* lsnn/run.h - a training run in a directory: what `lsnn train` does, as a library.
 *
 * A run trains a trainer (lsnn/train.h) up to cfg.iterations and keeps its directory DIR:
 *   DIR/model.safetensors  checkpoint, written at every validation (eval_every) and at the end
 *   DIR/log.csv            one row per iteration (lsnn/runlog.h)
 *   DIR/result.json        the final validation as one JSON object (run->result_json)
 * Each iteration: lsnn_trainer_step; at eval_every iterations (before the last) a validation;
 * the log row (flushed, and synced to the disk before a checkpoint); then the checkpoint. The row
 * of an iteration is on disk before its checkpoint, so a run killed at any point and resumed
 * (opts.resume) has every row 1..N exactly once: resuming keeps the rows up to the checkpoint's
 * iteration and recomputes the others (lsnn_trainer_step is deterministic).
 *
 * A fresh run first removes an earlier run's model.safetensors and result.json (and
 * opts.clear_files), so the directory never pairs this run's log with another run's model.
 * Nothing in the directory is touched before the trainer is built and, when resuming, its
 * checkpoint has loaded. On open, temporary files that killed processes left in DIR
 * ("NAME.tmp.PID" of a PID that no longer runs, as the atomic writers of lsnn name them) are
 * removed.
 *
 * Before the trainer is built, the memory the config needs is estimated
 * (lsnn_config_memory_estimate) and a config above opts.max_memory is refused at once.
 *
 * Staged use: lsnn_run_open, lsnn_run_step until lsnn_run_done, lsnn_run_finish, lsnn_run_close
 * (lsnn_run_train does all of it). The library prints nothing: progress reaches the caller
 * through the callbacks of lsnn_run_opts.
 *
 * Test hook (for tests only): with the environment variable LSNN_TEST_KILL_AFTER_CHECKPOINT=K,
 * the process raises SIGKILL right after it wrote the checkpoint of iteration K, as a crash
 * would. */
#ifndef LSNN_RUN_H
#define LSNN_RUN_H

#include <stddef.h>

#include "lsnn/config.h"
#include "lsnn/runlog.h"
#include "lsnn/train.h"

typedef struct lsnn_run lsnn_run;
struct lsnn_dist;

/* What the run reports after each iteration. */
typedef struct lsnn_run_iter {
    long iteration;         /* iterations completed, this one included */
    lsnn_iter_stats stats;  /* of this iteration's training batch */
    double lr;              /* learning rate of this iteration */
    int validated;          /* 1: validated and checkpointed after this iteration (val) */
    lsnn_eval_result val;
    double seconds;         /* wall time since the run started (lsnn_run_open) */
} lsnn_run_iter;

typedef struct lsnn_run_opts {
    int resume;             /* continue from DIR/model.safetensors (optimizer state included) */
    const char *origin;     /* names the config in error messages (a file name); NULL: "config" */
    size_t max_memory;      /* bytes; 0: lsnn_memory_default_limit(); SIZE_MAX: no limit */
    const char *const *clear_files; /* NULL-terminated: more files of an earlier run that a fresh
                                     * run removes (the CLI's report); may be NULL */
    /* Callbacks (each may be NULL), all given ctx. on_start: once the trainer is ready, the
     * directory exists and the log is open, before the first iteration (print what the run is,
     * write files of your own). on_iteration: after each iteration's row and checkpoint.
     * A nonzero return stops the run: the function that called it returns LSNN_ERR_ARG with
     * the message "stopped by the caller" (the callback reports its own error). */
    void *ctx;
    int (*on_start)(void *ctx, const lsnn_run *run);
    int (*on_iteration)(void *ctx, const lsnn_run *run, const lsnn_run_iter *it);
    /* Validation progress: done = 0 when a validation of `total` sequences starts, then after
     * every batch (lsnn_trainer.eval_progress). */
    void (*on_eval_progress)(void *ctx, long done, long total);
    /* Training spread over processes (lsnn_trainer_set_dist; NULL: one process). Every process
     * opens the same run; only rank 0 touches DIR (log, checkpoints, result.json, clearing an
     * earlier run); the others read the checkpoint when resuming. */
    const struct lsnn_dist *dist;
} lsnn_run_opts;

struct lsnn_run {
    lsnn_trainer *tr;       /* the trainer (tr->cfg is the run's config) */
    char *dir, *model_path, *log_path, *result_path;
    long start_iteration;   /* where this invocation started (the checkpoint's iteration) */
    int replaced_earlier;   /* fresh run: an earlier run's model was removed from DIR */
    long log_rows_kept;     /* resume: rows of the earlier log kept (start_iteration if whole) */
    int stale_removed;      /* temporary files of dead processes removed from DIR */
    size_t memory_estimate, memory_limit; /* bytes (0 when the trainer was given) */
    double t_start;         /* monotonic seconds at the start */
    double seconds_before;  /* resume: the `seconds` of the log's last kept row (earlier pieces) */
    lsnn_eval_result final; /* after lsnn_run_finish: the validation after the last iteration */
    double seconds;         /* after lsnn_run_finish: wall time of the run, earlier pieces of a
                             * resumed run included (as log.csv's `seconds`) */
    char *result_json;      /* after lsnn_run_finish: the object written to result.json */
    lsnn_run_opts opts;     /* as given to lsnn_run_open */
    /* private */
    lsnn_trainer own;
    int owns_tr;
    lsnn_runlog_writer log;
    long kill_after;
};

/* Opens a run of cfg (the trainer is built here, after the memory check) or of a trainer built
 * by the caller (tr non-NULL, cfg NULL; it stays the caller's, to free after lsnn_run_close) in
 * directory dir (created as needed). On error nothing is left to close. */
lsnn_status lsnn_run_open(lsnn_run *run, const lsnn_config *cfg, lsnn_trainer *tr,
                          const char *dir, const lsnn_run_opts *opts);

/* 1 when the trainer has reached cfg.iterations. */
int lsnn_run_done(const lsnn_run *run);

/* One iteration: step, validation and checkpoint at eval_every, log row, on_iteration. */
lsnn_status lsnn_run_step(lsnn_run *run);

/* After the last iteration: closes the log, writes the final checkpoint, validates (run->final)
 * and writes result.json (run->result_json):
 * {"task","metric","value","iterations","seconds","val_loss","rate_hz","out"}, with
 * "rate_hz_hidden" before "out" when a rate readout has neurons before its groups. */
lsnn_status lsnn_run_finish(lsnn_run *run);

/* Frees the run (and its trainer, if it built it). */
void lsnn_run_close(lsnn_run *run);

/* open, step to the end, finish, close. final (may be NULL) receives run->final. */
lsnn_status lsnn_run_train(const lsnn_config *cfg, const char *dir, const lsnn_run_opts *opts,
                           lsnn_eval_result *final);

/* ---- memory ---------------------------------------------------------------------------- */

/* Estimated peak memory, in bytes, of training cfg: the network (parameters, masks, delays,
 * sparse index, the initialisation's temporary matrices), the optimizer, gradient and buffers of
 * the trainer, the batch, and the workspace of the learning rule (BPTT: per chunk of sequences
 * its state, checkpoints, one segment of records, gradient, and the records of the forward pass
 * when they fit in bptt_records_mb; e-prop: per chunk four reals per synapse and sequence, the
 * eligibility coefficients and the gradient). It follows the allocations of lsnn_trainer_init to
 * within a few percent; an embedded module's own neurons are not counted. Errors: the task's
 * shape cannot be computed (its message). */
lsnn_status lsnn_config_memory_estimate(const lsnn_config *cfg, size_t *bytes);

/* The default limit: 80% of the physical memory (sysconf), or SIZE_MAX when it is unknown. */
size_t lsnn_memory_default_limit(void);

/* LSNN_ERR_RANGE, with a message giving the estimate and the limit, when cfg needs more than
 * limit bytes (0: the default limit); estimate (may be NULL) receives the estimate. */
lsnn_status lsnn_config_check_memory(const lsnn_config *cfg, size_t limit, size_t *estimate);

#endif

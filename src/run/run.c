/* A training run in a directory (see lsnn/run.h): cadence of validations and checkpoints,
 * log.csv, resume, result.json. */
#include "lsnn/run.h"
#include "lsnn/dist.h"
#include "io/fs.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static double lsnn__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* mkdir -p, refusing a path that exists and is not a directory. */
static lsnn_status lsnn__ensure_dir(const char *dir)
{
    if (!dir[0])
        return lsnn_error(LSNN_ERR_ARG, "run: the directory name is empty");
    struct stat sb;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return lsnn_error(LSNN_ERR_IO, "%s: exists and is not a directory", dir);
    lsnn_status st = lsnn__make_parents(dir);
    return st ? st : lsnn__make_dir(dir);
}

/* The pid of a name "NAME.tmp.PID" (NAME not empty), or 0. */
static long lsnn__tmp_pid(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t || t == name)
        return 0;
    while (strstr(t + 1, ".tmp.")) /* the last ".tmp." */
        t = strstr(t + 1, ".tmp.");
    const char *d = t + 5;
    if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 9)
        return 0;
    return strtol(d, NULL, 10);
}

/* Removes DIR/NAME.tmp.PID files of processes that no longer run; returns how many. */
static int lsnn__remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const long pid = lsnn__tmp_pid(e->d_name);
        if (pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) /* alive (or not ours to know) */
            continue;
        char *p = lsnn__path_join_alloc(dir, e->d_name);
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && unlink(p) == 0)
            removed++;
        free(p);
    }
    closedir(d);
    return removed;
}

/* A fresh run: the earlier run's model, result and the caller's files go first. */
static lsnn_status lsnn__clear_earlier(lsnn_run *run)
{
    const char *const own[] = {"model.safetensors", "result.json", NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *names = pass ? run->opts.clear_files : own;
        for (int k = 0; names && names[k]; k++) {
            char *p = lsnn__path_join_alloc(run->dir, names[k]);
            if (!p)
                return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", run->dir);
            int ok = remove(p) == 0, err = errno;
            if (!ok && err != ENOENT && err != ENOTDIR) {
                lsnn_status st = lsnn_error(LSNN_ERR_IO,
                                            "%s: cannot remove the earlier run's file: %s", p,
                                            strerror(err));
                free(p);
                return st;
            }
            run->replaced_earlier |= ok && pass == 0 && k == 0;
            free(p);
        }
    }
    return LSNN_OK;
}

static lsnn_status lsnn__stopped(void)
{
    return lsnn_error(LSNN_ERR_ARG, "stopped by the caller");
}

/* Saves the checkpoint; the test hook may kill the process right after. */
/* 1 for the process that writes the run's files (rank 0, or the only one). */
static int lsnn__writer(const lsnn_run *run)
{
    return !run->opts.dist || run->opts.dist->rank == 0;
}

static lsnn_status lsnn__checkpoint(lsnn_run *run)
{
    if (!lsnn__writer(run))
        return LSNN_OK;
    lsnn_status st = lsnn_trainer_save(run->tr, run->model_path);
    if (!st && run->kill_after > 0 && run->tr->iteration == run->kill_after)
        raise(SIGKILL);
    return st;
}

static lsnn_status lsnn__validate(lsnn_run *run, lsnn_eval_result *ev)
{
    lsnn_trainer *tr = run->tr;
    const int count = lsnn_trainer_eval_count(tr, LSNN_STREAM_VALID);
    tr->eval_progress = run->opts.on_eval_progress;
    tr->eval_progress_ctx = run->opts.ctx;
    if (tr->eval_progress)
        tr->eval_progress(tr->eval_progress_ctx, 0, count);
    lsnn_status st = lsnn_trainer_evaluate(tr, LSNN_STREAM_VALID, count, ev, NULL);
    tr->eval_progress = NULL;
    tr->eval_progress_ctx = NULL;
    return st;
}

/* Builds or takes the trainer; when resuming, loads the checkpoint. Touches no file. */
static lsnn_status lsnn__prepare_trainer(lsnn_run *run, const lsnn_config *cfg,
                                         lsnn_trainer *tr)
{
    const char *origin = run->opts.origin ? run->opts.origin : "config";
    lsnn_status st;
    if (tr) {
        run->tr = tr;
    } else {
        if ((st = lsnn_config_check_memory(cfg, run->opts.max_memory, &run->memory_estimate))) {
            lsnn_error_prefix(origin);
            return st;
        }
        run->memory_limit = run->opts.max_memory ? run->opts.max_memory
                                                 : lsnn_memory_default_limit();
        if ((st = lsnn_trainer_init(&run->own, cfg))) {
            lsnn_error_prefix(origin);
            return st;
        }
        run->owns_tr = 1;
        run->tr = &run->own;
    }
    const int fo = run->tr->model->spiking ? lsnn_net_forward_only(&run->tr->net) : -1;
    if (fo >= 0 && run->tr->cfg.iterations > 0)
        return lsnn_error(LSNN_ERR_UNSUPPORTED,
                          "%s: population '%s' uses the neuron model '%s', which is for "
                          "simulation only (it has no gradient): it cannot be trained "
                          "(iterations = 0 builds and evaluates the network)",
                          origin, run->tr->net.pop[fo].name, run->tr->net.pop[fo].model->name);
    if ((st = lsnn_trainer_set_dist(run->tr, run->opts.dist))) {
        lsnn_error_prefix(origin);
        return st;
    }
    if (!run->opts.resume)
        return LSNN_OK;
    if ((st = lsnn_trainer_load(run->tr, run->model_path, 1)))
        return st;
    if (run->tr->iteration > run->tr->cfg.iterations)
        return lsnn_error(LSNN_ERR_RANGE,
                          "%s: the checkpoint is at iteration %ld, past iterations = %d: nothing "
                          "to resume (raise iterations to train further)",
                          run->model_path, run->tr->iteration, run->tr->cfg.iterations);
    return LSNN_OK;
}

lsnn_status lsnn_run_open(lsnn_run *run, const lsnn_config *cfg, lsnn_trainer *tr,
                          const char *dir, const lsnn_run_opts *opts)
{
    memset(run, 0, sizeof *run);
    if (opts)
        run->opts = *opts;
    if (!dir || !(cfg || tr) || (cfg && tr))
        return lsnn_error(LSNN_ERR_ARG, "lsnn_run_open: needs a directory and either a config "
                                        "or a trainer");
    run->dir = strdup(dir);
    run->model_path = lsnn__path_join_alloc(dir, "model.safetensors");
    run->log_path = lsnn__path_join_alloc(dir, "log.csv");
    run->result_path = lsnn__path_join_alloc(dir, "result.json");
    lsnn_status st = LSNN_OK;
    if (!run->dir || !run->model_path || !run->log_path || !run->result_path)
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
    const char *kill = getenv("LSNN_TEST_KILL_AFTER_CHECKPOINT");
    run->kill_after = kill ? strtol(kill, NULL, 10) : 0;
    if (!st)
        st = lsnn__prepare_trainer(run, cfg, tr);
    run->start_iteration = run->tr ? run->tr->iteration : 0;
    const int writer = lsnn__writer(run);
    if (!st && !run->opts.resume && writer)
        st = lsnn__clear_earlier(run);
    if (!st && writer)
        st = lsnn__ensure_dir(dir);
    if (!st && writer)
        run->stale_removed = lsnn__remove_stale_tmp(dir);
    if (!st && writer)
        st = lsnn_runlog_open(&run->log, run->log_path, run->tr->shape.metric,
                              run->opts.resume ? run->start_iteration : -1, &run->log_rows_kept);
    if (!st && run->opts.on_start && run->opts.on_start(run->opts.ctx, run))
        st = lsnn__stopped();
    if (st) {
        lsnn_run_close(run);
        return st;
    }
    run->t_start = lsnn__now();
    run->seconds_before = run->log.seconds_kept;
    return LSNN_OK;
}

int lsnn_run_done(const lsnn_run *run)
{
    return run->tr->iteration >= run->tr->cfg.iterations;
}

lsnn_status lsnn_run_step(lsnn_run *run)
{
    lsnn_trainer *tr = run->tr;
    const lsnn_config *cfg = &tr->cfg;
    lsnn_run_iter it;
    memset(&it, 0, sizeof it);
    it.lr = lsnn_lr_at(cfg->lr, &tr->optp, tr->iteration);
    lsnn_status st = lsnn_trainer_step(tr, &it.stats);
    if (st) {
        lsnn_error_prefix(run->opts.origin ? run->opts.origin : "config");
        return st;
    }
    it.iteration = tr->iteration;
    it.validated = cfg->eval_every > 0 && it.iteration % cfg->eval_every == 0 &&
                   it.iteration < cfg->iterations;
    it.val.loss = it.val.metric = NAN;
    if (it.validated && (st = lsnn__validate(run, &it.val)))
        return st;
    const double row[LSNN_LOG_NCOLS] = {
        [LSNN_LOG_ITERATION] = (double)it.iteration,
        [LSNN_LOG_LOSS] = it.stats.loss,
        [LSNN_LOG_REG] = it.stats.reg,
        [LSNN_LOG_TRAIN_METRIC] = it.stats.metric,
        [LSNN_LOG_VAL_LOSS] = it.val.loss,
        [LSNN_LOG_VAL_METRIC] = it.val.metric,
        [LSNN_LOG_RATE_HZ] = it.stats.rate_hz,
        [LSNN_LOG_GRAD_NORM] = it.stats.grad_norm,
        [LSNN_LOG_LR] = it.lr,
        [LSNN_LOG_SECONDS] = run->seconds_before + (lsnn__now() - run->t_start),
    };
    /* The row first: a checkpoint is never ahead of the log (lsnn/run.h). */
    if (lsnn__writer(run) && (st = lsnn_runlog_append(&run->log, row)))
        return st;
    if (it.validated && ((lsnn__writer(run) && (st = lsnn_runlog_sync(&run->log))) ||
                         (st = lsnn__checkpoint(run))))
        return st;
    it.seconds = lsnn__now() - run->t_start;
    if (run->opts.on_iteration && run->opts.on_iteration(run->opts.ctx, run, &it))
        return lsnn__stopped();
    return LSNN_OK;
}

/* result.json: the final validation as one JSON object, written atomically. */
static lsnn_status lsnn__write_result(lsnn_run *run, int write)
{
    const lsnn_trainer *tr = run->tr;
    cJSON *js = cJSON_CreateString(run->dir); /* the directory name, escaped by cJSON */
    char *out_json = js ? cJSON_PrintUnformatted(js) : NULL;
    cJSON_Delete(js);
    const size_t cap = strlen(tr->cfg.task) + strlen(tr->shape.metric) +
                       (out_json ? strlen(out_json) : 4) + 256;
    run->result_json = malloc(cap);
    if (!out_json || !run->result_json) {
        free(out_json);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", run->result_path);
    }
    char hidden[48] = ""; /* a rate readout's hidden neurons (seed 003 Table 4.3) */
    if (run->final.rate_hz_hidden >= 0)
        snprintf(hidden, sizeof hidden, ",\"rate_hz_hidden\":%.4g", run->final.rate_hz_hidden);
    snprintf(run->result_json, cap,
             "{\"task\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"iterations\":%ld,"
             "\"seconds\":%.1f,\"val_loss\":%.6g,\"rate_hz\":%.4g%s,\"out\":%s}",
             tr->cfg.task, tr->shape.metric, run->final.metric, tr->iteration, run->seconds,
             run->final.loss, run->final.rate_hz, hidden, out_json);
    free(out_json);
    if (!write)
        return LSNN_OK;
    const size_t tcap = strlen(run->result_path) + 32;
    char *tmp = malloc(tcap);
    if (!tmp)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", run->result_path);
    snprintf(tmp, tcap, "%s.tmp.%ld", run->result_path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int bad = !f || fprintf(f, "%s\n", run->result_json) < 0 || fflush(f) != 0 ||
              fsync(fileno(f)) != 0;
    int err = errno;
    if (f && fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad && rename(tmp, run->result_path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad)
        remove(tmp);
    free(tmp);
    if (bad)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", run->result_path, strerror(err));
    return LSNN_OK;
}

lsnn_status lsnn_run_finish(lsnn_run *run)
{
    lsnn_status st = lsnn_runlog_close(&run->log);
    if (!st)
        st = lsnn__checkpoint(run);
    if (!st)
        st = lsnn__validate(run, &run->final);
    if (st)
        return st;
    run->seconds = run->seconds_before + (lsnn__now() - run->t_start);
    return lsnn__write_result(run, lsnn__writer(run));
}

void lsnn_run_close(lsnn_run *run)
{
    lsnn_runlog_close(&run->log);
    if (run->owns_tr)
        lsnn_trainer_free(&run->own);
    free(run->dir);
    free(run->model_path);
    free(run->log_path);
    free(run->result_path);
    free(run->result_json);
    memset(run, 0, sizeof *run);
}

lsnn_status lsnn_run_train(const lsnn_config *cfg, const char *dir, const lsnn_run_opts *opts,
                           lsnn_eval_result *final)
{
    lsnn_run run;
    lsnn_status st = lsnn_run_open(&run, cfg, NULL, dir, opts);
    if (st)
        return st;
    while (!st && !lsnn_run_done(&run))
        st = lsnn_run_step(&run);
    if (!st)
        st = lsnn_run_finish(&run);
    if (!st && final)
        *final = run.final;
    lsnn_run_close(&run);
    return st;
}

/* One run of seed 002's adaptive LSTM from a config (lsnn/alstm_run.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "io/fs.h"
#include "io/strbuf.h"
#include "lsnn/alstm_run.h"
#include "lsnn/alstm_spiking.h"
#include "lsnn/alstm_train.h"
#include "lsnn/safetensors.h"

typedef struct run_ctx {
    FILE *log;
    int log_failed;
    lsnn_alstm_run_progress cb;
    void *ctx;
} run_ctx;

static void on_progress(void *c, long it, double moving, int cells_on)
{
    run_ctx *r = c;
    if (r->log && fprintf(r->log, "%ld,%.9g,%d\n", it, moving, cells_on) < 0)
        r->log_failed = 1;
    if (r->cb)
        r->cb(r->ctx, it, moving, cells_on);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_tmaze(const lsnn_config *cfg)
{
    return strcmp(cfg->alstm.task, "tmaze") == 0;
}

lsnn_alstm_spec lsnn_alstm_run_spec(const lsnn_config *cfg)
{
    const lsnn_alstm_config *a = &cfg->alstm;
    const int tmaze = is_tmaze(cfg);
    lsnn_alstm_spec s;
    memset(&s, 0, sizeof s);
    s.n_in = tmaze ? 3 : a->p + 1;
    s.n_out = tmaze ? 4 : a->p + 1;
    s.n_hidden = a->n_hidden;
    s.n_cells = a->n_cells;
    s.out_from_inputs = a->outputs_read_inputs;
    s.input_aan = strcmp(a->input, "aan") == 0;
    s.cell_out_norm = strcmp(a->cell_output, "normalised") == 0;
    s.w_cec = a->w_cec;
    s.aan = (lsnn_aan_params){a->aan_a, a->aan_b, a->aan_c, a->aan_d};
    return s;
}

static int gate_mode_of(const char *g)
{
    return strcmp(g, "shat") == 0 ? LSNN_AS_GATE_SHAT
           : strcmp(g, "s") == 0  ? LSNN_AS_GATE_S
                                  : LSNN_AS_GATE_SHAT_DET;
}

/* The symbols of test sequence q: noise-free, the sequence of stream 1 starting with x (q = 0)
 * or y (q = 1); noisy, sequence q of stream 1. */
static void test_symbols(const lsnn_config *cfg, int q, int *sym)
{
    const lsnn_seqpred_params task = {cfg->alstm.p, cfg->alstm.noisy};
    const int P = cfg->alstm.p;
    if (task.noisy)
        lsnn_seqpred_trial(&task, cfg->seed, 1, (uint64_t)q, sym);
    else {
        lsnn_seqpred_trial(&task, cfg->seed, 1, 0, sym);
        sym[0] = sym[P] = q ? P : P - 1; /* x, then y */
    }
}

/* Sequence prediction: the analog and the spiking network on the test sequences (noise-free:
 * the two sequences; noisy: test_trials sequences of stream 1). */
static lsnn_status test_seq(const lsnn_config *cfg, const lsnn_alstm *net, lsnn_alstm_spiking *sp,
                            lsnn_alstm_run_result *res)
{
    const lsnn_alstm_config *a = &cfg->alstm;
    const int P = a->p, K = P + 1, n_seq = a->noisy ? a->test_trials : 2;
    const int nin = net->spec.n_in;
    int *sym = malloc(sizeof(int) * (size_t)(P + 1));
    double *x = calloc((size_t)K, sizeof(double)), *o = malloc(sizeof(double) * (size_t)K);
    double *before = malloc(sizeof(double) * (size_t)nin);
    lsnn_alstm_state st;
    int have = sym && x && o && before && lsnn_alstm_state_create(net, &st) == LSNN_OK;
    if (!have) {
        free(sym);
        free(x);
        free(o);
        free(before);
        return lsnn_error(LSNN_ERR_NOMEM, "alstm: out of memory (test)");
    }
    double worst_a = 0, worst_s = 0, spikes = 0;
    int pass = 1;
    for (int q = 0; q < n_seq; q++) {
        test_symbols(cfg, q, sym);
        lsnn_alstm_reset(net, &st);
        if (sp)
            lsnn_alstm_spiking_reset(sp, (uint64_t)q);
        double counted = 0;
        for (int t = 0; t < P; t++) {
            memset(x, 0, sizeof(double) * (size_t)K);
            x[sym[t]] = 1;
            lsnn_alstm_step(net, &st, x, 1);
            if (sp) {
                memcpy(before, sp->count, sizeof(double) * (size_t)nin);
                lsnn_alstm_spiking_window(sp, x, o, NULL, NULL);
                counted += sp->count[sym[t]] - before[sym[t]]; /* the active input ASN only */
            }
        }
        double ea = 0, es = 0;
        for (int k = 0; k < K; k++) {
            const double d = k == sym[P];
            ea = fmax(ea, fabs(st.o[k] - d));
            if (sp)
                es = fmax(es, fabs(o[k] - d));
        }
        worst_a = fmax(worst_a, ea);
        if (sp) {
            worst_s = fmax(worst_s, es);
            pass &= es < a->seq_threshold;
            for (int j = nin; j < sp->n_asn; j++)
                counted += sp->count[j];
            spikes += counted;
        }
    }
    res->analog_score = worst_a;
    if (sp) {
        res->spiking_tested = 1;
        res->spiking_pass = pass;
        res->spiking_score = worst_s;
        res->spikes = spikes / n_seq;
        res->counted_asns = 1 + net->spec.n_hidden + 4.0 * net->spec.n_cells;
        res->rate_hz = res->spikes / (res->counted_asns * P * sp->window * cfg->network.dt / 1000);
    }
    lsnn_alstm_state_free(&st);
    free(sym);
    free(x);
    free(o);
    free(before);
    return LSNN_OK;
}

static int argmax(const double *v, int n)
{
    int b = 0;
    for (int k = 1; k < n; k++)
        if (v[k] > v[b])
            b = k;
    return b;
}

/* T-maze: greedy episodes of stream 1, analog and spiking (one window per step). */
static lsnn_status test_tmaze(const lsnn_config *cfg, const lsnn_alstm *net,
                              lsnn_alstm_spiking *sp, lsnn_alstm_run_result *res)
{
    const lsnn_alstm_config *a = &cfg->alstm;
    lsnn_tmaze_params tp = LSNN_TMAZE_DEFAULTS;
    tp.length = a->length;
    tp.noisy = a->noisy;
    double ret, corr;
    lsnn_status st = lsnn_alstm_eval_tmaze(net, &tp, a->test_trials, a->episode_cap, cfg->seed,
                                           1, &ret, &corr);
    if (st)
        return st;
    res->analog_score = ret;
    if (!sp)
        return LSNN_OK;
    double sum = 0, spikes = 0, steps = 0;
    for (int ep = 0; ep < a->test_trials; ep++) {
        lsnn_tmaze e;
        lsnn_tmaze_reset(&e, &tp, cfg->seed, 1, (uint64_t)ep);
        lsnn_alstm_spiking_reset(sp, (uint64_t)ep);
        for (int t = 0; t < a->episode_cap && !e.done; t++) {
            double obs[3], o[4];
            lsnn_tmaze_observe(&e, obs);
            lsnn_alstm_spiking_window(sp, obs, o, NULL, NULL);
            sum += lsnn_tmaze_step(&e, argmax(o, 4));
            steps++;
        }
        spikes += (double)sp->spikes;
    }
    res->spiking_tested = 1;
    res->spiking_score = sum / a->test_trials;
    res->spiking_pass = res->spiking_score > a->tmaze_threshold;
    res->spikes = spikes / a->test_trials;
    res->counted_asns = 3 + net->spec.n_hidden + 4.0 * net->spec.n_cells;
    res->rate_hz = spikes / (res->counted_asns * steps * sp->window * cfg->network.dt / 1000);
    return LSNN_OK;
}

static lsnn_status write_outputs(const lsnn_config *cfg, const char *dir, const lsnn_alstm *net,
                                 const lsnn_alstm *ex, const lsnn_alstm_run_result *r)
{
    char *cfg_json = lsnn_config_to_json(cfg);
    lsnn__strbuf j = {0};
    lsnn__sb_printf(&j,
                    "{\"task\":\"alstm_%s%s\",\"converged\":%d,\"iterations\":%ld,"
                    "\"inserted_at\":%ld,\"moving\":%.6g,\"analog_score\":%.6g,"
                    "\"spiking_tested\":%d,\"spiking_pass\":%d",
                    cfg->alstm.task, cfg->alstm.noisy ? "_noisy" : "", r->converged,
                    r->iterations, r->inserted_at, r->moving, r->analog_score, r->spiking_tested,
                    r->spiking_pass);
    /* the spiking network's numbers only where it was tested (null otherwise, so that a
     * sweep's statistics leave the untested runs out) */
    const char *names[] = {"spiking_score", "spikes", "rate_hz", "counted_asns", "h", "h_out"};
    const double vals[] = {r->spiking_score, r->spikes, r->rate_hz,
                           r->counted_asns,  r->h,      r->h_out};
    for (int k = 0; k < 6; k++) {
        if (r->spiking_tested)
            lsnn__sb_printf(&j, ",\"%s\":%.6g", names[k], vals[k]);
        else
            lsnn__sb_printf(&j, ",\"%s\":null", names[k]);
    }
    /* Table 1's "Conv. It." is over the converged networks only */
    if (r->converged)
        lsnn__sb_printf(&j, ",\"converged_iterations\":%ld", r->iterations);
    else
        lsnn__sb_puts(&j, ",\"converged_iterations\":null");
    lsnn__sb_printf(&j, ",\"seconds\":%.3f,\"seed\":%llu}\n", r->seconds,
                    (unsigned long long)cfg->seed);
    char *model = lsnn__path_join_alloc(dir, "model.safetensors");
    char *result = lsnn__path_join_alloc(dir, "result.json");
    lsnn_status st = LSNN_OK;
    if (!cfg_json || j.oom || !j.p || !model || !result) {
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
        goto out;
    }
    lsnn_st_tensor t[2];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "params");
    t[0].dtype = LSNN_DTYPE_F64;
    t[0].ndim = 1;
    t[0].shape[0] = (int64_t)net->n_params;
    t[0].data = net->params;
    t[0].nbytes = sizeof(double) * net->n_params;
    int nt = 1;
    if (ex) {
        snprintf(t[1].name, sizeof t[1].name, "explore.params");
        t[1].dtype = LSNN_DTYPE_F64;
        t[1].ndim = 1;
        t[1].shape[0] = (int64_t)ex->n_params;
        t[1].data = ex->params;
        t[1].nbytes = sizeof(double) * ex->n_params;
        nt = 2;
    }
    const lsnn_st_meta meta[] = {{"format", "lsnn-alstm-1"}, {"config", cfg_json},
                                 {"result", j.p}};
    if ((st = lsnn_st_write(model, t, nt, meta, 3)))
        goto out;
    st = lsnn__write_text_atomic(result, j.p);
out:
    free(cfg_json);
    free(j.p);
    free(model);
    free(result);
    return st;
}

lsnn_status lsnn_alstm_run_spiking_params(const lsnn_config *cfg, const lsnn_alstm_spec *spec,
                                          lsnn_alstm_spiking_params *p)
{
    const lsnn_alstm_config *a = &cfg->alstm;
    memset(p, 0, sizeof *p);
    lsnn_asn_params_default(&p->asn);
    p->asn.dt = cfg->network.dt;
    lsnn_asn_measure m;
    lsnn_asn_measure_default(&m);
    lsnn_status st = lsnn_asn_calibrate(&p->asn, &m, 4.8, &p->h, NULL);
    if (st)
        return st;
    p->h_out = p->h;
    if (spec->cell_out_norm && (st = lsnn_asn_calibrate(&p->asn, &m, 1, &p->h_out, NULL)))
        return st;
    p->window_ms = a->window_ms;
    p->cec_seed = strcmp(a->w_cec_spiking, "seed") == 0;
    p->gate_mode = gate_mode_of(a->gate_signal);
    p->seed = cfg->seed;
    return LSNN_OK;
}

lsnn_status lsnn_alstm_run_test(const lsnn_config *cfg, const lsnn_alstm *net,
                                lsnn_alstm_spiking *sp, lsnn_alstm_run_result *res)
{
    if (sp) {
        res->h = sp->p.h;
        res->h_out = sp->p.h_out;
    }
    return is_tmaze(cfg) ? test_tmaze(cfg, net, sp, res) : test_seq(cfg, net, sp, res);
}

lsnn_status lsnn_alstm_read_config(const char *path, lsnn_config *cfg)
{
    lsnn_status st;
    lsnn_st_file *f = lsnn_st_open(path, 0, &st);
    if (!f)
        return st;
    const char *fmt = lsnn_st_meta_get(f, "format");
    const char *json = lsnn_st_meta_get(f, "config");
    lsnn_config_defaults(cfg);
    if (!fmt || strcmp(fmt, "lsnn-alstm-1") != 0)
        st = lsnn_error(LSNN_ERR_FORMAT,
                        "%s: not an adaptive-LSTM model (metadata 'format' is %s%s%s, expected "
                        "'lsnn-alstm-1'; `lsnn train` with \"model\": \"alstm\" writes them)",
                        path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "");
    else if (!json)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata 'config' is missing", path);
    else {
        char origin[512];
        snprintf(origin, sizeof origin, "%s: metadata 'config'", path);
        st = lsnn_config_parse(cfg, json, origin);
    }
    if (!st && strcmp(cfg->model, "alstm") != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata 'config': model is \"%s\", not \"alstm\"",
                        path, cfg->model);
    lsnn_st_close(f);
    return st;
}

lsnn_status lsnn_alstm_load(const char *path, const lsnn_config *cfg, lsnn_alstm *net)
{
    lsnn_status st;
    memset(net, 0, sizeof *net);
    lsnn_alstm_spec spec = lsnn_alstm_run_spec(cfg);
    if ((st = lsnn_alstm_create(net, &spec)))
        return st;
    lsnn_st_file *f = lsnn_st_open(path, 0, &st);
    if (f) {
        st = lsnn_st_read_into(f, "params", LSNN_DTYPE_F64, net->params, net->n_params);
        for (size_t k = 0; !st && k < net->n_params; k++)
            if (!isfinite(net->params[k]))
                st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor 'params': entry %zu is not a finite "
                                                 "number", path, k);
        lsnn_st_close(f);
    }
    if (st)
        lsnn_alstm_free(net);
    return st;
}

lsnn_status lsnn_alstm_run(const lsnn_config *cfg, const char *dir, lsnn_alstm_run_progress cb,
                           void *ctx, lsnn_alstm_run_result *res)
{
    memset(res, 0, sizeof *res);
    res->inserted_at = -1;
    const double t0 = now_s();
    const lsnn_alstm_config *a = &cfg->alstm;
    const int tmaze = is_tmaze(cfg);
    if (strcmp(cfg->model, "alstm") != 0)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_alstm_run: model is \"%s\", not \"alstm\"",
                          cfg->model);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create the directory: %s", dir,
                          strerror(errno));
    lsnn_alstm net, ex;
    memset(&ex, 0, sizeof ex);
    lsnn_alstm_spec spec = lsnn_alstm_run_spec(cfg);
    lsnn_status st = lsnn_alstm_create(&net, &spec);
    if (st)
        return st;
    if (tmaze) {
        lsnn_alstm_spec sx = spec;
        sx.n_hidden = a->explore_hidden;
        sx.n_cells = 0;
        sx.n_out = 1;
        sx.out_from_inputs = 0;
        if ((st = lsnn_alstm_create(&ex, &sx))) {
            lsnn_alstm_free(&net);
            return st;
        }
    }
    lsnn_rng rng;
    lsnn_rng_derive(&rng, cfg->seed, 0x616c73u, 0, 0);
    const lsnn_alstm_init init = {a->init_range, NAN, a->gate_bias, a->cin_bias, NAN};
    lsnn_alstm_init_weights(&net, &init, &rng);
    if (a->cell_out_zero)
        for (int k = 0; k < spec.n_out; k++)
            for (int c = 0; c < spec.n_cells; c++)
                net.params[lsnn_alstm_out_index(&net, k, net.n_z - spec.n_cells + c)] = 0;
    if (tmaze)
        lsnn_alstm_init_weights(&ex, &init, &rng);
    char *log_path = lsnn__path_join_alloc(dir, "log.csv");
    char *log_tmp = log_path ? malloc(strlen(log_path) + 8) : NULL;
    run_ctx rc = {NULL, 0, cb, ctx};
    if (!log_path || !log_tmp) {
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    sprintf(log_tmp, "%s.tmp", log_path);
    rc.log = fopen(log_tmp, "w");
    if (!rc.log) {
        st = lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", log_tmp, strerror(errno));
        goto done;
    }
    fprintf(rc.log, "iteration,%s,cells_on\n", tmaze ? "mean_return" : "mean_error");
    if (tmaze) {
        lsnn_tmaze_params tp = LSNN_TMAZE_DEFAULTS;
        tp.length = a->length;
        tp.noisy = a->noisy;
        const lsnn_rl_lstm_params rp = {
            a->alpha,          a->gamma,       a->lambda, a->kappa,  a->c_temp,
            a->t_min,          a->t_max,       a->beta_explore,      a->alpha_explore,
            a->episode_cap,    a->budget,      a->window, a->tmaze_threshold,
            100,               a->train_after};
        lsnn_rl_lstm_result r;
        st = lsnn_alstm_train_tmaze(&net, &ex, &tp, &rp, cfg->seed, on_progress, &rc, &r);
        res->converged = r.converged;
        res->iterations = r.steps;
        res->moving = r.mean_return;
    } else {
        const lsnn_seqpred_params tp = {a->p, a->noisy};
        const lsnn_alstm_learn lp = {a->lr_out,        a->lr_hidden,      a->lr_cell,
                                     a->lr_cell_bias,  strcmp(a->update, "bptt") == 0,
                                     a->sequential,    a->plateau_window, a->plateau_wait,
                                     a->plateau_drop,  a->lr_halflife,
                                     strcmp(a->seq_targets, "final") == 0};
        const lsnn_seqpred_run rp = {a->budget, a->window, a->seq_threshold, 100,
                                     a->train_after};
        lsnn_seqpred_result r;
        st = lsnn_alstm_train_seqpred(&net, &tp, &lp, &init, &rp, cfg->seed, on_progress, &rc,
                                      &r);
        res->converged = r.converged;
        res->iterations = r.trials;
        res->inserted_at = r.inserted_at;
        res->moving = r.moving_error;
    }
    if (fclose(rc.log) != 0 || rc.log_failed) {
        rc.log = NULL;
        if (!st)
            st = lsnn_error(LSNN_ERR_IO, "%s: write error", log_tmp);
    }
    rc.log = NULL;
    if (st)
        goto done;
    if (rename(log_tmp, log_path) != 0) {
        st = lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", log_path, strerror(errno));
        goto done;
    }
    /* the spiking network, for a converged analog one */
    lsnn_alstm_spiking sp;
    int have_sp = 0;
    if (res->converged) {
        lsnn_alstm_spiking_params p;
        if ((st = lsnn_alstm_run_spiking_params(cfg, &spec, &p)))
            goto done;
        if ((st = lsnn_alstm_spiking_create(&sp, &net, &p)))
            goto done;
        have_sp = 1;
    }
    st = lsnn_alstm_run_test(cfg, &net, have_sp ? &sp : NULL, res);
    if (have_sp)
        lsnn_alstm_spiking_free(&sp);
    if (st)
        goto done;
    res->seconds = now_s() - t0;
    st = write_outputs(cfg, dir, &net, tmaze ? &ex : NULL, res);
done:
    if (rc.log) {
        fclose(rc.log);
        remove(log_tmp);
    }
    free(log_path);
    free(log_tmp);
    lsnn_alstm_free(&net);
    if (tmaze)
        lsnn_alstm_free(&ex);
    return st;
}

void lsnn_alstm_trace_free(lsnn_alstm_trace *tr)
{
    free(tr->mem);
    memset(tr, 0, sizeof *tr);
}

/* One analog step and one spiking window of a trace at step t. */
static void trace_step(const lsnn_alstm *net, lsnn_alstm_state *st, lsnn_alstm_spiking *sp,
                       const double *x, int t, lsnn_alstm_trace *tr, int analog, int spiking)
{
    const int K = tr->n_out, C = tr->n_cells, W = tr->window;
    if (analog) {
        lsnn_alstm_step(net, st, x, 1);
        memcpy(tr->o_analog + (size_t)t * K, st->o, sizeof(double) * (size_t)K);
        memcpy(tr->s_analog + (size_t)t * C, st->s, sizeof(double) * (size_t)C);
    }
    if (spiking)
        lsnn_alstm_spiking_window(sp, x, tr->o_window + (size_t)t * K,
                                  tr->o_spiking + (size_t)t * W * K,
                                  tr->s_spiking + (size_t)t * W * C);
}

lsnn_status lsnn_alstm_trace_run(const lsnn_config *cfg, const lsnn_alstm *net,
                                 lsnn_alstm_spiking *sp, int index, lsnn_alstm_trace *tr)
{
    memset(tr, 0, sizeof *tr);
    const lsnn_alstm_config *a = &cfg->alstm;
    const int tmaze = is_tmaze(cfg);
    const int K = net->spec.n_out, C = net->spec.n_cells, nin = net->spec.n_in, P = a->p;
    const int n_test = tmaze || a->noisy ? a->test_trials : 2;
    if (index < 0 || index >= n_test)
        return lsnn_error(LSNN_ERR_ARG, "alstm trace: index %d is out of range: the task has %d "
                          "test %s (0 .. %d)", index, n_test, tmaze ? "episodes" : "sequences",
                          n_test - 1);
    const int cap = tmaze ? a->episode_cap : P, W = sp->window;
    /* doubles: o_analog, s_analog, o_spiking, o_window, s_spiking, the input; then ints */
    const size_t nd = (size_t)cap * (size_t)(K + C) * (1 + (size_t)W) + (size_t)cap * K + nin;
    const size_t ni = 2 * (size_t)cap + (size_t)P + 1;
    if (nd > ((size_t)1 << 31) / sizeof(double))
        return lsnn_error(LSNN_ERR_ARG, "alstm trace: %d steps of %d windows of %d outputs and %d "
                          "cells need %zu MiB: too long", cap, W, K, C,
                          nd * sizeof(double) >> 20);
    tr->mem = calloc(nd * sizeof(double) + ni * sizeof(int), 1);
    lsnn_alstm_state st;
    if (!tr->mem)
        return lsnn_error(LSNN_ERR_NOMEM, "alstm trace: out of memory");
    if (lsnn_alstm_state_create(net, &st) != LSNN_OK) {
        lsnn_alstm_trace_free(tr);
        return lsnn_error(LSNN_ERR_NOMEM, "alstm trace: out of memory");
    }
    tr->n_out = K;
    tr->n_cells = C;
    tr->window = W;
    tr->dt = cfg->network.dt;
    double *d = tr->mem;
    tr->o_analog = d, d += (size_t)cap * K;
    tr->s_analog = d, d += (size_t)cap * C;
    tr->o_spiking = d, d += (size_t)cap * W * K;
    tr->o_window = d, d += (size_t)cap * K;
    tr->s_spiking = d, d += (size_t)cap * W * C;
    double *x = d;
    d += nin;
    tr->input = (int *)(void *)d;
    tr->action_spiking = tr->input + cap;
    int *sym = tr->action_spiking + cap;
    lsnn_alstm_reset(net, &st);
    lsnn_alstm_spiking_reset(sp, (uint64_t)index);
    if (!tmaze) {
        test_symbols(cfg, index, sym);
        double counted = 0;
        for (int t = 0; t < P; t++) {
            memset(x, 0, sizeof(double) * (size_t)nin);
            x[sym[t]] = 1;
            const double before = sp->count[sym[t]];
            trace_step(net, &st, sp, x, t, tr, 1, 1);
            counted += sp->count[sym[t]] - before; /* the active input ASN only */
            tr->input[t] = sym[t];
            tr->action_spiking[t] = -1;
        }
        for (int j = nin; j < sp->n_asn; j++)
            counted += sp->count[j];
        tr->steps = tr->windows = P;
        tr->target = sym[P];
        for (int k = 0; k < K; k++) {
            const double want = k == sym[P];
            tr->score_analog = fmax(tr->score_analog, fabs(st.o[k] - want));
            tr->score_spiking =
                fmax(tr->score_spiking, fabs(tr->o_window[(size_t)(P - 1) * K + k] - want));
        }
        tr->spikes = counted;
    } else {
        lsnn_tmaze_params tp = LSNN_TMAZE_DEFAULTS;
        tp.length = a->length;
        tp.noisy = a->noisy;
        lsnn_tmaze e;
        double obs[3];
        lsnn_tmaze_reset(&e, &tp, cfg->seed, 1, (uint64_t)index);
        tr->target = e.north ? LSNN_TMAZE_N : LSNN_TMAZE_S;
        int t = 0;
        for (; t < cap && !e.done; t++) {
            lsnn_tmaze_observe(&e, obs);
            trace_step(net, &st, sp, obs, t, tr, 1, 0);
            tr->input[t] = argmax(st.o, K);
            tr->score_analog += lsnn_tmaze_step(&e, tr->input[t]);
        }
        tr->steps = t;
        lsnn_tmaze_reset(&e, &tp, cfg->seed, 1, (uint64_t)index);
        for (t = 0; t < cap && !e.done; t++) {
            lsnn_tmaze_observe(&e, obs);
            trace_step(net, &st, sp, obs, t, tr, 0, 1);
            tr->action_spiking[t] = argmax(tr->o_window + (size_t)t * K, K);
            tr->score_spiking += lsnn_tmaze_step(&e, tr->action_spiking[t]);
        }
        tr->windows = t;
        tr->spikes = (double)sp->spikes;
    }
    lsnn_alstm_state_free(&st);
    return LSNN_OK;
}

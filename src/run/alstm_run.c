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

static lsnn_alstm_spec spec_of(const lsnn_alstm_config *a, int tmaze)
{
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

/* Sequence prediction: the analog and the spiking network on the test sequences (noise-free:
 * the two sequences; noisy: test_trials sequences of stream 1). */
static lsnn_status test_seq(const lsnn_config *cfg, const lsnn_alstm *net, lsnn_alstm_spiking *sp,
                            lsnn_alstm_run_result *res)
{
    const lsnn_alstm_config *a = &cfg->alstm;
    const lsnn_seqpred_params task = {a->p, a->noisy};
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
        if (a->noisy)
            lsnn_seqpred_trial(&task, cfg->seed, 1, (uint64_t)q, sym);
        else {
            lsnn_seqpred_trial(&task, cfg->seed, 1, 0, sym);
            sym[0] = sym[P] = q ? P : P - 1; /* x, then y */
        }
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
                lsnn_alstm_spiking_window(sp, x, o, NULL);
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
            lsnn_alstm_spiking_window(sp, obs, o, NULL);
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
    lsnn_alstm_spec spec = spec_of(a, tmaze);
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
                                     a->plateau_drop,  a->lr_halflife};
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
        lsnn_asn_params_default(&p.asn);
        p.asn.dt = cfg->network.dt;
        lsnn_asn_measure m;
        lsnn_asn_measure_default(&m);
        double h_out;
        if ((st = lsnn_asn_calibrate(&p.asn, &m, 4.8, &p.h, NULL)))
            goto done;
        h_out = p.h;
        if (spec.cell_out_norm && (st = lsnn_asn_calibrate(&p.asn, &m, 1, &h_out, NULL)))
            goto done;
        p.h_out = h_out;
        p.window_ms = a->window_ms;
        p.cec_seed = strcmp(a->w_cec_spiking, "seed") == 0;
        p.gate_mode = gate_mode_of(a->gate_signal);
        p.seed = cfg->seed;
        res->h = p.h;
        res->h_out = p.h_out;
        if ((st = lsnn_alstm_spiking_create(&sp, &net, &p)))
            goto done;
        have_sp = 1;
    }
    st = tmaze ? test_tmaze(cfg, &net, have_sp ? &sp : NULL, res)
               : test_seq(cfg, &net, have_sp ? &sp : NULL, res);
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

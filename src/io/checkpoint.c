/* Checkpoints as safetensors (see lsnn/checkpoint.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/safetensors.h"

#define LSNN__FORMAT "lsnn-1"
#define LSNN__MAX_TENSORS (3 * LSNN_MAX_PROJ + 16)

#if LSNN_REAL_IS_DOUBLE
#define LSNN__REAL_DTYPE LSNN_DTYPE_F64
#else
#define LSNN__REAL_DTYPE LSNN_DTYPE_F32
#endif

static void lsnn__tensor(lsnn_st_tensor *t, const char *name, lsnn_dtype dt, const void *data,
                         int64_t d0, int64_t d1)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dt;
    t->ndim = d1 > 0 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1 > 0 ? d1 : 0;
    t->data = data;
    t->nbytes = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1) * lsnn_dtype_size(dt);
}

/* Appends the optimizer moments and the metadata, then writes atomically. */
static lsnn_status lsnn__write(const char *path, const lsnn_config *cfg, lsnn_st_tensor *t, int nt,
                               const lsnn_optim *opt, long iteration)
{
    if (opt && opt->m) {
        lsnn__tensor(&t[nt++], "optim.m", LSNN__REAL_DTYPE, opt->m, (int64_t)opt->n, 0);
        lsnn__tensor(&t[nt++], "optim.v", LSNN__REAL_DTYPE, opt->v, (int64_t)opt->n, 0);
    }
    char *json = lsnn_config_to_json(cfg);
    char it[32], step[32];
    snprintf(it, sizeof it, "%ld", iteration);
    snprintf(step, sizeof step, "%ld", opt ? opt->step : 0L);
    lsnn_st_meta meta[] = {
        {"format", LSNN__FORMAT},
        {"config", json ? json : "{}"},
        {"iteration", it},
        {"optim_step", step},
    };
    lsnn_status st = json ? lsnn_st_write(path, t, nt, meta, 4)
                          : lsnn_error(LSNN_ERR_NOMEM, "%s: cannot serialise the config", path);
    free(json);
    return st;
}

lsnn_status lsnn_checkpoint_save(const char *path, const lsnn_config *cfg, const lsnn_net *net,
                                 const lsnn_optim *opt, long iteration)
{
    lsnn_st_tensor t[LSNN__MAX_TENSORS];
    char names[LSNN_MAX_PROJ][2][LSNN_ST_NAME_MAX];
    int nt = 0, n = net->n;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        lsnn__tensor(&t[nt++], pr->name, LSNN__REAL_DTYPE, pr->w, pr->n_src, pr->n_dst);
        if (pr->delay) {
            snprintf(names[p][0], LSNN_ST_NAME_MAX, "%s.delay", pr->name);
            lsnn__tensor(&t[nt++], names[p][0], LSNN_DTYPE_U8, pr->delay, pr->n_src, pr->n_dst);
        }
        if (pr->mask) {
            snprintf(names[p][1], LSNN_ST_NAME_MAX, "%s.mask", pr->name);
            lsnn__tensor(&t[nt++], names[p][1], LSNN_DTYPE_U8, pr->mask, pr->n_src, pr->n_dst);
        }
    }
    lsnn__tensor(&t[nt++], "w_out", LSNN__REAL_DTYPE, net->w_out, n, net->n_out);
    lsnn__tensor(&t[nt++], "b_out", LSNN__REAL_DTYPE, net->b_out, net->n_out, 0);
    lsnn__tensor(&t[nt++], "noise_std", LSNN__REAL_DTYPE, net->noise_std, n, 0);
    lsnn__tensor(&t[nt++], "neuron.tau_m", LSNN__REAL_DTYPE, net->tau_m, n, 0);
    lsnn__tensor(&t[nt++], "neuron.tau_a", LSNN__REAL_DTYPE, net->tau_a, n, 0);
    lsnn__tensor(&t[nt++], "neuron.beta", LSNN__REAL_DTYPE, net->k.beta, n, 0);
    lsnn__tensor(&t[nt++], "neuron.b0", LSNN__REAL_DTYPE, net->k.b0, n, 0);
    int32_t *refr = malloc(sizeof(int32_t) * n);
    if (!refr)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    for (int j = 0; j < n; j++)
        refr[j] = net->k.refractory[j];
    lsnn__tensor(&t[nt++], "neuron.refractory", LSNN_DTYPE_I32, refr, n, 0);
    lsnn_status st = lsnn__write(path, cfg, t, nt, opt, iteration);
    free(refr);
    return st;
}

lsnn_status lsnn_checkpoint_save_ann(const char *path, const lsnn_config *cfg, const lsnn_ann *ann,
                                     const lsnn_optim *opt, long iteration)
{
    lsnn_st_tensor t[LSNN_ANN_N_TENSORS + 2];
    lsnn_ann_tensor at[LSNN_ANN_N_TENSORS];
    int nt = lsnn_ann_tensors(ann, at);
    for (int i = 0; i < nt; i++)
        lsnn__tensor(&t[i], at[i].name, LSNN__REAL_DTYPE, at[i].data, at[i].rows > 1 ? at[i].rows : at[i].cols,
                     at[i].rows > 1 ? at[i].cols : 0);
    return lsnn__write(path, cfg, t, nt, opt, iteration);
}

static lsnn_st_file *lsnn__open_checked(const char *path, lsnn_status *st)
{
    lsnn_st_file *f = lsnn_st_open(path, 0, st);
    if (!f)
        return NULL;
    const char *fmt = lsnn_st_meta_get(f, "format");
    if (!fmt || strcmp(fmt, LSNN__FORMAT) != 0) {
        *st = lsnn_error(LSNN_ERR_FORMAT,
                         "%s: not an lsnn checkpoint (metadata 'format' is %s%s%s, expected '%s')",
                         path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "",
                         LSNN__FORMAT);
        lsnn_st_close(f);
        return NULL;
    }
    return f;
}

lsnn_status lsnn_checkpoint_read_config(const char *path, lsnn_config *cfg)
{
    lsnn_status st;
    lsnn_st_file *f = lsnn__open_checked(path, &st);
    if (!f)
        return st;
    const char *json = lsnn_st_meta_get(f, "config");
    lsnn_config_defaults(cfg);
    char origin[512];
    snprintf(origin, sizeof origin, "%s: metadata 'config'", path);
    st = json ? lsnn_config_parse(cfg, json, origin)
              : lsnn_error(LSNN_ERR_FORMAT, "%s: metadata 'config' is missing", path);
    lsnn_st_close(f);
    return st;
}

static int lsnn__parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        return 0;
    *out = v;
    return 1;
}

/* Optimizer moments and the iteration counters: the common tail of both loaders. */
static lsnn_status lsnn__load_tail(const char *path, lsnn_st_file *f, lsnn_optim *opt,
                                   long *iteration)
{
    lsnn_status st = LSNN_OK;
    if (opt && opt->m) {
        st = lsnn_st_read_into(f, "optim.m", LSNN__REAL_DTYPE, opt->m, opt->n);
        if (!st)
            st = lsnn_st_read_into(f, "optim.v", LSNN__REAL_DTYPE, opt->v, opt->n);
    }
    long it = 0, step = 0;
    if (!st && (!lsnn__parse_long(lsnn_st_meta_get(f, "iteration"), &it) ||
                !lsnn__parse_long(lsnn_st_meta_get(f, "optim_step"), &step)))
        st = lsnn_error(LSNN_ERR_FORMAT,
                        "%s: metadata 'iteration'/'optim_step' missing or not a count", path);
    if (!st) {
        if (iteration)
            *iteration = it;
        if (opt)
            opt->step = step;
    }
    return st;
}

lsnn_status lsnn_checkpoint_load_ann(const char *path, lsnn_ann *ann, lsnn_optim *opt,
                                     long *iteration)
{
    lsnn_status st;
    lsnn_st_file *f = lsnn__open_checked(path, &st);
    if (!f)
        return st;
    lsnn_ann_tensor at[LSNN_ANN_N_TENSORS];
    int nt = lsnn_ann_tensors(ann, at);
    for (int i = 0; i < nt && !st; i++)
        st = lsnn_st_read_into(f, at[i].name, LSNN__REAL_DTYPE, at[i].data,
                               (size_t)at[i].rows * at[i].cols);
    for (size_t k = 0; !st && k < ann->n_params; k++)
        if (!isfinite((double)ann->params[k]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: parameter %zu is not a finite number", path, k);
    if (!st)
        st = lsnn__load_tail(path, f, opt, iteration);
    lsnn_st_close(f);
    return st;
}

lsnn_status lsnn_checkpoint_load(const char *path, lsnn_net *net, lsnn_optim *opt,
                                 long *iteration)
{
    lsnn_status st;
    lsnn_st_file *f = lsnn__open_checked(path, &st);
    if (!f)
        return st;
    const int n = net->n;
    char name[LSNN_ST_NAME_MAX];
    int32_t *refr = malloc(sizeof(int32_t) * n);
    if (!refr) {
        lsnn_st_close(f);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int p = 0; p < net->n_proj && !st; p++) {
        lsnn_projection *pr = &net->proj[p];
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        st = lsnn_st_read_into(f, pr->name, LSNN__REAL_DTYPE, pr->w, sz);
        if (!st && pr->delay) {
            snprintf(name, sizeof name, "%s.delay", pr->name);
            st = lsnn_st_read_into(f, name, LSNN_DTYPE_U8, pr->delay, sz);
            for (size_t k = 0; !st && k < sz; k++)
                if (pr->delay[k] < 1 || pr->delay[k] > pr->max_delay)
                    st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': delay %d outside 1..%d",
                                    path, name, pr->delay[k], pr->max_delay);
        }
    }
    if (!st)
        st = lsnn_st_read_into(f, "w_out", LSNN__REAL_DTYPE, net->w_out, (size_t)n * net->n_out);
    if (!st)
        st = lsnn_st_read_into(f, "b_out", LSNN__REAL_DTYPE, net->b_out, net->n_out);
    if (!st)
        st = lsnn_st_read_into(f, "noise_std", LSNN__REAL_DTYPE, net->noise_std, n);
    if (!st)
        st = lsnn_st_read_into(f, "neuron.tau_m", LSNN__REAL_DTYPE, net->tau_m, n);
    if (!st)
        st = lsnn_st_read_into(f, "neuron.tau_a", LSNN__REAL_DTYPE, net->tau_a, n);
    if (!st)
        st = lsnn_st_read_into(f, "neuron.beta", LSNN__REAL_DTYPE, net->k.beta, n);
    if (!st)
        st = lsnn_st_read_into(f, "neuron.b0", LSNN__REAL_DTYPE, net->k.b0, n);
    if (!st)
        st = lsnn_st_read_into(f, "neuron.refractory", LSNN_DTYPE_I32, refr, n);
    for (int j = 0; !st && j < n; j++) {
        if (refr[j] < 0 || refr[j] > 1000)
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor 'neuron.refractory': %d outside 0..1000",
                            path, refr[j]);
        else if (!(net->tau_m[j] > 0) || !(net->tau_a[j] > 0) || !(net->k.b0[j] > 0))
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: neuron %d: tau_m, tau_a and b0 must be positive numbers", path, j);
        else
            net->k.refractory[j] = (int16_t)refr[j];
    }
    for (size_t k = 0; !st && k < net->n_params; k++)
        if (!isfinite((double)net->params[k]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: parameter %zu is not a finite number", path, k);
    if (!st)
        st = lsnn__load_tail(path, f, opt, iteration);
    if (!st)
        lsnn_net_update_constants(net);
    free(refr);
    lsnn_st_close(f);
    return st;
}

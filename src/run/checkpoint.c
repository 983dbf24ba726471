/* Checkpoints as safetensors (see lsnn/checkpoint.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/safetensors.h"

/* lsnn-2: neuron parameters as one tensor per population and parameter ("R.tau_m"); lsnn-1
 * (releases before graph networks): one tensor per parameter over all neurons ("neuron.tau_m"),
 * still read. */
#define LSNN__FORMAT "lsnn-2"
#define LSNN__FORMAT_1 "lsnn-1"

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

/* Reads tensor `name` of the shape lsnn__tensor gives it: (d0, d1), or (d0) when d1 is 0. A
 * tensor with the right number of elements in another shape (transposed, flattened) is refused:
 * it was not written by lsnn for this network. */
static lsnn_status lsnn__read(const lsnn_st_file *f, const char *name, lsnn_dtype dt, void *dst,
                              int64_t d0, int64_t d1)
{
    const int64_t shape[2] = {d0, d1};
    return lsnn_st_read_shaped(f, name, dt, dst, d1 > 0 ? 2 : 1, shape);
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

int lsnn_checkpoint_net_tensors(const lsnn_net *net, lsnn_st_tensor *t, int cap)
{
    int nt = 0;
    const int n = net->n;
    /* Adds a tensor when there is room; counts it anyway. */
#define LSNN__ADD(name, dt, data, d0, d1)                                                          \
    do {                                                                                       \
        if (nt < cap)                                                                          \
            lsnn__tensor(&t[nt], name, dt, data, d0, d1);                                      \
        nt++;                                                                                  \
    } while (0)
    char name[LSNN_ST_NAME_MAX];
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        LSNN__ADD(pr->name, LSNN__REAL_DTYPE, pr->w, pr->n_src, pr->n_dst);
        if (pr->delay) {
            snprintf(name, sizeof name, "%s.delay", pr->name);
            LSNN__ADD(name, LSNN_DTYPE_U8, pr->delay, pr->n_src, pr->n_dst);
        }
        if (pr->mask) {
            snprintf(name, sizeof name, "%s.mask", pr->name);
            LSNN__ADD(name, LSNN_DTYPE_U8, pr->mask, pr->n_src, pr->n_dst);
        }
    }
    LSNN__ADD("w_out", LSNN__REAL_DTYPE, net->w_out, n, net->n_out);
    if (net->w_out_mask)
        LSNN__ADD("w_out.mask", LSNN_DTYPE_U8, net->w_out_mask, n, net->n_out);
    if (net->input_sign)
        LSNN__ADD("input_sign", LSNN_DTYPE_I8, net->input_sign, net->n_in, 0);
    int any_sign = 0;
    for (int j = 0; j < n; j++)
        any_sign |= net->sign[j] != 0;
    if (any_sign)
        LSNN__ADD("neuron.sign", LSNN_DTYPE_I8, net->sign, n, 0);
    LSNN__ADD("b_out", LSNN__REAL_DTYPE, net->b_out, net->n_out, 0);
    LSNN__ADD("noise_std", LSNN__REAL_DTYPE, net->noise_std, n, 0);
    /* Each population's parameters, named "<population>.<parameter>". */
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *P = &net->pop[p];
        for (int k = 0; k < P->model->n_params; k++) {
            snprintf(name, sizeof name, "%s.%s", P->name, P->model->params[k].name);
            LSNN__ADD(name, LSNN__REAL_DTYPE, P->par + (size_t)k * P->count, P->count, 0);
        }
    }
#undef LSNN__ADD
    return nt;
}

lsnn_status lsnn_checkpoint_save(const char *path, const lsnn_config *cfg, const lsnn_net *net,
                                 const lsnn_optim *opt, long iteration)
{
    const int cap = lsnn_checkpoint_net_tensors(net, NULL, 0) + 2; /* + the optimizer moments */
    lsnn_st_tensor *t = malloc(sizeof *t * (size_t)cap);
    if (!t)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    const int nt = lsnn_checkpoint_net_tensors(net, t, cap);
    lsnn_status st = lsnn__write(path, cfg, t, nt, opt, iteration);
    free(t);
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
    if (!fmt || (strcmp(fmt, LSNN__FORMAT) != 0 && strcmp(fmt, LSNN__FORMAT_1) != 0)) {
        const int alstm = fmt && strcmp(fmt, "lsnn-alstm-1") == 0;
        *st = lsnn_error(LSNN_ERR_FORMAT,
                         "%s: not an lsnn checkpoint (metadata 'format' is %s%s%s, expected '%s' "
                         "or '%s')%s",
                         path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "",
                         LSNN__FORMAT, LSNN__FORMAT_1,
                         alstm ? "; an adaptive-LSTM model: see lsnn alstm --help" : "");
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
        st = lsnn__read(f, "optim.m", LSNN__REAL_DTYPE, opt->m, (int64_t)opt->n, 0);
        if (!st)
            st = lsnn__read(f, "optim.v", LSNN__REAL_DTYPE, opt->v, (int64_t)opt->n, 0);
        /* Adam's moments: m finite, v (a running mean of squares) finite and >= 0. */
        for (size_t k = 0; !st && k < opt->n; k++)
            if (!isfinite((double)opt->m[k]) || !isfinite((double)opt->v[k]) || opt->v[k] < 0)
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor '%s': entry %zu is %g (the optimizer state must be "
                                "finite, and optim.v >= 0)",
                                path, isfinite((double)opt->m[k]) ? "optim.v" : "optim.m", k,
                                (double)(isfinite((double)opt->m[k]) ? opt->v[k] : opt->m[k]));
    }
    long it = 0, step = 0;
    if (!st && (!lsnn__parse_long(lsnn_st_meta_get(f, "iteration"), &it) ||
                !lsnn__parse_long(lsnn_st_meta_get(f, "optim_step"), &step)))
        st = lsnn_error(LSNN_ERR_FORMAT,
                        "%s: metadata 'iteration'/'optim_step' missing or not a count", path);
    /* Iterations are counted in an int (config key iterations). */
    if (!st && (it > 2147483647L || step > 2147483647L))
        st = lsnn_error(LSNN_ERR_FORMAT,
                        "%s: metadata 'iteration' = %ld / 'optim_step' = %ld: more than "
                        "2147483647 iterations",
                        path, it, step);
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
        st = lsnn__read(f, at[i].name, LSNN__REAL_DTYPE, at[i].data,
                        at[i].rows > 1 ? at[i].rows : at[i].cols, at[i].rows > 1 ? at[i].cols : 0);
    for (size_t k = 0; !st && k < ann->n_params; k++)
        if (!isfinite((double)ann->params[k]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: parameter %zu is not a finite number", path, k);
    if (!st)
        st = lsnn__load_tail(path, f, opt, iteration);
    lsnn_st_close(f);
    return st;
}

/* Reads mask tensor `name` (n_src, n_dst) into mask, which is NULL when the config builds a dense
 * network: a mask must be present exactly when the network has one, hold 0/1 only, and leave the
 * positions that are never possible (diag: the W_rec diagonal) at 0. */
static lsnn_status lsnn__load_mask(const char *path, lsnn_st_file *f, const char *name,
                                   uint8_t *mask, int n_src, int n_dst, int diag)
{
    const int present = lsnn_st_find(f, name) != NULL;
    if (!mask && present)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: tensor '%s': the model is sparse but the config builds a dense "
                          "network (network.connectivity = 1)",
                          path, name);
    if (!mask)
        return LSNN_OK;
    if (!present)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: tensor '%s' is missing: the config makes the network sparse "
                          "(network.connectivity < 1) but the model has no connectivity mask",
                          path, name);
    size_t sz = (size_t)n_src * n_dst;
    lsnn_status st = lsnn__read(f, name, LSNN_DTYPE_U8, mask, n_src, n_dst);
    for (size_t k = 0; !st && k < sz; k++)
        if (mask[k] > 1 || (diag && mask[k] && k / n_dst == k % n_dst))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': entry %zu is %d (0 or 1 expected%s)",
                            path, name, k, mask[k], diag ? ", 0 on the diagonal" : "");
    return st;
}

/* Signs: input_sign is loaded (present exactly when the config gives the inputs signs);
 * neuron.sign, optional, must equal the signs the config and seed give the populations. Then
 * every weight must respect its mask and its source's sign. */
static lsnn_status lsnn__load_signs(const char *path, lsnn_st_file *f, lsnn_net *net)
{
    const int n = net->n;
    const int has_in = lsnn_st_find(f, "input_sign") != NULL;
    if (has_in != (net->input_sign != NULL))
        return lsnn_error(LSNN_ERR_FORMAT,
                          has_in ? "%s: tensor 'input_sign': the model has signed inputs but the "
                                   "config does not (network.init is not \"signed\")"
                                 : "%s: tensor 'input_sign' is missing: the config gives the "
                                   "inputs signs (network.init \"signed\")",
                          path);
    lsnn_status st = LSNN_OK;
    if (net->input_sign) {
        st = lsnn__read(f, "input_sign", LSNN_DTYPE_I8, net->input_sign, net->n_in, 0);
        for (int i = 0; !st && i < net->n_in; i++)
            if (net->input_sign[i] != 1 && net->input_sign[i] != -1)
                st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor 'input_sign': entry %d is %d (1 or "
                                                 "-1 expected)", path, i, net->input_sign[i]);
    }
    if (!st && lsnn_st_find(f, "neuron.sign")) {
        int8_t *sg = malloc((size_t)n);
        if (!sg)
            return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        st = lsnn__read(f, "neuron.sign", LSNN_DTYPE_I8, sg, n, 0);
        for (int j = 0; !st && j < n; j++)
            if (sg[j] != net->sign[j])
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor 'neuron.sign': neuron %d has sign %d in the model but "
                                "%d from the config (was it trained with another seed or "
                                "network.sign_* / exc_fraction?)",
                                path, j, sg[j], net->sign[j]);
        free(sg);
    }
    for (int p = 0; !st && p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        for (int i = 0; !st && i < pr->n_src; i++) {
            int s = pr->src_is_input ? (net->input_sign ? net->input_sign[pr->src_off + i] : 0)
                                     : net->sign[pr->src_off + i];
            for (int j = 0; !st && j < pr->n_dst; j++) {
                size_t k = (size_t)i * pr->n_dst + j;
                lsnn_real w = pr->w[k];
                if ((pr->mask && !pr->mask[k] && w != 0) || s * w < 0)
                    st = lsnn_error(LSNN_ERR_FORMAT,
                                    "%s: tensor '%s': weight (%d, %d) = %g breaks its %s", path,
                                    pr->name, i, j, (double)w,
                                    s * w < 0 ? "source's sign" : "mask (no synapse there)");
            }
        }
    }
    /* A rate readout is no synapse: lsnn_checkpoint_load checks it against its definition. */
    for (int j = 0; !st && !net->rate_group && j < n; j++)
        for (int k = 0; !st && k < net->n_out; k++) {
            size_t q = (size_t)j * net->n_out + k;
            lsnn_real w = net->w_out[q];
            if ((net->w_out_mask && !net->w_out_mask[q] && w != 0) || net->sign[j] * w < 0)
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor 'w_out': weight (%d, %d) = %g breaks its %s", path, j,
                                k, (double)w,
                                net->sign[j] * w < 0 ? "source's sign" : "mask (no synapse there)");
        }
    return st;
}

/* The populations' parameters: "<population>.<parameter>" (lsnn-2), or the whole-network
 * "neuron.<parameter>" tensors of lsnn-1 (tau_m, tau_a, beta, b0 as reals, refractory as int32),
 * each population taking its slice of the parameters its model has. Every value must be allowed
 * by the model's parameter table. */
static lsnn_status lsnn__load_neuron_params(const char *path, lsnn_st_file *f, lsnn_net *net)
{
    const int v1 = strcmp(lsnn_st_meta_get(f, "format"), LSNN__FORMAT_1) == 0, n = net->n;
    lsnn_status st = LSNN_OK;
    void *raw = v1 ? malloc(sizeof(lsnn_real) * (size_t)n + sizeof(int32_t) * (size_t)n) : NULL;
    if (v1 && !raw)
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    char name[LSNN_ST_NAME_MAX];
    for (int p = 0; !st && p < net->n_pop; p++) {
        lsnn_population *P = &net->pop[p];
        for (int k = 0; !st && k < P->model->n_params; k++) {
            const lsnn_neuron_param *pp = &P->model->params[k];
            lsnn_real *dst = P->par + (size_t)k * P->count;
            if (!v1) {
                snprintf(name, sizeof name, "%s.%s", P->name, pp->name);
                st = lsnn__read(f, name, LSNN__REAL_DTYPE, dst, P->count, 0);
            } else {
                snprintf(name, sizeof name, "neuron.%s", pp->name);
                const int is_int = strcmp(pp->name, "refractory") == 0;
                st = lsnn__read(f, name, is_int ? LSNN_DTYPE_I32 : LSNN__REAL_DTYPE, raw, n, 0);
                for (int i = 0; !st && i < P->count; i++)
                    dst[i] = is_int ? (lsnn_real)((const int32_t *)raw)[P->off + i]
                                    : ((const lsnn_real *)raw)[P->off + i];
            }
            for (int i = 0; !st && i < P->count; i++) {
                const char *why = lsnn_neuron_param_check(pp, (double)dst[i]);
                char allowed[96];
                lsnn_neuron_param_allowed(pp, allowed, sizeof allowed);
                if (why)
                    st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': neuron %d has %s = %g: "
                                                     "%s (allowed: %s)",
                                    path, name, v1 ? P->off + i : i, pp->name, (double)dst[i],
                                    why, allowed);
            }
        }
    }
    free(raw);
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
    /* A bidirectional model has w_rec_bw (lsnn/network.h); say so rather than fail on a mask. */
    const int file_bidir = lsnn_st_find(f, "w_rec_bw") != NULL;
    if (!st && file_bidir != (net->n_dirs > 1))
        st = lsnn_error(LSNN_ERR_FORMAT,
                        "%s: the model is %sbidirectional but the config builds a %sbidirectional "
                        "network (network.bidirectional = %s)",
                        path, file_bidir ? "" : "not ", file_bidir ? "non-" : "",
                        net->n_dirs > 1 ? "true" : "false");
    for (int p = 0; p < net->n_proj && !st; p++) {
        lsnn_projection *pr = &net->proj[p];
        size_t sz = (size_t)pr->n_src * pr->n_dst;
        st = lsnn__read(f, pr->name, LSNN__REAL_DTYPE, pr->w, pr->n_src, pr->n_dst);
        if (!st && pr->delay) {
            snprintf(name, sizeof name, "%s.delay", pr->name);
            st = lsnn__read(f, name, LSNN_DTYPE_U8, pr->delay, pr->n_src, pr->n_dst);
            for (size_t k = 0; !st && k < sz; k++)
                if (pr->delay[k] < pr->min_delay || pr->delay[k] > pr->max_delay)
                    st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': delay %d outside %d..%d",
                                    path, name, pr->delay[k], pr->min_delay, pr->max_delay);
        }
        if (!st) {
            snprintf(name, sizeof name, "%s.mask", pr->name);
            st = lsnn__load_mask(path, f, name, pr->mask, pr->n_src, pr->n_dst,
                                 pr->no_self && !pr->src_is_input && pr->src_off == pr->dst_off);
        }
    }
    if (!st)
        st = lsnn__read(f, "w_out", LSNN__REAL_DTYPE, net->w_out, n, net->n_out);
    if (!st)
        st = lsnn__load_mask(path, f, "w_out.mask", net->w_out_mask, n, net->n_out, 0);
    for (int j = 0; !st && net->w_out_mask && j < n; j++)
        for (int k = 0; !st && k < net->n_out; k++)
            if (net->w_out_mask[(size_t)j * net->n_out + k] &&
                !lsnn_net_readout_possible(net, j, k))
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor 'w_out.mask': neuron %d of one direction of the "
                                "bidirectional network reaches output %d of the other",
                                path, j, k);
    if (!st)
        st = lsnn__read(f, "b_out", LSNN__REAL_DTYPE, net->b_out, net->n_out, 0);
    if (!st && net->rate_group) { /* the rate readout is part of the structure, not trained */
        const size_t nw = (size_t)n * net->n_out;
        lsnn_real *want = malloc(sizeof(lsnn_real) * nw);
        uint8_t *want_mask = malloc(nw);
        if (!want || !want_mask)
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        else
            lsnn_net_rate_readout(net, want, want_mask);
        for (size_t q = 0; !st && q < nw; q++)
            if (net->w_out[q] != want[q] ||
                (net->w_out_mask && net->w_out_mask[q] != want_mask[q]))
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor 'w_out': entry (%d, %d) = %g is not the fixed rate "
                                "readout of the config (network.readout \"rate\", groups of %d "
                                "neurons: %g there)",
                                path, (int)(q / (size_t)net->n_out), (int)(q % (size_t)net->n_out),
                                (double)net->w_out[q], net->rate_group, (double)want[q]);
        free(want);
        free(want_mask);
        for (int k = 0; !st && k < net->n_out; k++)
            if (net->b_out[k] != 0)
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: tensor 'b_out': entry %d = %g, but the rate readout has no "
                                "bias", path, k, (double)net->b_out[k]);
    }
    if (!st)
        st = lsnn__read(f, "noise_std", LSNN__REAL_DTYPE, net->noise_std, n, 0);
    /* A trained noise std is a signed scale (the noise is std * N(0, 1), symmetric), so gradient
     * steps may carry it below zero; a fixed one must be a true standard deviation. */
    for (int j = 0; !st && j < n; j++)
        if (net->train_noise ? !isfinite((double)net->noise_std[j]) : !(net->noise_std[j] >= 0))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor 'noise_std': neuron %d has %g (must be "
                                             "%s)", path, j, (double)net->noise_std[j],
                            net->train_noise ? "finite" : ">= 0 when network.train_noise is off");
    for (size_t k = 0; !st && k < net->n_params; k++)
        if (!isfinite((double)net->params[k]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: parameter %zu is not a finite number", path, k);
    if (!st)
        st = lsnn__load_signs(path, f, net);
    if (!st)
        st = lsnn__load_neuron_params(path, f, net);
    if (!st)
        st = lsnn__load_tail(path, f, opt, iteration);
    if (!st)
        lsnn_net_update_constants(net);
    lsnn_st_close(f);
    return st;
}

/* The models a trainer can hold (lsnn/train.h, lsnn_model_ops): the spiking network, the
 * bidirectional spiking network (two directions, time reversal, summed readouts), and the
 * non-spiking LSTM / tanh RNN baselines. Each entry builds its parameters, its forward
 * workspace, and runs forward and backward passes; the trainer and the learning rules call them
 * without asking which model they hold. */
#include <stdlib.h>
#include <string.h>

#include "lsnn/checkpoint.h"
#include "lsnn/config_map.h"
#include "lsnn/train.h"

/* ------------------------------------------------------------------------------------------ */
/* The spiking network */

static lsnn_status spk_init(lsnn_trainer *tr)
{
    lsnn_status st = lsnn_net_from_config(&tr->net, &tr->cfg, tr->shape.n_in, tr->shape.n_out);
    if (st)
        return st;
    tr->params = tr->net.params;
    tr->n_params = tr->net.n_params;
    tr->n_units = tr->net.n;
    return LSNN_OK;
}

static lsnn_status spk_prepare(lsnn_trainer *tr)
{
    lsnn_status st = LSNN_OK;
    if (!tr->sim && !(tr->sim = lsnn_sim_create_chunked(&tr->net, tr->cfg.batch_size, tr->shape.T,
                                                         tr->cfg.chunk, &st)))
        return st;
    lsnn_sim_set_dist(tr->sim, tr->dist);
    if (tr->learner->backward) { /* BPTT keeps records of the forward pass */
        const int r = lsnn_sim_enable_records(tr->sim, &tr->net,
                                              (size_t)tr->cfg.bptt_records_mb * 1000000);
        if (r < 0)
            return (lsnn_status)r;
    }
    return LSNN_OK;
}

static lsnn_status spk_forward(lsnn_trainer *tr, const lsnn_batch *b, lsnn_trace *trace)
{
    return lsnn_sim_forward(tr->sim, &tr->net, b, tr->y, tr->count, trace);
}

static lsnn_status spk_backward(lsnn_trainer *tr, const lsnn_batch *b, const lsnn_real *gz,
                                lsnn_real *grad)
{
    return lsnn_bptt_backward(tr->sim, &tr->net, b, tr->gy, gz, grad);
}

static lsnn_status spk_episode_begin(lsnn_trainer *tr)
{
    return lsnn_sim_begin(tr->sim, &tr->net, &tr->batch);
}

static lsnn_status spk_episode_step(lsnn_trainer *tr, int t)
{
    return lsnn_sim_step(tr->sim, &tr->net, &tr->batch, t, tr->y, NULL);
}

static lsnn_status spk_episode_end(lsnn_trainer *tr)
{
    return lsnn_sim_end(tr->sim, &tr->net, &tr->batch, tr->count);
}

static lsnn_status spk_episode_run(lsnn_trainer *tr, lsnn_sim_seq_fn fn, void *ctx)
{
    return lsnn_sim_run_sequences(tr->sim, &tr->net, &tr->batch, fn, ctx, tr->y, tr->count);
}

static void spk_free(lsnn_trainer *tr)
{
    lsnn_sim_free(tr->sim);
    lsnn_net_free(&tr->net);
}

static lsnn_status spk_save(const lsnn_trainer *tr, const char *path)
{
    return lsnn_checkpoint_save(path, &tr->cfg, &tr->net, &tr->opt, tr->iteration);
}

static lsnn_status spk_load(lsnn_trainer *tr, const char *path, lsnn_optim *opt)
{
    lsnn_status st = lsnn_checkpoint_load(path, &tr->net, opt, &tr->iteration);
    if (!st) /* the masks came from the file: what may train follows them */
        lsnn_net_trainable_mask(&tr->net, tr->mask);
    return st;
}

static size_t spk_count(const lsnn_trainer *tr, int active_only)
{
    return lsnn_net_count_params(&tr->net, active_only);
}

static void spk_trainable(const lsnn_trainer *tr, uint8_t *mask)
{
    lsnn_net_trainable_mask(&tr->net, mask);
}

/* ------------------------------------------------------------------------------------------ */
/* The bidirectional spiking network (lsnn/train.h): direction 1 sees the sequence reversed over
 * its supervised extent; the task's readout is the sum of the two output blocks. */

/* Supervised extent of sequence q: the end of its last window, or the step after its last
 * weighted MSE target; T when it has neither. */
static int lsnn__extent(const lsnn_batch *b, int q)
{
    int L = 0;
    if (b->loss == LSNN_LOSS_MSE) {
        for (int t = b->T - 1; t >= 0 && !L; t--)
            if (b->y_weight[(size_t)q * b->T + t] > 0)
                L = t + 1;
    } else {
        for (int w = 0; w < b->n_windows[q]; w++) {
            int t1 = b->windows[(size_t)q * b->max_windows + w].t1;
            L = t1 > L ? t1 : L;
        }
    }
    return L > 0 && L <= b->T ? L : b->T;
}

/* The permutation of a bidirectional network's time axis (lsnn/train.h): its own inverse. */
static inline int lsnn__rev(int t, int L)
{
    return t < L ? L - 1 - t : t;
}

static lsnn_status bi_prepare(lsnn_trainer *tr)
{
    lsnn_status st = spk_prepare(tr);
    if (st || tr->y2)
        return st;
    const int B = tr->cfg.batch_size, T = tr->shape.T;
    if ((st = lsnn_batch_init(&tr->xbatch, B, T, tr->net.n_in, tr->net.n_out,
                              LSNN_LOSS_CE_WINDOW, 0)))
        return st;
    tr->y2 = malloc(sizeof(lsnn_real) * (size_t)B * T * tr->shape.n_out * 2);
    tr->extent = malloc(sizeof(int) * (size_t)B);
    if (!tr->y2 || !tr->extent)
        return lsnn_error(LSNN_ERR_NOMEM, "trainer: cannot allocate the readout of both "
                                          "directions (%d x %d steps)",
                          B, T);
    return LSNN_OK;
}

/* xbatch <- both directions' inputs: b's channels, then the same reversed over the extent. */
static void lsnn__bidir_inputs(lsnn_trainer *tr, const lsnn_batch *b)
{
    lsnn_batch *xb = &tr->xbatch;
    const int T = b->T, n_in = b->n_in;
    xb->B = b->B;
    xb->noise_key = b->noise_key;
    for (int q = 0; q < b->B; q++) {
        const int L = tr->extent[q] = lsnn__extent(b, q);
        for (int t = 0; t < T; t++) {
            lsnn_real *dst = xb->x + ((size_t)q * T + t) * 2 * n_in;
            memcpy(dst, b->x + ((size_t)q * T + t) * n_in, sizeof(lsnn_real) * n_in);
            memcpy(dst + n_in, b->x + ((size_t)q * T + lsnn__rev(t, L)) * n_in,
                   sizeof(lsnn_real) * n_in);
        }
    }
}

static lsnn_status bi_forward(lsnn_trainer *tr, const lsnn_batch *b, lsnn_trace *trace)
{
    lsnn__bidir_inputs(tr, b);
    lsnn_status st = lsnn_sim_forward(tr->sim, &tr->net, &tr->xbatch, tr->y2, tr->count, trace);
    if (st)
        return st;
    const int T = b->T, no = b->n_out;
    if (trace) { /* direction 1's traces of sequence 0 back into the task's time order */
        const int n = tr->net.n, L = tr->extent[0];
        lsnn_real *arr[3] = {trace->v, trace->thr, trace->z};
        for (int a = 0; a < 3; a++)
            for (int t = 0; t < L / 2; t++)
                for (int j = n / 2; j < n; j++) {
                    lsnn_real *p = arr[a] + (size_t)t * n + j;
                    lsnn_real *q = arr[a] + (size_t)(L - 1 - t) * n + j;
                    lsnn_real tmp = *p;
                    *p = *q;
                    *q = tmp;
                }
    }
    for (int q = 0; q < b->B; q++)
        for (int t = 0; t < T; t++) {
            const lsnn_real *y0 = tr->y2 + ((size_t)q * T + t) * 2 * no;
            const lsnn_real *y1 = tr->y2 + ((size_t)q * T + lsnn__rev(t, tr->extent[q])) * 2 * no;
            lsnn_real *y = tr->y + ((size_t)q * T + t) * no;
            for (int k = 0; k < no; k++)
                y[k] = y0[k] + y1[no + k];
        }
    return LSNN_OK;
}

static lsnn_status bi_backward(lsnn_trainer *tr, const lsnn_batch *b, const lsnn_real *gz,
                               lsnn_real *grad)
{
    /* dL/dy0(t) = dL/dy(t), dL/dy1(s) = dL/dy(pi(s)); y2 is free after the forward pass. */
    const int T = b->T, no = b->n_out;
    for (int q = 0; q < b->B; q++)
        for (int t = 0; t < T; t++) {
            lsnn_real *g2 = tr->y2 + ((size_t)q * T + t) * 2 * no;
            const lsnn_real *g0 = tr->gy + ((size_t)q * T + t) * no;
            const lsnn_real *g1 = tr->gy + ((size_t)q * T + lsnn__rev(t, tr->extent[q])) * no;
            memcpy(g2, g0, sizeof(lsnn_real) * no);
            memcpy(g2 + no, g1, sizeof(lsnn_real) * no);
        }
    return lsnn_bptt_backward(tr->sim, &tr->net, &tr->xbatch, tr->y2, gz, grad);
}

static void bi_free(lsnn_trainer *tr)
{
    lsnn_batch_free(&tr->xbatch);
    free(tr->y2);
    free(tr->extent);
    spk_free(tr);
}

/* ------------------------------------------------------------------------------------------ */
/* The non-spiking baselines */

static lsnn_status ann_init(lsnn_trainer *tr)
{
    lsnn_ann_kind kind;
    lsnn_status st = lsnn_ann_kind_parse(tr->cfg.model, &kind);
    if (st || (st = lsnn_ann_init(&tr->ann, kind, tr->shape.n_in, tr->cfg.network.n_hidden,
                                  tr->shape.n_out, tr->cfg.seed)))
        return st;
    tr->params = tr->ann.params;
    tr->n_params = tr->ann.n_params;
    tr->n_units = tr->ann.n_hidden;
    return LSNN_OK;
}

static lsnn_status ann_prepare(lsnn_trainer *tr)
{
    lsnn_status st = LSNN_OK;
    if (!tr->aw)
        tr->aw = lsnn_ann_work_create(&tr->ann, tr->cfg.batch_size, tr->shape.T, &st);
    return st;
}

static lsnn_status ann_forward(lsnn_trainer *tr, const lsnn_batch *b, lsnn_trace *trace)
{
    (void)trace;
    return lsnn_ann_forward(tr->aw, &tr->ann, b, tr->y);
}

static lsnn_status ann_backward(lsnn_trainer *tr, const lsnn_batch *b, const lsnn_real *gz,
                                lsnn_real *grad)
{
    (void)gz;
    return lsnn_ann_backward(tr->aw, &tr->ann, b, tr->gy, grad);
}

static void ann_free(lsnn_trainer *tr)
{
    lsnn_ann_work_free(tr->aw);
    lsnn_ann_free(&tr->ann);
}

static lsnn_status ann_save(const lsnn_trainer *tr, const char *path)
{
    return lsnn_checkpoint_save_ann(path, &tr->cfg, &tr->ann, &tr->opt, tr->iteration);
}

static lsnn_status ann_load(lsnn_trainer *tr, const char *path, lsnn_optim *opt)
{
    return lsnn_checkpoint_load_ann(path, &tr->ann, opt, &tr->iteration);
}

static size_t ann_count(const lsnn_trainer *tr, int active_only)
{
    (void)active_only;
    return tr->ann.n_params;
}

static void ann_trainable(const lsnn_trainer *tr, uint8_t *mask)
{
    lsnn_ann_trainable_mask(&tr->ann, mask);
}

/* ------------------------------------------------------------------------------------------ */

static const lsnn_model_ops lsnn__models[] = {
    {"lsnn", 1, spk_init, spk_prepare, spk_forward, spk_backward, spk_free, spk_save, spk_load,
     spk_count, spk_trainable, spk_episode_begin, spk_episode_step, spk_episode_end,
     spk_episode_run},
    {"lstm", 0, ann_init, ann_prepare, ann_forward, ann_backward, ann_free, ann_save, ann_load,
     ann_count, ann_trainable, NULL, NULL, NULL, NULL},
    {"rnn", 0, ann_init, ann_prepare, ann_forward, ann_backward, ann_free, ann_save, ann_load,
     ann_count, ann_trainable, NULL, NULL, NULL, NULL},
};
#define LSNN__N_MODELS (int)(sizeof lsnn__models / sizeof lsnn__models[0])

/* Not in the table of names: the spiking model with network.bidirectional. */
static const lsnn_model_ops lsnn__bidir = {
    "lsnn", 1, spk_init, bi_prepare, bi_forward, bi_backward, bi_free, spk_save, spk_load,
    spk_count, spk_trainable, NULL, NULL, NULL, NULL};

const lsnn_model_ops *lsnn_model_at(int i)
{
    return i >= 0 && i < LSNN__N_MODELS ? &lsnn__models[i] : NULL;
}

const lsnn_model_ops *lsnn_model_find(const char *name, int bidirectional)
{
    for (int i = 0; i < LSNN__N_MODELS; i++)
        if (strcmp(lsnn__models[i].name, name) == 0)
            return lsnn__models[i].spiking && bidirectional ? &lsnn__bidir : &lsnn__models[i];
    return NULL;
}

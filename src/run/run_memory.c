/* The memory a config needs, estimated before anything is allocated (see lsnn/run.h).
 *
 * The figures follow the allocations of lsnn_net_init (src/net/network.c), lsnn_sim_create
 * (lsnn__sim_layout, src/net/sim.c), lsnn_eprop_create (ep_layout, src/learn/eprop.c), the ANN
 * workspaces (lsnn_ann_work_bytes) and lsnn_trainer_init: when those layouts change, this file
 * must follow (tests/cli/run_faults.sh checks the estimate against the peak RSS of a run). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lsnn/config_map.h"
#include "lsnn/neuron.h"
#include "lsnn/ann.h"
#include "lsnn/run.h"
#include "lsnn/sim.h"
#include "lsnn/task.h"

typedef struct lsnn__mem {
    double net, opt, batch, work, init_tmp; /* bytes */
} lsnn__mem;

/* The sizes of a spiking network built from cfg for a task of n_in inputs and n_out outputs. */
typedef struct lsnn__net_size {
    double n, n_in, n_out, proj, n_params, m, R;
    int masked;
} lsnn__net_size;

static lsnn__net_size lsnn__net_size_of(const lsnn_config *cfg, int n_in, int n_out)
{
    const lsnn_network_config *nc = &cfg->network;
    /* A graph network is estimated as one layer of all its neurons with an input and a
     * recurrent projection (its usual shape; the bound is what matters). */
    const int graph = nc->populations[0] != 0;
    const double dirs = nc->bidirectional && !graph ? 2 : 1;
    const double m = graph ? (double)lsnn_config_neurons(nc) : (double)nc->n_regular + nc->n_adaptive;
    const double layers = nc->layers > 0 && !graph ? nc->layers : 1;
    lsnn__net_size s;
    s.m = m;
    s.n = layers * m * dirs;
    s.n_in = n_in * dirs;
    s.n_out = n_out * dirs;
    /* w_in and w_rec per direction; w_ff and w_rec of each further layer */
    s.proj = dirs * (n_in * m + m * m) + (layers - 1) * 2 * m * m;
    s.n_params = s.proj + s.n * s.n_out + s.n_out + s.n;
    s.masked = nc->connectivity < 1 || dirs > 1;
    s.R = nc->max_delay + 1;
    return s;
}

/* lsnn__sim_layout for batches of B sequences of T steps, plus the records when they fit (with
 * noise != 0 those of the noise draws too, when both fit). */
static double lsnn__sim_bytes(const lsnn__net_size *s, int B, int T, int ch_size, int records,
                              int noise, double records_max)
{
    const double rs = sizeof(lsnn_real);
    const double CH = ch_size ? (ch_size < B ? ch_size : B) : lsnn_chunk_size(B);
    const double nch = (B + CH - 1) / (int)CH, n = s->n, no = s->n_out, R = s->R;
    double K = 1;
    while (K * K < T)
        K++;
    const double ncp = (int)((T + K - 1) / K);
    const double cp_reals = CH * n * (3 + R) + CH * no;
    const double CHP = ((int)CH + 7) / 8 * 8;
    double chunk = rs * CH * n * 7 + CH * n + rs * R * CH * n * 2 + rs * CH * no * 2 +
                   rs * ncp * cp_reals + ncp * CH * n * (1 + rs) + rs * K * CH * n * 4 +
                   rs * no * n + rs * s->n_params + 8 * n + 4 * (n > s->n_in ? n : s->n_in) +
                   4 * CH * n + 4 * CH;
    double global = 0;
    if (s->masked || R > 1) /* gIT: the sparse adjoint, or the dense one with delays */
        chunk += 2 * rs * R * n * CHP;
    if (s->masked) {
        chunk += rs * s->proj;
        global += (rs + 1) * s->proj;
    }
    if (rs == 4 && R > 2 && R <= 9 && CH <= 8) {
        /* the delayed adjoint by permutation: the recurrent weights and delays transposed (the
         * sources padded to a multiple of 8), and per chunk dL/dI at the delays */
        global += (rs + 1) * (s->proj - s->n_in * s->m) * (1 + 8 / s->m);
        chunk += rs * n * CH * 8;
    }
    double rec = rs * nch * T * CH * n;
    if (noise && 2 * rec <= records_max)
        rec *= 2;
    return nch * chunk + global + (records && rec <= records_max ? rec : 0);
}

/* ep_layout (and its one-step simulation workspace). */
static double lsnn__eprop_bytes(const lsnn__net_size *s, int B)
{
    const double rs = sizeof(lsnn_real), CH = lsnn_chunk_size(B);
    const double nch = (B + CH - 1) / (int)CH, n = s->n, R = s->R;
    const double CHP = ((int)CH + 7) / 8 * 8;
    const double chunk = 4 * rs * CHP * s->proj + rs * CH * n * (4 + 12 + R + 3) + 8 * CH * n +
                         16 * n + rs * s->n_params + 7 * rs * n * CHP + rs * R * n * CHP +
                         rs * R * s->n_in * CHP + 8 * CH;
    return nch * chunk + 3 * rs * n * s->n_out + n + lsnn__sim_bytes(s, B, 1, 0, 0, 0, 0);
}

static void lsnn__lsnn_mem(const lsnn_config *cfg, const lsnn_task_shape *sh, lsnn__mem *m)
{
    const double rs = sizeof(lsnn_real), B = cfg->batch_size, T = sh->T;
    const lsnn__net_size s = lsnn__net_size_of(cfg, sh->n_in, sh->n_out);
    m->net = rs * (s.n_params + 12 * s.n) + s.n + s.n_in;
    if (s.masked)
        m->net += 5 * s.proj + s.n * s.n_out;
    if (cfg->network.max_delay > 1)
        m->net += s.proj;
    if (strcmp(cfg->network.init, "signed") == 0) /* spectral radius of an (m, m) matrix */
        m->init_tmp = 9 * s.m * s.m;
    m->opt = (strcmp(cfg->optim.name, "adam") == 0 ? 2 : 0) * rs * s.n_params;
    m->opt += rs * s.n_params + s.n_params + rs * s.n + 8 * s.n; /* grad, mask, gz, count */
    if (cfg->deepr.enabled)
        m->opt += 8 * s.proj;
    const int eprop = strcmp(cfg->learning, "eprop") == 0;
    const lsnn_task *task = lsnn_task_find(cfg->task);
    if (eprop && task && task->streamed && T > 256)
        m->batch = rs * B * (256 + cfg->network.max_delay - 1) * sh->n_in;
    else
        m->batch = rs * B * T * sh->n_in;
    if (sh->loss == LSNN_LOSS_MSE)
        m->batch += rs * B * T * (sh->n_out + 1);
    m->batch += B * (sh->max_windows + 1) * (12 + 4 + rs * sh->n_out);
    if (eprop) {
        m->work = lsnn__eprop_bytes(&s, cfg->batch_size);
        return;
    }
    /* Records of the forward pass when the model can replay them (network.neuron; for a graph
     * network of other models too, an upper bound). */
    const lsnn_neuron_model *nm =
        lsnn_neuron_model_find(cfg->network.neuron[0] ? cfg->network.neuron : "alif");
    const int replay = nm && nm->replay;
    m->work = lsnn__sim_bytes(&s, cfg->batch_size, sh->T, cfg->chunk, replay,
                              cfg->network.noise_std > 0,
                              (double)cfg->bptt_records_mb * 1e6);
    m->work += 2 * rs * B * T * sh->n_out; /* y, gy */
    if (cfg->network.bidirectional)      /* both directions' inputs and readouts */
        m->work += rs * B * T * (2.0 * sh->n_in + 2.0 * sh->n_out);
}

static lsnn_status lsnn__ann_mem(const lsnn_config *cfg, const lsnn_task_shape *sh,
                                 lsnn__mem *m)
{
    lsnn_ann a;
    memset(&a, 0, sizeof a);
    lsnn_status st = lsnn_ann_kind_parse(cfg->model, &a.kind);
    if (st)
        return st;
    const double rs = sizeof(lsnn_real), B = cfg->batch_size, T = sh->T;
    a.n_in = sh->n_in;
    a.n_hidden = cfg->network.n_hidden;
    a.n_out = sh->n_out;
    a.n_gates = a.kind == LSNN_ANN_LSTM ? 4 : 1;
    a.n_params = lsnn_ann_count_params(a.kind, a.n_in, a.n_hidden, a.n_out);
    const double np = (double)a.n_params;
    m->net = rs * np;
    m->init_tmp = 8.0 * a.n_hidden * a.n_hidden; /* orthogonal initialisation */
    m->opt = (strcmp(cfg->optim.name, "adam") == 0 ? 3 : 1) * rs * np + np;
    m->batch = rs * B * T * sh->n_in + B * (sh->max_windows + 1) * (16 + rs * sh->n_out);
    if (sh->loss == LSNN_LOSS_MSE)
        m->batch += rs * B * T * (sh->n_out + 1);
    m->work = (double)lsnn_ann_work_bytes(&a, cfg->batch_size, sh->T) + 2 * rs * B * T * sh->n_out;
    return LSNN_OK;
}

static lsnn_status lsnn__estimate(const lsnn_config *cfg, lsnn__mem *m)
{
    memset(m, 0, sizeof *m);
    const lsnn_task *task = lsnn_task_find(cfg->task);
    if (!task)
        return lsnn_error(LSNN_ERR_CONFIG, "task: unknown task '%s'", cfg->task);
    lsnn_task_shape sh;
    lsnn_status st = task->shape(cfg, &sh);
    if (st)
        return st;
    if (strcmp(cfg->model, "lsnn") != 0)
        return lsnn__ann_mem(cfg, &sh, m);
    lsnn__lsnn_mem(cfg, &sh, m);
    return LSNN_OK;
}

static double lsnn__total(const lsnn__mem *m)
{
    const double steady = m->net + m->opt + m->batch + m->work;
    const double at_init = m->net + m->init_tmp;
    return steady > at_init ? steady : at_init;
}

lsnn_status lsnn_config_memory_estimate(const lsnn_config *cfg, size_t *bytes)
{
    lsnn__mem m;
    lsnn_status st = lsnn__estimate(cfg, &m);
    if (st)
        return st;
    const double t = lsnn__total(&m);
    *bytes = t >= (double)SIZE_MAX ? SIZE_MAX : (size_t)t;
    return LSNN_OK;
}

size_t lsnn_memory_default_limit(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return SIZE_MAX;
    const double b = 0.8 * (double)pages * (double)page;
    return b >= (double)SIZE_MAX ? SIZE_MAX : (size_t)b;
}

/* "1.5 GB", "320 MB" */
static void lsnn__fmt_bytes(double b, char *buf, size_t cap)
{
    if (b >= 1e9)
        snprintf(buf, cap, "%.1f GB", b / 1e9);
    else
        snprintf(buf, cap, "%.0f MB", b / 1e6);
}

lsnn_status lsnn_config_check_memory(const lsnn_config *cfg, size_t limit, size_t *estimate)
{
    lsnn__mem m;
    lsnn_status st = lsnn__estimate(cfg, &m);
    if (st)
        return st;
    const double t = lsnn__total(&m);
    if (estimate)
        *estimate = t >= (double)SIZE_MAX ? SIZE_MAX : (size_t)t;
    const int dflt = limit == 0;
    if (dflt)
        limit = lsnn_memory_default_limit();
    if (limit == SIZE_MAX || t <= (double)limit)
        return LSNN_OK;
    char tot[32], lim[32], net[32], opt[32], work[32], batch[32];
    lsnn__fmt_bytes(t, tot, sizeof tot);
    lsnn__fmt_bytes((double)limit, lim, sizeof lim);
    lsnn__fmt_bytes(m.net, net, sizeof net);
    lsnn__fmt_bytes(m.opt, opt, sizeof opt);
    lsnn__fmt_bytes(m.work, work, sizeof work);
    lsnn__fmt_bytes(m.batch, batch, sizeof batch);
    return lsnn_error(LSNN_ERR_RANGE,
                      "training needs about %s (network %s, optimizer and gradients %s, "
                      "workspace of the learning rule %s, batch %s), more than the limit of %s%s; "
                      "%lld neurons (network.n_regular = %d, network.n_adaptive = %d or "
                      "network.populations), batch_size = %d",
                      tot, net, opt, work, batch, lim,
                      dflt ? " (80% of the physical memory)" : "",
                      lsnn_config_neurons(&cfg->network), cfg->network.n_regular,
                      cfg->network.n_adaptive, cfg->batch_size);
}

/* Step-wise (closed-loop) forward pass and snapshots of the network state (see lsnn/sim.h).
 *
 * lsnn_sim_begin/step/end split lsnn_sim_forward (src/net/sim.c) at its step loop: the same
 * reset, the same per-chunk step (lsnn__chunk_advance: checkpoint at t % K == 0, step, record of
 * v) and the same reduction of the spike counts in chunk order, so results are bit-identical to
 * the whole pass. Only the loop order differs: steps outside, chunks inside, in parallel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/sim.h"
#include "net/sim_internal.h"

/* Spike counts of the episode's chunks, summed in chunk order (as lsnn_sim_forward does). */
static void lsnn__sum_counts(const lsnn_sim *sim, int nch, double *spike_count)
{
    const int n = sim->n;
    memset(spike_count, 0, sizeof(double) * n);
    for (int ci = 0; ci < nch; ci++)
        for (int j = 0; j < n; j++)
            spike_count[j] += sim->ch[ci].count[j];
}

lsnn_status lsnn_sim_begin(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch)
{
    lsnn_status st = lsnn__sim_check(sim, net, batch, "simulation begin");
    if (st)
        return st;
    const int nch = (batch->B + sim->CH - 1) / sim->CH;
    sim->ep_id++;
    sim->ep_batch = sim->ep_last_batch = batch;
    sim->ep_next = 0;
    sim->ep_nch = nch;
    sim->ep_record = sim->rec_mem && sim->recording;
    sim->ep_noise = lsnn__net_has_noise(net);
    /* No BPTT until lsnn_sim_end: the checkpoints and records are being rewritten. */
    sim->fwd_batch = NULL;
    sim->rec_valid = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int ci = 0; ci < nch; ci++) {
        lsnn__chunk_reset(sim, &sim->ch[ci]);
        memset(sim->ch[ci].count, 0, sizeof(double) * sim->n);
    }
    lsnn__sparse_pack(sim, net);
    return LSNN_OK;
}

lsnn_status lsnn_sim_step(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch, int t,
                          lsnn_real *y, double *spike_count)
{
    if (!sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG,
                          "simulation step %d: no episode is open (lsnn_sim_begin starts one; "
                          "lsnn_sim_forward and lsnn_sim_end close it)",
                          t);
    if (batch != sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG,
                          "simulation step %d: the batch is not the one given to lsnn_sim_begin",
                          t);
    if (net->n != sim->n || net->n_out != sim->n_out || net->n_in != batch->n_in)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "simulation step %d: network (%d neurons, %d in, %d out) does not fit "
                          "the workspace (%d neurons, %d out) or the batch (%d in)",
                          t, net->n, net->n_in, net->n_out, sim->n, sim->n_out, batch->n_in);
    if (t != sim->ep_next || t >= sim->T) {
        if (sim->ep_next == sim->T)
            return lsnn_error(LSNN_ERR_ARG,
                              "simulation step %d: all %d steps have run (lsnn_sim_end closes the "
                              "episode)",
                              t, sim->T);
        return lsnn_error(LSNN_ERR_ARG,
                          "simulation step %d: steps run in order 0..%d, the next is step %d", t,
                          sim->T - 1, sim->ep_next);
    }
    /* lsnn_sim_end and lsnn_bptt_backward drop the packed weights; a restored episode packs them
     * again here (the network is unchanged, so the same values). */
    if (!sim->packed)
        lsnn__sparse_pack(sim, net);
    const int nch = sim->ep_nch, has_noise = sim->ep_noise, record = sim->ep_record;
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1)
    for (int ci = 0; ci < nch; ci++) {
        const int g0 = ci * sim->CH;
        const int bc = batch->B - g0 < sim->CH ? batch->B - g0 : sim->CH;
        lsnn__chunk_advance(sim, net, &sim->ch[ci], batch, g0, bc, t, y, has_noise, record);
    }
    sim->ep_next = t + 1;
    if (spike_count)
        lsnn__sum_counts(sim, nch, spike_count);
    return LSNN_OK;
}

lsnn_status lsnn_sim_spikes(const lsnn_sim *sim, int g, lsnn_real *z)
{
    if (!sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG, "simulation spikes: no episode is open (lsnn_sim_begin "
                                        "starts one)");
    if (g < 0 || g >= sim->ep_batch->B)
        return lsnn_error(LSNN_ERR_ARG, "simulation spikes: sequence %d is outside the batch of "
                                        "%d sequences",
                          g, sim->ep_batch->B);
    const lsnn__chunk *c = &sim->ch[g / sim->CH];
    memcpy(z, c->z + (size_t)(g % sim->CH) * sim->n, sizeof(lsnn_real) * sim->n);
    return LSNN_OK;
}

lsnn_status lsnn_sim_end(lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                         double *spike_count)
{
    if (!sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG, "simulation end: no episode is open (lsnn_sim_begin "
                                        "starts one)");
    if (batch != sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG,
                          "simulation end: the batch is not the one given to lsnn_sim_begin");
    if (net->n != sim->n || net->n_out != sim->n_out)
        return lsnn_error(LSNN_ERR_SHAPE,
                          "simulation end: network (%d neurons, %d out) does not fit the "
                          "workspace (%d neurons, %d out)",
                          net->n, net->n_out, sim->n, sim->n_out);
    if (sim->ep_next != sim->T)
        return lsnn_error(LSNN_ERR_ARG,
                          "simulation end: %d of %d steps have run (lsnn_sim_step up to step %d "
                          "first)",
                          sim->ep_next, sim->T, sim->T - 1);
    /* What lsnn_sim_forward does after its loop. */
    sim->packed = 0;
    sim->rec_valid = sim->ep_record;
    if (spike_count)
        lsnn__sum_counts(sim, sim->ep_nch, spike_count);
    sim->fwd_batch = batch;
    sim->ep_batch = NULL; /* ep_last_batch stays, for lsnn_sim_restore */
    return LSNN_OK;
}

/* Closes the episode without lsnn_sim_end and invalidates its snapshots. */
static void lsnn__episode_abandon(lsnn_sim *sim)
{
    sim->ep_batch = sim->ep_last_batch = NULL;
    sim->ep_id++;
    sim->packed = 0;
}

lsnn_status lsnn_sim_run_closed_loop(lsnn_sim *sim, const lsnn_net *net, lsnn_batch *batch,
                                     lsnn_sim_env_fn env, void *ctx, lsnn_real *y,
                                     double *spike_count)
{
    if (!env || !y)
        return lsnn_error(LSNN_ERR_ARG, "closed loop: the %s is NULL",
                          !env ? "environment function" : "readout y (B, T, n_out)");
    lsnn_status st = lsnn_sim_begin(sim, net, batch);
    if (st)
        return st;
    const int B = batch->B, T = batch->T, n_in = batch->n_in, n_out = batch->n_out;
    lsnn_real *y_prev = malloc(sizeof(lsnn_real) * (size_t)B * n_out);
    lsnn_real *x_t = malloc(sizeof(lsnn_real) * (size_t)B * n_in);
    if (!y_prev || !x_t) {
        free(y_prev);
        free(x_t);
        lsnn__episode_abandon(sim);
        return lsnn_error(LSNN_ERR_NOMEM, "closed loop: cannot allocate the step buffers (%d x %d "
                                          "inputs, %d x %d outputs)",
                          B, n_in, B, n_out);
    }
    for (int t = 0; t < T && !st; t++) {
        for (int g = 0; g < B && t > 0; g++)
            memcpy(y_prev + (size_t)g * n_out, y + ((size_t)g * T + (t - 1)) * n_out,
                   sizeof(lsnn_real) * n_out);
        for (int g = 0; g < B; g++)
            memcpy(x_t + (size_t)g * n_in, lsnn_batch_x(batch, g, t), sizeof(lsnn_real) * n_in);
        lsnn_error_clear();
        st = env(ctx, t, t > 0 ? y_prev : NULL, x_t);
        if (st) {
            char where[48];
            snprintf(where, sizeof where, "closed loop: step %d", t);
            if (lsnn_last_error()[0])
                lsnn_error_prefix(where);
            else
                lsnn_error(st, "%s: the environment returned %d (%s)", where, (int)st,
                           lsnn_strerror(st));
            lsnn__episode_abandon(sim);
            break;
        }
        for (int g = 0; g < B; g++)
            memcpy(batch->x + ((size_t)g * T + t) * n_in, x_t + (size_t)g * n_in,
                   sizeof(lsnn_real) * n_in);
        st = lsnn_sim_step(sim, net, batch, t, y, NULL);
        if (st)
            lsnn__episode_abandon(sim);
    }
    free(y_prev);
    free(x_t);
    if (st)
        return st;
    return lsnn_sim_end(sim, net, batch, spike_count);
}

lsnn_status lsnn_sim_run_sequences(lsnn_sim *sim, const lsnn_net *net, lsnn_batch *batch,
                                   lsnn_sim_seq_fn fn, void *ctx, lsnn_real *y,
                                   double *spike_count)
{
    if (!fn || !y)
        return lsnn_error(LSNN_ERR_ARG, "closed loop: the %s is NULL",
                          !fn ? "sequence function" : "readout y (B, T, n_out)");
    lsnn_status st = lsnn_sim_begin(sim, net, batch);
    if (st)
        return st;
    const int nch = sim->ep_nch, has_noise = sim->ep_noise, record = sim->ep_record;
    const int T = sim->T;
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1)
    for (int ci = 0; ci < nch; ci++) {
        const int g0 = ci * sim->CH;
        const int bc = batch->B - g0 < sim->CH ? batch->B - g0 : sim->CH;
        for (int t = 0; t < T; t++) {
            fn(ctx, LSNN_SEQ_BEFORE, g0, bc, t);
            lsnn__chunk_advance(sim, net, &sim->ch[ci], batch, g0, bc, t, y, has_noise, record);
            fn(ctx, LSNN_SEQ_AFTER, g0, bc, t);
        }
    }
    sim->ep_next = T;
    return lsnn_sim_end(sim, net, batch, spike_count);
}

/* Snapshots. Per chunk: v, b, z, ref (CH, n), ring (R, CH, n), yw (CH, n_out) as reals, count (n)
 * as doubles, hard (CH, n) as bytes; whole chunks, so that the rows of a last, partial chunk
 * (never stepped, zero) are copied too. */
struct lsnn_sim_state {
    const lsnn_sim *sim;
    uint64_t ep_id;
    int t;                     /* next step of the snapshot; -1: none taken */
    int nch;                   /* chunks held */
    int CH, n, R, n_out;       /* shape, for lsnn_sim_state_equal */
    size_t chunk_bytes;
    unsigned char *data;       /* (sim->nchunks, chunk_bytes) */
};

static size_t lsnn__state_chunk_bytes(const lsnn_sim *sim)
{
    const size_t CHn = (size_t)sim->CH * sim->n;
    return sizeof(lsnn_real) * (CHn * (4 + (size_t)sim->R + (size_t)sim->n_aux) +
                                (size_t)sim->CH * sim->n_out) +
           sizeof(double) * (size_t)sim->n + CHn;
}

/* Copies the live state of chunk c to (save != 0) or from p. */
static void lsnn__state_copy(const lsnn_sim *sim, lsnn__chunk *c, unsigned char *p, int save)
{
    const size_t CHn = (size_t)sim->CH * sim->n, rs = sizeof(lsnn_real);
    struct {
        void *live;
        size_t bytes;
    } part[] = {
        {c->v, rs * CHn},
        {c->b, rs * CHn},
        {c->z, rs * CHn},
        {c->ref, rs * CHn},
        {c->ring, rs * CHn * sim->R},
        {c->yw, rs * sim->CH * sim->n_out},
        {c->count, sizeof(double) * sim->n},
        {c->hard, CHn},
        {c->aux, rs * CHn * (size_t)sim->n_aux}, /* NULL and 0 bytes without such models */
    };
    for (size_t k = 0; k < sizeof part / sizeof part[0]; k++) {
        if (part[k].bytes == 0)
            continue;
        if (save)
            memcpy(p, part[k].live, part[k].bytes);
        else
            memcpy(part[k].live, p, part[k].bytes);
        p += part[k].bytes;
    }
}

lsnn_sim_state *lsnn_sim_state_create(const lsnn_sim *sim, lsnn_status *status)
{
    lsnn_status dummy;
    if (!status)
        status = &dummy;
    lsnn_sim_state *s = calloc(1, sizeof *s);
    const size_t cb = lsnn__state_chunk_bytes(sim);
    if (s)
        s->data = malloc(cb * (size_t)sim->nchunks);
    if (!s || !s->data) {
        free(s);
        *status = lsnn_error(LSNN_ERR_NOMEM, "snapshot: cannot allocate %.1f MB for the state",
                             cb * (double)sim->nchunks / 1e6);
        return NULL;
    }
    s->sim = sim;
    s->t = -1;
    s->CH = sim->CH;
    s->n = sim->n;
    s->R = sim->R;
    s->n_out = sim->n_out;
    s->chunk_bytes = cb;
    *status = LSNN_OK;
    return s;
}

void lsnn_sim_state_free(lsnn_sim_state *state)
{
    if (!state)
        return;
    free(state->data);
    free(state);
}

lsnn_status lsnn_sim_snapshot(const lsnn_sim *sim, lsnn_sim_state *state)
{
    if (state->sim != sim)
        return lsnn_error(LSNN_ERR_ARG, "snapshot: the state was created for another workspace");
    if (!sim->ep_batch)
        return lsnn_error(LSNN_ERR_ARG, "snapshot: no episode is open (a snapshot is taken "
                                        "between lsnn_sim_begin and lsnn_sim_end)");
    for (int ci = 0; ci < sim->ep_nch; ci++)
        lsnn__state_copy(sim, &sim->ch[ci], state->data + (size_t)ci * state->chunk_bytes, 1);
    state->ep_id = sim->ep_id;
    state->t = sim->ep_next;
    state->nch = sim->ep_nch;
    return LSNN_OK;
}

lsnn_status lsnn_sim_restore(lsnn_sim *sim, const lsnn_sim_state *state)
{
    if (state->sim != sim)
        return lsnn_error(LSNN_ERR_ARG, "restore: the state was created for another workspace");
    if (state->t < 0)
        return lsnn_error(LSNN_ERR_ARG, "restore: the state holds no snapshot");
    if (state->ep_id != sim->ep_id || !sim->ep_last_batch)
        return lsnn_error(LSNN_ERR_ARG,
                          "restore: the snapshot (step %d) belongs to an earlier episode: a later "
                          "lsnn_sim_begin or lsnn_sim_forward has overwritten its checkpoints",
                          state->t);
    for (int ci = 0; ci < state->nch; ci++)
        lsnn__state_copy(sim, &sim->ch[ci], state->data + (size_t)ci * state->chunk_bytes, 0);
    sim->ep_batch = sim->ep_last_batch;
    sim->ep_next = state->t;
    /* The checkpoints and records of steps >= t are rewritten before BPTT may run again. */
    sim->fwd_batch = NULL;
    sim->rec_valid = 0;
    return LSNN_OK;
}

int lsnn_sim_state_step(const lsnn_sim_state *state)
{
    return state->t;
}

int lsnn_sim_state_equal(const lsnn_sim_state *a, const lsnn_sim_state *b)
{
    if (a->t != b->t || a->CH != b->CH || a->n != b->n || a->R != b->R || a->n_out != b->n_out)
        return 0;
    if (a->t < 0)
        return 1;
    return a->nch == b->nch &&
           memcmp(a->data, b->data, a->chunk_bytes * (size_t)a->nch) == 0;
}

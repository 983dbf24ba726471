/* Internal layout of the simulation workspace, shared by the forward pass (src/net/sim.c) and
 * BPTT (src/learn/bptt.c). Not part of the public API. */
#ifndef LSNN_SIM_INTERNAL_H
#define LSNN_SIM_INTERNAL_H

#include <string.h>

#include "lsnn/sim.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* One chunk of at most CH sequences. State arrays are (CH, n) row-major. */
typedef struct lsnn__chunk {
    lsnn_real *v, *b, *z;      /* live state */
    lsnn_real *aux;            /* (n_aux, CH, n) further state of models with n_aux > 0, or NULL */
    uint8_t *hard;
    lsnn_real *ref;
    lsnn_real *ring;           /* (R, CH, n) synaptic current arriving at step t in slot t % R */
    lsnn_real *yw;             /* (CH, n_out) filtered readout without bias */
    lsnn_real *cp;             /* (ncp, cp_reals) checkpoints of v, b, z, ring, yw, aux */
    uint8_t *cp_hard;          /* (ncp, CH, n) */
    lsnn_real *cp_ref;         /* (ncp, CH, n) */
    lsnn_real *rec_v, *rec_b, *rec_z; /* (K, CH, n) one recomputed segment */
    lsnn_real *rec_ref;        /* (K, CH, n) */
    lsnn_real *gv, *gb, *gz;   /* (CH, n) adjoints */
    lsnn_real *gI;             /* (R, CH, n) dL/dI(t) for the last R steps */
    lsnn_real *gyw;            /* (CH, n_out) */
    lsnn_real *w_out_t;        /* (n_out, n) W_out transposed, for the readout adjoint */
    lsnn_real *grad;           /* (n_params) this chunk's gradient */
    double *count;             /* (n) this chunk's spike counts */
    int *idx;                  /* (max(n, n_in)) scratch list of non-zero entries */
    int *zl;                   /* (CH, n) BPTT: the spiking neurons of each sequence at the
                                * step being differentiated, in increasing order */
    int *zn;                   /* (CH) their numbers */
    lsnn_real *gIT;            /* (2R, n, CHP) gI transposed, for the sparse adjoint and the
                                * dense one with delays: slot t % R, and the same again at
                                * t % R + R so that slot t % R + d needs no wrap; NULL when
                                * sp_cap == 0 and !dl_dense */
    lsnn_real *sp_g;           /* (sp_cap) weight gradients of the sparse projections, packed as
                                * sp_w; NULL when sp_cap == 0 */
    lsnn_real *recv;           /* (T, CH, n) membrane potentials of every step of the forward
                                * pass, or NULL (lsnn_sim_enable_records) */
    lsnn_real *recn;           /* (T, CH, n) the current noise of every step (the normal draws,
                                * before noise_std), recorded with recv when the network has
                                * noise, so that BPTT need not draw them again; or NULL */
    lsnn_real *dl_G;           /* (dl_nd_max, CH, 8) the dL/dI of each target at the delays of
                                * the step, by sequence (lsnn__dl_adjoint_perm), or NULL */
    lsnn_real *noise_out;      /* where lsnn__chunk_step writes the noise draws of its step
                                * (recn at t), or NULL: set by lsnn__chunk_advance */
} lsnn__chunk;

struct lsnn_sim {
    int Bmax, T, n, n_in, n_out, n_params;
    int CH;                    /* sequences per chunk (lsnn_chunk_size(Bmax)) */
    int CHP;                   /* CH rounded up to a multiple of LSNN__SPB */
    int R;                     /* ring length: max_delay + 1 */
    int K;                     /* steps between checkpoints */
    int ncp;                   /* checkpoints per sequence */
    int nchunks;
    int cut_recurrent;         /* see lsnn_sim_set_cut_recurrent */
    int dl_dense;              /* a recurrent projection has delays: BPTT's adjoint reads the
                                * transposed gIT (c->gIT allocated) */
    /* The delayed adjoint by permutation (src/learn/bptt.c, lsnn__dl_adjoint_perm; float build,
     * chunks of at most 8 sequences, at most 8 distinct delays): per recurrent delayed
     * projection p with dl_off[p] != SIZE_MAX, its weights in blocks of 8 sources, target by
     * target ((block n_dst + j) 8 + source % 8), in dl_wT + dl_off[p], and its delays minus
     * min_delay in dl_dT + dl_off[p], the sources padded to dl_ns8[p] (a multiple of 8) with
     * weight 0; filled at the start of every lsnn_bptt_backward. */
    int dl_perm;
    lsnn_real *dl_wT;
    uint8_t *dl_dT;
    size_t dl_size, dl_off[LSNN_MAX_PROJ];
    int dl_ns8[LSNN_MAX_PROJ], dl_nd_max;
    size_t cp_reals;           /* reals per checkpoint */
    int n_aux;                 /* the most auxiliary state variables of a population's model */
    /* The weights and delays of the projections on the sparse kernels (lsnn/sparse.h), packed in
     * the order of their index from each projection's param_off, so that the synapses of one
     * source are contiguous (read from w through the index, they touch as many cache lines as
     * the dense row). Copied by lsnn__sparse_pack at the start of lsnn_sim_forward and
     * lsnn_bptt_backward, and valid (packed = 1) only until they return: the weights may change
     * between calls, and e-prop runs lsnn__chunk_step on its own, which then reads w directly.
     * sp_cap = 0 (no packing) when the network of lsnn_sim_create had no masks. */
    lsnn_real *sp_w;           /* (sp_cap) */
    uint8_t *sp_d;             /* (sp_cap) delays */
    uint32_t *sp_off;          /* (sp_cap) where the sparse adjoint reads each synapse's dL/dI in
                                * a chunk's gIT: d * n * CHP + j * CHP for the target j and the
                                * delay d (0 for a projection without delays), from the slot of
                                * step t (mirrored: the slot t % R + d needs no wrap) */
    uint32_t *sp_ring;         /* (sp_cap) where the forward pass adds each synapse's term in a
                                * chunk's ring, sequence offset excluded: d * CH * n + j from
                                * slot 0 (0 <= t % R + d < 2R: one conditional wrap) */
    size_t sp_cap;             /* the projections' weights: param_off of w_out */
    int packed;
    lsnn__chunk *ch;
    void *mem;
    lsnn_real *rec_mem;        /* the chunks' recv, one allocation; NULL: no records */
    int recording;             /* forward passes write the records (lsnn_sim_set_recording) */
    int trace_seqs;            /* sequences a forward pass's trace records (1 by default;
                                * lsnn_sim_set_trace_sequences) */
    int rec_valid;             /* the last forward pass wrote them */
    const lsnn_batch *fwd_batch; /* batch of the last forward pass (for the backward check) */
    /* The step-wise episode (src/net/step.c): ep_batch is its batch, NULL when none is open;
     * ep_next the next step; ep_nch its chunks; ep_record and ep_noise the forward pass's
     * `record` and `has_noise`, fixed at lsnn_sim_begin. ep_id numbers the episodes: every
     * lsnn_sim_begin and lsnn_sim_forward starts a new one (snapshots of older ones are
     * refused). ep_last_batch is the batch of episode ep_id, kept after lsnn_sim_end for
     * lsnn_sim_restore. */
    const lsnn_batch *ep_batch, *ep_last_batch;
    int ep_next, ep_nch, ep_record, ep_noise;
    uint64_t ep_id;
    /* lsnn_sim_set_dist: the processes, and a staging buffer for the exchange (dist_cap bytes) */
    const struct lsnn_dist *dist;
    void *dist_buf;
    size_t dist_cap;
};

/* The chunks [*c0, *c1) of nch that this process computes (all without a distribution). */
void lsnn__sim_own_chunks(const lsnn_sim *sim, int nch, int *c0, int *c1);
/* The staging buffer of at least `bytes` (NULL when out of memory). */
void *lsnn__sim_dist_buf(lsnn_sim *sim, size_t bytes);

/* Sequences that the sparse adjoint (src/learn/bptt.c) updates at once: four SSE registers of
 * float32. */
#define LSNN__SPB 16

/* Restores the live state of chunk c from checkpoint k / saves it there. */
void lsnn__chunk_save(lsnn_sim *sim, lsnn__chunk *c, int k);
void lsnn__chunk_restore(lsnn_sim *sim, lsnn__chunk *c, int k);
/* Resets the live state to the initial state (everything zero). */
void lsnn__chunk_reset(lsnn_sim *sim, lsnn__chunk *c);

/* Packs the weights and delays of net's sparse projections into sim->sp_w, sp_d and sets
 * sim->packed (0 when the workspace has no room for them). Not thread-safe: call it outside the
 * parallel loops, and clear sim->packed when the call that packed returns. */
void lsnn__sparse_pack(lsnn_sim *sim, const lsnn_net *net);

/* One forward step t for sequences g0 .. g0+bc-1 of the batch. y (B, T, n_out) may be NULL (no
 * readout computed), count (n) may be NULL. */
void lsnn__chunk_step(const lsnn_sim *sim, const lsnn_net *net, lsnn__chunk *c,
                      const lsnn_batch *batch, int g0, int bc, int t, lsnn_real *y,
                      double *count, int has_noise);

/* Step t of chunk c in a forward pass (lsnn_sim_forward, lsnn_sim_step): saves the checkpoint
 * of the state before step t when t is a multiple of K, runs the step (readout into y, spikes
 * into c->count), and records v (and the noise draws, when recn exists) when record != 0. */
static inline void lsnn__chunk_advance(lsnn_sim *sim, const lsnn_net *net, lsnn__chunk *c,
                                       const lsnn_batch *batch, int g0, int bc, int t,
                                       lsnn_real *y, int has_noise, int record)
{
    if (t % sim->K == 0)
        lsnn__chunk_save(sim, c, t / sim->K);
    c->noise_out = record && c->recn ? c->recn + (size_t)t * sim->CH * net->n : NULL;
    lsnn__chunk_step(sim, net, c, batch, g0, bc, t, y, c->count, has_noise);
    c->noise_out = NULL;
    if (record)
        memcpy(c->recv + (size_t)t * sim->CH * net->n, c->v,
               sizeof(lsnn_real) * (size_t)bc * net->n);
}

/* Asks for the cache lines of p[0 .. bytes) ahead of their use. The backward pass reads the
 * input batch (B, T, n_in) one row per sequence and step, backwards in time, rows of different
 * sequences T * n_in reals apart: a pattern the hardware prefetchers miss, so it asks for the
 * rows of the previous step while it works on this one. (The forward pass reads forwards in
 * time, and prefetching there made it slower: docs/PERFORMANCE.md.) */
static inline void lsnn__prefetch(const void *p, size_t bytes)
{
#if defined(__GNUC__)
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch((const char *)p + o);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Writes the indices of the non-zero entries of x (n) into idx and returns their number. Written
 * without a branch on the data: spikes are sparse and irregular, so a branch would mispredict.
 * With SSE2 (every x86-64), four entries at a time: their non-zero mask selects a row of
 * lsnn__nz_lut (the positions of the mask's bits, padded), which is stored whole, and the count
 * advances by the mask's population. The store writes idx[k .. k+3] with k <= j, so idx needs no
 * more room than n entries. */
#if defined(__SSE2__)
extern const int32_t lsnn__nz_lut[16][4];
extern const uint8_t lsnn__nz_cnt[16];
#endif

static inline int lsnn__nonzero(const lsnn_real *x, int n, int *idx)
{
    int k = 0, j = 0;
#if defined(__SSE2__)
    for (; j + 4 <= n; j += 4) {
#if LSNN_REAL_IS_DOUBLE
        const __m128d zero = _mm_setzero_pd();
        const int m = _mm_movemask_pd(_mm_cmpneq_pd(_mm_loadu_pd(x + j), zero)) |
                      _mm_movemask_pd(_mm_cmpneq_pd(_mm_loadu_pd(x + j + 2), zero)) << 2;
#else
        const int m = _mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(x + j), _mm_setzero_ps()));
#endif
        const __m128i pos = _mm_add_epi32(_mm_load_si128((const __m128i *)lsnn__nz_lut[m]),
                                          _mm_set1_epi32(j));
        _mm_storeu_si128((__m128i *)(idx + k), pos);
        k += lsnn__nz_cnt[m];
    }
#endif
    for (; j < n; j++) {
        idx[k] = j;
        k += x[j] != 0;
    }
    return k;
}

/* LSNN_OK if batch can be simulated whole by sim and net, else the error (messages start with
 * who). */
lsnn_status lsnn__sim_check(const lsnn_sim *sim, const lsnn_net *net, const lsnn_batch *batch,
                            const char *who);

/* 1 if any neuron has a non-zero noise std. */
int lsnn__net_has_noise(const lsnn_net *net);

#endif

/* learn/eprop_internal.h - the e-prop workspace (struct lsnn_eprop and its chunks), shared by
 * its construction (eprop_setup.c) and the online pass (eprop.c). Not part of the public API. */
#ifndef LSNN_LEARN_EPROP_INTERNAL_H
#define LSNN_LEARN_EPROP_INTERNAL_H

#include "lsnn/eprop.h"
#include "net/sim_internal.h"

#define LSNN__EP_MAX_OUT 4096

enum { EP_NONE = 0, EP_STEP = 1, EP_WINDOW = 2, EP_WINDOW_END = 3 };
enum { EP_JVV, EP_JVA, EP_JAV, EP_JAA, EP_FV, EP_FA, EP_L, EP_TC };
#define EP_MAX_RUN 8

typedef struct ep_coef_set {
    lsnn_real *jvv, *jva, *jav, *jaa, *ev, *ea; /* (CH, n) */
} ep_coef_set;

typedef struct ep_chunk {
    lsnn_real *ev[LSNN_MAX_PROJ], *ea[LSNN_MAX_PROJ], *eb[LSNN_MAX_PROJ], *acc[LSNN_MAX_PROJ];
    lsnn_real *nv, *na, *nb, *nacc; /* (CH, n) eligibility of the noise std (trainable noise) */
    ep_coef_set coef[2];            /* [t % 2]: coefficients of step t; the other: of t - 1 */
    lsnn_real *hist;                /* (R, CH, n) spikes of the last R steps */
    lsnn_real *zeta, *zacc;         /* (CH, n) filtered spikes; their sum over the window */
    lsnn_real *L;                   /* (CH, n) (1 - kappa) times the learning signal */
    lsnn_real *ysum;                /* (CH, n_out) readout summed over the current window */
    lsnn_real *pre;                 /* (max n_dst) pre-synaptic values of one row */
    double *ztot;                   /* (CH, n) spikes since the start of each sequence */
    double *regsum;                 /* (n) sum over sequences and steps of f_j(t) - f_target */
    double *count;                  /* (n) spikes */
    lsnn_real *grad;                /* (n_params) */
    int *mode, *wi;                 /* (CH) */
    /* Sparse projections only (ep->any_sp): neuron-major copies of step t, (n, CHP) each, zero
     * beyond the chunk's sequences. */
    lsnn_real *tc[EP_TC];           /* jvv, jva, jav, jaa (of t-1), ev, ea (of t), L */
    lsnn_real *zt;                  /* (R, n, CHP) spikes of the last R steps */
    lsnn_real *xt;                  /* (R, n_in, CHP) inputs of the last R steps */
    lsnn_real *mg, *ma, *mk;        /* (CHP) per sequence: gradient step, window sum, keep sum */
    double loss;
    long correct, total;
} ep_chunk;

struct lsnn_eprop {
    lsnn_eprop_opts opts;
    lsnn_sim *sim; /* one-step workspace: chunk state and current rings */
    int Bmax, CH, nchunks, n, n_out, R;
    int CHP, n_in;  /* CH rounded up to 8; input channels */
    size_t n_params;
    uint8_t sp[LSNN_MAX_PROJ]; /* batch in progress: projection on the sparse layout */
    int any_sp;
    /* Batch in progress: inert[j] = 1 for a neuron without adaptation (ALIF or STDP-ALIF with
     * beta = 0), whose eps_a cannot reach its trace; each projection's targets as runs
     * [run_lo[r], run_lo[r+1]) of equal inert flags (one run of 0 if there would be more than
     * EP_MAX_RUN). */
    uint8_t *inert;
    int nrun[LSNN_MAX_PROJ];
    int run_lo[LSNN_MAX_PROJ][EP_MAX_RUN + 1];
    uint8_t run_lif[LSNN_MAX_PROJ][EP_MAX_RUN];
    ep_chunk *ch;
    lsnn_real *fb; /* (n, n_out) feedback weights B */
    lsnn_real *fb0, *wout0; /* "adaptive": B's random start and W_out when the workspace was made */
    double norm;   /* loss normaliser of the batch in progress */
    int learn, nch, t_next; /* batch in progress: gradients wanted, chunks, next step */
    lsnn_real *y_out;       /* batch in progress: the y and pred of lsnn_eprop_advance, gathered */
    int *pred_out;          /* from the other processes at the end (lsnn_eprop_set_dist) */
    void *mem;
};

#endif

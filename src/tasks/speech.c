/* Framewise phone classification on TIMIT or any corpus in TIMIT layout (seed 000 section 4,
 * "TIMIT setup"; features as in seed 004 section 3.1.3).
 *
 * The task reads the feature cache of `lsnn data timit` (lsnn/timit.h): per split, 39 standardised
 * MFCC channels per 10 ms frame and one of the 61 phones per frame. The 39 channels are analog
 * inputs; each frame is held for timit.frame_steps steps (10 steps of 1 ms in seed 000), and each
 * frame has its own classification window over exactly those steps, so the loss is the mean over
 * frames of the cross-entropy and the accuracy counts frames: the frame error rate is
 * 1 - accuracy.
 *
 * Seed 000 averages the softmax output over the 10 steps of a frame (timit.average "softmax",
 * LSNN_LOSS_CE_WINDOW_SOFTMAX, the default); timit.average "readout" takes the softmax of the
 * readout averaged over the frame instead (LSNN_LOSS_CE_WINDOW), which e-prop needs when a frame
 * lasts more than one step (its learning signal is then known online). With frame_steps = 1 the
 * two are the same.
 *
 * Sequences: a batch has a fixed length T = timit.max_frames * frame_steps. A sentence of up to
 * max_frames frames is one sequence, padded after its end with zero input and no windows; a
 * longer sentence is cut into consecutive pieces of max_frames frames (the last one shorter),
 * each a sequence of its own that starts from the network's rest state. The default of 800
 * frames (8 s) keeps every TIMIT sentence whole; smaller values train faster on shorter
 * sequences at the price of context at the cuts.
 *
 * Streams: training walks through all training sequences in a new pseudo-random order every
 * epoch (a Fisher-Yates shuffle seeded by (seed, epoch), so any position of any epoch is computed
 * directly and a resumed run sees the same data); validation and test are the sequences of the
 * validation and test splits in order (timit.val_size can take the first ones only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/task.h"
#include "lsnn/timit.h"

/* 13 coefficients and their two derivatives. */
#define LSNN__SP_CHANNELS 39

/* A sequence: frames [f0, f0 + nf) of one split's feature array. */
typedef struct lsnn__sp_seq {
    long f0;
    int nf;
} lsnn__sp_seq;

typedef struct lsnn__speech {
    lsnn_speech_split set[LSNN_SPLITS];
    lsnn__sp_seq *seq[LSNN_SPLITS];
    long n_seq[LSNN_SPLITS];
} lsnn__speech;

static lsnn_status lsnn__sp_shape(const lsnn_config *cfg, lsnn_task_shape *out)
{
    const lsnn_timit_config *c = &cfg->timit;
    memset(out, 0, sizeof *out);
    out->n_in = LSNN__SP_CHANNELS;
    out->n_out = LSNN_TIMIT_PHONES;
    out->T = c->max_frames * c->frame_steps;
    out->max_windows = c->max_frames;
    out->loss = strcmp(c->average, "readout") == 0 ? LSNN_LOSS_CE_WINDOW
                                                   : LSNN_LOSS_CE_WINDOW_SOFTMAX;
    out->metric = "accuracy";
    return LSNN_OK;
}

static void lsnn__sp_close(void *state)
{
    lsnn__speech *s = state;
    if (!s)
        return;
    for (int k = 0; k < LSNN_SPLITS; k++) {
        lsnn_speech_free(&s->set[k]);
        free(s->seq[k]);
    }
    free(s);
}

/* Cuts the sentences of a split into sequences of at most max_frames frames. */
static int lsnn__sp_cut(lsnn__speech *s, int k, int max_frames)
{
    const lsnn_speech_split *set = &s->set[k];
    long n = 0;
    for (int u = 0; u < set->n_utt; u++) {
        long nf = (long)(set->offsets[u + 1] - set->offsets[u]);
        n += (nf + max_frames - 1) / max_frames;
    }
    s->seq[k] = malloc(sizeof(lsnn__sp_seq) * (size_t)n);
    if (!s->seq[k])
        return -1;
    long i = 0;
    for (int u = 0; u < set->n_utt; u++)
        for (long f = set->offsets[u]; f < set->offsets[u + 1]; f += max_frames) {
            long left = (long)set->offsets[u + 1] - f;
            s->seq[k][i++] = (lsnn__sp_seq){f, (int)(left < max_frames ? left : max_frames)};
        }
    s->n_seq[k] = n;
    return 0;
}

static lsnn_status lsnn__sp_open(const lsnn_config *cfg, void **state)
{
    const lsnn_timit_config *c = &cfg->timit;
    lsnn__speech *s = calloc(1, sizeof *s);
    if (!s)
        return lsnn_error(LSNN_ERR_NOMEM, "timit: out of memory");
    lsnn_status st = LSNN_OK;
    for (int k = 0; k < LSNN_SPLITS && !st; k++) {
        if ((st = lsnn_speech_load(c->dir, k, &s->set[k]))) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", lsnn_last_error());
            st = lsnn_error(st, "timit.dir: %s (build the cache with: lsnn data timit CORPUS %s)",
                            msg, c->dir);
            break;
        }
        const lsnn_speech_split *set = &s->set[k];
        if (set->channels != LSNN__SP_CHANNELS) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "timit.dir: %s/%s.safetensors has %d channels per frame, the task "
                            "needs %d",
                            c->dir, lsnn_split_name(k), set->channels, LSNN__SP_CHANNELS);
            break;
        }
        /* The three files must come from one run: the same training statistics. */
        if (k > 0 && (memcmp(set->mean, s->set[0].mean, sizeof(double) * set->channels) ||
                      memcmp(set->std, s->set[0].std, sizeof(double) * set->channels))) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "timit.dir: %s/%s.safetensors and train.safetensors hold different "
                            "training statistics (written by different runs of lsnn data timit? "
                            "build the cache again)",
                            c->dir, lsnn_split_name(k));
            break;
        }
        if (lsnn__sp_cut(s, k, c->max_frames))
            st = lsnn_error(LSNN_ERR_NOMEM, "timit: out of memory");
    }
    if (st) {
        lsnn__sp_close(s);
        return st;
    }
    *state = s;
    return LSNN_OK;
}

static int lsnn__sp_split(uint64_t stream)
{
    return stream == LSNN_STREAM_VALID  ? LSNN_SPLIT_VALID
           : stream == LSNN_STREAM_TEST ? LSNN_SPLIT_TEST
                                        : LSNN_SPLIT_TRAIN;
}

static long lsnn__sp_stream_size(const void *state, const lsnn_config *cfg, uint64_t stream)
{
    const lsnn__speech *s = state;
    int k = lsnn__sp_split(stream);
    long n = s->n_seq[k];
    if (k == LSNN_SPLIT_VALID && cfg->timit.val_size > 0 && cfg->timit.val_size < n)
        n = cfg->timit.val_size;
    return n;
}

/* perm (n) <- the training order of `epoch`: a Fisher-Yates shuffle from its own stream. */
static void lsnn__sp_shuffle(long *perm, long n, uint64_t seed, uint64_t epoch)
{
    lsnn_rng rng;
    lsnn_rng_derive(&rng, seed, 0x71b17, epoch, 0);
    for (long i = 0; i < n; i++)
        perm[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)lsnn_rng_below(&rng, (uint64_t)i + 1);
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static lsnn_status lsnn__sp_generate(const void *state, const lsnn_config *cfg, uint64_t seed,
                                     uint64_t stream, uint64_t first, lsnn_batch *b)
{
    const lsnn__speech *s = state;
    const int k = lsnn__sp_split(stream);
    const lsnn_speech_split *set = &s->set[k];
    const int fs = cfg->timit.frame_steps, T = b->T, n_in = b->n_in, C = set->channels;
    const long n = lsnn__sp_stream_size(state, cfg, stream);
    if (n_in != C || T < cfg->timit.max_frames * fs || b->max_windows < cfg->timit.max_frames)
        return lsnn_error(LSNN_ERR_SHAPE, "timit: the batch does not have the task's shape");
    long *perm = NULL;
    uint64_t perm_epoch = UINT64_MAX;
    if (k == LSNN_SPLIT_TRAIN && !(perm = malloc(sizeof(long) * (size_t)n)))
        return lsnn_error(LSNN_ERR_NOMEM, "timit: out of memory");
    memset(b->x, 0, sizeof(lsnn_real) * (size_t)b->B * T * n_in);
    for (int q = 0; q < b->B; q++) {
        uint64_t g = first + (uint64_t)q;
        long idx;
        if (k == LSNN_SPLIT_TRAIN) {
            uint64_t epoch = g / (uint64_t)n;
            if (epoch != perm_epoch) {
                lsnn__sp_shuffle(perm, n, seed, epoch);
                perm_epoch = epoch;
            }
            idx = perm[g % (uint64_t)n];
        } else {
            idx = (long)(g % (uint64_t)n);
        }
        const lsnn__sp_seq *sq = &s->seq[k][idx];
        lsnn_real *x = b->x + (size_t)q * T * n_in;
        lsnn_window *w = b->windows + (size_t)q * b->max_windows;
        for (int f = 0; f < sq->nf; f++) {
            const float *row = set->features + (size_t)(sq->f0 + f) * C;
            for (int t = f * fs; t < (f + 1) * fs; t++)
                for (int c = 0; c < C; c++)
                    x[(size_t)t * n_in + c] = (lsnn_real)row[c];
            w[f] = (lsnn_window){f * fs, (f + 1) * fs, set->labels[sq->f0 + f]};
        }
        b->n_windows[q] = sq->nf;
    }
    free(perm);
    b->noise_key = lsnn_hash4(seed, 0x71b17, stream, first);
    return LSNN_OK;
}

const lsnn_task lsnn_task_timit = {
    .name = "timit",
    .description = "framewise phone classification, TIMIT layout (seed 000 section 4)",
    .shape = lsnn__sp_shape,
    .open = lsnn__sp_open,
    .close = lsnn__sp_close,
    .generate = lsnn__sp_generate,
    .stream_size = lsnn__sp_stream_size,
};

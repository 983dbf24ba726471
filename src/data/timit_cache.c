/* The feature cache of speech corpora in TIMIT layout (see lsnn/timit.h): MFCC features and frame
 * labels of every sentence, standardised with the training set's statistics, one safetensors
 * file per split; and reading a split back. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "io/fs.h"
#include "lsnn/safetensors.h"
#include "lsnn/timit.h"

/* ---------------------------------------------------------------------------------------------
 * Feature cache
 * ------------------------------------------------------------------------------------------- */

lsnn_status lsnn_speech_path(const char *dir, int split, char *buf, size_t cap)
{
    if (split < 0 || split >= LSNN_SPLITS)
        return lsnn_error(LSNN_ERR_ARG, "speech cache: no split %d", split);
    size_t l = strlen(dir);
    int w = snprintf(buf, cap, "%s%s%s.safetensors", dir, l && dir[l - 1] == '/' ? "" : "/",
                     lsnn_split_name(split));
    if (w < 0 || (size_t)w >= cap)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", dir);
    return LSNN_OK;
}

/* One split being built: raw features as float, then standardised in place. */
typedef struct lsnn__acc {
    float *x;
    int32_t *y;
    int64_t *off;
    long frames, cap;
    int n_utt;
} lsnn__acc;

static void lsnn__acc_free(lsnn__acc *a)
{
    free(a->x);
    free(a->y);
    free(a->off);
    memset(a, 0, sizeof *a);
}

static int lsnn__acc_add(lsnn__acc *a, const double *x, const int32_t *y, long nf, int C)
{
    if (a->frames + nf > a->cap) {
        long nc = a->cap ? a->cap : 4096;
        while (nc < a->frames + nf)
            nc *= 2;
        float *nx = realloc(a->x, sizeof(float) * (size_t)nc * C);
        if (!nx)
            return -1;
        a->x = nx;
        int32_t *ny = realloc(a->y, sizeof(int32_t) * (size_t)nc);
        if (!ny)
            return -1;
        a->y = ny;
        a->cap = nc;
    }
    for (long i = 0; i < nf * C; i++)
        a->x[(size_t)a->frames * C + i] = (float)x[i];
    memcpy(a->y + a->frames, y, sizeof(int32_t) * (size_t)nf);
    a->frames += nf;
    a->off[++a->n_utt] = a->frames;
    return 0;
}

static lsnn_status lsnn__write_split(const char *path, int split, const lsnn__acc *a, int C,
                                     const double *mean, const double *std,
                                     const lsnn_timit_corpus *corpus, int first,
                                     const char *corpus_dir, lsnn_timit_mode mode,
                                     const lsnn_mfcc_params *p)
{
    lsnn_st_tensor t[5];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "features");
    t[0].dtype = LSNN_DTYPE_F32;
    t[0].ndim = 2;
    t[0].shape[0] = a->frames;
    t[0].shape[1] = C;
    t[0].data = a->x;
    t[0].nbytes = sizeof(float) * (size_t)a->frames * C;
    snprintf(t[1].name, sizeof t[1].name, "labels");
    t[1].dtype = LSNN_DTYPE_I32;
    t[1].ndim = 1;
    t[1].shape[0] = a->frames;
    t[1].data = a->y;
    t[1].nbytes = sizeof(int32_t) * (size_t)a->frames;
    snprintf(t[2].name, sizeof t[2].name, "offsets");
    t[2].dtype = LSNN_DTYPE_I64;
    t[2].ndim = 1;
    t[2].shape[0] = a->n_utt + 1;
    t[2].data = a->off;
    t[2].nbytes = sizeof(int64_t) * (size_t)(a->n_utt + 1);
    for (int k = 0; k < 2; k++) {
        lsnn_st_tensor *s = &t[3 + k];
        snprintf(s->name, sizeof s->name, "%s", k ? "std" : "mean");
        s->dtype = LSNN_DTYPE_F64;
        s->ndim = 1;
        s->shape[0] = C;
        s->data = k ? std : mean;
        s->nbytes = sizeof(double) * (size_t)C;
    }
    /* Sentence IDs, one per line. */
    size_t idlen = 1;
    for (int i = 0; i < a->n_utt; i++)
        idlen += strlen(corpus->utt[first + i].id) + 1;
    char *ids = malloc(idlen);
    size_t phl = 1;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        phl += strlen(lsnn_timit_phone(i)) + 1;
    char *phones = malloc(phl);
    if (!ids || !phones) {
        free(ids);
        free(phones);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t pos = 0;
    for (int i = 0; i < a->n_utt; i++)
        pos += (size_t)sprintf(ids + pos, "%s%s", i ? "\n" : "", corpus->utt[first + i].id);
    ids[pos] = 0;
    pos = 0;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        pos += (size_t)sprintf(phones + pos, "%s%s", i ? " " : "", lsnn_timit_phone(i));
    phones[pos] = 0;
    char n_utt[24], frames[24], chans[24], coeffs[32], mfcc[512];
    snprintf(n_utt, sizeof n_utt, "%d", a->n_utt);
    snprintf(frames, sizeof frames, "%ld", a->frames);
    snprintf(chans, sizeof chans, "%d", C);
    snprintf(coeffs, sizeof coeffs, "%d-%d", p->first_coeff, p->first_coeff + p->n_coeffs - 1);
    snprintf(mfcc, sizeof mfcc,
             "{\"sample_rate\":%d,\"frame_len\":%d,\"hop\":%d,\"n_fft\":%d,\"n_mels\":%d,"
             "\"f_low\":%.17g,\"f_high\":%.17g,\"preemph\":%.17g,\"window_a0\":%.17g,"
             "\"log_floor\":%.17g,\"first_coeff\":%d,\"n_coeffs\":%d,\"delta_n\":%d}",
             p->sample_rate, p->frame_len, p->hop, p->n_fft, p->n_mels, p->f_low, p->f_high,
             p->preemph, p->window_a0, p->log_floor, p->first_coeff, p->n_coeffs, p->delta_n);
    const lsnn_st_meta meta[] = {
        {"format", LSNN_SPEECH_FORMAT},
        {"split", lsnn_split_name(split)},
        {"mode", lsnn_timit_mode_name(mode)},
        {"corpus", corpus_dir},
        {"sentences", n_utt},
        {"frames", frames},
        {"channels", chans},
        {"coeffs", coeffs},
        {"mfcc", mfcc},
        {"phones", phones},
        {"ids", ids},
    };
    lsnn_status st = lsnn_st_write(path, t, 5, meta, (int)(sizeof meta / sizeof meta[0]));
    free(ids);
    free(phones);
    return st;
}

lsnn_status lsnn_timit_build_cache(const char *corpus_dir, const char *out_dir,
                                   lsnn_timit_mode mode, const lsnn_mfcc_params *params,
                                   lsnn_timit_progress_fn progress, void *ctx,
                                   lsnn_speech_summary *summary)
{
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (!corpus_dir || !out_dir || !params)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_timit_build_cache: NULL argument");
    lsnn_status st = lsnn_mfcc_check(params);
    if (st)
        return st;
    char path[LSNN_SPLITS][4096];
    for (int s = 0; s < LSNN_SPLITS; s++)
        if ((st = lsnn_speech_path(out_dir, s, path[s], sizeof path[s])))
            return st;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create directory: %s", out_dir,
                          strerror(errno));
    if (!lsnn__is_dir(out_dir))
        return lsnn_error(LSNN_ERR_IO, "%s: not a directory", out_dir);
    lsnn_timit_corpus corpus;
    if ((st = lsnn_timit_scan(corpus_dir, mode, &corpus)))
        return st;
    lsnn_mfcc *m = lsnn_mfcc_create(params, &st);
    if (!m) {
        lsnn_timit_corpus_free(&corpus);
        return st;
    }
    const int C = lsnn_mfcc_channels(m);
    lsnn__acc acc[LSNN_SPLITS];
    memset(acc, 0, sizeof acc);
    lsnn_feat_stats stats;
    lsnn_feat_stats_init(&stats, C);
    int first[LSNN_SPLITS] = {0};
    for (int s = 1; s < LSNN_SPLITS; s++)
        first[s] = first[s - 1] + corpus.count[s - 1];
    for (int s = 0; s < LSNN_SPLITS && !st; s++) {
        acc[s].off = calloc((size_t)corpus.count[s] + 1, sizeof(int64_t));
        if (!acc[s].off) {
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", out_dir);
            break;
        }
        for (int i = 0; i < corpus.count[s] && !st; i++) {
            const lsnn_timit_utt *u = &corpus.utt[first[s] + i];
            double *x;
            int32_t *y;
            long nf;
            if ((st = lsnn_timit_utterance(u, m, &x, &y, &nf)))
                break;
            /* Statistics from the training split only, in double, before rounding to float. */
            if (s == LSNN_SPLIT_TRAIN)
                lsnn_feat_stats_add(&stats, x, nf);
            if (summary && nf > summary->longest[s])
                summary->longest[s] = nf;
            if (lsnn__acc_add(&acc[s], x, y, nf, C))
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for the features", out_dir);
            free(x);
            free(y);
            if (progress)
                progress(ctx, s, i + 1, corpus.count[s]);
        }
    }
    double mean[LSNN_MFCC_MAX_CHANNELS], std[LSNN_MFCC_MAX_CHANNELS];
    if (!st) {
        memcpy(mean, stats.mean, sizeof(double) * (size_t)C);
        lsnn_feat_stats_std(&stats, std);
        for (int s = 0; s < LSNN_SPLITS; s++)
            for (long f = 0; f < acc[s].frames; f++)
                for (int c = 0; c < C; c++) {
                    float *v = &acc[s].x[(size_t)f * C + c];
                    *v = (float)((*v - mean[c]) / std[c]);
                }
        /* Training last: a reader that finds train.safetensors knows the others were written
         * by the same run or an earlier one, and lsnn_speech_load's statistics check tells. */
        for (int s = LSNN_SPLITS - 1; s >= 0 && !st; s--)
            st = lsnn__write_split(path[s], s, &acc[s], C, mean, std, &corpus, first[s],
                                   corpus_dir, mode, params);
    }
    if (summary)
        for (int s = 0; s < LSNN_SPLITS; s++) {
            summary->sentences[s] = acc[s].n_utt;
            summary->frames[s] = acc[s].frames;
        }
    for (int s = 0; s < LSNN_SPLITS; s++)
        lsnn__acc_free(&acc[s]);
    lsnn_mfcc_free(m);
    lsnn_timit_corpus_free(&corpus);
    return st;
}

void lsnn_speech_free(lsnn_speech_split *s)
{
    if (!s)
        return;
    free(s->features);
    free(s->labels);
    free(s->offsets);
    free(s->mean);
    free(s->std);
    memset(s, 0, sizeof *s);
}

/* The tensor `name` of f, checked to have dtype dt and ndim dimensions. */
static const lsnn_st_tensor *lsnn__tensor(const lsnn_st_file *f, const char *path,
                                          const char *name, lsnn_dtype dt, int ndim,
                                          lsnn_status *st)
{
    const lsnn_st_tensor *t = lsnn_st_find(f, name);
    if (!t)
        *st = lsnn_error(LSNN_ERR_FORMAT, "%s: no tensor '%s' (not a feature file of "
                         "lsnn data timit?)", path, name);
    else if (t->dtype != dt || t->ndim != ndim)
        *st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': expected %d-D %s, found %d-D %s",
                         path, name, ndim, lsnn_dtype_name(dt), t->ndim,
                         lsnn_dtype_name(t->dtype));
    else
        return t;
    return NULL;
}

lsnn_status lsnn_speech_load(const char *dir, int split, lsnn_speech_split *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    lsnn_status st = lsnn_speech_path(dir, split, path, sizeof path);
    if (st)
        return st;
    lsnn_st_file *f = lsnn_st_open(path, 0, &st);
    if (!f)
        return st;
    const char *fmt = lsnn_st_meta_get(f, "format");
    const char *sp = lsnn_st_meta_get(f, "split");
    const lsnn_st_tensor *tx = NULL, *ty = NULL, *to = NULL, *tm = NULL, *ts = NULL;
    if (!fmt || strcmp(fmt, LSNN_SPEECH_FORMAT) != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata format is '%s', expected '%s'", path,
                        fmt ? fmt : "(missing)", LSNN_SPEECH_FORMAT);
    else if (!sp || strcmp(sp, lsnn_split_name(split)) != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata split is '%s', expected '%s'", path,
                        sp ? sp : "(missing)", lsnn_split_name(split));
    if (!st)
        tx = lsnn__tensor(f, path, "features", LSNN_DTYPE_F32, 2, &st);
    if (!st)
        ty = lsnn__tensor(f, path, "labels", LSNN_DTYPE_I32, 1, &st);
    if (!st)
        to = lsnn__tensor(f, path, "offsets", LSNN_DTYPE_I64, 1, &st);
    if (!st)
        tm = lsnn__tensor(f, path, "mean", LSNN_DTYPE_F64, 1, &st);
    if (!st)
        ts = lsnn__tensor(f, path, "std", LSNN_DTYPE_F64, 1, &st);
    if (!st) {
        int64_t F = tx->shape[0], C = tx->shape[1], U = to->shape[0] - 1;
        if (C < 1 || C > LSNN_MFCC_MAX_CHANNELS || F < 1 || F > (int64_t)1 << 31 || U < 1 ||
            U > (int64_t)1 << 30)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: features [%lld, %lld] and %lld sentences are out of range", path,
                            (long long)F, (long long)C, (long long)U);
        else if (ty->shape[0] != F || tm->shape[0] != C || ts->shape[0] != C)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: labels (%lld), mean (%lld) and std (%lld) do not match "
                            "features [%lld, %lld]",
                            path, (long long)ty->shape[0], (long long)tm->shape[0],
                            (long long)ts->shape[0], (long long)F, (long long)C);
        if (!st) {
            out->split = split;
            out->n_frames = (long)F;
            out->channels = (int)C;
            out->n_utt = (int)U;
            out->features = malloc(tx->nbytes);
            out->labels = malloc(ty->nbytes);
            out->offsets = malloc(to->nbytes);
            out->mean = malloc(tm->nbytes);
            out->std = malloc(ts->nbytes);
            if (!out->features || !out->labels || !out->offsets || !out->mean || !out->std)
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        }
        /* Copies (memcpy): the tensors inside the file buffer need not be aligned. */
        if (!st)
            memcpy(out->features, tx->data, tx->nbytes);
        if (!st) {
            memcpy(out->labels, ty->data, ty->nbytes);
            memcpy(out->offsets, to->data, to->nbytes);
            memcpy(out->mean, tm->data, tm->nbytes);
            memcpy(out->std, ts->data, ts->nbytes);
        }
    }
    lsnn_st_close(f);
    if (!st && out->offsets[0] != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: offsets[0] is %lld, expected 0", path,
                        (long long)out->offsets[0]);
    for (int i = 0; !st && i < out->n_utt; i++)
        if (out->offsets[i + 1] <= out->offsets[i] || out->offsets[i + 1] > out->n_frames)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: offsets[%d] = %lld: sentences must have >= 1 frame and end by "
                            "frame %ld",
                            path, i + 1, (long long)out->offsets[i + 1], out->n_frames);
    if (!st && out->offsets[out->n_utt] != out->n_frames)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: the last offset is %lld, expected %ld frames", path,
                        (long long)out->offsets[out->n_utt], out->n_frames);
    for (long i = 0; !st && i < out->n_frames; i++)
        if (out->labels[i] < 0 || out->labels[i] >= LSNN_TIMIT_PHONES)
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: labels[%ld] = %d is not a phone index 0..%d",
                            path, i, (int)out->labels[i], LSNN_TIMIT_PHONES - 1);
    for (int c = 0; !st && c < out->channels; c++)
        if (!isfinite(out->mean[c]) || !(out->std[c] > 0) || !isfinite(out->std[c]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: channel %d: mean %g, std %g (std must be > 0)",
                            path, c, out->mean[c], out->std[c]);
    for (size_t i = 0; !st && i < (size_t)out->n_frames * out->channels; i++)
        if (!isfinite(out->features[i]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: features: non-finite value at frame %zu", path,
                            i / (size_t)out->channels);
    if (st)
        lsnn_speech_free(out);
    return st;
}

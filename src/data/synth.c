/* The speech synthesiser (see lsnn/synth.h): the voices and speakers, the choice of speakers and
 * sentences, and the build of a corpus from a temporary directory to its publication. festival
 * runs in synth_festival.c; the files of an utterance, the checks and the metadata are written in
 * synth_utt.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/synth_internal.h"
#include "io/fs.h"
#include "lsnn/core.h"

const voice lsnn__synth_voices[N_VOICES] = {
    {"kal", "voice_kal_diphone", "festvox-kallpc16k", 0, 0},
    {"ked", "voice_ked_diphone", "festvox-kdlpc16k", 0, 1},
    {"slt", "voice_cmu_us_slt_arctic_hts", "festvox-us-slt-hts", 1, 0},
};

const speaker_def lsnn__synth_speakers[LSNN_SYNTH_SPEAKERS] = {
    {"MKAL0", V_KAL, 100, 14, 1.10, 16000}, {"MKED0", V_KED, 108, 15, 1.05, 16000},
    {"FKAL0", V_KAL, 180, 26, 1.05, 14600}, {"FKED0", V_KED, 176, 24, 1.00, 14800},
    {"FSLT0", V_SLT, 0, 0, 1.00, 16000},    {"MKAL1", V_KAL, 95, 12, 1.15, 15800},

    {"MKED1", V_KED, 92, 12, 1.25, 15400},  {"FKAL1", V_KAL, 196, 30, 0.95, 14200},
    {"FKED1", V_KED, 204, 32, 1.20, 14400}, {"FSLT1", V_SLT, 0, 0, 0.88, 15200},
    {"MKED2", V_KED, 118, 17, 1.00, 16400}, {"MKAL2", V_KAL, 122, 18, 0.95, 16500},

    {"FKAL2", V_KAL, 170, 22, 1.15, 14800}, {"FKED2", V_KED, 190, 28, 0.92, 14000},
    {"FSLT2", V_SLT, 0, 0, 1.12, 16800},    {"MKAL3", V_KAL, 104, 14, 1.25, 15400},
    {"MKAL4", V_KAL, 88, 11, 1.20, 15600},  {"MKED3", V_KED, 126, 19, 0.92, 16600},

    {"FKED3", V_KED, 168, 22, 1.10, 14600}, {"FSLT3", V_SLT, 0, 0, 0.94, 15600},
    {"MKED4", V_KED, 90, 11, 0.95, 16900},  {"MKAL5", V_KAL, 132, 20, 1.00, 15200},
    {"MKED5", V_KED, 98, 13, 1.15, 16300},  {"FKAL3", V_KAL, 210, 34, 1.00, 14400},

    {"FSLT4", V_SLT, 0, 0, 1.20, 16400},    {"MKAL6", V_KAL, 128, 19, 1.08, 15000},
    {"MKAL7", V_KAL, 110, 16, 1.30, 16800}, {"MKED6", V_KED, 116, 17, 1.00, 15800},
    {"FKAL4", V_KAL, 188, 28, 1.25, 14000}, {"FKED4", V_KED, 214, 34, 0.97, 14300},

    {"MKED7", V_KED, 112, 15, 1.35, 16600}, {"MKAL8", V_KAL, 94, 12, 1.05, 16200},
    {"MKED8", V_KED, 84, 10, 1.20, 17000},  {"FKAL5", V_KAL, 176, 24, 0.90, 14900},
    {"FKED5", V_KED, 184, 26, 1.28, 14100}, {"FSLT5", V_SLT, 0, 0, 1.05, 17000},
};
/* Position in the list of chosen speakers, modulo 6 -> split. */
static const int SPLIT_OF[6] = {SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST,
                                SPLIT_TRAIN, SPLIT_TRAIN, SPLIT_TRAIN};

/* Sentence k (0-based) belongs to the pool of one split, so the three splits read different
 * texts: k % 5 == 3 validation, k % 5 == 4 test, the rest training. */
static int pool_of(int k)
{
    return k % 5 == 3 ? SPLIT_VALID : k % 5 == 4 ? SPLIT_TEST : SPLIT_TRAIN;
}
const char *const lsnn__synth_split_name[N_SPLITS] = {"train", "validation", "test"};
const char *const lsnn__synth_split_dir[N_SPLITS] = {"TRAIN", "TRAIN", "TEST"};

const char *lsnn_synth_voice_key(int v)
{
    return v >= 0 && v < N_VOICES ? VOICES[v].key : NULL;
}

double lsnn__synth_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


void lsnn__synth_sentence_name(char out[16], int k)
{
    snprintf(out, 16, "SX%03d", k + 1);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Chooses min(count, pool size) sentences of the speaker's pool: a seeded shuffle, sorted. */
static lsnn_status choose_sentences(speaker *sp, int n_text, int count)
{
    int *pool = malloc((size_t)n_text * sizeof *pool);
    if (!pool)
        return lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    int m = 0;
    for (int k = 0; k < n_text; k++)
        if (pool_of(k) == sp->split)
            pool[m++] = k;
    lsnn_rng r;
    lsnn_rng_derive(&r, SENTENCE_SEED, 0x53594e54u, (uint64_t)sp->table_index, 0);
    for (int i = m - 1; i > 0; i--) {
        int j = (int)lsnn_rng_below(&r, (uint64_t)i + 1);
        int t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
    }
    sp->n_sent = count < m ? count : m;
    qsort(pool, (size_t)sp->n_sent, sizeof *pool, cmp_int);
    sp->sent = pool;
    return LSNN_OK;
}

/* Picks the speakers (table order, voices in use), their splits and sentences. */
static lsnn_status choose_speakers(corpus *c, const lsnn_synth_options *o)
{
    int avail = 0;
    for (int i = 0; i < N_SPEAKERS; i++)
        avail += o->voice_use[SPEAKERS[i].voice];
    if (avail < o->speakers)
        return lsnn_error(LSNN_ERR_IO, "data synth-speech: --speakers %ld: the chosen voices have only %d speakers",
                   o->speakers, avail);
    c->spk = calloc((size_t)o->speakers, sizeof *c->spk);
    if (!c->spk)
        return lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    for (int i = 0; i < N_SPEAKERS && c->n_spk < o->speakers; i++) {
        if (!o->voice_use[SPEAKERS[i].voice])
            continue;
        speaker *sp = &c->spk[c->n_spk];
        sp->def = &SPEAKERS[i];
        sp->table_index = i;
        sp->split = SPLIT_OF[c->n_spk % 6];
        c->n_spk++;
        lsnn_status st = choose_sentences(sp, c->text.n, (int)o->sentences);
        if (st)
            return st;
        char rel[64];
        snprintf(rel, sizeof rel, "%s/DR1/%s", SPLIT_DIR[sp->split], sp->def->id);
        if (lsnn__path_join(sp->out_dir, PATH_CAP, c->tmp, rel))
            return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
    }
    return LSNN_OK;
}

/* OUT must be absent, an empty directory, or (with --force) a corpus of this command. Returns 0
 * and sets *replace when an old corpus is to be replaced. */
static lsnn_status check_out(const lsnn_synth_options *o, const char *out, int *replace)
{
    *replace = 0;
    struct stat st;
    if (lstat(out, &st) != 0) {
        if (errno == ENOENT)
            return LSNN_OK;
        return lsnn_error(LSNN_ERR_IO, "%s: %s", out, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return lsnn_error(LSNN_ERR_IO, "%s: exists and is not a directory", out);
    int empty = lsnn__dir_is_empty(out);
    if (empty < 0)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", out, strerror(errno));
    if (empty)
        return LSNN_OK;
    if (!o->force)
        return lsnn_error(LSNN_ERR_IO, "%s: exists and is not empty; use --force to replace a corpus built by lsnn "
                   "data synth-speech", out);
    char marker[PATH_CAP];
    if (lsnn__path_join(marker, PATH_CAP, out, "corpus.json") || access(marker, F_OK) != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: not replaced: it holds no corpus.json, so it was not built by lsnn data "
                   "synth-speech; remove it yourself", out);
    *replace = 1;
    return LSNN_OK;
}

static lsnn_status create_dirs(corpus *c)
{
    char p[PATH_CAP];
    static const char *const dirs[] = {"TRAIN", "TRAIN/DR1", "TEST", "TEST/DR1"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (lsnn__path_join(p, PATH_CAP, c->tmp, dirs[i]))
            return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
        lsnn_status st = lsnn__make_dir(p);
        if (st)
            return st;
    }
    for (int i = 0; i < c->n_spk; i++) {
        lsnn_status st = lsnn__make_dir(c->spk[i].out_dir);
        if (st)
            return st;
    }
    return lsnn__make_dir(c->work);
}

static lsnn_status sync_dirs(const corpus *c)
{
    char p[PATH_CAP];
    static const char *const dirs[] = {"TRAIN/DR1", "TEST/DR1", "TRAIN", "TEST", "."};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (lsnn__path_join(p, PATH_CAP, c->tmp, dirs[i]) || lsnn__fsync_path(p) != 0)
            return lsnn_error(LSNN_ERR_IO, "%s: cannot sync: %s", p, strerror(errno));
    return LSNN_OK;
}

/* Moves the finished corpus from tmp to out (replacing an old corpus when asked). */
static lsnn_status publish(corpus *c, int replace, lsnn_synth_result *res)
{
    char old[PATH_CAP];
    if (replace) {
        if (snprintf(old, sizeof old, "%s.old-XXXXXX", c->out) >= (int)sizeof old)
            return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->out);
        if (!mkdtemp(old))
            return lsnn_error(LSNN_ERR_IO, "%s: cannot create a directory beside it: %s", c->out, strerror(errno));
        if (rename(c->out, old) != 0) {
            int e = errno;
            rmdir(old);
            return lsnn_error(LSNN_ERR_IO, "%s: cannot move the old corpus aside: %s", c->out, strerror(e));
        }
    }
    if (rename(c->tmp, c->out) != 0) {
        int e = errno;
        if (replace)
            rename(old, c->out);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot rename %s to it: %s", c->out, c->tmp, strerror(e));
    }
    char parent[PATH_CAP];
    snprintf(parent, sizeof parent, "%s", c->out);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    lsnn__fsync_path(parent);
    if (replace && lsnn__remove_tree(old) != 0)
        snprintf(res->warning, sizeof res->warning,
                 "could not remove the old corpus moved to %s: %s", old, strerror(errno));
    return LSNN_OK;
}

static lsnn_status build(corpus *c, const lsnn_synth_options *o, lsnn_synth_result *res)
{
    int replace;
    lsnn_status rc = check_out(o, c->out, &replace);
    if (rc == 0)
        rc = lsnn__make_parents(c->out);
    if (rc)
        return rc;
    if (snprintf(c->tmp, sizeof c->tmp, "%s.tmp-XXXXXX", c->out) >= (int)sizeof c->tmp)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->out);
    if (!mkdtemp(c->tmp))
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create a temporary directory beside it: %s", c->out,
                   strerror(errno));
    if (lsnn__path_join(c->work, PATH_CAP, c->tmp, ".work"))
        rc = lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
    if (rc == 0)
        rc = choose_speakers(c, o);
    if (rc == 0)
        rc = create_dirs(c);
    if (rc == 0)
        rc = lsnn__synth_probe_festival(c->festival, c->work, o->voice_use, c->festival_version,
                            sizeof c->festival_version);
    long total = 0;
    int per_split[N_SPLITS] = {0};
    for (int i = 0; i < c->n_spk; i++) {
        total += c->spk[i].n_sent;
        per_split[c->spk[i].split]++;
    }
    double t0 = lsnn__synth_now();
    if (rc == 0) {
        lsnn_synth_event e = {.kind = LSNN_SYNTH_START, .n_speakers = c->n_spk,
                              .split_speakers = {per_split[SPLIT_TRAIN], per_split[SPLIT_VALID],
                                                 per_split[SPLIT_TEST]},
                              .utterances = total, .jobs = o->jobs, .text_path = c->text.path,
                              .text_sentences = c->text.n, .build_dir = c->tmp};
        if (c->progress)
            c->progress(c->ctx, &e);
        rc = lsnn__synth_run_all(c, (int)o->jobs);
    }
    if (rc == 0) {
        lsnn_synth_event e = {.kind = LSNN_SYNTH_CHECKING, .n_speakers = c->n_spk,
                              .utterances = total};
        if (c->progress)
            c->progress(c->ctx, &e);
        rc = lsnn__synth_check_corpus(c);
    }
    if (rc == 0)
        rc = lsnn__synth_write_corpus_json(c, (int)o->sentences);
    if (rc == 0)
        rc = lsnn__synth_write_lists(c);
    if (rc == 0 && lsnn__remove_tree(c->work) != 0)
        rc = lsnn_error(LSNN_ERR_IO, "%s: cannot remove: %s", c->work, strerror(errno));
    if (rc == 0)
        rc = sync_dirs(c);
    if (rc == 0)
        rc = publish(c, replace, res);
    if (rc) {
        if (lsnn__remove_tree(c->tmp) != 0)
            snprintf(res->warning, sizeof res->warning, "could not remove %s: %s", c->tmp,
                     strerror(errno));
        return rc;
    }
    long long samples = 0;
    for (int i = 0; i < c->n_spk; i++)
        samples += c->spk[i].samples;
    res->seconds = lsnn__synth_now() - t0;
    snprintf(res->out, sizeof res->out, "%s", c->out);
    res->speakers = c->n_spk;
    res->utterances = total;
    for (int s = 0; s < N_SPLITS; s++)
        res->split_utterances[s] = c->utterances[s];
    res->audio_seconds = (double)samples / RATE;
    res->bytes = c->bytes;
    return LSNN_OK;
}

/* The corpus from the options: OUT without trailing slashes (the temporary directory is
 * OUT.tmp-XXXXXX beside it), the sentence list, then the build. */
static lsnn_status synth_setup(corpus *c, const lsnn_synth_options *o)
{
    size_t n = strlen(o->out);
    while (n > 1 && o->out[n - 1] == '/')
        n--;
    if (n >= sizeof c->out - 32)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", o->out);
    memcpy(c->out, o->out, n);
    c->out[n] = '\0';
    if (strcmp(c->out, "/") == 0 || strcmp(c->out, ".") == 0 || strcmp(c->out, "..") == 0)
        return lsnn_error(LSNN_ERR_ARG, "data synth-speech: OUT must name a directory to create, "
                          "not '%s'", c->out);
    return lsnn__synth_text_load(o->text, &c->text);
}

lsnn_status lsnn_synth_speech(const lsnn_synth_options *o, lsnn_synth_progress_fn progress,
                              void *ctx, lsnn_synth_result *res)
{
    memset(res, 0, sizeof *res);
    corpus *c = calloc(1, sizeof *c);
    if (!c)
        return lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    c->festival = o->festival;
    c->progress = progress;
    c->ctx = ctx;
    lsnn_status st = synth_setup(c, o);
    if (!st)
        st = build(c, o, res);
    for (int i = 0; i < c->n_spk; i++)
        free(c->spk[i].sent);
    free(c->spk);
    lsnn__synth_text_free(&c->text);
    free(c);
    return st;
}

/* The speech synthesiser's internals, shared by synth.c (speakers, build, publication),
 * synth_festival.c (festival processes and scripts) and synth_utt.c (sentences, segments, the
 * files of an utterance, checks and metadata). Not public; see lsnn/synth.h. */
#ifndef LSNN_DATA_SYNTH_INTERNAL_H
#define LSNN_DATA_SYNTH_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "lsnn/sha256.h"
#include "lsnn/synth.h"

#define PATH_CAP 4096
#define RATE LSNN_SYNTH_RATE
#define MAX_SENTENCES LSNN_SYNTH_MAX_SENTENCES
#define MAX_SENTENCE_CHARS 400
#define MAX_UTT_SECONDS 60          /* longer festival output is treated as an error */
#define SENTENCE_SEED 20240611u     /* sentence choice of each speaker */
#define TEXT_REL LSNN_SYNTH_TEXT
#define LABEL_CAP 8

/* ---------------------------------------------------------------- voices and speakers */

enum { V_KAL, V_KED, V_SLT, N_VOICES = LSNN_SYNTH_VOICES };

typedef struct voice {
    const char *key;      /* --voices name */
    const char *func;     /* festival function that selects it */
    const char *package;  /* Debian package */
    int hts;              /* 1: HTS voice (rate through hts_engine "-r", no F0 targets) */
    int er_r;             /* 1: the voice splits every er into er + r (see undo_er_r) */
} voice;

extern const voice lsnn__synth_voices[N_VOICES];
#define VOICES lsnn__synth_voices

/* A speaker: voice, F0 target mean and standard deviation in Hz (diphone voices' int_lr_params;
 * 0 for slt, whose F0 comes from its own model), duration stretch (> 1 slower; Duration_Stretch
 * for diphone voices, hts_engine "-r" 1/stretch for slt), and the rate festival resamples to
 * before the samples are stored as 16 kHz: rate < 16000 raises every frequency (pitch and
 * formants) by 16000 / rate and shortens the audio by the same factor. The first letter of the id
 * is the sex as heard (F speakers of kal/ked are the male diphone voices with raised F0 and
 * formants). The table is in groups of six, each mixing the kinds; the split of a speaker is
 * its position in the chosen list modulo 6 (SPLIT_OF), so every prefix of 3 or more holds all
 * three splits. */
typedef struct speaker_def {
    const char *id;
    int voice;
    int f0_mean, f0_std;
    double stretch;
    int rate;
} speaker_def;

extern const speaker_def lsnn__synth_speakers[LSNN_SYNTH_SPEAKERS];
#define SPEAKERS lsnn__synth_speakers
#define N_SPEAKERS LSNN_SYNTH_SPEAKERS

enum { SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST, N_SPLITS };
extern const char *const lsnn__synth_split_name[N_SPLITS];
extern const char *const lsnn__synth_split_dir[N_SPLITS];
#define SPLIT_NAME lsnn__synth_split_name
#define SPLIT_DIR lsnn__synth_split_dir

/* ---------------------------------------------------------------- the corpus */

typedef struct text_list {
    char **line;
    int n;
    char path[PATH_CAP];
    char sha256[LSNN_SHA256_HEX]; /* of the file's bytes */
} text_list;

typedef struct speaker {
    const speaker_def *def;
    int table_index;
    int split;
    int n_sent;
    int *sent;         /* 0-based sentence numbers, ascending */
    char out_dir[PATH_CAP];
    char work_dir[PATH_CAP];
    pid_t pid;         /* > 0 while its festival runs */
    double t_start;
    long long samples; /* 16 kHz samples written */
} speaker;

typedef struct corpus {
    char out[PATH_CAP];
    char tmp[PATH_CAP];
    char work[PATH_CAP];
    const char *festival;
    char festival_version[128];
    text_list text;
    speaker *spk;
    int n_spk;
    int sentences; /* requested per speaker */
    long phone_count[N_SPLITS][61];
    lsnn_synth_progress_fn progress;
    void *ctx;
    long utterances[N_SPLITS];
    long long bytes;
} corpus;

/* synth.c */
/* "SX<k + 1>", three digits at least. */
void lsnn__synth_sentence_name(char out[16], int k);
double lsnn__synth_now(void);

/* synth_utt.c */
/* Loads and checks the sentence list (path NULL: the default one, see lsnn/synth.h). */
lsnn_status lsnn__synth_text_load(const char *path, text_list *t);
void lsnn__synth_text_free(text_list *t);
/* One utterance: festival's SX<k>.riff + SX<k>.segs in the speaker's work directory -> SX<k>.WAV,
 * .PHN and .TXT in its directory. */
lsnn_status lsnn__synth_make_utterance(corpus *c, speaker *sp, int k);
/* Reads every utterance back from disk (c->bytes: the size of the WAV and PHN files). */
lsnn_status lsnn__synth_check_corpus(corpus *c);
/* corpus.json, validation_speakers.txt and README.txt in the build directory. */
lsnn_status lsnn__synth_write_corpus_json(const corpus *c, int sentences);
lsnn_status lsnn__synth_write_lists(const corpus *c);

/* synth_festival.c */
/* Checks that festival runs and has the voices in use; fills version. */
lsnn_status lsnn__synth_probe_festival(const char *prog, const char *work,
                                       const int use[N_VOICES], char *version, size_t cap);
/* Runs festival for every speaker, at most jobs at once, converting each as it finishes. */
lsnn_status lsnn__synth_run_all(corpus *c, int jobs);

#endif

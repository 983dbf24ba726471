/* lsnn/synth.h - a phone-labelled speech corpus in TIMIT layout, synthesised with festival
 * (docs/DATA.md, "Synthetic speech"; the CLI is `lsnn data synth-speech`).
 *
 * Every speaker is one festival voice (kal or ked diphones, or the slt HTS voice) with its own
 * fixed pitch, speaking rate and formant scale (a table of 36 speakers in src/data/synth.c). One
 * festival process per speaker runs a generated Scheme script: for each sentence, utt.synth on
 * (Utterance Text ...), utt.wave.resample to the speaker's rate, utt.save.wave (RIFF) and
 * utt.save.segs (phone end times). Up to `jobs` such processes run at once; each finished
 * speaker's files become SX<k>.WAV (16 kHz, 16-bit PCM, written with libsndfile: resampled audio
 * is relabelled as 16 kHz, which scales all frequencies by 16000 / rate), SX<k>.PHN (TIMIT labels,
 * through the one phone table of lsnn/timit.h) and SX<k>.TXT.
 *
 * Everything is built in OUT.tmp-XXXXXX, checked again from disk (contiguous segments from 0 to
 * the WAV length, h# at both ends, TIMIT labels only), and renamed to OUT at the end. The output
 * depends only on the options, the sentence file and the installed festival: the same options
 * give byte-identical files, whatever `jobs`. */
#ifndef LSNN_SYNTH_H
#define LSNN_SYNTH_H

#include "lsnn/status.h"

#define LSNN_SYNTH_RATE 16000          /* of every WAV written */
#define LSNN_SYNTH_VOICES 3            /* kal, ked, slt */
#define LSNN_SYNTH_SPEAKERS 36         /* the speaker table */
#define LSNN_SYNTH_MAX_SENTENCES 9999
#define LSNN_SYNTH_MAX_JOBS 64
#define LSNN_SYNTH_TEXT "data/speech/sentences.txt" /* the default sentence list, in the sources */

/* The key of voice v ("kal", "ked", "slt"), or NULL. */
const char *lsnn_synth_voice_key(int v);

typedef struct lsnn_synth_options {
    const char *out;       /* the corpus directory to create (trailing slashes are ignored) */
    const char *text;      /* the sentence list, or NULL: LSNN_SYNTH_TEXT in the source tree the
                            * library was built from, then beside the executable (../), then in
                            * the working directory */
    const char *festival;  /* the festival program (looked up in PATH) */
    long speakers;         /* the first N speakers of the table whose voice is in use, 3.. */
    long sentences;        /* per speaker, at most the speaker's pool */
    long jobs;             /* festival processes at once */
    int force;             /* replace OUT if it holds a corpus built here (corpus.json) */
    int voice_use[LSNN_SYNTH_VOICES];
} lsnn_synth_options;

/* Progress, reported to the caller (the library does not print). */
typedef enum lsnn_synth_event_kind {
    LSNN_SYNTH_START,     /* the speakers are chosen and festival works: the plan */
    LSNN_SYNTH_SPEAKER,   /* one speaker's utterances are written */
    LSNN_SYNTH_CHECKING   /* the corpus is read back from disk */
} lsnn_synth_event_kind;

typedef struct lsnn_synth_event {
    lsnn_synth_event_kind kind;
    int n_speakers;
    int split_speakers[3];     /* START: speakers in train, validation, test */
    long utterances;           /* START, CHECKING: in the whole corpus */
    long jobs;                 /* START */
    const char *text_path;     /* START: the sentence list and its sentence count */
    int text_sentences;
    const char *build_dir;     /* START: OUT.tmp-XXXXXX */
    int done;                  /* SPEAKER: speakers finished, this one included */
    const char *speaker;       /* SPEAKER: its id and split ("train", "validation", "test") */
    const char *split;
    int speaker_utterances;
    double audio_seconds;      /* SPEAKER: its audio; the seconds its festival ran */
    double speaker_seconds;
    double elapsed_seconds;    /* SPEAKER: since the start, and an estimate of what is left */
    double left_seconds;
} lsnn_synth_event;

typedef void (*lsnn_synth_progress_fn)(void *ctx, const lsnn_synth_event *e);

typedef struct lsnn_synth_result {
    char out[4096];            /* the corpus directory */
    int speakers;
    long utterances, split_utterances[3]; /* train, validation, test */
    double audio_seconds;
    long long bytes;           /* of the WAV and PHN files */
    double seconds;            /* the build, from the START event */
    /* A directory that could not be removed (after a failure: the build directory; after a
     * replacement: the old corpus), or "". */
    char warning[4200];
} lsnn_synth_result;

/* Builds the corpus (see above). progress may be NULL. */
lsnn_status lsnn_synth_speech(const lsnn_synth_options *o, lsnn_synth_progress_fn progress,
                              void *ctx, lsnn_synth_result *res);

#endif

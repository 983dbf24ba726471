/* lsnn/timit.h - speech corpora in TIMIT layout, frame labels, and the feature cache.
 *
 * Layout: CORPUS/TRAIN/<region>/<speaker>/<sentence>.WAV + .PHN, the same under CORPUS/TEST/.
 * Names are matched without regard to case (TRAIN or train, SI1027.PHN or si1027.phn); the audio
 * may be NIST SPHERE or RIFF (lsnn/audio.h), mono 16 kHz. A sentence is a .PHN file with an audio
 * file of the same stem, <stem>.WAV, or else <stem>.WAV.wav (the converted copies of some
 * distributions). The SA1/SA2 sentences (every file whose name starts with "SA"), read by every
 * speaker, are always left out.
 *
 * Splits (lsnn_timit_scan):
 * - LSNN_TIMIT_STANDARD, the real corpus (seed 000 "TIMIT setup": Halberstadt's 3696/400/192):
 *   training is every speaker under TRAIN/ (462 speakers, 3696 sentences); validation the 50
 *   development speakers and test the 24 core-test speakers, both under TEST/ (400 and 192
 *   sentences; lists embedded in timit.c, from ../shared/data/timit). Any other count is an error,
 *   since it means an incomplete or different corpus.
 * - LSNN_TIMIT_GENERIC, any corpus in the same layout (e.g. one synthesised with
 *   `lsnn data synth-speech`): test is every speaker under TEST/; validation is the speakers listed
 *   in CORPUS/valid_speakers.txt or CORPUS/validation_speakers.txt (the file `lsnn data
 *   synth-speech` writes; any case of the name; one speaker ID per line, blank lines and lines
 *   starting with '#' ignored; the speakers may be under TRAIN/ or TEST/ and leave the other
 *   split) when one of them exists, else a deterministic tenth of the TRAIN/ speakers (at least
 *   one, and never all): the speakers with the smallest FNV-1a hash of their lower-case ID, so the
 *   choice depends on the IDs only, not on the order of directory listings. Training is the
 *   other TRAIN/ speakers. The three splits never share a speaker, and none may be empty.
 * Within a split, sentences are sorted by their ID "<region>/<speaker>/<sentence>" in lower
 * case.
 *
 * Frame labels: frame f (samples [160 f, 160 f + 400), lsnn/mfcc.h) gets the phone of the
 * .PHN segment [begin, end) that contains its centre sample c = 160 f + 200, with c first
 * clamped into [first begin, last end - 1] (the last frames are zero-padded and may reach past
 * the last segment). Where segments overlap, the one that begins later wins; a centre in a gap
 * between segments gets the nearer segment (the earlier one on a tie). All 61 TIMIT labels are
 * classes, q and the closures included (seed 000: "one of the 61 phoneme classes"); h# frames are
 * scored like any other.
 *
 * Errors name the file and, for .PHN files, the line: "SX9.PHN:3: unknown phone 'xx'",
 * "SX9.PHN:4: expected '<begin> <end> <phone>'", "SX9.PHN:7: the segment ends at sample 52000
 * but SX9.WAV has 41000 samples (truncated audio?)" (a segment may end at most one hop, 160
 * samples, after the audio). */
#ifndef LSNN_TIMIT_H
#define LSNN_TIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/mfcc.h"
#include "lsnn/status.h"

#define LSNN_TIMIT_PHONES 61
#define LSNN_TIMIT_RATE 16000

/* Phone i (0..60) in the order of ../shared/data/timit/phones61.txt ("b", ..., "kcl"). */
const char *lsnn_timit_phone(int i);
/* Index of a phone label (case-insensitive), or -1. */
int lsnn_timit_phone_index(const char *label);

typedef enum lsnn_timit_mode {
    LSNN_TIMIT_STANDARD = 0, /* "timit" */
    LSNN_TIMIT_GENERIC = 1   /* "generic" */
} lsnn_timit_mode;

/* "timit" or "generic". */
lsnn_status lsnn_timit_mode_parse(const char *name, lsnn_timit_mode *mode);
const char *lsnn_timit_mode_name(lsnn_timit_mode mode);

enum { LSNN_SPLIT_TRAIN = 0, LSNN_SPLIT_VALID = 1, LSNN_SPLIT_TEST = 2, LSNN_SPLITS = 3 };

/* "train", "valid", "test". */
const char *lsnn_split_name(int split);

typedef struct lsnn_timit_utt {
    char id[96];      /* "dr1/fcjf0/si1027", lower case */
    char *wav, *phn;  /* paths (malloc'd) */
    int split;        /* LSNN_SPLIT_* */
} lsnn_timit_utt;

typedef struct lsnn_timit_corpus {
    lsnn_timit_utt *utt;     /* n sentences, by split, then by id */
    int n;
    int count[LSNN_SPLITS];   /* sentences per split */
    int speakers[LSNN_SPLITS];
} lsnn_timit_corpus;

/* Finds the sentences and splits them (see above). On error *out is zeroed. */
lsnn_status lsnn_timit_scan(const char *dir, lsnn_timit_mode mode, lsnn_timit_corpus *out);
void lsnn_timit_corpus_free(lsnn_timit_corpus *c);

/* One line of a .PHN file. */
typedef struct lsnn_phn_segment {
    long begin, end;  /* samples, [begin, end) */
    int phone;        /* 0..60 */
    int line;         /* line number in the file */
} lsnn_phn_segment;

/* Reads and checks a .PHN file: every non-blank line is "<begin> <end> <phone>" with
 * 0 <= begin <= end, begins never decreasing, and a known phone. *seg is malloc'd (*n >= 1). */
lsnn_status lsnn_timit_read_phn(const char *path, lsnn_phn_segment **seg, int *n);

/* Labels of frames 0 .. n_frames - 1 by the rule above (hop and frame_len in samples). */
void lsnn_timit_frame_labels(const lsnn_phn_segment *seg, int n, long n_frames, int hop,
                             int frame_len, int32_t *labels);

/* Features (frames, channels; not standardised) and labels (frames) of one sentence, both
 * malloc'd. The audio must be 16 kHz mono and the .PHN segments must end within the audio. */
lsnn_status lsnn_timit_utterance(const lsnn_timit_utt *u, lsnn_mfcc *m, double **feat,
                                 int32_t **labels, long *frames);

/* ---- Feature cache ------------------------------------------------------------------------
 * lsnn_timit_build_cache writes OUT_DIR/train.safetensors, valid.safetensors and
 * test.safetensors (each atomically), each with the tensors
 *   features  F32 (frames, channels)  standardised with the training set's mean and std
 *   labels    I32 (frames)            phone index 0..60
 *   offsets   I64 (sentences + 1)     sentence s is frames offsets[s] .. offsets[s + 1] - 1
 *   mean, std F64 (channels)          the training statistics (identical in the three files)
 * and the metadata format = "lsnn-speech-1", split, mode, corpus, sentences, frames, channels,
 * coeffs ("1-13"), the MFCC parameters, phones (the 61 labels separated by spaces) and ids (the
 * sentence IDs, one per line). */

#define LSNN_SPEECH_FORMAT "lsnn-speech-1"

/* Called after each sentence (may be NULL). */
typedef void (*lsnn_timit_progress_fn)(void *ctx, int split, int done, int total);

/* What a cache holds, per split. */
typedef struct lsnn_speech_summary {
    int sentences[LSNN_SPLITS];
    long frames[LSNN_SPLITS];
    long longest[LSNN_SPLITS];  /* frames of the longest sentence */
} lsnn_speech_summary;

/* summary may be NULL. */
lsnn_status lsnn_timit_build_cache(const char *corpus_dir, const char *out_dir,
                                   lsnn_timit_mode mode, const lsnn_mfcc_params *params,
                                   lsnn_timit_progress_fn progress, void *ctx,
                                   lsnn_speech_summary *summary);

/* One split read back from the cache (every tensor and metadata value checked). */
typedef struct lsnn_speech_split {
    int split;
    int n_utt, channels;
    long n_frames;
    float *features;   /* (n_frames, channels) */
    int32_t *labels;   /* (n_frames), 0..60 */
    int64_t *offsets;  /* (n_utt + 1), offsets[0] = 0, increasing, offsets[n_utt] = n_frames */
    double *mean, *std; /* (channels) */
} lsnn_speech_split;

/* The file of a split: dir/<split name>.safetensors, into buf (cap bytes). */
lsnn_status lsnn_speech_path(const char *dir, int split, char *buf, size_t cap);
lsnn_status lsnn_speech_load(const char *dir, int split, lsnn_speech_split *out);
void lsnn_speech_free(lsnn_speech_split *s);

#endif

/* lsnn/audio.h - reading speech audio (one channel, a fixed sample rate) through libsndfile.
 *
 * Any format libsndfile reads is accepted; the two that matter are RIFF/WAVE and NIST SPHERE
 * (the original TIMIT .WAV files: a 1024-byte ASCII header "NIST_1A", then 16-bit PCM). The
 * format is recognised from the file's content, never from its name, so a SPHERE file called
 * .WAV and a RIFF file called .wav both work.
 *
 * Only mono files are accepted: a file with two or more channels is rejected (not downmixed),
 * because speech corpora are mono and silently averaging channels would hide a wrong file. A
 * file whose sample rate differs from the one asked for is rejected too (no resampling).
 *
 * libsndfile quietly shortens the sample count of a file that ends early. For RIFF and SPHERE
 * files the reader therefore also parses the header's own length (the "data" chunk size, or the
 * SPHERE field sample_count) and reports a shorter file as truncated. Every error names the file,
 * e.g. "TRAIN/DR1/FCJF0/SI1027.WAV: truncated: the header says 46797 samples, found 20000". */
#ifndef LSNN_AUDIO_H
#define LSNN_AUDIO_H

#include "lsnn/status.h"

/* The most samples a file may have (about 35 minutes at 16 kHz); longer files are rejected
 * before any memory is allocated for them. */
#define LSNN_AUDIO_MAX_SAMPLES (1L << 25)

typedef struct lsnn_audio {
    double *samples; /* n values in [-1, 1): integer PCM divided by 2^(bits - 1) (malloc'd) */
    long n;
    int sample_rate; /* Hz */
} lsnn_audio;

/* Reads a whole mono file. sample_rate > 0 requires that rate (16000 for TIMIT); 0 accepts any.
 * An empty file (no samples) is an error. On error *out is zeroed (nothing to free) and the
 * message, naming the file, is in lsnn_last_error(): LSNN_ERR_IO if it cannot be opened,
 * LSNN_ERR_FORMAT if it is not audio or is truncated, LSNN_ERR_UNSUPPORTED for several channels
 * or another sample rate. */
lsnn_status lsnn_audio_read(const char *path, int sample_rate, lsnn_audio *out);
void lsnn_audio_free(lsnn_audio *a);

#endif

/* Speech audio through libsndfile (see lsnn/audio.h). */
#include "lsnn/audio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

/* The first bytes of a file: enough for a SPHERE header (1024 bytes in TIMIT) and for the chunks
 * that come before "data" in ordinary RIFF files. */
#define LSNN__HEAD_BYTES 4096

static uint32_t lsnn__le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The value of integer field `name` ("sample_count") of a SPHERE header, or -1 when absent.
 * Fields are lines "<name> -i <value>"; the header is plain text ended by "end_head". */
static long lsnn__sphere_int(const char *head, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = head; p && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, "end_head", 8) == 0)
            break;
        if (strncmp(p, name, len) == 0 && p[len] == ' ') {
            const char *q = p + len;
            while (*q == ' ')
                q++;
            if (strncmp(q, "-i", 2) != 0)
                return -1;
            char *end;
            errno = 0;
            long v = strtol(q + 2, &end, 10);
            return errno || end == q + 2 || v < 0 ? -1 : v;
        }
    }
    return -1;
}

/* The number of samples the header of a RIFF or SPHERE file promises, or -1 when the format is
 * another one or the header does not say (a RIFF "data" size of 0 or 0xffffffff is what streaming
 * writers leave behind, so it promises nothing). */
static long lsnn__declared_samples(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    unsigned char h[LSNN__HEAD_BYTES + 1];
    size_t n = fread(h, 1, LSNN__HEAD_BYTES, fp);
    fclose(fp);
    h[n] = 0;
    if (n >= 16 && memcmp(h, "NIST_1A", 7) == 0) {
        long count = lsnn__sphere_int((const char *)h, "sample_count");
        long channels = lsnn__sphere_int((const char *)h, "channel_count");
        /* sample_count is per channel; only mono files get this far anyway. */
        return channels > 1 ? -1 : count;
    }
    if (n < 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return -1;
    unsigned block_align = 0;
    for (size_t pos = 12; pos + 8 <= n;) {
        uint32_t size = lsnn__le32(h + pos + 4);
        if (memcmp(h + pos, "fmt ", 4) == 0 && pos + 8 + 14 <= n)
            block_align = (unsigned)h[pos + 8 + 12] | (unsigned)h[pos + 8 + 13] << 8;
        if (memcmp(h + pos, "data", 4) == 0) {
            if (block_align == 0 || size == 0 || size == 0xffffffffu)
                return -1;
            return (long)(size / block_align);
        }
        /* Chunks are padded to an even length. */
        pos += 8 + (size_t)size + (size & 1u);
    }
    return -1;
}

lsnn_status lsnn_audio_read(const char *path, int sample_rate, lsnn_audio *out)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_audio_read: NULL path");
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fclose(probe);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: not a readable audio file: %s", path,
                          sf_strerror(NULL));
    lsnn_status st = LSNN_OK;
    if (info.channels != 1) {
        st = lsnn_error(LSNN_ERR_UNSUPPORTED,
                        "%s: %d channels; only mono audio is accepted (convert it first, e.g. "
                        "sox IN OUT remix 1)",
                        path, info.channels);
    } else if (sample_rate > 0 && info.samplerate != sample_rate) {
        st = lsnn_error(LSNN_ERR_UNSUPPORTED,
                        "%s: sample rate %d Hz, expected %d Hz (resample it first, e.g. "
                        "sox IN -r %d OUT)",
                        path, info.samplerate, sample_rate, sample_rate);
    } else if (info.frames <= 0) {
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: no audio samples", path);
    } else if (info.frames > LSNN_AUDIO_MAX_SAMPLES) {
        st = lsnn_error(LSNN_ERR_RANGE, "%s: %lld samples, more than the %ld accepted", path,
                        (long long)info.frames, LSNN_AUDIO_MAX_SAMPLES);
    }
    if (st) {
        sf_close(sf);
        return st;
    }
    long declared = lsnn__declared_samples(path);
    long n = (long)info.frames;
    double *x = malloc(sizeof(double) * (size_t)n);
    if (!x) {
        sf_close(sf);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for %ld samples", path, n);
    }
    sf_count_t got = sf_readf_double(sf, x, n);
    int sf_err = sf_error(sf);
    sf_close(sf);
    if (sf_err != SF_ERR_NO_ERROR)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: read error: %s", path, sf_error_number(sf_err));
    else if (got < n || (declared >= 0 && got < declared))
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: truncated: the header says %ld samples, found %lld",
                        path, declared >= 0 ? declared : n, (long long)got);
    if (st) {
        free(x);
        return st;
    }
    out->samples = x;
    out->n = (long)got;
    out->sample_rate = info.samplerate;
    return LSNN_OK;
}

void lsnn_audio_free(lsnn_audio *a)
{
    if (!a)
        return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

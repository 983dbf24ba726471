/* The files of the speech synthesiser (see lsnn/synth.h): the sentence list, festival's segments
 * turned into TIMIT segments, the WAV, PHN and TXT files of an utterance, the checks of the
 * finished corpus from disk, corpus.json and the lists beside it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/synth_internal.h"
#include "io/fs.h"
#include "lsnn/timit.h"

/* The TIMIT label index of a phone (lsnn/timit.h), spelt exactly as in the table, or -1. */
static int synth_timit_index(const char *label)
{
    int i = lsnn_timit_phone_index(label);
    return i >= 0 && strcmp(lsnn_timit_phone(i), label) == 0 ? i : -1;
}

/* Festival phones that are silence: a run of them at either end of an utterance becomes h#, one
 * inside becomes pau. Every other festival phone must already be a TIMIT label (the radio phone
 * set of these voices is a subset of TIMIT's, see docs/DATA.md). */
static int festival_silence(const char *ph)
{
    return strcmp(ph, "pau") == 0 || strcmp(ph, "h#") == 0 || strcmp(ph, "brth") == 0;
}


void lsnn__synth_text_free(text_list *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->line[i]);
    free(t->line);
    t->line = NULL;
    t->n = 0;
}

static int sentence_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '.' ||
           c == ',' || c == '?' || c == '!' || c == '\'' || c == '-' || c == ';' || c == ':';
}

static lsnn_status text_read(const char *path, text_list *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open the sentence list: %s", path, strerror(errno));
    lsnn_sha256_ctx sha;
    lsnn_sha256_init(&sha);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, cap_lines = 0;
    lsnn_status rc = LSNN_OK;
    while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        lsnn_sha256_update(&sha, buf, (size_t)len);
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                           buf[len - 1] == '\t'))
            buf[--len] = '\0';
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        if (strlen(s) > MAX_SENTENCE_CHARS) {
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: sentence longer than %d characters", path, lineno,
                     MAX_SENTENCE_CHARS);
            break;
        }
        int has_letter = 0;
        for (const char *c = s; *c; c++) {
            if (!sentence_char_ok(*c)) {
                rc = (unsigned char)*c >= 32 && (unsigned char)*c < 127
                         ? lsnn_error(LSNN_ERR_IO, "%s:%d: character '%c' not allowed (letters, space and . , ? ! ' "
                               "- ; : only)", path, lineno, *c)
                         : lsnn_error(LSNN_ERR_IO, "%s:%d: byte 0x%02x not allowed (letters, space and . , ? ! ' - "
                               "; : only)", path, lineno, (unsigned char)*c);
                break;
            }
            has_letter |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        }
        if (rc)
            break;
        if (!has_letter) {
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: a sentence needs at least one word", path, lineno);
            break;
        }
        if (t->n == MAX_SENTENCES) {
            rc = lsnn_error(LSNN_ERR_IO, "%s: more than %d sentences", path, MAX_SENTENCES);
            break;
        }
        if (t->n == cap_lines) {
            int nc = cap_lines ? 2 * cap_lines : 256;
            char **nl = realloc(t->line, (size_t)nc * sizeof *nl);
            if (!nl) {
                rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            t->line = nl;
            cap_lines = nc;
        }
        if (!(t->line[t->n] = strdup(s))) {
            rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        t->n++;
    }
    if (rc == 0 && ferror(f))
        rc = lsnn_error(LSNN_ERR_IO, "%s: read error", path);
    free(buf);
    fclose(f);
    if (rc == 0 && t->n < 5)
        rc = lsnn_error(LSNN_ERR_IO, "%s: %d sentences; at least 5 are needed (one per pool of 5)", path, t->n);
    if (rc) {
        lsnn__synth_text_free(t);
        return rc;
    }
    unsigned char d[LSNN_SHA256_BYTES];
    lsnn_sha256_final(&sha, d);
    lsnn_sha256_hex(d, t->sha256);
    return LSNN_OK;
}

/* The default sentence list: TEXT_REL in the source tree this file was compiled from, then
 * relative to the executable (build/lsnn -> ../TEXT_REL), then to the current directory. */
static lsnn_status find_text(char out[PATH_CAP])
{
    char cand[3][PATH_CAP];
    int n = 0;
    const char *src = __FILE__, *tail = "/src/data/synth_utt.c";
    size_t ls = strlen(src), lt = strlen(tail);
    if (src[0] == '/' && ls > lt && strcmp(src + ls - lt, tail) == 0 &&
        snprintf(cand[n], PATH_CAP, "%.*s/%s", (int)(ls - lt), src, TEXT_REL) < PATH_CAP)
        n++;
    char exe[PATH_CAP];
    ssize_t le = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (le > 0) {
        exe[le] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(cand[n], PATH_CAP, "%s/../%s", exe, TEXT_REL) < PATH_CAP)
                n++;
        }
    }
    snprintf(cand[n++], PATH_CAP, "%s", TEXT_REL);
    for (int i = 0; i < n; i++)
        if (access(cand[i], R_OK) == 0) {
            memcpy(out, cand[i], PATH_CAP);
            return LSNN_OK;
        }
    return lsnn_error(LSNN_ERR_IO, "data synth-speech: cannot find the sentence list %s (looked in %s%s%s); give it "
               "with --text FILE", TEXT_REL, cand[0], n > 1 ? " and " : "",
               n > 1 ? cand[n - 1] : "");
}

lsnn_status lsnn__synth_text_load(const char *path, text_list *t)
{
    char text_path[PATH_CAP];
    if (path)
        snprintf(text_path, sizeof text_path, "%s", path);
    else {
        lsnn_status st = find_text(text_path);
        if (st)
            return st;
    }
    return text_read(text_path, t);
}

typedef struct seg {
    long start, end;
    char label[LABEL_CAP];
} seg;

/* Reads festival's utt.save.segs output: header lines up to a line "#", then one line
 * "<end time in s> <field> <phone>" per segment, in order. */
static lsnn_status read_segs(const char *path, double **t_out, char (**ph_out)[LABEL_CAP], int *n_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open festival's segment file: %s", path, strerror(errno));
    double *t = NULL;
    char(*ph)[LABEL_CAP] = NULL;
    int n = 0, cap = 0, lineno = 0, in_body = 0;
    lsnn_status rc = LSNN_OK;
    char line[256];
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!in_body) {
            in_body = strcmp(line, "#") == 0;
            continue;
        }
        char *tok[4];
        int nt = 0;
        for (char *s = strtok(line, " \t"); s && nt < 4; s = strtok(NULL, " \t"))
            tok[nt++] = s;
        if (nt == 0)
            continue;
        char *end;
        double v = nt == 3 ? strtod(tok[0], &end) : 0;
        if (nt != 3 || *end || !isfinite(v) || v < 0 || v > 3600 || (n > 0 && v < t[n - 1]) ||
            strlen(tok[2]) >= LABEL_CAP) {
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: not a segment line '<end time> <field> <phone>' with increasing "
                     "times", path, lineno);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            double *nt2 = realloc(t, (size_t)cap * sizeof *t);
            if (nt2)
                t = nt2;
            char(*np)[LABEL_CAP] = realloc(ph, (size_t)cap * sizeof *ph);
            if (np)
                ph = np;
            if (!nt2 || !np) {
                rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
        }
        t[n] = v;
        snprintf(ph[n], LABEL_CAP, "%s", tok[2]);
        n++;
    }
    fclose(f);
    if (rc == 0 && !in_body)
        rc = lsnn_error(LSNN_ERR_IO, "%s: no '#' line: not festival's segment format", path);
    if (rc == 0 && n == 0)
        rc = lsnn_error(LSNN_ERR_IO, "%s: no segments", path);
    if (rc) {
        free(t);
        free(ph);
        return rc;
    }
    *t_out = t;
    *ph_out = ph;
    *n_out = n;
    return LSNN_OK;
}

/* The ked voice has er-r diphones in place of er: its phone-naming hook inserts an r segment
 * after every er and gives it the second half of the er's duration. Undo that: the segment right
 * after an er is merged back into it (a real r that follows comes after the inserted one). */
static void undo_er_r(double *t, char (*ph)[LABEL_CAP], int *n)
{
    int m = 0;
    for (int i = 0; i < *n; i++) {
        /* ph[i - 1] is still festival's (entries are only moved down, after being read). */
        if (i > 0 && strcmp(ph[i], "r") == 0 && strcmp(ph[i - 1], "er") == 0) {
            t[m - 1] = t[i];
            continue;
        }
        t[m] = t[i];
        if (m != i)
            memcpy(ph[m], ph[i], LABEL_CAP);
        m++;
    }
    *n = m;
}

/* Turns festival's segments (end times in seconds; the audio is at rate Hz and has frames
 * samples) into TIMIT segments in samples: a run of silences at either end -> one h#, a silence
 * inside -> pau, every other phone kept (it must be a TIMIT label). The last segment is clamped
 * or extended to the audio length; zero-length segments are dropped. out needs n entries. */
static lsnn_status to_timit(const char *segs_path, const double *t, char (*ph)[LABEL_CAP], int n,
                    int rate, long frames, seg *out, int *n_out)
{
    int first = 0, last = n - 1;
    while (first < n && festival_silence(ph[first]))
        first++;
    while (last >= 0 && festival_silence(ph[last]))
        last--;
    if (first == n)
        return lsnn_error(LSNN_ERR_IO, "%s: no phones, only silence", segs_path);
    if (first == 0 || last == n - 1)
        return lsnn_error(LSNN_ERR_IO, "%s: the utterance does not %s with a pause", segs_path,
                   first == 0 ? "begin" : "end");
    int m = 0;
    long start = 0;
    for (int i = 0; i < n; i++) {
        long end = i == n - 1 ? frames : lround(t[i] * rate);
        if (end > frames)
            end = frames;
        const char *label;
        if (festival_silence(ph[i]))
            label = i < first || i > last ? "h#" : "pau";
        else if (synth_timit_index(ph[i]) >= 0)
            label = ph[i];
        else
            return lsnn_error(LSNN_ERR_IO, "%s: festival phone '%s' has no TIMIT label (see the phone map in "
                       "docs/DATA.md)", segs_path, ph[i]);
        if (end <= start)
            continue; /* zero length */
        if (m > 0 && strcmp(out[m - 1].label, label) == 0 &&
            (strcmp(label, "h#") == 0 || strcmp(label, "pau") == 0)) {
            out[m - 1].end = end;
        } else {
            out[m].start = start;
            out[m].end = end;
            snprintf(out[m].label, LABEL_CAP, "%s", label);
            m++;
        }
        start = end;
    }
    if (m < 3 || strcmp(out[0].label, "h#") != 0 || strcmp(out[m - 1].label, "h#") != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: the audio (%ld samples at %d Hz) ends before the final pause", segs_path,
                   frames, rate);
    *n_out = m;
    return LSNN_OK;
}

static lsnn_status write_wav(const char *path, const short *x, long frames)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create: %s", path, sf_strerror(NULL));
    sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    sf_count_t w = sf_writef_short(f, x, frames);
    int bad = w != frames;
    if (sf_close(f) != 0 || bad)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write the audio", path);
    if (lsnn__fsync_path(path) != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot sync: %s", path, strerror(errno));
    return LSNN_OK;
}

/* One utterance: festival's SX<k>.riff + SX<k>.segs in the work directory -> SX<k>.WAV, .PHN
 * and .TXT in the speaker's directory. */
lsnn_status lsnn__synth_make_utterance(corpus *c, speaker *sp, int k)
{
    char name[16], file[32], riff[PATH_CAP], segs[PATH_CAP], wav[PATH_CAP], phn[PATH_CAP],
        txt[PATH_CAP];
    lsnn__synth_sentence_name(name, k);
    int bad = 0;
    snprintf(file, sizeof file, "%s.riff", name);
    bad |= lsnn__path_join(riff, PATH_CAP, sp->work_dir, file);
    snprintf(file, sizeof file, "%s.segs", name);
    bad |= lsnn__path_join(segs, PATH_CAP, sp->work_dir, file);
    snprintf(file, sizeof file, "%s.WAV", name);
    bad |= lsnn__path_join(wav, PATH_CAP, sp->out_dir, file);
    snprintf(file, sizeof file, "%s.PHN", name);
    bad |= lsnn__path_join(phn, PATH_CAP, sp->out_dir, file);
    snprintf(file, sizeof file, "%s.TXT", name);
    bad |= lsnn__path_join(txt, PATH_CAP, sp->out_dir, file);
    if (bad)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);

    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *in = sf_open(riff, SFM_READ, &info);
    if (!in)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read festival's audio: %s", riff, sf_strerror(NULL));
    const int rate = sp->def->rate;
    if (info.channels != 1 || info.samplerate != rate || info.frames <= 0 ||
        info.frames > (sf_count_t)MAX_UTT_SECONDS * rate) {
        sf_close(in);
        return lsnn_error(LSNN_ERR_IO, "%s: festival wrote %d channel(s) at %d Hz, %lld samples; expected mono at "
                   "%d Hz, 1 to %d s (did utt.wave.resample fail?)", riff, info.channels,
                   info.samplerate, (long long)info.frames, rate, MAX_UTT_SECONDS);
    }
    long frames = (long)info.frames;
    short *x = malloc((size_t)frames * sizeof *x);
    if (!x) {
        sf_close(in);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", riff);
    }
    sf_count_t got = sf_readf_short(in, x, frames);
    sf_close(in);
    if (got != frames) {
        free(x);
        return lsnn_error(LSNN_ERR_IO, "%s: short read (%lld of %ld samples)", riff, (long long)got, frames);
    }

    double *t = NULL;
    char(*ph)[LABEL_CAP] = NULL;
    int n = 0, m = 0;
    seg *out = NULL;
    lsnn_status rc = read_segs(segs, &t, &ph, &n);
    if (rc == 0 && VOICES[sp->def->voice].er_r)
        undo_er_r(t, ph, &n);
    if (rc == 0 && !(out = malloc((size_t)n * sizeof *out)))
        rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", segs);
    if (rc == 0)
        rc = to_timit(segs, t, ph, n, rate, frames, out, &m);
    free(t);
    free(ph);
    if (rc == 0)
        rc = write_wav(wav, x, frames);
    free(x);

    char *text = NULL;
    if (rc == 0) {
        size_t cap = (size_t)m * 32 + 1;
        if (!(text = malloc(cap)))
            rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", phn);
        size_t used = 0;
        for (int i = 0; rc == 0 && i < m; i++) {
            used += (size_t)snprintf(text + used, cap - used, "%ld %ld %s\n", out[i].start,
                                     out[i].end, out[i].label);
            c->phone_count[sp->split][synth_timit_index(out[i].label)]++;
        }
    }
    if (rc == 0)
        rc = lsnn__write_text(phn, text);
    if (rc == 0) {
        const char *sentence = c->text.line[k];
        size_t cap = strlen(sentence) + 48;
        char *line = malloc(cap);
        if (!line)
            rc = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", txt);
        else {
            snprintf(line, cap, "0 %ld %s\n", frames, sentence);
            rc = lsnn__write_text(txt, line);
            free(line);
        }
    }
    free(text);
    free(out);
    if (rc)
        return rc;
    sp->samples += frames;
    c->utterances[sp->split]++;
    unlink(riff);
    unlink(segs);
    return LSNN_OK;
}

/* ---------------------------------------------------------------- checks and metadata */

/* Re-reads one utterance from disk: the WAV is 16 kHz mono, the .PHN segments are contiguous
 * from 0 to the WAV length, non-empty, TIMIT labels, h# first and last. */
static lsnn_status check_utterance(const char *wav, const char *phn, long long *bytes)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(wav, SFM_READ, &info);
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", wav, sf_strerror(NULL));
    sf_close(f);
    if (info.samplerate != RATE || info.channels != 1 ||
        (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV ||
        (info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16 || info.frames <= 0)
        return lsnn_error(LSNN_ERR_IO, "%s: not a 16 kHz mono 16-bit WAV", wav);
    struct stat st;
    if (stat(wav, &st) == 0)
        *bytes += (long long)st.st_size;
    FILE *p = fopen(phn, "rb");
    if (!p)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", phn, strerror(errno));
    char line[128], first[LABEL_CAP] = "", label[LABEL_CAP] = "";
    long prev = 0, s, e;
    int lineno = 0;
    lsnn_status rc = LSNN_OK;
    while (rc == 0 && fgets(line, sizeof line, p)) {
        lineno++;
        char lab[64];
        int used = 0;
        if (sscanf(line, "%ld %ld %63s%n", &s, &e, lab, &used) != 3 ||
            strcmp(line + used, "\n") != 0)
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: not 'start end phone'", phn, lineno);
        else if (s != prev || e <= s)
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: segment %ld-%ld does not continue at %ld or is empty", phn, lineno,
                     s, e, prev);
        else if (synth_timit_index(lab) < 0)
            rc = lsnn_error(LSNN_ERR_IO, "%s:%d: '%s' is not a TIMIT label", phn, lineno, lab);
        else {
            prev = e;
            snprintf(label, sizeof label, "%.7s", lab);
            if (lineno == 1)
                snprintf(first, sizeof first, "%.7s", lab);
        }
    }
    fclose(p);
    if (rc)
        return rc;
    if (strcmp(first, "h#") != 0 || strcmp(label, "h#") != 0)
        return lsnn_error(LSNN_ERR_IO, "%s: does not begin and end with h#", phn);
    if (prev != (long)info.frames)
        return lsnn_error(LSNN_ERR_IO, "%s: ends at %ld, the WAV has %lld samples", phn, prev,
                   (long long)info.frames);
    if (stat(phn, &st) == 0)
        *bytes += (long long)st.st_size;
    return LSNN_OK;
}

lsnn_status lsnn__synth_check_corpus(corpus *c)
{
    c->bytes = 0;
    for (int i = 0; i < c->n_spk; i++) {
        const speaker *sp = &c->spk[i];
        for (int j = 0; j < sp->n_sent; j++) {
            char name[16], file[32], wav[PATH_CAP], phn[PATH_CAP];
            lsnn__synth_sentence_name(name, sp->sent[j]);
            snprintf(file, sizeof file, "%s.WAV", name);
            int bad = lsnn__path_join(wav, PATH_CAP, sp->out_dir, file);
            snprintf(file, sizeof file, "%s.PHN", name);
            bad |= lsnn__path_join(phn, PATH_CAP, sp->out_dir, file);
            if (bad)
                return lsnn_error(LSNN_ERR_ARG, "%s: path too long", sp->out_dir);
            lsnn_status st = check_utterance(wav, phn, &c->bytes);
            if (st)
                return st;
        }
    }
    return LSNN_OK;
}

static cJSON *phone_counts_json(const long *count)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < LSNN_TIMIT_PHONES; i++)
        if (count[i] > 0)
            cJSON_AddNumberToObject(o, lsnn_timit_phone(i), (double)count[i]);
    return o;
}

/* corpus.json: everything needed to understand or rebuild the corpus (no times or paths, so the
 * same command writes the same bytes). */
lsnn_status lsnn__synth_write_corpus_json(const corpus *c, int sentences)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "lsnn synth-speech 1");
    cJSON_AddStringToObject(root, "layout",
                            "{TRAIN,TEST}/DR1/<speaker>/SX<k>.{WAV,PHN,TXT}; validation speakers "
                            "are in TRAIN/ and listed in validation_speakers.txt");
    cJSON_AddNumberToObject(root, "sample_rate", RATE);
    cJSON_AddStringToObject(root, "festival_version", c->festival_version);
    cJSON *text = cJSON_AddObjectToObject(root, "sentences");
    cJSON_AddNumberToObject(text, "count", c->text.n);
    cJSON_AddStringToObject(text, "sha256", c->text.sha256);
    cJSON_AddStringToObject(text, "pools",
                            "sentence SX<k> is read by validation speakers if k % 5 == 4, by "
                            "test speakers if k % 5 == 0, else by training speakers");
    cJSON_AddNumberToObject(root, "sentences_per_speaker", sentences);
    cJSON_AddStringToObject(root, "phone_map",
                            "festival radio phones are TIMIT labels and kept; pau (and brth, h#) "
                            "-> h# at the ends of an utterance, pau inside it");
    cJSON *splits = cJSON_AddObjectToObject(root, "splits");
    cJSON *utts = cJSON_AddObjectToObject(root, "utterances");
    for (int s = 0; s < N_SPLITS; s++) {
        cJSON *list = cJSON_AddArrayToObject(splits, SPLIT_NAME[s]);
        for (int i = 0; i < c->n_spk; i++)
            if (c->spk[i].split == s)
                cJSON_AddItemToArray(list, cJSON_CreateString(c->spk[i].def->id));
        cJSON_AddNumberToObject(utts, SPLIT_NAME[s], (double)c->utterances[s]);
    }
    cJSON *spks = cJSON_AddArrayToObject(root, "speakers");
    for (int i = 0; i < c->n_spk; i++) {
        const speaker *sp = &c->spk[i];
        const speaker_def *d = sp->def;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(spks, o);
        char dir[64];
        snprintf(dir, sizeof dir, "%s/DR1/%s", SPLIT_DIR[sp->split], d->id);
        cJSON_AddStringToObject(o, "id", d->id);
        cJSON_AddStringToObject(o, "split", SPLIT_NAME[sp->split]);
        cJSON_AddStringToObject(o, "dir", dir);
        cJSON_AddStringToObject(o, "sex", d->id[0] == 'F' ? "F" : "M");
        cJSON_AddStringToObject(o, "festival_voice", VOICES[d->voice].func + 6);
        if (VOICES[d->voice].hts) {
            cJSON_AddNullToObject(o, "f0_target_mean_hz");
            cJSON_AddNullToObject(o, "f0_target_std_hz");
            cJSON_AddNumberToObject(o, "hts_rate", round(1e6 / d->stretch) / 1e6);
        } else {
            cJSON_AddNumberToObject(o, "f0_target_mean_hz", d->f0_mean);
            cJSON_AddNumberToObject(o, "f0_target_std_hz", d->f0_std);
            cJSON_AddNumberToObject(o, "duration_stretch", d->stretch);
        }
        cJSON_AddNumberToObject(o, "resample_hz", d->rate);
        cJSON_AddNumberToObject(o, "frequency_scale", round(1e4 * RATE / d->rate) / 1e4);
        cJSON_AddNumberToObject(o, "utterances", sp->n_sent);
        cJSON_AddNumberToObject(o, "seconds", (double)sp->samples / RATE);
        cJSON *sent = cJSON_AddArrayToObject(o, "sentences");
        for (int j = 0; j < sp->n_sent; j++) {
            char name[16];
            lsnn__synth_sentence_name(name, sp->sent[j]);
            cJSON_AddItemToArray(sent, cJSON_CreateString(name));
        }
    }
    cJSON *pc = cJSON_AddObjectToObject(root, "phone_counts");
    for (int s = 0; s < N_SPLITS; s++)
        cJSON_AddItemToObject(pc, SPLIT_NAME[s], phone_counts_json(c->phone_count[s]));
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!json)
        return lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    size_t n = strlen(json);
    char *withnl = malloc(n + 2);
    lsnn_status rc;
    char path[PATH_CAP];
    if (!withnl)
        rc = lsnn_error(LSNN_ERR_NOMEM, "data synth-speech: out of memory");
    else if (lsnn__path_join(path, PATH_CAP, c->tmp, "corpus.json"))
        rc = lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
    else {
        memcpy(withnl, json, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        rc = lsnn__write_text(path, withnl);
    }
    free(withnl);
    cJSON_free(json);
    return rc;
}

lsnn_status lsnn__synth_write_lists(const corpus *c)
{
    char path[PATH_CAP], buf[N_SPEAKERS * 8 + 1] = "";
    size_t n = 0;
    for (int i = 0; i < c->n_spk; i++)
        if (c->spk[i].split == SPLIT_VALID)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", c->spk[i].def->id);
    if (lsnn__path_join(path, PATH_CAP, c->tmp, "validation_speakers.txt"))
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
    lsnn_status st = lsnn__write_text(path, buf);
    if (st)
        return st;
    static const char *readme =
        "Synthetic phone-labelled speech in TIMIT layout, built by 'lsnn data synth-speech'\n"
        "with festival (see docs/DATA.md of lsnn, and corpus.json here for every parameter).\n"
        "\n"
        "TRAIN/DR1/<speaker>/SX<k>.WAV  RIFF WAVE, 16 kHz, 16-bit, mono\n"
        "TRAIN/DR1/<speaker>/SX<k>.PHN  'start end phone' per line: samples at 16 kHz, TIMIT\n"
        "                               labels, contiguous from 0 to the WAV length, h# first\n"
        "                               and last\n"
        "TRAIN/DR1/<speaker>/SX<k>.TXT  '0 <samples> <sentence>'\n"
        "TEST/DR1/<speaker>/...         the test speakers\n"
        "validation_speakers.txt        TRAIN/ speakers held out for validation (one per line)\n"
        "\n"
        "Training: TRAIN/ minus the validation speakers. Validation: the listed speakers.\n"
        "Test: TEST/. The three sets share no speaker and no sentence. The speakers are\n"
        "festival voices (kal, ked diphones; slt HTS) with different pitch, rate and formant\n"
        "scale, not real people: F speakers of kal/ked are male voices made higher.\n";
    if (lsnn__path_join(path, PATH_CAP, c->tmp, "README.txt"))
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", c->tmp);
    return lsnn__write_text(path, readme);
}


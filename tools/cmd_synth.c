/* lsnn data synth-speech - the options and messages of the synthetic speech corpus; the corpus
 * is built by the library (lsnn/synth.h, src/data/synth*.c). */
#include "cli.h"
#include "cmd_synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/synth.h"

#define DEFAULT_SENTENCES 60
#define STR_(x) #x
#define STR(x) STR_(x)
#define QUICK_SPEAKERS 6
#define QUICK_SENTENCES 2

static const char *SYNTH_HELP =
    "usage: lsnn data synth-speech OUT [options]\n"
    "\n"
    "Synthesises a phone-labelled speech corpus in TIMIT layout with festival:\n"
    "  OUT/TRAIN/DR1/<SPEAKER>/SX<k>.WAV   RIFF WAVE, 16 kHz, 16-bit mono\n"
    "  OUT/TRAIN/DR1/<SPEAKER>/SX<k>.PHN   'start end phone' per line, in samples, TIMIT labels,\n"
    "                                      contiguous from 0 to the WAV length, h# at both ends\n"
    "  OUT/TRAIN/DR1/<SPEAKER>/SX<k>.TXT   '0 <samples> <sentence>'\n"
    "  OUT/TEST/DR1/<SPEAKER>/...          test speakers, same files\n"
    "  OUT/validation_speakers.txt         the TRAIN/ speakers held out for validation\n"
    "  OUT/corpus.json, OUT/README.txt     speakers, their parameters, splits, phone counts\n"
    "\n"
    "A speaker is a festival voice (kal or ked diphones, slt HTS) with its own pitch, speaking\n"
    "rate and formant scale; speaker ids start with M or F as heard (MKAL0, FSLT2, ...). The\n"
    "splits are speaker-disjoint (default 24 train / 6 validation / 6 test speakers) and read\n"
    "disjoint sentences (sentence k goes to validation if k % 5 == 4, test if k % 5 == 0, else\n"
    "train). The same command gives byte-identical files. The corpus is built in OUT.tmp-XXXXXX\n"
    "and renamed to OUT when complete and checked. The default corpus (2,160 utterances, 1 h 49\n"
    "min of audio, 211 MB) took about a minute with 2 jobs on 2 cores; progress goes to stderr.\n"
    "\n"
    "options:\n"
    "  --speakers N     the first N speakers of the table (3 to 36, default 36)\n"
    "  --sentences N    sentences per speaker (default " STR(DEFAULT_SENTENCES)
    "), at most the speaker's\n"
    "                   pool: 180 for training, 60 for validation and test speakers with\n"
    "                   the shipped list of 300\n"
    "  --voices LIST    voices to use, comma-separated from kal,ked,slt (default all three;\n"
    "                   slt needs the Debian package festvox-us-slt-hts)\n"
    "  --jobs N         festival processes at once (default 2)\n"
    "  --quick          a tiny corpus for tests: 6 speakers x 2 sentences (--speakers and\n"
    "                   --sentences still apply)\n"
    "  --text FILE      the sentence list (default " LSNN_SYNTH_TEXT " of the source tree)\n"
    "  --festival PROG  the festival program (default festival, from PATH)\n"
    "  --force          replace OUT if it holds a corpus built by this command\n"
    "  -h, --help       this text\n"
    "\n"
    "Needs festival, festvox-kallpc16k, festvox-kdlpc16k and festvox-us-slt-hts (Debian).\n"
    "See docs/DATA.md for the speaker table and the phone mapping.\n";

static int parse_count(const char *opt, const char *s, long lo, long hi, long *out)
{
    if (!s)
        return die("data synth-speech: %s: missing value", opt);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return die("data synth-speech: %s: '%s' is not an integer from %ld to %ld", opt, s, lo,
                   hi);
    *out = v;
    return 0;
}

static void format_duration(char *out, size_t cap, double s)
{
    long t = lround(s);
    if (t >= 3600)
        snprintf(out, cap, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60)
        snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, cap, "%lds", t);
}

typedef struct options {
    lsnn_synth_options lib;
    int quick;
} options;

static int parse_voices(const char *list, int use[LSNN_SYNTH_VOICES])
{
    if (!list)
        return die("data synth-speech: --voices: missing value");
    memset(use, 0, LSNN_SYNTH_VOICES * sizeof *use);
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        int found = 0;
        for (int v = 0; v < LSNN_SYNTH_VOICES; v++) {
            const char *key = lsnn_synth_voice_key(v);
            if (strlen(key) == n && strncmp(key, s, n) == 0)
                found = use[v] = 1;
        }
        if (!found)
            return die("data synth-speech: --voices: unknown voice '%.*s' (kal, ked or slt)",
                       (int)n, s);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

/* Returns 0, 1 on error, 2 after printing the help. */
static int parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->lib.festival = "festival";
    o->lib.speakers = o->lib.sentences = -1;
    o->lib.jobs = 2;
    for (int v = 0; v < LSNN_SYNTH_VOICES; v++)
        o->lib.voice_use[v] = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(SYNTH_HELP, stdout);
            return 2;
        }
        if (strcmp(a, "--speakers") == 0) {
            if (parse_count(a, val, 3, LSNN_SYNTH_SPEAKERS, &o->lib.speakers))
                return 1;
            i++;
        } else if (strcmp(a, "--sentences") == 0) {
            if (parse_count(a, val, 1, LSNN_SYNTH_MAX_SENTENCES, &o->lib.sentences))
                return 1;
            i++;
        } else if (strcmp(a, "--jobs") == 0) {
            if (parse_count(a, val, 1, LSNN_SYNTH_MAX_JOBS, &o->lib.jobs))
                return 1;
            i++;
        } else if (strcmp(a, "--voices") == 0) {
            if (parse_voices(val, o->lib.voice_use))
                return 1;
            i++;
        } else if (strcmp(a, "--text") == 0 || strcmp(a, "--festival") == 0) {
            if (!val || !*val)
                return die("data synth-speech: %s: missing value", a);
            *(a[2] == 't' ? &o->lib.text : &o->lib.festival) = val;
            i++;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = 1;
        } else if (strcmp(a, "--force") == 0) {
            o->lib.force = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return die("data synth-speech: unknown option '%s' (see lsnn data synth-speech "
                       "--help)", a);
        } else if (o->lib.out) {
            return die("data synth-speech: more than one OUT given ('%s', '%s')", o->lib.out, a);
        } else {
            o->lib.out = a;
        }
    }
    if (!o->lib.out || !*o->lib.out)
        return die("data synth-speech: missing OUT (see lsnn data synth-speech --help)");
    if (o->lib.speakers < 0)
        o->lib.speakers = o->quick ? QUICK_SPEAKERS : LSNN_SYNTH_SPEAKERS;
    if (o->lib.sentences < 0)
        o->lib.sentences = o->quick ? QUICK_SENTENCES : DEFAULT_SENTENCES;
    return 0;
}

static void progress(void *ctx, const lsnn_synth_event *e)
{
    (void)ctx;
    if (e->kind == LSNN_SYNTH_START) {
        fprintf(stderr,
                "synth-speech: %d speakers (%d train, %d validation, %d test), %ld utterances, "
                "%ld festival job%s, sentences from %s (%d); building in %s\n",
                e->n_speakers, e->split_speakers[0], e->split_speakers[1], e->split_speakers[2],
                e->utterances, e->jobs, e->jobs == 1 ? "" : "s", e->text_path,
                e->text_sentences, e->build_dir);
    } else if (e->kind == LSNN_SYNTH_SPEAKER) {
        char e1[32], e2[32];
        format_duration(e1, sizeof e1, e->elapsed_seconds);
        format_duration(e2, sizeof e2, e->left_seconds);
        fprintf(stderr,
                "synth-speech: [%2d/%d] %s %-10s %3d utterances, %6.1f s of audio (%.1f s); "
                "elapsed %s, about %s left\n",
                e->done, e->n_speakers, e->speaker, e->split, e->speaker_utterances,
                e->audio_seconds, e->speaker_seconds, e1, e2);
    } else {
        fprintf(stderr, "synth-speech: checking the %ld utterances ...\n", e->utterances);
    }
}

int lsnn_cmd_synth_speech(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc == 2 ? 0 : rc;
    lsnn_synth_result res;
    lsnn_status st = lsnn_synth_speech(&o.lib, progress, NULL, &res);
    if (st)
        rc = die_status();
    if (res.warning[0])
        fprintf(stderr, "lsnn: warning: %s\n", res.warning);
    if (st)
        return rc;
    char el[32], au[32];
    format_duration(el, sizeof el, res.seconds);
    format_duration(au, sizeof au, res.audio_seconds);
    printf("synthetic speech corpus in %s: %ld utterances (%ld train, %ld validation, %ld test) "
           "from %d speakers, %s of 16 kHz audio, %.1f MB; built in %s\n",
           res.out, res.utterances, res.split_utterances[0], res.split_utterances[1],
           res.split_utterances[2], res.speakers, au, (double)res.bytes / 1e6, el);
    return 0;
}

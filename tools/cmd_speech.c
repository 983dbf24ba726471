/* lsnn data timit | mfcc - speech features (docs/DATA.md, "Speech: TIMIT and corpora in TIMIT
 * layout").
 *
 * `timit` reads a corpus, computes the MFCC channels of every sentence once and writes the
 * feature cache that the timit task trains on (lsnn_timit_build_cache, lsnn/timit.h). `mfcc`
 * prints the 39 channels of one file, before standardisation, for checking the features against
 * another implementation (tests/cli/mfcc_ref.sh). */
#include "cli.h"
#include "cmd_speech.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsnn/audio.h"
#include "lsnn/mfcc.h"
#include "lsnn/timit.h"

static const char *TIMIT_HELP =
    "usage: lsnn data timit CORPUS OUT [--mode timit|generic] [--coeffs 1-13|0-12] [--quiet]\n"
    "\n"
    "Computes the MFCC features of every sentence of CORPUS once and writes them to OUT as\n"
    "train.safetensors, valid.safetensors and test.safetensors (point timit.dir at OUT).\n"
    "CORPUS is in TIMIT layout: TRAIN/ and TEST/, each <region>/<speaker>/<sentence>.WAV\n"
    "(NIST SPHERE or RIFF, 16 kHz mono) + .PHN, names in any case; SA sentences are left out.\n"
    "Features: 13 cepstral coefficients of 40 mel filters every 10 ms (25 ms frames) and their\n"
    "first and second derivatives, 39 channels, standardised with the training set's mean and\n"
    "standard deviation. Labels: the phone at each frame's centre, one of the 61 TIMIT phones.\n"
    "\n"
    "options:\n"
    "  --mode timit     the real corpus (default): training = every TRAIN/ speaker (3696\n"
    "                   sentences), validation = the 50 development speakers (400), test = the\n"
    "                   24 core-test speakers (192); other counts are an error\n"
    "  --mode generic   any corpus in TIMIT layout: test = TEST/; validation = the speakers\n"
    "                   listed in CORPUS/valid_speakers.txt (or validation_speakers.txt, as\n"
    "                   lsnn data synth-speech writes), or else a fixed tenth of the TRAIN/\n"
    "                   speakers (chosen by a hash of their IDs); training = the other TRAIN/\n"
    "                   speakers\n"
    "  --coeffs 1-13    cepstral coefficients kept (default 1-13: C0, the mean log energy, is\n"
    "                   dropped as in seed 004); 0-12 keeps C0 and drops C13\n"
    "  --quiet          no progress lines\n"
    "  -h, --help       this text\n";

static const char *MFCC_HELP =
    "usage: lsnn data mfcc WAV [--out CSV] [--coeffs 1-13|0-12]\n"
    "\n"
    "Prints the 39 MFCC channels of one 16 kHz mono audio file (RIFF or NIST SPHERE), one line\n"
    "per 10 ms frame, before any standardisation: c<k> (cepstral coefficient k), d<k> (its first\n"
    "derivative), dd<k> (its second derivative). Same recipe as lsnn data timit.\n"
    "\n"
    "options:\n"
    "  --out CSV        write the table to CSV (atomically) instead of standard output\n"
    "  --coeffs 1-13    coefficients kept (default 1-13; or 0-12)\n"
    "  -h, --help       this text\n";

static int parse_coeffs(const char *v, lsnn_mfcc_params *p)
{
    if (strcmp(v, "1-13") == 0)
        p->first_coeff = 1;
    else if (strcmp(v, "0-12") == 0)
        p->first_coeff = 0;
    else
        return die("--coeffs: expected 1-13 or 0-12, got '%s'", v);
    p->n_coeffs = 13;
    return 0;
}

static void on_progress(void *ctx, int split, int done, int total)
{
    (void)ctx;
    /* A line every 500 sentences and at the end of each split: enough to see it move. */
    if (done % 500 == 0 || done == total) {
        printf("%-5s %5d/%d sentences\n", lsnn_split_name(split), done, total);
        fflush(stdout);
    }
}

static int cmd_timit(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0, quiet = 0;
    lsnn_timit_mode mode = LSNN_TIMIT_STANDARD;
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(TIMIT_HELP, stdout);
            return 0;
        } else if (strcmp(a, "--mode") == 0 || strcmp(a, "--coeffs") == 0) {
            if (i + 1 >= argc)
                return die("data timit: %s needs a value (see lsnn data timit --help)", a);
            const char *v = argv[++i];
            if (a[2] == 'm') {
                if (lsnn_timit_mode_parse(v, &mode))
                    return die("data timit: --mode: %s", lsnn_last_error());
            } else if (parse_coeffs(v, &p)) {
                return 1;
            }
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return die("data timit: unknown option '%s' (see lsnn data timit --help)", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return die("data timit: unexpected argument '%s' (see lsnn data timit --help)", a);
        }
    }
    if (npos < 2)
        return die("data timit: usage: lsnn data timit CORPUS OUT [options] (see --help)");
    lsnn_timit_corpus corpus;
    if (lsnn_timit_scan(pos[0], mode, &corpus))
        return die_status();
    if (!quiet) {
        printf("corpus %s (mode %s): %d training sentences (%d speakers), %d validation (%d), "
               "%d test (%d)\n",
               pos[0], lsnn_timit_mode_name(mode), corpus.count[0], corpus.speakers[0],
               corpus.count[1], corpus.speakers[1], corpus.count[2], corpus.speakers[2]);
        fflush(stdout);
    }
    lsnn_timit_corpus_free(&corpus);
    lsnn_speech_summary sum;
    if (lsnn_timit_build_cache(pos[0], pos[1], mode, &p, quiet ? NULL : on_progress, NULL, &sum))
        return die_status();
    if (!quiet)
        for (int s = 0; s < LSNN_SPLITS; s++) {
            char path[4096];
            if (lsnn_speech_path(pos[1], s, path, sizeof path) == LSNN_OK)
                printf("wrote %s: %d sentences, %ld frames, the longest %ld frames\n", path,
                       sum.sentences[s], sum.frames[s], sum.longest[s]);
            /* The majority-class baseline a classifier must beat. */
            lsnn_speech_split sp;
            if (lsnn_speech_load(pos[1], s, &sp) != LSNN_OK)
                return die_status();
            long count[LSNN_TIMIT_PHONES] = {0};
            for (long f = 0; f < sp.n_frames; f++)
                count[sp.labels[f]]++;
            int best = 0;
            for (int k = 1; k < LSNN_TIMIT_PHONES; k++)
                best = count[k] > count[best] ? k : best;
            double frac = sp.n_frames ? (double)count[best] / sp.n_frames : 0;
            printf("  majority phone '%s': %.1f%% of the frames (always guessing it: frame error "
                   "rate %.1f%%)\n",
                   lsnn_timit_phone(best), 100 * frac, 100 * (1 - frac));
            lsnn_speech_free(&sp);
        }
    return 0;
}

/* Writes the feature table as CSV to fp. */
static int write_csv(FILE *fp, const double *x, long frames, const lsnn_mfcc_params *p)
{
    const int nc = p->n_coeffs, C = 3 * nc;
    static const char *const prefix[3] = {"c", "d", "dd"};
    for (int g = 0; g < 3; g++)
        for (int r = 0; r < nc; r++)
            fprintf(fp, "%s%s%d", g || r ? "," : "", prefix[g], p->first_coeff + r);
    fputc('\n', fp);
    for (long f = 0; f < frames; f++)
        for (int c = 0; c < C; c++)
            fprintf(fp, "%.10g%c", x[(size_t)f * C + c], c + 1 < C ? ',' : '\n');
    return ferror(fp) ? -1 : 0;
}

/* CSV to path through path.tmp.<pid>, fsync and rename, so that no half-written file is left. */
static int write_csv_atomic(const char *path, const double *x, long frames,
                            const lsnn_mfcc_params *p)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return die("%s: path too long", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return die("%s: cannot write: %s", tmp, strerror(errno));
    int bad = write_csv(fp, x, frames, p) != 0 || fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int e = errno;
    if (fclose(fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        remove(tmp);
        return die("%s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

static int cmd_mfcc(int argc, char **argv)
{
    const char *wav = NULL, *out = NULL;
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(MFCC_HELP, stdout);
            return 0;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--coeffs") == 0) {
            if (i + 1 >= argc)
                return die("data mfcc: %s needs a value (see lsnn data mfcc --help)", a);
            const char *v = argv[++i];
            if (a[2] == 'o')
                out = v;
            else if (parse_coeffs(v, &p))
                return 1;
        } else if (a[0] == '-' && a[1]) {
            return die("data mfcc: unknown option '%s' (see lsnn data mfcc --help)", a);
        } else if (!wav) {
            wav = a;
        } else {
            return die("data mfcc: unexpected argument '%s' (see lsnn data mfcc --help)", a);
        }
    }
    if (!wav)
        return die("data mfcc: usage: lsnn data mfcc WAV [--out CSV] (see --help)");
    lsnn_audio audio;
    if (lsnn_audio_read(wav, p.sample_rate, &audio))
        return die_status();
    lsnn_status st;
    lsnn_mfcc *m = lsnn_mfcc_create(&p, &st);
    if (!m) {
        lsnn_audio_free(&audio);
        return die_status();
    }
    long frames = lsnn_mfcc_frames(m, audio.n);
    double *x = malloc(sizeof(double) * (size_t)frames * lsnn_mfcc_channels(m));
    int rc = 0;
    if (!x)
        rc = die("%s: out of memory", wav);
    else if (lsnn_mfcc_compute(m, audio.samples, audio.n, x))
        rc = die("%s: %s", wav, lsnn_last_error());
    else if (out)
        rc = write_csv_atomic(out, x, frames, &p);
    else if (write_csv(stdout, x, frames, &p) != 0 || fflush(stdout) != 0)
        rc = die("standard output: write error");
    free(x);
    lsnn_mfcc_free(m);
    lsnn_audio_free(&audio);
    return rc;
}

int lsnn_cmd_speech(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "timit") == 0)
        return cmd_timit(argc, argv);
    if (argc >= 1 && strcmp(argv[0], "mfcc") == 0)
        return cmd_mfcc(argc, argv);
    return die("data: lsnn_cmd_speech handles timit and mfcc only");
}

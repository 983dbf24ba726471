/* lsnn data synth-speech - a phone-labelled speech corpus in TIMIT layout, synthesised with
 * festival (docs/DATA.md, "Synthetic speech").
 *
 * Every speaker is one festival voice (kal or ked diphones, or the slt HTS voice) with its own
 * fixed pitch, speaking rate and formant scale (SPEAKERS below). One festival process per speaker
 * runs a generated Scheme script: for each sentence, utt.synth on (Utterance Text ...),
 * utt.wave.resample to the speaker's rate, utt.save.wave (RIFF) and utt.save.segs (phone end
 * times). Up to --jobs such processes run at once; the parent turns each finished speaker's
 * files into SX<k>.WAV (16 kHz, 16-bit PCM, written with libsndfile: resampled audio is
 * relabelled as 16 kHz, which scales all frequencies by 16000 / rate), SX<k>.PHN and SX<k>.TXT.
 *
 * Everything is built in OUT.tmp-XXXXXX, checked again from disk (contiguous segments from 0 to
 * the WAV length, h# at both ends, TIMIT labels only), and renamed to OUT at the end. The
 * output depends only on the options, the sentence file and the installed festival: the same
 * command gives byte-identical files, whatever --jobs. */
#include "cli.h"
#include "cmd_synth.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lsnn/core.h"
#include "lsnn/sha256.h"

extern char **environ;

#define PATH_CAP 4096
#define RATE 16000                 /* of every WAV written */
#define MAX_SENTENCES 9999
#define MAX_SENTENCE_CHARS 400
#define MAX_JOBS 64
#define MAX_UTT_SECONDS 60          /* longer festival output is treated as an error */
#define DEFAULT_SENTENCES 60
#define STR_(x) #x
#define STR(x) STR_(x)
#define QUICK_SPEAKERS 6
#define QUICK_SENTENCES 2
#define SENTENCE_SEED 20240611u     /* sentence choice of each speaker */
#define TEXT_REL "data/speech/sentences.txt"
#define LABEL_CAP 8

/* The 61 TIMIT labels (../shared/data/timit/phones61.txt), the only labels a .PHN may hold. */
static const char *const TIMIT61[61] = {
    "b",   "d",   "g",  "p",   "t",   "k",  "dx",  "q",   "jh",   "ch",  "s",   "sh",  "z",
    "zh",  "f",   "th", "v",   "dh",  "m",  "n",   "ng",  "em",   "en",  "eng", "nx",  "l",
    "r",   "w",   "y",  "hh",  "hv",  "el", "iy",  "ih",  "eh",   "ey",  "ae",  "aa",  "aw",
    "ay",  "ah",  "ao", "oy",  "ow",  "uh", "uw",  "ux",  "er",   "ax",  "ix",  "axr", "ax-h",
    "pau", "epi", "h#", "bcl", "dcl", "gcl", "pcl", "tcl", "kcl"};

static int timit_index(const char *label)
{
    for (int i = 0; i < 61; i++)
        if (strcmp(TIMIT61[i], label) == 0)
            return i;
    return -1;
}

/* Festival phones that are silence: a run of them at either end of an utterance becomes h#, one
 * inside becomes pau. Every other festival phone must already be a TIMIT label (the radio phone
 * set of these voices is a subset of TIMIT's, see docs/DATA.md). */
static int festival_silence(const char *ph)
{
    return strcmp(ph, "pau") == 0 || strcmp(ph, "h#") == 0 || strcmp(ph, "brth") == 0;
}

/* ---------------------------------------------------------------- voices and speakers */

enum { V_KAL, V_KED, V_SLT, N_VOICES };

typedef struct voice {
    const char *key;      /* --voices name */
    const char *func;     /* festival function that selects it */
    const char *package;  /* Debian package */
    int hts;              /* 1: HTS voice (rate through hts_engine "-r", no F0 targets) */
    int er_r;             /* 1: the voice splits every er into er + r (see undo_er_r) */
} voice;

static const voice VOICES[N_VOICES] = {
    {"kal", "voice_kal_diphone", "festvox-kallpc16k", 0, 0},
    {"ked", "voice_ked_diphone", "festvox-kdlpc16k", 0, 1},
    {"slt", "voice_cmu_us_slt_arctic_hts", "festvox-us-slt-hts", 1, 0},
};

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

static const speaker_def SPEAKERS[] = {
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
#define N_SPEAKERS ((int)(sizeof SPEAKERS / sizeof SPEAKERS[0]))

enum { SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST, N_SPLITS };
static const char *const SPLIT_NAME[N_SPLITS] = {"train", "validation", "test"};
static const char *const SPLIT_DIR[N_SPLITS] = {"TRAIN", "TRAIN", "TEST"};
/* Position in the list of chosen speakers, modulo 6 -> split. */
static const int SPLIT_OF[6] = {SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST,
                                SPLIT_TRAIN, SPLIT_TRAIN, SPLIT_TRAIN};

/* Sentence k (0-based) belongs to the pool of one split, so the three splits read different
 * texts: k % 5 == 3 validation, k % 5 == 4 test, the rest training. */
static int pool_of(int k)
{
    return k % 5 == 3 ? SPLIT_VALID : k % 5 == 4 ? SPLIT_TEST : SPLIT_TRAIN;
}

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
    "  --text FILE      the sentence list (default " TEXT_REL " of the source tree)\n"
    "  --festival PROG  the festival program (default festival, from PATH)\n"
    "  --force          replace OUT if it holds a corpus built by this command\n"
    "  -h, --help       this text\n"
    "\n"
    "Needs festival, festvox-kallpc16k, festvox-kdlpc16k and festvox-us-slt-hts (Debian).\n"
    "See docs/DATA.md for the speaker table and the phone mapping.\n";

/* ---------------------------------------------------------------- small helpers */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* out = dir "/" name; -1 if it does not fit. */
static int path_join(char out[PATH_CAP], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    return n < 0 || n >= PATH_CAP ? -1 : 0;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return die("%s: cannot create directory: %s", path, strerror(errno));
}

/* Creates the missing directories above path (not path itself). */
static int make_parents(const char *path)
{
    char p[PATH_CAP];
    if (strlen(path) >= sizeof p)
        return die("%s: path too long", path);
    strcpy(p, path);
    char *last = strrchr(p, '/');
    if (!last || last == p)
        return 0;
    *last = '\0';
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (make_dir(p))
                return 1;
            *s = '/';
        }
    return make_dir(p);
}

/* Removes path and, for a directory, everything in it; never follows symbolic links. */
static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char sub[PATH_CAP];
        if (path_join(sub, path, ent->d_name) != 0 || remove_tree(sub) != 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(path) != 0 ? -1 : rc;
}

/* 1 if dir exists and holds nothing, 0 if it holds something, -1 if it cannot be read. */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int empty = 1;
    struct dirent *ent;
    while (empty && (ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

/* Writes text to path (which lies in the unpublished build directory) and syncs it. */
static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return die("%s: cannot create: %s", path, strerror(errno));
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    return ok ? 0 : die("%s: cannot write: %s", path, strerror(e));
}

/* The last line of a festival log that says something, for error messages. */
static void log_tail(const char *log, char *out, size_t cap)
{
    snprintf(out, cap, "no output");
    FILE *f = fopen(log, "rb");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n > 0 && strncmp(line, "done ", 5) != 0)
            snprintf(out, cap, "%s", line);
    }
    fclose(f);
}

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

/* ---------------------------------------------------------------- sentences */

typedef struct text_list {
    char **line;
    int n;
    char path[PATH_CAP];
    char sha256[LSNN_SHA256_HEX]; /* of the file's bytes */
} text_list;

static void text_free(text_list *t)
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

static int text_load(const char *path, text_list *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return die("%s: cannot open the sentence list: %s", path, strerror(errno));
    lsnn_sha256_ctx sha;
    lsnn_sha256_init(&sha);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, cap_lines = 0, rc = 0;
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
            rc = die("%s:%d: sentence longer than %d characters", path, lineno,
                     MAX_SENTENCE_CHARS);
            break;
        }
        int has_letter = 0;
        for (const char *c = s; *c; c++) {
            if (!sentence_char_ok(*c)) {
                rc = (unsigned char)*c >= 32 && (unsigned char)*c < 127
                         ? die("%s:%d: character '%c' not allowed (letters, space and . , ? ! ' "
                               "- ; : only)", path, lineno, *c)
                         : die("%s:%d: byte 0x%02x not allowed (letters, space and . , ? ! ' - "
                               "; : only)", path, lineno, (unsigned char)*c);
                break;
            }
            has_letter |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        }
        if (rc)
            break;
        if (!has_letter) {
            rc = die("%s:%d: a sentence needs at least one word", path, lineno);
            break;
        }
        if (t->n == MAX_SENTENCES) {
            rc = die("%s: more than %d sentences", path, MAX_SENTENCES);
            break;
        }
        if (t->n == cap_lines) {
            int nc = cap_lines ? 2 * cap_lines : 256;
            char **nl = realloc(t->line, (size_t)nc * sizeof *nl);
            if (!nl) {
                rc = die("%s: out of memory", path);
                break;
            }
            t->line = nl;
            cap_lines = nc;
        }
        if (!(t->line[t->n] = strdup(s))) {
            rc = die("%s: out of memory", path);
            break;
        }
        t->n++;
    }
    if (rc == 0 && ferror(f))
        rc = die("%s: read error", path);
    free(buf);
    fclose(f);
    if (rc == 0 && t->n < 5)
        rc = die("%s: %d sentences; at least 5 are needed (one per pool of 5)", path, t->n);
    if (rc) {
        text_free(t);
        return rc;
    }
    unsigned char d[LSNN_SHA256_BYTES];
    lsnn_sha256_final(&sha, d);
    lsnn_sha256_hex(d, t->sha256);
    return 0;
}

/* The default sentence list: TEXT_REL in the source tree this file was compiled from, then
 * relative to the executable (build/lsnn -> ../TEXT_REL), then to the current directory. */
static int find_text(char out[PATH_CAP])
{
    char cand[3][PATH_CAP];
    int n = 0;
    const char *src = __FILE__, *tail = "/tools/cmd_synth.c";
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
            return 0;
        }
    return die("data synth-speech: cannot find the sentence list %s (looked in %s%s%s); give it "
               "with --text FILE", TEXT_REL, cand[0], n > 1 ? " and " : "",
               n > 1 ? cand[n - 1] : "");
}

/* ---------------------------------------------------------------- festival */

/* Starts prog -b script in directory dir, stdin from /dev/null, stdout and stderr to log, with
 * HOME set to dir (so that a ~/.festivalrc cannot change the corpus). Returns the pid, or -1 with
 * errno set (ENOENT: prog not found). */
static pid_t spawn_festival(const char *prog, const char *dir, const char *script,
                            const char *log)
{
    /* Everything the child needs is prepared here: between fork and exec it only calls
     * async-signal-safe functions. */
    size_t n_env = 0;
    while (environ && environ[n_env])
        n_env++;
    char **env = malloc((n_env + 2) * sizeof *env);
    if (!env) {
        errno = ENOMEM;
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "HOME=", 5) != 0)
            env[k++] = environ[i];
    env[k++] = "HOME=."; /* the child's working directory, dir */
    env[k] = NULL;
    char *argv[] = {(char *)prog, "-b", (char *)script, NULL};

    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int pfd[2] = {-1, -1};
    pid_t pid = -1;
    int e = 0;
    if (logfd < 0 || nullfd < 0 || pipe(pfd) != 0) {
        e = errno;
        goto out;
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        e = errno;
        goto out;
    }
    if (pid == 0) {
        int ce = 0;
        if (dup2(nullfd, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
            dup2(logfd, STDERR_FILENO) < 0 || chdir(dir) != 0)
            ce = errno;
        else {
            environ = env;
            execvp(prog, argv);
            ce = errno;
        }
        ssize_t w = write(pfd[1], &ce, sizeof ce); /* the pipe closes on a successful exec */
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    pfd[1] = -1;
    int child_errno = 0;
    ssize_t r;
    do
        r = read(pfd[0], &child_errno, sizeof child_errno);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)sizeof child_errno) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        e = child_errno;
    }
out:
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    free(env);
    if (pid < 0)
        errno = e;
    return pid;
}

/* Waits for pid; returns its exit status (128 + signal if killed). */
static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int festival_missing(const char *prog)
{
    return die("data synth-speech: %s not found: install festival and its voices (apt-get "
               "install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts) or name "
               "the program with --festival", prog);
}

/* Checks that festival runs and has the voices in use; fills version. */
static int probe_festival(const char *prog, const char *work, const int use[N_VOICES],
                          char *version, size_t cap)
{
    char script[PATH_CAP], log[PATH_CAP];
    if (path_join(script, work, "probe.scm") || path_join(log, work, "probe.log"))
        return die("%s: path too long", work);
    char text[1024];
    int n = snprintf(text, sizeof text, "(format t \"version %%s\\n\" festival_version)\n");
    for (int v = 0; v < N_VOICES; v++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "(format t \"voice %s %%l\\n\" (symbol-bound? '%s))\n", VOICES[v].key,
                      VOICES[v].func);
    if (write_file(script, text))
        return 1;
    pid_t pid = spawn_festival(prog, work, "probe.scm", log);
    if (pid < 0)
        return errno == ENOENT ? festival_missing(prog)
                               : die("data synth-speech: cannot run %s: %s", prog, strerror(errno));
    int rc = wait_child(pid);
    if (rc != 0) {
        char tail[512];
        log_tail(log, tail, sizeof tail);
        return die("data synth-speech: '%s -b probe.scm' failed (exit status %d): %s", prog, rc,
                   tail);
    }
    int have[N_VOICES] = {0};
    snprintf(version, cap, "unknown");
    FILE *f = fopen(log, "rb");
    if (!f)
        return die("%s: cannot open: %s", log, strerror(errno));
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "version ", 8) == 0)
            snprintf(version, cap, "%.100s", line + 8);
        for (int v = 0; v < N_VOICES; v++) {
            char want[64];
            snprintf(want, sizeof want, "voice %s t", VOICES[v].key);
            if (strcmp(line, want) == 0)
                have[v] = 1;
        }
    }
    fclose(f);
    unlink(script);
    unlink(log);
    for (int v = 0; v < N_VOICES; v++)
        if (use[v] && !have[v])
            return die("data synth-speech: festival has no voice %s (%s): install the Debian "
                       "package %s, or choose other voices with --voices", VOICES[v].key,
                       VOICES[v].func, VOICES[v].package);
    return 0;
}

/* ---------------------------------------------------------------- the corpus */

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
    long utterances[N_SPLITS];
    long long bytes;
} corpus;

static void sentence_name(char out[16], int k)
{
    snprintf(out, 16, "SX%03d", k + 1);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Chooses min(count, pool size) sentences of the speaker's pool: a seeded shuffle, sorted. */
static int choose_sentences(speaker *sp, int n_text, int count)
{
    int *pool = malloc((size_t)n_text * sizeof *pool);
    if (!pool)
        return die("data synth-speech: out of memory");
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
    return 0;
}

/* Appends s to buf as a Scheme string literal. */
static size_t scheme_string(char *buf, size_t cap, size_t n, const char *s)
{
    if (n < cap)
        buf[n] = '"';
    n++;
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            if (n < cap)
                buf[n] = '\\';
            n++;
        }
        if (n < cap)
            buf[n] = *s;
        n++;
    }
    if (n < cap)
        buf[n] = '"';
    return n + 1;
}

/* The festival script of one speaker: voice, parameters, then one lsnn_say per sentence. */
static int write_script(const corpus *c, const speaker *sp, const char *path)
{
    const speaker_def *d = sp->def;
    const voice *v = &VOICES[d->voice];
    size_t cap = 4096 + (size_t)sp->n_sent * (MAX_SENTENCE_CHARS * 2 + 64);
    char *buf = malloc(cap);
    if (!buf)
        return die("data synth-speech: out of memory");
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n,
                          ";; lsnn data synth-speech: speaker %s (generated; see corpus.json)\n"
                          "(%s)\n", d->id, v->func);
    if (v->hts)
        n += (size_t)snprintf(buf + n, cap - n,
                              "(set! hts_engine_params\n"
                              "      (append hts_engine_params (list (list \"-r\" %.6f))))\n",
                              1.0 / d->stretch);
    else
        n += (size_t)snprintf(buf + n, cap - n,
                              "(set! int_lr_params\n"
                              "      (list (list 'target_f0_mean %d) (list 'target_f0_std %d)\n"
                              "            (assoc 'model_f0_mean int_lr_params)\n"
                              "            (assoc 'model_f0_std int_lr_params)))\n"
                              "(Parameter.set 'Duration_Stretch %.4f)\n",
                              d->f0_mean, d->f0_std, d->stretch);
    n += (size_t)snprintf(buf + n, cap - n,
                          "(define (lsnn_say name u)\n"
                          "  (utt.synth u)\n"
                          "  (utt.wave.resample u %d)\n"
                          "  (utt.save.wave u (string-append name \".riff\") 'riff)\n"
                          "  (utt.save.segs u (string-append name \".segs\"))\n"
                          "  (format t \"done %%s\\n\" name))\n", d->rate);
    for (int i = 0; i < sp->n_sent && n < cap; i++) {
        char name[16];
        sentence_name(name, sp->sent[i]);
        /* Utterance does not evaluate its arguments: the text must be a literal here. */
        n += (size_t)snprintf(buf + n, cap - n, "(lsnn_say \"%s\" (Utterance Text ", name);
        n = scheme_string(buf, cap, n, c->text.line[sp->sent[i]]);
        if (n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "))\n");
    }
    int rc;
    if (n >= cap)
        rc = die("%s: script too long", path); /* cannot happen: cap covers the worst case */
    else
        rc = write_file(path, buf);
    free(buf);
    return rc;
}

typedef struct seg {
    long start, end;
    char label[LABEL_CAP];
} seg;

/* Reads festival's utt.save.segs output: header lines up to a line "#", then one line
 * "<end time in s> <field> <phone>" per segment, in order. */
static int read_segs(const char *path, double **t_out, char (**ph_out)[LABEL_CAP], int *n_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return die("%s: cannot open festival's segment file: %s", path, strerror(errno));
    double *t = NULL;
    char(*ph)[LABEL_CAP] = NULL;
    int n = 0, cap = 0, lineno = 0, in_body = 0, rc = 0;
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
            rc = die("%s:%d: not a segment line '<end time> <field> <phone>' with increasing "
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
                rc = die("%s: out of memory", path);
                break;
            }
        }
        t[n] = v;
        snprintf(ph[n], LABEL_CAP, "%s", tok[2]);
        n++;
    }
    fclose(f);
    if (rc == 0 && !in_body)
        rc = die("%s: no '#' line: not festival's segment format", path);
    if (rc == 0 && n == 0)
        rc = die("%s: no segments", path);
    if (rc) {
        free(t);
        free(ph);
        return rc;
    }
    *t_out = t;
    *ph_out = ph;
    *n_out = n;
    return 0;
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
static int to_timit(const char *segs_path, const double *t, char (*ph)[LABEL_CAP], int n,
                    int rate, long frames, seg *out, int *n_out)
{
    int first = 0, last = n - 1;
    while (first < n && festival_silence(ph[first]))
        first++;
    while (last >= 0 && festival_silence(ph[last]))
        last--;
    if (first == n)
        return die("%s: no phones, only silence", segs_path);
    if (first == 0 || last == n - 1)
        return die("%s: the utterance does not %s with a pause", segs_path,
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
        else if (timit_index(ph[i]) >= 0)
            label = ph[i];
        else
            return die("%s: festival phone '%s' has no TIMIT label (see the phone map in "
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
        return die("%s: the audio (%ld samples at %d Hz) ends before the final pause", segs_path,
                   frames, rate);
    *n_out = m;
    return 0;
}

static int write_wav(const char *path, const short *x, long frames)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return die("%s: cannot create: %s", path, sf_strerror(NULL));
    sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    sf_count_t w = sf_writef_short(f, x, frames);
    int bad = w != frames;
    if (sf_close(f) != 0 || bad)
        return die("%s: cannot write the audio", path);
    if (cli_fsync_path(path) != 0)
        return die("%s: cannot sync: %s", path, strerror(errno));
    return 0;
}

/* One utterance: festival's SX<k>.riff + SX<k>.segs in the work directory -> SX<k>.WAV, .PHN
 * and .TXT in the speaker's directory. */
static int make_utterance(corpus *c, speaker *sp, int k)
{
    char name[16], file[32], riff[PATH_CAP], segs[PATH_CAP], wav[PATH_CAP], phn[PATH_CAP],
        txt[PATH_CAP];
    sentence_name(name, k);
    int bad = 0;
    snprintf(file, sizeof file, "%s.riff", name);
    bad |= path_join(riff, sp->work_dir, file);
    snprintf(file, sizeof file, "%s.segs", name);
    bad |= path_join(segs, sp->work_dir, file);
    snprintf(file, sizeof file, "%s.WAV", name);
    bad |= path_join(wav, sp->out_dir, file);
    snprintf(file, sizeof file, "%s.PHN", name);
    bad |= path_join(phn, sp->out_dir, file);
    snprintf(file, sizeof file, "%s.TXT", name);
    bad |= path_join(txt, sp->out_dir, file);
    if (bad)
        return die("%s: path too long", c->tmp);

    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *in = sf_open(riff, SFM_READ, &info);
    if (!in)
        return die("%s: cannot read festival's audio: %s", riff, sf_strerror(NULL));
    const int rate = sp->def->rate;
    if (info.channels != 1 || info.samplerate != rate || info.frames <= 0 ||
        info.frames > (sf_count_t)MAX_UTT_SECONDS * rate) {
        sf_close(in);
        return die("%s: festival wrote %d channel(s) at %d Hz, %lld samples; expected mono at "
                   "%d Hz, 1 to %d s (did utt.wave.resample fail?)", riff, info.channels,
                   info.samplerate, (long long)info.frames, rate, MAX_UTT_SECONDS);
    }
    long frames = (long)info.frames;
    short *x = malloc((size_t)frames * sizeof *x);
    if (!x) {
        sf_close(in);
        return die("%s: out of memory", riff);
    }
    sf_count_t got = sf_readf_short(in, x, frames);
    sf_close(in);
    if (got != frames) {
        free(x);
        return die("%s: short read (%lld of %ld samples)", riff, (long long)got, frames);
    }

    double *t = NULL;
    char(*ph)[LABEL_CAP] = NULL;
    int n = 0, m = 0;
    seg *out = NULL;
    int rc = read_segs(segs, &t, &ph, &n);
    if (rc == 0 && VOICES[sp->def->voice].er_r)
        undo_er_r(t, ph, &n);
    if (rc == 0 && !(out = malloc((size_t)n * sizeof *out)))
        rc = die("%s: out of memory", segs);
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
            rc = die("%s: out of memory", phn);
        size_t used = 0;
        for (int i = 0; rc == 0 && i < m; i++) {
            used += (size_t)snprintf(text + used, cap - used, "%ld %ld %s\n", out[i].start,
                                     out[i].end, out[i].label);
            c->phone_count[sp->split][timit_index(out[i].label)]++;
        }
    }
    if (rc == 0)
        rc = write_file(phn, text);
    if (rc == 0) {
        const char *sentence = c->text.line[k];
        size_t cap = strlen(sentence) + 48;
        char *line = malloc(cap);
        if (!line)
            rc = die("%s: out of memory", txt);
        else {
            snprintf(line, cap, "0 %ld %s\n", frames, sentence);
            rc = write_file(txt, line);
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
    return 0;
}

/* Creates the speaker's directories and script, and starts festival on it. */
static int start_speaker(corpus *c, speaker *sp)
{
    char script[PATH_CAP], log[PATH_CAP];
    if (path_join(sp->work_dir, c->work, sp->def->id) || path_join(script, sp->work_dir,
                                                                     "synth.scm") ||
        path_join(log, sp->work_dir, "festival.log"))
        return die("%s: path too long", c->work);
    if (make_dir(sp->work_dir) || write_script(c, sp, script))
        return 1;
    sp->t_start = now_s();
    sp->pid = spawn_festival(c->festival, sp->work_dir, "synth.scm", log);
    if (sp->pid < 0) {
        sp->pid = 0;
        return errno == ENOENT ? festival_missing(c->festival)
                               : die("data synth-speech: cannot run %s: %s", c->festival,
                                     strerror(errno));
    }
    return 0;
}

/* After festival exited with status rc: converts the speaker's utterances and removes its work
 * directory. */
static int finish_speaker(corpus *c, speaker *sp, int rc)
{
    char log[PATH_CAP];
    if (path_join(log, sp->work_dir, "festival.log"))
        return die("%s: path too long", sp->work_dir);
    if (rc != 0) {
        char tail[512];
        log_tail(log, tail, sizeof tail);
        return die("data synth-speech: festival failed for speaker %s (exit status %d): %s",
                   sp->def->id, rc, tail);
    }
    for (int i = 0; i < sp->n_sent; i++)
        if (make_utterance(c, sp, sp->sent[i]))
            return 1;
    if (cli_fsync_path(sp->out_dir) != 0)
        return die("%s: cannot sync: %s", sp->out_dir, strerror(errno));
    if (remove_tree(sp->work_dir) != 0)
        return die("%s: cannot remove: %s", sp->work_dir, strerror(errno));
    return 0;
}

static void stop_all(corpus *c)
{
    for (int i = 0; i < c->n_spk; i++)
        if (c->spk[i].pid > 0) {
            kill(c->spk[i].pid, SIGTERM);
            wait_child(c->spk[i].pid);
            c->spk[i].pid = 0;
        }
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

/* Runs festival for every speaker, at most jobs at once, converting each as it finishes. */
static int run_all(corpus *c, int jobs)
{
    long total = 0, done_utts = 0;
    for (int i = 0; i < c->n_spk; i++)
        total += c->spk[i].n_sent;
    double t0 = now_s();
    int next = 0, running = 0, done = 0;
    while (done < c->n_spk) {
        while (running < jobs && next < c->n_spk) {
            if (start_speaker(c, &c->spk[next])) {
                stop_all(c);
                return 1;
            }
            next++;
            running++;
        }
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            stop_all(c);
            return die("data synth-speech: waitpid: %s", strerror(e));
        }
        speaker *sp = NULL;
        for (int i = 0; i < c->n_spk; i++)
            if (c->spk[i].pid == pid)
                sp = &c->spk[i];
        if (!sp)
            continue; /* not one of ours */
        sp->pid = 0;
        running--;
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        if (finish_speaker(c, sp, rc)) {
            stop_all(c);
            return 1;
        }
        done++;
        done_utts += sp->n_sent;
        double el = now_s() - t0;
        char e1[32], e2[32];
        format_duration(e1, sizeof e1, el);
        format_duration(e2, sizeof e2, el * (double)(total - done_utts) / (double)done_utts);
        fprintf(stderr,
                "synth-speech: [%2d/%d] %s %-10s %3d utterances, %6.1f s of audio (%.1f s); "
                "elapsed %s, about %s left\n",
                done, c->n_spk, sp->def->id, SPLIT_NAME[sp->split], sp->n_sent,
                (double)sp->samples / RATE, now_s() - sp->t_start, e1, e2);
    }
    return 0;
}

/* ---------------------------------------------------------------- checks and metadata */

/* Re-reads one utterance from disk: the WAV is 16 kHz mono, the .PHN segments are contiguous
 * from 0 to the WAV length, non-empty, TIMIT labels, h# first and last. */
static int check_utterance(const char *wav, const char *phn, long long *bytes)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(wav, SFM_READ, &info);
    if (!f)
        return die("%s: cannot read: %s", wav, sf_strerror(NULL));
    sf_close(f);
    if (info.samplerate != RATE || info.channels != 1 ||
        (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV ||
        (info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16 || info.frames <= 0)
        return die("%s: not a 16 kHz mono 16-bit WAV", wav);
    struct stat st;
    if (stat(wav, &st) == 0)
        *bytes += (long long)st.st_size;
    FILE *p = fopen(phn, "rb");
    if (!p)
        return die("%s: cannot open: %s", phn, strerror(errno));
    char line[128], first[LABEL_CAP] = "", label[LABEL_CAP] = "";
    long prev = 0, s, e;
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, p)) {
        lineno++;
        char lab[64];
        int used = 0;
        if (sscanf(line, "%ld %ld %63s%n", &s, &e, lab, &used) != 3 ||
            strcmp(line + used, "\n") != 0)
            rc = die("%s:%d: not 'start end phone'", phn, lineno);
        else if (s != prev || e <= s)
            rc = die("%s:%d: segment %ld-%ld does not continue at %ld or is empty", phn, lineno,
                     s, e, prev);
        else if (timit_index(lab) < 0)
            rc = die("%s:%d: '%s' is not a TIMIT label", phn, lineno, lab);
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
        return die("%s: does not begin and end with h#", phn);
    if (prev != (long)info.frames)
        return die("%s: ends at %ld, the WAV has %lld samples", phn, prev,
                   (long long)info.frames);
    if (stat(phn, &st) == 0)
        *bytes += (long long)st.st_size;
    return 0;
}

static int check_corpus(corpus *c)
{
    c->bytes = 0;
    for (int i = 0; i < c->n_spk; i++) {
        const speaker *sp = &c->spk[i];
        for (int j = 0; j < sp->n_sent; j++) {
            char name[16], file[32], wav[PATH_CAP], phn[PATH_CAP];
            sentence_name(name, sp->sent[j]);
            snprintf(file, sizeof file, "%s.WAV", name);
            int bad = path_join(wav, sp->out_dir, file);
            snprintf(file, sizeof file, "%s.PHN", name);
            bad |= path_join(phn, sp->out_dir, file);
            if (bad)
                return die("%s: path too long", sp->out_dir);
            if (check_utterance(wav, phn, &c->bytes))
                return 1;
        }
    }
    return 0;
}

static cJSON *phone_counts_json(const long *count)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < 61; i++)
        if (count[i] > 0)
            cJSON_AddNumberToObject(o, TIMIT61[i], (double)count[i]);
    return o;
}

/* corpus.json: everything needed to understand or rebuild the corpus (no times or paths, so the
 * same command writes the same bytes). */
static int write_corpus_json(const corpus *c, int sentences)
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
            sentence_name(name, sp->sent[j]);
            cJSON_AddItemToArray(sent, cJSON_CreateString(name));
        }
    }
    cJSON *pc = cJSON_AddObjectToObject(root, "phone_counts");
    for (int s = 0; s < N_SPLITS; s++)
        cJSON_AddItemToObject(pc, SPLIT_NAME[s], phone_counts_json(c->phone_count[s]));
    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!json)
        return die("data synth-speech: out of memory");
    size_t n = strlen(json);
    char *withnl = malloc(n + 2);
    int rc;
    char path[PATH_CAP];
    if (!withnl)
        rc = die("data synth-speech: out of memory");
    else if (path_join(path, c->tmp, "corpus.json"))
        rc = die("%s: path too long", c->tmp);
    else {
        memcpy(withnl, json, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        rc = write_file(path, withnl);
    }
    free(withnl);
    cJSON_free(json);
    return rc;
}

static int write_lists(const corpus *c)
{
    char path[PATH_CAP], buf[N_SPEAKERS * 8 + 1] = "";
    size_t n = 0;
    for (int i = 0; i < c->n_spk; i++)
        if (c->spk[i].split == SPLIT_VALID)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", c->spk[i].def->id);
    if (path_join(path, c->tmp, "validation_speakers.txt"))
        return die("%s: path too long", c->tmp);
    if (write_file(path, buf))
        return 1;
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
    if (path_join(path, c->tmp, "README.txt"))
        return die("%s: path too long", c->tmp);
    return write_file(path, readme);
}

/* ---------------------------------------------------------------- the command */

typedef struct options {
    const char *out, *text, *festival;
    long speakers, sentences, jobs;
    int quick, force, voice_use[N_VOICES];
} options;

static int parse_voices(const char *list, int use[N_VOICES])
{
    if (!list)
        return die("data synth-speech: --voices: missing value");
    memset(use, 0, N_VOICES * sizeof *use);
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        int found = 0;
        for (int v = 0; v < N_VOICES; v++)
            if (strlen(VOICES[v].key) == n && strncmp(VOICES[v].key, s, n) == 0)
                found = use[v] = 1;
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
    o->festival = "festival";
    o->speakers = o->sentences = -1;
    o->jobs = 2;
    for (int v = 0; v < N_VOICES; v++)
        o->voice_use[v] = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(SYNTH_HELP, stdout);
            return 2;
        }
        if (strcmp(a, "--speakers") == 0) {
            if (parse_count(a, val, 3, N_SPEAKERS, &o->speakers))
                return 1;
            i++;
        } else if (strcmp(a, "--sentences") == 0) {
            if (parse_count(a, val, 1, MAX_SENTENCES, &o->sentences))
                return 1;
            i++;
        } else if (strcmp(a, "--jobs") == 0) {
            if (parse_count(a, val, 1, MAX_JOBS, &o->jobs))
                return 1;
            i++;
        } else if (strcmp(a, "--voices") == 0) {
            if (parse_voices(val, o->voice_use))
                return 1;
            i++;
        } else if (strcmp(a, "--text") == 0 || strcmp(a, "--festival") == 0) {
            if (!val || !*val)
                return die("data synth-speech: %s: missing value", a);
            *(a[2] == 't' ? &o->text : &o->festival) = val;
            i++;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = 1;
        } else if (strcmp(a, "--force") == 0) {
            o->force = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return die("data synth-speech: unknown option '%s' (see lsnn data synth-speech "
                       "--help)", a);
        } else if (o->out) {
            return die("data synth-speech: more than one OUT given ('%s', '%s')", o->out, a);
        } else {
            o->out = a;
        }
    }
    if (!o->out || !*o->out)
        return die("data synth-speech: missing OUT (see lsnn data synth-speech --help)");
    if (o->speakers < 0)
        o->speakers = o->quick ? QUICK_SPEAKERS : N_SPEAKERS;
    if (o->sentences < 0)
        o->sentences = o->quick ? QUICK_SENTENCES : DEFAULT_SENTENCES;
    return 0;
}

/* Picks the speakers (table order, voices in use), their splits and sentences. */
static int choose_speakers(corpus *c, const options *o)
{
    int avail = 0;
    for (int i = 0; i < N_SPEAKERS; i++)
        avail += o->voice_use[SPEAKERS[i].voice];
    if (avail < o->speakers)
        return die("data synth-speech: --speakers %ld: the chosen voices have only %d speakers",
                   o->speakers, avail);
    c->spk = calloc((size_t)o->speakers, sizeof *c->spk);
    if (!c->spk)
        return die("data synth-speech: out of memory");
    for (int i = 0; i < N_SPEAKERS && c->n_spk < o->speakers; i++) {
        if (!o->voice_use[SPEAKERS[i].voice])
            continue;
        speaker *sp = &c->spk[c->n_spk];
        sp->def = &SPEAKERS[i];
        sp->table_index = i;
        sp->split = SPLIT_OF[c->n_spk % 6];
        c->n_spk++;
        if (choose_sentences(sp, c->text.n, (int)o->sentences))
            return 1;
        char rel[64];
        snprintf(rel, sizeof rel, "%s/DR1/%s", SPLIT_DIR[sp->split], sp->def->id);
        if (path_join(sp->out_dir, c->tmp, rel))
            return die("%s: path too long", c->tmp);
    }
    return 0;
}

/* OUT must be absent, an empty directory, or (with --force) a corpus of this command. Returns 0
 * and sets *replace when an old corpus is to be replaced. */
static int check_out(const options *o, const char *out, int *replace)
{
    *replace = 0;
    struct stat st;
    if (lstat(out, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return die("%s: %s", out, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return die("%s: exists and is not a directory", out);
    int empty = dir_is_empty(out);
    if (empty < 0)
        return die("%s: cannot read: %s", out, strerror(errno));
    if (empty)
        return 0;
    if (!o->force)
        return die("%s: exists and is not empty; use --force to replace a corpus built by lsnn "
                   "data synth-speech", out);
    char marker[PATH_CAP];
    if (path_join(marker, out, "corpus.json") || access(marker, F_OK) != 0)
        return die("%s: not replaced: it holds no corpus.json, so it was not built by lsnn data "
                   "synth-speech; remove it yourself", out);
    *replace = 1;
    return 0;
}

static int create_dirs(corpus *c)
{
    char p[PATH_CAP];
    static const char *const dirs[] = {"TRAIN", "TRAIN/DR1", "TEST", "TEST/DR1"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (path_join(p, c->tmp, dirs[i]))
            return die("%s: path too long", c->tmp);
        if (make_dir(p))
            return 1;
    }
    for (int i = 0; i < c->n_spk; i++)
        if (make_dir(c->spk[i].out_dir))
            return 1;
    return make_dir(c->work);
}

static int sync_dirs(const corpus *c)
{
    char p[PATH_CAP];
    static const char *const dirs[] = {"TRAIN/DR1", "TEST/DR1", "TRAIN", "TEST", "."};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (path_join(p, c->tmp, dirs[i]) || cli_fsync_path(p) != 0)
            return die("%s: cannot sync: %s", p, strerror(errno));
    return 0;
}

/* Moves the finished corpus from tmp to out (replacing an old corpus when asked). */
static int publish(corpus *c, int replace)
{
    char old[PATH_CAP];
    if (replace) {
        if (snprintf(old, sizeof old, "%s.old-XXXXXX", c->out) >= (int)sizeof old)
            return die("%s: path too long", c->out);
        if (!mkdtemp(old))
            return die("%s: cannot create a directory beside it: %s", c->out, strerror(errno));
        if (rename(c->out, old) != 0) {
            int e = errno;
            rmdir(old);
            return die("%s: cannot move the old corpus aside: %s", c->out, strerror(e));
        }
    }
    if (rename(c->tmp, c->out) != 0) {
        int e = errno;
        if (replace)
            rename(old, c->out);
        return die("%s: cannot rename %s to it: %s", c->out, c->tmp, strerror(e));
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
    cli_fsync_path(parent);
    if (replace && remove_tree(old) != 0)
        fprintf(stderr, "lsnn: warning: could not remove the old corpus moved to %s: %s\n", old,
                strerror(errno));
    return 0;
}

static int build(corpus *c, const options *o)
{
    int replace;
    if (check_out(o, c->out, &replace) || make_parents(c->out))
        return 1;
    if (snprintf(c->tmp, sizeof c->tmp, "%s.tmp-XXXXXX", c->out) >= (int)sizeof c->tmp)
        return die("%s: path too long", c->out);
    if (!mkdtemp(c->tmp))
        return die("%s: cannot create a temporary directory beside it: %s", c->out,
                   strerror(errno));
    int rc = 0;
    if (path_join(c->work, c->tmp, ".work"))
        rc = die("%s: path too long", c->tmp);
    if (rc == 0)
        rc = choose_speakers(c, o);
    if (rc == 0)
        rc = create_dirs(c);
    if (rc == 0)
        rc = probe_festival(c->festival, c->work, o->voice_use, c->festival_version,
                            sizeof c->festival_version);
    long total = 0;
    int per_split[N_SPLITS] = {0};
    for (int i = 0; i < c->n_spk; i++) {
        total += c->spk[i].n_sent;
        per_split[c->spk[i].split]++;
    }
    double t0 = now_s();
    if (rc == 0) {
        fprintf(stderr,
                "synth-speech: %d speakers (%d train, %d validation, %d test), %ld utterances, "
                "%ld festival job%s, sentences from %s (%d); building in %s\n",
                c->n_spk, per_split[SPLIT_TRAIN], per_split[SPLIT_VALID], per_split[SPLIT_TEST],
                total, o->jobs, o->jobs == 1 ? "" : "s", c->text.path, c->text.n, c->tmp);
        rc = run_all(c, (int)o->jobs);
    }
    if (rc == 0) {
        fprintf(stderr, "synth-speech: checking the %ld utterances ...\n", total);
        rc = check_corpus(c);
    }
    if (rc == 0)
        rc = write_corpus_json(c, (int)o->sentences);
    if (rc == 0)
        rc = write_lists(c);
    if (rc == 0 && remove_tree(c->work) != 0)
        rc = die("%s: cannot remove: %s", c->work, strerror(errno));
    if (rc == 0)
        rc = sync_dirs(c);
    if (rc == 0)
        rc = publish(c, replace);
    if (rc) {
        if (remove_tree(c->tmp) != 0)
            fprintf(stderr, "lsnn: warning: could not remove %s: %s\n", c->tmp, strerror(errno));
        return rc;
    }
    long long samples = 0;
    for (int i = 0; i < c->n_spk; i++)
        samples += c->spk[i].samples;
    char el[32], au[32];
    format_duration(el, sizeof el, now_s() - t0);
    format_duration(au, sizeof au, (double)samples / RATE);
    printf("synthetic speech corpus in %s: %ld utterances (%ld train, %ld validation, %ld test) "
           "from %d speakers, %s of 16 kHz audio, %.1f MB; built in %s\n",
           c->out, total, c->utterances[SPLIT_TRAIN], c->utterances[SPLIT_VALID],
           c->utterances[SPLIT_TEST], c->n_spk, au, (double)c->bytes / 1e6, el);
    return 0;
}

int lsnn_cmd_synth_speech(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc == 2 ? 0 : rc;
    corpus c;
    memset(&c, 0, sizeof c);
    c.festival = o.festival;
    /* OUT without trailing slashes (the temporary directory is OUT.tmp-XXXXXX beside it). */
    size_t n = strlen(o.out);
    while (n > 1 && o.out[n - 1] == '/')
        n--;
    if (n >= sizeof c.out - 32)
        return die("%s: path too long", o.out);
    memcpy(c.out, o.out, n);
    c.out[n] = '\0';
    if (strcmp(c.out, "/") == 0 || strcmp(c.out, ".") == 0 || strcmp(c.out, "..") == 0)
        return die("data synth-speech: OUT must name a directory to create, not '%s'", c.out);

    char text_path[PATH_CAP];
    if (o.text)
        snprintf(text_path, sizeof text_path, "%s", o.text);
    else if (find_text(text_path))
        return 1;
    if (text_load(text_path, &c.text))
        return 1;
    rc = build(&c, &o);
    for (int i = 0; i < c.n_spk; i++)
        free(c.spk[i].sent);
    free(c.spk);
    text_free(&c.text);
    return rc;
}

/* Tests for src/data/audio.c, src/data/timit.c and src/tasks/speech.c on a tiny corpus in TIMIT
 * layout written by the test itself: SPHERE (by hand) and RIFF (libsndfile) audio, upper- and
 * lower-case names, a .WAV.wav copy, SA sentences to be left out. Checks the phone table, frame
 * labels, the splits of both modes, the errors for malformed .PHN lines and truncated audio
 * (each naming the file), the feature cache and the timit task's batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sndfile.h>

#include "lsnn/audio.h"
#include "lsnn/config.h"
#include "lsnn/task.h"
#include "lsnn/timit.h"

/* ------------------------------------------------------------------------------------------ */
/* Files and directories                                                                       */

static char g_root[1024]; /* this process's scratch directory */

static const char *path_of(const char *rel)
{
    static char buf[8][2048];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 2048, "%s/%s", g_root, rel);
    return p;
}

/* mkdir -p of the directory part of rel (or of rel itself when dir_too). */
static void make_dirs(const char *rel, int dir_too)
{
    char p[2048];
    snprintf(p, sizeof p, "%s", path_of(rel));
    size_t base = strlen(g_root);
    for (char *s = p + base + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    if (dir_too)
        mkdir(p, 0777);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        remove(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

static void write_text(const char *rel, const char *text)
{
    make_dirs(rel, 0);
    FILE *fp = fopen(path_of(rel), "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* NIST SPHERE as in TIMIT: a 1024-byte text header, then little-endian int16 samples. The header
 * may claim more samples than follow (a truncated file). */
static void write_sphere(const char *rel, const int16_t *x, long n, long declared)
{
    make_dirs(rel, 0);
    char head[1024];
    memset(head, ' ', sizeof head);
    int w = snprintf(head, sizeof head,
                     "NIST_1A\n   1024\ndatabase_id -s5 TIMIT\nchannel_count -i 1\n"
                     "sample_count -i %ld\nsample_rate -i 16000\nsample_n_bytes -i 2\n"
                     "sample_byte_format -s2 01\nsample_sig_bits -i 16\nend_head\n",
                     declared);
    head[w] = ' ';
    FILE *fp = fopen(path_of(rel), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(head, 1, sizeof head, fp), sizeof head);
    for (long i = 0; i < n; i++) {
        unsigned char b[2] = {(unsigned char)(x[i] & 0xff), (unsigned char)((x[i] >> 8) & 0xff)};
        assert_int_equal(fwrite(b, 1, 2, fp), 2);
    }
    assert_int_equal(fclose(fp), 0);
}

static void write_riff(const char *rel, const int16_t *x, long n, int rate, int channels)
{
    make_dirs(rel, 0);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(path_of(rel), SFM_WRITE, &info);
    assert_non_null(sf);
    assert_int_equal(sf_write_short(sf, x, n), n);
    assert_int_equal(sf_close(sf), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* Deterministic "speech": a tone that changes with the segment, plus pseudo-random noise. */
static int16_t *make_audio(long n, unsigned seed)
{
    int16_t *x = malloc(sizeof(int16_t) * (size_t)n);
    assert_non_null(x);
    uint32_t s = seed * 2654435761u + 1;
    for (long t = 0; t < n; t++) {
        s = s * 1664525u + 1013904223u;
        double noise = ((double)(s >> 8) / (1 << 24) - 0.5) * 2000;
        double hz = 200 + 150 * (double)((t / 1500 + seed) % 9);
        x[t] = (int16_t)(6000 * sin(2 * 3.14159265358979 * hz * t / 16000.0) + noise);
    }
    return x;
}

/* ------------------------------------------------------------------------------------------ */
/* The tiny corpus                                                                             */

typedef struct spec {
    const char *dir;   /* relative to the corpus */
    const char *stem;  /* sentence file stem */
    const char *wav;   /* audio file name */
    const char *phn;   /* .PHN file name */
    int sphere;
    long n;            /* samples */
} spec;

static const spec g_specs[] = {
    {"TRAIN/DR1/FAAA0", "SI1", "SI1.WAV", "SI1.PHN", 1, 7000},
    {"TRAIN/DR1/FAAA0", "SX2", "SX2.WAV", "SX2.PHN", 0, 5600},
    {"TRAIN/DR1/FAAA0", "SA1", "SA1.WAV", "SA1.PHN", 0, 4000},
    {"TRAIN/DR1/MBBB0", "SI3", "SI3.WAV", "SI3.PHN", 1, 8300},
    {"TRAIN/DR1/MBBB0", "SX4", "SX4.WAV", "SX4.PHN", 0, 4800},
    {"TRAIN/dr2/mccc0", "si5", "si5.wav", "si5.phn", 0, 6100},
    {"TRAIN/dr2/mccc0", "sa2", "sa2.wav", "sa2.phn", 0, 4000},
    {"TRAIN/DR2/MDDD0", "SX6", "SX6.WAV.wav", "SX6.PHN", 0, 9100},
    {"TEST/DR1/FEEE0", "SI7", "SI7.WAV", "SI7.PHN", 1, 5200},
    {"TEST/DR1/FEEE0", "SX8", "SX8.WAV", "SX8.PHN", 0, 7700},
    {"TEST/DR3/MFFF0", "SX9", "SX9.WAV", "SX9.PHN", 1, 6600},
};
#define N_SPECS ((int)(sizeof g_specs / sizeof g_specs[0]))

/* Phones of the sentences: h# at both ends, these in between. */
static const char *const g_inner[] = {"sh", "ix", "hv", "eh", "dcl", "jh", "ih", "q", "ax-h",
                                      "pau", "epi", "bcl", "b", "ux", "axr", "eng"};

/* The .PHN text of spec i: contiguous segments from 0 to n. */
static void phn_text(int i, char *buf, size_t cap)
{
    long n = g_specs[i].n, t = 0, cut = 2000 + 97 * i;
    size_t len = (size_t)snprintf(buf, cap, "0 %ld h#\n", cut);
    t = cut;
    for (int k = 0; t < n - 1500; k++) {
        long e = t + 400 + 37 * ((i + k) % 11);
        if (e > n - 1200)
            e = n - 1200;
        len += (size_t)snprintf(buf + len, cap - len, "%ld %ld %s\n", t, e,
                                g_inner[(i * 3 + k) % 16]);
        t = e;
    }
    snprintf(buf + len, cap - len, "%ld %ld h#\n", t, n);
}

static void write_corpus(const char *corpus)
{
    for (int i = 0; i < N_SPECS; i++) {
        const spec *s = &g_specs[i];
        char rel[512], text[4096];
        int16_t *x = make_audio(s->n, (unsigned)i);
        snprintf(rel, sizeof rel, "%s/%s/%s", corpus, s->dir, s->wav);
        if (s->sphere)
            write_sphere(rel, x, s->n, s->n);
        else
            write_riff(rel, x, s->n, 16000, 1);
        free(x);
        phn_text(i, text, sizeof text);
        snprintf(rel, sizeof rel, "%s/%s/%s", corpus, s->dir, s->phn);
        write_text(rel, text);
    }
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("LSNN_BINARY_DIR");
    snprintf(g_root, sizeof g_root, "%s/test_timit_%ld", dir ? dir : ".", (long)getpid());
    remove_tree(g_root);
    mkdir(g_root, 0777);
    write_corpus("c1");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(g_root);
    return 0;
}

static int contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        print_error("'%s' not in '%s'\n", needle, hay);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */

static void test_phones(void **state)
{
    (void)state;
    assert_string_equal(lsnn_timit_phone(0), "b");
    assert_string_equal(lsnn_timit_phone(60), "kcl");
    assert_null(lsnn_timit_phone(61));
    assert_int_equal(lsnn_timit_phone_index("h#"), 54);
    assert_int_equal(lsnn_timit_phone_index("H#"), 54);
    assert_int_equal(lsnn_timit_phone_index("ax-h"), 51);
    assert_int_equal(lsnn_timit_phone_index("q"), 7);
    assert_int_equal(lsnn_timit_phone_index("xx"), -1);
    assert_int_equal(lsnn_timit_phone_index("ax"), 48);
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        assert_int_equal(lsnn_timit_phone_index(lsnn_timit_phone(i)), i);
}

/* The phone covering each frame's centre 160 f + 200, clamped; a gap goes to the nearer
 * segment, an overlap to the later one. */
static void test_frame_labels(void **state)
{
    (void)state;
    const lsnn_phn_segment seg[] = {
        {0, 3050, 54, 1},    {3050, 4559, 11, 2}, {4559, 5723, 49, 3},
        {6000, 6500, 1, 4},  /* gap 5723..6000 before it */
        {6400, 7000, 2, 5},  /* overlaps the previous one */
        {7000, 8000, 54, 6},
    };
    const int n = 6;
    const long frames = 1 + (8000 - 400 + 159) / 160 + 3; /* 3 frames past the labels */
    int32_t got[64];
    lsnn_timit_frame_labels(seg, n, frames, 160, 400, got);
    for (long f = 0; f < frames; f++) {
        long c = f * 160 + 200;
        if (c > 7999)
            c = 7999;
        int want;
        if (c < 3050)
            want = 54;
        else if (c < 4559)
            want = 11;
        else if (c < 5723)
            want = 49;
        else if (c < 6000)
            want = c - 5722 <= 6000 - c ? 49 : 1; /* distance to the last sample of ix / to dx */
        else if (c < 6400)
            want = 1;
        else if (c < 7000)
            want = 2;
        else
            want = 54;
        if (got[f] != want)
            print_error("frame %ld (centre %ld): got %d, want %d\n", f, c, got[f], want);
        assert_int_equal(got[f], want);
    }
    /* Frames before the first segment take it. */
    const lsnn_phn_segment late[] = {{1000, 2000, 3, 1}};
    lsnn_timit_frame_labels(late, 1, 4, 160, 400, got);
    for (int f = 0; f < 4; f++)
        assert_int_equal(got[f], 3);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Index of the utterance with this id, or -1. */
static int find_utt(const lsnn_timit_corpus *c, const char *id)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->utt[i].id, id) == 0)
            return i;
    return -1;
}

static void test_scan_generic(void **state)
{
    (void)state;
    lsnn_timit_corpus c;
    assert_int_equal(lsnn_timit_scan(path_of("c1"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    /* 9 sentences without SA: 6 under TRAIN/ (4 speakers), 3 under TEST/ (2 speakers). */
    assert_int_equal(c.n, 9);
    assert_int_equal(c.count[LSNN_SPLIT_TEST], 3);
    assert_int_equal(c.speakers[LSNN_SPLIT_TEST], 2);
    assert_int_equal(c.speakers[LSNN_SPLIT_VALID], 1);
    assert_int_equal(c.speakers[LSNN_SPLIT_TRAIN], 3);
    /* The validation speaker: ceil(4 / 10) = 1, the smallest FNV-1a hash of the TRAIN IDs. */
    const char *spk[4] = {"faaa0", "mbbb0", "mccc0", "mddd0"};
    const int sentences[4] = {2, 2, 1, 1};
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (fnv1a(spk[i]) < fnv1a(spk[best]))
            best = i;
    assert_int_equal(c.count[LSNN_SPLIT_VALID], sentences[best]);
    assert_int_equal(c.count[LSNN_SPLIT_TRAIN], 6 - sentences[best]);
    for (int i = 0; i < c.n; i++) {
        assert_null(strstr(c.utt[i].id, "/sa"));
        if (i > 0 && c.utt[i].split == c.utt[i - 1].split)
            assert_true(strcmp(c.utt[i - 1].id, c.utt[i].id) < 0);
        if (i > 0)
            check_ge(c.utt[i].split, c.utt[i - 1].split);
        int valid = strstr(c.utt[i].id, spk[best]) != NULL;
        assert_int_equal(c.utt[i].split == LSNN_SPLIT_VALID, valid);
    }
    /* Lower-case names and the .WAV.wav copy are found. */
    int k = find_utt(&c, "dr2/mccc0/si5");
    check_ge(k, 0);
    assert_non_null(strstr(c.utt[k].wav, "si5.wav"));
    k = find_utt(&c, "dr2/mddd0/sx6");
    check_ge(k, 0);
    assert_non_null(strstr(c.utt[k].wav, "SX6.WAV.wav"));
    k = find_utt(&c, "dr3/mfff0/sx9");
    check_ge(k, 0);
    assert_int_equal(c.utt[k].split, LSNN_SPLIT_TEST);
    lsnn_timit_corpus_free(&c);
}

static void test_scan_valid_file(void **state)
{
    (void)state;
    write_corpus("c2");
    write_text("c2/VALID_SPEAKERS.TXT", "# validation speakers\n\nMBBB0\n");
    lsnn_timit_corpus c;
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    assert_int_equal(c.count[LSNN_SPLIT_VALID], 2);
    assert_int_equal(c.count[LSNN_SPLIT_TRAIN], 4);
    assert_int_equal(c.count[LSNN_SPLIT_TEST], 3);
    assert_int_equal(c.utt[find_utt(&c, "dr1/mbbb0/si3")].split, LSNN_SPLIT_VALID);
    lsnn_timit_corpus_free(&c);
    /* A test speaker listed for validation leaves the test split. */
    write_text("c2/VALID_SPEAKERS.TXT", "mfff0\n");
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    assert_int_equal(c.count[LSNN_SPLIT_VALID], 1);
    assert_int_equal(c.count[LSNN_SPLIT_TEST], 2);
    assert_int_equal(c.count[LSNN_SPLIT_TRAIN], 6);
    lsnn_timit_corpus_free(&c);
    /* An unknown speaker: the file and line are named. */
    write_text("c2/VALID_SPEAKERS.TXT", "mbbb0\nnobody\n");
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "VALID_SPEAKERS.TXT:2: speaker 'nobody'"));
    /* The name that lsnn data synth-speech writes works too, but not both at once. */
    write_text("c2/validation_speakers.txt", "mddd0\n");
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "both VALID_SPEAKERS.TXT and validation_speakers.txt"));
    remove(path_of("c2/VALID_SPEAKERS.TXT"));
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    assert_int_equal(c.count[LSNN_SPLIT_VALID], 1);
    assert_int_equal(c.utt[find_utt(&c, "dr2/mddd0/sx6")].split, LSNN_SPLIT_VALID);
    lsnn_timit_corpus_free(&c);
    remove(path_of("c2/validation_speakers.txt"));
    /* Every training speaker listed: no training split left. */
    write_text("c2/VALID_SPEAKERS.TXT", "faaa0\nmbbb0\nmccc0\nmddd0\n");
    assert_int_equal(lsnn_timit_scan(path_of("c2"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "the training split has no sentences"));
    remove_tree(path_of("c2"));
}

static void test_scan_errors(void **state)
{
    (void)state;
    lsnn_timit_corpus c;
    /* The standard split needs the real speakers. */
    assert_int_equal(lsnn_timit_scan(path_of("c1"), LSNN_TIMIT_STANDARD, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "development speaker 'faks0' not found"));
    assert_true(contains(lsnn_last_error(), "mode generic"));
    /* No TRAIN/. */
    make_dirs("c3/TEST", 1);
    assert_int_equal(lsnn_timit_scan(path_of("c3"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "no TRAIN/ directory"));
    /* A .PHN without its audio. */
    write_text("c3/TRAIN/DR1/FAAA0/SX1.PHN", "0 100 h#\n");
    write_text("c3/TRAIN/DR1/MBBB0/SX2.PHN", "0 100 h#\n");
    assert_int_equal(lsnn_timit_scan(path_of("c3"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "FAAA0/SX1.PHN: no audio file SX1.WAV"));
    remove_tree(path_of("c3"));
    /* One training speaker cannot be split. */
    write_text("c4/TRAIN/DR1/FAAA0/SX1.PHN", "0 100 h#\n");
    write_text("c4/TRAIN/DR1/FAAA0/SX1.WAV", "x");
    write_text("c4/TEST/DR1/MBBB0/SX1.PHN", "0 100 h#\n");
    write_text("c4/TEST/DR1/MBBB0/SX1.WAV", "x");
    assert_int_equal(lsnn_timit_scan(path_of("c4"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "TRAIN/ has 1 speaker"));
    /* The same speaker under TRAIN/ and TEST/. */
    write_text("c4/TRAIN/DR1/MBBB0/SX1.PHN", "0 100 h#\n");
    write_text("c4/TRAIN/DR1/MBBB0/SX1.WAV", "x");
    assert_int_equal(lsnn_timit_scan(path_of("c4"), LSNN_TIMIT_GENERIC, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "speaker 'mbbb0' appears under both"));
    remove_tree(path_of("c4"));
}

/* The standard split on a stand-in corpus with TIMIT's speaker IDs and sentence counts (empty
 * audio files: the scan does not read them). */
static void test_scan_standard(void **state)
{
    (void)state;
    static const char *const dev[] = {
        "faks0", "fdac1", "fjem0", "mgwt0", "mjar0", "mmdb1", "mmdm2", "mpdf0", "fcmh0", "fkms0",
        "mbdg0", "mbwm0", "mcsh0", "fadg0", "fdms0", "fedw0", "mgjf0", "mglb0", "mrtk0", "mtaa0",
        "mtdt0", "mthc0", "mwjg0", "fnmr0", "frew0", "fsem0", "mbns0", "mmjr0", "mdls0", "mdlf0",
        "mdvc0", "mers0", "fmah0", "fdrw0", "mrcs0", "mrjm4", "fcal1", "mmwh0", "fjsj0", "majc0",
        "mjsw0", "mreb0", "fgjd0", "fjmg0", "mroa0", "mteb0", "mjfc0", "mrjr0", "fmml0", "mrws1"};
    static const char *const core[] = {
        "mdab0", "mwbt0", "felc0", "mtas1", "mwew0", "fpas0", "mjmp0", "mlnt0",
        "fpkt0", "mlll0", "mtls0", "fjlm0", "mbpm0", "mklt0", "fnlp0", "mcmj0",
        "mjdh0", "fmgd0", "mgrt0", "mnjm0", "fdhc0", "mjln0", "mpam0", "fmld0"};
    static const char *const stems[] = {"SA1", "SA2", "SI1", "SI2", "SI3",
                                        "SX1", "SX2", "SX3", "SX4", "SX5"};
    char rel[256], spk[16];
    for (int k = 0; k < 462 + 50 + 24 + 3; k++) {
        const char *top = k < 462 ? "TRAIN" : "TEST";
        if (k < 462)
            snprintf(spk, sizeof spk, "MTR%02d%d", k / 10, k % 10);
        else if (k < 512)
            snprintf(spk, sizeof spk, "%s", dev[k - 462]);
        else if (k < 536)
            snprintf(spk, sizeof spk, "%s", core[k - 512]);
        else
            snprintf(spk, sizeof spk, "MXX%d0", k - 536); /* unused test speakers */
        for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
            snprintf(rel, sizeof rel, "std/%s/DR%d/%s/%s.PHN", top, 1 + k % 8, spk, stems[i]);
            if (i == 0)
                make_dirs(rel, 0);
            FILE *fp = fopen(path_of(rel), "w");
            assert_non_null(fp);
            fclose(fp);
            snprintf(rel, sizeof rel, "std/%s/DR%d/%s/%s.WAV", top, 1 + k % 8, spk, stems[i]);
            fp = fopen(path_of(rel), "w");
            assert_non_null(fp);
            fclose(fp);
        }
    }
    lsnn_timit_corpus c;
    assert_int_equal(lsnn_timit_scan(path_of("std"), LSNN_TIMIT_STANDARD, &c), LSNN_OK);
    assert_int_equal(c.count[LSNN_SPLIT_TRAIN], 3696);
    assert_int_equal(c.count[LSNN_SPLIT_VALID], 400);
    assert_int_equal(c.count[LSNN_SPLIT_TEST], 192);
    assert_int_equal(c.speakers[LSNN_SPLIT_TRAIN], 462);
    assert_int_equal(c.speakers[LSNN_SPLIT_VALID], 50);
    assert_int_equal(c.speakers[LSNN_SPLIT_TEST], 24);
    assert_int_equal(c.n, 3696 + 400 + 192);
    int valid = 0, test = 0;
    for (int i = 0; i < c.n; i++) {
        assert_null(strstr(c.utt[i].id, "mxx"));
        assert_null(strstr(c.utt[i].id, "/sa"));
        if (strstr(c.utt[i].id, "/faks0/si1")) {
            assert_int_equal(c.utt[i].split, LSNN_SPLIT_VALID);
            valid++;
        }
        if (strstr(c.utt[i].id, "/mdab0/sx5")) {
            assert_int_equal(c.utt[i].split, LSNN_SPLIT_TEST);
            test++;
        }
    }
    assert_int_equal(valid, 1);
    assert_int_equal(test, 1);
    lsnn_timit_corpus_free(&c);
    /* One sentence missing: the count is wrong, and said so. */
    remove(path_of("std/TRAIN/DR1/MTR000/SX5.PHN"));
    assert_int_equal(lsnn_timit_scan(path_of("std"), LSNN_TIMIT_STANDARD, &c), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "mode timit expects 3696 training sentences"));
    assert_true(contains(lsnn_last_error(), "found 3695"));
    remove_tree(path_of("std"));
}

/* Each malformed .PHN gives LSNN_ERR_FORMAT and a message "<file>:<line>: ...". */
static void test_phn_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"0 3050 h#\n3050 4559\n", "bad.PHN:2: expected '<begin sample> <end sample> <phone>'"},
        {"0 3050 h#\n3050 4559 sh extra\n", "bad.PHN:2: expected"},
        {"0 3050 h#\n\n3050 4559 xx\n", "bad.PHN:3: unknown phone 'xx'"},
        {"0 3050 h#\nabc 4559 sh\n", "bad.PHN:2: expected '<begin sample> <end sample> <phone>' "
                                     "with non-negative integer samples"},
        {"-5 3050 h#\n", "bad.PHN:1: expected"},
        {"0 3050 h#\n4559 3050 sh\n", "bad.PHN:2: the segment ends (3050) before it begins (4559)"},
        {"100 3050 h#\n50 4559 sh\n", "bad.PHN:2: the segment begins at sample 50, before the one "
                                      "on line 1"},
        {"0 99999999999999999999 h#\n", "bad.PHN:1: expected"},
        {"\n  \n", "bad.PHN: no phone segments"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text("bad.PHN", cases[i].text);
        lsnn_phn_segment *seg = (lsnn_phn_segment *)1;
        int n = -1;
        assert_int_equal(lsnn_timit_read_phn(path_of("bad.PHN"), &seg, &n), LSNN_ERR_FORMAT);
        assert_null(seg);
        assert_int_equal(n, 0);
        assert_true(contains(lsnn_last_error(), cases[i].want));
    }
    /* A good file, with CRLF line ends and an upper-case label. */
    write_text("good.PHN", "0 3050 h#\r\n3050 4559 SH\r\n4559 4559 ix\r\n");
    lsnn_phn_segment *seg;
    int n;
    assert_int_equal(lsnn_timit_read_phn(path_of("good.PHN"), &seg, &n), LSNN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(seg[1].begin, 3050);
    assert_int_equal(seg[1].end, 4559);
    assert_int_equal(seg[1].phone, lsnn_timit_phone_index("sh"));
    assert_int_equal(seg[2].line, 3);
    free(seg);
    assert_int_equal(lsnn_timit_read_phn(path_of("missing.PHN"), &seg, &n), LSNN_ERR_IO);
    assert_true(contains(lsnn_last_error(), "missing.PHN: cannot open"));
}

static void test_audio(void **state)
{
    (void)state;
    const long n = 3000;
    int16_t *x = make_audio(n, 42);
    write_sphere("a/ok.sph", x, n, n);
    write_riff("a/ok.wav", x, n, 16000, 1);
    const char *files[2] = {"a/ok.sph", "a/ok.wav"};
    for (int f = 0; f < 2; f++) {
        lsnn_audio a;
        assert_int_equal(lsnn_audio_read(path_of(files[f]), 16000, &a), LSNN_OK);
        assert_int_equal(a.n, n);
        assert_int_equal(a.sample_rate, 16000);
        for (long t = 0; t < n; t++)
            check_eq(a.samples[t], x[t] / 32768.0);
        lsnn_audio_free(&a);
    }
    lsnn_audio a;
    /* SPHERE whose header promises more samples than the file holds. */
    write_sphere("a/trunc.sph", x, n / 2, n);
    assert_int_equal(lsnn_audio_read(path_of("a/trunc.sph"), 16000, &a), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "trunc.sph: truncated: the header says 3000 samples, "
                                            "found 1500"));
    assert_null(a.samples);
    /* RIFF cut short after writing. */
    write_riff("a/trunc.wav", x, n, 16000, 1);
    assert_int_equal(truncate(path_of("a/trunc.wav"), file_size(path_of("a/trunc.wav")) - 2000),
                     0);
    assert_int_equal(lsnn_audio_read(path_of("a/trunc.wav"), 16000, &a), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "trunc.wav: truncated: the header says 3000 samples, "
                                            "found 2000"));
    /* Other rates and channel counts, garbage, missing files. */
    write_riff("a/r8k.wav", x, n, 8000, 1);
    assert_int_equal(lsnn_audio_read(path_of("a/r8k.wav"), 16000, &a), LSNN_ERR_UNSUPPORTED);
    assert_true(contains(lsnn_last_error(), "r8k.wav: sample rate 8000 Hz, expected 16000 Hz"));
    assert_int_equal(lsnn_audio_read(path_of("a/r8k.wav"), 0, &a), LSNN_OK);
    lsnn_audio_free(&a);
    write_riff("a/stereo.wav", x, n, 16000, 2);
    assert_int_equal(lsnn_audio_read(path_of("a/stereo.wav"), 16000, &a), LSNN_ERR_UNSUPPORTED);
    assert_true(contains(lsnn_last_error(), "stereo.wav: 2 channels"));
    write_text("a/junk.wav", "RIFF but not really a wave file at all");
    assert_int_equal(lsnn_audio_read(path_of("a/junk.wav"), 16000, &a), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "junk.wav: not a readable audio file"));
    assert_int_equal(lsnn_audio_read(path_of("a/none.wav"), 16000, &a), LSNN_ERR_IO);
    assert_true(contains(lsnn_last_error(), "none.wav: cannot open"));
    free(x);
}

/* Labels of a sentence past the end of its audio: the .PHN file, its line and the audio file are
 * named. */
static void test_utterance(void **state)
{
    (void)state;
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    lsnn_mfcc *m = lsnn_mfcc_create(&p, NULL);
    assert_non_null(m);
    lsnn_timit_corpus c;
    assert_int_equal(lsnn_timit_scan(path_of("c1"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    int k = find_utt(&c, "dr1/faaa0/si1"); /* SPHERE, 7000 samples */
    check_ge(k, 0);
    double *x;
    int32_t *y;
    long nf;
    assert_int_equal(lsnn_timit_utterance(&c.utt[k], m, &x, &y, &nf), LSNN_OK);
    assert_int_equal(nf, lsnn_mfcc_frames(m, 7000));
    lsnn_phn_segment *seg;
    int ns;
    assert_int_equal(lsnn_timit_read_phn(c.utt[k].phn, &seg, &ns), LSNN_OK);
    int32_t want[64];
    lsnn_timit_frame_labels(seg, ns, nf, 160, 400, want);
    for (long f = 0; f < nf; f++)
        assert_int_equal(y[f], want[f]);
    assert_int_equal(y[0], lsnn_timit_phone_index("h#"));
    free(seg);
    free(x);
    free(y);
    lsnn_timit_corpus_free(&c);

    /* The audio lost its second half; the .PHN still goes to 7000. */
    int16_t *a = make_audio(7000, 3);
    write_sphere("c5/TRAIN/DR1/FAAA0/SX1.WAV", a, 3500, 3500);
    write_text("c5/TRAIN/DR1/FAAA0/SX1.PHN", "0 2000 h#\n2000 3600 sh\n3600 7000 h#\n");
    lsnn_timit_utt u = {"dr1/faaa0/sx1", (char *)path_of("c5/TRAIN/DR1/FAAA0/SX1.WAV"),
                        (char *)path_of("c5/TRAIN/DR1/FAAA0/SX1.PHN"), 0};
    assert_int_equal(lsnn_timit_utterance(&u, m, &x, &y, &nf), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "SX1.PHN:3: the segment ends at sample 7000 but"));
    assert_true(contains(lsnn_last_error(), "SX1.WAV has 3500 samples (truncated audio?)"));
    assert_null(x);
    /* Within one hop (160 samples) of the end is accepted. */
    write_text("c5/TRAIN/DR1/FAAA0/SX1.PHN", "0 2000 h#\n2000 3600 sh\n3600 3660 h#\n");
    assert_int_equal(lsnn_timit_utterance(&u, m, &x, &y, &nf), LSNN_OK);
    free(x);
    free(y);
    /* A truncated SPHERE file is reported by the audio reader. */
    write_sphere("c5/TRAIN/DR1/FAAA0/SX1.WAV", a, 3000, 3500);
    assert_int_equal(lsnn_timit_utterance(&u, m, &x, &y, &nf), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "SX1.WAV: truncated"));
    free(a);
    remove_tree(path_of("c5"));
    lsnn_mfcc_free(m);
}

/* The cache: per split, the labels and the standardised features of every sentence. */
static void test_cache(void **state)
{
    (void)state;
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    lsnn_speech_summary sum;
    assert_int_equal(lsnn_timit_build_cache(path_of("c1"), path_of("cache"), LSNN_TIMIT_GENERIC,
                                            &p, NULL, NULL, &sum),
                     LSNN_OK);
    lsnn_timit_corpus c;
    assert_int_equal(lsnn_timit_scan(path_of("c1"), LSNN_TIMIT_GENERIC, &c), LSNN_OK);
    lsnn_mfcc *m = lsnn_mfcc_create(&p, NULL);
    assert_non_null(m);
    lsnn_speech_split sp[LSNN_SPLITS];
    int u0 = 0;
    for (int s = 0; s < LSNN_SPLITS; s++) {
        assert_int_equal(lsnn_speech_load(path_of("cache"), s, &sp[s]), LSNN_OK);
        assert_int_equal(sp[s].split, s);
        assert_int_equal(sp[s].channels, 39);
        assert_int_equal(sp[s].n_utt, c.count[s]);
        assert_int_equal(sum.sentences[s], c.count[s]);
        assert_int_equal(sum.frames[s], sp[s].n_frames);
        long longest = 0;
        for (int i = 0; i < sp[s].n_utt; i++)
            if (sp[s].offsets[i + 1] - sp[s].offsets[i] > longest)
                longest = (long)(sp[s].offsets[i + 1] - sp[s].offsets[i]);
        assert_int_equal(sum.longest[s], longest);
        for (int i = 0; i < sp[s].n_utt; i++) {
            double *x;
            int32_t *y;
            long nf;
            assert_int_equal(lsnn_timit_utterance(&c.utt[u0 + i], m, &x, &y, &nf), LSNN_OK);
            assert_int_equal(sp[s].offsets[i + 1] - sp[s].offsets[i], nf);
            for (long f = 0; f < nf; f++) {
                long g = (long)sp[s].offsets[i] + f;
                assert_int_equal(sp[s].labels[g], y[f]);
                for (int ch = 0; ch < 39; ch++) {
                    double want = (x[f * 39 + ch] - sp[0].mean[ch]) / sp[0].std[ch];
                    check_near(sp[s].features[g * 39 + ch], want, 1e-4);
                }
            }
            free(x);
            free(y);
        }
        u0 += c.count[s];
        for (int ch = 0; ch < 39; ch++) {
            check_eq(sp[s].mean[ch], sp[0].mean[ch]);
            check_eq(sp[s].std[ch], sp[0].std[ch]);
        }
    }
    /* Training features: mean 0 and std 1 per channel. */
    for (int ch = 0; ch < 39; ch++) {
        double s1 = 0, s2 = 0;
        for (long f = 0; f < sp[0].n_frames; f++) {
            double v = sp[0].features[f * 39 + ch];
            s1 += v;
            s2 += v * v;
        }
        double mean = s1 / sp[0].n_frames, var = s2 / sp[0].n_frames - mean * mean;
        check_lt(fabs(mean), 1e-5);
        check_near(var, 1, 1e-4);
    }
    for (int s = 0; s < LSNN_SPLITS; s++)
        lsnn_speech_free(&sp[s]);
    /* A file under the wrong name is refused. */
    rename(path_of("cache/test.safetensors"), path_of("cache/test.bak"));
    rename(path_of("cache/valid.safetensors"), path_of("cache/test.safetensors"));
    assert_int_equal(lsnn_speech_load(path_of("cache"), LSNN_SPLIT_TEST, &sp[2]), LSNN_ERR_FORMAT);
    assert_true(contains(lsnn_last_error(), "metadata split is 'valid', expected 'test'"));
    rename(path_of("cache/test.safetensors"), path_of("cache/valid.safetensors"));
    rename(path_of("cache/test.bak"), path_of("cache/test.safetensors"));
    lsnn_mfcc_free(m);
    lsnn_timit_corpus_free(&c);
}

/* The task: frames held frame_steps steps, one window per frame, padding without windows,
 * sentences cut into pieces of max_frames frames, every training piece once per epoch. */
static void test_task(void **state)
{
    (void)state;
    /* test_cache wrote the cache; build it again so this test stands alone. */
    lsnn_mfcc_params p;
    lsnn_mfcc_defaults(&p);
    assert_int_equal(lsnn_timit_build_cache(path_of("c1"), path_of("cache"), LSNN_TIMIT_GENERIC,
                                            &p, NULL, NULL, NULL),
                     LSNN_OK);
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.task, sizeof cfg.task, "timit");
    snprintf(cfg.timit.dir, sizeof cfg.timit.dir, "%s", path_of("cache"));
    cfg.timit.frame_steps = 3;
    cfg.timit.max_frames = 20;
    const lsnn_task *task = lsnn_task_find("timit");
    assert_non_null(task);
    lsnn_task_shape sh;
    assert_int_equal(task->shape(&cfg, &sh), LSNN_OK);
    assert_int_equal(sh.n_in, 39);
    assert_int_equal(sh.n_out, 61);
    assert_int_equal(sh.T, 60);
    assert_int_equal(sh.max_windows, 20);
    void *st = NULL;
    assert_int_equal(task->open(&cfg, &st), LSNN_OK);
    lsnn_speech_split sp[LSNN_SPLITS];
    for (int s = 0; s < LSNN_SPLITS; s++)
        assert_int_equal(lsnn_speech_load(path_of("cache"), s, &sp[s]), LSNN_OK);
    const uint64_t streams[LSNN_SPLITS] = {LSNN_STREAM_TRAIN, LSNN_STREAM_VALID,
                                           LSNN_STREAM_TEST};
    for (int s = 0; s < LSNN_SPLITS; s++) {
        /* Pieces in order: sentence u, frames [a, a + nf). */
        long np = 0, pf0[256];
        int pnf[256];
        for (int u = 0; u < sp[s].n_utt; u++)
            for (long a = sp[s].offsets[u]; a < sp[s].offsets[u + 1]; a += 20) {
                long left = (long)sp[s].offsets[u + 1] - a;
                pf0[np] = a;
                pnf[np++] = left < 20 ? (int)left : 20;
            }
        assert_int_equal(task->stream_size(st, &cfg, streams[s]), np);
        lsnn_batch b;
        assert_int_equal(lsnn_batch_init(&b, (int)np, sh.T, sh.n_in, sh.n_out, sh.loss,
                                         sh.max_windows),
                         LSNN_OK);
        assert_int_equal(task->generate(st, &cfg, 7, streams[s], 0, &b), LSNN_OK);
        int seen[256] = {0};
        for (int q = 0; q < (int)np; q++) {
            /* Which piece is it? Training order is shuffled; the others are in order. */
            int which = -1;
            for (long i = 0; i < np && which < 0; i++) {
                if (pnf[i] != b.n_windows[q])
                    continue;
                if (memcmp(&sp[s].features[pf0[i] * 39], &b.x[(size_t)q * sh.T * 39],
                           sizeof(float) * 39) == 0)
                    which = (int)i;
            }
            check_ge(which, 0);
            if (s != LSNN_SPLIT_TRAIN)
                assert_int_equal(which, q);
            seen[which]++;
            const lsnn_real *x = b.x + (size_t)q * sh.T * 39;
            const lsnn_window *w = b.windows + (size_t)q * b.max_windows;
            for (int f = 0; f < pnf[which]; f++) {
                assert_int_equal(w[f].t0, 3 * f);
                assert_int_equal(w[f].t1, 3 * f + 3);
                assert_int_equal(w[f].label, sp[s].labels[pf0[which] + f]);
                for (int t = 3 * f; t < 3 * f + 3; t++)
                    for (int ch = 0; ch < 39; ch++)
                        check_eq(x[t * 39 + ch], sp[s].features[(pf0[which] + f) * 39 + ch]);
            }
            for (int t = 3 * pnf[which]; t < sh.T; t++)
                for (int ch = 0; ch < 39; ch++)
                    check_eq(x[t * 39 + ch], 0);
        }
        for (long i = 0; i < np; i++)
            assert_int_equal(seen[i], 1);
        /* The same sequence whatever the batch split. */
        lsnn_batch one;
        assert_int_equal(lsnn_batch_init(&one, 1, sh.T, sh.n_in, sh.n_out, sh.loss,
                                         sh.max_windows),
                         LSNN_OK);
        long q = np > 2 ? 2 : 0;
        assert_int_equal(task->generate(st, &cfg, 7, streams[s], (uint64_t)q, &one), LSNN_OK);
        assert_memory_equal(one.x, b.x + (size_t)q * sh.T * 39, sizeof(lsnn_real) * sh.T * 39);
        assert_int_equal(one.n_windows[0], b.n_windows[q]);
        lsnn_batch_free(&one);
        lsnn_batch_free(&b);
    }
    /* timit.val_size takes the first validation pieces only. */
    cfg.timit.val_size = 1;
    assert_int_equal(task->stream_size(st, &cfg, LSNN_STREAM_VALID), 1);
    task->close(st);
    for (int s = 0; s < LSNN_SPLITS; s++)
        lsnn_speech_free(&sp[s]);
    /* A missing cache names the key and the command that builds it. */
    snprintf(cfg.timit.dir, sizeof cfg.timit.dir, "%s", path_of("nocache"));
    assert_int_not_equal(task->open(&cfg, &st), LSNN_OK);
    assert_true(contains(lsnn_last_error(), "timit.dir: "));
    assert_true(contains(lsnn_last_error(), "lsnn data timit CORPUS"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phones),         cmocka_unit_test(test_frame_labels),
        cmocka_unit_test(test_scan_generic),   cmocka_unit_test(test_scan_valid_file),
        cmocka_unit_test(test_scan_errors),    cmocka_unit_test(test_scan_standard),
        cmocka_unit_test(test_phn_errors),
        cmocka_unit_test(test_audio),          cmocka_unit_test(test_utterance),
        cmocka_unit_test(test_cache),          cmocka_unit_test(test_task),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

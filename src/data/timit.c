/* Speech corpora in TIMIT layout, frame labels and the feature cache (see lsnn/timit.h). */
#include "lsnn/timit.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lsnn/audio.h"
#include "lsnn/safetensors.h"

/* ---------------------------------------------------------------------------------------------
 * Reference lists (../shared/data/timit/, copied here so the library needs nothing at run time)
 * ------------------------------------------------------------------------------------------- */

/* The 61 TIMIT labels, in the order of phones61.txt: phoncode.doc's groups (stops, affricates,
 * fricatives, nasals, semivowels and glides, vowels, others), then the six stop closures. */
static const char *const lsnn__phones[LSNN_TIMIT_PHONES] = {
    "b",   "d",  "g",  "p",   "t",  "k",   "dx", "q",   "jh",  "ch",  "s",   "sh",  "z",
    "zh",  "f",  "th", "v",   "dh", "m",   "n",  "ng",  "em",  "en",  "eng", "nx",  "l",
    "r",   "w",  "y",  "hh",  "hv", "el",  "iy", "ih",  "eh",  "ey",  "ae",  "aa",  "aw",
    "ay",  "ah", "ao", "oy",  "ow", "uh",  "uw", "ux",  "er",  "ax",  "ix",  "axr", "ax-h",
    "pau", "epi", "h#", "bcl", "dcl", "gcl", "pcl", "tcl", "kcl",
};

/* The 24 core-test speakers (core_test_speakers.txt; 3 per dialect region, 8 sentences each). */
static const char *const lsnn__core_test[] = {
    "mdab0", "mwbt0", "felc0", "mtas1", "mwew0", "fpas0", "mjmp0", "mlnt0",
    "fpkt0", "mlll0", "mtls0", "fjlm0", "mbpm0", "mklt0", "fnlp0", "mcmj0",
    "mjdh0", "fmgd0", "mgrt0", "mnjm0", "fdhc0", "mjln0", "mpam0", "fmld0",
};

/* The 50 development speakers (dev_speakers.txt), all under TEST/. */
static const char *const lsnn__dev[] = {
    "faks0", "fdac1", "fjem0", "mgwt0", "mjar0", "mmdb1", "mmdm2", "mpdf0", "fcmh0", "fkms0",
    "mbdg0", "mbwm0", "mcsh0", "fadg0", "fdms0", "fedw0", "mgjf0", "mglb0", "mrtk0", "mtaa0",
    "mtdt0", "mthc0", "mwjg0", "fnmr0", "frew0", "fsem0", "mbns0", "mmjr0", "mdls0", "mdlf0",
    "mdvc0", "mers0", "fmah0", "fdrw0", "mrcs0", "mrjm4", "fcal1", "mmwh0", "fjsj0", "majc0",
    "mjsw0", "mreb0", "fgjd0", "fjmg0", "mroa0", "mteb0", "mjfc0", "mrjr0", "fmml0", "mrws1",
};

#define LSNN__N_CORE ((int)(sizeof lsnn__core_test / sizeof lsnn__core_test[0]))
#define LSNN__N_DEV ((int)(sizeof lsnn__dev / sizeof lsnn__dev[0]))

/* Halberstadt's split of the standard corpus (seed 000: 3696, 400 and 192 sequences). */
#define LSNN__STD_TRAIN 3696
#define LSNN__STD_TRAIN_SPEAKERS 462
#define LSNN__STD_VALID 400
#define LSNN__STD_TEST 192

/* A .PHN file with more lines than this is not a sentence. */
#define LSNN__MAX_SEGMENTS 100000

const char *lsnn_timit_phone(int i)
{
    return i >= 0 && i < LSNN_TIMIT_PHONES ? lsnn__phones[i] : NULL;
}

static int lsnn__ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

int lsnn_timit_phone_index(const char *label)
{
    if (!label)
        return -1;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        if (lsnn__ieq(label, lsnn__phones[i]))
            return i;
    return -1;
}

lsnn_status lsnn_timit_mode_parse(const char *name, lsnn_timit_mode *mode)
{
    if (name && strcmp(name, "timit") == 0) {
        *mode = LSNN_TIMIT_STANDARD;
        return LSNN_OK;
    }
    if (name && strcmp(name, "generic") == 0) {
        *mode = LSNN_TIMIT_GENERIC;
        return LSNN_OK;
    }
    return lsnn_error(LSNN_ERR_ARG, "unknown corpus mode '%s': timit or generic",
                      name ? name : "(null)");
}

const char *lsnn_timit_mode_name(lsnn_timit_mode mode)
{
    return mode == LSNN_TIMIT_GENERIC ? "generic" : "timit";
}

const char *lsnn_split_name(int split)
{
    static const char *const names[LSNN_SPLITS] = {"train", "valid", "test"};
    return split >= 0 && split < LSNN_SPLITS ? names[split] : "?";
}

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static void lsnn__lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

/* "a/b" in a malloc'd string, or NULL. */
static char *lsnn__join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + slash + lb + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    if (slash)
        s[la] = '/';
    memcpy(s + la + slash, b, lb + 1);
    return s;
}

static int lsnn__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The entries of a directory (without "." and hidden names), sorted by strcmp. */
typedef struct lsnn__names {
    char **v;
    int n;
} lsnn__names;

static void lsnn__names_free(lsnn__names *ns)
{
    for (int i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

static int lsnn__cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static lsnn_status lsnn__list(const char *dir, lsnn__names *out)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (out->n == cap) {
            int nc = cap ? 2 * cap : 16;
            char **nv = realloc(out->v, sizeof(char *) * (size_t)nc);
            if (!nv)
                goto nomem;
            out->v = nv;
            cap = nc;
        }
        if (!(out->v[out->n] = malloc(strlen(e->d_name) + 1)))
            goto nomem;
        strcpy(out->v[out->n++], e->d_name);
    }
    closedir(d);
    if (out->n > 1)
        qsort(out->v, (size_t)out->n, sizeof(char *), lsnn__cmp_str);
    return LSNN_OK;
nomem:
    closedir(d);
    lsnn__names_free(out);
    return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory listing the directory", dir);
}

/* The entry of ns equal to `name` without regard to case, or NULL. */
static const char *lsnn__find_ci(const lsnn__names *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (lsnn__ieq(ns->v[i], name))
            return ns->v[i];
    return NULL;
}

/* 64-bit FNV-1a of a string: the fixed, documented order of the generic validation choice. */
static uint64_t lsnn__fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---------------------------------------------------------------------------------------------
 * Corpus scan
 * ------------------------------------------------------------------------------------------- */

typedef struct lsnn__item {
    lsnn_timit_utt u;
    char speaker[48];  /* lower case */
    int top;           /* 0: under TRAIN/, 1: under TEST/ */
} lsnn__item;

typedef struct lsnn__items {
    lsnn__item *v;
    int n, cap;
} lsnn__items;

static void lsnn__items_free(lsnn__items *it)
{
    for (int i = 0; i < it->n; i++) {
        free(it->v[i].u.wav);
        free(it->v[i].u.phn);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

/* The sentences of one speaker directory. */
static lsnn_status lsnn__scan_speaker(const char *spk_dir, const char *region, const char *speaker,
                                      int top, lsnn__items *items)
{
    lsnn__names files;
    lsnn_status st = lsnn__list(spk_dir, &files);
    if (st)
        return st;
    for (int i = 0; i < files.n && !st; i++) {
        const char *name = files.v[i];
        size_t len = strlen(name);
        if (len <= 4 || !lsnn__ieq(name + len - 4, ".phn"))
            continue;
        char stem[64];
        if (len - 4 >= sizeof stem) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s/%s: file name too long for a sentence", spk_dir,
                            name);
            break;
        }
        memcpy(stem, name, len - 4);
        stem[len - 4] = 0;
        /* SA1 / SA2: the two sentences every speaker read; excluded by every standard split. */
        if (tolower((unsigned char)stem[0]) == 's' && tolower((unsigned char)stem[1]) == 'a')
            continue;
        char want[80];
        snprintf(want, sizeof want, "%s.wav", stem);
        const char *audio = lsnn__find_ci(&files, want);
        if (!audio) {
            snprintf(want, sizeof want, "%s.wav.wav", stem);
            audio = lsnn__find_ci(&files, want);
        }
        if (!audio) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s/%s: no audio file %s.WAV next to it", spk_dir,
                            name, stem);
            break;
        }
        char lstem[64];
        lsnn__lower(lstem, stem, sizeof lstem);
        if (items->n == items->cap) {
            int nc = items->cap ? 2 * items->cap : 256;
            lsnn__item *nv = realloc(items->v, sizeof(lsnn__item) * (size_t)nc);
            if (!nv) {
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", spk_dir);
                break;
            }
            items->v = nv;
            items->cap = nc;
        }
        lsnn__item *it = &items->v[items->n];
        memset(it, 0, sizeof *it);
        int w = snprintf(it->u.id, sizeof it->u.id, "%s/%s/%s", region, speaker, lstem);
        if (w < 0 || (size_t)w >= sizeof it->u.id) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s/%s: sentence ID '%s/%s/%s' too long", spk_dir,
                            name, region, speaker, lstem);
            break;
        }
        snprintf(it->speaker, sizeof it->speaker, "%s", speaker);
        it->top = top;
        it->u.phn = lsnn__join(spk_dir, name);
        it->u.wav = lsnn__join(spk_dir, audio);
        items->n++;
        if (!it->u.phn || !it->u.wav)
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", spk_dir);
    }
    lsnn__names_free(&files);
    return st;
}

/* Every sentence under TRAIN/ (top = 0) or TEST/ (top = 1): <region>/<speaker>/<stem>.PHN. */
static lsnn_status lsnn__scan_top(const char *top_dir, int top, lsnn__items *items)
{
    lsnn__names regions;
    lsnn_status st = lsnn__list(top_dir, &regions);
    for (int r = 0; r < regions.n && !st; r++) {
        char *rdir = lsnn__join(top_dir, regions.v[r]);
        if (!rdir) {
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", top_dir);
            break;
        }
        if (!lsnn__is_dir(rdir)) {
            free(rdir);
            continue;
        }
        char region[32];
        if (strlen(regions.v[r]) >= sizeof region) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: directory name too long for a region", rdir);
            free(rdir);
            break;
        }
        lsnn__lower(region, regions.v[r], sizeof region);
        lsnn__names spk;
        st = lsnn__list(rdir, &spk);
        for (int s = 0; s < spk.n && !st; s++) {
            char *sdir = lsnn__join(rdir, spk.v[s]);
            if (!sdir) {
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", rdir);
                break;
            }
            if (lsnn__is_dir(sdir)) {
                char speaker[48];
                if (strlen(spk.v[s]) >= sizeof speaker)
                    st = lsnn_error(LSNN_ERR_FORMAT, "%s: directory name too long for a speaker",
                                    sdir);
                else {
                    lsnn__lower(speaker, spk.v[s], sizeof speaker);
                    st = lsnn__scan_speaker(sdir, region, speaker, top, items);
                }
            }
            free(sdir);
        }
        lsnn__names_free(&spk);
        free(rdir);
    }
    lsnn__names_free(&regions);
    return st;
}

static int lsnn__in_list(const char *speaker, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(speaker, list[i]) == 0)
            return 1;
    return 0;
}

/* Distinct speakers of the items with top == `top` (top < 0: all), sorted. Returns the count, or
 * -1 when out of memory. *out holds pointers into the items. */
static int lsnn__speakers(const lsnn__items *it, int top, const char ***out)
{
    const char **v = malloc(sizeof(char *) * (size_t)(it->n ? it->n : 1));
    if (!v)
        return -1;
    int n = 0;
    for (int i = 0; i < it->n; i++)
        if (top < 0 || it->v[i].top == top)
            v[n++] = it->v[i].speaker;
    if (n > 1)
        qsort(v, (size_t)n, sizeof(char *), lsnn__cmp_str);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
            v[k++] = v[i];
    *out = v;
    return k;
}

typedef struct lsnn__hashed {
    uint64_t h;
    const char *s;
} lsnn__hashed;

static int lsnn__cmp_hashed(const void *a, const void *b)
{
    const lsnn__hashed *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return strcmp(x->s, y->s);
}

/* Marks (split = LSNN_SPLIT_VALID) the speakers of `list` (n names). */
static void lsnn__mark_valid(lsnn__items *it, const char *const *list, int n)
{
    for (int i = 0; i < it->n; i++)
        if (lsnn__in_list(it->v[i].speaker, list, n))
            it->v[i].u.split = LSNN_SPLIT_VALID;
}

/* Generic mode: reads CORPUS/valid_speakers.txt or validation_speakers.txt (the name `lsnn data
 * synth-speech` writes) if one exists (*found = 1) into the split marks. */
static lsnn_status lsnn__valid_file(const char *dir, const lsnn__names *root, lsnn__items *it,
                                    int *found)
{
    *found = 0;
    const char *name = lsnn__find_ci(root, "valid_speakers.txt");
    const char *other = lsnn__find_ci(root, "validation_speakers.txt");
    if (name && other)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: both %s and %s list validation speakers; keep one", dir, name,
                          other);
    if (!name)
        name = other;
    if (!name)
        return LSNN_OK;
    char *path = lsnn__join(dir, name);
    if (!path)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        free(path);
        return st;
    }
    *found = 1;
    lsnn_status st = LSNN_OK;
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, listed = 0;
    while (!st && getline(&line, &cap, fp) != -1) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        char *e = s;
        while (*e && !isspace((unsigned char)*e))
            e++;
        *e = 0;
        char spk[48];
        if (strlen(s) >= sizeof spk) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s:%d: speaker ID too long", path, lineno);
            break;
        }
        lsnn__lower(spk, s, sizeof spk);
        int hits = 0;
        for (int i = 0; i < it->n; i++)
            if (strcmp(it->v[i].speaker, spk) == 0) {
                it->v[i].u.split = LSNN_SPLIT_VALID;
                hits++;
            }
        if (!hits)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: speaker '%s' has no sentences in the corpus (SA excluded)",
                            path, lineno, s);
        listed++;
    }
    if (!st && ferror(fp))
        st = lsnn_error(LSNN_ERR_IO, "%s: read error", path);
    if (!st && listed == 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: lists no speaker", path);
    free(line);
    fclose(fp);
    free(path);
    return st;
}

static int lsnn__cmp_item(const void *a, const void *b)
{
    const lsnn__item *x = a, *y = b;
    if (x->u.split != y->u.split)
        return x->u.split - y->u.split;
    return strcmp(x->u.id, y->u.id);
}

/* Assigns u.split to every item (-1: unused) by the mode's rule; checks the result. */
static lsnn_status lsnn__assign(const char *dir, const lsnn__names *root, lsnn_timit_mode mode,
                                lsnn__items *it)
{
    /* A speaker under both TRAIN/ and TEST/ would leak between the splits. */
    const char **tr = NULL, **te = NULL;
    int ntr = lsnn__speakers(it, 0, &tr), nte = lsnn__speakers(it, 1, &te);
    lsnn_status st = LSNN_OK;
    if (ntr < 0 || nte < 0) {
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    for (int i = 0, j = 0; i < ntr && j < nte;) {
        int c = strcmp(tr[i], te[j]);
        if (c == 0) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: speaker '%s' appears under both TRAIN/ and TEST/", dir, tr[i]);
            goto done;
        }
        if (c < 0)
            i++;
        else
            j++;
    }
    for (int i = 0; i < it->n; i++)
        it->v[i].u.split = it->v[i].top ? LSNN_SPLIT_TEST : LSNN_SPLIT_TRAIN;
    if (mode == LSNN_TIMIT_STANDARD) {
        for (int k = 0; k < LSNN__N_DEV + LSNN__N_CORE; k++) {
            const char *spk = k < LSNN__N_DEV ? lsnn__dev[k] : lsnn__core_test[k - LSNN__N_DEV];
            if (!lsnn__in_list(spk, te, nte)) {
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: %s speaker '%s' not found under TEST/ (mode timit needs the "
                                "complete TIMIT corpus; use mode generic for other corpora in "
                                "TIMIT layout)",
                                dir, k < LSNN__N_DEV ? "development" : "core-test", spk);
                goto done;
            }
        }
        /* Of TEST/, only the development and core-test speakers are used. */
        for (int i = 0; i < it->n; i++)
            if (it->v[i].top == 1)
                it->v[i].u.split =
                    lsnn__in_list(it->v[i].speaker, lsnn__dev, LSNN__N_DEV)
                        ? LSNN_SPLIT_VALID
                        : lsnn__in_list(it->v[i].speaker, lsnn__core_test, LSNN__N_CORE)
                              ? LSNN_SPLIT_TEST
                              : -1;
    } else {
        int found;
        if ((st = lsnn__valid_file(dir, root, it, &found)))
            goto done;
        if (!found) {
            if (ntr < 2) {
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: TRAIN/ has %d speaker%s; the validation speakers are taken "
                                "from TRAIN/, so it needs at least 2 (or list them in "
                                "valid_speakers.txt)",
                                dir, ntr, ntr == 1 ? "" : "s");
                goto done;
            }
            int nv = (ntr + 9) / 10;
            lsnn__hashed *h = malloc(sizeof(lsnn__hashed) * (size_t)ntr);
            const char **pick = malloc(sizeof(char *) * (size_t)nv);
            if (!h || !pick) {
                free(h);
                free(pick);
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
                goto done;
            }
            for (int i = 0; i < ntr; i++)
                h[i] = (lsnn__hashed){lsnn__fnv1a(tr[i]), tr[i]};
            qsort(h, (size_t)ntr, sizeof *h, lsnn__cmp_hashed);
            for (int i = 0; i < nv; i++)
                pick[i] = h[i].s;
            lsnn__mark_valid(it, pick, nv);
            free(h);
            free(pick);
        }
    }
    /* Count sentences and speakers per split. */
    int count[LSNN_SPLITS] = {0};
    for (int i = 0; i < it->n; i++)
        if (it->v[i].u.split >= 0)
            count[it->v[i].u.split]++;
    if (mode == LSNN_TIMIT_STANDARD) {
        static const int want[LSNN_SPLITS] = {LSNN__STD_TRAIN, LSNN__STD_VALID, LSNN__STD_TEST};
        static const char *const what[LSNN_SPLITS] = {
            "training sentences (every speaker under TRAIN/)",
            "validation sentences (the 50 development speakers)",
            "test sentences (the 24 core-test speakers)"};
        for (int s = 0; s < LSNN_SPLITS; s++)
            if (count[s] != want[s]) {
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: mode timit expects %d %s, SA excluded, found %d (an "
                                "incomplete copy? for other corpora use mode generic)",
                                dir, want[s], what[s], count[s]);
                goto done;
            }
        if (ntr != LSNN__STD_TRAIN_SPEAKERS) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: mode timit expects %d speakers under TRAIN/, found %d", dir,
                            LSNN__STD_TRAIN_SPEAKERS, ntr);
            goto done;
        }
    } else {
        for (int s = 0; s < LSNN_SPLITS; s++)
            if (count[s] == 0) {
                st = lsnn_error(LSNN_ERR_FORMAT,
                                "%s: the %s split has no sentences (SA excluded; training comes "
                                "from TRAIN/, test from TEST/)",
                                dir, s == LSNN_SPLIT_TRAIN ? "training"
                                     : s == LSNN_SPLIT_VALID ? "validation" : "test");
                goto done;
            }
    }
done:
    free(tr);
    free(te);
    return st;
}

void lsnn_timit_corpus_free(lsnn_timit_corpus *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->utt[i].wav);
        free(c->utt[i].phn);
    }
    free(c->utt);
    memset(c, 0, sizeof *c);
}

lsnn_status lsnn_timit_scan(const char *dir, lsnn_timit_mode mode, lsnn_timit_corpus *out)
{
    memset(out, 0, sizeof *out);
    if (!dir)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_timit_scan: NULL directory");
    lsnn__names root;
    lsnn_status st = lsnn__list(dir, &root);
    if (st)
        return st;
    lsnn__items it = {0};
    for (int top = 0; top < 2 && !st; top++) {
        const char *want = top ? "test" : "train";
        const char *name = lsnn__find_ci(&root, want);
        char *path = name ? lsnn__join(dir, name) : NULL;
        if (!name || !path || !lsnn__is_dir(path)) {
            st = path || !name ? lsnn_error(LSNN_ERR_FORMAT,
                                            "%s: no %s/ directory (expected TIMIT layout: "
                                            "TRAIN/ and TEST/, each with <region>/<speaker>/"
                                            "<sentence>.WAV + .PHN)",
                                            dir, top ? "TEST" : "TRAIN")
                               : lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
            free(path);
            break;
        }
        st = lsnn__scan_top(path, top, &it);
        free(path);
    }
    if (!st)
        st = lsnn__assign(dir, &root, mode, &it);
    lsnn__names_free(&root);
    if (st) {
        lsnn__items_free(&it);
        return st;
    }
    /* Keep the used sentences, ordered by split and ID. */
    int used = 0;
    for (int i = 0; i < it.n; i++) {
        if (it.v[i].u.split >= 0) {
            it.v[used++] = it.v[i];
        } else {
            free(it.v[i].u.wav);
            free(it.v[i].u.phn);
        }
    }
    it.n = used;
    qsort(it.v, (size_t)used, sizeof(lsnn__item), lsnn__cmp_item);
    out->utt = malloc(sizeof(lsnn_timit_utt) * (size_t)used);
    if (!out->utt) {
        lsnn__items_free(&it);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", dir);
    }
    for (int i = 0; i < used; i++) {
        out->utt[i] = it.v[i].u;
        out->count[it.v[i].u.split]++;
        if (i == 0 || it.v[i].u.split != it.v[i - 1].u.split ||
            strcmp(it.v[i].speaker, it.v[i - 1].speaker) != 0)
            out->speakers[it.v[i].u.split]++;
    }
    out->n = used;
    /* The strings now belong to out. */
    free(it.v);
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * .PHN files and frame labels
 * ------------------------------------------------------------------------------------------- */

/* A non-negative decimal integer filling the whole token, or -1. */
static long lsnn__parse_count(const char *tok)
{
    if (!isdigit((unsigned char)tok[0]))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(tok, &end, 10);
    if (errno || *end)
        return -1;
    return v;
}

lsnn_status lsnn_timit_read_phn(const char *path, lsnn_phn_segment **seg, int *n)
{
    *seg = NULL;
    *n = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    lsnn_status st = LSNN_OK;
    lsnn_phn_segment *v = NULL;
    int cnt = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, fp) != -1) {
        lineno++;
        char *tok[4];
        int nt = 0;
        for (char *s = line; *s && nt < 4;) {
            while (isspace((unsigned char)*s))
                s++;
            if (!*s)
                break;
            tok[nt++] = s;
            while (*s && !isspace((unsigned char)*s))
                s++;
            if (*s)
                *s++ = 0;
        }
        if (nt == 0)
            continue; /* blank line */
        if (nt != 3) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: expected '<begin sample> <end sample> <phone>', found %d "
                            "field%s",
                            path, lineno, nt > 3 ? 4 : nt, nt == 1 ? "" : "s");
            break;
        }
        long b = lsnn__parse_count(tok[0]), e = lsnn__parse_count(tok[1]);
        if (b < 0 || e < 0) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: expected '<begin sample> <end sample> <phone>' with "
                            "non-negative integer samples, found '%.20s %.20s'",
                            path, lineno, tok[0], tok[1]);
            break;
        }
        if (e < b) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s:%d: the segment ends (%ld) before it begins (%ld)",
                            path, lineno, e, b);
            break;
        }
        if (cnt > 0 && b < v[cnt - 1].begin) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: the segment begins at sample %ld, before the one on line %d "
                            "(%ld): segments must be in time order",
                            path, lineno, b, v[cnt - 1].line, v[cnt - 1].begin);
            break;
        }
        int ph = lsnn_timit_phone_index(tok[2]);
        if (ph < 0) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: unknown phone '%.32s' (not one of the 61 TIMIT phones)", path,
                            lineno, tok[2]);
            break;
        }
        if (cnt == LSNN__MAX_SEGMENTS) {
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: more than %d segments", path,
                            LSNN__MAX_SEGMENTS);
            break;
        }
        if (cnt == cap) {
            int nc = cap ? 2 * cap : 64;
            lsnn_phn_segment *nv = realloc(v, sizeof *v * (size_t)nc);
            if (!nv) {
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            v = nv;
            cap = nc;
        }
        v[cnt++] = (lsnn_phn_segment){b, e, ph, lineno};
    }
    if (!st && ferror(fp))
        st = lsnn_error(LSNN_ERR_IO, "%s: read error", path);
    if (!st && cnt == 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: no phone segments", path);
    free(line);
    fclose(fp);
    if (st) {
        free(v);
        return st;
    }
    *seg = v;
    *n = cnt;
    return LSNN_OK;
}

void lsnn_timit_frame_labels(const lsnn_phn_segment *seg, int n, long n_frames, int hop,
                             int frame_len, int32_t *labels)
{
    long lo = seg[0].begin, hi = 0;
    for (int i = 0; i < n; i++)
        if (seg[i].end > hi)
            hi = seg[i].end;
    if (hi <= lo)
        hi = lo + 1;
    for (long f = 0; f < n_frames; f++) {
        long c = f * hop + frame_len / 2;
        c = c < lo ? lo : c > hi - 1 ? hi - 1 : c;
        int best = -1;
        long best_d = 0;
        for (int i = 0; i < n; i++) {
            if (seg[i].begin <= c && c < seg[i].end) {
                best = i; /* later segments win an overlap */
                best_d = -1;
                continue;
            }
            if (best_d < 0)
                continue;
            /* Distance from c to the segment's samples (an empty segment: to its position). */
            long last = seg[i].end > seg[i].begin ? seg[i].end - 1 : seg[i].begin;
            long d = c < seg[i].begin ? seg[i].begin - c : c - last;
            if (best < 0 || d < best_d) {
                best = i;
                best_d = d;
            }
        }
        labels[f] = seg[best].phone;
    }
}

lsnn_status lsnn_timit_utterance(const lsnn_timit_utt *u, lsnn_mfcc *m, double **feat,
                                 int32_t **labels, long *frames)
{
    *feat = NULL;
    *labels = NULL;
    *frames = 0;
    lsnn_phn_segment *seg = NULL;
    int nseg = 0;
    lsnn_status st = lsnn_timit_read_phn(u->phn, &seg, &nseg);
    if (st)
        return st;
    const lsnn_mfcc_params *p = lsnn_mfcc_get_params(m);
    lsnn_audio a;
    if ((st = lsnn_audio_read(u->wav, p->sample_rate, &a))) {
        free(seg);
        return st;
    }
    /* A label past the end of the audio means the audio lost its tail (or the wrong file). One
     * hop of slack allows for labels rounded up to a frame boundary by other tools. */
    for (int i = 0; i < nseg; i++)
        if (seg[i].end > a.n + p->hop) {
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s:%d: the segment ends at sample %ld but %s has %ld samples "
                            "(truncated audio?)",
                            u->phn, seg[i].line, seg[i].end, u->wav, a.n);
            break;
        }
    long nf = lsnn_mfcc_frames(m, a.n);
    int C = lsnn_mfcc_channels(m);
    double *x = NULL;
    int32_t *y = NULL;
    if (!st) {
        x = malloc(sizeof(double) * (size_t)nf * C);
        y = malloc(sizeof(int32_t) * (size_t)nf);
        if (!x || !y)
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", u->wav);
    }
    if (!st && (st = lsnn_mfcc_compute(m, a.samples, a.n, x)))
        lsnn_error_prefix(u->wav);
    if (!st)
        lsnn_timit_frame_labels(seg, nseg, nf, p->hop, p->frame_len, y);
    lsnn_audio_free(&a);
    free(seg);
    if (st) {
        free(x);
        free(y);
        return st;
    }
    *feat = x;
    *labels = y;
    *frames = nf;
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Feature cache
 * ------------------------------------------------------------------------------------------- */

lsnn_status lsnn_speech_path(const char *dir, int split, char *buf, size_t cap)
{
    if (split < 0 || split >= LSNN_SPLITS)
        return lsnn_error(LSNN_ERR_ARG, "speech cache: no split %d", split);
    size_t l = strlen(dir);
    int w = snprintf(buf, cap, "%s%s%s.safetensors", dir, l && dir[l - 1] == '/' ? "" : "/",
                     lsnn_split_name(split));
    if (w < 0 || (size_t)w >= cap)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", dir);
    return LSNN_OK;
}

/* One split being built: raw features as float, then standardised in place. */
typedef struct lsnn__acc {
    float *x;
    int32_t *y;
    int64_t *off;
    long frames, cap;
    int n_utt;
} lsnn__acc;

static void lsnn__acc_free(lsnn__acc *a)
{
    free(a->x);
    free(a->y);
    free(a->off);
    memset(a, 0, sizeof *a);
}

static int lsnn__acc_add(lsnn__acc *a, const double *x, const int32_t *y, long nf, int C)
{
    if (a->frames + nf > a->cap) {
        long nc = a->cap ? a->cap : 4096;
        while (nc < a->frames + nf)
            nc *= 2;
        float *nx = realloc(a->x, sizeof(float) * (size_t)nc * C);
        if (!nx)
            return -1;
        a->x = nx;
        int32_t *ny = realloc(a->y, sizeof(int32_t) * (size_t)nc);
        if (!ny)
            return -1;
        a->y = ny;
        a->cap = nc;
    }
    for (long i = 0; i < nf * C; i++)
        a->x[(size_t)a->frames * C + i] = (float)x[i];
    memcpy(a->y + a->frames, y, sizeof(int32_t) * (size_t)nf);
    a->frames += nf;
    a->off[++a->n_utt] = a->frames;
    return 0;
}

static lsnn_status lsnn__write_split(const char *path, int split, const lsnn__acc *a, int C,
                                     const double *mean, const double *std,
                                     const lsnn_timit_corpus *corpus, int first,
                                     const char *corpus_dir, lsnn_timit_mode mode,
                                     const lsnn_mfcc_params *p)
{
    lsnn_st_tensor t[5];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "features");
    t[0].dtype = LSNN_DTYPE_F32;
    t[0].ndim = 2;
    t[0].shape[0] = a->frames;
    t[0].shape[1] = C;
    t[0].data = a->x;
    t[0].nbytes = sizeof(float) * (size_t)a->frames * C;
    snprintf(t[1].name, sizeof t[1].name, "labels");
    t[1].dtype = LSNN_DTYPE_I32;
    t[1].ndim = 1;
    t[1].shape[0] = a->frames;
    t[1].data = a->y;
    t[1].nbytes = sizeof(int32_t) * (size_t)a->frames;
    snprintf(t[2].name, sizeof t[2].name, "offsets");
    t[2].dtype = LSNN_DTYPE_I64;
    t[2].ndim = 1;
    t[2].shape[0] = a->n_utt + 1;
    t[2].data = a->off;
    t[2].nbytes = sizeof(int64_t) * (size_t)(a->n_utt + 1);
    for (int k = 0; k < 2; k++) {
        lsnn_st_tensor *s = &t[3 + k];
        snprintf(s->name, sizeof s->name, "%s", k ? "std" : "mean");
        s->dtype = LSNN_DTYPE_F64;
        s->ndim = 1;
        s->shape[0] = C;
        s->data = k ? std : mean;
        s->nbytes = sizeof(double) * (size_t)C;
    }
    /* Sentence IDs, one per line. */
    size_t idlen = 1;
    for (int i = 0; i < a->n_utt; i++)
        idlen += strlen(corpus->utt[first + i].id) + 1;
    char *ids = malloc(idlen);
    size_t phl = 1;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        phl += strlen(lsnn__phones[i]) + 1;
    char *phones = malloc(phl);
    if (!ids || !phones) {
        free(ids);
        free(phones);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t pos = 0;
    for (int i = 0; i < a->n_utt; i++)
        pos += (size_t)sprintf(ids + pos, "%s%s", i ? "\n" : "", corpus->utt[first + i].id);
    ids[pos] = 0;
    pos = 0;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        pos += (size_t)sprintf(phones + pos, "%s%s", i ? " " : "", lsnn__phones[i]);
    phones[pos] = 0;
    char n_utt[24], frames[24], chans[24], coeffs[32], mfcc[512];
    snprintf(n_utt, sizeof n_utt, "%d", a->n_utt);
    snprintf(frames, sizeof frames, "%ld", a->frames);
    snprintf(chans, sizeof chans, "%d", C);
    snprintf(coeffs, sizeof coeffs, "%d-%d", p->first_coeff, p->first_coeff + p->n_coeffs - 1);
    snprintf(mfcc, sizeof mfcc,
             "{\"sample_rate\":%d,\"frame_len\":%d,\"hop\":%d,\"n_fft\":%d,\"n_mels\":%d,"
             "\"f_low\":%.17g,\"f_high\":%.17g,\"preemph\":%.17g,\"window_a0\":%.17g,"
             "\"log_floor\":%.17g,\"first_coeff\":%d,\"n_coeffs\":%d,\"delta_n\":%d}",
             p->sample_rate, p->frame_len, p->hop, p->n_fft, p->n_mels, p->f_low, p->f_high,
             p->preemph, p->window_a0, p->log_floor, p->first_coeff, p->n_coeffs, p->delta_n);
    const lsnn_st_meta meta[] = {
        {"format", LSNN_SPEECH_FORMAT},
        {"split", lsnn_split_name(split)},
        {"mode", lsnn_timit_mode_name(mode)},
        {"corpus", corpus_dir},
        {"sentences", n_utt},
        {"frames", frames},
        {"channels", chans},
        {"coeffs", coeffs},
        {"mfcc", mfcc},
        {"phones", phones},
        {"ids", ids},
    };
    lsnn_status st = lsnn_st_write(path, t, 5, meta, (int)(sizeof meta / sizeof meta[0]));
    free(ids);
    free(phones);
    return st;
}

lsnn_status lsnn_timit_build_cache(const char *corpus_dir, const char *out_dir,
                                   lsnn_timit_mode mode, const lsnn_mfcc_params *params,
                                   lsnn_timit_progress_fn progress, void *ctx,
                                   lsnn_speech_summary *summary)
{
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (!corpus_dir || !out_dir || !params)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_timit_build_cache: NULL argument");
    lsnn_status st = lsnn_mfcc_check(params);
    if (st)
        return st;
    char path[LSNN_SPLITS][4096];
    for (int s = 0; s < LSNN_SPLITS; s++)
        if ((st = lsnn_speech_path(out_dir, s, path[s], sizeof path[s])))
            return st;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create directory: %s", out_dir,
                          strerror(errno));
    if (!lsnn__is_dir(out_dir))
        return lsnn_error(LSNN_ERR_IO, "%s: not a directory", out_dir);
    lsnn_timit_corpus corpus;
    if ((st = lsnn_timit_scan(corpus_dir, mode, &corpus)))
        return st;
    lsnn_mfcc *m = lsnn_mfcc_create(params, &st);
    if (!m) {
        lsnn_timit_corpus_free(&corpus);
        return st;
    }
    const int C = lsnn_mfcc_channels(m);
    lsnn__acc acc[LSNN_SPLITS];
    memset(acc, 0, sizeof acc);
    lsnn_feat_stats stats;
    lsnn_feat_stats_init(&stats, C);
    int first[LSNN_SPLITS] = {0};
    for (int s = 1; s < LSNN_SPLITS; s++)
        first[s] = first[s - 1] + corpus.count[s - 1];
    for (int s = 0; s < LSNN_SPLITS && !st; s++) {
        acc[s].off = calloc((size_t)corpus.count[s] + 1, sizeof(int64_t));
        if (!acc[s].off) {
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", out_dir);
            break;
        }
        for (int i = 0; i < corpus.count[s] && !st; i++) {
            const lsnn_timit_utt *u = &corpus.utt[first[s] + i];
            double *x;
            int32_t *y;
            long nf;
            if ((st = lsnn_timit_utterance(u, m, &x, &y, &nf)))
                break;
            /* Statistics from the training split only, in double, before rounding to float. */
            if (s == LSNN_SPLIT_TRAIN)
                lsnn_feat_stats_add(&stats, x, nf);
            if (summary && nf > summary->longest[s])
                summary->longest[s] = nf;
            if (lsnn__acc_add(&acc[s], x, y, nf, C))
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for the features", out_dir);
            free(x);
            free(y);
            if (progress)
                progress(ctx, s, i + 1, corpus.count[s]);
        }
    }
    double mean[LSNN_MFCC_MAX_CHANNELS], std[LSNN_MFCC_MAX_CHANNELS];
    if (!st) {
        memcpy(mean, stats.mean, sizeof(double) * (size_t)C);
        lsnn_feat_stats_std(&stats, std);
        for (int s = 0; s < LSNN_SPLITS; s++)
            for (long f = 0; f < acc[s].frames; f++)
                for (int c = 0; c < C; c++) {
                    float *v = &acc[s].x[(size_t)f * C + c];
                    *v = (float)((*v - mean[c]) / std[c]);
                }
        /* Training last: a reader that finds train.safetensors knows the others were written
         * by the same run or an earlier one, and lsnn_speech_load's statistics check tells. */
        for (int s = LSNN_SPLITS - 1; s >= 0 && !st; s--)
            st = lsnn__write_split(path[s], s, &acc[s], C, mean, std, &corpus, first[s],
                                   corpus_dir, mode, params);
    }
    if (summary)
        for (int s = 0; s < LSNN_SPLITS; s++) {
            summary->sentences[s] = acc[s].n_utt;
            summary->frames[s] = acc[s].frames;
        }
    for (int s = 0; s < LSNN_SPLITS; s++)
        lsnn__acc_free(&acc[s]);
    lsnn_mfcc_free(m);
    lsnn_timit_corpus_free(&corpus);
    return st;
}

void lsnn_speech_free(lsnn_speech_split *s)
{
    if (!s)
        return;
    free(s->features);
    free(s->labels);
    free(s->offsets);
    free(s->mean);
    free(s->std);
    memset(s, 0, sizeof *s);
}

/* The tensor `name` of f, checked to have dtype dt and ndim dimensions. */
static const lsnn_st_tensor *lsnn__tensor(const lsnn_st_file *f, const char *path,
                                          const char *name, lsnn_dtype dt, int ndim,
                                          lsnn_status *st)
{
    const lsnn_st_tensor *t = lsnn_st_find(f, name);
    if (!t)
        *st = lsnn_error(LSNN_ERR_FORMAT, "%s: no tensor '%s' (not a feature file of "
                         "lsnn data timit?)", path, name);
    else if (t->dtype != dt || t->ndim != ndim)
        *st = lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%s': expected %d-D %s, found %d-D %s",
                         path, name, ndim, lsnn_dtype_name(dt), t->ndim,
                         lsnn_dtype_name(t->dtype));
    else
        return t;
    return NULL;
}

lsnn_status lsnn_speech_load(const char *dir, int split, lsnn_speech_split *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    lsnn_status st = lsnn_speech_path(dir, split, path, sizeof path);
    if (st)
        return st;
    lsnn_st_file *f = lsnn_st_open(path, 0, &st);
    if (!f)
        return st;
    const char *fmt = lsnn_st_meta_get(f, "format");
    const char *sp = lsnn_st_meta_get(f, "split");
    const lsnn_st_tensor *tx = NULL, *ty = NULL, *to = NULL, *tm = NULL, *ts = NULL;
    if (!fmt || strcmp(fmt, LSNN_SPEECH_FORMAT) != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata format is '%s', expected '%s'", path,
                        fmt ? fmt : "(missing)", LSNN_SPEECH_FORMAT);
    else if (!sp || strcmp(sp, lsnn_split_name(split)) != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: metadata split is '%s', expected '%s'", path,
                        sp ? sp : "(missing)", lsnn_split_name(split));
    if (!st)
        tx = lsnn__tensor(f, path, "features", LSNN_DTYPE_F32, 2, &st);
    if (!st)
        ty = lsnn__tensor(f, path, "labels", LSNN_DTYPE_I32, 1, &st);
    if (!st)
        to = lsnn__tensor(f, path, "offsets", LSNN_DTYPE_I64, 1, &st);
    if (!st)
        tm = lsnn__tensor(f, path, "mean", LSNN_DTYPE_F64, 1, &st);
    if (!st)
        ts = lsnn__tensor(f, path, "std", LSNN_DTYPE_F64, 1, &st);
    if (!st) {
        int64_t F = tx->shape[0], C = tx->shape[1], U = to->shape[0] - 1;
        if (C < 1 || C > LSNN_MFCC_MAX_CHANNELS || F < 1 || F > (int64_t)1 << 31 || U < 1 ||
            U > (int64_t)1 << 30)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: features [%lld, %lld] and %lld sentences are out of range", path,
                            (long long)F, (long long)C, (long long)U);
        else if (ty->shape[0] != F || tm->shape[0] != C || ts->shape[0] != C)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: labels (%lld), mean (%lld) and std (%lld) do not match "
                            "features [%lld, %lld]",
                            path, (long long)ty->shape[0], (long long)tm->shape[0],
                            (long long)ts->shape[0], (long long)F, (long long)C);
        if (!st) {
            out->split = split;
            out->n_frames = (long)F;
            out->channels = (int)C;
            out->n_utt = (int)U;
            out->features = malloc(tx->nbytes);
            out->labels = malloc(ty->nbytes);
            out->offsets = malloc(to->nbytes);
            out->mean = malloc(tm->nbytes);
            out->std = malloc(ts->nbytes);
            if (!out->features || !out->labels || !out->offsets || !out->mean || !out->std)
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        }
        /* Copies (memcpy): the tensors inside the file buffer need not be aligned. */
        if (!st)
            memcpy(out->features, tx->data, tx->nbytes);
        if (!st) {
            memcpy(out->labels, ty->data, ty->nbytes);
            memcpy(out->offsets, to->data, to->nbytes);
            memcpy(out->mean, tm->data, tm->nbytes);
            memcpy(out->std, ts->data, ts->nbytes);
        }
    }
    lsnn_st_close(f);
    if (!st && out->offsets[0] != 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: offsets[0] is %lld, expected 0", path,
                        (long long)out->offsets[0]);
    for (int i = 0; !st && i < out->n_utt; i++)
        if (out->offsets[i + 1] <= out->offsets[i] || out->offsets[i + 1] > out->n_frames)
            st = lsnn_error(LSNN_ERR_FORMAT,
                            "%s: offsets[%d] = %lld: sentences must have >= 1 frame and end by "
                            "frame %ld",
                            path, i + 1, (long long)out->offsets[i + 1], out->n_frames);
    if (!st && out->offsets[out->n_utt] != out->n_frames)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: the last offset is %lld, expected %ld frames", path,
                        (long long)out->offsets[out->n_utt], out->n_frames);
    for (long i = 0; !st && i < out->n_frames; i++)
        if (out->labels[i] < 0 || out->labels[i] >= LSNN_TIMIT_PHONES)
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: labels[%ld] = %d is not a phone index 0..%d",
                            path, i, (int)out->labels[i], LSNN_TIMIT_PHONES - 1);
    for (int c = 0; !st && c < out->channels; c++)
        if (!isfinite(out->mean[c]) || !(out->std[c] > 0) || !isfinite(out->std[c]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: channel %d: mean %g, std %g (std must be > 0)",
                            path, c, out->mean[c], out->std[c]);
    for (size_t i = 0; !st && i < (size_t)out->n_frames * out->channels; i++)
        if (!isfinite(out->features[i]))
            st = lsnn_error(LSNN_ERR_FORMAT, "%s: features: non-finite value at frame %zu", path,
                            i / (size_t)out->channels);
    if (st)
        lsnn_speech_free(out);
    return st;
}

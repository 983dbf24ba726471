/* Speech corpora in TIMIT layout: finding and splitting the sentences, .PHN files and frame
 * labels, the features of one sentence (see lsnn/timit.h; the phone table is in timit_phones.c,
 * the feature cache in timit_cache.c). */
#include "lsnn/timit.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "io/fs.h"
#include "lsnn/audio.h"
#include "lsnn/safetensors.h"

/* ---------------------------------------------------------------------------------------------
 * Reference lists (../shared/data/timit/, copied here so the library needs nothing at run time)
 * ------------------------------------------------------------------------------------------- */

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
        if (strcasecmp(ns->v[i], name) == 0)
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
        if (len <= 4 || strcasecmp(name + len - 4, ".phn") != 0)
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
        it->u.phn = lsnn__path_join_alloc(spk_dir, name);
        it->u.wav = lsnn__path_join_alloc(spk_dir, audio);
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
        char *rdir = lsnn__path_join_alloc(top_dir, regions.v[r]);
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
            char *sdir = lsnn__path_join_alloc(rdir, spk.v[s]);
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
    char *path = lsnn__path_join_alloc(dir, name);
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
        char *path = name ? lsnn__path_join_alloc(dir, name) : NULL;
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

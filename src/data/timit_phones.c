/* The 61 TIMIT phone labels, corpus modes and split names (see lsnn/timit.h). The one copy of
 * the phone table (../shared/data/timit/phones61.txt): the corpus reader, the feature cache and
 * the speech synthesiser (src/data/synth*.c) all look labels up here. */
#include <string.h>
#include <strings.h>

#include "lsnn/timit.h"

/* The 61 TIMIT labels, in the order of phones61.txt: phoncode.doc's groups (stops, affricates,
 * fricatives, nasals, semivowels and glides, vowels, others), then the six stop closures. */
static const char *const lsnn__phones[LSNN_TIMIT_PHONES] = {
    "b",   "d",  "g",  "p",   "t",  "k",   "dx", "q",   "jh",  "ch",  "s",   "sh",  "z",
    "zh",  "f",  "th", "v",   "dh", "m",   "n",  "ng",  "em",  "en",  "eng", "nx",  "l",
    "r",   "w",  "y",  "hh",  "hv", "el",  "iy", "ih",  "eh",  "ey",  "ae",  "aa",  "aw",
    "ay",  "ah", "ao", "oy",  "ow", "uh",  "uw", "ux",  "er",  "ax",  "ix",  "axr", "ax-h",
    "pau", "epi", "h#", "bcl", "dcl", "gcl", "pcl", "tcl", "kcl",
};

const char *lsnn_timit_phone(int i)
{
    return i >= 0 && i < LSNN_TIMIT_PHONES ? lsnn__phones[i] : NULL;
}

int lsnn_timit_phone_index(const char *label)
{
    if (!label)
        return -1;
    for (int i = 0; i < LSNN_TIMIT_PHONES; i++)
        if (strcasecmp(label, lsnn__phones[i]) == 0)
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

/* run/config_internal.h - the config key table shared by the files of the config map
 * (config_table.c: the table; config.c: parsing, overrides, validation; config_json.c:
 * serialisation and docs/CONFIG.md). Not part of the public API. */
#ifndef LSNN_RUN_CONFIG_INTERNAL_H
#define LSNN_RUN_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lsnn/config.h"

typedef enum cfg_type {
    CT_INT,    /* int */
    CT_BOOL,   /* int holding 0 or 1; JSON true/false (0/1 accepted) */
    CT_DOUBLE, /* double, always finite */
    CT_STRING, /* char[LSNN_NAME_MAX], one of `choices`; or char[LSNN_PATH_MAX], any text, when
                * choices is NULL (F_PATH) */
    CT_U64,    /* unsigned long long (the seed) */
    CT_JSON    /* char[LSNN_JSON_MAX]: a JSON list kept as compact text ("" = empty); its
                * entries are checked where they are used (network.populations: config_map.c) */
} cfg_type;

/* Range flags: which bounds apply and whether they are exclusive. */
enum {
    R_MIN = 1u << 0,
    R_MIN_EXCL = 1u << 1,
    R_MAX = 1u << 2,
    R_MAX_EXCL = 1u << 3,
    R_NAMES = 1u << 4, /* a free-text string field that holds names joined by '+', not a path */
};
#define R_GT0 (R_MIN | R_MIN_EXCL) /* > min  (min = 0 in the table) */
#define R_GE (R_MIN)               /* >= min */
#define R_IN (R_MIN | R_MAX)       /* min <= x <= max */

typedef struct cfg_field {
    const char *key; /* dotted JSON path; at most one level of nesting */
    cfg_type type;
    size_t offset;       /* offsetof(lsnn_config, ...) */
    double def;          /* default of numeric and boolean fields */
    const char *def_str; /* default of string fields */
    unsigned range;      /* R_* flags */
    double min, max;
    const char *choices; /* string fields: allowed values separated by '|' */
    void (*choices_fn)(char *buf, size_t cap); /* or: a registry lists them (lsnn/config_map.h) */
    const char *doc;     /* one line, no '|' (it goes into a Markdown table) */
} cfg_field;


#define MAX_NEURONS 1000000
#define MAX_SEQ_STEPS 10000000LL /* n_symbols * symbol_ms */

extern const cfg_field lsnn__cfg_fields[];
extern const size_t lsnn__cfg_n_fields;
#define fields lsnn__cfg_fields
#define N_FIELDS lsnn__cfg_n_fields

typedef struct cfg_section {
    const char *name;
    const char *doc;
} cfg_section;
extern const cfg_section lsnn__cfg_sections[];
extern const size_t lsnn__cfg_n_sections;
#define sections lsnn__cfg_sections
#define N_SECTIONS lsnn__cfg_n_sections
/* Sections left out of the serialised JSON while every key of theirs holds its default (so that
 * adding them left the saved configs of the other tasks byte for byte as they were); NULL-ended. */
extern const char *const lsnn__cfg_omit_default_sections[];

/* Constraints between keys, documented in docs/CONFIG.md (checked by lsnn_config_validate). */
extern const char *const lsnn__cfg_cross_docs[];
extern const size_t lsnn__cfg_n_cross_docs;
#define cross_docs lsnn__cfg_cross_docs

/* Checks one key's value: type, range, choices (config.c). */
lsnn_status lsnn__cfg_check_field(const lsnn_config *cfg, const cfg_field *f, const char *origin);

/* Helpers shared by config.c and config_json.c. */
/* Length of the section part of a dotted key ("network.tau_m" -> 7; a top-level key -> 0). */
static inline size_t section_len(const char *key)
{
    const char *dot = strchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}
/* Capacity of a string field: names (with choices) or free-form paths. */
static inline size_t str_cap(const cfg_field *f)
{
    if (f->type == CT_JSON)
        return LSNN_JSON_MAX;
    return f->choices || f->choices_fn ? LSNN_NAME_MAX : LSNN_PATH_MAX;
}
/* The allowed values of a string field ('|'-separated; NULL for free text), written into buf
 * when a registry provides them. */
static inline const char *cfg_choices(const cfg_field *f, char *buf, size_t cap)
{
    if (!f->choices_fn)
        return f->choices;
    f->choices_fn(buf, cap);
    return buf;
}
const void *lsnn__cfg_field_cptr(const lsnn_config *c, const cfg_field *f);
void lsnn__cfg_fmt_double(char *buf, size_t n, double v);
void lsnn__cfg_describe_range(const cfg_field *f, char *buf, size_t n);
bool lsnn__cfg_field_in_section(const cfg_field *f, const char *section);
void lsnn__cfg_describe_choices(const char *choices, const char *quote, char *buf, size_t n);

#endif

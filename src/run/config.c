/* Experiment configuration (see lsnn/config.h).
 *
 * One static table (`fields`) describes every key: dotted name, type, location in lsnn_config,
 * default, allowed range or values, and a one-line description. Defaults, JSON parsing, --set
 * overrides, validation, serialisation and the Markdown reference (docs/CONFIG.md) are all driven
 * by it; adding a key means adding one line to the table (and regenerating docs/CONFIG.md, which
 * tests/test_config.c enforces). */
#include "lsnn/config.h"

#include "run/config_doc.h"
#include "run/config_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static const char *origin_or_default(const char *origin)
{
    return origin ? origin : "config";
}

/* Length of the section part of a dotted key ("network.tau_m" -> 7, "lr" -> 0). */
bool lsnn__cfg_field_in_section(const cfg_field *f, const char *section)
{
    size_t n = section_len(f->key);
    return n == strlen(section) && strncmp(f->key, section, n) == 0;
}

static const cfg_field *find_field(const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

static const char *find_section(const char *name)
{
    for (size_t i = 1; i < N_SECTIONS; i++)
        if (strcmp(sections[i].name, name) == 0)
            return sections[i].name;
    return NULL;
}

static void *field_ptr(lsnn_config *c, const cfg_field *f)
{
    return (char *)c + f->offset;
}

const void *lsnn__cfg_field_cptr(const lsnn_config *c, const cfg_field *f)
{
    return (const char *)c + f->offset;
}

/* Copies s for display in a message: control characters become '?', long text ends in "...". */
static void show(char *dst, size_t n, const char *s)
{
    size_t i = 0, j = 0;
    for (; s[i] && j + 1 < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[j++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[j] = '\0';
    if (s[i] && n >= 4)
        memcpy(dst + n - 4, "...", 4);
}

/* Shortest "%.*g" text that reads back as exactly v (so serialised configs round-trip);
 * integral values without an exponent. */
void lsnn__cfg_fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) { /* integral: no exponent ("1000000", not "1e+06") */
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* How a rejected value is shown: the --set text verbatim, else its JSON kind (numbers by value). */
static const char *describe_got(char *buf, size_t n, const cJSON *v, const char *raw)
{
    if (raw) {
        char s[48];
        show(s, sizeof s, raw);
        snprintf(buf, n, "'%s'", s);
        return buf;
    }
    if (cJSON_IsNumber(v)) {
        lsnn__cfg_fmt_double(buf, n, v->valuedouble);
        return buf;
    }
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsTrue(v))
        return "true";
    if (cJSON_IsFalse(v))
        return "false";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

static bool in_range(const cfg_field *f, double v)
{
    if (f->range & R_MIN) {
        if ((f->range & R_MIN_EXCL) ? !(v > f->min) : !(v >= f->min))
            return false;
    }
    if (f->range & R_MAX) {
        if ((f->range & R_MAX_EXCL) ? !(v < f->max) : !(v <= f->max))
            return false;
    }
    return true;
}

/* "> 0", ">= 1", "between 1 and 64", "in (0, 1]", or "" when unbounded. */
void lsnn__cfg_describe_range(const cfg_field *f, char *buf, size_t n)
{
    char lo[32], hi[32];
    lsnn__cfg_fmt_double(lo, sizeof lo, f->min);
    lsnn__cfg_fmt_double(hi, sizeof hi, f->max);
    bool has_lo = f->range & R_MIN, has_hi = f->range & R_MAX;
    bool lo_ex = f->range & R_MIN_EXCL, hi_ex = f->range & R_MAX_EXCL;
    if (has_lo && has_hi) {
        if (!lo_ex && !hi_ex)
            snprintf(buf, n, "between %s and %s", lo, hi);
        else
            snprintf(buf, n, "in %c%s, %s%c", lo_ex ? '(' : '[', lo, hi, hi_ex ? ')' : ']');
    } else if (has_lo) {
        snprintf(buf, n, "%s %s", lo_ex ? ">" : ">=", lo);
    } else if (has_hi) {
        snprintf(buf, n, "%s %s", hi_ex ? "<" : "<=", hi);
    } else {
        buf[0] = '\0';
    }
}

/* "adam|sgd" -> "adam, sgd" (with each item wrapped in `quote` on both sides). */
void lsnn__cfg_describe_choices(const char *choices, const char *quote, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const char *p = choices; *p;) {
        size_t w = strcspn(p, "|");
        int k =
            snprintf(buf + len, n - len, "%s%s%.*s%s", len ? ", " : "", quote, (int)w, p, quote);
        if (k < 0 || (size_t)k >= n - len)
            return;
        len += (size_t)k;
        p += w;
        if (*p == '|')
            p++;
    }
}

static bool is_choice(const char *choices, const char *s)
{
    if (!choices)
        return true; /* free-form (paths) */
    size_t n = strlen(s);
    for (const char *p = choices; *p;) {
        size_t w = strcspn(p, "|");
        if (w == n && strncmp(p, s, n) == 0)
            return true;
        p += w;
        if (*p == '|')
            p++;
    }
    return false;
}

/* Levenshtein distance of two short strings (SIZE_MAX when either is too long to bother). */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXL = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXL || lb > MAXL)
        return (size_t)-1;
    size_t row[MAXL + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Error for an unknown dotted key, with a "did you mean" hint for a key one or two edits away. */
static lsnn_status unknown_key(const char *origin, const char *key)
{
    char shown[80];
    show(shown, sizeof shown, key);
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < N_FIELDS; i++) {
        size_t d = edit_distance(key, fields[i].key);
        if (d < best_d) {
            best_d = d;
            best = fields[i].key;
        }
    }
    for (size_t i = 1; i < N_SECTIONS; i++) {
        size_t d = edit_distance(key, sections[i].name);
        if (d < best_d) {
            best_d = d;
            best = sections[i].name;
        }
    }
    if (best)
        return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: unknown key (did you mean %s?)", origin, shown,
                          best);
    return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: unknown key", origin, shown);
}

/* ---------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------- */

void lsnn_config_defaults(lsnn_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const cfg_field *f = &fields[i];
        void *p = field_ptr(cfg, f);
        switch (f->type) {
        case CT_INT:
        case CT_BOOL:
            *(int *)p = (int)f->def;
            break;
        case CT_DOUBLE:
            *(double *)p = f->def;
            break;
        case CT_U64:
            *(unsigned long long *)p = (unsigned long long)f->def;
            break;
        case CT_STRING:
            snprintf((char *)p, str_cap(f), "%s", f->def_str);
            break;
        case CT_JSON:
            *(char *)p = 0;
            break;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Setting one value (from JSON, or from --set text)
 * ------------------------------------------------------------------------------------------- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Stores value v (NULL: `raw` is not JSON) into field f of c. `raw` is the --set text, or NULL
 * when the value comes from a JSON document. Type checks only; ranges are checked by validate. */
static lsnn_status apply_value(lsnn_config *c, const cfg_field *f, const cJSON *v, const char *raw,
                               const char *origin)
{
    char got[64];
    void *p = field_ptr(c, f);
    switch (f->type) {
    case CT_INT: {
        if (!cJSON_IsNumber(v))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an integer, got %s", origin,
                              f->key, describe_got(got, sizeof got, v, raw));
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an integer, got %s", origin,
                              f->key, describe_got(got, sizeof got, v, raw));
        if (d < (double)INT_MIN || d > (double)INT_MAX) {
            /* The bounds: the key's own range within int's. */
            double lo = INT_MIN, hi = INT_MAX;
            if ((f->range & R_MIN) && f->min > lo)
                lo = (f->range & R_MIN_EXCL) ? floor(f->min) + 1 : ceil(f->min);
            if ((f->range & R_MAX) && f->max < hi)
                hi = (f->range & R_MAX_EXCL) ? ceil(f->max) - 1 : floor(f->max);
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: expected an integer between %.0f and %.0f, got %s", origin,
                              f->key, lo, hi, describe_got(got, sizeof got, v, raw));
        }
        *(int *)p = (int)d;
        return LSNN_OK;
    }
    case CT_BOOL:
        if (cJSON_IsBool(v)) {
            *(int *)p = cJSON_IsTrue(v) ? 1 : 0;
            return LSNN_OK;
        }
        if (cJSON_IsNumber(v) && (v->valuedouble == 0.0 || v->valuedouble == 1.0)) {
            *(int *)p = v->valuedouble == 1.0;
            return LSNN_OK;
        }
        return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected true or false (or 1 or 0), got %s",
                          origin, f->key, describe_got(got, sizeof got, v, raw));
    case CT_DOUBLE:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected a%s number, got %s", origin,
                              f->key, (raw || cJSON_IsNumber(v)) ? " finite" : "",
                              describe_got(got, sizeof got, v, raw));
        *(double *)p = v->valuedouble;
        return LSNN_OK;
    case CT_U64: {
        const char *digits = NULL;
        if (raw && all_digits(raw))
            digits = raw; /* exact, even above 2^53 */
        else if (cJSON_IsString(v))
            digits = v->valuestring;
        if (digits) {
            char *end = NULL;
            errno = 0;
            unsigned long long u = strtoull(digits, &end, 10);
            if (!all_digits(digits) || errno == ERANGE || *end)
                return lsnn_error(LSNN_ERR_CONFIG,
                                  "%s: %s: expected an integer between 0 and %llu, got %s", origin,
                                  f->key, ULLONG_MAX, describe_got(got, sizeof got, v, raw));
            *(unsigned long long *)p = u;
            return LSNN_OK;
        }
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
            v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: expected an integer between 0 and %llu, got %s", origin,
                              f->key, ULLONG_MAX, describe_got(got, sizeof got, v, raw));
        if (v->valuedouble > 9007199254740992.0) /* 2^53: beyond, JSON numbers lose digits */
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: integers above 2^53 must be given as a string of digits "
                              "(e.g. \"18446744073709551615\"), got %s",
                              origin, f->key, describe_got(got, sizeof got, v, raw));
        *(unsigned long long *)p = (unsigned long long)v->valuedouble;
        return LSNN_OK;
    }
    case CT_STRING: {
        const char *s;
        if (cJSON_IsString(v))
            s = v->valuestring;
        else if (raw)
            s = raw; /* --set task=store_recall: a bare word */
        else
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected a string, got %s", origin, f->key,
                              describe_got(got, sizeof got, v, raw));
        size_t n = strlen(s);
        if (n >= str_cap(f)) {
            char shown[48];
            show(shown, sizeof shown, s);
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: string too long (at most %d characters): '%s'", origin,
                              f->key, (int)str_cap(f) - 1, shown);
        }
        memset(p, 0, str_cap(f));
        memcpy(p, s, n);
        return LSNN_OK;
    }
    case CT_JSON: {
        if (cJSON_IsNull(v) || (cJSON_IsArray(v) && !v->child)) {
            *(char *)p = 0;
            return LSNN_OK;
        }
        if (!cJSON_IsArray(v))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected a list, got %s", origin, f->key,
                              describe_got(got, sizeof got, v, raw));
        char *text = cJSON_PrintUnformatted(v);
        if (!text)
            return lsnn_error(LSNN_ERR_NOMEM, "%s: %s: out of memory", origin, f->key);
        size_t n = strlen(text);
        if (n >= str_cap(f)) {
            free(text);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: the list is too long (%zu characters "
                                               "written compactly, at most %d)",
                              origin, f->key, n, (int)str_cap(f) - 1);
        }
        memcpy(p, text, n + 1);
        free(text);
        return LSNN_OK;
    }
    }
    return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: internal error (bad field type)", origin, f->key);
}

/* Applies every member of a JSON object; `section` is NULL at the top level. */
static lsnn_status apply_object(lsnn_config *c, const cJSON *obj, const char *section,
                                const char *origin)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        char key[128];
        int k = section ? snprintf(key, sizeof key, "%s.%s", section, name)
                        : snprintf(key, sizeof key, "%s", name);
        bool truncated = k < 0 || (size_t)k >= sizeof key;

        for (const cJSON *prev = obj->child; prev != it; prev = prev->next) {
            if (prev->string && strcmp(prev->string, name) == 0) {
                char shown[80];
                show(shown, sizeof shown, key);
                return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: duplicate key", origin, shown);
            }
        }

        const cfg_field *f = truncated ? NULL : find_field(key);
        if (f) {
            lsnn_status st = apply_value(c, f, it, NULL, origin);
            if (st != LSNN_OK)
                return st;
            continue;
        }
        const char *sec = (!section && !truncated) ? find_section(name) : NULL;
        if (sec) {
            if (!cJSON_IsObject(it)) {
                char got[64];
                return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: expected an object, got %s", origin,
                                  sec, describe_got(got, sizeof got, it, NULL));
            }
            lsnn_status st = apply_object(c, it, sec, origin);
            if (st != LSNN_OK)
                return st;
            continue;
        }
        return unknown_key(origin, key);
    }
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------------------------- */

/* Whether text holds the escape \u0000 (a backslash not itself escaped, then u0000). cJSON
 * decodes it into a NUL byte and hands out C strings, which would silently end there. */
static int has_nul_escape(const char *text)
{
    for (const char *q = strstr(text, "u0000"); q; q = strstr(q + 1, "u0000")) {
        size_t bs = 0;
        while (q - bs > text && q[-(ptrdiff_t)bs - 1] == '\\')
            bs++;
        if (bs % 2 == 1)
            return 1;
    }
    return 0;
}

lsnn_status lsnn_config_parse(lsnn_config *cfg, const char *json_text, const char *origin)
{
    origin = origin_or_default(origin);
    if (!cfg || !json_text)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_parse: NULL argument", origin);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json_text, &end, 1);
    if (root && has_nul_escape(json_text)) {
        cJSON_Delete(root);
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: a key or string holds the escape \\u0000 (a NUL character), "
                          "which configs cannot contain",
                          origin);
    }
    if (!root) {
        if (!end)
            end = cJSON_GetErrorPtr();
        size_t len = strlen(json_text);
        if (!end || end < json_text || end > json_text + len)
            return lsnn_error(LSNN_ERR_CONFIG, "%s: JSON syntax error (or out of memory)", origin);
        size_t pos = (size_t)(end - json_text);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (json_text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (pos >= len)
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: JSON syntax error at line %zu, column %zu (byte %zu): "
                              "unexpected end of input",
                              origin, line, col, pos);
        char near[24];
        size_t w = strcspn(end, "\r\n");
        char piece[24];
        snprintf(piece, sizeof piece, "%.*s", (int)(w < sizeof piece - 1 ? w : sizeof piece - 1),
                 end);
        show(near, sizeof near, piece);
        return lsnn_error(LSNN_ERR_CONFIG,
                          "%s: JSON syntax error at line %zu, column %zu (byte %zu), near '%s'",
                          origin, line, col, pos, near);
    }
    if (!cJSON_IsObject(root)) {
        char got[64];
        lsnn_status st =
            lsnn_error(LSNN_ERR_CONFIG, "%s: the top level must be a JSON object, got %s", origin,
                       describe_got(got, sizeof got, root, NULL));
        cJSON_Delete(root);
        return st;
    }

    lsnn_config tmp = *cfg;
    lsnn_status st = apply_object(&tmp, root, NULL, origin);
    cJSON_Delete(root);
    if (st != LSNN_OK)
        return st;
    st = lsnn_config_validate(&tmp, origin);
    if (st != LSNN_OK)
        return st;
    *cfg = tmp;
    return LSNN_OK;
}

#define CONFIG_MAX_BYTES (1024 * 1024)

lsnn_status lsnn_config_load(lsnn_config *cfg, const char *path)
{
    if (!cfg || !path)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_config_load: NULL argument");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open config file: %s", path, strerror(errno));
    char *buf = malloc(CONFIG_MAX_BYTES + 2);
    if (!buf) {
        fclose(fp);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = 0;
    while (n <= CONFIG_MAX_BYTES) {
        size_t r = fread(buf + n, 1, CONFIG_MAX_BYTES + 1 - n, fp);
        if (r == 0)
            break;
        n += r;
    }
    int read_errno = errno;
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read config file: %s", path,
                          strerror(read_errno));
    }
    if (n > CONFIG_MAX_BYTES) {
        free(buf);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: config file is larger than 1 MB (%d bytes)", path,
                          CONFIG_MAX_BYTES);
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: contains a NUL byte (not a JSON text file)", path);
    }
    buf[n] = '\0';

    lsnn_config tmp;
    lsnn_config_defaults(&tmp);
    lsnn_status st = lsnn_config_parse(&tmp, buf, path);
    free(buf);
    if (st == LSNN_OK)
        *cfg = tmp;
    return st;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}


lsnn_status lsnn_config_set(lsnn_config *cfg, const char *assignment)
{
    const char *origin = "--set";
    if (!cfg || !assignment)
        return lsnn_error(LSNN_ERR_ARG, "%s: lsnn_config_set: NULL argument", origin);
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        char shown[80];
        show(shown, sizeof shown, assignment);
        return lsnn_error(LSNN_ERR_CONFIG, "%s: expected key=value, got '%s'", origin, shown);
    }

    /* key: trimmed text before the first '=' */
    const char *kb = assignment, *ke = eq;
    while (kb < ke && is_space(*kb))
        kb++;
    while (ke > kb && is_space(ke[-1]))
        ke--;
    if (kb == ke)
        return lsnn_error(LSNN_ERR_CONFIG, "%s: missing key before '=' in '%.40s'", origin,
                          assignment);
    char key[128];
    size_t klen = (size_t)(ke - kb);
    if (klen >= sizeof key)
        klen = sizeof key - 1; /* too long to be a key: reported as unknown (truncated) */
    memcpy(key, kb, klen);
    key[klen] = '\0';

    const cfg_field *f = find_field(key);
    if (!f) {
        if (find_section(key))
            return lsnn_error(LSNN_ERR_CONFIG,
                              "%s: %s: is a section, not a key; set its keys one by one "
                              "(e.g. %s.<key>=value)",
                              origin, key, key);
        return unknown_key(origin, key);
    }

    /* value: trimmed text after the '=' */
    const char *vb = eq + 1, *ve = eq + strlen(eq);
    while (vb < ve && is_space(*vb))
        vb++;
    while (ve > vb && is_space(ve[-1]))
        ve--;
    size_t vlen = (size_t)(ve - vb);
    char *value = malloc(vlen + 1);
    if (!value)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", origin);
    memcpy(value, vb, vlen);
    value[vlen] = '\0';

    cJSON *v = cJSON_ParseWithOpts(value, NULL, 1); /* NULL: not JSON, a bare string */
    lsnn_config tmp = *cfg;
    lsnn_status st = apply_value(&tmp, f, v, value, origin);
    cJSON_Delete(v);
    free(value);
    if (st != LSNN_OK)
        return st;
    /* Only this key's own range here: the constraints between keys wait for
     * lsnn_config_validate, so that overrides may come in any order (deepr.enabled before
     * network.init, say). */
    st = lsnn__cfg_check_field(&tmp, f, origin);
    if (st != LSNN_OK)
        return st;
    *cfg = tmp;
    return LSNN_OK;
}

lsnn_status lsnn__cfg_check_field(const lsnn_config *cfg, const cfg_field *f, const char *origin)
{
    const void *p = lsnn__cfg_field_cptr(cfg, f);
    char range[64], got[48];
    switch (f->type) {
    case CT_INT: {
        int v = *(const int *)p;
        if (!in_range(f, (double)v)) {
            lsnn__cfg_describe_range(f, range, sizeof range);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be %s, got %d", origin, f->key, range,
                              v);
        }
        return LSNN_OK;
    }
    case CT_BOOL: {
        int v = *(const int *)p;
        if (v != 0 && v != 1)
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be true or false (1 or 0), got %d",
                              origin, f->key, v);
        return LSNN_OK;
    }
    case CT_DOUBLE: {
        double v = *(const double *)p;
        lsnn__cfg_fmt_double(got, sizeof got, v);
        if (!isfinite(v))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be a finite number, got %s", origin,
                              f->key, got);
        if (!in_range(f, v)) {
            lsnn__cfg_describe_range(f, range, sizeof range);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be %s, got %s", origin, f->key, range,
                              got);
        }
        return LSNN_OK;
    }
    case CT_STRING: {
        const char *s = (const char *)p;
        if (!memchr(s, '\0', str_cap(f)))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: string is not NUL-terminated", origin,
                              f->key);
        char cbuf[256];
        const char *choices = cfg_choices(f, cbuf, sizeof cbuf);
        if (!is_choice(choices, s)) {
            char allowed[256];
            lsnn__cfg_describe_choices(choices, "", allowed, sizeof allowed);
            show(got, sizeof got, s);
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: must be one of: %s; got '%s'", origin,
                              f->key, allowed, got);
        }
        return LSNN_OK;
    }
    case CT_U64:
        return LSNN_OK;
    case CT_JSON:
        if (!memchr(p, '\0', str_cap(f)))
            return lsnn_error(LSNN_ERR_CONFIG, "%s: %s: text is not NUL-terminated", origin,
                              f->key);
        return LSNN_OK;
    }
    return LSNN_OK;
}

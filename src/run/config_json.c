/* Serialisation of a config to JSON and the Markdown reference of docs/CONFIG.md, from the key
 * table (run/config_internal.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/config_doc.h"
#include "lsnn/neuron.h"
#include "io/strbuf.h"
#include "run/config_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Serialisation
 * ------------------------------------------------------------------------------------------- */

static void sb_json_string(lsnn__strbuf *b, const char *s, size_t maxlen)
{
    lsnn__sb_puts(b, "\"");
    for (size_t i = 0; i < maxlen && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            lsnn__sb_add(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            lsnn__sb_puts(b, esc);
        } else {
            lsnn__sb_add(b, &s[i], 1);
        }
    }
    lsnn__sb_puts(b, "\"");
}

/* The JSON text of one field's value. Non-finite doubles (invalid configs) become null. */
static void sb_value(lsnn__strbuf *b, const lsnn_config *c, const cfg_field *f)
{
    const void *p = lsnn__cfg_field_cptr(c, f);
    char buf[48];
    switch (f->type) {
    case CT_INT:
        snprintf(buf, sizeof buf, "%d", *(const int *)p);
        break;
    case CT_BOOL: {
        int v = *(const int *)p;
        if (v == 0 || v == 1)
            snprintf(buf, sizeof buf, "%s", v ? "true" : "false");
        else
            snprintf(buf, sizeof buf, "%d", v);
        break;
    }
    case CT_DOUBLE: {
        double v = *(const double *)p;
        if (isfinite(v))
            lsnn__cfg_fmt_double(buf, sizeof buf, v);
        else
            snprintf(buf, sizeof buf, "null");
        break;
    }
    case CT_U64: {
        unsigned long long v = *(const unsigned long long *)p;
        if (v <= 9007199254740992ULL)
            snprintf(buf, sizeof buf, "%llu", v);
        else
            snprintf(buf, sizeof buf, "\"%llu\"", v);
        break;
    }
    case CT_STRING:
        sb_json_string(b, (const char *)p, str_cap(f));
        return;
    case CT_JSON: /* compact JSON text, written by cJSON when the key was set */
        lsnn__sb_puts(b, *(const char *)p ? (const char *)p : "[]");
        return;
    }
    lsnn__sb_puts(b, buf);
}

/* 1 when section sec is one of lsnn__cfg_omit_default_sections and every key of it holds its
 * default. */
static bool section_omitted(const lsnn_config *c, const char *sec)
{
    bool listed = false;
    for (size_t k = 0; lsnn__cfg_omit_default_sections[k]; k++)
        listed |= strcmp(lsnn__cfg_omit_default_sections[k], sec) == 0;
    if (!listed)
        return false;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const cfg_field *f = &fields[i];
        if (!lsnn__cfg_field_in_section(f, sec))
            continue;
        const void *p = lsnn__cfg_field_cptr(c, f);
        switch (f->type) {
        case CT_INT:
        case CT_BOOL:
            if (*(const int *)p != (int)f->def)
                return false;
            break;
        case CT_DOUBLE:
            if (*(const double *)p != f->def)
                return false;
            break;
        case CT_U64:
            if (*(const unsigned long long *)p != (unsigned long long)f->def)
                return false;
            break;
        case CT_STRING:
            if (strncmp((const char *)p, f->def_str, str_cap(f)) != 0)
                return false;
            break;
        case CT_JSON:
            if (*(const char *)p)
                return false;
            break;
        }
    }
    return true;
}

char *lsnn_config_to_json(const lsnn_config *cfg)
{
    if (!cfg) {
        lsnn_error(LSNN_ERR_ARG, "lsnn_config_to_json: NULL argument");
        return NULL;
    }
    lsnn__strbuf b = {0};
    lsnn__sb_puts(&b, "{");
    bool first = true;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sections[s].name;
        const char *indent = "  ";
        if (section_omitted(cfg, sec))
            continue;
        if (*sec) {
            lsnn__sb_puts(&b, first ? "\n  " : ",\n  ");
            sb_json_string(&b, sec, strlen(sec));
            lsnn__sb_puts(&b, ": {");
            first = true;
            indent = "    ";
        }
        for (size_t i = 0; i < N_FIELDS; i++) {
            const cfg_field *f = &fields[i];
            if (!lsnn__cfg_field_in_section(f, sec))
                continue;
            const char *name = f->key + section_len(f->key) + (*sec ? 1 : 0);
            lsnn__sb_puts(&b, first ? "\n" : ",\n");
            lsnn__sb_puts(&b, indent);
            sb_json_string(&b, name, strlen(name));
            lsnn__sb_puts(&b, ": ");
            sb_value(&b, cfg, f);
            first = false;
        }
        if (*sec)
            lsnn__sb_puts(&b, "\n  }");
        first = false;
    }
    lsnn__sb_puts(&b, "\n}\n");
    if (b.oom) {
        free(b.p);
        lsnn_error(LSNN_ERR_NOMEM, "lsnn_config_to_json: out of memory");
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------------------------------------
 * Documentation (docs/CONFIG.md)
 * ------------------------------------------------------------------------------------------- */

size_t lsnn__config_key_count(void)
{
    return N_FIELDS;
}

const char *lsnn__config_key_name(size_t i)
{
    return i < N_FIELDS ? fields[i].key : NULL;
}

/* Writes s with '|' escaped for a Markdown table cell. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static const char *type_name(cfg_type t)
{
    switch (t) {
    case CT_INT:
        return "integer";
    case CT_BOOL:
        return "boolean";
    case CT_DOUBLE:
        return "number";
    case CT_STRING:
        return "string";
    case CT_U64:
        return "integer (64-bit unsigned)";
    case CT_JSON:
        return "list";
    }
    return "?";
}

void lsnn__config_write_markdown(FILE *out)
{
    lsnn_config def;
    lsnn_config_defaults(&def);
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sections[s].name;
        if (*sec)
            fprintf(out, "### `%s`\n\n", sec);
        else
            fprintf(out, "### Top level\n\n");
        fprintf(out, "%s\n\n", sections[s].doc);
        fprintf(out, "| Key | Type | Default | Allowed | Meaning |\n");
        fprintf(out, "|-----|------|---------|---------|---------|\n");
        for (size_t i = 0; i < N_FIELDS; i++) {
            const cfg_field *f = &fields[i];
            if (!lsnn__cfg_field_in_section(f, sec))
                continue;
            lsnn__strbuf dv = {0};
            sb_value(&dv, &def, f);
            char allowed[128];
            switch (f->type) {
            case CT_INT:
            case CT_DOUBLE:
                lsnn__cfg_describe_range(f, allowed, sizeof allowed);
                if (!allowed[0])
                    snprintf(allowed, sizeof allowed, "any");
                break;
            case CT_BOOL:
                snprintf(allowed, sizeof allowed, "`true`, `false` (or 1, 0)");
                break;
            case CT_STRING: {
                char cbuf[256];
                const char *choices = cfg_choices(f, cbuf, sizeof cbuf);
                if (choices)
                    lsnn__cfg_describe_choices(choices, "`", allowed, sizeof allowed);
                else if (f->range & R_NAMES)
                    snprintf(allowed, sizeof allowed, "names joined by `+`");
                else
                    snprintf(allowed, sizeof allowed, "any text (a path)");
                break;
            }
            case CT_U64:
                snprintf(allowed, sizeof allowed,
                         "0 to 2^64 - 1 (above 2^53 as a string of digits)");
                break;
            case CT_JSON:
                snprintf(allowed, sizeof allowed, "see Graph networks below");
                break;
            }
            fprintf(out, "| `%s` | %s | `%s` | ", f->key, type_name(f->type),
                    dv.p && !dv.oom ? dv.p : "?");
            md_cell(out, allowed);
            fprintf(out, " | ");
            md_cell(out, f->doc);
            fprintf(out, " |\n");
            free(dv.p);
        }
        fprintf(out, "\n");
    }
    /* The neuron models' own parameter tables (lsnn/neuron.h): the keys of a population of
     * network.populations, and network.tau_m & co. for the recipe. */
    fprintf(out, "### Neuron models\n\n");
    fprintf(out, "Parameters of each neuron model (`network.neuron`, or a population's `neuron`), "
                 "from the model's own table. In a population of `network.populations` each is "
                 "a number, `{\"uniform\": [low, high]}` or a list of one value per neuron; "
                 "unset, it takes the network key of the same name (`network.tau_m`, ...) where "
                 "there is one, else the default below.\n\n");
    const lsnn_neuron_model *m;
    for (int i = 0; (m = lsnn_neuron_model_at(i)); i++) {
        fprintf(out, "#### `%s`\n\n", m->name);
        md_cell(out, m->doc ? m->doc : "");
        fprintf(out, ". State: ");
        md_cell(out, m->state_doc ? m->state_doc : "");
        fprintf(out, ". Threshold (plots): ");
        md_cell(out, m->threshold_doc ? m->threshold_doc : "");
        fprintf(out, ".\n\n| Parameter | Unit | Default | Allowed | Meaning |\n");
        fprintf(out, "|-----------|------|---------|---------|---------|\n");
        for (int k = 0; k < m->n_params; k++) {
            const lsnn_neuron_param *pp = &m->params[k];
            char def[48], lo[48], hi[48], allowed[160];
            lsnn__cfg_fmt_double(def, sizeof def, pp->def);
            lsnn__cfg_fmt_double(lo, sizeof lo, pp->min);
            lsnn__cfg_fmt_double(hi, sizeof hi, pp->max);
            if (isfinite(pp->max))
                snprintf(allowed, sizeof allowed, "%s%s to %s%s", pp->min_excl ? "> " : "", lo,
                         hi, pp->integer ? ", whole numbers" : "");
            else
                snprintf(allowed, sizeof allowed, "%s %s%s", pp->min_excl ? ">" : ">=", lo,
                         pp->integer ? ", whole numbers" : "");
            fprintf(out, "| `%s` | %s | `%s` | %s | ", pp->name, pp->unit[0] ? pp->unit : "-", def,
                    allowed);
            md_cell(out, pp->doc);
            fprintf(out, " |\n");
        }
        fprintf(out, "\n");
    }
    fprintf(out, "### Constraints between keys\n\n");
    for (size_t i = 0; i < lsnn__cfg_n_cross_docs; i++)
        fprintf(out, "- %s\n", cross_docs[i]);
}

/* io/config_doc.h - internal (non-API) access to the config key table in io/config.c.
 *
 * docs/CONFIG.md embeds the output of lsnn__config_write_markdown() verbatim; tests/test_config.c
 * checks that it still does, so the documentation cannot go stale. */
#ifndef LSNN_IO_CONFIG_DOC_H
#define LSNN_IO_CONFIG_DOC_H

#include <stddef.h>
#include <stdio.h>

/* Writes one Markdown table per section (key, type, default, allowed values, meaning). */
void lsnn__config_write_markdown(FILE *f);

/* Number of keys in the config table, and the dotted name of key i (NULL if i is out of range). */
size_t lsnn__config_key_count(void);
const char *lsnn__config_key_name(size_t i);

#endif

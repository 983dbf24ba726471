/* A growable, always NUL-terminated text buffer (internal): the JSON of a config, the report's
 * HTML, the CLI's CSV files. An allocation failure sets oom and makes every later append a no-op,
 * so a caller checks once at the end. Start from {0}; free(b.p) when done. */
#ifndef LSNN_IO_STRBUF_H
#define LSNN_IO_STRBUF_H

#include <stddef.h>

typedef struct lsnn__strbuf {
    char *p;                   /* the text (NULL until something is appended) */
    size_t len, cap;
    int oom;
} lsnn__strbuf;

/* Appends n bytes of s. */
void lsnn__sb_add(lsnn__strbuf *b, const char *s, size_t n);
void lsnn__sb_puts(lsnn__strbuf *b, const char *s);
void lsnn__sb_printf(lsnn__strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif

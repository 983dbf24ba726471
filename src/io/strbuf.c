/* The growable text buffer of io/strbuf.h. */
#include "io/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and the terminating NUL; 0 (and oom set) if it cannot be had. */
static int lsnn__sb_reserve(lsnn__strbuf *b, size_t n)
{
    if (b->oom)
        return 0;
    if (b->len + n + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 2048;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void lsnn__sb_add(lsnn__strbuf *b, const char *s, size_t n)
{
    if (!lsnn__sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void lsnn__sb_puts(lsnn__strbuf *b, const char *s)
{
    lsnn__sb_add(b, s, strlen(s));
}

void lsnn__sb_printf(lsnn__strbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->oom = 1; /* an encoding error: the text would be incomplete */
        return;
    }
    if (!lsnn__sb_reserve(b, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

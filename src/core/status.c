/* Status codes and thread-local error messages (see lsnn/status.h). */
#include "lsnn/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char lsnn__errbuf[1024];

const char *lsnn_strerror(lsnn_status s)
{
    switch (s) {
#define LSNN__STATUS_CASE(name, code, text) \
    case name:                               \
        return text;
        LSNN_STATUS_LIST(LSNN__STATUS_CASE)
#undef LSNN__STATUS_CASE
    }
    return "unknown status";
}

const char *lsnn_last_error(void)
{
    return lsnn__errbuf;
}

lsnn_status lsnn_error(lsnn_status s, const char *fmt, ...)
{
    /* Through a scratch buffer: an argument may be lsnn_last_error() itself (a message that
     * wraps the previous one), and vsnprintf must not write the buffer it reads. */
    char tmp[sizeof lsnn__errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(lsnn__errbuf, tmp, sizeof tmp);
    return s;
}

void lsnn_error_prefix(const char *prefix)
{
    /* Build "prefix: message" in a scratch buffer, truncating the message if needed. */
    char tmp[sizeof lsnn__errbuf];
    size_t lp = strlen(prefix);
    if (lp > sizeof tmp - 3)
        lp = sizeof tmp - 3;
    memcpy(tmp, prefix, lp);
    tmp[lp] = ':';
    tmp[lp + 1] = ' ';
    size_t room = sizeof tmp - lp - 3;
    size_t lm = strnlen(lsnn__errbuf, room);
    memcpy(tmp + lp + 2, lsnn__errbuf, lm);
    tmp[lp + 2 + lm] = '\0';
    memcpy(lsnn__errbuf, tmp, sizeof tmp);
}

void lsnn_error_clear(void)
{
    lsnn__errbuf[0] = '\0';
}

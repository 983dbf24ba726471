/* lsnn/status.h - status codes and error messages.
 *
 * Every public function returns an lsnn_status (0 = success, negative = error) or NULL with the
 * status retrievable from lsnn_last_error(). The library never prints and never exits; the CLI
 * prints the message as "lsnn: <context>: <what is wrong>". */
#ifndef LSNN_STATUS_H
#define LSNN_STATUS_H

#include <stddef.h>

/* X-macro: one list generates the enum and lsnn_strerror(). */
#define LSNN_STATUS_LIST(X)                                          \
    X(LSNN_OK, 0, "success")                                         \
    X(LSNN_ERR_NOMEM, -1, "out of memory")                           \
    X(LSNN_ERR_IO, -2, "input/output error")                         \
    X(LSNN_ERR_FORMAT, -3, "malformed file")                         \
    X(LSNN_ERR_CONFIG, -4, "invalid configuration")                  \
    X(LSNN_ERR_ARG, -5, "invalid argument")                          \
    X(LSNN_ERR_SHAPE, -6, "shape mismatch")                          \
    X(LSNN_ERR_RANGE, -7, "value out of range")                      \
    X(LSNN_ERR_UNSUPPORTED, -8, "unsupported feature")               \
    X(LSNN_ERR_NUMERIC, -9, "numerical failure (NaN or infinity)")

typedef enum lsnn_status {
#define LSNN__STATUS_ENUM(name, code, text) name = code,
    LSNN_STATUS_LIST(LSNN__STATUS_ENUM)
#undef LSNN__STATUS_ENUM
} lsnn_status;

/* Short fixed description of a status code. */
const char *lsnn_strerror(lsnn_status s);

/* The message of the most recent error in this thread (context included), or "" if none. */
const char *lsnn_last_error(void);

/* Records a printf-style message for lsnn_last_error() and returns s, so callers can write
 * `return lsnn_error(LSNN_ERR_CONFIG, "%s: field '%s' ...", path, key);`. */
lsnn_status lsnn_error(lsnn_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prefixes the current error message with "prefix: " (used to add a file name as context). */
void lsnn_error_prefix(const char *prefix);

/* Clears the last error message. */
void lsnn_error_clear(void);

#endif

/* A bump allocator over one block, used twice: a first pass with base == NULL measures the
 * total size, a second pass over the allocated block hands out the arrays. This keeps every array
 * of a network or a workspace in one allocation with named pointers into it. Internal. */
#ifndef LSNN_ARENA_H
#define LSNN_ARENA_H

#include <stddef.h>

typedef struct lsnn__arena {
    char *base;   /* NULL while measuring */
    size_t used;  /* bytes handed out so far (the total after a measuring pass) */
} lsnn__arena;

/* The next 64-byte aligned array of `bytes` bytes (NULL while measuring). */
static inline void *lsnn__take(lsnn__arena *a, size_t bytes)
{
    size_t off = (a->used + 63) & ~(size_t)63;
    a->used = off + bytes;
    return a->base ? a->base + off : NULL;
}

#endif

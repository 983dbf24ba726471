/* Exchange of chunk-ordered partial results between processes (lsnn/dist.h). */
#include <stdlib.h>

#include "lsnn/dist.h"

lsnn_status lsnn_dist_gather_rows(const lsnn_dist *d, void *buf, size_t row_bytes, int nch,
                                  int rows_per_chunk, int rows)
{
    if (!d || d->size <= 1)
        return LSNN_OK;
    const int P = d->size;
    size_t *off = malloc(2 * sizeof(size_t) * (size_t)P);
    if (!off)
        return lsnn_error(LSNN_ERR_NOMEM, "distributed pass: out of memory");
    size_t *len = off + P;
    for (int r = 0; r < P; r++) {
        long a = (long)lsnn_dist_first(r, nch, P) * rows_per_chunk;
        long b = (long)lsnn_dist_first(r + 1, nch, P) * rows_per_chunk;
        a = a < rows ? a : rows;
        b = b < rows ? b : rows;
        off[r] = (size_t)a * row_bytes;
        len[r] = (size_t)(b - a) * row_bytes;
    }
    const int rc = d->gather(d->ctx, buf, off, len);
    free(off);
    return rc ? lsnn_error(LSNN_ERR_IO, "distributed pass: exchanging the chunks' results with "
                                        "the other processes failed")
              : LSNN_OK;
}

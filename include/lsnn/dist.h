/* lsnn/dist.h - data-parallel passes across processes (issue 23), without MPI in the library.
 *
 * A batch is processed in chunks of sequences (lsnn_chunk_size), each chunk's partial results
 * (its outputs, spike counts, loss terms and gradient) kept apart and summed in chunk order, so
 * the result does not depend on how the chunks are spread over threads. A distributed pass
 * spreads them over processes the same way: process r of P computes the chunks
 * [lsnn_dist_first(r, nch, P), lsnn_dist_first(r + 1, nch, P)), the processes exchange the
 * chunks' partial results with the caller's `gather`, and every process then sums them in chunk
 * order: the same bits as one process computing every chunk.
 *
 * `gather` is the caller's collective (MPI_Allgatherv in `lsnn` built with MPI): every process
 * passes the same buffer layout, holding its own bytes [off[rank], off[rank] + len[rank]) on
 * entry; on return it must hold every process's bytes at their offsets. It returns 0 on success;
 * anything else makes the pass fail with LSNN_ERR_IO. */
#ifndef LSNN_DIST_H
#define LSNN_DIST_H

#include <stddef.h>

#include "lsnn/status.h"

typedef struct lsnn_dist {
    int rank, size;
    int (*gather)(void *ctx, void *buf, const size_t *off, const size_t *len);
    void *ctx;
} lsnn_dist;

/* First chunk of process r when nch chunks are spread over P processes (contiguous, balanced:
 * r * nch / P). */
static inline int lsnn_dist_first(int r, int nch, int P)
{
    return (int)((long long)r * nch / P);
}

/* Exchanges rows of a buffer laid out by chunk: `rows` rows of row_bytes each, chunk ci holding
 * rows [ci * rows_per_chunk, (ci + 1) * rows_per_chunk) (the last chunk may hold fewer). On entry
 * each process holds the rows of its chunks; on return every process holds all rows. A NULL or
 * one-process d does nothing. LSNN_ERR_IO when gather fails. */
lsnn_status lsnn_dist_gather_rows(const lsnn_dist *d, void *buf, size_t row_bytes, int nch,
                                  int rows_per_chunk, int rows);

#endif

/* lsnn/idx.h - IDX files (the MNIST / Fashion-MNIST format) and MNIST-style data directories.
 *
 * Format: a 4-byte big-endian magic 0x0000TTDD (TT = element type, DD = number of dimensions),
 * DD big-endian uint32 dimensions, then the elements in row-major order and nothing else. Only
 * type 0x08 (unsigned byte) is supported: MNIST labels are 0x00000801 (count), images 0x00000803
 * (count x rows x cols).
 *
 * Files may be gzip-compressed (detected by the gzip magic 1f 8b, whatever the name); they are
 * read through zlib. Everything is validated before data is returned: header present, magic,
 * type, 1..LSNN_IDX_MAX_DIMS dimensions, no zero dimension, total size at most
 * LSNN_IDX_MAX_BYTES, exactly that many data bytes (a shorter file is "truncated", a longer one
 * has "trailing garbage"), and for gzip files an intact stream (CRC checked). Violations give
 * LSNN_ERR_FORMAT with a message naming the file, e.g. "data/train-images-idx3-ubyte: truncated:
 * header says 60000 x 28 x 28 = 47040000 bytes, found 1234". */
#ifndef LSNN_IDX_H
#define LSNN_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/sha256.h"
#include "lsnn/status.h"

#define LSNN_IDX_MAX_DIMS 4
/* Largest accepted data size (bytes); also keeps every product of dimensions below 2^31. */
#define LSNN_IDX_MAX_BYTES 200000000

typedef struct lsnn_idx {
    int ndim;                          /* 1..LSNN_IDX_MAX_DIMS */
    int64_t dims[LSNN_IDX_MAX_DIMS];   /* each >= 1; unused entries 0 */
    uint8_t *data;                     /* product(dims) bytes, row-major (malloc'd) */
    size_t size;                       /* product(dims) */
} lsnn_idx;

/* Reads and validates a whole IDX file (plain or gzip). On error *out is zeroed (nothing to
 * free) and the message is in lsnn_last_error(); LSNN_ERR_IO if the file cannot be opened or
 * read, LSNN_ERR_FORMAT if it is not a valid u8 IDX file. */
lsnn_status lsnn_idx_read(const char *path, lsnn_idx *out);
void lsnn_idx_free(lsnn_idx *x);

/* SHA-256 of the uncompressed file content (header and data), the same as sha256sum of the
 * plain file: a gzip-compressed and a plain copy of a file give the same digest. */
void lsnn_idx_sha256(const lsnn_idx *x, unsigned char out[LSNN_SHA256_BYTES]);

/* One split of an MNIST-style data set. */
typedef struct lsnn_mnist {
    int count, rows, cols;
    uint8_t *images;   /* (count, rows*cols), pixel values 0..255 */
    uint8_t *labels;   /* (count), class 0..9 */
} lsnn_mnist;

/* Standard file name (without .gz) of the images (labels = 0) or labels (labels = 1) of split
 * "train" or "test", e.g. "t10k-labels-idx1-ubyte"; NULL for any other split. */
const char *lsnn_mnist_name(const char *split, int labels);

/* The file that lsnn_mnist_load reads: dir/NAME if it exists, else dir/NAME.gz, written to buf
 * (cap bytes). LSNN_ERR_IO naming the path if neither exists, LSNN_ERR_ARG for a bad split or a
 * path longer than cap. */
lsnn_status lsnn_mnist_path(const char *dir, const char *split, int labels, char *buf, size_t cap);

/* Loads split "train" (train-images-idx3-ubyte, train-labels-idx1-ubyte) or "test"
 * (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) from dir, each file plain or gzip-compressed
 * with a .gz suffix (the plain file wins if both exist). Checks that images are 3-D, labels 1-D,
 * the counts match and every label is < 10. On error *out is zeroed. */
lsnn_status lsnn_mnist_load(const char *dir, const char *split, lsnn_mnist *out);
void lsnn_mnist_free(lsnn_mnist *m);

#endif

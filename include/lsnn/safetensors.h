/* lsnn/safetensors.h - reading and writing safetensors files.
 *
 * Format: 8-byte little-endian unsigned header length N, then N bytes of JSON header, then the raw
 * little-endian tensor data. The header maps tensor names to {"dtype", "shape", "data_offsets":
 * [begin, end]} (offsets relative to the start of the data area) and may hold "__metadata__", a
 * map of string to string. Files written here load directly with the Python safetensors package.
 *
 * Writing is atomic: data goes to "<path>.tmp.<pid>", is fsync'ed, then renamed over <path>; a
 * crash never leaves a half-written file under <path>.
 * Reading validates everything before any tensor is exposed: header length within the file, valid
 * JSON, known dtypes, shape products matching byte ranges, ranges inside the data area and not
 * overlapping, no duplicate names. Any violation gives LSNN_ERR_FORMAT and a message naming the
 * file and the offending tensor/field. */
#ifndef LSNN_SAFETENSORS_H
#define LSNN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "lsnn/status.h"

#define LSNN_ST_MAX_DIMS 8
#define LSNN_ST_NAME_MAX 128

typedef enum lsnn_dtype {
    LSNN_DTYPE_F32, /* "F32" */
    LSNN_DTYPE_F64, /* "F64" */
    LSNN_DTYPE_U8,  /* "U8" */
    LSNN_DTYPE_I32, /* "I32" */
    LSNN_DTYPE_I64, /* "I64" */
    LSNN_DTYPE_U64, /* "U64" */
    LSNN_DTYPE_I8   /* "I8" */
} lsnn_dtype;

/* Size in bytes of one element of a dtype. */
size_t lsnn_dtype_size(lsnn_dtype dt);
/* Safetensors name of a dtype ("F32", ...). */
const char *lsnn_dtype_name(lsnn_dtype dt);

/* One tensor, for writing (data points to caller memory) or as returned by the reader (data points
 * into the reader's buffer, valid until lsnn_st_close). */
typedef struct lsnn_st_tensor {
    char name[LSNN_ST_NAME_MAX];
    lsnn_dtype dtype;
    int ndim;                        /* 0..LSNN_ST_MAX_DIMS */
    int64_t shape[LSNN_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;                   /* product(shape) * dtype size */
} lsnn_st_tensor;

/* A metadata entry (both strings NUL-terminated). */
typedef struct lsnn_st_meta {
    const char *key;
    const char *value;
} lsnn_st_meta;

/* Writes n tensors and n_meta metadata entries to path atomically. Tensor names must be unique and
 * nbytes must match shape and dtype (LSNN_ERR_ARG otherwise). */
lsnn_status lsnn_st_write(const char *path, const lsnn_st_tensor *tensors, int n,
                          const lsnn_st_meta *meta, int n_meta);

typedef struct lsnn_st_file lsnn_st_file;

/* Reads and validates a whole file. Returns NULL on error with *status set (if non-NULL) and the
 * message in lsnn_last_error(), e.g. "model.safetensors: header length 999999 exceeds file size
 * 1234". Files over max_bytes (0 = 4 GiB) are rejected. */
lsnn_st_file *lsnn_st_open(const char *path, size_t max_bytes, lsnn_status *status);
void lsnn_st_close(lsnn_st_file *f);

int lsnn_st_count(const lsnn_st_file *f);
const lsnn_st_tensor *lsnn_st_at(const lsnn_st_file *f, int i);
/* Tensor by name, or NULL. */
const lsnn_st_tensor *lsnn_st_find(const lsnn_st_file *f, const char *name);
/* Metadata value by key, or NULL. */
const char *lsnn_st_meta_get(const lsnn_st_file *f, const char *key);

/* Copies tensor `name` into dst after checking it exists, has dtype dt, and has exactly `count`
 * elements (any shape). Errors name the file and the tensor: "m.safetensors: tensor 'w_rec':
 * expected 400 elements of F32, found shape [10, 20] F32". */
lsnn_status lsnn_st_read_into(const lsnn_st_file *f, const char *name, lsnn_dtype dt, void *dst,
                              size_t count);

/* lsnn_st_read_into with the shape checked too: the tensor must have exactly ndim dimensions of
 * the given sizes (a transposed or flattened tensor is refused: "m.safetensors: tensor 'w_in':
 * expected shape [100, 40], found [40, 100]"). */
lsnn_status lsnn_st_read_shaped(const lsnn_st_file *f, const char *name, lsnn_dtype dt, void *dst,
                                int ndim, const int64_t *shape);

#endif

/* IDX files and MNIST-style data directories (see lsnn/idx.h). */
#include "lsnn/idx.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Trailing bytes are counted up to this many (a gzip bomb must not keep us reading). */
#define LSNN__TRAIL_COUNT_MAX ((size_t)1 << 20)

static const char *lsnn__type_name(unsigned t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return NULL;
    }
}

/* "60000 x 28 x 28" */
static void lsnn__fmt_dims(char *buf, size_t cap, const int64_t *dims, int ndim)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? " x " : "", dims[i]);
}

/* Reads up to n bytes; *got = bytes read. Returns 0 at end of data (or n reached), -1 if zlib
 * reported an error (truncated or corrupt gzip stream, read error): *msg and *errnum then say
 * what. */
static int lsnn__read(gzFile gz, void *buf, size_t n, size_t *got, const char **msg, int *errnum)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        unsigned chunk = want > ((size_t)1 << 30) ? 1u << 30 : (unsigned)want;
        int r = gzread(gz, p + *got, chunk);
        if (r > 0)
            *got += (size_t)r;
        if (r < (int)chunk)
            break;
    }
    *msg = gzerror(gz, errnum);
    return *errnum == Z_OK ? 0 : -1;
}

/* The error for a failed read: I/O errors as such, stream errors as a malformed file. */
static lsnn_status lsnn__stream_error(const char *path, const char *what, const char *msg,
                                      int errnum, int saved_errno)
{
    if (errnum == Z_ERRNO)
        return lsnn_error(LSNN_ERR_IO, "%s: read error%s%s: %s", path, what[0] ? " in " : "",
                          what, strerror(saved_errno));
    if (errnum == Z_MEM_ERROR)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    return lsnn_error(LSNN_ERR_FORMAT, "%s: corrupt gzip data%s%s: %s", path, what[0] ? " in " : "",
                      what, msg);
}

static lsnn_status lsnn__read_gz(const char *path, gzFile gz, lsnn_idx *out)
{
    unsigned char h[4 + 4 * LSNN_IDX_MAX_DIMS];
    size_t got;
    const char *zmsg;
    int zerr;

    errno = 0;
    int rc = lsnn__read(gz, h, 4, &got, &zmsg, &zerr);
    if (rc != 0 && !(zerr == Z_BUF_ERROR && got < 4))
        return lsnn__stream_error(path, "the header", zmsg, zerr, errno);
    if (got < 4)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: file too short for an IDX header: %zu byte%s%s",
                          path, got, got == 1 ? "" : "s",
                          rc ? " (gzip stream ends early)" : "");
    if (h[0] != 0 || h[1] != 0)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: not an IDX file: magic bytes %02x %02x %02x %02x (expected 00 00 "
                          "08 0N)", path, h[0], h[1], h[2], h[3]);
    if (h[2] != 0x08) {
        const char *tn = lsnn__type_name(h[2]);
        if (tn)
            return lsnn_error(LSNN_ERR_FORMAT, "%s: IDX element type 0x%02X (%s) is not "
                              "supported; only 0x08 (unsigned byte)", path, h[2], tn);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: unknown IDX element type code 0x%02X (magic "
                          "00 00 %02x %02x); only 0x08 (unsigned byte) is supported", path, h[2],
                          h[2], h[3]);
    }
    int ndim = h[3];
    if (ndim < 1 || ndim > LSNN_IDX_MAX_DIMS)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: IDX header declares %d dimensions (expected 1 to "
                          "%d)", path, ndim, LSNN_IDX_MAX_DIMS);
    size_t need = 4 * (size_t)ndim;
    errno = 0;
    rc = lsnn__read(gz, h + 4, need, &got, &zmsg, &zerr);
    if (rc != 0 && !(zerr == Z_BUF_ERROR && got < need))
        return lsnn__stream_error(path, "the header", zmsg, zerr, errno);
    if (got < need)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated header: %d dimensions need %zu header "
                          "bytes, found %zu", path, ndim, 4 + need, 4 + got);

    int64_t dims[LSNN_IDX_MAX_DIMS] = {0};
    for (int i = 0; i < ndim; i++) {
        const unsigned char *b = h + 4 + 4 * i;
        dims[i] = (int64_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
                            (uint32_t)b[3]);
    }
    char ds[128];
    lsnn__fmt_dims(ds, sizeof ds, dims, ndim);
    for (int i = 0; i < ndim; i++)
        if (dims[i] == 0)
            return lsnn_error(LSNN_ERR_FORMAT, "%s: IDX dimension %d is 0 (header says %s)", path,
                              i, ds);
    /* Each dim < 2^32 and the running product stays <= the cap, so nothing overflows. */
    uint64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        size *= (uint64_t)dims[i];
        if (size > LSNN_IDX_MAX_BYTES)
            return lsnn_error(LSNN_ERR_FORMAT, "%s: IDX header says %s: more than the %d-byte "
                              "limit (a corrupt header?)", path, ds, LSNN_IDX_MAX_BYTES);
    }

    uint8_t *data = malloc((size_t)size);
    if (!data)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for %" PRIu64 " bytes", path, size);
    errno = 0;
    rc = lsnn__read(gz, data, (size_t)size, &got, &zmsg, &zerr);
    if (rc != 0 && !(zerr == Z_BUF_ERROR && got < size)) {
        free(data);
        return lsnn__stream_error(path, "the data", zmsg, zerr, errno);
    }
    if (got < size) {
        free(data);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated: header says %s = %" PRIu64 " bytes, "
                          "found %zu%s", path, ds, size, got,
                          rc ? " (gzip stream ends early)" : "");
    }
    /* Anything after the data is an error; reading on also makes zlib check the gzip CRC. */
    unsigned char scratch[1 << 14];
    size_t extra = 0;
    while (extra < LSNN__TRAIL_COUNT_MAX) {
        errno = 0;
        rc = lsnn__read(gz, scratch, sizeof scratch, &got, &zmsg, &zerr);
        extra += got;
        if (rc != 0) {
            free(data);
            if (zerr == Z_BUF_ERROR && extra == 0)
                return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated gzip stream after the %" PRIu64
                                  " data bytes (no gzip trailer)", path, size);
            return lsnn__stream_error(path, extra ? "trailing data" : "the gzip trailer", zmsg,
                                      zerr, errno);
        }
        if (got < sizeof scratch)
            break;
    }
    if (extra > 0) {
        free(data);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: trailing garbage: %s%zu bytes after the %" PRIu64
                          " data bytes (%s) the header declares", path,
                          extra >= LSNN__TRAIL_COUNT_MAX ? "at least " : "", extra, size, ds);
    }
    out->ndim = ndim;
    memcpy(out->dims, dims, sizeof dims);
    out->data = data;
    out->size = (size_t)size;
    return LSNN_OK;
}

lsnn_status lsnn_idx_read(const char *path, lsnn_idx *out)
{
    if (!out)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_idx_read: NULL output");
    memset(out, 0, sizeof *out);
    if (!path)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_idx_read: NULL path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    /* gzdopen reads gzip streams and, transparently, plain files (detected by the magic). */
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    gzbuffer(gz, 1 << 17);
    lsnn_status s = lsnn__read_gz(path, gz, out);
    gzclose_r(gz);
    return s;
}

void lsnn_idx_free(lsnn_idx *x)
{
    if (!x)
        return;
    free(x->data);
    memset(x, 0, sizeof *x);
}

void lsnn_idx_sha256(const lsnn_idx *x, unsigned char out[LSNN_SHA256_BYTES])
{
    unsigned char h[4 + 4 * LSNN_IDX_MAX_DIMS] = {0, 0, 0x08, (unsigned char)x->ndim};
    for (int i = 0; i < x->ndim; i++)
        for (int j = 0; j < 4; j++)
            h[4 + 4 * i + j] = (unsigned char)((uint64_t)x->dims[i] >> (24 - 8 * j));
    lsnn_sha256_ctx c;
    lsnn_sha256_init(&c);
    lsnn_sha256_update(&c, h, 4 + 4 * (size_t)x->ndim);
    lsnn_sha256_update(&c, x->data, x->size);
    lsnn_sha256_final(&c, out);
}

/* ---------------------------------------------------------------- MNIST directories */

const char *lsnn_mnist_name(const char *split, int labels)
{
    if (!split)
        return NULL;
    if (strcmp(split, "train") == 0)
        return labels ? "train-labels-idx1-ubyte" : "train-images-idx3-ubyte";
    if (strcmp(split, "test") == 0)
        return labels ? "t10k-labels-idx1-ubyte" : "t10k-images-idx3-ubyte";
    return NULL;
}

lsnn_status lsnn_mnist_path(const char *dir, const char *split, int labels, char *buf, size_t cap)
{
    const char *name = lsnn_mnist_name(split, labels);
    if (!name)
        return lsnn_error(LSNN_ERR_ARG, "data split '%s': expected 'train' or 'test'",
                          split ? split : "(null)");
    if (!dir || !buf)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_mnist_path: NULL argument");
    size_t ld = strlen(dir);
    int slash = ld > 0 && dir[ld - 1] != '/';
    if (ld + (size_t)slash + strlen(name) + 4 > cap || cap > INT32_MAX)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", dir);
    snprintf(buf, cap, "%s%s%s", dir, slash ? "/" : "", name);
    struct stat st;
    if (stat(buf, &st) == 0 || errno != ENOENT)
        return LSNN_OK; /* exists (or an error that opening it will report) */
    size_t lb = strlen(buf);
    memcpy(buf + lb, ".gz", 4);
    if (stat(buf, &st) == 0 || errno != ENOENT)
        return LSNN_OK;
    buf[lb] = '\0';
    return lsnn_error(LSNN_ERR_IO, "%s: not found (nor %s.gz)", buf, name);
}

lsnn_status lsnn_mnist_load(const char *dir, const char *split, lsnn_mnist *out)
{
    if (!out)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_mnist_load: NULL output");
    memset(out, 0, sizeof *out);
    char ipath[4096], lpath[4096];
    lsnn_status s = lsnn_mnist_path(dir, split, 0, ipath, sizeof ipath);
    if (!s)
        s = lsnn_mnist_path(dir, split, 1, lpath, sizeof lpath);
    if (s)
        return s;
    lsnn_idx img, lab;
    if ((s = lsnn_idx_read(ipath, &img)) != LSNN_OK)
        return s;
    if ((s = lsnn_idx_read(lpath, &lab)) != LSNN_OK) {
        lsnn_idx_free(&img);
        return s;
    }
    char ds[128];
    if (img.ndim != 3) {
        lsnn__fmt_dims(ds, sizeof ds, img.dims, img.ndim);
        s = lsnn_error(LSNN_ERR_FORMAT, "%s: expected images (count x rows x cols), found %d "
                       "dimension%s (%s)", ipath, img.ndim, img.ndim == 1 ? "" : "s", ds);
    } else if (lab.ndim != 1) {
        lsnn__fmt_dims(ds, sizeof ds, lab.dims, lab.ndim);
        s = lsnn_error(LSNN_ERR_FORMAT, "%s: expected labels (1 dimension), found %d dimensions "
                       "(%s)", lpath, lab.ndim, ds);
    } else if (lab.dims[0] != img.dims[0]) {
        s = lsnn_error(LSNN_ERR_FORMAT, "%s: %" PRId64 " labels, but %s has %" PRId64 " images",
                       lpath, lab.dims[0], ipath, img.dims[0]);
    } else {
        for (size_t i = 0; i < lab.size; i++)
            if (lab.data[i] >= 10) {
                s = lsnn_error(LSNN_ERR_FORMAT, "%s: label %d at index %zu is not a class 0..9",
                               lpath, lab.data[i], i);
                break;
            }
    }
    if (s) {
        lsnn_idx_free(&img);
        lsnn_idx_free(&lab);
        return s;
    }
    /* Sizes are below LSNN_IDX_MAX_BYTES < 2^31, so they fit in int. */
    out->count = (int)img.dims[0];
    out->rows = (int)img.dims[1];
    out->cols = (int)img.dims[2];
    out->images = img.data;
    out->labels = lab.data;
    return LSNN_OK;
}

void lsnn_mnist_free(lsnn_mnist *m)
{
    if (!m)
        return;
    free(m->images);
    free(m->labels);
    memset(m, 0, sizeof *m);
}

/* IDX files and MNIST-style data directories (see lsnn/idx.h). */
#include "lsnn/idx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The bytes of a file, decompressed if it starts with the gzip magic. zlib's inflate is driven
 * directly rather than through gzread, which accepts a gzip file whose trailer (CRC and length) is
 * cut off when the input happens to run out exactly at the end of a read. */
typedef struct lsnn__src {
    FILE *fp;
    int gz;                   /* 1: gzip stream(s), 0: plain bytes */
    int in_member;            /* gzip: inside a member (its end not yet seen) */
    int members;              /* gzip: members started so far */
    int eof;                  /* no more input */
    int truncated;            /* gzip: input ended inside a member */
    int junk_after;           /* gzip: non-gzip bytes after a complete member */
    int zinit;
    z_stream z;
    int err_errno;            /* read error (errno), or 0 */
    int err_zlib;             /* zlib error code, or Z_OK */
    const char *err_msg;      /* zlib message */
    unsigned char *in;        /* input buffer (LSNN__IN_SIZE) */
    size_t in_pos, in_len;    /* plain: unread bytes of `in` */
} lsnn__src;

#define LSNN__IN_SIZE ((size_t)1 << 16)

/* Fills s->in; returns its length (0 at end of file or on error, s->err_errno set then). */
static size_t lsnn__fill(lsnn__src *s)
{
    errno = 0;
    size_t r = fread(s->in, 1, LSNN__IN_SIZE, s->fp);
    if (r == 0 && ferror(s->fp))
        s->err_errno = errno ? errno : EIO;
    if (r == 0)
        s->eof = 1;
    return r;
}

static int lsnn__src_open(lsnn__src *s, FILE *fp)
{
    memset(s, 0, sizeof *s);
    s->fp = fp;
    s->in = malloc(LSNN__IN_SIZE);
    if (!s->in)
        return -1;
    size_t r = lsnn__fill(s);
    if (s->err_errno)
        return 0;
    if (r >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
        s->gz = 1;
        /* 15 + 16: gzip wrapper only, 32 KiB window (the maximum). */
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return -1;
        s->zinit = 1;
        s->z.next_in = s->in;
        s->z.avail_in = (uInt)r;
    } else {
        s->in_len = r;
    }
    return 0;
}

static void lsnn__src_close(lsnn__src *s)
{
    if (s->zinit)
        inflateEnd(&s->z);
    free(s->in);
}

/* Reads up to n bytes; *got = bytes read. Returns 0 if all is well so far (fewer than n bytes
 * only at the end of a plain file or of complete gzip members), 1 if the input ended inside a gzip
 * member ("truncated"; sticky), -1 on a read error or corrupt gzip data (s->err_*). */
static int lsnn__src_read(lsnn__src *s, void *buf, size_t n, size_t *got)
{
    unsigned char *p = buf;
    *got = 0;
    if (s->err_errno || s->err_zlib != Z_OK)
        return -1;
    if (!s->gz) {
        size_t k = s->in_len - s->in_pos < n ? s->in_len - s->in_pos : n;
        if (k)
            memcpy(p, s->in + s->in_pos, k);
        s->in_pos += k;
        *got = k;
        if (*got < n && !s->eof) {
            errno = 0;
            size_t r = fread(p + *got, 1, n - *got, s->fp);
            *got += r;
            if (*got < n) {
                s->eof = 1;
                if (ferror(s->fp)) {
                    s->err_errno = errno ? errno : EIO;
                    return -1;
                }
            }
        }
        return 0;
    }
    while (*got < n && !s->truncated) {
        if (s->z.avail_in == 0) {
            size_t r = s->eof ? 0 : lsnn__fill(s);
            if (s->err_errno)
                return -1;
            if (r == 0) {
                if (s->in_member)
                    s->truncated = 1;
                break;
            }
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)r;
        }
        if (!s->in_member) {
            /* More input after a complete member: it must be another gzip member. */
            if (s->members > 0 && inflateReset(&s->z) != Z_OK) {
                s->err_zlib = Z_STREAM_ERROR;
                s->err_msg = "inflateReset failed";
                return -1;
            }
            s->in_member = 1;
            s->members++;
        }
        size_t want = n - *got;
        uInt chunk = want > ((size_t)1 << 30) ? (uInt)1 << 30 : (uInt)want;
        s->z.next_out = p + *got;
        s->z.avail_out = chunk;
        int r = inflate(&s->z, Z_NO_FLUSH);
        *got += chunk - s->z.avail_out;
        if (r == Z_STREAM_END) {
            s->in_member = 0;
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
            s->err_zlib = r == Z_NEED_DICT ? Z_DATA_ERROR : r;
            s->err_msg = s->z.msg ? s->z.msg : "invalid data";
            /* Not a gzip header where a further member would start. */
            s->junk_after = s->members > 1 && s->z.total_out == 0 && r == Z_DATA_ERROR;
            return -1;
        }
    }
    return s->truncated ? 1 : 0;
}

/* The error for a failed read: I/O errors as such, stream errors as a malformed file. */
static lsnn_status lsnn__stream_error(const char *path, const char *what, const lsnn__src *s)
{
    if (s->err_errno)
        return lsnn_error(LSNN_ERR_IO, "%s: read error in %s: %s", path, what,
                          strerror(s->err_errno));
    if (s->err_zlib == Z_MEM_ERROR)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    if (s->junk_after)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: trailing garbage after the end of the gzip stream",
                          path);
    return lsnn_error(LSNN_ERR_FORMAT, "%s: corrupt gzip data in %s: %s", path, what, s->err_msg);
}

static lsnn_status lsnn__parse(const char *path, lsnn__src *src, lsnn_idx *out)
{
    unsigned char h[4 + 4 * LSNN_IDX_MAX_DIMS];
    size_t got;

    int rc = lsnn__src_read(src, h, 4, &got);
    if (rc < 0)
        return lsnn__stream_error(path, "the header", src);
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
    rc = lsnn__src_read(src, h + 4, need, &got);
    if (rc < 0)
        return lsnn__stream_error(path, "the header", src);
    if (got < need)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated header: %d dimensions need %zu header "
                          "bytes, found %zu%s", path, ndim, 4 + need, 4 + got,
                          rc ? " (gzip stream ends early)" : "");

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

    /* The buffer grows as data arrives, so a lying header on a short file costs no more memory
     * than the file holds. */
    size_t cap = size < ((size_t)1 << 20) ? (size_t)size : (size_t)1 << 20;
    uint8_t *data = malloc(cap);
    got = 0;
    for (;;) {
        size_t more;
        if (!data)
            return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory for %zu bytes", path, cap);
        rc = lsnn__src_read(src, data + got, cap - got, &more);
        got += more;
        if (rc < 0) {
            free(data);
            return lsnn__stream_error(path, "the data", src);
        }
        if (got < cap || cap == size)
            break;
        cap = cap * 2 < size ? cap * 2 : (size_t)size;
        uint8_t *grown = realloc(data, cap);
        if (!grown)
            free(data);
        data = grown;
    }
    if (got < size) {
        free(data);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated: header says %s = %" PRIu64 " bytes, "
                          "found %zu%s", path, ds, size, got,
                          rc ? " (gzip stream ends early)" : "");
    }
    /* Anything after the data is an error; reading on also makes zlib reach the end of the gzip
     * member and check its CRC and length. */
    unsigned char scratch[1 << 14];
    size_t extra = 0;
    while (extra < LSNN__TRAIL_COUNT_MAX) {
        rc = lsnn__src_read(src, scratch, sizeof scratch, &got);
        extra += got;
        if (rc < 0) {
            free(data);
            return lsnn__stream_error(path, extra ? "trailing data" : "the gzip trailer",
                                      src);
        }
        if (got < sizeof scratch)
            break;
    }
    if (extra > 0 || rc) {
        free(data);
        if (extra > 0)
            return lsnn_error(LSNN_ERR_FORMAT, "%s: trailing garbage: %s%zu bytes after the %"
                              PRIu64 " data bytes (%s) the header declares", path,
                              extra >= LSNN__TRAIL_COUNT_MAX ? "at least " : "", extra, size, ds);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: truncated gzip stream: all %" PRIu64 " data "
                          "bytes present but the gzip trailer is missing", path, size);
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
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int e = fstat(fileno(fp), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        fclose(fp);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    lsnn__src src;
    lsnn_status s;
    if (lsnn__src_open(&src, fp) != 0)
        s = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    else if (src.err_errno)
        s = lsnn__stream_error(path, "the header", &src);
    else
        s = lsnn__parse(path, &src, out);
    lsnn__src_close(&src);
    fclose(fp);
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
    if (ld + (size_t)slash + strlen(name) + 4 > cap)
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

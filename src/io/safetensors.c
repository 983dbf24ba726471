/* Safetensors reading and writing (see lsnn/safetensors.h). */
#include "lsnn/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Same cap as the Python implementation: a larger header is hostile, not a model. */
#define LSNN__HEADER_MAX ((uint64_t)100000000)
/* JSON numbers are doubles in cJSON; above 2^53 integers are no longer exact. */
#define LSNN__JSON_INT_MAX 9007199254740992.0

struct lsnn_st_file {
    char *path;            /* for error messages from lsnn_st_read_into */
    unsigned char *buf;    /* the whole file; tensor data points into it */
    lsnn_st_tensor *tensors;
    int n;
    cJSON *meta;           /* detached "__metadata__" object, or NULL */
};

static const struct {
    const char *name;
    size_t size;
} lsnn__dtypes[] = {
    [LSNN_DTYPE_F32] = {"F32", 4}, [LSNN_DTYPE_F64] = {"F64", 8}, [LSNN_DTYPE_U8] = {"U8", 1},
    [LSNN_DTYPE_I32] = {"I32", 4}, [LSNN_DTYPE_I64] = {"I64", 8}, [LSNN_DTYPE_U64] = {"U64", 8},
    [LSNN_DTYPE_I8] = {"I8", 1},
};
#define LSNN__NDTYPES ((unsigned)(sizeof lsnn__dtypes / sizeof lsnn__dtypes[0]))

size_t lsnn_dtype_size(lsnn_dtype dt)
{
    return (unsigned)dt < LSNN__NDTYPES ? lsnn__dtypes[dt].size : 0;
}

const char *lsnn_dtype_name(lsnn_dtype dt)
{
    return (unsigned)dt < LSNN__NDTYPES ? lsnn__dtypes[dt].name : "?";
}

/* Byte size of a tensor; -1 on overflow. A zero dimension makes the product 0 even when the other
 * dimensions would overflow, so it is checked first. Dimensions must already be >= 0. */
static int lsnn__nbytes(const int64_t *shape, int ndim, size_t elem, uint64_t *out)
{
    uint64_t p = elem;
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) {
            *out = 0;
            return 0;
        }
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (p > UINT64_MAX / d)
            return -1;
        p *= d;
    }
    *out = p;
    return 0;
}

static void lsnn__fmt_shape(char *buf, size_t cap, const int64_t *shape, int ndim)
{
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
}

static int lsnn__cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* First duplicated string, or NULL. Sorting keeps hostile headers with many entries O(n log n). */
static const char *lsnn__find_dup(const char **names, size_t n)
{
    if (n < 2)
        return NULL;
    qsort(names, n, sizeof *names, lsnn__cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return names[i];
    return NULL;
}

/* ---------------------------------------------------------------- writing */

static lsnn_status lsnn__check_write(const char *path, const lsnn_st_tensor *t, int n,
                                     const lsnn_st_meta *meta, int n_meta)
{
    for (int i = 0; i < n; i++) {
        uint64_t nb;
        if (!memchr(t[i].name, '\0', LSNN_ST_NAME_MAX))
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor %d: name not NUL-terminated", path, i);
        const char *nm = t[i].name;
        if (strcmp(nm, "__metadata__") == 0)
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor name '__metadata__' is reserved", path);
        if ((unsigned)t[i].dtype >= LSNN__NDTYPES)
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor '%s': invalid dtype %d", path, nm,
                              (int)t[i].dtype);
        if (t[i].ndim < 0 || t[i].ndim > LSNN_ST_MAX_DIMS)
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor '%s': ndim %d not in 0..%d", path, nm,
                              t[i].ndim, LSNN_ST_MAX_DIMS);
        for (int d = 0; d < t[i].ndim; d++)
            if (t[i].shape[d] < 0)
                return lsnn_error(LSNN_ERR_ARG, "%s: tensor '%s': negative dimension %" PRId64,
                                  path, nm, t[i].shape[d]);
        if (lsnn__nbytes(t[i].shape, t[i].ndim, lsnn_dtype_size(t[i].dtype), &nb) != 0 ||
            nb != (uint64_t)t[i].nbytes)
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor '%s': nbytes %zu does not match shape",
                              path, nm, t[i].nbytes);
        if (nb > 0 && !t[i].data)
            return lsnn_error(LSNN_ERR_ARG, "%s: tensor '%s': NULL data", path, nm);
    }
    for (int i = 0; i < n_meta; i++)
        if (!meta[i].key || !meta[i].value)
            return lsnn_error(LSNN_ERR_ARG, "%s: metadata entry %d: NULL key or value", path, i);

    size_t nn = (size_t)(n > n_meta ? n : n_meta);
    const char **names = malloc((nn ? nn : 1) * sizeof *names);
    if (!names)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++)
        names[i] = t[i].name;
    const char *dup = lsnn__find_dup(names, (size_t)n);
    lsnn_status s = LSNN_OK;
    if (dup)
        s = lsnn_error(LSNN_ERR_ARG, "%s: duplicate tensor name '%s'", path, dup);
    for (int i = 0; !s && i < n_meta; i++)
        names[i] = meta[i].key;
    if (!s && (dup = lsnn__find_dup(names, (size_t)n_meta)) != NULL)
        s = lsnn_error(LSNN_ERR_ARG, "%s: duplicate metadata key '%s'", path, dup);
    free(names);
    return s;
}

/* Raw numbers, because cJSON prints doubles >= 1e15 in exponent form, which is not an integer
 * to strict readers such as Python's. */
static int lsnn__add_uint(cJSON *arr, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    cJSON *item = cJSON_CreateRaw(s);
    if (item && cJSON_AddItemToArray(arr, item))
        return 1;
    cJSON_Delete(item);
    return 0;
}

/* The JSON header padded with spaces to a multiple of 8 (malloc'd), or NULL if out of memory. */
static char *lsnn__build_header(const lsnn_st_tensor *t, int n, const lsnn_st_meta *meta,
                                int n_meta, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    uint64_t off = 0;
    for (int i = 0; ok && i < n; i++) {
        cJSON *e = cJSON_AddObjectToObject(root, t[i].name);
        cJSON *shape = NULL, *offs = NULL;
        ok = e && cJSON_AddStringToObject(e, "dtype", lsnn_dtype_name(t[i].dtype)) &&
             (shape = cJSON_AddArrayToObject(e, "shape")) != NULL;
        for (int d = 0; ok && d < t[i].ndim; d++)
            ok = lsnn__add_uint(shape, (uint64_t)t[i].shape[d]);
        ok = ok && (offs = cJSON_AddArrayToObject(e, "data_offsets")) != NULL &&
             lsnn__add_uint(offs, off) && lsnn__add_uint(offs, off + t[i].nbytes);
        off += t[i].nbytes;
    }
    if (ok && n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(m, meta[i].key, meta[i].value) != NULL;
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json)
        return NULL;
    size_t jl = strlen(json), padded = (jl + 7) & ~(size_t)7;
    char *hdr = malloc(padded);
    if (hdr) {
        memcpy(hdr, json, jl);
        memset(hdr + jl, ' ', padded - jl);
        *len = padded;
    }
    cJSON_free(json);
    return hdr;
}

static lsnn_status lsnn__write_file(const char *path, const char *hdr, size_t hlen,
                                    const lsnn_st_tensor *t, int n)
{
    size_t cap = strlen(path) + 32;
    char *tmp = malloc(cap);
    if (!tmp)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    /* Same directory as the target, so rename() is atomic; pid keeps concurrent writers apart. */
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        free(tmp);
        return lsnn_error(LSNN_ERR_IO, "%s: cannot create temporary file: %s", path, strerror(e));
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    errno = 0;
    int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(hdr, 1, hlen, fp) == hlen;
    for (int i = 0; ok && i < n; i++)
        ok = t[i].nbytes == 0 || fwrite(t[i].data, 1, t[i].nbytes, fp) == t[i].nbytes;
    /* fsync before rename: otherwise a crash can leave the new name pointing at empty blocks. */
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    int e = errno;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok)
        remove(tmp);
    free(tmp);
    if (!ok)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path,
                          e ? strerror(e) : "short write");
    return LSNN_OK;
}

lsnn_status lsnn_st_write(const char *path, const lsnn_st_tensor *tensors, int n,
                          const lsnn_st_meta *meta, int n_meta)
{
    if (!path || n < 0 || n_meta < 0 || (n > 0 && !tensors) || (n_meta > 0 && !meta))
        return lsnn_error(LSNN_ERR_ARG, "%s: invalid arguments to lsnn_st_write",
                          path ? path : "(null)");
    lsnn_status s = lsnn__check_write(path, tensors, n, meta, n_meta);
    if (s)
        return s;
    size_t hlen = 0;
    char *hdr = lsnn__build_header(tensors, n, meta, n_meta, &hlen);
    if (!hdr)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory building header", path);
    s = lsnn__write_file(path, hdr, hlen, tensors, n);
    free(hdr);
    return s;
}

/* ---------------------------------------------------------------- reading */

static lsnn_status lsnn__bad_tensor(const char *path, const char *name, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Names are truncated so a hostile 100 MB name cannot crowd out the reason. */
    return lsnn_error(LSNN_ERR_FORMAT, "%s: tensor '%.*s': %s", path, LSNN_ST_NAME_MAX, name, msg);
}

/* An exact non-negative JSON integer (1.0 is accepted: cJSON cannot tell it from 1). */
static int lsnn__json_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j))
        return 0;
    double d = j->valuedouble;
    if (!(d >= 0.0 && d <= LSNN__JSON_INT_MAX) || (double)(uint64_t)d != d)
        return 0;
    *out = (uint64_t)d;
    return 1;
}

static lsnn_status lsnn__parse_tensor(const char *path, const cJSON *e, lsnn_st_tensor *t,
                                      uint64_t range[2], const unsigned char *data, size_t dsize)
{
    const char *nm = e->string;
    if (strlen(nm) >= LSNN_ST_NAME_MAX)
        return lsnn__bad_tensor(path, nm, "name longer than %d bytes", LSNN_ST_NAME_MAX - 1);
    strcpy(t->name, nm);
    if (!cJSON_IsObject(e))
        return lsnn__bad_tensor(path, nm, "entry is not an object");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt))
        return lsnn__bad_tensor(path, nm, "dtype missing or not a string");
    unsigned k = 0;
    while (k < LSNN__NDTYPES && strcmp(dt->valuestring, lsnn__dtypes[k].name) != 0)
        k++;
    if (k == LSNN__NDTYPES)
        return lsnn__bad_tensor(path, nm, "unknown dtype '%.32s'", dt->valuestring);
    t->dtype = (lsnn_dtype)k;
    if (!cJSON_IsArray(shape))
        return lsnn__bad_tensor(path, nm, "shape missing or not an array");
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > LSNN_ST_MAX_DIMS)
        return lsnn__bad_tensor(path, nm, "shape has %d dimensions (max %d)", ndim,
                                LSNN_ST_MAX_DIMS);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        uint64_t v;
        if (!lsnn__json_uint(cJSON_GetArrayItem(shape, d), &v))
            return lsnn__bad_tensor(path, nm, "shape[%d] is not a non-negative integer", d);
        t->shape[d] = (int64_t)v;
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !lsnn__json_uint(cJSON_GetArrayItem(offs, 0), &range[0]) ||
        !lsnn__json_uint(cJSON_GetArrayItem(offs, 1), &range[1]))
        return lsnn__bad_tensor(path, nm, "data_offsets is not two non-negative integers");
    if (range[0] > range[1] || range[1] > dsize)
        return lsnn__bad_tensor(path, nm, "data_offsets [%" PRIu64 ", %" PRIu64
                                "] outside data area of %zu bytes", range[0], range[1], dsize);
    uint64_t nb;
    char sh[256];
    lsnn__fmt_shape(sh, sizeof sh, t->shape, ndim);
    if (lsnn__nbytes(t->shape, ndim, lsnn__dtypes[k].size, &nb) != 0)
        return lsnn__bad_tensor(path, nm, "shape %s overflows", sh);
    if (nb != range[1] - range[0])
        return lsnn__bad_tensor(path, nm, "shape %s %s needs %" PRIu64 " bytes but data_offsets"
                                " span %" PRIu64, sh, lsnn__dtypes[k].name, nb,
                                range[1] - range[0]);
    t->nbytes = (size_t)nb;
    t->data = data + range[0];
    return LSNN_OK;
}

static lsnn_status lsnn__check_meta(const char *path, const cJSON *m)
{
    if (!cJSON_IsObject(m))
        return lsnn_error(LSNN_ERR_FORMAT, "%s: header __metadata__ is not an object", path);
    for (const cJSON *c = m->child; c; c = c->next)
        if (!cJSON_IsString(c))
            return lsnn_error(LSNN_ERR_FORMAT, "%s: header __metadata__ '%.*s': value is not a "
                              "string", path, LSNN_ST_NAME_MAX, c->string);
    int n = cJSON_GetArraySize(m);
    const char **keys = malloc((size_t)(n ? n : 1) * sizeof *keys);
    if (!keys)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    int i = 0;
    for (const cJSON *c = m->child; c; c = c->next)
        keys[i++] = c->string;
    const char *dup = lsnn__find_dup(keys, (size_t)n);
    lsnn_status s = dup ? lsnn_error(LSNN_ERR_FORMAT, "%s: header __metadata__: duplicate key "
                                     "'%.*s'", path, LSNN_ST_NAME_MAX, dup) : LSNN_OK;
    free(keys);
    return s;
}

typedef struct {
    uint64_t begin, end;
    int idx;
} lsnn__range;

static int lsnn__cmp_range(const void *a, const void *b)
{
    const lsnn__range *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Validates all entries of the header object and fills f->tensors / f->meta. */
static lsnn_status lsnn__parse_entries(lsnn_st_file *f, cJSON *root, const unsigned char *data,
                                       size_t dsize)
{
    int total = cJSON_GetArraySize(root);
    cJSON *meta = NULL;
    const char **names = malloc((size_t)(total ? total : 1) * sizeof *names);
    f->tensors = calloc((size_t)(total ? total : 1), sizeof *f->tensors);
    lsnn__range *ranges = malloc((size_t)(total ? total : 1) * sizeof *ranges);
    lsnn_status s = LSNN_OK;
    if (!names || !f->tensors || !ranges)
        s = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", f->path);
    int i = 0;
    for (cJSON *c = root->child; !s && c; c = c->next)
        names[i++] = c->string;
    const char *dup = s ? NULL : lsnn__find_dup(names, (size_t)total);
    if (dup)
        s = lsnn__bad_tensor(f->path, dup, "duplicate name");
    for (cJSON *c = root->child; !s && c; c = c->next) {
        if (strcmp(c->string, "__metadata__") == 0) {
            s = lsnn__check_meta(f->path, c);
            meta = c;
            continue;
        }
        uint64_t r[2];
        s = lsnn__parse_tensor(f->path, c, &f->tensors[f->n], r, data, dsize);
        ranges[f->n] = (lsnn__range){r[0], r[1], f->n};
        f->n++;
    }
    /* After sorting by begin, any overlap shows up between neighbouring non-empty ranges.
     * Empty tensors occupy no bytes and may sit anywhere. */
    if (!s && f->n > 1)
        qsort(ranges, (size_t)f->n, sizeof *ranges, lsnn__cmp_range);
    /* As the format asks (and the reference implementation checks), the tensors tile the data
     * area: no overlap, no gap, nothing after the last one. */
    const lsnn__range *prev = NULL;
    for (int k = 0; !s && k < f->n; k++) {
        if (ranges[k].begin == ranges[k].end)
            continue;
        if (prev && ranges[k].begin < prev->end)
            s = lsnn__bad_tensor(f->path, f->tensors[ranges[k].idx].name, "data_offsets [%"
                                 PRIu64 ", %" PRIu64 "] overlap tensor '%s'", ranges[k].begin,
                                 ranges[k].end, f->tensors[prev->idx].name);
        else if (ranges[k].begin != (prev ? prev->end : 0))
            s = lsnn__bad_tensor(f->path, f->tensors[ranges[k].idx].name,
                                 "data_offsets [%" PRIu64 ", %" PRIu64 "] leave bytes %" PRIu64
                                 "..%" PRIu64 " of the data area unused",
                                 ranges[k].begin, ranges[k].end, prev ? prev->end : 0,
                                 ranges[k].begin - 1);
        prev = &ranges[k];
    }
    const uint64_t used = prev ? prev->end : 0;
    if (!s && used != dsize)
        s = lsnn_error(LSNN_ERR_FORMAT,
                       "%s: %" PRIu64 " byte%s after the last tensor's data (data area of %zu "
                       "bytes, tensors use %" PRIu64 "): truncated header or trailing garbage",
                       f->path, (uint64_t)dsize - used, dsize - used == 1 ? "" : "s", dsize, used);
    if (!s && meta)
        f->meta = cJSON_DetachItemViaPointer(root, meta);
    free(names);
    free(ranges);
    return s;
}

static lsnn_status lsnn__read_all(const char *path, size_t max_bytes, unsigned char **out,
                                  size_t *size)
{
    uint64_t limit = max_bytes ? (uint64_t)max_bytes : (uint64_t)4 << 30;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    lsnn_status s = LSNN_OK;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
        s = lsnn_error(LSNN_ERR_IO, "%s: not a regular file", path);
    else if ((uint64_t)st.st_size > limit || (uint64_t)st.st_size > SIZE_MAX)
        s = lsnn_error(LSNN_ERR_FORMAT, "%s: file size %lld exceeds limit %" PRIu64, path,
                       (long long)st.st_size, limit);
    else if (!(*out = malloc(st.st_size ? (size_t)st.st_size : 1)))
        s = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory reading %lld bytes", path,
                       (long long)st.st_size);
    else if (fread(*out, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
        s = lsnn_error(LSNN_ERR_IO, "%s: short read", path);
    *size = (size_t)st.st_size;
    fclose(fp);
    return s;
}

static lsnn_status lsnn__parse_file(lsnn_st_file *f, size_t size)
{
    const char *p = f->path;
    if (size < 8)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: header length field truncated (file size %zu)",
                          p, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | f->buf[i];
    if (hlen > size - 8)
        return lsnn_error(LSNN_ERR_FORMAT,
                          "%s: not a safetensors file, or a truncated one: its first 8 bytes give "
                          "a header length of %" PRIu64 ", beyond the file size %zu",
                          p, hlen, size);
    if (hlen > LSNN__HEADER_MAX)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: header length %" PRIu64 " exceeds limit %" PRIu64,
                          p, hlen, LSNN__HEADER_MAX);
    const char *h = (const char *)f->buf + 8, *end = NULL;
    /* Python's reader insists on '{' first; this also rules out a BOM, which cJSON would skip. */
    if (hlen == 0 || h[0] != '{')
        return lsnn_error(LSNN_ERR_FORMAT, "%s: header does not start with '{'", p);
    cJSON *root = cJSON_ParseWithLengthOpts(h, (size_t)hlen, &end, 0);
    if (!root)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: header is not valid JSON (error at byte %td)", p,
                          end ? end - h : (ptrdiff_t)0);
    lsnn_status s = LSNN_OK;
    for (const char *q = end; !s && q < h + hlen; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
            s = lsnn_error(LSNN_ERR_FORMAT, "%s: header has trailing bytes after the JSON", p);
    if (!s && !cJSON_IsObject(root))
        s = lsnn_error(LSNN_ERR_FORMAT, "%s: header is not a JSON object", p);
    if (!s)
        s = lsnn__parse_entries(f, root, f->buf + 8 + hlen, size - 8 - (size_t)hlen);
    cJSON_Delete(root);
    return s;
}

lsnn_st_file *lsnn_st_open(const char *path, size_t max_bytes, lsnn_status *status)
{
    lsnn_status s;
    size_t size = 0;
    lsnn_st_file *f = path ? calloc(1, sizeof *f) : NULL;
    if (!path)
        s = lsnn_error(LSNN_ERR_ARG, "lsnn_st_open: NULL path");
    else if (!f || !(f->path = malloc(strlen(path) + 1)))
        s = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    else {
        strcpy(f->path, path);
        s = lsnn__read_all(path, max_bytes, &f->buf, &size);
        if (!s)
            s = lsnn__parse_file(f, size);
    }
    if (status)
        *status = s;
    if (s) {
        lsnn_st_close(f);
        return NULL;
    }
    return f;
}

void lsnn_st_close(lsnn_st_file *f)
{
    if (!f)
        return;
    cJSON_Delete(f->meta);
    free(f->tensors);
    free(f->buf);
    free(f->path);
    free(f);
}

int lsnn_st_count(const lsnn_st_file *f)
{
    return f ? f->n : 0;
}

const lsnn_st_tensor *lsnn_st_at(const lsnn_st_file *f, int i)
{
    return f && i >= 0 && i < f->n ? &f->tensors[i] : NULL;
}

const lsnn_st_tensor *lsnn_st_find(const lsnn_st_file *f, const char *name)
{
    for (int i = 0; f && name && i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *lsnn_st_meta_get(const lsnn_st_file *f, const char *key)
{
    if (!f || !f->meta || !key)
        return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->meta, key);
    return v ? v->valuestring : NULL;
}

lsnn_status lsnn_st_read_into(const lsnn_st_file *f, const char *name, lsnn_dtype dt, void *dst,
                              size_t count)
{
    if (!f || !name || (unsigned)dt >= LSNN__NDTYPES || (count > 0 && !dst))
        return lsnn_error(LSNN_ERR_ARG, "lsnn_st_read_into: invalid arguments");
    const lsnn_st_tensor *t = lsnn_st_find(f, name);
    if (!t)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: missing tensor '%s'", f->path, name);
    if (t->dtype != dt || t->nbytes / lsnn_dtype_size(t->dtype) != count) {
        char sh[256];
        lsnn__fmt_shape(sh, sizeof sh, t->shape, t->ndim);
        return lsnn_error(LSNN_ERR_SHAPE, "%s: tensor '%s': expected %zu elements of %s, found "
                          "shape %s %s", f->path, name, count, lsnn_dtype_name(dt), sh,
                          lsnn_dtype_name(t->dtype));
    }
    if (t->nbytes > 0)
        memcpy(dst, t->data, t->nbytes);
    return LSNN_OK;
}

lsnn_status lsnn_st_read_shaped(const lsnn_st_file *f, const char *name, lsnn_dtype dt, void *dst,
                                int ndim, const int64_t *shape)
{
    if (!f || !name || !shape || ndim < 1 || ndim > LSNN_ST_MAX_DIMS)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_st_read_shaped: invalid arguments");
    size_t count = 1;
    int same = 1;
    const lsnn_st_tensor *t = lsnn_st_find(f, name);
    for (int k = 0; k < ndim; k++) {
        count *= (size_t)shape[k];
        same &= t && k < t->ndim && t->shape[k] == shape[k];
    }
    /* Missing tensors, other dtypes and element counts: lsnn_st_read_into's messages. */
    if (t && t->dtype == dt && !(same && t->ndim == ndim)) {
        char want[256], got[256];
        lsnn__fmt_shape(want, sizeof want, shape, ndim);
        lsnn__fmt_shape(got, sizeof got, t->shape, t->ndim);
        return lsnn_error(LSNN_ERR_SHAPE, "%s: tensor '%s': expected shape %s, found %s",
                          f->path, name, want, got);
    }
    return lsnn_st_read_into(f, name, dt, dst, count);
}

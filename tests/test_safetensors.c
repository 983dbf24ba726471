/* Tests for src/io/safetensors.c: round trips, exact byte layout, and hostile files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lsnn/safetensors.h"

/* A unique file name under the build directory (tests may run in parallel). */
static const char *tmp_path(const char *tag)
{
    static char buf[8][1024];
    static int k;
    const char *dir = getenv("LSNN_BINARY_DIR");
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/test_st_%ld_%s.safetensors", dir ? dir : ".", (long)getpid(), tag);
    return p;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char *b = malloc(1 << 16);
    assert_non_null(b);
    *n = fread(b, 1, 1 << 16, fp);
    fclose(fp);
    return b;
}

/* A file with an explicit length field, header text and data (for hand-written hostile files). */
static void write_raw_len(const char *path, uint64_t hlen, const char *hdr, const void *data,
                          size_t dlen)
{
    size_t hl = strlen(hdr);
    unsigned char *b = malloc(8 + hl + dlen + 1);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(b + 8, hdr, hl);
    if (dlen)
        memcpy(b + 8 + hl, data, dlen);
    write_bytes(path, b, 8 + hl + dlen);
    free(b);
}

static void write_raw(const char *path, const char *hdr, size_t dlen)
{
    unsigned char zeros[64] = {0};
    check_le(dlen, sizeof zeros);
    write_raw_len(path, strlen(hdr), hdr, zeros, dlen);
}

/* Opens path expecting LSNN_ERR_FORMAT with `needle` in the message. */
static void expect_format(const char *path, const char *needle)
{
    lsnn_status s = LSNN_OK;
    lsnn_st_file *f = lsnn_st_open(path, 0, &s);
    if (f || s != LSNN_ERR_FORMAT || !strstr(lsnn_last_error(), needle))
        print_error("file %s: status %d, message '%s', wanted '%s'\n", path, (int)s,
                    lsnn_last_error(), needle);
    assert_null(f);
    assert_int_equal(s, LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), needle));
    assert_non_null(strstr(lsnn_last_error(), path));
}

static lsnn_st_tensor mk(const char *name, lsnn_dtype dt, int ndim, const int64_t *shape,
                         const void *data)
{
    lsnn_st_tensor t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    t.dtype = dt;
    t.ndim = ndim;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        t.shape[i] = shape[i];
        n *= (size_t)shape[i];
    }
    t.data = data;
    t.nbytes = n * lsnn_dtype_size(dt);
    return t;
}

static void test_dtypes(void **state)
{
    (void)state;
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_F32), 4);
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_F64), 8);
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_U8), 1);
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_I32), 4);
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_I64), 8);
    assert_int_equal(lsnn_dtype_size(LSNN_DTYPE_U64), 8);
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_F32), "F32");
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_F64), "F64");
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_U8), "U8");
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_I32), "I32");
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_I64), "I64");
    assert_string_equal(lsnn_dtype_name(LSNN_DTYPE_U64), "U64");
}

static void test_roundtrip(void **state)
{
    (void)state;
    const char *path = tmp_path("rt");
    float w[6] = {1.5f, -2.25f, 3e-38f, 1e30f, 0.0f, -0.0f};
    double d[4] = {0.1, -1e300, 4.9e-324, 3.0};
    uint8_t u8[6] = {0, 1, 127, 128, 254, 255};
    int32_t scalar = -123456789;
    uint64_t u64[2] = {UINT64_MAX, 42};
    int64_t sh23[] = {2, 3}, sh4[] = {4}, sh312[] = {3, 1, 2}, sh05[] = {0, 5}, sh2[] = {2};
    lsnn_st_tensor ts[6] = {
        mk("w_rec", LSNN_DTYPE_F32, 2, sh23, w),   mk("d", LSNN_DTYPE_F64, 1, sh4, d),
        mk("bytes", LSNN_DTYPE_U8, 3, sh312, u8),  mk("scalar", LSNN_DTYPE_I32, 0, NULL, &scalar),
        mk("empty", LSNN_DTYPE_I64, 2, sh05, NULL), mk("big", LSNN_DTYPE_U64, 1, sh2, u64),
    };
    lsnn_st_meta meta[2] = {{"format", "lsnn"}, {"note", "quote \" and \\ and \xc3\xa9"}};
    assert_int_equal(lsnn_st_write(path, ts, 6, meta, 2), LSNN_OK);

    lsnn_status s = LSNN_ERR_IO;
    lsnn_st_file *f = lsnn_st_open(path, 0, &s);
    assert_non_null(f);
    assert_int_equal(s, LSNN_OK);
    assert_int_equal(lsnn_st_count(f), 6);
    for (int i = 0; i < 6; i++) {
        const lsnn_st_tensor *t = lsnn_st_at(f, i);
        assert_non_null(t);
        assert_string_equal(t->name, ts[i].name);
        assert_int_equal(t->dtype, ts[i].dtype);
        assert_int_equal(t->ndim, ts[i].ndim);
        for (int k = 0; k < t->ndim; k++)
            assert_int_equal(t->shape[k], ts[i].shape[k]);
        assert_int_equal(t->nbytes, ts[i].nbytes);
        if (t->nbytes)
            assert_memory_equal(t->data, ts[i].data, t->nbytes);
    }
    assert_null(lsnn_st_at(f, 6));
    assert_null(lsnn_st_at(f, -1));
    assert_ptr_equal(lsnn_st_find(f, "d"), lsnn_st_at(f, 1));
    assert_null(lsnn_st_find(f, "nope"));
    assert_string_equal(lsnn_st_meta_get(f, "format"), "lsnn");
    assert_string_equal(lsnn_st_meta_get(f, "note"), meta[1].value);
    assert_null(lsnn_st_meta_get(f, "missing"));

    float w2[6];
    double d2[4];
    int32_t sc2 = 0;
    uint64_t u2[2];
    assert_int_equal(lsnn_st_read_into(f, "w_rec", LSNN_DTYPE_F32, w2, 6), LSNN_OK);
    assert_memory_equal(w2, w, sizeof w);
    check_eq(w2[1], -2.25f);
    assert_int_equal(lsnn_st_read_into(f, "d", LSNN_DTYPE_F64, d2, 4), LSNN_OK);
    check_eq(d2[0], 0.1);
    check_eq(d2[1], -1e300);
    check_eq(d2[2], 4.9e-324);
    check_eq(d2[3], 3.0);
    assert_int_equal(lsnn_st_read_into(f, "scalar", LSNN_DTYPE_I32, &sc2, 1), LSNN_OK);
    assert_int_equal(sc2, -123456789);
    assert_int_equal(lsnn_st_read_into(f, "empty", LSNN_DTYPE_I64, NULL, 0), LSNN_OK);
    assert_int_equal(lsnn_st_read_into(f, "big", LSNN_DTYPE_U64, u2, 2), LSNN_OK);
    assert_int_equal(u2[0], UINT64_MAX);
    assert_int_equal(u2[1], 42);
    lsnn_st_close(f);
    remove(path);
}

static void test_empty_and_no_meta(void **state)
{
    (void)state;
    const char *path = tmp_path("empty");
    assert_int_equal(lsnn_st_write(path, NULL, 0, NULL, 0), LSNN_OK);
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    assert_int_equal(n, 16); /* "{}" padded to 8 */
    assert_int_equal(b[0], 8);
    assert_memory_equal(b + 8, "{}      ", 8);
    free(b);
    lsnn_status s;
    lsnn_st_file *f = lsnn_st_open(path, 0, &s);
    assert_non_null(f);
    assert_int_equal(lsnn_st_count(f), 0);
    assert_null(lsnn_st_meta_get(f, "format"));
    lsnn_st_close(f);
    remove(path);
}

/* The exact bytes Python's safetensors produces/accepts for a one-tensor file. */
static void test_byte_layout(void **state)
{
    (void)state;
    const char *path = tmp_path("layout");
    float v[2] = {1.0f, -2.0f};
    int64_t sh[] = {2};
    lsnn_st_tensor t = mk("a", LSNN_DTYPE_F32, 1, sh, v);
    assert_int_equal(lsnn_st_write(path, &t, 1, NULL, 0), LSNN_OK);
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    const char *json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t jl = strlen(json), hl = (jl + 7) / 8 * 8;
    assert_int_equal(hl, 56);
    assert_int_equal(n, 8 + hl + 8);
    const unsigned char len8[8] = {56, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(b, len8, 8);
    assert_int_equal(b[8], '{');
    assert_memory_equal(b + 8, json, jl);
    for (size_t i = jl; i < hl; i++)
        assert_int_equal(b[8 + i], ' ');
    const unsigned char data[8] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    assert_memory_equal(b + 8 + hl, data, 8);
    free(b);

    /* As Python writes it: __metadata__ first, I32 data, padded header. */
    const char *py = "{\"__metadata__\":{\"format\":\"pt\"},\"x\":{\"dtype\":\"I32\",\"shape\":[2,1],"
                     "\"data_offsets\":[0,8]}} ";
    const unsigned char xd[8] = {7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal((8 + strlen(py)) % 8, 0);
    write_raw_len(path, strlen(py), py, xd, 8);
    lsnn_status s;
    lsnn_st_file *f = lsnn_st_open(path, 0, &s);
    assert_non_null(f);
    int32_t x[2];
    assert_int_equal(lsnn_st_read_into(f, "x", LSNN_DTYPE_I32, x, 2), LSNN_OK);
    assert_int_equal(x[0], 7);
    assert_int_equal(x[1], -1);
    assert_string_equal(lsnn_st_meta_get(f, "format"), "pt");
    lsnn_st_close(f);
    remove(path);
}

static void test_truncated(void **state)
{
    (void)state;
    const char *path = tmp_path("full"), *cut = tmp_path("cut");
    float a[3] = {1, 2, 3};
    uint8_t u[5] = {1, 2, 3, 4, 5};
    int64_t sh3[] = {3}, sh5[] = {5};
    lsnn_st_tensor ts[2] = {mk("a", LSNN_DTYPE_F32, 1, sh3, a), mk("u", LSNN_DTYPE_U8, 1, sh5, u)};
    lsnn_st_meta m = {"k", "v"};
    assert_int_equal(lsnn_st_write(path, ts, 2, &m, 1), LSNN_OK);
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    for (size_t len = 0; len < n; len++) {
        write_bytes(cut, b, len);
        lsnn_status s = LSNN_OK;
        lsnn_st_file *f = lsnn_st_open(cut, 0, &s);
        if (f)
            print_error("truncated to %zu of %zu bytes was accepted\n", len, n);
        assert_null(f);
        assert_int_equal(s, LSNN_ERR_FORMAT);
    }
    write_bytes(cut, b, n);
    lsnn_st_file *f = lsnn_st_open(cut, 0, NULL);
    assert_non_null(f);
    lsnn_st_close(f);
    /* max_bytes: exactly the size passes, one less fails. */
    f = lsnn_st_open(cut, n, NULL);
    assert_non_null(f);
    lsnn_st_close(f);
    lsnn_status s;
    assert_null(lsnn_st_open(cut, n - 1, &s));
    assert_int_equal(s, LSNN_ERR_FORMAT);
    free(b);
    remove(path);
    remove(cut);
}

static void test_header_length_lies(void **state)
{
    (void)state;
    const char *path = tmp_path("hlen");
    const char *hdr = "{}      ";
    write_raw_len(path, UINT64_MAX, hdr, NULL, 0);
    expect_format(path, "header length of 18446744073709551615, beyond the file size 16");
    write_raw_len(path, 9, hdr, NULL, 0);
    expect_format(path, "header length of 9, beyond the file size 16");
    write_raw_len(path, 200000000, hdr, NULL, 0);
    expect_format(path, "not a safetensors file, or a truncated one");
    write_raw_len(path, 0, hdr, NULL, 0);
    expect_format(path, "header does not start with '{'");

    /* A header length inside the file but over the 100 MB cap (sparse file, so cheap on disk). */
    write_raw_len(path, 100000001, "{", NULL, 0);
    assert_int_equal(truncate(path, 8 + 100000001), 0);
    expect_format(path, "header length 100000001 exceeds limit");
    remove(path);

    lsnn_status s;
    assert_null(lsnn_st_open(tmp_path("does_not_exist"), 0, &s));
    assert_int_equal(s, LSNN_ERR_IO);
    const char *dir = getenv("LSNN_BINARY_DIR");
    assert_null(lsnn_st_open(dir ? dir : ".", 0, &s));
    assert_int_equal(s, LSNN_ERR_IO);
}

#define T(name, body) "\"" name "\":{" body "}"

static void test_bad_offsets(void **state)
{
    (void)state;
    const char *p = tmp_path("offs");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]") "}", 4);
    expect_format(p, "tensor 'a': data_offsets [0, 8] outside data area of 4 bytes");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets [8, 4] outside");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9,9]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets [9, 9] outside");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two non-negative integers");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4.5]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e300]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets is not two");
    remove(p);
}

static void test_overlap(void **state)
{
    (void)state;
    const char *p = tmp_path("overlap");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]") ","
                 T("b", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]") "}", 12);
    expect_format(p, "tensor 'b': data_offsets [4, 12] overlap tensor 'a'");
    write_raw(p, "{" T("a", "\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]") ","
                 T("b", "\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "overlap tensor");
    /* Listed in reverse order, and the overlap is with a non-neighbour in header order. */
    write_raw(p, "{" T("c", "\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[12,16]") ","
                 T("b", "\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]") ","
                 T("a", "\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]") "}", 16);
    expect_format(p, "overlap tensor 'a'");
    /* Empty tensors take no bytes, so they overlap nothing. */
    write_raw(p, "{" T("a", "\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]") ","
                 T("e", "\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]") "}", 8);
    lsnn_st_file *f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    assert_int_equal(lsnn_st_count(f), 2);
    assert_int_equal(lsnn_st_find(f, "e")->nbytes, 0);
    lsnn_st_close(f);
    remove(p);
}

/* The tensors must tile the data area: a gap between two, or bytes after the last, mean the
 * header and the data do not belong together. */
static void test_data_coverage(void **state)
{
    (void)state;
    const char *p = tmp_path("cover");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]") "}", 12);
    expect_format(p, "4 bytes after the last tensor's data (data area of 12 bytes, tensors use 8)");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]") ","
                 T("b", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]") "}", 12);
    expect_format(p, "tensor 'b': data_offsets [8, 12] leave bytes 4..7 of the data area unused");
    write_raw(p, "{" T("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]") "}", 8);
    expect_format(p, "tensor 'a': data_offsets [4, 8] leave bytes 0..3");
    /* Only empty tensors: an empty data area. */
    write_raw(p, "{" T("e", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]") "}", 1);
    expect_format(p, "1 byte after the last tensor's data");
    remove(p);
}

static void test_bad_shape(void **state)
{
    (void)state;
    const char *p = tmp_path("shape");
    write_raw(p, "{" T("w", "\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "tensor 'w': shape [3] F32 needs 12 bytes but data_offsets span 8");
    write_raw(p, "{" T("w", "\"dtype\":\"F64\",\"shape\":[2,1],\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "tensor 'w': shape [2, 1] F64 needs 16 bytes");
    write_raw(p, "{" T("w", "\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "tensor 'w': shape[0] is not a non-negative integer");
    write_raw(p, "{" T("w", "\"dtype\":\"F32\",\"shape\":[1,2.5],\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "tensor 'w': shape[1] is not");
    write_raw(p, "{" T("w", "\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]") "}", 8);
    expect_format(p, "tensor 'w': shape missing or not an array");
    write_raw(p, "{" T("w", "\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]")
                 "}", 8);
    expect_format(p, "tensor 'w': shape has 9 dimensions (max 8)");
    write_raw(p, "{" T("w", "\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                            "\"data_offsets\":[0,0]") "}", 8);
    expect_format(p, "tensor 'w': shape [4294967296, 4294967296] overflows");
    /* A zero dimension makes the product 0 however large the others are. */
    write_raw(p, "{" T("w", "\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,0],"
                            "\"data_offsets\":[0,0]") "}", 0);
    lsnn_st_file *f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    assert_int_equal(lsnn_st_at(f, 0)->shape[1], 4294967296LL);
    lsnn_st_close(f);
    remove(p);
}

static void test_bad_dtype_and_json(void **state)
{
    (void)state;
    const char *p = tmp_path("json");
    write_raw(p, "{" T("w", "\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]") "}", 4);
    expect_format(p, "tensor 'w': unknown dtype 'BF16'");
    write_raw(p, "{" T("w", "\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]") "}", 4);
    expect_format(p, "tensor 'w': unknown dtype 'f32'");
    write_raw(p, "{" T("w", "\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]") "}", 4);
    expect_format(p, "tensor 'w': dtype missing or not a string");
    write_raw(p, "{\"w\":5}", 0);
    expect_format(p, "tensor 'w': entry is not an object");
    write_raw(p, "[1,2]   ", 0);
    expect_format(p, "header does not start with '{'");
    write_raw(p, " {}     ", 0);
    expect_format(p, "header does not start with '{'");
    write_raw(p, "{\"a\":   ", 0);
    expect_format(p, "header is not valid JSON");
    write_raw(p, "{} x    ", 0);
    expect_format(p, "header has trailing bytes");
    write_raw(p, "{}\n\t    ", 0);
    lsnn_st_file *f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    lsnn_st_close(f);
    /* Names and metadata. */
    write_raw(p, "{" T("a", "\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]") ","
                 T("a", "\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]") "}", 2);
    expect_format(p, "tensor 'a': duplicate name");
    write_raw(p, "{\"__metadata__\":{},\"__metadata__\":{}}", 0);
    expect_format(p, "tensor '__metadata__': duplicate name");
    write_raw(p, "{\"__metadata__\":{\"k\":1}}", 0);
    expect_format(p, "header __metadata__ 'k': value is not a string");
    write_raw(p, "{\"__metadata__\":[]}", 0);
    expect_format(p, "header __metadata__ is not an object");
    write_raw(p, "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0);
    expect_format(p, "header __metadata__: duplicate key 'k'");
    char hdr[400], name[200];
    memset(name, 'n', sizeof name);
    name[LSNN_ST_NAME_MAX] = '\0'; /* one too long */
    snprintf(hdr, sizeof hdr, "{\"%s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}",
             name);
    write_raw(p, hdr, 1);
    expect_format(p, "name longer than 127 bytes");
    name[LSNN_ST_NAME_MAX - 1] = '\0';
    snprintf(hdr, sizeof hdr, "{\"%s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}",
             name);
    write_raw(p, hdr, 1);
    f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    assert_non_null(lsnn_st_find(f, name));
    lsnn_st_close(f);
    remove(p);
}

static void test_read_into_errors(void **state)
{
    (void)state;
    const char *p = tmp_path("readinto");
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t sh[] = {2, 3};
    lsnn_st_tensor t = mk("w", LSNN_DTYPE_F32, 2, sh, w);
    assert_int_equal(lsnn_st_write(p, &t, 1, NULL, 0), LSNN_OK);
    lsnn_st_file *f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    double d[6];
    float x[7] = {9, 9, 9, 9, 9, 9, 9};
    char want[1200];
    assert_int_equal(lsnn_st_read_into(f, "w", LSNN_DTYPE_F64, d, 6), LSNN_ERR_SHAPE);
    snprintf(want, sizeof want, "%s: tensor 'w': expected 6 elements of F64, found shape [2, 3] F32",
             p);
    assert_string_equal(lsnn_last_error(), want);
    assert_int_equal(lsnn_st_read_into(f, "w", LSNN_DTYPE_F32, x, 7), LSNN_ERR_SHAPE);
    snprintf(want, sizeof want, "%s: tensor 'w': expected 7 elements of F32, found shape [2, 3] F32",
             p);
    assert_string_equal(lsnn_last_error(), want);
    check_eq(x[0], 9.0f); /* nothing copied on error */
    assert_int_equal(lsnn_st_read_into(f, "nope", LSNN_DTYPE_F32, x, 6), LSNN_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: missing tensor 'nope'", p);
    assert_string_equal(lsnn_last_error(), want);
    assert_int_equal(lsnn_st_read_into(f, "w", LSNN_DTYPE_F32, x, 6), LSNN_OK);
    check_eq(x[5], 6.0f);
    check_eq(x[6], 9.0f);
    lsnn_st_close(f);
    remove(p);
}

static void test_write_args(void **state)
{
    (void)state;
    const char *p = tmp_path("args");
    remove(p);
    float v[4] = {0};
    int64_t sh[] = {4}, neg[] = {-1};
    lsnn_st_tensor ts[2] = {mk("a", LSNN_DTYPE_F32, 1, sh, v), mk("a", LSNN_DTYPE_F32, 1, sh, v)};
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "duplicate tensor name 'a'"));
    ts[1].nbytes = 12;
    snprintf(ts[1].name, sizeof ts[1].name, "b");
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "tensor 'b': nbytes 12 does not match shape"));
    ts[1] = mk("b", LSNN_DTYPE_F32, 1, sh, v);
    ts[1].ndim = LSNN_ST_MAX_DIMS + 1;
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1].ndim = -1;
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("b", LSNN_DTYPE_F32, 1, sh, v);
    ts[1].shape[0] = neg[0];
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("b", (lsnn_dtype)99, 1, sh, v);
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("b", LSNN_DTYPE_F32, 1, sh, NULL);
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("__metadata__", LSNN_DTYPE_F32, 1, sh, v);
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("b", LSNN_DTYPE_F32, 1, sh, v);
    memset(ts[1].name, 'x', sizeof ts[1].name);
    assert_int_equal(lsnn_st_write(p, ts, 2, NULL, 0), LSNN_ERR_ARG);
    ts[1] = mk("b", LSNN_DTYPE_F32, 1, sh, v);
    lsnn_st_meta m[2] = {{"k", "1"}, {"k", "2"}};
    assert_int_equal(lsnn_st_write(p, ts, 2, m, 2), LSNN_ERR_ARG);
    m[1].value = NULL;
    assert_int_equal(lsnn_st_write(p, ts, 2, m, 1), LSNN_OK); /* only the first entry is used */
    assert_int_equal(lsnn_st_write(p, ts, -1, NULL, 0), LSNN_ERR_ARG);
    assert_int_equal(lsnn_st_write(p, NULL, 1, NULL, 0), LSNN_ERR_ARG);
    assert_int_equal(remove(p), 0); /* only the valid call created it */
    assert_int_equal(remove(p), -1);
}

static void test_atomic_write(void **state)
{
    (void)state;
    const char *p = tmp_path("atomic");
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    int32_t a = 1, b[3] = {2, 3, 4};
    int64_t sh3[] = {3};
    lsnn_st_tensor ta = mk("a", LSNN_DTYPE_I32, 0, NULL, &a);
    lsnn_st_tensor tb = mk("b", LSNN_DTYPE_I32, 1, sh3, b);
    assert_int_equal(lsnn_st_write(p, &ta, 1, NULL, 0), LSNN_OK);
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(lsnn_st_write(p, &tb, 1, NULL, 0), LSNN_OK);
    assert_int_equal(stat(tmp, &st), -1);
    lsnn_st_file *f = lsnn_st_open(p, 0, NULL);
    assert_non_null(f);
    assert_int_equal(lsnn_st_count(f), 1);
    assert_null(lsnn_st_find(f, "a"));
    int32_t got[3];
    assert_int_equal(lsnn_st_read_into(f, "b", LSNN_DTYPE_I32, got, 3), LSNN_OK);
    assert_int_equal(got[2], 4);
    lsnn_st_close(f);
    remove(p);

    /* Unwritable target: IO error naming the path, no temporary left behind. */
    char bad[1100];
    snprintf(bad, sizeof bad, "%s.nodir/x.safetensors", p);
    assert_int_equal(lsnn_st_write(bad, &ta, 1, NULL, 0), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), bad));
    assert_non_null(strstr(lsnn_last_error(), "No such file or directory"));
    /* rename() onto a directory fails after the temporary was written: it must be removed. */
    snprintf(bad, sizeof bad, "%s", tmp_path("isdir"));
    assert_int_equal(mkdir(bad, 0700), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", bad, (long)getpid());
    assert_int_equal(lsnn_st_write(bad, &ta, 1, NULL, 0), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), bad));
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(rmdir(bad), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtypes),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_empty_and_no_meta),
        cmocka_unit_test(test_byte_layout),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_header_length_lies),
        cmocka_unit_test(test_bad_offsets),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_data_coverage),
        cmocka_unit_test(test_bad_shape),
        cmocka_unit_test(test_bad_dtype_and_json),
        cmocka_unit_test(test_read_into_errors),
        cmocka_unit_test(test_write_args),
        cmocka_unit_test(test_atomic_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

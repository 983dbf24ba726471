/* Tests for src/data/idx.c: IDX round trips (plain and gzip), hostile and broken files, and
 * MNIST-style directories. */
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
#include <zlib.h>

#include "lsnn/idx.h"
#include "lsnn/sha256.h"

/* A unique path under the build directory (tests may run in parallel). */
static const char *tmp_path(const char *tag)
{
    static char buf[8][1024];
    static int k;
    const char *dir = getenv("LSNN_BINARY_DIR");
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/test_idx_%ld_%s", dir ? dir : ".", (long)getpid(), tag);
    return p;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void write_gz(const char *path, const void *b, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    if (n > 0)
        assert_int_equal(gzwrite(gz, b, (unsigned)n), (int)n);
    assert_int_equal(gzclose(gz), Z_OK);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long len = ftell(fp);
    check_ge(len, 0);
    rewind(fp);
    unsigned char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

/* An IDX file image: magic 00 00 type ndim, big-endian dims, then payload (nbytes of it). */
static unsigned char *make_idx(int type, int ndim, const uint32_t *dims, const void *payload,
                               size_t nbytes, size_t *len)
{
    size_t hl = 4 + 4 * (size_t)ndim;
    unsigned char *b = malloc(hl + nbytes + 1);
    assert_non_null(b);
    b[0] = 0;
    b[1] = 0;
    b[2] = (unsigned char)type;
    b[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        for (int j = 0; j < 4; j++)
            b[4 + 4 * i + j] = (unsigned char)(dims[i] >> (24 - 8 * j));
    if (nbytes)
        memcpy(b + hl, payload, nbytes);
    *len = hl + nbytes;
    return b;
}

/* Reads path expecting status want; the message must name the file and contain `needle`. */
static void expect_fail(const char *path, lsnn_status want, const char *needle)
{
    lsnn_idx x;
    lsnn_status s = lsnn_idx_read(path, &x);
    if (s != want || !strstr(lsnn_last_error(), path) || (needle && !strstr(lsnn_last_error(), needle)))
        fail_msg("%s: status %d (want %d), message '%s' (want '%s')", path, s, want,
                 lsnn_last_error(), needle ? needle : "");
    assert_null(x.data);
    assert_int_equal(x.ndim, 0);
    assert_int_equal(x.size, 0);
}

/* A 3 x 2 x 4 image file and its bytes. */
static unsigned char payload24[24];
static const uint32_t dims324[3] = {3, 2, 4};

static unsigned char *small_file(size_t *len)
{
    for (int i = 0; i < 24; i++)
        payload24[i] = (unsigned char)(i * 11 + 5);
    return make_idx(0x08, 3, dims324, payload24, 24, len);
}

static void check_small(const lsnn_idx *x)
{
    assert_int_equal(x->ndim, 3);
    assert_int_equal(x->dims[0], 3);
    assert_int_equal(x->dims[1], 2);
    assert_int_equal(x->dims[2], 4);
    assert_int_equal(x->dims[3], 0);
    assert_int_equal(x->size, 24);
    assert_memory_equal(x->data, payload24, 24);
}

static void test_roundtrip_plain_and_gzip(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = small_file(&len);
    unsigned char want[LSNN_SHA256_BYTES], got[LSNN_SHA256_BYTES];
    lsnn_sha256(b, len, want);
    const char *plain = tmp_path("rt"), *gz = tmp_path("rt.gz");
    /* gzip detected by content: a plain file named .gz and a gzip file without .gz both work. */
    const char *plain_gzname = tmp_path("rt_plain.gz"), *gz_noext = tmp_path("rt_gz_noext");
    write_bytes(plain, b, len);
    write_gz(gz, b, len);
    write_bytes(plain_gzname, b, len);
    write_gz(gz_noext, b, len);
    const char *paths[] = {plain, gz, plain_gzname, gz_noext};
    for (int i = 0; i < 4; i++) {
        lsnn_idx x;
        assert_int_equal(lsnn_idx_read(paths[i], &x), LSNN_OK);
        check_small(&x);
        lsnn_idx_sha256(&x, got);
        assert_memory_equal(got, want, sizeof want); /* same as sha256sum of the plain file */
        lsnn_idx_free(&x);
        assert_null(x.data);
        lsnn_idx_free(&x); /* freeing twice is harmless */
        remove(paths[i]);
    }
    free(b);

    /* 1-D labels, 4-D, and a file large enough to cross the reader's buffer growth. */
    uint32_t d1[1] = {10}, d4[4] = {2, 1, 3, 1};
    unsigned char lab[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    b = make_idx(0x08, 1, d1, lab, 10, &len);
    write_gz(gz, b, len);
    lsnn_idx x;
    assert_int_equal(lsnn_idx_read(gz, &x), LSNN_OK);
    assert_int_equal(x.ndim, 1);
    assert_int_equal(x.dims[0], 10);
    assert_memory_equal(x.data, lab, 10);
    lsnn_idx_free(&x);
    free(b);
    b = make_idx(0x08, 4, d4, lab, 6, &len);
    write_bytes(plain, b, len);
    assert_int_equal(lsnn_idx_read(plain, &x), LSNN_OK);
    assert_int_equal(x.ndim, 4);
    assert_int_equal(x.size, 6);
    lsnn_idx_free(&x);
    free(b);

    uint32_t dbig[3] = {3000, 28, 28};
    size_t nbig = 3000 * 28 * 28;
    unsigned char *big = malloc(nbig);
    assert_non_null(big);
    for (size_t i = 0; i < nbig; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 24);
    b = make_idx(0x08, 3, dbig, big, nbig, &len);
    for (int k = 0; k < 2; k++) {
        if (k)
            write_gz(gz, b, len);
        else
            write_bytes(plain, b, len);
        assert_int_equal(lsnn_idx_read(k ? gz : plain, &x), LSNN_OK);
        assert_int_equal(x.size, nbig);
        assert_memory_equal(x.data, big, nbig);
        lsnn_idx_free(&x);
    }
    free(b);
    free(big);
    remove(plain);
    remove(gz);
}

/* Every proper prefix of a valid file is rejected, plain and gzip-compressed. */
static void test_every_truncation(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = small_file(&len);
    const char *p = tmp_path("trunc");
    for (size_t n = 0; n < len; n++) {
        write_bytes(p, b, n);
        expect_fail(p, LSNN_ERR_FORMAT, n < 4 ? "too short" : "truncated");
    }
    write_bytes(p, b, 4 + 12 + 10);
    expect_fail(p, LSNN_ERR_FORMAT, "truncated: header says 3 x 2 x 4 = 24 bytes, found 10");
    write_bytes(p, b, 4 + 5);
    expect_fail(p, LSNN_ERR_FORMAT, "truncated header: 3 dimensions need 16 header bytes, found 9");

    /* Compressed prefixes of the uncompressed prefixes are truncated IDX files... */
    for (size_t n = 0; n < len; n++) {
        write_gz(p, b, n);
        expect_fail(p, LSNN_ERR_FORMAT, n < 4 ? "too short" : "truncated");
    }
    /* ...and every prefix of a whole gzip file is a broken gzip stream. */
    const char *full = tmp_path("trunc_full.gz");
    write_gz(full, b, len);
    size_t zlen;
    unsigned char *z = read_all(full, &zlen);
    for (size_t n = 0; n < zlen; n++) {
        write_bytes(p, z, n);
        expect_fail(p, LSNN_ERR_FORMAT, NULL);
    }
    /* Cut inside or before the 8-byte gzip trailer: all data is there, the CRC/length is not. */
    for (size_t cut = 1; cut <= 8; cut++) {
        write_bytes(p, z, zlen - cut);
        expect_fail(p, LSNN_ERR_FORMAT, "gzip trailer is missing");
    }
    free(z);
    free(b);
    remove(p);
    remove(full);
}

static void test_lying_dims(void **state)
{
    (void)state;
    const char *p = tmp_path("lying");
    unsigned char few[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t len;
    struct {
        int ndim;
        uint32_t dims[4];
        const char *needle;
    } cases[] = {
        {4, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, "limit"},
        {2, {65536, 65536}, "limit"},                /* 2^32: wraps to 0 in 32-bit arithmetic */
        {3, {2048, 1024, 1024}, "limit"},            /* 2^31 */
        {2, {46341, 46341}, "limit"},                /* just over 2^31 */
        {1, {200000001}, "limit"},
        {3, {60000, 28, 28}, "truncated: header says 60000 x 28 x 28 = 47040000 bytes, found 8"},
        {1, {200000000}, "found 8"},                 /* at the limit: truncated, not huge */
        {3, {60000, 0, 28}, "dimension 1 is 0"},
        {1, {0}, "dimension 0 is 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *b = make_idx(0x08, cases[i].ndim, cases[i].dims, few, sizeof few, &len);
        write_bytes(p, b, len);
        expect_fail(p, LSNN_ERR_FORMAT, cases[i].needle);
        write_gz(p, b, len);
        expect_fail(p, LSNN_ERR_FORMAT, cases[i].needle);
        free(b);
    }
    remove(p);
}

static void test_bad_magic_type_ndim(void **state)
{
    (void)state;
    const char *p = tmp_path("magic");
    size_t len;
    unsigned char *b = small_file(&len);
    struct {
        unsigned char m[4];
        const char *needle;
    } cases[] = {
        {{0x01, 0x00, 0x08, 0x03}, "not an IDX file: magic bytes 01 00 08 03"},
        {{0x00, 0x01, 0x08, 0x03}, "not an IDX file"},
        {{'P', 'K', 3, 4}, "not an IDX file"},
        {{0x00, 0x00, 0x0D, 0x03}, "0x0D (float32) is not supported"},
        {{0x00, 0x00, 0x09, 0x03}, "signed byte"},
        {{0x00, 0x00, 0x0C, 0x03}, "int32"},
        {{0x00, 0x00, 0x07, 0x03}, "unknown IDX element type code 0x07"},
        {{0x00, 0x00, 0x08, 0x00}, "declares 0 dimensions"},
        {{0x00, 0x00, 0x08, 0x05}, "declares 5 dimensions"},
        {{0x00, 0x00, 0x08, 0xFF}, "declares 255 dimensions"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, cases[i].m, 4);
        write_bytes(p, b, len);
        expect_fail(p, LSNN_ERR_FORMAT, cases[i].needle);
        write_gz(p, b, len);
        expect_fail(p, LSNN_ERR_FORMAT, cases[i].needle);
    }
    /* ndim 5 with a full set of five dimensions present. */
    uint32_t d5[5] = {1, 1, 1, 1, 1};
    unsigned char one = 7;
    size_t hl = 4 + 20;
    unsigned char f5[4 + 20 + 1];
    f5[0] = f5[1] = 0;
    f5[2] = 0x08;
    f5[3] = 5;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            f5[4 + 4 * i + j] = (unsigned char)(d5[i] >> (24 - 8 * j));
    f5[hl] = one;
    write_bytes(p, f5, sizeof f5);
    expect_fail(p, LSNN_ERR_FORMAT, "declares 5 dimensions");
    free(b);
    remove(p);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    const char *p = tmp_path("trail");
    size_t len;
    unsigned char *b = small_file(&len);
    unsigned char *g = malloc(len + 100);
    assert_non_null(g);
    memcpy(g, b, len);
    memset(g + len, 0xAB, 100);
    write_bytes(p, g, len + 1);
    expect_fail(p, LSNN_ERR_FORMAT, "trailing garbage: 1 bytes after the 24 data bytes");
    write_bytes(p, g, len + 100);
    expect_fail(p, LSNN_ERR_FORMAT, "trailing garbage: 100 bytes");
    write_gz(p, g, len + 100);
    expect_fail(p, LSNN_ERR_FORMAT, "trailing garbage: 100 bytes");
    /* A lot of garbage (a gzip bomb's worth) is still reported, without reading it all. */
    size_t nbig = (size_t)4 << 20;
    unsigned char *big = calloc(len + nbig, 1);
    assert_non_null(big);
    memcpy(big, b, len);
    write_gz(p, big, len + nbig);
    expect_fail(p, LSNN_ERR_FORMAT, "trailing garbage: at least");
    free(big);
    free(g);
    free(b);
    remove(p);
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    const char *p = tmp_path("corrupt.gz");
    uint32_t dims[2] = {100, 100};
    unsigned char *pay = malloc(10000);
    assert_non_null(pay);
    for (int i = 0; i < 10000; i++)
        pay[i] = (unsigned char)(i % 251);
    size_t len;
    unsigned char *b = make_idx(0x08, 2, dims, pay, 10000, &len);
    write_gz(p, b, len);
    size_t zlen;
    unsigned char *z = read_all(p, &zlen);
    /* Flip bits in the deflate data and in the CRC: never accepted. */
    size_t where[] = {12, zlen / 2, zlen - 8, zlen - 1};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        z[where[i]] ^= 0x5A;
        write_bytes(p, z, zlen);
        expect_fail(p, LSNN_ERR_FORMAT, NULL);
        z[where[i]] ^= 0x5A;
    }
    write_bytes(p, z, zlen);
    lsnn_idx x;
    assert_int_equal(lsnn_idx_read(p, &x), LSNN_OK);
    lsnn_idx_free(&x);

    /* Concatenated gzip members are one stream (as gzip -d reads them); anything else after the
     * gzip stream is trailing garbage. */
    const char *q = tmp_path("members.gz");
    size_t half = len / 2;
    write_gz(q, b, half);
    size_t l1;
    unsigned char *z1 = read_all(q, &l1);
    write_gz(q, b + half, len - half);
    size_t l2;
    unsigned char *z2 = read_all(q, &l2);
    unsigned char *cat = malloc(l1 + l2 + 4);
    assert_non_null(cat);
    memcpy(cat, z1, l1);
    memcpy(cat + l1, z2, l2);
    write_bytes(q, cat, l1 + l2);
    assert_int_equal(lsnn_idx_read(q, &x), LSNN_OK);
    assert_int_equal(x.size, 10000);
    assert_memory_equal(x.data, pay, 10000);
    lsnn_idx_free(&x);
    memcpy(cat + l1 + l2, "junk", 4);
    write_bytes(q, cat, l1 + l2 + 4);
    expect_fail(q, LSNN_ERR_FORMAT, "trailing garbage after the end of the gzip stream");
    memset(cat + l1 + l2, 0, 4);
    write_bytes(q, cat, l1 + l2 + 4);
    expect_fail(q, LSNN_ERR_FORMAT, "trailing garbage after the end of the gzip stream");
    write_bytes(q, cat, l1 + l2 - 1); /* second member cut */
    expect_fail(q, LSNN_ERR_FORMAT, "gzip trailer is missing");
    remove(q);
    free(cat);
    free(z1);
    free(z2);
    free(z);
    free(b);
    free(pay);
    remove(p);
}

static void test_missing_and_bad_paths(void **state)
{
    (void)state;
    const char *p = tmp_path("does_not_exist");
    expect_fail(p, LSNN_ERR_IO, "cannot open");
    const char *d = tmp_path("a_directory");
    assert_int_equal(mkdir(d, 0700), 0);
    expect_fail(d, LSNN_ERR_IO, "Is a directory");
    rmdir(d);
    lsnn_idx x;
    assert_int_equal(lsnn_idx_read(NULL, &x), LSNN_ERR_ARG);
    assert_int_equal(lsnn_idx_read(p, NULL), LSNN_ERR_ARG);
}

/* ---------------------------------------------------------------- MNIST directories */

static void dir_file(char *buf, const char *dir, const char *name)
{
    snprintf(buf, 1024, "%s/%s", dir, name);
}

/* Writes a split to dir: n images of r x c and n_lab labels (label i = i % 10, or bad_label at
 * index 1 if >= 0). gz selects plain (0) or .gz (1) for images and labels separately. */
static void write_split(const char *dir, const char *split, uint32_t n, uint32_t r, uint32_t c,
                        uint32_t n_lab, int bad_label, int gz_img, int gz_lab)
{
    char path[1024 + 8];
    size_t len;
    unsigned char *pix = malloc((size_t)n * r * c + 1);
    unsigned char *lab = malloc((size_t)n_lab + 1);
    assert_non_null(pix);
    assert_non_null(lab);
    for (size_t i = 0; i < (size_t)n * r * c; i++)
        pix[i] = (unsigned char)(i * 13);
    for (uint32_t i = 0; i < n_lab; i++)
        lab[i] = (unsigned char)(i % 10);
    if (bad_label >= 0 && n_lab > 1)
        lab[1] = (unsigned char)bad_label;
    uint32_t di[3] = {n, r, c}, dl[1] = {n_lab};
    unsigned char *b = make_idx(0x08, 3, di, pix, (size_t)n * r * c, &len);
    dir_file(path, dir, lsnn_mnist_name(split, 0));
    if (gz_img) {
        strcat(path, ".gz");
        write_gz(path, b, len);
    } else {
        write_bytes(path, b, len);
    }
    free(b);
    b = make_idx(0x08, 1, dl, lab, n_lab, &len);
    dir_file(path, dir, lsnn_mnist_name(split, 1));
    if (gz_lab) {
        strcat(path, ".gz");
        write_gz(path, b, len);
    } else {
        write_bytes(path, b, len);
    }
    free(b);
    free(pix);
    free(lab);
}

static void clean_dir(const char *dir)
{
    const char *split[2] = {"train", "test"};
    char path[1024 + 8];
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 2; l++) {
            dir_file(path, dir, lsnn_mnist_name(split[s], l));
            remove(path);
            strcat(path, ".gz");
            remove(path);
        }
    rmdir(dir);
}

static void expect_load_fail(const char *dir, const char *split, lsnn_status want,
                             const char *needle)
{
    lsnn_mnist m;
    lsnn_status s = lsnn_mnist_load(dir, split, &m);
    if (s != want || !strstr(lsnn_last_error(), needle))
        fail_msg("load %s %s: status %d (want %d), message '%s' (want '%s')", dir, split, s, want,
                 lsnn_last_error(), needle);
    assert_null(m.images);
    assert_null(m.labels);
    assert_int_equal(m.count, 0);
}

static void test_mnist_load(void **state)
{
    (void)state;
    const char *dir = tmp_path("mnistdir");
    mkdir(dir, 0700);
    assert_null(lsnn_mnist_name("valid", 0));
    assert_string_equal(lsnn_mnist_name("test", 1), "t10k-labels-idx1-ubyte");

    write_split(dir, "train", 12, 3, 2, 12, -1, 0, 1); /* plain images, gzipped labels */
    write_split(dir, "test", 5, 3, 2, 5, -1, 1, 0);
    lsnn_mnist m;
    assert_int_equal(lsnn_mnist_load(dir, "train", &m), LSNN_OK);
    assert_int_equal(m.count, 12);
    assert_int_equal(m.rows, 3);
    assert_int_equal(m.cols, 2);
    assert_int_equal(m.labels[11], 1);
    assert_int_equal(m.images[7], (unsigned char)(7 * 13));
    lsnn_mnist_free(&m);
    assert_null(m.images);
    assert_int_equal(lsnn_mnist_load(dir, "test", &m), LSNN_OK);
    assert_int_equal(m.count, 5);
    lsnn_mnist_free(&m);

    char path[1100];
    assert_int_equal(lsnn_mnist_path(dir, "train", 1, path, sizeof path), LSNN_OK);
    assert_non_null(strstr(path, "train-labels-idx1-ubyte.gz"));
    assert_int_equal(lsnn_mnist_path(dir, "train", 0, path, 10), LSNN_ERR_ARG);

    expect_load_fail(dir, "validation", LSNN_ERR_ARG, "'validation'");

    /* Counts disagree. */
    write_split(dir, "test", 5, 3, 2, 6, -1, 1, 0);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "6 labels, but");
    /* A label that is not a digit class. */
    write_split(dir, "test", 5, 3, 2, 5, 10, 1, 0);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "label 10 at index 1 is not a class 0..9");
    write_split(dir, "test", 5, 3, 2, 5, 255, 1, 0);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "label 255 at index 1");
    /* Images and labels swapped (wrong number of dimensions). */
    char a[1100], b2[1100];
    dir_file(a, dir, "t10k-images-idx3-ubyte.gz");
    dir_file(b2, dir, "t10k-labels-idx1-ubyte");
    write_split(dir, "test", 5, 3, 2, 5, -1, 1, 0);
    size_t len;
    unsigned char *lab = read_all(b2, &len);
    write_gz(a, lab, len);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "expected images (count x rows x cols)");
    free(lab);
    write_split(dir, "test", 5, 3, 2, 5, -1, 1, 0);
    uint32_t d2[2] = {5, 1};
    unsigned char five[5] = {0};
    unsigned char *f = make_idx(0x08, 2, d2, five, 5, &len);
    write_bytes(b2, f, len);
    free(f);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "expected labels (1 dimension)");
    /* A broken file inside: its own message, naming it. */
    write_bytes(b2, "\0\0\x08\x01\0\0\0\x05\x01", 9);
    expect_load_fail(dir, "test", LSNN_ERR_FORMAT, "t10k-labels-idx1-ubyte: truncated");

    /* The plain file wins over .gz when both exist. */
    write_split(dir, "test", 5, 3, 2, 5, -1, 1, 0);
    write_split(dir, "test", 7, 3, 2, 7, -1, 0, 0);
    assert_int_equal(lsnn_mnist_load(dir, "test", &m), LSNN_OK);
    assert_int_equal(m.count, 7);
    lsnn_mnist_free(&m);

    /* Missing files: the message names the path looked for (and the .gz alternative). */
    clean_dir(dir);
    mkdir(dir, 0700);
    char want[1100];
    dir_file(want, dir, "t10k-images-idx3-ubyte: not found (nor t10k-images-idx3-ubyte.gz)");
    expect_load_fail(dir, "test", LSNN_ERR_IO, want);
    write_split(dir, "train", 3, 1, 1, 3, -1, 0, 0);
    dir_file(a, dir, "train-labels-idx1-ubyte");
    remove(a);
    expect_load_fail(dir, "train", LSNN_ERR_IO, "train-labels-idx1-ubyte: not found");
    clean_dir(dir);
    expect_load_fail(dir, "train", LSNN_ERR_IO, "train-images-idx3-ubyte: not found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_plain_and_gzip),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_lying_dims),
        cmocka_unit_test(test_bad_magic_type_ndim),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_missing_and_bad_paths),
        cmocka_unit_test(test_mnist_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

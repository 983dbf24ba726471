/* Tests for src/core/sha256.c: NIST FIPS 180-4 example vectors, padding boundaries, and
 * incremental updates in every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lsnn/sha256.h"

static void check_hex(const void *msg, size_t n, const char *want)
{
    unsigned char d[LSNN_SHA256_BYTES];
    char hex[LSNN_SHA256_HEX];
    lsnn_sha256(msg, n, d);
    lsnn_sha256_hex(d, hex);
    assert_string_equal(hex, want);
}

static void test_nist_vectors(void **state)
{
    (void)state;
    check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_hex(m448, strlen(m448),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_hex(m896, strlen(m896),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    check_hex(a, 1000000, want);
    /* The same message fed in uneven pieces. */
    lsnn_sha256_ctx c;
    lsnn_sha256_init(&c);
    size_t off = 0, step = 1;
    while (off < 1000000) {
        size_t k = step < 1000000 - off ? step : 1000000 - off;
        lsnn_sha256_update(&c, a + off, k);
        off += k;
        step = step * 3 % 1000 + 1;
    }
    unsigned char d[LSNN_SHA256_BYTES];
    char hex[LSNN_SHA256_HEX];
    lsnn_sha256_final(&c, d);
    lsnn_sha256_hex(d, hex);
    assert_string_equal(hex, want);
    free(a);
}

/* Lengths around the padding boundaries (55/56 bytes: the length field just fits or not);
 * reference digests from Python's hashlib. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
    };
    unsigned char msg[128];
    for (int i = 0; i < 128; i++)
        msg[i] = (unsigned char)((i * 7 + 3) & 255);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check_hex(msg, v[i].n, v[i].hex);
}

/* Every two-piece split of a 130-byte message gives the one-shot digest. */
static void test_incremental_splits(void **state)
{
    (void)state;
    unsigned char msg[130], want[LSNN_SHA256_BYTES], got[LSNN_SHA256_BYTES];
    for (int i = 0; i < 130; i++)
        msg[i] = (unsigned char)(i * 31 + 1);
    for (size_t n = 0; n <= sizeof msg; n++) {
        lsnn_sha256(msg, n, want);
        for (size_t k = 0; k <= n; k++) {
            lsnn_sha256_ctx c;
            lsnn_sha256_init(&c);
            lsnn_sha256_update(&c, msg, k);
            lsnn_sha256_update(&c, NULL, 0);
            lsnn_sha256_update(&c, msg + k, n - k);
            lsnn_sha256_final(&c, got);
            assert_memory_equal(got, want, sizeof want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_incremental_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

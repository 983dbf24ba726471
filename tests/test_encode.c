/* Input encoders: exact spike positions of the threshold-crossing code on hand-made pixel rows,
 * spike statistics of the population code, the analog code. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "lsnn/encode.h"

/* 4 thresholds: 0.2, 0.4, 0.6, 0.8; channels 2k (up) and 2k+1 (down). */
static void test_threshold_positions(void **state)
{
    (void)state;
    const float row[] = {0.0f, 0.5f, 0.5f, 0.1f, 1.0f, 0.4f, 0.2f};
    enum { N = 7, K = 4, C = 2 * K + 1 };
    lsnn_real x[N * C];
    memset(x, 0, sizeof x);
    long spikes = lsnn_encode_threshold(row, N, K, 1, x, C, 1);
    /* Expected events (step, channel-without-offset):
     * step 1: 0 -> 0.5 crosses 0.2, 0.4 up: channels 0, 2
     * step 3: 0.5 -> 0.1 crosses 0.4, 0.2 down: channels 3, 1
     * step 4: 0.1 -> 1.0 crosses 0.2, 0.4, 0.6, 0.8 up: channels 0, 2, 4, 6
     * step 5: 1.0 -> 0.4 crosses 0.8, 0.6 down (0.4 is not crossed: 0.4 > 0.4 is false): 7, 5
     * step 6: 0.4 -> 0.2 crosses 0.4 down? prev >= 0.4 > 0.2 yes: 3; 0.2: 0.4 >= 0.2 > 0.2 no */
    int expect[N][2 * K] = {{0}};
    expect[1][0] = expect[1][2] = 1;
    expect[3][3] = expect[3][1] = 1;
    expect[4][0] = expect[4][2] = expect[4][4] = expect[4][6] = 1;
    expect[5][7] = expect[5][5] = 1;
    expect[6][3] = 1;
    long count = 0;
    for (int t = 0; t < N; t++) {
        check_eq(x[t * C], 0); /* channel 0 of the block belongs to someone else */
        for (int c = 0; c < 2 * K; c++) {
            assert_int_equal((int)x[t * C + 1 + c], expect[t][c]);
            count += expect[t][c];
        }
    }
    assert_int_equal(spikes, count);
    assert_int_equal(spikes, 11);
}

/* 2 steps per pixel: spikes on the first step of each pixel only. */
static void test_threshold_two_ms(void **state)
{
    (void)state;
    const float row[] = {0.9f, 0.0f};
    enum { K = 2, C = 2 * K };
    lsnn_real x[4 * C];
    memset(x, 0, sizeof x);
    lsnn_encode_threshold(row, 2, K, 2, x, C, 0);
    /* thresholds 1/3, 2/3 */
    const int expect[4][C] = {{1, 0, 1, 0}, {0, 0, 0, 0}, {0, 1, 0, 1}, {0, 0, 0, 0}};
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < C; c++)
            assert_int_equal((int)x[t * C + c], expect[t][c]);
}

/* Up and down crossings balance: a row that returns to black has as many of each per level. */
static void test_threshold_balance(void **state)
{
    (void)state;
    enum { N = 784, K = 40, C = 2 * K };
    float row[N];
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 9);
    for (int i = 0; i < N - 1; i++)
        row[i] = (float)lsnn_rng_uniform(&rng);
    row[N - 1] = 0;
    lsnn_real *x = calloc((size_t)N * C, sizeof(lsnn_real));
    lsnn_encode_threshold(row, N, K, 1, x, C, 0);
    for (int q = 0; q < K; q++) {
        long up = 0, down = 0;
        for (int t = 0; t < N; t++) {
            up += (long)x[t * C + 2 * q];
            down += (long)x[t * C + 2 * q + 1];
        }
        assert_int_equal(up, down);
        check_gt(up, 0);
    }
    free(x);
}

static void test_population_rate(void **state)
{
    (void)state;
    enum { N = 200, M = 80 };
    float row[N];
    for (int i = 0; i < N; i++)
        row[i] = i < N / 2 ? 0.0f : 0.25f;
    lsnn_real *x = calloc((size_t)N * M, sizeof(lsnn_real));
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 1);
    long spikes = lsnn_encode_population(&rng, row, N, M, 1, x, M, 0);
    long first = 0;
    for (int t = 0; t < N / 2; t++)
        for (int i = 0; i < M; i++)
            first += (long)x[t * M + i];
    assert_int_equal(first, 0);
    double expect = 0.25 * (N / 2) * M; /* 2000, std ~39 */
    check_near(spikes, expect, 5 * sqrt(expect * 0.75));
    free(x);
}

static void test_analog(void **state)
{
    (void)state;
    const float row[] = {0.25f, 0.5f};
    lsnn_real x[4 * 2];
    memset(x, 0, sizeof x);
    lsnn_encode_analog(row, 2, 2, x, 2, 1);
    const lsnn_real expect[8] = {0, 0.25f, 0, 0.25f, 0, 0.5f, 0, 0.5f};
    for (int i = 0; i < 8; i++)
        check_eq(x[i], expect[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_positions),
        cmocka_unit_test(test_threshold_two_ms),
        cmocka_unit_test(test_threshold_balance),
        cmocka_unit_test(test_population_rate),
        cmocka_unit_test(test_analog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

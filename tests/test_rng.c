/* The counter-based normals of lsnn/core.h: the split form of the Box-Muller draw gives the
 * same bits as the one-call form, and the ziggurat draws follow N(0, 1): Kolmogorov-Smirnov
 * distance, moments, the tail beyond the base layer (its own code path) and the wedges (the
 * bins between the layers' edges, where a wrong acceptance test shows) against the normal CDF. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "check.h"
#include "lsnn/core.h"

static double phi_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void split_box_muller_is_the_same_draw(void **state)
{
    (void)state;
    for (uint64_t a = 0; a < 3; a++)
        for (uint64_t t = 0; t < 50; t++) {
            const uint64_t key3 = lsnn_hash_key3(0x5eed + a, 7 * a + 1, t);
            for (uint64_t j = 0; j < 40; j++) {
                const double one = lsnn_hash_normal(0x5eed + a, 7 * a + 1, t, j);
                const double split = lsnn_hash_normal_at(key3, j);
                check_eq(one, split);
            }
        }
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void ziggurat_is_standard_normal(void **state)
{
    (void)state;
    enum { N = 1000000 };
    const double R = 3.6541528853610088; /* the edge of the ziggurat's base layer */
    double *z = malloc(sizeof(double) * N);
    assert_non_null(z);
    double m1 = 0, m2 = 0, m4 = 0, excess = 0, excess2 = 0;
    int tail = 0, core = 0;
    for (int i = 0; i < N; i++) {
        const uint64_t key3 = lsnn_hash_key3(42, (uint64_t)(i / 400), 3);
        z[i] = lsnn_hash_normal_zig(key3, (uint64_t)(i % 400));
        assert_true(isfinite(z[i]));
        m1 += z[i];
        m2 += z[i] * z[i];
        m4 += z[i] * z[i] * z[i] * z[i];
        core += fabs(z[i]) < 0.25;
        if (fabs(z[i]) > R) {
            tail++;
            excess += fabs(z[i]) - R;
            excess2 += (fabs(z[i]) - R) * (fabs(z[i]) - R);
        }
    }
    m1 /= N;
    m2 /= N;
    m4 /= N;
    /* five standard errors: sd(mean) = 1/sqrt(N), sd(m2) = sqrt(2/N), sd(m4) = sqrt(96/N) */
    check_near(m1, 0.0, 5 / sqrt(N));
    check_near(m2, 1.0, 5 * sqrt(2.0 / N));
    check_near(m4, 3.0, 5 * sqrt(96.0 / N));
    /* the tail beyond R: expected N * 2 (1 - Phi(R)) = 258 draws, their mean excess over R
     * E[X - R | X > R] = phi(R) / (1 - Phi(R)) - R = 0.249 */
    const double p_tail = 2 * (1 - phi_cdf(R));
    check_near(tail, N * p_tail, 5 * sqrt(N * p_tail));
    const double mean_excess = excess / tail;
    const double sd_excess = sqrt(excess2 / tail - mean_excess * mean_excess);
    const double pdf_R = exp(-0.5 * R * R) / sqrt(2 * 3.14159265358979323846);
    check_near(mean_excess, pdf_R / (1 - phi_cdf(R)) - R, 5 * sd_excess / sqrt(tail));
    /* the top layers (the cap near 0): P(|X| < 0.25) = 0.1974 */
    const double p_core = 2 * phi_cdf(0.25) - 1;
    check_near((double)core / N, p_core, 5 * sqrt(p_core * (1 - p_core) / N));
    qsort(z, N, sizeof(double), cmp_double);
    double ks = 0;
    for (int i = 0; i < N; i++) {
        const double F = phi_cdf(z[i]);
        const double d = fmax(fabs(F - (double)i / N), fabs(F - (double)(i + 1) / N));
        if (d > ks)
            ks = d;
    }
    /* the 0.1% critical value of the KS distance is 1.95 / sqrt(N) */
    check_lt(ks, 1.95 / sqrt(N));
    /* Fine bins across the wedges: 200 bins of width 0.02 on [0, 4] in |z|; chi-square with 199
     * degrees of freedom has mean 199, sd 20; 300 is beyond five sd. */
    double chi2 = 0;
    size_t k = 0;
    while (k < N && z[k] < 0)
        k++;
    int counts[200] = {0};
    for (int i = 0; i < N; i++) {
        const int b = (int)(fabs(z[i]) / 0.02);
        if (b < 200)
            counts[b]++;
    }
    for (int b = 0; b < 200; b++) {
        const double e = N * 2 * (phi_cdf(0.02 * (b + 1)) - phi_cdf(0.02 * b));
        chi2 += (counts[b] - e) * (counts[b] - e) / e;
    }
    check_lt(chi2, 300.0);
    /* both signs, about equally */
    check_near((double)k / N, 0.5, 5 * 0.5 / sqrt(N));
    free(z);
}

/* Different keys give different streams, and the same key the same value. */
static void ziggurat_is_a_function_of_its_key(void **state)
{
    (void)state;
    const uint64_t k1 = lsnn_hash_key3(1, 2, 3), k2 = lsnn_hash_key3(1, 2, 4);
    int same = 0;
    for (uint64_t j = 0; j < 1000; j++) {
        check_eq(lsnn_hash_normal_zig(k1, j), lsnn_hash_normal_zig(k1, j));
        same += lsnn_hash_normal_zig(k1, j) == lsnn_hash_normal_zig(k2, j);
    }
    check_eq(same, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_box_muller_is_the_same_draw),
        cmocka_unit_test(ziggurat_is_standard_normal),
        cmocka_unit_test(ziggurat_is_a_function_of_its_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

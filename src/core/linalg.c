/* Dense linear algebra beyond single BLAS calls (see lsnn/linalg.h). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "lsnn/linalg.h"

static double lsnn__frobenius(const double *a, size_t n)
{
    /* Scaled sum of squares: no overflow for entries up to DBL_MAX / sqrt(n). */
    double amax = 0;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(a[k]))
            return INFINITY; /* NaN or infinity anywhere: reported as non-finite */
        amax = fmax(amax, fabs(a[k]));
    }
    if (amax == 0 || !isfinite(amax))
        return amax;
    double ss = 0;
    for (size_t k = 0; k < n; k++) {
        double x = a[k] / amax;
        ss += x * x;
    }
    return amax * sqrt(ss);
}

lsnn_status lsnn_spectral_radius(const double *a, int n, double *rho)
{
    if (!a || !rho || n < 1)
        return lsnn_error(LSNN_ERR_ARG, "lsnn_spectral_radius: need a matrix of size >= 1");
    const size_t nn = (size_t)n * n;
    double f = lsnn__frobenius(a, nn);
    if (!isfinite(f))
        return lsnn_error(LSNN_ERR_NUMERIC, "lsnn_spectral_radius: non-finite matrix entry");
    if (f == 0) {
        *rho = 0;
        return LSNN_OK;
    }
    double *b = malloc(sizeof(double) * 2 * nn);
    if (!b)
        return lsnn_error(LSNN_ERR_NOMEM, "lsnn_spectral_radius: cannot allocate %zu bytes",
                          sizeof(double) * 2 * nn);
    double *c = b + nn;
    for (size_t k = 0; k < nn; k++)
        b[k] = a[k] / f;
    /* Invariant: B = A^(2^k) / exp(L) with ||B|| = 1, so log ||A^(2^k)|| = L. */
    double L = log(f), pw = 1, est = L;
    for (int k = 1; k <= 60; k++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, b, n, b, n, 0.0, c,
                    n);
        double g = lsnn__frobenius(c, nn);
        if (g == 0) { /* nilpotent (up to rounding): every eigenvalue is 0 */
            est = -INFINITY;
            break;
        }
        L = 2 * L + log(g);
        pw *= 2;
        for (size_t i = 0; i < nn; i++)
            b[i] = c[i] / g;
        double next = L / pw;
        /* The estimate changes by log(g) / 2^k, and the remaining error is of the same order:
         * stop once that is below 1e-12 (after at least 30 squarings, so that an early g close
         * to 1 cannot stop it by accident). */
        int done = k >= 30 && fabs(next - est) <= 1e-12 * fmax(1.0, fabs(next));
        est = next;
        if (done)
            break;
    }
    free(b);
    *rho = exp(est);
    return LSNN_OK;
}

/* lsnn/linalg.h - dense linear algebra beyond single BLAS calls.
 *
 * Double precision throughout: these routines serve initialisation and analysis, not the
 * per-step kernels. */
#ifndef LSNN_LINALG_H
#define LSNN_LINALG_H

#include "lsnn/status.h"

/* Spectral radius (largest absolute eigenvalue) of a real square matrix a (n, n), row-major.
 *
 * Gelfand's formula rho(A) = lim ||A^N||^(1/N), evaluated by repeated squaring with
 * renormalisation: B_0 = A / ||A||, B_{k+1} = B_k^2 / ||B_k^2||, and log rho is approximated by
 * log ||A^(2^k)|| / 2^k (Frobenius norms, one dgemm per squaring). Unlike the power method on a
 * vector it does not care whether the dominant eigenvalues are real or a complex pair, or how
 * close in modulus the next ones are: the error is O(log(cond) / 2^k), so 2^k >= 2^30 leaves it
 * far below float precision for a diagonalisable matrix. A defective dominant eigenvalue (a
 * Jordan block) is ill-conditioned: there rounding can move the result by ~1e-5 relative. The
 * zero matrix, and a matrix whose powers become exactly zero (strictly triangular), give 0.
 * O(n^3) per squaring, 30 to 60 squarings (about 40 in practice).
 * Errors: LSNN_ERR_ARG (n < 1, NULL), LSNN_ERR_NUMERIC (non-finite entries), LSNN_ERR_NOMEM. */
lsnn_status lsnn_spectral_radius(const double *a, int n, double *rho);

#endif

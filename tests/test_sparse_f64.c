/* tests/test_sparse.c against the float64 library (lsnn_f64): the same checks with the gradient
 * tolerance at 1e-9, and the BPTT training runs compared too. */
#include "test_sparse.c"

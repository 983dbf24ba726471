/* tests/test_records.c against the float64 library (lsnn_f64). */
#include "test_records.c"

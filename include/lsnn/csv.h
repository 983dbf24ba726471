/* lsnn/csv.h - CSV output, written atomically (temp file + fsync + rename). */
#ifndef LSNN_CSV_H
#define LSNN_CSV_H

#include "lsnn/core.h"
#include "lsnn/status.h"

/* Writes a (rows, cols) matrix with a header line of column names "<prefix>0,<prefix>1,..."
 * preceded by a first column "t" holding the row index. */
lsnn_status lsnn_csv_write_matrix(const char *path, const char *prefix, const lsnn_real *data,
                                  int rows, int cols);

/* Writes the non-zero entries of a (rows, cols) matrix as "t,<col_name>" pairs (spike lists). */
lsnn_status lsnn_csv_write_events(const char *path, const char *col_name, const lsnn_real *data,
                                  int rows, int cols);

#endif

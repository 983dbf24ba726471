/* CSV output (see lsnn/csv.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsnn/csv.h"

static FILE *lsnn__open_tmp(const char *path, char *tmp, size_t cap, lsnn_status *st)
{
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        *st = lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static lsnn_status lsnn__commit(FILE *f, const char *tmp, const char *path)
{
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        return st;
    }
    return LSNN_OK;
}

lsnn_status lsnn_csv_write_matrix(const char *path, const char *prefix, const lsnn_real *data,
                                  int rows, int cols)
{
    char tmp[4096];
    lsnn_status st = LSNN_OK;
    FILE *f = lsnn__open_tmp(path, tmp, sizeof tmp, &st);
    if (!f)
        return st;
    fprintf(f, "t");
    for (int c = 0; c < cols; c++)
        fprintf(f, ",%s%d", prefix, c);
    fputc('\n', f);
    for (int r = 0; r < rows; r++) {
        fprintf(f, "%d", r);
        for (int c = 0; c < cols; c++)
            fprintf(f, ",%.7g", (double)data[(size_t)r * cols + c]);
        fputc('\n', f);
    }
    return lsnn__commit(f, tmp, path);
}

lsnn_status lsnn_csv_write_events(const char *path, const char *col_name, const lsnn_real *data,
                                  int rows, int cols)
{
    char tmp[4096];
    lsnn_status st = LSNN_OK;
    FILE *f = lsnn__open_tmp(path, tmp, sizeof tmp, &st);
    if (!f)
        return st;
    fprintf(f, "t,%s\n", col_name);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            if (data[(size_t)r * cols + c] != 0)
                fprintf(f, "%d,%d\n", r, c);
    return lsnn__commit(f, tmp, path);
}

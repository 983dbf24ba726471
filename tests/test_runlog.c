/* Tests for src/io/runlog.c (log.csv): the writer's rows read back through the reader, column
 * lookup by name, NaN for "nan" and empty cells, lines of any length, an unterminated last line
 * left out, resume rewriting (rows kept up to an iteration, a missing log given its header), and
 * the errors naming file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsnn/runlog.h"

static void tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("LSNN_BINARY_DIR");
    snprintf(buf, n, "%s/test_runlog_%ld_%s", dir ? dir : ".", (long)getpid(), name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void row_of(double *row, long it)
{
    for (int c = 0; c < LSNN_LOG_NCOLS; c++)
        row[c] = it + c / 8.0;
    row[LSNN_LOG_ITERATION] = (double)it;
    row[LSNN_LOG_VAL_LOSS] = row[LSNN_LOG_VAL_METRIC] = it % 2 ? NAN : 0.5;
}

static void test_write_read(void **state)
{
    (void)state;
    char p[512];
    tmp_path(p, sizeof p, "a.csv");
    lsnn_runlog_writer w;
    assert_int_equal(lsnn_runlog_open(&w, p, "accuracy", -1, NULL), LSNN_OK);
    for (long it = 1; it <= 5; it++) {
        double row[LSNN_LOG_NCOLS];
        row_of(row, it);
        assert_int_equal(lsnn_runlog_append(&w, row), LSNN_OK);
    }
    assert_int_equal(lsnn_runlog_close(&w), LSNN_OK);
    lsnn_runlog log;
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_OK);
    assert_int_equal(log.n_cols, LSNN_LOG_NCOLS);
    assert_int_equal(log.n_rows, 5);
    assert_string_equal(log.metric, "accuracy");
    assert_int_equal(log.partial_tail, 0);
    char name[64];
    for (int c = 0; c < LSNN_LOG_NCOLS; c++)
        assert_int_equal(lsnn_runlog_col(&log, lsnn_runlog_column_name(c, "accuracy", name,
                                                                      sizeof name)), c);
    assert_string_equal(lsnn_runlog_column_name(LSNN_LOG_TRAIN_METRIC, "accuracy", name,
                                                sizeof name), "train_accuracy");
    assert_int_equal(lsnn_runlog_col(&log, "val_accuracy"), LSNN_LOG_VAL_METRIC);
    assert_int_equal(lsnn_runlog_col(&log, "nope"), -1);
    assert_true(isnan(lsnn_runlog_at(&log, 0, -1)));
    assert_true(isnan(lsnn_runlog_at(&log, 0, LSNN_LOG_VAL_LOSS)));
    assert_true(lsnn_runlog_at(&log, 1, LSNN_LOG_VAL_LOSS) == 0.5);
    assert_true(lsnn_runlog_at(&log, 4, LSNN_LOG_ITERATION) == 5);
    assert_true(fabs(lsnn_runlog_at(&log, 2, LSNN_LOG_LOSS) - 3.125) < 1e-9);
    lsnn_runlog_free(&log);

    /* Resume at 3: rows 1..3 kept (rewritten as written), header first. */
    long kept = -1;
    assert_int_equal(lsnn_runlog_open(&w, p, "accuracy", 3, &kept), LSNN_OK);
    assert_int_equal(kept, 3);
    double row[LSNN_LOG_NCOLS];
    row_of(row, 4);
    assert_int_equal(lsnn_runlog_append(&w, row), LSNN_OK);
    assert_int_equal(lsnn_runlog_close(&w), LSNN_OK);
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_OK);
    assert_int_equal(log.n_rows, 4);
    for (long r = 0; r < 4; r++)
        assert_true(lsnn_runlog_at(&log, r, LSNN_LOG_ITERATION) == r + 1);
    lsnn_runlog_free(&log);
    remove(p);

    /* A missing log on resume: a header, nothing kept. */
    assert_int_equal(lsnn_runlog_open(&w, p, "accuracy", 7, &kept), LSNN_OK);
    assert_int_equal(kept, 0);
    assert_int_equal(lsnn_runlog_close(&w), LSNN_OK);
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_OK);
    assert_int_equal(log.n_rows, 0);
    assert_int_equal(log.n_cols, LSNN_LOG_NCOLS);
    lsnn_runlog_free(&log);
    remove(p);
}

static void test_reader(void **state)
{
    (void)state;
    char p[512];
    tmp_path(p, sizeof p, "b.csv");
    /* empty cells and nan are NaN; \r\n accepted; blank lines skipped; unterminated tail left
     * out; a row of over 8 KiB read whole */
    size_t big = 9000;
    char *text = malloc(big + 256);
    assert_non_null(text);
    int n = sprintf(text, "iteration,loss,val_x\r\n1,0.25,\n\n2,nan,0.5\n3,0.5");
    memset(text + n, '0', big);
    sprintf(text + n + big, ",7\n4,0.7");
    write_text(p, text);
    free(text);
    lsnn_runlog log;
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_OK);
    assert_int_equal(log.n_cols, 3);
    assert_int_equal(log.n_rows, 3);
    assert_string_equal(log.metric, "");
    assert_int_equal(log.partial_tail, 1);
    assert_true(isnan(lsnn_runlog_at(&log, 0, 2)));
    assert_true(isnan(lsnn_runlog_at(&log, 1, 1)));
    assert_true(lsnn_runlog_at(&log, 2, 0) == 3);
    assert_true(lsnn_runlog_at(&log, 2, 2) == 7);
    assert_true(lsnn_runlog_at(&log, 2, 1) == 0.5);
    assert_true(isnan(lsnn_runlog_at(&log, 3, 0)));
    lsnn_runlog_free(&log);

    write_text(p, "iteration,loss\n1,0.5\n2,0.5,9\n");
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), "b.csv:3: 3 cells, but the header names 2"));
    write_text(p, "iteration,loss\n1,abc\n");
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), "b.csv:2: column loss: 'abc' is not a number"));
    write_text(p, "");
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), "no header line"));
    remove(p);
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), "cannot read"));

    /* resume over a log whose columns are in another order: mapped by name */
    write_text(p, "loss,iteration\n0.5,1\n0.25,2\n0.125,3\n");
    lsnn_runlog_writer w;
    long kept = 0;
    assert_int_equal(lsnn_runlog_open(&w, p, "accuracy", 2, &kept), LSNN_OK);
    assert_int_equal(kept, 2);
    assert_int_equal(lsnn_runlog_close(&w), LSNN_OK);
    assert_int_equal(lsnn_runlog_read(p, &log), LSNN_OK);
    assert_int_equal(log.n_rows, 2);
    assert_true(lsnn_runlog_at(&log, 1, LSNN_LOG_LOSS) == 0.25);
    assert_true(isnan(lsnn_runlog_at(&log, 1, LSNN_LOG_REG)));
    lsnn_runlog_free(&log);
    remove(p);
}

static void test_write_errors(void **state)
{
    (void)state;
    lsnn_runlog_writer w;
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(lsnn_runlog_open(&w, "/dev/full", "accuracy", -1, NULL), LSNN_ERR_IO);
        assert_non_null(strstr(lsnn_last_error(), "/dev/full: cannot write: No space left"));
    }
    assert_int_equal(lsnn_runlog_open(&w, "/nonexistent-dir/log.csv", "accuracy", -1, NULL),
                     LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), "/nonexistent-dir/log.csv: cannot write"));
    double row[LSNN_LOG_NCOLS];
    row_of(row, 1);
    assert_int_equal(lsnn_runlog_append(&w, row), LSNN_ERR_ARG);
    assert_int_equal(lsnn_runlog_close(&w), LSNN_OK);
    char buf[16];
    assert_int_equal(lsnn_runlog_format_row(row, buf, sizeof buf), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

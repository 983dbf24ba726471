/* log.csv: the column definition, the writer and the reader (see lsnn/runlog.h). */
#include "lsnn/runlog.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The columns: name (a "%s" takes the task's metric) and the printf format of a value. */
static const struct {
    const char *name, *fmt;
} lsnn__cols[LSNN_LOG_NCOLS] = {
    {"iteration", "%ld"}, {"loss", "%.6g"},     {"reg", "%.6g"},       {"train_%s", "%.6g"},
    {"val_loss", "%.6g"}, {"val_%s", "%.6g"},   {"rate_hz", "%.4g"},   {"grad_norm", "%.4g"},
    {"lr", "%.4g"},       {"seconds", "%.2f"},
};

const char *lsnn_runlog_column_name(lsnn_runlog_column c, const char *metric, char *buf,
                                    size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = 0;
    if ((int)c < 0 || c >= LSNN_LOG_NCOLS)
        return buf;
    if (strstr(lsnn__cols[c].name, "%s"))
        snprintf(buf, cap, "%.*s%s", (int)(strlen(lsnn__cols[c].name) - 2), lsnn__cols[c].name,
                 metric ? metric : "");
    else
        snprintf(buf, cap, "%s", lsnn__cols[c].name);
    return buf;
}

int lsnn_runlog_format_row(const double *row, char *buf, size_t cap)
{
    size_t n = 0;
    for (int c = 0; c < LSNN_LOG_NCOLS; c++) {
        int k;
        if (c == LSNN_LOG_ITERATION)
            k = snprintf(buf + n, cap - n, "%ld", (long)row[c]);
        else
            k = snprintf(buf + n, cap - n, lsnn__cols[c].fmt, row[c]);
        if (k < 0 || (size_t)k + 2 > cap - n)
            return -1;
        n += (size_t)k;
        buf[n++] = c + 1 < LSNN_LOG_NCOLS ? ',' : '\n';
        buf[n] = 0;
    }
    return (int)n;
}

/* ---- reader ---------------------------------------------------------------------------- */

/* Splits line (no '\n') at commas into at most *n cells (grown as needed). */
static int lsnn__split(char *line, char ***cells, int *cap)
{
    int n = 0;
    for (char *p = line;;) {
        if (n == *cap) {
            int nc = *cap ? 2 * *cap : 16;
            char **g = realloc(*cells, sizeof(char *) * (size_t)nc);
            if (!g)
                return -1;
            *cells = g;
            *cap = nc;
        }
        (*cells)[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

void lsnn_runlog_free(lsnn_runlog *log)
{
    if (!log)
        return;
    for (int c = 0; log->names && c < log->n_cols; c++)
        free(log->names[c]);
    free(log->names);
    free(log->data);
    memset(log, 0, sizeof *log);
}

int lsnn_runlog_col(const lsnn_runlog *log, const char *name)
{
    for (int c = 0; c < log->n_cols; c++)
        if (strcmp(log->names[c], name) == 0)
            return c;
    return -1;
}

double lsnn_runlog_at(const lsnn_runlog *log, long r, int c)
{
    if (c < 0 || c >= log->n_cols || r < 0 || r >= log->n_rows)
        return NAN;
    return log->data[(size_t)r * log->n_cols + c];
}

/* Reads one line of any length; returns its length without the '\n' (the '\n' removed, a '\r'
 * before it too), -1 at the end of the file, -2 on a read error. *complete: it ended in '\n'. */
static long lsnn__getline(FILE *f, char **line, size_t *cap, int *complete)
{
    errno = 0;
    ssize_t n = getline(line, cap, f);
    if (n < 0)
        return ferror(f) ? -2 : -1;
    *complete = n > 0 && (*line)[n - 1] == '\n';
    if (*complete)
        (*line)[--n] = 0;
    if (n > 0 && (*line)[n - 1] == '\r')
        (*line)[--n] = 0;
    return (long)n;
}

static lsnn_status lsnn__read_header(lsnn_runlog *log, const char *path, char *line)
{
    char **cells = NULL;
    int cap = 0, n = lsnn__split(line, &cells, &cap);
    if (n < 0 || !(log->names = calloc((size_t)n, sizeof(char *)))) {
        free(cells);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    log->n_cols = n;
    for (int c = 0; c < n; c++) {
        if (!(log->names[c] = strdup(cells[c]))) {
            free(cells);
            return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        }
        if (!log->metric[0] && strncmp(cells[c], "train_", 6) == 0)
            snprintf(log->metric, sizeof log->metric, "%s", cells[c] + 6);
    }
    free(cells);
    return LSNN_OK;
}

/* Parses one row into log->data (grown as needed). */
static lsnn_status lsnn__read_row(lsnn_runlog *log, const char *path, long lineno, char *line,
                                  char ***cells, int *ccap, long *rcap)
{
    int n = lsnn__split(line, cells, ccap);
    if (n < 0)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    if (n != log->n_cols)
        return lsnn_error(LSNN_ERR_FORMAT, "%s:%ld: %d cells, but the header names %d", path,
                          lineno, n, log->n_cols);
    if (log->n_rows == *rcap) {
        long nc = *rcap ? 2 * *rcap : 256;
        double *d = realloc(log->data, sizeof(double) * (size_t)nc * (size_t)log->n_cols);
        if (!d)
            return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        log->data = d;
        *rcap = nc;
    }
    double *row = log->data + (size_t)log->n_rows * log->n_cols;
    for (int c = 0; c < n; c++) {
        const char *s = (*cells)[c];
        char *end;
        row[c] = *s ? strtod(s, &end) : NAN;
        if (*s && (end == s || *end))
            return lsnn_error(LSNN_ERR_FORMAT, "%s:%ld: column %s: '%.40s' is not a number",
                              path, lineno, log->names[c], s);
    }
    log->n_rows++;
    return LSNN_OK;
}

/* The reader; *no_header (may be NULL) is set when the file is missing or holds no complete
 * header line. */
static lsnn_status lsnn__read(const char *path, lsnn_runlog *log, int *no_header)
{
    memset(log, 0, sizeof *log);
    if (no_header)
        *no_header = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (no_header && errno == ENOENT)
            *no_header = 1;
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    char *line = NULL, **cells = NULL;
    size_t lcap = 0;
    int ccap = 0, complete = 0;
    long rcap = 0, lineno = 1;
    lsnn_status st = LSNN_OK;
    long n = lsnn__getline(f, &line, &lcap, &complete);
    if (n == -2) {
        st = lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    } else if (n < 0 || !complete) {
        if (no_header)
            *no_header = 1;
        st = n < 0 ? lsnn_error(LSNN_ERR_FORMAT, "%s: no header line (empty file)", path)
                   : lsnn_error(LSNN_ERR_FORMAT, "%s: no complete header line (the file ends "
                                                 "before its first line end)", path);
    } else {
        st = lsnn__read_header(log, path, line);
    }
    while (!st) {
        n = lsnn__getline(f, &line, &lcap, &complete);
        lineno++;
        if (n == -1)
            break;
        if (n == -2) {
            st = lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (!complete) { /* an interrupted write: not a row */
            log->partial_tail = 1;
            break;
        }
        if (n == 0)
            continue;
        st = lsnn__read_row(log, path, lineno, line, &cells, &ccap, &rcap);
    }
    free(line);
    free(cells);
    fclose(f);
    if (st)
        lsnn_runlog_free(log);
    return st;
}

lsnn_status lsnn_runlog_read(const char *path, lsnn_runlog *log)
{
    return lsnn__read(path, log, NULL);
}

/* ---- writer ---------------------------------------------------------------------------- */

static lsnn_status lsnn__write_error(const char *path, int err)
{
    return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path,
                      err ? strerror(err) : "write failed");
}

static int lsnn__header(FILE *f, const char *metric)
{
    char name[96];
    for (int c = 0; c < LSNN_LOG_NCOLS; c++)
        if (fprintf(f, "%s%c", lsnn_runlog_column_name(c, metric, name, sizeof name),
                    c + 1 < LSNN_LOG_NCOLS ? ',' : '\n') < 0)
            return -1;
    return 0;
}

static int lsnn__put_row(FILE *f, const double *row)
{
    char buf[LSNN_LOG_NCOLS * 40];
    int n = lsnn_runlog_format_row(row, buf, sizeof buf);
    return n < 0 || fwrite(buf, 1, (size_t)n, f) != (size_t)n ? -1 : 0;
}

/* Resume: the kept rows of the old log, mapped onto this schema's columns by name, rewritten
 * atomically (temporary file, fsync, rename). */
static lsnn_status lsnn__rewrite(const char *path, const char *metric, long keep_until,
                                 long *kept, double *seconds)
{
    lsnn_runlog old;
    int no_header = 0;
    lsnn_status st = lsnn__read(path, &old, &no_header);
    const int fresh = st && no_header;
    if (st && !fresh)
        return st;
    if (fresh)
        lsnn_error_clear();
    int map[LSNN_LOG_NCOLS];
    char name[96];
    for (int c = 0; c < LSNN_LOG_NCOLS; c++)
        map[c] = fresh ? -1 : lsnn_runlog_col(&old, lsnn_runlog_column_name(c, metric, name,
                                                                              sizeof name));
    if (!fresh && map[LSNN_LOG_ITERATION] < 0) {
        lsnn_runlog_free(&old);
        return lsnn_error(LSNN_ERR_FORMAT, "%s: no column 'iteration' in the header", path);
    }
    size_t tcap = strlen(path) + 32;
    char *tmp = malloc(tcap);
    if (!tmp) {
        lsnn_runlog_free(&old);
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(tmp, tcap, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int bad = !f || lsnn__header(f, metric) != 0;
    long n_kept = 0;
    for (long r = 0; !bad && !fresh && r < old.n_rows; r++) {
        const double it = lsnn_runlog_at(&old, r, map[LSNN_LOG_ITERATION]);
        if (!(it <= (double)keep_until))
            continue;
        double row[LSNN_LOG_NCOLS];
        for (int c = 0; c < LSNN_LOG_NCOLS; c++)
            row[c] = lsnn_runlog_at(&old, r, map[c]);
        bad = lsnn__put_row(f, row) != 0;
        n_kept++;
        *seconds = isfinite(row[LSNN_LOG_SECONDS]) ? row[LSNN_LOG_SECONDS] : 0;
    }
    bad = bad || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int err = errno;
    if (f && fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad)
        remove(tmp);
    free(tmp);
    lsnn_runlog_free(&old);
    if (bad)
        return lsnn__write_error(path, err);
    if (kept)
        *kept = n_kept;
    return LSNN_OK;
}

lsnn_status lsnn_runlog_open(lsnn_runlog_writer *w, const char *path, const char *metric,
                             long keep_until, long *kept)
{
    memset(w, 0, sizeof *w);
    if (kept)
        *kept = 0;
    if (!(w->path = strdup(path)))
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    lsnn_status st = LSNN_OK;
    if (keep_until >= 0 &&
        (st = lsnn__rewrite(path, metric, keep_until, kept, &w->seconds_kept))) {
        free(w->path);
        w->path = NULL;
        return st;
    }
    w->f = fopen(path, keep_until >= 0 ? "a" : "w");
    int bad = !w->f;
    if (!bad && keep_until < 0)
        bad = lsnn__header(w->f, metric) != 0 || fflush(w->f) != 0;
    if (bad) {
        st = lsnn__write_error(path, errno);
        if (w->f)
            fclose(w->f);
        w->f = NULL;
        free(w->path);
        w->path = NULL;
    }
    return st;
}

lsnn_status lsnn_runlog_append(lsnn_runlog_writer *w, const double *row)
{
    if (!w->f)
        return lsnn_error(LSNN_ERR_ARG, "log: lsnn_runlog_append on a closed log");
    if (lsnn__put_row(w->f, row) != 0 || fflush(w->f) != 0)
        return lsnn__write_error(w->path, errno);
    return LSNN_OK;
}

lsnn_status lsnn_runlog_sync(lsnn_runlog_writer *w)
{
    if (!w->f)
        return LSNN_OK;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
        /* fsync is not possible on some files (a pipe, /dev/full): only a failed flush counts */
        if (errno != EINVAL && errno != EROFS)
            return lsnn__write_error(w->path, errno);
    }
    return LSNN_OK;
}

lsnn_status lsnn_runlog_close(lsnn_runlog_writer *w)
{
    lsnn_status st = LSNN_OK;
    if (w->f) {
        int bad = fflush(w->f) != 0;
        int err = errno;
        if (fclose(w->f) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        if (bad)
            st = lsnn__write_error(w->path, err);
    }
    free(w->path);
    memset(w, 0, sizeof *w);
    return st;
}

/* The learning curves (see lsnn/plot.h): loss, metric and firing rate of one or more runs, read
 * from RUN_DIR/log.csv. */
#include <cairo.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/runlog.h"
#include "viz.h"

/* ---------------------------------------------------------------------------------------------
 * The columns the figure draws, taken from RUN_DIR/log.csv by lsnn_runlog_read (lsnn/runlog.h). */

/* The six columns, in the order of lsnn__log's arrays. */
static const lsnn_runlog_column lsnn__curve_cols[6] = {
    LSNN_LOG_ITERATION, LSNN_LOG_LOSS,       LSNN_LOG_TRAIN_METRIC,
    LSNN_LOG_VAL_LOSS,  LSNN_LOG_VAL_METRIC, LSNN_LOG_RATE_HZ};

typedef struct lsnn__log {
    char label[256];
    char metric[64];
    int n;
    double *it, *loss, *train_m, *val_loss, *val_m, *rate; /* it: one block of 6 n values */
} lsnn__log;

static void lsnn__log_free(lsnn__log *g)
{
    free(g->it);
    memset(g, 0, sizeof *g);
}

/* Copies the six columns out of a log read by lsnn_runlog_read; errors name path. */
static lsnn_status lsnn__log_columns(const char *path, const lsnn_runlog *log, lsnn__log *g)
{
    int ci[6];
    char name[96];
    for (int k = 0; k < 6; k++) {
        lsnn_runlog_column_name(lsnn__curve_cols[k], log->metric, name, sizeof name);
        if (!log->metric[0] && (lsnn__curve_cols[k] == LSNN_LOG_TRAIN_METRIC ||
                                lsnn__curve_cols[k] == LSNN_LOG_VAL_METRIC))
            snprintf(name, sizeof name, "%s<metric>",
                     lsnn__curve_cols[k] == LSNN_LOG_TRAIN_METRIC ? "train_" : "val_");
        if ((ci[k] = lsnn_runlog_col(log, name)) < 0)
            return lsnn_error(LSNN_ERR_FORMAT, "%s: no column '%s' in the header", path, name);
    }
    if (log->n_rows == 0)
        return lsnn_error(LSNN_ERR_FORMAT,
                          log->partial_tail ? "%s: no rows after the header (the last line has "
                                              "no line end: an interrupted write, left out)"
                                            : "%s: no rows after the header",
                          path);
    if (log->n_rows > INT_MAX / 6)
        return lsnn_error(LSNN_ERR_FORMAT, "%s: too many rows (%ld)", path, log->n_rows);
    const int n = (int)log->n_rows;
    double *b = malloc(sizeof(double) * 6 * (size_t)n);
    if (!b)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    double **cols[6] = {&g->it, &g->loss, &g->train_m, &g->val_loss, &g->val_m, &g->rate};
    for (int k = 0; k < 6; k++) {
        *cols[k] = b + (size_t)k * n;
        for (int i = 0; i < n; i++)
            (*cols[k])[i] = lsnn_runlog_at(log, i, ci[k]);
    }
    g->n = n;
    snprintf(g->metric, sizeof g->metric, "%s", log->metric);
    return LSNN_OK;
}

static lsnn_status lsnn__log_read(const char *dir, lsnn__log *g)
{
    char path[LSNN__PATH_CAP];
    if (snprintf(path, sizeof path, "%s/log.csv", dir) >= (int)sizeof path)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", dir);
    lsnn_runlog log;
    lsnn_status st = lsnn_runlog_read(path, &log);
    if (st)
        return st;
    st = lsnn__log_columns(path, &log, g);
    lsnn_runlog_free(&log);
    if (st)
        lsnn__log_free(g);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * The figure. */

/* A centred moving average ignoring non-finite values (the raw training curve is noisy). */
static void lsnn__smooth(const double *v, int n, int half, double *out)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        int c = 0;
        for (int k = i - half; k <= i + half; k++)
            if (k >= 0 && k < n && isfinite(v[k])) {
                s += v[k];
                c++;
            }
        out[i] = c ? s / c : NAN;
    }
}

static void lsnn__xy_markers(cairo_t *cr, const lsnn__axes *a, const double *x, const double *y,
                             int n, double r)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]) || (a->ylog && !(y[i] > 0)))
            continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, lsnn__ax_x(a, x[i]), lsnn__ax_y(a, y[i]), r, 0, 2 * LSNN__PI);
    }
    cairo_fill(cr);
}

const char *lsnn__basename(const char *p, char *buf, size_t cap)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && p[s - 1] != '/')
        s--;
    snprintf(buf, cap, "%.*s", (int)(n - s), p + s);
    return buf;
}

/* Reads the logs of the runs and names them: labels[r], or the directory's last component (the
 * paths as given when two runs share it). *maxn receives the longest log's row count. */
static lsnn_status lsnn__curves_load(int n_runs, const char *const *runs,
                                     const char *const *labels, lsnn__log *g, int *maxn)
{
    lsnn_status st = LSNN_OK;
    *maxn = 0;
    for (int r = 0; r < n_runs && !st; r++) {
        st = lsnn__log_read(runs[r], &g[r]);
        if (!st) {
            if (labels && labels[r])
                snprintf(g[r].label, sizeof g[r].label, "%s", labels[r]);
            else
                lsnn__basename(runs[r], g[r].label, sizeof g[r].label);
            *maxn = g[r].n > *maxn ? g[r].n : *maxn;
        }
    }
    /* Two runs with the same directory name: show the paths as given. */
    for (int r = 0; !st && !labels && r < n_runs; r++)
        for (int q = 0; q < r; q++)
            if (strcmp(g[r].label, g[q].label) == 0) {
                for (int k = 0; k < n_runs; k++)
                    snprintf(g[k].label, sizeof g[k].label, "%s", runs[k]);
                break;
            }
    return st;
}

/* The y range of panel 0 (loss, log scale: limits on the 1-2-5 sequence around the data), 1 (the
 * metric; [0.x, 1] for accuracy) or 2 (the firing rate, from 0). */
static void lsnn__curves_yrange(lsnn__axes *a, int panel, int n_runs, const lsnn__log *g,
                                const char *metric)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < n_runs; r++)
        for (int i = 0; i < g[r].n; i++) {
            const double *src[3][2] = {{g[r].loss, g[r].val_loss},
                                       {g[r].train_m, g[r].val_m},
                                       {g[r].rate, g[r].rate}};
            for (int k = 0; k < 2; k++) {
                double v = src[panel][k][i];
                if (!isfinite(v) || (panel == 0 && !(v > 0)))
                    continue;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    if (panel == 0) {
        if (!isfinite(lo)) {
            lo = 0.1;
            hi = 1;
        }
        /* A log axis within the normal doubles (a denormal loss would give a lower limit
         * of 0, whose logarithm no tick loop survives). */
        lo = fmin(fmax(lo, 1e-300), 1e299);
        hi = fmin(fmax(hi, lo), 1e299);
        /* Limits on the 1-2-5 sequence around the data. */
        static const double m125[4] = {1, 2, 5, 10};
        double e0 = pow(10, floor(log10(lo))), e1 = pow(10, floor(log10(hi)));
        a->y0 = e0;
        for (int k = 0; k < 3; k++)
            if (m125[k] * e0 <= lo * (1 + 1e-9))
                a->y0 = m125[k] * e0;
        a->y1 = 10 * e1;
        for (int k = 3; k >= 0; k--)
            if (m125[k] * e1 >= hi * (1 - 1e-9))
                a->y1 = m125[k] * e1;
        if (a->y1 <= a->y0)
            a->y1 = a->y0 * 10;
    } else if (panel == 1 && strcmp(metric, "accuracy") == 0) {
        a->y0 = isfinite(lo) ? fmax(0, floor(lo * 10 - 1e-9) / 10) : 0;
        a->y1 = 1;
        if (a->y1 - a->y0 < 0.1)
            a->y0 = 0.9;
    } else {
        a->y0 = panel == 2 ? 0 : lo;
        a->y1 = isfinite(hi) ? hi * (panel == 2 ? 1.08 : 1) : 1;
        lsnn__nice_range(&a->y0, &a->y1, 4);
    }
}

/* The curves of every run in one panel: raw training values light, their moving average on top
 * (sm: scratch of the longest log's length), validation as rings. */
static void lsnn__curves_draw(cairo_t *cr, const lsnn__axes *a, int panel, int n_runs,
                              const lsnn__log *g, double *sm, double fs)
{
    lsnn__ax_clip(cr, a);
    for (int r = 0; r < n_runs; r++) {
        const lsnn__log *L = &g[r];
        const double *tr = panel == 0 ? L->loss : panel == 1 ? L->train_m : L->rate;
        const double *va = panel == 0 ? L->val_loss : panel == 1 ? L->val_m : NULL;
        lsnn__rgb col = lsnn__series(r);
        /* Raw training values light, their moving average on top. */
        cairo_set_source_rgba(cr, col.r, col.g, col.b, 0.25);
        cairo_set_line_width(cr, 1);
        lsnn__dash(cr, 0, 1);
        lsnn__ax_polyline(cr, a, L->it, 0, 0, tr, L->n, 0);
        int half = L->n / 60;
        lsnn__smooth(tr, L->n, half, sm);
        lsnn__color(cr, col);
        cairo_set_line_width(cr, 1.8);
        lsnn__dash(cr, r, 1.8);
        lsnn__ax_polyline(cr, a, L->it, 0, 0, sm, L->n, 0);
        cairo_set_dash(cr, NULL, 0, 0);
        if (va) {
            cairo_set_line_width(cr, 1.2);
            lsnn__dash(cr, r, 1.2);
            lsnn__ax_polyline(cr, a, L->it, 0, 0, va, L->n, 1);
            cairo_set_dash(cr, NULL, 0, 0);
            lsnn__xy_markers(cr, a, L->it, va, L->n, 0.33 * fs);
            /* White centres: validation markers read as rings, distinct from the lines. */
            cairo_set_source_rgb(cr, 1, 1, 1);
            lsnn__xy_markers(cr, a, L->it, va, L->n, 0.15 * fs);
        }
    }
    cairo_restore(cr);
}

/* Legend: runs (colour and dash), then the meaning of lines and rings. */
static void lsnn__curves_legend(cairo_t *cr, int n_runs, const lsnn__log *g, double left,
                                double right, int width, double fs)
{
    double lx = left, ly = round(1.1 * fs);
    for (int r = 0; r < n_runs; r++) {
        lsnn__font(cr, 0.85 * fs, 0);
        double need = 3.2 * fs + lsnn__text_width(cr, g[r].label) + 1.5 * fs;
        if (lx + need > width - right && lx > left) {
            lx = left;
            ly += 1.3 * fs;
        }
        lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(r), r, 0, g[r].label) + 1.5 * fs;
    }
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    lsnn__font(cr, 0.8 * fs, 0);
    lsnn__text(cr, width - right, round(1.1 * fs), "lines: training (moving average over the "
               "raw values, light)   rings: validation", 1, 0.5);
}

static void lsnn__logs_free(lsnn__log *g, int n_runs)
{
    for (int r = 0; r < n_runs; r++)
        lsnn__log_free(&g[r]);
}

lsnn_status lsnn_plot_curves(const char *path, int width, int height, int n_runs,
                             const char *const *runs, const char *const *labels)
{
    return lsnn_plot_curves_ref(path, width, height, n_runs, runs, labels, NAN, NULL);
}

lsnn_status lsnn_plot_curves_ref(const char *path, int width, int height, int n_runs,
                                 const char *const *runs, const char *const *labels,
                                 double metric_ref, const char *ref_label)
{
    if (n_runs < 1 || n_runs > LSNN_PLOT_MAX_RUNS || !runs)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot curves: 1..%d runs required, got %d",
                          path ? path : "plot", LSNN_PLOT_MAX_RUNS, n_runs);
    lsnn__log g[LSNN_PLOT_MAX_RUNS];
    memset(g, 0, sizeof g);
    int maxn = 0;
    lsnn_status st = lsnn__curves_load(n_runs, runs, labels, g, &maxn);
    lsnn__canvas c;
    memset(&c, 0, sizeof c);
    if (!st)
        st = lsnn__canvas_open(&c, path, width, height);
    double *sm = st ? NULL : malloc(sizeof(double) * (size_t)maxn);
    if (!st && !sm) {
        lsnn__canvas_abort(&c);
        st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    }
    if (st) {
        lsnn__logs_free(g, n_runs);
        free(sm);
        return st;
    }
    cairo_t *cr = c.cr;
    const double fs = lsnn__font_size(width, height);
    /* Legend strip on top, then three panels side by side. */
    double top = round(4.6 * fs), bottom = round(3.3 * fs), left = round(4.8 * fs);
    double right = round(1.2 * fs), gap = round(5.2 * fs);
    double pw = floor((width - left - right - 2 * gap) / 3), ph = height - top - bottom;
    if (pw < 40 || ph < 40) {
        lsnn__canvas_abort(&c);
        lsnn__logs_free(g, n_runs);
        free(sm);
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small for three panels", path,
                          width, height);
    }
    double xmin = INFINITY, xmax = -INFINITY;
    for (int r = 0; r < n_runs; r++)
        for (int i = 0; i < g[r].n; i++) {
            xmin = fmin(xmin, g[r].it[i]);
            xmax = fmax(xmax, g[r].it[i]);
        }
    xmin = fmin(xmin, 0);
    if (xmax <= xmin)
        xmax = xmin + 1;
    const char *metric = g[0].metric;
    char mlabel[80];
    snprintf(mlabel, sizeof mlabel, "%s", metric);
    const char *titles[3] = {"loss", mlabel, "firing rate"};
    const char *ylabels[3] = {"loss (log scale)", mlabel, "mean rate (Hz)"};
    for (int panel = 0; panel < 3; panel++) {
        lsnn__axes a = {left + panel * (pw + gap), top, pw, ph, xmin, xmax, 0, 1, panel == 0};
        lsnn__curves_yrange(&a, panel, n_runs, g, metric);
        if (panel == 1 && isfinite(metric_ref)) { /* a reference level, in range, dashed */
            const double span = a.y1 - a.y0 > 0 ? a.y1 - a.y0 : 1;
            a.y0 = fmin(a.y0, metric_ref - 0.03 * span);
            a.y1 = fmax(a.y1, metric_ref + 0.03 * span);
            const double y = lsnn__ax_y(&a, metric_ref);
            cairo_save(cr);
            cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
            lsnn__dash(cr, 2, 1.2);
            cairo_move_to(cr, a.x, y);
            cairo_line_to(cr, a.x + a.w, y);
            cairo_stroke(cr);
            cairo_restore(cr);
            if (ref_label && ref_label[0])
                lsnn__text(cr, a.x + a.w - 0.4 * fs, y - 0.3 * fs, ref_label, 1, 1);
        }
        lsnn__curves_draw(cr, &a, panel, n_runs, g, sm, fs);
        lsnn__ax_frame(cr, &a);
        lsnn__ax_xticks(cr, &a, fs, 1);
        lsnn__ax_yticks(cr, &a, fs);
        lsnn__ax_xlabel(cr, &a, fs, "iteration");
        lsnn__ax_ylabel(cr, &a, fs, 2.9 * fs, ylabels[panel]);
        lsnn__ax_title(cr, &a, fs, titles[panel]);
    }
    lsnn__curves_legend(cr, n_runs, g, left, right, width, fs);
    free(sm);
    lsnn__logs_free(g, n_runs);
    return lsnn__canvas_close(&c);
}

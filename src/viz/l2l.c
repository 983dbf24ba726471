/* The two figures of the learning-to-learn analysis (lsnn/l2l_analysis.h, see lsnn/plot.h):
 *   - curves (seed 001 Fig. 2E/F): the squared error of the prediction of example k within an
 *     episode, for the LSNN with frozen weights and the two baselines (ridge regression fitted
 *     online, a feed-forward network trained by backprop), mean over episodes with a band of one
 *     standard deviation, on a log axis;
 *   - internal model (seed 001 Fig. 2H/I): for one episode, the target function, the LSNN's
 *     prediction on a probe grid after K examples and the examples seen so far, one panel per K. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/l2l_analysis.h"
#include "viz.h"

/* ---------------------------------------------------------------------------------------------
 * Curves. */

#define LSNN__L2L_SERIES 3

/* Mean and sample standard deviation over episodes of column k of v (episodes, steps), finite
 * values only (a diverged episode must not blank the whole curve); NaN mean when none is
 * finite, std 0 from a single value. */
static void lsnn__col_mean_std(const double *v, int episodes, int steps, int k, double *mean,
                               double *std)
{
    double s = 0, s2 = 0;
    int c = 0;
    for (int e = 0; e < episodes; e++) {
        double x = v[(size_t)e * steps + k];
        if (isfinite(x)) {
            s += x;
            c++;
        }
    }
    *mean = c ? s / c : NAN;
    *std = 0;
    if (c < 2)
        return;
    for (int e = 0; e < episodes; e++) {
        double x = v[(size_t)e * steps + k];
        if (isfinite(x))
            s2 += (x - *mean) * (x - *mean);
    }
    *std = sqrt(s2 / (c - 1));
}

/* Log y limits at whole decades around the positive means and upper band edges; lower band
 * edges count only down to a tenth of the smallest mean, so that a band reaching near zero does
 * not squeeze the curves into the top of the panel (the band is clipped at the axis instead). */
static void lsnn__l2l_yrange(lsnn__axes *a, const double *mean, const double *sd, int n_ser,
                             int n)
{
    double mlo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n_ser * n; i++)
        if (isfinite(mean[i]) && mean[i] > 0) {
            mlo = fmin(mlo, mean[i]);
            hi = fmax(hi, mean[i] + (isfinite(sd[i]) ? sd[i] : 0));
        }
    if (!isfinite(mlo)) {
        a->y0 = 0.1;
        a->y1 = 1;
        return;
    }
    double lo = mlo;
    for (int i = 0; i < n_ser * n; i++) {
        double l = mean[i] - sd[i];
        if (isfinite(l) && l > 0.1 * mlo)
            lo = fmin(lo, l);
    }
    /* Keep the limits within the normal doubles (log10 of a denormal or of an overflow would
     * break the tick loops). */
    lo = fmin(fmax(lo, 1e-300), 1e299);
    hi = fmin(fmax(hi, lo), 1e299);
    a->y0 = pow(10, floor(log10(lo)));
    a->y1 = pow(10, ceil(log10(hi)));
    if (a->y1 <= a->y0)
        a->y1 = a->y0 * 10;
}

/* The band mean +- sd of one series over x = 1..n: one filled polygon per run of finite means,
 * the lower edge clipped to the axis floor (mean - sd is often negative for squared errors). */
static void lsnn__l2l_band(cairo_t *cr, const lsnn__axes *a, const double *mean, const double *sd,
                           int n)
{
    int k = 0;
    while (k < n) {
        while (k < n && !(isfinite(mean[k]) && mean[k] > 0))
            k++;
        int s = k;
        while (k < n && isfinite(mean[k]) && mean[k] > 0)
            k++;
        if (k - s < 1)
            continue;
        for (int i = s; i < k; i++) {
            double up = mean[i] + (isfinite(sd[i]) ? sd[i] : 0);
            double px = lsnn__ax_x(a, i + 1), py = lsnn__ax_y(a, fmin(up, a->y1 * 10));
            if (i == s)
                cairo_move_to(cr, px, py);
            else
                cairo_line_to(cr, px, py);
        }
        for (int i = k - 1; i >= s; i--) {
            double lo = mean[i] - (isfinite(sd[i]) ? sd[i] : 0);
            cairo_line_to(cr, lsnn__ax_x(a, i + 1), lsnn__ax_y(a, fmax(lo, a->y0 / 10)));
        }
        cairo_close_path(cr);
        cairo_fill(cr);
    }
}

lsnn_status lsnn_plot_l2l_curves(const char *path, const lsnn_l2l_analysis *a, int max_k,
                                 int width, int height)
{
    if (!path || !a)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l curves: no %s", path ? path : "plot",
                          path ? "analysis" : "output path");
    if (a->episodes < 1 || a->steps < 1)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l curves: empty analysis (%d episodes, %d "
                          "steps)", path, a->episodes, a->steps);
    const double *err[LSNN__L2L_SERIES] = {a->lsnn_err, a->ridge_err, a->ff_err};
    static const char *names[LSNN__L2L_SERIES] = {
        "LSNN (frozen weights)", "ridge regression, online", "FF network, backprop"};
    if (!err[0] && !err[1] && !err[2])
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l curves: no error arrays", path);
    if (width <= 0 || height <= 0) {
        width = 900;
        height = 500;
    }
    const int n = max_k <= 0 || max_k > a->steps ? a->steps : max_k;
    /* mean and sd of the three series, (3, n) each; a missing series stays NaN. */
    double *mean = malloc(sizeof(double) * 2 * LSNN__L2L_SERIES * (size_t)n);
    if (!mean)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    double *sd = mean + (size_t)LSNN__L2L_SERIES * n;
    for (int s = 0; s < LSNN__L2L_SERIES; s++)
        for (int k = 0; k < n; k++) {
            double *m = &mean[(size_t)s * n + k], *d = &sd[(size_t)s * n + k];
            if (err[s])
                lsnn__col_mean_std(err[s], a->episodes, a->steps, k, m, d);
            else {
                *m = NAN;
                *d = NAN;
            }
        }

    const double fs = lsnn__font_size(width, height);
    /* Legend strip on top, the title above the axes. */
    double top = round(4.4 * fs), bottom = round(3.3 * fs), left = round(5.2 * fs);
    double right = round(1.5 * fs);
    lsnn__axes ax = {left, top, width - left - right, height - top - bottom, 1,
                     n > 1 ? n : 2, 0, 1, 1};
    if (ax.w < 40 || ax.h < 40) {
        free(mean);
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small", path, width, height);
    }
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st) {
        free(mean);
        return st;
    }
    cairo_t *cr = c.cr;
    lsnn__l2l_yrange(&ax, mean, sd, LSNN__L2L_SERIES, n);
    lsnn__ax_clip(cr, &ax);
    /* Bands first, all of them, so that no band covers another series' line. */
    for (int s = 0; s < LSNN__L2L_SERIES; s++) {
        lsnn__rgb col = lsnn__series(s);
        cairo_set_source_rgba(cr, col.r, col.g, col.b, 0.16);
        lsnn__l2l_band(cr, &ax, mean + (size_t)s * n, sd + (size_t)s * n, n);
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int s = 0; s < LSNN__L2L_SERIES; s++) {
        lsnn__color(cr, lsnn__series(s));
        cairo_set_line_width(cr, 1.8);
        lsnn__dash(cr, s, 1.8);
        lsnn__ax_polyline(cr, &ax, NULL, 1, 1, mean + (size_t)s * n, n, 0);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_restore(cr);
    lsnn__ax_frame(cr, &ax);
    lsnn__ax_xticks(cr, &ax, fs, 1);
    lsnn__ax_yticks(cr, &ax, fs);
    lsnn__ax_xlabel(cr, &ax, fs, "example k within the episode");
    lsnn__ax_ylabel(cr, &ax, fs, 3.6 * fs, "squared error (log scale)");
    char title[128];
    snprintf(title, sizeof title, "MSE per example within an episode (%d episode%s)",
             a->episodes, a->episodes == 1 ? "" : "s");
    lsnn__ax_title(cr, &ax, fs, title);

    double lx = left, ly = round(1.1 * fs);
    for (int s = 0; s < LSNN__L2L_SERIES; s++)
        if (err[s])
            lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(s), s, 0, names[s]) + 1.5 * fs;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    lsnn__font(cr, 0.8 * fs, 0);
    lsnn__text(cr, width - right, ly, "lines: mean over episodes   bands: +/- 1 s.d.", 1, 0.5);
    free(mean);
    return lsnn__canvas_close(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Internal model. */

/* Example e of the episode as a dot on the probe's x axis: 1 and (x, y) when it is shown. For
 * dx == 2 the probe runs along the diagonal x1 = x2, so only examples near it (|x1 - x2| below
 * a fifth of the grid's range) are shown, at the middle of their coordinates. */
static int lsnn__l2l_dot(const lsnn_l2l_analysis *a, int episode, int e, double xrange, double *x,
                         double *y)
{
    const double *sx = a->seen_x + ((size_t)episode * a->steps + e) * a->dx;
    *y = a->seen_y[(size_t)episode * a->steps + e];
    if (a->dx == 1)
        *x = sx[0];
    else if (fabs(sx[0] - sx[1]) < 0.2 * xrange)
        *x = 0.5 * (sx[0] + sx[1]);
    else
        return 0;
    return isfinite(*x) && isfinite(*y);
}

static lsnn_status lsnn__l2l_internal_check(const char *path, const lsnn_l2l_analysis *a,
                                            int episode)
{
    if (!path || !a)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: no %s",
                          path ? path : "plot", path ? "analysis" : "output path");
    if (a->episodes < 1 || a->steps < 1)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: empty analysis (%d "
                          "episodes, %d steps)", path, a->episodes, a->steps);
    if (episode < 0 || episode >= a->episodes)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: episode %d outside "
                          "0..%d", path, episode, a->episodes - 1);
    if (a->n_probe_k < 1 || a->n_probe_k > LSNN_L2L_MAX_PROBE_K)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: %d probes (the analysis "
                          "ran without probes?), 1..%d required", path, a->n_probe_k,
                          LSNN_L2L_MAX_PROBE_K);
    if (a->probe_points < 2)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: %d probe points, at least "
                          "2 required", path, a->probe_points);
    if (!a->probe_x || !a->probe_target || !a->probe_pred)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: no probe arrays", path);
    if ((a->seen_x || a->seen_y) && (!a->seen_x || !a->seen_y || a->dx < 1 || a->dx > 2))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: examples of input "
                          "dimension %d (1 or 2 with both seen_x and seen_y)", path, a->dx);
    return LSNN_OK;
}

/* Examples seen before probe j (probe_k[j] clipped to the episode). */
static int lsnn__l2l_seen(const lsnn_l2l_analysis *a, int j)
{
    int k = a->probe_k[j];
    return !a->seen_x || k < 0 ? 0 : k > a->steps ? a->steps : k;
}

lsnn_status lsnn_plot_l2l_internal(const char *path, const lsnn_l2l_analysis *a, int episode,
                                   int width, int height)
{
    lsnn_status st = lsnn__l2l_internal_check(path, a, episode);
    if (st)
        return st;
    const int np = a->probe_points, nk = a->n_probe_k;
    if (width <= 0 || height <= 0) {
        width = 300 * nk + 40;
        height = 340;
    }
    const double *px = a->probe_x;
    const double *target = a->probe_target + (size_t)episode * np;
    const double *pred = a->probe_pred + (size_t)episode * nk * np;

    double x0 = INFINITY, x1 = -INFINITY;
    for (int i = 0; i < np; i++)
        if (isfinite(px[i])) {
            x0 = fmin(x0, px[i]);
            x1 = fmax(x1, px[i]);
        }
    if (!(x1 > x0))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot l2l internal model: the probe grid spans no "
                          "range", path);
    /* One y range for all panels, so that the predictions after K examples compare by eye. */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < np; i++) {
        if (!isfinite(px[i]))
            continue;
        for (int j = -1; j < nk; j++) {
            double v = j < 0 ? target[i] : pred[(size_t)j * np + i];
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    }
    int most = 0;
    for (int j = 0; j < nk; j++)
        most = lsnn__l2l_seen(a, j) > most ? lsnn__l2l_seen(a, j) : most;
    for (int e = 0; e < most; e++) {
        double ex, ey;
        if (lsnn__l2l_dot(a, episode, e, x1 - x0, &ex, &ey)) {
            lo = fmin(lo, ey);
            hi = fmax(hi, ey);
        }
    }
    if (isfinite(lo)) {
        double pad = 0.06 * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    lsnn__nice_range(&lo, &hi, 4);

    const double fs = lsnn__font_size(width, height);
    /* Legend strip on top; the panels share the y axis, so only the first one carries its ticks
     * and label and the gaps stay narrow. */
    double top = round(4.2 * fs), bottom = round(3.3 * fs), left = round(4.4 * fs);
    double right = round(1.0 * fs), gap = round(2.2 * fs);
    double pw = floor((width - left - right - (nk - 1) * gap) / nk), ph = height - top - bottom;
    if (pw < 40 || ph < 40)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small for %d panels", path, width,
                          height, nk);
    lsnn__canvas c;
    st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    const double r = 0.28 * fs;
    const lsnn__rgb dot_col = LSNN__DARK_BLUE;
    for (int j = 0; j < nk; j++) {
        lsnn__axes ax = {left + j * (pw + gap), top, pw, ph, x0, x1, lo, hi, 0};
        lsnn__ax_clip(cr, &ax);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        lsnn__color(cr, LSNN__DARK_GREY);
        cairo_set_line_width(cr, 2.2);
        lsnn__ax_polyline(cr, &ax, px, 0, 0, target, np, 0);
        lsnn__color(cr, LSNN__ORANGE);
        cairo_set_line_width(cr, 2);
        lsnn__dash(cr, 1, 1);
        lsnn__ax_polyline(cr, &ax, px, 0, 0, pred + (size_t)j * np, np, 0);
        cairo_set_dash(cr, NULL, 0, 0);
        lsnn__color(cr, dot_col);
        for (int e = 0; e < lsnn__l2l_seen(a, j); e++) {
            double ex, ey;
            if (!lsnn__l2l_dot(a, episode, e, x1 - x0, &ex, &ey))
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, lsnn__ax_x(&ax, ex), lsnn__ax_y(&ax, ey), r, 0, 2 * LSNN__PI);
        }
        cairo_fill(cr);
        cairo_restore(cr);
        lsnn__ax_frame(cr, &ax);
        lsnn__ax_xticks(cr, &ax, fs, 1);
        lsnn__ax_xlabel(cr, &ax, fs, a->dx == 2 ? "x1 = x2" : "x");
        if (j == 0) {
            lsnn__ax_yticks(cr, &ax, fs);
            lsnn__ax_ylabel(cr, &ax, fs, 3.0 * fs, "C(x)");
        }
        char title[64];
        snprintf(title, sizeof title, "after %d example%s", a->probe_k[j],
                 a->probe_k[j] == 1 ? "" : "s");
        lsnn__ax_title(cr, &ax, fs, title);
    }

    double lx = left, ly = round(1.1 * fs);
    lx = lsnn__legend_item(cr, lx, ly, fs, LSNN__DARK_GREY, 0, 0, "target C(x)") + 1.5 * fs;
    lx = lsnn__legend_item(cr, lx, ly, fs, LSNN__ORANGE, 1, 0, "LSNN internal model") + 1.5 * fs;
    /* The examples are dots, not a line: a marker alone as their sample. */
    lsnn__color(cr, dot_col);
    cairo_new_sub_path(cr);
    cairo_arc(cr, lx + 1.1 * fs, ly, r, 0, 2 * LSNN__PI);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, 0.85 * fs, 0);
    lsnn__text(cr, lx + 2.6 * fs, ly, "examples seen", 0, 0.5);
    char ep[48];
    snprintf(ep, sizeof ep, "episode %d", episode);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    lsnn__font(cr, 0.8 * fs, 0);
    lsnn__text(cr, width - right, ly, ep, 1, 0.5);
    return lsnn__canvas_close(&c);
}

/* Seed 002 Fig. 1: the adaptive spiking neuron's normalised output h P(S) measured over a range of
 * held inputs S (dots) against the AAN activation with the published constants and with the
 * constants fitted to the measurement (lsnn/asn.h, lsnn/plot.h); Figs. 3 and 6, carousels analog
 * against spiking; Figs. 4 and 5, a trained network's outputs before and after conversion. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lsnn/asn.h"
#include "viz.h"

lsnn_status lsnn_plot_asn_transfer(const char *path, const double *s, const double *y, int n,
                                   const lsnn_aan_params *published, const lsnn_aan_params *fit,
                                   int width, int height)
{
    if (!path || !s || !y)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot ASN transfer: no %s", path ? path : "plot",
                          path ? "points" : "output path");
    if (n < 2)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot ASN transfer: %d points, at least 2 needed",
                          path, n);
    double x0 = INFINITY, x1 = -INFINITY, y1 = 1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(s[i]))
            return lsnn_error(LSNN_ERR_ARG, "%s: plot ASN transfer: input %d is not finite",
                              path, i);
        x0 = fmin(x0, s[i]);
        x1 = fmax(x1, s[i]);
        if (isfinite(y[i]))
            y1 = fmax(y1, y[i]);
    }
    if (!(x1 > x0))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot ASN transfer: all inputs equal", path);
    if (width <= 0 || height <= 0) {
        width = 700;
        height = 480;
    }
    const double fs = lsnn__font_size(width, height);
    double top = round(4.4 * fs), bottom = round(3.3 * fs), left = round(4.6 * fs);
    double right = round(1.5 * fs);
    lsnn__axes ax = {left, top, width - left - right, height - top - bottom, x0, x1, 0,
                     ceil(y1 * 10 + 0.5) / 10, 0};
    if (ax.w < 40 || ax.h < 40)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small", path, width, height);
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    lsnn__ax_clip(cr, &ax);
    /* the two curves on a fine grid */
    enum { M = 400 };
    double cy[M];
    const lsnn_aan_params *curves[2] = {published, fit};
    for (int k = 0; k < 2; k++) {
        if (!curves[k])
            continue;
        for (int i = 0; i < M; i++)
            cy[i] = lsnn_aan(x0 + (x1 - x0) * i / (M - 1), curves[k]);
        lsnn__color(cr, lsnn__series(k + 1));
        cairo_set_line_width(cr, 2);
        lsnn__dash(cr, k, 2);
        lsnn__ax_polyline(cr, &ax, NULL, x0, (x1 - x0) / (M - 1), cy, M, 0);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    lsnn__color(cr, lsnn__series(0));
    for (int i = 0; i < n; i++)
        if (isfinite(y[i])) {
            cairo_arc(cr, lsnn__ax_x(&ax, s[i]), lsnn__ax_y(&ax, y[i]), 0.22 * fs, 0,
                      2 * LSNN__PI);
            cairo_fill(cr);
        }
    cairo_restore(cr);
    lsnn__ax_frame(cr, &ax);
    lsnn__ax_xticks(cr, &ax, fs, 1);
    lsnn__ax_yticks(cr, &ax, fs);
    lsnn__ax_xlabel(cr, &ax, fs, "input S (held)");
    lsnn__ax_ylabel(cr, &ax, fs, 3.0 * fs, "normalised output h P(S)");
    lsnn__ax_title(cr, &ax, fs, "Adaptive spiking neuron and its analog activation (AAN)");
    double lx = left, ly = round(1.1 * fs);
    lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(0), 0, 1, "ASN, measured") + 1.5 * fs;
    char lab[160];
    if (published) {
        snprintf(lab, sizeof lab, "AAN published (%.4g, %.4g, %.4g, %.4g)", published->a,
                 published->b, published->c, published->d);
        lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(1), 0, 0, lab) + 1.5 * fs;
    }
    if (fit) {
        snprintf(lab, sizeof lab, "AAN fitted (%.4g, %.4g, %.4g, %.4g)", fit->a, fit->b, fit->c,
                 fit->d);
        lsnn__legend_item(cr, left, ly + 1.3 * fs, fs, lsnn__series(2), 1, 0, lab);
    }
    (void)lx;
    return lsnn__canvas_close(&c);
}

/* Seed 002 Figs. 3 and 6: carousels, analog (one value per step, drawn at the end of its window)
 * against spiking (the output ASN's current, every ms); one colour per cell. */
lsnn_status lsnn_plot_cec(const char *path, const double *spiking, int steps, double dt,
                          int n_cells, const double *analog, int windows, double window_ms,
                          const char *title, int width, int height)
{
    if (!path || !spiking || !analog)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot carousel: no %s", path ? path : "plot",
                          path ? "traces" : "output path");
    if (steps < 2 || windows < 1 || n_cells < 1 || !(dt > 0) || !(window_ms > 0))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot carousel: %d steps, %d windows, %d cells (at "
                          "least 2, 1 and 1, with dt and the window > 0)", path, steps, windows,
                          n_cells);
    const int C = n_cells;
    double y0 = 0, y1 = 0;
    for (size_t i = 0; i < (size_t)steps * C; i++)
        if (isfinite(spiking[i]))
            y1 = fmax(y1, spiking[i]), y0 = fmin(y0, spiking[i]);
    for (size_t w = 0; w < (size_t)windows * C; w++)
        if (isfinite(analog[w]))
            y1 = fmax(y1, analog[w]), y0 = fmin(y0, analog[w]);
    if (!(y1 > y0))
        y1 = y0 + 1;
    lsnn__nice_range(&y0, &y1, 6);
    if (width <= 0 || height <= 0) {
        width = 760;
        height = 440;
    }
    const double fs = lsnn__font_size(width, height);
    const double top = round((C > 1 ? 5.7 : 4.4) * fs), bottom = round(3.3 * fs);
    const double left = round(4.6 * fs), right = round(1.5 * fs);
    const double t1 = fmax(steps * dt, windows * window_ms);
    lsnn__axes ax = {left, top, width - left - right, height - top - bottom, 0, t1, y0, y1, 0};
    if (ax.w < 40 || ax.h < 40)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small", path, width, height);
    double *col = malloc(sizeof(double) * (size_t)(steps > windows ? steps : windows));
    if (!col)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st) {
        free(col);
        return st;
    }
    cairo_t *cr = c.cr;
    lsnn__ax_clip(cr, &ax);
    for (int cell = 0; cell < C; cell++) {
        const lsnn__rgb sc = lsnn__series(C > 1 ? cell : 0), ac = lsnn__series(C > 1 ? cell : 1);
        for (int i = 0; i < steps; i++)
            col[i] = spiking[(size_t)i * C + cell];
        lsnn__color(cr, sc);
        cairo_set_line_width(cr, 1.4);
        lsnn__ax_polyline(cr, &ax, NULL, dt, dt, col, steps, 0);
        /* analog: a step function, the value of step w from the end of window w */
        lsnn__color(cr, ac);
        cairo_set_line_width(cr, 2);
        lsnn__dash(cr, 1, 2);
        double prev = 0;
        cairo_move_to(cr, lsnn__ax_x(&ax, 0), lsnn__ax_y(&ax, 0));
        for (int w = 0; w < windows; w++) {
            const double x = (w + 1) * window_ms, v = analog[(size_t)w * C + cell];
            cairo_line_to(cr, lsnn__ax_x(&ax, x), lsnn__ax_y(&ax, prev));
            prev = isfinite(v) ? v : prev;
            cairo_line_to(cr, lsnn__ax_x(&ax, x), lsnn__ax_y(&ax, prev));
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        const double rad = (windows > 40 ? 0.15 : 0.25) * fs;
        for (int w = 0; w < windows; w++) {
            const double v = analog[(size_t)w * C + cell];
            if (isfinite(v)) {
                cairo_arc(cr, lsnn__ax_x(&ax, (w + 1) * window_ms), lsnn__ax_y(&ax, v), rad, 0,
                          2 * LSNN__PI);
                cairo_fill(cr);
            }
        }
    }
    cairo_restore(cr);
    free(col);
    lsnn__ax_frame(cr, &ax);
    lsnn__ax_xticks(cr, &ax, fs, 1);
    lsnn__ax_yticks(cr, &ax, fs);
    lsnn__ax_xlabel(cr, &ax, fs, "time (ms)");
    lsnn__ax_ylabel(cr, &ax, fs, 3.0 * fs, "carousel value");
    lsnn__ax_title(cr, &ax, fs, title ? title : "Constant error carousel: analog and spiking");
    double lx = left, ly = round(1.1 * fs);
    if (C == 1) {
        lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(0), 0, 0,
                               "spiking: current of the output ASN") + 1.5 * fs;
        lsnn__legend_item(cr, lx, ly, fs, lsnn__series(1), 1, 1, "analog: s after each step");
    } else {
        char lab[64];
        for (int cell = 0; cell < C; cell++) {
            snprintf(lab, sizeof lab, "spiking CEC %d", cell + 1);
            const double x2 =
                lsnn__legend_item(cr, lx, ly, fs, lsnn__series(cell), 0, 0, lab) + 1.5 * fs;
            snprintf(lab, sizeof lab, "analog CEC %d", cell + 1);
            lsnn__legend_item(cr, lx, ly + 1.3 * fs, fs, lsnn__series(cell), 1, 1, lab);
            lx = fmax(x2, lx + 8.5 * fs);
        }
    }
    return lsnn__canvas_close(&c);
}

/* One panel of the outputs figure: n series of len points, x = x0 + i dx, selected columns of
 * a row-major (rows, stride) array starting at row `first`. */
static void outputs_panel(cairo_t *cr, const lsnn__axes *ax, double fs, const double *v,
                          int stride, int first, int len, double x0, double dx, const int *units,
                          int n, int markers)
{
    double *col = malloc(sizeof(double) * (size_t)len);
    if (!col)
        return;
    lsnn__ax_clip(cr, ax);
    for (int u = 0; u < n; u++) {
        for (int i = 0; i < len; i++)
            col[i] = v[(size_t)(first + i) * stride + units[u]];
        lsnn__color(cr, lsnn__series(u));
        cairo_set_line_width(cr, markers ? 2 : 1.3);
        lsnn__dash(cr, u, markers ? 2 : 1.3);
        lsnn__ax_polyline(cr, ax, NULL, x0, dx, col, len, 0);
        cairo_set_dash(cr, NULL, 0, 0);
        if (markers)
            for (int i = 0; i < len; i++)
                if (isfinite(col[i])) {
                    cairo_arc(cr, lsnn__ax_x(ax, x0 + i * dx), lsnn__ax_y(ax, col[i]),
                              0.25 * fs, 0, 2 * LSNN__PI);
                    cairo_fill(cr);
                }
    }
    cairo_restore(cr);
    free(col);
}

lsnn_status lsnn_plot_alstm_outputs(const char *path, const double *analog, int steps,
                                    const double *spiking, int windows, int window, double dt,
                                    int n_out, const int *units, const char *const *labels,
                                    int n_units, int last, const char *title, int width,
                                    int height)
{
    if (!path || !analog || !spiking || !units || !labels)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot outputs: no %s", path ? path : "plot",
                          path ? "traces or units" : "output path");
    if (steps < 1 || windows < 1 || window < 1 || n_out < 1 || n_units < 1 || last < 1 ||
        !(dt > 0))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot outputs: %d steps, %d windows of %d, %d "
                          "outputs, %d shown, the last %d (each at least 1, dt > 0)", path,
                          steps, windows, window, n_out, n_units, last);
    for (int u = 0; u < n_units; u++)
        if (units[u] < 0 || units[u] >= n_out)
            return lsnn_error(LSNN_ERR_ARG, "%s: plot outputs: unit %d of %d outputs", path,
                              units[u], n_out);
    const int la = last < steps ? last : steps, ls = last < windows ? last : windows;
    const int fa = steps - la, fsw = (windows - ls) * window, ns = ls * window;
    double y0 = 0, y1 = 1;
    for (int u = 0; u < n_units; u++) {
        for (int i = 0; i < la; i++) {
            const double v = analog[(size_t)(fa + i) * n_out + units[u]];
            if (isfinite(v))
                y0 = fmin(y0, v), y1 = fmax(y1, v);
        }
        for (int i = 0; i < ns; i++) {
            const double v = spiking[(size_t)(fsw + i) * n_out + units[u]];
            if (isfinite(v))
                y0 = fmin(y0, v), y1 = fmax(y1, v);
        }
    }
    lsnn__nice_range(&y0, &y1, 6);
    if (width <= 0 || height <= 0) {
        width = 1000;
        height = 440;
    }
    const double fs = lsnn__font_size(width, height);
    const int rows = (n_units + 5) / 6;
    const double top = round((4.4 + 1.3 * rows) * fs), bottom = round(3.3 * fs);
    const double left = round(4.6 * fs), right = round(1.5 * fs), gap = round(3.0 * fs);
    const double pw = (width - left - right - gap) / 2;
    const double ph = height - top - bottom;
    if (pw < 40 || ph < 40)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small", path, width, height);
    /* steps numbered from 1; the spiking panel's time runs from the start of the sequence */
    lsnn__axes aa = {left, top, pw, ph, fa + 1 - 0.3, steps + 0.3, y0, y1, 0};
    if (la == 1)
        aa.x0 = fa + 0.5, aa.x1 = fa + 1.5;
    const double t0 = fsw * dt, t1 = (double)windows * window * dt;
    lsnn__axes as = {left + pw + gap, top, pw, ph, t0, t1, y0, y1, 0};
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    /* window boundaries on the spiking panel */
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_set_line_width(cr, 1);
    for (int w = windows - ls; w <= windows; w++) {
        const double x = round(lsnn__ax_x(&as, (double)w * window * dt)) + 0.5;
        cairo_move_to(cr, x, as.y);
        cairo_line_to(cr, x, as.y + as.h);
    }
    cairo_stroke(cr);
    outputs_panel(cr, &aa, fs, analog, n_out, fa, la, fa + 1, 1, units, n_units, 1);
    outputs_panel(cr, &as, fs, spiking, n_out, fsw, ns, t0 + dt, dt, units, n_units, 0);
    const lsnn__axes *axs[2] = {&aa, &as};
    const char *xl[2] = {"time step", "time (ms)"};
    const char *tl[2] = {"analog", "spiking (every ms; windows in grey)"};
    for (int k = 0; k < 2; k++) {
        lsnn__ax_frame(cr, axs[k]);
        lsnn__ax_xticks(cr, axs[k], fs, 1);
        lsnn__ax_yticks(cr, axs[k], fs);
        lsnn__ax_xlabel(cr, axs[k], fs, xl[k]);
        lsnn__ax_title(cr, axs[k], fs, tl[k]);
    }
    lsnn__ax_ylabel(cr, &aa, fs, 3.0 * fs, "output");
    lsnn__font(cr, fs * 1.1, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__text(cr, left, round(0.6 * fs), title ? title : "Outputs before and after conversion",
               0, 0);
    double lx = left, ly = round(2.4 * fs);
    for (int u = 0; u < n_units; u++) {
        if (u && u % 6 == 0)
            lx = left, ly += 1.3 * fs;
        lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(u), u, 1, labels[u]) + 1.5 * fs;
    }
    return lsnn__canvas_close(&c);
}

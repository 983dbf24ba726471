/* Seed 002 Fig. 1: the adaptive spiking neuron's normalised output h P(S) measured over a range of
 * held inputs S (dots) against the AAN activation with the published constants and with the
 * constants fitted to the measurement (lsnn/asn.h, lsnn/plot.h). */
#include <cairo.h>
#include <math.h>
#include <stdio.h>

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

/* Seed 002 Fig. 3: the carousel of a cell under a constant input, analog (one value per step,
 * drawn at the end of its window) against spiking (the output ASN's current, every ms). */
lsnn_status lsnn_plot_cec(const char *path, const double *spiking, int steps, double dt,
                          const double *analog, int windows, double window_ms, const char *title,
                          int width, int height)
{
    if (!path || !spiking || !analog)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot carousel: no %s", path ? path : "plot",
                          path ? "traces" : "output path");
    if (steps < 2 || windows < 1 || !(dt > 0) || !(window_ms > 0))
        return lsnn_error(LSNN_ERR_ARG, "%s: plot carousel: %d steps, %d windows (at least 2 "
                          "and 1, with dt and the window > 0)", path, steps, windows);
    double y0 = 0, y1 = 0;
    for (int i = 0; i < steps; i++)
        if (isfinite(spiking[i]))
            y1 = fmax(y1, spiking[i]), y0 = fmin(y0, spiking[i]);
    for (int w = 0; w < windows; w++)
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
    double top = round(4.4 * fs), bottom = round(3.3 * fs), left = round(4.6 * fs);
    double right = round(1.5 * fs);
    const double t1 = fmax(steps * dt, windows * window_ms);
    lsnn__axes ax = {left, top, width - left - right, height - top - bottom, 0, t1, y0, y1, 0};
    if (ax.w < 40 || ax.h < 40)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small", path, width, height);
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    lsnn__ax_clip(cr, &ax);
    lsnn__color(cr, lsnn__series(0));
    cairo_set_line_width(cr, 1.4);
    lsnn__ax_polyline(cr, &ax, NULL, dt, dt, spiking, steps, 0);
    /* analog: a step function, the value of step w from the end of window w */
    lsnn__color(cr, lsnn__series(1));
    cairo_set_line_width(cr, 2);
    lsnn__dash(cr, 1, 2);
    double prev = 0;
    cairo_move_to(cr, lsnn__ax_x(&ax, 0), lsnn__ax_y(&ax, 0));
    for (int w = 0; w < windows; w++) {
        double x = (w + 1) * window_ms;
        cairo_line_to(cr, lsnn__ax_x(&ax, x), lsnn__ax_y(&ax, prev));
        prev = isfinite(analog[w]) ? analog[w] : prev;
        cairo_line_to(cr, lsnn__ax_x(&ax, x), lsnn__ax_y(&ax, prev));
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    for (int w = 0; w < windows; w++)
        if (isfinite(analog[w])) {
            cairo_arc(cr, lsnn__ax_x(&ax, (w + 1) * window_ms), lsnn__ax_y(&ax, analog[w]),
                      0.25 * fs, 0, 2 * LSNN__PI);
            cairo_fill(cr);
        }
    cairo_restore(cr);
    lsnn__ax_frame(cr, &ax);
    lsnn__ax_xticks(cr, &ax, fs, 1);
    lsnn__ax_yticks(cr, &ax, fs);
    lsnn__ax_xlabel(cr, &ax, fs, "time (ms)");
    lsnn__ax_ylabel(cr, &ax, fs, 3.0 * fs, "carousel value");
    lsnn__ax_title(cr, &ax, fs, title ? title : "Constant error carousel: analog and spiking");
    double lx = left, ly = round(1.1 * fs);
    lx = lsnn__legend_item(cr, lx, ly, fs, lsnn__series(0), 0, 0,
                           "spiking: current of the output ASN") + 1.5 * fs;
    lsnn__legend_item(cr, lx, ly, fs, lsnn__series(1), 1, 1, "analog: s after each step");
    return lsnn__canvas_close(&c);
}

/* The drawing helpers of the figures (see viz.h): colours, dash patterns, text, the axes helper
 * and the labels and colours of populations. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "viz.h"

/* ---------------------------------------------------------------------------------------------
 * Colours, dashes, text. */

/* Series colours: dark blue, orange and grey first (three clearly different grey levels), then
 * the rest of the Okabe-Ito palette, which is also safe for colour-blind readers. */
static const lsnn__rgb LSNN__SERIES[] = {
    {0.05, 0.25, 0.55}, {0.90, 0.55, 0.00}, {0.50, 0.50, 0.50}, {0.00, 0.60, 0.45},
    {0.80, 0.40, 0.00}, {0.35, 0.70, 0.90}, {0.80, 0.47, 0.65}, {0.00, 0.00, 0.00},
    {0.55, 0.35, 0.15}, {0.25, 0.25, 0.75},
};
#define LSNN__N_SERIES ((int)(sizeof LSNN__SERIES / sizeof LSNN__SERIES[0]))

const lsnn__rgb LSNN__DARK_BLUE = {0.05, 0.25, 0.55};
const lsnn__rgb LSNN__ORANGE = {0.85, 0.45, 0.00};
const lsnn__rgb LSNN__DARK_GREY = {0.25, 0.25, 0.25};

void lsnn__color(cairo_t *cr, lsnn__rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

lsnn__rgb lsnn__series(int i)
{
    return LSNN__SERIES[((i % LSNN__N_SERIES) + LSNN__N_SERIES) % LSNN__N_SERIES];
}

/* Dash pattern i (0 = solid), scaled with the line width. */
void lsnn__dash(cairo_t *cr, int i, double lw)
{
    static const double pat[5][4] = {
        {0, 0, 0, 0}, {6, 3, 0, 0}, {1.5, 2.5, 0, 0}, {7, 2.5, 1.5, 2.5}, {12, 4, 0, 0}};
    static const int len[5] = {0, 2, 2, 4, 2};
    int k = i % 5;
    double d[4];
    for (int j = 0; j < len[k]; j++)
        d[j] = pat[k][j] * (lw < 1 ? 1 : lw);
    cairo_set_dash(cr, d, len[k], 0);
}

void lsnn__font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double lsnn__text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Text at (x, y) in the current font and colour: ha 0 = left, 0.5 = centre, 1 = right edge at x;
 * va 0 = top, 0.5 = middle, 1 = bottom of the font's box at y. */
void lsnn__text(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double w = lsnn__text_width(cr, s);
    double box = fe.ascent + fe.descent;
    cairo_move_to(cr, x - ha * w, y - va * box + fe.ascent);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
}

/* The same, rotated by 90 degrees counter-clockwise (reads bottom to top). */
void lsnn__text_up(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -LSNN__PI / 2);
    lsnn__text(cr, 0, 0, s, ha, va);
    cairo_restore(cr);
}

/* A text on a white box (labels over lines). */
void lsnn__text_boxed(cairo_t *cr, double x, double y, const char *s, lsnn__rgb c)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double w = lsnn__text_width(cr, s), h = fe.ascent + fe.descent, pad = 0.2 * h;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x - w / 2 - pad, y - h / 2 - pad / 2, w + 2 * pad, h + pad);
    cairo_fill(cr);
    lsnn__color(cr, c);
    lsnn__text(cr, x, y, s, 0.5, 0.5);
}

/* Base font size of a figure: grows with the figure's width (about 95 characters' height across
 * it; less when the figure is very flat), within legible bounds. */
double lsnn__font_size(int width, int height)
{
    double fs = fmin(width / 95.0, height / 30.0);
    return fs < 8 ? 8 : fs > 16 ? 16 : fs;
}

/* ---------------------------------------------------------------------------------------------
 * Axes: a data rectangle (whole units) with linear or log10 scales. */

double lsnn__ax_x(const lsnn__axes *a, double v)
{
    return a->x + (v - a->x0) / (a->x1 - a->x0) * a->w;
}

double lsnn__ax_y(const lsnn__axes *a, double v)
{
    double f = a->ylog ? (log10(v) - log10(a->y0)) / (log10(a->y1) - log10(a->y0))
                       : (v - a->y0) / (a->y1 - a->y0);
    return a->y + a->h - f * a->h;
}

/* Frame just outside the data area, so that it never covers a data pixel. */
void lsnn__ax_polyline(cairo_t *cr, const lsnn__axes *a, const double *x, double x0, double dx,
                       const double *y, int n, int bridge)
{
    int pen = 0;
    for (int i = 0; i < n; i++) {
        const double xi = x ? x[i] : x0 + i * dx;
        if (!isfinite(xi) || !isfinite(y[i]) || (a->ylog && !(y[i] > 0))) {
            if (!bridge)
                pen = 0;
            continue;
        }
        const double px = lsnn__ax_x(a, xi), py = lsnn__ax_y(a, y[i]);
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
}

void lsnn__ax_frame(cairo_t *cr, const lsnn__axes *a)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_rectangle(cr, a->x - 0.5, a->y - 0.5, a->w + 1, a->h + 1);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about n intervals over range. */
double lsnn__nice_step(double range, double n)
{
    if (!(range > 0) || !(n >= 1))
        return 1;
    double raw = range / n, e = pow(10, floor(log10(raw))), f = raw / e;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * e;
}

void lsnn__fmt_tick(char *buf, size_t cap, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6)
        dec = 6;
    if (fabs(v) < step * 1e-9)
        v = 0;
    snprintf(buf, cap, "%.*f", dec, v);
}

/* Nice limits around [lo, hi] (lo < hi after the call). */
void lsnn__nice_range(double *lo, double *hi, double n)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
    }
    if (*hi - *lo < 1e-12 * (fabs(*hi) + fabs(*lo)) || *hi <= *lo) {
        double c = *lo, d = fabs(c) > 0 ? 0.1 * fabs(c) : 1;
        *lo = c - d;
        *hi = c + d;
    }
    double s = lsnn__nice_step(*hi - *lo, n);
    *lo = floor(*lo / s + 1e-9) * s;
    *hi = ceil(*hi / s - 1e-9) * s;
}

/* Ticks on the x axis (below the frame), labelled when `labels`. */
void lsnn__ax_xticks(cairo_t *cr, const lsnn__axes *a, double fs, int labels)
{
    double s = lsnn__nice_step(a->x1 - a->x0, a->w / (fs * 6));
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    lsnn__font(cr, fs * 0.85, 0);
    /* The cap keeps absurd ranges finite (a step below the spacing of doubles near x1, or an
     * x1 near DBL_MAX whose bound overflows). */
    int nt = 0;
    for (double v = ceil(a->x0 / s - 1e-9) * s; v <= a->x1 + s * 1e-9 && nt < 100; v += s, nt++) {
        double px = round(lsnn__ax_x(a, v)) + 0.5;
        if (px > a->x + a->w)
            px -= 1;
        cairo_move_to(cr, px, a->y + a->h + 0.5);
        cairo_line_to(cr, px, a->y + a->h + 0.35 * fs);
        cairo_stroke(cr);
        if (labels) {
            char buf[32];
            lsnn__fmt_tick(buf, sizeof buf, v, s);
            lsnn__text(cr, px, a->y + a->h + 0.45 * fs, buf, 0.5, 0);
        }
    }
    cairo_restore(cr);
}

/* Ticks on the y axis (left of the frame) with labels, for values up to hi. */
void lsnn__ax_yticks_to(cairo_t *cr, const lsnn__axes *a, double fs, double hi)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    lsnn__font(cr, fs * 0.85, 0);
    double vals[64];
    char labs[64][32];
    int nv = 0;
    if (a->ylog) {
        /* Callers keep 1e-300 <= y0 < y1 <= 1e300, so the decades fit an int. */
        int d0 = (int)floor(log10(a->y0) + 1e-9), d1 = (int)ceil(log10(a->y1) - 1e-9);
        /* Fewer than three powers of ten in range: label 2 and 5 times them too. */
        int decades = 0;
        for (int d = d0; d <= d1; d++)
            decades += pow(10, d) >= a->y0 * (1 - 1e-9) && pow(10, d) <= a->y1 * (1 + 1e-9);
        int few = decades < 3;
        for (int d = d0; d <= d1 && nv < 60; d++)
            for (int m = 1; m <= 5; m++) {
                if (m != 1 && !(few && (m == 2 || m == 5)))
                    continue;
                double v = m * pow(10, d);
                if (v < a->y0 * (1 - 1e-9) || v > a->y1 * (1 + 1e-9))
                    continue;
                vals[nv] = v;
                snprintf(labs[nv], sizeof labs[nv], "%g", v);
                nv++;
            }
    } else {
        double s = lsnn__nice_step(a->y1 - a->y0, a->h / (fs * 2.6));
        for (double v = ceil(a->y0 / s - 1e-9) * s; v <= a->y1 + s * 1e-9 && nv < 60; v += s) {
            vals[nv] = v;
            lsnn__fmt_tick(labs[nv], sizeof labs[nv], v, s);
            nv++;
        }
    }
    for (int i = 0; i < nv; i++) {
        if (vals[i] > hi)
            continue;
        double py = round(lsnn__ax_y(a, vals[i])) + 0.5;
        if (py > a->y + a->h)
            py -= 1;
        cairo_move_to(cr, a->x - 0.5, py);
        cairo_line_to(cr, a->x - 0.35 * fs, py);
        cairo_stroke(cr);
        lsnn__text(cr, a->x - 0.5 * fs, py, labs[i], 1, 0.5);
    }
    cairo_restore(cr);
}

void lsnn__ax_yticks(cairo_t *cr, const lsnn__axes *a, double fs)
{
    lsnn__ax_yticks_to(cr, a, fs, INFINITY);
}

/* Axis labels: x centred below the tick labels, y rotated left of them. */
void lsnn__ax_xlabel(cairo_t *cr, const lsnn__axes *a, double fs, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 0);
    lsnn__text(cr, a->x + a->w / 2, a->y + a->h + 1.65 * fs, s, 0.5, 0);
}

void lsnn__ax_ylabel(cairo_t *cr, const lsnn__axes *a, double fs, double dx, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 0);
    lsnn__text_up(cr, a->x - dx, a->y + a->h / 2, s, 0.5, 1);
}

void lsnn__ax_title(cairo_t *cr, const lsnn__axes *a, double fs, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 1);
    lsnn__text(cr, a->x + a->w / 2, a->y - 0.4 * fs, s, 0.5, 1);
}

/* Starts a clipped region of the data area. */
void lsnn__ax_clip(cairo_t *cr, const lsnn__axes *a)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
}

/* A short legend sample line (with an optional marker) followed by a label; returns the x after
 * the label. */
double lsnn__legend_item(cairo_t *cr, double x, double y, double fs, lsnn__rgb c, int dash,
                                int marker, const char *label)
{
    double len = 2.2 * fs;
    cairo_save(cr);
    lsnn__color(cr, c);
    cairo_set_line_width(cr, 2);
    lsnn__dash(cr, dash, 1);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + len, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (marker) {
        cairo_arc(cr, x + len / 2, y, 0.28 * fs, 0, 2 * LSNN__PI);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, 0.85 * fs, 0);
    lsnn__text(cr, x + len + 0.4 * fs, y, label, 0, 0.5);
    double end = x + len + 0.4 * fs + lsnn__text_width(cr, label);
    cairo_restore(cr);
    return end;
}

/* ---------------------------------------------------------------------------------------------
 * Populations. */

void lsnn__pop_label(const lsnn_plot_population *p, char *buf, size_t cap)
{
    /* Populations outside the R / A family (an embedded module's "M_in" and "M") by name. */
    if (p->name && p->name[0] && p->name[0] != 'R' && p->name[0] != 'A') {
        snprintf(buf, cap, "%s", p->name);
        return;
    }
    const char *s = p->sign == LSNN_SIGN_EXC ? "E" : p->sign == LSNN_SIGN_INH ? "I" : "";
    /* The layer of a multi-layer network ("R2", "A3_E", ...) and the backward direction of a
     * bidirectional one ("R_bw", "A_bw_E", ...). */
    char tag[16] = "";
    if (p->name && p->name[0] && p->name[1] >= '2' && p->name[1] <= '9')
        snprintf(tag, sizeof tag, "%c", p->name[1]);
    if (p->name && strstr(p->name, "_bw"))
        snprintf(tag, sizeof tag, " bw");
    if (p->adaptive && *s)
        snprintf(buf, cap, "A%s (%s)", tag, s);
    else if (p->adaptive)
        snprintf(buf, cap, "A%s", tag);
    else if (*s)
        snprintf(buf, cap, "%s%s", s, tag);
    else
        snprintf(buf, cap, "R%s", tag);
}

lsnn__rgb lsnn__pop_color(const lsnn_plot_population *p)
{
    if (p->sign == LSNN_SIGN_INH)
        return LSNN__ORANGE;
    if (p->adaptive)
        return LSNN__DARK_GREY;
    return LSNN__DARK_BLUE;
}

/* The drawing helpers shared by the figures of src/viz/ (not public; see lsnn/plot.h).
 *
 * canvas.c: the output surface, format by extension, written atomically. axes.c: colours, dash
 * patterns, text, a minimal axes helper (frame, ticks with numeric labels, axis labels, linear or
 * logarithmic scale), legend entries and the labels and colours of populations. Every figure is
 * laid out in the units of the surface (pixels for PNG and SVG, points for PDF), with a font size
 * derived from the figure size, so the formats look alike. */
#ifndef LSNN_VIZ_INTERNAL_H
#define LSNN_VIZ_INTERNAL_H

#include <cairo.h>
#include <stddef.h>
#include <stdio.h>

#include "lsnn/plot.h"

#define LSNN__PATH_CAP 4096
#define LSNN__PI 3.14159265358979323846

/* ---------------------------------------------------------------------------------------------
 * Canvas (canvas.c): a cairo surface that ends up atomically in `path`. */

enum { LSNN__PNG, LSNN__SVG, LSNN__PDF };

typedef struct lsnn__canvas {
    const char *path;
    char tmp[LSNN__PATH_CAP];
    int fmt;
    FILE *f;
    cairo_surface_t *surface;
    cairo_t *cr;
} lsnn__canvas;

/* Checks the path's extension and the size, opens the temporary file and paints the background
 * white. */
lsnn_status lsnn__canvas_open(lsnn__canvas *c, const char *path, int width, int height);
/* Drops the drawing and the temporary file. */
void lsnn__canvas_abort(lsnn__canvas *c);
/* Finishes the drawing, writes the file (fsync, rename) and frees the canvas. */
lsnn_status lsnn__canvas_close(lsnn__canvas *c);

/* ---------------------------------------------------------------------------------------------
 * Colours, dashes, text (axes.c). */

typedef struct lsnn__rgb {
    double r, g, b;
} lsnn__rgb;

extern const lsnn__rgb LSNN__DARK_BLUE, LSNN__ORANGE, LSNN__DARK_GREY;

void lsnn__color(cairo_t *cr, lsnn__rgb c);
/* Colour of series i: dark blue, orange and grey first, then the rest of the Okabe-Ito palette. */
lsnn__rgb lsnn__series(int i);
/* Dash pattern i (0 = solid), scaled with the line width. */
void lsnn__dash(cairo_t *cr, int i, double lw);
void lsnn__font(cairo_t *cr, double size, int bold);
double lsnn__text_width(cairo_t *cr, const char *s);
/* Text at (x, y) in the current font and colour: ha 0 = left, 0.5 = centre, 1 = right edge at x;
 * va 0 = top, 0.5 = middle, 1 = bottom of the font's box at y. */
void lsnn__text(cairo_t *cr, double x, double y, const char *s, double ha, double va);
/* The same, rotated by 90 degrees counter-clockwise (reads bottom to top). */
void lsnn__text_up(cairo_t *cr, double x, double y, const char *s, double ha, double va);
/* A text on a white box (labels over lines). */
void lsnn__text_boxed(cairo_t *cr, double x, double y, const char *s, lsnn__rgb c);
/* Base font size of a figure of width x height units. */
double lsnn__font_size(int width, int height);

/* ---------------------------------------------------------------------------------------------
 * Axes (axes.c): a data rectangle (whole units) with linear or log10 scales. */

typedef struct lsnn__axes {
    double x, y, w, h;      /* data area in surface units */
    double x0, x1, y0, y1;  /* data ranges (for ylog: values, not logarithms) */
    int ylog;
} lsnn__axes;

double lsnn__ax_x(const lsnn__axes *a, double v);
double lsnn__ax_y(const lsnn__axes *a, double v);
/* Frame just outside the data area, so that it never covers a data pixel. */
void lsnn__ax_frame(cairo_t *cr, const lsnn__axes *a);
/* Strokes the polyline through the points (x[i], y[i]) in data units (x NULL: x = x0 + i dx)
 * in the current colour, width and dash. The pen is lifted at a point it cannot draw (not
 * finite, or y <= 0 on a log axis), or, with bridge != 0, the line goes on to the next one. */
void lsnn__ax_polyline(cairo_t *cr, const lsnn__axes *a, const double *x, double x0, double dx,
                       const double *y, int n, int bridge);
/* A "nice" step (1, 2 or 5 times a power of ten) giving about n intervals over range. */
double lsnn__nice_step(double range, double n);
void lsnn__fmt_tick(char *buf, size_t cap, double v, double step);
/* Nice limits around [lo, hi] (lo < hi after the call). */
void lsnn__nice_range(double *lo, double *hi, double n);
/* Ticks on the x axis (below the frame), labelled when `labels`. */
void lsnn__ax_xticks(cairo_t *cr, const lsnn__axes *a, double fs, int labels);
/* Ticks on the y axis (left of the frame) with labels, for values up to hi. */
void lsnn__ax_yticks_to(cairo_t *cr, const lsnn__axes *a, double fs, double hi);
void lsnn__ax_yticks(cairo_t *cr, const lsnn__axes *a, double fs);
/* Axis labels: x centred below the tick labels, y rotated left of them; the title above. */
void lsnn__ax_xlabel(cairo_t *cr, const lsnn__axes *a, double fs, const char *s);
void lsnn__ax_ylabel(cairo_t *cr, const lsnn__axes *a, double fs, double dx, const char *s);
void lsnn__ax_title(cairo_t *cr, const lsnn__axes *a, double fs, const char *s);
/* Starts a clipped region of the data area (cairo_save; the caller restores). */
void lsnn__ax_clip(cairo_t *cr, const lsnn__axes *a);
/* A short legend sample line (with an optional marker) followed by a label; returns the x after
 * the label. */
double lsnn__legend_item(cairo_t *cr, double x, double y, double fs, lsnn__rgb c, int dash,
                         int marker, const char *label);

/* The last component of path p ("runs/a/" -> "a") in buf (curves.c). */
const char *lsnn__basename(const char *p, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * Populations (axes.c), shared by the dynamics and connectivity figures. */

/* "E", "I", "R", "A", "A (E)", ... (lsnn/plot.h), or the name of a population outside the R / A
 * family. */
void lsnn__pop_label(const lsnn_plot_population *p, char *buf, size_t cap);
lsnn__rgb lsnn__pop_color(const lsnn_plot_population *p);

#endif

/* Figures with cairo (see lsnn/plot.h).
 *
 * The file has four parts: the output canvas (format by extension, atomic write), a minimal axes
 * helper (frame, ticks with numeric labels, axis labels, linear or logarithmic scale), and the
 * three figures. Every figure is laid out in the units of the surface (pixels for PNG and SVG,
 * points for PDF), with a font size derived from the figure size, so the formats look alike.
 *
 * Raster marks are rectangles aligned to whole units: a spike is never an anti-aliased sliver
 * that prints as light grey, and lsnn_plot_raster_geometry can say exactly which pixel it
 * covers. */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsnn/plot.h"

#define LSNN__PATH_CAP 4096
#define LSNN__PI 3.14159265358979323846

/* ---------------------------------------------------------------------------------------------
 * Canvas: a cairo surface that ends up atomically in `path`. */

enum { LSNN__PNG, LSNN__SVG, LSNN__PDF };

typedef struct lsnn__canvas {
    const char *path;
    char tmp[LSNN__PATH_CAP];
    int fmt;
    FILE *f;
    cairo_surface_t *surface;
    cairo_t *cr;
} lsnn__canvas;

static cairo_status_t lsnn__write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                       : CAIRO_STATUS_WRITE_ERROR;
}

static int lsnn__ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    if (ls < lx)
        return 0;
    for (size_t i = 0; i < lx; i++)
        if (tolower((unsigned char)s[ls - lx + i]) != suffix[i])
            return 0;
    return 1;
}

static lsnn_status lsnn__canvas_open(lsnn__canvas *c, const char *path, int width, int height)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    if (!path || !*path)
        return lsnn_error(LSNN_ERR_ARG, "plot: empty output path");
    if (lsnn__ends_with(path, ".png"))
        c->fmt = LSNN__PNG;
    else if (lsnn__ends_with(path, ".svg"))
        c->fmt = LSNN__SVG;
    else if (lsnn__ends_with(path, ".pdf"))
        c->fmt = LSNN__PDF;
    else
        return lsnn_error(LSNN_ERR_ARG, "%s: unknown image format (the name must end in .png, "
                          ".svg or .pdf)", path);
    if (width < 64 || width > 16384 || height < 64 || height > 16384)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure size %d x %d outside 64..16384", path, width,
                          height);
    if (strlen(path) + 32 > sizeof c->tmp)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", path);
    /* Same directory as the target, so rename() is atomic; the pid keeps writers apart. */
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp.%ld", path, (long)getpid());
    c->f = fopen(c->tmp, "wb");
    if (!c->f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (c->fmt == LSNN__PNG)
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    else if (c->fmt == LSNN__SVG) {
        c->surface = cairo_svg_surface_create_for_stream(lsnn__write_cb, c->f, width, height);
        /* Pixels, so that a browser shows the SVG at the size of the PNG (cairo's default unit,
         * the point, would scale it by 4/3). */
        cairo_svg_surface_set_document_unit(c->surface, CAIRO_SVG_UNIT_PX);
    }
    else
        c->surface = cairo_pdf_surface_create_for_stream(lsnn__write_cb, c->f, width, height);
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        lsnn_status st = lsnn_error(LSNN_ERR_NOMEM, "%s: cannot create a %d x %d surface: %s",
                                    path, width, height, cairo_status_to_string(cairo_status(c->cr)));
        cairo_destroy(c->cr);
        cairo_surface_destroy(c->surface);
        fclose(c->f);
        remove(c->tmp);
        return st;
    }
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    return LSNN_OK;
}

static void lsnn__canvas_abort(lsnn__canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface)
        cairo_surface_destroy(c->surface);
    if (c->f)
        fclose(c->f);
    remove(c->tmp);
    memset(c, 0, sizeof *c);
}

/* Finishes the drawing, writes the file (fsync, rename) and frees the canvas. */
static lsnn_status lsnn__canvas_close(lsnn__canvas *c)
{
    const char *path = c->path;
    cairo_status_t cs = cairo_status(c->cr);
    cairo_destroy(c->cr);
    c->cr = NULL;
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (c->fmt == LSNN__PNG)
            cs = cairo_surface_write_to_png_stream(c->surface, lsnn__write_cb, c->f);
        else {
            cairo_surface_finish(c->surface);
            cs = cairo_surface_status(c->surface);
        }
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: cannot draw: %s", path,
                                    cairo_status_to_string(cs));
        lsnn__canvas_abort(c);
        return st;
    }
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    FILE *f = c->f;
    c->f = NULL;
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    /* fsync before rename: otherwise a crash can leave the new name pointing at empty blocks. */
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(c->tmp, path) != 0) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        remove(c->tmp);
        return st;
    }
    return LSNN_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Colours, dashes, text. */

typedef struct lsnn__rgb {
    double r, g, b;
} lsnn__rgb;

/* Series colours: dark blue, orange and grey first (three clearly different grey levels), then
 * the rest of the Okabe-Ito palette, which is also safe for colour-blind readers. */
static const lsnn__rgb LSNN__SERIES[] = {
    {0.05, 0.25, 0.55}, {0.90, 0.55, 0.00}, {0.50, 0.50, 0.50}, {0.00, 0.60, 0.45},
    {0.80, 0.40, 0.00}, {0.35, 0.70, 0.90}, {0.80, 0.47, 0.65}, {0.00, 0.00, 0.00},
    {0.55, 0.35, 0.15}, {0.25, 0.25, 0.75},
};
#define LSNN__N_SERIES ((int)(sizeof LSNN__SERIES / sizeof LSNN__SERIES[0]))

static const lsnn__rgb LSNN__DARK_BLUE = {0.05, 0.25, 0.55};
static const lsnn__rgb LSNN__ORANGE = {0.85, 0.45, 0.00};
static const lsnn__rgb LSNN__DARK_GREY = {0.25, 0.25, 0.25};

static void lsnn__color(cairo_t *cr, lsnn__rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static lsnn__rgb lsnn__series(int i)
{
    return LSNN__SERIES[((i % LSNN__N_SERIES) + LSNN__N_SERIES) % LSNN__N_SERIES];
}

/* Dash pattern i (0 = solid), scaled with the line width. */
static void lsnn__dash(cairo_t *cr, int i, double lw)
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

static void lsnn__font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double lsnn__text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Text at (x, y) in the current font and colour: ha 0 = left, 0.5 = centre, 1 = right edge at x;
 * va 0 = top, 0.5 = middle, 1 = bottom of the font's box at y. */
static void lsnn__text(cairo_t *cr, double x, double y, const char *s, double ha, double va)
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
static void lsnn__text_up(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -LSNN__PI / 2);
    lsnn__text(cr, 0, 0, s, ha, va);
    cairo_restore(cr);
}

/* A text on a white box (labels over lines). */
static void lsnn__text_boxed(cairo_t *cr, double x, double y, const char *s, lsnn__rgb c)
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
static double lsnn__font_size(int width, int height)
{
    double fs = fmin(width / 95.0, height / 30.0);
    return fs < 8 ? 8 : fs > 16 ? 16 : fs;
}

/* ---------------------------------------------------------------------------------------------
 * Axes: a data rectangle (whole units) with linear or log10 scales. */

typedef struct lsnn__axes {
    double x, y, w, h;      /* data area in surface units */
    double x0, x1, y0, y1;  /* data ranges (for ylog: values, not logarithms) */
    int ylog;
} lsnn__axes;

static double lsnn__ax_x(const lsnn__axes *a, double v)
{
    return a->x + (v - a->x0) / (a->x1 - a->x0) * a->w;
}

static double lsnn__ax_y(const lsnn__axes *a, double v)
{
    double f = a->ylog ? (log10(v) - log10(a->y0)) / (log10(a->y1) - log10(a->y0))
                       : (v - a->y0) / (a->y1 - a->y0);
    return a->y + a->h - f * a->h;
}

/* Frame just outside the data area, so that it never covers a data pixel. */
static void lsnn__ax_frame(cairo_t *cr, const lsnn__axes *a)
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
static double lsnn__nice_step(double range, double n)
{
    if (!(range > 0) || !(n >= 1))
        return 1;
    double raw = range / n, e = pow(10, floor(log10(raw))), f = raw / e;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * e;
}

static void lsnn__fmt_tick(char *buf, size_t cap, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6)
        dec = 6;
    if (fabs(v) < step * 1e-9)
        v = 0;
    snprintf(buf, cap, "%.*f", dec, v);
}

/* Nice limits around [lo, hi] (lo < hi after the call). */
static void lsnn__nice_range(double *lo, double *hi, double n)
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
static void lsnn__ax_xticks(cairo_t *cr, const lsnn__axes *a, double fs, int labels)
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
static void lsnn__ax_yticks_to(cairo_t *cr, const lsnn__axes *a, double fs, double hi)
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

static void lsnn__ax_yticks(cairo_t *cr, const lsnn__axes *a, double fs)
{
    lsnn__ax_yticks_to(cr, a, fs, INFINITY);
}

/* Axis labels: x centred below the tick labels, y rotated left of them. */
static void lsnn__ax_xlabel(cairo_t *cr, const lsnn__axes *a, double fs, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 0);
    lsnn__text(cr, a->x + a->w / 2, a->y + a->h + 1.65 * fs, s, 0.5, 0);
}

static void lsnn__ax_ylabel(cairo_t *cr, const lsnn__axes *a, double fs, double dx, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 0);
    lsnn__text_up(cr, a->x - dx, a->y + a->h / 2, s, 0.5, 1);
}

static void lsnn__ax_title(cairo_t *cr, const lsnn__axes *a, double fs, const char *s)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 1);
    lsnn__text(cr, a->x + a->w / 2, a->y - 0.4 * fs, s, 0.5, 1);
}

/* Starts a clipped region of the data area. */
static void lsnn__ax_clip(cairo_t *cr, const lsnn__axes *a)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
}

/* A short legend sample line (with an optional marker) followed by a label; returns the x after
 * the label. */
static double lsnn__legend_item(cairo_t *cr, double x, double y, double fs, lsnn__rgb c, int dash,
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
 * Dynamics. */

static void lsnn__pop_label(const lsnn_plot_population *p, char *buf, size_t cap)
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

static lsnn__rgb lsnn__pop_color(const lsnn_plot_population *p)
{
    if (p->sign == LSNN_SIGN_INH)
        return LSNN__ORANGE;
    if (p->adaptive)
        return LSNN__DARK_GREY;
    return LSNN__DARK_BLUE;
}

static int lsnn__neurons_k(const lsnn_plot_dynamics_data *d)
{
    return d->neurons > 0 ? d->neurons : LSNN_PLOT_DEFAULT_NEURONS;
}

int lsnn_plot_select_neurons(const lsnn_plot_dynamics_data *d, int p, int *out)
{
    if (!d || p < 0 || p >= d->n_pop || !d->pop)
        return 0;
    const lsnn_plot_population *pp = &d->pop[p];
    int K = lsnn__neurons_k(d), N = pp->count, m = 0;
    if (K > N)
        K = N;
    /* Selection sampling (Knuth's algorithm S): neuron i is taken with probability
     * (still needed) / (still available), which gives a uniform subset already in order. */
    lsnn_rng rng;
    lsnn_rng_derive(&rng, d->seed, 0x9107, (uint64_t)p, 0);
    for (int i = 0; i < N && m < K; i++)
        if (lsnn_rng_below(&rng, (uint64_t)(N - i)) < (uint64_t)(K - m))
            out[m++] = pp->off + i;
    return m;
}

/* Layout of the dynamics figure (whole units). */
typedef struct lsnn__dyn_layout {
    double fs;
    double left, right;          /* x range of the panels */
    lsnn__axes input;
    int n_rast;                  /* population rasters (0 for non-spiking models) */
    lsnn__axes pop[LSNN_PLOT_MAX_POP];
    int pop_rows[LSNN_PLOT_MAX_POP];
    int has_thr;
    lsnn__axes thr;
    lsnn__axes readout;
    double title_y;
} lsnn__dyn_layout;

static int lsnn__any_adaptive(const lsnn_plot_dynamics_data *d)
{
    for (int p = 0; d->z && p < d->n_pop; p++)
        if (d->pop[p].adaptive && d->pop[p].count > 0)
            return 1;
    return 0;
}

static lsnn_status lsnn__dyn_check(const lsnn_plot_dynamics_data *d)
{
    if (!d)
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: no data");
    if (d->T < 1 || d->n_in < 0 || d->n_out < 1 || (d->z && d->n < 1))
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: bad sizes T=%d n_in=%d n=%d n_out=%d",
                          d->T, d->n_in, d->n, d->n_out);
    if ((d->n_in > 0 && !d->x) || !d->y)
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: missing input or readout");
    if (d->z && (d->n_pop < 1 || d->n_pop > LSNN_PLOT_MAX_POP || !d->pop))
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: %d populations (1..%d required)",
                          d->n_pop, LSNN_PLOT_MAX_POP);
    for (int p = 0; d->z && p < d->n_pop; p++)
        if (d->pop[p].off < 0 || d->pop[p].count < 0 || d->pop[p].off + d->pop[p].count > d->n)
            return lsnn_error(LSNN_ERR_ARG, "plot dynamics: population %d range [%d, %d) outside "
                              "0..%d", p, d->pop[p].off, d->pop[p].off + d->pop[p].count, d->n);
    if (d->n_windows < 0 || (d->n_windows > 0 && !d->windows))
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: bad windows");
    for (int w = 0; w < d->n_windows; w++)
        if (d->windows[w].t0 < 0 || d->windows[w].t1 <= d->windows[w].t0 ||
            d->windows[w].t1 > d->T)
            return lsnn_error(LSNN_ERR_ARG, "plot dynamics: window %d [%d, %d) outside 0..%d", w,
                              d->windows[w].t0, d->windows[w].t1, d->T);
    if (d->n_input_groups < 0 || d->n_input_groups > LSNN_PLOT_MAX_INPUT_GROUPS ||
        (d->n_input_groups > 0 && (!d->input_group_names || !d->input_group_off)))
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: bad input groups");
    return LSNN_OK;
}

static lsnn_status lsnn__dyn_layout_compute(int W, int H, const lsnn_plot_dynamics_data *d,
                                            lsnn__dyn_layout *L)
{
    lsnn_status st = lsnn__dyn_check(d);
    if (st)
        return st;
    if (W < 64 || H < 64 || W > 16384 || H > 16384)
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: figure size %d x %d outside 64..16384",
                          W, H);
    memset(L, 0, sizeof *L);
    double fs = lsnn__font_size(W, H);
    L->fs = fs;
    double top = round(d->title ? 2.4 * fs : 0.8 * fs), bottom = round(3.1 * fs);
    L->title_y = 0.5 * fs;
    L->left = round(6.5 * fs);
    L->right = round(W - 8.5 * fs);
    L->n_rast = d->z ? d->n_pop : 0;
    L->has_thr = d->z && d->thr && lsnn__any_adaptive(d);
    int K = lsnn__neurons_k(d);
    /* Panel heights in proportion to their weights; rasters grow a little with their rows. */
    double wts[2 + LSNN_PLOT_MAX_POP + 1];
    lsnn__axes *ax[2 + LSNN_PLOT_MAX_POP + 1];
    int np = 0;
    ax[np] = &L->input;
    wts[np++] = d->n_in > 0 ? 1.1 : 0.35;
    for (int p = 0; p < L->n_rast; p++) {
        /* An empty population (e.g. no adaptive neurons) gets no panel. */
        int rows = d->pop[p].count < K ? d->pop[p].count : K;
        L->pop_rows[p] = rows;
        if (rows == 0)
            continue;
        ax[np] = &L->pop[p];
        wts[np++] = 0.55 + 0.45 * fmin(1.0, rows / 20.0);
    }
    if (L->has_thr) {
        ax[np] = &L->thr;
        wts[np++] = 0.9;
    }
    ax[np] = &L->readout;
    wts[np++] = 1.1;
    double gap = round(0.9 * fs), sum = 0;
    for (int i = 0; i < np; i++)
        sum += wts[i];
    double avail = H - top - bottom - gap * (np - 1);
    if (avail < 8.0 * np)
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: figure height %d too small for %d panels",
                          H, np);
    double y = top, acc = 0;
    for (int i = 0; i < np; i++) {
        /* Cumulative rounding keeps the panels on whole units without drift. */
        double y0 = round(y + avail * acc / sum);
        acc += wts[i];
        double y1 = round(y + avail * acc / sum);
        lsnn__axes *a = ax[i];
        a->x = L->left;
        a->w = L->right - L->left;
        a->y = y0;
        a->h = y1 - y0;
        a->x0 = 0;
        a->x1 = d->T * (d->dt > 0 ? d->dt : 1.0);
        a->y0 = 0;
        a->y1 = 1;
        y += gap;
    }
    return LSNN_OK;
}

/* The whole-unit rectangle of a raster mark. */
static void lsnn__mark(const lsnn__axes *a, int T, int rows, int t, int row, double *x0,
                       double *x1, double *y0, double *y1)
{
    double xa = a->x + a->w * t / T, xb = a->x + a->w * (t + 1) / T;
    double ya = a->y + a->h * row / rows, yb = a->y + a->h * (row + 1) / rows;
    double gap = (yb - ya) >= 4 ? 0.15 * (yb - ya) : 0;
    *x0 = round(xa);
    *x1 = fmax(*x0 + 1, round(xb));
    *y0 = round(ya + gap);
    *y1 = fmax(*y0 + 1, round(yb - gap));
    if (*y1 > a->y + a->h) { /* the last row never spills over the frame */
        *y1 = a->y + a->h;
        *y0 = *y1 - 1;
    }
    if (*x1 > a->x + a->w) {
        *x1 = a->x + a->w;
        *x0 = *x1 - 1;
    }
}

lsnn_status lsnn_plot_raster_geometry(int width, int height, const lsnn_plot_dynamics_data *d,
                                      int panel, int t, int row, double *cx, double *cy,
                                      double *x0, double *x1, double *y0, double *y1)
{
    lsnn__dyn_layout L;
    lsnn_status st = lsnn__dyn_layout_compute(width, height, d, &L);
    if (st)
        return st;
    const lsnn__axes *a;
    int rows;
    if (panel == 0) {
        a = &L.input;
        rows = d->n_in;
    } else if (panel >= 1 && panel <= L.n_rast && L.pop_rows[panel - 1] > 0) {
        a = &L.pop[panel - 1];
        rows = L.pop_rows[panel - 1];
    } else {
        return lsnn_error(LSNN_ERR_ARG, "plot dynamics: no raster panel %d (panels: 0 = input, "
                          "1 + p = non-empty population p of a spiking model)", panel);
    }
    if (t < 0 || t >= d->T || row < 0 || row >= rows)
        return lsnn_error(LSNN_ERR_RANGE, "plot dynamics: (t=%d, row=%d) outside %d x %d", t,
                          row, d->T, rows);
    double a0, a1, b0, b1;
    lsnn__mark(a, d->T, rows, t, row, &a0, &a1, &b0, &b1);
    if (cx)
        *cx = (a0 + a1) / 2;
    if (cy)
        *cy = (b0 + b1) / 2;
    if (x0)
        *x0 = a0;
    if (x1)
        *x1 = a1;
    if (y0)
        *y0 = b0;
    if (y1)
        *y1 = b1;
    return LSNN_OK;
}

/* Spikes of `rows` rows: row r is column cols[r] of the (T, stride) array v. Marks of one row
 * that touch are merged into one rectangle (fewer objects in SVG/PDF). */
static void lsnn__draw_raster(cairo_t *cr, const lsnn__axes *a, int T, const lsnn_real *v,
                              int stride, const int *cols, int rows, lsnn__rgb c)
{
    lsnn__color(cr, c);
    for (int r = 0; r < rows; r++) {
        double run0 = 0, run1 = -1, y0 = 0, y1 = 0;
        for (int t = 0; t < T; t++) {
            if (v[(size_t)t * stride + cols[r]] == 0)
                continue;
            double x0, x1;
            lsnn__mark(a, T, rows, t, r, &x0, &x1, &y0, &y1);
            if (x0 <= run1) {
                run1 = fmax(run1, x1);
                continue;
            }
            if (run1 > run0)
                cairo_rectangle(cr, run0, y0, run1 - run0, y1 - y0);
            run0 = x0;
            run1 = x1;
        }
        if (run1 > run0)
            cairo_rectangle(cr, run0, y0, run1 - run0, y1 - y0);
        cairo_fill(cr);
    }
}

/* Row label in the left margin: a bold name and a small line under it. */
static void lsnn__row_label(cairo_t *cr, const lsnn__dyn_layout *L, const lsnn__axes *a,
                            const char *name, const char *sub, lsnn__rgb c)
{
    double cxl = a->x - 3.3 * L->fs, mid = a->y + a->h / 2;
    lsnn__color(cr, c);
    lsnn__font(cr, 1.15 * L->fs, 1);
    lsnn__text(cr, cxl, mid, name, 0.5, sub ? 0.85 : 0.5);
    if (sub) {
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        lsnn__font(cr, 0.78 * L->fs, 0);
        lsnn__text(cr, cxl, mid + 0.1 * L->fs, sub, 0.5, 0);
    }
}

static int lsnn__is_analog(const lsnn_real *x, size_t count)
{
    for (size_t k = 0; k < count; k++)
        if (x[k] != 0 && x[k] != 1)
            return 1;
    return 0;
}

static lsnn_status lsnn__draw_input(cairo_t *cr, const lsnn__dyn_layout *L,
                                    const lsnn_plot_dynamics_data *d)
{
    const lsnn__axes *a = &L->input;
    char sub[48];
    if (d->n_in == 0) {
        lsnn__row_label(cr, L, a, "input", "none", LSNN__DARK_GREY);
        lsnn__ax_frame(cr, a);
        return LSNN_OK;
    }
    snprintf(sub, sizeof sub, "%d channel%s", d->n_in, d->n_in == 1 ? "" : "s");
    lsnn__row_label(cr, L, a, "input", sub, (lsnn__rgb){0, 0, 0});
    size_t cnt = (size_t)d->T * d->n_in;
    if (lsnn__is_analog(d->x, cnt)) {
        /* Analog inputs (grey values, MFCC): an image, darker = larger |x|. */
        double vmax = 0;
        for (size_t k = 0; k < cnt; k++)
            vmax = fmax(vmax, fabs((double)d->x[k]));
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, d->T, d->n_in);
        if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(img);
            return lsnn_error(LSNN_ERR_NOMEM, "plot dynamics: cannot allocate the input image");
        }
        cairo_surface_flush(img);
        unsigned char *px = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int ch = 0; ch < d->n_in; ch++) {
            uint32_t *row = (uint32_t *)(px + (size_t)ch * stride);
            for (int t = 0; t < d->T; t++) {
                double f = vmax > 0 ? fabs((double)d->x[(size_t)t * d->n_in + ch]) / vmax : 0;
                uint32_t g = (uint32_t)lround(255 * (1 - 0.9 * f));
                row[t] = (g << 16) | (g << 8) | g;
            }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_rectangle(cr, a->x, a->y, a->w, a->h);
        cairo_clip(cr);
        cairo_translate(cr, a->x, a->y);
        cairo_scale(cr, a->w / d->T, a->h / d->n_in);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(img);
    } else {
        int *cols = malloc(sizeof(int) * (size_t)d->n_in);
        if (!cols)
            return lsnn_error(LSNN_ERR_NOMEM, "plot dynamics: out of memory");
        for (int i = 0; i < d->n_in; i++)
            cols[i] = i;
        lsnn__draw_raster(cr, a, d->T, d->x, d->n_in, cols, d->n_in, (lsnn__rgb){0, 0, 0});
        free(cols);
    }
    lsnn__ax_frame(cr, a);
    /* Group names to the right of the raster, with ticks at the boundaries. */
    lsnn__font(cr, 0.78 * L->fs, 0);
    for (int g = 0; g < d->n_input_groups; g++) {
        int c0 = d->input_group_off[g], c1 = d->input_group_off[g + 1];
        if (c0 < 0 || c1 > d->n_in || c1 <= c0)
            continue;
        double y0 = a->y + a->h * c0 / d->n_in, y1 = a->y + a->h * c1 / d->n_in;
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1);
        if (g > 0) {
            cairo_move_to(cr, a->x + a->w + 0.5, round(y0) + 0.5);
            cairo_line_to(cr, a->x + a->w + 0.5 * L->fs, round(y0) + 0.5);
            cairo_stroke(cr);
        }
        if (y1 - y0 >= 0.7 * L->fs)
            lsnn__text(cr, a->x + a->w + 0.6 * L->fs, (y0 + y1) / 2, d->input_group_names[g], 0,
                       0.5);
    }
    return LSNN_OK;
}

static void lsnn__draw_pop(cairo_t *cr, const lsnn__dyn_layout *L, const lsnn_plot_dynamics_data *d,
                           int p, const int *sel)
{
    const lsnn_plot_population *pp = &d->pop[p];
    const lsnn__axes *a = &L->pop[p];
    lsnn__rgb c = lsnn__pop_color(pp);
    lsnn__draw_raster(cr, a, d->T, d->z, d->n, sel, L->pop_rows[p], c);
    lsnn__ax_frame(cr, a);
    char name[32], sub[64];
    lsnn__pop_label(pp, name, sizeof name);
    snprintf(sub, sizeof sub, "%d of %d", L->pop_rows[p], pp->count);
    lsnn__row_label(cr, L, a, name, sub, c);
    /* Kind of neuron, to the right. */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lsnn__font(cr, 0.78 * L->fs, 0);
    lsnn__text(cr, a->x + a->w + 0.6 * L->fs, a->y + a->h / 2, pp->adaptive ? "ALIF" : "LIF", 0,
               0.85);
    char pn[48];
    snprintf(pn, sizeof pn, "pop. %s", pp->name ? pp->name : "?");
    lsnn__text(cr, a->x + a->w + 0.6 * L->fs, a->y + a->h / 2 + 0.1 * L->fs, pn, 0, 0);
}

static void lsnn__draw_lines(cairo_t *cr, const lsnn__axes *a, int T, double dt, const double *v,
                             lsnn__rgb c, int dash, double lw)
{
    lsnn__color(cr, c);
    cairo_set_line_width(cr, lw);
    lsnn__dash(cr, dash, lw);
    int pen = 0;
    for (int t = 0; t < T; t++) {
        if (!isfinite(v[t])) {
            pen = 0;
            continue;
        }
        double px = lsnn__ax_x(a, (t + 0.5) * dt), py = lsnn__ax_y(a, v[t]);
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

#define LSNN__RATE_MS 20.0
#define LSNN__RATE_LABEL "20 ms mean"

static lsnn_status lsnn__draw_readout(cairo_t *cr, lsnn__dyn_layout *L,
                                      const lsnn_plot_dynamics_data *d)
{
    lsnn__axes *a = &L->readout;
    const int T = d->T, K = d->n_out;
    const double dt = d->dt > 0 ? d->dt : 1.0, fs = L->fs;
    double *v = malloc(sizeof(double) * (size_t)T * (K + 1));
    if (!v)
        return lsnn_error(LSNN_ERR_NOMEM, "plot dynamics: out of memory");
    double *col = v + (size_t)T * K;
    /* Rate readouts (the module tasks) are spike counts in Hz: drawn as a running mean over
     * the last LSNN__RATE_MS ms, which the y label says. */
    const int rate = lsnn_loss_has_window_targets(d->loss);
    const int ce = d->loss != LSNN_LOSS_MSE && !rate;
    const int span = (int)fmax(1, round(LSNN__RATE_MS / dt));
    double lo = rate ? 0 : INFINITY, hi = -INFINITY;
    for (int t = 0; t < T; t++) {
        const lsnn_real *y = d->y + (size_t)t * K;
        if (rate) {
            for (int k = 0; k < K; k++) {
                double s = 0;
                for (int u = t - span + 1 > 0 ? t - span + 1 : 0; u <= t; u++)
                    s += d->y[(size_t)u * K + k];
                v[(size_t)k * T + t] = s / span;
            }
        }
        if (ce) {
            double m = -INFINITY, s = 0;
            for (int k = 0; k < K; k++)
                m = fmax(m, y[k]);
            for (int k = 0; k < K; k++)
                s += exp(y[k] - m);
            for (int k = 0; k < K; k++)
                v[(size_t)k * T + t] = exp(y[k] - m) / s;
        } else {
            for (int k = 0; k < K; k++) {
                if (!rate)
                    v[(size_t)k * T + t] = y[k];
                lo = fmin(lo, v[(size_t)k * T + t]);
                hi = fmax(hi, v[(size_t)k * T + t]);
                if (d->y_target) {
                    lo = fmin(lo, d->y_target[(size_t)t * K + k]);
                    hi = fmax(hi, d->y_target[(size_t)t * K + k]);
                }
            }
        }
    }
    if (ce) {
        a->y0 = 0;
        a->y1 = 1.22; /* room above 1 for the target labels */
    } else {
        a->y0 = lo;
        a->y1 = hi;
        lsnn__nice_range(&a->y0, &a->y1, 4);
    }
    /* Decision windows: shaded, the target written at the top. */
    lsnn__ax_clip(cr, a);
    for (int w = 0; w < d->n_windows; w++) {
        const lsnn_window *win = &d->windows[w];
        double x0 = lsnn__ax_x(a, win->t0 * dt), x1 = lsnn__ax_x(a, win->t1 * dt);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_rectangle(cr, round(x0), a->y, fmax(1, round(x1) - round(x0)), a->h);
        cairo_fill(cr);
    }
    if (ce) { /* a light line at probability 1 */
        cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
        cairo_set_line_width(cr, 1);
        double py = round(lsnn__ax_y(a, 1)) + 0.5;
        cairo_move_to(cr, a->x, py);
        cairo_line_to(cr, a->x + a->w, py);
        cairo_stroke(cr);
    }
    for (int k = 0; k < K; k++) {
        if (d->y_target && !ce) {
            for (int t = 0; t < T; t++)
                col[t] = d->y_target[(size_t)t * K + k];
            lsnn__draw_lines(cr, a, T, dt, col, (lsnn__rgb){0.55, 0.55, 0.55}, 1, 1.2);
        }
        lsnn__draw_lines(cr, a, T, dt, v + (size_t)k * T, lsnn__series(k), k, 1.6);
    }
    cairo_restore(cr);
    if (ce) {
        for (int w = 0; w < d->n_windows; w++) {
            const lsnn_window *win = &d->windows[w];
            if (win->label < 0)
                continue;
            double x0 = lsnn__ax_x(a, win->t0 * dt), x1 = lsnn__ax_x(a, win->t1 * dt);
            char buf[48];
            lsnn__font(cr, 0.8 * fs, 1);
            snprintf(buf, sizeof buf, "target %d", win->label);
            if (lsnn__text_width(cr, buf) > x1 - x0)
                snprintf(buf, sizeof buf, "%d", win->label);
            lsnn__color(cr, lsnn__series(win->label));
            lsnn__text(cr, (x0 + x1) / 2, lsnn__ax_y(a, 1.11), buf, 0.5, 0.5);
        }
    }
    lsnn__ax_frame(cr, a);
    /* The y ticks of the softmax stop at 1: the space above holds the labels. */
    lsnn__ax_yticks_to(cr, a, fs, ce ? 1.0 : INFINITY);
    lsnn__ax_ylabel(cr, a, fs, 3.0 * fs,
                    ce ? "softmax" : rate ? "rate (Hz), " LSNN__RATE_LABEL : "readout");
    /* Legend at the right: one entry per output. */
    double ly = a->y + 0.6 * fs;
    int per_col = (int)fmax(1, floor((a->h - 0.2 * fs) / (1.15 * fs)));
    if (K > per_col) /* two or more columns: shorter labels */
        per_col = (int)ceil((double)K / ceil((double)K / per_col));
    for (int k = 0; k < K; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "out %d", k);
        double lx = a->x + a->w + 0.6 * fs + (k / per_col) * 4.0 * fs;
        lsnn__legend_item(cr, lx, ly + (k % per_col) * 1.15 * fs, 0.9 * fs, lsnn__series(k), k, 0,
                          buf);
    }
    free(v);
    return LSNN_OK;
}

lsnn_status lsnn_plot_dynamics(const char *path, int width, int height,
                               const lsnn_plot_dynamics_data *d)
{
    lsnn__dyn_layout L;
    lsnn_status st = lsnn__dyn_layout_compute(width, height, d, &L);
    if (st) {
        lsnn_error_prefix(path ? path : "plot");
        return st;
    }
    int K = lsnn__neurons_k(d);
    int *sel = d->z ? malloc(sizeof(int) * (size_t)K * (d->n_pop > 0 ? d->n_pop : 1)) : NULL;
    if (d->z && !sel)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    lsnn__canvas c;
    if ((st = lsnn__canvas_open(&c, path, width, height))) {
        free(sel);
        return st;
    }
    cairo_t *cr = c.cr;
    const double fs = L.fs, dt = d->dt > 0 ? d->dt : 1.0;
    if (d->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        lsnn__font(cr, 1.15 * fs, 1);
        lsnn__text(cr, (L.left + L.right) / 2, L.title_y, d->title, 0.5, 0);
    }
    st = lsnn__draw_input(cr, &L, d);
    for (int p = 0; !st && p < L.n_rast; p++) {
        if (lsnn_plot_select_neurons(d, p, sel + (size_t)p * K) > 0)
            lsnn__draw_pop(cr, &L, d, p, sel + (size_t)p * K);
    }
    if (!st && L.has_thr) {
        /* The most active of the shown adaptive neurons (ties: lower index first). */
        int nthr = d->thresholds > 0 ? d->thresholds : LSNN_PLOT_DEFAULT_THRESHOLDS;
        int cand[LSNN_PLOT_MAX_POP * 64], nc = 0;
        long spikes[LSNN_PLOT_MAX_POP * 64];
        for (int p = 0; p < L.n_rast; p++) {
            if (!d->pop[p].adaptive)
                continue;
            for (int r = 0; r < L.pop_rows[p] && nc < LSNN_PLOT_MAX_POP * 64; r++) {
                int j = sel[(size_t)p * K + r];
                long s = 0;
                for (int t = 0; t < d->T; t++)
                    s += d->z[(size_t)t * d->n + j] != 0;
                cand[nc] = j;
                spikes[nc++] = s;
            }
        }
        for (int i = 1; i < nc; i++) /* insertion sort, descending by spikes */
            for (int k = i; k > 0 && spikes[k] > spikes[k - 1]; k--) {
                long ts = spikes[k];
                spikes[k] = spikes[k - 1];
                spikes[k - 1] = ts;
                int tj = cand[k];
                cand[k] = cand[k - 1];
                cand[k - 1] = tj;
            }
        if (nthr > nc)
            nthr = nc;
        lsnn__axes *a = &L.thr;
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < nthr; i++)
            for (int t = 0; t < d->T; t++) {
                double b = d->thr[(size_t)t * d->n + cand[i]];
                lo = fmin(lo, b);
                hi = fmax(hi, b);
            }
        a->y0 = lo;
        a->y1 = hi;
        lsnn__nice_range(&a->y0, &a->y1, 3);
        double *col = malloc(sizeof(double) * (size_t)d->T);
        if (!col) {
            st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        } else {
            lsnn__ax_clip(cr, a);
            for (int i = 0; i < nthr; i++) {
                for (int t = 0; t < d->T; t++)
                    col[t] = d->thr[(size_t)t * d->n + cand[i]];
                lsnn__draw_lines(cr, a, d->T, dt, col, lsnn__series(i), i, 1.5);
            }
            cairo_restore(cr);
            free(col);
            lsnn__ax_frame(cr, a);
            lsnn__ax_yticks(cr, a, fs);
            lsnn__ax_ylabel(cr, a, fs, 3.0 * fs, "threshold");
            for (int i = 0; i < nthr; i++) {
                char buf[32];
                snprintf(buf, sizeof buf, "#%d", cand[i]);
                lsnn__legend_item(cr, a->x + a->w + 0.6 * fs, a->y + 0.6 * fs + i * 1.15 * fs,
                                  0.9 * fs, lsnn__series(i), i, 0, buf);
            }
        }
    }
    if (!st)
        st = lsnn__draw_readout(cr, &L, d);
    if (!st) {
        /* Time ticks on every panel, numbers and the axis label on the last one. */
        lsnn__ax_xticks(cr, &L.input, fs, 0);
        for (int p = 0; p < L.n_rast; p++)
            if (L.pop_rows[p] > 0)
                lsnn__ax_xticks(cr, &L.pop[p], fs, 0);
        if (L.has_thr)
            lsnn__ax_xticks(cr, &L.thr, fs, 0);
        lsnn__ax_xticks(cr, &L.readout, fs, 1);
        lsnn__ax_xlabel(cr, &L.readout, fs, "time (ms)");
    }
    free(sel);
    if (st) {
        lsnn__canvas_abort(&c);
        lsnn_error_prefix(path);
        return st;
    }
    return lsnn__canvas_close(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Learning curves. */

typedef struct lsnn__log {
    char label[256];
    char metric[64];
    int n, cap;
    double *it, *loss, *train_m, *val_loss, *val_m, *rate;
} lsnn__log;

static void lsnn__log_free(lsnn__log *g)
{
    free(g->it);
    memset(g, 0, sizeof *g);
}

/* Splits a CSV line in place into at most cap fields; returns the count. */
static int lsnn__split(char *line, char **f, int cap)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    char *p = line;
    while (n < cap) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static lsnn_status lsnn__log_read(const char *dir, lsnn__log *g)
{
    char path[LSNN__PATH_CAP];
    if (snprintf(path, sizeof path, "%s/log.csv", dir) >= (int)sizeof path)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char line[8192];
    char *fld[64];
    lsnn_status st = LSNN_OK;
    if (!fgets(line, sizeof line, f)) {
        const int err = ferror(f) ? errno : 0;
        fclose(f);
        if (err) /* a directory, say */
            return lsnn_error(LSNN_ERR_IO, "%s: cannot read: %s", path, strerror(err));
        return lsnn_error(LSNN_ERR_FORMAT, "%s: empty file", path);
    }
    int nf = lsnn__split(line, fld, 64);
    int ci[6] = {-1, -1, -1, -1, -1, -1}; /* iteration loss train_m val_loss val_m rate_hz */
    for (int i = 0; i < nf; i++) {
        if (strcmp(fld[i], "iteration") == 0)
            ci[0] = i;
        else if (strcmp(fld[i], "loss") == 0)
            ci[1] = i;
        else if (strncmp(fld[i], "train_", 6) == 0 && ci[2] < 0) {
            ci[2] = i;
            snprintf(g->metric, sizeof g->metric, "%s", fld[i] + 6);
        } else if (strcmp(fld[i], "val_loss") == 0)
            ci[3] = i;
        else if (strcmp(fld[i], "rate_hz") == 0)
            ci[5] = i;
    }
    for (int i = 0; i < nf && ci[2] >= 0; i++)
        if (strncmp(fld[i], "val_", 4) == 0 && strcmp(fld[i] + 4, g->metric) == 0)
            ci[4] = i;
    static const char *names[6] = {"iteration", "loss", "train_<metric>", "val_loss",
                                   "val_<metric>", "rate_hz"};
    for (int k = 0; k < 6; k++)
        if (ci[k] < 0) {
            fclose(f);
            return lsnn_error(LSNN_ERR_FORMAT, "%s: no column '%s' in the header", path, names[k]);
        }
    int lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\r' || line[0] == 0)
            continue;
        int m = lsnn__split(line, fld, 64);
        double v[6];
        for (int k = 0; k < 6 && !st; k++) {
            char *end;
            if (ci[k] >= m) {
                st = lsnn_error(LSNN_ERR_FORMAT, "%s:%d: %d fields, expected %d", path, lineno, m,
                                nf);
                break;
            }
            v[k] = strtod(fld[ci[k]], &end);
            if (end == fld[ci[k]] || *end)
                st = lsnn_error(LSNN_ERR_FORMAT, "%s:%d: '%s' is not a number", path, lineno,
                                fld[ci[k]]);
        }
        if (st)
            break;
        if (g->n == g->cap) {
            int cap = g->cap ? 2 * g->cap : 256;
            double *nb = malloc(sizeof(double) * 6 * (size_t)cap);
            if (!nb) {
                st = lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            for (int k = 0; k < 6 && g->n; k++)
                memcpy(nb + (size_t)k * cap, g->it + (size_t)k * g->cap, sizeof(double) * g->n);
            free(g->it);
            g->it = nb;
            g->cap = cap;
            g->loss = nb + cap;
            g->train_m = nb + 2 * (size_t)cap;
            g->val_loss = nb + 3 * (size_t)cap;
            g->val_m = nb + 4 * (size_t)cap;
            g->rate = nb + 5 * (size_t)cap;
        }
        double *cols[6] = {g->it, g->loss, g->train_m, g->val_loss, g->val_m, g->rate};
        for (int k = 0; k < 6; k++)
            cols[k][g->n] = v[k];
        g->n++;
    }
    if (!st && ferror(f))
        st = lsnn_error(LSNN_ERR_IO, "%s: read error", path);
    fclose(f);
    if (!st && g->n == 0)
        st = lsnn_error(LSNN_ERR_FORMAT, "%s: no rows after the header", path);
    if (st)
        lsnn__log_free(g);
    return st;
}

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

static void lsnn__xy_line(cairo_t *cr, const lsnn__axes *a, const double *x, const double *y,
                          int n, int skip_nan_gaps)
{
    int pen = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]) || (a->ylog && !(y[i] > 0))) {
            if (!skip_nan_gaps)
                pen = 0;
            continue;
        }
        double px = lsnn__ax_x(a, x[i]), py = lsnn__ax_y(a, y[i]);
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
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

static const char *lsnn__basename(const char *p, char *buf, size_t cap)
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

lsnn_status lsnn_plot_curves(const char *path, int width, int height, int n_runs,
                             const char *const *runs, const char *const *labels)
{
    if (n_runs < 1 || n_runs > LSNN_PLOT_MAX_RUNS || !runs)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot curves: 1..%d runs required, got %d",
                          path ? path : "plot", LSNN_PLOT_MAX_RUNS, n_runs);
    lsnn__log g[LSNN_PLOT_MAX_RUNS];
    memset(g, 0, sizeof g);
    lsnn_status st = LSNN_OK;
    int maxn = 0;
    for (int r = 0; r < n_runs && !st; r++) {
        st = lsnn__log_read(runs[r], &g[r]);
        if (!st) {
            if (labels && labels[r])
                snprintf(g[r].label, sizeof g[r].label, "%s", labels[r]);
            else
                lsnn__basename(runs[r], g[r].label, sizeof g[r].label);
            maxn = g[r].n > maxn ? g[r].n : maxn;
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
        for (int r = 0; r < n_runs; r++)
            lsnn__log_free(&g[r]);
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
        for (int r = 0; r < n_runs; r++)
            lsnn__log_free(&g[r]);
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
            a.y0 = e0;
            for (int k = 0; k < 3; k++)
                if (m125[k] * e0 <= lo * (1 + 1e-9))
                    a.y0 = m125[k] * e0;
            a.y1 = 10 * e1;
            for (int k = 3; k >= 0; k--)
                if (m125[k] * e1 >= hi * (1 - 1e-9))
                    a.y1 = m125[k] * e1;
            if (a.y1 <= a.y0)
                a.y1 = a.y0 * 10;
        } else if (panel == 1 && strcmp(metric, "accuracy") == 0) {
            a.y0 = isfinite(lo) ? fmax(0, floor(lo * 10 - 1e-9) / 10) : 0;
            a.y1 = 1;
            if (a.y1 - a.y0 < 0.1)
                a.y0 = 0.9;
        } else {
            a.y0 = panel == 2 ? 0 : lo;
            a.y1 = isfinite(hi) ? hi * (panel == 2 ? 1.08 : 1) : 1;
            lsnn__nice_range(&a.y0, &a.y1, 4);
        }
        lsnn__ax_clip(cr, &a);
        for (int r = 0; r < n_runs; r++) {
            const lsnn__log *L = &g[r];
            const double *tr = panel == 0 ? L->loss : panel == 1 ? L->train_m : L->rate;
            const double *va = panel == 0 ? L->val_loss : panel == 1 ? L->val_m : NULL;
            lsnn__rgb col = lsnn__series(r);
            /* Raw training values light, their moving average on top. */
            cairo_set_source_rgba(cr, col.r, col.g, col.b, 0.25);
            cairo_set_line_width(cr, 1);
            lsnn__dash(cr, 0, 1);
            lsnn__xy_line(cr, &a, L->it, tr, L->n, 0);
            int half = L->n / 60;
            lsnn__smooth(tr, L->n, half, sm);
            lsnn__color(cr, col);
            cairo_set_line_width(cr, 1.8);
            lsnn__dash(cr, r, 1.8);
            lsnn__xy_line(cr, &a, L->it, sm, L->n, 0);
            cairo_set_dash(cr, NULL, 0, 0);
            if (va) {
                cairo_set_line_width(cr, 1.2);
                lsnn__dash(cr, r, 1.2);
                lsnn__xy_line(cr, &a, L->it, va, L->n, 1);
                cairo_set_dash(cr, NULL, 0, 0);
                lsnn__xy_markers(cr, &a, L->it, va, L->n, 0.33 * fs);
                /* White centres: validation markers read as rings, distinct from the lines. */
                cairo_set_source_rgb(cr, 1, 1, 1);
                lsnn__xy_markers(cr, &a, L->it, va, L->n, 0.15 * fs);
            }
        }
        cairo_restore(cr);
        lsnn__ax_frame(cr, &a);
        lsnn__ax_xticks(cr, &a, fs, 1);
        lsnn__ax_yticks(cr, &a, fs);
        lsnn__ax_xlabel(cr, &a, fs, "iteration");
        lsnn__ax_ylabel(cr, &a, fs, 2.9 * fs, ylabels[panel]);
        lsnn__ax_title(cr, &a, fs, titles[panel]);
    }
    /* Legend: runs (colour and dash), then the meaning of lines and rings. */
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
    free(sm);
    for (int r = 0; r < n_runs; r++)
        lsnn__log_free(&g[r]);
    return lsnn__canvas_close(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Connectivity. */

/* Node k of the diagram: 0 = input X, 1..n_pop = populations, n_pop + 1 = readout Y. */
typedef struct lsnn__node {
    double x, y, r;
    char label[16];
    lsnn__rgb fill, ink;
    int count;
} lsnn__node;

static int lsnn__pop_of(const lsnn_net *net, int j)
{
    for (int p = 0; p < net->n_pop; p++)
        if (j >= net->pop[p].off && j < net->pop[p].off + net->pop[p].count)
            return p;
    return -1;
}

static int lsnn__pop_adaptive(const lsnn_net *net, int p)
{
    for (int j = net->pop[p].off; j < net->pop[p].off + net->pop[p].count; j++)
        if (net->k.beta && net->k.beta[j] > 0)
            return 1;
    return 0;
}

/* An arrow from a to b along a quadratic curve bent by `bend` (fraction of the distance), ending
 * at the edge of b's circle; width and label from the probability. */
/* The filled head of an arrow with its tip at (tx, ty), pointing along the unit vector (ux, uy),
 * and the probability label at (lx, ly): shared by arrows between nodes and self-loops. */
static void lsnn__head_and_label(cairo_t *cr, double tx, double ty, double ux, double uy,
                                 double head, double lx, double ly, double prob, double fs)
{
    cairo_move_to(cr, tx, ty);
    cairo_line_to(cr, tx - ux * head - uy * head * 0.45, ty - uy * head + ux * head * 0.45);
    cairo_line_to(cr, tx - ux * head + uy * head * 0.45, ty - uy * head - ux * head * 0.45);
    cairo_close_path(cr);
    cairo_fill(cr);
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", prob);
    lsnn__font(cr, 0.8 * fs, 0);
    lsnn__text_boxed(cr, lx, ly, buf, (lsnn__rgb){0, 0, 0});
}

static void lsnn__arrow(cairo_t *cr, const lsnn__node *a, const lsnn__node *b, double bend,
                        double lpos, double prob, double fs)
{
    double dx = b->x - a->x, dy = b->y - a->y, dist = hypot(dx, dy);
    if (dist < 1e-6)
        return;
    double ux = dx / dist, uy = dy / dist;
    double mx = (a->x + b->x) / 2 - uy * bend * dist, my = (a->y + b->y) / 2 + ux * bend * dist;
    /* Start and end on the circles, in the direction of the control point. */
    double sx = mx - a->x, sy = my - a->y, sl = hypot(sx, sy);
    double ex = mx - b->x, ey = my - b->y, el = hypot(ex, ey);
    double x0 = a->x + sx / sl * a->r, y0 = a->y + sy / sl * a->r;
    double x1 = b->x + ex / el * (b->r + 1), y1 = b->y + ey / el * (b->r + 1);
    double lw = 0.6 + 5.0 * prob, head = 0.75 * fs + 1.2 * lw;
    /* The line stops at the base of the head. */
    double hx = x1 + ex / el * head * 0.8, hy = y1 + ey / el * head * 0.8;
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, lw);
    cairo_move_to(cr, x0, y0);
    cairo_curve_to(cr, x0 + (mx - x0) * 2 / 3, y0 + (my - y0) * 2 / 3,
                   hx + (mx - hx) * 2 / 3, hy + (my - hy) * 2 / 3, hx, hy);
    cairo_stroke(cr);
    /* Head along the direction of travel at the tip; label at the fraction lpos of the curve
     * (0.5: the midpoint, (start + 2 control + end) / 4). */
    const double u = lpos, w0 = (1 - u) * (1 - u), w1 = 2 * u * (1 - u), w2 = u * u;
    lsnn__head_and_label(cr, x1, y1, -ex / el, -ey / el, head, w0 * x0 + w1 * mx + w2 * x1,
                         w0 * y0 + w1 * my + w2 * y1, prob, fs);
}

/* A self-loop on node a: a circle of radius R outside the node in direction ang (radians), drawn
 * from where it leaves the node round to where it re-enters, with the head at the re-entry. */
static void lsnn__loop(cairo_t *cr, const lsnn__node *a, double ang, double prob, double fs)
{
    double lw = 0.6 + 5.0 * prob, r = a->r, R = 0.55 * a->r, D = r + 0.45 * R;
    double cx = a->x + cos(ang) * D, cy = a->y + sin(ang) * D;
    /* Angle at the loop's centre between the node's centre and an intersection of the circles. */
    double phi = acos(fmin(1, fmax(-1, (D * D + R * R - r * r) / (2 * D * R))));
    double back = ang + LSNN__PI, head = 0.7 * fs + 1.2 * lw;
    double a0 = back + phi, a1 = back + 2 * LSNN__PI - phi;
    double a1s = a1 - 0.8 * head / R; /* the line stops at the base of the head */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, lw);
    cairo_new_sub_path(cr);
    cairo_arc(cr, cx, cy, R, a0, a1s);
    cairo_stroke(cr);
    double tx = cx + cos(a1) * R, ty = cy + sin(a1) * R;   /* tip */
    double bx = cx + cos(a1 - head / R) * R, by = cy + sin(a1 - head / R) * R; /* base */
    double ux = tx - bx, uy = ty - by, ul = hypot(ux, uy);
    lsnn__head_and_label(cr, tx, ty, ux / ul, uy / ul, head, cx + cos(ang) * R,
                         cy + sin(ang) * R, prob, fs);
}

/* Diverging colour map: dark blue (negative) - white (0) - dark orange (positive). In grey the
 * two ends differ (blue prints darker than orange); the colour bar gives the values. */
static lsnn__rgb lsnn__diverging(double f)
{
    f = f < -1 ? -1 : f > 1 ? 1 : f;
    lsnn__rgb neg = {0.02, 0.19, 0.50}, pos = {0.70, 0.33, 0.02}, w = {1, 1, 1};
    lsnn__rgb e = f < 0 ? neg : pos;
    double s = fabs(f);
    return (lsnn__rgb){w.r + (e.r - w.r) * s, w.g + (e.g - w.g) * s, w.b + (e.b - w.b) * s};
}

static int lsnn__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

lsnn_status lsnn_plot_connectivity(const char *path, int width, int height, const lsnn_net *net)
{
    if (!net || net->n < 1 || net->n_pop < 1 || net->n_pop > LSNN_PLOT_MAX_POP)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot connectivity: no network", path ? path : "plot");
    /* Nodes: 0 = input X, then the non-empty populations, then the readout Y. */
    int node_of_pop[LSNN_PLOT_MAX_POP], pop_of_node[LSNN_PLOT_MAX_POP + 2], P = 0;
    for (int p = 0; p < net->n_pop; p++) {
        node_of_pop[p] = net->pop[p].count > 0 ? 1 + P : -1;
        if (net->pop[p].count > 0)
            pop_of_node[1 + P++] = p;
    }
    const int N = P + 2;
    /* Possible and existing synapses between nodes (rows: source node, columns: target). */
    double poss[LSNN_PLOT_MAX_POP + 2][LSNN_PLOT_MAX_POP + 2];
    double have[LSNN_PLOT_MAX_POP + 2][LSNN_PLOT_MAX_POP + 2];
    memset(poss, 0, sizeof poss);
    memset(have, 0, sizeof have);
    int n_rec = 0; /* projections between neurons: recurrent, feed-forward between layers */
    for (int q = 0; q < net->n_proj; q++) {
        const lsnn_projection *pr = &net->proj[q];
        n_rec += !pr->src_is_input;
        for (int i = 0; i < pr->n_src; i++) {
            int sp = pr->src_is_input ? -1 : lsnn__pop_of(net, pr->src_off + i);
            int s = pr->src_is_input ? 0 : sp >= 0 ? node_of_pop[sp] : -1;
            if (s < 0)
                continue;
            for (int j = 0; j < pr->n_dst; j++) {
                int dj = pr->dst_off + j, tp = lsnn__pop_of(net, dj);
                int t = tp >= 0 ? node_of_pop[tp] : -1;
                if (t < 0 || (pr->no_self && !pr->src_is_input && pr->src_off + i == dj))
                    continue;
                /* A masked synapse is possible but absent (DEEP R keeps its slot). */
                poss[s][t] += 1;
                if (!pr->mask || pr->mask[(size_t)i * pr->n_dst + j])
                    have[s][t] += pr->w[(size_t)i * pr->n_dst + j] != 0;
            }
        }
    }
    for (int j = 0; j < net->n; j++) {
        int sp = lsnn__pop_of(net, j), s = sp >= 0 ? node_of_pop[sp] : -1;
        if (s < 1)
            continue;
        for (int k = 0; k < net->n_out; k++) {
            if (!lsnn_net_readout_possible(net, j, k)) /* across two directions */
                continue;
            poss[s][N - 1] += 1;
            have[s][N - 1] += net->w_out[(size_t)j * net->n_out + k] != 0;
        }
    }
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    const double fs = lsnn__font_size(width, height);

    /* Left: the diagram. X on the left, Y on the right, the populations between them: in a
     * column when there are one or two, else on a ring (a column of three or more crowds the
     * arrows and labels between neighbours and runs arrows through the middle nodes). */
    double dl = fs, dr = round(width * 0.46), dtop = round(2.6 * fs), dbot = height - 1.5 * fs;
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 1);
    lsnn__text(cr, (dl + dr) / 2, 0.6 * fs, "connection probability", 0.5, 0);
    lsnn__node nd[LSNN_PLOT_MAX_POP + 2];
    const int ring = P >= 3;
    double rad = fmin((dr - dl) / 11, (dbot - dtop) / (3.2 * (P > 0 ? P : 1) + 0.8));
    /* Ring: radii rx, ry and the angle of the first node, chosen so that no node sits on the
     * line from X to Y; neighbours at least three node radii apart, room for the self-loops. */
    double rx = 0, ry = 0, th0 = -LSNN__PI / 2;
    if (ring) {
        /* An ellipse over the free height, narrower between X and Y. */
        rad = fmin((dr - dl) / 14, (dbot - dtop) / 11);
        rx = (dr - dl) / 2 - 3.8 * rad;
        ry = (dbot - dtop) / 2 - 2.2 * rad;
        rad = fmin(rad, 2 * fmin(rx, ry) * sin(LSNN__PI / P) / 3);
        if (P % 2 == 0 && (P / 2) % 2 == 0)
            th0 += LSNN__PI / P;
    }
    rad = fmax(rad, 2.4 * fs); /* room for the label and the count */
    for (int k = 0; k < N; k++) {
        lsnn__node *n = &nd[k];
        n->r = rad;
        if (k == 0 || k == N - 1) {
            n->x = k == 0 ? dl + rad + 0.5 * fs : dr - rad - 0.5 * fs;
            n->y = (dtop + dbot) / 2;
            snprintf(n->label, sizeof n->label, k == 0 ? "X" : "Y");
            n->fill = k == 0 ? (lsnn__rgb){0.85, 0.85, 0.85} : (lsnn__rgb){1, 1, 1};
            n->ink = (lsnn__rgb){0, 0, 0};
            n->count = k == 0 ? net->n_in : net->n_out;
        } else {
            const lsnn_population *pp = &net->pop[pop_of_node[k]];
            lsnn_plot_population q = {pp->name, pp->off, pp->count, pp->sign,
                                      lsnn__pop_adaptive(net, pop_of_node[k])};
            if (ring) {
                const double th = th0 + 2 * LSNN__PI * (k - 1) / P;
                n->x = (dl + dr) / 2 + rx * cos(th);
                n->y = (dtop + dbot) / 2 + ry * sin(th);
            } else {
                n->x = (dl + dr) / 2;
                n->y = dtop + (dbot - dtop) * (k - 0.5) / P;
            }
            lsnn__pop_label(&q, n->label, sizeof n->label);
            n->fill = lsnn__pop_color(&q);
            n->ink = pp->sign == LSNN_SIGN_INH ? (lsnn__rgb){0, 0, 0} : (lsnn__rgb){1, 1, 1};
            n->count = pp->count;
        }
    }
    /* Arrows first, nodes on top. */
    for (int s = 0; s < N - 1; s++)
        for (int t = 1; t < N; t++) {
            if (poss[s][t] <= 0)
                continue;
            double p = have[s][t] / poss[s][t];
            if (p <= 0)
                continue;
            if (s == t) {
                /* Loops point away from the centre of the ring, or of the column (up for the
                 * top half). */
                double ang = (s - 0.5) / P < 0.5 ? -LSNN__PI / 2 : LSNN__PI / 2;
                if (ring)
                    ang = th0 + 2 * LSNN__PI * (s - 1) / P;
                lsnn__loop(cr, &nd[s], ang, p, fs);
            } else {
                /* Two populations connected both ways: two curves bent to opposite sides. On
                 * the ring, the labels of the long arrows from X and to Y sit nearer X and Y,
                 * away from the middle, where the arrows between populations cross. */
                double bend = (s >= 1 && t <= P) ? 0.18 : 0.0;
                double lpos = !ring ? 0.5 : s == 0 ? 0.3 : t == N - 1 ? 0.7 : 0.5;
                /* On the ring, a straight arrow from X or to Y that would pass over another
                 * population bends away from it. */
                for (int o = 1; ring && bend == 0 && o <= P; o++) {
                    if (o == s || o == t)
                        continue;
                    double dx = nd[t].x - nd[s].x, dy = nd[t].y - nd[s].y;
                    double ox = nd[o].x - nd[s].x, oy = nd[o].y - nd[s].y;
                    double len2 = dx * dx + dy * dy, u = (ox * dx + oy * dy) / len2;
                    double cross = dx * oy - dy * ox;
                    if (u > 0 && u < 1 && fabs(cross) / sqrt(len2) < 1.5 * nd[o].r)
                        bend = cross > 0 ? -0.22 : 0.22;
                }
                lsnn__arrow(cr, &nd[s], &nd[t], bend, lpos, p, fs);
            }
        }
    for (int k = 0; k < N; k++) {
        lsnn__node *n = &nd[k];
        cairo_new_sub_path(cr);
        cairo_arc(cr, n->x, n->y, n->r, 0, 2 * LSNN__PI);
        lsnn__color(cr, n->fill);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        /* The label and the number of neurons (or channels, outputs) inside the circle. */
        lsnn__color(cr, n->ink);
        lsnn__font(cr, 1.3 * fs, 1);
        lsnn__text(cr, n->x, n->y + 0.1 * fs, n->label, 0.5, 1);
        char buf[48];
        snprintf(buf, sizeof buf, "n = %d", n->count);
        lsnn__font(cr, 0.8 * fs, 0);
        lsnn__text(cr, n->x, n->y + 0.25 * fs, buf, 0.5, 0);
    }
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    lsnn__font(cr, 0.75 * fs, 0);
    lsnn__text(cr, dl, height - 0.4 * fs,
               "X: input channels, Y: readout; at arrows: fraction of non-zero weights", 0, 1);

    /* Right: the weights between neurons as one (n, n) image: W_rec of a one-layer network, or
     * every projection between neurons in its block (layers, the two directions). */
    if (n_rec > 0) {
        const int ns = net->n, nt = net->n;
        size_t sz = (size_t)ns * nt;
        double *mag = malloc(sizeof(double) * sz);
        lsnn_real *wall = calloc(sz, sizeof(lsnn_real));
        if (!mag || !wall) {
            free(mag);
            free(wall);
            lsnn__canvas_abort(&c);
            return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
        }
        for (int q = 0; q < net->n_proj; q++) {
            const lsnn_projection *pr = &net->proj[q];
            for (int i = 0; !pr->src_is_input && i < pr->n_src; i++)
                for (int j = 0; j < pr->n_dst; j++)
                    wall[(size_t)(pr->src_off + i) * nt + pr->dst_off + j] =
                        pr->w[(size_t)i * pr->n_dst + j];
        }
        size_t nz = 0;
        for (size_t k = 0; k < sz; k++)
            if (wall[k] != 0)
                mag[nz++] = fabs((double)wall[k]);
        /* Colour limit: the 99th percentile of |w|, so that a few large weights do not wash out
         * the rest (larger values take the end colour). */
        double vmax = 1;
        if (nz > 0) {
            qsort(mag, nz, sizeof(double), lsnn__cmp_double);
            vmax = mag[(size_t)floor(0.99 * (double)(nz - 1))];
            if (!(vmax > 0))
                vmax = mag[nz - 1] > 0 ? mag[nz - 1] : 1;
        }
        free(mag);
        double top = round(3.4 * fs), bot = round(height - 3.6 * fs);
        double x0 = round(width * 0.56), cbw = round(1.2 * fs);
        /* The colour bar starts after the widest population name on the right ("R bw"). */
        lsnn__font(cr, 0.85 * fs, 1);
        double labw = 0;
        char labs[LSNN_PLOT_MAX_POP][16];
        for (int p = 0; p < net->n_pop; p++) {
            const lsnn_population *pp = &net->pop[p];
            lsnn_plot_population q = {pp->name, pp->off, pp->count, pp->sign,
                                      lsnn__pop_adaptive(net, p)};
            char *lab = labs[p];
            lsnn__pop_label(&q, lab, sizeof labs[p]);
            cairo_text_extents_t te;
            cairo_text_extents(cr, lab, &te);
            labw = fmax(labw, te.x_advance);
        }
        const double cb_off = fmax(2.6 * fs, 0.3 * fs + labw + 0.8 * fs);
        double side = fmin(bot - top, width - x0 - cb_off - 3.9 * fs - cbw);
        side = floor(fmax(side, 20));
        lsnn__axes a = {x0, top, side, side, 0, nt, ns, 0, 0};
        /* Source 0 at the top: y0 = ns maps to the bottom edge, y1 = 0 to the top. */
        a.y0 = ns;
        a.y1 = 0;
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, nt, ns);
        if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(img);
            free(wall);
            lsnn__canvas_abort(&c);
            return lsnn_error(LSNN_ERR_NOMEM, "%s: cannot allocate a %d x %d image", path, nt, ns);
        }
        cairo_surface_flush(img);
        unsigned char *px = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int i = 0; i < ns; i++) {
            uint32_t *row = (uint32_t *)(px + (size_t)i * stride);
            for (int j = 0; j < nt; j++) {
                lsnn__rgb col = lsnn__diverging(wall[(size_t)i * nt + j] / vmax);
                row[j] = ((uint32_t)lround(col.r * 255) << 16) |
                         ((uint32_t)lround(col.g * 255) << 8) | (uint32_t)lround(col.b * 255);
            }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_rectangle(cr, a.x, a.y, a.w, a.h);
        cairo_clip(cr);
        cairo_translate(cr, a.x, a.y);
        cairo_scale(cr, a.w / nt, a.h / ns);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(img);
        free(wall);
        /* Population boundaries and names. */
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1);
        lsnn__font(cr, 0.85 * fs, 1);
        for (int p = 0; p < net->n_pop; p++) {
            const lsnn_population *pp = &net->pop[p];
            const char *lab = labs[p];
            double b0 = a.x + a.w * pp->off / nt;
            double b1 = a.x + a.w * (pp->off + pp->count) / nt;
            double c0 = a.y + a.h * pp->off / ns;
            double c1 = a.y + a.h * (pp->off + pp->count) / ns;
            if (p > 0) {
                cairo_move_to(cr, round(b0) + 0.5, a.y);
                cairo_line_to(cr, round(b0) + 0.5, a.y + a.h);
                cairo_move_to(cr, a.x, round(c0) + 0.5);
                cairo_line_to(cr, a.x + a.w, round(c0) + 0.5);
                cairo_stroke(cr);
            }
            if (pp->count > 0) {
                lsnn__color(cr, pp->sign == LSNN_SIGN_INH ? LSNN__ORANGE : (lsnn__rgb){0, 0, 0});
                lsnn__text(cr, (b0 + b1) / 2, a.y - 0.3 * fs, lab, 0.5, 1);
                lsnn__text(cr, a.x + a.w + 0.3 * fs, (c0 + c1) / 2, lab, 0, 0.5);
                cairo_set_source_rgb(cr, 0, 0, 0);
            }
        }
        lsnn__ax_frame(cr, &a);
        /* Neuron-index ticks at the centres of the cells (x: targets, y: sources from the
         * top), at whole multiples of a nice step. */
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1);
        lsnn__font(cr, 0.85 * fs, 0);
        for (int axis = 0; axis < 2; axis++) {
            int cnt = axis == 0 ? nt : ns;
            double len = axis == 0 ? a.w : a.h;
            double st = fmax(1, lsnn__nice_step(cnt, len / (fs * (axis == 0 ? 4.5 : 2.6))));
            for (double v = 0; v < cnt; v += st) {
                double pos = round((axis == 0 ? a.x : a.y) + len * (v + 0.5) / cnt) + 0.5;
                char buf[32];
                snprintf(buf, sizeof buf, "%.0f", v);
                if (axis == 0) {
                    cairo_move_to(cr, pos, a.y + a.h + 0.5);
                    cairo_line_to(cr, pos, a.y + a.h + 0.35 * fs);
                    cairo_stroke(cr);
                    lsnn__text(cr, pos, a.y + a.h + 0.45 * fs, buf, 0.5, 0);
                } else {
                    cairo_move_to(cr, a.x - 0.5, pos);
                    cairo_line_to(cr, a.x - 0.35 * fs, pos);
                    cairo_stroke(cr);
                    lsnn__text(cr, a.x - 0.5 * fs, pos, buf, 1, 0.5);
                }
            }
        }
        lsnn__ax_xlabel(cr, &a, fs, "target neuron (postsynaptic)");
        lsnn__ax_ylabel(cr, &a, fs, 2.4 * fs, "source neuron (presynaptic)");
        cairo_set_source_rgb(cr, 0, 0, 0);
        lsnn__font(cr, fs, 1);
        lsnn__text(cr, a.x + a.w / 2, 0.6 * fs,
                   n_rec > 1 ? "weights between neurons (every projection)"
                             : "recurrent weights W_rec",
                   0.5, 0);
        /* Colour bar. */
        lsnn__axes cb = {a.x + a.w + cb_off, a.y, cbw, a.h, 0, 1, -vmax, vmax, 0};
        int steps = (int)cb.h;
        for (int k = 0; k < steps; k++) {
            double f = 1 - 2.0 * (k + 0.5) / steps;
            lsnn__color(cr, lsnn__diverging(f));
            cairo_rectangle(cr, cb.x, cb.y + k, cb.w, 1);
            cairo_fill(cr);
        }
        lsnn__ax_frame(cr, &cb);
        /* Ticks on the right of the bar. */
        double s = lsnn__nice_step(2 * vmax, cb.h / (fs * 3.5));
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1);
        lsnn__font(cr, 0.85 * fs, 0);
        for (double v = ceil(-vmax / s - 1e-9) * s; v <= vmax + 1e-9 * s; v += s) {
            double py = round(lsnn__ax_y(&cb, v)) + 0.5;
            cairo_move_to(cr, cb.x + cb.w + 0.5, py);
            cairo_line_to(cr, cb.x + cb.w + 0.35 * fs, py);
            cairo_stroke(cr);
            char buf[32];
            lsnn__fmt_tick(buf, sizeof buf, v, s);
            lsnn__text(cr, cb.x + cb.w + 0.5 * fs, py, buf, 0, 0.5);
        }
        lsnn__font(cr, 0.85 * fs, 0);
        lsnn__text(cr, cb.x + cb.w / 2, cb.y + cb.h + 0.5 * fs, "weight", 0.5, 0);
    }
    return lsnn__canvas_close(&c);
}

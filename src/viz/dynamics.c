/* The dynamics figure (see lsnn/plot.h): input raster, rasters of a seed-chosen subset of each
 * population, thresholds of adaptive neurons, and the readout with the decision windows.
 *
 * Raster marks are rectangles aligned to whole units: a spike is never an anti-aliased sliver
 * that prints as light grey, and lsnn_plot_raster_geometry can say exactly which pixel it
 * covers. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/core.h"
#include "viz.h"

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
    const char *kind = pp->kind ? pp->kind : pp->adaptive ? "ALIF" : "LIF";
    lsnn__text(cr, a->x + a->w + 0.6 * L->fs, a->y + a->h / 2, kind, 0, 0.85);
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
    lsnn__ax_polyline(cr, a, NULL, 0.5 * dt, dt, v, T, 0);
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
    const int ce = d->loss != LSNN_LOSS_MSE && d->loss != LSNN_LOSS_POLICY && !rate;
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
                    d->readout_label ? d->readout_label
                    : ce             ? "softmax"
                    : rate           ? "rate (Hz), " LSNN__RATE_LABEL
                                     : "readout");
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

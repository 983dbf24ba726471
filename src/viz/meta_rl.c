/* The path figure of the meta-RL analysis (lsnn/meta_rl.h, see lsnn/plot.h), seed 001 Fig. 3C/D
 * and Fig. S1A: for the first few test episodes, the positions of the trained agent (top row)
 * and of the random walk in the same episodes (bottom row) in the circular arena, with the goal
 * disc and the circle on which goal centres lie. Time is coded by colour, light to dark blue, so
 * that the exploration before the first goal and the direct runs after it can be told apart.
 *
 * The agent is put at a random place each time it reaches the goal, so a path is a sequence of
 * pieces: a step longer than any move the agent can make is a jump, drawn as a new piece starting
 * at a small open circle instead of a line across the arena. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/meta_rl.h"
#include "viz.h"

#define LSNN__MRL_SEGMENTS 20   /* colour steps along a path */
#define LSNN__MRL_JUMP 0.1      /* a step longer than this is a relocation, not a move */
#define LSNN__MRL_GOAL_R 0.3    /* radius of the goal disc */
#define LSNN__MRL_RING_R 0.85   /* radius of the circle of goal centres */
#define LSNN__MRL_LIM 1.06      /* half-width of a panel in arena units: the arena and its line */
#define LSNN__MRL_FAR 1e3       /* coordinates beyond this are garbage, drawn like NaN (cairo's
                                 * fixed-point coordinates would overflow on huge values) */
#define LSNN__MRL_DEFAULT_COLS 4

static const lsnn__rgb LSNN__MRL_LIGHT = {0.70, 0.82, 0.95};
static const lsnn__rgb LSNN__MRL_GOAL_FILL = {1.00, 0.86, 0.68};
static const lsnn__rgb LSNN__MRL_RING = {0.68, 0.68, 0.68};

/* Path colour at fraction f of the episode (0: light, 1: the dark blue of the other figures). */
static lsnn__rgb lsnn__mrl_ramp(double f)
{
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    lsnn__rgb a = LSNN__MRL_LIGHT, b = LSNN__DARK_BLUE;
    return (lsnn__rgb){a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

static int lsnn__mrl_ok(const double *p)
{
    return isfinite(p[0]) && isfinite(p[1]) && fabs(p[0]) < LSNN__MRL_FAR &&
           fabs(p[1]) < LSNN__MRL_FAR;
}

/* 1 when the step into position t is a relocation after a goal. Only decided between two
 * drawable positions: next to a NaN the pen is lifted anyway, and a guess would mark a
 * restart that may not be one. */
static int lsnn__mrl_jump(const double *xy, int t)
{
    const double *p = xy + 2 * (size_t)t, *q = p - 2;
    return t > 0 && lsnn__mrl_ok(p) && lsnn__mrl_ok(q) &&
           hypot(p[0] - q[0], p[1] - q[1]) > LSNN__MRL_JUMP;
}

static void lsnn__mrl_circle(cairo_t *cr, const lsnn__axes *ax, double x, double y, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, lsnn__ax_x(ax, x), lsnn__ax_y(ax, y), r, 0, 2 * LSNN__PI);
}

/* Path xy (T, 2) of one episode in the panel ax: segments of rising darkness, the pen lifted at
 * jumps and undrawable positions, then the markers on top so that no line hides them. */
static void lsnn__mrl_path(cairo_t *cr, const lsnn__axes *ax, double fs, const double *xy, int T)
{
    cairo_set_line_width(cr, 1.4);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    const int nseg = T - 1 < LSNN__MRL_SEGMENTS ? T - 1 : LSNN__MRL_SEGMENTS;
    for (int k = 0; k < nseg; k++) {
        /* Segment k covers the steps into positions t0 + 1 .. t1; it starts at t0, where the
         * one before it ended, so that the colour changes without a gap. */
        int t0 = (int)((long long)k * (T - 1) / nseg);
        int t1 = (int)((long long)(k + 1) * (T - 1) / nseg);
        lsnn__color(cr, lsnn__mrl_ramp(nseg > 1 ? (double)k / (nseg - 1) : 1));
        int pen = 0;
        for (int t = t0; t <= t1; t++) {
            const double *p = xy + 2 * (size_t)t;
            if (!lsnn__mrl_ok(p)) {
                pen = 0;
                continue;
            }
            if (pen && lsnn__mrl_jump(xy, t))
                pen = 0;
            double px = lsnn__ax_x(ax, p[0]), py = lsnn__ax_y(ax, p[1]);
            if (pen)
                cairo_line_to(cr, px, py);
            else
                cairo_move_to(cr, px, py);
            pen = 1;
        }
        cairo_stroke(cr);
    }
    /* The restarts, in the colour of their time but never as light as the earliest line, so
     * that the early ones stay visible. */
    const double r = 0.3 * fs;
    cairo_set_line_width(cr, 1.2);
    for (int t = 1; t < T; t++)
        if (lsnn__mrl_jump(xy, t)) {
            const double *p = xy + 2 * (size_t)t;
            /* White inside, so that the circle reads as open over the lines below it. */
            cairo_set_source_rgb(cr, 1, 1, 1);
            lsnn__mrl_circle(cr, ax, p[0], p[1], r);
            cairo_fill(cr);
            lsnn__color(cr, lsnn__mrl_ramp(0.35 + 0.65 * t / (T - 1)));
            lsnn__mrl_circle(cr, ax, p[0], p[1], r);
            cairo_stroke(cr);
        }
    /* The start: the first drawable position (position 0 unless it is NaN). */
    for (int t = 0; t < T; t++) {
        const double *p = xy + 2 * (size_t)t;
        if (!lsnn__mrl_ok(p))
            continue;
        lsnn__color(cr, LSNN__MRL_LIGHT);
        lsnn__mrl_circle(cr, ax, p[0], p[1], 0.4 * fs);
        cairo_fill_preserve(cr);
        lsnn__color(cr, LSNN__DARK_BLUE);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        break;
    }
}

/* One panel: the goal disc, the circle of goal centres, the arena, the path (any of goal and
 * xy may be NULL: that element is left out). */
static void lsnn__mrl_panel(cairo_t *cr, const lsnn__axes *ax, double fs, const double *goal,
                            const double *xy, int T)
{
    const double unit = ax->w / (ax->x1 - ax->x0); /* surface units per arena unit */
    lsnn__ax_clip(cr, ax);
    if (goal && lsnn__mrl_ok(goal)) {
        /* The disc reaches past the wall (0.85 + 0.3 > 1): only its part inside the arena can
         * be reached, so only that part is drawn. */
        cairo_save(cr);
        lsnn__mrl_circle(cr, ax, 0, 0, unit);
        cairo_clip(cr);
        lsnn__mrl_circle(cr, ax, goal[0], goal[1], LSNN__MRL_GOAL_R * unit);
        lsnn__color(cr, LSNN__MRL_GOAL_FILL);
        cairo_fill_preserve(cr);
        lsnn__color(cr, LSNN__ORANGE);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    lsnn__color(cr, LSNN__MRL_RING);
    cairo_set_line_width(cr, 1);
    lsnn__dash(cr, 1, 1);
    lsnn__mrl_circle(cr, ax, 0, 0, LSNN__MRL_RING_R * unit);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    lsnn__color(cr, LSNN__DARK_GREY);
    cairo_set_line_width(cr, 1.8);
    lsnn__mrl_circle(cr, ax, 0, 0, unit);
    cairo_stroke(cr);
    if (xy)
        lsnn__mrl_path(cr, ax, fs, xy, T);
    cairo_restore(cr);
}

/* ---------------------------------------------------------------------------------------------
 * Legend: the marks are not lines of one colour, so each item draws its own sample. */

enum { LSNN__MRL_LEG_PATH, LSNN__MRL_LEG_GOAL, LSNN__MRL_LEG_RING, LSNN__MRL_LEG_START,
       LSNN__MRL_LEG_RESTART, LSNN__MRL_LEG_N };

static void lsnn__mrl_sample(cairo_t *cr, int kind, double x, double y, double fs, double len)
{
    cairo_save(cr);
    cairo_set_line_width(cr, 2);
    switch (kind) {
    case LSNN__MRL_LEG_PATH:
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        for (int i = 0; i < 4; i++) {
            lsnn__color(cr, lsnn__mrl_ramp(i / 3.0));
            cairo_move_to(cr, x + len * i / 4, y);
            cairo_line_to(cr, x + len * (i + 1) / 4, y);
            cairo_stroke(cr);
        }
        break;
    case LSNN__MRL_LEG_GOAL:
        cairo_arc(cr, x + len / 2, y, 0.45 * fs, 0, 2 * LSNN__PI);
        lsnn__color(cr, LSNN__MRL_GOAL_FILL);
        cairo_fill_preserve(cr);
        lsnn__color(cr, LSNN__ORANGE);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        break;
    case LSNN__MRL_LEG_RING:
        lsnn__color(cr, LSNN__MRL_RING);
        lsnn__dash(cr, 1, 1);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + len, y);
        cairo_stroke(cr);
        break;
    case LSNN__MRL_LEG_START:
        cairo_arc(cr, x + len / 2, y, 0.4 * fs, 0, 2 * LSNN__PI);
        lsnn__color(cr, LSNN__MRL_LIGHT);
        cairo_fill_preserve(cr);
        lsnn__color(cr, LSNN__DARK_BLUE);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        break;
    default:
        cairo_arc(cr, x + len / 2, y, 0.3 * fs, 0, 2 * LSNN__PI);
        lsnn__color(cr, lsnn__mrl_ramp(0.7));
        cairo_set_line_width(cr, 1.2);
        cairo_stroke(cr);
        break;
    }
    cairo_restore(cr);
}

/* Lays the legend out from (x0, y0) in lines of at most x1 - x0 units, drawing it when `draw`;
 * returns the number of lines (a narrow figure wraps it rather than cutting it off). */
static int lsnn__mrl_legend(cairo_t *cr, int draw, double x0, double x1, double y0, double fs)
{
    static const char *labels[LSNN__MRL_LEG_N] = {
        "path (light: early, dark: late)", "goal", "circle of goal centres", "start",
        "new start after a goal"};
    const double len = 2.2 * fs, sep = 1.5 * fs, lh = 1.5 * fs;
    double x = x0, y = y0;
    int lines = 1;
    lsnn__font(cr, 0.85 * fs, 0);
    for (int i = 0; i < LSNN__MRL_LEG_N; i++) {
        double w = len + 0.4 * fs + lsnn__text_width(cr, labels[i]);
        if (x > x0 && x + w > x1) {
            x = x0;
            y += lh;
            lines++;
        }
        if (draw) {
            lsnn__mrl_sample(cr, i, x, y, fs, len);
            cairo_set_source_rgb(cr, 0, 0, 0);
            lsnn__font(cr, 0.85 * fs, 0);
            lsnn__text(cr, x + len + 0.4 * fs, y, labels[i], 0, 0.5);
        }
        x += w + sep;
    }
    return lines;
}

/* ---------------------------------------------------------------------------------------------
 * The figure. */

/* Panel geometry for a legend of `lines` lines: the side of the square panels and the corner
 * of the first one's cell; 0 when the figure is too small for panels of 40 units. */
typedef struct lsnn__mrl_layout {
    double fs, left, top, cw, ch, gx, tt, side;
} lsnn__mrl_layout;

static int lsnn__mrl_layout_for(lsnn__mrl_layout *l, int width, int height, int nc, int lines)
{
    const double fs = l->fs;
    l->left = round(2.4 * fs); /* room for the rotated row labels */
    l->top = round((0.6 + 1.5 * lines) * fs);
    l->gx = round(1.0 * fs);
    l->tt = round(1.8 * fs); /* the panel titles above each row */
    const double right = round(0.8 * fs), bottom = round(0.6 * fs);
    l->cw = floor((width - l->left - right - (nc - 1) * l->gx) / nc);
    l->ch = floor((height - l->top - bottom - 2 * l->tt) / 2);
    l->side = fmin(l->cw, l->ch);
    return l->side >= 40;
}

lsnn_status lsnn_plot_meta_rl_paths(const char *path, const lsnn_meta_rl_analysis *a,
                                    int n_episodes, int width, int height)
{
    if (!path || !a)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot meta-RL paths: no %s", path ? path : "plot",
                          path ? "analysis" : "output path");
    if (a->episodes < 1 || a->T < 2)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot meta-RL paths: empty analysis (%d episodes, "
                          "T = %d; at least 1 episode and T >= 2 required)", path, a->episodes,
                          a->T);
    if (!a->agent.xy && !a->walk.xy)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot meta-RL paths: no positions (agent.xy and "
                          "walk.xy are NULL)", path);
    const int nc = n_episodes <= 0 || n_episodes > a->episodes
                       ? (a->episodes < LSNN__MRL_DEFAULT_COLS ? a->episodes
                                                               : LSNN__MRL_DEFAULT_COLS)
                       : n_episodes;
    if (width <= 0 || height <= 0) {
        width = 260 * nc + 60;
        height = 2 * 260 + 80;
    }
    lsnn__mrl_layout l = {.fs = lsnn__font_size(width, height)};
    if (!lsnn__mrl_layout_for(&l, width, height, nc, 1))
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small for %d episodes", path,
                          width, height, nc);
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st)
        return st;
    cairo_t *cr = c.cr;
    /* The legend's width is known only with the canvas's font: a narrow figure may need more
     * lines and so lose panel height. */
    const double right = round(0.8 * l.fs), ly = round(1.1 * l.fs);
    int lines = lsnn__mrl_legend(cr, 0, l.left, width - right, ly, l.fs);
    if (lines > 1 && !lsnn__mrl_layout_for(&l, width, height, nc, lines)) {
        lsnn__canvas_abort(&c);
        return lsnn_error(LSNN_ERR_ARG, "%s: figure %d x %d too small for %d episodes", path,
                          width, height, nc);
    }
    lsnn__mrl_legend(cr, 1, l.left, width - right, ly, l.fs);

    static const char *rows[2] = {"agent", "random walk"};
    const lsnn_meta_rl_agent *who[2] = {&a->agent, &a->walk};
    const size_t ep_len = (size_t)a->T * 2;
    for (int r = 0; r < 2; r++) {
        double py = round(l.top + r * (l.tt + l.ch) + l.tt + (l.ch - l.side) / 2);
        for (int e = 0; e < nc; e++) {
            double px = round(l.left + e * (l.cw + l.gx) + (l.cw - l.side) / 2);
            lsnn__axes ax = {px, py, l.side, l.side, -LSNN__MRL_LIM, LSNN__MRL_LIM,
                             -LSNN__MRL_LIM, LSNN__MRL_LIM, 0};
            const double *xy = who[r]->xy ? who[r]->xy + e * ep_len : NULL;
            lsnn__mrl_panel(cr, &ax, l.fs, a->goal ? a->goal + 2 * (size_t)e : NULL, xy,
                            a->T);
            char title[64];
            double g = who[r]->goals ? who[r]->goals[e] : NAN;
            if (isfinite(g) && fabs(g) < 1e9)
                snprintf(title, sizeof title, "episode %d: %.0f goal%s", e, g,
                         g == 1 ? "" : "s");
            else
                snprintf(title, sizeof title, "episode %d", e);
            cairo_set_source_rgb(cr, 0, 0, 0);
            lsnn__font(cr, 0.9 * l.fs, 1);
            lsnn__text(cr, px + l.side / 2, py - 0.4 * l.fs, title, 0.5, 1);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        lsnn__font(cr, l.fs, 1);
        lsnn__text_up(cr, round(1.1 * l.fs), py + l.side / 2, rows[r], 0.5, 0.5);
    }
    return lsnn__canvas_close(&c);
}

/* The connectivity figure (see lsnn/plot.h): connection probabilities between the input, the
 * populations and the readout, and the weights between neurons as an image. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsnn/network.h"
#include "viz.h"

/* Node k of the diagram: 0 = input X, 1..n_pop = populations, n_pop + 1 = readout Y. */
typedef struct lsnn__node {
    double x, y, r;
    char label[16];
    lsnn__rgb fill, ink;
    int count;
} lsnn__node;

static int lsnn__pop_adaptive(const lsnn_net *net, int p)
{
    for (int j = net->pop[p].off; j < net->pop[p].off + net->pop[p].count; j++)
        if (net->adaptive && net->adaptive[j])
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

/* The diagram: nodes 0 = input X, then the non-empty populations, then the readout Y. */
typedef struct lsnn__diagram {
    int node_of_pop[LSNN_PLOT_MAX_POP], pop_of_node[LSNN_PLOT_MAX_POP + 2];
    int P, N;        /* non-empty populations, nodes */
    /* Possible and existing synapses between nodes (rows: source node, columns: target). */
    double poss[LSNN_PLOT_MAX_POP + 2][LSNN_PLOT_MAX_POP + 2];
    double have[LSNN_PLOT_MAX_POP + 2][LSNN_PLOT_MAX_POP + 2];
    int n_rec;       /* projections between neurons: recurrent, feed-forward between layers */
    lsnn__node nd[LSNN_PLOT_MAX_POP + 2];
    int ring;        /* populations on a ring (3 or more) rather than in a column */
    double th0;      /* angle of the first node on the ring */
} lsnn__diagram;

/* The nodes and the synapse counts between them. */
static void lsnn__diagram_count(const lsnn_net *net, lsnn__diagram *D)
{
    memset(D, 0, sizeof *D);
    int P = 0;
    for (int p = 0; p < net->n_pop; p++) {
        D->node_of_pop[p] = net->pop[p].count > 0 ? 1 + P : -1;
        if (net->pop[p].count > 0)
            D->pop_of_node[1 + P++] = p;
    }
    const int N = P + 2;
    D->P = P;
    D->N = N;
    for (int q = 0; q < net->n_proj; q++) {
        const lsnn_projection *pr = &net->proj[q];
        D->n_rec += !pr->src_is_input;
        for (int i = 0; i < pr->n_src; i++) {
            int sp = pr->src_is_input ? -1 : lsnn_net_pop_of(net, pr->src_off + i);
            int s = pr->src_is_input ? 0 : sp >= 0 ? D->node_of_pop[sp] : -1;
            if (s < 0)
                continue;
            for (int j = 0; j < pr->n_dst; j++) {
                int dj = pr->dst_off + j, tp = lsnn_net_pop_of(net, dj);
                int t = tp >= 0 ? D->node_of_pop[tp] : -1;
                if (t < 0 || (pr->no_self && !pr->src_is_input && pr->src_off + i == dj))
                    continue;
                /* A masked synapse is possible but absent (DEEP R keeps its slot). */
                D->poss[s][t] += 1;
                if (!pr->mask || pr->mask[(size_t)i * pr->n_dst + j])
                    D->have[s][t] += pr->w[(size_t)i * pr->n_dst + j] != 0;
            }
        }
    }
    for (int j = 0; j < net->n; j++) {
        int sp = lsnn_net_pop_of(net, j), s = sp >= 0 ? D->node_of_pop[sp] : -1;
        if (s < 1)
            continue;
        for (int k = 0; k < net->n_out; k++) {
            if (!lsnn_net_readout_possible(net, j, k)) /* across two directions */
                continue;
            D->poss[s][N - 1] += 1;
            D->have[s][N - 1] += net->w_out[(size_t)j * net->n_out + k] != 0;
        }
    }
}

/* Places the nodes in the box [dl, dr] x [dtop, dbot]: X on the left, Y on the right, the
 * populations between them: in a column when there are one or two, else on a ring (a column of
 * three or more crowds the arrows and labels between neighbours and runs arrows through the
 * middle nodes). */
static void lsnn__diagram_layout(const lsnn_net *net, lsnn__diagram *D, double dl, double dr,
                                 double dtop, double dbot, double fs)
{
    const int P = D->P, N = D->N;
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
    D->ring = ring;
    D->th0 = th0;
    rad = fmax(rad, 2.4 * fs); /* room for the label and the count */
    for (int k = 0; k < N; k++) {
        lsnn__node *n = &D->nd[k];
        n->r = rad;
        if (k == 0 || k == N - 1) {
            n->x = k == 0 ? dl + rad + 0.5 * fs : dr - rad - 0.5 * fs;
            n->y = (dtop + dbot) / 2;
            snprintf(n->label, sizeof n->label, k == 0 ? "X" : "Y");
            n->fill = k == 0 ? (lsnn__rgb){0.85, 0.85, 0.85} : (lsnn__rgb){1, 1, 1};
            n->ink = (lsnn__rgb){0, 0, 0};
            n->count = k == 0 ? net->n_in : net->n_out;
        } else {
            const lsnn_population *pp = &net->pop[D->pop_of_node[k]];
            lsnn_plot_population q = {pp->name, pp->off, pp->count, pp->sign,
                                      lsnn__pop_adaptive(net, D->pop_of_node[k]), NULL};
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
}

/* The arrows between the nodes, with their probabilities. */
static void lsnn__diagram_arrows(cairo_t *cr, const lsnn__diagram *D, double fs)
{
    const int P = D->P, N = D->N, ring = D->ring;
    const double th0 = D->th0;
    for (int s = 0; s < N - 1; s++)
        for (int t = 1; t < N; t++) {
            if (D->poss[s][t] <= 0)
                continue;
            double p = D->have[s][t] / D->poss[s][t];
            if (p <= 0)
                continue;
            if (s == t) {
                /* Loops point away from the centre of the ring, or of the column (up for the
                 * top half). */
                double ang = (s - 0.5) / P < 0.5 ? -LSNN__PI / 2 : LSNN__PI / 2;
                if (ring)
                    ang = th0 + 2 * LSNN__PI * (s - 1) / P;
                lsnn__loop(cr, &D->nd[s], ang, p, fs);
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
                    double dx = D->nd[t].x - D->nd[s].x, dy = D->nd[t].y - D->nd[s].y;
                    double ox = D->nd[o].x - D->nd[s].x, oy = D->nd[o].y - D->nd[s].y;
                    double len2 = dx * dx + dy * dy, u = (ox * dx + oy * dy) / len2;
                    double cross = dx * oy - dy * ox;
                    if (u > 0 && u < 1 && fabs(cross) / sqrt(len2) < 1.5 * D->nd[o].r)
                        bend = cross > 0 ? -0.22 : 0.22;
                }
                lsnn__arrow(cr, &D->nd[s], &D->nd[t], bend, lpos, p, fs);
            }
        }
}

/* The nodes: circles with the label and the number of neurons (or channels, outputs). */
static void lsnn__diagram_nodes(cairo_t *cr, const lsnn__diagram *D, double fs)
{
    const int N = D->N;
    for (int k = 0; k < N; k++) {
        const lsnn__node *n = &D->nd[k];
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
}

/* The weights between neurons as one (n, n) matrix (malloc'd): W_rec of a one-layer network, or
 * every projection between neurons in its block (layers, the two directions); *vmax receives the
 * colour limit, the 99th percentile of |w|, so that a few large weights do not wash out the rest
 * (larger values take the end colour). */
static lsnn_status lsnn__weights_matrix(const lsnn_net *net, const char *path, lsnn_real **out,
                                        double *vmax_out)
{
    const int ns = net->n, nt = net->n;
    size_t sz = (size_t)ns * nt;
    double *mag = malloc(sizeof(double) * sz);
    lsnn_real *wall = calloc(sz, sizeof(lsnn_real));
    if (!mag || !wall) {
        free(mag);
        free(wall);
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
    double vmax = 1;
    if (nz > 0) {
        qsort(mag, nz, sizeof(double), lsnn__cmp_double);
        vmax = mag[(size_t)floor(0.99 * (double)(nz - 1))];
        if (!(vmax > 0))
            vmax = mag[nz - 1] > 0 ? mag[nz - 1] : 1;
    }
    free(mag);
    *out = wall;
    *vmax_out = vmax;
    return LSNN_OK;
}

/* The (ns, nt) weights in the data area of a, in the diverging colours, one cell per weight. */
static lsnn_status lsnn__weights_image(cairo_t *cr, const lsnn__axes *a, const lsnn_real *wall,
                                       int ns, int nt, double vmax, const char *path)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, nt, ns);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
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
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
    cairo_translate(cr, a->x, a->y);
    cairo_scale(cr, a->w / nt, a->h / ns);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return LSNN_OK;
}

/* Population boundaries and names around the weight image, the frame and the neuron-index ticks
 * at the centres of the cells (x: targets, y: sources from the top), at whole multiples of a nice
 * step. */
static void lsnn__weights_frame(cairo_t *cr, const lsnn_net *net, const lsnn__axes *a,
                                char labs[][16], double fs)
{
    const int ns = net->n, nt = net->n;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    lsnn__font(cr, 0.85 * fs, 1);
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *pp = &net->pop[p];
        const char *lab = labs[p];
        double b0 = a->x + a->w * pp->off / nt;
        double b1 = a->x + a->w * (pp->off + pp->count) / nt;
        double c0 = a->y + a->h * pp->off / ns;
        double c1 = a->y + a->h * (pp->off + pp->count) / ns;
        if (p > 0) {
            cairo_move_to(cr, round(b0) + 0.5, a->y);
            cairo_line_to(cr, round(b0) + 0.5, a->y + a->h);
            cairo_move_to(cr, a->x, round(c0) + 0.5);
            cairo_line_to(cr, a->x + a->w, round(c0) + 0.5);
            cairo_stroke(cr);
        }
        if (pp->count > 0) {
            lsnn__color(cr, pp->sign == LSNN_SIGN_INH ? LSNN__ORANGE : (lsnn__rgb){0, 0, 0});
            lsnn__text(cr, (b0 + b1) / 2, a->y - 0.3 * fs, lab, 0.5, 1);
            lsnn__text(cr, a->x + a->w + 0.3 * fs, (c0 + c1) / 2, lab, 0, 0.5);
            cairo_set_source_rgb(cr, 0, 0, 0);
        }
    }
    lsnn__ax_frame(cr, a);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    lsnn__font(cr, 0.85 * fs, 0);
    for (int axis = 0; axis < 2; axis++) {
        int cnt = axis == 0 ? nt : ns;
        double len = axis == 0 ? a->w : a->h;
        double st = fmax(1, lsnn__nice_step(cnt, len / (fs * (axis == 0 ? 4.5 : 2.6))));
        for (double v = 0; v < cnt; v += st) {
            double pos = round((axis == 0 ? a->x : a->y) + len * (v + 0.5) / cnt) + 0.5;
            char buf[32];
            snprintf(buf, sizeof buf, "%.0f", v);
            if (axis == 0) {
                cairo_move_to(cr, pos, a->y + a->h + 0.5);
                cairo_line_to(cr, pos, a->y + a->h + 0.35 * fs);
                cairo_stroke(cr);
                lsnn__text(cr, pos, a->y + a->h + 0.45 * fs, buf, 0.5, 0);
            } else {
                cairo_move_to(cr, a->x - 0.5, pos);
                cairo_line_to(cr, a->x - 0.35 * fs, pos);
                cairo_stroke(cr);
                lsnn__text(cr, a->x - 0.5 * fs, pos, buf, 1, 0.5);
            }
        }
    }
}

/* The colour bar of the weights in [-vmax, vmax], ticks on its right. */
static void lsnn__colour_bar(cairo_t *cr, const lsnn__axes *cb, double vmax, double fs)
{
    int steps = (int)cb->h;
    for (int k = 0; k < steps; k++) {
        double f = 1 - 2.0 * (k + 0.5) / steps;
        lsnn__color(cr, lsnn__diverging(f));
        cairo_rectangle(cr, cb->x, cb->y + k, cb->w, 1);
        cairo_fill(cr);
    }
    lsnn__ax_frame(cr, cb);
    double s = lsnn__nice_step(2 * vmax, cb->h / (fs * 3.5));
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    lsnn__font(cr, 0.85 * fs, 0);
    for (double v = ceil(-vmax / s - 1e-9) * s; v <= vmax + 1e-9 * s; v += s) {
        double py = round(lsnn__ax_y(cb, v)) + 0.5;
        cairo_move_to(cr, cb->x + cb->w + 0.5, py);
        cairo_line_to(cr, cb->x + cb->w + 0.35 * fs, py);
        cairo_stroke(cr);
        char buf[32];
        lsnn__fmt_tick(buf, sizeof buf, v, s);
        lsnn__text(cr, cb->x + cb->w + 0.5 * fs, py, buf, 0, 0.5);
    }
    lsnn__font(cr, 0.85 * fs, 0);
    lsnn__text(cr, cb->x + cb->w / 2, cb->y + cb->h + 0.5 * fs, "weight", 0.5, 0);
}

/* The right half: the weights between neurons as an image with its colour bar. */
static lsnn_status lsnn__weights(cairo_t *cr, const lsnn_net *net, int n_rec, int width,
                                 int height, double fs, const char *path)
{
    const int ns = net->n, nt = net->n;
    lsnn_real *wall = NULL;
    double vmax = 1;
    lsnn_status st = lsnn__weights_matrix(net, path, &wall, &vmax);
    if (st)
        return st;
    double top = round(3.4 * fs), bot = round(height - 3.6 * fs);
    double x0 = round(width * 0.56), cbw = round(1.2 * fs);
    /* The colour bar starts after the widest population name on the right ("R bw"). */
    lsnn__font(cr, 0.85 * fs, 1);
    double labw = 0;
    char labs[LSNN_PLOT_MAX_POP][16];
    for (int p = 0; p < net->n_pop; p++) {
        const lsnn_population *pp = &net->pop[p];
        lsnn_plot_population q = {pp->name, pp->off, pp->count, pp->sign,
                                  lsnn__pop_adaptive(net, p), NULL};
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
    st = lsnn__weights_image(cr, &a, wall, ns, nt, vmax, path);
    free(wall);
    if (st)
        return st;
    lsnn__weights_frame(cr, net, &a, labs, fs);
    lsnn__ax_xlabel(cr, &a, fs, "target neuron (postsynaptic)");
    lsnn__ax_ylabel(cr, &a, fs, 2.4 * fs, "source neuron (presynaptic)");
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 1);
    lsnn__text(cr, a.x + a.w / 2, 0.6 * fs,
               n_rec > 1 ? "weights between neurons (every projection)"
                         : "recurrent weights W_rec",
               0.5, 0);
    lsnn__axes cb = {a.x + a.w + cb_off, a.y, cbw, a.h, 0, 1, -vmax, vmax, 0};
    lsnn__colour_bar(cr, &cb, vmax, fs);
    return LSNN_OK;
}

lsnn_status lsnn_plot_connectivity(const char *path, int width, int height, const lsnn_net *net)
{
    if (!net || net->n < 1 || net->n_pop < 1 || net->n_pop > LSNN_PLOT_MAX_POP)
        return lsnn_error(LSNN_ERR_ARG, "%s: plot connectivity: no network", path ? path : "plot");
    lsnn__diagram *D = malloc(sizeof *D);
    if (!D)
        return lsnn_error(LSNN_ERR_NOMEM, "%s: out of memory", path);
    lsnn__diagram_count(net, D);
    lsnn__canvas c;
    lsnn_status st = lsnn__canvas_open(&c, path, width, height);
    if (st) {
        free(D);
        return st;
    }
    cairo_t *cr = c.cr;
    const double fs = lsnn__font_size(width, height);
    /* Left: the diagram. */
    double dl = fs, dr = round(width * 0.46), dtop = round(2.6 * fs), dbot = height - 1.5 * fs;
    cairo_set_source_rgb(cr, 0, 0, 0);
    lsnn__font(cr, fs, 1);
    lsnn__text(cr, (dl + dr) / 2, 0.6 * fs, "connection probability", 0.5, 0);
    lsnn__diagram_layout(net, D, dl, dr, dtop, dbot, fs);
    /* Arrows first, nodes on top. */
    lsnn__diagram_arrows(cr, D, fs);
    lsnn__diagram_nodes(cr, D, fs);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    lsnn__font(cr, 0.75 * fs, 0);
    lsnn__text(cr, dl, height - 0.4 * fs,
               "X: input channels, Y: readout; at arrows: fraction of non-zero weights", 0, 1);
    /* Right: the weights between neurons. */
    if (D->n_rec > 0)
        st = lsnn__weights(cr, net, D->n_rec, width, height, fs, path);
    free(D);
    if (st) {
        lsnn__canvas_abort(&c);
        return st;
    }
    return lsnn__canvas_close(&c);
}

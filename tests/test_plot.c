/* Figures (lsnn/plot.h): each plot type renders a tiny network simulated here (no training) into
 * a valid PNG of the requested size that is not blank, SVG and PDF files are well-formed and
 * non-trivial, a raster mark sits exactly on the pixels lsnn_plot_raster_geometry names, and bad
 * arguments give errors that name the file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <cmocka.h>

#include "check.h"

#include "lsnn/config.h"
#include "lsnn/config_map.h"
#include "lsnn/l2l_analysis.h"
#include "lsnn/meta_rl.h"
#include "lsnn/network.h"
#include "lsnn/plot.h"
#include "lsnn/sim.h"

enum { T = 200, N_IN = 8, N_REG = 6, N_AD = 6, N_OUT = 2, W = 640, H = 480 };

static char tmpdir[256];

/* fontconfig (loaded by cairo's text functions) leaks a few hundred bytes while parsing its
 * configuration files, once per process, and offers no cleanup that cairo's users can reach.
 * LeakSanitizer reads this hook at exit: ignore leaks allocated inside libfontconfig. (Without
 * the sanitizers the function is never called.) */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

static void path_in_tmp(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* A tiny LSNN simulated on random input spikes, with the trace of sequence 0. */
typedef struct rig {
    lsnn_net net;
    lsnn_batch batch;
    lsnn_sim *sim;
    lsnn_trace tr;
    lsnn_real *y;
    lsnn_plot_population pop[2];
    lsnn_plot_dynamics_data d;
} rig;

static void rig_init_n(rig *r, int n_ad)
{
    memset(r, 0, sizeof *r);
    /* Defaults first, so that keys added to the network config later keep valid values. */
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    lsnn_network_config nc = cfg.network;
    nc.n_regular = N_REG;
    nc.n_adaptive = n_ad;
    nc.dt = 1;
    nc.tau_m = 20;
    nc.tau_a = 200;
    nc.beta = 1.8;
    nc.b0 = 0.01;
    nc.refractory = 2;
    snprintf(nc.input_scaling, sizeof nc.input_scaling, "leaky");
    snprintf(nc.sign_regular, sizeof nc.sign_regular, "exc");
    snprintf(nc.sign_adaptive, sizeof nc.sign_adaptive, "none");
    nc.gamma = 0.3;
    nc.w0 = 3;
    nc.w0_out = 1;
    nc.max_delay = 1;
    nc.readout_tau = 20;
    assert_int_equal(lsnn_net_init(&r->net, &nc, N_IN, N_OUT, 7), LSNN_OK);
    assert_int_equal(lsnn_batch_init(&r->batch, 1, T, N_IN, N_OUT, LSNN_LOSS_CE_WINDOW, 2),
                     LSNN_OK);
    lsnn_rng rng;
    lsnn_rng_seed(&rng, 3);
    for (size_t k = 0; k < (size_t)T * N_IN; k++)
        r->batch.x[k] = lsnn_rng_uniform(&rng) < 0.08 ? 1 : 0;
    r->batch.n_windows[0] = 2;
    r->batch.windows[0] = (lsnn_window){50, 100, 0};
    r->batch.windows[1] = (lsnn_window){150, 200, 1};
    r->sim = lsnn_sim_create(&r->net, 1, T, NULL);
    assert_non_null(r->sim);
    int n = r->net.n;
    r->tr.v = calloc((size_t)T * n, sizeof(lsnn_real));
    r->tr.thr = calloc((size_t)T * n, sizeof(lsnn_real));
    r->tr.z = calloc((size_t)T * n, sizeof(lsnn_real));
    r->y = calloc((size_t)T * N_OUT, sizeof(lsnn_real));
    assert_int_equal(lsnn_sim_forward(r->sim, &r->net, &r->batch, r->y, NULL, &r->tr), LSNN_OK);
    for (int p = 0; p < 2; p++)
        r->pop[p] = (lsnn_plot_population){r->net.pop[p].name, r->net.pop[p].off,
                                           r->net.pop[p].count, r->net.pop[p].sign,
                                           p == 1 && n_ad > 0, NULL};
    lsnn_plot_dynamics_data *d = &r->d;
    d->T = T;
    d->n_in = N_IN;
    d->n = n;
    d->n_out = N_OUT;
    d->dt = 1;
    d->x = r->batch.x;
    d->z = r->tr.z;
    d->thr = r->tr.thr;
    d->n_pop = 2;
    d->pop = r->pop;
    d->y = r->y;
    d->loss = LSNN_LOSS_CE_WINDOW;
    d->n_windows = 2;
    d->windows = r->batch.windows;
    d->seed = 1;
    d->title = "tiny network";
}

static void rig_init(rig *r)
{
    rig_init_n(r, N_AD);
}

static void rig_free(rig *r)
{
    free(r->tr.v);
    free(r->tr.thr);
    free(r->tr.z);
    free(r->y);
    lsnn_sim_free(r->sim);
    lsnn_batch_free(&r->batch);
    lsnn_net_free(&r->net);
}

/* ---- PNG checks ---- */

typedef struct png {
    cairo_surface_t *s;
    int w, h, stride;
    const unsigned char *px;
} png;

static void png_open(png *p, const char *path)
{
    p->s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(p->s), CAIRO_STATUS_SUCCESS);
    p->w = cairo_image_surface_get_width(p->s);
    p->h = cairo_image_surface_get_height(p->s);
    p->stride = cairo_image_surface_get_stride(p->s);
    p->px = cairo_image_surface_get_data(p->s);
    assert_non_null(p->px);
}

static uint32_t png_rgb(const png *p, int x, int y)
{
    check_ge(x, 0);
    check_lt(x, p->w);
    check_ge(y, 0);
    check_lt(y, p->h);
    uint32_t v = ((const uint32_t *)(p->px + (size_t)y * p->stride))[x];
    return v & 0xffffff;
}

static double lum(uint32_t rgb)
{
    return 0.299 * ((rgb >> 16) & 255) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255);
}

/* Valid PNG of the requested size, at least min_frac non-white pixels and min_colors distinct
 * colours. */
static void check_png(const char *path, int w, int h, double min_frac, int min_colors)
{
    png p;
    png_open(&p, path);
    assert_int_equal(p.w, w);
    assert_int_equal(p.h, h);
    long ink = 0;
    enum { CAP = 4096 };
    uint32_t *seen = calloc(CAP, sizeof(uint32_t)); /* open addressing, colour + 1 (0 = empty) */
    int colors = 0;
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++) {
            uint32_t c = png_rgb(&p, x, y);
            ink += c != 0xffffff;
            uint32_t key = c + 1, hsh = (c * 2654435761u) % CAP;
            while (colors < CAP / 2 && seen[hsh] && seen[hsh] != key)
                hsh = (hsh + 1) % CAP;
            if (colors < CAP / 2 && !seen[hsh]) {
                seen[hsh] = key;
                colors++;
            }
        }
    free(seen);
    double frac = (double)ink / ((double)p.w * p.h);
    check_gt(frac, min_frac);
    check_lt(frac, 0.9); /* not a filled rectangle either */
    check_ge(colors, min_colors);
    cairo_surface_destroy(p.s);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void check_prefix(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char head[64] = {0};
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    check_gt(n, 5);
    assert_true(strncmp(head, a, strlen(a)) == 0 || (b && strncmp(head, b, strlen(b)) == 0));
}

/* ---- tests ---- */

static void test_dynamics_png_svg_pdf(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    long spikes = 0;
    for (size_t k = 0; k < (size_t)T * r.net.n; k++)
        spikes += r.tr.z[k] != 0;
    check_gt(spikes, 20); /* the network is active: the rasters have something to show */
    char p[512];
    path_in_tmp(p, sizeof p, "dyn.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    check_png(p, W, H, 0.01, 6);
    path_in_tmp(p, sizeof p, "dyn.SVG"); /* the extension is case-insensitive */
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    check_prefix(p, "<?xml", "<svg");
    check_gt(file_size(p), 5000);
    path_in_tmp(p, sizeof p, "dyn.pdf");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    check_prefix(p, "%PDF", NULL);
    check_gt(file_size(p), 2000);
    /* No temporary file left behind. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    rig_free(&r);
}

/* A non-spiking model (z = NULL): input and readout panels only, still a valid figure; analog
 * input values are drawn as an image. */
static void test_dynamics_non_spiking_and_analog(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    for (size_t k = 0; k < (size_t)T * N_IN; k++)
        r.batch.x[k] = (lsnn_real)(0.5 + 0.5 * sin(0.05 * (double)k));
    r.d.z = NULL;
    r.d.thr = NULL;
    char p[512];
    path_in_tmp(p, sizeof p, "ann.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    check_png(p, W, H, 0.05, 20);
    /* There is no population raster to ask about. */
    double cx, cy;
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 1, 0, 0, &cx, &cy, NULL, NULL, NULL,
                                               NULL),
                     LSNN_ERR_ARG);
    rig_free(&r);
}

/* Known spikes land exactly on the pixels the geometry names, and nowhere nearby. */
static void test_raster_pixel_exact(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    const int n = r.net.n;
    /* One input spike: channel 3 at step 57. */
    memset(r.batch.x, 0, sizeof(lsnn_real) * (size_t)T * N_IN);
    r.batch.x[57 * N_IN + 3] = 1;
    /* One spike of the neuron shown in row 2 of population 1 (A), at step 120. */
    memset(r.tr.z, 0, sizeof(lsnn_real) * (size_t)T * n);
    r.d.neurons = 4;
    int sel[4];
    assert_int_equal(lsnn_plot_select_neurons(&r.d, 1, sel), 4);
    const int j = sel[2];
    r.tr.z[(size_t)120 * n + j] = 1;
    char p[512];
    path_in_tmp(p, sizeof p, "raster.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    png img;
    png_open(&img, p);
    struct {
        int panel, t, row;
    } marks[2] = {{0, 57, 3}, {2, 120, 2}};
    for (int m = 0; m < 2; m++) {
        double cx, cy, x0, x1, y0, y1;
        assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, marks[m].panel, marks[m].t,
                                                   marks[m].row, &cx, &cy, &x0, &x1, &y0, &y1),
                         LSNN_OK);
        check_ge(x1 - x0, 1);
        check_ge(y1 - y0, 1);
        check_ge(floor(cx), x0);
        check_lt(floor(cx), x1);
        check_ge(floor(cy), y0);
        check_lt(floor(cy), y1);
        /* Every pixel of the mark is dark. */
        for (int y = (int)y0; y < (int)y1; y++)
            for (int x = (int)x0; x < (int)x1; x++)
                check_lt(lum(png_rgb(&img, x, y)), 100);
        /* Just before and just after the mark (same row) and at other times: background. */
        int yc = (int)floor(cy);
        assert_int_equal(png_rgb(&img, (int)x0 - 1, yc), 0xffffff);
        assert_int_equal(png_rgb(&img, (int)x1, yc), 0xffffff);
        double ox, oy;
        assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, marks[m].panel, 10, marks[m].row,
                                                   &ox, &oy, NULL, NULL, NULL, NULL),
                         LSNN_OK);
        assert_int_equal(png_rgb(&img, (int)floor(ox), (int)floor(oy)), 0xffffff);
        /* The same time in the next row (no spike there): background. */
        assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, marks[m].panel, marks[m].t,
                                                   marks[m].row + 1, &ox, &oy, NULL, NULL, NULL,
                                                   NULL),
                         LSNN_OK);
        assert_int_equal(png_rgb(&img, (int)floor(ox), (int)floor(oy)), 0xffffff);
    }
    /* Later steps lie further right; the geometry rejects cells outside the raster. */
    double a, b;
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 0, 10, 0, &a, NULL, NULL, NULL, NULL,
                                               NULL),
                     LSNN_OK);
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 0, 11, 0, &b, NULL, NULL, NULL, NULL,
                                               NULL),
                     LSNN_OK);
    check_gt(b, a);
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 0, T, 0, &a, NULL, NULL, NULL, NULL,
                                               NULL),
                     LSNN_ERR_RANGE);
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 2, 0, 4, &a, NULL, NULL, NULL, NULL,
                                               NULL),
                     LSNN_ERR_RANGE);
    cairo_surface_destroy(img.s);
    rig_free(&r);
}

static void test_select_neurons(void **state)
{
    (void)state;
    lsnn_plot_population pop = {"R", 10, 100, LSNN_SIGN_NONE, 0, NULL};
    lsnn_plot_dynamics_data d;
    memset(&d, 0, sizeof d);
    d.n_pop = 1;
    d.pop = &pop;
    d.neurons = 7;
    d.seed = 5;
    int a[7], b[7], c[7];
    assert_int_equal(lsnn_plot_select_neurons(&d, 0, a), 7);
    assert_int_equal(lsnn_plot_select_neurons(&d, 0, b), 7);
    assert_memory_equal(a, b, sizeof a);
    for (int i = 0; i < 7; i++) {
        check_ge(a[i], 10);
        check_lt(a[i], 110);
        if (i)
            check_gt(a[i], a[i - 1]); /* sorted, distinct */
    }
    d.seed = 6;
    assert_int_equal(lsnn_plot_select_neurons(&d, 0, c), 7);
    assert_true(memcmp(a, c, sizeof a) != 0);
    /* K >= count: every neuron, in order. */
    pop.count = 5;
    int all[5];
    assert_int_equal(lsnn_plot_select_neurons(&d, 0, all), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(all[i], 10 + i);
}

/* A log.csv of iters rows in dir; pad > 0 adds a last column ("note" and pad 'x's) whose cells
 * are numbers of pad + 1 characters (zeros, then a 1), so that every line is longer than pad. */
static void write_log_padded(const char *dir, int iters, double scale, int pad)
{
    mkdir(dir, 0777);
    char p[600];
    snprintf(p, sizeof p, "%s/log.csv", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "iteration,loss,reg,train_accuracy,val_loss,val_accuracy,rate_hz,grad_norm,lr,"
               "seconds");
    if (pad > 0)
        fputs(",note", f);
    for (int k = 0; k < pad; k++)
        fputc('x', f);
    fputc('\n', f);
    for (int i = 1; i <= iters; i++) {
        double loss = scale * 0.7 * exp(-i / 30.0) + 0.01 * (i % 3);
        double acc = 1 - 0.5 * exp(-i / 25.0);
        if (i % 20 == 0)
            fprintf(f, "%d,%.6g,0,%.6g,%.6g,%.6g,%.4g,1.5,0.01,%.2f", i, loss, acc, 0.9 * loss,
                    fmin(1, acc + 0.02), 20 + 5 * sin(i / 10.0), 0.1 * i);
        else
            fprintf(f, "%d,%.6g,0,%.6g,nan,nan,%.4g,1.5,0.01,%.2f", i, loss, acc,
                    20 + 5 * sin(i / 10.0), 0.1 * i);
        if (pad > 0)
            fprintf(f, ",%0*d", pad + 1, 1);
        fputc('\n', f);
    }
    fclose(f);
}

static void write_log(const char *dir, int iters, double scale)
{
    write_log_padded(dir, iters, scale, 0);
}

static void test_curves(void **state)
{
    (void)state;
    char a[512], b[512], p[512];
    path_in_tmp(a, sizeof a, "run_a");
    path_in_tmp(b, sizeof b, "run_b");
    write_log(a, 100, 1.0);
    write_log(b, 60, 2.0);
    const char *runs[2] = {a, b};
    path_in_tmp(p, sizeof p, "curves.png");
    assert_int_equal(lsnn_plot_curves(p, 900, 320, 2, runs, NULL), LSNN_OK);
    check_png(p, 900, 320, 0.01, 6);
    path_in_tmp(p, sizeof p, "curves.svg");
    assert_int_equal(lsnn_plot_curves(p, 900, 320, 1, runs, NULL), LSNN_OK);
    check_prefix(p, "<?xml", "<svg");
    check_gt(file_size(p), 5000);
    /* A reference level (a random agent's): NaN draws nothing more; a value adds a line, also
     * outside the data's range (the axis then extends to it), and its label. */
    char q[512], r[512];
    path_in_tmp(q, sizeof q, "curves_nan.svg");
    assert_int_equal(lsnn_plot_curves_ref(q, 900, 320, 1, runs, NULL, NAN, "x"), LSNN_OK);
    check_eq(file_size(q), file_size(p));
    path_in_tmp(r, sizeof r, "curves_ref.svg");
    assert_int_equal(lsnn_plot_curves_ref(r, 900, 320, 1, runs, NULL, -3, "random walk"),
                     LSNN_OK);
    check_gt(file_size(r), file_size(p) + 200);
    /* A missing log: the error names the file. */
    char missing[512];
    path_in_tmp(missing, sizeof missing, "no_such_run");
    const char *bad[1] = {missing};
    assert_int_equal(lsnn_plot_curves(p, 900, 320, 1, bad, NULL), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), "no_such_run/log.csv"));
    /* A log without the expected columns. */
    char odd[512], lp[600];
    path_in_tmp(odd, sizeof odd, "odd_run");
    mkdir(odd, 0777);
    snprintf(lp, sizeof lp, "%s/log.csv", odd);
    FILE *f = fopen(lp, "w");
    fprintf(f, "iteration,loss\n1,0.5\n");
    fclose(f);
    const char *oddr[1] = {odd};
    assert_int_equal(lsnn_plot_curves(p, 900, 320, 1, oddr, NULL), LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), "log.csv"));
    remove(lp);
    rmdir(odd);
    for (int k = 0; k < 2; k++) {
        snprintf(lp, sizeof lp, "%s/log.csv", runs[k]);
        remove(lp);
        rmdir(runs[k]);
    }
}

/* 1: the two files have the same bytes. */
static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb) {
        ca = fgetc(fa);
        cb = fgetc(fb);
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void remove_run(const char *dir)
{
    char lp[600];
    snprintf(lp, sizeof lp, "%s/log.csv", dir);
    remove(lp);
    rmdir(dir);
}

/* Lines longer than 8 KiB (header and rows) are read whole: the figure equals that of the same
 * log without the long column. */
static void test_curves_long_rows(void **state)
{
    (void)state;
    char plain[512], wide[512], p1[512], p2[512];
    path_in_tmp(plain, sizeof plain, "run_plain");
    path_in_tmp(wide, sizeof wide, "run_wide");
    write_log(plain, 50, 1.0);
    write_log_padded(wide, 50, 1.0, 20000);
    const char *r1[1] = {plain}, *r2[1] = {wide}, *label[1] = {"run"};
    path_in_tmp(p1, sizeof p1, "curves_plain.png");
    path_in_tmp(p2, sizeof p2, "curves_wide.png");
    assert_int_equal(lsnn_plot_curves(p1, 900, 320, 1, r1, label), LSNN_OK);
    assert_int_equal(lsnn_plot_curves(p2, 900, 320, 1, r2, label), LSNN_OK);
    check_png(p2, 900, 320, 0.01, 6);
    assert_true(same_bytes(p1, p2));
    remove(p1);
    remove(p2);
    remove_run(plain);
    remove_run(wide);
}

/* Bad logs: refused with a message naming the file (and the line where there is one); no
 * figure is written. */
static void test_curves_bad_logs(void **state)
{
    (void)state;
#define LOG_HEADER "iteration,loss,reg,train_accuracy,val_loss,val_accuracy,rate_hz,grad_norm,lr,seconds"
#define LOG_ROW "0,0.5,nan,nan,10,1,0.01,0.1"
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "bad_run/log.csv: no header line (empty file)"},
        {LOG_HEADER, "bad_run/log.csv: no complete header line"},
        {LOG_HEADER "\n", "bad_run/log.csv: no rows after the header"},
        {LOG_HEADER "\n1,0.5," LOG_ROW, "bad_run/log.csv: no rows after the header (the last "
                                        "line has no line end"},
        {"iteration,loss\n1,0.5\n", "bad_run/log.csv: no column 'train_<metric>'"},
        {"iteration,loss,train_accuracy,val_loss,rate_hz\n1,0.5,0.5,nan,10\n",
         "bad_run/log.csv: no column 'val_accuracy'"},
        {LOG_HEADER "\n1,0.5," LOG_ROW "\n2,0.5\n", "bad_run/log.csv:3: 2 cells, but the header "
                                                   "names 10"},
        {LOG_HEADER "\n1,0.5," LOG_ROW ",7\n", "bad_run/log.csv:2: 11 cells"},
        {LOG_HEADER "\n\n1,abc," LOG_ROW "\n", "bad_run/log.csv:3: column loss: 'abc' is not a "
                                              "number"},
        {LOG_HEADER "\n1,0.5,0,0.5,nan,nan,10,1,0.01,1s\n", "bad_run/log.csv:2: column seconds"},
    };
#undef LOG_ROW
#undef LOG_HEADER
    char dir[512], lp[600], out[512];
    path_in_tmp(dir, sizeof dir, "bad_run");
    path_in_tmp(out, sizeof out, "bad_curves.png");
    mkdir(dir, 0777);
    snprintf(lp, sizeof lp, "%s/log.csv", dir);
    const char *runs[1] = {dir};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        FILE *f = fopen(lp, "w");
        assert_non_null(f);
        fputs(cases[k].text, f);
        fclose(f);
        assert_int_equal(lsnn_plot_curves(out, 900, 320, 1, runs, NULL), LSNN_ERR_FORMAT);
        if (!strstr(lsnn_last_error(), cases[k].msg))
            fail_msg("case %zu: '%s', expected '%s'", k, lsnn_last_error(), cases[k].msg);
        assert_int_equal(access(out, F_OK), -1);
    }
    /* A bad cell on a line of 20000 characters: the line number counts whole lines. */
    FILE *f = fopen(lp, "w");
    assert_non_null(f);
    fputs("iteration,loss,reg,train_accuracy,val_loss,val_accuracy,rate_hz,grad_norm,lr,seconds"
          "\n1,0.5,0,0.5,nan,nan,10,1,0.01,0.1\n2,",
          f);
    for (int k = 0; k < 20000; k++)
        fputc('1', f);
    fputs("x,0,0.5,nan,nan,10,1,0.01,0.1\n3,0.5,0,0.5,nan,nan,10,1,0.01,0.1\n", f);
    fclose(f);
    assert_int_equal(lsnn_plot_curves(out, 900, 320, 1, runs, NULL), LSNN_ERR_FORMAT);
    assert_non_null(strstr(lsnn_last_error(), "bad_run/log.csv:3: column loss: '111"));
    remove_run(dir);
}

static void test_connectivity(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    /* Sparsify w_rec a little so that the probabilities are not all 1. */
    lsnn_projection *rec = &r.net.proj[1];
    for (size_t k = 0; k < (size_t)rec->n_src * rec->n_dst; k += 3)
        rec->w[k] = 0;
    char p[512];
    path_in_tmp(p, sizeof p, "conn.png");
    assert_int_equal(lsnn_plot_connectivity(p, 800, 380, &r.net), LSNN_OK);
    check_png(p, 800, 380, 0.01, 20);
    path_in_tmp(p, sizeof p, "conn.svg");
    assert_int_equal(lsnn_plot_connectivity(p, 800, 380, &r.net), LSNN_OK);
    check_prefix(p, "<?xml", "<svg");
    check_gt(file_size(p), 5000);
    rig_free(&r);
}

/* A LIF-only network: the empty adaptive population gets no raster and no threshold panel. */
static void test_empty_population(void **state)
{
    (void)state;
    rig r;
    rig_init_n(&r, 0);
    assert_int_equal(r.d.pop[1].count, 0);
    char p[512];
    path_in_tmp(p, sizeof p, "lif.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_OK);
    check_png(p, W, H, 0.01, 6);
    double cx, cy;
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 1, 0, 0, &cx, &cy, NULL, NULL, NULL,
                                               NULL),
                     LSNN_OK);
    assert_int_equal(lsnn_plot_raster_geometry(W, H, &r.d, 2, 0, 0, &cx, &cy, NULL, NULL, NULL,
                                               NULL),
                     LSNN_ERR_ARG);
    path_in_tmp(p, sizeof p, "lif_conn.png");
    assert_int_equal(lsnn_plot_connectivity(p, 800, 380, &r.net), LSNN_OK);
    check_png(p, 800, 380, 0.01, 20);
    rig_free(&r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    char p[512];
    path_in_tmp(p, sizeof p, "figure.jpg");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "figure.jpg"));
    assert_int_equal(access(p, F_OK), -1);
    path_in_tmp(p, sizeof p, "small.png");
    assert_int_equal(lsnn_plot_dynamics(p, 10, 10, &r.d), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "small.png"));
    assert_int_equal(lsnn_plot_dynamics("/nonexistent-dir/x.png", W, H, &r.d), LSNN_ERR_IO);
    assert_non_null(strstr(lsnn_last_error(), "/nonexistent-dir/x.png"));
    lsnn_window bad_window = {150, 260, 0}; /* ends after T */
    r.d.windows = &bad_window;
    r.d.n_windows = 1;
    path_in_tmp(p, sizeof p, "window.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "window 0"));
    r.d.n_windows = 0;
    r.d.pop = NULL;
    path_in_tmp(p, sizeof p, "nopop.png");
    assert_int_equal(lsnn_plot_dynamics(p, W, H, &r.d), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "nopop.png"));
    rig_free(&r);
}

/* A hand-made l2l analysis (lsnn/l2l_analysis.h): sine-like targets, errors decaying with k
 * (ridge slower, FF slowest), probes after 2 and 10 examples, a NaN error and a NaN prediction
 * that the figures must skip. dx 2 lays the examples around the diagonal x1 = x2. */
enum { L2L_EP = 3, L2L_STEPS = 30, L2L_PTS = 11, L2L_NK = 2 };

static void l2l_fill(lsnn_l2l_analysis *a, int dx)
{
    memset(a, 0, sizeof *a);
    a->episodes = L2L_EP;
    a->steps = L2L_STEPS;
    a->dx = dx;
    a->probe_points = L2L_PTS;
    a->n_probe_k = L2L_NK;
    a->probe_k[0] = 2;
    a->probe_k[1] = 10;
    const size_t es = (size_t)L2L_EP * L2L_STEPS;
    a->lsnn_err = calloc(es, sizeof(double));
    a->ridge_err = calloc(es, sizeof(double));
    a->ff_err = calloc(es, sizeof(double));
    a->probe_x = calloc(L2L_PTS, sizeof(double));
    a->probe_target = calloc((size_t)L2L_EP * L2L_PTS, sizeof(double));
    a->probe_pred = calloc((size_t)L2L_EP * L2L_NK * L2L_PTS, sizeof(double));
    a->seen_x = calloc(es * dx, sizeof(double));
    a->seen_y = calloc(es, sizeof(double));
    assert_true(a->lsnn_err && a->ridge_err && a->ff_err && a->probe_x && a->probe_target &&
                a->probe_pred && a->seen_x && a->seen_y);
    for (int e = 0; e < L2L_EP; e++)
        for (int k = 0; k < L2L_STEPS; k++) {
            size_t i = (size_t)e * L2L_STEPS + k;
            double wob = 1 + 0.3 * ((e + k) % 3);
            a->lsnn_err[i] = wob * 2.0 / (1 + k);
            a->ridge_err[i] = wob * 3.0 / (1 + 0.3 * k);
            a->ff_err[i] = wob * 4.0 / (1 + 0.1 * k);
            /* Example e, k: spread over [-5, 5]; for dx 2 every other one near the diagonal. */
            double x = -5 + 10.0 * ((k * 7 + e) % L2L_STEPS) / (L2L_STEPS - 1);
            a->seen_x[i * dx] = x;
            if (dx == 2)
                a->seen_x[i * dx + 1] = k % 2 ? x + 0.5 : -x;
            a->seen_y[i] = (1 + e) * sin(x);
        }
    a->lsnn_err[5] = NAN;
    a->ff_err[7] = INFINITY;
    for (int i = 0; i < L2L_PTS; i++)
        a->probe_x[i] = -5 + i;
    for (int e = 0; e < L2L_EP; e++)
        for (int i = 0; i < L2L_PTS; i++) {
            double t = (1 + e) * sin(a->probe_x[i]);
            a->probe_target[e * L2L_PTS + i] = t;
            for (int j = 0; j < L2L_NK; j++)
                a->probe_pred[(e * L2L_NK + j) * L2L_PTS + i] = t * (j + 1) / (L2L_NK + 1.0);
        }
    a->probe_pred[(1 * L2L_NK + 1) * L2L_PTS + 4] = NAN;
}

static void test_l2l_figures(void **state)
{
    (void)state;
    char p[512];
    for (int dx = 1; dx <= 2; dx++) {
        lsnn_l2l_analysis a;
        l2l_fill(&a, dx);
        path_in_tmp(p, sizeof p, "l2l_curves.png");
        assert_int_equal(lsnn_plot_l2l_curves(p, &a, 0, 900, 500), LSNN_OK);
        check_png(p, 900, 500, 0.01, 6);
        remove(p);
        path_in_tmp(p, sizeof p, "l2l_curves.svg");
        assert_int_equal(lsnn_plot_l2l_curves(p, &a, 20, 0, 0), LSNN_OK); /* default size */
        check_prefix(p, "<?xml", "<svg");
        check_gt(file_size(p), 2000);
        remove(p);
        path_in_tmp(p, sizeof p, "l2l_internal.png");
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, 1, 700, 340), LSNN_OK);
        check_png(p, 700, 340, 0.01, 6);
        remove(p);
        path_in_tmp(p, sizeof p, "l2l_internal.svg");
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, 2, 0, 0), LSNN_OK);
        check_prefix(p, "<?xml", "<svg");
        check_gt(file_size(p), 2000);
        remove(p);

        /* Errors leave no file behind. */
        path_in_tmp(p, sizeof p, "l2l_bad.svg");
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, L2L_EP, 0, 0), LSNN_ERR_ARG);
        assert_non_null(strstr(lsnn_last_error(), "episode 3"));
        assert_int_equal(access(p, F_OK), -1);
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, -1, 0, 0), LSNN_ERR_ARG);
        assert_int_equal(access(p, F_OK), -1);
        a.n_probe_k = 0;
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, 0, 0, 0), LSNN_ERR_ARG);
        assert_non_null(strstr(lsnn_last_error(), "probes"));
        assert_int_equal(access(p, F_OK), -1);
        a.n_probe_k = L2L_NK;
        a.probe_points = 1;
        assert_int_equal(lsnn_plot_l2l_internal(p, &a, 0, 0, 0), LSNN_ERR_ARG);
        assert_non_null(strstr(lsnn_last_error(), "probe points"));
        assert_int_equal(access(p, F_OK), -1);
        assert_int_equal(lsnn_plot_l2l_internal(NULL, &a, 0, 0, 0), LSNN_ERR_ARG);
        assert_int_equal(lsnn_plot_l2l_internal(p, NULL, 0, 0, 0), LSNN_ERR_ARG);
        assert_int_equal(lsnn_plot_l2l_curves(NULL, &a, 0, 0, 0), LSNN_ERR_ARG);
        assert_int_equal(lsnn_plot_l2l_curves(p, NULL, 0, 0, 0), LSNN_ERR_ARG);
        assert_int_equal(access(p, F_OK), -1);
        lsnn_l2l_analysis_free(&a);
    }
}

/* A hand-made meta-RL analysis (lsnn/meta_rl.h): the agent circles inside the arena and is put
 * elsewhere half-way (a jump the figure must not draw as a line), the walk spirals out; one NaN
 * position and a NaN goal count that the figure must skip. */
enum { MRL_EP = 3, MRL_T = 200 };

static void mrl_agent_fill(lsnn_meta_rl_agent *g, int spiral)
{
    g->goals = calloc(MRL_EP, sizeof(double));
    g->first = calloc(MRL_EP, sizeof(double));
    g->later = calloc(MRL_EP, sizeof(double));
    g->ring = calloc(MRL_EP, sizeof(double));
    g->xy = calloc((size_t)MRL_EP * MRL_T * 2, sizeof(double));
    assert_true(g->goals && g->first && g->later && g->ring && g->xy);
    for (int e = 0; e < MRL_EP; e++) {
        g->goals[e] = spiral ? 0 : 1 + 2 * e;
        g->first[e] = spiral ? NAN : 100;
        g->later[e] = NAN;
        for (int t = 0; t < MRL_T; t++) {
            double *p = g->xy + ((size_t)e * MRL_T + t) * 2;
            double ph = 2 * 3.14159265358979323846 * t / 120.0 + e;
            if (spiral) {
                double r = 0.1 + 0.8 * t / MRL_T;
                p[0] = r * cos(ph);
                p[1] = r * sin(ph);
            }
            else {
                /* Radius 0.5 before the jump at t = 100 (steps of about 0.026), then a circle
                 * of radius 0.3 around (0.2, -0.3). */
                double r = t < MRL_T / 2 ? 0.5 : 0.3, c = t < MRL_T / 2 ? 0 : 0.2;
                p[0] = c + r * cos(ph);
                p[1] = -c * 1.5 + r * sin(ph);
            }
        }
    }
}

static void mrl_fill(lsnn_meta_rl_analysis *a)
{
    memset(a, 0, sizeof *a);
    a->episodes = MRL_EP;
    a->T = MRL_T;
    a->goal = calloc((size_t)MRL_EP * 2, sizeof(double));
    assert_non_null(a->goal);
    for (int e = 0; e < MRL_EP; e++) {
        a->goal[2 * e] = 0.85 * cos(1.0 + 2 * e);
        a->goal[2 * e + 1] = 0.85 * sin(1.0 + 2 * e);
    }
    mrl_agent_fill(&a->agent, 0);
    mrl_agent_fill(&a->walk, 1);
    a->agent.xy[((size_t)1 * MRL_T + 150) * 2] = NAN;
    a->walk.xy[((size_t)0 * MRL_T + 0) * 2 + 1] = INFINITY; /* the start dot moves on */
    a->walk.goals[2] = NAN;
}

static void test_meta_rl_paths(void **state)
{
    (void)state;
    char p[512];
    lsnn_meta_rl_analysis a;
    mrl_fill(&a);
    path_in_tmp(p, sizeof p, "mrl_paths.png");
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 0, 0, 0), LSNN_OK); /* default size */
    check_png(p, 260 * MRL_EP + 60, 2 * 260 + 80, 0.01, 20);
    remove(p);
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 2, 700, 600), LSNN_OK);
    check_png(p, 700, 600, 0.01, 20);
    remove(p);
    /* A narrow figure wraps the legend instead of failing. */
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 1, 200, 420), LSNN_OK);
    check_png(p, 200, 420, 0.01, 10);
    remove(p);
    path_in_tmp(p, sizeof p, "mrl_paths.svg");
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 10, 0, 0), LSNN_OK); /* all 3 episodes */
    check_prefix(p, "<?xml", "<svg");
    check_gt(file_size(p), 2000);
    remove(p);

    /* Errors leave no file behind. */
    path_in_tmp(p, sizeof p, "mrl_bad.svg");
    assert_int_equal(lsnn_plot_meta_rl_paths(NULL, &a, 0, 0, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "output path"));
    assert_int_equal(lsnn_plot_meta_rl_paths(p, NULL, 0, 0, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "no analysis"));
    assert_int_equal(access(p, F_OK), -1);
    a.episodes = 0;
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 0, 0, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "0 episodes"));
    assert_int_equal(access(p, F_OK), -1);
    a.episodes = MRL_EP;
    a.T = 1;
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 0, 0, 0), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "T = 1"));
    assert_int_equal(access(p, F_OK), -1);
    a.T = MRL_T;
    assert_int_equal(lsnn_plot_meta_rl_paths(p, &a, 0, 100, 100), LSNN_ERR_ARG);
    assert_non_null(strstr(lsnn_last_error(), "too small"));
    assert_int_equal(access(p, F_OK), -1);
    lsnn_meta_rl_analysis_free(&a);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lsnn-plot.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *names[] = {"dyn.png", "dyn.SVG", "dyn.pdf", "ann.png", "raster.png",
                                  "curves.png", "curves.svg", "conn.png", "conn.svg",
                                  "lif.png", "lif_conn.png"};
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        path_in_tmp(p, sizeof p, names[i]);
        remove(p);
    }
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynamics_png_svg_pdf),
        cmocka_unit_test(test_dynamics_non_spiking_and_analog),
        cmocka_unit_test(test_raster_pixel_exact),
        cmocka_unit_test(test_select_neurons),
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_curves_long_rows),
        cmocka_unit_test(test_curves_bad_logs),
        cmocka_unit_test(test_connectivity),
        cmocka_unit_test(test_empty_population),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_l2l_figures),
        cmocka_unit_test(test_meta_rl_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

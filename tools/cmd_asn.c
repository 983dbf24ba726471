/* lsnn asn calibrate|fit: the adaptive spiking neuron of seed 002 (lsnn/asn.h): its spike height
 * h = 1 / P(4.8), and its measured transfer curve with a least-squares fit of the AAN constants
 * (seed 002 section 2, Fig. 1). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/fs.h"
#include "io/strbuf.h"
#include "lsnn/alstm_spiking.h"
#include "lsnn/asn.h"
#include "lsnn/plot.h"

static const char *ASN_HELP =
    "usage: lsnn asn calibrate [options]\n"
    "       lsnn asn fit [options]\n"
    "       lsnn asn cec [options]\n"
    "\n"
    "The adaptive spiking neuron (ASN) of seed 002 (equations in include/lsnn/asn.h and\n"
    "../shared/notes/spiking-lstm.md section 1). P(S) is the time average of the PSC\n"
    "J(n) = exp(-dt / 10 ms) J(n-1) + z(n) of a neuron whose input is held at S, measured on\n"
    "--trials independent neurons over --avg ms after --burn ms.\n"
    "\n"
    "  calibrate   prints the spike height h = 1 / P(S_ref) (S_ref = --at, default 4.8) that\n"
    "              makes the normalised output h P(4.8) equal to 1, P and the firing rate\n"
    "  fit         measures h P(S) on a grid of S (--from, --to, --step), fits the AAN\n"
    "              constants a, b, c, d of AAN(S) = 1 / (a e^(bS) + c e^(dS) + 1) by least\n"
    "              squares on S >= --fit-from, starting from the published ones (148.7, -10.16,\n"
    "              3.256, -1.08), and prints both sets with their RMS error against the\n"
    "              measurement; with --out DIR it writes DIR/asn_transfer.csv (S, P, rate_hz,\n"
    "              measured, aan_published, aan_fit), DIR/asn_fit.json and the figure\n"
    "              DIR/asn_transfer.FMT (seed 002 Fig. 1)\n"
    "  cec         seed 002 Fig. 3: one cell of the adaptive LSTM whose gate and input cell get\n"
    "              constant net inputs (--gate-net, --cell-net, default 2), analog (the\n"
    "              carousel grows by AAN(gate) AAN(cell) per step) against its conversion to\n"
    "              spikes (lsnn/alstm_spiking.h; --windows windows of --window ms); prints\n"
    "              both slopes and their ratio; with --out DIR, DIR/asn_cec.csv and the\n"
    "              figure DIR/asn_cec.FMT. The analog side uses the constants fitted as in\n"
    "              `fit` (--aan published: the published ones)\n"
    "\n"
    "options:\n"
    "  --param NAME=VALUE  a neuron parameter: tau_phi (2.5 ms), tau_gamma (10), tau_eta (10),\n"
    "                      theta0 (0.3), mf (0.18), lambda0 (0.005 per ms), dv (0.1), dt (1 ms),\n"
    "                      firing (escape: p = 1 - exp(-lambda dt); linear:\n"
    "                      p = min(lambda dt, 1); deterministic: V > offset), offset (half:\n"
    "                      Theta / 2; full: Theta),\n"
    "                      order (increment: the threshold's increment, then its decay, in the\n"
    "                      spike's step; decay: the other way round); repeatable\n"
    "  --at S              the reference input of h (default 4.8)\n"
    "  --trials N          independent neurons per input value (default 50)\n"
    "  --burn MS           discarded start (default 1000)\n"
    "  --avg MS            averaging time (default 5000)\n"
    "  --seed N            seed of the spikes (default 1)\n"
    "  --from S, --to S, --step S   fit: the grid (default -1, 6, 0.05)\n"
    "  --fit-from S        fit: the lowest S fitted (default -0.5)\n"
    "  --out DIR           fit, cec: write the CSV, JSON and figure into DIR\n"
    "  --gate-net X, --cell-net X   cec: the gate's and the input cell's net input (2)\n"
    "  --windows N         cec: windows to simulate (default 10, at least 2)\n"
    "  --window MS         cec: window length (default 200)\n"
    "  --gate-signal G     cec: what multiplies an input-cell spike: shat-det (default: S-hat*\n"
    "                      of a deterministic ASN*), shat (S-hat* of an ASN* firing like the\n"
    "                      others: the text; it lags), s (ASN*'s smoothed input S*)\n"
    "  --w-cec W           cec: exact (1 / ((1 - exp(-dt / tau_beta)) window), default) or seed\n"
    "                      (tau_eta / window)\n"
    "  --aan A             cec: fitted (default) or published constants for the analog cell\n"
    "  --format FMT        svg (default), png or pdf\n"
    "  --threads N         OpenMP threads\n"
    "  -h, --help          this text\n";

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return die("%s: '%s' is not a finite number", opt, s);
    *out = v;
    return 0;
}

static int set_param(lsnn_asn_params *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return die("--param: expected NAME=VALUE, got '%s'", kv);
    char name[64];
    size_t len = (size_t)(eq - kv);
    if (len >= sizeof name)
        return die("--param: unknown parameter '%.*s'", (int)len, kv);
    memcpy(name, kv, len);
    name[len] = 0;
    const char *val = eq + 1;
    if (strcmp(name, "firing") == 0) {
        if (strcmp(val, "escape") == 0)
            p->firing = LSNN_ASN_ESCAPE;
        else if (strcmp(val, "linear") == 0)
            p->firing = LSNN_ASN_LINEAR;
        else if (strcmp(val, "deterministic") == 0)
            p->firing = LSNN_ASN_DETERMINISTIC;
        else
            return die("--param firing: '%s' is not escape, linear or deterministic", val);
        return 0;
    }
    if (strcmp(name, "offset") == 0) {
        if (strcmp(val, "half") && strcmp(val, "full"))
            return die("--param offset: '%s' is not half or full", val);
        p->offset_full = strcmp(val, "full") == 0;
        return 0;
    }
    if (strcmp(name, "order") == 0) {
        if (strcmp(val, "increment") && strcmp(val, "decay"))
            return die("--param order: '%s' is not increment or decay", val);
        p->decay_first = strcmp(val, "decay") == 0;
        return 0;
    }
    struct {
        const char *name;
        double *dst;
    } num[] = {{"tau_phi", &p->tau_phi}, {"tau_gamma", &p->tau_gamma},
               {"tau_eta", &p->tau_eta}, {"theta0", &p->theta0},
               {"mf", &p->mf},           {"lambda0", &p->lambda0},
               {"dv", &p->dv},           {"dt", &p->dt}};
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        if (strcmp(name, num[i].name) == 0) {
            char opt[80];
            snprintf(opt, sizeof opt, "--param %s", name);
            return parse_double(opt, val, num[i].dst);
        }
    return die("--param: unknown parameter '%s' (see lsnn asn --help)", name);
}

/* RMS of AAN(s) - y over the points with s >= from. */
static double rms(const double *s, const double *y, int n, double from, const lsnn_aan_params *p)
{
    double a = 0;
    int c = 0;
    for (int i = 0; i < n; i++)
        if (s[i] >= from - 1e-12) {
            double e = lsnn_aan(s[i], p) - y[i];
            a += e * e;
            c++;
        }
    return c ? sqrt(a / c) : NAN;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lsnn__write_text_atomic(path, text) ? die_status() : 0;
}

/* lsnn asn cec: one cell under a constant input, analog against spiking (seed 002 Fig. 3). */
typedef struct cec_opts {
    double gate_net, cell_net;  /* net inputs of the gate and the input cell (their biases) */
    int windows;
    double window_ms;
    int gate_mode;
    int cec_seed;
    int published;              /* 1: the analog side uses the published AAN constants */
} cec_opts;

/* 1 if a is a cec option (parsed into co; *err = 1 after a bad value), 0 otherwise. */
static int cec_option(const char *a, const char *v, cec_opts *co, int *err)
{
    *err = 0;
    if (strcmp(a, "--gate-net") == 0)
        *err = parse_double(a, v, &co->gate_net);
    else if (strcmp(a, "--cell-net") == 0)
        *err = parse_double(a, v, &co->cell_net);
    else if (strcmp(a, "--windows") == 0)
        *err = cli_parse_int_arg(a, v, 2, 100000, &co->windows);
    else if (strcmp(a, "--window") == 0)
        *err = parse_double(a, v, &co->window_ms);
    else if (strcmp(a, "--gate-signal") == 0) {
        if (strcmp(v, "shat-det") == 0)
            co->gate_mode = LSNN_AS_GATE_SHAT_DET;
        else if (strcmp(v, "shat") == 0)
            co->gate_mode = LSNN_AS_GATE_SHAT;
        else if (strcmp(v, "s") == 0)
            co->gate_mode = LSNN_AS_GATE_S;
        else
            *err = die("--gate-signal: '%s' is not shat-det, shat or s", v);
    } else if (strcmp(a, "--w-cec") == 0) {
        if (strcmp(v, "exact") && strcmp(v, "seed"))
            *err = die("--w-cec: '%s' is not exact or seed", v);
        co->cec_seed = strcmp(v, "seed") == 0;
    } else if (strcmp(a, "--aan") == 0) {
        if (strcmp(v, "fitted") && strcmp(v, "published"))
            *err = die("--aan: '%s' is not fitted or published", v);
        co->published = strcmp(v, "published") == 0;
    } else
        return 0;
    return 1;
}

static int run_cec(const lsnn_asn_params *p, const cec_opts *co, double h,
                   const lsnn_aan_params *fitted, uint64_t seed, const char *out, const char *fmt)
{
    const lsnn_aan_params *A = co->published ? &lsnn_aan_published : fitted;
    lsnn_alstm_spec spec = {1, 0, 1, 1, 0, 1, 0, 1, *A};
    lsnn_alstm net;
    if (lsnn_alstm_create(&net, &spec))
        return die_status();
    net.w_gate[1] = co->gate_net;
    net.w_cin[1] = co->cell_net;
    net.w_out[0] = 1;
    lsnn_alstm_spiking_params sp = {*p, co->window_ms, h, h, co->cec_seed, co->gate_mode, seed};
    lsnn_alstm_spiking sn;
    if (lsnn_alstm_spiking_create(&sn, &net, &sp)) {
        lsnn_alstm_free(&net);
        return die_status();
    }
    const int W = co->windows, L = sn.window;
    double *spk = malloc(sizeof(double) * ((size_t)W * L + W));
    if (!spk) {
        lsnn_alstm_spiking_free(&sn);
        lsnn_alstm_free(&net);
        return die("asn cec: out of memory");
    }
    double *ana = spk + (size_t)W * L, x = 0, o, s = 0;
    const double inc = lsnn_aan(co->gate_net, A) * lsnn_aan(co->cell_net, A);
    for (int w = 0; w < W; w++) {
        lsnn_alstm_spiking_window(&sn, &x, &o, NULL, spk + (size_t)w * L);
        s += inc;
        ana[w] = s;
    }
    /* the slope from the end of window 1 on (the gate signal builds up in the first) */
    const double slope = (spk[(size_t)W * L - 1] - spk[(size_t)2 * L - 1]) / (W - 2);
    printf("gate AAN(%g) = %.4f, input cell AAN(%g) = %.4f (%s constants)\n", co->gate_net,
           lsnn_aan(co->gate_net, A), co->cell_net, lsnn_aan(co->cell_net, A),
           co->published ? "published" : "fitted");
    printf("carousel per window: analog %.5f, spiking %.5f (windows 2..%d), ratio %.4f "
           "(W_CEC %.6g, window %d ms)\n", inc, slope, W, slope / inc, sn.w_cec, L);
    int rc = 0;
    if (out) {
        lsnn__strbuf b = {0};
        lsnn__sb_puts(&b, "t_ms,spiking,analog\n");
        for (int w = 0; w < W; w++)
            for (int t = 0; t < L; t++)
                lsnn__sb_printf(&b, "%g,%.9g,%.9g\n", (w * L + t + 1) * p->dt,
                                spk[(size_t)w * L + t], w > 0 ? ana[w - 1] : 0.0);
        char fig[4200];
        snprintf(fig, sizeof fig, "%s/asn_cec.%s", out, fmt);
        if (b.oom || !b.p)
            rc = die("asn cec: out of memory");
        else if (cli_ensure_dir(out) || write_text(out, "asn_cec.csv", b.p))
            rc = 1;
        else if (lsnn_plot_cec(fig, spk, W * L, p->dt, 1, ana, W, L * p->dt, NULL, 0, 0))
            rc = die_status();
        else
            printf("wrote %s/asn_cec.csv, %s\n", out, fig);
        free(b.p);
    }
    free(spk);
    lsnn_alstm_spiking_free(&sn);
    lsnn_alstm_free(&net);
    return rc;
}

int cmd_asn(int argc, char **argv)
{
    if (argc < 1 || cli_is_help(argv[0])) {
        fputs(ASN_HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "calibrate") && strcmp(sub, "fit") && strcmp(sub, "cec"))
        return die("asn: unknown subcommand '%s' (calibrate, fit or cec)", sub);
    const int cec = strcmp(sub, "cec") == 0, fit = cec || strcmp(sub, "fit") == 0;
    cec_opts co = {2, 2, 10, 200, LSNN_AS_GATE_SHAT_DET, 0, 0};
    lsnn_asn_params p;
    lsnn_asn_params_default(&p);
    lsnn_asn_measure m;
    lsnn_asn_measure_default(&m);
    double at = 4.8, from = -1, to = 6, step = 0.05, fit_from = -0.5;
    const char *out = NULL, *fmt = "svg";
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(ASN_HELP, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            return die("asn %s: %s needs a value (or is unknown; see --help)", sub, a);
        const char *v = argv[++i];
        int seed;
        if (strcmp(a, "--param") == 0) {
            if (set_param(&p, v))
                return 1;
        } else if (strcmp(a, "--at") == 0) {
            if (parse_double(a, v, &at))
                return 1;
        } else if (strcmp(a, "--trials") == 0) {
            if (cli_parse_int_arg(a, v, 1, 100000, &m.trials))
                return 1;
        } else if (strcmp(a, "--burn") == 0) {
            if (parse_double(a, v, &m.burn_ms))
                return 1;
        } else if (strcmp(a, "--avg") == 0) {
            if (parse_double(a, v, &m.avg_ms))
                return 1;
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_parse_int_arg(a, v, 0, 2147483647, &seed))
                return 1;
            m.seed = (uint64_t)seed;
        } else if (fit && strcmp(a, "--from") == 0) {
            if (parse_double(a, v, &from))
                return 1;
        } else if (fit && strcmp(a, "--to") == 0) {
            if (parse_double(a, v, &to))
                return 1;
        } else if (fit && strcmp(a, "--step") == 0) {
            if (parse_double(a, v, &step))
                return 1;
        } else if (fit && strcmp(a, "--fit-from") == 0) {
            if (parse_double(a, v, &fit_from))
                return 1;
        } else if (fit && strcmp(a, "--out") == 0) {
            out = v;
        } else if (fit && strcmp(a, "--format") == 0) {
            if (strcmp(v, "svg") && strcmp(v, "png") && strcmp(v, "pdf"))
                return die("--format: '%s' is not svg, png or pdf", v);
            fmt = v;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_int_arg(a, v, 1, 1024, &threads))
                return 1;
        } else if (cec && cec_option(a, v, &co, &seed)) {
            if (seed)
                return 1;
        } else {
            return die("asn %s: unknown option '%s' (see --help)", sub, a);
        }
    }
    const char *bad = lsnn_asn_params_check(&p);
    if (bad)
        return die("asn %s: --param: %s", sub, bad);
    if (!(m.burn_ms >= 0) || !(m.avg_ms >= p.dt))
        return die("asn %s: --burn must be >= 0 and --avg at least one step (%g ms)", sub, p.dt);
    if (threads > 0)
        cli_set_threads(threads);
    double h, P;
    if (!fit) {
        double rate;
        if (lsnn_asn_transfer(&p, &m, &at, 1, &P, &rate))
            return die_status();
        if (!(P > 0))
            return die("asn calibrate: the neuron never fired at S = %g (%d trials of %g ms)", at,
                       m.trials, m.avg_ms);
        h = 1 / P;
        printf("S_ref %g: P %.6g, rate %.1f Hz (%d trials x %g ms after %g ms)\n", at, P, rate,
               m.trials, m.avg_ms, m.burn_ms);
        printf("h %.6g\n", h);
        return 0;
    }
    if (!(step > 0) || !(to > from) || (to - from) / step > 100000)
        return die("asn fit: the grid needs --step > 0, --to > --from and at most 100000 points");
    if (!(fit_from >= from && fit_from < to))
        return die("asn fit: --fit-from %g lies outside the grid [%g, %g]", fit_from, from, to);
    const int n = (int)floor((to - from) / step + 1e-9) + 1;
    double *buf = malloc(sizeof(double) * (size_t)n * 6);
    if (!buf)
        return die("asn fit: out of memory");
    double *s = buf, *Pv = buf + n, *rate = buf + 2 * n, *y = buf + 3 * n, *fs = buf + 4 * n,
           *fy = buf + 5 * n;
    for (int i = 0; i < n; i++)
        s[i] = from + step * i;
    double t0 = cli_now_s();
    if (lsnn_asn_calibrate(&p, &m, at, &h, &P) || lsnn_asn_transfer(&p, &m, s, n, Pv, rate)) {
        free(buf);
        return die_status();
    }
    int nf = 0;
    for (int i = 0; i < n; i++) {
        y[i] = h * Pv[i];
        if (s[i] >= fit_from - 1e-12) {
            fs[nf] = s[i];
            fy[nf] = y[i];
            nf++;
        }
    }
    lsnn_aan_params q = lsnn_aan_published;
    double rss;
    if (lsnn_aan_fit(fs, fy, nf, &q, &rss)) {
        free(buf);
        return die_status();
    }
    const lsnn_aan_params *pub = &lsnn_aan_published;
    printf("h %.6g (P(%g) = %.6g), %d points in %.1f s\n", h, at, P, n, cli_now_s() - t0);
    printf("published  a %-9.4g b %-9.4g c %-9.4g d %-9.4g  RMS %.4f (S >= %g)\n", pub->a, pub->b,
           pub->c, pub->d, rms(s, y, n, fit_from, pub), fit_from);
    printf("fitted     a %-9.4g b %-9.4g c %-9.4g d %-9.4g  RMS %.4f\n", q.a, q.b, q.c, q.d,
           rms(s, y, n, fit_from, &q));
    printf("%8s %10s %10s %10s %10s\n", "S", "measured", "published", "fitted", "rate_Hz");
    static const double show[] = {0, 0.2, 0.5, 1, 2, 4.8};
    for (size_t k = 0; k < sizeof show / sizeof show[0]; k++) {
        int i = (int)lround((show[k] - from) / step);
        if (i < 0 || i >= n || fabs(s[i] - show[k]) > 1e-9)
            continue;
        printf("%8g %10.4f %10.4f %10.4f %10.1f\n", show[k], y[i], lsnn_aan(s[i], pub),
               lsnn_aan(s[i], &q), rate[i]);
    }
    int rc = 0;
    if (cec) {
        rc = run_cec(&p, &co, h, &q, m.seed, out, fmt);
        free(buf);
        return rc;
    }
    if (out) {
        lsnn__strbuf b = {0}, j = {0};
        lsnn__sb_puts(&b, "S,P,rate_hz,measured,aan_published,aan_fit\n");
        for (int i = 0; i < n; i++)
            lsnn__sb_printf(&b, "%.6g,%.9g,%.6g,%.9g,%.9g,%.9g\n", s[i], Pv[i], rate[i], y[i],
                            lsnn_aan(s[i], pub), lsnn_aan(s[i], &q));
        lsnn__sb_printf(&j,
                        "{\"h\": %.9g, \"s_ref\": %g, \"p_ref\": %.9g, \"fit_from\": %g,\n"
                        " \"published\": {\"a\": %.9g, \"b\": %.9g, \"c\": %.9g, \"d\": %.9g, "
                        "\"rms\": %.6g},\n"
                        " \"fitted\": {\"a\": %.9g, \"b\": %.9g, \"c\": %.9g, \"d\": %.9g, "
                        "\"rms\": %.6g},\n"
                        " \"trials\": %d, \"burn_ms\": %g, \"avg_ms\": %g, \"seed\": %llu}\n",
                        h, at, P, fit_from, pub->a, pub->b, pub->c, pub->d,
                        rms(s, y, n, fit_from, pub), q.a, q.b, q.c, q.d,
                        rms(s, y, n, fit_from, &q), m.trials, m.burn_ms, m.avg_ms,
                        (unsigned long long)m.seed);
        char fig[4200];
        snprintf(fig, sizeof fig, "%s/asn_transfer.%s", out, fmt);
        if (b.oom || j.oom || !b.p || !j.p)
            rc = die("asn fit: out of memory");
        else if (cli_ensure_dir(out) || write_text(out, "asn_transfer.csv", b.p) ||
                 write_text(out, "asn_fit.json", j.p))
            rc = 1;
        else if (lsnn_plot_asn_transfer(fig, s, y, n, pub, &q, 0, 0))
            rc = die_status();
        else
            printf("wrote %s/asn_transfer.csv, %s/asn_fit.json, %s\n", out, out, fig);
        free(b.p);
        free(j.p);
    }
    free(buf);
    return rc;
}

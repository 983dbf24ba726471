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
#include "lsnn/asn.h"
#include "lsnn/plot.h"

static const char *ASN_HELP =
    "usage: lsnn asn calibrate [options]\n"
    "       lsnn asn fit [options]\n"
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
    "\n"
    "options:\n"
    "  --param NAME=VALUE  a neuron parameter: tau_phi (2.5 ms), tau_gamma (10), tau_eta (10),\n"
    "                      theta0 (0.3), mf (0.18), lambda0 (0.005 per ms), dv (0.1), dt (1 ms),\n"
    "                      firing (escape: p = 1 - exp(-lambda dt); linear: p = min(lambda dt, 1);\n"
    "                      deterministic: V > offset), offset (half: Theta / 2; full: Theta),\n"
    "                      order (increment: the threshold's increment, then its decay, in the\n"
    "                      spike's step; decay: the other way round); repeatable\n"
    "  --at S              the reference input of h (default 4.8)\n"
    "  --trials N          independent neurons per input value (default 50)\n"
    "  --burn MS           discarded start (default 1000)\n"
    "  --avg MS            averaging time (default 5000)\n"
    "  --seed N            seed of the spikes (default 1)\n"
    "  --from S, --to S, --step S   fit: the grid (default -1, 6, 0.05)\n"
    "  --fit-from S        fit: the lowest S fitted (default -0.5)\n"
    "  --out DIR           fit: write the CSV, JSON and figure into DIR\n"
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
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (lsnn__write_text(tmp, text))
        return die_status();
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return die("%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

int cmd_asn(int argc, char **argv)
{
    if (argc < 1 || cli_is_help(argv[0])) {
        fputs(ASN_HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "calibrate") && strcmp(sub, "fit"))
        return die("asn: unknown subcommand '%s' (calibrate or fit)", sub);
    const int fit = strcmp(sub, "fit") == 0;
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

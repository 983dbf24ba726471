/* lsnn demo synapse - the single-synapse e-prop demonstrations of seed 004 (Figures 2.3, 3.9,
 * 3.10, 3.11) written as CSV: every step's pre- and post-synaptic spikes, the neuron's state, the
 * eligibility vector, the eligibility trace and the accumulated weight change. */
#include "cli.h"
#include "cmd_demo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lsnn/eprop.h"

static const char *DEMO_HELP =
    "usage: lsnn demo synapse --neuron alif|stdp-alif|izhikevich [--clip] --out DIR\n"
    "\n"
    "One pre-synaptic neuron, one plastic synapse, one post-synaptic neuron driven by an injected\n"
    "current to fire at set times: in the first half (0-199 ms) each post-synaptic spike comes\n"
    "6 ms after a pre-synaptic one, in the second half (200-399 ms) each pre-synaptic spike comes\n"
    "2 ms after a post-synaptic one (inside the 5 ms refractory period). The learning signal is\n"
    "a constant 1, so the accumulated weight change is the sum of the eligibility trace.\n"
    "\n"
    "  --neuron MODEL  alif (seed 004 Fig. 2.3: potentiation for both orders), stdp-alif\n"
    "                  (Fig. 3.9: potentiation then depression), izhikevich (Figs. 3.10-3.11)\n"
    "  --clip          clip the eligibility vector to |eps_v| <= 3, |eps_a| <= 0.005 (Fig. 3.11)\n"
    "  --out DIR       writes DIR/synapse_<model>[_clipped].csv with the columns\n"
    "                  t,pre,post,v,a,eps_v,eps_a,e,dw (a: threshold adaptation, or the\n"
    "                  Izhikevich recovery variable; v and a in mV for Izhikevich)\n"
    "\n"
    "It prints the weight change of each half.\n";

static int write_csv(const char *path, const lsnn_synapse_demo *d)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return die("demo: cannot create %s: %s", tmp, strerror(errno));
    int ok = fprintf(f, "t,pre,post,v,a,eps_v,eps_a,e,dw\n") > 0;
    for (int t = 0; t < LSNN_DEMO_STEPS && ok; t++)
        ok = fprintf(f, "%d,%g,%g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", t, d->pre[t], d->post[t],
                     d->v[t], d->a[t], d->eps_v[t], d->eps_a[t], d->e[t], d->dw[t]) > 0;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return die("demo: cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

static int cmd_synapse(int argc, char **argv)
{
    const char *neuron = NULL, *out = NULL;
    int clip = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(DEMO_HELP, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--clip") == 0)
            clip = 1;
        else if (strcmp(argv[i], "--neuron") == 0 && i + 1 < argc)
            neuron = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else
            return die("demo synapse: unexpected argument '%s' (see lsnn demo --help)", argv[i]);
    }
    if (!neuron || !out)
        return die("demo synapse: --neuron and --out are required (see lsnn demo --help)");
    char model[32];
    snprintf(model, sizeof model, "%s", neuron);
    for (char *p = model; *p; p++)
        if (*p == '-')
            *p = '_';
    static lsnn_synapse_demo d;
    if (lsnn_eprop_synapse_demo(model, clip, &d))
        return die_status();
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return die("demo: cannot create directory %s: %s", out, strerror(errno));
    char path[4200];
    snprintf(path, sizeof path, "%s/synapse_%s%s.csv", out, model, clip ? "_clipped" : "");
    if (write_csv(path, &d))
        return 1;
    double h = d.dw[LSNN_DEMO_HALF - 1];
    printf("%s%s: weight change %+.4f with post after pre (0-%d ms), %+.4f with pre after post "
           "(%d-%d ms)\n",
           model, clip ? " (clipped)" : "", h, LSNN_DEMO_HALF - 1,
           d.dw[LSNN_DEMO_STEPS - 1] - h, LSNN_DEMO_HALF, LSNN_DEMO_STEPS - 1);
    printf("wrote %s\n", path);
    return 0;
}

int lsnn_cmd_demo(int argc, char **argv)
{
    if (argc < 1)
        return die("demo: missing the demonstration: synapse (see lsnn demo --help)");
    if (cli_is_help(argv[0]) ||
        strcmp(argv[0], "help") == 0) {
        fputs(DEMO_HELP, stdout);
        return 0;
    }
    if (strcmp(argv[0], "synapse") == 0)
        return cmd_synapse(argc - 1, argv + 1);
    return die("demo: unknown demonstration '%s': synapse (see lsnn demo --help)", argv[0]);
}

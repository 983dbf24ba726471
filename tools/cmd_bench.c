/* lsnn bench: the library's own training iteration, timed. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lsnn/checkpoint.h"
#include "lsnn/config.h"
#include "lsnn/csv.h"
#include "lsnn/eprop.h"
#include "lsnn/learn.h"
#include "lsnn/network.h"
#include "lsnn/run.h"
#include "lsnn/sim.h"
#include "lsnn/train.h"

/* ------------------------------------------------------------------------------------------ */

static const char *BENCH_HELP =
    "usage: lsnn bench [options]\n"
    "\n"
    "Times the forward pass and a full training iteration of the library (lsnn_trainer_step:\n"
    "the batch, forward + BPTT + Adam, then the DEEP R step when deepr.enabled, and\n"
    "lsnn_net_apply_masks) of the sequential-MNIST LSNN of seed 000 (80 inputs, 100 ALIF + 120\n"
    "LIF, 10 outputs, T = 784, fully connected) on random input spikes (task random,\n"
    "docs/CONFIG.md; lr 1e-6, so that the network stays as initialised), and prints seconds\n"
    "per iteration (median), neuron-steps/s, synaptic events/s (every existing synapse,\n"
    "projections and readout, that a spike of the forward pass reaches) and the peak resident\n"
    "memory. A masked network's synapse counts are printed first.\n"
    "The cost of event-driven propagation grows with the firing rate, which is printed: a fresh\n"
    "network with the default w0 = 1 fires at about 280 Hz; --set network.w0=0.3 gives about\n"
    "30 Hz, the regime of trained networks (docs/PERFORMANCE.md reports both).\n"
    "With --set learning=eprop the training iteration is an e-prop pass (its own forward pass,\n"
    "eligibility traces and gradients) + Adam instead of forward + BPTT + Adam.\n"
    "A sparse network (--set network.connectivity=0.12 --set network.init=signed, e.g. with\n"
    "--set deepr.enabled=true) is timed on the dense and on the sparse kernels (lsnn/sparse.h),\n"
    "their iterations interleaved so that both see the same machine load, and the speed-up of\n"
    "the sparse kernels is printed.\n"
    "BPTT keeps records of the forward pass as training does (bptt_records_mb, 256 MB by\n"
    "default; they count in the peak memory); --set bptt_records_mb=0 times the backward pass\n"
    "that re-simulates each segment instead.\n"
    "\n"
    "options:\n"
    "  --batch LIST      batch sizes, comma-separated (default 32,256)\n"
    "  --steps T         sequence length (default 784)\n"
    "  --input-rate P    probability that an input channel spikes in a step (default 0.05)\n"
    "  --repeat N        timed repetitions, the median is reported (default 3)\n"
    "  --kernels K       sparse networks: both (default), dense, sparse or auto (the choice\n"
    "                    training makes: sparse below a density of 0.2, lsnn/sparse.h)\n"
    "  --threads N       OpenMP threads (default: all cores)\n"
    "  --set KEY=VALUE   override a config key (e.g. network.n_adaptive=350, deepr.enabled=true)\n"
    "  -h, --help        this text\n";

/* Existing synapses leaving source i of projection pr (the dense fan-out minus the diagonal when
 * the projection has no mask). */
static int bench_out_degree(const lsnn_projection *pr, int i)
{
    if (pr->mask) {
        int d = 0;
        for (int j = 0; j < pr->n_dst; j++)
            d += pr->mask[(size_t)i * pr->n_dst + j] != 0;
        return d;
    }
    const int self = pr->src_off + i - pr->dst_off;
    return pr->n_dst - (pr->no_self && !pr->src_is_input && self >= 0 && self < pr->n_dst);
}

/* Synaptic events of one forward pass: every existing synapse (projections and readout) that a
 * spike reaches, from the spike counts of the neurons (count) and of the input channels
 * (in_count). */
static double bench_events(const lsnn_net *net, const double *count, const double *in_count)
{
    double ev = 0;
    for (int p = 0; p < net->n_proj; p++) {
        const lsnn_projection *pr = &net->proj[p];
        const double *c = pr->src_is_input ? in_count : count;
        for (int i = 0; i < pr->n_src; i++)
            if (c[pr->src_off + i] != 0)
                ev += c[pr->src_off + i] * bench_out_degree(pr, i);
    }
    for (int j = 0; j < net->n; j++) {
        int d = net->n_out;
        if (net->w_out_mask) {
            d = 0;
            for (int k = 0; k < net->n_out; k++)
                d += net->w_out_mask[(size_t)j * net->n_out + k] != 0;
        }
        ev += count[j] * d;
    }
    return ev;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One kernel choice of the benchmark: a trainer of the benchmark's config and its timings. */
typedef struct bench_path {
    lsnn_trainer tr;
    int ok;
    double *tf, *tt; /* (repeat) seconds of the forward pass and of the training iteration */
} bench_path;

/* One timed repetition of path P: the forward pass on the batch of its next iteration, then
 * that iteration (lsnn_trainer_step: data, forward, loss, backward, clipping, optimizer, DEEP R
 * step, masks). r < 0: the warm-up, not recorded. */
static lsnn_status bench_once(bench_path *P, int r)
{
    lsnn_trainer *tr = &P->tr;
    const uint64_t first = (uint64_t)tr->iteration * (uint64_t)tr->cfg.batch_size;
    lsnn_status st = tr->task->generate(tr->task_state, &tr->cfg, tr->cfg.seed, LSNN_STREAM_TRAIN,
                                        first, &tr->batch);
    if (st)
        return st;
    const double t0 = cli_now_s();
    if ((st = lsnn_trainer_forward(tr, NULL)))
        return st;
    const double t1 = cli_now_s();
    if ((st = lsnn_trainer_step(tr, NULL)))
        return st;
    const double t2 = cli_now_s();
    if (r >= 0) {
        P->tf[r] = t1 - t0;
        P->tt[r] = t2 - t1;
    }
    return LSNN_OK;
}

/* The result line of path P after its repetitions (medians), from the spike counts of its last
 * iteration and the input spikes of that iteration's batch. Returns the medians. */
static void bench_report(bench_path *P, int B, int repeat, double *med_f, double *med_t)
{
    const lsnn_trainer *tr = &P->tr;
    const lsnn_net *net = &tr->net;
    qsort(P->tf, repeat, sizeof(double), cmp_double);
    qsort(P->tt, repeat, sizeof(double), cmp_double);
    const double f = *med_f = P->tf[repeat / 2], t = *med_t = P->tt[repeat / 2];
    const int n_in = tr->batch.n_in, T = tr->batch.T;
    double *in_count = calloc((size_t)n_in, sizeof(double));
    double spikes = 0, events = NAN;
    for (int j = 0; j < net->n; j++)
        spikes += tr->count[j];
    if (in_count) {
        for (size_t k = 0; k < (size_t)B * T * n_in; k++)
            in_count[k % n_in] += tr->batch.x[k] != 0;
        events = bench_events(net, tr->count, in_count);
    }
    free(in_count);
    const double nsteps = (double)B * T * net->n;
    int sparse = 0;
    for (int p = 0; p < net->n_proj; p++)
        sparse |= net->proj[p].sparse.use;
    printf("%6d %8s %12.4f %12.4f %14.3e %14.3e %12.1f %10.1f\n", B, sparse ? "sparse" : "dense",
           f, t, nsteps / f, events / f, spikes / nsteps * 1000.0 / net->dt,
           cli_peak_rss_kb() / 1024.0);
}

/* The synapses of a masked network, once (DEEP R keeps their total). */
static void bench_synapses(const lsnn_net *net)
{
    size_t syn = 0;
    for (int p = 0; p < net->n_proj; p++) {
        size_t np = 0;
        for (int i = 0; i < net->proj[p].n_src; i++)
            np += bench_out_degree(&net->proj[p], i);
        printf("%s %s %zu", p ? "," : "synapses:", net->proj[p].name, np);
        syn += np;
    }
    size_t no = (size_t)net->n * net->n_out;
    if (net->w_out_mask) {
        no = 0;
        for (size_t k = 0; k < (size_t)net->n * net->n_out; k++)
            no += net->w_out_mask[k] != 0;
    }
    printf(", w_out %zu; %zu in all\n", no, syn + no);
}

/* Times batch size B on n_paths kernel choices; *header: the table header is printed. */
static int bench_batch(lsnn_config *cfg, int B, int repeat, int n_paths,
                       const lsnn_sparse_mode *modes, int masked, int *header)
{
    cfg->batch_size = B;
    if (lsnn_config_check_memory(cfg, 0, NULL))
        return die("bench: --batch %d: %s", B, lsnn_last_error());
    /* One trainer per kernel choice, all from the same config (same initialisation, same
     * batches). */
    bench_path path[2];
    memset(path, 0, sizeof path);
    lsnn_status st = LSNN_OK;
    for (int k = 0; k < n_paths && !st; k++) {
        bench_path *P = &path[k];
        if ((st = lsnn_trainer_init(&P->tr, cfg)))
            break;
        P->ok = 1;
        lsnn_net_set_sparse(&P->tr.net, modes[k]);
        if ((st = lsnn_trainer_prepare_forward(&P->tr))) /* e-prop: the forward workspace */
            break;
        P->tf = malloc(sizeof(double) * repeat);
        P->tt = malloc(sizeof(double) * repeat);
        if (!P->tf || !P->tt)
            st = lsnn_error(LSNN_ERR_NOMEM, "bench: out of memory");
    }
    int rc = st ? die_status() : 0;
    if (!rc && !*header && masked)
        bench_synapses(&path[0].tr.net);
    if (!rc && !*header)
        printf("%6s %8s %12s %12s %14s %14s %12s %10s\n", "batch", "kernels", "fwd s/it",
               "train s/it", "neuron-steps/s", "syn-events/s", "rate Hz", "peak MB");
    *header |= !rc;
    /* One untimed warm-up iteration, then the timed ones; the kernel choices take turns within
     * each repetition, so that both see the same load of a shared machine. */
    for (int r = -1; r < repeat && !rc; r++)
        for (int k = 0; k < n_paths && !rc; k++)
            if (bench_once(&path[k], r))
                rc = die_status();
    double med_f[2] = {0, 0}, med_t[2] = {0, 0};
    for (int k = 0; k < n_paths && !rc; k++)
        bench_report(&path[k], B, repeat, &med_f[k], &med_t[k]);
    if (n_paths == 2 && !rc)
        printf("%6d speed-up of the sparse kernels: forward %.2fx, training %.2fx\n", B,
               med_f[0] / med_f[1], med_t[0] / med_t[1]);
    fflush(stdout);
    for (int k = 0; k < 2; k++) {
        free(path[k].tf);
        free(path[k].tt);
        if (path[k].ok)
            lsnn_trainer_free(&path[k].tr);
    }
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    common_opts co = {0};
    const char *batches = "32,256", *kernels = "both";
    int T = 784, repeat = 3, err = 0;
    double input_rate = 0.05;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(BENCH_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (i + 1 < argc && strcmp(a, "--batch") == 0) {
            batches = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--steps") == 0) {
            if (cli_parse_int_arg(a, argv[++i], 1, 1000000, &T))
                return 1;
        } else if (i + 1 < argc && strcmp(a, "--repeat") == 0) {
            if (cli_parse_int_arg(a, argv[++i], 1, 1000, &repeat))
                return 1;
        } else if (i + 1 < argc && strcmp(a, "--kernels") == 0) {
            kernels = argv[++i];
            if (strcmp(kernels, "both") && strcmp(kernels, "dense") && strcmp(kernels, "sparse") &&
                strcmp(kernels, "auto"))
                return die("--kernels: expected both, dense, sparse or auto, got '%s'", kernels);
        } else if (i + 1 < argc && strcmp(a, "--input-rate") == 0) {
            char *end;
            input_rate = strtod(argv[++i], &end);
            if (*end || !(input_rate >= 0 && input_rate <= 1))
                return die("--input-rate: expected a probability in [0, 1], got '%s'", argv[i]);
        } else {
            return die("bench: unknown or incomplete option '%s' (see lsnn bench --help)", a);
        }
    }
    cli_set_threads(co.threads);
    /* The benchmark's config: the LSNN of seed 000's sMNIST (80 inputs, 120 LIF + 100 ALIF,
     * 10 outputs) on task "random" (independent input spikes), trained with a learning rate so
     * small that the network, and its firing rate, stay as initialised over the repetitions. */
    lsnn_config cfg;
    lsnn_config_defaults(&cfg);
    snprintf(cfg.task, sizeof cfg.task, "random");
    cfg.network.n_regular = 120;
    cfg.network.n_adaptive = 100;
    cfg.network.tau_a = 700;
    cfg.network.refractory = 0;
    cfg.lr = 1e-6;
    cfg.random.steps = T;
    cfg.random.input_rate = input_rate;
    if (cli_apply_sets(&cfg, &co))
        return 1;
    if (lsnn_config_validate(&cfg, "bench"))
        return die_status();
    if (strcmp(cfg.model, "lsnn") != 0)
        return die("bench: --set model=%s: bench times the spiking network only (model lsnn)",
                   cfg.model);
    if (strcmp(cfg.task, "random") != 0)
        return die("bench: --set task=%s: bench runs on random input spikes, not on a task's data",
                   cfg.task);
    if (strspn(batches, ", ") == strlen(batches))
        return die("--batch: expected batch sizes separated by commas, got '%s'", batches);
    const int eprop = strcmp(cfg.learning, "eprop") == 0;
    /* The kernels to time: a dense network has only the dense ones. */
    const int masked = cfg.network.connectivity < 1;
    int n_paths = 1;
    lsnn_sparse_mode modes[2] = {LSNN_SPARSE_OFF, LSNN_SPARSE_ON};
    if (masked && strcmp(kernels, "both") == 0)
        n_paths = 2;
    else if (masked && strcmp(kernels, "sparse") == 0)
        modes[0] = LSNN_SPARSE_ON;
    else if (strcmp(kernels, "auto") == 0)
        modes[0] = LSNN_SPARSE_AUTO;
    printf("lsnn bench: %d inputs (spike probability %.3f per step), %d LIF + %d ALIF, %d outputs,"
           " T = %d, %d thread%s, %s, connectivity %g%s, %s\n",
           cfg.random.inputs, cfg.random.input_rate, cfg.network.n_regular,
           cfg.network.n_adaptive, cfg.random.outputs, cfg.random.steps, omp_get_max_threads(),
           omp_get_max_threads() == 1 ? "" : "s", LSNN_REAL_IS_DOUBLE ? "float64" : "float32",
           cfg.network.connectivity, cfg.deepr.enabled ? ", DEEP R" : "",
           eprop ? "e-prop" : "BPTT");
    int header = 0, rc = 0;
    char *list = strdup(batches);
    for (char *tok = strtok(list, ","); tok && !rc; tok = strtok(NULL, ",")) {
        int B;
        rc = cli_parse_int_arg("--batch", tok, 1, 65536, &B);
        if (!rc)
            rc = bench_batch(&cfg, B, repeat, n_paths, modes, masked, &header);
    }
    free(list);
    return rc;
}

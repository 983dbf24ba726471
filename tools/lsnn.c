/* lsnn - command-line tool: the dispatch to the subcommands (train, eval, simulate, bench in
 * cmd_train.c, cmd_eval.c, cmd_bench.c; data, plot, report, inspect, demo in the other cmd_*.c).
 *
 * Only tools/ prints or exits; the library reports errors through lsnn_status and
 * lsnn_last_error(). Errors are printed as "lsnn: <context>: <what is wrong>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_data.h"
#include "cmd_demo.h"
#include "cmd_inspect.h"
#include "cmd_plot.h"

/* ------------------------------------------------------------------------------------------ */

static const char *MAIN_HELP =
    "usage: lsnn COMMAND [options]   (lsnn COMMAND --help for details)\n"
    "\n"
    "Simulate and train recurrent spiking networks of adapting neurons (LSNNs).\n"
    "\n"
    "commands:\n"
    "  train CONFIG.json      train a network (writes model.safetensors and log.csv)\n"
    "  sweep CONFIG.json      train with seeds 1..N (and over a key's values) in parallel,\n"
    "                         resumable; mean, std, min, max, median of the results\n"
    "  eval MODEL             evaluate a trained model on fresh validation data\n"
    "  simulate MODEL         run one sequence and write spikes, potentials, thresholds as CSV\n"
    "  l2l MODEL              learning-to-learn: frozen network vs ridge and backprop baselines,\n"
    "                         learning curves and internal models (Fig. 2 of seed 001)\n"
    "  meta-rl MODEL          meta-RL agent vs random walk: goals, search near the goal circle,\n"
    "                         time to the first and later goals (Fig. 3 of seed 001)\n"
    "  asn calibrate|fit|cec  the adaptive spiking neuron of seed 002: spike height h, transfer\n"
    "                         curve, a fit of the AAN activation (Fig. 1), carousels (Fig. 3)\n"
    "  alstm eval|trace MODEL a trained adaptive LSTM of seed 002, analog and spiking: test\n"
    "                         again (other conversion settings), trace one input (Figs. 4-6)\n"
    "  bench                  time the sequential-MNIST-size network (forward and training)\n"
    "  data mnist|fashion DIR fetch and verify MNIST / Fashion-MNIST\n"
    "  data synth-speech|timit|mfcc  build the synthetic speech corpus, compute MFCC features\n"
    "                         and frame labels of a TIMIT-layout corpus, or of one file\n"
    "  inspect MODEL          connectivity between subpopulations, parameter counts, signs\n"
    "  convert OLD NEW        rewrite a checkpoint of an earlier format in the current one\n"
    "  export-nir MODEL OUT   write a LIF network as a NIR graph (HDF5) for other simulators\n"
    "  plot KIND ...          draw dynamics, learning curves or connectivity (PNG/SVG/PDF)\n"
    "  report RUN_DIR         write RUN_DIR/report.html: config, metrics, figures\n"
    "  demo synapse ...       single-synapse e-prop traces (ALIF, STDP-ALIF, Izhikevich) as CSV\n"
    "  help                   this text\n"
    "\n"
    "Under mpirun (lsnn built with MPI), train spreads one run over the processes and sweep\n"
    "shares its runs between them (docs/SCALING.md).\n"
    "\n"
    "Configs: configs/*.json; every key is documented in docs/CONFIG.md; man lsnn.\n";

static int run_command(int argc, char **argv);

int main(int argc, char **argv)
{
    /* OpenBLAS starts its own thread pool when it is loaded, and its idle workers spin on
     * sched_yield, stealing the cores our OpenMP workers need. lsnn calls BLAS from inside its
     * OpenMP workers, one small product per chunk, so BLAS must be single-threaded: the only
     * reliable way is the environment variable, which must be set before the library loads. */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        /* exec failed (no /proc): carry on with openblas_set_num_threads(1) only. */
    }
    cli_mpi_init(&argc, &argv);
    const int rc = run_command(argc, argv);
    /* under mpirun a failed process stops the others at once: MPI_Finalize could wait for
     * processes still inside a collective call */
    if (rc != 0 && !cli_mpi_failed_collectively())
        cli_mpi_abort(rc);
    cli_mpi_finalize();
    return rc;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(MAIN_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("lsnn 0.1.0%s\n", cli_mpi_built() ? " (MPI)" : "");
        return 0;
    }
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(cmd, "simulate") == 0)
        return cmd_simulate(argc - 2, argv + 2);
    if (strcmp(cmd, "l2l") == 0)
        return cmd_l2l(argc - 2, argv + 2);
    if (strcmp(cmd, "meta-rl") == 0)
        return cmd_meta_rl(argc - 2, argv + 2);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 2, argv + 2);
    if (strcmp(cmd, "asn") == 0)
        return cmd_asn(argc - 2, argv + 2);
    if (strcmp(cmd, "alstm") == 0)
        return cmd_alstm(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "data") == 0)
        return lsnn_cmd_data(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0)
        return lsnn_cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "convert") == 0)
        return lsnn_cmd_convert(argc - 2, argv + 2);
    if (strcmp(cmd, "export-nir") == 0)
        return cmd_export_nir(argc - 2, argv + 2);
    if (strcmp(cmd, "plot") == 0)
        return lsnn_cmd_plot(argc - 2, argv + 2);
    if (strcmp(cmd, "demo") == 0)
        return lsnn_cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return lsnn_cmd_report(argc - 2, argv + 2);
    return die("unknown command '%s' (see lsnn help)", cmd);
}

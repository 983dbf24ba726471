/* Shared helpers of the CLI subcommand files in tools/. Only the CLI prints or exits. */
#ifndef LSNN_CLI_H
#define LSNN_CLI_H

/* Prints "lsnn: <message>" to stderr (after flushing stdout, so the lines stay in order) and
 * returns 1, the exit status of a failed command. */
int die(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* die() with the library's last error message, which already names the file or key. */
int die_status(void);

/* 1 for "-h" or "--help". */
int cli_is_help(const char *arg);


/* ---- shared by the subcommands (cli_common.c) ------------------------------------------ */

#include <stddef.h>
#include <stdint.h>

#include "lsnn/config.h"
#include "lsnn/train.h"

#define LSNN_MAX_SETS 64

/* Options several subcommands take: --set KEY=VALUE (repeatable) and --threads N. */
typedef struct common_opts {
    const char *sets[LSNN_MAX_SETS + 1]; /* one more for an override a command adds itself */
    int n_sets;
    int threads;
} common_opts;

double cli_now_s(void);
void cli_fmt_duration(double s, char *buf, size_t cap);
void cli_set_threads(int threads);
int cli_parse_int_arg(const char *opt, const char *s, int lo, int hi, int *out);
int cli_ensure_dir(const char *dir);
long cli_peak_rss_kb(void);
int cli_apply_sets(lsnn_config *cfg, const common_opts *co);
int cli_common_option(int argc, char **argv, int *i, common_opts *co, int *err);
void cli_print_result(const char *task, const char *metric, double value, long iterations,
                      double seconds, const char *extra);
void cli_eval_progress(void *ctx, long done, long total);
lsnn_status cli_evaluate(lsnn_trainer *tr, uint64_t stream, lsnn_eval_result *ev, long *conf,
                         int quiet);
int cli_load_model(const char *path, const common_opts *co, lsnn_trainer *tr);

/* ---- processes under mpirun (cli_mpi.c; one process without MPI) ------------------------ */

#include "lsnn/dist.h"

/* MPI_Init when started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE, PMI_SIZE or
 * PMIX_RANK), else nothing; cli_mpi_finalize at the end; cli_mpi_abort stops every process. */
void cli_mpi_init(int *argc, char ***argv);
void cli_mpi_finalize(void);
void cli_mpi_abort(int code);
/* A failure every process knows of (decided collectively): the processes then finish MPI
 * together instead of aborting, so that process 0's message is printed. */
void cli_mpi_collective_failure(void);
int cli_mpi_failed_collectively(void);
/* The processes of this run for lsnn_run_opts.dist: NULL for one process. */
const lsnn_dist *cli_dist(void);
int cli_mpi_rank(void);
int cli_mpi_size(void);
int cli_mpi_built(void);
/* SHA-256 of the running executable followed by text. 0 on success. */
int cli_mpi_digest(const char *text, unsigned char digest[32]);
/* The sum of v over the processes (collective; v itself for one process). */
int cli_mpi_sum(int v);
/* The first rank whose digest differs from rank 0's, or -1 (collective). */
int cli_mpi_first_mismatch(const unsigned char digest[32]);

/* The subcommands of tools/lsnn.c's main. */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_l2l(int argc, char **argv);
int cmd_meta_rl(int argc, char **argv);
int cmd_asn(int argc, char **argv);
int cmd_alstm(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_export_nir(int argc, char **argv);

#endif

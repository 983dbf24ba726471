/* cmd_plot.h - "lsnn plot" (figures of a model or of runs) and "lsnn report" (one HTML page per
 * run). The figures and the page are made by the library (lsnn/plot.h, lsnn/report.h); these
 * commands parse the arguments and print. */
#ifndef LSNN_CMD_PLOT_H
#define LSNN_CMD_PLOT_H

/* argv[0] is the first word after "plot" / "report" (argc may be 0). Return the process exit
 * status: 0 on success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_plot(int argc, char **argv);
int lsnn_cmd_report(int argc, char **argv);

/* lsnn_report_files, the files lsnn_report_write puts into a run directory. */
#include "lsnn/report.h"

/* Writes RUN_DIR/report.html and the three figures it shows (RUN_DIR/dynamics.png, curves.png,
 * connectivity.png). Returns 0, or 1 after printing the error. */
int lsnn_report_write(const char *run_dir);

/* Writes DIR/command.txt (atomically): the command line "lsnn SUBCOMMAND ARGS...", each argument
 * quoted for a POSIX shell where needed, and a second line "# in <working directory>"; with
 * append != 0 after the commands the file already holds (a resumed run). Returns 0, or 1 after
 * printing the error. */
int lsnn_write_command_txt(const char *dir, const char *subcommand, int argc, char **argv,
                           int append);

#endif

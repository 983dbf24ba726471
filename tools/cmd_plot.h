/* cmd_plot.h - "lsnn plot" (figures of a model or of runs) and "lsnn report" (one HTML page per
 * run). The drawing itself is in the library (lsnn/plot.h); these commands load models, run a
 * sequence through them and collect what a report shows. */
#ifndef LSNN_CMD_PLOT_H
#define LSNN_CMD_PLOT_H

/* argv[0] is the first word after "plot" / "report" (argc may be 0). Return the process exit
 * status: 0 on success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_plot(int argc, char **argv);
int lsnn_cmd_report(int argc, char **argv);

/* The files lsnn_report_write puts into a run directory: the page and its three figures. */
#define LSNN_REPORT_NFILES 4
extern const char *const lsnn_report_files[LSNN_REPORT_NFILES];

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

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

/* fsync of a file or directory by path (opened read-only); 0 or -1 with errno set. */
int cli_fsync_path(const char *path);

#endif

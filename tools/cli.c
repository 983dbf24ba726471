/* Shared helpers of the CLI (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lsnn/status.h"

int die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    /* under mpirun the other processes' messages name their process */
    if (cli_mpi_rank() > 0)
        fprintf(stderr, "lsnn (process %d of %d): ", cli_mpi_rank(), cli_mpi_size());
    else
        fprintf(stderr, "lsnn: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int die_status(void)
{
    return die("%s", lsnn_last_error());
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}


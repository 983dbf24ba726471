/* The CLI's processes under mpirun (issue 23): MPI is initialised only when the program was
 * started by an MPI launcher, and the library's distributed passes (lsnn/dist.h) exchange their
 * chunks with MPI_Allgatherv. Without LSNN_WITH_MPI (a build without MPI) every function says
 * "one process". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lsnn/sha256.h"

#ifdef LSNN_WITH_MPI
#include <limits.h>
#include <mpi.h>

static lsnn_dist g_dist;
static int g_on;

static int mpi_gather(void *ctx, void *buf, const size_t *off, const size_t *len)
{
    (void)ctx;
    const int P = g_dist.size;
    int *cnt = malloc(sizeof(int) * 2 * (size_t)P);
    if (!cnt)
        return 1;
    int *dsp = cnt + P;
    for (int r = 0; r < P; r++) {
        if (off[r] > INT_MAX || len[r] > INT_MAX || off[r] + len[r] > INT_MAX) {
            free(cnt);
            return 1; /* more than 2 GB per exchange: MPI's counts are int */
        }
        cnt[r] = (int)len[r];
        dsp[r] = (int)off[r];
    }
    const int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, cnt, dsp, MPI_BYTE,
                                  MPI_COMM_WORLD);
    free(cnt);
    return rc != MPI_SUCCESS;
}

/* Started by mpirun/mpiexec (Open MPI, or a PMI-based launcher)? */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

void cli_mpi_init(int *argc, char ***argv)
{
    if (!launched())
        return;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "lsnn: MPI_Init failed\n");
        exit(1);
    }
    g_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_dist.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_dist.size);
    g_dist.gather = mpi_gather;
}

void cli_mpi_finalize(void)
{
    if (g_on)
        MPI_Finalize();
    g_on = 0;
}

void cli_mpi_abort(int code)
{
    if (g_on && g_dist.size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
}

const lsnn_dist *cli_dist(void)
{
    return g_on && g_dist.size > 1 ? &g_dist : NULL;
}

int cli_mpi_sum(int v)
{
    int s = v;
    if (cli_dist() && MPI_Allreduce(&v, &s, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return v;
    return s;
}

int cli_mpi_first_mismatch(const unsigned char digest[32])
{
    if (!cli_dist())
        return -1;
    unsigned char *all = malloc(32 * (size_t)g_dist.size);
    if (!all || MPI_Allgather(digest, 32, MPI_BYTE, all, 32, MPI_BYTE, MPI_COMM_WORLD) !=
                    MPI_SUCCESS) {
        free(all);
        return 0;
    }
    int bad = -1;
    for (int r = 1; r < g_dist.size && bad < 0; r++)
        if (memcmp(all, all + 32 * (size_t)r, 32) != 0)
            bad = r;
    free(all);
    return bad;
}

#else

void cli_mpi_init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
}
void cli_mpi_finalize(void) {}
void cli_mpi_abort(int code)
{
    (void)code;
}
const lsnn_dist *cli_dist(void)
{
    return NULL;
}
int cli_mpi_first_mismatch(const unsigned char digest[32])
{
    (void)digest;
    return -1;
}
int cli_mpi_sum(int v)
{
    return v;
}

#endif

static int g_collective;

void cli_mpi_collective_failure(void)
{
    g_collective = 1;
}

int cli_mpi_failed_collectively(void)
{
    return g_collective;
}

int cli_mpi_rank(void)
{
    const lsnn_dist *d = cli_dist();
    return d ? d->rank : 0;
}

int cli_mpi_size(void)
{
    const lsnn_dist *d = cli_dist();
    return d ? d->size : 1;
}

int cli_mpi_built(void)
{
#ifdef LSNN_WITH_MPI
    return 1;
#else
    return 0;
#endif
}

/* SHA-256 of the running executable and the text, into digest. 0 on success. */
int cli_mpi_digest(const char *text, unsigned char digest[32])
{
    lsnn_sha256_ctx c;
    lsnn_sha256_init(&c);
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        return 1;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        lsnn_sha256_update(&c, buf, n);
    const int bad = ferror(f);
    fclose(f);
    if (bad)
        return 1;
    lsnn_sha256_update(&c, text, strlen(text));
    lsnn_sha256_final(&c, digest);
    return 0;
}

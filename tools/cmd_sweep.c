/* lsnn sweep: one config trained with seeds 1..N (and over the values of one key) as parallel
 * processes of `lsnn train`, resumable, with statistics over the runs' result.json files
 * (lsnn/sweep.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "cli.h"
#include "io/fs.h"
#include "io/strbuf.h"
#include "lsnn/config.h"
#include "lsnn/sweep.h"

static const char *SWEEP_HELP =
    "usage: lsnn sweep CONFIG.json --seeds N [options]\n"
    "\n"
    "Trains CONFIG with seeds 1..N (`lsnn train CONFIG --set seed=S --out OUT/seed_S`), J runs\n"
    "at a time as separate processes, then summarises every numeric field of the runs'\n"
    "result.json (the final metric \"value\"; for model alstm \"converged\", \"iterations\",\n"
    "\"spiking_pass\", \"spikes\", \"rate_hz\", ...) over the runs: n, mean, standard deviation,\n"
    "min, max and median, printed as Markdown tables and written to OUT/sweep.json.\n"
    "Resumable: a run with a result.json is not run again; a run with a checkpoint but no\n"
    "result continues with --resume (model alstm: starts over). A failed run is reported with\n"
    "the last line of its OUT/.../train.out and the summary covers the others (exit status 1).\n"
    "Stopping the sweep (Ctrl-C, kill) stops its runs; the next call resumes them.\n"
    "Under mpirun (`mpirun -np P lsnn sweep ...`, lsnn built with MPI) process r runs the runs\n"
    "r, r + P, r + 2P, ... (J at a time each), on its own machine; OUT must be on a file system\n"
    "that every machine sees; process 0 prints the summary and writes sweep.json once all\n"
    "processes are done.\n"
    "\n"
    "options:\n"
    "  --seeds N          runs per grid value, seeds 1..N (required)\n"
    "  --jobs J           runs at a time (default 1)\n"
    "  --out DIR          where the runs go (default runs/sweep_<config name>)\n"
    "  --grid KEY=V1,V2   also sweep a config key over the values (runs in OUT/KEY=V/seed_S)\n"
    "  --metric FIELD     print one Markdown row per grid value for this field: mean +- std,\n"
    "                     max, min, n (default: the table of every field)\n"
    "  --set KEY=VALUE    passed to every run\n"
    "  --threads N        OpenMP threads of each run (default 1)\n"
    "  -h, --help         this text\n";

#define SWEEP_MAX_GRID 64
#define SWEEP_MAX_STATS 64

typedef struct sweep_run {
    char dir[4200];
    char seed_set[64], grid_set[600];
    pid_t pid;
    int failed;
} sweep_run;

static int file_exists(const char *dir, const char *name)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) == 0;
}

static char *read_file(const char *dir, const char *name)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    lsnn__strbuf b = {0};
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        lsnn__sb_add(&b, buf, k);
    fclose(f);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The last non-empty line of DIR/train.out into buf. */
static void last_line(const char *dir, char *buf, size_t cap)
{
    char *t = read_file(dir, "train.out");
    buf[0] = 0;
    if (!t)
        return;
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
        t[--n] = 0;
    const char *l = strrchr(t, '\n');
    snprintf(buf, cap, "%s", l ? l + 1 : t);
    free(t);
}

static pid_t launch(const sweep_run *r, const char *config, const common_opts *co, int threads,
                    int resume)
{
    char out[4300], th[32];
    snprintf(out, sizeof out, "%s/train.out", r->dir);
    snprintf(th, sizeof th, "%d", threads);
    const char *argv[16 + 2 * LSNN_MAX_SETS];
    int a = 0;
    argv[a++] = "lsnn";
    argv[a++] = "train";
    argv[a++] = config;
    for (int i = 0; i < co->n_sets; i++) {
        argv[a++] = "--set";
        argv[a++] = co->sets[i];
    }
    if (r->grid_set[0]) {
        argv[a++] = "--set";
        argv[a++] = r->grid_set;
    }
    argv[a++] = "--set";
    argv[a++] = r->seed_set;
    argv[a++] = "--out";
    argv[a++] = r->dir;
    argv[a++] = "--threads";
    argv[a++] = th;
    argv[a++] = "--quiet";
    if (resume)
        argv[a++] = "--resume";
    argv[a] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
#ifdef __linux__
        /* a sweep that is stopped stops its runs (they resume on the next call) */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(127);
#endif
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* a run is one process of its own, not part of the sweep's MPI job */
        unsetenv("OMPI_COMM_WORLD_SIZE");
        unsetenv("PMI_SIZE");
        unsetenv("PMIX_RANK");
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* One Markdown table of every field, or the row of `metric`. */
static void print_stats(const char *label, const lsnn_sweep_stat *s, int ns, const char *metric)
{
    if (metric) {
        const lsnn_sweep_stat *m = lsnn_sweep_find(s, ns, metric);
        if (m)
            printf("| %s | %.4g +- %.4g | %.4g | %.4g | %d |\n", label, m->mean, m->std, m->max,
                   m->min, m->n);
        else
            printf("| %s | (no field %s) | | | 0 |\n", label, metric);
        return;
    }
    printf("\n%s\n\n| field | n | mean | std | min | max | median |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n", label);
    for (int k = 0; k < ns; k++)
        printf("| %s | %d | %.6g | %.6g | %.6g | %.6g | %.6g |\n", s[k].name, s[k].n, s[k].mean,
               s[k].std, s[k].min, s[k].max, s[k].median);
}

static void json_num(lsnn__strbuf *b, double v)
{
    if (isfinite(v))
        lsnn__sb_printf(b, "%.9g", v);
    else
        lsnn__sb_puts(b, "null");
}

int cmd_sweep(int argc, char **argv)
{
    common_opts co = {0};
    const char *config = NULL, *out = NULL, *grid = NULL, *metric = NULL;
    int seeds = 0, jobs = 1, err = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(SWEEP_HELP, stdout);
            return 0;
        } else if (cli_common_option(argc, argv, &i, &co, &err)) {
            if (err)
                return err;
        } else if (!strcmp(a, "--seeds") || !strcmp(a, "--jobs") || !strcmp(a, "--out") ||
                   !strcmp(a, "--grid") || !strcmp(a, "--metric")) {
            if (i + 1 >= argc)
                return die("%s: missing value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--seeds")) {
                if (cli_parse_int_arg(a, v, 1, 100000, &seeds))
                    return 1;
            } else if (!strcmp(a, "--jobs")) {
                if (cli_parse_int_arg(a, v, 1, 1024, &jobs))
                    return 1;
            } else if (!strcmp(a, "--out"))
                out = v;
            else if (!strcmp(a, "--grid"))
                grid = v;
            else
                metric = v;
        } else if (a[0] == '-') {
            return die("sweep: unknown option '%s' (see lsnn sweep --help)", a);
        } else if (!config) {
            config = a;
        } else {
            return die("sweep: unexpected argument '%s'", a);
        }
    }
    if (!config)
        return die("sweep: missing CONFIG.json (see lsnn sweep --help)");
    if (!seeds)
        return die("sweep: --seeds N is required");
    /* the config with the overrides, checked here so that no run starts on a bad one */
    lsnn_config cfg;
    if (lsnn_config_load(&cfg, config))
        return die_status();
    if (cli_apply_sets(&cfg, &co))
        return 1;
    if (lsnn_config_validate(&cfg, config))
        return die_status();
    const int online = strcmp(cfg.model, "alstm") == 0;
    /* the grid */
    char key[256] = "", values[SWEEP_MAX_GRID][256];
    int ng = 1;
    if (grid) {
        const char *eq = strchr(grid, '=');
        if (!eq || eq == grid || !eq[1] || (size_t)(eq - grid) >= sizeof key)
            return die("--grid: expected KEY=V1,V2,..., got '%s'", grid);
        memcpy(key, grid, (size_t)(eq - grid));
        key[eq - grid] = 0;
        ng = 0;
        for (const char *p = eq + 1; *p;) {
            size_t len = strcspn(p, ",");
            if (!len || len >= sizeof values[0] || ng >= SWEEP_MAX_GRID)
                return die("--grid: empty, too long or too many values in '%s' (at most %d)",
                           grid, SWEEP_MAX_GRID);
            memcpy(values[ng], p, len);
            values[ng][len] = 0;
            char set[600];
            snprintf(set, sizeof set, "%.255s=%.255s", key, values[ng]);
            lsnn_config c2 = cfg;
            if (lsnn_config_set(&c2, set) || lsnn_config_validate(&c2, config))
                return die("--grid: %s", lsnn_last_error());
            ng++;
            p += len;
            if (*p == ',')
                p++;
        }
    }
    char outbuf[4096];
    if (!out) {
        const char *base = strrchr(config, '/');
        base = base ? base + 1 : config;
        snprintf(outbuf, sizeof outbuf, "runs/sweep_%.*s", (int)strcspn(base, "."), base);
        out = outbuf;
    }
    if (strlen(out) > 3000)
        return die("--out: directory name too long");
    if (cli_ensure_dir(out))
        return 1;
    const int n = ng * seeds;
    sweep_run *runs = calloc((size_t)n, sizeof *runs);
    if (!runs)
        return die("sweep: out of memory");
    for (int g = 0; g < ng; g++)
        for (int s = 0; s < seeds; s++) {
            sweep_run *r = &runs[g * seeds + s];
            if (grid) {
                snprintf(r->grid_set, sizeof r->grid_set, "%.255s=%.255s", key, values[g]);
                snprintf(r->dir, sizeof r->dir, "%.3000s/%.255s=%.255s/seed_%d", out, key,
                         values[g], s + 1);
            } else
                snprintf(r->dir, sizeof r->dir, "%.3000s/seed_%d", out, s + 1);
            snprintf(r->seed_set, sizeof r->seed_set, "seed=%d", s + 1);
        }
    const int threads = co.threads > 0 ? co.threads : 1;
    int running = 0, next = 0, done = 0, skipped = 0, failed = 0;
    /* under mpirun: this process's share of the runs */
    const int rank = cli_mpi_rank(), P = cli_mpi_size();
    int mine = 0;
    for (int i = 0; i < n; i++)
        mine += i % P == rank;
    while (next < n || running > 0) {
        while (next < n && running < jobs) {
            const int idx = next;
            sweep_run *r = &runs[next++];
            if (idx % P != rank)
                continue;
            if (file_exists(r->dir, "result.json")) {
                skipped++;
                continue;
            }
            if (cli_ensure_dir(r->dir)) {
                r->failed = 1;
                failed++;
                continue;
            }
            const int resume = !online && file_exists(r->dir, "model.safetensors");
            r->pid = launch(r, config, &co, threads, resume);
            if (r->pid < 0) {
                fprintf(stderr, "lsnn: sweep: %s: cannot start: %s\n", r->dir, strerror(errno));
                r->failed = 1;
                failed++;
                continue;
            }
            fprintf(stderr, "sweep: started %s%s\n", r->dir, resume ? " (resuming)" : "");
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < n; i++)
            if (runs[i].pid == pid) {
                runs[i].pid = 0;
                running--;
                done++;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                    !file_exists(runs[i].dir, "result.json")) {
                    char line[512];
                    last_line(runs[i].dir, line, sizeof line);
                    fprintf(stderr, "lsnn: sweep: %s failed: %s\n", runs[i].dir,
                            line[0] ? line : "(no output)");
                    runs[i].failed = 1;
                    failed++;
                } else
                    fprintf(stderr, "sweep: finished %s (%d of %d)\n", runs[i].dir,
                            done + skipped, mine);
            }
    }
    if (P > 1) { /* every process's runs are done: process 0 summarises */
        const int local_failed = failed, local_skipped = skipped;
        failed = cli_mpi_sum(local_failed);
        skipped = cli_mpi_sum(local_skipped);
        if (failed)
            cli_mpi_collective_failure(); /* known to all: process 0 still prints the summary */
        if (rank > 0) {
            free(runs);
            return failed ? 1 : 0;
        }
    }
    /* statistics per grid value */
    lsnn__strbuf js = {0};
    lsnn__sb_printf(&js, "{\"config\": \"%s\", \"seeds\": %d, \"grid_key\": \"%s\", \"groups\": [",
                    config, seeds, key);
    if (metric)
        printf("| %s | mean +- std | max | min | n |\n|---|---:|---:|---:|---:|\n",
               grid ? key : "config");
    int rc = failed ? 1 : 0;
    for (int g = 0; g < ng; g++) {
        char **tx = calloc((size_t)seeds, sizeof(char *));
        const char **org = calloc((size_t)seeds, sizeof(char *));
        if (!tx || !org) {
            free(tx);
            free(org);
            rc = die("sweep: out of memory");
            break;
        }
        for (int s = 0; s < seeds; s++) {
            tx[s] = read_file(runs[g * seeds + s].dir, "result.json");
            org[s] = runs[g * seeds + s].dir;
        }
        lsnn_sweep_stat st[SWEEP_MAX_STATS];
        int ns = 0;
        if (lsnn_sweep_aggregate((const char *const *)tx, org, seeds, st, SWEEP_MAX_STATS, &ns))
            rc = die_status();
        else {
            char label[600];
            snprintf(label, sizeof label, "%.500s", grid ? values[g] : config);
            print_stats(label, st, ns, metric);
            lsnn__sb_printf(&js, "%s{\"value\": \"%s\", \"stats\": {", g ? ", " : "",
                            grid ? values[g] : "");
            for (int k = 0; k < ns; k++) {
                lsnn__sb_printf(&js, "%s\"%s\": {\"n\": %d, \"mean\": ", k ? ", " : "",
                                st[k].name, st[k].n);
                json_num(&js, st[k].mean);
                lsnn__sb_puts(&js, ", \"std\": ");
                json_num(&js, st[k].std);
                lsnn__sb_puts(&js, ", \"min\": ");
                json_num(&js, st[k].min);
                lsnn__sb_puts(&js, ", \"max\": ");
                json_num(&js, st[k].max);
                lsnn__sb_puts(&js, ", \"median\": ");
                json_num(&js, st[k].median);
                lsnn__sb_puts(&js, "}");
            }
            lsnn__sb_puts(&js, "}}");
        }
        for (int s = 0; s < seeds; s++)
            free(tx[s]);
        free(tx);
        free(org);
    }
    lsnn__sb_printf(&js, "], \"failed\": %d}\n", failed);
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.json", out);
    if (js.oom || !js.p)
        rc = die("sweep: out of memory");
    else if (lsnn__write_text_atomic(path, js.p))
        rc = die_status();
    else
        fprintf(stderr, "sweep: %d runs (%d skipped as finished, %d failed); wrote %s\n", n,
                skipped, failed, path);
    free(js.p);
    free(runs);
    return rc;
}
